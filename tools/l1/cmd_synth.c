/*
 * cmd_synth.c - `l1 synth`: writes a synthetic Qwen2 model (lib/synth.c)
 * of a preset or custom shape, for tests and benchmarks.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tooling/synth.h"
#include "gguf/types.h"

static void synth_usage(FILE *f) {
    fprintf(f,
            "usage: l1 synth -o OUT.gguf [--preset tiny|small|l1-1.5b] [--layers N] [--embd N]\n"
            "                [--ff N] [--heads N] [--kv-heads N] [--ctx N] [--vocab-from VOCAB.gguf]\n"
            "                [--type F32|F16|BF16|Q8_0|...] [--embd-type TYPE] [--seed S] [--tied]\n"
            "Writes a Qwen2 model with random weights and the metadata layout of a real L1 file.\n"
            "--vocab-from copies the tokenizer of another GGUF (e.g. ggml-vocab-qwen2.gguf);\n"
            "otherwise a small byte-level vocabulary is built in.  --embd-type defaults to --type.\n");
}

static int int_opt(const char *opt, const char *v, int64_t lo, int64_t hi, int32_t *out) {
    int64_t x;
    if (!l1cli_parse_i64("synth", opt, v, lo, hi, &x)) return 0;
    *out = (int32_t)x;
    return 1;
}

static int type_opt(const char *v, uint32_t *out) {
    l1__type t;
    if (!v || !l1__type_from_name(v, &t)) {
        l1cli_err("synth", "unknown type '%s'", v ? v : "");
        return 0;
    }
    *out = (uint32_t)t;
    return 1;
}

/* Options that set a field; returns 1 handled, 0 error, -1 not this kind. */
static int parse_field(int argc, char **argv, int *i, l1__synth_params *p, int *embd_set) {
    const char *v;
    static const struct { const char *opt; size_t off; int64_t hi; } ints[] = {
        {"--layers", offsetof(l1__synth_params, n_layer), 4096},
        {"--embd", offsetof(l1__synth_params, n_embd), 1 << 20},
        {"--ff", offsetof(l1__synth_params, n_ff), 1 << 20},
        {"--heads", offsetof(l1__synth_params, n_head), 65536},
        {"--kv-heads", offsetof(l1__synth_params, n_head_kv), 65536},
        {"--ctx", offsetof(l1__synth_params, n_ctx_train), INT32_MAX},
    };
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
        if (l1cli_opt(argc, argv, i, ints[k].opt, &v))
            return v && int_opt(ints[k].opt, v, 1, ints[k].hi, (int32_t *)((char *)p + ints[k].off));
    if (l1cli_opt(argc, argv, i, "--type", &v)) return v && type_opt(v, &p->type);
    if (l1cli_opt(argc, argv, i, "--embd-type", &v)) return v && (*embd_set = 1) && type_opt(v, &p->embd_type);
    if (l1cli_opt(argc, argv, i, "--vocab-from", &v)) return (p->vocab_from = v) != NULL;
    if (l1cli_opt(argc, argv, i, "--seed", &v)) {
        int64_t s;
        if (!v || !l1cli_parse_i64("synth", "--seed", v, 0, INT64_MAX, &s)) return 0;
        p->seed = (uint64_t)s;
        return 1;
    }
    if (!strcmp(argv[*i], "--tied")) return p->tied = true;
    return -1;
}

static int on_progress(float f, void *user) {
    int *last = user;
    int pct = (int)(f * 100.0f);
    if (pct / 10 != *last / 10) fprintf(stderr, "\rl1 synth: %3d%%", pct);
    *last = pct;
    return 0;
}

int l1cli_synth(int argc, char **argv) {
    const char *out = NULL, *preset = "small";
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--preset") && i + 1 < argc) preset = argv[i + 1];
    l1__synth_params p;
    if (l1__synth_preset(preset, &p) != L1_OK) return l1cli_fail("synth", "--preset", L1_ERR_INVALID_ARG), 2;
    int embd_set = 0, last = -1;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return synth_usage(stdout), 0;
        if (l1cli_opt(argc, argv, &i, "--preset", &v)) continue;
        if (l1cli_opt(argc, argv, &i, "-o", &v)) {
            if (!(out = v)) return 2;
            continue;
        }
        int r = parse_field(argc, argv, &i, &p, &embd_set);
        if (r == 0) return 2;
        if (r < 0) {
            l1cli_err("synth", "unknown option '%s'", argv[i]);
            synth_usage(stderr);
            return 2;
        }
    }
    if (!out) return synth_usage(stderr), 2;
    if (!embd_set) p.embd_type = p.type;
    p.progress = on_progress;
    p.progress_user = &last;
    clock_t t0 = clock();
    l1_status st = l1__synth_write(&p, out);
    fputc('\n', stderr);
    if (st != L1_OK) return l1cli_fail("synth", out, st);
    fprintf(stderr, "l1 synth: wrote %s (%d layers, n_embd %d, n_ff %d, %s) in %.1f s CPU\n", out,
            p.n_layer, p.n_embd, p.n_ff, l1__type_name(p.type), (double)(clock() - t0) / CLOCKS_PER_SEC);
    return 0;
}
