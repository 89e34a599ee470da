/*
 * bench_sample.c - time of one sampling step over a 151936-entry vocabulary
 * (L1-Qwen-1.5B's), to set against a decode step (about 25 ms for the 1.5B
 * model on two cores): the sampler should cost well under 5% of it.
 *
 * Logit shapes, each a bulk of N(0, 2.5^2) values like a real LM head's:
 *   peaked     one token 20 logits up (a confident step);
 *   uncertain  a handful of tokens at 10..13, just above the bulk's tail;
 *   flat       all within 0.01 of each other (the worst case: every token is
 *              a candidate and top-p keeps 95% of the vocabulary).
 * Chains: the default (temperature 0.6, top-p 0.95), default + top-k 40 +
 * min-p 0.05 + repetition penalty 1.1 over 64 tokens, and greedy.  The
 * logits are restored before each step (the sampler edits them in place);
 * only the sampling call is timed.  Prints the minimum (the figure least
 * disturbed by other load on the machine), median and mean per step in
 * microseconds.
 *
 *   make bench && build/release/bench/bench_sample [iterations [shape]]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sample/sample.h"

#define N_VOCAB 151936

static uint64_t g_state = 0x1234567887654321u;
static double uniform(void) {
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return ((double)(g_state >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static float gaussian(float sd) {
    return (float)(sd * sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform()));
}

static void make_logits(const char *shape, float *l) {
    for (int i = 0; i < N_VOCAB; i++) l[i] = gaussian(2.5f);
    if (!strcmp(shape, "peaked")) {
        l[4242] = 20.0f;
    } else if (!strcmp(shape, "uncertain")) {
        for (int i = 0; i < 8; i++) l[(i * 7919) % N_VOCAB] = 10.0f + 0.4f * (float)i;
    } else {
        for (int i = 0; i < N_VOCAB; i++) l[i] = gaussian(0.01f);
    }
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run(const char *chain, const char *shape, const l1__sample_params *p, int iters, const float *src,
               float *work) {
    l1__sampler *s;
    if (l1__sampler_create(p, N_VOCAB, &s) != L1_OK) {
        fprintf(stderr, "bench_sample: %s\n", l1_last_error());
        return 1;
    }
    for (int i = 0; i < 64; i++) l1__sampler_accept(s, (l1_token)((i * 104729) % N_VOCAB));
    double *t = malloc((size_t)iters * sizeof *t);
    if (!t) return 1;
    unsigned sink = 0;
    for (int it = 0; it < iters; it++) {
        memcpy(work, src, N_VOCAB * sizeof *work);
        l1_token tok = 0;
        double t0 = now_us();
        l1_status st = l1__sampler_sample(s, work, &tok);
        t[it] = now_us() - t0;
        if (st != L1_OK) {
            fprintf(stderr, "bench_sample: %s\n", l1_last_error());
            return 1;
        }
        sink += (unsigned)tok;
    }
    double sum = 0;
    for (int it = 0; it < iters; it++) sum += t[it];
    qsort(t, (size_t)iters, sizeof *t, cmp_double);
    printf("%-8s %-10s min %7.1f us  median %7.1f us  mean %7.1f us  (%d steps, sink %u)\n", chain, shape, t[0],
           t[iters / 2], sum / iters, iters, sink % 10);
    free(t);
    l1__sampler_free(s);
    return 0;
}

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 200;
    if (iters < 1) iters = 1;
    float *src = malloc(N_VOCAB * sizeof *src), *work = malloc(N_VOCAB * sizeof *work);
    if (!src || !work) return 1;
    l1__sample_params def, full, greedy;
    l1__sample_params_default(&def);
    full = def;
    full.top_k = 40;
    full.min_p = 0.05f;
    full.repeat_penalty = 1.1f;
    greedy = def;
    greedy.temperature = 0.0f;
    const char *shapes[] = {"peaked", "uncertain", "flat"};
    printf("sampling one step over %d logits\n", N_VOCAB);
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        if (argc > 2 && strcmp(argv[2], shapes[i])) continue;
        make_logits(shapes[i], src);
        rc |= run("default", shapes[i], &def, iters, src, work);
        rc |= run("full", shapes[i], &full, iters, src, work);
        rc |= run("greedy", shapes[i], &greedy, iters, src, work);
    }
    free(src);
    free(work);
    return rc;
}
