/*
 * forward.h - the context: KV cache, scratch buffers and the batched Qwen2
 * forward pass (forward.c).  The public l1_ctx_* functions of l1.h are
 * lib/api/ctx.c over the functions below.  Other layers use the functions;
 * the struct is laid out here for forward.c and the tests.
 */
#ifndef L1_FORWARD_H
#define L1_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "kernels/threadpool.h"

/* A sequence with this many tokens or more in one step takes the tiled F32
 * attention; fewer (decode) the F16-accumulating path, whose results for a
 * token do not depend on how many of its sequence's tokens share the step,
 * so evaluating k < L1__CTX_ATTN_TILE tokens at once gives each the logits
 * it gets alone, bit for bit (what speculative decoding relies on). */
#define L1__CTX_ATTN_TILE 64

struct l1_ctx {
    const l1_model *model;
    const l1__kernels *kern;
    l1__pool *pool;         /* params.n_threads threads (the caller of l1_ctx_eval included) */
    l1_ctx_params params;   /* as given, with defaults resolved */
    int32_t n_ctx;          /* positions the cache holds, per sequence */
    int32_t n_batch;        /* rows of every scratch buffer */
    int32_t n_seq;          /* sequences */
    int32_t *n_past;        /* (n_seq) positions filled, per sequence */
    uint32_t kv_type;       /* L1_TYPE_F16 or L1_TYPE_F32 */
    size_t kv_elt;          /* bytes per cached value */
    /* KV cache, one allocation: for each layer K then V, each laid out
     * (n_seq, n_head_kv, n_ctx, head_dim) so one head's positions are
     * contiguous. */
    uint8_t *kv;
    size_t kv_layer_bytes;  /* bytes of one layer's K (or V), all sequences */

    /* The tokens of the current step (n_batch entries each, forward.c): */
    int32_t *tok_seq;       /* sequence */
    int32_t *tok_pos;       /* position in it */
    int32_t *tok_part;      /* split decode query: its slot in attn_part, else -1 */
    uint8_t *tok_f32;       /* attention in F32 mode (its sequence has L1__CTX_ATTN_TILE tokens in the step) */
    int64_t *tok_first;     /* (n_batch + 1) first attention task of each token */
    int32_t part_slots;     /* split decode queries attn_part holds */
    /* The tokens of the current eval (grown like the logits): */
    int32_t *eval_seq, *eval_pos, *out_row; /* out_row: logits row of each token, or -1 */
    int32_t eval_cap;

    /* Scratch, one allocation, each buffer n_batch rows: */
    uint8_t *arena;
    float *x;               /* (n_batch, n_embd) residual stream */
    float *xn;              /* (n_batch, n_embd) normalised input of a block */
    float *q;               /* (n_batch, n_embd) queries, then attention output */
    float *k, *v;           /* (n_batch, n_embd_kv) */
    float *tmp;             /* (n_batch, n_embd) projection output */
    float *gate, *up;       /* (n_batch, n_ff) */
    float *wrow;            /* (max(n_embd, n_ff)) one dequantized weight row (f32 path) */
    float *cs, *sn;         /* (n_batch, head_dim / 2) RoPE cos / sin per token */
    uint8_t *xq;            /* (n_batch, xq_row_bytes) matmul inputs in the activation type */
    size_t xq_row_bytes;
    uint8_t *attn_work;     /* attn_work_stride bytes per thread */
    size_t attn_work_stride;
    float *attn_part;       /* split attention records of a decode step (forward.c) */
    float *logits;          /* (logits_rows, n_vocab) */
    int32_t logits_rows;    /* rows allocated in logits (>= 1) */

    /* Kept for the generate layer's speculative decoding (generate.c): the
     * time in ms of a one-token evaluation and the time each further token
     * of the sequence adds to it, measured on this context (0 = not yet). */
    double t_eval_one, t_eval_extra;

    /* Outputs of the last eval. */
    uint64_t eval_id;       /* evaluations begun so far: the logits are those of the eval_id-th */
    int32_t n_out;          /* tokens of the last eval; 0 = no logits */
    const char *nonfinite;  /* first weight whose input held NaN or infinity in this eval, or NULL */
};

/* Byte sizes of a context's KV cache and scratch for `p` (defaults already
 * resolved), with checked arithmetic. */
l1_status l1__ctx_sizes(const l1_model *m, const l1_ctx_params *p, uint64_t *kv_bytes,
                        uint64_t *scratch_bytes);

/* The layer's entry points behind l1.h's l1_ctx_* (lib/api/ctx.c checks
 * the arguments: every pointer here is non-NULL).  Same contracts. */
l1_ctx_params l1__ctx_default_params(void);
l1_status l1__ctx_memory(const l1_model *model, const l1_ctx_params *params, l1_memory *out);
l1_status l1__ctx_new(const l1_model *model, const l1_ctx_params *params, l1_ctx **out);
void l1__ctx_free(l1_ctx *ctx);
l1_status l1__ctx_truncate(l1_ctx *ctx, int32_t n_keep);
const float *l1__ctx_logits(const l1_ctx *ctx, int32_t i);

/* l1_ctx_eval with an extra abort hook: `poll` (may be NULL) is polled
 * between layers beside the context's own abort_fn, so a caller (the
 * generate layer) can stop an evaluation without touching the context's
 * parameters. */
l1_status l1__ctx_eval(l1_ctx *ctx, const l1_token *tokens, int32_t n, uint32_t flags, l1_abort_fn poll,
                       void *poll_user);

/* l1_ctx_decode (the batch checked for NULL; its contents are checked
 * here), with the same abort hook as l1__ctx_eval. */
l1_status l1__ctx_decode(l1_ctx *ctx, const l1_batch *batch, l1_abort_fn poll, void *poll_user);
const float *l1__ctx_batch_logits(const l1_ctx *ctx, int32_t i);
/* l1__ctx_eval of sequence seq (flags as l1_ctx_eval's): the same steps
 * as sequence 0 evaluated alone. */
l1_status l1__ctx_eval_seq(l1_ctx *ctx, int32_t seq, const l1_token *tokens, int32_t n, uint32_t flags,
                           l1_abort_fn poll, void *poll_user);
int32_t l1__ctx_seq_n_past(const l1_ctx *ctx, int32_t seq);
int32_t l1__ctx_n_seq(const l1_ctx *ctx);
l1_status l1__ctx_seq_truncate(l1_ctx *ctx, int32_t seq, int32_t n_keep);
l1_status l1__ctx_seq_copy(l1_ctx *ctx, int32_t src, int32_t dst, int32_t n);

/* Length (of sequence 0), capacity, tokens per forward step, vocabulary
 * size and model of a context. */
int32_t l1__ctx_n_past(const l1_ctx *ctx);
int32_t l1__ctx_n_ctx(const l1_ctx *ctx);
int32_t l1__ctx_n_batch(const l1_ctx *ctx);
/* Evaluations begun on the context so far (l1__ctx_logits gives the last
 * one's rows, or NULL after a truncation). */
uint64_t l1__ctx_eval_id(const l1_ctx *ctx);
int32_t l1__ctx_n_vocab(const l1_ctx *ctx);
const l1_model *l1__ctx_model(const l1_ctx *ctx);

/* True when the context's own abort_fn asks to stop (polled between
 * tokens by the generate layer). */
bool l1__ctx_abort_requested(const l1_ctx *ctx);

#endif /* L1_FORWARD_H */
