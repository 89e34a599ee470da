/*
 * gguf_write.c - the GGUF writer: collects metadata and tensor descriptions,
 * then streams a v2/v3 file (see gguf.h for the layout).
 *
 * Why it is shaped so:
 * - Each metadata value is encoded into its on-disk bytes when it is set, so
 *   writing is a plain concatenation and copy_kv can take a source file's
 *   encoded value as is (nested arrays included) without a second encoder.
 * - One serializer drives three sinks: a byte counter (to size a memory
 *   image exactly), a memory buffer and a FILE.  Files are written to a
 *   temporary name in the same directory and renamed over the target, so a
 *   reader never sees a half-written file and a failure leaves the old one.
 * - Setting a key that exists replaces its value; general.alignment always
 *   matches the alignment the tensors are actually padded to.
 */
#include "gguf/gguf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct wkv {
    char *key;
    uint32_t type;
    uint8_t *payload; /* the encoded value */
    uint64_t len;
} wkv;

typedef struct wtensor {
    char *name;
    uint32_t type;
    uint32_t n_dims;
    int64_t ne[L1_GGUF_MAX_DIMS];
    uint64_t nbytes;
    const void *data;
    void *owned; /* the copy made by add_tensor, else NULL */
} wtensor;

struct l1__gguf_writer {
    uint32_t version;
    uint32_t alignment;
    wkv *kv;
    size_t n_kv, cap_kv;
    wtensor *t;
    size_t n_t, cap_t;
};

static const uint8_t k_elem_size[L1_GGUF_VTYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

l1_status l1__gguf_writer_new(l1__gguf_writer **out) {
    if (!out) return l1__error(L1_ERR_INVALID_ARG, "gguf_writer_new: NULL argument");
    *out = l1__calloc(1, sizeof **out);
    if (!*out) return l1__error(L1_ERR_NOMEM, "out of memory for a GGUF writer");
    (*out)->version = 3;
    (*out)->alignment = L1_GGUF_DEFAULT_ALIGNMENT;
    return L1_OK;
}

void l1__gguf_writer_free(l1__gguf_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        l1__free(w->kv[i].key);
        l1__free(w->kv[i].payload);
    }
    for (size_t i = 0; i < w->n_t; i++) {
        l1__free(w->t[i].name);
        l1__free(w->t[i].owned);
    }
    l1__free(w->kv);
    l1__free(w->t);
    l1__free(w);
}

l1_status l1__gguf_writer_set_alignment(l1__gguf_writer *w, uint32_t alignment) {
    if (!w) return l1__error(L1_ERR_INVALID_ARG, "gguf writer: NULL writer");
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        return l1__error(L1_ERR_INVALID_ARG, "gguf writer: alignment %u is not a power of two", alignment);
    w->alignment = alignment;
    return L1_OK;
}

l1_status l1__gguf_writer_set_version(l1__gguf_writer *w, uint32_t version) {
    if (!w) return l1__error(L1_ERR_INVALID_ARG, "gguf writer: NULL writer");
    if (version != 2 && version != 3)
        return l1__error(L1_ERR_INVALID_ARG, "gguf writer: version %u (only 2 and 3)", version);
    w->version = version;
    return L1_OK;
}

/* ---- metadata --------------------------------------------------------------- */

/* Stores key = (type, payload), taking ownership of payload (freed on error). */
static l1_status put_kv(l1__gguf_writer *w, const char *key, uint32_t type, uint8_t *payload,
                        uint64_t len) {
    if (!w || !key || !key[0]) {
        l1__free(payload);
        return l1__error(L1_ERR_INVALID_ARG, "gguf writer: NULL writer or empty key");
    }
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, key) == 0) {
            l1__free(w->kv[i].payload);
            w->kv[i].type = type;
            w->kv[i].payload = payload;
            w->kv[i].len = len;
            return L1_OK;
        }
    }
    if (w->n_kv == w->cap_kv) {
        size_t cap = w->cap_kv ? w->cap_kv * 2 : 16;
        wkv *p = l1__realloc(w->kv, cap * sizeof *p);
        if (!p) {
            l1__free(payload);
            return l1__error(L1_ERR_NOMEM, "key %s: out of memory", key);
        }
        w->kv = p;
        w->cap_kv = cap;
    }
    char *k = l1__strndup(key, strlen(key));
    if (!k) {
        l1__free(payload);
        return l1__error(L1_ERR_NOMEM, "key %s: out of memory", key);
    }
    w->kv[w->n_kv++] = (wkv){k, type, payload, len};
    return L1_OK;
}

/* Copies `len` bytes into a new payload and stores it. */
static l1_status put_copy(l1__gguf_writer *w, const char *key, uint32_t type, const void *bytes,
                          uint64_t len) {
    if (len > SIZE_MAX) return l1__error(L1_ERR_LIMIT, "key %s: value too large", key ? key : "");
    uint8_t *p = l1__malloc(len ? (size_t)len : 1);
    if (!p) return l1__error(L1_ERR_NOMEM, "key %s: out of memory", key ? key : "");
    if (len) memcpy(p, bytes, (size_t)len);
    return put_kv(w, key, type, p, len);
}

/* The scalar setters: the value's bytes as they are (little-endian hosts). */
#define L1__SETTER(NAME, CTYPE, VTYPE) \
    l1_status l1__gguf_writer_set_##NAME(l1__gguf_writer *w, const char *key, CTYPE v) { \
        return put_copy(w, key, VTYPE, &v, sizeof v); \
    }
L1__SETTER(u8, uint8_t, L1_GGUF_UINT8)
L1__SETTER(i8, int8_t, L1_GGUF_INT8)
L1__SETTER(u16, uint16_t, L1_GGUF_UINT16)
L1__SETTER(i16, int16_t, L1_GGUF_INT16)
L1__SETTER(u32, uint32_t, L1_GGUF_UINT32)
L1__SETTER(i32, int32_t, L1_GGUF_INT32)
L1__SETTER(u64, uint64_t, L1_GGUF_UINT64)
L1__SETTER(i64, int64_t, L1_GGUF_INT64)
L1__SETTER(f32, float, L1_GGUF_FLOAT32)
L1__SETTER(f64, double, L1_GGUF_FLOAT64)
#undef L1__SETTER

l1_status l1__gguf_writer_set_bool(l1__gguf_writer *w, const char *key, bool v) {
    uint8_t b = v ? 1 : 0;
    return put_copy(w, key, L1_GGUF_BOOL, &b, 1);
}

l1_status l1__gguf_writer_set_str(l1__gguf_writer *w, const char *key, const char *s, uint64_t len) {
    if (!s && len) return l1__error(L1_ERR_INVALID_ARG, "key %s: NULL string", key ? key : "");
    uint64_t total;
    if (!l1__add_u64(len, 8, &total) || total > SIZE_MAX)
        return l1__error(L1_ERR_LIMIT, "key %s: string too long", key ? key : "");
    uint8_t *p = l1__malloc((size_t)total);
    if (!p) return l1__error(L1_ERR_NOMEM, "key %s: out of memory", key ? key : "");
    memcpy(p, &len, 8);
    if (len) memcpy(p + 8, s, (size_t)len);
    return put_kv(w, key, L1_GGUF_STRING, p, total);
}

l1_status l1__gguf_writer_set_arr(l1__gguf_writer *w, const char *key, l1__gguf_vtype elem,
                                  const void *data, uint64_t n) {
    const char *k = key ? key : "";
    if ((unsigned)elem >= L1_GGUF_VTYPE_COUNT || elem == L1_GGUF_STRING || elem == L1_GGUF_ARRAY)
        return l1__error(L1_ERR_INVALID_ARG, "key %s: set_arr needs a numeric element type", k);
    if (!data && n) return l1__error(L1_ERR_INVALID_ARG, "key %s: NULL array data", k);
    uint64_t bytes, total;
    if (!l1__mul_u64(n, k_elem_size[elem], &bytes) || !l1__add_u64(bytes, 12, &total) ||
        total > SIZE_MAX)
        return l1__error(L1_ERR_LIMIT, "key %s: array too large", k);
    if (elem == L1_GGUF_BOOL) {
        for (uint64_t i = 0; i < n; i++)
            if (((const uint8_t *)data)[i] > 1)
                return l1__error(L1_ERR_INVALID_ARG, "key %s: element %llu: bool value must be 0 or 1",
                                 k, (unsigned long long)i);
    }
    uint8_t *p = l1__malloc((size_t)total);
    if (!p) return l1__error(L1_ERR_NOMEM, "key %s: out of memory", k);
    uint32_t e = (uint32_t)elem;
    memcpy(p, &e, 4);
    memcpy(p + 4, &n, 8);
    if (bytes) memcpy(p + 12, data, (size_t)bytes);
    return put_kv(w, key, L1_GGUF_ARRAY, p, total);
}

l1_status l1__gguf_writer_set_arr_str(l1__gguf_writer *w, const char *key, const char *const *strs,
                                      const uint64_t *lens, uint64_t n) {
    const char *k = key ? key : "";
    if (!strs && n) return l1__error(L1_ERR_INVALID_ARG, "key %s: NULL string array", k);
    uint64_t total = 12;
    for (uint64_t i = 0; i < n; i++) {
        if (!strs[i] && (!lens || lens[i]))
            return l1__error(L1_ERR_INVALID_ARG, "key %s: element %llu is NULL", k, (unsigned long long)i);
        uint64_t len = lens ? lens[i] : strlen(strs[i]);
        if (!l1__add_u64(total, 8, &total) || !l1__add_u64(total, len, &total))
            return l1__error(L1_ERR_LIMIT, "key %s: array too large", k);
    }
    if (total > SIZE_MAX) return l1__error(L1_ERR_LIMIT, "key %s: array too large", k);
    uint8_t *p = l1__malloc((size_t)total);
    if (!p) return l1__error(L1_ERR_NOMEM, "key %s: out of memory", k);
    uint32_t e = L1_GGUF_STRING;
    memcpy(p, &e, 4);
    memcpy(p + 4, &n, 8);
    size_t pos = 12;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len = lens ? lens[i] : strlen(strs[i]);
        memcpy(p + pos, &len, 8);
        if (len) memcpy(p + pos + 8, strs[i], (size_t)len);
        pos += 8 + (size_t)len;
    }
    return put_kv(w, key, L1_GGUF_ARRAY, p, total);
}

l1_status l1__gguf_writer_copy_key(l1__gguf_writer *w, const l1__gguf *src, int64_t i) {
    if (!w || !src) return l1__error(L1_ERR_INVALID_ARG, "gguf_writer_copy_key: NULL argument");
    const void *raw;
    uint64_t len;
    l1_status st = l1__gguf_kv_raw(src, i, &raw, &len);
    if (st != L1_OK) return st;
    return put_copy(w, l1__gguf_kv_key(src, i), (uint32_t)l1__gguf_kv_type(src, i), raw, len);
}

l1_status l1__gguf_writer_copy_kv(l1__gguf_writer *w, const l1__gguf *src) {
    if (!w || !src) return l1__error(L1_ERR_INVALID_ARG, "gguf_writer_copy_kv: NULL argument");
    l1_status st = L1_OK;
    for (int64_t i = 0; st == L1_OK && i < l1__gguf_n_kv(src); i++) st = l1__gguf_writer_copy_key(w, src, i);
    return st;
}

/* ---- tensors -------------------------------------------------------------------- */

static l1_status add_tensor(l1__gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                            const int64_t *ne, const void *data, uint64_t nbytes, bool copy) {
    if (!w || !name || !name[0] || !ne || (!data && nbytes))
        return l1__error(L1_ERR_INVALID_ARG, "gguf writer: add_tensor: NULL argument or empty name");
    uint64_t want;
    l1_status st = l1__gguf_tensor_nbytes(type, n_dims, ne, &want);
    if (st != L1_OK) {
        l1__error_prefix("tensor %s", name);
        return L1_ERR_INVALID_ARG;
    }
    if (want != nbytes)
        return l1__error(L1_ERR_INVALID_ARG, "tensor %s: %llu data bytes given, shape needs %llu", name,
                         (unsigned long long)nbytes, (unsigned long long)want);
    if (nbytes > SIZE_MAX) return l1__error(L1_ERR_LIMIT, "tensor %s: too large", name);
    for (size_t i = 0; i < w->n_t; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return l1__error(L1_ERR_INVALID_ARG, "tensor %s: added twice", name);
    if (w->n_t == w->cap_t) {
        size_t cap = w->cap_t ? w->cap_t * 2 : 16;
        wtensor *p = l1__realloc(w->t, cap * sizeof *p);
        if (!p) return l1__error(L1_ERR_NOMEM, "tensor %s: out of memory", name);
        w->t = p;
        w->cap_t = cap;
    }
    wtensor t = {.type = type, .n_dims = n_dims, .nbytes = nbytes, .data = data};
    for (uint32_t d = 0; d < L1_GGUF_MAX_DIMS; d++) t.ne[d] = d < n_dims ? ne[d] : 1;
    t.name = l1__strndup(name, strlen(name));
    if (copy) {
        t.owned = l1__malloc((size_t)nbytes);
        if (t.owned) memcpy(t.owned, data, (size_t)nbytes);
        t.data = t.owned;
    }
    if (!t.name || (copy && !t.owned)) {
        l1__free(t.name);
        l1__free(t.owned);
        return l1__error(L1_ERR_NOMEM, "tensor %s: out of memory", name);
    }
    w->t[w->n_t++] = t;
    return L1_OK;
}

l1_status l1__gguf_writer_add_tensor(l1__gguf_writer *w, const char *name, uint32_t type,
                                     uint32_t n_dims, const int64_t *ne, const void *data,
                                     uint64_t nbytes) {
    return add_tensor(w, name, type, n_dims, ne, data, nbytes, true);
}

l1_status l1__gguf_writer_add_tensor_ref(l1__gguf_writer *w, const char *name, uint32_t type,
                                         uint32_t n_dims, const int64_t *ne, const void *data,
                                         uint64_t nbytes) {
    return add_tensor(w, name, type, n_dims, ne, data, nbytes, false);
}

/* ---- serialization ----------------------------------------------------------------- */

typedef struct sink {
    FILE *fp;     /* write here, or */
    uint8_t *buf; /* here, or only count when both are NULL */
    uint64_t pos;
    bool failed;
} sink;

static void put(sink *s, const void *p, uint64_t n) {
    if (s->failed || n == 0) return;
    if (s->fp) {
        if (fwrite(p, 1, (size_t)n, s->fp) != (size_t)n) s->failed = true;
    } else if (s->buf) {
        memcpy(s->buf + s->pos, p, (size_t)n);
    }
    s->pos += n;
}

static void put_u32(sink *s, uint32_t v) { put(s, &v, 4); }
static void put_u64(sink *s, uint64_t v) { put(s, &v, 8); }
static void put_str(sink *s, const char *str) {
    uint64_t n = strlen(str);
    put_u64(s, n);
    put(s, str, n);
}

static void pad_to(sink *s, uint64_t align) {
    static const uint8_t zeros[64];
    uint64_t n = (align - s->pos % align) % align;
    while (n > 0) {
        uint64_t k = n < sizeof zeros ? n : sizeof zeros;
        put(s, zeros, k);
        n -= k;
    }
}

/* The file image; the caller has made general.alignment consistent. */
static void serialize(const l1__gguf_writer *w, sink *s) {
    put(s, "GGUF", 4);
    put_u32(s, w->version);
    put_u64(s, w->n_t);
    put_u64(s, w->n_kv);
    for (size_t i = 0; i < w->n_kv; i++) {
        put_str(s, w->kv[i].key);
        put_u32(s, w->kv[i].type);
        put(s, w->kv[i].payload, w->kv[i].len);
    }
    uint64_t off = 0;
    for (size_t i = 0; i < w->n_t; i++) {
        const wtensor *t = &w->t[i];
        put_str(s, t->name);
        put_u32(s, t->n_dims);
        for (uint32_t d = 0; d < t->n_dims; d++) put_u64(s, (uint64_t)t->ne[d]);
        put_u32(s, t->type);
        put_u64(s, off);
        off += t->nbytes + (w->alignment - t->nbytes % w->alignment) % w->alignment;
    }
    if (w->n_t) pad_to(s, w->alignment); /* no data section, no padding */
    for (size_t i = 0; i < w->n_t; i++) {
        put(s, w->t[i].data, w->t[i].nbytes);
        pad_to(s, w->alignment);
    }
}

/* Makes general.alignment state the padding actually used. */
static l1_status sync_alignment(l1__gguf_writer *w) {
    bool present = false;
    for (size_t i = 0; i < w->n_kv; i++) present |= strcmp(w->kv[i].key, "general.alignment") == 0;
    if (!present && w->alignment == L1_GGUF_DEFAULT_ALIGNMENT) return L1_OK;
    return l1__gguf_writer_set_u32(w, "general.alignment", w->alignment);
}

/* Total image size.  Header and tables live in memory already, so only the
 * tensor data (sizes from callers, padded) needs checked sums. */
static l1_status image_size(const l1__gguf_writer *w, uint64_t *size) {
    uint64_t head = 24;
    for (size_t i = 0; i < w->n_kv; i++) head += 8 + strlen(w->kv[i].key) + 4 + w->kv[i].len;
    for (size_t i = 0; i < w->n_t; i++) head += 8 + strlen(w->t[i].name) + 4 + 8u * w->t[i].n_dims + 12;
    uint64_t total = head;
    if (w->n_t && !l1__align_up_u64(head, w->alignment, &total))
        return l1__error(L1_ERR_LIMIT, "gguf writer: file size overflows");
    for (size_t i = 0; i < w->n_t; i++) {
        uint64_t padded;
        if (!l1__align_up_u64(w->t[i].nbytes, w->alignment, &padded) || !l1__add_u64(total, padded, &total))
            return l1__error(L1_ERR_LIMIT, "gguf writer: file size overflows");
    }
    *size = total;
    return L1_OK;
}

l1_status l1__gguf_writer_write_memory(l1__gguf_writer *w, uint8_t **data, size_t *size) {
    if (!w || !data || !size) return l1__error(L1_ERR_INVALID_ARG, "gguf_writer_write_memory: NULL argument");
    *data = NULL;
    *size = 0;
    uint64_t total;
    l1_status st = sync_alignment(w);
    if (st == L1_OK) st = image_size(w, &total);
    if (st != L1_OK) return st;
    if (total > SIZE_MAX) return l1__error(L1_ERR_LIMIT, "gguf writer: image too large for memory");
    uint8_t *buf = l1__malloc((size_t)total);
    if (!buf) return l1__error(L1_ERR_NOMEM, "gguf writer: out of memory for a %llu-byte image",
                               (unsigned long long)total);
    sink s = {.buf = buf};
    serialize(w, &s);
    if (s.pos != total) {
        l1__free(buf);
        return l1__error(L1_ERR_INTERNAL, "gguf writer: image size %llu, expected %llu",
                         (unsigned long long)s.pos, (unsigned long long)total);
    }
    *data = buf;
    *size = (size_t)total;
    return L1_OK;
}

l1_status l1__gguf_writer_write(l1__gguf_writer *w, const char *path) {
    if (!w || !path) return l1__error(L1_ERR_INVALID_ARG, "gguf_writer_write: NULL argument");
    uint64_t total;
    l1_status st = sync_alignment(w);
    if (st == L1_OK) st = image_size(w, &total);
    if (st != L1_OK) return st;
    size_t plen = strlen(path);
    char *tmp = l1__malloc(plen + 16);
    if (!tmp) return l1__error(L1_ERR_NOMEM, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = l1__error(L1_ERR_IO, "%s: cannot create a temporary file: %s", path, strerror(errno));
        l1__free(tmp);
        return st;
    }
    (void)fchmod(fd, 0644);
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        st = l1__error(L1_ERR_IO, "%s: fdopen failed: %s", path, strerror(errno));
        close(fd);
    } else {
        sink s = {.fp = fp};
        serialize(w, &s);
        bool ok = !s.failed && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
        int e = errno;
        if (fclose(fp) != 0 && ok) {
            ok = false;
            e = errno;
        }
        if (!ok) st = l1__error(L1_ERR_IO, "%s: write failed: %s", path, strerror(e));
        else if (rename(tmp, path) != 0)
            st = l1__error(L1_ERR_IO, "%s: rename failed: %s", path, strerror(errno));
    }
    if (st != L1_OK) unlink(tmp);
    l1__free(tmp);
    return st;
}
