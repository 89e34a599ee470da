/*
 * quantize_model.c - `l1 quantize`: rewrite a GGUF model with quantized
 * weights, choosing each tensor's type the way the common file types
 * (Q4_0 ... Q6_K, Q3_K_M/Q4_K_M/Q5_K_M mixes) are defined, so that an l1
 * Q4_K_M file holds the same types as other Q4_K_M files of the model.
 *
 * The recipe, for a Qwen2-style model (one attn_v and one ffn_down per
 * layer, in layer order):
 *   - only 2-D+ tensors whose name ends in "weight" and is not a norm are
 *     quantized; everything else keeps its type;
 *   - the output head (or the token embedding when there is no separate
 *     head) becomes Q6_K, except in Q8_0 files, or Q8_0 when its rows do not
 *     split into 256-value blocks;
 *   - attn_v: Q2_K -> Q4_K when >= 4 query heads share a KV head, else Q3_K;
 *     Q3_K_M -> Q5_K for the first two layers, then Q4_K; Q4_K_M/Q5_K_M ->
 *     Q6_K on "more bits" layers (the first and last eighth, and every third
 *     layer in between);
 *   - ffn_down: Q2_K -> Q3_K; Q3_K_M -> Q5_K in the first sixteenth, else
 *     Q4_K; Q4_K_M/Q5_K_M -> Q6_K on "more bits" layers;
 *   - attn_output: Q2_K -> Q3_K, Q3_K_M -> Q4_K;
 *   - a row length that is not a multiple of the chosen block falls back to
 *     a 32-value type (Q2_K/Q3_K -> Q4_0, Q4_K -> Q5_0, Q5_K -> Q5_1,
 *     Q6_K -> Q8_0), and to F16 when even that does not divide it.
 * Quantization itself is the file quantizer of each type (from_float_ref).
 */
#include "tooling/quantize_model.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/fp16.h"
#include "quant/quant.h"
#include "quant/quant_blocks.h"

static const struct {
    l1__ftype f;
    const char *name;
    uint32_t base;
} k_ftypes[] = {
    {L1_FTYPE_Q4_0, "Q4_0", L1_TYPE_Q4_0},     {L1_FTYPE_Q4_1, "Q4_1", L1_TYPE_Q4_1},
    {L1_FTYPE_Q5_0, "Q5_0", L1_TYPE_Q5_0},     {L1_FTYPE_Q5_1, "Q5_1", L1_TYPE_Q5_1},
    {L1_FTYPE_Q8_0, "Q8_0", L1_TYPE_Q8_0},     {L1_FTYPE_Q2_K, "Q2_K", L1_TYPE_Q2_K},
    {L1_FTYPE_Q3_K_M, "Q3_K_M", L1_TYPE_Q3_K}, {L1_FTYPE_Q4_K_M, "Q4_K_M", L1_TYPE_Q4_K},
    {L1_FTYPE_Q5_K_M, "Q5_K_M", L1_TYPE_Q5_K}, {L1_FTYPE_Q6_K, "Q6_K", L1_TYPE_Q6_K},
};

bool l1__ftype_from_name(const char *name, l1__ftype *out) {
    for (size_t i = 0; i < L1_ARRAY_LEN(k_ftypes); i++) {
        if (strcasecmp(name, k_ftypes[i].name) == 0) {
            *out = k_ftypes[i].f;
            return true;
        }
    }
    return false;
}

const char *l1__ftype_name(l1__ftype f) {
    for (size_t i = 0; i < L1_ARRAY_LEN(k_ftypes); i++)
        if (k_ftypes[i].f == f) return k_ftypes[i].name;
    return "unknown";
}

static bool ends_with(const char *s, const char *suffix) {
    const size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static bool is_attn_v(const char *name) { return ends_with(name, ".attn_v.weight"); }

void l1__qrecipe_init(l1__qrecipe *r, l1__ftype ftype, const l1__gguf *g) {
    memset(r, 0, sizeof *r);
    r->ftype = ftype;
    for (size_t i = 0; i < L1_ARRAY_LEN(k_ftypes); i++)
        if (k_ftypes[i].f == ftype) r->base = k_ftypes[i].base;
    r->tied = l1__gguf_find_tensor(g, "output.weight") == NULL;
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++)
        if (is_attn_v(l1__gguf_tensor_at(g, i)->name)) r->n_attn_v++;
    /* n_layer and the head counts come from <arch>.* metadata. */
    const char *arch = NULL;
    uint64_t len = 0;
    char key[128];
    uint32_t v = 0, heads = 0, kv_heads = 0;
    if (l1__gguf_get_str(g, "general.architecture", &arch, &len) == L1_OK && len < 64) {
        snprintf(key, sizeof key, "%.*s.block_count", (int)len, arch);
        if (l1__gguf_get_u32(g, key, &v) == L1_OK) r->n_layer = (int)v;
        snprintf(key, sizeof key, "%.*s.attention.head_count", (int)len, arch);
        if (l1__gguf_get_u32(g, key, &heads) != L1_OK) heads = 0;
        snprintf(key, sizeof key, "%.*s.attention.head_count_kv", (int)len, arch);
        if (l1__gguf_get_u32(g, key, &kv_heads) != L1_OK) kv_heads = heads;
    }
    r->n_gqa = kv_heads ? (int)(heads / kv_heads) : 1;
    if (r->n_layer <= 0) r->n_layer = r->n_attn_v;
    l1__error_clear(); /* absent keys are not errors here */
}

/* First and last eighth of the layers, and every third in between. */
static bool more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

static uint32_t head_type(const l1__qrecipe *r, int64_t ncols) {
    if (ncols % L1_QK_K != 0) return L1_TYPE_Q8_0;
    return r->base == L1_TYPE_Q8_0 ? L1_TYPE_Q8_0 : L1_TYPE_Q6_K;
}

static uint32_t mix_type(l1__qrecipe *r, const char *name) {
    uint32_t t = r->base;
    const l1__ftype f = r->ftype;
    if (is_attn_v(name)) {
        if (f == L1_FTYPE_Q2_K) t = r->n_gqa >= 4 ? L1_TYPE_Q4_K : L1_TYPE_Q3_K;
        else if (f == L1_FTYPE_Q3_K_M) t = r->i_attn_v < 2 ? L1_TYPE_Q5_K : L1_TYPE_Q4_K;
        else if ((f == L1_FTYPE_Q4_K_M || f == L1_FTYPE_Q5_K_M) && more_bits(r->i_attn_v, r->n_attn_v))
            t = L1_TYPE_Q6_K;
        r->i_attn_v++;
    } else if (strstr(name, "ffn_down")) {
        const int i = r->i_ffn_down, n = r->n_layer;
        if (f == L1_FTYPE_Q2_K) t = L1_TYPE_Q3_K;
        else if (f == L1_FTYPE_Q3_K_M) t = i < n / 16 ? L1_TYPE_Q5_K : L1_TYPE_Q4_K;
        else if ((f == L1_FTYPE_Q4_K_M || f == L1_FTYPE_Q5_K_M) && more_bits(i, n)) t = L1_TYPE_Q6_K;
        r->i_ffn_down++;
    } else if (ends_with(name, ".attn_output.weight")) {
        if (f == L1_FTYPE_Q2_K) t = L1_TYPE_Q3_K;
        else if (f == L1_FTYPE_Q3_K_M) t = L1_TYPE_Q4_K;
    }
    return t;
}

static uint32_t fallback(uint32_t t, int64_t ncols) {
    const l1__quant_traits *q = l1__quant_traits_get(t);
    if (ncols % q->block_size == 0) return t;
    switch (t) {
    case L1_TYPE_Q2_K:
    case L1_TYPE_Q3_K: t = L1_TYPE_Q4_0; break;
    case L1_TYPE_Q4_K: t = L1_TYPE_Q5_0; break;
    case L1_TYPE_Q5_K: t = L1_TYPE_Q5_1; break;
    case L1_TYPE_Q6_K: t = L1_TYPE_Q8_0; break;
    default: break;
    }
    return ncols % l1__quant_traits_get(t)->block_size == 0 ? t : L1_TYPE_F16;
}

uint32_t l1__qrecipe_type(l1__qrecipe *r, const l1__gguf_tensor *t) {
    const char *name = t->name;
    if (t->n_dims < 2 || !ends_with(name, "weight") || strstr(name, "_norm.weight")) return t->type;
    uint32_t out;
    if (strcmp(name, "output.weight") == 0 || (r->tied && strcmp(name, "token_embd.weight") == 0))
        out = head_type(r, t->ne[0]);
    else
        out = mix_type(r, name);
    return fallback(out, t->ne[0]);
}

/* ---- conversion ----------------------------------------------------------------- */

static l1_status to_f32(const l1__gguf_tensor *t, float *out) {
    const l1__quant_traits *q = l1__quant_traits_get(t->type);
    if (t->type != L1_TYPE_F32 && t->type != L1_TYPE_F16 && t->type != L1_TYPE_BF16)
        return l1__error(L1_ERR_UNSUPPORTED,
                         "tensor %s has type %s; l1 quantize reads only F32, F16 or BF16 tensors", t->name,
                         l1__type_name(t->type));
    q->to_float(t->data, out, t->n_elements);
    return L1_OK;
}

static l1_status convert_tensor(l1__gguf_writer *w, const l1__gguf_tensor *t, uint32_t to, float *f32, void *buf) {
    if (to == t->type) return l1__gguf_writer_add_tensor_ref(w, t->name, t->type, t->n_dims, t->ne, t->data, t->nbytes);
    l1_status st = to_f32(t, f32);
    if (st != L1_OK) return st;
    uint64_t nbytes;
    st = l1__gguf_tensor_nbytes(to, t->n_dims, t->ne, &nbytes);
    if (st != L1_OK) return st;
    const int64_t nrow = t->n_elements / t->ne[0];
    const l1__quant_traits *q = l1__quant_traits_get(to);
    if (to == L1_TYPE_F16 || to == L1_TYPE_F32) q->from_float_ref(f32, buf, t->n_elements);
    else if (l1__quantize_rows(to, f32, buf, nrow, t->ne[0]) != nbytes)
        return l1__error(L1_ERR_INTERNAL, "tensor %s: quantizing to %s failed", t->name, l1__type_name(to));
    return l1__gguf_writer_add_tensor(w, t->name, to, t->n_dims, t->ne, buf, nbytes);
}

/* Largest tensor, in values, to size the scratch buffers once. */
static int64_t max_elements(const l1__gguf *g) {
    int64_t m = 0;
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++)
        if (l1__gguf_tensor_at(g, i)->n_elements > m) m = l1__gguf_tensor_at(g, i)->n_elements;
    return m;
}

static l1_status check_inputs(const l1__gguf *g) {
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) {
        const l1__gguf_tensor *t = l1__gguf_tensor_at(g, i);
        if (t->type != L1_TYPE_F32 && t->type != L1_TYPE_F16 && t->type != L1_TYPE_BF16)
            return l1__error(L1_ERR_UNSUPPORTED,
                             "tensor %s has type %s; l1 quantize reads only F32, F16 or BF16 models",
                             t->name, l1__type_name(t->type));
    }
    return L1_OK;
}

l1_status l1__quantize_model(const char *in, const char *out, l1__ftype ftype, l1__quantize_progress progress,
                             void *user) {
    l1__gguf *g = NULL;
    l1__gguf_writer *w = NULL;
    float *f32 = NULL;
    void *buf = NULL;
    l1_status st = l1__gguf_open(in, NULL, &g);
    if (st != L1_OK) return st;
    if ((st = check_inputs(g)) != L1_OK || (st = l1__gguf_writer_new(&w)) != L1_OK) goto done;
    if ((st = l1__gguf_writer_copy_kv(w, g)) != L1_OK) goto done;
    if ((st = l1__gguf_writer_set_u32(w, "general.file_type", (uint32_t)ftype)) != L1_OK) goto done;
    if ((st = l1__gguf_writer_set_u32(w, "general.quantization_version", 2)) != L1_OK) goto done;
    const int64_t maxn = max_elements(g);
    size_t bytes;
    if (!l1__mul_size((size_t)maxn, sizeof(float), &bytes)) {
        st = l1__error(L1_ERR_LIMIT, "%s: a tensor is too large to convert", in);
        goto done;
    }
    f32 = l1__malloc(bytes ? bytes : 1);
    buf = l1__malloc(bytes ? bytes : 1); /* any quantized or f16 form is smaller than f32 */
    if (!f32 || !buf) {
        st = l1__error(L1_ERR_NOMEM, "%s: no memory for %zu-byte conversion buffers", in, bytes);
        goto done;
    }
    l1__qrecipe r;
    l1__qrecipe_init(&r, ftype, g);
    const int64_t n = l1__gguf_n_tensors(g);
    for (int64_t i = 0; i < n; i++) {
        const l1__gguf_tensor *t = l1__gguf_tensor_at(g, i);
        const uint32_t to = l1__qrecipe_type(&r, t);
        if (progress && !progress(user, i, n, t->name, t->type, to)) {
            st = l1__error(L1_ERR_ABORTED, "quantization cancelled at tensor %s", t->name);
            goto done;
        }
        if ((st = convert_tensor(w, t, to, f32, buf)) != L1_OK) goto done;
    }
    st = l1__gguf_writer_write(w, out);
done:
    l1__free(f32);
    l1__free(buf);
    l1__gguf_writer_free(w);
    l1__gguf_close(g);
    return st;
}
