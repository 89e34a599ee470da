/*
 * fuzz_tokenizer.c - libFuzzer target for the tokenizer on arbitrary bytes,
 * over the real Qwen2 vocabulary (151k tokens, ~150k merges) loaded once.
 *
 * Input: byte 0 selects the flags (bit 0 L1_TOKENIZE_SPECIAL, bit 1
 * L1_TOKENIZE_ADD_BOS), the rest is the text, which need not be valid
 * UTF-8.  The vocabulary is read from $L1_FUZZ_VOCAB, else from
 * build/reference/llama.cpp/models/ggml-vocab-qwen2.gguf (run from the
 * repository root).
 *
 * Promises checked: the count-only call (cap 0) and the full call agree;
 * every id is in range; a too-small buffer gets minus the full count and the
 * same prefix; and for valid UTF-8 text, detokenizing the ids gives the text
 * back byte for byte (byte-level BPE loses nothing, and special and added
 * tokens detokenize to their own text), through both l1_detokenize and the
 * streaming decoder.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "l1.h"
#include "model.h"
#include "tokenizer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                         \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "fuzz_tokenizer: %s:%d: %s (%s)\n", __FILE__, __LINE__, #c,  \
                    l1_last_error());                                                   \
            abort();                                                                     \
        }                                                                                \
    } while (0)

static l1_model *g_model;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *path = getenv("L1_FUZZ_VOCAB");
    if (!path) path = "build/reference/llama.cpp/models/ggml-vocab-qwen2.gguf";
    l1_model_params mp = l1_model_default_params();
    mp.vocab_only = 1;
    if (l1_model_load(path, &mp, &g_model) != L1_OK) {
        fprintf(stderr, "fuzz_tokenizer: cannot load the vocabulary: %s\n", l1_last_error());
        exit(1);
    }
    return 0;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static bool valid_utf8(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) k = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) k = 2, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) k = 3, cp = c & 0x07, min = 0x10000;
        else return false;
        if (n - i <= k) return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += k + 1;
    }
    return true;
}

static void roundtrip(const l1_token *ids, int32_t n, const uint8_t *text, size_t len) {
    char *buf = malloc(len + 1);
    CHECK(buf);
    int32_t got = l1_detokenize(g_model, ids, n, buf, (int32_t)len);
    CHECK(got == (int32_t)len && memcmp(buf, text, len) == 0);
    /* The streaming decoder emits the same bytes when the text is valid. */
    const l1__tokenizer *tok = l1__model_tokenizer(g_model);
    char *out = malloc(len + l1__detok_max_out(tok) + 4);
    CHECK(out);
    l1__detok d;
    l1__detok_init(&d, tok);
    size_t w = 0;
    for (int32_t i = 0; i < n; i++) {
        size_t k;
        CHECK(l1__detok_push(&d, ids[i], out + w, &k) == L1_OK);
        w += k;
        CHECK(w <= len);
    }
    w += l1__detok_finish(&d, out + w);
    CHECK(w == len && memcmp(out, text, len) == 0);
    free(out);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint32_t flags = data[0] & 3u;
    const char *text = (const char *)data + 1;
    const size_t len = size - 1;
    const int32_t nv = l1_n_vocab(g_model);
    int32_t need = l1_tokenize(g_model, text, len, NULL, 0, flags);
    CHECK(need != L1_TOKEN_ERROR && need <= 0);
    need = -need;
    CHECK((size_t)need <= len + 1); /* at most one id per byte, plus BOS */
    l1_token *ids = malloc(((size_t)need + 1) * sizeof *ids);
    CHECK(ids);
    int32_t n = l1_tokenize(g_model, text, len, ids, need, flags);
    CHECK(n == need);
    for (int32_t i = 0; i < n; i++) CHECK(ids[i] >= 0 && ids[i] < nv);
    if (n > 1) {
        l1_token *part = malloc((size_t)n * sizeof *part);
        CHECK(part);
        int32_t m = l1_tokenize(g_model, text, len, part, n / 2, flags);
        CHECK(m == -n && memcmp(part, ids, (size_t)(n / 2) * sizeof *part) == 0);
        free(part);
    }
    /* What ADD_BOS prepended, if anything: the difference to a plain call. */
    int32_t skip = 0;
    if (flags & L1_TOKENIZE_ADD_BOS) {
        skip = n + l1_tokenize(g_model, text, len, NULL, 0, flags & ~L1_TOKENIZE_ADD_BOS);
        CHECK(skip == 0 || (skip == 1 && ids[0] == l1_token_special(g_model, L1_SPECIAL_BOS)));
    }
    if (valid_utf8((const uint8_t *)text, len)) roundtrip(ids + skip, n - skip, (const uint8_t *)text, len);
    free(ids);
    return 0;
}
