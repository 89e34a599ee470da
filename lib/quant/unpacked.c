/*
 * unpacked.c - the scalar dequantization and dot-product loops of the block
 * formats, over blocks unpacked into plain integers by each format's file
 * (quant_legacy.c, quant_iq.c, quant_k.c).
 *
 * Dequantization repeats the reference's f32 operations value by value (the
 * scale times the code, plus or minus the offset), so its output is
 * bit-identical.  Dot products sum integer products exactly within a block,
 * then scale each block's sum in f32 in the reference's order (the scaling
 * kinds of quant_impl.h) and accumulate blocks in order.
 */
#include "base/fp16.h"
#include "quant/quant_impl.h"

void l1__dequant32(l1__unpack32_fn unpack, const void *x, float *y, int64_t n) {
    l1__unpacked32 u;
    for (int64_t i = 0; i < n / L1_QK32; i++, y += L1_QK32) {
        unpack(x, i, &u);
        /* Adding a zero offset would turn -0 into +0: formats without one add nothing. */
        for (int j = 0; j < L1_QK32; j++) y[j] = u.has_m ? (float)u.c[j] * u.d + u.m : (float)u.c[j] * u.d;
    }
}

int32_t l1__unpacked32_isum(const l1__unpacked32 *u, const int8_t *q) {
    int32_t si = 0;
    for (int j = 0; j < L1_QK32; j++) si += u->c[j] * q[j];
    return si;
}

float l1__dot32(l1__unpack32_fn unpack, l1__scaling32 how, bool y_q8_1, const void *x, const void *vy,
                int64_t n) {
    float sum = 0.0f;
    l1__unpacked32 u;
    for (int64_t i = 0; i < n / L1_QK32; i++) {
        unpack(x, i, &u);
        const int8_t *q;
        float dy, sy = 0.0f;
        if (y_q8_1) {
            const l1__block_q8_1 *y = (const l1__block_q8_1 *)vy + i;
            q = y->qs, dy = l1__f16_to_f32(y->d), sy = l1__f16_to_f32(y->s);
        } else {
            const l1__block_q8_0 *y = (const l1__block_q8_0 *)vy + i;
            q = y->qs, dy = l1__f16_to_f32(y->d);
        }
        const int32_t si = l1__unpacked32_isum(&u, q);
        switch (how) {
        case L1__SUM_FIRST: sum += (float)si * u.d * dy; break;
        case L1__SCALES_FIRST: sum += u.d * dy * (float)si; break;
        case L1__WITH_OFFSET: sum += u.d * dy * (float)si + u.m * sy; break;
        }
    }
    return sum;
}

void l1__dequantK(l1__unpackK_fn unpack, const void *x, float *y, int64_t n) {
    l1__unpackedK u;
    for (int64_t i = 0; i < n / L1_QK_K; i++, y += L1_QK_K) {
        unpack(x, i, &u);
        for (int h = 0; h < 16; h++) {
            const float dl = u.d * (float)u.sc[h], ml = u.has_min ? u.dmin * (float)u.m[h] : 0.0f;
            for (int v = 16 * h; v < 16 * h + 16; v++)
                y[v] = u.has_min ? dl * (float)u.c[v] - ml : dl * (float)u.c[v];
        }
    }
}

int32_t l1__unpackedK_isum(const l1__unpackedK *u, const int8_t *q) {
    int32_t isum = 0;
    for (int h = 0; h < 16; h++) {
        int32_t t = 0;
        for (int v = 16 * h; v < 16 * h + 16; v++) t += u->c[v] * q[v];
        isum += u->sc[h] * t;
    }
    return isum;
}

float l1__dotK(l1__unpackK_fn unpack, const void *x, const void *vy, int64_t n) {
    const l1__block_q8_K *y = vy;
    float sum = 0.0f;
    l1__unpackedK u;
    for (int64_t i = 0; i < n / L1_QK_K; i++) {
        unpack(x, i, &u);
        const int32_t isum = l1__unpackedK_isum(&u, y[i].qs);
        if (!u.has_min) {
            sum += u.d * y[i].d * (float)isum;
            continue;
        }
        int32_t msum = 0;
        for (int h = 0; h < 16; h++) msum += u.m[h] * y[i].bsums[h];
        const float dall = y[i].d * u.d, dmin = y[i].d * u.dmin;
        sum += dall * (float)isum - dmin * (float)msum;
    }
    return sum;
}
