/*
 * parity_quant.c - l1's quant layer against the reference implementation:
 * f16/bf16 conversion of every f16 value and a sweep of f32 values,
 * dequantization of random blocks of every type (bit-identical), the
 * activation quantizers (byte-identical with the reference CPU backend's
 * run-time quantizers and with its file quantizers), the weight quantizers
 * (their files read back identically by the reference, and their RMSE
 * against the reference's quantizer), and the scalar dot products against
 * the reference CPU backend's.
 *
 * Counts scale down under sanitizers (L1_PARITY_QUICK or an ASan/UBSan
 * build) so the program stays quick there; the release counts are the ones
 * the acceptance asks for (>= 10^5 random blocks per type).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/fp16.h"
#include "gguf/gguf.h"
struct gguf_context;
#include "llama.h"
#include "tooling/quantize_model.h"
#include "quant/quant.h"
#include "quant/quant_blocks.h"
#include "ref.h"

#include "support/sanitizers.h"
#define SANITIZED L1_TEST_SANITIZED

static int quick(void) { return SANITIZED || getenv("L1_PARITY_QUICK") != NULL; }

/* Random blocks dequantized per type (the acceptance asks for 10^5). */
static int64_t n_random_blocks(void) { return quick() ? 2000 : 100000; }

/* ---- deterministic random numbers ----------------------------------------------- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd_u64(void) {
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rnd_unit(void) { return (double)(rnd_u64() >> 11) * 0x1.0p-53; }

static double rnd_gauss(void) {
    double u = rnd_unit(), v = rnd_unit();
    if (u < 1e-300) u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Student-t with nu = 3: heavy tails, as some real weight rows have. */
static double rnd_student3(void) {
    double g = rnd_gauss();
    double chi = 0.0;
    for (int k = 0; k < 3; k++) {
        double t = rnd_gauss();
        chi += t * t;
    }
    return g / sqrt(chi / 3.0);
}

/* ---- the types under test ------------------------------------------------------- */

typedef struct {
    enum ggml_type type;
    /* Byte offsets of the f16 scale fields of one block (-1 ends), and of
     * an f32 scale (-1 if none); the float formats have neither and are
     * sanitised element-wise. */
    int f16_off[3];
    int f32_off;
} type_case;

static const type_case k_cases[] = {
    {GGML_TYPE_F32, {-1}, -1},         {GGML_TYPE_F16, {-1}, -1},
    {GGML_TYPE_BF16, {-1}, -1},        {GGML_TYPE_Q4_0, {0, -1}, -1},
    {GGML_TYPE_Q4_1, {0, 2, -1}, -1},  {GGML_TYPE_Q5_0, {0, -1}, -1},
    {GGML_TYPE_Q5_1, {0, 2, -1}, -1},  {GGML_TYPE_Q8_0, {0, -1}, -1},
    {GGML_TYPE_Q8_1, {0, 2, -1}, -1},  {GGML_TYPE_Q2_K, {80, 82, -1}, -1},
    {GGML_TYPE_Q3_K, {108, -1}, -1},   {GGML_TYPE_Q4_K, {0, 2, -1}, -1},
    {GGML_TYPE_Q5_K, {0, 2, -1}, -1},  {GGML_TYPE_Q6_K, {208, -1}, -1},
    {GGML_TYPE_Q8_K, {-1}, 0},         {GGML_TYPE_IQ4_NL, {0, -1}, -1},
    {GGML_TYPE_IQ4_XS, {0, -1}, -1},
};

/* A finite f16: random, or one of the extremes (largest, smallest normal,
 * smallest subnormal, zero), either sign. */
static uint16_t rnd_f16_finite(void) {
    static const uint16_t extremes[] = {0x7BFF, 0x0400, 0x0001, 0x0000, 0x3C00, 0x03FF};
    uint16_t h = (uint16_t)rnd_u64();
    if (rnd_u64() % 8 == 0) h = (uint16_t)(extremes[rnd_u64() % 6] | (rnd_u64() % 2 ? 0x8000 : 0));
    if ((h & 0x7C00) == 0x7C00) h &= 0xBFFF; /* inf/NaN exponent -> finite */
    return h;
}

static uint32_t rnd_f32_finite_bits(void) {
    uint32_t u = (uint32_t)rnd_u64();
    if ((u & 0x7F800000u) == 0x7F800000u) u &= 0xBFFFFFFFu;
    return u;
}

/* Fills `nb` random blocks of `tc`'s type: random bytes, all-zero blocks,
 * blocks of all-ones bytes (every code at its maximum), blocks of 0x88 or
 * 0x77 (codes near the middle), with the scale fields replaced by finite
 * values. */
static void fill_random_blocks(const type_case *tc, uint8_t *buf, int64_t nb, size_t ts) {
    for (int64_t b = 0; b < nb; b++) {
        uint8_t *blk = buf + (size_t)b * ts;
        const unsigned kind = (unsigned)(rnd_u64() % 16);
        if (kind == 0) memset(blk, 0, ts);
        else if (kind == 1) memset(blk, 0xFF, ts);
        else if (kind == 2) memset(blk, rnd_u64() % 2 ? 0x88 : 0x77, ts);
        else for (size_t k = 0; k < ts; k++) blk[k] = (uint8_t)rnd_u64();
        if (tc->type == GGML_TYPE_F16) {
            for (size_t k = 0; k + 1 < ts; k += 2) {
                uint16_t h;
                memcpy(&h, blk + k, 2);
                if ((h & 0x7C00) == 0x7C00) h &= 0xBFFF;
                memcpy(blk + k, &h, 2);
            }
        } else if (tc->type == GGML_TYPE_BF16) {
            for (size_t k = 0; k + 1 < ts; k += 2) {
                uint16_t h;
                memcpy(&h, blk + k, 2);
                if ((h & 0x7F80) == 0x7F80) h &= 0xBFFF;
                memcpy(blk + k, &h, 2);
            }
        } else if (tc->type == GGML_TYPE_F32) {
            for (size_t k = 0; k + 3 < ts; k += 4) {
                uint32_t u;
                memcpy(&u, blk + k, 4);
                if ((u & 0x7F800000u) == 0x7F800000u) u &= 0xBFFFFFFFu;
                memcpy(blk + k, &u, 4);
            }
        }
        for (int f = 0; f < 3 && tc->f16_off[f] >= 0; f++) {
            uint16_t h = kind == 0 ? 0 : rnd_f16_finite();
            memcpy(blk + tc->f16_off[f], &h, 2);
        }
        if (tc->f32_off >= 0) {
            uint32_t u = kind == 0 ? 0 : rnd_f32_finite_bits();
            if (kind != 0 && rnd_u64() % 2) u = l1__f32_bits((float)(rnd_gauss() * 1e-3));
            memcpy(blk + tc->f32_off, &u, 4);
        }
    }
}

/* ---- f16 / bf16 conversion -------------------------------------------------------- */

/* Bit-identical, except that a NaN only has to stay a NaN: the reference's
 * own conversions disagree about NaN payloads between its builds (hardware
 * conversion quiets a signalling NaN and keeps the payload, the portable
 * one returns a canonical NaN), and no model value is a NaN. */
static int same_f32(float a, float b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return l1__f32_bits(a) == l1__f32_bits(b);
}

static int same_f16(uint16_t a, uint16_t b) {
    const int na = (a & 0x7C00) == 0x7C00 && (a & 0x3FF), nb = (b & 0x7C00) == 0x7C00 && (b & 0x3FF);
    if (na || nb) return na && nb;
    return a == b;
}

static void f16_to_f32_matches_reference_for_all_65536_values(void **state) {
    (void)state;
    int n_nan = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float a = l1__f16_to_f32((uint16_t)h);
        float b = ggml_fp16_to_fp32((ggml_fp16_t)h);
        if (isnan(a)) n_nan++;
        if (!same_f32(a, b)) fail_msg("f16 %04x: l1 %08x ref %08x", h, l1__f32_bits(a), l1__f32_bits(b));
        float c = l1__bf16_to_f32((uint16_t)h);
        ggml_bf16_t bh = {(uint16_t)h};
        float d = ggml_bf16_to_fp32(bh);
        if (!same_f32(c, d)) fail_msg("bf16 %04x differs", h);
    }
    printf("f16/bf16 -> f32: 65536 + 65536 values bit-identical (%d NaN codes: NaN on both sides)\n", n_nan);
}

/* Every f32 bit pattern whose low 8 bits are a fixed random value (2^24
 * patterns covering every exponent and sign, NaN and infinity included)
 * plus the patterns around each f16 rounding boundary. */
static void f32_to_f16_and_bf16_match_reference_on_a_sweep(void **state) {
    (void)state;
    const uint32_t step = quick() ? 4096 : 256;
    uint64_t n = 0;
    for (uint64_t u0 = 0; u0 < 0x100000000ull; u0 += step) {
        const uint32_t u = (uint32_t)u0 | (uint32_t)(rnd_u64() % step);
        const float f = l1__bits_f32(u);
        const uint16_t a = l1__f32_to_f16(f), b = ggml_fp32_to_fp16(f);
        if (!same_f16(a, b)) fail_msg("f32 %08x -> f16: l1 %04x ref %04x", u, a, b);
        const uint16_t c = l1__f32_to_bf16(f), d = ggml_fp32_to_bf16(f).bits;
        if (c != d) fail_msg("f32 %08x -> bf16: l1 %04x ref %04x", u, c, d);
        n++;
    }
    /* Ties and neighbours of every f16 value's midpoint with the next. */
    for (uint32_t h = 0; h < 0x7C00; h++) {
        const float lo = l1__f16_to_f32((uint16_t)h), hi = l1__f16_to_f32((uint16_t)(h + 1));
        const uint32_t mid = l1__f32_bits((float)(((double)lo + (double)hi) / 2.0));
        for (int dlt = -1; dlt <= 1; dlt++) {
            for (int sgn = 0; sgn < 2; sgn++) {
                const float f = l1__bits_f32((mid + (uint32_t)dlt) | (sgn ? 0x80000000u : 0));
                const uint16_t a = l1__f32_to_f16(f), b = ggml_fp32_to_fp16(f);
                if (a != b) fail_msg("f32 %08x -> f16 (tie sweep): l1 %04x ref %04x", l1__f32_bits(f), a, b);
                n++;
            }
        }
    }
    printf("f32 -> f16/bf16: %llu values bit-identical\n", (unsigned long long)n);
}

/* ---- dequantization ---------------------------------------------------------------- */

static void dequantization_is_bit_identical_on_random_blocks(void **state) {
    (void)state;
    const int64_t chunk = 1000;
    for (size_t c = 0; c < sizeof k_cases / sizeof k_cases[0]; c++) {
        const type_case *tc = &k_cases[c];
        const l1__quant_traits *t = l1__quant_traits_get((uint32_t)tc->type);
        const struct ggml_type_traits *r = ggml_get_type_traits(tc->type);
        assert_non_null(t);
        assert_int_equal(t->block_size, r->blck_size);
        assert_int_equal(t->type_size, r->type_size);
        if (!r->to_float && tc->type != GGML_TYPE_F32) {
            printf("dequant %-6s: the reference has no dequantizer (activation-only type)\n", t->name);
            continue;
        }
        /* Float formats: one "block" is 256 values so that the count of
         * values compared is comparable with the K formats. */
        const int64_t vals = t->block_size == 1 ? 256 : t->block_size;
        const size_t ts = (size_t)(vals / t->block_size) * t->type_size;
        uint8_t *buf = malloc((size_t)chunk * ts);
        float *ya = malloc((size_t)(chunk * vals) * sizeof(float));
        float *yb = malloc((size_t)(chunk * vals) * sizeof(float));
        int64_t done = 0;
        for (; done < n_random_blocks(); done += chunk) {
            fill_random_blocks(tc, buf, chunk, ts);
            t->to_float(buf, ya, chunk * vals);
            if (r->to_float) r->to_float(buf, yb, chunk * vals);
            else memcpy(yb, buf, (size_t)(chunk * vals) * sizeof(float)); /* F32: identity */
            if (memcmp(ya, yb, (size_t)(chunk * vals) * sizeof(float)) != 0) {
                for (int64_t k = 0; k < chunk * vals; k++)
                    if (l1__f32_bits(ya[k]) != l1__f32_bits(yb[k]))
                        fail_msg("%s: value %lld of chunk: l1 %.9g ref %.9g", t->name, (long long)k, ya[k], yb[k]);
            }
        }
        printf("dequant %-6s: %lld blocks (%lld values) bit-identical\n", t->name, (long long)done,
               (long long)(done * vals));
        free(buf);
        free(ya);
        free(yb);
    }
}

/* ---- activation quantizers ---------------------------------------------------------------- */

/* Activation-like data: Gaussian blocks of varied magnitude, all-zero
 * blocks, and blocks whose scaled values sit exactly on rounding ties (half
 * integers with extreme 127). */
static void fill_activations(float *x, int64_t n, int64_t block) {
    for (int64_t b = 0; b < n / block; b++) {
        float *v = x + b * block;
        const unsigned kind = (unsigned)(rnd_u64() % 8);
        const double scale = pow(10.0, rnd_unit() * 8.0 - 5.0);
        for (int64_t j = 0; j < block; j++) {
            if (kind == 0) v[j] = 0.0f;
            else if (kind == 1) v[j] = (float)((int)(rnd_u64() % 255) - 127) + (rnd_u64() % 2 ? 0.5f : 0.0f);
            else v[j] = (float)(rnd_gauss() * scale);
        }
        if (kind == 1) v[rnd_u64() % (uint64_t)block] = rnd_u64() % 2 ? 127.0f : -127.0f;
    }
}

static void activation_quantizers_match_reference_cpu_backend(void **state) {
    (void)state;
    char module[4096];
    if (!l1ref_cpu_module(module, sizeof module)) fail_msg("reference CPU backend not reachable");
    printf("reference CPU backend: %s\n", module);
    static const enum ggml_type acts[] = {GGML_TYPE_Q8_0, GGML_TYPE_Q8_1, GGML_TYPE_Q8_K,
                                          GGML_TYPE_F16, GGML_TYPE_BF16};
    const int64_t n = quick() ? 256 * 64 : 256 * 4096;
    float *x = malloc((size_t)n * sizeof(float));
    uint8_t *a = malloc((size_t)n * 4), *b = malloc((size_t)n * 4);
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        const l1__quant_traits *t = l1__quant_traits_get((uint32_t)acts[k]);
        const struct ggml_type_traits_cpu *rc = l1ref_cpu_traits(acts[k]);
        const struct ggml_type_traits *r = ggml_get_type_traits(acts[k]);
        assert_non_null(rc);
        fill_activations(x, n, 256);
        const size_t bytes = (size_t)(n / t->block_size) * t->type_size;
        /* Prefill equally: the reference leaves Q8_K's group sums of an
         * all-zero block unwritten, l1 writes zeros. */
        memset(a, 0, bytes);
        memset(b, 0, bytes);
        t->from_float(x, a, n);
        rc->from_float(x, b, n);
        assert_memory_equal(a, b, bytes);
        printf("run-time quantizer %-4s: %lld values byte-identical with the CPU backend\n", t->name, (long long)n);
        if (r->from_float_ref) {
            memset(a, 0, bytes);
            memset(b, 0, bytes);
            t->from_float_ref(x, a, n);
            r->from_float_ref(x, b, n);
            assert_memory_equal(a, b, bytes);
            printf("file quantizer     %-4s: %lld values byte-identical with from_float_ref\n", t->name, (long long)n);
        }
    }
    free(x);
    free(a);
    free(b);
}

/* ---- vec_dot ---------------------------------------------------------------------- */

/* The reference CPU kernels sum in f32 in their own order; l1's scalar
 * products sum exact integer block sums, then scale in f32.  Both are within
 * a few f32 roundings of the exact value per block: 1e-5 of the sum of
 * absolute terms (n <= 4096 terms) with a tiny absolute floor. */
#define DOT_RTOL 1e-5
#define DOT_ATOL 1e-6

static void vec_dot_matches_reference_cpu_backend(void **state) {
    (void)state;
    static const enum ggml_type ws[] = {GGML_TYPE_F32,  GGML_TYPE_F16,  GGML_TYPE_BF16, GGML_TYPE_Q4_0,
                                        GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0,
                                        GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K,
                                        GGML_TYPE_Q6_K, GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS};
    const int64_t n = 4096;
    const int rows = quick() ? 8 : 200;
    float *w = malloc((size_t)n * sizeof(float)), *x = malloc((size_t)n * sizeof(float));
    float *wd = malloc((size_t)n * sizeof(float)), *xd = malloc((size_t)n * sizeof(float));
    uint8_t *qw = malloc((size_t)n * 4), *qx = malloc((size_t)n * 4), *qx2 = malloc((size_t)n * 4);
    for (size_t k = 0; k < sizeof ws / sizeof ws[0]; k++) {
        const l1__quant_traits *t = l1__quant_traits_get((uint32_t)ws[k]);
        const struct ggml_type_traits_cpu *rc = l1ref_cpu_traits(ws[k]);
        assert_non_null(rc);
        assert_int_equal(t->vec_dot_type, rc->vec_dot_type);
        const l1__quant_traits *at = l1__quant_traits_get(t->vec_dot_type);
        double worst = 0.0, worst_d = 0.0;
        for (int r = 0; r < rows; r++) {
            const double ws_scale = pow(10.0, rnd_unit() * 4.0 - 3.0);
            for (int64_t j = 0; j < n; j++) {
                w[j] = (float)((r % 2 ? rnd_student3() : rnd_gauss()) * ws_scale);
                x[j] = (float)(rnd_gauss() * pow(10.0, rnd_unit() * 2.0 - 1.0));
            }
            ggml_quantize_chunk(ws[k], w, qw, 0, 1, n, NULL);
            at->from_float(x, qx, n);
            l1ref_cpu_traits((enum ggml_type)t->vec_dot_type)->from_float(x, qx2, n);
            const size_t xbytes = (size_t)(n / at->block_size) * at->type_size;
            if (t->vec_dot_type != L1_TYPE_Q8_K) assert_memory_equal(qx, qx2, xbytes);
            float s_l1 = 0.0f, s_ref = 0.0f;
            t->vec_dot(n, &s_l1, qw, qx);
            rc->vec_dot((int)n, &s_ref, 0, qw, 0, qx2, 0, 1);
            t->to_float(qw, wd, n);
            at->to_float(qx, xd, n);
            double exact = 0.0, mag = 0.0;
            for (int64_t j = 0; j < n; j++) {
                exact += (double)wd[j] * (double)xd[j];
                mag += fabs((double)wd[j] * (double)xd[j]);
            }
            const double tol = DOT_ATOL + DOT_RTOL * mag;
            /* With Q8_1 the weight offset multiplies the block sum s, stored
             * as f16: half an f16 ulp (2^-11 relative) of |m * s| per block
             * separates the products from the dequantized double dot. */
            double tol_exact = tol;
            if (t->vec_dot_type == L1_TYPE_Q8_1) {
                for (int64_t b = 0; b < n / 32; b++) {
                    uint16_t m, sy;
                    memcpy(&m, qw + (size_t)b * t->type_size + 2, 2);
                    memcpy(&sy, qx + (size_t)b * at->type_size + 2, 2);
                    tol_exact += fabs((double)l1__f16_to_f32(m) * l1__f16_to_f32(sy)) * 0x1.0p-11;
                }
            }
            const double e_ref = fabs((double)s_l1 - (double)s_ref), e_d = fabs((double)s_l1 - exact);
            if (e_ref > tol || e_d > tol_exact)
                fail_msg("%s row %d: l1 %.9g ref %.9g exact %.9g (tol %.3g)", t->name, r, s_l1, s_ref, exact, tol);
            if (mag > 0 && e_ref / mag > worst) worst = e_ref / mag;
            if (mag > 0 && e_d / mag > worst_d) worst_d = e_d / mag;
        }
        printf("vec_dot %-6s x %-4s: %d rows of %lld; max |l1-ref|/sum|ab| %.2e, |l1-exact|/sum|ab| %.2e\n",
               t->name, at->name, rows, (long long)n, worst, worst_d);
    }
    free(w);
    free(x);
    free(wd);
    free(xd);
    free(qw);
    free(qx);
    free(qx2);
}

/* ---- weight quantizers -------------------------------------------------------------------- */

/* l1's RMSE may exceed the reference's by at most this factor (the
 * acceptance: within 5%). */
#define RMSE_RATIO_MAX 1.05

static double rmse(const float *a, const float *b, int64_t n) {
    double s = 0.0;
    for (int64_t j = 0; j < n; j++) s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return sqrt(s / (double)n);
}

static void weight_quantizers_write_valid_blocks_with_reference_rmse(void **state) {
    (void)state;
    static const enum ggml_type ws[] = {GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1,
                                        GGML_TYPE_Q8_0, GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K,
                                        GGML_TYPE_Q5_K, GGML_TYPE_Q6_K, GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS};
    const int64_t n_per_row = 4096, nrow = quick() ? 4 : 64, n = n_per_row * nrow;
    float *x = malloc((size_t)n * sizeof(float)), *ya = malloc((size_t)n * sizeof(float));
    float *yb = malloc((size_t)n * sizeof(float)), *yc = malloc((size_t)n * sizeof(float));
    uint8_t *qa = malloc((size_t)n * 4), *qb = malloc((size_t)n * 4);
    printf("%-7s %-9s %12s %12s %7s %s\n", "type", "data", "rmse l1", "rmse ref", "ratio", "bytes");
    for (size_t k = 0; k < sizeof ws / sizeof ws[0]; k++) {
        const l1__quant_traits *t = l1__quant_traits_get((uint32_t)ws[k]);
        if (!t->from_float_ref) {
            printf("%-7s (no l1 quantizer)\n", t->name);
            continue;
        }
        for (int dist = 0; dist < 2; dist++) {
            for (int64_t j = 0; j < n; j++) x[j] = (float)(dist ? rnd_student3() : rnd_gauss());
            const size_t bytes = l1__quantize_rows((uint32_t)ws[k], x, qa, nrow, n_per_row);
            const size_t rbytes = ggml_quantize_chunk(ws[k], x, qb, 0, nrow, n_per_row, NULL);
            assert_int_equal(bytes, rbytes);
            t->to_float(qa, ya, n);
            ggml_get_type_traits(ws[k])->to_float(qa, yb, n);
            assert_memory_equal(ya, yb, (size_t)n * sizeof(float));
            ggml_get_type_traits(ws[k])->to_float(qb, yc, n);
            const double ea = rmse(x, ya, n), eb = rmse(x, yc, n);
            const int same = memcmp(qa, qb, bytes) == 0;
            printf("%-7s %-9s %12.6g %12.6g %7.4f %s\n", t->name, dist ? "student3" : "gaussian", ea, eb, ea / eb,
                   same ? "identical" : "differ");
            if (ea > RMSE_RATIO_MAX * eb) fail_msg("%s: rmse %.6g > %.2f x reference %.6g", t->name, ea, RMSE_RATIO_MAX, eb);
        }
    }
    free(x);
    free(ya);
    free(yb);
    free(yc);
    free(qa);
    free(qb);
}

/* ---- l1 quantize: the Q4_K_M recipe -------------------------------------------------------- */

#define SYN_LAYERS 8
#define SYN_EMBD 256
#define SYN_FF 512
#define SYN_HEADS 4
#define SYN_KV_HEADS 2

/* A small F32 qwen2 model with the real tensor names and the qwen2 vocab
 * (every metadata pair of the reference's ggml-vocab-qwen2.gguf, with the
 * hyper-parameters replaced by this model's). */
static void write_synthetic_qwen2(const char *path) {
    char vocab[4096];
    snprintf(vocab, sizeof vocab, "%s/llama.cpp/models/ggml-vocab-qwen2.gguf", getenv("L1_REF_DIR") ? getenv("L1_REF_DIR") : "build/reference");
    l1__gguf *v = NULL;
    l1__gguf_writer *w = NULL;
    assert_int_equal(l1__gguf_open(vocab, NULL, &v), L1_OK);
    assert_int_equal(l1__gguf_writer_new(&w), L1_OK);
    assert_int_equal(l1__gguf_writer_copy_kv(w, v), L1_OK);
    uint64_t n_vocab = 0;
    l1__gguf_vtype et;
    assert_int_equal(l1__gguf_get_arr(v, "tokenizer.ggml.tokens", &et, &n_vocab), L1_OK);
    l1__gguf_writer_set_u32(w, "qwen2.block_count", SYN_LAYERS);
    l1__gguf_writer_set_u32(w, "qwen2.context_length", 4096);
    l1__gguf_writer_set_u32(w, "qwen2.embedding_length", SYN_EMBD);
    l1__gguf_writer_set_u32(w, "qwen2.feed_forward_length", SYN_FF);
    l1__gguf_writer_set_u32(w, "qwen2.attention.head_count", SYN_HEADS);
    l1__gguf_writer_set_u32(w, "qwen2.attention.head_count_kv", SYN_KV_HEADS);
    l1__gguf_writer_set_u32(w, "general.file_type", 0);
    const int64_t kv = SYN_EMBD / SYN_HEADS * SYN_KV_HEADS;
    struct {
        const char *name;
        int nd;
        int64_t ne0, ne1;
    } per_layer[] = {
        {"attn_norm.weight", 1, SYN_EMBD, 1}, {"attn_q.weight", 2, SYN_EMBD, SYN_EMBD},
        {"attn_q.bias", 1, SYN_EMBD, 1},      {"attn_k.weight", 2, SYN_EMBD, kv},
        {"attn_k.bias", 1, kv, 1},            {"attn_v.weight", 2, SYN_EMBD, kv},
        {"attn_v.bias", 1, kv, 1},            {"attn_output.weight", 2, SYN_EMBD, SYN_EMBD},
        {"ffn_norm.weight", 1, SYN_EMBD, 1},  {"ffn_gate.weight", 2, SYN_EMBD, SYN_FF},
        {"ffn_up.weight", 2, SYN_EMBD, SYN_FF}, {"ffn_down.weight", 2, SYN_FF, SYN_EMBD},
    };
    const int64_t big = (int64_t)n_vocab * SYN_EMBD;
    float *data = malloc((size_t)big * sizeof(float));
    for (int64_t j = 0; j < big; j++) data[j] = (float)(rnd_gauss() * 0.02);
    int64_t ne[2] = {SYN_EMBD, (int64_t)n_vocab};
    assert_int_equal(l1__gguf_writer_add_tensor(w, "token_embd.weight", L1_TYPE_F32, 2, ne, data, (uint64_t)big * 4), L1_OK);
    char name[64];
    for (int l = 0; l < SYN_LAYERS; l++) {
        for (size_t k = 0; k < sizeof per_layer / sizeof per_layer[0]; k++) {
            snprintf(name, sizeof name, "blk.%d.%s", l, per_layer[k].name);
            int64_t e[2] = {per_layer[k].ne0, per_layer[k].ne1};
            assert_int_equal(l1__gguf_writer_add_tensor(w, name, L1_TYPE_F32, (uint32_t)per_layer[k].nd, e, data + l * 1000,
                                                        (uint64_t)(e[0] * e[1]) * 4),
                             L1_OK);
        }
    }
    int64_t e1[1] = {SYN_EMBD};
    assert_int_equal(l1__gguf_writer_add_tensor(w, "output_norm.weight", L1_TYPE_F32, 1, e1, data, SYN_EMBD * 4), L1_OK);
    assert_int_equal(l1__gguf_writer_add_tensor(w, "output.weight", L1_TYPE_F32, 2, ne, data + 7, (uint64_t)big * 4), L1_OK);
    assert_int_equal(l1__gguf_writer_write(w, path), L1_OK);
    l1__gguf_writer_free(w);
    l1__gguf_close(v);
    free(data);
}

static bool quiet_progress(void *user, int64_t i, int64_t n, const char *name, uint32_t from, uint32_t to) {
    (void)user; (void)i; (void)n; (void)name; (void)from; (void)to;
    return true;
}

static void discard_log(enum ggml_log_level level, const char *text, void *user) {
    (void)level; (void)text; (void)user;
}

/* Writes ~160 MB of scratch files (the qwen2 vocabulary makes the embedding
 * large); skipped in quick runs. */
static void q4_k_m_file_loads_in_reference_with_its_tensor_types(void **state) {
    (void)state;
    if (quick()) {
        printf("Q4_K_M recipe check skipped in a quick (sanitizer) run\n");
        return;
    }
    llama_log_set(discard_log, NULL);
    char in[256], out_l1[256], out_ref[256];
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(in, sizeof in, "%s/l1_parity_quant_%d_f32.gguf", tmp, (int)getpid());
    snprintf(out_l1, sizeof out_l1, "%s/l1_parity_quant_%d_l1.gguf", tmp, (int)getpid());
    snprintf(out_ref, sizeof out_ref, "%s/l1_parity_quant_%d_ref.gguf", tmp, (int)getpid());
    write_synthetic_qwen2(in);
    assert_int_equal(l1__quantize_model(in, out_l1, L1_FTYPE_Q4_K_M, quiet_progress, NULL), L1_OK);
    llama_model_quantize_params qp = llama_model_quantize_default_params();
    qp.ftype = LLAMA_FTYPE_MOSTLY_Q4_K_M;
    qp.nthread = 2;
    assert_int_equal(llama_model_quantize(in, out_ref, &qp), 0);

    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *m = llama_model_load_from_file(out_l1, mp);
    assert_non_null(m);
    llama_model_free(m);

    l1__gguf *a = NULL, *b = NULL;
    assert_int_equal(l1__gguf_open(out_l1, NULL, &a), L1_OK);
    assert_int_equal(l1__gguf_open(out_ref, NULL, &b), L1_OK);
    assert_int_equal(l1__gguf_n_tensors(a), l1__gguf_n_tensors(b));
    uint32_t fa = 0, fb = 0;
    assert_int_equal(l1__gguf_get_u32(a, "general.file_type", &fa), L1_OK);
    assert_int_equal(l1__gguf_get_u32(b, "general.file_type", &fb), L1_OK);
    assert_int_equal(fa, fb);
    int diff = 0, counts[L1_TYPE_COUNT] = {0};
    for (int64_t i = 0; i < l1__gguf_n_tensors(b); i++) {
        const l1__gguf_tensor *tb = l1__gguf_tensor_at(b, i), *ta = l1__gguf_find_tensor(a, tb->name);
        assert_non_null(ta);
        counts[ta->type]++;
        if (ta->type != tb->type) {
            printf("  %s: l1 %s, reference %s\n", tb->name, l1__type_name(ta->type), l1__type_name(tb->type));
            diff++;
        }
    }
    printf("Q4_K_M recipe: %lld tensors, %d differ from the reference's (", (long long)l1__gguf_n_tensors(b), diff);
    for (int t = 0; t < L1_TYPE_COUNT; t++)
        if (counts[t]) printf(" %s x%d", l1__type_name((uint32_t)t), counts[t]);
    printf(" ); loads in the reference\n");
    l1__gguf_close(a);
    l1__gguf_close(b);
    remove(in);
    remove(out_l1);
    remove(out_ref);
    assert_int_equal(diff, 0);
}

int main(void) {
    l1ref_load_backends();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(f16_to_f32_matches_reference_for_all_65536_values),
        cmocka_unit_test(f32_to_f16_and_bf16_match_reference_on_a_sweep),
        cmocka_unit_test(dequantization_is_bit_identical_on_random_blocks),
        cmocka_unit_test(activation_quantizers_match_reference_cpu_backend),
        cmocka_unit_test(vec_dot_matches_reference_cpu_backend),
        cmocka_unit_test(weight_quantizers_write_valid_blocks_with_reference_rmse),
        cmocka_unit_test(q4_k_m_file_loads_in_reference_with_its_tensor_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
