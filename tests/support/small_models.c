/*
 * small_models.c - see small_models.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "small_models.h"
#include "tooling/synth.h"

l1_model *small_synth_model(const char *tag, uint32_t type, int32_t n_ctx_train) {
    char path[128];
    snprintf(path, sizeof path, "/tmp/l1_test_%s_%d_%u.gguf", tag, (int)getpid(), (unsigned)type);
    l1__synth_params p;
    assert_int_equal(l1__synth_preset("tiny", &p), L1_OK);
    p.n_embd = 256;
    p.n_ff = 512;
    p.n_head = 4;
    p.n_head_kv = 2;
    p.n_ctx_train = n_ctx_train;
    p.type = type;
    assert_int_equal(l1__synth_write(&p, path), L1_OK);
    l1_model *m = NULL;
    assert_int_equal(l1_model_load(path, NULL, &m), L1_OK);
    unlink(path);
    return m;
}

l1_ctx *small_ctx(const l1_model *m, int32_t n_ctx, int32_t n_seq, int32_t threads) {
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = n_ctx;
    cp.n_seq = n_seq;
    cp.n_threads = threads;
    l1_ctx *c = NULL;
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_OK);
    return c;
}
