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

/* The NEON tier's table, then arm/mmla.h's entry points for all four x8
 * types (Q4_0, Q8_0, Q4_K, Q6_K), which run 1..2 tokens on this file's
 * copy of arm/x8.h's sdot bodies.  arm_fill_x8's four entries are all
 * replaced by arm_fill_mmla's; it is called so that this file uses the
 * header's x8 entry points it includes (GCC's -Wunused-function). */
void l1__kernels_fill_i8mm(l1__kernels *k) {
    l1__kernels_fill_neon(k);
    arm_fill_x8(k);
    arm_fill_mmla(k);
}

#else
typedef int l1__tier_i8mm_unused; /* ISO C: no empty translation unit */
#endif /* __aarch64__ && !L1_SCALAR_ONLY */
