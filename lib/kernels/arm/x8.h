/*
 * arm/x8.h - NEON kernels over the x8 weight layouts of repack.h (Q4_0,
 * Q8_0, Q4_K, Q6_K), for matrix products of 1..8 tokens.
 *
 * A call computes s[t * lds + 8g + r] for groups g < ng (8 rows each) and
 * tokens t < nt, the x8 dot of repack.h bit for bit.  A group is taken as
 * two halves of 4 rows, one 128-bit vector each: lane r of an integer
 * accumulator is row r's block sum.  In the x8 layout the 16 bytes of a
 * half-vector are 4 bytes of each of its 4 rows, so one sdot by lane
 * (vdotq_laneq_s32: the same 4 activation bytes against every row) adds 4
 * products to each of the 4 rows, and one 16-byte activation load serves
 * four such steps.  Weight codes are bytes as sdot reads them (Q8_0's
 * as they are: L1__X8_Q8_FLIP is 0 here; Q6_K's minus 32 in the byte
 * domain); Q4_0's offset 8 and Q4_K's mins go through the activation code
 * sums (Q4_0: each token's chain starts from -8 times its block's sum), so
 * the integer sums are exact.  Per block each row's float steps are those
 * of the definition: s = fma((float)isum, d * dy, s), and for Q4_K then
 * s = fma((float)msum, -(dmin * dy), s), fused (vfmaq/vfmsq).
 *
 * Activation scales (and Q4_K's group sums) are prepared once per call for
 * a chunk of blocks; a call walks the chunks outermost, and between chunks
 * each row's running sum waits in s (an exact store and reload).
 */
#ifndef L1_KERNELS_ARM_X8_H
#define L1_KERNELS_ARM_X8_H

#include "kernels/arm/common.h"
#include "kernels/repack.h"
#include "quant/quant_blocks.h"

#if L1__X8_Q8_FLIP != 0
#  error "the NEON x8 Q8_0 kernel reads the codes unflipped"
#endif

#define ARM_X8_CHUNK32 64  /* 32-value blocks per chunk of prepared activation data */
#define ARM_X8_CHUNKK 32   /* 256-value blocks per chunk of prepared activation data */

/* The 4 f16 row scales at p, as f32 (exact). */
L1__AI float32x4_t x8_f16x4(const uint8_t *p) {
    uint16_t h[4];
    memcpy(h, p, sizeof h);
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h)));
}

/* Bytes rh*4 .. rh*4 + 3 of the 8 per-row bytes at p (rows 0-7 of a
 * group), widened to 32 bits: signed (Q6_K scales) or unsigned (Q4_K). */
L1__AI int32x4_t x8_s8x4(const uint8_t *p, int rh) {
    const int16x8_t v = vmovl_s8(vld1_s8((const int8_t *)p));
    return vmovl_s16(rh ? vget_high_s16(v) : vget_low_s16(v));
}
L1__AI int32x4_t x8_u8x4(const uint8_t *p, int rh) {
    const uint16x8_t v = vmovl_u8(vld1_u8(p));
    return vreinterpretq_s32_u32(vmovl_u16(rh ? vget_high_u16(v) : vget_low_u16(v)));
}

/* i += w0 . a[0..3] + w1 . a[4..7] + w2 . a[8..11] + w3 . a[12..15], each
 * 4-byte group of a against the 4 bytes of every row in w. */
#define X8_SDOT4(i, w0, w1, w2, w3, a)        \
    do {                                      \
        (i) = vdotq_laneq_s32((i), (w0), (a), 0); \
        (i) = vdotq_laneq_s32((i), (w1), (a), 1); \
        (i) = vdotq_laneq_s32((i), (w2), (a), 2); \
        (i) = vdotq_laneq_s32((i), (w3), (a), 3); \
    } while (0)


/* The running sums of 4 rows for NT tokens: zero at the first chunk, else
 * what the previous chunk stored. */
#define X8_ACC_LOAD(acc, NT, s, lds, first)                                                   \
    L1__UNROLL for (int t = 0; t < (NT); t++) (acc)[t] = (first) ? vdupq_n_f32(0.0f) : vld1q_f32((s) + (size_t)t * (lds))
#define X8_ACC_STORE(acc, NT, s, lds) \
    L1__UNROLL for (int t = 0; t < (NT); t++) vst1q_f32((s) + (size_t)t * (lds), (acc)[t])

/* ---- Q4_0 and Q8_0 ---------------------------------------------------------------- */

/* Block b of a chunk, prepared for up to L1__X8_MAX_TOKENS tokens: the
 * activation codes of token t side by side, its scale and its Q4_0 seed
 * (-8 times the code sum), so the bodies find everything at fixed offsets
 * from one pointer. */
typedef struct {
    int8_t qs[L1__X8_MAX_TOKENS][L1_QK32];
    float dy[L1__X8_MAX_TOKENS];
    int32_t seed[L1__X8_MAX_TOKENS];
} x8_q32_prep;

/* dx times lane t % 4 of dy (x8_scale_lane), and lane t % 4 of v in every
 * lane (x8_dup_lane): the lane is a constant once the token loop is
 * unrolled, and a literal in every build. */
L1__AI float32x4_t x8_scale_lane(float32x4_t dx, float32x4_t dy, int t) {
    switch (t & 3) {
    case 0: return vmulq_laneq_f32(dx, dy, 0);
    case 1: return vmulq_laneq_f32(dx, dy, 1);
    case 2: return vmulq_laneq_f32(dx, dy, 2);
    default: return vmulq_laneq_f32(dx, dy, 3);
    }
}
L1__AI int32x4_t x8_dup_lane(int32x4_t v, int t) {
    switch (t & 3) {
    case 0: return vdupq_laneq_s32(v, 0);
    case 1: return vdupq_laneq_s32(v, 1);
    case 2: return vdupq_laneq_s32(v, 2);
    default: return vdupq_laneq_s32(v, 3);
    }
}

/* Rows 4rh .. 4rh + 3 of one group over nbc blocks from gp (group-block
 * layout of repack.h: u16 d[8], then 32-byte vectors m of 8 rows x 4
 * bytes; Q4_0's low nibbles pair with activation bytes 4m.., high nibbles
 * with 16 + 4m..; Q8_0's vector m with 4m..), for NT (3..8) tokens
 * prepared in pr. */
L1__AI void x8_q32_rows4(int is_q8, int NT, int64_t nbc, float *s, size_t lds, const uint8_t *gp, int rh,
                            int first, const x8_q32_prep *pr) {
    const size_t bb = is_q8 ? 16 + 256 : 16 + 128;
    float32x4_t acc[L1__X8_MAX_TOKENS];
    X8_ACC_LOAD(acc, NT, s, lds, first);
    for (int64_t b = 0; b < nbc; b++, gp += bb, pr++) {
        int8x16_t w[8];
        if (is_q8) {
            /* The codes as they are (L1__X8_Q8_FLIP is 0 on this architecture). */
            L1__UNROLL for (int m = 0; m < 8; m++) w[m] = vld1q_s8((const int8_t *)gp + 16 + 32 * m + 16 * rh);
        } else {
            L1__UNROLL for (int m = 0; m < 4; m++) {
                /* Codes 0..15; their offset 8 comes back through the seed. */
                const uint8x16_t v = vld1q_u8(gp + 16 + 32 * m + 16 * rh);
                w[m] = s8(vandq_u8(v, vdupq_n_u8(0x0F)));
                w[m + 4] = s8(vshrq_n_u8(v, 4));
            }
        }
        const float32x4_t dx = x8_f16x4(gp + 8 * rh);
        float32x4_t dyv[L1__X8_MAX_TOKENS / 4];
        int32x4_t sdv[L1__X8_MAX_TOKENS / 4];
        L1__UNROLL for (int q = 0; q < (NT + 3) / 4; q++) {
            dyv[q] = vld1q_f32(pr->dy + 4 * q);
            sdv[q] = is_q8 ? vdupq_n_s32(0) : vld1q_s32(pr->seed + 4 * q);
        }
        L1__UNROLL for (int t = 0; t < NT; t++) {
            /* One chain of 8 sdot from the seed: the tokens' chains run
             * side by side. */
            int32x4_t is = is_q8 ? vdupq_n_s32(0) : x8_dup_lane(sdv[t / 4], t);
            const int8x16_t a0 = vld1q_s8(pr->qs[t]), a1 = vld1q_s8(pr->qs[t] + 16);
            X8_SDOT4(is, w[0], w[1], w[2], w[3], a0);
            X8_SDOT4(is, w[4], w[5], w[6], w[7], a1);
            acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(is), x8_scale_lane(dx, dyv[t / 4], t));
        }
    }
    X8_ACC_STORE(acc, NT, s, lds);
}

/* All 8 rows of one group over nbc blocks for NT (1 or 2) tokens: the
 * body that decoding runs.  Against two calls of x8_q32_rows4 it loads
 * each token's activations, seed and scale once for both halves, and
 * reads the weights in 64-byte runs (vectors 2i and 2i + 1, both halves),
 * each run used up by every token before the next is loaded.  Each row's
 * integer sum and float steps are those of x8_q32_rows4: the same bits. */
#define X8_R8_SDOT2(is, w0, w1, a, l0, l1)        \
    do {                                          \
        (is) = vdotq_laneq_s32((is), (w0), (a), l0); \
        (is) = vdotq_laneq_s32((is), (w1), (a), l1); \
    } while (0)
/* Run i of a Q8_0 block: vector m = 2i + k pairs with activation bytes
 * 4m .. 4m + 3, lane m % 4 of a.val[m / 4]. */
#define X8_R8_Q8_RUN(i, l0, l1)                                                        \
    do {                                                                              \
        const int8x16_t v0 = vld1q_s8((const int8_t *)gp + 16 + 64 * (i));           \
        const int8x16_t v1 = vld1q_s8((const int8_t *)gp + 16 + 64 * (i) + 16);      \
        const int8x16_t v2 = vld1q_s8((const int8_t *)gp + 16 + 64 * (i) + 32);      \
        const int8x16_t v3 = vld1q_s8((const int8_t *)gp + 16 + 64 * (i) + 48);      \
        L1__UNROLL for (int t = 0; t < NT; t++) {                                     \
            X8_R8_SDOT2(is[t][0], v0, v2, a[t].val[(i) / 2], l0, l1);                \
            X8_R8_SDOT2(is[t][1], v1, v3, a[t].val[(i) / 2], l0, l1);                \
        }                                                                             \
    } while (0)
/* Run i of a Q4_0 block: stored vectors m = 2i + k; their low nibbles
 * pair with activation bytes 4m .. (lane m of a.val[0]), their high
 * nibbles with 16 + 4m .. (lane m of a.val[1]).  Codes 0..15: the offset
 * 8 comes back through the seed. */
#define X8_R8_Q4_RUN(i, l0, l1)                                                                   \
    do {                                                                                         \
        int8x16_t lo[4], hi[4];                                                                  \
        L1__UNROLL for (int j = 0; j < 4; j++) {                                                 \
            const uint8x16_t v = vld1q_u8(gp + 16 + 64 * (i) + 16 * j);                          \
            lo[j] = s8(vandq_u8(v, vdupq_n_u8(0x0F)));                                           \
            hi[j] = s8(vshrq_n_u8(v, 4));                                                        \
        }                                                                                        \
        L1__UNROLL for (int t = 0; t < NT; t++) {                                                \
            X8_R8_SDOT2(is[t][0], lo[0], lo[2], a[t].val[0], l0, l1);                            \
            X8_R8_SDOT2(is[t][1], lo[1], lo[3], a[t].val[0], l0, l1);                            \
            X8_R8_SDOT2(is[t][0], hi[0], hi[2], a[t].val[1], l0, l1);                            \
            X8_R8_SDOT2(is[t][1], hi[1], hi[3], a[t].val[1], l0, l1);                            \
        }                                                                                        \
    } while (0)
L1__AI void x8_q32_rows8(int is_q8, int NT, int64_t nbc, float *s, size_t lds, const uint8_t *gp, int first,
                            const x8_q32_prep *pr) {
    const size_t bb = is_q8 ? 16 + 256 : 16 + 128;
    float32x4_t acc[2][2];
    for (int t = 0; t < NT; t++)
        for (int h = 0; h < 2; h++)
            acc[t][h] = first ? vdupq_n_f32(0.0f) : vld1q_f32(s + (size_t)t * lds + 4 * h);
    for (int64_t b = 0; b < nbc; b++, gp += bb) {
        int8x16x2_t a[2];
        int32x4_t is[2][2];
        L1__UNROLL for (int t = 0; t < NT; t++) {
            a[t] = vld1q_s8_x2(pr[b].qs[t]);
            is[t][0] = is[t][1] = is_q8 ? vdupq_n_s32(0) : vld1q_dup_s32(&pr[b].seed[t]);
        }
        if (is_q8) {
            X8_R8_Q8_RUN(0, 0, 1);
            X8_R8_Q8_RUN(1, 2, 3);
            X8_R8_Q8_RUN(2, 0, 1);
            X8_R8_Q8_RUN(3, 2, 3);
        } else {
            X8_R8_Q4_RUN(0, 0, 1);
            X8_R8_Q4_RUN(1, 2, 3);
        }
        const float16x8_t d16 = vreinterpretq_f16_u16(vld1q_u16((const uint16_t *)gp));
        const float32x4_t dx[2] = {vcvt_f32_f16(vget_low_f16(d16)), vcvt_high_f32_f16(d16)};
        L1__UNROLL for (int t = 0; t < NT; t++) {
            const float dyt = pr[b].dy[t];
            L1__UNROLL for (int h = 0; h < 2; h++)
                acc[t][h] = vfmaq_f32(acc[t][h], vcvtq_f32_s32(is[t][h]), vmulq_n_f32(dx[h], dyt));
        }
    }
    for (int t = 0; t < NT; t++)
        for (int h = 0; h < 2; h++) vst1q_f32(s + (size_t)t * lds + 4 * h, acc[t][h]);
}
#undef X8_R8_SDOT2
#undef X8_R8_Q8_RUN
#undef X8_R8_Q4_RUN

L1__AI void x8_q32(int is_q8, int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng,
                      const void *y, size_t by, int nt) {
    const int64_t nb = n / L1_QK32;
    const size_t bb = is_q8 ? 16 + 256 : 16 + 128;
    x8_q32_prep prep[ARM_X8_CHUNK32];
    for (int64_t b0 = 0; b0 < nb; b0 += ARM_X8_CHUNK32) {
        const int64_t nbc = nb - b0 < ARM_X8_CHUNK32 ? nb - b0 : ARM_X8_CHUNK32;
        for (int t = 0; t < nt; t++) {
            const l1__block_q8_0 *yt = (const l1__block_q8_0 *)((const uint8_t *)y + (size_t)t * by) + b0;
            for (int64_t b = 0; b < nbc; b++) {
                x8_q32_prep *p = &prep[b];
                p->dy[t] = f16(yt[b].d);
                p->seed[t] = is_q8 ? 0 : -8 * (vaddlvq_s8(vld1q_s8(yt[b].qs)) + vaddlvq_s8(vld1q_s8(yt[b].qs + 16)));
                memcpy(p->qs[t], yt[b].qs, L1_QK32);
            }
        }
        /* The lanes past nt of a 4-token load, never used, zero. */
        for (int t = nt; t % 4; t++)
            for (int64_t b = 0; b < nbc; b++) prep[b].dy[t] = 0.0f, prep[b].seed[t] = 0;
        for (int64_t g = 0; g < ng; g++) {
            const uint8_t *gp = (const uint8_t *)xp + (size_t)g * gbytes + (size_t)b0 * bb;
            if (nt <= 2) {
                if (nt == 2) x8_q32_rows8(is_q8, 2, nbc, s + 8 * g, lds, gp, b0 == 0, prep);
                else x8_q32_rows8(is_q8, 1, nbc, s + 8 * g, lds, gp, b0 == 0, prep);
                continue;
            }
            for (int rh = 0; rh < 2; rh++) {
                float *sg = s + 8 * g + 4 * rh;
#define X8_Q32(NT) x8_q32_rows4(is_q8, NT, nbc, sg, lds, gp, rh, b0 == 0, prep)
                L1__X8_BY_NT(nt, X8_Q32);
#undef X8_Q32
            }
        }
    }
}

/* GCC's scheduler before register allocation starts every token's chain
 * of the 3..8 token body at once, which leaves no registers for paired
 * activation loads and spills a scale to the stack: 133 instructions per
 * block and half for 8 tokens.  In source order the body takes 125.  The
 * 1-2 token body is faster scheduled, so each type has two entry points. */
#if defined(__GNUC__) && !defined(__clang__)
#  define X8_SOURCE_ORDER __attribute__((optimize("no-schedule-insns")))
#else
#  define X8_SOURCE_ORDER
#endif

static X8_SOURCE_ORDER void x8_q4_0_many(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng,
                                        const void *y, size_t by, int nt) {
    x8_q32(0, n, s, lds, xp, gbytes, ng, y, by, nt);
}
static X8_SOURCE_ORDER void x8_q8_0_many(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng,
                                        const void *y, size_t by, int nt) {
    x8_q32(1, n, s, lds, xp, gbytes, ng, y, by, nt);
}

static void x8_q4_0(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, const void *y,
                    size_t by, int nt) {
    if (nt > 2) x8_q4_0_many(n, s, lds, xp, gbytes, ng, y, by, nt);
    else x8_q32(0, n, s, lds, xp, gbytes, ng, y, by, nt);
}

static void x8_q8_0(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, const void *y,
                    size_t by, int nt) {
    if (nt > 2) x8_q8_0_many(n, s, lds, xp, gbytes, ng, y, by, nt);
    else x8_q32(1, n, s, lds, xp, gbytes, ng, y, by, nt);
}

/* ---- Q4_K and Q6_K ------------------------------------------------------------------ */

typedef struct {
    float dy;
    int32_t sum[8]; /* Q4_K: the activation code sum of each 32-value sub-block */
} x8_k_prep;

/* Q4_K group-block: u16 d[8] at 0, dmin[8] at 16; u8 sc[8][8] at 32 and
 * mn[8][8] at 96 (sub-block j, row r); qs at 160: chunk c, vector m, row
 * r: row r's qs[32c + 4m ..], whose low nibbles are values 64c + 4m .. of
 * sub-block 2c and high nibbles values 64c + 32 + 4m .. of sub-block
 * 2c + 1. */
L1__AI void x8_q4_K_rows4(int NT, int64_t nbc, float *s, size_t lds, const uint8_t *gp, int rh, int first,
                             const x8_k_prep *prep, const l1__block_q8_K *const *ys) {
    const size_t bb = 32 + 128 + 1024;
    float32x4_t acc[L1__X8_MAX_TOKENS];
    X8_ACC_LOAD(acc, NT, s, lds, first);
    for (int64_t b = 0; b < nbc; b++, gp += bb) {
        int32x4_t isum[L1__X8_MAX_TOKENS];
        L1__UNROLL for (int t = 0; t < NT; t++) isum[t] = vdupq_n_s32(0);
        L1__UNROLL for (int c = 0; c < 4; c++) {
            const int32x4_t sc0 = x8_u8x4(gp + 32 + 8 * (2 * c), rh), sc1 = x8_u8x4(gp + 32 + 8 * (2 * c + 1), rh);
            L1__UNROLL for (int half = 0; half < 2; half++) {
                int8x16_t lo[4], hi[4];
                L1__UNROLL for (int i = 0; i < 4; i++) {
                    const uint8x16_t v = vld1q_u8(gp + 160 + 256 * c + 32 * (4 * half + i) + 16 * rh);
                    lo[i] = s8(vandq_u8(v, vdupq_n_u8(0x0F)));
                    hi[i] = s8(vshrq_n_u8(v, 4));
                }
                L1__UNROLL for (int t = 0; t < NT; t++) {
                    const int8_t *ya = ys[t][b].qs + 64 * c + 16 * half;
                    int32x4_t a = vdupq_n_s32(0), bq = vdupq_n_s32(0);
                    X8_SDOT4(a, lo[0], lo[1], lo[2], lo[3], vld1q_s8(ya));
                    X8_SDOT4(bq, hi[0], hi[1], hi[2], hi[3], vld1q_s8(ya + 32));
                    isum[t] = vmlaq_s32(vmlaq_s32(isum[t], a, sc0), bq, sc1);
                }
            }
        }
        int32x4_t mn[8];
        L1__UNROLL for (int j = 0; j < 8; j++) mn[j] = x8_u8x4(gp + 96 + 8 * j, rh);
        const float32x4_t dx = x8_f16x4(gp + 8 * rh), dmx = x8_f16x4(gp + 16 + 8 * rh);
        L1__UNROLL for (int t = 0; t < NT; t++) {
            const x8_k_prep *p = &prep[t * ARM_X8_CHUNKK + b];
            int32x4_t ms = vmulq_n_s32(mn[0], p->sum[0]);
            L1__UNROLL for (int j = 1; j < 8; j++) ms = vmlaq_n_s32(ms, mn[j], p->sum[j]);
            acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(isum[t]), vmulq_n_f32(dx, p->dy));
            acc[t] = vfmsq_f32(acc[t], vcvtq_f32_s32(ms), vmulq_n_f32(dmx, p->dy));
        }
    }
    X8_ACC_STORE(acc, NT, s, lds);
}

/* Q6_K 6-bit codes (minus 32) of value range k (0..3), byte by byte: low 4
 * bits from the ql bytes l4 (nibble k / 2), high 2 bits from the qh bytes
 * hb (bit pair k), moved to bits 4-5. */
L1__AI int8x16_t x8_q6_combine(uint8x16_t l4, uint8x16_t hb, int k) {
    const uint8x16_t lo = k < 2 ? vandq_u8(l4, vdupq_n_u8(0x0F)) : vshrq_n_u8(l4, 4);
    const uint8x16_t hi = k == 0   ? vshlq_n_u8(hb, 4)
                          : k == 1 ? vshlq_n_u8(hb, 2)
                          : k == 2 ? hb
                                   : vshrq_n_u8(hb, 2);
    return vsubq_s8(s8(vorrq_u8(lo, vandq_u8(hi, vdupq_n_u8(0x30)))), vdupq_n_s8(32));
}
/* Those codes for vector m of range k in half h of a Q6_K group-block:
 * ql from range k % 2 of the half, qh vector m. */
L1__AI int8x16_t x8_q6_codes(const uint8_t *gp, int h, int k, int m, int rh) {
    return x8_q6_combine(vld1q_u8(gp + 144 + 512 * h + 32 * (8 * (k % 2) + m) + 16 * rh),
                         vld1q_u8(gp + 1168 + 256 * h + 32 * m + 16 * rh), k);
}

/* Q6_K group-block: u16 d[8] at 0; i8 sc[16][8] at 16; ql at 144 (half h,
 * vector m < 16, row r: row r's ql[64h + 4m ..]); qh at 1168 (half h,
 * vector m < 8, row r: row r's qh[32h + 4m ..]).  Sub-block j = 8h + 2k +
 * m / 4 holds values 128h + 32k + 4m .. */
L1__AI void x8_q6_K_rows4(int NT, int64_t nbc, float *s, size_t lds, const uint8_t *gp, int rh, int first,
                             const x8_k_prep *prep, const l1__block_q8_K *const *ys) {
    const size_t bb = 16 + 128 + 1024 + 512;
    float32x4_t acc[L1__X8_MAX_TOKENS];
    X8_ACC_LOAD(acc, NT, s, lds, first);
    for (int64_t b = 0; b < nbc; b++, gp += bb) {
        int32x4_t isum[L1__X8_MAX_TOKENS];
        L1__UNROLL for (int t = 0; t < NT; t++) isum[t] = vdupq_n_s32(0);
        L1__UNROLL for (int h = 0; h < 2; h++)
            L1__UNROLL for (int k = 0; k < 4; k++)
                L1__UNROLL for (int half = 0; half < 2; half++) {
                    int8x16_t q[4];
                    L1__UNROLL for (int i = 0; i < 4; i++) q[i] = x8_q6_codes(gp, h, k, 4 * half + i, rh);
                    const int32x4_t sc = x8_s8x4(gp + 16 + 8 * (8 * h + 2 * k + half), rh);
                    L1__UNROLL for (int t = 0; t < NT; t++) {
                        int32x4_t a = vdupq_n_s32(0);
                        X8_SDOT4(a, q[0], q[1], q[2], q[3], vld1q_s8(ys[t][b].qs + 128 * h + 32 * k + 16 * half));
                        isum[t] = vmlaq_s32(isum[t], a, sc);
                    }
                }
        const float32x4_t dx = x8_f16x4(gp + 8 * rh);
        L1__UNROLL for (int t = 0; t < NT; t++)
            acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(isum[t]), vmulq_n_f32(dx, prep[t * ARM_X8_CHUNKK + b].dy));
    }
    X8_ACC_STORE(acc, NT, s, lds);
}

L1__AI void x8_k(int is_q6, int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng,
                    const void *y, size_t by, int nt) {
    const int64_t nb = n / L1_QK_K;
    const size_t bb = is_q6 ? 16 + 128 + 1024 + 512 : 32 + 128 + 1024;
    const l1__block_q8_K *ys[L1__X8_MAX_TOKENS];
    x8_k_prep prep[L1__X8_MAX_TOKENS * ARM_X8_CHUNKK];
    for (int64_t b0 = 0; b0 < nb; b0 += ARM_X8_CHUNKK) {
        const int64_t nbc = nb - b0 < ARM_X8_CHUNKK ? nb - b0 : ARM_X8_CHUNKK;
        for (int t = 0; t < nt; t++) {
            ys[t] = (const l1__block_q8_K *)((const uint8_t *)y + (size_t)t * by) + b0;
            for (int64_t b = 0; b < nbc; b++) {
                x8_k_prep *p = &prep[t * ARM_X8_CHUNKK + b];
                p->dy = ys[t][b].d;
                for (int j = 0; j < 8; j++) p->sum[j] = ys[t][b].bsums[2 * j] + ys[t][b].bsums[2 * j + 1];
            }
        }
        for (int64_t g = 0; g < ng; g++) {
            const uint8_t *gp = (const uint8_t *)xp + (size_t)g * gbytes + (size_t)b0 * bb;
            for (int rh = 0; rh < 2; rh++) {
                float *sg = s + 8 * g + 4 * rh;
#define X8_Q4K(NT) x8_q4_K_rows4(NT, nbc, sg, lds, gp, rh, b0 == 0, prep, ys)
#define X8_Q6K(NT) x8_q6_K_rows4(NT, nbc, sg, lds, gp, rh, b0 == 0, prep, ys)
                if (is_q6) L1__X8_BY_NT(nt, X8_Q6K);
                else L1__X8_BY_NT(nt, X8_Q4K);
#undef X8_Q4K
#undef X8_Q6K
            }
        }
    }
}

static void x8_q4_K(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, const void *y,
                    size_t by, int nt) {
    x8_k(0, n, s, lds, xp, gbytes, ng, y, by, nt);
}

static void x8_q6_K(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, const void *y,
                    size_t by, int nt) {
    x8_k(1, n, s, lds, xp, gbytes, ng, y, by, nt);
}

static void arm_fill_x8(l1__kernels *k) {
    k->x8[L1_TYPE_Q4_0] = x8_q4_0;
    k->x8[L1_TYPE_Q8_0] = x8_q8_0;
    k->x8[L1_TYPE_Q4_K] = x8_q4_K;
    k->x8[L1_TYPE_Q6_K] = x8_q6_K;
}

#endif /* L1_KERNELS_ARM_X8_H */
