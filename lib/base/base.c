/*
 * base.c - the per-thread last-error message, the log hook, and the
 * allocation hook with its fault-injection counter.
 *
 * The last error lives in thread-local storage so that two threads using two
 * contexts never see each other's messages.  The allocation counters are
 * atomics so that they stay coherent when worker threads allocate; fault
 * injection itself is meant for single-threaded tests.
 */
#include "base/base.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- last error ---------------------------------------------------------- */

#define L1_ERROR_CAP 512
static _Thread_local char tl_error[L1_ERROR_CAP];

const char *l1__last_error(void) { return tl_error; }

void l1__error_clear(void) { tl_error[0] = '\0'; }

/* Messages quote names and strings from untrusted files (tensor names,
 * metadata values) and paths: control bytes become '?', so a message stays
 * one line and cannot forge lines of a log or move a terminal's cursor. */
static void one_line(char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

l1_status l1__error(l1_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tl_error, sizeof tl_error, fmt, ap);
    va_end(ap);
    one_line(tl_error);
    l1__log(L1_LOG_DEBUG, "error: %s", tl_error);
    return status;
}

l1_status l1__check_array(const char *who, const char *what, const void *p, int64_t n, int64_t max) {
    if (n < 0 || n > max)
        return l1__error(L1_ERR_INVALID_ARG, "%s: n_%s = %lld is outside [0, %lld]", who, what, (long long)n,
                         (long long)max);
    if (n > 0 && !p)
        return l1__error(L1_ERR_INVALID_ARG, "%s: %s is NULL with n_%s = %lld", who, what, what, (long long)n);
    return L1_OK;
}

void l1__error_prefix(const char *fmt, ...) {
    char buf[L1_ERROR_CAP];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : ((size_t)n < sizeof buf - 1 ? (size_t)n : sizeof buf - 1);
    /* Append ": " and the old message, cutting at the buffer's end. */
    const char *parts[2] = {": ", tl_error};
    for (int i = 0; i < 2 && used < sizeof buf - 1; i++) {
        size_t len = strlen(parts[i]);
        if (len > sizeof buf - 1 - used) len = sizeof buf - 1 - used;
        memcpy(buf + used, parts[i], len);
        used += len;
    }
    buf[used] = '\0';
    one_line(buf);
    memcpy(tl_error, buf, used + 1);
}

/* ---- logging --------------------------------------------------------------- */

static _Atomic(l1_log_fn) g_log_fn;
static void *_Atomic g_log_user;
static atomic_int g_log_level = L1_LOG_INFO;

void l1__log_set(l1_log_fn fn, void *user) {
    atomic_store(&g_log_user, user);
    atomic_store(&g_log_fn, fn);
}

void l1__log_set_level(l1_log_level level) { atomic_store(&g_log_level, (int)level); }

void l1__log(l1_log_level level, const char *fmt, ...) {
    l1_log_fn fn = atomic_load(&g_log_fn);
    if (!fn || (int)level > atomic_load(&g_log_level)) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(level, msg, atomic_load(&g_log_user));
}

/* ---- allocation -------------------------------------------------------------- */

static atomic_llong g_fail_after = -1; /* successes left before failing; <0: off */
static atomic_llong g_alloc_count;
static atomic_llong g_alloc_live;

void l1__alloc_fail_after(int64_t n) { atomic_store(&g_fail_after, n < 0 ? -1 : n); }

void l1__alloc_fail_reset(void) {
    atomic_store(&g_fail_after, -1);
    atomic_store(&g_alloc_count, 0);
}

int64_t l1__alloc_count(void) { return atomic_load(&g_alloc_count); }
int64_t l1__alloc_live(void) { return atomic_load(&g_alloc_live); }

/* True when this allocation must fail by injection. */
static bool inject_failure(void) {
    long long left = atomic_load(&g_fail_after);
    if (left < 0) return false;
    if (left == 0) return true;
    atomic_fetch_sub(&g_fail_after, 1);
    return false;
}

static void *count(void *p) {
    if (p) {
        atomic_fetch_add(&g_alloc_count, 1);
        atomic_fetch_add(&g_alloc_live, 1);
    }
    return p;
}

void *l1__malloc(size_t size) {
    if (inject_failure()) return NULL;
    return count(malloc(size ? size : 1));
}

void *l1__calloc(size_t n, size_t size) {
    if (inject_failure()) return NULL;
    if (n == 0 || size == 0) n = size = 1;
    return count(calloc(n, size));
}

void *l1__realloc(void *p, size_t size) {
    if (!p) return l1__malloc(size);
    if (inject_failure()) return NULL;
    void *q = realloc(p, size ? size : 1);
    if (q) atomic_fetch_add(&g_alloc_count, 1);
    return q;
}

void l1__free(void *p) {
    if (!p) return;
    atomic_fetch_sub(&g_alloc_live, 1);
    free(p);
}

void l1__free_each(void *const *ptrs, size_t n) {
    for (size_t i = 0; i < n; i++) l1__free(ptrs[i]);
}

void *l1__aligned_alloc(size_t align, size_t size) {
    if (inject_failure()) return NULL;
    if (align < sizeof(void *)) align = sizeof(void *);
    void *p = NULL;
    if (posix_memalign(&p, align, size ? size : 1) != 0) return NULL;
    return count(p);
}

void l1__aligned_free(void *p) { l1__free(p); }

char *l1__strndup(const char *s, size_t n) {
    size_t cap;
    if (!l1__add_size(n, 1, &cap)) return NULL;
    char *d = l1__malloc(cap);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
