/*
 * fuzz_tokenizer.c - libFuzzer target for the tokenizer on arbitrary bytes,
 * over the real Qwen2 vocabulary (151k tokens, ~150k merges) loaded once.
 *
 * Input: byte 0 selects the flags (bit 0 L1_TOKENIZE_SPECIAL, bit 1
 * L1_TOKENIZE_ADD_BOS) and which too-small-buffer check runs (bits 2-3:
 * 1 the count-only call, 2 half the ids, otherwise none, so that half the
 * executions tokenize once); the rest is the text, which need not be valid
 * UTF-8.  Texts longer than MAX_TEXT
 * bytes are cut there (`make fuzz` caps inputs at 512 bytes: what long texts do
 * to the pre-tokenizer window, the BPE heap and the piece cache is the unit
 * tests' job; the fuzzer's is many short, odd ones).  The vocabulary is read
 * from $L1_FUZZ_VOCAB, else from
 * build/reference/llama.cpp/models/ggml-vocab-qwen2.gguf (run from the
 * repository root).  Every buffer is allocated once, so an execution costs
 * one or two tokenizations and two detokenizations of the text and nothing
 * else.
 *
 * Promises checked: every id is in range, at most one per byte plus BOS;
 * ADD_BOS prepends the model's BOS exactly when it has one; a too-small
 * buffer gets minus the full count and the same prefix (the count-only call,
 * cap 0 and a NULL buffer, or a buffer of half the ids); the
 * streaming decoder's output is valid UTF-8 whatever the ids; and for valid
 * UTF-8 text, detokenizing the ids gives the text back byte for byte
 * (byte-level BPE loses nothing, and special and added tokens detokenize to
 * their own text), through both l1_detokenize and the streaming decoder.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "l1.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TEXT 4096

#define CHECK(c)                                                                         \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "fuzz_tokenizer: %s:%d: %s (%s)\n", __FILE__, __LINE__, #c,  \
                    l1_last_error());                                                   \
            abort();                                                                     \
        }                                                                                \
    } while (0)

static l1_model *g_model;
static const l1__tokenizer *g_tok;
static l1_token g_ids[MAX_TEXT + 2], g_part[MAX_TEXT + 2];
static char g_text[MAX_TEXT + 1];
static char *g_stream; /* MAX_TEXT + 3 bytes of U+FFFD per byte + one token's room */

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
    g_tok = l1__model_tokenizer(g_model);
    g_stream = malloc(3 * (MAX_TEXT + 1) + l1__detok_max_out(g_tok) + 4);
    if (!g_stream) exit(1);
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

/* The streaming decoder: always valid UTF-8; the text itself when the text
 * is valid.  Each id yields at most 3 bytes per byte of its piece (U+FFFD
 * for each), and the pieces add up to at most the text (or, for invalid
 * text, U+FFFD's 3 bytes per text byte). */
static void stream(const l1_token *ids, int32_t n, const uint8_t *text, size_t len, bool valid) {
    l1__detok d;
    l1__detok_init(&d, g_tok);
    size_t w = 0;
    for (int32_t i = 0; i < n; i++) {
        size_t k;
        CHECK(l1__detok_push(&d, ids[i], g_stream + w, &k) == L1_OK);
        w += k;
        CHECK(w <= 3 * len + 3);
    }
    w += l1__detok_finish(&d, g_stream + w);
    CHECK(valid_utf8((const uint8_t *)g_stream, w));
    if (valid) CHECK(w == len && memcmp(g_stream, text, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint32_t flags = data[0] & 3u;
    const unsigned check = (data[0] >> 2) & 3u;
    const char *text = (const char *)data + 1;
    const size_t len = size - 1 < MAX_TEXT ? size - 1 : MAX_TEXT;
    const int32_t nv = l1_n_vocab(g_model);

    int32_t n = l1_tokenize(g_model, text, len, g_ids, MAX_TEXT + 2, flags);
    CHECK(n != L1_TOKEN_ERROR && n >= 0);
    CHECK((size_t)n <= len + 1); /* at most one id per byte, plus BOS */
    for (int32_t i = 0; i < n; i++) CHECK(g_ids[i] >= 0 && g_ids[i] < nv);
    if (check == 1) {
        CHECK(l1_tokenize(g_model, text, len, NULL, 0, flags) == -n);
    } else if (check == 2 && n > 1) {
        int32_t m = l1_tokenize(g_model, text, len, g_part, n / 2, flags);
        CHECK(m == -n && memcmp(g_part, g_ids, (size_t)(n / 2) * sizeof *g_part) == 0);
    }
    /* ADD_BOS: "prepend the model's BOS token when it has one" (l1.h). */
    int32_t skip = 0;
    const l1_token bos = l1_token_special(g_model, L1_SPECIAL_BOS);
    if ((flags & L1_TOKENIZE_ADD_BOS) && bos >= 0) {
        CHECK(n >= 1 && g_ids[0] == bos);
        skip = 1;
    }
    const bool valid = valid_utf8((const uint8_t *)text, len);
    if (valid) {
        int32_t got = l1_detokenize(g_model, g_ids + skip, n - skip, g_text, (int32_t)len);
        CHECK(got == (int32_t)len && memcmp(g_text, text, len) == 0);
    }
    stream(g_ids + skip, n - skip, (const uint8_t *)text, len, valid);
    return 0;
}
