/*
 * threadpool.h - a persistent pool of worker threads for data-parallel
 * kernels (a matvec split by rows, a matmul split by tiles).
 *
 * One run = every thread of the pool, the caller included, executes
 * fn(arg, ith, nth) once with its own ith in [0, nth); l1__pool_run returns
 * when all have returned (l1__pool_run_claimed: every thread that arrived
 * in time, for work shared out on demand).  Workers between runs spin
 * briefly (decode issues hundreds of short runs per token, so a wake-up
 * must cost microseconds), then sleep on a condition variable so an idle
 * pool costs no CPU.  A run allocates nothing.
 *
 * Thread model: one thread at a time calls l1__pool_run on a given pool (the
 * pool belongs to one l1_ctx); fn must not call l1__pool_run on the same
 * pool.  Inside fn, l1__pool_barrier synchronises all nth threads.
 */
#ifndef L1_THREADPOOL_H
#define L1_THREADPOOL_H

#include <stdint.h>

#include "l1.h"

typedef struct l1__pool l1__pool;

/* Work item: called once per thread with ith in [0, nth). */
typedef void (*l1__pool_fn)(void *arg, int ith, int nth);

/* Creates a pool of n_threads threads in all (n_threads - 1 workers plus the
 * caller of each run).  n_threads 1 starts no thread: runs are inline.
 * n_threads must be in [1, L1__POOL_MAX_THREADS]; L1_ERR_INVALID_ARG
 * otherwise, L1_ERR_NOMEM / L1_ERR_INTERNAL when memory or a thread cannot
 * be had (nothing leaks).  Free with l1__pool_free. */
#define L1__POOL_MAX_THREADS L1_MAX_THREADS
l1_status l1__pool_new(int n_threads, l1__pool **out);

/* Stops and joins the workers and frees the pool; NULL is a no-op.  Must not
 * be called while a run is in progress. */
void l1__pool_free(l1__pool *pool);

/* Threads per run, the caller included. */
int l1__pool_size(const l1__pool *pool);

/* Runs fn(arg, ith, nth) on every thread (ith 0 on the caller) and returns
 * once all have finished; everything fn wrote is visible to the caller on
 * return.  A NULL pool runs fn(arg, 0, 1) inline. */
void l1__pool_run(l1__pool *pool, l1__pool_fn fn, void *arg);

/* Like l1__pool_run, for work that the threads take from shared counters as
 * they come, so that any share of it may be done by any thread: fn runs on
 * the caller and on each worker that arrives before the caller's own fn has
 * returned; a worker arriving later skips the run.  Returns once every fn
 * that started has returned, with what they wrote visible.  A worker that
 * is descheduled, or slow to wake, when the run is posted then delays
 * nothing.  fn must not call l1__pool_barrier (some threads may never
 * enter it), and must not rely on every ith being called. */
void l1__pool_run_claimed(l1__pool *pool, l1__pool_fn fn, void *arg);

/* Tests only: every worker of every pool waits `us` microseconds between
 * seeing a run posted and joining it, so that it arrives after claimed runs
 * have closed, or even after later runs were posted.  0 (the default) turns
 * it off. */
void l1__pool_test_join_delay(int us);

/* Called by all nth threads inside one run: returns in each only when every
 * thread has entered it, with every write made before it visible after it.
 * Spins briefly, then sleeps.  A no-op for a 1-thread or NULL pool. */
void l1__pool_barrier(l1__pool *pool);

/* Splits [0, n) into nth near-equal contiguous parts, each starting at a
 * multiple of `align` (>= 1), and gives thread ith its part [*lo, *hi). */
static inline void l1__pool_split(int64_t n, int64_t align, int ith, int nth, int64_t *lo,
                                  int64_t *hi) {
    int64_t units = (n + align - 1) / align;
    int64_t per = units / nth, extra = units % nth;
    int64_t u0 = ith * per + (ith < extra ? ith : extra);
    int64_t u1 = u0 + per + (ith < extra ? 1 : 0);
    int64_t a = u0 * align, b = u1 * align;
    *lo = a < n ? a : n;
    *hi = b < n ? b : n;
}

#endif /* L1_THREADPOOL_H */
