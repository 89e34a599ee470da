/*
 * ref.h - helpers for parity programs: load the reference implementation's
 * backends once and reach the functions of its CPU backend, which is a
 * dynamically loaded module (libggml-cpu-<variant>.so) rather than a library
 * the parity programs link; and the comparison of two logit rows.
 */
#ifndef L1_PARITY_REF_H
#define L1_PARITY_REF_H

#include <dlfcn.h>
#include <link.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"

/* The index of the largest of n logits (the lowest one on ties). */
static inline int32_t l1ref_argmax(const float *x, int32_t n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* KL(p || q) of the softmaxes of logits a (reference) and b (l1), in
 * double. */
static inline double l1ref_kl(const float *a, const float *b, int32_t n) {
    double ma = -INFINITY, mb = -INFINITY, sa = 0, sb = 0, k = 0;
    for (int32_t i = 0; i < n; i++) ma = fmax(ma, a[i]), mb = fmax(mb, b[i]);
    for (int32_t i = 0; i < n; i++) sa += exp(a[i] - ma), sb += exp(b[i] - mb);
    const double la = ma + log(sa), lb = mb + log(sb);
    for (int32_t i = 0; i < n; i++) {
        const double lpa = a[i] - la;
        k += exp(lpa) * (lpa - (b[i] - lb));
    }
    return k > 0 ? k : 0;
}

/* Loads every backend of $L1_REF_LIB (the reference's library directory)
 * once. */
static inline void l1ref_load_backends(void) {
    static int loaded;
    if (loaded) return;
    loaded = 1;
    const char *dir = getenv("L1_REF_LIB");
    ggml_backend_load_all_from_path(dir);
}

static int l1ref_find_cpu_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    if (info->dlpi_name && strstr(info->dlpi_name, "libggml-cpu")) {
        snprintf((char *)data, 4096, "%s", info->dlpi_name);
        return 1;
    }
    return 0;
}

/* Handle of the CPU backend module the registry chose for this host (the
 * same one llama.cpp computes with), or NULL. */
static inline void *l1ref_cpu_module(char *name_out, size_t cap) {
    static void *handle;
    static char name[4096];
    if (!handle) {
        l1ref_load_backends();
        name[0] = '\0';
        dl_iterate_phdr(l1ref_find_cpu_cb, name);
        if (name[0]) handle = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
        if (handle) {
            void (*init)(void) = (void (*)(void))dlsym(handle, "ggml_cpu_init");
            if (init) init();
        }
    }
    if (name_out && cap) snprintf(name_out, cap, "%s", name);
    return handle;
}

/* The reference CPU backend's traits of `type` (from_float, vec_dot,
 * vec_dot_type), or NULL when the module is not reachable. */
static inline const struct ggml_type_traits_cpu *l1ref_cpu_traits(enum ggml_type type) {
    void *h = l1ref_cpu_module(NULL, 0);
    if (!h) return NULL;
    typedef const struct ggml_type_traits_cpu *(*fn_t)(enum ggml_type);
    fn_t fn;
    void *sym = dlsym(h, "ggml_get_type_traits_cpu");
    memcpy(&fn, &sym, sizeof fn);
    return fn ? fn(type) : NULL;
}

#endif /* L1_PARITY_REF_H */
