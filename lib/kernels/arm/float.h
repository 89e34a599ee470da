/*
 * arm/float.h - the float kernels of the forward pass (attention, SwiGLU,
 * RMSNorm, NEOX RoPE, residual add) of the NEON tier.  Everything is
 * static.
 */
#ifndef L1_KERNELS_ARM_FLOAT_H
#define L1_KERNELS_ARM_FLOAT_H

#include "kernels/arm/common.h"

/* ---- float kernels of the forward pass --------------------------------------------- */

/* The same kernels and the same agreement with the scalar tier as the x86
 * ones (see x86/float.h): attention in F16_ACC mode on an F16 cache
 * bit for bit (the 4 x 16 lane dot order, fused multiply-adds, f16
 * roundings by fcvtn, which rounds to nearest even, libm expf); the f32
 * attention path over blocks of positions with f32 vector sums; swiglu with
 * a vector e^x; rmsnorm summing the f32 squares in double; rope_neox and
 * add bit for bit (ISO C: no contraction of a*b - c*d, here or in the
 * scalar kernels). */

#define NF_INLINE static inline __attribute__((always_inline))

NF_INLINE void store_f16x4(uint16_t *p, float32x4_t v) { vst1_u16(p, vreinterpret_u16_f16(vcvt_f16_f32(v))); }

NF_INLINE float32x4_t round_f16x4(float32x4_t v) { return vcvt_f32_f16(vcvt_f16_f32(v)); }

/* e^x per lane: the algorithm of fx_exp in x86/float.h (n = round(x
 * / ln2), r = x - n ln2 in two parts, Taylor series of e^r to r^7, 2^n as
 * two factors), within 1 ulp.  fmax/fmin propagate NaN on aarch64. */
NF_INLINE float32x4_t nf_exp(float32x4_t x) {
    x = vminq_f32(vdupq_n_f32(88.8f), vmaxq_f32(vdupq_n_f32(-104.0f), x));
    const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504f)));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.0f / 5040.0f);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 720.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 120.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 24.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 6.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    const int32x4_t ni = vcvtq_s32_f32(n); /* n in [-150, 128], or 0 for NaN */
    const int32x4_t n1 = vshrq_n_s32(ni, 1), n2 = vsubq_s32(ni, n1);
    const int32x4_t bias = vdupq_n_s32(127);
    const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, bias), 23));
    const float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, bias), 23));
    return vmulq_f32(vmulq_f32(p, s1), s2);
}

/* The scalar dot_f16_lanes(a, f16(b), d), b already f16 values in f32:
 * lanes 4v .. 4v + 3 of group g are acc[g][v]. */
static float nf_dot_f16_lanes(const uint16_t *a, const float *b, int64_t d) {
    float32x4_t acc[4][4];
    for (int g = 0; g < 4; g++)
        for (int v = 0; v < 4; v++) acc[g][v] = vdupq_n_f32(0.0f);
    const int64_t np = d - d % 64;
    for (int64_t i = 0; i < np; i += 64)
        for (int g = 0; g < 4; g++)
            for (int v = 0; v < 4; v++) {
                const int64_t j = i + 16 * g + 4 * v;
                acc[g][v] = vfmaq_f32(acc[g][v], load_f16x4(a + j), vld1q_f32(b + j));
            }
    for (int v = 0; v < 4; v++) {
        acc[0][v] = vaddq_f32(acc[0][v], acc[2][v]);
        acc[1][v] = vaddq_f32(acc[1][v], acc[3][v]);
        acc[0][v] = vaddq_f32(acc[0][v], acc[1][v]);
    }
    const float32x4_t h8lo = vaddq_f32(acc[0][0], acc[0][2]), h8hi = vaddq_f32(acc[0][1], acc[0][3]);
    const float32x4_t h4 = vaddq_f32(h8lo, h8hi);
    const float32x2_t h2 = vadd_f32(vget_low_f32(h4), vget_high_f32(h4));
    double s = (double)(vget_lane_f32(h2, 0) + vget_lane_f32(h2, 1));
    for (int64_t i = np; i < d; i++) s += (double)(l1__f16_to_f32(a[i]) * b[i]);
    return (float)s;
}

/* acc16 = f16(f32(acc16) * ms) when rescale, then f16(fma(v, vs, f32(acc16))). */
static void nf_acc16_update(uint16_t *acc16, const uint16_t *vh, int64_t d, bool rescale, float ms, float vs) {
    const float32x4_t msv = vdupq_n_f32(ms), vsv = vdupq_n_f32(vs);
    int64_t i = 0;
    if (rescale)
        for (; i + 4 <= d; i += 4) {
            const float32x4_t a = round_f16x4(vmulq_f32(load_f16x4(acc16 + i), msv));
            store_f16x4(acc16 + i, vfmaq_f32(a, load_f16x4(vh + i), vsv));
        }
    else
        for (; i + 4 <= d; i += 4) store_f16x4(acc16 + i, vfmaq_f32(load_f16x4(acc16 + i), load_f16x4(vh + i), vsv));
    for (; i < d; i++) {
        float a = l1__f16_to_f32(acc16[i]);
        if (rescale) a = l1__f16_to_f32(l1__f32_to_f16(a * ms));
        acc16[i] = l1__f32_to_f16(fmaf(l1__f16_to_f32(vh[i]), vs, a));
    }
}

static void nf_attention_f16acc(const l1__attn_args *a) {
    const int64_t d = a->head_dim;
    float *qf = (float *)a->work;           /* (d) query rounded to f16, held in f32 */
    uint16_t *acc16 = (uint16_t *)(qf + d); /* (d) f16 accumulator */
    int64_t i = 0;
    for (; i + 4 <= d; i += 4) vst1q_f32(qf + i, round_f16x4(vld1q_f32(a->q + i)));
    for (; i < d; i++) qf[i] = l1__f16_to_f32(l1__f32_to_f16(a->q[i]));
    memset(acc16, 0, (size_t)d * sizeof *acc16);
    float M = -INFINITY, S = 0.0f;
    const uint8_t *kb = (const uint8_t *)a->k, *vb = (const uint8_t *)a->v;
    for (int64_t j = 0; j < a->n_kv; j++) {
        const uint16_t *kr = (const uint16_t *)(kb + (size_t)j * a->row_stride);
        const uint16_t *vr = (const uint16_t *)(vb + (size_t)j * a->row_stride);
        const float s = nf_dot_f16_lanes(kr, qf, d) * a->scale;
        float ms, vs;
        const bool grow = l1__softmax_step(s, &M, &ms, &vs);
        nf_acc16_update(acc16, vr, d, grow, ms, vs);
        S = S * ms + vs;
    }
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    for (i = 0; i + 4 <= d; i += 4) vst1q_f32(a->out + i, vmulq_n_f32(load_f16x4(acc16 + i), inv));
    for (; i < d; i++) a->out[i] = l1__f16_to_f32(acc16[i]) * inv;
}

#define NF_ATTN_BLOCK L1__ATTN_BLOCK
/* Loops over 16 accumulator registers, unrolled whole so they stay in
 * registers. */
#define NF_UNROLL16 _Pragma("GCC unroll 16")

NF_INLINE float32x4_t nf_load_kv(const void *row, int64_t i, bool h) {
    return h ? load_f16x4((const uint16_t *)row + i) : vld1q_f32((const float *)row + i);
}

NF_INLINE float nf_kv_at(const void *row, int64_t i, bool h) {
    return h ? l1__f16_to_f32(((const uint16_t *)row)[i]) : ((const float *)row)[i];
}

/* sc[j] = scale * q . k_j for j < nb; four rows at a time share q. */
NF_INLINE void nf_scores(const float *q, const uint8_t *k, size_t stride, int64_t nb, int64_t d, float scale,
                         bool h, float *sc) {
    const int64_t dv = d - d % 4;
    int64_t j = 0;
    for (; j + 4 <= nb; j += 4) {
        const void *r[4];
        float32x4_t acc[4];
        L1__UNROLL for (int t = 0; t < 4; t++) {
            r[t] = k + (size_t)(j + t) * stride;
            acc[t] = vdupq_n_f32(0.0f);
        }
        for (int64_t i = 0; i < dv; i += 4) {
            const float32x4_t qv = vld1q_f32(q + i);
            L1__UNROLL for (int t = 0; t < 4; t++) acc[t] = vfmaq_f32(acc[t], nf_load_kv(r[t], i, h), qv);
        }
        float32x4_t s4 = vpaddq_f32(vpaddq_f32(acc[0], acc[1]), vpaddq_f32(acc[2], acc[3]));
        if (dv < d) {
            float tl[4] = {0};
            for (int t = 0; t < 4; t++)
                for (int64_t i = dv; i < d; i++) tl[t] += nf_kv_at(r[t], i, h) * q[i];
            s4 = vaddq_f32(s4, vld1q_f32(tl));
        }
        vst1q_f32(sc + j, vmulq_n_f32(s4, scale));
    }
    for (; j < nb; j++) {
        const void *r = k + (size_t)j * stride;
        float32x4_t acc = vdupq_n_f32(0.0f);
        for (int64_t i = 0; i < dv; i += 4) acc = vfmaq_f32(acc, nf_load_kv(r, i, h), vld1q_f32(q + i));
        float t = vaddvq_f32(acc);
        for (int64_t i = dv; i < d; i++) t += nf_kv_at(r, i, h) * q[i];
        sc[j] = t * scale;
    }
}

/* acc[i] += sum_j p[j] v_j[i] for j < nb, 64 accumulator lanes at a time. */
NF_INLINE void nf_accumulate(float *acc, const float *p, const uint8_t *v, size_t stride, int64_t nb, int64_t d,
                             bool h) {
    int64_t c = 0;
    for (; c + 64 <= d; c += 64) {
        float32x4_t x[16];
        NF_UNROLL16 for (int u = 0; u < 16; u++) x[u] = vld1q_f32(acc + c + 4 * u);
        for (int64_t j = 0; j < nb; j++) {
            const void *r = v + (size_t)j * stride;
            const float pj = p[j];
            NF_UNROLL16 for (int u = 0; u < 16; u++) x[u] = vfmaq_n_f32(x[u], nf_load_kv(r, c + 4 * u, h), pj);
        }
        NF_UNROLL16 for (int u = 0; u < 16; u++) vst1q_f32(acc + c + 4 * u, x[u]);
    }
    for (; c + 4 <= d; c += 4) {
        float32x4_t x = vld1q_f32(acc + c);
        for (int64_t j = 0; j < nb; j++) x = vfmaq_n_f32(x, nf_load_kv(v + (size_t)j * stride, c, h), p[j]);
        vst1q_f32(acc + c, x);
    }
    for (; c < d; c++)
        for (int64_t j = 0; j < nb; j++) acc[c] += nf_kv_at(v + (size_t)j * stride, c, h) * p[j];
}

/* One block of the online softmax of one head (as fx_block_weights in
 * x86/float.h): sc[j] turns into e^(s - M), M, *S and acc (d) rescaled
 * first when the block holds a new maximum. */
NF_INLINE void nf_block_weights(float *sc, int64_t nb, float *M, float *S, float *acc, int64_t d) {
    float mb = sc[0];
    for (int64_t j = 1; j < nb; j++) mb = sc[j] > mb ? sc[j] : mb;
    if (mb > *M) {
        const float ms = expf(*M - mb);
        *M = mb;
        *S *= ms;
        int64_t i = 0;
        for (; i + 4 <= d; i += 4) vst1q_f32(acc + i, vmulq_n_f32(vld1q_f32(acc + i), ms));
        for (; i < d; i++) acc[i] *= ms;
    }
    /* Weights e^(s - M); a partial last vector computed on a copy. */
    const float32x4_t mv = vdupq_n_f32(*M);
    float32x4_t sum = vdupq_n_f32(0.0f);
    int64_t j = 0;
    for (; j + 4 <= nb; j += 4) {
        const float32x4_t e = nf_exp(vsubq_f32(vld1q_f32(sc + j), mv));
        vst1q_f32(sc + j, e);
        sum = vaddq_f32(sum, e);
    }
    float tail = 0.0f;
    if (j < nb) {
        float t[4] = {0};
        memcpy(t, sc + j, (size_t)(nb - j) * sizeof *t);
        vst1q_f32(t, nf_exp(vsubq_f32(vld1q_f32(t), mv)));
        for (int64_t l = 0; l < nb - j; l++) tail += t[l];
        memcpy(sc + j, t, (size_t)(nb - j) * sizeof *t);
    }
    *S += vaddvq_f32(sum) + tail;
}

NF_INLINE void nf_attention_f32_body(const l1__attn_args *a, bool h) {
    const int64_t d = a->head_dim;
    float *acc = (float *)a->work; /* (d) */
    memset(acc, 0, (size_t)d * sizeof *acc);
    const uint8_t *kb = (const uint8_t *)a->k, *vb = (const uint8_t *)a->v;
    float sc[NF_ATTN_BLOCK];
    float M = -INFINITY, S = 0.0f;
    for (int64_t j0 = 0; j0 < a->n_kv; j0 += NF_ATTN_BLOCK) {
        const int64_t nb = a->n_kv - j0 < NF_ATTN_BLOCK ? a->n_kv - j0 : NF_ATTN_BLOCK;
        const size_t off = (size_t)j0 * a->row_stride;
        nf_scores(a->q, kb + off, a->row_stride, nb, d, a->scale, h, sc);
        nf_block_weights(sc, nb, &M, &S, acc, d);
        nf_accumulate(acc, sc, vb + off, a->row_stride, nb, d, h);
    }
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    int64_t i = 0;
    for (; i + 4 <= d; i += 4) vst1q_f32(a->out + i, vmulq_n_f32(vld1q_f32(acc + i), inv));
    for (; i < d; i++) a->out[i] = acc[i] * inv;
}

/* dst (nb, d) = the nb f16 rows of src, stride bytes apart, widened. */
NF_INLINE void nf_widen_rows(float *dst, const uint8_t *src, size_t stride, int64_t nb, int64_t d) {
    for (int64_t j = 0; j < nb; j++) {
        const uint16_t *r = (const uint16_t *)(src + (size_t)j * stride);
        float *o = dst + j * d;
        int64_t c = 0;
        for (; c + 4 <= d; c += 4) vst1q_f32(o + c, load_f16x4(r + c));
        for (; c < d; c++) o[c] = l1__f16_to_f32(r[c]);
    }
}

/* The F32 body for every head of a group (as fx_attention_group_body):
 * F16 blocks of K and V widened once for all the heads, exactly. */
NF_INLINE void nf_attention_group_body(const l1__attn_group_args *a, bool h16) {
    const int64_t d = a->head_dim, rs = a->rec_stride;
    float *blk = (float *)a->work;        /* (NF_ATTN_BLOCK, d) */
    float *scs = blk + NF_ATTN_BLOCK * d; /* (n_q, NF_ATTN_BLOCK) */
    for (int h = 0; h < a->n_q; h++) {
        float *r = a->rec + h * rs;
        memset(r, 0, (size_t)d * sizeof *r);
        r[d] = -INFINITY;
        r[d + 1] = 0.0f;
    }
    const uint8_t *kb = (const uint8_t *)a->k, *vb = (const uint8_t *)a->v;
    const size_t bstride = (size_t)d * sizeof(float);
    for (int64_t j0 = 0; j0 < a->n_kv; j0 += NF_ATTN_BLOCK) {
        const int64_t nb = a->n_kv - j0 < NF_ATTN_BLOCK ? a->n_kv - j0 : NF_ATTN_BLOCK;
        const size_t off = (size_t)j0 * a->row_stride;
        const uint8_t *rows = kb + off;
        size_t stride = a->row_stride;
        if (h16) {
            nf_widen_rows(blk, rows, stride, nb, d);
            rows = (const uint8_t *)blk;
            stride = bstride;
        }
        for (int h = 0; h < a->n_q; h++) {
            float *sc = scs + h * NF_ATTN_BLOCK, *r = a->rec + h * rs;
            nf_scores(a->q + h * a->q_stride, rows, stride, nb, d, a->scale, false, sc);
            nf_block_weights(sc, nb, &r[d], &r[d + 1], r, d);
        }
        rows = vb + off;
        stride = a->row_stride;
        if (h16) {
            nf_widen_rows(blk, rows, stride, nb, d);
            rows = (const uint8_t *)blk;
            stride = bstride;
        }
        for (int h = 0; h < a->n_q; h++)
            nf_accumulate(a->rec + h * rs, scs + h * NF_ATTN_BLOCK, rows, stride, nb, d, false);
    }
}

static void nf_attention_group(const l1__attn_group_args *a) {
    if (a->kv_type == L1_TYPE_F16)
        nf_attention_group_body(a, true);
    else
        nf_attention_group_body(a, false);
}

static void nf_attention_f32_f16kv(const l1__attn_args *a) { nf_attention_f32_body(a, true); }
static void nf_attention_f32_f32kv(const l1__attn_args *a) { nf_attention_f32_body(a, false); }

static void nf_attention(const l1__attn_args *a) {
    if (a->kv_type == L1_TYPE_F16) {
        if (a->mode == L1__ATTN_F16_ACC)
            nf_attention_f16acc(a);
        else
            nf_attention_f32_f16kv(a);
    } else {
        nf_attention_f32_f32kv(a);
    }
}

static void nf_swiglu(float *y, const float *g, const float *u, int64_t n) {
    const float32x4_t one = vdupq_n_f32(1.0f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t gv = vld1q_f32(g + i);
        const float32x4_t s = vdivq_f32(gv, vaddq_f32(one, nf_exp(vnegq_f32(gv))));
        vst1q_f32(y + i, vmulq_f32(s, vld1q_f32(u + i)));
    }
    for (; i < n; i++) {
        const float s = g[i] / (1.0f + expf(-g[i]));
        y[i] = s * u[i];
    }
}

static void nf_rmsnorm(float *y, const float *x, const float *w, int64_t n, float eps) {
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + i + 4);
        const float32x4_t aa = vmulq_f32(a, a), bb = vmulq_f32(b, b);
        s0 = vaddq_f64(s0, vcvt_f64_f32(vget_low_f32(aa)));
        s1 = vaddq_f64(s1, vcvt_high_f64_f32(aa));
        s2 = vaddq_f64(s2, vcvt_f64_f32(vget_low_f32(bb)));
        s3 = vaddq_f64(s3, vcvt_high_f64_f32(bb));
    }
    double sum = vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
    for (; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (i = 0; i + 4 <= n; i += 4)
        vst1q_f32(y + i, vmulq_f32(vmulq_n_f32(vld1q_f32(x + i), scale), vld1q_f32(w + i)));
    for (; i < n; i++) y[i] = x[i] * scale * w[i];
}

static void nf_rope_neox(float *x, int64_t n_head, int64_t head_dim, const float *cs, const float *sn) {
    const int64_t half = head_dim / 2;
    for (int64_t hd = 0; hd < n_head; hd++) {
        float *p = x + hd * head_dim;
        int64_t i = 0;
        for (; i + 4 <= half; i += 4) {
            const float32x4_t x0 = vld1q_f32(p + i), x1 = vld1q_f32(p + i + half);
            const float32x4_t c = vld1q_f32(cs + i), s = vld1q_f32(sn + i);
            vst1q_f32(p + i, vsubq_f32(vmulq_f32(x0, c), vmulq_f32(x1, s)));
            vst1q_f32(p + i + half, vaddq_f32(vmulq_f32(x0, s), vmulq_f32(x1, c)));
        }
        for (; i < half; i++) {
            const float x0 = p[i], x1 = p[i + half];
            p[i] = x0 * cs[i] - x1 * sn[i];
            p[i + half] = x0 * sn[i] + x1 * cs[i];
        }
    }
}

static void nf_add(float *y, const float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vaddq_f32(vld1q_f32(y + i), vld1q_f32(x + i)));
    for (; i < n; i++) y[i] += x[i];
}

#endif /* L1_KERNELS_ARM_FLOAT_H */
