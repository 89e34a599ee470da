/*
 * test_concurrency.c - one model shared by several contexts on several
 * threads (l1.h: a model is immutable after load and may be shared; a
 * context is used by one thread at a time).  Each thread tokenizes,
 * evaluates and generates greedily with its own context; every thread must
 * get exactly what a lone thread gets.  Run under ThreadSanitizer
 * (make CONFIG=tsan) it also proves the sharing free of data races.
 */
#include <pthread.h>
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

#define N_THREADS 4
#define N_GEN 8

static char g_path[64];
static l1_model *g_model;

typedef struct work {
    l1_token toks[64];
    int32_t n_toks;
    float logit_sum;
    char text[256];
    int32_t text_len;
    l1_status st;
} work;

static int on_piece(const l1_piece *p, void *user) {
    work *w = user;
    if (p->kind == L1_PIECE_TEXT && w->text_len + p->len < (int32_t)sizeof w->text) {
        memcpy(w->text + w->text_len, p->text, (size_t)p->len);
        w->text_len += p->len;
    }
    return 0;
}

/* Everything one thread does with its own context. */
static void *run(void *arg) {
    work *w = arg;
    static const char prompt[] = "<｜User｜>the thin hen in the thing<｜Assistant｜>";
    w->n_toks = l1_tokenize(g_model, prompt, sizeof prompt - 1, w->toks, 64,
                            L1_TOKENIZE_SPECIAL | L1_TOKENIZE_ADD_BOS);
    if (w->n_toks <= 0) {
        w->st = L1_ERR_INTERNAL;
        return NULL;
    }
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_threads = 1;
    l1_ctx *c = NULL;
    if ((w->st = l1_ctx_new(g_model, &cp, &c))) return NULL;
    if ((w->st = l1_ctx_eval(c, w->toks, w->n_toks, 0)) == L1_OK) {
        const float *lg = l1_ctx_logits(c, -1);
        for (int32_t i = 0; i < l1_n_vocab(g_model); i++) w->logit_sum += lg[i];
        l1_gen_params gp = l1_gen_default_params();
        gp.temperature = 0;
        gp.max_tokens = N_GEN;
        w->st = l1_generate(c, "the hen", &gp, on_piece, w, NULL);
    }
    l1_ctx_free(c);
    return NULL;
}

static int setup(void **state) {
    (void)state;
    snprintf(g_path, sizeof g_path, "/tmp/l1_concurrency_XXXXXX");
    int fd = mkstemp(g_path);
    if (fd < 0) return -1;
    close(fd);
    l1__synth_params p;
    if (l1__synth_preset("tiny", &p) != L1_OK) return -1;
    p.n_ctx_train = 128;
    if (l1__synth_write(&p, g_path) != L1_OK) return -1;
    return l1_model_load(g_path, NULL, &g_model) == L1_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    l1_model_free(g_model);
    return unlink(g_path);
}

static void shared_model_threads_match_a_lone_thread(void **state) {
    (void)state;
    work lone;
    memset(&lone, 0, sizeof lone);
    run(&lone);
    assert_int_equal(lone.st, L1_OK);
    work w[N_THREADS];
    pthread_t th[N_THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < N_THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, run, &w[i]), 0);
    for (int i = 0; i < N_THREADS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(w[i].st, L1_OK);
        assert_int_equal(w[i].n_toks, lone.n_toks);
        assert_memory_equal(w[i].toks, lone.toks, (size_t)lone.n_toks * sizeof *lone.toks);
        assert_true(w[i].logit_sum == lone.logit_sum); /* bit-identical: same work, same order */
        assert_int_equal(w[i].text_len, lone.text_len);
        assert_memory_equal(w[i].text, lone.text, (size_t)lone.text_len);
    }
}

/* Errors are per thread: a failure on one thread leaves another's last
 * error alone. */
static void *fail_one(void *arg) {
    (void)arg;
    l1_ctx_eval(NULL, NULL, 0, 0);
    return NULL;
}

static void last_error_is_per_thread(void **state) {
    (void)state;
    char buf[8];
    assert_int_equal(l1_token_to_piece(g_model, -1, buf, sizeof buf), L1_TOKEN_ERROR);
    char mine[256];
    snprintf(mine, sizeof mine, "%s", l1_last_error());
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fail_one, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_string_equal(l1_last_error(), mine);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_model_threads_match_a_lone_thread),
        cmocka_unit_test(last_error_is_per_thread),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
