/*
 * cmd_quantize.c - `l1 quantize IN.gguf OUT.gguf TYPE`: rewrites an F32,
 * F16 or BF16 model with quantized weights (the recipe is in
 * lib/quantize_model.c).  Progress goes to stderr, one line per tensor.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tooling/quantize_model.h"
#include "gguf/types.h"

static bool print_progress(void *user, int64_t index, int64_t count, const char *name, uint32_t from,
                           uint32_t to) {
    (void)user;
    fprintf(stderr, "[%4lld/%4lld] %-40s %-5s -> %s\n", (long long)index + 1, (long long)count, name,
            l1__type_name(from), l1__type_name(to));
    return true;
}

int l1cli_quantize(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr,
                "usage: l1 quantize IN.gguf OUT.gguf TYPE\n"
                "  TYPE: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_M Q4_K_M Q5_K_M Q6_K\n"
                "  IN must hold F32, F16 or BF16 tensors.\n");
        return 2;
    }
    l1__ftype ft;
    if (!l1__ftype_from_name(argv[3], &ft)) {
        l1cli_err("quantize", "unknown type '%s' (use Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_M Q4_K_M Q5_K_M Q6_K)",
                  argv[3]);
        return 2;
    }
    l1_status st = l1__quantize_model(argv[1], argv[2], ft, print_progress, NULL);
    if (st != L1_OK) return l1cli_fail("quantize", argv[1], st);
    fprintf(stderr, "l1 quantize: wrote %s (%s)\n", argv[2], l1__ftype_name(ft));
    return 0;
}
