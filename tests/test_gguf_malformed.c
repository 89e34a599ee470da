/*
 * test_gguf_malformed.c - a corpus of malformed GGUF files built byte by
 * byte (tests/support/gguf_craft.h): header, metadata and tensor table,
 * each of which must be refused with a status and a one-line message
 * naming the culprit, leaving nothing allocated (gguf_expect.h).
 *
 * Expected sizes are derived by hand from each type's block layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/base.h"
#include "gguf/gguf.h"
#include "support/gguf_craft.h"
#include "support/gguf_expect.h"

/* ---- malformed files: header ---------------------------------------------------------- */

static void gguf_rejects_bad_magic(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_bytes(&c, "GGML", 4);
    gguf_craft_u32(&c, 3);
    gguf_craft_u64(&c, 0);
    gguf_craft_u64(&c, 0);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "header", "magic");
    gguf_craft_free(&c);
}

static void gguf_rejects_version_1(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 1, 0, 0);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "version 1", "not supported");
    gguf_craft_free(&c);
}

static void gguf_rejects_version_0_and_4(void **state) {
    (void)state;
    for (uint32_t v = 0; v <= 4; v += 4) {
        gguf_craft c;
        gguf_craft_init(&c);
        gguf_craft_header(&c, v, 0, 0);
        gguf_expect_reject(&c, L1_ERR_FORMAT, "header", v ? "version 4" : "version 0");
        gguf_craft_free(&c);
    }
}

static void gguf_rejects_big_endian_file(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 0x03000000u, 0, 0);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "header", "big-endian");
    gguf_craft_free(&c);
}

static void gguf_rejects_file_shorter_than_header(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "header", "too short"); /* empty */
    gguf_craft_bytes(&c, "GGUF", 4);
    gguf_craft_u32(&c, 3);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "header", "too short");
    gguf_craft_free(&c);
}

static void gguf_rejects_absurd_kv_count(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, UINT64_MAX);
    gguf_expect_reject(&c, L1_ERR_LIMIT, "n_kv", "limit");
    gguf_craft_free(&c);
}

static void gguf_rejects_absurd_tensor_count(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, (uint64_t)1 << 62, 0);
    gguf_expect_reject(&c, L1_ERR_LIMIT, "n_tensors", "limit");
    gguf_craft_free(&c);
}

static void gguf_rejects_counts_larger_than_the_file(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 10, 1000); /* under the caps, over the bytes */
    gguf_craft_kv_u32(&c, "a", 1);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "header", "cannot fit");
    gguf_craft_free(&c);
}

/* ---- malformed files: metadata ------------------------------------------------------------ */

static void gguf_rejects_key_longer_than_the_file(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 1);
    gguf_craft_u64(&c, 1000);
    gguf_craft_bytes(&c, "general.name", 12);
    gguf_craft_zeros(&c, 4);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key #0", "past the end");
    gguf_craft_free(&c);
}

static void gguf_rejects_string_longer_than_the_file(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "general.name", VT_STR);
    gguf_craft_u64(&c, 100);
    gguf_craft_bytes(&c, "short", 5);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key general.name", "past the end");
    gguf_craft_free(&c);
}

static void gguf_rejects_string_length_u64_max(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "general.name", VT_STR);
    gguf_craft_u64(&c, UINT64_MAX);
    gguf_craft_bytes(&c, "x", 1);
    gguf_expect_reject(&c, L1_ERR_LIMIT, "key general.name", "exceeds the limit");
    gguf_craft_free(&c);
}

static void gguf_rejects_string_over_the_limit(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "general.name", VT_STR);
    gguf_craft_str(&c, "seventeen bytes!!");
    l1__gguf_limits lim = {.max_string_len = 16};
    gguf_expect_reject_lim(&c, &lim, L1_ERR_LIMIT, "key general.name", "17");
    gguf_craft_free(&c);
}

static void gguf_rejects_array_longer_than_the_file(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "tokenizer.ggml.token_type", VT_ARR);
    gguf_craft_u32(&c, VT_I32);
    gguf_craft_u64(&c, 1000);
    gguf_craft_u32(&c, 1);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key tokenizer.ggml.token_type", "past the end");
    gguf_craft_free(&c);
}

static void gguf_rejects_string_array_longer_than_the_file(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "tokenizer.ggml.tokens", VT_ARR);
    gguf_craft_u32(&c, VT_STR);
    gguf_craft_u64(&c, 100000); /* 8 bytes of length each at least */
    gguf_craft_str(&c, "a");
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key tokenizer.ggml.tokens", "past the end");
    gguf_craft_free(&c);
}

static void gguf_rejects_array_string_element_past_eof(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "tokenizer.ggml.tokens", VT_ARR);
    gguf_craft_u32(&c, VT_STR);
    gguf_craft_u64(&c, 2);
    gguf_craft_str(&c, "a");
    gguf_craft_u64(&c, 50);
    gguf_craft_bytes(&c, "bcd", 3);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key tokenizer.ggml.tokens", "array string length 50");
    gguf_craft_free(&c);
}

static void gguf_rejects_array_over_the_limit(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "a.big", VT_ARR);
    gguf_craft_u32(&c, VT_U8);
    gguf_craft_u64(&c, 5);
    gguf_craft_zeros(&c, 5);
    l1__gguf_limits lim = {.max_array_len = 4};
    gguf_expect_reject_lim(&c, &lim, L1_ERR_LIMIT, "key a.big", "array count 5");
    gguf_craft_free(&c);
}

static void gguf_rejects_nested_array_depth_bomb(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "bomb", VT_ARR);
    for (int i = 0; i < 10000; i++) {
        gguf_craft_u32(&c, VT_ARR);
        gguf_craft_u64(&c, 1);
    }
    gguf_craft_u32(&c, VT_U8);
    gguf_craft_u64(&c, 0);
    gguf_expect_reject(&c, L1_ERR_LIMIT, "key bomb", "nested deeper");
    gguf_craft_free(&c);
}

static void gguf_rejects_metadata_over_the_heap_limit(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "tokenizer.ggml.tokens", VT_ARR);
    gguf_craft_u32(&c, VT_STR);
    gguf_craft_u64(&c, 200);
    for (int i = 0; i < 200; i++) gguf_craft_str(&c, "token");
    l1__gguf_limits lim = {.max_metadata_bytes = 2048};
    gguf_expect_reject_lim(&c, &lim, L1_ERR_LIMIT, "key tokenizer.ggml.tokens", "limit of 2048");
    gguf_craft_free(&c);
}

static void gguf_rejects_unknown_value_type(void **state) {
    (void)state;
    const uint32_t bad[2] = {13, UINT32_MAX};
    for (int i = 0; i < 2; i++) {
        gguf_craft c;
        gguf_one_key(&c, "general.weird", bad[i]);
        gguf_craft_u64(&c, 0);
        gguf_expect_reject(&c, L1_ERR_FORMAT, "key general.weird", "unknown value type");
        gguf_craft_free(&c);
    }
}

static void gguf_rejects_unknown_array_element_type(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "a.weird", VT_ARR);
    gguf_craft_u32(&c, 77);
    gguf_craft_u64(&c, 1);
    gguf_craft_u64(&c, 0);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key a.weird", "unknown array element type 77");
    gguf_craft_free(&c);
}

static void gguf_rejects_bool_value_2(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "general.flag", VT_BOOL);
    gguf_craft_u8(&c, 2);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key general.flag", "bool value 2");
    gguf_craft_free(&c);
}

static void gguf_rejects_bool_array_element_2(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "a.flags", VT_ARR);
    gguf_craft_u32(&c, VT_BOOL);
    gguf_craft_u64(&c, 3);
    gguf_craft_u8(&c, 1);
    gguf_craft_u8(&c, 0);
    gguf_craft_u8(&c, 2);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key a.flags", "element 2: bool value 2");
    gguf_craft_free(&c);
}

static void gguf_rejects_duplicate_keys(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 3);
    gguf_craft_kv_u32(&c, "qwen2.block_count", 2);
    gguf_craft_kv_str(&c, "general.name", "x");
    gguf_craft_kv_u32(&c, "qwen2.block_count", 3);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key qwen2.block_count", "duplicate");
    gguf_craft_free(&c);
}

static void gguf_rejects_empty_key(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "", VT_U32);
    gguf_craft_u32(&c, 1);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key #0", "empty key");
    gguf_craft_free(&c);
}

static void gguf_rejects_key_with_nul_byte(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 1);
    gguf_craft_u64(&c, 7);
    gguf_craft_bytes(&c, "gen\0ral", 7);
    gguf_craft_u32(&c, VT_U32);
    gguf_craft_u32(&c, 1);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key gen?ral", "NUL byte");
    gguf_craft_free(&c);
}

static void gguf_rejects_alignment_0(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 1);
    gguf_craft_kv_u32(&c, "general.alignment", 0);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key general.alignment", "power of two");
    gguf_craft_free(&c);
}

static void gguf_rejects_alignment_3(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 0, 1);
    gguf_craft_kv_u32(&c, "general.alignment", 3);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key general.alignment", "3 is not a power of two");
    gguf_craft_free(&c);
}

static void gguf_rejects_alignment_not_u32(void **state) {
    (void)state;
    gguf_craft c;
    gguf_one_key(&c, "general.alignment", VT_U64);
    gguf_craft_u64(&c, 32);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "key general.alignment", "must be u32, found u64");
    gguf_craft_free(&c);
}

/* ---- malformed files: tensor table ----------------------------------------------------------- */

static void gguf_rejects_n_dims_0(void **state) {
    (void)state;
    uint64_t ne[1] = {4};
    gguf_reject_one_tensor("blk.0.attn_q.weight", 0, ne, L1_TYPE_F32, 0, 32, "n_dims 0");
}

static void gguf_rejects_n_dims_5(void **state) {
    (void)state;
    uint64_t ne[5] = {4, 1, 1, 1, 1};
    gguf_reject_one_tensor("blk.0.attn_q.weight", 5, ne, L1_TYPE_F32, 0, 32, "n_dims 5");
}

static void gguf_rejects_zero_dimension(void **state) {
    (void)state;
    uint64_t ne[2] = {4, 0};
    gguf_reject_one_tensor("w.zero", 2, ne, L1_TYPE_F32, 0, 32, "dimension 1 is 0");
}

static void gguf_rejects_dimension_above_int64_max(void **state) {
    (void)state;
    uint64_t ne[1] = {(uint64_t)1 << 63};
    gguf_reject_one_tensor("w.huge", 1, ne, L1_TYPE_F32, 0, 32, "dimension 0");
}

static void gguf_rejects_type_id_out_of_range(void **state) {
    (void)state;
    uint64_t ne[1] = {8};
    gguf_reject_one_tensor("w.t43", 1, ne, L1_TYPE_COUNT, 0, 32, "unknown type id 43");
    gguf_reject_one_tensor("w.tmax", 1, ne, UINT32_MAX, 0, 32, "unknown type id 4294967295");
}

static void gguf_rejects_retired_type_id_4(void **state) {
    (void)state;
    uint64_t ne[1] = {32};
    gguf_reject_one_tensor("w.q4_2", 1, ne, 4, 0, 32, "unknown type id 4");
}

static void gguf_rejects_row_not_a_multiple_of_the_block(void **state) {
    (void)state;
    uint64_t ne[2] = {100, 2};
    gguf_reject_one_tensor("w.q4k", 2, ne, L1_TYPE_Q4_K, 0, 512, "row length 100 is not a multiple of the block size 256");
}

static void gguf_rejects_wrap_f32_2p32_x_2p32(void **state) {
    (void)state;
    uint64_t ne[2] = {(uint64_t)1 << 32, (uint64_t)1 << 32};
    gguf_reject_one_tensor("w.wrap1", 2, ne, L1_TYPE_F32, 0, 64, "element count overflows");
}

static void gguf_rejects_wrap_i8_int64max_x_2(void **state) {
    (void)state;
    uint64_t ne[2] = {(uint64_t)INT64_MAX, 2};
    gguf_reject_one_tensor("w.wrap2", 2, ne, L1_TYPE_I8, 0, 64, "element count overflows");
}

static void gguf_rejects_wrap_f32_4_x_2p30m1_x_2p30p1(void **state) {
    (void)state;
    /* 4 * (2^30 - 1) * (2^30 + 1) = 2^62 - 4 elements fit; 4 bytes each do not. */
    uint64_t ne[3] = {4, ((uint64_t)1 << 30) - 1, ((uint64_t)1 << 30) + 1};
    gguf_reject_one_tensor("w.wrap3", 3, ne, L1_TYPE_F32, 0, 64, "byte size overflows");
}

static void gguf_rejects_wrap_f32_size_max_over_4(void **state) {
    (void)state;
    uint64_t ne[1] = {(uint64_t)SIZE_MAX / 4};
    gguf_reject_one_tensor("w.wrap4", 1, ne, L1_TYPE_F32, 0, 64, "byte size overflows");
}

static void gguf_rejects_tensor_past_eof(void **state) {
    (void)state;
    uint64_t ne[1] = {16}; /* 64 bytes, 32 present */
    gguf_reject_one_tensor("output.weight", 1, ne, L1_TYPE_F32, 0, 32, "past end of file");
}

static void gguf_rejects_tensor_one_byte_short(void **state) {
    (void)state;
    uint64_t ne[1] = {33}; /* 33 I8 bytes, 32 present */
    gguf_reject_one_tensor("w.short", 1, ne, L1_TYPE_I8, 0, 32, "past end of file");
}

static void gguf_rejects_tensor_offset_that_wraps(void **state) {
    (void)state;
    uint64_t ne[1] = {8};
    gguf_reject_one_tensor("w.far", 1, ne, L1_TYPE_F32, UINT64_MAX - 31, 32, "past end of file");
}

static void gguf_rejects_misaligned_offset(void **state) {
    (void)state;
    uint64_t ne[1] = {4};
    gguf_reject_one_tensor("w.mis", 1, ne, L1_TYPE_F32, 4, 64, "not a multiple of the alignment 32");
}

static void gguf_uses_general_alignment_for_offsets(void **state) {
    (void)state;
    uint64_t ne[1] = {8};
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 2, 1);
    gguf_craft_kv_u32(&c, "general.alignment", 64);
    gguf_craft_tensor(&c, "w.a", 1, ne, L1_TYPE_F32, 0);
    gguf_craft_tensor(&c, "w.b", 1, ne, L1_TYPE_F32, 32); /* fine at 32, not at 64 */
    gguf_craft_pad(&c, 64);
    gguf_craft_zeros(&c, 128);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "tensor w.b", "alignment 64");
    gguf_craft_free(&c);
}

static void gguf_rejects_overlapping_tensors(void **state) {
    (void)state;
    uint64_t ne[1] = {16}; /* 64 bytes each */
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 2, 0);
    gguf_craft_tensor(&c, "w.first", 1, ne, L1_TYPE_F32, 0);
    gguf_craft_tensor(&c, "w.second", 1, ne, L1_TYPE_F32, 32);
    gguf_craft_pad(&c, 32);
    gguf_craft_zeros(&c, 128);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "w.second", "overlaps tensor w.first");
    gguf_craft_free(&c);
}

static void gguf_rejects_duplicate_tensor_names(void **state) {
    (void)state;
    uint64_t ne[1] = {8};
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 2, 0);
    gguf_craft_tensor(&c, "token_embd.weight", 1, ne, L1_TYPE_F32, 0);
    gguf_craft_tensor(&c, "token_embd.weight", 1, ne, L1_TYPE_F32, 32);
    gguf_craft_pad(&c, 32);
    gguf_craft_zeros(&c, 64);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "tensor token_embd.weight", "duplicate");
    gguf_craft_free(&c);
}

static void gguf_rejects_empty_tensor_name(void **state) {
    (void)state;
    uint64_t ne[1] = {8};
    gguf_craft c;
    gguf_one_tensor(&c, "", 1, ne, L1_TYPE_F32, 0, 32);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "tensor #0", "empty name");
    gguf_craft_free(&c);
}

static void gguf_rejects_tensor_name_longer_than_the_file(void **state) {
    (void)state;
    gguf_craft c;
    gguf_craft_init(&c);
    gguf_craft_header(&c, 3, 1, 0);
    gguf_craft_u64(&c, 5000);
    gguf_craft_bytes(&c, "w.name", 6);
    gguf_craft_zeros(&c, 40);
    gguf_expect_reject(&c, L1_ERR_FORMAT, "tensor #0", "name length 5000");
    gguf_craft_free(&c);
}

static void gguf_accepts_unimplemented_but_valid_type(void **state) {
    (void)state;
    uint64_t ne[1] = {256};
    gguf_craft c;
    gguf_one_tensor(&c, "w.iq2", 1, ne, L1_TYPE_IQ2_XXS, 0, 66);
    gguf_expect_open(&c);
    gguf_craft_free(&c);
}

static void gguf_open_reports_the_path_and_rejects_a_directory(void **state) {
    (void)state;
    l1__gguf *g = (l1__gguf *)1;
    assert_int_equal(l1__gguf_open("/tmp", NULL, &g), L1_ERR_IO);
    assert_null(g);
    char path[] = "/tmp/l1_gguf_bad_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "GGUF\x01\0\0\0", 8), 8);
    close(fd);
    assert_int_equal(l1__gguf_open(path, NULL, &g), L1_ERR_FORMAT);
    assert_non_null(strstr(l1_last_error(), path));
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gguf_rejects_bad_magic),
        cmocka_unit_test(gguf_rejects_version_1),
        cmocka_unit_test(gguf_rejects_version_0_and_4),
        cmocka_unit_test(gguf_rejects_big_endian_file),
        cmocka_unit_test(gguf_rejects_file_shorter_than_header),
        cmocka_unit_test(gguf_rejects_absurd_kv_count),
        cmocka_unit_test(gguf_rejects_absurd_tensor_count),
        cmocka_unit_test(gguf_rejects_counts_larger_than_the_file),
        cmocka_unit_test(gguf_rejects_key_longer_than_the_file),
        cmocka_unit_test(gguf_rejects_string_longer_than_the_file),
        cmocka_unit_test(gguf_rejects_string_length_u64_max),
        cmocka_unit_test(gguf_rejects_string_over_the_limit),
        cmocka_unit_test(gguf_rejects_array_longer_than_the_file),
        cmocka_unit_test(gguf_rejects_string_array_longer_than_the_file),
        cmocka_unit_test(gguf_rejects_array_string_element_past_eof),
        cmocka_unit_test(gguf_rejects_array_over_the_limit),
        cmocka_unit_test(gguf_rejects_nested_array_depth_bomb),
        cmocka_unit_test(gguf_rejects_metadata_over_the_heap_limit),
        cmocka_unit_test(gguf_rejects_unknown_value_type),
        cmocka_unit_test(gguf_rejects_unknown_array_element_type),
        cmocka_unit_test(gguf_rejects_bool_value_2),
        cmocka_unit_test(gguf_rejects_bool_array_element_2),
        cmocka_unit_test(gguf_rejects_duplicate_keys),
        cmocka_unit_test(gguf_rejects_empty_key),
        cmocka_unit_test(gguf_rejects_key_with_nul_byte),
        cmocka_unit_test(gguf_rejects_alignment_0),
        cmocka_unit_test(gguf_rejects_alignment_3),
        cmocka_unit_test(gguf_rejects_alignment_not_u32),
        cmocka_unit_test(gguf_rejects_n_dims_0),
        cmocka_unit_test(gguf_rejects_n_dims_5),
        cmocka_unit_test(gguf_rejects_zero_dimension),
        cmocka_unit_test(gguf_rejects_dimension_above_int64_max),
        cmocka_unit_test(gguf_rejects_type_id_out_of_range),
        cmocka_unit_test(gguf_rejects_retired_type_id_4),
        cmocka_unit_test(gguf_rejects_row_not_a_multiple_of_the_block),
        cmocka_unit_test(gguf_rejects_wrap_f32_2p32_x_2p32),
        cmocka_unit_test(gguf_rejects_wrap_i8_int64max_x_2),
        cmocka_unit_test(gguf_rejects_wrap_f32_4_x_2p30m1_x_2p30p1),
        cmocka_unit_test(gguf_rejects_wrap_f32_size_max_over_4),
        cmocka_unit_test(gguf_rejects_tensor_past_eof),
        cmocka_unit_test(gguf_rejects_tensor_one_byte_short),
        cmocka_unit_test(gguf_rejects_tensor_offset_that_wraps),
        cmocka_unit_test(gguf_rejects_misaligned_offset),
        cmocka_unit_test(gguf_uses_general_alignment_for_offsets),
        cmocka_unit_test(gguf_rejects_overlapping_tensors),
        cmocka_unit_test(gguf_rejects_duplicate_tensor_names),
        cmocka_unit_test(gguf_rejects_empty_tensor_name),
        cmocka_unit_test(gguf_rejects_tensor_name_longer_than_the_file),
        cmocka_unit_test(gguf_accepts_unimplemented_but_valid_type),
        cmocka_unit_test(gguf_open_reports_the_path_and_rejects_a_directory),
    };
    return cmocka_run_group_tests_name("gguf_malformed", tests, NULL, NULL);
}
