/*
 * cpu.c - CPU feature detection, done once and cached.
 *
 * x86: CPUID leaves 1 and 7 say what the core implements; XGETBV says which
 * register states the OS saves.  An AVX feature is usable only when both
 * agree (YMM state for AVX/AVX2, opmask + ZMM states for AVX-512).
 * aarch64: NEON is architectural; dotprod/fp16/i8mm come from the compiler's
 * target macros (the build decides the floor) or, on Linux, from HWCAP.
 */
#include "base/base.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

static l1__cpu g_cpu;
static pthread_once_t g_cpu_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static void detect_x86(l1__cpu *c) {
    unsigned a, b, cx, d;
    if (!__get_cpuid(1, &a, &b, &cx, &d)) return;
    c->sse3 = (cx >> 0) & 1;
    c->ssse3 = (cx >> 9) & 1;
    c->fma = (cx >> 12) & 1;
    bool osxsave = (cx >> 27) & 1;
    bool avx = (cx >> 28) & 1;
    c->f16c = (cx >> 29) & 1;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    bool ymm = (xcr0 & 0x6) == 0x6;
    bool zmm = (xcr0 & 0xe6) == 0xe6;
    c->avx = avx && ymm;
    if (!c->avx) c->fma = c->f16c = false;
    unsigned max = __get_cpuid_max(0, NULL);
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, cx, d);
        c->avx2 = c->avx && ((b >> 5) & 1);
        c->avx512f = zmm && ((b >> 16) & 1);
        c->avx512dq = c->avx512f && ((b >> 17) & 1);
        c->avx512bw = c->avx512f && ((b >> 30) & 1);
        c->avx512vl = c->avx512f && ((b >> 31) & 1);
        c->avx512vnni = c->avx512f && ((cx >> 11) & 1);
        __cpuid_count(7, 1, a, b, cx, d);
        c->avxvnni = c->avx && ((a >> 4) & 1);
        c->avx512bf16 = c->avx512f && ((a >> 5) & 1);
    }
}
#endif

#if defined(__aarch64__)
static void detect_arm(l1__cpu *c) {
    c->neon = true;
#if defined(__ARM_FEATURE_DOTPROD)
    c->dotprod = true;
#endif
#if defined(__ARM_FEATURE_FP16_VECTOR_ARITHMETIC)
    c->fp16 = true;
#endif
#if defined(__ARM_FEATURE_MATMUL_INT8)
    c->i8mm = true;
#endif
#if defined(__linux__)
    unsigned long hw = getauxval(AT_HWCAP);
    if (hw & (1ul << 20)) c->dotprod = true; /* HWCAP_ASIMDDP */
    if (hw & (1ul << 10)) c->fp16 = true;    /* HWCAP_ASIMDHP */
    if (getauxval(AT_HWCAP2) & (1ul << 13)) c->i8mm = true; /* HWCAP2_I8MM */
#endif
}
#endif

/* Counts distinct (physical id, core id) pairs in /proc/cpuinfo; 0 if unknown. */
static int physical_cores_linux(void) {
#if defined(__linux__)
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return 0;
    char line[256];
    int phys = -1, seen = 0;
    int pairs[1024][2];
    while (fgets(line, sizeof line, f)) {
        int v;
        if (sscanf(line, "physical id : %d", &v) == 1) phys = v;
        else if (sscanf(line, "core id : %d", &v) == 1) {
            int i;
            for (i = 0; i < seen; i++)
                if (pairs[i][0] == phys && pairs[i][1] == v) break;
            if (i == seen && seen < 1024) {
                pairs[seen][0] = phys;
                pairs[seen][1] = v;
                seen++;
            }
        }
    }
    fclose(f);
    return seen;
#else
    return 0;
#endif
}

static void detect(void) {
    memset(&g_cpu, 0, sizeof g_cpu);
#if defined(__x86_64__) || defined(__i386__)
    detect_x86(&g_cpu);
#endif
#if defined(__aarch64__)
    detect_arm(&g_cpu);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    g_cpu.n_cores_logical = n > 0 ? (int)n : 1;
    int p = physical_cores_linux();
    g_cpu.n_cores_physical = (p > 0 && p <= g_cpu.n_cores_logical) ? p : g_cpu.n_cores_logical;
}

const l1__cpu *l1__cpu_get(void) {
    pthread_once(&g_cpu_once, detect);
    return &g_cpu;
}
