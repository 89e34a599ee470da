/*
 * quant_avx512.c - the AVX-512 tier (F/BW/VL/DQ with VNNI): the kernels of
 * quant_x86_impl.h compiled with vpdpbusd/vpdpwssd as the integer
 * multiply-accumulate, and the float kernels of kernels_x86_impl.h (the
 * same 256-bit code as the AVX2 tier).  simd.c selects it only on CPUs
 * with every one of those extensions.
 */
#define L1__X86_VNNI 1
#include "quant_x86_impl.h"
#include "kernels_x86_impl.h"

void l1__simd_fill_avx512(l1__simd_kernels *k) {
    x86_fill(k);
    x86_fill_float(k);
}
