/*
 * common.h - what every x86 kernel header shares: the integer and float
 * primitives of both x86 tiers, the inlining and unrolling macros, and
 * the weight prefetch.  Included by dot.h, x8.h and float.h; the
 * including tier file (tier_avx2.c, tier_avx512.c) defines L1__X86_VNNI
 * (0 or 1) and is compiled with that tier's -m flags.  Everything is
 * static, so the two tiers' copies never clash.
 */
#ifndef L1_KERNELS_X86_COMMON_H
#define L1_KERNELS_X86_COMMON_H

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/fp16.h"
#include "kernels/kernels.h"

#ifndef L1__X86_VNNI
#  error "define L1__X86_VNNI (0: AVX2, 1: AVX-512 VNNI) before including an x86 kernel header"
#endif

/* ---- primitives ------------------------------------------------------------ */

static inline float f16(uint16_t h) { return _cvtsh_ss(h); }

static inline float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline int32_t hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

/* acc + sums of 4 adjacent u8 * s8 products (a unsigned, b signed).  The
 * AVX2 form passes through i16 pairs: exact while |a| * |b| * 2 < 2^15,
 * which holds for codes below 128 times activations in [-127, 127]. */
static inline __m256i dpbusd(__m256i acc, __m256i a, __m256i b) {
#if L1__X86_VNNI
    return _mm256_dpbusd_epi32(acc, a, b);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1)));
#endif
}

/* acc + sums of 2 adjacent u8 * s8 products in i16 lanes (maddubs), the
 * AVX2 kernels' way of summing several steps before one widening: exact
 * while every lane's running sum stays within i16, which each caller
 * bounds. */
static inline __m256i dpbusd16(__m256i acc, __m256i a, __m256i b) {
    return _mm256_add_epi16(acc, _mm256_maddubs_epi16(a, b));
}

/* acc + sums of 2 adjacent i16 * i16 products. */
static inline __m256i dpwssd(__m256i acc, __m256i a, __m256i b) {
#if L1__X86_VNNI
    return _mm256_dpwssd_epi32(acc, a, b);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
#endif
}

/* Sums of 4 adjacent s8 * s8 products; x may hold -128, y may not. */
static inline __m256i dot_s8(__m256i x, __m256i y) {
    return dpbusd(_mm256_setzero_si256(), _mm256_abs_epi8(x), _mm256_sign_epi8(y, x));
}

/* 32 nibbles of a 16-byte Q4_0-ordered array: low nibbles first. */
static inline __m256i nibbles32(const uint8_t *qs) {
    const __m128i b = _mm_loadu_si128((const __m128i *)qs);
    const __m128i m = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}

static inline __m256i loadu256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }

#define L1__AI static inline __attribute__((always_inline))
#define L1__UNROLL _Pragma("GCC unroll 8")

/* Several rows read side by side are short interleaved streams that the
 * hardware prefetcher follows badly (measured: a 4-row Q4_K matvec streamed
 * at half the speed of a 1-row one).  Each row block therefore prefetches
 * the bytes L1__PREFETCH_AHEAD further on into L2; as the rows of a matrix
 * are contiguous, the blocks of one call together cover the memory that
 * far ahead.  16 KiB into L2 (T1) measured best; into L1 (T0) it does not
 * help.  Prefetches never fault, so running past the matrix is harmless. */
#define L1__PREFETCH_AHEAD 16384

L1__AI void prefetch_block(const uint8_t *p, size_t size) {
    for (size_t o = 0; o < size; o += 64) _mm_prefetch((const char *)p + o, _MM_HINT_T1);
}

/* acc + p * (f16 weight scale * activation scale), p the block's i32 lanes. */
L1__AI __m256 scale_acc(__m256i p, uint16_t dx, float dy, __m256 acc) {
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(f16(dx) * dy), acc);
}

#endif /* L1_KERNELS_X86_COMMON_H */
