/*
 * repack.h - weights rearranged (on the first evaluation) into groups of 8 rows ("x8"), for
 * matrix products whose vector lanes are rows.
 *
 * In the plain layout one weight row's block fills a vector, so every
 * (row, token, block) product ends in a horizontal reduction and its own
 * scaling.  In the x8 layout the same 4 bytes of 8 consecutive rows sit
 * side by side: one integer multiply-accumulate against 4 activation bytes
 * broadcast to all lanes advances 8 rows at once, each lane holding one
 * row's exact integer sum, and a block's scaling is one convert and one
 * FMA for 8 rows.  Activations are used as they are (Q8_0 / Q8_K).
 *
 * Group layout (blocks of the group in order, each group-block contiguous):
 *   Q4_0: u16 d[8]; u8 qs[4][8][4]        vector m, row r: row r's qs[4m .. 4m+3]
 *   Q8_0: u16 d[8]; u8 qs[8][8][4]        same; on x86 each byte xor 0x80 (code
 *         + 128, for VNNI's u8 x s8 products; AVX2 flips it back to take
 *         the signed codes' magnitudes), elsewhere the codes as they are
 *         (sdot multiplies s8 x s8): L1__X8_Q8_FLIP
 *   Q4_K: u16 d[8], dmin[8]; u8 sc[8][8], mn[8][8] (sub-block j, row r: 6-bit
 *         scale and min); u8 qs[4][8][8][4] (chunk c, vector m, row r:
 *         row r's qs[32c + 4m .. 32c + 4m + 3])
 *   Q6_K: u16 d[8]; i8 sc[16][8] (sub-block, row); u8 ql[2][16][8][4] (half
 *         h, vector m, row r: row r's ql[64h + 4m ..]); u8 qh[2][8][8][4]
 *         (half h, vector m, row r: row r's qh[32h + 4m ..])
 *
 * What a packed product computes (the "x8 dot", bit for bit in every tier
 * that has a kernel for it): for each row, over the blocks b in order,
 *   Q4_0/Q8_0: s = fmaf((float)isum_b, f16(d_b) * f16(dy_b), s)
 *   Q4_K:      s = fmaf((float)isum_b, f16(d_b) * dy_b, s);
 *              s = fmaf((float)msum_b, -(f16(dmin_b) * dy_b), s)
 *   Q6_K:      s = fmaf((float)isum_b, f16(d_b) * dy_b, s)
 * from s = 0, where isum_b is the exact integer block sum (sub-block scales
 * applied: sum_j sc_j * sum_i code_i * a_i, codes with their offsets) and
 * msum_b = sum_j m_j * (sum of the activation codes of sub-block j).
 * l1__x8_dot_ref computes it in plain C from the original rows.
 */
#ifndef L1_REPACK_H
#define L1_REPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

#define L1__X8_ROWS 8

/* Runs F(NT) with an x8 kernel's token count nt (1..L1__X8_MAX_TOKENS) as
 * a compile-time constant, so each count gets its own unrolled body. */
#define L1__X8_BY_NT(nt, F)   \
    do {                      \
        switch (nt) {         \
        case 8: F(8); break;  \
        case 7: F(7); break;  \
        case 6: F(6); break;  \
        case 5: F(5); break;  \
        case 4: F(4); break;  \
        case 3: F(3); break;  \
        case 2: F(2); break;  \
        default: F(1); break; \
        }                     \
    } while (0)

/* What Q8_0 codes are xor'ed with in the x8 layout (see above). */
#if defined(__x86_64__) || defined(__i386__)
#  define L1__X8_Q8_FLIP 0x80
#else
#  define L1__X8_Q8_FLIP 0x00
#endif

/* Whether `type` has an x8 layout. */
bool l1__x8_type(uint32_t type);

/* Bytes of one group of 8 rows of n values (n a multiple of the block
 * size); 0 for a type without an x8 layout. */
size_t l1__x8_group_bytes(uint32_t type, int64_t n);

/* Packs rows [8g, 8g + 8) of W (row_bytes apart) into group g of out, for
 * g < n_rows / 8, with a tier's transpose (kernels.h; every tier's gives
 * the same bytes).  n_rows a multiple of 8. */
void l1__x8_pack(uint32_t type, const void *w, size_t row_bytes, int64_t n, int64_t n_rows, void *out,
                 l1__x8_transpose_fn transpose);

/* The scalar tier's x8 transpose (kernels.h contract). */
void l1__x8_transpose_scalar(uint8_t *dst, const uint8_t *const src[8], size_t off, uint8_t flip);

/* The x8 dot of one plain row with one activation row (Q8_0 for Q4_0 and
 * Q8_0 weights, Q8_K for Q4_K and Q6_K): the reference kernels are tested
 * against. */
float l1__x8_dot_ref(uint32_t type, int64_t n, const void *w_row, const void *y);

#endif /* L1_REPACK_H */
