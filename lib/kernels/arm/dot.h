/*
 * arm/dot.h - the quantized and float dot products and the activation
 * quantizers of the NEON tier (see tier_neon.c for how they keep integer
 * sums exact and quantizers bit-identical).  Everything is static.
 */
#ifndef L1_KERNELS_ARM_DOT_H
#define L1_KERNELS_ARM_DOT_H

#include "kernels/arm/common.h"
#include "quant/quant.h"
#include "quant/quant_blocks.h"
#include "quant/quant_impl.h"

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

/* One block: its codes into qs and its f16 scale into *d16; returns the
 * f32 scale, the code sum in *sum. */
static inline float q8_block(const float *x, int8_t *qs, uint16_t *d16, int32_t *sum) {
    float id;
    const float d = q8_scales(x, &id);
    *sum = codes32(x, id, qs);
    *d16 = l1__f32_to_f16(d);
    return d;
}

static void quantize_q8_0(const float *x, void *vy, int64_t n) {
    l1__block_q8_0 *y = vy;
    int32_t sum;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) q8_block(x, y[i].qs, &y[i].d, &sum);
}

static void quantize_q8_1(const float *x, void *vy, int64_t n) {
    l1__block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        int32_t sum;
        const float d = q8_block(x, y[i].qs, &y[i].d, &sum);
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

/* Each 32-value format gives its block's 32 signed codes as two vectors
 * (codes 0..15, 16..31); one body per activation type then takes the
 * block sum with two sdot, scales it by d * dy and, for the formats with
 * an offset (Q4_1, Q5_1, activations Q8_1), adds m * s apart. */
static inline void codes_q8_0(const l1__block_q8_0 *b, int8x16_t *c0, int8x16_t *c1) {
    *c0 = vld1q_s8(b->qs), *c1 = vld1q_s8(b->qs + 16);
}

static inline void codes_q4_0(const l1__block_q4_0 *b, int8x16_t *c0, int8x16_t *c1) {
    uint8x16_t lo, hi;
    nibbles(b->qs, &lo, &hi);
    *c0 = vsubq_s8(s8(lo), vdupq_n_s8(8)), *c1 = vsubq_s8(s8(hi), vdupq_n_s8(8));
}

static inline void codes_q4_1(const l1__block_q4_1 *b, int8x16_t *c0, int8x16_t *c1) {
    uint8x16_t lo, hi;
    nibbles(b->qs, &lo, &hi);
    *c0 = s8(lo), *c1 = s8(hi);
}

static inline void codes_q5_0(const l1__block_q5_0 *b, int8x16_t *c0, int8x16_t *c1) {
    uint8x16_t lo, hi, h0, h1;
    nibbles(b->qs, &lo, &hi);
    q5_high(b->qh, &h0, &h1);
    *c0 = vsubq_s8(s8(vorrq_u8(lo, h0)), vdupq_n_s8(16)), *c1 = vsubq_s8(s8(vorrq_u8(hi, h1)), vdupq_n_s8(16));
}

static inline void codes_q5_1(const l1__block_q5_1 *b, int8x16_t *c0, int8x16_t *c1) {
    uint8x16_t lo, hi, h0, h1;
    nibbles(b->qs, &lo, &hi);
    q5_high(b->qh, &h0, &h1);
    *c0 = s8(vorrq_u8(lo, h0)), *c1 = s8(vorrq_u8(hi, h1));
}

static inline void codes_iq4_nl(const l1__block_iq4_nl *b, int8x16_t *c0, int8x16_t *c1) {
    const int8x16_t cb = vld1q_s8(l1__iq4nl_values);
    uint8x16_t lo, hi;
    nibbles(b->qs, &lo, &hi);
    *c0 = vqtbl1q_s8(cb, lo), *c1 = vqtbl1q_s8(cb, hi);
}

/* Every quantized dot of this tier is a walk over blocks: T_blk adds one
 * block's product to the running state of one (row, token) product, and
 * the state's final value is the result.  vec_dot_T and vec_dot_tile_T
 * (kernels.h: rows x tokens, each weight block unpacked once for all
 * tokens, as the compiler evaluates what T_blk computes from the weight
 * block alone once for the four tokens) make the same calls in the same
 * order for each product, so they agree bit for bit. */
typedef struct {
    float32x4_t acc;
} q32_state;

static inline void q32_init(q32_state *st) { st->acc = vdupq_n_f32(0.0f); }
static inline float q32_final(const q32_state *st) { return vaddvq_f32(st->acc); }

/* The offset formats (Q4_1, Q5_1) add their m * s terms apart. */
typedef struct {
    float32x4_t acc;
    float msum;
} q32o_state;

static inline void q32o_init(q32o_state *st) { st->acc = vdupq_n_f32(0.0f), st->msum = 0.0f; }
static inline float q32o_final(const q32o_state *st) { return vaddvq_f32(st->acc) + st->msum; }

typedef struct {
    float sum;
} k_state;

static inline void k_init(k_state *st) { st->sum = 0.0f; }
static inline float k_final(const k_state *st) { return st->sum; }

#define NEON_KERNELS(T, XT, YT, QK, ST)                                                               \
    static void vec_dot_##T(int64_t n, float *s, const void *vx, const void *vy) {                     \
        const XT *x = vx;                                                                            \
        const YT *y = vy;                                                                            \
        ST##_state st;                                                                               \
        ST##_init(&st);                                                                              \
        for (int64_t i = 0; i < n / (QK); i++) T##_blk(&st, &x[i], &y[i]);                            \
        *s = ST##_final(&st);                                                                        \
    }                                                                                                \
    L1__AI void T##_tile_n(int64_t n, float *s, size_t lds, const uint8_t *x, size_t bx,             \
                           const uint8_t *y, size_t by, int nr, int nt) {                              \
        ST##_state st[L1__DOT_MAX_ROWS][L1__DOT_MAX_TOKENS];                                         \
        for (int r = 0; r < nr; r++)                                                                 \
            for (int t = 0; t < nt; t++) ST##_init(&st[r][t]);                                       \
        for (int64_t i = 0; i < n / (QK); i++)                                                       \
            L1__UNROLL for (int r = 0; r < nr; r++) {                                                \
                const XT *xb = (const XT *)(x + (size_t)r * bx) + i;                                 \
                L1__UNROLL for (int t = 0; t < nt; t++)                                              \
                    T##_blk(&st[r][t], xb, (const YT *)(y + (size_t)t * by) + i);                    \
            }                                                                                        \
        for (int r = 0; r < nr; r++)                                                                 \
            for (int t = 0; t < nt; t++) s[(size_t)t * lds + r] = ST##_final(&st[r][t]);             \
    }                                                                                                \
    static void vec_dot_tile_##T(int64_t n, float *s, size_t lds, const void *x, size_t bx,          \
                                 const void *y, size_t by, int nr, int nt) {                         \
        if (nr == L1__DOT_MAX_ROWS && nt == L1__DOT_MAX_TOKENS)                                      \
            T##_tile_n(n, s, lds, x, bx, y, by, L1__DOT_MAX_ROWS, L1__DOT_MAX_TOKENS);               \
        else                                                                                         \
            T##_tile_n(n, s, lds, x, bx, y, by, nr, nt);                                             \
    }

#define NEON_BLK32(T, XT)                                                                     \
    static inline void T##_blk(q32_state *st, const XT *x, const l1__block_q8_0 *y) {          \
        int8x16_t c0, c1;                                                                     \
        codes_##T(x, &c0, &c1);                                                               \
        const int32x4_t p = dot16(dot16(vdupq_n_s32(0), c0, vld1q_s8(y->qs)), c1, vld1q_s8(y->qs + 16)); \
        st->acc = scale_acc(st->acc, p, f16(x->d) * f16(y->d));                               \
    }                                                                                         \
    NEON_KERNELS(T, XT, l1__block_q8_0, L1_QK32, q32)

#define NEON_BLK32_OFFSET(T, XT)                                                              \
    static inline void T##_blk(q32o_state *st, const XT *x, const l1__block_q8_1 *y) {         \
        int8x16_t c0, c1;                                                                     \
        codes_##T(x, &c0, &c1);                                                               \
        const int32x4_t p = dot16(dot16(vdupq_n_s32(0), c0, vld1q_s8(y->qs)), c1, vld1q_s8(y->qs + 16)); \
        st->acc = scale_acc(st->acc, p, f16(x->d) * f16(y->d));                               \
        st->msum += f16(x->m) * f16(y->s);                                                    \
    }                                                                                         \
    NEON_KERNELS(T, XT, l1__block_q8_1, L1_QK32, q32o)

NEON_BLK32(q8_0, l1__block_q8_0)
NEON_BLK32(q4_0, l1__block_q4_0)
NEON_BLK32(q5_0, l1__block_q5_0)
NEON_BLK32(iq4_nl, l1__block_iq4_nl)
NEON_BLK32_OFFSET(q4_1, l1__block_q4_1)
NEON_BLK32_OFFSET(q5_1, l1__block_q5_1)

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

static inline void q4_K_blk(k_state *st, const l1__block_q4_K *x, const l1__block_q8_K *y) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    float sum = st->sum;
    uint8_t sc[8], mn[8];
    k4_scales_mins(x->scales, sc, mn);
    int32_t isum = 0;
    for (int c = 0; c < 4; c++) {
        const uint8x16_t b0 = vld1q_u8(x->qs + 32 * c), b1 = vld1q_u8(x->qs + 32 * c + 16);
        const int8_t *yq = y->qs + 64 * c;
        isum += sc[2 * c] * dot32(vandq_u8(b0, m4), vandq_u8(b1, m4), yq);
        isum += sc[2 * c + 1] * dot32(vshrq_n_u8(b0, 4), vshrq_n_u8(b1, 4), yq + 32);
    }
    const float dy = y->d;
    sum += dy * f16(x->d) * (float)isum - dy * f16(x->dmin) * (float)k4_msum(mn, y->bsums);
    st->sum = sum;
}
NEON_KERNELS(q4_K, l1__block_q4_K, l1__block_q8_K, L1_QK_K, k)

static inline void q5_K_blk(k_state *st, const l1__block_q5_K *x, const l1__block_q8_K *y) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F), ten = vdupq_n_u8(0x10);
    float sum = st->sum;
    uint8_t sc[8], mn[8];
    k4_scales_mins(x->scales, sc, mn);
    const uint8x16_t h0 = vld1q_u8(x->qh), h1 = vld1q_u8(x->qh + 16);
    int32_t isum = 0;
    for (int c = 0; c < 4; c++) {
        const uint8x16_t b0 = vld1q_u8(x->qs + 32 * c), b1 = vld1q_u8(x->qs + 32 * c + 16);
        /* Bit 2c of qh[l] -> 0x10 of value 64c + l; bit 2c + 1 -> value 64c + 32 + l. */
        const uint8x16_t bl = vdupq_n_u8((uint8_t)(1u << (2 * c))), bh = vdupq_n_u8((uint8_t)(2u << (2 * c)));
        const uint8x16_t l0 = vorrq_u8(vandq_u8(b0, m4), vandq_u8(vtstq_u8(h0, bl), ten));
        const uint8x16_t l1 = vorrq_u8(vandq_u8(b1, m4), vandq_u8(vtstq_u8(h1, bl), ten));
        const uint8x16_t u0 = vorrq_u8(vshrq_n_u8(b0, 4), vandq_u8(vtstq_u8(h0, bh), ten));
        const uint8x16_t u1 = vorrq_u8(vshrq_n_u8(b1, 4), vandq_u8(vtstq_u8(h1, bh), ten));
        const int8_t *yq = y->qs + 64 * c;
        isum += sc[2 * c] * dot32(l0, l1, yq) + sc[2 * c + 1] * dot32(u0, u1, yq + 32);
    }
    const float dy = y->d;
    sum += dy * f16(x->d) * (float)isum - dy * f16(x->dmin) * (float)k4_msum(mn, y->bsums);
    st->sum = sum;
}
NEON_KERNELS(q5_K, l1__block_q5_K, l1__block_q8_K, L1_QK_K, k)

/* sum over 16 signed codes times y. */
static inline int32_t dot16s(int8x16_t q, const int8_t *y) {
    return vaddvq_s32(dot16(vdupq_n_s32(0), q, vld1q_s8(y)));
}

static inline void q6_K_blk(k_state *st, const l1__block_q6_K *x, const l1__block_q8_K *y) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F), m2 = vdupq_n_u8(0x30);
    const int8x16_t off = vdupq_n_s8(32);
    float sum = st->sum;
    int32_t isum = 0;
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = x->ql + 64 * h, *qh = x->qh + 32 * h;
        const int8_t *sc = x->scales + 8 * h;
        const int8_t *yq = y->qs + 128 * h;
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
    sum += f16(x->d) * y->d * (float)isum;
    st->sum = sum;
}
NEON_KERNELS(q6_K, l1__block_q6_K, l1__block_q8_K, L1_QK_K, k)

/* The 2-bit codes of group k (< 4) of one 32-byte half of a Q2_K/Q3_K
 * block (its bytes b0, b1): values 32v .. 32v + 31 as two u8 vectors. */
static inline void k2_codes(uint8x16_t b0, uint8x16_t b1, int k, uint8x16_t *c0, uint8x16_t *c1) {
    const int8x16_t shift = vdupq_n_s8((int8_t)(-2 * k));
    const uint8x16_t m2 = vdupq_n_u8(3);
    *c0 = vandq_u8(vshlq_u8(b0, shift), m2), *c1 = vandq_u8(vshlq_u8(b1, shift), m2);
}

static inline void q3_K_blk(k_state *st, const l1__block_q3_K *x, const l1__block_q8_K *y) {
    float sum = st->sum;
    int scv[16];
    for (int k = 0; k < 16; k++) scv[k] = l1__q3_scale(x->scales, k);
    const uint8x16_t hm0 = vld1q_u8(x->hmask), hm1 = vld1q_u8(x->hmask + 16);
    int32_t isum = 0;
    for (int v = 0; v < 8; v++) { /* values 32v .. 32v + 31: sub-blocks 2v, 2v + 1 */
        uint8x16_t c0, c1;
        k2_codes(vld1q_u8(x->qs + 32 * (v / 4)), vld1q_u8(x->qs + 32 * (v / 4) + 16), v % 4, &c0, &c1);
        const uint8x16_t bit = vdupq_n_u8((uint8_t)(1u << v));
        /* Code = q2 - 4 unless the high bit is set: q2 - 4 + 4 * hbit. */
        const int8x16_t q0 = vsubq_s8(s8(c0), s8(vbicq_u8(vdupq_n_u8(4), vtstq_u8(hm0, bit))));
        const int8x16_t q1 = vsubq_s8(s8(c1), s8(vbicq_u8(vdupq_n_u8(4), vtstq_u8(hm1, bit))));
        isum += scv[2 * v] * dot16s(q0, y->qs + 32 * v) + scv[2 * v + 1] * dot16s(q1, y->qs + 32 * v + 16);
    }
    sum += f16(x->d) * y->d * (float)isum;
    st->sum = sum;
}
NEON_KERNELS(q3_K, l1__block_q3_K, l1__block_q8_K, L1_QK_K, k)

static inline void q2_K_blk(k_state *st, const l1__block_q2_K *x, const l1__block_q8_K *y) {
    float sum = st->sum;
    int32_t isum = 0, msum = 0;
    for (int j = 0; j < 16; j++) msum += (x->scales[j] >> 4) * y->bsums[j];
    for (int v = 0; v < 8; v++) {
        uint8x16_t c0, c1;
        k2_codes(vld1q_u8(x->qs + 32 * (v / 4)), vld1q_u8(x->qs + 32 * (v / 4) + 16), v % 4, &c0, &c1);
        isum += (x->scales[2 * v] & 0xF) * dot16s(s8(c0), y->qs + 32 * v) +
                (x->scales[2 * v + 1] & 0xF) * dot16s(s8(c1), y->qs + 32 * v + 16);
    }
    const float dy = y->d;
    sum += dy * f16(x->d) * (float)isum - dy * f16(x->dmin) * (float)msum;
    st->sum = sum;
}
NEON_KERNELS(q2_K, l1__block_q2_K, l1__block_q8_K, L1_QK_K, k)

static inline void iq4_xs_blk(k_state *st, const l1__block_iq4_xs *x, const l1__block_q8_K *y) {
    const int8x16_t cb = vld1q_s8(l1__iq4nl_values);
    float sum = st->sum;
    int32_t isum = 0;
    for (int j = 0; j < 8; j++) {
        uint8x16_t lo, hi;
        nibbles(x->qs + 16 * j, &lo, &hi);
        const int8_t *yq = y->qs + 32 * j;
        const int32x4_t p = dot16(dot16(vdupq_n_s32(0), vqtbl1q_s8(cb, lo), vld1q_s8(yq)), vqtbl1q_s8(cb, hi),
                                  vld1q_s8(yq + 16));
        isum += l1__iq4xs_scale(x, j) * vaddvq_s32(p);
    }
    sum += f16(x->d) * y->d * (float)isum;
    st->sum = sum;
}
NEON_KERNELS(iq4_xs, l1__block_iq4_xs, l1__block_q8_K, L1_QK_K, k)

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

static inline float32x4_t load_bf16x4(const uint16_t *p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
}

/* The 16-bit float dots: two f32 accumulators over 4 lanes, the tail in f32. */
#define NEON_DOT_HALF(T, LOAD, TO_F32)                                                        \
    static void vec_dot_##T(int64_t n, float *s, const void *vx, const void *vy) {              \
        const uint16_t *x = vx, *y = vy;                                                      \
        float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(0.0f);                           \
        int64_t i = 0;                                                                        \
        for (; i + 8 <= n; i += 8) {                                                          \
            a0 = vfmaq_f32(a0, LOAD(x + i), LOAD(y + i));                                     \
            a1 = vfmaq_f32(a1, LOAD(x + i + 4), LOAD(y + i + 4));                             \
        }                                                                                     \
        float t = 0.0f;                                                                       \
        for (; i < n; i++) t += TO_F32(x[i]) * TO_F32(y[i]);                                  \
        *s = vaddvq_f32(vaddq_f32(a0, a1)) + t;                                               \
    }

NEON_DOT_HALF(f16, load_f16x4, l1__f16_to_f32)
NEON_DOT_HALF(bf16, load_bf16x4, l1__bf16_to_f32)

#endif /* L1_KERNELS_ARM_DOT_H */
