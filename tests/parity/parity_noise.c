/*
 * parity_noise.c - l1 against the reference implementation on UNDAMPED
 * random models, judged against the reference's own noise.
 *
 * A random model with unit-gain blocks is chaotic: every matmul input is
 * rounded to an 8-bit (or bf16) activation type, so one ulp of difference
 * anywhere (a summation order) flips a rounding and the flips cascade
 * through the layers.  Builds of the reference itself then disagree with
 * one another, and no absolute threshold separates a correct engine from a
 * wrong one; a relative one does.  The reference runs three times on the
 * same file and tokens: its best CPU variant for this host ("zen4",
 * AVX-512, on the project's machines), its AVX2 variant ("haswell") and
 * its SSE4.2 variant, and l1 must satisfy
 *
 *     mean KL(best, l1) <= 2 * noise + 1e-5    (nats)
 *     noise = max(mean KL(best, AVX2), mean KL(best, SSE4.2))
 *
 * for every type and shape.  Why SSE4.2 as well: the AVX2 and AVX-512
 * variants run the SAME code for many types - every kernel that has no
 * AVX-512 path, and the weights they repack (Q4_0, IQ4_NL: the AVX2
 * repacked kernels in both) - so on those files the two agree bit for bit
 * or nearly (measured: KL 0 for Q4_0, Q4_1, Q5_0, Q6_K on some shapes,
 * 1e-6 for IQ4_XS at width 896) and "twice the AVX2 distance" would demand
 * that l1 reproduce the reference's summation order exactly.  The SSE4.2
 * build repacks nothing and sums in its own order everywhere, like any
 * independent engine.  The table prints both ratios: against the AVX2
 * distance alone and against the noise.
 *
 * This is what made IQ4_XS look 4x worse than the other types against the
 * AVX2 distance: l1's own distance on IQ4_XS is like its distance on every
 * other 4-bit type, and op by op l1's IQ4_XS and IQ4_NL matmuls equal the
 * reference's to 4e-7 and 8e-7 relative (parity_ops, the same as Q4_0): it
 * is the reference's two variants that compute IQ4 with one kernel.
 *
 * How the reference runs several times: a CPU variant is chosen when the
 * backends are loaded, once per process, so each reference evaluation runs
 * in a child process that loads only the backends of one folder - the
 * reference's library folder (it picks the best variant) or a private
 * folder holding a link to one variant alone.  The children write their
 * logits into shared memory; l1 runs in the parent meanwhile.  The parent
 * never loads a backend itself (the quantizer needs none).
 *
 * Models (written by l1 in F32 with l1__synth_params.branch_gain = 1, then
 * quantized by the reference's llama_model_quantize; the built-in 267-token
 * byte-level vocabulary keeps them small):
 *   w896:  width 896, head_dim 64 (14 heads, 2 KV heads), n_ff 4864, 3
 *          layers, tied embeddings - the shape where an IQ4_XS file holds
 *          IQ4_NL rows (896 is not a multiple of 256);
 *   w1536: L1-Qwen-1.5B's widths (1536, head_dim 128, 12 heads, 2 KV heads,
 *          n_ff 8960), 2 layers, untied head.
 * One prompt of 64 random ordinary tokens, logits of every position.
 * L1_PARITY_TYPES=IQ4_XS,Q8_0 and L1_PARITY_SHAPES=w896 narrow a run;
 * L1_PARITY_VERBOSE=1 names the variants that ran; L1_PARITY_REAL_VOCAB=1
 * uses the real Qwen2 vocabulary instead of the built-in one;
 * L1_PARITY_SEED=N other weights and tokens.  Under the
 * sanitizers only w896 runs.
 */
#include <link.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

struct gguf_context; /* named by llama.h before any declaration */
#include "llama.h"
#include "ref.h"

#include "base/base.h"
#include "support/sanitizers.h"
#include "tooling/synth.h"
#include "gguf/types.h"

#define KL_FACTOR 2.0
#define KL_SLACK 1e-5
#define N_TOK 64
#define N_ORDINARY 260 /* the built-in vocabulary's byte tokens and merges */
#define N_ORDINARY_QWEN2 151643 /* the real Qwen2 vocabulary's, below its special tokens */

static char g_dir[256];
static char g_avx2_dir[300], g_sse_dir[300];
static const char *g_ref_lib;

typedef struct qtype {
    const char *name;
    int ftype; /* llama_ftype */
} qtype;

static const qtype k_all[] = {
    {"F32", 0},     {"F16", 1},     {"BF16", 32},  {"Q8_0", 7},    {"Q4_0", 2},
    {"Q4_1", 3},    {"Q5_0", 8},    {"Q5_1", 9},   {"Q2_K", 10},   {"Q3_K_M", 12},
    {"Q4_K_M", 15}, {"Q5_K_M", 17}, {"Q6_K", 18},  {"IQ4_XS", 30},
};

typedef struct shape {
    const char *tag;
    int32_t n_embd, n_head, n_head_kv, n_ff, n_layer;
    int tied;
} shape;

static const shape k_shapes[] = {
    {"w896", 896, 14, 2, 4864, 3, 1},
    {"w1536", 1536, 12, 2, 8960, 2, 0},
};

/* ---- the reference, one CPU variant per child process ----------------------------- */

/* What a child leaves in shared memory. */
typedef struct ref_out {
    int ok;
    char variant[256];
    float logits[]; /* N_TOK * n_vocab */
} ref_out;

typedef struct ref_run {
    pid_t pid;
    ref_out *out;
    size_t bytes;
} ref_run;

static int find_cpu_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    const char *n = info->dlpi_name;
    if (n && strstr(n, "libggml-cpu")) {
        const char *base = strrchr(n, '/');
        snprintf((char *)data, 256, "%s", base ? base + 1 : n);
        return 1;
    }
    return 0;
}

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

/* In the child: load the backends of `dir`, evaluate the tokens, fill out. */
static int child_eval(const char *dir, const char *model, const int32_t *tok, int32_t n_vocab,
                      ref_out *out) {
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(dir);
    llama_backend_init();
    dl_iterate_phdr(find_cpu_cb, out->variant);
    struct llama_model *rm = llama_model_load_from_file(model, llama_model_default_params());
    if (!rm) return 1;
    if (llama_vocab_n_tokens(llama_model_get_vocab(rm)) != n_vocab) return 1;
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = cp.n_batch = cp.n_ubatch = N_TOK;
    cp.n_threads = cp.n_threads_batch = 1;
    struct llama_context *rc = llama_init_from_model(rm, cp);
    if (!rc) return 1;
    struct llama_batch b = llama_batch_init(N_TOK, 0, 1);
    for (int32_t i = 0; i < N_TOK; i++) {
        b.token[i] = tok[i];
        b.pos[i] = i;
        b.n_seq_id[i] = 1;
        b.seq_id[i][0] = 0;
        b.logits[i] = 1;
    }
    b.n_tokens = N_TOK;
    if (llama_decode(rc, b) != 0) return 1;
    for (int32_t i = 0; i < N_TOK; i++) {
        const float *l = llama_get_logits_ith(rc, i);
        if (!l) return 1;
        memcpy(out->logits + (size_t)i * (size_t)n_vocab, l, (size_t)n_vocab * sizeof *l);
    }
    llama_batch_free(b);
    llama_free(rc);
    llama_model_free(rm);
    out->ok = 1;
    return 0;
}

static void ref_start(const char *dir, const char *model, const int32_t *tok, int32_t n_vocab,
                      ref_run *r) {
    r->bytes = sizeof(ref_out) + (size_t)N_TOK * (size_t)n_vocab * sizeof(float);
    r->out = mmap(NULL, r->bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(r->out != MAP_FAILED);
    fflush(stdout);
    fflush(stderr);
    r->pid = fork();
    assert_true(r->pid >= 0);
    if (r->pid == 0) _exit(child_eval(dir, model, tok, n_vocab, r->out));
}

static void ref_wait(ref_run *r) {
    int ws = 0;
    assert_int_equal(waitpid(r->pid, &ws, 0), r->pid);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && r->out->ok);
}

static void ref_free(ref_run *r) { munmap(r->out, r->bytes); }

/* ---- one file --------------------------------------------------------------------- */

static double mean_kl(const float *a, const float *b, int32_t n_vocab) {
    double s = 0;
    for (int32_t i = 0; i < N_TOK; i++)
        s += l1ref_kl(a + (size_t)i * n_vocab, b + (size_t)i * n_vocab, n_vocab);
    return s / N_TOK;
}

static double top1(const float *a, const float *b, int32_t n_vocab) {
    int same = 0;
    for (int32_t i = 0; i < N_TOK; i++)
        same += l1ref_argmax(a + (size_t)i * n_vocab, n_vocab) ==
                l1ref_argmax(b + (size_t)i * n_vocab, n_vocab);
    return (double)same / N_TOK;
}

typedef struct figures {
    int supported;
    double kl_l1, kl_avx2, kl_sse, kl_avx2_l1, top1_l1, top1_avx2;
    double noise; /* the larger of kl_avx2 and kl_sse */
    char best[256], second[256], third[256];
} figures;

static void measure(const char *path, const int32_t *tok, figures *f) {
    memset(f, 0, sizeof *f);
    l1_model *m = NULL;
    l1_model_params mp = l1_model_default_params();
    l1_status st = l1_model_load(path, &mp, &m);
    if (st == L1_ERR_UNSUPPORTED) {
        printf("    l1: %s\n", l1_last_error());
        return;
    }
    assert_int_equal(st, L1_OK);
    const int32_t nv = l1_n_vocab(m);
    ref_run best, avx2, sse;
    ref_start(g_ref_lib, path, tok, nv, &best);
    ref_start(g_avx2_dir, path, tok, nv, &avx2);
    ref_start(g_sse_dir, path, tok, nv, &sse);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = N_TOK;
    cp.n_threads = 1;
    cp.f32_activations = getenv("L1_PARITY_F32") != NULL; /* diagnosis: l1 without rounding */
    l1_ctx *c = NULL;
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_OK);
    assert_int_equal(l1_ctx_eval(c, tok, N_TOK, L1_EVAL_ALL_LOGITS), L1_OK);
    float *mine = malloc((size_t)N_TOK * (size_t)nv * sizeof *mine);
    assert_non_null(mine);
    for (int32_t i = 0; i < N_TOK; i++)
        memcpy(mine + (size_t)i * nv, l1_ctx_logits(c, i), (size_t)nv * sizeof *mine);
    l1_ctx_free(c);
    l1_model_free(m);
    ref_wait(&best);
    ref_wait(&avx2);
    ref_wait(&sse);
    f->supported = 1;
    snprintf(f->best, sizeof f->best, "%s", best.out->variant);
    snprintf(f->second, sizeof f->second, "%s", avx2.out->variant);
    snprintf(f->third, sizeof f->third, "%s", sse.out->variant);
    f->kl_sse = mean_kl(best.out->logits, sse.out->logits, nv);
    f->kl_l1 = mean_kl(best.out->logits, mine, nv);
    f->kl_avx2 = mean_kl(best.out->logits, avx2.out->logits, nv);
    f->kl_avx2_l1 = mean_kl(avx2.out->logits, mine, nv);
    f->top1_l1 = top1(best.out->logits, mine, nv);
    f->top1_avx2 = top1(best.out->logits, avx2.out->logits, nv);
    f->noise = fmax(f->kl_avx2, f->kl_sse);
    free(mine);
    ref_free(&best);
    ref_free(&avx2);
    ref_free(&sse);
}

static int row_ok(const figures *f) {
    return !f->supported || f->kl_l1 <= KL_FACTOR * f->noise + KL_SLACK;
}

static void run_shape(const shape *s) {
    const char *only_shapes = getenv("L1_PARITY_SHAPES");
    if (only_shapes && !strstr(only_shapes, s->tag)) return;
    l1__synth_params p;
    assert_int_equal(l1__synth_preset("small", &p), L1_OK);
    p.n_embd = s->n_embd, p.n_head = s->n_head, p.n_head_kv = s->n_head_kv;
    p.n_ff = s->n_ff, p.n_layer = s->n_layer, p.tied = s->tied;
    p.branch_gain = 1.0; /* undamped */
    p.seed = getenv("L1_PARITY_SEED") ? strtoull(getenv("L1_PARITY_SEED"), NULL, 10) : 11;
    p.name = s->tag;
    /* Diagnosis: L1_PARITY_REAL_VOCAB=1 uses the real Qwen2 vocabulary (151,936
     * rows of embedding: slower, the same verdicts). */
    char vocab[1024];
    const int real_vocab = getenv("L1_PARITY_REAL_VOCAB") != NULL;
    if (real_vocab) {
        const char *ref = getenv("L1_REF_DIR");
        snprintf(vocab, sizeof vocab, "%s/llama.cpp/models/ggml-vocab-qwen2.gguf",
                 ref ? ref : "build/reference");
        p.vocab_from = vocab;
    }
    char base[512], path[600];
    snprintf(base, sizeof base, "%s/%s-base.gguf", g_dir, s->tag);
    assert_int_equal(l1__synth_write(&p, base), L1_OK);
    int32_t tok[N_TOK];
    uint64_t rng = 0x9e3779b97f4a7c15u ^ (uint64_t)s->n_embd ^ (p.seed << 32);
    for (int i = 0; i < N_TOK; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        tok[i] = (int32_t)(rng % (real_vocab ? N_ORDINARY_QWEN2 : N_ORDINARY));
    }
    int fails = 0;
    printf("| model | type | status | KL(best, l1) | KL(best, AVX2) | KL(best, SSE4.2) | ratio to AVX2 | "
           "ratio to noise | KL(AVX2, l1) | top-1 l1 | top-1 AVX2 | s |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    const char *only = getenv("L1_PARITY_TYPES");
    for (size_t k = 0; k < L1_ARRAY_LEN(k_all); k++) {
        if (only && !strstr(only, k_all[k].name)) continue;
        snprintf(path, sizeof path, "%s/%s-%s.gguf", g_dir, s->tag, k_all[k].name);
        const time_t t0 = time(NULL);
        struct llama_model_quantize_params qp = llama_model_quantize_default_params();
        qp.ftype = k_all[k].ftype;
        qp.nthread = 2;
        assert_int_equal(llama_model_quantize(base, path, &qp), 0);
        figures f;
        measure(path, tok, &f);
        const double secs = difftime(time(NULL), t0);
        if (!f.supported) {
            printf("| %s | %s | not yet supported by l1 | | | | | | | | | |\n", s->tag, k_all[k].name);
        } else {
            printf("| %s | %s | %s | %.3g | %.3g | %.3g | %.2f | %.2f | %.3g | %.1f%% | %.1f%% | %.0f |\n",
                   s->tag, k_all[k].name, row_ok(&f) ? "ok" : "FAIL", f.kl_l1, f.kl_avx2, f.kl_sse,
                   f.kl_l1 / fmax(f.kl_avx2, 1e-12), f.kl_l1 / fmax(f.noise, 1e-12), f.kl_avx2_l1,
                   100 * f.top1_l1, 100 * f.top1_avx2, secs);
            if (getenv("L1_PARITY_VERBOSE")) printf("    (variants %s, %s, %s)\n", f.best, f.second, f.third);
        }
        fflush(stdout);
        fails += !row_ok(&f);
        remove(path);
    }
    remove(base);
    assert_int_equal(fails, 0);
}

static void within_twice_the_references_own_noise_width_896_tied(void **state) {
    (void)state;
    run_shape(&k_shapes[0]);
}

static void within_twice_the_references_own_noise_l1_widths(void **state) {
    (void)state;
    /* Under the sanitizers the suite checks memory, not numbers: one shape. */
    if (L1_TEST_SANITIZED) {
        printf("w1536: skipped under the sanitizers (w896 ran)\n");
        return;
    }
    run_shape(&k_shapes[1]);
}

/* Which CPU variant the reference picks from its own folder (asked of a
 * throwaway child, so this process loads no backend). */
static void best_variant(char out[256]) {
    char *best = mmap(NULL, 256, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    out[0] = '\0';
    if (best == MAP_FAILED) return;
    best[0] = '\0';
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        llama_log_set(quiet, NULL);
        ggml_backend_load_all_from_path(g_ref_lib);
        dl_iterate_phdr(find_cpu_cb, best);
        _exit(0);
    }
    int ws;
    if (pid > 0) waitpid(pid, &ws, 0);
    snprintf(out, 256, "%s", best);
    munmap(best, 256);
}

/* A private folder `dir` holding only libggml-cpu-<variant>.so (a link). */
static int variant_dir(const char *variant, char *dir, size_t cap) {
    snprintf(dir, cap, "%s/%s", g_dir, variant);
    if (mkdir(dir, 0700) != 0) return -1;
    char src[1024], dst[1024];
    snprintf(src, sizeof src, "%s/libggml-cpu-%s.so", g_ref_lib, variant);
    snprintf(dst, sizeof dst, "%s/libggml-cpu-%s.so", dir, variant);
    return symlink(src, dst);
}

static void remove_dir(const char *dir) {
    char link[1024];
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') {
            snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
            unlink(link);
        }
    if (d) closedir(d);
    rmdir(dir);
}

int main(void) {
    g_ref_lib = getenv("L1_REF_LIB");
    if (!g_ref_lib) g_ref_lib = "build/reference/lib";
    snprintf(g_dir, sizeof g_dir, "/tmp/l1-parity-noise-XXXXXX");
    if (!mkdtemp(g_dir)) return 1;
    char best[256];
    best_variant(best);
    printf("reference CPU variant chosen for this host: %s\n", best[0] ? best : "(none)");
    /* On a host whose best variant is the AVX2 one, the second run uses
     * the x64 baseline instead, so the two runs are different builds. */
    if (variant_dir(strstr(best, "haswell") ? "x64" : "haswell", g_avx2_dir, sizeof g_avx2_dir) != 0 ||
        variant_dir("sse42", g_sse_dir, sizeof g_sse_dir) != 0)
        return 1;
    llama_log_set(quiet, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(within_twice_the_references_own_noise_width_896_tied),
        cmocka_unit_test(within_twice_the_references_own_noise_l1_widths),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    remove_dir(g_avx2_dir);
    remove_dir(g_sse_dir);
    rmdir(g_dir);
    return rc;
}
