/*
 * matmul.h - the threaded matrix products of the forward pass: weights in
 * place (any type with a dot product), activations already converted to the
 * weight's activation type, rows split across the threads of a pool.
 *
 * Results are bit-identical to calling the op's table's dot once per
 * (row, token): the same kernel computes every output, in the same order
 * of accumulation, whatever the thread count, tiling or multi-row grouping
 * (a table's multi-row and tile kernels share its dot's arithmetic,
 * kernels.h).  So parity with the reference does not depend on how a
 * product was scheduled.  With x8 weights every output is the x8 dot of
 * repack.h instead.
 *
 * Shapes:  W (n_rows, n) row-major, w_row_bytes per row
 *          X (n_tok, n) in the activation type, x_stride bytes per row
 *          Y[t * ldy + r] = W[r, :] . X[t, :]      r < n_rows, t < n_tok
 */
#ifndef L1_MATMUL_H
#define L1_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"
#include "kernels/threadpool.h"

/* One product of a batch of products run together (e.g. Q, K and V of a
 * layer, or gate and up: one pool wake-up for all of them). */
typedef struct l1__matmul_op {
    const l1__kernels *k;   /* the tier table whose kernels compute it */
    uint32_t type;          /* weight type id: selects the kernels of k */
    const void *w;          /* (n_rows, n) of `type` */
    size_t w_row_bytes;
    int64_t n_rows;
    int64_t n;              /* values per row of W and X */
    const void *x;          /* (n_tok, n) of the activation type */
    size_t x_stride;
    float *y;               /* (n_tok, ldy), columns [0, n_rows) written */
    int64_t ldy;
    /* Optional: W also in the x8 layout (repack.h; n_rows a multiple of 8).
     * Used when k has an x8 kernel for `type`; every output is then the
     * x8 dot of repack.h instead of k's dot. */
    const void *x8;
    size_t x8_group_bytes;
} l1__matmul_op;

/* Runs the n_ops products over n_tok tokens with every thread of `pool`
 * (NULL: on the caller alone).  Allocates nothing.  Decode (n_tok 1) walks
 * each thread's rows with the multi-row kernel where there is one; prefill
 * walks them in tiles of weight rows that stay in L2 while every token
 * passes over them, so each weight byte comes from memory once per call. */
void l1__matmul(l1__pool *pool, const l1__matmul_op *ops, int n_ops, int64_t n_tok);

/* Converts n_tok rows of n floats (ldx floats apart) with `quant` into
 * xq (x_stride bytes apart), rows split across the pool when the batch is
 * large enough to pay for a wake-up.  Each row is converted by the same
 * call as done serially, so the result does not depend on the threads. */
void l1__matmul_quantize(l1__pool *pool, l1__act_quant_fn quant, const float *x, int64_t ldx,
                         int64_t n, int64_t n_tok, void *xq, size_t x_stride);

#endif /* L1_MATMUL_H */
