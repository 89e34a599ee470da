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
 * logits are wanted.  Prefill (n tokens) and decode (n = 1) are the same
 * code; an eval longer than n_batch is run in steps of n_batch.
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
 * All memory is allocated by l1_ctx_new; an eval allocates only when all
 * logits of more positions than ever before are requested.
 */
#include <math.h>
#include <string.h>

#include "forward.h"
#include "numcheck.h"
#include "fp16.h"
#include "matmul.h"

/* Steps of at least this many tokens take the reference's tiled f32 flash
 * attention; shorter ones its f16-accumulating vector path. */
#define REF_ATTN_TILE 64
#define DEFAULT_BATCH 512
#define DEFAULT_CTX 4096 /* trained contexts of 128K would cost gigabytes of cache by default */
#define ALIGN 64

l1_ctx_params l1_ctx_default_params(void) {
    l1_ctx_params p;
    memset(&p, 0, sizeof p);
    p.n_batch = DEFAULT_BATCH;
    p.kv_type = L1_KV_F16;
    return p;
}

static l1_status resolve_params(const l1_model *m, const l1_ctx_params *in, l1_ctx_params *p) {
    *p = in ? *in : l1_ctx_default_params();
    if (m->vocab_only)
        return l1__error(L1_ERR_INVALID_ARG, "context: the model was loaded with vocab_only");
    if (p->n_ctx < 0 || p->n_batch < 0 || p->n_threads < 0)
        return l1__error(L1_ERR_INVALID_ARG, "context: negative n_ctx, n_batch or n_threads");
    if (p->n_threads > L1__POOL_MAX_THREADS)
        return l1__error(L1_ERR_INVALID_ARG, "context: n_threads %d is above the maximum of %d",
                         p->n_threads, L1__POOL_MAX_THREADS);
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
    return (size_t)(w->ne0 / vt->block_size) * vt->type_size;
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

enum { B_X, B_XN, B_Q, B_K, B_V, B_TMP, B_GATE, B_UP, B_WROW, B_CS, B_SN, B_XQ, B_WORK, B_LOGITS, B_N };

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
    };
    uint64_t total = 0;
    for (int i = 0; i < B_N; i++) {
        uint64_t bytes;
        if (i == B_XQ) {
            if (!l1__mul_u64(nb, *xq_row, &bytes)) return false;
        } else if (i == B_WORK) {
            if (!l1__mul_u64((uint64_t)p->n_threads, l1__attn_work_bytes(hp->head_dim), &bytes))
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

l1_status l1__ctx_sizes(const l1_model *m, const l1_ctx_params *p, uint64_t *kv_bytes,
                        uint64_t *scratch_bytes) {
    uint32_t kt = p->kv_type == L1_KV_F32 ? L1_TYPE_F32 : L1_TYPE_F16;
    size_t off[B_N + 1], xq_row;
    if (!l1__mul_u64(l1__model_kv_bytes_per_pos(m, kt), (uint64_t)p->n_ctx, kv_bytes) ||
        !scratch_layout(m, p, off, &xq_row))
        return l1__error(L1_ERR_LIMIT, "context: n_ctx %d / n_batch %d need more memory than "
                         "can be addressed", p->n_ctx, p->n_batch);
    *scratch_bytes = off[B_N];
    return L1_OK;
}

l1_status l1_ctx_memory(const l1_model *model, const l1_ctx_params *params, l1_memory *out) {
    if (!model || !out) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_memory: NULL argument");
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
    return L1_OK;
}

l1_status l1_ctx_new(const l1_model *model, const l1_ctx_params *params, l1_ctx **out) {
    if (!out) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_new: out is NULL");
    *out = NULL;
    if (!model) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_new: model is NULL");
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
    c->kv_type = p.kv_type == L1_KV_F32 ? L1_TYPE_F32 : L1_TYPE_F16;
    c->kv_elt = p.kv_type == L1_KV_F32 ? 4 : 2;
    if ((st = ctx_alloc(c, kv_bytes)) || (st = l1__pool_new(p.n_threads, &c->pool))) {
        l1_ctx_free(c);
        return st;
    }
    *out = c;
    return L1_OK;
}

void l1_ctx_free(l1_ctx *ctx) {
    if (!ctx) return;
    if (ctx->logits_rows > 1) l1__aligned_free(ctx->logits);
    l1__aligned_free(ctx->arena);
    l1__aligned_free(ctx->kv);
    l1__pool_free(ctx->pool);
    l1__free(ctx);
}

int32_t l1_ctx_n_past(const l1_ctx *ctx) { return ctx ? ctx->n_past : 0; }
int32_t l1_ctx_n_ctx(const l1_ctx *ctx) { return ctx ? ctx->n_ctx : 0; }
const l1_model *l1_ctx_model(const l1_ctx *ctx) { return ctx ? ctx->model : NULL; }

l1_status l1_ctx_truncate(l1_ctx *ctx, int32_t n_keep) {
    if (!ctx) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_truncate: ctx is NULL");
    if (n_keep < 0 || n_keep > ctx->n_past)
        return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_truncate: n_keep %d outside [0, %d]", n_keep,
                         ctx->n_past);
    /* Positions >= n_keep are simply overwritten by later evals: attention
     * never reads past the query's own position. */
    ctx->n_past = n_keep;
    ctx->n_out = 0;
    return L1_OK;
}

const float *l1_ctx_logits(const l1_ctx *ctx, int32_t i) {
    if (!ctx || ctx->n_out == 0) return NULL;
    if (i == -1) i = ctx->n_out - 1;
    if (i < 0 || i >= ctx->n_out) return NULL;
    const size_t nv = (size_t)ctx->model->hp.n_vocab;
    if (ctx->out_all) return ctx->logits + (size_t)i * nv;
    return i == ctx->n_out - 1 ? ctx->logits : NULL;
}

/* ---- the forward pass ------------------------------------------------------- */

/* A matmul input: n_tok rows of n floats, converted lazily (once per
 * activation type) into ctx->xq and reused by every matrix that pairs with
 * the same type. */
typedef struct act {
    const float *x;
    int64_t ldx, n_tok, n;
    uint32_t have; /* type now in xq, or UINT32_MAX */
} act;

static act act_of(const float *x, int64_t ldx, int64_t n_tok, int64_t n) {
    act a = {x, ldx, n_tok, n, UINT32_MAX};
    return a;
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

/* y[t * ldy + r] = W[r, :] . x_t for every row r of w. */
/* True when every value of the n_tok rows (n values, ld apart) is finite.
 * x * 0 is 0 for finite x and NaN otherwise, so one sum tells. */
static bool rows_finite(const float *x, int64_t ld, int64_t n, int64_t n_tok) {
    float acc = 0.0f;
    for (int64_t t = 0; t < n_tok; t++)
        for (int64_t i = 0; i < n; i++) acc += x[t * ld + i] * 0.0f;
    return acc == 0.0f;
}

static void matmul(l1_ctx *c, act *a, const l1__weight *w, float *y, int64_t ldy) {
    /* Rounding to an integer activation type would turn NaN into some
     * integer and hide it from the logits check: note it here instead. */
    if (!c->nonfinite && a->have != w->qt->vec_dot_type && !rows_finite(a->x, a->ldx, a->n, a->n_tok))
        c->nonfinite = w->name;
    if (c->params.f32_activations) {
        matmul_f32(c, a, w, y, ldy);
        return;
    }
    const uint32_t vt = w->qt->vec_dot_type;
    const void *xin = a->x;
    size_t stride = (size_t)a->ldx * sizeof(float);
    if (vt != L1_TYPE_F32) {
        const l1__quant_traits *vq = l1__quant_traits_get(vt);
        stride = (size_t)(a->n / vq->block_size) * vq->type_size;
        if (a->have != vt) {
            l1__matmul_quantize(c->pool, c->kern->act_quant[vt], a->x, a->ldx, a->n, a->n_tok, c->xq,
                                stride);
            a->have = vt;
        }
        xin = c->xq;
    }
    const l1__matmul_op op = {w->type, c->kern->dot[w->type], w->data, w->row_bytes, w->ne1, a->n,
                              xin, stride, y, ldy};
    l1__matmul(c->pool, &op, 1, a->n_tok);
}

static void add_bias(const l1_ctx *c, float *y, int64_t ld, int64_t n_tok, const l1__weight *b) {
    for (int64_t t = 0; t < n_tok; t++) c->kern->add(y + t * ld, (const float *)b->data, b->ne0);
}

/* Base of head h's positions in layer il's K (which = 0) or V (1). */
static uint8_t *kv_head(const l1_ctx *c, int il, int which, int64_t h) {
    const size_t head_bytes = (size_t)c->n_ctx * (size_t)c->model->hp.head_dim * c->kv_elt;
    return c->kv + (size_t)(2 * il + which) * c->kv_layer_bytes + (size_t)h * head_bytes;
}

static void store_kv(l1_ctx *c, int il, int64_t n_tok, int64_t p0) {
    const int64_t hd = c->model->hp.head_dim, nkv = c->model->hp.n_head_kv;
    for (int which = 0; which < 2; which++) {
        const float *src = which ? c->v : c->k;
        for (int64_t h = 0; h < nkv; h++) {
            uint8_t *base = kv_head(c, il, which, h);
            for (int64_t t = 0; t < n_tok; t++) {
                const float *s = src + t * nkv * hd + h * hd;
                uint8_t *d = base + (size_t)(p0 + t) * (size_t)hd * c->kv_elt;
                if (c->kv_type == L1_TYPE_F32) {
                    memcpy(d, s, (size_t)hd * sizeof(float));
                } else {
                    uint16_t *dh = (uint16_t *)d;
                    for (int64_t i = 0; i < hd; i++) dh[i] = l1__f32_to_f16(s[i]);
                }
            }
        }
    }
}

typedef struct attend_job {
    l1_ctx *c;
    int il;
    int64_t n_tok, p0;
} attend_job;

/* Thread ith takes the (token, head) pairs ith, ith + nth, ...: later
 * tokens see more positions, so interleaving keeps the shares even.  Each
 * thread has its own work buffer. */
static void attend_worker(void *arg, int ith, int nth) {
    const attend_job *j = (const attend_job *)arg;
    l1_ctx *c = j->c;
    const l1__hparams *hp = &c->model->hp;
    const int64_t hd = hp->head_dim, group = hp->n_head / hp->n_head_kv;
    l1__attn_args a;
    a.row_stride = (size_t)hd * c->kv_elt;
    a.kv_type = c->kv_type;
    a.head_dim = hd;
    a.scale = 1.0f / sqrtf((float)hd);
    a.mode = (c->params.f32_activations || j->n_tok >= REF_ATTN_TILE) ? L1__ATTN_F32 : L1__ATTN_F16_ACC;
    a.work = c->attn_work + (size_t)ith * l1__attn_work_bytes(hd);
    for (int64_t i = ith; i < j->n_tok * hp->n_head; i += nth) {
        const int64_t t = i / hp->n_head, h = i % hp->n_head;
        a.q = c->q + t * hp->n_embd + h * hd;
        a.k = kv_head(c, j->il, 0, h / group);
        a.v = kv_head(c, j->il, 1, h / group);
        a.n_kv = j->p0 + t + 1;
        a.out = c->xn + t * hp->n_embd + h * hd;
        c->kern->attention(&a);
    }
}

/* Causal GQA attention of the step's queries (ctx->q) over the cache;
 * output in ctx->xn.  Token t (position p0 + t) sees positions 0 .. p0 + t. */
static void attend(l1_ctx *c, int il, int64_t n_tok, int64_t p0) {
    attend_job j = {c, il, n_tok, p0};
    l1__pool_run(c->pool, attend_worker, &j);
}

static void layer(l1_ctx *c, int il, int64_t n_tok, int64_t p0) {
    const l1__hparams *hp = &c->model->hp;
    const l1__layer *L = &c->model->layers[il];
    const l1__kernels *k = c->kern;
    const int64_t e = hp->n_embd, kvd = (int64_t)hp->n_head_kv * hp->head_dim, hh = hp->head_dim / 2;
    for (int64_t t = 0; t < n_tok; t++)
        k->rmsnorm(c->xn + t * e, c->x + t * e, (const float *)L->attn_norm.data, e, hp->rms_eps);
    act a = act_of(c->xn, e, n_tok, e);
    matmul(c, &a, &L->wq, c->q, e);
    matmul(c, &a, &L->wk, c->k, kvd);
    matmul(c, &a, &L->wv, c->v, kvd);
    add_bias(c, c->q, e, n_tok, &L->bq);
    add_bias(c, c->k, kvd, n_tok, &L->bk);
    add_bias(c, c->v, kvd, n_tok, &L->bv);
    for (int64_t t = 0; t < n_tok; t++) {
        k->rope_neox(c->q + t * e, hp->n_head, hp->head_dim, c->cs + t * hh, c->sn + t * hh);
        k->rope_neox(c->k + t * kvd, hp->n_head_kv, hp->head_dim, c->cs + t * hh, c->sn + t * hh);
    }
    store_kv(c, il, n_tok, p0);
    attend(c, il, n_tok, p0);
    a = act_of(c->xn, e, n_tok, e);
    matmul(c, &a, &L->wo, c->tmp, e);
    k->add(c->x, c->tmp, n_tok * e);
    for (int64_t t = 0; t < n_tok; t++)
        k->rmsnorm(c->xn + t * e, c->x + t * e, (const float *)L->ffn_norm.data, e, hp->rms_eps);
    a = act_of(c->xn, e, n_tok, e);
    matmul(c, &a, &L->w_gate, c->gate, hp->n_ff);
    matmul(c, &a, &L->w_up, c->up, hp->n_ff);
    k->swiglu(c->gate, c->gate, c->up, n_tok * hp->n_ff);
    a = act_of(c->gate, hp->n_ff, n_tok, hp->n_ff);
    matmul(c, &a, &L->w_down, c->tmp, e);
    k->add(c->x, c->tmp, n_tok * e);
}

static void embed(l1_ctx *c, const l1_token *tokens, int64_t n_tok) {
    const l1__weight *w = &c->model->tok_embd;
    const int64_t e = c->model->hp.n_embd;
    for (int64_t t = 0; t < n_tok; t++)
        w->qt->to_float((const uint8_t *)w->data + (size_t)tokens[t] * w->row_bytes, c->x + t * e, e);
}

/* Final norm and output head for rows [first, n_tok) of the step, written
 * to `out` (one n_vocab row each). */
static void head(l1_ctx *c, int64_t first, int64_t n_tok, float *out) {
    const l1__hparams *hp = &c->model->hp;
    const int64_t e = hp->n_embd;
    for (int64_t t = first; t < n_tok; t++)
        c->kern->rmsnorm(c->xn + t * e, c->x + t * e, (const float *)c->model->output_norm.data, e,
                         hp->rms_eps);
    act a = act_of(c->xn + first * e, e, n_tok - first, e);
    matmul(c, &a, &c->model->output, out, hp->n_vocab);
}

static l1_status step(l1_ctx *c, const l1_token *tokens, int64_t n_tok, int64_t p0, float *out,
                      bool all) {
    const l1__hparams *hp = &c->model->hp;
    const int64_t hh = hp->head_dim / 2;
    for (int64_t t = 0; t < n_tok; t++)
        l1__rope_angles(p0 + t, hp->head_dim, hp->rope_theta, c->cs + t * hh, c->sn + t * hh);
    embed(c, tokens, n_tok);
    for (int il = 0; il < hp->n_layer; il++) {
        if (c->params.abort_fn && c->params.abort_fn(c->params.abort_user))
            return l1__error(L1_ERR_ABORTED, "l1_ctx_eval: stopped by the abort callback");
        layer(c, il, n_tok, p0);
    }
    if (out) head(c, all ? 0 : n_tok - 1, n_tok, out);
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

static l1_status check_tokens(const l1_ctx *c, const l1_token *tokens, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= c->model->hp.n_vocab)
            return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_eval: token %d (index %d) is outside "
                             "[0, %d)", tokens[i], i, c->model->hp.n_vocab);
    return L1_OK;
}

l1_status l1_ctx_eval(l1_ctx *ctx, const l1_token *tokens, int32_t n, uint32_t flags) {
    if (!ctx) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_eval: NULL ctx");
    ctx->n_out = 0; /* whatever happens next, the previous logits are gone */
    ctx->nonfinite = NULL;
    if (!tokens || n < 1)
        return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_eval: NULL tokens, or n < 1");
    if (n > ctx->n_ctx - ctx->n_past)
        return l1__error(L1_ERR_CONTEXT_FULL, "l1_ctx_eval: %d tokens do not fit: %d of %d "
                         "positions used", n, ctx->n_past, ctx->n_ctx);
    l1_status st = check_tokens(ctx, tokens, n);
    if (st != L1_OK) return st;
    const bool all = (flags & L1_EVAL_ALL_LOGITS) != 0;
    if (all && (st = grow_logits(ctx, n))) return st;
    const size_t nv = (size_t)ctx->model->hp.n_vocab;
    for (int32_t s = 0; s < n; s += ctx->n_batch) {
        const int32_t m = n - s < ctx->n_batch ? n - s : ctx->n_batch;
        const bool last = s + m == n;
        float *out = all ? ctx->logits + (size_t)s * nv : (last ? ctx->logits : NULL);
        if ((st = step(ctx, tokens + s, m, (int64_t)ctx->n_past + s, out, all))) return st;
    }
    /* A NaN weight or scale poisons the activations and the logits; report
     * it instead of handing NaN to a sampler.  Only the rows just written
     * are checked. */
    if (ctx->nonfinite) {
        const char *at = ctx->nonfinite;
        ctx->nonfinite = NULL;
        return l1__error(L1_ERR_NUMERIC, "activations: NaN or infinity entering tensor %s "
                         "(a weight or scale of the model is not finite)", at);
    }
    const int64_t rows = all ? n : 1, first = all ? ctx->n_past : (int64_t)ctx->n_past + n - 1;
    if ((st = l1__numcheck_logits(ctx->logits, rows, (int64_t)nv, first))) return st;
    ctx->n_past += n;
    ctx->n_out = n;
    ctx->out_all = all;
    return L1_OK;
}
