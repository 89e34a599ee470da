/*
 * fuzz_model.c - libFuzzer target for model loading (l1_model_load): the
 * input is a whole GGUF file, seeded with tiny valid Qwen2 models and the
 * malformed corpus, so mutations land in hyper-parameters, tensor shapes
 * and types, and tokenizer metadata.
 *
 * The public loader takes a path, so each input is written to an anonymous
 * in-memory file (memfd) and loaded through /proc/self/fd/N: the loader
 * sees an ordinary regular file, mapped as usual.
 *
 * The load and context options come from the input's length, so that
 * mutation varies them without touching the file's bytes: bit 0 sets
 * check_weights (every weight read once at load, NaN/inf refused), bit 1
 * the KV cache type (F16 or F32).
 *
 * Cost: an execution is one load of a ~10 KiB file (the seeds are the
 * smallest valid models: 4 wide, the 267-token built-in vocabulary, which
 * byte-level BPE cannot shrink below its 256 byte tokens) plus, when it
 * loads, one two-token forward pass; most of it is the loader itself.
 *
 * Promises checked beyond "no crash, no sanitizer report": a failed load
 * returns a known error status, leaves *out NULL, sets a one-line message
 * and frees everything it allocated; a model that loads answers every
 * query, turns every token into a piece, tokenizes and evaluates two
 * tokens in a small context without a crash.  A broken promise aborts,
 * which libFuzzer reports as a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/base.h"
#include "l1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                     \
    do {                                                                             \
        if (!(c)) {                                                                  \
            fprintf(stderr, "fuzz_model: %s:%d: %s (%s)\n", __FILE__, __LINE__, #c,  \
                    l1_last_error());                                               \
            abort();                                                                 \
        }                                                                            \
    } while (0)

static int g_fd = -1;
static char g_path[64];

static void write_input(const uint8_t *data, size_t size) {
    if (g_fd < 0) {
        g_fd = memfd_create("fuzz_model", MFD_CLOEXEC);
        CHECK(g_fd >= 0);
        snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
    }
    CHECK(ftruncate(g_fd, 0) == 0);
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(g_fd, data + done, size - done, (off_t)done);
        CHECK(n > 0);
        done += (size_t)n;
    }
}

/* Everything a caller may ask of a loaded model. */
static void exercise(const l1_model *m, size_t size) {
    l1_model_desc d;
    CHECK(l1_model_info(m, &d) == L1_OK || l1_last_error()[0] != '\0');
    const int32_t nv = l1_n_vocab(m);
    CHECK(nv > 0);
    char piece[256];
    for (int32_t t = 0; t < nv && t < 4096; t++) {
        int32_t n = l1_token_to_piece(m, t, piece, (int32_t)sizeof piece);
        CHECK(n != L1_TOKEN_ERROR);
    }
    CHECK(l1_token_to_piece(m, nv, piece, (int32_t)sizeof piece) == L1_TOKEN_ERROR);
    for (int r = L1_SPECIAL_BOS; r <= L1_SPECIAL_ASSISTANT; r++) {
        l1_token id = l1_token_special(m, (l1_special)r);
        CHECK(id == -1 || (id >= 0 && id < nv));
    }
    static const char text[] = "Hello <think>world</think> 12345 \xff\xfe";
    l1_token toks[64];
    int32_t n = l1_tokenize(m, text, sizeof text - 1, toks, 64, L1_TOKENIZE_SPECIAL | L1_TOKENIZE_ADD_BOS);
    CHECK(n != L1_TOKEN_ERROR);
    for (int32_t i = 0; i < n && i < 64; i++) CHECK(toks[i] >= 0 && toks[i] < nv);
    /* A forward pass only for small models, so that one input stays cheap. */
    if (d.vocab_only || d.n_params > ((uint64_t)1 << 20)) return;
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = 4;
    cp.n_threads = 1;
    cp.allow_ctx_over_train = 1;
    cp.memory_limit = (uint64_t)64 << 20;
    cp.kv_type = size & 2 ? L1_KV_F32 : L1_KV_F16;
    l1_ctx *ctx = NULL;
    l1_status st = l1_ctx_new(m, &cp, &ctx);
    if (st != L1_OK) {
        CHECK(ctx == NULL);
        return;
    }
    l1_token two[2] = {0, nv - 1};
    st = l1_ctx_eval(ctx, two, 2, 0);
    CHECK(st == L1_OK || st == L1_ERR_NUMERIC);
    CHECK((st == L1_OK) == (l1_ctx_logits(ctx, -1) != NULL));
    l1_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    write_input(data, size);
    const int64_t live = l1__alloc_live();
    l1_model *m = (l1_model *)1;
    l1_model_params mp = l1_model_default_params();
    mp.check_weights = (int32_t)(size & 1);
    l1_status st = l1_model_load(g_path, &mp, &m);
    if (st != L1_OK) {
        CHECK(m == NULL);
        CHECK(st == L1_ERR_FORMAT || st == L1_ERR_UNSUPPORTED || st == L1_ERR_LIMIT ||
              st == L1_ERR_NOMEM || st == L1_ERR_NUMERIC);
        CHECK(l1_last_error()[0] != '\0' && strchr(l1_last_error(), '\n') == NULL);
        CHECK(l1__alloc_live() == live);
        return 0;
    }
    exercise(m, size);
    l1_model_free(m);
    CHECK(l1__alloc_live() == live);
    return 0;
}
