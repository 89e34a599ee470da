/*
 * bench/arm/insn_count.c - a qemu-user TCG plugin that counts the guest
 * instructions a program retires, for bench/arm/proxy.sh (an ARM speed
 * proxy where no ARM machine is at hand), and, with blocks=on, how many
 * times each translated block ran, for bench/arm/by_function.py (the
 * instructions split by function).
 *
 *   qemu-aarch64 -plugin build/armproxy/insn_count.so,out=FILE PROGRAM ...
 *   qemu-aarch64 -plugin build/armproxy/insn_count.so,out=FILE,blocks=on PROGRAM ...
 *
 * Total: each translated block adds its instruction count to one counter
 * every time it runs (an inline add, no call); at exit the total goes to
 * FILE (or stderr) as one decimal line.
 *
 * Blocks: each translated block gets a record (guest address,
 * instructions) and an inline add of 1 to its own counter; at exit every
 * record that ran goes to FILE as "address instructions runs" (address in
 * hex), one line each.  A block translated twice has two records (the
 * reader adds them up).  Records live in one array allocated at the first
 * translation and never moved, since the inline adds hold their
 * addresses; blocks past its 4 M records are not counted, and a last line
 * "# N translated blocks not counted" says so.
 *
 * The adds are not atomic, so a program with several threads is
 * undercounted: measure with one thread.
 *
 * The declarations below are the few entries of qemu's plugin API this
 * uses (API version 1, qemu 4.2 and later; include/qemu/qemu-plugin.h in
 * qemu's source documents them); qemu resolves them when it loads the
 * plugin.
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

static uint64_t g_insns;
static int g_by_block;
static block *g_blocks;
static size_t g_n, g_dropped;
static char g_out[4096];

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    if (!g_by_block) {
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &g_insns,
                                                 (uint64_t)qemu_plugin_tb_n_insns(tb));
        return;
    }
    if ((!g_blocks && !(g_blocks = calloc(MAX_BLOCKS, sizeof *g_blocks))) || g_n == MAX_BLOCKS) {
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
        fprintf(stderr, "insn_count: cannot write %s\n", g_out);
        return;
    }
    if (!g_by_block) fprintf(f, "%llu\n", (unsigned long long)g_insns);
    for (size_t i = 0; i < g_n; i++)
        if (g_blocks[i].runs)
            fprintf(f, "%llx %llu %llu\n", (unsigned long long)g_blocks[i].vaddr,
                    (unsigned long long)g_blocks[i].insns, (unsigned long long)g_blocks[i].runs);
    if (g_dropped) fprintf(f, "# %zu translated blocks not counted\n", g_dropped);
    if (f != stderr) fclose(f);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "blocks=on")) {
            g_by_block = 1;
        } else if (!strcmp(argv[i], "blocks=off")) {
            g_by_block = 0;
        } else if (strncmp(argv[i], "out=", 4) == 0 && strlen(argv[i] + 4) < sizeof g_out) {
            strcpy(g_out, argv[i] + 4);
        } else {
            fprintf(stderr, "insn_count: unknown or too long argument '%s' (out=FILE, blocks=on|off)\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
    return 0;
}
