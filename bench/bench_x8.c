/*
 * bench_x8.c - the x8 kernels of the best tier (kernels/repack.h) alone, on
 * one thread, for a count of tokens: multiply-accumulates per second with
 * the weights in L2 (64 rows, repeated: the kernel's arithmetic) and with
 * them streamed from DRAM (256 MiB of packed groups, each read once per
 * pass, in calls of 512 groups as the matmul layer makes them).  The gap
 * between the two is what the kernel waits for memory.
 *
 * Weights are random rows quantized by l1's reference quantizer and packed
 * with the tier's transpose; activations are random rows in the weight's
 * activation type.  The figures are the best of several passes.
 *
 * usage: bench_x8 [-n COLS] [-k TOKENS] [TYPE ...]   (default: 1536 columns,
 *        8 tokens, Q4_0 Q8_0 Q4_K Q6_K)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "gguf/types.h"
#include "kernels/kernels.h"
#include "kernels/repack.h"
#include "quant/quant.h"

#define SPAN_BYTES (256ull << 20)
#define HOT_GROUPS 8 /* 64 rows */
#define CALL_GROUPS 512 /* groups per call when streaming */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t g_rng = 88172645463325252ull;
static float rnd_unit(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (float)(g_rng % 20001) / 10000.0f - 1.0f;
}

/* Times one type; returns 0, or 1 when memory runs out. */
static int run(const l1__kernels *k, uint32_t type, int64_t n, int nt) {
    const l1__quant_traits *q = l1__quant_traits_get(type);
    const l1__quant_traits *a = l1__quant_traits_get(q->vec_dot_type);
    const size_t gb = l1__x8_group_bytes(type, n), rb = l1__quant_row_bytes(q, n), ab = l1__quant_row_bytes(a, n);
    int64_t ng = (int64_t)(SPAN_BYTES / gb);
    ng -= ng % CALL_GROUPS;
    float *f = malloc(sizeof(float) * (size_t)n * 8);
    uint8_t *plain = malloc(rb * 8), *y = malloc(ab * (size_t)nt), *packed = malloc((size_t)ng * gb);
    float *s = malloc(sizeof(float) * (size_t)nt * CALL_GROUPS * 8);
    int rc = !f || !plain || !y || !packed || !s || ng == 0;
    if (rc) goto done;
    /* 64 distinct groups, repeated over the span (their bytes are what
     * the kernel reads; the repetition does not show in the timing). */
    for (int64_t g = 0; g < ng; g++) {
        if (g < 64) {
            for (int64_t i = 0; i < 8 * n; i++) f[i] = rnd_unit();
            q->from_float(f, plain, 8 * n);
        }
        l1__x8_pack(type, plain, rb, n, 8, packed + (size_t)g * gb, k->x8_transpose);
    }
    for (int t = 0; t < nt; t++) {
        for (int64_t i = 0; i < n; i++) f[i] = rnd_unit();
        a->from_float(f, y + (size_t)t * ab, n);
    }
    const l1__x8_fn fn = k->x8[type];
    double hot = 1e30, streamed = 1e30;
    for (int rep = 0; rep < 20; rep++) {
        const double t0 = now_s();
        for (int it = 0; it < 200; it++) fn(n, s, HOT_GROUPS * 8, packed, gb, HOT_GROUPS, y, ab, nt);
        const double dt = (now_s() - t0) / 200;
        if (dt < hot) hot = dt;
    }
    for (int rep = 0; rep < 4; rep++) {
        const double t0 = now_s();
        for (int64_t g = 0; g < ng; g += CALL_GROUPS)
            fn(n, s, CALL_GROUPS * 8, packed + (size_t)g * gb, gb, CALL_GROUPS, y, ab, nt);
        const double dt = now_s() - t0;
        if (dt < streamed) streamed = dt;
    }
    const double mac_hot = (double)HOT_GROUPS * 8 * (double)n * nt, mac_str = (double)ng * 8 * (double)n * nt;
    printf("| %s | %lld | %d | %.1f | %.1f | %.1f |\n", q->name, (long long)n, nt, mac_hot / hot / 1e9,
           mac_str / streamed / 1e9, (double)ng * (double)gb / streamed / 1e9);
    fflush(stdout);
done:
    free(f);
    free(plain);
    free(y);
    free(packed);
    free(s);
    return rc;
}

int main(int argc, char **argv) {
    int64_t n = 1536;
    int nt = 8, first = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = atoll(argv[++i]);
        else if (!strcmp(argv[i], "-k") && i + 1 < argc)
            nt = atoi(argv[++i]);
        else {
            first = i;
            break;
        }
    }
    if (n < 256 || n % 256 != 0 || nt < 1 || nt > L1__X8_MAX_TOKENS) {
        fprintf(stderr, "usage: %s [-n COLS (a multiple of 256)] [-k TOKENS (1..%d)] [TYPE ...]\n", argv[0],
                L1__X8_MAX_TOKENS);
        return 2;
    }
    uint32_t types[L1_TYPE_COUNT];
    int nty = 0;
    if (first == argc) {
        const uint32_t def[] = {L1_TYPE_Q4_0, L1_TYPE_Q8_0, L1_TYPE_Q4_K, L1_TYPE_Q6_K};
        for (size_t i = 0; i < L1_ARRAY_LEN(def); i++) types[nty++] = def[i];
    }
    for (int i = first; i < argc && nty < L1_TYPE_COUNT; i++) {
        l1__type t;
        if (!l1__type_from_name(argv[i], &t) || !l1__x8_type(t)) {
            fprintf(stderr, "%s: not a type with x8 kernels (q4_0, q8_0, q4_K, q6_K)\n", argv[i]);
            return 2;
        }
        types[nty++] = t;
    }
    const l1__kernels *k = l1__kernels_get();
    printf("x8 kernels, tier %s, 1 thread; GMAC/s with the weights in L2 and streamed from DRAM\n\n", k->name);
    printf("| type | columns | tokens | GMAC/s in L2 | GMAC/s streamed | GB/s streamed |\n|---|---|---|---|---|---|\n");
    for (int i = 0; i < nty; i++) {
        if (!k->x8[types[i]]) {
            printf("| %s | %lld | %d | no x8 kernel in this tier | | |\n", l1__type_name(types[i]), (long long)n, nt);
            continue;
        }
        if (run(k, types[i], n, nt)) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
    }
    return 0;
}
