/*
 * simple.c - the smallest complete use of libl1: load a model, generate one
 * response that may think for at most N tokens, print it and the counts.
 *
 *     simple MODEL.gguf "What is 17 * 23?" [N]
 */
#include <stdio.h>
#include <stdlib.h>

#include <l1.h>

static int print_piece(const l1_piece *p, void *user) {
    (void)user;
    if (p->kind == L1_PIECE_THINK_BEGIN) fputs("<think>", stdout);
    if (p->kind == L1_PIECE_THINK_END) fputs("</think>", stdout);
    if (p->kind == L1_PIECE_TEXT) fwrite(p->text, 1, (size_t)p->len, stdout);
    return 0; /* nonzero would stop the generation */
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf PROMPT [BUDGET]\n", argv[0]);
        return 2;
    }
    const int budget = argc > 3 ? atoi(argv[3]) : 256;

    l1_model *model = NULL;
    l1_status st = l1_model_load(argv[1], NULL, &model);
    if (st != L1_OK) {
        fprintf(stderr, "load: %s\n", l1_last_error());
        return 1;
    }
    l1_ctx *ctx = NULL;
    if ((st = l1_ctx_new(model, NULL, &ctx)) != L1_OK) {
        fprintf(stderr, "context: %s\n", l1_last_error());
        l1_model_free(model);
        return 1;
    }

    /* "Think for maximum N tokens." in the prompt, and the guarantee. */
    l1_gen_params params = l1_gen_default_params();
    params.budget_mode = L1_BUDGET_MAX;
    params.budget = budget;
    params.reserve = budget >= 128 ? 0 : budget / 2; /* 0 = the default, 64 */

    l1_gen_result res;
    st = l1_generate(ctx, argv[2], &params, print_piece, NULL, &res);
    if (st != L1_OK) {
        fprintf(stderr, "generate: %s\n", l1_last_error());
    } else {
        printf("\n");
        fprintf(stderr, "thinking %d + answer %d tokens (budget %d), close %s, finish %s\n",
                res.tokens_thinking, res.tokens_answer, res.budget, l1_close_name(res.close),
                l1_finish_name(res.finish));
    }
    l1_ctx_free(ctx);
    l1_model_free(model);
    return st == L1_OK ? 0 : 1;
}
