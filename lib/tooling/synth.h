/*
 * synth.h - writing synthetic Qwen2 models: the metadata layout of a real
 * L1 GGUF file, any shape, random weights (deterministic in the seed) and
 * either a copied tokenizer or a small built-in byte-level one.  Used by
 * `l1 synth`, by tests (malformed variants are built from these) and by
 * benchmarks (the l1-1.5b preset has L1-Qwen-1.5B-Max's exact shapes).
 *
 * Weight scales are chosen so the model's logits are peaked (a clear top-1,
 * logit standard deviation about 4) rather than flat, and so every layer
 * contributes to the residual stream.
 */
#ifndef L1_SYNTH_H
#define L1_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "gguf/gguf.h"

typedef struct l1__synth_params {
    int32_t n_layer;
    int32_t n_embd;
    int32_t n_ff;
    int32_t n_head;
    int32_t n_head_kv;
    int32_t n_ctx_train;     /* qwen2.context_length */
    float rope_theta;
    float rms_eps;
    uint32_t type;           /* type of the matrices (l1__type); norms and biases are F32 */
    uint32_t embd_type;      /* type of token_embd.weight (and output.weight) */
    uint64_t seed;
    bool tied;               /* no output.weight: the head reuses token_embd */
    /* Gain of the projections writing into the residual stream (attn_output,
     * ffn_down): 0 takes the damped default (0.003, not chaotic: see
     * synth.c); 1 gives unit-gain, undamped blocks. */
    double branch_gain;
    const char *vocab_from;  /* GGUF whose tokenizer.* keys are copied; NULL = built in */
    const char *name;        /* general.name */
    /* Progress: called after each tensor with the fraction done; nonzero
     * return cancels (L1_ERR_ABORTED).  May be NULL. */
    int (*progress)(float fraction, void *user);
    void *progress_user;
    /* Test hooks for building malformed files (NULL normally).  tensor_hook
     * sees each tensor before it is generated and may change its type and
     * shape; it returns 0 to leave the tensor out, 1 to keep it, 2 to keep it
     * with a NaN as its first value.  kv_hook runs after every metadata key
     * is set and may overwrite keys or add tensors. */
    int (*tensor_hook)(void *user, const char *name, uint32_t *type, uint32_t *n_dims,
                       int64_t ne[4]);
    l1_status (*kv_hook)(void *user, l1__gguf_writer *w);
    void *hook_user;
} l1__synth_params;

/* Fills *p from a preset: "tiny" (2 layers, 64 wide), "small" (4 layers,
 * 256 wide, head_dim 128, GQA 2:1) or "l1-1.5b" (L1-Qwen-1.5B-Max's shapes).
 * F32 matrices, seed 1.  L1_ERR_INVALID_ARG for an unknown name. */
l1_status l1__synth_preset(const char *name, l1__synth_params *p);

/* Writes the model to `path`.  Large models are generated tensor by tensor
 * through a temporary file next to `path`, so memory use stays small. */
l1_status l1__synth_write(const l1__synth_params *p, const char *path);

/* Writes the model into a heap buffer (free with l1__free). */
l1_status l1__synth_write_memory(const l1__synth_params *p, uint8_t **data, size_t *size);

/* The disk space l1__synth_write needs for `p`, without generating
 * anything: *file_bytes, the written file (header and metadata, tensor
 * headers, data and alignment padding), and *scratch_bytes, the temporary file a
 * large model is streamed through first (0 when it is built in memory).
 * Both are upper bounds by at most 160 bytes per tensor. */
l1_status l1__synth_size(const l1__synth_params *p, uint64_t *file_bytes, uint64_t *scratch_bytes);

/* Number of parameters the model would have (for messages and checks). */
uint64_t l1__synth_n_params(const l1__synth_params *p, int64_t n_vocab);

#endif /* L1_SYNTH_H */
