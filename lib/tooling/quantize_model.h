/*
 * quantize_model.h - rewriting a GGUF model with quantized weights: the
 * recipe that picks each tensor's type for a named file type (Q4_K_M ...)
 * and the file-level conversion used by `l1 quantize`.
 */
#ifndef L1_QUANTIZE_MODEL_H
#define L1_QUANTIZE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "gguf/gguf.h"

/* File types, with the ids GGUF files store in general.file_type. */
typedef enum l1__ftype {
    /* one type for every matrix */
    L1_FTYPE_Q4_0 = 2, L1_FTYPE_Q4_1 = 3, L1_FTYPE_Q8_0 = 7, L1_FTYPE_Q5_0 = 8, L1_FTYPE_Q5_1 = 9,
    L1_FTYPE_Q2_K = 10, L1_FTYPE_Q6_K = 18,
    /* mixes: the named type, some tensors in a larger one */
    L1_FTYPE_Q3_K_M = 12, L1_FTYPE_Q4_K_M = 15, L1_FTYPE_Q5_K_M = 17,
} l1__ftype;

/* "Q4_K_M" (any case) -> its id; false for names l1 cannot produce. */
bool l1__ftype_from_name(const char *name, l1__ftype *out);
const char *l1__ftype_name(l1__ftype f);

/* The per-file state of the recipe (counters of attn_v / ffn_down tensors
 * seen so far, as the mixes depend on a tensor's position). */
typedef struct l1__qrecipe {
    l1__ftype ftype;
    uint32_t base;      /* the file type's main weight type */
    int n_attn_v, i_attn_v;
    int n_layer, i_ffn_down;
    int n_gqa;          /* query heads per KV head */
    bool tied;          /* no output.weight: token_embd doubles as the head */
} l1__qrecipe;

/* Prepares the recipe for the tensors of `g`, in file order. */
void l1__qrecipe_init(l1__qrecipe *r, l1__ftype ftype, const l1__gguf *g);

/* The type `t` is written with; t->type when it stays as it is (1-D
 * tensors, norms, non-weights).  Call once per tensor, in file order. */
uint32_t l1__qrecipe_type(l1__qrecipe *r, const l1__gguf_tensor *t);

/* Called before each tensor is converted; return false to cancel. */
typedef bool (*l1__quantize_progress)(void *user, int64_t index, int64_t count, const char *name,
                                      uint32_t from, uint32_t to);

/* Reads `in` (tensors F32, F16 or BF16; anything else is refused), writes
 * `out` with the recipe's types and general.file_type set. */
l1_status l1__quantize_model(const char *in, const char *out, l1__ftype ftype, l1__quantize_progress progress,
                             void *user);

#endif /* L1_QUANTIZE_MODEL_H */
