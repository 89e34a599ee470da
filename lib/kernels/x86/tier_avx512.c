/*
 * x86/tier_avx512.c - the AVX-512 tier (F/BW/VL/DQ with VNNI): the kernels of
 * x86/dot.h and x86/x8.h compiled with vpdpbusd/vpdpwssd as the integer
 * multiply-accumulate, and the float kernels of x86/float.h (the same
 * 256-bit code as the AVX2 tier).  kernels.c selects it only on CPUs
 * with every one of those extensions.
 */

#define L1__X86_VNNI 1
#include "kernels/x86/dot.h"
#include "kernels/x86/float.h"
#include "kernels/x86/x8.h"

void l1__kernels_fill_avx512(l1__kernels *k) {
    x86_fill_dot(k);
    x86_fill_x8(k);
    x86_fill_float(k);
}
