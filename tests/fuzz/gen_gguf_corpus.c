/*
 * gen_gguf_corpus.c - writes the seed corpus for fuzz_gguf into the folder
 * given as argv[1]: small valid files made by the writer (every value type,
 * several tensor types and alignments, v2 and v3) and a few malformed ones
 * derived from them, so that fuzzing starts from inputs that reach deep into
 * the reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"

static const char *g_dir;
static int g_count;

static void save(const char *name, const uint8_t *p, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "gen_gguf_corpus: cannot write %s\n", path);
        exit(1);
    }
    g_count++;
}

static void must(l1_status st) {
    if (st != L1_OK) {
        fprintf(stderr, "gen_gguf_corpus: %s\n", l1_last_error());
        exit(1);
    }
}

static void emit(l1__gguf_writer *w, const char *name) {
    uint8_t *p;
    size_t n;
    must(l1__gguf_writer_write_memory(w, &p, &n));
    save(name, p, n);
    /* Malformed variants: cut in the middle, and one byte of the tables flipped. */
    char alt[128];
    snprintf(alt, sizeof alt, "%s.cut", name);
    save(alt, p, n / 2);
    if (n > 40) {
        p[n / 3] ^= 0x5a;
        snprintf(alt, sizeof alt, "%s.flip", name);
        save(alt, p, n);
    }
    l1__free(p);
    l1__gguf_writer_free(w);
}

static void all_values(uint32_t version) {
    l1__gguf_writer *w;
    must(l1__gguf_writer_new(&w));
    must(l1__gguf_writer_set_version(w, version));
    must(l1__gguf_writer_set_u8(w, "a.u8", 1));
    must(l1__gguf_writer_set_i8(w, "a.i8", -1));
    must(l1__gguf_writer_set_u16(w, "a.u16", 2));
    must(l1__gguf_writer_set_i16(w, "a.i16", -2));
    must(l1__gguf_writer_set_u32(w, "a.u32", 3));
    must(l1__gguf_writer_set_i32(w, "a.i32", -3));
    must(l1__gguf_writer_set_u64(w, "a.u64", 4));
    must(l1__gguf_writer_set_i64(w, "a.i64", -4));
    must(l1__gguf_writer_set_f32(w, "a.f32", 0.5f));
    must(l1__gguf_writer_set_f64(w, "a.f64", 0.25));
    must(l1__gguf_writer_set_bool(w, "a.bool", true));
    must(l1__gguf_writer_set_str(w, "general.architecture", "qwen2", 5));
    const char *toks[4] = {"a", "b", "ab", "<think>"};
    must(l1__gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, NULL, 4));
    int32_t tt[4] = {1, 1, 1, 3};
    must(l1__gguf_writer_set_arr(w, "tokenizer.ggml.token_type", L1_GGUF_INT32, tt, 4));
    uint8_t flags[3] = {1, 0, 1};
    must(l1__gguf_writer_set_arr(w, "a.bools", L1_GGUF_BOOL, flags, 3));
    char name[32];
    snprintf(name, sizeof name, "values_v%u.gguf", version);
    emit(w, name);
}

static void tensors(uint32_t align) {
    static uint8_t buf[1024];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 7);
    l1__gguf_writer *w;
    must(l1__gguf_writer_new(&w));
    must(l1__gguf_writer_set_alignment(w, align));
    must(l1__gguf_writer_set_str(w, "general.architecture", "qwen2", 5));
    int64_t a[2] = {4, 2}, b[1] = {32}, c[1] = {256}, d[3] = {2, 2, 2};
    must(l1__gguf_writer_add_tensor(w, "a.weight", L1_TYPE_F32, 2, a, buf, 32));
    must(l1__gguf_writer_add_tensor(w, "b.weight", L1_TYPE_Q8_0, 1, b, buf, 34));
    must(l1__gguf_writer_add_tensor(w, "c.weight", L1_TYPE_Q4_K, 1, c, buf, 144));
    must(l1__gguf_writer_add_tensor(w, "d.weight", L1_TYPE_F16, 3, d, buf, 16));
    char name[32];
    snprintf(name, sizeof name, "tensors_a%u.gguf", align);
    emit(w, name);
}

/* A nested array, which only hand-made bytes contain. */
static void nested(void) {
    static const uint8_t f[] = {
        'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
        4, 0, 0, 0, 0, 0, 0, 0, 'n', 'e', 's', 't', 9, 0, 0, 0,  /* key "nest", array */
        9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,                      /* of 1 array */
        4, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0, /* of 2 u32 */
    };
    save("nested.gguf", f, sizeof f);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gen_gguf_corpus DIR\n");
        return 2;
    }
    g_dir = argv[1];
    all_values(2);
    all_values(3);
    tensors(1);
    tensors(32);
    tensors(64);
    nested();
    printf("gen_gguf_corpus: %d files in %s\n", g_count, g_dir);
    return 0;
}
