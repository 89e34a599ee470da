/*
 * main.c - the `l1` tool: one binary with subcommands.  Output meant for
 * machines or pipes goes to stdout; progress and errors go to stderr.
 * Shared here: one-line error messages, getopt_long parsing, progress
 * drawn only on a terminal, and the Ctrl-C flag.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

typedef struct {
    const char *name;
    l1cli_cmd_fn fn;
    const char *summary;
} command;

static const command k_commands[] = {
    {"info", l1cli_info, "inspect a GGUF file (metadata, tensors by type; --json)"},
    {"synth", l1cli_synth, "write a synthetic Qwen2 model (random weights, any shape)"},
    {"logits", l1cli_logits, "write the raw f32 logits of a token sequence"},
    {"quantize", l1cli_quantize, "quantize an F32/F16/BF16 model (Q4_0 .. Q6_K, Q4_K_M mixes)"},
    {"tokenize", l1cli_tokenize, "print the token ids of a text (--json: with pieces)"},
    {"run", l1cli_run, "generate a response with a thinking budget (--think N; --json)"},
    {"chat", l1cli_chat, "interactive multi-turn chat (reads lines from stdin)"},
    {"bench", l1cli_bench, "prompt and generation speed, llama-bench compatible (-p 512 -n 128)"},
    {"serve", l1cli_serve, "OpenAI-compatible HTTP server (/v1/chat/completions, per-request budget)"},
};

/* ---- messages ------------------------------------------------------------------ */

static void verr(const char *cmd, const char *fmt, va_list ap, bool hint) {
    fprintf(stderr, "l1 %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    if (hint) fprintf(stderr, " (see l1 %s --help)", cmd);
    fputc('\n', stderr);
}

void l1cli_err(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(cmd, fmt, ap, false);
    va_end(ap);
}

int l1cli_usage_err(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(cmd, fmt, ap, true);
    va_end(ap);
    return 2;
}

int l1cli_fail(const char *cmd, const char *what, l1_status st) {
    const char *detail = l1_last_error();
    if (detail && detail[0]) fprintf(stderr, "l1 %s: %s\n", cmd, detail);
    else fprintf(stderr, "l1 %s: %s: %s\n", cmd, what, l1_status_str(st));
    return 1;
}

bool l1cli_parse_i64(const char *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                     int64_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno == ERANGE || v < lo || v > hi) {
        l1cli_usage_err(cmd, "%s: expected an integer in [%lld, %lld], got '%s'", opt, (long long)lo,
                        (long long)hi, s ? s : "");
        return false;
    }
    *out = v;
    return true;
}

bool l1cli_parse_f64(const char *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out) {
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || errno == ERANGE || !isfinite(v) || v < lo || v > hi) {
        l1cli_usage_err(cmd, "%s: expected a number in [%g, %g], got '%s'", opt, lo, hi, s ? s : "");
        return false;
    }
    *out = v;
    return true;
}

/* ---- options ------------------------------------------------------------------- */

/* The option as the user wrote it, without "=value". */
static void written(char *buf, size_t cap, const char *arg) {
    size_t n = strcspn(arg, "=");
    if (n >= cap) n = cap - 1;
    memcpy(buf, arg, n);
    buf[n] = '\0';
}

/* The argv that getopt last parsed; l1cli_main forgets it, so a command run
 * twice in one process (the fuzz target) never inherits a finished scan. */
static char **g_seen_argv;

static int next_option(const char *cmd, int argc, char **argv, const char *shortopts,
                       const struct option *longopts, const char **arg, bool long_only) {
    if (g_seen_argv != argv) { /* a new argv: start over */
        g_seen_argv = argv;
        optind = 0;     /* glibc: full reinitialisation */
    }
    char spec[128];
    snprintf(spec, sizeof spec, ":%s", shortopts); /* ':' reports a missing value apart */
    opterr = 0;
    int c = long_only ? getopt_long_only(argc, argv, spec, longopts, NULL)
                      : getopt_long(argc, argv, spec, longopts, NULL);
    *arg = optarg;
    if (c != '?' && c != ':') return c;
    /* Name the option as written.  glibc leaves optopt 0 for an unknown long
     * option, else the option's code; a long option's word was just passed. */
    const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    const bool long_word = word[0] == '-' && (word[1] == '-' || (long_only && word[1] && word[2]));
    char name[64];
    if (optopt == 0 && long_word) {
        written(name, sizeof name, word);
    } else if (optopt == 0 && word[0] == '-') { /* -long with getopt_long_only */
        written(name, sizeof name, word);
    } else {
        snprintf(name, sizeof name, "-%c", optopt > 0 && optopt < 0x80 ? optopt : '?');
        for (const struct option *o = longopts; o && o->name; o++) {
            if (o->val != optopt) continue;
            char w[64];
            written(w, sizeof w, word);
            const char *wn = w + (w[1] == '-' ? 2 : 1);
            if (optopt >= L1CLI_OPT_LONG || (long_word && !strncmp(wn, o->name, strlen(wn)))) {
                snprintf(name, sizeof name, "--%s", o->name);
                break;
            }
        }
    }
    if (c == ':') return l1cli_usage_err(cmd, "option '%s' needs a value", name), '?';
    if (long_word && strchr(word, '=') && optopt != 0)
        return l1cli_usage_err(cmd, "option '%s' takes no value", name), '?';
    if (optopt == 0 && name[0] == '-') { /* an abbreviation of several long options? */
        const char *n = name + (name[1] == '-' ? 2 : 1);
        int matches = 0;
        for (const struct option *o = longopts; o && o->name; o++) matches += !strncmp(o->name, n, strlen(n));
        if (matches > 1) return l1cli_usage_err(cmd, "ambiguous option '%s'", name), '?';
    }
    l1cli_usage_err(cmd, "unknown option '%s'", name);
    return '?';
}

int l1cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
                 const struct option *longopts, const char **arg) {
    return next_option(cmd, argc, argv, shortopts, longopts, arg, false);
}

int l1cli_getopt_long_only(const char *cmd, int argc, char **argv, const char *shortopts,
                           const struct option *longopts, const char **arg) {
    return next_option(cmd, argc, argv, shortopts, longopts, arg, true);
}

int l1cli_options_join(struct option *out, int cap, const struct option *a, const struct option *b) {
    int n = 0;
    for (const struct option *src[2] = {a, b}, **s = src; s < src + 2; s++)
        for (const struct option *o = *s; o && o->name; o++) {
            if (n + 1 >= cap) return -1;
            out[n++] = *o;
        }
    memset(&out[n], 0, sizeof out[n]);
    return n;
}

/* ---- progress ------------------------------------------------------------------ */

double l1cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool l1cli_stderr_is_tty(void) { return isatty(STDERR_FILENO) != 0; }

void l1cli_progress_begin(l1cli_progress *p, const char *cmd, const char *what) {
    p->cmd = cmd;
    p->what = what;
    p->tty = l1cli_stderr_is_tty();
    p->drawn = false;
    p->t0 = l1cli_now();
    p->last = 0;
}

void l1cli_progress_update(l1cli_progress *p, double fraction, const char *detail) {
    if (!p->tty) return;
    const double now = l1cli_now();
    if (now - p->t0 < 0.3) return; /* quick work shows nothing */
    if (now - p->last < 0.1 && fraction < 1.0) return;
    p->last = now;
    fprintf(stderr, "\r\x1b[Kl1 %s: %s", p->cmd, p->what);
    if (fraction >= 0) fprintf(stderr, " %3.0f%%", 100.0 * (fraction > 1 ? 1 : fraction));
    else fprintf(stderr, " %.1f s", now - p->t0);
    if (detail) fprintf(stderr, " %s", detail);
    fflush(stderr);
    p->drawn = true;
}

void l1cli_progress_clear(l1cli_progress *p) {
    if (p->tty && p->drawn) fputs("\r\x1b[K", stderr);
    p->drawn = false;
}

int l1cli_progress_load(float fraction, void *user) {
    l1cli_progress_update(user, fraction, NULL);
    return 0;
}

/* ---- Ctrl-C ---------------------------------------------------------------------- */

static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig) {
    (void)sig;
    g_interrupted = 1;
}

void l1cli_catch_interrupt(void) {
    g_interrupted = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    /* One-shot (a second Ctrl-C ends the process), and no restart: a read
     * waiting on the terminal returns, so `l1 chat` stops too. */
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
}

int l1cli_interrupted(void *unused) {
    (void)unused;
    return g_interrupted != 0;
}

/* ---- entry ------------------------------------------------------------------------ */

static void usage(FILE *f) {
    fprintf(f, "usage: l1 <command> [options]   (l1 <command> --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        fprintf(f, "  %-10s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(f, "\n  --version  print the library version\n"
               "\nExit status: 0 ok, 1 failure (one line on stderr), 2 bad usage, 130 interrupted.\n");
}

/* Runs the command in argv[1] and checks that everything it wrote to stdout
 * reached it: a failed write or final flush (a full disk, a closed pipe)
 * turns success into status 1 with one line naming the error. */
int l1cli_main(int argc, char **argv) {
    g_seen_argv = NULL;
    clearerr(stdout);
    if (argc < 2) {
        fprintf(stderr, "l1: no command (see l1 --help)\n");
        return 2;
    }
    const char *cmd = argv[1];
    int rc = 0;
    bool found = true;
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
    } else if (!strcmp(cmd, "--version")) {
        printf("l1 %s\n", l1_version());
    } else {
        found = false;
        for (size_t i = 0; !found && i < sizeof k_commands / sizeof k_commands[0]; i++)
            if ((found = !strcmp(cmd, k_commands[i].name))) rc = k_commands[i].fn(argc - 1, argv + 1);
    }
    if (!found) {
        fprintf(stderr, "l1: unknown command '%s' (see l1 --help)\n", cmd);
        return 2;
    }
    return l1cli_stdout_finish(cmd[0] == '-' || !strcmp(cmd, "help") ? NULL : cmd, rc);
}

#ifndef L1CLI_NO_MAIN
int main(int argc, char **argv) { return l1cli_main(argc, argv); }
#endif
