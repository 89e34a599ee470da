/*
 * prompt.c - renders chat messages in the DeepSeek-R1 or ChatML format (or raw) with
 * the LCPO instruction, and tokenizes the result segment by segment.
 *
 * The R1 format, as the DeepSeek-R1-Distill chat template writes it (no
 * system prompt):
 *
 *   <｜begin▁of▁sentence｜><｜User｜>{user}<｜Assistant｜>{answer}<｜end▁of▁sentence｜>
 *   <｜User｜>{user}<｜Assistant｜>[<think>\n]
 *
 * (one line, broken here for reading).  Assistant turns keep only the text
 * after their last "</think>", as the template does.  Newer templates end
 * the generation prompt with "<think>\n", older ones (DeepScaleR's, L1's)
 * let the model write "<think>" itself; the template in the file decides.
 *
 * The text is built in one growing buffer; segments record which byte
 * ranges are the format's markers, so tokenization can recognise special
 * tokens there and nowhere else.
 */
#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "generate/prompt.h"
#include "tokenizer/tokenizer.h"

static bool contains(const char *hay, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(hay + i, needle, n)) return true;
    return false;
}

l1_status l1__prompt_style_detect(const char *tpl, size_t len, bool has_r1_tokens, bool has_chatml_tokens,
                                  l1__prompt_style *out) {
    out->family = L1__FAMILY_RAW;
    out->think_prefix = false;
    if (!tpl) {
        out->family = has_r1_tokens ? L1__FAMILY_R1 : has_chatml_tokens ? L1__FAMILY_CHATML : L1__FAMILY_RAW;
        return L1_OK;
    }
    /* The template is searched as bytes: it may hold NULs in theory. */
    if (contains(tpl, len, L1__R1_USER) && contains(tpl, len, L1__R1_ASSISTANT)) {
        out->family = L1__FAMILY_R1;
        out->think_prefix = contains(tpl, len, L1__R1_ASSISTANT "<think>");
        return L1_OK;
    }
    if (contains(tpl, len, L1__CHATML_START)) {
        out->family = L1__FAMILY_CHATML;
        /* Jinja writes the newline as an escape or as itself. */
        out->think_prefix = contains(tpl, len, "assistant\\n<think>") || contains(tpl, len, "assistant\n<think>");
        return L1_OK;
    }
    return l1__error(L1_ERR_UNSUPPORTED,
                     "prompt: the model's chat template is neither DeepSeek-R1 nor ChatML; choose the format "
                     "(template r1, chatml or raw)");
}

l1_status l1__prompt_style_of_model(const l1_model *m, l1_template mode, int32_t think_prefix,
                                    l1__prompt_style *out) {
    if (mode != L1_TEMPLATE_AUTO && mode != L1_TEMPLATE_R1 && mode != L1_TEMPLATE_RAW && mode != L1_TEMPLATE_CHATML)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: template_mode %d is not AUTO, R1, CHATML or RAW",
                         (int)mode);
    if (think_prefix < -1 || think_prefix > 1)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: think_prefix %d is not -1, 0 or 1",
                         (int)think_prefix);
    out->family = L1__FAMILY_RAW;
    out->think_prefix = false;
    if (mode == L1_TEMPLATE_AUTO) {
        const l1__tokenizer *tok = l1__model_tokenizer(m);
        bool has_r1 = tok && l1__tokenizer_role(tok, L1_SPECIAL_USER) >= 0 &&
                      l1__tokenizer_role(tok, L1_SPECIAL_ASSISTANT) >= 0;
        size_t n_ids = 0;
        l1_token id = -1;
        bool has_chatml = tok &&
                          l1__tokenize(tok, L1__CHATML_START, strlen(L1__CHATML_START), L1__TOK_SPECIAL, &id, 1,
                                       &n_ids) == L1_OK &&
                          n_ids == 1 && l1__tokenizer_is_control(tok, id);
        l1__error_clear();
        const l1__gguf *g = l1__model_gguf(m);
        const char *tpl = NULL;
        uint64_t len = 0;
        if (g && l1__gguf_find_key(g, "tokenizer.chat_template") >= 0 &&
            l1__gguf_get_str(g, "tokenizer.chat_template", &tpl, &len) != L1_OK)
            tpl = NULL; /* a template of the wrong type is treated as none */
        l1__error_clear();
        l1_status st = l1__prompt_style_detect(tpl, (size_t)len, has_r1, has_chatml, out);
        if (st != L1_OK) return st;
    } else {
        out->family = mode == L1_TEMPLATE_R1 ? L1__FAMILY_R1 : mode == L1_TEMPLATE_CHATML ? L1__FAMILY_CHATML
                                                                                       : L1__FAMILY_RAW;
        /* The prefix follows the model's template when it is of the chosen family. */
        const l1__gguf *g = l1__model_gguf(m);
        const char *tpl = NULL;
        uint64_t len = 0;
        l1__prompt_style det;
        if (g && l1__gguf_find_key(g, "tokenizer.chat_template") >= 0 &&
            l1__gguf_get_str(g, "tokenizer.chat_template", &tpl, &len) == L1_OK &&
            l1__prompt_style_detect(tpl, (size_t)len, false, false, &det) == L1_OK && det.family == out->family)
            out->think_prefix = det.think_prefix;
        l1__error_clear();
    }
    if (think_prefix >= 0) out->think_prefix = think_prefix == 1;
    if (out->family == L1__FAMILY_RAW) out->think_prefix = false;
    return L1_OK;
}

/* ---- building ----------------------------------------------------------------- */

static l1_status put(l1__prompt *p, const char *s, size_t n, bool special) {
    size_t need;
    if (!l1__add_size(p->len, n, &need) || !l1__add_size(need, 1, &need))
        return l1__error(L1_ERR_LIMIT, "prompt: text too long");
    if (need > p->cap) {
        size_t cap = p->cap ? p->cap : 256;
        while (cap < need) {
            if (!l1__mul_size(cap, 2, &cap)) return l1__error(L1_ERR_LIMIT, "prompt: text too long");
        }
        char *t = l1__realloc(p->text, cap);
        if (!t) return l1__error(L1_ERR_NOMEM, "prompt: out of memory for %zu bytes", cap);
        p->text = t;
        p->cap = cap;
    }
    if (n == 0) return L1_OK;
    memcpy(p->text + p->len, s, n);
    /* Extend the last segment when it has the same kind. */
    if (p->n_seg > 0 && p->seg[p->n_seg - 1].special == special &&
        p->seg[p->n_seg - 1].off + p->seg[p->n_seg - 1].len == p->len) {
        p->seg[p->n_seg - 1].len += n;
    } else {
        if (p->n_seg == p->cap_seg) {
            int32_t cap = p->cap_seg ? p->cap_seg * 2 : 16;
            if (cap > INT32_MAX / 2) return l1__error(L1_ERR_LIMIT, "prompt: too many segments");
            l1__segment *sg = l1__realloc(p->seg, (size_t)cap * sizeof *sg);
            if (!sg) return l1__error(L1_ERR_NOMEM, "prompt: out of memory");
            p->seg = sg;
            p->cap_seg = cap;
        }
        p->seg[p->n_seg++] = (l1__segment){p->len, n, special};
    }
    p->len += n;
    p->text[p->len] = '\0';
    return L1_OK;
}

static l1_status put_str(l1__prompt *p, const char *s, bool special) {
    return put(p, s, strlen(s), special);
}

/* The instruction after a user message: the message's own N when it has one. */
static l1_status put_sentence(l1__prompt *p, const l1__prompt_sentence *s0, int32_t own) {
    if (!s0) return L1_OK;
    l1__prompt_sentence one = *s0, *s = &one;
    if (own != 0) s->budget = own;
    if (s->budget <= 0 || s->kind == L1_SENTENCE_NONE) return L1_OK;
    char buf[160];
    int n = snprintf(buf, sizeof buf, "%s%s Think for %s%d tokens.",
                     s->kind == L1_SENTENCE_FULL ? " " : "",
                     s->kind == L1_SENTENCE_FULL ? L1__LCPO_STEP : "", s->exact ? "" : "maximum ",
                     (int)s->budget);
    if (n < 0 || (size_t)n >= sizeof buf) return l1__error(L1_ERR_INTERNAL, "prompt: sentence too long");
    return put(p, buf, (size_t)n, false);
}

const char *l1__prompt_answer_part(const char *text) {
    const char *last = NULL;
    for (const char *q = strstr(text, L1__THINK_CLOSE_TEXT); q; q = strstr(q + 1, L1__THINK_CLOSE_TEXT))
        last = q;
    return last ? last + strlen(L1__THINK_CLOSE_TEXT) : text;
}

static l1_status check_msgs(const l1_message *msgs, int32_t n, const l1__prompt_sentence *s) {
    if (!msgs || n < 1) return l1__error(L1_ERR_INVALID_ARG, "prompt: no messages");
    for (int32_t i = 0; i < n; i++) {
        if (!msgs[i].text) return l1__error(L1_ERR_INVALID_ARG, "prompt: message %d has NULL text", (int)i);
        if (msgs[i].role != L1_MSG_USER && msgs[i].role != L1_MSG_ASSISTANT)
            return l1__error(L1_ERR_INVALID_ARG, "prompt: message %d has role %d", (int)i, (int)msgs[i].role);

    }
    for (int32_t i = 0; s && s->own && i < n; i++)
        if (s->own[i] < -1 || s->own[i] > (1 << 30))
            return l1__error(L1_ERR_INVALID_ARG, "gen params: msg_budget[%d] = %d is not -1, 0 or an N up to %d",
                             (int)i, (int)s->own[i], 1 << 30);
    if (msgs[n - 1].role != L1_MSG_USER)
        return l1__error(L1_ERR_INVALID_ARG, "prompt: the last message (%d) is not the user's", (int)(n - 1));
    return L1_OK;
}

static l1_status render_r1(l1__prompt *p, const l1__prompt_style *st, const l1_message *msgs,
                           int32_t n, const l1__prompt_sentence *s) {
    l1_status e = put_str(p, L1__R1_BOS, true);
    for (int32_t i = 0; e == L1_OK && i < n; i++) {
        if (msgs[i].role == L1_MSG_USER) {
            if ((e = put_str(p, L1__R1_USER, true)) || (e = put_str(p, msgs[i].text, false))) break;
            e = put_sentence(p, s, s && s->own ? s->own[i] : 0);
        } else {
            if ((e = put_str(p, L1__R1_ASSISTANT, true)) ||
                (e = put_str(p, l1__prompt_answer_part(msgs[i].text), false)))
                break;
            e = put_str(p, L1__R1_EOS, true);
        }
    }
    if (e == L1_OK) e = put_str(p, L1__R1_ASSISTANT, true);
    if (e == L1_OK && st->think_prefix) e = put_str(p, L1__THINK_PREFIX, true);
    return e;
}

/* ChatML, as the QwQ / Qwen2.5 templates write it without a system prompt:
 *   <|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{answer}<|im_end|>\n
 *   <|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n[<think>\n] */
static l1_status render_chatml(l1__prompt *p, const l1__prompt_style *st, const l1_message *msgs,
                               int32_t n, const l1__prompt_sentence *s) {
    l1_status e = L1_OK;
    for (int32_t i = 0; e == L1_OK && i < n; i++) {
        bool user = msgs[i].role == L1_MSG_USER;
        if ((e = put_str(p, user ? L1__CHATML_START "user\n" : L1__CHATML_START "assistant\n", true)) ||
            (e = put_str(p, user ? msgs[i].text : l1__prompt_answer_part(msgs[i].text), false)))
            break;
        if (user && (e = put_sentence(p, s, s && s->own ? s->own[i] : 0))) break;
        e = put_str(p, L1__CHATML_END "\n", true);
    }
    if (e == L1_OK) e = put_str(p, L1__CHATML_START "assistant\n", true);
    if (e == L1_OK && st->think_prefix) e = put_str(p, L1__THINK_PREFIX, true);
    return e;
}

l1_status l1__prompt_render(l1__prompt *p, const l1__prompt_style *st, const l1_message *msgs,
                            int32_t n, const l1__prompt_sentence *s) {
    memset(p, 0, sizeof *p);
    l1_status e = check_msgs(msgs, n, s);
    if (e != L1_OK) return e;
    if (s && s->kind != L1_SENTENCE_FULL && s->kind != L1_SENTENCE_BUDGET_ONLY &&
        s->kind != L1_SENTENCE_NONE)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: think_sentence %d is not FULL, "
                         "BUDGET_ONLY or NONE", (int)s->kind);
    if ((e = put(p, "", 0, false))) return e; /* allocate, so text is never NULL */
    if (st->family == L1__FAMILY_R1) return render_r1(p, st, msgs, n, s);
    if (st->family == L1__FAMILY_CHATML) return render_chatml(p, st, msgs, n, s);
    /* Raw: the caller writes the format; special strings are theirs to use. */
    for (int32_t i = 0; e == L1_OK && i < n; i++) {
        if ((e = put_str(p, msgs[i].text, true))) break;
        if (msgs[i].role == L1_MSG_USER) e = put_sentence(p, s, s && s->own ? s->own[i] : 0);
    }
    return e;
}

void l1__prompt_free(l1__prompt *p) {
    if (!p) return;
    l1__free(p->text);
    l1__free(p->seg);
    memset(p, 0, sizeof *p);
}

l1_status l1__prompt_tokenize(const l1__prompt *p, const l1__tokenizer *tok, l1_token **out,
                              int32_t *n) {
    *out = NULL;
    *n = 0;
    size_t cap = p->len / 2 + 16, used = 0;
    l1_token *ids = l1__malloc(cap * sizeof *ids);
    if (!ids) return l1__error(L1_ERR_NOMEM, "prompt: out of memory for tokens");
    for (int32_t i = 0; i < p->n_seg; i++) {
        const l1__segment *sg = &p->seg[i];
        for (;;) {
            size_t need = 0;
            l1_status e = l1__tokenize(tok, p->text + sg->off, sg->len, sg->special ? L1__TOK_SPECIAL : 0,
                                       ids + used, cap - used, &need);
            if (e == L1_OK) {
                used += need;
                break;
            }
            if (e != L1_ERR_BUFFER_TOO_SMALL) {
                l1__free(ids);
                return e;
            }
            size_t ncap;
            if (!l1__add_size(used, need, &ncap) || ncap > INT32_MAX) {
                l1__free(ids);
                return l1__error(L1_ERR_LIMIT, "prompt: more than %d tokens", INT32_MAX);
            }
            l1_token *t = l1__realloc(ids, ncap * sizeof *t);
            if (!t) {
                l1__free(ids);
                return l1__error(L1_ERR_NOMEM, "prompt: out of memory for %zu tokens", ncap);
            }
            ids = t;
            cap = ncap;
        }
    }
    *out = ids;
    *n = (int32_t)used;
    return L1_OK;
}
