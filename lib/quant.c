/*
 * quant.c - the traits table: for every type l1 computes with, its block
 * geometry, scalar dequantizer, quantizers, and the activation type and
 * scalar dot product it pairs with.
 *
 * The pairing (vec_dot_type) is the one the reference CPU backend uses, so
 * that a forward pass that quantizes activations through these traits
 * rounds exactly as the reference does: 32-value symmetric formats with
 * Q8_0, 32-value formats with an offset with Q8_1 (whose block sum applies
 * the offset), every 256-value format with Q8_K, and the float formats with
 * themselves.
 */
#include "quant_impl.h"

#include "base.h"

#define TRAITS(T, name, bs, ts, fn, vdt, ffn, fref)                                      \
    [L1_TYPE_##T] = {L1_TYPE_##T, name, bs, ts, l1__dequant_##fn, ffn, L1_TYPE_##vdt, \
                     l1__vec_dot_##fn, fref}

static const l1__quant_traits k_traits[L1_TYPE_COUNT] = {
    TRAITS(F32, "F32", 1, 4, f32, F32, l1__quantize_f32, l1__quantize_f32),
    TRAITS(F16, "F16", 1, 2, f16, F16, l1__quantize_f16, l1__quantize_f16),
    TRAITS(BF16, "BF16", 1, 2, bf16, BF16, l1__quantize_bf16, l1__quantize_bf16),
    TRAITS(Q4_0, "Q4_0", 32, sizeof(l1__block_q4_0), q4_0, Q8_0, l1__quantize_q4_0, l1__quantize_q4_0),
    TRAITS(Q4_1, "Q4_1", 32, sizeof(l1__block_q4_1), q4_1, Q8_1, l1__quantize_q4_1, l1__quantize_q4_1),
    TRAITS(Q5_0, "Q5_0", 32, sizeof(l1__block_q5_0), q5_0, Q8_0, l1__quantize_q5_0, l1__quantize_q5_0),
    TRAITS(Q5_1, "Q5_1", 32, sizeof(l1__block_q5_1), q5_1, Q8_1, l1__quantize_q5_1, l1__quantize_q5_1),
    TRAITS(Q8_0, "Q8_0", 32, sizeof(l1__block_q8_0), q8_0, Q8_0, l1__quantize_q8_0, l1__quantize_q8_0_ref),
    TRAITS(Q8_1, "Q8_1", 32, sizeof(l1__block_q8_1), q8_1, Q8_1, l1__quantize_q8_1, l1__quantize_q8_1_ref),
    TRAITS(Q2_K, "Q2_K", 256, sizeof(l1__block_q2_K), q2_K, Q8_K, l1__quantize_q2_K, l1__quantize_q2_K),
    TRAITS(Q3_K, "Q3_K", 256, sizeof(l1__block_q3_K), q3_K, Q8_K, l1__quantize_q3_K, l1__quantize_q3_K),
    TRAITS(Q4_K, "Q4_K", 256, sizeof(l1__block_q4_K), q4_K, Q8_K, l1__quantize_q4_K, l1__quantize_q4_K),
    TRAITS(Q5_K, "Q5_K", 256, sizeof(l1__block_q5_K), q5_K, Q8_K, l1__quantize_q5_K, l1__quantize_q5_K),
    TRAITS(Q6_K, "Q6_K", 256, sizeof(l1__block_q6_K), q6_K, Q8_K, l1__quantize_q6_K, l1__quantize_q6_K),
    TRAITS(Q8_K, "Q8_K", 256, sizeof(l1__block_q8_K), q8_K, Q8_K, l1__quantize_q8_K, l1__quantize_q8_K),
    TRAITS(IQ4_NL, "IQ4_NL", 32, sizeof(l1__block_iq4_nl), iq4_nl, Q8_0, NULL,
           NULL),
    TRAITS(IQ4_XS, "IQ4_XS", 256, sizeof(l1__block_iq4_xs), iq4_xs, Q8_K, NULL,
           NULL),
};

const l1__quant_traits *l1__quant_traits_get(uint32_t type) {
    if (type >= L1_TYPE_COUNT || k_traits[type].name == NULL) return NULL;
    return &k_traits[type];
}

size_t l1__quantize_rows(uint32_t type, const float *x, void *y, int64_t nrow, int64_t n_per_row) {
    const l1__quant_traits *t = l1__quant_traits_get(type);
    if (!t || !t->from_float_ref || nrow < 0 || n_per_row <= 0 || n_per_row % t->block_size) return 0;
    const size_t row_bytes = (size_t)(n_per_row / t->block_size) * t->type_size;
    uint8_t *out = y;
    for (int64_t r = 0; r < nrow; r++) t->from_float_ref(x + r * n_per_row, out + (size_t)r * row_bytes, n_per_row);
    return (size_t)nrow * row_bytes;
}
