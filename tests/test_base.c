/*
 * test_base.c - the base layer: status strings, last error, logging,
 * checked arithmetic, allocation fault injection, file mapping, CPU
 * detection, f16/bf16 conversion.
 */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/base.h"
#include "base/fp16.h"
#include "gguf/types.h"

static void status_strings_are_distinct_and_total(void **state) {
    (void)state;
    const l1_status all[] = {L1_OK, L1_ERR_IO, L1_ERR_FORMAT, L1_ERR_UNSUPPORTED, L1_ERR_NOMEM,
                             L1_ERR_INVALID_ARG, L1_ERR_BUFFER_TOO_SMALL, L1_ERR_CONTEXT_FULL,
                             L1_ERR_ABORTED, L1_ERR_LIMIT, L1_ERR_NUMERIC, L1_ERR_INTERNAL};
    for (size_t i = 0; i < L1_ARRAY_LEN(all); i++) {
        assert_string_not_equal(l1_status_str(all[i]), "unknown status");
        for (size_t j = 0; j < i; j++) assert_string_not_equal(l1_status_str(all[i]), l1_status_str(all[j]));
    }
    assert_string_equal(l1_status_str((l1_status)12345), "unknown status");
    assert_string_equal(l1_status_str(L1_OK), "ok");
}

static void version_matches_header(void **state) {
    (void)state;
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", L1_VERSION_MAJOR, L1_VERSION_MINOR, L1_VERSION_PATCH);
    assert_string_equal(l1_version(), want);
    assert_int_equal(l1_version_number(), L1_VERSION_NUMBER);
}

static void last_error_keeps_message_and_prefix(void **state) {
    (void)state;
    l1__error_clear();
    assert_string_equal(l1_last_error(), "");
    assert_int_equal(l1__error(L1_ERR_FORMAT, "tensor %s: %s", "a.weight", "bad"), L1_ERR_FORMAT);
    assert_string_equal(l1_last_error(), "tensor a.weight: bad");
    l1__error_prefix("file %d", 7);
    assert_string_equal(l1_last_error(), "file 7: tensor a.weight: bad");
    /* A message longer than the buffer is cut, never overflowed. */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    l1__error(L1_ERR_IO, "%s", big);
    assert_true(strlen(l1_last_error()) < sizeof big - 1);
}

static int g_log_calls;
static char g_log_last[256];
static void log_hook(l1_log_level level, const char *msg, void *user) {
    (void)level;
    g_log_calls += *(int *)user;
    snprintf(g_log_last, sizeof g_log_last, "%s", msg);
}

static void log_is_silent_by_default_and_filters_levels(void **state) {
    (void)state;
    g_log_calls = 0;
    l1__log(L1_LOG_ERROR, "nobody listens");
    assert_int_equal(g_log_calls, 0);
    int one = 1;
    l1_log_set(log_hook, &one);
    l1_log_set_level(L1_LOG_WARN);
    l1__log(L1_LOG_INFO, "filtered");
    assert_int_equal(g_log_calls, 0);
    l1__log(L1_LOG_WARN, "kept %d", 42);
    assert_int_equal(g_log_calls, 1);
    assert_string_equal(g_log_last, "kept 42");
    l1_log_set(NULL, NULL);
    l1_log_set_level(L1_LOG_INFO);
    l1__log(L1_LOG_ERROR, "gone");
    assert_int_equal(g_log_calls, 1);
}

static void checked_arithmetic_detects_wrap(void **state) {
    (void)state;
    uint64_t r;
    assert_true(l1__mul_u64(1ull << 31, 1ull << 32, &r));
    assert_int_equal(r, 1ull << 63);
    assert_false(l1__mul_u64(1ull << 32, 1ull << 32, &r));
    assert_false(l1__mul_u64(UINT64_MAX / 4 + 1, 4, &r));
    assert_true(l1__add_u64(UINT64_MAX - 1, 1, &r));
    assert_false(l1__add_u64(UINT64_MAX, 1, &r));
    int64_t s;
    assert_false(l1__mul_i64(INT64_MAX, 2, &s));
    assert_true(l1__align_up_u64(33, 32, &r));
    assert_int_equal(r, 64);
    assert_true(l1__align_up_u64(64, 32, &r));
    assert_int_equal(r, 64);
    assert_false(l1__align_up_u64(UINT64_MAX - 3, 32, &r));
}

static void alloc_fault_injection_fails_the_nth(void **state) {
    (void)state;
    l1__alloc_fail_reset();
    int64_t live = l1__alloc_live();
    l1__alloc_fail_after(2);
    void *a = l1__malloc(8), *b = l1__calloc(2, 8), *c = l1__malloc(8);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c);
    assert_null(l1__aligned_alloc(64, 64)); /* still failing */
    l1__alloc_fail_reset();
    void *d = l1__aligned_alloc(64, 100);
    assert_non_null(d);
    assert_int_equal((uintptr_t)d % 64, 0);
    l1__free(a);
    l1__free(b);
    l1__aligned_free(d);
    l1__free(NULL);
    assert_int_equal(l1__alloc_live(), live);
    char *s = l1__strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    l1__free(s);
}

static void file_open_maps_and_reads_regular_files(void **state) {
    (void)state;
    char path[] = "/tmp/l1_test_file_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hello", 5), 5);
    close(fd);
    for (int force = 0; force < 2; force++) {
        l1__file f;
        assert_int_equal(l1__file_open(path, force, &f), L1_OK);
        assert_int_equal(f.size, 5);
        assert_memory_equal(f.data, "hello", 5);
        assert_int_equal(f.mapped, !force);
        l1__file_close(&f);
    }
    unlink(path);
}

static void file_open_rejects_non_regular_files(void **state) {
    (void)state;
    l1__file f;
    assert_int_equal(l1__file_open("/tmp", false, &f), L1_ERR_IO);
    assert_non_null(strstr(l1_last_error(), "directory"));
    assert_int_equal(l1__file_open("/dev/zero", false, &f), L1_ERR_IO);
    assert_non_null(strstr(l1_last_error(), "character device"));
    char fifo[] = "/tmp/l1_test_fifo_XXXXXX";
    int fd = mkstemp(fifo);
    close(fd);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(l1__file_open(fifo, false, &f), L1_ERR_IO); /* must not block */
    assert_non_null(strstr(l1_last_error(), "FIFO"));
    unlink(fifo);
    assert_int_equal(l1__file_open("/nonexistent/l1", false, &f), L1_ERR_IO);
    assert_non_null(strstr(l1_last_error(), "/nonexistent/l1"));
    assert_int_equal(l1__file_open(NULL, false, &f), L1_ERR_INVALID_ARG);
}

static void file_open_empty_file_has_no_data(void **state) {
    (void)state;
    char path[] = "/tmp/l1_test_empty_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    l1__file f;
    assert_int_equal(l1__file_open(path, false, &f), L1_OK);
    assert_int_equal(f.size, 0);
    assert_null(f.data);
    l1__file_close(&f);
    unlink(path);
}

static void cpu_detection_is_consistent(void **state) {
    (void)state;
    const l1__cpu *c = l1__cpu_get();
    assert_ptr_equal(c, l1__cpu_get());
    assert_true(c->n_cores_logical >= 1);
    assert_true(c->n_cores_physical >= 1 && c->n_cores_physical <= c->n_cores_logical);
    /* Implications that hold on every real CPU. */
    if (c->avx2) assert_true(c->avx);
    if (c->avx512bw || c->avx512vl || c->avx512vnni) assert_true(c->avx512f);
#if defined(__x86_64__)
    assert_true(c->sse3); /* every x86-64 CPU still in use has SSE3 */
#endif
#if defined(__aarch64__)
    assert_true(c->neon);
#endif
}

/* Hand-derived values: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff (largest),
 * 2^-24 = 0x0001 (smallest subnormal), 2^-14 = 0x0400 (smallest normal). */
static void f16_conversion_hand_values(void **state) {
    (void)state;
    assert_int_equal(l1__f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(l1__f32_to_f16(-2.0f), 0xc000);
    assert_int_equal(l1__f32_to_f16(65504.0f), 0x7bff);
    assert_int_equal(l1__f32_to_f16(65520.0f), 0x7c00); /* tie rounds to even: infinity */
    assert_int_equal(l1__f32_to_f16(65519.0f), 0x7bff);
    assert_int_equal(l1__f32_to_f16(ldexpf(1, -24)), 0x0001);
    assert_int_equal(l1__f32_to_f16(ldexpf(1, -25)), 0x0000); /* tie to even: zero */
    assert_int_equal(l1__f32_to_f16(ldexpf(1.5f, -25)), 0x0001);
    assert_int_equal(l1__f32_to_f16(ldexpf(1, -14)), 0x0400);
    assert_int_equal(l1__f32_to_f16(1.0f + ldexpf(1, -11)), 0x3c00);          /* tie: even */
    assert_int_equal(l1__f32_to_f16(1.0f + 3 * ldexpf(1, -11)), 0x3c02);      /* tie: even */
    assert_int_equal(l1__f32_to_f16(-0.0f), 0x8000);
    assert_int_equal(l1__f32_to_f16(INFINITY), 0x7c00);
    assert_true((l1__f32_to_f16(NAN) & 0x7c00) == 0x7c00 && (l1__f32_to_f16(NAN) & 0x3ff) != 0);
    assert_true(l1__f16_to_f32(0x3c00) == 1.0f);
    assert_true(l1__f16_to_f32(0x0001) == ldexpf(1, -24));
    assert_true(l1__f16_to_f32(0xfbff) == -65504.0f);
    assert_true(isinf(l1__f16_to_f32(0x7c00)));
    assert_true(isnan(l1__f16_to_f32(0x7e00)));
}

/* Every finite f16 converts to f32 and back to itself. */
static void f16_round_trip_all_values(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue; /* NaN payloads */
        assert_int_equal(l1__f32_to_f16(l1__f16_to_f32((uint16_t)h)), h);
    }
}

/* Hand-derived bf16: 1.0 = 0x3f80; 1 + 2^-8 is a tie and rounds to even. */
static void bf16_conversion_hand_values(void **state) {
    (void)state;
    assert_int_equal(l1__f32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(l1__f32_to_bf16(1.0f + ldexpf(1, -8)), 0x3f80);
    assert_int_equal(l1__f32_to_bf16(1.0f + 3 * ldexpf(1, -8)), 0x3f82);
    assert_int_equal(l1__f32_to_bf16(-3.0f), 0xc040);
    assert_true(l1__bf16_to_f32(0x3f80) == 1.0f);
    uint16_t n = l1__f32_to_bf16(NAN);
    assert_true(isnan(l1__bf16_to_f32(n)));
}

static void type_table_names_and_geometry(void **state) {
    (void)state;
    const l1__type_geom *g = l1__type_geom_get(L1_TYPE_Q4_K);
    assert_non_null(g);
    assert_string_equal(g->name, "Q4_K");
    assert_int_equal(g->block_size, 256);
    assert_int_equal(g->type_size, 144); /* 2 f16 + 12 scale bytes + 128 nibble bytes */
    assert_null(l1__type_geom_get(4));  /* retired Q4_2 */
    assert_null(l1__type_geom_get(L1_TYPE_COUNT));
    assert_null(l1__type_geom_get(UINT32_MAX));
    assert_string_equal(l1__type_name(999), "unknown");
    l1__type t;
    assert_true(l1__type_from_name("q8_0", &t));
    assert_int_equal(t, L1_TYPE_Q8_0);
    assert_false(l1__type_from_name("Q9_9", &t));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_strings_are_distinct_and_total),
        cmocka_unit_test(version_matches_header),
        cmocka_unit_test(last_error_keeps_message_and_prefix),
        cmocka_unit_test(log_is_silent_by_default_and_filters_levels),
        cmocka_unit_test(checked_arithmetic_detects_wrap),
        cmocka_unit_test(alloc_fault_injection_fails_the_nth),
        cmocka_unit_test(file_open_maps_and_reads_regular_files),
        cmocka_unit_test(file_open_rejects_non_regular_files),
        cmocka_unit_test(file_open_empty_file_has_no_data),
        cmocka_unit_test(cpu_detection_is_consistent),
        cmocka_unit_test(f16_conversion_hand_values),
        cmocka_unit_test(f16_round_trip_all_values),
        cmocka_unit_test(bf16_conversion_hand_values),
        cmocka_unit_test(type_table_names_and_geometry),
    };
    return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
