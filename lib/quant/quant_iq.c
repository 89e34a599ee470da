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

static inline int iq4xs_scale(const l1__block_iq4_xs *b, int sub) {
    const int lo = (b->scales_l[sub / 2] >> (4 * (sub % 2))) & 0xF;
    const int hi = (b->scales_h >> (2 * sub)) & 3;
    return (lo | (hi << 4)) - 32;
}

void l1__dequant_iq4_nl(const void *vx, float *y, int64_t n) {
    const l1__block_iq4_nl *x = vx;
    for (int64_t i = 0; i < n / L1_QK32; i++, y += L1_QK32) {
        const float d = l1__f16_to_f32(x[i].d);
        for (int j = 0; j < 32; j++) y[j] = d * (float)iq4_value(x[i].qs, j);
    }
}

void l1__vec_dot_iq4_nl(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_iq4_nl *x = vx;
    const l1__block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        int32_t si = 0;
        for (int j = 0; j < 32; j++) si += iq4_value(x[i].qs, j) * y[i].qs[j];
        sum += l1__f16_to_f32(x[i].d) * l1__f16_to_f32(y[i].d) * (float)si;
    }
    *s = sum;
}

void l1__dequant_iq4_xs(const void *vx, float *y, int64_t n) {
    const l1__block_iq4_xs *x = vx;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        const float d = l1__f16_to_f32(x[i].d);
        for (int sub = 0; sub < 8; sub++, y += 32) {
            const float dl = d * (float)iq4xs_scale(&x[i], sub);
            for (int j = 0; j < 32; j++) y[j] = dl * (float)iq4_value(x[i].qs + 16 * sub, j);
        }
    }
}

void l1__vec_dot_iq4_xs(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_iq4_xs *x = vx;
    const l1__block_q8_K *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int32_t isum = 0;
        for (int sub = 0; sub < 8; sub++) {
            int32_t t = 0;
            for (int j = 0; j < 32; j++) t += iq4_value(x[i].qs + 16 * sub, j) * y[i].qs[32 * sub + j];
            isum += iq4xs_scale(&x[i], sub) * t;
        }
        sum += l1__f16_to_f32(x[i].d) * y[i].d * (float)isum;
    }
    *s = sum;
}
