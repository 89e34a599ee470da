/*
 * quant_float.c - the unquantized formats F32, F16 and BF16: conversion to
 * and from f32 and the scalar dot products of each with itself (the
 * pairing the reference CPU backend uses, so activations are rounded to the
 * weight's format before the product).
 *
 * Dot products accumulate in double, in index order: they are the ground
 * truth that faster kernels are compared with, so they favour a
 * well-defined, accurate result over speed.
 */
#include <string.h>

#include "base/fp16.h"
#include "quant/quant_impl.h"

void l1__dequant_f32(const void *x, float *y, int64_t n) {
    memcpy(y, x, (size_t)n * sizeof(float));
}

void l1__quantize_f32(const float *x, void *y, int64_t n) {
    memcpy(y, x, (size_t)n * sizeof(float));
}

void l1__vec_dot_f32(int64_t n, float *s, const void *x, const void *y) {
    const float *a = x, *b = y;
    double acc = 0.0;
    for (int64_t i = 0; i < n; i++) acc += (double)a[i] * (double)b[i];
    *s = (float)acc;
}

/* The two 16-bit float formats: conversion per value, dot products in
 * double (the value both the SIMD tiers' f32 partial sums approximate). */
#define L1__HALF_FORMAT(T, TO_F32, FROM_F32)                                                  \
    void l1__dequant_##T(const void *x, float *y, int64_t n) {                                \
        const uint16_t *h = x;                                                                \
        for (int64_t i = 0; i < n; i++) y[i] = TO_F32(h[i]);                                  \
    }                                                                                         \
    void l1__quantize_##T(const float *x, void *y, int64_t n) {                               \
        uint16_t *h = y;                                                                      \
        for (int64_t i = 0; i < n; i++) h[i] = FROM_F32(x[i]);                                \
    }                                                                                         \
    void l1__vec_dot_##T(int64_t n, float *s, const void *x, const void *y) {                 \
        const uint16_t *a = x, *b = y;                                                        \
        double acc = 0.0;                                                                     \
        for (int64_t i = 0; i < n; i++) acc += (double)TO_F32(a[i]) * (double)TO_F32(b[i]);   \
        *s = (float)acc;                                                                      \
    }

L1__HALF_FORMAT(f16, l1__f16_to_f32, l1__f32_to_f16)
L1__HALF_FORMAT(bf16, l1__bf16_to_f32, l1__f32_to_bf16)
