/*
 * cmd_synth.c - `l1 synth`: writes a synthetic Qwen2 model (lib/synth.c)
 * of a preset or custom shape, for tests and benchmarks.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "cli.h"
#include "tooling/synth.h"
#include "gguf/types.h"

static void synth_usage(FILE *f) {
    fprintf(f,
            "usage: l1 synth -o OUT.gguf [--preset tiny|small|l1-1.5b] [--layers N] [--embd N]\n"
            "                [--ff N] [--heads N] [--kv-heads N] [--ctx N] [--vocab-from VOCAB.gguf]\n"
            "                [--type F32|F16|BF16|Q8_0|...] [--embd-type TYPE] [--seed S] [--tied]\n"
            "                [--max-size SIZE]\n"
            "Writes a Qwen2 model with random weights and the metadata layout of a real L1 file.\n"
            "OUT must be absent or a regular file (a symbolic link, directory or device is refused).\n"
            "The file's size is estimated first: a model over --max-size (default 16G; K, M, G, T\n"
            "suffixes; 0 = no limit) or over the free space of OUT's file system is refused.\n"
            "Ctrl-C or SIGTERM cancels and removes the temporary files.\n"
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
        l1cli_usage_err("synth", "unknown type '%s'", v ? v : "");
        return 0;
    }
    *out = (uint32_t)t;
    return 1;
}

enum { O_PRESET = L1CLI_OPT_LONG, O_LAYERS, O_EMBD, O_FF, O_HEADS, O_KV_HEADS, O_CTX, O_TYPE, O_EMBD_TYPE,
       O_VOCAB_FROM, O_SEED, O_TIED, O_MAX_SIZE };

/* The default --max-size: room for L1-Qwen-1.5B-Max's shapes in F32 (7 GB). */
#define DEFAULT_MAX_SIZE ((uint64_t)16 << 30)

static const struct option k_longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"preset", required_argument, NULL, O_PRESET},
    {"layers", required_argument, NULL, O_LAYERS},
    {"embd", required_argument, NULL, O_EMBD},
    {"ff", required_argument, NULL, O_FF},
    {"heads", required_argument, NULL, O_HEADS},
    {"kv-heads", required_argument, NULL, O_KV_HEADS},
    {"ctx", required_argument, NULL, O_CTX},
    {"type", required_argument, NULL, O_TYPE},
    {"embd-type", required_argument, NULL, O_EMBD_TYPE},
    {"vocab-from", required_argument, NULL, O_VOCAB_FROM},
    {"seed", required_argument, NULL, O_SEED},
    {"tied", no_argument, NULL, O_TIED},
    {"max-size", required_argument, NULL, O_MAX_SIZE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Options that set a field; returns 1 handled, 0 error. */
static int set_field(int c, const char *v, l1__synth_params *p, int *embd_set) {
    static const struct { int code; const char *opt; size_t off; int64_t hi; } ints[] = {
        {O_LAYERS, "--layers", offsetof(l1__synth_params, n_layer), 4096},
        {O_EMBD, "--embd", offsetof(l1__synth_params, n_embd), 1 << 20},
        {O_FF, "--ff", offsetof(l1__synth_params, n_ff), 1 << 20},
        {O_HEADS, "--heads", offsetof(l1__synth_params, n_head), 65536},
        {O_KV_HEADS, "--kv-heads", offsetof(l1__synth_params, n_head_kv), 65536},
        {O_CTX, "--ctx", offsetof(l1__synth_params, n_ctx_train), INT32_MAX},
    };
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
        if (c == ints[k].code) return int_opt(ints[k].opt, v, 1, ints[k].hi, (int32_t *)((char *)p + ints[k].off));
    switch (c) {
    case O_TYPE: return type_opt(v, &p->type);
    case O_EMBD_TYPE: return (*embd_set = 1) && type_opt(v, &p->embd_type);
    case O_VOCAB_FROM: return (p->vocab_from = v) != NULL;
    case O_SEED: {
        int64_t s;
        if (!l1cli_parse_i64("synth", "--seed", v, 0, INT64_MAX, &s)) return 0;
        p->seed = (uint64_t)s;
        return 1;
    }
    case O_TIED: return p->tied = true;
    default: return 0;
    }
}

/* "123", "64M", "16G": bytes; false (after a usage error) otherwise. */
static bool parse_size(const char *v, uint64_t *out) {
    static const char units[] = "KMGT";
    char *end = NULL;
    errno = 0;
    const unsigned long long x = v[0] >= '0' && v[0] <= '9' ? strtoull(v, &end, 10) : 0;
    const char *u = end && *end && !end[1] ? strchr(units, *end) : NULL;
    const int shift = end && !*end ? 0 : u ? 10 * (int)(u - units + 1) : -1;
    if (!end || errno || shift < 0 || (shift && x > (UINT64_MAX >> shift))) {
        l1cli_usage_err("synth", "--max-size: expected a byte count with an optional K, M, G or T suffix, got '%s'", v);
        return false;
    }
    *out = (uint64_t)x << shift;
    return true;
}

static double gib(uint64_t b) { return (double)b / (double)(1u << 30); }

/* Refuses a model larger than the limit or than the free space where it is
 * written (the file, plus the temporary file a large model is streamed
 * through); 0 or an exit status. */
static int check_size(const l1__synth_params *p, const char *out, uint64_t max_size) {
    uint64_t file = 0, scratch = 0;
    l1_status st = l1__synth_size(p, &file, &scratch);
    if (st != L1_OK) return l1cli_fail("synth", out, st);
    if (max_size && file > max_size)
        return l1cli_err("synth", "%s: the model would take %.2f GiB, over the %.2f GiB limit (raise it with "
                         "--max-size, 0 = no limit)", out, gib(file), gib(max_size)), 1;
    /* The free space of the directory OUT goes into. */
    char dir[4096];
    const char *slash = strrchr(out, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == out) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
    struct statvfs fs;
    if (statvfs(dir, &fs) != 0) return l1cli_err("synth", "%s: %s", dir, strerror(errno)), 1;
    const unsigned long long avail = (unsigned long long)fs.f_bavail * fs.f_frsize;
    const uint64_t need = file + scratch >= file ? file + scratch : UINT64_MAX;
    if (need > avail)
        return l1cli_err("synth", "%s: the model needs %.2f GiB (%.2f GiB file%s) but %s has %.2f GiB free", out,
                         gib(need), gib(file), scratch ? " plus as much for a temporary file" : "", dir,
                         gib(avail)), 1;
    return 0;
}

static int on_progress(float f, void *user) {
    l1cli_progress_update(user, f, NULL);
    return l1cli_terminated(); /* SIGINT/SIGTERM: cancel, the writer removes its files */
}

int l1cli_synth(int argc, char **argv) {
    const char *out = NULL, *preset = "small", *v;
    int c;
    /* The preset first (the other options change its fields). */
    while ((c = l1cli_getopt("synth", argc, argv, "o:h", k_longopts, &v)) != -1) {
        if (c == 'h') return synth_usage(stdout), 0;
        if (c == '?') return 2;
        if (c == O_PRESET) preset = v;
    }
    if (optind < argc) return l1cli_usage_err("synth", "unexpected argument '%s'", argv[optind]);
    l1__synth_params p;
    if (l1__synth_preset(preset, &p) != L1_OK)
        return l1cli_usage_err("synth", "--preset: unknown preset '%s' (tiny, small, l1-1.5b)", preset);
    int embd_set = 0;
    uint64_t max_size = DEFAULT_MAX_SIZE;
    char **again = malloc((size_t)(argc + 1) * sizeof *again); /* a fresh argv restarts getopt */
    if (!again) return l1cli_err("synth", "out of memory"), 1;
    memcpy(again, argv, (size_t)argc * sizeof *again);
    again[argc] = NULL;
    while ((c = l1cli_getopt("synth", argc, again, "o:h", k_longopts, &v)) != -1) {
        if (c == 'o') out = v;
        else if (c == O_MAX_SIZE && !parse_size(v, &max_size)) {
            free(again);
            return 2;
        } else if (c != O_PRESET && c != O_MAX_SIZE && !set_field(c, v, &p, &embd_set)) {
            free(again);
            return 2;
        }
    }
    free(again);
    if (!out) return l1cli_usage_err("synth", "no output: use -o OUT.gguf");
    if (!embd_set) p.embd_type = p.type;
    int rc = l1cli_check_output_path("synth", out);
    if (rc || (rc = check_size(&p, out, max_size))) return rc;
    l1cli_progress pr;
    l1cli_progress_begin(&pr, "synth", "writing");
    p.progress = on_progress;
    p.progress_user = &pr;
    const double t0 = l1cli_now();
    l1cli_catch_termination();
    l1_status st = l1__synth_write(&p, out);
    l1cli_restore_termination();
    l1cli_progress_clear(&pr);
    const int sig = l1cli_terminated();
    if (st == L1_ERR_ABORTED && sig) {
        l1cli_err("synth", "interrupted; %s was not written", out);
        return 128 + sig;
    }
    if (st != L1_OK) return l1cli_fail("synth", out, st);
    fprintf(stderr, "l1 synth: wrote %s (%d layers, n_embd %d, n_ff %d, %s) in %.1f s%s\n", out, p.n_layer,
            p.n_embd, p.n_ff, l1__type_name(p.type), l1cli_now() - t0,
            sig ? " (the interrupt came after the last tensor)" : "");
    return sig ? 128 + sig : 0;
}
