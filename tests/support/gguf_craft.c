/*
 * gguf_craft.c - hand-built GGUF bytes for tests (see gguf_craft.h).  Kept
 * independent of lib/gguf_write.c so that reader tests do not rest on the
 * writer's idea of the format.
 */
#include "gguf_craft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gguf_craft_init(gguf_craft *c) { memset(c, 0, sizeof *c); }

void gguf_craft_free(gguf_craft *c) {
    free(c->p);
    memset(c, 0, sizeof *c);
}

void gguf_craft_bytes(gguf_craft *c, const void *p, size_t n) {
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 256;
        while (cap < c->len + n) cap *= 2;
        uint8_t *q = realloc(c->p, cap);
        if (!q) {
            fprintf(stderr, "gguf_craft: out of memory\n");
            exit(2);
        }
        c->p = q;
        c->cap = cap;
    }
    if (n) memcpy(c->p + c->len, p, n);
    c->len += n;
}

void gguf_craft_u8(gguf_craft *c, uint8_t v) { gguf_craft_bytes(c, &v, 1); }

void gguf_craft_u32(gguf_craft *c, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    gguf_craft_bytes(c, b, 4);
}

void gguf_craft_u64(gguf_craft *c, uint64_t v) {
    gguf_craft_u32(c, (uint32_t)v);
    gguf_craft_u32(c, (uint32_t)(v >> 32));
}

void gguf_craft_str(gguf_craft *c, const char *s) {
    gguf_craft_u64(c, strlen(s));
    gguf_craft_bytes(c, s, strlen(s));
}

void gguf_craft_header(gguf_craft *c, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    gguf_craft_bytes(c, "GGUF", 4);
    gguf_craft_u32(c, version);
    gguf_craft_u64(c, n_tensors);
    gguf_craft_u64(c, n_kv);
}

void gguf_craft_key(gguf_craft *c, const char *key, uint32_t vtype) {
    gguf_craft_str(c, key);
    gguf_craft_u32(c, vtype);
}

void gguf_craft_kv_u32(gguf_craft *c, const char *key, uint32_t v) {
    gguf_craft_key(c, key, 4 /* u32 */);
    gguf_craft_u32(c, v);
}

void gguf_craft_kv_str(gguf_craft *c, const char *key, const char *s) {
    gguf_craft_key(c, key, 8 /* string */);
    gguf_craft_str(c, s);
}

void gguf_craft_tensor(gguf_craft *c, const char *name, uint32_t n_dims, const uint64_t *ne,
                       uint32_t type, uint64_t offset) {
    gguf_craft_str(c, name);
    gguf_craft_u32(c, n_dims);
    for (uint32_t i = 0; i < n_dims; i++) gguf_craft_u64(c, ne[i]);
    gguf_craft_u32(c, type);
    gguf_craft_u64(c, offset);
}

void gguf_craft_pad(gguf_craft *c, size_t align) {
    while (c->len % align) gguf_craft_u8(c, 0);
}

void gguf_craft_zeros(gguf_craft *c, size_t n) {
    for (size_t i = 0; i < n; i++) gguf_craft_u8(c, 0);
}
