/*
 * parity_ops.c - each operation of l1's forward pass against the reference
 * CPU backend's, on identical inputs, one op at a time.
 *
 * The model-level comparison (parity_forward.c) can only say that logits
 * differ; this program says which op differs and for which weight type and
 * batch size.  Tiny ggml graphs are built and run on the reference CPU
 * backend exactly as llama.cpp would run them: a weight whose type the
 * backend repacks into an interleaved layout (its "CPU_REPACK" buffer type,
 * with its own GEMV/GEMM kernels and activation quantizers) is placed in
 * that buffer type, so those kernels are the ones measured.  l1 computes the
 * same op with its kernel table (l1__kernels_get: activation quantizer, dot
 * product, matmul) and the two are compared relative to the result's RMS.
 *
 * What agreement to expect: l1 rounds every input as the reference does, so
 * the only differences left are summation orders, of order 1e-7 relative.
 * A semantic difference (an activation rounded differently, a scale
 * applied in another precision) shows as 1e-4 .. 1e-2, far above the bounds
 * used here.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ref.h"

#include "base/base.h"
#include "base/fp16.h"
#include "kernels/kernels.h"
#include "kernels/matmul.h"
#include "quant/quant.h"
#include "gguf/types.h"

/* Bound on max |l1 - reference| / rms(reference): a few float roundings of
 * a sum, with room for the summation order. */
#define MATMUL_RTOL 2e-5
#define ELEMENTWISE_RTOL 1e-6

static ggml_backend_t g_cpu;
static ggml_backend_buffer_type_t g_repack; /* NULL when the backend has none */

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static float frand(void) { /* uniform in [-1, 1) */
    g_rng ^= g_rng << 13, g_rng ^= g_rng >> 7, g_rng ^= g_rng << 17;
    return (float)(g_rng >> 40) * (1.0f / 8388608.0f) - 1.0f;
}

/* A small graph context: tensors described first, then allocated. */
static struct ggml_context *new_ctx(void) {
    struct ggml_init_params ip = {ggml_tensor_overhead() * 64 + ggml_graph_overhead() + 4096, NULL,
                                  true};
    struct ggml_context *c = ggml_init(ip);
    assert_non_null(c);
    return c;
}

static void compute(struct ggml_context *c, struct ggml_tensor *out) {
    struct ggml_cgraph *gf = ggml_new_graph(c);
    ggml_build_forward_expand(gf, out);
    assert_int_equal(ggml_backend_graph_compute(g_cpu, gf), GGML_STATUS_SUCCESS);
}

/* max |a - b| / rms(a) over n values. */
static double rel_err(const float *a, const float *b, int64_t n) {
    double ss = 0, md = 0;
    for (int64_t i = 0; i < n; i++) {
        ss += (double)a[i] * a[i];
        md = fmax(md, fabs((double)a[i] - b[i]));
    }
    return ss > 0 ? md / sqrt(ss / (double)n) : md;
}

/* ---- matmul ---------------------------------------------------------------------------- */

/* Places weight w in the repack buffer type when the backend repacks its
 * type (the buffer's init leaves tensor->extra NULL otherwise), else in an
 * ordinary CPU buffer.  Returns the buffer; *repacked says which. */
static ggml_backend_buffer_t alloc_weight(struct ggml_tensor *w, int *repacked) {
    *repacked = 0;
    if (g_repack) {
        ggml_backend_buffer_t b = ggml_backend_buft_alloc_buffer(g_repack, ggml_nbytes(w) + 64);
        assert_non_null(b);
        w->extra = NULL;
        assert_int_equal(ggml_backend_tensor_alloc(b, w, ggml_backend_buffer_get_base(b)),
                         GGML_STATUS_SUCCESS);
        if (w->extra) {
            *repacked = 1;
            return b;
        }
        w->buffer = NULL;
        w->data = NULL;
        ggml_backend_buffer_free(b);
    }
    ggml_backend_buffer_t b =
        ggml_backend_buft_alloc_buffer(ggml_backend_get_default_buffer_type(g_cpu), ggml_nbytes(w) + 64);
    assert_non_null(b);
    assert_int_equal(ggml_backend_tensor_alloc(b, w, ggml_backend_buffer_get_base(b)),
                     GGML_STATUS_SUCCESS);
    return b;
}

/* l1's product of the weight rows (type t, k values each) with n_tok f32
 * inputs, through the kernel table as forward.c calls it. */
static void l1_matmul(uint32_t t, const void *w, int64_t rows, int64_t k, const float *x,
                      int64_t n_tok, float *y) {
    const l1__kernels *kern = l1__kernels_get();
    const l1__quant_traits *qt = l1__quant_traits_get(t);
    const l1__quant_traits *vt = l1__quant_traits_get(qt->vec_dot_type);
    const size_t wrow = (size_t)(k / qt->block_size) * qt->type_size;
    const void *xin = x;
    size_t stride = (size_t)k * sizeof(float);
    uint8_t *xq = NULL;
    if (qt->vec_dot_type != L1_TYPE_F32) {
        stride = (size_t)(k / vt->block_size) * vt->type_size;
        xq = malloc(stride * (size_t)n_tok);
        for (int64_t i = 0; i < n_tok; i++)
            kern->act_quant[qt->vec_dot_type](x + i * k, xq + (size_t)i * stride, k);
        xin = xq;
    }
    const l1__matmul_op op = {kern, t, w, wrow, rows, k, xin, stride, y, rows, NULL, 0};
    l1__matmul(NULL, &op, 1, n_tok);
    free(xq);
}

typedef struct mm_case {
    uint32_t type;
    int64_t k;
} mm_case;

/* One weight type and size at every batch size; returns the worst error. */
static double matmul_case(const mm_case *mc, int *repacked) {
    static const int64_t n_toks[] = {1, 2, 7, 64, 300};
    const int64_t rows = 64, k = mc->k, nmax = 300;
    float *wf = malloc((size_t)(rows * k) * sizeof(float));
    float *x = malloc((size_t)(nmax * k) * sizeof(float));
    float *y = malloc((size_t)(nmax * rows) * sizeof(float));
    for (int64_t i = 0; i < rows * k; i++) wf[i] = frand() / 16;
    for (int64_t i = 0; i < nmax * k; i++) x[i] = frand() * (1 + (i % 7 == 0)); /* some spread */
    const size_t wbytes = ggml_row_size((enum ggml_type)mc->type, k) * (size_t)rows;
    void *wq = malloc(wbytes);
    ggml_quantize_init((enum ggml_type)mc->type);
    if (mc->type == L1_TYPE_F32)
        memcpy(wq, wf, wbytes);
    else
        ggml_quantize_chunk((enum ggml_type)mc->type, wf, wq, 0, rows, k, NULL);
    double worst = 0;
    for (size_t ni = 0; ni < L1_ARRAY_LEN(n_toks); ni++) {
        const int64_t n = n_toks[ni];
        struct ggml_context *c = new_ctx();
        struct ggml_tensor *w = ggml_new_tensor_2d(c, (enum ggml_type)mc->type, k, rows);
        struct ggml_tensor *xt = ggml_new_tensor_2d(c, GGML_TYPE_F32, k, n);
        struct ggml_tensor *out = ggml_mul_mat(c, w, xt);
        ggml_backend_buffer_t wb = alloc_weight(w, repacked);
        ggml_backend_buffer_t ab = ggml_backend_alloc_ctx_tensors(c, g_cpu);
        assert_non_null(ab);
        ggml_backend_tensor_set(w, wq, 0, wbytes);
        ggml_backend_tensor_set(xt, x, 0, (size_t)(n * k) * sizeof(float));
        compute(c, out);
        float *ref = malloc((size_t)(n * rows) * sizeof(float));
        ggml_backend_tensor_get(out, ref, 0, (size_t)(n * rows) * sizeof(float));
        l1_matmul(mc->type, wq, rows, k, x, n, y);
        const double e = rel_err(ref, y, n * rows);
        if (getenv("L1_PARITY_VERBOSE"))
            printf("    %-7s k=%-4lld n=%-3lld rel err %.3g\n", l1__type_name(mc->type),
                   (long long)k, (long long)n, e);
        worst = fmax(worst, e);
        free(ref);
        ggml_backend_buffer_free(ab);
        ggml_backend_buffer_free(wb);
        ggml_free(c);
    }
    free(wq);
    free(wf);
    free(x);
    free(y);
    return worst;
}

static void matmul_matches_reference_for_every_weight_type_and_batch(void **state) {
    (void)state;
    static const mm_case cases[] = {
        {L1_TYPE_F32, 512},  {L1_TYPE_F16, 512},  {L1_TYPE_BF16, 512}, {L1_TYPE_Q8_0, 512},
        {L1_TYPE_Q4_0, 512}, {L1_TYPE_Q4_1, 512}, {L1_TYPE_Q5_0, 512}, {L1_TYPE_Q5_1, 512},
        {L1_TYPE_Q2_K, 512}, {L1_TYPE_Q3_K, 512}, {L1_TYPE_Q4_K, 512}, {L1_TYPE_Q5_K, 512},
        {L1_TYPE_Q6_K, 512}, {L1_TYPE_IQ4_XS, 512}, {L1_TYPE_IQ4_NL, 512},
        /* n_ff not a multiple of 256 (legacy types only) */
        {L1_TYPE_Q8_0, 352}, {L1_TYPE_Q4_0, 352}, {L1_TYPE_Q5_1, 352}, {L1_TYPE_IQ4_NL, 352},
    };
    int fails = 0;
    printf("| weight | k | reference kernel | max rel err (n = 1, 2, 7, 64, 300) |\n|---|---|---|---|\n");
    for (size_t i = 0; i < L1_ARRAY_LEN(cases); i++) {
        if (!l1__quant_traits_get(cases[i].type)) continue;
        int repacked = 0;
        const double e = matmul_case(&cases[i], &repacked);
        printf("| %s | %lld | %s | %.3g %s|\n", l1__type_name(cases[i].type),
               (long long)cases[i].k, repacked ? "repacked" : "plain", e,
               e <= MATMUL_RTOL ? "" : "FAIL ");
        fails += !(e <= MATMUL_RTOL);
    }
    fflush(stdout);
    assert_int_equal(fails, 0);
}

/* ---- elementwise and attention ops ------------------------------------------------------ */

static void rmsnorm_times_weight_matches_reference(void **state) {
    (void)state;
    const int64_t n = 256, rows = 7;
    const float eps = 1e-6f;
    float x[256 * 7], w[256], y[256 * 7], ref[256 * 7];
    for (int64_t i = 0; i < n * rows; i++) x[i] = frand() * 3;
    for (int64_t i = 0; i < n; i++) w[i] = 1 + 0.2f * frand();
    struct ggml_context *c = new_ctx();
    struct ggml_tensor *xt = ggml_new_tensor_2d(c, GGML_TYPE_F32, n, rows);
    struct ggml_tensor *wt = ggml_new_tensor_1d(c, GGML_TYPE_F32, n);
    struct ggml_tensor *out = ggml_mul(c, ggml_rms_norm(c, xt, eps), wt);
    ggml_backend_buffer_t b = ggml_backend_alloc_ctx_tensors(c, g_cpu);
    ggml_backend_tensor_set(xt, x, 0, sizeof x);
    ggml_backend_tensor_set(wt, w, 0, sizeof w);
    compute(c, out);
    ggml_backend_tensor_get(out, ref, 0, sizeof ref);
    for (int64_t r = 0; r < rows; r++) l1__kernels_get()->rmsnorm(y + r * n, x + r * n, w, n, eps);
    const double e = rel_err(ref, y, n * rows);
    printf("rms_norm * w: max rel err %.3g\n", e);
    assert_true(e <= ELEMENTWISE_RTOL);
    ggml_backend_buffer_free(b);
    ggml_free(c);
}

static void rope_neox_matches_reference_far_from_position_zero(void **state) {
    (void)state;
    enum { HD = 128, NH = 2, NT = 5 };
    const float base = 10000.0f;
    const int32_t pos[NT] = {0, 1, 77, 1000, 4000};
    float x[HD * NH * NT], y[HD * NH * NT], ref[HD * NH * NT], cs[HD / 2], sn[HD / 2];
    for (int i = 0; i < HD * NH * NT; i++) x[i] = frand();
    struct ggml_context *c = new_ctx();
    struct ggml_tensor *xt = ggml_new_tensor_3d(c, GGML_TYPE_F32, HD, NH, NT);
    struct ggml_tensor *pt = ggml_new_tensor_1d(c, GGML_TYPE_I32, NT);
    struct ggml_tensor *out = ggml_rope_ext(c, xt, pt, NULL, HD, GGML_ROPE_TYPE_NEOX, 0, base, 1.0f,
                                            0.0f, 1.0f, 0.0f, 0.0f);
    ggml_backend_buffer_t b = ggml_backend_alloc_ctx_tensors(c, g_cpu);
    ggml_backend_tensor_set(xt, x, 0, sizeof x);
    ggml_backend_tensor_set(pt, pos, 0, sizeof pos);
    compute(c, out);
    ggml_backend_tensor_get(out, ref, 0, sizeof ref);
    memcpy(y, x, sizeof x);
    for (int t = 0; t < NT; t++) {
        l1__rope_angles(pos[t], HD, base, cs, sn);
        l1__kernels_get()->rope_neox(y + t * HD * NH, NH, HD, cs, sn);
    }
    const double e = rel_err(ref, y, HD * NH * NT);
    printf("rope_ext NEOX: max rel err %.3g\n", e);
    assert_true(e <= ELEMENTWISE_RTOL);
    ggml_backend_buffer_free(b);
    ggml_free(c);
}

static void swiglu_matches_reference(void **state) {
    (void)state;
    enum { N = 352 * 3 };
    float g[N], u[N], y[N], ref[N];
    for (int i = 0; i < N; i++) g[i] = 4 * frand(), u[i] = 2 * frand();
    struct ggml_context *c = new_ctx();
    struct ggml_tensor *gt = ggml_new_tensor_2d(c, GGML_TYPE_F32, 352, 3);
    struct ggml_tensor *ut = ggml_new_tensor_2d(c, GGML_TYPE_F32, 352, 3);
    struct ggml_tensor *out = ggml_swiglu_split(c, gt, ut);
    ggml_backend_buffer_t b = ggml_backend_alloc_ctx_tensors(c, g_cpu);
    ggml_backend_tensor_set(gt, g, 0, sizeof g);
    ggml_backend_tensor_set(ut, u, 0, sizeof u);
    compute(c, out);
    ggml_backend_tensor_get(out, ref, 0, sizeof ref);
    l1__kernels_get()->swiglu(y, g, u, N);
    const double e = rel_err(ref, y, N);
    printf("swiglu: max rel err %.3g\n", e);
    assert_true(e <= ELEMENTWISE_RTOL);
    ggml_backend_buffer_free(b);
    ggml_free(c);
}

/* Causal GQA flash attention over an F16 cache, n_tok queries appended after
 * p0 cached positions, as llama.cpp builds it; l1 runs its attention kernel
 * in the mode forward.c picks for a step of n_tok tokens. */
static double attention_case(int64_t n_tok, int64_t p0) {
    enum { HD = 128, NH = 2, NKV = 1 };
    const int64_t n_kv = p0 + n_tok, pad = 64;
    const int64_t n_kv_pad = (n_kv + pad - 1) / pad * pad;
    float *q = malloc(sizeof(float) * HD * NH * (size_t)n_tok);
    uint16_t *k = malloc(sizeof(uint16_t) * HD * NKV * (size_t)n_kv_pad);
    uint16_t *v = malloc(sizeof(uint16_t) * HD * NKV * (size_t)n_kv_pad);
    uint16_t *mask = malloc(sizeof(uint16_t) * (size_t)(n_kv_pad * n_tok));
    float *ref = malloc(sizeof(float) * HD * NH * (size_t)n_tok);
    float *y = malloc(sizeof(float) * HD * NH * (size_t)n_tok);
    for (int64_t i = 0; i < HD * NH * n_tok; i++) q[i] = 2 * frand();
    for (int64_t i = 0; i < HD * NKV * n_kv_pad; i++) k[i] = l1__f32_to_f16(2 * frand());
    for (int64_t i = 0; i < HD * NKV * n_kv_pad; i++) v[i] = l1__f32_to_f16(frand());
    for (int64_t t = 0; t < n_tok; t++)
        for (int64_t j = 0; j < n_kv_pad; j++)
            mask[t * n_kv_pad + j] = l1__f32_to_f16(j <= p0 + t ? 0.0f : -INFINITY);
    const float scale = 1.0f / sqrtf((float)HD);
    struct ggml_context *c = new_ctx();
    /* q: (HD, n_tok, NH); k, v: (HD, n_kv_pad, NKV); result (HD, NH, n_tok) */
    struct ggml_tensor *qt = ggml_new_tensor_3d(c, GGML_TYPE_F32, HD, n_tok, NH);
    struct ggml_tensor *kt = ggml_new_tensor_3d(c, GGML_TYPE_F16, HD, n_kv_pad, NKV);
    struct ggml_tensor *vt = ggml_new_tensor_3d(c, GGML_TYPE_F16, HD, n_kv_pad, NKV);
    struct ggml_tensor *mt = ggml_new_tensor_2d(c, GGML_TYPE_F16, n_kv_pad, n_tok);
    struct ggml_tensor *out = ggml_flash_attn_ext(c, qt, kt, vt, mt, scale, 0.0f, 0.0f);
    ggml_flash_attn_ext_set_prec(out, GGML_PREC_F32);
    ggml_backend_buffer_t b = ggml_backend_alloc_ctx_tensors(c, g_cpu);
    /* q arrives token-major (t, h, d) as l1 holds it; ggml wants (h, t, d). */
    float *qg = malloc(sizeof(float) * HD * NH * (size_t)n_tok);
    for (int64_t t = 0; t < n_tok; t++)
        for (int h = 0; h < NH; h++)
            memcpy(qg + ((size_t)h * n_tok + t) * HD, q + ((size_t)t * NH + h) * HD, HD * sizeof(float));
    ggml_backend_tensor_set(qt, qg, 0, sizeof(float) * HD * NH * (size_t)n_tok);
    ggml_backend_tensor_set(kt, k, 0, sizeof(uint16_t) * HD * (size_t)n_kv_pad);
    ggml_backend_tensor_set(vt, v, 0, sizeof(uint16_t) * HD * (size_t)n_kv_pad);
    ggml_backend_tensor_set(mt, mask, 0, sizeof(uint16_t) * (size_t)(n_kv_pad * n_tok));
    compute(c, out);
    ggml_backend_tensor_get(out, ref, 0, sizeof(float) * HD * NH * (size_t)n_tok);
    uint8_t work[4096];
    assert_true(l1__attn_work_bytes(HD) <= sizeof work);
    l1__attn_args a;
    a.k = k;
    a.v = v;
    a.row_stride = HD * sizeof(uint16_t);
    a.kv_type = L1_TYPE_F16;
    a.head_dim = HD;
    a.scale = scale;
    a.mode = n_tok >= 64 ? L1__ATTN_F32 : L1__ATTN_F16_ACC; /* as forward.c chooses */
    a.work = work;
    for (int64_t t = 0; t < n_tok; t++)
        for (int h = 0; h < NH; h++) {
            a.q = q + (t * NH + h) * HD;
            a.n_kv = p0 + t + 1;
            a.out = y + (t * NH + h) * HD;
            l1__kernels_get()->attention(&a);
        }
    const double e = rel_err(ref, y, HD * NH * n_tok);
    ggml_backend_buffer_free(b);
    ggml_free(c);
    free(q), free(k), free(v), free(mask), free(ref), free(y), free(qg);
    return e;
}

static void flash_attention_matches_reference_for_prefill_and_decode(void **state) {
    (void)state;
    /* (n_tok, p0): decode steps (f16 query and accumulator in both), short
     * and tiled prefills (f32). */
    static const int64_t cases[][2] = {{1, 0}, {1, 40}, {1, 300}, {7, 0}, {7, 50}, {64, 0}, {300, 0}};
    int fails = 0;
    for (size_t i = 0; i < L1_ARRAY_LEN(cases); i++) {
        const double e = attention_case(cases[i][0], cases[i][1]);
        /* Short steps accumulate in f16, rounding each update to 11 bits.
         * l1 takes its scores in the AVX-512 backend's order, so on such a
         * host the two are identical; another backend variant may move an
         * f16 rounding by one ulp, hence a few f16 ulps of room.  Tiled
         * steps are f32 with the reference's own exp(): float noise. */
        const double tol = cases[i][0] >= 64 ? 1e-5 : 4e-3;
        printf("flash_attn_ext n_tok=%lld p0=%lld: max rel err %.3g%s\n", (long long)cases[i][0],
               (long long)cases[i][1], e, e <= tol ? "" : " FAIL");
        fails += !(e <= tol);
    }
    assert_int_equal(fails, 0);
}

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

int main(void) {
    ggml_log_set(quiet, NULL);
    l1ref_load_backends();
    g_cpu = ggml_backend_init_by_type(GGML_BACKEND_DEVICE_TYPE_CPU, NULL);
    if (!g_cpu) {
        fprintf(stderr, "parity_ops: no reference CPU backend (set L1_REF_LIB)\n");
        return 1;
    }
    ggml_backend_dev_t dev = ggml_backend_get_device(g_cpu);
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    typedef ggml_backend_buffer_type_t *(*extra_fn)(ggml_backend_dev_t);
    extra_fn get_extra;
    void *sym = ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts");
    memcpy(&get_extra, &sym, sizeof get_extra);
    for (ggml_backend_buffer_type_t *p = get_extra ? get_extra(dev) : NULL; p && *p; p++)
        if (!strcmp(ggml_backend_buft_name(*p), "CPU_REPACK")) g_repack = *p;
    typedef void (*threads_fn)(ggml_backend_t, int);
    threads_fn set_threads;
    sym = ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads");
    memcpy(&set_threads, &sym, sizeof set_threads);
    if (set_threads) set_threads(g_cpu, 1);
    printf("reference CPU backend: %s, repack buffer type: %s\n", ggml_backend_name(g_cpu),
           g_repack ? "yes" : "no");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matmul_matches_reference_for_every_weight_type_and_batch),
        cmocka_unit_test(rmsnorm_times_weight_matches_reference),
        cmocka_unit_test(rope_neox_matches_reference_far_from_position_zero),
        cmocka_unit_test(swiglu_matches_reference),
        cmocka_unit_test(flash_attention_matches_reference_for_prefill_and_decode),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ggml_backend_free(g_cpu);
    return rc;
}
