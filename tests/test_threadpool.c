/*
 * test_threadpool.c - the thread pool of the kernel layer: every run calls
 * the function once on every thread, writes are published across runs,
 * barriers separate phases, bad sizes are refused and allocation failures
 * leave nothing behind, and the row split covers a range in aligned parts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/base.h"
#include "kernels/threadpool.h"

#include "support/sanitizers.h"

/* ---- thread pool ----------------------------------------------------------------- */

typedef struct {
    _Atomic int calls;
    _Atomic int mask; /* bit ith set by thread ith */
    int nth_seen[L1__POOL_MAX_THREADS];
} run_log;

static void log_fn(void *arg, int ith, int nth) {
    run_log *l = arg;
    atomic_fetch_add(&l->calls, 1);
    atomic_fetch_or(&l->mask, 1 << ith);
    l->nth_seen[ith] = nth;
}

static void pool_runs_fn_once_on_every_thread(void **state) {
    (void)state;
    for (int n = 1; n <= 4; n++) {
        l1__pool *p;
        assert_int_equal(l1__pool_new(n, &p), L1_OK);
        assert_int_equal(l1__pool_size(p), n);
        for (int r = 0; r < 50; r++) {
            run_log l;
            memset(&l, 0, sizeof l);
            l1__pool_run(p, log_fn, &l);
            assert_int_equal(atomic_load(&l.calls), n);
            assert_int_equal(atomic_load(&l.mask), (1 << n) - 1);
            for (int t = 0; t < n; t++) assert_int_equal(l.nth_seen[t], n);
        }
        l1__pool_free(p);
    }
    run_log l;
    memset(&l, 0, sizeof l);
    l1__pool_run(NULL, log_fn, &l); /* NULL pool: inline, one thread */
    assert_int_equal(atomic_load(&l.calls), 1);
    l1__pool_free(NULL);
}

typedef struct {
    int64_t n;
    int64_t *out; /* plain memory: the run's completion must publish it */
} sum_job;

static void square_fn(void *arg, int ith, int nth) {
    sum_job *j = arg;
    int64_t lo, hi;
    l1__pool_split(j->n, 1, ith, nth, &lo, &hi);
    for (int64_t i = lo; i < hi; i++) j->out[i] = i * i;
}

static void pool_publishes_writes_across_many_runs(void **state) {
    (void)state;
    const int runs = L1_TEST_SLOW ? 300 : 3000;
    for (int n = 2; n <= 4; n++) {
        l1__pool *p;
        assert_int_equal(l1__pool_new(n, &p), L1_OK);
        int64_t buf[37];
        for (int r = 0; r < runs; r++) {
            memset(buf, 0, sizeof buf);
            sum_job j = {37, buf};
            l1__pool_run(p, square_fn, &j);
            for (int i = 0; i < 37; i++) assert_true(buf[i] == (int64_t)i * i);
            /* Now and then let the workers fall asleep between runs. */
            if (r % 500 == 250) usleep(3000);
        }
        l1__pool_free(p);
    }
}

typedef struct {
    l1__pool *pool;
    int *cells; /* one per thread, written in phase k, read by all in k + 1 */
    int bad;    /* written only by thread 0 */
    int phases;
} barrier_job;

static void barrier_fn(void *arg, int ith, int nth) {
    barrier_job *j = arg;
    for (int ph = 0; ph < j->phases; ph++) {
        j->cells[ith] = ph * 1000 + ith;
        l1__pool_barrier(j->pool);
        int ok = 1;
        for (int t = 0; t < nth; t++) ok &= j->cells[t] == ph * 1000 + t;
        if (!ok && ith == 0) j->bad = 1;
        l1__pool_barrier(j->pool);
        if (!ok) return; /* every thread leaves: no barrier is left waiting */
    }
}

static void pool_barrier_separates_phases(void **state) {
    (void)state;
    for (int n = 1; n <= 4; n++) {
        l1__pool *p;
        assert_int_equal(l1__pool_new(n, &p), L1_OK);
        int cells[4] = {0};
        barrier_job j = {p, cells, 0, L1_TEST_SLOW ? 100 : 1000};
        l1__pool_run(p, barrier_fn, &j);
        assert_int_equal(j.bad, 0);
        l1__pool_free(p);
    }
}

static void pool_rejects_bad_sizes_and_survives_alloc_failure(void **state) {
    (void)state;
    l1__pool *p = (l1__pool *)&p;
    assert_int_equal(l1__pool_new(0, &p), L1_ERR_INVALID_ARG);
    assert_null(p);
    assert_int_equal(l1__pool_new(L1__POOL_MAX_THREADS + 1, &p), L1_ERR_INVALID_ARG);
    int64_t live = l1__alloc_live();
    l1__alloc_fail_after(0);
    assert_int_equal(l1__pool_new(3, &p), L1_ERR_NOMEM);
    l1__alloc_fail_reset();
    assert_null(p);
    assert_int_equal(l1__alloc_live(), live);
}

static void pool_split_covers_range_in_aligned_parts(void **state) {
    (void)state;
    for (int64_t n = 0; n < 70; n++) {
        for (int64_t align = 1; align <= 8; align *= 2) {
            for (int nth = 1; nth <= 5; nth++) {
                int64_t next = 0;
                for (int t = 0; t < nth; t++) {
                    int64_t lo, hi;
                    l1__pool_split(n, align, t, nth, &lo, &hi);
                    assert_true(lo == next && lo <= hi && hi <= n);
                    assert_true(lo % align == 0 || lo == n);
                    next = hi;
                }
                assert_true(next == n);
            }
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_runs_fn_once_on_every_thread),
        cmocka_unit_test(pool_publishes_writes_across_many_runs),
        cmocka_unit_test(pool_barrier_separates_phases),
        cmocka_unit_test(pool_rejects_bad_sizes_and_survives_alloc_failure),
        cmocka_unit_test(pool_split_covers_range_in_aligned_parts),
    };
    return cmocka_run_group_tests_name("threadpool", tests, NULL, NULL);
}
