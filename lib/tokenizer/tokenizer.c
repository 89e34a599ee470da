/*
 * tokenizer.c - building the tokenizer from its vocabulary and merges,
 * validating them, and turning ids back into bytes.
 *
 * Everything the tokenizer needs is copied into flat arrays at build time
 * (texts and pieces as one blob each with offsets, open-addressing hash
 * tables for text -> id and (left, right) -> merge), so that the GGUF file
 * may be closed afterwards and lookups cost one or two cache misses.
 *
 * Which added tokens count as control tokens follows the reference: the
 * GGUF token type, plus tokens whose text marks them as end-of-turn or
 * fill-in-the-middle delimiters (reference behaviour for files converted
 * with these tokens typed as user-defined; see mark_control_by_text).
 */
#include "tokenizer/tokenizer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"

static const char *const k_meta_keys[L1_META_COUNT] = {
    "tokenizer.ggml.bos_token_id",     "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.padding_token_id", "tokenizer.ggml.eot_token_id",
    "tokenizer.ggml.eom_token_id",     "tokenizer.ggml.fim_pre_token_id",
    "tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.fim_mid_token_id",
    "tokenizer.ggml.fim_pad_token_id", "tokenizer.ggml.fim_rep_token_id",
    "tokenizer.ggml.fim_sep_token_id",
};

l1__tok_spec l1__tok_spec_init(void) {
    l1__tok_spec s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < L1_META_COUNT; i++) s.meta[i] = -1;
    return s;
}

uint64_t l1__tok_hash(const uint8_t *s, size_t n) {
    uint64_t h = 0x243F6A8885A308D3ull ^ (n * 0x9E3779B97F4A7C15ull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)s[i] << (8 * i);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 29);
}

/* The byte-level alphabet: printable Latin-1 bytes stand for themselves;
 * the other 68 bytes (controls, space, DEL, 0x80..0xA0, soft hyphen) take
 * the code points U+0100.. in byte order. */
static uint32_t byte_level_cp(unsigned b) {
    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE) return b;
    uint32_t k = 0;
    for (unsigned c = 0; c < b; c++)
        if (!((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE)) k++;
    return 0x100 + k;
}

void l1__tokenizer_free(l1__tokenizer *t) {
    if (!t) return;
    void *const owned[] = {t->type,  t->flags, t->text_ix, t->merge,      t->added, t->added_prio,
                           t->trie,  t->text,  t->text_off, t->piece_off, t->piece, t};
    l1__free_each(owned, L1_ARRAY_LEN(owned));
}

static const uint8_t *tok_text(const l1__tokenizer *t, uint32_t id, size_t *n) {
    *n = t->text_off[id + 1] - t->text_off[id];
    return t->text + t->text_off[id];
}

int32_t l1__tokenizer_find(const l1__tokenizer *t, const char *s, size_t n) {
    if (!t || (!s && n)) return -1;
    uint32_t i = (uint32_t)l1__tok_hash((const uint8_t *)s, n) & t->text_mask;
    for (;;) {
        const int32_t id = t->text_ix[i];
        if (id < 0) return -1;
        size_t m;
        const uint8_t *x = tok_text(t, (uint32_t)id, &m);
        if (m == n && (n == 0 || memcmp(x, s, n) == 0)) return id;
        i = (i + 1) & t->text_mask;
    }
}

/* Smallest power of two >= 2 * n (at least 16), as a mask. */
static bool table_mask(uint64_t n, uint32_t *mask) {
    uint64_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    if (cap > (1ull << 31)) return false;
    *mask = (uint32_t)(cap - 1);
    return true;
}

/* Copies the token texts (an empty text becomes "[EMPTY_<id>]", as the
 * reference names it) and indexes them; duplicates are an error. */
static l1_status load_texts(l1__tokenizer *t, const l1__tok_spec *sp) {
    const uint32_t n = sp->n_tokens;
    uint64_t total = 0;
    char empty[32];
    for (uint32_t i = 0; i < n; i++) {
        size_t len = sp->token_lens[i];
        if (len == 0) len = (size_t)snprintf(empty, sizeof empty, "[EMPTY_%u]", i);
        if (!l1__add_u64(total, len, &total) || total > UINT32_MAX)
            return l1__error(L1_ERR_FORMAT, "tokenizer.ggml.tokens: texts exceed 4 GiB");
        if (!sp->tokens[i] && sp->token_lens[i])
            return l1__error(L1_ERR_INVALID_ARG, "tokenizer.ggml.tokens[%u]: NULL text", i);
    }
    if (!table_mask(n, &t->text_mask))
        return l1__error(L1_ERR_FORMAT, "tokenizer.ggml.tokens: %u tokens are too many", n);
    t->text_off = l1__malloc(((size_t)n + 1) * sizeof *t->text_off);
    t->text = l1__malloc(total ? (size_t)total : 1);
    t->text_ix = l1__malloc(((size_t)t->text_mask + 1) * sizeof *t->text_ix);
    if (!t->text_off || !t->text || !t->text_ix)
        return l1__error(L1_ERR_NOMEM, "tokenizer: out of memory for %u token texts", n);
    memset(t->text_ix, 0xFF, ((size_t)t->text_mask + 1) * sizeof *t->text_ix);
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = sp->token_lens[i];
        const char *src = sp->tokens[i];
        if (len == 0) {
            len = (size_t)snprintf(empty, sizeof empty, "[EMPTY_%u]", i);
            src = empty;
        }
        t->text_off[i] = off;
        memcpy(t->text + off, src, len);
        off += (uint32_t)len;
        t->text_off[i + 1] = off;
        uint32_t h = (uint32_t)l1__tok_hash(t->text + t->text_off[i], len) & t->text_mask;
        while (t->text_ix[h] >= 0) {
            size_t m;
            const uint8_t *x = tok_text(t, (uint32_t)t->text_ix[h], &m);
            if (m == len && memcmp(x, t->text + t->text_off[i], len) == 0)
                return l1__error(L1_ERR_FORMAT,
                                 "tokenizer.ggml.tokens[%u]: '%.*s' duplicates token %d", i,
                                 (int)(len > 64 ? 64 : len), src, t->text_ix[h]);
            h = (h + 1) & t->text_mask;
        }
        t->text_ix[h] = (int32_t)i;
    }
    return L1_OK;
}

static l1_status load_types(l1__tokenizer *t, const l1__tok_spec *sp) {
    const uint32_t n = sp->n_tokens;
    t->type = l1__malloc(n);
    t->flags = l1__calloc(n, 1);
    if (!t->type || !t->flags) return l1__error(L1_ERR_NOMEM, "tokenizer: out of memory for types");
    for (uint32_t i = 0; i < n; i++) {
        const int32_t ty = sp->token_types ? sp->token_types[i] : L1_TOKTYPE_NORMAL;
        if (ty < 0 || ty > L1_TOKTYPE_BYTE)
            return l1__error(L1_ERR_FORMAT,
                             "tokenizer.ggml.token_type[%u]: %d is not a token type (0..6)", i, ty);
        t->type[i] = (uint8_t)ty;
        if (ty == L1_TOKTYPE_CONTROL || ty == L1_TOKTYPE_UNKNOWN)
            t->flags[i] |= L1__TF_CONTROL | L1__TF_ADDED;
        if (ty == L1_TOKTYPE_USER_DEFINED) t->flags[i] |= L1__TF_ADDED;
    }
    return L1_OK;
}

/* Texts that mark a delimiter token as control even when the file types it
 * user-defined, per delimiter kind (the Qwen2 and DeepSeek spellings).
 * For each kind whose metadata id is absent, the lowest-id token with one
 * of these texts becomes control; every end-of-generation text does. */
static const char *const k_ctl_eot[] = {"<|im_end|>", "<|endoftext|>", "<｜end▁of▁sentence｜>",
                                        NULL};
static const char *const k_ctl_fim_pre[] = {"<|fim_prefix|>", "<｜fim▁begin｜>", NULL};
static const char *const k_ctl_fim_suf[] = {"<|fim_suffix|>", "<｜fim▁hole｜>", NULL};
static const char *const k_ctl_fim_mid[] = {"<|fim_middle|>", "<｜fim▁end｜>", NULL};
static const char *const k_ctl_fim_pad[] = {"<|fim_pad|>", NULL};
static const char *const k_ctl_fim_rep[] = {"<|fim_repo|>", "<|repo_name|>", NULL};
static const char *const k_ctl_fim_sep[] = {"<|file_sep|>", NULL};
static const char *const k_ctl_eog[] = {"<|im_end|>", "<|endoftext|>", "<｜end▁of▁sentence｜>",
                                        NULL};

static void mark_kind(l1__tokenizer *t, const l1__tok_spec *sp, int meta, const char *const *texts) {
    if (meta >= 0 && sp->meta[meta] >= 0) return;
    int32_t best = -1;
    for (const char *const *p = texts; *p; p++) {
        const int32_t id = l1__tokenizer_find(t, *p, strlen(*p));
        if (id >= 0 && (best < 0 || id < best)) best = id;
    }
    if (best >= 0) t->flags[best] |= L1__TF_CONTROL | L1__TF_ADDED;
}

static void mark_control_by_text(l1__tokenizer *t, const l1__tok_spec *sp) {
    mark_kind(t, sp, L1_META_EOT, k_ctl_eot);
    mark_kind(t, sp, L1_META_FIM_PRE, k_ctl_fim_pre);
    mark_kind(t, sp, L1_META_FIM_SUF, k_ctl_fim_suf);
    mark_kind(t, sp, L1_META_FIM_MID, k_ctl_fim_mid);
    mark_kind(t, sp, L1_META_FIM_PAD, k_ctl_fim_pad);
    mark_kind(t, sp, L1_META_FIM_REP, k_ctl_fim_rep);
    mark_kind(t, sp, L1_META_FIM_SEP, k_ctl_fim_sep);
    for (const char *const *p = k_ctl_eog; *p; p++) {
        const int32_t id = l1__tokenizer_find(t, *p, strlen(*p));
        if (id >= 0) t->flags[id] |= L1__TF_CONTROL | L1__TF_ADDED;
    }
}

/* Detokenized bytes of every token. */
static l1_status build_pieces(l1__tokenizer *t) {
    const uint32_t n = t->n_tokens;
    int16_t inv[0x144]; /* byte-level code point -> byte */
    for (int i = 0; i < 0x144; i++) inv[i] = -1;
    for (unsigned b = 0; b < 256; b++) inv[byte_level_cp(b)] = (int16_t)b;
    t->piece_off = l1__malloc(((size_t)n + 1) * sizeof *t->piece_off);
    /* A piece is never longer than its text: a character of >= 2 bytes
     * decodes to 1 byte, others are kept as they are. */
    t->piece = l1__malloc(t->text_off[n] ? t->text_off[n] : 1);
    if (!t->piece_off || !t->piece) return l1__error(L1_ERR_NOMEM, "tokenizer: out of memory for pieces");
    uint32_t w = 0;
    t->max_piece = 0;
    for (uint32_t id = 0; id < n; id++) {
        size_t len;
        const uint8_t *s = tok_text(t, id, &len);
        t->piece_off[id] = w;
        const int ty = t->type[id];
        if (ty == L1_TOKTYPE_NORMAL || ty == L1_TOKTYPE_BYTE) {
            /* Characters outside the byte-level alphabet are kept as UTF-8. */
            size_t i = 0;
            while (i < len) {
                size_t k;
                const uint32_t cp = l1__utf8_decode(s + i, len - i, &k);
                if (cp < 0x144 && inv[cp] >= 0 && cp != L1_UC_REPLACEMENT) {
                    t->piece[w++] = (uint8_t)inv[cp];
                } else {
                    memcpy(t->piece + w, s + i, k);
                    w += (uint32_t)k;
                }
                i += k;
            }
        } else if (ty == L1_TOKTYPE_CONTROL || ty == L1_TOKTYPE_USER_DEFINED ||
                   ty == L1_TOKTYPE_UNKNOWN) {
            memcpy(t->piece + w, s, len);
            w += (uint32_t)len;
        } /* unused and undefined tokens have no bytes */
        t->piece_off[id + 1] = w;
        if (w - t->piece_off[id] > t->max_piece) t->max_piece = w - t->piece_off[id];
    }
    return L1_OK;
}

static l1_status build_bytes(l1__tokenizer *t) {
    for (unsigned b = 0; b < 256; b++) {
        t->byte_enc_len[b] = (uint8_t)l1__utf8_encode(byte_level_cp(b), t->byte_enc[b]);
        t->byte_tok[b] = l1__tokenizer_find(t, (const char *)t->byte_enc[b], t->byte_enc_len[b]);
        if (t->byte_tok[b] < 0)
            return l1__error(L1_ERR_FORMAT,
                             "tokenizer.ggml.tokens: no token for byte 0x%02X ('%.*s'), which "
                             "byte-level BPE needs", b, (int)t->byte_enc_len[b], (const char *)t->byte_enc[b]);
        const char one = (char)b;
        t->single_tok[b] = l1__tokenizer_find(t, &one, 1);
    }
    return L1_OK;
}

/* Parses "left right" (split at the first space after the first byte, as
 * the reference does) into token ids. */
static l1_status parse_merge(const l1__tokenizer *t, uint32_t i, const char *s, size_t n,
                             int32_t *l, int32_t *r, int32_t *res) {
    const char *sp = n > 1 ? memchr(s + 1, ' ', n - 1) : NULL;
    if (!sp)
        return l1__error(L1_ERR_FORMAT, "tokenizer.ggml.merges[%u]: '%.*s' is not 'left right'", i,
                         (int)(n > 64 ? 64 : n), s ? s : "");
    const size_t nl = (size_t)(sp - s), nr = n - nl - 1;
    *l = l1__tokenizer_find(t, s, nl);
    *r = l1__tokenizer_find(t, sp + 1, nr);
    if (*l < 0 || *r < 0) {
        const bool left = *l < 0;
        return l1__error(L1_ERR_FORMAT, "tokenizer.ggml.merges[%u]: '%.*s' names unknown token '%.*s'",
                         i, (int)(n > 64 ? 64 : n), s, (int)(left ? nl : nr), left ? s : sp + 1);
    }
    char buf[512];
    if (nl + nr <= sizeof buf) {
        memcpy(buf, s, nl);
        memcpy(buf + nl, sp + 1, nr);
        *res = l1__tokenizer_find(t, buf, nl + nr);
    } else {
        char *tmp = l1__malloc(nl + nr);
        if (!tmp) return l1__error(L1_ERR_NOMEM, "tokenizer: out of memory");
        memcpy(tmp, s, nl);
        memcpy(tmp + nl, sp + 1, nr);
        *res = l1__tokenizer_find(t, tmp, nl + nr);
        l1__free(tmp);
    }
    return L1_OK;
}

static l1_status load_merges(l1__tokenizer *t, const l1__tok_spec *sp) {
    if (sp->n_merges >= (1u << 24)) /* ranks must fit the BPE heap's keys */
        return l1__error(L1_ERR_FORMAT, "tokenizer.ggml.merges: %u merges are too many (max %u)",
                         sp->n_merges, (1u << 24) - 1);
    if (!table_mask(sp->n_merges, &t->merge_mask))
        return l1__error(L1_ERR_FORMAT, "tokenizer.ggml.merges: %u merges are too many", sp->n_merges);
    t->merge = l1__malloc(((size_t)t->merge_mask + 1) * sizeof *t->merge);
    if (!t->merge) return l1__error(L1_ERR_NOMEM, "tokenizer: out of memory for merges");
    memset(t->merge, 0xFF, ((size_t)t->merge_mask + 1) * sizeof *t->merge);
    t->n_merges = sp->n_merges;
    for (uint32_t i = 0; i < sp->n_merges; i++) {
        int32_t l, r, res;
        if (!sp->merges[i] && sp->merge_lens[i])
            return l1__error(L1_ERR_INVALID_ARG, "tokenizer.ggml.merges[%u]: NULL text", i);
        l1_status st = parse_merge(t, i, sp->merges[i], sp->merge_lens[i], &l, &r, &res);
        if (st != L1_OK) return st;
        const uint64_t key = ((uint64_t)(uint32_t)l << 32) | (uint32_t)r;
        uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & t->merge_mask;
        for (;;) {
            l1__merge *m = &t->merge[h];
            if (m->left == UINT32_MAX) {
                m->left = (uint32_t)l;
                m->right = (uint32_t)r;
                m->rank = i;
                m->result = res;
                break;
            }
            if (m->left == (uint32_t)l && m->right == (uint32_t)r) break; /* first rank wins */
            h = (h + 1) & t->merge_mask;
        }
    }
    return L1_OK;
}

static int cmp_added(const void *a, const void *b, void *ctx) {
    const l1__tokenizer *t = ctx;
    const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    const uint32_t lx = t->text_off[x + 1] - t->text_off[x], ly = t->text_off[y + 1] - t->text_off[y];
    if (lx != ly) return lx > ly ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Insertion sort would be quadratic for vocabularies with many added
 * tokens; qsort_r is glibc-specific, so a small merge sort does it. */
static void sort_added(int32_t *a, int32_t *tmp, size_t n, l1__tokenizer *t) {
    if (n < 2) return;
    const size_t h = n / 2;
    sort_added(a, tmp, h, t);
    sort_added(a + h, tmp, n - h, t);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = cmp_added(&a[j], &a[i], t) < 0 ? a[j++] : a[i++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static l1_status build_added(l1__tokenizer *t) {
    const uint32_t n = t->n_tokens;
    uint32_t cnt = 0;
    uint64_t nodes = 1;
    for (uint32_t i = 0; i < n; i++)
        if (t->flags[i] & L1__TF_ADDED) {
            cnt++;
            nodes += t->text_off[i + 1] - t->text_off[i];
        }
    t->added = l1__malloc((cnt ? cnt : 1) * sizeof *t->added);
    int32_t *tmp = l1__malloc((cnt ? cnt : 1) * sizeof *tmp);
    t->added_prio = l1__malloc((size_t)n * sizeof *t->added_prio);
    t->trie = nodes <= INT32_MAX ? l1__malloc((size_t)nodes * sizeof *t->trie) : NULL;
    if (!t->added || !tmp || !t->added_prio || !t->trie) {
        l1__free(tmp);
        return l1__error(L1_ERR_NOMEM, "tokenizer: out of memory for %u added tokens", cnt);
    }
    t->n_added = 0;
    for (uint32_t i = 0; i < n; i++)
        if (t->flags[i] & L1__TF_ADDED) t->added[t->n_added++] = (int32_t)i;
    sort_added(t->added, tmp, t->n_added, t);
    l1__free(tmp);
    memset(t->added_prio, 0xFF, (size_t)n * sizeof *t->added_prio);
    t->trie[0] = (l1__trie_node){-1, -1, -1, 0};
    t->n_trie = 1;
    memset(t->first_byte, 0, sizeof t->first_byte);
    for (uint32_t k = 0; k < t->n_added; k++) {
        const int32_t id = t->added[k];
        t->added_prio[id] = k;
        size_t len;
        const uint8_t *s = tok_text(t, (uint32_t)id, &len);
        t->first_byte[s[0]] = 1;
        int32_t node = 0;
        for (size_t i = 0; i < len; i++) {
            int32_t c = t->trie[node].child;
            while (c >= 0 && t->trie[c].byte != s[i]) c = t->trie[c].sibling;
            if (c < 0) {
                c = (int32_t)t->n_trie++;
                t->trie[c] = (l1__trie_node){-1, t->trie[node].child, -1, s[i]};
                t->trie[node].child = c;
            }
            node = c;
        }
        t->trie[node].token = id;
    }
    return L1_OK;
}

static l1_status check_meta(const l1__tok_spec *sp) {
    for (int i = 0; i < L1_META_COUNT; i++)
        if (sp->meta[i] >= 0 && sp->meta[i] >= (int64_t)sp->n_tokens)
            return l1__error(L1_ERR_FORMAT, "key %s: token id %lld out of range (%u tokens)",
                             k_meta_keys[i], (long long)sp->meta[i], sp->n_tokens);
    return L1_OK;
}

static void find_roles(l1__tokenizer *t, const l1__tok_spec *sp) {
    static const char *const texts[L1__SPECIAL_COUNT] = {NULL, NULL, NULL, "<think>", "</think>",
                                                     "<｜User｜>", "<｜Assistant｜>"};
    t->role[L1_SPECIAL_BOS] = (int32_t)sp->meta[L1_META_BOS];
    t->role[L1_SPECIAL_EOS] = (int32_t)sp->meta[L1_META_EOS];
    t->role[L1_SPECIAL_PAD] = (int32_t)sp->meta[L1_META_PAD];
    for (int r = L1_SPECIAL_THINK_OPEN; r < L1__SPECIAL_COUNT; r++)
        t->role[r] = l1__tokenizer_find(t, texts[r], strlen(texts[r]));
    t->add_bos = sp->add_bos;
}

/* End-of-generation tokens: EOS, the EOT/EOM and fill-in-the-middle
 * pad/repo/separator ids of the metadata, and the entries whose text is one
 * of the end-of-turn markers of the Qwen / DeepSeek families.  The set is
 * the one the reference implementation stops on for these vocabularies, so
 * a greedy generation ends where its does. */
static void mark_eog(l1__tokenizer *t, const l1__tok_spec *sp) {
    static const int metas[] = {L1_META_EOS, L1_META_EOT, L1_META_EOM,
                                L1_META_FIM_PAD, L1_META_FIM_REP, L1_META_FIM_SEP};
    static const char *const texts[] = {"<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>",
                                        "<|eom_id|>", "<EOT>", "<｜end▁of▁sentence｜>",
                                        "<|end_of_text|>", "<|fim_pad|>", "<|repo_name|>",
                                        "<|file_sep|>"};
    for (size_t i = 0; i < sizeof metas / sizeof metas[0]; i++)
        if (sp->meta[metas[i]] >= 0) t->flags[sp->meta[metas[i]]] |= L1__TF_EOG;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int32_t id = l1__tokenizer_find(t, texts[i], strlen(texts[i]));
        if (id >= 0) t->flags[id] |= L1__TF_EOG;
    }
}

l1_status l1__tokenizer_build(const l1__tok_spec *sp, l1__tokenizer **out) {
    if (!out) return l1__error(L1_ERR_INVALID_ARG, "tokenizer_build: NULL out");
    *out = NULL;
    if (!sp || (sp->n_tokens && (!sp->tokens || !sp->token_lens)) ||
        (sp->n_merges && (!sp->merges || !sp->merge_lens)))
        return l1__error(L1_ERR_INVALID_ARG, "tokenizer_build: NULL arrays");
    if (sp->n_tokens == 0) return l1__error(L1_ERR_FORMAT, "tokenizer.ggml.tokens: empty vocabulary");
    if (sp->n_tokens > INT32_MAX / 2)
        return l1__error(L1_ERR_FORMAT, "tokenizer.ggml.tokens: %u tokens are too many", sp->n_tokens);
    l1_status st = check_meta(sp);
    if (st != L1_OK) return st;
    l1__tokenizer *t = l1__calloc(1, sizeof *t);
    if (!t) return l1__error(L1_ERR_NOMEM, "tokenizer: out of memory");
    t->n_tokens = sp->n_tokens;
    if ((st = load_types(t, sp)) != L1_OK || (st = load_texts(t, sp)) != L1_OK ||
        (st = build_bytes(t)) != L1_OK || (st = load_merges(t, sp)) != L1_OK ||
        (st = build_pieces(t)) != L1_OK) {
        l1__tokenizer_free(t);
        return st;
    }
    mark_control_by_text(t, sp);
    if ((st = build_added(t)) != L1_OK) {
        l1__tokenizer_free(t);
        return st;
    }
    find_roles(t, sp);
    mark_eog(t, sp);
    *out = t;
    return L1_OK;
}

/* ---- loading from GGUF ------------------------------------------------------ */

static l1_status get_str_eq(const l1__gguf *g, const char *key, const char *const *allowed) {
    const char *s;
    uint64_t n;
    l1_status st = l1__gguf_get_str(g, key, &s, &n);
    if (st != L1_OK) return st;
    for (const char *const *a = allowed; *a; a++)
        if (strlen(*a) == n && memcmp(*a, s, n) == 0) return L1_OK;
    return l1__error(L1_ERR_UNSUPPORTED, "key %s: '%.*s' is not supported (expected '%s'%s%s)", key,
                     (int)(n > 64 ? 64 : n), s, allowed[0], allowed[1] ? " or '" : "",
                     allowed[1] ? allowed[1] : "");
}

/* Pointers into the file for a string array. */
static l1_status get_strs(const l1__gguf *g, const char *key, uint32_t *count, const char ***strs,
                          size_t **lens) {
    l1__gguf_vtype elem;
    uint64_t n;
    l1_status st = l1__gguf_get_arr(g, key, &elem, &n);
    if (st != L1_OK) return st;
    if (elem != L1_GGUF_STRING)
        return l1__error(L1_ERR_FORMAT, "key %s: expected array of string, found array of %s", key,
                         l1__gguf_vtype_name(elem));
    if (n > INT32_MAX / 2) return l1__error(L1_ERR_FORMAT, "key %s: %llu entries are too many", key,
                                            (unsigned long long)n);
    *strs = l1__malloc((n ? n : 1) * sizeof **strs);
    *lens = l1__malloc((n ? n : 1) * sizeof **lens);
    if (!*strs || !*lens) return l1__error(L1_ERR_NOMEM, "key %s: out of memory", key);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len;
        if ((st = l1__gguf_get_arr_str(g, key, i, &(*strs)[i], &len)) != L1_OK) return st;
        (*lens)[i] = (size_t)len;
    }
    *count = (uint32_t)n;
    return L1_OK;
}

static l1_status get_meta_ids(const l1__gguf *g, l1__tok_spec *sp) {
    /* Older files name three of the fill-in-the-middle ids differently. */
    static const char *const old_keys[L1_META_COUNT] = {
        [L1_META_FIM_PRE] = "tokenizer.ggml.prefix_token_id",
        [L1_META_FIM_SUF] = "tokenizer.ggml.suffix_token_id",
        [L1_META_FIM_MID] = "tokenizer.ggml.middle_token_id"};
    for (int i = 0; i < L1_META_COUNT; i++) {
        const char *key = k_meta_keys[i];
        if (l1__gguf_find_key(g, key) < 0) key = old_keys[i];
        if (!key || l1__gguf_find_key(g, key) < 0) continue;
        uint32_t v;
        l1_status st = l1__gguf_get_u32(g, key, &v);
        if (st != L1_OK) return st;
        sp->meta[i] = v;
    }
    if (l1__gguf_find_key(g, "tokenizer.ggml.add_bos_token") >= 0)
        return l1__gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &sp->add_bos);
    return L1_OK;
}

static l1_status get_types(const l1__gguf *g, l1__tok_spec *sp, int32_t **owned) {
    const char *key = "tokenizer.ggml.token_type";
    if (l1__gguf_find_key(g, key) < 0) return L1_OK;
    const void *data;
    uint64_t n;
    l1_status st = l1__gguf_get_arr_data(g, key, L1_GGUF_INT32, &data, &n);
    if (st != L1_OK) return st;
    if (n != sp->n_tokens)
        return l1__error(L1_ERR_FORMAT, "key %s: %llu entries, expected %u (one per token)", key,
                         (unsigned long long)n, sp->n_tokens);
    int32_t *types = l1__malloc((n ? n : 1) * sizeof *types);
    if (!types) return l1__error(L1_ERR_NOMEM, "key %s: out of memory", key);
    memcpy(types, data, n * sizeof *types); /* little-endian file, little-endian host */
    sp->token_types = types;
    *owned = types;
    return L1_OK;
}

l1_status l1__tokenizer_load(const l1__gguf *g, l1__tokenizer **out) {
    static const char *const models[] = {"gpt2", NULL};
    static const char *const pres[] = {"qwen2", "deepseek-r1-qwen", NULL};
    if (!out) return l1__error(L1_ERR_INVALID_ARG, "tokenizer_load: NULL out");
    *out = NULL;
    if (!g) return l1__error(L1_ERR_INVALID_ARG, "tokenizer_load: NULL file");
    l1__tok_spec sp = l1__tok_spec_init();
    const char **toks = NULL, **merges = NULL;
    size_t *tok_lens = NULL, *merge_lens = NULL;
    int32_t *types = NULL;
    l1_status st;
    if ((st = get_str_eq(g, "tokenizer.ggml.model", models)) != L1_OK ||
        (st = get_str_eq(g, "tokenizer.ggml.pre", pres)) != L1_OK)
        return st;
    if ((st = get_strs(g, "tokenizer.ggml.tokens", &sp.n_tokens, &toks, &tok_lens)) == L1_OK &&
        (st = get_strs(g, "tokenizer.ggml.merges", &sp.n_merges, &merges, &merge_lens)) == L1_OK &&
        (st = get_types(g, &sp, &types)) == L1_OK && (st = get_meta_ids(g, &sp)) == L1_OK) {
        sp.tokens = toks;
        sp.token_lens = tok_lens;
        sp.merges = merges;
        sp.merge_lens = merge_lens;
        st = l1__tokenizer_build(&sp, out);
    }
    l1__free((void *)toks);
    l1__free(tok_lens);
    l1__free((void *)merges);
    l1__free(merge_lens);
    l1__free(types);
    return st;
}

/* ---- queries ------------------------------------------------------------------ */

int32_t l1__tokenizer_n_vocab(const l1__tokenizer *t) {
    return t ? (int32_t)t->n_tokens : 0;
}

int32_t l1__tokenizer_role(const l1__tokenizer *t, l1_special role) {
    if (!t || (int)role < 0 || role >= L1__SPECIAL_COUNT) return -1;
    return t->role[role];
}

bool l1__tokenizer_add_bos(const l1__tokenizer *t) {
    return t && t->add_bos && t->role[L1_SPECIAL_BOS] >= 0;
}

int l1__tokenizer_type(const l1__tokenizer *t, int32_t id) {
    if (!t || id < 0 || (uint32_t)id >= t->n_tokens) return 0;
    return t->type[id];
}

bool l1__tokenizer_is_control(const l1__tokenizer *t, int32_t id) {
    if (!t || id < 0 || (uint32_t)id >= t->n_tokens) return false;
    return (t->flags[id] & L1__TF_CONTROL) != 0;
}

bool l1__tokenizer_is_eog(const l1__tokenizer *t, int32_t id) {
    if (!t || id < 0 || (uint32_t)id >= t->n_tokens) return false;
    return (t->flags[id] & L1__TF_EOG) != 0;
}

const char *l1__tokenizer_text(const l1__tokenizer *t, int32_t id, size_t *n) {
    if (!t || id < 0 || (uint32_t)id >= t->n_tokens) return NULL;
    size_t len;
    const uint8_t *s = tok_text(t, (uint32_t)id, &len);
    if (n) *n = len;
    return (const char *)s;
}

/* ---- detokenize ---------------------------------------------------------------- */

const uint8_t *l1__token_piece(const l1__tokenizer *t, int32_t id, size_t *n) {
    if (!t || id < 0 || (uint32_t)id >= t->n_tokens) return NULL;
    if (n) *n = t->piece_off[id + 1] - t->piece_off[id];
    return t->piece + t->piece_off[id];
}

size_t l1__tokenizer_max_piece(const l1__tokenizer *t) {
    return t ? t->max_piece : 0;
}

l1_status l1__detokenize(const l1__tokenizer *t, const int32_t *ids, size_t n, char *out,
                         size_t cap, size_t *n_needed) {
    if (!t || (!ids && n) || (!out && cap) || !n_needed)
        return l1__error(L1_ERR_INVALID_ARG, "detokenize: NULL argument");
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *p = l1__token_piece(t, ids[i], &len);
        if (!p)
            return l1__error(L1_ERR_INVALID_ARG, "detokenize: token %lld at position %zu out of range (%u tokens)",
                             (long long)ids[i], i, t->n_tokens);
        if (w < cap) memcpy(out + w, p, len <= cap - w ? len : cap - w);
        if (!l1__add_size(w, len, &w)) return l1__error(L1_ERR_LIMIT, "detokenize: text too long");
    }
    *n_needed = w;
    return w <= cap ? L1_OK : L1_ERR_BUFFER_TOO_SMALL;
}

void l1__detok_init(l1__detok *d, const l1__tokenizer *t) {
    d->tok = t;
    l1__utf8_stream_init(&d->utf8);
}

size_t l1__detok_max_out(const l1__tokenizer *t) {
    return L1_UTF8_STREAM_MAX_OUT(l1__tokenizer_max_piece(t));
}

l1_status l1__detok_push(l1__detok *d, int32_t id, char *out, size_t *n_out) {
    size_t len;
    const uint8_t *p = l1__token_piece(d->tok, id, &len);
    *n_out = 0;
    if (!p) return l1__error(L1_ERR_INVALID_ARG, "detokenize: token %lld out of range", (long long)id);
    *n_out = l1__utf8_stream_feed(&d->utf8, p, len, (uint8_t *)out);
    return L1_OK;
}

size_t l1__detok_finish(l1__detok *d, char *out) {
    return l1__utf8_stream_flush(&d->utf8, (uint8_t *)out);
}
