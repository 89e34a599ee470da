/*
 * gguf_expect.c - see gguf_expect.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base.h"
#include "gguf_expect.h"

/* Opens a copy of the bytes in a buffer of exactly their size, so that any
 * read past the end is caught by ASan. */
l1_status gguf_open_exact(const uint8_t *p, size_t n, const l1__gguf_limits *lim, l1__gguf **g,
                            uint8_t **copy) {
    *copy = malloc(n ? n : 1);
    assert_non_null(*copy);
    if (n) memcpy(*copy, p, n);
    return l1__gguf_open_memory(*copy, n, lim, g);
}

/* The file must be refused with `want`, a one-line message containing each
 * of the given fragments, and no memory left behind. */
void gguf_expect_reject_lim(const gguf_craft *c, const l1__gguf_limits *lim, l1_status want,
                              const char *frag1, const char *frag2) {
    int64_t live = l1__alloc_live();
    l1__gguf *g = (l1__gguf *)1;
    uint8_t *copy;
    l1__error_clear();
    l1_status st = gguf_open_exact(c->p, c->len, lim, &g, &copy);
    const char *msg = l1_last_error();
    if (st != want || (frag1 && !strstr(msg, frag1)) || (frag2 && !strstr(msg, frag2)))
        print_error("status %d (want %d), message: %s\n", (int)st, (int)want, msg);
    assert_int_equal(st, want);
    assert_null(g);
    assert_true(msg[0] != '\0');
    assert_null(strchr(msg, '\n'));
    if (frag1) assert_non_null(strstr(msg, frag1));
    if (frag2) assert_non_null(strstr(msg, frag2));
    assert_int_equal(l1__alloc_live(), live);
    free(copy);
}

void gguf_expect_reject(const gguf_craft *c, l1_status want, const char *frag1, const char *frag2) {
    gguf_expect_reject_lim(c, NULL, want, frag1, frag2);
}

void gguf_expect_open(const gguf_craft *c) {
    l1__gguf *g = NULL;
    uint8_t *copy;
    l1_status st = gguf_open_exact(c->p, c->len, NULL, &g, &copy);
    if (st != L1_OK) print_error("unexpected failure: %s\n", l1_last_error());
    assert_int_equal(st, L1_OK);
    l1__gguf_close(g);
    free(copy);
}

/* A file with one metadata pair and one tensor described by the arguments,
 * followed by `data_bytes` zero bytes of data after 32-byte padding. */
void gguf_one_tensor(gguf_craft *c, const char *name, uint32_t n_dims, const uint64_t *ne,
                       uint32_t type, uint64_t offset, size_t data_bytes) {
    gguf_craft_init(c);
    gguf_craft_header(c, 3, 1, 1);
    gguf_craft_kv_str(c, "general.architecture", "test");
    gguf_craft_tensor(c, name, n_dims, ne, type, offset);
    gguf_craft_pad(c, 32);
    gguf_craft_zeros(c, data_bytes);
}

void gguf_reject_one_tensor(const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type,
                              uint64_t offset, size_t data_bytes, const char *frag) {
    gguf_craft c;
    gguf_one_tensor(&c, name, n_dims, ne, type, offset, data_bytes);
    gguf_expect_reject(&c, L1_ERR_FORMAT, name, frag);
    gguf_craft_free(&c);
}

/* A file whose only pair is `key` of type vtype, whose value bytes the
 * caller appends after this call. */
void gguf_one_key(gguf_craft *c, const char *key, uint32_t vtype) {
    gguf_craft_init(c);
    gguf_craft_header(c, 3, 0, 1);
    gguf_craft_key(c, key, vtype);
}
