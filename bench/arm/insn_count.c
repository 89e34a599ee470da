/*
 * bench/arm/insn_count.c - a qemu-user TCG plugin that counts the guest
 * instructions a program retires, for bench/arm/proxy.sh (an ARM speed
 * proxy where no ARM machine is at hand).
 *
 *   qemu-aarch64 -plugin build/armproxy/insn_count.so,out=FILE PROGRAM ...
 *
 * Each translated block adds its instruction count to one counter every
 * time it runs (an inline add, no call).  The add is not atomic, so a
 * program with several threads is undercounted: measure with one thread.
 * At exit the total goes to FILE (or stderr) as one decimal line.
 *
 * The declarations below are the few entries of qemu's plugin API this
 * uses (API version 1, qemu 4.2 and later; include/qemu/qemu-plugin.h in
 * qemu's source documents them); qemu resolves them when it loads the
 * plugin.
 */
#include <stdint.h>
#include <stdio.h>
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
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t id, void *udata),
                                    void *udata);

#define EXPORT __attribute__((visibility("default")))

EXPORT int qemu_plugin_version = 1;

static uint64_t g_insns;
static char g_out[4096];

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &g_insns,
                                             (uint64_t)qemu_plugin_tb_n_insns(tb));
}

static void on_exit_(qemu_plugin_id_t id, void *udata) {
    (void)id, (void)udata;
    FILE *f = g_out[0] ? fopen(g_out, "w") : stderr;
    if (!f) {
        fprintf(stderr, "insn_count: cannot write %s\n", g_out);
        return;
    }
    fprintf(f, "%llu\n", (unsigned long long)g_insns);
    if (f != stderr) fclose(f);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) != 0 || strlen(argv[i] + 4) >= sizeof g_out) {
            fprintf(stderr, "insn_count: unknown or too long argument '%s' (out=FILE)\n", argv[i]);
            return -1;
        }
        strcpy(g_out, argv[i] + 4);
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
    return 0;
}
