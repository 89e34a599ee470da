/*
 * cmd_bench.c - `l1 bench`: prompt-processing and generation speed of a
 * model file, measured as llama-bench measures them so the two tools'
 * numbers compare directly:
 *   ppP  evaluate a P-token prompt from an empty cache (one l1_ctx_eval);
 *   tgN  generate N tokens one at a time from an empty cache;
 * each test runs once as a warm-up (tg: one token), then -r times; the
 * result is the mean and sample standard deviation of tokens per second.
 * Columns and JSON field names follow llama-bench (n_prompt, n_gen,
 * n_threads, avg_ts, stddev_ts, samples_ts ...).
 *
 * Added to them: the effective weight bandwidth (bytes of weights one token
 * reads, times t/s) and its share of a read-bandwidth roofline measured
 * here with the same number of threads, which says how far decode is from
 * the memory limit.  A decoded token reads every tensor except the token
 * embeddings (one row), unless the output head reuses them; a prompt reads
 * the weights once per batch of n_batch tokens.
 *
 * Tokens are pseudo-random ids: speed does not depend on their values.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "cli.h"
#include "gguf/gguf.h"
#include "model/model.h"

#define MAX_REPS 1000
#define BW_BYTES (256u << 20) /* well past any last-level cache */
#define BW_SECONDS 0.5
#define N_BATCH 512

typedef enum { OUT_MD, OUT_JSON, OUT_CSV } out_fmt;

typedef struct opts {
    const char *model;
    int64_t n_prompt, n_gen, reps, threads;
    out_fmt fmt;
    int no_repack;
} opts;

typedef struct result {
    const char *kind; /* "pp" or "tg" */
    int64_t n_prompt, n_gen;
    double samples_ts[MAX_REPS], samples_ns[MAX_REPS];
    double avg_ts, stddev_ts, avg_ns, stddev_ns;
    double gbps; /* weight bytes per token x avg_ts, GB/s */
} result;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- read-bandwidth roofline -------------------------------------------------- */

typedef struct bw_job {
    const uint64_t *buf;
    size_t n;      /* words of this thread's slice */
    double until;  /* stop reading at this time */
    uint64_t bytes, sink;
} bw_job;

#define BW_STREAMS 4
#define BW_AHEAD 2048 /* words (16 KiB) prefetched ahead of each stream */

/* Reads its slice over and over as BW_STREAMS interleaved streams, one
 * cache line of each per step, prefetching ahead: the access pattern of
 * the multi-row matvec kernels, which on server cores is what reaches the
 * memory limit (one plain stream per core is latency-bound there). */
static void *bw_thread(void *arg) {
    bw_job *j = (bw_job *)arg;
    const size_t per = j->n / BW_STREAMS / 8 * 8;
    uint64_t acc[BW_STREAMS] = {0};
    do {
        for (size_t i = 0; i < per; i += 8)
            for (int s = 0; s < BW_STREAMS; s++) {
                const uint64_t *p = j->buf + (size_t)s * per + i;
                __builtin_prefetch(p + BW_AHEAD);
                acc[s] += (p[0] ^ p[1]) + (p[2] ^ p[3]) + (p[4] ^ p[5]) + (p[6] ^ p[7]);
            }
        j->bytes += per * BW_STREAMS * sizeof *j->buf;
    } while (now_s() < j->until);
    for (int s = 0; s < BW_STREAMS; s++) j->sink += acc[s];
    return NULL;
}

/* GB/s read by `threads` threads together from a buffer far larger than
 * the caches; 0 when it cannot be measured. */
static double read_bandwidth(int threads) {
    const size_t words = BW_BYTES / sizeof(uint64_t);
    uint64_t *buf = l1__malloc(BW_BYTES);
    bw_job *jobs = l1__calloc((size_t)threads, sizeof *jobs);
    pthread_t *tids = l1__calloc((size_t)threads, sizeof *tids);
    double gbps = 0;
    if (buf && jobs && tids) {
        for (size_t i = 0; i < words; i++) buf[i] = i * 0x9e3779b97f4a7c15ull;
        for (int pass = 0; pass < 2; pass++) { /* the first pass warms the mapping */
            const double t0 = now_s();
            int started = 0;
            for (int t = 0; t < threads; t++) {
                const size_t per = words / (size_t)threads;
                jobs[t] = (bw_job){buf + (size_t)t * per, per, t0 + BW_SECONDS, 0, 0};
                if (pthread_create(&tids[t], NULL, bw_thread, &jobs[t]) != 0) break;
                started++;
            }
            uint64_t bytes = 0;
            for (int t = 0; t < started; t++) {
                pthread_join(tids[t], NULL);
                bytes += jobs[t].bytes;
            }
            gbps = started == threads ? (double)bytes / (now_s() - t0) / 1e9 : 0;
        }
    }
    l1__free(tids);
    l1__free(jobs);
    l1__free(buf);
    return gbps;
}

/* ---- the tests ---------------------------------------------------------------- */

static uint32_t g_rng = 12345u;
static l1_token random_token(int32_t n_vocab) {
    g_rng = g_rng * 1664525u + 1013904223u;
    return (l1_token)((g_rng >> 8) % (uint32_t)n_vocab);
}

/* Seconds for one run of the test (prompt of n_prompt, or n_gen single
 * tokens) from an empty cache; negative on failure (message printed). */
static double run_once(l1_ctx *ctx, l1_token *toks, int64_t n_prompt, int64_t n_gen, int32_t n_vocab) {
    l1_status st = l1_ctx_truncate(ctx, 0);
    const double t0 = now_s();
    if (st == L1_OK && n_prompt > 0) {
        for (int64_t i = 0; i < n_prompt; i++) toks[i] = random_token(n_vocab);
        st = l1_ctx_eval(ctx, toks, (int32_t)n_prompt, 0);
    }
    for (int64_t i = 0; st == L1_OK && i < n_gen; i++) {
        l1_token t = random_token(n_vocab);
        st = l1_ctx_eval(ctx, &t, 1, 0);
    }
    if (st != L1_OK) {
        l1cli_fail("bench", "evaluation failed", st);
        return -1;
    }
    return now_s() - t0;
}

static void stats(const double *v, int64_t n, double *avg, double *sd) {
    double s = 0, q = 0;
    for (int64_t i = 0; i < n; i++) s += v[i];
    *avg = s / (double)n;
    for (int64_t i = 0; i < n; i++) q += (v[i] - *avg) * (v[i] - *avg);
    *sd = n > 1 ? sqrt(q / (double)(n - 1)) : 0.0;
}

static bool run_test(l1_ctx *ctx, l1_token *toks, const opts *o, result *r, int32_t n_vocab,
                     double bytes_per_tok) {
    const int64_t tokens = r->n_prompt + r->n_gen;
    /* Warm-up: the whole prompt, or one generated token. */
    if (run_once(ctx, toks, r->n_prompt, r->n_prompt ? 0 : 1, n_vocab) < 0) return false;
    for (int64_t i = 0; i < o->reps; i++) {
        const double s = run_once(ctx, toks, r->n_prompt, r->n_gen, n_vocab);
        if (s < 0) return false;
        r->samples_ns[i] = s * 1e9;
        r->samples_ts[i] = (double)tokens / s;
    }
    stats(r->samples_ts, o->reps, &r->avg_ts, &r->stddev_ts);
    stats(r->samples_ns, o->reps, &r->avg_ns, &r->stddev_ns);
    r->gbps = bytes_per_tok * r->avg_ts / 1e9;
    return true;
}

/* Bytes of weights one token reads in a test: everything but the token
 * embeddings' other rows when the output head has its own matrix; a
 * prompt shares each read among the tokens of one batch. */
static double weight_bytes_per_token(const l1_model *m, const result *r) {
    const l1__gguf *g = l1__model_gguf(m);
    uint64_t total = 0;
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) total += l1__gguf_tensor_at(g, i)->nbytes;
    const l1__gguf_tensor *emb = l1__gguf_find_tensor(g, "token_embd.weight");
    if (emb && l1__gguf_find_tensor(g, "output.weight")) total -= emb->nbytes;
    if (r->n_prompt == 0) return (double)total;
    const int64_t batches = (r->n_prompt + N_BATCH - 1) / N_BATCH;
    return (double)total * (double)batches / (double)r->n_prompt;
}

/* ---- output ------------------------------------------------------------------- */

typedef struct model_facts {
    char type[96];
    uint64_t size, n_params;
    double roofline; /* GB/s */
    int threads;
} model_facts;

static void test_name(const result *r, char *buf, size_t cap) {
    if (r->n_prompt) snprintf(buf, cap, "pp%" PRId64, r->n_prompt);
    else snprintf(buf, cap, "tg%" PRId64, r->n_gen);
}

static void print_md(const model_facts *f, const result *rs, int n) {
    printf("| model | size | params | backend | threads | test | t/s | GB/s | roofline %% |\n");
    printf("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (int i = 0; i < n; i++) {
        char t[32];
        test_name(&rs[i], t, sizeof t);
        printf("| %s | %.2f GiB | %.2f B | CPU | %d | %s | %.2f ± %.2f | %.1f | %.0f%% |\n", f->type,
               (double)f->size / (1024.0 * 1024.0 * 1024.0), (double)f->n_params / 1e9, f->threads, t,
               rs[i].avg_ts, rs[i].stddev_ts, rs[i].gbps,
               f->roofline > 0 ? 100.0 * rs[i].gbps / f->roofline : 0.0);
    }
    printf("\nread bandwidth roofline, %d thread%s: %.1f GB/s\n", f->threads, f->threads > 1 ? "s" : "",
           f->roofline);
}

/* ns as integers, t/s with six decimals, as llama-bench writes them. */
static void print_list(const double *v, int64_t n, const char *sep, bool ns) {
    for (int64_t i = 0; i < n; i++) printf(ns ? "%s%.0f" : "%s%.6f", i ? sep : "", v[i]);
}

static void print_json(const model_facts *f, const result *rs, int n, int64_t reps) {
    printf("[\n");
    for (int i = 0; i < n; i++) {
        const result *r = &rs[i];
        printf("  {\n    \"build_commit\": \"l1\", \"build_number\": 0, \"backends\": \"CPU\",\n");
        printf("    \"model_type\": \"%s\", \"model_size\": %" PRIu64 ", \"model_n_params\": %" PRIu64
               ",\n", f->type, f->size, f->n_params);
        printf("    \"n_batch\": %d, \"n_threads\": %d, \"type_k\": \"f16\", \"type_v\": \"f16\",\n",
               N_BATCH, f->threads);
        printf("    \"n_prompt\": %" PRId64 ", \"n_gen\": %" PRId64 ",\n", r->n_prompt, r->n_gen);
        printf("    \"avg_ns\": %.0f, \"stddev_ns\": %.0f, \"avg_ts\": %.6f, \"stddev_ts\": %.6f,\n",
               r->avg_ns, r->stddev_ns, r->avg_ts, r->stddev_ts);
        printf("    \"samples_ns\": [");
        print_list(r->samples_ns, reps, ", ", true);
        printf("],\n    \"samples_ts\": [");
        print_list(r->samples_ts, reps, ", ", false);
        printf("],\n    \"weight_gbps\": %.3f, \"roofline_gbps\": %.3f, \"roofline_pct\": %.2f\n  }%s\n",
               r->gbps, f->roofline, f->roofline > 0 ? 100.0 * r->gbps / f->roofline : 0.0,
               i + 1 < n ? "," : "");
    }
    printf("]\n");
}

static void print_csv(const model_facts *f, const result *rs, int n, int64_t reps) {
    printf("model_type,model_size,model_n_params,backends,n_batch,n_threads,n_prompt,n_gen,avg_ns,"
           "stddev_ns,avg_ts,stddev_ts,samples_ns,samples_ts,weight_gbps,roofline_gbps,roofline_pct\n");
    for (int i = 0; i < n; i++) {
        const result *r = &rs[i];
        printf("\"%s\",%" PRIu64 ",%" PRIu64 ",CPU,%d,%d,%" PRId64 ",%" PRId64 ",%.0f,%.0f,%.6f,%.6f,\"",
               f->type, f->size, f->n_params, N_BATCH, f->threads, r->n_prompt, r->n_gen, r->avg_ns,
               r->stddev_ns, r->avg_ts, r->stddev_ts);
        print_list(r->samples_ns, reps, ";", true);
        printf("\",\"");
        print_list(r->samples_ts, reps, ";", false);
        printf("\",%.3f,%.3f,%.2f\n", r->gbps, f->roofline,
               f->roofline > 0 ? 100.0 * r->gbps / f->roofline : 0.0);
    }
}

/* ---- command ------------------------------------------------------------------ */

static void usage(FILE *f) {
    fprintf(f, "usage: l1 bench -m MODEL.gguf [-p 512] [-n 128] [-r 5] [-t THREADS] [-o md|json|csv]\n"
               "                [--no-repack]\n"
               "Prompt (ppP) and generation (tgN) speed as llama-bench measures it: a warm-up run,\n"
               "then -r runs from an empty cache; mean +- stddev tokens/s, weight GB/s and the\n"
               "share of the read bandwidth measured with the same threads.  -p 0 or -n 0 skips\n"
               "that test; -t 0 (default) = one thread per physical core.  --no-repack keeps\n"
               "every matrix in place in the mapped file (no 8-row interleaved copy at load).\n");
}

static int parse(int argc, char **argv, opts *o) {
    *o = (opts){NULL, 512, 128, 5, 0, OUT_MD, 0};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return -1;
        }
        if (!strcmp(argv[i], "--no-repack")) {
            o->no_repack = 1;
        } else if (l1cli_opt(argc, argv, &i, "-m", &v)) {
            if (!v) return 2;
            o->model = v;
        } else if (l1cli_opt(argc, argv, &i, "-p", &v)) {
            if (!l1cli_parse_i64("bench", "-p", v, 0, 1 << 20, &o->n_prompt)) return 2;
        } else if (l1cli_opt(argc, argv, &i, "-n", &v)) {
            if (!l1cli_parse_i64("bench", "-n", v, 0, 1 << 20, &o->n_gen)) return 2;
        } else if (l1cli_opt(argc, argv, &i, "-r", &v)) {
            if (!l1cli_parse_i64("bench", "-r", v, 1, MAX_REPS, &o->reps)) return 2;
        } else if (l1cli_opt(argc, argv, &i, "-t", &v)) {
            if (!l1cli_parse_i64("bench", "-t", v, 0, 256, &o->threads)) return 2;
        } else if (l1cli_opt(argc, argv, &i, "-o", &v)) {
            if (!v) return 2;
            if (!strcmp(v, "md")) o->fmt = OUT_MD;
            else if (!strcmp(v, "json")) o->fmt = OUT_JSON;
            else if (!strcmp(v, "csv")) o->fmt = OUT_CSV;
            else {
                l1cli_err("bench", "-o: expected md, json or csv, got '%s'", v);
                return 2;
            }
        } else {
            l1cli_err("bench", "unknown option '%s'", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!o->model) {
        usage(stderr);
        return 2;
    }
    if (o->n_prompt == 0 && o->n_gen == 0) {
        l1cli_err("bench", "-p 0 and -n 0: nothing to measure");
        return 2;
    }
    return 0;
}

static int bench_model(const opts *o, l1_model *m) {
    l1_model_desc d;
    l1_model_info(m, &d);
    l1_ctx_params cp = l1_ctx_default_params();
    const int64_t need = o->n_prompt > o->n_gen ? o->n_prompt : o->n_gen;
    if (need > d.n_ctx_train) cp.allow_ctx_over_train = 1;
    cp.n_ctx = (int32_t)need;
    cp.n_batch = N_BATCH;
    cp.n_threads = (int32_t)o->threads;
    model_facts f;
    snprintf(f.type, sizeof f.type, "%s %.1fB %s", d.arch, (double)d.n_params / 1e9, d.weight_type);
    f.size = d.memory.weights;
    f.n_params = d.n_params;
    f.threads = o->threads ? (int)o->threads : l1__cpu_get()->n_cores_physical;
    if (f.threads < 1) f.threads = 1;
    l1_ctx *ctx = NULL;
    l1_status st = l1_ctx_new(m, &cp, &ctx);
    if (st != L1_OK) return l1cli_fail("bench", "cannot create the context", st);
    l1_token *toks = l1__calloc((size_t)(o->n_prompt + 1), sizeof *toks);
    result *rs = l1__calloc(2, sizeof *rs);
    int n = 0, rc = 0;
    if (!toks || !rs) {
        l1cli_err("bench", "out of memory");
        rc = 1;
    }
    if (!rc && o->n_prompt) rs[n++] = (result){.kind = "pp", .n_prompt = o->n_prompt};
    if (!rc && o->n_gen) rs[n++] = (result){.kind = "tg", .n_gen = o->n_gen};
    for (int i = 0; !rc && i < n; i++)
        if (!run_test(ctx, toks, o, &rs[i], d.n_vocab, weight_bytes_per_token(m, &rs[i]))) rc = 1;
    if (!rc) {
        f.roofline = read_bandwidth(f.threads);
        if (o->fmt == OUT_MD) print_md(&f, rs, n);
        else if (o->fmt == OUT_JSON) print_json(&f, rs, n, o->reps);
        else print_csv(&f, rs, n, o->reps);
    }
    l1__free(rs);
    l1__free(toks);
    l1_ctx_free(ctx);
    return rc;
}

int l1cli_bench(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    l1_model *m = NULL;
    l1_model_params mp = l1_model_default_params();
    mp.no_repack = o.no_repack;
    const double t0 = now_s();
    l1_status st = l1_model_load(o.model, &mp, &m);
    if (st != L1_OK) return l1cli_fail("bench", o.model, st);
    if (o.fmt == OUT_MD) printf("model load: %.3f s%s\n\n", now_s() - t0, o.no_repack ? " (no repacking)" : "");
    rc = bench_model(&o, m);
    l1_model_free(m);
    return rc;
}
