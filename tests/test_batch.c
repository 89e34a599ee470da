/*
 * test_batch.c - several sequences in one context (l1_ctx_decode,
 * l1_ctx_seq_*) and K responses decoded together (l1_generate_n).
 *
 * The expected values are the library's own single-sequence results,
 * computed in the test beside the batched ones: a sequence decoded in a
 * batch must give, bit for bit, the logits it gets alone (same kernels,
 * same attention path), on synthetic models of the types that have
 * multi-token kernels, on every kernel tier this machine runs, with 1 to 3
 * threads; and K responses decoded together must be, token for token, the
 * K responses l1_generate gives one at a time with seeds seed + i (on the
 * trained reasoner, whose answers are also checked against sums the test
 * computes itself), and so must responses that join and leave a running
 * batch (l1_gen_new_seq, l1_gen_step, l1_gen_poll).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gguf/types.h"
#include "kernels/kernels.h"
#include "l1.h"
#include "support/small_models.h"

#define REASONER "examples/reasoner.gguf"

/* Deterministic token ids in [0, n_vocab). */
static void fill_tokens(l1_token *t, int32_t n, int32_t n_vocab, uint32_t salt) {
    uint32_t s = 2654435761u * (salt + 1);
    for (int32_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        t[i] = (l1_token)((s >> 8) % (uint32_t)n_vocab);
    }
}

static void assert_same_logits(const float *a, const float *b, int32_t n_vocab, const char *what) {
    assert_non_null(a);
    assert_non_null(b);
    if (memcmp(a, b, (size_t)n_vocab * sizeof *a) != 0) {
        int32_t i = 0;
        while (a[i] == b[i]) i++;
        fail_msg("%s: logit %d differs: %.9g alone, %.9g in the batch", what, i, (double)a[i], (double)b[i]);
    }
}

/* The three sequences of the decode test: a short prompt (decode-mode
 * prefill), one of REF_ATTN_TILE (64) tokens or more (F32-mode prefill),
 * and one past 512 positions, whose decode queries split their positions
 * into chunks. */
enum { N_SEQ = 3, N_DECODE = 6 };
static const int32_t PROMPT_LEN[N_SEQ] = {5, 70, 530};

static void decode_matches_alone(const l1_model *m, int32_t threads, const char *label) {
    const int32_t nv = l1_n_vocab(m);
    l1_token prompt[N_SEQ][600], next[N_SEQ][N_DECODE + 1];
    for (int s = 0; s < N_SEQ; s++) {
        fill_tokens(prompt[s], PROMPT_LEN[s], nv, (uint32_t)s);
        fill_tokens(next[s], N_DECODE + 1, nv, 100u + (uint32_t)s);
    }
    /* Alone: each sequence in a context of its own; the logits after the
     * prompt, after each single decoded token, and after two tokens at
     * once (a forced close and its transition arrive that way). */
    float *alone = malloc((size_t)N_SEQ * (N_DECODE + 1) * (size_t)nv * sizeof(float));
    assert_non_null(alone);
    for (int s = 0; s < N_SEQ; s++) {
        l1_ctx *c = small_ctx(m, 1024, 1, threads);
        assert_int_equal(l1_ctx_eval(c, prompt[s], PROMPT_LEN[s], 0), L1_OK);
        memcpy(alone + ((size_t)s * (N_DECODE + 1)) * nv, l1_ctx_logits(c, -1), (size_t)nv * sizeof(float));
        for (int d = 0; d < N_DECODE - 1; d++) {
            assert_int_equal(l1_ctx_eval(c, &next[s][d], 1, 0), L1_OK);
            memcpy(alone + ((size_t)s * (N_DECODE + 1) + 1 + d) * nv, l1_ctx_logits(c, -1), (size_t)nv * sizeof(float));
        }
        assert_int_equal(l1_ctx_eval(c, &next[s][N_DECODE - 1], 2, 0), L1_OK);
        memcpy(alone + ((size_t)s * (N_DECODE + 1) + N_DECODE) * nv, l1_ctx_logits(c, -1), (size_t)nv * sizeof(float));
        l1_ctx_free(c);
    }
    /* Together: the first two prompts interleaved in one batch, the long
     * one alone (an eval of more than n_batch tokens is cut into steps,
     * and a sequence's steps must be cut where they are alone), then one
     * token of every sequence per batch, then two of each. */
    l1_ctx *c = small_ctx(m, 1024, N_SEQ, threads);
    l1_token tok[80];
    int32_t seq[80];
    int32_t n = 0, k0 = 0, k1 = 0;
    while (k0 < PROMPT_LEN[0] || k1 < PROMPT_LEN[1]) {
        if (k1 < PROMPT_LEN[1]) tok[n] = prompt[1][k1++], seq[n++] = 1;
        if (k1 % 13 == 0 && k0 < PROMPT_LEN[0]) tok[n] = prompt[0][k0++], seq[n++] = 0;
    }
    l1_batch b = {n, tok, seq, NULL, NULL};
    assert_int_equal(l1_ctx_decode(c, &b), L1_OK);
    int32_t last0 = -1, last1 = -1;
    for (int32_t i = 0; i < n; i++) {
        if (seq[i] == 0) last0 = i;
        if (seq[i] == 1) last1 = i;
    }
    char what[160];
    snprintf(what, sizeof what, "%s, %d threads, prompt of sequence 0", label, threads);
    assert_same_logits(alone, l1_ctx_batch_logits(c, last0), nv, what);
    snprintf(what, sizeof what, "%s, %d threads, prompt of sequence 1", label, threads);
    assert_same_logits(alone + (size_t)(N_DECODE + 1) * nv, l1_ctx_batch_logits(c, last1), nv, what);
    for (int32_t i = 0; i < n; i++)
        if (i != last0 && i != last1) assert_null(l1_ctx_batch_logits(c, i));
    int32_t seq2[600];
    for (int32_t i = 0; i < PROMPT_LEN[2]; i++) seq2[i] = 2;
    l1_batch b2 = {PROMPT_LEN[2], prompt[2], seq2, NULL, NULL};
    assert_int_equal(l1_ctx_decode(c, &b2), L1_OK);
    assert_same_logits(alone + (size_t)2 * (N_DECODE + 1) * nv, l1_ctx_batch_logits(c, PROMPT_LEN[2] - 1), nv,
                       "prompt of sequence 2");
    for (int d = 0; d < N_DECODE - 1; d++) {
        /* Order the sequences differently at each step. */
        for (int s = 0; s < N_SEQ; s++) {
            const int32_t q = (s + d) % N_SEQ;
            tok[s] = next[q][d];
            seq[s] = q;
        }
        l1_batch bd = {N_SEQ, tok, seq, NULL, NULL};
        assert_int_equal(l1_ctx_decode(c, &bd), L1_OK);
        for (int s = 0; s < N_SEQ; s++) {
            snprintf(what, sizeof what, "%s, %d threads, sequence %d, decode step %d", label, threads, seq[s], d);
            assert_same_logits(alone + ((size_t)seq[s] * (N_DECODE + 1) + 1 + d) * nv, l1_ctx_batch_logits(c, s),
                               nv, what);
        }
    }
    for (int s = 0; s < N_SEQ; s++) {
        tok[2 * s] = next[s][N_DECODE - 1];
        tok[2 * s + 1] = next[s][N_DECODE];
        seq[2 * s] = seq[2 * s + 1] = s;
    }
    l1_batch bt = {2 * N_SEQ, tok, seq, NULL, NULL};
    assert_int_equal(l1_ctx_decode(c, &bt), L1_OK);
    for (int s = 0; s < N_SEQ; s++) {
        snprintf(what, sizeof what, "%s, %d threads, sequence %d, two tokens at once", label, threads, s);
        assert_same_logits(alone + ((size_t)s * (N_DECODE + 1) + N_DECODE) * nv, l1_ctx_batch_logits(c, 2 * s + 1),
                           nv, what);
        assert_int_equal(l1_ctx_seq_n_past(c, s), PROMPT_LEN[s] + N_DECODE + 1);
    }
    l1_ctx_free(c);
    free(alone);
}

static void a_sequence_decoded_in_a_batch_gets_its_logits_alone_bit_for_bit(void **state) {
    (void)state;
    const uint32_t types[] = {L1_TYPE_Q8_0, L1_TYPE_Q4_0, L1_TYPE_Q4_K, L1_TYPE_Q6_K, L1_TYPE_F16};
    int tiers = 0;
    assert_true(l1__tier_set(L1_TIER_COUNT)); /* no override: the tier this machine gets */
    const l1__tier native = l1__tier_best();
    for (int t = 0; t < L1_TIER_COUNT; t++) {
        if (!l1__tier_set((l1__tier)t)) continue; /* not compiled, or not this CPU's */
        tiers++;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            l1_model *m = small_synth_model("batch", types[i], 1024); /* loaded per tier: repacking follows the tier */
            char label[64];
            snprintf(label, sizeof label, "%s, tier %s", l1__type_name(types[i]), l1__tier_name((l1__tier)t));
            /* 1 to 3 threads on the tier the library picks here; the
             * others with 2 (no result depends on the thread count, which
             * test_forward checks on its own). */
            const bool best = (l1__tier)t == native;
            for (int32_t threads = best ? 1 : 2; threads <= (best ? 3 : 2); threads++)
                decode_matches_alone(m, threads, label);
            l1_model_free(m);
        }
    }
    assert_true(l1__tier_set(L1_TIER_COUNT));
    assert_true(tiers >= 2); /* scalar and the native tier at least */
}

/* Sequence 1's logits do not change when sequence 0 holds other tokens,
 * and do change when its own tokens change (so the comparison can fail). */
static void sequences_never_see_each_other(void **state) {
    (void)state;
    l1_model *m = small_synth_model("batch", L1_TYPE_Q8_0, 1024);
    const int32_t nv = l1_n_vocab(m);
    l1_token a[40], b[40], other[40];
    fill_tokens(a, 40, nv, 1);
    fill_tokens(b, 40, nv, 2);
    fill_tokens(other, 40, nv, 3);
    float *ref = malloc((size_t)nv * sizeof *ref);
    assert_non_null(ref);
    for (int round = 0; round < 3; round++) {
        /* round 0: seq 0 = a, seq 1 = b; round 1: seq 0 = other, seq 1 = b;
         * round 2: seq 0 = a, seq 1 = other. */
        l1_ctx *c = small_ctx(m, 128, 2, 2);
        l1_token tok[80];
        int32_t seq[80];
        for (int i = 0; i < 40; i++) {
            tok[2 * i] = round == 1 ? other[i] : a[i];
            seq[2 * i] = 0;
            tok[2 * i + 1] = round == 2 ? other[i] : b[i];
            seq[2 * i + 1] = 1;
        }
        l1_batch bt = {80, tok, seq, NULL, NULL};
        assert_int_equal(l1_ctx_decode(c, &bt), L1_OK);
        const float *lg = l1_ctx_batch_logits(c, 79);
        assert_non_null(lg);
        if (round == 0) memcpy(ref, lg, (size_t)nv * sizeof *ref);
        if (round == 1) assert_same_logits(ref, lg, nv, "sequence 1 with another sequence 0");
        if (round == 2) assert_true(memcmp(ref, lg, (size_t)nv * sizeof *ref) != 0);
        l1_ctx_free(c);
    }
    free(ref);
    l1_model_free(m);
}

/* One prompt evaluated once and copied: every copy decodes as the original. */
static void a_copied_prompt_decodes_like_the_original(void **state) {
    (void)state;
    l1_model *m = small_synth_model("batch", L1_TYPE_Q4_0, 1024);
    const int32_t nv = l1_n_vocab(m);
    l1_token p[30], x = 7;
    fill_tokens(p, 30, nv, 9);
    l1_ctx *alone = small_ctx(m, 64, 1, 2);
    assert_int_equal(l1_ctx_eval(alone, p, 30, 0), L1_OK);
    assert_int_equal(l1_ctx_eval(alone, &x, 1, 0), L1_OK);
    l1_ctx *c = small_ctx(m, 64, 3, 2);
    assert_int_equal(l1_ctx_eval(c, p, 30, 0), L1_OK); /* sequence 0 */
    assert_int_equal(l1_ctx_seq_copy(c, 0, 1, 30), L1_OK);
    assert_int_equal(l1_ctx_seq_copy(c, 0, 2, 30), L1_OK);
    assert_null(l1_ctx_logits(c, -1)); /* a copy drops the stored logits */
    assert_int_equal(l1_ctx_seq_n_past(c, 2), 30);
    l1_token tok[3] = {x, x, x};
    int32_t seq[3] = {2, 0, 1};
    l1_batch b = {3, tok, seq, NULL, NULL};
    assert_int_equal(l1_ctx_decode(c, &b), L1_OK);
    for (int i = 0; i < 3; i++) assert_same_logits(l1_ctx_logits(alone, -1), l1_ctx_batch_logits(c, i), nv, "copy");
    /* Truncating one sequence leaves the others. */
    assert_int_equal(l1_ctx_seq_truncate(c, 1, 10), L1_OK);
    assert_int_equal(l1_ctx_seq_n_past(c, 1), 10);
    assert_int_equal(l1_ctx_seq_n_past(c, 0), 31);
    assert_int_equal(l1_ctx_seq_n_past(c, 2), 31);
    l1_ctx_free(c);
    l1_ctx_free(alone);
    l1_model_free(m);
}

/* A batch that overflows one sequence is refused whole, naming it. */
static void a_full_sequence_refuses_the_batch_and_changes_nothing(void **state) {
    (void)state;
    l1_model *m = small_synth_model("batch", L1_TYPE_Q8_0, 1024);
    l1_ctx *c = small_ctx(m, 16, 2, 1);
    l1_token t[16];
    fill_tokens(t, 16, l1_n_vocab(m), 4);
    int32_t s1[15];
    for (int i = 0; i < 15; i++) s1[i] = 1;
    l1_batch fill0 = {10, t, NULL, NULL, NULL}, fill1 = {15, t, s1, NULL, NULL};
    assert_int_equal(l1_ctx_decode(c, &fill0), L1_OK);
    assert_int_equal(l1_ctx_decode(c, &fill1), L1_OK);
    l1_token tok[3] = {1, 2, 3};
    int32_t seq[3] = {0, 1, 1};
    l1_batch over = {3, tok, seq, NULL, NULL};
    assert_int_equal(l1_ctx_decode(c, &over), L1_ERR_CONTEXT_FULL);
    assert_non_null(strstr(l1_last_error(), "sequence 1"));
    assert_int_equal(l1_ctx_seq_n_past(c, 0), 10);
    assert_int_equal(l1_ctx_seq_n_past(c, 1), 15);
    assert_null(l1_ctx_batch_logits(c, 0));
    l1_batch fits = {2, tok, seq, NULL, NULL};
    assert_int_equal(l1_ctx_decode(c, &fits), L1_OK);
    assert_int_equal(l1_ctx_seq_n_past(c, 0), 11);
    assert_int_equal(l1_ctx_seq_n_past(c, 1), 16);
    l1_ctx_free(c);
    l1_model_free(m);
}

static void batch_arguments_are_checked(void **state) {
    (void)state;
    l1_model *m = small_synth_model("batch", L1_TYPE_Q8_0, 1024);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = 32;
    cp.n_seq = L1_MAX_SEQ + 1;
    l1_ctx *c = NULL;
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_ERR_INVALID_ARG);
    assert_null(c);
    cp.n_seq = -1;
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_ERR_INVALID_ARG);
    c = small_ctx(m, 32, 2, 1);
    assert_int_equal(l1_ctx_n_seq(c), 2);
    assert_int_equal(l1_ctx_decode(c, NULL), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_decode(NULL, NULL), L1_ERR_INVALID_ARG);
    l1_token tok[2] = {1, 2};
    int32_t bad_seq[2] = {0, 2}, pos_gap[2] = {0, 2}, pos_ok[2] = {0, 1};
    l1_batch b = {2, tok, bad_seq, NULL, NULL};
    assert_int_equal(l1_ctx_decode(c, &b), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "sequence 2"));
    b.seq = NULL;
    b.pos = pos_gap;
    assert_int_equal(l1_ctx_decode(c, &b), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "position"));
    b.n = 0;
    assert_int_equal(l1_ctx_decode(c, &b), L1_ERR_INVALID_ARG);
    b.n = 2;
    b.pos = pos_ok;
    int8_t keep[2] = {1, 1};
    b.logits = keep;
    assert_int_equal(l1_ctx_decode(c, &b), L1_OK);
    assert_non_null(l1_ctx_batch_logits(c, 0));
    assert_non_null(l1_ctx_batch_logits(c, 1));
    assert_null(l1_ctx_batch_logits(c, 2));
    assert_null(l1_ctx_batch_logits(c, -1));
    assert_int_equal(l1_ctx_seq_truncate(c, 1, 1), L1_ERR_INVALID_ARG); /* sequence 1 is empty */
    assert_int_equal(l1_ctx_seq_truncate(c, 5, 0), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_seq_copy(c, 0, 1, 3), L1_ERR_INVALID_ARG);  /* sequence 0 holds 2 */
    assert_int_equal(l1_ctx_seq_copy(c, 0, -1, 1), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_ctx_seq_n_past(c, 7), 0);
    assert_int_equal(l1_ctx_seq_n_past(NULL, 0), 0);
    l1_ctx_free(c);
    l1_model_free(m);
}

/* ---- l1_generate_n on the reasoner ----------------------------------------------- */

typedef struct text {
    char s[4096];
    size_t n;
    int pieces;
    int stop_at; /* the callback asks to stop at this piece (0 = never) */
} text;

static void append(text *t, const l1_piece *p) {
    t->pieces++;
    const char *add = p->kind == L1_PIECE_THINK_BEGIN ? "<think>" : p->kind == L1_PIECE_THINK_END ? "</think>" : NULL;
    size_t len = add ? strlen(add) : (size_t)p->len;
    if (!add) add = p->text;
    if (t->n + len < sizeof t->s) {
        memcpy(t->s + t->n, add, len);
        t->n += len;
        t->s[t->n] = '\0';
    }
}

static int on_one(const l1_piece *p, void *user) {
    text *t = user;
    append(t, p);
    return t->stop_at && t->pieces >= t->stop_at;
}

static int on_seq(int32_t seq, const l1_piece *p, void *user) { return on_one(p, (text *)user + seq); }

static l1_model *g_reasoner;

static int load_reasoner(void **state) {
    (void)state;
    return l1_model_load(REASONER, NULL, &g_reasoner) == L1_OK ? 0 : -1;
}

static int free_reasoner(void **state) {
    (void)state;
    l1_model_free(g_reasoner);
    return 0;
}

/* K responses together equal the K responses alone: text, counts, close
 * and finish; `stop_at` (per response, may be NULL) stops some early. */
static void compare_with_alone(const char *prompt, int32_t k, const l1_gen_params *gp, int32_t n_ctx,
                               const int *stop_at, l1_gen_result *res) {
    text *together = calloc((size_t)k, sizeof *together), alone;
    assert_non_null(together);
    for (int32_t i = 0; i < k; i++) together[i].stop_at = stop_at ? stop_at[i] : 0;
    l1_ctx *c = small_ctx(g_reasoner, n_ctx, k, 2);
    assert_int_equal(l1_generate_n(c, prompt, k, gp, on_seq, together, res), L1_OK);
    l1_ctx_free(c);
    for (int32_t i = 0; i < k; i++) {
        memset(&alone, 0, sizeof alone);
        alone.stop_at = stop_at ? stop_at[i] : 0;
        l1_gen_params p1 = *gp;
        p1.seed = gp->seed + (uint64_t)i;
        l1_gen_result r1;
        l1_ctx *c1 = small_ctx(g_reasoner, n_ctx, 1, 1);
        assert_int_equal(l1_generate(c1, prompt, &p1, on_one, &alone, &r1), L1_OK);
        l1_ctx_free(c1);
        assert_string_equal(alone.s, together[i].s);
        assert_int_equal(r1.tokens_thinking, res[i].tokens_thinking);
        assert_int_equal(r1.tokens_answer, res[i].tokens_answer);
        assert_int_equal(r1.finish, res[i].finish);
        assert_int_equal(r1.close, res[i].close);
        assert_int_equal(r1.prompt_tokens, res[i].prompt_tokens);
    }
    free(together);
}

static int boxed(const l1_gen_result *r, const char *text_s, long *out) {
    (void)r;
    const char *b = strstr(text_s, "\\boxed{");
    if (!b) return 0;
    char *end;
    *out = strtol(b + 7, &end, 10);
    return end != b + 7 && *end == '}';
}

static void k_responses_together_equal_k_responses_alone(void **state) {
    (void)state;
    l1_gen_result res[8];
    /* Greedy: eight identical responses, each the single greedy one, with
     * the sum right (computed here). */
    l1_gen_params gp = l1_gen_default_params();
    gp.temperature = 0;
    gp.budget_mode = L1_BUDGET_MAX;
    gp.budget = 128;
    compare_with_alone("What is 358 + 47?", 8, &gp, 512, NULL, res);
    text t = {0};
    l1_ctx *c = small_ctx(g_reasoner, 512, 1, 1);
    assert_int_equal(l1_generate(c, "What is 358 + 47?", &gp, on_one, &t, NULL), L1_OK);
    l1_ctx_free(c);
    long v;
    assert_true(boxed(&res[0], t.s, &v));
    assert_int_equal(v, 358 + 47);
    /* Sampled, with a budget each response must keep. */
    gp.temperature = 0.6f;
    gp.seed = 11;
    gp.budget = 24;
    compare_with_alone("What is 8125 - 9307?", 5, &gp, 512, NULL, res);
    for (int i = 0; i < 5; i++) assert_true(res[i].tokens_thinking + res[i].tokens_answer <= 24);
}

/* Stopping one response (its callback returns nonzero) leaves the others
 * running to their own ends. */
static void stopping_one_response_leaves_the_others(void **state) {
    (void)state;
    l1_gen_params gp = l1_gen_default_params();
    gp.temperature = 0.6f;
    gp.seed = 5;
    gp.budget_mode = L1_BUDGET_MAX;
    gp.budget = 96;
    const int stop_at[4] = {0, 3, 0, 0};
    l1_gen_result res[4];
    compare_with_alone("What is 64 * 7?", 4, &gp, 512, stop_at, res);
    assert_int_equal(res[1].finish, L1_FINISH_ABORTED);
    for (int i = 0; i < 4; i++)
        if (i != 1) assert_int_not_equal(res[i].finish, L1_FINISH_ABORTED);
}

/* With a context too small for some responses, those end with
 * context_full and the others are what they are alone. */
static void a_full_context_ends_only_the_response_that_filled_it(void **state) {
    (void)state;
    l1_gen_params gp = l1_gen_default_params();
    gp.temperature = 1.0f;
    /* A subtraction with a borrow chain: the model is less sure of its
     * columns there, so sampled responses differ in length (an addition it
     * is sure of gives six scratchpads of one length). */
    const char *q = "What is 7001 - 2999?";
    /* The responses' lengths with room to spare, one at a time: seeds S to
     * S + 5 whose six responses all end by themselves within 512 positions
     * and are not all of one length (a sampled response of a small model
     * may also run on until the context is full); the first S from 3 up. */
    int32_t shortest = INT32_MAX, longest = 0, prompt = 0;
    for (gp.seed = 3; gp.seed < 400; gp.seed++) {
        shortest = INT32_MAX, longest = 0;
        int i = 0;
        for (; i < 6; i++) {
            l1_gen_params p1 = gp;
            p1.seed = gp.seed + (uint64_t)i;
            l1_gen_result one;
            l1_ctx *c = small_ctx(g_reasoner, 512, 1, 1);
            assert_int_equal(l1_generate(c, q, &p1, NULL, NULL, &one), L1_OK);
            l1_ctx_free(c);
            if (one.finish != L1_FINISH_EOS) break;
            const int32_t len = one.tokens_thinking + one.tokens_answer;
            if (len < shortest) shortest = len;
            if (len > longest) longest = len;
            prompt = one.prompt_tokens;
        }
        if (i == 6 && shortest < longest) break;
    }
    assert_true(gp.seed < 400);
    assert_true(shortest < longest);
    /* A response of L tokens evaluates L - 1 of them after the prompt:
     * the longest no longer fits, the shortest still does. */
    l1_gen_result res[6];
    compare_with_alone(q, 6, &gp, prompt + longest - 2, NULL, res);
    int full = 0;
    for (int i = 0; i < 6; i++) full += res[i].finish == L1_FINISH_CONTEXT_FULL;
    assert_true(full >= 1 && full < 6);
}

/* Continuous batching through the public API: responses begin while
 * others are running (each its own prompt, seed and budget), one is
 * aborted, a sequence begins a second chat turn that reuses its cache;
 * each response's text is the one l1_generate gives alone. */
typedef struct job {
    const char *prompt;
    uint64_t seed;
    int32_t budget;
    int start_round; /* the l1_gen_step round it begins at */
    int abort_round; /* l1_gen_abort at this round (0 = never) */
} job;

static void alone_text(const job *j, text *t, l1_gen_result *r) {
    l1_gen_params gp = l1_gen_default_params();
    gp.seed = j->seed;
    gp.budget_mode = L1_BUDGET_MAX;
    gp.budget = j->budget;
    memset(t, 0, sizeof *t);
    l1_ctx *c = small_ctx(g_reasoner, 512, 1, 1);
    assert_int_equal(l1_generate(c, j->prompt, &gp, on_one, t, r), L1_OK);
    l1_ctx_free(c);
}

static void responses_join_and_leave_a_running_batch(void **state) {
    (void)state;
    const job jobs[3] = {
        {"What is 4821 + 377?", 21, 96, 0, 0},
        {"What is 66 * 9?", 22, 64, 5, 0},
        {"What is 7001 - 2999?", 23, 128, 9, 0},
    };
    l1_ctx *c = small_ctx(g_reasoner, 512, 3, 2);
    l1_gen *g[3];
    for (int i = 0; i < 3; i++) assert_int_equal(l1_gen_new_seq(c, i, &g[i]), L1_OK);
    l1_gen *bad = NULL;
    assert_int_equal(l1_gen_new_seq(c, 3, &bad), L1_ERR_INVALID_ARG);
    assert_null(bad);
    text got[3];
    memset(got, 0, sizeof got);
    bool begun[3] = {false}, ended[3] = {false};
    l1_piece p;
    assert_int_equal(l1_gen_poll(g[0], &p), -1); /* nothing begun */
    for (int round = 0; round < 2000 && !(ended[0] && ended[1] && ended[2]); round++) {
        for (int i = 0; i < 3; i++)
            if (!begun[i] && round == jobs[i].start_round) {
                l1_gen_params gp = l1_gen_default_params();
                gp.seed = jobs[i].seed;
                gp.budget_mode = L1_BUDGET_MAX;
                gp.budget = jobs[i].budget;
                assert_int_equal(l1_gen_begin(g[i], jobs[i].prompt, &gp), L1_OK);
                begun[i] = true;
            }
        assert_int_equal(l1_gen_step(g, 3), L1_OK);
        for (int i = 0; i < 3; i++) {
            if (!begun[i] || ended[i]) continue;
            int32_t r;
            while ((r = l1_gen_poll(g[i], &p)) == 1) {
                if (p.kind == L1_PIECE_END) {
                    ended[i] = true;
                    break;
                }
                append(&got[i], &p);
            }
            assert_true(r >= 0);
        }
    }
    for (int i = 0; i < 3; i++) {
        assert_true(ended[i]);
        l1_gen_result r, r1;
        assert_int_equal(l1_gen_end(g[i], &r), L1_OK);
        text alone;
        alone_text(&jobs[i], &alone, &r1);
        assert_string_equal(alone.s, got[i].s);
        assert_int_equal(r.tokens_thinking + r.tokens_answer, r1.tokens_thinking + r1.tokens_answer);
        assert_true(r.tokens_thinking + r.tokens_answer <= jobs[i].budget);
    }
    /* A second turn on sequence 1 reuses its cache; an abort stops only
     * its own response. */
    l1_message turn[3] = {{L1_MSG_USER, jobs[1].prompt}, {L1_MSG_ASSISTANT, got[1].s}, {L1_MSG_USER, "What is 5 + 5?"}};
    l1_gen_params gp = l1_gen_default_params();
    gp.seed = 5;
    gp.budget_mode = L1_BUDGET_MAX;
    gp.budget = 64;
    assert_int_equal(l1_gen_begin_chat(g[1], turn, 3, &gp), L1_OK);
    assert_int_equal(l1_gen_begin(g[2], jobs[2].prompt, &gp), L1_OK);
    int pieces2 = 0;
    bool done1 = false, done2 = false;
    for (int round = 0; round < 2000 && !(done1 && done2); round++) {
        if (round == 3) l1_gen_abort(g[2]);
        assert_int_equal(l1_gen_step(g, 3), L1_OK);
        while (!done1 && l1_gen_poll(g[1], &p) == 1) done1 = p.kind == L1_PIECE_END;
        while (!done2 && l1_gen_poll(g[2], &p) == 1) {
            done2 = p.kind == L1_PIECE_END;
            pieces2++;
        }
    }
    l1_gen_result r1, r2;
    assert_int_equal(l1_gen_end(g[1], &r1), L1_OK);
    assert_int_equal(l1_gen_end(g[2], &r2), L1_OK);
    assert_true(r1.prompt_reused > 0);
    assert_int_not_equal(r1.finish, L1_FINISH_ABORTED);
    assert_int_equal(r2.finish, L1_FINISH_ABORTED);
    assert_true(pieces2 < 10);
    /* Misuse. */
    assert_int_equal(l1_gen_poll(NULL, &p), -1);
    assert_int_equal(l1_gen_poll(g[0], NULL), -1);
    assert_int_equal(l1_gen_step(NULL, 1), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_gen_step(g, 0), L1_ERR_INVALID_ARG);
    l1_ctx *other = small_ctx(g_reasoner, 64, 1, 1);
    l1_gen *go = NULL;
    assert_int_equal(l1_gen_new_seq(other, 0, &go), L1_OK);
    l1_gen *mixed[2] = {g[1], go};
    assert_int_equal(l1_gen_step(mixed, 2), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "different contexts"));
    l1_gen_free(go);
    l1_ctx_free(other);
    assert_int_equal(l1_gen_new_seq(NULL, 0, &go), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_gen_new_seq(c, 0, NULL), L1_ERR_INVALID_ARG);
    l1_gen *twice[2] = {g[0], g[0]};
    assert_int_equal(l1_gen_step(twice, 2), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "same sequence"));
    for (int i = 0; i < 3; i++) l1_gen_free(g[i]);
    l1_ctx_free(c);
}

static void generate_n_arguments_are_checked(void **state) {
    (void)state;
    l1_ctx *c = small_ctx(g_reasoner, 256, 2, 1);
    l1_gen_result r[3];
    assert_int_equal(l1_generate_n(c, "What is 1 + 1?", 3, NULL, NULL, NULL, r), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "n_seq"));
    assert_int_equal(l1_generate_n(c, "What is 1 + 1?", 0, NULL, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_generate_n(c, NULL, 1, NULL, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    assert_int_equal(l1_generate_n(NULL, "x", 1, NULL, NULL, NULL, NULL), L1_ERR_INVALID_ARG);
    l1_gen_params gp = l1_gen_default_params();
    gp.budget = -5;
    assert_int_equal(l1_generate_n(c, "What is 1 + 1?", 2, &gp, NULL, NULL, r), L1_ERR_INVALID_ARG);
    l1_ctx_free(c);
}

int main(void) {
    const struct CMUnitTest synth[] = {
        cmocka_unit_test(a_sequence_decoded_in_a_batch_gets_its_logits_alone_bit_for_bit),
        cmocka_unit_test(sequences_never_see_each_other),
        cmocka_unit_test(a_copied_prompt_decodes_like_the_original),
        cmocka_unit_test(a_full_sequence_refuses_the_batch_and_changes_nothing),
        cmocka_unit_test(batch_arguments_are_checked),
    };
    const struct CMUnitTest reasoner[] = {
        cmocka_unit_test(k_responses_together_equal_k_responses_alone),
        cmocka_unit_test(stopping_one_response_leaves_the_others),
        cmocka_unit_test(a_full_context_ends_only_the_response_that_filled_it),
        cmocka_unit_test(responses_join_and_leave_a_running_batch),
        cmocka_unit_test(generate_n_arguments_are_checked),
    };
    int failed = cmocka_run_group_tests_name("batch", synth, NULL, NULL);
    return failed + cmocka_run_group_tests_name("generate_n", reasoner, load_reasoner, free_reasoner);
}
