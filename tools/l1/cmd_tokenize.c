/*
 * cmd_tokenize.c - `l1 tokenize`: token ids of a text, for scripts and for
 * comparing with other tokenizers.  It reads only the tokenizer metadata
 * (through the GGUF reader, not the model loader), so vocabulary-only
 * files work too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

static void tokenize_usage(FILE *f) {
    fprintf(f,
            "usage: l1 tokenize -m MODEL.gguf (-p TEXT | -f FILE) [--special] [--json]\n"
            "Prints the token ids of TEXT (or of FILE's bytes, exactly) on one line.\n"
            "  --special  recognise control tokens written in the text (\"<|im_end|>\")\n"
            "  --json     print ids with their pieces: {\"n_tokens\":N,\"tokens\":[{\"id\":..,\n"
            "             \"piece\":\"..\",\"bytes\":\"hex\"}]} (piece: invalid UTF-8 shown as U+FFFD)\n");
}

static char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *s = malloc(cap);
    for (;;) {
        if (!s) break;
        const size_t k = fread(s + len, 1, cap - len, f);
        len += k;
        if (len < cap) break;
        char *t = realloc(s, cap *= 2);
        if (!t) {
            free(s);
            s = NULL;
        } else {
            s = t;
        }
    }
    const int err = ferror(f);
    fclose(f);
    if (err) {
        free(s);
        return NULL;
    }
    *n = len;
    return s;
}

/* A JSON string of piece bytes p[0..n): valid UTF-8 as is, each invalid
 * sequence as U+FFFD, control characters escaped. */
static void json_piece(const uint8_t *p, size_t n) {
    putchar('"');
    size_t i = 0;
    while (i < n) {
        const int k = l1__utf8_valid_prefix(p + i, n - i);
        if (k <= 0) {
            fputs("\\ufffd", stdout);
            i++;
            continue;
        }
        const uint8_t c = p[i];
        if (k == 1 && (c < 0x20 || c == '"' || c == '\\')) {
            if (c == '"' || c == '\\') printf("\\%c", c);
            else if (c == '\n') fputs("\\n", stdout);
            else if (c == '\t') fputs("\\t", stdout);
            else if (c == '\r') fputs("\\r", stdout);
            else printf("\\u%04x", c);
        } else {
            fwrite(p + i, 1, (size_t)k, stdout);
        }
        i += (size_t)k;
    }
    putchar('"');
}

static void print_ids(const l1__tokenizer *t, const int32_t *ids, size_t n, int json) {
    if (!json) {
        for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
        putchar('\n');
        return;
    }
    printf("{\"n_tokens\":%zu,\"tokens\":[", n);
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const uint8_t *p = l1__token_piece(t, ids[i], &len);
        printf("%s{\"id\":%d,\"piece\":", i ? "," : "", ids[i]);
        json_piece(p, len);
        fputs(",\"bytes\":\"", stdout);
        for (size_t j = 0; j < len; j++) printf("%02x", p[j]);
        fputs("\"}", stdout);
    }
    fputs("]}\n", stdout);
}

static int run(const char *model, const char *text, size_t len, uint32_t flags, int json) {
    l1__gguf *g = NULL;
    l1__tokenizer *t = NULL;
    l1_status st = l1__gguf_open(model, NULL, &g);
    if (st != L1_OK) return l1cli_fail("tokenize", model, st);
    st = l1__tokenizer_load(g, &t);
    l1__gguf_close(g);
    if (st != L1_OK) return l1cli_fail("tokenize", model, st);
    size_t need = 0;
    int32_t *ids = NULL;
    st = l1__tokenize(t, text, len, flags, NULL, 0, &need);
    if (st == L1_OK || st == L1_ERR_BUFFER_TOO_SMALL) {
        ids = malloc((need ? need : 1) * sizeof *ids);
        st = ids ? l1__tokenize(t, text, len, flags, ids, need, &need) : L1_ERR_NOMEM;
    }
    if (st == L1_OK) print_ids(t, ids, need, json);
    free(ids);
    l1__tokenizer_free(t);
    return st == L1_OK ? 0 : l1cli_fail("tokenize", "tokenizing", st);
}

int l1cli_tokenize(int argc, char **argv) {
    const char *model = NULL, *prompt = NULL, *file = NULL, *v;
    uint32_t flags = 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            tokenize_usage(stdout);
            return 0;
        } else if (l1cli_opt(argc, argv, &i, "-m", &v)) {
            if (!(model = v)) return 2;
        } else if (l1cli_opt(argc, argv, &i, "-p", &v)) {
            if (!(prompt = v)) return 2;
        } else if (l1cli_opt(argc, argv, &i, "-f", &v)) {
            if (!(file = v)) return 2;
        } else if (!strcmp(argv[i], "--special")) {
            flags |= L1__TOK_SPECIAL;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else {
            l1cli_err("tokenize", "unknown option '%s'", argv[i]);
            tokenize_usage(stderr);
            return 2;
        }
    }
    if (!model || !prompt == !file) {
        l1cli_err("tokenize", "need -m MODEL and exactly one of -p TEXT or -f FILE");
        tokenize_usage(stderr);
        return 2;
    }
    if (prompt) return run(model, prompt, strlen(prompt), flags, json);
    size_t len = 0;
    char *text = read_all(file, &len);
    if (!text) {
        l1cli_err("tokenize", "%s: cannot read", file);
        return 1;
    }
    const int rc = run(model, text, len, flags, json);
    free(text);
    return rc;
}
