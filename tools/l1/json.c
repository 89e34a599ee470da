/*
 * json.c - the JSON writer of the `l1` tool (json.h).
 */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s[0..n), or 0 (overlong forms,
 * surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    const unsigned c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0) len = 2, cp = c & 0x1f, min = 0x80;
    else if ((c & 0xf0) == 0xe0) len = 3, cp = c & 0x0f, min = 0x800;
    else if ((c & 0xf8) == 0xf0) len = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

void l1cli_json_escape(FILE *f, const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        const unsigned c = s[i];
        const size_t len = utf8_seq(s + i, n - i);
        if (len == 0) fputs("\\ufffd", f);
        else if (c == '"') fputs("\\\"", f);
        else if (c == '\\') fputs("\\\\", f);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c == '\b') fputs("\\b", f);
        else if (c == '\f') fputs("\\f", f);
        else if (c < 0x20 || c == 0x7f) fprintf(f, "\\u%04x", c);
        else fwrite(s + i, 1, len, f);
        i += len ? len : 1;
    }
    fputc('"', f);
}

void l1cli_json_init(l1cli_json *j, FILE *f, int indent) {
    memset(j, 0, sizeof *j);
    j->f = f;
    j->indent = indent;
}

static void newline(l1cli_json *j) {
    fputc('\n', j->f);
    for (int i = 0; i < j->depth * j->indent; i++) fputc(' ', j->f);
}

/* The separator and key before a value at the current level. */
static void before(l1cli_json *j, const char *key) {
    if (j->depth > 0) {
        if (j->has_items[j->depth]) fputc(',', j->f);
        if (j->indent) newline(j);
        else if (j->has_items[j->depth]) fputc(' ', j->f);
        j->has_items[j->depth] = true;
    }
    if (key) {
        l1cli_json_escape(j->f, key, strlen(key));
        fputs(": ", j->f);
    }
}

static void open_level(l1cli_json *j, const char *key, char open, char close) {
    before(j, key);
    fputc(open, j->f);
    if (j->depth + 1 < L1CLI_JSON_MAX_DEPTH) j->depth++;
    j->has_items[j->depth] = false;
    j->close[j->depth] = close;
}

void l1cli_json_object(l1cli_json *j, const char *key) { open_level(j, key, '{', '}'); }
void l1cli_json_array(l1cli_json *j, const char *key) { open_level(j, key, '[', ']'); }

void l1cli_json_end(l1cli_json *j) {
    if (j->depth == 0) return;
    const char close = j->close[j->depth];
    const bool had = j->has_items[j->depth];
    j->depth--;
    if (had && j->indent) newline(j);
    fputc(close, j->f);
}

void l1cli_json_str(l1cli_json *j, const char *key, const char *s) {
    l1cli_json_strn(j, key, s ? s : "", s ? strlen(s) : 0);
}

void l1cli_json_strn(l1cli_json *j, const char *key, const char *s, size_t n) {
    before(j, key);
    l1cli_json_escape(j->f, s, n);
}

void l1cli_json_int(l1cli_json *j, const char *key, int64_t v) {
    before(j, key);
    fprintf(j->f, "%" PRId64, v);
}

void l1cli_json_uint(l1cli_json *j, const char *key, uint64_t v) {
    before(j, key);
    fprintf(j->f, "%" PRIu64, v);
}

void l1cli_json_num(l1cli_json *j, const char *key, double v, int digits) {
    before(j, key);
    if (isfinite(v)) fprintf(j->f, "%.*g", digits, v);
    else fputs("null", j->f);
}

void l1cli_json_fixed(l1cli_json *j, const char *key, double v, int decimals) {
    before(j, key);
    if (isfinite(v)) fprintf(j->f, "%.*f", decimals, v);
    else fputs("null", j->f);
}

void l1cli_json_bool(l1cli_json *j, const char *key, bool v) {
    before(j, key);
    fputs(v ? "true" : "false", j->f);
}

void l1cli_json_null(l1cli_json *j, const char *key) {
    before(j, key);
    fputs("null", j->f);
}

void l1cli_json_finish(l1cli_json *j) {
    fputc('\n', j->f);
    fflush(j->f);
}
