/*
 * api/model.c - the public model functions of l1.h: argument checks, then
 * the model layer (model.h); the memory figures of l1_model_info come from
 * the forward layer, which sizes contexts.
 */
#include "forward/forward.h"
#include "model/model.h"

l1_model_params l1_model_default_params(void) { return l1__model_default_params(); }

l1_status l1_model_load(const char *path, const l1_model_params *params, l1_model **out) {
    if (!out) return l1__error(L1_ERR_INVALID_ARG, "l1_model_load: out is NULL");
    *out = NULL;
    if (!path) return l1__error(L1_ERR_INVALID_ARG, "l1_model_load: path is NULL");
    return l1__model_load(path, params, out);
}

void l1_model_free(l1_model *model) { l1__model_free(model); }

l1_status l1_model_info(const l1_model *m, l1_model_desc *out) {
    if (!m || !out) return l1__error(L1_ERR_INVALID_ARG, "l1_model_info: NULL argument");
    l1__model_describe(m, out);
    if (l1__model_vocab_only(m)) return L1_OK;
    l1_ctx_params cp = l1__ctx_default_params();
    return l1__ctx_memory(m, &cp, &out->memory);
}
