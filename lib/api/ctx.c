/*
 * api/ctx.c - the public context functions of l1.h: argument checks, then
 * the forward layer (forward.h).
 */
#include <unistd.h>

#include "forward/forward.h"

/* Bytes of physical memory, 0 when the system does not say. */
static uint64_t physical_memory(void) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return 0;
    uint64_t bytes;
    if (!l1__mul_u64((uint64_t)pages, (uint64_t)page, &bytes)) return UINT64_MAX;
    return bytes;
}

l1_ctx_params l1_ctx_default_params(void) { return l1__ctx_default_params(); }

l1_status l1_ctx_memory(const l1_model *model, const l1_ctx_params *params, l1_memory *out) {
    if (!model || !out) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_memory: NULL argument");
    return l1__ctx_memory(model, params, out);
}

l1_status l1_ctx_new(const l1_model *model, const l1_ctx_params *params, l1_ctx **out) {
    if (!out) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_new: out is NULL");
    *out = NULL;
    if (!model) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_new: model is NULL");
    /* Without a memory_limit of the caller's, a context whose own memory
     * (KV cache and scratch) exceeds the machine's physical memory is
     * refused before anything is allocated: it could only thrash or be
     * killed.  An explicit memory_limit replaces this check. */
    if (!params || params->memory_limit == 0) {
        l1_memory mem;
        l1_status st = l1__ctx_memory(model, params, &mem);
        if (st != L1_OK) return st;
        const uint64_t phys = physical_memory();
        uint64_t own;
        if (!l1__add_u64(mem.kv, mem.scratch, &own)) own = UINT64_MAX;
        if (phys && own > phys)
            return l1__error(L1_ERR_LIMIT,
                             "context: needs %llu bytes (KV cache %llu, scratch %llu), more than "
                             "the %llu bytes of physical memory (a smaller n_ctx, or "
                             "l1_ctx_params.memory_limit to allow it)",
                             (unsigned long long)own, (unsigned long long)mem.kv,
                             (unsigned long long)mem.scratch, (unsigned long long)phys);
    }
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

l1_status l1_ctx_decode(l1_ctx *ctx, const l1_batch *batch) {
    if (!ctx || !batch) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_decode: NULL %s", ctx ? "batch" : "ctx");
    return l1__ctx_decode(ctx, batch, NULL, NULL);
}

const float *l1_ctx_batch_logits(const l1_ctx *ctx, int32_t i) {
    return ctx ? l1__ctx_batch_logits(ctx, i) : NULL;
}

int32_t l1_ctx_n_seq(const l1_ctx *ctx) { return ctx ? l1__ctx_n_seq(ctx) : 0; }

int32_t l1_ctx_seq_n_past(const l1_ctx *ctx, int32_t seq) { return ctx ? l1__ctx_seq_n_past(ctx, seq) : 0; }

l1_status l1_ctx_seq_truncate(l1_ctx *ctx, int32_t seq, int32_t n_keep) {
    if (!ctx) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_seq_truncate: ctx is NULL");
    return l1__ctx_seq_truncate(ctx, seq, n_keep);
}

l1_status l1_ctx_seq_copy(l1_ctx *ctx, int32_t src, int32_t dst, int32_t n) {
    if (!ctx) return l1__error(L1_ERR_INVALID_ARG, "l1_ctx_seq_copy: ctx is NULL");
    return l1__ctx_seq_copy(ctx, src, dst, n);
}
