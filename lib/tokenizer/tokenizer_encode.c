/*
 * tokenizer_encode.c - text to token ids: added-token partition, the Qwen2
 * pre-tokenizer, byte-level BPE and the per-call piece cache.
 *
 * Shape, and why:
 *  - Added tokens are found in one pass with a byte trie; the reference's
 *    rule (each token in priority order claims its leftmost non-overlapping
 *    occurrences in the text not yet claimed) is then applied to that list
 *    of occurrences, sorted by (priority, position).
 *  - The pre-tokenizer is a hand-written scanner over decoded code points,
 *    not a regex engine: every alternative of the Qwen2 pattern is a
 *    forward scan, so each call is linear in the piece it returns plus a
 *    bounded lookahead, and nothing recurses.  Code points are decoded into
 *    a window that slides over the text, so memory stays bounded by the
 *    longest piece rather than the text.
 *  - BPE on a piece of n bytes merges the lowest-ranked adjacent pair
 *    (leftmost among equals) until none is left.  Short pieces use a small
 *    array scan; long ones a binary heap of candidate pairs with lazy
 *    invalidation, O(n log n).  Pieces repeat a lot in real text, so a
 *    per-call cache maps piece bytes to their ids.
 */
#include "tokenizer/tokenizer_impl.h"

#include <stdlib.h>
#include <string.h>

#define NEED_MORE SIZE_MAX
#define BPE_SMALL 64       /* pieces up to this many bytes use the array scan */
#define CACHE_MIN_TEXT 256 /* texts shorter than this tokenize without a cache */
#define CACHE_MAX_KEY 48   /* longer pieces are not cached */
#define CACHE_MAX_SLOTS (1u << 18)

typedef struct cache_slot {
    uint64_t hash;
    uint32_t key_off, ids_off;
    uint16_t key_len, n_ids; /* key_len 0: empty slot */
} cache_slot;

/* Scratch and output of one l1__tokenize call. */
typedef struct enc {
    const l1__tokenizer *t;
    int32_t *out;
    size_t cap, n;
    l1_status err;
    /* code point window */
    uint32_t *cp;
    uint8_t *cls;
    size_t wcap;
    /* piece bytes, BPE symbols, heap */
    uint8_t *buf;
    size_t buf_cap;
    int32_t *sym_id, *sym_prev, *sym_next;
    uint32_t *pair_rank;
    int32_t *pair_res;
    size_t sym_cap;
    uint64_t *heap;
    size_t heap_cap;
    /* piece ids of the current piece */
    int32_t *ids;
    size_t ids_n, ids_cap;
    /* cache */
    bool use_cache;
    cache_slot *slots;
    uint32_t slot_mask, n_slots;
    uint8_t *keys;
    size_t keys_n, keys_cap;
    int32_t *vals;
    size_t vals_n, vals_cap;
    /* l1__pretokenize: piece ends instead of tokens */
    size_t *ends, ends_at;
} enc;

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem) return false;
        c *= 2;
    }
    void *q = l1__realloc(*p, c * elem);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

static void push_id(enc *e, int32_t id) {
    if (!grow((void **)&e->ids, &e->ids_cap, e->ids_n + 1, sizeof *e->ids)) {
        e->err = L1_ERR_NOMEM;
        return;
    }
    e->ids[e->ids_n++] = id;
}

static void emit(enc *e, int32_t id) {
    if (e->n < e->cap) e->out[e->n] = id;
    e->n++;
}

/* ---- BPE ----------------------------------------------------------------------- */

/* Ids of a finished symbol covering piece bytes s[a..b): its own id, or,
 * when the merged text is not a token, the tokens of the single bytes of
 * its byte-level spelling (as the reference falls back). */
static void symbol_out(enc *e, int32_t id, const uint8_t *s, size_t a, size_t b) {
    if (id >= 0) {
        push_id(e, id);
        return;
    }
    const l1__tokenizer *t = e->t;
    for (size_t i = a; i < b; i++)
        for (unsigned k = 0; k < t->byte_enc_len[s[i]]; k++) {
            const int32_t x = t->single_tok[t->byte_enc[s[i]][k]];
            if (x >= 0) push_id(e, x);
        }
}

static uint32_t pair_lookup(const l1__tokenizer *t, int32_t l, int32_t r, int32_t *res) {
    if (l < 0 || r < 0) return UINT32_MAX;
    const l1__merge *m = l1__tok_merge_find(t, (uint32_t)l, (uint32_t)r);
    if (!m) return UINT32_MAX;
    *res = m->result;
    return m->rank;
}

static bool ensure_syms(enc *e, size_t n) {
    if (n <= e->sym_cap) return true;
    size_t c = e->sym_cap ? e->sym_cap : 64;
    while (c < n) c *= 2;
    void *a = l1__realloc(e->sym_id, c * sizeof(int32_t));
    if (a) e->sym_id = a;
    void *b = l1__realloc(e->sym_prev, c * sizeof(int32_t));
    if (b) e->sym_prev = b;
    void *d = l1__realloc(e->sym_next, c * sizeof(int32_t));
    if (d) e->sym_next = d;
    void *f = l1__realloc(e->pair_rank, c * sizeof(uint32_t));
    if (f) e->pair_rank = f;
    void *g = l1__realloc(e->pair_res, c * sizeof(int32_t));
    if (g) e->pair_res = g;
    if (!a || !b || !d || !f || !g) return false;
    e->sym_cap = c;
    return true;
}

/* Array scan for short pieces: sym_prev holds each symbol's start byte,
 * pair_rank[i] the rank of merging symbols i and i + 1. */
static void bpe_small(enc *e, const uint8_t *s, size_t n) {
    const l1__tokenizer *t = e->t;
    int32_t *id = e->sym_id, *st = e->sym_prev, *res = e->pair_res;
    uint32_t *rank = e->pair_rank;
    size_t m = n;
    for (size_t i = 0; i < n; i++) {
        id[i] = t->byte_tok[s[i]];
        st[i] = (int32_t)i;
    }
    for (size_t i = 0; i + 1 < m; i++) rank[i] = pair_lookup(t, id[i], id[i + 1], &res[i]);
    while (m > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < m; i++)
            if (rank[i] < rank[best]) best = i;
        if (rank[best] == UINT32_MAX) break;
        id[best] = res[best];
        memmove(id + best + 1, id + best + 2, (m - best - 2) * sizeof *id);
        memmove(st + best + 1, st + best + 2, (m - best - 2) * sizeof *st);
        memmove(rank + best + 1, rank + best + 2, (m - best - 2) * sizeof *rank);
        memmove(res + best + 1, res + best + 2, (m - best - 2) * sizeof *res);
        m--;
        if (best > 0) rank[best - 1] = pair_lookup(t, id[best - 1], id[best], &res[best - 1]);
        if (best + 1 < m) rank[best] = pair_lookup(t, id[best], id[best + 1], &res[best]);
    }
    for (size_t i = 0; i < m; i++)
        symbol_out(e, id[i], s, (size_t)st[i], i + 1 < m ? (size_t)st[i + 1] : n);
}

/* Heap keys pack (rank, left symbol index) into one integer so that
 * comparing keys orders by rank, then position; a 4-ary heap of 8-byte
 * keys keeps the pops of long pieces cache-friendly.  Ranks are below 2^24
 * (checked at build) and positions below 2^40. */
#define HEAP_POS_BITS 40
#define HEAP_POS_MASK ((1ull << HEAP_POS_BITS) - 1)

static bool heap_push(enc *e, size_t *hn, uint64_t x) {
    if (!grow((void **)&e->heap, &e->heap_cap, *hn + 1, sizeof *e->heap)) return false;
    size_t i = (*hn)++;
    while (i > 0) {
        const size_t p = (i - 1) / 4;
        if (x >= e->heap[p]) break;
        e->heap[i] = e->heap[p];
        i = p;
    }
    e->heap[i] = x;
    return true;
}

static uint64_t heap_pop(enc *e, size_t *hn) {
    uint64_t *h = e->heap;
    const uint64_t top = h[0], x = h[--(*hn)];
    const size_t n = *hn;
    size_t i = 0;
    for (;;) {
        const size_t c0 = 4 * i + 1;
        if (c0 >= n) break;
        size_t c = c0;
        const size_t c_end = c0 + 4 < n ? c0 + 4 : n;
        for (size_t j = c0 + 1; j < c_end; j++)
            if (h[j] < h[c]) c = j;
        if (h[c] >= x) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
    return top;
}

static bool push_pair(enc *e, size_t *hn, int32_t l) {
    if (l < 0) return true;
    const int32_t r = e->sym_next[l];
    if (r < 0) return true;
    int32_t res;
    const uint32_t rank = pair_lookup(e->t, e->sym_id[l], e->sym_id[r], &res);
    if (rank == UINT32_MAX) return true;
    return heap_push(e, hn, ((uint64_t)rank << HEAP_POS_BITS) | (uint32_t)l);
}

/* Heap of candidate pairs for long pieces, with lazy invalidation: a popped
 * (rank, left) is current exactly when left is still alive, has a right
 * neighbour, and their pair still has that rank (a rank names one pair of
 * ids).  An absorbed symbol gets id -2, which has no pairs. */
static void bpe_heap(enc *e, const uint8_t *s, size_t n) {
    const l1__tokenizer *t = e->t;
    int32_t *id = e->sym_id, *prev = e->sym_prev, *next = e->sym_next;
    size_t hn = 0;
    for (size_t i = 0; i < n; i++) {
        id[i] = t->byte_tok[s[i]];
        prev[i] = (int32_t)i - 1;
        next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    for (size_t i = 0; i + 1 < n; i++)
        if (!push_pair(e, &hn, (int32_t)i)) goto nomem;
    while (hn) {
        const uint64_t key = heap_pop(e, &hn);
        const int32_t l = (int32_t)(key & HEAP_POS_MASK), r = next[l];
        if (r < 0) continue;
        int32_t res = -1;
        if (pair_lookup(t, id[l], id[r], &res) != (uint32_t)(key >> HEAP_POS_BITS)) continue;
        id[l] = res;
        id[r] = -2;
        next[l] = next[r];
        if (next[r] >= 0) prev[next[r]] = l;
        if (!push_pair(e, &hn, prev[l]) || !push_pair(e, &hn, l)) goto nomem;
    }
    for (int32_t i = 0; i >= 0; i = next[i])
        symbol_out(e, id[i], s, (size_t)i, next[i] >= 0 ? (size_t)next[i] : n);
    return;
nomem:
    e->err = L1_ERR_NOMEM;
}

/* ---- piece cache ------------------------------------------------------------ */

static cache_slot *cache_find(enc *e, const uint8_t *s, size_t n, uint64_t h) {
    uint32_t i = (uint32_t)h & e->slot_mask;
    for (;;) {
        cache_slot *c = &e->slots[i];
        if (c->key_len == 0) return c;
        if (c->hash == h && c->key_len == n && memcmp(e->keys + c->key_off, s, n) == 0) return c;
        i = (i + 1) & e->slot_mask;
    }
}

static void cache_rehash(enc *e) {
    const uint32_t old_n = e->slot_mask + 1, new_n = old_n ? old_n * 2 : 1024;
    cache_slot *old = e->slots, *ns = l1__calloc(new_n, sizeof *ns);
    if (!ns) {
        e->use_cache = false; /* the cache is an optimisation: carry on without */
        return;
    }
    e->slots = ns;
    e->slot_mask = new_n - 1;
    for (uint32_t i = 0; old && i < old_n; i++)
        if (old[i].key_len) *cache_find(e, e->keys + old[i].key_off, old[i].key_len, old[i].hash) = old[i];
    l1__free(old);
}

static void cache_put(enc *e, cache_slot *c, const uint8_t *s, size_t n, uint64_t h) {
    if (!grow((void **)&e->keys, &e->keys_cap, e->keys_n + n, 1) ||
        !grow((void **)&e->vals, &e->vals_cap, e->vals_n + e->ids_n, sizeof *e->vals) ||
        e->keys_n + n > UINT32_MAX || e->vals_n + e->ids_n > UINT32_MAX || e->ids_n > UINT16_MAX) {
        e->use_cache = false;
        return;
    }
    memcpy(e->keys + e->keys_n, s, n);
    memcpy(e->vals + e->vals_n, e->ids, e->ids_n * sizeof *e->ids);
    *c = (cache_slot){h, (uint32_t)e->keys_n, (uint32_t)e->vals_n, (uint16_t)n, (uint16_t)e->ids_n};
    e->keys_n += n;
    e->vals_n += e->ids_n;
    if (++e->n_slots * 2 > e->slot_mask + 1) {
        if (e->slot_mask + 1 >= CACHE_MAX_SLOTS)
            e->use_cache = false; /* full: keep using it read-only */
        else
            cache_rehash(e);
    }
}

/* Tokens of one pre-tokenized piece s[0..n) (n >= 1). */
static void bpe_piece(enc *e, const uint8_t *s, size_t n) {
    if (n == 1) {
        emit(e, e->t->byte_tok[s[0]]);
        return;
    }
    cache_slot *slot = NULL;
    uint64_t h = 0;
    if (e->slots && n <= CACHE_MAX_KEY) {
        h = l1__tok_hash(s, n);
        slot = cache_find(e, s, n, h);
        if (slot->key_len) {
            for (uint32_t i = 0; i < slot->n_ids; i++) emit(e, e->vals[slot->ids_off + i]);
            return;
        }
    }
    e->ids_n = 0;
    if (!ensure_syms(e, n)) {
        e->err = L1_ERR_NOMEM;
        return;
    }
    if (n <= BPE_SMALL)
        bpe_small(e, s, n);
    else
        bpe_heap(e, s, n);
    if (e->err != L1_OK) return;
    for (size_t i = 0; i < e->ids_n; i++) emit(e, e->ids[i]);
    if (slot && e->use_cache) cache_put(e, slot, s, n, h);
}

/* ---- pre-tokenizer ------------------------------------------------------------ */

static inline uint32_t ascii_lower(uint32_t c) {
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* End of the piece starting at cp[pos] (pos < end), following the Qwen2
 * pattern's alternatives in order.  When `final` is false, cp[end] is not
 * the end of the text but of the decoded window: if the decision could
 * depend on what follows, returns NEED_MORE instead. */
static size_t pretok_next(const uint32_t *cp, const uint8_t *cls, size_t pos, size_t end, bool final) {
    const unsigned WLN = L1_UC_SPACE | L1_UC_LETTER | L1_UC_NUMBER;
    if (!final && pos + 3 >= end) return NEED_MORE; /* short lookaheads below stay in range */
    const uint32_t c = cp[pos];
    const unsigned k = cls[pos];
    const unsigned k1 = pos + 1 < end ? cls[pos + 1] : 0;
    size_t p;
    /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
    if (c == '\'' && pos + 1 < end) {
        const uint32_t a = ascii_lower(cp[pos + 1]);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return pos + 2;
        if (pos + 2 < end) {
            const uint32_t b = ascii_lower(cp[pos + 2]);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return pos + 3;
        }
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    if (c != '\r' && c != '\n' && !(k & L1_UC_NUMBER) && ((k | k1) & L1_UC_LETTER)) {
        p = pos + 1;
        while (p < end && (cls[p] & L1_UC_LETTER)) p++;
        return p == end && !final ? NEED_MORE : p;
    }
    /* \p{N} */
    if (k & L1_UC_NUMBER) return pos + 1;
    /* ' '?[^\s\p{L}\p{N}]+[\r\n]*  (a lone final space also ends here) */
    const size_t q = pos + (c == ' ');
    if (c == ' ' ? !(k1 & WLN) : !(k & WLN)) {
        p = q;
        while (p < end && !(cls[p] & WLN)) p++;
        while (p < end && (cp[p] == '\r' || cp[p] == '\n')) p++;
        return p == end && !final ? NEED_MORE : p;
    }
    /* \s*[\r\n]+ | \s+(?!\S) | \s+ */
    size_t last_nl = 0;
    p = pos;
    while (p < end && (cls[p] & L1_UC_SPACE)) {
        if (cp[p] == '\r' || cp[p] == '\n') last_nl = p + 1;
        p++;
    }
    if (p == end && !final) return NEED_MORE;
    if (last_nl) return last_nl;
    if (p - pos > 1 && p < end) return p - 1;
    if (p > pos) return p;
    return pos + 1; /* nothing matched: the code point alone */
}

/* ---- fragments ------------------------------------------------------------------- */

static bool ensure_window(enc *e, size_t need) {
    if (need <= e->wcap) return true;
    size_t c = e->wcap ? e->wcap : 1024;
    while (c < need) c *= 2;
    void *a = l1__realloc(e->cp, c * sizeof *e->cp);
    if (a) e->cp = a;
    void *b = l1__realloc(e->cls, c);
    if (b) e->cls = b;
    if (!a || !b) return false;
    e->wcap = c;
    return true;
}

/* Encodes cp[a..b) as UTF-8 into e->buf; returns the byte count. */
static size_t piece_bytes(enc *e, size_t a, size_t b) {
    if (!grow((void **)&e->buf, &e->buf_cap, 4 * (b - a), 1)) {
        e->err = L1_ERR_NOMEM;
        return 0;
    }
    size_t w = 0;
    for (size_t i = a; i < b; i++) {
        const uint32_t c = e->cp[i];
        if (c < 0x80)
            e->buf[w++] = (uint8_t)c;
        else
            w += l1__utf8_encode(c, e->buf + w);
    }
    return w;
}

/* Pre-tokenizes the text fragment s[0..n) and hands each piece to
 * bpe_piece, or, when e->ends is set, records piece ends instead. */
static void fragment(enc *e, const uint8_t *s, size_t n) {
    size_t rd = 0, wlen = 0, pos = 0;
    const size_t want = n < 4096 ? n + 4 : 4096;
    if (!ensure_window(e, want)) goto nomem;
    for (;;) {
        /* Refill the window from the text. */
        while (wlen < e->wcap && rd < n) {
            size_t len;
            const uint32_t c = s[rd] < 0x80 ? (len = 1, s[rd]) : l1__utf8_decode(s + rd, n - rd, &len);
            e->cp[wlen] = c;
            e->cls[wlen] = (uint8_t)l1__uc_class(c);
            wlen++;
            rd += len;
        }
        const bool final = rd == n;
        while (pos < wlen) {
            const size_t end = pretok_next(e->cp, e->cls, pos, wlen, final);
            if (end == NEED_MORE) break;
            const size_t nb = piece_bytes(e, pos, end);
            if (e->err != L1_OK) return;
            if (e->ends) {
                e->ends_at += nb;
                if (e->n < e->cap) e->ends[e->n] = e->ends_at;
                e->n++;
            } else {
                bpe_piece(e, e->buf, nb);
            }
            if (e->err != L1_OK) return;
            pos = end;
        }
        if (pos == wlen && final) return;
        /* Keep the unfinished piece; grow the window if it fills it. */
        if (pos == 0 && !ensure_window(e, e->wcap * 2)) goto nomem;
        memmove(e->cp, e->cp + pos, (wlen - pos) * sizeof *e->cp);
        memmove(e->cls, e->cls + pos, wlen - pos);
        wlen -= pos;
        pos = 0;
    }
nomem:
    e->err = L1_ERR_NOMEM;
}

/* ---- added-token partition ------------------------------------------------------- */

/* An occurrence of an added token: its priority (index in t->added),
 * length and byte position in the text. */
typedef struct occ {
    uint32_t prio, len;
    size_t pos;
} occ;

/* By priority, then text position. */
static int occ_cmp_prio(const void *a, const void *b) {
    const occ *x = a, *y = b;
    return l1__cmp_u64_2(x->prio, y->prio, x->pos, y->pos);
}

static int occ_cmp_pos(const void *a, const void *b) {
    const occ *x = a, *y = b;
    return l1__cmp_u64(x->pos, y->pos);
}

/* Every occurrence of an added token the flags allow, in text order. */
static l1_status find_added(const l1__tokenizer *t, const uint8_t *s, size_t n, bool special,
                            occ **out, size_t *n_out) {
    occ *v = NULL;
    size_t cnt = 0, cap = 0;
    for (size_t p = 0; p < n; p++) {
        if (!t->first_byte[s[p]]) continue;
        int32_t node = 0;
        for (size_t q = p; q < n; q++) {
            int32_t c = t->trie[node].child;
            while (c >= 0 && t->trie[c].byte != s[q]) c = t->trie[c].sibling;
            if (c < 0) break;
            node = c;
            const int32_t id = t->trie[node].token;
            if (id < 0 || (!special && (t->flags[id] & L1__TF_CONTROL))) continue;
            if (!grow((void **)&v, &cap, cnt + 1, sizeof *v)) {
                l1__free(v);
                return L1_ERR_NOMEM;
            }
            v[cnt++] = (occ){t->added_prio[id], (uint32_t)(q - p + 1), p};
        }
    }
    *out = v;
    *n_out = cnt;
    return L1_OK;
}

/* Keeps the occurrences the reference's partition keeps: in priority order,
 * each claims its span unless part of it is already claimed.  Returns the
 * kept ones in text order. */
static l1_status select_added(occ *v, size_t *cnt, size_t n) {
    if (*cnt <= 1) return L1_OK;
    uint8_t *claimed = l1__calloc(n, 1);
    if (!claimed) return L1_ERR_NOMEM;
    qsort(v, *cnt, sizeof *v, occ_cmp_prio);
    size_t k = 0;
    for (size_t i = 0; i < *cnt; i++) {
        bool free_span = true;
        for (size_t j = 0; j < v[i].len && free_span; j++) free_span = !claimed[v[i].pos + j];
        if (!free_span) continue;
        memset(claimed + v[i].pos, 1, v[i].len);
        v[k++] = v[i];
    }
    l1__free(claimed);
    *cnt = k;
    qsort(v, k, sizeof *v, occ_cmp_pos);
    return L1_OK;
}

static void enc_free(enc *e) {
    void *const owned[] = {e->cp,   e->cls, e->buf,   e->sym_id, e->sym_prev, e->sym_next, e->pair_rank,
                           e->pair_res, e->heap, e->ids, e->slots, e->keys, e->vals};
    l1__free_each(owned, L1_ARRAY_LEN(owned));
}

l1_status l1__tokenize(const l1__tokenizer *t, const char *text, size_t len, uint32_t flags,
                       int32_t *out, size_t cap, size_t *n_needed) {
    if (!t || (!text && len) || (!out && cap) || !n_needed)
        return l1__error(L1_ERR_INVALID_ARG, "tokenize: NULL argument");
    const uint8_t *s = (const uint8_t *)text;
    enc e = {.t = t, .out = out, .cap = cap, .err = L1_OK};
    if ((flags & L1__TOK_ADD_BOS) && t->role[L1_SPECIAL_BOS] >= 0) emit(&e, t->role[L1_SPECIAL_BOS]);
    if (len >= CACHE_MIN_TEXT) {
        e.use_cache = true;
        cache_rehash(&e);
    }
    occ *v = NULL;
    size_t nv = 0;
    l1_status st = find_added(t, s, len, (flags & L1__TOK_SPECIAL) != 0, &v, &nv);
    if (st == L1_OK) st = select_added(v, &nv, len);
    if (st == L1_OK) {
        size_t at = 0;
        for (size_t i = 0; i <= nv && e.err == L1_OK; i++) {
            const size_t stop = i < nv ? v[i].pos : len;
            if (stop > at) fragment(&e, s + at, stop - at);
            if (i < nv) {
                emit(&e, t->added[v[i].prio]);
                at = v[i].pos + v[i].len;
            }
        }
        st = e.err;
    }
    l1__free(v);
    enc_free(&e);
    if (st != L1_OK) return l1__error(st, "tokenize: out of memory for %zu bytes of text", len);
    *n_needed = e.n;
    return e.n <= cap ? L1_OK : L1_ERR_BUFFER_TOO_SMALL;
}

size_t l1__pretokenize(const char *text, size_t len, size_t *ends, size_t cap) {
    enc e = {.ends = ends, .cap = ends ? cap : 0, .err = L1_OK};
    if (len) fragment(&e, (const uint8_t *)text, len);
    enc_free(&e);
    return e.err == L1_OK ? e.n : 0;
}
