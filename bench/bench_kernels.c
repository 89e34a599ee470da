/*
 * bench_kernels.c - kernel micro-benchmarks: for each weight type and ISA
 * tier, a decode-shaped matvec (8960 rows x 1536 columns, the FFN up/gate
 * shape of a 1.5B Qwen2) with 1 and 2 threads of the l1 pool, reported as
 * weight GB/s and GOP/s next to the machine's measured read bandwidth.
 * Each tier runs twice: one row per vec_dot call ("1r") and, where the tier
 * has one, the multi-row kernel over groups of L1__DOT_MAX_ROWS rows
 * ("4r").  The "hot" columns repeat one thread on a 64-row matrix that
 * stays in L2: the kernel's compute ceiling, free of DRAM.
 *
 * Weights span several copies of the matrix (>= 256 MiB in all) and each
 * iteration uses the next copy, so they stream from DRAM as in a real
 * decode step rather than sitting in the last-level cache.
 *
 * A second table times the float kernels of the forward pass per tier, one
 * thread, on data that stays in cache: attention of one head (head_dim
 * 128, an F16 cache) in both modes, SwiGLU over an FFN row, RMSNorm over
 * an embedding row.
 *
 * usage: bench_kernels [-t MAX_THREADS] [-s SECONDS] [TYPE ... | float]
 *        (default: all types, then the float kernels)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/base.h"
#include "base/fp16.h"
#include "kernels/kernels.h"
#include "quant/quant.h"
#include "kernels/kernels.h"
#include "kernels/threadpool.h"

#define ROWS 8960
#define COLS 1536
#define SPAN_BYTES (256ull << 20)

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t g_rng = 88172645463325252ull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

typedef struct {
    const uint8_t *w;  /* (ROWS, row_bytes) */
    size_t row_bytes;
    const void *xq;    /* activation row in the vec_dot_type */
    float *y;          /* (ROWS) */
    l1__dot_fn dot;
    l1__dot_rows_fn rows; /* NULL: one row per call */
    int64_t n_rows;
} matvec_job;

/* y[r] = dot(W[r, :], x) for this thread's share of the rows. */
static void matvec_fn(void *arg, int ith, int nth) {
    const matvec_job *j = arg;
    int64_t lo, hi;
    l1__pool_split(j->n_rows, 16, ith, nth, &lo, &hi);
    if (!j->rows) {
        for (int64_t r = lo; r < hi; r++) j->dot(COLS, &j->y[r], j->w + (size_t)r * j->row_bytes, j->xq);
        return;
    }
    for (int64_t r = lo; r < hi; r += L1__DOT_MAX_ROWS) {
        const int nr = hi - r < L1__DOT_MAX_ROWS ? (int)(hi - r) : L1__DOT_MAX_ROWS;
        j->rows(COLS, &j->y[r], j->w + (size_t)r * j->row_bytes, j->row_bytes, j->xq, nr);
    }
}

typedef struct {
    float *buf;
    size_t n;
    l1__dot_fn dot;
    float out[L1__POOL_MAX_THREADS];
} read_job;

/* Streams this thread's share once: an f32 dot of the data with itself
 * (both operands the same address, so one stream from memory). */
static void read_fn(void *arg, int ith, int nth) {
    read_job *j = arg;
    int64_t lo, hi;
    l1__pool_split((int64_t)j->n, 1024, ith, nth, &lo, &hi);
    j->dot(hi - lo, &j->out[ith], j->buf + lo, j->buf + lo);
}

static double read_bandwidth(l1__pool *pool, double secs) {
    const size_t n = SPAN_BYTES / 4;
    float *buf = malloc(SPAN_BYTES);
    if (!buf) return 0;
    for (size_t i = 0; i < n; i++) buf[i] = (float)(i % 1000) * 1e-3f;
    read_job j = {buf, n, l1__kernels_get()->dot[L1_TYPE_F32], {0}};
    l1__pool_run(pool, read_fn, &j); /* warm-up */
    int reps = 0;
    const double t0 = now_s();
    double t;
    do {
        l1__pool_run(pool, read_fn, &j);
        reps++;
    } while ((t = now_s() - t0) < secs);
    free(buf);
    return (double)SPAN_BYTES * reps / t / 1e9;
}

/* Random blocks with the first f16 scale fields kept in a sane range. */
static void fill_matrix(const l1__quant_traits *t, uint8_t *w, size_t bytes) {
    for (size_t i = 0; i < bytes; i++) w[i] = (uint8_t)rnd();
    if (t->block_size == 1) {
        if (t->type == L1_TYPE_F32)
            for (size_t i = 0; i < bytes / 4; i++) {
                float v = (float)(rnd() % 2001) / 1000.0f - 1.0f;
                memcpy(w + 4 * i, &v, 4);
            }
        else
            for (size_t i = 0; i < bytes / 2; i++) w[2 * i + 1] &= 0x3f; /* finite, small */
        return;
    }
    /* Every 32- and 256-value block starts with or ends in its f16 d; a
     * small value in both spots keeps the sums finite whatever the layout. */
    const uint16_t h = l1__f32_to_f16(0.01f);
    for (size_t b = 0; b + t->type_size <= bytes; b += t->type_size) {
        memcpy(w + b, &h, 2);
        memcpy(w + b + t->type_size - 2, &h, 2);
    }
}

typedef struct {
    double gbs[2], gops[2], hot;
} result;

/* Runs matvecs until `secs` have passed; returns weight GB/s.  Each
 * iteration takes the next of n_copies matrices mat_bytes apart. */
static double time_matvec(l1__pool *pool, matvec_job *j, const uint8_t *span, size_t n_copies,
                          size_t mat_bytes, const float *x, void *xq, l1__act_quant_fn q, double secs) {
    const double t0 = now_s();
    double el;
    int reps = 0;
    do {
        j->w = span + (reps % n_copies) * mat_bytes;
        q(x, xq, COLS); /* once per matvec, as in decode */
        l1__pool_run(pool, matvec_fn, j);
        reps++;
    } while ((el = now_s() - t0) < secs);
    return (double)mat_bytes * reps / el / 1e9;
}

static int bench_one(const l1__quant_traits *t, l1__tier tier, int multi, l1__pool **pools, int max_threads,
                     double secs, uint8_t *span, size_t n_copies, size_t mat_bytes, result *res) {
    /* A tier's own kernels only: where it has none, the scalar ones would
     * be measured under its name. */
    const l1__kernels *k = l1__kernels_tier(tier), *own = l1__kernels_own(tier);
    if (!k || !own || !own->dot[t->type]) return 0;
    l1__dot_fn dot = k->dot[t->type];
    l1__dot_rows_fn rows = multi ? k->dot_rows[t->type] : NULL;
    if (multi && !rows) return 0;
    float x[COLS];
    for (int i = 0; i < COLS; i++) x[i] = (float)(rnd() % 2001) / 1000.0f - 1.0f;
    uint8_t xq[COLS * 4 + 64];
    float *y = malloc(ROWS * sizeof *y);
    l1__act_quant_fn q = k->act_quant[t->vec_dot_type];
    const double ops = 2.0 * ROWS * COLS / (double)mat_bytes; /* per weight byte */
    for (int th = 0; th < max_threads; th++) {
        matvec_job j = {span, mat_bytes / ROWS, xq, y, dot, rows, ROWS};
        res->gbs[th] = time_matvec(pools[th], &j, span, n_copies, mat_bytes, x, xq, q, secs);
        res->gops[th] = res->gbs[th] * ops;
    }
    /* Hot: 64 rows, the same ones every time. */
    matvec_job j = {span, mat_bytes / ROWS, xq, y, dot, rows, 64};
    res->hot = time_matvec(pools[0], &j, span, 1, mat_bytes / ROWS * 64, x, xq, q, secs);
    free(y);
    return 1;
}

/* ---- float kernels ---------------------------------------------------------------- */

#define FL_HEAD_DIM 128
#define FL_MAX_KV 512
#define FL_FFN 8960
#define FL_EMBD 1536

typedef struct {
    const l1__kernels *scalar;
    const l1__kernels *st; /* NULL: the scalar tier */
    l1__attn_args attn;
    float *g, *u, *y, *x, *w;
} float_job;

/* Runs kernel `which` until secs have passed; returns microseconds per call. */
static double time_float(float_job *j, int which, double secs) {
    void (*attn)(const l1__attn_args *) = j->st && j->st->attention ? j->st->attention : j->scalar->attention;
    void (*swiglu)(float *, const float *, const float *, int64_t) =
        j->st && j->st->swiglu ? j->st->swiglu : j->scalar->swiglu;
    void (*rmsnorm)(float *, const float *, const float *, int64_t, float) =
        j->st && j->st->rmsnorm ? j->st->rmsnorm : j->scalar->rmsnorm;
    const double t0 = now_s();
    double el;
    int reps = 0;
    do {
        for (int k = 0; k < 8; k++) {
            if (which == 0) attn(&j->attn);
            else if (which == 1) swiglu(j->y, j->g, j->u, FL_FFN);
            else rmsnorm(j->y, j->x, j->w, FL_EMBD, 1e-6f);
        }
        reps += 8;
    } while ((el = now_s() - t0) < secs);
    return el / reps * 1e6;
}

static void bench_float(double secs) {
    float_job j;
    memset(&j, 0, sizeof j);
    j.scalar = l1__kernels_scalar();
    const size_t row = FL_HEAD_DIM * sizeof(uint16_t);
    uint16_t *k = malloc(FL_MAX_KV * row), *v = malloc(FL_MAX_KV * row);
    float *q = malloc(FL_HEAD_DIM * sizeof *q), *out = malloc(FL_HEAD_DIM * sizeof *out);
    void *work = malloc(l1__attn_work_bytes(FL_HEAD_DIM));
    j.g = malloc(FL_FFN * sizeof(float));
    j.u = malloc(FL_FFN * sizeof(float));
    j.y = malloc(FL_FFN * sizeof(float));
    j.x = malloc(FL_EMBD * sizeof(float));
    j.w = malloc(FL_EMBD * sizeof(float));
    if (!k || !v || !q || !out || !work || !j.g || !j.u || !j.y || !j.x || !j.w) return;
    for (size_t i = 0; i < FL_MAX_KV * FL_HEAD_DIM; i++) {
        k[i] = l1__f32_to_f16((float)(rnd() % 2001) / 1000.0f - 1.0f);
        v[i] = l1__f32_to_f16((float)(rnd() % 2001) / 1000.0f - 1.0f);
    }
    for (int i = 0; i < FL_HEAD_DIM; i++) q[i] = (float)(rnd() % 2001) / 250.0f - 4.0f;
    for (int i = 0; i < FL_FFN; i++) {
        j.g[i] = (float)(rnd() % 2001) / 200.0f - 5.0f;
        j.u[i] = (float)(rnd() % 2001) / 1000.0f - 1.0f;
    }
    for (int i = 0; i < FL_EMBD; i++) {
        j.x[i] = (float)(rnd() % 2001) / 1000.0f - 1.0f;
        j.w[i] = (float)(rnd() % 2001) / 1000.0f;
    }
    j.attn = (l1__attn_args){q, k, v, row, L1_TYPE_F16, 0, FL_HEAD_DIM, 0.0884f, L1__ATTN_F32, out, work};
    printf("\nfloat kernels, 1 thread, microseconds per call\n\n"
           "| tier | attn f16acc 64 | attn f16acc 512 | attn f32 64 | attn f32 512 | swiglu %d | rmsnorm %d |\n"
           "|---|---|---|---|---|---|---|\n",
           FL_FFN, FL_EMBD);
    for (int tier = 0; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        j.st = tier == L1_TIER_SCALAR ? NULL : l1__kernels_own((l1__tier)tier);
        double us[6];
        for (int m = 0; m < 4; m++) {
            j.attn.mode = m < 2 ? L1__ATTN_F16_ACC : L1__ATTN_F32;
            j.attn.n_kv = m % 2 ? FL_MAX_KV : 64;
            us[m] = time_float(&j, 0, secs);
        }
        us[4] = time_float(&j, 1, secs);
        us[5] = time_float(&j, 2, secs);
        printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", l1__tier_name((l1__tier)tier), us[0], us[1],
               us[2], us[3], us[4], us[5]);
        fflush(stdout);
    }
    free(k);
    free(v);
    free(q);
    free(out);
    free(work);
    free(j.g);
    free(j.u);
    free(j.y);
    free(j.x);
    free(j.w);
}

int main(int argc, char **argv) {
    int max_threads = 2;
    double secs = 0.25;
    int first_type = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc) max_threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc) secs = atof(argv[++i]);
        else { first_type = i; break; }
    }
    if (max_threads < 1 || max_threads > 2) max_threads = max_threads < 1 ? 1 : 2;
    l1__pool *pools[2] = {NULL, NULL};
    for (int th = 0; th < max_threads; th++)
        if (l1__pool_new(th + 1, &pools[th]) != L1_OK) {
            fprintf(stderr, "bench_kernels: %s\n", l1_last_error());
            return 1;
        }
    printf("matvec %d x %d, weights streamed from >= %llu MiB; best tier: %s\n", ROWS, COLS,
           SPAN_BYTES >> 20, l1__tier_name(l1__tier_best()));
    for (int th = 0; th < max_threads; th++)
        printf("read bandwidth, %d thread%s: %.1f GB/s\n", th + 1, th ? "s" : "",
               read_bandwidth(pools[th], secs * 2));
    printf("\n| type | tier | rows | GB/s 1t | GOP/s 1t | GB/s 2t | GOP/s 2t | GB/s hot 1t |\n"
           "|---|---|---|---|---|---|---|---|\n");
    static const uint32_t all[] = {L1_TYPE_Q4_0, L1_TYPE_Q4_1, L1_TYPE_Q5_0, L1_TYPE_Q5_1, L1_TYPE_Q8_0,
                                   L1_TYPE_Q2_K, L1_TYPE_Q3_K, L1_TYPE_Q4_K, L1_TYPE_Q5_K, L1_TYPE_Q6_K,
                                   L1_TYPE_IQ4_NL, L1_TYPE_IQ4_XS, L1_TYPE_F16, L1_TYPE_BF16, L1_TYPE_F32};
    int want_float = first_type == argc;
    for (int i = first_type; i < argc; i++) want_float |= !strcasecmp(argv[i], "float");
    for (size_t k = 0; k < L1_ARRAY_LEN(all); k++) {
        const l1__quant_traits *t = l1__quant_traits_get(all[k]);
        if (!t) continue;
        if (first_type < argc) {
            int want = 0;
            for (int i = first_type; i < argc; i++) want |= !strcasecmp(argv[i], t->name);
            if (!want) continue;
        }
        const size_t mat_bytes = (size_t)ROWS * (COLS / t->block_size) * t->type_size;
        const size_t n_copies = (SPAN_BYTES + mat_bytes - 1) / mat_bytes;
        uint8_t *span = malloc(n_copies * mat_bytes);
        if (!span) return 1;
        fill_matrix(t, span, mat_bytes);
        for (size_t c = 1; c < n_copies; c++) memcpy(span + c * mat_bytes, span, mat_bytes);
        for (int tier = 0; tier < L1_TIER_COUNT; tier++) {
            if (!l1__tier_supported((l1__tier)tier)) continue;
            for (int multi = 0; multi < 2; multi++) {
                result r = {{0, 0}, {0, 0}, 0};
                if (!bench_one(t, (l1__tier)tier, multi, pools, max_threads, secs, span, n_copies, mat_bytes, &r))
                    continue;
                printf("| %s | %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f |\n", t->name,
                       l1__tier_name((l1__tier)tier), multi ? "4r" : "1r", r.gbs[0], r.gops[0], r.gbs[1],
                       r.gops[1], r.hot);
                fflush(stdout);
            }
        }
        free(span);
    }
    if (want_float) bench_float(secs);
    for (int th = 0; th < max_threads; th++) l1__pool_free(pools[th]);
    return 0;
}
