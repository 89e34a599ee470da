/*
 * json.h - the one JSON writer of the `l1` tool.  Every command that prints
 * JSON (info, tokenize, run, chat, bench) goes through it, so escaping and
 * number formatting are decided in one place and tested once
 * (tests/test_cli.c).
 *
 * A writer streams to a FILE as values are added; it tracks nesting so
 * commas come out right.  Members of an object take a key, elements of an
 * array and the top-level value take NULL.  Strings are escaped: quote,
 * backslash and every control character; bytes that are not valid UTF-8
 * become U+FFFD, so the output is always valid JSON in UTF-8.  Non-finite
 * numbers are written as null.
 */
#ifndef L1_CLI_JSON_H
#define L1_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define L1CLI_JSON_MAX_DEPTH 16 /* levels of nesting; the tool uses at most 4 */

typedef struct l1cli_json {
    FILE *f;
    int indent;                           /* 0: one line; n: n spaces per level */
    int depth;
    bool has_items[L1CLI_JSON_MAX_DEPTH]; /* a value was written at this level */
    char close[L1CLI_JSON_MAX_DEPTH];     /* '}' or ']' ending this level */
} l1cli_json;

void l1cli_json_init(l1cli_json *j, FILE *f, int indent);
void l1cli_json_object(l1cli_json *j, const char *key);
void l1cli_json_array(l1cli_json *j, const char *key);
/* Closes the innermost object or array. */
void l1cli_json_end(l1cli_json *j);
void l1cli_json_str(l1cli_json *j, const char *key, const char *s);
void l1cli_json_strn(l1cli_json *j, const char *key, const char *s, size_t n);
void l1cli_json_int(l1cli_json *j, const char *key, int64_t v);
void l1cli_json_uint(l1cli_json *j, const char *key, uint64_t v);
/* %.*g with `digits` significant digits (17 round-trips a double). */
void l1cli_json_num(l1cli_json *j, const char *key, double v, int digits);
/* Fixed-point with `decimals` places, as llama-bench writes t/s. */
void l1cli_json_fixed(l1cli_json *j, const char *key, double v, int decimals);
void l1cli_json_bool(l1cli_json *j, const char *key, bool v);
void l1cli_json_null(l1cli_json *j, const char *key);
/* Ends the top-level value with a newline. */
void l1cli_json_finish(l1cli_json *j);

/* Writes s[0..n) as a quoted, escaped JSON string. */
void l1cli_json_escape(FILE *f, const char *s, size_t n);

#endif /* L1_CLI_JSON_H */
