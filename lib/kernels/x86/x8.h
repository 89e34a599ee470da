/*
 * x86/x8.h - x86 kernels over the x8 weight layouts of repack.h, for the
 * same two tiers as dot.h (primitives from common.h).
 *
 * A call computes s[t * lds + 8g + r] for groups g < ng (8 rows each) and
 * tokens t < nt (1..L1__X8_MAX_TOKENS).  Vector lane r is row r of the
 * group: 4 activation bytes broadcast to every lane meet 4 bytes of each
 * row, so each lane accumulates its row's exact integer block sum, and a
 * block is scaled with one convert and one FMA for 8 rows.  Per block the
 * weights are loaded and unpacked once for all nt tokens.
 *
 * What depends only on the activations (block scales, the sums that carry
 * code offsets and K-format mins) is prepared once per call for every
 * token, in chunks of blocks to bound the stack: a call walks the chunks
 * outermost, and between chunks each row's running sum waits in s (an
 * exact store and reload, so the order of operations of each row is the
 * plain sequence of repack.h).
 *
 * With more than one token, the AVX-512 tier takes groups in pairs in
 * 512-bit vectors (lanes 0-7 one group, 8-15 the next): a broadcast and an
 * instruction then serve 16 rows, which is what multi-token products were
 * short of (the one-group body spends a broadcast load per 8-row product).
 * Each row's arithmetic is unchanged, so every path gives the same bits.
 *
 * The AVX2 tier emulates vpdpbusd with maddubs + madd, which saturates on
 * (255 * 127) * 2: Q8_0 (codes biased to 0..255) takes the signed codes'
 * magnitudes against sign-flipped activations there (x8_q8_0_tokens); the
 * 4- and 6-bit codes stay below 64 and are exact in both tiers.
 */
#ifndef L1_KERNELS_X86_X8_H
#define L1_KERNELS_X86_X8_H

#include "kernels/repack.h"
#include "kernels/x86/common.h"
#include "quant/quant_blocks.h"

#define X8_CHUNK32 128 /* 32-value blocks per chunk */

/* The 8 row sums of group g for each of the nt tokens. */
L1__AI void x8_store(float *s, size_t lds, int64_t g, const __m256 *acc, int nt) {
    for (int t = 0; t < nt; t++) _mm256_storeu_ps(s + (size_t)t * lds + 8 * g, acc[t]);
}

/* The loops every x8 body shares: over the ng groups of 8 rows (their
 * running sums acc[t], read back from s after the first chunk) and over
 * the chunk's nbc blocks of each (bb bytes at gp, prefetched ahead); BLOCK
 * is one block's work on acc. */
#define X8_GROUPS(NT, bb, ...)                                                                \
    for (int64_t g = 0; g < ng; g++) {                                                        \
        const uint8_t *gp = xp + (size_t)g * gbytes + (size_t)nb0 * (bb);                     \
        __m256 acc[L1__X8_MAX_TOKENS];                                                        \
        for (int t = 0; t < (NT); t++) acc[t] = x8_load_acc(s + (size_t)t * lds + 8 * g, nb0 == 0); \
        for (int64_t b = 0; b < nbc; b++, gp += (bb)) {                                       \
            prefetch_block(gp + L1__PREFETCH_AHEAD, (bb));                                    \
            __VA_ARGS__                                                                       \
        }                                                                                     \
        x8_store(s, lds, g, acc, NT);                                                         \
    }

/* An x8 kernel's driver: the activation rows of the nt tokens, then per
 * chunk of CHUNK blocks the preparation of every (token, block) and the
 * bodies for the token count.  FLAG selects the variant (a constant after
 * inlining). */
#define X8_DRIVER(NAME, FLAG, YT, QK, CHUNK, PREPT, PREPARE, BODIES)                                  \
    L1__AI void NAME(int FLAG, int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, \
                     const void *y, size_t by, int nt) {                                              \
        const int64_t nb = n / (QK);                                                                  \
        const YT *ys[L1__X8_MAX_TOKENS];                                                              \
        for (int t = 0; t < nt; t++) ys[t] = (const YT *)((const uint8_t *)y + (size_t)t * by);       \
        PREPT prep[L1__X8_MAX_TOKENS * (CHUNK)];                                                      \
        for (int64_t b0 = 0; b0 < nb; b0 += (CHUNK)) {                                                \
            const int64_t nbc = nb - b0 < (CHUNK) ? nb - b0 : (CHUNK);                                \
            for (int t = 0; t < nt; t++)                                                              \
                for (int64_t b = 0; b < nbc; b++) PREPARE(FLAG, &ys[t][b0 + b], &prep[t * (CHUNK) + b]); \
            BODIES(FLAG, nt, b0, nbc, s, lds, xp, gbytes, ng, prep, ys);                              \
        }                                                                                             \
    }

#define X8_CHUNKK 32   /* 256-value blocks per chunk */

L1__AI __m256i bcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

L1__AI __m256 x8_load_acc(const float *s, int first) { return first ? _mm256_setzero_ps() : _mm256_loadu_ps(s); }

/* ---- Q4_0 and Q8_0 ---------------------------------------------------------------- */

typedef struct {
    float dy;
    int32_t seed; /* minus the code offset times the sum of the activation codes */
} x8_q32_prep;

L1__AI void x8_q32_body(int is_q8, int NT, int64_t nb0, int64_t nbc, float *s, size_t lds, const uint8_t *xp,
                        size_t gbytes, int64_t ng, const x8_q32_prep *prep, const l1__block_q8_0 *const *ys) {
    const size_t bb = is_q8 ? 16 + 256 : 16 + 128;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    X8_GROUPS(NT, bb, {
        const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gp));
        __m256i w[8];
        if (is_q8) {
            L1__UNROLL for (int m = 0; m < 8; m++) w[m] = loadu256(gp + 16 + 32 * m);
        } else {
            L1__UNROLL for (int m = 0; m < 4; m++) {
                const __m256i v = loadu256(gp + 16 + 32 * m);
                w[m] = _mm256_and_si256(v, m4);
                w[m + 4] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
            }
        }
        L1__UNROLL for (int t = 0; t < NT; t++) {
            const int8_t *ya = ys[t][nb0 + b].qs;
            const x8_q32_prep *p = &prep[t * X8_CHUNK32 + b];
            /* Two chains: vectors 0-3 and 4-7 (activation bytes 0-15 and 16-31). */
            __m256i i0 = _mm256_set1_epi32(p->seed), i1 = _mm256_setzero_si256();
            if (!L1__X86_VNNI && !is_q8) {
                /* AVX2, 4-bit codes: the 8 maddubs products add in i16
                 * (|sum| <= 8 * 2 * 15 * 128 = 30720) and widen once:
                 * the same integer as the dpbusd chains. */
                __m256i h0 = _mm256_setzero_si256(), h1 = _mm256_setzero_si256();
                L1__UNROLL for (int m = 0; m < 4; m++) {
                    h0 = dpbusd16(h0, w[m], bcast4(ya + 4 * m));
                    h1 = dpbusd16(h1, w[m + 4], bcast4(ya + 16 + 4 * m));
                }
                i1 = _mm256_madd_epi16(_mm256_add_epi16(h0, h1), _mm256_set1_epi16(1));
            } else {
                L1__UNROLL for (int m = 0; m < 4; m++) {
                    i0 = dpbusd(i0, w[m], bcast4(ya + 4 * m));
                    i1 = dpbusd(i1, w[m + 4], bcast4(ya + 16 + 4 * m));
                }
            }
            const __m256 sc = _mm256_mul_ps(dx, _mm256_set1_ps(p->dy));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(i0, i1)), sc, acc[t]);
        }
    });
}

/* Per activation block: its scale and the seed that removes the weight
 * code offset (Q8_0 biased to u8: 128; Q4_0: 8) times the code sum. */
L1__AI void x8_q32_prepare(int is_q8, const l1__block_q8_0 *yb, x8_q32_prep *p) {
    const int32_t off = is_q8 ? 128 : 8;
    const __m256i sums = dpbusd(_mm256_setzero_si256(), _mm256_set1_epi8(1), loadu256(yb->qs));
    p->dy = f16(yb->d);
    p->seed = -off * hsum_epi32(sums);
}

#if !L1__X86_VNNI
/* Q8_0 on AVX2, where maddubs would saturate on the biased codes
 * (255 * 127 * 2 > 32767): each signed code w (the stored byte xor 0x80)
 * enters as |w| (unsigned, <= 128) against the activation byte with w's
 * sign, so each product is w * y; an activation byte of a finite row lies
 * within [-127, 127] (the Q8_0 quantizer maps a block's largest magnitude
 * to 127), so the sign flip cannot wrap and a pair of products stays within
 * 2 * 128 * 127 = 32512, which one madd widens exactly.  No offset seed:
 * the sum is the signed one.  The same integers as dpbusd's with the seed
 * and the same float steps, so the same bits as the VNNI tier. */
L1__AI void x8_q8_0_tokens(int NT, int64_t nb0, int64_t nbc, float *s, size_t lds, const uint8_t *xp,
                           size_t gbytes, int64_t ng, const x8_q32_prep *prep, const l1__block_q8_0 *const *ys) {
    const size_t bb = 16 + 256;
    const __m256i flip = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
    X8_GROUPS(NT, bb, {
        __m256i w[8], a[8];
        L1__UNROLL for (int m = 0; m < 8; m++) {
            w[m] = _mm256_xor_si256(loadu256(gp + 16 + 32 * m), flip);
            a[m] = _mm256_abs_epi8(w[m]);
        }
        const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gp));
        for (int t = 0; t < NT; t++) {
            const int8_t *ya = ys[t][nb0 + b].qs;
            __m256i i0 = _mm256_setzero_si256(), i1 = _mm256_setzero_si256();
            L1__UNROLL for (int m = 0; m < 8; m += 2) {
                i0 = _mm256_add_epi32(i0, _mm256_madd_epi16(_mm256_maddubs_epi16(a[m], _mm256_sign_epi8(bcast4(ya + 4 * m), w[m])), ones));
                i1 = _mm256_add_epi32(i1, _mm256_madd_epi16(_mm256_maddubs_epi16(a[m + 1], _mm256_sign_epi8(bcast4(ya + 4 * m + 4), w[m + 1])), ones));
            }
            const __m256 sc = _mm256_mul_ps(dx, _mm256_set1_ps(prep[t * X8_CHUNK32 + b].dy));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(i0, i1)), sc, acc[t]);
        }
    });
}
#endif

#if L1__X86_VNNI
/* The AVX-512 tier takes two groups (16 rows) at a time in 512-bit
 * vectors, lanes 0-7 group g and 8-15 group g + 1: one activation
 * broadcast and one instruction then advance 16 rows, where the one-group
 * body spends a broadcast load per 8-row product, and the block scaling is
 * one convert, multiply and FMA per token for 16 rows.  The integer sums
 * and each row's float steps are those of the one-group body, so the
 * results are the same bits. */
L1__AI __m512i x8_pair_load(const uint8_t *p, const uint8_t *q) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(loadu256(p)), loadu256(q), 1);
}

/* The pair's 16 f16 row scales at byte offset off of each group-block. */
L1__AI __m512 x8_pair_f16(const uint8_t *p, const uint8_t *q, size_t off) {
    return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(p + off))),
                                                   _mm_loadu_si128((const __m128i *)(q + off)), 1));
}

/* Four activation bytes broadcast to every 32-bit lane. */
L1__AI __m512i bcast4_512(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/* What a pair body prefetches: the same block of the next pair of groups
 * (2 * gbytes on; prefetches never fault, so the last pair's run past the
 * matrix is harmless), lines [l0, l0 + nl) of its bb bytes in each group,
 * into L2.  The next pair is what the pair body reads next in every shape,
 * where a fixed distance (L1__PREFETCH_AHEAD, x86/common.h) lands inside
 * the current pair's second group for short rows and leaves the two
 * streams of long rows waiting.  The bodies spread a block's lines over
 * its steps: issued together at the top of a block, the same prefetches
 * cost about 7% even on weights already in L2.  Measured with
 * bench/bench_x8 -n 8960 (8 tokens, one thread, weights streamed from
 * DRAM), GMAC/s before -> after: Q4_0 80-92 -> 166, Q8_0 57-70 -> 100-103,
 * Q4_K 99-108 -> 140-143, Q6_K 67-73 -> 102. */
L1__AI void x8_pair_prefetch(const uint8_t *p, const uint8_t *q, size_t bb, size_t l0, size_t nl) {
    for (size_t o = 64 * l0; o < 64 * (l0 + nl) && o < bb; o += 64) {
        _mm_prefetch((const char *)p + o, _MM_HINT_T1);
        _mm_prefetch((const char *)q + o, _MM_HINT_T1);
    }
}

L1__AI void x8_q32_pair(int is_q8, int NT, int64_t nb0, int64_t nbc, float *s, size_t lds, const uint8_t *xp,
                        size_t gbytes, int64_t g, const x8_q32_prep *prep, const l1__block_q8_0 *const *ys) {
    const size_t bb = is_q8 ? 16 + 256 : 16 + 128;
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const uint8_t *gp = xp + (size_t)g * gbytes + (size_t)nb0 * bb, *gq = gp + gbytes;
    __m512 acc[L1__X8_MAX_TOKENS];
    for (int t = 0; t < NT; t++)
        acc[t] = nb0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(s + (size_t)t * lds + 8 * g);
    for (int64_t b = 0; b < nbc; b++, gp += bb, gq += bb) {
        __m512i is[L1__X8_MAX_TOKENS];
        L1__UNROLL for (int t = 0; t < NT; t++) is[t] = _mm512_set1_epi32(prep[t * X8_CHUNK32 + b].seed);
        if (is_q8) {
            L1__UNROLL for (int m = 0; m < 8; m++) {
                x8_pair_prefetch(gp + 2 * gbytes, gq + 2 * gbytes, bb, (size_t)m, 1);
                const __m512i w = x8_pair_load(gp + 16 + 32 * m, gq + 16 + 32 * m);
                L1__UNROLL for (int t = 0; t < NT; t++)
                    is[t] = _mm512_dpbusd_epi32(is[t], w, bcast4_512(ys[t][nb0 + b].qs + 4 * m));
            }
        } else {
            L1__UNROLL for (int m = 0; m < 4; m++) {
                x8_pair_prefetch(gp + 2 * gbytes, gq + 2 * gbytes, bb, (size_t)m, 1);
                const __m512i w = x8_pair_load(gp + 16 + 32 * m, gq + 16 + 32 * m);
                const __m512i wl = _mm512_and_si512(w, m4), wh = _mm512_and_si512(_mm512_srli_epi16(w, 4), m4);
                L1__UNROLL for (int t = 0; t < NT; t++) {
                    is[t] = _mm512_dpbusd_epi32(is[t], wl, bcast4_512(ys[t][nb0 + b].qs + 4 * m));
                    is[t] = _mm512_dpbusd_epi32(is[t], wh, bcast4_512(ys[t][nb0 + b].qs + 16 + 4 * m));
                }
            }
        }
        const __m512 dx = x8_pair_f16(gp, gq, 0);
        L1__UNROLL for (int t = 0; t < NT; t++) {
            const __m512 sc = _mm512_mul_ps(dx, _mm512_set1_ps(prep[t * X8_CHUNK32 + b].dy));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is[t]), sc, acc[t]);
        }
    }
    for (int t = 0; t < NT; t++) _mm512_storeu_ps(s + (size_t)t * lds + 8 * g, acc[t]);
}

/* Pairs of groups; an odd last group goes through the one-group body. */
L1__AI void x8_q32_bodies(int is_q8, int nt, int64_t b0, int64_t nbc, float *s, size_t lds, const void *xp,
                          size_t gbytes, int64_t ng, const x8_q32_prep *prep, const l1__block_q8_0 *const *ys) {
#define X8_Q32_PAIR(NT) x8_q32_pair(is_q8, NT, b0, nbc, s, lds, xp, gbytes, g, prep, ys)
    /* One token (decode) reads each weight once whatever the shape, and
     * stays with the one-group body tuned for streaming. */
    const int64_t np = nt > 1 ? ng / 2 : 0;
    for (int64_t g = 0; g < 2 * np; g += 2) L1__X8_BY_NT(nt, X8_Q32_PAIR);
#undef X8_Q32_PAIR
    if (2 * np == ng) return;
    const uint8_t *last = (const uint8_t *)xp + (size_t)(2 * np) * gbytes;
    float *sl = s + 16 * np;
#define X8_Q32_BODY(NT) x8_q32_body(is_q8, NT, b0, nbc, sl, lds, last, gbytes, ng - 2 * np, prep, ys)
    L1__X8_BY_NT(nt, X8_Q32_BODY);
#undef X8_Q32_BODY
}
#else
L1__AI void x8_q32_bodies(int is_q8, int nt, int64_t b0, int64_t nbc, float *s, size_t lds, const void *xp,
                          size_t gbytes, int64_t ng, const x8_q32_prep *prep, const l1__block_q8_0 *const *ys) {
#define X8_Q32_BODY(NT) x8_q32_body(is_q8, NT, b0, nbc, s, lds, xp, gbytes, ng, prep, ys)
#define X8_Q8_0_TOKENS(NT) x8_q8_0_tokens(NT, b0, nbc, s, lds, xp, gbytes, ng, prep, ys)
    if (is_q8)
        L1__X8_BY_NT(nt, X8_Q8_0_TOKENS);
    else
        L1__X8_BY_NT(nt, X8_Q32_BODY);
#undef X8_Q8_0_TOKENS
#undef X8_Q32_BODY
}
#endif

X8_DRIVER(x8_q32, is_q8, l1__block_q8_0, L1_QK32, X8_CHUNK32, x8_q32_prep, x8_q32_prepare, x8_q32_bodies)

static void x8_q4_0(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, const void *y,
                    size_t by, int nt) {
    x8_q32(0, n, s, lds, xp, gbytes, ng, y, by, nt);
}

static void x8_q8_0(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, const void *y,
                    size_t by, int nt) {
    x8_q32(1, n, s, lds, xp, gbytes, ng, y, by, nt);
}

/* ---- Q4_K and Q6_K ------------------------------------------------------------------ */

typedef struct {
    float dy;
    int32_t v[16]; /* Q4_K: i16 pairs of 32-value code sums (sub-blocks 2k, 2k+1) in v[k];
                      Q6_K, VNNI tier: -32 times each 16-value code sum */
} x8_k_prep;

/* Q4_K mins of a group-block: lane r of mk[k] = (mn[2k][r], mn[2k+1][r])
 * as i16. */
L1__AI void x8_q4_K_mins(const uint8_t *gp, __m256i *mk) {
    L1__UNROLL for (int k = 0; k < 4; k++)
        mk[k] = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(gp + 96 + 16 * k)),
                                                       _mm_loadl_epi64((const __m128i *)(gp + 104 + 16 * k))));
}

/* One token's Q4_K block step on the 8 rows' sums: the scaled integer sum
 * isum, less the mins (mk) times the token's group sums, each scaled by
 * its f16 row scales (dx, dmx) times the activation scale. */
L1__AI __m256 x8_q4_K_step(__m256 acc, __m256i isum, const __m256i *mk, const x8_k_prep *p, __m256 dx, __m256 dmx) {
    __m256i ms = _mm256_madd_epi16(mk[0], _mm256_set1_epi32(p->v[0]));
    L1__UNROLL for (int k = 1; k < 4; k++) ms = _mm256_add_epi32(ms, _mm256_madd_epi16(mk[k], _mm256_set1_epi32(p->v[k])));
    const __m256 dyv = _mm256_set1_ps(p->dy);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(dx, dyv), acc);
    return _mm256_fnmadd_ps(_mm256_cvtepi32_ps(ms), _mm256_mul_ps(dmx, dyv), acc);
}

L1__AI void x8_q4_K_body(int NT, int64_t nb0, int64_t nbc, float *s, size_t lds, const uint8_t *xp, size_t gbytes,
                         int64_t ng, const x8_k_prep *prep, const l1__block_q8_K *const *ys) {
    const size_t bb = 32 + 128 + 1024;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    X8_GROUPS(NT, bb, {
        __m256i isum[L1__X8_MAX_TOKENS];
        for (int t = 0; t < NT; t++) isum[t] = _mm256_setzero_si256();
        /* Per chunk c (sub-blocks 2c and 2c + 1), in two halves of 4
         * vectors so that few registers hold unpacked codes. */
        L1__UNROLL for (int c = 0; c < 4; c++) {
            __m256i sa[L1__X8_MAX_TOKENS], sb[L1__X8_MAX_TOKENS];
            L1__UNROLL for (int half = 0; half < 2; half++) {
                __m256i lo[4], hi[4];
                L1__UNROLL for (int i = 0; i < 4; i++) {
                    const __m256i v = loadu256(gp + 160 + 256 * c + 32 * (4 * half + i));
                    lo[i] = _mm256_and_si256(v, m4);
                    hi[i] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
                }
                L1__UNROLL for (int t = 0; t < NT; t++) {
                    const int8_t *ya = ys[t][nb0 + b].qs + 64 * c + 16 * half;
                    __m256i a = half ? sa[t] : _mm256_setzero_si256();
                    __m256i bq = half ? sb[t] : _mm256_setzero_si256();
                    /* AVX2: a sub-block's 8 maddubs products stay in i16
                     * (codes <= 15, |y| <= 128: |sum| <= 8 * 2 * 15 * 128
                     * = 30720), the same integers as dpbusd's. */
                    L1__UNROLL for (int i = 0; i < 4; i++) {
                        if (L1__X86_VNNI) {
                            a = dpbusd(a, lo[i], bcast4(ya + 4 * i));
                            bq = dpbusd(bq, hi[i], bcast4(ya + 32 + 4 * i));
                        } else {
                            a = dpbusd16(a, lo[i], bcast4(ya + 4 * i));
                            bq = dpbusd16(bq, hi[i], bcast4(ya + 32 + 4 * i));
                        }
                    }
                    sa[t] = a;
                    sb[t] = bq;
                }
            }
            const __m256i sc0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(gp + 32 + 16 * c)));
            const __m256i sc1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(gp + 40 + 16 * c)));
            if (L1__X86_VNNI) {
                L1__UNROLL for (int t = 0; t < NT; t++) {
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(sa[t], sc0));
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(sb[t], sc1));
                }
            } else {
                /* The scale (< 64) in both i16 halves of each lane: one
                 * madd gives (i16 pair sum) * scale, the product above. */
                const __m256i sw0 = _mm256_or_si256(sc0, _mm256_slli_epi32(sc0, 16));
                const __m256i sw1 = _mm256_or_si256(sc1, _mm256_slli_epi32(sc1, 16));
                L1__UNROLL for (int t = 0; t < NT; t++) {
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(sa[t], sw0));
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(sb[t], sw1));
                }
            }
        }
        __m256i mk[4];
        x8_q4_K_mins(gp, mk);
        const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gp));
        const __m256 dmx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(gp + 16)));
        L1__UNROLL for (int t = 0; t < NT; t++) acc[t] = x8_q4_K_step(acc[t], isum[t], mk, &prep[t * X8_CHUNKK + b], dx, dmx);
    });
}

/* Q6_K: the 6-bit codes of vector m (< 8) of half h and range k (< 4):
 * low nibbles from ql range k % 2 (nibble k / 2), high-bit pair k of qh. */
L1__AI __m256i x8_q6_K_codes(const uint8_t *gp, int h, int k, int m) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x30);
    const __m256i l4 = loadu256(gp + 144 + 512 * h + 32 * (8 * (k % 2) + m));
    const __m256i hb = loadu256(gp + 1168 + 256 * h + 32 * m);
    const __m256i lo = k < 2 ? _mm256_and_si256(l4, m4) : _mm256_and_si256(_mm256_srli_epi16(l4, 4), m4);
    const __m256i hi = k == 0   ? _mm256_slli_epi16(hb, 4)
                       : k == 1 ? _mm256_slli_epi16(hb, 2)
                       : k == 2 ? hb
                                : _mm256_srli_epi16(hb, 2);
    return _mm256_or_si256(lo, _mm256_and_si256(hi, m2));
}

/* AVX2: the code offset enters once per block, -32 times sum_j scale_j *
 * bsum_j, one madd per pair of sub-blocks: sp[m] holds the scale pairs
 * (2m, 2m + 1) of each row as i16 pairs (x8_q6_K_scale_pairs), and the
 * activation sums are broadcast as i16 pairs. */
L1__AI void x8_q6_K_scale_pairs(const uint8_t *gp, __m256i *sp) {
    L1__UNROLL for (int m = 0; m < 8; m++)
        sp[m] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(gp + 16 + 16 * m)),
                                                       _mm_loadl_epi64((const __m128i *)(gp + 24 + 16 * m))));
}

L1__AI __m256i x8_q6_K_offset(const __m256i *sp, const int16_t *bs) {
    __m256i o = _mm256_madd_epi16(sp[0], bcast4((const int8_t *)bs));
    L1__UNROLL for (int m = 1; m < 8; m++) o = _mm256_add_epi32(o, _mm256_madd_epi16(sp[m], bcast4((const int8_t *)(bs + 2 * m))));
    return _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(o, 5));
}

L1__AI void x8_q6_K_body(int NT, int64_t nb0, int64_t nbc, float *s, size_t lds, const uint8_t *xp, size_t gbytes,
                         int64_t ng, const x8_k_prep *prep, const l1__block_q8_K *const *ys) {
    const size_t bb = 16 + 128 + 1024 + 512;
    X8_GROUPS(NT, bb, {
        __m256i isum[L1__X8_MAX_TOKENS];
        if (L1__X86_VNNI) {
            for (int t = 0; t < NT; t++) isum[t] = _mm256_setzero_si256();
        } else {
            /* AVX2: the offset once per block; the sub-block sums below
             * are multiplied by their scales with madd. */
            __m256i sp[8];
            x8_q6_K_scale_pairs(gp, sp);
            L1__UNROLL for (int t = 0; t < NT; t++) isum[t] = x8_q6_K_offset(sp, ys[t][nb0 + b].bsums);
        }
        /* Sub-block j = 8h + 2k + half holds values 128h + 32k + 16 half
         * + 0..15: vectors m = 4 half + i (i < 4) of ql range k % 2 and
         * of qh, nibble k / 2 and high-bit pair k. */
        L1__UNROLL for (int h = 0; h < 2; h++)
            L1__UNROLL for (int half = 0; half < 2; half++)
                L1__UNROLL for (int k = 0; k < 4; k++) {
                    __m256i q[4];
                    L1__UNROLL for (int i = 0; i < 4; i++) q[i] = x8_q6_K_codes(gp, h, k, 4 * half + i);
                    const int j = 8 * h + 2 * k + half;
                    if (!L1__X86_VNNI) {
                        /* Codes <= 63, |y| <= 128: two maddubs products
                         * add in i16 (|sum| <= 2 * 2 * 63 * 128 = 32256). */
                        const __m128i s8 = _mm_loadl_epi64((const __m128i *)(gp + 16 + 8 * j));
                        const __m256i sw = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(s8, s8));
                        L1__UNROLL for (int t = 0; t < NT; t++) {
                            const int8_t *ya = ys[t][nb0 + b].qs + 128 * h + 32 * k + 16 * half;
                            const __m256i h0 = dpbusd16(_mm256_maddubs_epi16(q[0], bcast4(ya)), q[2], bcast4(ya + 8));
                            const __m256i h1 = dpbusd16(_mm256_maddubs_epi16(q[1], bcast4(ya + 4)), q[3], bcast4(ya + 12));
                            isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_madd_epi16(h0, sw),
                                                                                 _mm256_madd_epi16(h1, sw)));
                        }
                        continue;
                    }
                    const __m256i sc = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(gp + 16 + 8 * j)));
                    L1__UNROLL for (int t = 0; t < NT; t++) {
                        const int8_t *ya = ys[t][nb0 + b].qs + 128 * h + 32 * k + 16 * half;
                        __m256i a0 = _mm256_set1_epi32(prep[t * X8_CHUNKK + b].v[j]), a1 = _mm256_setzero_si256();
                        a0 = dpbusd(a0, q[0], bcast4(ya));
                        a1 = dpbusd(a1, q[1], bcast4(ya + 4));
                        a0 = dpbusd(a0, q[2], bcast4(ya + 8));
                        a1 = dpbusd(a1, q[3], bcast4(ya + 12));
                        isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(_mm256_add_epi32(a0, a1), sc));
                    }
                }
        const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gp));
        L1__UNROLL for (int t = 0; t < NT; t++) {
            const __m256 dyv = _mm256_set1_ps(prep[t * X8_CHUNKK + b].dy);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(dx, dyv), acc[t]);
        }
    });
}

#if !L1__X86_VNNI
/* AVX2 bodies for more than one token.  With 16 vector registers, the
 * one-group bodies above (every token's partial sums live at once beside
 * the unpacked codes) spill most products to the stack.  Here a block's
 * 2048 codes are unpacked once into codes[] (2 KB, which stays in L1), and
 * then each token runs alone with a handful of registers: codes[m] (8 rows
 * x 4 bytes) meets activation bytes 4m .. 4m + 3, and the maddubs products
 * of a sub-block add in i16 before one madd with its scale.  The integer
 * block sums are those of the one-group bodies and each row's float steps
 * are the same, so the results are the same bits. */
L1__AI void x8_q4_K_tokens(int NT, int64_t nb0, int64_t nbc, float *s, size_t lds, const uint8_t *xp,
                           size_t gbytes, int64_t ng, const x8_k_prep *prep, const l1__block_q8_K *const *ys) {
    const size_t bb = 32 + 128 + 1024;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    X8_GROUPS(NT, bb, {
        /* codes[8j + k]: sub-block j (values 32j ..), bytes 4k .. 4k + 3
         * of each row.  The low nibbles of chunk c hold sub-block 2c, the
         * high ones 2c + 1. */
        __m256i codes[64], sw[8], mk[4];
        L1__UNROLL for (int c = 0; c < 4; c++)
            L1__UNROLL for (int k = 0; k < 8; k++) {
                const __m256i v = loadu256(gp + 160 + 256 * c + 32 * k);
                codes[16 * c + k] = _mm256_and_si256(v, m4);
                codes[16 * c + 8 + k] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
            }
        /* Scale j (< 64) in both i16 halves of each row's lane. */
        L1__UNROLL for (int j = 0; j < 8; j++) {
            const __m256i sc = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(gp + 32 + 8 * j)));
            sw[j] = _mm256_or_si256(sc, _mm256_slli_epi32(sc, 16));
        }
        x8_q4_K_mins(gp, mk);
        const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gp));
        const __m256 dmx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(gp + 16)));
        for (int t = 0; t < NT; t++) {
            const int8_t *ya = ys[t][nb0 + b].qs;
            __m256i isum = _mm256_setzero_si256();
            L1__UNROLL for (int j = 0; j < 8; j++) {
                /* |sum| <= 8 * 2 * 15 * 128 = 30720: exact in i16. */
                __m256i a = _mm256_maddubs_epi16(codes[8 * j], bcast4(ya + 32 * j));
                L1__UNROLL for (int k = 1; k < 8; k++) a = dpbusd16(a, codes[8 * j + k], bcast4(ya + 32 * j + 4 * k));
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(a, sw[j]));
            }
            acc[t] = x8_q4_K_step(acc[t], isum, mk, &prep[t * X8_CHUNKK + b], dx, dmx);
        }
    });
}

L1__AI void x8_q6_K_tokens(int NT, int64_t nb0, int64_t nbc, float *s, size_t lds, const uint8_t *xp,
                           size_t gbytes, int64_t ng, const x8_k_prep *prep, const l1__block_q8_K *const *ys) {
    const size_t bb = 16 + 128 + 1024 + 512;
    X8_GROUPS(NT, bb, {
        /* codes[m], m = 32h + 8k + 4 half + i: the vector q[i] of
         * x8_q6_K_body's (h, half, k), which meets activation bytes 4m ..
         * 4m + 3; sub-block m / 4. */
        __m256i codes[64], sw[16], sp[8];
        L1__UNROLL for (int h = 0; h < 2; h++)
            L1__UNROLL for (int k = 0; k < 4; k++)
                L1__UNROLL for (int m = 0; m < 8; m++) codes[32 * h + 8 * k + m] = x8_q6_K_codes(gp, h, k, m);
        /* Scale j (signed) in both i16 halves of each row's lane. */
        L1__UNROLL for (int j = 0; j < 16; j++) {
            const __m128i s8 = _mm_loadl_epi64((const __m128i *)(gp + 16 + 8 * j));
            sw[j] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(s8, s8));
        }
        x8_q6_K_scale_pairs(gp, sp);
        const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gp));
        for (int t = 0; t < NT; t++) {
            const int8_t *ya = ys[t][nb0 + b].qs;
            __m256i isum = x8_q6_K_offset(sp, ys[t][nb0 + b].bsums);
            L1__UNROLL for (int j = 0; j < 16; j++) {
                /* Codes <= 63, |y| <= 128: two products add in i16
                 * (|sum| <= 2 * 2 * 63 * 128 = 32256). */
                const int8_t *yj = ya + 16 * j;
                const __m256i h0 = dpbusd16(_mm256_maddubs_epi16(codes[4 * j], bcast4(yj)), codes[4 * j + 2], bcast4(yj + 8));
                const __m256i h1 = dpbusd16(_mm256_maddubs_epi16(codes[4 * j + 1], bcast4(yj + 4)), codes[4 * j + 3], bcast4(yj + 12));
                isum = _mm256_add_epi32(isum, _mm256_add_epi32(_mm256_madd_epi16(h0, sw[j]), _mm256_madd_epi16(h1, sw[j])));
            }
            const __m256 dyv = _mm256_set1_ps(prep[t * X8_CHUNKK + b].dy);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(dx, dyv), acc[t]);
        }
    });
}
#endif

/* Per activation block: its scale and what carries the offsets: Q6_K's
 * -32 times each group sum; Q4_K's mins' group sums, two 32-value sums
 * packed as i16 pairs per 64 values. */
L1__AI void x8_k_prepare(int is_q6, const l1__block_q8_K *yb, x8_k_prep *p) {
    p->dy = yb->d;
    if (is_q6) {
        /* AVX2 takes the offset from bsums once per block (x8_q6_K_offset). */
        if (L1__X86_VNNI)
            for (int j = 0; j < 16; j++) p->v[j] = -32 * yb->bsums[j];
        return;
    }
    for (int k = 0; k < 4; k++) {
        const int32_t lo = yb->bsums[4 * k] + yb->bsums[4 * k + 1];
        const int32_t hi = yb->bsums[4 * k + 2] + yb->bsums[4 * k + 3];
        p->v[k] = (int32_t)((uint32_t)(uint16_t)(int16_t)lo | (uint32_t)(uint16_t)(int16_t)hi << 16);
    }
}

#if L1__X86_VNNI

/* v as computed so far, in a register: the compiler may not regroup the
 * additions into it across this point.  Without it GCC turns a block's 16
 * scaled sub-block sums into one tree of additions, which keeps every
 * token's partial sums alive at once and sends most of them through the
 * stack.  (Integer additions in any order give the same sum.) */
#define X8_KEEP(v) __asm__("" : "+v"(v))

/* 8 bytes at p then 8 at q: a pair's per-row bytes (scales, mins). */
L1__AI __m128i x8_pair_bytes(const uint8_t *p, const uint8_t *q) {
    return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)p), _mm_loadl_epi64((const __m128i *)q));
}

/* x8_q4_K_body on two groups in 512-bit vectors (see x8_q32_pair). */
L1__AI void x8_q4_K_pair(int NT, int64_t nb0, int64_t nbc, float *s, size_t lds, const uint8_t *xp, size_t gbytes,
                         int64_t g, const x8_k_prep *prep, const l1__block_q8_K *const *ys) {
    const size_t bb = 32 + 128 + 1024;
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const uint8_t *gp = xp + (size_t)g * gbytes + (size_t)nb0 * bb, *gq = gp + gbytes;
    __m512 acc[L1__X8_MAX_TOKENS];
    for (int t = 0; t < NT; t++)
        acc[t] = nb0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(s + (size_t)t * lds + 8 * g);
    for (int64_t b = 0; b < nbc; b++, gp += bb, gq += bb) {
        __m512i isum[L1__X8_MAX_TOKENS];
        for (int t = 0; t < NT; t++) isum[t] = _mm512_setzero_si512();
        L1__UNROLL for (int c = 0; c < 4; c++) {
            __m512i sa[L1__X8_MAX_TOKENS], sb[L1__X8_MAX_TOKENS];
            L1__UNROLL for (int half = 0; half < 2; half++) {
                /* 3 of the block's 19 lines per step, 8 steps. */
                x8_pair_prefetch(gp + 2 * gbytes, gq + 2 * gbytes, bb, 3 * (size_t)(2 * c + half), 3);
                __m512i lo[4], hi[4];
                L1__UNROLL for (int i = 0; i < 4; i++) {
                    const size_t o = 160 + 256 * (size_t)c + 32 * (size_t)(4 * half + i);
                    const __m512i v = x8_pair_load(gp + o, gq + o);
                    lo[i] = _mm512_and_si512(v, m4);
                    hi[i] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
                }
                L1__UNROLL for (int t = 0; t < NT; t++) {
                    const int8_t *ya = ys[t][nb0 + b].qs + 64 * c + 16 * half;
                    __m512i a = half ? sa[t] : _mm512_setzero_si512();
                    __m512i bq = half ? sb[t] : _mm512_setzero_si512();
                    L1__UNROLL for (int i = 0; i < 4; i++) {
                        a = _mm512_dpbusd_epi32(a, lo[i], bcast4_512(ya + 4 * i));
                        bq = _mm512_dpbusd_epi32(bq, hi[i], bcast4_512(ya + 32 + 4 * i));
                    }
                    sa[t] = a;
                    sb[t] = bq;
                }
            }
            const __m512i sc0 = _mm512_cvtepu8_epi32(x8_pair_bytes(gp + 32 + 16 * c, gq + 32 + 16 * c));
            const __m512i sc1 = _mm512_cvtepu8_epi32(x8_pair_bytes(gp + 40 + 16 * c, gq + 40 + 16 * c));
            L1__UNROLL for (int t = 0; t < NT; t++) {
                isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sa[t], sc0));
                isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sb[t], sc1));
                X8_KEEP(isum[t]);
            }
        }
        __m512i mk[4];
        L1__UNROLL for (int k = 0; k < 4; k++) {
            const __m128i ap = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(gp + 96 + 16 * k)),
                                                 _mm_loadl_epi64((const __m128i *)(gp + 104 + 16 * k)));
            const __m128i aq = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(gq + 96 + 16 * k)),
                                                 _mm_loadl_epi64((const __m128i *)(gq + 104 + 16 * k)));
            mk[k] = _mm512_cvtepu8_epi16(_mm256_inserti128_si256(_mm256_castsi128_si256(ap), aq, 1));
        }
        const __m512 dx = x8_pair_f16(gp, gq, 0), dmx = x8_pair_f16(gp, gq, 16);
        L1__UNROLL for (int t = 0; t < NT; t++) {
            const x8_k_prep *p = &prep[t * X8_CHUNKK + b];
            __m512i ms = _mm512_madd_epi16(mk[0], _mm512_set1_epi32(p->v[0]));
            L1__UNROLL for (int k = 1; k < 4; k++)
                ms = _mm512_add_epi32(ms, _mm512_madd_epi16(mk[k], _mm512_set1_epi32(p->v[k])));
            const __m512 dyv = _mm512_set1_ps(p->dy);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(dx, dyv), acc[t]);
            acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(ms), _mm512_mul_ps(dmx, dyv), acc[t]);
        }
    }
    for (int t = 0; t < NT; t++) _mm512_storeu_ps(s + (size_t)t * lds + 8 * g, acc[t]);
}

/* x8_q6_K_body on two groups in 512-bit vectors (see x8_q32_pair). */
L1__AI void x8_q6_K_pair(int NT, int64_t nb0, int64_t nbc, float *s, size_t lds, const uint8_t *xp, size_t gbytes,
                         int64_t g, const x8_k_prep *prep, const l1__block_q8_K *const *ys) {
    const size_t bb = 16 + 128 + 1024 + 512;
    const __m512i m4 = _mm512_set1_epi8(0x0F), m2 = _mm512_set1_epi8(0x30);
    const uint8_t *gp = xp + (size_t)g * gbytes + (size_t)nb0 * bb, *gq = gp + gbytes;
    __m512 acc[L1__X8_MAX_TOKENS];
    for (int t = 0; t < NT; t++)
        acc[t] = nb0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(s + (size_t)t * lds + 8 * g);
    for (int64_t b = 0; b < nbc; b++, gp += bb, gq += bb) {
        __m512i isum[L1__X8_MAX_TOKENS];
        for (int t = 0; t < NT; t++) isum[t] = _mm512_setzero_si512();
        L1__UNROLL for (int h = 0; h < 2; h++)
            L1__UNROLL for (int half = 0; half < 2; half++)
                L1__UNROLL for (int k = 0; k < 4; k++) {
                    /* 2 of the block's 27 lines per step, 16 steps. */
                    x8_pair_prefetch(gp + 2 * gbytes, gq + 2 * gbytes, bb, 2 * (size_t)(8 * h + 4 * half + k), 2);
                    __m512i q[4];
                    L1__UNROLL for (int i = 0; i < 4; i++) {
                        const int m = 4 * half + i;
                        const size_t ol = 144 + 512 * (size_t)h + 32 * (size_t)(8 * (k % 2) + m);
                        const size_t oh = 1168 + 256 * (size_t)h + 32 * (size_t)m;
                        const __m512i l4 = x8_pair_load(gp + ol, gq + ol);
                        const __m512i hb = x8_pair_load(gp + oh, gq + oh);
                        const __m512i lo = k < 2 ? _mm512_and_si512(l4, m4)
                                                 : _mm512_and_si512(_mm512_srli_epi16(l4, 4), m4);
                        const __m512i hi = k == 0   ? _mm512_slli_epi16(hb, 4)
                                           : k == 1 ? _mm512_slli_epi16(hb, 2)
                                           : k == 2 ? hb
                                                    : _mm512_srli_epi16(hb, 2);
                        q[i] = _mm512_or_si512(lo, _mm512_and_si512(hi, m2));
                    }
                    const int j = 8 * h + 2 * k + half;
                    const __m512i sc = _mm512_cvtepi8_epi32(x8_pair_bytes(gp + 16 + 8 * j, gq + 16 + 8 * j));
                    L1__UNROLL for (int t = 0; t < NT; t++) {
                        const int8_t *ya = ys[t][nb0 + b].qs + 128 * h + 32 * k + 16 * half;
                        __m512i a0 = _mm512_set1_epi32(prep[t * X8_CHUNKK + b].v[j]), a1 = _mm512_setzero_si512();
                        a0 = _mm512_dpbusd_epi32(a0, q[0], bcast4_512(ya));
                        a1 = _mm512_dpbusd_epi32(a1, q[1], bcast4_512(ya + 4));
                        a0 = _mm512_dpbusd_epi32(a0, q[2], bcast4_512(ya + 8));
                        a1 = _mm512_dpbusd_epi32(a1, q[3], bcast4_512(ya + 12));
                        isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(_mm512_add_epi32(a0, a1), sc));
                        X8_KEEP(isum[t]);
                    }
                }
        const __m512 dx = x8_pair_f16(gp, gq, 0);
        L1__UNROLL for (int t = 0; t < NT; t++) {
            const __m512 dyv = _mm512_set1_ps(prep[t * X8_CHUNKK + b].dy);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(dx, dyv), acc[t]);
        }
    }
    for (int t = 0; t < NT; t++) _mm512_storeu_ps(s + (size_t)t * lds + 8 * g, acc[t]);
}
#endif

L1__AI void x8_k_bodies(int is_q6, int nt, int64_t b0, int64_t nbc, float *s, size_t lds, const void *xp,
                        size_t gbytes, int64_t ng, const x8_k_prep *prep, const l1__block_q8_K *const *ys) {
    int64_t np = 0; /* pairs of groups taken by the AVX-512 pair bodies (tokens > 1, as for Q4_0) */
#if L1__X86_VNNI
    np = nt > 1 ? ng / 2 : 0;
    /* Every token in one pass: each block's codes are unpacked once (with
     * X8_KEEP, a token's sums take few registers beside them). */
#define X8_Q6_K_PAIR(NT) x8_q6_K_pair(NT, b0, nbc, s, lds, xp, gbytes, g, prep, ys)
#define X8_Q4_K_PAIR(NT) x8_q4_K_pair(NT, b0, nbc, s, lds, xp, gbytes, g, prep, ys)
    for (int64_t g = 0; g < 2 * np; g += 2) {
        if (is_q6)
            L1__X8_BY_NT(nt, X8_Q6_K_PAIR);
        else
            L1__X8_BY_NT(nt, X8_Q4_K_PAIR);
    }
#undef X8_Q6_K_PAIR
#undef X8_Q4_K_PAIR
#endif
    if (2 * np == ng) return;
    const uint8_t *rest = (const uint8_t *)xp + (size_t)(2 * np) * gbytes;
    float *sr = s + 16 * np;
#define X8_Q6_K_BODY(NT) x8_q6_K_body(NT, b0, nbc, sr, lds, rest, gbytes, ng - 2 * np, prep, ys)
#define X8_Q4_K_BODY(NT) x8_q4_K_body(NT, b0, nbc, sr, lds, rest, gbytes, ng - 2 * np, prep, ys)
#if !L1__X86_VNNI
    /* AVX2: one token (decode) streams through the one-group bodies, more
     * go through the token-at-a-time bodies. */
#define X8_Q6_K_TOKENS(NT) x8_q6_K_tokens(NT, b0, nbc, sr, lds, rest, gbytes, ng - 2 * np, prep, ys)
#define X8_Q4_K_TOKENS(NT) x8_q4_K_tokens(NT, b0, nbc, sr, lds, rest, gbytes, ng - 2 * np, prep, ys)
    if (nt == 1) {
        if (is_q6)
            X8_Q6_K_BODY(1);
        else
            X8_Q4_K_BODY(1);
    } else if (is_q6) {
        L1__X8_BY_NT(nt, X8_Q6_K_TOKENS);
    } else {
        L1__X8_BY_NT(nt, X8_Q4_K_TOKENS);
    }
#undef X8_Q6_K_TOKENS
#undef X8_Q4_K_TOKENS
#else
    if (is_q6)
        L1__X8_BY_NT(nt, X8_Q6_K_BODY);
    else
        L1__X8_BY_NT(nt, X8_Q4_K_BODY);
#endif
#undef X8_Q6_K_BODY
#undef X8_Q4_K_BODY
}

X8_DRIVER(x8_k, is_q6, l1__block_q8_K, L1_QK_K, X8_CHUNKK, x8_k_prep, x8_k_prepare, x8_k_bodies)

static void x8_q4_K(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, const void *y,
                    size_t by, int nt) {
    x8_k(0, n, s, lds, xp, gbytes, ng, y, by, nt);
}

static void x8_q6_K(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng, const void *y,
                    size_t by, int nt) {
    x8_k(1, n, s, lds, xp, gbytes, ng, y, by, nt);
}

static void x8_transpose(uint8_t *dst, const uint8_t *const src[8], size_t off, uint8_t flip) {
    __m256i a[8], t[8], u[8];
    for (int r = 0; r < 8; r++) a[r] = loadu256(src[r] + off);
    for (int r = 0; r < 8; r += 2) {
        t[r] = _mm256_unpacklo_epi32(a[r], a[r + 1]);
        t[r + 1] = _mm256_unpackhi_epi32(a[r], a[r + 1]);
    }
    /* u[4h + q]: dword q (and q + 4 in the high lane) of rows 4h .. 4h + 3. */
    for (int h = 0; h < 2; h++) {
        u[4 * h + 0] = _mm256_unpacklo_epi64(t[4 * h], t[4 * h + 2]);
        u[4 * h + 1] = _mm256_unpackhi_epi64(t[4 * h], t[4 * h + 2]);
        u[4 * h + 2] = _mm256_unpacklo_epi64(t[4 * h + 1], t[4 * h + 3]);
        u[4 * h + 3] = _mm256_unpackhi_epi64(t[4 * h + 1], t[4 * h + 3]);
    }
    const __m256i f = _mm256_set1_epi8((char)flip);
    for (int q = 0; q < 4; q++) {
        _mm256_storeu_si256((__m256i *)(dst + 32 * q), _mm256_xor_si256(_mm256_permute2x128_si256(u[q], u[4 + q], 0x20), f));
        _mm256_storeu_si256((__m256i *)(dst + 32 * (q + 4)), _mm256_xor_si256(_mm256_permute2x128_si256(u[q], u[4 + q], 0x31), f));
    }
}

/* Sets the x8 kernels and the packing transpose of `k`. */
static void x86_fill_x8(l1__kernels *k) {
    k->x8_transpose = x8_transpose;
    k->x8[L1_TYPE_Q4_0] = x8_q4_0;
    k->x8[L1_TYPE_Q8_0] = x8_q8_0;
    k->x8[L1_TYPE_Q4_K] = x8_q4_K;
    k->x8[L1_TYPE_Q6_K] = x8_q6_K;
}

#endif /* L1_KERNELS_X86_X8_H */
