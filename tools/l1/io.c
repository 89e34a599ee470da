/*
 * io.c - the tool's file and stream edges: reading a prompt file (one reader
 * for every command's -f), checking an output path before a writer renames
 * a temporary file over it, checking that stdout took everything written to
 * it, and turning termination signals into a flag so that file writers can
 * cancel and clean up instead of dying with a temporary file on disk.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* ---- reading -f FILE ---------------------------------------------------------------- */

static int read_stream(const char *cmd, const char *path, FILE *f, char **data, size_t *len) {
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    if (!s) return l1cli_err(cmd, "%s: out of memory", path), 1;
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > L1CLI_MAX_INPUT_BYTES) {
                free(s);
                l1cli_err(cmd, "%s: larger than %zu MiB; a prompt file is text", path,
                          L1CLI_MAX_INPUT_BYTES >> 20);
                return 1;
            }
            char *t = realloc(s, cap * 2);
            if (!t) {
                free(s);
                return l1cli_err(cmd, "%s: out of memory", path), 1;
            }
            s = t;
            cap *= 2;
        }
        const size_t k = fread(s + n, 1, cap - 1 - n, f);
        n += k;
        if (k == 0) break;
    }
    if (ferror(f)) {
        const int e = errno;
        free(s);
        l1cli_err(cmd, "%s: cannot read: %s", path, e ? strerror(e) : "read error");
        return 1;
    }
    if (n > L1CLI_MAX_INPUT_BYTES) {
        free(s);
        l1cli_err(cmd, "%s: larger than %zu MiB; a prompt file is text", path, L1CLI_MAX_INPUT_BYTES >> 20);
        return 1;
    }
    s[n] = '\0';
    *data = s;
    *len = n;
    return 0;
}

int l1cli_read_file(const char *cmd, const char *path, bool allow_nul, char **data, size_t *len) {
    *data = NULL;
    *len = 0;
    const bool is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) return l1cli_err(cmd, "%s: cannot open: %s", path, strerror(errno)), 1;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!is_stdin) fclose(f);
        return l1cli_err(cmd, "%s: is a directory, not a file", path), 1;
    }
    errno = 0;
    int rc = read_stream(cmd, path, f, data, len);
    if (is_stdin) clearerr(stdin);
    else fclose(f);
    if (rc == 0 && !allow_nul) {
        const char *nul = memchr(*data, '\0', *len);
        if (nul) {
            l1cli_err(cmd, "%s: NUL byte at offset %zu; a prompt file must be text without NUL bytes", path,
                      (size_t)(nul - *data));
            free(*data);
            *data = NULL;
            *len = 0;
            rc = 1;
        }
    }
    return rc;
}

/* ---- output paths ------------------------------------------------------------------- */

static const char *kind_of(mode_t m) {
    if (S_ISLNK(m)) return "a symbolic link";
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a named pipe";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

int l1cli_check_output_path(const char *cmd, const char *path) {
    struct stat st;
    if (!path[0]) return l1cli_err(cmd, "empty output path"), 1;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return 0;
        return l1cli_err(cmd, "%s: %s", path, strerror(errno)), 1;
    }
    if (S_ISREG(st.st_mode)) return 0;
    l1cli_err(cmd, "%s exists and is %s; refusing to replace it (remove it first or choose another path)", path,
              kind_of(st.st_mode));
    return 1;
}

void l1cli_remove_partial(const char *path) {
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) remove(path);
}

/* ---- stdout ------------------------------------------------------------------------- */

static int g_stdout_errno; /* errno when a failed write was first noticed */

bool l1cli_stdout_failed(void) {
    if (!ferror(stdout)) return false;
    if (!g_stdout_errno) g_stdout_errno = errno;
    return true;
}

int l1cli_stdout_finish(const char *cmd, int rc) {
    errno = 0;
    const bool earlier = ferror(stdout) != 0;
    /* A retried flush reports the reason (ENOSPC, EPIPE, EBADF) even when the
     * failure happened at an earlier write. */
    const bool flush_failed = fflush(stdout) != 0;
    const int e = flush_failed && errno ? errno : g_stdout_errno;
    g_stdout_errno = 0;
    clearerr(stdout);
    if (!(earlier || flush_failed) || rc != 0) return rc;
    const char *why = e ? strerror(e) : "output was lost";
    if (cmd) fprintf(stderr, "l1 %s: writing standard output failed: %s\n", cmd, why);
    else fprintf(stderr, "l1: writing standard output failed: %s\n", why);
    return 1;
}

/* ---- termination signals ------------------------------------------------------------ */

static volatile sig_atomic_t g_term_signal;
static const int k_term_signals[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction g_saved[3];

static void on_term(int sig) { g_term_signal = sig; }

void l1cli_catch_termination(void) {
    g_term_signal = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++) sigaction(k_term_signals[i], &sa, &g_saved[i]);
}

void l1cli_restore_termination(void) {
    for (int i = 0; i < 3; i++) sigaction(k_term_signals[i], &g_saved[i], NULL);
}

int l1cli_terminated(void) { return g_term_signal; }
