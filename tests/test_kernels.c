/*
 * test_kernels.c - the kernel layer: tier selection and every SIMD kernel of every tier this host can run, checked against the
 * scalar reference of quant.h.
 *
 * Weights are random bytes with sane scale fields (so every code pattern
 * occurs, -128 in Q8_0 included); activations come from the scalar
 * activation quantizer (so their codes are in [-127, 127], as the kernels
 * require).  Float results are checked against a double-precision dot of
 * the dequantized operands; integer block sums are checked exactly on
 * inputs whose scales are 1, where the float result is an exact integer.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/base.h"
#include "base/fp16.h"
#include "quant/quant.h"
#include "quant/quant_blocks.h"
#include "kernels/kernels.h"
#include "support/tiers.h"

#include "support/sanitizers.h"

/* A kernel's f32 result may differ from the exact dot by f32 rounding of
 * the per-block scales and of the running sum: relative to sum |a_i b_i|,
 * a few units of 2^-24 per accumulated block.  1e-5 allows ~100 of them
 * while any wrong code, scale or offset shows up as an O(1) error. */
#define DOT_RTOL 1e-5
/* Absolute slack for dot products that cancel to nearly zero. */
#define DOT_ATOL 1e-6

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}
static float rnd_f(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xFFFFFF) / 16777216.0f; }

/* ---- tiers --------------------------------------------------------------------------- */

/* Runs first, in a child process, before anything has chosen a tier. */
static void force_scalar_env_selects_scalar(void **state) {
    (void)state;
#if defined(__aarch64__)
    /* The aarch64 build runs under qemu-user, where a forked child of a
     * dynamically linked program hangs before running any code. */
    skip();
#endif
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("L1_FORCE_SCALAR", "1", 1);
        _exit(l1__tier_best() == L1_TIER_SCALAR ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void tier_set_picks_supported_tiers_only(void **state) {
    (void)state;
    const l1__tier best = l1__tier_best();
    assert_true(l1__tier_supported(best));
    assert_true(l1__tier_supported(L1_TIER_SCALAR));
    for (int t = 0; t < L1_TIER_COUNT; t++) {
        if (l1__tier_supported((l1__tier)t)) {
            assert_true(l1__tier_set((l1__tier)t));
            assert_int_equal(l1__tier_best(), t);
        } else {
            assert_false(l1__tier_set((l1__tier)t));
        }
        assert_string_not_equal(l1__tier_name((l1__tier)t), "unknown");
    }
    assert_true(l1__tier_set(L1_TIER_COUNT));
    assert_int_equal(l1__tier_best(), best);
    assert_null(l1t_dot(L1_TYPE_Q4_K, L1_TIER_SCALAR));
    assert_null(l1t_dot(9999, best));
#if defined(__x86_64__) && !defined(L1_SCALAR_ONLY)
    assert_true(l1__tier_compiled(L1_TIER_AVX2) && l1__tier_compiled(L1_TIER_AVX512));
    assert_false(l1__tier_compiled(L1_TIER_NEON) || l1__tier_compiled(L1_TIER_I8MM));
#elif defined(__aarch64__) && !defined(L1_SCALAR_ONLY)
    assert_true(l1__tier_compiled(L1_TIER_NEON) && l1__tier_compiled(L1_TIER_I8MM));
#endif
}

/* ---- kernel inputs ------------------------------------------------------------------- */

static const uint32_t k_weight_types[] = {
    L1_TYPE_F32,  L1_TYPE_F16,  L1_TYPE_BF16, L1_TYPE_Q8_0,  L1_TYPE_Q4_0,   L1_TYPE_Q4_1,
    L1_TYPE_Q5_0, L1_TYPE_Q5_1, L1_TYPE_Q2_K, L1_TYPE_Q3_K,  L1_TYPE_Q4_K,   L1_TYPE_Q5_K,
    L1_TYPE_Q6_K, L1_TYPE_IQ4_NL, L1_TYPE_IQ4_XS,
};

static void put_f16(uint8_t *p, float v) {
    uint16_t h = l1__f32_to_f16(v);
    memcpy(p, &h, 2);
}

/* Offsets of the f16 scale fields of one block (d first, then dmin/m). */
static int scale_fields(uint32_t type, size_t off[2]) {
    switch (type) {
    case L1_TYPE_Q4_0: case L1_TYPE_Q5_0: case L1_TYPE_Q8_0: case L1_TYPE_IQ4_NL:
        off[0] = 0; return 1;
    case L1_TYPE_Q4_1: case L1_TYPE_Q5_1: off[0] = 0; off[1] = 2; return 2;
    case L1_TYPE_Q4_K: case L1_TYPE_Q5_K: off[0] = 0; off[1] = 2; return 2;
    case L1_TYPE_Q2_K: off[0] = offsetof(l1__block_q2_K, d); off[1] = offsetof(l1__block_q2_K, dmin); return 2;
    case L1_TYPE_Q3_K: off[0] = offsetof(l1__block_q3_K, d); return 1;
    case L1_TYPE_Q6_K: off[0] = offsetof(l1__block_q6_K, d); return 1;
    case L1_TYPE_IQ4_XS: off[0] = 0; return 1;
    default: return 0;
    }
}

/* n values of `type` in random bytes; scale fields random in
 * [0.5, 1) * scale, or exactly `fixed` when fixed > 0. */
static void fill_weights(uint32_t type, uint8_t *w, int64_t n, float scale, float fixed) {
    const l1__quant_traits *t = l1__quant_traits_get(type);
    if (type == L1_TYPE_F32 || type == L1_TYPE_F16 || type == L1_TYPE_BF16) {
        for (int64_t i = 0; i < n; i++) {
            float v = fixed > 0 ? (float)((int)(rnd() % 15) - 7) : rnd_f(-1.0f, 1.0f);
            if (type == L1_TYPE_F32) memcpy(w + 4 * i, &v, 4);
            else if (type == L1_TYPE_F16) put_f16(w + 2 * i, v);
            else { uint16_t h = l1__f32_to_bf16(v); memcpy(w + 2 * i, &h, 2); }
        }
        return;
    }
    const int64_t nb = n / t->block_size;
    size_t off[2];
    const int nf = scale_fields(type, off);
    for (int64_t b = 0; b < nb; b++) {
        uint8_t *blk = w + (size_t)b * t->type_size;
        for (uint32_t k = 0; k < t->type_size; k++) blk[k] = (uint8_t)rnd();
        for (int f = 0; f < nf; f++) put_f16(blk + off[f], fixed > 0 ? fixed : scale * rnd_f(0.5f, 1.0f));
    }
}

/* Activations for `type`: n floats quantized by the scalar quantizer of
 * its vec_dot_type (or converted, for float types). */
static void make_acts(uint32_t type, uint8_t *a, int64_t n, float *tmp) {
    const l1__quant_traits *t = l1__quant_traits_get(type);
    const l1__quant_traits *at = l1__quant_traits_get(t->vec_dot_type);
    for (int64_t i = 0; i < n; i++) tmp[i] = rnd_f(-2.0f, 2.0f) * (i % 17 == 0 ? 4.0f : 1.0f);
    at->from_float(tmp, a, n);
}

/* sum of |a_i b_i| and sum a_i b_i in double, from the dequantized operands. */
static double ref_dot(uint32_t type, const void *w, const void *a, int64_t n, double *abs_sum) {
    const l1__quant_traits *t = l1__quant_traits_get(type);
    const l1__quant_traits *at = l1__quant_traits_get(t->vec_dot_type);
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    t->to_float(w, x, n);
    at->to_float(a, y, n);
    double s = 0, sa = 0;
    for (int64_t i = 0; i < n; i++) {
        s += (double)x[i] * y[i];
        sa += fabs((double)x[i] * y[i]);
    }
    free(x);
    free(y);
    if (t->vec_dot_type == L1_TYPE_Q8_1) {
        /* The format defines the offset term through the f16 block sum s,
         * not through the codes: m * s replaces m * d * sum(q). */
        const l1__block_q8_1 *q8 = a;
        for (int64_t b = 0; b < n / 32; b++) {
            uint16_t mh;
            memcpy(&mh, (const uint8_t *)w + (size_t)b * t->type_size + 2, 2);
            int sq = 0;
            for (int l = 0; l < 32; l++) sq += q8[b].qs[l];
            s += (double)l1__f16_to_f32(mh) *
                 ((double)l1__f16_to_f32(q8[b].s) - (double)l1__f16_to_f32(q8[b].d) * sq);
        }
    }
    *abs_sum = sa;
    return s;
}

static size_t row_bytes(uint32_t type, int64_t n) {
    const l1__quant_traits *t = l1__quant_traits_get(type);
    return (size_t)(n / t->block_size) * t->type_size;
}

static int n_tiers_run;

/* The alignment a row of `type` has in a file (that of its widest field). */
static size_t type_align(uint32_t type) {
    return type == L1_TYPE_F32 || type == L1_TYPE_Q8_K ? 4 : 2;
}

/* ---- vec_dot ------------------------------------------------------------------------- */

static void check_vec_dot_random(l1__tier tier, uint32_t type, int64_t n, size_t mis) {
    const l1__quant_traits *t = l1__quant_traits_get(type);
    l1__dot_fn fn = l1t_dot(type, tier);
    if (!fn) return;
    uint8_t *wb = malloc(row_bytes(type, n) + 64), *ab = malloc(row_bytes(t->vec_dot_type, n) + 64);
    float *tmp = malloc((size_t)n * sizeof *tmp);
    /* Offsets that keep each type's natural alignment (as rows in a file
     * have) but break every vector alignment. */
    uint8_t *w = wb + mis * type_align(type), *a = ab + ((mis + 1) % 3) * type_align(t->vec_dot_type);
    fill_weights(type, w, n, 0.01f, 0.0f);
    make_acts(type, a, n, tmp);
    double abs_sum;
    const double want = ref_dot(type, w, a, n, &abs_sum);
    float got = NAN, scalar = NAN;
    fn(n, &got, w, a);
    t->vec_dot(n, &scalar, w, a);
    const double tol = DOT_ATOL + DOT_RTOL * abs_sum;
    if (!(fabs(got - want) <= tol) || !(fabs(scalar - want) <= tol))
        fail_msg("%s/%s n=%lld: simd %.9g scalar %.9g double %.9g (tol %.3g)", l1__tier_name(tier),
                 t->name, (long long)n, got, scalar, want, tol);
    free(wb);
    free(ab);
    free(tmp);
}

static void simd_vec_dot_matches_reference_within_tolerance(void **state) {
    (void)state;
    n_tiers_run = 0;
    for (int tier = 1; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        n_tiers_run++;
        for (size_t k = 0; k < L1_ARRAY_LEN(k_weight_types); k++) {
            const uint32_t type = k_weight_types[k];
            const uint32_t bs = l1__quant_traits_get(type)->block_size;
            const int64_t unit = bs == 1 ? 32 : bs;
            const int64_t counts[] = {1, 2, 3, 7, 13, 48};
            for (size_t c = 0; c < L1_ARRAY_LEN(counts); c++)
                for (size_t mis = 0; mis < 3; mis++)
                    check_vec_dot_random((l1__tier)tier, type, unit * counts[c], mis);
            /* Float types also take lengths that are not a multiple of 16. */
            if (bs == 1) check_vec_dot_random((l1__tier)tier, type, 1536 + 5, 1);
        }
    }
#if defined(__x86_64__) && !defined(L1_SCALAR_ONLY)
    if (l1__cpu_get()->avx2) assert_true(n_tiers_run >= 1);
#endif
}

/* With every scale 1 (and codes small enough for exact f32 sums) the dot
 * product is an integer that kernel and reference must both hit exactly. */
static void check_vec_dot_exact(l1__tier tier, uint32_t type, int64_t n) {
    const l1__quant_traits *t = l1__quant_traits_get(type);
    l1__dot_fn fn = l1t_dot(type, tier);
    if (!fn) return;
    uint8_t *w = malloc(row_bytes(type, n)), *a = malloc(row_bytes(t->vec_dot_type, n) + 8);
    float *tmp = malloc((size_t)n * sizeof *tmp);
    fill_weights(type, w, n, 0.0f, 1.0f);
    /* Activations with scale 1: integers in [-7, 7] (0 stays 0 under the
     * float types too). */
    const l1__quant_traits *at = l1__quant_traits_get(t->vec_dot_type);
    for (int64_t i = 0; i < n; i++) tmp[i] = (float)((int)(rnd() % 15) - 7);
    if (t->vec_dot_type == L1_TYPE_Q8_K) {
        l1__block_q8_K *y = (l1__block_q8_K *)a;
        for (int64_t b = 0; b < n / 256; b++) {
            y[b].d = 1.0f;
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int l = 0; l < 16; l++) s += y[b].qs[16 * g + l] = (int8_t)tmp[256 * b + 16 * g + l];
                y[b].bsums[g] = (int16_t)s;
            }
        }
    } else if (t->vec_dot_type == L1_TYPE_Q8_0 || t->vec_dot_type == L1_TYPE_Q8_1) {
        const size_t bsz = at->type_size;
        for (int64_t b = 0; b < n / 32; b++) {
            uint8_t *blk = a + (size_t)b * bsz;
            int s = 0;
            put_f16(blk, 1.0f);
            int8_t *qs = (int8_t *)(blk + bsz - 32);
            for (int l = 0; l < 32; l++) s += qs[l] = (int8_t)tmp[32 * b + l];
            if (bsz == 36) put_f16(blk + 2, (float)s);
        }
    } else {
        at->from_float(tmp, a, n);
    }
    double abs_sum;
    const double want = ref_dot(type, w, a, n, &abs_sum);
    assert_true(fabs(want) < 16777216.0 && want == floor(want));
    float got = NAN, scalar = NAN;
    fn(n, &got, w, a);
    t->vec_dot(n, &scalar, w, a);
    if ((double)got != want || (double)scalar != want)
        fail_msg("%s/%s n=%lld: simd %.1f scalar %.1f exact %.1f", l1__tier_name(tier), t->name,
                 (long long)n, got, scalar, want);
    free(w);
    free(a);
    free(tmp);
}

static void simd_vec_dot_integer_sums_are_exact(void **state) {
    (void)state;
    for (int tier = 1; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        for (size_t k = 0; k < L1_ARRAY_LEN(k_weight_types); k++) {
            const uint32_t type = k_weight_types[k];
            const uint32_t bs = l1__quant_traits_get(type)->block_size;
            for (int rep = 0; rep < 20; rep++)
                check_vec_dot_exact((l1__tier)tier, type, bs == 1 ? 96 : (bs == 32 ? 32 * 5 : 256));
        }
    }
}

/* ---- vec_dot_rows ----------------------------------------------------------------- */

/* The types whose multi-row kernels decode depends on: every x86 tier must
 * have them (NEON has single-row kernels only; callers fall back to them). */
static const uint32_t k_rows_types[] = {
    L1_TYPE_Q4_K, L1_TYPE_Q6_K, L1_TYPE_Q4_0, L1_TYPE_Q8_0, L1_TYPE_Q5_K, L1_TYPE_Q3_K, L1_TYPE_Q2_K,
};

/* n_rows weight rows `stride` bytes apart (padding between rows) against
 * one activation row, in calls of up to L1__DOT_MAX_ROWS rows (so the
 * last call takes the remainder).  Each result must be bit-identical to the
 * same tier's single-row kernel (same block order, one accumulator per row)
 * and within tolerance of the double reference.  With `fixed`, scales are 1
 * and the results exact integers. */
static void check_vec_dot_rows(l1__tier tier, uint32_t type, int64_t n, int n_rows, size_t mis, int fixed) {
    const l1__quant_traits *t = l1__quant_traits_get(type);
    l1__dot_rows_fn rows = l1t_rows(type, tier);
    l1__dot_fn one = l1t_dot(type, tier);
    if (!rows) return;
    assert_non_null(one);
    const size_t rb = row_bytes(type, n), stride = rb + 3 * type_align(type);
    uint8_t *wb = malloc((size_t)n_rows * stride + 64), *ab = malloc(row_bytes(t->vec_dot_type, n) + 64);
    float *tmp = malloc((size_t)n * sizeof *tmp);
    uint8_t *w = wb + mis * type_align(type), *a = ab + ((mis + 2) % 3) * type_align(t->vec_dot_type);
    for (int r = 0; r < n_rows; r++) fill_weights(type, w + (size_t)r * stride, n, 0.01f, fixed ? 1.0f : 0.0f);
    if (fixed) {
        /* Codes in [-7, 7] with scale 1 (and exact Q8_K group sums). */
        for (int64_t i = 0; i < n; i++) tmp[i] = (float)((int)(rnd() % 15) - 7);
        if (t->vec_dot_type == L1_TYPE_Q8_K) {
            l1__block_q8_K *y = (l1__block_q8_K *)a;
            for (int64_t b = 0; b < n / 256; b++) {
                y[b].d = 1.0f;
                for (int g = 0; g < 16; g++) {
                    int sum = 0;
                    for (int l = 0; l < 16; l++) sum += y[b].qs[16 * g + l] = (int8_t)tmp[256 * b + 16 * g + l];
                    y[b].bsums[g] = (int16_t)sum;
                }
            }
        } else {
            l1__block_q8_0 *y = (l1__block_q8_0 *)a;
            for (int64_t b = 0; b < n / 32; b++) {
                put_f16((uint8_t *)&y[b].d, 1.0f);
                for (int l = 0; l < 32; l++) y[b].qs[l] = (int8_t)tmp[32 * b + l];
            }
        }
    } else {
        make_acts(type, a, n, tmp);
    }
    float got[16], single[16];
    assert_true(n_rows <= 16);
    for (int r0 = 0; r0 < n_rows; r0 += L1__DOT_MAX_ROWS) {
        const int nr = n_rows - r0 < L1__DOT_MAX_ROWS ? n_rows - r0 : L1__DOT_MAX_ROWS;
        for (int r = 0; r < nr; r++) got[r0 + r] = NAN;
        rows(n, &got[r0], w + (size_t)r0 * stride, stride, a, nr);
    }
    for (int r = 0; r < n_rows; r++) {
        const uint8_t *wr = w + (size_t)r * stride;
        one(n, &single[r], wr, a);
        double abs_sum;
        const double want = ref_dot(type, wr, a, n, &abs_sum);
        const double tol = fixed ? 0.0 : DOT_ATOL + DOT_RTOL * abs_sum;
        if (memcmp(&got[r], &single[r], sizeof(float)) != 0 || !(fabs(got[r] - want) <= tol))
            fail_msg("%s/%s rows n=%lld row %d of %d: rows %.9g single %.9g double %.9g", l1__tier_name(tier),
                     t->name, (long long)n, r, n_rows, got[r], single[r], want);
    }
    free(wb);
    free(ab);
    free(tmp);
}

static void simd_vec_dot_rows_match_single_row_kernels(void **state) {
    (void)state;
    int checked = 0;
    for (int tier = 1; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        for (size_t k = 0; k < L1_ARRAY_LEN(k_rows_types) && tier != L1_TIER_NEON && tier != L1_TIER_I8MM; k++)
            if (!l1t_rows(k_rows_types[k], (l1__tier)tier))
                fail_msg("%s has no vec_dot_rows for %s", l1__tier_name((l1__tier)tier),
                         l1__quant_traits_get(k_rows_types[k])->name);
        for (size_t k = 0; k < L1_ARRAY_LEN(k_weight_types); k++) {
            const uint32_t type = k_weight_types[k];
            const int64_t bs = l1__quant_traits_get(type)->block_size;
            const int64_t unit = bs == 1 ? 32 : bs;
            const int row_counts[] = {1, 2, 3, 4, 5, 7, 9};
            const int64_t lens[] = {1, 3, 6};
            for (size_t c = 0; c < L1_ARRAY_LEN(row_counts); c++)
                for (size_t l = 0; l < L1_ARRAY_LEN(lens); l++) {
                    check_vec_dot_rows((l1__tier)tier, type, unit * lens[l], row_counts[c], (c + l) % 3, 0);
                    check_vec_dot_rows((l1__tier)tier, type, unit * lens[l], row_counts[c], c % 3, 1);
                }
            checked += l1t_rows(type, (l1__tier)tier) != NULL;
        }
    }
    assert_null(l1t_rows(L1_TYPE_Q4_K, L1_TIER_SCALAR));
#if defined(__x86_64__) && !defined(L1_SCALAR_ONLY)
    if (l1__cpu_get()->avx2) assert_true(checked >= (int)L1_ARRAY_LEN(k_rows_types));
#endif
}

/* ---- activation quantizers ---------------------------------------------------------- */

/* Inputs that stress rounding: ties after scaling, zero blocks, a negative
 * extreme, +amax and -amax in one block (the first one decides Q8_K's sign),
 * tiny and huge magnitudes. */
static void fill_quant_input(float *x, int64_t n, int pattern) {
    for (int64_t i = 0; i < n; i++) {
        switch (pattern) {
        case 0: x[i] = rnd_f(-1.0f, 1.0f); break;
        case 1: x[i] = (float)((int)(rnd() % 255) - 127) * 0.5f; break; /* halves: ties */
        case 2: x[i] = (i / 32) % 3 == 0 ? 0.0f : rnd_f(-1e-3f, 1e-3f); break;
        case 3: x[i] = (i % 64 == 5) ? -3.0f : (i % 64 == 9 ? 3.0f : rnd_f(-3.0f, 3.0f)); break;
        case 4: x[i] = rnd_f(-6e4f, 6e4f); break;
        default: x[i] = (float)((int)(rnd() % 17) - 8) / 8.0f * 127.0f; break;
        }
    }
}

static void simd_quantizers_are_bit_identical(void **state) {
    (void)state;
    const uint32_t acts[] = {L1_TYPE_Q8_0, L1_TYPE_Q8_1, L1_TYPE_Q8_K};
    for (int tier = 1; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        for (size_t k = 0; k < L1_ARRAY_LEN(acts); k++) {
            const l1__quant_traits *at = l1__quant_traits_get(acts[k]);
            l1__act_quant_fn fn = l1t_quant(acts[k], (l1__tier)tier);
            if (!fn) continue;
            for (int pattern = 0; pattern < 6; pattern++) {
                for (int64_t nb = 1; nb <= 7; nb += 3) {
                    const int64_t n = nb * at->block_size;
                    float *xb = malloc((size_t)n * sizeof(float) + 16);
                    float *x = (float *)((char *)xb + 4 * (pattern % 3)); /* unaligned */
                    uint8_t *want = calloc(1, row_bytes(acts[k], n)), *gotb = calloc(1, row_bytes(acts[k], n) + 8);
                    uint8_t *got = gotb + 4 * (pattern % 2); /* 4-aligned, not 8 */
                    fill_quant_input(x, n, pattern);
                    at->from_float(x, want, n);
                    fn(x, got, n);
                    if (memcmp(want, got, row_bytes(acts[k], n)) != 0)
                        fail_msg("%s quantize %s pattern %d n=%lld differs", l1__tier_name((l1__tier)tier),
                                 at->name, pattern, (long long)n);
                    free(xb);
                    free(want);
                    free(gotb);
                }
            }
        }
    }
}

/* ---- float kernels of the forward pass ------------------------------------------- */

/* On an x86 build with the SIMD tiers and an AVX2 host, a float-kernel test
 * that checked nothing means the tier tables lost their entries. */
static void expect_x86_float_kernels(int checked) {
#if defined(__x86_64__) && !defined(L1_SCALAR_ONLY)
    if (l1__cpu_get()->avx2) assert_true(checked > 0);
#else
    (void)checked;
#endif
}

/* Distance in units in the last place: floats mapped to integers that
 * order like the values (-0 and +0 one apart). */
static int64_t ulp_dist(float a, float b) {
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    const int64_t oa = ia < 0 ? (int64_t)INT32_MIN - ia : ia;
    const int64_t ob = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return oa > ob ? oa - ob : ob - oa;
}

/* Bit for bit, NaN matching any NaN (the payload of a NaN that meets
 * another NaN in one product depends on operand order). */
static bool same_float(float a, float b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Test inputs of attention: q, k and v in the given pattern. */
typedef struct attn_case {
    int64_t d, n_kv;
    size_t stride;    /* bytes between cache rows */
    uint32_t kv_type;
    float *q;         /* (d) */
    uint8_t *k, *v;   /* (n_kv, stride) */
} attn_case;

static float attn_value(int pattern, int64_t j, int64_t i, int which) {
    switch (pattern) {
    case 0: return rnd_f(-1.0f, 1.0f);
    case 1: return which == 2 ? rnd_f(-6e4f, 6e4f) : rnd_f(-40.0f, 40.0f); /* saturating */
    case 2: return rnd_f(-1e-5f, 1e-5f) * (which == 2 ? 1.0f : 1e3f); /* f16 subnormal values */
    case 3: /* scores rising with position: a new maximum nearly every step */
        return which == 1 ? (float)j * 0.02f + rnd_f(-0.05f, 0.05f) : (which == 0 ? 1.0f : rnd_f(-3.0f, 3.0f));
    case 4: /* mixed magnitudes */
        return ldexpf(rnd_f(-1.0f, 1.0f), which == 2 ? (int)(rnd() % 24) - 16 : -(int)(rnd() % 9));
    default: /* scores near 20 with inexact f32 dot sums: the last bit of a
              * score moves e^(s - M) by several ulp */
        return which == 0 ? ldexpf(rnd_f(0.5f, 1.0f), -(int)(rnd() % 6))
                          : (which == 1 ? 8.0f + ldexpf(rnd_f(-1.0f, 1.0f), -(int)(rnd() % 4)) : rnd_f(-1.0f, 1.0f));
    }
}

static void attn_case_new(attn_case *c, int64_t d, int64_t n_kv, uint32_t kv_type, int pad, int pattern) {
    const size_t elt = kv_type == L1_TYPE_F16 ? 2 : 4;
    c->d = d;
    c->n_kv = n_kv;
    c->kv_type = kv_type;
    c->stride = (size_t)(d + pad) * elt;
    c->q = malloc((size_t)d * sizeof(float));
    c->k = malloc((size_t)n_kv * c->stride);
    c->v = malloc((size_t)n_kv * c->stride);
    assert_non_null(c->q);
    assert_non_null(c->k);
    assert_non_null(c->v);
    for (int64_t i = 0; i < d; i++) c->q[i] = attn_value(pattern, 0, i, 0);
    for (int64_t j = 0; j < n_kv; j++)
        for (int64_t i = 0; i < d + pad; i++)
            for (int which = 1; which <= 2; which++) {
                uint8_t *row = (which == 1 ? c->k : c->v) + (size_t)j * c->stride;
                const float x = attn_value(pattern, j, i, which);
                if (kv_type == L1_TYPE_F16)
                    ((uint16_t *)row)[i] = l1__f32_to_f16(x);
                else
                    ((float *)row)[i] = x;
            }
}

static void attn_case_free(attn_case *c) {
    free(c->q);
    free(c->k);
    free(c->v);
}

/* Runs `fn` on the case into out, with a fresh work buffer of exactly the
 * contracted size (so ASan sees any overrun). */
static void attn_run(void (*fn)(const l1__attn_args *), const attn_case *c, l1__attn_mode mode, float *out) {
    l1__attn_args a;
    a.q = c->q;
    a.k = c->k;
    a.v = c->v;
    a.row_stride = c->stride;
    a.kv_type = c->kv_type;
    a.n_kv = c->n_kv;
    a.head_dim = c->d;
    a.scale = 1.0f / sqrtf((float)c->d);
    a.mode = mode;
    a.out = out;
    a.work = malloc(l1__attn_work_bytes(c->d));
    assert_non_null(a.work);
    memset(a.work, 0xA5, l1__attn_work_bytes(c->d)); /* stale contents must not matter */
    fn(&a);
    free(a.work);
}

static const int64_t k_attn_dims[] = {64, 128, 80, 96, 72, 40, 100};

static int64_t attn_n_kv(int it) {
    static const int64_t fixed[] = {1, 2, 31, 32, 33, 63, 64, 65, 300};
    return it < (int)L1_ARRAY_LEN(fixed) ? fixed[it] : 1 + (int64_t)(rnd() % 300);
}

/* Decode path (F16_ACC, F16 cache): every output bit equals the scalar
 * kernel's.  Long runs of positions exercise the f16 accumulator and its
 * rescaling; a score one ulp off mostly vanishes there (into the rounding
 * of a large S), so many short runs of 2-3 positions follow, with large
 * scores from inexact dot sums (pattern 5), where S = 1 + e^(s1 - s0) and
 * the output move with the last bit of a score (a change of the lane order
 * of the dot shows in about one run in five). */
static void simd_attention_f16acc_is_bit_identical(void **state) {
    (void)state;
    const l1__kernels *ref = l1__kernels_scalar();
    const int iters = L1_TEST_SLOW ? 12 : 30, n_short = L1_TEST_SLOW ? 100 : 300;
    int checked = 0;
    for (int tier = 1; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        const l1__kernels *st = l1t_own((l1__tier)tier);
        if (!st || !st->attention) continue;
        for (size_t di = 0; di < L1_ARRAY_LEN(k_attn_dims); di++)
            for (int it = 0; it < iters + n_short; it++) {
                const bool shrt = it >= iters;
                const int64_t d = k_attn_dims[di], n_kv = shrt ? 2 + it % 2 : attn_n_kv(it);
                const int pattern = shrt ? 5 : it % 6, pad = (it % 3 == 1) ? 8 * (it % 4) + 3 : 0;
                attn_case c;
                attn_case_new(&c, d, n_kv, L1_TYPE_F16, pad, pattern);
                float want[128], got[128];
                attn_run(ref->attention, &c, L1__ATTN_F16_ACC, want);
                attn_run(st->attention, &c, L1__ATTN_F16_ACC, got);
                for (int64_t i = 0; i < d; i++)
                    if (!same_float(want[i], got[i]))
                        fail_msg("%s attention f16acc d=%lld n_kv=%lld pattern %d pad %d: out[%lld] %.9g, scalar %.9g",
                                 l1__tier_name((l1__tier)tier), (long long)d, (long long)n_kv, pattern, pad,
                                 (long long)i, got[i], want[i]);
                attn_case_free(&c);
                checked++;
            }
    }
    expect_x86_float_kernels(checked);
}

/* The f32 path against softmax(scale K q) V in double on the same inputs.
 * Bound on the kernel's error, from f32 rounding (u = 2^-24):
 *   a score, a sum of d products in lanes of d/8 terms plus a horizontal
 *   sum and the scale: |ds_j| <= (d/8 + 5) u sum_i |q_i k_ji| |scale| = E_j;
 *   a weight e^(s_j - M): relative error <= 2 max E + (|s_j - M| + 4) 2u
 *   (the shift by M rounded, the vector exp within 1 ulp, 2 allowed);
 *   the weighted sums of values and of weights, n_kv + 4 terms each in
 *   f32: relative (n_kv + 4) u of sum_j w_j |v_ji| and of sum_j w_j.
 * So |out_i - ref_i| <= A_i (4 max E + 2u max|s - M| + 2 (n_kv + 12) u)
 * with A_i = sum_j w_j |v_ji| / sum_j w_j.  A dropped, repeated or
 * misweighted position is an error of order w_j / sum w |v_ji|, far above
 * this for the inputs here. */
static void check_attention_f32(l1__tier tier, void (*fn)(const l1__attn_args *), const attn_case *c,
                                l1__attn_mode mode, int pattern) {
    const int64_t d = c->d, n = c->n_kv;
    const double scale = (double)(1.0f / sqrtf((float)d)), u = ldexp(1.0, -24);
    double *s = malloc((size_t)n * sizeof(double)), *w = malloc((size_t)n * sizeof(double));
    assert_non_null(s);
    assert_non_null(w);
    double mx = -INFINITY, emax = 0.0, wsum = 0.0, dmax = 0.0;
    const bool f16 = c->kv_type == L1_TYPE_F16;
#define KV_AT(base, j, i) \
    (f16 ? (double)l1__f16_to_f32(((const uint16_t *)((base) + (size_t)(j) * c->stride))[i]) \
         : (double)((const float *)((base) + (size_t)(j) * c->stride))[i])
    for (int64_t j = 0; j < n; j++) {
        double dot = 0.0, mag = 0.0;
        for (int64_t i = 0; i < d; i++) {
            dot += (double)c->q[i] * KV_AT(c->k, j, i);
            mag += fabs((double)c->q[i] * KV_AT(c->k, j, i));
        }
        s[j] = dot * scale;
        const double e = ((double)d / 8 + 5) * u * mag * scale;
        emax = e > emax ? e : emax;
        mx = s[j] > mx ? s[j] : mx;
    }
    for (int64_t j = 0; j < n; j++) {
        w[j] = exp(s[j] - mx);
        wsum += w[j];
        dmax = mx - s[j] > dmax ? mx - s[j] : dmax;
    }
    float got[128];
    attn_run(fn, c, mode, got);
    const double rel = 4 * emax + 2 * u * dmax + 2 * (double)(n + 12) * u;
    for (int64_t i = 0; i < d; i++) {
        double num = 0.0, amag = 0.0;
        for (int64_t j = 0; j < n; j++) {
            num += w[j] * KV_AT(c->v, j, i);
            amag += w[j] * fabs(KV_AT(c->v, j, i));
        }
        const double want = num / wsum, tol = rel * amag / wsum + 1e-37;
        if (!(fabs((double)got[i] - want) <= tol))
            fail_msg("%s attention f32 (%s cache, mode %d) d=%lld n_kv=%lld pattern %d: "
                     "out[%lld] %.9g, double %.9g (tol %.3g)",
                     l1__tier_name(tier), f16 ? "f16" : "f32", (int)mode, (long long)d, (long long)n, pattern,
                     (long long)i, got[i], want, tol);
    }
#undef KV_AT
    free(s);
    free(w);
}

static void simd_attention_f32_within_error_bound(void **state) {
    (void)state;
    const int iters = L1_TEST_SLOW ? 8 : 20;
    int checked = 0;
    /* tier 0 first: the scalar kernel meets the same bound, which checks
     * the bound itself. */
    for (int tier = 0; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        void (*fn)(const l1__attn_args *) = l1__kernels_scalar()->attention;
        if (tier > 0) {
            const l1__kernels *st = l1t_own((l1__tier)tier);
            if (!st || !st->attention) continue;
            fn = st->attention;
            checked++;
        }
        for (size_t di = 0; di < L1_ARRAY_LEN(k_attn_dims); di++)
            for (int it = 0; it < iters; it++) {
                const int64_t d = k_attn_dims[di], n_kv = attn_n_kv(it);
                const int pattern = it % 6, pad = (it % 3 == 2) ? 5 : 0;
                /* F32 mode on both caches; F16_ACC on an F32 cache is the f32 path too. */
                const uint32_t kv_type = it % 2 ? L1_TYPE_F32 : L1_TYPE_F16;
                const l1__attn_mode mode = (kv_type == L1_TYPE_F32 && it % 4 == 1) ? L1__ATTN_F16_ACC : L1__ATTN_F32;
                attn_case c;
                attn_case_new(&c, d, n_kv, kv_type, pad, pattern == 1 ? 0 : pattern); /* no f16 overflow */
                check_attention_f32((l1__tier)tier, fn, &c, mode, pattern);
                attn_case_free(&c);
            }
    }
    expect_x86_float_kernels(checked);
}

/* Runs a tier's attention_group over n_q heads (queries from the case's
 * pattern, q_stride apart), positions [j0, j0 + n) of the case, into rec
 * (records rec_stride apart), with a fresh work buffer of exactly the
 * contracted size. */
static void group_run(const l1__kernels *k, const attn_case *c, const float *q, int64_t q_stride, int n_q,
                      int64_t j0, int64_t n, float *rec, int64_t rec_stride) {
    l1__attn_group_args g;
    g.q = q;
    g.q_stride = q_stride;
    g.n_q = n_q;
    g.k = c->k + (size_t)j0 * c->stride;
    g.v = c->v + (size_t)j0 * c->stride;
    g.row_stride = c->stride;
    g.kv_type = c->kv_type;
    g.n_kv = n;
    g.head_dim = c->d;
    g.scale = 1.0f / sqrtf((float)c->d);
    g.rec = rec;
    g.rec_stride = rec_stride;
    const size_t wb = l1__attn_group_work_bytes(c->d, n_q);
    g.work = malloc(wb);
    assert_non_null(g.work);
    memset(g.work, 0xA5, wb);
    k->attention_group(&g);
    free(g.work);
}

/* attention_group of every tier (its full table: the scalar kernel where
 * the tier has none), finished, equals bit for bit the same table's
 * attention in F32 mode run head by head: the forward pass switches
 * prefill from one to the other. */
static void attention_group_matches_attention_f32_bit_for_bit(void **state) {
    (void)state;
    const int iters = L1_TEST_SLOW ? 6 : 16;
    static const int k_nq[] = {1, 2, 6, 7};
    for (int tier = 0; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        const l1__kernels *k = l1__kernels_tier((l1__tier)tier);
        assert_non_null(k->attention_group);
        for (size_t di = 0; di < L1_ARRAY_LEN(k_attn_dims); di++)
            for (int it = 0; it < iters; it++) {
                const int64_t d = k_attn_dims[di], n_kv = attn_n_kv(it);
                const int n_q = k_nq[it % 4], pattern = it % 6, pad = (it % 3 == 2) ? 5 : 0;
                const uint32_t kv_type = (it / 2) % 2 ? L1_TYPE_F32 : L1_TYPE_F16;
                attn_case c;
                attn_case_new(&c, d, n_kv, kv_type, pad, pattern == 1 ? 0 : pattern);
                const int64_t qs = d + 3, rs = d + 2 + (it % 2) * 7;
                float *q = malloc((size_t)(n_q * qs) * sizeof(float));
                float *rec = malloc((size_t)(n_q * rs) * sizeof(float));
                assert_non_null(q);
                assert_non_null(rec);
                for (int64_t i = 0; i < n_q * qs; i++) q[i] = attn_value(pattern, 0, i, 0);
                group_run(k, &c, q, qs, n_q, 0, n_kv, rec, rs);
                for (int h = 0; h < n_q; h++) {
                    float want[128], got[128];
                    memcpy(c.q, q + h * qs, (size_t)d * sizeof(float));
                    attn_run(k->attention, &c, L1__ATTN_F32, want);
                    l1__attn_finish(got, rec + h * rs, d);
                    for (int64_t i = 0; i < d; i++)
                        if (!same_float(want[i], got[i]))
                            fail_msg("%s attention_group (%s cache) d=%lld n_kv=%lld n_q=%d head %d pattern %d: "
                                     "out[%lld] %.9g, attention %.9g",
                                     l1__tier_name((l1__tier)tier), kv_type == L1_TYPE_F16 ? "f16" : "f32",
                                     (long long)d, (long long)n_kv, n_q, h, pattern, (long long)i, got[i],
                                     want[i]);
                }
                free(q);
                free(rec);
                attn_case_free(&c);
            }
    }
}

/* Positions cut into consecutive ranges, each range a grouped call, the
 * records merged by l1__attn_merge: the attention of the whole, within the
 * f32 bound of check_attention_f32 (checked on the first head through a
 * one-head kernel wrapper), and a dropped or repeated range fails. */
static const l1__kernels *g_split_k;
static int64_t g_split_parts;
static void split_attention(const l1__attn_args *a) {
    attn_case c;
    c.d = a->head_dim;
    c.n_kv = a->n_kv;
    c.stride = a->row_stride;
    c.kv_type = a->kv_type;
    c.k = (uint8_t *)(uintptr_t)a->k;
    c.v = (uint8_t *)(uintptr_t)a->v;
    const int64_t parts = g_split_parts < a->n_kv ? g_split_parts : a->n_kv;
    const int64_t len = (a->n_kv + parts - 1) / parts, n = (a->n_kv + len - 1) / len, rs = c.d + 2;
    float *rec = malloc((size_t)(n * rs) * sizeof(float));
    assert_non_null(rec);
    for (int64_t p = 0; p < n; p++) {
        const int64_t j0 = p * len, m = j0 + len < a->n_kv ? len : a->n_kv - j0;
        group_run(g_split_k, &c, a->q, 0, 1, j0, m, rec + p * rs, rs);
    }
    l1__attn_merge(a->out, rec, n, rs, c.d);
    free(rec);
}

static void attention_split_and_merged_within_error_bound(void **state) {
    (void)state;
    const int iters = L1_TEST_SLOW ? 6 : 16;
    for (int tier = 0; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        g_split_k = l1__kernels_tier((l1__tier)tier);
        for (size_t di = 0; di < L1_ARRAY_LEN(k_attn_dims); di++)
            for (int it = 0; it < iters; it++) {
                const int64_t d = k_attn_dims[di], n_kv = attn_n_kv(it);
                const int pattern = it % 6;
                const uint32_t kv_type = it % 2 ? L1_TYPE_F32 : L1_TYPE_F16;
                g_split_parts = 1 + it % 5;
                attn_case c;
                attn_case_new(&c, d, n_kv, kv_type, 0, pattern == 1 ? 0 : pattern);
                check_attention_f32((l1__tier)tier, split_attention, &c, L1__ATTN_F32, pattern);
                attn_case_free(&c);
            }
    }
    /* A merge that loses a range is caught by the same check. */
    g_split_k = l1__kernels_scalar();
    g_split_parts = 2;
    attn_case c;
    attn_case_new(&c, 64, 40, L1_TYPE_F32, 0, 0);
    float rec[2 * 66], good[64], bad[64];
    group_run(g_split_k, &c, c.q, 0, 1, 0, 20, rec, 66);
    group_run(g_split_k, &c, c.q, 0, 1, 20, 20, rec + 66, 66);
    l1__attn_merge(good, rec, 2, 66, 64);
    l1__attn_merge(bad, rec, 1, 66, 64);
    int far = 0; /* a plain count: aarch64 gcc 12 crashed vectorising an fmax reduction here */
    for (int i = 0; i < 64; i++) far += fabs((double)good[i] - (double)bad[i]) > 1e-3;
    assert_true(far > 0);
    attn_case_free(&c);
}

/* swiglu within SWIGLU_ULP of the scalar kernel: the vector e^x is within
 * 1 ulp of the correctly rounded value (x86/float.h) and libm's
 * expf within 1; 1 + e^-g
 * carries that relative error (or less), the quotient and product add a
 * rounding each on both sides. */
#define SWIGLU_ULP 4

static void simd_swiglu_matches_scalar(void **state) {
    (void)state;
    static const float extremes[] = {0.0f, -0.0f, 1e-40f, -1e-40f, 1e-7f, -1e-7f, 1.0f, -1.0f, 15.9f, -15.9f,
                                     -87.33f, 87.33f, -88.5f, 88.72f, 89.0f, -89.0f, 100.0f, -100.0f,
                                     1000.0f, -1000.0f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN, -NAN,
                                     -103.9f, -104.5f, 3.0e-39f};
    const l1__kernels *ref = l1__kernels_scalar();
    int checked = 0;
    for (int tier = 1; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        const l1__kernels *st = l1t_own((l1__tier)tier);
        if (!st || !st->swiglu) continue;
        for (int pattern = 0; pattern < 4; pattern++)
            for (int64_t n = 1; n <= 1100; n = n < 40 ? n + 1 : n * 3 + 7) {
                float *g = malloc((size_t)n * sizeof(float)), *u = malloc((size_t)n * sizeof(float));
                float *want = malloc((size_t)n * sizeof(float)), *got = malloc((size_t)n * sizeof(float));
                assert_true(g && u && want && got);
                for (int64_t i = 0; i < n; i++) {
                    switch (pattern) {
                    case 0: g[i] = rnd_f(-20.0f, 20.0f); break;
                    case 1: g[i] = rnd_f(-88.5f, 88.5f); break;
                    case 2: g[i] = extremes[(size_t)i % L1_ARRAY_LEN(extremes)]; break;
                    default: g[i] = ldexpf(rnd_f(-1.0f, 1.0f), (int)(rnd() % 280) - 140); break;
                    }
                    u[i] = pattern == 2 && i % 3 == 0 ? 1.0f : rnd_f(-2.0f, 2.0f);
                }
                ref->swiglu(want, g, u, n);
                memcpy(got, g, (size_t)n * sizeof(float));
                st->swiglu(got, got, u, n); /* y may equal g */
                for (int64_t i = 0; i < n; i++) {
                    if (isnan(want[i]) || isnan(got[i])) {
                        if (!(isnan(want[i]) && isnan(got[i])))
                            fail_msg("%s swiglu(g=%.9g, u=%.9g) = %.9g, scalar %.9g", l1__tier_name((l1__tier)tier),
                                     g[i], u[i], got[i], want[i]);
                        continue;
                    }
                    if (ulp_dist(want[i], got[i]) > SWIGLU_ULP)
                        fail_msg("%s swiglu(g=%.9g, u=%.9g) = %.9g, scalar %.9g (%lld ulp)",
                                 l1__tier_name((l1__tier)tier), g[i], u[i], got[i], want[i],
                                 (long long)ulp_dist(want[i], got[i]));
                }
                free(g);
                free(u);
                free(want);
                free(got);
                checked++;
            }
    }
    expect_x86_float_kernels(checked);
}

/* rmsnorm: the mean square is summed in double in another order, so the
 * two can differ where the double sums round to different floats; that
 * moves the scale by at most 1 ulp and each y by at most RMSNORM_ULP (the
 * scale's ulp is up to twice the relative size of x * scale's, and w
 * rounds once more).  On inputs whose sum of squares is exact in double
 * (small integers) the order cannot matter: there the results are equal. */
#define RMSNORM_ULP 4

static void simd_rmsnorm_matches_scalar(void **state) {
    (void)state;
    static const int64_t lens[] = {1, 7, 15, 16, 17, 33, 896, 1536, 1537, 3584};
    const l1__kernels *ref = l1__kernels_scalar();
    int checked = 0;
    for (int tier = 1; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        const l1__kernels *st = l1t_own((l1__tier)tier);
        if (!st || !st->rmsnorm) continue;
        for (size_t li = 0; li < L1_ARRAY_LEN(lens); li++)
            for (int pattern = 0; pattern < 4; pattern++) {
                const int64_t n = lens[li];
                float *x = malloc((size_t)n * sizeof(float)), *w = malloc((size_t)n * sizeof(float));
                float *want = malloc((size_t)n * sizeof(float)), *got = malloc((size_t)n * sizeof(float));
                assert_true(x && w && want && got);
                for (int64_t i = 0; i < n; i++) {
                    switch (pattern) {
                    case 0: x[i] = rnd_f(-1.0f, 1.0f); break;
                    case 1: x[i] = ldexpf(rnd_f(-1.0f, 1.0f), (int)(rnd() % 120) - 60); break;
                    case 2: x[i] = rnd_f(-1e-20f, 1e-20f); break; /* squares below f32 range */
                    default: x[i] = (float)((int)(rnd() % 201) - 100); break; /* exact sums */
                    }
                    w[i] = rnd_f(0.0f, 3.0f);
                }
                ref->rmsnorm(want, x, w, n, 1e-6f);
                memcpy(got, x, (size_t)n * sizeof(float));
                st->rmsnorm(got, got, w, n, 1e-6f); /* y may equal x */
                for (int64_t i = 0; i < n; i++) {
                    const int64_t du = ulp_dist(want[i], got[i]);
                    if (du > (pattern == 3 ? 0 : RMSNORM_ULP))
                        fail_msg("%s rmsnorm n=%lld pattern %d: y[%lld] %.9g, scalar %.9g (%lld ulp)",
                                 l1__tier_name((l1__tier)tier), (long long)n, pattern, (long long)i, got[i],
                                 want[i], (long long)du);
                }
                free(x);
                free(w);
                free(want);
                free(got);
                checked++;
            }
    }
    expect_x86_float_kernels(checked);
}

/* rope_neox and add do the scalar kernels' f32 operations element by
 * element: bit-identical. */
static void simd_rope_and_add_are_bit_identical(void **state) {
    (void)state;
    static const int64_t dims[] = {2, 6, 16, 64, 80, 128};
    static const int64_t heads[] = {1, 3, 12};
    static const int64_t positions[] = {0, 1, 17, 1000, 30000};
    const l1__kernels *ref = l1__kernels_scalar();
    int checked = 0;
    for (int tier = 1; tier < L1_TIER_COUNT; tier++) {
        if (!l1__tier_supported((l1__tier)tier)) continue;
        const l1__kernels *st = l1t_own((l1__tier)tier);
        if (!st || !st->rope_neox || !st->add) continue;
        for (size_t di = 0; di < L1_ARRAY_LEN(dims); di++)
            for (size_t hi = 0; hi < L1_ARRAY_LEN(heads); hi++)
                for (size_t pi = 0; pi < L1_ARRAY_LEN(positions); pi++) {
                    const int64_t d = dims[di], nh = heads[hi], n = d * nh;
                    float cs[64], sn[64];
                    l1__rope_angles(positions[pi], d, 1e6f, cs, sn);
                    float *x = malloc((size_t)n * sizeof(float)), *want = malloc((size_t)n * sizeof(float));
                    float *got = malloc((size_t)n * sizeof(float));
                    assert_true(x && want && got);
                    for (int64_t i = 0; i < n; i++)
                        x[i] = pi % 2 ? ldexpf(rnd_f(-1.0f, 1.0f), (int)(rnd() % 60) - 30) : rnd_f(-50.0f, 50.0f);
                    memcpy(want, x, (size_t)n * sizeof(float));
                    memcpy(got, x, (size_t)n * sizeof(float));
                    ref->rope_neox(want, nh, d, cs, sn);
                    st->rope_neox(got, nh, d, cs, sn);
                    if (memcmp(want, got, (size_t)n * sizeof(float)) != 0)
                        fail_msg("%s rope_neox d=%lld heads %lld pos %lld differs", l1__tier_name((l1__tier)tier),
                                 (long long)d, (long long)nh, (long long)positions[pi]);
                    /* add, of every length up to n, onto the rotated rows */
                    const int64_t m = n - (int64_t)(pi % 3);
                    ref->add(want, x, m);
                    st->add(got, x, m);
                    if (memcmp(want, got, (size_t)n * sizeof(float)) != 0)
                        fail_msg("%s add n=%lld differs", l1__tier_name((l1__tier)tier), (long long)m);
                    free(x);
                    free(want);
                    free(got);
                    checked++;
                }
    }
    expect_x86_float_kernels(checked);
}

/* The table in use takes the best tier's float kernels where it has them. */
static void kernels_get_uses_best_tier_float_kernels(void **state) {
    (void)state;
    const l1__kernels *k = l1__kernels_get(), *s = l1__kernels_scalar();
    const l1__kernels *st = l1t_own(l1__tier_best());
    assert_non_null(st);
    assert_ptr_equal(k->attention, st->attention ? st->attention : s->attention);
    assert_ptr_equal(k->swiglu, st->swiglu ? st->swiglu : s->swiglu);
    assert_ptr_equal(k->rmsnorm, st->rmsnorm ? st->rmsnorm : s->rmsnorm);
    assert_ptr_equal(k->rope_neox, st->rope_neox ? st->rope_neox : s->rope_neox);
    assert_ptr_equal(k->add, st->add ? st->add : s->add);
    if (l1__tier_best() == L1_TIER_AVX2 || l1__tier_best() == L1_TIER_AVX512)
        assert_ptr_not_equal(k->attention, s->attention);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(force_scalar_env_selects_scalar),
        cmocka_unit_test(tier_set_picks_supported_tiers_only),
        cmocka_unit_test(simd_vec_dot_matches_reference_within_tolerance),
        cmocka_unit_test(simd_vec_dot_integer_sums_are_exact),
        cmocka_unit_test(simd_vec_dot_rows_match_single_row_kernels),
        cmocka_unit_test(simd_quantizers_are_bit_identical),
        cmocka_unit_test(simd_attention_f16acc_is_bit_identical),
        cmocka_unit_test(simd_attention_f32_within_error_bound),
        cmocka_unit_test(attention_group_matches_attention_f32_bit_for_bit),
        cmocka_unit_test(attention_split_and_merged_within_error_bound),
        cmocka_unit_test(simd_swiglu_matches_scalar),
        cmocka_unit_test(simd_rmsnorm_matches_scalar),
        cmocka_unit_test(simd_rope_and_add_are_bit_identical),
        cmocka_unit_test(kernels_get_uses_best_tier_float_kernels),
    };
    /* L1_TEST_FILTER=PATTERN runs only the matching tests (cmocka's
     * wildcards), e.g. the kernel tests alone under an emulator. */
    const char *filter = getenv("L1_TEST_FILTER");
    if (filter && *filter) cmocka_set_test_filter(filter);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
