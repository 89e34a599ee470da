/*
 * quant_legacy.c - the 32-value block formats Q4_0, Q4_1, Q5_0, Q5_1, Q8_0
 * and the activation format Q8_1: dequantization, quantizers and scalar dot
 * products.
 *
 * Dequantization reproduces the reference implementation's arithmetic
 * operation by operation (integer code times f32 scale, plus the offset), so
 * its output is bit-identical.  Weight quantizers follow the reference's
 * file quantizer (round-to-nearest from the block's extreme value), so the
 * files l1 writes match the ones the reference writes.  Two activation
 * quantizers exist for Q8_0/Q8_1: the one the reference CPU backend runs on
 * activations (l1__quantize_q8_0) and the file one (l1__quantize_q8_0_ref).
 *
 * Dequantization and dot products are the loops of unpacked.c over the
 * blocks unpacked here (codes, scale, offset).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "base/fp16.h"
#include "quant/quant_impl.h"

int l1__nearest_int(float v) { return (int)lrintf(v); }

static float block_absmax(const float *x, int n) {
    float amax = 0.0f;
    for (int j = 0; j < n; j++) amax = fmaxf(amax, fabsf(x[j]));
    return amax;
}

float l1__signed_max(const float *x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; j++) {
        if (fabsf(x[j]) > amax) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    }
    return max;
}

static void block_min_max(const float *x, int n, float *mn, float *mx) {
    *mn = FLT_MAX;
    *mx = -FLT_MAX;
    for (int j = 0; j < n; j++) {
        if (x[j] < *mn) *mn = x[j];
        if (x[j] > *mx) *mx = x[j];
    }
}

/* v truncated toward zero and clamped to [0, maxq]: the code of a value
 * already shifted by half a step (so truncation rounds half up).  Clamping
 * before the conversion keeps it defined for any input. */
static inline int trunc_code(float v, int maxq) {
    if (!(v >= 1.0f)) return 0;
    if (v >= (float)maxq) return maxq;
    return (int)v;
}

/* v (already rounded) as a signed byte, saturating; NaN gives 0. */
static inline int8_t sat_i8(float v) {
    if (!(v == v)) return 0;
    return (int8_t)(v > 127.0f ? 127 : v < -128.0f ? -128 : (int)v);
}

static uint32_t load_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The weight quantizers (the reference's file quantizers, codes rounding
 * half up):
 *   symmetric (Q4_0, Q5_0): scale = extreme value / -half, so the extreme
 *     maps exactly onto code 0 and the opposite side keeps half - 1 steps;
 *   affine (Q4_1, Q5_1): offset = block minimum, scale = range / maxq.
 * Each fills the 32 codes of one block and returns or stores its scales. */
static float symmetric_codes(const float *x, int half, int *q) {
    const float d = l1__signed_max(x, L1_QK32) / -(float)half;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < L1_QK32; j++) q[j] = trunc_code(x[j] * id + ((float)half + 0.5f), 2 * half - 1);
    return d;
}

static void affine_codes(const float *x, int maxq, int *q, uint16_t *d16, uint16_t *m16) {
    float mn, mx;
    block_min_max(x, L1_QK32, &mn, &mx);
    const float d = (mx - mn) / (float)maxq;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    *d16 = l1__f32_to_f16(d);
    *m16 = l1__f32_to_f16(mn);
    for (int j = 0; j < L1_QK32; j++) q[j] = trunc_code((x[j] - mn) * id + 0.5f, maxq);
}

/* The file quantizer of a 32-value weight format: per block its codes and
 * scales (CODES, into q and y[i]), then their packing (PACK). */
#define L1__QUANTIZE32(T, CODES, PACK)                               \
    void l1__quantize_##T(const float *x, void *vy, int64_t n) {      \
        l1__block_##T *y = vy;                                        \
        int q[32];                                                    \
        for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {     \
            CODES;                                                    \
            PACK;                                                     \
        }                                                             \
    }

/* Codes j and j + 16 into byte j (low, high nibble). */
static void pack_nibbles(const int *q, uint8_t *qs) {
    for (int j = 0; j < 16; j++) qs[j] = (uint8_t)(q[j] | (q[j + 16] << 4));
}

/* The 32 nibble codes of a Q4_0-ordered array (byte j: code j low, j + 16
 * high), minus `offset`. */
static void nibble_codes(const uint8_t *qs, int offset, int *c) {
    for (int j = 0; j < 16; j++) {
        c[j] = (qs[j] & 0xF) - offset;
        c[j + 16] = (qs[j] >> 4) - offset;
    }
}

/* ---- Q4_0 --------------------------------------------------------------- */

static void unpack_q4_0(const void *x, int64_t i, l1__unpacked32 *u) {
    const l1__block_q4_0 *b = (const l1__block_q4_0 *)x + i;
    nibble_codes(b->qs, 8, u->c);
    u->d = l1__f16_to_f32(b->d), u->m = 0.0f, u->has_m = false;
}

L1__FORMAT32(q4_0, L1__SUM_FIRST, false)

L1__QUANTIZE32(q4_0, y[i].d = l1__f32_to_f16(symmetric_codes(x, 8, q)), pack_nibbles(q, y[i].qs))

/* ---- Q4_1 --------------------------------------------------------------- */

static void unpack_q4_1(const void *x, int64_t i, l1__unpacked32 *u) {
    const l1__block_q4_1 *b = (const l1__block_q4_1 *)x + i;
    nibble_codes(b->qs, 0, u->c);
    u->d = l1__f16_to_f32(b->d), u->m = l1__f16_to_f32(b->m), u->has_m = true;
}

L1__FORMAT32(q4_1, L1__WITH_OFFSET, true)

L1__QUANTIZE32(q4_1, affine_codes(x, 15, q, &y[i].d, &y[i].m), pack_nibbles(q, y[i].qs))

/* ---- Q5_0 --------------------------------------------------------------- */

/* Code j (< 32) of a Q5 block: low nibble from qs, fifth bit from qh. */
static inline int q5_code(const uint8_t *qs, uint32_t qh, int j) {
    int lo = j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4);
    return lo | (int)(((qh >> j) & 1u) << 4);
}

/* The 32 codes of a Q5 block, minus `offset`. */
static void q5_codes(const uint8_t *qs, const uint8_t *qh4, int offset, int *c) {
    const uint32_t qh = load_u32(qh4);
    for (int j = 0; j < 32; j++) c[j] = q5_code(qs, qh, j) - offset;
}

static void unpack_q5_0(const void *x, int64_t i, l1__unpacked32 *u) {
    const l1__block_q5_0 *b = (const l1__block_q5_0 *)x + i;
    q5_codes(b->qs, b->qh, 16, u->c);
    u->d = l1__f16_to_f32(b->d), u->m = 0.0f, u->has_m = false;
}

L1__FORMAT32(q5_0, L1__SUM_FIRST, false)

/* Packs 32 five-bit codes into the nibbles and high-bit word of a Q5 block. */
static void q5_pack(const int *q, uint8_t *qs, uint8_t *qh_out) {
    uint32_t qh = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
        qh |= (uint32_t)((q[j] >> 4) & 1) << j;
        qh |= (uint32_t)((q[j + 16] >> 4) & 1) << (j + 16);
    }
    memcpy(qh_out, &qh, 4);
}

L1__QUANTIZE32(q5_0, y[i].d = l1__f32_to_f16(symmetric_codes(x, 16, q)), q5_pack(q, y[i].qs, y[i].qh))

/* ---- Q5_1 --------------------------------------------------------------- */

static void unpack_q5_1(const void *x, int64_t i, l1__unpacked32 *u) {
    const l1__block_q5_1 *b = (const l1__block_q5_1 *)x + i;
    q5_codes(b->qs, b->qh, 0, u->c);
    u->d = l1__f16_to_f32(b->d), u->m = l1__f16_to_f32(b->m), u->has_m = true;
}

L1__FORMAT32(q5_1, L1__WITH_OFFSET, true)

L1__QUANTIZE32(q5_1, affine_codes(x, 31, q, &y[i].d, &y[i].m), q5_pack(q, y[i].qs, y[i].qh))

/* ---- Q8_0 and Q8_1 ----------------------------------------------------------- */

static void byte_codes(const int8_t *qs, uint16_t d, l1__unpacked32 *u) {
    for (int j = 0; j < 32; j++) u->c[j] = qs[j];
    u->d = l1__f16_to_f32(d), u->m = 0.0f, u->has_m = false;
}

static void unpack_q8_0(const void *x, int64_t i, l1__unpacked32 *u) {
    const l1__block_q8_0 *b = (const l1__block_q8_0 *)x + i;
    byte_codes(b->qs, b->d, u);
}

/* Q8_1 weights never occur in files; the product is defined for symmetry. */
static void unpack_q8_1(const void *x, int64_t i, l1__unpacked32 *u) {
    const l1__block_q8_1 *b = (const l1__block_q8_1 *)x + i;
    byte_codes(b->qs, b->d, u);
}

L1__FORMAT32(q8_0, L1__SUM_FIRST, false)
L1__FORMAT32(q8_1, L1__SUM_FIRST, true)

l1__unpack32_fn l1__unpack32_of(uint32_t type) {
    switch (type) {
    case L1_TYPE_Q4_0: return unpack_q4_0;
    case L1_TYPE_Q4_1: return unpack_q4_1;
    case L1_TYPE_Q5_0: return unpack_q5_0;
    case L1_TYPE_Q5_1: return unpack_q5_1;
    case L1_TYPE_Q8_0: return unpack_q8_0;
    default: return NULL;
    }
}

/* The run-time activation rounding of the reference CPU backend: on x86 it
 * multiplies by 127 / amax, on aarch64 by 1 / (amax / 127); both round ties
 * to even.  Returns the scale d = amax / 127 and fills q. */
static float q8_act_block(const float *x, int8_t *q) {
    const float amax = block_absmax(x, L1_QK32);
    const float d = amax / 127.0f;
#if defined(__aarch64__)
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
#else
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
#endif
    for (int j = 0; j < 32; j++) {
        q[j] = sat_i8(rintf(x[j] * id));
    }
    return d;
}

/* The file rounding: multiply by 1 / d, round half away from zero. */
static float q8_ref_block(const float *x, int8_t *q) {
    const float d = block_absmax(x, L1_QK32) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++) {
        q[j] = sat_i8(roundf(x[j] * id));
    }
    return d;
}

static int q8_sum(const int8_t *q) {
    int s = 0;
    for (int j = 0; j < 32; j++) s += q[j];
    return s;
}

void l1__quantize_q8_0(const float *x, void *vy, int64_t n) {
    l1__block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) y[i].d = l1__f32_to_f16(q8_act_block(x, y[i].qs));
}

void l1__quantize_q8_0_ref(const float *x, void *vy, int64_t n) {
    l1__block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) y[i].d = l1__f32_to_f16(q8_ref_block(x, y[i].qs));
}

void l1__quantize_q8_1(const float *x, void *vy, int64_t n) {
    l1__block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        const float d = q8_act_block(x, y[i].qs);
        y[i].d = l1__f32_to_f16(d);
        y[i].s = l1__f32_to_f16(d * (float)q8_sum(y[i].qs));
    }
}

void l1__quantize_q8_1_ref(const float *x, void *vy, int64_t n) {
    l1__block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        const float d = q8_ref_block(x, y[i].qs);
        y[i].d = l1__f32_to_f16(d);
        y[i].s = l1__f32_to_f16((float)q8_sum(y[i].qs) * d);
    }
}
