/*
 * budget_eval.c - accuracy and length against the thinking budget N, on the
 * trained reasoner model (examples/reasoner.gguf), through the public API.
 *
 * P fresh arithmetic problems (fixed seed) are asked at each budget N of
 * {16, 24, 32, 48, 64, 96, 128, 256} under four policies:
 *
 *   max-soft  l1's max mode with its soft landing (the default window)
 *   max-hard  l1's max mode without it (window -1: only the forced close)
 *   cut       a plain hard cut: the instruction, no controller, generation
 *             stopped at N tokens whether or not an answer came
 *   instr     the instruction alone, nothing enforced (the L1 paper's own
 *             evaluation): the model's own length control
 *   forced    max-soft on a model that cannot close by itself (its </think>
 *             banned by a -inf bias): every close is the controller's, the
 *             hardest case for closing at a word boundary
 *
 * plus "off" (no instruction, no budget) once.  For each cell: accuracy (the
 * last \boxed{} of the answer equals the value computed here), mean and max
 * response length, share of responses over N, share with an answer, and
 * how thinking closed: natural (the model wrote </think>), forced at a
 * word boundary, forced mid-word (l1_gen_result.close_mid_word: no boundary
 * came within the controller's wait), or never.  Also the paper's mean |length - N| / N for instr, and accuracy per
 * operation and digit count at the largest budget.
 *
 * With --samples K (K >= 2), each problem is also asked K times at every
 * budget under max-soft, the K responses decoded together (l1_generate_n,
 * seeds s .. s+K-1), and the majority of their \boxed{} values (ties: the
 * value seen first) is scored beside the mean single-sample accuracy of the
 * same responses: self-consistency under a budget.  Sampled (--temp > 0)
 * is the meaningful setting; greedy gives K equal responses.
 *
 * Output: a Markdown table on stdout; -o FILE writes the cells as CSV and,
 * next to it (FILE with .svg), a plot of accuracy and mean length against N.
 *
 * With --draft D (D = auto or 1..16) it measures speculative decoding
 * instead: each problem is answered under max-soft at N = 256 with drafts
 * off and with D, the two in alternating order, and the table gives
 * whether the texts are identical, the decode speed of each (generated
 * tokens over decode time, summed over the problems), their ratio and how
 * many drafted tokens were accepted.
 *
 *   build/release/bench/budget_eval -m examples/reasoner.gguf [-n 500] [-o budget.csv]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l1.h"

enum { N_BUDGETS = 8, N_POLICIES = 5, MAX_DIGITS = 4, N_OPS = 3 };
static const int32_t k_budgets[N_BUDGETS] = {16, 24, 32, 48, 64, 96, 128, 256};
static const char *const k_policy[N_POLICIES] = {"max-soft", "max-hard", "cut", "instr", "forced"};
/* The model's </think>, banned by the "forced" policy. */
static l1_logit_bias g_ban_close;
static const char k_ops[N_OPS] = {'+', '-', '*'};
/* --reserve / --window: the controller's R and W for the max policies
 * (-2: the library's default). */
static int32_t g_reserve = -2, g_window = -2;
/* --policies: which policies run (all by default); "off" runs with all. */
static bool g_run[N_POLICIES] = {true, true, true, true, true};
static bool g_all = true;

/* Parses --policies' comma-separated names; nonzero on an unknown one. */
static int select_policies(const char *list) {
    for (int pi = 0; pi < N_POLICIES; pi++) g_run[pi] = false;
    g_all = false;
    while (*list) {
        size_t n = strcspn(list, ",");
        int found = -1;
        for (int pi = 0; pi < N_POLICIES; pi++)
            if (strlen(k_policy[pi]) == n && !strncmp(list, k_policy[pi], n)) found = pi;
        if (found < 0) {
            fprintf(stderr, "budget_eval: unknown policy '%.*s' in --policies\n", (int)n, list);
            return 1;
        }
        g_run[found] = true;
        list += n + (list[n] == ',');
    }
    return 0;
}
/* Generation cap where nothing else bounds the response. */
#define CAP_TOKENS 400

typedef struct {
    long a, b;
    char op;
    int digits; /* digits of the longer operand */
} problem;

typedef struct {
    int n, correct, answered, over, natural, boundary, midword, unclosed;
    long sum_len, max_len;
    double sum_rel_err; /* |len - N| / N */
} cell;

typedef struct {
    char think[8192];
    size_t n_think;
    char answer[2048];
    size_t n_answer;
} texts;

static void append(char *buf, size_t cap, size_t *n, const char *s, int32_t len) {
    size_t k = (size_t)len;
    if (*n + k + 1 > cap) k = cap - 1 - *n;
    memcpy(buf + *n, s, k);
    *n += k;
    buf[*n] = '\0';
}

static int collect(const l1_piece *pc, void *user) {
    texts *t = user;
    if (pc->kind != L1_PIECE_TEXT) return 0;
    if (pc->phase == L1_PHASE_THINKING)
        append(t->think, sizeof t->think, &t->n_think, pc->text, pc->len);
    else
        append(t->answer, sizeof t->answer, &t->n_answer, pc->text, pc->len);
    return 0;
}

typedef struct vote_texts {
    texts t[64];
} vote_texts;

static int collect_seq(int32_t seq, const l1_piece *pc, void *user) {
    return collect(pc, &((vote_texts *)user)->t[seq]);
}

static uint64_t next_u64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int n_digits(long v) {
    int d = 1;
    for (v = v < 0 ? -v : v; v >= 10; v /= 10) d++;
    return d;
}

/* Addition and subtraction: each operand 1..4 digits; multiplication: 1..3
 * digits times one digit (the training distribution's shapes). */
static problem make_problem(uint64_t *s) {
    static const long pow10[] = {1, 10, 100, 1000, 10000};
    problem p;
    p.op = k_ops[next_u64(s) % N_OPS];
    int da = 1 + (int)(next_u64(s) % (p.op == '*' ? 3 : 4));
    p.a = (long)(next_u64(s) % (uint64_t)pow10[da]);
    if (p.op == '*') {
        p.b = (long)(next_u64(s) % 10);
    } else {
        int db = 1 + (int)(next_u64(s) % 4);
        p.b = (long)(next_u64(s) % (uint64_t)pow10[db]);
    }
    int x = n_digits(p.a), y = n_digits(p.b);
    p.digits = x > y ? x : y;
    return p;
}

static long expected(const problem *p) {
    return p->op == '+' ? p->a + p->b : p->op == '-' ? p->a - p->b : p->a * p->b;
}

static int boxed_value(const char *s, long *out) {
    const char *last = NULL;
    for (const char *q = strstr(s, "\\boxed{"); q; q = strstr(q + 1, "\\boxed{")) last = q;
    if (!last) return 0;
    const char *p = last + strlen("\\boxed{");
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || *end != '}') return 0;
    *out = v;
    return 1;
}

/* The user message asking problem p. */
static void question(const problem *p, char q[64]) { snprintf(q, 64, "What is %ld %c %ld?", p->a, p->op, p->b); }

static int op_index(char op) { return op == '+' ? 0 : op == '-' ? 1 : 2; }

/* Runs one generation and adds it to *c (and to the per-op/digit cell). */
static int run_one(l1_ctx *ctx, const problem *p, const l1_gen_params *gp, int32_t n_budget, cell *c,
                   cell *by_kind) {
    char q[64];
    question(p, q);
    texts t;
    memset(&t, 0, sizeof t);
    l1_gen_result r;
    if (l1_generate(ctx, q, gp, collect, &t, &r) != L1_OK) {
        fprintf(stderr, "budget_eval: %s: %s\n", q, l1_last_error());
        return -1;
    }
    long len = r.tokens_thinking + r.tokens_answer, got = 0;
    int answered = boxed_value(t.answer, &got);
    int correct = answered && got == expected(p);
    cell *cs[2] = {c, by_kind};
    for (int i = 0; i < 2; i++) {
        cell *x = cs[i];
        if (!x) continue;
        x->n++;
        x->correct += correct;
        x->answered += answered;
        x->sum_len += len;
        if (len > x->max_len) x->max_len = len;
        if (n_budget > 0) {
            x->over += len > n_budget;
            x->sum_rel_err += (double)labs(len - n_budget) / (double)n_budget;
        }
        if (r.close == L1_CLOSE_NATURAL) {
            x->natural++;
        } else if (r.close == L1_CLOSE_FORCED) {
            if (r.close_mid_word) x->midword++;
            else x->boundary++;
            if (r.close_mid_word && i == 0) { /* shown once: what a cut word looks like */
                size_t k = t.n_think > 40 ? t.n_think - 40 : 0;
                fprintf(stderr, "budget_eval: %s, N=%d: mid-word close after \"%s\"\n", q, (int)n_budget,
                        t.think + k);
            }
        } else {
            x->unclosed++;
        }
    }
    return 0;
}

/* K responses to p decoded together: adds the correct single responses to
 *single and 1 to *majority when the most frequent boxed value is right. */
static int run_vote(l1_ctx *ctx, const problem *p, const l1_gen_params *gp, int32_t k, vote_texts *vt,
                    int *single, int *majority) {
    char q[64];
    question(p, q);
    memset(vt, 0, sizeof *vt);
    if (l1_generate_n(ctx, q, k, gp, collect_seq, vt, NULL) != L1_OK) {
        fprintf(stderr, "budget_eval: %s: %s\n", q, l1_last_error());
        return -1;
    }
    long val[64];
    int has[64], best = 0;
    long winner = 0;
    for (int32_t i = 0; i < k; i++) {
        has[i] = boxed_value(vt->t[i].answer, &val[i]);
        *single += has[i] && val[i] == expected(p);
    }
    for (int32_t i = 0; i < k; i++) {
        if (!has[i]) continue;
        int c = 0;
        for (int32_t j = 0; j < k; j++) c += has[j] && val[j] == val[i];
        if (c > best) best = c, winner = val[i];
    }
    *majority += best > 0 && winner == expected(p);
    return 0;
}

static l1_gen_params policy_params(int policy, int32_t n, float temp, uint64_t seed) {
    l1_gen_params gp = l1_gen_default_params();
    gp.temperature = temp;
    gp.seed = seed;
    gp.budget = n;
    if (g_reserve != -2) gp.reserve = g_reserve > n ? n : g_reserve;
    if (g_window != -2) gp.window = g_window;
    switch (policy) {
    case 0: gp.budget_mode = L1_BUDGET_MAX; break;
    case 1:
        gp.budget_mode = L1_BUDGET_MAX;
        gp.window = -1;
        break;
    case 2:
        gp.budget_mode = L1_BUDGET_OFF;
        gp.max_tokens = n;
        break;
    case 3:
        gp.budget_mode = L1_BUDGET_OFF;
        gp.max_tokens = CAP_TOKENS;
        break;
    case 4:
        gp.budget_mode = L1_BUDGET_MAX;
        gp.bias = &g_ban_close;
        gp.n_bias = 1;
        break;
    default: /* off: no instruction, nothing enforced */
        gp.budget_mode = L1_BUDGET_OFF;
        gp.budget = 0;
        gp.max_tokens = CAP_TOKENS;
        break;
    }
    return gp;
}

static double pct(int a, int n) { return n ? 100.0 * a / n : 0.0; }

/* --draft: each problem with drafts off and with `draft`, alternating
 * which goes first; returns nonzero on a failed generation or when a
 * response differs. */
static int draft_speed(l1_ctx *ctx, const problem *probs, int n, float temp, uint64_t seed, int32_t draft) {
    static texts t[2];
    double ms[2] = {0, 0};
    long toks[2] = {0, 0}, drafted = 0, accepted = 0;
    int differ = 0;
    for (int i = 0; i < n; i++) {
        char q[64];
        question(&probs[i], q);
        for (int r = 0; r < 2; r++) {
            const int w = (i + r) % 2; /* 0: off, 1: drafts */
            l1_gen_params gp = policy_params(0, 256, temp, seed * 1000003u + (uint64_t)i);
            gp.draft = w ? draft : 0;
            memset(&t[w], 0, sizeof t[w]);
            l1_gen_result res;
            if (l1_generate(ctx, q, &gp, collect, &t[w], &res) != L1_OK) {
                fprintf(stderr, "budget_eval: %s: %s\n", q, l1_last_error());
                return 1;
            }
            ms[w] += res.decode_ms;
            toks[w] += res.decode_tokens;
            if (w) {
                drafted += res.draft_tokens;
                accepted += res.draft_accepted;
            }
        }
        if (strcmp(t[0].think, t[1].think) || strcmp(t[0].answer, t[1].answer)) {
            fprintf(stderr, "budget_eval: %s: the response with drafts differs\n", q);
            differ++;
        }
    }
    const double tps0 = ms[0] > 0 ? toks[0] * 1e3 / ms[0] : 0, tps1 = ms[1] > 0 ? toks[1] * 1e3 / ms[1] : 0;
    printf("%d problems, max-soft N = 256, %s\n\n", n, temp > 0 ? "sampled" : "greedy");
    printf("| draft | identical | tokens | decode t/s off | decode t/s on | on / off | drafted | accepted |\n"
           "|---|---|---|---|---|---|---|---|\n");
    char d[16];
    if (draft == L1_DRAFT_AUTO) snprintf(d, sizeof d, "auto");
    else snprintf(d, sizeof d, "%d", (int)draft);
    printf("| %s | %d / %d | %ld | %.1f | %.1f | %.3f | %ld | %ld (%.1f%%) |\n", d, n - differ, n, toks[1], tps0,
           tps1, tps0 > 0 ? tps1 / tps0 : 0.0, drafted, accepted, drafted ? 100.0 * accepted / drafted : 0.0);
    return differ != 0 || toks[0] != toks[1];
}

static void print_row(FILE *f, const char *policy, const char *budget, const cell *c, int csv) {
    double mean = c->n ? (double)c->sum_len / c->n : 0.0;
    if (csv) {
        fprintf(f, "%s,%s,%d,%.4f,%.2f,%ld,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", policy, budget, c->n,
                pct(c->correct, c->n) / 100, mean, c->max_len, pct(c->over, c->n) / 100,
                pct(c->answered, c->n) / 100, pct(c->natural, c->n) / 100, pct(c->boundary, c->n) / 100,
                pct(c->midword, c->n) / 100, pct(c->unclosed, c->n) / 100, c->n ? c->sum_rel_err / c->n : 0.0);
        return;
    }
    fprintf(f, "| %-8s | %4s | %5.1f%% | %6.1f | %4ld | %5.1f%% | %5.1f%% | %5.1f%% | %5.1f%% | %5.1f%% | %5.1f%% |",
            policy, budget, pct(c->correct, c->n), mean, c->max_len, pct(c->over, c->n), pct(c->answered, c->n),
            pct(c->natural, c->n), pct(c->boundary, c->n), pct(c->midword, c->n), pct(c->unclosed, c->n));
    if (strcmp(policy, "instr") == 0) fprintf(f, " %5.1f%% |\n", 100.0 * c->sum_rel_err / (c->n ? c->n : 1));
    else fprintf(f, "   -   |\n");
}

/* ---- SVG plot ---------------------------------------------------------------- */

static const char *const k_colors[N_POLICIES] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};

static double x_of(int j, double x0, double w) { return x0 + w * j / (N_BUDGETS - 1); }

static void svg_panel(FILE *f, cell cells[N_POLICIES][N_BUDGETS], int what, double x0, double y0,
                      double w, double h) {
    double ymax = 100.0;
    if (what == 1) ymax = k_budgets[N_BUDGETS - 1];
    fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='#444'/>\n", x0, y0, w, h);
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='14' text-anchor='middle'>%s</text>\n", x0 + w / 2, y0 - 8,
            what == 0 ? "accuracy (%) against N" : "mean response length (tokens) against N");
    for (int k = 0; k <= 4; k++) {
        double v = ymax * k / 4, y = y0 + h - h * k / 4;
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>\n", x0, y, x0 + w, y);
        fprintf(f, "<text x='%.1f' y='%.1f' font-size='11' text-anchor='end'>%.0f</text>\n", x0 - 4, y + 4, v);
    }
    for (int j = 0; j < N_BUDGETS; j++)
        fprintf(f, "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>%d</text>\n", x_of(j, x0, w),
                y0 + h + 14, (int)k_budgets[j]);
    if (what == 1) { /* the line length = N */
        fprintf(f, "<polyline fill='none' stroke='#999' stroke-dasharray='4,3' points='");
        for (int j = 0; j < N_BUDGETS; j++)
            fprintf(f, "%.1f,%.1f ", x_of(j, x0, w), y0 + h - h * k_budgets[j] / ymax);
        fprintf(f, "'/>\n");
    }
    for (int pi = 0; pi < N_POLICIES; pi++) {
        if (!g_run[pi]) continue;
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' points='", k_colors[pi]);
        for (int j = 0; j < N_BUDGETS; j++) {
            const cell *c = &cells[pi][j];
            double v = what == 0 ? pct(c->correct, c->n) : (c->n ? (double)c->sum_len / c->n : 0.0);
            if (v > ymax) v = ymax;
            fprintf(f, "%.1f,%.1f ", x_of(j, x0, w), y0 + h - h * v / ymax);
        }
        fprintf(f, "'/>\n");
    }
}

static int write_svg(const char *path, cell cells[N_POLICIES][N_BUDGETS], int n_problems) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='900' height='420' font-family='sans-serif'>\n");
    fprintf(f, "<rect width='900' height='420' fill='white'/>\n");
    svg_panel(f, cells, 0, 60, 40, 340, 300);
    svg_panel(f, cells, 1, 500, 40, 340, 300);
    fprintf(f, "<text x='450' y='375' font-size='12' text-anchor='middle'>thinking budget N (tokens), %d "
               "problems per point; dashed: length = N</text>\n", n_problems);
    for (int pi = 0; pi < N_POLICIES; pi++) {
        double x = 120 + 150 * pi;
        fprintf(f, "<line x1='%.0f' y1='400' x2='%.0f' y2='400' stroke='%s' stroke-width='3'/>", x, x + 24,
                k_colors[pi]);
        fprintf(f, "<text x='%.0f' y='404' font-size='12'>%s</text>\n", x + 30, k_policy[pi]);
    }
    fprintf(f, "</svg>\n");
    return fclose(f);
}

/* ---- main ------------------------------------------------------------------- */

static void usage(void) {
    fprintf(stderr, "usage: budget_eval [-m MODEL] [-n PROBLEMS] [--seed S] [--temp T] [-t THREADS] [-o FILE.csv]\n"
                    "  -m       the reasoner model (default examples/reasoner.gguf)\n"
                    "  -n       problems per budget and policy (default 500)\n"
                    "  --seed   problem and sampling seed (default 1)\n"
                    "  --temp   sampling temperature (default 0: greedy)\n"
                    "  --samples K  also score the majority of K responses decoded together (max-soft,\n"
                    "           2 <= K <= 64), next to their single-sample accuracy\n"
                    "  --reserve R, --window W  the controller's reserve (at most N) and soft-landing\n"
                    "           window for the max policies (default: the library's; max-hard keeps none)\n"
                    "  --policies LIST  only these policies, comma-separated (default all: max-soft,\n"
                    "           max-hard, cut, instr, forced)\n"
                    "  -o       write the cells as CSV to FILE and the plot to FILE with .svg\n"
                    "  --draft D  measure speculative decoding instead (D = auto or 1..16): each problem\n"
                    "           with drafts off and with D; identical texts, decode speed, acceptance\n"
                    "  --check  exit 1 unless max mode (max-soft, max-hard) keeps every response within N,\n"
                    "           ends every one with \\boxed{...}, never closes mid-word, and (when cut runs)\n"
                    "           is at least as accurate as the plain cut at every N\n");
}

/* --check: the budget issue's promises for max mode over every problem
 * and budget that ran; each broken one is named on stderr.  Returns the
 * number broken. */
static int check_max_mode(cell cells[N_POLICIES][N_BUDGETS]) {
    int broken = 0;
    for (int pi = 0; pi < 2; pi++) {
        if (!g_run[pi]) continue;
        for (int j = 0; j < N_BUDGETS; j++) {
            const cell *c = &cells[pi][j], *cut = &cells[2][j];
            const char *what = NULL;
            int k = 0;
            if (c->over) what = "over N", k = c->over;
            else if (c->answered < c->n) what = "without \\boxed{...}", k = c->n - c->answered;
            else if (c->midword) what = "closed mid-word", k = c->midword;
            else if (g_run[2] && c->correct < cut->correct)
                what = "fewer right than the plain cut", k = cut->correct - c->correct;
            if (!what) continue;
            fprintf(stderr, "budget_eval: check: %s at N=%d: %d of %d responses %s\n", k_policy[pi],
                    (int)k_budgets[j], k, c->n, what);
            broken++;
        }
    }
    return broken;
}

int main(int argc, char **argv) {
    const char *model_path = "examples/reasoner.gguf", *csv_path = NULL;
    int n_problems = 500, n_threads = 1, n_samples = 0;
    int32_t draft = 0;
    bool check = false;
    uint64_t seed = 1;
    float temp = 0.0f;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return 0;
        }
        if (!strcmp(a, "--check")) {
            check = true;
            continue;
        }
        if (!v) {
            usage();
            return 2;
        }
        if (!strcmp(a, "-m")) model_path = v;
        else if (!strcmp(a, "-n")) n_problems = atoi(v);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--temp")) temp = (float)atof(v);
        else if (!strcmp(a, "-t")) n_threads = atoi(v);
        else if (!strcmp(a, "--samples")) n_samples = atoi(v);
        else if (!strcmp(a, "-o")) csv_path = v;
        else if (!strcmp(a, "--reserve")) g_reserve = atoi(v);
        else if (!strcmp(a, "--window")) g_window = atoi(v);
        else if (!strcmp(a, "--policies")) {
            if (select_policies(v)) return 2;
        }
        else if (!strcmp(a, "--draft")) draft = strcmp(v, "auto") ? atoi(v) : L1_DRAFT_AUTO;
        else {
            usage();
            return 2;
        }
        i++;
    }
    if (check && !g_run[0] && !g_run[1]) {
        fprintf(stderr, "budget_eval: --check needs max-soft or max-hard among --policies\n");
        return 2;
    }
    if (n_problems < 1 || n_threads < 1 || !(temp >= 0.0f) || (n_samples && (n_samples < 2 || n_samples > 64)) ||
        (draft != L1_DRAFT_AUTO && (draft < 0 || draft > L1_DRAFT_MAX))) {
        usage();
        return 2;
    }
    l1_model *model;
    l1_ctx *ctx;
    if (l1_model_load(model_path, NULL, &model) != L1_OK) {
        fprintf(stderr, "budget_eval: %s: %s\n", model_path, l1_last_error());
        return 1;
    }
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = 512;
    cp.n_threads = n_threads;
    if (l1_ctx_new(model, &cp, &ctx) != L1_OK) {
        fprintf(stderr, "budget_eval: %s\n", l1_last_error());
        l1_model_free(model);
        return 1;
    }
    g_ban_close = (l1_logit_bias){l1_token_special(model, L1_SPECIAL_THINK_CLOSE), -1.0f / 0.0f};
    problem *probs = malloc((size_t)n_problems * sizeof *probs);
    if (!probs) return 1;
    uint64_t s = seed;
    for (int i = 0; i < n_problems; i++) probs[i] = make_problem(&s);

    static cell cells[N_POLICIES][N_BUDGETS], off, kind[N_POLICIES][N_OPS][MAX_DIGITS];
    int rc = 0;
    if (draft) {
        rc = draft_speed(ctx, probs, n_problems, temp, seed, draft);
        goto done;
    }
    for (int pi = 0; pi < N_POLICIES && !rc; pi++)
        for (int j = 0; j < N_BUDGETS && !rc && g_run[pi]; j++) {
            for (int i = 0; i < n_problems && !rc; i++) {
                l1_gen_params gp = policy_params(pi, k_budgets[j], temp, seed * 1000003u + (uint64_t)i);
                cell *bk = j == N_BUDGETS - 1 ? &kind[pi][op_index(probs[i].op)][probs[i].digits - 1] : NULL;
                rc = run_one(ctx, &probs[i], &gp, k_budgets[j], &cells[pi][j], bk);
            }
            fprintf(stderr, "budget_eval: %s N=%d done\n", k_policy[pi], (int)k_budgets[j]);
        }
    for (int i = 0; i < n_problems && !rc && g_all; i++) {
        l1_gen_params gp = policy_params(-1, 0, temp, seed * 1000003u + (uint64_t)i);
        rc = run_one(ctx, &probs[i], &gp, 0, &off, NULL);
    }
    static int vote_single[N_BUDGETS], vote_major[N_BUDGETS];
    l1_ctx *vctx = NULL;
    vote_texts *vt = NULL;
    if (!rc && n_samples) {
        cp.n_seq = n_samples;
        vt = malloc(sizeof *vt);
        if (!vt || l1_ctx_new(model, &cp, &vctx) != L1_OK) {
            fprintf(stderr, "budget_eval: a context for %d sequences: %s\n", n_samples, vt ? l1_last_error() : "out of memory");
            rc = 1;
        }
        for (int j = 0; j < N_BUDGETS && !rc; j++) {
            for (int i = 0; i < n_problems && !rc; i++) {
                l1_gen_params gp = policy_params(0, k_budgets[j], temp, seed * 1000003u + (uint64_t)i * 64u);
                rc = run_vote(vctx, &probs[i], &gp, n_samples, vt, &vote_single[j], &vote_major[j]);
            }
            fprintf(stderr, "budget_eval: max-soft x%d N=%d done\n", n_samples, (int)k_budgets[j]);
        }
    }
    l1_ctx_free(vctx);
    free(vt);
    if (rc) goto done;

    printf("%d problems per row (+, - up to 4 digits; * up to 3 x 1 digits), %s, model %s\n\n", n_problems,
           temp > 0 ? "sampled" : "greedy", model_path);
    printf("| policy   |    N |  acc   |  mean  |  max | over N | answer | natural | boundary | mid-word | "
           "unclosed | abs(len-N)/N |\n");
    printf("|----------|------|--------|--------|------|--------|--------|---------|----------|----------|"
           "----------|--------------|\n");
    char nb[16];
    for (int pi = 0; pi < N_POLICIES; pi++)
        for (int j = 0; j < N_BUDGETS && g_run[pi]; j++) {
            snprintf(nb, sizeof nb, "%d", (int)k_budgets[j]);
            print_row(stdout, k_policy[pi], nb, &cells[pi][j], 0);
        }
    if (g_all) print_row(stdout, "off", "-", &off, 0);
    printf("\naccuracy at N = %d per operation and digits of the longer operand:\n\n", (int)k_budgets[N_BUDGETS - 1]);
    printf("| policy   | op | 1 digit | 2 digits | 3 digits | 4 digits |\n|---|---|---|---|---|---|\n");
    for (int pi = 0; pi < N_POLICIES; pi++)
        for (int o = 0; o < N_OPS && g_run[pi]; o++) {
            printf("| %-8s | %c  |", k_policy[pi], k_ops[o]);
            for (int d = 0; d < MAX_DIGITS; d++) {
                const cell *c = &kind[pi][o][d];
                if (c->n) printf(" %5.1f%% (%d) |", pct(c->correct, c->n), c->n);
                else printf("    -    |");
            }
            printf("\n");
        }
    if (n_samples) {
        printf("\nmax-soft, %d responses per problem decoded together (%s): mean single-sample accuracy and the "
               "majority vote's\n\n| N | single | majority of %d |\n|---|---|---|\n",
               n_samples, temp > 0 ? "sampled" : "greedy: all equal", n_samples);
        for (int j = 0; j < N_BUDGETS; j++)
            printf("| %d | %5.1f%% | %5.1f%% |\n", (int)k_budgets[j],
                   100.0 * vote_single[j] / ((double)n_problems * n_samples), pct(vote_major[j], n_problems));
    }
    if (csv_path) {
        FILE *f = fopen(csv_path, "w");
        if (!f) {
            fprintf(stderr, "budget_eval: cannot write %s\n", csv_path);
            rc = 1;
            goto done;
        }
        fprintf(f, "policy,budget,n,accuracy,mean_len,max_len,over_n,answered,natural,boundary,midword,unclosed,"
                   "mean_rel_len_err\n");
        for (int pi = 0; pi < N_POLICIES; pi++)
            for (int j = 0; j < N_BUDGETS && g_run[pi]; j++) {
                snprintf(nb, sizeof nb, "%d", (int)k_budgets[j]);
                print_row(f, k_policy[pi], nb, &cells[pi][j], 1);
            }
        if (g_all) print_row(f, "off", "", &off, 1);
        fclose(f);
        char svg[4096];
        size_t n = strlen(csv_path);
        if (n > 4 && !strcmp(csv_path + n - 4, ".csv")) n -= 4;
        snprintf(svg, sizeof svg, "%.*s.svg", (int)n, csv_path);
        if (write_svg(svg, cells, n_problems) != 0) {
            fprintf(stderr, "budget_eval: cannot write %s\n", svg);
            rc = 1;
        } else {
            fprintf(stderr, "budget_eval: wrote %s and %s\n", csv_path, svg);
        }
    }
    if (check) {
        int broken = check_max_mode(cells);
        if (broken) rc = 1;
        else fprintf(stderr, "budget_eval: check: max mode kept every promise on %d problems\n", n_problems);
    }
done:
    free(probs);
    l1_ctx_free(ctx);
    l1_model_free(model);
    return rc;
}
