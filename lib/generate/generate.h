/*
 * generate.h - the generate layer's internals: the generator object behind
 * l1_gen / l1_generate, the per-token sentence-end table the budget
 * controller's soft landing reads, and the stop-string matcher.  Exposed for
 * the library's tests; the public API is in l1.h.
 */
#ifndef L1_GENERATE_H
#define L1_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef struct l1__tokenizer l1__tokenizer;

/* Most stop strings, and the longest one, accepted (bytes). */
#define L1__GEN_MAX_STOP 64
#define L1__GEN_MAX_STOP_LEN 1024

/* A piece that holds the text "</think>" (a close spelled in one piece). */
#define L1__PIECE_SPELLS_CLOSE 16u

/* Whether byte c separates words: ASCII white space or punctuation, the
 * apostrophe excepted ("don't" is one word).  Bytes of other UTF-8
 * characters are word bytes. */
bool l1__gen_word_boundary_byte(uint8_t c);

/* Fills flags[0..n_vocab) with the L1__PIECE_* bits (budget.h) from each
 * token's decoded bytes (byte-level BPE's 'Ġ' is the space byte here): a
 * piece ending in a newline ends a line; one ending in . ! ? (or the
 * full-width 。！？), possibly followed by closing quotes, brackets,
 * asterisks or spaces, ends a sentence; a piece whose last byte is a word
 * boundary byte ends a word, one whose first byte is starts a word; and
 * L1__PIECE_SPELLS_CLOSE.  Control tokens get no flag. */
void l1__gen_piece_flags(const l1__tokenizer *tok, uint8_t *flags, int32_t n_vocab);

/* Prevents a close spelled from ordinary tokens: sets to -inf the logit of
 * every piece holding "</think>" (L1__PIECE_SPELLS_CLOSE in flags) and,
 * when the text so far (its last n_tail bytes in tail) ends with a
 * beginning of "</think>", of every piece that would complete it.  The
 * generator calls it where the controller forbids `</think>` (after the
 * close, before exact mode's floor). */
void l1__gen_mask_spelled_close(const l1__tokenizer *tok, const uint8_t *flags, int32_t n_vocab, const char *tail,
                                size_t n_tail, float *logits);

/* Stop-string matching over a text stream.  Text that could be the start of
 * a stop string is held back until it is known not to be; a matched stop
 * string is never emitted. */
typedef struct l1__stopper {
    char **s;        /* n stop strings (owned) */
    size_t *len;
    int32_t n;
    size_t max_len;
    char *held;      /* text not yet emitted; cap bytes */
    size_t n_held, cap;
    bool close_on;   /* also find "</think>" (a close spelled by the model) */
    bool closed;     /* set by a feed that found it: out holds the text before, the text after stays held */
} l1__stopper;

/* Copies the strings (each 1..L1__GEN_MAX_STOP_LEN bytes, at most
 * L1__GEN_MAX_STOP of them); `max_in` is the most bytes one feed brings. */
l1_status l1__stopper_init(l1__stopper *st, const char *const *stop, int32_t n, size_t max_in);
void l1__stopper_free(l1__stopper *st);

/* Appends text[0..n) (n <= max_in) and writes the part that is now safe to
 * emit to out (at least n + max stop length bytes), *n_out its length.
 * Returns true when a stop string matched: out then holds the text before
 * it and the held text is dropped. */
bool l1__stopper_feed(l1__stopper *st, const char *text, size_t n, char *out, size_t *n_out);

/* With close_on, "</think>" is found like a stop string (its beginnings
 * held back too), but the feed returns false with `closed` set, and the
 * text after it stays held (l1__stopper_flush releases it). */

/* Releases everything held (no stop string can complete any more, e.g. at
 * the end of a phase); returns the byte count written to out. */
size_t l1__stopper_flush(l1__stopper *st, char *out);

/* The layer's entry points behind l1.h's l1_gen_* (lib/api/generate.c
 * checks the arguments: pointers here are non-NULL, params excepted, which
 * NULL means defaults).  Same contracts. */
l1_gen_params l1__gen_default_params(void);
l1_status l1__gen_new(l1_ctx *ctx, l1_gen **out);
void l1__gen_free(l1_gen *gen);
void l1__gen_abort(l1_gen *gen);
l1_status l1__gen_begin_chat(l1_gen *gen, const l1_message *msgs, int32_t n_msgs, const l1_gen_params *params);
l1_status l1__gen_next(l1_gen *gen, l1_piece *out);
l1_status l1__gen_end(l1_gen *gen, l1_gen_result *out);

/* L1_OK when `p` is a valid l1_gen_params for a model of n_vocab tokens
 * (every field with a range of its own, the sampling ones included);
 * L1_ERR_INVALID_ARG naming the field otherwise.  l1_gen_begin and
 * l1_render_prompt both check with it. */
l1_status l1__gen_check_params(const l1_gen_params *p, int32_t n_vocab);

/* Renders the messages as the model's chat format and p's template, budget
 * and sentence settings ask (prompt.h); *out is freed with
 * l1__prompt_free whatever the result; *used (may be NULL) gets the
 * family rendered. */
struct l1__prompt;
l1_status l1__gen_render(const l1_model *m, const l1_message *msgs, int32_t n, const l1_gen_params *p,
                         struct l1__prompt *out, l1_template *used);

/* l1_gen_new_seq, l1_gen_step, l1_gen_poll (same contracts). */
l1_status l1__gen_new_seq(l1_ctx *ctx, int32_t seq, l1_gen **out);
l1_status l1__gen_step_group(l1_gen *const *gens, int32_t n);
int32_t l1__gen_poll(l1_gen *gen, l1_piece *out);

/* l1_generate_n (lib/api/generate.c checks ctx and prompt). */
l1_status l1__generate_n(l1_ctx *ctx, const char *prompt, int32_t k, const l1_gen_params *params,
                         l1_seq_piece_fn on_piece, void *user, l1_gen_result *results);

/* The tokens generated by the current or last response of `gen` (valid
 * until the next l1_gen_begin or l1_gen_free). */
const l1_token *l1__gen_tokens(const l1_gen *gen, int32_t *n);

#endif /* L1_GENERATE_H */
