/*
 * test_draft.c - speculative decoding by prompt lookup (l1_gen_params.draft,
 * lib/generate/generate.c).
 *
 * The expected values are the library's own responses with drafts off,
 * computed in each test beside the drafted ones: drafting must not change
 * a single token, greedy or sampled with a seed, under the budget
 * controller, at max_tokens and at a full context, across the turns of a
 * chat and when a response stepped alone continues in l1_gen_step.  The
 * models are synthetic ones of the types with multi-token kernels (random
 * weights: their greedy text loops, so drafts are accepted often and the
 * accepted path is exercised, which each test asserts) and the trained
 * reasoner under the budget controller.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "generate/generate.h"
#include "gguf/types.h"
#include "l1.h"
#include "support/small_models.h"

#define REASONER "examples/reasoner.gguf"
#define MAX_OUT 512

/* One response: its tokens, text and result. */
typedef struct response {
    l1_token tok[MAX_OUT];
    int32_t n;
    char text[4096];
    size_t n_text;
    l1_gen_result r;
} response;

static void take_piece(response *out, const l1_piece *pc) {
    if (pc->kind != L1_PIECE_TEXT) return;
    size_t k = (size_t)pc->len;
    if (out->n_text + k >= sizeof out->text) k = sizeof out->text - 1 - out->n_text;
    memcpy(out->text + out->n_text, pc->text, k);
    out->n_text += k;
    out->text[out->n_text] = '\0';
}

static void keep_tokens(l1_gen *g, response *out) {
    int32_t n;
    const l1_token *t = l1__gen_tokens(g, &n);
    assert_true(n <= MAX_OUT);
    memcpy(out->tok, t, (size_t)n * sizeof *t);
    out->n = n;
}

/* The chat msgs[0..n_msgs) on generator g with params p (draft as given). */
static void respond_chat(l1_gen *g, const l1_message *msgs, int32_t n_msgs, const l1_gen_params *p, response *out) {
    memset(out, 0, sizeof *out);
    assert_int_equal(l1_gen_begin_chat(g, msgs, n_msgs, p), L1_OK);
    l1_piece pc;
    while (l1_gen_next(g, &pc) == L1_OK && pc.kind != L1_PIECE_END) take_piece(out, &pc);
    assert_int_equal(l1_gen_end(g, &out->r), L1_OK);
    keep_tokens(g, out);
}

/* One response on sequence 0 of ctx.  Afterwards the cache holds the
 * prompt and at most the response's tokens: no draft stays in it. */
static void respond(l1_ctx *ctx, const char *prompt, const l1_gen_params *p, response *out) {
    l1_gen *g;
    assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
    l1_message m = {L1_MSG_USER, prompt};
    respond_chat(g, &m, 1, p, out);
    assert_true(l1_ctx_n_past(ctx) <= out->r.prompt_tokens + out->n);
    l1_gen_free(g);
}

static void assert_same_response(const response *a, const response *b) {
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->tok, b->tok, (size_t)a->n * sizeof *a->tok);
    assert_string_equal(a->text, b->text);
    assert_int_equal(a->r.finish, b->r.finish);
    assert_int_equal(a->r.close, b->r.close);
    assert_int_equal(a->r.close_mid_word, b->r.close_mid_word);
    assert_int_equal(a->r.tokens_thinking, b->r.tokens_thinking);
    assert_int_equal(a->r.tokens_answer, b->r.tokens_answer);
    assert_int_equal(a->r.answer_truncated, b->r.answer_truncated);
}

static const int32_t k_drafts[] = {1, 3, L1_DRAFT_MAX, L1_DRAFT_AUTO};

/* Every draft setting gives the tokens of drafts off; returns the drafted
 * and accepted totals of the fixed settings. */
static void compare_drafts(l1_ctx *ctx, const char *prompt, l1_gen_params p, long *drafted, long *accepted) {
    static response off, on;
    p.draft = 0;
    respond(ctx, prompt, &p, &off);
    assert_int_equal(off.r.draft_tokens, 0);
    for (size_t i = 0; i < L1_ARRAY_LEN(k_drafts); i++) {
        p.draft = k_drafts[i];
        respond(ctx, prompt, &p, &on);
        assert_same_response(&off, &on);
        assert_true(on.r.draft_accepted >= 0 && on.r.draft_accepted <= on.r.draft_tokens);
        if (k_drafts[i] != L1_DRAFT_AUTO) {
            *drafted += on.r.draft_tokens;
            *accepted += on.r.draft_accepted;
        }
    }
}

/* Greedy and sampled, 1 and 2 threads, on synthetic models of F32 and of
 * the types with multi-token kernels. */
static void drafts_give_the_tokens_of_plain_decoding(void **state) {
    (void)state;
    const uint32_t types[] = {L1_TYPE_F32, L1_TYPE_Q8_0, L1_TYPE_Q4_0, L1_TYPE_Q4_K};
    for (size_t ti = 0; ti < L1_ARRAY_LEN(types); ti++) {
        l1_model *m = small_synth_model("draft", types[ti], 2048);
        long drafted = 0, accepted = 0;
        for (int threads = 1; threads <= 2; threads++) {
            l1_ctx *ctx = small_ctx(m, 1024, 1, threads);
            l1_gen_params p = l1_gen_default_params();
            p.max_tokens = 160;
            p.temperature = 0.0f;
            compare_drafts(ctx, "Tell me a story about a dragon", p, &drafted, &accepted);
            p.temperature = 0.9f;
            p.seed = 77 + (uint64_t)threads;
            compare_drafts(ctx, "Tell me a story about a dragon", p, &drafted, &accepted);
            l1_ctx_free(ctx);
        }
        /* The accepted path (logits taken from a later row of a drafted
     * evaluation) was exercised, and so was the rejection. */
        assert_true(accepted > 0);
        assert_true(accepted < drafted);
        l1_model_free(m);
    }
}

/* The trained reasoner under the budget controller: max and exact mode at
 * tight and ample budgets; every max-mode response within N and with a
 * \boxed{} answer. */
static void drafts_keep_the_budget_and_the_answers(void **state) {
    (void)state;
    l1_model *m = NULL;
    assert_int_equal(l1_model_load(REASONER, NULL, &m), L1_OK);
    l1_ctx *ctx = small_ctx(m, 512, 1, 2);
    const struct {
        long a;
        char op;
        long b;
    } qs[] = {{4821, '+', 3967}, {905, '-', 1377}, {77, '*', 8}, {1234, '+', 99}};
    const int32_t budgets[] = {16, 32, 64, 256};
    static response off, on;
    long drafted = 0, accepted = 0;
    for (size_t qi = 0; qi < L1_ARRAY_LEN(qs); qi++) {
        char q[64];
        snprintf(q, sizeof q, "What is %ld %c %ld?", qs[qi].a, qs[qi].op, qs[qi].b);
        for (size_t bi = 0; bi < L1_ARRAY_LEN(budgets); bi++) {
            for (int mode = 0; mode < 2; mode++) {
                l1_gen_params p = l1_gen_default_params();
                p.temperature = 0.0f;
                p.budget_mode = mode ? L1_BUDGET_EXACT : L1_BUDGET_MAX;
                p.budget = budgets[bi];
                p.draft = 0;
                respond(ctx, q, &p, &off);
                p.draft = 4;
                respond(ctx, q, &p, &on);
                assert_same_response(&off, &on);
                assert_true(on.r.tokens_thinking + on.r.tokens_answer <= budgets[bi]);
                drafted += on.r.draft_tokens;
                accepted += on.r.draft_accepted;
                if (mode == 0) assert_non_null(strstr(on.text, "\\boxed{"));
            }
        }
    }
    assert_true(accepted > 0);
    l1_ctx_free(ctx);
    l1_model_free(m);
}

/* max_tokens and a context that fills: the same end, the same tokens; the
 * cache keeps no draft after a response, and a chat's second turn, which
 * reuses the first turn's cache, is the same too. */
static void drafts_at_the_limits_and_across_turns(void **state) {
    (void)state;
    l1_model *m = small_synth_model("draft", L1_TYPE_Q8_0, 2048);
    static response off, on;
    for (int32_t max_tokens = 1; max_tokens <= 9; max_tokens += 4) {
        l1_ctx *ctx = small_ctx(m, 256, 1, 1);
        l1_gen_params p = l1_gen_default_params();
        p.temperature = 0.0f;
        p.max_tokens = max_tokens;
        p.draft = 0;
        respond(ctx, "Count", &p, &off);
        p.draft = L1_DRAFT_MAX;
        respond(ctx, "Count", &p, &on);
        assert_same_response(&off, &on);
        assert_int_equal(on.n, max_tokens);
        l1_ctx_free(ctx);
    }
    {
        l1_ctx *ctx = small_ctx(m, 48, 1, 1); /* the prompt is about 10 tokens: the context fills */
        l1_gen_params p = l1_gen_default_params();
        p.temperature = 0.0f;
        p.draft = 0;
        respond(ctx, "Count", &p, &off);
        assert_int_equal(off.r.finish, L1_FINISH_CONTEXT_FULL);
        p.draft = L1_DRAFT_MAX;
        respond(ctx, "Count", &p, &on);
        assert_same_response(&off, &on);
        assert_true(on.r.draft_accepted > 0);
        l1_ctx_free(ctx);
    }
    {
        /* A response ended early (l1_gen_end while drafts not yet compared
     * are in the cache): they leave it. */
        l1_ctx *ctx = small_ctx(m, 1024, 1, 1);
        l1_gen *g;
        assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
        l1_gen_params p = l1_gen_default_params();
        p.temperature = 0.0f;
        p.draft = L1_DRAFT_MAX;
        assert_int_equal(l1_gen_begin(g, "Count", &p), L1_OK);
        const int32_t prompt = l1_ctx_n_past(ctx);
        l1_piece pc;
        int32_t n = 0;
        for (int i = 0; i < 200; i++) {
            assert_int_equal(l1_gen_next(g, &pc), L1_OK);
            (void)l1__gen_tokens(g, &n);
            if (l1_ctx_n_past(ctx) > prompt + n) break;
        }
        assert_true(l1_ctx_n_past(ctx) > prompt + n);
        l1_gen_result r;
        assert_int_equal(l1_gen_end(g, &r), L1_OK);
        assert_int_equal(r.prompt_tokens, prompt);
        (void)l1__gen_tokens(g, &n);
        assert_true(l1_ctx_n_past(ctx) <= prompt + n);
        l1_gen_free(g);
        l1_ctx_free(ctx);
    }
    /* Two turns on one generator, drafts off and on. */
    static response turn[2][2];
    for (int d = 0; d < 2; d++) {
        l1_ctx *ctx = small_ctx(m, 1024, 1, 2);
        l1_gen *g;
        assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
        l1_gen_params p = l1_gen_default_params();
        p.temperature = 0.0f;
        p.max_tokens = 120;
        p.draft = d ? 8 : 0;
        l1_message msgs[3] = {{L1_MSG_USER, "First question"}, {L1_MSG_ASSISTANT, ""}, {L1_MSG_USER, "Second"}};
        respond_chat(g, msgs, 1, &p, &turn[d][0]);
        /* Only the response's own tokens stay in the cache: the prompt and
     * the response, less its last token when that one was never
     * evaluated. */
        const int32_t held = l1_ctx_n_past(ctx), want = turn[d][0].r.prompt_tokens + turn[d][0].n;
        assert_true(held == want || held == want - 1);
        msgs[1].text = turn[d][0].text;
        respond_chat(g, msgs, 3, &p, &turn[d][1]);
        assert_true(turn[d][1].r.prompt_reused >= turn[d][0].r.prompt_tokens);
        l1_gen_free(g);
        l1_ctx_free(ctx);
    }
    assert_same_response(&turn[0][0], &turn[1][0]);
    assert_same_response(&turn[0][1], &turn[1][1]);
    assert_true(turn[1][0].r.draft_accepted > 0);
    l1_model_free(m);
}

/* A response pulled with l1_gen_next (drafts in the cache between calls)
 * that goes on in l1_gen_step: the tokens of a plain response. */
static void drafted_response_continues_in_group_steps(void **state) {
    (void)state;
    l1_model *m = small_synth_model("draft", L1_TYPE_Q4_0, 2048);
    l1_ctx *ctx = small_ctx(m, 1024, 2, 2);
    l1_gen_params p = l1_gen_default_params();
    p.temperature = 0.0f;
    p.max_tokens = 150;
    p.draft = 0;
    static response off, on;
    respond(ctx, "Once upon a time", &p, &off);
    p.draft = 6;
    for (int pulled = 10; pulled <= 90; pulled += 40) {
        l1_gen *g;
        assert_int_equal(l1_gen_new_seq(ctx, 1, &g), L1_OK);
        memset(&on, 0, sizeof on);
        assert_int_equal(l1_gen_begin(g, "Once upon a time", &p), L1_OK);
        l1_piece pc;
        int got = 0;
        while (got < pulled && l1_gen_next(g, &pc) == L1_OK && pc.kind != L1_PIECE_END) {
            take_piece(&on, &pc);
            got++;
        }
        int32_t r;
        while ((r = l1_gen_poll(g, &pc)) >= 0) {
            if (r == 0) {
                assert_int_equal(l1_gen_step(&g, 1), L1_OK);
                continue;
            }
            if (pc.kind == L1_PIECE_END) break;
            take_piece(&on, &pc);
        }
        assert_int_equal(l1_gen_end(g, &on.r), L1_OK);
        keep_tokens(g, &on);
        assert_same_response(&off, &on);
        l1_gen_free(g);
    }
    l1_ctx_free(ctx);
    l1_model_free(m);
}

/* Two drafting generators on two sequences of one context, pulled in
 * turns with l1_gen_next: each one's evaluations (and the truncations that
 * drop its drafts) replace the other's logits rows between its calls, so
 * each must evaluate its last token again; each gives the tokens it gives
 * alone with drafts off. */
static void drafting_generators_taking_turns_on_one_context(void **state) {
    (void)state;
    l1_model *m = small_synth_model("draft", L1_TYPE_Q8_0, 2048);
    const char *prompts[2] = {"Once upon a time", "Count"};
    static response alone[2], turns[2];
    l1_ctx *one = small_ctx(m, 1024, 1, 1);
    for (int i = 0; i < 2; i++) {
        l1_gen_params p = l1_gen_default_params();
        p.temperature = 0.7f;
        p.seed = 11 + (uint64_t)i;
        p.max_tokens = 120;
        p.draft = 0;
        respond(one, prompts[i], &p, &alone[i]);
    }
    l1_ctx_free(one);
    l1_ctx *ctx = small_ctx(m, 1024, 2, 2);
    l1_gen *g[2];
    bool done[2] = {false, false};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(l1_gen_new_seq(ctx, i, &g[i]), L1_OK);
        l1_gen_params p = l1_gen_default_params();
        p.temperature = 0.7f;
        p.seed = 11 + (uint64_t)i;
        p.max_tokens = 120;
        p.draft = 5;
        memset(&turns[i], 0, sizeof turns[i]);
        assert_int_equal(l1_gen_begin(g[i], prompts[i], &p), L1_OK);
    }
    while (!done[0] || !done[1])
        for (int i = 0; i < 2; i++) {
            l1_piece pc;
            if (done[i]) continue;
            assert_int_equal(l1_gen_next(g[i], &pc), L1_OK);
            if (pc.kind == L1_PIECE_END) done[i] = true;
            else take_piece(&turns[i], &pc);
        }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(l1_gen_end(g[i], &turns[i].r), L1_OK);
        keep_tokens(g[i], &turns[i]);
        assert_same_response(&alone[i], &turns[i]);
        assert_true(turns[i].r.draft_accepted > 0);
        l1_gen_free(g[i]);
    }
    l1_ctx_free(ctx);
    l1_model_free(m);
}

static void draft_outside_its_range_is_refused_by_name(void **state) {
    (void)state;
    l1_model *m = small_synth_model("draft", L1_TYPE_F32, 2048);
    l1_ctx *ctx = small_ctx(m, 128, 1, 1);
    l1_gen *g;
    assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
    const int32_t bad[] = {-2, L1_DRAFT_MAX + 1, INT32_MIN};
    for (size_t i = 0; i < L1_ARRAY_LEN(bad); i++) {
        l1_gen_params p = l1_gen_default_params();
        p.draft = bad[i];
        assert_int_equal(l1_gen_begin(g, "Hi", &p), L1_ERR_INVALID_ARG);
        assert_non_null(strstr(l1_last_error(), "draft"));
    }
    l1_gen_free(g);
    l1_ctx_free(ctx);
    l1_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(drafts_give_the_tokens_of_plain_decoding),
        cmocka_unit_test(drafts_keep_the_budget_and_the_answers),
        cmocka_unit_test(drafts_at_the_limits_and_across_turns),
        cmocka_unit_test(drafted_response_continues_in_group_steps),
        cmocka_unit_test(drafting_generators_taking_turns_on_one_context),
        cmocka_unit_test(draft_outside_its_range_is_refused_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
