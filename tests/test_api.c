/*
 * test_api.c - API misuse: every public function given NULL handles and
 * buffers, out-of-range token ids (-1, n_vocab, INT32_MAX), buffers too
 * small, odd context sizes and thread counts, NaN sampling parameters and
 * prompts longer than the context gets the result include/l1.h documents
 * for it, and never crashes.  The model is a tiny synthetic one written to
 * a temporary file.
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

#include "base/base.h"
#include "tooling/synth.h"
#include "gguf/types.h"

static char g_path[64];
static l1_model *g_model;
static int32_t g_nv;

static int setup(void **state) {
    (void)state;
    snprintf(g_path, sizeof g_path, "/tmp/l1_api_XXXXXX");
    int fd = mkstemp(g_path);
    if (fd < 0) return -1;
    close(fd);
    l1__synth_params p;
    if (l1__synth_preset("tiny", &p) != L1_OK) return -1;
    p.n_layer = 1;
    p.n_ctx_train = 64;
    if (l1__synth_write(&p, g_path) != L1_OK || l1_model_load(g_path, NULL, &g_model) != L1_OK) return -1;
    g_nv = l1_n_vocab(g_model);
    return g_nv > 0 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    l1_model_free(g_model);
    return unlink(g_path);
}

static l1_ctx *new_ctx(int32_t n_ctx) {
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = n_ctx;
    cp.n_threads = 1;
    l1_ctx *c = NULL;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_OK);
    return c;
}

static void free_functions_accept_null(void **state) {
    (void)state;
    l1_model_free(NULL);
    l1_ctx_free(NULL);
    l1_gen_free(NULL);
}

static void model_load_null_arguments(void **state) {
    (void)state;
    assert_int_equal(l1_model_load(g_path, NULL, NULL), L1_ERR_INVALID_ARG);
    l1_model *m = (l1_model *)&m;
    assert_int_equal(l1_model_load(NULL, NULL, &m), L1_ERR_INVALID_ARG);
    assert_null(m);
    l1_model_desc d;
    assert_int_equal(l1_model_info(NULL, &d), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_model_info(g_model, NULL), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_model_info(g_model, &d), L1_OK);
    assert_int_equal(d.n_vocab, g_nv);
}

static void null_model_queries_are_zero_or_minus_one(void **state) {
    (void)state;
    assert_int_equal(l1_n_vocab(NULL), 0);
    assert_int_equal(l1_token_special(NULL, L1_SPECIAL_EOS), -1);
    assert_int_equal(l1_token_special(g_model, (l1_special)99), -1);
    assert_int_equal(l1_token_special(g_model, (l1_special)-1), -1);
    assert_int_equal(l1_ctx_n_past(NULL), 0);
    assert_int_equal(l1_ctx_n_ctx(NULL), 0);
    assert_null(l1_ctx_model(NULL));
    assert_null(l1_ctx_logits(NULL, -1));
    assert_string_equal(l1_status_str((l1_status)-1000), "unknown status");
}

static void tokenize_bad_arguments_give_token_error(void **state) {
    (void)state;
    l1_token out[8];
    assert_int_equal(l1_tokenize(NULL, "a", 1, out, 8, 0), L1_TOKEN_ERROR);
    assert_int_equal(l1_tokenize(g_model, NULL, 1, out, 8, 0), L1_TOKEN_ERROR);
    assert_int_equal(l1_tokenize(g_model, "a", 1, out, -1, 0), L1_TOKEN_ERROR);
    assert_int_equal(l1_tokenize(g_model, "a", 1, NULL, 8, 0), L1_TOKEN_ERROR);
    assert_non_null(strstr(l1_last_error(), "l1_tokenize"));
    /* NULL text of length 0 is the empty text. */
    assert_int_equal(l1_tokenize(g_model, NULL, 0, NULL, 0, 0), 0);
}

static void tokenize_small_buffer_returns_minus_needed_and_prefix(void **state) {
    (void)state;
    static const char text[] = "the thin thing in the hen";
    l1_token full[64], part[3];
    const int32_t n = l1_tokenize(g_model, text, sizeof text - 1, full, 64, 0);
    assert_true(n > 3);
    assert_int_equal(l1_tokenize(g_model, text, sizeof text - 1, NULL, 0, 0), -n);
    assert_int_equal(l1_tokenize(g_model, text, sizeof text - 1, part, 3, 0), -n);
    assert_memory_equal(part, full, sizeof part);
}

static void token_to_piece_out_of_range_ids(void **state) {
    (void)state;
    char buf[64];
    const l1_token bad[] = {-1, g_nv, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < L1_ARRAY_LEN(bad); i++) {
        assert_int_equal(l1_token_to_piece(g_model, bad[i], buf, sizeof buf), L1_TOKEN_ERROR);
        assert_non_null(strstr(l1_last_error(), "out of range"));
    }
    assert_int_equal(l1_token_to_piece(NULL, 0, buf, sizeof buf), L1_TOKEN_ERROR);
    /* A piece of n bytes: cap 0 or a NULL buffer gives -n, a negative cap an error. */
    const int32_t n = l1_token_to_piece(g_model, 'a', buf, sizeof buf);
    assert_true(n >= 1);
    assert_int_equal(l1_token_to_piece(g_model, 'a', NULL, 0), -n);
    assert_int_equal(l1_token_to_piece(g_model, 'a', buf, -1), L1_TOKEN_ERROR);
    assert_int_equal(l1_token_to_piece(g_model, 'a', NULL, 4), L1_TOKEN_ERROR);
}

static void detokenize_bad_ids_counts_and_buffers(void **state) {
    (void)state;
    char buf[64];
    const l1_token ok[3] = {'a', 'b', 'c'};
    assert_int_equal(l1_detokenize(g_model, ok, 3, buf, sizeof buf), 3);
    const l1_token bad[] = {-1, g_nv, INT32_MAX};
    for (size_t i = 0; i < L1_ARRAY_LEN(bad); i++) {
        const l1_token t[2] = {'a', bad[i]};
        assert_int_equal(l1_detokenize(g_model, t, 2, buf, sizeof buf), L1_TOKEN_ERROR);
    }
    assert_int_equal(l1_detokenize(g_model, ok, -1, buf, sizeof buf), L1_TOKEN_ERROR);
    assert_int_equal(l1_detokenize(g_model, NULL, 2, buf, sizeof buf), L1_TOKEN_ERROR);
    assert_int_equal(l1_detokenize(g_model, ok, 3, NULL, 8), L1_TOKEN_ERROR);
    assert_int_equal(l1_detokenize(g_model, ok, 3, buf, 2), -3);
    assert_int_equal(l1_detokenize(g_model, ok, 3, NULL, 0), -3);
    assert_int_equal(l1_detokenize(NULL, ok, 3, buf, sizeof buf), L1_TOKEN_ERROR);
}

static void ctx_new_null_and_odd_sizes(void **state) {
    (void)state;
    l1_ctx_params cp = l1_ctx_default_params();
    l1_ctx *c = (l1_ctx *)&c;
    assert_int_equal(l1_ctx_new(NULL, &cp, &c), L1_ERR_INVALID_ARG);
    assert_null(c);
    assert_int_equal(l1_ctx_new(g_model, &cp, NULL), L1_ERR_INVALID_ARG);
    /* n_ctx 0: the model's context_length (64 here, under 4096). */
    cp.n_ctx = 0;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_OK);
    assert_int_equal(l1_ctx_n_ctx(c), 64);
    l1_ctx_free(c);
    /* Huge: refused as beyond context_length, before any allocation. */
    cp.n_ctx = INT32_MAX;
    c = (l1_ctx *)&c;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_ERR_LIMIT);
    assert_null(c);
    cp.n_ctx = -1;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_ERR_INVALID_ARG);
    cp = l1_ctx_default_params();
    cp.n_threads = -1;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_ERR_INVALID_ARG);
    cp.n_threads = 0;
    cp.kv_type = (l1_kv_type)7;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_ERR_INVALID_ARG);
    l1_memory mem;
    assert_int_equal(l1_ctx_memory(g_model, NULL, &mem), L1_OK);
    assert_true(mem.total == mem.weights + mem.kv + mem.scratch);
}

/* Thread counts 0 (one per core), 1 and 1024 all evaluate, to the same logits. */
static void ctx_threads_to_256_give_the_same_logits_1024_is_refused(void **state) {
    (void)state;
    /* Above the documented maximum (256): refused, nothing built. */
    l1_ctx_params big = l1_ctx_default_params();
    big.n_threads = 1024;
    l1_ctx *none = (l1_ctx *)&big;
    assert_int_equal(l1_ctx_new(g_model, &big, &none), L1_ERR_INVALID_ARG);
    assert_null(none);
    assert_non_null(strstr(l1_last_error(), "n_threads 1024"));
    /* Any accepted count gives bit-identical logits. */
    const int32_t threads[] = {0, 1, 2, 3, 256};
    float first[300];
    assert_true(g_nv <= 300);
    for (size_t i = 0; i < L1_ARRAY_LEN(threads); i++) {
        l1_ctx_params cp = l1_ctx_default_params();
        cp.n_threads = threads[i];
        l1_ctx *c = NULL;
        assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_OK);
        const l1_token t[3] = {1, 2, 3};
        assert_int_equal(l1_ctx_eval(c, t, 3, 0), L1_OK);
        const float *lg = l1_ctx_logits(c, -1);
        assert_non_null(lg);
        if (i == 0) memcpy(first, lg, (size_t)g_nv * sizeof *lg);
        else assert_memory_equal(first, lg, (size_t)g_nv * sizeof *lg);
        l1_ctx_free(c);
    }
}

static void eval_bad_tokens_and_counts_change_nothing(void **state) {
    (void)state;
    l1_ctx *c = new_ctx(8);
    const l1_token one = 5;
    assert_int_equal(l1_ctx_eval(c, &one, 1, 0), L1_OK);
    assert_int_equal(l1_ctx_n_past(c), 1);
    const l1_token bad[] = {-1, g_nv, INT32_MAX};
    for (size_t i = 0; i < L1_ARRAY_LEN(bad); i++) {
        const l1_token t[2] = {1, bad[i]};
        assert_int_equal(l1_ctx_eval(c, t, 2, 0), L1_ERR_INVALID_ARG);
        assert_int_equal(l1_ctx_n_past(c), 1);
        assert_null(l1_ctx_logits(c, -1)); /* a failed eval leaves no logits */
    }
    assert_int_equal(l1_ctx_eval(NULL, &one, 1, 0), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_eval(c, NULL, 1, 0), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_eval(c, &one, 0, 0), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_eval(c, &one, -5, 0), L1_ERR_INVALID_ARG);
    /* 8 tokens into the 7 positions left: context full, nothing changes. */
    l1_token eight[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(l1_ctx_eval(c, eight, 8, 0), L1_ERR_CONTEXT_FULL);
    assert_int_equal(l1_ctx_n_past(c), 1);
    assert_int_equal(l1_ctx_eval(c, eight, 7, 0), L1_OK);
    assert_int_equal(l1_ctx_eval(c, &one, 1, 0), L1_ERR_CONTEXT_FULL);
    assert_int_equal(l1_ctx_n_past(c), 8);
    l1_ctx_free(c);
}

static void logits_index_rules(void **state) {
    (void)state;
    l1_ctx *c = new_ctx(16);
    assert_null(l1_ctx_logits(c, -1)); /* no eval yet */
    const l1_token t[3] = {1, 2, 3};
    assert_int_equal(l1_ctx_eval(c, t, 3, 0), L1_OK);
    assert_non_null(l1_ctx_logits(c, -1));
    assert_ptr_equal(l1_ctx_logits(c, 2), l1_ctx_logits(c, -1));
    assert_null(l1_ctx_logits(c, 0)); /* not kept without L1_EVAL_ALL_LOGITS */
    assert_null(l1_ctx_logits(c, 3));
    assert_null(l1_ctx_logits(c, -2));
    assert_null(l1_ctx_logits(c, INT32_MIN));
    assert_int_equal(l1_ctx_eval(c, t, 3, L1_EVAL_ALL_LOGITS), L1_OK);
    assert_non_null(l1_ctx_logits(c, 0));
    assert_null(l1_ctx_logits(c, 3));
    /* truncate: n_keep outside [0, n_past] is refused; in range drops the logits. */
    assert_int_equal(l1_ctx_truncate(c, -1), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_truncate(c, 7), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_truncate(NULL, 0), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_truncate(c, 2), L1_OK);
    assert_int_equal(l1_ctx_n_past(c), 2);
    assert_null(l1_ctx_logits(c, -1));
    l1_ctx_free(c);
}

static void generate_nan_parameters_are_invalid_arguments(void **state) {
    (void)state;
    l1_ctx *c = new_ctx(64);
    float *fields[4];
    l1_gen_params gp;
    fields[0] = &gp.temperature, fields[1] = &gp.top_p, fields[2] = &gp.min_p, fields[3] = &gp.repeat_penalty;
    for (int f = 0; f < 4; f++) {
        gp = l1_gen_default_params();
        gp.max_tokens = 2;
        *fields[f] = NAN;
        l1_gen_result r;
        assert_int_equal(l1_generate(c, "hi", &gp, NULL, NULL, &r), L1_ERR_INVALID_ARG);
    }
    l1_gen_params gp2 = l1_gen_default_params();
    gp2.temperature = -1.0f;
    assert_int_equal(l1_generate(c, "hi", &gp2, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    gp2 = l1_gen_default_params();
    gp2.top_k = -3;
    assert_int_equal(l1_generate(c, "hi", &gp2, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_generate(NULL, "hi", NULL, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    /* The defaults work. */
    gp2 = l1_gen_default_params();
    gp2.max_tokens = 2;
    l1_gen_result r;
    assert_int_equal(l1_generate(c, "hi", &gp2, NULL, NULL, &r), L1_OK);
    assert_true(r.tokens_thinking + r.tokens_answer <= 2);
    l1_ctx_free(c);
}

static void generate_prompt_longer_than_context_is_context_full(void **state) {
    (void)state;
    l1_ctx *c = new_ctx(16);
    char prompt[400];
    for (size_t i = 0; i + 1 < sizeof prompt; i++) prompt[i] = (char)('a' + i % 26);
    prompt[sizeof prompt - 1] = '\0';
    l1_gen_params gp = l1_gen_default_params();
    gp.max_tokens = 4;
    assert_int_equal(l1_generate(c, prompt, &gp, NULL, NULL, NULL), L1_ERR_CONTEXT_FULL);
    /* The context is still usable afterwards. */
    assert_int_equal(l1_generate(c, "hi", &gp, NULL, NULL, NULL), L1_OK);
    l1_ctx_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(free_functions_accept_null),
        cmocka_unit_test(model_load_null_arguments),
        cmocka_unit_test(null_model_queries_are_zero_or_minus_one),
        cmocka_unit_test(tokenize_bad_arguments_give_token_error),
        cmocka_unit_test(tokenize_small_buffer_returns_minus_needed_and_prefix),
        cmocka_unit_test(token_to_piece_out_of_range_ids),
        cmocka_unit_test(detokenize_bad_ids_counts_and_buffers),
        cmocka_unit_test(ctx_new_null_and_odd_sizes),
        cmocka_unit_test(ctx_threads_to_256_give_the_same_logits_1024_is_refused),
        cmocka_unit_test(eval_bad_tokens_and_counts_change_nothing),
        cmocka_unit_test(logits_index_rules),
        cmocka_unit_test(generate_nan_parameters_are_invalid_arguments),
        cmocka_unit_test(generate_prompt_longer_than_context_is_context_full),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
