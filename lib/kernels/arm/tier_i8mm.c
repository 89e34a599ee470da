/*
 * arm/tier_i8mm.c - the aarch64 tier for cores with the int8 matrix-multiply
 * extension (i8mm, Armv8.6-A; optional from Armv8.2-A): the NEON tier's
 * kernels, with arm/mmla.h's Q4_0, Q8_0, Q4_K and Q6_K x8 kernels (smmla)
 * for products of 3..8 tokens.  Compiled with -march=armv8.2-a+dotprod+fp16+i8mm;
 * kernels.c selects it only where the CPU reports all three extensions
 * (on Linux, HWCAP2_I8MM).
 */
#if defined(__aarch64__) && !defined(L1_SCALAR_ONLY)

#include "kernels/arm/mmla.h"

/* The NEON tier's table, its x8 entries from this file's copy of arm/x8.h
 * (the same source), then the smmla kernels over Q4_0's and Q8_0's. */
void l1__kernels_fill_i8mm(l1__kernels *k) {
    l1__kernels_fill_neon(k);
    arm_fill_x8(k);
    arm_fill_mmla(k);
}

#else
typedef int l1__tier_i8mm_unused; /* ISO C: no empty translation unit */
#endif /* __aarch64__ && !L1_SCALAR_ONLY */
