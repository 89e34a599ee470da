/*
 * tokenizer_impl.h - the layout of l1__tokenizer, shared by tokenizer.c
 * (building, validation, queries, detokenization) and tokenizer_encode.c
 * (special-token partition, pre-tokenizer, BPE).  Nothing outside the
 * tokenizer files includes it.
 */
#ifndef L1_TOKENIZER_IMPL_H
#define L1_TOKENIZER_IMPL_H

#include "tokenizer/tokenizer.h"

/* One merge: the pair of token ids it joins, its rank (position in the
 * merges list) and the id of the joined text (-1 when the joined text is not
 * itself a token, which leaves the merged symbol without an id). */
typedef struct l1__merge {
    uint32_t left;  /* UINT32_MAX marks an empty slot */
    uint32_t right;
    uint32_t rank;
    int32_t result;
} l1__merge;

/* Trie node over the texts of added tokens, for finding them in text.
 * Children of a node form a singly linked list through `sibling`. */
typedef struct l1__trie_node {
    int32_t child;   /* first child, -1 none */
    int32_t sibling; /* next child of the same parent, -1 none */
    int32_t token;   /* added token ending here, -1 none */
    uint8_t byte;    /* the byte leading to this node */
} l1__trie_node;

/* Token flags. */
#define L1__TF_CONTROL 1u /* matched in text only with L1__TOK_SPECIAL */
#define L1__TF_ADDED 2u   /* an added token: cut out of text before pre-tokenizing */
#define L1__TF_EOG 4u     /* ends a generation (see mark_eog in tokenizer.c) */

struct l1__tokenizer {
    uint32_t n_tokens;
    uint8_t *type;       /* (n_tokens) GGUF token type */
    uint8_t *flags;      /* (n_tokens) L1__TF_* */
    uint32_t *text_off;  /* (n_tokens + 1) stored texts: text[text_off[i] .. text_off[i+1]) */
    uint8_t *text;
    uint32_t *piece_off; /* (n_tokens + 1) detokenized bytes, same layout */
    uint8_t *piece;
    size_t max_piece;

    int32_t *text_ix; /* (text_mask + 1) open addressing on text: token id or -1 */
    uint32_t text_mask;

    l1__merge *merge; /* (merge_mask + 1) open addressing on (left, right) */
    uint32_t merge_mask;
    uint32_t n_merges;

    int32_t byte_tok[256];      /* token of the byte-level character of each byte */
    int32_t single_tok[256];    /* token whose text is that one byte, or -1 */
    uint8_t byte_enc[256][2];   /* UTF-8 of the byte-level character of each byte */
    uint8_t byte_enc_len[256];

    int32_t *added;     /* (n_added) added tokens, longest text first (ties: lower id) */
    uint32_t *added_prio; /* (n_tokens) index of a token in `added`, UINT32_MAX otherwise */
    uint32_t n_added;
    l1__trie_node *trie; /* node 0 is the root */
    uint32_t n_trie;
    uint8_t first_byte[256]; /* nonzero: some added text starts with this byte */

    int32_t role[L1__SPECIAL_COUNT];
    bool add_bos;
};

/* 64-bit hash of s[0..n). */
uint64_t l1__tok_hash(const uint8_t *s, size_t n);

/* Merge entry for (left, right), or NULL. */
static inline const l1__merge *l1__tok_merge_find(const l1__tokenizer *t, uint32_t left,
                                                  uint32_t right) {
    const uint64_t key = ((uint64_t)left << 32) | right;
    uint32_t i = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & t->merge_mask;
    for (;;) {
        const l1__merge *m = &t->merge[i];
        if (m->left == UINT32_MAX) return NULL;
        if (m->left == left && m->right == right) return m;
        i = (i + 1) & t->merge_mask;
    }
}

#endif /* L1_TOKENIZER_IMPL_H */
