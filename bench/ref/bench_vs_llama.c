/*
 * bench_vs_llama.c - l1 and the reference implementation on the same GGUF
 * file in one process, measured the same way (llama-bench's method: ppP is
 * a P-token prompt evaluated from an empty cache, tgN is N tokens evaluated
 * one at a time from an empty cache; one warm-up run each), alternating
 * engine by engine and test by test (ref pp, l1 pp, ref tg, l1 tg, ...) so
 * that whatever else loads the machine weighs on both alike.  Prints the
 * mean +- stddev t/s of each and the ratio l1 / reference.
 *
 * -d N measures at depth N, as llama-bench's -d: N tokens of context are
 * evaluated first (untimed), then the test.  Each engine evaluates the
 * depth tokens once; every run after that drops the positions past N
 * (l1_ctx_truncate, llama_memory_seq_rm) instead of evaluating them again.
 *
 * -np S measures the generation with S sequences decoded together after a
 * shared context (the depth tokens, evaluated once in sequence 0 and
 * shared: llama_memory_seq_cp into a unified cache for the reference,
 * l1_ctx_seq_copy for l1), one token of each sequence per batch (a
 * llama_batch with S seq_ids / an l1_batch); t/s is the aggregate,
 * S * N / time, as llama.cpp's batched bench reports it.
 *
 * The reference runs with its defaults for a CPU build (flash attention
 * "auto", F16 cache, n_batch = n_ubatch = 512) and the given threads for
 * both generation and batches.  Built by bench/ref.mk:
 *
 *   make -f bench/ref.mk BUILD=build/release speed MODEL=f.gguf [THREADS=2 RUNS=3]
 *   build/release/bench/ref/bench_vs_llama MODEL.gguf [-p 512] [-n 128] [-d 0] [-np 1] [-r 3] [-t 2] [--only ref|l1]
 *
 * --only loads and times one engine alone, e.g. the reference's baseline on
 * a file where l1 would take long, or to read each one's peak memory
 * (/usr/bin/time -f %M).  --no-repack loads l1 with no_repack (matrices
 * used in place from the mapping).  The load time printed runs from
 * opening the file to a context ready to evaluate.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gguf_context; /* named in llama.h before its declaration */
#include "ggml-backend.h"
#include "l1.h"
#include "llama.h"

#define MAX_RUNS 100
#define N_BATCH 512

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)level;
    (void)text;
    (void)user;
}

static unsigned g_rng = 2024u;
static int32_t random_token(int32_t n_vocab) {
    g_rng = g_rng * 1664525u + 1013904223u;
    return (int32_t)((g_rng >> 8) % (unsigned)n_vocab);
}

typedef struct engines {
    struct llama_model *rm;
    struct llama_context *rctx;
    l1_model *lm;
    l1_ctx *lctx;
    int32_t n_vocab;
    int32_t *toks;
    int depth;       /* tokens of context before each test */
    int n_par;       /* sequences of the generation test */
    int filled[2];   /* the depth tokens are in the reference's / l1's cache */
} engines;

/* Evaluates the depth tokens, in batches (untimed). */
static int fill_depth_ref(engines *e) {
    for (int i = 0; i < e->depth; i += N_BATCH) {
        const int n = e->depth - i < N_BATCH ? e->depth - i : N_BATCH;
        for (int k = 0; k < n; k++) e->toks[k] = random_token(e->n_vocab);
        if (llama_decode(e->rctx, llama_batch_get_one(e->toks, n)) != 0) return -1;
    }
    e->filled[0] = 1;
    return 0;
}

static int fill_depth_l1(engines *e) {
    for (int i = 0; i < e->depth; i += N_BATCH) {
        const int n = e->depth - i < N_BATCH ? e->depth - i : N_BATCH;
        for (int k = 0; k < n; k++) e->toks[k] = random_token(e->n_vocab);
        if (l1_ctx_eval(e->lctx, e->toks, n, 0) != L1_OK) return -1;
    }
    e->filled[1] = 1;
    return 0;
}

/* Seconds for one run of the reference: n_prompt tokens in batches, or
 * n_gen tokens one at a time, after the depth tokens (an empty cache at
 * depth 0); negative on failure. */
static double run_ref(engines *e, int n_prompt, int n_gen) {
    if (e->depth == 0) {
        llama_memory_clear(llama_get_memory(e->rctx), false);
    } else if (!e->filled[0]) {
        llama_memory_clear(llama_get_memory(e->rctx), false);
        if (fill_depth_ref(e)) return -1;
    } else if (!llama_memory_seq_rm(llama_get_memory(e->rctx), 0, e->depth, -1)) {
        return -1;
    }
    for (int i = 0; i < n_prompt; i++) e->toks[i] = random_token(e->n_vocab);
    const double t0 = now_s();
    for (int i = 0; i < n_prompt; i += N_BATCH) {
        const int n = n_prompt - i < N_BATCH ? n_prompt - i : N_BATCH;
        if (llama_decode(e->rctx, llama_batch_get_one(e->toks + i, n)) != 0) return -1;
    }
    for (int i = 0; i < n_gen; i++) {
        llama_token t = random_token(e->n_vocab);
        if (llama_decode(e->rctx, llama_batch_get_one(&t, 1)) != 0) return -1;
    }
    llama_synchronize(e->rctx);
    return now_s() - t0;
}

/* The generation with e->n_par sequences after the shared depth tokens. */
static double run_ref_par(engines *e, int n_gen) {
    struct llama_memory_i *mem = llama_get_memory(e->rctx);
    if (e->depth == 0 || !e->filled[0]) {
        llama_memory_clear(mem, false);
        if (e->depth && fill_depth_ref(e)) return -1;
    } else {
        for (int s = 0; s < e->n_par; s++)
            if (!llama_memory_seq_rm(mem, s, s == 0 ? e->depth : 0, -1)) return -1;
    }
    for (int s = 1; s < e->n_par && e->depth; s++) llama_memory_seq_cp(mem, 0, s, -1, -1);
    struct llama_batch b = llama_batch_init(e->n_par, 0, 1);
    const double t0 = now_s();
    for (int i = 0; i < n_gen; i++) {
        b.n_tokens = e->n_par;
        for (int s = 0; s < e->n_par; s++) {
            b.token[s] = random_token(e->n_vocab);
            b.pos[s] = e->depth + i;
            b.n_seq_id[s] = 1;
            b.seq_id[s][0] = s;
            b.logits[s] = 1;
        }
        if (llama_decode(e->rctx, b) != 0) {
            llama_batch_free(b);
            return -1;
        }
    }
    llama_synchronize(e->rctx);
    const double t = now_s() - t0;
    llama_batch_free(b);
    return t;
}

static double run_l1_par(engines *e, int n_gen) {
    if (l1_ctx_truncate(e->lctx, e->filled[1] ? e->depth : 0) != L1_OK) return -1;
    if (!e->filled[1] && fill_depth_l1(e)) return -1;
    for (int s = 1; s < e->n_par; s++)
        if (l1_ctx_seq_copy(e->lctx, 0, s, e->depth) != L1_OK) return -1;
    l1_token tok[L1_MAX_SEQ];
    int32_t seq[L1_MAX_SEQ];
    const double t0 = now_s();
    for (int i = 0; i < n_gen; i++) {
        for (int s = 0; s < e->n_par; s++) tok[s] = random_token(e->n_vocab), seq[s] = s;
        l1_batch b = {e->n_par, tok, seq, NULL, NULL};
        if (l1_ctx_decode(e->lctx, &b) != L1_OK) return -1;
    }
    return now_s() - t0;
}

static double run_l1(engines *e, int n_prompt, int n_gen) {
    if (l1_ctx_truncate(e->lctx, e->filled[1] ? e->depth : 0) != L1_OK) return -1;
    if (!e->filled[1] && fill_depth_l1(e)) return -1;
    for (int i = 0; i < n_prompt; i++) e->toks[i] = random_token(e->n_vocab);
    const double t0 = now_s();
    if (n_prompt > 0 && l1_ctx_eval(e->lctx, e->toks, n_prompt, 0) != L1_OK) return -1;
    for (int i = 0; i < n_gen; i++) {
        l1_token t = random_token(e->n_vocab);
        if (l1_ctx_eval(e->lctx, &t, 1, 0) != L1_OK) return -1;
    }
    return now_s() - t0;
}

static void stats(const double *v, int n, double *avg, double *sd) {
    double s = 0, q = 0;
    for (int i = 0; i < n; i++) s += v[i];
    *avg = s / n;
    for (int i = 0; i < n; i++) q += (v[i] - *avg) * (v[i] - *avg);
    *sd = n > 1 ? sqrt(q / (n - 1)) : 0.0;
}

/* Loads the engines in use[] (model and context each), timing each load
 * (file open to a context ready to evaluate) into load_s[]. */
static int open_engines(const char *path, int threads, int n_ctx, int n_par, const int use[2], int no_repack,
                        engines *e, double load_s[2]) {
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(getenv("L1_REF_LIB"));
    llama_backend_init();
    if (use[0]) {
        const double t0 = now_s();
        struct llama_model *rm = e->rm = llama_model_load_from_file(path, llama_model_default_params());
        if (!rm) {
            fprintf(stderr, "reference: cannot load %s\n", path);
            return 1;
        }
        struct llama_context_params cp = llama_context_default_params();
        cp.n_ctx = (uint32_t)(n_ctx * n_par);
        cp.n_seq_max = (uint32_t)n_par;
        cp.kv_unified = n_par > 1; /* the sequences share the depth tokens' cells */
        cp.n_batch = cp.n_ubatch = N_BATCH;
        cp.n_threads = cp.n_threads_batch = threads;
        cp.no_perf = true;
        e->rctx = llama_init_from_model(rm, cp);
        if (!e->rctx) {
            fprintf(stderr, "reference: cannot make a context\n");
            return 1;
        }
        load_s[0] = now_s() - t0;
        e->n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(rm));
    }
    if (use[1]) {
        const double t0 = now_s();
        l1_model_params mp = l1_model_default_params();
        mp.no_repack = no_repack;
        l1_ctx_params lp = l1_ctx_default_params();
        lp.n_ctx = n_ctx;
        lp.n_batch = N_BATCH;
        lp.n_threads = threads;
        lp.allow_ctx_over_train = 1;
        lp.n_seq = n_par;
        if (l1_model_load(path, &mp, &e->lm) != L1_OK || l1_ctx_new(e->lm, &lp, &e->lctx) != L1_OK) {
            fprintf(stderr, "cannot set up %s: %s\n", path, l1_last_error());
            return 1;
        }
        load_s[1] = now_s() - t0;
        e->n_vocab = l1_n_vocab(e->lm);
    }
    return 0;
}

int main(int argc, char **argv) {
    int n_prompt = 512, n_gen = 128, runs = 3, threads = 2, use[2] = {1, 1}, no_repack = 0, depth = 0, n_par = 1;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-p") && i + 1 < argc) n_prompt = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) n_gen = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-d") && i + 1 < argc) depth = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-np") && i + 1 < argc) n_par = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-repack")) no_repack = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            i++;
            use[0] = !strcmp(argv[i], "ref");
            use[1] = !strcmp(argv[i], "l1");
        } else path = argv[i];
    }
    if (!path || n_prompt < 0 || n_gen < 0 || depth < 0 || n_prompt + n_gen < 1 || runs < 1 || runs > MAX_RUNS ||
        threads < 1 || !(use[0] || use[1]) || n_par < 1 || n_par > L1_MAX_SEQ) {
        fprintf(stderr, "usage: %s MODEL.gguf [-p 512] [-n 128] [-d 0] [-np 1] [-r 3] [-t 2] [--only ref|l1] "
                        "[--no-repack]\n",
                argv[0]);
        return 2;
    }
    engines e = {0};
    e.depth = depth;
    e.n_par = n_par;
    const int n_ctx = depth + (n_prompt > n_gen ? n_prompt : n_gen) + 1;
    double load_s[2] = {NAN, NAN};
    if (open_engines(path, threads, n_ctx, n_par, use, no_repack, &e, load_s)) return 1;
    e.toks = malloc((size_t)(n_prompt + N_BATCH + 1) * sizeof *e.toks);
    if (!e.toks) return 1;
    /* tests[0] = pp, tests[1] = tg; samples [test][engine][run] in t/s. */
    const int tp[2] = {n_prompt, 0}, tg[2] = {0, n_gen};
    static double ts[2][2][MAX_RUNS];
    /* Warm-up: the prompt, or one token.  The first prompt after load also
     * pays each engine's one-time work (pages read in, l1's repacking). */
    double first_s[2] = {NAN, NAN};
    for (int t = 0; t < 2; t++) {
        if (tp[t] + tg[t] == 0) continue;
        const bool par = t == 1 && n_par > 1;
        const double a = !use[0] ? 0 : par ? run_ref_par(&e, 1) : run_ref(&e, tp[t], tg[t] ? 1 : 0);
        const double b = !use[1] ? 0 : par ? run_l1_par(&e, 1) : run_l1(&e, tp[t], tg[t] ? 1 : 0);
        if (a < 0 || b < 0) {
            fprintf(stderr, "warm-up failed: %s\n", l1_last_error());
            return 1;
        }
        if (t == 0) {
            first_s[0] = use[0] ? a : NAN;
            first_s[1] = use[1] ? b : NAN;
        }
    }
    for (int r = 0; r < runs; r++)
        for (int t = 0; t < 2; t++) {
            if (tp[t] + tg[t] == 0) continue;
            const bool par = t == 1 && n_par > 1;
            const double a = !use[0] ? NAN : par ? run_ref_par(&e, tg[t]) : run_ref(&e, tp[t], tg[t]);
            const double b = !use[1] ? NAN : par ? run_l1_par(&e, tg[t]) : run_l1(&e, tp[t], tg[t]);
            if (a < 0 || b < 0) {
                fprintf(stderr, "run %d failed: %s\n", r, l1_last_error());
                return 1;
            }
            const double tokens = tp[t] + (par ? n_par : 1) * tg[t];
            ts[t][0][r] = tokens / a;
            ts[t][1][r] = tokens / b;
            fprintf(stderr, "run %d %s: reference %.2f t/s, l1 %.2f t/s\n", r, t ? "tg" : "pp", ts[t][0][r],
                    ts[t][1][r]);
        }
    printf("%s, %d thread%s, %d run%s each, alternating", path, threads, threads > 1 ? "s" : "", runs,
           runs > 1 ? "s" : "");
    if (depth) printf(", at depth %d", depth);
    printf("\n\n");
    printf("| test | llama.cpp t/s | l1 t/s | l1 / llama.cpp |\n|---|---:|---:|---:|\n");
    for (int t = 0; t < 2; t++) {
        if (tp[t] + tg[t] == 0) continue;
        double ar, sr, al, sl;
        stats(ts[t][0], runs, &ar, &sr);
        stats(ts[t][1], runs, &al, &sl);
        char c[3][48];
        snprintf(c[0], sizeof c[0], use[0] ? "%.2f ± %.2f" : "-", ar, sr);
        snprintf(c[1], sizeof c[1], use[1] ? "%.2f ± %.2f" : "-", al, sl);
        snprintf(c[2], sizeof c[2], use[0] && use[1] ? "%.2fx" : "-", al / ar);
        char name[48];
        snprintf(name, sizeof name, depth ? "%s%d @ d%d" : "%s%d", t ? "tg" : "pp", t ? n_gen : n_prompt, depth);
        if (t == 1 && n_par > 1) snprintf(name + strlen(name), sizeof name - strlen(name), " x%d (aggregate)", n_par);
        printf("| %s | %s | %s | %s |\n", name, c[0], c[1], c[2]);
    }
    if (tp[0] > 0) {
        double ar, sr, al, sl;
        stats(ts[0][0], runs, &ar, &sr);
        stats(ts[0][1], runs, &al, &sl);
        printf("\ntime to first token of a %d-token prompt (prompt evaluation): llama.cpp %.3f s, l1 %.3f s\n",
               n_prompt, n_prompt / ar, n_prompt / al);
    }
    printf("load (model + context): llama.cpp %.3f s, l1 %.3f s%s\n", load_s[0], load_s[1],
           no_repack ? " (l1 without repacking)" : "");
    if (tp[0] > 0 && depth == 0)
        printf("load + first %d-token prompt (one-time work included): llama.cpp %.3f s, l1 %.3f s\n", n_prompt,
               load_s[0] + first_s[0], load_s[1] + first_s[1]);
    free(e.toks);
    l1_ctx_free(e.lctx);
    l1_model_free(e.lm);
    if (e.rctx) llama_free(e.rctx);
    if (e.rm) llama_model_free(e.rm);
    llama_backend_free();
    return 0;
}
