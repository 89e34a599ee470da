/*
 * simd.h - the ISA tiers of the kernel layer and the lookup of their
 * quantized dot products and activation quantizers.
 *
 * A tier is a set of kernels compiled for one instruction-set level
 * (quant_avx2.c, quant_avx512.c, quant_neon.c).  The best tier the CPU
 * supports is chosen once; L1_FORCE_SCALAR=1 in the environment, or
 * L1_TIER=scalar|avx2|avx512|neon (the best supported tier up to that one),
 * or l1__tier_set, overrides the choice.  Lookups take the tier explicitly, so
 * tests can run every supported tier on one host, and return NULL where a
 * tier has no kernel of its own: the caller then uses the scalar reference
 * of quant.h (l1__quant_traits), which every tier agrees with.  A tier's
 * table also holds its tile kernels (several rows x several tokens), its
 * x8 kernels over repacked weights (repack.h) and its float kernels of the
 * forward pass (kernels.h contracts).
 *
 * Contracts of the kernels (same as the scalar traits):
 *   vec_dot:      *s = sum_i x[i] * y[i] over n values; x of the weight type,
 *                 y of its vec_dot_type; n a multiple of both block sizes.
 *                 Any alignment.  Integer block sums are exact; the float
 *                 result may differ from the scalar one by rounding.
 *   vec_dot_rows: s[r] = vec_dot(n, x + r * bx, y) for r < nr (1..4), bit
 *                 for bit the same tier's vec_dot: the activation row is
 *                 loaded once for nr weight rows (bx bytes apart).  It
 *                 prefetches weight bytes ahead (see quant_x86_impl.h), so
 *                 a caller walking a matrix should take rows in order.
 *   quantize_row: y = the activation format of n floats (Q8_0/Q8_1/Q8_K),
 *                 bit-identical to the scalar quantizer.
 */
#ifndef L1_SIMD_H
#define L1_SIMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "types.h"

typedef enum l1__tier {
    L1_TIER_SCALAR = 0,
    L1_TIER_AVX2 = 1,   /* x86-64: AVX2 + FMA + F16C */
    L1_TIER_AVX512 = 2, /* x86-64: AVX-512 F/BW/VL/DQ + VNNI */
    L1_TIER_NEON = 3,   /* aarch64: NEON + dotprod + fp16 */
    L1_TIER_COUNT = 4
} l1__tier;

typedef void (*l1__vec_dot_fn)(int64_t n, float *s, const void *x, const void *y);
typedef void (*l1__vec_dot_rows_fn)(int64_t n, float *s, const void *x, size_t bx,
                                    const void *y, int nr);
typedef void (*l1__quantize_row_fn)(const float *x, void *y, int64_t n);

#define L1__VEC_DOT_MAX_ROWS 4

/* s[t * lds + r] = vec_dot(n, x + r * bx, y + t * by) for r < nr (1..4) and
 * t < nt (1..L1__VEC_DOT_MAX_TOKENS), bit for bit the same tier's vec_dot:
 * each weight block is unpacked once for the nt activation rows. */
typedef void (*l1__vec_dot_tile_fn)(int64_t n, float *s, size_t lds, const void *x, size_t bx,
                                    const void *y, size_t by, int nr, int nt);

#define L1__VEC_DOT_MAX_TOKENS 4

/* Products over weights in the x8 layout of repack.h: s[t * lds + 8g + r]
 * = the x8 dot of row 8g + r with activation row t, for groups g < ng
 * (group g at xp + g * gbytes) and t < nt (1..L1__X8_MAX_TOKENS). */
typedef void (*l1__x8_fn)(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng,
                          const void *y, size_t by, int nt);

#define L1__X8_MAX_TOKENS 8

/* dst[32 m + 4 r + i] = src[r][off + 4 m + i] ^ flip, for 8 rows r, m < 8,
 * i < 4: 32 bytes of 8 rows transposed in 4-byte units (the x8 packing). */
typedef void (*l1__x8_transpose_fn)(uint8_t *dst, const uint8_t *const src[8], size_t off, uint8_t flip);

/* "scalar", "avx2", "avx512", "neon"; "unknown" otherwise. */
const char *l1__tier_name(l1__tier tier);

/* Whether the tier's kernels are in this build (ISA and CONFIG). */
bool l1__tier_compiled(l1__tier tier);

/* Compiled in and the CPU (and OS) supports its instructions.  Scalar is
 * always supported. */
bool l1__tier_supported(l1__tier tier);

/* The tier kernels should use: the one set by l1__tier_set if any, else
 * scalar when L1_FORCE_SCALAR=1, else the best supported one up to the
 * tier named by L1_TIER (when set to one this CPU runs). */
l1__tier l1__tier_best(void);

/* Makes l1__tier_best return `tier` (false, and no change, when it is not
 * supported); L1_TIER_COUNT clears the override.  For tests and benchmarks;
 * not thread-safe against concurrent kernel selection. */
bool l1__tier_set(l1__tier tier);

/* The tier's dot product of weight `type` with its activation type, or
 * NULL when the tier has none (scalar always NULL: use the traits). */
l1__vec_dot_fn l1__simd_vec_dot(uint32_t type, l1__tier tier);

/* The tier's multi-row dot product of weight `type`, or NULL. */
l1__vec_dot_rows_fn l1__simd_vec_dot_rows(uint32_t type, l1__tier tier);

/* The tier's rows x tokens tile kernel of weight `type`, or NULL. */
l1__vec_dot_tile_fn l1__simd_vec_dot_tile(uint32_t type, l1__tier tier);

/* The tier's x8 kernel of weight `type`, or NULL. */
l1__x8_fn l1__simd_x8(uint32_t type, l1__tier tier);

/* The tier's whole table (float kernels included), or NULL for an unknown
 * tier.  Entries the tier lacks are NULL. */
struct l1__simd_kernels;
const struct l1__simd_kernels *l1__simd_table(l1__tier tier);

/* The tier's quantizer into activation type act_type (L1_TYPE_Q8_0, Q8_1,
 * Q8_K), or NULL. */
l1__quantize_row_fn l1__simd_quantize_row(uint32_t act_type, l1__tier tier);

/* ---- per-tier tables (defined in the ISA files) -------------------------- */

typedef struct l1__simd_kernels {
    l1__vec_dot_fn vec_dot[L1_TYPE_COUNT]; /* by l1__type id; NULL = none */
    l1__vec_dot_rows_fn vec_dot_rows[L1_TYPE_COUNT];
    l1__quantize_row_fn quantize[L1_TYPE_COUNT]; /* by activation type id */
    l1__vec_dot_tile_fn vec_dot_tile[L1_TYPE_COUNT];
    l1__x8_fn x8[L1_TYPE_COUNT];
    l1__x8_transpose_fn x8_transpose;
    /* Float kernels of the forward pass, kernels.h contracts; NULL = the
     * scalar one is used. */
    void (*attention)(const l1__attn_args *a);
    void (*swiglu)(float *y, const float *g, const float *u, int64_t n);
    void (*rmsnorm)(float *y, const float *x, const float *w, int64_t n, float eps);
    void (*rope_neox)(float *x, int64_t n_head, int64_t head_dim, const float *cs, const float *sn);
    void (*add)(float *y, const float *x, int64_t n);
} l1__simd_kernels;

/* Each fills `k` with its tier's kernels (only present in builds that
 * compile the tier). */
void l1__simd_fill_avx2(l1__simd_kernels *k);
void l1__simd_fill_avx512(l1__simd_kernels *k);
void l1__simd_fill_neon(l1__simd_kernels *k);

#endif /* L1_SIMD_H */
