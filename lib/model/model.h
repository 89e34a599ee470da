/*
 * model.h - the model layer: Qwen2 hyper-parameters read from GGUF
 * metadata, weights bound by tensor name and validated (shapes, types,
 * values) before anything is allocated, and the memory estimate.
 *
 * Weights stay in the file mapping: an l1__weight points at the first byte
 * of a row-major matrix whose rows are contiguous blocks of its type, and
 * the kernels read them in place.  Only model.c and forward.c read the
 * fields of struct l1_model; other layers use the accessors below.
 */
#ifndef L1_MODEL_H
#define L1_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "gguf/gguf.h"
#include "kernels/kernels.h"
#include "kernels/threadpool.h"
#include "quant/quant.h"

typedef struct l1__tokenizer l1__tokenizer;

/* A weight matrix (ne1 rows of ne0 values) or vector (ne1 == 1), in place. */
typedef struct l1__weight {
    const char *name;              /* the tensor's name, owned by the reader */
    const void *data;              /* row r starts at data + r * row_bytes */
    uint32_t type;                 /* l1__type id */
    int64_t ne0;                   /* values per row */
    int64_t ne1;                   /* rows */
    size_t row_bytes;              /* bytes per row */
    const l1__quant_traits *qt;    /* traits of `type` (never NULL once bound) */
    void *x8;                      /* the rows in the x8 layout (repack.h), owned by the
                                      model; NULL when not repacked */
    size_t x8_group_bytes;         /* bytes per group of 8 rows of x8 */
} l1__weight;

/* One transformer block.  Biases are F32 vectors of the projection's rows. */
typedef struct l1__layer {
    l1__weight attn_norm;          /* (n_embd) F32 */
    l1__weight wq, wk, wv;         /* (n_embd) -> n_embd, n_embd_kv, n_embd_kv */
    l1__weight bq, bk, bv;         /* (n_embd), (n_embd_kv), (n_embd_kv) F32 */
    l1__weight wo;                 /* (n_embd) -> n_embd */
    l1__weight ffn_norm;           /* (n_embd) F32 */
    l1__weight w_gate, w_up;       /* (n_embd) -> n_ff */
    l1__weight w_down;             /* (n_ff) -> n_embd */
} l1__layer;

typedef struct l1__hparams {
    int32_t n_vocab;
    int32_t n_ctx_train;           /* qwen2.context_length */
    int32_t n_embd;
    int32_t n_ff;
    int32_t n_layer;
    int32_t n_head;
    int32_t n_head_kv;
    int32_t head_dim;              /* n_embd / n_head */
    float rope_theta;              /* qwen2.rope.freq_base */
    float rms_eps;                 /* qwen2.attention.layer_norm_rms_epsilon */
} l1__hparams;

struct l1_model {
    l1__gguf *gguf;                /* owns the mapping the weights point into */
    l1__tokenizer *tok;            /* the vocabulary, loaded with the model */
    l1__hparams hp;
    bool vocab_only;               /* no weights bound */
    bool tied;                     /* output head is token_embd */
    l1__weight tok_embd;           /* (n_vocab rows of n_embd) */
    l1__weight output_norm;        /* (n_embd) F32 */
    l1__weight output;             /* (n_vocab rows of n_embd); == tok_embd when tied */
    l1__layer *layers;             /* n_layer */
    uint64_t weight_bytes;         /* bytes of every bound tensor */
    uint64_t n_params;             /* values of every bound tensor */
    char name[128];                /* general.name, or "" */
    char weight_type[16];          /* most common type of the matrices, by bytes */
    /* Repacking (repack.h) happens on the first evaluation, once per model,
     * whichever context asks first (l1__model_prepare). */
    bool repack;                   /* l1_model_params.no_repack was not set */
    bool prepare_mu_ok;            /* prepare_mu was initialized */
    _Atomic int prepared;          /* 1 once the matrices are repacked */
    pthread_mutex_t prepare_mu;
    struct l1_model *self;         /* this model, writable (for l1__model_prepare) */
};

/* Repacks the model's matrices if that is still to be done, for the x8
 * kernels of table k, on the threads of `pool` (thread-safe: the first
 * caller packs, concurrent callers wait).  On failure nothing is left
 * repacked and a later call tries again.  Every evaluation calls it before
 * reading the weights. */
l1_status l1__model_prepare(const l1_model *m, l1__pool *pool, const l1__kernels *k);

/* The layer's entry points behind l1.h's l1_model_* (lib/api/model.c
 * checks the arguments: pointers here are non-NULL, params excepted).
 * l1__model_describe fills everything of l1_model_desc but `memory`, which
 * the forward layer knows. */
l1_model_params l1__model_default_params(void);
l1_status l1__model_load(const char *path, const l1_model_params *params, l1_model **out);
void l1__model_free(l1_model *model);
void l1__model_describe(const l1_model *m, l1_model_desc *out);

/* Whether only the metadata and tokenizer were loaded. */
bool l1__model_vocab_only(const l1_model *m);

/* The model's tokenizer (NULL when none was loaded).  Valid until the model
 * is freed. */
const l1__tokenizer *l1__model_tokenizer(const l1_model *m);

/* The opened GGUF file the model reads from.  Valid until the model is
 * freed. */
const l1__gguf *l1__model_gguf(const l1_model *m);

#endif /* L1_MODEL_H */
