/*
 * parity_forward.c - l1's logits against the reference implementation's on
 * the same files.
 *
 * Synthetic Qwen2 models (head_dim 128, GQA 2:1, biases, 4 layers, the real
 * Qwen2 vocabulary) are written by l1 in F32 and quantized by the
 * reference's own llama_model_quantize, so each file is what a user would
 * download.  For prompts of 1, 7, 64 and 300 tokens every position's logits
 * are compared: mean KL(reference || l1) <= 1e-4 nats and top-1 agreement
 * >= 99%; 10 greedy continuations of 32 tokens must be identical on >= 9.
 * The same on a model with tied embeddings and on one whose n_ff (352) is
 * not a multiple of 256.  Decode after prefill must equal evaluating the
 * whole sequence at once (1e-5 relative) on every file.  Types l1 cannot
 * compute yet are reported as such.  A table of every figure is printed.
 *
 * The noise floor.  Every matmul input is rounded to the weight's
 * activation type (Q8_0, Q8_K, bf16 ...), so a one-ulp difference anywhere
 * (a summation order) can flip a rounding, and a flipped input moves the
 * next matmul's outputs by a fraction of their own rounding step, flipping
 * more.  With unit-gain blocks this cascade saturated within 4 layers: the
 * reference against ITSELF (its AVX2 "haswell" CPU backend against the
 * AVX-512 "zen4" one, same file and tokens) differed by mean KL 9e-4 and
 * 98.1% top-1 on Q8_0, 1.2e-3 on Q4_0, 1e-4 on BF16 - the thresholds
 * measured the model's chaos, not l1.  parity_ops.c shows no op of l1
 * differs from the reference by more than summation order (1e-6 relative;
 * decode attention bit-identical).  So the synthetic models write into the
 * residual stream with gain 0.003 (synth.c, BRANCH_GAIN): the layers still
 * move the logits far above the thresholds (at gain 0.004 each block adds
 * ~1.6% of the embedding's RMS to logits of SD 4, so a block computed
 * wrongly costs ~2e-3 KL by estimate, ~1e-3 at 0.003); at gain 0.01 the
 * reference-vs-reference floor was already <= 1e-5 mean KL and 99.7-100%
 * top-1 for every type, but greedy runs of the K-quants still parted on 2
 * of 10 prompts, and at 0.004 one Q4_K_M file still did, at near-tied
 * argmaxes.  The tied model's
 * logits are dominated by each token's own embedding, so it checks the
 * head path more than the layers.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

struct gguf_context; /* named by llama.h before any declaration */
#include "llama.h"
#include "ref.h"

#include "base/base.h"
#include "tooling/synth.h"
#include "gguf/types.h"

/* Thresholds of the issue; KL in nats. */
#define MAX_MEAN_KL 1e-4
#define MIN_TOP1 0.99
#define MIN_GREEDY 9
#define N_GREEDY 10
#define GREEDY_LEN 32
#define N_CTX 512

static char g_dir[256];
static char g_vocab[1024];

typedef struct qtype {
    const char *name;
    int ftype; /* llama_ftype */
} qtype;

static const qtype k_all[] = {
    {"F32", 0},     {"F16", 1},     {"BF16", 32},  {"Q8_0", 7},    {"Q4_0", 2},
    {"Q4_1", 3},    {"Q5_0", 8},    {"Q5_1", 9},   {"Q2_K", 10},   {"Q3_K_M", 12},
    {"Q4_K_M", 15}, {"Q5_K_M", 17}, {"Q6_K", 18},  {"IQ4_XS", 30},
};

/* Decode after prefill against one whole evaluation: max |diff| / max |logit|. */
#define MAX_DECODE_REL 1e-5

typedef struct figures {
    int supported;
    double mean_kl, max_kl, top1, decode_rel;
    int n_pos, greedy;
    double secs;
} figures;

static uint64_t g_rng = 0x1234567;
static int32_t rnd_token(void) {
    g_rng ^= g_rng << 13, g_rng ^= g_rng >> 7, g_rng ^= g_rng << 17;
    return (int32_t)(g_rng % 151643u); /* ordinary tokens, below the special ones */
}

/* ---- the two engines -------------------------------------------------------------- */

typedef struct engines {
    struct llama_model *rm;
    struct llama_context *rc;
    l1_model *m;
    l1_ctx *c;
    int32_t n_vocab;
} engines;

static int open_engines(const char *path, engines *e) {
    memset(e, 0, sizeof *e);
    l1_model_params mp = l1_model_default_params();
    l1_status st = l1_model_load(path, &mp, &e->m);
    if (st == L1_ERR_UNSUPPORTED) {
        printf("    l1: %s\n", l1_last_error());
        return 0;
    }
    assert_int_equal(st, L1_OK);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = N_CTX;
    cp.f32_activations = getenv("L1_PARITY_F32") != NULL; /* diagnosis: l1 without rounding */
    assert_int_equal(l1_ctx_new(e->m, &cp, &e->c), L1_OK);
    struct llama_model_params rmp = llama_model_default_params();
    e->rm = llama_model_load_from_file(path, rmp);
    assert_non_null(e->rm);
    struct llama_context_params rcp = llama_context_default_params();
    rcp.n_ctx = N_CTX;
    rcp.n_batch = N_CTX;
    rcp.n_ubatch = N_CTX;
    /* One thread: on a busy machine two spin in barriers; one also runs the
     * reference's decode attention as a single chunk, as l1 does. */
    rcp.n_threads = rcp.n_threads_batch = 1;
    e->rc = llama_init_from_model(e->rm, rcp);
    assert_non_null(e->rc);
    e->n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(e->rm));
    assert_int_equal(e->n_vocab, l1_n_vocab(e->m));
    return 1;
}

static void close_engines(engines *e) {
    if (e->rc) llama_free(e->rc);
    if (e->rm) llama_model_free(e->rm);
    l1_ctx_free(e->c);
    l1_model_free(e->m);
}

/* Evaluates tokens appended to the reference's cache; logits of every
 * position when all, else the last only. */
static void ref_eval(engines *e, const int32_t *tok, int32_t n, int all) {
    struct llama_batch b = llama_batch_init(n, 0, 1);
    int32_t p0 = llama_memory_seq_pos_max(llama_get_memory(e->rc), 0) + 1;
    for (int32_t i = 0; i < n; i++) {
        b.token[i] = tok[i];
        b.pos[i] = p0 + i;
        b.n_seq_id[i] = 1;
        b.seq_id[i][0] = 0;
        b.logits[i] = all || i == n - 1;
    }
    b.n_tokens = n;
    assert_int_equal(llama_decode(e->rc, b), 0);
    llama_batch_free(b);
}

static void reset(engines *e) {
    llama_memory_clear(llama_get_memory(e->rc), true);
    assert_int_equal(l1_ctx_truncate(e->c, 0), L1_OK);
}

static void compare_prompt(engines *e, int32_t n, figures *f, double *kl_sum, int *top1) {
    int32_t *tok = malloc((size_t)n * sizeof *tok);
    for (int32_t i = 0; i < n; i++) tok[i] = rnd_token();
    reset(e);
    ref_eval(e, tok, n, 1);
    assert_int_equal(l1_ctx_eval(e->c, tok, n, L1_EVAL_ALL_LOGITS), L1_OK);
    for (int32_t i = 0; i < n; i++) {
        const float *a = llama_get_logits_ith(e->rc, i), *b = l1_ctx_logits(e->c, i);
        assert_non_null(a);
        assert_non_null(b);
        double d = l1ref_kl(a, b, e->n_vocab);
        *kl_sum += d;
        f->max_kl = fmax(f->max_kl, d);
        *top1 += l1ref_argmax(a, e->n_vocab) == l1ref_argmax(b, e->n_vocab);
        f->n_pos++;
    }
    free(tok);
}

/* Greedy continuation from the same prompt on both sides; 1 if identical. */
static int greedy_same(engines *e, int32_t n_prompt) {
    int32_t tok[64], ra[GREEDY_LEN], la[GREEDY_LEN];
    for (int32_t i = 0; i < n_prompt; i++) tok[i] = rnd_token();
    reset(e);
    ref_eval(e, tok, n_prompt, 0);
    assert_int_equal(l1_ctx_eval(e->c, tok, n_prompt, 0), L1_OK);
    for (int g = 0; g < GREEDY_LEN; g++) {
        ra[g] = l1ref_argmax(llama_get_logits_ith(e->rc, -1), e->n_vocab);
        la[g] = l1ref_argmax(l1_ctx_logits(e->c, -1), e->n_vocab);
        ref_eval(e, &ra[g], 1, 0);
        assert_int_equal(l1_ctx_eval(e->c, &la[g], 1, 0), L1_OK);
    }
    return memcmp(ra, la, sizeof ra) == 0;
}

/* l1 alone: 20 tokens of prefill then 20 single-token decodes against the
 * 40 evaluated at once; the worst relative difference of any position. */
static double decode_vs_whole(engines *e) {
    enum { N = 40, P = 20 };
    int32_t tok[N];
    for (int i = 0; i < N; i++) tok[i] = rnd_token();
    const size_t row = (size_t)e->n_vocab;
    float *whole = malloc(N * row * sizeof *whole);
    assert_int_equal(l1_ctx_truncate(e->c, 0), L1_OK);
    assert_int_equal(l1_ctx_eval(e->c, tok, N, L1_EVAL_ALL_LOGITS), L1_OK);
    for (int i = 0; i < N; i++) memcpy(whole + i * row, l1_ctx_logits(e->c, i), row * sizeof *whole);
    assert_int_equal(l1_ctx_truncate(e->c, 0), L1_OK);
    double worst = 0;
    for (int i = 0; i < N; i++) {
        if (i < P && i != P - 1) continue;
        if (i == P - 1)
            assert_int_equal(l1_ctx_eval(e->c, tok, P, 0), L1_OK);
        else
            assert_int_equal(l1_ctx_eval(e->c, &tok[i], 1, 0), L1_OK);
        const float *a = whole + i * row, *b = l1_ctx_logits(e->c, -1);
        double amax = 0, dmax = 0;
        for (size_t j = 0; j < row; j++) amax = fmax(amax, fabs(a[j])), dmax = fmax(dmax, fabs(a[j] - b[j]));
        worst = fmax(worst, dmax / amax);
    }
    free(whole);
    return worst;
}

static void measure(const char *path, figures *f) {
    static const int32_t lens[] = {1, 7, 64, 300};
    memset(f, 0, sizeof *f);
    engines e;
    time_t t0 = time(NULL);
    if (!open_engines(path, &e)) {
        close_engines(&e);
        return;
    }
    f->supported = 1;
    double kl_sum = 0;
    int top1 = 0;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        compare_prompt(&e, lens[i], f, &kl_sum, &top1);
        if (getenv("L1_PARITY_VERBOSE"))
            fprintf(stderr, "  prompt %d: %.0f s\n", lens[i], difftime(time(NULL), t0));
    }
    f->mean_kl = kl_sum / f->n_pos;
    f->top1 = (double)top1 / f->n_pos;
    for (int i = 0; i < N_GREEDY; i++) f->greedy += greedy_same(&e, 3 + 3 * i);
    f->decode_rel = decode_vs_whole(&e);
    f->secs = difftime(time(NULL), t0);
    close_engines(&e);
}

/* ---- models -------------------------------------------------------------------------- */

static void write_base(const char *tag, int tied, int n_ff, char *path, size_t cap) {
    l1__synth_params p;
    assert_int_equal(l1__synth_preset("small", &p), L1_OK);
    p.n_ff = n_ff;
    p.tied = tied;
    p.seed = 7;
    p.vocab_from = g_vocab;
    snprintf(path, cap, "%s/%s-base.gguf", g_dir, tag);
    assert_int_equal(l1__synth_write(&p, path), L1_OK);
}

static int row_ok(const figures *f) {
    return !f->supported ||
           (f->mean_kl <= MAX_MEAN_KL && f->top1 >= MIN_TOP1 && f->greedy >= MIN_GREEDY &&
            f->decode_rel <= MAX_DECODE_REL);
}

/* Quantizes the base into every type of `types` and compares each. */
static void run_family(const char *tag, int tied, int n_ff, const char *const *types, size_t n) {
    char base[512], path[600];
    write_base(tag, tied, n_ff, base, sizeof base);
    int fails = 0;
    printf("| model | type | status | mean KL | max KL | top-1 | greedy | decode vs whole | positions | s |\n"
           "|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < L1_ARRAY_LEN(k_all); k++) {
        int want = types == NULL;
        for (size_t j = 0; types && j < n; j++) want |= !strcmp(types[j], k_all[k].name);
        /* L1_PARITY_TYPES=Q8_0,F16 narrows a run while investigating. */
        const char *only = getenv("L1_PARITY_TYPES");
        if (only && !strstr(only, k_all[k].name)) want = 0;
        if (!want) continue;
        snprintf(path, sizeof path, "%s/%s-%s.gguf", g_dir, tag, k_all[k].name);
        struct llama_model_quantize_params qp = llama_model_quantize_default_params();
        qp.ftype = k_all[k].ftype;
        qp.nthread = 2;
        assert_int_equal(llama_model_quantize(base, path, &qp), 0);
        figures f;
        measure(path, &f);
        if (!f.supported)
            printf("| %s | %s | not yet supported by l1 | | | | | | | |\n", tag, k_all[k].name);
        else
            printf("| %s | %s | %s | %.3g | %.3g | %.2f%% | %d/%d | %.2g | %d | %.0f |\n", tag,
                   k_all[k].name, row_ok(&f) ? "ok" : "FAIL", f.mean_kl, f.max_kl, 100 * f.top1,
                   f.greedy, N_GREEDY, f.decode_rel, f.n_pos, f.secs);
        fflush(stdout);
        fails += !row_ok(&f);
        remove(path);
    }
    remove(base);
    assert_int_equal(fails, 0);
}

static void logits_match_reference_for_every_type(void **state) {
    (void)state;
    run_family("main", 0, 512, NULL, 0);
}

static void logits_match_reference_with_tied_embeddings(void **state) {
    (void)state;
    static const char *const types[] = {"F16", "Q8_0", "Q4_K_M"};
    run_family("tied", 1, 512, types, L1_ARRAY_LEN(types));
}

static void logits_match_reference_with_n_ff_not_a_multiple_of_256(void **state) {
    (void)state;
    static const char *const types[] = {"F32", "Q8_0", "Q4_0", "Q5_1", "Q4_K_M"};
    run_family("odd", 0, 352, types, L1_ARRAY_LEN(types));
}

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

int main(void) {
    const char *ref = getenv("L1_REF_DIR");
    snprintf(g_vocab, sizeof g_vocab, "%s/llama.cpp/models/ggml-vocab-qwen2.gguf",
             ref ? ref : "build/reference");
    snprintf(g_dir, sizeof g_dir, "/tmp/l1-parity-forward-XXXXXX");
    if (!mkdtemp(g_dir)) return 1;
    llama_log_set(quiet, NULL);
    l1ref_load_backends();
    llama_backend_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logits_match_reference_for_every_type),
        cmocka_unit_test(logits_match_reference_with_tied_embeddings),
        cmocka_unit_test(logits_match_reference_with_n_ff_not_a_multiple_of_256),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    llama_backend_free();
    rmdir(g_dir);
    return rc;
}
