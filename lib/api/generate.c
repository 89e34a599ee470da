/*
 * api/generate.c - the public generation functions of l1.h: argument
 * checks, then the generate layer (generate.h); the name functions come
 * from the budget controller (budget.h).
 */
#include <string.h>

#include "generate/generate.h"
#include "generate/prompt.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "sample/budget.h"

l1_gen_params l1_gen_default_params(void) { return l1__gen_default_params(); }

l1_status l1_gen_new(l1_ctx *ctx, l1_gen **out) {
    if (!out) return l1__error(L1_ERR_INVALID_ARG, "l1_gen_new: out is NULL");
    *out = NULL;
    if (!ctx) return l1__error(L1_ERR_INVALID_ARG, "l1_gen_new: ctx is NULL");
    return l1__gen_new(ctx, out);
}

l1_status l1_gen_new_seq(l1_ctx *ctx, int32_t seq, l1_gen **out) {
    if (!out) return l1__error(L1_ERR_INVALID_ARG, "l1_gen_new_seq: out is NULL");
    *out = NULL;
    if (!ctx) return l1__error(L1_ERR_INVALID_ARG, "l1_gen_new_seq: ctx is NULL");
    return l1__gen_new_seq(ctx, seq, out);
}

l1_status l1_gen_step(l1_gen *const *gens, int32_t n) { return l1__gen_step_group(gens, n); }

int32_t l1_gen_poll(l1_gen *gen, l1_piece *out) {
    if (!gen || !out) return -1;
    return l1__gen_poll(gen, out);
}

void l1_gen_free(l1_gen *gen) {
    if (gen) l1__gen_free(gen);
}

void l1_gen_abort(l1_gen *gen) {
    if (gen) l1__gen_abort(gen);
}

l1_status l1_gen_begin_chat(l1_gen *gen, const l1_message *msgs, int32_t n_msgs, const l1_gen_params *params) {
    if (!gen) return l1__error(L1_ERR_INVALID_ARG, "l1_gen_begin: gen is NULL");
    return l1__gen_begin_chat(gen, msgs, n_msgs, params);
}

l1_status l1_gen_begin(l1_gen *gen, const char *prompt, const l1_gen_params *params) {
    if (!prompt) return l1__error(L1_ERR_INVALID_ARG, "l1_gen_begin: prompt is NULL");
    l1_message m = {L1_MSG_USER, prompt};
    return l1_gen_begin_chat(gen, &m, 1, params);
}

l1_status l1_gen_next(l1_gen *gen, l1_piece *out) {
    if (!gen || !out) return l1__error(L1_ERR_INVALID_ARG, "l1_gen_next: NULL gen or out");
    return l1__gen_next(gen, out);
}

l1_status l1_gen_end(l1_gen *gen, l1_gen_result *out) {
    if (!gen) return l1__error(L1_ERR_INVALID_ARG, "l1_gen_end: gen is NULL");
    return l1__gen_end(gen, out);
}

l1_status l1_generate(l1_ctx *ctx, const char *prompt, const l1_gen_params *params, l1_piece_fn on_piece,
                      void *user, l1_gen_result *result) {
    if (result) memset(result, 0, sizeof *result);
    l1_gen *g = NULL;
    l1_status st = l1_gen_new(ctx, &g);
    if (st != L1_OK) return st;
    if ((st = l1_gen_begin(g, prompt, params)) == L1_OK) {
        l1_piece p;
        while ((st = l1__gen_next(g, &p)) == L1_OK && p.kind != L1_PIECE_END)
            if (on_piece && on_piece(&p, user)) break;
        l1_status e = l1__gen_end(g, result);
        if (st == L1_OK) st = e;
    }
    l1__gen_free(g);
    return st;
}

l1_status l1_generate_n(l1_ctx *ctx, const char *prompt, int32_t k, const l1_gen_params *params,
                        l1_seq_piece_fn on_piece, void *user, l1_gen_result *results) {
    if (results && k > 0 && k <= L1_MAX_SEQ) memset(results, 0, (size_t)k * sizeof *results);
    if (!ctx || !prompt) return l1__error(L1_ERR_INVALID_ARG, "l1_generate_n: NULL %s", ctx ? "prompt" : "ctx");
    if (!l1__model_tokenizer(l1_ctx_model(ctx)))
        return l1__error(L1_ERR_UNSUPPORTED, "l1_generate_n: the model has no tokenizer");
    return l1__generate_n(ctx, prompt, k, params, on_piece, user, results);
}

int32_t l1_render_prompt(const l1_model *model, const l1_message *msgs, int32_t n_msgs,
                         const l1_gen_params *params, char *buf, int32_t cap) {
    if (!model || cap < 0 || (cap > 0 && !buf)) {
        l1__error(L1_ERR_INVALID_ARG, "l1_render_prompt: NULL model, negative cap or NULL buf");
        return L1_TOKEN_ERROR;
    }
    const l1_gen_params p = params ? *params : l1__gen_default_params();
    if (l1__gen_check_params(&p, l1_n_vocab(model)) != L1_OK) return L1_TOKEN_ERROR;
    l1__prompt pr;
    l1_status st = l1__gen_render(model, msgs, n_msgs, &p, &pr, NULL);
    if (st == L1_OK && pr.len > (size_t)INT32_MAX)
        st = l1__error(L1_ERR_LIMIT, "l1_render_prompt: the prompt is over 2 GiB");
    int32_t r = L1_TOKEN_ERROR;
    if (st == L1_OK) {
        r = (int32_t)pr.len;
        if (r <= cap) memcpy(buf, pr.text, pr.len);
        else r = -r;
    }
    l1__prompt_free(&pr);
    return r;
}

int32_t l1_prompt_tokens(const l1_model *model, const l1_message *msgs, int32_t n_msgs,
                         const l1_gen_params *params, l1_token *out, int32_t cap) {
    if (!model || cap < 0 || (cap > 0 && !out)) {
        l1__error(L1_ERR_INVALID_ARG, "l1_prompt_tokens: NULL model, negative cap or NULL out");
        return L1_TOKEN_ERROR;
    }
    const l1__tokenizer *tok = l1__model_tokenizer(model);
    if (!tok) {
        l1__error(L1_ERR_UNSUPPORTED, "l1_prompt_tokens: the model has no tokenizer");
        return L1_TOKEN_ERROR;
    }
    const l1_gen_params p = params ? *params : l1__gen_default_params();
    if (l1__gen_check_params(&p, l1_n_vocab(model)) != L1_OK) return L1_TOKEN_ERROR;
    l1__prompt pr;
    l1_token *ids = NULL;
    int32_t n = 0, r = L1_TOKEN_ERROR;
    if (l1__gen_render(model, msgs, n_msgs, &p, &pr, NULL) == L1_OK && l1__prompt_tokenize(&pr, tok, &ids, &n) == L1_OK) {
        r = n;
        if (n <= cap) {
            if (n > 0) memcpy(out, ids, (size_t)n * sizeof *ids);
        }
        else r = -n;
    }
    l1__prompt_free(&pr);
    l1__free(ids);
    return r;
}

const char *l1_budget_mode_name(l1_budget_mode m) { return l1__budget_mode_name(m); }
const char *l1_close_name(l1_close c) { return l1__close_name(c); }
const char *l1_finish_name(l1_finish f) { return l1__finish_name(f); }
