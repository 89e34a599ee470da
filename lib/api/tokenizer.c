/*
 * api_tokenizer.c - the public tokenizer functions of l1.h: argument
 * checks and the int32 buffer convention (count, or minus the size needed)
 * over the internal tokenizer of a loaded model.
 */
#include "model/model.h"
#include "tokenizer/tokenizer.h"

static const l1__tokenizer *model_tok(const l1_model *model, const char *fn) {
    const l1__tokenizer *t = model ? l1__model_tokenizer(model) : NULL;
    if (!model) l1__error(L1_ERR_INVALID_ARG, "%s: NULL model", fn);
    else if (!t) l1__error(L1_ERR_INVALID_ARG, "%s: the model has no tokenizer", fn);
    return t;
}

/* Count written, or minus the count needed; L1_TOKEN_ERROR when the count
 * does not fit an int32. */
static int32_t buffer_result(l1_status st, size_t need, const char *fn) {
    if (st != L1_OK && st != L1_ERR_BUFFER_TOO_SMALL) return L1_TOKEN_ERROR;
    if (need > (size_t)INT32_MAX) {
        l1__error(L1_ERR_LIMIT, "%s: result of %zu exceeds INT32_MAX", fn, need);
        return L1_TOKEN_ERROR;
    }
    return st == L1_OK ? (int32_t)need : -(int32_t)need;
}

int32_t l1_tokenize(const l1_model *model, const char *text, size_t len, l1_token *out, int32_t cap,
                    uint32_t flags) {
    const l1__tokenizer *t = model_tok(model, "l1_tokenize");
    if (!t) return L1_TOKEN_ERROR;
    if ((!text && len) || cap < 0 || (!out && cap > 0)) {
        l1__error(L1_ERR_INVALID_ARG, "l1_tokenize: NULL text or buffer, or negative cap (%d)", (int)cap);
        return L1_TOKEN_ERROR;
    }
    uint32_t f = 0;
    if (flags & L1_TOKENIZE_SPECIAL) f |= L1__TOK_SPECIAL;
    if (flags & L1_TOKENIZE_ADD_BOS) f |= L1__TOK_ADD_BOS;
    size_t need = 0;
    const l1_status st = l1__tokenize(t, text, len, f, out, (size_t)cap, &need);
    return buffer_result(st, need, "l1_tokenize");
}

int32_t l1_token_to_piece(const l1_model *model, l1_token token, char *buf, int32_t cap) {
    const l1__tokenizer *t = model_tok(model, "l1_token_to_piece");
    if (!t) return L1_TOKEN_ERROR;
    size_t n = 0;
    const uint8_t *p = l1__token_piece(t, token, &n);
    if (!p) {
        l1__error(L1_ERR_INVALID_ARG, "l1_token_to_piece: token %d out of range (%d tokens)", (int)token,
                  (int)l1__tokenizer_n_vocab(t));
        return L1_TOKEN_ERROR;
    }
    if (cap < 0 || (!buf && cap > 0)) {
        l1__error(L1_ERR_INVALID_ARG, "l1_token_to_piece: NULL buffer or negative cap");
        return L1_TOKEN_ERROR;
    }
    if (n > (size_t)cap) return -(int32_t)n;
    for (size_t i = 0; i < n; i++) buf[i] = (char)p[i];
    return (int32_t)n;
}

int32_t l1_detokenize(const l1_model *model, const l1_token *tokens, int32_t n, char *buf, int32_t cap) {
    const l1__tokenizer *t = model_tok(model, "l1_detokenize");
    if (!t) return L1_TOKEN_ERROR;
    if (n < 0 || (!tokens && n > 0) || cap < 0 || (!buf && cap > 0)) {
        l1__error(L1_ERR_INVALID_ARG, "l1_detokenize: NULL tokens or buffer, or a negative count");
        return L1_TOKEN_ERROR;
    }
    size_t need = 0;
    const l1_status st = l1__detokenize(t, tokens, (size_t)n, buf, (size_t)cap, &need);
    return buffer_result(st, need, "l1_detokenize");
}

l1_token l1_token_special(const l1_model *model, l1_special role) {
    const l1__tokenizer *t = model ? l1__model_tokenizer(model) : NULL;
    if (!t || (int)role < 0 || (int)role >= (int)L1__SPECIAL_COUNT) return -1;
    return l1__tokenizer_role(t, role);
}

int32_t l1_n_vocab(const l1_model *model) {
    const l1__tokenizer *t = model ? l1__model_tokenizer(model) : NULL;
    return l1__tokenizer_n_vocab(t);
}
