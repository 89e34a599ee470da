/*
 * prompt.h - prompt rendering: the DeepSeek-R1 chat format L1 models were
 * trained with, the ChatML format of the other Qwen2 reasoning models (QwQ,
 * OpenThinker, Sky-T1), the LCPO instruction, and tokenization that
 * recognises special tokens in the format's own parts only.
 *
 * A rendered prompt is a sequence of segments, each marked special or not.
 * Special segments hold the format's markers ("<｜User｜>", "<think>\n") and
 * are tokenized with special-token recognition; the user's and assistant's
 * text is tokenized without it, so a message cannot inject a control token
 * such as <｜Assistant｜>.  (User-defined added tokens such as "<think>" are
 * recognised in any text, as the model's own tokenizer does.)  Text of one
 * message and the instruction after it form one segment, so the tokens are
 * those of the whole rendered string.
 */
#ifndef L1_PROMPT_H
#define L1_PROMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef struct l1__tokenizer l1__tokenizer;

/* The R1 format's markers, as written in its chat template. */
#define L1__R1_BOS "<｜begin▁of▁sentence｜>"
#define L1__R1_EOS "<｜end▁of▁sentence｜>"
#define L1__R1_USER "<｜User｜>"
#define L1__R1_ASSISTANT "<｜Assistant｜>"
#define L1__CHATML_START "<|im_start|>"
#define L1__CHATML_END "<|im_end|>"
#define L1__THINK_PREFIX "<think>\n"
#define L1__THINK_CLOSE_TEXT "</think>"

/* The LCPO instruction, as the paper's code writes it. */
#define L1__LCPO_STEP "Let's think step by step and output the final answer within \\boxed{}."

/* Families of chat formats (values: raw 0, R1 1, so a bool reads as one). */
typedef enum l1__prompt_family {
    L1__FAMILY_RAW = 0,
    L1__FAMILY_R1 = 1,
    L1__FAMILY_CHATML = 2
} l1__prompt_family;

typedef struct l1__prompt_style {
    l1__prompt_family family;
    bool think_prefix; /* the generation prompt ends with "<think>\n" */
} l1__prompt_style;

/* The style a chat template implies: R1 when it names both "<｜User｜>" and
 * "<｜Assistant｜>" (think_prefix when its generation prompt is
 * "<｜Assistant｜><think>"); ChatML when it names "<|im_start|>"
 * (think_prefix when it writes "assistant\n<think>").  Any other template:
 * L1_ERR_UNSUPPORTED naming the choices.  With no template (tpl NULL), R1
 * or ChatML without the prefix when the vocabulary has that family's
 * tokens (has_r1_tokens, has_chatml_tokens), raw otherwise. */
l1_status l1__prompt_style_detect(const char *tpl, size_t len, bool has_r1_tokens, bool has_chatml_tokens,
                                  l1__prompt_style *out);

/* The style for a model and the caller's choices (template_mode and
 * think_prefix as in l1_gen_params). */
l1_status l1__prompt_style_of_model(const l1_model *m, l1_template mode, int32_t think_prefix,
                                    l1__prompt_style *out);

/* The instruction appended to each user message. */
typedef struct l1__prompt_sentence {
    l1_think_sentence kind;
    bool exact;     /* "Think for N tokens." instead of "Think for maximum N tokens." */
    int32_t budget; /* N; nothing is written when N <= 0 */
    const int32_t *own; /* NULL, or per message: its own N (> 0), -1 = none, 0 = budget */
} l1__prompt_sentence;

typedef struct l1__segment {
    size_t off, len; /* bytes of the prompt's text */
    bool special;    /* tokenized with special-token recognition */
} l1__segment;

typedef struct l1__prompt {
    char *text; /* NUL-terminated */
    size_t len, cap;
    l1__segment *seg;
    int32_t n_seg, cap_seg;
} l1__prompt;

/* Renders msgs[0..n) (roles alternate freely; the last must be a user
 * message for a generation prompt, which R1 style then ends with
 * "<｜Assistant｜>" and ChatML with "<|im_start|>assistant\n", and maybe
 * "<think>\n").  Raw style concatenates the messages' text with the
 * instruction after user messages.  *p is
 * initialised here; free with l1__prompt_free (also on failure). */
l1_status l1__prompt_render(l1__prompt *p, const l1__prompt_style *st, const l1_message *msgs,
                            int32_t n, const l1__prompt_sentence *s);

void l1__prompt_free(l1__prompt *p);

/* Tokenizes the segments; *out is allocated (l1__free) with *n ids. */
l1_status l1__prompt_tokenize(const l1__prompt *p, const l1__tokenizer *tok, l1_token **out,
                              int32_t *n);

/* The part of an assistant message the templates keep: the text after
 * the last "</think>", or all of it.  The generate layer ends thinking at
 * the same text (a spelled-out close), so both agree on what a close is. */
const char *l1__prompt_answer_part(const char *text);

#endif /* L1_PROMPT_H */
