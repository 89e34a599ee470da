/*
 * gguf.c - the GGUF v2/v3 reader: parses and validates a whole file before
 * handing anything out.
 *
 * Format summary (little-endian; see gguf.h for the full layout):
 *   header   "GGUF", version u32, n_tensors u64, n_kv u64
 *   metadata n_kv x (key string, value type u32, value)
 *   tensors  n_tensors x (name string, n_dims u32, ne[n_dims] u64, type u32, offset u64)
 *   padding  to general.alignment (default 32), then the tensor data.
 * A string is a u64 byte count and the bytes; an array is an element type
 * u32, a count u64 and the elements, which may themselves be arrays.
 *
 * Why it is shaped so:
 * - Every count and length in a GGUF file is attacker-controlled.  Before
 *   anything is allocated for a count, the count times the smallest encoding
 *   of one item must fit in the bytes that remain, so the memory a file can
 *   make us use is a small multiple of its size, and also capped by
 *   l1__gguf_limits.  All sizes go through checked arithmetic.
 * - Tokenizer metadata holds ~150k strings in two arrays.  Strings are copied
 *   (each followed by a NUL) into one growable arena addressed by offsets,
 *   never one allocation per string; numeric arrays are copied there too, so
 *   callers get naturally aligned elements.  Tensor names live in a second
 *   arena so that the key index, built once the first arena stops growing,
 *   can hold plain pointers.
 * - Keys and tensor names are found through indexes sorted by name, which
 *   also detect duplicates in O(n log n) whatever the names are (a hash
 *   table keyed by file data can be driven quadratic).
 * - Tensor data stays in the mapping; overlap is checked by sorting extents.
 */
#include "gguf/gguf.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the GGUF reader assumes a little-endian host"
#endif

/* ---- stored values ---------------------------------------------------- */

/* One parsed value.  Scalars hold their value; a string holds its arena
 * offset and length; an array holds its element type, count and the arena
 * offset of its elements: raw numbers, str_ref entries, or nested vals. */
typedef struct val {
    uint32_t type;
    uint32_t elem; /* arrays only */
    uint64_t n;    /* string length or array count */
    union {
        uint64_t u;
        int64_t i;
        double d;
        float f;
        uint64_t off;
    } as;
} val;

typedef struct str_ref {
    uint64_t off;
    uint64_t len;
} str_ref;

typedef struct kv_entry {
    uint64_t key_off; /* in the metadata arena */
    uint64_t key_len;
    uint64_t raw_off; /* the encoded value in the file (after the type) */
    uint64_t raw_len;
    val v;
} kv_entry;

typedef struct name_ix {
    const char *name;
    int64_t idx;
} name_ix;

typedef struct arena {
    uint8_t *p;
    uint64_t len;
    uint64_t cap;
} arena;

struct l1__gguf {
    l1__file file; /* owned when opened from a path */
    const uint8_t *base;
    uint64_t size;
    uint32_t version;
    uint64_t alignment;
    uint64_t data_offset;
    int64_t n_kv;
    kv_entry *kv;
    name_ix *key_ix; /* sorted by key */
    int64_t n_tensors;
    l1__gguf_tensor *tensors;
    name_ix *tensor_ix; /* sorted by name */
    arena meta;         /* keys and values */
    arena names;        /* tensor names */
};

/* Smallest encodings, used to bound counts by the bytes left. */
#define MIN_KV_BYTES 13u     /* key length u64 + type u32 + a 1-byte value */
#define MIN_TENSOR_BYTES 32u /* name length u64 + n_dims u32 + one dim u64 + type u32 + offset u64 */
#define HARD_MAX_DEPTH 64u   /* recursion bound whatever the caller's limits say */

static const char *const k_vtype_names[L1_GGUF_VTYPE_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
};
static const uint8_t k_vtype_size[L1_GGUF_VTYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *l1__gguf_vtype_name(uint32_t vtype) {
    return vtype < L1_GGUF_VTYPE_COUNT ? k_vtype_names[vtype] : "unknown";
}

l1__gguf_limits l1__gguf_default_limits(void) {
    l1__gguf_limits l = {
        .max_string_len = (uint64_t)1 << 24,
        .max_array_len = (uint64_t)1 << 24,
        .max_kv = (uint64_t)1 << 16,
        .max_tensors = (uint64_t)1 << 16,
        .max_metadata_bytes = (uint64_t)1 << 29,
        .max_array_depth = 8,
    };
    return l;
}

static l1__gguf_limits merge_limits(const l1__gguf_limits *lim) {
    l1__gguf_limits d = l1__gguf_default_limits();
    if (!lim) return d;
    if (lim->max_string_len) d.max_string_len = lim->max_string_len;
    if (lim->max_array_len) d.max_array_len = lim->max_array_len;
    if (lim->max_kv) d.max_kv = lim->max_kv;
    if (lim->max_tensors) d.max_tensors = lim->max_tensors;
    if (lim->max_metadata_bytes) d.max_metadata_bytes = lim->max_metadata_bytes;
    if (lim->max_array_depth) d.max_array_depth = lim->max_array_depth;
    if (d.max_array_depth > HARD_MAX_DEPTH) d.max_array_depth = HARD_MAX_DEPTH;
    return d;
}

/* ---- parser state -------------------------------------------------------- */

typedef struct parser {
    const uint8_t *p;
    uint64_t size;
    uint64_t pos;
    l1__gguf_limits lim;
    uint64_t heap_used; /* bytes counted against max_metadata_bytes */
    char ctx[200];      /* "key general.name" / "tensor x": names the item in errors */
} parser;

/* Copies a name into ps->ctx for messages, replacing control bytes so that a
 * message stays on one line. */
static void set_ctx(parser *ps, const char *what, const char *name, uint64_t len) {
    size_t w = strlen(what);
    size_t cap = sizeof ps->ctx - 4;
    memcpy(ps->ctx, what, w);
    ps->ctx[w++] = ' ';
    uint64_t n = len < cap - w ? len : cap - w;
    for (uint64_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        ps->ctx[w++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (n < len) ps->ctx[w++] = '~';
    ps->ctx[w] = '\0';
}

/* A name fit for a one-line message (see set_ctx), in buf. */
static const char *safe_name(const char *name, char *buf, size_t cap) {
    parser tmp;
    set_ctx(&tmp, "tensor", name, strlen(name));
    snprintf(buf, cap, "%s", tmp.ctx);
    return buf;
}

static l1_status truncated(parser *ps, const char *what, uint64_t need) {
    return l1__error(L1_ERR_FORMAT, "%s: %s truncated: needs %llu bytes at offset %llu, file has %llu",
                     ps->ctx, what, (unsigned long long)need, (unsigned long long)ps->pos,
                     (unsigned long long)ps->size);
}

static inline uint64_t left(const parser *ps) { return ps->size - ps->pos; }

static l1_status rd_u32(parser *ps, const char *what, uint32_t *v) {
    if (left(ps) < 4) return truncated(ps, what, 4);
    memcpy(v, ps->p + ps->pos, 4);
    ps->pos += 4;
    return L1_OK;
}

static l1_status rd_u64(parser *ps, const char *what, uint64_t *v) {
    if (left(ps) < 8) return truncated(ps, what, 8);
    memcpy(v, ps->p + ps->pos, 8);
    ps->pos += 8;
    return L1_OK;
}

static l1_status charge(parser *ps, uint64_t bytes) {
    uint64_t t;
    if (!l1__add_u64(ps->heap_used, bytes, &t) || t > ps->lim.max_metadata_bytes)
        return l1__error(L1_ERR_LIMIT, "%s: metadata needs more than the limit of %llu bytes",
                         ps->ctx, (unsigned long long)ps->lim.max_metadata_bytes);
    ps->heap_used = t;
    return L1_OK;
}

/* Reserves `n` bytes aligned to `align` (<= 16) in `a`; *off receives their
 * offset.  Pointers into the arena are invalid after the next call. */
static l1_status arena_take(parser *ps, arena *a, uint64_t n, uint64_t align, uint64_t *off) {
    uint64_t start, end;
    if (!l1__align_up_u64(a->len, align, &start) || !l1__add_u64(start, n, &end))
        return l1__error(L1_ERR_LIMIT, "%s: metadata size overflows", ps->ctx);
    l1_status st = charge(ps, end - a->len);
    if (st != L1_OK) return st;
    if (end > a->cap) {
        uint64_t cap = a->cap ? a->cap : 4096;
        while (cap < end) cap = cap > UINT64_MAX / 2 ? end : cap * 2;
        if (cap > SIZE_MAX) return l1__error(L1_ERR_LIMIT, "%s: metadata too large", ps->ctx);
        uint8_t *p = l1__realloc(a->p, (size_t)cap);
        if (!p) return l1__error(L1_ERR_NOMEM, "%s: out of memory for metadata", ps->ctx);
        a->p = p;
        a->cap = cap;
    }
    if (start > a->len) memset(a->p + a->len, 0, (size_t)(start - a->len));
    a->len = end;
    *off = start;
    return L1_OK;
}

/* Reads a string's length and checks it against the cap and the bytes left. */
static l1_status rd_strlen(parser *ps, const char *what, uint64_t *len) {
    l1_status st = rd_u64(ps, what, len);
    if (st != L1_OK) return st;
    if (*len > ps->lim.max_string_len)
        return l1__error(L1_ERR_LIMIT, "%s: %s length %llu exceeds the limit of %llu", ps->ctx, what,
                         (unsigned long long)*len, (unsigned long long)ps->lim.max_string_len);
    if (*len > left(ps))
        return l1__error(L1_ERR_FORMAT, "%s: %s length %llu runs past the end of the file (%llu bytes left)",
                         ps->ctx, what, (unsigned long long)*len, (unsigned long long)left(ps));
    return L1_OK;
}

/* Copies a string (length-checked by rd_strlen) into the arena with a NUL. */
static l1_status copy_str(parser *ps, arena *a, uint64_t len, uint64_t *off) {
    l1_status st = arena_take(ps, a, len + 1, 1, off);
    if (st != L1_OK) return st;
    memcpy(a->p + *off, ps->p + ps->pos, (size_t)len);
    a->p[*off + len] = '\0';
    ps->pos += len;
    return L1_OK;
}

/* ---- values ----------------------------------------------------------------- */

static l1_status parse_array(parser *ps, arena *a, uint32_t depth, val *out);

static l1_status parse_scalar(parser *ps, uint32_t type, val *out) {
    uint64_t sz = k_vtype_size[type];
    if (left(ps) < sz) return truncated(ps, "value", sz);
    const uint8_t *s = ps->p + ps->pos;
    out->type = type;
    out->elem = 0;
    out->n = 0;
    out->as.u = 0;
    switch (type) {
    case L1_GGUF_UINT8: out->as.u = s[0]; break;
    case L1_GGUF_INT8: { int8_t x; memcpy(&x, s, 1); out->as.i = x; } break;
    case L1_GGUF_UINT16: { uint16_t x; memcpy(&x, s, 2); out->as.u = x; } break;
    case L1_GGUF_INT16: { int16_t x; memcpy(&x, s, 2); out->as.i = x; } break;
    case L1_GGUF_UINT32: { uint32_t x; memcpy(&x, s, 4); out->as.u = x; } break;
    case L1_GGUF_INT32: { int32_t x; memcpy(&x, s, 4); out->as.i = x; } break;
    case L1_GGUF_FLOAT32: memcpy(&out->as.f, s, 4); break;
    case L1_GGUF_BOOL:
        if (s[0] > 1)
            return l1__error(L1_ERR_FORMAT, "%s: bool value %u (must be 0 or 1)", ps->ctx, s[0]);
        out->as.u = s[0];
        break;
    case L1_GGUF_UINT64: memcpy(&out->as.u, s, 8); break;
    case L1_GGUF_INT64: memcpy(&out->as.i, s, 8); break;
    case L1_GGUF_FLOAT64: memcpy(&out->as.d, s, 8); break;
    default: return l1__error(L1_ERR_INTERNAL, "%s: scalar type %u", ps->ctx, type);
    }
    ps->pos += sz;
    return L1_OK;
}

/* Parses one value of `type` (already read and known to be < COUNT). */
static l1_status parse_value(parser *ps, arena *a, uint32_t type, val *out) {
    if (type == L1_GGUF_STRING) {
        uint64_t len, off;
        l1_status st = rd_strlen(ps, "string", &len);
        if (st == L1_OK) st = copy_str(ps, a, len, &off);
        if (st != L1_OK) return st;
        out->type = type;
        out->elem = 0;
        out->n = len;
        out->as.off = off;
        return L1_OK;
    }
    if (type == L1_GGUF_ARRAY) return parse_array(ps, a, 1, out);
    return parse_scalar(ps, type, out);
}

/* Room in the arena for the n index entries of an array (elem bytes each). */
static l1_status take_index(parser *ps, arena *a, uint64_t n, size_t elem, uint64_t *idx_off) {
    uint64_t bytes;
    if (!l1__mul_u64(n, elem, &bytes)) return l1__error(L1_ERR_LIMIT, "%s: array too large", ps->ctx);
    return arena_take(ps, a, bytes, 8, idx_off);
}

static l1_status parse_str_elems(parser *ps, arena *a, uint64_t n, uint64_t *idx_off) {
    l1_status st = take_index(ps, a, n, sizeof(str_ref), idx_off);
    if (st != L1_OK) return st;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len, off;
        st = rd_strlen(ps, "array string", &len);
        if (st == L1_OK) st = copy_str(ps, a, len, &off);
        if (st != L1_OK) return st;
        str_ref r = {off, len};
        memcpy(a->p + *idx_off + i * sizeof(str_ref), &r, sizeof r);
    }
    return L1_OK;
}

static l1_status parse_nested_elems(parser *ps, arena *a, uint32_t depth, uint64_t n,
                                    uint64_t *idx_off) {
    l1_status st = take_index(ps, a, n, sizeof(val), idx_off);
    if (st != L1_OK) return st;
    for (uint64_t i = 0; i < n; i++) {
        val sub;
        st = parse_array(ps, a, depth + 1, &sub);
        if (st != L1_OK) return st;
        memcpy(a->p + *idx_off + i * sizeof(val), &sub, sizeof sub);
    }
    return L1_OK;
}

/* Parses an array header and its elements; depth 1 is a top-level array. */
static l1_status parse_array(parser *ps, arena *a, uint32_t depth, val *out) {
    if (depth > ps->lim.max_array_depth)
        return l1__error(L1_ERR_LIMIT, "%s: arrays nested deeper than the limit of %u", ps->ctx,
                         ps->lim.max_array_depth);
    uint32_t elem = 0;
    uint64_t n = 0;
    l1_status st = rd_u32(ps, "array element type", &elem);
    if (st == L1_OK) st = rd_u64(ps, "array count", &n);
    if (st != L1_OK) return st;
    if (elem >= L1_GGUF_VTYPE_COUNT)
        return l1__error(L1_ERR_FORMAT, "%s: unknown array element type %u", ps->ctx, elem);
    if (n > ps->lim.max_array_len)
        return l1__error(L1_ERR_LIMIT, "%s: array count %llu exceeds the limit of %llu", ps->ctx,
                         (unsigned long long)n, (unsigned long long)ps->lim.max_array_len);
    uint64_t min_each = elem == L1_GGUF_STRING ? 8 : elem == L1_GGUF_ARRAY ? 12 : k_vtype_size[elem];
    uint64_t need;
    if (!l1__mul_u64(n, min_each, &need) || need > left(ps))
        return l1__error(L1_ERR_FORMAT, "%s: array of %llu %s elements runs past the end of the file (%llu bytes left)",
                         ps->ctx, (unsigned long long)n, k_vtype_names[elem],
                         (unsigned long long)left(ps));
    out->type = L1_GGUF_ARRAY;
    out->elem = elem;
    out->n = n;
    if (elem == L1_GGUF_STRING) return parse_str_elems(ps, a, n, &out->as.off);
    if (elem == L1_GGUF_ARRAY) return parse_nested_elems(ps, a, depth, n, &out->as.off);
    st = arena_take(ps, a, need, 8, &out->as.off);
    if (st != L1_OK) return st;
    const uint8_t *src = ps->p + ps->pos;
    if (elem == L1_GGUF_BOOL) {
        for (uint64_t i = 0; i < n; i++)
            if (src[i] > 1)
                return l1__error(L1_ERR_FORMAT, "%s: element %llu: bool value %u (must be 0 or 1)",
                                 ps->ctx, (unsigned long long)i, src[i]);
    }
    if (need) memcpy(a->p + out->as.off, src, (size_t)need);
    ps->pos += need;
    return L1_OK;
}

/* ---- header and metadata ---------------------------------------------------- */

static l1_status parse_header(parser *ps, l1__gguf *g, uint64_t *n_tensors, uint64_t *n_kv) {
    snprintf(ps->ctx, sizeof ps->ctx, "header");
    /* Magic and version are judged as soon as their bytes exist, so that a
     * short file of the wrong kind or version says so rather than "short". */
    if (ps->size >= 4 && memcmp(ps->p, "GGUF", 4) != 0) {
        const uint8_t *m = ps->p;
        return l1__error(L1_ERR_FORMAT, "header: bad magic %02x %02x %02x %02x (not a GGUF file)",
                         m[0], m[1], m[2], m[3]);
    }
    uint32_t v = 0;
    if (ps->size >= 8) memcpy(&v, ps->p + 4, 4);
    if (ps->size >= 8 && v == 1)
        return l1__error(L1_ERR_FORMAT, "header: GGUF version 1 is not supported (32-bit lengths); "
                                        "only versions 2 and 3 are");
    if (ps->size >= 8 && v != 2 && v != 3) {
        if ((v & 0xffff) == 0 && (__builtin_bswap32(v) == 2 || __builtin_bswap32(v) == 3))
            return l1__error(L1_ERR_FORMAT, "header: big-endian GGUF files are not supported");
        return l1__error(L1_ERR_FORMAT, "header: unsupported GGUF version %u (only 2 and 3)", v);
    }
    if (ps->size < 24)
        return l1__error(L1_ERR_FORMAT, "header: file is %llu bytes, too short for a GGUF header (24)",
                         (unsigned long long)ps->size);
    ps->pos = 8;
    g->version = v;
    (void)rd_u64(ps, "n_tensors", n_tensors);
    (void)rd_u64(ps, "n_kv", n_kv);
    if (*n_kv > ps->lim.max_kv)
        return l1__error(L1_ERR_LIMIT, "header: n_kv %llu exceeds the limit of %llu",
                         (unsigned long long)*n_kv, (unsigned long long)ps->lim.max_kv);
    if (*n_tensors > ps->lim.max_tensors)
        return l1__error(L1_ERR_LIMIT, "header: n_tensors %llu exceeds the limit of %llu",
                         (unsigned long long)*n_tensors, (unsigned long long)ps->lim.max_tensors);
    uint64_t a, b, need;
    if (!l1__mul_u64(*n_kv, MIN_KV_BYTES, &a) || !l1__mul_u64(*n_tensors, MIN_TENSOR_BYTES, &b) ||
        !l1__add_u64(a, b, &need) || need > left(ps))
        return l1__error(L1_ERR_FORMAT,
                         "header: %llu metadata pairs and %llu tensors cannot fit in a file of %llu bytes",
                         (unsigned long long)*n_kv, (unsigned long long)*n_tensors,
                         (unsigned long long)ps->size);
    return L1_OK;
}

static l1_status parse_kv(parser *ps, l1__gguf *g, int64_t i) {
    kv_entry *e = &g->kv[i];
    char num[48];
    snprintf(num, sizeof num, "#%lld", (long long)i);
    set_ctx(ps, "key", num, strlen(num));
    uint64_t len, off;
    l1_status st = rd_strlen(ps, "key", &len);
    if (st != L1_OK) return st;
    if (len == 0) return l1__error(L1_ERR_FORMAT, "%s: empty key", ps->ctx);
    if (memchr(ps->p + ps->pos, 0, (size_t)len)) {
        set_ctx(ps, "key", (const char *)ps->p + ps->pos, len);
        return l1__error(L1_ERR_FORMAT, "%s: key contains a NUL byte", ps->ctx);
    }
    set_ctx(ps, "key", (const char *)ps->p + ps->pos, len);
    st = copy_str(ps, &g->meta, len, &off);
    if (st != L1_OK) return st;
    e->key_off = off;
    e->key_len = len;
    uint32_t type = 0;
    st = rd_u32(ps, "value type", &type);
    if (st != L1_OK) return st;
    if (type >= L1_GGUF_VTYPE_COUNT)
        return l1__error(L1_ERR_FORMAT, "%s: unknown value type %u", ps->ctx, type);
    e->raw_off = ps->pos;
    st = parse_value(ps, &g->meta, type, &e->v);
    e->raw_len = ps->pos - e->raw_off;
    return st;
}

static int cmp_name_ix(const void *pa, const void *pb) {
    const name_ix *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : l1__cmp_i64(a->idx, b->idx);
}

/* Builds a sorted index over n names; reports the first duplicate. */
static l1_status build_index(parser *ps, const char *what, name_ix **out, int64_t n,
                             const char *(*name_of)(const l1__gguf *, int64_t), const l1__gguf *g) {
    *out = NULL;
    if (n == 0) return L1_OK;
    snprintf(ps->ctx, sizeof ps->ctx, "%s index", what);
    l1_status st = charge(ps, (uint64_t)n * sizeof(name_ix));
    if (st != L1_OK) return st;
    name_ix *ix = l1__malloc((size_t)n * sizeof *ix);
    if (!ix) return l1__error(L1_ERR_NOMEM, "out of memory indexing %lld %ss", (long long)n, what);
    for (int64_t i = 0; i < n; i++) ix[i] = (name_ix){name_of(g, i), i};
    qsort(ix, (size_t)n, sizeof *ix, cmp_name_ix);
    *out = ix;
    for (int64_t i = 1; i < n; i++) {
        if (strcmp(ix[i - 1].name, ix[i].name) == 0) {
            set_ctx(ps, what, ix[i].name, strlen(ix[i].name));
            return l1__error(L1_ERR_FORMAT, "%s: duplicate (entries #%lld and #%lld)", ps->ctx,
                             (long long)ix[i - 1].idx, (long long)ix[i].idx);
        }
    }
    return L1_OK;
}

static const char *key_name(const l1__gguf *g, int64_t i) {
    return (const char *)g->meta.p + g->kv[i].key_off;
}
static const char *tensor_name(const l1__gguf *g, int64_t i) { return g->tensors[i].name; }

static const name_ix *ix_find(const name_ix *ix, int64_t n, const char *name) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ix[mid].name, name);
        if (c == 0) return &ix[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static l1_status parse_alignment(l1__gguf *g) {
    g->alignment = L1_GGUF_DEFAULT_ALIGNMENT;
    int64_t i = l1__gguf_find_key(g, "general.alignment");
    if (i < 0) return L1_OK;
    const val *v = &g->kv[i].v;
    if (v->type != L1_GGUF_UINT32)
        return l1__error(L1_ERR_FORMAT, "key general.alignment: must be u32, found %s",
                         k_vtype_names[v->type]);
    if (v->as.u == 0 || (v->as.u & (v->as.u - 1)) != 0)
        return l1__error(L1_ERR_FORMAT, "key general.alignment: %llu is not a power of two",
                         (unsigned long long)v->as.u);
    g->alignment = v->as.u;
    return L1_OK;
}

/* ---- tensors --------------------------------------------------------------- */

static l1_status parse_tensor_info(parser *ps, l1__gguf *g, int64_t i, uint64_t *name_off) {
    l1__gguf_tensor *t = &g->tensors[i];
    char num[48];
    snprintf(num, sizeof num, "#%lld", (long long)i);
    set_ctx(ps, "tensor", num, strlen(num));
    uint64_t len;
    l1_status st = rd_strlen(ps, "name", &len);
    if (st != L1_OK) return st;
    if (len == 0) return l1__error(L1_ERR_FORMAT, "%s: empty name", ps->ctx);
    set_ctx(ps, "tensor", (const char *)ps->p + ps->pos, len);
    if (memchr(ps->p + ps->pos, 0, (size_t)len))
        return l1__error(L1_ERR_FORMAT, "%s: name contains a NUL byte", ps->ctx);
    st = copy_str(ps, &g->names, len, name_off);
    if (st == L1_OK) st = rd_u32(ps, "n_dims", &t->n_dims);
    if (st != L1_OK) return st;
    if (t->n_dims < 1 || t->n_dims > L1_GGUF_MAX_DIMS)
        return l1__error(L1_ERR_FORMAT, "%s: n_dims %u (must be 1..%d)", ps->ctx, t->n_dims,
                         L1_GGUF_MAX_DIMS);
    for (uint32_t d = 0; d < L1_GGUF_MAX_DIMS; d++) {
        uint64_t ne = 1;
        if (d < t->n_dims && (st = rd_u64(ps, "dimension", &ne)) != L1_OK) return st;
        if (ne == 0 || ne > (uint64_t)INT64_MAX)
            return l1__error(L1_ERR_FORMAT, "%s: dimension %u is %llu (must be 1..INT64_MAX)",
                             ps->ctx, d, (unsigned long long)ne);
        t->ne[d] = (int64_t)ne;
    }
    st = rd_u32(ps, "type", &t->type);
    if (st == L1_OK) st = rd_u64(ps, "offset", &t->offset);
    if (st != L1_OK) return st;
    st = l1__gguf_tensor_nbytes(t->type, t->n_dims, t->ne, &t->nbytes);
    if (st != L1_OK) {
        l1__error_prefix("%s", ps->ctx);
        return st;
    }
    t->n_elements = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3]; /* checked by tensor_nbytes */
    return L1_OK;
}

/* The bytes [begin, end) of the file that tensor idx occupies. */
typedef struct extent {
    uint64_t begin, end, idx;
} extent;

/* By start, then tensor index. */
static int cmp_extent(const void *pa, const void *pb) {
    const extent *a = pa, *b = pb;
    return l1__cmp_u64_2(a->begin, b->begin, a->idx, b->idx);
}

/* Offsets aligned, data inside the file, no two tensors sharing a byte. */
static l1_status check_tensor_data(parser *ps, l1__gguf *g) {
    int64_t n = g->n_tensors;
    for (int64_t i = 0; i < n; i++) {
        l1__gguf_tensor *t = &g->tensors[i];
        uint64_t begin, end;
        char nm[sizeof ps->ctx];
        if (t->offset % g->alignment != 0)
            return l1__error(L1_ERR_FORMAT, "%s: offset %llu is not a multiple of the alignment %llu",
                             safe_name(t->name, nm, sizeof nm), (unsigned long long)t->offset,
                             (unsigned long long)g->alignment);
        if (!l1__add_u64(g->data_offset, t->offset, &begin) || !l1__add_u64(begin, t->nbytes, &end) ||
            end > g->size)
            return l1__error(L1_ERR_FORMAT,
                             "%s: data past end of file (offset %llu + %llu bytes, data section "
                             "at %llu, file %llu bytes)",
                             safe_name(t->name, nm, sizeof nm), (unsigned long long)t->offset,
                             (unsigned long long)t->nbytes,
                             (unsigned long long)g->data_offset, (unsigned long long)g->size);
        t->data = g->base + begin;
    }
    if (n < 2) return L1_OK;
    snprintf(ps->ctx, sizeof ps->ctx, "tensor extents");
    l1_status st = charge(ps, (uint64_t)n * sizeof(extent));
    if (st != L1_OK) return st;
    extent *ex = l1__malloc((size_t)n * sizeof *ex);
    if (!ex) return l1__error(L1_ERR_NOMEM, "out of memory checking %lld tensor extents", (long long)n);
    for (int64_t i = 0; i < n; i++)
        ex[i] = (extent){g->tensors[i].offset, g->tensors[i].offset + g->tensors[i].nbytes, (uint64_t)i};
    qsort(ex, (size_t)n, sizeof *ex, cmp_extent);
    st = L1_OK;
    for (int64_t i = 1; i < n && st == L1_OK; i++) {
        if (ex[i].begin < ex[i - 1].end) {
            char a[sizeof ps->ctx], b[sizeof ps->ctx];
            st = l1__error(L1_ERR_FORMAT, "%s: data overlaps %s",
                           safe_name(g->tensors[ex[i].idx].name, a, sizeof a),
                           safe_name(g->tensors[ex[i - 1].idx].name, b, sizeof b));
        }
    }
    l1__free(ex);
    return st;
}

static l1_status parse_tensors(parser *ps, l1__gguf *g, uint64_t n) {
    if (n == 0) return L1_OK;
    uint64_t bytes = n * sizeof(l1__gguf_tensor) + n * sizeof(uint64_t); /* n <= max_tensors */
    snprintf(ps->ctx, sizeof ps->ctx, "tensor table");
    l1_status st = charge(ps, bytes);
    if (st != L1_OK) return st;
    g->tensors = l1__calloc((size_t)n, sizeof *g->tensors);
    uint64_t *name_off = l1__malloc((size_t)n * sizeof *name_off);
    if (!g->tensors || !name_off) {
        l1__free(name_off);
        return l1__error(L1_ERR_NOMEM, "out of memory for %llu tensor infos", (unsigned long long)n);
    }
    g->n_tensors = (int64_t)n;
    for (uint64_t i = 0; i < n && st == L1_OK; i++) st = parse_tensor_info(ps, g, (int64_t)i, &name_off[i]);
    if (st == L1_OK) {
        for (uint64_t i = 0; i < n; i++) g->tensors[i].name = (const char *)g->names.p + name_off[i];
    } else {
        for (uint64_t i = 0; i < n; i++) g->tensors[i].name = NULL;
    }
    l1__free(name_off);
    return st;
}

/* ---- open / close ------------------------------------------------------------ */

static l1_status parse_all(l1__gguf *g, const l1__gguf_limits *lim) {
    parser ps = {.p = g->base, .size = g->size, .pos = 0, .lim = merge_limits(lim)};
    uint64_t n_tensors, n_kv;
    l1_status st = parse_header(&ps, g, &n_tensors, &n_kv);
    if (st != L1_OK) return st;
    if (n_kv) {
        snprintf(ps.ctx, sizeof ps.ctx, "metadata table");
        if ((st = charge(&ps, n_kv * sizeof(kv_entry))) != L1_OK) return st;
        g->kv = l1__calloc((size_t)n_kv, sizeof *g->kv);
        if (!g->kv)
            return l1__error(L1_ERR_NOMEM, "out of memory for %llu metadata pairs", (unsigned long long)n_kv);
    }
    g->n_kv = (int64_t)n_kv;
    for (uint64_t i = 0; i < n_kv; i++)
        if ((st = parse_kv(&ps, g, (int64_t)i)) != L1_OK) return st;
    if ((st = build_index(&ps, "key", &g->key_ix, g->n_kv, key_name, g)) != L1_OK) return st;
    if ((st = parse_alignment(g)) != L1_OK) return st;
    if ((st = parse_tensors(&ps, g, n_tensors)) != L1_OK) return st;
    if ((st = build_index(&ps, "tensor", &g->tensor_ix, g->n_tensors, tensor_name, g)) != L1_OK)
        return st;
    /* Without tensors there is no data section to pad to (the data
     * offset is the end of the tables, as other GGUF readers report it). */
    g->data_offset = ps.pos;
    if (g->n_tensors && !l1__align_up_u64(ps.pos, g->alignment, &g->data_offset))
        return l1__error(L1_ERR_FORMAT, "header: data offset overflows");
    return check_tensor_data(&ps, g);
}

static l1_status open_common(l1__gguf *g, const l1__gguf_limits *lim, l1__gguf **out) {
    l1_status st = parse_all(g, lim);
    if (st != L1_OK) {
        l1__gguf_close(g);
        return st;
    }
    *out = g;
    return L1_OK;
}

l1_status l1__gguf_open_memory(const void *data, size_t size, const l1__gguf_limits *lim,
                               l1__gguf **out) {
    if (!out || (!data && size)) return l1__error(L1_ERR_INVALID_ARG, "gguf_open_memory: NULL argument");
    *out = NULL;
    l1__gguf *g = l1__calloc(1, sizeof *g);
    if (!g) return l1__error(L1_ERR_NOMEM, "out of memory opening a GGUF file");
    g->base = data;
    g->size = size;
    return open_common(g, lim, out);
}

l1_status l1__gguf_open(const char *path, const l1__gguf_limits *lim, l1__gguf **out) {
    if (!out || !path) return l1__error(L1_ERR_INVALID_ARG, "gguf_open: NULL argument");
    *out = NULL;
    l1__file f;
    l1_status st = l1__file_open(path, false, &f);
    if (st != L1_OK) return st;
    l1__gguf *g = l1__calloc(1, sizeof *g);
    if (!g) {
        l1__file_close(&f);
        return l1__error(L1_ERR_NOMEM, "%s: out of memory opening it", path);
    }
    g->file = f;
    g->base = f.data;
    g->size = f.size;
    st = open_common(g, lim, out);
    if (st != L1_OK) l1__error_prefix("%s", path);
    return st;
}

void l1__gguf_close(l1__gguf *g) {
    if (!g) return;
    void *const owned[] = {g->kv, g->key_ix, g->tensors, g->tensor_ix, g->meta.p, g->names.p};
    l1__free_each(owned, L1_ARRAY_LEN(owned));
    l1__file_close(&g->file);
    l1__free(g);
}

uint32_t l1__gguf_version(const l1__gguf *g) { return g ? g->version : 0; }
uint64_t l1__gguf_alignment(const l1__gguf *g) { return g ? g->alignment : 0; }
uint64_t l1__gguf_data_offset(const l1__gguf *g) { return g ? g->data_offset : 0; }
uint64_t l1__gguf_file_size(const l1__gguf *g) { return g ? g->size : 0; }

/* ---- metadata access ------------------------------------------------------------ */

int64_t l1__gguf_n_kv(const l1__gguf *g) { return g ? g->n_kv : 0; }

const char *l1__gguf_kv_key(const l1__gguf *g, int64_t i) {
    if (!g || i < 0 || i >= g->n_kv) return NULL;
    return key_name(g, i);
}

l1__gguf_vtype l1__gguf_kv_type(const l1__gguf *g, int64_t i) {
    if (!g || i < 0 || i >= g->n_kv) return L1_GGUF_VTYPE_COUNT;
    return (l1__gguf_vtype)g->kv[i].v.type;
}

int64_t l1__gguf_find_key(const l1__gguf *g, const char *key) {
    if (!g || !key || !g->key_ix) return -1;
    const name_ix *e = ix_find(g->key_ix, g->n_kv, key);
    return e ? e->idx : -1;
}

/* The value of `key`, or an error naming it. */
static l1_status lookup(const l1__gguf *g, const char *key, const val **v) {
    if (!g || !key) return l1__error(L1_ERR_INVALID_ARG, "gguf get: NULL argument");
    int64_t i = l1__gguf_find_key(g, key);
    if (i < 0) return l1__error(L1_ERR_FORMAT, "key %s: missing", key);
    *v = &g->kv[i].v;
    return L1_OK;
}

static l1_status mismatch(const char *key, const char *want, const val *v) {
    if (v->type == L1_GGUF_ARRAY)
        return l1__error(L1_ERR_FORMAT, "key %s: expected %s, found array of %s", key, want,
                         k_vtype_names[v->elem]);
    return l1__error(L1_ERR_FORMAT, "key %s: expected %s, found %s", key, want, k_vtype_names[v->type]);
}

/* The value of `key`, which must be of type `type` (`want` names it). */
static l1_status lookup_as(const l1__gguf *g, const char *key, uint32_t type, const char *want, const val **v) {
    l1_status st = lookup(g, key, v);
    if (st != L1_OK) return st;
    return (*v)->type == type ? L1_OK : mismatch(key, want, *v);
}

static bool is_signed_int(uint32_t t) {
    return t == L1_GGUF_INT8 || t == L1_GGUF_INT16 || t == L1_GGUF_INT32 || t == L1_GGUF_INT64;
}
static bool is_unsigned_int(uint32_t t) {
    return t == L1_GGUF_UINT8 || t == L1_GGUF_UINT16 || t == L1_GGUF_UINT32 || t == L1_GGUF_UINT64;
}

l1_status l1__gguf_get_u32(const l1__gguf *g, const char *key, uint32_t *out) {
    const val *v = NULL;
    l1_status st = lookup_as(g, key, L1_GGUF_UINT32, "u32", &v);
    if (st == L1_OK) *out = (uint32_t)v->as.u;
    return st;
}

l1_status l1__gguf_get_i32(const l1__gguf *g, const char *key, int32_t *out) {
    const val *v = NULL;
    l1_status st = lookup_as(g, key, L1_GGUF_INT32, "i32", &v);
    if (st == L1_OK) *out = (int32_t)v->as.i;
    return st;
}

/* An integer of any width and sign, as the two's-complement bits of a
 * signed (want_signed) or unsigned 64-bit value; a value outside that type
 * is an error naming the key. */
static l1_status get_int64(const l1__gguf *g, const char *key, bool want_signed, uint64_t *bits) {
    const val *v = NULL;
    l1_status st = lookup(g, key, &v);
    if (st != L1_OK) return st;
    const bool is_signed = is_signed_int(v->type);
    if (!is_signed && !is_unsigned_int(v->type)) return mismatch(key, "an integer", v);
    if (is_signed && !want_signed && v->as.i < 0)
        return l1__error(L1_ERR_FORMAT, "key %s: value %lld does not fit u64", key, (long long)v->as.i);
    if (!is_signed && want_signed && v->as.u > (uint64_t)INT64_MAX)
        return l1__error(L1_ERR_FORMAT, "key %s: value %llu does not fit i64", key, (unsigned long long)v->as.u);
    *bits = is_signed ? (uint64_t)v->as.i : v->as.u;
    return L1_OK;
}

l1_status l1__gguf_get_u64(const l1__gguf *g, const char *key, uint64_t *out) {
    return get_int64(g, key, false, out);
}

l1_status l1__gguf_get_i64(const l1__gguf *g, const char *key, int64_t *out) {
    uint64_t bits = 0;
    l1_status st = get_int64(g, key, true, &bits);
    if (st == L1_OK) *out = (int64_t)bits;
    return st;
}

l1_status l1__gguf_get_f32(const l1__gguf *g, const char *key, float *out) {
    const val *v = NULL;
    l1_status st = lookup(g, key, &v);
    if (st != L1_OK) return st;
    if (v->type == L1_GGUF_FLOAT32) {
        *out = v->as.f;
        return L1_OK;
    }
    if (v->type != L1_GGUF_FLOAT64) return mismatch(key, "f32", v);
    if (isfinite(v->as.d) && fabs(v->as.d) > FLT_MAX)
        return l1__error(L1_ERR_FORMAT, "key %s: value %g does not fit f32", key, v->as.d);
    *out = (float)v->as.d;
    return L1_OK;
}

l1_status l1__gguf_get_f64(const l1__gguf *g, const char *key, double *out) {
    const val *v = NULL;
    l1_status st = lookup_as(g, key, L1_GGUF_FLOAT64, "f64", &v);
    if (st == L1_OK) *out = v->as.d;
    return st;
}

l1_status l1__gguf_get_bool(const l1__gguf *g, const char *key, bool *out) {
    const val *v = NULL;
    l1_status st = lookup_as(g, key, L1_GGUF_BOOL, "bool", &v);
    if (st == L1_OK) *out = v->as.u != 0;
    return st;
}

l1_status l1__gguf_get_str(const l1__gguf *g, const char *key, const char **s, uint64_t *len) {
    const val *v = NULL;
    l1_status st = lookup_as(g, key, L1_GGUF_STRING, "string", &v);
    if (st != L1_OK) return st;
    *s = (const char *)g->meta.p + v->as.off;
    if (len) *len = v->n;
    return L1_OK;
}

l1_status l1__gguf_get_arr(const l1__gguf *g, const char *key, l1__gguf_vtype *elem, uint64_t *n) {
    const val *v = NULL;
    l1_status st = lookup_as(g, key, L1_GGUF_ARRAY, "array", &v);
    if (st != L1_OK) return st;
    if (elem) *elem = (l1__gguf_vtype)v->elem;
    if (n) *n = v->n;
    return L1_OK;
}

l1_status l1__gguf_get_arr_str(const l1__gguf *g, const char *key, uint64_t i, const char **s,
                               uint64_t *len) {
    const val *v = NULL;
    l1_status st = lookup(g, key, &v);
    if (st != L1_OK) return st;
    if (v->type != L1_GGUF_ARRAY || v->elem != L1_GGUF_STRING) return mismatch(key, "array of string", v);
    if (i >= v->n)
        return l1__error(L1_ERR_INVALID_ARG, "key %s: index %llu out of range (%llu strings)", key,
                         (unsigned long long)i, (unsigned long long)v->n);
    str_ref r;
    memcpy(&r, g->meta.p + v->as.off + i * sizeof(str_ref), sizeof r);
    *s = (const char *)g->meta.p + r.off;
    if (len) *len = r.len;
    return L1_OK;
}

l1_status l1__gguf_get_arr_data(const l1__gguf *g, const char *key, l1__gguf_vtype elem,
                                const void **data, uint64_t *n) {
    const val *v = NULL;
    l1_status st = lookup(g, key, &v);
    if (st != L1_OK) return st;
    if (elem >= L1_GGUF_VTYPE_COUNT || elem == L1_GGUF_STRING || elem == L1_GGUF_ARRAY)
        return l1__error(L1_ERR_INVALID_ARG, "key %s: get_arr_data needs a numeric element type", key);
    if (v->type != L1_GGUF_ARRAY || v->elem != (uint32_t)elem) {
        char want[32];
        snprintf(want, sizeof want, "array of %s", k_vtype_names[elem]);
        return mismatch(key, want, v);
    }
    *data = g->meta.p + v->as.off;
    if (n) *n = v->n;
    return L1_OK;
}

/* ---- tensor access ----------------------------------------------------------------- */

int64_t l1__gguf_n_tensors(const l1__gguf *g) { return g ? g->n_tensors : 0; }

const l1__gguf_tensor *l1__gguf_tensor_at(const l1__gguf *g, int64_t i) {
    if (!g || i < 0 || i >= g->n_tensors) return NULL;
    return &g->tensors[i];
}

bool l1__gguf_mapped(const l1__gguf *g) { return g->file.mapped && g->base == g->file.data; }

const l1__gguf_tensor *l1__gguf_find_tensor(const l1__gguf *g, const char *name) {
    if (!g || !name || !g->tensor_ix) return NULL;
    const name_ix *e = ix_find(g->tensor_ix, g->n_tensors, name);
    return e ? &g->tensors[e->idx] : NULL;
}

l1_status l1__gguf_kv_raw(const l1__gguf *g, int64_t i, const void **data, uint64_t *len) {
    if (!g || i < 0 || i >= g->n_kv || !data || !len)
        return l1__error(L1_ERR_INVALID_ARG, "gguf_kv_raw: bad argument");
    *data = g->base + g->kv[i].raw_off;
    *len = g->kv[i].raw_len;
    return L1_OK;
}

l1_status l1__gguf_tensor_nbytes(uint32_t type, uint32_t n_dims, const int64_t *ne, uint64_t *nbytes) {
    const l1__type_geom *geom = l1__type_geom_get(type);
    if (!geom) return l1__error(L1_ERR_FORMAT, "unknown type id %u", type);
    if (n_dims < 1 || n_dims > L1_GGUF_MAX_DIMS || !ne)
        return l1__error(L1_ERR_FORMAT, "n_dims %u (must be 1..%d)", n_dims, L1_GGUF_MAX_DIMS);
    int64_t count = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
        if (ne[d] <= 0)
            return l1__error(L1_ERR_FORMAT, "dimension %u is %lld (must be > 0)", d, (long long)ne[d]);
        if (!l1__mul_i64(count, ne[d], &count))
            return l1__error(L1_ERR_FORMAT, "element count overflows (dimension %u)", d);
    }
    if (ne[0] % geom->block_size != 0)
        return l1__error(L1_ERR_FORMAT, "row length %lld is not a multiple of the block size %u of %s",
                         (long long)ne[0], geom->block_size, geom->name);
    uint64_t bytes = (uint64_t)(count / geom->block_size);
    if (!l1__mul_u64(bytes, geom->type_size, &bytes) || bytes > (uint64_t)INT64_MAX)
        return l1__error(L1_ERR_FORMAT, "byte size overflows (%lld elements of %s)", (long long)count,
                         geom->name);
    *nbytes = bytes;
    return L1_OK;
}
