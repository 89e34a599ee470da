/*
 * test_generate.c - the generate layer end to end on a tiny synthetic model
 * (lib/synth.c, built-in byte-level vocabulary with the R1 special tokens):
 * the budget never exceeded, forced closes followed by an answer, stop
 * strings, max tokens, a full context, aborts (callback, flag, during the
 * prompt), seeded determinism, chat prefix reuse; plus the stop matcher and
 * the sentence-end table in isolation.
 *
 * Expected values are derived by hand in each test (token counts from the
 * budget semantics in budget.h, text prefixes from a run without the stop
 * string), never recorded from the code under test.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sample/budget.h"
#include "generate/generate.h"
#include "model/model.h"
#include "tooling/synth.h"
#include "tokenizer/tokenizer.h"

static char g_path[64];
static l1_model *g_model;

static int setup(void **state) {
    (void)state;
    snprintf(g_path, sizeof g_path, "/tmp/l1_test_generate_%d.gguf", (int)getpid());
    l1__synth_params p;
    if (l1__synth_preset("tiny", &p) != L1_OK || l1__synth_write(&p, g_path) != L1_OK) return -1;
    return l1_model_load(g_path, NULL, &g_model) == L1_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    l1_model_free(g_model);
    unlink(g_path);
    return 0;
}

static l1_ctx *new_ctx(int32_t n_ctx) {
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = n_ctx;
    cp.n_threads = 1;
    l1_ctx *c = NULL;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_OK);
    return c;
}

static l1_token role(l1_special r) { return l1__tokenizer_role(l1__model_tokenizer(g_model), r); }

/* What a response streamed: its text per phase and the markers. */
typedef struct transcript {
    char think[4096], answer[4096];
    size_t n_think, n_answer;
    int n_begin, n_end, n_pieces;
    int max_used, last_limit;
    int stop_after; /* on_piece returns 1 after this many pieces; 0 = never */
} transcript;

static int record(const l1_piece *p, void *user) {
    transcript *t = user;
    t->n_pieces++;
    if (p->used > t->max_used) t->max_used = p->used;
    t->last_limit = p->limit;
    if (p->kind == L1_PIECE_THINK_BEGIN) t->n_begin++;
    if (p->kind == L1_PIECE_THINK_END) t->n_end++;
    if (p->kind == L1_PIECE_TEXT) {
        assert_true(p->len > 0); /* never an empty text piece */
        char *dst = p->phase == L1_PHASE_THINKING ? t->think : t->answer;
        size_t *n = p->phase == L1_PHASE_THINKING ? &t->n_think : &t->n_answer;
        if (*n + (size_t)p->len < sizeof t->think) memcpy(dst + *n, p->text, (size_t)p->len);
        *n += (size_t)p->len;
    }
    return t->stop_after && t->n_pieces >= t->stop_after;
}

static l1_gen_params params_seed(uint64_t seed) {
    l1_gen_params p = l1_gen_default_params();
    p.seed = seed;
    return p;
}

/* ---- budget ------------------------------------------------------------------------- */

/* A model that never closes by itself: `</think>` banned by a -inf bias, so
 * every close is the controller's.  For each N: the response never exceeds
 * N, closes exactly once (forced) when N leaves room, and after the forced
 * `</think>` come the transition tokens, then at least one sampled token. */
static void budget_max_never_exceeded_and_forced_close_is_answered(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(512);
    l1_gen *g;
    assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
    const l1_token close = role(L1_SPECIAL_THINK_CLOSE);
    l1_logit_bias ban = {close, -INFINITY};
    const int32_t budgets[] = {1, 2, 23, 24, 25, 40, 97, 160};
    for (size_t bi = 0; bi < L1_ARRAY_LEN(budgets); bi++) {
        for (uint64_t seed = 1; seed <= 3; seed++) {
            l1_gen_params p = params_seed(seed);
            p.budget_mode = L1_BUDGET_MAX;
            p.budget = budgets[bi];
            p.reserve = 24;
            p.transition = "\n\nAnswer: ";
            p.bias = &ban;
            p.n_bias = 1;
            assert_int_equal(l1_gen_begin(g, "What is 2+2?", &p), L1_OK);
            transcript t = {0};
            l1_piece pc;
            while (l1_gen_next(g, &pc) == L1_OK && pc.kind != L1_PIECE_END) record(&pc, &t);
            l1_gen_result r;
            assert_int_equal(l1_gen_end(g, &r), L1_OK);
            int32_t n;
            const l1_token *toks = l1__gen_tokens(g, &n);
            const int32_t N = budgets[bi];
            assert_true(n <= N);
            assert_int_equal(r.tokens_thinking + r.tokens_answer, n);
            assert_true(t.max_used <= N);
            assert_int_equal(t.last_limit, N);
            assert_int_equal(r.close, L1_CLOSE_FORCED);
            assert_int_equal(t.n_end, 1);
            int closes = 0, at = -1;
            for (int32_t i = 0; i < n; i++)
                if (toks[i] == close) closes++, at = i;
            assert_int_equal(closes, 1);
            l1_token tr[32];
            size_t nt = 0;
            assert_int_equal(l1__tokenize(l1__model_tokenizer(g_model), "\n\nAnswer: ", 10, 0, tr, 32, &nt),
                             L1_OK);
            /* Close forced at N - R', R' = min(R, max(N/4, T + 2), N) as
             * budget.h specifies (the prompt did not open thinking, so the
             * model writing <think> first counts as thinking). */
            int32_t r_eff = N / 4 > (int32_t)nt + 2 ? N / 4 : (int32_t)nt + 2;
            if (r_eff > 24) r_eff = 24;
            if (r_eff > N) r_eff = N;
            assert_int_equal(at, N - r_eff);
            if (N >= 2) {
                /* Transition: min(T, R' - 2) tokens, then sampled answer tokens. */
                int32_t te = (int32_t)nt < r_eff - 2 ? (int32_t)nt : r_eff - 2;
                for (int32_t k = 0; k < te; k++) assert_int_equal(toks[at + 1 + k], tr[k]);
                assert_true(n >= at + 1 + te + 1);
                assert_int_not_equal(toks[at + 1 + te], role(L1_SPECIAL_EOS));
                assert_true(r.tokens_answer >= te + 1);
            }
            assert_true(r.finish == L1_FINISH_BUDGET || r.finish == L1_FINISH_EOS);
        }
    }
    l1_gen_free(g);
    l1_ctx_free(ctx);
}

/* With natural closes allowed, the cap still holds and the close count is one. */
static void budget_max_never_exceeded_with_natural_closes(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(512);
    for (uint64_t seed = 1; seed <= 8; seed++) {
        l1_gen_params p = params_seed(seed);
        p.temperature = 1.5f;
        p.budget_mode = seed % 2 ? L1_BUDGET_MAX : L1_BUDGET_EXACT;
        p.budget = 60 + (int32_t)seed * 7;
        p.reserve = 24;
        p.window = 16;
        transcript t = {0};
        l1_gen_result r;
        assert_int_equal(l1_generate(ctx, "Hi", &p, record, &t, &r), L1_OK);
        assert_true(r.tokens_thinking + r.tokens_answer <= p.budget);
        assert_true(t.n_end <= 1);
        assert_int_equal(t.n_end, r.close != L1_CLOSE_NONE);
        assert_true(r.close != L1_CLOSE_NONE);
        assert_true(r.tokens_answer >= 1);
        if (p.budget_mode == L1_BUDGET_EXACT) /* no close before N - (R + W) */
            assert_true(r.tokens_thinking >= p.budget - 40);
    }
    l1_ctx_free(ctx);
}

/* ---- limits ---------------------------------------------------------------------------- */

static void max_tokens_caps_the_response(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(256);
    l1_logit_bias ban = {role(L1_SPECIAL_EOS), -INFINITY};
    l1_gen_params p = params_seed(5);
    p.max_tokens = 7;
    p.bias = &ban;
    p.n_bias = 1;
    l1_gen_result r;
    assert_int_equal(l1_generate(ctx, "Hello", &p, NULL, NULL, &r), L1_OK);
    assert_int_equal(r.finish, L1_FINISH_MAX_TOKENS);
    assert_int_equal(r.tokens_thinking + r.tokens_answer, 7);
    assert_int_equal(r.decode_tokens, 7);
    l1_ctx_free(ctx);
}

/* n_ctx 40: every position after the prompt holds a generated token, and
 * the last generated token needs no position, so n_ctx - prompt + 1 tokens. */
static void context_full_ends_with_its_own_reason(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(40);
    l1_logit_bias ban = {role(L1_SPECIAL_EOS), -INFINITY};
    l1_gen_params p = params_seed(5);
    p.bias = &ban;
    p.n_bias = 1;
    l1_gen_result r;
    assert_int_equal(l1_generate(ctx, "Hello", &p, NULL, NULL, &r), L1_OK);
    assert_int_equal(r.finish, L1_FINISH_CONTEXT_FULL);
    assert_int_equal(r.tokens_thinking + r.tokens_answer, 40 - r.prompt_tokens + 1);
    /* A prompt longer than the context is an error, not a response. */
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (size_t i = 0; i < sizeof big - 1; i += 2) big[i] = ' ';
    assert_int_equal(l1_generate(ctx, big, &p, NULL, NULL, &r), L1_ERR_CONTEXT_FULL);
    l1_ctx_free(ctx);
}

/* The text of a run with a stop string is the text of the same run without
 * it, cut before the first occurrence; the stop string is never emitted. */
static void stop_string_cuts_text_before_it(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(256);
    l1_logit_bias ban[2] = {{role(L1_SPECIAL_EOS), -INFINITY}, {role(L1_SPECIAL_THINK_CLOSE), -INFINITY}};
    l1_gen_params p = params_seed(11);
    p.temperature = 0.0f;
    p.max_tokens = 60;
    p.bias = ban;
    p.n_bias = 2;
    transcript full = {0};
    assert_int_equal(l1_generate(ctx, "Tell", &p, record, &full, NULL), L1_OK);
    assert_true(full.n_think > 12);
    /* A stop string taken from the middle, at character boundaries. */
    size_t a = full.n_think / 2, b;
    while (a > 0 && ((uint8_t)full.think[a] & 0xC0) == 0x80) a--;
    b = a + 1;
    while (b < full.n_think && ((uint8_t)full.think[b] & 0xC0) == 0x80) b++;
    char stop[16] = {0};
    memcpy(stop, full.think + a, b - a);
    const char *stops[] = {"\x01never", stop};
    p.stop = stops;
    p.n_stop = 2;
    transcript cut = {0};
    l1_gen_result r;
    assert_int_equal(l1_generate(ctx, "Tell", &p, record, &cut, &r), L1_OK);
    assert_int_equal(r.finish, L1_FINISH_STOP);
    const char *first = memmem(full.think, full.n_think, stop, b - a);
    assert_non_null(first);
    assert_int_equal(cut.n_think, (size_t)(first - full.think));
    assert_memory_equal(cut.think, full.think, cut.n_think);
    l1_ctx_free(ctx);
}

static void stopper_holds_back_possible_starts(void **state) {
    (void)state;
    l1__stopper st;
    const char *stops[] = {"abc", "xyz!"};
    assert_int_equal(l1__stopper_init(&st, stops, 2, 16), L1_OK);
    char out[64];
    size_t n;
    assert_false(l1__stopper_feed(&st, "12ab", 4, out, &n));
    assert_int_equal(n, 2); /* "ab" could start "abc" */
    assert_memory_equal(out, "12", 2);
    assert_false(l1__stopper_feed(&st, "d", 1, out, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(out, "abd", 3);
    assert_false(l1__stopper_feed(&st, "xy", 2, out, &n));
    assert_int_equal(n, 0);
    assert_true(l1__stopper_feed(&st, "z!tail", 6, out, &n));
    assert_int_equal(n, 0); /* nothing before the match, the match dropped */
    assert_false(l1__stopper_feed(&st, "qa", 2, out, &n));
    assert_int_equal(n, 1);
    assert_int_equal(l1__stopper_flush(&st, out), 1); /* the held "a" */
    assert_int_equal(out[0], 'a');
    l1__stopper_free(&st);
    const char *bad[] = {""};
    assert_int_equal(l1__stopper_init(&st, bad, 1, 16), L1_ERR_INVALID_ARG);
    l1__stopper_free(&st);
}

/* ---- aborts --------------------------------------------------------------------------- */

static void abort_from_callback_stops(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(256);
    l1_logit_bias ban = {role(L1_SPECIAL_EOS), -INFINITY};
    l1_gen_params p = params_seed(3);
    p.bias = &ban;
    p.n_bias = 1;
    transcript t = {0};
    t.stop_after = 3;
    l1_gen_result r;
    assert_int_equal(l1_generate(ctx, "Hi", &p, record, &t, &r), L1_OK);
    assert_int_equal(r.finish, L1_FINISH_ABORTED);
    assert_int_equal(t.n_pieces, 3);
    assert_true(r.tokens_thinking + r.tokens_answer < 100);
    l1_ctx_free(ctx);
}

static void abort_flag_stops_decode(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(256);
    l1_gen *g;
    assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
    l1_logit_bias ban = {role(L1_SPECIAL_EOS), -INFINITY};
    l1_gen_params p = params_seed(3);
    p.bias = &ban;
    p.n_bias = 1;
    l1_gen_abort(g); /* a flag left from before is cleared by begin */
    assert_int_equal(l1_gen_begin(g, "Hi", &p), L1_OK);
    l1_piece pc;
    assert_int_equal(l1_gen_next(g, &pc), L1_OK);
    assert_int_not_equal(pc.kind, L1_PIECE_END);
    l1_gen_abort(g);
    while (l1_gen_next(g, &pc) == L1_OK && pc.kind != L1_PIECE_END) {
    }
    assert_int_equal(pc.finish, L1_FINISH_ABORTED);
    l1_gen_result r;
    assert_int_equal(l1_gen_end(g, &r), L1_OK);
    assert_int_equal(r.finish, L1_FINISH_ABORTED);
    assert_true(r.tokens_thinking + r.tokens_answer <= 2);
    l1_gen_free(g);
    l1_ctx_free(ctx);
}

/* The flag is polled between layers of the prompt's evaluation: raising it
 * from inside that evaluation (here from the params' hook, which itself
 * says "go on") stops it before any token is generated. */
static int raise_flag(void *user) {
    l1_gen_abort(user);
    return 0;
}

static void abort_flag_stops_prefill(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(256);
    l1_gen *g;
    assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
    l1_gen_params p = params_seed(3);
    p.abort_fn = raise_flag;
    p.abort_user = g;
    assert_int_equal(l1_gen_begin(g, "A prompt to evaluate", &p), L1_OK);
    l1_piece pc;
    assert_int_equal(l1_gen_next(g, &pc), L1_OK);
    assert_int_equal(pc.kind, L1_PIECE_END);
    assert_int_equal(pc.finish, L1_FINISH_ABORTED);
    l1_gen_result r;
    assert_int_equal(l1_gen_end(g, &r), L1_OK);
    assert_int_equal(r.tokens_thinking + r.tokens_answer, 0);
    assert_int_equal(l1_ctx_n_past(ctx), 0);
    l1_gen_free(g);
    l1_ctx_free(ctx);
}

/* ---- determinism and chat -------------------------------------------------------------- */

static void same_seed_gives_same_tokens(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(256);
    l1_gen *g;
    assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
    l1_token first[64];
    int32_t n0 = 0;
    for (int run = 0; run < 2; run++) {
        l1_gen_params p = params_seed(1234);
        p.temperature = 1.0f;
        p.max_tokens = 40;
        assert_int_equal(l1_gen_begin(g, "Seeded", &p), L1_OK);
        l1_piece pc;
        while (l1_gen_next(g, &pc) == L1_OK && pc.kind != L1_PIECE_END) {
        }
        assert_int_equal(l1_gen_end(g, NULL), L1_OK);
        int32_t n;
        const l1_token *t = l1__gen_tokens(g, &n);
        if (run == 0) {
            memcpy(first, t, (size_t)n * sizeof *t);
            n0 = n;
        } else {
            assert_int_equal(n, n0);
            assert_memory_equal(t, first, (size_t)n * sizeof *t);
        }
    }
    l1_gen_free(g);
    l1_ctx_free(ctx);
}

/* Turn two of a chat on a generator that kept turn one's cache gives the
 * tokens a fresh context gives for the same history. */
static void chat_prefix_reuse_equals_fresh_evaluation(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(256);
    l1_gen *g;
    assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
    l1_gen_params p = params_seed(9);
    p.temperature = 0.0f;
    p.max_tokens = 16;
    l1_message msgs[3] = {{L1_MSG_USER, "First question"}, {L1_MSG_ASSISTANT, ""}, {L1_MSG_USER, "Second"}};
    assert_int_equal(l1_gen_begin_chat(g, msgs, 1, &p), L1_OK);
    transcript t = {0};
    l1_piece pc;
    while (l1_gen_next(g, &pc) == L1_OK && pc.kind != L1_PIECE_END) record(&pc, &t);
    l1_gen_result r1, r2;
    assert_int_equal(l1_gen_end(g, &r1), L1_OK);
    t.answer[t.n_answer < sizeof t.answer ? t.n_answer : sizeof t.answer - 1] = '\0';
    msgs[1].text = t.answer;
    assert_int_equal(l1_gen_begin_chat(g, msgs, 3, &p), L1_OK);
    while (l1_gen_next(g, &pc) == L1_OK && pc.kind != L1_PIECE_END) {
    }
    assert_int_equal(l1_gen_end(g, &r2), L1_OK);
    /* Turn one's prompt ends with <｜Assistant｜>: all of it is shared. */
    assert_int_equal(r2.prompt_reused, r1.prompt_tokens);
    assert_int_equal(r2.prefill_tokens, r2.prompt_tokens - r1.prompt_tokens);
    int32_t n_reused;
    const l1_token *reused = l1__gen_tokens(g, &n_reused);
    l1_token keep[64];
    memcpy(keep, reused, (size_t)n_reused * sizeof *keep);

    l1_ctx *fresh_ctx = new_ctx(256);
    l1_gen *fresh;
    assert_int_equal(l1_gen_new(fresh_ctx, &fresh), L1_OK);
    assert_int_equal(l1_gen_begin_chat(fresh, msgs, 3, &p), L1_OK);
    while (l1_gen_next(fresh, &pc) == L1_OK && pc.kind != L1_PIECE_END) {
    }
    l1_gen_result r3;
    assert_int_equal(l1_gen_end(fresh, &r3), L1_OK);
    assert_int_equal(r3.prompt_reused, 0);
    assert_int_equal(r3.prompt_tokens, r2.prompt_tokens);
    int32_t n_fresh;
    const l1_token *ft = l1__gen_tokens(fresh, &n_fresh);
    assert_int_equal(n_fresh, n_reused);
    assert_memory_equal(ft, keep, (size_t)n_fresh * sizeof *ft);
    l1_gen_free(fresh);
    l1_ctx_free(fresh_ctx);
    l1_gen_free(g);
    l1_ctx_free(ctx);
}

/* ---- parameters and tables ---------------------------------------------------------- */

static void invalid_params_are_refused_by_name(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(64);
    l1_gen_params p = l1_gen_default_params();
    p.temperature = NAN;
    assert_int_equal(l1_generate(ctx, "x", &p, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    p = l1_gen_default_params();
    p.budget = -1;
    assert_int_equal(l1_generate(ctx, "x", &p, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "budget"));
    p = l1_gen_default_params();
    p.budget_mode = L1_BUDGET_MAX;
    p.budget = 100;
    p.reserve = 3; /* below 2 + the transition's tokens */
    assert_int_equal(l1_generate(ctx, "x", &p, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_generate(ctx, NULL, NULL, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_gen_new(NULL, NULL), L1_ERR_INVALID_ARG);
    l1_ctx_free(ctx);
}

/* Built-in vocabulary: the 256 byte tokens come first, in byte order. */
static void piece_flags_mark_sentence_and_line_ends(void **state) {
    (void)state;
    const l1__tokenizer *tok = l1__model_tokenizer(g_model);
    int32_t nv = l1__tokenizer_n_vocab(tok);
    uint8_t *f = malloc((size_t)nv);
    assert_non_null(f);
    l1__gen_piece_flags(tok, f, nv);
    assert_int_equal(f['.'], L1__PIECE_SENTENCE_END);
    assert_int_equal(f['?'], L1__PIECE_SENTENCE_END);
    assert_int_equal(f['!'], L1__PIECE_SENTENCE_END);
    assert_int_equal(f['\n'], L1__PIECE_LINE_END);
    assert_int_equal(f['a'], 0);
    assert_int_equal(f[','], 0);
    assert_int_equal(f[' '], 0);
    assert_int_equal(f[role(L1_SPECIAL_EOS)], 0);
    free(f);
}

static void names_are_the_documented_ones(void **state) {
    (void)state;
    assert_string_equal(l1_budget_mode_name(L1_BUDGET_EXACT), "exact");
    assert_string_equal(l1_close_name(L1_CLOSE_FORCED), "forced");
    assert_string_equal(l1_finish_name(L1_FINISH_CONTEXT_FULL), "context_full");
    assert_string_equal(l1_finish_name(L1_FINISH_MAX_TOKENS), "max_tokens");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(budget_max_never_exceeded_and_forced_close_is_answered),
        cmocka_unit_test(budget_max_never_exceeded_with_natural_closes),
        cmocka_unit_test(max_tokens_caps_the_response),
        cmocka_unit_test(context_full_ends_with_its_own_reason),
        cmocka_unit_test(stop_string_cuts_text_before_it),
        cmocka_unit_test(stopper_holds_back_possible_starts),
        cmocka_unit_test(abort_from_callback_stops),
        cmocka_unit_test(abort_flag_stops_decode),
        cmocka_unit_test(abort_flag_stops_prefill),
        cmocka_unit_test(same_seed_gives_same_tokens),
        cmocka_unit_test(chat_prefix_reuse_equals_fresh_evaluation),
        cmocka_unit_test(invalid_params_are_refused_by_name),
        cmocka_unit_test(piece_flags_mark_sentence_and_line_ends),
        cmocka_unit_test(names_are_the_documented_ones),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
