/*
 * model.c - loading a Qwen2 model: hyper-parameters from the qwen2.* keys,
 * every tensor bound by name and checked (presence, dimensions, shape, type,
 * finiteness of the small F32 vectors), the tokenizer, and the memory the
 * weights take.
 *
 * Everything is validated before anything but the model struct itself is
 * allocated, and every failure names the key or tensor at fault, because a
 * bad file should say what is wrong with it rather than crash a kernel
 * later.  Weights are never copied: an l1__weight points into the mapping.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/model.h"
#include "model/numcheck.h"
#include "kernels/repack.h"
#include "kernels/kernels.h"
#include "kernels/threadpool.h"
#include "gguf/types.h"

#include "tokenizer/tokenizer.h"

#define ARCH "qwen2"

const l1__tokenizer *l1__model_tokenizer(const l1_model *m) { return m ? m->tok : NULL; }

const l1__gguf *l1__model_gguf(const l1_model *m) { return m ? m->gguf : NULL; }

bool l1__model_vocab_only(const l1_model *m) { return m->vocab_only; }

l1_model_params l1__model_default_params(void) {
    l1_model_params p;
    memset(&p, 0, sizeof p);
    return p;
}

/* ---- hyper-parameters ------------------------------------------------------ */

/* An integer key read into [lo, hi]; `def` < 0 means required. */
static l1_status get_int(const l1__gguf *g, const char *key, int64_t lo, int64_t hi, int64_t def,
                         int32_t *out) {
    if (l1__gguf_find_key(g, key) < 0) {
        if (def < 0) return l1__error(L1_ERR_FORMAT, "key %s: missing", key);
        *out = (int32_t)def;
        return L1_OK;
    }
    int64_t v;
    l1_status st = l1__gguf_get_i64(g, key, &v);
    if (st != L1_OK) {
        /* A u64 too large for i64 is out of range just the same. */
        return l1__error(L1_ERR_FORMAT, "key %s: expected an integer in [%lld, %lld]", key,
                         (long long)lo, (long long)hi);
    }
    if (v < lo || v > hi)
        return l1__error(L1_ERR_FORMAT, "key %s: %lld is out of range [%lld, %lld]", key,
                         (long long)v, (long long)lo, (long long)hi);
    *out = (int32_t)v;
    return L1_OK;
}

/* A float key that must lie in [lo, hi] (so finite, and never a denormal
 * when lo is a normal number); `def` <= 0 means required. */
static l1_status get_float(const l1__gguf *g, const char *key, double lo, double hi, float def,
                           float *out) {
    if (l1__gguf_find_key(g, key) < 0) {
        if (def <= 0) return l1__error(L1_ERR_FORMAT, "key %s: missing", key);
        *out = def;
        return L1_OK;
    }
    float v;
    l1_status st = l1__gguf_get_f32(g, key, &v);
    if (st != L1_OK) return st;
    if (!isfinite(v) || !(v > 0))
        return l1__error(L1_ERR_FORMAT, "key %s: %g is not a finite positive number", key, (double)v);
    if (v < lo || v > hi)
        return l1__error(L1_ERR_FORMAT, "key %s: %g is out of range [%g, %g]", key, (double)v, lo,
                         hi);
    *out = v;
    return L1_OK;
}

static l1_status check_arch(const l1__gguf *g) {
    const char *s;
    uint64_t len;
    l1_status st = l1__gguf_get_str(g, "general.architecture", &s, &len);
    if (st != L1_OK) return st;
    if (len != strlen(ARCH) || memcmp(s, ARCH, len) != 0)
        return l1__error(L1_ERR_UNSUPPORTED,
                         "key general.architecture: '%.*s' is not supported (only " ARCH ")",
                         (int)(len > 64 ? 64 : len), s);
    return L1_OK;
}

/* Keys l1 reads whose value must be a string: a wrong type is refused with
 * the key named rather than silently read as absent (an integer
 * tokenizer.chat_template would otherwise change the prompt format without
 * a word). */
static l1_status check_key_types(const l1__gguf *g) {
    static const char *const strings[] = {"general.name", "tokenizer.chat_template"};
    for (size_t k = 0; k < L1_ARRAY_LEN(strings); k++) {
        const int64_t i = l1__gguf_find_key(g, strings[k]);
        if (i < 0) continue;
        const l1__gguf_vtype t = l1__gguf_kv_type(g, i);
        if (t != L1_GGUF_STRING)
            return l1__error(L1_ERR_FORMAT, "key %s: must be a string, found %s", strings[k],
                             l1__gguf_vtype_name(t));
    }
    return L1_OK;
}

#define MAX_DIM 1048576 /* a sanity cap on every dimension: 2^20 */
#define MAX_CTX_TRAIN (1 << 24) /* 16 Mi positions: above any released model's */
#define MAX_HEAD_DIM 1024
/* RoPE's base: real models use 1e4 to 1e8.  Below 1 the rotation
 * frequencies grow with the pair index instead of falling, and a tiny base
 * (a denormal) makes them overflow to infinity at the first position. */
#define MIN_ROPE_BASE 1.0
#define MAX_ROPE_BASE 1e12
/* RMSNorm's epsilon: real models use 1e-6 or 1e-5.  Above 1 it swamps the
 * mean square of a unit-scale residual; below 1e-12 it no longer guards
 * the division. */
#define MIN_RMS_EPS 1e-12
#define MAX_RMS_EPS 1.0

static l1_status read_hparams(const l1__gguf *g, l1__hparams *hp) {
    l1_status st;
    if ((st = get_int(g, ARCH ".context_length", 1, MAX_CTX_TRAIN, -1, &hp->n_ctx_train))) return st;
    if ((st = get_int(g, ARCH ".embedding_length", 1, MAX_DIM, -1, &hp->n_embd))) return st;
    if ((st = get_int(g, ARCH ".block_count", 1, 4096, -1, &hp->n_layer))) return st;
    if ((st = get_int(g, ARCH ".feed_forward_length", 1, MAX_DIM, -1, &hp->n_ff))) return st;
    if ((st = get_int(g, ARCH ".attention.head_count", 1, 65536, -1, &hp->n_head))) return st;
    if ((st = get_int(g, ARCH ".attention.head_count_kv", 1, 65536, hp->n_head, &hp->n_head_kv)))
        return st;
    if ((st = get_float(g, ARCH ".rope.freq_base", MIN_ROPE_BASE, MAX_ROPE_BASE, 10000.0f,
                        &hp->rope_theta)))
        return st;
    if ((st = get_float(g, ARCH ".attention.layer_norm_rms_epsilon", MIN_RMS_EPS, MAX_RMS_EPS, 0,
                        &hp->rms_eps)))
        return st;
    if (hp->n_head > hp->n_embd)
        return l1__error(L1_ERR_FORMAT,
                         "key " ARCH ".attention.head_count: %d heads, more than embedding_length "
                         "%d", hp->n_head, hp->n_embd);
    if (hp->n_embd % hp->n_head != 0)
        return l1__error(L1_ERR_FORMAT,
                         "key " ARCH ".attention.head_count: embedding_length %d is not a "
                         "multiple of head_count %d", hp->n_embd, hp->n_head);
    if (hp->n_head % hp->n_head_kv != 0)
        return l1__error(L1_ERR_FORMAT,
                         "key " ARCH ".attention.head_count_kv: head_count %d is not a multiple "
                         "of head_count_kv %d", hp->n_head, hp->n_head_kv);
    hp->head_dim = hp->n_embd / hp->n_head;
    if (hp->head_dim % 2 != 0)
        return l1__error(L1_ERR_FORMAT,
                         "key " ARCH ".attention.head_count: head size %d (embedding_length / "
                         "head_count) is odd, RoPE needs pairs", hp->head_dim);
    if (hp->head_dim > MAX_HEAD_DIM)
        return l1__error(L1_ERR_FORMAT,
                         "key " ARCH ".attention.head_count: head size %d (embedding_length / "
                         "head_count) is above %d", hp->head_dim, MAX_HEAD_DIM);
    return L1_OK;
}

/* ---- tensors ---------------------------------------------------------------- */

typedef enum { KIND_MATRIX, KIND_F32_VEC } tensor_kind;

static void fmt_shape(char *buf, size_t cap, const l1__gguf_tensor *t) {
    int o = snprintf(buf, cap, "[");
    for (uint32_t d = 0; d < t->n_dims && o > 0 && (size_t)o < cap; d++)
        o += snprintf(buf + o, cap - (size_t)o, d ? ", %lld" : "%lld", (long long)t->ne[d]);
    if (o > 0 && (size_t)o < cap) snprintf(buf + o, cap - (size_t)o, "]");
}

/* The tensor of that name, or an error naming it. */
static l1_status find(const l1__gguf *g, const char *name, const l1__gguf_tensor **out) {
    *out = l1__gguf_find_tensor(g, name);
    if (!*out) return l1__error(L1_ERR_FORMAT, "tensor %s: missing", name);
    return L1_OK;
}

static l1_status check_finite(const l1__gguf_tensor *t) {
    const uint8_t *p = (const uint8_t *)t->data;
    for (int64_t i = 0; i < t->n_elements; i++) {
        float v;
        memcpy(&v, p + 4 * i, 4);
        if (!isfinite(v))
            return l1__error(L1_ERR_NUMERIC, "tensor %s: value %lld is not finite", t->name,
                             (long long)i);
    }
    return L1_OK;
}

/* Binds `t` as a matrix of `rows` rows of `cols` values (rows == 0: any
 * count >= 1, the vocabulary), or an F32 vector of `cols` values. */
static l1_status bind(const l1__gguf_tensor *t, tensor_kind kind, int64_t cols, int64_t rows,
                      l1__weight *w) {
    char got[96];
    fmt_shape(got, sizeof got, t);
    if (kind == KIND_F32_VEC) {
        if (t->n_dims != 1 || t->ne[0] != cols)
            return l1__error(L1_ERR_FORMAT, "tensor %s: shape %s, expected [%lld]", t->name, got,
                             (long long)cols);
        if (t->type != L1_TYPE_F32)
            return l1__error(L1_ERR_FORMAT, "tensor %s: type %s, expected F32", t->name,
                             l1__type_name(t->type));
        l1_status st = check_finite(t);
        if (st != L1_OK) return st;
    } else {
        if (t->n_dims != 2 || t->ne[0] != cols || (rows > 0 && t->ne[1] != rows) || t->ne[1] < 1) {
            if (rows > 0)
                return l1__error(L1_ERR_FORMAT, "tensor %s: shape %s, expected [%lld, %lld]",
                                 t->name, got, (long long)cols, (long long)rows);
            return l1__error(L1_ERR_FORMAT, "tensor %s: shape %s, expected [%lld, n_vocab]",
                             t->name, got, (long long)cols);
        }
    }
    const l1__quant_traits *qt = l1__quant_traits_get(t->type);
    if (!qt)
        return l1__error(L1_ERR_UNSUPPORTED, "tensor %s has type %s, which l1 does not support",
                         t->name, l1__type_name(t->type));
    if (kind == KIND_MATRIX) {
        const l1__quant_traits *vt = l1__quant_traits_get(qt->vec_dot_type);
        if (!qt->vec_dot || !qt->to_float || !vt || !vt->from_float || !vt->to_float)
            return l1__error(L1_ERR_UNSUPPORTED, "tensor %s has type %s, which l1 does not support",
                             t->name, l1__type_name(t->type));
        if (cols % (int64_t)qt->block_size != 0 || cols % (int64_t)vt->block_size != 0)
            return l1__error(L1_ERR_FORMAT,
                             "tensor %s: row length %lld is not a multiple of the %s block (%u)",
                             t->name, (long long)cols, vt->name, vt->block_size);
    }
    w->name = t->name;
    w->data = t->data;
    w->type = t->type;
    w->ne0 = t->ne[0];
    w->ne1 = t->n_dims == 2 ? t->ne[1] : 1;
    w->row_bytes = l1__quant_row_bytes(qt, t->ne[0]);
    w->qt = qt;
    return L1_OK;
}

/* Finds and binds the tensor `name` (the caller formats it). */
static l1_status bind_named(const l1__gguf *g, const char *name, tensor_kind kind, int64_t cols,
                            int64_t rows, l1__weight *w) {
    const l1__gguf_tensor *t;
    l1_status st = find(g, name, &t);
    if (st != L1_OK) return st;
    return bind(t, kind, cols, rows, w);
}

static l1_status bind_layer(const l1__gguf *g, const l1__hparams *hp, int il, l1__layer *L) {
    const int64_t e = hp->n_embd, kv = (int64_t)hp->n_head_kv * hp->head_dim, ff = hp->n_ff;
    struct {
        const char *suffix;
        tensor_kind kind;
        int64_t cols, rows;
        l1__weight *w;
    } spec[] = {
        {"attn_norm.weight", KIND_F32_VEC, e, 1, &L->attn_norm},
        {"attn_q.weight", KIND_MATRIX, e, e, &L->wq},
        {"attn_k.weight", KIND_MATRIX, e, kv, &L->wk},
        {"attn_v.weight", KIND_MATRIX, e, kv, &L->wv},
        {"attn_q.bias", KIND_F32_VEC, e, 1, &L->bq},
        {"attn_k.bias", KIND_F32_VEC, kv, 1, &L->bk},
        {"attn_v.bias", KIND_F32_VEC, kv, 1, &L->bv},
        {"attn_output.weight", KIND_MATRIX, e, e, &L->wo},
        {"ffn_norm.weight", KIND_F32_VEC, e, 1, &L->ffn_norm},
        {"ffn_gate.weight", KIND_MATRIX, e, ff, &L->w_gate},
        {"ffn_up.weight", KIND_MATRIX, e, ff, &L->w_up},
        {"ffn_down.weight", KIND_MATRIX, ff, e, &L->w_down},
    };
    for (size_t i = 0; i < L1_ARRAY_LEN(spec); i++) {
        char name[64];
        snprintf(name, sizeof name, "blk.%d.%s", il, spec[i].suffix);
        l1_status st = bind_named(g, name, spec[i].kind, spec[i].cols, spec[i].rows, spec[i].w);
        if (st != L1_OK) return st;
    }
    return L1_OK;
}

/* The tensors of one block, in file order. */
static const char *const k_block_suffix[] = {
    "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight",
    "attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_output.weight",
    "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight",
};

/* Every tensor must be one the model computes with: token_embd.weight,
 * output_norm.weight, output.weight, or blk.N.<one of k_block_suffix> with N
 * written in canonical decimal (no sign, no leading zero) and below
 * block_count.  A tensor l1 would ignore is refused rather than skipped: a
 * file holding blk.0.attn_qkv.weight or blk.01.attn_norm.weight was made for
 * another architecture or by a broken writer, and would otherwise compute
 * something its author did not mean. */
static l1_status check_tensor_names(const l1__gguf *g, int32_t n_layer) {
    static const char *const top[] = {"token_embd.weight", "output_norm.weight", "output.weight"};
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) {
        const char *name = l1__gguf_tensor_at(g, i)->name;
        bool known = false;
        for (size_t k = 0; k < L1_ARRAY_LEN(top) && !known; k++) known = !strcmp(name, top[k]);
        if (known) continue;
        if (strncmp(name, "blk.", 4) != 0)
            return l1__error(L1_ERR_FORMAT,
                             "tensor %s: not a tensor of a Qwen2 model (token_embd.weight, "
                             "output_norm.weight, output.weight or blk.N.*)", name);
        const char *p = name + 4;
        long long n = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 10) n = n * 10 + (*p++ - '0'), digits++;
        if (digits == 0 || *p != '.' || (digits > 1 && name[4] == '0'))
            return l1__error(L1_ERR_FORMAT, "tensor %s: malformed block name", name);
        if (n >= n_layer)
            return l1__error(L1_ERR_FORMAT,
                             "tensor %s: block %lld, but key " ARCH ".block_count is %d", name, n,
                             n_layer);
        p++;
        for (size_t k = 0; k < L1_ARRAY_LEN(k_block_suffix) && !known; k++)
            known = !strcmp(p, k_block_suffix[k]);
        if (!known)
            return l1__error(L1_ERR_FORMAT,
                             "tensor %s: not a tensor of a Qwen2 block (attn_norm, attn_q/k/v "
                             "weight and bias, attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down)",
                             name);
    }
    return L1_OK;
}

/* n_vocab from token_embd.weight's rows, which must equal the tokenizer's
 * token count. */
static l1_status check_vocab(const l1__gguf *g, int64_t rows) {
    l1__gguf_vtype elem;
    uint64_t n;
    if (l1__gguf_find_key(g, "tokenizer.ggml.tokens") < 0)
        return l1__error(L1_ERR_FORMAT, "key tokenizer.ggml.tokens: missing");
    l1_status st = l1__gguf_get_arr(g, "tokenizer.ggml.tokens", &elem, &n);
    if (st != L1_OK) return st;
    if ((uint64_t)rows != n)
        return l1__error(L1_ERR_FORMAT,
                         "tensor token_embd.weight: %lld rows, but tokenizer.ggml.tokens holds "
                         "%llu tokens", (long long)rows, (unsigned long long)n);
    return L1_OK;
}

static void add_weight(l1_model *m, const l1__weight *w, uint64_t *by_type) {
    uint64_t bytes = (uint64_t)w->row_bytes * (uint64_t)w->ne1;
    m->weight_bytes += bytes;
    m->n_params += (uint64_t)w->ne0 * (uint64_t)w->ne1;
    if (w->ne1 > 1) by_type[w->type] += bytes;
}

/* Totals and the dominant matrix type, for l1_model_info. */
static void sum_weights(l1_model *m) {
    uint64_t by_type[L1_TYPE_COUNT] = {0};
    add_weight(m, &m->tok_embd, by_type);
    add_weight(m, &m->output_norm, by_type);
    if (!m->tied) add_weight(m, &m->output, by_type);
    for (int il = 0; il < m->hp.n_layer; il++) {
        const l1__layer *L = &m->layers[il];
        const l1__weight *ws[] = {&L->attn_norm, &L->wq, &L->wk, &L->wv, &L->bq, &L->bk,
                                  &L->bv, &L->wo, &L->ffn_norm, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t k = 0; k < L1_ARRAY_LEN(ws); k++) add_weight(m, ws[k], by_type);
    }
    uint32_t best = 0;
    for (uint32_t t = 1; t < L1_TYPE_COUNT; t++)
        if (by_type[t] > by_type[best]) best = t;
    snprintf(m->weight_type, sizeof m->weight_type, "%s", l1__type_name(best));
}

static l1_status progress(const l1_model_params *p, float f) {
    if (p->progress && p->progress(f, p->progress_user) != 0)
        return l1__error(L1_ERR_ABORTED, "model load cancelled by the progress callback");
    return L1_OK;
}

static l1_status bind_all(l1_model *m, const l1_model_params *p) {
    const l1__gguf *g = m->gguf;
    const l1__hparams *hp = &m->hp;
    l1_status st = check_tensor_names(g, hp->n_layer);
    if (st) return st;
    if ((st = bind_named(g, "token_embd.weight", KIND_MATRIX, hp->n_embd, 0, &m->tok_embd)))
        return st;
    if (m->tok_embd.ne1 > INT32_MAX)
        return l1__error(L1_ERR_FORMAT, "tensor token_embd.weight: too many rows");
    m->hp.n_vocab = (int32_t)m->tok_embd.ne1;
    if ((st = check_vocab(g, m->tok_embd.ne1))) return st;
    if ((st = bind_named(g, "output_norm.weight", KIND_F32_VEC, hp->n_embd, 1, &m->output_norm)))
        return st;
    m->tied = l1__gguf_find_tensor(g, "output.weight") == NULL;
    if (m->tied)
        m->output = m->tok_embd;
    else if ((st = bind_named(g, "output.weight", KIND_MATRIX, hp->n_embd, hp->n_vocab, &m->output)))
        return st;
    for (int il = 0; il < hp->n_layer; il++) {
        if ((st = bind_layer(g, hp, il, &m->layers[il]))) return st;
        if ((st = progress(p, (float)(il + 1) / (float)(hp->n_layer + 1)))) return st;
    }
    sum_weights(m);
    if (p->memory_limit && m->weight_bytes > p->memory_limit)
        return l1__error(L1_ERR_LIMIT, "model weights take %llu bytes, above the limit of %llu",
                         (unsigned long long)m->weight_bytes,
                         (unsigned long long)p->memory_limit);
    return L1_OK;
}

/* The roles generation relies on.  EOS must be a control token of its own:
 * an EOS that is an ordinary text token (a byte, a word piece) would end a
 * generation wherever that text appears and is part of every forced
 * budget message, and an EOS equal to <think> or </think> would end the
 * response where the thinking opens or closes.  Such a file is refused at
 * load, with the key named, instead of loading and failing at every
 * generation. */
static l1_status check_token_roles(const l1__tokenizer *tok) {
    const int32_t eos = l1__tokenizer_role(tok, L1_SPECIAL_EOS);
    if (eos < 0) return L1_OK;
    const int type = l1__tokenizer_type(tok, eos);
    if (type == L1_TOKTYPE_NORMAL || type == L1_TOKTYPE_BYTE) {
        size_t n = 0;
        const char *text = l1__tokenizer_text(tok, eos, &n);
        char shown[40];
        size_t o = 0;
        for (size_t i = 0; text && i < n && o + 5 < sizeof shown; i++) {
            const unsigned char c = (unsigned char)text[i];
            if (c >= 0x20 && c < 0x7f && c != '\\')
                shown[o++] = (char)c;
            else
                o += (size_t)snprintf(shown + o, sizeof shown - o, "\\x%02x", c);
        }
        shown[o] = '\0';
        return l1__error(L1_ERR_FORMAT,
                         "key tokenizer.ggml.eos_token_id: token %d ('%s') is an ordinary text "
                         "token, not a control token (EOS must not be producible as text)",
                         (int)eos, shown);
    }
    static const struct {
        l1_special role;
        const char *text;
    } marks[] = {{L1_SPECIAL_THINK_OPEN, "<think>"}, {L1_SPECIAL_THINK_CLOSE, "</think>"}};
    for (size_t k = 0; k < L1_ARRAY_LEN(marks); k++)
        if (l1__tokenizer_role(tok, marks[k].role) == eos)
            return l1__error(L1_ERR_FORMAT,
                             "key tokenizer.ggml.eos_token_id: token %d is %s; EOS must be a "
                             "token of its own", (int)eos, marks[k].text);
    return L1_OK;
}

static l1_status load_tokenizer(l1_model *m) {
    l1_status st = l1__tokenizer_load(m->gguf, &m->tok);
    return st != L1_OK ? st : check_token_roles(m->tok);
}

static void read_name(l1_model *m) {
    const char *s;
    uint64_t len;
    if (l1__gguf_find_key(m->gguf, "general.name") >= 0 &&
        l1__gguf_get_str(m->gguf, "general.name", &s, &len) == L1_OK)
        snprintf(m->name, sizeof m->name, "%.*s", (int)(len > 127 ? 127 : len), s);
    l1__error_clear();
}

/* The matrices of layer il (il == n_layer: the output head), NULL-padded;
 * returns how many. */
static int matrices_of(l1_model *m, int il, l1__weight *out[7]) {
    if (il == m->hp.n_layer) {
        out[0] = &m->output;
        return 1;
    }
    l1__layer *L = &m->layers[il];
    l1__weight *w[7] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
    memcpy(out, w, sizeof w);
    return 7;
}

/* Copies w into the x8 layout when the kernel tier multiplies that type
 * from it, then lets the kernel drop the mapped pages the copy replaces
 * (they come back from the file if read again). */
typedef struct pack_job {
    const l1__weight *w;
    l1__x8_transpose_fn transpose;
} pack_job;

static void pack_worker(void *arg, int ith, int nth) {
    const pack_job *j = (const pack_job *)arg;
    const l1__weight *w = j->w;
    int64_t g0, g1;
    l1__pool_split(w->ne1 / L1__X8_ROWS, 1, ith, nth, &g0, &g1);
    if (g0 < g1)
        l1__x8_pack(w->type, (const uint8_t *)w->data + (size_t)(g0 * L1__X8_ROWS) * w->row_bytes, w->row_bytes,
                    w->ne0, (g1 - g0) * L1__X8_ROWS, (uint8_t *)w->x8 + (size_t)g0 * w->x8_group_bytes,
                    j->transpose);
}

static l1_status repack_weight(l1__pool *pool, const l1__kernels *k, l1__weight *w, bool release) {
    if (!l1__x8_type(w->type) || w->ne1 % L1__X8_ROWS != 0 || !k->x8[w->type]) return L1_OK;
    const size_t gb = l1__x8_group_bytes(w->type, w->ne0);
    size_t bytes;
    if (!gb || !l1__mul_size(gb, (size_t)(w->ne1 / L1__X8_ROWS), &bytes)) return L1_OK;
    w->x8 = l1__aligned_alloc(64, bytes);
    if (!w->x8)
        return l1__error(L1_ERR_NOMEM, "tensor %s: out of memory for its repacked copy (%zu bytes; "
                         "l1_model_params.no_repack uses the file in place)", w->name, bytes);
    w->x8_group_bytes = gb;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    const uintptr_t a = ((uintptr_t)w->data + page - 1) & ~(page - 1);
    const uintptr_t e = ((uintptr_t)w->data + (uintptr_t)w->ne1 * w->row_bytes) & ~(page - 1);
    /* The copy's pages are faulted in (and cleared) by the packing threads. */
    pack_job job = {w, k->x8_transpose};
    l1__pool_run(pool, pack_worker, &job);
    if (release && e > a) (void)madvise((void *)a, e - a, MADV_DONTNEED);
    return L1_OK;
}

/* Packs on the threads of the evaluating context's pool. */
static l1_status repack_all(l1_model *m, l1__pool *pool, const l1__kernels *k) {
    const bool mapped = l1__gguf_mapped(m->gguf);
    l1_status st = L1_OK;
    for (int il = 0; il <= m->hp.n_layer && !st; il++) {
        l1__weight *ws[7];
        const int n = matrices_of(m, il, ws);
        for (int i = 0; i < n && !st; i++) {
            /* A tied head is also the embedding table, read row by row. */
            const bool release = mapped && !(ws[i] == &m->output && m->tied);
            st = repack_weight(pool, k, ws[i], release);
        }
    }
    return st;
}

static void free_repacked(l1_model *m) {
    if (!m->layers) return;
    for (int il = 0; il <= m->hp.n_layer; il++) {
        l1__weight *ws[7];
        const int n = matrices_of(m, il, ws);
        for (int i = 0; i < n; i++) {
            l1__aligned_free(ws[i]->x8);
            ws[i]->x8 = NULL;
        }
    }
}

l1_status l1__model_prepare(const l1_model *cm, l1__pool *pool, const l1__kernels *k) {
    if (!cm->repack || atomic_load_explicit(&cm->prepared, memory_order_acquire)) return L1_OK;
    l1_model *m = cm->self;
    pthread_mutex_lock(&m->prepare_mu);
    l1_status st = L1_OK;
    if (!atomic_load_explicit(&m->prepared, memory_order_relaxed)) {
        st = repack_all(m, pool, k);
        if (st != L1_OK)
            free_repacked(m); /* no evaluation reads x8 before prepared is set */
        else
            atomic_store_explicit(&m->prepared, 1, memory_order_release);
    }
    pthread_mutex_unlock(&m->prepare_mu);
    return st;
}

static l1_status load(l1_model *m, const char *path, const l1_model_params *p) {
    l1__gguf_limits lim = {0}; /* zero fields take the reader's defaults */
    lim.max_string_len = p->max_string_len;
    lim.max_array_len = p->max_array_len;
    lim.max_tensors = p->max_tensors;
    lim.max_metadata_bytes = p->max_metadata_bytes;
    l1_status st = l1__gguf_open(path, &lim, &m->gguf);
    if (st != L1_OK) return st;
    if ((st = progress(p, 0.0f))) return st;
    if ((st = check_arch(m->gguf))) return st;
    if ((st = check_key_types(m->gguf))) return st;
    read_name(m);
    if ((st = read_hparams(m->gguf, &m->hp))) return st;
    if ((st = load_tokenizer(m))) return st;
    m->vocab_only = p->vocab_only != 0;
    if (m->vocab_only) {
        l1__gguf_vtype elem;
        uint64_t n = 0;
        if (l1__gguf_get_arr(m->gguf, "tokenizer.ggml.tokens", &elem, &n) != L1_OK || n > INT32_MAX)
            return l1__error(L1_ERR_FORMAT, "key tokenizer.ggml.tokens: missing or too long");
        m->hp.n_vocab = (int32_t)n;
        return progress(p, 1.0f);
    }
    m->layers = l1__calloc((size_t)m->hp.n_layer, sizeof *m->layers);
    if (!m->layers) return l1__error(L1_ERR_NOMEM, "model: out of memory for %d layers", m->hp.n_layer);
    if ((st = bind_all(m, p))) return st;
    if (p->check_weights && (st = l1__numcheck_model(m))) return st;
    m->repack = !p->no_repack;
    return progress(p, 1.0f);
}

l1_status l1__model_load(const char *path, const l1_model_params *params, l1_model **out) {
    *out = NULL;
    l1_model_params def = l1__model_default_params();
    const l1_model_params *p = params ? params : &def;
    l1_model *m = l1__calloc(1, sizeof *m);
    if (!m) return l1__error(L1_ERR_NOMEM, "l1_model_load: out of memory");
    m->self = m;
    atomic_init(&m->prepared, 0);
    if (pthread_mutex_init(&m->prepare_mu, NULL) != 0) {
        l1__free(m);
        return l1__error(L1_ERR_NOMEM, "l1_model_load: cannot make a mutex");
    }
    m->prepare_mu_ok = true;
    l1_status st = load(m, path, p);
    if (st != L1_OK) {
        /* Name the file once: the GGUF reader's own messages already do. */
        if (strncmp(l1__last_error(), path, strlen(path)) != 0) l1__error_prefix("%s", path);
        l1__model_free(m);
        return st;
    }
    *out = m;
    return L1_OK;
}

void l1__model_free(l1_model *model) {
    if (!model) return;
    l1__tokenizer_free(model->tok);
    free_repacked(model);
    if (model->prepare_mu_ok) pthread_mutex_destroy(&model->prepare_mu);
    l1__free(model->layers);
    l1__gguf_close(model->gguf);
    l1__free(model);
}

void l1__model_describe(const l1_model *m, l1_model_desc *out) {
    memset(out, 0, sizeof *out);
    out->arch = ARCH;
    out->name = m->name;
    out->weight_type = m->vocab_only ? "" : m->weight_type;
    out->n_vocab = m->hp.n_vocab;
    out->n_ctx_train = m->hp.n_ctx_train;
    out->n_embd = m->hp.n_embd;
    out->n_ff = m->hp.n_ff;
    out->n_layer = m->hp.n_layer;
    out->n_head = m->hp.n_head;
    out->n_head_kv = m->hp.n_head_kv;
    out->head_dim = m->hp.head_dim;
    out->rope_theta = m->hp.rope_theta;
    out->rms_eps = m->hp.rms_eps;
    out->tied_embeddings = m->tied;
    out->vocab_only = m->vocab_only;
    out->n_params = m->n_params;
    out->file_bytes = l1__gguf_file_size(m->gguf);
}
