/*
 * test_gguf.c - the GGUF layer: writer -> reader round trips for every value
 * type and several tensor types and alignments, typed getters, the real
 * Qwen2 vocabulary file, allocation-failure handling, and truncation and
 * mutation sweeps of a valid file.  The malformed files built byte by byte
 * are test_gguf_malformed.c.
 *
 * Expected sizes are derived by hand from each type's block layout; the
 * figures about ggml-vocab-qwen2.gguf come from the reference implementation
 * (llama.cpp's gguf reader, run on the same file).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/base.h"
#include "gguf/gguf.h"
#include "support/gguf_craft.h"
#include "support/gguf_expect.h"

#include "support/sanitizers.h"
#define SANITIZED L1_TEST_SANITIZED

#define VOCAB_QWEN2 "build/reference/llama.cpp/models/ggml-vocab-qwen2.gguf"


/* ---- helpers ---------------------------------------------------------------- */

/* A small valid file from the writer: a few pairs of several types and two
 * tensors; the last tensor's size is a multiple of the alignment so the
 * file ends exactly at its last data byte. */
static void small_valid_file(uint8_t **data, size_t *size) {
    l1__gguf_writer *w;
    assert_int_equal(l1__gguf_writer_new(&w), L1_OK);
    assert_int_equal(l1__gguf_writer_set_str(w, "general.architecture", "qwen2", 5), L1_OK);
    assert_int_equal(l1__gguf_writer_set_u32(w, "qwen2.block_count", 2), L1_OK);
    assert_int_equal(l1__gguf_writer_set_f32(w, "qwen2.rope.freq_base", 10000.0f), L1_OK);
    assert_int_equal(l1__gguf_writer_set_bool(w, "t.flag", true), L1_OK);
    const char *toks[] = {"a", "bc", "<think>"};
    assert_int_equal(l1__gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, NULL, 3), L1_OK);
    int32_t types[] = {1, 1, 3};
    assert_int_equal(l1__gguf_writer_set_arr(w, "tokenizer.ggml.token_type", L1_GGUF_INT32, types, 3), L1_OK);
    float a[6] = {1, 2, 3, 4, 5, 6};
    int64_t ne_a[2] = {3, 2};
    assert_int_equal(l1__gguf_writer_add_tensor(w, "a.weight", L1_TYPE_F32, 2, ne_a, a, sizeof a), L1_OK);
    float b[8] = {0};
    int64_t ne_b[1] = {8};
    assert_int_equal(l1__gguf_writer_add_tensor(w, "b.weight", L1_TYPE_F32, 1, ne_b, b, sizeof b), L1_OK);
    assert_int_equal(l1__gguf_writer_write_memory(w, data, size), L1_OK);
    l1__gguf_writer_free(w);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- round trips -------------------------------------------------------------- */

/* Sets one pair of every scalar type and one array of every numeric element
 * type (3 elements from raw[type]), plus string arrays; returns the image. */
static void write_all_values(uint32_t version, uint8_t raw[13][24], uint8_t **data, size_t *size) {
    l1__gguf_writer *w;
    assert_int_equal(l1__gguf_writer_new(&w), L1_OK);
    assert_int_equal(l1__gguf_writer_set_version(w, version), L1_OK);
    float nan_bits;
    uint32_t nb = 0x7fc00123u; /* a NaN with a payload must survive bit for bit */
    memcpy(&nan_bits, &nb, 4);
    const char bin[5] = {'a', '\0', 'b', 'c', (char)0xff};
    assert_int_equal(l1__gguf_writer_set_u8(w, "v.u8", 0xab), L1_OK);
    assert_int_equal(l1__gguf_writer_set_i8(w, "v.i8", -5), L1_OK);
    assert_int_equal(l1__gguf_writer_set_u16(w, "v.u16", 0xbeef), L1_OK);
    assert_int_equal(l1__gguf_writer_set_i16(w, "v.i16", -12345), L1_OK);
    assert_int_equal(l1__gguf_writer_set_u32(w, "v.u32", 0xdeadbeefu), L1_OK);
    assert_int_equal(l1__gguf_writer_set_i32(w, "v.i32", -123456789), L1_OK);
    assert_int_equal(l1__gguf_writer_set_f32(w, "v.f32", nan_bits), L1_OK);
    assert_int_equal(l1__gguf_writer_set_bool(w, "v.bool", true), L1_OK);
    assert_int_equal(l1__gguf_writer_set_str(w, "v.str", bin, sizeof bin), L1_OK);
    assert_int_equal(l1__gguf_writer_set_u64(w, "v.u64", 0x0123456789abcdefull), L1_OK);
    assert_int_equal(l1__gguf_writer_set_i64(w, "v.i64", INT64_MIN + 1), L1_OK);
    assert_int_equal(l1__gguf_writer_set_f64(w, "v.f64", -1e300), L1_OK);
    assert_int_equal(l1__gguf_writer_set_bool(w, "v.false", false), L1_OK);
    assert_int_equal(l1__gguf_writer_set_str(w, "v.empty", "", 0), L1_OK);
    /* One numeric array per element type, 3 elements each. */
    for (int t = 0; t < 13; t++) {
        for (int j = 0; j < 24; j++) raw[t][j] = (uint8_t)(t * 31 + j * 7 + 1);
        if (t == VT_BOOL) raw[t][0] = 1, raw[t][1] = 0, raw[t][2] = 1;
        if (t == VT_STR || t == VT_ARR) continue;
        char key[32];
        snprintf(key, sizeof key, "arr.%s", l1__gguf_vtype_name((uint32_t)t));
        assert_int_equal(l1__gguf_writer_set_arr(w, key, (l1__gguf_vtype)t, raw[t], 3), L1_OK);
    }
    assert_int_equal(l1__gguf_writer_set_arr(w, "arr.empty", L1_GGUF_UINT32, NULL, 0), L1_OK);
    const char *strs[4] = {"a", "", "ccc", "\xe4\xb8\xad"};
    assert_int_equal(l1__gguf_writer_set_arr_str(w, "arr.str", strs, NULL, 4), L1_OK);
    const uint64_t lens[2] = {3, 0};
    const char *bins[2] = {"x\0y", NULL};
    assert_int_equal(l1__gguf_writer_set_arr_str(w, "arr.bin", bins, lens, 2), L1_OK);
    assert_int_equal(l1__gguf_writer_write_memory(w, data, size), L1_OK);
    l1__gguf_writer_free(w);
}

static void check_all_scalars(const l1__gguf *g) {
    float nan_bits;
    uint32_t nb = 0x7fc00123u;
    memcpy(&nan_bits, &nb, 4);
    const char bin[5] = {'a', '\0', 'b', 'c', (char)0xff};
    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    int64_t i64;
    float f32;
    double f64;
    bool b;
    const char *s;
    uint64_t len;
    assert_int_equal(l1__gguf_get_u64(g, "v.u8", &u64), L1_OK);
    assert_int_equal(u64, 0xab);
    assert_int_equal(l1__gguf_get_i64(g, "v.i8", &i64), L1_OK);
    assert_int_equal(i64, -5);
    assert_int_equal(l1__gguf_get_u64(g, "v.u16", &u64), L1_OK);
    assert_int_equal(u64, 0xbeef);
    assert_int_equal(l1__gguf_get_i64(g, "v.i16", &i64), L1_OK);
    assert_int_equal(i64, -12345);
    assert_int_equal(l1__gguf_get_u32(g, "v.u32", &u32), L1_OK);
    assert_int_equal(u32, 0xdeadbeefu);
    assert_int_equal(l1__gguf_get_i32(g, "v.i32", &i32), L1_OK);
    assert_int_equal(i32, -123456789);
    assert_int_equal(l1__gguf_get_f32(g, "v.f32", &f32), L1_OK);
    assert_memory_equal(&f32, &nan_bits, 4);
    assert_int_equal(l1__gguf_get_bool(g, "v.bool", &b), L1_OK);
    assert_true(b);
    assert_int_equal(l1__gguf_get_bool(g, "v.false", &b), L1_OK);
    assert_false(b);
    assert_int_equal(l1__gguf_get_str(g, "v.str", &s, &len), L1_OK);
    assert_int_equal(len, sizeof bin);
    assert_memory_equal(s, bin, sizeof bin);
    assert_int_equal(s[len], '\0');
    assert_int_equal(l1__gguf_get_str(g, "v.empty", &s, &len), L1_OK);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    assert_int_equal(l1__gguf_get_u64(g, "v.u64", &u64), L1_OK);
    assert_true(u64 == 0x0123456789abcdefull);
    assert_int_equal(l1__gguf_get_i64(g, "v.i64", &i64), L1_OK);
    assert_true(i64 == INT64_MIN + 1);
    assert_int_equal(l1__gguf_get_f64(g, "v.f64", &f64), L1_OK);
    assert_true(f64 == -1e300);
}

static void check_all_arrays(const l1__gguf *g, uint8_t raw[13][24]) {
    const char *strs[4] = {"a", "", "ccc", "\xe4\xb8\xad"};
    const char *s;
    uint64_t len;
    static const uint8_t esize[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    for (int t = 0; t < 13; t++) {
        if (t == VT_STR || t == VT_ARR) continue;
        char key[32];
        snprintf(key, sizeof key, "arr.%s", l1__gguf_vtype_name((uint32_t)t));
        l1__gguf_vtype elem;
        uint64_t n;
        const void *p;
        assert_int_equal(l1__gguf_get_arr(g, key, &elem, &n), L1_OK);
        assert_int_equal(elem, t);
        assert_int_equal(n, 3);
        assert_int_equal(l1__gguf_get_arr_data(g, key, (l1__gguf_vtype)t, &p, &n), L1_OK);
        assert_int_equal((uintptr_t)p % esize[t], 0); /* usable as a typed pointer */
        assert_memory_equal(p, raw[t], 3u * esize[t]);
    }
    uint64_t n;
    const void *p;
    assert_int_equal(l1__gguf_get_arr_data(g, "arr.empty", L1_GGUF_UINT32, &p, &n), L1_OK);
    assert_int_equal(n, 0);
    assert_int_equal(l1__gguf_get_arr(g, "arr.str", NULL, &n), L1_OK);
    assert_int_equal(n, 4);
    for (uint64_t i = 0; i < 4; i++) {
        assert_int_equal(l1__gguf_get_arr_str(g, "arr.str", i, &s, &len), L1_OK);
        assert_int_equal(len, strlen(strs[i]));
        assert_string_equal(s, strs[i]);
    }
    assert_int_equal(l1__gguf_get_arr_str(g, "arr.bin", 0, &s, &len), L1_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "x\0y", 4);
    assert_int_equal(l1__gguf_get_arr_str(g, "arr.bin", 1, &s, &len), L1_OK);
    assert_int_equal(len, 0);
}

static void gguf_roundtrip_every_value_type(void **state) {
    (void)state;
    for (uint32_t version = 2; version <= 3; version++) {
        uint8_t raw[13][24];
        uint8_t *data;
        size_t size;
        write_all_values(version, raw, &data, &size);
        l1__gguf *g;
        assert_int_equal(l1__gguf_open_memory(data, size, NULL, &g), L1_OK);
        assert_int_equal(l1__gguf_version(g), version);
        assert_int_equal(l1__gguf_n_kv(g), 14 + 11 + 3);
        assert_string_equal(l1__gguf_kv_key(g, 0), "v.u8"); /* order kept */
        assert_int_equal(l1__gguf_kv_type(g, 0), L1_GGUF_UINT8);
        check_all_scalars(g);
        check_all_arrays(g, raw);
        l1__gguf_close(g);
        l1__free(data);
    }
}

typedef struct tensor_case {
    const char *name;
    uint32_t type;
    uint32_t n_dims;
    int64_t ne[4];
    uint64_t nbytes; /* derived by hand from the block layout */
} tensor_case;

static const tensor_case k_tensors[] = {
    {"f32", L1_TYPE_F32, 2, {3, 2, 1, 1}, 24},           /* 6 x 4 bytes */
    {"f16", L1_TYPE_F16, 1, {5, 1, 1, 1}, 10},           /* 5 x 2 bytes */
    {"q8_0", L1_TYPE_Q8_0, 2, {64, 2, 1, 1}, 136},       /* 4 blocks of 32 x (2 + 32) bytes */
    {"q4_k", L1_TYPE_Q4_K, 3, {256, 1, 2, 1}, 288},      /* 2 super-blocks x 144 bytes */
    {"iq2_xxs", L1_TYPE_IQ2_XXS, 1, {256, 1, 1, 1}, 66}, /* 1 x (2 + 64) bytes; loads, not computed */
    {"i8", L1_TYPE_I8, 4, {7, 1, 1, 3}, 21},             /* 21 x 1 byte */
    {"bf16", L1_TYPE_BF16, 1, {3, 1, 1, 1}, 6},
};

static void gguf_roundtrip_tensors_of_several_types_and_alignments(void **state) {
    (void)state;
    const uint32_t aligns[] = {1, 8, 32, 64, 4096};
    for (size_t a = 0; a < L1_ARRAY_LEN(aligns); a++) {
        l1__gguf_writer *w;
        assert_int_equal(l1__gguf_writer_new(&w), L1_OK);
        assert_int_equal(l1__gguf_writer_set_alignment(w, aligns[a]), L1_OK);
        uint8_t bufs[L1_ARRAY_LEN(k_tensors)][288];
        for (size_t i = 0; i < L1_ARRAY_LEN(k_tensors); i++) {
            const tensor_case *t = &k_tensors[i];
            for (size_t j = 0; j < sizeof bufs[i]; j++) bufs[i][j] = (uint8_t)(i * 17 + j * 3 + a);
            if (i % 2)
                assert_int_equal(l1__gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, bufs[i], t->nbytes), L1_OK);
            else
                assert_int_equal(l1__gguf_writer_add_tensor_ref(w, t->name, t->type, t->n_dims, t->ne, bufs[i], t->nbytes), L1_OK);
        }
        uint8_t *data;
        size_t size;
        assert_int_equal(l1__gguf_writer_write_memory(w, &data, &size), L1_OK);
        l1__gguf_writer_free(w);
        l1__gguf *g;
        assert_int_equal(l1__gguf_open_memory(data, size, NULL, &g), L1_OK);
        assert_int_equal(l1__gguf_alignment(g), aligns[a]);
        assert_int_equal(l1__gguf_find_key(g, "general.alignment") >= 0, aligns[a] != 32);
        assert_int_equal(l1__gguf_data_offset(g) % aligns[a], 0);
        assert_int_equal(l1__gguf_n_tensors(g), L1_ARRAY_LEN(k_tensors));
        for (size_t i = 0; i < L1_ARRAY_LEN(k_tensors); i++) {
            const tensor_case *want = &k_tensors[i];
            const l1__gguf_tensor *t = l1__gguf_find_tensor(g, want->name);
            assert_non_null(t);
            assert_ptr_equal(t, l1__gguf_tensor_at(g, (int64_t)i));
            assert_string_equal(t->name, want->name);
            assert_int_equal(t->type, want->type);
            assert_int_equal(t->n_dims, want->n_dims);
            assert_memory_equal(t->ne, want->ne, sizeof t->ne);
            assert_int_equal(t->nbytes, want->nbytes);
            assert_int_equal(t->n_elements, want->ne[0] * want->ne[1] * want->ne[2] * want->ne[3]);
            assert_int_equal(t->offset % aligns[a], 0);
            assert_ptr_equal(t->data, data + l1__gguf_data_offset(g) + t->offset);
            assert_memory_equal(t->data, bufs[i], want->nbytes);
        }
        assert_null(l1__gguf_find_tensor(g, "missing"));
        l1__gguf_close(g);
        l1__free(data);
    }
}

static void gguf_writer_file_roundtrip_replaces_target(void **state) {
    (void)state;
    char dir[] = "/tmp/l1_gguf_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/out.gguf", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("old contents", f);
    fclose(f);
    l1__gguf_writer *w;
    assert_int_equal(l1__gguf_writer_new(&w), L1_OK);
    assert_int_equal(l1__gguf_writer_set_str(w, "general.name", "x", 1), L1_OK);
    uint16_t h[4] = {0x3c00, 0x4000, 0xc000, 0};
    int64_t ne[1] = {4};
    assert_int_equal(l1__gguf_writer_add_tensor(w, "h", L1_TYPE_F16, 1, ne, h, sizeof h), L1_OK);
    assert_int_equal(l1__gguf_writer_write(w, path), L1_OK);
    l1__gguf_writer_free(w);
    l1__gguf *g;
    assert_int_equal(l1__gguf_open(path, NULL, &g), L1_OK);
    const l1__gguf_tensor *t = l1__gguf_find_tensor(g, "h");
    assert_non_null(t);
    assert_memory_equal(t->data, h, sizeof h);
    l1__gguf_close(g);
    /* No temporary file is left next to the target. */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    unlink(path);
    rmdir(dir);
}

static void gguf_copy_kv_keeps_nested_arrays(void **state) {
    (void)state;
    /* nest = [[1, 2, 3] (u32), ["x"] (string)], built by hand. */
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 2);
    gguf_craft_kv_str(&c, "general.name", "n");
    gguf_craft_key(&c, "nest", VT_ARR);
    gguf_craft_u32(&c, VT_ARR);
    gguf_craft_u64(&c, 2);
    gguf_craft_u32(&c, VT_U32);
    gguf_craft_u64(&c, 3);
    for (uint32_t i = 1; i <= 3; i++) gguf_craft_u32(&c, i);
    gguf_craft_u32(&c, VT_STR);
    gguf_craft_u64(&c, 1);
    gguf_craft_str(&c, "x");
    l1__gguf *g;
    assert_int_equal(l1__gguf_open_memory(c.p, c.len, NULL, &g), L1_OK);
    l1__gguf_vtype elem;
    uint64_t n;
    assert_int_equal(l1__gguf_get_arr(g, "nest", &elem, &n), L1_OK);
    assert_int_equal(elem, L1_GGUF_ARRAY);
    assert_int_equal(n, 2);
    const void *p;
    assert_int_equal(l1__gguf_get_arr_data(g, "nest", L1_GGUF_UINT32, &p, &n), L1_ERR_FORMAT);
    assert_non_null(strstr(l1_last_error(), "found array of array"));

    l1__gguf_writer *w;
    assert_int_equal(l1__gguf_writer_new(&w), L1_OK);
    assert_int_equal(l1__gguf_writer_copy_kv(w, g), L1_OK);
    uint8_t *data;
    size_t size;
    assert_int_equal(l1__gguf_writer_write_memory(w, &data, &size), L1_OK);
    l1__gguf_writer_free(w);
    assert_int_equal(size, c.len); /* same pairs, no tensors: the same bytes */
    assert_memory_equal(data, c.p, c.len);
    l1__gguf *g2;
    assert_int_equal(l1__gguf_open_memory(data, size, NULL, &g2), L1_OK);
    const void *r1, *r2;
    uint64_t l1n, l2n;
    int64_t k1 = l1__gguf_find_key(g, "nest"), k2 = l1__gguf_find_key(g2, "nest");
    assert_int_equal(l1__gguf_kv_raw(g, k1, &r1, &l1n), L1_OK);
    assert_int_equal(l1__gguf_kv_raw(g2, k2, &r2, &l2n), L1_OK);
    assert_int_equal(l1n, l2n);
    assert_memory_equal(r1, r2, l1n);
    l1__gguf_close(g2);
    l1__gguf_close(g);
    l1__free(data);
    gguf_craft_free(&c);
}

static void gguf_getters_report_missing_keys_and_type_mismatch(void **state) {
    (void)state;
    l1__gguf_writer *w;
    assert_int_equal(l1__gguf_writer_new(&w), L1_OK);
    assert_int_equal(l1__gguf_writer_set_str(w, "s", "v", 1), L1_OK);
    assert_int_equal(l1__gguf_writer_set_i32(w, "neg", -1), L1_OK);
    assert_int_equal(l1__gguf_writer_set_u64(w, "big", UINT64_MAX), L1_OK);
    assert_int_equal(l1__gguf_writer_set_f64(w, "d", 0.25), L1_OK);
    assert_int_equal(l1__gguf_writer_set_f64(w, "huge", 1e300), L1_OK);
    assert_int_equal(l1__gguf_writer_set_u8(w, "small", 7), L1_OK);
    int32_t arr[2] = {1, 2};
    assert_int_equal(l1__gguf_writer_set_arr(w, "a", L1_GGUF_INT32, arr, 2), L1_OK);
    uint8_t *data;
    size_t size;
    assert_int_equal(l1__gguf_writer_write_memory(w, &data, &size), L1_OK);
    l1__gguf_writer_free(w);
    l1__gguf *g;
    assert_int_equal(l1__gguf_open_memory(data, size, NULL, &g), L1_OK);
    uint32_t u32;
    uint64_t u64;
    int64_t i64;
    float f;
    double d;
    bool b;
    const char *s;
    assert_int_equal(l1__gguf_get_u32(g, "nope", &u32), L1_ERR_FORMAT);
    assert_string_equal(l1_last_error(), "key nope: missing");
    assert_int_equal(l1__gguf_get_u32(g, "s", &u32), L1_ERR_FORMAT);
    assert_string_equal(l1_last_error(), "key s: expected u32, found string");
    assert_int_equal(l1__gguf_get_u32(g, "small", &u32), L1_ERR_FORMAT); /* no widening for u32 */
    assert_int_equal(l1__gguf_get_bool(g, "small", &b), L1_ERR_FORMAT);
    assert_int_equal(l1__gguf_get_str(g, "small", &s, NULL), L1_ERR_FORMAT);
    assert_int_equal(l1__gguf_get_u64(g, "small", &u64), L1_OK);
    assert_int_equal(u64, 7);
    assert_int_equal(l1__gguf_get_i64(g, "small", &i64), L1_OK);
    assert_int_equal(i64, 7);
    assert_int_equal(l1__gguf_get_u64(g, "neg", &u64), L1_ERR_FORMAT);
    assert_non_null(strstr(l1_last_error(), "key neg"));
    assert_int_equal(l1__gguf_get_i64(g, "neg", &i64), L1_OK);
    assert_int_equal(i64, -1);
    assert_int_equal(l1__gguf_get_i64(g, "big", &i64), L1_ERR_FORMAT);
    assert_int_equal(l1__gguf_get_u64(g, "s", &u64), L1_ERR_FORMAT);
    assert_int_equal(l1__gguf_get_f32(g, "d", &f), L1_OK);
    assert_true(f == 0.25f);
    assert_int_equal(l1__gguf_get_f32(g, "huge", &f), L1_ERR_FORMAT);
    assert_int_equal(l1__gguf_get_f64(g, "small", &d), L1_ERR_FORMAT);
    assert_int_equal(l1__gguf_get_arr_str(g, "a", 0, &s, NULL), L1_ERR_FORMAT);
    assert_string_equal(l1_last_error(), "key a: expected array of string, found array of i32");
    assert_int_equal(l1__gguf_get_i32(g, "a", (int32_t *)&u32), L1_ERR_FORMAT);
    const void *p;
    assert_int_equal(l1__gguf_get_arr_data(g, "a", L1_GGUF_UINT32, &p, &u64), L1_ERR_FORMAT);
    assert_int_equal(l1__gguf_get_arr_data(g, "a", L1_GGUF_STRING, &p, &u64), L1_ERR_INVALID_ARG);
    assert_int_equal(l1__gguf_get_arr(g, "s", NULL, NULL), L1_ERR_FORMAT);
    assert_int_equal(l1__gguf_kv_type(g, 99), L1_GGUF_VTYPE_COUNT);
    assert_null(l1__gguf_kv_key(g, -1));
    assert_int_equal(l1__gguf_find_key(g, "nope"), -1);
    l1__gguf_close(g);
    l1__free(data);
}

static void gguf_writer_replaces_keys_and_rejects_bad_arguments(void **state) {
    (void)state;
    l1__gguf_writer *w;
    assert_int_equal(l1__gguf_writer_new(&w), L1_OK);
    assert_int_equal(l1__gguf_writer_set_u32(w, "k", 1), L1_OK);
    assert_int_equal(l1__gguf_writer_set_str(w, "k", "two", 3), L1_OK);
    assert_int_equal(l1__gguf_writer_set_alignment(w, 3), L1_ERR_INVALID_ARG);
    assert_int_equal(l1__gguf_writer_set_alignment(w, 0), L1_ERR_INVALID_ARG);
    assert_int_equal(l1__gguf_writer_set_version(w, 1), L1_ERR_INVALID_ARG);
    uint8_t bools[2] = {1, 2};
    assert_int_equal(l1__gguf_writer_set_arr(w, "b", L1_GGUF_BOOL, bools, 2), L1_ERR_INVALID_ARG);
    assert_int_equal(l1__gguf_writer_set_arr(w, "b", L1_GGUF_STRING, bools, 2), L1_ERR_INVALID_ARG);
    float x[32] = {0};
    int64_t ne[2] = {32, 1};
    assert_int_equal(l1__gguf_writer_add_tensor(w, "t", L1_TYPE_F32, 1, ne, x, 100), L1_ERR_INVALID_ARG);
    assert_int_equal(l1__gguf_writer_add_tensor(w, "t", L1_TYPE_Q4_K, 1, ne, x, 18), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "tensor t"));
    assert_int_equal(l1__gguf_writer_add_tensor(w, "t", 4, 1, ne, x, 128), L1_ERR_INVALID_ARG);
    assert_int_equal(l1__gguf_writer_add_tensor(w, "t", L1_TYPE_F32, 1, ne, x, sizeof x), L1_OK);
    assert_int_equal(l1__gguf_writer_add_tensor(w, "t", L1_TYPE_F32, 1, ne, x, sizeof x), L1_ERR_INVALID_ARG);
    assert_non_null(strstr(l1_last_error(), "tensor t"));
    uint8_t *data;
    size_t size;
    assert_int_equal(l1__gguf_writer_write_memory(w, &data, &size), L1_OK);
    l1__gguf_writer_free(w);
    l1__gguf *g;
    assert_int_equal(l1__gguf_open_memory(data, size, NULL, &g), L1_OK);
    assert_int_equal(l1__gguf_n_kv(g), 1);
    const char *s;
    assert_int_equal(l1__gguf_get_str(g, "k", &s, NULL), L1_OK);
    assert_string_equal(s, "two");
    l1__gguf_close(g);
    l1__free(data);
}

static void gguf_tensor_nbytes_matches_block_geometry(void **state) {
    (void)state;
    uint64_t nb;
    int64_t ne[4] = {4096, 11008, 1, 1};
    assert_int_equal(l1__gguf_tensor_nbytes(L1_TYPE_Q4_K, 2, ne, &nb), L1_OK);
    assert_int_equal(nb, 4096ull / 256 * 144 * 11008); /* 16 super-blocks of 144 bytes per row */
    assert_int_equal(l1__gguf_tensor_nbytes(L1_TYPE_Q6_K, 2, ne, &nb), L1_OK);
    assert_int_equal(nb, 4096ull / 256 * 210 * 11008);
    assert_int_equal(l1__gguf_tensor_nbytes(L1_TYPE_Q8_0, 2, ne, &nb), L1_OK);
    assert_int_equal(nb, 4096ull / 32 * 34 * 11008);
    int64_t odd[1] = {100};
    assert_int_equal(l1__gguf_tensor_nbytes(L1_TYPE_Q4_0, 1, odd, &nb), L1_ERR_FORMAT);
    assert_int_equal(l1__gguf_tensor_nbytes(L1_TYPE_F32, 0, odd, &nb), L1_ERR_FORMAT);
    assert_int_equal(l1__gguf_tensor_nbytes(L1_TYPE_COUNT, 1, odd, &nb), L1_ERR_FORMAT);
    int64_t neg[1] = {-4};
    assert_int_equal(l1__gguf_tensor_nbytes(L1_TYPE_F32, 1, neg, &nb), L1_ERR_FORMAT);
}

/* ---- the real vocabulary file --------------------------------------------------- */

static void gguf_opens_qwen2_vocab_fast(void **state) {
    (void)state;
    if (access(VOCAB_QWEN2, R_OK) != 0) {
        print_message("skipping: %s absent (make parity-fetch)\n", VOCAB_QWEN2);
        skip();
    }
    l1__gguf *g;
    double t0 = now_s();
    assert_int_equal(l1__gguf_open(VOCAB_QWEN2, NULL, &g), L1_OK);
    double dt = now_s() - t0;
    print_message("opened %s in %.1f ms\n", VOCAB_QWEN2, dt * 1e3);
    assert_true(dt < (SANITIZED ? 2.0 : 0.2));
    uint64_t n;
    l1__gguf_vtype elem;
    assert_int_equal(l1__gguf_get_arr(g, "tokenizer.ggml.tokens", &elem, &n), L1_OK);
    assert_int_equal(elem, L1_GGUF_STRING);
    assert_int_equal(n, 151936);
    assert_int_equal(l1__gguf_get_arr(g, "tokenizer.ggml.merges", &elem, &n), L1_OK);
    assert_int_equal(n, 151387);
    const char *s;
    uint64_t len;
    assert_int_equal(l1__gguf_get_str(g, "tokenizer.ggml.pre", &s, &len), L1_OK);
    assert_string_equal(s, "qwen2");
    /* Values below as the reference reader reports them for this file. */
    assert_int_equal(l1__gguf_get_arr_str(g, "tokenizer.ggml.tokens", 0, &s, &len), L1_OK);
    assert_string_equal(s, "!");
    assert_int_equal(l1__gguf_get_arr_str(g, "tokenizer.ggml.tokens", 151643, &s, &len), L1_OK);
    assert_string_equal(s, "<|endoftext|>");
    assert_int_equal(l1__gguf_get_arr_str(g, "tokenizer.ggml.merges", 0, &s, &len), L1_OK);
    assert_string_equal(s, "\xc4\xa0 \xc4\xa0");
    uint32_t u;
    assert_int_equal(l1__gguf_get_u32(g, "tokenizer.ggml.eos_token_id", &u), L1_OK);
    assert_int_equal(u, 151643);
    assert_int_equal(l1__gguf_get_u32(g, "qwen2.block_count", &u), L1_OK);
    assert_int_equal(u, 32);
    assert_int_equal(l1__gguf_n_tensors(g), 0);
    assert_int_equal(l1__gguf_data_offset(g), 5928681);
    l1__gguf_close(g);
}

/* ---- allocation failure ------------------------------------------------------------ */

static void gguf_open_fails_cleanly_at_every_allocation(void **state) {
    (void)state;
    uint8_t *data;
    size_t size;
    small_valid_file(&data, &size);
    int64_t live = l1__alloc_live();
    int64_t n;
    for (n = 0; n < 1000; n++) {
        l1__gguf *g = NULL;
        l1__alloc_fail_after(n);
        l1_status st = l1__gguf_open_memory(data, size, NULL, &g);
        l1__alloc_fail_reset();
        if (st == L1_OK) {
            l1__gguf_close(g);
            break;
        }
        assert_int_equal(st, L1_ERR_NOMEM);
        assert_null(g);
        assert_int_equal(l1__alloc_live(), live);
    }
    print_message("open succeeded once %lld allocations were allowed\n", (long long)n);
    assert_true(n > 0 && n < 1000);
    assert_int_equal(l1__alloc_live(), live);
    l1__free(data);
}

static void gguf_writer_fails_cleanly_at_every_allocation(void **state) {
    (void)state;
    int64_t live = l1__alloc_live();
    int64_t n;
    for (n = 0; n < 1000; n++) {
        l1__alloc_fail_after(n);
        l1__gguf_writer *w = NULL;
        l1_status st = l1__gguf_writer_new(&w);
        const char *toks[2] = {"a", "b"};
        float x[4] = {1, 2, 3, 4};
        int64_t ne[1] = {4};
        if (st == L1_OK) st = l1__gguf_writer_set_str(w, "general.name", "n", 1);
        if (st == L1_OK) st = l1__gguf_writer_set_arr_str(w, "t", toks, NULL, 2);
        if (st == L1_OK) st = l1__gguf_writer_add_tensor(w, "x", L1_TYPE_F32, 1, ne, x, sizeof x);
        if (st == L1_OK) st = l1__gguf_writer_set_alignment(w, 64);
        uint8_t *data = NULL;
        size_t size = 0;
        if (st == L1_OK) st = l1__gguf_writer_write_memory(w, &data, &size);
        l1__alloc_fail_reset();
        l1__gguf_writer_free(w);
        l1__free(data);
        assert_int_equal(l1__alloc_live(), live);
        if (st == L1_OK) break;
        assert_int_equal(st, L1_ERR_NOMEM);
    }
    assert_true(n > 0 && n < 1000);
}

/* ---- sweeps over a small valid file ---------------------------------------------------- */

static void gguf_rejects_every_truncation_of_a_valid_file(void **state) {
    (void)state;
    uint8_t *data;
    size_t size;
    small_valid_file(&data, &size);
    int64_t live = l1__alloc_live();
    for (size_t n = 0; n <= size; n++) {
        l1__gguf *g = NULL;
        uint8_t *copy;
        l1__error_clear();
        l1_status st = gguf_open_exact(data, n, NULL, &g, &copy);
        if (n == size) {
            assert_int_equal(st, L1_OK);
            l1__gguf_close(g);
        } else {
            if (st != L1_ERR_FORMAT) print_error("prefix %zu of %zu: %d %s\n", n, size, (int)st, l1_last_error());
            assert_int_equal(st, L1_ERR_FORMAT);
            assert_null(g);
            assert_true(l1_last_error()[0] != '\0');
        }
        free(copy);
        assert_int_equal(l1__alloc_live(), live);
    }
    l1__free(data);
}

/* Reads every byte an opened file hands out, so that ASan sees any pointer
 * outside the buffer. */
static unsigned touch_everything(const l1__gguf *g) {
    unsigned sum = 0;
    for (int64_t i = 0; i < l1__gguf_n_kv(g); i++) {
        const char *key = l1__gguf_kv_key(g, i);
        sum += (unsigned)strlen(key);
        const char *s;
        uint64_t len, n;
        l1__gguf_vtype elem;
        if (l1__gguf_get_str(g, key, &s, &len) == L1_OK)
            for (uint64_t j = 0; j <= len; j++) sum += (unsigned char)s[j];
        if (l1__gguf_get_arr(g, key, &elem, &n) == L1_OK && elem == L1_GGUF_STRING)
            for (uint64_t k = 0; k < n; k++)
                if (l1__gguf_get_arr_str(g, key, k, &s, &len) == L1_OK)
                    for (uint64_t j = 0; j <= len; j++) sum += (unsigned char)s[j];
    }
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) {
        const l1__gguf_tensor *t = l1__gguf_tensor_at(g, i);
        sum += (unsigned)strlen(t->name);
        for (uint64_t j = 0; j < t->nbytes; j++) sum += ((const uint8_t *)t->data)[j];
    }
    return sum;
}

static void gguf_survives_byte_mutations_of_header_and_tables(void **state) {
    (void)state;
    uint8_t *data;
    size_t size;
    small_valid_file(&data, &size);
    l1__gguf *g0;
    assert_int_equal(l1__gguf_open_memory(data, size, NULL, &g0), L1_OK);
    size_t tables = (size_t)l1__gguf_data_offset(g0);
    l1__gguf_close(g0);
    int64_t live = l1__alloc_live();
    unsigned opened = 0, refused = 0, sink = 0;
    for (size_t pos = 0; pos < tables; pos++) {
        const uint8_t orig = data[pos];
        const uint8_t muts[6] = {0x00, 0xff, (uint8_t)(orig ^ 0x01), (uint8_t)(orig ^ 0x80),
                                 (uint8_t)(orig + 1), (uint8_t)(orig ^ 0x10)};
        for (size_t m = 0; m < sizeof muts; m++) {
            if (muts[m] == orig) continue;
            data[pos] = muts[m];
            l1__gguf *g = NULL;
            uint8_t *copy;
            l1__error_clear();
            l1_status st = gguf_open_exact(data, size, NULL, &g, &copy);
            if (st == L1_OK) {
                opened++;
                sink += touch_everything(g);
                l1__gguf_close(g);
            } else {
                refused++;
                assert_true(st == L1_ERR_FORMAT || st == L1_ERR_LIMIT);
                assert_null(g);
                assert_true(l1_last_error()[0] != '\0');
                assert_null(strchr(l1_last_error(), '\n'));
            }
            free(copy);
            assert_int_equal(l1__alloc_live(), live);
        }
        data[pos] = orig;
    }
    print_message("%zu table bytes mutated: %u opened, %u refused (%u)\n", tables, opened, refused, sink & 1);
    assert_true(refused > 0 && opened > 0);
    l1__free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gguf_roundtrip_every_value_type),
        cmocka_unit_test(gguf_roundtrip_tensors_of_several_types_and_alignments),
        cmocka_unit_test(gguf_writer_file_roundtrip_replaces_target),
        cmocka_unit_test(gguf_copy_kv_keeps_nested_arrays),
        cmocka_unit_test(gguf_getters_report_missing_keys_and_type_mismatch),
        cmocka_unit_test(gguf_writer_replaces_keys_and_rejects_bad_arguments),
        cmocka_unit_test(gguf_tensor_nbytes_matches_block_geometry),
        cmocka_unit_test(gguf_opens_qwen2_vocab_fast),
        cmocka_unit_test(gguf_open_fails_cleanly_at_every_allocation),
        cmocka_unit_test(gguf_writer_fails_cleanly_at_every_allocation),
        cmocka_unit_test(gguf_rejects_every_truncation_of_a_valid_file),
        cmocka_unit_test(gguf_survives_byte_mutations_of_header_and_tables),
    };
    return cmocka_run_group_tests_name("gguf", tests, NULL, NULL);
}
