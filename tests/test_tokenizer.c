/*
 * test_tokenizer.c - the tokenizer layer: UTF-8 decoding and the streaming
 * repairer, code point classes, the Qwen2 pre-tokenizer, BPE merge order,
 * added tokens, validation of vocabularies, loading from GGUF, the
 * reference's test vectors for the real Qwen2 vocabulary, round trips,
 * linear time on pathological input, and allocation failures.
 *
 * Expected values are derived by hand in each test from the Unicode data,
 * the Qwen2 pattern or the merge list, or come from the reference's vector
 * files (build/reference/llama.cpp/models/ggml-vocab-qwen2.gguf.inp/.out).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

#include "support/sanitizers.h"

/* ---- a small in-memory vocabulary ----------------------------------------------- */

/* The byte-level character of byte b, as UTF-8 (GPT-2's alphabet: printable
 * Latin-1 stands for itself, the 68 other bytes map to U+0100.. in order). */
static size_t byte_char(unsigned b, char *out) {
    uint32_t cp = b;
    if (!((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE)) {
        cp = 0x100;
        for (unsigned c = 0; c < b; c++)
            if (!((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE)) cp++;
    }
    return l1__utf8_encode(cp, (uint8_t *)out);
}

typedef struct vocab {
    char *tok[400];
    size_t tok_len[400];
    int32_t type[400];
    char *merge[64];
    size_t merge_len[64];
    uint32_t n_tok, n_merge;
} vocab;

static int32_t v_add(vocab *v, const char *s, int32_t type) {
    v->tok[v->n_tok] = strdup(s);
    v->tok_len[v->n_tok] = strlen(s);
    v->type[v->n_tok] = type;
    return (int32_t)v->n_tok++;
}

static void v_merge(vocab *v, const char *m) {
    v->merge[v->n_merge] = strdup(m);
    v->merge_len[v->n_merge] = strlen(m);
    v->n_merge++;
}

/* Ids 0..255: the byte tokens, in byte order. */
static void v_init(vocab *v) {
    memset(v, 0, sizeof *v);
    for (unsigned b = 0; b < 256; b++) {
        char s[4] = {0};
        byte_char(b, s);
        v_add(v, s, L1_TOKTYPE_NORMAL);
    }
}

static void v_pop_merge(vocab *v) {
    free(v->merge[--v->n_merge]);
}

static void v_pop_tok(vocab *v) {
    free(v->tok[--v->n_tok]);
}

static void v_free(vocab *v) {
    for (uint32_t i = 0; i < v->n_tok; i++) free(v->tok[i]);
    for (uint32_t i = 0; i < v->n_merge; i++) free(v->merge[i]);
}

static l1__tok_spec v_spec(const vocab *v) {
    l1__tok_spec sp = l1__tok_spec_init();
    sp.n_tokens = v->n_tok;
    sp.tokens = (const char *const *)v->tok;
    sp.token_lens = v->tok_len;
    sp.token_types = v->type;
    sp.n_merges = v->n_merge;
    sp.merges = (const char *const *)v->merge;
    sp.merge_lens = v->merge_len;
    return sp;
}

static l1__tokenizer *v_build(const vocab *v) {
    l1__tok_spec sp = v_spec(v);
    l1__tokenizer *t = NULL;
    assert_int_equal(l1__tokenizer_build(&sp, &t), L1_OK);
    return t;
}

static size_t tok(const l1__tokenizer *t, const char *s, size_t n, uint32_t flags, int32_t *out,
                  size_t cap) {
    size_t need = 0;
    assert_int_equal(l1__tokenize(t, s, n, flags, out, cap, &need), L1_OK);
    return need;
}

/* ---- UTF-8 and classes -------------------------------------------------------- */

static void utf8_decode_matches_reference_leniency(void **state) {
    (void)state;
    size_t len;
    /* Valid sequences of each length. */
    assert_int_equal(l1__utf8_decode((const uint8_t *)"A", 1, &len), 'A');
    assert_int_equal(len, 1);
    assert_int_equal(l1__utf8_decode((const uint8_t *)"\xC3\xA9", 2, &len), 0xE9);
    assert_int_equal(len, 2);
    assert_int_equal(l1__utf8_decode((const uint8_t *)"\xE4\xB8\x80", 3, &len), 0x4E00);
    assert_int_equal(len, 3);
    assert_int_equal(l1__utf8_decode((const uint8_t *)"\xF0\x9F\x98\x80", 4, &len), 0x1F600);
    assert_int_equal(len, 4);
    /* Overlong forms and surrogates decode to their payload. */
    assert_int_equal(l1__utf8_decode((const uint8_t *)"\xC0\x80", 2, &len), 0);
    assert_int_equal(len, 2);
    assert_int_equal(l1__utf8_decode((const uint8_t *)"\xED\xA0\x80", 3, &len), 0xD800);
    /* Stray continuation, bad lead, truncated, interrupted: U+FFFD, 1 byte. */
    const char *bad[] = {"\x80", "\xBF", "\xF8\x80\x80\x80", "\xFF", "\xE4\xB8", "\xC3" "A"};
    const size_t bad_len[] = {1, 1, 4, 1, 2, 2};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(l1__utf8_decode((const uint8_t *)bad[i], bad_len[i], &len), 0xFFFD);
        assert_int_equal(len, 1);
    }
    /* Above U+10FFFF. */
    assert_int_equal(l1__utf8_decode((const uint8_t *)"\xF4\x90\x80\x80", 4, &len), 0xFFFD);
    assert_int_equal(len, 1);
}

static void unicode_classes_follow_ucd(void **state) {
    (void)state;
    /* General categories from UnicodeData.txt, White_Space from PropList.txt. */
    assert_int_equal(l1__uc_class('a'), L1_UC_LETTER);
    assert_int_equal(l1__uc_class('Z'), L1_UC_LETTER);
    assert_int_equal(l1__uc_class('7'), L1_UC_NUMBER);
    assert_int_equal(l1__uc_class('_'), 0);
    assert_int_equal(l1__uc_class(' '), L1_UC_SPACE);
    assert_int_equal(l1__uc_class('\r'), L1_UC_SPACE);
    assert_int_equal(l1__uc_class(0x0B), L1_UC_SPACE);  /* VT */
    assert_int_equal(l1__uc_class(0x1C), 0);            /* FS: \s in some engines, not White_Space */
    assert_int_equal(l1__uc_class(0x85), L1_UC_SPACE);  /* NEL */
    assert_int_equal(l1__uc_class(0xA0), L1_UC_SPACE);  /* NBSP (Zs) */
    assert_int_equal(l1__uc_class(0x200B), 0);          /* ZWSP is Cf */
    assert_int_equal(l1__uc_class(0x3000), L1_UC_SPACE);
    assert_int_equal(l1__uc_class(0xE9), L1_UC_LETTER); /* é Ll */
    assert_int_equal(l1__uc_class(0x0301), L1_UC_MARK); /* combining acute Mn */
    assert_int_equal(l1__uc_class(0x0660), L1_UC_NUMBER); /* Arabic-Indic zero Nd */
    assert_int_equal(l1__uc_class(0x00BD), L1_UC_NUMBER); /* ½ No */
    assert_int_equal(l1__uc_class(0x2167), L1_UC_NUMBER); /* Roman numeral eight Nl */
    assert_int_equal(l1__uc_class(0x05D0), L1_UC_LETTER); /* Hebrew alef Lo */
    assert_int_equal(l1__uc_class(0x4E00), L1_UC_LETTER); /* CJK, inside a First/Last range */
    assert_int_equal(l1__uc_class(0x9FFF), L1_UC_LETTER);
    assert_int_equal(l1__uc_class(0xAC00), L1_UC_LETTER); /* Hangul syllable range */
    assert_int_equal(l1__uc_class(0x2EBF0), L1_UC_LETTER); /* CJK Ext. I (Unicode 15.1) */
    assert_int_equal(l1__uc_class(0x1F600), 0);          /* emoji So */
    assert_int_equal(l1__uc_class(0x200D), 0);           /* ZWJ Cf */
    assert_int_equal(l1__uc_class(0xD800), 0);           /* surrogate Cs */
    assert_int_equal(l1__uc_class(0x10FFFF), 0);
    assert_int_equal(l1__uc_class(0x110000), 0);
}

static size_t feed_all(l1__utf8_stream *st, const char *s, size_t n, size_t step, char *out) {
    size_t w = 0;
    for (size_t i = 0; i < n; i += step) {
        const size_t k = n - i < step ? n - i : step;
        w += l1__utf8_stream_feed(st, (const uint8_t *)s + i, k, (uint8_t *)out + w);
    }
    return w + l1__utf8_stream_flush(st, (uint8_t *)out + w);
}

static void utf8_stream_never_splits_and_repairs(void **state) {
    (void)state;
    const char *valid = "a\xC3\xA9\xE4\xB8\x80\xF0\x9F\x98\x80z";
    const size_t n = strlen(valid);
    char out[256];
    l1__utf8_stream st;
    for (size_t step = 1; step <= n; step++) {
        l1__utf8_stream_init(&st);
        /* Fed one cut at a time, nothing is emitted before a character completes. */
        size_t w = 0;
        for (size_t i = 0; i < n; i += step) {
            const size_t k = n - i < step ? n - i : step;
            w += l1__utf8_stream_feed(&st, (const uint8_t *)valid + i, k, (uint8_t *)out + w);
            assert_true(l1__utf8_is_valid((const uint8_t *)out, w));
        }
        w += l1__utf8_stream_flush(&st, (uint8_t *)out + w);
        assert_int_equal(w, n);
        assert_memory_equal(out, valid, n);
    }
    /* Invalid input, by the maximal-subpart rule:
     *   "\xE4\xB8" "A"  -> U+FFFD "A"      (truncated 3-byte sequence: one subpart)
     *   "\x80"          -> U+FFFD          (stray continuation)
     *   "\xC0\x80"      -> U+FFFD U+FFFD   (C0 can never start a sequence)
     *   "\xED\xA0\x80"  -> 3 x U+FFFD      (surrogate: ED then A0 is already invalid)
     *   final "\xF0\x9F" -> U+FFFD at flush. */
    const char bad[] = "\xE4\xB8" "A" "\x80" "\xC0\x80" "\xED\xA0\x80" "\xF0\x9F";
    const char want[] = "\xEF\xBF\xBD" "A" "\xEF\xBF\xBD" "\xEF\xBF\xBD\xEF\xBF\xBD"
                        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "\xEF\xBF\xBD";
    for (size_t step = 1; step <= sizeof bad - 1; step++) {
        l1__utf8_stream_init(&st);
        const size_t w = feed_all(&st, bad, sizeof bad - 1, step, out);
        assert_int_equal(w, sizeof want - 1);
        assert_memory_equal(out, want, w);
    }
}

/* ---- pre-tokenizer -------------------------------------------------------------- */

/* Splits `s` and compares with the pieces in `want`, separated by '|'. */
static void check_split(const char *s, const char *want) {
    size_t ends[64];
    const size_t n = l1__pretokenize(s, strlen(s), ends, 64);
    char got[512];
    size_t w = 0, at = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) got[w++] = '|';
        memcpy(got + w, s + at, ends[i] - at);
        w += ends[i] - at;
        at = ends[i];
    }
    got[w] = '\0';
    if (strcmp(got, want) != 0) fail_msg("split of '%s': got '%s', want '%s'", s, got, want);
}

static void pretokenizer_follows_qwen2_pattern(void **state) {
    (void)state;
    /* Each expectation applies the pattern's alternatives in order by hand:
     * (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}
     * | ' '?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+ | \s+(?!\S) | \s+ */
    check_split("Hello world", "Hello| world");
    check_split("I'm", "I|'m");
    check_split("DON'T we'LL they'Re", "DON|'T| we|'LL| they|'Re");
    check_split("'x", "'x");            /* no contraction: ' joins the letters */
    check_split("''s", "''|s");          /* ' then ' is no contraction: a punctuation run */
    check_split("x's", "x|'s");
    check_split("123", "1|2|3");        /* digits one by one */
    check_split("a1b", "a|1|b");
    check_split(" 1", " |1");           /* a space never joins a digit */
    check_split("  x", " | x");         /* \s+(?!\S) leaves the last space to the word */
    check_split("a   ", "a|   ");       /* trailing run: \s+ */
    check_split("a\n\nb", "a|\n\n|b");
    check_split("x  \n y", "x|  \n| y");
    check_split("!!!\n\nabc", "!!!\n\n|abc");
    check_split(" !?", " !?");
    check_split("a \t!", "a| |\t|!");   /* \t is not ' ': it cannot lead the punctuation run */
    check_split("a\r\n", "a|\r\n");
    check_split("\t1", "\t|1");
    check_split(" ", " ");
    check_split("x ", "x| ");
    check_split("\xC3\xA9t\xC3\xA9", "\xC3\xA9t\xC3\xA9");       /* é is a letter */
    check_split("e\xCC\x81", "e|\xCC\x81");                       /* a combining mark is not */
    check_split("\xE4\xBD\xA0\xE5\xA5\xBD, world", "\xE4\xBD\xA0\xE5\xA5\xBD|,| world");
    check_split("\xF0\x9F\x98\x80\xF0\x9F\x98\x80 a", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80| a");
    check_split("\n\n\n", "\n\n\n");
}

/* ---- BPE --------------------------------------------------------------------------- */

static void bpe_merges_lowest_rank_first_leftmost_on_ties(void **state) {
    (void)state;
    vocab v;
    v_init(&v);
    const int32_t ab = v_add(&v, "ab", 1), bc = v_add(&v, "bc", 1), aa = v_add(&v, "aa", 1);
    const int32_t aaaa = v_add(&v, "aaaa", 1);
    v_merge(&v, "b c"); /* rank 0 */
    v_merge(&v, "a b"); /* rank 1 */
    v_merge(&v, "a a"); /* rank 2 */
    v_merge(&v, "aa aa");
    (void)ab;
    l1__tokenizer *t = v_build(&v);
    int32_t out[256];
    /* "abc": b+c (rank 0) wins over a+b (rank 1): [a, bc]. */
    assert_int_equal(tok(t, "abc", 3, 0, out, 256), 2);
    assert_int_equal(out[0], 'a');
    assert_int_equal(out[1], bc);
    /* "aaa": equal ranks, the leftmost pair merges: [aa, a]. */
    assert_int_equal(tok(t, "aaa", 3, 0, out, 256), 2);
    assert_int_equal(out[0], aa);
    assert_int_equal(out[1], 'a');
    /* 200 a's (the heap path): every a+a (rank 2) first, left to right ->
     * 100 "aa", then aa+aa -> 50 "aaaa".  And 201 a's leave one "a" at the end. */
    char buf[256];
    memset(buf, 'a', sizeof buf);
    assert_int_equal(tok(t, buf, 200, 0, out, 256), 50);
    for (int i = 0; i < 50; i++) assert_int_equal(out[i], aaaa);
    assert_int_equal(tok(t, buf, 201, 0, out, 256), 51);
    assert_int_equal(out[50], 'a');
    /* The same word at the array-scan size gives the same shape: 12 a's -> 3 aaaa. */
    assert_int_equal(tok(t, buf, 12, 0, out, 256), 3);
    assert_int_equal(out[2], aaaa);
    l1__tokenizer_free(t);
    v_free(&v);
}

static void bpe_merge_into_unknown_text_falls_back_to_bytes(void **state) {
    (void)state;
    /* "x y" joins into "xy", which is not a token: the reference then emits
     * the tokens of the single bytes of the byte-level spelling: x, y. */
    vocab v;
    v_init(&v);
    v_merge(&v, "x y");
    l1__tokenizer *t = v_build(&v);
    int32_t out[8];
    assert_int_equal(tok(t, "xy", 2, 0, out, 8), 2);
    assert_int_equal(out[0], 'x');
    assert_int_equal(out[1], 'y');
    l1__tokenizer_free(t);
    v_free(&v);
}

static void space_and_control_bytes_use_the_byte_alphabet(void **state) {
    (void)state;
    vocab v;
    v_init(&v);
    /* Byte 0x20 is the 33rd non-printable byte: U+0120 'Ġ'; newline U+010A 'Ċ'. */
    const int32_t ga = v_add(&v, "\xC4\xA0" "a", 1);
    v_merge(&v, "\xC4\xA0 a");
    l1__tokenizer *t = v_build(&v);
    int32_t out[8];
    assert_int_equal(tok(t, " a\n", 3, 0, out, 8), 2);
    assert_int_equal(out[0], ga);
    assert_int_equal(out[1], '\n');
    size_t n;
    const uint8_t *p = l1__token_piece(t, ga, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(p, " a", 2);
    p = l1__token_piece(t, 0xAD, &n); /* soft hyphen byte decodes to itself */
    assert_int_equal(n, 1);
    assert_int_equal(p[0], 0xAD);
    l1__tokenizer_free(t);
    v_free(&v);
}

/* ---- added tokens ---------------------------------------------------------------- */

static void control_tokens_need_special_user_tokens_do_not(void **state) {
    (void)state;
    vocab v;
    v_init(&v);
    const int32_t ctl = v_add(&v, "<|c|>", L1_TOKTYPE_CONTROL);
    const int32_t usr = v_add(&v, "<u>", L1_TOKTYPE_USER_DEFINED);
    l1__tokenizer *t = v_build(&v);
    int32_t out[32];
    /* Without the flag "<|c|>" is text (5 byte tokens), "<u>" is cut out. */
    assert_int_equal(tok(t, "<|c|><u>", 8, 0, out, 32), 6);
    assert_int_equal(out[0], '<');
    assert_int_equal(out[5], usr);
    assert_int_equal(tok(t, "<|c|><u>", 8, L1__TOK_SPECIAL, out, 32), 2);
    assert_int_equal(out[0], ctl);
    assert_int_equal(out[1], usr);
    assert_true(l1__tokenizer_is_control(t, ctl));
    assert_false(l1__tokenizer_is_control(t, usr));
    l1__tokenizer_free(t);
    v_free(&v);
}

static void longer_added_tokens_claim_text_first(void **state) {
    (void)state;
    vocab v;
    v_init(&v);
    const int32_t ab = v_add(&v, "AB", L1_TOKTYPE_USER_DEFINED);
    const int32_t abc = v_add(&v, "ABC", L1_TOKTYPE_USER_DEFINED);
    const int32_t xa = v_add(&v, "XA", L1_TOKTYPE_USER_DEFINED);
    l1__tokenizer *t = v_build(&v);
    int32_t out[16];
    /* "ABCAB": ABC (longer) claims 0..3 first, then AB claims 3..5. */
    assert_int_equal(tok(t, "ABCAB", 5, 0, out, 16), 2);
    assert_int_equal(out[0], abc);
    assert_int_equal(out[1], ab);
    /* "XABC": ABC claims 1..4 before XA (shorter) is tried, which then
     * overlaps and is skipped: [X, ABC]. */
    assert_int_equal(tok(t, "XABC", 4, 0, out, 16), 2);
    assert_int_equal(out[0], 'X');
    assert_int_equal(out[1], abc);
    /* "ABAB": two non-overlapping AB; "AAB": text A then AB. */
    assert_int_equal(tok(t, "ABAB", 4, 0, out, 16), 2);
    assert_int_equal(out[1], ab);
    assert_int_equal(tok(t, "XAB", 3, 0, out, 16), 2); /* XA at 0 is equal length... */
    /* ...XA and AB have the same length; ties go to the lower id (AB): "X", AB. */
    assert_int_equal(out[0], 'X');
    assert_int_equal(out[1], ab);
    (void)xa;
    l1__tokenizer_free(t);
    v_free(&v);
}

static void delimiter_texts_become_control(void **state) {
    (void)state;
    vocab v;
    v_init(&v);
    const int32_t fim = v_add(&v, "<|fim_prefix|>", L1_TOKTYPE_USER_DEFINED);
    const int32_t think = v_add(&v, "<think>", L1_TOKTYPE_USER_DEFINED);
    l1__tokenizer *t = v_build(&v);
    /* A fill-in-the-middle delimiter typed user-defined is still control;
     * "<think>" stays an ordinary added token. */
    assert_true(l1__tokenizer_is_control(t, fim));
    assert_false(l1__tokenizer_is_control(t, think));
    assert_int_equal(l1__tokenizer_role(t, L1_SPECIAL_THINK_OPEN), think);
    assert_int_equal(l1__tokenizer_role(t, L1_SPECIAL_THINK_CLOSE), -1);
    l1__tokenizer_free(t);
    v_free(&v);
}

static void tokenize_reports_needed_size_and_bos(void **state) {
    (void)state;
    vocab v;
    v_init(&v);
    const int32_t bos = v_add(&v, "<s>", L1_TOKTYPE_CONTROL);
    l1__tok_spec sp = v_spec(&v);
    sp.meta[L1_META_BOS] = bos;
    l1__tokenizer *t = NULL;
    assert_int_equal(l1__tokenizer_build(&sp, &t), L1_OK);
    int32_t out[4] = {-7, -7, -7, -7};
    size_t need = 0;
    assert_int_equal(l1__tokenize(t, "abcde", 5, L1__TOK_ADD_BOS, out, 3, &need),
                     L1_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(need, 6);
    assert_int_equal(out[0], bos);
    assert_int_equal(out[2], 'b');
    assert_int_equal(out[3], -7); /* nothing past cap */
    assert_int_equal(l1__tokenize(t, "", 0, 0, NULL, 0, &need), L1_OK);
    assert_int_equal(need, 0);
    assert_int_equal(l1__tokenize(t, NULL, 3, 0, NULL, 0, &need), L1_ERR_INVALID_ARG);
    assert_int_equal(l1__tokenizer_role(t, L1_SPECIAL_BOS), bos);
    assert_int_equal(l1__tokenizer_role(t, L1_SPECIAL_EOS), -1);
    assert_false(l1__tokenizer_add_bos(t)); /* metadata did not ask for it */
    l1__tokenizer_free(t);
    v_free(&v);
}

/* ---- validation ------------------------------------------------------------------------ */

static void expect_build_error(vocab *v, l1__tok_spec *sp, const char *needle) {
    l1__tokenizer *t = (l1__tokenizer *)1;
    assert_int_equal(l1__tokenizer_build(sp, &t), L1_ERR_FORMAT);
    assert_null(t);
    if (!strstr(l1_last_error(), needle)) fail_msg("error '%s' lacks '%s'", l1_last_error(), needle);
    (void)v;
}

static void build_rejects_bad_vocabularies_naming_the_entry(void **state) {
    (void)state;
    vocab v;
    v_init(&v);
    v_add(&v, "ab", 1);
    v_merge(&v, "a b");
    l1__tok_spec sp = v_spec(&v);

    v_merge(&v, "a zz");
    sp = v_spec(&v);
    expect_build_error(&v, &sp, "merges[1]: 'a zz' names unknown token 'zz'");
    v_pop_merge(&v);

    v_merge(&v, "ab");
    sp = v_spec(&v);
    expect_build_error(&v, &sp, "merges[1]: 'ab' is not 'left right'");
    v_pop_merge(&v);

    v_add(&v, "ab", 1);
    sp = v_spec(&v);
    expect_build_error(&v, &sp, "tokens[257]: 'ab' duplicates token 256");
    v_pop_tok(&v);

    sp = v_spec(&v);
    sp.meta[L1_META_EOS] = 257;
    expect_build_error(&v, &sp, "key tokenizer.ggml.eos_token_id: token id 257 out of range");

    v.type[3] = 9;
    sp = v_spec(&v);
    expect_build_error(&v, &sp, "token_type[3]: 9 is not a token type");
    v.type[3] = 1;

    free(v.tok[' ']);
    v.tok[' '] = strdup("spc");
    v.tok_len[' '] = 3;
    sp = v_spec(&v);
    expect_build_error(&v, &sp, "no token for byte 0x20");

    sp = v_spec(&v);
    sp.n_tokens = 0;
    expect_build_error(&v, &sp, "empty vocabulary");
    v_free(&v);
}

static void failed_allocations_report_nomem_without_leaks(void **state) {
    (void)state;
    vocab v;
    v_init(&v);
    v_add(&v, "ab", 1);
    v_add(&v, "<u>", L1_TOKTYPE_USER_DEFINED);
    v_merge(&v, "a b");
    l1__tok_spec sp = v_spec(&v);
    char text[600];
    for (size_t i = 0; i < sizeof text; i++) text[i] = "ab <u>xy\n"[i % 9];
    const int64_t live0 = l1__alloc_live();
    bool build_ok = false, tok_ok = false;
    for (int64_t k = 0; k < 200 && !(build_ok && tok_ok); k++) {
        l1__tokenizer *t = NULL;
        l1__alloc_fail_after(k);
        l1_status st = l1__tokenizer_build(&sp, &t);
        l1__alloc_fail_reset();
        if (st != L1_OK) {
            assert_int_equal(st, L1_ERR_NOMEM);
            assert_int_equal(l1__alloc_live(), live0);
            continue;
        }
        build_ok = true;
        int32_t out[700];
        size_t need = 0;
        l1__alloc_fail_after(k);
        st = l1__tokenize(t, text, sizeof text, 0, out, 700, &need);
        l1__alloc_fail_reset();
        if (st == L1_OK) tok_ok = true;
        else assert_int_equal(st, L1_ERR_NOMEM);
        l1__tokenizer_free(t);
        assert_int_equal(l1__alloc_live(), live0);
    }
    assert_true(build_ok && tok_ok);
    v_free(&v);
}

/* ---- GGUF ------------------------------------------------------------------------------ */

static l1_status write_vocab_gguf(const vocab *v, const char *model, const char *pre, uint8_t **data,
                                  size_t *size) {
    l1__gguf_writer *w = NULL;
    l1_status st = l1__gguf_writer_new(&w);
    if (st != L1_OK) return st;
    uint64_t lens[400], mlens[64];
    for (uint32_t i = 0; i < v->n_tok; i++) lens[i] = v->tok_len[i];
    for (uint32_t i = 0; i < v->n_merge; i++) mlens[i] = v->merge_len[i];
    if (model) l1__gguf_writer_set_str(w, "tokenizer.ggml.model", model, strlen(model));
    if (pre) l1__gguf_writer_set_str(w, "tokenizer.ggml.pre", pre, strlen(pre));
    l1__gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)v->tok, lens, v->n_tok);
    l1__gguf_writer_set_arr(w, "tokenizer.ggml.token_type", L1_GGUF_INT32, v->type, v->n_tok);
    l1__gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", (const char *const *)v->merge, mlens,
                                v->n_merge);
    l1__gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 256);
    l1__gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", true);
    st = l1__gguf_writer_write_memory(w, data, size);
    l1__gguf_writer_free(w);
    return st;
}

static void load_reads_gguf_metadata(void **state) {
    (void)state;
    vocab v;
    v_init(&v);
    const int32_t ab = v_add(&v, "ab", 1);
    v_merge(&v, "a b");
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal(write_vocab_gguf(&v, "gpt2", "deepseek-r1-qwen", &data, &size), L1_OK);
    l1__gguf *g = NULL;
    assert_int_equal(l1__gguf_open_memory(data, size, NULL, &g), L1_OK);
    l1__tokenizer *t = NULL;
    assert_int_equal(l1__tokenizer_load(g, &t), L1_OK);
    l1__gguf_close(g); /* the tokenizer keeps copies */
    l1__free(data);
    int32_t out[4];
    assert_int_equal(tok(t, "ab", 2, 0, out, 4), 1);
    assert_int_equal(out[0], ab);
    assert_int_equal(l1__tokenizer_role(t, L1_SPECIAL_EOS), 256);
    assert_int_equal(l1__tokenizer_n_vocab(t), 257);
    l1__tokenizer_free(t);

    /* Another model or pre-tokenizer is refused, naming the key. */
    assert_int_equal(write_vocab_gguf(&v, "llama", "qwen2", &data, &size), L1_OK);
    assert_int_equal(l1__gguf_open_memory(data, size, NULL, &g), L1_OK);
    assert_int_equal(l1__tokenizer_load(g, &t), L1_ERR_UNSUPPORTED);
    assert_non_null(strstr(l1_last_error(), "tokenizer.ggml.model"));
    l1__gguf_close(g);
    l1__free(data);
    assert_int_equal(write_vocab_gguf(&v, "gpt2", NULL, &data, &size), L1_OK);
    assert_int_equal(l1__gguf_open_memory(data, size, NULL, &g), L1_OK);
    assert_int_equal(l1__tokenizer_load(g, &t), L1_ERR_FORMAT);
    assert_non_null(strstr(l1_last_error(), "tokenizer.ggml.pre"));
    l1__gguf_close(g);
    l1__free(data);
    v_free(&v);
}

/* ---- the real Qwen2 vocabulary ------------------------------------------------------- */

static char *ref_path(const char *rel, char *buf, size_t cap) {
    const char *dir = getenv("L1_REF_DIR");
    snprintf(buf, cap, "%s/%s", dir && *dir ? dir : "build/reference", rel);
    return buf;
}

static char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)sz + 1);
    *n = fread(s, 1, (size_t)sz, f);
    s[*n] = '\0';
    fclose(f);
    return s;
}

static l1__tokenizer *g_qwen; /* loaded once by the group setup, NULL when absent */

static int setup_qwen(void **state) {
    (void)state;
    char p[1024];
    l1__gguf *g = NULL;
    if (l1__gguf_open(ref_path("llama.cpp/models/ggml-vocab-qwen2.gguf", p, sizeof p), NULL, &g) != L1_OK)
        return 0;
    if (l1__tokenizer_load(g, &g_qwen) != L1_OK) fprintf(stderr, "qwen2 vocab: %s\n", l1_last_error());
    l1__gguf_close(g);
    return 0;
}

static int teardown_qwen(void **state) {
    (void)state;
    l1__tokenizer_free(g_qwen);
    g_qwen = NULL;
    return 0;
}

static void qwen2_vocab_loads_with_metadata_roles(void **state) {
    (void)state;
    if (!g_qwen) skip();
    assert_int_equal(l1__tokenizer_n_vocab(g_qwen), 151936);
    /* Ids stated by the file's metadata (tokenizer.ggml.*_token_id). */
    assert_int_equal(l1__tokenizer_role(g_qwen, L1_SPECIAL_EOS), 151643);
    assert_int_equal(l1__tokenizer_role(g_qwen, L1_SPECIAL_PAD), 151643);
    assert_int_equal(l1__tokenizer_role(g_qwen, L1_SPECIAL_THINK_OPEN), -1); /* not in plain Qwen2 */
    assert_int_equal(l1__tokenizer_find(g_qwen, "<|im_end|>", 10), 151645);
    assert_true(l1__tokenizer_is_control(g_qwen, 151645));
}

/* Every case of the reference's vector files: inputs separated by
 * "\n__ggml_vocab_test__\n", one line of ids per input. */
static void qwen2_vocab_matches_reference_vectors(void **state) {
    (void)state;
    if (!g_qwen) skip();
    char p[1024];
    size_t ni, no;
    char *inp = read_file(ref_path("llama.cpp/models/ggml-vocab-qwen2.gguf.inp", p, sizeof p), &ni);
    char *outs = read_file(ref_path("llama.cpp/models/ggml-vocab-qwen2.gguf.out", p, sizeof p), &no);
    assert_non_null(inp);
    assert_non_null(outs);
    const char *sep = "\n__ggml_vocab_test__\n";
    const size_t sep_n = strlen(sep);
    char *ip = inp, *op = outs;
    int cases = 0;
    int32_t *ids = malloc(1 << 20);
    while (ip < inp + ni) {
        char *next = strstr(ip, sep);
        const size_t len = next ? (size_t)(next - ip) : (size_t)(inp + ni - ip);
        char *eol = strchr(op, '\n');
        assert_non_null(eol);
        *eol = '\0';
        size_t need = 0;
        assert_int_equal(l1__tokenize(g_qwen, ip, len, 0, ids, (1 << 20) / 4, &need), L1_OK);
        char *q = op;
        for (size_t i = 0; i < need; i++) {
            char *end;
            const long want = strtol(q, &end, 10);
            if (end == q || want != ids[i]) fail_msg("case %d ('%.*s'): id %zu is %d, want %.*s", cases, (int)len, ip, i, ids[i], (int)strlen(op), op);
            q = end;
        }
        while (*q == ' ') q++;
        if (*q) fail_msg("case %d ('%.*s'): %zu ids, reference has more: %s", cases, (int)len, ip, need, op);
        op = eol + 1;
        cases++;
        if (!next) break;
        ip = next + sep_n;
    }
    assert_true(op == outs + no); /* every reference line was used */
    assert_true(cases >= 40);
    free(ids);
    free(inp);
    free(outs);
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static void qwen2_round_trip_restores_valid_text(void **state) {
    (void)state;
    if (!g_qwen) skip();
    static const char *parts[] = {"Hello", " world", "  ", "\n", "\r\n", "\t", "I'm", "DON'T", "123",
                                  "\xE4\xBD\xA0\xE5\xA5\xBD", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",
                                  "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", "e\xCC\x81", "<|im_end|>",
                                  "{x: [1, 2]};", "\xC2\xA0", "\xE2\x80\x8D", "\xF0\x9F\x98\x80"};
    const int iters = L1_TEST_SANITIZED ? 200 : 2000;
    char text[512], back[1024];
    int32_t ids[512];
    for (int it = 0; it < iters; it++) {
        size_t n = 0;
        const int k = 1 + (int)(rnd() % 12);
        for (int j = 0; j < k; j++) {
            const char *s = parts[rnd() % (sizeof parts / sizeof parts[0])];
            memcpy(text + n, s, strlen(s));
            n += strlen(s);
        }
        const uint32_t flags = rnd() % 2 ? L1__TOK_SPECIAL : 0;
        const size_t nt = tok(g_qwen, text, n, flags, ids, 512);
        size_t nb = 0;
        assert_int_equal(l1__detokenize(g_qwen, ids, nt, back, sizeof back, &nb), L1_OK);
        assert_int_equal(nb, n);
        assert_memory_equal(back, text, n);
        /* The streaming decoder yields the same text, token by token. */
        l1__detok d;
        l1__detok_init(&d, g_qwen);
        char *buf = malloc(l1__detok_max_out(g_qwen));
        size_t w = 0;
        for (size_t i = 0; i < nt; i++) {
            size_t k2;
            assert_int_equal(l1__detok_push(&d, ids[i], buf, &k2), L1_OK);
            assert_true(l1__utf8_is_valid((const uint8_t *)buf, k2));
            memcpy(back + w, buf, k2);
            w += k2;
        }
        w += l1__detok_finish(&d, back + w);
        free(buf);
        assert_int_equal(w, n);
        assert_memory_equal(back, text, n);
    }
}

/* CPU time of this process: other work on the machine does not count. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best of 5 runs of tokenizing `reps` copies of unit. */
static double time_repeated(const l1__tokenizer *t, const char *unit, size_t reps) {
    const size_t ul = strlen(unit), n = ul * reps;
    char *s = malloc(n);
    for (size_t i = 0; i < reps; i++) memcpy(s + i * ul, unit, ul);
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        size_t need = 0;
        const double t0 = now_s();
        l1_status st = l1__tokenize(t, s, n, 0, NULL, 0, &need);
        const double dt = now_s() - t0;
        assert_true(st == L1_OK || st == L1_ERR_BUFFER_TOO_SMALL);
        if (dt < best) best = dt;
    }
    free(s);
    return best;
}

static void pathological_input_takes_linear_time(void **state) {
    (void)state;
    if (!g_qwen) skip();
    /* One letter, spaces, newlines, one CJK character: each is a single
     * piece of the whole input.  Ten times the input must cost about ten
     * times the time (ratio under 20 leaves room for noise and the log
     * factor of the heap); a quadratic step would give ~100. */
    const char *units[] = {"a", " ", "\n", "\xE4\xB8\x80"};
    const size_t small = L1_TEST_SANITIZED ? 20000 : 100000;
    for (size_t u = 0; u < 4; u++) {
        const size_t reps = small / strlen(units[u]);
        const double t1 = time_repeated(g_qwen, units[u], reps);
        const double t10 = time_repeated(g_qwen, units[u], reps * 10);
        const double ratio = t10 / (t1 > 1e-6 ? t1 : 1e-6);
        if (ratio > 20) fail_msg("unit %zu: %.4fs for %zu bytes, %.4fs for 10x (ratio %.1f)", u, t1, small, t10, ratio);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_decode_matches_reference_leniency),
        cmocka_unit_test(unicode_classes_follow_ucd),
        cmocka_unit_test(utf8_stream_never_splits_and_repairs),
        cmocka_unit_test(pretokenizer_follows_qwen2_pattern),
        cmocka_unit_test(bpe_merges_lowest_rank_first_leftmost_on_ties),
        cmocka_unit_test(bpe_merge_into_unknown_text_falls_back_to_bytes),
        cmocka_unit_test(space_and_control_bytes_use_the_byte_alphabet),
        cmocka_unit_test(control_tokens_need_special_user_tokens_do_not),
        cmocka_unit_test(longer_added_tokens_claim_text_first),
        cmocka_unit_test(delimiter_texts_become_control),
        cmocka_unit_test(tokenize_reports_needed_size_and_bos),
        cmocka_unit_test(build_rejects_bad_vocabularies_naming_the_entry),
        cmocka_unit_test(failed_allocations_report_nomem_without_leaks),
        cmocka_unit_test(load_reads_gguf_metadata),
        cmocka_unit_test(qwen2_vocab_loads_with_metadata_roles),
        cmocka_unit_test(qwen2_vocab_matches_reference_vectors),
        cmocka_unit_test(qwen2_round_trip_restores_valid_text),
        cmocka_unit_test(pathological_input_takes_linear_time),
    };
    return cmocka_run_group_tests_name("tokenizer", tests, setup_qwen, teardown_qwen);
}
