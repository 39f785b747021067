/*
 * Unit tests of codec/: JSON → RFC values checked against metadata (every
 * type, every error with its JSON Pointer), RFC values → JSON text (every
 * type and option; every output must parse), the JSON Schema description,
 * and round-trip properties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/codec.h"
#include "error/error.h"

#include "rfc_eq.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x)                                                                                       \
    {                                                                                              \
        x, sizeof(x) - 1                                                                           \
    }

/* ---- types of the test function ---------------------------------------- */

static const gw_rfc_typedesc_t char1 = {.type = GW_RFC_CHAR, .length = 1};
static const gw_rfc_typedesc_t char4 = {.type = GW_RFC_CHAR, .length = 4};
static const gw_rfc_typedesc_t char10 = {.type = GW_RFC_CHAR, .length = 10};
static const gw_rfc_typedesc_t string_t = {.type = GW_RFC_STRING};
static const gw_rfc_typedesc_t xstring_t = {.type = GW_RFC_XSTRING};
static const gw_rfc_typedesc_t raw4 = {.type = GW_RFC_RAW, .length = 4};
static const gw_rfc_typedesc_t num10 = {.type = GW_RFC_NUM, .length = 10};
static const gw_rfc_typedesc_t date_t = {.type = GW_RFC_DATE, .length = 8};
static const gw_rfc_typedesc_t time_t_ = {.type = GW_RFC_TIME, .length = 6};
static const gw_rfc_typedesc_t bcd82 = {.type = GW_RFC_BCD, .length = 8, .decimals = 2};
static const gw_rfc_typedesc_t bcd30 = {.type = GW_RFC_BCD, .length = 3, .decimals = 0};
static const gw_rfc_typedesc_t decf16 = {.type = GW_RFC_DECF16, .length = 8};
static const gw_rfc_typedesc_t decf34 = {.type = GW_RFC_DECF34, .length = 16};
static const gw_rfc_typedesc_t int1 = {.type = GW_RFC_INT1, .length = 1};
static const gw_rfc_typedesc_t int2 = {.type = GW_RFC_INT2, .length = 2};
static const gw_rfc_typedesc_t int4 = {.type = GW_RFC_INT4, .length = 4};
static const gw_rfc_typedesc_t int8 = {.type = GW_RFC_INT8, .length = 8};
static const gw_rfc_typedesc_t float_t_ = {.type = GW_RFC_FLOAT, .length = 8};

static const gw_rfc_fielddesc_t rfctest_fields[] = {
    {S("RFCFLOAT"), &float_t_}, {S("RFCCHAR1"), &char1},  {S("RFCINT2"), &int2},
    {S("RFCINT1"), &int1},      {S("RFCCHAR4"), &char4},  {S("RFCINT4"), &int4},
    {S("RFCHEX3"), &raw4},      {S("RFCTIME"), &time_t_}, {S("RFCDATE"), &date_t},
    {S("RFCNUM"), &num10},      {S("RFCBCD"), &bcd82},
};
static const gw_rfc_typedesc_t rfctest = {.type = GW_RFC_STRUCTURE,
                                          .name = S("RFCTEST"),
                                          .nfields = GW_ARRAY_SIZE(rfctest_fields),
                                          .fields = rfctest_fields};
static const gw_rfc_typedesc_t rfctest_tab = {.type = GW_RFC_TABLE, .line = &rfctest};
static const gw_rfc_typedesc_t int4_tab = {.type = GW_RFC_TABLE, .line = &int4};
static const gw_rfc_typedesc_t date_tab = {.type = GW_RFC_TABLE, .line = &date_t};

/* deep: DEEP { NAME, ITEMS: table of { TEXT: STRING, N: INT4 } } */
static const gw_rfc_fielddesc_t item_fields[] = {{S("TEXT"), &string_t}, {S("N"), &int4}};
static const gw_rfc_typedesc_t item = {
    .type = GW_RFC_STRUCTURE, .name = S("ITEM"), .nfields = 2, .fields = item_fields};
static const gw_rfc_typedesc_t item_tab = {.type = GW_RFC_TABLE, .line = &item};
static const gw_rfc_fielddesc_t deep_fields[] = {{S("NAME"), &char10}, {S("ITEMS"), &item_tab}};
static const gw_rfc_typedesc_t deep = {
    .type = GW_RFC_STRUCTURE, .name = S("DEEP"), .nfields = 2, .fields = deep_fields};

static const gw_rfc_param_t params[] = {
    {.name = S("C10"), .direction = GW_RFC_IMPORTING, .optional = 0, .type = &char10},
    {.name = S("S"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &string_t},
    {.name = S("N10"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &num10},
    {.name = S("D"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &date_t},
    {.name = S("T"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &time_t_},
    {.name = S("P"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &bcd82},
    {.name = S("P0"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &bcd30},
    {.name = S("DF16"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &decf16},
    {.name = S("DF34"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &decf34},
    {.name = S("I1"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &int1},
    {.name = S("I2"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &int2},
    {.name = S("I4"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &int4},
    {.name = S("I8"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &int8},
    {.name = S("F"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &float_t_},
    {.name = S("X"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &xstring_t},
    {.name = S("R4"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &raw4},
    {.name = S("IMPORTSTRUCT"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &rfctest},
    {.name = S("DEEP"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &deep},
    {.name = S("A/B"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &char10},
    {.name = S("MDATE"), .direction = GW_RFC_IMPORTING, .optional = 0, .type = &date_t},
    {.name = S("CH"), .direction = GW_RFC_CHANGING, .optional = 1, .type = &int4},
    {.name = S("RFCTABLE"), .direction = GW_RFC_TABLES, .optional = 1, .type = &rfctest_tab},
    {.name = S("ITAB"), .direction = GW_RFC_TABLES, .optional = 1, .type = &int4_tab},
    {.name = S("DTAB"), .direction = GW_RFC_TABLES, .optional = 1, .type = &date_tab},
    {.name = S("OUT"),
     .direction = GW_RFC_EXPORTING,
     .type = &char10,
     .text = S("Echo of C10"),
     .default_value = S("")},
    {.name = S("ECHOSTRUCT"), .direction = GW_RFC_EXPORTING, .type = &rfctest},
};
static const gw_rfc_func_t func = {
    .name = S("Z_TEST"), .nparams = GW_ARRAY_SIZE(params), .params = params};

/* ---- input helpers ------------------------------------------------------ */

typedef struct {
    gw_arena_t a;
    gw_codec_errors_t errs;
    gw_rfc_field_t *out;
    uint32_t n;
    const gw_jdoc_t *body;
} fx_t;

/* Parses test JSON (any value) into the arena; fails the test when it does not parse. */
static const gw_jdoc_t *jd(gw_arena_t *a, const char *text)
{
    const gw_jdoc_t *j;
    gw_jdoc_error_t jerr;
    if (gw_jdoc_parse(a, text, strlen(text), 64, &j, &jerr) != 0)
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    return j;
}

/* Wraps `members` (a JSON object's inside) with the two mandatory parameters unless present. */
static char *with_mandatory(const char *members)
{
    char *s = malloc(strlen(members) + 64);
    assert_non_null(s);
    strcpy(s, "{");
    strcat(s, members);
    if (strstr(members, "\"C10\"") == NULL)
        strcat(s, s[1] ? ",\"C10\":\"x\"" : "\"C10\":\"x\"");
    if (strstr(members, "\"MDATE\"") == NULL)
        strcat(s, ",\"MDATE\":null");
    strcat(s, "}");
    return s;
}

static int convert_opts(fx_t *fx, const char *json, const gw_codec_opts_t *o, size_t max)
{
    gw_arena_init(&fx->a, 0);
    assert_int_equal(gw_codec_errors_init(&fx->a, &fx->errs, max), 0);
    fx->body = jd(&fx->a, json);
    return gw_codec_params_read(&fx->a, &func, fx->body, o, &fx->out, &fx->n, &fx->errs);
}

/* Converts {members} plus the mandatory parameters. */
static int convert_with(fx_t *fx, const char *members, const gw_codec_opts_t *o)
{
    char *json = with_mandatory(members);
    int ret = convert_opts(fx, json, o, 20);
    free(json);
    return ret;
}

static void done(fx_t *fx)
{
    gw_arena_free(&fx->a);
}

static const gw_rfc_value_t *get(const fx_t *fx, const char *name)
{
    const gw_rfc_field_t *f = gw_rfc_fields_find(fx->out, fx->n, gw_slice(name));
    if (f == NULL)
        fail_msg("parameter %s not converted", name);
    return &f->value;
}

static void dump_errors(const fx_t *fx)
{
    for (size_t i = 0; i < fx->errs.n; i++)
        print_message("  %s: %s\n", fx->errs.items[i].pointer, fx->errs.items[i].reason);
}

/* {members} converts cleanly and parameter `name` has text `text`. */
static void expect_text_o(const char *members, const char *name, const char *text,
                          const gw_codec_opts_t *o)
{
    fx_t fx;
    int ret = convert_with(&fx, members, o);
    if (ret != 0) {
        dump_errors(&fx);
        fail_msg("%s: conversion failed (%d)", members, ret);
    }
    const gw_rfc_value_t *v = get(&fx, name);
    if (!gw_slice_eq_str(v->u.s, text))
        fail_msg("%s: got '%.*s', want '%s'", members, (int)v->u.s.len, v->u.s.ptr, text);
    done(&fx);
}

static void expect_text(const char *members, const char *name, const char *text)
{
    expect_text_o(members, name, text, NULL);
}

static void expect_int(const char *members, const char *name, int64_t x)
{
    fx_t fx;
    if (convert_with(&fx, members, NULL) != 0) {
        dump_errors(&fx);
        fail_msg("%s: conversion failed", members);
    }
    assert_int_equal(get(&fx, name)->u.i, x);
    done(&fx);
}

/* {members} (plus mandatory) gives exactly one error at `pointer` whose reason contains `part`. */
static void expect_error_o(const char *members, const char *pointer, const char *part,
                           const gw_codec_opts_t *o)
{
    fx_t fx;
    int ret = convert_with(&fx, members, o);
    if (ret != GW_EPARAM || fx.errs.n != 1) {
        dump_errors(&fx);
        fail_msg("%s: want one error at %s, got ret %d with %zu errors", members, pointer, ret,
                 fx.errs.n);
    }
    assert_string_equal(fx.errs.items[0].pointer, pointer);
    if (strstr(fx.errs.items[0].reason, part) == NULL)
        fail_msg("%s: '%s' not in '%s'", members, part, fx.errs.items[0].reason);
    assert_null(fx.out);
    done(&fx);
}

static void expect_error(const char *members, const char *pointer, const char *part)
{
    expect_error_o(members, pointer, part, NULL);
}

/* ---- input: per type ---------------------------------------------------- */

static void test_char_and_string_in(void **state)
{
    fx_t fx;
    (void)state;
    /* CHAR 10 holds ten characters even when their UTF-8 is longer (ABAP counts UTF-16). */
    assert_int_equal(convert_with(&fx, "\"C10\":\"ÄÖÜäöüßéèê\",\"S\":\"  keep  \"", NULL), 0);
    const gw_rfc_value_t *c = get(&fx, "C10");
    assert_int_equal(c->type, GW_RFC_CHAR);
    assert_true(gw_slice_eq_str(c->u.s, "ÄÖÜäöüßéèê"));
    assert_true(gw_slice_eq_str(get(&fx, "S")->u.s, "  keep  ")); /* STRING blanks are data */
    assert_int_equal(get(&fx, "S")->type, GW_RFC_STRING);
    /* Text values point at the parsed body's strings (one arena): no second copy. */
    assert_ptr_equal(c->u.s.ptr, gw_jdoc_get(fx.body, GW_SLICE_LIT("C10"), NULL)->u.s);
    done(&fx);

    expect_text("\"C10\":\"\"", "C10", "");
    expect_text("\"S\":\"\"", "S", "");
    /* Trailing blanks of CHAR carry no data: they neither count nor travel. */
    expect_text("\"C10\":\"0123456789   \"", "C10", "0123456789");
    expect_text("\"C10\":\"  a\"", "C10", "  a");
    expect_error("\"C10\":\"12345678901\"", "/C10",
                 "is 11 characters long; CHAR 10 holds at most 10");
    expect_error("\"C10\":\"ÄÖÜäöüßéèêx\"", "/C10", "11 characters");
    expect_error("\"C10\":\"😀😀😀😀😀x\"", "/C10", "11 characters"); /* surrogate pairs: 2 each */
    expect_error("\"C10\":\"a\\u0000b\"", "/C10", "NUL");
    expect_error("\"S\":\"a\\u0000\"", "/S", "contains a NUL character");
    expect_error("\"C10\":12", "/C10", "expected a string, got a number");
    expect_error("\"S\":true", "/S", "expected a string, got a boolean");
    expect_error("\"S\":[]", "/S", "expected a string, got an array");
    expect_error("\"A/B\":1", "/A~1B", "expected a string");
}

static void test_utf16_length(void **state)
{
    (void)state;
    assert_int_equal(gw_codec_utf16_len(gw_slice("abc")), 3);
    assert_int_equal(gw_codec_utf16_len(gw_slice("ÄÖÜ")), 3);
    assert_int_equal(gw_codec_utf16_len(gw_slice("€")), 1);
    assert_int_equal(gw_codec_utf16_len(gw_slice("😀")), 2); /* surrogate pair */
    assert_int_equal(gw_codec_utf16_len(gw_slice("")), 0);
    /* ASCII runs go eight bytes at a time: against a byte-wise count, every lead byte kind at
     * every position of texts up to 40 bytes, in buffers of exactly their length. */
    static const char *const kinds[] = {"a", "\xc3\x84", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    for (size_t len = 0; len <= 40; len++) {
        for (size_t k = 0; k < 4; k++) {
            for (size_t pos = 0; pos + strlen(kinds[k]) <= len; pos++) {
                char *buf = malloc(len ? len : 1);
                assert_non_null(buf);
                memset(buf, 'x', len);
                memcpy(buf + pos, kinds[k], strlen(kinds[k]));
                size_t want = 0;
                for (size_t i = 0; i < len; i++)
                    want += ((unsigned char)buf[i] & 0xc0) == 0x80 ? 0
                            : (unsigned char)buf[i] >= 0xf0        ? 2
                                                                   : 1;
                assert_int_equal(gw_codec_utf16_len((gw_slice_t){buf, len}), want);
                free(buf);
            }
        }
    }
}

static void test_num_in(void **state)
{
    (void)state;
    expect_text("\"N10\":\"123\"", "N10", "0000000123");
    expect_text("\"N10\":\"0000000123\"", "N10", "0000000123");
    expect_text("\"N10\":\"9999999999\"", "N10", "9999999999");
    expect_text("\"N10\":42", "N10", "0000000042");
    expect_text("\"N10\":0", "N10", "0000000000");
    expect_error("\"N10\":\"12a\"", "/N10", "NUM 10 takes only the digits 0-9");
    expect_error("\"N10\":\"-1\"", "/N10", "only the digits");
    expect_error("\"N10\":\" 1\"", "/N10", "only the digits");
    expect_error("\"N10\":\"12345678901\"", "/N10", "has 11 digits; NUM 10 holds at most 10");
    expect_error("\"N10\":12345678901", "/N10", "has 11 digits");
    expect_error("\"N10\":-1", "/N10", "-1 is negative");
    expect_error("\"N10\":\"\"", "/N10", "is empty");
    expect_error("\"N10\":1.5", "/N10", "expected a string of digits or a non-negative integer");
    expect_error("\"N10\":\"1\\u00002\"", "/N10", "NUL");
}

static void test_date_in(void **state)
{
    (void)state;
    gw_codec_opts_t sap = gw_codec_opts_default();
    sap.date_format = GW_CODEC_FMT_SAP;
    gw_codec_opts_t nonull = gw_codec_opts_default();
    nonull.initial_date_null = 0;

    expect_text("\"D\":\"2024-02-29\"", "D", "20240229");
    expect_text("\"D\":\"2000-02-29\"", "D", "20000229");
    expect_text("\"D\":\"9999-12-31\"", "D", "99991231");
    expect_text("\"D\":\"0001-01-01\"", "D", "00010101");
    expect_text("\"D\":null", "D", "00000000");
    expect_text("\"D\":\"0000-00-00\"", "D", "00000000");
    expect_text("\"MDATE\":\"2024-01-31\"", "MDATE", "20240131");
    expect_text("", "MDATE", "00000000"); /* with_mandatory sends MDATE: null */
    expect_error("\"D\":\"2023-02-30\"", "/D", "2023-02-30 is not a valid date");
    expect_error("\"D\":\"2023-02-29\"", "/D", "not a valid date");
    expect_error("\"D\":\"1900-02-29\"", "/D", "not a valid date");
    expect_error("\"D\":\"2023-13-01\"", "/D", "not a valid date");
    expect_error("\"D\":\"2023-00-10\"", "/D", "not a valid date");
    expect_error("\"D\":\"2023-04-31\"", "/D", "not a valid date");
    expect_error("\"D\":\"0000-01-01\"", "/D", "not a valid date");
    expect_error("\"D\":\"20230101\"", "/D", "is not a date in the format YYYY-MM-DD");
    expect_error("\"D\":\"2023-1-01\"", "/D", "YYYY-MM-DD");
    expect_error("\"D\":\"2023-01-01T00:00:00Z\"", "/D", "YYYY-MM-DD");
    expect_error("\"D\":20230101", "/D", "expected a string, got a number");
    /* Only the configured format is accepted. */
    expect_text_o("\"D\":\"20240229\"", "D", "20240229", &sap);
    expect_error_o("\"D\":\"2024-02-29\"", "/D", "is not a date in the format YYYYMMDD", &sap);
    expect_error_o("\"D\":\"20240230\"", "/D", "20240230 is not a valid date", &sap);
    /* Without initial_date_null, null is "not sent" (optional) or an error (mandatory). */
    expect_error_o("\"D\":\"2024-01-01\",\"MDATE\":null", "/MDATE", "mandatory parameter is null",
                   &nonull);
    fx_t fx;
    assert_int_equal(convert_with(&fx, "\"D\":null,\"MDATE\":\"0000-00-00\"", &nonull), 0);
    assert_null(gw_rfc_fields_find(fx.out, fx.n, gw_slice("D")));
    assert_true(gw_slice_eq_str(get(&fx, "MDATE")->u.s, "00000000"));
    done(&fx);
}

static void test_time_in(void **state)
{
    (void)state;
    gw_codec_opts_t sap = gw_codec_opts_default();
    sap.time_format = GW_CODEC_FMT_SAP;
    expect_text("\"T\":\"24:00:00\"", "T", "240000");
    expect_text("\"T\":\"00:00:00\"", "T", "000000");
    expect_text("\"T\":\"23:59:59\"", "T", "235959");
    expect_error("\"T\":\"25:00:00\"", "/T", "25:00:00 is not a valid time (00:00:00 to 24:00:00)");
    expect_error("\"T\":\"24:00:01\"", "/T", "not a valid time");
    expect_error("\"T\":\"12:60:00\"", "/T", "not a valid time");
    expect_error("\"T\":\"12:00:60\"", "/T", "not a valid time");
    expect_error("\"T\":\"120000\"", "/T", "is not a time in the format HH:MM:SS");
    expect_error("\"T\":\"12:00\"", "/T", "HH:MM:SS");
    expect_error("\"RFCTABLE\":[{\"RFCTIME\":null},{\"RFCTIME\":[]}]", "/RFCTABLE/1/RFCTIME",
                 "expected a string, got an array"); /* null field: initial; TIME is never null */
    fx_t fx;                                         /* an optional TIME sent as null is not sent */
    assert_int_equal(convert_with(&fx, "\"T\":null", NULL), 0);
    assert_null(gw_rfc_fields_find(fx.out, fx.n, gw_slice("T")));
    done(&fx);
    expect_text_o("\"T\":\"240000\"", "T", "240000", &sap);
    expect_error_o("\"T\":\"12:00:00\"", "/T", "is not a time in the format HHMMSS", &sap);
    expect_error_o("\"T\":\"250000\"", "/T", "not a valid time (000000 to 240000)", &sap);
}

static void test_bcd_in(void **state)
{
    (void)state;
    expect_text("\"P\":\"-0.01\"", "P", "-0.01");
    expect_text("\"P\":\"12.5\"", "P", "12.50");
    expect_text("\"P\":\"12\"", "P", "12.00");
    expect_text("\"P\":\"0\"", "P", "0.00");
    expect_text("\"P\":\"-0\"", "P", "0.00");
    expect_text("\"P\":\"-0.00\"", "P", "0.00");
    expect_text("\"P\":\"0012.10\"", "P", "12.10");
    expect_text("\"P\":\"12.500\"", "P", "12.50"); /* extra zero decimals lose nothing */
    expect_text("\"P\":\"9999999999999.99\"", "P", "9999999999999.99"); /* 15 digits */
    expect_text("\"P\":\"-9999999999999.99\"", "P", "-9999999999999.99");
    expect_text("\"P0\":\"12345\"", "P0", "12345");
    expect_text("\"P0\":\"-12345.000\"", "P0", "-12345");
    expect_error("\"P\":\"12.505\"", "/P",
                 "has 3 decimals; BCD 8 with 2 decimals allows at most 2");
    expect_error("\"P\":\"99999999999999.99\"", "/P",
                 "has 14 integer digits; BCD 8 with 2 decimals holds at most 13");
    expect_error("\"P0\":\"123456\"", "/P0", "has 6 integer digits; BCD 3 with 0 decimals");
    expect_error("\"P0\":\"1.5\"", "/P0", "has 1 decimals");
    expect_error("\"P\":\"1e3\"", "/P", "exponent notation is not accepted for BCD");
    expect_error("\"P\":\"1.5E+2\"", "/P", "exponent notation");
    static const char *const junk[] = {"\"\"",    "\"1.2.3\"", "\" 1\"",  "\"1 \"",
                                       "\"+1\"",  "\".5\"",    "\"5.\"",  "\"1,5\"",
                                       "\"abc\"", "\"-\"",     "\"0x10\""};
    for (size_t i = 0; i < GW_ARRAY_SIZE(junk); i++) {
        char m[64];
        snprintf(m, sizeof(m), "\"P\":%s", junk[i]);
        expect_error(m, "/P", "is not a decimal number");
    }
    expect_error("\"P\":true", "/P", "expected a decimal string or a number, got a boolean");
    expect_error("\"P\":\"1\\u0000\"", "/P", "NUL");
}

static void test_decimal_exactness(void **state)
{
    (void)state;
    /* JSON numbers are accepted only when the double is exactly what was typed. */
    expect_text("\"P\":12.5", "P", "12.50");
    expect_text("\"P\":-0.01", "P", "-0.01");
    expect_text("\"P\":100", "P", "100.00");  /* json_integer: always exact */
    expect_text("\"P\":1e3", "P", "1000.00"); /* a real, but exactly 1000 */
    expect_text("\"P\":0.1", "P", "0.10");
    expect_text("\"P\":9999999999999.99", "P", "9999999999999.99"); /* 15 digits: exact */
    expect_text("\"P\":-0.0", "P", "0.00");
    expect_error("\"P\":12345678901234567.89", "/P", "send decimals as strings: ");
    expect_error("\"P\":12345678901234567.89", "/P", "cannot be represented exactly");
    expect_error("\"P\":0.1234567890123456789", "/P", "send decimals as strings");
    expect_error("\"P\":1e-5", "/P", "has 5 decimals");
    expect_error("\"P\":1e300", "/P", "integer digits");
    expect_text("\"DF16\":0.1", "DF16", "0.1");
    expect_text("\"DF16\":-2.5e-7", "DF16", "-0.00000025");
    expect_text("\"DF34\":1e300", "DF34", "1E+300");
    expect_text("\"DF16\":123", "DF16", "123");
    expect_error("\"DF34\":3.141592653589793238", "/DF34", "send decimals as strings");
}

static void test_decf_in(void **state)
{
    (void)state;
    expect_text("\"DF16\":\"1.5E+10\"", "DF16", "1.5E+10"); /* validated, sent as given */
    expect_text("\"DF16\":\"-0.000123\"", "DF16", "-0.000123");
    expect_text("\"DF16\":\"1234567890123456\"", "DF16", "1234567890123456");
    expect_text("\"DF16\":\"0.000000000000000000001234567890123456\"", "DF16",
                "0.000000000000000000001234567890123456");
    expect_text("\"DF16\":\"9.999999999999999E+384\"", "DF16", "9.999999999999999E+384");
    expect_text("\"DF16\":\"1E-398\"", "DF16", "1E-398");
    expect_text("\"DF16\":\"0E+9999\"", "DF16", "0E+9999");
    expect_text("\"DF34\":\"1234567890123456789012345678901234\"", "DF34",
                "1234567890123456789012345678901234");
    expect_text("\"DF34\":\"1e6144\"", "DF34", "1e6144");
    expect_error("\"DF16\":\"12345678901234567\"", "/DF16",
                 "has 17 significant digits; DECF16 holds at most 16");
    expect_error("\"DF16\":\"1.0000000000000000\"", "/DF16", "17 significant digits");
    expect_error("\"DF34\":\"12345678901234567890123456789012345\"", "/DF34",
                 "35 significant digits; DECF34 holds at most 34");
    expect_error("\"DF16\":\"1E+385\"", "/DF16", "is out of the range of DECF16");
    expect_error("\"DF16\":\"1E-399\"", "/DF16", "out of the range");
    expect_error("\"DF34\":\"1E+6145\"", "/DF34", "out of the range of DECF34");
    expect_error("\"DF16\":\"1.5E\"", "/DF16", "is not a decimal number");
    expect_error("\"DF16\":\"Infinity\"", "/DF16", "is not a decimal number");
    expect_error("\"DF16\":\"NaN\"", "/DF16", "is not a decimal number");
    expect_error("\"DF16\":[1]", "/DF16", "expected a decimal string or a number, got an array");
}

static void test_int_in(void **state)
{
    (void)state;
    expect_int("\"I1\":0", "I1", 0);
    expect_int("\"I1\":255", "I1", 255);
    expect_int("\"I2\":-32768", "I2", -32768);
    expect_int("\"I2\":32767", "I2", 32767);
    expect_int("\"I4\":-2147483648", "I4", INT32_MIN);
    expect_int("\"I4\":2147483647", "I4", INT32_MAX);
    expect_int("\"I4\":3.0", "I4", 3); /* an integral real is an integer */
    expect_int("\"CH\":-7", "CH", -7);
    expect_int("\"I8\":-9223372036854775808", "I8", INT64_MIN);
    expect_int("\"I8\":9223372036854775807", "I8", INT64_MAX);
    expect_int("\"I8\":\"9223372036854775807\"", "I8", INT64_MAX);
    expect_int("\"I8\":\"-9223372036854775808\"", "I8", INT64_MIN);
    expect_int("\"I8\":\"0\"", "I8", 0);
    expect_error("\"I1\":256", "/I1", "256 is out of range for INT1 (0 to 255)");
    expect_error("\"I1\":-1", "/I1", "-1 is out of range for INT1");
    expect_error("\"I2\":32768", "/I2", "out of range for INT2 (-32768 to 32767)");
    expect_error("\"I2\":-32769", "/I2", "out of range for INT2");
    expect_error("\"I4\":2147483648", "/I4", "out of range for INT4");
    expect_error("\"I4\":-2147483649", "/I4", "out of range for INT4");
    expect_error("\"I4\":1.5", "/I4", "expected an integer, got 1.5");
    expect_error("\"I4\":1e300", "/I4", "expected an integer");
    expect_error("\"I4\":\"5\"", "/I4", "expected an integer, got a string");
    expect_error("\"I8\":\"9223372036854775808\"", "/I8", "is out of range for INT8");
    expect_error("\"I8\":\"-9223372036854775809\"", "/I8", "is out of range for INT8");
    expect_error("\"I8\":\"12x\"", "/I8", "is not an integer");
    expect_error("\"I8\":\"\"", "/I8", "is not an integer");
    expect_error("\"I8\":\"1.0\"", "/I8", "is not an integer");
    expect_error("\"I8\":false", "/I8", "expected an integer or a string of an integer");
}

static void test_float_in(void **state)
{
    fx_t fx;
    (void)state;
    assert_int_equal(convert_with(&fx, "\"F\":0.1", NULL), 0);
    assert_true(get(&fx, "F")->u.f == 0.1);
    done(&fx);
    assert_int_equal(convert_with(&fx, "\"F\":-5", NULL), 0);
    assert_true(get(&fx, "F")->u.f == -5.0);
    done(&fx);
    assert_int_equal(convert_with(&fx, "\"F\":1.7976931348623157e308", NULL), 0);
    assert_true(get(&fx, "F")->u.f == 1.7976931348623157e308);
    done(&fx);
    expect_error("\"F\":\"1.5\"", "/F", "expected a number, got a string");
}

static void test_binary_in(void **state)
{
    fx_t fx;
    (void)state;
    assert_int_equal(convert_with(&fx, "\"X\":\"AQID\",\"R4\":\"AAEC/w==\"", NULL), 0);
    assert_int_equal(get(&fx, "X")->u.s.len, 3);
    assert_memory_equal(get(&fx, "X")->u.s.ptr, "\x01\x02\x03", 3);
    assert_int_equal(get(&fx, "R4")->u.s.len, 4);
    assert_memory_equal(get(&fx, "R4")->u.s.ptr, "\x00\x01\x02\xff", 4);
    done(&fx);
    assert_int_equal(convert_with(&fx, "\"X\":\"\",\"R4\":\"AQ==\"", NULL), 0);
    assert_int_equal(get(&fx, "X")->u.s.len, 0);
    assert_int_equal(get(&fx, "R4")->u.s.len, 1); /* shorter RAW: ABAP pads with 0x00 */
    done(&fx);
    expect_text("\"X\":\"YWI=\"", "X", "ab");
    static const char *const bad[] = {
        "AQI", "A===", "AQ=D", "AQ I", "AR==", "!!!!", "AQ==AQ==", "AQID\\n", "A", "YW=="};
    for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
        char m[64];
        snprintf(m, sizeof(m), "\"X\":\"%s\"", bad[i]);
        expect_error(m, "/X", "invalid base64");
    }
    expect_error("\"R4\":\"AQIDBAU=\"", "/R4", "is 5 bytes; RAW 4 holds at most 4");
    expect_error("\"X\":1", "/X", "expected a string, got a number");
}

/* ---- input: structures, tables, nesting ---------------------------------- */

static void test_struct_in(void **state)
{
    fx_t fx;
    (void)state;
    /* Given fields only, in description order; JSON order does not matter. */
    assert_int_equal(convert_with(&fx,
                                  "\"IMPORTSTRUCT\":{\"RFCDATE\":\"2024-05-01\",\"RFCINT1\":7,"
                                  "\"RFCCHAR4\":\"ab  \",\"RFCBCD\":\"1.5\",\"RFCINT2\":null}",
                                  NULL),
                     0);
    const gw_rfc_value_t *st = get(&fx, "IMPORTSTRUCT");
    assert_int_equal(st->type, GW_RFC_STRUCTURE);
    assert_int_equal(st->u.st.count, 4);
    assert_true(gw_slice_eq_str(st->u.st.fields[0].name, "RFCINT1"));
    assert_int_equal(st->u.st.fields[0].value.u.i, 7);
    assert_true(gw_slice_eq_str(st->u.st.fields[1].value.u.s, "ab"));
    assert_true(gw_slice_eq_str(st->u.st.fields[2].name, "RFCDATE"));
    assert_true(gw_slice_eq_str(st->u.st.fields[2].value.u.s, "20240501"));
    assert_true(gw_slice_eq_str(st->u.st.fields[3].value.u.s, "1.50"));
    done(&fx);
    assert_int_equal(convert_with(&fx, "\"IMPORTSTRUCT\":{}", NULL), 0);
    assert_int_equal(get(&fx, "IMPORTSTRUCT")->u.st.count, 0);
    done(&fx);

    expect_error("\"IMPORTSTRUCT\":{\"RFCINT1\":300}", "/IMPORTSTRUCT/RFCINT1", "out of range");
    expect_error("\"IMPORTSTRUCT\":{\"NOPE\":1}", "/IMPORTSTRUCT/NOPE",
                 "RFCTEST has no field of this name");
    expect_error("\"IMPORTSTRUCT\":{\"rfcint1\":1}", "/IMPORTSTRUCT/rfcint1",
                 "(did you mean RFCINT1?)");
    expect_error("\"IMPORTSTRUCT\":[]", "/IMPORTSTRUCT", "expected an object, got an array");
    expect_error("\"IMPORTSTRUCT\":\"x\"", "/IMPORTSTRUCT", "expected an object, got a string");
}

static void test_table_in(void **state)
{
    fx_t fx;
    (void)state;
    assert_int_equal(convert_with(&fx,
                                  "\"RFCTABLE\":[{\"RFCINT4\":1},{\"RFCCHAR1\":\"A\","
                                  "\"RFCDATE\":null,\"RFCINT4\":2}],\"ITAB\":[1,-2,3],"
                                  "\"DTAB\":[null,\"2024-01-01\"]",
                                  NULL),
                     0);
    const gw_rfc_value_t *t = get(&fx, "RFCTABLE");
    assert_int_equal(t->type, GW_RFC_TABLE);
    assert_int_equal(t->u.tab.count, 2);
    /* Every row carries every field in description order, missing ones initial. */
    for (uint32_t r = 0; r < 2; r++) {
        const gw_rfc_value_t *row = &t->u.tab.rows[r];
        assert_int_equal(row->type, GW_RFC_STRUCTURE);
        assert_int_equal(row->u.st.count, GW_ARRAY_SIZE(rfctest_fields));
        for (size_t i = 0; i < GW_ARRAY_SIZE(rfctest_fields); i++) {
            assert_true(gw_slice_eq(row->u.st.fields[i].name, rfctest_fields[i].name));
            assert_int_equal(row->u.st.fields[i].value.type, rfctest_fields[i].type->type);
        }
        assert_int_equal(row->u.st.fields[5].value.u.i, (int64_t)r + 1);
    }
    const gw_rfc_field_t *f0 = t->u.tab.rows[0].u.st.fields;
    assert_true(f0[0].value.u.f == 0.0);
    assert_true(gw_slice_eq_str(f0[1].value.u.s, ""));
    assert_true(gw_slice_eq_str(f0[7].value.u.s, "000000"));
    assert_true(gw_slice_eq_str(f0[8].value.u.s, "00000000"));
    assert_true(gw_slice_eq_str(f0[9].value.u.s, "0000000000"));
    assert_true(gw_slice_eq_str(f0[10].value.u.s, "0.00"));
    assert_true(gw_slice_eq_str(t->u.tab.rows[1].u.st.fields[1].value.u.s, "A"));
    const gw_rfc_value_t *it = get(&fx, "ITAB");
    assert_int_equal(it->u.tab.count, 3);
    assert_int_equal(it->u.tab.rows[1].type, GW_RFC_INT4);
    assert_int_equal(it->u.tab.rows[1].u.i, -2);
    const gw_rfc_value_t *dt = get(&fx, "DTAB");
    assert_true(gw_slice_eq_str(dt->u.tab.rows[0].u.s, "00000000"));
    assert_true(gw_slice_eq_str(dt->u.tab.rows[1].u.s, "20240101"));
    done(&fx);

    assert_int_equal(convert_with(&fx, "\"RFCTABLE\":[]", NULL), 0);
    assert_int_equal(get(&fx, "RFCTABLE")->u.tab.count, 0);
    done(&fx);

    expect_error("\"RFCTABLE\":[{},{},{},{\"RFCDATE\":\"2023-02-30\"}]", "/RFCTABLE/3/RFCDATE",
                 "not a valid date");
    expect_error("\"RFCTABLE\":[{},1]", "/RFCTABLE/1", "expected an object, got a number");
    expect_error("\"RFCTABLE\":[null]", "/RFCTABLE/0", "expected an object, got null");
    expect_error("\"RFCTABLE\":[{\"X\":1}]", "/RFCTABLE/0/X", "no field of this name");
    expect_error("\"RFCTABLE\":{}", "/RFCTABLE", "expected an array, got an object");
    expect_error("\"ITAB\":[1,\"2\"]", "/ITAB/1", "expected an integer, got a string");
    expect_error("\"ITAB\":[null]", "/ITAB/0", "expected an integer, got null");

    gw_codec_opts_t o = gw_codec_opts_default();
    o.max_rows = 3;
    assert_int_equal(convert_with(&fx, "\"ITAB\":[1,2,3]", &o), 0);
    done(&fx);
    expect_error_o("\"ITAB\":[1,2,3,4]", "/ITAB", "has 4 rows; at most 3 are accepted (max_rows)",
                   &o);
}

/*
 * Converts the rows as one table and each alone; a row must give the same
 * fields as alone (the table adds the missing ones, initial).
 */
static void check_rows_alone(const char *const *rows, size_t n)
{
    size_t cap = 64;
    for (size_t i = 0; i < n; i++)
        cap += strlen(rows[i]) + 1;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s%s", i ? "," : "[", rows[i]);
    snprintf(text + len, cap - len, "%s]", n ? "" : "[");
    gw_arena_t a;
    gw_codec_errors_t errs;
    gw_rfc_value_t tab, one;
    gw_arena_init(&a, 0);
    assert_int_equal(gw_codec_errors_init(&a, &errs, 4), 0);
    assert_int_equal(gw_codec_value_read(&a, &rfctest_tab, jd(&a, text), "/T", NULL, &tab, &errs),
                     0);
    assert_int_equal(tab.u.tab.count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(
            gw_codec_value_read(&a, &rfctest, jd(&a, rows[i]), "/R", NULL, &one, &errs), 0);
        const gw_rfc_value_t *row = &tab.u.tab.rows[i];
        assert_int_equal(row->u.st.count, GW_ARRAY_SIZE(rfctest_fields));
        gw_rfc_field_t named[GW_ARRAY_SIZE(rfctest_fields)];
        gw_rfc_value_t same = {.type = GW_RFC_STRUCTURE};
        same.u.st.fields = named;
        for (uint32_t f = 0; f < row->u.st.count && same.u.st.count < one.u.st.count; f++)
            if (gw_slice_eq(row->u.st.fields[f].name, one.u.st.fields[same.u.st.count].name))
                named[same.u.st.count++] = row->u.st.fields[f];
        if (!value_eq(&same, &one))
            fail_msg("row %zu of '%s' differs from the same object alone", i, text);
    }
    gw_arena_free(&a);
    free(text);
}

/* Member `which` (0..4) of an RFCTEST row with a value made from `val` (1..26). */
static size_t random_member(char *out, size_t cap, unsigned which, unsigned val)
{
    switch (which) {
    case 0:
        return (size_t)snprintf(out, cap, "\"RFCINT4\":%u", val);
    case 1:
        return (size_t)snprintf(out, cap, "\"RFCCHAR1\":\"%c\"", 'A' + (int)val - 1);
    case 2:
        return (size_t)snprintf(out, cap, "\"RFCDATE\":\"2024-01-%02u\"", val);
    case 3:
        return (size_t)snprintf(out, cap, "\"RFCINT2\":-%u", val);
    default:
        return (size_t)snprintf(out, cap, "\"RFCFLOAT\":%u.5", val);
    }
}

/*
 * A table's rows find their fields where the row before had them (the same
 * key pointers); whatever the rows' shapes, each converts as it would alone.
 */
static void test_table_rows_in(void **state)
{
    (void)state;
    static const char *const rows[] = {
        "{\"RFCINT4\":1,\"RFCCHAR1\":\"A\"}",
        "{\"RFCINT4\":2,\"RFCCHAR1\":\"B\"}",
        "{\"RFCCHAR1\":\"C\",\"RFCINT4\":3}", /* swapped */
        "{\"RFCCHAR1\":\"D\",\"RFCINT4\":4}",
        "{\"RFCINT4\":5}",                                               /* fewer */
        "{\"RFCINT4\":6,\"RFCCHAR1\":\"F\",\"RFCDATE\":\"2024-01-02\"}", /* more */
        "{\"RFCINT4\":7,\"RFCCHAR1\":\"G\",\"RFCDATE\":\"2024-01-03\"}",
        "{\"RFCCHAR1\":\"H\"}", /* a field where another was */
        "{\"RFCDATE\":null,\"RFCINT4\":9,\"RFCCHAR1\":\"I\"}",
        "{\"RFCDATE\":null,\"RFCINT4\":10,\"RFCCHAR1\":\"J\"}",
        "{}",
        "{\"RFCINT4\":12,\"RFCCHAR1\":\"L\"}",
    };
    check_rows_alone(rows, GW_ARRAY_SIZE(rows));

    /* Random tables: each row keeps the shape of the row before, or takes a new one. */
    enum { M = 5, ROWS = 6 };
    uint32_t x = 12345;
#define NEXT() (x = x * 1103515245u + 12345u, x >> 16)
    for (int t = 0; t < 300; t++) {
        char buf[ROWS][160];
        const char *tr[ROWS];
        unsigned order[M], pick = 0;
        size_t n = 1 + NEXT() % ROWS;
        for (size_t r = 0; r < n; r++) {
            if (r == 0 || NEXT() % 2) { /* a new shape: which members, in which order */
                for (unsigned k = 0; k < M; k++)
                    order[k] = k;
                for (unsigned k = M - 1; k > 0; k--) {
                    unsigned o = NEXT() % (k + 1), tmp = order[k];
                    order[k] = order[o];
                    order[o] = tmp;
                }
                pick = NEXT() % (1u << M);
            }
            size_t len = 0;
            buf[r][len++] = '{';
            for (unsigned k = 0; k < M; k++) {
                if (!(pick & (1u << k)))
                    continue;
                unsigned val = 1 + NEXT() % 26;
                if (len > 1)
                    buf[r][len++] = ',';
                len += random_member(buf[r] + len, sizeof(buf[r]) - len, order[k], val);
            }
            snprintf(buf[r] + len, sizeof(buf[r]) - len, "}");
            tr[r] = buf[r];
        }
        check_rows_alone(tr, n);
    }
#undef NEXT

    /* A row with an unknown field after rows that found every field in its place. */
    gw_arena_t a;
    gw_codec_errors_t errs;
    gw_rfc_value_t v;
    gw_arena_init(&a, 0);
    assert_int_equal(gw_codec_errors_init(&a, &errs, 4), 0);
    assert_int_equal(
        gw_codec_value_read(&a, &rfctest_tab,
                            jd(&a, "[{\"RFCINT4\":1},{\"RFCINT4\":2},{\"RFCINT5\":3}]"), "/T", NULL,
                            &v, &errs),
        GW_EPARAM);
    assert_string_equal(errs.items[0].pointer, "/T/2/RFCINT5");
    gw_arena_free(&a);
}

static void test_deep_in(void **state)
{
    fx_t fx;
    (void)state;
    /* A structure containing a table of structures containing a string. */
    assert_int_equal(convert_with(&fx,
                                  "\"DEEP\":{\"NAME\":\"n\",\"ITEMS\":[{\"TEXT\":\" a \"},"
                                  "{\"N\":2,\"TEXT\":\"b\"},{}]}",
                                  NULL),
                     0);
    const gw_rfc_value_t *d = get(&fx, "DEEP");
    assert_int_equal(d->u.st.count, 2);
    const gw_rfc_value_t *items = &d->u.st.fields[1].value;
    assert_int_equal(items->type, GW_RFC_TABLE);
    assert_int_equal(items->u.tab.count, 3);
    assert_true(gw_slice_eq_str(items->u.tab.rows[0].u.st.fields[0].value.u.s, " a "));
    assert_int_equal(items->u.tab.rows[0].u.st.fields[1].value.u.i, 0);
    assert_int_equal(items->u.tab.rows[1].u.st.fields[1].value.u.i, 2);
    assert_int_equal(items->u.tab.rows[2].u.st.count, 2);
    done(&fx);
    expect_error("\"DEEP\":{\"ITEMS\":[{},{\"TEXT\":5}]}", "/DEEP/ITEMS/1/TEXT",
                 "expected a string, got a number");

    /* Levels: DEEP 1, ITEMS 2, its rows 3. */
    gw_codec_opts_t o = gw_codec_opts_default();
    o.max_depth = 3;
    assert_int_equal(convert_with(&fx, "\"DEEP\":{\"ITEMS\":[{}]}", &o), 0);
    done(&fx);
    o.max_depth = 2;
    assert_int_equal(convert_with(&fx, "\"DEEP\":{\"ITEMS\":[]}", &o), 0); /* no rows: fine */
    done(&fx);
    expect_error_o("\"DEEP\":{\"ITEMS\":[{}]}", "/DEEP/ITEMS/0", "nests deeper than 2 levels", &o);
    o.max_depth = 1;
    expect_error_o("\"DEEP\":{\"ITEMS\":[]}", "/DEEP/ITEMS", "nests deeper than 1 levels", &o);
}

/* ---- input: parameters, nulls, errors ----------------------------------- */

static void test_params_in(void **state)
{
    fx_t fx;
    (void)state;
    expect_error("\"NOPE\":1", "/NOPE", "Z_TEST has no parameter of this name");
    expect_error("\"c10x\":1", "/c10x", "no parameter of this name");
    expect_error("\"i1\":1", "/i1", "(did you mean I1?)");
    expect_error("\"OUT\":\"y\"", "/OUT", "is an EXPORTING parameter and cannot be sent");
    expect_error("\"a~b\":1", "/a~0b", "no parameter");

    /* Mandatory parameters: missing or null. */
    assert_int_equal(convert_opts(&fx, "{}", NULL, 10), GW_EPARAM);
    assert_int_equal(fx.errs.n, 2);
    assert_string_equal(fx.errs.items[0].pointer, "/C10");
    assert_string_equal(fx.errs.items[0].reason, "mandatory parameter is missing");
    assert_string_equal(fx.errs.items[1].pointer, "/MDATE");
    done(&fx);
    expect_error("\"C10\":null", "/C10", "mandatory parameter is null");

    /* Optional parameters: absent or null = not sent; output in description order. */
    assert_int_equal(
        convert_with(&fx, "\"I4\":5,\"S\":null,\"IMPORTSTRUCT\":null,\"RFCTABLE\":null", NULL), 0);
    assert_int_equal(fx.n, 3);
    assert_true(gw_slice_eq_str(fx.out[0].name, "C10"));
    assert_true(gw_slice_eq_str(fx.out[1].name, "I4"));
    assert_true(gw_slice_eq_str(fx.out[2].name, "MDATE"));
    done(&fx);

    /* No body at all: only the mandatory ones are missing. */
    gw_arena_t a;
    gw_codec_errors_t errs;
    gw_rfc_field_t *out;
    uint32_t n;
    gw_arena_init(&a, 0);
    assert_int_equal(gw_codec_errors_init(&a, &errs, 4), 0);
    assert_int_equal(gw_codec_params_read(&a, &func, NULL, NULL, &out, &n, &errs), GW_EPARAM);
    assert_int_equal(errs.n, 2);
    const gw_jdoc_t *arr = jd(&a, "[]");
    assert_int_equal(gw_codec_errors_init(&a, &errs, 4), 0);
    assert_int_equal(gw_codec_params_read(&a, &func, arr, NULL, &out, &n, &errs), GW_EPARAM);
    assert_int_equal(errs.n, 1);
    assert_string_equal(errs.items[0].pointer, "");
    assert_non_null(strstr(errs.items[0].reason, "must be a JSON object"));
    gw_arena_free(&a);
}

static void test_all_errors_reported_up_to_limit(void **state)
{
    fx_t fx;
    (void)state;
    assert_int_equal(convert_opts(&fx,
                                  "{\"C10\":1,\"S\":2,\"I1\":\"x\",\"X1\":1,\"X2\":2,\"X3\":3,"
                                  "\"X4\":4,\"MDATE\":null}",
                                  NULL, 5),
                     GW_EPARAM);
    assert_int_equal(fx.errs.n, 5);
    assert_int_equal(fx.errs.dropped, 2);
    done(&fx);

    /* Everything wrong at once, with pointers, in a generous list. */
    assert_int_equal(
        convert_opts(&fx,
                     "{\"C10\":\"12345678901\",\"N10\":\"x\",\"D\":\"2023-02-30\","
                     "\"T\":\"25:00:00\",\"P\":\"1.234\",\"I1\":256,\"X\":\"!\","
                     "\"IMPORTSTRUCT\":{\"RFCINT1\":-1,\"BAD\":1},"
                     "\"RFCTABLE\":[{},{\"RFCTIME\":\"x\"},{\"RFCNUM\":\"12345678901\"}],"
                     "\"OUT\":1,\"NOPE\":2}",
                     NULL, 100),
        GW_EPARAM);
    static const char *const want[] = {
        "/OUT",
        "/NOPE",
        "/C10",
        "/N10",
        "/D",
        "/T",
        "/P",
        "/I1",
        "/X",
        "/IMPORTSTRUCT/RFCINT1",
        "/IMPORTSTRUCT/BAD",
        "/MDATE",
        "/RFCTABLE/1/RFCTIME",
        "/RFCTABLE/2/RFCNUM",
    };
    if (fx.errs.n != GW_ARRAY_SIZE(want))
        dump_errors(&fx);
    assert_int_equal(fx.errs.n, GW_ARRAY_SIZE(want));
    assert_int_equal(fx.errs.dropped, 0);
    for (size_t i = 0; i < GW_ARRAY_SIZE(want); i++)
        assert_string_equal(fx.errs.items[i].pointer, want[i]);
    done(&fx);

    /* A huge bad table: the list stays at its limit and the rest is counted. */
    gw_codec_opts_t o = gw_codec_opts_default();
    char *text = malloc(64 + 1000 * 6);
    assert_non_null(text);
    strcpy(text, "{\"C10\":\"x\",\"MDATE\":null,\"ITAB\":[");
    for (int i = 0; i < 1000; i++)
        strcat(text, i ? ",\"bad\"" : "\"bad\"");
    strcat(text, "]}");
    gw_arena_init(&fx.a, 0);
    const gw_jdoc_t *body = jd(&fx.a, text);
    free(text);
    assert_int_equal(gw_codec_errors_init(&fx.a, &fx.errs, 10), 0);
    assert_int_equal(gw_codec_params_read(&fx.a, &func, body, &o, &fx.out, &fx.n, &fx.errs),
                     GW_EPARAM);
    assert_int_equal(fx.errs.n, 10);
    assert_int_equal(fx.errs.dropped, 990);
    assert_string_equal(fx.errs.items[9].pointer, "/ITAB/9");
    gw_arena_free(&fx.a);
}

static void test_value_read(void **state)
{
    gw_arena_t a;
    gw_codec_errors_t errs;
    gw_rfc_value_t v;
    (void)state;
    gw_arena_init(&a, 0);
    assert_int_equal(gw_codec_errors_init(&a, &errs, 4), 0);
    const gw_jdoc_t *j = jd(&a, "\"2024-12-24\"");
    assert_int_equal(gw_codec_value_read(&a, &date_t, j, "/X/0", NULL, &v, &errs), 0);
    assert_true(gw_slice_eq_str(v.u.s, "20241224"));
    j = jd(&a, "{\"N/~\":1}");
    assert_int_equal(gw_codec_value_read(&a, &rfctest, j, "/X/0", NULL, &v, &errs), GW_EPARAM);
    assert_string_equal(errs.items[0].pointer, "/X/0/N~1~0");
    /* A reason cut at its size limit is still valid UTF-8. */
    char longname[401];
    for (int i = 0; i < 200; i++)
        memcpy(longname + 2 * i, "Ä", 2);
    longname[400] = '\0';
    gw_rfc_typedesc_t named = rfctest;
    named.name = gw_slice(longname);
    assert_int_equal(gw_codec_value_read(&a, &named, j, "", NULL, &v, &errs), GW_EPARAM);
    json_t *reason = json_string(errs.items[1].reason);
    assert_non_null(reason);
    assert_true(strlen(errs.items[1].reason) >= 300);
    json_decref(reason);
    gw_arena_free(&a);
}

static void test_initial_values(void **state)
{
    gw_arena_t a;
    gw_rfc_value_t v;
    (void)state;
    gw_arena_init(&a, 0);
    static const struct {
        const gw_rfc_typedesc_t *t;
        const char *text;
    } texts[] = {
        {&char10, ""},    {&num10, "0000000000"}, {&date_t, "00000000"}, {&time_t_, "000000"},
        {&bcd82, "0.00"}, {&bcd30, "0"},          {&decf16, "0"},        {&decf34, "0"},
        {&string_t, ""},  {&xstring_t, ""},       {&raw4, ""},
    };
    for (size_t i = 0; i < GW_ARRAY_SIZE(texts); i++) {
        assert_int_equal(gw_codec_initial_value(&a, texts[i].t, &v), 0);
        assert_int_equal(v.type, texts[i].t->type);
        assert_true(gw_slice_eq_str(v.u.s, texts[i].text));
    }
    const gw_rfc_typedesc_t *ints[] = {&int1, &int2, &int4, &int8};
    for (size_t i = 0; i < GW_ARRAY_SIZE(ints); i++) {
        assert_int_equal(gw_codec_initial_value(&a, ints[i], &v), 0);
        assert_int_equal(v.u.i, 0);
    }
    assert_int_equal(gw_codec_initial_value(&a, &float_t_, &v), 0);
    assert_true(v.u.f == 0.0);
    assert_int_equal(gw_codec_initial_value(&a, &rfctest, &v), 0);
    assert_int_equal(v.type, GW_RFC_STRUCTURE);
    assert_int_equal(v.u.st.count, 0);
    assert_int_equal(gw_codec_initial_value(&a, &rfctest_tab, &v), 0);
    assert_int_equal(v.type, GW_RFC_TABLE);
    assert_int_equal(v.u.tab.count, 0);
    gw_arena_free(&a);
}

/* ---- output ------------------------------------------------------------- */

/* Writes `v` and returns the text (malloc'd); fails the test unless it parses as JSON. */
static char *write_value(const gw_rfc_value_t *v, const gw_rfc_typedesc_t *t,
                         const gw_codec_opts_t *o)
{
    gw_buf_t b;
    json_error_t jerr;
    gw_buf_init(&b, 0);
    assert_int_equal(gw_codec_value_write(&b, v, t, o), 0);
    json_t *j = json_loadb((const char *)b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (j == NULL)
        fail_msg("output does not parse: %.*s (%s)", (int)b.len, (const char *)b.data, jerr.text);
    json_decref(j);
    char *s = malloc(b.len + 1);
    assert_non_null(s);
    memcpy(s, b.data, b.len);
    s[b.len] = '\0';
    gw_buf_free(&b);
    return s;
}

static void expect_out_o(const gw_rfc_value_t *v, const gw_codec_opts_t *o, const char *want)
{
    char *s = write_value(v, NULL, o);
    if (strcmp(s, want) != 0)
        fail_msg("type %d: got %s, want %s", v->type, s, want);
    free(s);
}

static void expect_out(const gw_rfc_value_t *v, const char *want)
{
    expect_out_o(v, NULL, want);
}

static gw_rfc_value_t text_value(int type, const char *s)
{
    gw_rfc_value_t v = {.type = (uint8_t)type};
    v.u.s = gw_slice(s);
    return v;
}

/* gw_json_plain_len (base; codec_out and jdoc scan strings with it): every byte value at every
 * position of short runs, each in a buffer of exactly its length (ASan sees any read past it). */
static void test_json_plain_len(void **state)
{
    (void)state;
    for (size_t n = 0; n <= 19; n++) {
        uint8_t *buf = malloc(n ? n : 1);
        assert_non_null(buf);
        memset(buf, 'a', n);
        assert_int_equal(gw_json_plain_len(buf, n), n);
        for (size_t pos = 0; pos < n; pos++) {
            for (unsigned c = 0; c < 256; c++) {
                memset(buf, 'a', n);
                buf[pos] = (uint8_t)c;
                int plain = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
                assert_int_equal(gw_json_plain_len(buf, n), plain ? n : pos);
                if (pos + 1 < n) { /* a second stop later changes nothing */
                    buf[n - 1] = '"';
                    assert_int_equal(gw_json_plain_len(buf, n), plain ? n - 1 : pos);
                }
            }
        }
        free(buf);
    }
}

/* gw_slice_eq (base): names of 4 to 16 bytes are compared with overlapping word loads — every
 * length up to 20, a difference at every position, in buffers of exactly their length. */
static void test_slice_eq(void **state)
{
    (void)state;
    for (size_t n = 0; n <= 20; n++) {
        char *x = malloc(n ? n : 1), *y = malloc(n ? n : 1);
        assert_true(x && y);
        for (size_t i = 0; i < n; i++)
            x[i] = y[i] = (char)('a' + i);
        assert_true(gw_slice_eq((gw_slice_t){x, n}, (gw_slice_t){y, n}));
        assert_true(gw_slice_eq((gw_slice_t){x, n}, (gw_slice_t){x, n}));
        for (size_t pos = 0; pos < n; pos++) {
            y[pos] ^= 0x20;
            assert_false(gw_slice_eq((gw_slice_t){x, n}, (gw_slice_t){y, n}));
            y[pos] ^= 0x20;
        }
        if (n)
            assert_false(gw_slice_eq((gw_slice_t){x, n}, (gw_slice_t){y, n - 1}));
        free(x);
        free(y);
    }
}

/* gw_buf_put (base; the wire encoder and codec_out append with it): in place up to the exact
 * capacity, through growth beyond it, never past max, and nothing once the buffer failed. */
static void test_buf_put(void **state)
{
    (void)state;
    gw_buf_t b;
    gw_buf_init(&b, 300);
    assert_int_equal(gw_buf_put(&b, NULL, 0), 0); /* empty, no storage yet */
    assert_int_equal(b.len, 0);
    assert_int_equal(gw_buf_put(&b, "a", 1), 0); /* grows to the first 256 bytes */
    assert_int_equal(b.cap, 256);
    for (size_t i = 1; i < 256; i++)
        assert_int_equal(gw_buf_put(&b, &"abcdefgh"[i % 8], 1), 0);
    assert_int_equal(b.len, 256);
    assert_int_equal(b.cap, 256);                          /* filled exactly, in place */
    assert_int_equal(gw_buf_put(&b, "0123456789", 10), 0); /* grows, capped at max */
    assert_int_equal(b.cap, 300);
    assert_int_equal(b.len, 266);
    assert_memory_equal(b.data + 250, "cdefgh0123456789", 16);
    assert_int_equal(gw_buf_put(&b, "0123456789012345678901234567890123456789", 35), GW_ETOOBIG);
    assert_int_equal(b.len, 266);
    assert_int_equal(gw_buf_put(&b, "x", 1), GW_ETOOBIG); /* failed: later puts are refused */
    assert_int_equal(b.len, 266);
    gw_buf_free(&b);
}

/* A table of structures is written with each column's key and type worked out once (put_rows);
 * every row must read exactly as if written on its own, whatever its fields are called. */
static void test_table_rows_out(void **state)
{
    (void)state;
    static const char *const names[] = {"RFCFLOAT", "RFCCHAR1", "RFCDATE", "RFCNUM", "RFCINT2"};
    enum { NCOL = 5, NROW = 8 };
    char copies[NCOL][16];
    gw_rfc_field_t f[NROW][NCOL];
    gw_rfc_value_t rows[NROW];
    for (int r = 0; r < NROW; r++) {
        for (int c = 0; c < NCOL; c++) {
            snprintf(copies[c], sizeof(copies[c]), "%s", names[c]);
            /* rows 0, 1, 4 share the first row's name slices, as the wire decoder gives them */
            f[r][c].name = r == 2 ? gw_slice(copies[c]) : gw_slice(names[c]);
        }
        f[r][0].value = (gw_rfc_value_t){.type = GW_RFC_FLOAT, .u.f = 0.5 + r};
        f[r][1].value = text_value(GW_RFC_CHAR, "x ");
        f[r][2].value = text_value(GW_RFC_DATE, "20240131");
        f[r][3].value = text_value(GW_RFC_NUM, "42");
        f[r][4].value = (gw_rfc_value_t){.type = GW_RFC_INT2, .u.i = -r};
        rows[r] = (gw_rfc_value_t){.type = GW_RFC_STRUCTURE, .u.st = {NCOL, f[r]}};
    }
    f[3][1].name = gw_slice("RFCNUM"); /* two columns swapped: types found by name */
    f[3][3].name = gw_slice("RFCCHAR1");
    f[4][0].name = gw_slice("A\"B"); /* an unknown name that needs escaping */
    rows[5].u.st.count = 2;          /* fewer fields */
    rows[6] = (gw_rfc_value_t){.type = GW_RFC_INT4, .u.i = 7}; /* not a structure */
    const gw_rfc_typedesc_t *descs[] = {&rfctest_tab, NULL};
    for (size_t d = 0; d < GW_ARRAY_SIZE(descs); d++) {
        gw_buf_t want;
        gw_buf_init(&want, 0);
        gw_buf_append(&want, "[", 1);
        for (int r = 0; r < NROW; r++) {
            char *one = write_value(&rows[r], descs[d] ? descs[d]->line : NULL, NULL);
            if (r)
                gw_buf_append(&want, ",", 1);
            gw_buf_append(&want, one, strlen(one));
            free(one);
        }
        gw_buf_append(&want, "]", 1);
        gw_rfc_value_t tab = {.type = GW_RFC_TABLE, .u.tab = {NROW, rows}};
        char *got = write_value(&tab, descs[d], NULL);
        if (strlen(got) != want.len || memcmp(got, want.data, want.len) != 0)
            fail_msg("got  %s\nwant %.*s", got, (int)want.len, (const char *)want.data);
        /* with the description, NUM takes the width of its type (10 digits) */
        assert_non_null(strstr(got, d == 0 ? "\"RFCNUM\":\"0000000042\"" : "\"RFCNUM\":\"42\""));
        free(got);
        gw_buf_free(&want);
    }
}

static void test_text_out(void **state)
{
    (void)state;
    gw_codec_opts_t notrim = gw_codec_opts_default();
    notrim.char_trim = 0;
    gw_rfc_value_t v = text_value(GW_RFC_CHAR, "abc   ");
    expect_out(&v, "\"abc\"");
    expect_out_o(&v, &notrim, "\"abc   \"");
    v = text_value(GW_RFC_CHAR, "   ");
    expect_out(&v, "\"\"");
    v = text_value(GW_RFC_CHAR, " ÄÖÜ ");
    expect_out(&v, "\" ÄÖÜ\"");
    v = text_value(GW_RFC_STRING, "  a  ");
    expect_out(&v, "\"  a  \""); /* STRING keeps its blanks */
    v = text_value(GW_RFC_STRING, "");
    expect_out(&v, "\"\"");
    v = text_value(GW_RFC_STRING, "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f");
    expect_out(&v, "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"");
    v.u.s = (gw_slice_t){"a\0b", 3};
    expect_out(&v, "\"a\\u0000b\"");
    v = text_value(GW_RFC_STRING, "€😀");
    expect_out(&v, "\"€😀\"");
    v = text_value(GW_RFC_BCD, "-123.45");
    expect_out(&v, "\"-123.45\"");
    v = text_value(GW_RFC_DECF34, "1.5E+10");
    expect_out(&v, "\"1.5E+10\"");
}

static void test_invalid_utf8_out(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"a\xff"
         "b",
         "\"a\xef\xbf\xbd"
         "b\""},                                                      /* impossible byte */
        {"\xc3", "\"\xef\xbf\xbd\""},                                 /* truncated */
        {"\xc3(", "\"\xef\xbf\xbd(\""},                               /* bad continuation */
        {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},                 /* overlong */
        {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* surrogate */
        {"\xe2\x82", "\"\xef\xbf\xbd\""}, /* maximal subpart: one U+FFFD */
        {"\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* >10FFFF */
        {"\xf0\x9f\x98", "\"\xef\xbf\xbd\""},
        {"ok\xe2\x82\xac", "\"ok€\""},
    };
    for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
        gw_rfc_value_t v = text_value(GW_RFC_CHAR, cases[i].in);
        expect_out(&v, cases[i].out);
    }
    /* A random byte soup always gives valid JSON (write_value parses it). */
    srand(7);
    for (int k = 0; k < 2000; k++) {
        char buf[24];
        size_t n = (size_t)(rand() % 24);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(rand() & 0xff);
        gw_rfc_value_t v = {.type = GW_RFC_STRING, .u.s = {buf, n}};
        free(write_value(&v, NULL, NULL));
    }
}

static void test_num_out(void **state)
{
    (void)state;
    gw_codec_opts_t num = gw_codec_opts_default();
    num.num_as_string = 0;
    gw_rfc_value_t v = text_value(GW_RFC_NUM, "0000000123");
    expect_out(&v, "\"0000000123\"");
    expect_out_o(&v, &num, "123");
    v = text_value(GW_RFC_NUM, "0000");
    expect_out_o(&v, &num, "0");
    v = text_value(GW_RFC_NUM, "12a");
    expect_out_o(&v, &num, "\"12a\""); /* not digits: passes through */
    /* With the type known, a short NUM is padded to its width. */
    v = text_value(GW_RFC_NUM, "42");
    char *s = write_value(&v, &num10, NULL);
    assert_string_equal(s, "\"0000000042\"");
    free(s);
}

static void test_date_time_out(void **state)
{
    (void)state;
    gw_codec_opts_t sap = gw_codec_opts_default();
    sap.date_format = GW_CODEC_FMT_SAP;
    sap.time_format = GW_CODEC_FMT_SAP;
    gw_codec_opts_t nonull = gw_codec_opts_default();
    nonull.initial_date_null = 0;
    gw_rfc_value_t v = text_value(GW_RFC_DATE, "20240229");
    expect_out(&v, "\"2024-02-29\"");
    expect_out_o(&v, &sap, "\"20240229\"");
    v = text_value(GW_RFC_DATE, "99991231");
    expect_out(&v, "\"9999-12-31\"");
    v = text_value(GW_RFC_DATE, "00000000");
    expect_out(&v, "null");
    expect_out_o(&v, &sap, "null");
    expect_out_o(&v, &nonull, "\"0000-00-00\"");
    v = text_value(GW_RFC_DATE, "");
    expect_out(&v, "null");
    expect_out_o(&v, &nonull, "\"\"");
    /* Impossible dates from the backend pass through raw, never an error. */
    v = text_value(GW_RFC_DATE, "20230230");
    expect_out(&v, "\"20230230\"");
    v = text_value(GW_RFC_DATE, "ABCDEFGH");
    expect_out(&v, "\"ABCDEFGH\"");
    v = text_value(GW_RFC_DATE, "2024");
    expect_out(&v, "\"2024\"");
    v = text_value(GW_RFC_TIME, "000000");
    expect_out(&v, "\"00:00:00\""); /* midnight, never null */
    expect_out_o(&v, &sap, "\"000000\"");
    v = text_value(GW_RFC_TIME, "240000");
    expect_out(&v, "\"24:00:00\"");
    v = text_value(GW_RFC_TIME, "123456");
    expect_out(&v, "\"12:34:56\"");
    v = text_value(GW_RFC_TIME, "256000");
    expect_out(&v, "\"256000\"");
    v = text_value(GW_RFC_TIME, "");
    expect_out(&v, "\"\"");
}

static void test_int_out(void **state)
{
    (void)state;
    gw_codec_opts_t num = gw_codec_opts_default();
    num.int8_as_string = 0;
    gw_rfc_value_t v = {.type = GW_RFC_INT8, .u.i = INT64_MIN};
    expect_out(&v, "\"-9223372036854775808\"");
    expect_out_o(&v, &num, "-9223372036854775808");
    v.u.i = INT64_MAX;
    expect_out(&v, "\"9223372036854775807\"");
    v.u.i = 0;
    expect_out(&v, "\"0\"");
    v = (gw_rfc_value_t){.type = GW_RFC_INT1, .u.i = 255};
    expect_out(&v, "255");
    v = (gw_rfc_value_t){.type = GW_RFC_INT2, .u.i = -32768};
    expect_out(&v, "-32768");
    v = (gw_rfc_value_t){.type = GW_RFC_INT4, .u.i = INT32_MIN};
    expect_out(&v, "-2147483648");
    v.u.i = 0;
    expect_out(&v, "0");
}

static void expect_float(double x, const char *want)
{
    gw_rfc_value_t v = {.type = GW_RFC_FLOAT, .u.f = x};
    char *s = write_value(&v, NULL, NULL);
    if (want && strcmp(s, want) != 0)
        fail_msg("float: got %s, want %s", s, want);
    if (isfinite(x)) {
        double back = strtod(s, NULL);
        if (memcmp(&back, &x, sizeof(x)) != 0)
            fail_msg("%s does not read back as %.17g", s, x);
    }
    free(s);
}

static void test_float_out(void **state)
{
    (void)state;
    expect_float(0.1, "0.1");
    expect_float(1e300, "1e+300");
    expect_float(5e-324, "5e-324");
    expect_float(3.0, "3");
    expect_float(0.0, "0");
    expect_float(-0.0, "-0");
    expect_float(-1.5, "-1.5");
    expect_float(100.0, "100");
    expect_float(1e21, "1e+21");
    expect_float(1e20, "1e+20");
    expect_float(1e17, "100000000000000000");
    expect_float(123456789012345680000.0, "1.2345678901234568e+20");
    expect_float(9007199254740993.0, "9007199254740992");
    expect_float(1e-6, "0.000001");
    expect_float(1e-7, "1e-7");
    expect_float(123456.789, "123456.789");
    expect_float(0.1 + 0.2, "0.30000000000000004");
    expect_float(1.7976931348623157e308, "1.7976931348623157e+308");
    expect_float(2.2250738585072014e-308, "2.2250738585072014e-308");
    expect_float(NAN, "null");
    expect_float(INFINITY, "null");
    expect_float(-INFINITY, "null");
    /* Property: any finite double reads back bit-exactly. */
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 20000; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        double x;
        memcpy(&x, &seed, sizeof(x));
        if (isfinite(x))
            expect_float(x, NULL);
    }
    /*
     * Short decimals (prices, weights: the path without printf): the digits are
     * the shortest that read back, as trying every precision %.1g … %.17g finds.
     */
    for (int i = 0; i < 20000; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10};
        int k = (int)(seed % 11);
        double x = (double)((seed >> 8) % (i % 2 ? 1000000ull : 1000000000000000ull)) / p10[k];
        if (seed & 1)
            x = -x;
        char want[40];
        int shortest = 1;
        for (; shortest < 17; shortest++) {
            snprintf(want, sizeof(want), "%.*g", shortest, x);
            if (strtod(want, NULL) == x)
                break;
        }
        gw_rfc_value_t v = {.type = GW_RFC_FLOAT, .u.f = x};
        char *got = write_value(&v, NULL, NULL);
        /* significant digits of the output: no sign, point, exponent, leading or trailing zeros */
        char sig[40];
        size_t n = 0;
        for (const char *c = got; *c && *c != 'e'; c++)
            if (*c >= '0' && *c <= '9' && (n > 0 || *c != '0'))
                sig[n++] = *c;
        while (n > 1 && sig[n - 1] == '0')
            n--;
        if (strtod(got, NULL) != x || (x != 0 && (int)n != shortest))
            fail_msg("%.17g: got %s (%zu digits), the shortest has %d", x, got, n, shortest);
        free(got);
    }
}

static void test_binary_out(void **state)
{
    (void)state;
    gw_rfc_value_t v = {.type = GW_RFC_RAW, .u.s = {"\x01\x02\x03", 3}};
    expect_out(&v, "\"AQID\"");
    v = (gw_rfc_value_t){.type = GW_RFC_XSTRING, .u.s = {"", 0}};
    expect_out(&v, "\"\"");
    v.u.s = (gw_slice_t){"\xff", 1};
    expect_out(&v, "\"/w==\"");
    v.u.s = (gw_slice_t){"\xfb\xff", 2};
    expect_out(&v, "\"+/8=\"");
    /* Round trip out → in for every length 0..64 of random bytes. */
    gw_arena_t a;
    gw_codec_errors_t errs;
    gw_arena_init(&a, 0);
    assert_int_equal(gw_codec_errors_init(&a, &errs, 1), 0);
    srand(11);
    for (size_t n = 0; n <= 64; n++) {
        char bytes[64];
        for (size_t i = 0; i < n; i++)
            bytes[i] = (char)(rand() & 0xff);
        gw_rfc_value_t x = {.type = GW_RFC_XSTRING, .u.s = {bytes, n}}, back;
        char *s = write_value(&x, NULL, NULL);
        const gw_jdoc_t *j = jd(&a, s);
        assert_int_equal(gw_codec_value_read(&a, &xstring_t, j, "", NULL, &back, &errs), 0);
        assert_int_equal(back.u.s.len, n);
        if (n)
            assert_memory_equal(back.u.s.ptr, bytes, n);
        free(s);
    }
    gw_arena_free(&a);
}

static void test_result_write(void **state)
{
    (void)state;
    gw_rfc_field_t st_fields[] = {
        {.name = S("RFCINT1"), .value = {.type = GW_RFC_INT1, .u.i = 1}},
        {.name = S("RFCDATE"), .value = {.type = GW_RFC_DATE, .u.s = S("20240101")}},
        {.name = S("RFCCHAR4"), .value = {.type = GW_RFC_CHAR, .u.s = S("x   ")}},
    };
    gw_rfc_value_t rows[] = {
        {.type = GW_RFC_STRUCTURE, .u.st = {3, st_fields}},
        {.type = GW_RFC_STRUCTURE, .u.st = {3, st_fields}},
    };
    gw_rfc_value_t irows[] = {{.type = GW_RFC_INT4, .u.i = 1}, {.type = GW_RFC_INT4, .u.i = 2}};
    gw_rfc_field_t res[] = {
        {.name = S("ITAB"), .value = {.type = GW_RFC_TABLE, .u.tab = {2, irows}}},
        {.name = S("OUT"), .value = {.type = GW_RFC_CHAR, .u.s = S("abc   ")}},
        {.name = S("C10"), .value = {.type = GW_RFC_CHAR, .u.s = S("x")}},
        {.name = S("ECHOSTRUCT"), .value = {.type = GW_RFC_STRUCTURE, .u.st = {3, st_fields}}},
        {.name = S("RFCTABLE"), .value = {.type = GW_RFC_TABLE, .u.tab = {2, rows}}},
        {.name = S("DTAB"), .value = {.type = GW_RFC_TABLE, .u.tab = {0, NULL}}},
        {.name = S("UNKNOWN"), .value = {.type = GW_RFC_INT4, .u.i = 1}},
    };
    gw_buf_t b;
    gw_buf_init(&b, 0);
    assert_int_equal(gw_codec_result_write(&b, &func, res, GW_ARRAY_SIZE(res), NULL), 0);
    /* Description order; IMPORTING never echoed; unknown names ignored. */
    const char *want =
        "{\"RFCTABLE\":[{\"RFCINT1\":1,\"RFCDATE\":\"2024-01-01\",\"RFCCHAR4\":\"x\"},"
        "{\"RFCINT1\":1,\"RFCDATE\":\"2024-01-01\",\"RFCCHAR4\":\"x\"}],"
        "\"ITAB\":[1,2],\"DTAB\":[],\"OUT\":\"abc\","
        "\"ECHOSTRUCT\":{\"RFCINT1\":1,\"RFCDATE\":\"2024-01-01\",\"RFCCHAR4\":\"x\"}}";
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    json_t *j = json_loadb((const char *)b.data, b.len, 0, NULL);
    assert_non_null(j);
    json_decref(j);
    gw_buf_free(&b);

    /* Nothing returned: an empty object. */
    assert_int_equal(gw_codec_result_write(&b, &func, NULL, 0, NULL), 0);
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.data, "{}", 2);
    gw_buf_free(&b);

    /* A capped buffer reports GW_ETOOBIG instead of writing half a document. */
    gw_buf_init(&b, 16);
    assert_int_equal(gw_codec_result_write(&b, &func, res, GW_ARRAY_SIZE(res), NULL), GW_ETOOBIG);
    gw_buf_free(&b);
}

/* ---- round trip: JSON in → value → JSON out is canonical ----------------- */

static void test_round_trip(void **state)
{
    (void)state;
    static const struct {
        const gw_rfc_typedesc_t *t;
        const char *in;
        const char *out;
    } cases[] = {
        {&char10, "\"abc  \"", "\"abc\""},
        {&char10, "\"ÄÖÜäöüßéèê\"", "\"ÄÖÜäöüßéèê\""},
        {&string_t, "\" x \"", "\" x \""},
        {&num10, "\"7\"", "\"0000000007\""},
        {&num10, "7", "\"0000000007\""},
        {&date_t, "\"2024-02-29\"", "\"2024-02-29\""},
        {&date_t, "null", "null"},
        {&date_t, "\"0000-00-00\"", "null"},
        {&time_t_, "\"24:00:00\"", "\"24:00:00\""},
        {&time_t_, "\"00:00:00\"", "\"00:00:00\""},
        {&bcd82, "\"007.5\"", "\"7.50\""},
        {&bcd82, "12.5", "\"12.50\""},
        {&bcd82, "\"-0\"", "\"0.00\""},
        {&bcd30, "\"-0042\"", "\"-42\""},
        {&decf16, "\"1.5E+10\"", "\"1.5E+10\""},
        {&decf34, "0.25", "\"0.25\""},
        {&int1, "255", "255"},
        {&int2, "-32768", "-32768"},
        {&int4, "2147483647", "2147483647"},
        {&int8, "9007199254740993", "\"9007199254740993\""},
        {&int8, "\"-9223372036854775808\"", "\"-9223372036854775808\""},
        {&float_t_, "0.1", "0.1"},
        {&float_t_, "1e300", "1e+300"},
        {&float_t_, "5e-324", "5e-324"},
        {&float_t_, "3.0", "3"},
        {&float_t_, "-7", "-7"},
        {&xstring_t, "\"AQID\"", "\"AQID\""},
        {&raw4, "\"\"", "\"\""},
        {&item, "{\"N\":1,\"TEXT\":\"t\"}", "{\"TEXT\":\"t\",\"N\":1}"},
        {&int4_tab, "[3,2,1]", "[3,2,1]"},
        {&item_tab, "[{\"N\":5}]", "[{\"TEXT\":\"\",\"N\":5}]"},
    };
    for (size_t i = 0; i < GW_ARRAY_SIZE(cases); i++) {
        gw_arena_t a;
        gw_codec_errors_t errs;
        gw_rfc_value_t v;
        gw_arena_init(&a, 0);
        assert_int_equal(gw_codec_errors_init(&a, &errs, 2), 0);
        const gw_jdoc_t *j = jd(&a, cases[i].in);
        int ret = gw_codec_value_read(&a, cases[i].t, j, "", NULL, &v, &errs);
        if (ret != 0)
            fail_msg("%s: %s", cases[i].in, errs.n ? errs.items[0].reason : "?");
        char *s = write_value(&v, cases[i].t, NULL);
        if (strcmp(s, cases[i].out) != 0)
            fail_msg("%s → %s, want %s", cases[i].in, s, cases[i].out);
        /* The canonical form reads back to the same canonical form. */
        const gw_jdoc_t *j2 = jd(&a, s);
        gw_rfc_value_t v2;
        assert_int_equal(gw_codec_value_read(&a, cases[i].t, j2, "", NULL, &v2, &errs), 0);
        char *s2 = write_value(&v2, cases[i].t, NULL);
        assert_string_equal(s, s2);
        free(s2);
        free(s);
        gw_arena_free(&a);
    }
}

/* ---- metadata ----------------------------------------------------------- */

static json_t *param_desc(json_t *d, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(d, "parameters"), i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
            return p;
    }
    fail_msg("no parameter %s in the description", name);
    return NULL;
}

static void test_describe(void **state)
{
    (void)state;
    json_t *d = gw_codec_func_describe(&func, NULL);
    assert_non_null(d);
    char *text = json_dumps(d, JSON_COMPACT);
    assert_non_null(text);
    json_t *again = json_loads(text, 0, NULL);
    assert_non_null(again);
    json_decref(again);
    free(text);
    assert_string_equal(json_string_value(json_object_get(d, "name")), "Z_TEST");
    assert_int_equal(json_array_size(json_object_get(d, "parameters")), GW_ARRAY_SIZE(params));

    json_t *c10 = param_desc(d, "C10");
    assert_string_equal(json_string_value(json_object_get(c10, "direction")), "IMPORTING");
    assert_true(json_is_false(json_object_get(c10, "optional")));
    assert_true(json_is_null(json_object_get(c10, "default")));
    json_t *at = json_object_get(c10, "abapType");
    assert_string_equal(json_string_value(json_object_get(at, "type")), "CHAR");
    assert_int_equal(json_integer_value(json_object_get(at, "length")), 10);
    json_t *sch = json_object_get(c10, "schema");
    assert_string_equal(json_string_value(json_object_get(sch, "type")), "string");
    assert_int_equal(json_integer_value(json_object_get(sch, "maxLength")), 10);

    json_t *p = json_object_get(param_desc(d, "P"), "abapType");
    assert_int_equal(json_integer_value(json_object_get(p, "decimals")), 2);
    sch = json_object_get(param_desc(d, "P"), "schema");
    assert_string_equal(json_string_value(json_object_get(sch, "pattern")),
                        "^-?[0-9]{1,13}(\\.[0-9]{1,2})?$");
    sch = json_object_get(param_desc(d, "D"), "schema");
    assert_string_equal(json_string_value(json_object_get(sch, "format")), "date");
    assert_true(json_is_array(json_object_get(sch, "type"))); /* string or null */
    sch = json_object_get(param_desc(d, "I1"), "schema");
    assert_int_equal(json_integer_value(json_object_get(sch, "minimum")), 0);
    assert_int_equal(json_integer_value(json_object_get(sch, "maximum")), 255);
    sch = json_object_get(param_desc(d, "I8"), "schema");
    assert_string_equal(json_string_value(json_object_get(sch, "type")), "string");
    sch = json_object_get(param_desc(d, "R4"), "schema");
    assert_string_equal(json_string_value(json_object_get(sch, "contentEncoding")), "base64");
    assert_int_equal(json_integer_value(json_object_get(sch, "maxLength")), 8);
    sch = json_object_get(param_desc(d, "N10"), "schema");
    assert_string_equal(json_string_value(json_object_get(sch, "pattern")), "^[0-9]{1,10}$");

    sch = json_object_get(param_desc(d, "RFCTABLE"), "schema");
    assert_string_equal(json_string_value(json_object_get(sch, "type")), "array");
    json_t *items = json_object_get(sch, "items");
    assert_string_equal(json_string_value(json_object_get(items, "type")), "object");
    assert_true(json_is_false(json_object_get(items, "additionalProperties")));
    assert_non_null(json_object_get(json_object_get(items, "properties"), "RFCDATE"));
    json_t *line = json_object_get(json_object_get(param_desc(d, "RFCTABLE"), "abapType"), "line");
    assert_string_equal(json_string_value(json_object_get(line, "name")), "RFCTEST");
    assert_int_equal(json_array_size(json_object_get(line, "fields")),
                     GW_ARRAY_SIZE(rfctest_fields));

    json_t *req = json_object_get(d, "request");
    json_t *req_props = json_object_get(req, "properties");
    assert_non_null(json_object_get(req_props, "C10"));
    assert_non_null(json_object_get(req_props, "CH"));
    assert_non_null(json_object_get(req_props, "RFCTABLE"));
    assert_null(json_object_get(req_props, "OUT"));
    json_t *required = json_object_get(req, "required");
    assert_int_equal(json_array_size(required), 2);
    assert_string_equal(json_string_value(json_array_get(required, 0)), "C10");
    assert_string_equal(json_string_value(json_array_get(required, 1)), "MDATE");
    json_t *resp_props = json_object_get(json_object_get(d, "response"), "properties");
    assert_non_null(json_object_get(resp_props, "OUT"));
    assert_non_null(json_object_get(resp_props, "CH"));
    assert_non_null(json_object_get(resp_props, "RFCTABLE"));
    assert_null(json_object_get(resp_props, "C10"));
    json_t *out = param_desc(d, "OUT");
    assert_string_equal(json_string_value(json_object_get(out, "description")), "Echo of C10");
    json_decref(d);

    /* Options change the schemas. */
    gw_codec_opts_t o = gw_codec_opts_default();
    o.date_format = GW_CODEC_FMT_SAP;
    o.initial_date_null = 0;
    o.int8_as_string = 0;
    o.num_as_string = 0;
    d = gw_codec_func_describe(&func, &o);
    sch = json_object_get(param_desc(d, "D"), "schema");
    assert_string_equal(json_string_value(json_object_get(sch, "type")), "string");
    assert_string_equal(json_string_value(json_object_get(sch, "pattern")), "^[0-9]{8}$");
    sch = json_object_get(param_desc(d, "I8"), "schema");
    assert_string_equal(json_string_value(json_object_get(sch, "type")), "integer");
    sch = json_object_get(param_desc(d, "N10"), "schema");
    assert_int_equal(json_integer_value(json_object_get(sch, "maximum")), 9999999999LL);
    json_decref(d);
}

static void test_opts(void **state)
{
    (void)state;
    gw_codec_opts_t o = gw_codec_opts_default();
    assert_int_equal(o.char_trim, 1);
    assert_int_equal(o.num_as_string, 1);
    assert_int_equal(o.date_format, GW_CODEC_FMT_ISO);
    assert_int_equal(o.time_format, GW_CODEC_FMT_ISO);
    assert_int_equal(o.initial_date_null, 1);
    assert_int_equal(o.int8_as_string, 1);
    assert_int_equal(o.max_depth, 16);
    assert_int_equal(o.max_rows, 100000);
    /* Zero limits take the defaults. */
    o.max_depth = 0;
    o.max_rows = 0;
    fx_t fx;
    assert_int_equal(convert_with(&fx, "\"DEEP\":{\"ITEMS\":[{}]},\"ITAB\":[1,2]", &o), 0);
    done(&fx);
    uint8_t f = 9;
    assert_int_equal(gw_codec_fmt_parse("sap", &f), 0);
    assert_int_equal(f, GW_CODEC_FMT_SAP);
    assert_int_equal(gw_codec_fmt_parse("iso", &f), 0);
    assert_int_equal(f, GW_CODEC_FMT_ISO);
    assert_int_equal(gw_codec_fmt_parse("ISO8601", &f), GW_EINVAL);
    assert_string_equal(gw_codec_fmt_name(GW_CODEC_FMT_SAP), "sap");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts),
        cmocka_unit_test(test_char_and_string_in),
        cmocka_unit_test(test_utf16_length),
        cmocka_unit_test(test_num_in),
        cmocka_unit_test(test_date_in),
        cmocka_unit_test(test_time_in),
        cmocka_unit_test(test_bcd_in),
        cmocka_unit_test(test_decimal_exactness),
        cmocka_unit_test(test_decf_in),
        cmocka_unit_test(test_int_in),
        cmocka_unit_test(test_float_in),
        cmocka_unit_test(test_binary_in),
        cmocka_unit_test(test_struct_in),
        cmocka_unit_test(test_table_in),
        cmocka_unit_test(test_table_rows_in),
        cmocka_unit_test(test_deep_in),
        cmocka_unit_test(test_params_in),
        cmocka_unit_test(test_all_errors_reported_up_to_limit),
        cmocka_unit_test(test_value_read),
        cmocka_unit_test(test_initial_values),
        cmocka_unit_test(test_json_plain_len),
        cmocka_unit_test(test_buf_put),
        cmocka_unit_test(test_slice_eq),
        cmocka_unit_test(test_table_rows_out),
        cmocka_unit_test(test_text_out),
        cmocka_unit_test(test_invalid_utf8_out),
        cmocka_unit_test(test_num_out),
        cmocka_unit_test(test_date_time_out),
        cmocka_unit_test(test_int_out),
        cmocka_unit_test(test_float_out),
        cmocka_unit_test(test_binary_out),
        cmocka_unit_test(test_result_write),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
