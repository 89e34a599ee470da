/*
 * quantize_k.c - weight quantizers of the K formats (Q2_K .. Q6_K).
 *
 * Each super-block of 256 values is quantized in two stages:
 *   1. every sub-block (16 or 32 values) gets the scale (and, for the
 *      formats with an offset, the min) that minimises its squared error:
 *      several candidate reciprocal scales around the naive one each give a
 *      code assignment, the least-squares scale (and min) for that assignment
 *      is solved in closed form, the best candidate is kept and then refined
 *      by re-rounding against its own fit until the error stops falling;
 *   2. the sub-block scales and mins are themselves quantized (4, 6 or 8
 *      bits) against the super-block's f16 scales, and the codes are
 *      re-rounded against the scales the file will actually hold, so the
 *      codes fit what a reader reconstructs.
 * The objective is plain squared error (what RMSE measures), unweighted.
 */
#include <math.h>
#include <string.h>

#include "base/fp16.h"
#include "quant/quant_impl.h"

/* Below this magnitude a sub-block counts as all zero. */
#define ZERO_EPS 1e-15f

/* Refinement passes of stage 1 (each re-rounds against the current fit). */
#define REFINE_PASSES 3

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Squared error of x ~ s * L + b over n values. */
static float affine_err(int n, const float *x, const uint8_t *L, float s, float b) {
    float e = 0.0f;
    for (int i = 0; i < n; i++) {
        const float d = s * (float)L[i] + b - x[i];
        e += d * d;
    }
    return e;
}

/* Least-squares s, b (b <= 0) of x ~ s * L + b; false when degenerate. */
static bool affine_solve(int n, const float *x, const uint8_t *L, float *s, float *b) {
    float sl = 0, sl2 = 0, sx = 0, sxl = 0;
    for (int i = 0; i < n; i++) {
        sl += (float)L[i];
        sl2 += (float)(L[i] * L[i]);
        sx += x[i];
        sxl += x[i] * (float)L[i];
    }
    const float det = (float)n * sl2 - sl * sl;
    if (!(det > 0.0f)) return false;
    *s = ((float)n * sxl - sx * sl) / det;
    *b = (sl2 * sx - sl * sxl) / det;
    if (*b > 0.0f) { /* the format's offset only subtracts */
        *b = 0.0f;
        *s = sxl / sl2;
    }
    return true;
}

static void affine_codes(int n, int nmax, const float *x, float iscale, float b, uint8_t *L) {
    for (int i = 0; i < n; i++) L[i] = (uint8_t)clampi(l1__nearest_int(iscale * (x[i] - b)), 0, nmax);
}

/* Stage 1 for the formats with an offset: x ~ s * L - m, L in [0, nmax],
 * m >= 0.  Returns s, stores m and the codes. */
static float fit_affine(int n, int nmax, const float *x, uint8_t *L, float *m_out) {
    float lo = x[0], hi = x[0];
    for (int i = 1; i < n; i++) {
        lo = fminf(lo, x[i]);
        hi = fmaxf(hi, x[i]);
    }
    if (lo > 0.0f) lo = 0.0f;
    if (hi == lo) {
        memset(L, 0, (size_t)n);
        *m_out = -lo;
        return 0.0f;
    }
    float best_s = (hi - lo) / (float)nmax, best_b = lo;
    affine_codes(n, nmax, x, 1.0f / best_s, best_b, L);
    float best = affine_err(n, x, L, best_s, best_b);
    uint8_t cand[32];
    for (int k = -10; k <= 10; k++) {
        float s, b;
        affine_codes(n, nmax, x, ((float)nmax + 0.1f * (float)k) / (hi - lo), lo, cand);
        for (int pass = 0; pass <= REFINE_PASSES; pass++) {
            if (!affine_solve(n, x, cand, &s, &b) || !(s > 0.0f)) break;
            const float e = affine_err(n, x, cand, s, b);
            if (e < best) {
                best = e;
                best_s = s;
                best_b = b;
                memcpy(L, cand, (size_t)n);
            } else if (pass > 0) {
                break;
            }
            affine_codes(n, nmax, x, 1.0f / s, b, cand);
        }
    }
    *m_out = -best_b;
    return best_s;
}

/* Stage 1 for the symmetric formats: x ~ s * L, L in [-nmax, nmax - 1].
 * The extreme value is mapped towards -nmax (s takes its sign), which
 * gives it the wider side of the code range. */
static float fit_symmetric(int n, int nmax, const float *x, int8_t *L) {
    const float max = l1__signed_max(x, n);
    if (fabsf(max) < ZERO_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    float best_s = 0.0f, best_score = -1.0f;
    int8_t cand[16];
    for (int k = -9; k <= 9; k++) {
        float iscale = -((float)nmax + 0.1f * (float)k) / max;
        for (int pass = 0; pass <= REFINE_PASSES; pass++) {
            float sxl = 0.0f, sl2 = 0.0f;
            for (int i = 0; i < n; i++) {
                cand[i] = (int8_t)clampi(l1__nearest_int(iscale * x[i]), -nmax, nmax - 1);
                sxl += x[i] * (float)cand[i];
                sl2 += (float)(cand[i] * cand[i]);
            }
            if (!(sl2 > 0.0f)) break;
            /* The least-squares error is sum x^2 - sxl^2 / sl2: maximise the
             * second term. */
            const float score = sxl * sxl / sl2;
            if (score > best_score) {
                best_score = score;
                best_s = sxl / sl2;
                memcpy(L, cand, (size_t)n);
            } else if (pass > 0) {
                break;
            }
            if (sxl == 0.0f) break;
            iscale = sl2 / sxl;
        }
    }
    return best_s;
}

/* ---- Q2_K ------------------------------------------------------------------ */

/* Packs 256 2-bit codes in the Q2_K/Q3_K order. */
static void pack_2bit(const uint8_t *L, uint8_t *qs) {
    for (int h = 0; h < 2; h++)
        for (int l = 0; l < 32; l++) {
            const uint8_t *c = L + 128 * h + l;
            qs[32 * h + l] = (uint8_t)(c[0] | (c[32] << 2) | (c[64] << 4) | (c[96] << 6));
        }
}

void l1__quantize_q2_K(const float *x, void *vy, int64_t n) {
    l1__block_q2_K *y = vy;
    uint8_t L[L1_QK_K];
    float sc[16], mn[16];
    for (int64_t i = 0; i < n / L1_QK_K; i++, x += L1_QK_K) {
        float max_sc = 0.0f, max_mn = 0.0f;
        for (int j = 0; j < 16; j++) {
            sc[j] = fit_affine(16, 3, x + 16 * j, L + 16 * j, &mn[j]);
            max_sc = fmaxf(max_sc, sc[j]);
            max_mn = fmaxf(max_mn, mn[j]);
        }
        const float isc = max_sc > 0.0f ? 15.0f / max_sc : 0.0f;
        const float imn = max_mn > 0.0f ? 15.0f / max_mn : 0.0f;
        for (int j = 0; j < 16; j++) {
            const int ls = clampi(l1__nearest_int(isc * sc[j]), 0, 15);
            const int lm = clampi(l1__nearest_int(imn * mn[j]), 0, 15);
            y[i].scales[j] = (uint8_t)(ls | (lm << 4));
        }
        y[i].d = l1__f32_to_f16(max_sc / 15.0f);
        y[i].dmin = l1__f32_to_f16(max_mn / 15.0f);
        const float d = l1__f16_to_f32(y[i].d), dmin = l1__f16_to_f32(y[i].dmin);
        for (int j = 0; j < 16; j++) {
            const float dl = d * (float)(y[i].scales[j] & 0xF);
            if (dl == 0.0f) continue;
            const float ml = dmin * (float)(y[i].scales[j] >> 4);
            for (int k = 16 * j; k < 16 * j + 16; k++) L[k] = (uint8_t)clampi(l1__nearest_int((x[k] + ml) / dl), 0, 3);
        }
        pack_2bit(L, y[i].qs);
    }
}

/* ---- Q3_K ------------------------------------------------------------------ */

void l1__quantize_q3_K(const float *x, void *vy, int64_t n) {
    l1__block_q3_K *y = vy;
    int8_t L[L1_QK_K];
    uint8_t U[L1_QK_K];
    float sc[16];
    for (int64_t i = 0; i < n / L1_QK_K; i++, x += L1_QK_K) {
        for (int j = 0; j < 16; j++) sc[j] = fit_symmetric(16, 4, x + 16 * j, L + 16 * j);
        const float max_sc = l1__signed_max(sc, 16);
        memset(y[i].scales, 0, sizeof y[i].scales);
        int q6[16] = {0};
        if (max_sc != 0.0f) {
            const float iscale = -32.0f / max_sc;
            for (int j = 0; j < 16; j++) {
                const int l = clampi(l1__nearest_int(iscale * sc[j]), -32, 31) + 32;
                q6[j] = l - 32;
                y[i].scales[j % 8] |= (uint8_t)((l & 0xF) << (4 * (j / 8)));
                y[i].scales[8 + j % 4] |= (uint8_t)((l >> 4) << (2 * (j / 4)));
            }
            y[i].d = l1__f32_to_f16(1.0f / iscale);
        } else {
            y[i].d = l1__f32_to_f16(0.0f);
        }
        const float d = l1__f16_to_f32(y[i].d);
        for (int j = 0; j < 16; j++) {
            const float dl = d * (float)q6[j];
            for (int k = 16 * j; k < 16 * j + 16; k++) {
                const int l = dl != 0.0f ? clampi(l1__nearest_int(x[k] / dl), -4, 3) : L[k];
                U[k] = (uint8_t)(l + 4);
            }
        }
        /* Bit 2 of each code goes to hmask (set means "no -4"). */
        memset(y[i].hmask, 0, sizeof y[i].hmask);
        for (int k = 0; k < L1_QK_K; k++) {
            if (U[k] > 3) {
                y[i].hmask[k % 32] |= (uint8_t)(1u << (k / 32));
                U[k] -= 4;
            }
        }
        pack_2bit(U, y[i].qs);
    }
}

/* ---- Q4_K and Q5_K ------------------------------------------------------------ */

/* Stage 1 and 2 shared by Q4_K and Q5_K: fills the packed 6-bit scales and
 * mins, the super-scales, and the final codes L (0..nmax). */
static void k4_scales_and_codes(const float *x, int nmax, uint8_t scales[12], uint16_t *d16, uint16_t *dmin16,
                                uint8_t *L) {
    float sc[8], mn[8], max_sc = 0.0f, max_mn = 0.0f;
    for (int j = 0; j < 8; j++) {
        sc[j] = fit_affine(32, nmax, x + 32 * j, L + 32 * j, &mn[j]);
        max_sc = fmaxf(max_sc, sc[j]);
        max_mn = fmaxf(max_mn, mn[j]);
    }
    const float isc = max_sc > 0.0f ? 63.0f / max_sc : 0.0f;
    const float imn = max_mn > 0.0f ? 63.0f / max_mn : 0.0f;
    memset(scales, 0, 12);
    for (int j = 0; j < 8; j++) {
        const int ls = clampi(l1__nearest_int(isc * sc[j]), 0, 63);
        const int lm = clampi(l1__nearest_int(imn * mn[j]), 0, 63);
        if (j < 4) {
            scales[j] = (uint8_t)ls;
            scales[j + 4] = (uint8_t)lm;
        } else {
            scales[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
            scales[j - 4] |= (uint8_t)((ls >> 4) << 6);
            scales[j] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    *d16 = l1__f32_to_f16(max_sc / 63.0f);
    *dmin16 = l1__f32_to_f16(max_mn / 63.0f);
    const float d = l1__f16_to_f32(*d16), dmin = l1__f16_to_f32(*dmin16);
    for (int j = 0; j < 8; j++) {
        uint8_t ls, lm;
        l1__k4_scale_min(j, scales, &ls, &lm);
        const float dl = d * (float)ls;
        if (dl == 0.0f) continue;
        const float ml = dmin * (float)lm;
        for (int k = 32 * j; k < 32 * j + 32; k++) L[k] = (uint8_t)clampi(l1__nearest_int((x[k] + ml) / dl), 0, nmax);
    }
}

void l1__quantize_q4_K(const float *x, void *vy, int64_t n) {
    l1__block_q4_K *y = vy;
    uint8_t L[L1_QK_K];
    for (int64_t i = 0; i < n / L1_QK_K; i++, x += L1_QK_K) {
        k4_scales_and_codes(x, 15, y[i].scales, &y[i].d, &y[i].dmin, L);
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++) y[i].qs[32 * c + l] = (uint8_t)(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
    }
}

void l1__quantize_q5_K(const float *x, void *vy, int64_t n) {
    l1__block_q5_K *y = vy;
    uint8_t L[L1_QK_K];
    for (int64_t i = 0; i < n / L1_QK_K; i++, x += L1_QK_K) {
        k4_scales_and_codes(x, 31, y[i].scales, &y[i].d, &y[i].dmin, L);
        memset(y[i].qh, 0, sizeof y[i].qh);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                const int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
                y[i].qs[32 * c + l] = (uint8_t)((lo & 0xF) | ((hi & 0xF) << 4));
                y[i].qh[l] |= (uint8_t)(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            }
        }
    }
}

/* ---- Q6_K ------------------------------------------------------------------ */

void l1__quantize_q6_K(const float *x, void *vy, int64_t n) {
    l1__block_q6_K *y = vy;
    int8_t L[L1_QK_K];
    float sc[16];
    for (int64_t i = 0; i < n / L1_QK_K; i++, x += L1_QK_K) {
        for (int j = 0; j < 16; j++) sc[j] = fit_symmetric(16, 32, x + 16 * j, L + 16 * j);
        const float max_sc = l1__signed_max(sc, 16);
        if (fabsf(max_sc) < ZERO_EPS) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -128.0f / max_sc;
        y[i].d = l1__f32_to_f16(1.0f / iscale);
        for (int j = 0; j < 16; j++) y[i].scales[j] = (int8_t)clampi(l1__nearest_int(iscale * sc[j]), -128, 127);
        const float d = l1__f16_to_f32(y[i].d);
        uint8_t U[L1_QK_K];
        for (int j = 0; j < 16; j++) {
            const float dl = d * (float)y[i].scales[j];
            for (int k = 16 * j; k < 16 * j + 16; k++) {
                const int l = dl != 0.0f ? clampi(l1__nearest_int(x[k] / dl), -32, 31) : L[k];
                U[k] = (uint8_t)(l + 32);
            }
        }
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                const uint8_t *c = U + 128 * h + l;
                y[i].ql[64 * h + l] = (uint8_t)((c[0] & 0xF) | ((c[64] & 0xF) << 4));
                y[i].ql[64 * h + 32 + l] = (uint8_t)((c[32] & 0xF) | ((c[96] & 0xF) << 4));
                y[i].qh[32 * h + l] =
                    (uint8_t)((c[0] >> 4) | ((c[32] >> 4) << 2) | ((c[64] >> 4) << 4) | ((c[96] >> 4) << 6));
            }
        }
    }
}
