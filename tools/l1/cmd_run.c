/*
 * cmd_run.c - `l1 run`: generates one response with a thinking budget and
 * streams it to stdout (thinking dimmed on a terminal), then prints a
 * one-line summary on stderr, or one JSON object with --json.  The option
 * parsing and model loading shared with `l1 chat` live here too
 * (l1cli_gen_*, cli.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double ms_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

void l1cli_gen_usage(FILE *f) {
    fprintf(f,
            "model and context:\n"
            "  -m, --model FILE      GGUF model (required)\n"
            "  -c, --ctx N           context positions (default: min(4096, the model's))\n"
            "  -t, --threads N       worker threads (default: one per physical core)\n"
            "budget (LCPO):\n"
            "  --think N             think budget N: the prompt says \"Think for maximum N tokens.\"\n"
            "                        and the response never exceeds N tokens (mode max)\n"
            "  --budget MODE         max | exact | off (off: the sentence, no enforcement)\n"
            "  --reserve R           tokens kept for closing and answering (default 64)\n"
            "  --window W            soft-landing window before the forced close (default 64, 0 = none)\n"
            "  --sentence KIND       full | budget | none: what is appended to the prompt (default full)\n"
            "  --transition TEXT     written after a forced </think> (default \"\\n\\n**Final Answer**\\n\")\n"
            "sampling:\n"
            "  --temp T --top-k K --top-p P --min-p P --repeat-penalty R --seed S\n"
            "                        (defaults 0.6, off, 0.95, off, 1, 0; --temp 0 is greedy)\n"
            "  --logit-bias ID=B     add B to token ID's logit (repeatable; B may be -inf)\n"
            "output:\n"
            "  -n, --max-tokens N    stop after N tokens (default: budget and context only)\n"
            "  --stop S              stop before the text S (repeatable)\n"
            "  --raw                 send the prompt as is (no chat format)\n"
            "  --think-prefix WHEN   auto | yes | no: end the prompt with \"<think>\\n\" (default auto)\n"
            "  --hide-thinking       print the answer only\n");
}

static bool parse_enum(const char *cmd, const char *opt, const char *v, const char *const *names, int n,
                       int *out) {
    for (int k = 0; v && k < n; k++)
        if (!strcmp(v, names[k])) return *out = k, true;
    l1cli_err(cmd, "%s: unknown value '%s'", opt, v ? v : "");
    return false;
}

static bool parse_bias(const char *cmd, const char *v, l1cli_gen_opts *o) {
    const char *eq = v ? strchr(v, '=') : NULL;
    if (!eq || o->n_bias >= L1CLI_MAX_LIST) {
        l1cli_err(cmd, "--logit-bias: expected ID=BIAS (at most %d), got '%s'", L1CLI_MAX_LIST, v ? v : "");
        return false;
    }
    char id[32];
    size_t n = (size_t)(eq - v) < sizeof id - 1 ? (size_t)(eq - v) : sizeof id - 1;
    memcpy(id, v, n);
    id[n] = '\0';
    int64_t tok;
    double b;
    if (!l1cli_parse_i64(cmd, "--logit-bias", id, 0, INT32_MAX, &tok)) return false;
    if (!strcmp(eq + 1, "-inf")) b = -1.0 / 0.0;
    else if (!l1cli_parse_f64(cmd, "--logit-bias", eq + 1, -1e9, 1e9, &b)) return false;
    o->bias[o->n_bias++] = (l1_logit_bias){(l1_token)tok, (float)b};
    return true;
}

static int int_arg(const char *cmd, const char *opt, const char *v, int64_t lo, int64_t hi, int32_t *out) {
    int64_t x;
    if (!v || !l1cli_parse_i64(cmd, opt, v, lo, hi, &x)) return 0;
    *out = (int32_t)x;
    return 1;
}

static int float_arg(const char *cmd, const char *opt, const char *v, double lo, double hi, float *out) {
    double x;
    if (!v || !l1cli_parse_f64(cmd, opt, v, lo, hi, &x)) return 0;
    *out = (float)x;
    return 1;
}

/* Sampling and budget options; 1 handled, 0 error, -1 not one of them. */
static int parse_gen_option(const char *cmd, int argc, char **argv, int *i, l1cli_gen_opts *o) {
    l1_gen_params *p = &o->gp;
    const char *v;
    int k;
    if (l1cli_opt(argc, argv, i, "--temp", &v)) return float_arg(cmd, "--temp", v, 0, 100, &p->temperature);
    if (l1cli_opt(argc, argv, i, "--top-k", &v)) return int_arg(cmd, "--top-k", v, 0, INT32_MAX, &p->top_k);
    if (l1cli_opt(argc, argv, i, "--top-p", &v)) return float_arg(cmd, "--top-p", v, 0, 1, &p->top_p);
    if (l1cli_opt(argc, argv, i, "--min-p", &v)) return float_arg(cmd, "--min-p", v, 0, 1, &p->min_p);
    if (l1cli_opt(argc, argv, i, "--repeat-penalty", &v))
        return float_arg(cmd, "--repeat-penalty", v, 1e-3, 100, &p->repeat_penalty);
    if (l1cli_opt(argc, argv, i, "--seed", &v)) {
        int64_t s;
        if (!v || !l1cli_parse_i64(cmd, "--seed", v, 0, INT64_MAX, &s)) return 0;
        return p->seed = (uint64_t)s, 1;
    }
    if (l1cli_opt(argc, argv, i, "--think", &v)) return o->think_set = 1, int_arg(cmd, "--think", v, 0, 1 << 30, &p->budget);
    if (l1cli_opt(argc, argv, i, "--reserve", &v)) return int_arg(cmd, "--reserve", v, 2, 1 << 30, &p->reserve);
    if (l1cli_opt(argc, argv, i, "--window", &v)) {
        if (!int_arg(cmd, "--window", v, 0, 1 << 30, &p->window)) return 0;
        if (p->window == 0) p->window = L1_WINDOW_NONE;
        return 1;
    }
    if (l1cli_opt(argc, argv, i, "--budget", &v)) {
        static const char *const names[] = {"off", "max", "exact"};
        if (!parse_enum(cmd, "--budget", v, names, 3, &k)) return 0;
        return o->mode_set = 1, p->budget_mode = (l1_budget_mode)k, 1;
    }
    if (l1cli_opt(argc, argv, i, "--sentence", &v)) {
        static const char *const names[] = {"full", "budget", "none"};
        if (!parse_enum(cmd, "--sentence", v, names, 3, &k)) return 0;
        return p->think_sentence = (l1_think_sentence)k, 1;
    }
    if (l1cli_opt(argc, argv, i, "--think-prefix", &v)) {
        static const char *const names[] = {"auto", "no", "yes"};
        if (!parse_enum(cmd, "--think-prefix", v, names, 3, &k)) return 0;
        return p->think_prefix = k - 1, 1;
    }
    if (l1cli_opt(argc, argv, i, "--transition", &v)) return (p->transition = v) != NULL;
    if (l1cli_opt(argc, argv, i, "--logit-bias", &v)) return parse_bias(cmd, v, o);
    return -1;
}

int l1cli_gen_parse(const char *cmd, int argc, char **argv, int *i, l1cli_gen_opts *o) {
    const char *v;
    if (l1cli_opt(argc, argv, i, "-m", &v) || l1cli_opt(argc, argv, i, "--model", &v)) return (o->model = v) != NULL;
    if (l1cli_opt(argc, argv, i, "-c", &v) || l1cli_opt(argc, argv, i, "--ctx", &v))
        return int_arg(cmd, "--ctx", v, 1, INT32_MAX, &o->n_ctx);
    if (l1cli_opt(argc, argv, i, "-t", &v) || l1cli_opt(argc, argv, i, "--threads", &v))
        return int_arg(cmd, "--threads", v, 1, L1_MAX_THREADS, &o->n_threads);
    if (l1cli_opt(argc, argv, i, "-n", &v) || l1cli_opt(argc, argv, i, "--max-tokens", &v))
        return int_arg(cmd, "--max-tokens", v, 0, INT32_MAX, &o->gp.max_tokens);
    if (l1cli_opt(argc, argv, i, "--stop", &v)) {
        if (!v) return 0;
        if (o->n_stop >= L1CLI_MAX_LIST) return l1cli_err(cmd, "--stop: at most %d", L1CLI_MAX_LIST), 0;
        return o->stops[o->n_stop++] = v, 1;
    }
    if (!strcmp(argv[*i], "--raw")) return o->gp.template_mode = L1_TEMPLATE_RAW, 1;
    if (!strcmp(argv[*i], "--hide-thinking")) return o->hide_thinking = true, 1;
    return parse_gen_option(cmd, argc, argv, i, o);
}

void l1cli_gen_init(l1cli_gen_opts *o) {
    memset(o, 0, sizeof *o);
    o->gp = l1_gen_default_params();
    const char *nc = getenv("NO_COLOR");
    o->color = isatty(STDOUT_FILENO) && !(nc && nc[0]);
}

int l1cli_gen_finish_opts(const char *cmd, l1cli_gen_opts *o) {
    if (!o->model) return l1cli_err(cmd, "no model: use -m FILE.gguf"), 2;
    if (o->think_set && !o->mode_set) o->gp.budget_mode = L1_BUDGET_MAX;
    if (o->gp.budget_mode != L1_BUDGET_OFF && !o->think_set)
        return l1cli_err(cmd, "--budget %s needs --think N", l1_budget_mode_name(o->gp.budget_mode)), 2;
    o->gp.stop = o->stops;
    o->gp.n_stop = o->n_stop;
    o->gp.bias = o->bias;
    o->gp.n_bias = o->n_bias;
    return 0;
}

int l1cli_gen_load(const char *cmd, const l1cli_gen_opts *o, l1_model **m, l1_ctx **c, double *load_ms) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    *c = NULL;
    l1_status st = l1_model_load(o->model, NULL, m);
    if (st != L1_OK) return l1cli_fail(cmd, o->model, st);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = o->n_ctx;
    cp.n_threads = o->n_threads;
    if ((st = l1_ctx_new(*m, &cp, c)) != L1_OK) {
        l1_model_free(*m);
        *m = NULL;
        return l1cli_fail(cmd, "context", st);
    }
    *load_ms = ms_since(&t0);
    return 0;
}

/* ---- streaming --------------------------------------------------------------------------- */

void l1cli_buf_add(l1cli_buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) return; /* keep what fits; the stream itself is unaffected */
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

int l1cli_on_piece(const l1_piece *p, void *user) {
    l1cli_stream *s = user;
    const char *text = p->text;
    size_t n = (size_t)p->len;
    if (p->kind == L1_PIECE_THINK_BEGIN) text = "<think>", n = 7;
    if (p->kind == L1_PIECE_THINK_END) text = "</think>", n = 8;
    l1cli_buf_add(&s->text, text, n);
    if (p->kind == L1_PIECE_TEXT) l1cli_buf_add(p->phase == L1_PHASE_THINKING ? &s->reasoning : &s->answer, text, n);
    bool thinking = p->kind != L1_PIECE_TEXT || p->phase == L1_PHASE_THINKING;
    if (s->quiet || (thinking && s->o->hide_thinking)) return 0;
    if (s->o->color && thinking) fputs("\x1b[2m", stdout);
    fwrite(text, 1, n, stdout);
    if (s->o->color && thinking) fputs("\x1b[0m", stdout);
    fflush(stdout);
    return 0;
}

void l1cli_summary(const char *cmd, const l1_gen_result *r, double load_ms) {
    double pp = r->prefill_ms > 0 ? r->prefill_tokens * 1e3 / r->prefill_ms : 0;
    double tg = r->decode_ms > 0 ? r->decode_tokens * 1e3 / r->decode_ms : 0;
    fprintf(stderr, "l1 %s: load %.0f ms | prefill %d tok %.1f t/s | decode %d tok %.1f t/s | thinking %d + answer %d = %d",
            cmd, load_ms, r->prefill_tokens, pp, r->decode_tokens, tg, r->tokens_thinking, r->tokens_answer,
            r->tokens_thinking + r->tokens_answer);
    if (r->budget_mode != L1_BUDGET_OFF) fprintf(stderr, " / %d (%s)", r->budget, l1_budget_mode_name(r->budget_mode));
    fprintf(stderr, " | close %s | finish %s\n", l1_close_name(r->close), l1_finish_name(r->finish));
}

static void json_str(FILE *f, const char *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c < 0x20 || c == 0x7f) fprintf(f, "\\u%04x", c);
        else fputc(c, f); /* the decoder only produces valid UTF-8 */
    }
    fputc('"', f);
}

static void print_json(const l1cli_stream *s, const l1_gen_result *r, double load_ms) {
    FILE *f = stdout;
    fputs("{\"text\": ", f);
    json_str(f, s->text.data ? s->text.data : "", s->text.len);
    fputs(", \"reasoning\": ", f);
    json_str(f, s->reasoning.data ? s->reasoning.data : "", s->reasoning.len);
    fputs(", \"answer\": ", f);
    json_str(f, s->answer.data ? s->answer.data : "", s->answer.len);
    fprintf(f, ", \"budget\": %d, \"budget_mode\": \"%s\", \"tokens_thinking\": %d, \"tokens_answer\": %d, "
               "\"close\": \"%s\", \"finish_reason\": \"%s\", \"timings\": {\"load_ms\": %.3f, "
               "\"prefill_tps\": %.3f, \"decode_tps\": %.3f}}\n",
            r->budget, l1_budget_mode_name(r->budget_mode), r->tokens_thinking, r->tokens_answer,
            l1_close_name(r->close), l1_finish_name(r->finish), load_ms,
            r->prefill_ms > 0 ? r->prefill_tokens * 1e3 / r->prefill_ms : 0.0,
            r->decode_ms > 0 ? r->decode_tokens * 1e3 / r->decode_ms : 0.0);
}

/* ---- l1 run -------------------------------------------------------------------------------- */

static void run_usage(FILE *f) {
    fprintf(f, "usage: l1 run -m MODEL (-p PROMPT | -f FILE) [options]\n"
               "Generates one response, streamed to stdout; a summary goes to stderr.\n"
               "  -p, --prompt TEXT     the user's message\n"
               "  -f, --file FILE       read the message from FILE ('-' = stdin)\n"
               "  --json                print one JSON object instead of the stream\n");
    l1cli_gen_usage(f);
}

static char *read_file(const char *path) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return NULL;
    l1cli_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) l1cli_buf_add(&b, chunk, n);
    if (f != stdin) fclose(f);
    if (!b.data) l1cli_buf_add(&b, "", 0);
    return b.data;
}

static int run_generate(const l1cli_gen_opts *o, const char *prompt, bool json) {
    l1_model *m;
    l1_ctx *c;
    double load_ms;
    int rc = l1cli_gen_load("run", o, &m, &c, &load_ms);
    if (rc) return rc;
    l1cli_stream s = {o, {0}, {0}, {0}, json};
    l1_gen_result r;
    l1_status st = l1_generate(c, prompt, &o->gp, l1cli_on_piece, &s, &r);
    if (st != L1_OK) {
        rc = l1cli_fail("run", "generate", st);
    } else if (json) {
        print_json(&s, &r, load_ms);
    } else {
        if (s.text.len && s.text.data[s.text.len - 1] != '\n') fputc('\n', stdout);
        fflush(stdout);
        l1cli_summary("run", &r, load_ms);
    }
    free(s.text.data);
    free(s.reasoning.data);
    free(s.answer.data);
    l1_ctx_free(c);
    l1_model_free(m);
    return rc;
}

int l1cli_run(int argc, char **argv) {
    l1cli_gen_opts o;
    l1cli_gen_init(&o);
    const char *prompt = NULL, *file = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return run_usage(stdout), 0;
        if (l1cli_opt(argc, argv, &i, "-p", &v) || l1cli_opt(argc, argv, &i, "--prompt", &v)) {
            if (!(prompt = v)) return 2;
            continue;
        }
        if (l1cli_opt(argc, argv, &i, "-f", &v) || l1cli_opt(argc, argv, &i, "--file", &v)) {
            if (!(file = v)) return 2;
            continue;
        }
        if (!strcmp(argv[i], "--json")) {
            json = true;
            continue;
        }
        int r = l1cli_gen_parse("run", argc, argv, &i, &o);
        if (r == 0) return 2;
        if (r < 0) {
            l1cli_err("run", "unknown option '%s'", argv[i]);
            run_usage(stderr);
            return 2;
        }
    }
    int rc = l1cli_gen_finish_opts("run", &o);
    if (rc) return rc;
    if (!prompt == !file) return l1cli_err("run", "give exactly one of -p PROMPT and -f FILE"), 2;
    char *text = NULL;
    if (file && !(text = read_file(file))) return l1cli_err("run", "%s: cannot read", file), 1;
    if (json) o.color = false;
    rc = run_generate(&o, text ? text : prompt, json);
    free(text);
    return rc;
}
