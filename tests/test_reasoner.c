/*
 * test_reasoner.c - end-to-end tests on the trained reasoner model
 * (examples/reasoner.gguf, tools/train): a model that answers arithmetic
 * questions with a digit-by-digit scratchpad inside <think>, so greedy
 * answers can be checked against values the test computes itself, and the
 * budget controller can be watched on a model that really thinks.
 *
 * Public API only.  The kernel tier is fixed once per process (L1_TIER caps
 * it); tests/checks/reasoner_tiers.sh runs this binary once per tier the
 * host has.  L1_REASONER_MODEL overrides the model path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l1.h"

#define DEFAULT_MODEL "examples/reasoner.gguf"

/* The longest response the tests allow with no budget: the full scratchpad
 * of a 4-digit problem is about 120 tokens. */
#define MAX_RESPONSE 400

typedef struct {
    char think[4096];
    size_t n_think;
    char answer[1024];
    size_t n_answer;
} texts;

static void append(char *buf, size_t cap, size_t *n, const char *s, int32_t len) {
    size_t k = (size_t)len;
    if (*n + k + 1 > cap) k = cap - 1 - *n;
    memcpy(buf + *n, s, k);
    *n += k;
    buf[*n] = '\0';
}

static int collect(const l1_piece *pc, void *user) {
    texts *t = user;
    if (pc->kind != L1_PIECE_TEXT) return 0;
    if (pc->phase == L1_PHASE_THINKING)
        append(t->think, sizeof t->think, &t->n_think, pc->text, pc->len);
    else
        append(t->answer, sizeof t->answer, &t->n_answer, pc->text, pc->len);
    return 0;
}

typedef struct {
    l1_model *model;
    l1_ctx *ctx;
} fixture;

static int setup(void **state) {
    const char *path = getenv("L1_REASONER_MODEL");
    if (!path || !*path) path = DEFAULT_MODEL;
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    if (l1_model_load(path, NULL, &f->model) != L1_OK) {
        fprintf(stderr, "load %s: %s\n", path, l1_last_error());
        free(f);
        return -1;
    }
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = 512;
    if (l1_ctx_new(f->model, &cp, &f->ctx) != L1_OK) {
        fprintf(stderr, "ctx: %s\n", l1_last_error());
        l1_model_free(f->model);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    l1_ctx_free(f->ctx);
    l1_model_free(f->model);
    free(f);
    return 0;
}

/* The value inside the last "\boxed{...}" of s, or 0 when there is none or
 * it is not an integer. */
static int boxed_value(const char *s, long *out) {
    const char *last = NULL;
    for (const char *q = strstr(s, "\\boxed{"); q; q = strstr(q + 1, "\\boxed{")) last = q;
    if (!last) return 0;
    const char *p = last + strlen("\\boxed{");
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || *end != '}') return 0;
    *out = v;
    return 1;
}

/* s ends with "\boxed{...}" (trailing white space allowed). */
static int ends_with_boxed(const char *s) {
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n')) n--;
    if (n == 0 || s[n - 1] != '}') return 0;
    const char *last = NULL;
    for (const char *q = strstr(s, "\\boxed{"); q && (size_t)(q - s) < n; q = strstr(q + 1, "\\boxed{")) last = q;
    if (!last) return 0;
    for (const char *p = last + strlen("\\boxed{"); p < s + n - 1; p++)
        if (*p == '}' || *p == '{') return 0;
    return 1;
}

typedef struct {
    long a, b;
    char op;
} problem;

static long expected(const problem *p) {
    switch (p->op) {
    case '+': return p->a + p->b;
    case '-': return p->a - p->b;
    default: return p->a * p->b;
    }
}

static l1_status ask(fixture *f, const problem *p, const l1_gen_params *gp, texts *t, l1_gen_result *r) {
    char q[64];
    snprintf(q, sizeof q, "What is %ld %c %ld?", p->a, p->op, p->b);
    memset(t, 0, sizeof *t);
    return l1_generate(f->ctx, q, gp, collect, t, r);
}

/* Written down before the model was trained: carries, borrows through
 * zeros, negative differences, operands of different lengths, zeros. */
static const problem k_fixed[] = {
    {4567, 1234, '+'}, {9999, 9999, '+'}, {5, 7, '+'},       {805, 96, '+'},    {1, 9999, '+'},
    {3070, 2930, '+'}, {0, 0, '+'},       {123, 4567, '+'},  {58, 47, '+'},     {7001, 999, '+'},
    {4567, 1234, '-'}, {1000, 1, '-'},    {123, 4567, '-'},  {5, 9, '-'},       {9999, 9999, '-'},
    {3002, 1997, '-'}, {42, 0, '-'},      {700, 5, '-'},     {65, 6500, '-'},   {8080, 808, '-'},
    {12, 3, '*'},      {999, 9, '*'},     {407, 6, '*'},     {0, 8, '*'},       {25, 4, '*'},
};

/* Greedy, budget 256 in max mode (ample: the full scratchpad of every
 * problem here fits), answers checked against the values the test computes.
 * The list leans on hard cases (long carry and borrow chains, zeros, a
 * negative difference), and the model is small (tools/train/README.md: about
 * 91% of fresh problems right at N = 256), so this is a floor, not the
 * issue's target: the committed model answers 21 of these 25 correctly on
 * every tier (scalar, AVX2, AVX-512; l1 and llama.cpp agree token for token,
 * tests/parity/parity_reasoner.c); a broken forward pass or prompt rendering
 * answers almost none.  Raise MIN_CORRECT when a better model is committed. */
#define MIN_CORRECT 21
static void reasoner_greedy_answers_are_correct(void **state) {
    fixture *f = *state;
    l1_gen_params gp = l1_gen_default_params();
    gp.temperature = 0.0f;
    gp.budget_mode = L1_BUDGET_MAX;
    gp.budget = 256;
    int right = 0;
    for (size_t i = 0; i < sizeof k_fixed / sizeof k_fixed[0]; i++) {
        texts t;
        l1_gen_result r;
        assert_int_equal(ask(f, &k_fixed[i], &gp, &t, &r), L1_OK);
        long got = 0, want = expected(&k_fixed[i]);
        if (boxed_value(t.answer, &got) && got == want) right++;
        else if (getenv("L1_REASONER_VERBOSE"))
            fprintf(stderr, "%ld %c %ld: want %ld, answer \"%s\" (thinking \"%s\")\n", k_fixed[i].a,
                    k_fixed[i].op, k_fixed[i].b, want, t.answer, t.think);
    }
    printf("    %d of %d answers correct (floor %d)\n", right, (int)(sizeof k_fixed / sizeof k_fixed[0]),
           MIN_CORRECT);
    assert_true(right >= MIN_CORRECT);
}

/* With the budget off and no instruction the model writes its full
 * scratchpad, closes its thinking by itself and ends its response. */
static void reasoner_closes_by_itself_without_budget(void **state) {
    fixture *f = *state;
    l1_gen_params gp = l1_gen_default_params();
    gp.temperature = 0.0f;
    gp.max_tokens = MAX_RESPONSE;
    const problem p = {2718, 2818, '+'};
    texts t;
    l1_gen_result r;
    assert_int_equal(ask(f, &p, &gp, &t, &r), L1_OK);
    assert_int_equal(r.close, L1_CLOSE_NATURAL);
    assert_int_equal(r.finish, L1_FINISH_EOS);
    assert_true(ends_with_boxed(t.answer));
}

/* A small deterministic generator for the budget sweep's problems. */
static uint64_t next_u64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static long pick(uint64_t *s, int max_digits) {
    static const long pow10[] = {1, 10, 100, 1000, 10000};
    int d = 1 + (int)(next_u64(s) % (uint64_t)max_digits);
    return (long)(next_u64(s) % (uint64_t)pow10[d]);
}

/* A problem of the task's kinds: +, - of up to 4 digits, * of up to 3 x 1. */
static problem random_problem(uint64_t *seed) {
    problem p;
    int o = (int)(next_u64(seed) % 3);
    p.op = o == 0 ? '+' : o == 1 ? '-' : '*';
    p.a = pick(seed, p.op == '*' ? 3 : 4);
    p.b = p.op == '*' ? (long)(next_u64(seed) % 10) : pick(seed, 4);
    return p;
}

/* Max mode, budgets 16..256, greedy and sampled: no response is longer than
 * N tokens, and from N = ANSWER_FROM_N on every one ends with \boxed{...}:
 * a response the model ends by itself within N is left alone (the
 * look-ahead), and a forced close leaves room for this model's answer
 * ("\n\n**Final Answer**\n\boxed{-1234}" and EOS: up to 14 tokens with
 * the close), since the automatic reserve keeps 16 answer tokens after the
 * transition and a wait of 8.  The shares over 500 problems are measured
 * by bench/budget_eval. */
#define ANSWER_FROM_N 16
static void reasoner_budget_max_never_exceeds_n_and_answers(void **state) {
    fixture *f = *state;
    static const int32_t budgets[] = {16, 24, 32, 48, 64, 96, 128, 256};
    uint64_t seed = 14;
    int n_runs = 0;
    for (int k = 0; k < 6; k++) {
        const problem p = random_problem(&seed);
        for (size_t j = 0; j < sizeof budgets / sizeof budgets[0]; j++) {
            for (int sampled = 0; sampled < 2; sampled++) {
                l1_gen_params gp = l1_gen_default_params();
                gp.temperature = sampled ? 0.8f : 0.0f;
                gp.seed = (uint64_t)(k * 100 + (int)j);
                gp.budget_mode = L1_BUDGET_MAX;
                gp.budget = budgets[j];
                texts t;
                l1_gen_result r;
                assert_int_equal(ask(f, &p, &gp, &t, &r), L1_OK);
                int32_t used = r.tokens_thinking + r.tokens_answer;
                int answered = ends_with_boxed(t.answer);
                if (used > budgets[j] || (!answered && budgets[j] >= ANSWER_FROM_N))
                    fprintf(stderr, "%ld %c %ld, N=%d: %d tokens, close %s, answer \"%s\"\n", p.a, p.op, p.b,
                            (int)budgets[j], (int)used, l1_close_name(r.close), t.answer);
                assert_true(used <= budgets[j]);
                if (budgets[j] >= ANSWER_FROM_N) assert_true(answered);
                n_runs++;
            }
        }
    }
    assert_int_equal(n_runs, 6 * 8 * 2);
}

/* The look-ahead: a response the model ends by itself within N is the
 * same in max mode as with the instruction alone and generation stopped at
 * N (the plain cut), token for token, greedy and sampled (the look-ahead
 * samples on a copy of the sampler's random state); the controller acts
 * only on responses that would not fit.  The runs where the controller
 * would have acted (still thinking at the start of the soft-landing window
 * or at N - R') report probe_tokens; some must, or the test proves
 * nothing about the look-ahead. */
static void reasoner_max_mode_leaves_a_response_that_fits_alone(void **state) {
    fixture *f = *state;
    static const int32_t budgets[] = {16, 24, 32, 48, 64, 96, 128};
    uint64_t seed = 77;
    int fits = 0, probed = 0, runs = 0;
    for (int k = 0; k < 8; k++) {
        const problem p = random_problem(&seed);
        for (size_t j = 0; j < sizeof budgets / sizeof budgets[0]; j++) {
            for (int sampled = 0; sampled < 2; sampled++) {
                l1_gen_params cut = l1_gen_default_params();
                cut.temperature = sampled ? 0.8f : 0.0f;
                cut.seed = (uint64_t)(k * 100 + (int)j);
                cut.budget_mode = L1_BUDGET_OFF; /* the instruction, nothing enforced */
                cut.budget = budgets[j];
                cut.max_tokens = budgets[j];
                l1_gen_params max = cut;
                max.budget_mode = L1_BUDGET_MAX;
                max.max_tokens = 0;
                static texts tc, tm;
                l1_gen_result rc, rm;
                assert_int_equal(ask(f, &p, &cut, &tc, &rc), L1_OK);
                assert_int_equal(ask(f, &p, &max, &tm, &rm), L1_OK);
                runs++;
                if (rc.finish != L1_FINISH_EOS) continue;
                fits++;
                probed += rm.probe_tokens > 0;
                if (strcmp(tc.think, tm.think) || strcmp(tc.answer, tm.answer))
                    fail_msg("%ld %c %ld, N=%d, %s: the model's own response\n%s</think>%s\nbecame\n%s</think>%s",
                             p.a, p.op, p.b, (int)budgets[j], sampled ? "sampled" : "greedy", tc.think, tc.answer,
                             tm.think, tm.answer);
                assert_int_equal(rm.close, L1_CLOSE_NATURAL);
                assert_int_equal(rm.finish, L1_FINISH_EOS);
                assert_int_equal(rm.tokens_thinking + rm.tokens_answer, rc.tokens_thinking + rc.tokens_answer);
            }
        }
    }
    assert_int_equal(runs, 8 * 7 * 2);
    fprintf(stderr, "look-ahead: %d of %d responses ended within N by themselves, %d of them looked ahead\n", fits,
            runs, probed);
    assert_true(fits >= runs / 2);
    assert_true(probed >= 10);
}

/* Runs gen to its end, collecting its text into t. */
static void drain_gen(l1_gen *gen, texts *t, l1_gen_result *r) {
    memset(t, 0, sizeof *t);
    l1_piece pc;
    while (l1_gen_next(gen, &pc) == L1_OK && pc.kind != L1_PIECE_END) collect(&pc, t);
    assert_int_equal(l1_gen_end(gen, r), L1_OK);
}

/* The look-ahead samples with the response's own copy of the parameters:
 * a logit-bias array freed by the caller right after l1_gen_begin (the
 * header says it is copied) changes nothing, ahead or not (ASan would see
 * a read of the freed array).  The bias bans the digit 3 and makes this
 * model's scratchpad longer than N - R' at N = 64, so the response is
 * looked ahead, and it is the one an unfreed bias gives. */
static void reasoner_look_ahead_keeps_the_bias_after_the_caller_frees_it(void **state) {
    fixture *f = *state;
    l1_token three;
    assert_int_equal(l1_tokenize(f->model, "3", 1, &three, 1, 0), 1);
    texts t[2];
    l1_gen_result r[2];
    for (int freed = 0; freed < 2; freed++) {
        l1_logit_bias *bias = malloc(sizeof *bias);
        assert_non_null(bias);
        *bias = (l1_logit_bias){three, -1.0f / 0.0f};
        l1_gen_params gp = l1_gen_default_params();
        gp.temperature = 0.7f;
        gp.seed = 9;
        gp.budget_mode = L1_BUDGET_MAX;
        gp.budget = 64;
        gp.bias = bias;
        gp.n_bias = 1;
        l1_gen *gen;
        assert_int_equal(l1_gen_new(f->ctx, &gen), L1_OK);
        assert_int_equal(l1_gen_begin(gen, "What is 4721 + 1856?", &gp), L1_OK);
        if (freed) free(bias);
        drain_gen(gen, &t[freed], &r[freed]);
        if (!freed) free(bias);
        l1_gen_free(gen);
        assert_null(strchr(t[freed].think, '3'));
    }
    assert_true(r[0].probe_tokens > 0);
    assert_int_equal(r[1].probe_tokens, r[0].probe_tokens);
    assert_string_equal(t[1].think, t[0].think);
    assert_string_equal(t[1].answer, t[0].answer);
}

/* A prompt that fills the context leaves the look-ahead no room: the
 * response ends with context_full, as without a budget, and no error. */
static void reasoner_full_context_ends_without_a_look_ahead(void **state) {
    fixture *f = *state;
    l1_gen_params gp = l1_gen_default_params();
    gp.temperature = 0.0f;
    gp.budget_mode = L1_BUDGET_MAX;
    gp.budget = 32;
    texts t;
    l1_gen_result r;
    const problem p = {12, 34, '+'};
    assert_int_equal(ask(f, &p, &gp, &t, &r), L1_OK);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = r.prompt_tokens;
    l1_ctx *small;
    assert_int_equal(l1_ctx_new(f->model, &cp, &small), L1_OK);
    fixture g = {f->model, small};
    assert_int_equal(ask(&g, &p, &gp, &t, &r), L1_OK);
    assert_int_equal(r.finish, L1_FINISH_CONTEXT_FULL);
    assert_int_equal(r.probe_tokens, 0);
    l1_ctx_free(small);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reasoner_greedy_answers_are_correct),
        cmocka_unit_test(reasoner_closes_by_itself_without_budget),
        cmocka_unit_test(reasoner_budget_max_never_exceeds_n_and_answers),
        cmocka_unit_test(reasoner_max_mode_leaves_a_response_that_fits_alone),
        cmocka_unit_test(reasoner_look_ahead_keeps_the_bias_after_the_caller_frees_it),
        cmocka_unit_test(reasoner_full_context_ends_without_a_look_ahead),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
