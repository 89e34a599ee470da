/*
 * arm/common.h - what the aarch64 kernel headers share: the integer and
 * float primitives of the NEON tier.  Included by dot.h and float.h, and
 * through them by tier_neon.c, compiled with -march=armv8.2-a+dotprod+fp16.
 * Everything is static.
 */
#ifndef L1_KERNELS_ARM_COMMON_H
#define L1_KERNELS_ARM_COMMON_H

#include <arm_neon.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/fp16.h"
#include "kernels/kernels.h"

#define L1__AI static inline __attribute__((always_inline))
/* Loops over tokens, rows and vectors with constant trip counts: unrolled,
 * so what depends only on the weights is computed once for all tokens. */
#define L1__UNROLL _Pragma("GCC unroll 8")

/* ---- primitives ------------------------------------------------------------ */

static inline float f16(uint16_t h) { return l1__f16_to_f32(h); }

/* sum of 16 s8 x 16 s8 products into 4 lanes. */
static inline int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b) { return vdotq_s32(acc, a, b); }

/* 32 codes of a Q4_0-ordered array (low nibbles first), as two u8 vectors. */
static inline void nibbles(const uint8_t *qs, uint8x16_t *lo, uint8x16_t *hi) {
    const uint8x16_t v = vld1q_u8(qs);
    *lo = vandq_u8(v, vdupq_n_u8(0x0F));
    *hi = vshrq_n_u8(v, 4);
}

/* The fifth bits of a Q5_0/Q5_1 block as 0x10 bytes: bit j of qh -> byte j. */
static inline void q5_high(const uint8_t *qh, uint8x16_t *h0, uint8x16_t *h1) {
    static const uint8_t bits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t b = vld1q_u8(bits), ten = vdupq_n_u8(0x10);
    const uint8x16_t v0 = vcombine_u8(vdup_n_u8(qh[0]), vdup_n_u8(qh[1]));
    const uint8x16_t v1 = vcombine_u8(vdup_n_u8(qh[2]), vdup_n_u8(qh[3]));
    *h0 = vandq_u8(vtstq_u8(v0, b), ten);
    *h1 = vandq_u8(vtstq_u8(v1, b), ten);
}

static inline int8x16_t s8(uint8x16_t v) { return vreinterpretq_s8_u8(v); }

/* acc + (float)p * scale, lane-wise. */
static inline float32x4_t scale_acc(float32x4_t acc, int32x4_t p, float scale) {
    return vmlaq_n_f32(acc, vcvtq_f32_s32(p), scale);
}

#endif /* L1_KERNELS_ARM_COMMON_H */
