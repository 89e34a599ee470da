/*
 * parity_tokenizer.c - l1's tokenizer against the reference's llama_tokenize
 * on the real Qwen2 vocabulary (models/ggml-vocab-qwen2.gguf, loaded by the
 * reference with vocab_only).
 *
 * - Every code point U+0000..U+10FFFF, each placed in contexts where its
 *   class (letter, number, whitespace, other) decides the split: identical
 *   ids.  This checks l1's Unicode tables against the reference's.
 * - 100,000 strings generated from a fixed seed, mixing ASCII prose, code,
 *   digits, whitespace runs (spaces, tabs, \r\n, lone \r, Unicode spaces),
 *   contractions in every letter case, CJK, emoji with ZWJ and skin tones,
 *   combining marks, Hebrew and Arabic, invalid UTF-8 and added-token
 *   strings: identical ids with and without special-token parsing.  Flag
 *   mapping: L1_TOKENIZE_SPECIAL = parse_special; the reference's
 *   add_special adds BOS exactly when the file asks for it
 *   (l1__tokenizer_add_bos), which l1 callers express with ADD_BOS.
 * - The piece of every token id: identical to llama_token_to_piece with
 *   special = true.
 * One exclusion: 4-byte sequences that decode above U+10FFFF make the
 * reference throw out of llama_tokenize; the generator rewrites them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct gguf_context; /* named by llama.h before any declaration */
#include "llama.h"
#include "ref.h"

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

#define N_STRINGS 100000

static const struct llama_vocab *g_rv;
static struct llama_model *g_rm;
static l1__tokenizer *g_tok;

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)level;
    (void)text;
    (void)user;
}

static int setup(void **state) {
    (void)state;
    const char *dir = getenv("L1_REF_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/llama.cpp/models/ggml-vocab-qwen2.gguf", dir ? dir : "build/reference");
    llama_log_set(quiet, NULL);
    l1ref_load_backends();
    struct llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    g_rm = llama_model_load_from_file(path, mp);
    if (!g_rm) {
        fprintf(stderr, "reference could not load %s\n", path);
        return -1;
    }
    g_rv = llama_model_get_vocab(g_rm);
    l1__gguf *g = NULL;
    if (l1__gguf_open(path, NULL, &g) != L1_OK || l1__tokenizer_load(g, &g_tok) != L1_OK) {
        fprintf(stderr, "l1 could not load %s: %s\n", path, l1_last_error());
        l1__gguf_close(g);
        return -1;
    }
    l1__gguf_close(g);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    l1__tokenizer_free(g_tok);
    llama_model_free(g_rm);
    return 0;
}

/* ---- comparison ---------------------------------------------------------------- */

typedef struct ids {
    int32_t *v;
    size_t n, cap;
} ids;

static void ref_tokenize(const char *s, size_t n, bool add_special, bool special, ids *out) {
    int32_t k = llama_tokenize(g_rv, s, (int32_t)n, out->v, (int32_t)out->cap, add_special, special);
    if (k < 0) {
        out->cap = (size_t)-k;
        out->v = realloc(out->v, out->cap * sizeof *out->v);
        k = llama_tokenize(g_rv, s, (int32_t)n, out->v, (int32_t)out->cap, add_special, special);
    }
    assert_true(k >= 0);
    out->n = (size_t)k;
}

static void l1_tokenize_ids(const char *s, size_t n, uint32_t flags, ids *out) {
    size_t need = 0;
    l1_status st = l1__tokenize(g_tok, s, n, flags, out->v, out->cap, &need);
    if (st == L1_ERR_BUFFER_TOO_SMALL) {
        out->cap = need;
        out->v = realloc(out->v, out->cap * sizeof *out->v);
        st = l1__tokenize(g_tok, s, n, flags, out->v, out->cap, &need);
    }
    assert_int_equal(st, L1_OK);
    out->n = need;
}

static int g_shown;

static void show(const char *what, const char *s, size_t n, const ids *a, const ids *b) {
    if (g_shown++ >= 5) return;
    fprintf(stderr, "MISMATCH (%s) on %zu bytes:", what, n);
    for (size_t i = 0; i < n && i < 160; i++) fprintf(stderr, " %02x", (unsigned char)s[i]);
    fprintf(stderr, "\n  ref:");
    for (size_t i = 0; i < a->n && i < 40; i++) fprintf(stderr, " %d", a->v[i]);
    fprintf(stderr, "\n  l1: ");
    for (size_t i = 0; i < b->n && i < 40; i++) fprintf(stderr, " %d", b->v[i]);
    fprintf(stderr, "\n");
}

/* 1 when l1 and the reference agree on s with and without special parsing. */
static int compare(const char *s, size_t n, ids *a, ids *b, bool also_add_special) {
    int bad = 0;
    for (int special = 0; special < 2; special++) {
        ref_tokenize(s, n, false, special, a);
        l1_tokenize_ids(s, n, special ? L1__TOK_SPECIAL : 0, b);
        if (a->n != b->n || memcmp(a->v, b->v, a->n * sizeof *a->v) != 0) {
            show(special ? "special" : "plain", s, n, a, b);
            bad = 1;
        }
    }
    if (also_add_special) {
        ref_tokenize(s, n, true, true, a);
        l1_tokenize_ids(s, n, L1__TOK_SPECIAL | (l1__tokenizer_add_bos(g_tok) ? L1__TOK_ADD_BOS : 0), b);
        if (a->n != b->n || memcmp(a->v, b->v, a->n * sizeof *a->v) != 0) {
            show("add_special", s, n, a, b);
            bad = 1;
        }
    }
    return bad;
}

/* ---- every code point ------------------------------------------------------------------ */

static size_t put_cp(char *out, uint32_t cp) {
    return l1__utf8_encode(cp, (uint8_t *)out);
}

static void every_code_point_splits_like_the_reference(void **state) {
    (void)state;
    ids a = {malloc(4096 * 4), 0, 4096}, b = {malloc(4096 * 4), 0, 4096};
    /* Per code point c: "x" c "a" c "1" " " c c "!" c "\n" c " " "'" c. */
    static char buf[1 << 16];
    int bad = 0, chunks = 0;
    const uint32_t step = 256;
    for (uint32_t base = 0; base < L1_UC_MAX; base += step) {
        size_t n = 0;
        for (uint32_t c = base; c < base + step; c++) {
            n += put_cp(buf + n, 'x');
            n += put_cp(buf + n, c);
            buf[n++] = 'a';
            n += put_cp(buf + n, c);
            buf[n++] = '1';
            buf[n++] = ' ';
            n += put_cp(buf + n, c);
            n += put_cp(buf + n, c);
            buf[n++] = '!';
            n += put_cp(buf + n, c);
            buf[n++] = '\n';
            n += put_cp(buf + n, c);
            buf[n++] = ' ';
            buf[n++] = '\'';
            n += put_cp(buf + n, c);
        }
        ref_tokenize(buf, n, false, false, &a);
        l1_tokenize_ids(buf, n, 0, &b);
        if (a.n != b.n || memcmp(a.v, b.v, a.n * sizeof *a.v) != 0) {
            if (bad < 5) fprintf(stderr, "code points U+%04X..U+%04X differ\n", base, base + step - 1);
            bad++;
        }
        chunks++;
    }
    fprintf(stderr, "[ parity   ] code points: %d blocks of %u, %d differ\n", chunks, step, bad);
    free(a.v);
    free(b.v);
    assert_int_equal(bad, 0);
}

/* ---- generated strings --------------------------------------------------------------- */

static uint64_t g_rng;
static uint32_t rnd(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}
static uint32_t pick(uint32_t n) {
    return rnd() % n;
}

static const char *const k_words[] = {
    "the", "The", "THE", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "Hello", "world",
    "tokenizer", "reasoning", "budget", "think", "answer", "x", "a", "I", "naïve", "café", "Straße",
    "über", "résumé", "Ωmega", "Привет", "мир"};
static const char *const k_code[] = {
    "for (int i = 0; i < n; i++) {\n\tx[i] = y[i] * 2;\n}\n", "def f(x):\n    return x**2  # square\n",
    "if (a && !b) { return -1; }", "#include <stdio.h>\n", "printf(\"%d\\n\", v);", "x->y = z[3];",
    "    ", "\t\t", "{{ '<|im_start|>' + role }}", "a<=b>=c!=d==e", "/* comment */", "`code`",
    "$HOME/.config", "C:\\path\\file.txt", "http://example.com/a?b=c&d=e#f", "@user #tag", "...", "---",
    "'''", "\"\"\"", "([{<>}])"};
static const char *const k_contr_tail[] = {"s", "t", "re", "ve", "m", "ll", "d"};
static const char *const k_special[] = {
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "[PAD151646]", "[PAD151700]", "[PAD151935]",
    "<think>", "</think>", "<｜User｜>", "<｜Assistant｜>", "<｜end▁of▁sentence｜>",
    "<｜begin▁of▁sentence｜>", "<|im_", "<|endoftext", "[PAD1516", "|>", "<|", "<<|im_end|>>",
    "<|im_start|><|im_end|>", "[PAD151646][PAD151647]"};
static const uint32_t k_spaces[] = {' ', ' ', ' ', '\t', '\n', '\r', 0x0B, 0x0C, 0xA0, 0x3000, 0x2028,
                                    0x85, 0x2003, 0x1680, 0x200B};

static size_t gen_ws(char *o) {
    size_t n = 0;
    const uint32_t k = 1 + pick(6);
    for (uint32_t i = 0; i < k; i++) {
        const uint32_t r = pick(10);
        if (r == 0) {
            o[n++] = '\r';
            o[n++] = '\n';
        } else {
            n += put_cp(o + n, k_spaces[pick(sizeof k_spaces / sizeof k_spaces[0])]);
        }
    }
    return n;
}

static size_t gen_contraction(char *o) {
    size_t n = 0;
    const char *w = k_words[pick(sizeof k_words / sizeof k_words[0])];
    memcpy(o, w, strlen(w));
    n += strlen(w);
    o[n++] = pick(8) ? '\'' : '`';
    const char *t = k_contr_tail[pick(7)];
    for (size_t i = 0; t[i]; i++) o[n++] = pick(2) ? (char)(t[i] - 32) : t[i]; /* every case mix */
    if (pick(2)) o[n++] = (char)("ax 1!"[pick(5)]);
    return n;
}

static size_t gen_digits(char *o) {
    size_t n = 0;
    const uint32_t k = 1 + pick(12);
    for (uint32_t i = 0; i < k; i++) {
        if (pick(6) == 0)
            o[n++] = ".,_-"[pick(4)];
        else if (pick(10) == 0)
            n += put_cp(o + n, 0x0660 + pick(10)); /* Arabic-Indic digits */
        else if (pick(20) == 0)
            n += put_cp(o + n, 0xBD); /* ½ */
        else
            o[n++] = (char)('0' + pick(10));
    }
    return n;
}

static size_t gen_cjk(char *o) {
    size_t n = 0;
    const uint32_t k = 1 + pick(8);
    for (uint32_t i = 0; i < k; i++) {
        switch (pick(6)) {
        case 0: n += put_cp(o + n, 0x4E00 + pick(0x5200)); break;
        case 1: n += put_cp(o + n, 0x3041 + pick(0x56)); break;   /* Hiragana */
        case 2: n += put_cp(o + n, 0xAC00 + pick(11172)); break;  /* Hangul */
        case 3: n += put_cp(o + n, 0x20000 + pick(0xA6E0)); break; /* Ext. B */
        case 4: n += put_cp(o + n, 0x3001 + pick(3)); break;      /* 、。〃 */
        default: n += put_cp(o + n, 0xFF01 + pick(0x5E)); break; /* fullwidth */
        }
    }
    return n;
}

static size_t gen_emoji(char *o) {
    size_t n = 0;
    const uint32_t k = 1 + pick(4);
    for (uint32_t i = 0; i < k; i++) {
        n += put_cp(o + n, 0x1F600 + pick(0x50));
        if (pick(3) == 0) n += put_cp(o + n, 0x1F3FB + pick(5)); /* skin tone */
        if (pick(3) == 0) n += put_cp(o + n, 0x200D);            /* ZWJ */
        if (pick(4) == 0) n += put_cp(o + n, 0xFE0F);
        if (pick(6) == 0) {
            n += put_cp(o + n, 0x1F1E6 + pick(26)); /* a flag */
            n += put_cp(o + n, 0x1F1E6 + pick(26));
        }
    }
    return n;
}

static size_t gen_marks(char *o) {
    size_t n = 0;
    const uint32_t k = 1 + pick(5);
    for (uint32_t i = 0; i < k; i++) {
        o[n++] = (char)("aeiouAEIO "[pick(10)]);
        const uint32_t m = pick(4);
        for (uint32_t j = 0; j < m; j++) n += put_cp(o + n, 0x300 + pick(0x70));
    }
    return n;
}

static size_t gen_rtl(char *o) {
    size_t n = 0;
    const uint32_t k = 1 + pick(8);
    for (uint32_t i = 0; i < k; i++) {
        switch (pick(6)) {
        case 0: n += put_cp(o + n, 0x05D0 + pick(27)); break;
        case 1: n += put_cp(o + n, 0x0627 + pick(0x24)); break;
        case 2: n += put_cp(o + n, 0x064B + pick(8)); break; /* harakat (marks) */
        case 3: n += put_cp(o + n, 0x200E + pick(2)); break; /* LRM / RLM */
        case 4: o[n++] = ' '; break;
        default: n += put_cp(o + n, 0x0660 + pick(10)); break;
        }
    }
    return n;
}

static size_t gen_invalid(char *o) {
    static const char *const seqs[] = {"\xC0\x80", "\xED\xA0\x80", "\xE4\xB8", "\xF0\x9F\x98",
                                       "\xC3", "\x80\x80", "\xFF", "\xFE", "\xF8\x88\x80\x80\x80",
                                       "\xE0\x80\xAF", "\xC1\xBF"};
    size_t n = 0;
    const uint32_t k = 1 + pick(4);
    for (uint32_t i = 0; i < k; i++) {
        if (pick(2)) {
            o[n++] = (char)(0x80 + pick(0x80));
        } else {
            const char *s = seqs[pick(sizeof seqs / sizeof seqs[0])];
            memcpy(o + n, s, strlen(s));
            n += strlen(s);
        }
    }
    return n;
}

static size_t gen_any_cp(char *o) {
    uint32_t c;
    do c = pick(0x110000);
    while (c >= 0xD800 && c < 0xE000);
    return put_cp(o, c);
}

static size_t gen_string(char *o) {
    size_t n = 0;
    const uint32_t k = 1 + pick(12);
    for (uint32_t i = 0; i < k; i++) {
        const char *s;
        switch (pick(14)) {
        case 0: case 1:
            if (pick(2)) o[n++] = ' ';
            s = k_words[pick(sizeof k_words / sizeof k_words[0])];
            memcpy(o + n, s, strlen(s));
            n += strlen(s);
            if (pick(4) == 0) o[n++] = (char)(".,;:!?"[pick(6)]);
            break;
        case 2:
            s = k_code[pick(sizeof k_code / sizeof k_code[0])];
            memcpy(o + n, s, strlen(s));
            n += strlen(s);
            break;
        case 3: n += gen_digits(o + n); break;
        case 4: case 5: n += gen_ws(o + n); break;
        case 6: n += gen_contraction(o + n); break;
        case 7: n += gen_cjk(o + n); break;
        case 8: n += gen_emoji(o + n); break;
        case 9: n += gen_marks(o + n); break;
        case 10: n += gen_rtl(o + n); break;
        case 11: n += gen_invalid(o + n); break;
        case 12:
            s = k_special[pick(sizeof k_special / sizeof k_special[0])];
            memcpy(o + n, s, strlen(s));
            n += strlen(s);
            break;
        default: n += gen_any_cp(o + n); break;
        }
    }
    return n;
}

/* Rewrites 4-byte forms above U+10FFFF (see the file comment). */
static void drop_beyond_unicode(char *s, size_t n) {
    for (size_t i = 0; i + 3 < n; i++) {
        const unsigned char b = (unsigned char)s[i];
        if (b < 0xF4 || b > 0xF7) continue;
        bool cont = true;
        for (int j = 1; j < 4; j++) cont = cont && (((unsigned char)s[i + j]) & 0xC0) == 0x80;
        const uint32_t cp = ((b & 7u) << 18) | ((s[i + 1] & 0x3Fu) << 12);
        if (cont && cp > 0x10FFFF) s[i] = 'x';
    }
}

static void generated_strings_match_reference(void **state) {
    (void)state;
    ids a = {malloc(1024 * 4), 0, 1024}, b = {malloc(1024 * 4), 0, 1024};
    static char buf[8192];
    g_rng = 20250101; /* fixed seed: failures reproduce */
    int bad = 0;
    size_t bytes = 0;
    for (int i = 0; i < N_STRINGS; i++) {
        const size_t n = gen_string(buf);
        drop_beyond_unicode(buf, n);
        bytes += n;
        if (compare(buf, n, &a, &b, i % 10 == 0)) {
            if (bad < 5) fprintf(stderr, "  (string %d)\n", i);
            bad++;
        }
    }
    fprintf(stderr, "[ parity   ] %d generated strings (%zu bytes), each with and without special parsing: %d differ\n",
            N_STRINGS, bytes, bad);
    free(a.v);
    free(b.v);
    assert_int_equal(bad, 0);
}

/* Long texts exercise the window, the cache and the heap path of BPE. */
static void long_texts_match_reference(void **state) {
    (void)state;
    ids a = {NULL, 0, 0}, b = {NULL, 0, 0};
    const size_t len = 1 << 20;
    char *buf = malloc(len + 8192);
    g_rng = 7;
    size_t n = 0;
    while (n < len) n += gen_string(buf + n);
    drop_beyond_unicode(buf, n);
    int bad = compare(buf, n, &a, &b, false);
    /* One letter, spaces, newlines and a CJK character repeated. */
    const char *units[] = {"a", " ", "\n", "\xE4\xB8\x80", "ab ", " \n"};
    for (size_t u = 0; u < 6; u++) {
        const size_t ul = strlen(units[u]);
        for (size_t i = 0; i + ul <= 200000; i += ul) memcpy(buf + i, units[u], ul);
        bad += compare(buf, 200000 / ul * ul, &a, &b, false);
    }
    free(buf);
    free(a.v);
    free(b.v);
    assert_int_equal(bad, 0);
}

static void every_piece_matches_reference(void **state) {
    (void)state;
    const int32_t nv = llama_vocab_n_tokens(g_rv);
    assert_int_equal(nv, l1__tokenizer_n_vocab(g_tok));
    char buf[1024];
    int bad = 0;
    for (int32_t id = 0; id < nv; id++) {
        const int32_t k = llama_token_to_piece(g_rv, id, buf, sizeof buf, 0, true);
        size_t n = 0;
        const uint8_t *p = l1__token_piece(g_tok, id, &n);
        if (k < 0 || (size_t)k != n || memcmp(buf, p, n) != 0) {
            if (bad < 5) fprintf(stderr, "token %d: piece differs\n", id);
            bad++;
        }
    }
    fprintf(stderr, "[ parity   ] %d token pieces: %d differ\n", nv, bad);
    assert_int_equal(bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_piece_matches_reference),
        cmocka_unit_test(every_code_point_splits_like_the_reference),
        cmocka_unit_test(generated_strings_match_reference),
        cmocka_unit_test(long_texts_match_reference),
    };
    return cmocka_run_group_tests_name("parity_tokenizer", tests, setup, teardown);
}
