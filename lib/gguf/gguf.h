/*
 * gguf.h - reading and writing GGUF files (v2 and v3), without any model
 * knowledge.
 *
 * File layout (little-endian):
 *   magic "GGUF" | version u32 | n_tensors u64 | n_kv u64
 *   n_kv x  { key: string | value type u32 | value }
 *   n_tensors x { name: string | n_dims u32 | ne[n_dims] u64 | type u32 | offset u64 }
 *   padding to `general.alignment` (default 32)
 *   tensor data; each tensor at data_start + offset, offset a multiple of the alignment
 * A string is a u64 length and that many bytes (no NUL).  An array value is
 * an element type u32, a count u64 and the elements (arrays may nest).
 *
 * Everything read from a file is validated before use (see gguf.c); a
 * reader that returned L1_OK holds only in-bounds, non-overlapping tensors
 * whose sizes did not overflow.
 */
#ifndef L1_GGUF_H
#define L1_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "gguf/types.h"

/* Metadata value types, as stored in the file. */
typedef enum l1__gguf_vtype {
    /* integers, by width: unsigned then signed */
    L1_GGUF_UINT8 = 0, L1_GGUF_INT8 = 1, L1_GGUF_UINT16 = 2, L1_GGUF_INT16 = 3, L1_GGUF_UINT32 = 4,
    L1_GGUF_INT32 = 5, L1_GGUF_UINT64 = 10, L1_GGUF_INT64 = 11,
    /* floats */
    L1_GGUF_FLOAT32 = 6, L1_GGUF_FLOAT64 = 12,
    /* the rest */
    L1_GGUF_BOOL = 7, L1_GGUF_STRING = 8, L1_GGUF_ARRAY = 9,
    L1_GGUF_VTYPE_COUNT = 13
} l1__gguf_vtype;

const char *l1__gguf_vtype_name(uint32_t vtype);

#define L1_GGUF_MAX_DIMS 4
#define L1_GGUF_DEFAULT_ALIGNMENT 32

/* Caps on what a file may ask for.  Zero fields take the defaults of
 * l1__gguf_default_limits(). */
typedef struct l1__gguf_limits {
    uint64_t max_string_len;     /* bytes in one string */
    uint64_t max_array_len;      /* elements in one array */
    uint64_t max_kv;             /* metadata pairs */
    uint64_t max_tensors;        /* tensor infos */
    uint64_t max_metadata_bytes; /* total heap for parsed metadata */
    uint32_t max_array_depth;    /* nesting of arrays inside arrays */
} l1__gguf_limits;

l1__gguf_limits l1__gguf_default_limits(void);

typedef struct l1__gguf_tensor {
    const char *name;            /* NUL-terminated, owned by the reader */
    uint32_t n_dims;             /* 1..4 */
    int64_t ne[L1_GGUF_MAX_DIMS]; /* ne[0] = row length; unused dims are 1 */
    uint32_t type;               /* ggml type id (types.h) */
    uint64_t offset;             /* from the start of the data section */
    uint64_t nbytes;             /* bytes of data */
    int64_t n_elements;
    const void *data;            /* points into the file mapping */
} l1__gguf_tensor;

typedef struct l1__gguf l1__gguf; /* an opened, validated file */

/* True when the file's bytes are a read-only mapping of the file (pages
 * can be dropped and read again from it); false when they were read into
 * memory or given by the caller. */
bool l1__gguf_mapped(const l1__gguf *g);

/* Opens and validates `path` (mapped; see l1__file_open).  `lim` may be NULL. */
l1_status l1__gguf_open(const char *path, const l1__gguf_limits *lim, l1__gguf **out);
/* Same over a caller-owned buffer, which must outlive the reader. */
l1_status l1__gguf_open_memory(const void *data, size_t size, const l1__gguf_limits *lim,
                               l1__gguf **out);
void l1__gguf_close(l1__gguf *g); /* NULL is fine */

uint32_t l1__gguf_version(const l1__gguf *g);
uint64_t l1__gguf_alignment(const l1__gguf *g);
uint64_t l1__gguf_data_offset(const l1__gguf *g); /* file offset of the data section */
uint64_t l1__gguf_file_size(const l1__gguf *g);

/* ---- metadata ----------------------------------------------------------- */

int64_t l1__gguf_n_kv(const l1__gguf *g);
const char *l1__gguf_kv_key(const l1__gguf *g, int64_t i);
l1__gguf_vtype l1__gguf_kv_type(const l1__gguf *g, int64_t i);
/* Index of `key`, or -1. */
int64_t l1__gguf_find_key(const l1__gguf *g, const char *key);

/* Typed getters by key.  Missing key: L1_ERR_FORMAT "key K: missing".
 * Stored type differs: L1_ERR_FORMAT "key K: expected u32, found string".
 * They never convert between types, except get_u64/get_i64 which accept any
 * integer type whose value fits, and get_f32 which also accepts FLOAT64. */
l1_status l1__gguf_get_u32(const l1__gguf *g, const char *key, uint32_t *out);
l1_status l1__gguf_get_i32(const l1__gguf *g, const char *key, int32_t *out);
l1_status l1__gguf_get_u64(const l1__gguf *g, const char *key, uint64_t *out);
l1_status l1__gguf_get_i64(const l1__gguf *g, const char *key, int64_t *out);
l1_status l1__gguf_get_f32(const l1__gguf *g, const char *key, float *out);
l1_status l1__gguf_get_f64(const l1__gguf *g, const char *key, double *out);
l1_status l1__gguf_get_bool(const l1__gguf *g, const char *key, bool *out);
/* The string is not NUL-terminated in general: use *len.  (The reader keeps
 * a NUL after every string it owns, so printing with %s is safe too.) */
l1_status l1__gguf_get_str(const l1__gguf *g, const char *key, const char **s, uint64_t *len);

/* Arrays: element type and count. */
l1_status l1__gguf_get_arr(const l1__gguf *g, const char *key, l1__gguf_vtype *elem, uint64_t *n);
/* Element i of a string array. */
l1_status l1__gguf_get_arr_str(const l1__gguf *g, const char *key, uint64_t i, const char **s,
                               uint64_t *len);
/* Raw little-endian elements of a numeric array of element type `elem`
 * (L1_ERR_FORMAT if the array holds another type); valid while g is open. */
l1_status l1__gguf_get_arr_data(const l1__gguf *g, const char *key, l1__gguf_vtype elem,
                                const void **data, uint64_t *n);

/* The encoded value of pair i exactly as stored in the file (after its type
 * field), valid while g is open; used to copy values, nested arrays included. */
l1_status l1__gguf_kv_raw(const l1__gguf *g, int64_t i, const void **data, uint64_t *len);

/* ---- tensors ---------------------------------------------------------------- */

int64_t l1__gguf_n_tensors(const l1__gguf *g);
const l1__gguf_tensor *l1__gguf_tensor_at(const l1__gguf *g, int64_t i);
/* NULL if absent (no error recorded). */
const l1__gguf_tensor *l1__gguf_find_tensor(const l1__gguf *g, const char *name);

/* ---- writing ---------------------------------------------------------------- */

/* A writer collects metadata and tensor descriptions, then streams the file.
 * Tensor data is either copied at add time or, with add_tensor_ref, read
 * from caller memory at write time (which must still be valid then). */
typedef struct l1__gguf_writer l1__gguf_writer;

l1_status l1__gguf_writer_new(l1__gguf_writer **out);
void l1__gguf_writer_free(l1__gguf_writer *w);
/* Default 32; must be a power of two; also written as general.alignment when
 * not 32. */
l1_status l1__gguf_writer_set_alignment(l1__gguf_writer *w, uint32_t alignment);
l1_status l1__gguf_writer_set_version(l1__gguf_writer *w, uint32_t version); /* 2 or 3 */

l1_status l1__gguf_writer_set_u8(l1__gguf_writer *w, const char *key, uint8_t v);
l1_status l1__gguf_writer_set_i8(l1__gguf_writer *w, const char *key, int8_t v);
l1_status l1__gguf_writer_set_u16(l1__gguf_writer *w, const char *key, uint16_t v);
l1_status l1__gguf_writer_set_i16(l1__gguf_writer *w, const char *key, int16_t v);
l1_status l1__gguf_writer_set_u32(l1__gguf_writer *w, const char *key, uint32_t v);
l1_status l1__gguf_writer_set_i32(l1__gguf_writer *w, const char *key, int32_t v);
l1_status l1__gguf_writer_set_u64(l1__gguf_writer *w, const char *key, uint64_t v);
l1_status l1__gguf_writer_set_i64(l1__gguf_writer *w, const char *key, int64_t v);
l1_status l1__gguf_writer_set_f32(l1__gguf_writer *w, const char *key, float v);
l1_status l1__gguf_writer_set_f64(l1__gguf_writer *w, const char *key, double v);
l1_status l1__gguf_writer_set_bool(l1__gguf_writer *w, const char *key, bool v);
l1_status l1__gguf_writer_set_str(l1__gguf_writer *w, const char *key, const char *s, uint64_t len);
/* Numeric array: n elements of `elem` (not STRING/ARRAY), copied. */
l1_status l1__gguf_writer_set_arr(l1__gguf_writer *w, const char *key, l1__gguf_vtype elem,
                                  const void *data, uint64_t n);
/* String array: n strings (lens may be NULL for NUL-terminated), copied. */
l1_status l1__gguf_writer_set_arr_str(l1__gguf_writer *w, const char *key, const char *const *strs,
                                      const uint64_t *lens, uint64_t n);
/* Copies every metadata pair of `src` (for tools that rewrite a file). */
l1_status l1__gguf_writer_copy_kv(l1__gguf_writer *w, const l1__gguf *src);
/* Copies metadata pair i of `src`, its value type and bytes as they are. */
l1_status l1__gguf_writer_copy_key(l1__gguf_writer *w, const l1__gguf *src, int64_t i);

/* Adds a tensor of `type` with n_dims dims `ne`; `data` holds exactly its
 * byte size (checked against the type's geometry).  add_tensor copies the
 * data; add_tensor_ref keeps the pointer. */
l1_status l1__gguf_writer_add_tensor(l1__gguf_writer *w, const char *name, uint32_t type,
                                     uint32_t n_dims, const int64_t *ne, const void *data,
                                     uint64_t nbytes);
l1_status l1__gguf_writer_add_tensor_ref(l1__gguf_writer *w, const char *name, uint32_t type,
                                         uint32_t n_dims, const int64_t *ne, const void *data,
                                         uint64_t nbytes);

/* Writes the file (to a temporary name, then renamed over `path`). */
l1_status l1__gguf_writer_write(l1__gguf_writer *w, const char *path);
/* Or into a heap buffer the caller frees with l1__free. */
l1_status l1__gguf_writer_write_memory(l1__gguf_writer *w, uint8_t **data, size_t *size);

/* Byte size of a tensor of `type` and shape ne[0..n_dims), checked: row
 * length a multiple of the block size, no overflow, type known. */
l1_status l1__gguf_tensor_nbytes(uint32_t type, uint32_t n_dims, const int64_t *ne,
                                 uint64_t *nbytes);

#endif /* L1_GGUF_H */
