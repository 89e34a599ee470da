/*
 * cli.h - shared pieces of the `l1` command-line tool: the subcommand
 * signature and small argument helpers.  Each subcommand lives in its own
 * file (cmd_<name>.c) and returns the process exit status: 0 success,
 * 1 failure (message already on stderr), 2 bad usage.
 */
#ifndef L1_CLI_H
#define L1_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "l1.h"

typedef int (*l1cli_cmd_fn)(int argc, char **argv);

/* Subcommands (argv[0] is the subcommand name). */
int l1cli_info(int argc, char **argv);
int l1cli_quantize(int argc, char **argv);
int l1cli_synth(int argc, char **argv);
int l1cli_logits(int argc, char **argv);
int l1cli_tokenize(int argc, char **argv);
int l1cli_run(int argc, char **argv);
int l1cli_chat(int argc, char **argv);
int l1cli_bench(int argc, char **argv);

/* Prints "l1 <cmd>: <message>" to stderr. */
void l1cli_err(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prints "l1 <cmd>: <what>: <status>: <l1_last_error()>" and returns 1. */
int l1cli_fail(const char *cmd, const char *what, l1_status st);

/* Parses a whole decimal integer in [lo, hi]; false (with a message naming
 * the option) otherwise. */
bool l1cli_parse_i64(const char *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                     int64_t *out);
bool l1cli_parse_f64(const char *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out);

/* True when argv[*i] is `opt`; then *val is the next argument (advancing *i),
 * or an error is printed when there is none (*val = NULL, returns true). */
bool l1cli_opt(int argc, char **argv, int *i, const char *opt, const char **val);

/* ---- generation options shared by `l1 run` and `l1 chat` (cmd_run.c) ---- */

#include <stdio.h>

#define L1CLI_MAX_LIST 16

typedef struct l1cli_gen_opts {
    const char *model;
    int32_t n_ctx, n_threads;  /* 0 = defaults */
    l1_gen_params gp;
    bool think_set, mode_set;  /* --think / --budget given */
    bool hide_thinking;
    bool color;                /* stdout is a terminal and NO_COLOR is unset */
    const char *stops[L1CLI_MAX_LIST];
    int32_t n_stop;
    l1_logit_bias bias[L1CLI_MAX_LIST];
    int32_t n_bias;
} l1cli_gen_opts;

typedef struct l1cli_buf {
    char *data; /* NUL-terminated once anything was added */
    size_t len, cap;
} l1cli_buf;

/* What a response streamed: all text (tags included), reasoning, answer. */
typedef struct l1cli_stream {
    const l1cli_gen_opts *o;
    l1cli_buf text, reasoning, answer;
    bool quiet; /* record only, print nothing */
} l1cli_stream;

void l1cli_gen_init(l1cli_gen_opts *o);
/* 1 handled, 0 error (printed), -1 not a generation option. */
int l1cli_gen_parse(const char *cmd, int argc, char **argv, int *i, l1cli_gen_opts *o);
/* Checks and completes the options; 0 or an exit status. */
int l1cli_gen_finish_opts(const char *cmd, l1cli_gen_opts *o);
void l1cli_gen_usage(FILE *f);
/* Loads the model and makes the context; 0 or an exit status. */
int l1cli_gen_load(const char *cmd, const l1cli_gen_opts *o, l1_model **m, l1_ctx **c, double *load_ms);
void l1cli_buf_add(l1cli_buf *b, const char *s, size_t n);
/* l1_piece_fn printing to stdout and recording into an l1cli_stream. */
int l1cli_on_piece(const l1_piece *p, void *user);
/* The one-line summary on stderr. */
void l1cli_summary(const char *cmd, const l1_gen_result *r, double load_ms);

#endif /* L1_CLI_H */
