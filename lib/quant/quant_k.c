/*
 * quant_k.c - the K formats (256-value super-blocks with per-sub-block
 * scales): dequantization of Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, the activation
 * format Q8_K and its quantizer, and the scalar dot products of each K
 * weight format with Q8_K.  The weight quantizers live in quantize_k.c.
 *
 * Dequantization and the dot products are the loops of unpacked.c over the
 * super-blocks unpacked here: dequantization repeats the reference
 * arithmetic operation by operation (sub-block scale formed in f32 first,
 * then times the code, then minus the sub-block min) so the output is
 * bit-identical; dot products form exact integer sums per super-block
 * (codes x activations, weighted by the integer sub-block scales; the mins
 * through Q8_K's group sums) and apply the f32 scales once per super-block.
 */
#include <math.h>
#include <string.h>

#include "base/fp16.h"
#include "quant/quant_impl.h"

/* 2-bit code of value v (< 256) in the Q2_K/Q3_K layout. */
static inline int k2_code(const uint8_t *qs, int v) {
    return (qs[32 * (v / 128) + v % 32] >> (2 * ((v / 32) % 4))) & 3;
}

/* Signed code of value v of a Q3_K block: 2 low bits minus 4 unless the
 * high bit is set. */
static inline int q3_code(const l1__block_q3_K *b, int v) {
    int hbit = (b->hmask[v % 32] >> (v / 32)) & 1;
    return k2_code(b->qs, v) - (hbit ? 0 : 4);
}

/* 4-bit code of value v of a Q4_K/Q5_K block (without Q5_K's fifth bit). */
static inline int k4_code(const uint8_t *qs, int v) {
    const uint8_t byte = qs[32 * (v / 64) + v % 32];
    return (v / 32) % 2 ? byte >> 4 : byte & 0xF;
}

static inline int q5k_code(const l1__block_q5_K *b, int v) {
    return k4_code(b->qs, v) | (((b->qh[v % 32] >> (v / 32)) & 1) << 4);
}

/* Signed 6-bit code of value v of a Q6_K block. */
static inline int q6_code(const l1__block_q6_K *b, int v) {
    const int h = v / 128, r = v % 128, quarter = r / 32, l = r % 32;
    const uint8_t lbyte = b->ql[64 * h + 32 * (quarter % 2) + l];
    const int lo = quarter < 2 ? lbyte & 0xF : lbyte >> 4;
    const int hi = (b->qh[32 * h + l] >> (2 * quarter)) & 3;
    return (lo | (hi << 4)) - 32;
}

/* ---- blocks unpacked -------------------------------------------------------------
 *
 * Each fills codes (offsets applied), the 16 sub-block scales and mins (a
 * 32-value sub-block's twice) and the super-block scales; dequantization and
 * the dot products are the loops of unpacked.c. */

static void unpack_q2_K(const void *x, int64_t i, l1__unpackedK *u) {
    const l1__block_q2_K *b = (const l1__block_q2_K *)x + i;
    for (int v = 0; v < L1_QK_K; v++) u->c[v] = k2_code(b->qs, v);
    for (int h = 0; h < 16; h++) u->sc[h] = b->scales[h] & 0xF, u->m[h] = b->scales[h] >> 4;
    u->d = l1__f16_to_f32(b->d), u->dmin = l1__f16_to_f32(b->dmin), u->has_min = true;
}

static void unpack_q3_K(const void *x, int64_t i, l1__unpackedK *u) {
    const l1__block_q3_K *b = (const l1__block_q3_K *)x + i;
    for (int v = 0; v < L1_QK_K; v++) u->c[v] = q3_code(b, v);
    for (int h = 0; h < 16; h++) u->sc[h] = l1__q3_scale(b->scales, h), u->m[h] = 0;
    u->d = l1__f16_to_f32(b->d), u->dmin = 0.0f, u->has_min = false;
}

/* The 6-bit scales and mins of Q4_K and Q5_K, each for two halves. */
static void k4_scales(const uint8_t *scales, l1__unpackedK *u) {
    for (int sub = 0; sub < 8; sub++) {
        uint8_t sc, m;
        l1__k4_scale_min(sub, scales, &sc, &m);
        u->sc[2 * sub] = u->sc[2 * sub + 1] = sc;
        u->m[2 * sub] = u->m[2 * sub + 1] = m;
    }
}

static void unpack_q4_K(const void *x, int64_t i, l1__unpackedK *u) {
    const l1__block_q4_K *b = (const l1__block_q4_K *)x + i;
    for (int v = 0; v < L1_QK_K; v++) u->c[v] = k4_code(b->qs, v);
    k4_scales(b->scales, u);
    u->d = l1__f16_to_f32(b->d), u->dmin = l1__f16_to_f32(b->dmin), u->has_min = true;
}

static void unpack_q5_K(const void *x, int64_t i, l1__unpackedK *u) {
    const l1__block_q5_K *b = (const l1__block_q5_K *)x + i;
    for (int v = 0; v < L1_QK_K; v++) u->c[v] = q5k_code(b, v);
    k4_scales(b->scales, u);
    u->d = l1__f16_to_f32(b->d), u->dmin = l1__f16_to_f32(b->dmin), u->has_min = true;
}

static void unpack_q6_K(const void *x, int64_t i, l1__unpackedK *u) {
    const l1__block_q6_K *b = (const l1__block_q6_K *)x + i;
    for (int v = 0; v < L1_QK_K; v++) u->c[v] = q6_code(b, v);
    for (int h = 0; h < 16; h++) u->sc[h] = b->scales[h], u->m[h] = 0;
    u->d = l1__f16_to_f32(b->d), u->dmin = 0.0f, u->has_min = false;
}

/* Q8_K (activations) as a format of its own: codes times one f32 scale. */
static void unpack_q8_K(const void *x, int64_t i, l1__unpackedK *u) {
    const l1__block_q8_K *b = (const l1__block_q8_K *)x + i;
    for (int v = 0; v < L1_QK_K; v++) u->c[v] = b->qs[v];
    for (int h = 0; h < 16; h++) u->sc[h] = 1, u->m[h] = 0;
    u->d = b->d, u->dmin = 0.0f, u->has_min = false;
}

L1__FORMATK(q2_K)
L1__FORMATK(q3_K)
L1__FORMATK(q4_K)
L1__FORMATK(q5_K)
L1__FORMATK(q6_K)
L1__FORMATK(q8_K)

l1__unpackK_fn l1__unpackK_of(uint32_t type) {
    switch (type) {
    case L1_TYPE_Q2_K: return unpack_q2_K;
    case L1_TYPE_Q3_K: return unpack_q3_K;
    case L1_TYPE_Q4_K: return unpack_q4_K;
    case L1_TYPE_Q5_K: return unpack_q5_K;
    case L1_TYPE_Q6_K: return unpack_q6_K;
    default: return NULL;
    }
}


/* ---- Q8_K quantizer ------------------------------------------------------------- */

/* Scale = extreme value / -127 (so the extreme maps to -127 and the codes
 * stay in [-127, 127] up to rounding of the reciprocal), ties to even.  An
 * all-zero block gets d = 0 and zero codes and group sums. */
void l1__quantize_q8_K(const float *x, void *vy, int64_t n) {
    l1__block_q8_K *y = vy;
    for (int64_t i = 0; i < n / L1_QK_K; i++, x += L1_QK_K) {
        const float max = l1__signed_max(x, L1_QK_K);
        if (max == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int v = 0; v < L1_QK_K; v++) {
            int q = l1__nearest_int(iscale * x[v]);
            y[i].qs[v] = (int8_t)(q > 127 ? 127 : q);
        }
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int v = 16 * g; v < 16 * g + 16; v++) s += y[i].qs[v];
            y[i].bsums[g] = (int16_t)s;
        }
        y[i].d = 1.0f / iscale;
    }
}
