/*
 * fuzz_sample.c - libFuzzer target: arbitrary sampling and budget
 * parameters, logits and token choices into the sampler and the budget
 * controller.
 *
 * Shaped for many executions per second: a vocabulary of at most 256
 * logits, the real sampler on a handful of positions (1 to 4, from the
 * input) and, on the positions after those, a token taken from a script at
 * the end of the input (among those the controller leaves unmasked), so the
 * controller is driven through a whole response (up to MAX_STEPS tokens,
 * past every budget it is given) at the cost of a few array writes a step.
 *
 * Input layout (short inputs are zero-padded; see gen_text_seeds.c):
 *   u8 nv (n_vocab = 1 + nv), u8 mode (% 4: 3 is invalid), u8 flags, u8 steps
 *   (sampled positions = 1 + steps % 4);
 *   sampling: f32 temperature, i32 top_k, f32 top_p, f32 min_p, f32
 *   repeat_penalty, f32 presence, f32 frequency, i16 penalty_window, u64 seed,
 *   2 x (i32 token, f32 bias) (used when flags & 3);
 *   budget: i16 budget, i16 reserve, then f32 boost (flags & 8), then i16
 *   window and i16 tolerance (flags & 128);
 *   n_vocab f32 logits; n_vocab bytes of piece flags (flags & 64);
 *   the rest is the script, one byte per scripted token.
 * flags bit 2 sets thinking_open; bits 4-5 give the transition length.
 * Special ids: <think> 0, </think> 1, EOS 2 (fewer tokens: see `ids`).
 *
 * Budget values are first checked as given (the range checks are fuzzed),
 * then folded into [0, 256] so that the response can reach its end within
 * MAX_STEPS.  Promises checked (a broken one traps, a libFuzzer crash):
 * invalid parameters are refused, never crash; every token is in range; a
 * token the controller masked (-inf) or whose logit is NaN/-inf is never
 * drawn; with no bias and no penalties, greedy (temperature 0 or top_k 1)
 * takes the first maximum, a +inf logit wins outright, and a top-k draw is
 * among the k best; with a budget (max or exact, N tokens): never more than N
 * tokens, at most one </think>, no EOS while thinking, thinking closes at
 * n <= N - R' (R' of budget.h, recomputed here), not before N - tolerance in
 * exact mode, and a response that ran to its end with N >= 1 has closed,
 * with N >= 2 also an answer token after a forced close; the report adds up.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sample/budget.h"
#include "sample/sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VOCAB 256
#define MAX_STEPS 300
#define FOLD 256

#define PROMISE(c)                                                                       \
    do {                                                                                 \
        if (!(c)) __builtin_trap();                                                      \
    } while (0)

typedef struct input {
    const uint8_t *p, *end;
} input;

static void take(input *in, void *dst, size_t n) {
    memset(dst, 0, n);
    size_t k = (size_t)(in->end - in->p) < n ? (size_t)(in->end - in->p) : n;
    memcpy(dst, in->p, k);
    in->p += k;
}

static int32_t fold(int32_t v, int32_t limit) { return v > limit ? v % (limit + 1) : v; }

static bool dead(float l) { return isnan(l) || l == -INFINITY; }

/* Position of `tok` in the order "higher logit first, lower id first", NaN
 * counting as -inf. */
static int32_t rank_of(const float *l, int32_t n, l1_token tok) {
    const float x = isnan(l[tok]) ? -INFINITY : l[tok];
    int32_t r = 0;
    for (int32_t i = 0; i < n; i++) {
        const float y = isnan(l[i]) ? -INFINITY : l[i];
        r += y > x || (y == x && i < tok);
    }
    return r;
}

/* What the sampler's header promises about the token it drew from `pre`
 * (the logits as given to it).  `plain`: no bias and no penalties. */
static void check_draw(const l1__sample_params *sp, bool plain, const float *pre, int32_t n, l1_token tok) {
    PROMISE(tok >= 0 && tok < n);
    PROMISE(!dead(pre[tok]));
    if (!plain) return;
    bool posinf = false;
    for (int32_t i = 0; i < n; i++) posinf |= pre[i] == INFINITY;
    if (sp->temperature == 0.0f || sp->top_k == 1) PROMISE(rank_of(pre, n, tok) == 0);
    else if (posinf) PROMISE(pre[tok] == INFINITY);
    else if (sp->top_k > 0) PROMISE(rank_of(pre, n, tok) < sp->top_k);
}

/* The scripted token: the script's choice, or the next id after it that the
 * controller left unmasked; -1 when every id is masked. */
static l1_token scripted(input *in, const float *masks, int32_t n) {
    uint8_t c = 0;
    take(in, &c, 1);
    int32_t t = c < 48 ? c % 3 : c; /* the special ids come up often */
    for (int32_t k = 0; k < n; k++) {
        int32_t id = (t + k) % n;
        if (!dead(masks[id])) return id;
    }
    return -1;
}

typedef struct drive {
    int n, closes, close_at_n, eos_thinking;
    bool ended; /* the controller reported done (not cut by MAX_STEPS or a failed draw) */
} drive;

static void run(input *in, l1__sampler *s, const l1__sample_params *sp, bool plain, l1__budget *b,
                const l1__budget_tokens *bt, const float *logits, int sampled, drive *d) {
    float work[MAX_VOCAB], pre[MAX_VOCAB];
    const int32_t nv = bt->n_vocab;
    const bool on = b->p.mode != L1_BUDGET_OFF;
    int draws = 0;
    while (!(d->ended = l1__budget_done(b)) && d->n < MAX_STEPS) {
        l1_token tok;
        const bool thinking = b->phase == L1_PHASE_THINKING;
        if (!l1__budget_forced_token(b, &tok)) {
            if (draws < sampled) {
                memcpy(work, logits, (size_t)nv * sizeof *work);
                work[d->n % nv] += (float)(d->n % 7); /* let the steps differ */
                l1__budget_before_sample(b, work);
                memcpy(pre, work, (size_t)nv * sizeof *pre);
                if (l1__sampler_sample(s, work, &tok) != L1_OK) break;
                check_draw(sp, plain, pre, nv, tok);
                draws++;
            } else {
                memset(work, 0, (size_t)nv * sizeof *work); /* all-zero bits: 0.0f */
                l1__budget_before_sample(b, work);
                if ((tok = scripted(in, work, nv)) < 0) break;
            }
        }
        PROMISE(tok >= 0 && tok < nv);
        if (on && tok == bt->think_close) {
            d->closes++;
            d->close_at_n = d->n;
        }
        d->eos_thinking += on && thinking && tok == bt->eos;
        l1__budget_accept(b, tok);
        l1__sampler_accept(s, tok);
        d->n++;
    }
}

/* The budget promises of budget.h, from the parameters alone. */
static void check_budget(const l1__budget_params *bp, const l1__budget_tokens *bt, const l1__budget *b,
                         const drive *d) {
    l1__budget_report r;
    l1__budget_report_get(b, &r);
    PROMISE(r.used == d->n && r.tokens_thinking + r.tokens_answer == d->n);
    if (bp->mode == L1_BUDGET_OFF) return;
    /* R', T', G' and the floor derived here from the parameters as budget.h
     * states them (no close text in this driver, so C' = 0): an explicit
     * reserve is kept, an automatic one is min(64, max(N/4, min(G, 8) + T + 1 + 16), N);
     * the transition is kept whole when it fits in R' - 2, and the wait
     * takes at most what is left of that room. */
    const int64_t N = bp->budget, T = bt->n_transition;
    int64_t Rp;
    if (bp->reserve > 0) {
        Rp = bp->reserve;
    } else {
        const int64_t need = (bp->wait < 8 ? bp->wait : 8) + T + 1 + 16;
        Rp = need > N / 4 ? need : N / 4;
        if (Rp > 64) Rp = 64;
        if (Rp > N) Rp = N;
    }
    const int64_t room = Rp - 2 > 0 ? Rp - 2 : 0;
    const int64_t Tp = T <= room ? T : 0;
    const int64_t G = bp->wait < room - Tp ? bp->wait : room - Tp;
    PROMISE(d->n <= N && d->closes <= 1 && d->eos_thinking == 0);
    if (d->closes) PROMISE(d->close_at_n <= N - Rp + G);
    if (d->closes && bp->mode == L1_BUDGET_EXACT) {
        const int64_t W = bp->window < (N / 4 > 1 ? N / 4 : 1) ? bp->window : (N / 4 > 1 ? N / 4 : 1);
        int64_t tol = bp->tolerance >= 0 ? bp->tolerance : Rp + W;
        if (tol < Rp) tol = Rp;
        PROMISE(d->close_at_n >= N - tol);
    }
    if (d->ended && r.finish == L1_FINISH_BUDGET && N >= 1) PROMISE(r.close != L1_CLOSE_NONE);
    if (d->ended && r.close == L1_CLOSE_FORCED && N >= 2) PROMISE(r.tokens_answer >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input in = {data, data + size};
    uint8_t nv = 0, mode = 0, flags = 0, steps = 0;
    take(&in, &nv, 1);
    take(&in, &mode, 1);
    take(&in, &flags, 1);
    take(&in, &steps, 1);
    const int32_t n_vocab = 1 + nv;

    l1__sample_params sp;
    l1__sample_params_default(&sp);
    take(&in, &sp.temperature, 4);
    take(&in, &sp.top_k, 4);
    take(&in, &sp.top_p, 4);
    take(&in, &sp.min_p, 4);
    take(&in, &sp.repeat_penalty, 4);
    take(&in, &sp.presence_penalty, 4);
    take(&in, &sp.frequency_penalty, 4);
    int16_t i16 = 0;
    take(&in, &i16, 2);
    sp.penalty_window = i16;
    take(&in, &sp.seed, 8);
    l1_logit_bias bias[2];
    take(&in, bias, sizeof bias);
    sp.bias = bias;
    sp.n_bias = (flags & 3) == 3 ? 2 : flags & 3;

    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.mode = (l1_budget_mode)(mode % 4);
    take(&in, &i16, 2);
    bp.budget = i16;
    take(&in, &i16, 2);
    bp.reserve = i16;
    bp.thinking_open = flags & 4;
    if (flags & 8) take(&in, &bp.boost, 4);
    if (flags & 128) {
        take(&in, &i16, 2);
        bp.window = i16;
        take(&in, &i16, 2);
        bp.tolerance = i16;
    }
    const l1_token ids[3] = {n_vocab > 2 ? 0 : -1, n_vocab > 1 ? 1 : 0, n_vocab > 2 ? 2 : 0};
    const l1_token tr[3] = {3 % n_vocab, 4 % n_vocab, 5 % n_vocab};
    float logits[MAX_VOCAB];
    for (int32_t i = 0; i < n_vocab; i++) take(&in, &logits[i], 4);
    uint8_t piece_flags[MAX_VOCAB];
    if (flags & 64) take(&in, piece_flags, (size_t)n_vocab);
    l1__budget_tokens bt = {n_vocab, ids[0], ids[1], ids[2], tr, (flags >> 4) & 3, flags & 64 ? piece_flags : NULL,
                            NULL, 0};

    /* The checks as given, then the folded values for the drive. */
    (void)l1__budget_check(&bp, &bt);
    bp.budget = fold(bp.budget, FOLD);
    bp.reserve = fold(bp.reserve, FOLD);
    bp.window = fold(bp.window, FOLD);
    bp.tolerance = fold(bp.tolerance, 2 * FOLD);

    l1__sampler *s = NULL;
    if (l1__sampler_create(&sp, n_vocab, &s) != L1_OK) {
        PROMISE(s == NULL);
        return 0;
    }
    l1__budget b;
    if (l1__budget_init(&b, &bp, &bt) != L1_OK) {
        l1__sampler_free(s);
        return 0;
    }
    const bool plain = sp.n_bias == 0 && (sp.penalty_window == 0 || (sp.repeat_penalty == 1.0f &&
                                                                     sp.presence_penalty == 0.0f &&
                                                                     sp.frequency_penalty == 0.0f));
    drive d = {0, 0, -1, 0, false};
    run(&in, s, &sp, plain, &b, &bt, logits, 1 + steps % 4, &d);
    check_budget(&bp, &bt, &b, &d);
    l1__sampler_free(s);
    return 0;
}
