/*
 * cli.h - shared pieces of the `l1` command-line tool: the subcommand
 * signature and small argument helpers.  Each subcommand lives in its own
 * file (cmd_<name>.c) and returns the process exit status: 0 success,
 * 1 failure (message already on stderr), 2 bad usage, 130 interrupted
 * (Ctrl-C).  --help prints to stdout and exits 0 for every command.
 */
#ifndef L1_CLI_H
#define L1_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
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
int l1cli_serve(int argc, char **argv);

/* ---- messages ------------------------------------------------------------------
 * Every error is one stderr line starting "l1 <cmd>: ".  Usage errors (exit
 * status 2) end with "(see l1 <cmd> --help)". */

/* Prints "l1 <cmd>: <message>". */
void l1cli_err(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prints "l1 <cmd>: <message> (see l1 <cmd> --help)" and returns 2. */
int l1cli_usage_err(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prints "l1 <cmd>: <l1_last_error()>" (the library's message names its
 * subject), or "l1 <cmd>: <what>: <status>" when there is none; returns 1. */
int l1cli_fail(const char *cmd, const char *what, l1_status st);

/* Parses a whole decimal integer in [lo, hi]; false (after a usage error
 * naming the option) otherwise. */
bool l1cli_parse_i64(const char *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                     int64_t *out);
bool l1cli_parse_f64(const char *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out);

/* Runs the command named in argv[1] (argv[0] is the program); the exit
 * status.  It returns in every case, so it can run many times in one
 * process (tests/fuzz/fuzz_cli.c). */
int l1cli_main(int argc, char **argv);

/* ---- files and standard output (io.c) ------------------------------------------ */

/* The largest file -f reads (a prompt is text; /dev/zero is not one). */
#define L1CLI_MAX_INPUT_BYTES ((size_t)64 << 20)

/* Reads all of `path` ('-' = stdin) into a malloc'd, NUL-terminated buffer.
 * Refuses, with one line naming the file and returning 1: a file that
 * cannot be opened or read, a directory, anything over
 * L1CLI_MAX_INPUT_BYTES, and, unless allow_nul, a NUL byte (a prompt is a C
 * string and would be cut there).  0 on success (*len excludes the NUL). */
int l1cli_read_file(const char *cmd, const char *path, bool allow_nul, char **data, size_t *len);

/* 0 when `path` may be written: absent, or an existing regular file (which
 * is replaced).  Otherwise, one line saying what it is (a symbolic link, a
 * directory, a device ...) and 1: the writers build a temporary file and
 * rename it over the target, which would replace the link or node itself. */
int l1cli_check_output_path(const char *cmd, const char *path);

/* Removes a partly written output file, but only a regular file: a device
 * or pipe named as the output (-o /dev/full) is never unlinked. */
void l1cli_remove_partial(const char *path);

/* True once a write to stdout has failed (the stream's error flag). */
bool l1cli_stdout_failed(void);

/* Flushes stdout.  When a write or the flush failed and rc is 0, prints
 * "l1 <cmd>: writing standard output failed: <reason>" and returns 1;
 * otherwise returns rc.  cmd NULL prints "l1: ...". */
int l1cli_stdout_finish(const char *cmd, int rc);

/* SIGINT, SIGTERM and SIGHUP set a flag (l1cli_terminated) instead of ending
 * the process, so a command writing a file can cancel and remove its
 * temporary files.  Restored by l1cli_restore_termination. */
void l1cli_catch_termination(void);
void l1cli_restore_termination(void);
/* The signal received (0 if none). */
int l1cli_terminated(void);

/* ---- options -------------------------------------------------------------------
 * Every command parses with getopt_long: "-t 2", "-t2", "--threads 2",
 * "--threads=2", unique abbreviations of long names, options after
 * operands, and "--" ending the options. */

/* Codes of long options that have no short form. */
enum { L1CLI_OPT_LONG = 0x100 };

/* The next option (its short letter or code, *arg its value or NULL), -1
 * after the last one (operands start at optind), or '?' after printing a
 * usage error naming the bad option.  The first call for an argv resets
 * getopt. */
int l1cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
                 const struct option *longopts, const char **arg);

/* The same for a command that, like llama-bench, also takes long options
 * after one dash ("-pg 512,128", "-ctk f16"); a single letter that is a
 * short option stays one ("-p 512", "-p512", "-t2"). */
int l1cli_getopt_long_only(const char *cmd, int argc, char **argv, const char *shortopts,
                           const struct option *longopts, const char **arg);

/* Appends the options of `b` to those of `a` into out[cap] (zero-terminated);
 * the count, or -1 when cap is too small. */
int l1cli_options_join(struct option *out, int cap, const struct option *a, const struct option *b);

/* ---- progress ------------------------------------------------------------------
 * Long work shows progress on stderr only when it is a terminal (a line
 * rewritten in place, then erased); on a pipe or file nothing is written
 * until the command's single final line. */

typedef struct l1cli_progress {
    const char *cmd;
    const char *what;
    bool tty;
    bool drawn;      /* a progress line is on the terminal */
    double t0, last; /* seconds (monotonic): start, last redraw */
} l1cli_progress;

/* True when stderr is a terminal (progress is drawn). */
bool l1cli_stderr_is_tty(void);
double l1cli_now(void);
void l1cli_progress_begin(l1cli_progress *p, const char *cmd, const char *what);
/* fraction in [0, 1], or negative when unknown (elapsed time is shown);
 * detail may be NULL.  Redraws at most ten times a second. */
void l1cli_progress_update(l1cli_progress *p, double fraction, const char *detail);
/* Erases the progress line (nothing on a pipe). */
void l1cli_progress_clear(l1cli_progress *p);
/* A model-load progress callback (l1_progress_fn) drawing into user, an
 * l1cli_progress. */
int l1cli_progress_load(float fraction, void *user);

/* ---- generation options shared by `l1 run` and `l1 chat` (cmd_run.c) ---- */

#include <stdio.h>

#define L1CLI_MAX_LIST 16

typedef struct l1cli_gen_opts {
    const char *model;
    int32_t n_ctx, n_threads;  /* 0 = defaults */
    int32_t n_seq;             /* sequences of the context (l1 run --samples); 0 = 1 */
    bool ctx_over_train;       /* --ctx-over-train */
    l1_kv_type kv_type;
    l1_gen_params gp;
    bool think_set, mode_set;  /* --think / --budget given */
    bool hide_thinking;
    bool color;                /* stdout is a terminal and NO_COLOR is unset */
    const char *stops[L1CLI_MAX_LIST];
    int32_t n_stop;
    l1_logit_bias bias[L1CLI_MAX_LIST];
    int32_t n_bias;
    const char *ctx_prompt;    /* l1 run: a default context is sized to this prompt + N */
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
    l1cli_progress *prompt_progress; /* erased at the first piece; may be NULL */
} l1cli_stream;

/* The generation options (getopt_long table, short letters "m:c:t:n:"). */
extern const struct option l1cli_gen_longopts[];
#define L1CLI_GEN_SHORTOPTS "m:c:t:n:"

void l1cli_gen_init(l1cli_gen_opts *o);
/* Handles option `c` with value `arg`: 1 handled, 0 error (printed),
 * -1 not a generation option. */
int l1cli_gen_option(const char *cmd, int c, const char *arg, l1cli_gen_opts *o);
/* Checks and completes the options; 0 or an exit status. */
int l1cli_gen_finish_opts(const char *cmd, l1cli_gen_opts *o);
void l1cli_gen_usage(FILE *f);
/* Loads the model (progress on a terminal) and makes the context; 0 or an
 * exit status. */
int l1cli_gen_load(const char *cmd, const l1cli_gen_opts *o, l1_model **m, l1_ctx **c, double *load_ms);
void l1cli_buf_add(l1cli_buf *b, const char *s, size_t n);
/* l1_piece_fn printing to stdout and recording into an l1cli_stream. */
int l1cli_on_piece(const l1_piece *p, void *user);
/* The one-line summary on stderr. */
void l1cli_summary(const char *cmd, const l1_gen_result *r, double load_ms);
/* The result as one JSON object on stdout. */
void l1cli_print_result_json(const l1cli_stream *s, const l1_gen_result *r, double load_ms);
/* Its members, written into the object `j` has open. */
struct l1cli_json;
void l1cli_result_json_members(struct l1cli_json *j, const l1cli_stream *s, const l1_gen_result *r, double load_ms);

/* Ctrl-C: the first SIGINT sets a flag that l1cli_interrupted() reports
 * (generation stops at the next token, the summary is printed, exit 130);
 * a second one ends the process at once. */
void l1cli_catch_interrupt(void);
int l1cli_interrupted(void *unused);

#endif /* L1_CLI_H */
