/*
 * fuzz_gguf.c - libFuzzer target for the GGUF reader (l1__gguf_open_memory).
 *
 * Beyond "no crash, no sanitizer report", every input the reader accepts must
 * keep the reader's promises: each string and tensor byte it hands out is
 * readable, every key and tensor is found by name, and the file survives a
 * trip through the writer (all pairs copied, all tensors re-added by
 * reference) that reads back with the same pairs and tensor bytes.  A broken
 * promise aborts, which libFuzzer reports as a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                    \
    do {                                                                            \
        if (!(c)) {                                                                 \
            fprintf(stderr, "fuzz_gguf: %s:%d: %s (%s)\n", __FILE__, __LINE__, #c,  \
                    l1_last_error());                                              \
            abort();                                                                \
        }                                                                           \
    } while (0)

static volatile unsigned g_sink;

/* Reads everything the metadata getters hand out. */
static void touch_kv(const l1__gguf *g) {
    for (int64_t i = 0; i < l1__gguf_n_kv(g); i++) {
        const char *key = l1__gguf_kv_key(g, i);
        CHECK(key && l1__gguf_find_key(g, key) == i);
        const char *s;
        uint64_t len, n, u;
        int64_t iv;
        float f;
        double d;
        bool b;
        uint32_t u32;
        int32_t i32;
        const void *p;
        l1__gguf_vtype elem;
        (void)l1__gguf_get_u32(g, key, &u32);
        (void)l1__gguf_get_i32(g, key, &i32);
        (void)l1__gguf_get_u64(g, key, &u);
        (void)l1__gguf_get_i64(g, key, &iv);
        (void)l1__gguf_get_f32(g, key, &f);
        (void)l1__gguf_get_f64(g, key, &d);
        (void)l1__gguf_get_bool(g, key, &b);
        if (l1__gguf_get_str(g, key, &s, &len) == L1_OK) {
            CHECK(s[len] == '\0');
            for (uint64_t j = 0; j < len; j++) g_sink += (unsigned char)s[j];
        }
        if (l1__gguf_get_arr(g, key, &elem, &n) != L1_OK) continue;
        if (elem == L1_GGUF_STRING) {
            for (uint64_t k = 0; k < n; k++) {
                CHECK(l1__gguf_get_arr_str(g, key, k, &s, &len) == L1_OK);
                CHECK(s[len] == '\0');
                for (uint64_t j = 0; j < len; j++) g_sink += (unsigned char)s[j];
            }
        } else if (elem != L1_GGUF_ARRAY) {
            static const uint8_t es[L1_GGUF_VTYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
            CHECK(l1__gguf_get_arr_data(g, key, elem, &p, &n) == L1_OK);
            for (uint64_t j = 0; j < n * es[elem]; j++) g_sink += ((const uint8_t *)p)[j];
        }
    }
}

/* Copies g through the writer and checks the result reads back the same. */
static void roundtrip(const l1__gguf *g) {
    l1__gguf_writer *w;
    CHECK(l1__gguf_writer_new(&w) == L1_OK);
    CHECK(l1__gguf_writer_copy_kv(w, g) == L1_OK);
    CHECK(l1__gguf_writer_set_alignment(w, (uint32_t)l1__gguf_alignment(g)) == L1_OK);
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) {
        const l1__gguf_tensor *t = l1__gguf_tensor_at(g, i);
        CHECK(l1__gguf_writer_add_tensor_ref(w, t->name, t->type, t->n_dims, t->ne, t->data,
                                             t->nbytes) == L1_OK);
    }
    uint8_t *img;
    size_t n;
    CHECK(l1__gguf_writer_write_memory(w, &img, &n) == L1_OK);
    l1__gguf_writer_free(w);
    l1__gguf *g2;
    CHECK(l1__gguf_open_memory(img, n, NULL, &g2) == L1_OK);
    CHECK(l1__gguf_n_kv(g2) == l1__gguf_n_kv(g) + (l1__gguf_alignment(g) != 32 &&
                                                   l1__gguf_find_key(g, "general.alignment") < 0));
    for (int64_t i = 0; i < l1__gguf_n_kv(g); i++) {
        const void *r1, *r2;
        uint64_t l1n, l2n;
        CHECK(l1__gguf_kv_raw(g, i, &r1, &l1n) == L1_OK);
        CHECK(l1__gguf_kv_raw(g2, i, &r2, &l2n) == L1_OK);
        CHECK(l1n == l2n && memcmp(r1, r2, l1n) == 0);
    }
    CHECK(l1__gguf_n_tensors(g2) == l1__gguf_n_tensors(g));
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) {
        const l1__gguf_tensor *a = l1__gguf_tensor_at(g, i), *b = l1__gguf_tensor_at(g2, i);
        CHECK(strcmp(a->name, b->name) == 0 && a->type == b->type && a->nbytes == b->nbytes);
        CHECK(memcmp(a->ne, b->ne, sizeof a->ne) == 0 && memcmp(a->data, b->data, a->nbytes) == 0);
    }
    l1__gguf_close(g2);
    l1__free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    l1__gguf_limits lim = l1__gguf_default_limits();
    lim.max_metadata_bytes = (uint64_t)64 << 20; /* keep each run small */
    l1__gguf *g = NULL;
    l1_status st = l1__gguf_open_memory(data, size, &lim, &g);
    if (st != L1_OK) {
        CHECK(g == NULL);
        CHECK(st == L1_ERR_FORMAT || st == L1_ERR_LIMIT || st == L1_ERR_NOMEM);
        CHECK(l1_last_error()[0] != '\0' && strchr(l1_last_error(), '\n') == NULL);
        return 0;
    }
    touch_kv(g);
    for (int64_t i = 0; i < l1__gguf_n_tensors(g); i++) {
        const l1__gguf_tensor *t = l1__gguf_tensor_at(g, i);
        CHECK(l1__gguf_find_tensor(g, t->name) == t);
        CHECK((const uint8_t *)t->data >= data && t->nbytes <= size &&
              (const uint8_t *)t->data - data <= (ptrdiff_t)(size - t->nbytes));
        for (uint64_t j = 0; j < t->nbytes; j += 61) g_sink += ((const uint8_t *)t->data)[j];
    }
    roundtrip(g);
    l1__gguf_close(g);
    return 0;
}
