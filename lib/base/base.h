/*
 * base.h - internal foundation shared by every layer: error reporting,
 * logging, checked arithmetic, allocation (with a fault-injection hook),
 * file mapping and CPU feature detection.  Nothing here knows about models
 * or formats.
 *
 * Every allocation in lib/ goes through l1__malloc/l1__calloc/l1__realloc/
 * l1__aligned_alloc so that tests can fail the Nth one and check that each
 * path returns L1_ERR_NOMEM without leaking.
 */
#ifndef L1_BASE_H
#define L1_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l1.h"

#if defined(__GNUC__)
#  define L1_PRINTF(a, b) __attribute__((format(printf, a, b)))
#  define L1_LIKELY(x) __builtin_expect(!!(x), 1)
#  define L1_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define L1_PRINTF(a, b)
#  define L1_LIKELY(x) (x)
#  define L1_UNLIKELY(x) (x)
#endif

#define L1_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors and logging ---------------------------------------------- */

/* Records `fmt` as this thread's last error and returns `status`, so that
 * callers can write `return l1__error(L1_ERR_FORMAT, "key %s: ...", k);`. */
l1_status l1__error(l1_status status, const char *fmt, ...) L1_PRINTF(2, 3);

/* Prefixes the current last error with "prefix: " (e.g. a file name). */
void l1__error_prefix(const char *fmt, ...) L1_PRINTF(1, 2);

/* Checks a caller's (pointer, count) array: L1_OK when 0 <= n <= max and
 * p is set whenever n > 0; otherwise L1_ERR_INVALID_ARG with
 * "WHO: n_WHAT = N is outside [0, MAX]" or "WHO: WHAT is NULL with
 * n_WHAT = N". */
l1_status l1__check_array(const char *who, const char *what, const void *p, int64_t n, int64_t max);

/* Clears this thread's last error. */
void l1__error_clear(void);

/* This thread's last error message (l1_last_error). */
const char *l1__last_error(void);

/* Sends a message to the installed log callback, if any and if `level` is
 * enabled.  Cheap when no callback is installed. */
void l1__log(l1_log_level level, const char *fmt, ...) L1_PRINTF(2, 3);

/* The log hook and level behind l1_log_set and l1_log_set_level. */
void l1__log_set(l1_log_fn fn, void *user);
void l1__log_set_level(l1_log_level level);

/* ---- checked arithmetic ------------------------------------------------ */

/* Each returns false (and leaves *out unspecified) on overflow. */
static inline bool l1__add_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_add_overflow(a, b, out);
}
static inline bool l1__mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool l1__mul_i64(int64_t a, int64_t b, int64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool l1__add_size(size_t a, size_t b, size_t *out) {
    return !__builtin_add_overflow(a, b, out);
}
static inline bool l1__mul_size(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
/* a rounded up to a multiple of `align` (a power of two). */
static inline bool l1__align_up_u64(uint64_t a, uint64_t align, uint64_t *out) {
    uint64_t t;
    if (!l1__add_u64(a, align - 1, &t)) return false;
    *out = t & ~(align - 1);
    return true;
}

/* ---- ordering ------------------------------------------------------------ */

/* -1, 0 or 1 as a < b, a == b, a > b: the pieces of qsort comparators. */
static inline int l1__cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }
static inline int l1__cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }
/* By (a1, a2) against (b1, b2), the first keys first. */
static inline int l1__cmp_u64_2(uint64_t a1, uint64_t b1, uint64_t a2, uint64_t b2) {
    const int c = l1__cmp_u64(a1, b1);
    return c ? c : l1__cmp_u64(a2, b2);
}

/* ---- allocation -------------------------------------------------------- */

/* malloc/calloc/realloc/free through one hook.  Each failure (real or
 * injected) returns NULL; nothing is logged here, the caller reports. */
void *l1__malloc(size_t size);
void *l1__calloc(size_t n, size_t size);
void *l1__realloc(void *p, size_t size);
void l1__free(void *p);
/* l1__free of each of the n pointers (an object's owned buffers, listed
 * once where it is released). */
void l1__free_each(void *const *ptrs, size_t n);
/* Memory aligned to `align` (a power of two >= sizeof(void*)); release it
 * with l1__aligned_free. */
void *l1__aligned_alloc(size_t align, size_t size);
void l1__aligned_free(void *p);
/* A copy of the first n bytes of s with a terminating NUL. */
char *l1__strndup(const char *s, size_t n);

/* Fault injection for tests: after `n` more successful allocations, every
 * allocation fails until l1__alloc_fail_reset().  n < 0 disables.  Global,
 * not thread-safe: meant for single-threaded tests. */
void l1__alloc_fail_after(int64_t n);
void l1__alloc_fail_reset(void);
/* Allocations performed since the last reset (successful ones only). */
int64_t l1__alloc_count(void);
/* Live allocations (allocated and not yet freed) through the hook. */
int64_t l1__alloc_live(void);

/* ---- file mapping ------------------------------------------------------ */

typedef struct l1__file {
    const uint8_t *data; /* the whole file, read-only; NULL when size == 0 */
    uint64_t size;       /* its size in bytes at open */
    bool mapped;         /* true: mmap; false: read into heap memory */
} l1__file;

/* Opens `path` and maps it read-only (falling back to reading it into memory
 * when mmap is unavailable or `force_read` is set).  Only regular files are
 * accepted: a directory, FIFO, socket or device gives L1_ERR_IO with a
 * message naming the path and what it is. */
l1_status l1__file_open(const char *path, bool force_read, l1__file *out);
void l1__file_close(l1__file *f);

/* ---- CPU features -------------------------------------------------------- */

typedef struct l1__cpu {
    bool sse3, ssse3, avx, avx2, fma, f16c;
    bool avx512f, avx512bw, avx512vl, avx512dq, avx512vnni, avx512bf16, avxvnni;
    bool neon, dotprod, fp16, i8mm;
    int n_cores_logical;  /* online processors */
    int n_cores_physical; /* best guess at physical cores */
} l1__cpu;

/* Detected once (thread-safe) and cached.  On x86 the AVX/AVX-512 bits are
 * set only when the OS saves the matching registers (XGETBV). */
const l1__cpu *l1__cpu_get(void);

#endif /* L1_BASE_H */
