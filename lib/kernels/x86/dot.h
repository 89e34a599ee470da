/*
 * x86/dot.h - the quantized and float dot products (single-row, multi-row
 * and rows x tokens tiles) and the activation quantizers of the two x86
 * tiers, included once by tier_avx2.c (L1__X86_VNNI 0) and once by
 * tier_avx512.c (L1__X86_VNNI 1), each compiled with its own -m flags.
 * Everything here is static, so the two copies never clash.
 *
 * The kernels work on 256-bit vectors: decode streams weights from memory,
 * so the width of the arithmetic matters less than the number of vector
 * instructions per weight byte (on the Zen 4 cores measured, 512-bit
 * operations issue at half rate, and the integer multiplies - maddubs,
 * madd, vpdpbusd, vpdpwssd - share two ports with the f32 converts and
 * FMAs, which is what bounds these loops).  The VNNI tier differs in the
 * integer primitives and, for the K formats, in how sub-block scales are
 * applied: one vpdpbusd per 32 codes, two sub-blocks' i32 sums packed to
 * i16, one vpdpwssd with the scales (see k4_isum), against maddubs + a
 * scale madd per 32 codes on AVX2.
 *
 * The quantized formats are written as per-block bodies from which
 * L1__ROWS_KERNELS makes both the single-row vec_dot and the multi-row
 * vec_dot_rows (rows share the activation loads and the per-block work on
 * the activation; each row keeps its own accumulator and block order, so
 * a row's result is bit-identical in both).
 *
 * Integer sums are exact under one precondition the activation quantizers
 * guarantee: activation codes lie in [-127, 127] (the sign trick used for
 * signed-by-signed bytes cannot represent -(-128)).  Per-block products
 * are then scaled in f32 and accumulated in f32 vector lanes, so float
 * results differ from the scalar reference only by summation order.
 */
#ifndef L1_KERNELS_X86_DOT_H
#define L1_KERNELS_X86_DOT_H

#include "kernels/x86/common.h"
#include "quant/quant.h"
#include "quant/quant_blocks.h"
#include "quant/quant_impl.h"


/* ---- activation quantizers -------------------------------------------------- */

/* Round to nearest, ties to even: the rintf of the scalar quantizers. */
static inline __m256i round_epi32(__m256 v) {
    return _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

/* Packs 4 x 8 i32 (each in [-128, 127]) into 32 i8 in order. */
static inline __m256i pack_i8(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    const __m256i v = _mm256_packs_epi16(ab, cd);
    return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

static inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

/* 32 activations -> codes (d = amax / 127, q = rint(x * 127 / amax), as the
 * scalar activation quantizer on x86); returns d, *sum = sum of codes. */
static inline float q8_block(const float *x, int8_t *q, int32_t *sum) {
    __m256 v[4];
    __m256 mx = _mm256_setzero_ps();
    for (int k = 0; k < 4; k++) {
        v[k] = _mm256_loadu_ps(x + 8 * k);
        mx = _mm256_max_ps(mx, abs_ps(v[k]));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    const float d = amax / 127.0f;
    const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    __m256i i[4];
    for (int k = 0; k < 4; k++) i[k] = round_epi32(_mm256_mul_ps(v[k], id));
    _mm256_storeu_si256((__m256i *)q, pack_i8(i[0], i[1], i[2], i[3]));
    if (sum) *sum = hsum_epi32(_mm256_add_epi32(_mm256_add_epi32(i[0], i[1]), _mm256_add_epi32(i[2], i[3])));
    return d;
}

static void quantize_q8_0(const float *x, void *vy, int64_t n) {
    l1__block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        int8_t q[32];
        const float d = q8_block(x, q, NULL);
        memcpy(y[i].qs, q, 32);
        y[i].d = (uint16_t)_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
    }
}

static void quantize_q8_1(const float *x, void *vy, int64_t n) {
    l1__block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / L1_QK32; i++, x += L1_QK32) {
        int8_t q[32];
        int32_t sum;
        const float d = q8_block(x, q, &sum);
        memcpy(y[i].qs, q, 32);
        y[i].d = (uint16_t)_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
        y[i].s = (uint16_t)_cvtss_sh(d * (float)sum, _MM_FROUND_TO_NEAREST_INT);
    }
}

/* The value of largest magnitude in x[0..256), first one on ties. */
static float q8k_signed_max(const float *x, float *amax_out) {
    __m256 mx = _mm256_setzero_ps();
    for (int k = 0; k < 32; k++) mx = _mm256_max_ps(mx, abs_ps(_mm256_loadu_ps(x + 8 * k)));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    *amax_out = amax;
    const __m256 va = _mm256_set1_ps(amax);
    for (int k = 0; k < 32; k++) {
        const int m = _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + 8 * k)), va, _CMP_EQ_OQ));
        if (m) return x[8 * k + __builtin_ctz((unsigned)m)];
    }
    return 0.0f;
}

static void quantize_q8_K(const float *x, void *vy, int64_t n) {
    l1__block_q8_K *y = vy;
    for (int64_t i = 0; i < n / L1_QK_K; i++, x += L1_QK_K) {
        float amax;
        const float max = q8k_signed_max(x, &amax);
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.0f / max;
        const __m256 vs = _mm256_set1_ps(iscale);
        const __m256i hi = _mm256_set1_epi32(127);
        for (int g = 0; g < 8; g++) { /* 32 values: two bsums groups */
            __m256i q[4];
            for (int k = 0; k < 4; k++)
                q[k] = _mm256_min_epi32(round_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + 32 * g + 8 * k))), hi);
            _mm256_storeu_si256((__m256i *)(y[i].qs + 32 * g), pack_i8(q[0], q[1], q[2], q[3]));
            y[i].bsums[2 * g] = (int16_t)hsum_epi32(_mm256_add_epi32(q[0], q[1]));
            y[i].bsums[2 * g + 1] = (int16_t)hsum_epi32(_mm256_add_epi32(q[2], q[3]));
        }
        y[i].d = 1.0f / iscale;
    }
}

/* ---- per-block bodies and the multi-row driver ---------------------------------- *
 *
 * The quantized kernels below are each written once as two inline pieces:
 *   T_prep(yb, &sh)          what one activation block gives every weight row
 *                            (its vector loads, offset seeds, group sums);
 *   T_blk(xb, yb, &sh, acc)  acc plus one weight row's block product, in f32
 *                            lanes whose total is the block's contribution.
 * L1__ROWS_KERNELS expands them into vec_dot (one row) and vec_dot_rows (up
 * to four rows against one activation row, the prep shared, one accumulator
 * per row).  Rows are independent dependency chains, so the multi-row form
 * also keeps the multiply units busier than one row can. */


#define L1__ROWS_KERNELS(T, XT, YT, QK)                                                             \
    L1__AI void T##_rows_n(int64_t n, float *s, const uint8_t *x, size_t bx, const YT *y, int nr) { \
        __m256 acc[L1__DOT_MAX_ROWS];                                                           \
        for (int r = 0; r < L1__DOT_MAX_ROWS; r++) acc[r] = _mm256_setzero_ps();                \
        for (int64_t i = 0; i < n / (QK); i++) {                                                    \
            T##_shared sh;                                                                          \
            T##_prep(&y[i], &sh);                                                                   \
            L1__UNROLL for (int r = 0; r < nr; r++) {                                               \
                const XT *xb = (const XT *)(x + (size_t)r * bx) + i;                                 \
                if (nr > 1) prefetch_block((const uint8_t *)xb + L1__PREFETCH_AHEAD, sizeof(XT));       \
                acc[r] = T##_blk(xb, &y[i], &sh, acc[r]);                                            \
            }                                                                                       \
        }                                                                                           \
        for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]);                                        \
    }                                                                                               \
    static void vec_dot_##T(int64_t n, float *s, const void *x, const void *y) {                    \
        T##_rows_n(n, s, x, 0, y, 1);                                                               \
    }                                                                                               \
    static void vec_dot_rows_##T(int64_t n, float *s, const void *x, size_t bx, const void *y,      \
                                 int nr) {                                                          \
        switch (nr) {                                                                               \
        case 4: T##_rows_n(n, s, x, bx, y, 4); break;                                               \
        case 3: T##_rows_n(n, s, x, bx, y, 3); break;                                               \
        case 2: T##_rows_n(n, s, x, bx, y, 2); break;                                               \
        default: T##_rows_n(n, s, x, bx, y, 1); break;                                              \
        }                                                                                           \
    }

/* The rows x tokens tile (kernels.h dot_tile): a full tile of 4 rows and
 * L1__DOT_MAX_TOKENS tokens runs every (row, token) product through the
 * same T_blk as vec_dot, each with its own accumulator, rows outer and
 * tokens inner within a block.  Everything T_blk computes from the weight
 * block alone (loads, unpacking, scale words) is the same expression for
 * the four tokens, and the compiler evaluates it once, so the unpacking
 * is paid once per four products.  Partial tiles go through the rows
 * kernel token by token; every output is bit-identical to vec_dot. */
#define L1__TILE_KERNEL(T, XT, YT, QK)                                                              \
    L1__AI void T##_tile_full(int64_t n, float *s, size_t lds, const uint8_t *x, size_t bx,          \
                              const uint8_t *y, size_t by) {                                        \
        enum { NR = L1__DOT_MAX_ROWS, NT = L1__DOT_MAX_TOKENS };                              \
        __m256 acc[NR][NT];                                                                         \
        L1__UNROLL for (int r = 0; r < NR; r++)                                                     \
            L1__UNROLL for (int t = 0; t < NT; t++) acc[r][t] = _mm256_setzero_ps();                 \
        for (int64_t i = 0; i < n / (QK); i++) {                                                    \
            T##_shared sh[NT];                                                                      \
            L1__UNROLL for (int t = 0; t < NT; t++) T##_prep((const YT *)(y + (size_t)t * by) + i, &sh[t]); \
            L1__UNROLL for (int r = 0; r < NR; r++) {                                               \
                const XT *xb = (const XT *)(x + (size_t)r * bx) + i;                                 \
                L1__UNROLL for (int t = 0; t < NT; t++)                                             \
                    acc[r][t] = T##_blk(xb, (const YT *)(y + (size_t)t * by) + i, &sh[t], acc[r][t]); \
            }                                                                                       \
        }                                                                                           \
        L1__UNROLL for (int r = 0; r < NR; r++)                                                     \
            L1__UNROLL for (int t = 0; t < NT; t++) s[(size_t)t * lds + r] = hsum_ps(acc[r][t]);      \
    }                                                                                               \
    static void vec_dot_tile_##T(int64_t n, float *s, size_t lds, const void *x, size_t bx,         \
                                 const void *y, size_t by, int nr, int nt) {                        \
        if (nr == L1__DOT_MAX_ROWS && nt == L1__DOT_MAX_TOKENS) {                            \
            T##_tile_full(n, s, lds, x, bx, y, by);                                                 \
            return;                                                                                 \
        }                                                                                           \
        for (int t = 0; t < nt; t++)                                                                \
            vec_dot_rows_##T(n, s + (size_t)t * lds, x, bx, (const uint8_t *)y + (size_t)t * by, nr); \
    }

/* ---- Q8_0 and Q4_0 (the 32-value formats of the common files) ------------------ */

typedef struct {
    __m256i y;    /* the activation codes */
    __m256i seed; /* minus the weight code offset times the codes, per lane */
    float dy;
} q32_shared;

typedef q32_shared q8_0_shared;
typedef q32_shared q4_0_shared;

/* With VNNI the signed weight codes are biased to u8 (x ^ 0x80 = x + 128)
 * and the bias comes back through the seed, -128 * sum y, shared by all
 * rows; without it maddubs would saturate on 255 * 127 * 2, so the sign
 * trick of dot_s8 is used instead. */
L1__AI void q8_0_prep(const l1__block_q8_0 *y, q8_0_shared *sh) {
    sh->y = loadu256(y->qs);
#if L1__X86_VNNI
    sh->seed = _mm256_sub_epi32(_mm256_setzero_si256(), dpbusd(_mm256_setzero_si256(), _mm256_set1_epi8((char)0x80), sh->y));
#else
    sh->seed = _mm256_setzero_si256();
#endif
    sh->dy = f16(y->d);
}

L1__AI __m256 q8_0_blk(const l1__block_q8_0 *x, const l1__block_q8_0 *y, const q8_0_shared *sh, __m256 acc) {
    (void)y;
#if L1__X86_VNNI
    const __m256i p = dpbusd(sh->seed, _mm256_xor_si256(loadu256(x->qs), _mm256_set1_epi8((char)0x80)), sh->y);
#else
    const __m256i p = dot_s8(loadu256(x->qs), sh->y);
#endif
    return scale_acc(p, x->d, sh->dy, acc);
}

L1__ROWS_KERNELS(q8_0, l1__block_q8_0, l1__block_q8_0, L1_QK32)
L1__TILE_KERNEL(q8_0, l1__block_q8_0, l1__block_q8_0, L1_QK32)

/* Codes q - 8 with q unsigned: the -8 through the seed -8 * sum y. */
L1__AI void q4_0_prep(const l1__block_q8_0 *y, q4_0_shared *sh) {
    sh->y = loadu256(y->qs);
    sh->seed = _mm256_sub_epi32(_mm256_setzero_si256(), dpbusd(_mm256_setzero_si256(), _mm256_set1_epi8(8), sh->y));
    sh->dy = f16(y->d);
}

L1__AI __m256 q4_0_blk(const l1__block_q4_0 *x, const l1__block_q8_0 *y, const q4_0_shared *sh, __m256 acc) {
    (void)y;
    return scale_acc(dpbusd(sh->seed, nibbles32(x->qs), sh->y), x->d, sh->dy, acc);
}

/* Q4_0 two blocks per step: their 2 x 16 code bytes fill one vector, low
 * nibbles (values 0-15 of each block) in one, high nibbles in the other,
 * against activations permuted to match once for all rows; lanes 0-3
 * belong to the first block and 4-7 to the second, so one convert and one
 * FMA serve both blocks.  An odd last block goes through q4_0_blk. */
typedef struct {
    __m256i ylo, yhi, seed;
    __m256 dy;
} q4_0x2_shared;

L1__AI void q4_0x2_prep(const l1__block_q8_0 *y, q4_0x2_shared *sh) {
    const __m256i a = loadu256(y[0].qs), b = loadu256(y[1].qs), eight = _mm256_set1_epi8(8);
    sh->ylo = _mm256_permute2x128_si256(a, b, 0x20);
    sh->yhi = _mm256_permute2x128_si256(a, b, 0x31);
    const __m256i off = dpbusd(dpbusd(_mm256_setzero_si256(), eight, sh->ylo), eight, sh->yhi);
    sh->seed = _mm256_sub_epi32(_mm256_setzero_si256(), off);
    sh->dy = _mm256_setr_m128(_mm_set1_ps(f16(y[0].d)), _mm_set1_ps(f16(y[1].d)));
}

L1__AI __m256 q4_0x2_blk(const l1__block_q4_0 *x, const q4_0x2_shared *sh, __m256 acc) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i b = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)x[0].qs)),
                                              _mm_loadu_si128((const __m128i *)x[1].qs), 1);
    const __m256i p = dpbusd(dpbusd(sh->seed, _mm256_and_si256(b, m4), sh->ylo),
                             _mm256_and_si256(_mm256_srli_epi16(b, 4), m4), sh->yhi);
    const __m128i h = _mm_shuffle_epi8(_mm_cvtsi32_si128((int)((uint32_t)x[0].d | (uint32_t)x[1].d << 16)),
                                       _mm_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_mul_ps(_mm256_cvtph_ps(h), sh->dy), acc);
}

L1__AI void q4_0_rows_n(int64_t n, float *s, const uint8_t *x, size_t bx, const l1__block_q8_0 *y, int nr) {
    __m256 acc[L1__DOT_MAX_ROWS];
    for (int r = 0; r < L1__DOT_MAX_ROWS; r++) acc[r] = _mm256_setzero_ps();
    const int64_t nb = n / L1_QK32;
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        q4_0x2_shared sh;
        q4_0x2_prep(&y[i], &sh);
        L1__UNROLL for (int r = 0; r < nr; r++) {
            const l1__block_q4_0 *xb = (const l1__block_q4_0 *)(x + (size_t)r * bx) + i;
            if (nr > 1) prefetch_block((const uint8_t *)xb + L1__PREFETCH_AHEAD, 2 * sizeof *xb);
            acc[r] = q4_0x2_blk(xb, &sh, acc[r]);
        }
    }
    if (i < nb) {
        q4_0_shared sh;
        q4_0_prep(&y[i], &sh);
        L1__UNROLL for (int r = 0; r < nr; r++)
            acc[r] = q4_0_blk((const l1__block_q4_0 *)(x + (size_t)r * bx) + i, &y[i], &sh, acc[r]);
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]);
}

static void vec_dot_q4_0(int64_t n, float *s, const void *x, const void *y) { q4_0_rows_n(n, s, x, 0, y, 1); }

static void vec_dot_rows_q4_0(int64_t n, float *s, const void *x, size_t bx, const void *y, int nr) {
    switch (nr) {
    case 4: q4_0_rows_n(n, s, x, bx, y, 4); break;
    case 3: q4_0_rows_n(n, s, x, bx, y, 3); break;
    case 2: q4_0_rows_n(n, s, x, bx, y, 2); break;
    default: q4_0_rows_n(n, s, x, bx, y, 1); break;
    }
}

L1__AI void q4_0_tile_full(int64_t n, float *s, size_t lds, const uint8_t *x, size_t bx, const uint8_t *y,
                           size_t by) {
    enum { NR = L1__DOT_MAX_ROWS, NT = L1__DOT_MAX_TOKENS };
    __m256 acc[NR][NT];
    L1__UNROLL for (int r = 0; r < NR; r++)
        L1__UNROLL for (int t = 0; t < NT; t++) acc[r][t] = _mm256_setzero_ps();
    const int64_t nb = n / L1_QK32;
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        q4_0x2_shared sh[NT];
        L1__UNROLL for (int t = 0; t < NT; t++) q4_0x2_prep((const l1__block_q8_0 *)(y + (size_t)t * by) + i, &sh[t]);
        L1__UNROLL for (int r = 0; r < NR; r++) {
            const l1__block_q4_0 *xb = (const l1__block_q4_0 *)(x + (size_t)r * bx) + i;
            L1__UNROLL for (int t = 0; t < NT; t++) acc[r][t] = q4_0x2_blk(xb, &sh[t], acc[r][t]);
        }
    }
    if (i < nb) {
        L1__UNROLL for (int t = 0; t < NT; t++) {
            const l1__block_q8_0 *yb = (const l1__block_q8_0 *)(y + (size_t)t * by) + i;
            q4_0_shared sh;
            q4_0_prep(yb, &sh);
            L1__UNROLL for (int r = 0; r < NR; r++)
                acc[r][t] = q4_0_blk((const l1__block_q4_0 *)(x + (size_t)r * bx) + i, yb, &sh, acc[r][t]);
        }
    }
    L1__UNROLL for (int r = 0; r < NR; r++)
        L1__UNROLL for (int t = 0; t < NT; t++) s[(size_t)t * lds + r] = hsum_ps(acc[r][t]);
}

static void vec_dot_tile_q4_0(int64_t n, float *s, size_t lds, const void *x, size_t bx, const void *y, size_t by,
                              int nr, int nt) {
    if (nr == L1__DOT_MAX_ROWS && nt == L1__DOT_MAX_TOKENS) {
        q4_0_tile_full(n, s, lds, x, bx, y, by);
        return;
    }
    for (int t = 0; t < nt; t++) vec_dot_rows_q4_0(n, s + (size_t)t * lds, x, bx, (const uint8_t *)y + (size_t)t * by, nr);
}

/* ---- other 32-value formats × Q8_0 / Q8_1 ----------------------------------- */

/* The formats with an offset (Q4_1, Q5_1) against Q8_1: unsigned codes
 * (CODES, of block x[i]) times the activations in one dpbusd, the offset
 * through Q8_1's block sum, added apart. */
#define X86_DOT32_OFFSET(T, XT, CODES)                                                        \
    static void vec_dot_##T(int64_t n, float *s, const void *vx, const void *vy) {              \
        const XT *x = vx;                                                                     \
        const l1__block_q8_1 *y = vy;                                                         \
        __m256 acc = _mm256_setzero_ps();                                                     \
        float msum = 0.0f;                                                                    \
        for (int64_t i = 0; i < n / L1_QK32; i++) {                                           \
            const __m256i p = dpbusd(_mm256_setzero_si256(), CODES, loadu256(y[i].qs));       \
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(f16(x[i].d) * f16(y[i].d)), acc); \
            msum += f16(x[i].m) * f16(y[i].s);                                                \
        }                                                                                     \
        *s = hsum_ps(acc) + msum;                                                             \
    }

X86_DOT32_OFFSET(q4_1, l1__block_q4_1, nibbles32(x[i].qs))

/* The fifth bits of a Q5 block as 0x10 bytes (bit j of qh -> byte j). */
static inline __m256i q5_high(const uint8_t *qh4) {
    uint32_t qh;
    memcpy(&qh, qh4, 4);
    /* Byte j takes byte j/8 of qh; then test bit j%8 of it. */
    const __m256i shuf = _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL,
                                            0x0303030303030303LL);
    const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), shuf);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

static void vec_dot_q5_0(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q5_0 *x = vx;
    const l1__block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        const __m256i q = _mm256_or_si256(nibbles32(x[i].qs), q5_high(x[i].qh));
        const __m256i yv = loadu256(y[i].qs);
        __m256i p = dpbusd(_mm256_setzero_si256(), q, yv);
        p = _mm256_sub_epi32(p, dpbusd(_mm256_setzero_si256(), _mm256_set1_epi8(16), yv));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(f16(x[i].d) * f16(y[i].d)), acc);
    }
    *s = hsum_ps(acc);
}

X86_DOT32_OFFSET(q5_1, l1__block_q5_1, _mm256_or_si256(nibbles32(x[i].qs), q5_high(x[i].qh)))

/* The IQ4 codebook of the quant layer in both 128-bit lanes. */
static inline __m256i iq4_codebook(void) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)l1__iq4nl_values));
}

/* The 32 signed codebook values of 16 bytes of IQ4 nibbles. */
static inline __m256i iq4_values(__m256i cb, const uint8_t *qs) { return _mm256_shuffle_epi8(cb, nibbles32(qs)); }

typedef struct {
    __m256i y, cb;
    float dy;
} iq4_nl_shared;

L1__AI void iq4_nl_prep(const l1__block_q8_0 *y, iq4_nl_shared *sh) {
    sh->y = loadu256(y->qs);
    sh->cb = iq4_codebook();
    sh->dy = f16(y->d);
}

L1__AI __m256 iq4_nl_blk(const l1__block_iq4_nl *x, const l1__block_q8_0 *y, const iq4_nl_shared *sh, __m256 acc) {
    (void)y;
    return scale_acc(dot_s8(iq4_values(sh->cb, x->qs), sh->y), x->d, sh->dy, acc);
}

L1__ROWS_KERNELS(iq4_nl, l1__block_iq4_nl, l1__block_q8_0, L1_QK32)
L1__TILE_KERNEL(iq4_nl, l1__block_iq4_nl, l1__block_q8_0, L1_QK32)

/* ---- K formats × Q8_K ---------------------------------------------------------- */

/* The 8 scales (bytes 0-7) and 8 mins (bytes 8-15) of a Q4_K/Q5_K block,
 * unpacked in general registers (the vector units are the busy ones). */
static inline __m128i k4_scales_mins(const uint8_t *q) {
    uint64_t a;
    uint32_t c;
    memcpy(&a, q, 8);
    memcpy(&c, q + 8, 4);
    /* Low 6 bits of bytes 0-7 are scales 0-3 and mins 0-3; scales/mins 4-7
     * take the nibbles of bytes 8-11 plus the top 2 bits of bytes 0-3/4-7. */
    const uint64_t lo6 = a & 0x3f3f3f3f3f3f3f3full;
    const uint64_t hi = ((a & 0xc0c0c0c0c0c0c0c0ull) >> 2) |
                        (((uint64_t)c | ((uint64_t)c << 28)) & 0x0f0f0f0f0f0f0f0full);
    const uint64_t sc = (lo6 & 0xffffffffull) | (hi << 32);
    const uint64_t mn = (lo6 >> 32) | (hi & 0xffffffff00000000ull);
    return _mm_set_epi64x((long long)mn, (long long)sc);
}

/* A vector whose every i16 is element j of the 8 i16 in `v` (in both lanes). */
static inline __m256i bcast_i16(__m256i v8x2, int j) {
    return _mm256_shuffle_epi8(v8x2, _mm256_set1_epi16((short)(0x0100 + 0x0202 * j)));
}

/* For packs(p_a, p_b) of two i32 vectors: i16 words 0-3 and 8-11 come from
 * p_a, 4-7 and 12-15 from p_b.  The scale vector putting element a of the 8
 * i16 of `v8x2` on p_a's words and element b on p_b's. */
static inline __m256i pair_i16(__m256i v8x2, int a, int b) {
    const short wa = (short)(0x0100 + 0x0202 * a), wb = (short)(0x0100 + 0x0202 * b);
    return _mm256_shuffle_epi8(v8x2, _mm256_setr_epi16(wa, wa, wa, wa, wb, wb, wb, wb, wa, wa, wa, wa, wb, wb, wb, wb));
}

typedef struct {
    __m256i bs2; /* high lane: the 8 sums of 32 activation codes (for the mins) */
    __m256 dyv;  /* dy in lanes 0-3, -dy in lanes 4-7 */
} k4_shared;

typedef k4_shared q4_K_shared;
typedef k4_shared q5_K_shared;

L1__AI void k4_prep(const l1__block_q8_K *y, k4_shared *sh) {
    const __m128i bs = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)y->bsums),
                                      _mm_loadu_si128((const __m128i *)(y->bsums + 8)));
    sh->bs2 = _mm256_inserti128_si256(_mm256_setzero_si256(), bs, 1);
    sh->dyv = _mm256_mul_ps(_mm256_set1_ps(y->d), _mm256_setr_ps(1, 1, 1, 1, -1, -1, -1, -1));
}
#define q4_K_prep k4_prep
#define q5_K_prep k4_prep

/* sum_j sc_j * (codes of sub-block j . y) for a Q4_K (qh NULL) or Q5_K block,
 * in i32 lanes; sc16 holds the 8 scales as i16 in both lanes.
 * VNNI: one vpdpbusd per 32 codes, then two sub-blocks' sums packed to i16
 * (|sum of 4 products| <= 4 * 31 * 127 fits) and scaled by one vpdpwssd.
 * AVX2: maddubs to i16 pairs, then madd with the broadcast scale. */
L1__AI __m256i k4_isum(const uint8_t *qs, const uint8_t *qh, const int8_t *yq, __m256i sc16) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), bit = _mm256_set1_epi8(0x10);
    const __m256i hb = qh ? loadu256(qh) : _mm256_setzero_si256();
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    L1__UNROLL for (int c = 0; c < 4; c++) {
        const __m256i b = loadu256(qs + 32 * c);
        __m256i lo = _mm256_and_si256(b, m4), hi = _mm256_and_si256(_mm256_srli_epi16(b, 4), m4);
        if (qh) {
            /* Bit 2c of qh[l] -> 0x10 of value 64c + l; bit 2c+1 -> value 64c+32+l. */
            const __m256i hs = _mm256_srli_epi16(hb, 2 * c);
            lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(hs, 4), bit));
            hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(hs, 3), bit));
        }
#if L1__X86_VNNI
        const __m256i pl = _mm256_dpbusd_epi32(_mm256_setzero_si256(), lo, loadu256(yq + 64 * c));
        const __m256i ph = _mm256_dpbusd_epi32(_mm256_setzero_si256(), hi, loadu256(yq + 64 * c + 32));
        const __m256i p16 = _mm256_packs_epi32(pl, ph);
        if (c & 1) acc1 = _mm256_dpwssd_epi32(acc1, p16, pair_i16(sc16, 2 * c, 2 * c + 1));
        else acc0 = _mm256_dpwssd_epi32(acc0, p16, pair_i16(sc16, 2 * c, 2 * c + 1));
#else
        acc0 = dpwssd(acc0, _mm256_maddubs_epi16(lo, loadu256(yq + 64 * c)), bcast_i16(sc16, 2 * c));
        acc1 = dpwssd(acc1, _mm256_maddubs_epi16(hi, loadu256(yq + 64 * c + 32)), bcast_i16(sc16, 2 * c + 1));
#endif
    }
    return _mm256_add_epi32(acc0, acc1);
}

/* acc + dy * (d * isum - dmin * sum_j m_j * bsum_j): the scale sums folded
 * to lanes 0-3, the min sums in lanes 4-7, one conversion and one FMA. */
L1__AI __m256 k4_finish(__m256i isum, __m256i smw, const uint16_t *d_dmin, const k4_shared *sh, __m256 acc) {
    const __m128i is4 = _mm_add_epi32(_mm256_castsi256_si128(isum), _mm256_extracti128_si256(isum, 1));
    const __m256i v = _mm256_blend_epi32(_mm256_madd_epi16(smw, sh->bs2), _mm256_castsi128_si256(is4), 0x0F);
    uint32_t dd;
    memcpy(&dd, d_dmin, 4);
    const __m128i h = _mm_shuffle_epi8(_mm_cvtsi32_si128((int)dd), _mm_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(v), _mm256_mul_ps(_mm256_cvtph_ps(h), sh->dyv), acc);
}

L1__AI __m256 q4_K_blk(const l1__block_q4_K *x, const l1__block_q8_K *y, const k4_shared *sh, __m256 acc) {
    const __m256i smw = _mm256_cvtepu8_epi16(k4_scales_mins(x->scales)); /* [scales | mins] */
    const __m256i isum = k4_isum(x->qs, NULL, y->qs, _mm256_permute4x64_epi64(smw, 0x44));
    return k4_finish(isum, smw, &x->d, sh, acc);
}

L1__AI __m256 q5_K_blk(const l1__block_q5_K *x, const l1__block_q8_K *y, const k4_shared *sh, __m256 acc) {
    const __m256i smw = _mm256_cvtepu8_epi16(k4_scales_mins(x->scales));
    const __m256i isum = k4_isum(x->qs, x->qh, y->qs, _mm256_permute4x64_epi64(smw, 0x44));
    return k4_finish(isum, smw, &x->d, sh, acc);
}

L1__ROWS_KERNELS(q4_K, l1__block_q4_K, l1__block_q8_K, L1_QK_K)
L1__ROWS_KERNELS(q5_K, l1__block_q5_K, l1__block_q8_K, L1_QK_K)
L1__TILE_KERNEL(q4_K, l1__block_q4_K, l1__block_q8_K, L1_QK_K)
L1__TILE_KERNEL(q5_K, l1__block_q5_K, l1__block_q8_K, L1_QK_K)

/* ---- the 16-value sub-block formats (Q6_K, Q3_K, Q2_K) ---- */

typedef struct {
    __m256i bsums; /* the 16 group sums as i16 */
    float dy;
} k16_shared;

typedef k16_shared q6_K_shared;
typedef k16_shared q3_K_shared;
typedef k16_shared q2_K_shared;

L1__AI void k16_prep(const l1__block_q8_K *y, k16_shared *sh) {
    sh->bsums = loadu256(y->bsums);
    sh->dy = y->d;
}
#define q6_K_prep k16_prep
#define q3_K_prep k16_prep
#define q2_K_prep k16_prep

/* sum over the 8 vectors of 32 codes (u8, < 64) of sc_sub * q * y, with the
 * 16 sub-block scales as i16 in `sc` (0-7 low lane, 8-15 high lane).
 * Vector k holds sub-blocks 2k (bytes 0-15) and 2k + 1.
 * VNNI: vpdpbusd per vector (lanes 0-3 sub 2k, 4-7 sub 2k+1; |sum| <=
 * 4 * 63 * 127 fits i16), two vectors packed to i16 and scaled by one
 * vpdpwssd whose scale words come from one vpermw.
 * AVX2: maddubs, then madd with a scale pair made by one shuffle. */
L1__AI __m256i k16_isum(const __m256i q[8], const int8_t *yq, __m256i sc) {
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
#if L1__X86_VNNI
    L1__UNROLL for (int k = 0; k < 8; k += 2) {
        const __m256i pa = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q[k], loadu256(yq + 32 * k));
        const __m256i pb = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q[k + 1], loadu256(yq + 32 * k + 32));
        /* packs words: 0-3 sub 2k, 4-7 sub 2k+2, 8-11 sub 2k+1, 12-15 sub 2k+3. */
        const short a = (short)(2 * k), b = (short)(2 * k + 2), a1 = (short)(2 * k + 1), b1 = (short)(2 * k + 3);
        const __m256i idx = _mm256_setr_epi16(a, a, a, a, b, b, b, b, a1, a1, a1, a1, b1, b1, b1, b1);
        const __m256i p16 = _mm256_packs_epi32(pa, pb);
        if (k & 2) acc1 = _mm256_dpwssd_epi32(acc1, p16, _mm256_permutexvar_epi16(idx, sc));
        else acc0 = _mm256_dpwssd_epi32(acc0, p16, _mm256_permutexvar_epi16(idx, sc));
    }
#else
    const __m256i sc_lo = _mm256_permute2x128_si256(sc, sc, 0x00);
    const __m256i sc_hi = _mm256_permute2x128_si256(sc, sc, 0x11);
    L1__UNROLL for (int k = 0; k < 8; k++) {
        /* Low lane: element 2k % 8 of sc_lo/sc_hi; high lane: 2k % 8 + 1. */
        const short wa = (short)(0x0100 + 0x0202 * ((2 * k) % 8)), wb = (short)(wa + 0x0202);
        const __m256i ctl = _mm256_setr_epi16(wa, wa, wa, wa, wa, wa, wa, wa, wb, wb, wb, wb, wb, wb, wb, wb);
        const __m256i s = _mm256_shuffle_epi8(k < 4 ? sc_lo : sc_hi, ctl);
        const __m256i p16 = _mm256_maddubs_epi16(q[k], loadu256(yq + 32 * k));
        if (k & 1) acc1 = dpwssd(acc1, p16, s);
        else acc0 = dpwssd(acc0, p16, s);
    }
#endif
    return _mm256_add_epi32(acc0, acc1);
}

L1__AI __m256 q6_K_blk(const l1__block_q6_K *x, const l1__block_q8_K *y, const k16_shared *sh, __m256 acc) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x30);
    const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));
    __m256i q[8];
    L1__UNROLL for (int h = 0; h < 2; h++) {
        const __m256i a = loadu256(x->ql + 64 * h), b = loadu256(x->ql + 64 * h + 32);
        const __m256i hb = loadu256(x->qh + 32 * h);
        q[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(a, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), m2));
        q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(b, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), m2));
        q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(a, 4), m4), _mm256_and_si256(hb, m2));
        q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b, 4), m4),
                                       _mm256_and_si256(_mm256_srli_epi16(hb, 2), m2));
    }
    /* Codes are q - 32: the offset as 32 * sum_j sc_j * bsums[j]. */
    const __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(sh->bsums, sc), 5);
    return scale_acc(_mm256_sub_epi32(k16_isum(q, y->qs, sc), off), x->d, sh->dy, acc);
}

/* The 16 signed 6-bit scales of a Q3_K block as i16, unpacked in general
 * registers: low 4 bits from the nibbles of bytes 0-7, high 2 bits from
 * bytes 8-11 (sub-block k: byte 8 + k % 4, bits 2 * (k / 4)). */
static inline __m256i q3_scales(const uint8_t *sp) {
    uint64_t a;
    uint32_t c;
    memcpy(&a, sp, 8);
    memcpy(&c, sp + 8, 4);
    const uint64_t m2 = 0x03030303u, m4 = 0x0f0f0f0f0f0f0f0full;
    const uint64_t h_lo = (c & m2) | (((uint64_t)c >> 2) & m2) << 32;
    const uint64_t h_hi = (((uint64_t)c >> 4) & m2) | (((uint64_t)c >> 6) & m2) << 32;
    const uint64_t s_lo = (a & m4) | h_lo << 4, s_hi = ((a >> 4) & m4) | h_hi << 4;
    const __m256i u = _mm256_cvtepu8_epi16(_mm_set_epi64x((long long)s_hi, (long long)s_lo));
    return _mm256_sub_epi16(u, _mm256_set1_epi16(32));
}

L1__AI __m256 q3_K_blk(const l1__block_q3_K *x, const l1__block_q8_K *y, const k16_shared *sh, __m256 acc) {
    const __m256i sc = q3_scales(x->scales);
    const __m256i hm = loadu256(x->hmask), m2 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    /* Codes are q2 - 4 * (1 - hbit): use u8 q2 + 4 * hbit, minus 4 * sum y. */
    __m256i q[8];
    L1__UNROLL for (int h = 0; h < 2; h++) {
        const __m256i b = loadu256(x->qs + 32 * h);
        L1__UNROLL for (int k = 0; k < 4; k++) {
            const int v = 4 * h + k; /* values 32v .. 32v + 31 */
            const __m256i q2 = _mm256_and_si256(_mm256_srli_epi16(b, 2 * k), m2);
            const __m256i hbit = _mm256_and_si256(_mm256_srli_epi16(hm, v), one);
            q[v] = _mm256_add_epi8(q2, _mm256_slli_epi16(hbit, 2));
        }
    }
    const __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(sh->bsums, sc), 2);
    return scale_acc(_mm256_sub_epi32(k16_isum(q, y->qs, sc), off), x->d, sh->dy, acc);
}

/* Q2_K's mins enter as lanes of their own: isum * d - msum * dmin, where
 * msum lanes come from madd(bsums, mins). */
L1__AI __m256 q2_K_blk(const l1__block_q2_K *x, const l1__block_q8_K *y, const k16_shared *sh, __m256 acc) {
    const __m256i m2 = _mm256_set1_epi8(3);
    const __m128i raw = _mm_loadu_si128((const __m128i *)x->scales);
    const __m256i sc = _mm256_cvtepu8_epi16(_mm_and_si128(raw, _mm_set1_epi8(0x0F)));
    const __m256i mn = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(raw, 4), _mm_set1_epi8(0x0F)));
    __m256i q[8];
    L1__UNROLL for (int h = 0; h < 2; h++) {
        const __m256i b = loadu256(x->qs + 32 * h);
        L1__UNROLL for (int k = 0; k < 4; k++) q[4 * h + k] = _mm256_and_si256(_mm256_srli_epi16(b, 2 * k), m2);
    }
    const __m256i isum = k16_isum(q, y->qs, sc);
    const __m256i msum = _mm256_madd_epi16(sh->bsums, mn);
    acc = scale_acc(isum, x->d, sh->dy, acc);
    return _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(f16(x->dmin) * sh->dy), acc);
}

L1__ROWS_KERNELS(q6_K, l1__block_q6_K, l1__block_q8_K, L1_QK_K)
L1__ROWS_KERNELS(q3_K, l1__block_q3_K, l1__block_q8_K, L1_QK_K)
L1__ROWS_KERNELS(q2_K, l1__block_q2_K, l1__block_q8_K, L1_QK_K)
L1__TILE_KERNEL(q6_K, l1__block_q6_K, l1__block_q8_K, L1_QK_K)
L1__TILE_KERNEL(q3_K, l1__block_q3_K, l1__block_q8_K, L1_QK_K)
L1__TILE_KERNEL(q2_K, l1__block_q2_K, l1__block_q8_K, L1_QK_K)

/* ---- IQ4_XS ---- */

static void vec_dot_iq4_xs(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_iq4_xs *x = vx;
    const l1__block_q8_K *y = vy;
    const __m256i cb = iq4_codebook();
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        __m256i isum = _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) {
            const __m256i p = dot_s8(iq4_values(cb, x[i].qs + 16 * j), loadu256(y[i].qs + 32 * j));
            isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(p, _mm256_set1_epi32(l1__iq4xs_scale(&x[i], j))));
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(f16(x[i].d) * y[i].d), acc);
    }
    *s = hsum_ps(acc);
}

/* ---- float formats -------------------------------------------------------------- */

static void vec_dot_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    }
    float t = 0.0f;
    for (; i < n; i++) t += x[i] * y[i];
    *s = hsum_ps(_mm256_add_ps(a0, a1)) + t;
}

static inline __m256 load_f16x8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

static inline __m256 load_bf16x8(const uint16_t *p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

/* The 16-bit float dots: two f32 accumulators over 8 lanes, the tail in f32. */
#define X86_DOT_HALF(T, LOAD, TO_F32)                                                         \
    static void vec_dot_##T(int64_t n, float *s, const void *vx, const void *vy) {              \
        const uint16_t *x = vx, *y = vy;                                                      \
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();                            \
        int64_t i = 0;                                                                        \
        for (; i + 16 <= n; i += 16) {                                                        \
            a0 = _mm256_fmadd_ps(LOAD(x + i), LOAD(y + i), a0);                               \
            a1 = _mm256_fmadd_ps(LOAD(x + i + 8), LOAD(y + i + 8), a1);                       \
        }                                                                                     \
        float t = 0.0f;                                                                       \
        for (; i < n; i++) t += TO_F32(x[i]) * TO_F32(y[i]);                                  \
        *s = hsum_ps(_mm256_add_ps(a0, a1)) + t;                                              \
    }

X86_DOT_HALF(f16, load_f16x8, l1__f16_to_f32)
X86_DOT_HALF(bf16, load_bf16x8, l1__bf16_to_f32)


/* ---- the table ------------------------------------------------------------------ */

/* Sets the dot products and quantizers of `k`. */
static void x86_fill_dot(l1__kernels *k) {
    k->dot[L1_TYPE_F32] = vec_dot_f32;
    k->dot[L1_TYPE_F16] = vec_dot_f16;
    k->dot[L1_TYPE_BF16] = vec_dot_bf16;
    k->dot[L1_TYPE_Q8_0] = vec_dot_q8_0;
    k->dot[L1_TYPE_Q4_0] = vec_dot_q4_0;
    k->dot[L1_TYPE_Q4_1] = vec_dot_q4_1;
    k->dot[L1_TYPE_Q5_0] = vec_dot_q5_0;
    k->dot[L1_TYPE_Q5_1] = vec_dot_q5_1;
    k->dot[L1_TYPE_IQ4_NL] = vec_dot_iq4_nl;
    k->dot[L1_TYPE_Q2_K] = vec_dot_q2_K;
    k->dot[L1_TYPE_Q3_K] = vec_dot_q3_K;
    k->dot[L1_TYPE_Q4_K] = vec_dot_q4_K;
    k->dot[L1_TYPE_Q5_K] = vec_dot_q5_K;
    k->dot[L1_TYPE_Q6_K] = vec_dot_q6_K;
    k->dot[L1_TYPE_IQ4_XS] = vec_dot_iq4_xs;
    k->dot_rows[L1_TYPE_Q8_0] = vec_dot_rows_q8_0;
    k->dot_rows[L1_TYPE_Q4_0] = vec_dot_rows_q4_0;
    k->dot_rows[L1_TYPE_IQ4_NL] = vec_dot_rows_iq4_nl;
    k->dot_rows[L1_TYPE_Q2_K] = vec_dot_rows_q2_K;
    k->dot_rows[L1_TYPE_Q3_K] = vec_dot_rows_q3_K;
    k->dot_rows[L1_TYPE_Q4_K] = vec_dot_rows_q4_K;
    k->dot_rows[L1_TYPE_Q5_K] = vec_dot_rows_q5_K;
    k->dot_rows[L1_TYPE_Q6_K] = vec_dot_rows_q6_K;
    k->dot_tile[L1_TYPE_Q8_0] = vec_dot_tile_q8_0;
    k->dot_tile[L1_TYPE_Q4_0] = vec_dot_tile_q4_0;
    k->dot_tile[L1_TYPE_IQ4_NL] = vec_dot_tile_iq4_nl;
    k->dot_tile[L1_TYPE_Q2_K] = vec_dot_tile_q2_K;
    k->dot_tile[L1_TYPE_Q3_K] = vec_dot_tile_q3_K;
    k->dot_tile[L1_TYPE_Q4_K] = vec_dot_tile_q4_K;
    k->dot_tile[L1_TYPE_Q5_K] = vec_dot_tile_q5_K;
    k->dot_tile[L1_TYPE_Q6_K] = vec_dot_tile_q6_K;
    k->act_quant[L1_TYPE_Q8_0] = quantize_q8_0;
    k->act_quant[L1_TYPE_Q8_1] = quantize_q8_1;
    k->act_quant[L1_TYPE_Q8_K] = quantize_q8_K;
}

#endif /* L1_KERNELS_X86_DOT_H */
