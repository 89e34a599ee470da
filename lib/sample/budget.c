/*
 * budget.c - the budget controller of budget.h.
 *
 * All decisions are functions of a few integers fixed at init (R', the
 * close position, the wait G', the exact-mode floor, the window start) and
 * of the running count n, so the guarantees read off directly: the forced
 * sequence starts at n = N - R' + G' at the latest, it is C' + 1 + T' tokens
 * long with G' + C' + T' + 2 <= R', so at least one answer slot follows it,
 * and the controller reports done at n = N.  Nothing is allocated; the
 * state is plain data.
 */
#include "sample/budget.h"

#include <math.h>
#include <string.h>

#include "base/base.h"

void l1__budget_params_default(l1__budget_params *p) {
    memset(p, 0, sizeof *p);
    p->mode = L1_BUDGET_OFF;
    p->budget = 0;
    p->reserve = -1;
    p->window = L1__BUDGET_DEFAULT_WINDOW;
    p->tolerance = -1;
    p->boost = L1__BUDGET_DEFAULT_BOOST;
    p->wait = L1__BUDGET_DEFAULT_WAIT;
    p->thinking_open = false;
}

static l1_status check_count(const char *name, int32_t v, int32_t lo) {
    if (v < lo || v > L1__BUDGET_MAX_TOKENS)
        return l1__error(L1_ERR_INVALID_ARG, "budget: %s = %d is outside [%d, %d]", name, (int)v, (int)lo,
                         L1__BUDGET_MAX_TOKENS);
    return L1_OK;
}

static l1_status check_token(const char *name, l1_token id, int32_t n_vocab, bool required) {
    if (id == -1 && !required) return L1_OK;
    if (id < 0 || id >= n_vocab)
        return l1__error(L1_ERR_INVALID_ARG, "budget: %s token %d is outside [0, %d)%s", name, (int)id, (int)n_vocab,
                         required ? " (required by the budget mode)" : " (use -1 for none)");
    return L1_OK;
}

/* ids[0..n) are ordinary tokens of the vocabulary (a transition, a close text). */
static l1_status check_text_ids(const l1__budget_tokens *t, const char *what, const l1_token *ids, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        l1_token id = ids[i];
        if (id < 0 || id >= t->n_vocab)
            return l1__error(L1_ERR_INVALID_ARG, "budget: %s[%d] = %d is outside [0, %d)", what, (int)i, (int)id,
                             (int)t->n_vocab);
        const char *role = id == t->think_open ? "<think>" : id == t->think_close ? "</think>" : id == t->eos ? "EOS" : NULL;
        if (role)
            return l1__error(L1_ERR_INVALID_ARG, "budget: %s[%d] = %d is the model's %s token", what, (int)i, (int)id,
                             role);
    }
    return L1_OK;
}

static l1_status check_tokens(const l1__budget_tokens *t, bool required) {
    if (t->n_vocab <= 0) return l1__error(L1_ERR_INVALID_ARG, "budget: n_vocab = %d must be positive", (int)t->n_vocab);
    l1_status st;
    if ((st = check_token("think_open", t->think_open, t->n_vocab, false)) != L1_OK) return st;
    if ((st = check_token("think_close", t->think_close, t->n_vocab, required)) != L1_OK) return st;
    if ((st = check_token("eos", t->eos, t->n_vocab, required)) != L1_OK) return st;
    const l1_token ids[3] = {t->think_open, t->think_close, t->eos};
    const char *names[3] = {"think_open", "think_close", "eos"};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < i; j++)
            if (ids[i] >= 0 && ids[i] == ids[j])
                return l1__error(L1_ERR_INVALID_ARG, "budget: %s and %s are the same token %d", names[j], names[i],
                                 (int)ids[i]);
    if ((st = l1__check_array("budget", "transition", t->transition, t->n_transition, L1__BUDGET_MAX_TRANSITION)) ||
        (st = l1__check_array("budget", "close_text", t->close_text, t->n_close_text, L1__BUDGET_MAX_TRANSITION)) ||
        (st = l1__check_array("budget", "eog", t->eog, t->n_eog, L1__BUDGET_MAX_EOG)))
        return st;
    /* The forced texts matter only when something is forced. */
    if (required && ((st = check_text_ids(t, "transition", t->transition, t->n_transition)) ||
                     (st = check_text_ids(t, "close_text", t->close_text, t->n_close_text))))
        return st;
    for (int32_t i = 0; i < t->n_eog; i++)
        if (t->eog[i] < 0 || t->eog[i] >= t->n_vocab)
            return l1__error(L1_ERR_INVALID_ARG, "budget: eog[%d] = %d is outside [0, %d)", (int)i, (int)t->eog[i],
                             (int)t->n_vocab);
    return L1_OK;
}

l1_status l1__budget_check(const l1__budget_params *p, const l1__budget_tokens *t) {
    if (!p || !t) return l1__error(L1_ERR_INVALID_ARG, "budget: NULL parameters");
    if (p->mode != L1_BUDGET_OFF && p->mode != L1_BUDGET_MAX && p->mode != L1_BUDGET_EXACT)
        return l1__error(L1_ERR_INVALID_ARG, "budget: mode %d is not off, max or exact", (int)p->mode);
    bool on = p->mode != L1_BUDGET_OFF;
    l1_status st = check_tokens(t, on);
    if (st != L1_OK || !on) return st;
    if ((st = check_count("budget", p->budget, 0)) != L1_OK) return st;
    if (p->reserve != -1) {
        if (p->reserve < 2 + t->n_transition)
            return l1__error(L1_ERR_INVALID_ARG,
                             "budget: reserve = %d leaves no answer token after </think> and the %d-token transition "
                             "(need >= %d)",
                             (int)p->reserve, (int)t->n_transition, (int)(2 + t->n_transition));
        if ((st = check_count("reserve", p->reserve, 2)) != L1_OK) return st;
        if (p->reserve > p->budget)
            return l1__error(L1_ERR_INVALID_ARG, "budget: reserve = %d cannot be honoured within a budget of %d tokens",
                             (int)p->reserve, (int)p->budget);
    }
    if ((st = check_count("window", p->window, 0)) != L1_OK) return st;
    if ((st = check_count("wait", p->wait, 0)) != L1_OK) return st;
    if (p->tolerance != -1 && (st = check_count("tolerance", p->tolerance, p->reserve > 0 ? p->reserve : 0)) != L1_OK)
        return st;
    if (isnan(p->boost) || !(p->boost >= 0.0f && p->boost <= 100.0f))
        return l1__error(L1_ERR_INVALID_ARG, "budget: boost = %g is outside [0, 100]", (double)p->boost);
    return L1_OK;
}

static int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }
static int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }

/* Whether the last accepted piece ends a word (the start counts as one). */
static bool last_ends_word(const l1__budget *b) {
    return !b->t.flags || b->last < 0 || (b->t.flags[b->last] & (L1__PIECE_WORD_END | L1__PIECE_LINE_END |
                                                                 L1__PIECE_SENTENCE_END));
}

/* The forced sequence starts now: what of it no longer fits in N with one
 * answer token is dropped whole, the close text first, then the
 * transition.  The reserve makes this a no-op, except after a trust that
 * ended late (l1__budget_trust). */
static void start_close(l1__budget *b) {
    const int32_t left = b->p.budget - b->n;
    if (b->close_text_eff + 1 + b->transition_eff + 1 > left) b->close_text_eff = 0;
    if (1 + b->transition_eff + 1 > left) b->transition_eff = 0;
    b->forced_pos = 0;
}

/* From n = N - R' on, while still thinking: the forced sequence starts at
 * once after a word end, or at n = N - R' + G' whatever the last piece. */
static void update_forcing(l1__budget *b) {
    if (b->p.mode == L1_BUDGET_OFF || b->finish != L1_FINISH_NONE || b->phase != L1_PHASE_THINKING ||
        b->forced_pos >= 0 || b->n < b->close_at || b->trusted)
        return;
    if (last_ends_word(b)) {
        start_close(b);
    } else if (b->n >= b->close_at + b->wait_eff) {
        start_close(b);
        b->mid_word = true;
    }
}

l1_status l1__budget_init(l1__budget *b, const l1__budget_params *p, const l1__budget_tokens *t) {
    if (!b) return l1__error(L1_ERR_INVALID_ARG, "budget: NULL controller");
    l1_status st = l1__budget_check(p, t);
    if (st != L1_OK) return st;
    memset(b, 0, sizeof *b);
    b->p = *p;
    b->t = *t;
    if (t->n_transition > 0) memcpy(b->transition, t->transition, (size_t)t->n_transition * sizeof(l1_token));
    b->t.transition = b->transition;
    if (t->n_eog > 0) memcpy(b->eog, t->eog, (size_t)t->n_eog * sizeof(l1_token));
    b->t.eog = b->eog;
    if (t->n_close_text > 0) memcpy(b->close_text, t->close_text, (size_t)t->n_close_text * sizeof(l1_token));
    b->t.close_text = b->close_text;
    b->forced_pos = -1;
    b->last = -1;
    b->phase = L1_PHASE_THINKING;
    b->opened = p->thinking_open;
    if (p->mode == L1_BUDGET_OFF) return L1_OK;
    const int32_t N = p->budget, T = t->n_transition, C = t->n_close_text;
    /* An automatic reserve takes about a quarter of a small budget, but
     * room for the wait, the close and a short answer when N allows. */
    if (p->reserve > 0) {
        b->reserve_eff = p->reserve;
    } else {
        int64_t need = (int64_t)(p->wait < L1__BUDGET_RESERVED_WAIT ? p->wait : L1__BUDGET_RESERVED_WAIT) + C + T +
                       1 + L1__BUDGET_ANSWER_ROOM;
        int32_t want = need > N / 4 ? (int32_t)(need < L1__BUDGET_MAX_TOKENS ? need : L1__BUDGET_MAX_TOKENS) : N / 4;
        b->reserve_eff = min32(min32(L1__BUDGET_DEFAULT_RESERVE, want), N);
    }
    b->close_at = N - b->reserve_eff;
    /* What does not fit is dropped whole, in this order of need: the
     * transition, 8 tokens of wait, the close text, a short answer, the
     * rest of the wait. */
    int32_t room = max32(0, b->reserve_eff - 2);
    b->transition_eff = T <= room ? T : 0;
    room -= b->transition_eff;
    b->wait_eff = min32(min32(p->wait, L1__BUDGET_RESERVED_WAIT), room);
    room -= b->wait_eff;
    b->close_text_eff = C <= room ? C : 0;
    room -= b->close_text_eff;
    room -= min32(room, L1__BUDGET_ANSWER_ROOM - 1);
    b->wait_eff += min32(p->wait - b->wait_eff, room);
    const int32_t window = min32(p->window, max32(N / 4, 1));
    int64_t tol = p->tolerance >= 0 ? p->tolerance : (int64_t)b->reserve_eff + window;
    if (tol < b->reserve_eff) tol = b->reserve_eff;
    b->floor = p->mode == L1_BUDGET_EXACT ? (int32_t)(N - tol > 0 ? N - tol : 0) : 0;
    b->window_start = max32(b->floor, b->close_at - min32(window, b->close_at));
    if (N == 0) b->finish = L1_FINISH_BUDGET;
    update_forcing(b);
    return L1_OK;
}

bool l1__budget_done(const l1__budget *b) { return b->finish != L1_FINISH_NONE; }

bool l1__budget_forced_token(const l1__budget *b, l1_token *tok) {
    if (b->finish != L1_FINISH_NONE || b->forced_pos < 0) return false;
    const int32_t C = b->close_text_eff;
    *tok = b->forced_pos < C    ? b->close_text[b->forced_pos]
           : b->forced_pos == C ? b->t.think_close
                                : b->transition[b->forced_pos - C - 1];
    return true;
}

bool l1__budget_after_sample(l1__budget *b, l1_token *tok) {
    if (b->p.mode == L1_BUDGET_OFF || b->finish != L1_FINISH_NONE || b->phase != L1_PHASE_THINKING ||
        b->forced_pos >= 0 || b->n < b->close_at || b->trusted || !b->t.flags || *tok < 0 || *tok >= b->t.n_vocab ||
        *tok == b->t.think_close || !(b->t.flags[*tok] & L1__PIECE_WORD_START))
        return false;
    start_close(b);
    return l1__budget_forced_token(b, tok);
}

/* The soft-landing factor of the piece just emitted: 0 inside a word. */
static float landing_factor(const l1__budget *b) {
    if (!b->t.flags || b->last < 0) return 1.0f;
    uint8_t f = b->t.flags[b->last];
    if (f & L1__PIECE_LINE_END) return 1.0f;
    if (f & L1__PIECE_SENTENCE_END) return 0.75f;
    if (f & L1__PIECE_WORD_END) return 0.25f;
    return 0.0f;
}

/* EOS and the other end-of-turn tokens to -inf. */
static unsigned mask_eos(const l1__budget *b, float *logits) {
    logits[b->t.eos] = -INFINITY;
    for (int32_t i = 0; i < b->t.n_eog; i++) logits[b->t.eog[i]] = -INFINITY;
    return L1__MASK_EOS;
}

unsigned l1__budget_before_sample(const l1__budget *b, float *logits) {
    if (b->p.mode == L1_BUDGET_OFF || b->finish != L1_FINISH_NONE) return 0;
    const l1__budget_tokens *t = &b->t;
    unsigned did = 0;
    if (b->phase == L1_PHASE_ANSWER) {
        logits[t->think_close] = -INFINITY;
        did |= L1__MASK_THINK_CLOSE;
        if (t->think_open >= 0) logits[t->think_open] = -INFINITY, did |= L1__MASK_THINK_OPEN;
        if (b->eos_guard) did |= mask_eos(b, logits);
        return did;
    }
    did |= mask_eos(b, logits);
    if (b->opened && t->think_open >= 0) logits[t->think_open] = -INFINITY, did |= L1__MASK_THINK_OPEN;
    if (b->n < b->floor) {
        logits[t->think_close] = -INFINITY;
        did |= L1__MASK_THINK_CLOSE;
    } else if (b->n >= b->window_start && b->n < b->close_at && b->p.boost > 0.0f && !b->trusted) {
        float progress = (float)(b->n - b->window_start + 1) / (float)(b->close_at - b->window_start);
        float f = landing_factor(b);
        if (f > 0.0f) {
            logits[t->think_close] += b->p.boost * progress * progress * f;
            did |= L1__BOOST_THINK_CLOSE;
        }
    } else if (b->n >= b->close_at && b->forced_pos < 0 && !b->trusted && t->flags && b->wait_eff > 0 &&
               b->p.boost > 0.0f) {
        /* Waiting for a word boundary: raise what would make one. */
        const float add = b->p.boost * (float)(b->n - b->close_at + 1) / (float)b->wait_eff;
        for (int32_t i = 0; i < t->n_vocab; i++)
            if (i != t->think_close && (t->flags[i] & (L1__PIECE_WORD_START | L1__PIECE_WORD_END))) logits[i] += add;
        did |= L1__BOOST_BOUNDARY;
    }
    return did;
}

static bool is_eog(const l1__budget *b, l1_token tok) {
    for (int32_t i = 0; i < b->t.n_eog; i++)
        if (tok == b->t.eog[i]) return true;
    return false;
}

bool l1__budget_ends_turn(const l1__budget *b, l1_token tok) {
    return (tok == b->t.eos && tok >= 0) || is_eog(b, tok);
}

void l1__budget_accept(l1__budget *b, l1_token tok) {
    if (b->finish != L1_FINISH_NONE) return;
    const l1__budget_tokens *t = &b->t;
    bool forced = b->forced_pos >= 0;
    b->n++;
    b->last = tok;
    if (b->phase == L1_PHASE_THINKING) {
        b->n_thinking++;
        if (tok == t->think_close && tok >= 0) {
            b->phase = L1_PHASE_ANSWER;
            b->close = forced ? L1_CLOSE_FORCED : L1_CLOSE_NATURAL;
        } else if (tok == t->think_open && tok >= 0) {
            b->opened = true;
        }
    } else if (!forced) {
        b->eos_guard = false;
    }
    if (forced) {
        b->forced_pos++;
        if (b->forced_pos > b->close_text_eff + b->transition_eff) {
            b->forced_pos = -1;
            b->eos_guard = true;
        }
    }
    if (tok == t->eos && tok >= 0) b->finish = L1_FINISH_EOS;
    else if (b->p.mode != L1_BUDGET_OFF && b->n >= b->p.budget) b->finish = L1_FINISH_BUDGET;
    else if (is_eog(b, tok)) b->finish = L1_FINISH_EOS;
    update_forcing(b);
}

bool l1__budget_acts(const l1__budget *b) {
    const int32_t from = b->p.boost > 0.0f ? min32(b->window_start, b->close_at) : b->close_at;
    return b->p.mode != L1_BUDGET_OFF && b->finish == L1_FINISH_NONE && b->phase == L1_PHASE_THINKING &&
           b->forced_pos <= 0 && !b->trusted && b->n >= from;
}

void l1__budget_trust(l1__budget *b, bool on) {
    if (b->p.mode == L1_BUDGET_OFF || b->forced_pos > 0) return;
    b->trusted = on;
    if (on) {
        b->forced_pos = -1;
        b->mid_word = false;
        return;
    }
    update_forcing(b);
}

void l1__budget_close_spelled(l1__budget *b) {
    if (b->phase != L1_PHASE_THINKING || b->n == 0) return;
    b->phase = L1_PHASE_ANSWER;
    /* A spelled close completed by a forced token cannot happen: forced
     * texts hold no "</think>" the caller would see (it reads the model's
     * text only), so the close is the model's. */
    b->close = L1_CLOSE_NATURAL;
    b->forced_pos = -1;
}

bool l1__budget_close_allowed(const l1__budget *b) {
    return b->phase == L1_PHASE_THINKING && b->n >= b->floor;
}

void l1__budget_stop(l1__budget *b, l1_finish reason) {
    if (b->finish == L1_FINISH_NONE) b->finish = reason;
}

void l1__budget_stop_at_end(l1__budget *b) { b->finish = L1_FINISH_STOP; }

l1_phase l1__budget_phase(const l1__budget *b) { return b->phase; }

bool l1__budget_opened(const l1__budget *b) { return b->opened; }

l1_finish l1__budget_finish(const l1__budget *b) { return b->finish; }

void l1__budget_report_get(const l1__budget *b, l1__budget_report *r) {
    r->mode = b->p.mode;
    r->budget = b->p.budget;
    r->budget_effective = b->p.mode == L1_BUDGET_OFF ? 0 : b->p.budget;
    r->reserve_effective = b->reserve_eff;
    r->tokens_thinking = b->n_thinking;
    r->tokens_answer = b->n - b->n_thinking;
    r->close = b->close;
    r->close_mid_word = b->close == L1_CLOSE_FORCED && b->mid_word;
    r->answer_truncated = b->p.mode != L1_BUDGET_OFF && b->finish == L1_FINISH_BUDGET && b->p.budget > 0;
    r->finish = b->finish;
    r->phase = b->phase;
    r->used = b->n;
    r->limit = b->p.mode == L1_BUDGET_OFF ? 0 : b->p.budget;
}

/* Names by enum value; "?" for a value outside the enum. */
static const char *const k_mode_names[] = {[L1_BUDGET_OFF] = "off", [L1_BUDGET_MAX] = "max",
                                           [L1_BUDGET_EXACT] = "exact"};
static const char *const k_close_names[] = {[L1_CLOSE_NONE] = "none", [L1_CLOSE_NATURAL] = "natural",
                                            [L1_CLOSE_FORCED] = "forced"};
static const char *const k_finish_names[] = {
    [L1_FINISH_NONE] = "",         [L1_FINISH_EOS] = "eos",   [L1_FINISH_BUDGET] = "budget",
    [L1_FINISH_MAX_TOKENS] = "max_tokens", [L1_FINISH_STOP] = "stop", [L1_FINISH_ABORTED] = "aborted",
    [L1_FINISH_CONTEXT_FULL] = "context_full"};

#define L1__NAME_OF(table, v) ((unsigned)(v) < L1_ARRAY_LEN(table) ? (table)[(unsigned)(v)] : "?")

const char *l1__budget_mode_name(l1_budget_mode m) { return L1__NAME_OF(k_mode_names, m); }
const char *l1__close_name(l1_close c) { return L1__NAME_OF(k_close_names, c); }
const char *l1__finish_name(l1_finish f) { return L1__NAME_OF(k_finish_names, f); }
