/*
 * test_matmul.c - the threaded matmul layer (matmul.h): every output equals,
 * bit for bit, the op's dot function called once for that (row, token), for
 * every weight type with a dot product, every kernel tier the host runs,
 * 1 to 3 threads, odd row and token counts, weights off vector alignment, products
 * spanning several weight tiles and token blocks, and batches of products;
 * the threaded activation quantizer equals the serial one byte for byte.
 *
 * The expected values are computed here by the plain per-element loop over
 * the same dot function (the definition of the product in matmul.h), so a
 * scheduling, tiling or multi-row error shows as a bit difference.
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
#include "kernels/matmul.h"
#include "quant/quant.h"
#include "kernels/kernels.h"
#include "support/tiers.h"
#include "kernels/threadpool.h"
#include "gguf/types.h"

#define MAX_THREADS 3

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}
static float rndf(void) { return (float)rnd() / 2147483648.0f - 1.0f; }

static l1__pool *g_pools[MAX_THREADS + 1];

static int setup(void **state) {
    (void)state;
    for (int n = 1; n <= MAX_THREADS; n++)
        if (l1__pool_new(n, &g_pools[n]) != L1_OK) return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (int n = 1; n <= MAX_THREADS; n++) l1__pool_free(g_pools[n]);
    return 0;
}

/* n_rows rows of n values of `type`, `skew` bytes past an aligned start
 * (so kernels see rows off vector alignment; skew stays a multiple of 4,
 * the natural alignment the scalar reference reads its fields with). */
static uint8_t *make_weights(const l1__quant_traits *qt, int64_t n_rows, int64_t n, size_t skew,
                             uint8_t **base) {
    const size_t rb = (size_t)(n / qt->block_size) * qt->type_size;
    *base = malloc(rb * (size_t)n_rows + skew + 1);
    assert_non_null(*base);
    uint8_t *w = *base + skew;
    float *row = malloc((size_t)n * sizeof *row);
    assert_non_null(row);
    for (int64_t r = 0; r < n_rows; r++) {
        if (qt->from_float_ref) {
            for (int64_t i = 0; i < n; i++) row[i] = rndf();
            qt->from_float_ref(row, w + (size_t)r * rb, n);
            continue;
        }
        /* No quantizer (IQ4_NL, IQ4_XS): random codes, and a small finite
         * scale in the leading f16 field both block layouts start with. */
        for (size_t i = 0; i < rb; i++) w[(size_t)r * rb + i] = (uint8_t)rnd();
        for (size_t b = 0; b < rb; b += qt->type_size) {
            const uint16_t d = l1__f32_to_f16(0.01f + 0.001f * (float)(rnd() % 16));
            memcpy(w + (size_t)r * rb + b, &d, sizeof d);
        }
    }
    free(row);
    return w;
}

/* n_tok activation rows of n values in the activation type of `qt`. */
static uint8_t *make_acts(const l1__quant_traits *qt, int64_t n_tok, int64_t n, size_t *stride) {
    const l1__quant_traits *vt = l1__quant_traits_get(qt->vec_dot_type);
    *stride = (size_t)(n / vt->block_size) * vt->type_size;
    uint8_t *x = malloc(*stride * (size_t)n_tok);
    float *row = malloc((size_t)n * sizeof *row);
    assert_non_null(x);
    assert_non_null(row);
    for (int64_t t = 0; t < n_tok; t++) {
        for (int64_t i = 0; i < n; i++) row[i] = rndf();
        vt->from_float(row, x + (size_t)t * *stride, n);
    }
    free(row);
    return x;
}

/* The definition: one dot call per output. */
static void reference(const l1__matmul_op *op, int64_t n_tok, float *y) {
    for (int64_t t = 0; t < n_tok; t++)
        for (int64_t r = 0; r < op->n_rows; r++)
            op->k->dot[op->type](op->n, &y[t * op->ldy + r], (const uint8_t *)op->w + (size_t)r * op->w_row_bytes,
                    (const uint8_t *)op->x + (size_t)t * op->x_stride);
}

/* The tables to test `type` with: the scalar one and each supported
 * tier's full table where the tier has its own dot of the type. */
static int tables_of(uint32_t type, const l1__kernels *out[L1_TIER_COUNT]) {
    int n = 0;
    out[n++] = l1__kernels_scalar();
    for (int t = L1_TIER_SCALAR + 1; t < L1_TIER_COUNT; t++) {
        if (!l1__tier_supported((l1__tier)t)) continue;
        if (l1t_dot(type, (l1__tier)t)) out[n++] = l1__kernels_tier((l1__tier)t);
    }
    return n;
}

/* Checks one product of every dot and 1..MAX_THREADS threads against the
 * per-element loop; ldy leaves a guard column that must stay untouched. */
static void check_shape(uint32_t type, int64_t n, int64_t n_rows, int64_t n_tok, size_t skew) {
    const l1__quant_traits *qt = l1__quant_traits_get(type);
    uint8_t *wbase;
    const uint8_t *w = make_weights(qt, n_rows, n, skew, &wbase);
    size_t xs;
    uint8_t *x = make_acts(qt, n_tok, n, &xs);
    const int64_t ldy = n_rows + 3;
    const size_t ny = (size_t)(ldy * n_tok);
    float *want = malloc(ny * sizeof *want), *got = malloc(ny * sizeof *got);
    assert_non_null(want);
    assert_non_null(got);
    const l1__kernels *tabs[L1_TIER_COUNT];
    const int nd = tables_of(type, tabs);
    for (int d = 0; d < nd; d++) {
        l1__matmul_op op = {tabs[d], type, w, (size_t)(n / qt->block_size) * qt->type_size, n_rows, n,
                            x, xs, NULL, ldy, NULL, 0};
        for (size_t i = 0; i < ny; i++) want[i] = -7.0f;
        op.y = want;
        reference(&op, n_tok, want);
        for (int th = 1; th <= MAX_THREADS; th++) {
            for (size_t i = 0; i < ny; i++) got[i] = -7.0f;
            op.y = got;
            l1__matmul(g_pools[th], &op, 1, n_tok);
            if (memcmp(want, got, ny * sizeof *got) != 0) {
                size_t i = 0;
                while (want[i] == got[i] || (isnan(want[i]) && isnan(got[i]))) i++;
                fail_msg("%s dot #%d, %d threads, %lld x %lld x %lld tokens: y[%zu] %.9g != %.9g",
                         qt->name, d, th, (long long)n_rows, (long long)n, (long long)n_tok, i,
                         (double)got[i], (double)want[i]);
            }
        }
    }
    free(want);
    free(got);
    free(x);
    free(wbase);
}

/* Smallest row length that is a multiple of both block sizes, times k. */
static int64_t row_len(uint32_t type, int64_t k) {
    const l1__quant_traits *qt = l1__quant_traits_get(type);
    const l1__quant_traits *vt = l1__quant_traits_get(qt->vec_dot_type);
    int64_t b = qt->block_size > vt->block_size ? qt->block_size : vt->block_size;
    if (b < 32) b = 32;
    return b * k;
}

static void matmul_bit_identical_to_per_element_dot_every_type_tier_threads(void **state) {
    (void)state;
    static const int64_t shapes[][2] = {{1, 1}, {3, 1}, {67, 1}, {37, 5}, {19, 33}, {4, 2}};
    int types = 0;
    for (uint32_t type = 0; type < L1_TYPE_COUNT; type++) {
        const l1__quant_traits *qt = l1__quant_traits_get(type);
        if (!qt || !qt->vec_dot || type == L1_TYPE_Q8_1 || type == L1_TYPE_Q8_K) continue;
        types++;
        for (size_t s = 0; s < L1_ARRAY_LEN(shapes); s++)
            check_shape(type, row_len(type, s % 2 ? 3 : 1), shapes[s][0], shapes[s][1], 4 * (s % 3));
    }
    assert_true(types >= 15); /* every weight type of the quant layer was covered */
}

/* Rows and tokens beyond one weight tile and one token block, so tiles,
 * token blocks and thread ranges all have ragged ends. */
static void matmul_tiled_prefill_bit_identical(void **state) {
    (void)state;
    check_shape(L1_TYPE_Q8_0, 512, 1001, 37, 0);
    check_shape(L1_TYPE_Q4_K, 1024, 999, 9, 4);
    check_shape(L1_TYPE_F16, 320, 853, 21, 8);
}

/* A batch longer than one pool run's chunk, mixed types, each writing only
 * its own output. */
static void matmul_batch_of_ops_matches_each_alone(void **state) {
    (void)state;
    enum { N_OPS = 11 };
    static const uint32_t types[] = {L1_TYPE_Q4_0, L1_TYPE_Q6_K, L1_TYPE_Q8_0, L1_TYPE_F16,
                                     L1_TYPE_Q4_K, L1_TYPE_BF16};
    const int64_t n = 256, n_tok = 3;
    l1__matmul_op ops[N_OPS];
    uint8_t *bases[N_OPS], *xs[N_OPS];
    float *want[N_OPS], *got[N_OPS];
    const l1__kernels *k = l1__kernels_get();
    for (int i = 0; i < N_OPS; i++) {
        const uint32_t type = types[i % L1_ARRAY_LEN(types)];
        const l1__quant_traits *qt = l1__quant_traits_get(type);
        const int64_t rows = 5 + 7 * i;
        const uint8_t *w = make_weights(qt, rows, n, 0, &bases[i]);
        size_t stride;
        xs[i] = make_acts(qt, n_tok, n, &stride);
        want[i] = calloc((size_t)(rows * n_tok), sizeof(float));
        got[i] = calloc((size_t)(rows * n_tok), sizeof(float));
        assert_non_null(want[i]);
        assert_non_null(got[i]);
        ops[i] = (l1__matmul_op){k, type, w, (size_t)(n / qt->block_size) * qt->type_size,
                                 rows, n, xs[i], stride, want[i], rows, NULL, 0};
        reference(&ops[i], n_tok, want[i]);
        ops[i].y = got[i];
    }
    for (int th = 1; th <= MAX_THREADS; th++) {
        l1__matmul(g_pools[th], ops, N_OPS, n_tok);
        for (int i = 0; i < N_OPS; i++)
            assert_memory_equal(want[i], got[i], (size_t)(ops[i].n_rows * n_tok) * sizeof(float));
    }
    l1__matmul(NULL, ops, N_OPS, n_tok); /* no pool: inline on the caller */
    for (int i = 0; i < N_OPS; i++) {
        assert_memory_equal(want[i], got[i], (size_t)(ops[i].n_rows * n_tok) * sizeof(float));
        free(bases[i]);
        free(xs[i]);
        free(want[i]);
        free(got[i]);
    }
}

static void matmul_zero_tokens_writes_nothing(void **state) {
    (void)state;
    const l1__quant_traits *qt = l1__quant_traits_get(L1_TYPE_Q8_0);
    uint8_t *base;
    const uint8_t *w = make_weights(qt, 4, 32, 0, &base);
    float y[4] = {1, 2, 3, 4};
    const l1__matmul_op op = {l1__kernels_scalar(), L1_TYPE_Q8_0, w, 34, 4, 32, w, 34, y, 4, NULL, 0};
    l1__matmul(g_pools[2], &op, 1, 0);
    assert_true(y[0] == 1 && y[1] == 2 && y[2] == 3 && y[3] == 4);
    free(base);
}

/* A tier's full table takes a type's multi-row, tile and x8 kernels only
 * together with the tier's own dot of that type (so they agree with the
 * table's dot); the scalar table has none of them. */
static void full_tables_pair_kernels_with_their_own_dot(void **state) {
    (void)state;
    const l1__kernels *s = l1__kernels_scalar();
    for (uint32_t type = 0; type < L1_TYPE_COUNT; type++) {
        assert_null(s->dot_rows[type]);
        assert_null(s->dot_tile[type]);
        assert_null(s->x8[type]);
        for (int t = L1_TIER_SCALAR + 1; t < L1_TIER_COUNT; t++) {
            const l1__kernels *full = l1__kernels_tier((l1__tier)t);
            if (!full) continue;
            l1__dot_fn own = l1t_dot(type, (l1__tier)t);
            assert_ptr_equal(full->dot[type], own ? own : s->dot[type]);
            assert_ptr_equal(full->dot_rows[type], own ? l1t_rows(type, (l1__tier)t) : NULL);
            assert_ptr_equal(full->dot_tile[type], own ? l1t_tile(type, (l1__tier)t) : NULL);
            assert_ptr_equal(full->x8[type], own ? l1t_x8(type, (l1__tier)t) : NULL);
        }
    }
}

/* Each tier's rows x tokens tile kernel, every tile shape (1..4 rows x
 * 1..4 tokens, the full one included), odd row and token strides: each
 * output equals that tier's vec_dot of its (row, token), bit for bit, and
 * nothing outside the tile is written. */
static void tile_kernel_bit_identical_every_shape(void **state) {
    (void)state;
    int checked = 0;
    for (uint32_t type = 0; type < L1_TYPE_COUNT; type++) {
        const l1__quant_traits *qt = l1__quant_traits_get(type);
        if (!qt || !qt->vec_dot || type == L1_TYPE_Q8_1 || type == L1_TYPE_Q8_K) continue;
        for (int tier = L1_TIER_SCALAR + 1; tier < L1_TIER_COUNT; tier++) {
            if (!l1__tier_supported((l1__tier)tier)) continue;
            l1__dot_tile_fn tk = l1t_tile(type, (l1__tier)tier);
            l1__dot_fn d = l1t_dot(type, (l1__tier)tier);
            if (!tk) continue;
            assert_non_null(d);
            assert_ptr_equal(l1__kernels_tier((l1__tier)tier)->dot_tile[type], tk);
            const int64_t n = row_len(type, 3);
            uint8_t *wbase;
            const uint8_t *w = make_weights(qt, 4, n, 4, &wbase);
            size_t xs;
            uint8_t *x = make_acts(qt, L1__DOT_MAX_TOKENS, n, &xs);
            const size_t wrb = (size_t)(n / qt->block_size) * qt->type_size;
            enum { LDS = 7 };
            for (int nr = 1; nr <= L1__DOT_MAX_ROWS; nr++)
                for (int nt = 1; nt <= L1__DOT_MAX_TOKENS; nt++) {
                    float got[LDS * L1__DOT_MAX_TOKENS];
                    for (size_t i = 0; i < L1_ARRAY_LEN(got); i++) got[i] = -7.0f;
                    tk(n, got, LDS, w, wrb, x, xs, nr, nt);
                    for (int t = 0; t < L1__DOT_MAX_TOKENS; t++)
                        for (int r = 0; r < LDS; r++) {
                            float want = -7.0f;
                            if (r < nr && t < nt) d(n, &want, w + (size_t)r * wrb, x + (size_t)t * xs);
                            if (memcmp(&want, &got[t * LDS + r], sizeof want) != 0)
                                fail_msg("%s tier %d tile %dx%d: (%d, %d) %.9g != %.9g", qt->name, tier, nr, nt,
                                         r, t, (double)got[t * LDS + r], (double)want);
                        }
                }
            checked++;
            free(wbase);
            free(x);
        }
    }
    /* The x86 tiers have tile kernels for the types of the common files,
     * NEON for every quantized type. */
    if (l1__tier_supported(L1_TIER_AVX2)) assert_true(checked >= 7);
    if (l1__tier_supported(L1_TIER_NEON)) assert_true(checked >= 12);
    assert_null(l1__kernels_scalar()->dot_tile[L1_TYPE_Q4_K]);
}

/* Threaded conversion of a prefill-sized batch equals row-by-row serial
 * conversion with the same quantizer. */
static void quantize_batch_equals_serial_rows(void **state) {
    (void)state;
    const int64_t n = 1536, n_tok = 29, ldx = n + 5;
    const uint32_t acts[] = {L1_TYPE_Q8_0, L1_TYPE_Q8_K, L1_TYPE_F16};
    float *x = malloc((size_t)(ldx * n_tok) * sizeof *x);
    assert_non_null(x);
    for (int64_t i = 0; i < ldx * n_tok; i++) x[i] = 3.0f * rndf();
    for (size_t a = 0; a < L1_ARRAY_LEN(acts); a++) {
        const l1__quant_traits *vt = l1__quant_traits_get(acts[a]);
        const l1__act_quant_fn q = l1__kernels_get()->act_quant[acts[a]];
        const size_t stride = (size_t)(n / vt->block_size) * vt->type_size;
        uint8_t *want = malloc(stride * (size_t)n_tok), *got = malloc(stride * (size_t)n_tok);
        assert_non_null(want);
        assert_non_null(got);
        for (int64_t t = 0; t < n_tok; t++) q(x + t * ldx, want + (size_t)t * stride, n);
        for (int th = 1; th <= MAX_THREADS; th++) {
            memset(got, 0xa5, stride * (size_t)n_tok);
            l1__matmul_quantize(g_pools[th], q, x, ldx, n, n_tok, got, stride);
            assert_memory_equal(want, got, stride * (size_t)n_tok);
        }
        memset(got, 0xa5, stride);
        l1__matmul_quantize(g_pools[2], q, x, ldx, n, 1, got, stride);
        assert_memory_equal(want, got, stride);
        free(want);
        free(got);
    }
    free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matmul_bit_identical_to_per_element_dot_every_type_tier_threads),
        cmocka_unit_test(matmul_tiled_prefill_bit_identical),
        cmocka_unit_test(matmul_batch_of_ops_matches_each_alone),
        cmocka_unit_test(matmul_zero_tokens_writes_nothing),
        cmocka_unit_test(full_tables_pair_kernels_with_their_own_dot),
        cmocka_unit_test(tile_kernel_bit_identical_every_shape),
        cmocka_unit_test(quantize_batch_equals_serial_rows),
    };
    return cmocka_run_group_tests_name("matmul", tests, setup, teardown);
}
