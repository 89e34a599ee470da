/*
 * l1.h - the public interface of libl1.
 *
 * l1 is a CPU inference engine for Qwen2-architecture reasoning models stored
 * in GGUF files, above all L1-Qwen-1.5B-Max, a model trained to obey
 * "Think for maximum N tokens.".  l1 keeps that promise exactly: a response
 * generated with a budget of N tokens never exceeds N and still ends with an
 * answer.
 *
 * Usage (the base layer; later sections add models and generation):
 *
 *     #include <stdio.h>
 *     #include <l1.h>
 *
 *     static void on_log(l1_log_level level, const char *msg, void *user) {
 *         (void)user;
 *         fprintf(stderr, "[l1 %d] %s\n", (int)level, msg);
 *     }
 *
 *     int main(void) {
 *         l1_log_set(on_log, NULL);
 *         printf("libl1 %s\n", l1_version());
 *         if (l1_version_number() < L1_VERSION_NUMBER) return 1;
 *         printf("%s\n", l1_status_str(L1_ERR_FORMAT));
 *         return 0;
 *     }
 *
 * Thread model: every function here may be called from any thread.  An
 * l1_model is immutable once loaded and may be shared by threads; an l1_ctx
 * is used by one thread at a time.
 *
 * Error convention: functions that can fail return an l1_status (0 = L1_OK,
 * negative = error).  When a call fails, l1_last_error() on the same thread
 * returns a message naming what was wrong, e.g.
 * "tensor blk.3.attn_q.weight: data past end of file".
 *
 * Ownership convention: objects returned through an out-parameter belong to
 * the caller and are released with the matching l1_*_free function, which
 * accepts NULL.  Strings returned as `const char *` belong to l1 and stay
 * valid as each function documents.  The library never calls exit() or
 * abort() on anything a file or a caller can cause.
 */
#ifndef L1_H
#define L1_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define L1_VERSION_MAJOR 0
#define L1_VERSION_MINOR 1
#define L1_VERSION_PATCH 0
#define L1_VERSION_NUMBER (L1_VERSION_MAJOR * 10000 + L1_VERSION_MINOR * 100 + L1_VERSION_PATCH)

#if defined(_WIN32)
#  define L1_API __declspec(dllexport)
#elif defined(__GNUC__)
#  define L1_API __attribute__((visibility("default")))
#else
#  define L1_API
#endif

/* Status codes.  Zero is success; every error is negative. */
typedef enum l1_status {
    L1_OK = 0,
    L1_ERR_IO = -1,               /* a file could not be opened or read */
    L1_ERR_FORMAT = -2,           /* a file is malformed */
    L1_ERR_UNSUPPORTED = -3,      /* valid, but l1 does not implement it */
    L1_ERR_NOMEM = -4,            /* an allocation failed */
    L1_ERR_INVALID_ARG = -5,      /* a caller passed a bad argument */
    L1_ERR_BUFFER_TOO_SMALL = -6, /* an output buffer was too small */
    L1_ERR_CONTEXT_FULL = -7,     /* the KV cache has no room left */
    L1_ERR_ABORTED = -8,          /* a callback or abort flag stopped the work */
    L1_ERR_LIMIT = -9,            /* a configured resource limit was exceeded */
    L1_ERR_NUMERIC = -10,         /* NaN or infinity where a number was needed */
    L1_ERR_INTERNAL = -11         /* a bug in l1; please report it */
} l1_status;

/* A short constant English name for `status` ("format error", ...).
 * Unknown values give "unknown status".  The string is static. */
L1_API const char *l1_status_str(l1_status status);

/* The detailed message of the last failed l1 call on this thread, or "" if
 * none failed yet.  Valid until the next l1 call on this thread. */
L1_API const char *l1_last_error(void);

/* The library version as "MAJOR.MINOR.PATCH" (static string), and as
 * L1_VERSION_NUMBER would spell it.  Compare with the macros to detect a
 * header/library mismatch. */
L1_API const char *l1_version(void);
L1_API int l1_version_number(void);

/* Logging.  l1 is silent by default.  l1_log_set installs a callback that
 * receives every message at or above the level set by l1_log_set_level
 * (default L1_LOG_INFO); NULL removes it.  The callback may be called from
 * any thread that calls into l1, including l1's worker threads; `msg` is
 * valid only during the call. */
typedef enum l1_log_level {
    L1_LOG_ERROR = 0,
    L1_LOG_WARN = 1,
    L1_LOG_INFO = 2,
    L1_LOG_DEBUG = 3
} l1_log_level;

typedef void (*l1_log_fn)(l1_log_level level, const char *msg, void *user);

L1_API void l1_log_set(l1_log_fn fn, void *user);
L1_API void l1_log_set_level(l1_log_level level);

#ifdef __cplusplus
}
#endif

#endif /* L1_H */
