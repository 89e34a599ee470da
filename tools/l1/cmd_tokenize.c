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
#include "json.h"
#include "tokenizer/tokenizer.h"

static void tokenize_usage(FILE *f) {
    fprintf(f,
            "usage: l1 tokenize -m MODEL.gguf (-p TEXT | -f FILE) [--special] [--json]\n"
            "  -m, --model FILE  -p, --prompt TEXT  -f, --file FILE  -h, --help\n"
            "Prints the token ids of TEXT (or of all of FILE's bytes, NUL bytes included) on one line.\n"
            "Invalid UTF-8 is read as llama.cpp reads it, so the ids are the reference's: a byte\n"
            "that starts no well-formed sequence becomes U+FFFD (a lone 0x8b does not round-trip).\n"
            "  --special  recognise control tokens written in the text (\"<|im_end|>\")\n"
            "  --json     print ids with their pieces: {\"n_tokens\":N,\"tokens\":[{\"id\":..,\n"
            "             \"piece\":\"..\",\"bytes\":\"hex\"}]} (piece: invalid UTF-8 shown as U+FFFD)\n");
}

static void print_ids(const l1__tokenizer *t, const int32_t *ids, size_t n, int json) {
    if (!json) {
        for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
        putchar('\n');
        return;
    }
    l1cli_json j;
    l1cli_json_init(&j, stdout, 0);
    l1cli_json_object(&j, NULL);
    l1cli_json_uint(&j, "n_tokens", n);
    l1cli_json_array(&j, "tokens");
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const uint8_t *p = l1__token_piece(t, ids[i], &len);
        char hex[2 * 64 + 1];
        char *h = len * 2 < sizeof hex ? hex : malloc(2 * len + 1);
        for (size_t k = 0; h && k < len; k++) snprintf(h + 2 * k, 3, "%02x", p[k]);
        l1cli_json_object(&j, NULL);
        l1cli_json_int(&j, "id", ids[i]);
        /* The piece as text (invalid UTF-8 shown as U+FFFD), and its bytes. */
        l1cli_json_strn(&j, "piece", (const char *)p, len);
        if (h) l1cli_json_strn(&j, "bytes", h, 2 * len);
        else l1cli_json_null(&j, "bytes");
        l1cli_json_end(&j);
        if (h != hex) free(h);
    }
    l1cli_json_end(&j);
    l1cli_json_end(&j);
    l1cli_json_finish(&j);
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
    enum { O_SPECIAL = L1CLI_OPT_LONG, O_JSON };
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},
        {"prompt", required_argument, NULL, 'p'},
        {"file", required_argument, NULL, 'f'},
        {"special", no_argument, NULL, O_SPECIAL},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *prompt = NULL, *file = NULL, *v;
    uint32_t flags = 0;
    int json = 0, c;
    while ((c = l1cli_getopt("tokenize", argc, argv, "m:p:f:h", longopts, &v)) != -1) {
        switch (c) {
        case 'h': tokenize_usage(stdout); return 0;
        case 'm': model = v; break;
        case 'p': prompt = v; break;
        case 'f': file = v; break;
        case O_SPECIAL: flags |= L1__TOK_SPECIAL; break;
        case O_JSON: json = 1; break;
        default: return 2;
        }
    }
    if (optind < argc) return l1cli_usage_err("tokenize", "unexpected argument '%s'", argv[optind]);
    if (!model || !prompt == !file)
        return l1cli_usage_err("tokenize", "need -m MODEL and exactly one of -p TEXT or -f FILE");
    if (prompt) return run(model, prompt, strlen(prompt), flags, json);
    size_t len = 0;
    char *text;
    if (l1cli_read_file("tokenize", file, true, &text, &len)) return 1;
    const int rc = run(model, text, len, flags, json);
    free(text);
    return rc;
}
