/*
 * api/base.c - the public functions of l1.h that belong to no model: the
 * version, status strings, the last error and the log hook (kept by the
 * base layer).
 */
#include "base/base.h"

#define L1_STR2(x) #x
#define L1_STR(x) L1_STR2(x)

const char *l1_version(void) {
    return L1_STR(L1_VERSION_MAJOR) "." L1_STR(L1_VERSION_MINOR) "." L1_STR(L1_VERSION_PATCH);
}

int l1_version_number(void) { return L1_VERSION_NUMBER; }

const char *l1_status_str(l1_status status) {
    switch (status) {
    case L1_OK: return "ok";
    case L1_ERR_IO: return "I/O error";
    case L1_ERR_FORMAT: return "format error";
    case L1_ERR_UNSUPPORTED: return "unsupported";
    case L1_ERR_NOMEM: return "out of memory";
    case L1_ERR_INVALID_ARG: return "invalid argument";
    case L1_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case L1_ERR_CONTEXT_FULL: return "context full";
    case L1_ERR_ABORTED: return "aborted";
    case L1_ERR_LIMIT: return "limit exceeded";
    case L1_ERR_NUMERIC: return "numeric error";
    case L1_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *l1_last_error(void) { return l1__last_error(); }

void l1_log_set(l1_log_fn fn, void *user) { l1__log_set(fn, user); }

void l1_log_set_level(l1_log_level level) { l1__log_set_level(level); }
