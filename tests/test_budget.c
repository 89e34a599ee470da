/*
 * test_budget.c - the budget controller, driven by scripted fake models and
 * the real sampler over a 64-token vocabulary.
 *
 * A script is a small deterministic "model": its logits at each step are
 * hashed noise plus what its kind dictates (never close the thinking, close
 * it at a chosen step, write EOS while thinking, push stray tags in the
 * answer, end the answer after a chosen length).  The generate loop below is
 * the one budget.h documents.  Each property is checked on every response.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base.h"
#include "sample/budget.h"
#include "sample/sample.h"

enum { V = 64, EOS = 0, OPEN = 1, CLOSE = 2, LINE = 7, MAXLEN = 5000, WSTART = 20, WEND = 40, MID = 30 };
/* Tokens 3..6 end a sentence, 7 ends a line; 20..29 start a word (" the"),
 * 40..47 end one ("," or "a "); the others (8..19, 30..39, 48..) are pieces
 * inside a word. */
static uint8_t g_flags[V];
static const l1_token g_transition[4] = {10, 11, 12, 13};

#if defined(__SANITIZE_ADDRESS__)
#  define N_SCRIPTS 2000 /* the release build runs the full 10,000 */
#else
#  define N_SCRIPTS 10000
#endif

static int setup(void **state) {
    (void)state;
    for (int i = 3; i <= 6; i++) g_flags[i] = L1__PIECE_SENTENCE_END | L1__PIECE_WORD_END;
    g_flags[LINE] = L1__PIECE_LINE_END | L1__PIECE_WORD_END | L1__PIECE_WORD_START;
    for (int i = 20; i <= 29; i++) g_flags[i] = L1__PIECE_WORD_START;
    for (int i = 40; i <= 47; i++) g_flags[i] = L1__PIECE_WORD_END;
    return 0;
}

static l1__budget_tokens tokens(void) {
    l1__budget_tokens t = {V, OPEN, CLOSE, EOS, g_transition, 4, g_flags, NULL, 0, NULL, 0};
    return t;
}

/* The effective reserve, wait and transition of budget.h, computed here
 * from its formulas (automatic reserve, transition T = 4, no close text). */
typedef struct plan {
    int Rp, Gp, Tp, close_at, floor_, window;
} plan;

static plan plan_of(const l1__budget_params *bp) {
    const int N = bp->budget, T = 4;
    plan k;
    if (bp->reserve > 0) {
        k.Rp = bp->reserve;
    } else {
        int w8 = bp->wait < 8 ? bp->wait : 8;
        int want = N / 4 > w8 + T + 1 + 16 ? N / 4 : w8 + T + 1 + 16; /* 16: the answer's room */
        k.Rp = want < 64 ? want : 64;
        if (N < k.Rp) k.Rp = N;
    }
    int room = k.Rp - 2 > 0 ? k.Rp - 2 : 0;
    k.Tp = T <= room ? T : 0;
    room -= k.Tp;
    k.Gp = bp->wait < 8 ? bp->wait : 8; /* no close text in these scripts */
    if (k.Gp > room) k.Gp = room;
    room -= k.Gp;
    room -= room < 15 ? room : 15; /* 15 more answer tokens before the rest of the wait */
    k.Gp += bp->wait - k.Gp < room ? bp->wait - k.Gp : room;
    k.close_at = N - k.Rp;
    k.window = bp->window < (N / 4 > 1 ? N / 4 : 1) ? bp->window : (N / 4 > 1 ? N / 4 : 1);
    int tol = bp->tolerance >= 0 ? bp->tolerance : k.Rp + k.window;
    if (tol < k.Rp) tol = k.Rp;
    k.floor_ = bp->mode == L1_BUDGET_EXACT && N - tol > 0 ? N - tol : 0;
    return k;
}

static bool ends_word(l1_token t) {
    return (g_flags[t] & (L1__PIECE_WORD_END | L1__PIECE_LINE_END | L1__PIECE_SENTENCE_END)) != 0;
}

/* ---- scripted model ------------------------------------------------------------------ */

typedef struct script {
    uint64_t seed;
    int close_at;    /* step at which it wants to close; -1: almost never */
    int eos_think;   /* step from which it wants EOS while thinking; -1: never */
    int answer_len;  /* answer tokens before it wants EOS */
    bool open_first; /* writes <think> as its first token */
    bool strays;     /* pushes <think>/</think> in the answer */
    bool clean;      /* never gives EOS while thinking nor a tag out of place */
} script;

typedef struct model_state {
    int step;
    bool closed;
    int answer;
} model_state;

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdu;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53u;
    return x ^ (x >> 33);
}

static void script_logits(const script *sc, const model_state *m, float *l) {
    uint64_t h = mix(sc->seed ^ ((uint64_t)m->step << 20));
    for (int i = 0; i < V; i++) {
        h = mix(h + (uint64_t)i);
        l[i] = (float)(h >> 40) / (float)(1u << 24) * 2.0f - 1.0f; /* [-1, 1) */
    }
    l[EOS] = l[OPEN] = -8.0f;
    l[CLOSE] = -30.0f;
    if (!m->closed) {
        if (m->step == 0 && sc->open_first) l[OPEN] = 20.0f;
        if (sc->close_at >= 0 && m->step >= sc->close_at) l[CLOSE] = 20.0f;
        if (sc->eos_think >= 0 && m->step >= sc->eos_think) l[EOS] = 25.0f;
    } else {
        if (m->answer >= sc->answer_len) l[EOS] = 20.0f;
        if (sc->strays && m->answer % 3 == 1) l[CLOSE] = l[OPEN] = 15.0f;
    }
    if (sc->clean) {
        if (!m->closed) l[EOS] = -INFINITY;
        else l[CLOSE] = -INFINITY;
        if (m->step > 0 || !sc->open_first) l[OPEN] = -INFINITY;
    }
}

static void model_accept(model_state *m, l1_token t) {
    m->step++;
    if (m->closed) m->answer++;
    if (t == CLOSE) m->closed = true;
}

typedef struct response {
    l1_token tok[MAXLEN];
    bool forced[MAXLEN];
    int n;
    l1__budget_report rep;
    l1__budget b; /* the final state */
} response;

/* The generate loop of budget.h, capped at MAXLEN for mode off. */
static void generate(const script *sc, const l1__budget_params *bp, uint64_t seed, response *r) {
    l1__budget_tokens t = tokens();
    assert_int_equal(l1__budget_init(&r->b, bp, &t), L1_OK);
    l1__sample_params sp;
    l1__sample_params_default(&sp);
    sp.temperature = 1.0f;
    sp.top_p = 1.0f; /* the full distribution: every token the script allows can come */
    sp.seed = seed;
    l1__sampler *s = NULL;
    assert_int_equal(l1__sampler_create(&sp, V, &s), L1_OK);
    model_state m = {0, false, 0};
    float l[V];
    r->n = 0;
    while (!l1__budget_done(&r->b) && r->n < MAXLEN) {
        l1_token tok;
        bool forced = l1__budget_forced_token(&r->b, &tok);
        if (!forced) {
            script_logits(sc, &m, l);
            l1__budget_before_sample(&r->b, l);
            assert_int_equal(l1__sampler_sample(s, l, &tok), L1_OK);
            forced = l1__budget_after_sample(&r->b, &tok);
        }
        l1__budget_accept(&r->b, tok);
        l1__sampler_accept(s, tok);
        model_accept(&m, tok);
        r->forced[r->n] = forced;
        r->tok[r->n++] = tok;
    }
    if (!l1__budget_done(&r->b)) l1__budget_stop(&r->b, L1_FINISH_MAX_TOKENS);
    l1__budget_report_get(&r->b, &r->rep);
    l1__sampler_free(s);
}

static script random_script(uint64_t *rng, int N) {
    script sc;
    *rng = mix(*rng + 1);
    uint64_t r = *rng;
    sc.seed = r;
    int kind = (int)(r % 4);
    sc.close_at = kind == 0 ? -1 : (int)((r >> 8) % (uint64_t)(N + 64)); /* may lie past N */
    sc.eos_think = kind == 2 ? (int)((r >> 20) % (uint64_t)(N + 1)) : -1;
    sc.answer_len = (int)((r >> 32) % 200);
    sc.open_first = (r >> 50) & 1;
    sc.strays = (r >> 51) & 1;
    sc.clean = false;
    return sc;
}

/* Budgets from 0 to 4096: the small and reserve-sized edges often, the
 * rest log-uniform. */
static int random_budget(uint64_t *rng) {
    *rng = mix(*rng + 7);
    uint64_t r = *rng;
    static const int edges[] = {0, 1, 2, 3, 4, 5, 6, 7, 10, 63, 64, 65, 66, 127, 128, 129, 4096};
    if (r % 8 == 0) return edges[(r >> 8) % (sizeof edges / sizeof edges[0])];
    double u = (double)(r >> 11) / 9007199254740992.0;
    return (int)floor(exp(u * log(4097.0)));
}

/* The properties every max- or exact-mode response has. */
static void check_response(const response *r, const l1__budget_params *bp, const char *what) {
    const int N = bp->budget;
    const plan pl = plan_of(bp);
    const int Rp = pl.Rp, close_at = pl.close_at, t_eff = pl.Tp;
    if (r->n > N) fail_msg("%s: %d tokens for N = %d", what, r->n, N);
    int close_pos = -1, n_close = 0;
    for (int i = 0; i < r->n; i++) {
        if (r->tok[i] == CLOSE) {
            n_close++;
            if (close_pos < 0) close_pos = i;
        }
        if (r->tok[i] == EOS && (close_pos < 0 || i != r->n - 1))
            fail_msg("%s: EOS at %d before the close or not last", what, i);
        if (r->tok[i] == OPEN && (close_pos >= 0 || (i > 0 && bp->thinking_open)))
            fail_msg("%s: stray <think> at %d", what, i);
    }
    if (N == 0) {
        assert_int_equal(r->n, 0);
        assert_int_equal(r->rep.finish, L1_FINISH_BUDGET);
        assert_int_equal(r->rep.close, L1_CLOSE_NONE);
        return;
    }
    if (n_close != 1) fail_msg("%s: %d closes (N = %d, n = %d)", what, n_close, N, r->n);
    if (r->rep.close == L1_CLOSE_FORCED) {
        /* The close comes at the first word boundary from N - R' on, or at
         * N - R' + G' with close_mid_word when none came. */
        if (close_pos < close_at || close_pos > close_at + pl.Gp)
            fail_msg("%s: forced close at %d outside [%d, %d]", what, close_pos, close_at, close_at + pl.Gp);
        bool boundary_before = close_pos == 0 || ends_word(r->tok[close_pos - 1]);
        for (int i = close_at > 0 ? close_at - 1 : 0; i < close_pos - 1; i++)
            if (ends_word(r->tok[i])) fail_msg("%s: a word ended at %d, the close waited until %d", what, i, close_pos);
        for (int i = close_at; i < close_pos; i++)
            if (g_flags[r->tok[i]] & L1__PIECE_WORD_START)
                fail_msg("%s: a word started at %d, the close waited until %d", what, i, close_pos);
        if (r->rep.close_mid_word && (close_pos != close_at + pl.Gp || boundary_before))
            fail_msg("%s: mid-word reported at %d with a boundary in reach", what, close_pos);
        assert_true(r->forced[close_pos]);
        for (int k = 0; k < t_eff; k++) {
            assert_int_equal(r->tok[close_pos + 1 + k], g_transition[k]);
            assert_true(r->forced[close_pos + 1 + k]);
        }
        if (N >= 2) {
            /* At least one sampled answer token, and it is no EOS. */
            int first = close_pos + 1 + t_eff;
            if (first >= r->n) fail_msg("%s: no answer token after a forced close (N = %d)", what, N);
            assert_false(r->forced[first]);
            assert_int_not_equal(r->tok[first], EOS);
        }
    } else {
        assert_int_equal(r->rep.close, L1_CLOSE_NATURAL);
        assert_false(r->forced[close_pos]);
        /* Before N - R', or while the controller waited for a word boundary. */
        if (close_pos > close_at + pl.Gp)
            fail_msg("%s: natural close at %d, forced close due at %d + %d", what, close_pos, close_at, pl.Gp);
        for (int i = close_at > 0 ? close_at - 1 : 0; i < close_pos - 1; i++)
            if (ends_word(r->tok[i])) fail_msg("%s: a word ended at %d, no close forced after it", what, i);
        int slots = N - close_pos - 1 < Rp ? N - close_pos - 1 : Rp;
        if (r->n - close_pos - 1 < slots && r->tok[r->n - 1] != EOS)
            fail_msg("%s: a natural close left fewer than the reserve's answer slots", what);
    }
    assert_int_equal(r->rep.tokens_thinking, close_pos + 1);
    assert_int_equal(r->rep.tokens_answer, r->n - close_pos - 1);
    assert_int_equal(r->rep.used, r->n);
    assert_int_equal(r->rep.limit, N);
    assert_int_equal(r->rep.reserve_effective, Rp);
    assert_int_equal(r->rep.answer_truncated, r->rep.finish == L1_FINISH_BUDGET);
    if (r->tok[r->n - 1] == EOS) assert_int_equal(r->rep.finish, L1_FINISH_EOS);
    else {
        assert_int_equal(r->rep.finish, L1_FINISH_BUDGET);
        assert_int_equal(r->n, N);
    }
}

/* ---- the guarantees over random scripts ------------------------------------------------ */

static void run_random(l1_budget_mode mode, int n_scripts, uint64_t seed) {
    static response r;
    uint64_t rng = seed;
    int forced = 0, natural = 0, waited = 0, mid = 0;
    for (int k = 0; k < n_scripts; k++) {
        int N = random_budget(&rng);
        script sc = random_script(&rng, N);
        l1__budget_params bp;
        l1__budget_params_default(&bp);
        bp.mode = mode;
        bp.budget = N;
        bp.thinking_open = !sc.open_first;
        /* A quarter without boost: no soft landing, and waits that can end
         * without a boundary (the boost during the wait makes one likely). */
        if (k % 4 == 3) bp.boost = 0.0f;
        generate(&sc, &bp, sc.seed, &r);
        char what[64];
        snprintf(what, sizeof what, "script %d", k);
        check_response(&r, &bp, what);
        if (mode == L1_BUDGET_EXACT && r.rep.close != L1_CLOSE_NONE) {
            int floor_ = plan_of(&bp).floor_;
            for (int i = 0; i < r.n; i++)
                if (r.tok[i] == CLOSE && i < floor_) fail_msg("%s: exact mode closed at %d < %d", what, i, floor_);
        }
        forced += r.rep.close == L1_CLOSE_FORCED;
        natural += r.rep.close == L1_CLOSE_NATURAL;
        mid += r.rep.close_mid_word;
        for (int i = 0; i < r.n; i++)
            if (r.tok[i] == CLOSE && r.forced[i] && i > plan_of(&bp).close_at) waited++;
    }
    /* The scripts exercise both kinds of close, the wait for a boundary and
     * its end without one. */
    assert_true(forced > n_scripts / 10);
    assert_true(natural > n_scripts / 10);
    if (mode == L1_BUDGET_MAX) { /* the larger sweep: exact mode's floor leaves fewer long waits */
        assert_true(waited > 0);
        assert_true(mid > 0);
    }
}

static void budget_max_never_exceeds_n_and_always_answers(void **state) {
    (void)state;
    run_random(L1_BUDGET_MAX, N_SCRIPTS, 1);
}

static void budget_exact_never_closes_early(void **state) {
    (void)state;
    run_random(L1_BUDGET_EXACT, N_SCRIPTS / 5, 2);
}

static void budget_natural_closes_are_untouched(void **state) {
    (void)state;
    /* Clean scripts that close on their own before N - R: with the boost
     * off, max mode emits exactly what mode off does (same sampler seed). */
    static response a, b;
    uint64_t rng = 3;
    for (int k = 0; k < 300; k++) {
        rng = mix(rng + 1);
        int N = 200 + (int)(rng % 2000);
        script sc = {rng, (int)((rng >> 16) % (uint64_t)(N - 64)), -1, (int)((rng >> 40) % 60), false, false, true};
        l1__budget_params bp;
        l1__budget_params_default(&bp);
        bp.budget = N;
        bp.thinking_open = true;
        bp.boost = 0.0f;
        bp.mode = L1_BUDGET_OFF;
        generate(&sc, &bp, rng, &a);
        bp.mode = L1_BUDGET_MAX;
        generate(&sc, &bp, rng, &b);
        assert_int_equal(b.rep.close, L1_CLOSE_NATURAL);
        assert_int_equal(a.n, b.n);
        assert_memory_equal(a.tok, b.tok, (size_t)a.n * sizeof a.tok[0]);
        /* The boost, on, changes nothing either when the close comes before
         * the soft-landing window. */
        const plan pl = plan_of(&bp);
        if (sc.close_at < pl.close_at - pl.window) {
            bp.boost = L1__BUDGET_DEFAULT_BOOST;
            generate(&sc, &bp, rng, &b);
            assert_int_equal(a.n, b.n);
            assert_memory_equal(a.tok, b.tok, (size_t)a.n * sizeof a.tok[0]);
        }
    }
}

static void budget_stray_tags_are_suppressed_after_the_close(void **state) {
    (void)state;
    static response r;
    script sc = {99, 20, -1, 150, false, true, false};
    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.thinking_open = true;
    bp.budget = 1000;
    /* Mode off shows the script does push strays... */
    bp.mode = L1_BUDGET_OFF;
    generate(&sc, &bp, 5, &r);
    int strays = 0;
    for (int i = 21; i < r.n; i++) strays += r.tok[i] == OPEN || r.tok[i] == CLOSE;
    assert_true(strays > 10);
    /* ...and max mode removes them. */
    bp.mode = L1_BUDGET_MAX;
    generate(&sc, &bp, 5, &r);
    check_response(&r, &bp, "strays");
    assert_int_equal(r.rep.close, L1_CLOSE_NATURAL);
}

static void budget_same_seed_same_response(void **state) {
    (void)state;
    static response a, b;
    script sc = {1234, -1, 100, 40, true, true, false};
    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.mode = L1_BUDGET_MAX;
    bp.budget = 700;
    generate(&sc, &bp, 77, &a);
    generate(&sc, &bp, 77, &b);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.tok, b.tok, (size_t)a.n * sizeof a.tok[0]);
    generate(&sc, &bp, 78, &b);
    assert_true(a.n != b.n || memcmp(a.tok, b.tok, (size_t)a.n * sizeof a.tok[0]) != 0);
}

/* ---- edges, by hand ------------------------------------------------------------------------ */

static void init_max(l1__budget *b, int N, bool open) {
    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.mode = L1_BUDGET_MAX;
    bp.budget = N;
    bp.thinking_open = open;
    l1__budget_tokens t = tokens();
    assert_int_equal(l1__budget_init(b, &bp, &t), L1_OK);
}

static void budget_n_zero_emits_nothing(void **state) {
    (void)state;
    l1__budget b;
    init_max(&b, 0, true);
    assert_true(l1__budget_done(&b));
    l1_token t;
    assert_false(l1__budget_forced_token(&b, &t));
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.finish, L1_FINISH_BUDGET);
    assert_int_equal(r.used, 0);
    assert_string_equal(l1__finish_name(r.finish), "budget");
}

static void budget_n_one_is_the_close_alone(void **state) {
    (void)state;
    l1__budget b;
    init_max(&b, 1, false);
    l1_token t;
    assert_true(l1__budget_forced_token(&b, &t));
    assert_int_equal(t, CLOSE);
    l1__budget_accept(&b, t);
    assert_true(l1__budget_done(&b));
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.tokens_thinking, 1);
    assert_int_equal(r.tokens_answer, 0);
    assert_int_equal(r.close, L1_CLOSE_FORCED);
    assert_string_equal(l1__close_name(r.close), "forced");
}

static void budget_small_n_never_cuts_the_transition(void **state) {
    (void)state;
    /* R' = min(64, max(N/4, min(G, 8) + T + 1 + 16), N) = N here (T = 4); the
     * transition is kept whole when 2 + T <= R', else dropped whole:
     * N = 2: </think>, then one sampled answer token with EOS masked.
     * N = 5: </think>, no transition (3 slots are not 4), answer sampled.
     * N = 6: </think>, the 4 transition tokens, one answer slot. */
    static const int Ns[] = {2, 5, 6};
    static const int t_eff[] = {0, 0, 4};
    for (int c = 0; c < 3; c++) {
        l1__budget b;
        init_max(&b, Ns[c], true);
        l1_token t;
        assert_true(l1__budget_forced_token(&b, &t));
        assert_int_equal(t, CLOSE);
        l1__budget_accept(&b, t);
        for (int k = 0; k < t_eff[c]; k++) {
            assert_true(l1__budget_forced_token(&b, &t));
            assert_int_equal(t, g_transition[k]);
            l1__budget_accept(&b, t);
        }
        assert_false(l1__budget_forced_token(&b, &t));
        float l[V] = {0};
        l1__budget_before_sample(&b, l);
        assert_true(isinf(l[EOS]) && isinf(l[CLOSE]) && isinf(l[OPEN]));
        l1__budget_accept(&b, 20);
        l1__budget_report r;
        l1__budget_report_get(&b, &r);
        assert_int_equal(r.used, 2 + t_eff[c]);
        assert_int_equal(l1__budget_done(&b), Ns[c] == 2 + t_eff[c]);
        if (!l1__budget_done(&b)) {
            float m[V] = {0};
            l1__budget_before_sample(&b, m);
            assert_true(m[EOS] == 0.0f); /* EOS is free again after the first answer token */
        }
    }
}

static void budget_soft_landing_follows_its_formula(void **state) {
    (void)state;
    /* N = 400, R' = min(64, max(100, 14)) = 64, W' = min(64, 100) = 64:
     * close due at 336, window [272, 336).  The boost at n is
     * 10 * ((n - 272 + 1) / 64)^2 * f, f = 1 after a line end, 0.75 after a
     * sentence end, 0.25 after another word end, 0 inside a word. */
    static const l1_token cycle[4] = {LINE, 4, MID, WEND};
    l1__budget b;
    init_max(&b, 400, true);
    float l[V];
    for (int n = 0; n < 336; n++) {
        l1_token prev = cycle[n % 4];
        memset(l, 0, sizeof l);
        unsigned did = l1__budget_before_sample(&b, l);
        double want = 0.0;
        if (n >= 272) {
            double prog = (double)(n - 272 + 1) / 64.0;
            l1_token last = cycle[(n - 1) % 4];
            double f = last == LINE ? 1.0 : last == 4 ? 0.75 : last == WEND ? 0.25 : 0.0;
            want = 10.0 * prog * prog * f;
        }
        assert_float_equal(l[CLOSE], want, 1e-5);
        assert_int_equal((did & L1__BOOST_THINK_CLOSE) != 0, want > 0.0);
        assert_true(isinf(l[EOS]) && l[EOS] < 0);
        assert_true(isinf(l[OPEN])); /* the prompt opened thinking */
        l1_token t;
        assert_false(l1__budget_forced_token(&b, &t));
        l1__budget_accept(&b, prev);
    }
    l1_token t;
    assert_true(l1__budget_forced_token(&b, &t)); /* the last piece (WEND) ended a word */
    assert_int_equal(t, CLOSE);
}

static void budget_exact_masks_the_close_before_the_floor(void **state) {
    (void)state;
    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.mode = L1_BUDGET_EXACT;
    bp.budget = 500;
    bp.tolerance = 100; /* floor 400, window [400, 436), forced at 436 */
    l1__budget_tokens t = tokens();
    l1__budget b;
    assert_int_equal(l1__budget_init(&b, &bp, &t), L1_OK);
    float l[V];
    for (int n = 0; n < 436; n++) {
        memset(l, 0, sizeof l);
        l1__budget_before_sample(&b, l);
        if (n < 400) assert_true(isinf(l[CLOSE]) && l[CLOSE] < 0);
        else assert_true(l[CLOSE] > 0.0f);
        l1__budget_accept(&b, WEND);
    }
    l1_token tok;
    assert_true(l1__budget_forced_token(&b, &tok));
}

/* The look-ahead's switch (l1__budget_acts, l1__budget_trust).  N = 400:
 * R' = 64, W' = 64, so the window starts at 272 and the close is due at
 * 336.  The controller acts from the window's start; trusted, it neither
 * boosts `</think>` nor forces the close, yet keeps EOS masked while
 * thinking and the limit N; trust withdrawn past N - R', the close comes at
 * once after a word end. */
static void budget_trusted_model_is_left_alone_until_trust_ends(void **state) {
    (void)state;
    l1__budget b;
    init_max(&b, 400, true);
    float l[V];
    for (int n = 0; n < 272; n++) {
        assert_false(l1__budget_acts(&b));
        l1__budget_accept(&b, WEND);
    }
    assert_true(l1__budget_acts(&b));
    l1__budget_trust(&b, true);
    assert_false(l1__budget_acts(&b));
    l1_token tok;
    for (int n = 272; n < 350; n++) {
        memset(l, 0, sizeof l);
        unsigned did = l1__budget_before_sample(&b, l);
        assert_false(did & (L1__BOOST_THINK_CLOSE | L1__BOOST_BOUNDARY));
        assert_true(did & L1__MASK_EOS);
        assert_true(l[CLOSE] == 0.0f);
        assert_false(l1__budget_forced_token(&b, &tok));
        tok = WSTART;
        assert_false(l1__budget_after_sample(&b, &tok)); /* a word start is no place to close when trusted */
        l1__budget_accept(&b, WEND);
    }
    l1__budget_trust(&b, false);
    assert_true(l1__budget_forced_token(&b, &tok));
    assert_int_equal(tok, CLOSE);
    /* The same run untrusted: the boost from 272 and the close at 336. */
    l1__budget u;
    init_max(&u, 400, true);
    for (int n = 0; n < 336; n++) {
        memset(l, 0, sizeof l);
        unsigned did = l1__budget_before_sample(&u, l);
        if (n >= 272) assert_true(did & L1__BOOST_THINK_CLOSE);
        assert_false(l1__budget_forced_token(&u, &tok));
        l1__budget_accept(&u, WEND);
    }
    assert_true(l1__budget_forced_token(&u, &tok));
    /* Trusted to the end: the limit holds, finish "budget". */
    l1__budget_trust(&b, true);
    for (int n = 350; n < 400; n++) l1__budget_accept(&b, WEND);
    assert_true(l1__budget_done(&b));
    assert_int_equal(l1__budget_finish(&b), L1_FINISH_BUDGET);
}

/* Trust that ends late (the model went another way than foreseen, two
 * tokens before N = 100, inside a word): the close comes at once, and the
 * transition, which no longer fits with an answer token, is dropped whole;
 * one answer token is still sampled within N. */
static void budget_trust_ended_late_still_closes_within_n(void **state) {
    (void)state;
    l1__budget b;
    init_max(&b, 100, true);
    for (int n = 0; n < 98; n++) {
        if (l1__budget_acts(&b)) l1__budget_trust(&b, true);
        l1__budget_accept(&b, MID);
    }
    l1_token tok;
    assert_false(l1__budget_forced_token(&b, &tok)); /* trusted: nothing forced */
    l1__budget_trust(&b, false);
    assert_true(l1__budget_forced_token(&b, &tok));
    assert_int_equal(tok, CLOSE);
    l1__budget_accept(&b, tok);
    assert_false(l1__budget_forced_token(&b, &tok)); /* no transition: it would leave no answer token */
    float l[V] = {0};
    l1__budget_before_sample(&b, l);
    assert_true(isinf(l[EOS]) && l[EOS] < 0); /* the first answer token is no EOS */
    l1__budget_accept(&b, 8);
    assert_true(l1__budget_done(&b));
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.used, 100);
    assert_int_equal(r.close, L1_CLOSE_FORCED);
    assert_true(r.close_mid_word);
    assert_int_equal(r.tokens_answer, 1);
}

static void budget_model_may_open_thinking_once(void **state) {
    (void)state;
    l1__budget b;
    init_max(&b, 300, false);
    float l[V] = {0};
    l1__budget_before_sample(&b, l);
    assert_true(l[OPEN] == 0.0f);
    l1__budget_accept(&b, 8); /* text before <think> counts as thinking */
    l1__budget_accept(&b, OPEN);
    memset(l, 0, sizeof l);
    l1__budget_before_sample(&b, l);
    assert_true(isinf(l[OPEN]));
    l1__budget_accept(&b, CLOSE);
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.tokens_thinking, 3);
    assert_int_equal(r.close, L1_CLOSE_NATURAL);
    assert_int_equal(r.phase, L1_PHASE_ANSWER);
}

static void budget_off_counts_but_never_edits(void **state) {
    (void)state;
    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.budget = 3;
    l1__budget_tokens t = tokens();
    l1__budget b;
    assert_int_equal(l1__budget_init(&b, &bp, &t), L1_OK);
    for (int n = 0; n < 10; n++) {
        float l[V] = {0};
        l1__budget_before_sample(&b, l);
        for (int i = 0; i < V; i++) assert_true(l[i] == 0.0f);
        l1_token tok;
        assert_false(l1__budget_forced_token(&b, &tok));
        l1__budget_accept(&b, n == 4 ? CLOSE : 30);
    }
    assert_false(l1__budget_done(&b));
    l1__budget_stop(&b, L1_FINISH_STOP);
    l1__budget_stop(&b, L1_FINISH_ABORTED); /* the first reason stays */
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.finish, L1_FINISH_STOP);
    assert_int_equal(r.tokens_thinking, 5);
    assert_int_equal(r.tokens_answer, 5);
    assert_int_equal(r.limit, 0);
    assert_string_equal(l1__budget_mode_name(r.mode), "off");
}

static void expect_bad(const l1__budget_params *p, const l1__budget_tokens *t, const char *field) {
    l1__budget b;
    assert_int_equal(l1__budget_init(&b, p, t), L1_ERR_INVALID_ARG);
    if (!strstr(l1_last_error(), field)) fail_msg("message \"%s\" does not name %s", l1_last_error(), field);
}

static void budget_check_rejects_bad_parameters_naming_them(void **state) {
    (void)state;
    l1__budget_params d, p;
    l1__budget_params_default(&d);
    d.mode = L1_BUDGET_MAX;
    d.budget = 512;
    l1__budget_tokens td = tokens(), t = td;
    assert_int_equal(l1__budget_check(&d, &td), L1_OK);
    p = d, p.budget = -1, expect_bad(&p, &td, "budget");
    p = d, p.reserve = 5, expect_bad(&p, &td, "reserve"); /* < 2 + 4 transition tokens */
    p = d, p.window = -3, expect_bad(&p, &td, "window");
    p = d, p.wait = -1, expect_bad(&p, &td, "wait");
    p = d, p.reserve = 64, p.mode = L1_BUDGET_EXACT, p.tolerance = 10, expect_bad(&p, &td, "tolerance");
    p = d, p.boost = NAN, expect_bad(&p, &td, "boost");
    p = d, p.boost = -1.0f, expect_bad(&p, &td, "boost");
    p = d, p.mode = (l1_budget_mode)7, expect_bad(&p, &td, "mode");
    t = td, t.think_close = -1, expect_bad(&d, &t, "think_close");
    t = td, t.eos = V, expect_bad(&d, &t, "eos");
    t = td, t.think_open = CLOSE, expect_bad(&d, &t, "same token");
    t = td, t.n_transition = 33, expect_bad(&d, &t, "n_transition");
    static const l1_token bad_tr[2] = {5, EOS};
    t = td, t.transition = bad_tr, t.n_transition = 2, expect_bad(&d, &t, "transition[1]");
    t = td, t.close_text = bad_tr, t.n_close_text = 2, expect_bad(&d, &t, "close_text[1]");
    t = td, t.n_vocab = 0, expect_bad(&d, &t, "n_vocab");
    /* Mode off needs no close or EOS token, and never reads the forced
     * texts (a transition holding EOS is no reason to refuse it). */
    p = d, p.mode = L1_BUDGET_OFF, t = td, t.think_close = -1, t.eos = -1;
    assert_int_equal(l1__budget_check(&p, &t), L1_OK);
    p = d, p.mode = L1_BUDGET_OFF, t = td, t.transition = bad_tr, t.n_transition = 2;
    assert_int_equal(l1__budget_check(&p, &t), L1_OK);
    assert_int_equal(l1__budget_check(NULL, &t), L1_ERR_INVALID_ARG);
}

/* The other end-of-turn tokens follow EOS: masked wherever EOS is, and
 * ending the response like it; every mask and boost is reported, and the
 * report matches what the logits show (hand-derived for each phase). */
static void budget_reports_every_mask_and_ends_on_end_of_turn_tokens(void **state) {
    (void)state;
    static const l1_token eog[2] = {40, 41};
    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.mode = L1_BUDGET_MAX;
    bp.budget = 300; /* R' = 64: window [172, 236), forced close at 236 */
    l1__budget_tokens t = tokens();
    t.eog = eog;
    t.n_eog = 2;
    l1__budget b;
    assert_int_equal(l1__budget_init(&b, &bp, &t), L1_OK);
    float l[V];
    memset(l, 0, sizeof l);
    /* Thinking, before the window: EOS and the end-of-turn tokens only. */
    assert_int_equal(l1__budget_before_sample(&b, l), L1__MASK_EOS);
    assert_true(isinf(l[EOS]) && isinf(l[40]) && isinf(l[41]) && l[CLOSE] == 0.0f && l[OPEN] == 0.0f);
    l1__budget_accept(&b, OPEN); /* the model opens its thinking */
    for (int n = 1; n < 172; n++) l1__budget_accept(&b, WEND + 2); /* 40, 41 are end-of-turn here */
    memset(l, 0, sizeof l);
    /* In the window, after <think>: the boost and a second <think> masked too. */
    assert_int_equal(l1__budget_before_sample(&b, l), L1__MASK_EOS | L1__MASK_THINK_OPEN | L1__BOOST_THINK_CLOSE);
    assert_true(isinf(l[OPEN]) && l[CLOSE] > 0.0f && isinf(l[41]));
    l1__budget_accept(&b, CLOSE); /* a natural close */
    memset(l, 0, sizeof l);
    /* Answering: both tags masked, EOS free again. */
    assert_int_equal(l1__budget_before_sample(&b, l), L1__MASK_THINK_CLOSE | L1__MASK_THINK_OPEN);
    assert_true(l[EOS] == 0.0f && l[40] == 0.0f && isinf(l[CLOSE]) && isinf(l[OPEN]));
    /* An end-of-turn token ends the response as EOS does. */
    l1__budget_accept(&b, 41);
    assert_true(l1__budget_done(&b));
    assert_int_equal(l1__budget_finish(&b), L1_FINISH_EOS);
    /* Mode off reports nothing and edits nothing. */
    bp.mode = L1_BUDGET_OFF;
    assert_int_equal(l1__budget_init(&b, &bp, &t), L1_OK);
    memset(l, 0, sizeof l);
    assert_int_equal(l1__budget_before_sample(&b, l), 0);
    for (int i = 0; i < V; i++) assert_true(l[i] == 0.0f);
    /* An end-of-turn id outside the vocabulary is refused, named. */
    static const l1_token bad[1] = {V};
    t.eog = bad;
    t.n_eog = 1;
    assert_int_equal(l1__budget_init(&b, &bp, &t), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "eog[0]"));
}


/* ---- the close at a word boundary, the reserve, the close text --------------------------- */

/* From N - R' on the controller waits for a boundary: a sampled piece that
 * starts a word is replaced by the close, which is then no mid-word cut. */
static void budget_forced_close_goes_where_a_new_word_starts(void **state) {
    (void)state;
    l1__budget b;
    init_max(&b, 400, true); /* R' = 64: due at 336, G' = 16 */
    for (int n = 0; n < 336; n++) l1__budget_accept(&b, MID);
    l1_token t;
    assert_false(l1__budget_forced_token(&b, &t)); /* inside a word: wait */
    float l[V] = {0};
    l1__budget_before_sample(&b, l);
    assert_true(l[CLOSE] == 0.0f); /* no boost while waiting */
    t = MID + 1;
    assert_false(l1__budget_after_sample(&b, &t)); /* still inside the word */
    assert_int_equal(t, MID + 1);
    l1__budget_accept(&b, t);
    t = WSTART;
    assert_true(l1__budget_after_sample(&b, &t)); /* " the": a word starts, the close goes first */
    assert_int_equal(t, CLOSE);
    l1__budget_accept(&b, t);
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.close, L1_CLOSE_FORCED);
    assert_false(r.close_mid_word);
    assert_int_equal(r.tokens_thinking, 338);
    /* The transition follows, whole. */
    for (int k = 0; k < 4; k++) {
        assert_true(l1__budget_forced_token(&b, &t));
        assert_int_equal(t, g_transition[k]);
        l1__budget_accept(&b, t);
    }
    assert_false(l1__budget_forced_token(&b, &t));
}

/* A piece that ends a word (a line, a sentence, white space, punctuation)
 * lets the close come at once; a word that does not end within G' tokens
 * is cut at N - R' + G' and reported as such. */
static void budget_forced_close_cuts_a_word_only_after_the_wait_and_says_so(void **state) {
    (void)state;
    l1__budget b;
    init_max(&b, 400, true);
    for (int n = 0; n < 335; n++) l1__budget_accept(&b, MID);
    l1__budget_accept(&b, WEND); /* n = 336, a word just ended */
    l1_token t;
    assert_true(l1__budget_forced_token(&b, &t));
    l1__budget_accept(&b, t);
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_false(r.close_mid_word);
    assert_int_equal(r.tokens_thinking, 337);

    init_max(&b, 400, true);
    for (int n = 0; n < 336 + 16; n++) {
        l1_token u = MID;
        assert_false(l1__budget_forced_token(&b, &t));
        assert_false(l1__budget_after_sample(&b, &u));
        l1__budget_accept(&b, u);
    }
    assert_true(l1__budget_forced_token(&b, &t)); /* n = 352 = 336 + G' */
    assert_int_equal(t, CLOSE);
    l1__budget_accept(&b, t);
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.close, L1_CLOSE_FORCED);
    assert_true(r.close_mid_word);
    assert_int_equal(r.tokens_thinking, 353);
}

/* While it waits for a word boundary the controller raises the pieces that
 * make one (start or end a word) by boost * k / G' at the k-th token of the
 * wait, and nothing else: expected values from budget.h's formula, with
 * N = 400, R' = 64 (close_at 336) and G' = 16 worked out by hand. */
static void budget_wait_raises_the_pieces_that_make_a_boundary(void **state) {
    (void)state;
    l1__budget b;
    init_max(&b, 400, true);
    for (int n = 0; n < 336; n++) l1__budget_accept(&b, MID);
    for (int k = 1; k <= 16; k++) {
        float l[V] = {0};
        unsigned did = l1__budget_before_sample(&b, l);
        assert_true(did & L1__BOOST_BOUNDARY);
        const float add = 10.0f * (float)k / 16.0f; /* default boost 10 */
        for (int i = 0; i < V; i++) {
            const bool boundary = (g_flags[i] & (L1__PIECE_WORD_START | L1__PIECE_WORD_END)) != 0;
            if (i == EOS || i == OPEN) assert_true(isinf(l[i]) && l[i] < 0); /* masked: thinking is open */
            else if (i == CLOSE) assert_true(l[i] == 0.0f);
            else assert_true(l[i] == (boundary ? add : 0.0f));
        }
        l1__budget_accept(&b, MID);
    }
    l1_token t;
    assert_true(l1__budget_forced_token(&b, &t)); /* the wait is over: forced */
    float l[V] = {0};
    init_max(&b, 400, true);
    for (int n = 0; n < 335; n++) l1__budget_accept(&b, MID);
    assert_false(l1__budget_before_sample(&b, l) & L1__BOOST_BOUNDARY); /* not before N - R' */
}

/* An explicit reserve is honoured exactly or refused with the reason; the
 * automatic one scales with N. */
static void budget_reserve_is_honoured_or_refused_never_lowered(void **state) {
    (void)state;
    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.mode = L1_BUDGET_MAX;
    bp.budget = 257;
    bp.reserve = 200;
    l1__budget_tokens t = tokens();
    l1__budget b;
    assert_int_equal(l1__budget_init(&b, &bp, &t), L1_OK);
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.reserve_effective, 200); /* not lowered to N / 4 = 64 */
    bp.budget = 150;
    expect_bad(&bp, &t, "cannot be honoured");
    bp.reserve = -1;
    assert_int_equal(l1__budget_init(&b, &bp, &t), L1_OK);
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.reserve_effective, 37); /* min(64, max(150 / 4, min(16, 8) + 4 + 1 + 16)) */
}

/* Exact mode's floor follows R' and W', which shrink with N: "Think for
 * 100 tokens." thinks for at least 46 (W' = 100 / 4 = 25 and R' = 29, the
 * automatic reserve's floor with this 4-token transition: 8 tokens of wait
 * + 4 + `</think>` + 16 answer tokens, above 100 / 4). */
static void budget_exact_floor_follows_the_effective_reserve(void **state) {
    (void)state;
    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.mode = L1_BUDGET_EXACT;
    bp.budget = 100;
    bp.thinking_open = true;
    l1__budget_tokens t = tokens();
    l1__budget b;
    assert_int_equal(l1__budget_init(&b, &bp, &t), L1_OK);
    float l[V];
    for (int n = 0; n < 46; n++) {
        memset(l, 0, sizeof l);
        assert_true(l1__budget_before_sample(&b, l) & L1__MASK_THINK_CLOSE);
        assert_true(isinf(l[CLOSE]) && l[CLOSE] < 0);
        assert_false(l1__budget_close_allowed(&b));
        l1__budget_accept(&b, WEND);
    }
    memset(l, 0, sizeof l);
    l1__budget_before_sample(&b, l);
    assert_false(isinf(l[CLOSE]));
    assert_true(l1__budget_close_allowed(&b));
    l1__budget_accept(&b, CLOSE);
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.close, L1_CLOSE_NATURAL);
    assert_int_equal(r.tokens_thinking, 47);
    assert_false(l1__budget_close_allowed(&b)); /* after the close */
}

/* The close text comes before the forced </think>, counted as thinking and
 * within N; it is dropped whole where it does not fit. */
static void budget_close_text_precedes_the_forced_close_within_n(void **state) {
    (void)state;
    static const l1_token close_text[3] = {50, 51, 52};
    l1__budget_params bp;
    l1__budget_params_default(&bp);
    bp.mode = L1_BUDGET_MAX;
    bp.budget = 400;
    bp.thinking_open = true;
    l1__budget_tokens t = tokens();
    t.close_text = close_text;
    t.n_close_text = 3;
    l1__budget b;
    assert_int_equal(l1__budget_init(&b, &bp, &t), L1_OK);
    for (int n = 0; n < 336; n++) l1__budget_accept(&b, WEND);
    static const l1_token want[8] = {50, 51, 52, CLOSE, 10, 11, 12, 13};
    for (int k = 0; k < 8; k++) {
        l1_token u;
        assert_true(l1__budget_forced_token(&b, &u));
        assert_int_equal(u, want[k]);
        l1__budget_accept(&b, u);
    }
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.tokens_thinking, 340);
    assert_int_equal(r.tokens_answer, 4);
    /* N = 16: R' = min(max(4, 8 + 3 + 4 + 2), 16) = 16, room 14: T' = 4,
     * 8 of wait, then 2 left: the 3-token close text is dropped (G' = 10). */
    bp.budget = 16;
    assert_int_equal(l1__budget_init(&b, &bp, &t), L1_OK);
    l1_token u;
    assert_true(l1__budget_forced_token(&b, &u)); /* due at n = 0, the start is a boundary */
    assert_int_equal(u, CLOSE);
}

/* answer_truncated: the response reached N before the model ended it. */
static void budget_reports_an_answer_cut_by_n(void **state) {
    (void)state;
    l1__budget b;
    init_max(&b, 10, true);
    l1_token t;
    while (!l1__budget_done(&b)) {
        if (!l1__budget_forced_token(&b, &t)) t = MID;
        l1__budget_accept(&b, t);
    }
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.finish, L1_FINISH_BUDGET);
    assert_true(r.answer_truncated);
    init_max(&b, 300, true);
    l1__budget_accept(&b, CLOSE);
    l1__budget_accept(&b, EOS);
    l1__budget_report_get(&b, &r);
    assert_false(r.answer_truncated);
}

/* A close spelled from ordinary tokens ends thinking as the token does. */
static void budget_spelled_close_ends_thinking_as_the_token_does(void **state) {
    (void)state;
    l1__budget b;
    init_max(&b, 300, true);
    l1__budget_accept(&b, MID);
    l1__budget_accept(&b, MID + 1); /* the caller saw "</think>" complete here */
    l1__budget_close_spelled(&b);
    l1__budget_report r;
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.phase, L1_PHASE_ANSWER);
    assert_int_equal(r.close, L1_CLOSE_NATURAL);
    assert_int_equal(r.tokens_thinking, 2);
    float l[V] = {0};
    l1__budget_before_sample(&b, l);
    assert_true(isinf(l[CLOSE])); /* a second close is masked */
    l1__budget_accept(&b, MID);
    l1__budget_report_get(&b, &r);
    assert_int_equal(r.tokens_answer, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(budget_max_never_exceeds_n_and_always_answers),
        cmocka_unit_test(budget_exact_never_closes_early),
        cmocka_unit_test(budget_natural_closes_are_untouched),
        cmocka_unit_test(budget_stray_tags_are_suppressed_after_the_close),
        cmocka_unit_test(budget_same_seed_same_response),
        cmocka_unit_test(budget_n_zero_emits_nothing),
        cmocka_unit_test(budget_n_one_is_the_close_alone),
        cmocka_unit_test(budget_small_n_never_cuts_the_transition),
        cmocka_unit_test(budget_soft_landing_follows_its_formula),
        cmocka_unit_test(budget_exact_masks_the_close_before_the_floor),
        cmocka_unit_test(budget_model_may_open_thinking_once),
        cmocka_unit_test(budget_off_counts_but_never_edits),
        cmocka_unit_test(budget_check_rejects_bad_parameters_naming_them),
        cmocka_unit_test(budget_reports_every_mask_and_ends_on_end_of_turn_tokens),
        cmocka_unit_test(budget_forced_close_goes_where_a_new_word_starts),
        cmocka_unit_test(budget_forced_close_cuts_a_word_only_after_the_wait_and_says_so),
        cmocka_unit_test(budget_wait_raises_the_pieces_that_make_a_boundary),
        cmocka_unit_test(budget_reserve_is_honoured_or_refused_never_lowered),
        cmocka_unit_test(budget_exact_floor_follows_the_effective_reserve),
        cmocka_unit_test(budget_trusted_model_is_left_alone_until_trust_ends),
        cmocka_unit_test(budget_trust_ended_late_still_closes_within_n),
        cmocka_unit_test(budget_close_text_precedes_the_forced_close_within_n),
        cmocka_unit_test(budget_reports_an_answer_cut_by_n),
        cmocka_unit_test(budget_spelled_close_ends_thinking_as_the_token_does),
    };
    return cmocka_run_group_tests_name("budget", tests, setup, NULL);
}
