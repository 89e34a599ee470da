/*
 * simd.c - tier selection and kernel lookup.
 *
 * The per-tier tables are filled once (pthread_once) from the ISA files the
 * build compiled; which files exist depends on the architecture and CONFIG,
 * so every reference to a tier's symbols sits under the matching #if.  The
 * CPU check for a tier requires every feature its file was compiled with:
 * running an AVX-512 kernel on a core without VNNI would fault.
 */
#include "simd.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#if !defined(L1_SCALAR_ONLY) && defined(__x86_64__)
#  define L1__HAVE_X86_TIERS 1
#else
#  define L1__HAVE_X86_TIERS 0
#endif
#if !defined(L1_SCALAR_ONLY) && defined(__aarch64__)
#  define L1__HAVE_NEON_TIER 1
#else
#  define L1__HAVE_NEON_TIER 0
#endif

static l1__simd_kernels g_kernels[L1_TIER_COUNT];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static l1__tier g_detected;
static int g_override = -1; /* a tier set by l1__tier_set, or -1 */

static bool cpu_has(l1__tier tier) {
    const l1__cpu *c = l1__cpu_get();
    switch (tier) {
    case L1_TIER_SCALAR: return true;
    case L1_TIER_AVX2: return c->avx2 && c->fma && c->f16c;
    case L1_TIER_AVX512:
        return c->avx2 && c->fma && c->f16c && c->avx512f && c->avx512bw && c->avx512vl &&
               c->avx512dq && c->avx512vnni;
    case L1_TIER_NEON: return c->neon && c->dotprod && c->fp16;
    default: return false;
    }
}

static void init_once(void) {
#if L1__HAVE_X86_TIERS
    l1__simd_fill_avx2(&g_kernels[L1_TIER_AVX2]);
    l1__simd_fill_avx512(&g_kernels[L1_TIER_AVX512]);
#endif
#if L1__HAVE_NEON_TIER
    l1__simd_fill_neon(&g_kernels[L1_TIER_NEON]);
#endif
    g_detected = L1_TIER_SCALAR;
    const char *force = getenv("L1_FORCE_SCALAR");
    if (force && strcmp(force, "1") == 0) return;
    /* L1_TIER=<name> caps the choice at that tier when the CPU has it. */
    const char *want = getenv("L1_TIER");
    int cap = L1_TIER_COUNT - 1;
    if (want && *want) {
        int named = -1;
        for (int t = 0; t < L1_TIER_COUNT; t++)
            if (strcmp(want, l1__tier_name((l1__tier)t)) == 0) named = t;
        if (named >= 0 && l1__tier_compiled((l1__tier)named) && cpu_has((l1__tier)named))
            cap = named;
        else
            l1__log(L1_LOG_WARN, "L1_TIER=%s: not a tier this build and CPU run; using the best one", want);
    }
    for (int t = cap; t > L1_TIER_SCALAR; t--) {
        if (l1__tier_compiled((l1__tier)t) && cpu_has((l1__tier)t)) {
            g_detected = (l1__tier)t;
            return;
        }
    }
}

const char *l1__tier_name(l1__tier tier) {
    switch (tier) {
    case L1_TIER_SCALAR: return "scalar";
    case L1_TIER_AVX2: return "avx2";
    case L1_TIER_AVX512: return "avx512";
    case L1_TIER_NEON: return "neon";
    default: return "unknown";
    }
}

bool l1__tier_compiled(l1__tier tier) {
    switch (tier) {
    case L1_TIER_SCALAR: return true;
    case L1_TIER_AVX2:
    case L1_TIER_AVX512: return L1__HAVE_X86_TIERS;
    case L1_TIER_NEON: return L1__HAVE_NEON_TIER;
    default: return false;
    }
}

bool l1__tier_supported(l1__tier tier) { return l1__tier_compiled(tier) && cpu_has(tier); }

l1__tier l1__tier_best(void) {
    pthread_once(&g_once, init_once);
    return g_override >= 0 ? (l1__tier)g_override : g_detected;
}

bool l1__tier_set(l1__tier tier) {
    pthread_once(&g_once, init_once);
    if (tier == L1_TIER_COUNT) {
        g_override = -1;
        return true;
    }
    if (!l1__tier_supported(tier)) return false;
    g_override = (int)tier;
    return true;
}

static const l1__simd_kernels *table(uint32_t type, l1__tier tier) {
    if (type >= L1_TYPE_COUNT || (unsigned)tier >= L1_TIER_COUNT) return NULL;
    pthread_once(&g_once, init_once);
    return &g_kernels[tier];
}

l1__vec_dot_fn l1__simd_vec_dot(uint32_t type, l1__tier tier) {
    const l1__simd_kernels *k = table(type, tier);
    return k ? k->vec_dot[type] : NULL;
}

l1__vec_dot_rows_fn l1__simd_vec_dot_rows(uint32_t type, l1__tier tier) {
    const l1__simd_kernels *k = table(type, tier);
    return k ? k->vec_dot_rows[type] : NULL;
}

l1__vec_dot_tile_fn l1__simd_vec_dot_tile(uint32_t type, l1__tier tier) {
    const l1__simd_kernels *k = table(type, tier);
    return k ? k->vec_dot_tile[type] : NULL;
}

l1__x8_fn l1__simd_x8(uint32_t type, l1__tier tier) {
    const l1__simd_kernels *k = table(type, tier);
    return k ? k->x8[type] : NULL;
}

const l1__simd_kernels *l1__simd_table(l1__tier tier) { return table(0, tier); }

l1__quantize_row_fn l1__simd_quantize_row(uint32_t act_type, l1__tier tier) {
    const l1__simd_kernels *k = table(act_type, tier);
    return k ? k->quantize[act_type] : NULL;
}
