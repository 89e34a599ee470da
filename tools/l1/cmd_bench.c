/*
 * cmd_bench.c - `l1 bench`: prompt-processing and generation speed of a
 * model file, measured as llama-bench measures them and written in its
 * formats (md, csv, json, jsonl, sql) with every one of its fields, so the
 * numbers compare directly and llama.cpp's own scripts
 * (scripts/compare-llama-bench.py) read l1's output unchanged:
 *   ppP      evaluate a P-token prompt (one l1_ctx_eval, split into n_batch
 *            batches inside);
 *   tgN      generate N tokens one at a time;
 *   ppP+tgN  both, timed together (-pg P,N);
 *   @ dD     after a D-token context already in the cache (-d D), which is
 *            evaluated once per test and kept (the cache is cut back to D
 *            before every run), not timed;
 *   xS       S sequences at once (--parallel S): the depth and the prompt
 *            are evaluated once, in sequence 0, and copied to the others
 *            (a shared prompt), then every generation step decodes one
 *            token of each sequence in one batch (l1_ctx_decode); t/s is
 *            the aggregate, (prompt + S * generated tokens) / time, as
 *            llama.cpp's batched bench reports it.
 * Each test runs once as a warm-up (the prompt, or one generated token),
 * then -r times; the result is the mean and sample standard deviation of
 * tokens per second.  -p, -n, -d, -t and -b take comma lists and ranges
 * (first-last, first-last+step, first-last*mult) and may be repeated; every
 * combination is one test, in llama-bench's order.
 *
 * Added to llama-bench's fields: the effective weight bandwidth (bytes of
 * weights one token reads, times t/s) and its share of a read-bandwidth
 * roofline measured here with the same number of threads, which says how
 * far decode is from the memory limit.  A decoded token reads every tensor
 * except the token embeddings (one row), unless the output head reuses
 * them; a prompt reads the weights once per batch of n_batch tokens.
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
#include "json.h"
#include "l1_build_info.h"
#include "model/model.h"

#define MAX_REPS 1000
#define MAX_LIST 64
#define BW_BYTES (256u << 20) /* well past any last-level cache */
#define BW_SECONDS 0.5
#define DEFAULT_BATCH 512

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
    } while (l1cli_now() < j->until);
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
            const double t0 = l1cli_now();
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
            gbps = started == threads ? (double)bytes / (l1cli_now() - t0) / 1e9 : 0;
        }
    }
    l1__free(tids);
    l1__free(jobs);
    l1__free(buf);
    return gbps;
}

/* ---- options ------------------------------------------------------------------- */

typedef enum { OUT_MD, OUT_CSV, OUT_JSON, OUT_JSONL, OUT_SQL } out_fmt;

typedef struct list {
    int64_t v[MAX_LIST];
    int n;
} list;

typedef struct opts {
    const char *model;
    list n_prompt, n_gen, n_depth, threads, batch, parallel;
    int64_t pg[MAX_LIST][2];
    int n_pg;
    int64_t reps;
    out_fmt fmt;
    l1_kv_type kv;
    bool kv_set;
    bool no_repack, progress, no_warmup, no_roofline;
} opts;

/* Appends "a,b-c,d-e+s,f-g*m" to l (llama-bench's range syntax). */
static bool parse_list(const char *opt, const char *s, int64_t lo, int64_t hi, list *l) {
    const char *p = s;
    for (;;) {
        char *end;
        int64_t first = strtoll(p, &end, 10), last, step = 1;
        char op = '+';
        if (end == p || first < lo || first > hi) goto bad;
        last = first;
        p = end;
        if (*p == '-') {
            last = strtoll(p + 1, &end, 10);
            if (end == p + 1 || last < first || last > hi) goto bad;
            p = end;
            if (*p == '+' || *p == '*') {
                op = *p;
                step = strtoll(p + 1, &end, 10);
                if (end == p + 1 || (op == '+' && step < 1) || (op == '*' && step < 2)) goto bad;
                p = end;
            }
        }
        for (int64_t x = first; x <= last; x = op == '+' ? x + step : x * step) {
            if (l->n == MAX_LIST) return l1cli_usage_err("bench", "%s: more than %d values", opt, MAX_LIST), false;
            l->v[l->n++] = x;
            if (op == '*' && x == 0) break;
        }
        if (*p == '\0') return true;
        if (*p++ != ',') goto bad;
    }
bad:
    l1cli_usage_err("bench", "%s: expected a list like 128,512 or 128-512*2 with values in [%lld, %lld], got '%s'",
                    opt, (long long)lo, (long long)hi, s);
    return false;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: l1 bench -m MODEL.gguf [options]\n"
            "Prompt (ppP), generation (tgN) and combined (ppP+tgN) speed as llama-bench measures\n"
            "it, in its output formats and fields (l1's weight GB/s and roofline share added).\n"
            "  -m, --model FILE            the GGUF model\n"
            "  -p, --n-prompt LIST         prompt lengths (default 512; 0 skips)\n"
            "  -n, --n-gen LIST            generation lengths (default 128; 0 skips)\n"
            "  -pg P,N                     a prompt of P then N generated tokens (repeatable)\n"
            "  -d, --n-depth LIST          tokens already in the context before each test (default 0)\n"
            "  -t, --threads LIST          worker threads (default: one per physical core)\n"
            "  -b, --batch-size LIST       most tokens per forward step (default %d)\n"
            "  -np, --parallel LIST        sequences decoded together after a shared prompt; t/s is\n"
            "                              the aggregate over them (default 1)\n"
            "  -ctk, -ctv, --kv-type TYPE  KV cache type, f16 or f32 (l1 uses one type for K and V)\n"
            "  -r, --repetitions N         runs of each test after the warm-up (default 5)\n"
            "  -o, --output FORMAT         md, csv, json, jsonl or sql (default md)\n"
            "  --progress                  one stderr line per step (llama-bench's --progress)\n"
            "  --no-warmup                 skip the warm-up run\n"
            "  --no-roofline               skip the read-bandwidth measurement (it reads memory for a\n"
            "                              fixed time, so a program's instruction count would vary)\n"
            "  --no-repack                 keep every matrix in place in the mapped file (no 8-row\n"
            "                              interleaved copy on the first evaluation)\n"
            "  -h, --help                  this help\n"
            "LIST: values separated by commas, or ranges first-last, first-last+step,\n"
            "first-last*mult; an option given twice adds its values.  Every combination is a\n"
            "test.  Results go to stdout; progress (on a terminal) and one closing line go to\n"
            "stderr.\n",
            DEFAULT_BATCH);
}

static int parse(int argc, char **argv, opts *o) {
    enum { O_PG = L1CLI_OPT_LONG, O_PROGRESS, O_NO_WARMUP, O_NO_REPACK, O_NO_ROOFLINE, O_KV, O_PARALLEL };
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},
        {"n-prompt", required_argument, NULL, 'p'},
        {"n-gen", required_argument, NULL, 'n'},
        {"pg", required_argument, NULL, O_PG},
        {"n-depth", required_argument, NULL, 'd'},
        {"threads", required_argument, NULL, 't'},
        {"batch-size", required_argument, NULL, 'b'},
        {"parallel", required_argument, NULL, O_PARALLEL},
        {"np", required_argument, NULL, O_PARALLEL},
        {"repetitions", required_argument, NULL, 'r'},
        {"output", required_argument, NULL, 'o'},
        {"ctk", required_argument, NULL, O_KV},
        {"ctv", required_argument, NULL, O_KV},
        {"cache-type-k", required_argument, NULL, O_KV},
        {"cache-type-v", required_argument, NULL, O_KV},
        {"kv-type", required_argument, NULL, O_KV},
        {"progress", no_argument, NULL, O_PROGRESS},
        {"no-warmup", no_argument, NULL, O_NO_WARMUP},
        {"no-repack", no_argument, NULL, O_NO_REPACK},
        {"no-roofline", no_argument, NULL, O_NO_ROOFLINE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->reps = 5;
    const char *v;
    int c;
    while ((c = l1cli_getopt_long_only("bench", argc, argv, "m:p:n:d:t:b:r:o:h", longopts, &v)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return -1;
        case 'm': o->model = v; break;
        case 'p': if (!parse_list("-p", v, 0, 1 << 20, &o->n_prompt)) return 2; break;
        case 'n': if (!parse_list("-n", v, 0, 1 << 20, &o->n_gen)) return 2; break;
        case 'd': if (!parse_list("-d", v, 0, 1 << 22, &o->n_depth)) return 2; break;
        case 't': if (!parse_list("-t", v, 1, 256, &o->threads)) return 2; break;
        case 'b': if (!parse_list("-b", v, 1, 1 << 16, &o->batch)) return 2; break;
        case O_PARALLEL: if (!parse_list("--parallel", v, 1, L1_MAX_SEQ, &o->parallel)) return 2; break;
        case 'r': if (!l1cli_parse_i64("bench", "-r", v, 1, MAX_REPS, &o->reps)) return 2; break;
        case O_PG: {
            list l = {0};
            if (!parse_list("-pg", v, 0, 1 << 20, &l)) return 2;
            if (l.n != 2) return l1cli_usage_err("bench", "-pg: expected P,N, got '%s'", v);
            if (o->n_pg == MAX_LIST) return l1cli_usage_err("bench", "-pg: at most %d", MAX_LIST);
            o->pg[o->n_pg][0] = l.v[0];
            o->pg[o->n_pg++][1] = l.v[1];
            break;
        }
        case O_KV: {
            l1_kv_type k;
            if (!strcmp(v, "f16")) k = L1_KV_F16;
            else if (!strcmp(v, "f32")) k = L1_KV_F32;
            else return l1cli_usage_err("bench", "KV cache type: f16 or f32, got '%s'", v);
            if (o->kv_set && k != o->kv) return l1cli_usage_err("bench", "l1 uses one KV type for K and V");
            o->kv = k;
            o->kv_set = true;
            break;
        }
        case 'o':
            if (!strcmp(v, "md")) o->fmt = OUT_MD;
            else if (!strcmp(v, "csv")) o->fmt = OUT_CSV;
            else if (!strcmp(v, "json")) o->fmt = OUT_JSON;
            else if (!strcmp(v, "jsonl")) o->fmt = OUT_JSONL;
            else if (!strcmp(v, "sql")) o->fmt = OUT_SQL;
            else return l1cli_usage_err("bench", "-o: expected md, csv, json, jsonl or sql, got '%s'", v);
            break;
        case O_PROGRESS: o->progress = true; break;
        case O_NO_WARMUP: o->no_warmup = true; break;
        case O_NO_REPACK: o->no_repack = true; break;
        case O_NO_ROOFLINE: o->no_roofline = true; break;
        default: return 2;
        }
    }
    if (optind < argc) return l1cli_usage_err("bench", "unexpected argument '%s'", argv[optind]);
    if (!o->model) return l1cli_usage_err("bench", "no model: use -m FILE.gguf");
    if (!o->n_prompt.n) o->n_prompt = (list){{512}, 1};
    if (!o->n_gen.n) o->n_gen = (list){{128}, 1};
    if (!o->n_depth.n) o->n_depth = (list){{0}, 1};
    if (!o->batch.n) o->batch = (list){{DEFAULT_BATCH}, 1};
    if (!o->parallel.n) o->parallel = (list){{1}, 1};
    if (!o->threads.n) {
        int n = l1__cpu_get()->n_cores_physical;
        o->threads = (list){{n > 0 ? n : 1}, 1};
    }
    return 0;
}

/* ---- model facts -------------------------------------------------------------- */

typedef struct facts {
    char type[160];     /* llama-bench's model_type: "qwen2 1.5B Q4_K - Medium" */
    char cpu[256];
    uint64_t size;      /* bytes of every tensor */
    uint64_t n_params;
    uint64_t weight_bytes; /* what one decoded token reads */
    int32_t n_vocab, n_ctx_train;
} facts;

/* general.file_type names as llama.cpp prints them (its llama_ftype). */
static const char *ftype_name(uint64_t ft) {
    static const char *const names[] = {
        [0] = "all F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0",
        [9] = "Q5_1", [10] = "Q2_K - Medium", [11] = "Q3_K - Small", [12] = "Q3_K - Medium",
        [13] = "Q3_K - Large", [14] = "Q4_K - Small", [15] = "Q4_K - Medium", [16] = "Q5_K - Small",
        [17] = "Q5_K - Medium", [18] = "Q6_K", [19] = "IQ2_XXS - 2.0625 bpw", [20] = "IQ2_XS - 2.3125 bpw",
        [21] = "Q2_K - Small", [22] = "IQ3_XS - 3.3 bpw", [23] = "IQ3_XXS - 3.0625 bpw",
        [24] = "IQ1_S - 1.5625 bpw", [25] = "IQ4_NL - 4.5 bpw", [26] = "IQ3_S - 3.4375 bpw",
        [27] = "IQ3_S mix - 3.66 bpw", [28] = "IQ2_S - 2.5 bpw", [29] = "IQ2_M - 2.7 bpw",
        [30] = "IQ4_XS - 4.25 bpw", [31] = "IQ1_M - 1.75 bpw", [32] = "BF16",
        [36] = "TQ1_0 - 1.69 bpw ternary", [37] = "TQ2_0 - 2.06 bpw ternary", [38] = "MXFP4 MoE",
        [39] = "NVFP4", [40] = "Q1_0", [41] = "Q2_0",
    };
    if (ft < sizeof names / sizeof names[0] && names[ft]) return names[ft];
    return "unknown, may not work";
}

/* The file type a file without general.file_type gets in llama.cpp: the
 * "mostly" type of its most frequent tensor type (by tensor count). */
static uint64_t guess_ftype(const l1__gguf *g) {
    int64_t count[64] = {0};
    uint32_t best = 0;
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) {
        const uint32_t t = l1__gguf_tensor_at(g, i)->type;
        if (t < 64 && ++count[t] > count[best]) best = t;
    }
    /* ggml type id -> file type id, for the types a file type is named after. */
    static const int8_t ft_of_type[] = {[0] = 0, [1] = 1, [2] = 2, [3] = 3, [6] = 8, [7] = 9, [8] = 7,
                                        [10] = 10, [11] = 12, [12] = 15, [13] = 17, [14] = 18,
                                        [16] = 19, [17] = 20, [18] = 23, [19] = 24, [20] = 25,
                                        [21] = 26, [22] = 28, [23] = 30, [29] = 31, [30] = 32};
    if (best < sizeof ft_of_type / sizeof ft_of_type[0] && (best == 0 || ft_of_type[best])) return (uint64_t)ft_of_type[best];
    return 0;
}

/* llama.cpp's size label of a qwen2 model (by layer count and width). */
static const char *size_label(const l1_model_desc *d) {
    if (strcmp(d->arch, "qwen2") != 0) return "?B";
    switch (d->n_layer) {
    case 24: return d->n_embd == 1024 ? "0.5B" : "1B";
    case 28: return d->n_embd == 1536 ? "1.5B" : "7B";
    case 32: return "7B";
    case 36: return "3B";
    case 40: return d->n_head == 20 ? "4B" : "13B";
    case 48: return "14B";
    case 64: return "32B";
    case 80: return "70B";
    default: return "?B";
    }
}

static void cpu_name(char *buf, size_t cap) {
    snprintf(buf, cap, "CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(buf, cap, "%.*s", (int)strcspn(v, "\n"), v);
        break;
    }
    fclose(f);
}

static void gather(const l1_model *m, facts *f) {
    memset(f, 0, sizeof *f);
    l1_model_desc d;
    l1_model_info(m, &d);
    const l1__gguf *g = l1__model_gguf(m);
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) f->size += l1__gguf_tensor_at(g, i)->nbytes;
    f->weight_bytes = f->size;
    const l1__gguf_tensor *emb = l1__gguf_find_tensor(g, "token_embd.weight");
    if (emb && l1__gguf_find_tensor(g, "output.weight")) f->weight_bytes -= emb->nbytes;
    uint64_t ft;
    const bool guessed = l1__gguf_get_u64(g, "general.file_type", &ft) != L1_OK;
    if (guessed) ft = guess_ftype(g);
    snprintf(f->type, sizeof f->type, "%s %s %s%s", d.arch, size_label(&d), guessed ? "(guessed) " : "",
             ftype_name(ft));
    f->n_params = d.n_params;
    f->n_vocab = d.n_vocab;
    f->n_ctx_train = d.n_ctx_train;
    cpu_name(f->cpu, sizeof f->cpu);
}

/* ---- the tests ---------------------------------------------------------------- */

typedef struct test {
    int64_t n_prompt, n_gen, n_depth, threads, batch, n_parallel;
    char time[32]; /* RFC 3339, when the test started */
    double samples_ns[MAX_REPS], samples_ts[MAX_REPS];
    int64_t n_samples;
    double avg_ns, stddev_ns, avg_ts, stddev_ts;
    double gbps, roofline; /* weight GB/s, read roofline GB/s with these threads */
} test;

static uint32_t g_rng = 12345u;
static l1_token random_token(int32_t n_vocab) {
    g_rng = g_rng * 1664525u + 1013904223u;
    return (l1_token)((g_rng >> 8) % (uint32_t)n_vocab);
}

static l1_status eval_random(l1_ctx *ctx, l1_token *toks, int64_t n, int32_t n_vocab) {
    for (int64_t i = 0; i < n; i++) toks[i] = random_token(n_vocab);
    return n ? l1_ctx_eval(ctx, toks, (int32_t)n, 0) : L1_OK;
}

static l1_status gen_random(l1_ctx *ctx, int64_t n, int32_t n_vocab) {
    l1_status st = L1_OK;
    for (int64_t i = 0; st == L1_OK && i < n; i++) {
        l1_token t = random_token(n_vocab);
        st = l1_ctx_eval(ctx, &t, 1, 0);
    }
    return st;
}

/* One generation step of every sequence: n_seq random tokens in one batch. */
static l1_status gen_random_batch(l1_ctx *ctx, int64_t n, int32_t n_seq, int32_t n_vocab) {
    l1_token tok[L1_MAX_SEQ];
    int32_t seq[L1_MAX_SEQ];
    l1_status st = L1_OK;
    for (int64_t i = 0; st == L1_OK && i < n; i++) {
        for (int32_t s = 0; s < n_seq; s++) tok[s] = random_token(n_vocab), seq[s] = s;
        l1_batch b = {n_seq, tok, seq, NULL, NULL};
        st = l1_ctx_decode(ctx, &b);
    }
    return st;
}

/* Every sequence back to the first `keep` positions of sequence 0. */
static l1_status share_prefix(l1_ctx *ctx, int32_t n_seq, int32_t keep) {
    l1_status st = l1_ctx_seq_truncate(ctx, 0, keep);
    for (int32_t s = 1; st == L1_OK && s < n_seq; s++) st = l1_ctx_seq_copy(ctx, 0, s, keep);
    return st;
}

static void stats(const double *v, int64_t n, double *avg, double *sd) {
    double s = 0, q = 0;
    for (int64_t i = 0; i < n; i++) s += v[i];
    *avg = s / (double)n;
    for (int64_t i = 0; i < n; i++) q += (v[i] - *avg) * (v[i] - *avg);
    *sd = n > 1 ? sqrt(q / (double)(n - 1)) : 0.0;
}

typedef struct runner {
    const opts *o;
    const facts *f;
    int index, count;     /* of this test, 1-based, and of all tests */
    l1cli_progress pr;
    double t_start;
} runner;

static void step(runner *r, const char *what, int64_t rep) {
    char detail[96];
    if (rep) snprintf(detail, sizeof detail, "%s %lld/%lld", what, (long long)rep, (long long)r->o->reps);
    else snprintf(detail, sizeof detail, "%s", what);
    if (r->o->progress) fprintf(stderr, "l1 bench: benchmark %d/%d: %s\n", r->index, r->count, detail);
    char line[160];
    snprintf(line, sizeof line, "test %d/%d: %s", r->index, r->count, detail);
    l1cli_progress_update(&r->pr, -1, line);
}

/* Runs one test on a fresh context; false on failure (message printed). */
static bool run_test(runner *r, l1_model *m, test *t) {
    const facts *f = r->f;
    const int64_t need_run = t->n_depth + t->n_prompt + t->n_gen, need_warm = t->n_prompt + 1;
    const int64_t need = need_run > need_warm ? need_run : need_warm;
    if (need > INT32_MAX) return l1cli_err("bench", "a test needs %lld positions", (long long)need), false;
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = (int32_t)need;
    cp.allow_ctx_over_train = need > f->n_ctx_train;
    cp.n_batch = (int32_t)t->batch;
    cp.n_threads = (int32_t)t->threads;
    cp.kv_type = r->o->kv;
    cp.n_seq = (int32_t)t->n_parallel;
    const int32_t S = cp.n_seq;
    l1_ctx *ctx = NULL;
    l1_status st = l1_ctx_new(m, &cp, &ctx);
    if (st != L1_OK) return l1cli_fail("bench", "context", st), false;
    const int64_t n_toks = t->n_prompt > t->n_depth ? t->n_prompt : t->n_depth;
    l1_token *toks = malloc((size_t)(n_toks + 1) * sizeof *toks);
    if (!toks) {
        l1_ctx_free(ctx);
        return l1cli_err("bench", "out of memory"), false;
    }
    const time_t now = time(NULL);
    strftime(t->time, sizeof t->time, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    if (!r->o->no_warmup) {
        if (t->n_prompt) {
            step(r, "warmup prompt run", 0);
            st = eval_random(ctx, toks, t->n_prompt, f->n_vocab);
        }
        if (st == L1_OK && t->n_gen) {
            step(r, "warmup generation run", 0);
            if ((st = share_prefix(ctx, S, 0)) == L1_OK)
                st = S > 1 ? gen_random_batch(ctx, 1, S, f->n_vocab) : gen_random(ctx, 1, f->n_vocab);
        }
    }
    if (st == L1_OK) st = share_prefix(ctx, S, 0);
    if (st == L1_OK && t->n_depth) {
        step(r, "depth run", 0);
        st = eval_random(ctx, toks, t->n_depth, f->n_vocab);
    }
    for (int64_t i = 0; st == L1_OK && i < r->o->reps; i++) {
        if ((st = share_prefix(ctx, S, (int32_t)t->n_depth)) != L1_OK) break;
        const double t0 = l1cli_now();
        if (t->n_prompt) {
            step(r, "prompt run", i + 1);
            st = eval_random(ctx, toks, t->n_prompt, f->n_vocab);
            /* The prompt is shared: copying it is part of serving S sequences. */
            for (int32_t q = 1; st == L1_OK && q < S; q++)
                st = l1_ctx_seq_copy(ctx, 0, q, (int32_t)(t->n_depth + t->n_prompt));
        }
        if (st == L1_OK && t->n_gen) {
            step(r, "generation run", i + 1);
            st = S > 1 ? gen_random_batch(ctx, t->n_gen, S, f->n_vocab) : gen_random(ctx, t->n_gen, f->n_vocab);
        }
        const double s = l1cli_now() - t0;
        t->samples_ns[i] = s * 1e9;
        t->samples_ts[i] = (double)(t->n_prompt + S * t->n_gen) / s;
        t->n_samples = i + 1;
    }
    free(toks);
    l1_ctx_free(ctx);
    if (st != L1_OK) return l1cli_fail("bench", "evaluation", st), false;
    stats(t->samples_ts, t->n_samples, &t->avg_ts, &t->stddev_ts);
    stats(t->samples_ns, t->n_samples, &t->avg_ns, &t->stddev_ns);
    /* Weight bytes per token: once per token when generating, once per
     * batch of the prompt. */
    const int64_t batches = (t->n_prompt + t->batch - 1) / t->batch;
    const double reads = (double)(batches + t->n_gen);
    const double per_token = (double)f->weight_bytes * reads / (double)(t->n_prompt + S * t->n_gen);
    t->gbps = per_token * t->avg_ts / 1e9;
    return true;
}

/* ---- output ------------------------------------------------------------------- */

/* llama-bench's fields in its order, with their types (s string, b bool,
 * i integer, f float). */
typedef struct field {
    const char *name;
    char type;
} field;

static const field k_fields[] = {
    {"build_commit", 's'}, {"build_number", 'i'}, {"cpu_info", 's'}, {"gpu_info", 's'},
    {"backends", 's'}, {"model_filename", 's'}, {"model_type", 's'}, {"model_size", 'i'},
    {"model_n_params", 'i'}, {"n_batch", 'i'}, {"n_ubatch", 'i'}, {"n_threads", 'i'},
    {"cpu_mask", 's'}, {"cpu_strict", 'b'}, {"poll", 'i'}, {"type_k", 's'}, {"type_v", 's'},
    {"n_gpu_layers", 'i'}, {"n_cpu_moe", 'i'}, {"split_mode", 's'}, {"main_gpu", 'i'},
    {"no_kv_offload", 'b'}, {"flash_attn", 'i'}, {"devices", 's'}, {"tensor_split", 's'},
    {"tensor_buft_overrides", 's'}, {"load_mode", 's'}, {"lazy_mode", 's'}, {"embeddings", 'b'},
    {"no_op_offload", 'i'}, {"no_host", 'b'}, {"fit_target", 'i'}, {"fit_min_ctx", 'i'},
    {"n_prompt", 'i'}, {"n_gen", 'i'}, {"n_depth", 'i'}, {"test_time", 's'}, {"avg_ns", 'i'},
    {"stddev_ns", 'i'}, {"avg_ts", 'f'}, {"stddev_ts", 'f'},
};
#define N_FIELDS (int)(sizeof k_fields / sizeof k_fields[0])
_Static_assert(sizeof k_fields / sizeof k_fields[0] == 41, "value() numbers llama-bench's 41 fields");

/* l1's own fields, after llama-bench's. */
static const field k_extra[] = {{"weight_gbps", 'f'}, {"roofline_gbps", 'f'}, {"roofline_pct", 'f'},
                                {"n_parallel", 'i'}};
#define N_EXTRA (int)(sizeof k_extra / sizeof k_extra[0])

/* The value of field i (llama-bench's, then l1's) as text: integers in
 * decimal, booleans 0/1, floats with six decimals. */
static void value(const opts *o, const facts *f, const test *t, int i, char *buf, size_t cap) {
    const char *kv = o->kv == L1_KV_F32 ? "f32" : "f16";
    const double pct = t->roofline > 0 ? 100.0 * t->gbps / t->roofline : 0.0;
    switch (i) {
    case 0: snprintf(buf, cap, "%s", L1_BUILD_COMMIT); break;
    case 1: snprintf(buf, cap, "%d", L1_BUILD_NUMBER); break;
    case 2: snprintf(buf, cap, "%s", f->cpu); break;
    case 3: snprintf(buf, cap, "%s", ""); break;
    case 4: snprintf(buf, cap, "CPU"); break;
    case 5: snprintf(buf, cap, "%s", o->model); break;
    case 6: snprintf(buf, cap, "%s", f->type); break;
    case 7: snprintf(buf, cap, "%" PRIu64, f->size); break;
    case 8: snprintf(buf, cap, "%" PRIu64, f->n_params); break;
    case 9: case 10: snprintf(buf, cap, "%" PRId64, t->batch); break;
    case 11: snprintf(buf, cap, "%" PRId64, t->threads); break;
    case 12: snprintf(buf, cap, "0x0"); break;
    case 13: snprintf(buf, cap, "0"); break;
    case 14: snprintf(buf, cap, "0"); break;
    case 15: case 16: snprintf(buf, cap, "%s", kv); break;
    case 17: case 18: snprintf(buf, cap, "0"); break;
    case 19: snprintf(buf, cap, "none"); break;
    case 20: case 21: case 22: snprintf(buf, cap, "0"); break;
    case 23: snprintf(buf, cap, "auto"); break;
    case 24: snprintf(buf, cap, "0.00"); break;
    case 25: snprintf(buf, cap, "none"); break;
    case 26: snprintf(buf, cap, "mmap"); break;
    case 27: snprintf(buf, cap, "off"); break;
    case 28: case 29: case 30: case 31: case 32: snprintf(buf, cap, "0"); break;
    case 33: snprintf(buf, cap, "%" PRId64, t->n_prompt); break;
    case 34: snprintf(buf, cap, "%" PRId64, t->n_gen); break;
    case 35: snprintf(buf, cap, "%" PRId64, t->n_depth); break;
    case 36: snprintf(buf, cap, "%s", t->time); break;
    case 37: snprintf(buf, cap, "%.0f", t->avg_ns); break;
    case 38: snprintf(buf, cap, "%.0f", t->stddev_ns); break;
    case 39: snprintf(buf, cap, "%.6f", t->avg_ts); break;
    case 40: snprintf(buf, cap, "%.6f", t->stddev_ts); break;
    case N_FIELDS + 0: snprintf(buf, cap, "%.6f", t->gbps); break;
    case N_FIELDS + 1: snprintf(buf, cap, "%.6f", t->roofline); break;
    case N_FIELDS + 3: snprintf(buf, cap, "%" PRId64, t->n_parallel); break;
    default: snprintf(buf, cap, "%.6f", pct); break;
    }
}

static const field *field_at(int i) { return i < N_FIELDS ? &k_fields[i] : &k_extra[i - N_FIELDS]; }

static void json_test(l1cli_json *j, const opts *o, const facts *f, const test *t) {
    l1cli_json_object(j, NULL);
    for (int i = 0; i < N_FIELDS + N_EXTRA; i++) {
        char v[512];
        value(o, f, t, i, v, sizeof v);
        const field *fd = field_at(i);
        if (fd->type == 's') l1cli_json_str(j, fd->name, v);
        else if (fd->type == 'b') l1cli_json_bool(j, fd->name, strcmp(v, "0") != 0);
        else if (fd->type == 'i') l1cli_json_int(j, fd->name, strtoll(v, NULL, 10));
        else l1cli_json_fixed(j, fd->name, strtod(v, NULL), 6);
        if (i == N_FIELDS - 1) { /* llama-bench ends its fields with the samples */
            l1cli_json_array(j, "samples_ns");
            for (int64_t k = 0; k < t->n_samples; k++) l1cli_json_int(j, NULL, (int64_t)llround(t->samples_ns[k]));
            l1cli_json_end(j);
            l1cli_json_array(j, "samples_ts");
            for (int64_t k = 0; k < t->n_samples; k++) l1cli_json_fixed(j, NULL, t->samples_ts[k], 6);
            l1cli_json_end(j);
        }
    }
    l1cli_json_end(j);
}

static void csv_quoted(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
}

/* A SQL string literal ('' doubles a quote). */
static void sql_quoted(const char *s) {
    putchar('\'');
    for (; *s; s++) {
        if (*s == '\'') putchar('\'');
        putchar(*s);
    }
    putchar('\'');
}

/* -o json: one array, one writer for every test. */
static l1cli_json g_json;

static void print_header(const opts *o) {
    if (o->fmt == OUT_CSV) {
        for (int i = 0; i < N_FIELDS + N_EXTRA; i++) printf("%s%s", i ? "," : "", field_at(i)->name);
        putchar('\n');
    } else if (o->fmt == OUT_SQL) {
        printf("CREATE TABLE IF NOT EXISTS llama_bench (\n");
        for (int i = 0; i < N_FIELDS; i++) {
            const char t = k_fields[i].type;
            printf("  %s %s%s\n", k_fields[i].name, t == 's' ? "TEXT" : t == 'f' ? "REAL" : "INTEGER",
                   i + 1 < N_FIELDS ? "," : "");
        }
        printf(");\n\n");
    } else if (o->fmt == OUT_JSON) {
        l1cli_json_init(&g_json, stdout, 2);
        l1cli_json_array(&g_json, NULL);
    } else if (o->fmt == OUT_MD) {
        printf("| %-30s | %10s | %10s | %-10s | %7s |", "model", "size", "params", "backend", "threads");
        if (o->batch.n > 1 || o->batch.v[0] != DEFAULT_BATCH) printf(" %7s |", "n_batch");
        if (o->kv_set) printf(" %6s | %6s |", "type_k", "type_v");
        printf(" %15s | %20s | %8s | %10s |\n", "test", "t/s", "GB/s", "roofline %");
        printf("| %s | %s | %s | %s | %s |", "------------------------------", "---------:", "---------:",
               "----------", "------:");
        if (o->batch.n > 1 || o->batch.v[0] != DEFAULT_BATCH) printf(" %s |", "------:");
        if (o->kv_set) printf(" %s | %s |", "-----:", "-----:");
        printf(" %s | %s | %s | %s |\n", "--------------:", "-------------------:", "-------:", "---------:");
    }
    fflush(stdout);
}

static void print_test(const opts *o, const facts *f, const test *t) {
    if (o->fmt == OUT_JSON) {
        json_test(&g_json, o, f, t);
    } else if (o->fmt == OUT_JSONL) {
        l1cli_json j;
        l1cli_json_init(&j, stdout, 0);
        json_test(&j, o, f, t);
        l1cli_json_finish(&j);
    } else if (o->fmt == OUT_CSV) {
        for (int i = 0; i < N_FIELDS + N_EXTRA; i++) {
            char v[512];
            value(o, f, t, i, v, sizeof v);
            if (i) putchar(',');
            csv_quoted(v);
        }
        putchar('\n');
    } else if (o->fmt == OUT_SQL) {
        printf("INSERT INTO llama_bench (");
        for (int i = 0; i < N_FIELDS; i++) printf("%s%s", i ? ", " : "", k_fields[i].name);
        printf(") VALUES (");
        for (int i = 0; i < N_FIELDS; i++) {
            char v[512];
            value(o, f, t, i, v, sizeof v);
            if (i) printf(", ");
            sql_quoted(v);
        }
        printf(");\n");
    } else {
        char size[32], params[32], name[64], ts[64];
        if (f->size < (1ull << 30)) snprintf(size, sizeof size, "%.2f MiB", (double)f->size / (1024.0 * 1024.0));
        else snprintf(size, sizeof size, "%.2f GiB", (double)f->size / (1024.0 * 1024.0 * 1024.0));
        if (f->n_params < 1000000000ull) snprintf(params, sizeof params, "%.2f M", (double)f->n_params / 1e6);
        else snprintf(params, sizeof params, "%.2f B", (double)f->n_params / 1e9);
        if (t->n_prompt && !t->n_gen) snprintf(name, sizeof name, "pp%" PRId64, t->n_prompt);
        else if (!t->n_prompt) snprintf(name, sizeof name, "tg%" PRId64, t->n_gen);
        else snprintf(name, sizeof name, "pp%" PRId64 "+tg%" PRId64, t->n_prompt, t->n_gen);
        if (t->n_depth) snprintf(name + strlen(name), sizeof name - strlen(name), " @ d%" PRId64, t->n_depth);
        if (t->n_parallel > 1) snprintf(name + strlen(name), sizeof name - strlen(name), " x%" PRId64, t->n_parallel);
        snprintf(ts, sizeof ts, "%.2f ± %.2f", t->avg_ts, t->stddev_ts);
        printf("| %-30s | %10s | %10s | %-10s | %7" PRId64 " |", f->type, size, params, "CPU", t->threads);
        if (o->batch.n > 1 || o->batch.v[0] != DEFAULT_BATCH) printf(" %7" PRId64 " |", t->batch);
        if (o->kv_set) printf(" %6s | %6s |", o->kv == L1_KV_F32 ? "f32" : "f16", o->kv == L1_KV_F32 ? "f32" : "f16");
        printf(" %15s | %21s | %8.1f | %9.0f%% |\n", name, ts, t->gbps,
               t->roofline > 0 ? 100.0 * t->gbps / t->roofline : 0.0);
    }
    fflush(stdout);
}

static void print_footer(const opts *o) {
    if (o->fmt == OUT_JSON) {
        l1cli_json_end(&g_json);
        l1cli_json_finish(&g_json);
    }
    else if (o->fmt == OUT_MD) printf("\nbuild: %s (%d)\n", L1_BUILD_COMMIT, L1_BUILD_NUMBER);
    fflush(stdout);
}

/* ---- command ------------------------------------------------------------------ */

/* The tests in llama-bench's order: for each batch size, thread count and
 * depth (and each --parallel count), the prompts, then the generations, then
 * the -pg pairs. */
static int plan(const opts *o, test *out, int cap) {
    int n = 0;
    for (int b = 0; b < o->batch.n; b++)
        for (int th = 0; th < o->threads.n; th++)
            for (int d = 0; d < o->n_depth.n * o->parallel.n; d++) {
                test base = {0};
                base.batch = o->batch.v[b];
                base.threads = o->threads.v[th];
                base.n_depth = o->n_depth.v[d / o->parallel.n];
                base.n_parallel = o->parallel.v[d % o->parallel.n];
                for (int i = 0; i < o->n_prompt.n; i++)
                    if (o->n_prompt.v[i]) {
                        if (n == cap) return -1;
                        out[n] = base;
                        out[n++].n_prompt = o->n_prompt.v[i];
                    }
                for (int i = 0; i < o->n_gen.n; i++)
                    if (o->n_gen.v[i]) {
                        if (n == cap) return -1;
                        out[n] = base;
                        out[n++].n_gen = o->n_gen.v[i];
                    }
                for (int i = 0; i < o->n_pg; i++)
                    if (o->pg[i][0] || o->pg[i][1]) {
                        if (n == cap) return -1;
                        out[n] = base;
                        out[n].n_prompt = o->pg[i][0];
                        out[n++].n_gen = o->pg[i][1];
                    }
            }
    return n;
}

#define MAX_TESTS 256

int l1cli_bench(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    test *tests = calloc(MAX_TESTS, sizeof *tests);
    if (!tests) return l1cli_err("bench", "out of memory"), 1;
    const int n = plan(&o, tests, MAX_TESTS);
    if (n < 0) {
        free(tests);
        return l1cli_usage_err("bench", "more than %d tests", MAX_TESTS);
    }
    if (n == 0) {
        free(tests);
        return l1cli_usage_err("bench", "nothing to measure (every -p, -n and -pg is 0)");
    }
    runner r = {&o, NULL, 0, n, {0}, l1cli_now()};
    l1cli_progress_begin(&r.pr, "bench", "loading the model");
    l1_model *m = NULL;
    l1_model_params mp = l1_model_default_params();
    mp.no_repack = o.no_repack;
    mp.progress = l1cli_progress_load;
    mp.progress_user = &r.pr;
    l1_status st = l1_model_load(o.model, &mp, &m);
    l1cli_progress_clear(&r.pr);
    if (st != L1_OK) {
        free(tests);
        return l1cli_fail("bench", o.model, st);
    }
    const double load_s = l1cli_now() - r.t_start;
    facts f;
    gather(m, &f);
    r.f = &f;
    l1cli_progress_begin(&r.pr, "bench", "running");
    print_header(&o);
    double roof[MAX_LIST][2]; /* (threads, GB/s) measured so far */
    int n_roof = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        r.index = i + 1;
        if (!run_test(&r, m, &tests[i])) {
            rc = 1;
            break;
        }
        int k = 0;
        while (k < n_roof && roof[k][0] != (double)tests[i].threads) k++;
        if (k == n_roof && n_roof < MAX_LIST && !o.no_roofline) {
            step(&r, "read bandwidth", 0);
            roof[n_roof][0] = (double)tests[i].threads;
            roof[n_roof++][1] = read_bandwidth((int)tests[i].threads);
        }
        tests[i].roofline = k < n_roof ? roof[k][1] : 0;
        l1cli_progress_clear(&r.pr);
        print_test(&o, &f, &tests[i]);
        if (l1cli_stdout_failed()) rc = l1cli_stdout_finish("bench", 0); /* the results are lost: stop */
    }
    l1cli_progress_clear(&r.pr);
    if (rc == 0) print_footer(&o);
    if (rc == 0 && l1cli_stdout_failed()) rc = l1cli_stdout_finish("bench", 0);
    if (rc == 0) {
        fprintf(stderr, "l1 bench: %d test%s of %s in %.1f s (load %.2f s%s); read bandwidth%s", n,
                n == 1 ? "" : "s", o.model, l1cli_now() - r.t_start, load_s, o.no_repack ? ", no repacking" : "",
                o.no_roofline ? " not measured (--no-roofline)" : "");
        for (int k = 0; k < n_roof; k++)
            fprintf(stderr, "%s %.1f GB/s with %.0f thread%s", k ? "," : "", roof[k][1], roof[k][0],
                    roof[k][0] == 1 ? "" : "s");
        fputc('\n', stderr);
    }
    l1_model_free(m);
    free(tests);
    return rc;
}
