/*
 * bench_matmul.c - the matrix products of one forward step of a real model
 * file, alone: per layer Q, K, V, O, gate, up and down, then the output
 * head, with the file's own tensors read in place from the mapping and
 * each input converted to its weight's activation type first, as the
 * forward pass does.  It times them for decode (1 token) and for a prefill
 * of P tokens, through the threaded matmul layer (matmul.h), and with
 * --serial also on the calling thread alone (the same kernels without the
 * pool), so what the threads gain is known.
 *
 * The products are everything of a decode step that reads weights; the
 * rest (norms, RoPE, attention, SwiGLU) is not timed, so the t/s printed is
 * an upper bound for a full step.
 *
 * --serial adds the one-thread run (decode, and a prompt of at most 64).
 * --type T times only the products whose weights are of type T (a name as
 * `l1 info` prints it, e.g. q6_K), so one kernel's share can be measured;
 * its GB/s counts those matrices' bytes alone.
 *
 * usage: bench_matmul MODEL.gguf [-t THREADS] [-p PROMPT] [-n DECODE_TOKENS] [-r REPS] [--serial] [--type T]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "kernels/kernels.h"
#include "kernels/matmul.h"
#include "model/model.h"
#include "quant/quant.h"
#include "kernels/threadpool.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct bench {
    const l1_model *m;
    const l1__kernels *k;
    l1__pool *pool;  /* NULL: the calling thread alone */
    int64_t n_tok;
    float *x;        /* (n_tok, n_ff) inputs, f32 */
    uint8_t *xq;     /* (n_tok, row) inputs in an activation type */
    float *y;        /* (n_tok, n_vocab) outputs */
    int only;        /* >= 0: only the products whose weights are of this type (--type) */
} bench;

/* The products sharing one input: converted once, run as one batch (a
 * group whose weights pair with different activation types is run one
 * product at a time). */
static void group(bench *b, const l1__weight *const *ws, int n) {
    const l1__weight *keep[3]; /* a group has at most 3 products (Q, K, V) */
    if (b->only >= 0) {
        int nk = 0;
        for (int i = 0; i < n; i++)
            if (ws[i]->type == (uint32_t)b->only) keep[nk++] = ws[i];
        if (nk == 0) return;
        ws = keep;
        n = nk;
    }
    for (int i = 1; i < n; i++)
        if (ws[i]->qt->vec_dot_type != ws[0]->qt->vec_dot_type) {
            for (int j = 0; j < n; j++) group(b, &ws[j], 1);
            return;
        }
    const uint32_t vt = ws[0]->qt->vec_dot_type;
    const int64_t ne0 = ws[0]->ne0;
    size_t stride = (size_t)ne0 * sizeof(float);
    const void *xin = b->x;
    if (vt != L1_TYPE_F32) {
        const l1__quant_traits *vq = l1__quant_traits_get(vt);
        stride = (size_t)(ne0 / vq->block_size) * vq->type_size;
        l1__matmul_quantize(b->pool, b->k->act_quant[vt], b->x, ne0, ne0, b->n_tok, b->xq, stride);
        xin = b->xq;
    }
    l1__matmul_op ops[3];
    for (int i = 0; i < n; i++) {
        const l1__weight *w = ws[i];
        /* Each product its own output rows (groups are a few n_ff wide at
         * most; y holds n_vocab). */
        float *y = b->y + (size_t)i * (size_t)(b->n_tok * w->ne1);
        ops[i] = (l1__matmul_op){b->k, w->type, w->data, w->row_bytes, w->ne1, w->ne0,
                                 xin, stride, y, w->ne1, w->x8, w->x8_group_bytes};
    }
    l1__matmul(b->pool, ops, n, b->n_tok); /* NULL pool (--serial): on this thread */
}

/* Every product of one forward step over b->n_tok tokens. */
static void step(bench *b) {
    const l1_model *m = b->m;
    for (int il = 0; il < m->hp.n_layer; il++) {
        const l1__layer *L = &m->layers[il];
        const l1__weight *qkv[] = {&L->wq, &L->wk, &L->wv};
        const l1__weight *o[] = {&L->wo};
        const l1__weight *gu[] = {&L->w_gate, &L->w_up};
        const l1__weight *down[] = {&L->w_down};
        group(b, qkv, 3);
        group(b, o, 1);
        group(b, gu, 2);
        group(b, down, 1);
    }
    const l1__weight *head[] = {&m->output};
    group(b, head, 1);
}

/* Tokens per second of `reps` steps of b->n_tok tokens, after one warm-up
 * step when `warm` (the decode runs first and brings the mapping in). */
static double time_steps(bench *b, int reps, int warm) {
    if (warm) step(b);
    const double t0 = now_s();
    for (int r = 0; r < reps; r++) step(b);
    return (double)reps * (double)b->n_tok / (now_s() - t0);
}

/* Bytes of w, or 0 when only >= 0 and w is not of type `only`. */
static uint64_t weight_bytes(const l1__weight *w, int only) {
    return only < 0 || w->type == (uint32_t)only ? (uint64_t)w->row_bytes * (uint64_t)w->ne1 : 0;
}

/* Bytes of the matrices of one step, or of those whose weights are of
 * type `only` when only >= 0 (--type). */
static uint64_t matrix_bytes(const l1_model *m, int only) {
    uint64_t s = weight_bytes(&m->output, only);
    for (int il = 0; il < m->hp.n_layer; il++) {
        const l1__layer *L = &m->layers[il];
        const l1__weight *ws[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < L1_ARRAY_LEN(ws); i++) s += weight_bytes(ws[i], only);
    }
    return s;
}

int main(int argc, char **argv) {
    int threads = 2, prompt = 512, n_dec = 32, reps = 2, serial = 0, only = -1;
    const char *path = NULL, *type_name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-p") && i + 1 < argc) prompt = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) n_dec = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--serial")) serial = 1;
        else if (!strcmp(argv[i], "--type") && i + 1 < argc) type_name = argv[++i];
        else path = argv[i];
    }
    if (!path || threads < 1 || threads > L1__POOL_MAX_THREADS || prompt < 1 || n_dec < 1 || reps < 1) {
        fprintf(stderr, "usage: %s MODEL.gguf [-t THREADS] [-p PROMPT] [-n DECODE_TOKENS] [-r REPS] "
                        "[--serial] [--type T]\n", argv[0]);
        return 2;
    }
    if (type_name) {
        l1__type t;
        if (!l1__type_from_name(type_name, &t)) {
            fprintf(stderr, "--type %s: not a type name (q4_K, q6_K, ...)\n", type_name);
            return 2;
        }
        only = (int)t;
    }
    l1_model *m = NULL;
    l1__pool *pool = NULL;
    l1_model_params mp = l1_model_default_params();
    mp.no_repack = getenv("L1_NO_REPACK") != NULL;
    if (l1_model_load(path, &mp, &m) != L1_OK || l1__pool_new(threads, &pool) != L1_OK ||
        l1__model_prepare(m, pool, l1__kernels_get()) != L1_OK) {
        fprintf(stderr, "%s: %s\n", path, l1_last_error());
        return 1;
    }
    const double gb = (double)matrix_bytes(m, only) / 1e9;
    if (gb == 0) {
        fprintf(stderr, "%s: no matrix of type %s\n", path, l1__type_name((uint32_t)only));
        l1__pool_free(pool);
        l1_model_free(m);
        return 2;
    }
    const int64_t width = m->hp.n_ff > m->hp.n_embd ? m->hp.n_ff : m->hp.n_embd;
    bench b = {m, l1__kernels_get(), pool, 1, NULL, NULL, NULL, only};
    b.x = malloc((size_t)(prompt * width) * sizeof(float));
    b.xq = malloc((size_t)(prompt * width) * sizeof(float));
    b.y = malloc((size_t)prompt * (size_t)m->hp.n_vocab * sizeof(float));
    if (!b.x || !b.xq || !b.y) return 1;
    for (int64_t i = 0; i < prompt * width; i++) b.x[i] = (float)((i * 7919) % 2001) * 1e-3f - 1.0f;
    printf("%s: %s, %.3f GB of %s matrices, kernels %s, %d thread%s\n", path, m->weight_type, gb,
           only >= 0 ? l1__type_name((uint32_t)only) : "all", b.k->name, threads, threads > 1 ? "s" : "");
    printf("| path | tg (1 token) t/s | GB/s | prompt t/s |\n|---|---|---|---|\n");
    for (int s = 0; s <= serial; s++) {
        b.pool = s ? NULL : pool;
        b.n_tok = 1;
        const double tg = time_steps(&b, s ? 4 : n_dec, 1);
        /* One thread is slow enough that a shorter prompt has to do. */
        b.n_tok = s && prompt > 64 ? 64 : prompt;
        const double pp = time_steps(&b, s ? 1 : reps, 0);
        printf("| %s | %.2f | %.1f | %.2f (pp%lld) |\n", s ? "l1__matmul, 1 thread" : "l1__matmul", tg,
               tg * gb, pp, (long long)b.n_tok);
        fflush(stdout);
    }
    free(b.x);
    free(b.xq);
    free(b.y);
    l1__pool_free(pool);
    l1_model_free(m);
    return 0;
}
