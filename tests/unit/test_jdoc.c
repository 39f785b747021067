/*
 * Unit tests of jdoc/: every JSON type and escape, member order and lookup
 * with and without a hint, every class of error (syntax, numbers, strings,
 * UTF-8, duplicate keys, trailing text, depth) with its line and column,
 * large and deep documents, and that nothing points into the text afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "jdoc/jdoc.h"
#include "error/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH 64

/* ---- helpers ------------------------------------------------------------ */

/* Prints `len` bytes of `text` with everything but printable ASCII escaped. */
static void print_text(const char *text, size_t len)
{
    size_t max = len > 80 ? 80 : len;
    for (size_t i = 0; i < max; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c < 0x7f)
            print_message("%c", c);
        else
            print_message("\\x%02x", c);
    }
    if (max < len)
        print_message("... (%zu bytes)", len);
}

/* 1 when `s` (at most `cap` bytes) is NUL-terminated, non-empty and printable ASCII only. */
static int printable_ascii(const char *s, size_t cap)
{
    size_t i = 0;
    for (; i < cap && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e)
            return 0;
    }
    return i > 0 && i < cap;
}

/* Parses `len` bytes that must parse; returns the top-level value. */
static const gw_jdoc_t *ok_n(gw_arena_t *a, const char *text, size_t len, uint32_t max_depth)
{
    /* An exact-size copy: ASan sees reads past the end, and the tree must not point into it. */
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    const gw_jdoc_t *j = NULL;
    gw_jdoc_error_t err;
    memset(&err, 0, sizeof(err));
    int rc = gw_jdoc_parse(a, copy, len, max_depth, &j, &err);
    memset(copy, 'Z', len);
    free(copy);
    if (rc != 0) {
        print_message("unexpected error %d for '", rc);
        print_text(text, len);
        print_message("': line %d, column %d, position %zu: %.160s\n", err.line, err.column,
                      err.position, err.text);
    }
    assert_int_equal(rc, 0);
    assert_non_null(j);
    return j;
}

/* Parses `len` bytes that must fail with GW_EJSON; returns the error, checked for sanity. */
static gw_jdoc_error_t fail_n(const char *text, size_t len, uint32_t max_depth)
{
    char *copy = malloc(len ? len : 1); /* exact size, for ASan */
    assert_non_null(copy);
    memcpy(copy, text, len);
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = NULL;
    gw_jdoc_error_t err;
    memset(&err, 0x55, sizeof(err));
    int rc = gw_jdoc_parse(&a, copy, len, max_depth, &j, &err);
    free(copy);
    if (rc != GW_EJSON) {
        print_message("expected GW_EJSON, got %d for '", rc);
        print_text(text, len);
        print_message("'\n");
    }
    assert_int_equal(rc, GW_EJSON);
    assert_true(err.line >= 1);
    assert_true(err.column >= 1);
    assert_true(err.position <= len);
    assert_true(err.too_deep == 0 || err.too_deep == 1);
    if (!printable_ascii(err.text, sizeof(err.text))) {
        print_message("error text not printable ASCII for '");
        print_text(text, len);
        print_message("'\n");
        fail();
    }
    gw_arena_free(&a);
    return err;
}

#define OK(a, lit)   ok_n((a), (lit), sizeof(lit) - 1, DEPTH)
#define FAIL(lit)    fail_n((lit), sizeof(lit) - 1, DEPTH)
#define KEY(lit)     GW_SLICE_LIT(lit)
#define OK_STR(a, s) ok_n((a), (s), strlen(s), DEPTH)

/* Asserts `j` is a string of exactly the `len` bytes `want`, NUL-terminated. */
static void assert_string(const gw_jdoc_t *j, const char *want, size_t len)
{
    assert_non_null(j);
    assert_int_equal(j->type, GW_JDOC_STRING);
    assert_int_equal(j->n, len);
    assert_non_null(j->u.s);
    assert_memory_equal(j->u.s, want, len);
    assert_int_equal(j->u.s[len], '\0');
}

#define ASSERT_STRING(j, lit) assert_string((j), (lit), sizeof(lit) - 1)

/* Asserts the top-level value of `text` is an array of one string equal to `want`. */
static void assert_one_string(const char *text, const char *want, size_t len)
{
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = ok_n(&a, text, strlen(text), DEPTH);
    assert_int_equal(j->type, GW_JDOC_ARRAY);
    assert_int_equal(j->n, 1);
    assert_string(&j->u.items[0], want, len);
    gw_arena_free(&a);
}

#define ONE_STRING(text, lit) assert_one_string((text), (lit), sizeof(lit) - 1)

/* ---- scalars ------------------------------------------------------------ */

static void test_literals(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    assert_int_equal(OK(&a, "null")->type, GW_JDOC_NULL);
    assert_int_equal(OK(&a, "true")->type, GW_JDOC_TRUE);
    assert_int_equal(OK(&a, "false")->type, GW_JDOC_FALSE);
    assert_int_equal(OK(&a, " \t\r\n null \t\r\n")->type, GW_JDOC_NULL);
    const gw_jdoc_t *j = OK(&a, "[true,false,null]");
    assert_int_equal(j->type, GW_JDOC_ARRAY);
    assert_int_equal(j->n, 3);
    assert_int_equal(j->u.items[0].type, GW_JDOC_TRUE);
    assert_int_equal(j->u.items[1].type, GW_JDOC_FALSE);
    assert_int_equal(j->u.items[2].type, GW_JDOC_NULL);
    gw_arena_free(&a);
}

static void test_integers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t want;
    } cases[] = {
        {"0", 0},
        {"-0", 0},
        {"7", 7},
        {"-17", -17},
        {"1234567890", 1234567890},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"9223372036854775806", INT64_MAX - 1},
        {"-9223372036854775807", -INT64_MAX},
        /* 18 digits and fewer take the short path, 19 the checked one */
        {"999999999999999999", 999999999999999999},
        {"-999999999999999999", -999999999999999999},
        {"123456789012345678", 123456789012345678},
        {"1000000000000000000", 1000000000000000000},
        {"-1000000000000000000", -1000000000000000000},
    };
    gw_arena_t a;
    gw_arena_init(&a, 0);
    for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
        const gw_jdoc_t *j = OK_STR(&a, cases[i].text);
        assert_int_equal(j->type, GW_JDOC_INT);
        assert_true(j->u.i == cases[i].want);
        assert_true(gw_jdoc_is_number(j));
    }
    const gw_jdoc_t *j = OK(&a, "[1,-2,3]");
    assert_int_equal(j->n, 3);
    assert_int_equal(j->u.items[1].type, GW_JDOC_INT);
    assert_true(j->u.items[1].u.i == -2);
    assert_true(gw_jdoc_number(&j->u.items[2]) == 3.0);
    gw_arena_free(&a);
}

static void test_reals(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double want;
    } cases[] = {
        {"1.5", 1.5},        {"-0.25", -0.25},
        {"1e3", 1000.0},     {"1E-2", 0.01},
        {"2.5e+10", 2.5e10}, {"0.0", 0.0},
        {"1.0", 1.0},        {"-1.25E2", -125.0},
        {"0e0", 0.0},        {"123.456e-3", 0.123456},
    };
    gw_arena_t a;
    gw_arena_init(&a, 0);
    for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
        const gw_jdoc_t *j = OK_STR(&a, cases[i].text);
        if (j->type != GW_JDOC_REAL)
            print_message("'%s' has type %d\n", cases[i].text, j->type);
        assert_int_equal(j->type, GW_JDOC_REAL);
        assert_true(fabs(j->u.f - cases[i].want) <= 1e-12 * fmax(1.0, fabs(cases[i].want)));
        assert_true(gw_jdoc_is_number(j));
        assert_true(gw_jdoc_number(j) == j->u.f);
    }
    const gw_jdoc_t *j = OK(&a, "-0.0");
    assert_int_equal(j->type, GW_JDOC_REAL);
    assert_true(j->u.f == 0.0 && signbit(j->u.f));
    gw_arena_free(&a);
}

/*
 * Reals are exactly what strtod makes of the same text, bit for bit: short decimals take jdoc's
 * fast path (Clinger: <= 2^53 and |10^k| <= 22), the rest strtod. Random texts around the edges
 * of the fast path: 1-20 digits, the point anywhere, exponents -30..30, both signs, leading and
 * trailing zeros.
 */
static void test_reals_exact(void **state)
{
    (void)state;
    static const char *edges[] = {"9007199254740992.0",
                                  "9007199254740993.0",
                                  "1e22",
                                  "1e23",
                                  "1e-22",
                                  "1e-23",
                                  "0.1",
                                  "0.3",
                                  "123456789012345678.9",
                                  "4.9e-324",
                                  "2.2250738585072014e-308",
                                  "1.7976931348623157e308",
                                  "-0e5",
                                  "0.000000000000000000000000001",
                                  "5e-1",
                                  "00.5e0"};
    uint64_t x = 0x9e3779b97f4a7c15u;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    for (int i = 0; i < 200000 + (int)GW_ARRAY_SIZE(edges); i++) {
        char text[64];
        if (i < (int)GW_ARRAY_SIZE(edges)) {
            snprintf(text, sizeof(text), "%s", edges[i]);
            if (text[0] == '0' && text[1] == '0')
                continue; /* not JSON (leading zero): only strtod's side would take it */
        } else {
            size_t o = 0;
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int digits = 1 + (int)(x % 20), dot = (int)((x >> 8) % (uint64_t)(digits + 1));
            if ((x >> 16) & 1)
                text[o++] = '-';
            for (int d = 0; d < digits; d++) {
                if (d == dot && d > 0)
                    text[o++] = '.';
                uint64_t r = x >> (20 + (d % 10) * 4);
                text[o++] = (char)('0' + (d == 0 && digits > 1 && dot != 1 ? 1 + r % 9 : r % 10));
            }
            if (dot == 0 || dot == digits)
                o += (size_t)snprintf(text + o, sizeof(text) - o, ".%d", (int)((x >> 5) % 10));
            if ((x >> 17) & 1)
                o +=
                    (size_t)snprintf(text + o, sizeof(text) - o, "e%d", (int)((x >> 40) % 61) - 30);
            text[o] = '\0';
        }
        const gw_jdoc_t *j = OK_STR(&a, text);
        double want = strtod(text, NULL);
        if (j->type != GW_JDOC_REAL || memcmp(&j->u.f, &want, sizeof(want)) != 0)
            print_message("'%s': jdoc %.17g, strtod %.17g\n", text, j->u.f, want);
        assert_int_equal(j->type, GW_JDOC_REAL);
        assert_memory_equal(&j->u.f, &want, sizeof(want));
        if (i % 1000 == 0) {
            gw_arena_free(&a);
            gw_arena_init(&a, 0);
        }
    }
    gw_arena_free(&a);
}

/* Integers without fraction or exponent that do not fit int64_t are refused. */
static void test_integer_out_of_range(void **state)
{
    (void)state;
    FAIL("9223372036854775808");
    FAIL("-9223372036854775809");
    FAIL("[99999999999999999999999]");
}

static void test_real_overflow(void **state)
{
    (void)state;
    FAIL("1e400");
    FAIL("[-1e400]");
    FAIL("{\"a\":1.5e99999}");
}

/* ---- strings ------------------------------------------------------------ */

static void test_strings(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    ASSERT_STRING(OK(&a, "\"\""), "");
    ASSERT_STRING(OK(&a, "\"x\""), "x");
    ASSERT_STRING(OK(&a, "\"hello world\""), "hello world");
    /* Raw multibyte UTF-8 (2, 3 and 4 bytes) is kept as it is. */
    ASSERT_STRING(OK(&a, "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e\""),
                  "h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e");
    ASSERT_STRING(OK(&a, "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\""), "\xef\xbf\xbf\xf4\x8f\xbf\xbf");
    /* A DEL and characters above 0x1f are not control characters for JSON. */
    ASSERT_STRING(OK(&a, "\" \x7f~\""), " \x7f~");
    const gw_jdoc_t *j = OK(&a, "\"abc\"");
    gw_slice_t s = gw_jdoc_str(j);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.ptr, "abc", 3);
    gw_arena_free(&a);
}

static void test_string_escapes(void **state)
{
    (void)state;
    ONE_STRING("[\"\\\"\"]", "\"");
    ONE_STRING("[\"\\\\\"]", "\\");
    ONE_STRING("[\"\\/\"]", "/");
    ONE_STRING("[\"\\b\"]", "\b");
    ONE_STRING("[\"\\f\"]", "\f");
    ONE_STRING("[\"\\n\"]", "\n");
    ONE_STRING("[\"\\r\"]", "\r");
    ONE_STRING("[\"\\t\"]", "\t");
    ONE_STRING("[\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"]", "a\"b\\c/d\be\ff\ng\rh\ti");
    ONE_STRING("[\"\\\\n\"]", "\\n");
}

static void test_string_unicode_escapes(void **state)
{
    (void)state;
    ONE_STRING("[\"\\u0041\"]", "A");
    ONE_STRING("[\"\\u007f\"]", "\x7f");
    ONE_STRING("[\"\\u0080\"]", "\xc2\x80");
    ONE_STRING("[\"\\u00e9\"]", "\xc3\xa9");
    ONE_STRING("[\"\\u00E9\"]", "\xc3\xa9");
    ONE_STRING("[\"caf\\u00e9!\"]", "caf\xc3\xa9!");
    ONE_STRING("[\"\\u07ff\"]", "\xdf\xbf");
    ONE_STRING("[\"\\u0800\"]", "\xe0\xa0\x80");
    ONE_STRING("[\"\\u20ac\"]", "\xe2\x82\xac");
    ONE_STRING("[\"\\uffff\"]", "\xef\xbf\xbf");
    ONE_STRING("[\"\\ud83d\\ude00\"]", "\xf0\x9f\x98\x80");
    ONE_STRING("[\"\\uD83D\\uDE00\"]", "\xf0\x9f\x98\x80");
    ONE_STRING("[\"\\ud800\\udc00\"]", "\xf0\x90\x80\x80");
    ONE_STRING("[\"\\udbff\\udfff\"]", "\xf4\x8f\xbf\xbf");
    ONE_STRING("[\"x\\ud83d\\ude00y\\u00e9\"]", "x\xf0\x9f\x98\x80y\xc3\xa9");
}

static void test_string_nul(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = OK(&a, "\"a\\u0000b\"");
    assert_int_equal(j->type, GW_JDOC_STRING);
    assert_int_equal(j->n, 3);
    assert_memory_equal(j->u.s, "a\0b", 4); /* including the terminator */
    j = OK(&a, "\"\\u0000\"");
    assert_int_equal(j->n, 1);
    assert_int_equal(j->u.s[0], '\0');
    assert_int_equal(j->u.s[1], '\0');
    gw_arena_free(&a);
}

/* ---- arrays and objects ------------------------------------------------- */

static void test_arrays(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = OK(&a, "[]");
    assert_int_equal(j->type, GW_JDOC_ARRAY);
    assert_int_equal(j->n, 0);
    j = OK(&a, "[ \t\r\n]");
    assert_int_equal(j->type, GW_JDOC_ARRAY);
    assert_int_equal(j->n, 0);
    j = OK(&a, "[1, \"two\", [3], {}, null, 4.5]");
    assert_int_equal(j->n, 6);
    assert_int_equal(j->u.items[0].type, GW_JDOC_INT);
    assert_true(j->u.items[0].u.i == 1);
    ASSERT_STRING(&j->u.items[1], "two");
    assert_int_equal(j->u.items[2].type, GW_JDOC_ARRAY);
    assert_int_equal(j->u.items[2].n, 1);
    assert_true(j->u.items[2].u.items[0].u.i == 3);
    assert_int_equal(j->u.items[3].type, GW_JDOC_OBJECT);
    assert_int_equal(j->u.items[3].n, 0);
    assert_int_equal(j->u.items[4].type, GW_JDOC_NULL);
    assert_int_equal(j->u.items[5].type, GW_JDOC_REAL);
    assert_true(j->u.items[5].u.f == 4.5);
    /* Many items: the order is the text's. */
    char buf[8000];
    size_t len = 0;
    buf[len++] = '[';
    for (int i = 0; i < 1000; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d", i ? "," : "", i);
    buf[len++] = ']';
    j = ok_n(&a, buf, len, DEPTH);
    assert_int_equal(j->n, 1000);
    for (uint32_t i = 0; i < 1000; i++)
        assert_true(j->u.items[i].type == GW_JDOC_INT && j->u.items[i].u.i == (int64_t)i);
    gw_arena_free(&a);
}

static void test_objects(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = OK(&a, "{}");
    assert_int_equal(j->type, GW_JDOC_OBJECT);
    assert_int_equal(j->n, 0);
    j = OK(&a, "{ \n }");
    assert_int_equal(j->type, GW_JDOC_OBJECT);
    assert_int_equal(j->n, 0);
    /* Members keep the text's order; keys are unescaped and NUL-terminated. */
    j = OK(&a, "{\"b\":1,\"a\":\"x\",\"c\\u00e9\":null,\"\":true}");
    assert_int_equal(j->n, 4);
    const gw_jdoc_member_t *m = j->u.members;
    assert_true(gw_slice_eq_str(m[0].key, "b"));
    assert_true(gw_slice_eq_str(m[1].key, "a"));
    assert_true(gw_slice_eq_str(m[2].key, "c\xc3\xa9"));
    assert_int_equal(m[3].key.len, 0);
    for (int i = 0; i < 4; i++) {
        assert_non_null(m[i].key.ptr);
        assert_int_equal(m[i].key.ptr[m[i].key.len], '\0');
    }
    assert_int_equal(m[0].value.type, GW_JDOC_INT);
    assert_true(m[0].value.u.i == 1);
    ASSERT_STRING(&m[1].value, "x");
    assert_int_equal(m[2].value.type, GW_JDOC_NULL);
    assert_int_equal(m[3].value.type, GW_JDOC_TRUE);
    /* A key with an escaped NUL keeps its length. */
    j = OK(&a, "{\"a\\u0000b\":1}");
    assert_int_equal(j->u.members[0].key.len, 3);
    assert_memory_equal(j->u.members[0].key.ptr, "a\0b", 4);
    gw_arena_free(&a);
}

static void test_nested(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j =
        OK(&a, "{\"IMPORTING\":{\"A\":[{\"X\":1,\"Y\":[true,{\"Z\":\"deep\"}]},[]],"
               "\"B\":{\"C\":{}}},\"N\":-3.5}");
    assert_int_equal(j->type, GW_JDOC_OBJECT);
    assert_int_equal(j->n, 2);
    const gw_jdoc_t *imp = gw_jdoc_get(j, KEY("IMPORTING"), NULL);
    assert_non_null(imp);
    assert_int_equal(imp->type, GW_JDOC_OBJECT);
    const gw_jdoc_t *arr = gw_jdoc_get(imp, KEY("A"), NULL);
    assert_non_null(arr);
    assert_int_equal(arr->type, GW_JDOC_ARRAY);
    assert_int_equal(arr->n, 2);
    const gw_jdoc_t *row = &arr->u.items[0];
    assert_int_equal(row->type, GW_JDOC_OBJECT);
    const gw_jdoc_t *y = gw_jdoc_get(row, KEY("Y"), NULL);
    assert_non_null(y);
    assert_int_equal(y->n, 2);
    assert_int_equal(y->u.items[0].type, GW_JDOC_TRUE);
    ASSERT_STRING(gw_jdoc_get(&y->u.items[1], KEY("Z"), NULL), "deep");
    assert_int_equal(arr->u.items[1].type, GW_JDOC_ARRAY);
    assert_int_equal(arr->u.items[1].n, 0);
    const gw_jdoc_t *c = gw_jdoc_get(gw_jdoc_get(imp, KEY("B"), NULL), KEY("C"), NULL);
    assert_non_null(c);
    assert_int_equal(c->type, GW_JDOC_OBJECT);
    assert_int_equal(c->n, 0);
    const gw_jdoc_t *n = gw_jdoc_get(j, KEY("N"), NULL);
    assert_non_null(n);
    assert_true(gw_jdoc_number(n) == -3.5);
    gw_arena_free(&a);
}

static void test_whitespace(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = OK(&a, " \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ \t\r\n1 \t\r\n, \t\r\n\"s\" "
                                "\t\r\n] \t\r\n, \t\r\n\"b\"\n:\ttrue\r} \t\r\n");
    assert_int_equal(j->type, GW_JDOC_OBJECT);
    assert_int_equal(j->n, 2);
    const gw_jdoc_t *arr = gw_jdoc_get(j, KEY("a"), NULL);
    assert_non_null(arr);
    assert_int_equal(arr->n, 2);
    assert_true(arr->u.items[0].u.i == 1);
    ASSERT_STRING(&arr->u.items[1], "s");
    assert_int_equal(gw_jdoc_get(j, KEY("b"), NULL)->type, GW_JDOC_TRUE);
    /* Spaces inside a string are kept (a raw tab is a control character there). */
    ASSERT_STRING(OK(&a, "\"  x \""), "  x ");
    gw_arena_free(&a);
}

/* ---- lookup ------------------------------------------------------------- */

static void test_get(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = OK(&a, "{\"a\\u0062\":1,\"a\":2,\"abc\":3,\"x\\u0000y\":4,\"\":5}");
    const gw_jdoc_t *v = gw_jdoc_get(j, KEY("ab"), NULL);
    assert_non_null(v);
    assert_true(v->u.i == 1);
    assert_ptr_equal(v, &j->u.members[0].value);
    assert_true(gw_jdoc_get(j, KEY("a"), NULL)->u.i == 2);
    assert_true(gw_jdoc_get(j, KEY("abc"), NULL)->u.i == 3);
    gw_slice_t xy = {"x\0y", 3};
    assert_true(gw_jdoc_get(j, xy, NULL)->u.i == 4);
    assert_true(gw_jdoc_get(j, KEY(""), NULL)->u.i == 5);
    /* Missing keys, prefixes and keys that only match up to a NUL. */
    assert_null(gw_jdoc_get(j, KEY("b"), NULL));
    assert_null(gw_jdoc_get(j, KEY("abcd"), NULL));
    assert_null(gw_jdoc_get(j, KEY("A"), NULL));
    assert_null(gw_jdoc_get(j, KEY("x"), NULL));
    gw_slice_t xyz = {"x\0yz", 4};
    assert_null(gw_jdoc_get(j, xyz, NULL));
    /* NULL and non-objects. */
    uint32_t hint = 0;
    assert_null(gw_jdoc_get(NULL, KEY("a"), NULL));
    assert_null(gw_jdoc_get(NULL, KEY("a"), &hint));
    assert_null(gw_jdoc_get(OK(&a, "[\"a\"]"), KEY("a"), NULL));
    assert_null(gw_jdoc_get(OK(&a, "\"a\""), KEY("a"), &hint));
    assert_null(gw_jdoc_get(OK(&a, "1"), KEY("a"), NULL));
    assert_null(gw_jdoc_get(OK(&a, "null"), KEY("a"), NULL));
    assert_null(gw_jdoc_get(OK(&a, "{}"), KEY("a"), &hint));
    assert_null(gw_jdoc_get(OK(&a, "{}"), KEY(""), NULL));
    gw_arena_free(&a);
}

static void test_get_hint(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = OK(&a, "{\"A\":0,\"B\":1,\"C\":2,\"D\":3,\"E\":4}");
    static const char *const keys[] = {"A", "B", "C", "D", "E"};
    /* In order: each lookup finds its member and leaves the hint after it. */
    uint32_t hint = 0;
    for (uint32_t i = 0; i < 5; i++) {
        const gw_jdoc_t *v = gw_jdoc_get(j, gw_slice(keys[i]), &hint);
        assert_non_null(v);
        assert_ptr_equal(v, &j->u.members[i].value);
        assert_int_equal(hint, i + 1);
    }
    /* The hint is past the end now; a lookup still finds every key. */
    assert_true(gw_jdoc_get(j, KEY("A"), &hint)->u.i == 0);
    assert_int_equal(hint, 1);
    /* Out of order: the hint is only where the search starts. */
    static const int order[] = {4, 0, 3, 3, 1, 2, 0, 4, 2};
    for (size_t k = 0; k < GW_ARRAY_SIZE(order); k++) {
        const gw_jdoc_t *v = gw_jdoc_get(j, gw_slice(keys[order[k]]), &hint);
        assert_non_null(v);
        assert_true(v->u.i == order[k]);
        assert_int_equal(hint, (uint32_t)order[k] + 1);
    }
    /* A missing key returns NULL whatever the hint; the next lookups still work. */
    hint = 2;
    assert_null(gw_jdoc_get(j, KEY("Z"), &hint));
    assert_true(gw_jdoc_get(j, KEY("B"), &hint)->u.i == 1);
    assert_true(gw_jdoc_get(j, KEY("C"), &hint)->u.i == 2);
    /* A hint far past the end is harmless. */
    hint = 1000000;
    assert_true(gw_jdoc_get(j, KEY("D"), &hint)->u.i == 3);
    hint = UINT32_MAX;
    assert_true(gw_jdoc_get(j, KEY("E"), &hint)->u.i == 4);
    /* One hint variable across a shuffled object read in "metadata" order. */
    j = OK(&a, "{\"E\":4,\"A\":0,\"D\":3,\"B\":1,\"C\":2}");
    hint = 0;
    for (uint32_t i = 0; i < 5; i++) {
        const gw_jdoc_t *v = gw_jdoc_get(j, gw_slice(keys[i]), &hint);
        assert_non_null(v);
        assert_true(v->u.i == (int64_t)i);
    }
    gw_arena_free(&a);
}

static void test_type_name(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    assert_string_equal(gw_jdoc_type_name(OK(&a, "{}")), "an object");
    assert_string_equal(gw_jdoc_type_name(OK(&a, "[]")), "an array");
    assert_string_equal(gw_jdoc_type_name(OK(&a, "\"\"")), "a string");
    assert_string_equal(gw_jdoc_type_name(OK(&a, "1")), "a number");
    assert_string_equal(gw_jdoc_type_name(OK(&a, "1.5")), "a number");
    assert_string_equal(gw_jdoc_type_name(OK(&a, "true")), "a boolean");
    assert_string_equal(gw_jdoc_type_name(OK(&a, "false")), "a boolean");
    assert_string_equal(gw_jdoc_type_name(OK(&a, "null")), "null");
    gw_jdoc_t s = gw_jdoc_string("abc", 3);
    assert_string_equal(gw_jdoc_type_name(&s), "a string");
    gw_arena_free(&a);
}

static void test_inline_helpers(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = OK(&a, "[42,-0.5,\"s\",true,null]");
    assert_true(gw_jdoc_is_number(&j->u.items[0]));
    assert_true(gw_jdoc_is_number(&j->u.items[1]));
    assert_false(gw_jdoc_is_number(&j->u.items[2]));
    assert_false(gw_jdoc_is_number(&j->u.items[3]));
    assert_true(gw_jdoc_number(&j->u.items[0]) == 42.0);
    assert_true(gw_jdoc_number(&j->u.items[1]) == -0.5);
    assert_true(gw_jdoc_number(&j->u.items[2]) == 0.0);
    assert_int_equal(gw_jdoc_str(&j->u.items[0]).len, 0);
    assert_int_equal(gw_jdoc_str(&j->u.items[2]).len, 1);
    assert_int_equal(gw_jdoc_str(j).len, 0);
    gw_jdoc_t s = gw_jdoc_string("path", 4);
    assert_int_equal(s.type, GW_JDOC_STRING);
    assert_true(gw_slice_eq_str(gw_jdoc_str(&s), "path"));
    gw_arena_free(&a);
}

/* Nothing points into the text: the document survives the text being freed. */
static void test_independent_of_text(void **state)
{
    (void)state;
    static const char src[] = "{\"key\":\"value\",\"k\\u00e9\":[\"x\",\"y\"]}";
    char *text = malloc(sizeof(src));
    assert_non_null(text);
    memcpy(text, src, sizeof(src));
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = ok_n(&a, text, sizeof(src) - 1, DEPTH);
    memset(text, 'Z', sizeof(src));
    free(text);
    assert_true(gw_slice_eq_str(j->u.members[0].key, "key"));
    ASSERT_STRING(&j->u.members[0].value, "value");
    assert_true(gw_slice_eq_str(j->u.members[1].key, "k\xc3\xa9"));
    const gw_jdoc_t *arr = gw_jdoc_get(j, KEY("k\xc3\xa9"), NULL);
    assert_non_null(arr);
    ASSERT_STRING(&arr->u.items[0], "x");
    ASSERT_STRING(&arr->u.items[1], "y");
    gw_arena_free(&a);
}

static void test_arena_limit(void **state)
{
    (void)state;
    char *buf = malloc(200000);
    assert_non_null(buf);
    size_t len = 0;
    buf[len++] = '[';
    for (int i = 0; i < 20000; i++)
        len += (size_t)snprintf(buf + len, 200000 - len, "%s\"%d\"", i ? "," : "", i);
    buf[len++] = ']';
    gw_arena_t a;
    gw_arena_init(&a, 4096);
    const gw_jdoc_t *j = NULL;
    gw_jdoc_error_t err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(gw_jdoc_parse(&a, buf, len, DEPTH, &j, &err), GW_ENOMEM);
    gw_arena_free(&a);
    free(buf);
}

/* ---- error positions ---------------------------------------------------- */

static void test_error_at_end(void **state)
{
    (void)state;
    /* The README's example: at the end of the text, the column is the last character's. */
    gw_jdoc_error_t err = FAIL("{\"REQUTEXT\":");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 12);
    assert_int_equal(err.too_deep, 0);
    err = FAIL("{");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 1);
    err = FAIL("[1,\n2,");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 2);
}

static void test_error_line_column(void **state)
{
    (void)state;
    gw_jdoc_error_t err = FAIL("{\n  \"a\": tru\n}");
    assert_int_equal(err.line, 2);
    /* 't' is column 8, the newline after "tru" column 11. */
    assert_true(err.column >= 8 && err.column <= 11);
    assert_int_equal(err.too_deep, 0);
    err = FAIL("[1,\n2,\n\n x]");
    assert_int_equal(err.line, 4);
    assert_int_equal(err.column, 2);
    assert_int_equal(err.position, 9);
    err = FAIL("\n\n\n  }");
    assert_int_equal(err.line, 4);
    assert_int_equal(err.column, 3);
    assert_int_equal(err.position, 5);
}

/* Columns count characters, positions count bytes. */
static void test_error_column_utf8(void **state)
{
    (void)state;
    gw_jdoc_error_t err = FAIL("{\"\xc3\xa9\": x}");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 7);
    assert_int_equal(err.position, 7);
    /* Three 3-byte characters and a 4-byte one before the bad token. */
    err = FAIL("[\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xf0\x9f\x98\x80\", x]");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 10);
    assert_int_equal(err.position, 18);
    /* On the second line, only that line's characters count. */
    err = FAIL("[\"\xc3\xa9\",\n\"\xc3\xa9\xc3\xa9\", x]");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 7);
}

/* ---- must-fail inputs --------------------------------------------------- */

static void test_syntax_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        " ",       "\t\r\n ", "{",          "}",          "[",         "]",          "[1,]",
        "[,1]",    "[1 2]",   "{\"a\":1,}", "{,}",        "{\"a\" 1}", "{\"a\":}",   "{\"a\"}",
        "{a:1}",   "{'a':1}", "{1:1}",      "{\"a\":1",   "[1",        "[1}",        "{\"a\":1]",
        "[01]",    "[00]",    "[-01]",      "[1.]",       "[.5]",      "[-]",        "[-.5]",
        "[1e]",    "[1e+]",   "[1E-]",      "[+1]",       "[1.e5]",    "[0x10]",     "[Infinity]",
        "[NaN]",   "[tru]",   "[nul]",      "[fals]",     "[True]",    "[NULL]",     "[truex]",
        "[nulll]", "[\"a]",   "\"abc",      "'a'",        "[1]]",      "{}}",        "1 2",
        "[1] x",   "[1] [2]", "{}{}",       "\"a\"\"b\"", "[1,,2]",    "{\"a\"::1}", "[/*c*/1]",
    };
    for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
        gw_jdoc_error_t err = fail_n(bad[i], strlen(bad[i]), DEPTH);
        assert_int_equal(err.too_deep, 0);
    }
    /* Empty text. */
    gw_jdoc_error_t err = fail_n("", 0, DEPTH);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.position, 0);
}

static void test_string_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[\"\\x\"]",
        "[\"\\a\"]",
        "[\"\\U0041\"]",
        "[\"\\'\"]",
        "[\"\\\"]",
        "[\"\\u12\"]",
        "[\"\\u\"]",
        "[\"\\u12g4\"]",
        "[\"\\u 123\"]",
        "[\"\\ud800\"]",
        "[\"\\udc00\"]",
        "[\"\\udbff\"]",
        "[\"\\ud800x\"]",
        "[\"\\ud800\\n\"]",
        "[\"\\ud800\\u0041\"]",
        "[\"\\ud800\\ud800\"]",
        "[\"\\udc00\\ud800\"]",
        "[\"\x01\"]",
        "[\"a\nb\"]",
        "[\"a\rb\"]",
        "[\"a\tb\"]",
        "[\"\x1f\"]",
        "{\"a\x01\":1}",
        "{\"\\x\":1}",
        "{\"\\ud800\":1}",
    };
    /* A backslash before a non-ASCII character is a bad escape, reported at the backslash. */
    gw_jdoc_error_t e = FAIL("[\"\\\xc3\xa9\"]");
    assert_int_equal(e.column, 3);
    assert_non_null(strstr(e.text, "escape"));
    for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++)
        fail_n(bad[i], strlen(bad[i]), DEPTH);
    /* A raw NUL byte inside a string is a control character. */
    FAIL("[\"a\0b\"]");
}

static void test_utf8_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[\"\xff\"]", /* never valid */
        "[\"\xfe\"]", /* never valid */
        "[\"\x80\"]", /* lone continuation byte */
        "[\"a\xbf"
        "b\"]",                       /* lone continuation byte */
        "[\"\xc0\xaf\"]",             /* overlong '/' */
        "[\"\xc1\xbf\"]",             /* overlong */
        "[\"\xe0\x80\xaf\"]",         /* overlong 3 bytes */
        "[\"\xf0\x80\x80\xaf\"]",     /* overlong 4 bytes */
        "[\"\xed\xa0\x80\"]",         /* U+D800 encoded in UTF-8 */
        "[\"\xed\xbf\xbf\"]",         /* U+DFFF encoded in UTF-8 */
        "[\"\xf4\x90\x80\x80\"]",     /* above U+10FFFF */
        "[\"\xf5\x80\x80\x80\"]",     /* above U+10FFFF */
        "[\"\xf8\x88\x80\x80\x80\"]", /* 5 bytes */
        "[\"\xe2\x82\"]",             /* truncated at the end of the string */
        "[\"\xc3\"]",                 /* truncated */
        "[\"\xf0\x9f\x98\"]",         /* truncated */
        "[\"\xc3x\"]",                /* a lead byte followed by ASCII */
        "{\"\xff\":1}",               /* in a key */
        "[\xff]",                     /* outside a string */
        "\"\xe2\x82",                 /* truncated at the end of the text */
    };
    for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++)
        fail_n(bad[i], strlen(bad[i]), DEPTH);
}

/* The error text stays printable ASCII whatever bytes the input has. */
static void test_error_text_ascii(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\x01",
        "[\x01]",
        "\xff",
        "[\xc3\xa9]",
        "{\"\xc3\xa9\" 1}",
        "\xe2\x82\xac",
        "[\"\xff\xfe\"]",
        "[\"\x7f\x01\"]",
        "[tr\xc3\xa9]",
        "{\x1b[31m:1}",
        "[1\x7f]",
        "\xf0\x9f\x98\x80",
        "[\"\\\xc3\xa9\"]",
        "[\"\\u00\xc3\xa9\"]",
        "[\r\x0b]",
    };
    for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++)
        fail_n(bad[i], strlen(bad[i]), DEPTH);
    /* NUL bytes too. */
    fail_n("[\0]", 3, DEPTH);
    fail_n("\0", 1, DEPTH);
    /* A duplicate key is quoted in the text: its bytes are escaped too, however long it is. */
    FAIL("{\"\\u0001\\u00e9\\n\":1,\"\\u0001\\u00e9\\n\":2}");
    FAIL("{\"\\u0000\":1,\"\\u0000\":2}");
    FAIL("{\"\xc3\xa9\x7f\":1,\"\xc3\xa9\x7f\":2}");
    char buf[1200];
    for (int len = 30; len < 60; len++) {
        char key[200];
        int k = 0;
        for (; k < len; k++)
            key[k] = 'k';
        for (int e = 0; e < 20; e++)
            k += snprintf(key + k, sizeof(key) - (size_t)k, "\xc3\xa9");
        int n = snprintf(buf, sizeof(buf), "{\"%s\":1,\"%s\":2}", key, key);
        fail_n(buf, (size_t)n, DEPTH);
    }
}

static void test_nul_outside_string(void **state)
{
    (void)state;
    gw_jdoc_error_t err = fail_n("[1,\0 2]", 7, DEPTH);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.too_deep, 0);
    fail_n("{\"a\":\0 1}", 9, DEPTH);
    fail_n("[1]\0", 4, DEPTH);  /* after the value: not whitespace */
    fail_n("tr\0ue", 5, DEPTH); /* inside a literal */
    fail_n("12\0"
           "3",
           4, DEPTH); /* inside a number */
}

static void test_trailing_text(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    /* A top-level scalar is a document; whitespace may follow any value. */
    const gw_jdoc_t *j = OK(&a, "42");
    assert_int_equal(j->type, GW_JDOC_INT);
    assert_true(j->u.i == 42);
    ASSERT_STRING(OK(&a, "\"x\""), "x");
    assert_int_equal(OK(&a, "42 \n")->type, GW_JDOC_INT);
    assert_int_equal(OK(&a, "-1.5\t")->type, GW_JDOC_REAL);
    assert_int_equal(OK(&a, "[1] \r\n\t ")->type, GW_JDOC_ARRAY);
    assert_int_equal(OK(&a, "{}\n")->type, GW_JDOC_OBJECT);
    /* Anything else after the value is an error. */
    gw_jdoc_error_t err = FAIL("[1] x");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 5);
    assert_int_equal(err.position, 4);
    FAIL("42 x");
    FAIL("42x");
    FAIL("\"x\"y");
    FAIL("null,");
    FAIL("{} ,");
    /* Only the first `len` bytes are the text. */
    j = ok_n(&a, "[1]garbage", 3, DEPTH);
    assert_int_equal(j->n, 1);
    j = ok_n(&a, "123456", 3, DEPTH);
    assert_true(j->u.i == 123);
    gw_arena_free(&a);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    gw_jdoc_error_t err = FAIL("{\"a\":1,\"a\":2}");
    assert_int_equal(err.too_deep, 0);
    /* The error points at the repeated key, and quotes it with its quote escaped. */
    assert_int_equal(err.position, 7);
    assert_int_equal(err.column, 8);
    err = FAIL("{\"\\\"\":1,\n \"\\\"\":2}");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 2);
    assert_non_null(strstr(err.text, "\\x22"));
    FAIL("{\"a\":1,\"b\":2,\"a\":3}");
    FAIL("{\"ab\":1,\"a\\u0062\":2}"); /* the same key once unescaped */
    FAIL("{\"\":1,\"\":2}");
    FAIL("{\"x\":{\"a\":1,\"b\":{},\"a\":2}}"); /* in a nested object */
    FAIL("[{},{\"k\":1,\"k\":1}]");
    /* Different keys, and the same key in different objects, are fine. */
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j =
        OK(&a, "{\"a\":{\"a\":1},\"b\":{\"a\":2},\"A\":3,\"a\\u0000\":4,\"ab\":5}");
    assert_int_equal(j->n, 5);
    j = OK(&a, "[{\"k\":1},{\"k\":2}]");
    assert_int_equal(j->n, 2);
    /* Rows whose keys are the kept keys of an earlier row skip the pairwise check; a row that
     * repeats a key never has all of them, also after rows of the same size, in any order. */
    FAIL("[{\"a\":1,\"b\":2},{\"a\":1,\"b\":2},{\"a\":1,\"a\":2}]");
    FAIL("[{\"a\":1,\"b\":2},{\"b\":1,\"a\":2},{\"b\":1,\"b\":2}]");
    FAIL("[{\"a\":1,\"b\":2},{\"x\":{\"a\":1,\"b\":2}},{\"a\":1,\"b\":2,\"a\":3}]");
    /* Keys of 17 bytes that differ only in the middle share a print: compared in full, every row.
     */
    j = OK(&a, "[{\"aaaaaaaaXbbbbbbbb\":1,\"aaaaaaaaYbbbbbbbb\":2},"
               "{\"aaaaaaaaXbbbbbbbb\":1,\"aaaaaaaaYbbbbbbbb\":2}]");
    assert_int_equal(j->n, 2);
    FAIL("[{\"aaaaaaaaXbbbbbbbb\":1,\"aaaaaaaaYbbbbbbbb\":2},"
         "{\"aaaaaaaaXbbbbbbbb\":1,\"aaaaaaaaXbbbbbbbb\":2}]");
    FAIL("[{\"a\":1,\"b\":2},{\"aaaaaaaaXbbbbbbbb\":1,\"aaaaaaaaXbbbbbbbb\":2}]");
    gw_arena_free(&a);
}

/* Member i's key of item `row` of the array `j`, checked to be `want`. */
static gw_slice_t row_key(const gw_jdoc_t *j, uint32_t row, uint32_t i, const char *want)
{
    assert_true(row < j->n);
    const gw_jdoc_t *o = &j->u.items[row];
    assert_int_equal(o->type, GW_JDOC_OBJECT);
    assert_true(i < o->n);
    gw_slice_t k = o->u.members[i].key;
    assert_int_equal(k.len, strlen(want));
    assert_memory_equal(k.ptr, want, k.len);
    assert_int_equal(k.ptr[k.len], '\0');
    return k;
}

/* Rows of a table share the keys of the row before them instead of copies. */
static void test_kept_keys(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = OK(&a, "[{\"ab\":1,\"cd\":2},{\"ab\":3,\"cd\":4},{\"ab\":5,\"cde\":6}]");
    assert_ptr_equal(row_key(j, 0, 0, "ab").ptr, row_key(j, 1, 0, "ab").ptr);
    assert_ptr_equal(row_key(j, 0, 1, "cd").ptr, row_key(j, 1, 1, "cd").ptr);
    assert_ptr_equal(row_key(j, 1, 0, "ab").ptr, row_key(j, 2, 0, "ab").ptr);
    /* A longer or shorter key than the kept one is its own. */
    assert_ptr_not_equal(row_key(j, 1, 1, "cd").ptr, row_key(j, 2, 1, "cde").ptr);
    j = OK(&a, "[{\"abc\":1,\"x\":2},{\"ab\":1,\"x\":2},{\"abcd\":1}]");
    row_key(j, 1, 0, "ab");
    assert_ptr_equal(row_key(j, 0, 1, "x").ptr, row_key(j, 1, 1, "x").ptr);
    row_key(j, 2, 0, "abcd");
    /* A shorter row of the kept keys is fine; one that repeats a key is checked. */
    j = OK(&a, "[{\"a\":1,\"b\":2,\"c\":3},{\"a\":1,\"b\":2},{\"a\":1,\"b\":2,\"c\":3}]");
    assert_ptr_equal(row_key(j, 0, 2, "c").ptr, row_key(j, 2, 2, "c").ptr);
    FAIL("[{\"a\":1,\"b\":2,\"c\":3},{\"a\":1,\"b\":2,\"b\":3}]");
    FAIL("[{\"a\":1,\"b\":2,\"c\":3},{\"a\":1,\"b\":2,\"c\":3,\"a\":4}]");
    /* Keys with an escape are never kept: the raw bytes of the next row are scanned as usual. */
    j = OK(&a, "[{\"a\\u0062\":1},{\"ab\":2},{\"ab\":3}]");
    assert_ptr_not_equal(row_key(j, 0, 0, "ab").ptr, row_key(j, 1, 0, "ab").ptr);
    assert_ptr_equal(row_key(j, 1, 0, "ab").ptr, row_key(j, 2, 0, "ab").ptr);
    /* Kept `a"` (from an escape) would take `"a"":` for the key `a"`: it is a syntax error. */
    FAIL("[{\"a\\\"\":1},{\"a\"\":1}]");
    FAIL("[{\"a\\\\\":1},{\"a\\\":1}]"); /* kept `a\`: `"a\":1}]` is an unterminated key */
    /* Each level keeps its own: nested rows share with the nested object of the row before. */
    j = OK(&a, "[{\"s\":{\"f\":1,\"g\":2},\"t\":3},{\"s\":{\"f\":4,\"g\":5},\"t\":6}]");
    assert_ptr_equal(row_key(j, 0, 1, "t").ptr, row_key(j, 1, 1, "t").ptr);
    const gw_jdoc_t *s0 = &j->u.items[0].u.members[0].value,
                    *s1 = &j->u.items[1].u.members[0].value;
    assert_ptr_equal(s0->u.members[1].key.ptr, s1->u.members[1].key.ptr);
    /* The text may end anywhere inside a key that starts like a kept one. */
    static const char *const cut[] = {"[{\"abc\":1},{\"", "[{\"abc\":1},{\"ab",
                                      "[{\"abc\":1},{\"abc", "[{\"abc\":1},{\"abc\"",
                                      "[{\"abc\":1},{\"abc\":"};
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++)
        fail_n(cut[i], strlen(cut[i]), DEPTH);
    gw_arena_free(&a);
}

/* Builds {"k0":0,...,"k<n-1>":n-1} plus, when `dup` >= 0, a last member "k<dup>". */
static size_t build_object(char *buf, size_t cap, int n, int dup)
{
    size_t len = 0;
    buf[len++] = '{';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s\"k%d\":%d", i ? "," : "", i, i);
    if (dup >= 0)
        len += (size_t)snprintf(buf + len, cap - len, ",\"k%d\":-1", dup);
    buf[len++] = '}';
    assert_true(len < cap);
    return len;
}

static void test_duplicate_keys_many(void **state)
{
    (void)state;
    char buf[2000];
    gw_arena_t a;
    gw_arena_init(&a, 0);
    /* Past the pairwise limit (sorted check) the error still points at the repeated key. */
    size_t n40 = build_object(buf, sizeof(buf), 40, 3);
    gw_jdoc_error_t e = fail_n(buf, n40, DEPTH);
    assert_int_equal(e.position, (size_t)(strstr(buf, ",\"k3\":-1") - buf) + 1);
    for (int n = 15; n <= 40; n++) {
        size_t len = build_object(buf, sizeof(buf), n, -1);
        const gw_jdoc_t *j = ok_n(&a, buf, len, DEPTH);
        assert_int_equal(j->n, (uint32_t)n);
        /* Duplicate the first, a middle and the last member, at the end. */
        len = build_object(buf, sizeof(buf), n, 0);
        fail_n(buf, len, DEPTH);
        len = build_object(buf, sizeof(buf), n, n / 2);
        fail_n(buf, len, DEPTH);
        len = build_object(buf, sizeof(buf), n, n - 1);
        fail_n(buf, len, DEPTH);
    }
    gw_arena_free(&a);
}

static void test_large_object(void **state)
{
    (void)state;
    enum { N = 5000 };
    size_t cap = (size_t)N * 32;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t len = build_object(buf, cap, N, -1);
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *j = ok_n(&a, buf, len, DEPTH);
    assert_int_equal(j->type, GW_JDOC_OBJECT);
    assert_int_equal(j->n, N);
    char key[32];
    uint32_t hint = 0;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_true(gw_slice_eq_str(j->u.members[i].key, key));
        const gw_jdoc_t *v = gw_jdoc_get(j, gw_slice(key), &hint);
        assert_non_null(v);
        assert_true(v->u.i == i);
        assert_int_equal(hint, (uint32_t)i + 1);
    }
    /* Backwards, without a hint (a few, to keep the test quick). */
    for (int i = N - 1; i >= 0; i -= 97) {
        snprintf(key, sizeof(key), "k%d", i);
        const gw_jdoc_t *v = gw_jdoc_get(j, gw_slice(key), NULL);
        assert_non_null(v);
        assert_true(v->u.i == i);
    }
    assert_null(gw_jdoc_get(j, KEY("k5000"), &hint));
    gw_arena_free(&a);
    /* The same object whose last key repeats the first one. */
    len = build_object(buf, cap, N - 1, 0);
    gw_jdoc_error_t err = fail_n(buf, len, DEPTH);
    assert_int_equal(err.too_deep, 0);
    len = build_object(buf, cap, N - 1, N / 2);
    fail_n(buf, len, DEPTH);
    free(buf);
}

/* ---- depth -------------------------------------------------------------- */

static void test_depth(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    ok_n(&a, "{\"a\":{\"b\":1}}", 13, 2);
    gw_jdoc_error_t err = fail_n("{\"a\":{\"b\":{\"c\":1}}}", 19, 2);
    assert_int_equal(err.too_deep, 1);
    /* The empty object is at level 2: nothing sits below it. */
    ok_n(&a, "{\"a\":{\"b\":{}}}", 14, 2);
    ok_n(&a, "{\"a\":{\"b\":[]}}", 14, 2);
    err = fail_n("{\"a\":{\"b\":[1]}}", 15, 2);
    assert_int_equal(err.too_deep, 1);
    err = fail_n("[[[[1]]]]", 9, 3);
    assert_int_equal(err.too_deep, 1);
    const gw_jdoc_t *j = ok_n(&a, "[[[[1]]]]", 9, 4);
    assert_true(j->u.items[0].u.items[0].u.items[0].u.items[0].u.i == 1);
    ok_n(&a, "[[[[]]]]", 8, 3);
    /* A syntax error that is not about depth says so. */
    err = fail_n("[[1,]]", 6, 3);
    assert_int_equal(err.too_deep, 0);
    gw_arena_free(&a);
}

/* max_depth 0: only the top-level value, which may be an empty container. */
static void test_depth_zero(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_arena_init(&a, 0);
    ok_n(&a, "1", 1, 0);
    ok_n(&a, "\"s\"", 3, 0);
    ok_n(&a, "[]", 2, 0);
    ok_n(&a, "{}", 2, 0);
    assert_int_equal(fail_n("[1]", 3, 0).too_deep, 1);
    assert_int_equal(fail_n("{\"a\":1}", 7, 0).too_deep, 1);
    gw_arena_free(&a);
}

static void test_depth_huge(void **state)
{
    (void)state;
    enum { N = 100000 };
    char *buf = malloc(2 * N + 1);
    assert_non_null(buf);
    memset(buf, '[', N);
    gw_jdoc_error_t err = fail_n(buf, N, 32);
    assert_int_equal(err.too_deep, 1);
    /* Balanced, and with objects. */
    buf[N / 2] = '1';
    memset(buf + N / 2 + 1, ']', N / 2);
    err = fail_n(buf, N + 1, 32);
    assert_int_equal(err.too_deep, 1);
    size_t len = 0;
    for (int i = 0; i < N / 8; i++) {
        memcpy(buf + len, "{\"a\":", 5);
        len += 5;
    }
    err = fail_n(buf, len, 32);
    assert_int_equal(err.too_deep, 1);
    /* A depth just within the limit parses. */
    gw_arena_t a;
    gw_arena_init(&a, 0);
    memset(buf, '[', 33);
    memset(buf + 33, ']', 33);
    ok_n(&a, buf, 66, 32);
    err = fail_n(buf, 66, 31);
    assert_int_equal(err.too_deep, 1);
    /* The largest limits.json_depth the configuration allows. */
    memset(buf, '[', 1025);
    memset(buf + 1025, ']', 1025);
    ok_n(&a, buf, 2050, 1024);
    err = fail_n(buf, 2050, 1023);
    assert_int_equal(err.too_deep, 1);
    gw_arena_free(&a);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_reals),
        cmocka_unit_test(test_reals_exact),
        cmocka_unit_test(test_integer_out_of_range),
        cmocka_unit_test(test_real_overflow),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_string_unicode_escapes),
        cmocka_unit_test(test_string_nul),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_objects),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_get_hint),
        cmocka_unit_test(test_type_name),
        cmocka_unit_test(test_inline_helpers),
        cmocka_unit_test(test_independent_of_text),
        cmocka_unit_test(test_arena_limit),
        cmocka_unit_test(test_error_at_end),
        cmocka_unit_test(test_error_line_column),
        cmocka_unit_test(test_error_column_utf8),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_string_errors),
        cmocka_unit_test(test_utf8_errors),
        cmocka_unit_test(test_error_text_ascii),
        cmocka_unit_test(test_nul_outside_string),
        cmocka_unit_test(test_trailing_text),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_kept_keys),
        cmocka_unit_test(test_duplicate_keys_many),
        cmocka_unit_test(test_large_object),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_depth_zero),
        cmocka_unit_test(test_depth_huge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
