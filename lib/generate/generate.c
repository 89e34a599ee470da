/*
 * generate.c - the decode loop: prompt in, streamed pieces out, under the
 * budget controller.
 *
 * Per generated token:
 *
 *   budget forced?  ── yes ─► the forced token (`</think>`, transition)
 *        │ no
 *   evaluate the tokens not yet in the cache, copy the logits,
 *   budget edits them (masks, soft landing), the sampler draws
 *        │
 *   the close due and the sampled piece starts a word? ─► the close instead
 *        │
 *   accept in sampler and budget ─► stream: `<think>`/`</think>` become phase
 *   markers, other text goes through the UTF-8-safe decoder; the model's
 *   own text then through the stop matcher, which also finds a close
 *   spelled from ordinary tokens ─► stop string? context full? EOS or N?
 *
 * The budget N is clamped before the first token to what can be generated
 * (the context's room after the prompt, max_tokens), so the close is
 * forced in time for the answer to fit.
 *
 * Tokens are evaluated lazily: a token is fed to the model only when the
 * next one must be sampled, so a forced close and its transition are
 * evaluated together in one batch, and the last token of a response is
 * never evaluated.  The generator remembers which tokens it placed in the
 * cache so the next prompt (a chat's history) evaluates only what differs.
 *
 * Speculative decoding by prompt lookup: when the pending tokens are
 * evaluated, the text so far (prompt and response) is searched for the
 * latest earlier occurrence of its last NGRAM_MAX..NGRAM_MIN tokens, and
 * the tokens that followed it there are evaluated too, as drafts, with
 * the logits of every position kept.  Each next token is then chosen
 * exactly as without drafts (budget, masks, sampler, from the same logits:
 * a step of fewer than L1__CTX_ATTN_TILE tokens gives every token the bits
 * it gets alone); while it equals the next draft, that draft is already in
 * the cache and the next logits are ready, so no evaluation is needed.
 * The first token that differs drops the remaining drafts from the cache.
 * So the tokens, greedy or sampled with a seed, are those of plain
 * decoding, and every one goes through the controller and the stop checks
 * one by one.  A drafted token is sampled from p itself, so the draft's
 * acceptance rule (accept x with probability p(x), else sample from p
 * without x) holds by construction.
 *
 * Cancellation: the generator evaluates through the forward layer's abort
 * hook (l1__ctx_eval's poll, forward.h), which checks the l1_gen_abort
 * flag and the params' abort_fn beside the context's own abort_fn, so an
 * abort also stops a long prompt evaluation between layers.
 *
 * The pull API (l1_gen_next) hands out one event at a time from a small
 * queue that each token step fills (at most: text flushed before a marker,
 * the marker, and the final flush); l1_generate is a loop over it.
 */
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "sample/budget.h"
#include "forward/forward.h"
#include "generate/generate.h"
#include "model/model.h"
#include "generate/prompt.h"
#include "sample/sample.h"
#include "tokenizer/tokenizer.h"

#define DEFAULT_TRANSITION "\n\n**Final Answer**\n"
#define MAX_PENDING (2 * L1__BUDGET_MAX_TRANSITION + 4)
#define QUEUE 6
/* Prompt lookup: the longest and shortest suffixes searched. */
#define NGRAM_MAX 4
#define NGRAM_MIN 2
/* L1_DRAFT_AUTO (plan_draft): the draft length of the first measuring
 * round, the weight of a new sample in the running means, and how many
 * evaluations without drafts pass before one draft is tried again. */
#define DRAFT_PROBE 4
#define DRAFT_EMA 0.125
#define DRAFT_RETRY 32
#define DRAFT_PRIOR 0.5
/* The longest look-ahead (probe_end): while a response has more than this
 * left of its budget, the look-ahead waits (the controller may act
 * meanwhile: a soft-landing window longer than PROBE_MAX - R'). */
#define PROBE_MAX 256

typedef struct event {
    l1_piece p;
    char *buf; /* text storage of this slot */
} event;

struct l1_gen {
    l1_ctx *ctx;
    int32_t seq;             /* the context's sequence it writes */
    bool batched;            /* inside l1_gen_step: pending tokens are evaluated with the group's */
    bool need_eval;          /* batched: step() stopped for the pending tokens' evaluation */
    bool logits_ready;       /* `logits` holds the next position's logits (prefill, a group's evaluation) */
    const l1__tokenizer *tok;
    int32_t n_vocab;
    l1_token think_open; /* `<think>`, or -1 */
    uint8_t *flags;   /* (n_vocab) L1__PIECE_* per token, built once */
    l1_token eog[L1__BUDGET_MAX_EOG]; /* end-of-generation tokens besides EOS (tokenizer.h), built once */
    int n_eog;
    float *logits;    /* (n_vocab) the sampler's scratch copy */
    l1_token *cache;  /* (n_ctx) tokens this generator placed in the cache */
    int32_t n_cache;
    l1_token *out;    /* (n_ctx + 1) tokens of the current response */
    int32_t n_out;
    atomic_int abort_flag;
    size_t max_piece; /* bytes the decoder may write for one token */

    /* The current response. */
    bool active, done;
    l1_gen_params params;
    l1__sampler *sampler;
    l1__budget budget;
    l1__detok detok;
    l1__stopper stop;
    l1_token pending[MAX_PENDING]; /* accepted, not yet evaluated */
    int32_t n_pending;
    char *text;                    /* (text_cap) scratch for one step's text */
    size_t text_cap;
    char *piece;                   /* (max_piece) the decoder's output */
    event ev[QUEUE];
    int32_t ev_head, ev_n;
    l1_gen_result res;
    struct timespec t_decode;
    double t_begin;                /* now_ms() at l1_gen_begin */
    int32_t budget_asked;          /* N as requested */
    bool prev_forced;              /* the last emitted token was the controller's */
    char tail[8];                  /* the model's last text bytes of this phase (spelled closes) */
    size_t n_tail;

    /* Speculative decoding (the header comment). */
    l1_token draft[L1_DRAFT_MAX];  /* evaluated after the last pending tokens */
    int32_t n_draft, draft_i;      /* draft[draft_i..n_draft) not yet compared */
    bool draft_live;               /* the context's logits row draft_row is the next position's */
    int32_t draft_row;             /* -1 = the last row */
    uint64_t draft_eval;           /* the context's eval_id of those rows */
    /* L1_DRAFT_AUTO's share of compared drafts that were accepted (a
     * running mean; DRAFT_PRIOR before any); its times are the context's
     * (t_eval_one, t_eval_extra). */
    double p_accept;
    int32_t undrafted;             /* evaluations since the last draft */

    /* The look-ahead at the close (probe_end). */
    bool probed;                   /* done for this response */
    l1_token probe[PROBE_MAX];     /* the tokens it foresaw, when they end the response */
    int32_t n_probe, probe_i;      /* probe[probe_i..n_probe) not yet written */
    l1__sampler *probe_sampler;    /* a copy of the sampler's state runs the look-ahead */
    float *probe_logits;           /* (n_vocab) */
};

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* ---- the sentence-end table ------------------------------------------------- */

static bool is_trailer(uint8_t c) {
    return c == ' ' || c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' || c == '*' ||
           c == '_' || c == '`';
}

static bool ends_sentence(const uint8_t *s, size_t n) {
    while (n > 0 && is_trailer(s[n - 1])) n--;
    if (n == 0) return false;
    uint8_t c = s[n - 1];
    if (c == '.' || c == '!' || c == '?') return true;
    /* 。 E3 80 82, ！ EF BC 81, ？ EF BC 9F */
    if (n >= 3 && s[n - 3] == 0xE3 && s[n - 2] == 0x80 && s[n - 1] == 0x82) return true;
    if (n >= 3 && s[n - 3] == 0xEF && s[n - 2] == 0xBC && (s[n - 1] == 0x81 || s[n - 1] == 0x9F))
        return true;
    return false;
}

bool l1__gen_word_boundary_byte(uint8_t c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return true;
    if (c == '\'') return false; /* don't, it's: inside a word */
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
}

static bool contains_close(const uint8_t *s, size_t n) {
    const size_t k = strlen(L1__THINK_CLOSE_TEXT);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(s + i, L1__THINK_CLOSE_TEXT, k)) return true;
    return false;
}

void l1__gen_piece_flags(const l1__tokenizer *tok, uint8_t *flags, int32_t n_vocab) {
    for (int32_t id = 0; id < n_vocab; id++) {
        size_t n = 0;
        const uint8_t *s = l1__tokenizer_is_control(tok, id) ? NULL : l1__token_piece(tok, id, &n);
        uint8_t f = 0;
        if (s && n > 0) {
            size_t m = n;
            while (m > 0 && (s[m - 1] == ' ' || s[m - 1] == '\t')) m--;
            if (m > 0 && (s[m - 1] == '\n' || s[m - 1] == '\r')) f = L1__PIECE_LINE_END;
            else if (ends_sentence(s, n)) f = L1__PIECE_SENTENCE_END;
            if (l1__gen_word_boundary_byte(s[n - 1])) f |= L1__PIECE_WORD_END;
            if (l1__gen_word_boundary_byte(s[0])) f |= L1__PIECE_WORD_START;
            if (contains_close(s, n)) f |= L1__PIECE_SPELLS_CLOSE;
        }
        flags[id] = f;
    }
}

/* ---- stop strings --------------------------------------------------------------- */

l1_status l1__stopper_init(l1__stopper *st, const char *const *stop, int32_t n, size_t max_in) {
    memset(st, 0, sizeof *st);
    if (n < 0 || n > L1__GEN_MAX_STOP || (n > 0 && !stop))
        return l1__error(L1_ERR_INVALID_ARG, "gen params: n_stop %d outside [0, %d] or stop NULL",
                         (int)n, L1__GEN_MAX_STOP);
    for (int32_t i = 0; i < n; i++) {
        size_t len = stop[i] ? strlen(stop[i]) : 0;
        if (len == 0 || len > L1__GEN_MAX_STOP_LEN)
            return l1__error(L1_ERR_INVALID_ARG, "gen params: stop[%d] is NULL, empty or longer "
                             "than %d bytes", (int)i, L1__GEN_MAX_STOP_LEN);
        if (len > st->max_len) st->max_len = len;
    }
    st->cap = st->max_len + max_in + 16; /* + the spelled close's prefix */
    st->held = l1__malloc(st->cap);
    st->s = l1__calloc(n ? (size_t)n : 1, sizeof *st->s);
    st->len = l1__calloc(n ? (size_t)n : 1, sizeof *st->len);
    if (!st->held || !st->s || !st->len) return l1__error(L1_ERR_NOMEM, "gen: out of memory for stop strings");
    for (int32_t i = 0; i < n; i++) {
        st->len[i] = strlen(stop[i]);
        if (!(st->s[i] = l1__strndup(stop[i], st->len[i])))
            return l1__error(L1_ERR_NOMEM, "gen: out of memory for stop strings");
        st->n = i + 1;
    }
    return L1_OK;
}

void l1__stopper_free(l1__stopper *st) {
    if (!st) return;
    for (int32_t i = 0; i < st->n; i++) l1__free(st->s[i]);
    l1__free(st->s);
    l1__free(st->len);
    l1__free(st->held);
    memset(st, 0, sizeof *st);
}

/* Length of the longest suffix of held that is a proper prefix of a stop string. */
static size_t partial_match(const l1__stopper *st) {
    size_t best = 0;
    for (int32_t i = 0; i < st->n; i++) {
        size_t k = st->len[i] - 1 < st->n_held ? st->len[i] - 1 : st->n_held;
        for (; k > best; k--)
            if (!memcmp(st->held + st->n_held - k, st->s[i], k)) break;
        if (k > best) best = k;
    }
    return best;
}

bool l1__stopper_feed(l1__stopper *st, const char *text, size_t n, char *out, size_t *n_out) {
    memcpy(st->held + st->n_held, text, n);
    st->n_held += n;
    size_t first = SIZE_MAX;
    int32_t which = -1;
    for (int32_t i = 0; i < st->n; i++) {
        const char *m = memmem(st->held, st->n_held, st->s[i], st->len[i]);
        if (m && (size_t)(m - st->held) < first) first = (size_t)(m - st->held), which = i;
    }
    const size_t kc = strlen(L1__THINK_CLOSE_TEXT);
    if (st->close_on) {
        const char *m = memmem(st->held, st->n_held, L1__THINK_CLOSE_TEXT, kc);
        if (m && (size_t)(m - st->held) < first) first = (size_t)(m - st->held), which = -2;
    }
    st->closed = which == -2;
    if (first != SIZE_MAX) {
        memcpy(out, st->held, first);
        *n_out = first;
        if (st->closed) { /* keep what follows the close, for the answer */
            size_t rest = st->n_held - first - kc;
            memmove(st->held, st->held + first + kc, rest);
            st->n_held = rest;
            return false;
        }
        st->n_held = 0;
        return true;
    }
    size_t hold = partial_match(st);
    if (st->close_on)
        for (size_t k = kc - 1 < st->n_held ? kc - 1 : st->n_held; k > hold; k--)
            if (!memcmp(st->held + st->n_held - k, L1__THINK_CLOSE_TEXT, k)) {
                hold = k;
                break;
            }
    size_t cut = st->n_held - hold;
    /* Never split a UTF-8 character, even for a stop string that is not
     * valid UTF-8 itself. */
    while (cut > 0 && cut < st->n_held && ((uint8_t)st->held[cut] & 0xC0) == 0x80) cut--;
    memcpy(out, st->held, cut);
    *n_out = cut;
    memmove(st->held, st->held + cut, st->n_held - cut);
    st->n_held -= cut;
    return false;
}

size_t l1__stopper_flush(l1__stopper *st, char *out) {
    size_t n = st->n_held;
    memcpy(out, st->held, n);
    st->n_held = 0;
    return n;
}

/* ---- parameters ------------------------------------------------------------------ */

/* The sampling defaults are the sampler's own. */
l1_gen_params l1__gen_default_params(void) {
    l1__sample_params sp;
    l1__sample_params_default(&sp);
    return (l1_gen_params){.temperature = sp.temperature, .top_k = sp.top_k, .top_p = sp.top_p,
                           .min_p = sp.min_p, .repeat_penalty = sp.repeat_penalty,
                           .presence_penalty = sp.presence_penalty, .frequency_penalty = sp.frequency_penalty,
                           .penalty_window = sp.penalty_window, .seed = sp.seed, .budget_mode = L1_BUDGET_OFF,
                           .think_prefix = -1, .draft = L1_DRAFT_AUTO};
}

/* The sampler's parameters are the sampling fields of l1_gen_params. */
static void sample_params(const l1_gen_params *g, l1__sample_params *s) {
    *s = (l1__sample_params){.temperature = g->temperature, .top_k = g->top_k, .top_p = g->top_p,
                             .min_p = g->min_p, .repeat_penalty = g->repeat_penalty,
                             .presence_penalty = g->presence_penalty, .frequency_penalty = g->frequency_penalty,
                             .penalty_window = g->penalty_window, .seed = g->seed, .bias = g->bias,
                             .n_bias = g->n_bias};
}

l1_status l1__gen_check_params(const l1_gen_params *p, int32_t n_vocab) {
    if (p->budget_mode != L1_BUDGET_OFF && p->budget_mode != L1_BUDGET_MAX && p->budget_mode != L1_BUDGET_EXACT)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: budget_mode %d is not OFF, MAX or EXACT",
                         (int)p->budget_mode);
    if (p->budget < 0 || p->budget > L1__BUDGET_MAX_TOKENS)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: budget %d outside [0, %d]", (int)p->budget,
                         L1__BUDGET_MAX_TOKENS);
    if (p->reserve < 0 || p->window < L1_WINDOW_NONE)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: reserve %d or window %d is negative",
                         (int)p->reserve, (int)p->window);
    if (p->max_tokens < 0)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: max_tokens %d is negative", (int)p->max_tokens);
    if (p->draft < L1_DRAFT_AUTO || p->draft > L1_DRAFT_MAX)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: draft %d outside [%d, %d] (-1 = automatic, 0 = off)",
                         (int)p->draft, L1_DRAFT_AUTO, L1_DRAFT_MAX);
    if (p->n_bias < 0 || (p->n_bias > 0 && !p->bias))
        return l1__error(L1_ERR_INVALID_ARG, "gen params: n_bias %d with bias %s", (int)p->n_bias,
                         p->bias ? "set" : "NULL");
    if (p->template_mode != L1_TEMPLATE_AUTO && p->template_mode != L1_TEMPLATE_R1 &&
        p->template_mode != L1_TEMPLATE_RAW && p->template_mode != L1_TEMPLATE_CHATML)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: template_mode %d is not AUTO, R1, CHATML or RAW",
                         (int)p->template_mode);
    if (p->think_sentence != L1_SENTENCE_FULL && p->think_sentence != L1_SENTENCE_BUDGET_ONLY &&
        p->think_sentence != L1_SENTENCE_NONE)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: think_sentence %d is not FULL, BUDGET_ONLY or NONE",
                         (int)p->think_sentence);
    if (p->think_prefix < -1 || p->think_prefix > 1)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: think_prefix %d is not -1, 0 or 1", (int)p->think_prefix);
    if (p->n_stop < 0 || p->n_stop > L1__GEN_MAX_STOP || (p->n_stop > 0 && !p->stop))
        return l1__error(L1_ERR_INVALID_ARG, "gen params: n_stop %d outside [0, %d] or stop NULL", (int)p->n_stop,
                         L1__GEN_MAX_STOP);
    for (int32_t i = 0; i < p->n_stop; i++) {
        size_t len = p->stop[i] ? strlen(p->stop[i]) : 0;
        if (len == 0 || len > L1__GEN_MAX_STOP_LEN)
            return l1__error(L1_ERR_INVALID_ARG, "gen params: stop[%d] is NULL, empty or longer than %d bytes",
                             (int)i, L1__GEN_MAX_STOP_LEN);
    }
    if (p->budget_mode != L1_BUDGET_OFF && p->reserve > p->budget)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: reserve %d cannot be honoured within a budget of %d tokens",
                         (int)p->reserve, (int)p->budget);
    l1__sample_params sp;
    sample_params(p, &sp);
    return l1__sample_params_check(&sp, n_vocab);
}

/* ---- the generator ------------------------------------------------------------------ */

l1_status l1__gen_new(l1_ctx *ctx, l1_gen **out) {
    *out = NULL;
    const l1__tokenizer *tok = l1__model_tokenizer(l1__ctx_model(ctx));
    if (!tok) return l1__error(L1_ERR_UNSUPPORTED, "l1_gen_new: the model has no tokenizer");
    l1_gen *g = l1__calloc(1, sizeof *g);
    if (!g) return l1__error(L1_ERR_NOMEM, "l1_gen_new: out of memory");
    g->ctx = ctx;
    g->tok = tok;
    g->n_vocab = l1__ctx_n_vocab(ctx);
    g->think_open = l1__tokenizer_role(tok, L1_SPECIAL_THINK_OPEN);
    g->p_accept = DRAFT_PRIOR;
    atomic_init(&g->abort_flag, 0);
    g->max_piece = l1__detok_max_out(tok);
    g->text_cap = g->max_piece + L1__GEN_MAX_STOP_LEN + 16;
    const size_t nv = (size_t)g->n_vocab, nc = (size_t)l1__ctx_n_ctx(ctx);
    g->flags = l1__malloc(nv);
    g->logits = l1__malloc(nv * sizeof *g->logits);
    g->probe_logits = l1__malloc(nv * sizeof *g->probe_logits);
    g->cache = l1__malloc(nc * sizeof *g->cache);
    g->out = l1__malloc((nc + 1) * sizeof *g->out);
    g->text = l1__malloc(g->text_cap);
    g->piece = l1__malloc(g->max_piece);
    bool ok = g->flags && g->logits && g->probe_logits && g->cache && g->out && g->text && g->piece;
    for (int i = 0; i < QUEUE && ok; i++) ok = (g->ev[i].buf = l1__malloc(g->text_cap)) != NULL;
    if (!ok) {
        l1__gen_free(g);
        return l1__error(L1_ERR_NOMEM, "l1_gen_new: out of memory for a %d-token vocabulary", (int)nv);
    }
    /* The vocabulary's table is built once per generator (the tokenizer
     * cannot be changed under it). */
    l1__gen_piece_flags(tok, g->flags, g->n_vocab);
    const l1_token eos = l1__tokenizer_role(tok, L1_SPECIAL_EOS);
    for (l1_token id = 0; id < g->n_vocab && g->n_eog < (int)L1_ARRAY_LEN(g->eog); id++)
        if (id != eos && l1__tokenizer_is_eog(tok, id)) g->eog[g->n_eog++] = id;
    *out = g;
    return L1_OK;
}

static void response_free(l1_gen *g) {
    l1__sampler_free(g->sampler);
    l1__sampler_free(g->probe_sampler);
    g->sampler = g->probe_sampler = NULL;
    l1__stopper_free(&g->stop);
    g->active = false;
}

void l1__gen_free(l1_gen *g) {
    response_free(g);
    for (int i = 0; i < QUEUE; i++) l1__free(g->ev[i].buf);
    void *const owned[] = {g->flags, g->logits, g->probe_logits, g->cache, g->out, g->text, g->piece, g};
    l1__free_each(owned, L1_ARRAY_LEN(owned));
}

void l1__gen_abort(l1_gen *g) { atomic_store(&g->abort_flag, 1); }

const l1_token *l1__gen_tokens(const l1_gen *g, int32_t *n) {
    *n = g ? g->n_out : 0;
    return g ? g->out : NULL;
}

/* ---- evaluation with the abort hook ------------------------------------------------ */

/* The generator's own stop requests: the flag, then the params' hook (the
 * forward layer polls the context's own hook after these). */
static int poll_abort(void *user) {
    l1_gen *g = user;
    if (atomic_load(&g->abort_flag)) return 1;
    return g->params.abort_fn && g->params.abort_fn(g->params.abort_user) ? 1 : 0;
}

static bool abort_between_tokens(l1_gen *g) { return poll_abort(g) || l1__ctx_abort_requested(g->ctx); }

/* Evaluates tokens[0..n) (flags as l1_ctx_eval's) and records them as
 * cached. */
static l1_status eval(l1_gen *g, const l1_token *tokens, int32_t n, uint32_t flags) {
    l1_status st = l1__ctx_eval_seq(g->ctx, g->seq, tokens, n, flags, poll_abort, g);
    if (st == L1_OK) {
        memcpy(g->cache + g->n_cache, tokens, (size_t)n * sizeof *tokens);
        g->n_cache += n;
    }
    return st;
}

/* ---- the event queue ------------------------------------------------------------------ */

static void push_event(l1_gen *g, l1_piece_kind kind, const char *text, size_t len, l1_phase phase,
                       bool forced) {
    if (kind == L1_PIECE_TEXT && len == 0) return;
    event *e = &g->ev[(g->ev_head + g->ev_n) % QUEUE];
    g->ev_n++;
    l1__budget_report r;
    l1__budget_report_get(&g->budget, &r);
    if (len) memcpy(e->buf, text, len);
    e->p = (l1_piece){kind, e->buf, (int32_t)len, phase, forced, r.used, r.limit, L1_FINISH_NONE};
}

/* Ends the text of a phase: the decoder's incomplete bytes (as U+FFFD)
 * and the held text, which can no longer start a stop string.  True when
 * the decoder's tail completed a stop string. */
static bool flush_text(l1_gen *g, l1_phase phase) {
    char tail[4];
    size_t n = l1__detok_finish(&g->detok, tail), m = 0;
    bool stop = l1__stopper_feed(&g->stop, tail, n, g->text, &m);
    if (!stop) m += l1__stopper_flush(&g->stop, g->text + m);
    push_event(g, L1_PIECE_TEXT, g->text, m, phase, false);
    return stop;
}

/* ---- speculative decoding ------------------------------------------------------------- */

/* The kmax tokens that followed the latest earlier occurrence of the last
 * m tokens of s[0..n) (m from NGRAM_MAX down to NGRAM_MIN, the first m
 * that occurs), into out; returns kmax, or 0 when no suffix occurs.  A
 * continuation that reaches the end of s goes on with the tokens it has
 * drafted, so a loop in the text is drafted as far as kmax. */
static int32_t lookup_draft(const l1_token *s, int32_t n, int32_t kmax, l1_token *out) {
    for (int32_t m = NGRAM_MAX; m >= NGRAM_MIN; m--) {
        if (n <= m) continue;
        const l1_token *suf = s + n - m;
        for (int32_t j = n - m - 1; j >= 0; j--) {
            if (s[j] != suf[0] || memcmp(s + j, suf, (size_t)m * sizeof *s)) continue;
            for (int32_t i = 0; i < kmax; i++) {
                const int32_t at = j + m + i; /* < n + i: in s or already in out */
                out[i] = at < n ? s[at] : out[at - n];
            }
            return kmax;
        }
    }
    return 0;
}

/* A running mean of times, 0 before the first. */
static double ema(double mean, double x) { return mean > 0 ? mean + DRAFT_EMA * (x - mean) : x; }

/* L1_DRAFT_AUTO's length.  A draft at depth j (the j-th token of a draft)
 * is accepted with probability about p^j (p: the measured acceptance of a
 * compared draft) and saves a one-token evaluation when it is, so it pays
 * when p^j t_one > t_extra: the length is the largest such j.  Before
 * both times are measured: none, then DRAFT_PROBE; after DRAFT_RETRY
 * evaluations without drafts, one (acceptance changes with the text). */
static int32_t auto_draft_len(const l1_gen *g) {
    const double t_one = g->ctx->t_eval_one, t_extra = g->ctx->t_eval_extra;
    if (t_one <= 0) return 0;
    if (t_extra <= 0) return DRAFT_PROBE;
    int32_t k = 0;
    for (double pj = g->p_accept; k < L1_DRAFT_MAX && pj * t_one > t_extra; pj *= g->p_accept) k++;
    return k == 0 && g->undrafted >= DRAFT_RETRY ? 1 : k;
}

/* Drafts for the evaluation of the pending tokens, into g->draft: as many
 * as the settings, the context's room, the step size that keeps decode
 * attention (L1__CTX_ATTN_TILE) and max_tokens allow.  The text searched
 * is the cache's tokens then the pending ones (copied after them: the
 * cache array has room for n_ctx tokens, step() has checked that the cache
 * record is the sequence's, and flush_pending that they fit). */
static int32_t plan_draft(l1_gen *g) {
    int32_t k = g->params.draft == L1_DRAFT_AUTO ? auto_draft_len(g) : g->params.draft;
    if (g->batched || k <= 0) return 0;
    const int32_t room = l1__ctx_n_ctx(g->ctx) - l1__ctx_seq_n_past(g->ctx, g->seq) - g->n_pending;
    const int32_t step = L1__CTX_ATTN_TILE - 1 < l1__ctx_n_batch(g->ctx) ? L1__CTX_ATTN_TILE - 1 : l1__ctx_n_batch(g->ctx);
    if (k > room) k = room;
    if (k > step - g->n_pending) k = step - g->n_pending;
    if (g->params.max_tokens > 0 && k > g->params.max_tokens - g->n_out) k = g->params.max_tokens - g->n_out;
    if (k <= 0) return 0;
    memcpy(g->cache + g->n_cache, g->pending, (size_t)g->n_pending * sizeof *g->pending);
    return lookup_draft(g->cache, g->n_cache + g->n_pending, k, g->draft);
}

/* Ends a round of drafts: removes the drafts not accepted from the cache. */
static l1_status drop_drafts(l1_gen *g) {
    const int32_t left = g->n_draft - g->draft_i;
    g->n_draft = g->draft_i = 0;
    g->draft_live = false;
    const int32_t n_past = l1__ctx_seq_n_past(g->ctx, g->seq);
    if (left == 0 || n_past != g->n_cache || left > n_past) return L1_OK; /* the sequence is no longer ours (step) */
    g->n_cache -= left;
    return l1__ctx_seq_truncate(g->ctx, g->seq, n_past - left);
}

/* The next position's logits from the drafted evaluation's rows, or NULL
 * when another evaluation or a truncation (another generator on the
 * context, between two l1_gen_next calls) has replaced them. */
static const float *draft_logits(const l1_gen *g) {
    if (!g->draft_live || l1__ctx_eval_id(g->ctx) != g->draft_eval) return NULL;
    return l1__ctx_logits(g->ctx, g->draft_row);
}

/* The drafted evaluation's rows are gone: the drafts not compared leave
 * the cache, and so does the last token, which becomes pending again to be
 * evaluated for its logits (the same bits: a token's logits do not depend
 * on what shares its step). */
static l1_status reclaim_logits(l1_gen *g) {
    l1_status st = drop_drafts(g);
    if (st != L1_OK) return st;
    if (g->n_cache < 1 || g->n_pending != 0 || l1__ctx_seq_n_past(g->ctx, g->seq) != g->n_cache)
        return l1__error(L1_ERR_INTERNAL, "gen: cannot re-evaluate the last token (%d cached, %d pending)",
                         (int)g->n_cache, (int)g->n_pending);
    g->pending[g->n_pending++] = g->cache[--g->n_cache];
    return l1__ctx_seq_truncate(g->ctx, g->seq, g->n_cache);
}

/* Settles the response's next token `tok` against the drafts: *in_cache
 * when it is the next draft (already evaluated, its successor's logits in
 * the next row), else the round ends. */
static l1_status take_draft(l1_gen *g, l1_token tok, bool *in_cache) {
    *in_cache = false;
    if (!g->draft_live) return L1_OK;
    const bool hit = g->draft_i < g->n_draft && tok == g->draft[g->draft_i];
    if (g->draft_i < g->n_draft) g->p_accept += DRAFT_EMA * ((hit ? 1.0 : 0.0) - g->p_accept);
    if (hit) {
        g->draft_i++;
        g->draft_row++;
        g->res.draft_accepted++;
        *in_cache = true;
        return L1_OK;
    }
    return drop_drafts(g);
}

/* Ends the response, flushing the text unless a stop string matched. */
static void finish(l1_gen *g, l1_finish why) {
    if (g->done) return;
    (void)drop_drafts(g); /* the cache keeps only the response's tokens */
    l1__budget_stop(&g->budget, why);
    g->done = true;
    if (l1__budget_finish(&g->budget) != L1_FINISH_STOP && flush_text(g, l1__budget_phase(&g->budget)))
        l1__budget_stop_at_end(&g->budget);
    const double t = now_ms();
    g->res.decode_ms = t - ((double)g->t_decode.tv_sec * 1e3 + (double)g->t_decode.tv_nsec / 1e6);
    g->res.end_ms = t - g->t_begin;
}

/* Keeps the model's last bytes of text in this phase (for the spelled close). */
static void remember_tail(l1_gen *g, const char *text, size_t n) {
    const size_t cap = sizeof g->tail - 1;
    if (n >= cap) {
        memcpy(g->tail, text + n - cap, cap);
        g->n_tail = cap;
        return;
    }
    if (g->n_tail + n > cap) {
        size_t drop = g->n_tail + n - cap;
        memmove(g->tail, g->tail + drop, g->n_tail - drop);
        g->n_tail -= drop;
    }
    memcpy(g->tail + g->n_tail, text, n);
    g->n_tail += n;
}

static double since_begin(const l1_gen *g) { return now_ms() - g->t_begin; }

/* The model's own text: through the stop matcher, which also finds a close
 * spelled from ordinary tokens while thinking; then the thinking ends there
 * and what followed the close is answer text. */
static void model_text(l1_gen *g, const char *text, size_t n, l1_phase phase) {
    remember_tail(g, text, n);
    size_t m = 0;
    bool stop = l1__stopper_feed(&g->stop, text, n, g->text, &m);
    push_event(g, L1_PIECE_TEXT, g->text, m, phase, false);
    if (stop) {
        finish(g, L1_FINISH_STOP);
        return;
    }
    if (!g->stop.closed) return;
    g->stop.closed = false;
    g->stop.close_on = false;
    l1__budget_close_spelled(&g->budget);
    g->res.close_ms = since_begin(g);
    push_event(g, L1_PIECE_THINK_END, "", 0, L1_PHASE_ANSWER, false);
    g->n_tail = 0;
    /* `text` has been copied into the matcher: its buffer may be reused. */
    size_t rest = l1__stopper_flush(&g->stop, g->piece);
    if (rest) model_text(g, g->piece, rest, L1_PHASE_ANSWER);
}

/* Streams token `tok`: phase markers for the first `<think>` and the close,
 * nothing for control tokens, decoded text otherwise.  The controller's
 * own text (close text, transition) bypasses the stop matcher: what the
 * model wrote before it is released first. */
static void emit(l1_gen *g, l1_token tok, bool forced, l1_phase phase0, bool opened0) {
    const l1_phase phase = l1__budget_phase(&g->budget);
    bool close = phase0 == L1_PHASE_THINKING && phase == L1_PHASE_ANSWER;
    bool open = !close && tok == g->think_open && tok >= 0 && !opened0 && l1__budget_opened(&g->budget);
    const bool run_start = forced && !g->prev_forced;
    g->prev_forced = forced;
    size_t n = 0;
    if (close || open) {
        if (flush_text(g, phase0)) {
            finish(g, L1_FINISH_STOP);
            return;
        }
        if (close) {
            g->stop.close_on = false;
            g->res.close_ms = since_begin(g);
        }
        g->n_tail = 0;
        push_event(g, close ? L1_PIECE_THINK_END : L1_PIECE_THINK_BEGIN, "", 0, phase, forced);
        l1__detok_init(&g->detok, g->tok);
        return;
    }
    if (run_start) {
        if (flush_text(g, phase0)) {
            finish(g, L1_FINISH_STOP);
            return;
        }
        g->n_tail = 0;
    }
    if (l1__tokenizer_is_control(g->tok, tok)) return;
    if (l1__detok_push(&g->detok, tok, g->piece, &n) != L1_OK) n = 0;
    if (forced) push_event(g, L1_PIECE_TEXT, g->piece, n, phase, true);
    else model_text(g, g->piece, n, phase);
}

/* Prevents a close spelled from ordinary tokens where the controller
 * forbids `</think>` (after the close, before exact mode's floor): masks
 * every piece that holds "</think>" and, when the text so far ends with a
 * beginning of it, every piece that would complete it. */
void l1__gen_mask_spelled_close(const l1__tokenizer *tok, const uint8_t *flags, int32_t n_vocab, const char *tail,
                                size_t n_tail, float *logits) {
    const char *c = L1__THINK_CLOSE_TEXT;
    const size_t kc = strlen(c);
    size_t k = 0;
    for (size_t j = n_tail < kc - 1 ? n_tail : kc - 1; j > 0 && !k; j--)
        if (!memcmp(tail + n_tail - j, c, j)) k = j;
    for (int32_t id = 0; id < n_vocab; id++) {
        if (flags[id] & L1__PIECE_SPELLS_CLOSE) {
            logits[id] = -INFINITY;
        } else if (k > 0) {
            size_t len = 0;
            const uint8_t *pc = l1__tokenizer_is_control(tok, id) ? NULL : l1__token_piece(tok, id, &len);
            if (pc && len >= kc - k && !memcmp(pc, c + k, kc - k)) logits[id] = -INFINITY;
        }
    }
}

/* ---- one token ---------------------------------------------------------------------- */

/* Makes the logits of the next position available: evaluates the pending
 * tokens.  Returns L1_OK with *ended set when the response had to end. */
static l1_status flush_pending(l1_gen *g, bool *ended) {
    *ended = false;
    if (g->n_pending == 0) return L1_OK;
    if (g->n_pending > l1__ctx_n_ctx(g->ctx) - l1__ctx_seq_n_past(g->ctx, g->seq)) {
        finish(g, L1_FINISH_CONTEXT_FULL);
        *ended = true;
        return L1_OK;
    }
    if (g->batched) { /* evaluated with the other sequences' tokens (generate_n) */
        g->need_eval = true;
        return L1_OK;
    }
    const int32_t k = plan_draft(g), n = g->n_pending;
    l1_token tokens[MAX_PENDING + L1_DRAFT_MAX];
    memcpy(tokens, g->pending, (size_t)n * sizeof *tokens);
    memcpy(tokens + n, g->draft, (size_t)k * sizeof *tokens);
    const double t0 = now_ms();
    l1_status st = eval(g, tokens, n + k, k ? L1_EVAL_ALL_LOGITS : 0);
    const double t = now_ms() - t0;
    l1_ctx *c = g->ctx;
    if (st == L1_OK && n == 1) { /* L1_DRAFT_AUTO's times */
        if (k == 0) c->t_eval_one = ema(c->t_eval_one, t);
        else if (c->t_eval_one > 0)
            c->t_eval_extra = ema(c->t_eval_extra, t > c->t_eval_one ? (t - c->t_eval_one) / k : 1e-6);
    }
    g->undrafted = k ? 0 : g->undrafted + 1;
    if (st == L1_ERR_ABORTED) {
        finish(g, L1_FINISH_ABORTED);
        *ended = true;
        return L1_OK;
    }
    if (st != L1_OK) return st;
    g->n_pending = 0;
    g->n_draft = k;
    g->draft_i = 0;
    g->draft_row = k ? n - 1 : -1;
    g->draft_live = true;
    g->draft_eval = l1__ctx_eval_id(g->ctx);
    g->res.draft_tokens += k;
    return L1_OK;
}

/* Makes g->logits the next position's (logits_ready), from a draft row or
 * an evaluation of the pending tokens.  Returns with logits_ready false
 * when the response ended (context full, abort) or, batched, the group
 * must evaluate first (need_eval). */
static l1_status next_logits(l1_gen *g) {
    l1_status st;
    const float *lg = draft_logits(g);
    if (!lg) {
        bool ended;
        if (g->draft_live && (st = reclaim_logits(g)) != L1_OK) return st;
        st = flush_pending(g, &ended);
        if (st != L1_OK || ended || g->need_eval) return st;
        if (!(lg = draft_logits(g))) return l1__error(L1_ERR_INTERNAL, "gen: no logits after an evaluation");
    }
    memcpy(g->logits, lg, (size_t)g->n_vocab * sizeof *lg);
    g->logits_ready = true;
    return L1_OK;
}

/*
 * The look-ahead.  When the controller is about to act on the model (the
 * soft-landing window begins, or the close is due at N - R' when there is
 * no window; still thinking), the model may well be about to finish: a
 * model that follows "Think for maximum N tokens." plans its response to
 * end within N, and pushing or closing it there would cut a route that
 * fits.  So first the response is run ahead on copies of the sampler's
 * and the controller's state, the controller trusting the model (no boost,
 * no forced close, its masks kept), one token at a time from the logits
 * in g->logits, until it ends (EOS or another end-of-turn token) or
 * reaches N; the evaluated positions are then removed from the cache.
 * When it ends within N (or its thinking closed and only the end-of-turn
 * token falls past N: the whole answer fits, and the response stops at N
 * without it, as a plain cut at N would), the controller is told to trust
 * the model and the response goes on as foreseen: the same logits give
 * the same tokens (greedy, or from the sampler's copied random state), so
 * the response is the one the model writes without a controller.  When it
 * does not, the soft landing and the close come as before.  Stop strings
 * and the spelled-close mask are not applied ahead (a stop string would
 * only end the response sooner); a token that differs from the foreseen
 * one ends the trust (step).  The spelled-close mask not applied ahead
 * can only make a foreseen token differ (the trust then ends); a close
 * the model spells from ordinary tokens is not seen ahead (no trust).
 * The cost: up to W' + R' evaluations (at most PROBE_MAX), once per
 * response that is still thinking there, counted in probe_tokens; in a
 * group (l1_gen_step) the others wait for them.  Needs logits_ready;
 * drops live drafts.
 */
static l1_status probe_end(l1_gen *g) {
    const int32_t left = g->budget.p.budget - g->budget.n;
    if (left > PROBE_MAX) return L1_OK; /* looked at later, when no more is left */
    g->probed = true;
    /* N is clamped to the context's room, so the positions fit; a prompt
     * that filled the context leaves none (the step then ends the
     * response with context_full). */
    if (left > l1__ctx_n_ctx(g->ctx) - g->n_cache) return L1_OK;
    l1_status st = L1_OK;
    if (g->draft_live && (st = drop_drafts(g)) != L1_OK) return st;
    if (!g->probe_sampler) st = l1__sampler_clone(g->sampler, &g->probe_sampler);
    else l1__sampler_copy_state(g->probe_sampler, g->sampler);
    if (st != L1_OK) return st;
    l1__budget b = g->budget;
    l1__budget_trust(&b, true);
    const int32_t base = g->n_cache;
    float *lg = g->probe_logits;
    memcpy(lg, g->logits, (size_t)g->n_vocab * sizeof *lg);
    int32_t n = 0;
    bool ends = false;
    while (!l1__budget_done(&b) && n < PROBE_MAX) {
        l1_token tok;
        if (!l1__budget_forced_token(&b, &tok)) {
            (void)l1__budget_before_sample(&b, lg);
            if ((st = l1__sampler_sample(g->probe_sampler, lg, &tok)) != L1_OK) break;
            (void)l1__budget_after_sample(&b, &tok);
        }
        l1__sampler_accept(g->probe_sampler, tok);
        l1__budget_accept(&b, tok);
        g->probe[n++] = tok;
        if (l1__budget_finish(&b) == L1_FINISH_EOS) {
            ends = true;
            break;
        }
        const bool at_n = l1__budget_done(&b);
        if (at_n && l1__budget_phase(&b) != L1_PHASE_ANSWER) break;
        st = l1__ctx_eval_seq(g->ctx, g->seq, &tok, 1, 0, poll_abort, g);
        if (st != L1_OK) break;
        memcpy(lg, l1__ctx_logits(g->ctx, -1), (size_t)g->n_vocab * sizeof *lg);
        if (at_n) { /* the answer is written: does only its end fall past N? */
            if ((st = l1__sampler_sample(g->probe_sampler, lg, &tok)) == L1_OK) ends = l1__budget_ends_turn(&b, tok);
            break;
        }
    }
    l1_status tr = L1_OK;
    if (l1__ctx_seq_n_past(g->ctx, g->seq) > base) tr = l1__ctx_seq_truncate(g->ctx, g->seq, base);
    if (st == L1_ERR_ABORTED) return finish(g, L1_FINISH_ABORTED), tr;
    if (st == L1_ERR_NUMERIC) st = L1_OK; /* the real step reports it */
    if (st != L1_OK) return st;
    if (tr != L1_OK) return tr;
    g->res.probe_tokens += n;
    if (ends) {
        g->n_probe = n;
        g->probe_i = 0;
        l1__budget_trust(&g->budget, true);
    }
    return L1_OK;
}

static l1_status step(l1_gen *g) {
    if (g->done) return L1_OK;
    /* The sequence holds what this generator placed there, or the response
     * cannot go on (its logits and cache record would be another's). */
    const int32_t held = l1__ctx_seq_n_past(g->ctx, g->seq);
    if (held != g->n_cache)
        return l1__error(L1_ERR_INVALID_ARG,
                         "gen: sequence %d of the context was changed outside the generator during the response "
                         "(it holds %d positions, the generator placed %d)",
                         (int)g->seq, (int)held, (int)g->n_cache);
    if (l1__budget_done(&g->budget)) return finish(g, l1__budget_finish(&g->budget)), L1_OK;
    if (abort_between_tokens(g)) return finish(g, L1_FINISH_ABORTED), L1_OK;
    if (g->params.max_tokens > 0 && g->n_out >= g->params.max_tokens)
        return finish(g, L1_FINISH_MAX_TOKENS), L1_OK;
    l1_token tok;
    l1_status st;
    if (!g->probed && l1__budget_acts(&g->budget)) {
        if (!g->logits_ready && ((st = next_logits(g)) != L1_OK || !g->logits_ready)) return st;
        if ((st = probe_end(g)) != L1_OK || g->done) return st;
    }
    bool forced = l1__budget_forced_token(&g->budget, &tok);
    if (!forced) {
        if (!g->logits_ready && ((st = next_logits(g)) != L1_OK || !g->logits_ready)) return st;
        (void)l1__budget_before_sample(&g->budget, g->logits);
        if (g->params.budget_mode != L1_BUDGET_OFF && !l1__budget_close_allowed(&g->budget))
            l1__gen_mask_spelled_close(g->tok, g->flags, g->n_vocab, g->tail, g->n_tail, g->logits);
        if ((st = l1__sampler_sample(g->sampler, g->logits, &tok))) return st;
        forced = l1__budget_after_sample(&g->budget, &tok);
    }
    /* The logits are used: the next position's come from the next draft
     * row or an evaluation of the pending tokens. */
    g->logits_ready = false;
    bool in_cache;
    if ((st = take_draft(g, tok, &in_cache)) != L1_OK) return st;
    l1_phase phase0 = l1__budget_phase(&g->budget);
    bool opened0 = l1__budget_opened(&g->budget);
    /* Trusted after a look-ahead: a token it did not foresee (a batch's
     * logits may differ from a lone sequence's in the last bits) ends the
     * trust, and the close is due again. */
    const bool foreseen = g->probe_i < g->n_probe && tok == g->probe[g->probe_i];
    if (g->n_probe > 0) g->probe_i = foreseen ? g->probe_i + 1 : g->n_probe;
    l1__sampler_accept(g->sampler, tok);
    l1__budget_accept(&g->budget, tok);
    if (g->n_probe > 0 && !foreseen) {
        g->n_probe = g->probe_i = 0;
        l1__budget_trust(&g->budget, false);
    }
    g->out[g->n_out++] = tok;
    if (g->n_out == 1) g->res.first_token_ms = since_begin(g);
    if (phase0 == L1_PHASE_ANSWER && !forced && g->res.first_answer_ms == 0.0)
        g->res.first_answer_ms = since_begin(g);
    if (!in_cache) {
        if (g->n_pending == MAX_PENDING) return l1__error(L1_ERR_INTERNAL, "gen: pending tokens overflow");
        g->pending[g->n_pending++] = tok;
    }
    emit(g, tok, forced, phase0, opened0);
    if (!g->done && l1__budget_done(&g->budget)) finish(g, l1__budget_finish(&g->budget));
    return L1_OK;
}

/* ---- begin / next / end ---------------------------------------------------------------- */

/* Whether ids[0..n) hold one of the model's `<think>`, `</think>` or EOS. */
static bool holds_role(const l1__budget_tokens *t, const l1_token *ids, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        if (ids[i] == t->think_open || ids[i] == t->think_close || ids[i] == t->eos) return true;
    return false;
}

/* The budget controller's token ids and parameters for this response; N
 * clamped to what can be generated after the n-token prompt. */
static l1_status setup_budget(l1_gen *g, const l1_gen_params *p, const l1_token *prompt, int32_t n,
                              l1_token *trans, int32_t n_trans, const l1_token *close, int32_t n_close) {
    l1__budget_tokens t = {g->n_vocab, l1__tokenizer_role(g->tok, L1_SPECIAL_THINK_OPEN),
                           l1__tokenizer_role(g->tok, L1_SPECIAL_THINK_CLOSE),
                           l1__tokenizer_role(g->tok, L1_SPECIAL_EOS), trans, n_trans, g->flags,
                           g->eog, g->n_eog, close, n_close};
    const bool on = p->budget_mode != L1_BUDGET_OFF;
    if (on && (t.think_close < 0 || t.eos < 0))
        return l1__error(L1_ERR_UNSUPPORTED, "gen: budget mode %s needs the model's %s token, which "
                         "its vocabulary lacks", l1_budget_mode_name(p->budget_mode),
                         t.think_close < 0 ? "</think>" : "end-of-sequence");
    if (on && t.think_close == t.eos)
        return l1__error(L1_ERR_UNSUPPORTED, "gen: budget mode %s cannot work on this model: its </think> and "
                         "end-of-sequence are the same token %d", l1_budget_mode_name(p->budget_mode),
                         (int)t.eos);
    if (on && t.think_open >= 0 && (t.think_open == t.eos || t.think_open == t.think_close))
        t.think_open = -1; /* a <think> that is also EOS or </think> cannot be told apart: not tracked */
    /* The default transition is ours: on a model whose tags or EOS are
     * ordinary text pieces of it, it is left out rather than refused. */
    if (!on || (!p->transition && holds_role(&t, trans, n_trans))) t.n_transition = 0;
    if (!on) t.n_close_text = 0;
    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.mode = p->budget_mode;
    g->budget_asked = p->budget;
    bp.budget = p->budget;
    if (on) {
        /* No room at all: N stays, and the prefill reports the full context. */
        const int32_t room = l1__ctx_n_ctx(g->ctx) - n;
        if (room > 0 && room < bp.budget) bp.budget = room;
        if (p->max_tokens > 0 && p->max_tokens < bp.budget) bp.budget = p->max_tokens;
        if (p->reserve > bp.budget)
            return l1__error(L1_ERR_INVALID_ARG,
                             "gen: reserve %d cannot be honoured: the budget %d is clamped to %d (%s)",
                             (int)p->reserve, (int)p->budget, (int)bp.budget,
                             p->max_tokens > 0 && p->max_tokens == bp.budget
                                 ? "max_tokens"
                                 : "the context's room after the prompt");
    }
    if (p->reserve > 0) bp.reserve = p->reserve;
    if (p->window == L1_WINDOW_NONE) bp.window = 0;
    else if (p->window > 0) bp.window = p->window;
    /* Thinking is open when the prompt's last `<think>` is not closed. */
    int32_t last_open = -1, last_close = -1;
    for (int32_t i = 0; i < n; i++) {
        if (prompt[i] == t.think_open && t.think_open >= 0) last_open = i;
        if (prompt[i] == t.think_close && t.think_close >= 0) last_close = i;
    }
    bp.thinking_open = last_open > last_close;
    return l1__budget_init(&g->budget, &bp, &t);
}

/* Tokenizes a forced text (once per response, not per forced close). */
static l1_status text_tokens(l1_gen *g, const char *what, const char *text, l1_token *out, int32_t *n) {
    size_t need = 0;
    *n = 0;
    if (!text || !text[0]) return L1_OK;
    l1_status st = l1__tokenize(g->tok, text, strlen(text), 0, out, L1__BUDGET_MAX_TRANSITION, &need);
    if (st == L1_ERR_BUFFER_TOO_SMALL)
        return l1__error(L1_ERR_INVALID_ARG, "gen params: %s is %zu tokens, more than %d", what, need,
                         L1__BUDGET_MAX_TRANSITION);
    *n = (int32_t)need;
    return st;
}

l1_status l1__gen_render(const l1_model *m, const l1_message *msgs, int32_t n, const l1_gen_params *p,
                        l1__prompt *out, l1_template *used) {
    l1__prompt_style style;
    memset(out, 0, sizeof *out);
    l1_status st = l1__prompt_style_of_model(m, p->template_mode, p->think_prefix, &style);
    if (st != L1_OK) return st;
    l1__prompt_sentence s = {p->think_sentence, p->budget_mode == L1_BUDGET_EXACT, p->budget, p->msg_budget};
    if (used) *used = style.family == L1__FAMILY_R1 ? L1_TEMPLATE_R1
                      : style.family == L1__FAMILY_CHATML ? L1_TEMPLATE_CHATML
                                                          : L1_TEMPLATE_RAW;
    return l1__prompt_render(out, &style, msgs, n, &s);
}

/* Brings the cache to `prompt`: keeps the longest prefix already there
 * (but re-evaluates at least the last token, whose logits are needed). */
static l1_status prefill(l1_gen *g, const l1_token *prompt, int32_t n) {
    if (n < 1) return l1__error(L1_ERR_INVALID_ARG, "gen: the prompt renders to no token");
    const int32_t n_ctx = l1__ctx_n_ctx(g->ctx);
    if (n > n_ctx)
        return l1__error(L1_ERR_CONTEXT_FULL, "gen: the prompt is %d tokens, the context holds %d", n, n_ctx);
    if (l1__ctx_seq_n_past(g->ctx, g->seq) != g->n_cache) g->n_cache = 0; /* someone else used the sequence */
    int32_t keep = 0;
    while (keep < g->n_cache && keep < n - 1 && g->cache[keep] == prompt[keep]) keep++;
    l1_status st = l1__ctx_seq_truncate(g->ctx, g->seq, keep);
    if (st != L1_OK) return st;
    g->n_cache = keep;
    g->res.prompt_tokens = n;
    g->res.prompt_reused = keep;
    g->res.prefill_tokens = n - keep;
    double t0 = now_ms();
    st = eval(g, prompt + keep, n - keep, 0);
    g->res.prefill_ms = now_ms() - t0;
    if (st == L1_OK) { /* kept: another sequence's evaluation may come before the first token */
        const float *lg = l1__ctx_logits(g->ctx, -1);
        if (!lg) return l1__error(L1_ERR_INTERNAL, "gen: no logits after the prompt");
        memcpy(g->logits, lg, (size_t)g->n_vocab * sizeof *lg);
        g->logits_ready = true;
    }
    if (st == L1_ERR_ABORTED) {
        g->done = true;
        l1__budget_stop(&g->budget, L1_FINISH_ABORTED);
        return L1_OK;
    }
    return st;
}

/* shared: the prompt is already in g's sequence (copied from another
 * sequence's prefill by l1_generate_n): no evaluation. */
static l1_status begin_response(l1_gen *g, const l1_gen_params *p, const l1_token *prompt, int32_t n,
                                bool shared) {
    l1_token trans[L1__BUDGET_MAX_TRANSITION], close[L1__BUDGET_MAX_TRANSITION];
    int32_t n_trans = 0, n_close = 0;
    l1__sample_params sp;
    sample_params(p, &sp);
    l1_status st;
    if ((st = text_tokens(g, "transition", p->transition ? p->transition : DEFAULT_TRANSITION, trans, &n_trans)) ||
        (st = text_tokens(g, "close_text", p->close_text, close, &n_close)) ||
        (st = setup_budget(g, p, prompt, n, trans, n_trans, close, n_close)) ||
        (st = l1__sampler_create(&sp, g->n_vocab, &g->sampler)) ||
        (st = l1__stopper_init(&g->stop, p->stop, p->n_stop, g->max_piece)))
        return st;
    g->stop.close_on = l1__budget_phase(&g->budget) == L1_PHASE_THINKING;
    g->prev_forced = false;
    g->n_tail = 0;
    g->n_draft = g->draft_i = 0;
    g->draft_live = false;
    g->probed = false;
    g->n_probe = g->probe_i = 0;
    l1__detok_init(&g->detok, g->tok);
    g->active = true;
    if (shared) {
        memcpy(g->cache, prompt, (size_t)n * sizeof *prompt);
        g->n_cache = n;
        g->res.prompt_tokens = g->res.prompt_reused = n;
    } else if ((st = prefill(g, prompt, n))) {
        return st;
    }
    clock_gettime(CLOCK_MONOTONIC, &g->t_decode);
    return L1_OK;
}

l1_status l1__gen_begin_chat(l1_gen *g, const l1_message *msgs, int32_t n_msgs, const l1_gen_params *params) {
    if (g->active) l1__gen_end(g, NULL);
    const double t_begin = now_ms();
    const l1_gen_params p = params ? *params : l1__gen_default_params();
    l1_status st = l1__gen_check_params(&p, g->n_vocab);
    if (st != L1_OK) return st;
    atomic_store(&g->abort_flag, 0);
    memset(&g->res, 0, sizeof g->res);
    g->t_begin = t_begin;
    g->params = p;
    g->params.stop = NULL; /* copied into the stopper; not kept */
    g->done = false;
    g->need_eval = g->logits_ready = false;
    g->n_out = g->n_pending = 0;
    g->ev_head = g->ev_n = 0;
    l1__prompt pr;
    l1_token *ids = NULL;
    int32_t n = 0;
    if ((st = l1__gen_render(l1__ctx_model(g->ctx), msgs, n_msgs, &p, &pr, &g->res.template_used)) == L1_OK &&
        (st = l1__prompt_tokenize(&pr, g->tok, &ids, &n)) == L1_OK)
        st = begin_response(g, &p, ids, n, false);
    l1__prompt_free(&pr);
    l1__free(ids);
    if (st != L1_OK) response_free(g);
    return st;
}

l1_status l1__gen_next(l1_gen *g, l1_piece *out) {
    if (!g->active) return l1__error(L1_ERR_INVALID_ARG, "l1_gen_next: no response begun");
    while (g->ev_n == 0 && !g->done) {
        l1_status st = step(g);
        if (st != L1_OK) {
            finish(g, L1_FINISH_ABORTED);
            g->ev_n = 0;
            return st;
        }
    }
    if (g->ev_n > 0) {
        *out = g->ev[g->ev_head].p;
        g->ev_head = (g->ev_head + 1) % QUEUE;
        g->ev_n--;
        return L1_OK;
    }
    l1__budget_report r;
    l1__budget_report_get(&g->budget, &r);
    *out = (l1_piece){L1_PIECE_END, "", 0, r.phase, 0, r.used, r.limit, r.finish};
    return L1_OK;
}

l1_status l1__gen_end(l1_gen *g, l1_gen_result *out) {
    if (!g->active) {
        if (out) *out = g->res;
        return L1_OK;
    }
    finish(g, L1_FINISH_ABORTED);
    l1__budget_report r;
    l1__budget_report_get(&g->budget, &r);
    g->res.budget_mode = r.mode;
    g->res.budget = g->budget_asked;
    g->res.budget_effective = r.budget_effective;
    g->res.reserve_effective = r.reserve_effective;
    g->res.tokens_thinking = r.tokens_thinking;
    g->res.tokens_answer = r.tokens_answer;
    g->res.close = r.close;
    g->res.close_mid_word = r.close_mid_word;
    g->res.answer_truncated = r.answer_truncated;
    g->res.finish = r.finish;
    g->res.decode_tokens = g->n_out;
    response_free(g);
    if (out) *out = g->res;
    return L1_OK;
}

/* ---- several responses at once ---------------------------------------------------------- */

l1_status l1__gen_new_seq(l1_ctx *ctx, int32_t seq, l1_gen **out) {
    *out = NULL;
    if (seq < 0 || seq >= l1__ctx_n_seq(ctx))
        return l1__error(L1_ERR_INVALID_ARG, "l1_gen_new_seq: sequence %d outside [0, %d) (the context's n_seq)",
                         seq, l1__ctx_n_seq(ctx));
    l1_status st = l1__gen_new(ctx, out);
    if (st == L1_OK) (*out)->seq = seq;
    return st;
}

/* Whether the next step of g needs its pending tokens evaluated (the
 * checks step() makes before it would evaluate them, in its order). */
static bool wants_eval(l1_gen *g) {
    l1_token tok;
    if (!g->active || g->done || g->logits_ready || g->n_pending == 0) return false;
    if (l1__budget_done(&g->budget) || (g->params.max_tokens > 0 && g->n_out >= g->params.max_tokens)) return false;
    if (l1__budget_forced_token(&g->budget, &tok) && (g->probed || !l1__budget_acts(&g->budget)))
        return false;
    return g->n_pending <= l1__ctx_n_ctx(g->ctx) - l1__ctx_seq_n_past(g->ctx, g->seq);
}

typedef struct group_poll {
    l1_gen *const *gens;
    const int32_t *last;
    int32_t n;
} group_poll;

/* A group's evaluation stops only when every response in it asks to. */
static int poll_group(void *user) {
    const group_poll *gp = user;
    for (int32_t i = 0; i < gp->n; i++)
        if (gp->last[i] >= 0 && !poll_abort(gp->gens[i])) return 0;
    return 1;
}

/* One l1_ctx_decode of every waiting response's pending tokens; each gets
 * its next logits copied. */
static l1_status eval_waiting(l1_gen *const *gens, int32_t k) {
    l1_token tok[L1_MAX_SEQ * MAX_PENDING];
    int32_t seq[L1_MAX_SEQ * MAX_PENDING], last[L1_MAX_SEQ];
    int32_t n = 0;
    for (int32_t i = 0; i < k; i++) {
        l1_gen *g = gens[i];
        last[i] = -1;
        if (g->done || !g->need_eval) continue;
        for (int32_t j = 0; j < g->n_pending; j++) {
            tok[n] = g->pending[j];
            seq[n++] = g->seq;
        }
        last[i] = n - 1;
    }
    if (n == 0) return L1_OK;
    l1_batch b = {n, tok, seq, NULL, NULL};
    group_poll gp = {gens, last, k};
    l1_status st = l1__ctx_decode(gens[0]->ctx, &b, poll_group, &gp);
    for (int32_t i = 0; i < k; i++) {
        l1_gen *g = gens[i];
        if (last[i] < 0) continue;
        g->need_eval = false;
        if (st == L1_ERR_ABORTED) {
            finish(g, L1_FINISH_ABORTED);
            continue;
        }
        if (st != L1_OK) continue;
        memcpy(g->cache + g->n_cache, g->pending, (size_t)g->n_pending * sizeof *g->pending);
        g->n_cache += g->n_pending;
        g->n_pending = 0;
        memcpy(g->logits, l1__ctx_batch_logits(g->ctx, last[i]), (size_t)g->n_vocab * sizeof *g->logits);
        g->logits_ready = true;
    }
    return st == L1_ERR_ABORTED ? L1_OK : st;
}

l1_status l1__gen_step_group(l1_gen *const *gens, int32_t n) {
    if (n < 1 || n > L1_MAX_SEQ || !gens)
        return l1__error(L1_ERR_INVALID_ARG, "l1_gen_step: %d generators (1 to %d)", n, L1_MAX_SEQ);
    for (int32_t i = 0; i < n; i++) {
        if (!gens[i]) return l1__error(L1_ERR_INVALID_ARG, "l1_gen_step: generator %d is NULL", i);
        if (gens[i]->ctx != gens[0]->ctx)
            return l1__error(L1_ERR_INVALID_ARG, "l1_gen_step: generators %d and 0 are on different contexts", i);
        for (int32_t j = 0; j < i; j++)
            if (gens[j]->seq == gens[i]->seq)
                return l1__error(L1_ERR_INVALID_ARG, "l1_gen_step: generators %d and %d write the same sequence %d",
                                 j, i, gens[i]->seq);
    }
    for (int32_t i = 0; i < n; i++) {
        l1_gen *g = gens[i];
        if (!g->active) continue;
        if (g->draft_live) { /* stepped alone before: its next logits are kept, or it evaluates again */
            const float *lg = draft_logits(g);
            if (lg) memcpy(g->logits, lg, (size_t)g->n_vocab * sizeof *lg);
            l1_status st = lg ? drop_drafts(g) : reclaim_logits(g);
            if (st != L1_OK) return st;
            g->logits_ready = lg != NULL;
        }
        g->batched = true;
        l1_status st = L1_OK;
        while (st == L1_OK && !g->done && !g->need_eval && g->ev_n == 0) st = step(g);
        g->batched = false;
        if (st != L1_OK) {
            finish(g, L1_FINISH_ABORTED);
            g->ev_n = 0;
            return st;
        }
        if (!g->need_eval && wants_eval(g)) g->need_eval = true;
    }
    return eval_waiting(gens, n);
}

int32_t l1__gen_poll(l1_gen *g, l1_piece *out) {
    if (!g->active) return -1;
    if (g->ev_n > 0) {
        *out = g->ev[g->ev_head].p;
        g->ev_head = (g->ev_head + 1) % QUEUE;
        g->ev_n--;
        return 1;
    }
    if (!g->done) return 0;
    l1__budget_report r;
    l1__budget_report_get(&g->budget, &r);
    *out = (l1_piece){L1_PIECE_END, "", 0, r.phase, 0, r.used, r.limit, r.finish};
    return 1;
}

/* Begins the k responses: the prompt is rendered and evaluated once by
 * response 0, then copied to the other sequences. */
static l1_status begin_n(l1_gen **gens, int32_t k, const char *prompt, const l1_gen_params *p) {
    l1_gen *g0 = gens[0];
    l1_message m = {L1_MSG_USER, prompt};
    l1__prompt pr;
    l1_token *ids = NULL;
    int32_t n = 0;
    l1_status st;
    for (int32_t i = 0; i < k; i++) {
        l1_gen *g = gens[i];
        g->params = *p;
        g->params.seed = p->seed + (uint64_t)i;
        g->params.stop = NULL;
        g->t_begin = now_ms();
    }
    if ((st = l1__gen_render(l1__ctx_model(g0->ctx), &m, 1, p, &pr, &g0->res.template_used)) == L1_OK &&
        (st = l1__prompt_tokenize(&pr, g0->tok, &ids, &n)) == L1_OK) {
        st = begin_response(g0, p, ids, n, false);
        for (int32_t i = 1; st == L1_OK && i < k; i++) {
            l1_gen *g = gens[i];
            l1_gen_params pi = *p;
            pi.seed = p->seed + (uint64_t)i;
            g->res.template_used = g0->res.template_used;
            if (g0->done) { /* aborted during the prompt: so are the others */
                if ((st = begin_response(g, &pi, ids, n, true)) == L1_OK) finish(g, L1_FINISH_ABORTED);
                continue;
            }
            if ((st = l1__ctx_seq_copy(g0->ctx, 0, i, n)) == L1_OK && (st = begin_response(g, &pi, ids, n, true)) == L1_OK) {
                memcpy(g->logits, g0->logits, (size_t)g->n_vocab * sizeof *g->logits);
                g->logits_ready = true;
            }
        }
    }
    l1__prompt_free(&pr);
    l1__free(ids);
    return st;
}

/* Hands the queued events of response i to the callback; a nonzero return
 * stops that response (its final flush is not delivered, as in l1_generate). */
static void drain(l1_gen *g, int32_t i, l1_seq_piece_fn on_piece, void *user) {
    l1_piece p;
    while (g->ev_n > 0 && l1__gen_poll(g, &p) == 1)
        if (on_piece && on_piece(i, &p, user) && !g->done) {
            finish(g, L1_FINISH_ABORTED);
            g->ev_n = 0;
        }
}

l1_status l1__generate_n(l1_ctx *ctx, const char *prompt, int32_t k, const l1_gen_params *params,
                         l1_seq_piece_fn on_piece, void *user, l1_gen_result *results) {
    if (k < 1 || k > l1__ctx_n_seq(ctx))
        return l1__error(L1_ERR_INVALID_ARG, "l1_generate_n: k %d outside [1, %d] (the context's n_seq)", k,
                         l1__ctx_n_seq(ctx));
    const l1_gen_params p = params ? *params : l1__gen_default_params();
    l1_status st = l1__gen_check_params(&p, l1__ctx_n_vocab(ctx));
    if (st != L1_OK) return st;
    l1_gen *gens[L1_MAX_SEQ] = {0};
    for (int32_t i = 0; st == L1_OK && i < k; i++) st = l1__gen_new_seq(ctx, i, &gens[i]);
    if (st == L1_OK) st = begin_n(gens, k, prompt, &p);
    while (st == L1_OK) {
        bool running = false;
        for (int32_t i = 0; i < k; i++) {
            drain(gens[i], i, on_piece, user);
            running |= !gens[i]->done;
        }
        if (!running) break;
        st = l1__gen_step_group(gens, k);
    }
    for (int32_t i = 0; i < k; i++) {
        if (!gens[i]) continue;
        l1_gen_result r;
        l1__gen_end(gens[i], &r);
        if (results) results[i] = r;
        l1__gen_free(gens[i]);
    }
    return st;
}
