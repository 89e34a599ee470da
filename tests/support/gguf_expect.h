/*
 * gguf_expect.h - for tests of the GGUF reader: open crafted bytes in a
 * buffer of exactly their size (so ASan sees any read past the end), and
 * expect a refusal with a status and a one-line message naming the
 * culprit, or an open; files of one tensor or one key to craft cases from.
 */
#ifndef L1_TEST_GGUF_EXPECT_H
#define L1_TEST_GGUF_EXPECT_H

#include <stddef.h>
#include <stdint.h>

#include "gguf/gguf.h"
#include "gguf_craft.h"

/* GGUF value type ids, short. */
enum { VT_U8, VT_I8, VT_U16, VT_I16, VT_U32, VT_I32, VT_F32, VT_BOOL, VT_STR, VT_ARR, VT_U64, VT_I64, VT_F64 };

l1_status gguf_open_exact(const uint8_t *p, size_t n, const l1__gguf_limits *lim, l1__gguf **g, uint8_t **copy);
void gguf_expect_reject_lim(const gguf_craft *c, const l1__gguf_limits *lim, l1_status want, const char *frag1,
                            const char *frag2);
void gguf_expect_reject(const gguf_craft *c, l1_status want, const char *frag1, const char *frag2);
void gguf_expect_open(const gguf_craft *c);
void gguf_one_tensor(gguf_craft *c, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type,
                     uint64_t offset, size_t data_bytes);
void gguf_reject_one_tensor(const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t offset,
                            size_t data_bytes, const char *frag);
void gguf_one_key(gguf_craft *c, const char *key, uint32_t vtype);

#endif /* L1_TEST_GGUF_EXPECT_H */
