/*
 * sample.h - the token sampler: one chain over a float logits array.
 *
 *   logit bias -> repetition / presence / frequency penalties (last K tokens)
 *   -> temperature -> top-k -> top-p -> min-p -> draw (seeded RNG)
 *
 * Temperature 0 is greedy: the highest logit wins, the lowest id on ties; the
 * filters do not change that choice and are skipped.  Temperature is applied
 * before the filters, as in the serving stacks the model was evaluated with,
 * so top-p and min-p see the tempered distribution.
 *
 * Defaults (l1__sample_params_default), those recommended for the
 * DeepSeek-R1-Distill family L1 descends from: temperature 0.6, top-p 0.95,
 * top-k 0 (off), min-p 0 (off), no penalties (repetition penalty 1, presence
 * and frequency 0; a reasoning model repeats digits and formula symbols by
 * nature, and penalising them hurts), penalty window 64 when penalties are
 * set, seed 0.
 *
 * Non-finite logits have defined meanings: NaN is treated as -inf (the token
 * cannot be drawn); a +inf logit wins outright (several +inf share the
 * probability equally; greedy takes the lowest id among them); when every
 * logit is -inf or NaN, sampling fails with L1_ERR_NUMERIC.
 *
 * Determinism: the sampler runs on the calling thread only and its RNG
 * (xoshiro256**, seeded by splitmix64 from the 64-bit seed) advances by
 * exactly one draw per non-greedy step, so the same seed, parameters and
 * logits give the same tokens whatever the thread count of the forward pass.
 *
 * Cost: nothing is allocated per step; top-k and top-p use selection
 * (expected linear time), never a full sort of the vocabulary.  Tokens whose
 * tempered probability is below 2^-24 / n_vocab of the top token's are left
 * out before any exponential is taken: together they cannot weigh more than
 * 2^-24 of the total, less than the rounding of a float sum.
 */
#ifndef L1_SAMPLE_H
#define L1_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "l1.h"

/* Logit biases are l1.h's l1_logit_bias: logits[token] += bias before
 * anything else.  bias may be -inf (ban the token) or +inf (force it); NaN
 * is refused. */

/* Largest penalty window accepted (tokens). */
#define L1__SAMPLE_MAX_PENALTY_WINDOW 65536
/* Largest logit-bias list accepted. */
#define L1__SAMPLE_MAX_BIAS 65536

typedef struct l1__sample_params {
    float temperature;       /* >= 0, finite; 0 = greedy */
    int32_t top_k;           /* >= 0; 0 = off; larger than n_vocab = off */
    float top_p;             /* [0, 1]; 1 = off; 0 keeps only the top token */
    float min_p;             /* [0, 1]; 0 = off: drop p < min_p * p_max */
    float repeat_penalty;    /* > 0, finite; 1 = off: positive logits / it, negative * it */
    float presence_penalty;  /* finite; subtracted once from every token in the window */
    float frequency_penalty; /* finite; subtracted per occurrence in the window */
    int32_t penalty_window;  /* [0, L1__SAMPLE_MAX_PENALTY_WINDOW]; 0 = penalties off */
    uint64_t seed;
    const l1_logit_bias *bias; /* n_bias entries, copied at creation; NULL when 0 */
    int32_t n_bias;
} l1__sample_params;

typedef struct l1__sampler l1__sampler;

/* Fills `p` with the defaults above. */
void l1__sample_params_default(l1__sample_params *p);

/* Checks every field against its range for a vocabulary of n_vocab tokens.
 * L1_ERR_INVALID_ARG with a message naming the field and the value. */
l1_status l1__sample_params_check(const l1__sample_params *p, int32_t n_vocab);

/* Creates a sampler for n_vocab-entry logits (checks `p` first); all scratch
 * is allocated here.  Free with l1__sampler_free (NULL is fine). */
l1_status l1__sampler_create(const l1__sample_params *p, int32_t n_vocab, l1__sampler **out);
void l1__sampler_free(l1__sampler *s);

/* Forgets the penalty history and reseeds the RNG from the params' seed. */
void l1__sampler_reset(l1__sampler *s);

/* A new sampler with src's params (its own copy of the bias) and n_vocab,
 * in src's state (l1__sampler_copy_state).  Free with l1__sampler_free. */
l1_status l1__sampler_clone(const l1__sampler *src, l1__sampler **out);

/* Makes dst's random state and penalty history those of src; both were
 * created with the same params and n_vocab (a generator's look-ahead
 * samples on a copy, generate.c). */
void l1__sampler_copy_state(l1__sampler *dst, const l1__sampler *src);

/* Draws one token from `logits` (n_vocab entries).  `logits` is scratch:
 * the chain rewrites it in place (bias, penalties, NaN -> -inf).  Does not
 * record the token: call l1__sampler_accept with whatever token is emitted
 * (sampled or forced).  L1_ERR_NUMERIC when no token has a finite or +inf
 * logit. */
l1_status l1__sampler_sample(l1__sampler *s, float *logits, l1_token *out);

/* Appends `token` to the penalty window (tokens outside [0, n_vocab) are
 * ignored). */
void l1__sampler_accept(l1__sampler *s, l1_token token);

/* e^x for x <= 0 (x may be -inf); relative error below 4e-7, 0 for x below
 * about -87.  Exposed for tests. */
float l1__sample_exp(float x);

#endif /* L1_SAMPLE_H */
