/*
 * bench/arm/insn_blocks.c - a qemu-user TCG plugin that counts, for every
 * translated block, how many times it ran, so that a program's retired
 * guest instructions can be split by function (bench/arm/by_function.py).
 * It is insn_count.c's profile: where insn_count.c gives one total, this
 * gives the total per block.
 *
 *   qemu-aarch64 -plugin build/armproxy/insn_blocks.so,out=FILE PROGRAM ...
 *
 * Each translated block gets a record (guest address, instructions) and an
 * inline add of 1 to its own counter every time it runs.  At exit every
 * record that ran goes to FILE as "address instructions runs" (address in
 * hex), one line each.  A block translated twice has two records; the
 * reader adds them up.  Records live in one array allocated at the first
 * translation, never moved (the inline adds hold their addresses); blocks
 * past its 4 M records are not counted, and the file says how many.  Like
 * insn_count.c the adds are not atomic: measure with one thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           void (*cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb));
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t id, void *udata),
                                    void *udata);

#define EXPORT __attribute__((visibility("default")))
#define MAX_BLOCKS (1u << 22)

EXPORT int qemu_plugin_version = 1;

typedef struct {
    uint64_t vaddr, insns, runs;
} block;

static block *g_blocks;
static size_t g_n, g_dropped;
static char g_out[4096];

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    if (!g_blocks && !(g_blocks = calloc(MAX_BLOCKS, sizeof *g_blocks))) {
        g_dropped++;
        return;
    }
    if (g_n == MAX_BLOCKS) {
        g_dropped++;
        return;
    }
    block *b = &g_blocks[g_n++];
    b->vaddr = qemu_plugin_tb_vaddr(tb);
    b->insns = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->runs, 1);
}

static void on_exit_(qemu_plugin_id_t id, void *udata) {
    (void)id, (void)udata;
    FILE *f = g_out[0] ? fopen(g_out, "w") : stderr;
    if (!f) {
        fprintf(stderr, "insn_blocks: cannot write %s\n", g_out);
        return;
    }
    for (size_t i = 0; i < g_n; i++)
        if (g_blocks[i].runs)
            fprintf(f, "%llx %llu %llu\n", (unsigned long long)g_blocks[i].vaddr,
                    (unsigned long long)g_blocks[i].insns, (unsigned long long)g_blocks[i].runs);
    if (g_dropped) fprintf(f, "# %zu translated blocks not counted (more than %u)\n", g_dropped, MAX_BLOCKS);
    if (f != stderr) fclose(f);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) != 0 || strlen(argv[i] + 4) >= sizeof g_out) {
            fprintf(stderr, "insn_blocks: unknown or too long argument '%s' (out=FILE)\n", argv[i]);
            return -1;
        }
        strcpy(g_out, argv[i] + 4);
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
    return 0;
}
