/*
 * types.h - the ggml tensor type ids that GGUF files use, with the block
 * geometry of each (values per block, bytes per block).  The GGUF reader
 * needs the geometry of every type it may meet, implemented or not, to check
 * tensor sizes; whether l1 can compute with a type is the quant layer's
 * business (quant.h).
 */
#ifndef L1_TYPES_H
#define L1_TYPES_H

#include <stdbool.h>
#include <stdint.h>

/* Ids as stored in GGUF tensor infos.  Gaps are ids retired by the format. */
typedef enum l1__type {
    /* floats and integers, one value per element */
    L1_TYPE_F32 = 0, L1_TYPE_F16 = 1, L1_TYPE_BF16 = 30, L1_TYPE_F64 = 28,
    L1_TYPE_I8 = 24, L1_TYPE_I16 = 25, L1_TYPE_I32 = 26, L1_TYPE_I64 = 27,
    /* 32-value blocks */
    L1_TYPE_Q4_0 = 2, L1_TYPE_Q4_1 = 3, L1_TYPE_Q5_0 = 6, L1_TYPE_Q5_1 = 7, L1_TYPE_Q8_0 = 8, L1_TYPE_Q8_1 = 9,
    /* 256-value K super-blocks */
    L1_TYPE_Q2_K = 10, L1_TYPE_Q3_K = 11, L1_TYPE_Q4_K = 12, L1_TYPE_Q5_K = 13, L1_TYPE_Q6_K = 14, L1_TYPE_Q8_K = 15,
    /* non-linear (codebook) formats */
    L1_TYPE_IQ2_XXS = 16, L1_TYPE_IQ2_XS = 17, L1_TYPE_IQ3_XXS = 18, L1_TYPE_IQ1_S = 19, L1_TYPE_IQ4_NL = 20,
    L1_TYPE_IQ3_S = 21, L1_TYPE_IQ2_S = 22, L1_TYPE_IQ4_XS = 23, L1_TYPE_IQ1_M = 29,
    /* ternary, microscaling and 1-2 bit formats */
    L1_TYPE_TQ1_0 = 34, L1_TYPE_TQ2_0 = 35, L1_TYPE_MXFP4 = 39, L1_TYPE_NVFP4 = 40, L1_TYPE_Q1_0 = 41,
    L1_TYPE_Q2_0 = 42,
    L1_TYPE_COUNT = 43
} l1__type;

typedef struct l1__type_geom {
    const char *name;    /* "Q4_K"; NULL for an id with no type */
    uint32_t block_size; /* values per block */
    uint32_t type_size;  /* bytes per block */
} l1__type_geom;

/* Geometry of type id `t`, or NULL when `t` names no type (retired ids and
 * ids >= L1_TYPE_COUNT). */
const l1__type_geom *l1__type_geom_get(uint32_t t);

/* The name of `t`, or "unknown" for ids without a type. */
const char *l1__type_name(uint32_t t);

/* Looks a type up by name ("q4_k" or "Q4_K"); returns false if none. */
bool l1__type_from_name(const char *name, l1__type *out);

#endif /* L1_TYPES_H */
