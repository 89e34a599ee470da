/*
 * quant.h - the weight and activation formats l1 computes with: block
 * layouts, scalar reference dequantization, reference quantizers and
 * reference dot products, gathered in one traits table per type.
 *
 * These scalar routines are the ground truth: every SIMD kernel is tested
 * against them, and they are tested bit-for-bit against the reference
 * implementation's dequantization.
 */
#ifndef L1_QUANT_H
#define L1_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "gguf/types.h"

typedef struct l1__quant_traits {
    uint32_t type;        /* l1__type id */
    const char *name;
    uint32_t block_size;  /* values per block */
    uint32_t type_size;   /* bytes per block */
    /* y[i] = value i of the n values stored in x; n a multiple of block_size. */
    void (*to_float)(const void *x, float *y, int64_t n);
    /* Reference quantizer of n values (n a multiple of block_size); NULL when
     * l1 cannot produce this type. */
    void (*from_float)(const float *x, void *y, int64_t n);
    /* The activation type this weight type is multiplied with. */
    uint32_t vec_dot_type;
    /* *s = sum_i x[i] * y[i] over n values, x of this type and y of
     * vec_dot_type; n a multiple of both block sizes. */
    void (*vec_dot)(int64_t n, float *s, const void *x, const void *y);
    /* File quantizer of n values (n a multiple of block_size): what
     * `l1 quantize` writes.  For the activation types (Q8_0, Q8_1) it
     * rounds as the reference implementation's file quantizer does
     * (quantize_row_*_ref), while from_float above rounds as the reference
     * CPU backend quantizes activations at run time (the two differ in the
     * reciprocal and in how ties round).  Equal to from_float for the other
     * types; NULL when l1 cannot produce this type. */
    void (*from_float_ref)(const float *x, void *y, int64_t n);
} l1__quant_traits;

/* Traits of `type`, or NULL when l1 cannot compute with it. */
const l1__quant_traits *l1__quant_traits_get(uint32_t type);

/* Bytes of one row of n values of the traits' type (n a multiple of its
 * block size). */
static inline size_t l1__quant_row_bytes(const l1__quant_traits *t, int64_t n) {
    return (size_t)(n / t->block_size) * t->type_size;
}

/* Quantizes nrow rows of n_per_row values of `x` into `y` with the file
 * quantizer of `type` (from_float_ref); returns the bytes written, or 0 when
 * l1 cannot produce `type` or n_per_row is not a multiple of its block. */
size_t l1__quantize_rows(uint32_t type, const float *x, void *y, int64_t nrow, int64_t n_per_row);

/* The 16 values of the IQ4_NL / IQ4_XS codebook. */
extern const int8_t l1__iq4nl_values[16];

#endif /* L1_QUANT_H */
