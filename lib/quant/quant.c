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
#include "quant/quant_impl.h"

#include <pthread.h>

#include "base/base.h"

/* What each type computes with; its name and block geometry are filled in
 * from the type table of the GGUF layer (gguf/types.h), the one source of
 * those facts.  Block layouts are checked against that table by the static
 * asserts of quant_blocks.h and by test_quant. */
static l1__quant_traits k_traits[L1_TYPE_COUNT] = {
    [L1_TYPE_F32] = {.type = L1_TYPE_F32, .to_float = l1__dequant_f32, .from_float = l1__quantize_f32,
                    .vec_dot_type = L1_TYPE_F32, .vec_dot = l1__vec_dot_f32, .from_float_ref = l1__quantize_f32},
    [L1_TYPE_F16] = {.type = L1_TYPE_F16, .to_float = l1__dequant_f16, .from_float = l1__quantize_f16,
                    .vec_dot_type = L1_TYPE_F16, .vec_dot = l1__vec_dot_f16, .from_float_ref = l1__quantize_f16},
    [L1_TYPE_BF16] = {.type = L1_TYPE_BF16, .to_float = l1__dequant_bf16, .from_float = l1__quantize_bf16,
                    .vec_dot_type = L1_TYPE_BF16, .vec_dot = l1__vec_dot_bf16, .from_float_ref = l1__quantize_bf16},
    [L1_TYPE_Q4_0] = {.type = L1_TYPE_Q4_0, .to_float = l1__dequant_q4_0, .from_float = l1__quantize_q4_0,
                    .vec_dot_type = L1_TYPE_Q8_0, .vec_dot = l1__vec_dot_q4_0, .from_float_ref = l1__quantize_q4_0},
    [L1_TYPE_Q4_1] = {.type = L1_TYPE_Q4_1, .to_float = l1__dequant_q4_1, .from_float = l1__quantize_q4_1,
                    .vec_dot_type = L1_TYPE_Q8_1, .vec_dot = l1__vec_dot_q4_1, .from_float_ref = l1__quantize_q4_1},
    [L1_TYPE_Q5_0] = {.type = L1_TYPE_Q5_0, .to_float = l1__dequant_q5_0, .from_float = l1__quantize_q5_0,
                    .vec_dot_type = L1_TYPE_Q8_0, .vec_dot = l1__vec_dot_q5_0, .from_float_ref = l1__quantize_q5_0},
    [L1_TYPE_Q5_1] = {.type = L1_TYPE_Q5_1, .to_float = l1__dequant_q5_1, .from_float = l1__quantize_q5_1,
                    .vec_dot_type = L1_TYPE_Q8_1, .vec_dot = l1__vec_dot_q5_1, .from_float_ref = l1__quantize_q5_1},
    [L1_TYPE_Q8_0] = {.type = L1_TYPE_Q8_0, .to_float = l1__dequant_q8_0, .from_float = l1__quantize_q8_0,
                    .vec_dot_type = L1_TYPE_Q8_0, .vec_dot = l1__vec_dot_q8_0, .from_float_ref = l1__quantize_q8_0_ref},
    [L1_TYPE_Q8_1] = {.type = L1_TYPE_Q8_1, .to_float = l1__dequant_q8_1, .from_float = l1__quantize_q8_1,
                    .vec_dot_type = L1_TYPE_Q8_1, .vec_dot = l1__vec_dot_q8_1, .from_float_ref = l1__quantize_q8_1_ref},
    [L1_TYPE_Q2_K] = {.type = L1_TYPE_Q2_K, .to_float = l1__dequant_q2_K, .from_float = l1__quantize_q2_K,
                    .vec_dot_type = L1_TYPE_Q8_K, .vec_dot = l1__vec_dot_q2_K, .from_float_ref = l1__quantize_q2_K},
    [L1_TYPE_Q3_K] = {.type = L1_TYPE_Q3_K, .to_float = l1__dequant_q3_K, .from_float = l1__quantize_q3_K,
                    .vec_dot_type = L1_TYPE_Q8_K, .vec_dot = l1__vec_dot_q3_K, .from_float_ref = l1__quantize_q3_K},
    [L1_TYPE_Q4_K] = {.type = L1_TYPE_Q4_K, .to_float = l1__dequant_q4_K, .from_float = l1__quantize_q4_K,
                    .vec_dot_type = L1_TYPE_Q8_K, .vec_dot = l1__vec_dot_q4_K, .from_float_ref = l1__quantize_q4_K},
    [L1_TYPE_Q5_K] = {.type = L1_TYPE_Q5_K, .to_float = l1__dequant_q5_K, .from_float = l1__quantize_q5_K,
                    .vec_dot_type = L1_TYPE_Q8_K, .vec_dot = l1__vec_dot_q5_K, .from_float_ref = l1__quantize_q5_K},
    [L1_TYPE_Q6_K] = {.type = L1_TYPE_Q6_K, .to_float = l1__dequant_q6_K, .from_float = l1__quantize_q6_K,
                    .vec_dot_type = L1_TYPE_Q8_K, .vec_dot = l1__vec_dot_q6_K, .from_float_ref = l1__quantize_q6_K},
    [L1_TYPE_Q8_K] = {.type = L1_TYPE_Q8_K, .to_float = l1__dequant_q8_K, .from_float = l1__quantize_q8_K,
                    .vec_dot_type = L1_TYPE_Q8_K, .vec_dot = l1__vec_dot_q8_K, .from_float_ref = l1__quantize_q8_K},
    [L1_TYPE_IQ4_NL] = {.type = L1_TYPE_IQ4_NL, .to_float = l1__dequant_iq4_nl, .from_float = NULL,
                    .vec_dot_type = L1_TYPE_Q8_0, .vec_dot = l1__vec_dot_iq4_nl, .from_float_ref = NULL},
    [L1_TYPE_IQ4_XS] = {.type = L1_TYPE_IQ4_XS, .to_float = l1__dequant_iq4_xs, .from_float = NULL,
                    .vec_dot_type = L1_TYPE_Q8_K, .vec_dot = l1__vec_dot_iq4_xs, .from_float_ref = NULL},
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void fill_geometry(void) {
    for (uint32_t t = 0; t < L1_TYPE_COUNT; t++) {
        if (!k_traits[t].to_float) continue;
        const l1__type_geom *g = l1__type_geom_get(t);
        k_traits[t].name = g->name;
        k_traits[t].block_size = g->block_size;
        k_traits[t].type_size = g->type_size;
    }
}

const l1__quant_traits *l1__quant_traits_get(uint32_t type) {
    if (type >= L1_TYPE_COUNT || !k_traits[type].to_float) return NULL;
    pthread_once(&g_once, fill_geometry);
    return &k_traits[type];
}

size_t l1__quantize_rows(uint32_t type, const float *x, void *y, int64_t nrow, int64_t n_per_row) {
    const l1__quant_traits *t = l1__quant_traits_get(type);
    if (!t || !t->from_float_ref || nrow < 0 || n_per_row <= 0 || n_per_row % t->block_size) return 0;
    const size_t row_bytes = l1__quant_row_bytes(t, n_per_row);
    uint8_t *out = y;
    for (int64_t r = 0; r < nrow; r++) t->from_float_ref(x + r * n_per_row, out + (size_t)r * row_bytes, n_per_row);
    return (size_t)nrow * row_bytes;
}
