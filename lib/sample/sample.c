/*
 * sample.c - the sampler chain of sample.h.
 *
 * One step costs a few linear passes over the vocabulary and no allocation:
 *
 *   1. bias and penalties edit the logits in place (sparse: bias list, and
 *      the distinct tokens of the penalty window, found through a per-token
 *      count kept up to date by accept);
 *   2. one vectorised pass turns NaN into -inf and finds the maximum and any
 *      +inf (greedy then looks for the first id holding the maximum);
 *   3. one vectorised pass sums the tempered weights e^((l - max) / T)
 *      above a ladder of thresholds (the last is the cut-off of sample.h),
 *      and the candidates are gathered only above the highest threshold
 *      that holds everything the filters can keep: a few tokens on a
 *      typical step, while the sum keeps top-p normalised over them all;
 *   4. weights of the candidates by a polynomial exponential written in fixed
 *      blocks of 8 so the compiler vectorises it at -O2 (libm's expf is a
 *      call per element and would cost more than the rest together);
 *   5. top-k and top-p keep the shortest prefix, in the total order "higher
 *      logit first, lower id first among equals", whose size or weight
 *      reaches the target, so the kept set is unique whatever way it is
 *      found; it is found by MSD radix selection on the logit's bits (a
 *      histogram pass and a compaction pass per byte, over ever fewer
 *      candidates), which has no data-dependent branches to mispredict as
 *      a quickselect partition has; min-p filters what is left; one uniform
 *      draw over the kept weights.

 * The kept set is drawn in the order the selection leaves it in, which is a
 * deterministic function of the input, so equal inputs and seeds give equal
 * tokens.
 */
#include "sample/sample.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "base/base.h"

/* Candidate arrays are padded to a multiple of this so the weight loop runs
 * whole blocks. */
#define BLOCK 8

struct l1__sampler {
    l1__sample_params p; /* p.bias points at `bias` below */
    l1_logit_bias *bias;
    int32_t n_vocab;
    uint64_t rng[4];
    /* Penalty window: a ring of the last `window` accepted tokens and, per
     * token, how often it occurs in the ring. */
    l1_token *ring;   /* (window) */
    int32_t ring_len; /* tokens held, <= window */
    int32_t ring_pos; /* next slot to write */
    int32_t *count;   /* (n_vocab); NULL when penalties are off */
    /* Candidates of one step, struct of arrays, (n_vocab rounded up to BLOCK). */
    int32_t *cid;
    float *cl; /* logit */
    float *cw; /* tempered weight, 1 for the top token */
    /* Selection scratch, same shape. */
    int32_t *tid;
    float *tl, *tw;
};

/* ---- parameters ---------------------------------------------------------- */

void l1__sample_params_default(l1__sample_params *p) {
    memset(p, 0, sizeof *p);
    p->temperature = 0.6f;
    p->top_k = 0;
    p->top_p = 0.95f;
    p->min_p = 0.0f;
    p->repeat_penalty = 1.0f;
    p->presence_penalty = 0.0f;
    p->frequency_penalty = 0.0f;
    p->penalty_window = 64;
    p->seed = 0;
}

static l1_status check_range(const char *name, float v, float lo, float hi) {
    if (isnan(v)) return l1__error(L1_ERR_INVALID_ARG, "sampling: %s is NaN", name);
    if (!(v >= lo && v <= hi))
        return l1__error(L1_ERR_INVALID_ARG, "sampling: %s = %g is outside [%g, %g]", name, (double)v,
                         (double)lo, (double)hi);
    return L1_OK;
}

l1_status l1__sample_params_check(const l1__sample_params *p, int32_t n_vocab) {
    if (!p) return l1__error(L1_ERR_INVALID_ARG, "sampling: NULL parameters");
    if (n_vocab <= 0) return l1__error(L1_ERR_INVALID_ARG, "sampling: n_vocab = %d must be positive", (int)n_vocab);
    l1_status st;
    if ((st = check_range("temperature", p->temperature, 0.0f, FLT_MAX)) != L1_OK) return st;
    if ((st = check_range("top_p", p->top_p, 0.0f, 1.0f)) != L1_OK) return st;
    if ((st = check_range("min_p", p->min_p, 0.0f, 1.0f)) != L1_OK) return st;
    if (isnan(p->repeat_penalty) || !(p->repeat_penalty > 0.0f) || isinf(p->repeat_penalty))
        return l1__error(L1_ERR_INVALID_ARG, "sampling: repeat_penalty = %g must be positive and finite",
                         (double)p->repeat_penalty);
    if ((st = check_range("presence_penalty", p->presence_penalty, -FLT_MAX, FLT_MAX)) != L1_OK) return st;
    if ((st = check_range("frequency_penalty", p->frequency_penalty, -FLT_MAX, FLT_MAX)) != L1_OK) return st;
    if (p->top_k < 0) return l1__error(L1_ERR_INVALID_ARG, "sampling: top_k = %d is negative", (int)p->top_k);
    if (p->penalty_window < 0 || p->penalty_window > L1__SAMPLE_MAX_PENALTY_WINDOW)
        return l1__error(L1_ERR_INVALID_ARG, "sampling: penalty_window = %d is outside [0, %d]",
                         (int)p->penalty_window, L1__SAMPLE_MAX_PENALTY_WINDOW);
    if ((st = l1__check_array("sampling", "bias", p->bias, p->n_bias, L1__SAMPLE_MAX_BIAS))) return st;
    for (int32_t i = 0; i < p->n_bias; i++) {
        if (p->bias[i].token < 0 || p->bias[i].token >= n_vocab)
            return l1__error(L1_ERR_INVALID_ARG, "sampling: bias[%d].token = %d is outside [0, %d)", (int)i,
                             (int)p->bias[i].token, (int)n_vocab);
        if (isnan(p->bias[i].bias))
            return l1__error(L1_ERR_INVALID_ARG, "sampling: bias[%d].bias is NaN", (int)i);
    }
    return L1_OK;
}

static bool penalties_active(const l1__sample_params *p) {
    return p->penalty_window > 0 &&
           (p->repeat_penalty != 1.0f || p->presence_penalty != 0.0f || p->frequency_penalty != 0.0f);
}

/* ---- RNG: xoshiro256**, seeded by splitmix64 ----------------------------- */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(uint64_t s[4]) {
    uint64_t r = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_uniform(uint64_t s[4]) { return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0); }

/* ---- life cycle ------------------------------------------------------------ */

void l1__sampler_copy_state(l1__sampler *dst, const l1__sampler *src) {
    memcpy(dst->rng, src->rng, sizeof dst->rng);
    dst->ring_len = src->ring_len;
    dst->ring_pos = src->ring_pos;
    if (dst->ring && src->ring) {
        memcpy(dst->ring, src->ring, (size_t)src->p.penalty_window * sizeof *dst->ring);
        memcpy(dst->count, src->count, (size_t)src->n_vocab * sizeof *dst->count);
    }
}

l1_status l1__sampler_clone(const l1__sampler *src, l1__sampler **out) {
    l1_status st = l1__sampler_create(&src->p, src->n_vocab, out); /* src->p.bias is src's own copy */
    if (st == L1_OK) l1__sampler_copy_state(*out, src);
    return st;
}

void l1__sampler_reset(l1__sampler *s) {
    if (!s) return;
    uint64_t x = s->p.seed;
    for (int i = 0; i < 4; i++) s->rng[i] = splitmix64(&x);
    if (s->count)
        for (int32_t i = 0; i < s->ring_len; i++) s->count[s->ring[i]] = 0;
    s->ring_len = 0;
    s->ring_pos = 0;
}

void l1__sampler_free(l1__sampler *s) {
    if (!s) return;
    void *const owned[] = {s->bias, s->ring, s->count, s->cid, s->cl, s->cw, s->tid, s->tl, s->tw, s};
    l1__free_each(owned, L1_ARRAY_LEN(owned));
}

l1_status l1__sampler_create(const l1__sample_params *p, int32_t n_vocab, l1__sampler **out) {
    if (!out) return l1__error(L1_ERR_INVALID_ARG, "sampling: NULL output pointer");
    *out = NULL;
    l1_status st = l1__sample_params_check(p, n_vocab);
    if (st != L1_OK) return st;
    l1__sampler *s = l1__calloc(1, sizeof *s);
    if (!s) return l1__error(L1_ERR_NOMEM, "sampling: out of memory for the sampler");
    s->p = *p;
    s->n_vocab = n_vocab;
    size_t ncand = ((size_t)n_vocab + BLOCK - 1) / BLOCK * BLOCK;
    bool ok = true;
    if (p->n_bias > 0) {
        s->bias = l1__malloc((size_t)p->n_bias * sizeof *s->bias);
        if (s->bias) memcpy(s->bias, p->bias, (size_t)p->n_bias * sizeof *s->bias);
        ok = ok && s->bias;
    }
    s->p.bias = s->bias;
    if (penalties_active(p)) {
        s->ring = l1__malloc((size_t)p->penalty_window * sizeof *s->ring);
        s->count = l1__calloc((size_t)n_vocab, sizeof *s->count);
        ok = ok && s->ring && s->count;
    }
    s->cid = l1__malloc(ncand * sizeof *s->cid);
    s->cl = l1__malloc(ncand * sizeof *s->cl);
    s->cw = l1__malloc(ncand * sizeof *s->cw);
    s->tid = l1__malloc(ncand * sizeof *s->tid);
    s->tl = l1__malloc(ncand * sizeof *s->tl);
    s->tw = l1__malloc(ncand * sizeof *s->tw);
    ok = ok && s->cid && s->cl && s->cw && s->tid && s->tl && s->tw;
    if (!ok) {
        l1__sampler_free(s);
        return l1__error(L1_ERR_NOMEM, "sampling: out of memory for %d-token scratch", (int)n_vocab);
    }
    l1__sampler_reset(s);
    *out = s;
    return L1_OK;
}

void l1__sampler_accept(l1__sampler *s, l1_token token) {
    if (!s || !s->count || token < 0 || token >= s->n_vocab) return;
    int32_t window = s->p.penalty_window;
    if (s->ring_len == window) {
        s->count[s->ring[s->ring_pos]]--;
    } else {
        s->ring_len++;
    }
    s->ring[s->ring_pos] = token;
    s->count[token]++;
    s->ring_pos = s->ring_pos + 1 == window ? 0 : s->ring_pos + 1;
}

/* ---- chain stages ------------------------------------------------------------ */

static void apply_bias(const l1__sampler *s, float *logits) {
    for (int32_t i = 0; i < s->p.n_bias; i++) logits[s->bias[i].token] += s->bias[i].bias;
}

/* Each distinct token of the window is penalised once, with its count.  A
 * token is marked done by negating its count, and the marks are undone after
 * the pass, so no per-step set is needed. */
static void apply_penalties(l1__sampler *s, float *logits) {
    if (!s->count) return;
    const float rep = s->p.repeat_penalty, pres = s->p.presence_penalty, freq = s->p.frequency_penalty;
    for (int32_t i = 0; i < s->ring_len; i++) {
        l1_token t = s->ring[i];
        int32_t c = s->count[t];
        if (c <= 0) continue;
        float l = logits[t];
        l = l > 0.0f ? l / rep : l * rep;
        logits[t] = l - (float)c * freq - pres;
        s->count[t] = -c;
    }
    for (int32_t i = 0; i < s->ring_len; i++) {
        l1_token t = s->ring[i];
        if (s->count[t] < 0) s->count[t] = -s->count[t];
    }
}

typedef struct scan {
    float max;
    int32_t n_posinf;
} scan;

/* NaN -> -inf in place; the maximum and the number of +inf entries.  Eight
 * independent lanes so that the block loop vectorises. */
static scan sanitize(float *logits, int32_t n) {
    float m8[BLOCK];
    int32_t c8[BLOCK];
    for (int j = 0; j < BLOCK; j++) {
        m8[j] = -INFINITY;
        c8[j] = 0;
    }
    int32_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK) {
        for (int j = 0; j < BLOCK; j++) {
            float v = logits[i + j];
            v = v == v ? v : -INFINITY;
            logits[i + j] = v;
            m8[j] = v > m8[j] ? v : m8[j];
            c8[j] += v == INFINITY;
        }
    }
    for (; i < n; i++) {
        float v = logits[i];
        v = v == v ? v : -INFINITY;
        logits[i] = v;
        m8[0] = v > m8[0] ? v : m8[0];
        c8[0] += v == INFINITY;
    }
    scan r = {-INFINITY, 0};
    for (int j = 0; j < BLOCK; j++) {
        r.max = m8[j] > r.max ? m8[j] : r.max;
        r.n_posinf += c8[j];
    }
    return r;
}

/* The lowest i with l[i] == v (v occurs); whole blocks are tested first. */
static int32_t first_index_of(const float *l, int32_t n, float v) {
    int32_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK) {
        int hit = 0;
        for (int j = 0; j < BLOCK; j++) hit |= l[i + j] == v;
        if (hit) break;
    }
    for (; i < n; i++)
        if (l[i] == v) return i;
    return 0;
}

/* Polynomial e^x for -87 <= x <= 0: x = k ln2 + r with |r| <= ln2/2, e^r
 * by its Taylor series to degree 6 (truncation below 1.2e-7 relative), 2^k
 * by adding k to the exponent field (k >= -126 keeps the result normal).
 * The caller clamps x: a clamp inside keeps GCC from vectorising the loop. */
static inline float exp_clamped(float x) {
    const float shifter = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    union {
        float f;
        uint32_t u;
    } t = {x * 1.44269504088896341f + shifter}, q;
    float k = t.f - shifter;
    float r = x - k * 0.693145751953125f; /* ln2, high 16 bits: k * it is exact */
    r = r - k * 1.42860682030941723e-6f;  /* ln2, the rest */
    q.f = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
    q.u += (t.u - 0x4B400000u) << 23; /* low bits of t hold k (two's complement) */
    return q.f;
}

static inline float clamp_exp_arg(float x) { return x > -87.0f ? x : -87.0f; }

float l1__sample_exp(float x) { return exp_clamped(clamp_exp_arg(x)); }

/* cw[i] = e^((cl[i] - max) / temp) for i < n, n rounded up to BLOCK (the
 * padding holds harmless values).  Two loops of fixed blocks, each of which
 * GCC vectorises at -O2. */
static void weights(float *restrict cw, const float *restrict cl, int32_t n, float max, float temp) {
    for (int32_t i = 0; i < n; i += BLOCK)
        for (int j = 0; j < BLOCK; j++) cw[i + j] = clamp_exp_arg((cl[i + j] - max) / temp);
    for (int32_t i = 0; i < n; i += BLOCK)
        for (int j = 0; j < BLOCK; j++) cw[i + j] = exp_clamped(cw[i + j]);
}

/* ---- selection ------------------------------------------------------------ */

/* The chain's total order is "higher logit first, lower id first among
 * equal logits".  order_key maps a logit to an unsigned key that sorts
 * ascending in that order (-0 counts as +0, since they compare equal);
 * candidates are gathered in ascending id order and every rearrangement
 * below is stable, so equal keys stay in id order. */
static inline uint32_t order_key(float l) {
    union {
        float f;
        uint32_t u;
    } v = {l == 0.0f ? 0.0f : l};
    uint32_t ascending = (v.u & 0x80000000u) ? ~v.u : (v.u | 0x80000000u);
    return ~ascending;
}

#define RADIX 256
#define LANES 4

/* Per-byte histograms of [lo, hi): count and weight of each value of
 * (key >> shift) & 255.  LANES interleaved copies break the store-to-load
 * chains that a run of equal digits would otherwise make. */
static void histogram(const l1__sampler *s, int32_t lo, int32_t hi, int shift, int32_t cnt[RADIX],
                      double mass[RADIX]) {
    int32_t c[LANES][RADIX];
    double m[LANES][RADIX];
    memset(c, 0, sizeof c);
    memset(m, 0, sizeof m);
    int32_t i = lo;
    for (; i + LANES <= hi; i += LANES)
        for (int j = 0; j < LANES; j++) {
            uint32_t d = (order_key(s->cl[i + j]) >> shift) & (RADIX - 1);
            c[j][d]++;
            m[j][d] += s->cw[i + j];
        }
    for (; i < hi; i++) {
        uint32_t d = (order_key(s->cl[i]) >> shift) & (RADIX - 1);
        c[0][d]++;
        m[0][d] += s->cw[i];
    }
    for (int d = 0; d < RADIX; d++) {
        cnt[d] = c[0][d] + c[1][d] + c[2][d] + c[3][d];
        mass[d] = ((m[0][d] + m[1][d]) + m[2][d]) + m[3][d];
    }
}

/* Keeps, stably, the elements of [lo, hi) whose digit is below `bound`
 * followed by those equal to it; the rest are dropped. */
static void keep_below_and_at(l1__sampler *s, int32_t lo, int32_t hi, int shift, uint32_t bound,
                              int32_t n_below) {
    int32_t pb = 0, pa = n_below;
    for (int32_t i = lo; i < hi; i++) {
        uint32_t d = (order_key(s->cl[i]) >> shift) & (RADIX - 1);
        if (d > bound) continue;
        int32_t k = d < bound ? pb++ : pa++;
        s->tid[k] = s->cid[i];
        s->tl[k] = s->cl[i];
        s->tw[k] = s->cw[i];
    }
    memcpy(s->cid + lo, s->tid, (size_t)pa * sizeof *s->cid);
    memcpy(s->cl + lo, s->tl, (size_t)pa * sizeof *s->cl);
    memcpy(s->cw + lo, s->tw, (size_t)pa * sizeof *s->cw);
}

/* Stable insertion sort of [lo, hi) by key: with ids ascending on entry
 * (gathering and compaction keep id order) the range ends in the chain's
 * order.  For the few elements radix levels are not worth. */
#define SMALL 32
static void sort_small(l1__sampler *s, int32_t lo, int32_t hi) {
    for (int32_t i = lo + 1; i < hi; i++) {
        int32_t id = s->cid[i];
        float l = s->cl[i], w = s->cw[i];
        uint32_t k = order_key(l);
        int32_t j = i;
        for (; j > lo && order_key(s->cl[j - 1]) > k; j--) {
            s->cid[j] = s->cid[j - 1];
            s->cl[j] = s->cl[j - 1];
            s->cw[j] = s->cw[j - 1];
        }
        s->cid[j] = id;
        s->cl[j] = l;
        s->cw[j] = w;
    }
}

/* The shortest prefix of [0, n) in the chain's order whose size (by_mass
 * false) or weight (true) reaches `need` is moved to [0, L); returns L,
 * at least 1.  MSD radix selection, one byte of the key per level: each
 * level keeps whole the digits before the boundary digit and descends into
 * the boundary digit only; after four levels the rest share one logit and
 * are in id order.  Once at most SMALL remain they are sorted instead. */
static int32_t select_prefix(l1__sampler *s, int32_t n, double need, bool by_mass) {
    int32_t lo = 0, hi = n;
    double acc = 0.0; /* size or weight of [0, lo), all kept */
    int32_t cnt[RADIX];
    double mass[RADIX];
    for (int shift = 24; shift >= 0 && hi - lo > 1; shift -= 8) {
        if (hi - lo <= SMALL) {
            sort_small(s, lo, hi);
            break;
        }
        histogram(s, lo, hi, shift, cnt, mass);
        double run = acc;
        int32_t n_below = 0;
        uint32_t d = 0;
        for (; d < RADIX; d++) {
            if (cnt[d] == 0) continue;
            double v = by_mass ? mass[d] : (double)cnt[d];
            if (run + v >= need) break;
            run += v;
            n_below += cnt[d];
        }
        if (d == RADIX) return hi; /* rounding left `need` out of reach: keep all */
        keep_below_and_at(s, lo, hi, shift, d, n_below);
        acc = run;
        lo += n_below;
        hi = lo + cnt[d];
    }
    for (int32_t i = lo; i < hi; i++) {
        acc += by_mass ? (double)s->cw[i] : 1.0;
        if (acc >= need) return i + 1;
    }
    return hi > 0 ? hi : 1;
}

/* ---- the step --------------------------------------------------------------- */

/* The sum of w[0..n) in double, in BLOCK fixed lanes (vectorisable, and
 * the same order on every run). */
static double sum_weights(const float *w, int32_t n) {
    double acc[BLOCK] = {0};
    int32_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK)
        for (int j = 0; j < BLOCK; j++) acc[j] += w[i + j];
    double total = 0.0;
    for (int j = 0; j < BLOCK; j++) total += acc[j];
    for (; i < n; i++) total += w[i];
    return total;
}

/* Draws among [0, n) with the candidates' weights.  The cumulative sum
 * runs over blocks of DRAW_BLOCK (each summed in vector lanes) and then
 * inside one block, so a long kept set costs no long serial chain; both
 * passes sum the blocks identically. */
#define DRAW_BLOCK 256
static l1_token draw(l1__sampler *s, int32_t n) {
    double total = 0.0;
    for (int32_t b = 0; b < n; b += DRAW_BLOCK)
        total += sum_weights(s->cw + b, n - b < DRAW_BLOCK ? n - b : DRAW_BLOCK);
    double r = rng_uniform(s->rng) * total, cum = 0.0;
    for (int32_t b = 0; b < n; b += DRAW_BLOCK) {
        int32_t m = n - b < DRAW_BLOCK ? n - b : DRAW_BLOCK;
        double bs = sum_weights(s->cw + b, m);
        if (cum + bs > r) {
            for (int32_t i = b; i < b + m; i++) {
                cum += s->cw[i];
                if (cum > r) return s->cid[i];
            }
            return s->cid[b + m - 1];
        }
        cum += bs;
    }
    return s->cid[n - 1];
}

/* Every +inf token gets the same weight; the filters have nothing to choose. */
static l1_token draw_posinf(l1__sampler *s, const float *logits, int32_t n_vocab) {
    int32_t n = 0;
    for (int32_t i = 0; i < n_vocab; i++)
        if (logits[i] == INFINITY) {
            s->cid[n] = i;
            s->cw[n++] = 1.0f;
        }
    return draw(s, n);
}

/* The ladder of candidate thresholds on x = (l - max) / T, highest first:
 * the last rung is the cut-off of sample.h, ln(2^-24 / n_vocab) (at most
 * -16.6, so the rungs decrease).  The step gathers only the tokens above the
 * highest rung whose tokens are sure to contain everything the filters can
 * keep; on a typical step that is a few dozen tokens, not the vocabulary. */
#define RUNGS 2

typedef struct ladder {
    float x[RUNGS];
    double z[RUNGS];   /* sum of e^x over tokens with x >= x[k] */
    int32_t c[RUNGS];  /* how many tokens that is */
} ladder;

static inline float tempered(float l, float max, float temp) { return clamp_exp_arg((l - max) / temp); }

/* One vectorised pass over the vocabulary filling z and c of every rung.
 * Float lanes are summed over chunks of CHUNK blocks and flushed into
 * double lanes, so each z is within about 1e-5 (relative) of exact; the
 * step uses z only to pick a rung (with a margin) and for the weight below
 * the chosen rung, which is small. */
#define CHUNK 64
static void climb(const float *logits, int32_t n, float max, float temp, ladder *ld) {
    double z[RUNGS][BLOCK] = {{0}};
    int32_t c[RUNGS][BLOCK] = {{0}};
    float xb[BLOCK], wb[BLOCK];
    int32_t i = 0;
    while (i + BLOCK <= n) {
        float zf[RUNGS][BLOCK] = {{0}};
        for (int b = 0; b < CHUNK && i + BLOCK <= n; b++, i += BLOCK) {
            for (int j = 0; j < BLOCK; j++) xb[j] = tempered(logits[i + j], max, temp);
            for (int j = 0; j < BLOCK; j++) wb[j] = exp_clamped(xb[j]);
            for (int k = 0; k < RUNGS; k++)
                for (int j = 0; j < BLOCK; j++) {
                    bool in = xb[j] >= ld->x[k];
                    zf[k][j] += in ? wb[j] : 0.0f;
                    c[k][j] += in;
                }
        }
        for (int k = 0; k < RUNGS; k++)
            for (int j = 0; j < BLOCK; j++) z[k][j] += zf[k][j];
    }
    for (; i < n; i++) {
        float x = tempered(logits[i], max, temp), w = exp_clamped(x);
        for (int k = 0; k < RUNGS; k++)
            if (x >= ld->x[k]) {
                z[k][0] += w;
                c[k][0]++;
            }
    }
    for (int k = 0; k < RUNGS; k++) {
        ld->z[k] = 0.0;
        ld->c[k] = 0;
        for (int j = 0; j < BLOCK; j++) {
            ld->z[k] += z[k][j];
            ld->c[k] += c[k][j];
        }
    }
}

/* The highest rung that holds everything the filters can keep.  Threshold
 * sets are prefixes of the chain's order, so: top-k needs >= k tokens above
 * the rung; else top-p needs the weight above it to reach p of the total
 * (with a 1e-4 margin for the ladder's rounding); else min-p needs the rung's
 * weight e^x to lie below min_p.  With no filter every candidate can be
 * drawn: the last rung. */
static int pick_rung(const l1__sample_params *p, const ladder *ld) {
    const int last = RUNGS - 1;
    for (int k = 0; k < last; k++) {
        bool ok;
        if (p->top_k > 0 && p->top_k < ld->c[last]) ok = ld->c[k] >= p->top_k;
        else if (p->top_p < 1.0f) ok = ld->z[k] >= (double)p->top_p * ld->z[last] * (1.0 + 1e-4);
        else if (p->min_p > 0.0f) ok = (double)p->min_p > exp((double)ld->x[k]);
        else ok = false;
        if (ok) return k;
    }
    return last;
}

/* Gathers, in id order, the tokens with x >= xmin; blocks of BLOCK with no
 * such token are skipped after one vectorised test. */
static int32_t gather(l1__sampler *s, const float *logits, float max, float temp, float xmin) {
    const int32_t n_vocab = s->n_vocab;
    float xb[BLOCK];
    int32_t n = 0, i = 0;
    for (; i < n_vocab; i += BLOCK) {
        int32_t m = n_vocab - i < BLOCK ? n_vocab - i : BLOCK;
        if (m == BLOCK) {
            int hit = 0;
            for (int j = 0; j < BLOCK; j++) {
                xb[j] = tempered(logits[i + j], max, temp);
                hit |= xb[j] >= xmin;
            }
            if (!hit) continue;
        } else {
            for (int j = 0; j < m; j++) xb[j] = tempered(logits[i + j], max, temp);
        }
        for (int j = 0; j < m; j++) {
            s->cid[n] = i + j;
            s->cl[n] = logits[i + j];
            n += xb[j] >= xmin;
        }
    }
    for (int32_t k = n; k % BLOCK; k++) s->cl[k] = max; /* padding for the weight blocks */
    return n;
}

l1_status l1__sampler_sample(l1__sampler *s, float *logits, l1_token *out) {
    if (!s || !logits || !out) return l1__error(L1_ERR_INVALID_ARG, "sampling: NULL argument");
    const l1__sample_params *p = &s->p;
    apply_bias(s, logits);
    apply_penalties(s, logits);
    scan sc = sanitize(logits, s->n_vocab);
    if (sc.max == -INFINITY)
        return l1__error(L1_ERR_NUMERIC, "sampling: all %d logits are -inf or NaN", (int)s->n_vocab);
    if (p->temperature == 0.0f || p->top_k == 1) {
        *out = first_index_of(logits, s->n_vocab, sc.max);
        return L1_OK;
    }
    if (sc.n_posinf > 0) {
        *out = draw_posinf(s, logits, s->n_vocab);
        return L1_OK;
    }
    ladder ld = {{-8.0f, (float)log(0x1p-24 / (double)s->n_vocab)}, {0}, {0}};
    climb(logits, s->n_vocab, sc.max, p->temperature, &ld);
    int rung = pick_rung(p, &ld);
    int32_t n = gather(s, logits, sc.max, p->temperature, ld.x[rung]);
    weights(s->cw, s->cl, n, sc.max, p->temperature);
    /* top-p weighs against the whole distribution: the gathered weight,
     * summed exactly, plus the small weight below the rung from the ladder;
     * after top-k, against the top-k set. */
    double total = sum_weights(s->cw, n) + (ld.z[RUNGS - 1] - ld.z[rung]);
    if (p->top_k > 0 && p->top_k < n) {
        n = select_prefix(s, n, (double)p->top_k, false);
        total = sum_weights(s->cw, n);
    }
    if (p->top_p < 1.0f && n > 1) n = select_prefix(s, n, (double)p->top_p * total, true);
    if (p->min_p > 0.0f) {
        /* The top token's weight is exactly 1, so p_i >= min_p * p_max is
         * w_i >= min_p; compacting keeps the order. */
        int32_t k = 0;
        for (int32_t i = 0; i < n; i++)
            if (s->cw[i] >= p->min_p) {
                s->cid[k] = s->cid[i];
                s->cl[k] = s->cl[i];
                s->cw[k++] = s->cw[i];
            }
        n = k;
    }
    *out = draw(s, n);
    return L1_OK;
}
