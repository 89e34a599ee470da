/*
 * api/ctx.c - the public context functions of l1.h: argument checks, then
 * the forward layer (forward.h).
 */
#include "forward/forward.h"

l1_ctx_params l1_ctx_default_params(void) { return l1__ctx_default_params(); }

l1_status l1_ctx_memory(const l1_model *model, const l1_ctx_params *params, l1_memory *out) {
    if (!model || !out) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_memory: NULL argument");
    return l1__ctx_memory(model, params, out);
}

l1_status l1_ctx_new(const l1_model *model, const l1_ctx_params *params, l1_ctx **out) {
    if (!out) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_new: out is NULL");
    *out = NULL;
    if (!model) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_new: model is NULL");
    return l1__ctx_new(model, params, out);
}

void l1_ctx_free(l1_ctx *ctx) {
    if (ctx) l1__ctx_free(ctx);
}

l1_status l1_ctx_eval(l1_ctx *ctx, const l1_token *tokens, int32_t n, uint32_t flags) {
    if (!ctx) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_eval: NULL ctx");
    return l1__ctx_eval(ctx, tokens, n, flags, NULL, NULL);
}

const float *l1_ctx_logits(const l1_ctx *ctx, int32_t i) { return ctx ? l1__ctx_logits(ctx, i) : NULL; }

int32_t l1_ctx_n_past(const l1_ctx *ctx) { return ctx ? l1__ctx_n_past(ctx) : 0; }

int32_t l1_ctx_n_ctx(const l1_ctx *ctx) { return ctx ? l1__ctx_n_ctx(ctx) : 0; }

l1_status l1_ctx_truncate(l1_ctx *ctx, int32_t n_keep) {
    if (!ctx) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_truncate: ctx is NULL");
    return l1__ctx_truncate(ctx, n_keep);
}

const l1_model *l1_ctx_model(const l1_ctx *ctx) { return ctx ? l1__ctx_model(ctx) : NULL; }
