/*
 * ref_quantize.c - quantizes a GGUF model with the reference
 * implementation's own quantizer (llama_model_quantize), so the speed
 * benchmarks run l1 and the reference on files neither engine wrote.
 * Built by bench/ref.mk (it links the reference libraries):
 *
 *   build/release/bench/ref/ref_quantize IN.gguf OUT.gguf Q4_K_M|Q4_0|Q8_0 [threads]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gguf_context; /* named in llama.h before its declaration */
#include "ggml-backend.h"
#include "llama.h"

static const struct {
    const char *name;
    enum llama_ftype ftype;
} k_types[] = {
    {"Q4_0", LLAMA_FTYPE_MOSTLY_Q4_0},     {"Q4_1", LLAMA_FTYPE_MOSTLY_Q4_1},
    {"Q5_0", LLAMA_FTYPE_MOSTLY_Q5_0},     {"Q5_1", LLAMA_FTYPE_MOSTLY_Q5_1},
    {"Q8_0", LLAMA_FTYPE_MOSTLY_Q8_0},     {"Q2_K", LLAMA_FTYPE_MOSTLY_Q2_K},
    {"Q3_K_M", LLAMA_FTYPE_MOSTLY_Q3_K_M}, {"Q4_K_S", LLAMA_FTYPE_MOSTLY_Q4_K_S},
    {"Q4_K_M", LLAMA_FTYPE_MOSTLY_Q4_K_M}, {"Q5_K_M", LLAMA_FTYPE_MOSTLY_Q5_K_M},
    {"Q6_K", LLAMA_FTYPE_MOSTLY_Q6_K},
};

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s IN.gguf OUT.gguf TYPE [threads]\n", argv[0]);
        return 2;
    }
    struct llama_model_quantize_params p = llama_model_quantize_default_params();
    size_t i = 0;
    while (i < sizeof k_types / sizeof k_types[0] && strcmp(k_types[i].name, argv[3]) != 0) i++;
    if (i == sizeof k_types / sizeof k_types[0]) {
        fprintf(stderr, "%s: unknown type '%s'\n", argv[0], argv[3]);
        return 2;
    }
    p.ftype = k_types[i].ftype;
    p.nthread = argc > 4 ? atoi(argv[4]) : 0;
    ggml_backend_load_all_from_path(getenv("L1_REF_LIB"));
    if (llama_model_quantize(argv[1], argv[2], &p) != 0) {
        fprintf(stderr, "%s: quantizing %s failed\n", argv[0], argv[1]);
        return 1;
    }
    return 0;
}
