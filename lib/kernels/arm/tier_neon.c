/*
 * arm/tier_neon.c - the aarch64 kernel tier (NEON with the dot-product and
 * half-precision extensions): quantized dot products built on sdot
 * (vdotq_s32), the Q8_0/Q8_1/Q8_K activation quantizers, F32/F16/BF16 dot
 * products.  Compiled with -march=armv8.2-a+dotprod+fp16; kernels.c selects it
 * only where the CPU reports both extensions.
 *
 * Weight codes are widened to signed bytes (offsets subtracted in the byte
 * domain where they fit, else through the activation group sums) and
 * multiplied 4 at a time by sdot, so integer block sums are exact.  Block
 * sums are scaled in f32 and accumulated in f32 lanes: float results differ
 * from the scalar reference only by summation order.  The quantizers repeat
 * the scalar arithmetic of this architecture (multiply by 1 / d, round to
 * nearest even, saturate), so their output is bit-identical.  The kernels
 * live in dot.h, float.h and x8.h (the products over x8-packed weights;
 * primitives in common.h); this file compiles them and exports the table.
 */
#if defined(__aarch64__) && !defined(L1_SCALAR_ONLY)

#include "kernels/arm/dot.h"
#include "kernels/arm/float.h"
#include "kernels/arm/x8.h"

/* ---- the table ------------------------------------------------------------------ */

void l1__kernels_fill_neon(l1__kernels *k) {
    k->dot[L1_TYPE_F32] = vec_dot_f32;
    k->dot[L1_TYPE_F16] = vec_dot_f16;
    k->dot[L1_TYPE_BF16] = vec_dot_bf16;
    k->dot[L1_TYPE_Q8_0] = vec_dot_q8_0;
    k->dot[L1_TYPE_Q4_0] = vec_dot_q4_0;
    k->dot[L1_TYPE_Q4_1] = vec_dot_q4_1;
    k->dot[L1_TYPE_Q5_0] = vec_dot_q5_0;
    k->dot[L1_TYPE_Q5_1] = vec_dot_q5_1;
    k->dot[L1_TYPE_IQ4_NL] = vec_dot_iq4_nl;
    k->dot[L1_TYPE_Q2_K] = vec_dot_q2_K;
    k->dot[L1_TYPE_Q3_K] = vec_dot_q3_K;
    k->dot[L1_TYPE_Q4_K] = vec_dot_q4_K;
    k->dot[L1_TYPE_Q5_K] = vec_dot_q5_K;
    k->dot[L1_TYPE_Q6_K] = vec_dot_q6_K;
    k->dot[L1_TYPE_IQ4_XS] = vec_dot_iq4_xs;
    k->dot_tile[L1_TYPE_Q8_0] = vec_dot_tile_q8_0;
    k->dot_tile[L1_TYPE_Q4_0] = vec_dot_tile_q4_0;
    k->dot_tile[L1_TYPE_Q4_1] = vec_dot_tile_q4_1;
    k->dot_tile[L1_TYPE_Q5_0] = vec_dot_tile_q5_0;
    k->dot_tile[L1_TYPE_Q5_1] = vec_dot_tile_q5_1;
    k->dot_tile[L1_TYPE_IQ4_NL] = vec_dot_tile_iq4_nl;
    k->dot_tile[L1_TYPE_Q2_K] = vec_dot_tile_q2_K;
    k->dot_tile[L1_TYPE_Q3_K] = vec_dot_tile_q3_K;
    k->dot_tile[L1_TYPE_Q4_K] = vec_dot_tile_q4_K;
    k->dot_tile[L1_TYPE_Q5_K] = vec_dot_tile_q5_K;
    k->dot_tile[L1_TYPE_Q6_K] = vec_dot_tile_q6_K;
    k->dot_tile[L1_TYPE_IQ4_XS] = vec_dot_tile_iq4_xs;
    k->act_quant[L1_TYPE_Q8_0] = quantize_q8_0;
    k->act_quant[L1_TYPE_Q8_1] = quantize_q8_1;
    k->act_quant[L1_TYPE_Q8_K] = quantize_q8_K;
    k->attention = nf_attention;
    k->attention_group = nf_attention_group;
    k->swiglu = nf_swiglu;
    k->rmsnorm = nf_rmsnorm;
    k->rope_neox = nf_rope_neox;
    k->add = nf_add;
    arm_fill_x8(k);
}

#else
typedef int l1__tier_neon_unused; /* ISO C: no empty translation unit */
#endif /* __aarch64__ && !L1_SCALAR_ONLY */
