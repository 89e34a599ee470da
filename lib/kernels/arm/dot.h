/*
 * arm/dot.h - the quantized and float dot products and the activation
 * quantizers of the NEON tier (see tier_neon.c for how they keep integer
 * sums exact and quantizers bit-identical).  Everything is static.
 */
#ifndef L1_KERNELS_ARM_DOT_H
#define L1_KERNELS_ARM_DOT_H

#include "kernels/arm/common.h"
#include "quant/quant_blocks.h"

/* ---- activation quantizers -------------------------------------------------- */

static inline float absmax32(const float *x) {
    float32x4_t m = vdupq_n_f32(0.0f);
    for (int k = 0; k < 8; k++) m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + 4 * k)));
    return vmaxvq_f32(m);
}

/* 32 values -> codes rint(x * id), saturated to i8; returns their sum. */
static inline int32_t codes32(const float *x, float id, int8_t *q) {
    int32_t sum = 0;
    for (int k = 0; k < 2; k++) {
        int32x4_t v[4];
        for (int j = 0; j < 4; j++) v[j] = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 16 * k + 4 * j), id));
        const int16x8_t a = vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1]));
        const int16x8_t b = vcombine_s16(vqmovn_s32(v[2]), vqmovn_s32(v[3]));
        const int8x16_t c = vcombine_s8(vqmovn_s16(a), vqmovn_s16(b));
        vst1q_s8(q + 16 * k, c);
        sum += vaddlvq_s8(c);
    }
    return sum;
}

/* d = amax / 127, id = 1 / d (the scalar activation quantizer on aarch64). */
static inline float q8_scales(const float *x, float *id) {
    const float d = absmax32(x) / 127.0f;
    *id = d != 0.0f ? 1.0f / d : 0.0f;
    return d;
}

static void quantize_q8_0(const float *x, void *vy, int64_t n) {
    l1__block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        float id;
        const float d = q8_scales(x, &id);
        int8_t q[32];
        codes32(x, id, q);
        memcpy(y[i].qs, q, 32);
        y[i].d = l1__f32_to_f16(d);
    }
}

static void quantize_q8_1(const float *x, void *vy, int64_t n) {
    l1__block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        float id;
        const float d = q8_scales(x, &id);
        int8_t q[32];
        const int32_t sum = codes32(x, id, q);
        memcpy(y[i].qs, q, 32);
        y[i].d = l1__f32_to_f16(d);
        y[i].s = l1__f32_to_f16(d * (float)sum);
    }
}

static void quantize_q8_K(const float *x, void *vy, int64_t n) {
    l1__block_q8_K *y = vy;
    for (int64_t i = 0; i < n / L1_QK_K; i++, x += L1_QK_K) {
        float32x4_t m = vdupq_n_f32(0.0f);
        for (int k = 0; k < 64; k++) m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + 4 * k)));
        const float amax = vmaxvq_f32(m);
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float max = 0.0f; /* the first value of magnitude amax, with its sign */
        for (int v = 0; v < L1_QK_K; v++)
            if (fabsf(x[v]) == amax) {
                max = x[v];
                break;
            }
        const float iscale = -127.0f / max;
        const int32x4_t hi = vdupq_n_s32(127);
        for (int g = 0; g < 16; g++) {
            int32x4_t v[4];
            for (int j = 0; j < 4; j++)
                v[j] = vminq_s32(vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 16 * g + 4 * j), iscale)), hi);
            const int16x8_t a = vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1]));
            const int16x8_t b = vcombine_s16(vqmovn_s32(v[2]), vqmovn_s32(v[3]));
            const int8x16_t c = vcombine_s8(vqmovn_s16(a), vqmovn_s16(b));
            vst1q_s8(y[i].qs + 16 * g, c);
            y[i].bsums[g] = (int16_t)vaddlvq_s8(c);
        }
        y[i].d = 1.0f / iscale;
    }
}

/* ---- 32-value formats × Q8_0 / Q8_1 ----------------------------------------- */

static void vec_dot_q8_0(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q8_0 *x = vx, *y = vy;
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        int32x4_t p = dot16(vdupq_n_s32(0), vld1q_s8(x[i].qs), vld1q_s8(y[i].qs));
        p = dot16(p, vld1q_s8(x[i].qs + 16), vld1q_s8(y[i].qs + 16));
        acc = scale_acc(acc, p, f16(x[i].d) * f16(y[i].d));
    }
    *s = vaddvq_f32(acc);
}

static void vec_dot_q4_0(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q4_0 *x = vx;
    const l1__block_q8_0 *y = vy;
    const int8x16_t eight = vdupq_n_s8(8);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        uint8x16_t lo, hi;
        nibbles(x[i].qs, &lo, &hi);
        int32x4_t p = dot16(vdupq_n_s32(0), vsubq_s8(s8(lo), eight), vld1q_s8(y[i].qs));
        p = dot16(p, vsubq_s8(s8(hi), eight), vld1q_s8(y[i].qs + 16));
        acc = scale_acc(acc, p, f16(x[i].d) * f16(y[i].d));
    }
    *s = vaddvq_f32(acc);
}

static void vec_dot_q4_1(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q4_1 *x = vx;
    const l1__block_q8_1 *y = vy;
    float32x4_t acc = vdupq_n_f32(0.0f);
    float msum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        uint8x16_t lo, hi;
        nibbles(x[i].qs, &lo, &hi);
        int32x4_t p = dot16(vdupq_n_s32(0), s8(lo), vld1q_s8(y[i].qs));
        p = dot16(p, s8(hi), vld1q_s8(y[i].qs + 16));
        acc = scale_acc(acc, p, f16(x[i].d) * f16(y[i].d));
        msum += f16(x[i].m) * f16(y[i].s);
    }
    *s = vaddvq_f32(acc) + msum;
}

static void vec_dot_q5_0(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q5_0 *x = vx;
    const l1__block_q8_0 *y = vy;
    const int8x16_t sixteen = vdupq_n_s8(16);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        uint8x16_t lo, hi, h0, h1;
        nibbles(x[i].qs, &lo, &hi);
        q5_high(x[i].qh, &h0, &h1);
        int32x4_t p = dot16(vdupq_n_s32(0), vsubq_s8(s8(vorrq_u8(lo, h0)), sixteen), vld1q_s8(y[i].qs));
        p = dot16(p, vsubq_s8(s8(vorrq_u8(hi, h1)), sixteen), vld1q_s8(y[i].qs + 16));
        acc = scale_acc(acc, p, f16(x[i].d) * f16(y[i].d));
    }
    *s = vaddvq_f32(acc);
}

static void vec_dot_q5_1(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q5_1 *x = vx;
    const l1__block_q8_1 *y = vy;
    float32x4_t acc = vdupq_n_f32(0.0f);
    float msum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        uint8x16_t lo, hi, h0, h1;
        nibbles(x[i].qs, &lo, &hi);
        q5_high(x[i].qh, &h0, &h1);
        int32x4_t p = dot16(vdupq_n_s32(0), s8(vorrq_u8(lo, h0)), vld1q_s8(y[i].qs));
        p = dot16(p, s8(vorrq_u8(hi, h1)), vld1q_s8(y[i].qs + 16));
        acc = scale_acc(acc, p, f16(x[i].d) * f16(y[i].d));
        msum += f16(x[i].m) * f16(y[i].s);
    }
    *s = vaddvq_f32(acc) + msum;
}

static inline int8x16_t iq4_codebook(void) {
    static const int8_t cb[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    return vld1q_s8(cb);
}

static void vec_dot_iq4_nl(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_iq4_nl *x = vx;
    const l1__block_q8_0 *y = vy;
    const int8x16_t cb = iq4_codebook();
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        uint8x16_t lo, hi;
        nibbles(x[i].qs, &lo, &hi);
        int32x4_t p = dot16(vdupq_n_s32(0), vqtbl1q_s8(cb, lo), vld1q_s8(y[i].qs));
        p = dot16(p, vqtbl1q_s8(cb, hi), vld1q_s8(y[i].qs + 16));
        acc = scale_acc(acc, p, f16(x[i].d) * f16(y[i].d));
    }
    *s = vaddvq_f32(acc);
}

/* ---- K formats × Q8_K ---------------------------------------------------------- */

/* The 8 scales and 8 mins (6 bits each) of a Q4_K/Q5_K block. */
static inline void k4_scales_mins(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        mn[j] = q[j + 4] & 63;
        sc[j + 4] = (uint8_t)((q[j + 8] & 0xF) | ((q[j] >> 6) << 4));
        mn[j + 4] = (uint8_t)((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
    }
}

/* sum_j m_j * (bsums[2j] + bsums[2j + 1]). */
static inline int32_t k4_msum(const uint8_t mn[8], const int16_t *bsums) {
    int32_t m = 0;
    for (int j = 0; j < 8; j++) m += mn[j] * (bsums[2 * j] + bsums[2 * j + 1]);
    return m;
}

/* sum over 32 codes (two u8 halves, < 128) times y. */
static inline int32_t dot32(uint8x16_t q0, uint8x16_t q1, const int8_t *y) {
    const int32x4_t p = dot16(dot16(vdupq_n_s32(0), s8(q0), vld1q_s8(y)), s8(q1), vld1q_s8(y + 16));
    return vaddvq_s32(p);
}

static void vec_dot_q4_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q4_K *x = vx;
    const l1__block_q8_K *y = vy;
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        uint8_t sc[8], mn[8];
        k4_scales_mins(x[i].scales, sc, mn);
        int32_t isum = 0;
        for (int c = 0; c < 4; c++) {
            const uint8x16_t b0 = vld1q_u8(x[i].qs + 32 * c), b1 = vld1q_u8(x[i].qs + 32 * c + 16);
            const int8_t *yq = y[i].qs + 64 * c;
            isum += sc[2 * c] * dot32(vandq_u8(b0, m4), vandq_u8(b1, m4), yq);
            isum += sc[2 * c + 1] * dot32(vshrq_n_u8(b0, 4), vshrq_n_u8(b1, 4), yq + 32);
        }
        const float dy = y[i].d;
        sum += dy * f16(x[i].d) * (float)isum - dy * f16(x[i].dmin) * (float)k4_msum(mn, y[i].bsums);
    }
    *s = sum;
}

static void vec_dot_q5_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q5_K *x = vx;
    const l1__block_q8_K *y = vy;
    const uint8x16_t m4 = vdupq_n_u8(0x0F), ten = vdupq_n_u8(0x10);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        uint8_t sc[8], mn[8];
        k4_scales_mins(x[i].scales, sc, mn);
        const uint8x16_t h0 = vld1q_u8(x[i].qh), h1 = vld1q_u8(x[i].qh + 16);
        int32_t isum = 0;
        for (int c = 0; c < 4; c++) {
            const uint8x16_t b0 = vld1q_u8(x[i].qs + 32 * c), b1 = vld1q_u8(x[i].qs + 32 * c + 16);
            /* Bit 2c of qh[l] -> 0x10 of value 64c + l; bit 2c + 1 -> value 64c + 32 + l. */
            const uint8x16_t bl = vdupq_n_u8((uint8_t)(1u << (2 * c))), bh = vdupq_n_u8((uint8_t)(2u << (2 * c)));
            const uint8x16_t l0 = vorrq_u8(vandq_u8(b0, m4), vandq_u8(vtstq_u8(h0, bl), ten));
            const uint8x16_t l1 = vorrq_u8(vandq_u8(b1, m4), vandq_u8(vtstq_u8(h1, bl), ten));
            const uint8x16_t u0 = vorrq_u8(vshrq_n_u8(b0, 4), vandq_u8(vtstq_u8(h0, bh), ten));
            const uint8x16_t u1 = vorrq_u8(vshrq_n_u8(b1, 4), vandq_u8(vtstq_u8(h1, bh), ten));
            const int8_t *yq = y[i].qs + 64 * c;
            isum += sc[2 * c] * dot32(l0, l1, yq) + sc[2 * c + 1] * dot32(u0, u1, yq + 32);
        }
        const float dy = y[i].d;
        sum += dy * f16(x[i].d) * (float)isum - dy * f16(x[i].dmin) * (float)k4_msum(mn, y[i].bsums);
    }
    *s = sum;
}

/* sum over 16 signed codes times y. */
static inline int32_t dot16s(int8x16_t q, const int8_t *y) {
    return vaddvq_s32(dot16(vdupq_n_s32(0), q, vld1q_s8(y)));
}

static void vec_dot_q6_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q6_K *x = vx;
    const l1__block_q8_K *y = vy;
    const uint8x16_t m4 = vdupq_n_u8(0x0F), m2 = vdupq_n_u8(0x30);
    const int8x16_t off = vdupq_n_s8(32);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int32_t isum = 0;
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = x[i].ql + 64 * h, *qh = x[i].qh + 32 * h;
            const int8_t *sc = x[i].scales + 8 * h;
            const int8_t *yq = y[i].qs + 128 * h;
            for (int l = 0; l < 32; l += 16) { /* sub-blocks 8h + l/16 + {0, 2, 4, 6} */
                const uint8x16_t a = vld1q_u8(ql + l), b = vld1q_u8(ql + 32 + l), hb = vld1q_u8(qh + l);
                const int8x16_t q0 = vsubq_s8(s8(vorrq_u8(vandq_u8(a, m4), vandq_u8(vshlq_n_u8(hb, 4), m2))), off);
                const int8x16_t q1 = vsubq_s8(s8(vorrq_u8(vandq_u8(b, m4), vandq_u8(vshlq_n_u8(hb, 2), m2))), off);
                const int8x16_t q2 = vsubq_s8(s8(vorrq_u8(vshrq_n_u8(a, 4), vandq_u8(hb, m2))), off);
                const int8x16_t q3 = vsubq_s8(s8(vorrq_u8(vshrq_n_u8(b, 4), vandq_u8(vshrq_n_u8(hb, 2), m2))), off);
                const int k = l / 16;
                isum += sc[k] * dot16s(q0, yq + l) + sc[k + 2] * dot16s(q1, yq + 32 + l) +
                        sc[k + 4] * dot16s(q2, yq + 64 + l) + sc[k + 6] * dot16s(q3, yq + 96 + l);
            }
        }
        sum += f16(x[i].d) * y[i].d * (float)isum;
    }
    *s = sum;
}

static void vec_dot_q3_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q3_K *x = vx;
    const l1__block_q8_K *y = vy;
    const uint8x16_t m2 = vdupq_n_u8(3);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int scv[16];
        const uint8_t *sp = x[i].scales;
        for (int k = 0; k < 16; k++) {
            const int lo = k < 8 ? (sp[k] & 0xF) : (sp[k - 8] >> 4);
            const int hi = (sp[8 + k % 4] >> (2 * (k / 4))) & 3;
            scv[k] = (lo | (hi << 4)) - 32;
        }
        const uint8x16_t hm0 = vld1q_u8(x[i].hmask), hm1 = vld1q_u8(x[i].hmask + 16);
        int32_t isum = 0;
        for (int h = 0; h < 2; h++) {
            const uint8x16_t b0 = vld1q_u8(x[i].qs + 32 * h), b1 = vld1q_u8(x[i].qs + 32 * h + 16);
            for (int k = 0; k < 4; k++) {
                const int v = 4 * h + k; /* values 32v .. 32v + 31: sub-blocks 2v, 2v + 1 */
                const int8x16_t shift = vdupq_n_s8((int8_t)(-2 * k));
                const uint8x16_t bit = vdupq_n_u8((uint8_t)(1u << v));
                /* Code = q2 - 4 unless the high bit is set: q2 - 4 + 4 * hbit. */
                const uint8x16_t c0 = vandq_u8(vshlq_u8(b0, shift), m2), c1 = vandq_u8(vshlq_u8(b1, shift), m2);
                const int8x16_t q0 = vsubq_s8(s8(c0), s8(vbicq_u8(vdupq_n_u8(4), vtstq_u8(hm0, bit))));
                const int8x16_t q1 = vsubq_s8(s8(c1), s8(vbicq_u8(vdupq_n_u8(4), vtstq_u8(hm1, bit))));
                isum += scv[2 * v] * dot16s(q0, y[i].qs + 32 * v) + scv[2 * v + 1] * dot16s(q1, y[i].qs + 32 * v + 16);
            }
        }
        sum += f16(x[i].d) * y[i].d * (float)isum;
    }
    *s = sum;
}

static void vec_dot_q2_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q2_K *x = vx;
    const l1__block_q8_K *y = vy;
    const uint8x16_t m2 = vdupq_n_u8(3);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int32_t isum = 0, msum = 0;
        for (int j = 0; j < 16; j++) msum += (x[i].scales[j] >> 4) * y[i].bsums[j];
        for (int h = 0; h < 2; h++) {
            const uint8x16_t b0 = vld1q_u8(x[i].qs + 32 * h), b1 = vld1q_u8(x[i].qs + 32 * h + 16);
            for (int k = 0; k < 4; k++) {
                const int v = 4 * h + k;
                const int8x16_t shift = vdupq_n_s8((int8_t)(-2 * k));
                const uint8x16_t c0 = vandq_u8(vshlq_u8(b0, shift), m2), c1 = vandq_u8(vshlq_u8(b1, shift), m2);
                isum += (x[i].scales[2 * v] & 0xF) * dot16s(s8(c0), y[i].qs + 32 * v) +
                        (x[i].scales[2 * v + 1] & 0xF) * dot16s(s8(c1), y[i].qs + 32 * v + 16);
            }
        }
        const float dy = y[i].d;
        sum += dy * f16(x[i].d) * (float)isum - dy * f16(x[i].dmin) * (float)msum;
    }
    *s = sum;
}

static void vec_dot_iq4_xs(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_iq4_xs *x = vx;
    const l1__block_q8_K *y = vy;
    const int8x16_t cb = iq4_codebook();
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int32_t isum = 0;
        for (int j = 0; j < 8; j++) {
            const int ls = (((x[i].scales_l[j / 2] >> (4 * (j % 2))) & 0xF) | (((x[i].scales_h >> (2 * j)) & 3) << 4)) - 32;
            uint8x16_t lo, hi;
            nibbles(x[i].qs + 16 * j, &lo, &hi);
            const int8_t *yq = y[i].qs + 32 * j;
            const int32x4_t p = dot16(dot16(vdupq_n_s32(0), vqtbl1q_s8(cb, lo), vld1q_s8(yq)), vqtbl1q_s8(cb, hi),
                                      vld1q_s8(yq + 16));
            isum += ls * vaddvq_s32(p);
        }
        sum += f16(x[i].d) * y[i].d * (float)isum;
    }
    *s = sum;
}

/* ---- float formats -------------------------------------------------------------- */

static void vec_dot_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a0 = vfmaq_f32(a0, vld1q_f32(x + i), vld1q_f32(y + i));
        a1 = vfmaq_f32(a1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
    }
    float t = 0.0f;
    for (; i < n; i++) t += x[i] * y[i];
    *s = vaddvq_f32(vaddq_f32(a0, a1)) + t;
}

static inline float32x4_t load_f16x4(const uint16_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }

static void vec_dot_f16(int64_t n, float *s, const void *vx, const void *vy) {
    const uint16_t *x = vx, *y = vy;
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a0 = vfmaq_f32(a0, load_f16x4(x + i), load_f16x4(y + i));
        a1 = vfmaq_f32(a1, load_f16x4(x + i + 4), load_f16x4(y + i + 4));
    }
    float t = 0.0f;
    for (; i < n; i++) t += l1__f16_to_f32(x[i]) * l1__f16_to_f32(y[i]);
    *s = vaddvq_f32(vaddq_f32(a0, a1)) + t;
}

static inline float32x4_t load_bf16x4(const uint16_t *p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
}

static void vec_dot_bf16(int64_t n, float *s, const void *vx, const void *vy) {
    const uint16_t *x = vx, *y = vy;
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a0 = vfmaq_f32(a0, load_bf16x4(x + i), load_bf16x4(y + i));
        a1 = vfmaq_f32(a1, load_bf16x4(x + i + 4), load_bf16x4(y + i + 4));
    }
    float t = 0.0f;
    for (; i < n; i++) t += l1__bf16_to_f32(x[i]) * l1__bf16_to_f32(y[i]);
    *s = vaddvq_f32(vaddq_f32(a0, a1)) + t;
}

#endif /* L1_KERNELS_ARM_DOT_H */
