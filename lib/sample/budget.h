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
 * Mode max (LCPO-Max, "Think for maximum N tokens.").  The forced close is
 * a sequence of controller tokens: the close text (C tokens, optional,
 * still thinking), `</think>`, the transition (T tokens).  The reserve R' is
 * what is kept for it, for the wait for a word boundary (G tokens) and for
 * the answer:
 *   - R given (reserve > 0): R' = R; R > N or R < 2 + T is an error (a
 *     reserve that cannot be honoured is never lowered in silence);
 *   - R automatic (reserve = -1): R' = min(64, max(N / 4, min(G, 8) + C + T
 *     + 1 + A), N) with A = 16 (L1__BUDGET_ANSWER_ROOM): a small budget gives
 *     about a quarter of itself to the reserve, but room for 8 tokens of
 *     wait, the close and a short answer of A tokens when N allows.
 * What does not fit R' is dropped whole, never cut, taken in this order
 * from the R' - 2 tokens besides `</think>` and one answer token: the
 * transition (T' = T or 0), up to 8 tokens of wait, the close text (C' = C
 * or 0), A - 1 more answer tokens, then the rest of the wait (G' <= G in
 * all).  Then:
 *  - the response never exceeds N tokens: when n reaches N the controller
 *    is done (finish "budget");
 *  - the caller may look ahead first (l1__budget_acts, l1__budget_trust):
 *    a model that ends its response within N by itself is trusted, and
 *    nothing below (boost, wait, close) touches it;
 *  - from n = N - R' on, if the model is still thinking, the close is put at
 *    the next word boundary: at once when the last piece ends a word (a
 *    line, a sentence, white space or punctuation: L1__PIECE_WORD_END), else
 *    in place of the next sampled token that starts a new word (leading
 *    white space or punctuation: L1__PIECE_WORD_START; see
 *    l1__budget_after_sample).  When no boundary comes within G' tokens the
 *    close is forced at n = N - R' + G' whatever the last piece was, and the
 *    report says it cut a word (close_mid_word).  While it waits, the pieces
 *    that start or end a word are raised by boost * k / G' at the k-th
 *    token of the wait (k = 1..G'), so a run of digits or letters that
 *    would never end by itself meets a boundary within the wait.  Without a
 *    flag table every piece counts as a word end;
 *  - after the forced sequence the answer is sampled in what is left; EOS is
 *    masked on the first sampled token after a forced close, so a forced
 *    close is followed by at least one answer token whenever N >= 2;
 *  - soft landing: in the W' = min(W, max(N / 4, 1)) tokens before N - R' the
 *    `</think>` logit is raised by boost * progress^2 * f, progress growing
 *    from 1/W' to 1, f = 1 after a piece that ends a line, 0.75 after one
 *    that ends a sentence, 0.25 after another word end (white space,
 *    punctuation) and 0 inside a word (no flag table: f = 1), so the boost
 *    never invites a close that cuts a word;
 *  - EOS is masked while thinking: a response cannot end before it closes
 *    its thinking;
 *  - after the close, `<think>` and `</think>` are masked; while thinking,
 *    `<think>` is masked once thinking is open.
 *   Edge cases: N = 0: done before any token (finish "budget").  N = 1 (or
 *   any N <= R' when still thinking at the start): the close comes at the
 *   first token; with N = 1 that token is `</think>` and no answer fits.
 *   A natural close before N - R' leaves at least R' answer tokens; one
 *   during the wait (the model may close by itself there) at least R' - G'.
 *   Nothing else of the model's choices is altered: with boost 0, a script
 *   that closes on its own before N - R', writes no EOS while thinking and
 *   no stray tag after the close is emitted unchanged.
 *
 * A close spelled from ordinary tokens (the text "</think>", e.g. "</" +
 * "think" + ">") is a close too: the caller, which sees the text, reports it
 * with l1__budget_close_spelled; l1__budget_close_allowed says when it must
 * prevent one instead (after the close, and before exact mode's floor).
 *
 * Mode exact ("Think for N tokens."): as max, and in addition `</think>` is
 * masked while n < floor = N - max(tolerance, R') (tolerance -1: R' + W'),
 * so thinking lasts at least that long (for N = 100 with the defaults:
 * R' = W' = 25, floor 50, half the budget), and the soft-landing window
 * starts no earlier than the floor.
 *
 * Defaults.  R = 64 (automatic): after a forced close the model only has to
 * state its result: `</think>` + the transition ("\n\n**Final Answer**\n",
 * about 6 tokens) + a displayed boxed answer (15 to 25 tokens) + EOS comes
 * to about 30 tokens; 64 leaves room for a longer expression while costing
 * 12.5% of the smallest budget the paper evaluates (512).  W = 64: a few
 * sentences of a reasoning trace.  boost = 10 logits at the end of the
 * window.  G = 16: a word or a number of up to 16 pieces ends within the
 * wait (a larger reserve leaves room for it; at R' = 64 the answer still
 * has 40 tokens after the longest wait and the transition).
 */
#ifndef L1_BUDGET_H
#define L1_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#include "l1.h"

/* Modes, close kinds, finish reasons and phases are l1.h's own enums
 * (l1_budget_mode, l1_close, l1_finish, l1_phase). */

/* Per-token flags of the table the caller may give (one byte per token),
 * defined on the token's decoded bytes (generate.h builds them). */
#define L1__PIECE_SENTENCE_END 1u /* the piece ends with . ! ? (maybe then quotes/spaces) */
#define L1__PIECE_LINE_END 2u     /* the piece ends with a newline */
#define L1__PIECE_WORD_END 4u     /* the piece ends a word: its last byte is white space or punctuation */
#define L1__PIECE_WORD_START 8u   /* the piece starts a word: its first byte is white space or punctuation */

/* Longest transition, and longest close text, accepted (tokens). */
#define L1__BUDGET_MAX_TRANSITION 32
/* Most end-of-turn tokens besides EOS. */
#define L1__BUDGET_MAX_EOG 16
/* Largest budget, reserve, window or tolerance accepted (tokens). */
#define L1__BUDGET_MAX_TOKENS (1 << 30)

#define L1__BUDGET_DEFAULT_RESERVE 64
#define L1__BUDGET_DEFAULT_WINDOW 64
#define L1__BUDGET_DEFAULT_BOOST 10.0f
#define L1__BUDGET_DEFAULT_WAIT 16
/* The part of the wait an automatic reserve always makes room for. */
#define L1__BUDGET_RESERVED_WAIT 8
/* The answer tokens (EOS included) an automatic reserve makes room for
 * after the close and that much wait, and that the rest of the wait never
 * takes: "\boxed{-1234}" and its end come to 8 tokens on a small
 * vocabulary, a displayed boxed expression to 15-25. */
#define L1__BUDGET_ANSWER_ROOM 16

typedef struct l1__budget_params {
    l1_budget_mode mode;
    int32_t budget;    /* N >= 0 (ignored when off) */
    int32_t reserve;   /* R in [2 + n_transition, N], or -1 = automatic (default) */
    int32_t window;    /* W >= 0; 0 = no soft landing */
    int32_t tolerance; /* exact mode: </think> allowed from N - tolerance; >= reserve; -1 = R + W */
    float boost;       /* finite, [0, 100]; 0 = no soft landing */
    int32_t wait;      /* G >= 0: most tokens waited for a word boundary; 0 = none */
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
    const l1_token *close_text; /* n_close_text ids written before a forced `</think>` (copied) */
    int32_t n_close_text;       /* [0, L1__BUDGET_MAX_TRANSITION] */
} l1__budget_tokens;

/* What l1__budget_before_sample did to the logits (a bit set). */
#define L1__MASK_EOS 1u         /* EOS and every other end-of-turn token set to -inf */
#define L1__MASK_THINK_OPEN 2u  /* `<think>` set to -inf (a second one, or after the close) */
#define L1__MASK_THINK_CLOSE 4u /* `</think>` set to -inf (after the close; exact mode's floor) */
#define L1__BOOST_THINK_CLOSE 8u /* `</think>` raised by the soft landing */
#define L1__BOOST_BOUNDARY 16u   /* pieces that start or end a word raised during the wait */

typedef struct l1__budget_report {
    l1_budget_mode mode;
    int32_t budget;          /* N as requested */
    int32_t tokens_thinking; /* up to and including the close */
    int32_t tokens_answer;   /* after the close (transition included) */
    int32_t budget_effective; /* N the controller enforced (the caller's clamps applied) */
    int32_t reserve_effective; /* R' (0 when off) */
    l1_close close;
    bool close_mid_word;     /* a forced close that found no word boundary */
    bool answer_truncated;   /* the response reached N before the model ended it */
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
    l1_token close_text[L1__BUDGET_MAX_TRANSITION];
    int32_t reserve_eff;    /* R' */
    int32_t close_at;       /* n from which the close is due: N - R' */
    int32_t wait_eff;       /* G': the close is forced at n = close_at + G' at the latest */
    int32_t floor;          /* exact: n before which </think> is masked; 0 otherwise */
    int32_t window_start;   /* first n of the soft-landing window */
    int32_t transition_eff; /* T': transition tokens written after a forced close */
    int32_t close_text_eff; /* C': close-text tokens written before a forced </think> */
    int32_t n;              /* tokens accepted */
    int32_t n_thinking;
    int32_t forced_pos; /* next forced token: 0..C'-1 close text, C' = </think>, C'+1.. transition;
                           -1 = none pending */
    bool mid_word;      /* the forced close came without a word boundary */
    bool trusted;       /* l1__budget_trust: the close is not forced */
    bool opened;        /* a <think> has been seen (prompt or model) */
    bool eos_guard;     /* mask EOS on the next sampled token (after a forced close) */
    l1_token last;      /* last accepted token, -1 at the start */
    l1_phase phase;
    l1_close close;
    l1_finish finish;
} l1__budget;

/* Fills `p` with: mode off, N 0, R automatic, the default W, boost and
 * G, tolerance -1, thinking_open false. */
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

/* After sampling `*tok` (no token was forced): when the close is due and
 * `*tok` starts a new word, replaces it with the first forced token (the
 * close goes at that boundary) and returns true; then `*tok` is a forced
 * token to emit and accept as such. */
bool l1__budget_after_sample(l1__budget *b, l1_token *tok);

/* Whether the controller is about to act on the model: thinking, past the
 * start of the soft-landing window (or N - R' when there is none or its
 * boost is 0), no
 * forced token written yet and not told to trust the model.  The caller
 * may then look ahead (generate.c): run the model on copies of its state
 * and, when the response ends by itself within N, call l1__budget_trust. */
bool l1__budget_acts(const l1__budget *b);

/* on: the model ends its response within N by itself, so nothing pushes
 * it: no soft-landing boost, no forced close, no wait; the masks and the
 * limit N stay.  off (the model went another way than foreseen): the
 * controller acts again; past N - R' the close is due at once after a word
 * end, else after the rest of the wait (none left past N - R' + G': at
 * once, mid-word), with the close text and then the transition dropped
 * whole when they and one answer token no longer fit in what is left of
 * N.  Call between tokens (not while a forced token is pending). */
void l1__budget_trust(l1__budget *b, bool on);

/* Whether tok is EOS or another end-of-turn token (what ends a response
 * in l1__budget_accept). */
bool l1__budget_ends_turn(const l1__budget *b, l1_token tok);

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

/* The model spelled `</think>` from ordinary tokens, the last accepted
 * completing it: thinking closes there (close natural), as with the token.
 * No effect outside the thinking phase. */
void l1__budget_close_spelled(l1__budget *b);

/* Whether a close by the model is allowed now: thinking, and past exact
 * mode's floor (always in mode off while thinking). */
bool l1__budget_close_allowed(const l1__budget *b);

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
