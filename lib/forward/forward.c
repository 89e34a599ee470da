/*
 * forward.c - the Qwen2 forward pass over a batch of tokens, the KV cache
 * and the context that owns them.
 *
 * One layer, for the n tokens of a step at positions p0 .. p0+n-1:
 *
 *   x ──┬─ RMSNorm(attn_norm) ─ xn ─┬─ Wq·xn + bq ─ RoPE ─ q ─────────┐
 *       │                           ├─ Wk·xn + bk ─ RoPE ─ k ─► cache  │
 *       │                           └─ Wv·xn + bv ───────── v ─► cache  │
 *       │          causal GQA attention of q over cache[0 .. p] ◄───────┘
 *       └──────────────── + ◄── Wo·attn
 *   x ──┬─ RMSNorm(ffn_norm) ─ xn ─┬─ Wgate·xn ─ silu ─┐
 *       │                          └─ Wup·xn ──────── × ─ Wdown· ─┐
 *       └──────────────────────────────────────────────── + ◄─────┘
 *
 * then RMSNorm(output_norm) and the output head on the positions whose
 * logits are wanted.  The last layer stores every token's K and V but
 * carries only those positions past attention (the others' hidden states
 * are never read), as the reference does.  Prefill (n tokens) and decode
 * (n = 1) are the same code; an eval longer than n_batch is run in steps
 * of n_batch.
 *
 * Numerics follow the reference CPU backend so that logits match it
 * closely: every matmul input row is converted once to the activation type
 * its weight pairs with (the quant traits' vec_dot_type: f16 for F16
 * weights, Q8_0 for Q4_0, Q8_K for K-quants ...); K and V are stored in the
 * cache as F16 (or F32); RoPE angles are built by repeated multiplication in
 * f32.  The reference's flash attention has two paths: steps of at least
 * REF_ATTN_TILE tokens use f32 throughout, shorter ones (decode) round the
 * query to f16 and accumulate the weighted values in f16; we do the same
 * (L1__ATTN_F32 / L1__ATTN_F16_ACC).  f32_activations turns all of this off
 * for a higher-precision reference: weights are dequantized row by row and
 * multiplied in f32, attention is f32.
 *
 * All memory is allocated by l1__ctx_new; an eval allocates only when all
 * logits of more positions than ever before are requested.
 */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "forward/forward.h"
#include "model/numcheck.h"
#include "base/fp16.h"
#include "kernels/matmul.h"

/* Steps of at least this many tokens take the reference's tiled f32 flash
 * attention; shorter ones its f16-accumulating vector path (forward.h). */
#define REF_ATTN_TILE L1__CTX_ATTN_TILE
/* A decode-mode query over at least this many positions splits them into
 * chunks (attend_worker); the reference splits from the same length. */
#define SPLIT_MIN 512
/* Chunks are at least SPLIT_CHUNK positions, and at most SPLIT_MAX_CHUNKS. */
#define SPLIT_CHUNK 256
#define SPLIT_MAX_CHUNKS 16
#define DEFAULT_BATCH 512
#define DEFAULT_CTX 4096 /* trained contexts of 128K would cost gigabytes of cache by default */
#define ALIGN 64

l1_ctx_params l1__ctx_default_params(void) {
    l1_ctx_params p;
    memset(&p, 0, sizeof p);
    p.n_batch = DEFAULT_BATCH;
    p.kv_type = L1_KV_F16;
    return p;
}

static l1_status resolve_params(const l1_model *m, const l1_ctx_params *in, l1_ctx_params *p) {
    *p = in ? *in : l1__ctx_default_params();
    if (m->vocab_only)
        return l1__error(L1_ERR_INVALID_ARG, "context: the model was loaded with vocab_only");
    if (p->n_ctx < 0 || p->n_batch < 0 || p->n_threads < 0)
        return l1__error(L1_ERR_INVALID_ARG, "context: negative n_ctx, n_batch or n_threads");
    if (p->n_threads > L1__POOL_MAX_THREADS)
        return l1__error(L1_ERR_INVALID_ARG, "context: n_threads %d is above the maximum of %d",
                         p->n_threads, L1__POOL_MAX_THREADS);
    if (p->n_seq < 0 || p->n_seq > L1_MAX_SEQ)
        return l1__error(L1_ERR_INVALID_ARG, "context: n_seq %d outside [0, %d]", p->n_seq, L1_MAX_SEQ);
    if (p->n_seq == 0) p->n_seq = 1;
    if (p->kv_type != L1_KV_F16 && p->kv_type != L1_KV_F32)
        return l1__error(L1_ERR_INVALID_ARG, "context: kv_type %d is not F16 or F32", (int)p->kv_type);
    if (p->n_ctx == 0) p->n_ctx = m->hp.n_ctx_train < DEFAULT_CTX ? m->hp.n_ctx_train : DEFAULT_CTX;
    if (p->n_ctx > m->hp.n_ctx_train && !p->allow_ctx_over_train)
        return l1__error(L1_ERR_LIMIT,
                         "context: n_ctx %d exceeds key qwen2.context_length %d (set "
                         "allow_ctx_over_train to allow it)", p->n_ctx, m->hp.n_ctx_train);
    if (p->n_batch == 0) p->n_batch = DEFAULT_BATCH;
    if (p->n_batch > p->n_ctx) p->n_batch = p->n_ctx;
    if (p->n_threads == 0) {
        int n = l1__cpu_get()->n_cores_physical;
        p->n_threads = n > 0 ? n : 1;
    }
    return L1_OK;
}

static size_t xq_row_of(const l1__weight *w) {
    const l1__quant_traits *vt = l1__quant_traits_get(w->qt->vec_dot_type);
    return l1__quant_row_bytes(vt, w->ne0);
}

/* Largest matmul input row, in the activation type of each matrix. */
static size_t max_xq_row(const l1_model *m) {
    size_t best = xq_row_of(&m->output);
    for (int il = 0; il < m->hp.n_layer; il++) {
        const l1__layer *L = &m->layers[il];
        const l1__weight *ws[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < L1_ARRAY_LEN(ws); i++) {
            size_t b = xq_row_of(ws[i]);
            if (b > best) best = b;
        }
    }
    return best;
}

enum { B_X, B_XN, B_Q, B_K, B_V, B_TMP, B_GATE, B_UP, B_WROW, B_CS, B_SN, B_XQ, B_WORK, B_PART, B_LOGITS, B_N };

/* Bytes of attention work per thread, a multiple of ALIGN: the larger of
 * what the one-head kernel needs and what a grouped call needs (the
 * group's records, then the kernel's own work). */
static size_t attn_work_stride(const l1__hparams *hp) {
    const int64_t hd = hp->head_dim, g = hp->n_head / hp->n_head_kv;
    const size_t one = l1__attn_work_bytes(hd);
    const size_t grp = (size_t)g * (size_t)(hd + 2) * sizeof(float) + l1__attn_group_work_bytes(hd, g);
    const size_t w = one > grp ? one : grp;
    return (w + ALIGN - 1) / ALIGN * ALIGN;
}

/* Split decode queries whose attention records fit in ctx->attn_part:
 * every decode-mode token a step can hold (a sequence with fewer than
 * REF_ATTN_TILE tokens in the step runs decode mode). */
static int64_t part_tokens(const l1_ctx_params *p) {
    const int64_t most = (int64_t)(REF_ATTN_TILE - 1) * p->n_seq;
    return p->n_batch < most ? p->n_batch : most;
}

/* Offsets of every scratch buffer in the arena; false on overflow. */
static bool scratch_layout(const l1_model *m, const l1_ctx_params *p, size_t off[B_N + 1],
                           size_t *xq_row) {
    const l1__hparams *hp = &m->hp;
    const uint64_t nb = (uint64_t)p->n_batch, kvd = (uint64_t)hp->n_head_kv * hp->head_dim;
    const uint64_t ffe = (uint64_t)(hp->n_ff > hp->n_embd ? hp->n_ff : hp->n_embd);
    *xq_row = max_xq_row(m);
    uint64_t elems[B_N] = {
        [B_X] = nb * hp->n_embd, [B_XN] = nb * hp->n_embd, [B_Q] = nb * hp->n_embd,
        [B_K] = nb * kvd,        [B_V] = nb * kvd,         [B_TMP] = nb * hp->n_embd,
        [B_GATE] = nb * hp->n_ff, [B_UP] = nb * hp->n_ff,  [B_WROW] = ffe,
        [B_CS] = nb * (hp->head_dim / 2), [B_SN] = nb * (hp->head_dim / 2),
        [B_LOGITS] = (uint64_t)hp->n_vocab,
        [B_PART] = (uint64_t)part_tokens(p) * (uint64_t)hp->n_head * SPLIT_MAX_CHUNKS *
                   (uint64_t)(hp->head_dim + 2),
    };
    uint64_t total = 0;
    for (int i = 0; i < B_N; i++) {
        uint64_t bytes;
        if (i == B_XQ) {
            if (!l1__mul_u64(nb, *xq_row, &bytes)) return false;
        } else if (i == B_WORK) {
            if (!l1__mul_u64((uint64_t)p->n_threads, attn_work_stride(hp), &bytes))
                return false;
        } else if (!l1__mul_u64(elems[i], sizeof(float), &bytes)) {
            return false;
        }
        if (!l1__align_up_u64(total, ALIGN, &total)) return false;
        off[i] = (size_t)total;
        if (!l1__add_u64(total, bytes, &total) || total > SIZE_MAX / 2) return false;
    }
    off[B_N] = (size_t)total;
    return true;
}

/* The cache's element type, and its bytes per value from the type table. */
static uint32_t kv_type_id(l1_kv_type t) { return t == L1_KV_F32 ? L1_TYPE_F32 : L1_TYPE_F16; }
static size_t kv_elt_bytes(l1_kv_type t) { return l1__type_geom_get(kv_type_id(t))->type_size; }

/* Bytes of KV cache per position for every layer together: K and V,
 * n_head_kv * head_dim values each, per layer (small, no overflow). */
static uint64_t kv_bytes_per_pos(const l1_model *m, l1_kv_type t) {
    const l1__hparams *hp = &m->hp;
    return 2u * kv_elt_bytes(t) * (uint64_t)hp->n_head_kv * (uint64_t)hp->head_dim * (uint64_t)hp->n_layer;
}

l1_status l1__ctx_sizes(const l1_model *m, const l1_ctx_params *p, uint64_t *kv_bytes,
                        uint64_t *scratch_bytes) {
    size_t off[B_N + 1], xq_row;
    if (!l1__mul_u64(kv_bytes_per_pos(m, p->kv_type), (uint64_t)p->n_ctx, kv_bytes) ||
        !l1__mul_u64(*kv_bytes, (uint64_t)p->n_seq, kv_bytes) ||
        !scratch_layout(m, p, off, &xq_row))
        return l1__error(L1_ERR_LIMIT, "context: n_ctx %d / n_batch %d need more memory than "
                         "can be addressed", p->n_ctx, p->n_batch);
    *scratch_bytes = off[B_N];
    return L1_OK;
}

l1_status l1__ctx_memory(const l1_model *model, const l1_ctx_params *params, l1_memory *out) {
    l1_ctx_params p;
    l1_status st = resolve_params(model, params, &p);
    if (st != L1_OK) return st;
    memset(out, 0, sizeof *out);
    out->weights = model->weight_bytes;
    if ((st = l1__ctx_sizes(model, &p, &out->kv, &out->scratch))) return st;
    out->total = out->weights + out->kv + out->scratch;
    return L1_OK;
}

static void bind_scratch(l1_ctx *c, const size_t off[B_N + 1]) {
    uint8_t *a = c->arena;
    c->x = (float *)(a + off[B_X]);
    c->xn = (float *)(a + off[B_XN]);
    c->q = (float *)(a + off[B_Q]);
    c->k = (float *)(a + off[B_K]);
    c->v = (float *)(a + off[B_V]);
    c->tmp = (float *)(a + off[B_TMP]);
    c->gate = (float *)(a + off[B_GATE]);
    c->up = (float *)(a + off[B_UP]);
    c->wrow = (float *)(a + off[B_WROW]);
    c->cs = (float *)(a + off[B_CS]);
    c->sn = (float *)(a + off[B_SN]);
    c->xq = a + off[B_XQ];
    c->attn_work = a + off[B_WORK];
    c->attn_work_stride = attn_work_stride(&c->model->hp);
    c->attn_part = (float *)(a + off[B_PART]);
    c->logits = (float *)(a + off[B_LOGITS]);
    c->logits_rows = 1;
}

static l1_status ctx_alloc(l1_ctx *c, uint64_t kv_bytes) {
    const l1_model *m = c->model;
    size_t off[B_N + 1];
    if (!scratch_layout(m, &c->params, off, &c->xq_row_bytes))
        return l1__error(L1_ERR_LIMIT, "context: scratch too large");
    c->kv_layer_bytes = (size_t)(kv_bytes / 2 / (uint64_t)m->hp.n_layer);
    c->kv = l1__aligned_alloc(ALIGN, kv_bytes ? (size_t)kv_bytes : ALIGN);
    c->arena = l1__aligned_alloc(ALIGN, off[B_N]);
    if (!c->kv || !c->arena)
        return l1__error(L1_ERR_NOMEM, "context: out of memory for %llu bytes of KV cache and "
                         "%zu of scratch", (unsigned long long)kv_bytes, off[B_N]);
    bind_scratch(c, off);
    const size_t nb = (size_t)c->n_batch;
    c->n_past = l1__calloc((size_t)c->n_seq, sizeof *c->n_past);
    c->tok_seq = l1__malloc(nb * sizeof *c->tok_seq);
    c->tok_pos = l1__malloc(nb * sizeof *c->tok_pos);
    c->tok_part = l1__malloc(nb * sizeof *c->tok_part);
    c->tok_f32 = l1__malloc(nb);
    c->tok_first = l1__malloc((nb + 1) * sizeof *c->tok_first);
    c->part_slots = (int32_t)part_tokens(&c->params);
    if (!c->n_past || !c->tok_seq || !c->tok_pos || !c->tok_part || !c->tok_f32 || !c->tok_first)
        return l1__error(L1_ERR_NOMEM, "context: out of memory for a %d-token batch", c->n_batch);
    return L1_OK;
}

l1_status l1__ctx_new(const l1_model *model, const l1_ctx_params *params, l1_ctx **out) {
    *out = NULL;
    l1_ctx_params p;
    l1_status st = resolve_params(model, params, &p);
    if (st != L1_OK) return st;
    uint64_t kv_bytes, scratch;
    if ((st = l1__ctx_sizes(model, &p, &kv_bytes, &scratch))) return st;
    uint64_t total = model->weight_bytes + kv_bytes + scratch;
    if (p.memory_limit && total > p.memory_limit)
        return l1__error(L1_ERR_LIMIT,
                         "context: needs %llu bytes (weights %llu, KV cache %llu, scratch %llu), "
                         "above the limit of %llu", (unsigned long long)total,
                         (unsigned long long)model->weight_bytes, (unsigned long long)kv_bytes,
                         (unsigned long long)scratch, (unsigned long long)p.memory_limit);
    l1_ctx *c = l1__calloc(1, sizeof *c);
    if (!c) return l1__error(L1_ERR_NOMEM, "l1_ctx_new: out of memory");
    c->model = model;
    c->kern = l1__kernels_get();
    c->params = p;
    c->n_ctx = p.n_ctx;
    c->n_batch = p.n_batch;
    c->n_seq = p.n_seq;
    c->kv_type = kv_type_id(p.kv_type);
    c->kv_elt = kv_elt_bytes(p.kv_type);
    if ((st = ctx_alloc(c, kv_bytes)) || (st = l1__pool_new(p.n_threads, &c->pool))) {
        l1__ctx_free(c);
        return st;
    }
    *out = c;
    return L1_OK;
}

void l1__ctx_free(l1_ctx *ctx) {
    if (!ctx) return;
    if (ctx->logits_rows > 1) l1__aligned_free(ctx->logits);
    l1__aligned_free(ctx->arena);
    l1__aligned_free(ctx->kv);
    l1__pool_free(ctx->pool);
    void *const owned[] = {ctx->n_past, ctx->tok_seq, ctx->tok_pos, ctx->tok_part, ctx->tok_f32,
                           ctx->tok_first, ctx->eval_seq, ctx->eval_pos, ctx->out_row, ctx};
    l1__free_each(owned, L1_ARRAY_LEN(owned));
}

int32_t l1__ctx_n_past(const l1_ctx *ctx) { return ctx->n_past[0]; }
int32_t l1__ctx_n_seq(const l1_ctx *ctx) { return ctx->n_seq; }
int32_t l1__ctx_seq_n_past(const l1_ctx *ctx, int32_t seq) {
    return seq >= 0 && seq < ctx->n_seq ? ctx->n_past[seq] : 0;
}
int32_t l1__ctx_n_ctx(const l1_ctx *ctx) { return ctx->n_ctx; }
int32_t l1__ctx_n_batch(const l1_ctx *ctx) { return ctx->n_batch; }
uint64_t l1__ctx_eval_id(const l1_ctx *ctx) { return ctx->eval_id; }
int32_t l1__ctx_n_vocab(const l1_ctx *ctx) { return ctx->model->hp.n_vocab; }
const l1_model *l1__ctx_model(const l1_ctx *ctx) { return ctx->model; }

bool l1__ctx_abort_requested(const l1_ctx *ctx) {
    return ctx->params.abort_fn && ctx->params.abort_fn(ctx->params.abort_user);
}

static l1_status check_seq(const char *fn, const l1_ctx *ctx, int32_t seq) {
    if (seq < 0 || seq >= ctx->n_seq)
        return l1__error(L1_ERR_INVALID_ARG, "%s: sequence %d outside [0, %d)", fn, seq, ctx->n_seq);
    return L1_OK;
}

l1_status l1__ctx_seq_truncate(l1_ctx *ctx, int32_t seq, int32_t n_keep) {
    const char *fn = ctx->n_seq > 1 ? "l1_ctx_seq_truncate" : "l1_ctx_truncate";
    l1_status st = check_seq(fn, ctx, seq);
    if (st != L1_OK) return st;
    if (n_keep < 0 || n_keep > ctx->n_past[seq])
        return l1__error(L1_ERR_INVALID_ARG, "%s: n_keep %d outside [0, %d]", fn, n_keep, ctx->n_past[seq]);
    /* Positions >= n_keep are simply overwritten by later evals: attention
     * never reads past the query's own position. */
    ctx->n_past[seq] = n_keep;
    ctx->n_out = 0;
    return L1_OK;
}

l1_status l1__ctx_truncate(l1_ctx *ctx, int32_t n_keep) { return l1__ctx_seq_truncate(ctx, 0, n_keep); }

static uint8_t *kv_head(const l1_ctx *c, int il, int which, int64_t seq, int64_t h);

l1_status l1__ctx_seq_copy(l1_ctx *ctx, int32_t src, int32_t dst, int32_t n) {
    l1_status st;
    if ((st = check_seq("l1_ctx_seq_copy", ctx, src)) || (st = check_seq("l1_ctx_seq_copy", ctx, dst)))
        return st;
    if (n < 0 || n > ctx->n_past[src])
        return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_seq_copy: n %d outside [0, %d] (sequence %d's length)",
                         n, ctx->n_past[src], src);
    ctx->n_out = 0;
    if (src != dst) {
        const size_t bytes = (size_t)n * (size_t)ctx->model->hp.head_dim * ctx->kv_elt;
        for (int il = 0; il < ctx->model->hp.n_layer; il++)
            for (int which = 0; which < 2; which++)
                for (int64_t h = 0; h < ctx->model->hp.n_head_kv; h++)
                    memcpy(kv_head(ctx, il, which, dst, h), kv_head(ctx, il, which, src, h), bytes);
    }
    ctx->n_past[dst] = n;
    return L1_OK;
}

const float *l1__ctx_batch_logits(const l1_ctx *ctx, int32_t i) {
    if (i < 0 || i >= ctx->n_out || ctx->out_row[i] < 0) return NULL;
    return ctx->logits + (size_t)ctx->out_row[i] * (size_t)ctx->model->hp.n_vocab;
}

const float *l1__ctx_logits(const l1_ctx *ctx, int32_t i) {
    return l1__ctx_batch_logits(ctx, i == -1 ? ctx->n_out - 1 : i);
}

/* ---- the forward pass ------------------------------------------------------- */

/*
 * Scheduling.  A layer is five pool runs, with serial work between them
 * only where a whole row is needed (RMSNorm and the activation conversion
 * of a decode token; for prefill these are pool runs too, split by token):
 *
 *   norm, convert | Q K V (+bias, RoPE, cache store) | attention | convert |
 *   O (+residual) | norm, convert | gate up (+SwiGLU) | convert | down (+residual)
 *
 * A product's rows are handed out on demand, guided: each grab takes a
 * 1/(2 nth) share of the rows left, at least one aligned group, so a thread
 * that starts late or loses its core to another process takes fewer rows
 * instead of holding the others at the end of the run.  The row-wise work
 * after a product (bias, RoPE and the cache store of whole heads, SwiGLU,
 * the residual add) is done by the thread that computed those rows, right
 * after them.  Every output is still one call of the same kernel
 * (matmul.h) and every row-wise step the same elementwise kernel on a
 * slice, so no result depends on the schedule or the thread count.
 */

/* Output rows of a pool-split product start at multiples of this: 64
 * bytes of f32, so no two threads write one cache line of a row. */
#define ROW_ALIGN 16
/* Prefill rows (norm, conversion) go to the pool from this many values. */
#define ROWS_PAR_MIN 4096

/* A matmul input: n_tok rows of n floats, converted lazily (once per
 * activation type) into ctx->xq and reused by every matrix that pairs with
 * the same type. */
typedef struct act {
    float *x;
    int64_t ldx, n_tok, n;
    uint32_t have; /* type now in xq, or UINT32_MAX */
} act;

static act act_of(float *x, int64_t ldx, int64_t n_tok, int64_t n) {
    act a = {x, ldx, n_tok, n, UINT32_MAX};
    return a;
}

/* Hands out [*lo, *hi) of the rows [*next, n) not yet taken: a 1/(2 nth)
 * share of them rounded up to a multiple of `align` (or to n), at least
 * `align` rows.  False once all are taken.  Relaxed order is enough: the
 * ranges are disjoint and the pool run publishes what was written. */
static bool grab(_Atomic int64_t *next, int64_t n, int64_t align, int nth, int64_t *lo,
                 int64_t *hi) {
    int64_t r = atomic_load_explicit(next, memory_order_relaxed);
    for (;;) {
        if (r >= n) return false;
        int64_t e = r + (n - r) / (2 * nth);
        e = (e + align - 1) / align * align;
        if (e <= r) e = r + align;
        if (e > n) e = n;
        if (atomic_compare_exchange_weak_explicit(next, &r, e, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *lo = r;
            *hi = e;
            return true;
        }
    }
}

/* Row preparation of a matmul input, per token: RMSNorm (when `norm`),
 * the finiteness check (when `check`), conversion to the activation type
 * (when `quant`). */
typedef struct rows_job {
    const l1_ctx *c;
    const act *a;
    const float *src;         /* (n_tok, ldx) RMSNorm input, when norm */
    const float *norm;        /* (n) RMSNorm weight, or NULL */
    bool check;
    l1__act_quant_fn quant;   /* or NULL */
    size_t stride;            /* bytes per converted row in ctx->xq */
    _Atomic int64_t next;     /* next token to take */
    _Atomic int bad;          /* some value was not finite */
} rows_job;

static void rows_worker(void *arg, int ith, int nth) {
    (void)ith;
    (void)nth;
    rows_job *j = (rows_job *)arg;
    const act *a = j->a;
    const float eps = j->c->model->hp.rms_eps;
    for (;;) {
        const int64_t t = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (t >= a->n_tok) break;
        float *x = a->x + t * a->ldx;
        if (j->norm) j->c->kern->rmsnorm(x, j->src + t * a->ldx, j->norm, a->n, eps);
        if (j->check && !l1__numcheck_row_finite(x, a->n)) atomic_store_explicit(&j->bad, 1, memory_order_relaxed);
        if (j->quant) j->quant(x, j->c->xq + (size_t)t * j->stride, a->n);
    }
}

/* Makes `a` ready for weight w: RMSNorm of src into a->x first when norm
 * is given, then, unless a->x is already in w's activation type, the
 * finiteness check and the conversion.  Rounding to an integer activation
 * type would turn NaN into some integer and hide it from the logits check:
 * the first weight whose input is not finite is noted instead. */
static void prep_act(l1_ctx *c, act *a, const float *src, const float *norm, const l1__weight *w) {
    const uint32_t vt = c->params.f32_activations ? L1_TYPE_F32 : w->qt->vec_dot_type;
    rows_job j = {c, a, src, norm, false, NULL, 0, 0, 0};
    atomic_init(&j.next, 0);
    atomic_init(&j.bad, 0);
    if (c->params.f32_activations || a->have != vt) {
        j.check = !c->nonfinite;
        if (vt != L1_TYPE_F32) {
            j.quant = c->kern->act_quant[vt];
            j.stride = l1__quant_row_bytes(l1__quant_traits_get(vt), a->n);
        }
    }
    if (!j.norm && !j.check && !j.quant) return;
    if (a->n_tok > 1 && a->n * a->n_tok >= ROWS_PAR_MIN)
        l1__pool_run_claimed(c->pool, rows_worker, &j);
    else
        rows_worker(&j, 0, 1);
    if (atomic_load_explicit(&j.bad, memory_order_relaxed) && !c->nonfinite) c->nonfinite = w->name;
    a->have = vt;
}

/* The f32 reference product: each weight row dequantized, dotted in double. */
static void matmul_f32(l1_ctx *c, const act *a, const l1__weight *w, float *y, int64_t ldy) {
    const uint8_t *wb = (const uint8_t *)w->data;
    for (int64_t r = 0; r < w->ne1; r++) {
        w->qt->to_float(wb + (size_t)r * w->row_bytes, c->wrow, w->ne0);
        for (int64_t t = 0; t < a->n_tok; t++) {
            const float *x = a->x + t * a->ldx;
            double s = 0.0;
            for (int64_t i = 0; i < w->ne0; i++) s += (double)c->wrow[i] * (double)x[i];
            y[t * ldy + r] = (float)s;
        }
    }
}

/* Base of sequence seq's head h positions in layer il's K (which = 0) or V (1). */
static uint8_t *kv_head(const l1_ctx *c, int il, int which, int64_t seq, int64_t h) {
    const size_t head_bytes = (size_t)c->n_ctx * (size_t)c->model->hp.head_dim * c->kv_elt;
    return c->kv + (size_t)(2 * il + which) * c->kv_layer_bytes +
           (size_t)(seq * c->model->hp.n_head_kv + h) * head_bytes;
}

/* Stores heads [h0, h0 + nh) of one token's K (which = 0) or V (1) row
 * `src` (nh * head_dim values) at position pos of sequence seq in layer
 * il's cache. */
static void store_heads(const l1_ctx *c, int il, int which, const float *src, int64_t h0,
                        int64_t nh, int64_t seq, int64_t pos) {
    const int64_t hd = c->model->hp.head_dim;
    for (int64_t h = 0; h < nh; h++) {
        const float *s = src + h * hd;
        uint8_t *d = kv_head(c, il, which, seq, h0 + h) + (size_t)pos * (size_t)hd * c->kv_elt;
        if (c->kv_type == L1_TYPE_F32) {
            memcpy(d, s, (size_t)hd * sizeof(float));
        } else {
            uint16_t *dh = (uint16_t *)d;
            for (int64_t i = 0; i < hd; i++) dh[i] = l1__f32_to_f16(s[i]);
        }
    }
}

/* What follows a product, row by row, on the rows just computed. */
typedef enum epi {
    EPI_NONE,
    EPI_Q,        /* + bias, RoPE */
    EPI_K,        /* + bias, RoPE, into the cache */
    EPI_V,        /* + bias, into the cache */
    EPI_SWIGLU,   /* gate = silu(gate) * y */
    EPI_RESIDUAL  /* x += y */
} epi;

/* One product of a pool run, or two over the same rows (gate and up, so
 * that SwiGLU can follow them). */
typedef struct prod {
    const l1__weight *w[2];  /* w[1] NULL for one product */
    float *y[2];             /* (n_tok, ldy) outputs of w[0], w[1] */
    int64_t ldy;
    epi epi;
    const float *bias;       /* EPI_Q, EPI_K, EPI_V: (rows) */
    float *gate;             /* EPI_SWIGLU: (n_tok, ldy), rows computed no later than y's */
    /* Set by run_prods: */
    l1__matmul_op op[2];
    int n_op;
    int64_t align;
} prod;

static prod prod_of(const l1__weight *w, float *y, int64_t ldy, epi e, const float *bias) {
    prod p;
    memset(&p, 0, sizeof p);
    p.w[0] = w;
    p.y[0] = y;
    p.ldy = ldy;
    p.epi = e;
    p.bias = bias;
    return p;
}

/* Most products of one pool run (Q, K and V). */
#define RUN_MAX_PRODS 3

typedef struct prod_job {
    l1_ctx *c;
    int il;
    int64_t n_tok;
    const prod *p;
    int n;
    _Atomic int64_t next[RUN_MAX_PRODS]; /* first row of p[i] not yet taken */
} prod_job;

/* The row-wise work after product p, on its rows [r0, r1). */
static void epilogue(const prod_job *j, const prod *p, int64_t r0, int64_t r1) {
    const l1_ctx *c = j->c;
    const l1__kernels *k = c->kern;
    const int64_t hd = c->model->hp.head_dim, hh = hd / 2, e = c->model->hp.n_embd, n = r1 - r0;
    if (p->epi == EPI_NONE) return;
    for (int64_t t = 0; t < j->n_tok; t++) {
        float *y = p->y[p->n_op - 1] + t * p->ldy + r0;
        switch (p->epi) {
        case EPI_Q:
        case EPI_K:
        case EPI_V:
            k->add(y, p->bias + r0, n);
            if (p->epi != EPI_V) k->rope_neox(y, n / hd, hd, c->cs + t * hh, c->sn + t * hh);
            if (p->epi != EPI_Q)
                store_heads(c, j->il, p->epi == EPI_V, y, r0 / hd, n / hd, c->tok_seq[t], c->tok_pos[t]);
            break;
        case EPI_SWIGLU: {
            float *g = p->gate + t * p->ldy + r0;
            k->swiglu(g, g, y, n);
            break;
        }
        case EPI_RESIDUAL:
            k->add(c->x + t * e + r0, y, n);
            break;
        case EPI_NONE:
            break;
        }
    }
}

static void prod_worker(void *arg, int ith, int nth) {
    (void)ith;
    prod_job *j = (prod_job *)arg;
    for (int i = 0; i < j->n; i++) {
        const prod *p = &j->p[i];
        int64_t lo, hi;
        while (grab(&j->next[i], p->op[0].n_rows, p->align, nth, &lo, &hi)) {
            l1__matmul_op sub[2];
            for (int o = 0; o < p->n_op; o++) {
                sub[o] = p->op[o];
                sub[o].w = (const uint8_t *)p->op[o].w + (size_t)lo * p->op[o].w_row_bytes;
                sub[o].n_rows = hi - lo;
                sub[o].y = p->op[o].y + lo;
                if (sub[o].x8) sub[o].x8 = (const uint8_t *)p->op[o].x8 + (size_t)(lo / 8) * p->op[o].x8_group_bytes;
            }
            l1__matmul(NULL, sub, p->n_op, j->n_tok);
            epilogue(j, p, lo, hi);
        }
    }
}

static uint32_t act_type(const l1_ctx *c, const l1__weight *w) {
    return c->params.f32_activations ? L1_TYPE_F32 : w->qt->vec_dot_type;
}

/* Fills p's matmul ops for input `a`, already in activation type vt. */
static void prod_setup(const l1_ctx *c, const act *a, uint32_t vt, prod *p) {
    const void *xin = c->xq;
    size_t stride = (size_t)a->ldx * sizeof(float);
    if (vt == L1_TYPE_F32) {
        xin = a->x;
    } else {
        stride = l1__quant_row_bytes(l1__quant_traits_get(vt), a->n);
    }
    for (int o = 0; o < p->n_op; o++) {
        const l1__weight *w = p->w[o];
        p->op[o] = (l1__matmul_op){.k = c->kern, .type = w->type, .w = w->data, .w_row_bytes = w->row_bytes,
                                   .n_rows = w->ne1, .n = a->n, .x = xin, .x_stride = stride, .y = p->y[o],
                                   .ldy = p->ldy, .x8 = w->x8, .x8_group_bytes = w->x8_group_bytes};
    }
    /* RoPE and the cache store work on whole heads. */
    const int64_t hd = c->model->hp.head_dim;
    p->align = ROW_ALIGN;
    if (p->epi == EPI_Q || p->epi == EPI_K || p->epi == EPI_V) {
        p->align = hd;
        while (p->align % ROW_ALIGN) p->align += hd;
    }
}

/* Runs the n products of layer il over input `a`, each followed by its
 * row-wise work: one pool run for each stretch of products that pair with
 * the same activation type (a whole layer step in practice).  The two
 * products of a pair must share that type; products whose epilogue reads
 * another's output (SwiGLU) must be paired with it or come in a later
 * stretch.  f32_activations: the reference products, on the caller. */
static void run_prods(l1_ctx *c, act *a, int il, prod *ps, int n) {
    for (int i0 = 0; i0 < n;) {
        const uint32_t vt = act_type(c, ps[i0].w[0]);
        int i1 = i0 + 1;
        while (i1 < n && i1 - i0 < RUN_MAX_PRODS && act_type(c, ps[i1].w[0]) == vt) i1++;
        prep_act(c, a, NULL, NULL, ps[i0].w[0]);
        prod_job j = {c, il, a->n_tok, ps + i0, i1 - i0, {0}};
        for (int i = i0; i < i1; i++) {
            prod *p = &ps[i];
            p->n_op = p->w[1] ? 2 : 1;
            atomic_init(&j.next[i - i0], 0);
            if (!c->params.f32_activations) {
                prod_setup(c, a, vt, p);
                continue;
            }
            for (int o = 0; o < p->n_op; o++) matmul_f32(c, a, p->w[o], p->y[o], p->ldy);
            epilogue(&j, p, 0, p->w[0]->ne1);
        }
        if (!c->params.f32_activations) l1__pool_run_claimed(c->pool, prod_worker, &j);
        i0 = i1;
    }
}

/*
 * Attention.  The mode is chosen per sequence, from its own tokens in the
 * step, so a sequence gets the same attention in a batch as alone: a
 * sequence with REF_ATTN_TILE tokens or more in the step (and every one
 * with f32_activations) runs F32 mode: a task is one (token, KV head) pair,
 * a grouped call for the query heads of that KV head, so each K and V row
 * is read once for all of them; the result is bit for bit the one-head
 * kernel's.  Fewer tokens (decode) run F16_ACC mode, one task per (token, head),
 * unless the token sees SPLIT_MIN positions or more: then its positions are
 * cut into chunks (n_chunks) and a task is one (KV head, chunk) pair, a
 * grouped F32-mode call whose unnormalised records go to ctx->attn_part;
 * the calling thread merges each head's chunks in chunk order after the
 * run.  The chunks depend on the position count only, so no result depends
 * on the thread count or the schedule.
 */

/* Chunks of a split query over n_kv positions, of `*len` positions each
 * (the last one shorter), len a multiple of L1__ATTN_BLOCK. */
static int64_t n_chunks(int64_t n_kv, int64_t *len) {
    int64_t n = (n_kv + SPLIT_CHUNK - 1) / SPLIT_CHUNK;
    if (n > SPLIT_MAX_CHUNKS) n = SPLIT_MAX_CHUNKS;
    int64_t l = (n_kv + n - 1) / n;
    l = (l + L1__ATTN_BLOCK - 1) / L1__ATTN_BLOCK * L1__ATTN_BLOCK;
    *len = l;
    return (n_kv + l - 1) / l;
}

typedef struct attend_job {
    l1_ctx *c;
    int il;
    int64_t n_tok;
    _Atomic int64_t next; /* next task to take */
} attend_job;

static bool split_query(int64_t n_kv) { return n_kv >= SPLIT_MIN; }

/* The records of KV head kh's query heads (consecutive) for chunk ch of
 * the split query in slot `slot` of attn_part.  One call's records lie
 * together: spread SPLIT_MAX_CHUNKS records apart they were measured 40%
 * slower. */
static float *part_rec(const l1_ctx *c, int64_t slot, int64_t kh, int64_t ch) {
    const l1__hparams *hp = &c->model->hp;
    const int64_t group = hp->n_head / hp->n_head_kv;
    return c->attn_part + (((slot * hp->n_head_kv + kh) * SPLIT_MAX_CHUNKS + ch) * group) * (hp->head_dim + 2);
}

/* The token of task i: the last t with tok_first[t] <= i (every token has
 * at least one task). */
static int64_t task_token(const l1_ctx *c, int64_t n_tok, int64_t i) {
    int64_t lo = 0, hi = n_tok - 1;
    while (lo < hi) {
        const int64_t mid = (lo + hi + 1) / 2;
        if (c->tok_first[mid] <= i) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

static void attend_worker(void *arg, int ith, int nth) {
    (void)nth;
    attend_job *j = (attend_job *)arg;
    l1_ctx *c = j->c;
    const l1__hparams *hp = &c->model->hp;
    const int64_t hd = hp->head_dim, group = hp->n_head / hp->n_head_kv, e = hp->n_embd;
    uint8_t *work = c->attn_work + (size_t)ith * c->attn_work_stride;
    float *recs = (float *)work; /* F32 mode: the group's records */
    l1__attn_args a;
    a.row_stride = (size_t)hd * c->kv_elt;
    a.kv_type = c->kv_type;
    a.head_dim = hd;
    a.scale = 1.0f / sqrtf((float)hd);
    a.mode = L1__ATTN_F16_ACC;
    a.work = work;
    l1__attn_group_args g;
    g.q_stride = hd;
    g.n_q = (int)group;
    g.row_stride = a.row_stride;
    g.kv_type = c->kv_type;
    g.head_dim = hd;
    g.scale = a.scale;
    g.work = work + (size_t)group * (size_t)(hd + 2) * sizeof(float);
    const int64_t n_task = c->tok_first[j->n_tok];
    for (;;) {
        const int64_t i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (i >= n_task) break;
        const int64_t t = task_token(c, j->n_tok, i), k = i - c->tok_first[t];
        const int64_t seq = c->tok_seq[t], n_kv = (int64_t)c->tok_pos[t] + 1;
        if (c->tok_f32[t]) {
            const int64_t kh = k;
            g.q = c->q + t * e + kh * group * hd;
            g.k = kv_head(c, j->il, 0, seq, kh);
            g.v = kv_head(c, j->il, 1, seq, kh);
            g.n_kv = n_kv;
            g.rec = recs;
            g.rec_stride = hd + 2;
            c->kern->attention_group(&g);
            for (int64_t h = 0; h < group; h++)
                l1__attn_finish(c->xn + t * e + (kh * group + h) * hd, recs + h * (hd + 2), hd);
            continue;
        }
        if (c->tok_part[t] < 0) {
            const int64_t h = k;
            a.q = c->q + t * e + h * hd;
            a.k = kv_head(c, j->il, 0, seq, h / group);
            a.v = kv_head(c, j->il, 1, seq, h / group);
            a.n_kv = n_kv;
            a.out = c->xn + t * e + h * hd;
            c->kern->attention(&a);
            continue;
        }
        int64_t len;
        const int64_t nch = n_chunks(n_kv, &len), kh = k / nch, ch = k % nch;
        const size_t off = (size_t)(ch * len) * a.row_stride;
        g.q = c->q + t * e + kh * group * hd;
        g.k = kv_head(c, j->il, 0, seq, kh) + off;
        g.v = kv_head(c, j->il, 1, seq, kh) + off;
        g.n_kv = (ch + 1) * len < n_kv ? len : n_kv - ch * len;
        g.rec = part_rec(c, c->tok_part[t], kh, ch);
        g.rec_stride = hd + 2;
        c->kern->attention_group(&g);
    }
}

/* Causal GQA attention of the step's queries (ctx->q) over the cache;
 * output in ctx->xn.  Token t (sequence tok_seq[t], position tok_pos[t])
 * sees positions 0 .. tok_pos[t] of its own sequence.  The step's mode per
 * token (tok_f32) is set by step(). */
static void attend(l1_ctx *c, int il, int64_t n_tok) {
    const l1__hparams *hp = &c->model->hp;
    attend_job j;
    j.c = c;
    j.il = il;
    j.n_tok = n_tok;
    bool any_split = false;
    int32_t slot = 0;
    c->tok_first[0] = 0;
    for (int64_t t = 0; t < n_tok; t++) {
        const int64_t n_kv = (int64_t)c->tok_pos[t] + 1;
        int64_t len, n = hp->n_head;
        c->tok_part[t] = -1;
        if (c->tok_f32[t]) {
            n = hp->n_head_kv;
        } else if (split_query(n_kv) && slot < c->part_slots) { /* always room: part_tokens() */
            n = hp->n_head_kv * n_chunks(n_kv, &len);
            c->tok_part[t] = slot++;
            any_split = true;
        }
        c->tok_first[t + 1] = c->tok_first[t] + n;
    }
    atomic_init(&j.next, 0);
    l1__pool_run_claimed(c->pool, attend_worker, &j);
    if (!any_split) return;
    const int64_t hd = hp->head_dim, group = hp->n_head / hp->n_head_kv;
    for (int64_t t = 0; t < n_tok; t++) {
        int64_t len;
        if (c->tok_part[t] < 0) continue;
        const int64_t nch = n_chunks((int64_t)c->tok_pos[t] + 1, &len);
        for (int64_t h = 0; h < hp->n_head; h++)
            l1__attn_merge(c->xn + t * hp->n_embd + h * hd,
                           part_rec(c, c->tok_part[t], h / group, 0) + (h % group) * (hd + 2), nch,
                           group * (hd + 2), hd);
    }
}

/* Rows t with keep[t] >= 0 of the attention output (xn) and the residual
 * stream (x) moved, in order, to the front; their count. */
static int64_t gather_kept(l1_ctx *c, const int32_t *keep, int64_t n_tok) {
    const int64_t e = c->model->hp.n_embd;
    int64_t n = 0;
    for (int64_t t = 0; t < n_tok; t++) {
        if (keep[t] < 0) continue;
        if (n != t) {
            memcpy(c->xn + n * e, c->xn + t * e, (size_t)e * sizeof(float));
            memcpy(c->x + n * e, c->x + t * e, (size_t)e * sizeof(float));
        }
        n++;
    }
    return n;
}

/* Layer il over the step's n_tok tokens.  Keys and values are stored for
 * all of them; in the last layer (keep non-NULL: each token's logits row
 * or -1) only the tokens whose logits are kept go on past attention,
 * gathered to the front, since nothing reads the others' hidden states.
 * Every product and epilogue works row by row (a row's bits do not depend
 * on the rows beside it), so the kept rows come out as they would have.
 * Returns the number of rows it finished. */
static int64_t layer(l1_ctx *c, int il, int64_t n_tok, const int32_t *keep) {
    const l1__hparams *hp = &c->model->hp;
    const l1__layer *L = &c->model->layers[il];
    const int64_t e = hp->n_embd, kvd = (int64_t)hp->n_head_kv * hp->head_dim, ff = hp->n_ff;
    act a = act_of(c->xn, e, n_tok, e);
    prep_act(c, &a, c->x, (const float *)L->attn_norm.data, &L->wq);
    prod qkv[3] = {prod_of(&L->wq, c->q, e, EPI_Q, (const float *)L->bq.data),
                   prod_of(&L->wk, c->k, kvd, EPI_K, (const float *)L->bk.data),
                   prod_of(&L->wv, c->v, kvd, EPI_V, (const float *)L->bv.data)};
    run_prods(c, &a, il, qkv, 3);
    attend(c, il, n_tok);
    if (keep && (n_tok = gather_kept(c, keep, n_tok)) == 0) return 0;
    a = act_of(c->xn, e, n_tok, e);
    prod o = prod_of(&L->wo, c->tmp, e, EPI_RESIDUAL, NULL);
    run_prods(c, &a, il, &o, 1);
    a = act_of(c->xn, e, n_tok, e);
    prep_act(c, &a, c->x, (const float *)L->ffn_norm.data, &L->w_gate);
    prod gu[2] = {prod_of(&L->w_gate, c->gate, ff, EPI_SWIGLU, NULL),
                  prod_of(&L->w_up, c->up, ff, EPI_SWIGLU, NULL)};
    gu[0].gate = gu[1].gate = c->gate;
    if (act_type(c, &L->w_gate) == act_type(c, &L->w_up)) {
        gu[0].w[1] = &L->w_up;
        gu[0].y[1] = c->up;
        run_prods(c, &a, il, gu, 1);
    } else {
        /* Different activation types: gate in one run, then up and SwiGLU. */
        gu[0].epi = EPI_NONE;
        run_prods(c, &a, il, gu, 2);
    }
    a = act_of(c->gate, ff, n_tok, ff);
    prod down = prod_of(&L->w_down, c->tmp, e, EPI_RESIDUAL, NULL);
    run_prods(c, &a, il, &down, 1);
    return n_tok;
}

static void embed(l1_ctx *c, const l1_token *tokens, int64_t n_tok) {
    const l1__weight *w = &c->model->tok_embd;
    const int64_t e = c->model->hp.n_embd;
    for (int64_t t = 0; t < n_tok; t++)
        w->qt->to_float((const uint8_t *)w->data + (size_t)tokens[t] * w->row_bytes, c->x + t * e, e);
}

/* Final norm and output head for rows [0, n_rows) of the step, written
 * to `out` (one n_vocab row each). */
static void head(l1_ctx *c, int64_t n_rows, float *out) {
    const l1__hparams *hp = &c->model->hp;
    const int64_t e = hp->n_embd;
    act a = act_of(c->xn, e, n_rows, e);
    prep_act(c, &a, c->x, (const float *)c->model->output_norm.data, &c->model->output);
    prod p = prod_of(&c->model->output, out, hp->n_vocab, EPI_NONE, NULL);
    run_prods(c, &a, 0, &p, 1);
}

/* One forward step over eval tokens [s0, s0 + n_tok) (the eval arrays give
 * their sequences, positions and logits rows). */
static l1_status step(l1_ctx *c, const l1_token *tokens, int64_t s0, int64_t n_tok, l1_abort_fn poll,
                      void *poll_user) {
    const l1__hparams *hp = &c->model->hp;
    const int64_t hh = hp->head_dim / 2;
    int32_t count[L1_MAX_SEQ] = {0};
    for (int64_t t = 0; t < n_tok; t++) {
        c->tok_seq[t] = c->eval_seq[s0 + t];
        c->tok_pos[t] = c->eval_pos[s0 + t];
        count[c->tok_seq[t]]++;
        l1__rope_angles(c->tok_pos[t], hp->head_dim, hp->rope_theta, c->cs + t * hh, c->sn + t * hh);
    }
    for (int64_t t = 0; t < n_tok; t++)
        c->tok_f32[t] = c->params.f32_activations || count[c->tok_seq[t]] >= REF_ATTN_TILE;
    embed(c, tokens + s0, n_tok);
    int64_t n_rows = 0;
    for (int il = 0; il < hp->n_layer; il++) {
        if ((poll && poll(poll_user)) || l1__ctx_abort_requested(c))
            return l1__error(L1_ERR_ABORTED, "l1_ctx_eval: stopped by the abort callback");
        n_rows = layer(c, il, n_tok, il == hp->n_layer - 1 ? c->out_row + s0 : NULL);
    }
    /* The last layer left the rows whose logits are kept at the front, in
     * order (their logits rows are consecutive). */
    int64_t row0 = -1;
    for (int64_t t = 0; t < n_tok && row0 < 0; t++) row0 = c->out_row[s0 + t];
    if (n_rows) head(c, n_rows, c->logits + (size_t)row0 * (size_t)hp->n_vocab);
    return L1_OK;
}

static l1_status grow_logits(l1_ctx *c, int32_t rows) {
    if (rows <= c->logits_rows) return L1_OK;
    size_t bytes;
    if (!l1__mul_size((size_t)rows, (size_t)c->model->hp.n_vocab * sizeof(float), &bytes))
        return l1__error(L1_ERR_LIMIT, "l1_ctx_eval: logits of %d positions are too large", rows);
    float *p = l1__aligned_alloc(ALIGN, bytes);
    if (!p)
        return l1__error(L1_ERR_NOMEM, "l1_ctx_eval: out of memory for the logits of %d positions",
                         rows);
    if (c->logits_rows > 1) l1__aligned_free(c->logits);
    c->logits = p;
    c->logits_rows = rows;
    return L1_OK;
}

/* Makes room for the per-token arrays of an n-token eval. */
static l1_status grow_eval(l1_ctx *c, int32_t n) {
    if (n <= c->eval_cap) return L1_OK;
    int32_t *seq = l1__malloc((size_t)n * sizeof *seq), *pos = l1__malloc((size_t)n * sizeof *pos),
            *row = l1__malloc((size_t)n * sizeof *row);
    if (!seq || !pos || !row) {
        void *const got[] = {seq, pos, row};
        l1__free_each(got, L1_ARRAY_LEN(got));
        return l1__error(L1_ERR_NOMEM, "l1_ctx_eval: out of memory for a %d-token evaluation", n);
    }
    void *const old[] = {c->eval_seq, c->eval_pos, c->out_row};
    l1__free_each(old, L1_ARRAY_LEN(old));
    c->eval_seq = seq;
    c->eval_pos = pos;
    c->out_row = row;
    c->eval_cap = n;
    return L1_OK;
}

/* Which tokens keep their logits. */
typedef enum keep { KEEP_LAST, KEEP_ALL, KEEP_LIST } keep;

/* Checks the tokens, places them in their sequences, picks the rows to
 * keep and runs the steps; nothing changes on failure.  fn names the
 * public call in messages. */
static l1_status run_eval(l1_ctx *c, const char *fn, const l1_token *tokens, const int32_t *seq, int32_t seq_all,
                          const int32_t *pos, int32_t n, keep how, const int8_t *list, l1_abort_fn poll,
                          void *poll_user) {
    c->n_out = 0; /* whatever happens next, the previous logits are gone */
    c->eval_id++;
    c->nonfinite = NULL;
    if (!tokens || n < 1) return l1__error(L1_ERR_INVALID_ARG, "%s: NULL tokens, or n < 1", fn);
    l1_status st;
    for (int32_t i = 0; i < n; i++) {
        if (tokens[i] < 0 || tokens[i] >= c->model->hp.n_vocab)
            return l1__error(L1_ERR_INVALID_ARG, "%s: token %d (index %d) is outside [0, %d)", fn, tokens[i], i,
                             c->model->hp.n_vocab);
        if (seq && (st = check_seq(fn, c, seq[i]))) return st;
    }
    if (!seq && (st = check_seq(fn, c, seq_all))) return st;
    if ((st = grow_eval(c, n))) return st;
    int32_t count[L1_MAX_SEQ] = {0};
    for (int32_t i = 0; i < n; i++) {
        const int32_t s = seq ? seq[i] : seq_all;
        const int64_t p = (int64_t)c->n_past[s] + count[s];
        if (pos && pos[i] != p)
            return l1__error(L1_ERR_INVALID_ARG, "%s: token %d of sequence %d is at position %d; the sequence "
                             "continues at %lld", fn, i, s, pos[i], (long long)p);
        if (p >= c->n_ctx) {
            int32_t m = 0;
            for (int32_t k = 0; k < n; k++) m += (seq ? seq[k] : seq_all) == s;
            if (c->n_seq == 1)
                return l1__error(L1_ERR_CONTEXT_FULL, "%s: %d tokens do not fit: %d of %d positions used", fn, m,
                                 c->n_past[s], c->n_ctx);
            return l1__error(L1_ERR_CONTEXT_FULL, "%s: sequence %d: %d tokens do not fit: %d of %d positions "
                             "used", fn, s, m, c->n_past[s], c->n_ctx);
        }
        c->eval_seq[i] = s;
        c->eval_pos[i] = (int32_t)p;
        count[s]++;
    }
    int32_t rows = 0;
    for (int32_t i = 0; i < n; i++) {
        bool k = how == KEEP_ALL || (how == KEEP_LIST && list[i]);
        if (how == KEEP_LAST) { /* the last token of its sequence in this eval */
            k = true;
            for (int32_t j = i + 1; j < n && k; j++) k = c->eval_seq[j] != c->eval_seq[i];
        }
        c->out_row[i] = k ? rows++ : -1;
    }
    if ((st = l1__model_prepare(c->model, c->pool, c->kern))) return st;
    if (rows > 1 && (st = grow_logits(c, rows))) return st;
    for (int32_t s = 0; s < n; s += c->n_batch) {
        const int32_t m = n - s < c->n_batch ? n - s : c->n_batch;
        if ((st = step(c, tokens, s, m, poll, poll_user))) return st;
    }
    /* A NaN weight or scale poisons the activations and the logits; report
     * it instead of handing NaN to a sampler.  Only the rows just written
     * are checked. */
    if (c->nonfinite) {
        const char *at = c->nonfinite;
        c->nonfinite = NULL;
        return l1__error(L1_ERR_NUMERIC, "activations: NaN or infinity entering tensor %s "
                         "(a weight or scale of the model is not finite)", at);
    }
    int64_t first = 0;
    for (int32_t i = 0; i < n; i++)
        if (c->out_row[i] >= 0) {
            first = c->eval_pos[i];
            break;
        }
    if ((st = l1__numcheck_logits(c->logits, rows, (int64_t)c->model->hp.n_vocab, first))) return st;
    for (int32_t s = 0; s < c->n_seq; s++) c->n_past[s] += count[s];
    c->n_out = n;
    return L1_OK;
}

l1_status l1__ctx_eval(l1_ctx *ctx, const l1_token *tokens, int32_t n, uint32_t flags, l1_abort_fn poll,
                       void *poll_user) {
    const keep how = (flags & L1_EVAL_ALL_LOGITS) ? KEEP_ALL : KEEP_LAST;
    return run_eval(ctx, "l1_ctx_eval", tokens, NULL, 0, NULL, n, how, NULL, poll, poll_user);
}

l1_status l1__ctx_eval_seq(l1_ctx *ctx, int32_t seq, const l1_token *tokens, int32_t n, uint32_t flags,
                           l1_abort_fn poll, void *poll_user) {
    const keep how = (flags & L1_EVAL_ALL_LOGITS) ? KEEP_ALL : KEEP_LAST;
    return run_eval(ctx, "l1_ctx_eval", tokens, NULL, seq, NULL, n, how, NULL, poll, poll_user);
}

l1_status l1__ctx_decode(l1_ctx *ctx, const l1_batch *b, l1_abort_fn poll, void *poll_user) {
    return run_eval(ctx, "l1_ctx_decode", b->tokens, b->seq, 0, b->pos, b->n, b->logits ? KEEP_LIST : KEEP_LAST,
                    b->logits, poll, poll_user);
}
