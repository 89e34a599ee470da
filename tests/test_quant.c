/*
 * test_quant.c - the quant layer: block layouts, the traits table and its
 * activation pairings, one hand-built block per type dequantized to values
 * worked out by hand (in the comments), quantizer rounding rules, the
 * quantize -> dequantize error of every quantizer, and every scalar dot
 * product against a double-precision dot of the dequantized operands.
 * (Bit-exactness against the reference implementation is the parity
 * program's job: tests/parity/parity_quant.c.)
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base.h"
#include "base/fp16.h"
#include "quant/quant.h"
#include "quant/quant_blocks.h"
#include "gguf/types.h"

/* f16 bit patterns used by the hand-built blocks. */
#define H_ONE 0x3C00     /* 1.0 */
#define H_TWO 0x4000     /* 2.0 */
#define H_HALF 0x3800    /* 0.5 */
#define H_QUARTER 0x3400 /* 0.25 */
#define H_MINUS_ONE 0xBC00

static const l1__quant_traits *traits(uint32_t t) {
    const l1__quant_traits *q = l1__quant_traits_get(t);
    assert_non_null(q);
    return q;
}

static void deq(uint32_t type, const void *blk, float *out, int64_t n) { traits(type)->to_float(blk, out, n); }

/* ---- layouts and table ----------------------------------------------------------- */

static void block_sizes_match_the_file_format_and_type_table(void **state) {
    (void)state;
    static const struct {
        uint32_t type, block, bytes;
    } want[] = {
        {L1_TYPE_F32, 1, 4},       {L1_TYPE_F16, 1, 2},       {L1_TYPE_BF16, 1, 2},
        {L1_TYPE_Q4_0, 32, 18},    {L1_TYPE_Q4_1, 32, 20},    {L1_TYPE_Q5_0, 32, 22},
        {L1_TYPE_Q5_1, 32, 24},    {L1_TYPE_Q8_0, 32, 34},    {L1_TYPE_Q8_1, 32, 36},
        {L1_TYPE_Q2_K, 256, 84},   {L1_TYPE_Q3_K, 256, 110},  {L1_TYPE_Q4_K, 256, 144},
        {L1_TYPE_Q5_K, 256, 176},  {L1_TYPE_Q6_K, 256, 210},  {L1_TYPE_Q8_K, 256, 292},
        {L1_TYPE_IQ4_NL, 32, 18},  {L1_TYPE_IQ4_XS, 256, 136},
    };
    for (size_t i = 0; i < L1_ARRAY_LEN(want); i++) {
        const l1__quant_traits *t = traits(want[i].type);
        const l1__type_geom *g = l1__type_geom_get(want[i].type);
        assert_int_equal(t->type, want[i].type);
        assert_int_equal(t->block_size, want[i].block);
        assert_int_equal(t->type_size, want[i].bytes);
        assert_int_equal(g->block_size, want[i].block);
        assert_int_equal(g->type_size, want[i].bytes);
        assert_string_equal(t->name, g->name);
        assert_non_null(t->to_float);
        assert_non_null(t->vec_dot);
    }
}

/* The pairing of the reference CPU backend (ggml-cpu.c type traits). */
static void vec_dot_types_pair_as_the_reference_cpu_backend(void **state) {
    (void)state;
    static const uint32_t pairs[][2] = {
        {L1_TYPE_F32, L1_TYPE_F32},     {L1_TYPE_F16, L1_TYPE_F16},     {L1_TYPE_BF16, L1_TYPE_BF16},
        {L1_TYPE_Q4_0, L1_TYPE_Q8_0},   {L1_TYPE_Q4_1, L1_TYPE_Q8_1},   {L1_TYPE_Q5_0, L1_TYPE_Q8_0},
        {L1_TYPE_Q5_1, L1_TYPE_Q8_1},   {L1_TYPE_Q8_0, L1_TYPE_Q8_0},   {L1_TYPE_Q2_K, L1_TYPE_Q8_K},
        {L1_TYPE_Q3_K, L1_TYPE_Q8_K},   {L1_TYPE_Q4_K, L1_TYPE_Q8_K},   {L1_TYPE_Q5_K, L1_TYPE_Q8_K},
        {L1_TYPE_Q6_K, L1_TYPE_Q8_K},   {L1_TYPE_IQ4_NL, L1_TYPE_Q8_0}, {L1_TYPE_IQ4_XS, L1_TYPE_Q8_K},
    };
    for (size_t i = 0; i < L1_ARRAY_LEN(pairs); i++) {
        assert_int_equal(traits(pairs[i][0])->vec_dot_type, pairs[i][1]);
        /* Every activation type can be produced at run time. */
        assert_non_null(traits(pairs[i][1])->from_float);
    }
}

static void unsupported_types_have_no_traits(void **state) {
    (void)state;
    assert_null(l1__quant_traits_get(L1_TYPE_IQ2_XXS));
    assert_null(l1__quant_traits_get(L1_TYPE_IQ3_S));
    assert_null(l1__quant_traits_get(L1_TYPE_TQ1_0));
    assert_null(l1__quant_traits_get(4)); /* a retired id */
    assert_null(l1__quant_traits_get(L1_TYPE_COUNT));
    float x[32] = {0};
    uint8_t y[64];
    assert_int_equal(l1__quantize_rows(L1_TYPE_IQ2_XXS, x, y, 1, 32), 0);
    assert_int_equal(l1__quantize_rows(L1_TYPE_Q4_0, x, y, 1, 31), 0); /* not a whole block */
    assert_int_equal(l1__quantize_rows(L1_TYPE_Q4_0, x, y, 1, 32), 18);
}

/* ---- hand-built blocks ------------------------------------------------------------- */

static void float_formats_decode_hand_values(void **state) {
    (void)state;
    /* f16: 0x3C00 = 1, 0xC000 = -2, 0x3555 = 1.0101010101b x 2^-2 = 0.333251953125,
     * 0x0001 = 2^-24 (smallest subnormal).  bf16: top half of the f32 bits. */
    const uint16_t h[4] = {0x3C00, 0xC000, 0x3555, 0x0001};
    float y[4];
    deq(L1_TYPE_F16, h, y, 4);
    assert_true(y[0] == 1.0f && y[1] == -2.0f && y[2] == 0.333251953125f && y[3] == 0x1p-24f);
    const uint16_t b[2] = {0x3F80, 0xC040}; /* 1.0, -3.0 */
    deq(L1_TYPE_BF16, b, y, 2);
    assert_true(y[0] == 1.0f && y[1] == -3.0f);
    const float f[2] = {1.5f, -0.0f};
    deq(L1_TYPE_F32, f, y, 2);
    assert_memory_equal(f, y, sizeof f);
}

static void q4_0_and_q4_1_decode_hand_values(void **state) {
    (void)state;
    float y[32];
    l1__block_q4_0 a;
    a.d = H_TWO;
    memset(a.qs, 0x88, sizeof a.qs); /* code 8 everywhere: (8 - 8) * 2 = 0 */
    a.qs[0] = 0x1F;                  /* value 0: (15 - 8) * 2 = 14; value 16: (1 - 8) * 2 = -14 */
    deq(L1_TYPE_Q4_0, &a, y, 32);
    assert_true(y[0] == 14.0f && y[16] == -14.0f && y[1] == 0.0f && y[31] == 0.0f);

    l1__block_q4_1 b;
    b.d = H_HALF;
    b.m = H_MINUS_ONE;
    memset(b.qs, 0, sizeof b.qs); /* code 0: 0 * 0.5 - 1 = -1 */
    b.qs[3] = 0xA5;               /* value 3: 5 * 0.5 - 1 = 1.5; value 19: 10 * 0.5 - 1 = 4 */
    deq(L1_TYPE_Q4_1, &b, y, 32);
    assert_true(y[3] == 1.5f && y[19] == 4.0f && y[0] == -1.0f && y[31] == -1.0f);
}

static void q5_0_and_q5_1_decode_hand_values(void **state) {
    (void)state;
    float y[32];
    l1__block_q5_0 a;
    a.d = H_ONE;
    memset(a.qs, 0, sizeof a.qs);
    /* qh bit 0 and bit 20 set (little-endian u32 0x00100001). */
    a.qh[0] = 0x01;
    a.qh[1] = 0x00;
    a.qh[2] = 0x10;
    a.qh[3] = 0x00;
    a.qs[4] = 0x70;
    /* value 0: (0 | 16) - 16 = 0; value 16: 0 - 16 = -16;
     * value 4: low nibble 0, no fifth bit: -16; value 20: (7 | 16) - 16 = 7. */
    deq(L1_TYPE_Q5_0, &a, y, 32);
    assert_true(y[0] == 0.0f && y[16] == -16.0f && y[4] == -16.0f && y[20] == 7.0f);

    l1__block_q5_1 b;
    b.d = H_QUARTER;
    b.m = H_ONE;
    memset(b.qh, 0xFF, sizeof b.qh);
    memset(b.qs, 0xFF, sizeof b.qs); /* code 31 everywhere: 31 * 0.25 + 1 = 8.75 */
    deq(L1_TYPE_Q5_1, &b, y, 32);
    for (int j = 0; j < 32; j++) assert_true(y[j] == 8.75f);
}

static void q8_0_and_q8_k_decode_hand_values(void **state) {
    (void)state;
    static float y[256];
    l1__block_q8_0 a;
    a.d = H_HALF;
    for (int j = 0; j < 32; j++) a.qs[j] = (int8_t)(j - 16); /* value j = (j - 16) / 2 */
    deq(L1_TYPE_Q8_0, &a, y, 32);
    for (int j = 0; j < 32; j++) assert_true(y[j] == (float)(j - 16) * 0.5f);

    static l1__block_q8_K b;
    b.d = 0.25f;
    for (int j = 0; j < 256; j++) b.qs[j] = (int8_t)(j - 128); /* value j = (j - 128) / 4 */
    deq(L1_TYPE_Q8_K, &b, y, 256);
    for (int j = 0; j < 256; j++) assert_true(y[j] == (float)(j - 128) * 0.25f);
}

static void q2_k_and_q3_k_decode_hand_values(void **state) {
    (void)state;
    static float y[256];
    l1__block_q2_K a;
    memset(&a, 0, sizeof a);
    a.d = H_ONE;
    a.dmin = H_HALF;
    a.scales[0] = 0x21; /* sub-block 0: scale 1 * 1, min 2 * 0.5 = 1 */
    a.scales[5] = 0x03; /* sub-block 5 (values 80..95): scale 3, min 0 */
    a.qs[0] = 0xE4;     /* codes 0,1,2,3 for values 0, 32, 64, 96 */
    a.qs[16] = 0x30;    /* value 80 = byte 16, bits 4-5: code 3 */
    /* value 0: 1*0 - 1 = -1; values 1..15: code 0 -> -1; values 32/64/96 sit
     * in sub-blocks 2/4/6 whose scale and min are 0 -> 0; value 80: 3*3 = 9. */
    deq(L1_TYPE_Q2_K, &a, y, 256);
    assert_true(y[0] == -1.0f && y[15] == -1.0f && y[32] == 0.0f && y[64] == 0.0f && y[96] == 0.0f);
    assert_true(y[80] == 9.0f && y[81] == 0.0f && y[16] == 0.0f);

    l1__block_q3_K b;
    memset(&b, 0, sizeof b);
    b.d = H_ONE;
    /* Sub-block 0's 6-bit scale is 34 (-> 34 - 32 = 2): low nibble 2 in
     * scales[0], high bits 2 in scales[8] bits 0-1.  All others are 32
     * (-> 0): low nibble 0, high bits 2, so scales[8..11] = 0b10101010. */
    b.scales[0] = 0x02;
    b.scales[8] = b.scales[9] = b.scales[10] = b.scales[11] = 0xAA;
    b.hmask[0] = 0x01; /* value 0 has its high bit: no -4 */
    b.qs[0] = 0x03;    /* value 0: low bits 3 */
    /* value 0: 2 * 3 = 6; value 1 (no high bit, low bits 0): 2 * (0 - 4) = -8;
     * any value of another sub-block: scale 0 -> 0. */
    deq(L1_TYPE_Q3_K, &b, y, 256);
    assert_true(y[0] == 6.0f && y[1] == -8.0f && y[15] == -8.0f && y[16] == 0.0f && y[255] == 0.0f);
}

static void q4_k_and_q5_k_decode_hand_values(void **state) {
    (void)state;
    static float y[256];
    /* Shared scales: sub-block 0 scale 2 min 1 (scales[0] low 6 bits = 2,
     * scales[4] low 6 bits = 1); sub-block 4 scale 17 = 0b010001: low
     * nibble 1 in scales[8], high 2 bits 01 in scales[0] bits 6-7, min 0.
     * So scales[0] = 0x42, scales[4] = 0x01, scales[8] = 0x01.  d = dmin = 1. */
    l1__block_q4_K a;
    memset(&a, 0, sizeof a);
    a.d = a.dmin = H_ONE;
    a.scales[0] = 0x42;
    a.scales[4] = 0x01;
    a.scales[8] = 0x01;
    a.qs[0] = 0x05;  /* value 0 (low nibble): 2 * 5 - 1 = 9; value 32: sub-block 1, all zero */
    a.qs[64] = 0x0F; /* value 128 (sub-block 4, low nibble of qs[64]): 17 * 15 = 255 */
    /* values 1..31: 2 * 0 - 1 = -1. */
    deq(L1_TYPE_Q4_K, &a, y, 256);
    assert_true(y[0] == 9.0f && y[1] == -1.0f && y[31] == -1.0f && y[32] == 0.0f && y[128] == 255.0f);
    assert_true(y[129] == 0.0f);

    l1__block_q5_K b;
    memset(&b, 0, sizeof b);
    b.d = b.dmin = H_ONE;
    b.scales[0] = 0x42;
    b.scales[4] = 0x01;
    b.scales[8] = 0x01;
    b.qs[0] = 0x05;
    b.qs[64] = 0x0F;
    b.qh[0] = 0x11; /* bit 0: fifth bit of value 0; bit 4: of value 128 (chunk 2, low half) */
    /* value 0: 2 * (5 + 16) - 1 = 41; value 128: 17 * (15 + 16) = 527. */
    deq(L1_TYPE_Q5_K, &b, y, 256);
    assert_true(y[0] == 41.0f && y[1] == -1.0f && y[128] == 527.0f && y[32] == 0.0f);
}

static void q6_k_decode_hand_values(void **state) {
    (void)state;
    static float y[256];
    l1__block_q6_K a;
    memset(&a, 0, sizeof a);
    a.d = H_HALF;
    a.scales[0] = 4;
    a.scales[8] = -2;
    a.ql[0] = 0x21; /* value 0 low nibble 1; value 64 low nibble 2 */
    a.qh[0] = 0x02; /* value 0 high bits 2 (bits 0-1); value 64 high bits 0 (bits 4-5) */
    /* value 0: code (1 | 2 << 4) - 32 = 1 -> 0.5 * 4 * 1 = 2;
     * value 1: code 0 - 32 -> 0.5 * 4 * -32 = -64;
     * value 64: sub-block 4 has scale 0 -> 0;
     * value 128: code -32, sub-block 8 scale -2 -> 0.5 * -2 * -32 = 32. */
    deq(L1_TYPE_Q6_K, &a, y, 256);
    assert_true(y[0] == 2.0f && y[1] == -64.0f && y[64] == 0.0f && y[128] == 32.0f);
}

static void iq4_formats_decode_hand_values(void **state) {
    (void)state;
    static float y[256];
    /* Codebook entries used: [0] = -127, [8] = 1, [9] = 13, [15] = 113. */
    l1__block_iq4_nl a;
    a.d = H_ONE;
    memset(a.qs, 0x88, sizeof a.qs);
    a.qs[0] = 0xF0; /* value 0: cb[0] = -127; value 16: cb[15] = 113 */
    a.qs[1] = 0x98; /* value 1: cb[8] = 1; value 17: cb[9] = 13 */
    deq(L1_TYPE_IQ4_NL, &a, y, 32);
    assert_true(y[0] == -127.0f && y[16] == 113.0f && y[1] == 1.0f && y[17] == 13.0f && y[2] == 1.0f);

    l1__block_iq4_xs b;
    memset(&b, 0, sizeof b);
    b.d = H_HALF;
    /* Sub-block 0's 6-bit scale 34 (-> 2): low nibble 2 in scales_l[0],
     * high bits 2 in scales_h bits 0-1; others 32 (-> 0): scales_h = 0xAAAA. */
    b.scales_l[0] = 0x02;
    b.scales_h = 0xAAAA;
    b.qs[0] = 0x0F; /* value 0: 0.5 * 2 * 113 = 113; value 16: 0.5 * 2 * -127 = -127 */
    deq(L1_TYPE_IQ4_XS, &b, y, 256);
    assert_true(y[0] == 113.0f && y[16] == -127.0f && y[1] == -127.0f && y[32] == 0.0f);
}

/* ---- quantizer rounding rules ---------------------------------------------------------- */

/* A block with extreme 127 has scale 1, so values land on the codes
 * unscaled: 2.5 and -2.5 are ties.  The run-time activation quantizer
 * rounds ties to even (2, -2); the file quantizer rounds them away from
 * zero (3, -3); 3.5 rounds to 4 either way. */
static void q8_0_quantizers_round_ties_as_specified(void **state) {
    (void)state;
    float x[32] = {127.0f, 2.5f, -2.5f, 3.5f, 0.4f};
    l1__block_q8_0 a, b;
    traits(L1_TYPE_Q8_0)->from_float(x, &a, 32);
    traits(L1_TYPE_Q8_0)->from_float_ref(x, &b, 32);
    assert_int_equal(a.d, H_ONE);
    assert_int_equal(b.d, H_ONE);
    assert_int_equal(a.qs[0], 127);
    assert_int_equal(a.qs[1], 2);
    assert_int_equal(a.qs[2], -2);
    assert_int_equal(a.qs[3], 4);
    assert_int_equal(a.qs[4], 0);
    assert_int_equal(b.qs[1], 3);
    assert_int_equal(b.qs[2], -3);
    assert_int_equal(b.qs[3], 4);
    /* Q8_1 adds s = d * sum(q) = 1 * (127 + 2 - 2 + 4) = 131. */
    l1__block_q8_1 c;
    traits(L1_TYPE_Q8_1)->from_float(x, &c, 32);
    assert_true(l1__f16_to_f32(c.s) == 131.0f);
}

/* Q8_K maps the extreme value to -127: x = -254 gives scale 2 (d = 1 /
 * (-127 / -254)), so 5 -> 2.5 -> 2 (ties to even), and its group sums
 * add the codes of each 16 values. */
static void q8_k_quantizer_maps_the_extreme_to_minus_127(void **state) {
    (void)state;
    float x[256] = {-254.0f, 5.0f, 7.0f};
    l1__block_q8_K b;
    traits(L1_TYPE_Q8_K)->from_float(x, &b, 256);
    assert_true(b.d == 2.0f);
    assert_int_equal(b.qs[0], -127);
    assert_int_equal(b.qs[1], 2);
    assert_int_equal(b.qs[2], 4); /* 3.5 -> 4 */
    assert_int_equal(b.bsums[0], -127 + 2 + 4);
    assert_int_equal(b.bsums[1], 0);
    memset(x, 0, sizeof x);
    traits(L1_TYPE_Q8_K)->from_float(x, &b, 256);
    assert_true(b.d == 0.0f && b.qs[7] == 0 && b.bsums[3] == 0);
}

/* Q4_0 maps the extreme value onto code 0 exactly: x = -8 gives d = 1 and
 * code 0 (value -8); 7 gives code 15; 0.5 -> 9 (halves round up). */
static void q4_0_quantizer_maps_the_extreme_exactly(void **state) {
    (void)state;
    float x[32] = {-8.0f, 7.0f, 0.5f, -0.5f};
    float y[32];
    l1__block_q4_0 b;
    traits(L1_TYPE_Q4_0)->from_float(x, &b, 32);
    assert_int_equal(b.d, H_ONE); /* d = extreme / -8 = -8 / -8 = 1 */
    deq(L1_TYPE_Q4_0, &b, y, 32);
    assert_true(y[0] == -8.0f && y[1] == 7.0f);
}

/* ---- quantize -> dequantize error ---------------------------------------------------------- */

static uint64_t g_rng = 12345;
static double rnd_gauss(void) {
    double u[2];
    for (int k = 0; k < 2; k++) {
        g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
        u[k] = ((double)(g_rng >> 11) + 0.5) * 0x1.0p-53;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* Upper bounds on RMSE / sigma for Gaussian data.  A uniform quantizer of
 * step D has RMSE about D / sqrt(12); the step is the block's range over the
 * number of levels (the extreme of 16 / 32 / 256 Gaussian values is about
 * 2.1 / 2.5 / 3 sigma).  Each bound is 1.5x that estimate:
 *   Q8_0 2.5/127, Q4_0 2.5/8, Q4_1 5/15, Q5_0 2.5/16, Q5_1 5/31, Q8_K 3/127,
 *   Q2_K 4.2/3, Q3_K 2.1/4, Q4_K 5/15, Q5_K 5/31, Q6_K 2.1/32,
 *   F16 / BF16: relative rounding 2^-11 / 2^-8 of values of size ~1. */
static void quantize_dequantize_error_is_within_the_step_bound(void **state) {
    (void)state;
    static const struct {
        uint32_t type;
        double step; /* in sigmas */
    } cases[] = {
        {L1_TYPE_Q8_0, 2.5 / 127}, {L1_TYPE_Q4_0, 2.5 / 8},  {L1_TYPE_Q4_1, 5.0 / 15},
        {L1_TYPE_Q5_0, 2.5 / 16},  {L1_TYPE_Q5_1, 5.0 / 31}, {L1_TYPE_Q8_K, 3.0 / 127},
        {L1_TYPE_Q2_K, 4.2 / 3},   {L1_TYPE_Q3_K, 2.1 / 4},  {L1_TYPE_Q4_K, 5.0 / 15},
        {L1_TYPE_Q5_K, 5.0 / 31},  {L1_TYPE_Q6_K, 2.1 / 32}, {L1_TYPE_F16, 0x1p-10},
        {L1_TYPE_BF16, 0x1p-7},
    };
    enum { N = 256 * 64 };
    static float x[N], y[N];
    static uint8_t q[N * 4];
    for (size_t c = 0; c < L1_ARRAY_LEN(cases); c++) {
        const l1__quant_traits *t = traits(cases[c].type);
        for (int j = 0; j < N; j++) x[j] = (float)rnd_gauss();
        for (int pass = 0; pass < 2; pass++) {
            void (*fn)(const float *, void *, int64_t) = pass ? t->from_float_ref : t->from_float;
            assert_non_null(fn);
            fn(x, q, N);
            t->to_float(q, y, N);
            double se = 0.0;
            for (int j = 0; j < N; j++) se += ((double)x[j] - y[j]) * ((double)x[j] - y[j]);
            const double rmse = sqrt(se / N), bound = 1.5 * cases[c].step / sqrt(12.0);
            if (!(rmse <= bound)) fail_msg("%s: rmse %.5f > bound %.5f", t->name, rmse, bound);
        }
    }
}

static void quantizers_keep_zero_blocks_zero(void **state) {
    (void)state;
    static const uint32_t types[] = {L1_TYPE_Q4_0, L1_TYPE_Q4_1, L1_TYPE_Q5_0, L1_TYPE_Q5_1, L1_TYPE_Q8_0,
                                     L1_TYPE_Q2_K, L1_TYPE_Q3_K, L1_TYPE_Q4_K, L1_TYPE_Q5_K, L1_TYPE_Q6_K};
    static float x[256], y[256];
    static uint8_t q[2048];
    for (size_t i = 0; i < L1_ARRAY_LEN(types); i++) {
        traits(types[i])->from_float_ref(x, q, 256);
        traits(types[i])->to_float(q, y, 256);
        for (int j = 0; j < 256; j++) assert_true(y[j] == 0.0f);
    }
}

/* ---- dot products ------------------------------------------------------------------ */

/* l1's dot products sum exact integer products per block and round only
 * when scaling block sums: within a few f32 roundings (2^-24 each) of each
 * block's magnitude.  RTOL covers 4096-term rows with margin; ATOL covers
 * all-zero rows. */
#define DOT_RTOL 1e-5
#define DOT_ATOL 1e-6

static void vec_dot_matches_double_dot_of_dequantized_values(void **state) {
    (void)state;
    static const uint32_t types[] = {L1_TYPE_F32,  L1_TYPE_F16,  L1_TYPE_BF16, L1_TYPE_Q4_0, L1_TYPE_Q4_1,
                                     L1_TYPE_Q5_0, L1_TYPE_Q5_1, L1_TYPE_Q8_0, L1_TYPE_Q2_K, L1_TYPE_Q3_K,
                                     L1_TYPE_Q4_K, L1_TYPE_Q5_K, L1_TYPE_Q6_K, L1_TYPE_Q8_K};
    enum { N = 4096 };
    static float w[N], x[N], wd[N], xd[N];
    static uint8_t qw[N * 4], qx[N * 4];
    for (size_t i = 0; i < L1_ARRAY_LEN(types); i++) {
        const l1__quant_traits *t = traits(types[i]), *a = traits(t->vec_dot_type);
        for (int rep = 0; rep < 8; rep++) {
            for (int j = 0; j < N; j++) {
                w[j] = (float)(rnd_gauss() * 0.05);
                x[j] = (float)(rnd_gauss() * (rep + 1));
            }
            if (rep == 0) memset(x, 0, sizeof x);
            t->from_float_ref(w, qw, N);
            a->from_float(x, qx, N);
            t->to_float(qw, wd, N);
            a->to_float(qx, xd, N);
            double exact = 0.0, mag = 0.0;
            for (int j = 0; j < N; j++) {
                exact += (double)wd[j] * xd[j];
                mag += fabs((double)wd[j] * xd[j]);
            }
            double tol = DOT_ATOL + DOT_RTOL * mag;
            if (t->vec_dot_type == L1_TYPE_Q8_1) {
                /* Q8_1's block sum s is stored as f16: half an f16 ulp
                 * (2^-11 relative) of |m * s| per block. */
                const l1__block_q4_1 *b4 = (const void *)qw;
                const l1__block_q5_1 *b5 = (const void *)qw;
                const l1__block_q8_1 *b8 = (const void *)qx;
                for (int b = 0; b < N / 32; b++) {
                    const uint16_t m = t->type == L1_TYPE_Q4_1 ? b4[b].m : b5[b].m;
                    tol += fabs((double)l1__f16_to_f32(m) * l1__f16_to_f32(b8[b].s)) * 0x1.0p-11;
                }
            }
            float s = 0.0f;
            t->vec_dot(N, &s, qw, qx);
            if (!(fabs((double)s - exact) <= tol))
                fail_msg("%s x %s rep %d: %.9g vs %.9g (tol %.3g)", t->name, a->name, rep, s, exact, tol);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(block_sizes_match_the_file_format_and_type_table),
        cmocka_unit_test(vec_dot_types_pair_as_the_reference_cpu_backend),
        cmocka_unit_test(unsupported_types_have_no_traits),
        cmocka_unit_test(float_formats_decode_hand_values),
        cmocka_unit_test(q4_0_and_q4_1_decode_hand_values),
        cmocka_unit_test(q5_0_and_q5_1_decode_hand_values),
        cmocka_unit_test(q8_0_and_q8_k_decode_hand_values),
        cmocka_unit_test(q2_k_and_q3_k_decode_hand_values),
        cmocka_unit_test(q4_k_and_q5_k_decode_hand_values),
        cmocka_unit_test(q6_k_decode_hand_values),
        cmocka_unit_test(iq4_formats_decode_hand_values),
        cmocka_unit_test(q8_0_quantizers_round_ties_as_specified),
        cmocka_unit_test(q8_k_quantizer_maps_the_extreme_to_minus_127),
        cmocka_unit_test(q4_0_quantizer_maps_the_extreme_exactly),
        cmocka_unit_test(quantize_dequantize_error_is_within_the_step_bound),
        cmocka_unit_test(quantizers_keep_zero_blocks_zero),
        cmocka_unit_test(vec_dot_matches_double_dot_of_dequantized_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
