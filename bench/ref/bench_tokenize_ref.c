/*
 * bench_tokenize_ref.c - tokenization throughput of l1 and of the reference
 * (llama_tokenize, vocabulary loaded with vocab_only) side by side, on the
 * same 10 MB mixed corpus (bench/tok_corpus.h) or file, in one process, one
 * thread each, best of several runs.  Also checks that both produce the
 * same ids.  Built by bench/ref.mk (it links the reference libraries):
 *
 *   make -f bench/ref.mk BUILD=build/release run   [VOCAB=... MB=10 RUNS=5]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gguf_context;
#include "ggml-backend.h"
#include "llama.h"

#include "gguf/gguf.h"
#include "tok_corpus.h"
#include "tokenizer/tokenizer.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)level;
    (void)text;
    (void)user;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s VOCAB.gguf [MB [runs]]\n", argv[0]);
        return 2;
    }
    const double mb = argc > 2 ? atof(argv[2]) : 10.0;
    const int runs = argc > 3 ? atoi(argv[3]) : 5;
    size_t len = 0;
    char *text = tc_corpus((size_t)(mb * 1e6), &len);
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(getenv("L1_REF_LIB"));
    struct llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    struct llama_model *rm = llama_model_load_from_file(argv[1], mp);
    l1__gguf *g = NULL;
    l1__tokenizer *t = NULL;
    if (!rm || l1__gguf_open(argv[1], NULL, &g) != L1_OK || l1__tokenizer_load(g, &t) != L1_OK) {
        fprintf(stderr, "cannot load %s\n", argv[1]);
        return 1;
    }
    l1__gguf_close(g);
    const struct llama_vocab *rv = llama_model_get_vocab(rm);
    int32_t *a = malloc((len + 1) * sizeof *a), *b = malloc((len + 1) * sizeof *b);
    double best_ref = 1e30, best_l1 = 1e30;
    int32_t na = 0;
    size_t nb = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now_s();
        na = llama_tokenize(rv, text, (int32_t)len, a, (int32_t)len + 1, false, false);
        double dt = now_s() - t0;
        if (dt < best_ref) best_ref = dt;
        t0 = now_s();
        l1__tokenize(t, text, len, 0, b, len + 1, &nb);
        dt = now_s() - t0;
        if (dt < best_l1) best_l1 = dt;
    }
    const int same = na >= 0 && (size_t)na == nb && memcmp(a, b, nb * sizeof *a) == 0;
    printf("corpus %.2f MB, %zu tokens; ids %s\n", len / 1e6, nb, same ? "identical" : "DIFFER");
    printf("llama_tokenize : %8.1f ms  %6.1f MB/s\n", best_ref * 1e3, len / 1e6 / best_ref);
    printf("l1__tokenize   : %8.1f ms  %6.1f MB/s  (%.1fx)\n", best_l1 * 1e3, len / 1e6 / best_l1,
           best_ref / best_l1);
    free(a);
    free(b);
    free(text);
    l1__tokenizer_free(t);
    llama_model_free(rm);
    return same ? 0 : 1;
}
