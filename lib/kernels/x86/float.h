/*
 * x86/float.h - the float kernels of the forward pass (attention,
 * SwiGLU, RMSNorm, NEOX RoPE, residual add) for the two x86 tiers,
 * included by tier_avx2.c and tier_avx512.c.
 * Everything here is static and uses 256-bit AVX2 + FMA + F16C only, so
 * both tiers compile the same code.
 *
 * How close each kernel stays to the scalar reference (scalar/float.c):
 *
 *   attention, F16_ACC mode with an F16 cache (decode): bit for bit.  The
 *     q.k dot keeps the reference's 4 x 16 lane order (fx_dot_f16_lanes),
 *     the f16 accumulator is updated with the same fused multiply-add and
 *     rounded by vcvtps2ph (round to nearest even, as l1__f32_to_f16), and
 *     the softmax weights come from the same libm expf calls.  A score one
 *     ulp off could flip an f16 rounding of the accumulator, so nothing in
 *     this path may be reordered.
 *   attention, F32 mode or an F32 cache (prefill): the same softmax(scale
 *     K q) V with f32 vector sums in place of the reference's double sums,
 *     taken over blocks of positions: the scores of a block first, one
 *     rescale of the accumulator per block whose maximum is new, the
 *     weights from a vector exp, then the weighted values.
 *   swiglu: silu(g) = g / (1 + e^-g) with a vector e^x within 1 ulp of the
 *     correctly rounded value (fx_exp); the division and the product are
 *     the scalar kernel's.
 *   rmsnorm: each x*x rounded to f32 and summed in double, as the scalar
 *     kernel does, in four double lanes; the rest is the same f32
 *     arithmetic, so results match unless the two double sums round to
 *     different floats.
 *   rope_neox, add: the same f32 operations per element, bit for bit.
 *     Separate multiplies and adds: the build is ISO C (-std=c11), which
 *     does not contract a*b - c*d into a fused multiply-add, so neither do
 *     the scalar kernels.
 */
#ifndef L1_KERNELS_X86_FLOAT_H
#define L1_KERNELS_X86_FLOAT_H

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "base/fp16.h"
#include "kernels/kernels.h"

#define FX_INLINE static inline __attribute__((always_inline))

FX_INLINE __m256 fx_load_f16(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

/* Rounds to nearest even, as l1__f32_to_f16. */
FX_INLINE void fx_store_f16(uint16_t *p, __m256 v) {
    _mm_storeu_si128((__m128i *)p, _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}

FX_INLINE float fx_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* The four lane sums of a, b, c, d, in that order. */
FX_INLINE __m128 fx_hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* e^x per lane, within 1 ulp of the correctly rounded value over the whole
 * float range (subnormal results included); +inf above ln(FLT_MAX), +0
 * below -104 (where e^x is under half the least subnormal), NaN for NaN.
 * x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2 (ln2 split in
 * two parts so that n * LN2_HI is exact), e^r by its Taylor series to r^7
 * (truncation error < 2^-27 relative on that interval), then 2^n applied
 * as two factors 2^(n/2) so that neither overflows: the first product is
 * exact, the second rounds once, also into the subnormal range.  Checked
 * against exp() in double on every float of [-120, 100]: at most 1 ulp. */
FX_INLINE __m256 fx_exp(__m256 x) {
    /* max/min return their second operand when either is NaN: x goes
     * second so that NaN passes through. */
    x = _mm256_min_ps(_mm256_set1_ps(88.8f), _mm256_max_ps(_mm256_set1_ps(-104.0f), x));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    /* n in [-150, 128]: both halves within the normal exponent range. */
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

/* ---- attention, f16 accumulator (bit for bit the scalar kernel) ------------------ */

/* fx_dot_f16_lanes(a, b, d) == the scalar dot_f16_lanes(a, f16(b), d) for b
 * already f16 values held in f32: accumulator g of lanes 0-7 is lo[g], of
 * lanes 8-15 hi[g]; the pairwise group sums and the halving 8, 4, 2, 1 are
 * the vector adds below, lane by lane. */
static float fx_dot_f16_lanes(const uint16_t *a, const float *b, int64_t d) {
    __m256 lo[4], hi[4];
    for (int g = 0; g < 4; g++) lo[g] = hi[g] = _mm256_setzero_ps();
    const int64_t np = d - d % 64;
    for (int64_t i = 0; i < np; i += 64)
        for (int g = 0; g < 4; g++) {
            const int64_t j = i + 16 * g;
            lo[g] = _mm256_fmadd_ps(fx_load_f16(a + j), _mm256_loadu_ps(b + j), lo[g]);
            hi[g] = _mm256_fmadd_ps(fx_load_f16(a + j + 8), _mm256_loadu_ps(b + j + 8), hi[g]);
        }
    lo[0] = _mm256_add_ps(lo[0], lo[2]);
    hi[0] = _mm256_add_ps(hi[0], hi[2]);
    lo[1] = _mm256_add_ps(lo[1], lo[3]);
    hi[1] = _mm256_add_ps(hi[1], hi[3]);
    lo[0] = _mm256_add_ps(lo[0], lo[1]);
    hi[0] = _mm256_add_ps(hi[0], hi[1]);
    const __m256 v8 = _mm256_add_ps(lo[0], hi[0]);
    __m128 v = _mm_add_ps(_mm256_castps256_ps128(v8), _mm256_extractf128_ps(v8, 1));
    v = _mm_add_ps(v, _mm_movehl_ps(v, v));
    v = _mm_add_ss(v, _mm_movehdup_ps(v));
    double s = (double)_mm_cvtss_f32(v);
    for (int64_t i = np; i < d; i++) s += (double)(l1__f16_to_f32(a[i]) * b[i]);
    return (float)s;
}

#if defined(__AVX512F__)
/* 16 lanes from row + i: f16 values widened, or f32 values. */
FX_INLINE __m512 fx_load_kv16(const void *row, int64_t i, bool f16) {
    return f16 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)row + i)))
               : _mm512_loadu_ps((const float *)row + i);
}
#endif

/* acc16 = f16(f32(acc16) * ms) when rescale, then acc16 = f16(fma(v, vs,
 * f32(acc16))): the two roundings of the scalar kernel, in one pass. */
static void fx_acc16_update(uint16_t *acc16, const uint16_t *vh, int64_t d, bool rescale, float ms,
                            float vs) {
    int64_t i = 0;
#if defined(__AVX512F__)
    const __m512 msw = _mm512_set1_ps(ms), vsw = _mm512_set1_ps(vs);
    if (rescale)
        for (; i + 16 <= d; i += 16) {
            const __m256i r = _mm512_cvtps_ph(_mm512_mul_ps(fx_load_kv16(acc16, i, true), msw),
                                              _MM_FROUND_TO_NEAREST_INT);
            const __m512 u = _mm512_fmadd_ps(fx_load_kv16(vh, i, true), vsw, _mm512_cvtph_ps(r));
            _mm256_storeu_si256((__m256i *)(acc16 + i), _mm512_cvtps_ph(u, _MM_FROUND_TO_NEAREST_INT));
        }
    else
        for (; i + 16 <= d; i += 16) {
            const __m512 u = _mm512_fmadd_ps(fx_load_kv16(vh, i, true), vsw, fx_load_kv16(acc16, i, true));
            _mm256_storeu_si256((__m256i *)(acc16 + i), _mm512_cvtps_ph(u, _MM_FROUND_TO_NEAREST_INT));
        }
#endif
    const __m256 msv = _mm256_set1_ps(ms), vsv = _mm256_set1_ps(vs);
    if (rescale)
        for (; i + 8 <= d; i += 8) {
            const __m128i r = _mm256_cvtps_ph(_mm256_mul_ps(fx_load_f16(acc16 + i), msv),
                                              _MM_FROUND_TO_NEAREST_INT);
            fx_store_f16(acc16 + i, _mm256_fmadd_ps(fx_load_f16(vh + i), vsv, _mm256_cvtph_ps(r)));
        }
    else
        for (; i + 8 <= d; i += 8)
            fx_store_f16(acc16 + i, _mm256_fmadd_ps(fx_load_f16(vh + i), vsv, fx_load_f16(acc16 + i)));
    for (; i < d; i++) {
        float a = l1__f16_to_f32(acc16[i]);
        if (rescale) a = l1__f16_to_f32(l1__f32_to_f16(a * ms));
        acc16[i] = l1__f32_to_f16(fmaf(l1__f16_to_f32(vh[i]), vs, a));
    }
}

/* Positions per block of fx_attention_f16acc. */
#define FX_F16ACC_BLOCK 32

static void fx_attention_f16acc(const l1__attn_args *a) {
    const int64_t d = a->head_dim;
    float *qf = (float *)a->work;           /* (d) query rounded to f16, held in f32 */
    uint16_t *acc16 = (uint16_t *)(qf + d); /* (d) f16 accumulator */
    int64_t i = 0;
    for (; i + 8 <= d; i += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(a->q + i), _MM_FROUND_TO_NEAREST_INT);
        _mm256_storeu_ps(qf + i, _mm256_cvtph_ps(h));
    }
    for (; i < d; i++) qf[i] = l1__f16_to_f32(l1__f32_to_f16(a->q[i]));
    memset(acc16, 0, (size_t)d * sizeof *acc16);
    float M = -INFINITY, S = 0.0f;
    const uint8_t *kb = (const uint8_t *)a->k, *vb = (const uint8_t *)a->v;
    float sc[FX_F16ACC_BLOCK];
    for (int64_t j0 = 0; j0 < a->n_kv; j0 += FX_F16ACC_BLOCK) {
        const int64_t nb = a->n_kv - j0 < FX_F16ACC_BLOCK ? a->n_kv - j0 : FX_F16ACC_BLOCK;
        /* The block's scores first: they do not depend on the running
         * maximum, so their dot products overlap. */
        for (int64_t j = 0; j < nb; j++)
            sc[j] = fx_dot_f16_lanes((const uint16_t *)(kb + (size_t)(j0 + j) * a->row_stride), qf, d) * a->scale;
        for (int64_t j = 0; j < nb; j++) {
            const uint16_t *vr = (const uint16_t *)(vb + (size_t)(j0 + j) * a->row_stride);
            const float s = sc[j];
            float ms, vs;
            const bool grow = l1__softmax_step(s, &M, &ms, &vs);
            fx_acc16_update(acc16, vr, d, grow, ms, vs);
            S = S * ms + vs;
        }
    }
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    const __m256 invv = _mm256_set1_ps(inv);
    for (i = 0; i + 8 <= d; i += 8) _mm256_storeu_ps(a->out + i, _mm256_mul_ps(fx_load_f16(acc16 + i), invv));
    for (; i < d; i++) a->out[i] = l1__f16_to_f32(acc16[i]) * inv;
}

/* ---- attention, f32 ---------------------------------------------------------------- */

/* Positions per block: the scores of a block live on the stack. */
#define FX_ATTN_BLOCK L1__ATTN_BLOCK
/* The head_dim 128 group kernel (AVX-512) prefetches the K and V rows this
 * many bytes ahead while it sums a block's values, one row of each per
 * value row, so that the prefetches are spread among the arithmetic
 * (8, 16 and 32 KiB measured the same). */
#define FX_GROUP_PF_AHEAD 16384

FX_INLINE __m256 fx_load_kv(const void *row, int64_t i, bool f16) {
    return f16 ? fx_load_f16((const uint16_t *)row + i) : _mm256_loadu_ps((const float *)row + i);
}

FX_INLINE float fx_kv_at(const void *row, int64_t i, bool f16) {
    return f16 ? l1__f16_to_f32(((const uint16_t *)row)[i]) : ((const float *)row)[i];
}

/* t[u] = the scalar sum of k_u[i] * q[i] for dv <= i < d, in that order,
 * for the n rows r[u]: the tail past the vector lanes of a score. */
FX_INLINE void fx_score_tails(float *t, int n, const void *const *r, const float *q, int64_t dv, int64_t d,
                              bool f16) {
    for (int u = 0; u < n; u++) t[u] = 0.0f;
    for (int64_t i = dv; i < d; i++)
        for (int u = 0; u < n; u++) t[u] += fx_kv_at(r[u], i, f16) * q[i];
}

/* Positions 0..3 of sc (scaled) from the four chains a0..a3 of rows r[0..3],
 * the tail past dv (d not a multiple of 8) added in scalar order. */
FX_INLINE void fx_scores_store4(float *sc, __m256 a0, __m256 a1, __m256 a2, __m256 a3, const void *const *r,
                                const float *q, int64_t dv, int64_t d, float scale, bool f16) {
    __m128 s4 = fx_hsum4(a0, a1, a2, a3);
    if (dv < d) {
        float t[4];
        fx_score_tails(t, 4, r, q, dv, d, f16);
        s4 = _mm_add_ps(s4, _mm_loadu_ps(t));
    }
    _mm_storeu_ps(sc, _mm_mul_ps(s4, _mm_set1_ps(scale)));
}

#if defined(__AVX512F__)

/* The eight lane sums of a[0..7], in that order: the 128-bit quarters
 * (q0 + q2) + (q1 + q3), then the four lanes (l0 + l1) + (l2 + l3).  Every
 * row gets the same additions whichever of the eight it is. */
FX_INLINE __m256 fx_hsum8x16(const __m512 a[8]) {
    __m512 p[4];
    L1__UNROLL for (int u = 0; u < 4; u++)
        p[u] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * u], a[2 * u + 1], 0x44),
                             _mm512_shuffle_f32x4(a[2 * u], a[2 * u + 1], 0xEE));
    /* p[u] quarters: rows 2u, 2u+1 as (q0+q2, q1+q3) each. */
    const __m512 x = _mm512_add_ps(_mm512_shuffle_f32x4(p[0], p[1], 0x88), _mm512_shuffle_f32x4(p[0], p[1], 0xDD));
    const __m512 y = _mm512_add_ps(_mm512_shuffle_f32x4(p[2], p[3], 0x88), _mm512_shuffle_f32x4(p[2], p[3], 0xDD));
    /* quarter k of x: row k's four lanes; of y: row 4 + k's. */
    const __m512 z = _mm512_add_ps(_mm512_shuffle_ps(x, y, 0x88), _mm512_shuffle_ps(x, y, 0xDD));
    const __m512 w = _mm512_add_ps(_mm512_shuffle_ps(z, z, 0x88), _mm512_shuffle_ps(z, z, 0xDD));
    /* lane 4k of w: row k, lane 4k + 1: row 4 + k. */
    const __m512i idx = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 13, 9, 5, 1, 12, 8, 4, 0);
    return _mm512_castps512_ps256(_mm512_permutexvar_ps(idx, w));
}

/* The scaled scores of the 8 rows from k on, into sc (AVX-512 tier): one
 * chain of fused multiply-adds per row over 16-lane slices, sharing each
 * load of q, the lanes added by fx_hsum8x16, the tail past d - d % 16 in
 * scalar order.  Only the first `live` rows exist: the others read the
 * last live row again (their scores are written too, and ignored). */
FX_INLINE void fx_scores_rows8_512(int live, const float *q, const uint8_t *k, size_t stride, int64_t d,
                                   float scale, bool f16, float *sc) {
    const void *r[8];
    __m512 a[8];
    const int64_t dv = d - d % 16;
    L1__UNROLL for (int u = 0; u < 8; u++) {
        r[u] = k + (size_t)(u < live ? u : live - 1) * stride;
        a[u] = _mm512_setzero_ps();
    }
    for (int64_t i = 0; i < dv; i += 16) {
        const __m512 qv = _mm512_loadu_ps(q + i);
        L1__UNROLL for (int u = 0; u < 8; u++) a[u] = _mm512_fmadd_ps(fx_load_kv16(r[u], i, f16), qv, a[u]);
    }
    __m256 s8 = fx_hsum8x16(a);
    if (dv < d) {
        float t[8];
        fx_score_tails(t, 8, r, q, dv, d, f16);
        s8 = _mm256_add_ps(s8, _mm256_loadu_ps(t));
    }
    _mm256_storeu_ps(sc, _mm256_mul_ps(s8, _mm256_set1_ps(scale)));
}
#endif

/* The scaled scores of the n rows (4 or 8) from k on, into sc: one chain
 * of fused multiply-adds per row over 8-lane slices, sharing each load of
 * q, then the lanes added four rows at a time (fx_hsum4).  Only the first
 * `live` rows exist: the others read the last live row again (their
 * scores are written too, and ignored by the caller). */
FX_INLINE void fx_scores_rows(int n, int live, const float *q, const uint8_t *k, size_t stride, int64_t dv,
                              int64_t d, float scale, bool f16, float *sc) {
    const void *r[8];
    __m256 a[8];
    L1__UNROLL for (int u = 0; u < n; u++) {
        r[u] = k + (size_t)(u < live ? u : live - 1) * stride;
        a[u] = _mm256_setzero_ps();
    }
    for (int64_t i = 0; i < dv; i += 8) {
        const __m256 qv = _mm256_loadu_ps(q + i);
        L1__UNROLL for (int u = 0; u < n; u++) a[u] = _mm256_fmadd_ps(fx_load_kv(r[u], i, f16), qv, a[u]);
    }
    L1__UNROLL for (int u = 0; u < n; u += 4)
        fx_scores_store4(sc + u, a[u], a[u + 1], a[u + 2], a[u + 3], r + u, q, dv, d, scale, f16);
}

/* sc[j] = scale * q . k_j for j < nb, the rows of k row_stride bytes
 * apart.  Eight rows at a time keep eight multiply-add chains in flight,
 * which the multiply-add latency needs (four measured half the
 * throughput); every row's score is the same bits in a pass of eight, of
 * four or alone.  AVX-512: passes of eight rows of fx_scores_rows8_512. */
FX_INLINE void fx_scores(const float *q, const uint8_t *k, size_t stride, int64_t nb, int64_t d,
                         float scale, bool f16, float *sc) {
#if defined(__AVX512F__)
    for (int64_t j = 0; j < nb; j += 8) {
        if (nb - j >= 8) {
            fx_scores_rows8_512(8, q, k + (size_t)j * stride, stride, d, scale, f16, sc + j);
        } else {
            float t[8];
            fx_scores_rows8_512((int)(nb - j), q, k + (size_t)j * stride, stride, d, scale, f16, t);
            for (int64_t u = 0; u < nb - j; u++) sc[j + u] = t[u];
        }
    }
#else
    const int64_t dv = d - d % 8;
    int64_t j = 0;
    for (; j + 8 <= nb; j += 8) fx_scores_rows(8, 8, q, k + (size_t)j * stride, stride, dv, d, scale, f16, sc + j);
    for (; j + 4 <= nb; j += 4) fx_scores_rows(4, 4, q, k + (size_t)j * stride, stride, dv, d, scale, f16, sc + j);
    if (j < nb) { /* the last 1..3 rows: a pass of four over them */
        float t[4];
        fx_scores_rows(4, (int)(nb - j), q, k + (size_t)j * stride, stride, dv, d, scale, f16, t);
        for (int u = 0; u < nb - j; u++) sc[j + u] = t[u];
    }
#endif
}

/* acc[i] += sum_j p[j] v_j[i] for j < nb: 64 accumulator lanes stay in
 * registers while the block's rows pass over them. */
FX_INLINE void fx_accumulate(float *acc, const float *p, const uint8_t *v, size_t stride, int64_t nb,
                             int64_t d, bool f16) {
    int64_t c = 0;
    /* Eight named accumulators: an array of them is not always kept in
     * registers once this is inlined into a larger loop. */
    for (; c + 64 <= d; c += 64) {
        float *a = acc + c;
        __m256 x0 = _mm256_loadu_ps(a), x1 = _mm256_loadu_ps(a + 8), x2 = _mm256_loadu_ps(a + 16);
        __m256 x3 = _mm256_loadu_ps(a + 24), x4 = _mm256_loadu_ps(a + 32), x5 = _mm256_loadu_ps(a + 40);
        __m256 x6 = _mm256_loadu_ps(a + 48), x7 = _mm256_loadu_ps(a + 56);
        for (int64_t j = 0; j < nb; j++) {
            const void *r = v + (size_t)j * stride;
            const __m256 pj = _mm256_set1_ps(p[j]);
            x0 = _mm256_fmadd_ps(fx_load_kv(r, c, f16), pj, x0);
            x1 = _mm256_fmadd_ps(fx_load_kv(r, c + 8, f16), pj, x1);
            x2 = _mm256_fmadd_ps(fx_load_kv(r, c + 16, f16), pj, x2);
            x3 = _mm256_fmadd_ps(fx_load_kv(r, c + 24, f16), pj, x3);
            x4 = _mm256_fmadd_ps(fx_load_kv(r, c + 32, f16), pj, x4);
            x5 = _mm256_fmadd_ps(fx_load_kv(r, c + 40, f16), pj, x5);
            x6 = _mm256_fmadd_ps(fx_load_kv(r, c + 48, f16), pj, x6);
            x7 = _mm256_fmadd_ps(fx_load_kv(r, c + 56, f16), pj, x7);
        }
        _mm256_storeu_ps(a, x0);
        _mm256_storeu_ps(a + 8, x1);
        _mm256_storeu_ps(a + 16, x2);
        _mm256_storeu_ps(a + 24, x3);
        _mm256_storeu_ps(a + 32, x4);
        _mm256_storeu_ps(a + 40, x5);
        _mm256_storeu_ps(a + 48, x6);
        _mm256_storeu_ps(a + 56, x7);
    }
    for (; c + 8 <= d; c += 8) {
        __m256 x = _mm256_loadu_ps(acc + c);
        for (int64_t j = 0; j < nb; j++)
            x = _mm256_fmadd_ps(fx_load_kv(v + (size_t)j * stride, c, f16), _mm256_set1_ps(p[j]), x);
        _mm256_storeu_ps(acc + c, x);
    }
    for (; c < d; c++)
        for (int64_t j = 0; j < nb; j++) acc[c] += fx_kv_at(v + (size_t)j * stride, c, f16) * p[j];
}

/* One block of the online softmax of one head: sc[j] (j < nb) turns from
 * scores into weights e^(s - M); when the block holds a new maximum, M
 * moves to it and the sum *S and the accumulator acc (d) are rescaled
 * first.  The block's weights are added to *S. */
FX_INLINE void fx_block_weights(float *sc, int64_t nb, float *M, float *S, float *acc, int64_t d) {
    /* The block's maximum by the rule mb = (s > mb ? s : mb) from
     * mb = sc[0], which skips a NaN score unless it is sc[0].  Every lane
     * starts from sc[0] and applies the same rule (maxps returns its
     * second operand unless the first is greater), so no lane turns NaN
     * unless sc[0] is; the lanes then meet by the same rule.  Only the
     * sign of a zero maximum can differ from a sequential scan, and
     * s - M and the rescale below give the same values for both. */
    __m256 mv8 = _mm256_set1_ps(sc[0]);
    int64_t k = 0;
    for (; k + 8 <= nb; k += 8) mv8 = _mm256_max_ps(_mm256_loadu_ps(sc + k), mv8);
    float lanes[8];
    _mm256_storeu_ps(lanes, mv8);
    float mb = lanes[0];
    for (int u = 1; u < 8; u++) mb = lanes[u] > mb ? lanes[u] : mb;
    for (; k < nb; k++) mb = sc[k] > mb ? sc[k] : mb;
    if (mb > *M) {
        /* A new maximum: scale what was summed so far to it. */
        const float ms = expf(*M - mb);
        *M = mb;
        *S *= ms;
        const __m256 msv = _mm256_set1_ps(ms);
        int64_t i = 0;
        for (; i + 8 <= d; i += 8) _mm256_storeu_ps(acc + i, _mm256_mul_ps(_mm256_loadu_ps(acc + i), msv));
        for (; i < d; i++) acc[i] *= ms;
    }
    /* Weights e^(s - M), zero-padded to whole vectors. */
    int64_t j = 0;
    __m256 sum = _mm256_setzero_ps();
    const __m256 mv = _mm256_set1_ps(*M);
    for (; j + 8 <= nb; j += 8) {
        const __m256 e = fx_exp(_mm256_sub_ps(_mm256_loadu_ps(sc + j), mv));
        _mm256_storeu_ps(sc + j, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (j < nb) {
        float t[8] = {0};
        memcpy(t, sc + j, (size_t)(nb - j) * sizeof *t);
        const __m256 e = fx_exp(_mm256_sub_ps(_mm256_loadu_ps(t), mv));
        const __m256 keep = _mm256_cmp_ps(_mm256_set_ps(7, 6, 5, 4, 3, 2, 1, 0),
                                          _mm256_set1_ps((float)(nb - j)), _CMP_LT_OQ);
        const __m256 em = _mm256_and_ps(e, keep);
        _mm256_storeu_ps(t, em);
        memcpy(sc + j, t, (size_t)(nb - j) * sizeof *t);
        sum = _mm256_add_ps(sum, em);
    }
    *S += fx_hsum(sum);
}

FX_INLINE void fx_attention_f32_body(const l1__attn_args *a, bool f16) {
    const int64_t d = a->head_dim;
    float *acc = (float *)a->work; /* (d) */
    memset(acc, 0, (size_t)d * sizeof *acc);
    const uint8_t *kb = (const uint8_t *)a->k, *vb = (const uint8_t *)a->v;
    float sc[FX_ATTN_BLOCK];
    float M = -INFINITY, S = 0.0f;
    for (int64_t j0 = 0; j0 < a->n_kv; j0 += FX_ATTN_BLOCK) {
        const int64_t nb = a->n_kv - j0 < FX_ATTN_BLOCK ? a->n_kv - j0 : FX_ATTN_BLOCK;
        const size_t off = (size_t)j0 * a->row_stride;
        fx_scores(a->q, kb + off, a->row_stride, nb, d, a->scale, f16, sc);
        fx_block_weights(sc, nb, &M, &S, acc, d);
        fx_accumulate(acc, sc, vb + off, a->row_stride, nb, d, f16);
    }
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    const __m256 invv = _mm256_set1_ps(inv);
    int64_t i = 0;
    for (; i + 8 <= d; i += 8) _mm256_storeu_ps(a->out + i, _mm256_mul_ps(_mm256_loadu_ps(acc + i), invv));
    for (; i < d; i++) a->out[i] = acc[i] * inv;
}

#if defined(__AVX512F__)
/* dst (nb, d) = the nb f16 rows of src, stride bytes apart, widened (the
 * AVX-512 group body where head_dim is not 128).  Each row prefetches the
 * bytes L1__PREFETCH_AHEAD further on (x86/common.h). */
FX_INLINE void fx_widen_rows(float *dst, const uint8_t *src, size_t stride, int64_t nb, int64_t d) {
    for (int64_t j = 0; j < nb; j++) {
        const uint16_t *r = (const uint16_t *)(src + (size_t)j * stride);
        prefetch_block((const uint8_t *)r + L1__PREFETCH_AHEAD, (size_t)d * sizeof *r);
        float *o = dst + j * d;
        int64_t c = 0;
        for (; c + 8 <= d; c += 8) _mm256_storeu_ps(o + c, fx_load_f16(r + c));
        for (; c < d; c++) o[c] = l1__f16_to_f32(r[c]);
    }
}

/* Heads per pass of the head_dim 128 group kernels below: their
 * accumulators fill 24 of the 32 zmm registers at six. */
#define FX_HEADS 6

/* The scaled scores of nh (1..FX_HEADS) heads over four rows of k from
 * row 0 on, head_dim 128: each 16-lane slice of a row is loaded (and
 * widened from f16) once for the nh heads, 4 x nh chains of fused
 * multiply-adds.  Every chain is fx_scores_rows8_512's chain of its row
 * and head, and its lanes are added by the same fx_hsum8x16: the same
 * bits.  Only the first `live` rows exist (the others read the last live
 * row again); head h's scores go to sc + h * FX_ATTN_BLOCK. */
FX_INLINE void fx_scores4_heads_d128(int nh, int live, const float *q, int64_t q_stride, const uint8_t *k,
                                     size_t stride, float scale, bool f16, float *sc) {
    const void *r[4];
    __m512 a[FX_HEADS][4];
    L1__UNROLL for (int u = 0; u < 4; u++) r[u] = k + (size_t)(u < live ? u : live - 1) * stride;
    L1__UNROLL for (int h = 0; h < FX_HEADS; h++) L1__UNROLL for (int u = 0; u < 4; u++) a[h][u] = _mm512_setzero_ps();
    L1__UNROLL for (int i = 0; i < 128; i += 16) {
        __m512 qv[FX_HEADS];
        L1__UNROLL for (int h = 0; h < FX_HEADS; h++) if (h < nh) qv[h] = _mm512_loadu_ps(q + h * q_stride + i);
        L1__UNROLL for (int u = 0; u < 4; u++) {
            const __m512 kv = fx_load_kv16(r[u], i, f16);
            L1__UNROLL for (int h = 0; h < FX_HEADS; h++) if (h < nh) a[h][u] = _mm512_fmadd_ps(kv, qv[h], a[h][u]);
        }
    }
    const __m256 sv = _mm256_set1_ps(scale);
    L1__UNROLL for (int h = 0; h < FX_HEADS; h += 2) {
        if (h >= nh) break;
        const int h1 = h + 1 < nh ? h + 1 : h;
        const __m512 v[8] = {a[h][0], a[h][1], a[h][2], a[h][3], a[h1][0], a[h1][1], a[h1][2], a[h1][3]};
        const __m256 s8 = _mm256_mul_ps(fx_hsum8x16(v), sv);
        if (live == 4) {
            _mm_storeu_ps(sc + h * FX_ATTN_BLOCK, _mm256_castps256_ps128(s8));
            if (h + 1 < nh) _mm_storeu_ps(sc + (h + 1) * FX_ATTN_BLOCK, _mm256_extractf128_ps(s8, 1));
        } else {
            float t[8];
            _mm256_storeu_ps(t, s8);
            for (int u = 0; u < live; u++) sc[h * FX_ATTN_BLOCK + u] = t[u];
            if (h + 1 < nh)
                for (int u = 0; u < live; u++) sc[(h + 1) * FX_ATTN_BLOCK + u] = t[4 + u];
        }
    }
}

/* fx_accumulate of nh (1..FX_HEADS) heads at once, head_dim 128: half a
 * row (64 lanes) at a time, its 4 x nh accumulators in registers while
 * each V row's half is loaded (and widened) once for the nh heads.  Each
 * lane gets the fused multiply-adds of fx_accumulate in the same order:
 * bit for bit.  With pfk set, each row prefetches one row of K and of V
 * at pfk and pfv, the same distance on. */
FX_INLINE void fx_accumulate_heads_d128(int nh, float *const *acc, const float *const *p, const uint8_t *v,
                                        size_t stride, int64_t nb, bool f16, const uint8_t *pfk,
                                        const uint8_t *pfv) {
    const size_t rb = f16 ? 256 : 512;
    for (int half = 0; half < 2; half++) {
        __m512 x[FX_HEADS][4];
        L1__UNROLL for (int h = 0; h < FX_HEADS; h++) if (h < nh)
            L1__UNROLL for (int u = 0; u < 4; u++) x[h][u] = _mm512_loadu_ps(acc[h] + 64 * half + 16 * u);
        for (int64_t j = 0; j < nb; j++) {
            const void *r = v + (size_t)j * stride;
            if (pfk && half == 0) {
                prefetch_block(pfk + (size_t)j * stride, rb);
                prefetch_block(pfv + (size_t)j * stride, rb);
            }
            __m512 b[FX_HEADS];
            L1__UNROLL for (int h = 0; h < FX_HEADS; h++) if (h < nh) b[h] = _mm512_set1_ps(p[h][j]);
            L1__UNROLL for (int u = 0; u < 4; u++) {
                const __m512 vu = fx_load_kv16(r, 64 * half + 16 * u, f16);
                L1__UNROLL for (int h = 0; h < FX_HEADS; h++) if (h < nh) x[h][u] = _mm512_fmadd_ps(vu, b[h], x[h][u]);
            }
        }
        L1__UNROLL for (int h = 0; h < FX_HEADS; h++) if (h < nh)
            L1__UNROLL for (int u = 0; u < 4; u++) _mm512_storeu_ps(acc[h] + 64 * half + 16 * u, x[h][u]);
    }
}

/* One block of nb rows for heads h0 .. h0 + nh - 1 of a group, head_dim
 * 128: scores, weights, values (the three steps of fx_attention_f32_body
 * for each head). */
FX_INLINE void fx_group_block_d128(int nh, const l1__attn_group_args *a, int h0, const uint8_t *kr,
                                   const uint8_t *vr, int64_t nb, float *scs, bool f16, const uint8_t *pfk,
                                   const uint8_t *pfv) {
    const int64_t rs = a->rec_stride;
    const float *q = a->q + h0 * a->q_stride;
    for (int64_t j = 0; j < nb; j += 4)
        fx_scores4_heads_d128(nh, nb - j < 4 ? (int)(nb - j) : 4, q, a->q_stride, kr + (size_t)j * a->row_stride,
                              a->row_stride, a->scale, f16, scs + j);
    float *acc[FX_HEADS];
    const float *p[FX_HEADS];
    for (int h = 0; h < nh; h++) {
        float *r = a->rec + (h0 + h) * rs;
        fx_block_weights(scs + h * FX_ATTN_BLOCK, nb, &r[128], &r[129], r, 128);
        acc[h] = r;
        p[h] = scs + h * FX_ATTN_BLOCK;
    }
    fx_accumulate_heads_d128(nh, acc, p, vr, a->row_stride, nb, f16, pfk, pfv);
}

/* The group body for head_dim 128: block by block, the heads in passes of
 * up to FX_HEADS, each K and V row read in place once per pass. */
FX_INLINE void fx_group_d128(const l1__attn_group_args *a, bool f16, float *scs) {
    const uint8_t *kb = (const uint8_t *)a->k, *vb = (const uint8_t *)a->v;
    for (int64_t j0 = 0; j0 < a->n_kv; j0 += FX_ATTN_BLOCK) {
        const int64_t nb = a->n_kv - j0 < FX_ATTN_BLOCK ? a->n_kv - j0 : FX_ATTN_BLOCK;
        const size_t off = (size_t)j0 * a->row_stride;
        for (int h0 = 0; h0 < a->n_q; h0 += FX_HEADS) {
            const int nh = a->n_q - h0 < FX_HEADS ? a->n_q - h0 : FX_HEADS;
            const uint8_t *pfk = h0 == 0 ? kb + off + FX_GROUP_PF_AHEAD : NULL, *pfv = vb + off + FX_GROUP_PF_AHEAD;
            switch (nh) {
            case 6: fx_group_block_d128(6, a, h0, kb + off, vb + off, nb, scs, f16, pfk, pfv); break;
            case 5: fx_group_block_d128(5, a, h0, kb + off, vb + off, nb, scs, f16, pfk, pfv); break;
            case 4: fx_group_block_d128(4, a, h0, kb + off, vb + off, nb, scs, f16, pfk, pfv); break;
            case 3: fx_group_block_d128(3, a, h0, kb + off, vb + off, nb, scs, f16, pfk, pfv); break;
            case 2: fx_group_block_d128(2, a, h0, kb + off, vb + off, nb, scs, f16, pfk, pfv); break;
            default: fx_group_block_d128(1, a, h0, kb + off, vb + off, nb, scs, f16, pfk, pfv); break;
            }
        }
    }
}
#endif

#if !defined(__AVX512F__)
/* The scaled scores of nh (1..3) heads over the nb rows of k, into
 * sc + h * FX_ATTN_BLOCK: four rows at a time, 4 x nh multiply-add chains
 * (12 of the 16 ymm registers at nh = 3), each 8-lane slice of K read
 * once (and widened from f16 in registers) for the nh heads.  Every chain
 * is fx_scores_rows' chain of its row and head, finished by the same
 * fx_scores_store4: the same bits.  Rows past nb read the last row again
 * and their scores go to a scratch array. */
FX_INLINE void fx_scores_heads(int nh, const float *q, int64_t q_stride, const uint8_t *k, size_t stride,
                               int64_t nb, int64_t d, float scale, bool f16, float *sc) {
    const int64_t dv = d - d % 8;
    for (int64_t j = 0; j < nb; j += 4) {
        const int live = nb - j < 4 ? (int)(nb - j) : 4;
        const void *r[4];
        __m256 a[3][4];
        L1__UNROLL for (int u = 0; u < 4; u++) r[u] = k + (size_t)(j + (u < live ? u : live - 1)) * stride;
        L1__UNROLL for (int h = 0; h < 3; h++) L1__UNROLL for (int u = 0; u < 4; u++) a[h][u] = _mm256_setzero_ps();
        for (int64_t i = 0; i < dv; i += 8) {
            L1__UNROLL for (int u = 0; u < 4; u++) {
                const __m256 kv = fx_load_kv(r[u], i, f16);
                L1__UNROLL for (int h = 0; h < 3; h++)
                    if (h < nh) a[h][u] = _mm256_fmadd_ps(kv, _mm256_loadu_ps(q + h * q_stride + i), a[h][u]);
            }
        }
        L1__UNROLL for (int h = 0; h < 3; h++) {
            if (h >= nh) break;
            float *o = sc + h * FX_ATTN_BLOCK + j, t[4];
            fx_scores_store4(live == 4 ? o : t, a[h][0], a[h][1], a[h][2], a[h][3], r, q + h * q_stride, dv, d,
                             scale, f16);
            if (live < 4) memcpy(o, t, (size_t)live * sizeof *t);
        }
    }
}

/* fx_accumulate of three heads at once over the first d - d % 32 lanes:
 * 3 x 32 accumulator lanes in 12 ymm registers while each 32-lane slice
 * of a V row is loaded (and widened) once for the three; the remaining
 * lanes by fx_accumulate.  Each lane gets the fused multiply-adds of
 * fx_accumulate in the same order: bit for bit. */
FX_INLINE void fx_accumulate3(float *a0, float *a1, float *a2, const float *p0, const float *p1, const float *p2,
                              const uint8_t *v, size_t stride, int64_t nb, int64_t d, bool f16) {
    const int64_t d32 = (d - d % 8) / 32 * 32;
    for (int64_t c = 0; c < d32; c += 32) {
        __m256 x[3][4];
        float *acc[3] = {a0 + c, a1 + c, a2 + c};
        L1__UNROLL for (int h = 0; h < 3; h++) L1__UNROLL for (int u = 0; u < 4; u++) x[h][u] = _mm256_loadu_ps(acc[h] + 8 * u);
        for (int64_t j = 0; j < nb; j++) {
            const void *r = v + (size_t)j * stride;
            const __m256 b0 = _mm256_broadcast_ss(p0 + j), b1 = _mm256_broadcast_ss(p1 + j), b2 = _mm256_broadcast_ss(p2 + j);
            L1__UNROLL for (int u = 0; u < 4; u++) {
                const __m256 vu = fx_load_kv(r, c + 8 * u, f16);
                x[0][u] = _mm256_fmadd_ps(vu, b0, x[0][u]);
                x[1][u] = _mm256_fmadd_ps(vu, b1, x[1][u]);
                x[2][u] = _mm256_fmadd_ps(vu, b2, x[2][u]);
            }
        }
        L1__UNROLL for (int h = 0; h < 3; h++) L1__UNROLL for (int u = 0; u < 4; u++) _mm256_storeu_ps(acc[h] + 8 * u, x[h][u]);
    }
    if (d32 < d) {
        const uint8_t *vt = v + (size_t)d32 * (f16 ? 2 : 4);
        fx_accumulate(a0 + d32, p0, vt, stride, nb, d - d32, f16);
        fx_accumulate(a1 + d32, p1, vt, stride, nb, d - d32, f16);
        fx_accumulate(a2 + d32, p2, vt, stride, nb, d - d32, f16);
    }
}
#endif

/* The F32 body for every head of a group, block by block.  AVX2: K and V
 * rows are read in place, three heads at a time (fx_scores_heads,
 * fx_accumulate3).  AVX-512, head_dim 128: K and V rows are read in place,
 * up to six heads at a time (fx_group_d128).  AVX-512, other head_dims: an
 * F16 block of K is widened once into the work buffer and used by all the
 * heads from there, V rows are read in place.  Widening is exact, so each
 * head's arithmetic is that of fx_attention_f32_body. */
FX_INLINE void fx_attention_group_body(const l1__attn_group_args *a, bool f16) {
    const int64_t d = a->head_dim, rs = a->rec_stride;
    float *blk = (float *)a->work;             /* (FX_ATTN_BLOCK, d) */
    float *scs = blk + FX_ATTN_BLOCK * d;      /* (n_q, FX_ATTN_BLOCK) */
    for (int h = 0; h < a->n_q; h++) {
        float *r = a->rec + h * rs;
        memset(r, 0, (size_t)d * sizeof *r);
        r[d] = -INFINITY;
        r[d + 1] = 0.0f;
    }
    const uint8_t *kb = (const uint8_t *)a->k, *vb = (const uint8_t *)a->v;
#if !defined(__AVX512F__)
    /* AVX2: K and V are read in place by three heads at a time. */
    (void)blk;
    const size_t rb = (size_t)d * (f16 ? 2 : 4);
    for (int64_t j0 = 0; j0 < a->n_kv; j0 += FX_ATTN_BLOCK) {
        const int64_t nb = a->n_kv - j0 < FX_ATTN_BLOCK ? a->n_kv - j0 : FX_ATTN_BLOCK;
        const size_t off = (size_t)j0 * a->row_stride;
        const uint8_t *kr = kb + off, *vr = vb + off;
        for (int64_t j = 0; j < nb; j++) {
            prefetch_block(kr + (size_t)j * a->row_stride + L1__PREFETCH_AHEAD, rb);
            prefetch_block(vr + (size_t)j * a->row_stride + L1__PREFETCH_AHEAD, rb);
        }
        int h = 0;
        for (; h + 3 <= a->n_q; h += 3)
            fx_scores_heads(3, a->q + h * a->q_stride, a->q_stride, kr, a->row_stride, nb, d, a->scale, f16,
                            scs + h * FX_ATTN_BLOCK);
        if (a->n_q - h == 2)
            fx_scores_heads(2, a->q + h * a->q_stride, a->q_stride, kr, a->row_stride, nb, d, a->scale, f16,
                            scs + h * FX_ATTN_BLOCK);
        else if (a->n_q - h == 1)
            fx_scores_heads(1, a->q + h * a->q_stride, a->q_stride, kr, a->row_stride, nb, d, a->scale, f16,
                            scs + h * FX_ATTN_BLOCK);
        for (h = 0; h < a->n_q; h++) {
            float *r = a->rec + h * rs;
            fx_block_weights(scs + h * FX_ATTN_BLOCK, nb, &r[d], &r[d + 1], r, d);
        }
        for (h = 0; h + 3 <= a->n_q; h += 3)
            fx_accumulate3(a->rec + h * rs, a->rec + (h + 1) * rs, a->rec + (h + 2) * rs, scs + h * FX_ATTN_BLOCK,
                           scs + (h + 1) * FX_ATTN_BLOCK, scs + (h + 2) * FX_ATTN_BLOCK, vr, a->row_stride, nb, d,
                           f16);
        for (; h < a->n_q; h++) fx_accumulate(a->rec + h * rs, scs + h * FX_ATTN_BLOCK, vr, a->row_stride, nb, d, f16);
    }
#else
    if (d == 128) {
        fx_group_d128(a, f16, scs);
        return;
    }
    const size_t bstride = (size_t)d * sizeof(float);
    for (int64_t j0 = 0; j0 < a->n_kv; j0 += FX_ATTN_BLOCK) {
        const int64_t nb = a->n_kv - j0 < FX_ATTN_BLOCK ? a->n_kv - j0 : FX_ATTN_BLOCK;
        const size_t off = (size_t)j0 * a->row_stride;
        const uint8_t *rows = kb + off;
        size_t stride = a->row_stride;
        if (f16) {
            fx_widen_rows(blk, rows, stride, nb, d);
            rows = (const uint8_t *)blk;
            stride = bstride;
        }
        for (int h = 0; h < a->n_q; h++) {
            float *sc = scs + h * FX_ATTN_BLOCK, *r = a->rec + h * rs;
            fx_scores(a->q + h * a->q_stride, rows, stride, nb, d, a->scale, false, sc);
            fx_block_weights(sc, nb, &r[d], &r[d + 1], r, d);
        }
        rows = vb + off;
        stride = a->row_stride;
        for (int64_t j = 0; j < nb; j++)
            prefetch_block(rows + (size_t)j * stride + L1__PREFETCH_AHEAD, (size_t)d * (f16 ? 2 : 4));
        for (int h = 0; h < a->n_q; h++)
            fx_accumulate(a->rec + h * rs, scs + h * FX_ATTN_BLOCK, rows, stride, nb, d, f16);
    }
#endif
}

static void fx_attention_group(const l1__attn_group_args *a) {
    if (a->kv_type == L1_TYPE_F16)
        fx_attention_group_body(a, true);
    else
        fx_attention_group_body(a, false);
}

static void fx_attention_f32_f16kv(const l1__attn_args *a) { fx_attention_f32_body(a, true); }
static void fx_attention_f32_f32kv(const l1__attn_args *a) { fx_attention_f32_body(a, false); }

static void fx_attention(const l1__attn_args *a) {
    if (a->kv_type == L1_TYPE_F16) {
        if (a->mode == L1__ATTN_F16_ACC)
            fx_attention_f16acc(a);
        else
            fx_attention_f32_f16kv(a);
    } else {
        fx_attention_f32_f32kv(a);
    }
}

/* ---- element-wise ---------------------------------------------------------------- */

static void fx_swiglu(float *y, const float *g, const float *u, int64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f), neg = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 gv = _mm256_loadu_ps(g + i);
        const __m256 e = fx_exp(_mm256_xor_ps(gv, neg));
        const __m256 s = _mm256_div_ps(gv, _mm256_add_ps(one, e));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(s, _mm256_loadu_ps(u + i)));
    }
    for (; i < n; i++) {
        const float s = g[i] / (1.0f + expf(-g[i]));
        y[i] = s * u[i];
    }
}

static void fx_rmsnorm(float *y, const float *x, const float *w, int64_t n, float eps) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        const __m256 aa = _mm256_mul_ps(a, a), bb = _mm256_mul_ps(b, b);
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(aa)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(aa, 1)));
        s2 = _mm256_add_pd(s2, _mm256_cvtps_pd(_mm256_castps256_ps128(bb)));
        s3 = _mm256_add_pd(s3, _mm256_cvtps_pd(_mm256_extractf128_ps(bb, 1)));
    }
    const __m256d s = _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3));
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    h = _mm_add_sd(h, _mm_unpackhi_pd(h, h));
    double sum = _mm_cvtsd_f64(h);
    for (; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    const __m256 sv = _mm256_set1_ps(scale);
    for (i = 0; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), sv), _mm256_loadu_ps(w + i)));
    for (; i < n; i++) y[i] = x[i] * scale * w[i];
}

static void fx_rope_neox(float *x, int64_t n_head, int64_t head_dim, const float *cs, const float *sn) {
    const int64_t half = head_dim / 2;
    for (int64_t h = 0; h < n_head; h++) {
        float *p = x + h * head_dim;
        int64_t i = 0;
        for (; i + 8 <= half; i += 8) {
            const __m256 x0 = _mm256_loadu_ps(p + i), x1 = _mm256_loadu_ps(p + i + half);
            const __m256 c = _mm256_loadu_ps(cs + i), s = _mm256_loadu_ps(sn + i);
            _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_mul_ps(x0, c), _mm256_mul_ps(x1, s)));
            _mm256_storeu_ps(p + i + half, _mm256_add_ps(_mm256_mul_ps(x0, s), _mm256_mul_ps(x1, c)));
        }
        for (; i < half; i++) {
            const float x0 = p[i], x1 = p[i + half];
            p[i] = x0 * cs[i] - x1 * sn[i];
            p[i + half] = x0 * sn[i] + x1 * cs[i];
        }
    }
}

static void fx_add(float *y, const float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
    for (; i < n; i++) y[i] += x[i];
}

/* Sets the float kernels of `k`. */
static void x86_fill_float(l1__kernels *k) {
    k->attention = fx_attention;
    k->attention_group = fx_attention_group;
    k->swiglu = fx_swiglu;
    k->rmsnorm = fx_rmsnorm;
    k->rope_neox = fx_rope_neox;
    k->add = fx_add;
}

#endif /* L1_KERNELS_X86_FLOAT_H */
