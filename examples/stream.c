/*
 * stream.c - pull-style streaming with l1_gen: each piece arrives with its
 * phase and the budget progress, which this example shows as a status line
 * ("thinking 312/512") on stderr while the answer goes to stdout.  A second
 * turn then reuses the first turn's cached prompt.
 *
 *     stream MODEL.gguf "What is 17 * 23?" [N]
 */
#include <stdio.h>
#include <stdlib.h>

#include <l1.h>

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, l1_last_error());
    return 1;
}

/* Streams one response to messages[0..n); returns its answer in *answer. */
static int respond(l1_gen *gen, const l1_message *msgs, int n, const l1_gen_params *p, char *answer,
                   size_t cap) {
    if (l1_gen_begin_chat(gen, msgs, n, p) != L1_OK) return fail("begin");
    size_t len = 0;
    int thinking_pieces = 0;
    l1_piece piece;
    while (l1_gen_next(gen, &piece) == L1_OK && piece.kind != L1_PIECE_END) {
        if (piece.kind == L1_PIECE_THINK_END)
            fprintf(stderr, "\r[thinking done at %d/%d tokens%s]\n", piece.used, piece.limit,
                    piece.forced ? ", closed by the budget" : "");
        if (piece.kind != L1_PIECE_TEXT) continue;
        if (piece.phase == L1_PHASE_THINKING) {
            if (++thinking_pieces % 8 == 0) fprintf(stderr, "\r[thinking %d/%d]", piece.used, piece.limit);
            continue;
        }
        fwrite(piece.text, 1, (size_t)piece.len, stdout);
        fflush(stdout);
        for (int i = 0; i < piece.len && len + 1 < cap; i++) answer[len++] = piece.text[i];
    }
    answer[len] = '\0';
    l1_gen_result r;
    l1_gen_end(gen, &r);
    fprintf(stderr, "\n[%d thinking + %d answer tokens, close %s, finish %s; prompt %d tokens, %d reused;"
                    " decode %.1f t/s]\n",
            r.tokens_thinking, r.tokens_answer, l1_close_name(r.close), l1_finish_name(r.finish),
            r.prompt_tokens, r.prompt_reused, r.decode_ms > 0 ? r.decode_tokens * 1e3 / r.decode_ms : 0.0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf PROMPT [BUDGET]\n", argv[0]);
        return 2;
    }
    l1_model *model = NULL;
    l1_ctx *ctx = NULL;
    l1_gen *gen = NULL;
    if (l1_model_load(argv[1], NULL, &model) != L1_OK) return fail("load");
    int rc = 1;
    if (l1_ctx_new(model, NULL, &ctx) != L1_OK || l1_gen_new(ctx, &gen) != L1_OK) {
        fail("context");
        goto out;
    }
    l1_gen_params p = l1_gen_default_params();
    p.budget_mode = L1_BUDGET_MAX;
    p.budget = argc > 3 ? atoi(argv[3]) : 256;
    p.reserve = p.budget >= 128 ? 0 : p.budget / 2;
    static char answer[1 << 16];
    l1_message msgs[3] = {{L1_MSG_USER, argv[2]}, {L1_MSG_ASSISTANT, answer}, {L1_MSG_USER, "Are you sure?"}};
    if (respond(gen, msgs, 1, &p, answer, sizeof answer)) goto out;
    static char second[1 << 16];
    rc = respond(gen, msgs, 3, &p, second, sizeof second);
out:
    l1_gen_free(gen);
    l1_ctx_free(ctx);
    l1_model_free(model);
    return rc;
}
