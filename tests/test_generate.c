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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sample/budget.h"
#include "generate/generate.h"
#include "generate/prompt.h"
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
            p.reserve = budgets[bi] >= 24 ? 24 : 0; /* explicit, or automatic where 24 would not fit */
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
            /* Close forced from N - R' on, within the wait G' for a word
             * boundary, R' = 24 or min(64, max(N/4, 8 + T + 1 + 16), N) as
             * budget.h specifies (the prompt did not open thinking, so the
             * model writing <think> first counts as thinking). */
            int32_t r_eff = N / 4 > 8 + (int32_t)nt + 17 ? N / 4 : 8 + (int32_t)nt + 17;
            if (r_eff > 64) r_eff = 64;
            if (r_eff > N) r_eff = N;
            if (p.reserve > 0) r_eff = p.reserve;
            /* The transition whole when it fits with the close and one answer token, else none. */
            int32_t te = (int32_t)nt <= r_eff - 2 ? (int32_t)nt : 0;
            /* 8 tokens of wait, then 15 more answer tokens, then the rest of the wait (16 in all). */
            int32_t room = r_eff - 2 - te > 0 ? r_eff - 2 - te : 0;
            int32_t wait = room < 8 ? room : 8;
            room -= wait;
            room -= room < 15 ? room : 15;
            wait += room < 8 ? room : 8;
            assert_int_equal(r.reserve_effective, r_eff);
            if (at < N - r_eff || at > N - r_eff + wait) fail_msg("N %d: close at %d", (int)N, (int)at);
            if (N >= 2) {
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


/* ---- the budget's clamps and the controller's own text ------------------------------------ */

/* A budget larger than the context's room is clamped to it, reported, and
 * the close is forced in time for an answer: never "context full". */
static void budget_is_clamped_to_the_context_room_and_still_answers(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(96);
    l1_logit_bias ban = {role(L1_SPECIAL_THINK_CLOSE), -INFINITY};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        l1_gen_params p = params_seed(seed);
        p.think_sentence = L1_SENTENCE_NONE; /* a short prompt: most of the context is room */
        p.budget_mode = L1_BUDGET_MAX;
        p.budget = 4000;
        p.transition = "\n\nA: ";
        p.bias = &ban;
        p.n_bias = 1;
        transcript t = {0};
        l1_gen_result r;
        assert_int_equal(l1_generate(ctx, "What is 2+2?", &p, record, &t, &r), L1_OK);
        assert_int_equal(r.budget, 4000);
        assert_int_equal(r.budget_effective, 96 - r.prompt_tokens);
        assert_true(r.tokens_thinking + r.tokens_answer <= r.budget_effective);
        assert_int_not_equal(r.finish, L1_FINISH_CONTEXT_FULL);
        assert_int_equal(r.close, L1_CLOSE_FORCED);
        assert_true(t.n_answer >= 5 && !memcmp(t.answer, "\n\nA: ", 5));
        assert_true(r.tokens_answer >= 5 + 1); /* the transition's bytes, then a sampled token */
    }
    /* An explicit reserve the clamped budget cannot hold is refused, with the reason. */
    l1_gen_params p = params_seed(1);
    p.think_sentence = L1_SENTENCE_NONE;
    p.budget_mode = L1_BUDGET_MAX;
    p.budget = 4000;
    p.reserve = 200;
    assert_int_equal(l1_generate(ctx, "What is 2+2?", &p, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "reserve 200"));
    assert_non_null(strstr(l1_last_error(), "context"));
    l1_ctx_free(ctx);
}

/* max_tokens below N clamps N the same way: the close and an answer fit. */
static void max_tokens_clamps_the_budget(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(512);
    l1_logit_bias ban = {role(L1_SPECIAL_THINK_CLOSE), -INFINITY};
    for (int32_t m = 10; m <= 90; m += 80) {
        l1_gen_params p = params_seed(3);
        p.budget_mode = L1_BUDGET_MAX;
        p.budget = 100;
        p.max_tokens = m;
        p.transition = "\n\nA: ";
        p.bias = &ban;
        p.n_bias = 1;
        l1_gen_result r;
        transcript t = {0};
        assert_int_equal(l1_generate(ctx, "Hi", &p, record, &t, &r), L1_OK);
        assert_int_equal(r.budget_effective, m);
        assert_int_equal(r.close, L1_CLOSE_FORCED);
        assert_int_not_equal(r.finish, L1_FINISH_MAX_TOKENS);
        assert_true(r.tokens_thinking + r.tokens_answer <= m);
        assert_true(t.n_answer >= 5 && !memcmp(t.answer, "\n\nA: ", 5));
        assert_true(r.tokens_answer >= 5 + 1);
    }
    l1_ctx_free(ctx);
}

/* Stop strings see the model's text only: one that the transition holds
 * never ends the response at the forced close. */
static void stop_strings_never_match_the_controller_text(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(512);
    l1_logit_bias ban = {role(L1_SPECIAL_THINK_CLOSE), -INFINITY};
    const char *stops[] = {"Final Answer", "I must answer"};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        l1_gen_params p = params_seed(seed);
        p.budget_mode = L1_BUDGET_MAX;
        p.budget = 120; /* R' = 48 holds the transition, 8 of wait and the close text (19 bytes each) */
        p.close_text = " I must answer now.";
        p.bias = &ban;
        p.n_bias = 1;
        p.stop = stops;
        p.n_stop = 2;
        transcript t = {0};
        l1_gen_result r;
        assert_int_equal(l1_generate(ctx, "Hi", &p, record, &t, &r), L1_OK);
        assert_int_equal(r.close, L1_CLOSE_FORCED);
        assert_int_not_equal(r.finish, L1_FINISH_STOP);
        /* The close text ends the thinking; the transition starts the answer. */
        const char *ct = " I must answer now.", *tr = "\n\n**Final Answer**\n";
        assert_true(t.n_think >= strlen(ct));
        assert_memory_equal(t.think + t.n_think - strlen(ct), ct, strlen(ct));
        assert_true(t.n_answer >= strlen(tr));
        assert_memory_equal(t.answer, tr, strlen(tr));
    }
    l1_ctx_free(ctx);
}

/* The per-phase timings are ordered as the phases are. */
static void phase_timings_follow_the_phases(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(512);
    l1_logit_bias ban = {role(L1_SPECIAL_THINK_CLOSE), -INFINITY};
    l1_gen_params p = params_seed(2);
    p.budget_mode = L1_BUDGET_MAX;
    p.budget = 60;
    p.bias = &ban;
    p.n_bias = 1;
    l1_gen_result r;
    assert_int_equal(l1_generate(ctx, "Hi", &p, NULL, NULL, &r), L1_OK);
    assert_int_equal(r.close, L1_CLOSE_FORCED);
    assert_true(r.first_token_ms > 0.0);
    assert_true(r.close_ms >= r.first_token_ms);
    assert_true(r.first_answer_ms >= r.close_ms);
    assert_true(r.end_ms >= r.first_answer_ms);
    assert_true(r.end_ms >= r.prefill_ms);
    assert_int_equal(r.template_used, L1_TEMPLATE_R1);
    l1_ctx_free(ctx);
}

/* The stop matcher finds a close spelled over several pieces: the text
 * before it is thinking, the text after it stays for the answer, and the
 * split is the one the chat history makes of the same text. */
static void spelled_close_splits_where_the_history_does(void **state) {
    (void)state;
    static const char *const pieces[] = {"so 4", " </", "thi", "nk", ">\n\n", "The answer", " is 4."};
    l1__stopper st;
    assert_int_equal(l1__stopper_init(&st, NULL, 0, 16), L1_OK);
    st.close_on = true;
    char out[64], think[64] = {0}, answer[64] = {0}, all[128] = {0};
    size_t n_think = 0, n_answer = 0;
    bool closed = false;
    for (size_t i = 0; i < L1_ARRAY_LEN(pieces); i++) {
        strcat(all, pieces[i]);
        size_t m = 0;
        assert_false(l1__stopper_feed(&st, pieces[i], strlen(pieces[i]), out, &m));
        memcpy(closed ? answer + n_answer : think + n_think, out, m);
        *(closed ? &n_answer : &n_think) += m;
        if (st.closed) {
            assert_false(closed);
            closed = true;
            st.closed = false;
            st.close_on = false;
            n_answer += l1__stopper_flush(&st, answer + n_answer);
        }
    }
    n_answer += l1__stopper_flush(&st, answer + n_answer);
    assert_true(closed);
    assert_string_equal(think, "so 4 ");
    assert_string_equal(answer, l1__prompt_answer_part(all));
    assert_string_equal(answer, "\n\nThe answer is 4.");
    l1__stopper_free(&st);
}


/* Where `</think>` is forbidden, its spelling is too: after "...</think" the
 * piece ">" is masked, after "...</" the pieces starting "think>" are, and
 * nothing is masked after text that does not begin it. */
static void spelled_close_is_prevented_where_the_token_is_masked(void **state) {
    (void)state;
    const l1__tokenizer *tok = l1__model_tokenizer(g_model);
    const int32_t nv = l1__tokenizer_n_vocab(tok);
    uint8_t *f = malloc((size_t)nv);
    float *l = malloc((size_t)nv * sizeof *l);
    assert_true(f && l);
    l1__gen_piece_flags(tok, f, nv);
    static const struct {
        const char *tail, *rest;
    } cases[] = {{"so </think", ">"}, {"a</", "think>"}, {"x<", "/think>"}, {"plain", NULL}};
    for (size_t c = 0; c < L1_ARRAY_LEN(cases); c++) {
        for (int32_t i = 0; i < nv; i++) l[i] = 0.0f;
        l1__gen_mask_spelled_close(tok, f, nv, cases[c].tail, strlen(cases[c].tail), l);
        int masked = 0;
        for (int32_t id = 0; id < nv; id++) {
            size_t n = 0;
            const uint8_t *pc = l1__tokenizer_is_control(tok, id) ? NULL : l1__token_piece(tok, id, &n);
            const char *rest = cases[c].rest;
            bool completes = pc && rest && n >= strlen(rest) && !memcmp(pc, rest, strlen(rest));
            bool holds = pc && memmem(pc, n, "</think>", 8) != NULL;
            assert_int_equal(isinf(l[id]) != 0, completes || holds);
            masked += isinf(l[id]) != 0;
        }
        if (cases[c].rest && strlen(cases[c].rest) == 1) assert_true(masked >= 1); /* the byte '>' itself */
    }
    free(l);
    free(f);
}

/* Word ends and starts are read off each piece's decoded bytes: the
 * byte-level 'Ġ' is a leading space, so " the" starts a word. */
static void word_boundaries_are_defined_on_decoded_bytes(void **state) {
    (void)state;
    const l1__tokenizer *tok = l1__model_tokenizer(g_model);
    const int32_t nv = l1__tokenizer_n_vocab(tok);
    uint8_t *f = malloc((size_t)nv);
    assert_non_null(f);
    l1__gen_piece_flags(tok, f, nv);
    struct {
        const char *text;
        uint8_t want; /* WORD_START | WORD_END bits of its single token */
    } cases[] = {{" ", L1__PIECE_WORD_START | L1__PIECE_WORD_END},
                 {"a", 0},
                 {",", L1__PIECE_WORD_START | L1__PIECE_WORD_END},
                 {"'", 0},
                 {"\n", L1__PIECE_WORD_START | L1__PIECE_WORD_END}};
    for (size_t i = 0; i < L1_ARRAY_LEN(cases); i++) {
        l1_token id;
        size_t n = 0;
        assert_int_equal(l1__tokenize(tok, cases[i].text, strlen(cases[i].text), 0, &id, 1, &n), L1_OK);
        assert_int_equal(n, 1);
        assert_int_equal(f[id] & (L1__PIECE_WORD_START | L1__PIECE_WORD_END), cases[i].want);
    }
    /* Every piece: the bits are its first and last bytes' class. */
    for (int32_t id = 0; id < nv; id++) {
        size_t n = 0;
        const uint8_t *pc = l1__token_piece(tok, id, &n);
        if (!pc || !n || l1__tokenizer_is_control(tok, id)) continue;
        assert_int_equal((f[id] & L1__PIECE_WORD_START) != 0, l1__gen_word_boundary_byte(pc[0]));
        assert_int_equal((f[id] & L1__PIECE_WORD_END) != 0, l1__gen_word_boundary_byte(pc[n - 1]));
    }
    static const char bound[] = " \t\n\r.,;:!?()[]{}\"*-+=/<>", word[] = "azAZ09'\x80\xc3\xe4";
    for (const char *c = bound; *c; c++) assert_true(l1__gen_word_boundary_byte((uint8_t)*c));
    for (const char *c = word; *c; c++) assert_false(l1__gen_word_boundary_byte((uint8_t)*c));
    free(f);
}

/* The EOS of a model may be an ordinary piece of the default transition:
 * generation still works (budget off untouched; the default transition
 * left out), and no message blames a transition the caller did not set. */
static l1_status eos_is_newline(void *user, l1__gguf_writer *w) {
    return l1__gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)(uintptr_t)user);
}

static void default_transition_is_never_blamed_for_the_models_roles(void **state) {
    (void)state;
    const l1__tokenizer *tok = l1__model_tokenizer(g_model);
    l1_token nl;
    size_t n = 0;
    assert_int_equal(l1__tokenize(tok, "\n", 1, 0, &nl, 1, &n), L1_OK);
    char path[64];
    snprintf(path, sizeof path, "/tmp/l1_test_generate_eos_%d.gguf", (int)getpid());
    l1__synth_params sp;
    assert_int_equal(l1__synth_preset("tiny", &sp), L1_OK);
    sp.kv_hook = eos_is_newline;
    sp.hook_user = (void *)(uintptr_t)nl;
    assert_int_equal(l1__synth_write(&sp, path), L1_OK);
    l1_model *m = NULL;
    l1_status st = l1_model_load(path, NULL, &m);
    unlink(path);
    if (st != L1_OK) { /* refused at load: then the message names the EOS (any case) */
        assert_non_null(strcasestr(l1_last_error(), "eos"));
        return;
    }
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = 256;
    cp.n_threads = 1;
    l1_ctx *ctx;
    assert_int_equal(l1_ctx_new(m, &cp, &ctx), L1_OK);
    l1_gen_params p = params_seed(1);
    p.max_tokens = 8;
    assert_int_equal(l1_generate(ctx, "Hi", &p, NULL, NULL, NULL), L1_OK);
    p.budget_mode = L1_BUDGET_MAX;
    p.budget = 40;
    st = l1_generate(ctx, "Hi", &p, NULL, NULL, NULL);
    if (st != L1_OK) assert_null(strstr(l1_last_error(), "transition"));
    /* A transition the caller set is named when it holds the EOS. */
    p.transition = "\n";
    assert_int_equal(l1_generate(ctx, "Hi", &p, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "transition[0]"));
    l1_ctx_free(ctx);
    l1_model_free(m);
}


/* A model whose chat template is of neither family: AUTO refuses it,
 * naming the choices, never a silent raw prompt; a chosen family works, and
 * the budget holds in ChatML as in R1. */
static l1_status other_template(void *user, l1__gguf_writer *w) {
    (void)user;
    const char *tpl = "{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}";
    return l1__gguf_writer_set_str(w, "tokenizer.chat_template", tpl, strlen(tpl));
}

static void auto_template_refuses_an_unknown_family_and_budget_holds_in_chatml(void **state) {
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/l1_test_generate_tpl_%d.gguf", (int)getpid());
    l1__synth_params sp;
    assert_int_equal(l1__synth_preset("tiny", &sp), L1_OK);
    sp.kv_hook = other_template;
    assert_int_equal(l1__synth_write(&sp, path), L1_OK);
    l1_model *m = NULL;
    l1_status st = l1_model_load(path, NULL, &m);
    unlink(path);
    assert_int_equal(st, L1_OK);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = 512;
    cp.n_threads = 1;
    l1_ctx *ctx;
    assert_int_equal(l1_ctx_new(m, &cp, &ctx), L1_OK);
    l1_gen_params p = params_seed(4);
    p.budget_mode = L1_BUDGET_MAX;
    p.budget = 60;
    assert_int_equal(l1_generate(ctx, "Hi", &p, NULL, NULL, NULL), L1_ERR_UNSUPPORTED);
    assert_non_null(strstr(l1_last_error(), "chatml"));
    char buf[64];
    l1_message q = {L1_MSG_USER, "Hi"};
    assert_int_equal(l1_render_prompt(m, &q, 1, &p, buf, sizeof buf), L1_TOKEN_ERROR);
    l1_logit_bias ban = {l1_token_special(m, L1_SPECIAL_THINK_CLOSE), -INFINITY};
    p.template_mode = L1_TEMPLATE_CHATML;
    p.bias = &ban;
    p.n_bias = 1;
    transcript t = {0};
    l1_gen_result r;
    assert_int_equal(l1_generate(ctx, "Hi", &p, record, &t, &r), L1_OK);
    assert_int_equal(r.template_used, L1_TEMPLATE_CHATML);
    assert_true(r.tokens_thinking + r.tokens_answer <= 60);
    assert_int_equal(r.close, L1_CLOSE_FORCED);
    assert_true(r.tokens_answer >= 1);
    l1_ctx_free(ctx);
    l1_model_free(m);
}

/* A chat whose N changes keeps each earlier turn's instruction, so the
 * history is reused from the cache. */
static void changing_n_mid_chat_reuses_the_history(void **state) {
    (void)state;
    l1_ctx *ctx = new_ctx(512);
    l1_gen *g;
    assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
    l1_message msgs[3] = {{L1_MSG_USER, "First question"}, {L1_MSG_ASSISTANT, "ok"}, {L1_MSG_USER, "Second"}};
    l1_gen_params p = params_seed(1);
    p.budget_mode = L1_BUDGET_MAX;
    p.budget = 40;
    p.max_tokens = 4;
    l1_gen_result r1, r2;
    assert_int_equal(l1_gen_begin_chat(g, msgs, 1, &p), L1_OK);
    assert_int_equal(l1_gen_end(g, &r1), L1_OK);
    const int32_t own[3] = {40, 0, 0};
    p.budget = 80;
    p.msg_budget = own;
    assert_int_equal(l1_gen_begin_chat(g, msgs, 3, &p), L1_OK);
    assert_int_equal(l1_gen_end(g, &r2), L1_OK);
    /* The first turn (its text, its instruction, its closing marker) is reused. */
    assert_true(r2.prompt_reused >= r1.prompt_tokens - 1);
    /* Without its own N, the first turn is re-rendered and re-evaluated. */
    p.msg_budget = NULL;
    p.budget = 120;
    assert_int_equal(l1_gen_begin_chat(g, msgs, 3, &p), L1_OK);
    assert_int_equal(l1_gen_end(g, &r2), L1_OK);
    assert_true(r2.prompt_reused < r1.prompt_tokens - 1);
    l1_gen_free(g);
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

/* The context's sequence changed under a running response (truncated, or
 * evaluated by l1_ctx_eval) ends it with an error naming the cause, drafts
 * off or on, without writing past the generator's record of its tokens
 * (under ASan this overflowed before); the next response begins normally. */
static void sequence_changed_during_a_response_is_refused(void **state) {
    (void)state;
    for (int mode = 0; mode < 4; mode++) {
        l1_ctx *ctx = new_ctx(64);
        l1_gen *g;
        assert_int_equal(l1_gen_new(ctx, &g), L1_OK);
        l1_gen_params p = params_seed(5);
        p.temperature = 0.0f;
        p.draft = mode & 1 ? 8 : 0;
        assert_int_equal(l1_gen_begin(g, "Count", &p), L1_OK);
        l1_piece pc;
        for (int i = 0; i < 30; i++) assert_int_equal(l1_gen_next(g, &pc), L1_OK);
        const int32_t before = l1_ctx_n_past(ctx);
        if (mode < 2) {
            assert_int_equal(l1_ctx_truncate(ctx, 2), L1_OK);
        } else {
            const l1_token t[5] = {0};
            assert_int_equal(l1_ctx_eval(ctx, t, 5, 0), L1_OK);
        }
        const int32_t after = l1_ctx_n_past(ctx);
        assert_int_equal(l1_gen_next(g, &pc), L1_ERR_INVALID_ARG);
        assert_non_null(strstr(l1_last_error(), "changed outside the generator"));
        assert_int_equal(l1_ctx_n_past(ctx), after); /* the other call's sequence is left as it is */
        assert_true(after != before);
        l1_gen_result r;
        assert_int_equal(l1_gen_end(g, &r), L1_OK);
        assert_int_equal(r.finish, L1_FINISH_ABORTED);
        p.max_tokens = 8;
        assert_int_equal(l1_gen_begin(g, "Again", &p), L1_OK);
        while (l1_gen_next(g, &pc) == L1_OK && pc.kind != L1_PIECE_END) {
        }
        assert_int_equal(pc.kind, L1_PIECE_END);
        assert_int_equal(l1_gen_end(g, &r), L1_OK);
        assert_int_equal(r.finish, L1_FINISH_MAX_TOKENS);
        l1_gen_free(g);
        l1_ctx_free(ctx);
    }
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
    const uint8_t sl = L1__PIECE_SENTENCE_END | L1__PIECE_LINE_END;
    assert_int_equal(f['.'] & sl, L1__PIECE_SENTENCE_END);
    assert_int_equal(f['?'] & sl, L1__PIECE_SENTENCE_END);
    assert_int_equal(f['!'] & sl, L1__PIECE_SENTENCE_END);
    assert_int_equal(f['\n'] & sl, L1__PIECE_LINE_END);
    assert_int_equal(f['a'], 0);
    assert_int_equal(f[','] & sl, 0);
    assert_int_equal(f[' '] & sl, 0);
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
        cmocka_unit_test(sequence_changed_during_a_response_is_refused),
        cmocka_unit_test(chat_prefix_reuse_equals_fresh_evaluation),
        cmocka_unit_test(invalid_params_are_refused_by_name),
        cmocka_unit_test(piece_flags_mark_sentence_and_line_ends),
        cmocka_unit_test(names_are_the_documented_ones),
        cmocka_unit_test(budget_is_clamped_to_the_context_room_and_still_answers),
        cmocka_unit_test(max_tokens_clamps_the_budget),
        cmocka_unit_test(stop_strings_never_match_the_controller_text),
        cmocka_unit_test(phase_timings_follow_the_phases),
        cmocka_unit_test(spelled_close_splits_where_the_history_does),
        cmocka_unit_test(spelled_close_is_prevented_where_the_token_is_masked),
        cmocka_unit_test(word_boundaries_are_defined_on_decoded_bytes),
        cmocka_unit_test(default_transition_is_never_blamed_for_the_models_roles),
        cmocka_unit_test(changing_n_mid_chat_reuses_the_history),
        cmocka_unit_test(auto_template_refuses_an_unknown_family_and_budget_holds_in_chatml),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
