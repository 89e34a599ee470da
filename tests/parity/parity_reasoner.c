/*
 * parity_reasoner.c - l1 against the reference implementation on the
 * trained reasoner model (examples/reasoner.gguf, Q8_0), on real text.
 *
 * A trained model is not chaotic (unlike the random synthetic ones, where
 * the reference disagrees with itself), so the absolute thresholds hold:
 * over the positions of prompts and responses of arithmetic problems, mean
 * KL(reference || l1) <= 1e-4 nats, top-1 agreement >= 99%, and every greedy
 * continuation identical, for
 * three files: the committed Q8_0, an F32 copy
 * of it (dequantized by the reference's llama_model_quantize with
 * requantizing allowed, values exact) and a Q4_K_M made from that copy by
 * `l1 quantize`.  The token sequences are the rendered prompts (l1's
 * template) followed by l1's own greedy response on the Q8_0 file.
 * Public API of both sides only; $BUILD/l1 makes the Q4_K_M file.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct gguf_context; /* named by llama.h before any declaration */
#include "llama.h"
#include "ref.h"

#include "l1.h"

#define MAX_MEAN_KL 1e-4
/* Every greedy continuation must be identical (MAX_TIES 0).  A divergence
 * where the reference's own logits of the two tokens are closer than
 * TIE_MARGIN is still reported as a tie, so that a failure says whether it
 * was a near-tie (rounding the activations to Q8_0 moves this model's logits
 * by up to ~6e-3). */
#define TIE_MARGIN 1e-2f
#define MAX_TIES 0
#define MIN_TOP1 0.99
#define N_PROBLEMS 24
#define MAX_SEQ 320
#define MAX_GEN 200
#define N_CTX 512

static char g_dir[256];
static const char *g_q8 = "examples/reasoner.gguf";

typedef struct {
    l1_token tok[MAX_SEQ];
    int32_t n_prompt, n;
} seq;

static seq g_seqs[N_PROBLEMS];

/* Prompts of N_PROBLEMS problems (fixed), each followed by l1's greedy
 * response on the Q8_0 file. */
static void build_sequences(void) {
    l1_model *m;
    l1_ctx *c;
    assert_int_equal(l1_model_load(g_q8, NULL, &m), L1_OK);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = N_CTX;
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_OK);
    const l1_token eos = l1_token_special(m, L1_SPECIAL_EOS);
    uint64_t s = 77;
    for (int i = 0; i < N_PROBLEMS; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        long a = (long)((s >> 33) % 10000), b = (long)((s >> 17) % 10000);
        const char ops[3] = {'+', '-', '*'};
        char op = ops[i % 3];
        if (op == '*') a %= 1000, b %= 10;
        char q[64], text[1024];
        snprintf(q, sizeof q, "What is %ld %c %ld?", a, op, b);
        l1_gen_params gp = l1_gen_default_params();
        gp.budget_mode = L1_BUDGET_MAX;
        gp.budget = 32 + 32 * (i % 8); /* budgets 32 .. 256: every route */
        l1_message msg = {L1_MSG_USER, q};
        int32_t len = l1_render_prompt(m, &msg, 1, &gp, text, (int32_t)sizeof text - 1);
        assert_true(len > 0);
        seq *sq = &g_seqs[i];
        sq->n_prompt = l1_tokenize(m, text, (size_t)len, sq->tok, MAX_SEQ, L1_TOKENIZE_SPECIAL);
        assert_true(sq->n_prompt > 0);
        sq->n = sq->n_prompt;
        assert_int_equal(l1_ctx_truncate(c, 0), L1_OK);
        assert_int_equal(l1_ctx_eval(c, sq->tok, sq->n, 0), L1_OK);
        for (int g = 0; g < MAX_GEN && sq->n < MAX_SEQ; g++) {
            l1_token t = l1ref_argmax(l1_ctx_logits(c, -1), l1_n_vocab(m));
            sq->tok[sq->n++] = t;
            if (t == eos) break;
            assert_int_equal(l1_ctx_eval(c, &t, 1, 0), L1_OK);
        }
    }
    l1_ctx_free(c);
    l1_model_free(m);
}

typedef struct {
    double mean_kl, max_kl, top1;
    int n_pos, greedy_same, greedy_n, ties;
} figures;

static void ref_eval(struct llama_context *rc, const int32_t *tok, int32_t n, int32_t p0, int all) {
    struct llama_batch b = llama_batch_init(n, 0, 1);
    for (int32_t i = 0; i < n; i++) {
        b.token[i] = tok[i];
        b.pos[i] = p0 + i;
        b.n_seq_id[i] = 1;
        b.seq_id[i][0] = 0;
        b.logits[i] = all || i == n - 1;
    }
    b.n_tokens = n;
    assert_int_equal(llama_decode(rc, b), 0);
    llama_batch_free(b);
}

static void measure(const char *path, figures *f) {
    memset(f, 0, sizeof *f);
    l1_model *m;
    l1_ctx *c;
    assert_int_equal(l1_model_load(path, NULL, &m), L1_OK);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = N_CTX;
    cp.n_threads = 1;
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_OK);
    struct llama_model *rm = llama_model_load_from_file(path, llama_model_default_params());
    assert_non_null(rm);
    struct llama_context_params rcp = llama_context_default_params();
    rcp.n_ctx = rcp.n_batch = rcp.n_ubatch = N_CTX;
    rcp.n_threads = rcp.n_threads_batch = 1;
    struct llama_context *rc = llama_init_from_model(rm, rcp);
    assert_non_null(rc);
    const int32_t nv = l1_n_vocab(m);
    assert_int_equal(nv, llama_vocab_n_tokens(llama_model_get_vocab(rm)));
    const l1_token eos = l1_token_special(m, L1_SPECIAL_EOS);
    double kl_sum = 0;
    int top1 = 0;
    for (int i = 0; i < N_PROBLEMS; i++) {
        const seq *sq = &g_seqs[i];
        /* Every position of prompt + response. */
        llama_memory_clear(llama_get_memory(rc), true);
        ref_eval(rc, sq->tok, sq->n, 0, 1);
        assert_int_equal(l1_ctx_truncate(c, 0), L1_OK);
        assert_int_equal(l1_ctx_eval(c, sq->tok, sq->n, L1_EVAL_ALL_LOGITS), L1_OK);
        for (int32_t p = 0; p < sq->n; p++) {
            const float *a = llama_get_logits_ith(rc, p), *b = l1_ctx_logits(c, p);
            assert_non_null(a);
            assert_non_null(b);
            double d = l1ref_kl(a, b, nv);
            kl_sum += d;
            f->max_kl = fmax(f->max_kl, d);
            top1 += l1ref_argmax(a, nv) == l1ref_argmax(b, nv);
            f->n_pos++;
        }
        /* Greedy from the prompt, each engine on its own tokens, to EOS. */
        int32_t ra[MAX_GEN], la[MAX_GEN], n = 0;
        llama_memory_clear(llama_get_memory(rc), true);
        ref_eval(rc, sq->tok, sq->n_prompt, 0, 0);
        assert_int_equal(l1_ctx_truncate(c, 0), L1_OK);
        assert_int_equal(l1_ctx_eval(c, sq->tok, sq->n_prompt, 0), L1_OK);
        int same = 1;
        for (; n < MAX_GEN && sq->n_prompt + n < N_CTX - 1; n++) {
            ra[n] = l1ref_argmax(llama_get_logits_ith(rc, -1), nv);
            la[n] = l1ref_argmax(l1_ctx_logits(c, -1), nv);
            if (ra[n] != la[n]) {
                const float *a = llama_get_logits_ith(rc, -1), *b = l1_ctx_logits(c, -1);
                printf("    problem %d, token %d: reference %d (%.6f, l1 %.6f), l1 %d (%.6f, reference %.6f)\n", i,
                       (int)n, (int)ra[n], a[ra[n]], b[ra[n]], (int)la[n], b[la[n]], a[la[n]]);
                same = 0;
                f->ties += fabsf(a[ra[n]] - a[la[n]]) < TIE_MARGIN;
                break;
            }
            if (ra[n] == eos) break;
            ref_eval(rc, &ra[n], 1, sq->n_prompt + n, 0);
            assert_int_equal(l1_ctx_eval(c, &la[n], 1, 0), L1_OK);
        }
        f->greedy_same += same;
        f->greedy_n++;
    }
    f->mean_kl = kl_sum / f->n_pos;
    f->top1 = (double)top1 / f->n_pos;
    llama_free(rc);
    llama_model_free(rm);
    l1_ctx_free(c);
    l1_model_free(m);
}

static void report(const char *type, const figures *f) {
    printf("    %-7s positions %5d  mean KL %.3g  max KL %.3g  top-1 %.2f%%  greedy identical %d/%d (ties %d)\n",
           type, f->n_pos, f->mean_kl, f->max_kl, 100 * f->top1, f->greedy_same, f->greedy_n, f->ties);
    fflush(stdout);
}

static void check(const figures *f) {
    assert_true(f->mean_kl <= MAX_MEAN_KL);
    assert_true(f->top1 >= MIN_TOP1);
    assert_int_equal(f->greedy_same + f->ties, f->greedy_n);
    assert_true(f->ties <= MAX_TIES);
}

static void reasoner_matches_reference_q8_0(void **state) {
    (void)state;
    figures f;
    measure(g_q8, &f);
    report("Q8_0", &f);
    check(&f);
}

static void reasoner_matches_reference_f32_and_q4_k_m(void **state) {
    (void)state;
    char f32[512], q4[512], cmd[1536];
    snprintf(f32, sizeof f32, "%s/reasoner-f32.gguf", g_dir);
    snprintf(q4, sizeof q4, "%s/reasoner-q4_k_m.gguf", g_dir);
    struct llama_model_quantize_params qp = llama_model_quantize_default_params();
    qp.ftype = LLAMA_FTYPE_ALL_F32;
    qp.allow_requantize = true;
    assert_int_equal(llama_model_quantize(g_q8, f32, &qp), 0);
    const char *build = getenv("BUILD");
    snprintf(cmd, sizeof cmd, "%s/l1 quantize %s %s Q4_K_M >/dev/null 2>&1", build ? build : "build/release", f32,
             q4);
    assert_int_equal(system(cmd), 0);
    figures a, b;
    measure(f32, &a);
    report("F32", &a);
    measure(q4, &b);
    report("Q4_K_M", &b);
    unlink(f32);
    unlink(q4);
    check(&a);
    check(&b);
}

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

static int setup(void **state) {
    (void)state;
    build_sequences();
    return 0;
}

int main(void) {
    const char *q8 = getenv("L1_REASONER_MODEL");
    if (q8 && *q8) g_q8 = q8;
    if (access(g_q8, R_OK) != 0) {
        printf("parity_reasoner: %s not found; nothing to compare\n", g_q8);
        return 0;
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/l1-parity-reasoner-XXXXXX");
    if (!mkdtemp(g_dir)) return 1;
    llama_log_set(quiet, NULL);
    l1ref_load_backends();
    llama_backend_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reasoner_matches_reference_q8_0),
        cmocka_unit_test(reasoner_matches_reference_f32_and_q4_k_m),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    llama_backend_free();
    rmdir(g_dir);
    return rc;
}
