/*
 * scalar/float.c - the reference tier of the kernel table: the float
 * kernels of the forward pass in plain C, and the scalar table, whose dot
 * products and activation quantizers are the quant layer's reference
 * routines.  Written for clarity and for matching the reference
 * implementation's arithmetic (where it rounds, we round), not for speed.
 * Faster tiers are tested against these.
 *
 * Sums over many terms (dot products of f32/f16 vectors, the mean square of
 * RMSNorm) are taken in double: the SIMD code of other tiers keeps several
 * f32 partial sums, and a double sum is the value both approximate.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "base/fp16.h"
#include "kernels/kernels.h"
#include "kernels/repack.h"
#include "quant/quant.h"

static void rmsnorm(float *y, const float *x, const float *w, int64_t n, float eps) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (int64_t i = 0; i < n; i++) y[i] = x[i] * scale * w[i];
}

static void rope_neox(float *x, int64_t n_head, int64_t head_dim, const float *cs, const float *sn) {
    const int64_t half = head_dim / 2;
    for (int64_t h = 0; h < n_head; h++) {
        float *p = x + h * head_dim;
        for (int64_t i = 0; i < half; i++) {
            const float x0 = p[i], x1 = p[i + half];
            p[i] = x0 * cs[i] - x1 * sn[i];
            p[i + half] = x0 * sn[i] + x1 * cs[i];
        }
    }
}

static void softmax(float *x, int64_t n) {
    float mx = -INFINITY;
    for (int64_t i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - mx);
        sum += x[i];
    }
    const float inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < n; i++) x[i] *= inv;
}

/* f16 . f16 over d values in the reference CPU backend's order: 4 groups
 * of 16 f32 lanes, each lane a fused multiply-add chain over every 64th
 * value, the groups added pairwise (0+2, 1+3, then together), the 16 lanes
 * halved to one (i + 8, i + 4, i + 2, i + 1), and values past the last
 * multiple of 64 added in double.  The decode path of attention rounds its
 * f16 accumulator after every position, so a score that differs by one ulp
 * can move that rounding: this order keeps the scores identical. */
static float dot_f16_lanes(const uint16_t *a, const uint16_t *b, int64_t d) {
    enum { LANES = 16, GROUPS = 4, STEP = LANES * GROUPS };
    float acc[GROUPS][LANES] = {{0}};
    const int64_t np = d - d % STEP;
    for (int64_t i = 0; i < np; i += STEP)
        for (int g = 0; g < GROUPS; g++)
            for (int l = 0; l < LANES; l++) {
                const int64_t j = i + g * LANES + l;
                acc[g][l] = fmaf(l1__f16_to_f32(a[j]), l1__f16_to_f32(b[j]), acc[g][l]);
            }
    for (int l = 0; l < LANES; l++) {
        acc[0][l] += acc[2][l];
        acc[1][l] += acc[3][l];
        acc[0][l] += acc[1][l];
    }
    for (int w = LANES / 2; w >= 1; w /= 2)
        for (int l = 0; l < w; l++) acc[0][l] += acc[0][l + w];
    double s = (double)acc[0][0];
    for (int64_t i = np; i < d; i++) s += (double)(l1__f16_to_f32(a[i]) * l1__f16_to_f32(b[i]));
    return (float)s;
}

/* q . k over d values, k of the cache type; q already rounded for F16_ACC. */
static float kq_dot(const float *q, const uint16_t *qh, const void *k, uint32_t kv_type, int64_t d) {
    double s = 0.0;
    if (kv_type == L1_TYPE_F16) {
        const uint16_t *kh = (const uint16_t *)k;
        if (qh)
            return dot_f16_lanes(kh, qh, d);
        else
            for (int64_t i = 0; i < d; i++) s += (double)(l1__f16_to_f32(kh[i]) * q[i]);
    } else {
        const float *kf = (const float *)k;
        for (int64_t i = 0; i < d; i++) s += (double)(kf[i] * q[i]);
    }
    return (float)s;
}

/* The online softmax of the reference's vector path: one pass over the
 * positions, the running maximum M and sum S, the value accumulator
 * rescaled whenever M grows.  With F16_ACC and an F16 cache the accumulator
 * itself is f16 (each update a fused multiply-add rounded to f16), as in
 * the reference. */
static void attention(const l1__attn_args *a) {
    const int64_t d = a->head_dim;
    const bool f16acc = a->mode == L1__ATTN_F16_ACC && a->kv_type == L1_TYPE_F16;
    float *acc = (float *)a->work;                 /* (d) f32 accumulator */
    uint16_t *acc16 = (uint16_t *)(acc + d);       /* (d) f16 accumulator */
    uint16_t *qh = acc16 + d;                      /* (d) query as f16 */
    if (f16acc) {
        for (int64_t i = 0; i < d; i++) qh[i] = l1__f32_to_f16(a->q[i]);
        memset(acc16, 0, (size_t)d * sizeof *acc16);
    } else {
        memset(acc, 0, (size_t)d * sizeof *acc);
    }
    float M = -INFINITY, S = 0.0f;
    const uint8_t *kb = (const uint8_t *)a->k, *vb = (const uint8_t *)a->v;
    for (int64_t j = 0; j < a->n_kv; j++) {
        const void *kr = kb + (size_t)j * a->row_stride;
        const void *vr = vb + (size_t)j * a->row_stride;
        const float s = kq_dot(a->q, f16acc ? qh : NULL, kr, a->kv_type, d) * a->scale;
        float ms, vs;
        if (l1__softmax_step(s, &M, &ms, &vs)) {
            if (f16acc)
                for (int64_t i = 0; i < d; i++) acc16[i] = l1__f32_to_f16(l1__f16_to_f32(acc16[i]) * ms);
            else
                for (int64_t i = 0; i < d; i++) acc[i] *= ms;
        }
        if (f16acc) {
            const uint16_t *vh = (const uint16_t *)vr;
            for (int64_t i = 0; i < d; i++)
                acc16[i] = l1__f32_to_f16(fmaf(l1__f16_to_f32(vh[i]), vs, l1__f16_to_f32(acc16[i])));
        } else if (a->kv_type == L1_TYPE_F16) {
            const uint16_t *vh = (const uint16_t *)vr;
            for (int64_t i = 0; i < d; i++) acc[i] += l1__f16_to_f32(vh[i]) * vs;
        } else {
            const float *vf = (const float *)vr;
            for (int64_t i = 0; i < d; i++) acc[i] += vf[i] * vs;
        }
        S = S * ms + vs;
    }
    if (f16acc)
        for (int64_t i = 0; i < d; i++) acc[i] = l1__f16_to_f32(acc16[i]);
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    for (int64_t i = 0; i < d; i++) a->out[i] = acc[i] * inv;
}

/* attention_group: each head by itself, the loop of attention in F32 mode
 * (f16acc false) over the same positions, so acc / S is its result bit for
 * bit. */
static void attention_group(const l1__attn_group_args *g) {
    const int64_t d = g->head_dim;
    const uint8_t *kb = (const uint8_t *)g->k, *vb = (const uint8_t *)g->v;
    for (int i = 0; i < g->n_q; i++) {
        const float *q = g->q + (int64_t)i * g->q_stride;
        float *acc = g->rec + (int64_t)i * g->rec_stride;
        memset(acc, 0, (size_t)d * sizeof *acc);
        float M = -INFINITY, S = 0.0f;
        for (int64_t j = 0; j < g->n_kv; j++) {
            const void *kr = kb + (size_t)j * g->row_stride;
            const void *vr = vb + (size_t)j * g->row_stride;
            const float s = kq_dot(q, NULL, kr, g->kv_type, d) * g->scale;
            float ms, vs;
            if (l1__softmax_step(s, &M, &ms, &vs))
                for (int64_t c = 0; c < d; c++) acc[c] *= ms;
            if (g->kv_type == L1_TYPE_F16) {
                const uint16_t *vh = (const uint16_t *)vr;
                for (int64_t c = 0; c < d; c++) acc[c] += l1__f16_to_f32(vh[c]) * vs;
            } else {
                const float *vf = (const float *)vr;
                for (int64_t c = 0; c < d; c++) acc[c] += vf[c] * vs;
            }
            S = S * ms + vs;
        }
        acc[d] = M;
        acc[d + 1] = S;
    }
}

static void swiglu(float *y, const float *g, const float *u, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const float s = g[i] / (1.0f + expf(-g[i]));
        y[i] = s * u[i];
    }
}

static void add(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += x[i];
}

void l1__rope_angles(int64_t pos, int64_t head_dim, float base, float *cs, float *sn) {
    const float step = powf(base, -2.0f / (float)head_dim);
    float theta = (float)pos;
    for (int64_t i = 0; i < head_dim / 2; i++) {
        cs[i] = cosf(theta);
        sn[i] = sinf(theta);
        theta *= step;
    }
}

void l1__kernels_fill_scalar(l1__kernels *k) {
    memset(k, 0, sizeof *k);
    k->tier = L1_TIER_SCALAR;
    for (uint32_t t = 0; t < L1_TYPE_COUNT; t++) {
        const l1__quant_traits *qt = l1__quant_traits_get(t);
        if (!qt) continue;
        k->dot[t] = qt->vec_dot;
        k->act_quant[t] = qt->from_float;
    }
    k->x8_transpose = l1__x8_transpose_scalar;
    k->rmsnorm = rmsnorm;
    k->rope_neox = rope_neox;
    k->softmax = softmax;
    k->attention = attention;
    k->attention_group = attention_group;
    k->swiglu = swiglu;
    k->add = add;
}
