/*
 * unicode.c - UTF-8 decoding and encoding for the tokenizer, and the
 * streaming repairer used by detokenization.
 *
 * Two decoders live here on purpose.  l1__utf8_decode reproduces the lenient
 * decoding of the reference tokenizer (payload bits of any well-formed lead
 * and continuation pattern, one U+FFFD per bad byte), because token ids must
 * match it on every input, valid or not.  The streaming repairer instead
 * follows RFC 3629 strictly, because what it emits is shown to people and
 * passed to programs that expect valid UTF-8.
 */
#include "tokenizer/unicode.h"

uint32_t l1__utf8_decode(const uint8_t *s, size_t n, size_t *len) {
    const uint8_t b = s[0];
    size_t need;
    uint32_t cp;
    if (b < 0x80) {
        *len = 1;
        return b;
    }
    if (b < 0xC0) goto bad; /* a continuation byte cannot start a character */
    if (b < 0xE0) {
        need = 2;
        cp = b & 0x1Fu;
    } else if (b < 0xF0) {
        need = 3;
        cp = b & 0x0Fu;
    } else if (b < 0xF8) {
        need = 4;
        cp = b & 0x07u;
    } else {
        goto bad;
    }
    if (n < need) goto bad;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0u) != 0x80u) goto bad;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp >= L1_UC_MAX) goto bad;
    *len = need;
    return cp;
bad:
    *len = 1;
    return L1_UC_REPLACEMENT;
}

size_t l1__utf8_encode(uint32_t cp, uint8_t *out) {
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

int l1__utf8_valid_prefix(const uint8_t *s, size_t n) {
    const uint8_t b = s[0];
    int need;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 3;
        if (b == 0xE0) lo = 0xA0; /* no overlong 3-byte forms */
        if (b == 0xED) hi = 0x9F; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 4;
        if (b == 0xF0) lo = 0x90; /* no overlong 4-byte forms */
        if (b == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    for (int i = 1; i < need; i++) {
        if ((size_t)i >= n) return -i;
        const uint8_t c = s[i];
        const uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (c < l || c > h) return 0;
    }
    return need;
}

bool l1__utf8_is_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        const int k = l1__utf8_valid_prefix(s + i, n - i);
        if (k <= 0) return false;
        i += (size_t)k;
    }
    return true;
}

void l1__utf8_stream_init(l1__utf8_stream *st) {
    st->n_pend = 0;
}

static size_t put_replacement(uint8_t *out) {
    out[0] = 0xEF;
    out[1] = 0xBF;
    out[2] = 0xBD;
    return 3;
}

/* Resolves the held bytes against the next input bytes.  Returns the input
 * bytes consumed; sets *w to the output written. */
static size_t stream_resume(l1__utf8_stream *st, const uint8_t *in, size_t n, uint8_t *out,
                            size_t *w) {
    uint8_t buf[4];
    size_t have = st->n_pend, used = 0;
    for (size_t i = 0; i < have; i++) buf[i] = st->pend[i];
    *w = 0;
    for (;;) {
        const int k = l1__utf8_valid_prefix(buf, have);
        if (k > 0) { /* complete: k == have, since the held bytes were a prefix */
            for (int i = 0; i < k; i++) out[(*w)++] = buf[i];
            st->n_pend = 0;
            return used;
        }
        if (k == 0) { /* the last byte added broke it: emit U+FFFD, re-read that byte */
            *w += put_replacement(out + *w);
            st->n_pend = 0;
            return used - (used > 0);
        }
        if (used == n) { /* still incomplete: hold everything */
            for (size_t i = 0; i < have; i++) st->pend[i] = buf[i];
            st->n_pend = (uint8_t)have;
            return used;
        }
        buf[have++] = in[used++];
    }
}

size_t l1__utf8_stream_feed(l1__utf8_stream *st, const uint8_t *in, size_t n, uint8_t *out) {
    size_t w = 0, i = 0;
    if (st->n_pend) {
        i = stream_resume(st, in, n, out, &w);
        if (st->n_pend) return w;
    }
    while (i < n) {
        if (in[i] < 0x80) {
            out[w++] = in[i++];
            continue;
        }
        const int k = l1__utf8_valid_prefix(in + i, n - i);
        if (k > 0) {
            for (int j = 0; j < k; j++) out[w++] = in[i + (size_t)j];
            i += (size_t)k;
        } else if (k < 0) { /* valid so far, cut by the end of this piece */
            st->n_pend = (uint8_t)(n - i);
            for (size_t j = 0; j < n - i; j++) st->pend[j] = in[i + j];
            return w;
        } else {
            /* Maximal subpart: the lead plus the continuation bytes that were
             * still acceptable before the offending byte. */
            size_t m = 1;
            while (i + m < n && m < 4 && l1__utf8_valid_prefix(in + i, m + 1) < 0) m++;
            w += put_replacement(out + w);
            i += m;
        }
    }
    return w;
}

size_t l1__utf8_stream_flush(l1__utf8_stream *st, uint8_t *out) {
    if (!st->n_pend) return 0;
    st->n_pend = 0;
    return put_replacement(out);
}
