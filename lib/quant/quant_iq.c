/*
 * quant_iq.c - the non-linear 4-bit formats IQ4_NL (32-value blocks, one
 * f16 scale) and IQ4_XS (256-value super-blocks with 6-bit sub-block
 * scales): dequantization and scalar dot products with their activation
 * types (Q8_0 and Q8_K, as the reference CPU backend pairs them).
 *
 * Each 4-bit code indexes a fixed 16-entry codebook of signed integers that
 * is part of the file format; dequantization multiplies the f32 scale by the
 * codebook value, as the reference does, so it is bit-identical.
 */
#include "base/fp16.h"
#include "quant/quant_impl.h"

const int8_t l1__iq4nl_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                     1,    13,   25,  38,  53,  69,  89,  113};

/* Codebook value of code j (< 32) of a 16-byte Q4_0-ordered nibble array. */
static inline int iq4_value(const uint8_t *qs, int j) {
    return l1__iq4nl_values[j < 16 ? qs[j] & 0xF : qs[j - 16] >> 4];
}

static void unpack_iq4_nl(const void *x, int64_t i, l1__unpacked32 *u) {
    const l1__block_iq4_nl *b = (const l1__block_iq4_nl *)x + i;
    for (int j = 0; j < 32; j++) u->c[j] = iq4_value(b->qs, j);
    u->d = l1__f16_to_f32(b->d), u->m = 0.0f, u->has_m = false;
}

L1__FORMAT32(iq4_nl, L1__SCALES_FIRST, false)

/* Each 32-value sub-block's scale is repeated for its two 16-value halves. */
static void unpack_iq4_xs(const void *x, int64_t i, l1__unpackedK *u) {
    const l1__block_iq4_xs *b = (const l1__block_iq4_xs *)x + i;
    for (int sub = 0; sub < 8; sub++) {
        for (int j = 0; j < 32; j++) u->c[32 * sub + j] = iq4_value(b->qs + 16 * sub, j);
        u->sc[2 * sub] = u->sc[2 * sub + 1] = l1__iq4xs_scale(b, sub);
        u->m[2 * sub] = u->m[2 * sub + 1] = 0;
    }
    u->d = l1__f16_to_f32(b->d), u->dmin = 0.0f, u->has_min = false;
}

L1__FORMATK(iq4_xs)
