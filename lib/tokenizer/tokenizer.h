/*
 * tokenizer.h - the Qwen2 / DeepSeek-R1-Distill byte-level BPE tokenizer:
 * vocabulary and merges from GGUF metadata, the Qwen2 pre-tokenizer, BPE
 * with merge ranks, special tokens, and UTF-8-safe detokenization.
 *
 * Token ids are identical to the reference implementation's (llama.cpp's
 * llama_tokenize) on every input, valid UTF-8 or not, with one documented
 * exception: a 4-byte sequence that decodes above U+10FFFF (which makes the
 * reference throw) becomes U+FFFD here.
 *
 * Text goes through these steps:
 *  1. Added tokens are cut out of the text first.  User-defined added tokens
 *     (GGUF token type 4, e.g. "<think>" in DeepSeek-R1-Distill files) are
 *     always recognised, as in the reference and in the model's own
 *     tokenizer; control tokens (type 3, e.g. "<｜end▁of▁sentence｜>") only
 *     with L1_TOKENIZE_SPECIAL.  Longer tokens are matched first.
 *  2. Each remaining fragment is decoded (see l1__utf8_decode) and split by
 *     the Qwen2 pre-tokenizer regex
 *       (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}
 *       | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *  3. Each piece's bytes are mapped to the byte-level alphabet and merged by
 *     BPE (lowest merge rank first, leftmost among equals).
 *
 * An l1__tokenizer is immutable after loading and may be used by any number
 * of threads at once; tokenization keeps its piece cache per call.
 */
#ifndef L1_TOKENIZER_H
#define L1_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "tokenizer/unicode.h"

typedef struct l1__tokenizer l1__tokenizer;
typedef struct l1__gguf l1__gguf;

/* GGUF token types (tokenizer.ggml.token_type). */
enum {
    L1_TOKTYPE_NORMAL = 1,
    L1_TOKTYPE_UNKNOWN = 2,
    L1_TOKTYPE_CONTROL = 3,
    L1_TOKTYPE_USER_DEFINED = 4,
    L1_TOKTYPE_UNUSED = 5,
    L1_TOKTYPE_BYTE = 6
};

/* Token roles are l1.h's l1_special: bos, eos and pad come from metadata,
 * the others from the text of a vocabulary entry. */
#define L1__SPECIAL_COUNT 7

/* Metadata ids that steer which tokens count as control tokens (see
 * tokenizer.c); -1 when the key is absent. */
typedef enum l1__tok_meta_id {
    L1_META_BOS = 0,
    L1_META_EOS,
    L1_META_PAD,
    L1_META_EOT,
    L1_META_EOM,
    L1_META_FIM_PRE,
    L1_META_FIM_SUF,
    L1_META_FIM_MID,
    L1_META_FIM_PAD,
    L1_META_FIM_REP,
    L1_META_FIM_SEP,
    L1_META_COUNT
} l1__tok_meta_id;

/* Everything a tokenizer is built from, as arrays in caller memory that
 * only need to live during l1__tokenizer_build.  Token texts are as stored
 * in GGUF (byte-level alphabet for normal tokens); merges are "left right"
 * strings in rank order. */
typedef struct l1__tok_spec {
    uint32_t n_tokens;
    const char *const *tokens;
    const size_t *token_lens;
    const int32_t *token_types; /* n_tokens entries, or NULL: all normal */
    uint32_t n_merges;
    const char *const *merges;
    const size_t *merge_lens;
    int64_t meta[L1_META_COUNT]; /* -1 = absent; otherwise must be < n_tokens */
    bool add_bos;                /* tokenizer.ggml.add_bos_token */
} l1__tok_spec;

/* A spec with every meta id absent and nothing else set. */
l1__tok_spec l1__tok_spec_init(void);

/* Validates `spec` and builds a tokenizer that owns copies of everything.
 * Errors (L1_ERR_FORMAT) name the bad entry: "tokenizer.ggml.merges[17]:
 * 'Ġ x' names unknown token 'x'", a duplicate or out-of-range id, ... */
l1_status l1__tokenizer_build(const l1__tok_spec *spec, l1__tokenizer **out);

/* Reads tokenizer.ggml.* from an opened GGUF file and builds the tokenizer
 * (which copies what it needs: the file may be closed afterwards).
 * tokenizer.ggml.model must be "gpt2" and tokenizer.ggml.pre "qwen2" or
 * "deepseek-r1-qwen" (L1_ERR_UNSUPPORTED otherwise). */
l1_status l1__tokenizer_load(const l1__gguf *g, l1__tokenizer **out);

void l1__tokenizer_free(l1__tokenizer *tok); /* NULL is fine */

/* ---- queries ----------------------------------------------------------------- */

int32_t l1__tokenizer_n_vocab(const l1__tokenizer *tok);
/* Id of `role`, or -1 when the model has none. */
int32_t l1__tokenizer_role(const l1__tokenizer *tok, l1_special role);
/* Whether the model's metadata asks for BOS at the start of a prompt. */
bool l1__tokenizer_add_bos(const l1__tokenizer *tok);
/* GGUF token type of `id` (L1_TOKTYPE_*), 0 when out of range. */
int l1__tokenizer_type(const l1__tokenizer *tok, int32_t id);
/* Whether `id` is a control token (never produced from text without
 * L1_TOKENIZE_SPECIAL).  False when out of range. */
bool l1__tokenizer_is_control(const l1__tokenizer *tok, int32_t id);
/* Whether `id` ends a generation: EOS, EOT and the other end-of-turn markers
 * of the vocabulary.  False when out of range. */
bool l1__tokenizer_is_eog(const l1__tokenizer *tok, int32_t id);
/* Id of the entry whose stored text is exactly s[0..n), or -1. */
int32_t l1__tokenizer_find(const l1__tokenizer *tok, const char *s, size_t n);
/* Stored text of `id` (byte-level alphabet for normal tokens), or NULL when
 * out of range; *n gets its length. */
const char *l1__tokenizer_text(const l1__tokenizer *tok, int32_t id, size_t *n);

/* ---- tokenize -------------------------------------------------------------- */

/* Flags, the public L1_TOKENIZE_* values. */
#define L1__TOK_SPECIAL 1u /* recognise control tokens in text */
#define L1__TOK_ADD_BOS 2u /* prepend the BOS id when the model has one */

/* Tokenizes text[0..len).  Writes up to `cap` ids to out (NULL when cap is
 * 0) and sets *n_needed to the full count.  Returns L1_OK when everything
 * fit, L1_ERR_BUFFER_TOO_SMALL when *n_needed > cap (out holds the first
 * cap ids), L1_ERR_NOMEM, or L1_ERR_INVALID_ARG. */
l1_status l1__tokenize(const l1__tokenizer *tok, const char *text, size_t len, uint32_t flags,
                       int32_t *out, size_t cap, size_t *n_needed);

/* The pre-tokenizer alone, for tests and tools: splits text[0..len) (one
 * fragment, no added tokens) and writes the end offset of each piece, in
 * bytes of the text as re-encoded after decoding (equal to the input
 * offsets for valid UTF-8), to ends[0..cap).  Returns the piece count
 * (which may exceed cap), or 0 on allocation failure. */
size_t l1__pretokenize(const char *text, size_t len, size_t *ends, size_t cap);

/* ---- detokenize ---------------------------------------------------------- */

/* The bytes of token `id`: normal tokens decoded from the byte-level
 * alphabet (so possibly part of a UTF-8 character), control, user-defined
 * and unknown tokens as their text, unused ones empty.  NULL when id is
 * out of range.  Valid until the tokenizer is freed. */
const uint8_t *l1__token_piece(const l1__tokenizer *tok, int32_t id, size_t *n);
/* The longest piece, in bytes. */
size_t l1__tokenizer_max_piece(const l1__tokenizer *tok);

/* Concatenated pieces of ids[0..n) into out[0..cap); *n_needed gets the
 * full byte count.  L1_ERR_BUFFER_TOO_SMALL when it did not fit,
 * L1_ERR_INVALID_ARG for an out-of-range id (named in the message). */
l1_status l1__detokenize(const l1__tokenizer *tok, const int32_t *ids, size_t n, char *out,
                         size_t cap, size_t *n_needed);

/* A streaming decoder: feed tokens one at a time and receive only complete
 * UTF-8 characters; invalid sequences become U+FFFD, and l1__detok_finish
 * turns a sequence left incomplete into U+FFFD. */
typedef struct l1__detok {
    const l1__tokenizer *tok;
    l1__utf8_stream utf8;
} l1__detok;

void l1__detok_init(l1__detok *d, const l1__tokenizer *tok);
/* Bytes of output room l1__detok_push needs for any token. */
size_t l1__detok_max_out(const l1__tokenizer *tok);
/* Appends the text completed by token `id` to out (which holds at least
 * l1__detok_max_out bytes) and sets *n_out.  L1_ERR_INVALID_ARG for an
 * out-of-range id. */
l1_status l1__detok_push(l1__detok *d, int32_t id, char *out, size_t *n_out);
/* Ends the stream (out holds at least 3 bytes); returns the bytes written. */
size_t l1__detok_finish(l1__detok *d, char *out);

#endif /* L1_TOKENIZER_H */
