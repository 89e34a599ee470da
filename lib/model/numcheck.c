/*
 * numcheck.c - NaN/infinity detection in weights and logits (see
 * numcheck.h).
 *
 * The logits check folds every value into one accumulator as x * 0, which
 * is 0 for a finite x and NaN for NaN or +-inf, so the common case is one
 * multiply-add per value with no branch; only when the sum comes out NaN is
 * the block scanned again to name the culprit.  The weight check
 * dequantizes row by row with the type's reference to_float, which covers
 * every way a block can hide a non-finite value (scales, minimums, F16 and
 * BF16 payloads) without knowing any block layout here.
 */
#include "model/numcheck.h"

#include <math.h>

#include "quant/quant.h"

/* x * 0 is 0 for finite x and NaN otherwise, so the sum over a row is 0
 * exactly when every value is finite; eight partial sums keep the adds
 * independent. */
bool l1__numcheck_row_finite(const float *x, int64_t n) {
    float acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += x[i + k] * 0.0f;
    for (; i < n; i++) acc[0] += x[i] * 0.0f;
    float s = 0;
    for (int k = 0; k < 8; k++) s += acc[k];
    return s == 0.0f;
}

l1_status l1__numcheck_logits(const float *logits, int64_t n_rows, int64_t n_vocab, int64_t first_pos) {
    if (!logits || n_rows <= 0 || n_vocab <= 0) return L1_OK;
    for (int64_t r = 0; r < n_rows; r++) {
        const float *row = logits + r * n_vocab;
        if (l1__numcheck_row_finite(row, n_vocab)) continue;
        for (int64_t t = 0; t < n_vocab; t++)
            if (!isfinite(row[t]))
                return l1__error(L1_ERR_NUMERIC, "logits: position %lld, token %lld is %s",
                                 (long long)(first_pos + r), (long long)t,
                                 isnan(row[t]) ? "nan" : "infinite");
    }
    return L1_OK;
}

l1_status l1__numcheck_weight(const l1__weight *w) {
    if (!w || !w->data || !w->qt || !w->qt->to_float) return L1_OK;
    float *row = l1__malloc((size_t)w->ne0 * sizeof *row);
    if (!row) return l1__error(L1_ERR_NOMEM, "tensor %s: out of memory checking its values", w->name);
    const uint8_t *p = w->data;
    l1_status st = L1_OK;
    for (int64_t r = 0; r < w->ne1 && st == L1_OK; r++) {
        w->qt->to_float(p + (size_t)r * w->row_bytes, row, w->ne0);
        if (!l1__numcheck_row_finite(row, w->ne0))
            st = l1__error(L1_ERR_NUMERIC, "tensor %s: row %lld holds a NaN or infinity", w->name,
                           (long long)r);
    }
    l1__free(row);
    return st;
}

l1_status l1__numcheck_model(const l1_model *m) {
    if (!m || m->vocab_only) return L1_OK;
    l1_status st;
    if ((st = l1__numcheck_weight(&m->tok_embd)) || (st = l1__numcheck_weight(&m->output_norm)))
        return st;
    if (!m->tied && (st = l1__numcheck_weight(&m->output))) return st;
    for (int il = 0; il < m->hp.n_layer; il++) {
        const l1__layer *L = &m->layers[il];
        const l1__weight *ws[] = {&L->attn_norm, &L->wq, &L->wk, &L->wv, &L->bq, &L->bk,
                                  &L->bv, &L->wo, &L->ffn_norm, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t k = 0; k < L1_ARRAY_LEN(ws); k++)
            if ((st = l1__numcheck_weight(ws[k]))) return st;
    }
    return L1_OK;
}
