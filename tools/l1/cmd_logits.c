/*
 * cmd_logits.c - `l1 logits`: evaluates a token sequence and writes the raw
 * logits (little-endian f32, n_vocab per position) for parity checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <getopt.h>

#include "cli.h"

static void logits_usage(FILE *f) {
    fprintf(f,
            "usage: l1 logits -m MODEL (--tokens ID,ID,... | --prompt TEXT) [--all] [--ctx N]\n"
            "                 [--kv-type f16|f32] [--f32] -o OUT.f32\n"
            "Writes n_vocab little-endian f32 logits for the last position (every position with\n"
            "--all).  --f32 keeps activations in f32 (a higher-precision reference).\n");
}

/* Parses "1,2,3" into a new array; returns the count or -1. */
static int32_t parse_tokens(const char *s, l1_token **out) {
    int32_t n = 1;
    for (const char *p = s; *p; p++) n += *p == ',';
    l1_token *t = malloc((size_t)n * sizeof *t);
    if (!t) return -1;
    const char *p = s;
    for (int32_t i = 0; i < n; i++) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX || (*end != ',' && *end != '\0')) {
            free(t);
            return -1;
        }
        t[i] = (l1_token)v;
        p = end + 1;
    }
    *out = t;
    return n;
}

static int32_t tokenize_prompt(const l1_model *m, const char *text, l1_token **out) {
    int32_t need = l1_tokenize(m, text, strlen(text), NULL, 0, L1_TOKENIZE_SPECIAL);
    if (need == L1_TOKEN_ERROR) return -1;
    if (need < 0) need = -need;
    *out = malloc((size_t)(need ? need : 1) * sizeof **out);
    if (!*out) return -1;
    return l1_tokenize(m, text, strlen(text), *out, need, L1_TOKENIZE_SPECIAL);
}

typedef struct opts {
    const char *model, *tokens, *prompt, *out;
    int all, f32;
    int64_t n_ctx;
    l1_kv_type kv;
} opts;

static int parse(int argc, char **argv, opts *o) {
    enum { O_TOKENS = L1CLI_OPT_LONG, O_PROMPT, O_CTX, O_KV, O_ALL, O_F32 };
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},
        {"tokens", required_argument, NULL, O_TOKENS},
        {"prompt", required_argument, NULL, O_PROMPT},
        {"output", required_argument, NULL, 'o'},
        {"ctx", required_argument, NULL, O_CTX},
        {"kv", required_argument, NULL, O_KV},
        {"kv-type", required_argument, NULL, O_KV},
        {"all", no_argument, NULL, O_ALL},
        {"f32", no_argument, NULL, O_F32},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    const char *v;
    int c;
    while ((c = l1cli_getopt("logits", argc, argv, "m:o:h", longopts, &v)) != -1) {
        switch (c) {
        case 'h': logits_usage(stdout); return 0;
        case 'm': o->model = v; break;
        case O_TOKENS: o->tokens = v; break;
        case O_PROMPT: o->prompt = v; break;
        case 'o': o->out = v; break;
        case O_CTX:
            if (!l1cli_parse_i64("logits", "--ctx", v, 1, INT32_MAX, &o->n_ctx)) return 2;
            break;
        case O_KV:
            if (strcmp(v, "f16") && strcmp(v, "f32")) return l1cli_usage_err("logits", "--kv-type: f16 or f32, got '%s'", v);
            o->kv = strcmp(v, "f32") ? L1_KV_F16 : L1_KV_F32;
            break;
        case O_ALL: o->all = 1; break;
        case O_F32: o->f32 = 1; break;
        default: return 2;
        }
    }
    if (optind < argc) return l1cli_usage_err("logits", "unexpected argument '%s'", argv[optind]);
    if (!o->model || !o->out || !o->tokens == !o->prompt)
        return l1cli_usage_err("logits", "need -m MODEL, -o OUT and exactly one of --tokens and --prompt");
    return -1;
}

/* Polled between layers: draws the evaluation's progress (terminal only). */
static int eval_progress(void *user) {
    l1cli_progress_update(user, -1, NULL);
    return 0;
}

static int run(const opts *o, l1_model *m, const l1_token *toks, int32_t n) {
    l1cli_progress pr;
    l1cli_progress_begin(&pr, "logits", "evaluating");
    l1_ctx_params cp = l1_ctx_default_params();
    cp.abort_fn = eval_progress;
    cp.abort_user = &pr;
    cp.n_ctx = o->n_ctx ? (int32_t)o->n_ctx : (n > 4096 ? n : 0);
    cp.kv_type = o->kv;
    cp.f32_activations = o->f32;
    l1_ctx *ctx;
    l1_status st = l1_ctx_new(m, &cp, &ctx);
    if (st != L1_OK) return l1cli_fail("logits", "context", st);
    st = l1_ctx_eval(ctx, toks, n, o->all ? L1_EVAL_ALL_LOGITS : 0);
    l1cli_progress_clear(&pr);
    if (st != L1_OK) return l1_ctx_free(ctx), l1cli_fail("logits", "eval", st);
    FILE *f = fopen(o->out, "wb");
    int rc = 0;
    if (!f) rc = (l1cli_err("logits", "cannot create %s", o->out), 1);
    const size_t nv = (size_t)l1_n_vocab(m);
    for (int32_t i = o->all ? 0 : n - 1; f && !rc && i < n; i++)
        if (fwrite(l1_ctx_logits(ctx, i), sizeof(float), nv, f) != nv) rc = (l1cli_err("logits", "writing %s failed", o->out), 1);
    if (f && fclose(f) != 0 && !rc) rc = (l1cli_err("logits", "writing %s failed", o->out), 1);
    if (!rc)
        fprintf(stderr, "l1 logits: wrote %d x %zu f32 logits to %s\n", o->all ? n : 1, nv, o->out);
    l1_ctx_free(ctx);
    return rc;
}

int l1cli_logits(int argc, char **argv) {
    opts o;
    int r = parse(argc, argv, &o);
    if (r >= 0) return r;
    l1_model *m;
    l1cli_progress pr;
    l1cli_progress_begin(&pr, "logits", "loading the model");
    l1_model_params mp = l1_model_default_params();
    mp.progress = l1cli_progress_load;
    mp.progress_user = &pr;
    l1_status st = l1_model_load(o.model, &mp, &m);
    l1cli_progress_clear(&pr);
    if (st != L1_OK) return l1cli_fail("logits", o.model, st);
    l1_token *toks = NULL;
    int32_t n = o.tokens ? parse_tokens(o.tokens, &toks) : tokenize_prompt(m, o.prompt, &toks);
    if (n < 1) {
        free(toks);
        l1_model_free(m);
        return l1cli_usage_err("logits", "%s", o.tokens ? "--tokens: expected ID,ID,..." : "the prompt gave no tokens");
    }
    int rc = run(&o, m, toks, n);
    free(toks);
    l1_model_free(m);
    return rc;
}
