/*
 * test_cli.c - pieces of the `l1` tool that are tested as units: the JSON
 * writer every command's --json output goes through (tools/l1/json.c,
 * compiled into this test as it is into the tool).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../tools/l1/json.c"

/* What fn wrote through a writer with the given indent, NUL-terminated;
 * the caller frees it. */
static char *capture(void (*fn)(l1cli_json *), int indent) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    l1cli_json j;
    l1cli_json_init(&j, f, indent);
    fn(&j);
    fclose(f);
    return buf;
}

static void escape_bytes(l1cli_json *j) {
    /* quote, backslash, the named escapes, other controls, DEL, valid 2-, 3-
     * and 4-byte UTF-8, then invalid bytes: a lone continuation byte, a
     * truncated sequence, an overlong '/', an encoded surrogate. */
    static const char s[] = "q\" b\\ \n\t\r\b\f \x01\x1f\x7f é€😀 \x80 \xe2\x82 \xc0\xaf \xed\xa0\x80!";
    l1cli_json_strn(j, NULL, s, sizeof s - 1);
}

static void json_escapes_controls_quotes_and_invalid_utf8(void **state) {
    (void)state;
    char *out = capture(escape_bytes, 0);
    assert_string_equal(out, "\"q\\\" b\\\\ \\n\\t\\r\\b\\f \\u0001\\u001f\\u007f é€😀 \\ufffd "
                             "\\ufffd\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd!\"");
    free(out);
}

static void embedded_nul(l1cli_json *j) { l1cli_json_strn(j, NULL, "a\0b", 3); }

static void json_keeps_embedded_nul_escaped(void **state) {
    (void)state;
    char *out = capture(embedded_nul, 0);
    assert_string_equal(out, "\"a\\u0000b\"");
    free(out);
}

static void nested(l1cli_json *j) {
    l1cli_json_object(j, NULL);
    l1cli_json_str(j, "name", "x\"y");
    l1cli_json_int(j, "neg", -5);
    l1cli_json_uint(j, "big", UINT64_MAX);
    l1cli_json_array(j, "list");
    l1cli_json_num(j, NULL, 0.5, 17);
    l1cli_json_num(j, NULL, NAN, 17);
    l1cli_json_fixed(j, NULL, 2.0 / 3.0, 6);
    l1cli_json_fixed(j, NULL, INFINITY, 6);
    l1cli_json_end(j);
    l1cli_json_array(j, "empty");
    l1cli_json_end(j);
    l1cli_json_object(j, "obj");
    l1cli_json_bool(j, "t", true);
    l1cli_json_bool(j, "f", false);
    l1cli_json_null(j, "n");
    l1cli_json_end(j);
    l1cli_json_str(j, "k\n", NULL);
    l1cli_json_end(j);
}

static void json_nests_with_commas_and_nulls_for_non_finite(void **state) {
    (void)state;
    char *out = capture(nested, 0);
    assert_string_equal(out, "{\"name\": \"x\\\"y\", \"neg\": -5, \"big\": 18446744073709551615, "
                             "\"list\": [0.5, null, 0.666667, null], \"empty\": [], "
                             "\"obj\": {\"t\": true, \"f\": false, \"n\": null}, \"k\\n\": \"\"}");
    free(out);
}

static void small(l1cli_json *j) {
    l1cli_json_array(j, NULL);
    l1cli_json_object(j, NULL);
    l1cli_json_int(j, "a", 1);
    l1cli_json_array(j, "b");
    l1cli_json_end(j);
    l1cli_json_end(j);
    l1cli_json_end(j);
    l1cli_json_finish(j);
}

static void json_indents_one_member_per_line(void **state) {
    (void)state;
    char *out = capture(small, 2);
    assert_string_equal(out, "[\n  {\n    \"a\": 1,\n    \"b\": []\n  }\n]\n");
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_escapes_controls_quotes_and_invalid_utf8),
        cmocka_unit_test(json_keeps_embedded_nul_escaped),
        cmocka_unit_test(json_nests_with_commas_and_nulls_for_non_finite),
        cmocka_unit_test(json_indents_one_member_per_line),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
