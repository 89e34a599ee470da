/*
 * test_reliability.c - what l1 promises on untrusted input and under
 * faults: every file of the malformed corpus is refused with its own
 * message; I/O oddities (directories, FIFOs, devices, short and truncated
 * files) give errors, never a signal; resource limits give L1_ERR_LIMIT;
 * every allocation failure during load, context creation, tokenization and
 * a short generation gives L1_ERR_NOMEM with nothing leaked and no
 * half-built handle; non-finite weights and logits are detected.
 *
 * The corpus lives in tests/corpus/bad (MANIFEST: file, status, message
 * substring; see tests/corpus/gen_bad.c); $L1_CORPUS_DIR overrides the
 * folder.  Models for the other tests are synthesized into a temporary
 * folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/base.h"
#include "forward/forward.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "model/numcheck.h"
#include "kernels/kernels.h"
#include "support/tiers.h"
#include "tooling/synth.h"
#include "gguf/types.h"

static char g_tmp[256];
static char g_model[300]; /* tiny valid model, Q8_0 */

static const char *corpus_dir(void) {
    const char *d = getenv("L1_CORPUS_DIR");
    return d ? d : "tests/corpus/bad";
}

static void tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", g_tmp, name);
}

/* The tiny model of the corpus generator (1 layer, 32 wide), with an
 * optional tensor hook. */
static void tiny_params(l1__synth_params *p) {
    assert_int_equal(l1__synth_preset("tiny", p), L1_OK);
    p->n_layer = 1;
    p->n_embd = 32;
    p->n_ff = 32;
    p->n_head = 2;
    p->n_head_kv = 1;
    p->n_ctx_train = 64;
    p->type = L1_TYPE_Q8_0;
    p->embd_type = L1_TYPE_Q8_0;
}

static int setup(void **state) {
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/l1_reliability_XXXXXX");
    if (!mkdtemp(g_tmp)) return -1;
    tmp_path(g_model, sizeof g_model, "tiny.gguf");
    l1__synth_params p;
    tiny_params(&p);
    return l1__synth_write(&p, g_model) == L1_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static l1_status status_of(const char *name) {
    static const struct { const char *n; l1_status s; } k[] = {
        {"FORMAT", L1_ERR_FORMAT}, {"UNSUPPORTED", L1_ERR_UNSUPPORTED}, {"LIMIT", L1_ERR_LIMIT},
        {"NUMERIC", L1_ERR_NUMERIC}, {"IO", L1_ERR_IO}, {"NOMEM", L1_ERR_NOMEM}};
    for (size_t i = 0; i < L1_ARRAY_LEN(k); i++)
        if (!strcmp(name, k[i].n)) return k[i].s;
    fail_msg("MANIFEST: unknown status %s", name);
    return L1_OK;
}

/* ---- the malformed corpus ------------------------------------------------------ */

static void corpus_every_file_rejected_with_its_message(void **state) {
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/MANIFEST", corpus_dir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = '\0';
        char *name = strtok(line, "\t"), *status = strtok(NULL, "\t"), *substr = strtok(NULL, "\t");
        assert_non_null(name);
        assert_non_null(status);
        assert_non_null(substr);
        snprintf(path, sizeof path, "%s/%s", corpus_dir(), name);
        const int64_t live = l1__alloc_live();
        l1_model *m = (l1_model *)&n;
        l1_status st = l1_model_load(path, NULL, &m);
        const l1_status want = status_of(status);
        if (st != want || m != NULL || !strstr(l1_last_error(), substr) || l1__alloc_live() != live) {
            print_error("%s: got %s \"%s\", want %s \"%s\"\n", name, l1_status_str(st), l1_last_error(),
                        l1_status_str(want), substr);
            bad++;
        }
        /* The message is one line that names the file. */
        assert_null(strchr(l1_last_error(), '\n'));
        assert_non_null(strstr(l1_last_error(), name));
        n++;
    }
    fclose(f);
    assert_int_equal(bad, 0);
    assert_true(n >= 60);
}

/* Every file of the corpus exists in the MANIFEST and vice versa. */
static void corpus_manifest_lists_every_file(void **state) {
    (void)state;
    char cmd[700], out[64];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '\\.gguf$'; grep -vc '^#' '%s/MANIFEST'",
             corpus_dir(), corpus_dir());
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int files = 0, lines = 0;
    assert_non_null(fgets(out, sizeof out, p));
    files = atoi(out);
    assert_non_null(fgets(out, sizeof out, p));
    lines = atoi(out);
    pclose(p);
    assert_int_equal(files, lines);
}

/* ---- I/O ---------------------------------------------------------------------- */

static void expect_load_error(const char *path, l1_status want, const char *substr) {
    l1_model *m = (l1_model *)&want;
    const int64_t live = l1__alloc_live();
    assert_int_equal(l1_model_load(path, NULL, &m), want);
    assert_null(m);
    assert_int_equal(l1__alloc_live(), live);
    if (!strstr(l1_last_error(), substr)) fail_msg("\"%s\" lacks \"%s\"", l1_last_error(), substr);
}

static void io_directory_fifo_device_and_missing_are_io_errors(void **state) {
    (void)state;
    expect_load_error(g_tmp, L1_ERR_IO, "is a directory, not a regular file");
    char fifo[300];
    tmp_path(fifo, sizeof fifo, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* No writer is attached: a loader that blocked in open() would hang here. */
    expect_load_error(fifo, L1_ERR_IO, "is a FIFO, not a regular file");
    expect_load_error("/dev/zero", L1_ERR_IO, "is a character device");
    expect_load_error("/dev/null", L1_ERR_IO, "is a character device");
    char missing[300];
    tmp_path(missing, sizeof missing, "no-such-file.gguf");
    expect_load_error(missing, L1_ERR_IO, "cannot open");
    unlink(fifo);
}

static uint8_t *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(*n);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, *n, f), *n);
    fclose(f);
    return p;
}

static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* A file that is already short when opened is an error at every cut point
 * (the container checks every extent against the size taken at open), so
 * the mapping never reaches past the end of the file: no SIGBUS. */
static void io_every_prefix_of_a_model_is_refused(void **state) {
    (void)state;
    size_t n;
    uint8_t *img = read_file(g_model, &n);
    char cut[300];
    tmp_path(cut, sizeof cut, "cut.gguf");
    int tried = 0;
    for (size_t len = 0; len < n; len += len < 1024 ? 1 : 97) {
        write_file(cut, img, len);
        l1_model *m = NULL;
        l1_status st = l1_model_load(cut, NULL, &m);
        assert_null(m);
        assert_int_equal(st, L1_ERR_FORMAT);
        tried++;
    }
    write_file(cut, img, n);
    l1_model *m = NULL;
    assert_int_equal(l1_model_load(cut, NULL, &m), L1_OK);
    l1_model_free(m);
    assert_true(tried > 1000);
    free(img);
}

/* Mapped-file truncation (documented in file.c): the size is taken at open;
 * if the file shrinks afterwards, touching the vanished pages of a mapping
 * raises SIGBUS, as with any mmap.  A copy made with force_read is immune.
 * The mapped case runs in a child process so the signal is observed, not
 * suffered. */
static void io_truncation_after_open_sigbus_when_mapped_not_when_read(void **state) {
    (void)state;
    char path[300];
    tmp_path(path, sizeof path, "shrink.bin");
    const size_t n = 1 << 16;
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(i * 31);
    write_file(path, buf, n);
    l1__file rf;
    assert_int_equal(l1__file_open(path, true, &rf), L1_OK);
    assert_false(rf.mapped);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGBUS, SIG_DFL); /* the test runner's handler would catch it */
        l1__file mf;
        if (l1__file_open(path, false, &mf) != L1_OK || !mf.mapped) _exit(3);
        if (truncate(path, 100) != 0) _exit(4);
        volatile uint8_t x = mf.data[n - 1]; /* beyond the new end */
        (void)x;
        _exit(0);
    }
    int ws;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFSIGNALED(ws));
    assert_int_equal(WTERMSIG(ws), SIGBUS);
    /* The file is short now; the read copy still holds every byte. */
    assert_memory_equal(rf.data, buf, n);
    l1__file_close(&rf);
    /* Opened again, the short file is a short file: a clean error. */
    l1__gguf *g = NULL;
    assert_int_equal(l1__gguf_open(path, NULL, &g), L1_ERR_FORMAT);
    assert_null(g);
    free(buf);
}

/* ---- limits -------------------------------------------------------------------- */

static void limit_expect(const l1__gguf_limits *lim, const char *substr) {
    l1__gguf *g = NULL;
    const int64_t live = l1__alloc_live();
    assert_int_equal(l1__gguf_open(g_model, lim, &g), L1_ERR_LIMIT);
    assert_null(g);
    assert_int_equal(l1__alloc_live(), live);
    if (!strstr(l1_last_error(), substr)) fail_msg("\"%s\" lacks \"%s\"", l1_last_error(), substr);
}

static void limits_each_exceeded_gives_l1_err_limit(void **state) {
    (void)state;
    l1__gguf *g = NULL;
    assert_int_equal(l1__gguf_open(g_model, NULL, &g), L1_OK); /* defaults accept it */
    l1__gguf_close(g);
    l1__gguf_limits lim = {0};
    lim.max_string_len = 8; /* the model's name is longer */
    limit_expect(&lim, "exceeds the limit of 8");
    memset(&lim, 0, sizeof lim);
    lim.max_array_len = 100; /* 267 tokens */
    limit_expect(&lim, "key tokenizer.ggml.tokens: array count 267 exceeds the limit of 100");
    memset(&lim, 0, sizeof lim);
    lim.max_tensors = 5;
    limit_expect(&lim, "n_tensors");
    memset(&lim, 0, sizeof lim);
    lim.max_kv = 4;
    limit_expect(&lim, "n_kv");
    memset(&lim, 0, sizeof lim);
    lim.max_metadata_bytes = 1024;
    limit_expect(&lim, "metadata needs more than the limit of 1024 bytes");
    /* The same caps reach the reader through l1_model_params. */
    l1_model_params mp = l1_model_default_params();
    l1_model *m = NULL;
    mp.max_array_len = 100;
    assert_int_equal(l1_model_load(g_model, &mp, &m), L1_ERR_LIMIT);
    assert_non_null(strstr(l1_last_error(), "array count 267 exceeds the limit of 100"));
    mp = l1_model_default_params();
    mp.max_tensors = 5;
    assert_int_equal(l1_model_load(g_model, &mp, &m), L1_ERR_LIMIT);
    mp = l1_model_default_params();
    mp.max_string_len = 8;
    assert_int_equal(l1_model_load(g_model, &mp, &m), L1_ERR_LIMIT);
    mp = l1_model_default_params();
    mp.max_metadata_bytes = 1024;
    assert_int_equal(l1_model_load(g_model, &mp, &m), L1_ERR_LIMIT);
    assert_null(m);
}

static void limits_memory_and_context(void **state) {
    (void)state;
    l1_model_params mp = l1_model_default_params();
    mp.memory_limit = 1000; /* the weights take ~17 KB */
    l1_model *m = (l1_model *)&mp;
    assert_int_equal(l1_model_load(g_model, &mp, &m), L1_ERR_LIMIT);
    assert_null(m);
    assert_non_null(strstr(l1_last_error(), "above the limit of 1000"));
    assert_int_equal(l1_model_load(g_model, NULL, &m), L1_OK);
    l1_ctx_params cp = l1_ctx_default_params();
    l1_ctx *c = (l1_ctx *)&cp;
    cp.n_ctx = 65; /* context_length is 64 */
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_ERR_LIMIT);
    assert_null(c);
    cp.allow_ctx_over_train = 1;
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_OK);
    l1_ctx_free(c);
    cp = l1_ctx_default_params();
    cp.memory_limit = 4096;
    c = (l1_ctx *)&cp;
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_ERR_LIMIT);
    assert_null(c);
    assert_non_null(strstr(l1_last_error(), "above the limit of 4096"));
    l1_model_free(m);
}

/* A context whose own memory (KV cache and scratch) exceeds the machine's
 * physical memory is refused before anything is allocated, unless the caller
 * sets l1_ctx_params.memory_limit, which then governs alone.  Physical memory
 * is read here independently (sysconf) to show the request really exceeds
 * it. */
static void context_beyond_physical_memory_needs_an_explicit_limit(void **state) {
    (void)state;
    l1_model *m;
    assert_int_equal(l1_model_load(g_model, NULL, &m), L1_OK);
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_ctx = INT32_MAX;
    cp.allow_ctx_over_train = 1;
    l1_memory mem;
    assert_int_equal(l1_ctx_memory(m, &cp, &mem), L1_OK);
    const uint64_t phys = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
    assert_true(mem.kv > phys);
    const int64_t live = l1__alloc_live();
    l1_ctx *c = (l1_ctx *)&cp;
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_ERR_LIMIT);
    assert_null(c);
    assert_non_null(strstr(l1_last_error(), "bytes of physical memory"));
    assert_non_null(strstr(l1_last_error(), "memory_limit"));
    assert_int_equal(l1__alloc_live(), live);
    /* An explicit limit below the need: that limit's own message. */
    cp.memory_limit = (uint64_t)1 << 30;
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_ERR_LIMIT);
    assert_non_null(strstr(l1_last_error(), "above the limit of 1073741824"));
    /* An explicit limit above it lets the request through to allocation
     * (made to fail here, so nothing of that size is ever asked for). */
    cp.memory_limit = UINT64_MAX;
    l1__alloc_fail_after(0);
    assert_int_equal(l1_ctx_new(m, &cp, &c), L1_ERR_NOMEM);
    l1__alloc_fail_reset();
    assert_null(c);
    assert_int_equal(l1__alloc_live(), live);
    l1_model_free(m);
}

/* ---- allocation failures -------------------------------------------------------- */

/* Runs `step` with the n-th allocation failing, for n = 0, 1, ... until it
 * succeeds; each failure must be L1_ERR_NOMEM with nothing left allocated. */
typedef l1_status (*step_fn)(void *user);

static int sweep(step_fn step, void (*undo)(void *user), void *user) {
    for (int64_t n = 0;; n++) {
        const int64_t live = l1__alloc_live();
        l1__alloc_fail_after(n);
        l1_status st = step(user);
        l1__alloc_fail_reset();
        if (st == L1_OK) {
            undo(user);
            assert_int_equal(l1__alloc_live(), live);
            return (int)n;
        }
        if (st != L1_ERR_NOMEM) fail_msg("allocation %lld failed: got %s (%s)", (long long)n, l1_status_str(st), l1_last_error());
        if (l1__alloc_live() != live) fail_msg("allocation %lld failed: %lld allocations leaked", (long long)n, (long long)(l1__alloc_live() - live));
        assert_true(n < 100000);
    }
}

typedef struct fixture {
    l1_model *model;
    l1_ctx *ctx;
    l1_token toks[64];
    int32_t n_toks;
} fixture;

static l1_status step_load(void *u) {
    fixture *f = u;
    f->model = (l1_model *)f;
    l1_status st = l1_model_load(g_model, NULL, &f->model);
    if (st != L1_OK) {
        assert_null(f->model);
        return st;
    }
    /* The repacked copies the first evaluation makes belong to the model:
     * they are swept here, with the load, so later steps start prepared. */
    if ((st = l1__model_prepare(f->model, NULL, l1__kernels_get())) != L1_OK) {
        l1_model_free(f->model);
        f->model = NULL;
    }
    return st;
}
static void undo_load(void *u) { l1_model_free(((fixture *)u)->model); }

static l1_status step_ctx(void *u) {
    fixture *f = u;
    l1_ctx_params cp = l1_ctx_default_params();
    cp.n_threads = 1;
    f->ctx = (l1_ctx *)f;
    l1_status st = l1_ctx_new(f->model, &cp, &f->ctx);
    if (st != L1_OK) assert_null(f->ctx);
    return st;
}
static void undo_ctx(void *u) {
    fixture *f = u;
    l1_ctx_free(f->ctx);
    f->ctx = NULL;
}

static l1_status step_tokenize(void *u) {
    fixture *f = u;
    static const char text[] = "<｜User｜>Hello, world!  The answer is 42.<｜Assistant｜><think>\n";
    f->n_toks = l1_tokenize(f->model, text, sizeof text - 1, f->toks, 64,
                            L1_TOKENIZE_SPECIAL | L1_TOKENIZE_ADD_BOS);
    if (f->n_toks == L1_TOKEN_ERROR)
        return strstr(l1_last_error(), "out of memory") ? L1_ERR_NOMEM : L1_ERR_INTERNAL;
    return f->n_toks > 0 ? L1_OK : L1_ERR_INTERNAL;
}
static void undo_nothing(void *u) { (void)u; }

/* A short generation through the public API: a new context, the prompt
 * rendered and evaluated, 4 sampled tokens. */
static l1_status step_generate(void *u) {
    fixture *f = u;
    l1_status st = step_ctx(f);
    if (st) return st;
    l1_gen_params gp = l1_gen_default_params();
    gp.seed = 7;
    gp.max_tokens = 4;
    l1_gen_result r;
    st = l1_generate(f->ctx, "Hello, world!", &gp, NULL, NULL, &r);
    undo_ctx(f);
    return st;
}

/* Loading maps the file and copies nothing: the repacked matrices are made
 * by the first evaluation (then used by every context of the model), and
 * no_repack never makes them. */
static void repacking_waits_for_the_first_evaluation(void **state) {
    (void)state;
    const bool packs = l1t_x8(L1_TYPE_Q8_0, l1__tier_best()) != NULL;
    for (int no_repack = 0; no_repack < 2; no_repack++) {
        l1_model_params mp = l1_model_default_params();
        mp.no_repack = no_repack;
        l1_model *m;
        assert_int_equal(l1_model_load(g_model, &mp, &m), L1_OK);
        assert_null(m->layers[0].wq.x8);
        l1_ctx *c;
        assert_int_equal(l1_ctx_new(m, NULL, &c), L1_OK);
        assert_null(m->layers[0].w_down.x8);
        const l1_token t = 1;
        assert_int_equal(l1_ctx_eval(c, &t, 1, 0), L1_OK);
        if (packs && !no_repack) {
            assert_non_null(m->layers[0].wq.x8);
            assert_non_null(m->layers[m->hp.n_layer - 1].w_down.x8);
        } else {
            assert_null(m->layers[0].wq.x8);
        }
        l1_ctx_free(c);
        l1_model_free(m);
    }
}

static void alloc_failure_sweep_load_ctx_tokenize_generate(void **state) {
    (void)state;
    fixture f;
    memset(&f, 0, sizeof f);
    const int64_t live0 = l1__alloc_live();
    int n_load = sweep(step_load, undo_load, &f);
    assert_true(n_load > 5);
    assert_int_equal(step_load(&f), L1_OK); /* kept for the steps below */
    int n_ctx = sweep(step_ctx, undo_ctx, &f);
    assert_true(n_ctx >= 1);
    int n_tok = sweep(step_tokenize, undo_nothing, &f);
    assert_true(n_tok >= 1);
    int n_gen = sweep(step_generate, undo_nothing, &f);
    assert_true(n_gen >= 2);
    print_message("allocations swept: load %d, context %d, tokenize %d, generate %d\n", n_load,
                  n_ctx, n_tok, n_gen);
    undo_load(&f);
    assert_int_equal(l1__alloc_live(), live0);
}

/* ---- numerical faults ---------------------------------------------------------------- */

/* The tiny model with the f16 scale of the first Q8_0 block of `tensor`
 * replaced by `bits` (0x7E00 NaN, 0x7C00 +inf): row 0 dequantizes to
 * non-finite values while every byte of the container stays valid. */
static void write_bad_scale(const char *tensor, uint16_t bits, const char *path) {
    size_t n;
    uint8_t *img = read_file(g_model, &n);
    l1__gguf *g = NULL;
    assert_int_equal(l1__gguf_open_memory(img, n, NULL, &g), L1_OK);
    const l1__gguf_tensor *t = l1__gguf_find_tensor(g, tensor);
    assert_non_null(t);
    assert_int_equal(t->type, L1_TYPE_Q8_0);
    const size_t off = (size_t)((const uint8_t *)t->data - img);
    l1__gguf_close(g);
    memcpy(img + off, &bits, 2);
    write_file(path, img, n);
    free(img);
}

static void numeric_nan_weight_found_by_load_check_and_logits_check(void **state) {
    (void)state;
    static const char *const tensors[] = {"blk.0.attn_q.weight", "blk.0.ffn_down.weight",
                                          "token_embd.weight"};
    for (size_t i = 0; i < L1_ARRAY_LEN(tensors); i++) {
        char path[300];
        tmp_path(path, sizeof path, "nan.gguf");
        write_bad_scale(tensors[i], i == 1 ? 0x7C00 : 0x7E00, path);
        l1_model *m = NULL;
        /* Asked for, the load itself refuses the file and names the tensor. */
        l1_model_params mp = l1_model_default_params();
        mp.check_weights = 1;
        assert_int_equal(l1_model_load(path, &mp, &m), L1_ERR_NUMERIC);
        assert_null(m);
        assert_non_null(strstr(l1_last_error(), tensors[i]));
        assert_int_equal(l1_model_load(path, NULL, &m), L1_OK); /* matrices are not scanned by default */
        /* The load-time check names the tensor and the row. */
        assert_int_equal(l1__numcheck_model(m), L1_ERR_NUMERIC);
        char want[128];
        snprintf(want, sizeof want, "tensor %s: row 0 holds a NaN or infinity", tensors[i]);
        assert_string_equal(l1_last_error(), want);
        /* Evaluated: the poisoned row is used at position 0 (the embedding
         * row of token 0, or output 0 of a projection). */
        l1_ctx *c = NULL;
        assert_int_equal(l1_ctx_new(m, NULL, &c), L1_OK);
        l1_token t[2] = {0, 1};
        l1_status st = l1_ctx_eval(c, t, 2, L1_EVAL_ALL_LOGITS);
        /* Every poisoned tensor is reported by the eval itself, whatever the
         * kernel tier: either the non-finite value reaches the logits, or it
         * is seen entering the next matmul, before rounding to an integer
         * activation type could hide it. */
        assert_int_equal(st, L1_ERR_NUMERIC);
        assert_true(strstr(l1_last_error(), "logits: position 0, token 0 is") ||
                    strstr(l1_last_error(), "activations: NaN or infinity entering tensor "));
        l1_ctx_free(c);
        l1_model_free(m);
    }
    /* A clean model passes both checks. */
    l1_model *m = NULL;
    assert_int_equal(l1_model_load(g_model, NULL, &m), L1_OK);
    assert_int_equal(l1__numcheck_model(m), L1_OK);
    l1_model_free(m);
}

static void numeric_logits_check_names_position_and_token(void **state) {
    (void)state;
    float lg[3 * 5];
    for (int i = 0; i < 15; i++) lg[i] = (float)i - 7.0f;
    assert_int_equal(l1__numcheck_logits(lg, 3, 5, 10), L1_OK);
    lg[5 + 3] = INFINITY;
    assert_int_equal(l1__numcheck_logits(lg, 3, 5, 10), L1_ERR_NUMERIC);
    assert_string_equal(l1_last_error(), "logits: position 11, token 3 is infinite");
    lg[5 + 3] = 0;
    lg[14] = NAN;
    assert_int_equal(l1__numcheck_logits(lg, 3, 5, 0), L1_ERR_NUMERIC);
    assert_string_equal(l1_last_error(), "logits: position 2, token 4 is nan");
    /* -inf is not a valid logit either: it is what a NaN-free overflow looks like. */
    lg[14] = -INFINITY;
    assert_int_equal(l1__numcheck_logits(lg, 3, 5, 0), L1_ERR_NUMERIC);
    /* Large finite values are fine (x * 0 stays 0). */
    lg[14] = 3e38f;
    assert_int_equal(l1__numcheck_logits(lg, 3, 5, 0), L1_OK);
}

/* ---- messages ------------------------------------------------------------------ */

static void assert_one_line(const char *msg) {
    for (const char *c = msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) fail_msg("control byte 0x%02x in \"%s\"", *c, msg);
}

/* Overwrites, in the tiny model's bytes, the first occurrence of the k
 * bytes `from` with the k bytes `to` and writes the result to `path`. */
static void write_patched(const char *from, const char *to, size_t k, const char *path) {
    size_t n;
    uint8_t *img = read_file(g_model, &n);
    uint8_t *at = memmem(img, n, from, k);
    assert_non_null(at);
    memcpy(at, to, k);
    write_file(path, img, n);
    free(img);
}

/* Error messages quote tensor names, metadata strings and paths, all of
 * which a hostile file or caller controls: found by fuzz_model, a tensor
 * name with a newline made a two-line message
 * (tests/corpus/fuzz/fuzz_model/tensor_name_newline.gguf).  Each case here
 * puts a control byte where the message quotes it; the message must still
 * say what is wrong, on one line. */
static void messages_stay_one_line_whatever_the_file_says(void **state) {
    (void)state;
    char path[300];
    tmp_path(path, sizeof path, "ctl.gguf");
    /* "blk.0.ffn_up.weight" -> "blk.\n.ffn_up.weight": no block number. */
    write_patched("blk.0.ffn_up.weight", "blk.\n.ffn_up.weight", 19, path);
    expect_load_error(path, L1_ERR_FORMAT, "malformed block name");
    assert_one_line(l1_last_error());
    /* The GGUF string "gpt2" (u64 length 4, then the bytes) as the
     * tokenizer model, with an escape byte in it. */
    write_patched("\x04\0\0\0\0\0\0\0gpt2", "\x04\0\0\0\0\0\0\0g\x1b\r2", 12, path);
    expect_load_error(path, L1_ERR_UNSUPPORTED, "is not supported");
    assert_one_line(l1_last_error());
    unlink(path);
    tmp_path(path, sizeof path, "no\nsuch\tfile.gguf");
    expect_load_error(path, L1_ERR_IO, "cannot open");
    assert_one_line(l1_last_error());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_every_file_rejected_with_its_message),
        cmocka_unit_test(corpus_manifest_lists_every_file),
        cmocka_unit_test(io_directory_fifo_device_and_missing_are_io_errors),
        cmocka_unit_test(io_every_prefix_of_a_model_is_refused),
        cmocka_unit_test(io_truncation_after_open_sigbus_when_mapped_not_when_read),
        cmocka_unit_test(limits_each_exceeded_gives_l1_err_limit),
        cmocka_unit_test(limits_memory_and_context),
        cmocka_unit_test(context_beyond_physical_memory_needs_an_explicit_limit),
        cmocka_unit_test(repacking_waits_for_the_first_evaluation),
        cmocka_unit_test(alloc_failure_sweep_load_ctx_tokenize_generate),
        cmocka_unit_test(numeric_nan_weight_found_by_load_check_and_logits_check),
        cmocka_unit_test(numeric_logits_check_names_position_and_token),
        cmocka_unit_test(messages_stay_one_line_whatever_the_file_says),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
