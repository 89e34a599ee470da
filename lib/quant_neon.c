/*
 * quant_neon.c - the aarch64 kernel tier (NEON with the dot-product and
 * half-precision extensions): quantized dot products built on sdot
 * (vdotq_s32), the Q8_0/Q8_1/Q8_K activation quantizers, F32/F16/BF16 dot
 * products.  Compiled with -march=armv8.2-a+dotprod+fp16; simd.c selects it
 * only where the CPU reports both extensions.
 *
 * Weight codes are widened to signed bytes (offsets subtracted in the byte
 * domain where they fit, else through the activation group sums) and
 * multiplied 4 at a time by sdot, so integer block sums are exact.  Block
 * sums are scaled in f32 and accumulated in f32 lanes: float results differ
 * from the scalar reference only by summation order.  The quantizers repeat
 * the scalar arithmetic of this architecture (multiply by 1 / d, round to
 * nearest even, saturate), so their output is bit-identical.  The float
 * kernels of the forward pass (attention, SwiGLU, RMSNorm, RoPE, add) close
 * the file.
 */
#if defined(__aarch64__) && !defined(L1_SCALAR_ONLY)

#include <arm_neon.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "fp16.h"
#include "quant_blocks.h"
#include "simd.h"

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

/* ---- float kernels of the forward pass --------------------------------------------- */

/* The same kernels and the same agreement with the scalar tier as the x86
 * ones (see kernels_x86_impl.h): attention in F16_ACC mode on an F16 cache
 * bit for bit (the 4 x 16 lane dot order, fused multiply-adds, f16
 * roundings by fcvtn, which rounds to nearest even, libm expf); the f32
 * attention path over blocks of positions with f32 vector sums; swiglu with
 * a vector e^x; rmsnorm summing the f32 squares in double; rope_neox and
 * add bit for bit (ISO C: no contraction of a*b - c*d, here or in the
 * scalar kernels). */

#define NF_INLINE static inline __attribute__((always_inline))

NF_INLINE void store_f16x4(uint16_t *p, float32x4_t v) { vst1_u16(p, vreinterpret_u16_f16(vcvt_f16_f32(v))); }

NF_INLINE float32x4_t round_f16x4(float32x4_t v) { return vcvt_f32_f16(vcvt_f16_f32(v)); }

/* e^x per lane: the algorithm of fx_exp in kernels_x86_impl.h (n = round(x
 * / ln2), r = x - n ln2 in two parts, Taylor series of e^r to r^7, 2^n as
 * two factors), within 1 ulp.  fmax/fmin propagate NaN on aarch64. */
NF_INLINE float32x4_t nf_exp(float32x4_t x) {
    x = vminq_f32(vdupq_n_f32(88.8f), vmaxq_f32(vdupq_n_f32(-104.0f), x));
    const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504f)));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.0f / 5040.0f);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 720.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 120.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 24.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 6.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    const int32x4_t ni = vcvtq_s32_f32(n); /* n in [-150, 128], or 0 for NaN */
    const int32x4_t n1 = vshrq_n_s32(ni, 1), n2 = vsubq_s32(ni, n1);
    const int32x4_t bias = vdupq_n_s32(127);
    const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, bias), 23));
    const float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, bias), 23));
    return vmulq_f32(vmulq_f32(p, s1), s2);
}

/* The scalar dot_f16_lanes(a, f16(b), d), b already f16 values in f32:
 * lanes 4v .. 4v + 3 of group g are acc[g][v]. */
static float nf_dot_f16_lanes(const uint16_t *a, const float *b, int64_t d) {
    float32x4_t acc[4][4];
    for (int g = 0; g < 4; g++)
        for (int v = 0; v < 4; v++) acc[g][v] = vdupq_n_f32(0.0f);
    const int64_t np = d - d % 64;
    for (int64_t i = 0; i < np; i += 64)
        for (int g = 0; g < 4; g++)
            for (int v = 0; v < 4; v++) {
                const int64_t j = i + 16 * g + 4 * v;
                acc[g][v] = vfmaq_f32(acc[g][v], load_f16x4(a + j), vld1q_f32(b + j));
            }
    for (int v = 0; v < 4; v++) {
        acc[0][v] = vaddq_f32(acc[0][v], acc[2][v]);
        acc[1][v] = vaddq_f32(acc[1][v], acc[3][v]);
        acc[0][v] = vaddq_f32(acc[0][v], acc[1][v]);
    }
    const float32x4_t h8lo = vaddq_f32(acc[0][0], acc[0][2]), h8hi = vaddq_f32(acc[0][1], acc[0][3]);
    const float32x4_t h4 = vaddq_f32(h8lo, h8hi);
    const float32x2_t h2 = vadd_f32(vget_low_f32(h4), vget_high_f32(h4));
    double s = (double)(vget_lane_f32(h2, 0) + vget_lane_f32(h2, 1));
    for (int64_t i = np; i < d; i++) s += (double)(l1__f16_to_f32(a[i]) * b[i]);
    return (float)s;
}

/* acc16 = f16(f32(acc16) * ms) when rescale, then f16(fma(v, vs, f32(acc16))). */
static void nf_acc16_update(uint16_t *acc16, const uint16_t *vh, int64_t d, bool rescale, float ms, float vs) {
    const float32x4_t msv = vdupq_n_f32(ms), vsv = vdupq_n_f32(vs);
    int64_t i = 0;
    if (rescale)
        for (; i + 4 <= d; i += 4) {
            const float32x4_t a = round_f16x4(vmulq_f32(load_f16x4(acc16 + i), msv));
            store_f16x4(acc16 + i, vfmaq_f32(a, load_f16x4(vh + i), vsv));
        }
    else
        for (; i + 4 <= d; i += 4) store_f16x4(acc16 + i, vfmaq_f32(load_f16x4(acc16 + i), load_f16x4(vh + i), vsv));
    for (; i < d; i++) {
        float a = l1__f16_to_f32(acc16[i]);
        if (rescale) a = l1__f16_to_f32(l1__f32_to_f16(a * ms));
        acc16[i] = l1__f32_to_f16(fmaf(l1__f16_to_f32(vh[i]), vs, a));
    }
}

static void nf_attention_f16acc(const l1__attn_args *a) {
    const int64_t d = a->head_dim;
    float *qf = (float *)a->work;           /* (d) query rounded to f16, held in f32 */
    uint16_t *acc16 = (uint16_t *)(qf + d); /* (d) f16 accumulator */
    int64_t i = 0;
    for (; i + 4 <= d; i += 4) vst1q_f32(qf + i, round_f16x4(vld1q_f32(a->q + i)));
    for (; i < d; i++) qf[i] = l1__f16_to_f32(l1__f32_to_f16(a->q[i]));
    memset(acc16, 0, (size_t)d * sizeof *acc16);
    float M = -INFINITY, S = 0.0f;
    const uint8_t *kb = (const uint8_t *)a->k, *vb = (const uint8_t *)a->v;
    for (int64_t j = 0; j < a->n_kv; j++) {
        const uint16_t *kr = (const uint16_t *)(kb + (size_t)j * a->row_stride);
        const uint16_t *vr = (const uint16_t *)(vb + (size_t)j * a->row_stride);
        const float s = nf_dot_f16_lanes(kr, qf, d) * a->scale;
        float ms = 1.0f, vs = 1.0f;
        const bool grow = s > M;
        if (grow) {
            ms = expf(M - s);
            M = s;
        } else {
            vs = expf(s - M);
        }
        nf_acc16_update(acc16, vr, d, grow, ms, vs);
        S = S * ms + vs;
    }
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    for (i = 0; i + 4 <= d; i += 4) vst1q_f32(a->out + i, vmulq_n_f32(load_f16x4(acc16 + i), inv));
    for (; i < d; i++) a->out[i] = l1__f16_to_f32(acc16[i]) * inv;
}

#define NF_ATTN_BLOCK 32

NF_INLINE float32x4_t nf_load_kv(const void *row, int64_t i, bool h) {
    return h ? load_f16x4((const uint16_t *)row + i) : vld1q_f32((const float *)row + i);
}

NF_INLINE float nf_kv_at(const void *row, int64_t i, bool h) {
    return h ? l1__f16_to_f32(((const uint16_t *)row)[i]) : ((const float *)row)[i];
}

/* sc[j] = scale * q . k_j for j < nb; four rows at a time share q. */
NF_INLINE void nf_scores(const float *q, const uint8_t *k, size_t stride, int64_t nb, int64_t d, float scale,
                         bool h, float *sc) {
    const int64_t dv = d - d % 4;
    int64_t j = 0;
    for (; j + 4 <= nb; j += 4) {
        const void *r[4];
        float32x4_t acc[4];
        for (int t = 0; t < 4; t++) {
            r[t] = k + (size_t)(j + t) * stride;
            acc[t] = vdupq_n_f32(0.0f);
        }
        for (int64_t i = 0; i < dv; i += 4) {
            const float32x4_t qv = vld1q_f32(q + i);
            for (int t = 0; t < 4; t++) acc[t] = vfmaq_f32(acc[t], nf_load_kv(r[t], i, h), qv);
        }
        float32x4_t s4 = vpaddq_f32(vpaddq_f32(acc[0], acc[1]), vpaddq_f32(acc[2], acc[3]));
        if (dv < d) {
            float tl[4] = {0};
            for (int t = 0; t < 4; t++)
                for (int64_t i = dv; i < d; i++) tl[t] += nf_kv_at(r[t], i, h) * q[i];
            s4 = vaddq_f32(s4, vld1q_f32(tl));
        }
        vst1q_f32(sc + j, vmulq_n_f32(s4, scale));
    }
    for (; j < nb; j++) {
        const void *r = k + (size_t)j * stride;
        float32x4_t acc = vdupq_n_f32(0.0f);
        for (int64_t i = 0; i < dv; i += 4) acc = vfmaq_f32(acc, nf_load_kv(r, i, h), vld1q_f32(q + i));
        float t = vaddvq_f32(acc);
        for (int64_t i = dv; i < d; i++) t += nf_kv_at(r, i, h) * q[i];
        sc[j] = t * scale;
    }
}

/* acc[i] += sum_j p[j] v_j[i] for j < nb, 64 accumulator lanes at a time. */
NF_INLINE void nf_accumulate(float *acc, const float *p, const uint8_t *v, size_t stride, int64_t nb, int64_t d,
                             bool h) {
    int64_t c = 0;
    for (; c + 64 <= d; c += 64) {
        float32x4_t x[16];
        for (int u = 0; u < 16; u++) x[u] = vld1q_f32(acc + c + 4 * u);
        for (int64_t j = 0; j < nb; j++) {
            const void *r = v + (size_t)j * stride;
            for (int u = 0; u < 16; u++) x[u] = vfmaq_n_f32(x[u], nf_load_kv(r, c + 4 * u, h), p[j]);
        }
        for (int u = 0; u < 16; u++) vst1q_f32(acc + c + 4 * u, x[u]);
    }
    for (; c + 4 <= d; c += 4) {
        float32x4_t x = vld1q_f32(acc + c);
        for (int64_t j = 0; j < nb; j++) x = vfmaq_n_f32(x, nf_load_kv(v + (size_t)j * stride, c, h), p[j]);
        vst1q_f32(acc + c, x);
    }
    for (; c < d; c++)
        for (int64_t j = 0; j < nb; j++) acc[c] += nf_kv_at(v + (size_t)j * stride, c, h) * p[j];
}

NF_INLINE void nf_attention_f32_body(const l1__attn_args *a, bool h) {
    const int64_t d = a->head_dim;
    float *acc = (float *)a->work; /* (d) */
    memset(acc, 0, (size_t)d * sizeof *acc);
    const uint8_t *kb = (const uint8_t *)a->k, *vb = (const uint8_t *)a->v;
    float sc[NF_ATTN_BLOCK];
    float M = -INFINITY, S = 0.0f;
    for (int64_t j0 = 0; j0 < a->n_kv; j0 += NF_ATTN_BLOCK) {
        const int64_t nb = a->n_kv - j0 < NF_ATTN_BLOCK ? a->n_kv - j0 : NF_ATTN_BLOCK;
        const size_t off = (size_t)j0 * a->row_stride;
        nf_scores(a->q, kb + off, a->row_stride, nb, d, a->scale, h, sc);
        float mb = sc[0];
        for (int64_t j = 1; j < nb; j++) mb = sc[j] > mb ? sc[j] : mb;
        if (mb > M) {
            const float ms = expf(M - mb);
            M = mb;
            S *= ms;
            int64_t i = 0;
            for (; i + 4 <= d; i += 4) vst1q_f32(acc + i, vmulq_n_f32(vld1q_f32(acc + i), ms));
            for (; i < d; i++) acc[i] *= ms;
        }
        /* Weights e^(s - M); a partial last vector computed on a copy. */
        const float32x4_t mv = vdupq_n_f32(M);
        float32x4_t sum = vdupq_n_f32(0.0f);
        int64_t j = 0;
        for (; j + 4 <= nb; j += 4) {
            const float32x4_t e = nf_exp(vsubq_f32(vld1q_f32(sc + j), mv));
            vst1q_f32(sc + j, e);
            sum = vaddq_f32(sum, e);
        }
        float tail = 0.0f;
        if (j < nb) {
            float t[4] = {0};
            memcpy(t, sc + j, (size_t)(nb - j) * sizeof *t);
            vst1q_f32(t, nf_exp(vsubq_f32(vld1q_f32(t), mv)));
            for (int64_t l = 0; l < nb - j; l++) tail += t[l];
            memcpy(sc + j, t, (size_t)(nb - j) * sizeof *t);
        }
        S += vaddvq_f32(sum) + tail;
        nf_accumulate(acc, sc, vb + off, a->row_stride, nb, d, h);
    }
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    int64_t i = 0;
    for (; i + 4 <= d; i += 4) vst1q_f32(a->out + i, vmulq_n_f32(vld1q_f32(acc + i), inv));
    for (; i < d; i++) a->out[i] = acc[i] * inv;
}

static void nf_attention_f32_f16kv(const l1__attn_args *a) { nf_attention_f32_body(a, true); }
static void nf_attention_f32_f32kv(const l1__attn_args *a) { nf_attention_f32_body(a, false); }

static void nf_attention(const l1__attn_args *a) {
    if (a->kv_type == L1_TYPE_F16) {
        if (a->mode == L1__ATTN_F16_ACC)
            nf_attention_f16acc(a);
        else
            nf_attention_f32_f16kv(a);
    } else {
        nf_attention_f32_f32kv(a);
    }
}

static void nf_swiglu(float *y, const float *g, const float *u, int64_t n) {
    const float32x4_t one = vdupq_n_f32(1.0f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t gv = vld1q_f32(g + i);
        const float32x4_t s = vdivq_f32(gv, vaddq_f32(one, nf_exp(vnegq_f32(gv))));
        vst1q_f32(y + i, vmulq_f32(s, vld1q_f32(u + i)));
    }
    for (; i < n; i++) {
        const float s = g[i] / (1.0f + expf(-g[i]));
        y[i] = s * u[i];
    }
}

static void nf_rmsnorm(float *y, const float *x, const float *w, int64_t n, float eps) {
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + i + 4);
        const float32x4_t aa = vmulq_f32(a, a), bb = vmulq_f32(b, b);
        s0 = vaddq_f64(s0, vcvt_f64_f32(vget_low_f32(aa)));
        s1 = vaddq_f64(s1, vcvt_high_f64_f32(aa));
        s2 = vaddq_f64(s2, vcvt_f64_f32(vget_low_f32(bb)));
        s3 = vaddq_f64(s3, vcvt_high_f64_f32(bb));
    }
    double sum = vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
    for (; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (i = 0; i + 4 <= n; i += 4)
        vst1q_f32(y + i, vmulq_f32(vmulq_n_f32(vld1q_f32(x + i), scale), vld1q_f32(w + i)));
    for (; i < n; i++) y[i] = x[i] * scale * w[i];
}

static void nf_rope_neox(float *x, int64_t n_head, int64_t head_dim, const float *cs, const float *sn) {
    const int64_t half = head_dim / 2;
    for (int64_t hd = 0; hd < n_head; hd++) {
        float *p = x + hd * head_dim;
        int64_t i = 0;
        for (; i + 4 <= half; i += 4) {
            const float32x4_t x0 = vld1q_f32(p + i), x1 = vld1q_f32(p + i + half);
            const float32x4_t c = vld1q_f32(cs + i), s = vld1q_f32(sn + i);
            vst1q_f32(p + i, vsubq_f32(vmulq_f32(x0, c), vmulq_f32(x1, s)));
            vst1q_f32(p + i + half, vaddq_f32(vmulq_f32(x0, s), vmulq_f32(x1, c)));
        }
        for (; i < half; i++) {
            const float x0 = p[i], x1 = p[i + half];
            p[i] = x0 * cs[i] - x1 * sn[i];
            p[i + half] = x0 * sn[i] + x1 * cs[i];
        }
    }
}

static void nf_add(float *y, const float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vaddq_f32(vld1q_f32(y + i), vld1q_f32(x + i)));
    for (; i < n; i++) y[i] += x[i];
}

/* ---- the table ------------------------------------------------------------------ */

void l1__simd_fill_neon(l1__simd_kernels *k) {
    memset(k, 0, sizeof *k);
    k->vec_dot[L1_TYPE_F32] = vec_dot_f32;
    k->vec_dot[L1_TYPE_F16] = vec_dot_f16;
    k->vec_dot[L1_TYPE_BF16] = vec_dot_bf16;
    k->vec_dot[L1_TYPE_Q8_0] = vec_dot_q8_0;
    k->vec_dot[L1_TYPE_Q4_0] = vec_dot_q4_0;
    k->vec_dot[L1_TYPE_Q4_1] = vec_dot_q4_1;
    k->vec_dot[L1_TYPE_Q5_0] = vec_dot_q5_0;
    k->vec_dot[L1_TYPE_Q5_1] = vec_dot_q5_1;
    k->vec_dot[L1_TYPE_IQ4_NL] = vec_dot_iq4_nl;
    k->vec_dot[L1_TYPE_Q2_K] = vec_dot_q2_K;
    k->vec_dot[L1_TYPE_Q3_K] = vec_dot_q3_K;
    k->vec_dot[L1_TYPE_Q4_K] = vec_dot_q4_K;
    k->vec_dot[L1_TYPE_Q5_K] = vec_dot_q5_K;
    k->vec_dot[L1_TYPE_Q6_K] = vec_dot_q6_K;
    k->vec_dot[L1_TYPE_IQ4_XS] = vec_dot_iq4_xs;
    k->quantize[L1_TYPE_Q8_0] = quantize_q8_0;
    k->quantize[L1_TYPE_Q8_1] = quantize_q8_1;
    k->quantize[L1_TYPE_Q8_K] = quantize_q8_K;
    k->attention = nf_attention;
    k->swiglu = nf_swiglu;
    k->rmsnorm = nf_rmsnorm;
    k->rope_neox = nf_rope_neox;
    k->add = nf_add;
}

#else
typedef int l1__quant_neon_unused; /* ISO C: no empty translation unit */
#endif /* __aarch64__ && !L1_SCALAR_ONLY */
