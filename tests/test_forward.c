/*
 * test_forward.c - the forward layer: the scalar kernels against small cases
 * derived by hand in each test, and the context's KV cache contracts (decode
 * after prefill equals one whole evaluation, truncate rewinds, a full cache
 * changes nothing, abort, memory estimate, no dependence on the thread
 * count) on a tiny synthetic model, and the pool's claimed runs that the
 * forward pass schedules its work with.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "forward/forward.h"
#include "base/fp16.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "tooling/synth.h"
#include "gguf/types.h"

/* f32 kernels against double-precision hand formulas: a few ulps. */
#define KERNEL_TOL 1e-6
/* Same arithmetic in a different order (batching, chunking): relative. */
#define REORDER_RTOL 1e-5

static void rmsnorm_scales_by_root_mean_square_and_weight(void **state) {
    (void)state;
    const float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 2};
    float y[4];
    l1__kernels_scalar()->rmsnorm(y, x, w, 4, 0.0f);
    /* mean of squares = (1 + 4 + 9 + 16) / 4 = 7.5 */
    for (int i = 0; i < 4; i++) assert_float_equal(y[i], x[i] / sqrt(7.5) * w[i], KERNEL_TOL);
    /* eps enters under the root: all-zero input gives zeros, not NaN. */
    const float z[4] = {0};
    l1__kernels_scalar()->rmsnorm(y, z, w, 4, 1e-6f);
    for (int i = 0; i < 4; i++) assert_float_equal(y[i], 0.0f, 0.0);
}

static void rope_rotates_neox_pairs_by_position_angles(void **state) {
    (void)state;
    /* head_dim 4: pairs (0, 2) and (1, 3); at position p the angles are
     * p * 10000^(-0/4) = p and p * 10000^(-2/4) = p / 100. */
    float cs[2], sn[2], x[8] = {1, 2, 3, 4, -1, 0.5f, 2, -3};
    const float x0[8] = {1, 2, 3, 4, -1, 0.5f, 2, -3};
    l1__rope_angles(3, 4, 10000.0f, cs, sn);
    assert_float_equal(cs[0], cos(3.0), KERNEL_TOL);
    assert_float_equal(sn[1], sin(0.03), KERNEL_TOL);
    l1__kernels_scalar()->rope_neox(x, 2, 4, cs, sn);
    for (int h = 0; h < 2; h++) {
        const float *a = x0 + 4 * h, *b = x + 4 * h;
        const double t[2] = {3.0, 0.03};
        for (int i = 0; i < 2; i++) {
            assert_float_equal(b[i], a[i] * cos(t[i]) - a[i + 2] * sin(t[i]), 1e-5);
            assert_float_equal(b[i + 2], a[i] * sin(t[i]) + a[i + 2] * cos(t[i]), 1e-5);
        }
    }
    /* Position 0 is the identity. */
    l1__rope_angles(0, 4, 10000.0f, cs, sn);
    memcpy(x, x0, sizeof x);
    l1__kernels_scalar()->rope_neox(x, 2, 4, cs, sn);
    assert_memory_equal(x, x0, sizeof x);
}

static void attention_is_softmax_weighted_sum_of_values(void **state) {
    (void)state;
    /* q = (1, 0); keys (1, 0), (0, 1), (2, 0); scale 0.5: scores 0.5, 0, 1.
     * out = sum_j softmax(s)_j v_j. */
    const float q[2] = {1, 0}, k[6] = {1, 0, 0, 1, 2, 0}, v[6] = {1, 2, 3, 4, -1, 0.5f};
    double s[3] = {0.5, 0.0, 1.0}, z = 0, want[2] = {0, 0};
    for (int j = 0; j < 3; j++) z += exp(s[j]);
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 2; i++) want[i] += exp(s[j]) / z * v[2 * j + i];
    uint8_t work[256];
    float out[2];
    l1__attn_args a = {q, k, v, 2 * sizeof(float), L1_TYPE_F32, 3, 2, 0.5f, L1__ATTN_F32, out, work};
    l1__kernels_scalar()->attention(&a);
    for (int i = 0; i < 2; i++) assert_float_equal(out[i], want[i], KERNEL_TOL);
    /* One position: the output is its value, whatever the score. */
    a.n_kv = 1;
    l1__kernels_scalar()->attention(&a);
    assert_float_equal(out[0], 1.0f, KERNEL_TOL);
    assert_float_equal(out[1], 2.0f, KERNEL_TOL);
    /* F16 cache, f16 accumulation: the same within f16 precision (these
     * keys and values are exact in f16). */
    uint16_t kh[6], vh[6];
    for (int i = 0; i < 6; i++) kh[i] = l1__f32_to_f16(k[i]), vh[i] = l1__f32_to_f16(v[i]);
    l1__attn_args b = {q, kh, vh, 2 * sizeof(uint16_t), L1_TYPE_F16, 3, 2, 0.5f, L1__ATTN_F16_ACC, out, work};
    l1__kernels_scalar()->attention(&b);
    for (int i = 0; i < 2; i++) assert_float_equal(out[i], want[i], 2e-3);
}

static void swiglu_is_silu_of_gate_times_up(void **state) {
    (void)state;
    const float g[3] = {0, 1, -2}, u[3] = {2, 3, 4};
    float y[3];
    l1__kernels_scalar()->swiglu(y, g, u, 3);
    for (int i = 0; i < 3; i++) assert_float_equal(y[i], g[i] / (1 + exp(-g[i])) * u[i], KERNEL_TOL);
}

static void softmax_sums_to_one_and_keeps_order(void **state) {
    (void)state;
    float x[3] = {1, 2, 3};
    l1__kernels_scalar()->softmax(x, 3);
    double z = exp(1) + exp(2) + exp(3);
    for (int i = 0; i < 3; i++) assert_float_equal(x[i], exp(i + 1) / z, KERNEL_TOL);
}

/* ---- claimed pool runs ----------------------------------------------------------- */

#define CLAIM_UNITS 97

typedef struct claim_job {
    _Atomic int next;                 /* next unit to take */
    _Atomic int done[CLAIM_UNITS];    /* times each unit was taken */
    int out[CLAIM_UNITS];             /* plain memory: the run must publish it */
    _Atomic unsigned mask;            /* threads that ran fn */
    _Atomic int bad;                  /* an ith out of range, or one fn twice */
    int work;                         /* 0: the caller's fn returns at once */
} claim_job;

/* Runs on the workers too: failures are recorded, asserted by the caller. */
static void claim_fn(void *arg, int ith, int nth) {
    claim_job *j = arg;
    if (ith < 0 || ith >= nth || nth > 4) {
        atomic_store(&j->bad, 1);
        return;
    }
    unsigned bit = 1u << ith;
    if (atomic_fetch_or(&j->mask, bit) & bit) atomic_store(&j->bad, 1);
    if (!j->work && ith == 0) return;
    for (;;) {
        int u = atomic_fetch_add(&j->next, 1);
        if (u >= CLAIM_UNITS) break;
        atomic_fetch_add(&j->done[u], 1);
        j->out[u] = u * 3 + 1;
    }
}

typedef struct every_job {
    _Atomic int calls[4];
} every_job;

static void every_fn(void *arg, int ith, int nth) {
    every_job *j = arg;
    if (ith >= 0 && ith < 4 && nth <= 4) atomic_fetch_add(&j->calls[ith], 1);
}

/* Every unit is taken once and its write is visible after the run, whoever
 * took it.  Runs whose caller returns at once close before most workers
 * arrive; a worker that arrives late must skip that run and still take part,
 * exactly once, in the next (claimed or not), or the unit counts and the
 * per-thread call counts below go wrong. */
static void pool_claimed_run_takes_each_unit_once_and_skips_late_workers(void **state) {
    (void)state;
    static claim_job j;
    /* A worker counted twice into one run makes its caller wait forever:
     * the alarm turns that hang into a failure. */
    alarm(120);
    for (int n = 1; n <= 4; n++) {
        l1__pool *p;
        assert_int_equal(l1__pool_new(n, &p), L1_OK);
        for (int r = 0; r < 400; r++) {
            memset(&j, 0, sizeof j);
            j.work = r % 3 != 0;
            l1__pool_run_claimed(p, claim_fn, &j);
            assert_int_equal(atomic_load(&j.bad), 0);
            if (j.work) {
                for (int u = 0; u < CLAIM_UNITS; u++) {
                    assert_int_equal(atomic_load(&j.done[u]), 1);
                    assert_int_equal(j.out[u], u * 3 + 1);
                }
            }
            assert_true(atomic_load(&j.mask) & 1u); /* the caller always runs fn */
            if (r % 7 == 0) {
                every_job e;
                memset(&e, 0, sizeof e);
                l1__pool_run(p, every_fn, &e);
                for (int t = 0; t < 4; t++) assert_int_equal(atomic_load(&e.calls[t]), t < n);
            }
            if (r % 100 == 50) usleep(2000); /* let the workers fall asleep */
        }
        l1__pool_free(p);
    }
    /* Workers held up between seeing a run and joining it: the first of each
     * pair of claimed runs closes before they join, and the second is posted
     * while they still hold the first one's generation.  Each must skip the
     * first and take part in the second (or the static run after it) once. */
    l1__pool_test_join_delay(300);
    for (int n = 2; n <= 4; n++) {
        l1__pool *p;
        assert_int_equal(l1__pool_new(n, &p), L1_OK);
        for (int r = 0; r < 40; r++) {
            memset(&j, 0, sizeof j);
            l1__pool_run_claimed(p, claim_fn, &j);
            assert_int_equal(atomic_load(&j.bad), 0);
            memset(&j, 0, sizeof j);
            j.work = 1;
            l1__pool_run_claimed(p, claim_fn, &j);
            assert_int_equal(atomic_load(&j.bad), 0);
            for (int u = 0; u < CLAIM_UNITS; u++) assert_int_equal(atomic_load(&j.done[u]), 1);
            every_job e;
            memset(&e, 0, sizeof e);
            l1__pool_run(p, every_fn, &e);
            for (int t = 0; t < 4; t++) assert_int_equal(atomic_load(&e.calls[t]), t < n);
        }
        l1__pool_free(p);
    }
    l1__pool_test_join_delay(0);
    /* NULL pool: inline on the caller. */
    memset(&j, 0, sizeof j);
    j.work = 1;
    l1__pool_run_claimed(NULL, claim_fn, &j);
    assert_int_equal(atomic_load(&j.mask), 1u);
    assert_int_equal(atomic_load(&j.done[CLAIM_UNITS - 1]), 1);
    alarm(0);
}

/* ---- the context on a tiny model ---------------------------------------------------- */

static char g_path[64];
static l1_model *g_model;

static int setup(void **state) {
    (void)state;
    l1__synth_params p;
    assert_int_equal(l1__synth_preset("tiny", &p), L1_OK);
    p.n_ctx_train = 256;
    snprintf(g_path, sizeof g_path, "/tmp/l1-test-forward-%d.gguf", (int)getpid());
    if (l1__synth_write(&p, g_path) != L1_OK) return -1;
    return l1_model_load(g_path, NULL, &g_model) == L1_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    l1_model_free(g_model);
    remove(g_path);
    return 0;
}

static l1_ctx *new_ctx(int32_t n_ctx, int32_t n_batch, l1_kv_type kv) {
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = n_batch;
    cp.kv_type = kv;
    l1_ctx *c = NULL;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_OK);
    return c;
}

static void tokens(l1_token *t, int n, int seed) {
    for (int i = 0; i < n; i++) t[i] = (l1_token)((seed * 131 + i * 37) % l1_n_vocab(g_model));
}

static void assert_close(const float *a, const float *b, int n, double rtol) {
    double amax = 0;
    for (int i = 0; i < n; i++) amax = fmax(amax, fabs(a[i]));
    for (int i = 0; i < n; i++) assert_true(fabs(a[i] - b[i]) <= rtol * amax);
}

static void decode_after_prefill_equals_whole_sequence(void **state) {
    (void)state;
    const int n = 24, nv = l1_n_vocab(g_model);
    l1_token t[24];
    tokens(t, n, 1);
    for (int kv = 0; kv < 2; kv++) {
        l1_ctx *whole = new_ctx(64, 512, (l1_kv_type)kv), *inc = new_ctx(64, 512, (l1_kv_type)kv);
        assert_int_equal(l1_ctx_eval(whole, t, n, L1_EVAL_ALL_LOGITS), L1_OK);
        assert_int_equal(l1_ctx_eval(inc, t, 9, 0), L1_OK);
        assert_close(l1_ctx_logits(whole, 8), l1_ctx_logits(inc, -1), nv, REORDER_RTOL);
        for (int i = 9; i < n; i++) {
            assert_int_equal(l1_ctx_eval(inc, &t[i], 1, 0), L1_OK);
            assert_int_equal(l1_ctx_n_past(inc), i + 1);
            assert_close(l1_ctx_logits(whole, i), l1_ctx_logits(inc, -1), nv, REORDER_RTOL);
        }
        l1_ctx_free(whole);
        l1_ctx_free(inc);
    }
}

static void long_eval_split_into_batches_matches_one_batch(void **state) {
    (void)state;
    const int nv = l1_n_vocab(g_model);
    l1_token t[20];
    tokens(t, 20, 2);
    l1_ctx *a = new_ctx(64, 512, L1_KV_F16), *b = new_ctx(64, 6, L1_KV_F16);
    assert_int_equal(l1_ctx_eval(a, t, 20, L1_EVAL_ALL_LOGITS), L1_OK);
    assert_int_equal(l1_ctx_eval(b, t, 20, L1_EVAL_ALL_LOGITS), L1_OK);
    for (int i = 0; i < 20; i++) assert_close(l1_ctx_logits(a, i), l1_ctx_logits(b, i), nv, REORDER_RTOL);
    l1_ctx_free(a);
    l1_ctx_free(b);
}

/* The last layer carries only the rows whose logits are kept past
 * attention.  Expected values: the same eval keeping every row, which runs
 * the last layer on all of them; each kept row must equal its row there
 * bit for bit (same step, same attention path), whichever rows are kept,
 * also when a step keeps none (n_batch 6: the first steps of the prompt),
 * and the cache must be the same afterwards (a decode step compared). */
static void rows_without_logits_leave_the_kept_rows_unchanged(void **state) {
    (void)state;
    const int n = 20, nv = l1_n_vocab(g_model);
    l1_token t[21];
    tokens(t, 21, 3);
    const size_t bytes = (size_t)nv * sizeof(float);
    for (int split = 0; split < 2; split++) {
        const int32_t nb = split ? 6 : 512;
        l1_ctx *all = new_ctx(64, nb, L1_KV_F16), *last = new_ctx(64, nb, L1_KV_F16),
               *some = new_ctx(64, nb, L1_KV_F16);
        assert_int_equal(l1_ctx_eval(all, t, n, L1_EVAL_ALL_LOGITS), L1_OK);
        assert_int_equal(l1_ctx_eval(last, t, n, 0), L1_OK);
        assert_memory_equal(l1_ctx_logits(all, n - 1), l1_ctx_logits(last, -1), bytes);
        int8_t keep[20] = {0};
        keep[2] = keep[11] = keep[12] = keep[17] = 1;
        const l1_batch b = {.n = n, .tokens = t, .logits = keep};
        assert_int_equal(l1_ctx_decode(some, &b), L1_OK);
        for (int i = 0; i < n; i++) {
            if (!keep[i]) {
                assert_null(l1_ctx_batch_logits(some, i));
                continue;
            }
            assert_memory_equal(l1_ctx_logits(all, i), l1_ctx_batch_logits(some, i), bytes);
        }
        assert_int_equal(l1_ctx_eval(all, &t[n], 1, 0), L1_OK);
        assert_int_equal(l1_ctx_eval(last, &t[n], 1, 0), L1_OK);
        assert_int_equal(l1_ctx_eval(some, &t[n], 1, 0), L1_OK);
        assert_memory_equal(l1_ctx_logits(all, -1), l1_ctx_logits(last, -1), bytes);
        assert_memory_equal(l1_ctx_logits(all, -1), l1_ctx_logits(some, -1), bytes);
        l1_ctx_free(all);
        l1_ctx_free(last);
        l1_ctx_free(some);
    }
}

static void truncate_rewinds_so_a_prefix_is_reused(void **state) {
    (void)state;
    const int nv = l1_n_vocab(g_model);
    l1_token t[12], u[4];
    tokens(t, 12, 3);
    tokens(u, 4, 4);
    l1_ctx *c = new_ctx(32, 512, L1_KV_F16), *fresh = new_ctx(32, 512, L1_KV_F16);
    assert_int_equal(l1_ctx_eval(c, t, 12, 0), L1_OK);
    assert_int_equal(l1_ctx_truncate(c, 8), L1_OK);
    assert_int_equal(l1_ctx_n_past(c), 8);
    assert_null(l1_ctx_logits(c, -1));
    assert_int_equal(l1_ctx_eval(c, u, 4, 0), L1_OK);
    /* Same as evaluating t[0..8) + u from scratch. */
    assert_int_equal(l1_ctx_eval(fresh, t, 8, 0), L1_OK);
    assert_int_equal(l1_ctx_eval(fresh, u, 4, 0), L1_OK);
    assert_memory_equal(l1_ctx_logits(c, -1), l1_ctx_logits(fresh, -1), (size_t)nv * sizeof(float));
    assert_int_equal(l1_ctx_truncate(c, 13), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_truncate(c, -1), L1_ERR_INVALID_ARG);
    l1_ctx_free(c);
    l1_ctx_free(fresh);
}

static void full_cache_returns_context_full_and_changes_nothing(void **state) {
    (void)state;
    const int nv = l1_n_vocab(g_model);
    l1_token t[8];
    tokens(t, 8, 5);
    l1_ctx *c = new_ctx(8, 512, L1_KV_F16), *ref = new_ctx(8, 512, L1_KV_F16);
    assert_int_equal(l1_ctx_eval(c, t, 6, 0), L1_OK);
    assert_int_equal(l1_ctx_eval(c, t, 3, 0), L1_ERR_CONTEXT_FULL);
    assert_int_equal(l1_ctx_n_past(c), 6);
    assert_int_equal(l1_ctx_eval(c, t + 6, 2, 0), L1_OK);
    assert_int_equal(l1_ctx_n_past(c), 8);
    assert_int_equal(l1_ctx_eval(c, t, 1, 0), L1_ERR_CONTEXT_FULL);
    /* A failed eval leaves no logits (l1.h), but the cache is intact:
     * re-evaluating the last position gives the logits of a fresh run. */
    assert_null(l1_ctx_logits(c, -1));
    assert_int_equal(l1_ctx_n_past(c), 8);
    assert_int_equal(l1_ctx_truncate(c, 7), L1_OK);
    assert_int_equal(l1_ctx_eval(c, t + 7, 1, 0), L1_OK);
    assert_int_equal(l1_ctx_eval(ref, t, 8, 0), L1_OK);
    assert_memory_equal(l1_ctx_logits(ref, -1), l1_ctx_logits(c, -1), (size_t)nv * sizeof(float));
    l1_ctx_free(c);
    l1_ctx_free(ref);
}

static int g_abort_calls;
static int abort_after_one(void *user) {
    (void)user;
    return ++g_abort_calls > 1;
}

static void abort_callback_stops_eval_and_keeps_n_past(void **state) {
    (void)state;
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = 16;
    cp.abort_fn = abort_after_one;
    l1_ctx *c;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_OK);
    l1_token t[4];
    tokens(t, 4, 6);
    g_abort_calls = 0;
    assert_int_equal(l1_ctx_eval(c, t, 4, 0), L1_ERR_ABORTED);
    assert_int_equal(l1_ctx_n_past(c), 0);
    assert_null(l1_ctx_logits(c, -1));
    l1_ctx_free(c);
}

static void eval_rejects_bad_tokens_and_arguments(void **state) {
    (void)state;
    l1_ctx *c = new_ctx(16, 512, L1_KV_F16);
    l1_token bad[2] = {0, l1_n_vocab(g_model)};
    assert_int_equal(l1_ctx_eval(c, bad, 2, 0), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "index 1"));
    assert_int_equal(l1_ctx_eval(c, bad, 0, 0), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_n_past(c), 0);
    assert_null(l1_ctx_logits(c, 0));
    assert_int_equal(l1_ctx_eval(c, bad, 1, 0), L1_OK);
    assert_non_null(l1_ctx_logits(c, 0));
    assert_non_null(l1_ctx_logits(c, -1));
    assert_null(l1_ctx_logits(c, 1));
    l1_ctx_free(c);
}

static void memory_estimate_counts_kv_cache_and_limit_is_enforced(void **state) {
    (void)state;
    l1_model_desc d;
    assert_int_equal(l1_model_info(g_model, &d), L1_OK);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = 100;
    l1_memory mem;
    assert_int_equal(l1_ctx_memory(g_model, &cp, &mem), L1_OK);
    /* K and V, F16, n_head_kv * head_dim per position and layer. */
    assert_int_equal(mem.kv, 2ull * 2 * 100 * d.n_head_kv * d.head_dim * d.n_layer);
    assert_true(mem.weights > 0 && mem.scratch > 0);
    assert_int_equal(mem.total, mem.weights + mem.kv + mem.scratch);
    cp.kv_type = L1_KV_F32;
    l1_memory m32;
    assert_int_equal(l1_ctx_memory(g_model, &cp, &m32), L1_OK);
    assert_int_equal(m32.kv, 2 * mem.kv);
    cp.memory_limit = m32.total - 1;
    l1_ctx *c = (l1_ctx *)1;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_ERR_LIMIT);
    assert_null(c);
    cp.memory_limit = m32.total;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_OK);
    l1_ctx_free(c);
}

static void context_beyond_trained_length_needs_permission(void **state) {
    (void)state;
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = 257; /* the model's context_length is 256 */
    l1_ctx *c;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_ERR_LIMIT);
    assert_non_null(strstr(l1_last_error(), "qwen2.context_length"));
    cp.allow_ctx_over_train = 1;
    assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_OK);
    assert_int_equal(l1_ctx_n_ctx(c), 257);
    l1_ctx_free(c);
}

/* The forward pass hands rows and heads to threads on demand; every output
 * is still computed by one call of the same kernel, so the logits of a
 * prefill long enough to be split by token (and to take the f32 attention
 * path) and of the decode steps after it are bit-identical for any thread
 * count, in every cache type and in f32_activations mode. */
/* Decode-mode steps over 512 positions or more split each query's
 * positions into chunks computed apart and merged (forward.c); their
 * logits must stay those of evaluating the whole sequence at once (the
 * f32 path, unsplit) up to summation order, for single tokens and for a
 * short multi-token step, on both cache types, and not depend on the
 * thread count.  A chunk dropped or counted twice moves the logits far
 * beyond REORDER_RTOL. */
static void decode_at_depth_splits_attention_and_matches_whole_sequence(void **state) {
    (void)state;
    enum { P = 1100, D = 7 };
    const int nv = l1_n_vocab(g_model);
    l1_token *t = malloc((P + D) * sizeof *t);
    float *first = malloc((size_t)D * (size_t)nv * sizeof(float));
    assert_non_null(t);
    assert_non_null(first);
    tokens(t, P + D, 5);
    for (int kv = 0; kv < 2; kv++) {
        l1_ctx_params cp = l1_ctx_default_params();
        cp.n_ctx = P + D;
        cp.kv_type = (l1_kv_type)kv;
        cp.allow_ctx_over_train = 1;
        l1_ctx *whole;
        assert_int_equal(l1_ctx_new(g_model, &cp, &whole), L1_OK);
        assert_int_equal(l1_ctx_eval(whole, t, P + D, L1_EVAL_ALL_LOGITS), L1_OK);
        const int32_t threads[] = {1, 3};
        for (size_t ti = 0; ti < L1_ARRAY_LEN(threads); ti++) {
            cp.n_threads = threads[ti];
            l1_ctx *inc;
            assert_int_equal(l1_ctx_new(g_model, &cp, &inc), L1_OK);
            assert_int_equal(l1_ctx_eval(inc, t, P, 0), L1_OK);
            /* Four single tokens, then one step of three. */
            for (int i = 0; i < D; i++) {
                const int n = i < 4 ? 1 : D - 4;
                assert_int_equal(l1_ctx_eval(inc, &t[P + i], n, L1_EVAL_ALL_LOGITS), L1_OK);
                for (int k = 0; k < n; k++) {
                    const float *lg = l1_ctx_logits(inc, k);
                    assert_close(l1_ctx_logits(whole, P + i + k), lg, nv, REORDER_RTOL);
                    float *f = first + (size_t)(i + k) * (size_t)nv;
                    if (ti == 0) memcpy(f, lg, (size_t)nv * sizeof(float));
                    else assert_memory_equal(f, lg, (size_t)nv * sizeof(float));
                }
                i += n - 1;
            }
            l1_ctx_free(inc);
        }
        l1_ctx_free(whole);
    }
    free(first);
    free(t);
}

static void logits_do_not_depend_on_thread_count(void **state) {
    (void)state;
    enum { P = 70, D = 4 };
    const int nv = l1_n_vocab(g_model);
    const int32_t threads[] = {1, 2, 3, 4};
    l1_token t[P + D];
    tokens(t, P + D, 8);
    float *want = malloc((size_t)(P + D) * (size_t)nv * sizeof(float));
    assert_non_null(want);
    for (int mode = 0; mode < 3; mode++) {
        for (size_t i = 0; i < L1_ARRAY_LEN(threads); i++) {
            l1_ctx_params cp = l1_ctx_default_params();
            cp.n_ctx = 128;
            cp.n_threads = threads[i];
            cp.kv_type = mode == 1 ? L1_KV_F32 : L1_KV_F16;
            cp.f32_activations = mode == 2;
            l1_ctx *c;
            assert_int_equal(l1_ctx_new(g_model, &cp, &c), L1_OK);
            assert_int_equal(l1_ctx_eval(c, t, P, L1_EVAL_ALL_LOGITS), L1_OK);
            for (int k = 0; k < P + D; k++) {
                if (k >= P) assert_int_equal(l1_ctx_eval(c, &t[k], 1, 0), L1_OK);
                const float *lg = l1_ctx_logits(c, k >= P ? -1 : k);
                assert_non_null(lg);
                float *w = want + (size_t)k * (size_t)nv;
                if (i == 0) memcpy(w, lg, (size_t)nv * sizeof(float));
                else assert_memory_equal(w, lg, (size_t)nv * sizeof(float));
            }
            l1_ctx_free(c);
        }
    }
    free(want);
}

/* Gate and up whose activation types differ cannot share one converted
 * input, so they cannot be computed in one pool run with SwiGLU after each
 * share of rows: gate goes first, then up followed by SwiGLU.  Here up is
 * swapped for an F16 copy (F16 activations) while gate stays F32: the
 * logits stay within f16 rounding of the all-F32 model's (a SwiGLU skipped,
 * doubled or fed the wrong rows would be far off) and do not depend on the
 * thread count. */
static void gate_and_up_of_different_activation_types(void **state) {
    (void)state;
    enum { P = 20 };
    const int nv = l1_n_vocab(g_model);
    l1_model *m;
    assert_int_equal(l1_model_load(g_path, NULL, &m), L1_OK);
    assert_int_not_equal(l1__quant_traits_get(L1_TYPE_F16)->vec_dot_type,
                         l1__quant_traits_get(L1_TYPE_F32)->vec_dot_type);
    const int nl = m->hp.n_layer;
    l1__weight saved[8];
    uint16_t *copies[8];
    assert_true(nl <= 8);
    for (int il = 0; il < nl; il++) {
        l1__weight *w = &m->layers[il].w_up;
        assert_int_equal(w->type, L1_TYPE_F32);
        saved[il] = *w;
        copies[il] = malloc((size_t)(w->ne0 * w->ne1) * sizeof(uint16_t));
        assert_non_null(copies[il]);
        for (int64_t i = 0; i < w->ne0 * w->ne1; i++)
            copies[il][i] = l1__f32_to_f16(((const float *)w->data)[i]);
        w->data = copies[il];
        w->type = L1_TYPE_F16;
        w->row_bytes = (size_t)w->ne0 * sizeof(uint16_t);
        w->qt = l1__quant_traits_get(L1_TYPE_F16);
    }
    l1_token t[P];
    tokens(t, P, 9);
    l1_ctx *ref = new_ctx(64, 512, L1_KV_F16);
    assert_int_equal(l1_ctx_eval(ref, t, P, L1_EVAL_ALL_LOGITS), L1_OK);
    float *first = malloc((size_t)P * (size_t)nv * sizeof(float));
    assert_non_null(first);
    const int32_t threads[] = {1, 2, 4};
    for (size_t i = 0; i < L1_ARRAY_LEN(threads); i++) {
        l1_ctx_params cp = l1_ctx_default_params();
        cp.n_ctx = 64;
        cp.n_threads = threads[i];
        l1_ctx *c;
        assert_int_equal(l1_ctx_new(m, &cp, &c), L1_OK);
        assert_int_equal(l1_ctx_eval(c, t, P, L1_EVAL_ALL_LOGITS), L1_OK);
        for (int k = 0; k < P; k++) {
            const float *lg = l1_ctx_logits(c, k);
            if (i == 0) {
                memcpy(first + (size_t)k * (size_t)nv, lg, (size_t)nv * sizeof(float));
                assert_close(l1_ctx_logits(ref, k), lg, nv, 1e-2);
            } else {
                assert_memory_equal(first + (size_t)k * (size_t)nv, lg, (size_t)nv * sizeof(float));
            }
        }
        l1_ctx_free(c);
    }
    free(first);
    l1_ctx_free(ref);
    for (int il = 0; il < nl; il++) {
        m->layers[il].w_up = saved[il];
        free(copies[il]);
    }
    l1_model_free(m);
}

static void f32_activations_stay_close_to_default(void **state) {
    (void)state;
    const int nv = l1_n_vocab(g_model);
    l1_token t[6];
    tokens(t, 6, 7);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = 16;
    cp.f32_activations = 1;
    l1_ctx *a, *b = new_ctx(16, 512, L1_KV_F16);
    assert_int_equal(l1_ctx_new(g_model, &cp, &a), L1_OK);
    assert_int_equal(l1_ctx_eval(a, t, 6, 0), L1_OK);
    assert_int_equal(l1_ctx_eval(b, t, 6, 0), L1_OK);
    /* The tiny model is F32 throughout; only the f16 cache and attention
     * rounding differ: close, within f16 precision. */
    assert_close(l1_ctx_logits(a, -1), l1_ctx_logits(b, -1), nv, 1e-2);
    l1_ctx_free(a);
    l1_ctx_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rmsnorm_scales_by_root_mean_square_and_weight),
        cmocka_unit_test(rope_rotates_neox_pairs_by_position_angles),
        cmocka_unit_test(attention_is_softmax_weighted_sum_of_values),
        cmocka_unit_test(swiglu_is_silu_of_gate_times_up),
        cmocka_unit_test(softmax_sums_to_one_and_keeps_order),
        cmocka_unit_test(decode_after_prefill_equals_whole_sequence),
        cmocka_unit_test(long_eval_split_into_batches_matches_one_batch),
        cmocka_unit_test(rows_without_logits_leave_the_kept_rows_unchanged),
        cmocka_unit_test(truncate_rewinds_so_a_prefix_is_reused),
        cmocka_unit_test(full_cache_returns_context_full_and_changes_nothing),
        cmocka_unit_test(abort_callback_stops_eval_and_keeps_n_past),
        cmocka_unit_test(eval_rejects_bad_tokens_and_arguments),
        cmocka_unit_test(memory_estimate_counts_kv_cache_and_limit_is_enforced),
        cmocka_unit_test(context_beyond_trained_length_needs_permission),
        cmocka_unit_test(f32_activations_stay_close_to_default),
        cmocka_unit_test(logits_do_not_depend_on_thread_count),
        cmocka_unit_test(decode_at_depth_splits_attention_and_matches_whole_sequence),
        cmocka_unit_test(gate_and_up_of_different_activation_types),
        cmocka_unit_test(pool_claimed_run_takes_each_unit_once_and_skips_late_workers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
