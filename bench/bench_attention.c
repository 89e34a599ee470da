/*
 * bench_attention.c - decode attention at depth, one thread, in the shape
 * of L1-Qwen-1.5B (12 query heads over 2 KV heads, head_dim 128, 28
 * layers, F16 cache): the time of one token's attention over all layers
 * with each of the kernels the forward pass can use for it:
 *
 *   per-head f16acc  one attention call per query head in F16_ACC mode (each
 *                    K and V row read once per query head: 6 times)
 *   grouped f32      one attention_group call per KV head (each row read
 *                    once for its 6 query heads), then l1__attn_finish
 *   split f32        the same cut into chunks of 256 positions, merged by
 *                    l1__attn_merge (what forward.c runs from 512
 *                    positions, the chunks spread over the pool's threads)
 *
 * Each layer has its own cache, so the 28 layers' K and V (117 MB at depth
 * 4096) stream from DRAM as in real decoding.  Times are the thread's CPU
 * time (the minimum and the median over the repetitions), which other
 * processes' time slices on a loaded machine do not inflate.
 *
 * With -c every layer reads the first layer's K and V (4 MB at depth
 * 4096), which then come from the caches: the kernels' arithmetic alone,
 * so that the difference from a run without -c is the time spent waiting
 * for memory.
 *
 * usage: bench_attention [-d DEPTH] [-r REPS] [-T scalar|avx2|avx512|neon] [-m 0|1|2] [-c]
 * (-m: only that kernel of the three, for a profiler)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "base/fp16.h"
#include "kernels/kernels.h"

#define N_LAYER 28
#define N_HEAD 12
#define N_KV 2
#define HD 128
#define CHUNK 256

/* The thread's CPU time: on a machine shared with other work, wall time
 * counts their time slices too. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint32_t g_rng = 12345u;
static float rnd_f(void) {
    g_rng = g_rng * 1664525u + 1013904223u;
    return (float)(g_rng >> 8) / 8388608.0f - 1.0f;
}

static int cmp_d(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct setup {
    const l1__kernels *k;
    int64_t depth;
    bool cached;    /* every layer reads layer 0's K and V */
    uint16_t *kv;   /* (N_LAYER, 2, N_KV, depth, HD) */
    float *q, *out; /* (N_HEAD, HD) */
    float *rec;     /* (N_HEAD, max chunks, HD + 2) */
    void *work;
} setup;

static const uint16_t *head(const setup *s, int il, int which, int kh) {
    if (s->cached) il = 0;
    return s->kv + (((size_t)il * 2 + (size_t)which) * N_KV + (size_t)kh) * (size_t)s->depth * HD;
}

static void run(const setup *s, int method) {
    const int group = N_HEAD / N_KV;
    const float scale = 1.0f / sqrtf((float)HD);
    for (int il = 0; il < N_LAYER; il++) {
        if (method == 0) {
            l1__attn_args a = {.row_stride = HD * 2, .kv_type = L1_TYPE_F16, .n_kv = s->depth, .head_dim = HD,
                               .scale = scale, .mode = L1__ATTN_F16_ACC, .work = s->work};
            for (int h = 0; h < N_HEAD; h++) {
                a.q = s->q + h * HD;
                a.k = head(s, il, 0, h / group);
                a.v = head(s, il, 1, h / group);
                a.out = s->out + h * HD;
                s->k->attention(&a);
            }
            continue;
        }
        const int64_t len = method == 1 ? s->depth : CHUNK, nch = (s->depth + len - 1) / len;
        for (int kh = 0; kh < N_KV; kh++)
            for (int64_t c = 0; c < nch; c++) {
                l1__attn_group_args g = {.q = s->q + kh * group * HD, .q_stride = HD, .n_q = group,
                                         .row_stride = HD * 2, .kv_type = L1_TYPE_F16, .head_dim = HD,
                                         .scale = scale, .rec_stride = HD + 2, .work = s->work};
                g.k = head(s, il, 0, kh) + c * len * HD;
                g.v = head(s, il, 1, kh) + c * len * HD;
                g.n_kv = (c + 1) * len < s->depth ? len : s->depth - c * len;
                g.rec = s->rec + ((int64_t)kh * group * nch + c * group) * (HD + 2);
                s->k->attention_group(&g);
            }
        for (int h = 0; h < N_HEAD; h++)
            l1__attn_merge(s->out + h * HD, s->rec + ((int64_t)(h / group) * group * nch + h % group) * (HD + 2), nch, group * (HD + 2), HD);
    }
}

int main(int argc, char **argv) {
    int64_t depth = 4096;
    int reps = 9, only = -1;
    bool cached = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-d") && i + 1 < argc) depth = atoll(argv[++i]);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-T") && i + 1 < argc) setenv("L1_TIER", argv[++i], 1);
        else if (!strcmp(argv[i], "-m") && i + 1 < argc) only = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-c")) cached = true;
        else {
            fprintf(stderr, "usage: %s [-d DEPTH] [-r REPS] [-T scalar|avx2|avx512|neon] [-m 0|1|2] [-c]\n", argv[0]);
            return 2;
        }
    }
    if (depth < 1 || reps < 1 || reps > 1000) return 2;
    setup s;
    s.k = l1__kernels_get();
    s.depth = depth;
    s.cached = cached;
    const size_t kv_n = (size_t)N_LAYER * 2 * N_KV * (size_t)depth * HD;
    const int64_t max_ch = (depth + CHUNK - 1) / CHUNK;
    s.kv = malloc(kv_n * sizeof *s.kv);
    s.q = malloc(N_HEAD * HD * sizeof *s.q);
    s.out = malloc(N_HEAD * HD * sizeof *s.out);
    s.rec = malloc((size_t)N_HEAD * (size_t)max_ch * (HD + 2) * sizeof *s.rec);
    const size_t wb = l1__attn_group_work_bytes(HD, N_HEAD / N_KV) + l1__attn_work_bytes(HD);
    s.work = malloc(wb);
    if (!s.kv || !s.q || !s.out || !s.rec || !s.work) return 1;
    for (size_t i = 0; i < kv_n; i++) s.kv[i] = l1__f32_to_f16(rnd_f());
    for (int i = 0; i < N_HEAD * HD; i++) s.q[i] = 2.0f * rnd_f();
    static const char *names[3] = {"per-head f16acc", "grouped f32", "split f32"};
    printf("decode attention, %s tier, 1 thread, depth %lld, %d layers x %d heads / %d KV heads x %d, "
           "%.0f MB of K and V%s\n\n| kernel | min CPU ms / token | median CPU ms / token |\n|---|---:|---:|\n",
           s.k->name, (long long)depth, N_LAYER, N_HEAD, N_KV, HD, (double)kv_n * 2 / 1e6,
           cached ? " (-c: every layer reads the first layer's, from the caches)" : "");
    double t[3][1000];
    for (int m = 0; m < 3; m++) run(&s, m); /* warm-up */
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < 3; i++) {
            const int m = (i + r) % 3; /* each method after each other one in turn */
            if (only >= 0 && m != only) continue;
            const double t0 = now_s();
            run(&s, m);
            t[m][r] = now_s() - t0;
        }
    for (int m = 0; m < 3; m++) {
        if (only >= 0 && m != only) continue;
        qsort(t[m], (size_t)reps, sizeof(double), cmp_d);
        printf("| %s | %.2f | %.2f |\n", names[m], 1e3 * t[m][0], 1e3 * t[m][reps / 2]);
    }
    free(s.kv);
    free(s.q);
    free(s.out);
    free(s.rec);
    free(s.work);
    return 0;
}
