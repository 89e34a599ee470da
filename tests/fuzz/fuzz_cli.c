/*
 * fuzz_cli.c - libFuzzer target for the `l1` command line: argument parsing
 * of every command and the reading of prompt files, run in-process through
 * l1cli_main (tools/l1/main.c built with L1CLI_NO_MAIN), the same dispatch
 * as the binary's main().
 *
 * Input: the argument words, one per line, then an empty line, then the
 * bytes of the prompt file.  The first word is the command.  Inside a word,
 * "@m" stands for a tiny synthetic model (1 layer, 16 wide, built-in
 * byte-level vocabulary, a 32-token training context), "@p" for the prompt
 * file, "@d" for a directory.
 * An input with a word holding '/' is skipped (so nothing outside the
 * scratch directory is named), and so is one with a NUL byte (argv cannot
 * hold it) or with a temporary file's name (".tmp.", ".synth-tmp": only the
 * writers may make those).
 * Each execution runs in a fresh scratch working directory, so files the
 * command writes (synth -o NAME, quantize, logits -o) land there and are
 * removed afterwards; `l1 synth` gets --max-size=1M first and may not set
 * it again, so no execution writes a big file.  Two things are kept cheap
 * so that executions stay in the milliseconds: --ctx-over-train is skipped,
 * so a generation stops within the model's 32 tokens, and `l1 bench` (which
 * measures for seconds by design) is skipped; tests/checks/cli_bench.sh
 * covers its options.  stdin and stdout are
 * /dev/null; run with -close_fd_mask=2 to silence the commands' messages.
 *
 * Promises checked: the command returns (no exit, abort or signal), with a
 * documented status (0, 1, 2, or 128 + a signal); stdout's error flag is
 * clear afterwards (l1cli_main checked and reset it); no temporary file
 * (*.synth-tmp, *.tmp.*) is left behind.  ASan and UBSan report leaks,
 * overflows and undefined behaviour along the way.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "cli.h"
#include "l1.h"
#include "tooling/synth.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FUZZ_INPUT 4096
#define MAX_WORDS 32

#define CHECK(c)                                                                      \
    do {                                                                              \
        if (!(c)) {                                                                   \
            fprintf(stderr, "fuzz_cli: %s:%d: %s\n", __FILE__, __LINE__, #c);         \
            abort();                                                                  \
        }                                                                             \
    } while (0)

static char g_root[64], g_work[96], g_model[96], g_prompt[96], g_dir[96];
static uint8_t *g_model_bytes;
static size_t g_model_size;
static struct stat g_model_stat;
static int g_home = -1; /* the fuzzer's own working directory */

static void write_model(void) {
    FILE *f = fopen(g_model, "wb");
    CHECK(f && fwrite(g_model_bytes, 1, g_model_size, f) == g_model_size && fclose(f) == 0);
    CHECK(stat(g_model, &g_model_stat) == 0);
}

/* Removes the files in dir (a command may also write next to @d or @m,
 * "@d.x"); with check, a temporary file there is a broken promise. */
static void clean_dir(const char *dir, bool check) {
    DIR *d = opendir(dir);
    CHECK(d);
    struct dirent *e;
    char path[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (check && (strstr(e->d_name, ".synth-tmp") || strstr(e->d_name, ".tmp."))) {
            fprintf(stderr, "fuzz_cli: temporary file left behind: %s\n", e->d_name);
            abort();
        }
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0) rmdir(path);
    }
    closedir(d);
}

static void clean_work(void) { clean_dir(g_work, true); }

/* The scratch tree goes when the fuzzer exits normally. */
static void remove_root(void) {
    clean_dir(g_work, false);
    clean_dir(g_dir, false);
    clean_dir(g_root, false);
    rmdir(g_root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    snprintf(g_root, sizeof g_root, "/tmp/l1-fuzz-cli.XXXXXX");
    CHECK(mkdtemp(g_root));
    snprintf(g_work, sizeof g_work, "%s/w", g_root);
    snprintf(g_model, sizeof g_model, "%s/tiny.gguf", g_root);
    snprintf(g_prompt, sizeof g_prompt, "%s/prompt.txt", g_root);
    snprintf(g_dir, sizeof g_dir, "%s/dir", g_root);
    CHECK(mkdir(g_work, 0700) == 0 && mkdir(g_dir, 0700) == 0);
    l1__synth_params p;
    CHECK(l1__synth_preset("tiny", &p) == L1_OK);
    /* Smaller than the preset: generation is the cost of an execution that
     * gets that far, and the forward pass has targets of its own. */
    p.n_layer = 1;
    p.n_embd = 16;
    p.n_ff = 32;
    p.n_head = 2;
    p.n_head_kv = 1;
    p.n_ctx_train = 32;
    CHECK(l1__synth_write_memory(&p, &g_model_bytes, &g_model_size) == L1_OK);
    write_model();
    const int null = open("/dev/null", O_RDWR);
    CHECK(null >= 0 && dup2(null, STDIN_FILENO) >= 0 && dup2(null, STDOUT_FILENO) >= 0);
    close(null);
    g_home = open(".", O_RDONLY | O_DIRECTORY);
    CHECK(g_home >= 0);
    atexit(remove_root);
    return 0;
}

/* Appends word [s, s+n) with @m, @p and @d expanded; false to skip the input. */
static bool add_word(char **argv, int *argc, const char *s, size_t n) {
    if (*argc >= MAX_WORDS + 2 || memchr(s, '/', n) || memchr(s, '\0', n)) return false;
    size_t cap = n + 1;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '@') cap += sizeof g_model;
    char *w = malloc(cap), *o = w;
    CHECK(w);
    for (size_t i = 0; i < n; i++) {
        const char *sub = NULL;
        if (s[i] == '@' && i + 1 < n)
            sub = s[i + 1] == 'm' ? g_model : s[i + 1] == 'p' ? g_prompt : s[i + 1] == 'd' ? g_dir : NULL;
        if (sub) {
            o += sprintf(o, "%s", sub);
            i++;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    argv[(*argc)++] = w;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > MAX_FUZZ_INPUT) return 0;
    const char *text = (const char *)data;
    size_t words_len = size;
    const char *file = NULL;
    size_t file_len = 0;
    for (size_t i = 0; i + 1 < size; i++)
        if (text[i] == '\n' && text[i + 1] == '\n') {
            words_len = i;
            file = text + i + 2;
            file_len = size - i - 2;
            break;
        }
    char *argv[MAX_WORDS + 4] = {0};
    int argc = 0;
    argv[argc++] = strdup("l1");
    bool ok = true;
    for (size_t b = 0; ok && b < words_len;) {
        size_t e = b;
        while (e < words_len && text[e] != '\n') e++;
        ok = add_word(argv, &argc, text + b, e - b);
        if (ok && argc == 3 && !strcmp(argv[1], "synth")) { /* the size cap goes first */
            argv[argc++] = argv[2];
            argv[2] = strdup("--max-size=1M");
        }
        b = e + 1;
    }
    if (ok && argc >= 2 && !strcmp(argv[1], "bench")) ok = false;
    for (int i = 2; ok && i < argc; i++) {
        if (!strcmp(argv[1], "synth") && i > 2 && !strncmp(argv[i], "--m", 3)) ok = false; /* --max-size, abbreviated */
        if (!strncmp(argv[i], "--ctx-o", 7)) ok = false; /* --ctx-over-train, abbreviated */
        if (strstr(argv[i], ".tmp.") || strstr(argv[i], ".synth-tmp")) ok = false; /* only the writers' names */
    }
    if (ok) {
        FILE *f = fopen(g_prompt, "wb");
        CHECK(f);
        CHECK(fwrite(file ? file : "", 1, file_len, f) == file_len && fclose(f) == 0);
        CHECK(chdir(g_work) == 0);
        const int rc = l1cli_main(argc, argv);
        CHECK(fchdir(g_home) == 0);
        CHECK(rc == 0 || rc == 1 || rc == 2 || (rc > 128 && rc < 128 + 65));
        CHECK(!ferror(stdout));
        clearerr(stdin);
        clean_work();
        struct stat st;
        if (stat(g_model, &st) != 0 || st.st_size != g_model_stat.st_size ||
            st.st_mtim.tv_sec != g_model_stat.st_mtim.tv_sec || st.st_mtim.tv_nsec != g_model_stat.st_mtim.tv_nsec)
            write_model(); /* an output named @m replaced it */
    }
    for (int i = 0; i < argc; i++) free(argv[i]);
    return 0;
}
