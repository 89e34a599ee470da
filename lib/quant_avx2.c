/*
 * quant_avx2.c - the AVX2 (+FMA, F16C) kernel tier: quantized dot products
 * built on maddubs/madd, activation quantizers, float dot products, and the
 * float kernels of the forward pass.  The kernel bodies are shared with the
 * AVX-512 tier (quant_x86_impl.h, kernels_x86_impl.h); this file compiles
 * them with -mavx2 -mfma -mf16c and exports the table.
 */
#define L1__X86_VNNI 0
#include "quant_x86_impl.h"
#include "kernels_x86_impl.h"

void l1__simd_fill_avx2(l1__simd_kernels *k) {
    x86_fill(k);
    x86_fill_float(k);
}
