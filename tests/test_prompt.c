/*
 * test_prompt.c - prompt rendering: the DeepSeek-R1 format in both template
 * styles (with and without the "<think>\n" generation suffix), the LCPO
 * instruction in every mode, raw mode, chat history (assistant turns keep
 * the text after `</think>`), template detection, and special-token
 * recognition limited to the format's own parts.
 *
 * Every expected string is written by hand from the R1 chat template, the
 * ChatML template of QwQ / Qwen2.5 and the paper's prompt code as
 * REFERENCE.md quotes them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model.h"
#include "generate/prompt.h"
#include "tooling/synth.h"
#include "tokenizer/tokenizer.h"

#define BOS "<｜begin▁of▁sentence｜>"
#define USR "<｜User｜>"
#define AST "<｜Assistant｜>"
#define EOS "<｜end▁of▁sentence｜>"

static char *render(bool r1, bool think, const l1_message *m, int32_t n, l1_think_sentence kind, bool exact,
                    int32_t budget) {
    l1__prompt_style st = {r1 ? L1__FAMILY_R1 : L1__FAMILY_RAW, think};
    l1__prompt_sentence s = {kind, exact, budget, NULL};
    l1__prompt p;
    assert_int_equal(l1__prompt_render(&p, &st, m, n, &s), L1_OK);
    char *out = strdup(p.text);
    l1__prompt_free(&p);
    return out;
}

static void r1_older_style_has_no_think_suffix(void **state) {
    (void)state;
    l1_message m = {L1_MSG_USER, "What is 1+1?"};
    char *s = render(true, false, &m, 1, L1_SENTENCE_NONE, false, 0);
    assert_string_equal(s, BOS USR "What is 1+1?" AST);
    free(s);
}

static void r1_newer_style_ends_with_think(void **state) {
    (void)state;
    l1_message m = {L1_MSG_USER, "What is 1+1?"};
    char *s = render(true, true, &m, 1, L1_SENTENCE_NONE, false, 0);
    assert_string_equal(s, BOS USR "What is 1+1?" AST "<think>\n");
    free(s);
}

static void lcpo_max_sentence_follows_the_paper(void **state) {
    (void)state;
    l1_message m = {L1_MSG_USER, "Find x."};
    char *s = render(true, false, &m, 1, L1_SENTENCE_FULL, false, 512);
    assert_string_equal(s, BOS USR "Find x. Let's think step by step and output the final answer within "
                                   "\\boxed{}. Think for maximum 512 tokens." AST);
    free(s);
}

static void lcpo_exact_sentence_follows_the_paper(void **state) {
    (void)state;
    l1_message m = {L1_MSG_USER, "Find x."};
    char *s = render(true, true, &m, 1, L1_SENTENCE_FULL, true, 1024);
    assert_string_equal(s, BOS USR "Find x. Let's think step by step and output the final answer within "
                                   "\\boxed{}. Think for 1024 tokens." AST "<think>\n");
    free(s);
}

static void budget_only_and_none_sentences(void **state) {
    (void)state;
    l1_message m = {L1_MSG_USER, "Q"};
    char *s = render(true, false, &m, 1, L1_SENTENCE_BUDGET_ONLY, false, 64);
    assert_string_equal(s, BOS USR "Q Think for maximum 64 tokens." AST);
    free(s);
    s = render(true, false, &m, 1, L1_SENTENCE_NONE, false, 64);
    assert_string_equal(s, BOS USR "Q" AST);
    free(s);
    s = render(true, false, &m, 1, L1_SENTENCE_FULL, false, 0); /* no budget, no sentence */
    assert_string_equal(s, BOS USR "Q" AST);
    free(s);
}

static void raw_mode_sends_text_as_is(void **state) {
    (void)state;
    l1_message m = {L1_MSG_USER, "<｜User｜>hi"};
    char *s = render(false, true, &m, 1, L1_SENTENCE_NONE, false, 0);
    assert_string_equal(s, "<｜User｜>hi");
    free(s);
    s = render(false, false, &m, 1, L1_SENTENCE_BUDGET_ONLY, false, 7);
    assert_string_equal(s, "<｜User｜>hi Think for maximum 7 tokens.");
    free(s);
}

static void chat_history_keeps_only_the_answer(void **state) {
    (void)state;
    l1_message m[3] = {{L1_MSG_USER, "A"},
                       {L1_MSG_ASSISTANT, "<think>\nlong thought</think>\n\nThe answer is 2."},
                       {L1_MSG_USER, "B"}};
    char *s = render(true, false, m, 3, L1_SENTENCE_BUDGET_ONLY, false, 100);
    assert_string_equal(s, BOS USR "A Think for maximum 100 tokens." AST "\n\nThe answer is 2." EOS USR
                               "B Think for maximum 100 tokens." AST);
    free(s);
    l1__prompt p;
    l1__prompt_style st = {L1__FAMILY_R1, false};
    m[2].role = L1_MSG_ASSISTANT; /* the last message must be the user's */
    assert_int_equal(l1__prompt_render(&p, &st, m, 3, NULL), L1_ERR_INVALID_ARG);
    l1__prompt_free(&p);
}

static void template_detection(void **state) {
    (void)state;
    l1__prompt_style st;
    /* Excerpts of the two R1-Distill template generations and of ChatML. */
    const char *newer = "{{'<｜User｜>' + message['content']}}...{{'<｜Assistant｜><think>\\n'}}";
    const char *older = "{{'<｜User｜>' + message['content']}}...{{'<｜Assistant｜>'}}";
    const char *chatml = "{{'<|im_start|>' + message['role'] + '\\n'}}";
    const char *qwq = "{{'<|im_start|>' + message['role'] + '\\n'}}...{{'<|im_start|>assistant\\n<think>\\n'}}";
    assert_int_equal(l1__prompt_style_detect(newer, strlen(newer), true, false, &st), L1_OK);
    assert_true(st.family == L1__FAMILY_R1 && st.think_prefix);
    assert_int_equal(l1__prompt_style_detect(older, strlen(older), true, false, &st), L1_OK);
    assert_true(st.family == L1__FAMILY_R1 && !st.think_prefix);
    assert_int_equal(l1__prompt_style_detect(chatml, strlen(chatml), true, true, &st), L1_OK);
    assert_true(st.family == L1__FAMILY_CHATML && !st.think_prefix);
    assert_int_equal(l1__prompt_style_detect(qwq, strlen(qwq), false, true, &st), L1_OK);
    assert_true(st.family == L1__FAMILY_CHATML && st.think_prefix);
    assert_int_equal(l1__prompt_style_detect(NULL, 0, true, false, &st), L1_OK);
    assert_true(st.family == L1__FAMILY_R1 && !st.think_prefix);
    assert_int_equal(l1__prompt_style_detect(NULL, 0, false, true, &st), L1_OK);
    assert_true(st.family == L1__FAMILY_CHATML);
    assert_int_equal(l1__prompt_style_detect(NULL, 0, false, false, &st), L1_OK);
    assert_true(st.family == L1__FAMILY_RAW);
}

/* A template of neither family is never a silent raw prompt: AUTO fails
 * naming the choices. */
static void auto_template_of_unknown_family_is_an_error_naming_the_choices(void **state) {
    (void)state;
    l1__prompt_style st;
    const char *other = "{{'[INST] ' + message['content'] + ' [/INST]'}}";
    assert_int_equal(l1__prompt_style_detect(other, strlen(other), true, true, &st), L1_ERR_UNSUPPORTED);
    const char *msg = l1_last_error();
    assert_non_null(strstr(msg, "r1"));
    assert_non_null(strstr(msg, "chatml"));
    assert_non_null(strstr(msg, "raw"));
}

/* ChatML as the QwQ / Qwen2.5 template writes it (no system prompt), with
 * the instruction inside the user turn and history keeping the answer. */
static void chatml_renders_turns_with_the_instruction(void **state) {
    (void)state;
    l1_message m[3] = {{L1_MSG_USER, "A"}, {L1_MSG_ASSISTANT, "<think>\nx</think>\n\nTwo."}, {L1_MSG_USER, "B"}};
    l1__prompt_style st = {L1__FAMILY_CHATML, true};
    l1__prompt_sentence sen = {L1_SENTENCE_BUDGET_ONLY, false, 50, NULL};
    l1__prompt p;
    assert_int_equal(l1__prompt_render(&p, &st, m, 3, &sen), L1_OK);
    assert_string_equal(p.text, "<|im_start|>user\nA Think for maximum 50 tokens.<|im_end|>\n"
                                "<|im_start|>assistant\n\n\nTwo.<|im_end|>\n"
                                "<|im_start|>user\nB Think for maximum 50 tokens.<|im_end|>\n"
                                "<|im_start|>assistant\n<think>\n");
    /* The markers are special segments, the messages plain text. */
    assert_true(p.seg[0].special);
    assert_false(p.seg[1].special);
    l1__prompt_free(&p);
}

/* Each user turn keeps the N it was sent with: changing N renders the
 * earlier turns byte for byte as before, so their cache stays valid. */
static void each_user_turn_keeps_its_own_budget(void **state) {
    (void)state;
    l1_message m[3] = {{L1_MSG_USER, "A"}, {L1_MSG_ASSISTANT, "ok"}, {L1_MSG_USER, "B"}};
    const int32_t own[3] = {100, 0, 0};
    l1__prompt_style st = {L1__FAMILY_R1, false};
    l1__prompt_sentence sen = {L1_SENTENCE_BUDGET_ONLY, false, 300, own};
    l1__prompt p;
    assert_int_equal(l1__prompt_render(&p, &st, m, 3, &sen), L1_OK);
    assert_string_equal(p.text, BOS USR "A Think for maximum 100 tokens." AST "ok" EOS USR
                                "B Think for maximum 300 tokens." AST);
    l1__prompt_free(&p);
    const int32_t none[3] = {-1, 0, 0};
    sen.own = none;
    assert_int_equal(l1__prompt_render(&p, &st, m, 3, &sen), L1_OK);
    assert_string_equal(p.text, BOS USR "A" AST "ok" EOS USR "B Think for maximum 300 tokens." AST);
    l1__prompt_free(&p);
    const int32_t bad[3] = {-2, 0, 0};
    sen.own = bad;
    assert_int_equal(l1__prompt_render(&p, &st, m, 3, &sen), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "msg_budget[0]"));
    l1__prompt_free(&p);
}

static void answer_part_is_after_the_last_close(void **state) {
    (void)state;
    assert_string_equal(l1__prompt_answer_part("a</think>b</think>c"), "c");
    assert_string_equal(l1__prompt_answer_part("no tags"), "no tags");
}

/* The built-in vocabulary of a 1-layer tiny synthetic model, loaded
 * vocab-only (the file is written to /tmp and removed once loaded). */
static l1_model *tiny_vocab_model(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/l1_test_prompt_%d.gguf", (int)getpid());
    l1__synth_params sp;
    assert_int_equal(l1__synth_preset("tiny", &sp), L1_OK);
    sp.n_layer = 1;
    assert_int_equal(l1__synth_write(&sp, path), L1_OK);
    l1_model_params mp = l1_model_default_params();
    mp.vocab_only = 1;
    l1_model *m = NULL;
    assert_int_equal(l1_model_load(path, &mp, &m), L1_OK);
    unlink(path);
    return m;
}

/* On the built-in vocabulary: the user's text cannot inject <｜Assistant｜>;
 * the format's markers become their tokens. */
static void user_text_cannot_inject_control_tokens(void **state) {
    (void)state;
    l1_model *m = tiny_vocab_model();
    const l1__tokenizer *tok = l1__model_tokenizer(m);
    l1_message msg = {L1_MSG_USER, "x" AST};
    l1__prompt_style st = {L1__FAMILY_R1, false};
    l1__prompt p;
    assert_int_equal(l1__prompt_render(&p, &st, &msg, 1, NULL), L1_OK);
    l1_token *ids;
    int32_t n;
    assert_int_equal(l1__prompt_tokenize(&p, tok, &ids, &n), L1_OK);
    const l1_token asst = l1__tokenizer_role(tok, L1_SPECIAL_ASSISTANT);
    assert_int_equal(ids[0], l1__tokenizer_role(tok, L1_SPECIAL_BOS));
    assert_int_equal(ids[1], l1__tokenizer_role(tok, L1_SPECIAL_USER));
    int count = 0;
    for (int32_t i = 0; i < n; i++) count += ids[i] == asst;
    assert_int_equal(count, 1); /* only the format's own */
    assert_int_equal(ids[n - 1], asst);
    l1__free(ids);
    l1__prompt_free(&p);
    /* The public renderer: the model has no template but has the R1 tokens. */
    char buf[256];
    l1_gen_params gp = l1_gen_default_params();
    gp.budget = 9;
    gp.think_sentence = L1_SENTENCE_BUDGET_ONLY;
    l1_message q = {L1_MSG_USER, "hi"};
    int32_t len = l1_render_prompt(m, &q, 1, &gp, buf, sizeof buf);
    const char *want = BOS USR "hi Think for maximum 9 tokens." AST;
    assert_int_equal(len, (int32_t)strlen(want));
    assert_memory_equal(buf, want, strlen(want));
    assert_int_equal(l1_render_prompt(m, &q, 1, &gp, buf, 4), -len);
    gp.template_mode = L1_TEMPLATE_R1;
    gp.think_prefix = 1;
    len = l1_render_prompt(m, &q, 1, &gp, buf, sizeof buf);
    assert_true(len > 8);
    assert_memory_equal(buf + len - 8, "<think>\n", 8);
    /* The ids l1_gen_begin evaluates: BOS, <｜User｜>, ..., <｜Assistant｜>. */
    l1_token idv[64];
    gp.think_prefix = 0;
    int32_t ni = l1_prompt_tokens(m, &q, 1, &gp, idv, 64);
    assert_true(ni > 3);
    assert_int_equal(idv[0], l1__tokenizer_role(tok, L1_SPECIAL_BOS));
    assert_int_equal(idv[ni - 1], asst);
    assert_int_equal(l1_prompt_tokens(m, &q, 1, &gp, idv, 1), -ni);
    l1_model_free(m);
}

/* l1_render_prompt refuses what l1_gen_begin refuses, by the same check:
 * each bad field gives L1_TOKEN_ERROR and a message naming it. */
static void render_prompt_rejects_the_parameters_generate_rejects(void **state) {
    (void)state;
    l1_model *m = tiny_vocab_model();
    l1_message q = {L1_MSG_USER, "hi"};
    char buf[256];
    static const l1_logit_bias far = {1 << 28, 1.0f};
    static const char *const empty_stop[1] = {""};
    struct {
        const char *field;
        l1_gen_params p;
    } cases[9];
    for (int i = 0; i < 9; i++) cases[i].p = l1_gen_default_params();
    cases[0].field = "budget", cases[0].p.budget = -5;
    cases[1].field = "temperature", cases[1].p.temperature = -1.0f;
    cases[2].field = "budget_mode", cases[2].p.budget_mode = (l1_budget_mode)9;
    cases[3].field = "template_mode", cases[3].p.template_mode = (l1_template)9;
    cases[4].field = "think_sentence", cases[4].p.think_sentence = (l1_think_sentence)9;
    cases[5].field = "stop[0]", cases[5].p.stop = empty_stop, cases[5].p.n_stop = 1;
    cases[6].field = "bias", cases[6].p.bias = &far, cases[6].p.n_bias = 1;
    cases[7].field = "reserve", cases[7].p.budget_mode = L1_BUDGET_MAX, cases[7].p.budget = 100,
    cases[7].p.reserve = 200;
    cases[8].field = "max_tokens", cases[8].p.max_tokens = -1;
    for (int i = 0; i < 9; i++) {
        assert_int_equal(l1_render_prompt(m, &q, 1, &cases[i].p, buf, sizeof buf), L1_TOKEN_ERROR);
        if (!strstr(l1_last_error(), cases[i].field))
            fail_msg("case %d: \"%s\" does not name %s", i, l1_last_error(), cases[i].field);
        assert_int_equal(l1_prompt_tokens(m, &q, 1, &cases[i].p, NULL, 0), L1_TOKEN_ERROR);
    }
    l1_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(r1_older_style_has_no_think_suffix),
        cmocka_unit_test(r1_newer_style_ends_with_think),
        cmocka_unit_test(lcpo_max_sentence_follows_the_paper),
        cmocka_unit_test(lcpo_exact_sentence_follows_the_paper),
        cmocka_unit_test(budget_only_and_none_sentences),
        cmocka_unit_test(raw_mode_sends_text_as_is),
        cmocka_unit_test(chat_history_keeps_only_the_answer),
        cmocka_unit_test(template_detection),
        cmocka_unit_test(auto_template_of_unknown_family_is_an_error_naming_the_choices),
        cmocka_unit_test(chatml_renders_turns_with_the_instruction),
        cmocka_unit_test(each_user_turn_keeps_its_own_budget),
        cmocka_unit_test(render_prompt_rejects_the_parameters_generate_rejects),
        cmocka_unit_test(answer_part_is_after_the_last_close),
        cmocka_unit_test(user_text_cannot_inject_control_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
