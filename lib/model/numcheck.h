/*
 * numcheck.h - detecting NaN and infinity in weights and logits.
 *
 * A model file may hold non-finite weights or block scales (a broken
 * conversion, a flipped bit, a hostile file).  They do not crash anything,
 * but they turn every logit into NaN, and a sampler fed NaN has no right
 * answer.  So l1 checks in two places:
 *   - at load, optionally (it reads every weight byte once, so it costs
 *     about one forward pass of prefill): l1__numcheck_model;
 *   - after every evaluation, always: l1__numcheck_logits, one pass over
 *     the logits just written (n_vocab floats per position, noise next to
 *     the output matrix that produced them).
 * Both report L1_ERR_NUMERIC naming the tensor and row, or the position
 * and token.
 */
#ifndef L1_NUMCHECK_H
#define L1_NUMCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "model/model.h"

/* True when all n values are finite (one pass, no branch per value). */
bool l1__numcheck_row_finite(const float *x, int64_t n);

/* L1_OK when all n_rows rows of n_vocab logits are finite; otherwise
 * L1_ERR_NUMERIC "logits: position P, token T is nan" (P counted from
 * `first_pos`). */
l1_status l1__numcheck_logits(const float *logits, int64_t n_rows, int64_t n_vocab, int64_t first_pos);

/* L1_OK when every value of `w` dequantizes to a finite number;
 * otherwise L1_ERR_NUMERIC "tensor NAME: row R holds a NaN or infinity".
 * L1_ERR_NOMEM when the one-row scratch cannot be allocated. */
l1_status l1__numcheck_weight(const l1__weight *w);

/* l1__numcheck_weight over every weight of a loaded model (not vocab_only). */
l1_status l1__numcheck_model(const l1_model *m);

#endif /* L1_NUMCHECK_H */
