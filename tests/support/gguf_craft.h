/*
 * gguf_craft.h - builds raw GGUF bytes by hand for tests, including bytes no
 * writer would produce (wrong counts, bad types, truncated strings).  Every
 * function appends to a growable buffer; allocation failure ends the test
 * process, since a test cannot go on without its input.
 */
#ifndef L1_TESTS_GGUF_CRAFT_H
#define L1_TESTS_GGUF_CRAFT_H

#include <stddef.h>
#include <stdint.h>

typedef struct gguf_craft {
    uint8_t *p;
    size_t len, cap;
} gguf_craft;

void gguf_craft_init(gguf_craft *c);
void gguf_craft_free(gguf_craft *c);
void gguf_craft_bytes(gguf_craft *c, const void *p, size_t n);
void gguf_craft_u8(gguf_craft *c, uint8_t v);
void gguf_craft_u32(gguf_craft *c, uint32_t v);
void gguf_craft_u64(gguf_craft *c, uint64_t v);
/* A GGUF string: u64 length then the bytes of NUL-terminated s. */
void gguf_craft_str(gguf_craft *c, const char *s);
/* "GGUF", version, n_tensors, n_kv. */
void gguf_craft_header(gguf_craft *c, uint32_t version, uint64_t n_tensors, uint64_t n_kv);
/* A key and its u32 value type; the caller appends the value. */
void gguf_craft_key(gguf_craft *c, const char *key, uint32_t vtype);
void gguf_craft_kv_u32(gguf_craft *c, const char *key, uint32_t v);
void gguf_craft_kv_str(gguf_craft *c, const char *key, const char *s);
/* A tensor info with n_dims dims from ne (u64 each). */
void gguf_craft_tensor(gguf_craft *c, const char *name, uint32_t n_dims, const uint64_t *ne,
                       uint32_t type, uint64_t offset);
/* Zero bytes up to a multiple of align, or n zero bytes. */
void gguf_craft_pad(gguf_craft *c, size_t align);
void gguf_craft_zeros(gguf_craft *c, size_t n);

#endif /* L1_TESTS_GGUF_CRAFT_H */
