/*
 * bench_tokenize.c - tokenization throughput (MB/s) of l1 on a 10 MB mixed
 * corpus (bench/tok_corpus.h) or on a file, with the vocabulary of a GGUF
 * file (model or vocabulary-only).  Prints the best of several runs, the
 * figure least disturbed by other load on the machine.  The side-by-side
 * comparison with the reference is bench/ref/bench_tokenize_ref.c.
 *
 *   make bench && build/release/bench/bench_tokenize VOCAB.gguf [MB | -f FILE] [runs]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tok_corpus.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    const long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc(sz > 0 ? (size_t)sz : 1);
    *n = s ? fread(s, 1, (size_t)sz, f) : 0;
    fclose(f);
    return s;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s VOCAB.gguf [MB | -f FILE] [runs]\n", argv[0]);
        return 2;
    }
    size_t len = 0;
    char *text;
    int argi = 2;
    if (argc > 3 && !strcmp(argv[2], "-f")) {
        text = read_file(argv[3], &len);
        argi = 4;
    } else {
        const double mb = argc > 2 ? atof(argv[2]) : 10.0;
        text = tc_corpus((size_t)(mb * 1e6), &len);
        argi = 3;
    }
    const int runs = argc > argi ? atoi(argv[argi]) : 5;
    if (!text) {
        fprintf(stderr, "no input text\n");
        return 1;
    }
    l1__gguf *g = NULL;
    l1__tokenizer *t = NULL;
    double t0 = now_s();
    if (l1__gguf_open(argv[1], NULL, &g) != L1_OK || l1__tokenizer_load(g, &t) != L1_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], l1_last_error());
        return 1;
    }
    const double load = now_s() - t0;
    l1__gguf_close(g);
    int32_t *ids = malloc((len + 1) * sizeof *ids);
    size_t n = 0;
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        t0 = now_s();
        if (l1__tokenize(t, text, len, 0, ids, len + 1, &n) != L1_OK) {
            fprintf(stderr, "tokenize: %s\n", l1_last_error());
            return 1;
        }
        const double dt = now_s() - t0;
        if (dt < best) best = dt;
    }
    printf("l1 tokenizer: load %.1f ms; %.2f MB -> %zu tokens (%.2f bytes/token) in %.1f ms: %.1f MB/s\n",
           load * 1e3, len / 1e6, n, (double)len / (double)(n ? n : 1), best * 1e3, len / 1e6 / best);
    free(ids);
    free(text);
    l1__tokenizer_free(t);
    return 0;
}
