/*
 * small_models.h - for tests that generate or decode: a small synthetic
 * model of a given matrix type, and a context on it.
 */
#ifndef L1_TEST_SMALL_MODELS_H
#define L1_TEST_SMALL_MODELS_H

#include <stdint.h>

#include "l1.h"

/* A 2-layer synthetic model 256 wide (head_dim 64, 4 query heads over 2 KV
 * heads, feed-forward 512, trained context n_ctx_train) with matrices of
 * `type`, written to a temporary file named after `tag` and loaded; fails
 * the test on any error. */
l1_model *small_synth_model(const char *tag, uint32_t type, int32_t n_ctx_train);

/* A context of n_ctx positions for n_seq sequences on `threads` threads;
 * fails the test on any error. */
l1_ctx *small_ctx(const l1_model *m, int32_t n_ctx, int32_t n_seq, int32_t threads);

#endif /* L1_TEST_SMALL_MODELS_H */
