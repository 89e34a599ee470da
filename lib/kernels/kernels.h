/*
 * kernels.h - the kernel layer: every compute kernel of the forward pass
 * in one table per ISA tier, and the choice of tier.
 *
 * One table type, l1__kernels, holds every kernel of a tier.  The scalar
 * tier (scalar/float.c, with the quant layer's reference dot products and
 * quantizers) fills all of it and is the reference every other tier is
 * tested against; each ISA tier (x86/tier_avx2.c, x86/tier_avx512.c,
 * arm/tier_neon.c) fills what it has into a table of its own, and the
 * tier's full table is the scalar one overlaid with it.  A caller holds a
 * pointer to its tier's full table (the forward pass keeps one per
 * context) and never searches for a kernel.
 *
 * Kernels know nothing of tensor names or layers: they see pointers,
 * sizes, strides and type ids.  Every kernel that produces rows works on a
 * caller-given row range, so the caller can split one call across threads
 * without the kernel knowing.
 *
 * The best tier the CPU supports is chosen once; L1_FORCE_SCALAR=1 in the
 * environment, or L1_TIER=scalar|avx2|avx512|neon|i8mm (the best supported tier
 * up to that one), or l1__tier_set, overrides the choice.
 *
 * Contracts (every tier, same arguments):
 *   dot:       *s = sum_i x[i] * y[i] over n values; x of the weight type,
 *              y of its activation type (quant traits' vec_dot_type); n a
 *              multiple of both block sizes; any alignment.  Integer block
 *              sums are exact; the float result may differ from the scalar
 *              one by rounding.
 *   dot_rows:  s[r] = dot(n, x + r * bx, y) for r < nr (1..L1__DOT_MAX_ROWS),
 *              bit for bit the same tier's dot: the activation row is
 *              loaded once for nr weight rows.  It prefetches weight bytes
 *              ahead (x86/common.h), so a caller walking a matrix should
 *              take rows in order.
 *   dot_tile:  s[t * lds + r] = dot(n, x + r * bx, y + t * by) for r < nr,
 *              t < nt (1..L1__DOT_MAX_TOKENS), bit for bit the same tier's
 *              dot: each weight block is unpacked once for the nt tokens.
 *   x8:        products over weights in the x8 layout of repack.h:
 *              s[t * lds + 8g + r] = the x8 dot of row 8g + r with
 *              activation row t, groups g < ng (group g at xp + g * gbytes),
 *              t < nt (1..L1__X8_MAX_TOKENS).
 *   act_quant: y = n floats in an activation format (F16, BF16, Q8_0,
 *              Q8_1, Q8_K), bit-identical to the traits' from_float.
 * A tier's dot_rows, dot_tile and x8 of a type exist only where the same
 * tier has its own dot of that type, so every kernel of one table agrees
 * with that table's dot bit for bit (x8: with the x8 dot).
 */
#ifndef L1_KERNELS_H
#define L1_KERNELS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf/types.h"

typedef enum l1__tier {
    L1_TIER_SCALAR = 0,
    L1_TIER_AVX2 = 1,   /* x86-64: AVX2 + FMA + F16C */
    L1_TIER_AVX512 = 2, /* x86-64: AVX-512 F/BW/VL/DQ + VNNI */
    L1_TIER_NEON = 3,   /* aarch64: NEON + dotprod + fp16 */
    L1_TIER_I8MM = 4,   /* aarch64: NEON + dotprod + fp16 + i8mm */
    L1_TIER_COUNT = 5
} l1__tier;

#define L1__DOT_MAX_ROWS 4
#define L1__DOT_MAX_TOKENS 4
#define L1__X8_MAX_TOKENS 8

typedef void (*l1__dot_fn)(int64_t n, float *s, const void *x, const void *y);
typedef void (*l1__dot_rows_fn)(int64_t n, float *s, const void *x, size_t bx, const void *y, int nr);
typedef void (*l1__dot_tile_fn)(int64_t n, float *s, size_t lds, const void *x, size_t bx,
                                const void *y, size_t by, int nr, int nt);
typedef void (*l1__x8_fn)(int64_t n, float *s, size_t lds, const void *xp, size_t gbytes, int64_t ng,
                          const void *y, size_t by, int nt);
typedef void (*l1__act_quant_fn)(const float *x, void *y, int64_t n);

/* dst[32 m + 4 r + i] = src[r][off + 4 m + i] ^ flip, for 8 rows r, m < 8,
 * i < 4: 32 bytes of 8 rows transposed in 4-byte units (the x8 packing). */
typedef void (*l1__x8_transpose_fn)(uint8_t *dst, const uint8_t *const src[8], size_t off, uint8_t flip);

/* How attention rounds its inputs and accumulates, mirroring the two paths of
 * the reference CPU backend (see forward.c). */
typedef enum l1__attn_mode {
    /* Query in f32, keys and values widened to f32, f32 accumulation. */
    L1__ATTN_F32 = 0,
    /* With an F16 cache: the query rounded to f16, f16 x f16 dot products
     * accumulated in f32, and the weighted sum of values kept in f16 (each
     * update rounded to f16).  Same as L1__ATTN_F32 with an F32 cache. */
    L1__ATTN_F16_ACC = 1
} l1__attn_mode;

/* Arguments of one attention call: one query head against n_kv cached
 * positions of its KV head. */
typedef struct l1__attn_args {
    const float *q;       /* (head_dim) */
    const void *k;        /* n_kv rows of head_dim values of kv_type, row_stride bytes apart */
    const void *v;        /* same layout as k */
    size_t row_stride;
    uint32_t kv_type;     /* L1_TYPE_F16 or L1_TYPE_F32 */
    int64_t n_kv;         /* >= 1 */
    int64_t head_dim;
    float scale;          /* applied to q.k before the softmax */
    l1__attn_mode mode;
    float *out;           /* (head_dim) */
    void *work;           /* >= l1__attn_work_bytes(head_dim) bytes */
} l1__attn_args;

/* One position of the online softmax, score s against the running
 * maximum *M.  At a new maximum (true returned): *ms = e^(*M - s), the
 * factor that rescales everything accumulated so far, *vs = 1, and *M = s;
 * otherwise *ms = 1 and *vs = e^(s - *M), the position's weight.  The
 * running sum of weights becomes S * ms + vs.  Every tier's attention
 * kernels take their steps from here. */
static inline bool l1__softmax_step(float s, float *M, float *ms, float *vs) {
    if (s > *M) {
        *ms = expf(*M - s);
        *vs = 1.0f;
        *M = s;
        return true;
    }
    *ms = 1.0f;
    *vs = expf(s - *M);
    return false;
}

/* Bytes of work memory one attention call needs. */
static inline size_t l1__attn_work_bytes(int64_t head_dim) {
    return (size_t)head_dim * (2 * sizeof(float) + 2 * sizeof(uint16_t)) + 64;
}

/* Positions per block of the f32 attention kernels (attention in F32 mode
 * and attention_group): the scores of one block are computed, then the
 * accumulator is rescaled once if the block holds a new maximum. */
#define L1__ATTN_BLOCK 32

/* Arguments of one grouped attention call: the n_q query heads that share
 * one KV head, against n_kv cached positions, in F32 mode (l1__attn_mode).
 * Each K and V row is read from memory once for all n_q heads.  The result
 * is left unnormalised, so that calls over consecutive ranges of positions
 * can be merged (l1__attn_merge):
 *   rec[i * rec_stride + c] = sum_j e^(s_ij - M_i) v_j[c], c < head_dim
 *   rec[i * rec_stride + head_dim]     = M_i = max_j s_ij
 *   rec[i * rec_stride + head_dim + 1] = S_i = sum_j e^(s_ij - M_i)
 * with s_ij = scale * q_i . k_j.  For every head, acc / S is bit for bit
 * what the same tier's attention returns in F32 mode over the same
 * positions (l1__attn_finish). */
typedef struct l1__attn_group_args {
    const float *q;       /* n_q rows of head_dim values, q_stride floats apart */
    int64_t q_stride;
    int n_q;              /* >= 1 */
    const void *k;        /* as in l1__attn_args */
    const void *v;
    size_t row_stride;
    uint32_t kv_type;
    int64_t n_kv;         /* >= 1 */
    int64_t head_dim;
    float scale;
    float *rec;           /* n_q records of head_dim + 2 floats */
    int64_t rec_stride;   /* >= head_dim + 2 */
    void *work;           /* >= l1__attn_group_work_bytes(head_dim, n_q) bytes */
} l1__attn_group_args;

/* Bytes of work memory one grouped attention call needs: a block of K or
 * V widened to f32 and the scores of the block for every head. */
static inline size_t l1__attn_group_work_bytes(int64_t head_dim, int64_t n_q) {
    return (size_t)(L1__ATTN_BLOCK * head_dim + L1__ATTN_BLOCK * n_q) * sizeof(float) + 64;
}

/* out = acc / S of one record (0 when S is 0): the last step of F32-mode
 * attention, the same operations as the attention kernels' own. */
static inline void l1__attn_finish(float *out, const float *rec, int64_t head_dim) {
    const float S = rec[head_dim + 1];
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    for (int64_t c = 0; c < head_dim; c++) out[c] = rec[c] * inv;
}

/* out = the attention over n consecutive ranges of positions from their
 * records (rec_stride floats apart, in range order): each rescaled to the
 * largest maximum, summed in that order, divided by the summed weights
 * (0 when that sum is 0). */
static inline void l1__attn_merge(float *out, const float *rec, int64_t n, int64_t rec_stride,
                                  int64_t head_dim) {
    float M = -INFINITY, S = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        const float m = rec[i * rec_stride + head_dim];
        M = m > M ? m : M;
    }
    for (int64_t c = 0; c < head_dim; c++) out[c] = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        const float *r = rec + i * rec_stride;
        const float w = expf(r[head_dim] - M);
        S += r[head_dim + 1] * w;
        for (int64_t c = 0; c < head_dim; c++) out[c] += r[c] * w;
    }
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    for (int64_t c = 0; c < head_dim; c++) out[c] *= inv;
}

typedef struct l1__kernels {
    const char *name;  /* "scalar", "avx2", ... */
    l1__tier tier;

    /* Per weight type id (NULL: no such kernel in this tier). */
    l1__dot_fn dot[L1_TYPE_COUNT];
    l1__dot_rows_fn dot_rows[L1_TYPE_COUNT];
    l1__dot_tile_fn dot_tile[L1_TYPE_COUNT];
    l1__x8_fn x8[L1_TYPE_COUNT];
    /* Per activation type id: the quantizer of matmul inputs. */
    l1__act_quant_fn act_quant[L1_TYPE_COUNT];
    l1__x8_transpose_fn x8_transpose;

    /* y[i] = x[i] / sqrt(mean(x^2) + eps) * w[i], i < n (the mean summed in
     * double).  y may equal x. */
    void (*rmsnorm)(float *y, const float *x, const float *w, int64_t n, float eps);

    /* NEOX rotation of n_head heads of head_dim values in place: for
     * i < head_dim/2, (x[i], x[i + head_dim/2]) is rotated by the angle whose
     * cosine and sine are cs[i], sn[i]. */
    void (*rope_neox)(float *x, int64_t n_head, int64_t head_dim, const float *cs, const float *sn);

    /* In place: x[i] = exp(x[i] - max) / sum, i < n. */
    void (*softmax)(float *x, int64_t n);

    /* out = softmax(scale * K q) V over n_kv positions (see l1__attn_args). */
    void (*attention)(const l1__attn_args *a);

    /* The unnormalised F32-mode attention of a group of query heads over
     * one KV head (see l1__attn_group_args). */
    void (*attention_group)(const l1__attn_group_args *a);

    /* y[i] = silu(g[i]) * u[i], i < n; y may equal g or u. */
    void (*swiglu)(float *y, const float *g, const float *u, int64_t n);

    /* y[i] += x[i], i < n. */
    void (*add)(float *y, const float *x, int64_t n);
} l1__kernels;

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

/* The full table of `tier` (scalar overlaid with the tier's own kernels),
 * or NULL when the tier is not compiled in.  Thread-safe; valid forever. */
const l1__kernels *l1__kernels_tier(l1__tier tier);

/* Only the kernels `tier` has of its own (NULL elsewhere; the scalar
 * tier's own table is its full one), or NULL when not compiled in: for
 * tests and benchmarks that compare a tier's kernels with the scalar ones. */
const l1__kernels *l1__kernels_own(l1__tier tier);

/* The full table of l1__tier_best(). */
const l1__kernels *l1__kernels_get(void);

/* The scalar reference table (always available). */
const l1__kernels *l1__kernels_scalar(void);

/* Fill a zeroed table with a tier's own kernels: the scalar one fills
 * everything (scalar/float.c); each ISA file what it has (only in builds
 * that compile it). */
void l1__kernels_fill_scalar(l1__kernels *k);
void l1__kernels_fill_avx2(l1__kernels *k);
void l1__kernels_fill_avx512(l1__kernels *k);
void l1__kernels_fill_neon(l1__kernels *k);
void l1__kernels_fill_i8mm(l1__kernels *k);

/* cos/sin of the NEOX angles at position `pos`: angle i = pos * base^(-2i/head_dim),
 * i < head_dim / 2, computed by repeated multiplication in f32 as the
 * reference implementation does, so positions far from 0 match it. */
void l1__rope_angles(int64_t pos, int64_t head_dim, float base, float *cs, float *sn);

#endif /* L1_KERNELS_H */
