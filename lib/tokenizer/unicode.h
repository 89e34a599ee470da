/*
 * unicode.h - the Unicode facts the tokenizer needs: code point classes
 * (generated tables, lib/unicode_tables.c), UTF-8 decoding as the Qwen2
 * pre-tokenizer sees text, UTF-8 encoding, and a streaming UTF-8 repairer
 * for detokenized output.
 */
#ifndef L1_UNICODE_H
#define L1_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Class bits of a code point. */
#define L1_UC_LETTER 1u /* \p{L}: general category L* */
#define L1_UC_NUMBER 2u /* \p{N}: general category N* */
#define L1_UC_SPACE 4u  /* \s: the White_Space property */
#define L1_UC_MARK 8u   /* \p{M}: general category M* */

#define L1_UC_MAX 0x110000u
#define L1_UC_REPLACEMENT 0xFFFDu

extern const uint8_t l1__ucd_stage1[L1_UC_MAX / 128];
extern const uint8_t l1__ucd_stage2[][128];

/* Class bits of `cp`; 0 for code points past U+10FFFF. */
static inline unsigned l1__uc_class(uint32_t cp) {
    if (cp >= L1_UC_MAX) return 0;
    return l1__ucd_stage2[l1__ucd_stage1[cp >> 7]][cp & 127];
}

/* Decodes one code point from s[0..n) (n >= 1) and stores its byte length
 * in *len.  The decoding is the one the reference tokenizer applies before
 * pre-tokenizing, so that both split text identically:
 *  - a lead byte announces 2, 3 or 4 bytes (0xC0..0xDF, 0xE0..0xEF,
 *    0xF0..0xF7); when that many bytes are present and every following one
 *    is a continuation byte (10xxxxxx), their payload bits form the code
 *    point, overlong forms and surrogates included;
 *  - anything else (a continuation or 0xF8..0xFF lead, a truncated or
 *    interrupted sequence) yields U+FFFD and consumes one byte;
 *  - a 4-byte form above U+10FFFF, which the reference cannot re-encode,
 *    also yields U+FFFD and consumes one byte. */
uint32_t l1__utf8_decode(const uint8_t *s, size_t n, size_t *len);

/* Encodes cp (< 0x110000) into out[0..4); returns the byte count. */
size_t l1__utf8_encode(uint32_t cp, uint8_t *out);

/* Length of the valid UTF-8 sequence (RFC 3629: no overlongs, surrogates or
 * values above U+10FFFF) starting at s[0..n): 1..4, 0 when s starts with an
 * invalid sequence, or -k (k = bytes present) when the bytes present are a
 * valid but incomplete prefix. */
int l1__utf8_valid_prefix(const uint8_t *s, size_t n);

/* True when s[0..n) is entirely valid UTF-8. */
bool l1__utf8_is_valid(const uint8_t *s, size_t n);

/* ---- streaming repair ------------------------------------------------------ */

/* Turns a byte stream cut at arbitrary points (token pieces) into text that
 * never ends in the middle of a character: bytes of an incomplete sequence
 * are held until it completes, every invalid sequence (maximal subpart, as
 * the Unicode standard recommends) becomes U+FFFD, and flush() emits U+FFFD
 * for a sequence still incomplete at the end of the stream. */
typedef struct l1__utf8_stream {
    uint8_t pend[4];
    uint8_t n_pend;
} l1__utf8_stream;

/* Output bytes feed() may write for n input bytes (worst case: every byte
 * and the held ones become U+FFFD). */
#define L1_UTF8_STREAM_MAX_OUT(n) (3 * ((size_t)(n) + 4))

void l1__utf8_stream_init(l1__utf8_stream *st);
/* Consumes in[0..n) and writes the completed text to out, which holds at
 * least L1_UTF8_STREAM_MAX_OUT(n) bytes; returns the bytes written. */
size_t l1__utf8_stream_feed(l1__utf8_stream *st, const uint8_t *in, size_t n, uint8_t *out);
/* Ends the stream: writes U+FFFD (3 bytes) if a sequence was pending; returns
 * 0 or 3.  The stream is then empty and may be reused. */
size_t l1__utf8_stream_flush(l1__utf8_stream *st, uint8_t *out);

#endif /* L1_UNICODE_H */
