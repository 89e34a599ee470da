/*
 * quant_impl.h - the per-type scalar routines behind the traits table of
 * quant.c, shared between the files that implement them (quant_float.c,
 * quant_legacy.c, quant_k.c, quant_iq.c, quantize_k.c).  Contracts are those
 * of l1__quant_traits: n is a multiple of the block size of every type
 * involved, x/y do not overlap.
 */
#ifndef L1_QUANT_IMPL_H
#define L1_QUANT_IMPL_H

#include <stdint.h>

#include "quant/quant.h"
#include "quant/quant_blocks.h"

/* Nearest integer, ties to even (the default IEEE rounding), for |v| < 2^22. */
int l1__nearest_int(float v);

#define L1__QFN(t)                                                            \
    void l1__dequant_##t(const void *x, float *y, int64_t n);                \
    void l1__quantize_##t(const float *x, void *y, int64_t n);               \
    void l1__vec_dot_##t(int64_t n, float *s, const void *x, const void *y);

L1__QFN(f32)
L1__QFN(f16)
L1__QFN(bf16)
L1__QFN(q4_0)
L1__QFN(q4_1)
L1__QFN(q5_0)
L1__QFN(q5_1)
L1__QFN(q8_0)
L1__QFN(q8_1)
L1__QFN(q2_K)
L1__QFN(q3_K)
L1__QFN(q4_K)
L1__QFN(q5_K)
L1__QFN(q6_K)
L1__QFN(q8_K)
L1__QFN(iq4_nl)
L1__QFN(iq4_xs)

#undef L1__QFN

/* Reference-file rounding of the activation types (see from_float_ref). */
void l1__quantize_q8_0_ref(const float *x, void *y, int64_t n);
void l1__quantize_q8_1_ref(const float *x, void *y, int64_t n);

/* The 6-bit scale and min of sub-block j (< 8) of a Q4_K/Q5_K block. */
static inline void l1__k4_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

#endif /* L1_QUANT_IMPL_H */
