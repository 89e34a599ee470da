/*
 * fuzz_sample.c - libFuzzer target: arbitrary sampling and budget
 * parameters and logits into the sampler and the budget controller.
 *
 * Input layout (short inputs are zero-padded): a 48-byte header of raw
 * parameter bytes (floats may be NaN/inf, integers anything), then logits as
 * raw floats, n_vocab = 1 + header byte % 200.  Invalid parameters must be
 * refused with L1_ERR_INVALID_ARG; valid ones must run a short generate loop
 * without crashing and keep the budget's promises (never more than N tokens,
 * at most one close).
 */
#include <stdint.h>
#include <string.h>

#include "budget.h"
#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void take(void *dst, size_t n, const uint8_t **p, const uint8_t *end) {
    memset(dst, 0, n);
    size_t k = (size_t)(end - *p) < n ? (size_t)(end - *p) : n;
    memcpy(dst, *p, k);
    *p += k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *p = data, *end = data + size;
    uint8_t nv = 0, mode = 0, flags = 0;
    take(&nv, 1, &p, end);
    take(&mode, 1, &p, end);
    take(&flags, 1, &p, end);
    const int32_t n_vocab = 1 + nv % 200;

    l1__sample_params sp;
    l1__sample_params_default(&sp);
    take(&sp.temperature, 4, &p, end);
    take(&sp.top_k, 4, &p, end);
    take(&sp.top_p, 4, &p, end);
    take(&sp.min_p, 4, &p, end);
    take(&sp.repeat_penalty, 4, &p, end);
    take(&sp.presence_penalty, 4, &p, end);
    take(&sp.frequency_penalty, 4, &p, end);
    int16_t window = 0;
    take(&window, 2, &p, end);
    sp.penalty_window = window;
    take(&sp.seed, 8, &p, end);
    l1__logit_bias bias[2];
    take(bias, sizeof bias, &p, end);
    sp.bias = bias;
    sp.n_bias = flags & 3 ? 2 : 0;

    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.mode = (l1__budget_mode)(mode % 4);
    int16_t budget = 0, reserve = 0;
    take(&budget, 2, &p, end);
    take(&reserve, 2, &p, end);
    bp.budget = budget;
    bp.reserve = reserve;
    bp.thinking_open = flags & 4;
    if (flags & 8) take(&bp.boost, 4, &p, end);
    l1_token tr[3] = {3 % n_vocab, 4 % n_vocab, 5 % n_vocab};
    l1__budget_tokens bt = {n_vocab, n_vocab > 2 ? 0 : -1, n_vocab > 1 ? 1 : 0, n_vocab > 2 ? 2 : 0, tr,
                            (flags >> 4) & 3, NULL};

    float logits[200], work[200];
    for (int i = 0; i < n_vocab; i++) take(&logits[i], 4, &p, end);

    l1__sampler *s = NULL;
    if (l1__sampler_create(&sp, n_vocab, &s) != L1_OK) return 0;
    l1__budget b;
    if (l1__budget_init(&b, &bp, &bt) != L1_OK) {
        l1__sampler_free(s);
        return 0;
    }
    int n = 0, closes = 0;
    while (!l1__budget_done(&b) && n < 300) {
        l1_token tok;
        if (!l1__budget_forced_token(&b, &tok)) {
            memcpy(work, logits, (size_t)n_vocab * sizeof *work);
            work[n % n_vocab] += (float)(n % 7); /* let the steps differ */
            l1__budget_before_sample(&b, work);
            if (l1__sampler_sample(s, work, &tok) != L1_OK) break;
        }
        if (tok < 0 || tok >= n_vocab) __builtin_trap();
        l1__budget_accept(&b, tok);
        l1__sampler_accept(s, tok);
        closes += bp.mode != L1__BUDGET_OFF && tok == bt.think_close;
        n++;
    }
    if (bp.mode != L1__BUDGET_OFF && (n > bp.budget || closes > 1)) __builtin_trap();
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    if (r.used != n || r.tokens_thinking + r.tokens_answer != n) __builtin_trap();
    l1__sampler_free(s);
    return 0;
}
