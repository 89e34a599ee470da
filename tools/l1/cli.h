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

#endif /* L1_CLI_H */
