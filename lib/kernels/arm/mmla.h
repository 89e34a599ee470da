/*
 * arm/mmla.h - x8 kernels for Q4_0, Q8_0, Q4_K and Q6_K on the int8
 * matrix-multiply extension (i8mm: smmla, vmmlaq_s32), for products of
 * 3..8 tokens (prompts, batched decode).  Fewer tokens take arm/x8.h's
 * sdot bodies.
 *
 * smmla multiplies a 2 x 8 block of signed bytes by the transpose of
 * another: four lanes, (row 0, token 0), (row 0, token 1), (row 1,
 * token 0), (row 1, token 1), each gaining 8 products, where sdot by lane
 * gains 4 in each of 4 lanes: twice the products per instruction.  Its
 * operands need each row's 8 bytes side by side.  In the x8 layout a
 * 16-byte half-vector m holds 4 bytes of each of 4 rows, so a 32-bit zip
 * of vectors m and m + 1 gives rows 0 and 1 with their activation bytes
 * 4m .. 4m + 7, and the other zip rows 2 and 3; the zips are made once
 * per block and used by every pair of tokens.  The tokens' side is
 * prepared once per chunk of blocks: per pair of tokens and 8-byte step,
 * the first token's 8 bytes then the second's.  An odd last token pairs
 * with a token of zero codes, whose lanes are never stored.
 *
 * The integer block sums are exact (Q4_0's offset 8 through the seed, as
 * in arm/x8.h; Q4_K's and Q6_K's sub-block scales applied to each
 * sub-block's sums), and each (row, token) lane's float steps are the
 * definition of repack.h, s = fma((float)isum, d * dy, s) (and Q4_K's
 * mins step), with d and dy placed in the lane's order: the same bits as
 * every other x8 kernel.
 */
#ifndef L1_KERNELS_ARM_MMLA_H
#define L1_KERNELS_ARM_MMLA_H

#include "kernels/arm/x8.h"

#if !defined(__ARM_FEATURE_MATMUL_INT8)
#  error "arm/mmla.h needs the int8 matrix-multiply extension (+i8mm)"
#endif

#define MM_PAIRS (L1__X8_MAX_TOKENS / 2)

/* Block b of a chunk for the token pairs: qs[p][j] is token 2p's
 * activation bytes 8j .. 8j + 7 then token 2p + 1's; dy and seed hold
 * (token 2p, token 2p + 1, token 2p, token 2p + 1), the order of an
 * smmla's lanes. */
typedef struct {
    int8_t qs[MM_PAIRS][4][16];
    float dy[MM_PAIRS][4];
    int32_t seed[MM_PAIRS][4];
} mm_q32_prep;

/* (x[0], x[0], x[1], x[1]) and (x[2], x[2], x[3], x[3]): a per-row value
 * of 4 rows in the lane order of rows (0, 1) and of rows (2, 3). */
L1__AI void mm_rows_pairs_s32(int32x4_t x, int32x4_t *a, int32x4_t *b) {
    *a = vzip1q_s32(x, x);
    *b = vzip2q_s32(x, x);
}
L1__AI void mm_rows_pairs_f32(float32x4_t x, float32x4_t *a, float32x4_t *b) {
    *a = vzip1q_f32(x, x);
    *b = vzip2q_f32(x, x);
}

/* The 16 bytes at q and at q + 32 (x8 half-vectors m and m + 1: 4 bytes
 * of each of 4 rows) zipped in 32-bit units: *a holds rows 0 and 1 with 8
 * bytes each, *b rows 2 and 3. */
L1__AI void mm_zip_rows(const uint8_t *q, uint8x16_t *a, uint8x16_t *b) {
    const uint32x4_t v0 = vreinterpretq_u32_u8(vld1q_u8(q)), v1 = vreinterpretq_u32_u8(vld1q_u8(q + 32));
    *a = vreinterpretq_u8_u32(vzip1q_u32(v0, v1));
    *b = vreinterpretq_u8_u32(vzip2q_u32(v0, v1));
}

/* The running sums of 4 rows for NT tokens, as pairs of tokens in
 * smmla's lane order: acc[p][0] = (row 0, token 2p), (row 0, token 2p + 1),
 * (row 1, token 2p), (row 1, token 2p + 1); acc[p][1] the same for rows 2
 * and 3.  Zero at the first chunk, else what the previous chunk stored
 * (tokens past NT read as zero, never stored). */
L1__AI void mm_acc_load(float32x4_t acc[][2], int NT, const float *s, size_t lds, int first) {
    L1__UNROLL for (int p = 0; p < (NT + 1) / 2; p++) {
        if (first) {
            acc[p][0] = acc[p][1] = vdupq_n_f32(0.0f);
        } else {
            const float32x4_t x0 = vld1q_f32(s + (size_t)(2 * p) * lds);
            const float32x4_t x1 = 2 * p + 1 < NT ? vld1q_f32(s + (size_t)(2 * p + 1) * lds) : vdupq_n_f32(0.0f);
            acc[p][0] = vzip1q_f32(x0, x1);
            acc[p][1] = vzip2q_f32(x0, x1);
        }
    }
}

/* Back to rows side by side per token: lanes 0 and 2 of both halves are
 * the pair's first token, lanes 1 and 3 its second. */
L1__AI void mm_acc_store(float32x4_t acc[][2], int NT, float *s, size_t lds) {
    L1__UNROLL for (int p = 0; p < (NT + 1) / 2; p++) {
        vst1q_f32(s + (size_t)(2 * p) * lds, vuzp1q_f32(acc[p][0], acc[p][1]));
        if (2 * p + 1 < NT) vst1q_f32(s + (size_t)(2 * p + 1) * lds, vuzp2q_f32(acc[p][0], acc[p][1]));
    }
}

/* *ia += rows (0, 1) x one token pair over 32 bytes, *ib the same for rows
 * (2, 3): 4 smmla steps of 8 bytes each (wa[i], wb[i] against a.val[i]). */
L1__AI void mm_smmla4(int32x4_t *ia, int32x4_t *ib, const int8x16_t *wa, const int8x16_t *wb, int8x16x4_t a) {
    L1__UNROLL for (int i = 0; i < 4; i++) {
        *ia = vmmlaq_s32(*ia, wa[i], a.val[i]);
        *ib = vmmlaq_s32(*ib, wb[i], a.val[i]);
    }
}

/* Rows 4rh .. 4rh + 3 of one group over nbc blocks from gp, for NT (3..8)
 * tokens prepared in pr: the pair p's sums in acc[p][0] (rows 0, 1) and
 * acc[p][1] (rows 2, 3), lanes in smmla's order. */
L1__AI void mm_q32_rows4(int is_q8, int NT, int64_t nbc, float *s, size_t lds, const uint8_t *gp, int rh,
                         int first, const mm_q32_prep *pr) {
    enum { NP_MAX = MM_PAIRS };
    const int np = (NT + 1) / 2;
    const size_t bb = is_q8 ? 16 + 256 : 16 + 128;
    float32x4_t acc[NP_MAX][2];
    mm_acc_load(acc, NT, s, lds, first);
    for (int64_t b = 0; b < nbc; b++, gp += bb, pr++) {
        /* wa[j]: rows 0 and 1 with the bytes that meet activation bytes
         * 8j .. 8j + 7; wb[j]: rows 2 and 3.  Stored vector m holds each
         * row's 4 bytes for activation bytes 4m .. 4m + 3 (Q4_0: its low
         * nibbles; its high nibbles meet 16 + 4m ..), so a 32-bit zip of
         * vectors 2j and 2j + 1 gives rows 0, 1 and rows 2, 3 (Q4_0's
         * nibbles split after the zip). */
        int8x16_t wa[4], wb[4];
        L1__UNROLL for (int j = 0; j < 4; j++) {
            if (!is_q8 && j >= 2) break;
            uint8x16_t za, zb;
            mm_zip_rows(gp + 16 + 32 * (2 * j) + 16 * rh, &za, &zb);
            if (is_q8) {
                wa[j] = s8(za);
                wb[j] = s8(zb);
            } else {
                /* Codes 0..15; their offset 8 comes back through the seed. */
                wa[j] = s8(vandq_u8(za, vdupq_n_u8(0x0F)));
                wb[j] = s8(vandq_u8(zb, vdupq_n_u8(0x0F)));
                wa[j + 2] = s8(vshrq_n_u8(za, 4));
                wb[j + 2] = s8(vshrq_n_u8(zb, 4));
            }
        }
        float32x4_t dxa, dxb;
        mm_rows_pairs_f32(x8_f16x4(gp + 8 * rh), &dxa, &dxb);
        L1__UNROLL for (int p = 0; p < np; p++) {
            const int8x16x4_t a = vld1q_s8_x4(&pr->qs[p][0][0]);
            int32x4_t ia = is_q8 ? vdupq_n_s32(0) : vld1q_s32(pr->seed[p]);
            int32x4_t ib = ia;
            mm_smmla4(&ia, &ib, wa, wb, a);
            const float32x4_t dy = vld1q_f32(pr->dy[p]);
            acc[p][0] = vfmaq_f32(acc[p][0], vcvtq_f32_s32(ia), vmulq_f32(dxa, dy));
            acc[p][1] = vfmaq_f32(acc[p][1], vcvtq_f32_s32(ib), vmulq_f32(dxb, dy));
        }
    }
    mm_acc_store(acc, NT, s, lds);
}

/* x8_q32 of arm/x8.h for 3..8 tokens, on smmla. */
L1__AI void mm_q32(int is_q8, int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng,
                   const void *y, size_t by, int nt) {
    const int64_t nb = n / L1_QK32;
    const size_t bb = is_q8 ? 16 + 256 : 16 + 128;
    mm_q32_prep prep[ARM_X8_CHUNK32];
    for (int64_t b0 = 0; b0 < nb; b0 += ARM_X8_CHUNK32) {
        const int64_t nbc = nb - b0 < ARM_X8_CHUNK32 ? nb - b0 : ARM_X8_CHUNK32;
        for (int p = 0; p < (nt + 1) / 2; p++) {
            /* Token 2p and token 2p + 1 (or zero codes) side by side. */
            const l1__block_q8_0 *y0 = (const l1__block_q8_0 *)((const uint8_t *)y + (size_t)(2 * p) * by) + b0;
            const l1__block_q8_0 *y1 =
                2 * p + 1 < nt ? (const l1__block_q8_0 *)((const uint8_t *)y + (size_t)(2 * p + 1) * by) + b0 : NULL;
            for (int64_t b = 0; b < nbc; b++) {
                mm_q32_prep *pp = &prep[b];
                const int8x16_t a0 = vld1q_s8(y0[b].qs), a1 = vld1q_s8(y0[b].qs + 16);
                const int8x16_t c0 = y1 ? vld1q_s8(y1[b].qs) : vdupq_n_s8(0);
                const int8x16_t c1 = y1 ? vld1q_s8(y1[b].qs + 16) : vdupq_n_s8(0);
                int8x16x4_t q;
                q.val[0] = vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a0), vreinterpretq_s64_s8(c0)));
                q.val[1] = vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a0), vreinterpretq_s64_s8(c0)));
                q.val[2] = vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a1), vreinterpretq_s64_s8(c1)));
                q.val[3] = vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a1), vreinterpretq_s64_s8(c1)));
                vst1q_s8_x4(&pp->qs[p][0][0], q);
                const float d0 = f16(y0[b].d), d1 = y1 ? f16(y1[b].d) : 0.0f;
                pp->dy[p][0] = pp->dy[p][2] = d0;
                pp->dy[p][1] = pp->dy[p][3] = d1;
                if (!is_q8) {
                    const int32_t s0 = -8 * (vaddlvq_s8(a0) + vaddlvq_s8(a1));
                    const int32_t s1 = -8 * (vaddlvq_s8(c0) + vaddlvq_s8(c1));
                    pp->seed[p][0] = pp->seed[p][2] = s0;
                    pp->seed[p][1] = pp->seed[p][3] = s1;
                }
            }
        }
        for (int64_t g = 0; g < ng; g++) {
            const uint8_t *gp = (const uint8_t *)xp + (size_t)g * gbytes + (size_t)b0 * bb;
            for (int rh = 0; rh < 2; rh++) {
                float *sg = s + 8 * g + 4 * rh;
#define MM_Q32(NT) mm_q32_rows4(is_q8, NT, nbc, sg, lds, gp, rh, b0 == 0, prep)
                L1__X8_BY_NT(nt, MM_Q32);
#undef MM_Q32
            }
        }
    }
}

/* ---- Q4_K ------------------------------------------------------------------------ */

#define MM_CHUNKK 8 /* 256-value blocks per chunk of prepared activation data */

/* Block b of a chunk for the token pairs: qs[p][j][i] is token 2p's
 * activation bytes 32j + 8i .. 32j + 8i + 7 (sub-block j, step i) then
 * token 2p + 1's.  The code sums S of the 8 sub-blocks (|S| <= 32 * 128)
 * as S = 256 hi + lo with lo and hi signed bytes (|hi| <= 16): lo[p] is
 * token 2p's 8 lo then token 2p + 1's, hi[p] likewise, the second operand
 * of an smmla against 8 mins per row.  dy: the scales in smmla's lane
 * order (as mm_q32_prep). */
typedef struct {
    int8_t qs[MM_PAIRS][8][4][16];
    int8_t lo[MM_PAIRS][16], hi[MM_PAIRS][16];
    float dy[MM_PAIRS][4];
} mm_k_prep;

/* Byte r of the 8 mins of sub-block j sits at 8j + r of a group-block's
 * 64 min bytes; rows (0, 1) and rows (2, 3) of half rh with their 8 mins
 * side by side, the first operand of a usmmla.  Indices of vqtbl4q_u8. */
static const uint8_t mm_mins_index[2][2][16] = {
    {{0, 8, 16, 24, 32, 40, 48, 56, 1, 9, 17, 25, 33, 41, 49, 57},
     {2, 10, 18, 26, 34, 42, 50, 58, 3, 11, 19, 27, 35, 43, 51, 59}},
    {{4, 12, 20, 28, 36, 44, 52, 60, 5, 13, 21, 29, 37, 45, 53, 61},
     {6, 14, 22, 30, 38, 46, 54, 62, 7, 15, 23, 31, 39, 47, 55, 63}},
};

/* x8_q4_K_rows4 of arm/x8.h on smmla: rows 4rh .. 4rh + 3 of one group
 * over nbc blocks, NT (3..8) tokens prepared in pr. */
L1__AI void mm_q4_K_rows4(int NT, int64_t nbc, float *s, size_t lds, const uint8_t *gp, int rh, int first,
                          const mm_k_prep *pr) {
    enum { NP_MAX = MM_PAIRS };
    const int np = (NT + 1) / 2;
    const size_t bb = 32 + 128 + 1024;
    float32x4_t acc[NP_MAX][2];
    mm_acc_load(acc, NT, s, lds, first);
    for (int64_t b = 0; b < nbc; b++, gp += bb, pr++) {
        int32x4_t isum[NP_MAX][2];
        L1__UNROLL for (int p = 0; p < np; p++) isum[p][0] = isum[p][1] = vdupq_n_s32(0);
        L1__UNROLL for (int c = 0; c < 4; c++) {
            /* Rows 0, 1 and rows 2, 3 of chunk c zipped once: 8 values of
             * each row per vector, both nibbles. */
            uint8x16_t za[4], zb[4];
            L1__UNROLL for (int i = 0; i < 4; i++) mm_zip_rows(gp + 160 + 256 * c + 32 * (2 * i) + 16 * rh, &za[i], &zb[i]);
            /* Sub-block j = 2c + nib: chunk c's low nibbles, then its high. */
            L1__UNROLL for (int nib = 0; nib < 2; nib++) {
                const int j = 2 * c + nib;
                int32x4_t sca, scb;
                mm_rows_pairs_s32(x8_u8x4(gp + 32 + 8 * j, rh), &sca, &scb);
                int8x16_t wa[4], wb[4];
                L1__UNROLL for (int i = 0; i < 4; i++) {
                    wa[i] = s8(nib ? vshrq_n_u8(za[i], 4) : vandq_u8(za[i], vdupq_n_u8(0x0F)));
                    wb[i] = s8(nib ? vshrq_n_u8(zb[i], 4) : vandq_u8(zb[i], vdupq_n_u8(0x0F)));
                }
                L1__UNROLL for (int p = 0; p < np; p++) {
                    const int8x16x4_t a = vld1q_s8_x4(&pr->qs[p][j][0][0]);
                    int32x4_t ia = vdupq_n_s32(0), ib = vdupq_n_s32(0);
                    mm_smmla4(&ia, &ib, wa, wb, a);
                    isum[p][0] = vmlaq_s32(isum[p][0], ia, sca);
                    isum[p][1] = vmlaq_s32(isum[p][1], ib, scb);
                }
            }
        }
        /* The mins sums, sum_j min_j * S_j = 256 (mins . hi) + mins . lo:
         * two usmmla (unsigned mins, signed bytes) per pair of rows. */
        const uint8x16x4_t mins = vld1q_u8_x4(gp + 96);
        const uint8x16_t mna = vqtbl4q_u8(mins, vld1q_u8(mm_mins_index[rh][0]));
        const uint8x16_t mnb = vqtbl4q_u8(mins, vld1q_u8(mm_mins_index[rh][1]));
        float32x4_t dxa, dxb, dma, dmb;
        mm_rows_pairs_f32(x8_f16x4(gp + 8 * rh), &dxa, &dxb);
        mm_rows_pairs_f32(x8_f16x4(gp + 16 + 8 * rh), &dma, &dmb);
        L1__UNROLL for (int p = 0; p < np; p++) {
            const int8x16_t lo = vld1q_s8(pr->lo[p]), hi = vld1q_s8(pr->hi[p]);
            int32x4_t msa = vshlq_n_s32(vusmmlaq_s32(vdupq_n_s32(0), mna, hi), 8);
            int32x4_t msb = vshlq_n_s32(vusmmlaq_s32(vdupq_n_s32(0), mnb, hi), 8);
            msa = vusmmlaq_s32(msa, mna, lo);
            msb = vusmmlaq_s32(msb, mnb, lo);
            const float32x4_t dy = vld1q_f32(pr->dy[p]);
            acc[p][0] = vfmaq_f32(acc[p][0], vcvtq_f32_s32(isum[p][0]), vmulq_f32(dxa, dy));
            acc[p][0] = vfmsq_f32(acc[p][0], vcvtq_f32_s32(msa), vmulq_f32(dma, dy));
            acc[p][1] = vfmaq_f32(acc[p][1], vcvtq_f32_s32(isum[p][1]), vmulq_f32(dxb, dy));
            acc[p][1] = vfmsq_f32(acc[p][1], vcvtq_f32_s32(msb), vmulq_f32(dmb, dy));
        }
    }
    mm_acc_store(acc, NT, s, lds);
}

/* ---- Q6_K ------------------------------------------------------------------------ */

/* x8_q6_K_rows4 of arm/x8.h on smmla: rows 4rh .. 4rh + 3 of one group
 * over nbc blocks, NT (3..8) tokens prepared in pr (mm_k_prep: Q6_K's
 * 16-value sub-block j is steps 2 (j % 2) and 2 (j % 2) + 1 of the
 * 32-value record j / 2).  The stored vectors of half h and m < 8 are
 * zipped in pairs (m, m + 1) before the codes are put together by
 * x8_q6_combine (arm/x8.h), which works byte by byte. */
L1__AI void mm_q6_K_rows4(int NT, int64_t nbc, float *s, size_t lds, const uint8_t *gp, int rh, int first,
                          const mm_k_prep *pr) {
    enum { NP_MAX = MM_PAIRS };
    const int np = (NT + 1) / 2;
    const size_t bb = 16 + 128 + 1024 + 512;
    float32x4_t acc[NP_MAX][2];
    mm_acc_load(acc, NT, s, lds, first);
    for (int64_t b = 0; b < nbc; b++, gp += bb, pr++) {
        int32x4_t isum[NP_MAX][2];
        L1__UNROLL for (int p = 0; p < np; p++) isum[p][0] = isum[p][1] = vdupq_n_s32(0);
        L1__UNROLL for (int h = 0; h < 2; h++)
            L1__UNROLL for (int half = 0; half < 2; half++) {
                /* lz[r][u]: ql range r's vectors (4 half + 2u, + 1) zipped,
                 * rows 0, 1 then rows 2, 3; hz[u] the same of qh. */
                uint8x16_t lz[2][2][2], hz[2][2];
                L1__UNROLL for (int u = 0; u < 2; u++) {
                    const int m = 4 * half + 2 * u;
                    L1__UNROLL for (int r = 0; r < 2; r++)
                        mm_zip_rows(gp + 144 + 512 * h + 32 * (8 * r + m) + 16 * rh, &lz[r][u][0], &lz[r][u][1]);
                    mm_zip_rows(gp + 1168 + 256 * h + 32 * m + 16 * rh, &hz[u][0], &hz[u][1]);
                }
                L1__UNROLL for (int k = 0; k < 4; k++) {
                    /* w[u][e]: step u of the sub-block, rows 0, 1 (e = 0) or 2, 3. */
                    int8x16_t w[2][2];
                    L1__UNROLL for (int u = 0; u < 2; u++)
                        L1__UNROLL for (int e = 0; e < 2; e++) w[u][e] = x8_q6_combine(lz[k % 2][u][e], hz[u][e], k);
                    const int j = 8 * h + 2 * k + half;
                    int32x4_t sca, scb;
                    mm_rows_pairs_s32(x8_s8x4(gp + 16 + 8 * j, rh), &sca, &scb);
                    L1__UNROLL for (int p = 0; p < np; p++) {
                        const int8x16x2_t a = vld1q_s8_x2(&pr->qs[p][j / 2][2 * (j % 2)][0]);
                        int32x4_t ia = vmmlaq_s32(vdupq_n_s32(0), w[0][0], a.val[0]);
                        int32x4_t ib = vmmlaq_s32(vdupq_n_s32(0), w[0][1], a.val[0]);
                        ia = vmmlaq_s32(ia, w[1][0], a.val[1]);
                        ib = vmmlaq_s32(ib, w[1][1], a.val[1]);
                        isum[p][0] = vmlaq_s32(isum[p][0], ia, sca);
                        isum[p][1] = vmlaq_s32(isum[p][1], ib, scb);
                    }
                }
            }
        float32x4_t dxa, dxb;
        mm_rows_pairs_f32(x8_f16x4(gp + 8 * rh), &dxa, &dxb);
        L1__UNROLL for (int p = 0; p < np; p++) {
            const float32x4_t dy = vld1q_f32(pr->dy[p]);
            acc[p][0] = vfmaq_f32(acc[p][0], vcvtq_f32_s32(isum[p][0]), vmulq_f32(dxa, dy));
            acc[p][1] = vfmaq_f32(acc[p][1], vcvtq_f32_s32(isum[p][1]), vmulq_f32(dxb, dy));
        }
    }
    mm_acc_store(acc, NT, s, lds);
}

/* x8_k of arm/x8.h for Q4_K and Q6_K and 3..8 tokens, on smmla. */
L1__AI void mm_k(int is_q6, int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng,
                 const void *y, size_t by, int nt) {
    const int64_t nb = n / L1_QK_K;
    const size_t bb = is_q6 ? 16 + 128 + 1024 + 512 : 32 + 128 + 1024;
    mm_k_prep prep[MM_CHUNKK];
    for (int64_t b0 = 0; b0 < nb; b0 += MM_CHUNKK) {
        const int64_t nbc = nb - b0 < MM_CHUNKK ? nb - b0 : MM_CHUNKK;
        for (int t = 0; t < 2 * ((nt + 1) / 2); t++) {
            const int p = t / 2, side = t % 2;
            const l1__block_q8_K *yt = (const l1__block_q8_K *)((const uint8_t *)y + (size_t)t * by) + b0;
            for (int64_t b = 0; b < nbc; b++) {
                mm_k_prep *pp = &prep[b];
                const bool live = t < nt;
                for (int j = 0; j < 8; j++) {
                    for (int i = 0; i < 4; i++) {
                        int8_t *dst = &pp->qs[p][j][i][8 * side];
                        if (live) memcpy(dst, yt[b].qs + 32 * j + 8 * i, 8);
                        else memset(dst, 0, 8);
                    }
                    const int32_t sum = live ? yt[b].bsums[2 * j] + yt[b].bsums[2 * j + 1] : 0;
                    const int8_t lo = (int8_t)(((sum + 128) & 0xFF) - 128);
                    pp->lo[p][8 * side + j] = lo;
                    pp->hi[p][8 * side + j] = (int8_t)((sum - lo) / 256);
                }
                pp->dy[p][side] = pp->dy[p][side + 2] = live ? yt[b].d : 0.0f;
            }
        }
        for (int64_t g = 0; g < ng; g++) {
            const uint8_t *gp = (const uint8_t *)xp + (size_t)g * gbytes + (size_t)b0 * bb;
            for (int rh = 0; rh < 2; rh++) {
                float *sg = s + 8 * g + 4 * rh;
#define MM_Q4K(NT) mm_q4_K_rows4(NT, nbc, sg, lds, gp, rh, b0 == 0, prep)
#define MM_Q6K(NT) mm_q6_K_rows4(NT, nbc, sg, lds, gp, rh, b0 == 0, prep)
                if (is_q6) L1__X8_BY_NT(nt, MM_Q6K);
                else L1__X8_BY_NT(nt, MM_Q4K);
#undef MM_Q4K
#undef MM_Q6K
            }
        }
    }
}

/* ---- entry points ---------------------------------------------------------------- */

/* 3..8 tokens of a Q4_0, Q4_K or Q6_K product, each in its own function
 * compiled in source order (X8_SOURCE_ORDER, arm/x8.h): each pair's smmla
 * chains finish before the next pair's start, and fewer accumulators go to
 * the stack (instructions per prefill token under qemu: Q4_0 18.0 -> 17.0
 * M, Q4_K 17.7 -> 17.3 M, Q6_K 28.0 -> 26.8 M).  Q8_0, with no unpacking,
 * measured better scheduled and runs from mm_x8. */
#define MM_ORDERED(name, call)                                                                                  \
    static X8_SOURCE_ORDER void name(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, \
                                     const void *y, size_t by, int nt) {                                        \
        call;                                                                                                   \
    }
MM_ORDERED(mm_q4_0_many, mm_q32(0, n, s, lds, xp, gbytes, ng, y, by, nt))
MM_ORDERED(mm_q4_K_many, mm_k(0, n, s, lds, xp, gbytes, ng, y, by, nt))
MM_ORDERED(mm_q6_K_many, mm_k(1, n, s, lds, xp, gbytes, ng, y, by, nt))
#undef MM_ORDERED

/* A product over x8 weights of type `type`: 3..8 tokens on smmla, 1..2
 * (decode) on arm/x8.h's sdot bodies.  Inlined into each entry point, so
 * the type is a constant there and every body is compiled for its own
 * type (with the type a variable, decode of Q8_0 took 33.5 -> 48.3 M
 * instructions per token under qemu). */
L1__AI void mm_x8(uint32_t type, int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng,
                  const void *y, size_t by, int nt) {
    const bool q32 = type == L1_TYPE_Q4_0 || type == L1_TYPE_Q8_0;
    if (nt <= 2) {
        if (q32) x8_q32(type == L1_TYPE_Q8_0, n, s, lds, xp, gbytes, ng, y, by, nt);
        else x8_k(type == L1_TYPE_Q6_K, n, s, lds, xp, gbytes, ng, y, by, nt);
    } else if (type == L1_TYPE_Q8_0) {
        mm_q32(1, n, s, lds, xp, gbytes, ng, y, by, nt);
    } else if (type == L1_TYPE_Q4_0) {
        mm_q4_0_many(n, s, lds, xp, gbytes, ng, y, by, nt);
    } else if (type == L1_TYPE_Q4_K) {
        mm_q4_K_many(n, s, lds, xp, gbytes, ng, y, by, nt);
    } else {
        mm_q6_K_many(n, s, lds, xp, gbytes, ng, y, by, nt);
    }
}

#define MM_ENTRY(name, type)                                                                                    \
    static void name(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, const void *y, \
                     size_t by, int nt) {                                                                       \
        mm_x8(type, n, s, lds, xp, gbytes, ng, y, by, nt);                                                      \
    }
MM_ENTRY(mm_q4_0, L1_TYPE_Q4_0)
MM_ENTRY(mm_q8_0, L1_TYPE_Q8_0)
MM_ENTRY(mm_q4_K, L1_TYPE_Q4_K)
MM_ENTRY(mm_q6_K, L1_TYPE_Q6_K)
#undef MM_ENTRY

/* The i8mm tier's x8 kernels over the NEON tier's. */
static void arm_fill_mmla(l1__kernels *k) {
    k->x8[L1_TYPE_Q4_0] = mm_q4_0;
    k->x8[L1_TYPE_Q8_0] = mm_q8_0;
    k->x8[L1_TYPE_Q4_K] = mm_q4_K;
    k->x8[L1_TYPE_Q6_K] = mm_q6_K;
}

#endif /* L1_KERNELS_ARM_MMLA_H */
