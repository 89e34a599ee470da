/*
 * kernels.c - tier selection and the tables of every tier (kernels.h).
 *
 * The tables are filled once (pthread_once): the scalar one, each compiled
 * ISA tier's own, and each tier's full table (scalar overlaid with its own
 * kernels).  Which ISA files exist depends on the architecture and CONFIG,
 * so every reference to a tier's symbols sits under the matching #if.  The
 * CPU check for a tier requires every feature its file was compiled with:
 * running an AVX-512 kernel on a core without VNNI would fault.
 */
#include "kernels/kernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

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

static l1__kernels g_own[L1_TIER_COUNT];  /* what each tier fills itself */
static l1__kernels g_full[L1_TIER_COUNT]; /* scalar overlaid with g_own */
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
    case L1_TIER_I8MM: return c->neon && c->dotprod && c->fp16 && c->i8mm;
    default: return false;
    }
}

/* The full table of a tier: the scalar table, then every kernel the tier
 * has of its own.  A type's rows, tile and x8 kernels come only with the
 * tier's own dot of that type (kernels.h), and only for types the scalar
 * tier computes with. */
static void overlay(l1__kernels *full, const l1__kernels *own, l1__tier tier) {
    *full = g_own[L1_TIER_SCALAR];
    full->name = l1__tier_name(tier);
    full->tier = tier;
    for (uint32_t t = 0; t < L1_TYPE_COUNT; t++) {
        if (own->act_quant[t] && full->act_quant[t]) full->act_quant[t] = own->act_quant[t];
        if (!own->dot[t] || !full->dot[t]) continue;
        full->dot[t] = own->dot[t];
        full->dot_rows[t] = own->dot_rows[t];
        full->dot_tile[t] = own->dot_tile[t];
        full->x8[t] = own->x8[t];
    }
#define L1__TAKE(f) if (own->f) full->f = own->f
    L1__TAKE(x8_transpose);
    L1__TAKE(rmsnorm);
    L1__TAKE(rope_neox);
    L1__TAKE(softmax);
    L1__TAKE(attention);
    L1__TAKE(attention_group);
    L1__TAKE(swiglu);
    L1__TAKE(add);
#undef L1__TAKE
}

static void init_once(void) {
    l1__kernels_fill_scalar(&g_own[L1_TIER_SCALAR]);
    g_own[L1_TIER_SCALAR].name = l1__tier_name(L1_TIER_SCALAR);
    g_full[L1_TIER_SCALAR] = g_own[L1_TIER_SCALAR];
#if L1__HAVE_X86_TIERS
    l1__kernels_fill_avx2(&g_own[L1_TIER_AVX2]);
    l1__kernels_fill_avx512(&g_own[L1_TIER_AVX512]);
#endif
#if L1__HAVE_NEON_TIER
    l1__kernels_fill_neon(&g_own[L1_TIER_NEON]);
    l1__kernels_fill_i8mm(&g_own[L1_TIER_I8MM]);
#endif
    for (int t = L1_TIER_SCALAR + 1; t < L1_TIER_COUNT; t++) {
        if (!l1__tier_compiled((l1__tier)t)) continue;
        g_own[t].name = l1__tier_name((l1__tier)t);
        g_own[t].tier = (l1__tier)t;
        overlay(&g_full[t], &g_own[t], (l1__tier)t);
    }
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
    case L1_TIER_I8MM: return "i8mm";
    default: return "unknown";
    }
}

bool l1__tier_compiled(l1__tier tier) {
    switch (tier) {
    case L1_TIER_SCALAR: return true;
    case L1_TIER_AVX2:
    case L1_TIER_AVX512: return L1__HAVE_X86_TIERS;
    case L1_TIER_NEON:
    case L1_TIER_I8MM: return L1__HAVE_NEON_TIER;
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

const l1__kernels *l1__kernels_tier(l1__tier tier) {
    if ((unsigned)tier >= L1_TIER_COUNT || !l1__tier_compiled(tier)) return NULL;
    pthread_once(&g_once, init_once);
    return &g_full[tier];
}

const l1__kernels *l1__kernels_own(l1__tier tier) {
    if ((unsigned)tier >= L1_TIER_COUNT || !l1__tier_compiled(tier)) return NULL;
    pthread_once(&g_once, init_once);
    return &g_own[tier];
}

const l1__kernels *l1__kernels_get(void) { return l1__kernels_tier(l1__tier_best()); }

const l1__kernels *l1__kernels_scalar(void) { return l1__kernels_tier(L1_TIER_SCALAR); }
