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

/* ---- handles ------------------------------------------------------------ */

/* A loaded model: weights (mapped), hyper-parameters and tokenizer.
 * Immutable after l1_model_load; may be shared by any number of threads. */
typedef struct l1_model l1_model;

/* A token id, 0 <= id < n_vocab. */
typedef int32_t l1_token;

/* ---- tokenizer ------------------------------------------------------------ */

/* Flags for l1_tokenize. */
#define L1_TOKENIZE_SPECIAL 1u /* recognise special/control token strings ("<think>") in text */
#define L1_TOKENIZE_ADD_BOS 2u /* prepend the model's BOS token when it has one */

/* Returned by the buffer functions below on invalid arguments (NULL model,
 * NULL text with len > 0, negative cap, token out of range); l1_last_error()
 * says which. */
#define L1_TOKEN_ERROR INT32_MIN

/* Tokenizes `len` bytes of `text` (need not be NUL-terminated nor valid
 * UTF-8).  Writes up to `cap` ids to `out` and returns how many it wrote, or
 * minus the number needed when `cap` is too small (then `out` holds the
 * first `cap` ids).  `out` may be NULL when cap is 0. */
L1_API int32_t l1_tokenize(const l1_model *model, const char *text, size_t len, l1_token *out,
                           int32_t cap, uint32_t flags);

/* The bytes of one token (a byte-level piece may be part of a UTF-8
 * character).  Returns the byte count written to buf (no NUL), or minus the
 * size needed when `cap` is too small. */
L1_API int32_t l1_token_to_piece(const l1_model *model, l1_token token, char *buf, int32_t cap);

/* The text of n tokens, concatenated bytes; invalid UTF-8 is kept as is.
 * Returns bytes written (no NUL) or minus the size needed. */
L1_API int32_t l1_detokenize(const l1_model *model, const l1_token *tokens, int32_t n, char *buf,
                             int32_t cap);

/* Token roles read from the model's metadata. */
typedef enum l1_special {
    L1_SPECIAL_BOS = 0,
    L1_SPECIAL_EOS = 1,
    L1_SPECIAL_PAD = 2,
    L1_SPECIAL_THINK_OPEN = 3,  /* "<think>" */
    L1_SPECIAL_THINK_CLOSE = 4, /* "</think>" */
    L1_SPECIAL_USER = 5,        /* "<｜User｜>" */
    L1_SPECIAL_ASSISTANT = 6    /* "<｜Assistant｜>" */
} l1_special;

/* The id of a role's token, or -1 when the model has none. */
L1_API l1_token l1_token_special(const l1_model *model, l1_special role);

/* Vocabulary size (0 for a NULL model). */
L1_API int32_t l1_n_vocab(const l1_model *model);

#ifdef __cplusplus
}
#endif

#endif /* L1_H */
