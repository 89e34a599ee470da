/*
 * cmd_chat.c - `l1 chat`: a multi-turn conversation.  Each line read from
 * stdin is a user message (a terminal or a pipe alike); the response is
 * streamed to stdout and its answer (the text after `</think>`) joins the
 * history, as the R1 template keeps it.  One l1_gen serves every turn, so
 * each turn evaluates only what follows the cached prefix.  "/think N"
 * changes the budget for the turns that follow; each earlier turn keeps
 * the instruction it was sent with, so the history stays cached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <getopt.h>

#include "cli.h"

static void chat_usage(FILE *f) {
    fprintf(f, "usage: l1 chat -m MODEL [options]\n"
               "Reads one user message per line from stdin and streams each response; a summary\n"
               "per turn goes to stderr.  An empty line is skipped; EOF or /exit ends;\n"
               "/think N sets the budget of the next turns (earlier turns keep theirs).\n"
               "  -h, --help            this help\n");
    l1cli_gen_usage(f);
}

typedef struct history {
    l1_message *msgs;
    int32_t *budgets; /* per message: the N its instruction was sent with (-1: none) */
    int32_t n, cap;
} history;

static bool history_add(history *h, l1_msg_role role, const char *text, int32_t budget) {
    if (h->n == h->cap) {
        int32_t cap = h->cap ? h->cap * 2 : 16;
        l1_message *m = realloc(h->msgs, (size_t)cap * sizeof *m);
        if (!m) return false;
        h->msgs = m;
        int32_t *b = realloc(h->budgets, (size_t)cap * sizeof *b);
        if (!b) return false;
        h->budgets = b;
        h->cap = cap;
    }
    char *copy = strdup(text);
    if (!copy) return false;
    h->budgets[h->n] = budget;
    h->msgs[h->n++] = (l1_message){role, copy};
    return true;
}

static void history_free(history *h) {
    for (int32_t i = 0; i < h->n; i++) free((char *)(uintptr_t)h->msgs[i].text);
    free(h->msgs);
    free(h->budgets);
}

/* One turn: the response to the history's last message; adds the answer. */
static int turn(l1_gen *g, const l1cli_gen_opts *o, history *h, double load_ms, int n_turn) {
    l1_gen_params gp = o->gp;
    gp.msg_budget = h->budgets;
    l1_status st = l1_gen_begin_chat(g, h->msgs, h->n, &gp);
    if (st != L1_OK) return l1cli_fail("chat", "generate", st);
    l1cli_stream s = {o, {0}, {0}, {0}, false, NULL};
    l1_piece p;
    while ((st = l1_gen_next(g, &p)) == L1_OK && p.kind != L1_PIECE_END) {
        if (l1cli_on_piece(&p, &s) || l1cli_interrupted(NULL)) l1_gen_abort(g);
    }
    l1_gen_result r;
    l1_gen_end(g, &r);
    int rc = 0;
    if (st != L1_OK) {
        rc = l1cli_fail("chat", "generate", st);
    } else if (l1cli_stdout_failed()) {
        rc = l1cli_stdout_finish("chat", 0);
    } else {
        fputc('\n', stdout);
        fflush(stdout);
        l1cli_summary("chat", &r, n_turn == 1 ? load_ms : 0);
        if (r.prompt_reused)
            fprintf(stderr, "l1 chat: reused %d of %d prompt tokens from the cache\n", r.prompt_reused,
                    r.prompt_tokens);
        /* Without a close the whole response is the answer (as the template
         * would keep it). */
        const char *ans = r.close != L1_CLOSE_NONE ? s.answer.data : s.text.data;
        if (!history_add(h, L1_MSG_ASSISTANT, ans ? ans : "", 0)) {
            l1cli_err("chat", "out of memory");
            rc = 1;
        }
    }
    free(s.text.data);
    free(s.reasoning.data);
    free(s.answer.data);
    return rc;
}

/* "/think N": the budget of the turns that follow (mode max if none was set). */
static bool set_think(l1cli_gen_opts *o, const char *arg) {
    int64_t v;
    if (!l1cli_parse_i64("chat", "/think", arg, 0, 1 << 30, &v)) return false;
    o->gp.budget = (int32_t)v;
    if (o->gp.budget_mode == L1_BUDGET_OFF && v > 0) o->gp.budget_mode = L1_BUDGET_MAX;
    if (v == 0) o->gp.budget_mode = L1_BUDGET_OFF;
    fprintf(stderr, "l1 chat: budget %d for the next turns\n", (int)v);
    return true;
}

static int chat_loop(l1_gen *g, l1cli_gen_opts *o, double load_ms) {
    history h = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0, n_turn = 0;
    const bool tty = isatty(STDIN_FILENO);
    for (;;) {
        if (tty) fputs("> ", stderr);
        if ((n = getline(&line, &cap, stdin)) < 0) {
            if (l1cli_interrupted(NULL)) rc = 130;
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0) continue;
        if (!strcmp(line, "/exit")) break;
        if (!strncmp(line, "/think ", 7)) {
            set_think(o, line + 7);
            continue;
        }
        /* The N this turn is sent with, kept for when it is history. */
        const int32_t own = o->gp.budget > 0 ? o->gp.budget : -1;
        if (!history_add(&h, L1_MSG_USER, line, own)) {
            rc = 1;
            l1cli_err("chat", "out of memory");
            break;
        }
        if ((rc = turn(g, o, &h, load_ms, ++n_turn))) break;
        if (l1cli_interrupted(NULL)) {
            rc = 130;
            break;
        }
    }
    free(line);
    history_free(&h);
    return rc;
}

int l1cli_chat(int argc, char **argv) {
    static const struct option own[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option longopts[64];
    l1cli_options_join(longopts, 64, own, l1cli_gen_longopts);
    l1cli_gen_opts o;
    l1cli_gen_init(&o);
    const char *v;
    int opt;
    while ((opt = l1cli_getopt("chat", argc, argv, "h" L1CLI_GEN_SHORTOPTS, longopts, &v)) != -1) {
        if (opt == 'h') return chat_usage(stdout), 0;
        if (opt == '?' || l1cli_gen_option("chat", opt, v, &o) != 1) return 2;
    }
    if (optind < argc) return l1cli_usage_err("chat", "unexpected argument '%s'", argv[optind]);
    int rc = l1cli_gen_finish_opts("chat", &o);
    if (rc) return rc;
    l1_model *m;
    l1_ctx *c;
    double load_ms;
    if ((rc = l1cli_gen_load("chat", &o, &m, &c, &load_ms))) return rc;
    l1_gen *g;
    l1_status st = l1_gen_new(c, &g);
    l1cli_catch_interrupt();
    o.gp.abort_fn = l1cli_interrupted;
    if (st != L1_OK) rc = l1cli_fail("chat", "generator", st);
    else rc = chat_loop(g, &o, load_ms);
    l1_gen_free(g);
    l1_ctx_free(c);
    l1_model_free(m);
    return rc;
}
