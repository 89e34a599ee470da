/*
 * tok_corpus.h - the deterministic mixed corpus the tokenizer benchmarks
 * share, so that l1 and the reference tokenize the same bytes.
 *
 * About 70% English-like prose (words drawn from a Zipf-like distribution
 * over ~20,000 syllable-built words, so the piece cache sees realistic
 * reuse, with punctuation, contractions and numbers), 15% C-like code with
 * indentation, 10% CJK text and 5% emoji, Unicode spaces and accented
 * Latin.  Header-only (static functions) so that the benchmarks in bench/
 * and bench/ref/ both include it without a shared object.
 */
#ifndef L1_BENCH_TOK_CORPUS_H
#define L1_BENCH_TOK_CORPUS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t tc_rng = 0x5DEECE66Dull;
static uint32_t tc_rnd(void) {
    tc_rng = tc_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(tc_rng >> 33);
}

static size_t tc_cp(char *o, uint32_t c) {
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 63)); return 2; }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 63)); o[2] = (char)(0x80 | (c & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 63));
    o[2] = (char)(0x80 | ((c >> 6) & 63)); o[3] = (char)(0x80 | (c & 63));
    return 4;
}

/* Word number k (0..19999) spelled from syllables; low k are short. */
static size_t tc_word(char *o, uint32_t k) {
    static const char *const syl[] = {"the", "an", "re", "in", "er", "on", "at", "en", "st", "ing",
                                      "tion", "al", "ou", "ar", "is", "ed", "or", "it", "es", "le",
                                      "con", "pro", "ment", "ly", "ver", "com", "ab", "ex", "ul", "ty"};
    size_t n = 0;
    uint32_t x = k * 2654435761u + 12345;
    const uint32_t parts = 1 + (k > 30) + (k > 600) + (k > 8000);
    for (uint32_t i = 0; i < parts; i++) {
        const char *s = syl[x % 30];
        x = x / 30 + i * 7919;
        memcpy(o + n, s, strlen(s));
        n += strlen(s);
    }
    return n;
}

static size_t tc_prose(char *o) {
    size_t n = 0;
    const uint32_t words = 5 + tc_rnd() % 20;
    for (uint32_t w = 0; w < words; w++) {
        if (w) o[n++] = ' ';
        /* Zipf-like: the inverse of a uniform draw, capped. */
        const uint32_t k = (uint32_t)(20000.0 / (1.0 + (tc_rnd() % 20000))) - 1;
        const size_t s = n;
        n += tc_word(o + n, k % 20000);
        if (w == 0 || tc_rnd() % 15 == 0) o[s] = (char)(o[s] - 32);
        const uint32_t r = tc_rnd() % 40;
        if (r == 0) { memcpy(o + n, "'s", 2); n += 2; }
        else if (r == 1) { memcpy(o + n, "n't", 3); n += 3; }
        else if (r == 2) n += (size_t)sprintf(o + n, " %u", tc_rnd() % 10000);
        else if (r < 6) o[n++] = ',';
    }
    o[n++] = ". ?!"[tc_rnd() % 4 == 0 ? 2 + tc_rnd() % 2 : 0];
    if (tc_rnd() % 4 == 0) o[n++] = '\n';
    else o[n++] = ' ';
    if (tc_rnd() % 12 == 0) o[n++] = '\n';
    return n;
}

static size_t tc_code(char *o) {
    static const char *const lines[] = {
        "for (size_t i = 0; i < n; i++) {", "    sum += a[i] * b[i];", "}", "if (err != 0) return err;",
        "static int parse(const char *s, size_t len) {", "    // skip leading whitespace",
        "\tx = (y << 3) | (z & 0xFF);", "return {\"key\": value, \"n\": 42};", "#define MAX_LEN 4096",
        "def forward(self, x):", "        return self.proj(x) + 1e-6", "    }", "} else {",
        "const auto it = map.find(key);", "printf(\"%s: %d\\n\", name, count);"};
    size_t n = 0;
    const uint32_t k = 3 + tc_rnd() % 8;
    for (uint32_t i = 0; i < k; i++) {
        const char *s = lines[tc_rnd() % (sizeof lines / sizeof lines[0])];
        memcpy(o + n, s, strlen(s));
        n += strlen(s);
        o[n++] = '\n';
    }
    return n;
}

static size_t tc_cjk(char *o) {
    size_t n = 0;
    const uint32_t k = 5 + tc_rnd() % 30;
    for (uint32_t i = 0; i < k; i++) {
        const uint32_t r = tc_rnd() % 20;
        if (r == 0) n += tc_cp(o + n, 0x3002); /* 。 */
        else if (r == 1) n += tc_cp(o + n, 0xFF0C); /* ， */
        else if (r < 4) n += tc_cp(o + n, 0x3041 + tc_rnd() % 0x56);
        else n += tc_cp(o + n, 0x4E00 + (tc_rnd() % 3000) * (tc_rnd() % 2 ? 1 : 7) % 0x5200);
    }
    o[n++] = '\n';
    return n;
}

static size_t tc_misc(char *o) {
    size_t n = 0;
    const uint32_t r = tc_rnd() % 4;
    if (r == 0) {
        n += tc_cp(o + n, 0x1F600 + tc_rnd() % 0x50);
        if (tc_rnd() % 2) n += tc_cp(o + n, 0x1F3FB + tc_rnd() % 5);
        if (tc_rnd() % 3 == 0) { n += tc_cp(o + n, 0x200D); n += tc_cp(o + n, 0x1F468); }
    } else if (r == 1) {
        static const char *const w[] = {"café", "naïve", "Straße", "über", "résumé", "Ελληνικά", "Русский"};
        const char *s = w[tc_rnd() % 7];
        memcpy(o + n, s, strlen(s));
        n += strlen(s);
    } else if (r == 2) {
        n += tc_cp(o + n, 0xA0);
        n += tc_cp(o + n, 0x3000);
    } else {
        memcpy(o + n, "   \t  ", 6);
        n += 6;
    }
    o[n++] = ' ';
    return n;
}

/* A corpus of `size` bytes (malloc'ed; *out_len gets the exact length,
 * which is a little under size so that no character is cut). */
static char *tc_corpus(size_t size, size_t *out_len) {
    char *s = malloc(size + 4096);
    size_t n = 0;
    if (!s) return NULL;
    tc_rng = 0x5DEECE66Dull;
    while (n < size) {
        const uint32_t r = tc_rnd() % 100;
        if (r < 70) n += tc_prose(s + n);
        else if (r < 85) n += tc_code(s + n);
        else if (r < 95) n += tc_cjk(s + n);
        else n += tc_misc(s + n);
    }
    *out_len = n;
    return s;
}

#endif /* L1_BENCH_TOK_CORPUS_H */
