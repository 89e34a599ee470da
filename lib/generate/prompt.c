/*
 * prompt.c - renders chat messages in the DeepSeek-R1 format (or raw) with
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

void l1__prompt_style_detect(const char *tpl, size_t len, bool has_r1_tokens, l1__prompt_style *out) {
    out->r1 = false;
    out->think_prefix = false;
    if (!tpl) {
        out->r1 = has_r1_tokens;
        return;
    }
    /* The template is searched as bytes: it may hold NULs in theory. */
    const char *user = L1__R1_USER, *asst = L1__R1_ASSISTANT, *gen = L1__R1_ASSISTANT "<think>";
    bool has_user = false, has_asst = false, has_gen = false;
    for (size_t i = 0; i < len; i++) {
        size_t rest = len - i;
        if (!has_user && rest >= strlen(user) && !memcmp(tpl + i, user, strlen(user))) has_user = true;
        if (!has_asst && rest >= strlen(asst) && !memcmp(tpl + i, asst, strlen(asst))) has_asst = true;
        if (!has_gen && rest >= strlen(gen) && !memcmp(tpl + i, gen, strlen(gen))) has_gen = true;
    }
    out->r1 = has_user && has_asst;
    out->think_prefix = out->r1 && has_gen;
}

l1_status l1__prompt_style_of_model(const l1_model *m, l1_template mode, int32_t think_prefix,
                                    l1__prompt_style *out) {
    if (mode != L1_TEMPLATE_AUTO && mode != L1_TEMPLATE_R1 && mode != L1_TEMPLATE_RAW)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: template_mode %d is not AUTO, R1 or RAW",
                         (int)mode);
    if (think_prefix < -1 || think_prefix > 1)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: think_prefix %d is not -1, 0 or 1",
                         (int)think_prefix);
    const l1__tokenizer *tok = l1__model_tokenizer(m);
    bool has_r1 = tok && l1__tokenizer_role(tok, L1_SPECIAL_USER) >= 0 &&
                  l1__tokenizer_role(tok, L1_SPECIAL_ASSISTANT) >= 0;
    const l1__gguf *g = l1__model_gguf(m);
    const char *tpl = NULL;
    uint64_t len = 0;
    if (g && l1__gguf_find_key(g, "tokenizer.chat_template") >= 0 &&
        l1__gguf_get_str(g, "tokenizer.chat_template", &tpl, &len) != L1_OK)
        tpl = NULL; /* a template of the wrong type is treated as none */
    l1__prompt_style_detect(tpl, (size_t)len, has_r1, out);
    if (mode == L1_TEMPLATE_R1) out->r1 = true;
    if (mode == L1_TEMPLATE_RAW) out->r1 = false;
    if (think_prefix >= 0) out->think_prefix = think_prefix == 1;
    if (!out->r1) out->think_prefix = false;
    l1__error_clear();
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

static l1_status put_sentence(l1__prompt *p, const l1__prompt_sentence *s) {
    if (!s || s->budget <= 0 || s->kind == L1_SENTENCE_NONE) return L1_OK;
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

static l1_status check_msgs(const l1_message *msgs, int32_t n) {
    if (!msgs || n < 1) return l1__error(L1_ERR_INVALID_ARG, "prompt: no messages");
    for (int32_t i = 0; i < n; i++) {
        if (!msgs[i].text) return l1__error(L1_ERR_INVALID_ARG, "prompt: message %d has NULL text", (int)i);
        if (msgs[i].role != L1_MSG_USER && msgs[i].role != L1_MSG_ASSISTANT)
            return l1__error(L1_ERR_INVALID_ARG, "prompt: message %d has role %d", (int)i, (int)msgs[i].role);
    }
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
            e = put_sentence(p, s);
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

l1_status l1__prompt_render(l1__prompt *p, const l1__prompt_style *st, const l1_message *msgs,
                            int32_t n, const l1__prompt_sentence *s) {
    memset(p, 0, sizeof *p);
    l1_status e = check_msgs(msgs, n);
    if (e != L1_OK) return e;
    if (s && s->kind != L1_SENTENCE_FULL && s->kind != L1_SENTENCE_BUDGET_ONLY &&
        s->kind != L1_SENTENCE_NONE)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: think_sentence %d is not FULL, "
                         "BUDGET_ONLY or NONE", (int)s->kind);
    if ((e = put(p, "", 0, false))) return e; /* allocate, so text is never NULL */
    if (st->r1) return render_r1(p, st, msgs, n, s);
    /* Raw: the caller writes the format; special strings are theirs to use. */
    for (int32_t i = 0; e == L1_OK && i < n; i++) {
        if ((e = put_str(p, msgs[i].text, true))) break;
        if (msgs[i].role == L1_MSG_USER) e = put_sentence(p, s);
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
