/*
 * test_model.c - the model layer rejects malformed Qwen2 files by name: each
 * hyper-parameter and tensor violation is built from a valid synthetic model
 * (lib/synth.c hooks) and must fail with a message naming the key or
 * tensor, without leaking (run under ASan).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model.h"
#include "tooling/synth.h"
#include "gguf/types.h"

/* One mutation: a tensor to drop, retype, reshape or poison, and/or a key
 * to overwrite. */
typedef struct mutation {
    const char *tensor;
    int action;       /* 0 drop, 1 keep, 2 NaN */
    int set_type;     /* new type + 1; 0 = unchanged */
    int64_t ne0, ne1; /* 0 = unchanged */
    const char *key;
    char kind;        /* 'u' u32, 'f' f32, 's' string, 'a' array of two i32,
                         'x' an extra F32 tensor named str of num values */
    double num;
    const char *str;
    int wide;         /* rows of 256 values, so 256-value blocks fit */
} mutation;

static int tensor_hook(void *user, const char *name, uint32_t *type, uint32_t *n_dims, int64_t ne[4]) {
    const mutation *m = user;
    if (!m->tensor || strcmp(name, m->tensor)) return 1;
    if (m->set_type) *type = (uint32_t)(m->set_type - 1);
    if (m->ne0) ne[0] = m->ne0;
    if (m->ne1) ne[1] = m->ne1, *n_dims = 2;
    return m->action;
}

static l1_status kv_hook(void *user, l1__gguf_writer *w) {
    const mutation *m = user;
    if (!m->key) return L1_OK;
    if (m->kind == 'u') return l1__gguf_writer_set_u32(w, m->key, (uint32_t)m->num);
    if (m->kind == 'f') return l1__gguf_writer_set_f32(w, m->key, (float)m->num);
    if (m->kind == 'a') {
        const int32_t two[2] = {1, 2};
        return l1__gguf_writer_set_arr(w, m->key, L1_GGUF_INT32, two, 2);
    }
    if (m->kind == 'x') {
        static const float zeros[64];
        const int64_t ne[1] = {(int64_t)m->num};
        return l1__gguf_writer_add_tensor(w, m->str, L1_TYPE_F32, 1, ne, zeros,
                                          (uint64_t)m->num * sizeof(float));
    }
    return l1__gguf_writer_set_str(w, m->key, m->str, strlen(m->str));
}

static char g_path[64];

/* Writes the tiny model with mutation m and loads it. */
static l1_status load_mutated(const mutation *m, const l1_model_params *mp, l1_model **out) {
    l1__synth_params p;
    assert_int_equal(l1__synth_preset("tiny", &p), L1_OK);
    if (m->wide) p.n_embd = 256, p.n_ff = 256;
    p.tensor_hook = tensor_hook;
    p.kv_hook = kv_hook;
    p.hook_user = (void *)(uintptr_t)m;
    snprintf(g_path, sizeof g_path, "/tmp/l1-test-model-%d.gguf", (int)getpid());
    assert_int_equal(l1__synth_write(&p, g_path), L1_OK);
    l1_status st = l1_model_load(g_path, mp, out);
    remove(g_path);
    return st;
}

static void expect_reject(const mutation *m, l1_status want, const char *needle) {
    l1_model *model = (l1_model *)1;
    l1_status st = load_mutated(m, NULL, &model);
    if (st != want || !strstr(l1_last_error(), needle))
        fail_msg("status %d (want %d), message '%s' (want '%s')", st, want, l1_last_error(), needle);
    assert_null(model);
}

#define T(name, ...) ((mutation){.tensor = name, __VA_ARGS__})
#define K(k, ...) ((mutation){.key = k, .set_type = -1, .action = 1, __VA_ARGS__})

static void valid_tiny_model_loads(void **state) {
    (void)state;
    mutation none = {.set_type = 0};
    l1_model *m;
    assert_int_equal(load_mutated(&none, NULL, &m), L1_OK);
    l1_model_desc d;
    assert_int_equal(l1_model_info(m, &d), L1_OK);
    assert_int_equal(d.n_layer, 2);
    assert_int_equal(d.head_dim, 16);
    assert_int_equal(d.tied_embeddings, 0);
    assert_string_equal(d.weight_type, "F32");
    l1_model_free(m);
}

static void missing_or_misshapen_tensors_are_named(void **state) {
    (void)state;
    expect_reject(&T("blk.1.attn_q.weight", .action = 0), L1_ERR_FORMAT, "tensor blk.1.attn_q.weight: missing");
    expect_reject(&T("blk.0.ffn_down.weight", .action = 1, .ne1 = 32), L1_ERR_FORMAT, "tensor blk.0.ffn_down.weight: shape");
    expect_reject(&T("blk.0.attn_k.bias", .action = 1, .ne0 = 64), L1_ERR_FORMAT, "tensor blk.0.attn_k.bias: shape");
    expect_reject(&T("blk.1.attn_v.bias", .action = 0), L1_ERR_FORMAT, "tensor blk.1.attn_v.bias: missing");
    expect_reject(&T("output_norm.weight", .action = 0), L1_ERR_FORMAT, "tensor output_norm.weight: missing");
    expect_reject(&T("output.weight", .action = 1, .ne1 = 100), L1_ERR_FORMAT, "tensor output.weight: shape");
    expect_reject(&T("token_embd.weight", .action = 0), L1_ERR_FORMAT, "tensor token_embd.weight: missing");
}

static void norms_must_be_finite_f32(void **state) {
    (void)state;
    expect_reject(&T("blk.0.ffn_norm.weight", .action = 1, .set_type = L1_TYPE_F16 + 1), L1_ERR_FORMAT,
                  "tensor blk.0.ffn_norm.weight: type F16, expected F32");
    expect_reject(&T("blk.1.attn_norm.weight", .action = 2), L1_ERR_NUMERIC, "tensor blk.1.attn_norm.weight: value 0 is not finite");
}

static void unsupported_type_is_refused_by_name(void **state) {
    (void)state;
    expect_reject(&T("blk.0.attn_q.weight", .action = 1, .set_type = L1_TYPE_IQ2_XXS + 1, .wide = 1), L1_ERR_UNSUPPORTED,
                  "tensor blk.0.attn_q.weight has type IQ2_XXS, which l1 does not support");
}

static void bad_hyper_parameters_are_named(void **state) {
    (void)state;
    expect_reject(&K("qwen2.attention.head_count", .kind = 'u', .num = 0), L1_ERR_FORMAT, "key qwen2.attention.head_count");
    expect_reject(&K("qwen2.attention.head_count", .kind = 'u', .num = 3), L1_ERR_FORMAT, "not a multiple of head_count 3");
    expect_reject(&K("qwen2.attention.head_count_kv", .kind = 'u', .num = 3), L1_ERR_FORMAT, "key qwen2.attention.head_count_kv");
    expect_reject(&K("qwen2.attention.head_count", .kind = 'u', .num = 64), L1_ERR_FORMAT, "is odd");
    expect_reject(&K("qwen2.rope.freq_base", .kind = 'f', .num = NAN), L1_ERR_FORMAT, "key qwen2.rope.freq_base");
    expect_reject(&K("qwen2.rope.freq_base", .kind = 'f', .num = -1), L1_ERR_FORMAT, "key qwen2.rope.freq_base");
    expect_reject(&K("qwen2.attention.layer_norm_rms_epsilon", .kind = 'f', .num = 0), L1_ERR_FORMAT,
                  "key qwen2.attention.layer_norm_rms_epsilon");
    expect_reject(&K("qwen2.embedding_length", .kind = 's', .str = "64"), L1_ERR_FORMAT, "key qwen2.embedding_length");
    expect_reject(&K("general.architecture", .kind = 's', .str = "llama"), L1_ERR_UNSUPPORTED, "key general.architecture");
}

static void block_count_must_match_blocks_present(void **state) {
    (void)state;
    expect_reject(&K("qwen2.block_count", .kind = 'u', .num = 3), L1_ERR_FORMAT, "tensor blk.2.attn_norm.weight: missing");
    expect_reject(&K("qwen2.block_count", .kind = 'u', .num = 1), L1_ERR_FORMAT, "but key qwen2.block_count is 1");
}

static void vocabulary_must_match_embedding_rows(void **state) {
    (void)state;
    expect_reject(&T("token_embd.weight", .action = 1, .ne1 = 200), L1_ERR_FORMAT, "tensor token_embd.weight: 200 rows");
}

static void missing_output_means_tied_embeddings(void **state) {
    (void)state;
    l1_model *m;
    assert_int_equal(load_mutated(&T("output.weight", .action = 0), NULL, &m), L1_OK);
    l1_model_desc d;
    assert_int_equal(l1_model_info(m, &d), L1_OK);
    assert_int_equal(d.tied_embeddings, 1);
    l1_model_free(m);
}

static void vocab_only_skips_weights_and_limit_is_enforced(void **state) {
    (void)state;
    l1_model_params mp = l1_model_default_params();
    mp.vocab_only = 1;
    l1_model *m;
    assert_int_equal(load_mutated(&T("blk.0.attn_q.weight", .action = 0), &mp, &m), L1_OK);
    assert_true(l1_n_vocab(m) > 256);
    l1_ctx *c = (l1_ctx *)1;
    assert_int_equal(l1_ctx_new(m, NULL, &c), L1_ERR_INVALID_ARG);
    l1_model_free(m);
    mp = l1_model_default_params();
    mp.memory_limit = 1000;
    mutation none = {.set_type = 0};
    assert_int_equal(load_mutated(&none, &mp, &m), L1_ERR_LIMIT);
    assert_null(m);
}

/* Every hyper-parameter is range-checked at load with its key named, so a
 * value that would only fail (or compute garbage) at generation is refused
 * where it is read.  The bounds are l1's (model.c): RoPE base [1, 1e12],
 * RMS epsilon [1e-12, 1], context_length [1, 2^24], head size <= 1024. */
static void hyper_parameters_are_range_checked(void **state) {
    (void)state;
    /* 1e-45 is a denormal f32: positive and finite, but overflows RoPE. */
    expect_reject(&K("qwen2.rope.freq_base", .kind = 'f', .num = 1e-45), L1_ERR_FORMAT,
                  "key qwen2.rope.freq_base: 1.4013e-45 is out of range [1, 1e+12]");
    expect_reject(&K("qwen2.rope.freq_base", .kind = 'f', .num = 0.5), L1_ERR_FORMAT,
                  "key qwen2.rope.freq_base: 0.5 is out of range");
    expect_reject(&K("qwen2.rope.freq_base", .kind = 'f', .num = 1e13), L1_ERR_FORMAT,
                  "key qwen2.rope.freq_base: 1e+13 is out of range");
    expect_reject(&K("qwen2.attention.layer_norm_rms_epsilon", .kind = 'f', .num = 1e-40), L1_ERR_FORMAT,
                  "key qwen2.attention.layer_norm_rms_epsilon: 9.99995e-41 is out of range [1e-12, 1]");
    expect_reject(&K("qwen2.attention.layer_norm_rms_epsilon", .kind = 'f', .num = 2), L1_ERR_FORMAT,
                  "key qwen2.attention.layer_norm_rms_epsilon: 2 is out of range");
    expect_reject(&K("qwen2.context_length", .kind = 'u', .num = 2147483647.0), L1_ERR_FORMAT,
                  "key qwen2.context_length: 2147483647 is out of range [1, 16777216]");
    expect_reject(&K("qwen2.context_length", .kind = 'u', .num = 0), L1_ERR_FORMAT,
                  "key qwen2.context_length: 0 is out of range");
    expect_reject(&K("qwen2.embedding_length", .kind = 'u', .num = 8192), L1_ERR_FORMAT,
                  "head size 2048 (embedding_length / head_count) is above 1024");
    expect_reject(&K("qwen2.feed_forward_length", .kind = 'u', .num = 0), L1_ERR_FORMAT,
                  "key qwen2.feed_forward_length: 0 is out of range");
    expect_reject(&K("qwen2.block_count", .kind = 'u', .num = 5000), L1_ERR_FORMAT,
                  "key qwen2.block_count: 5000 is out of range");
    /* The bounds themselves load (the tiny model's own values are 1e4 and 1e-6). */
    l1_model *m;
    assert_int_equal(load_mutated(&K("qwen2.rope.freq_base", .kind = 'f', .num = 1), NULL, &m), L1_OK);
    l1_model_free(m);
    assert_int_equal(load_mutated(&K("qwen2.attention.layer_norm_rms_epsilon", .kind = 'f', .num = 1), NULL, &m),
                     L1_OK);
    l1_model_free(m);
}

/* A tensor l1 would not compute with is refused by name: an unknown tensor
 * inside a valid block, a block number with a leading zero, and an unknown
 * top-level tensor. */
static void unknown_or_malformed_tensor_names_are_refused(void **state) {
    (void)state;
    expect_reject(&K("general.name", .kind = 'x', .str = "blk.0.attn_qkv.weight", .num = 64), L1_ERR_FORMAT,
                  "tensor blk.0.attn_qkv.weight: not a tensor of a Qwen2 block");
    expect_reject(&K("general.name", .kind = 'x', .str = "blk.01.attn_norm.weight", .num = 64), L1_ERR_FORMAT,
                  "tensor blk.01.attn_norm.weight: malformed block name");
    expect_reject(&K("general.name", .kind = 'x', .str = "blk.1.attn_norm.weight.extra", .num = 64),
                  L1_ERR_FORMAT, "tensor blk.1.attn_norm.weight.extra: not a tensor of a Qwen2 block");
    expect_reject(&K("general.name", .kind = 'x', .str = "blk.0.", .num = 64), L1_ERR_FORMAT,
                  "tensor blk.0.: not a tensor of a Qwen2 block");
    expect_reject(&K("general.name", .kind = 'x', .str = "rope_freqs.weight", .num = 8), L1_ERR_FORMAT,
                  "tensor rope_freqs.weight: not a tensor of a Qwen2 model");
}

/* A known key of the wrong type is an error naming the key and the type. */
static void known_keys_of_the_wrong_type_are_refused(void **state) {
    (void)state;
    expect_reject(&K("tokenizer.chat_template", .kind = 'u', .num = 7), L1_ERR_FORMAT,
                  "key tokenizer.chat_template: must be a string, found u32");
    expect_reject(&K("general.name", .kind = 'a'), L1_ERR_FORMAT, "key general.name: must be a string, found array");
    expect_reject(&K("general.architecture", .kind = 'a'), L1_ERR_FORMAT, "key general.architecture");
}

/* EOS must be a control token of its own (built-in vocabulary: 0..255 bytes,
 * 256..259 merges, then EOS 260 ... <think> 265, </think> 266). */
static void eos_must_be_a_control_token_of_its_own(void **state) {
    (void)state;
    expect_reject(&K("tokenizer.ggml.eos_token_id", .kind = 'u', .num = 32), L1_ERR_FORMAT,
                  "key tokenizer.ggml.eos_token_id: token 32 ('\\xc4\\xa0') is an ordinary text token");
    expect_reject(&K("tokenizer.ggml.eos_token_id", .kind = 'u', .num = 257), L1_ERR_FORMAT,
                  "key tokenizer.ggml.eos_token_id: token 257 ('he') is an ordinary text token");
    expect_reject(&K("tokenizer.ggml.eos_token_id", .kind = 'u', .num = 265), L1_ERR_FORMAT,
                  "key tokenizer.ggml.eos_token_id: token 265 is <think>");
    expect_reject(&K("tokenizer.ggml.eos_token_id", .kind = 'u', .num = 266), L1_ERR_FORMAT,
                  "key tokenizer.ggml.eos_token_id: token 266 is </think>");
    /* Refused with vocab_only too: the tokenizer is what is wrong. */
    l1_model_params mp = l1_model_default_params();
    mp.vocab_only = 1;
    l1_model *m = (l1_model *)1;
    assert_int_equal(load_mutated(&K("tokenizer.ggml.eos_token_id", .kind = 'u', .num = 265), &mp, &m),
                     L1_ERR_FORMAT);
    assert_null(m);
    /* Another control token (<|EOT|>, 264) is a valid EOS. */
    assert_int_equal(load_mutated(&K("tokenizer.ggml.eos_token_id", .kind = 'u', .num = 264), NULL, &m), L1_OK);
    assert_int_equal(l1_token_special(m, L1_SPECIAL_EOS), 264);
    l1_model_free(m);
}

static int g_progress_calls;
static int cancel_at_half(float f, void *user) {
    (void)user;
    g_progress_calls++;
    return f >= 0.5f;
}

static void progress_callback_can_cancel(void **state) {
    (void)state;
    l1_model_params mp = l1_model_default_params();
    mp.progress = cancel_at_half;
    l1_model *m;
    mutation none = {.set_type = 0};
    g_progress_calls = 0;
    assert_int_equal(load_mutated(&none, &mp, &m), L1_ERR_ABORTED);
    assert_true(g_progress_calls >= 2);
    assert_null(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_tiny_model_loads),
        cmocka_unit_test(missing_or_misshapen_tensors_are_named),
        cmocka_unit_test(norms_must_be_finite_f32),
        cmocka_unit_test(unsupported_type_is_refused_by_name),
        cmocka_unit_test(bad_hyper_parameters_are_named),
        cmocka_unit_test(block_count_must_match_blocks_present),
        cmocka_unit_test(vocabulary_must_match_embedding_rows),
        cmocka_unit_test(missing_output_means_tied_embeddings),
        cmocka_unit_test(vocab_only_skips_weights_and_limit_is_enforced),
        cmocka_unit_test(progress_callback_can_cancel),
        cmocka_unit_test(hyper_parameters_are_range_checked),
        cmocka_unit_test(unknown_or_malformed_tensor_names_are_refused),
        cmocka_unit_test(known_keys_of_the_wrong_type_are_refused),
        cmocka_unit_test(eos_must_be_a_control_token_of_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
