/*
 * threadpool.c - persistent pthread workers woken by a generation counter.
 *
 * A run bumps `gen`; each worker, having seen the new value, joins the run
 * through `entry` (see below), runs the posted fn and then counts itself
 * into `n_done`; the caller runs its own share (ith 0) and waits until
 * every worker that joined is done: all nth - 1 of them for l1__pool_run,
 * those that came in time for l1__pool_run_claimed.  Every wait (worker for a
 * new gen, caller for n_done, barrier for a new phase) is the same routine:
 * spin on the word for a while, because in decode the next run comes within
 * microseconds, then sleep on the pool's one condition variable.
 *
 * Lost wake-ups are excluded by a Dekker pair: a sleeper increments
 * `sleepers` and then re-reads the word under the mutex; a waker changes the
 * word and then reads `sleepers` (all sequentially consistent), so at least
 * one of them sees the other, and a waker that sees a sleeper broadcasts
 * under the mutex.  Wakers that see none skip the mutex entirely, which is
 * the common case while workers spin.
 *
 * `entry` holds the generation of the run now open in its high half and,
 * in its low half, the workers that joined it plus a CLOSED bit.  A worker
 * joins by a compare-and-swap that succeeds only while the generation is
 * the one it woke for and the run is open, so a worker that was held up
 * past the end of a claimed run (or of several runs) never runs fn for a
 * run it was not counted in, nor twice for one run.  l1__pool_run never
 * closes its runs early; l1__pool_run_claimed closes as soon as the
 * caller's own fn returns and then waits only for the workers that joined.
 *
 * The shared counters sit on separate cache lines so that spinning readers
 * of one do not steal the line of another.
 */
#include "kernels/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "base/base.h"

/* Polls before sleeping: about 50-200 us on current cores, longer than the
 * gap between two matvecs of one decode step, far shorter than a token. */
#define L1__POOL_SPIN 4096
#define L1__CACHE_LINE 64
/* Low half of `entry`: joined workers, and the bit that closes the run. */
#define ENTRY_CLOSED 0x80000000u
#define ENTRY_COUNT 0x7fffffffu

typedef struct l1__pool_worker {
    struct l1__pool *pool;
    int ith;
    pthread_t thread;
} l1__pool_worker;

struct l1__pool {
    int n_threads;
    int n_started;         /* workers actually created */
    l1__pool_fn fn;        /* posted before gen is bumped */
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char pad0[L1__CACHE_LINE];
    _Atomic uint32_t gen;  /* bumped once per run (and once to stop) */
    _Atomic uint32_t stop;
    _Atomic uint64_t entry; /* gen of the open run << 32 | CLOSED | joined workers */
    char pad1[L1__CACHE_LINE];
    _Atomic uint32_t n_done; /* workers finished with the current run */
    char pad2[L1__CACHE_LINE];
    _Atomic uint32_t bar_count; /* threads inside the current barrier */
    _Atomic uint32_t bar_phase; /* bumped by the last one in */
    char pad3[L1__CACHE_LINE];
    _Atomic uint32_t sleepers; /* threads blocked (or about to) on cv */
    char pad4[L1__CACHE_LINE];
    l1__pool_worker workers[]; /* n_threads - 1 */
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("pause" ::: "memory");
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Returns once *w != old. */
static void wait_while(l1__pool *p, _Atomic uint32_t *w, uint32_t old) {
    for (int i = 0; i < L1__POOL_SPIN; i++) {
        if (atomic_load_explicit(w, memory_order_acquire) != old) return;
        cpu_relax();
    }
    atomic_fetch_add(&p->sleepers, 1);
    pthread_mutex_lock(&p->mu);
    while (atomic_load(w) == old) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
}

/* Called after a sequentially consistent change of a word others wait on. */
static void wake(l1__pool *p) {
    if (atomic_load(&p->sleepers) == 0) return;
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Tests only: microseconds each worker waits between seeing a run and
 * joining it (0 in normal use). */
static _Atomic int g_join_delay_us;

void l1__pool_test_join_delay(int us) { atomic_store(&g_join_delay_us, us > 0 ? us : 0); }

/* Joins run `gen` if it is still the open one; false if it is over, closed
 * or already replaced by a later run. */
static bool join(l1__pool *p, uint32_t gen) {
    uint64_t e = atomic_load_explicit(&p->entry, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(e >> 32) != gen || ((uint32_t)e & ENTRY_CLOSED)) return false;
        if (atomic_compare_exchange_weak_explicit(&p->entry, &e, e + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return true;
    }
}

static void *worker_main(void *v) {
    l1__pool_worker *w = v;
    l1__pool *p = w->pool;
    uint32_t seen = 0;
    for (;;) {
        wait_while(p, &p->gen, seen);
        seen = atomic_load_explicit(&p->gen, memory_order_acquire);
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) break;
        const int delay = atomic_load_explicit(&g_join_delay_us, memory_order_relaxed);
        if (delay) {
            struct timespec ts = {delay / 1000000, (long)(delay % 1000000) * 1000L};
            nanosleep(&ts, NULL);
        }
        if (!join(p, seen)) continue;
        p->fn(p->arg, w->ith, p->n_threads);
        atomic_fetch_add(&p->n_done, 1);
        wake(p);
    }
    return NULL;
}

static void stop_workers(l1__pool *p) {
    atomic_store(&p->stop, 1);
    atomic_fetch_add(&p->gen, 1);
    wake(p);
    for (int i = 0; i < p->n_started; i++) pthread_join(p->workers[i].thread, NULL);
    p->n_started = 0;
}

l1_status l1__pool_new(int n_threads, l1__pool **out) {
    *out = NULL;
    if (n_threads < 1 || n_threads > L1__POOL_MAX_THREADS)
        return l1__error(L1_ERR_INVALID_ARG, "thread pool: %d threads (want 1..%d)", n_threads,
                         L1__POOL_MAX_THREADS);
    size_t size = sizeof(l1__pool) + (size_t)(n_threads - 1) * sizeof(l1__pool_worker);
    l1__pool *p = l1__calloc(1, size);
    if (!p) return l1__error(L1_ERR_NOMEM, "thread pool: %zu bytes", size);
    p->n_threads = n_threads;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        l1__free(p);
        return l1__error(L1_ERR_INTERNAL, "thread pool: cannot create a mutex");
    }
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        l1__free(p);
        return l1__error(L1_ERR_INTERNAL, "thread pool: cannot create a condition variable");
    }
    for (int i = 0; i < n_threads - 1; i++) {
        l1__pool_worker *w = &p->workers[i];
        w->pool = p;
        w->ith = i + 1;
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) {
            l1__pool_free(p);
            return l1__error(L1_ERR_INTERNAL, "thread pool: cannot start thread %d of %d (%s)",
                             i + 2, n_threads, strerror(rc));
        }
        p->n_started++;
    }
    *out = p;
    return L1_OK;
}

void l1__pool_free(l1__pool *pool) {
    if (!pool) return;
    stop_workers(pool);
    pthread_cond_destroy(&pool->cv);
    pthread_mutex_destroy(&pool->mu);
    l1__free(pool);
}

int l1__pool_size(const l1__pool *pool) { return pool ? pool->n_threads : 1; }

static void run(l1__pool *p, l1__pool_fn fn, void *arg, bool claimed) {
    p->fn = fn;
    p->arg = arg;
    atomic_store_explicit(&p->n_done, 0, memory_order_relaxed);
    /* Only the caller writes gen, so the next value is known here. */
    const uint32_t g = atomic_load_explicit(&p->gen, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->entry, (uint64_t)g << 32, memory_order_relaxed);
    atomic_fetch_add(&p->gen, 1);
    wake(p);
    fn(arg, 0, p->n_threads);
    uint32_t want = (uint32_t)p->n_threads - 1;
    if (claimed)
        want = (uint32_t)atomic_fetch_or_explicit(&p->entry, ENTRY_CLOSED, memory_order_acq_rel) &
               ENTRY_COUNT;
    for (;;) {
        uint32_t d = atomic_load_explicit(&p->n_done, memory_order_acquire);
        if (d == want) break;
        wait_while(p, &p->n_done, d);
    }
}

void l1__pool_run(l1__pool *pool, l1__pool_fn fn, void *arg) {
    if (!pool || pool->n_threads == 1) {
        fn(arg, 0, 1);
        return;
    }
    run(pool, fn, arg, false);
}

void l1__pool_run_claimed(l1__pool *pool, l1__pool_fn fn, void *arg) {
    if (!pool || pool->n_threads == 1) {
        fn(arg, 0, 1);
        return;
    }
    run(pool, fn, arg, true);
}

void l1__pool_barrier(l1__pool *pool) {
    if (!pool || pool->n_threads == 1) return;
    l1__pool *p = pool;
    uint32_t phase = atomic_load_explicit(&p->bar_phase, memory_order_acquire);
    uint32_t arrived = atomic_fetch_add_explicit(&p->bar_count, 1, memory_order_acq_rel);
    if (arrived == (uint32_t)p->n_threads - 1) {
        atomic_store_explicit(&p->bar_count, 0, memory_order_relaxed);
        atomic_fetch_add(&p->bar_phase, 1);
        wake(p);
    } else {
        wait_while(p, &p->bar_phase, phase);
    }
}
