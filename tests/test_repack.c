/*
 * test_repack.c - the x8 weight layouts (repack.h): every tier's x8 kernel
 * equals, bit for bit, the plain-C definition l1__x8_dot_ref computed from
 * the unpacked rows, for 1..4 tokens, 1..3 groups, rows past one block
 * chunk, and weights both from the quantizer and from random bytes (every
 * code and scale pattern).  The definition itself is checked against a
 * double-precision product of the dequantized values (it is a dot
 * product, up to f32 rounding).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base.h"
#include "base/fp16.h"
#include "quant/quant.h"
#include "kernels/matmul.h"
#include "kernels/repack.h"
#include "kernels/threadpool.h"
#include "kernels/kernels.h"
#include "support/tiers.h"
#include "gguf/types.h"

static uint64_t g_rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}
static float rndf(void) { return (float)rnd() / 2147483648.0f - 1.0f; }

static const uint32_t k_types[] = {L1_TYPE_Q4_0, L1_TYPE_Q8_0, L1_TYPE_Q4_K, L1_TYPE_Q6_K};

/* Offsets of the f16 scale fields in one block of `type`. */
static int f16_fields(uint32_t type, size_t off[2]) {
    switch (type) {
    case L1_TYPE_Q4_0:
    case L1_TYPE_Q8_0: off[0] = 0; return 1;
    case L1_TYPE_Q4_K: off[0] = 0; off[1] = 2; return 2;
    case L1_TYPE_Q6_K: off[0] = 208; return 1;
    default: return 0;
    }
}

/* n_rows rows: from the reference quantizer, or random bytes with small
 * finite scales. */
static uint8_t *make_rows(uint32_t type, int64_t n_rows, int64_t n, int random_bytes) {
    const l1__quant_traits *qt = l1__quant_traits_get(type);
    const size_t rb = (size_t)(n / qt->block_size) * qt->type_size;
    uint8_t *w = malloc(rb * (size_t)n_rows);
    float *row = malloc((size_t)n * sizeof *row);
    assert_non_null(w);
    assert_non_null(row);
    for (int64_t r = 0; r < n_rows; r++) {
        uint8_t *wr = w + (size_t)r * rb;
        if (!random_bytes) {
            for (int64_t i = 0; i < n; i++) row[i] = rndf() * (1.0f + (float)(r % 3));
            qt->from_float_ref(row, wr, n);
            continue;
        }
        for (size_t i = 0; i < rb; i++) wr[i] = (uint8_t)rnd();
        size_t off[2];
        const int nf = f16_fields(type, off);
        for (size_t b = 0; b < rb; b += qt->type_size)
            for (int f = 0; f < nf; f++) {
                const uint16_t d = l1__f32_to_f16(0.001f * (float)(1 + rnd() % 64));
                memcpy(wr + b + off[f], &d, 2);
            }
    }
    free(row);
    return w;
}

static uint8_t *make_acts(uint32_t type, int64_t n_tok, int64_t n, size_t *stride) {
    const l1__quant_traits *vt = l1__quant_traits_get(l1__quant_traits_get(type)->vec_dot_type);
    *stride = (size_t)(n / vt->block_size) * vt->type_size;
    uint8_t *x = malloc(*stride * (size_t)n_tok);
    float *row = malloc((size_t)n * sizeof *row);
    assert_non_null(x);
    assert_non_null(row);
    for (int64_t t = 0; t < n_tok; t++) {
        /* Tokens 6 and 7 constant, so every activation code is at its
         * extreme and the code sums of a block at their bounds (Q4_K's
         * mins go through them). */
        for (int64_t i = 0; i < n; i++) row[i] = t >= 6 ? (t == 6 ? 3.0f : -3.0f) : rndf() * (t % 2 ? 10.0f : 0.5f);
        vt->from_float(row, x + (size_t)t * *stride, n);
    }
    free(row);
    return x;
}

static void check(uint32_t type, l1__tier tier, l1__x8_fn k, int64_t n, int64_t ng, int random_bytes) {
    const l1__quant_traits *qt = l1__quant_traits_get(type);
    const size_t rb = (size_t)(n / qt->block_size) * qt->type_size;
    const int64_t n_rows = 8 * ng;
    uint8_t *w = make_rows(type, n_rows, n, random_bytes);
    const size_t gb = l1__x8_group_bytes(type, n);
    assert_true(gb > 0);
    uint8_t *packed = malloc(gb * (size_t)ng);
    assert_non_null(packed);
    l1__x8_pack(type, w, rb, n, n_rows, packed, l1__kernels_get()->x8_transpose);
    size_t xs;
    uint8_t *x = make_acts(type, L1__X8_MAX_TOKENS, n, &xs);
    const size_t lds = (size_t)n_rows + 5;
    float *got = malloc(lds * L1__X8_MAX_TOKENS * sizeof *got);
    assert_non_null(got);
    for (int nt = 1; nt <= L1__X8_MAX_TOKENS; nt++) {
        for (size_t i = 0; i < lds * L1__X8_MAX_TOKENS; i++) got[i] = -7.0f;
        k(n, got, lds, packed, gb, ng, x, xs, nt);
        for (int t = 0; t < L1__X8_MAX_TOKENS; t++)
            for (size_t r = 0; r < lds; r++) {
                float want = -7.0f;
                if (t < nt && (int64_t)r < n_rows) want = l1__x8_dot_ref(type, n, w + r * rb, x + (size_t)t * xs);
                const float g = got[(size_t)t * lds + r];
                if (memcmp(&g, &want, sizeof g) != 0)
                    fail_msg("%s %s n=%lld groups=%lld nt=%d %s: row %zu token %d: %.9g != %.9g", qt->name,
                             l1__tier_name(tier), (long long)n, (long long)ng, nt, random_bytes ? "random" : "quantized",
                             r, t, (double)g, (double)want);
            }
    }
    free(got);
    free(x);
    free(packed);
    free(w);
}

static void x8_kernels_bit_identical_to_definition(void **state) {
    (void)state;
    int kernels = 0;
    for (size_t i = 0; i < L1_ARRAY_LEN(k_types); i++) {
        const uint32_t type = k_types[i];
        const int64_t qk = l1__quant_traits_get(type)->block_size;
        /* One block; several; past one chunk of blocks (128 or 32). */
        const int64_t lens[] = {qk == 32 ? 32 : 256, qk == 32 ? 1536 : 1536, qk == 32 ? 4160 : 8704};
        for (int tier = L1_TIER_SCALAR + 1; tier < L1_TIER_COUNT; tier++) {
            if (!l1__tier_supported((l1__tier)tier)) continue;
            l1__x8_fn k = l1t_x8(type, (l1__tier)tier);
            if (!k) continue;
            kernels++;
            for (size_t l = 0; l < L1_ARRAY_LEN(lens); l++)
                for (int64_t ng = 1; ng <= 3; ng += 2) {
                    check(type, (l1__tier)tier, k, lens[l], ng, 0);
                    check(type, (l1__tier)tier, k, lens[l], ng, 1);
                }
        }
    }
    /* The x86 tiers have x8 kernels for Q4_0, Q4_K, Q6_K (and Q8_0 with
     * VNNI); NEON for all four. */
    if (l1__tier_supported(L1_TIER_AVX2)) assert_true(kernels >= 3);
    if (l1__tier_supported(L1_TIER_NEON)) assert_true(kernels >= 4);
    /* The i8mm tier's Q4_0, Q8_0, Q4_K and Q6_K kernels are its own
     * (smmla), not the NEON tier's, so the loop above checked them too. */
    if (l1__tier_supported(L1_TIER_I8MM)) {
        assert_true(l1t_x8(L1_TYPE_Q4_0, L1_TIER_I8MM) != l1t_x8(L1_TYPE_Q4_0, L1_TIER_NEON));
        assert_true(l1t_x8(L1_TYPE_Q8_0, L1_TIER_I8MM) != l1t_x8(L1_TYPE_Q8_0, L1_TIER_NEON));
        assert_true(l1t_x8(L1_TYPE_Q4_K, L1_TIER_I8MM) != l1t_x8(L1_TYPE_Q4_K, L1_TIER_NEON));
        assert_true(l1t_x8(L1_TYPE_Q6_K, L1_TIER_I8MM) != l1t_x8(L1_TYPE_Q6_K, L1_TIER_NEON));
    }
}

/* The definition is a dot product: within f32 rounding of the double
 * product of the dequantized values (bound: 1e-5 of the sum of |terms|,
 * n/block f32 steps of relative error ~6e-8 each). */
static void x8_definition_is_the_dot_product(void **state) {
    (void)state;
    for (size_t i = 0; i < L1_ARRAY_LEN(k_types); i++) {
        const uint32_t type = k_types[i];
        const l1__quant_traits *qt = l1__quant_traits_get(type);
        const l1__quant_traits *vt = l1__quant_traits_get(qt->vec_dot_type);
        const int64_t n = 2048;
        const size_t rb = (size_t)(n / qt->block_size) * qt->type_size;
        for (int random_bytes = 0; random_bytes < 2; random_bytes++) {
            uint8_t *w = make_rows(type, 4, n, random_bytes);
            size_t xs;
            uint8_t *x = make_acts(type, 1, n, &xs);
            float *wf = malloc((size_t)n * sizeof *wf), *xf = malloc((size_t)n * sizeof *xf);
            assert_non_null(wf);
            assert_non_null(xf);
            vt->to_float(x, xf, n);
            for (int r = 0; r < 4; r++) {
                qt->to_float(w + (size_t)r * rb, wf, n);
                double s = 0.0, mag = 0.0;
                for (int64_t j = 0; j < n; j++) {
                    s += (double)wf[j] * (double)xf[j];
                    mag += fabs((double)wf[j] * (double)xf[j]);
                }
                const float got = l1__x8_dot_ref(type, n, w + (size_t)r * rb, x);
                if (!(fabs((double)got - s) <= 1e-5 * mag))
                    fail_msg("%s row %d: %.9g vs %.9g (sum |terms| %.3g)", qt->name, r, (double)got, s, mag);
            }
            free(wf);
            free(xf);
            free(x);
            free(w);
        }
    }
}

/* The threaded matmul over x8 weights (decode and prefill shapes, 1..3
 * threads, rows split across threads in multiples of 16): each output is
 * the definition's value, and the guard column past n_rows is untouched. */
static void matmul_over_x8_weights_equals_definition(void **state) {
    (void)state;
    l1__pool *pools[4] = {NULL};
    for (int th = 1; th <= 3; th++) assert_int_equal(l1__pool_new(th, &pools[th]), L1_OK);
    const l1__tier tier = l1__tier_best();
    for (size_t i = 0; i < L1_ARRAY_LEN(k_types); i++) {
        const uint32_t type = k_types[i];
        const l1__quant_traits *qt = l1__quant_traits_get(type);
        const l1__kernels *kt = l1__kernels_tier(tier);
        if (!kt->x8[type]) continue;
        const int64_t n = 1536, n_rows = 200, ldy = n_rows + 1;
        const size_t rb = (size_t)(n / qt->block_size) * qt->type_size;
        uint8_t *w = make_rows(type, n_rows, n, 0);
        const size_t gb = l1__x8_group_bytes(type, n);
        uint8_t *packed = malloc(gb * (size_t)(n_rows / 8));
        assert_non_null(packed);
        l1__x8_pack(type, w, rb, n, n_rows, packed, l1__kernels_get()->x8_transpose);
        const int64_t toks[] = {1, 5, 37};
        for (size_t k = 0; k < L1_ARRAY_LEN(toks); k++) {
            const int64_t n_tok = toks[k];
            size_t xs;
            uint8_t *x = make_acts(type, n_tok, n, &xs);
            float *y = malloc((size_t)(ldy * n_tok) * sizeof *y);
            assert_non_null(y);
            for (int th = 1; th <= 3; th++) {
                for (int64_t j = 0; j < ldy * n_tok; j++) y[j] = -7.0f;
                const l1__matmul_op op = {kt, type, w, rb, n_rows, n, x, xs, y, ldy, packed, gb};
                l1__matmul(pools[th], &op, 1, n_tok);
                for (int64_t t = 0; t < n_tok; t++)
                    for (int64_t r = 0; r < ldy; r++) {
                        const float want = r < n_rows ? l1__x8_dot_ref(type, n, w + (size_t)r * rb, x + (size_t)t * xs) : -7.0f;
                        if (memcmp(&want, &y[t * ldy + r], sizeof want) != 0)
                            fail_msg("%s %lld tokens %d threads: row %lld token %lld: %.9g != %.9g", qt->name,
                                     (long long)n_tok, th, (long long)r, (long long)t, (double)y[t * ldy + r],
                                     (double)want);
                    }
            }
            free(y);
            free(x);
        }
        free(packed);
        free(w);
    }
    for (int th = 1; th <= 3; th++) l1__pool_free(pools[th]);
}

/* Packing gives the same bytes with the scalar transpose and with every
 * supported tier's, and every byte of the plain rows lands somewhere (a
 * changed input byte changes the packed output). */
static void x8_pack_same_bytes_every_tier(void **state) {
    (void)state;
    for (size_t i = 0; i < L1_ARRAY_LEN(k_types); i++) {
        const uint32_t type = k_types[i];
        const l1__quant_traits *qt = l1__quant_traits_get(type);
        const int64_t n = 512, n_rows = 16;
        const size_t rb = (size_t)(n / qt->block_size) * qt->type_size;
        uint8_t *w = make_rows(type, n_rows, n, 1);
        const size_t bytes = l1__x8_group_bytes(type, n) * (size_t)(n_rows / 8);
        uint8_t *a = malloc(bytes), *b = malloc(bytes);
        assert_non_null(a);
        assert_non_null(b);
        l1__x8_pack(type, w, rb, n, n_rows, a, l1__x8_transpose_scalar);
        for (int t = L1_TIER_SCALAR + 1; t < L1_TIER_COUNT; t++) {
            if (!l1__tier_supported((l1__tier)t)) continue;
            memset(b, 0x5a, bytes);
            l1__x8_pack(type, w, rb, n, n_rows, b, l1__kernels_tier((l1__tier)t)->x8_transpose);
            assert_memory_equal(a, b, bytes);
        }
        /* Flip one code byte in the middle of row 5: the packing changes. */
        w[5 * rb + rb / 2] ^= 0x11;
        l1__x8_pack(type, w, rb, n, n_rows, b, l1__x8_transpose_scalar);
        assert_memory_not_equal(a, b, bytes);
        free(a);
        free(b);
        free(w);
    }
}

static void x8_layout_sizes(void **state) {
    (void)state;
    /* Group-block bytes: 8 plain blocks plus, for Q4_K, the unpacked
     * scales and mins (128 bytes) in place of the 8 x 12 packed ones. */
    assert_int_equal(l1__x8_group_bytes(L1_TYPE_Q4_0, 64), 2 * 8 * 18);
    assert_int_equal(l1__x8_group_bytes(L1_TYPE_Q8_0, 64), 2 * 8 * 34);
    assert_int_equal(l1__x8_group_bytes(L1_TYPE_Q4_K, 256), 8 * 144 - 8 * 12 + 128);
    assert_int_equal(l1__x8_group_bytes(L1_TYPE_Q6_K, 512), 2 * 8 * 210);
    assert_int_equal(l1__x8_group_bytes(L1_TYPE_Q5_K, 256), 0);
    assert_false(l1__x8_type(L1_TYPE_F16));
    assert_true(l1__x8_type(L1_TYPE_Q6_K));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(x8_layout_sizes),
        cmocka_unit_test(x8_pack_same_bytes_every_tier),
        cmocka_unit_test(x8_definition_is_the_dot_product),
        cmocka_unit_test(x8_kernels_bit_identical_to_definition),
        cmocka_unit_test(matmul_over_x8_weights_equals_definition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
