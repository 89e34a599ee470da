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
#include <unistd.h>

#include <getopt.h>

#include "cli.h"
#include "json.h"

void l1cli_gen_usage(FILE *f) {
    fprintf(f,
            "model and context:\n"
            "  -m, --model FILE      GGUF model (required)\n"
            "  -c, --ctx N           context positions (default: min(4096, the model's), or with a\n"
            "                        budget the prompt + N when more, within the model's trained length)\n"
            "  --ctx-over-train      allow -c above the model's trained context length\n"
            "  --kv-type f16|f32     KV cache precision (default f16)\n"
            "  -t, --threads N       worker threads (default: one per physical core)\n"
            "budget (LCPO):\n"
            "  --think N             think budget N: the prompt says \"Think for maximum N tokens.\"\n"
            "                        and the response never exceeds N tokens (mode max); N is clamped\n"
            "                        to the context's room after the prompt and to -n\n"
            "  --budget MODE         max | exact | off (off: the sentence, no enforcement)\n"
            "  --reserve R           tokens kept for closing and answering (default min(64, N/4, ...));\n"
            "                        an R above the effective N is an error\n"
            "  --window W            soft-landing window before the forced close (default 64, 0 = none)\n"
            "  --sentence KIND       full | budget | none: what is appended to the prompt (default full)\n"
            "  --transition TEXT     written after a forced </think> (default \"\\n\\n**Final Answer**\\n\")\n"
            "  --close-text TEXT     written before a forced </think> (counted in N), e.g. \"I have to\n"
            "                        give the final answer based on my reasoning so far.\"\n"
            "sampling:\n"
            "  --temp T --top-k K --top-p P --min-p P --seed S\n"
            "                        (defaults 0.6, off, 0.95, off, 0; --temp 0 is greedy)\n"
            "  --repeat-penalty R --presence-penalty P --frequency-penalty F\n"
            "                        penalties on recent tokens (defaults 1, 0, 0: off)\n"
            "  --repeat-last-n N     how many recent tokens they look at (default 64)\n"
            "  --logit-bias ID=B     add B to token ID's logit (repeatable; B may be -inf)\n"
            "output:\n"
            "  -n, --max-tokens N    stop after N tokens (default: budget and context only)\n"
            "  --stop S              stop before the text S (repeatable)\n"
            "  --template T          auto | r1 | chatml | raw: the chat format (default auto: the model's\n"
            "                        template, DeepSeek-R1 or ChatML; another template is an error)\n"
            "  --raw                 send the prompt as is (no chat format; = --template raw)\n"
            "  --think-prefix WHEN   auto | yes | no: end the prompt with \"<think>\\n\" (default auto)\n"
            "  --hide-thinking       print the answer only\n"
            "speed:\n"
            "  --draft N             speculative decoding by prompt lookup: draft up to N tokens (1-%d)\n"
            "                        from the text so far and verify them in one step; the output is\n"
            "                        unchanged (default auto: adapted, up to %d; 0 = off)\n"
            "Values may be attached: --think=64, -t2.  Ctrl-C stops the generation, prints\n"
            "the summary and exits with status 130.\n",
            L1_DRAFT_MAX, L1_DRAFT_MAX);
}

static bool parse_enum(const char *cmd, const char *opt, const char *v, const char *const *names, int n,
                       int *out) {
    for (int k = 0; v && k < n; k++)
        if (!strcmp(v, names[k])) return *out = k, true;
    l1cli_usage_err(cmd, "%s: unknown value '%s'", opt, v ? v : "");
    return false;
}

static bool parse_bias(const char *cmd, const char *v, l1cli_gen_opts *o) {
    const char *eq = v ? strchr(v, '=') : NULL;
    if (!eq || o->n_bias >= L1CLI_MAX_LIST) {
        l1cli_usage_err(cmd, "--logit-bias: expected ID=BIAS (at most %d), got '%s'", L1CLI_MAX_LIST, v ? v : "");
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
    if (!l1cli_parse_i64(cmd, opt, v, lo, hi, &x)) return 0;
    *out = (int32_t)x;
    return 1;
}

static int float_arg(const char *cmd, const char *opt, const char *v, double lo, double hi, float *out) {
    double x;
    if (!l1cli_parse_f64(cmd, opt, v, lo, hi, &x)) return 0;
    *out = (float)x;
    return 1;
}

enum {
    O_TEMP = L1CLI_OPT_LONG, O_TOP_K, O_TOP_P, O_MIN_P, O_REPEAT, O_PRESENCE, O_FREQUENCY, O_PENALTY_WINDOW,
    O_SEED, O_THINK, O_RESERVE, O_WINDOW, O_BUDGET, O_SENTENCE, O_THINK_PREFIX, O_TRANSITION, O_BIAS,
    O_STOP, O_RAW, O_HIDE, O_KV, O_OVER_TRAIN, O_CLOSE_TEXT, O_TEMPLATE, O_DRAFT
};

const struct option l1cli_gen_longopts[] = {
    {"model", required_argument, NULL, 'm'},
    {"ctx", required_argument, NULL, 'c'},
    {"ctx-size", required_argument, NULL, 'c'},
    {"threads", required_argument, NULL, 't'},
    {"max-tokens", required_argument, NULL, 'n'},
    {"n-predict", required_argument, NULL, 'n'},
    {"ctx-over-train", no_argument, NULL, O_OVER_TRAIN},
    {"kv-type", required_argument, NULL, O_KV},
    {"temp", required_argument, NULL, O_TEMP},
    {"top-k", required_argument, NULL, O_TOP_K},
    {"top-p", required_argument, NULL, O_TOP_P},
    {"min-p", required_argument, NULL, O_MIN_P},
    {"repeat-penalty", required_argument, NULL, O_REPEAT},
    {"presence-penalty", required_argument, NULL, O_PRESENCE},
    {"frequency-penalty", required_argument, NULL, O_FREQUENCY},
    {"repeat-last-n", required_argument, NULL, O_PENALTY_WINDOW},
    {"seed", required_argument, NULL, O_SEED},
    {"think", required_argument, NULL, O_THINK},
    {"reserve", required_argument, NULL, O_RESERVE},
    {"window", required_argument, NULL, O_WINDOW},
    {"budget", required_argument, NULL, O_BUDGET},
    {"sentence", required_argument, NULL, O_SENTENCE},
    {"think-prefix", required_argument, NULL, O_THINK_PREFIX},
    {"transition", required_argument, NULL, O_TRANSITION},
    {"close-text", required_argument, NULL, O_CLOSE_TEXT},
    {"template", required_argument, NULL, O_TEMPLATE},
    {"logit-bias", required_argument, NULL, O_BIAS},
    {"stop", required_argument, NULL, O_STOP},
    {"raw", no_argument, NULL, O_RAW},
    {"hide-thinking", no_argument, NULL, O_HIDE},
    {"draft", required_argument, NULL, O_DRAFT},
    {NULL, 0, NULL, 0},
};

int l1cli_gen_option(const char *cmd, int c, const char *v, l1cli_gen_opts *o) {
    l1_gen_params *p = &o->gp;
    int k;
    switch (c) {
    case 'm': return (o->model = v) != NULL;
    case 'c': return int_arg(cmd, "--ctx", v, 1, INT32_MAX, &o->n_ctx);
    case 't': return int_arg(cmd, "--threads", v, 1, L1_MAX_THREADS, &o->n_threads);
    case 'n': return int_arg(cmd, "--max-tokens", v, 0, INT32_MAX, &p->max_tokens);
    case O_OVER_TRAIN: return o->ctx_over_train = true, 1;
    case O_KV: {
        static const char *const names[] = {"f16", "f32"};
        if (!parse_enum(cmd, "--kv-type", v, names, 2, &k)) return 0;
        return o->kv_type = k ? L1_KV_F32 : L1_KV_F16, 1;
    }
    case O_TEMP: return float_arg(cmd, "--temp", v, 0, 100, &p->temperature);
    case O_TOP_K: return int_arg(cmd, "--top-k", v, 0, INT32_MAX, &p->top_k);
    case O_TOP_P: return float_arg(cmd, "--top-p", v, 0, 1, &p->top_p);
    case O_MIN_P: return float_arg(cmd, "--min-p", v, 0, 1, &p->min_p);
    case O_REPEAT: return float_arg(cmd, "--repeat-penalty", v, 1e-3, 100, &p->repeat_penalty);
    case O_PRESENCE: return float_arg(cmd, "--presence-penalty", v, -100, 100, &p->presence_penalty);
    case O_FREQUENCY: return float_arg(cmd, "--frequency-penalty", v, -100, 100, &p->frequency_penalty);
    case O_PENALTY_WINDOW: return int_arg(cmd, "--repeat-last-n", v, 1, INT32_MAX, &p->penalty_window);
    case O_SEED: {
        int64_t s;
        if (!l1cli_parse_i64(cmd, "--seed", v, 0, INT64_MAX, &s)) return 0;
        return p->seed = (uint64_t)s, 1;
    }
    case O_THINK: return o->think_set = 1, int_arg(cmd, "--think", v, 0, 1 << 30, &p->budget);
    case O_RESERVE: return int_arg(cmd, "--reserve", v, 2, 1 << 30, &p->reserve);
    case O_WINDOW:
        if (!int_arg(cmd, "--window", v, 0, 1 << 30, &p->window)) return 0;
        if (p->window == 0) p->window = L1_WINDOW_NONE;
        return 1;
    case O_BUDGET: {
        static const char *const names[] = {"off", "max", "exact"};
        if (!parse_enum(cmd, "--budget", v, names, 3, &k)) return 0;
        return o->mode_set = 1, p->budget_mode = (l1_budget_mode)k, 1;
    }
    case O_SENTENCE: {
        static const char *const names[] = {"full", "budget", "none"};
        if (!parse_enum(cmd, "--sentence", v, names, 3, &k)) return 0;
        return p->think_sentence = (l1_think_sentence)k, 1;
    }
    case O_THINK_PREFIX: {
        static const char *const names[] = {"auto", "no", "yes"};
        if (!parse_enum(cmd, "--think-prefix", v, names, 3, &k)) return 0;
        return p->think_prefix = k - 1, 1;
    }
    case O_TRANSITION: return (p->transition = v) != NULL;
    case O_CLOSE_TEXT: return (p->close_text = v) != NULL;
    case O_TEMPLATE: {
        static const char *const names[] = {"auto", "r1", "raw", "chatml"}; /* l1_template's order */
        if (!parse_enum(cmd, "--template", v, names, 4, &k)) return 0;
        return p->template_mode = (l1_template)k, 1;
    }
    case O_BIAS: return parse_bias(cmd, v, o);
    case O_STOP:
        if (o->n_stop >= L1CLI_MAX_LIST) return l1cli_usage_err(cmd, "--stop: at most %d", L1CLI_MAX_LIST), 0;
        return o->stops[o->n_stop++] = v, 1;
    case O_RAW: return o->gp.template_mode = L1_TEMPLATE_RAW, 1;
    case O_HIDE: return o->hide_thinking = true, 1;
    case O_DRAFT:
        if (v && !strcmp(v, "auto")) return p->draft = L1_DRAFT_AUTO, 1;
        return int_arg(cmd, "--draft", v, 0, L1_DRAFT_MAX, &p->draft);
    default: return -1;
    }
}

void l1cli_gen_init(l1cli_gen_opts *o) {
    memset(o, 0, sizeof *o);
    o->gp = l1_gen_default_params();
    const char *nc = getenv("NO_COLOR");
    o->color = isatty(STDOUT_FILENO) && !(nc && nc[0]);
}

int l1cli_gen_finish_opts(const char *cmd, l1cli_gen_opts *o) {
    if (!o->model) return l1cli_usage_err(cmd, "no model: use -m FILE.gguf");
    if (o->think_set && !o->mode_set) o->gp.budget_mode = L1_BUDGET_MAX;
    if (o->gp.budget_mode != L1_BUDGET_OFF && !o->think_set)
        return l1cli_usage_err(cmd, "--budget %s needs --think N", l1_budget_mode_name(o->gp.budget_mode));
    o->gp.stop = o->stops;
    o->gp.n_stop = o->n_stop;
    o->gp.bias = o->bias;
    o->gp.n_bias = o->n_bias;
    return 0;
}

/* The context a budgeted `l1 run` needs: the prompt's tokens + N when that
 * is more than the default min(4096, trained length), within the trained
 * length; 0 (the default) otherwise or when the prompt cannot be rendered
 * (the generation then says why). */
static int32_t l1cli_ctx_for(const l1_model *m, const l1cli_gen_opts *o) {
    l1_model_desc d;
    if (l1_model_info(m, &d) != L1_OK) return 0;
    const int32_t dflt = d.n_ctx_train < 4096 ? d.n_ctx_train : 4096;
    l1_message msg = {L1_MSG_USER, o->ctx_prompt};
    int32_t n = l1_prompt_tokens(m, &msg, 1, &o->gp, NULL, 0);
    if (n == L1_TOKEN_ERROR) return 0;
    int64_t need = (int64_t)(n < 0 ? -n : n) + o->gp.budget;
    if (need <= dflt) return 0;
    return need < d.n_ctx_train ? (int32_t)need : d.n_ctx_train;
}

int l1cli_gen_load(const char *cmd, const l1cli_gen_opts *o, l1_model **m, l1_ctx **c, double *load_ms) {
    const double t0 = l1cli_now();
    *c = NULL;
    l1cli_progress pr;
    l1cli_progress_begin(&pr, cmd, "loading the model");
    l1_model_params mp = l1_model_default_params();
    mp.progress = l1cli_progress_load;
    mp.progress_user = &pr;
    l1_status st = l1_model_load(o->model, &mp, m);
    l1cli_progress_clear(&pr);
    if (st != L1_OK) return l1cli_fail(cmd, o->model, st);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = o->n_ctx;
    cp.n_threads = o->n_threads;
    cp.kv_type = o->kv_type;
    cp.allow_ctx_over_train = o->ctx_over_train;
    cp.n_seq = o->n_seq;
    if (!o->n_ctx && o->ctx_prompt && o->gp.budget_mode != L1_BUDGET_OFF) cp.n_ctx = l1cli_ctx_for(*m, o);
    if ((st = l1_ctx_new(*m, &cp, c)) != L1_OK) {
        l1_model_desc d;
        if (st == L1_ERR_LIMIT && !o->ctx_over_train && l1_model_info(*m, &d) == L1_OK && o->n_ctx > d.n_ctx_train)
            l1cli_err(cmd, "-c %d is above the model's trained context length %d (--ctx-over-train allows it)",
                      o->n_ctx, d.n_ctx_train);
        else
            l1cli_fail(cmd, "context", st);
        l1_model_free(*m);
        *m = NULL;
        return 1;
    }
    *load_ms = (l1cli_now() - t0) * 1e3;
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
    if (s->prompt_progress) { /* the prompt is evaluated: its progress line goes */
        l1cli_progress_clear(s->prompt_progress);
        s->prompt_progress = NULL;
    }
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
    return l1cli_stdout_failed(); /* output lost: stop generating */
}

/* How thinking closed: natural, forced at a word boundary, forced mid-word. */
static const char *close_kind(const l1_gen_result *r) {
    if (r->close != L1_CLOSE_FORCED) return l1_close_name(r->close);
    return r->close_mid_word ? "mid-word" : "boundary";
}

/* Tokens per second of n tokens over ms (0 when either is 0). */
static double rate(double n, double ms) { return n > 0 && ms > 0 ? n * 1e3 / ms : 0.0; }

/* The phases' rates: thinking from the first token to the close, the answer
 * from the close to the end (the whole response when it never closed). */
static double thinking_tps(const l1_gen_result *r) {
    double end = r->close_ms > 0 ? r->close_ms : r->end_ms;
    return rate(r->tokens_thinking - 1, end - r->first_token_ms);
}
static double answer_tps(const l1_gen_result *r) {
    return r->close_ms > 0 ? rate(r->tokens_answer, r->end_ms - r->close_ms) : 0.0;
}

void l1cli_summary(const char *cmd, const l1_gen_result *r, double load_ms) {
    double pp = r->prefill_ms > 0 ? r->prefill_tokens * 1e3 / r->prefill_ms : 0;
    double tg = r->decode_ms > 0 ? r->decode_tokens * 1e3 / r->decode_ms : 0;
    fprintf(stderr, "l1 %s: load %.0f ms | prefill %d tok %.1f t/s | decode %d tok %.1f t/s | thinking %d + answer %d = %d",
            cmd, load_ms, r->prefill_tokens, pp, r->decode_tokens, tg, r->tokens_thinking, r->tokens_answer,
            r->tokens_thinking + r->tokens_answer);
    if (r->budget_mode != L1_BUDGET_OFF) {
        fprintf(stderr, " / %d (%s", r->budget, l1_budget_mode_name(r->budget_mode));
        if (r->budget_effective != r->budget) fprintf(stderr, ", effective %d", r->budget_effective);
        fprintf(stderr, ")");
    }
    if (r->close == L1_CLOSE_FORCED) fprintf(stderr, " | close forced (%s)", close_kind(r));
    else fprintf(stderr, " | close %s", close_kind(r));
    if (r->first_token_ms > 0) {
        fprintf(stderr, " | first token %.0f ms, thinking %.1f t/s", r->first_token_ms, thinking_tps(r));
        if (r->close_ms > 0) fprintf(stderr, ", close %.0f ms", r->close_ms);
        if (r->first_answer_ms > 0) fprintf(stderr, ", first answer %.0f ms", r->first_answer_ms);
        if (r->close_ms > 0) fprintf(stderr, ", answer %.1f t/s", answer_tps(r));
    }
    if (r->answer_truncated) fprintf(stderr, " | answer truncated by N");
    if (r->draft_tokens > 0) fprintf(stderr, " | drafts %d of %d accepted", r->draft_accepted, r->draft_tokens);
    if (r->probe_tokens > 0) fprintf(stderr, " | looked ahead %d tokens", r->probe_tokens);
    fprintf(stderr, " | finish %s\n", l1_finish_name(r->finish));
}

void l1cli_result_json_members(l1cli_json *j, const l1cli_stream *s, const l1_gen_result *r, double load_ms) {
    l1cli_json_strn(j, "text", s->text.data ? s->text.data : "", s->text.len);
    l1cli_json_strn(j, "reasoning", s->reasoning.data ? s->reasoning.data : "", s->reasoning.len);
    l1cli_json_strn(j, "answer", s->answer.data ? s->answer.data : "", s->answer.len);
    l1cli_json_int(j, "budget", r->budget);
    l1cli_json_int(j, "budget_effective", r->budget_effective);
    l1cli_json_int(j, "reserve_effective", r->reserve_effective);
    l1cli_json_str(j, "budget_mode", l1_budget_mode_name(r->budget_mode));
    l1cli_json_int(j, "tokens_thinking", r->tokens_thinking);
    l1cli_json_int(j, "tokens_answer", r->tokens_answer);
    l1cli_json_str(j, "close", l1_close_name(r->close));
    l1cli_json_str(j, "close_kind", close_kind(r));
    l1cli_json_bool(j, "answer_truncated", r->answer_truncated != 0);
    l1cli_json_str(j, "finish_reason", l1_finish_name(r->finish));
    l1cli_json_int(j, "draft_tokens", r->draft_tokens);
    l1cli_json_int(j, "draft_accepted", r->draft_accepted);
    l1cli_json_int(j, "probe_tokens", r->probe_tokens);
    l1cli_json_object(j, "timings");
    l1cli_json_fixed(j, "load_ms", load_ms, 3);
    l1cli_json_fixed(j, "prefill_tps", r->prefill_ms > 0 ? r->prefill_tokens * 1e3 / r->prefill_ms : 0.0, 3);
    l1cli_json_fixed(j, "decode_tps", r->decode_ms > 0 ? r->decode_tokens * 1e3 / r->decode_ms : 0.0, 3);
    l1cli_json_fixed(j, "first_token_ms", r->first_token_ms, 3);
    l1cli_json_fixed(j, "close_ms", r->close_ms, 3);
    l1cli_json_fixed(j, "first_answer_ms", r->first_answer_ms, 3);
    l1cli_json_fixed(j, "end_ms", r->end_ms, 3);
    l1cli_json_fixed(j, "thinking_tps", thinking_tps(r), 3);
    l1cli_json_fixed(j, "answer_tps", answer_tps(r), 3);
    l1cli_json_end(j);
}

void l1cli_print_result_json(const l1cli_stream *s, const l1_gen_result *r, double load_ms) {
    l1cli_json j;
    l1cli_json_init(&j, stdout, 0);
    l1cli_json_object(&j, NULL);
    l1cli_result_json_members(&j, s, r, load_ms);
    l1cli_json_end(&j);
    l1cli_json_finish(&j);
}

/* ---- l1 run -------------------------------------------------------------------------------- */

static void run_usage(FILE *f) {
    fprintf(f, "usage: l1 run -m MODEL (-p PROMPT | -f FILE) [options]\n"
               "Generates one response, streamed to stdout; a summary goes to stderr.\n"
               "  -p, --prompt TEXT     the user's message\n"
               "  -f, --file FILE       read the message from FILE ('-' = stdin)\n"
               "  --json                print one JSON object instead of the stream\n"
               "  --samples K           K responses (seeds S, S+1, ...) decoded together in one batch,\n"
               "                        each printed when all are done; 1 <= K <= 64\n"
               "  --vote                with --samples: the majority of the \\boxed{} answers, and its count\n"
               "  --print-prompt        print the rendered prompt (text, then its token ids) and exit\n"
               "  -h, --help            this help\n");
    l1cli_gen_usage(f);
}

/* The generation's abort hook: Ctrl-C, and the prompt's progress line (on
 * a terminal) while it is evaluated. */
static int watch(void *user) {
    l1cli_stream *s = user;
    if (s->prompt_progress) l1cli_progress_update(s->prompt_progress, -1, NULL);
    return l1cli_interrupted(NULL);
}

/* --print-prompt: the prompt as the model would see it, text then ids. */
static int print_prompt(const l1cli_gen_opts *o, const char *prompt) {
    l1_model *m;
    l1_model_params mp = l1_model_default_params();
    mp.vocab_only = true;
    l1_status st = l1_model_load(o->model, &mp, &m);
    if (st != L1_OK) return l1cli_fail("run", o->model, st);
    l1_message msg = {L1_MSG_USER, prompt};
    int rc = 0;
    int32_t n_text = l1_render_prompt(m, &msg, 1, &o->gp, NULL, 0);
    int32_t n_ids = l1_prompt_tokens(m, &msg, 1, &o->gp, NULL, 0);
    char *text = NULL;
    l1_token *ids = NULL;
    if (n_text == L1_TOKEN_ERROR || n_ids == L1_TOKEN_ERROR) {
        rc = l1cli_fail("run", "prompt", L1_ERR_INVALID_ARG);
    } else {
        n_text = n_text < 0 ? -n_text : n_text;
        n_ids = n_ids < 0 ? -n_ids : n_ids;
        text = malloc((size_t)n_text + 1);
        ids = malloc((size_t)n_ids * sizeof *ids + 1);
        if (!text || !ids || l1_render_prompt(m, &msg, 1, &o->gp, text, n_text) != n_text ||
            l1_prompt_tokens(m, &msg, 1, &o->gp, ids, n_ids) != n_ids) {
            rc = (l1cli_err("run", "cannot render the prompt: %s", l1_last_error()), 1);
        } else {
            fwrite(text, 1, (size_t)n_text, stdout);
            fputc('\n', stdout);
            for (int32_t i = 0; i < n_ids; i++) printf(i ? " %d" : "%d", (int)ids[i]);
            printf("\n");
            if (fflush(stdout) != 0 || ferror(stdout)) rc = (l1cli_err("run", "cannot write the prompt"), 1);
        }
    }
    free(text);
    free(ids);
    l1_model_free(m);
    return rc;
}

static int run_generate(const l1cli_gen_opts *opts, const char *prompt, bool json) {
    l1_model *m;
    l1_ctx *c;
    double load_ms;
    l1cli_gen_opts lo = *opts;
    lo.ctx_prompt = prompt;
    int rc = l1cli_gen_load("run", &lo, &m, &c, &load_ms);
    if (rc) return rc;
    l1cli_gen_opts o = *opts;
    l1cli_progress pr;
    l1cli_progress_begin(&pr, "run", "evaluating the prompt");
    l1cli_stream s = {&o, {0}, {0}, {0}, json, &pr};
    o.gp.abort_fn = watch;
    o.gp.abort_user = &s;
    l1cli_catch_interrupt();
    l1_gen_result r;
    l1_status st = l1_generate(c, prompt, &o.gp, l1cli_on_piece, &s, &r);
    if (s.prompt_progress) l1cli_progress_clear(s.prompt_progress);
    if (st != L1_OK) {
        rc = l1cli_fail("run", "generate", st);
    } else if (l1cli_stdout_failed()) {
        rc = l1cli_stdout_finish("run", 0);
    } else {
        if (json) {
            l1cli_print_result_json(&s, &r, load_ms);
        } else {
            if (s.text.len && s.text.data[s.text.len - 1] != '\n') fputc('\n', stdout);
            fflush(stdout);
            l1cli_summary("run", &r, load_ms);
        }
        if (l1cli_interrupted(NULL)) rc = 130;
    }
    free(s.text.data);
    free(s.reasoning.data);
    free(s.answer.data);
    l1_ctx_free(c);
    l1_model_free(m);
    return rc;
}

/* ---- l1 run --samples K [--vote] ------------------------------------------------------------ */

typedef struct samples {
    l1cli_stream *s; /* one per response */
    l1cli_stream *prompt_stream; /* holds the prompt's progress line */
} samples;

static int on_sample(int32_t seq, const l1_piece *p, void *user) {
    samples *ss = user;
    if (ss->prompt_stream->prompt_progress) {
        l1cli_progress_clear(ss->prompt_stream->prompt_progress);
        ss->prompt_stream->prompt_progress = NULL;
    }
    return l1cli_on_piece(p, &ss->s[seq]);
}

/* The content of the last \boxed{...} in text[0..n) (braces balanced),
 * as a malloc'd string with surrounding spaces trimmed, or NULL. */
static char *boxed_answer(const char *text, size_t n) {
    static const char key[] = "\\boxed{";
    const size_t k = sizeof key - 1;
    char *best = NULL;
    for (size_t i = 0; text && i + k <= n; i++) {
        if (memcmp(text + i, key, k) != 0) continue;
        size_t b = i + k, e = b;
        int depth = 1;
        while (e < n && depth > 0) {
            if (text[e] == '{') depth++;
            else if (text[e] == '}') depth--;
            if (depth > 0) e++;
        }
        if (depth != 0) continue; /* not closed */
        while (b < e && (text[b] == ' ' || text[b] == '\t' || text[b] == '\n')) b++;
        size_t m = e;
        while (m > b && (text[m - 1] == ' ' || text[m - 1] == '\t' || text[m - 1] == '\n')) m--;
        char *a = malloc(m - b + 1);
        if (!a) continue;
        memcpy(a, text + b, m - b);
        a[m - b] = '\0';
        free(best);
        best = a;
    }
    return best;
}

/* Majority of the k answers (NULL = none): *winner gets the index of the
 * first response holding the most frequent answer, or -1; returns its count.
 * A tie goes to the answer seen first. */
static int32_t vote(char *const *ans, int32_t k, int32_t *winner) {
    int32_t best = 0;
    *winner = -1;
    for (int32_t i = 0; i < k; i++) {
        if (!ans[i]) continue;
        int32_t c = 0;
        for (int32_t j = 0; j < k; j++) c += ans[j] && !strcmp(ans[i], ans[j]);
        if (c > best) best = c, *winner = i;
    }
    return best;
}

static int run_samples(const l1cli_gen_opts *opts, const char *prompt, bool json, int32_t k, bool with_vote) {
    l1_model *m;
    l1_ctx *c;
    double load_ms;
    l1cli_gen_opts lo = *opts;
    lo.ctx_prompt = prompt;
    lo.n_seq = k;
    int rc = l1cli_gen_load("run", &lo, &m, &c, &load_ms);
    if (rc) return rc;
    l1cli_gen_opts o = *opts;
    l1cli_progress pr;
    l1cli_progress_begin(&pr, "run", "evaluating the prompt");
    l1cli_stream ps = {&o, {0}, {0}, {0}, true, &pr};
    l1cli_stream *st_all = calloc((size_t)k, sizeof *st_all);
    l1_gen_result *res = calloc((size_t)k, sizeof *res);
    char **ans = calloc((size_t)k, sizeof *ans);
    if (!st_all || !res || !ans) {
        rc = (l1cli_err("run", "out of memory for %d samples", (int)k), 1);
        goto done;
    }
    for (int32_t i = 0; i < k; i++) st_all[i] = (l1cli_stream){&o, {0}, {0}, {0}, true, NULL};
    samples ss = {st_all, &ps};
    o.gp.abort_fn = watch;
    o.gp.abort_user = &ps;
    l1cli_catch_interrupt();
    const double t0 = l1cli_now();
    l1_status st = l1_generate_n(c, prompt, k, &o.gp, on_sample, &ss, res);
    const double wall_ms = (l1cli_now() - t0) * 1e3;
    if (ps.prompt_progress) l1cli_progress_clear(ps.prompt_progress);
    if (st != L1_OK) {
        rc = l1cli_fail("run", "generate", st);
        goto done;
    }
    int64_t decoded = 0;
    for (int32_t i = 0; i < k; i++) {
        const l1cli_stream *si = &st_all[i];
        ans[i] = boxed_answer(si->answer.data, si->answer.len);
        if (!ans[i]) ans[i] = boxed_answer(si->text.data, si->text.len);
        decoded += res[i].decode_tokens;
    }
    int32_t winner;
    const int32_t votes = vote(ans, k, &winner);
    const double agg = wall_ms > 0 ? (double)decoded * 1e3 / wall_ms : 0.0;
    if (json) {
        l1cli_json j;
        l1cli_json_init(&j, stdout, 0);
        l1cli_json_object(&j, NULL);
        l1cli_json_int(&j, "samples", k);
        l1cli_json_uint(&j, "seed", o.gp.seed);
        l1cli_json_array(&j, "responses");
        for (int32_t i = 0; i < k; i++) {
            l1cli_json_object(&j, NULL);
            l1cli_json_uint(&j, "seed", o.gp.seed + (uint64_t)i);
            if (ans[i]) l1cli_json_str(&j, "boxed", ans[i]);
            else l1cli_json_null(&j, "boxed");
            l1cli_result_json_members(&j, &st_all[i], &res[i], load_ms);
            l1cli_json_end(&j);
        }
        l1cli_json_end(&j);
        if (with_vote) {
            l1cli_json_object(&j, "vote");
            if (winner >= 0) l1cli_json_str(&j, "answer", ans[winner]);
            else l1cli_json_null(&j, "answer");
            l1cli_json_int(&j, "count", votes);
            l1cli_json_int(&j, "of", k);
            l1cli_json_end(&j);
        }
        l1cli_json_fixed(&j, "wall_ms", wall_ms, 3);
        l1cli_json_fixed(&j, "aggregate_decode_tps", agg, 3);
        l1cli_json_end(&j);
        l1cli_json_finish(&j);
    } else {
        for (int32_t i = 0; i < k; i++) {
            const l1cli_stream *si = &st_all[i];
            printf("%s--- sample %d of %d (seed %llu) ---\n", i ? "\n" : "", (int)i + 1, (int)k,
                   (unsigned long long)(o.gp.seed + (uint64_t)i));
            const bool hide = o.hide_thinking;
            const l1cli_buf *b = hide ? &si->answer : &si->text;
            if (b->len) fwrite(b->data, 1, b->len, stdout);
            if (!b->len || b->data[b->len - 1] != '\n') fputc('\n', stdout);
        }
        if (with_vote) {
            if (winner >= 0) printf("\nvote: %s (%d of %d)\n", ans[winner], (int)votes, (int)k);
            else printf("\nvote: none (no \\boxed{} answer in %d responses)\n", (int)k);
        }
        fflush(stdout);
        for (int32_t i = 0; i < k; i++) {
            char cmd[32];
            snprintf(cmd, sizeof cmd, "run[%d]", (int)i + 1);
            l1cli_summary(cmd, &res[i], load_ms);
        }
        fprintf(stderr, "l1 run: %d samples decoded together: %lld tokens in %.0f ms, aggregate %.1f t/s\n", (int)k,
                (long long)decoded, wall_ms, agg);
    }
    if (l1cli_stdout_failed()) rc = l1cli_stdout_finish("run", 0);
    else if (l1cli_interrupted(NULL)) rc = 130;
done:
    for (int32_t i = 0; st_all && i < k; i++) {
        free(st_all[i].text.data);
        free(st_all[i].reasoning.data);
        free(st_all[i].answer.data);
        if (ans) free(ans[i]);
    }
    free(st_all);
    free(res);
    free(ans);
    l1_ctx_free(c);
    l1_model_free(m);
    return rc;
}

int l1cli_run(int argc, char **argv) {
    enum { O_JSON = L1CLI_OPT_LONG + 0x80, O_PRINT_PROMPT, O_SAMPLES, O_VOTE };
    static const struct option own[] = {
        {"prompt", required_argument, NULL, 'p'},
        {"file", required_argument, NULL, 'f'},
        {"json", no_argument, NULL, O_JSON},
        {"print-prompt", no_argument, NULL, O_PRINT_PROMPT},
        {"samples", required_argument, NULL, O_SAMPLES},
        {"vote", no_argument, NULL, O_VOTE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option longopts[64];
    l1cli_options_join(longopts, 64, own, l1cli_gen_longopts);
    l1cli_gen_opts o;
    l1cli_gen_init(&o);
    const char *prompt = NULL, *file = NULL, *v;
    bool json = false, show_prompt = false, with_vote = false;
    int32_t n_samples = 0;
    int c;
    while ((c = l1cli_getopt("run", argc, argv, "p:f:h" L1CLI_GEN_SHORTOPTS, longopts, &v)) != -1) {
        if (c == 'h') return run_usage(stdout), 0;
        if (c == '?') return 2;
        if (c == 'p') prompt = v;
        else if (c == 'f') file = v;
        else if (c == O_JSON) json = true;
        else if (c == O_PRINT_PROMPT) show_prompt = true;
        else if (c == O_SAMPLES) {
            if (!int_arg("run", "--samples", v, 1, L1_MAX_SEQ, &n_samples)) return 2;
        } else if (c == O_VOTE) with_vote = true;
        else if (l1cli_gen_option("run", c, v, &o) != 1) return 2;
    }
    if (optind < argc) return l1cli_usage_err("run", "unexpected argument '%s'", argv[optind]);
    int rc = l1cli_gen_finish_opts("run", &o);
    if (rc) return rc;
    if (!prompt == !file) return l1cli_usage_err("run", "give exactly one of -p PROMPT and -f FILE");
    if (with_vote && !n_samples) return l1cli_usage_err("run", "--vote needs --samples K");
    if (n_samples && show_prompt) return l1cli_usage_err("run", "--print-prompt and --samples do not go together");
    char *text = NULL;
    size_t text_len;
    if (file && l1cli_read_file("run", file, false, &text, &text_len)) return 1;
    if (json) o.color = false;
    if (n_samples) rc = run_samples(&o, text ? text : prompt, json, n_samples, with_vote);
    else rc = show_prompt ? print_prompt(&o, text ? text : prompt) : run_generate(&o, text ? text : prompt, json);
    free(text);
    return rc;
}
