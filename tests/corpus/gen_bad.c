/*
 * gen_bad.c - writes the malformed-model corpus (tests/corpus/bad) and the
 * fuzzers' seed models.
 *
 *   gen_bad bad DIR     every malformed file, plus DIR/MANIFEST
 *   gen_bad seeds DIR   small valid models (seeds for fuzz_model)
 *
 * Each malformed file breaks exactly one rule, at one of three levels:
 *   - the GGUF container (hand-made bytes: magic, version, counts, lengths,
 *     value types, tensor infos, alignment, extents);
 *   - the Qwen2 model (a tiny valid synthetic model with one key or tensor
 *     changed: missing or out-of-range hyper-parameters, wrong shapes and
 *     types, missing tensors, NaN/Inf in norms and biases);
 *   - the tokenizer metadata (ids beyond the vocabulary, merges naming
 *     unknown tokens, count mismatches, unsupported tokenizer models).
 * MANIFEST has one line per file: name, TAB, the l1_status l1_model_load
 * must return (FORMAT, UNSUPPORTED, LIMIT, NUMERIC), TAB, a substring the
 * error message must contain.  The substrings are written here by hand from
 * the rule broken: they name the key or tensor at fault and the reason.
 * The files are committed, so the test does not depend on this program;
 * rerun it (make -f tests/fuzz/fuzz.mk corpus) after adding a case.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "support/gguf_craft.h"
#include "tooling/synth.h"
#include "gguf/types.h"

static const char *g_dir;
static FILE *g_manifest;
static int g_count;

static void die(const char *what) {
    fprintf(stderr, "gen_bad: %s: %s\n", what, l1_last_error());
    exit(1);
}

static void save(const char *name, const uint8_t *p, size_t n, const char *status,
                 const char *substr) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) die(path);
    if (g_manifest) fprintf(g_manifest, "%s\t%s\t%s\n", name, status, substr);
    g_count++;
}

/* ---- the GGUF container ------------------------------------------------------ */

static void craft_save(gguf_craft *c, const char *name, const char *status, const char *substr) {
    save(name, c->p, c->len, status, substr);
    gguf_craft_free(c);
}

/* A header with one u32 key, then whatever the case appends. */
static void one_kv(gguf_craft *c, uint64_t n_tensors, uint64_t n_kv) {
    gguf_craft_init(c);
    gguf_craft_header(c, 3, n_tensors, n_kv);
    gguf_craft_kv_str(c, "general.architecture", "qwen2");
}

static void gguf_header_cases(void) {
    gguf_craft c;
    save("gguf_empty.gguf", NULL, 0, "FORMAT", "too short for a GGUF header");
    gguf_craft_init(&c);
    gguf_craft_bytes(&c, "GGUF\3\0\0\0\0\0", 10);
    craft_save(&c, "gguf_short_header.gguf", "FORMAT", "too short for a GGUF header");
    gguf_craft_init(&c);
    gguf_craft_bytes(&c, "GGML", 4);
    gguf_craft_u32(&c, 3);
    gguf_craft_u64(&c, 0);
    gguf_craft_u64(&c, 0);
    craft_save(&c, "gguf_bad_magic.gguf", "FORMAT", "bad magic");
    gguf_craft_init(&c);
    gguf_craft_header(&c, 1, 0, 0);
    craft_save(&c, "gguf_version1.gguf", "FORMAT", "GGUF version 1 is not supported");
    gguf_craft_init(&c);
    gguf_craft_header(&c, 4, 0, 0);
    craft_save(&c, "gguf_version4.gguf", "FORMAT", "unsupported GGUF version 4");
    gguf_craft_init(&c);
    gguf_craft_bytes(&c, "GGUF\0\0\0\3", 8);
    gguf_craft_u64(&c, 0);
    gguf_craft_u64(&c, 0);
    craft_save(&c, "gguf_big_endian.gguf", "FORMAT", "big-endian");
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, (uint64_t)1 << 40);
    craft_save(&c, "gguf_n_kv_huge.gguf", "LIMIT", "header: n_kv 1099511627776 exceeds the limit");
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, UINT64_MAX, 0);
    craft_save(&c, "gguf_n_tensors_huge.gguf", "LIMIT", "n_tensors 18446744073709551615 exceeds");
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 3);
    gguf_craft_kv_u32(&c, "a", 1);
    craft_save(&c, "gguf_n_kv_past_eof.gguf", "FORMAT",
               "header: 3 metadata pairs and 0 tensors cannot fit in a file of 41 bytes");
}

static void gguf_kv_cases(void) {
    gguf_craft c;
    /* Key lengths: one that would wrap a size computation, one past EOF. */
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 1);
    gguf_craft_u64(&c, UINT64_MAX);
    gguf_craft_zeros(&c, 64); /* room for one pair, so the header check passes */
    craft_save(&c, "gguf_key_len_wraps.gguf", "LIMIT", "length 18446744073709551615 exceeds the limit");
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 1);
    gguf_craft_u64(&c, 1000);
    gguf_craft_zeros(&c, 64);
    craft_save(&c, "gguf_key_past_eof.gguf", "FORMAT", "runs past the end of the file");
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 1);
    gguf_craft_kv_u32(&c, "", 1);
    craft_save(&c, "gguf_empty_key.gguf", "FORMAT", "empty key");
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 1);
    gguf_craft_u64(&c, 3);
    gguf_craft_bytes(&c, "a\0b", 3);
    gguf_craft_u32(&c, L1_GGUF_UINT32);
    gguf_craft_u32(&c, 1);
    craft_save(&c, "gguf_key_nul.gguf", "FORMAT", "key contains a NUL byte");
    one_kv(&c, 0, 2);
    gguf_craft_key(&c, "a.vtype", 13);
    gguf_craft_u32(&c, 0);
    craft_save(&c, "gguf_unknown_vtype.gguf", "FORMAT", "key a.vtype: unknown value type 13");
    one_kv(&c, 0, 2);
    gguf_craft_key(&c, "a.bool", L1_GGUF_BOOL);
    gguf_craft_u8(&c, 2);
    craft_save(&c, "gguf_bool_2.gguf", "FORMAT", "key a.bool: bool value 2");
    one_kv(&c, 0, 2);
    gguf_craft_key(&c, "a.str", L1_GGUF_STRING);
    gguf_craft_u64(&c, (uint64_t)1 << 62);
    craft_save(&c, "gguf_string_len_huge.gguf", "LIMIT", "exceeds the limit");
    one_kv(&c, 0, 2);
    gguf_craft_kv_u32(&c, "general.architecture", 7);
    craft_save(&c, "gguf_duplicate_key.gguf", "FORMAT", "key general.architecture: duplicate");
}

static void gguf_array_cases(void) {
    gguf_craft c;
    one_kv(&c, 0, 2);
    gguf_craft_key(&c, "a.arr", L1_GGUF_ARRAY);
    gguf_craft_u32(&c, 99);
    gguf_craft_u64(&c, 1);
    craft_save(&c, "gguf_array_elem_type.gguf", "FORMAT", "key a.arr: unknown array element type 99");
    one_kv(&c, 0, 2);
    gguf_craft_key(&c, "a.arr", L1_GGUF_ARRAY);
    gguf_craft_u32(&c, L1_GGUF_UINT64);
    gguf_craft_u64(&c, (uint64_t)1 << 61); /* times 8 bytes wraps 64 bits */
    craft_save(&c, "gguf_array_count_wraps.gguf", "LIMIT", "key a.arr: array count 2305843009213693952 exceeds");
    one_kv(&c, 0, 2);
    gguf_craft_key(&c, "a.arr", L1_GGUF_ARRAY);
    gguf_craft_u32(&c, L1_GGUF_UINT32);
    gguf_craft_u64(&c, 1000);
    gguf_craft_u32(&c, 1);
    craft_save(&c, "gguf_array_past_eof.gguf", "FORMAT", "key a.arr: array of 1000 u32 elements runs past the end");
    one_kv(&c, 0, 2);
    gguf_craft_key(&c, "a.arr", L1_GGUF_ARRAY);
    for (int d = 0; d < 12; d++) {
        gguf_craft_u32(&c, L1_GGUF_ARRAY);
        gguf_craft_u64(&c, 1);
    }
    gguf_craft_u32(&c, L1_GGUF_UINT8);
    gguf_craft_u64(&c, 1);
    gguf_craft_u8(&c, 0);
    craft_save(&c, "gguf_array_too_deep.gguf", "LIMIT", "key a.arr: arrays nested deeper than the limit");
    one_kv(&c, 0, 2);
    gguf_craft_key(&c, "a.arr", L1_GGUF_ARRAY);
    gguf_craft_u32(&c, L1_GGUF_BOOL);
    gguf_craft_u64(&c, 3);
    gguf_craft_bytes(&c, "\1\0\7", 3);
    craft_save(&c, "gguf_array_bool_7.gguf", "FORMAT", "key a.arr: element 2: bool value 7");
    one_kv(&c, 0, 2);
    gguf_craft_key(&c, "a.arr", L1_GGUF_ARRAY);
    gguf_craft_u32(&c, L1_GGUF_STRING);
    gguf_craft_u64(&c, 2);
    gguf_craft_str(&c, "ok");
    gguf_craft_u64(&c, UINT64_MAX - 1);
    craft_save(&c, "gguf_array_string_len_wraps.gguf", "LIMIT", "exceeds the limit");
}

/* One tensor info (after an architecture key), alignment 32, then `data`
 * bytes of zeros. */
static void tensor_file(gguf_craft *c, const char *name, uint32_t n_dims, const uint64_t *ne,
                        uint32_t type, uint64_t offset, size_t data) {
    one_kv(c, 1, 1);
    gguf_craft_tensor(c, name, n_dims, ne, type, offset);
    gguf_craft_pad(c, 32);
    gguf_craft_zeros(c, data);
}

static void gguf_tensor_cases(void) {
    gguf_craft c;
    const uint64_t v4[4] = {4, 1, 1, 1}, v5[5] = {1, 1, 1, 1, 1};
    tensor_file(&c, "t", 0, v4, L1_TYPE_F32, 0, 16);
    craft_save(&c, "gguf_tensor_ndims0.gguf", "FORMAT", "tensor t: n_dims 0");
    one_kv(&c, 1, 1);
    gguf_craft_tensor(&c, "t", 5, v5, L1_TYPE_F32, 0);
    gguf_craft_pad(&c, 32);
    gguf_craft_zeros(&c, 16);
    craft_save(&c, "gguf_tensor_ndims5.gguf", "FORMAT", "tensor t: n_dims 5");
    const uint64_t zero[2] = {4, 0};
    tensor_file(&c, "t", 2, zero, L1_TYPE_F32, 0, 16);
    craft_save(&c, "gguf_tensor_dim0.gguf", "FORMAT", "tensor t: dimension 1 is 0");
    const uint64_t neg[1] = {(uint64_t)1 << 63};
    tensor_file(&c, "t", 1, neg, L1_TYPE_F32, 0, 16);
    craft_save(&c, "gguf_tensor_dim_negative.gguf", "FORMAT", "tensor t: dimension 0 is 9223372036854775808");
    const uint64_t wrap[2] = {(uint64_t)1 << 31, (uint64_t)1 << 31}; /* 2^62 values, 2^64 bytes */
    tensor_file(&c, "t", 2, wrap, L1_TYPE_F32, 0, 16);
    craft_save(&c, "gguf_tensor_bytes_wrap.gguf", "FORMAT", "tensor t: byte size overflows");
    const uint64_t cnt[4] = {(uint64_t)1 << 32, (uint64_t)1 << 32, 4, 1};
    tensor_file(&c, "t", 3, cnt, L1_TYPE_F32, 0, 16);
    craft_save(&c, "gguf_tensor_count_wrap.gguf", "FORMAT", "tensor t: element count overflows (dimension 1)");
    tensor_file(&c, "t", 1, v4, 200, 0, 16);
    craft_save(&c, "gguf_tensor_type_200.gguf", "FORMAT", "tensor t: unknown type id 200");
    const uint64_t q31[1] = {31};
    tensor_file(&c, "t", 1, q31, L1_TYPE_Q8_0, 0, 64);
    craft_save(&c, "gguf_tensor_partial_block.gguf", "FORMAT", "row length 31 is not a multiple of the block size 32");
    tensor_file(&c, "t", 1, v4, L1_TYPE_F32, 4, 64);
    craft_save(&c, "gguf_tensor_misaligned.gguf", "FORMAT", "tensor t: offset 4 is not a multiple of the alignment 32");
    tensor_file(&c, "t", 1, v4, L1_TYPE_F32, 32, 16);
    craft_save(&c, "gguf_tensor_past_eof.gguf", "FORMAT", "tensor t: data past end of file");
    tensor_file(&c, "t", 1, v4, L1_TYPE_F32, UINT64_MAX - 31, 16);
    craft_save(&c, "gguf_tensor_offset_wraps.gguf", "FORMAT", "tensor t: data past end of file");
    tensor_file(&c, "", 1, v4, L1_TYPE_F32, 0, 16);
    craft_save(&c, "gguf_tensor_empty_name.gguf", "FORMAT", "empty name");
    one_kv(&c, 1, 1);
    gguf_craft_u64(&c, 3);
    gguf_craft_bytes(&c, "t\0u", 3);
    gguf_craft_u32(&c, 1);
    gguf_craft_u64(&c, 4);
    gguf_craft_u32(&c, L1_TYPE_F32);
    gguf_craft_u64(&c, 0);
    gguf_craft_pad(&c, 32);
    gguf_craft_zeros(&c, 16);
    craft_save(&c, "gguf_tensor_name_nul.gguf", "FORMAT", "name contains a NUL byte");
    const uint64_t v8[1] = {8};
    one_kv(&c, 2, 1);
    gguf_craft_tensor(&c, "a", 1, v8, L1_TYPE_F32, 0);
    gguf_craft_tensor(&c, "b", 1, v8, L1_TYPE_F32, 0);
    gguf_craft_pad(&c, 32);
    gguf_craft_zeros(&c, 64);
    craft_save(&c, "gguf_tensor_overlap.gguf", "FORMAT", "data overlaps");
    one_kv(&c, 2, 1);
    gguf_craft_tensor(&c, "a", 1, v8, L1_TYPE_F32, 0);
    gguf_craft_tensor(&c, "a", 1, v8, L1_TYPE_F32, 32);
    gguf_craft_pad(&c, 32);
    gguf_craft_zeros(&c, 64);
    craft_save(&c, "gguf_tensor_duplicate.gguf", "FORMAT", "tensor a: duplicate");
    one_kv(&c, 2, 1);
    gguf_craft_tensor(&c, "a", 1, v8, L1_TYPE_F32, 0);
    craft_save(&c, "gguf_tensor_infos_truncated.gguf", "FORMAT", "truncated");
}

static void gguf_alignment_cases(void) {
    gguf_craft c;
    const uint64_t v8[1] = {8};
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 1, 1);
    gguf_craft_kv_u32(&c, "general.alignment", 48);
    gguf_craft_tensor(&c, "a", 1, v8, L1_TYPE_F32, 0);
    gguf_craft_pad(&c, 48);
    gguf_craft_zeros(&c, 32);
    craft_save(&c, "gguf_alignment_48.gguf", "FORMAT", "key general.alignment: 48 is not a power of two");
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 1);
    gguf_craft_kv_u32(&c, "general.alignment", 0);
    craft_save(&c, "gguf_alignment_0.gguf", "FORMAT", "key general.alignment: 0 is not a power of two");
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 1);
    gguf_craft_kv_str(&c, "general.alignment", "32");
    craft_save(&c, "gguf_alignment_string.gguf", "FORMAT", "key general.alignment: must be u32");
}

/* ---- the model ---------------------------------------------------------------- */

/* One change to a tiny valid model. */
typedef struct mutation {
    const char *tensor;    /* the tensor the hook changes */
    int keep;              /* hook result for it: 0 drop, 1 keep, 2 keep with a NaN */
    int32_t type;          /* >= 0: its new type */
    uint32_t n_dims;       /* > 0: its new shape */
    int64_t ne[4];
    l1_status (*kv)(l1__gguf_writer *w); /* rewrites metadata */
} mutation;

static int tensor_hook(void *user, const char *name, uint32_t *type, uint32_t *n_dims, int64_t ne[4]) {
    const mutation *m = user;
    if (!m->tensor || strcmp(name, m->tensor) != 0) return 1;
    if (m->type >= 0) *type = (uint32_t)m->type;
    if (m->n_dims) {
        *n_dims = m->n_dims;
        memcpy(ne, m->ne, sizeof m->ne);
    }
    return m->keep;
}

static l1_status kv_hook(void *user, l1__gguf_writer *w) {
    const mutation *m = user;
    return m->kv ? m->kv(w) : L1_OK;
}

/* The corpus model: 1 layer, 32 wide, 2 heads sharing one KV head (head
 * size 16), Q8_0 matrices, the built-in 267-token vocabulary, ~20 KB. */
static void base_params(l1__synth_params *p) {
    if (l1__synth_preset("tiny", p) != L1_OK) die("preset");
    p->n_layer = 1;
    p->n_embd = 32;
    p->n_ff = 32;
    p->n_head = 2;
    p->n_head_kv = 1;
    p->n_ctx_train = 256;
    p->type = L1_TYPE_Q8_0;
    p->embd_type = L1_TYPE_Q8_0;
    p->tied = true;
    p->name = "l1-corpus";
}

static void build(const l1__synth_params *p, mutation *m, uint8_t **img, size_t *n) {
    l1__synth_params q = *p;
    q.tensor_hook = tensor_hook;
    q.kv_hook = kv_hook;
    q.hook_user = m;
    if (l1__synth_write_memory(&q, img, n) != L1_OK) die("synth");
}

static void model_case(const char *name, mutation m, const char *status, const char *substr) {
    l1__synth_params p;
    base_params(&p);
    uint8_t *img;
    size_t n;
    build(&p, &m, &img, &n);
    save(name, img, n, status, substr);
    l1__free(img);
}

#define KEEP(t) .tensor = (t), .keep = 1, .type = -1
#define KV(fn) .type = -1, .kv = (fn)

/* The first occurrence of a GGUF string (u64 length + bytes) equal to s. */
static uint8_t *find_gguf_str(uint8_t *img, size_t n, const char *s) {
    const size_t len = strlen(s);
    uint8_t pat[256];
    for (int i = 0; i < 8; i++) pat[i] = (uint8_t)((uint64_t)len >> (8 * i));
    memcpy(pat + 8, s, len);
    for (size_t i = 0; i + 8 + len <= n; i++)
        if (memcmp(img + i, pat, 8 + len) == 0) return img + i + 8;
    fprintf(stderr, "gen_bad: '%s' not found\n", s);
    exit(1);
}

/* The base model with the string `from` (a key or tensor name) renamed to
 * `to`, of the same length: the file stays valid GGUF, the name vanishes. */
static void rename_case(const char *name, const char *from, const char *to, const char *status,
                        const char *substr) {
    l1__synth_params p;
    base_params(&p);
    mutation m = {.type = -1};
    uint8_t *img;
    size_t n;
    build(&p, &m, &img, &n);
    if (strlen(from) != strlen(to)) die("rename: lengths differ");
    memcpy(find_gguf_str(img, n, from), to, strlen(to));
    save(name, img, n, status, substr);
    l1__free(img);
}

static l1_status kv_arch_llama(l1__gguf_writer *w) { return l1__gguf_writer_set_str(w, "general.architecture", "llama", 5); }
static l1_status kv_arch_u32(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "general.architecture", 2); }
static l1_status kv_blocks_0(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "qwen2.block_count", 0); }
static l1_status kv_blocks_big(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "qwen2.block_count", 5000); }
static l1_status kv_embd_big(l1__gguf_writer *w) { return l1__gguf_writer_set_u64(w, "qwen2.embedding_length", (uint64_t)1 << 40); }
static l1_status kv_ctx_neg(l1__gguf_writer *w) { return l1__gguf_writer_set_i32(w, "qwen2.context_length", -1); }
static l1_status kv_ctx_str(l1__gguf_writer *w) { return l1__gguf_writer_set_str(w, "qwen2.context_length", "4096", 4); }
static l1_status kv_ff_u64max(l1__gguf_writer *w) { return l1__gguf_writer_set_u64(w, "qwen2.feed_forward_length", UINT64_MAX); }
static l1_status kv_heads_3(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "qwen2.attention.head_count", 3); }
static l1_status kv_heads_0(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "qwen2.attention.head_count", 0); }
static l1_status kv_kv_heads_3(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "qwen2.attention.head_count_kv", 3); }
static l1_status kv_heads_32(l1__gguf_writer *w) {
    l1_status st = l1__gguf_writer_set_u32(w, "qwen2.attention.head_count", 32);
    return st ? st : l1__gguf_writer_set_u32(w, "qwen2.attention.head_count_kv", 32);
}
static l1_status kv_eps_nan(l1__gguf_writer *w) { return l1__gguf_writer_set_f32(w, "qwen2.attention.layer_norm_rms_epsilon", NAN); }
static l1_status kv_eps_neg(l1__gguf_writer *w) { return l1__gguf_writer_set_f32(w, "qwen2.attention.layer_norm_rms_epsilon", -1e-6f); }
static l1_status kv_theta_inf(l1__gguf_writer *w) { return l1__gguf_writer_set_f32(w, "qwen2.rope.freq_base", INFINITY); }
static l1_status kv_theta_f64(l1__gguf_writer *w) { return l1__gguf_writer_set_f64(w, "qwen2.rope.freq_base", 1e300); }

static void model_hparam_cases(void) {
    model_case("model_arch_llama.gguf", (mutation){KV(kv_arch_llama)}, "UNSUPPORTED",
               "key general.architecture: 'llama' is not supported");
    model_case("model_arch_u32.gguf", (mutation){KV(kv_arch_u32)}, "FORMAT",
               "key general.architecture: expected string");
    rename_case("model_arch_missing.gguf", "general.architecture", "general.architecturX", "FORMAT",
                "key general.architecture: missing");
    rename_case("model_no_context_length.gguf", "qwen2.context_length", "qwen2.context_lengtX", "FORMAT",
                "key qwen2.context_length: missing");
    rename_case("model_no_embedding_length.gguf", "qwen2.embedding_length", "qwen2.embedding_lengtX",
                "FORMAT", "key qwen2.embedding_length: missing");
    rename_case("model_no_block_count.gguf", "qwen2.block_count", "qwen2.block_counX", "FORMAT",
                "key qwen2.block_count: missing");
    rename_case("model_no_ffn_length.gguf", "qwen2.feed_forward_length", "qwen2.feed_forward_lengtX",
                "FORMAT", "key qwen2.feed_forward_length: missing");
    rename_case("model_no_head_count.gguf", "qwen2.attention.head_count", "qwen2.attention.head_counX",
                "FORMAT", "key qwen2.attention.head_count: missing");
    rename_case("model_no_rms_eps.gguf", "qwen2.attention.layer_norm_rms_epsilon",
                "qwen2.attention.layer_norm_rms_epsiloX", "FORMAT",
                "key qwen2.attention.layer_norm_rms_epsilon: missing");
    model_case("model_block_count_0.gguf", (mutation){KV(kv_blocks_0)}, "FORMAT",
               "key qwen2.block_count: 0 is out of range");
    model_case("model_block_count_5000.gguf", (mutation){KV(kv_blocks_big)}, "FORMAT",
               "key qwen2.block_count: 5000 is out of range");
    model_case("model_embedding_2e40.gguf", (mutation){KV(kv_embd_big)}, "FORMAT",
               "key qwen2.embedding_length: 1099511627776 is out of range");
    model_case("model_context_negative.gguf", (mutation){KV(kv_ctx_neg)}, "FORMAT",
               "key qwen2.context_length: -1 is out of range");
    model_case("model_context_string.gguf", (mutation){KV(kv_ctx_str)}, "FORMAT",
               "key qwen2.context_length: expected an integer");
    model_case("model_ffn_u64max.gguf", (mutation){KV(kv_ff_u64max)}, "FORMAT",
               "key qwen2.feed_forward_length: expected an integer");
    model_case("model_heads_not_dividing.gguf", (mutation){KV(kv_heads_3)}, "FORMAT",
               "embedding_length 32 is not a multiple of head_count 3");
    model_case("model_heads_0.gguf", (mutation){KV(kv_heads_0)}, "FORMAT",
               "key qwen2.attention.head_count: 0 is out of range");
    model_case("model_kv_heads_not_dividing.gguf", (mutation){KV(kv_kv_heads_3)}, "FORMAT",
               "head_count 2 is not a multiple of head_count_kv 3");
    model_case("model_head_size_odd.gguf", (mutation){KV(kv_heads_32)}, "FORMAT",
               "head size 1 (embedding_length / head_count) is odd");
    model_case("model_rms_eps_nan.gguf", (mutation){KV(kv_eps_nan)}, "FORMAT",
               "key qwen2.attention.layer_norm_rms_epsilon: nan is not a finite positive number");
    model_case("model_rms_eps_negative.gguf", (mutation){KV(kv_eps_neg)}, "FORMAT",
               "key qwen2.attention.layer_norm_rms_epsilon: -1e-06 is not a finite positive");
    model_case("model_rope_theta_inf.gguf", (mutation){KV(kv_theta_inf)}, "FORMAT",
               "key qwen2.rope.freq_base: inf is not a finite positive number");
    model_case("model_rope_theta_1e300.gguf", (mutation){KV(kv_theta_f64)}, "FORMAT",
               "key qwen2.rope.freq_base: value 1e+300 does not fit f32");
}

/* A tensor added beside the model's own (kv_hook may add tensors). */
static const float g_vec32[32];
static l1_status kv_extra_block(l1__gguf_writer *w) {
    int64_t ne[1] = {32};
    return l1__gguf_writer_add_tensor(w, "blk.1.attn_norm.weight", L1_TYPE_F32, 1, ne, g_vec32, sizeof g_vec32);
}
static l1_status kv_bad_block_name(l1__gguf_writer *w) {
    int64_t ne[1] = {32};
    return l1__gguf_writer_add_tensor(w, "blk.x.attn_norm.weight", L1_TYPE_F32, 1, ne, g_vec32, sizeof g_vec32);
}
static l1_status kv_output_wrong_rows(l1__gguf_writer *w) {
    static uint8_t q[34 * 100];
    int64_t ne[2] = {32, 100};
    return l1__gguf_writer_add_tensor(w, "output.weight", L1_TYPE_Q8_0, 2, ne, q, sizeof q);
}

static void model_tensor_cases(void) {
    model_case("model_missing_ffn_up.gguf", (mutation){.tensor = "blk.0.ffn_up.weight", .type = -1},
               "FORMAT", "tensor blk.0.ffn_up.weight: missing");
    model_case("model_missing_attn_k_bias.gguf", (mutation){.tensor = "blk.0.attn_k.bias", .type = -1},
               "FORMAT", "tensor blk.0.attn_k.bias: missing");
    model_case("model_missing_output_norm.gguf", (mutation){.tensor = "output_norm.weight", .type = -1},
               "FORMAT", "tensor output_norm.weight: missing");
    model_case("model_missing_token_embd.gguf", (mutation){.tensor = "token_embd.weight", .type = -1},
               "FORMAT", "tensor token_embd.weight: missing");
    model_case("model_attn_q_shape.gguf",
               (mutation){KEEP("blk.0.attn_q.weight"), .n_dims = 2, .ne = {32, 16, 1, 1}}, "FORMAT",
               "tensor blk.0.attn_q.weight: shape [32, 16], expected [32, 32]");
    model_case("model_ffn_down_transposed.gguf",
               (mutation){KEEP("blk.0.ffn_down.weight"), .n_dims = 3, .ne = {32, 32, 1, 1}}, "FORMAT",
               "tensor blk.0.ffn_down.weight: shape [32, 32, 1], expected [32, 32]");
    model_case("model_attn_k_rows.gguf",
               (mutation){KEEP("blk.0.attn_k.weight"), .n_dims = 2, .ne = {32, 32, 1, 1}}, "FORMAT",
               "tensor blk.0.attn_k.weight: shape [32, 32], expected [32, 16]");
    model_case("model_norm_2d.gguf",
               (mutation){KEEP("blk.0.attn_norm.weight"), .n_dims = 2, .ne = {32, 1, 1, 1}}, "FORMAT",
               "tensor blk.0.attn_norm.weight: shape [32, 1], expected [32]");
    model_case("model_bias_length.gguf",
               (mutation){KEEP("blk.0.attn_v.bias"), .n_dims = 1, .ne = {32, 1, 1, 1}}, "FORMAT",
               "tensor blk.0.attn_v.bias: shape [32], expected [16]");
    model_case("model_norm_f16.gguf", (mutation){.tensor = "blk.0.ffn_norm.weight", .keep = 1, .type = L1_TYPE_F16},
               "FORMAT", "tensor blk.0.ffn_norm.weight: type F16, expected F32");
    model_case("model_token_embd_1d.gguf",
               (mutation){KEEP("token_embd.weight"), .n_dims = 1, .ne = {32 * 267, 1, 1, 1}}, "FORMAT",
               "tensor token_embd.weight: shape [8544], expected [32, n_vocab]");
    model_case("model_token_embd_rows.gguf",
               (mutation){KEEP("token_embd.weight"), .n_dims = 2, .ne = {32, 266, 1, 1}}, "FORMAT",
               "tensor token_embd.weight: 266 rows, but tokenizer.ggml.tokens holds 267 tokens");
    model_case("model_nan_attn_norm.gguf", (mutation){.tensor = "blk.0.attn_norm.weight", .keep = 2, .type = -1},
               "NUMERIC", "tensor blk.0.attn_norm.weight: value 0 is not finite");
    model_case("model_nan_output_norm.gguf", (mutation){.tensor = "output_norm.weight", .keep = 2, .type = -1},
               "NUMERIC", "tensor output_norm.weight: value 0 is not finite");
    model_case("model_nan_q_bias.gguf", (mutation){.tensor = "blk.0.attn_q.bias", .keep = 2, .type = -1},
               "NUMERIC", "tensor blk.0.attn_q.bias: value 0 is not finite");
    model_case("model_extra_block.gguf", (mutation){KV(kv_extra_block)}, "FORMAT",
               "tensor blk.1.attn_norm.weight: block 1, but key qwen2.block_count is 1");
    model_case("model_bad_block_name.gguf", (mutation){KV(kv_bad_block_name)}, "FORMAT",
               "tensor blk.x.attn_norm.weight: malformed block name");
    model_case("model_output_rows.gguf", (mutation){KV(kv_output_wrong_rows)}, "FORMAT",
               "tensor output.weight: shape [32, 100], expected [32, 267]");
}

/* The base model (n_ff 256 when `wide`) as bytes, for byte-level patches. */
static void base_image(bool wide, uint8_t **img, size_t *n, l1__gguf **g) {
    l1__synth_params p;
    base_params(&p);
    if (wide) p.n_ff = 256;
    mutation m = {.type = -1};
    build(&p, &m, img, n);
    if (l1__gguf_open_memory(*img, *n, NULL, g) != L1_OK) die("reopen");
}

/* Changes the type field of tensor `name`'s info in place. */
static void patch_type(uint8_t *img, size_t n, const char *name, uint32_t type) {
    uint8_t *p = find_gguf_str(img, n, name) + strlen(name);
    uint32_t nd;
    memcpy(&nd, p, 4);
    p += 4 + 8 * (size_t)nd;
    memcpy(p, &type, 4);
}

static void model_patch_cases(void) {
    uint8_t *img;
    size_t n;
    l1__gguf *g;
    /* IQ2_XXS needs 256-value rows: ffn_down of the n_ff = 256 model.  Its
     * IQ2_XXS size is smaller than the Q8_0 bytes it sits on, so the
     * container stays valid and the type is what the loader must refuse. */
    base_image(true, &img, &n, &g);
    l1__gguf_close(g);
    patch_type(img, n, "blk.0.ffn_down.weight", L1_TYPE_IQ2_XXS);
    save("model_iq2_xxs.gguf", img, n, "UNSUPPORTED", "tensor blk.0.ffn_down.weight has type IQ2_XXS");
    l1__free(img);
    /* I8 (1 byte a value) fits in the Q8_0 bytes of attn_output. */
    base_image(false, &img, &n, &g);
    l1__gguf_close(g);
    patch_type(img, n, "blk.0.attn_output.weight", L1_TYPE_I8);
    save("model_matrix_type_i8.gguf", img, n, "UNSUPPORTED", "tensor blk.0.attn_output.weight has type I8");
    l1__free(img);
    /* +Inf in the middle of a norm, -Inf at the end of a bias. */
    base_image(false, &img, &n, &g);
    const l1__gguf_tensor *t = l1__gguf_find_tensor(g, "blk.0.ffn_norm.weight");
    float inf = INFINITY;
    memcpy(img + ((const uint8_t *)t->data - img) + 4 * 17, &inf, 4);
    l1__gguf_close(g);
    save("model_inf_ffn_norm.gguf", img, n, "NUMERIC", "tensor blk.0.ffn_norm.weight: value 17 is not finite");
    l1__free(img);
    base_image(false, &img, &n, &g);
    t = l1__gguf_find_tensor(g, "blk.0.attn_k.bias");
    inf = -INFINITY;
    memcpy(img + ((const uint8_t *)t->data - img) + 4 * 15, &inf, 4);
    l1__gguf_close(g);
    save("model_neg_inf_k_bias.gguf", img, n, "NUMERIC", "tensor blk.0.attn_k.bias: value 15 is not finite");
    l1__free(img);
    /* The whole model cut short: its last tensor runs past the end. */
    base_image(false, &img, &n, &g);
    l1__gguf_close(g);
    save("model_truncated.gguf", img, n - 100, "FORMAT", "data past end of file");
    save("model_truncated_in_tables.gguf", img, 3000, "FORMAT", "truncated");
    l1__free(img);
}

/* ---- the tokenizer ---------------------------------------------------------------- */

static l1_status kv_tok_model(l1__gguf_writer *w) { return l1__gguf_writer_set_str(w, "tokenizer.ggml.model", "llama", 5); }
static l1_status kv_tok_pre(l1__gguf_writer *w) { return l1__gguf_writer_set_str(w, "tokenizer.ggml.pre", "gpt-4o", 6); }
static l1_status kv_bos_beyond(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 267); }
static l1_status kv_eos_max(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", UINT32_MAX); }
static l1_status kv_pad_beyond(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "tokenizer.ggml.padding_token_id", 100000); }
static l1_status kv_eot_beyond(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "tokenizer.ggml.eot_token_id", 300); }
static l1_status kv_bos_string(l1__gguf_writer *w) { return l1__gguf_writer_set_str(w, "tokenizer.ggml.bos_token_id", "1", 1); }
static l1_status kv_add_bos_u32(l1__gguf_writer *w) { return l1__gguf_writer_set_u32(w, "tokenizer.ggml.add_bos_token", 1); }
static l1_status kv_merge_unknown(l1__gguf_writer *w) {
    static const char *m[] = {"Ġ t", "h e", "zz q"};
    return l1__gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", m, NULL, 3);
}
static l1_status kv_merge_no_space(l1__gguf_writer *w) {
    static const char *m[] = {"Ġ t", "he"};
    return l1__gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", m, NULL, 2);
}
static l1_status kv_merges_u32(l1__gguf_writer *w) {
    static const uint32_t m[2] = {1, 2};
    return l1__gguf_writer_set_arr(w, "tokenizer.ggml.merges", L1_GGUF_UINT32, m, 2);
}
static l1_status kv_types_short(l1__gguf_writer *w) {
    static int32_t ty[266];
    for (int i = 0; i < 266; i++) ty[i] = 1;
    return l1__gguf_writer_set_arr(w, "tokenizer.ggml.token_type", L1_GGUF_INT32, ty, 266);
}
static l1_status kv_types_bad(l1__gguf_writer *w) {
    static int32_t ty[267];
    for (int i = 0; i < 267; i++) ty[i] = i == 5 ? 9 : 1;
    return l1__gguf_writer_set_arr(w, "tokenizer.ggml.token_type", L1_GGUF_INT32, ty, 267);
}
static l1_status kv_types_u8(l1__gguf_writer *w) {
    static uint8_t ty[267];
    memset(ty, 1, sizeof ty);
    return l1__gguf_writer_set_arr(w, "tokenizer.ggml.token_type", L1_GGUF_UINT8, ty, 267);
}
static l1_status kv_tokens_u32(l1__gguf_writer *w) {
    static uint32_t t[267];
    return l1__gguf_writer_set_arr(w, "tokenizer.ggml.tokens", L1_GGUF_UINT32, t, 267);
}
static l1_status kv_tokens_empty(l1__gguf_writer *w) {
    l1_status st = l1__gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", NULL, NULL, 0);
    return st ? st : l1__gguf_writer_set_arr(w, "tokenizer.ggml.token_type", L1_GGUF_INT32, NULL, 0);
}

/* The built-in vocabulary with one entry replaced, for text-level cases. */
static const char *g_tok_replace_text;
static int g_tok_replace_id;
static l1_status kv_tokens_replace(l1__gguf_writer *w);

static void tokenizer_cases(void) {
    model_case("tok_model_llama.gguf", (mutation){KV(kv_tok_model)}, "UNSUPPORTED",
               "key tokenizer.ggml.model: 'llama' is not supported");
    model_case("tok_pre_unknown.gguf", (mutation){KV(kv_tok_pre)}, "UNSUPPORTED",
               "key tokenizer.ggml.pre: 'gpt-4o' is not supported");
    model_case("tok_bos_beyond_vocab.gguf", (mutation){KV(kv_bos_beyond)}, "FORMAT",
               "key tokenizer.ggml.bos_token_id: token id 267 out of range (267 tokens)");
    model_case("tok_eos_u32_max.gguf", (mutation){KV(kv_eos_max)}, "FORMAT",
               "key tokenizer.ggml.eos_token_id: token id 4294967295 out of range");
    model_case("tok_pad_beyond_vocab.gguf", (mutation){KV(kv_pad_beyond)}, "FORMAT",
               "key tokenizer.ggml.padding_token_id: token id 100000 out of range");
    model_case("tok_eot_beyond_vocab.gguf", (mutation){KV(kv_eot_beyond)}, "FORMAT",
               "key tokenizer.ggml.eot_token_id: token id 300 out of range");
    model_case("tok_bos_string.gguf", (mutation){KV(kv_bos_string)}, "FORMAT",
               "key tokenizer.ggml.bos_token_id: expected u32, found string");
    model_case("tok_add_bos_u32.gguf", (mutation){KV(kv_add_bos_u32)}, "FORMAT",
               "key tokenizer.ggml.add_bos_token: expected bool, found u32");
    model_case("tok_merge_unknown_token.gguf", (mutation){KV(kv_merge_unknown)}, "FORMAT",
               "tokenizer.ggml.merges[2]: 'zz q' names unknown token 'zz'");
    model_case("tok_merge_no_space.gguf", (mutation){KV(kv_merge_no_space)}, "FORMAT",
               "tokenizer.ggml.merges[1]: 'he' is not 'left right'");
    model_case("tok_merges_not_strings.gguf", (mutation){KV(kv_merges_u32)}, "FORMAT",
               "key tokenizer.ggml.merges: expected array of string, found array of u32");
    model_case("tok_type_count_mismatch.gguf", (mutation){KV(kv_types_short)}, "FORMAT",
               "key tokenizer.ggml.token_type: 266 entries, expected 267");
    model_case("tok_type_9.gguf", (mutation){KV(kv_types_bad)}, "FORMAT",
               "tokenizer.ggml.token_type[5]: 9 is not a token type");
    model_case("tok_type_u8.gguf", (mutation){KV(kv_types_u8)}, "FORMAT",
               "key tokenizer.ggml.token_type");
    model_case("tok_tokens_not_strings.gguf", (mutation){KV(kv_tokens_u32)}, "FORMAT",
               "key tokenizer.ggml.tokens: expected array of string, found array of u32");
    model_case("tok_tokens_empty.gguf", (mutation){KV(kv_tokens_empty)}, "FORMAT",
               "tokenizer.ggml.tokens: empty vocabulary");
    rename_case("tok_tokens_missing.gguf", "tokenizer.ggml.tokens", "tokenizer.ggml.tokenX", "FORMAT",
                "key tokenizer.ggml.tokens: missing");
    rename_case("tok_model_missing.gguf", "tokenizer.ggml.model", "tokenizer.ggml.modeX", "FORMAT",
                "key tokenizer.ggml.model: missing");
    /* Token 0 is byte 0x00 ("Ā" in the byte-level alphabet).  Spelled as
     * token 256 ("Ġt") it duplicates that one; spelled "<0x-1>" (a byte
     * token in another tokenizer's notation) byte 0x00 has no token. */
    g_tok_replace_id = 0;
    g_tok_replace_text = "Ġt";
    model_case("tok_duplicate_text.gguf", (mutation){KV(kv_tokens_replace)}, "FORMAT",
               "duplicates token 0");
    g_tok_replace_text = "<0x-1>";
    model_case("tok_byte_0_missing.gguf", (mutation){KV(kv_tokens_replace)}, "FORMAT",
               "no token for byte 0x00");
}

/* The built-in vocabulary as synth writes it, read back once. */
static l1_status kv_tokens_replace(l1__gguf_writer *w) {
    static const char *texts[512];
    static char store[512][32];
    static uint32_t nt;
    if (!nt) {
        l1__synth_params p;
        base_params(&p);
        uint8_t *img;
        size_t n;
        mutation m = {.type = -1};
        build(&p, &m, &img, &n);
        l1__gguf *g;
        uint64_t cnt;
        l1__gguf_vtype elem;
        if (l1__gguf_open_memory(img, n, NULL, &g) ||
            l1__gguf_get_arr(g, "tokenizer.ggml.tokens", &elem, &cnt) || cnt > 512)
            die("vocabulary");
        for (uint64_t i = 0; i < cnt; i++) {
            const char *s;
            uint64_t len;
            if (l1__gguf_get_arr_str(g, "tokenizer.ggml.tokens", i, &s, &len) || len >= 32) die("token");
            memcpy(store[i], s, len);
            store[i][len] = '\0';
            texts[i] = store[i];
        }
        nt = (uint32_t)cnt;
        l1__gguf_close(g);
        l1__free(img);
    }
    const char *saved = texts[g_tok_replace_id];
    texts[g_tok_replace_id] = g_tok_replace_text;
    l1_status st = l1__gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", texts, NULL, nt);
    texts[g_tok_replace_id] = saved;
    return st;
}

/* ---- seeds for fuzz_model ------------------------------------------------------------ */

static void seeds(void) {
    /* The smallest shapes (F32, 4 wide) keep each fuzzing run cheap; one
     * Q8_0 and one untied model cover the other binding paths. */
    struct { const char *name; int32_t embd, ff, heads, kv, layers; uint32_t type; bool tied; } s[] = {
        {"seed_f32_4.gguf", 4, 4, 2, 1, 1, L1_TYPE_F32, true},
        {"seed_f32_4_untied.gguf", 4, 8, 2, 2, 2, L1_TYPE_F32, false},
        {"seed_f16_8.gguf", 8, 8, 2, 1, 1, L1_TYPE_F16, true},
        {"seed_q8_0_32.gguf", 32, 32, 2, 1, 1, L1_TYPE_Q8_0, true},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        l1__synth_params p;
        base_params(&p);
        p.n_embd = s[i].embd, p.n_ff = s[i].ff, p.n_head = s[i].heads, p.n_head_kv = s[i].kv;
        p.n_layer = s[i].layers, p.type = s[i].type, p.embd_type = s[i].type, p.tied = s[i].tied;
        p.n_ctx_train = 64;
        uint8_t *img;
        size_t n;
        mutation m = {.type = -1};
        build(&p, &m, &img, &n);
        save(s[i].name, img, n, "OK", "");
        /* fuzz_model takes its load options from the length's low bits
         * (see fuzz_model.c): the same model with 1 to 3 trailing bytes
         * starts mutation from every combination. */
        for (size_t pad = 1; pad < 4; pad++) {
            uint8_t *q = l1__realloc(img, n + pad);
            if (!q) die("seed");
            img = q;
            memset(img + n, 0, pad);
            char name[96];
            snprintf(name, sizeof name, "%.*s_pad%zu.gguf", (int)(strlen(s[i].name) - 5), s[i].name, pad);
            save(name, img, n + pad, "OK", "");
        }
        l1__free(img);
    }
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "bad") != 0 && strcmp(argv[1], "seeds") != 0)) {
        fprintf(stderr, "usage: gen_bad bad|seeds DIR\n");
        return 2;
    }
    g_dir = argv[2];
    if (!strcmp(argv[1], "seeds")) {
        seeds();
    } else {
        char path[512];
        snprintf(path, sizeof path, "%s/MANIFEST", g_dir);
        g_manifest = fopen(path, "w");
        if (!g_manifest) die(path);
        fprintf(g_manifest, "# file\texpected status\texpected message substring (see gen_bad.c)\n");
        gguf_header_cases();
        gguf_kv_cases();
        gguf_array_cases();
        gguf_tensor_cases();
        gguf_alignment_cases();
        model_hparam_cases();
        model_tensor_cases();
        model_patch_cases();
        tokenizer_cases();
        if (fclose(g_manifest) != 0) die(path);
    }
    printf("gen_bad: %d files in %s\n", g_count, g_dir);
    return 0;
}
