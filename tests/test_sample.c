/*
 * test_sample.c - the sampler chain: parameter checks, greedy and its tie
 * rule, non-finite logits, temperature, top-k, top-p, min-p and penalties
 * against hand-derived distributions, seeded determinism, the exponential,
 * and the no-allocation-per-step promise.
 *
 * Frequencies are checked against hand-derived probabilities with a
 * tolerance of FREQ_SIGMAS binomial standard deviations: a correct sampler
 * fails such a check with probability below 1e-6, and the draws are seeded,
 * so every run is the same anyway.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base.h"
#include "sample/sample.h"

#define FREQ_SIGMAS 5.0
#define N_DRAWS 20000

static l1__sampler *make(const l1__sample_params *p, int32_t n_vocab) {
    l1__sampler *s = NULL;
    assert_int_equal(l1__sampler_create(p, n_vocab, &s), L1_OK);
    return s;
}

/* Draws N_DRAWS tokens from a fresh copy of `logits` each time and counts
 * them per id into counts[n]. */
static void histogram_draws(l1__sampler *s, const float *logits, int32_t n, int32_t *counts) {
    float *work = malloc((size_t)n * sizeof *work);
    assert_non_null(work);
    memset(counts, 0, (size_t)n * sizeof *counts);
    for (int i = 0; i < N_DRAWS; i++) {
        memcpy(work, logits, (size_t)n * sizeof *work);
        l1_token t = -1;
        assert_int_equal(l1__sampler_sample(s, work, &t), L1_OK);
        assert_true(t >= 0 && t < n);
        counts[t]++;
    }
    free(work);
}

static void assert_freq(int32_t count, double p) {
    double f = (double)count / N_DRAWS, sd = sqrt(p * (1.0 - p) / N_DRAWS);
    if (fabs(f - p) > FREQ_SIGMAS * sd + 1e-12) fail_msg("frequency %.5f, expected %.5f (sd %.5f)", f, p, sd);
}

/* ---- parameters ---------------------------------------------------------------- */

static void sample_defaults_are_the_models_recommendation(void **state) {
    (void)state;
    l1__sample_params p;
    l1__sample_params_default(&p);
    assert_true(p.temperature == 0.6f);
    assert_true(p.top_p == 0.95f);
    assert_int_equal(p.top_k, 0);
    assert_true(p.min_p == 0.0f);
    assert_true(p.repeat_penalty == 1.0f);
    assert_int_equal(l1__sample_params_check(&p, 151936), L1_OK);
}

static void expect_invalid(const l1__sample_params *p, int32_t n_vocab, const char *field) {
    l1__sampler *s = (l1__sampler *)(uintptr_t)1;
    assert_int_equal(l1__sample_params_check(p, n_vocab), L1_ERR_INVALID_ARG);
    if (!strstr(l1_last_error(), field)) fail_msg("message \"%s\" does not name %s", l1_last_error(), field);
    assert_int_equal(l1__sampler_create(p, n_vocab, &s), L1_ERR_INVALID_ARG);
    assert_null(s);
}

static void sample_params_rejects_bad_values_naming_the_field(void **state) {
    (void)state;
    l1__sample_params d, p;
    l1__sample_params_default(&d);
    p = d, p.temperature = NAN, expect_invalid(&p, 10, "temperature");
    p = d, p.temperature = -0.1f, expect_invalid(&p, 10, "temperature");
    p = d, p.temperature = INFINITY, expect_invalid(&p, 10, "temperature");
    p = d, p.top_p = 1.5f, expect_invalid(&p, 10, "top_p");
    p = d, p.top_p = NAN, expect_invalid(&p, 10, "top_p");
    p = d, p.top_p = -0.01f, expect_invalid(&p, 10, "top_p");
    p = d, p.min_p = -0.1f, expect_invalid(&p, 10, "min_p");
    p = d, p.min_p = 2.0f, expect_invalid(&p, 10, "min_p");
    p = d, p.top_k = -1, expect_invalid(&p, 10, "top_k");
    p = d, p.repeat_penalty = 0.0f, expect_invalid(&p, 10, "repeat_penalty");
    p = d, p.repeat_penalty = -1.0f, expect_invalid(&p, 10, "repeat_penalty");
    p = d, p.repeat_penalty = INFINITY, expect_invalid(&p, 10, "repeat_penalty");
    p = d, p.repeat_penalty = NAN, expect_invalid(&p, 10, "repeat_penalty");
    p = d, p.presence_penalty = NAN, expect_invalid(&p, 10, "presence_penalty");
    p = d, p.frequency_penalty = -INFINITY, expect_invalid(&p, 10, "frequency_penalty");
    p = d, p.penalty_window = -1, expect_invalid(&p, 10, "penalty_window");
    p = d, p.penalty_window = L1__SAMPLE_MAX_PENALTY_WINDOW + 1, expect_invalid(&p, 10, "penalty_window");
    l1_logit_bias bad_id = {10, 1.0f}, bad_val = {3, NAN}, neg = {-1, 0.0f};
    p = d, p.bias = &bad_id, p.n_bias = 1, expect_invalid(&p, 10, "bias[0].token");
    p = d, p.bias = &neg, p.n_bias = 1, expect_invalid(&p, 10, "bias[0].token");
    p = d, p.bias = &bad_val, p.n_bias = 1, expect_invalid(&p, 10, "bias[0].bias");
    p = d, p.bias = NULL, p.n_bias = 2, expect_invalid(&p, 10, "bias");
    p = d, p.n_bias = -1, expect_invalid(&p, 10, "n_bias");
    expect_invalid(&d, 0, "n_vocab");
    /* Edges that are valid: top_p 0 and 1, min_p 1, temperature 0, top_k past the vocabulary. */
    p = d, p.top_p = 0.0f, p.min_p = 1.0f, p.temperature = 0.0f, p.top_k = 1000;
    assert_int_equal(l1__sample_params_check(&p, 10), L1_OK);
    assert_int_equal(l1__sample_params_check(NULL, 10), L1_ERR_INVALID_ARG);
}

/* ---- greedy and non-finite logits ------------------------------------------------ */

static void sample_greedy_takes_max_and_lowest_id_on_ties(void **state) {
    (void)state;
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.temperature = 0.0f;
    l1__sampler *s = make(&p, 20);
    float l[20];
    for (int i = 0; i < 20; i++) l[i] = (float)(i % 7); /* max 6 at ids 6 and 13 */
    l1_token t = -1;
    assert_int_equal(l1__sampler_sample(s, l, &t), L1_OK);
    assert_int_equal(t, 6);
    for (int i = 0; i < 20; i++) l[i] = -1.0f;
    l[19] = 2.0f;
    l[17] = 2.0f; /* ties at the end, past the last full block of 8 */
    assert_int_equal(l1__sampler_sample(s, l, &t), L1_OK);
    assert_int_equal(t, 17);
    l1__sampler_free(s);
    /* top_k = 1 is greedy at any temperature. */
    l1__sample_params_default(&p);
    p.top_k = 1;
    s = make(&p, 20);
    for (int k = 0; k < 50; k++) {
        for (int i = 0; i < 20; i++) l[i] = (float)(i % 7);
        assert_int_equal(l1__sampler_sample(s, l, &t), L1_OK);
        assert_int_equal(t, 6);
    }
    l1__sampler_free(s);
}

static void sample_nan_is_treated_as_minus_inf(void **state) {
    (void)state;
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.temperature = 1.0f;
    p.top_p = 1.0f;
    l1__sampler *s = make(&p, 4);
    /* Token 0 is NaN: never drawn; the others are equally likely. */
    const float l[4] = {NAN, 0.0f, 0.0f, 0.0f};
    int32_t c[4];
    histogram_draws(s, l, 4, c);
    assert_int_equal(c[0], 0);
    for (int i = 1; i < 4; i++) assert_freq(c[i], 1.0 / 3.0);
    l1__sampler_free(s);
    p.temperature = 0.0f;
    s = make(&p, 4);
    float g[4] = {NAN, -1.0f, NAN, -2.0f};
    l1_token t;
    assert_int_equal(l1__sampler_sample(s, g, &t), L1_OK);
    assert_int_equal(t, 1);
    assert_true(isinf(g[0]) && g[0] < 0); /* rewritten in place, as documented */
    l1__sampler_free(s);
}

static void sample_all_minus_inf_or_nan_is_a_numeric_error(void **state) {
    (void)state;
    l1__sample_params p;
    l1__sample_params_default(&p);
    for (int greedy = 0; greedy < 2; greedy++) {
        p.temperature = greedy ? 0.0f : 0.6f;
        l1__sampler *s = make(&p, 11);
        float l[11];
        for (int i = 0; i < 11; i++) l[i] = i % 2 ? NAN : -INFINITY;
        l1_token t = 123;
        assert_int_equal(l1__sampler_sample(s, l, &t), L1_ERR_NUMERIC);
        assert_non_null(strstr(l1_last_error(), "-inf or NaN"));
        l1__sampler_free(s);
    }
}

static void sample_plus_inf_wins_and_several_share_equally(void **state) {
    (void)state;
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.temperature = 1.0f;
    p.top_k = 2; /* filters do not apply among +inf tokens */
    l1__sampler *s = make(&p, 30);
    float l[30];
    for (int i = 0; i < 30; i++) l[i] = 100.0f;
    l[21] = INFINITY;
    int32_t c[30];
    histogram_draws(s, l, 30, c);
    assert_int_equal(c[21], N_DRAWS);
    l[3] = INFINITY;
    l[29] = INFINITY;
    histogram_draws(s, l, 30, c);
    assert_int_equal(c[3] + c[21] + c[29], N_DRAWS);
    for (int i = 0; i < 3; i++) assert_freq(c[(int[]){3, 21, 29}[i]], 1.0 / 3.0);
    l1__sampler_free(s);
    p.temperature = 0.0f;
    s = make(&p, 30);
    l1_token t;
    float g[30];
    memcpy(g, l, sizeof g);
    assert_int_equal(l1__sampler_sample(s, g, &t), L1_OK);
    assert_int_equal(t, 3);
    l1__sampler_free(s);
}

/* ---- temperature and filters ------------------------------------------------------ */

static void sample_temperature_divides_logits(void **state) {
    (void)state;
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.top_p = 1.0f;
    /* logits {0, ln 4}: at T = 2 weights {1, 2} -> p1 = 2/3; at T = 0.5
     * weights {1, 16} -> p1 = 16/17. */
    const float l[2] = {0.0f, logf(4.0f)};
    int32_t c[2];
    p.temperature = 2.0f;
    l1__sampler *s = make(&p, 2);
    histogram_draws(s, l, 2, c);
    assert_freq(c[1], 2.0 / 3.0);
    l1__sampler_free(s);
    p.temperature = 0.5f;
    s = make(&p, 2);
    histogram_draws(s, l, 2, c);
    assert_freq(c[1], 16.0 / 17.0);
    l1__sampler_free(s);
}

static void sample_top_k_keeps_the_k_highest_lowest_ids_first(void **state) {
    (void)state;
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.temperature = 1.0f;
    p.top_p = 1.0f;
    p.top_k = 2;
    l1__sampler *s = make(&p, 5);
    /* logits {0,1,2,3,4} in shuffled ids: the top 2 are logits 4 and 3,
     * with probabilities e^4/(e^3+e^4) = 1/(1+e^-1) and the rest. */
    const float l[5] = {3.0f, 0.0f, 4.0f, 1.0f, 2.0f};
    int32_t c[5];
    histogram_draws(s, l, 5, c);
    assert_int_equal(c[0] + c[2], N_DRAWS);
    assert_freq(c[2], 1.0 / (1.0 + exp(-1.0)));
    /* Ties: five equal logits, top-2 keeps ids 0 and 1 (lower id first). */
    const float t[5] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
    histogram_draws(s, t, 5, c);
    assert_int_equal(c[0] + c[1], N_DRAWS);
    assert_freq(c[0], 0.5);
    l1__sampler_free(s);
}

static void sample_top_p_keeps_the_shortest_prefix_reaching_p(void **state) {
    (void)state;
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.temperature = 1.0f;
    /* Probabilities {0.5, 0.3, 0.15, 0.05} at ids {3, 0, 2, 1} (logits are
     * their logs, so T = 1 gives them back).  Sorted cumulative sums: 0.5,
     * 0.8, 0.95, 1.  top_p 0.75 keeps {3, 0} (0.5 < 0.75 <= 0.8), drawn
     * 0.5/0.8 and 0.3/0.8; top_p 0.85 keeps three, id 3 at 0.5/0.95; top_p 0
     * keeps only the top. */
    const float l[4] = {logf(0.3f), logf(0.05f), logf(0.15f), logf(0.5f)};
    int32_t c[4];
    p.top_p = 0.75f;
    l1__sampler *s = make(&p, 4);
    histogram_draws(s, l, 4, c);
    assert_int_equal(c[3] + c[0], N_DRAWS);
    assert_freq(c[3], 0.5 / 0.8);
    l1__sampler_free(s);
    p.top_p = 0.85f;
    s = make(&p, 4);
    histogram_draws(s, l, 4, c);
    assert_int_equal(c[1], 0);
    assert_freq(c[3], 0.5 / 0.95);
    assert_freq(c[2], 0.15 / 0.95);
    l1__sampler_free(s);
    p.top_p = 0.0f;
    s = make(&p, 4);
    histogram_draws(s, l, 4, c);
    assert_int_equal(c[3], N_DRAWS);
    l1__sampler_free(s);
}

static void sample_top_p_boundary_is_exact_on_a_long_ramp(void **state) {
    (void)state;
    /* 5000 tokens, logit of id i = -0.001 i, T = 1: weights r^i with
     * r = e^-0.001.  The prefix of length L weighs (1 - r^L)/(1 - r) and all
     * of them (1 - r^5000)/(1 - r), so top_p = 0.5 keeps the smallest L with
     * 1 - r^L >= 0.5 (1 - e^-5), i.e. L = ceil(-1000 ln(1 - 0.5 (1 - e^-5)))
     * = ceil(686.45) = 687: ids 0..686.  The margin, 0.45 of a token's
     * weight, is far above float rounding.  The kept ids are nearly
     * equiprobable, so 20000 draws reach id 686 (miss chance ~e^-23). */
    enum { N = 5000 };
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.temperature = 1.0f;
    p.top_p = 0.5f;
    l1__sampler *s = make(&p, N);
    static float l[N];
    for (int i = 0; i < N; i++) l[i] = -0.001f * (float)i;
    static int32_t c[N];
    histogram_draws(s, l, N, c);
    int32_t hi = -1;
    for (int i = 0; i < N; i++)
        if (c[i]) hi = i;
    assert_int_equal(hi, 686);
    l1__sampler_free(s);
}

static void sample_top_p_weighs_the_whole_tail(void **state) {
    (void)state;
    /* A full-size vocabulary: 4 tokens with weight 1 and 151932 others
     * whose weights sum to 1 (logit -ln 151932).  Z = 5, so top_p 0.7 needs
     * 3.5: all four head tokens (three weigh only 3).  Ignoring the tail
     * would give Z = 4, target 2.8 and three tokens. */
    enum { N = 151936 };
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.temperature = 1.0f;
    p.top_p = 0.7f;
    l1__sampler *s = make(&p, N);
    float *l = malloc(N * sizeof *l), *w = malloc(N * sizeof *w);
    assert_non_null(l);
    assert_non_null(w);
    for (int i = 0; i < N; i++) l[i] = -logf((float)(N - 4));
    for (int i = 0; i < 4; i++) l[1000 * i + 7] = 0.0f;
    int32_t head[4] = {0};
    for (int k = 0; k < 2000; k++) {
        memcpy(w, l, N * sizeof *w);
        l1_token t;
        assert_int_equal(l1__sampler_sample(s, w, &t), L1_OK);
        assert_true(t % 1000 == 7 && t / 1000 < 4);
        head[t / 1000]++;
    }
    for (int i = 0; i < 4; i++) assert_true(head[i] > 400); /* 500 expected, sd 19 */
    free(l);
    free(w);
    l1__sampler_free(s);
}

static void sample_min_p_drops_below_fraction_of_top(void **state) {
    (void)state;
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.temperature = 1.0f;
    p.top_p = 1.0f;
    /* Weights {1, 0.5, 0.2, 0.05} relative to the top: min_p 0.1 keeps the
     * first three, the top drawn 1/1.7; min_p 0.6 keeps only the top. */
    const float l[4] = {0.0f, logf(0.5f), logf(0.2f), logf(0.05f)};
    int32_t c[4];
    p.min_p = 0.1f;
    l1__sampler *s = make(&p, 4);
    histogram_draws(s, l, 4, c);
    assert_int_equal(c[3], 0);
    assert_freq(c[0], 1.0 / 1.7);
    assert_freq(c[2], 0.2 / 1.7);
    l1__sampler_free(s);
    p.min_p = 0.6f;
    s = make(&p, 4);
    histogram_draws(s, l, 4, c);
    assert_int_equal(c[0], N_DRAWS);
    l1__sampler_free(s);
}

static int cmp_desc(const void *a, const void *b) {
    const float *x = a, *y = b; /* pairs (logit, id) */
    if (x[0] != y[0]) return x[0] < y[0] ? 1 : -1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* The kept set by the textbook method: sort (logit desc, id asc), softmax
 * of the tempered logits in double, cut at k, then at cumulative p of the
 * top-k mass, then at min_p of the top.  kept[id] = 1 when kept, 2 when the
 * decision lies within BORDER (relative) of a cut, where the sampler's float
 * weights may legitimately decide the other way, 0 otherwise. */
#define BORDER 1e-5
static void reference_kept(const float *l, int n, float temp, int k, float top_p, float min_p, char *kept) {
    float(*pairs)[2] = malloc((size_t)n * sizeof *pairs);
    assert_non_null(pairs);
    for (int i = 0; i < n; i++) pairs[i][0] = l[i], pairs[i][1] = (float)i;
    qsort(pairs, (size_t)n, sizeof *pairs, cmp_desc);
    int m = k > 0 && k < n ? k : n;
    double z = 0;
    for (int i = 0; i < m; i++) z += exp(((double)pairs[i][0] - pairs[0][0]) / temp);
    int L = m;
    bool border = false;
    if (top_p < 1.0f) {
        double cum = 0;
        for (int i = 0; i < m; i++) {
            cum += exp(((double)pairs[i][0] - pairs[0][0]) / temp);
            if (cum >= top_p * z) {
                L = i + 1;
                border = cum - top_p * z < BORDER * z;
                break;
            }
        }
    }
    memset(kept, 0, (size_t)n);
    for (int i = 0; i < m; i++) {
        double w = exp(((double)pairs[i][0] - pairs[0][0]) / temp);
        char v = i < L ? 1 : (i == L && border ? 2 : 0);
        if (v && w < min_p) v = w > min_p * (1 - BORDER) ? 2 : 0;
        kept[(int)pairs[i][1]] = v;
    }
    free(pairs);
}

static void sample_filters_agree_with_a_full_sort_reference(void **state) {
    (void)state;
    /* Random logits (with many exact ties: values on a 1/8 grid), random
     * chains: every drawn token must lie in the reference's kept set (or on
     * its border, see reference_kept), and over 300 draws the kept set's
     * tokens are drawn: at least two distinct ones when it has several. */
    enum { N = 3000 };
    static float l[N], w[N];
    static char kept[N];
    uint64_t x = 42;
    for (int trial = 0; trial < 40; trial++) {
        for (int i = 0; i < N; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            l[i] = (float)((int)(x >> 40) % 97) / 8.0f - 6.0f;
        }
        l1__sample_params p;
        l1__sample_params_default(&p);
        p.temperature = 0.25f + 0.1f * (float)(trial % 10);
        p.top_k = trial % 3 == 0 ? 0 : 5 + trial * 37;
        p.top_p = trial % 4 == 1 ? 1.0f : 0.3f + 0.015f * (float)trial;
        p.min_p = trial % 5 == 2 ? 0.02f * (float)(trial % 7) : 0.0f;
        p.seed = (uint64_t)trial;
        reference_kept(l, N, p.temperature, p.top_k, p.top_p, p.min_p, kept);
        int n_kept = 0;
        for (int i = 0; i < N; i++) n_kept += kept[i] == 1;
        l1__sampler *s = make(&p, N);
        int distinct = 0;
        static char seen[N];
        memset(seen, 0, sizeof seen);
        for (int d = 0; d < 300; d++) {
            memcpy(w, l, sizeof w);
            l1_token t;
            assert_int_equal(l1__sampler_sample(s, w, &t), L1_OK);
            if (!kept[t]) fail_msg("trial %d: token %d (logit %g) is outside the kept set", trial, t, (double)l[t]);
            distinct += !seen[t];
            seen[t] = 1;
        }
        assert_true(distinct >= (n_kept > 1 ? 2 : 1));
        l1__sampler_free(s);
    }
}

/* ---- penalties and bias ------------------------------------------------------------ */

static void sample_penalties_match_hand_derived_values(void **state) {
    (void)state;
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.temperature = 0.0f;
    p.repeat_penalty = 2.0f;
    p.frequency_penalty = 0.5f;
    p.presence_penalty = 0.25f;
    p.penalty_window = 64;
    l1__sampler *s = make(&p, 4);
    l1__sampler_accept(s, 0);
    l1__sampler_accept(s, 1);
    l1__sampler_accept(s, 0);
    l1__sampler_accept(s, 99); /* out of range: ignored */
    float l[4] = {2.0f, -2.0f, 1.0f, 0.5f};
    l1_token t;
    assert_int_equal(l1__sampler_sample(s, l, &t), L1_OK);
    /* id 0, seen twice: 2 / 2 - 2 * 0.5 - 0.25 = -0.25.
     * id 1, seen once: -2 * 2 - 0.5 - 0.25 = -4.75 (negative: multiplied).
     * ids 2 and 3 unseen: unchanged; greedy now picks id 2. */
    assert_true(l[0] == -0.25f);
    assert_true(l[1] == -4.75f);
    assert_true(l[2] == 1.0f && l[3] == 0.5f);
    assert_int_equal(t, 2);
    l1__sampler_free(s);

    /* A window of 2 forgets the first token: after 0, 1, 0 it holds {1, 0},
     * each once: id 0 -> 2 / 2 - 0.5 - 0.25 = 0.25. */
    p.penalty_window = 2;
    s = make(&p, 4);
    l1__sampler_accept(s, 0);
    l1__sampler_accept(s, 1);
    l1__sampler_accept(s, 0);
    float m[4] = {2.0f, -2.0f, 1.0f, 0.5f};
    assert_int_equal(l1__sampler_sample(s, m, &t), L1_OK);
    assert_true(m[0] == 0.25f);
    assert_true(m[1] == -4.75f);
    /* reset forgets the window. */
    l1__sampler_reset(s);
    float r[4] = {2.0f, -2.0f, 1.0f, 0.5f};
    assert_int_equal(l1__sampler_sample(s, r, &t), L1_OK);
    assert_true(r[0] == 2.0f && r[1] == -2.0f);
    l1__sampler_free(s);
}

static void sample_bias_is_added_first(void **state) {
    (void)state;
    l1_logit_bias b[3] = {{3, 10.0f}, {0, -INFINITY}, {3, 0.5f}};
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.temperature = 0.0f;
    p.bias = b;
    p.n_bias = 3;
    l1__sampler *s = make(&p, 4);
    b[0].bias = -100.0f; /* the sampler keeps its own copy */
    float l[4] = {50.0f, 1.0f, 2.0f, 0.5f};
    l1_token t;
    assert_int_equal(l1__sampler_sample(s, l, &t), L1_OK);
    assert_int_equal(t, 3); /* 0.5 + 10 + 0.5 = 11 beats 2; id 0 is banned */
    assert_true(l[3] == 11.0f);
    l1__sampler_free(s);
}

/* ---- determinism, exp, allocation ---------------------------------------------------- */

static void sample_same_seed_gives_same_tokens(void **state) {
    (void)state;
    enum { N = 1000, STEPS = 300 };
    static float l[N], w[N];
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.seed = 0xfeedface;
    p.repeat_penalty = 1.1f;
    l1__sampler *a = make(&p, N), *b = make(&p, N);
    p.seed = 0xfeedfacf;
    l1__sampler *c = make(&p, N);
    l1_token ta[STEPS], tb[STEPS], tc[STEPS];
    for (int k = 0; k < STEPS; k++) {
        for (int i = 0; i < N; i++) l[i] = (float)((i * 7919 + k * 104729) % 1000) / 250.0f;
        memcpy(w, l, sizeof w);
        assert_int_equal(l1__sampler_sample(a, w, &ta[k]), L1_OK);
        memcpy(w, l, sizeof w);
        assert_int_equal(l1__sampler_sample(b, w, &tb[k]), L1_OK);
        memcpy(w, l, sizeof w);
        assert_int_equal(l1__sampler_sample(c, w, &tc[k]), L1_OK);
        l1__sampler_accept(a, ta[k]);
        l1__sampler_accept(b, tb[k]);
        l1__sampler_accept(c, tc[k]);
    }
    assert_memory_equal(ta, tb, sizeof ta);
    assert_memory_not_equal(ta, tc, sizeof ta);
    /* reset replays the same stream. */
    l1__sampler_reset(a);
    for (int k = 0; k < STEPS; k++) {
        for (int i = 0; i < N; i++) w[i] = (float)((i * 7919 + k * 104729) % 1000) / 250.0f;
        l1_token t;
        assert_int_equal(l1__sampler_sample(a, w, &t), L1_OK);
        assert_int_equal(t, ta[k]);
        l1__sampler_accept(a, t);
    }
    l1__sampler_free(a);
    l1__sampler_free(b);
    l1__sampler_free(c);
}

/* Relative error bound of the polynomial exponential (degree-6 Taylor on
 * |r| <= ln2/2 truncates below 1.2e-7; float rounding adds a few ulps). */
#define EXP_RTOL 4e-7

static void sample_exp_is_accurate_on_its_domain(void **state) {
    (void)state;
    double worst = 0;
    for (int i = 0; i <= 870000; i++) {
        float x = -(float)i * 1e-4f;
        double want = exp((double)x), got = l1__sample_exp(x);
        double err = fabs(got - want) / want;
        if (err > worst) worst = err;
    }
    if (worst > EXP_RTOL) fail_msg("worst relative error %g", worst);
    assert_true(l1__sample_exp(0.0f) == 1.0f);
    assert_true(l1__sample_exp(-INFINITY) < 1e-37f);
    assert_true(l1__sample_exp(-1000.0f) < 1e-37f);
}

static void sample_step_allocates_nothing(void **state) {
    (void)state;
    enum { N = 2000 };
    static float l[N];
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.top_k = 50;
    p.min_p = 0.01f;
    p.repeat_penalty = 1.2f;
    l1__sampler *s = make(&p, N);
    int64_t before = l1__alloc_count();
    for (int k = 0; k < 100; k++) {
        for (int i = 0; i < N; i++) l[i] = (float)((i * 31 + k) % 53) * 0.1f;
        l1_token t;
        assert_int_equal(l1__sampler_sample(s, l, &t), L1_OK);
        l1__sampler_accept(s, t);
    }
    assert_int_equal(l1__alloc_count(), before);
    l1__sampler_free(s);
}

static void sample_create_fails_cleanly_without_memory(void **state) {
    (void)state;
    l1_logit_bias b = {1, 1.0f};
    l1__sample_params p;
    l1__sample_params_default(&p);
    p.repeat_penalty = 1.1f;
    p.bias = &b;
    p.n_bias = 1;
    int64_t live = l1__alloc_live();
    for (int64_t k = 0; k < 13; k++) {
        l1__alloc_fail_after(k);
        l1__sampler *s = (l1__sampler *)(uintptr_t)1;
        l1_status st = l1__sampler_create(&p, 100, &s);
        l1__alloc_fail_reset();
        if (st == L1_OK) {
            assert_true(k >= 10); /* sampler, bias, ring, counts, 6 candidate arrays */
            l1__sampler_free(s);
        } else {
            assert_int_equal(st, L1_ERR_NOMEM);
            assert_null(s);
        }
        assert_int_equal(l1__alloc_live(), live);
    }
    l1__sampler_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_defaults_are_the_models_recommendation),
        cmocka_unit_test(sample_params_rejects_bad_values_naming_the_field),
        cmocka_unit_test(sample_greedy_takes_max_and_lowest_id_on_ties),
        cmocka_unit_test(sample_nan_is_treated_as_minus_inf),
        cmocka_unit_test(sample_all_minus_inf_or_nan_is_a_numeric_error),
        cmocka_unit_test(sample_plus_inf_wins_and_several_share_equally),
        cmocka_unit_test(sample_temperature_divides_logits),
        cmocka_unit_test(sample_top_k_keeps_the_k_highest_lowest_ids_first),
        cmocka_unit_test(sample_top_p_keeps_the_shortest_prefix_reaching_p),
        cmocka_unit_test(sample_top_p_boundary_is_exact_on_a_long_ramp),
        cmocka_unit_test(sample_top_p_weighs_the_whole_tail),
        cmocka_unit_test(sample_min_p_drops_below_fraction_of_top),
        cmocka_unit_test(sample_filters_agree_with_a_full_sort_reference),
        cmocka_unit_test(sample_penalties_match_hand_derived_values),
        cmocka_unit_test(sample_bias_is_added_first),
        cmocka_unit_test(sample_same_seed_gives_same_tokens),
        cmocka_unit_test(sample_exp_is_accurate_on_its_domain),
        cmocka_unit_test(sample_step_allocates_nothing),
        cmocka_unit_test(sample_create_fails_cleanly_without_memory),
    };
    return cmocka_run_group_tests_name("sample", tests, NULL, NULL);
}
