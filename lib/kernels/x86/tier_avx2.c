/*
 * x86/tier_avx2.c - the AVX2 (+FMA, F16C) kernel tier: quantized dot products
 * built on maddubs/madd, activation quantizers, float dot products, and the
 * float kernels of the forward pass.  The kernel bodies are shared with the
 * AVX-512 tier (x86/dot.h, x8.h, float.h); this file compiles
 * them with -mavx2 -mfma -mf16c and exports the table.
 */

#define L1__X86_VNNI 0
#include "kernels/x86/dot.h"
#include "kernels/x86/float.h"
#include "kernels/x86/x8.h"

void l1__kernels_fill_avx2(l1__kernels *k) {
    x86_fill_dot(k);
    x86_fill_x8(k);
    x86_fill_float(k);
}
