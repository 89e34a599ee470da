/*
 * quant_blocks.h - the byte layout of every block-quantized format l1 reads,
 * exactly as GGUF stores it (little-endian, no padding).  Each struct is one
 * block; a row of n values is n / block_size consecutive blocks.
 *
 * f16 fields are raw IEEE binary16 bits (convert with fp16.h).  The layouts
 * are fixed by the file format, so each size is pinned by a static assert:
 * a compiler that padded one of these structs would misread every file.
 */
#ifndef L1_QUANT_BLOCKS_H
#define L1_QUANT_BLOCKS_H

#include <stdint.h>

#define L1_QK32 32   /* values per block of the 32-value formats */
#define L1_QK_K 256  /* values per super-block of the K formats */

/* Q4_0: value = d * (q - 8), q a 4-bit code.  Byte j holds code j in its
 * low nibble and code j + 16 in its high nibble. */
typedef struct {
    uint16_t d;       /* f16 scale */
    uint8_t qs[16];   /* 32 nibbles */
} l1__block_q4_0;
_Static_assert(sizeof(l1__block_q4_0) == 18, "Q4_0 block is 18 bytes");

/* Q4_1: value = d * q + m, nibble order as Q4_0. */
typedef struct {
    uint16_t d, m;    /* f16 scale and offset (the block minimum) */
    uint8_t qs[16];
} l1__block_q4_1;
_Static_assert(sizeof(l1__block_q4_1) == 20, "Q4_1 block is 20 bytes");

/* Q5_0: value = d * (q - 16), q a 5-bit code: low 4 bits as in Q4_0, bit 4
 * of code j is bit j of the little-endian u32 qh. */
typedef struct {
    uint16_t d;       /* f16 scale */
    uint8_t qh[4];    /* fifth bits, code j at bit j */
    uint8_t qs[16];   /* low nibbles */
} l1__block_q5_0;
_Static_assert(sizeof(l1__block_q5_0) == 22, "Q5_0 block is 22 bytes");

/* Q5_1: value = d * q + m, codes as Q5_0. */
typedef struct {
    uint16_t d, m;    /* f16 scale and offset */
    uint8_t qh[4];
    uint8_t qs[16];
} l1__block_q5_1;
_Static_assert(sizeof(l1__block_q5_1) == 24, "Q5_1 block is 24 bytes");

/* Q8_0: value = d * q, q a signed byte. */
typedef struct {
    uint16_t d;       /* f16 scale */
    int8_t qs[32];
} l1__block_q8_0;
_Static_assert(sizeof(l1__block_q8_0) == 34, "Q8_0 block is 34 bytes");

/* Q8_1: as Q8_0 plus s = d * sum(q) (the activation side of Q4_1/Q5_1 dot
 * products, which need the sum to apply the weight's offset). */
typedef struct {
    uint16_t d;       /* f16 scale */
    uint16_t s;       /* f16 of d * sum of qs */
    int8_t qs[32];
} l1__block_q8_1;
_Static_assert(sizeof(l1__block_q8_1) == 36, "Q8_1 block is 36 bytes");

/* Q2_K: 16 sub-blocks of 16 values; value = d * sc * q - dmin * m, with
 * sc/m the low/high nibble of scales[sub] and q a 2-bit code.  Codes: for
 * half h (128 values) and shift s in 0,2,4,6, qs[32h + l] >> s holds value
 * 128h + 32(s/2) + l, l < 32. */
typedef struct {
    uint8_t scales[16]; /* low nibble scale, high nibble min, per sub-block */
    uint8_t qs[64];     /* 2-bit codes */
    uint16_t d;         /* f16 super-scale of the scales */
    uint16_t dmin;      /* f16 super-scale of the mins */
} l1__block_q2_K;
_Static_assert(sizeof(l1__block_q2_K) == 84, "Q2_K block is 84 bytes");

/* Q3_K: 16 sub-blocks of 16; value = d * (sc - 32) * (q - (hbit ? 0 : 4)),
 * q the 2-bit code laid out as Q2_K, hbit bit (value index / 32) of
 * hmask[value index % 32], sc a 6-bit scale: low 4 bits from scales[0..7]
 * (sub j: byte j % 8, nibble j / 8), high 2 bits from scales[8..11]
 * (sub j: byte 8 + j % 4, bits 2 * (j / 4)). */
typedef struct {
    uint8_t hmask[32];  /* high bits of the codes */
    uint8_t qs[64];     /* low 2 bits of the codes */
    uint8_t scales[12]; /* 16 packed 6-bit scales */
    uint16_t d;         /* f16 super-scale */
} l1__block_q3_K;
_Static_assert(sizeof(l1__block_q3_K) == 110, "Q3_K block is 110 bytes");

/* Q4_K: 8 sub-blocks of 32; value = d * sc * q - dmin * m, sc and m 6-bit
 * (packing: see l1__k4_scale_min in quant_k.c).  qs[32c + l] holds value
 * 64c + l in its low nibble and 64c + 32 + l in its high nibble. */
typedef struct {
    uint16_t d;         /* f16 super-scale of the scales */
    uint16_t dmin;      /* f16 super-scale of the mins */
    uint8_t scales[12]; /* 8 scales and 8 mins, 6 bits each */
    uint8_t qs[128];
} l1__block_q4_K;
_Static_assert(sizeof(l1__block_q4_K) == 144, "Q4_K block is 144 bytes");

/* Q5_K: as Q4_K with a fifth bit: value 64c + l takes bit 2c of qh[l],
 * value 64c + 32 + l bit 2c + 1. */
typedef struct {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[12];
    uint8_t qh[32];     /* fifth bits */
    uint8_t qs[128];    /* low nibbles */
} l1__block_q5_K;
_Static_assert(sizeof(l1__block_q5_K) == 176, "Q5_K block is 176 bytes");

/* Q6_K: 16 sub-blocks of 16; value = d * scales[sub] * (q - 32), q 6-bit:
 * in half h, for l < 32: value 128h + l     = ql[64h + l] low  | qh[32h + l] bits 0-1,
 *                        value 128h + 32 + l = ql[64h + 32 + l] low | bits 2-3,
 *                        value 128h + 64 + l = ql[64h + l] high | bits 4-5,
 *                        value 128h + 96 + l = ql[64h + 32 + l] high | bits 6-7. */
typedef struct {
    uint8_t ql[128];    /* low 4 bits */
    uint8_t qh[64];     /* high 2 bits */
    int8_t scales[16];  /* signed 8-bit sub-block scales */
    uint16_t d;         /* f16 super-scale */
} l1__block_q6_K;
_Static_assert(sizeof(l1__block_q6_K) == 210, "Q6_K block is 210 bytes");

/* Q8_K: the activation type of the K formats; value = d * q. */
typedef struct {
    float d;            /* f32 scale */
    int8_t qs[256];
    int16_t bsums[16];  /* sum of each group of 16 qs */
} l1__block_q8_K;
_Static_assert(sizeof(l1__block_q8_K) == 292, "Q8_K block is 292 bytes");

/* IQ4_NL: Q4_0's layout (f16 scale, 32 nibbles in Q4_0's order), each
 * nibble an index into the codebook: value = d * codebook[q]. */
typedef l1__block_q4_0 l1__block_iq4_nl;

/* IQ4_XS: 8 sub-blocks of 32; value = d * (ls - 32) * codebook[q], ls 6-bit:
 * low 4 bits = nibble (j % 2) of scales_l[j / 2], high 2 bits = bits 2j of
 * scales_h.  Sub-block j's codes are qs[16j..16j+16) ordered as Q4_0. */
typedef struct {
    uint16_t d;         /* f16 super-scale */
    uint16_t scales_h;  /* high 2 bits of the 8 scales */
    uint8_t scales_l[4];/* low 4 bits of the 8 scales */
    uint8_t qs[128];
} l1__block_iq4_xs;
_Static_assert(sizeof(l1__block_iq4_xs) == 136, "IQ4_XS block is 136 bytes");

#endif /* L1_QUANT_BLOCKS_H */
