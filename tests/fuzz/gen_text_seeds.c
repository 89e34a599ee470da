/*
 * gen_text_seeds.c - seed inputs for the byte-oriented fuzz targets.
 *
 *   gen_text_seeds tokenizer DIR [INP]   fuzz_tokenizer: one flags byte, then
 *       text; the texts are the tokenizer test sentences of INP (llama.cpp's
 *       ggml-vocab-*.gguf.inp, cases separated by "\n__ggml_vocab_test__\n")
 *       plus a few of l1's own (chat markup, long runs, invalid UTF-8), each
 *       written with every flag pair and each buffer check of the flags byte.
 *   gen_text_seeds sample DIR            fuzz_sample: the input layout of
 *       fuzz_sample.c (4 control bytes, sampling and budget fields, logits,
 *       piece flags, a token script)
 *       filled with ordinary settings, so mutation starts from valid ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *g_dir;
static int g_count;

static void save(const char *tag, int i, const void *p, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s_%04d", g_dir, tag, i);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        fprintf(stderr, "gen_text_seeds: cannot write %s\n", path);
        exit(1);
    }
    g_count++;
}

static void text_seed(const char *text, size_t len) {
    static int k;
    uint8_t *buf = malloc(len + 1);
    if (!buf) exit(1);
    memcpy(buf + 1, text, len);
    /* Every flag pair, each with no buffer check, then each buffer check. */
    static const uint8_t flag_bytes[] = {0, 1, 2, 3, 4, 7, 8, 11};
    for (size_t f = 0; f < sizeof flag_bytes; f++) { /* see fuzz_tokenizer.c */
        buf[0] = flag_bytes[f];
        save("text", k++, buf, len + 1);
    }
    free(buf);
}

static void tokenizer_seeds(const char *inp) {
    static const char *own[] = {
        "<｜begin▁of▁sentence｜><｜User｜>What is 2+2? Think for maximum 512 tokens.<｜Assistant｜><think>\n",
        "</think>\n\n**Final Answer**\n\\[\n\\boxed{\\frac{3}{4}}\n\\]<｜end▁of▁sentence｜>",
        "<think><think></think></think><|EOT|><|im_end|><|endoftext|>",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "1234567890123456789012345678901234567890 \t\t\n\n\r\n   x  y",
        "\xff\xfe\xc3\x28\xe2\x82\xf0\x9f\x98\x80\xed\xa0\x80\xf4\x90\x80\x80",
        "Ünïcödé ταῦτα 日本語 한국어 🤖🙂 'll 've 're 'S",
    };
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) text_seed(own[i], strlen(own[i]));
    if (!inp) return;
    FILE *f = fopen(inp, "rb");
    if (!f) return;
    static char all[1 << 20];
    size_t n = fread(all, 1, sizeof all - 1, f);
    fclose(f);
    all[n] = '\0';
    const char *sep = "\n__ggml_vocab_test__\n";
    char *p = all;
    for (;;) {
        char *q = strstr(p, sep);
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len) text_seed(p, len);
        if (!q) break;
        p = q + strlen(sep);
    }
}

static void put(uint8_t *buf, size_t *o, const void *v, size_t n) {
    memcpy(buf + *o, v, n);
    *o += n;
}

/* See fuzz_sample.c for the layout.  Ordinary settings over small and
 * mid-sized vocabularies, every budget mode, budgets that end inside and
 * past the soft-landing window, with and without a piece-flag table. */
static void sample_seeds(void) {
    const float temps[] = {0.0f, 0.6f, 1.0f, 1.5f};
    const int16_t budgets[] = {0, 1, 8, 64, 200, 3};
    for (int i = 0; i < 24; i++) {
        uint8_t buf[2048];
        size_t o = 0;
        const uint8_t nv = (uint8_t)(i < 12 ? 7 + 5 * i : 63 + 16 * (i - 12)), mode = (uint8_t)(i % 3),
                      flags = (uint8_t)((i & 1 ? 4 : 0) | (i & 2 ? 8 : 0) | ((i % 3) << 4) | (i & 4 ? 1 : 0) |
                                        (i & 8 ? 64 : 0) | (i % 5 == 0 ? 128 : 0)),
                      steps = (uint8_t)i;
        put(buf, &o, &nv, 1);
        put(buf, &o, &mode, 1);
        put(buf, &o, &flags, 1);
        put(buf, &o, &steps, 1);
        const float temp = temps[i % 4], top_p = 0.95f, min_p = i & 8 ? 0.05f : 0.0f, rep = i & 16 ? 1.1f : 1.0f,
                    pres = 0.0f, freq = 0.0f;
        const int32_t top_k = i & 2 ? 40 : 0;
        const int16_t window = i & 4 ? 64 : 0;
        const uint64_t seed = (uint64_t)i * 7919u;
        put(buf, &o, &temp, 4);
        put(buf, &o, &top_k, 4);
        put(buf, &o, &top_p, 4);
        put(buf, &o, &min_p, 4);
        put(buf, &o, &rep, 4);
        put(buf, &o, &pres, 4);
        put(buf, &o, &freq, 4);
        put(buf, &o, &window, 2);
        put(buf, &o, &seed, 8);
        const int32_t bias_tok[2] = {3, 5};
        const float bias_val[2] = {2.0f, -1.0f};
        for (int b = 0; b < 2; b++) {
            put(buf, &o, &bias_tok[b], 4);
            put(buf, &o, &bias_val[b], 4);
        }
        const int16_t budget = budgets[i % 6], reserve = (int16_t)(i & 1 ? 64 : 6);
        const float boost = 10.0f;
        put(buf, &o, &budget, 2);
        put(buf, &o, &reserve, 2);
        if (flags & 8) put(buf, &o, &boost, 4);
        if (flags & 128) {
            const int16_t win = 16, tol = (int16_t)(i & 1 ? 80 : -1);
            put(buf, &o, &win, 2);
            put(buf, &o, &tol, 2);
        }
        const int n_vocab = 1 + nv;
        for (int t = 0; t < n_vocab; t++) {
            const float l = (float)((t * 2654435761u) % 1000u) / 100.0f - 5.0f;
            put(buf, &o, &l, 4);
        }
        if (flags & 64)
            for (int t = 0; t < n_vocab; t++) buf[o++] = (uint8_t)(t % 5 == 0 ? 2 : t % 3 == 0 ? 1 : 0);
        /* The script: mostly ordinary ids, a </think> and an EOS late on. */
        for (int k = 0; k < 240; k++) buf[o++] = (uint8_t)(k == 150 ? 1 : k == 230 ? 2 : 48 + (k * 37 + i) % 200);
        save("sample", i, buf, o);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: gen_text_seeds tokenizer|sample DIR [INP]\n");
        return 2;
    }
    g_dir = argv[2];
    if (!strcmp(argv[1], "tokenizer"))
        tokenizer_seeds(argc > 3 ? argv[3] : NULL);
    else if (!strcmp(argv[1], "sample"))
        sample_seeds();
    else
        return 2;
    printf("gen_text_seeds: %d files in %s\n", g_count, g_dir);
    return 0;
}
