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
 * Dot products sum integer products within a block, then scale each block
 * sum in f32 and accumulate blocks in order.
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

/* The value of largest magnitude, keeping its sign (first one on ties). */
static float block_signed_max(const float *x, int n) {
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

/* ---- Q4_0 --------------------------------------------------------------- */

void l1__dequant_q4_0(const void *vx, float *y, int64_t n) {
    const l1__block_q4_0 *x = vx;
    for (int64_t i = 0; i < n / L1_QK32; i++, y += L1_QK32) {
        const float d = l1__f16_to_f32(x[i].d);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((x[i].qs[j] & 0xF) - 8) * d;
            y[j + 16] = (float)((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

/* Scale = extreme value / -8, so the extreme maps exactly onto code 0 and
 * the opposite side keeps 7 steps; codes round half up. */
void l1__quantize_q4_0(const float *x, void *vy, int64_t n) {
    l1__block_q4_0 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        const float d = block_signed_max(x, L1_QK32) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = l1__f32_to_f16(d);
        for (int j = 0; j < 16; j++) {
            const int q0 = trunc_code(x[j] * id + 8.5f, 15);
            const int q1 = trunc_code(x[j + 16] * id + 8.5f, 15);
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void l1__vec_dot_q4_0(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q4_0 *x = vx;
    const l1__block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        int32_t si = 0;
        for (int j = 0; j < 16; j++) {
            si += ((x[i].qs[j] & 0xF) - 8) * y[i].qs[j];
            si += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + 16];
        }
        sum += (float)si * l1__f16_to_f32(x[i].d) * l1__f16_to_f32(y[i].d);
    }
    *s = sum;
}

/* ---- Q4_1 --------------------------------------------------------------- */

void l1__dequant_q4_1(const void *vx, float *y, int64_t n) {
    const l1__block_q4_1 *x = vx;
    for (int64_t i = 0; i < n / L1_QK32; i++, y += L1_QK32) {
        const float d = l1__f16_to_f32(x[i].d), m = l1__f16_to_f32(x[i].m);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)(x[i].qs[j] & 0xF) * d + m;
            y[j + 16] = (float)(x[i].qs[j] >> 4) * d + m;
        }
    }
}

/* Offset = block minimum, scale = range / 15, codes round half up. */
void l1__quantize_q4_1(const float *x, void *vy, int64_t n) {
    l1__block_q4_1 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        float mn, mx;
        block_min_max(x, L1_QK32, &mn, &mx);
        const float d = (mx - mn) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = l1__f32_to_f16(d);
        y[i].m = l1__f32_to_f16(mn);
        for (int j = 0; j < 16; j++) {
            const int q0 = trunc_code((x[j] - mn) * id + 0.5f, 15);
            const int q1 = trunc_code((x[j + 16] - mn) * id + 0.5f, 15);
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void l1__vec_dot_q4_1(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q4_1 *x = vx;
    const l1__block_q8_1 *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        int32_t si = 0;
        for (int j = 0; j < 16; j++) {
            si += (x[i].qs[j] & 0xF) * y[i].qs[j];
            si += (x[i].qs[j] >> 4) * y[i].qs[j + 16];
        }
        sum += l1__f16_to_f32(x[i].d) * l1__f16_to_f32(y[i].d) * (float)si +
               l1__f16_to_f32(x[i].m) * l1__f16_to_f32(y[i].s);
    }
    *s = sum;
}

/* ---- Q5_0 --------------------------------------------------------------- */

/* Code j (< 32) of a Q5 block: low nibble from qs, fifth bit from qh. */
static inline int q5_code(const uint8_t *qs, uint32_t qh, int j) {
    int lo = j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4);
    return lo | (int)(((qh >> j) & 1u) << 4);
}

void l1__dequant_q5_0(const void *vx, float *y, int64_t n) {
    const l1__block_q5_0 *x = vx;
    for (int64_t i = 0; i < n / L1_QK32; i++, y += L1_QK32) {
        const float d = l1__f16_to_f32(x[i].d);
        const uint32_t qh = load_u32(x[i].qh);
        for (int j = 0; j < 32; j++) y[j] = (float)(q5_code(x[i].qs, qh, j) - 16) * d;
    }
}

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

void l1__quantize_q5_0(const float *x, void *vy, int64_t n) {
    l1__block_q5_0 *y = vy;
    int q[32];
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        const float d = block_signed_max(x, L1_QK32) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = l1__f32_to_f16(d);
        for (int j = 0; j < 32; j++) q[j] = trunc_code(x[j] * id + 16.5f, 31);
        q5_pack(q, y[i].qs, y[i].qh);
    }
}

void l1__vec_dot_q5_0(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q5_0 *x = vx;
    const l1__block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        const uint32_t qh = load_u32(x[i].qh);
        int32_t si = 0;
        for (int j = 0; j < 32; j++) si += (q5_code(x[i].qs, qh, j) - 16) * y[i].qs[j];
        sum += (float)si * l1__f16_to_f32(x[i].d) * l1__f16_to_f32(y[i].d);
    }
    *s = sum;
}

/* ---- Q5_1 --------------------------------------------------------------- */

void l1__dequant_q5_1(const void *vx, float *y, int64_t n) {
    const l1__block_q5_1 *x = vx;
    for (int64_t i = 0; i < n / L1_QK32; i++, y += L1_QK32) {
        const float d = l1__f16_to_f32(x[i].d), m = l1__f16_to_f32(x[i].m);
        const uint32_t qh = load_u32(x[i].qh);
        for (int j = 0; j < 32; j++) y[j] = (float)q5_code(x[i].qs, qh, j) * d + m;
    }
}

void l1__quantize_q5_1(const float *x, void *vy, int64_t n) {
    l1__block_q5_1 *y = vy;
    int q[32];
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        float mn, mx;
        block_min_max(x, L1_QK32, &mn, &mx);
        const float d = (mx - mn) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = l1__f32_to_f16(d);
        y[i].m = l1__f32_to_f16(mn);
        for (int j = 0; j < 32; j++) q[j] = trunc_code((x[j] - mn) * id + 0.5f, 31);
        q5_pack(q, y[i].qs, y[i].qh);
    }
}

void l1__vec_dot_q5_1(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q5_1 *x = vx;
    const l1__block_q8_1 *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        const uint32_t qh = load_u32(x[i].qh);
        int32_t si = 0;
        for (int j = 0; j < 32; j++) si += q5_code(x[i].qs, qh, j) * y[i].qs[j];
        sum += l1__f16_to_f32(x[i].d) * l1__f16_to_f32(y[i].d) * (float)si +
               l1__f16_to_f32(x[i].m) * l1__f16_to_f32(y[i].s);
    }
    *s = sum;
}

/* ---- Q8_0 and Q8_1 ----------------------------------------------------------- */

void l1__dequant_q8_0(const void *vx, float *y, int64_t n) {
    const l1__block_q8_0 *x = vx;
    for (int64_t i = 0; i < n / L1_QK32; i++, y += L1_QK32) {
        const float d = l1__f16_to_f32(x[i].d);
        for (int j = 0; j < 32; j++) y[j] = (float)x[i].qs[j] * d;
    }
}

void l1__dequant_q8_1(const void *vx, float *y, int64_t n) {
    const l1__block_q8_1 *x = vx;
    for (int64_t i = 0; i < n / L1_QK32; i++, y += L1_QK32) {
        const float d = l1__f16_to_f32(x[i].d);
        for (int j = 0; j < 32; j++) y[j] = (float)x[i].qs[j] * d;
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

void l1__vec_dot_q8_0(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q8_0 *x = vx, *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        int32_t si = 0;
        for (int j = 0; j < 32; j++) si += x[i].qs[j] * y[i].qs[j];
        sum += (float)si * l1__f16_to_f32(x[i].d) * l1__f16_to_f32(y[i].d);
    }
    *s = sum;
}

/* Q8_1 weights never occur in files; the product is defined for symmetry. */
void l1__vec_dot_q8_1(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q8_1 *x = vx, *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        int32_t si = 0;
        for (int j = 0; j < 32; j++) si += x[i].qs[j] * y[i].qs[j];
        sum += (float)si * l1__f16_to_f32(x[i].d) * l1__f16_to_f32(y[i].d);
    }
    *s = sum;
}
