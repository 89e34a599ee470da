/*
 * quant_k.c - the K formats (256-value super-blocks with per-sub-block
 * scales): dequantization of Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, the activation
 * format Q8_K and its quantizer, and the scalar dot products of each K
 * weight format with Q8_K.  The weight quantizers live in quantize_k.c.
 *
 * Dequantization repeats the reference arithmetic operation by operation
 * (sub-block scale formed in f32 first, then times the code, then minus the
 * sub-block min) so the output is bit-identical.  Dot products form exact
 * integer sums per super-block (codes x activations, weighted by the integer
 * sub-block scales; the mins through Q8_K's group sums) and apply the f32
 * scales once per super-block.
 */
#include <math.h>
#include <string.h>

#include "base/fp16.h"
#include "quant/quant_impl.h"

/* 2-bit code of value v (< 256) in the Q2_K/Q3_K layout. */
static inline int k2_code(const uint8_t *qs, int v) {
    return (qs[32 * (v / 128) + v % 32] >> (2 * ((v / 32) % 4))) & 3;
}

/* Signed 6-bit scale (already minus 32) of sub-block k (< 16) of Q3_K. */
static inline int q3_scale(const uint8_t *s, int k) {
    int lo = k < 8 ? (s[k] & 0xF) : (s[k - 8] >> 4);
    int hi = (s[8 + k % 4] >> (2 * (k / 4))) & 3;
    return (lo | (hi << 4)) - 32;
}

/* Signed code of value v of a Q3_K block: 2 low bits minus 4 unless the
 * high bit is set. */
static inline int q3_code(const l1__block_q3_K *b, int v) {
    int hbit = (b->hmask[v % 32] >> (v / 32)) & 1;
    return k2_code(b->qs, v) - (hbit ? 0 : 4);
}

/* 4-bit code of value v of a Q4_K/Q5_K block (without Q5_K's fifth bit). */
static inline int k4_code(const uint8_t *qs, int v) {
    const uint8_t byte = qs[32 * (v / 64) + v % 32];
    return (v / 32) % 2 ? byte >> 4 : byte & 0xF;
}

static inline int q5k_code(const l1__block_q5_K *b, int v) {
    return k4_code(b->qs, v) | (((b->qh[v % 32] >> (v / 32)) & 1) << 4);
}

/* Signed 6-bit code of value v of a Q6_K block. */
static inline int q6_code(const l1__block_q6_K *b, int v) {
    const int h = v / 128, r = v % 128, quarter = r / 32, l = r % 32;
    const uint8_t lbyte = b->ql[64 * h + 32 * (quarter % 2) + l];
    const int lo = quarter < 2 ? lbyte & 0xF : lbyte >> 4;
    const int hi = (b->qh[32 * h + l] >> (2 * quarter)) & 3;
    return (lo | (hi << 4)) - 32;
}

/* ---- dequantization ------------------------------------------------------------ */

void l1__dequant_q2_K(const void *vx, float *y, int64_t n) {
    const l1__block_q2_K *x = vx;
    for (int64_t i = 0; i < n / L1_QK_K; i++, y += L1_QK_K) {
        const float d = l1__f16_to_f32(x[i].d), dmin = l1__f16_to_f32(x[i].dmin);
        for (int sub = 0; sub < 16; sub++) {
            const uint8_t sc = x[i].scales[sub];
            const float dl = d * (float)(sc & 0xF), ml = dmin * (float)(sc >> 4);
            for (int v = 16 * sub; v < 16 * sub + 16; v++) y[v] = dl * (float)k2_code(x[i].qs, v) - ml;
        }
    }
}

void l1__dequant_q3_K(const void *vx, float *y, int64_t n) {
    const l1__block_q3_K *x = vx;
    for (int64_t i = 0; i < n / L1_QK_K; i++, y += L1_QK_K) {
        const float d = l1__f16_to_f32(x[i].d);
        for (int sub = 0; sub < 16; sub++) {
            const float dl = d * (float)q3_scale(x[i].scales, sub);
            for (int v = 16 * sub; v < 16 * sub + 16; v++) y[v] = dl * (float)q3_code(&x[i], v);
        }
    }
}

void l1__dequant_q4_K(const void *vx, float *y, int64_t n) {
    const l1__block_q4_K *x = vx;
    for (int64_t i = 0; i < n / L1_QK_K; i++, y += L1_QK_K) {
        const float d = l1__f16_to_f32(x[i].d), dmin = l1__f16_to_f32(x[i].dmin);
        for (int sub = 0; sub < 8; sub++) {
            uint8_t sc, m;
            l1__k4_scale_min(sub, x[i].scales, &sc, &m);
            const float dl = d * (float)sc, ml = dmin * (float)m;
            for (int v = 32 * sub; v < 32 * sub + 32; v++) y[v] = dl * (float)k4_code(x[i].qs, v) - ml;
        }
    }
}

void l1__dequant_q5_K(const void *vx, float *y, int64_t n) {
    const l1__block_q5_K *x = vx;
    for (int64_t i = 0; i < n / L1_QK_K; i++, y += L1_QK_K) {
        const float d = l1__f16_to_f32(x[i].d), dmin = l1__f16_to_f32(x[i].dmin);
        for (int sub = 0; sub < 8; sub++) {
            uint8_t sc, m;
            l1__k4_scale_min(sub, x[i].scales, &sc, &m);
            const float dl = d * (float)sc, ml = dmin * (float)m;
            for (int v = 32 * sub; v < 32 * sub + 32; v++) y[v] = dl * (float)q5k_code(&x[i], v) - ml;
        }
    }
}

void l1__dequant_q6_K(const void *vx, float *y, int64_t n) {
    const l1__block_q6_K *x = vx;
    for (int64_t i = 0; i < n / L1_QK_K; i++, y += L1_QK_K) {
        const float d = l1__f16_to_f32(x[i].d);
        for (int v = 0; v < L1_QK_K; v++)
            y[v] = d * (float)x[i].scales[v / 16] * (float)q6_code(&x[i], v);
    }
}

void l1__dequant_q8_K(const void *vx, float *y, int64_t n) {
    const l1__block_q8_K *x = vx;
    for (int64_t i = 0; i < n / L1_QK_K; i++, y += L1_QK_K)
        for (int v = 0; v < L1_QK_K; v++) y[v] = x[i].d * (float)x[i].qs[v];
}

/* ---- Q8_K quantizer ------------------------------------------------------------- */

/* Scale = extreme value / -127 (so the extreme maps to -127 and the codes
 * stay in [-127, 127] up to rounding of the reciprocal), ties to even.  An
 * all-zero block gets d = 0 and zero codes and group sums. */
void l1__quantize_q8_K(const float *x, void *vy, int64_t n) {
    l1__block_q8_K *y = vy;
    for (int64_t i = 0; i < n / L1_QK_K; i++, x += L1_QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int v = 0; v < L1_QK_K; v++) {
            if (fabsf(x[v]) > amax) {
                amax = fabsf(x[v]);
                max = x[v];
            }
        }
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int v = 0; v < L1_QK_K; v++) {
            int q = l1__nearest_int(iscale * x[v]);
            y[i].qs[v] = (int8_t)(q > 127 ? 127 : q);
        }
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int v = 16 * g; v < 16 * g + 16; v++) s += y[i].qs[v];
            y[i].bsums[g] = (int16_t)s;
        }
        y[i].d = 1.0f / iscale;
    }
}

/* ---- dot products with Q8_K ---------------------------------------------------------- */


void l1__vec_dot_q2_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q2_K *x = vx;
    const l1__block_q8_K *q8 = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int32_t isum = 0, msum = 0;
        for (int sub = 0; sub < 16; sub++) {
            int32_t t = 0;
            for (int v = 16 * sub; v < 16 * sub + 16; v++) t += k2_code(x[i].qs, v) * q8[i].qs[v];
            isum += (x[i].scales[sub] & 0xF) * t;
            msum += (x[i].scales[sub] >> 4) * q8[i].bsums[sub];
        }
        const float dall = q8[i].d * l1__f16_to_f32(x[i].d);
        const float dmin = q8[i].d * l1__f16_to_f32(x[i].dmin);
        sum += dall * (float)isum - dmin * (float)msum;
    }
    *s = sum;
}

void l1__vec_dot_q3_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q3_K *x = vx;
    const l1__block_q8_K *q8 = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int32_t isum = 0;
        for (int sub = 0; sub < 16; sub++) {
            int32_t t = 0;
            for (int v = 16 * sub; v < 16 * sub + 16; v++) t += q3_code(&x[i], v) * q8[i].qs[v];
            isum += q3_scale(x[i].scales, sub) * t;
        }
        sum += l1__f16_to_f32(x[i].d) * q8[i].d * (float)isum;
    }
    *s = sum;
}

void l1__vec_dot_q4_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q4_K *x = vx;
    const l1__block_q8_K *q8 = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int32_t isum = 0, msum = 0;
        for (int sub = 0; sub < 8; sub++) {
            uint8_t sc, m;
            l1__k4_scale_min(sub, x[i].scales, &sc, &m);
            int32_t t = 0;
            for (int v = 32 * sub; v < 32 * sub + 32; v++) t += k4_code(x[i].qs, v) * q8[i].qs[v];
            isum += sc * t;
            msum += m * (q8[i].bsums[2 * sub] + q8[i].bsums[2 * sub + 1]);
        }
        const float dall = q8[i].d * l1__f16_to_f32(x[i].d);
        const float dmin = q8[i].d * l1__f16_to_f32(x[i].dmin);
        sum += dall * (float)isum - dmin * (float)msum;
    }
    *s = sum;
}

void l1__vec_dot_q5_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q5_K *x = vx;
    const l1__block_q8_K *q8 = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int32_t isum = 0, msum = 0;
        for (int sub = 0; sub < 8; sub++) {
            uint8_t sc, m;
            l1__k4_scale_min(sub, x[i].scales, &sc, &m);
            int32_t t = 0;
            for (int v = 32 * sub; v < 32 * sub + 32; v++) t += q5k_code(&x[i], v) * q8[i].qs[v];
            isum += sc * t;
            msum += m * (q8[i].bsums[2 * sub] + q8[i].bsums[2 * sub + 1]);
        }
        const float dall = q8[i].d * l1__f16_to_f32(x[i].d);
        const float dmin = q8[i].d * l1__f16_to_f32(x[i].dmin);
        sum += dall * (float)isum - dmin * (float)msum;
    }
    *s = sum;
}

void l1__vec_dot_q6_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q6_K *x = vx;
    const l1__block_q8_K *q8 = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int32_t isum = 0;
        for (int sub = 0; sub < 16; sub++) {
            int32_t t = 0;
            for (int v = 16 * sub; v < 16 * sub + 16; v++) t += q6_code(&x[i], v) * q8[i].qs[v];
            isum += x[i].scales[sub] * t;
        }
        sum += l1__f16_to_f32(x[i].d) * q8[i].d * (float)isum;
    }
    *s = sum;
}

void l1__vec_dot_q8_K(int64_t n, float *s, const void *vx, const void *vy) {
    const l1__block_q8_K *x = vx, *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        int32_t isum = 0;
        for (int v = 0; v < L1_QK_K; v++) isum += x[i].qs[v] * y[i].qs[v];
        sum += x[i].d * y[i].d * (float)isum;
    }
    *s = sum;
}
