/*
 * budget.h - the LCPO budget controller: keeps a response within N tokens
 * and makes it end with an answer.
 *
 * It knows no model and no text: the caller gives it the ids of `<think>`,
 * `</think>` and EOS, an optional per-token flag table (which pieces end a
 * sentence or a line) and the ids of a transition text.  The generate loop
 * drives it once per generated token:
 *
 *     while (!l1__budget_done(b)) {
 *         if (!l1__budget_forced_token(b, &tok)) {
 *             ... logits of the next position ...
 *             l1__budget_before_sample(b, logits);   // may edit logits
 *             ... tok = sample(logits) ...
 *         }
 *         l1__budget_accept(b, tok);                 // every token counts
 *         ... emit tok, feed it to the model ...
 *     }
 *
 * Counting follows the paper: every generated token of the response counts,
 * `<think>`, `</think>`, forced and transition tokens included.  n is the
 * number of tokens accepted so far.
 *
 * Phases.  The response starts in the thinking phase, whether the prompt
 * opened it (`thinking_open` set: the template ended with "<think>\n") or
 * the model is expected to write `<think>` itself: as DeepSeek-R1 parsers
 * do, everything before the first `</think>` is reasoning.  Before any
 * `<think>` is seen (and when the prompt did not open one) the model may emit
 * it once; it counts as thinking.  The first `</think>` (the model's: close
 * "natural"; the controller's: "forced") ends thinking and counts as a
 * thinking token; every later token is an answer token.  Without a close,
 * every token is a thinking token.
 *
 * Mode off: counting and phase tracking only; logits are never touched and
 * nothing is forced.
 *
 * Mode max (LCPO-Max, "Think for maximum N tokens."), with the effective
 * reserve R' = min(R, max(N / 4, T + 2), N) (T = transition tokens: a small
 * budget gives at most a quarter of itself to the reserve, but always room
 * for the close, the transition and one answer token when N allows):
 *  - the response never exceeds N tokens: when n reaches N the controller
 *    is done (finish "budget");
 *  - if the model is still thinking when n = N - R', the next token is a
 *    forced `</think>`, followed by the transition tokens (the first
 *    min(T, max(0, R' - 2)) of them, so one slot always remains), and the
 *    answer is sampled in what is left; EOS is masked on the first sampled
 *    token after a forced close, so a forced close is followed by at least
 *    one answer token whenever N >= 2;
 *  - soft landing: in the W tokens before N - R' the `</think>` logit is
 *    raised by boost * progress^2 * f, progress growing from 1/W to 1, f = 1
 *    after a piece that ends a line, 0.75 after one that ends a sentence,
 *    0.125 otherwise (no flag table: f = 1), so natural closes cluster at
 *    sentence ends and none cuts a word short;
 *  - EOS is masked while thinking: a response cannot end before it closes
 *    its thinking (the forced close comes at the latest at N - R');
 *  - after the close, `<think>` and `</think>` are masked; while thinking,
 *    `<think>` is masked once thinking is open.
 *   Edge cases: N = 0: done before any token (finish "budget").  N = 1 (or
 *   any N <= R when still thinking at the start): the close is forced at
 *   the first token; with N = 1 that token is `</think>` and no answer fits.
 *   A natural close before N - R' leaves at least R' answer tokens.
 *   Nothing else of the model's choices is altered: with boost 0, a script
 *   that closes on its own before N - R', writes no EOS while thinking and
 *   no stray tag after the close is emitted unchanged.
 *
 * Mode exact ("Think for N tokens."): as max, and in addition `</think>` is
 * masked while n < N - tolerance, so thinking lasts at least
 * max(0, N - tolerance) tokens, and the soft-landing window starts no
 * earlier than that.  EOS is masked there too, since it is masked for the
 * whole thinking phase and the answer cannot start before.  tolerance >= R.
 *
 * Defaults.  R = 64: after a forced close the model only has to state its
 * result: `</think>` + the transition ("\n\n**Final Answer**\n", about 6
 * tokens) + a displayed boxed answer ("\\[\n\\boxed{\\frac{3}{4}}\n\\]",
 * 15 to 25 tokens) + EOS comes to about 30 tokens; 64 leaves room for a
 * longer expression or a one-line justification while costing 12.5% of the
 * smallest budget the paper evaluates (512).  W = 64: a few sentences of a
 * reasoning trace, enough for a sentence end to come up while the boost is
 * strong.  boost = 10 logits at the end of the window (e^10 ~ 22000 times
 * the odds at a line end).  tolerance = R + W, so the exact-mode window has
 * the max-mode width.
 */
#ifndef L1_BUDGET_H
#define L1_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#include "l1.h"

/* Modes, close kinds, finish reasons and phases are l1.h's own enums
 * (l1_budget_mode, l1_close, l1_finish, l1_phase). */

/* Per-token flags of the table the caller may give (one byte per token). */
#define L1__PIECE_SENTENCE_END 1u /* the piece ends with . ! ? (maybe then quotes/spaces) */
#define L1__PIECE_LINE_END 2u     /* the piece ends with a newline */

/* Longest transition accepted (tokens). */
#define L1__BUDGET_MAX_TRANSITION 32
/* Most end-of-turn tokens besides EOS. */
#define L1__BUDGET_MAX_EOG 16
/* Largest budget, reserve, window or tolerance accepted (tokens). */
#define L1__BUDGET_MAX_TOKENS (1 << 30)

#define L1__BUDGET_DEFAULT_RESERVE 64
#define L1__BUDGET_DEFAULT_WINDOW 64
#define L1__BUDGET_DEFAULT_BOOST 10.0f

typedef struct l1__budget_params {
    l1_budget_mode mode;
    int32_t budget;    /* N >= 0 (ignored when off) */
    int32_t reserve;   /* R >= 2 + n_transition */
    int32_t window;    /* W >= 0; 0 = no soft landing */
    int32_t tolerance; /* exact mode: </think> allowed from N - tolerance; >= reserve; -1 = R + W */
    float boost;       /* finite, [0, 100]; 0 = no soft landing */
    bool thinking_open; /* the prompt ended inside <think> */
} l1__budget_params;

typedef struct l1__budget_tokens {
    int32_t n_vocab;
    l1_token think_open;  /* "<think>", or -1 when the model has none */
    l1_token think_close; /* "</think>"; required unless mode off */
    l1_token eos;         /* required unless mode off */
    const l1_token *transition; /* n_transition ids written after a forced close (copied) */
    int32_t n_transition;       /* [0, L1__BUDGET_MAX_TRANSITION] */
    const uint8_t *flags; /* (n_vocab) L1__PIECE_* per token, or NULL; borrowed: must outlive the controller */
    const l1_token *eog;  /* n_eog end-of-turn tokens besides EOS (copied), or NULL: each ends the
                             response as EOS does, and is masked wherever EOS is */
    int32_t n_eog;        /* [0, L1__BUDGET_MAX_EOG] */
} l1__budget_tokens;

/* What l1__budget_before_sample did to the logits (a bit set). */
#define L1__MASK_EOS 1u         /* EOS and every other end-of-turn token set to -inf */
#define L1__MASK_THINK_OPEN 2u  /* `<think>` set to -inf (a second one, or after the close) */
#define L1__MASK_THINK_CLOSE 4u /* `</think>` set to -inf (after the close; exact mode's floor) */
#define L1__BOOST_THINK_CLOSE 8u /* `</think>` raised by the soft landing */

typedef struct l1__budget_report {
    l1_budget_mode mode;
    int32_t budget;          /* N as requested */
    int32_t tokens_thinking; /* up to and including the close */
    int32_t tokens_answer;   /* after the close (transition included) */
    l1_close close;
    l1_finish finish;
    l1_phase phase;
    int32_t used;  /* progress: tokens so far (= thinking + answer) */
    int32_t limit; /* progress: N, or 0 when off */
} l1__budget_report;

/* The controller's state: plain data, no allocation, copyable. */
typedef struct l1__budget {
    l1__budget_params p;
    l1__budget_tokens t;
    l1_token transition[L1__BUDGET_MAX_TRANSITION];
    l1_token eog[L1__BUDGET_MAX_EOG];
    int32_t reserve_eff;    /* R' = min(R, max(N / 4, T + 2), N) */
    int32_t close_at;       /* n at which the close is forced: N - R' */
    int32_t floor;          /* exact: n before which </think> is masked; 0 otherwise */
    int32_t window_start;   /* first n of the soft-landing window */
    int32_t transition_eff; /* transition tokens written after a forced close */
    int32_t n;              /* tokens accepted */
    int32_t n_thinking;
    int32_t forced_pos; /* next forced token: 0 = </think>, 1.. = transition; -1 = none pending */
    bool opened;        /* a <think> has been seen (prompt or model) */
    bool eos_guard;     /* mask EOS on the next sampled token (after a forced close) */
    l1_token last;      /* last accepted token, -1 at the start */
    l1_phase phase;
    l1_close close;
    l1_finish finish;
} l1__budget;

/* Fills `p` with: mode off, N 0, the default R, W, boost, tolerance -1,
 * thinking_open false. */
void l1__budget_params_default(l1__budget_params *p);

/* Checks `p` and `t`; L1_ERR_INVALID_ARG naming the field otherwise. */
l1_status l1__budget_check(const l1__budget_params *p, const l1__budget_tokens *t);

/* Checks and initialises `b` for one response. */
l1_status l1__budget_init(l1__budget *b, const l1__budget_params *p, const l1__budget_tokens *t);

/* True once the response is over (finish reason set). */
bool l1__budget_done(const l1__budget *b);

/* True, with *tok set, when the next token is forced (the close and the
 * transition); then it must be emitted without sampling and accepted. */
bool l1__budget_forced_token(const l1__budget *b, l1_token *tok);

/* Edits the next position's logits (n_vocab entries) as the mode demands:
 * masks (-inf) and the soft-landing boost, and returns what it did
 * (L1__MASK_* and L1__BOOST_* bits; 0 when nothing).  Call only when no
 * token is forced. */
unsigned l1__budget_before_sample(const l1__budget *b, float *logits);

/* Records an emitted token: counting, phase, close, finish (EOS or another
 * end-of-turn token, budget). */
void l1__budget_accept(l1__budget *b, l1_token tok);

/* Ends the response for a reason of the caller's (max tokens, stop string,
 * abort, context full); no effect once finished. */
void l1__budget_stop(l1__budget *b, l1_finish reason);

/* A stop string completed by the text held back at the very end: the
 * finish reason becomes "stop" even when the response had already ended
 * for another reason. */
void l1__budget_stop_at_end(l1__budget *b);

/* The phase now, and whether a `<think>` has been seen (prompt or model). */
l1_phase l1__budget_phase(const l1__budget *b);
bool l1__budget_opened(const l1__budget *b);

/* The finish reason (L1_FINISH_NONE while running). */
l1_finish l1__budget_finish(const l1__budget *b);

/* The numbers of the response so far (for streaming progress) or at the end. */
void l1__budget_report_get(const l1__budget *b, l1__budget_report *r);

/* Static names: "off"/"max"/"exact", "none"/"natural"/"forced",
 * "eos"/"budget"/"max_tokens"/"stop"/"aborted"/"context_full" ("" for none). */
const char *l1__budget_mode_name(l1_budget_mode m);
const char *l1__close_name(l1_close c);
const char *l1__finish_name(l1_finish f);

#endif /* L1_BUDGET_H */
