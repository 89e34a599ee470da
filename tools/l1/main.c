/*
 * main.c - the `l1` tool: one binary with subcommands.  Output meant for
 * machines or pipes goes to stdout; progress and errors go to stderr.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *name;
    l1cli_cmd_fn fn;
    const char *summary;
} command;

static const command k_commands[] = {
    {"info", l1cli_info, "inspect a GGUF file (metadata, tensors, memory; --json)"},
    {"synth", l1cli_synth, "write a synthetic Qwen2 model (random weights, any shape)"},
    {"logits", l1cli_logits, "write the raw f32 logits of a token sequence"},
    {"quantize", l1cli_quantize, "quantize an F32/F16/BF16 model (Q4_0 .. Q6_K, Q4_K_M mixes)"},
    {"tokenize", l1cli_tokenize, "print the token ids of a text (--json: with pieces)"},
    {"run", l1cli_run, "generate a response with a thinking budget (--think N; --json)"},
    {"chat", l1cli_chat, "interactive multi-turn chat (reads lines from stdin)"},
    {"bench", l1cli_bench, "prompt and generation speed, llama-bench style (-p 512 -n 128)"},
};

void l1cli_err(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "l1 %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int l1cli_fail(const char *cmd, const char *what, l1_status st) {
    const char *detail = l1_last_error();
    if (detail && detail[0])
        fprintf(stderr, "l1 %s: %s: %s\n", cmd, what, detail);
    else
        fprintf(stderr, "l1 %s: %s: %s\n", cmd, what, l1_status_str(st));
    return 1;
}

bool l1cli_parse_i64(const char *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                     int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno == ERANGE || v < lo || v > hi) {
        l1cli_err(cmd, "%s: expected an integer in [%lld, %lld], got '%s'", opt, (long long)lo,
                  (long long)hi, s ? s : "");
        return false;
    }
    *out = v;
    return true;
}

bool l1cli_parse_f64(const char *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out) {
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || errno == ERANGE || !isfinite(v) || v < lo || v > hi) {
        l1cli_err(cmd, "%s: expected a number in [%g, %g], got '%s'", opt, lo, hi, s ? s : "");
        return false;
    }
    *out = v;
    return true;
}

bool l1cli_opt(int argc, char **argv, int *i, const char *opt, const char **val) {
    if (strcmp(argv[*i], opt) != 0) return false;
    if (*i + 1 >= argc) {
        fprintf(stderr, "l1 %s: option %s needs a value\n", argv[0], opt);
        *val = NULL;
        return true;
    }
    *i += 1;
    *val = argv[*i];
    return true;
}

static void usage(FILE *f) {
    fprintf(f, "usage: l1 <command> [options]   (l1 <command> --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        fprintf(f, "  %-10s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(f, "\n  --version  print the library version\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("l1 %s\n", l1_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        if (!strcmp(argv[1], k_commands[i].name)) return k_commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "l1: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
