/*
 * types.c - block geometry of every GGUF tensor type id.  The byte counts
 * follow from each format's block layout (see quant.h for the layouts l1
 * computes with); a test checks them against the layouts' sizeof.
 */
#include "gguf/types.h"

#include <stddef.h>
#include <strings.h>

static const l1__type_geom k_geom[L1_TYPE_COUNT] = {
    [L1_TYPE_F32] = {"F32", 1, 4},
    [L1_TYPE_F16] = {"F16", 1, 2},
    [L1_TYPE_Q4_0] = {"Q4_0", 32, 18},
    [L1_TYPE_Q4_1] = {"Q4_1", 32, 20},
    [L1_TYPE_Q5_0] = {"Q5_0", 32, 22},
    [L1_TYPE_Q5_1] = {"Q5_1", 32, 24},
    [L1_TYPE_Q8_0] = {"Q8_0", 32, 34},
    [L1_TYPE_Q8_1] = {"Q8_1", 32, 36},
    [L1_TYPE_Q2_K] = {"Q2_K", 256, 84},
    [L1_TYPE_Q3_K] = {"Q3_K", 256, 110},
    [L1_TYPE_Q4_K] = {"Q4_K", 256, 144},
    [L1_TYPE_Q5_K] = {"Q5_K", 256, 176},
    [L1_TYPE_Q6_K] = {"Q6_K", 256, 210},
    [L1_TYPE_Q8_K] = {"Q8_K", 256, 292},
    [L1_TYPE_IQ2_XXS] = {"IQ2_XXS", 256, 66},
    [L1_TYPE_IQ2_XS] = {"IQ2_XS", 256, 74},
    [L1_TYPE_IQ3_XXS] = {"IQ3_XXS", 256, 98},
    [L1_TYPE_IQ1_S] = {"IQ1_S", 256, 50},
    [L1_TYPE_IQ4_NL] = {"IQ4_NL", 32, 18},
    [L1_TYPE_IQ3_S] = {"IQ3_S", 256, 110},
    [L1_TYPE_IQ2_S] = {"IQ2_S", 256, 82},
    [L1_TYPE_IQ4_XS] = {"IQ4_XS", 256, 136},
    [L1_TYPE_I8] = {"I8", 1, 1},
    [L1_TYPE_I16] = {"I16", 1, 2},
    [L1_TYPE_I32] = {"I32", 1, 4},
    [L1_TYPE_I64] = {"I64", 1, 8},
    [L1_TYPE_F64] = {"F64", 1, 8},
    [L1_TYPE_IQ1_M] = {"IQ1_M", 256, 56},
    [L1_TYPE_BF16] = {"BF16", 1, 2},
    [L1_TYPE_TQ1_0] = {"TQ1_0", 256, 54},
    [L1_TYPE_TQ2_0] = {"TQ2_0", 256, 66},
    [L1_TYPE_MXFP4] = {"MXFP4", 32, 17},
    [L1_TYPE_NVFP4] = {"NVFP4", 64, 36},
    [L1_TYPE_Q1_0] = {"Q1_0", 128, 18},
    [L1_TYPE_Q2_0] = {"Q2_0", 64, 18},
};

const l1__type_geom *l1__type_geom_get(uint32_t t) {
    if (t >= L1_TYPE_COUNT || k_geom[t].name == NULL) return NULL;
    return &k_geom[t];
}

const char *l1__type_name(uint32_t t) {
    const l1__type_geom *g = l1__type_geom_get(t);
    return g ? g->name : "unknown";
}

bool l1__type_from_name(const char *name, l1__type *out) {
    if (!name) return false;
    for (uint32_t t = 0; t < L1_TYPE_COUNT; t++) {
        if (k_geom[t].name && strcasecmp(k_geom[t].name, name) == 0) {
            *out = (l1__type)t;
            return true;
        }
    }
    return false;
}
