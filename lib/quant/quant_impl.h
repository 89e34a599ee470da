/*
 * quant_impl.h - the per-type scalar routines behind the traits table of
 * quant.c, shared between the files that implement them (quant_float.c,
 * quant_legacy.c, quant_k.c, quant_iq.c, quantize_k.c).  Contracts are those
 * of l1__quant_traits: n is a multiple of the block size of every type
 * involved, x/y do not overlap.
 */
#ifndef L1_QUANT_IMPL_H
#define L1_QUANT_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "quant/quant.h"
#include "quant/quant_blocks.h"

/* Nearest integer, ties to even (the default IEEE rounding), for |v| < 2^22. */
int l1__nearest_int(float v);

/* The value of largest magnitude of x[0..n), with its sign (the first one
 * on ties; 0 when all are 0). */
float l1__signed_max(const float *x, int n);

/* ---- blocks unpacked --------------------------------------------------------
 *
 * The scalar dequantizers and dot products of the block formats are one
 * loop each over blocks unpacked into plain integers, so a format only
 * says how its bytes hold codes and scales. */

/* One block of a 32-value format: codes with the format's offset applied
 * (Q4_0: q - 8), the f32 scale and, for Q4_1/Q5_1, the f32 offset m. */
typedef struct l1__unpacked32 {
    int c[32];
    float d, m;
    bool has_m;
} l1__unpacked32;

/* Block i of the row at x. */
typedef void (*l1__unpack32_fn)(const void *x, int64_t i, l1__unpacked32 *u);

/* How a 32-value block's integer sum si is scaled into the dot product,
 * each the reference's own order of f32 operations: */
typedef enum l1__scaling32 {
    L1__SUM_FIRST,    /* (si * d) * dy                       (Q4_0, Q5_0, Q8_0, Q8_1) */
    L1__SCALES_FIRST, /* (d * dy) * si                       (IQ4_NL) */
    L1__WITH_OFFSET   /* (d * dy) * si + m * sy, Q8_1's sum  (Q4_1, Q5_1) */
} l1__scaling32;

/* y[j] = c * d (+ m) over n values. */
void l1__dequant32(l1__unpack32_fn unpack, const void *x, float *y, int64_t n);

/* sum_j c[j] * q[j] over the block's 32 codes. */
int32_t l1__unpacked32_isum(const l1__unpacked32 *u, const int8_t *q);

/* Sum over blocks of the scaled block sums, y of Q8_1 when y_q8_1, else Q8_0. */
float l1__dot32(l1__unpack32_fn unpack, l1__scaling32 how, bool y_q8_1, const void *x, const void *y,
                int64_t n);

/* One super-block of a K format (or IQ4_XS): codes with their offsets
 * applied, the integer scale and min of each 16-value sub-block (a 32-value
 * sub-block's are repeated for its two halves), the f32 super-block scale
 * and, for the formats with mins (Q2_K, Q4_K, Q5_K), the f32 min scale. */
typedef struct l1__unpackedK {
    int c[256];
    int sc[16], m[16];
    float d, dmin;
    bool has_min;
} l1__unpackedK;

typedef void (*l1__unpackK_fn)(const void *x, int64_t i, l1__unpackedK *u);

/* y[v] = (d * sc) * c (- dmin * m) over n values. */
void l1__dequantK(l1__unpackK_fn unpack, const void *x, float *y, int64_t n);

/* Sum over super-blocks: with mins (y.d * d) * isum - (y.d * dmin) * msum,
 * else (d * y.d) * isum; isum = sum of sc times each sub-block's code sum
 * with the Q8_K activations y, msum = sum of m times Q8_K's group sums. */
float l1__dotK(l1__unpackK_fn unpack, const void *x, const void *y, int64_t n);

/* sum_h sc[h] * sum_{v in h} c[v] * q[v] over the 16 sub-blocks. */
int32_t l1__unpackedK_isum(const l1__unpackedK *u, const int8_t *q);

/* The unpacking of a block format, or NULL (for the x8 definition). */
l1__unpack32_fn l1__unpack32_of(uint32_t type);
l1__unpackK_fn l1__unpackK_of(uint32_t type);

/* The dequantizer and dot product of a 32-value format from its unpacking. */
#define L1__FORMAT32(T, HOW, Y_Q8_1)                                                   \
    void l1__dequant_##T(const void *x, float *y, int64_t n) { l1__dequant32(unpack_##T, x, y, n); } \
    void l1__vec_dot_##T(int64_t n, float *s, const void *x, const void *y) {          \
        *s = l1__dot32(unpack_##T, HOW, Y_Q8_1, x, y, n);                              \
    }

/* The same for a 256-value format. */
#define L1__FORMATK(T)                                                                 \
    void l1__dequant_##T(const void *x, float *y, int64_t n) { l1__dequantK(unpack_##T, x, y, n); } \
    void l1__vec_dot_##T(int64_t n, float *s, const void *x, const void *y) { *s = l1__dotK(unpack_##T, x, y, n); }

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

/* The signed 6-bit scale (already minus 32) of sub-block k (< 16) of a
 * Q3_K block's 12 scale bytes. */
static inline int l1__q3_scale(const uint8_t *s, int k) {
    const int lo = k < 8 ? (s[k] & 0xF) : (s[k - 8] >> 4);
    const int hi = (s[8 + k % 4] >> (2 * (k / 4))) & 3;
    return (lo | (hi << 4)) - 32;
}

/* The signed 6-bit scale (already minus 32) of sub-block j (< 8) of an
 * IQ4_XS block. */
static inline int l1__iq4xs_scale(const l1__block_iq4_xs *b, int j) {
    const int lo = (b->scales_l[j / 2] >> (4 * (j % 2))) & 0xF;
    const int hi = (b->scales_h >> (2 * j)) & 3;
    return (lo | (hi << 4)) - 32;
}

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
