/*
 * cmd_quantize.c - `l1 quantize IN.gguf OUT.gguf TYPE`: rewrites an F32,
 * F16 or BF16 model with quantized weights (the recipe is in
 * lib/quantize_model.c).  Progress (tensor by tensor) is drawn on a
 * terminal only; one final line reports the result.
 */
#include <stdio.h>
#include <string.h>

#include <getopt.h>

#include "cli.h"
#include "tooling/quantize_model.h"
#include "gguf/types.h"

typedef struct progress {
    l1cli_progress pr;
    int64_t done;
} progress;

static bool on_tensor(void *user, int64_t index, int64_t count, const char *name, uint32_t from,
                      uint32_t to) {
    progress *p = user;
    char detail[160];
    snprintf(detail, sizeof detail, "[%lld/%lld] %s %s -> %s", (long long)index + 1, (long long)count, name,
             l1__type_name(from), l1__type_name(to));
    l1cli_progress_update(&p->pr, count ? (double)index / (double)count : -1, detail);
    p->done = index + 1;
    return !l1cli_terminated(); /* SIGINT/SIGTERM: stop before writing anything */
}

static void usage(FILE *f) {
    fprintf(f, "usage: l1 quantize IN.gguf OUT.gguf TYPE\n"
               "  TYPE: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_M Q4_K_M Q5_K_M Q6_K\n"
               "  IN must hold F32, F16 or BF16 tensors.  Progress is shown on a terminal;\n"
               "  one line reports the result.  OUT must be absent or a regular file (a symbolic\n"
               "  link, directory or device is refused); Ctrl-C or SIGTERM cancels, leaving OUT as it was.\n"
               "  -h, --help  this help\n");
}

int l1cli_quantize(int argc, char **argv) {
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *v;
    int c;
    while ((c = l1cli_getopt("quantize", argc, argv, "h", longopts, &v)) != -1) {
        if (c == 'h') return usage(stdout), 0;
        return 2;
    }
    if (argc - optind != 3) return l1cli_usage_err("quantize", "expected IN.gguf OUT.gguf TYPE");
    const char *in = argv[optind], *out = argv[optind + 1], *type = argv[optind + 2];
    l1__ftype ft;
    if (!l1__ftype_from_name(type, &ft))
        return l1cli_usage_err("quantize", "unknown type '%s' (use Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_M Q4_K_M "
                                           "Q5_K_M Q6_K)", type);
    if (l1cli_check_output_path("quantize", out)) return 1;
    progress p = {0};
    l1cli_progress_begin(&p.pr, "quantize", "quantizing");
    const double t0 = l1cli_now();
    l1cli_catch_termination();
    l1_status st = l1__quantize_model(in, out, ft, on_tensor, &p);
    l1cli_restore_termination();
    l1cli_progress_clear(&p.pr);
    const int sig = l1cli_terminated();
    if (st != L1_OK && sig) {
        l1cli_err("quantize", "interrupted; %s was not written", out);
        return 128 + sig;
    }
    if (st != L1_OK) return l1cli_fail("quantize", in, st);
    fprintf(stderr, "l1 quantize: wrote %s (%s, %lld tensors) in %.1f s\n", out, l1__ftype_name(ft),
            (long long)p.done, l1cli_now() - t0);
    return 0;
}
