/*
 * kernels.h - the compute kernels of the forward pass behind one dispatch
 * table.  The scalar tier (kernels_scalar.c) is the reference and is always
 * built; faster tiers (AVX2, AVX-512, NEON) replace entries of the table
 * chosen once at start-up, and are tested against the scalar one.
 *
 * Kernels know nothing of tensor names or layers: they see pointers, sizes,
 * strides and a type's traits.  Every kernel that produces rows works on a
 * caller-given row range [r0, r1), so the caller can split one call across
 * threads without the kernel knowing.
 */
#ifndef L1_KERNELS_H
#define L1_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "quant.h"
#include "types.h"

/* *s = sum_i x[i] * y[i] over n values: x of a weight type, y of its
 * activation type (the quant traits' vec_dot contract). */
typedef void (*l1__dot_fn)(int64_t n, float *s, const void *x, const void *y);

/* Quantizes n floats into an activation type (from_float contract). */
typedef void (*l1__act_quant_fn)(const float *x, void *y, int64_t n);

/* Y[t * ldy + r] = sum_k W[r, k] * X_t[k] for r in [r0, r1), t < n_tok,
 * each term by `dot`.
 * W: rows of n values of the weight type, w_row_bytes apart.
 * X: n_tok rows already converted to its activation type, x_stride bytes apart. */
typedef void (*l1__matmul_fn)(l1__dot_fn dot, const void *w, size_t w_row_bytes, int64_t n,
                              const void *x, size_t x_stride, int64_t n_tok, float *y, int64_t ldy,
                              int64_t r0, int64_t r1);

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

/* Bytes of work memory one attention call needs. */
static inline size_t l1__attn_work_bytes(int64_t head_dim) {
    return (size_t)head_dim * (2 * sizeof(float) + 2 * sizeof(uint16_t)) + 64;
}

typedef struct l1__kernels {
    const char *name; /* "scalar", "avx2", ... */

    /* Per weight type; NULL for types without traits. */
    l1__matmul_fn matmul[L1_TYPE_COUNT];
    l1__dot_fn dot[L1_TYPE_COUNT];
    /* Per activation type (F16, BF16, Q8_0, Q8_1, Q8_K): the quantizer of
     * matmul inputs, bit-identical to the traits' from_float. */
    l1__act_quant_fn act_quant[L1_TYPE_COUNT];

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

    /* y[i] = silu(g[i]) * u[i], i < n; y may equal g or u. */
    void (*swiglu)(float *y, const float *g, const float *u, int64_t n);

    /* y[i] += x[i], i < n. */
    void (*add)(float *y, const float *x, int64_t n);
} l1__kernels;

/* The scalar reference table (always available). */
const l1__kernels *l1__kernels_scalar(void);

/* The table in use: the scalar table with the dot products, activation
 * quantizers and float kernels (attention, SwiGLU, RMSNorm, RoPE, add) of
 * the best SIMD tier the CPU supports (simd.h; scalar when
 * L1_FORCE_SCALAR=1).  Chosen once, thread-safe. */
const l1__kernels *l1__kernels_get(void);

/* cos/sin of the NEOX angles at position `pos`: angle i = pos * base^(-2i/head_dim),
 * i < head_dim / 2, computed by repeated multiplication in f32 as the
 * reference implementation does, so positions far from 0 match it. */
void l1__rope_angles(int64_t pos, int64_t head_dim, float base, float *cs, float *sn);

#endif /* L1_KERNELS_H */
