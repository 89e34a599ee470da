/*
 * matmul.c - threaded matrix products over weights in place (matmul.h).
 *
 * Work is split by weight rows: thread ith takes a contiguous range of each
 * product's rows (16-row aligned, so no two threads write one cache line of
 * an output row), which keeps every output computed by exactly one call of
 * one kernel and the result independent of the thread count.
 *
 * Decode (one token) is bound by memory bandwidth: each weight byte is used
 * once, so the only aims are streaming and few instructions per byte, which
 * the multi-row kernels give (the activation row loaded once per group of
 * rows, several independent accumulations in flight).
 *
 * Prefill (many tokens) would read every weight row once per token if done
 * row by row over the whole matrix; instead each thread walks its rows in
 * tiles of TILE_W_BYTES of weights (resident in L2) and, within a tile,
 * blocks of tokens whose activation rows fit in L1 (TILE_X_BYTES), with the
 * row group innermost-but-one so that a group of rows and a token block are
 * both cache-resident while their products are taken.  Weights then come
 * from memory once per call and activations from the shared cache once per
 * tile.
 */
#include "kernels/matmul.h"

#include <string.h>

#include "base/base.h"

/* Weight bytes of one tile (fits the L2 of current cores with room for the
 * activations passing through).  Both tile sizes may be set at build time
 * (-DL1__MATMUL_TILE_W=...) to sweep them with bench/bench_matmul.c. */
#ifndef L1__MATMUL_TILE_W
#  define L1__MATMUL_TILE_W (256u << 10)
#endif
/* Activation bytes of one token block (a good part of a 32-48 KiB L1). */
#ifndef L1__MATMUL_TILE_X
#  define L1__MATMUL_TILE_X (16u << 10)
#endif
#define TILE_W_BYTES L1__MATMUL_TILE_W
#define TILE_X_BYTES L1__MATMUL_TILE_X
/* Rows per thread start at multiples of this: 64 bytes of f32 outputs. */
#define ROW_ALIGN 16
/* Products resolved per pool run; longer batches are run in chunks. */
#define MAX_OPS 8
/* Quantize rows on the pool only from this many values on. */
#define QUANT_PAR_MIN (1 << 15)

typedef struct mm_job {
    const l1__matmul_op *ops;
    int n_ops;
    int64_t n_tok;
    l1__dot_rows_fn rows[MAX_OPS];
    l1__dot_tile_fn tile[MAX_OPS];
    l1__x8_fn x8[MAX_OPS];
} mm_job;

/* Y[t][r] for r in [r0, r1), t in [t0, t1): groups of rows outer, tokens
 * inner, so a group stays in L1 across the token block. */
static void mm_block(const l1__matmul_op *op, l1__dot_rows_fn rk, l1__dot_tile_fn tk, int64_t r0,
                     int64_t r1, int64_t t0, int64_t t1) {
    const uint8_t *w = (const uint8_t *)op->w;
    const uint8_t *x = (const uint8_t *)op->x;
    const size_t wrb = op->w_row_bytes;
    if (tk) {
        enum { NR = L1__DOT_MAX_ROWS, NT = L1__DOT_MAX_TOKENS };
        for (int64_t r = r0; r < r1; r += NR) {
            const int nr = (int)(r1 - r < NR ? r1 - r : NR);
            const uint8_t *wr = w + (size_t)r * wrb;
            for (int64_t t = t0; t < t1; t += NT) {
                const int nt = (int)(t1 - t < NT ? t1 - t : NT);
                tk(op->n, op->y + t * op->ldy + r, (size_t)op->ldy, wr, wrb, x + (size_t)t * op->x_stride,
                   op->x_stride, nr, nt);
            }
        }
        return;
    }
    if (rk) {
        for (int64_t r = r0; r < r1; r += L1__DOT_MAX_ROWS) {
            const int nr = (int)(r1 - r < L1__DOT_MAX_ROWS ? r1 - r : L1__DOT_MAX_ROWS);
            const uint8_t *wr = w + (size_t)r * wrb;
            for (int64_t t = t0; t < t1; t++)
                rk(op->n, op->y + t * op->ldy + r, wr, wrb, x + (size_t)t * op->x_stride, nr);
        }
        return;
    }
    const l1__dot_fn dot = op->k->dot[op->type];
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *wr = w + (size_t)r * wrb;
        for (int64_t t = t0; t < t1; t++)
            dot(op->n, op->y + t * op->ldy + r, wr, x + (size_t)t * op->x_stride);
    }
}

/* One thread's rows [r0, r1) of one product, over all n_tok tokens. */
static void mm_rows(const l1__matmul_op *op, l1__dot_rows_fn rk, l1__dot_tile_fn tk, int64_t r0,
                    int64_t r1, int64_t n_tok) {
    if (n_tok == 1) {
        mm_block(op, rk, NULL, r0, r1, 0, 1);
        return;
    }
    int64_t rb = op->w_row_bytes ? (int64_t)(TILE_W_BYTES / op->w_row_bytes) : r1 - r0;
    rb = rb < L1__DOT_MAX_ROWS ? L1__DOT_MAX_ROWS : rb - rb % L1__DOT_MAX_ROWS;
    int64_t tb = op->x_stride ? (int64_t)(TILE_X_BYTES / op->x_stride) : n_tok;
    /* Whole tiles of tokens where the tile kernel is used. */
    if (tk) tb = tb < L1__DOT_MAX_TOKENS ? L1__DOT_MAX_TOKENS : tb - tb % L1__DOT_MAX_TOKENS;
    if (tb < 1) tb = 1;
    for (int64_t r = r0; r < r1; r += rb) {
        const int64_t re = r1 - r < rb ? r1 : r + rb;
        for (int64_t t = 0; t < n_tok; t += tb) mm_block(op, rk, tk, r, re, t, n_tok - t < tb ? n_tok : t + tb);
    }
}

/* Rows [r0, r1) (multiples of 8) from the x8 layout: decode in one call
 * (the activation-side preparation shared by all the thread's groups);
 * prefill in tiles of groups that stay in L2 while the tokens pass over
 * them L1__X8_MAX_TOKENS at a time. */
static void mm_rows_x8(const l1__matmul_op *op, l1__x8_fn k, int64_t r0, int64_t r1, int64_t n_tok) {
    const size_t gb = op->x8_group_bytes;
    const uint8_t *x = (const uint8_t *)op->x;
    int64_t tile = (int64_t)(TILE_W_BYTES / gb);
    if (tile < 1 || n_tok == 1) tile = (r1 - r0) / 8;
    for (int64_t g = r0 / 8; g < r1 / 8; g += tile) {
        const int64_t ng = r1 / 8 - g < tile ? r1 / 8 - g : tile;
        const uint8_t *xp = (const uint8_t *)op->x8 + (size_t)g * gb;
        for (int64_t t = 0; t < n_tok; t += L1__X8_MAX_TOKENS) {
            const int nt = (int)(n_tok - t < L1__X8_MAX_TOKENS ? n_tok - t : L1__X8_MAX_TOKENS);
            k(op->n, op->y + t * op->ldy + 8 * g, (size_t)op->ldy, xp, gb, ng, x + (size_t)t * op->x_stride,
              op->x_stride, nt);
        }
    }
}

static void mm_worker(void *arg, int ith, int nth) {
    const mm_job *job = (const mm_job *)arg;
    for (int i = 0; i < job->n_ops; i++) {
        const l1__matmul_op *op = &job->ops[i];
        int64_t r0, r1;
        l1__pool_split(op->n_rows, ROW_ALIGN, ith, nth, &r0, &r1);
        if (r0 >= r1) continue;
        if (job->x8[i])
            mm_rows_x8(op, job->x8[i], r0, r1, job->n_tok);
        else
            mm_rows(op, job->rows[i], job->tile[i], r0, r1, job->n_tok);
    }
}

void l1__matmul(l1__pool *pool, const l1__matmul_op *ops, int n_ops, int64_t n_tok) {
    if (n_tok < 1) return;
    for (int i0 = 0; i0 < n_ops; i0 += MAX_OPS) {
        mm_job job;
        job.ops = ops + i0;
        job.n_ops = n_ops - i0 < MAX_OPS ? n_ops - i0 : MAX_OPS;
        job.n_tok = n_tok;
        for (int i = 0; i < job.n_ops; i++) {
            const l1__matmul_op *op = &job.ops[i];
            const l1__kernels *k = op->k;
            job.rows[i] = k->dot_rows[op->type];
            job.tile[i] = n_tok > 1 ? k->dot_tile[op->type] : NULL;
            job.x8[i] = op->x8 && op->n_rows % 8 == 0 ? k->x8[op->type] : NULL;
        }
        l1__pool_run(pool, mm_worker, &job);
    }
}

typedef struct quant_job {
    l1__act_quant_fn quant;
    const float *x;
    int64_t ldx, n, n_tok;
    uint8_t *xq;
    size_t x_stride;
} quant_job;

static void quant_worker(void *arg, int ith, int nth) {
    const quant_job *j = (const quant_job *)arg;
    int64_t t0, t1;
    l1__pool_split(j->n_tok, 1, ith, nth, &t0, &t1);
    for (int64_t t = t0; t < t1; t++) j->quant(j->x + t * j->ldx, j->xq + (size_t)t * j->x_stride, j->n);
}

void l1__matmul_quantize(l1__pool *pool, l1__act_quant_fn quant, const float *x, int64_t ldx,
                         int64_t n, int64_t n_tok, void *xq, size_t x_stride) {
    quant_job j = {quant, x, ldx, n, n_tok, (uint8_t *)xq, x_stride};
    if (n_tok > 1 && n * n_tok >= QUANT_PAR_MIN)
        l1__pool_run(pool, quant_worker, &j);
    else
        quant_worker(&j, 0, 1);
}
