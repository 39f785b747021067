/* Unit tests of codec/: JSON → RFC values checked against metadata, and RFC values → JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/codec.h"
#include "error/error.h"

#include <string.h>

static const gw_rfc_typedesc_t char10 = {.type = GW_RFC_CHAR, .length = 10};
static const gw_rfc_typedesc_t string_t = {.type = GW_RFC_STRING};
static const gw_rfc_typedesc_t int1 = {.type = GW_RFC_INT1};
static const gw_rfc_typedesc_t bcd = {.type = GW_RFC_BCD, .length = 8, .decimals = 2};
static const gw_rfc_param_t params[] = {
    {.name = {"C10", 3}, .direction = GW_RFC_IMPORTING, .optional = 0, .type = &char10},
    {.name = {"S", 1}, .direction = GW_RFC_IMPORTING, .optional = 1, .type = &string_t},
    {.name = {"I1", 2}, .direction = GW_RFC_IMPORTING, .optional = 1, .type = &int1},
    {.name = {"P", 1}, .direction = GW_RFC_IMPORTING, .optional = 1, .type = &bcd},
    {.name = {"OUT", 3}, .direction = GW_RFC_EXPORTING, .type = &char10},
    {.name = {"A/B", 3}, .direction = GW_RFC_IMPORTING, .optional = 1, .type = &char10},
};
static const gw_rfc_func_t func = {.name = {"Z_TEST", 6}, .nparams = 6, .params = params};

typedef struct {
    gw_arena_t a;
    gw_codec_errors_t errs;
    gw_rfc_field_t *out;
    uint32_t n;
    json_t *body;
} fx_t;

static int convert(fx_t *fx, const char *json)
{
    json_error_t jerr;
    gw_arena_init(&fx->a, 0);
    assert_int_equal(gw_codec_errors_init(&fx->a, &fx->errs, 5), 0);
    fx->body = json_loads(json, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    assert_non_null(fx->body);
    return gw_codec_params_from_json(&fx->a, &func, fx->body, &fx->out, &fx->n, &fx->errs);
}

static void done(fx_t *fx)
{
    json_decref(fx->body);
    gw_arena_free(&fx->a);
}

static void expect_one_error(const char *json, const char *pointer, const char *reason_part)
{
    fx_t fx;
    assert_int_equal(convert(&fx, json), GW_EPARAM);
    assert_int_equal(fx.errs.n, 1);
    assert_string_equal(fx.errs.items[0].pointer, pointer);
    if (strstr(fx.errs.items[0].reason, reason_part) == NULL)
        fail_msg("'%s' not in '%s'", reason_part, fx.errs.items[0].reason);
    done(&fx);
}

static void test_char_and_string_accepted(void **state)
{
    fx_t fx;
    (void)state;
    /* CHAR 10 holds ten characters even when their UTF-8 is longer (ABAP counts UTF-16). */
    assert_int_equal(convert(&fx, "{\"C10\":\"ÄÖÜäöüßéèê\",\"S\":\"  keep  \",\"I1\":255}"), 0);
    assert_int_equal(fx.n, 3);
    const gw_rfc_field_t *c = gw_rfc_fields_find(fx.out, fx.n, gw_slice("C10"));
    assert_non_null(c);
    assert_int_equal(c->value.type, GW_RFC_CHAR);
    assert_int_equal(c->value.u.s.len, strlen("ÄÖÜäöüßéèê"));
    const gw_rfc_field_t *s = gw_rfc_fields_find(fx.out, fx.n, gw_slice("S"));
    assert_true(gw_slice_eq_str(s->value.u.s, "  keep  "));
    assert_int_equal(gw_rfc_fields_find(fx.out, fx.n, gw_slice("I1"))->value.u.i, 255);
    done(&fx);
}

static void test_utf16_length(void **state)
{
    (void)state;
    assert_int_equal(gw_codec_utf16_len(gw_slice("abc")), 3);
    assert_int_equal(gw_codec_utf16_len(gw_slice("ÄÖÜ")), 3);
    assert_int_equal(gw_codec_utf16_len(gw_slice("€")), 1);
    assert_int_equal(gw_codec_utf16_len(gw_slice("😀")), 2); /* surrogate pair */
}

static void test_invalid_inputs(void **state)
{
    (void)state;
    expect_one_error("{\"C10\":\"12345678901\"}", "/C10", "CHAR 10 holds at most 10");
    expect_one_error("{\"C10\":\"ÄÖÜäöüßéèêx\"}", "/C10", "11 characters");
    expect_one_error("{\"C10\":\"a\\u0000b\"}", "/C10", "NUL");
    expect_one_error("{\"C10\":12}", "/C10", "expected a string, got a number");
    expect_one_error("{\"C10\":\"x\",\"I1\":256}", "/I1", "out of range");
    expect_one_error("{\"C10\":\"x\",\"I1\":-1}", "/I1", "out of range");
    expect_one_error("{\"C10\":\"x\",\"NOPE\":1}", "/NOPE", "no parameter of this name");
    expect_one_error("{\"C10\":\"x\",\"OUT\":\"y\"}", "/OUT", "EXPORTING");
    expect_one_error("{}", "/C10", "mandatory parameter is missing");
    expect_one_error("{\"C10\":\"x\",\"P\":\"1.00\"}", "/P", "not supported yet");
    expect_one_error("{\"C10\":\"x\",\"A/B\":1}", "/A~1B", "expected a string");
}

static void test_all_errors_reported_up_to_limit(void **state)
{
    fx_t fx;
    (void)state;
    assert_int_equal(
        convert(&fx, "{\"C10\":1,\"S\":2,\"I1\":\"x\",\"X1\":1,\"X2\":2,\"X3\":3,\"X4\":4}"),
        GW_EPARAM);
    assert_int_equal(fx.errs.n, 5);
    assert_int_equal(fx.errs.dropped, 2);
    done(&fx);
}

static void test_result_to_json(void **state)
{
    (void)state;
    gw_rfc_field_t res[] = {
        {.name = {"OUT", 3}, .value = {.type = GW_RFC_CHAR, .u.s = {"abc   ", 6}}},
        {.name = {"C10", 3}, .value = {.type = GW_RFC_CHAR, .u.s = {"x", 1}}},
    };
    json_t *j = gw_codec_result_to_json(&func, res, 2);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    /* trailing blanks dropped; IMPORTING parameters never echoed */
    assert_string_equal(text, "{\"OUT\":\"abc\"}");
    free(text);
    json_decref(j);

    gw_rfc_value_t s = {.type = GW_RFC_STRING, .u.s = {"a  ", 3}};
    j = gw_codec_value_to_json(&s);
    assert_string_equal(json_string_value(j), "a  "); /* STRING keeps its blanks */
    json_decref(j);
    gw_rfc_value_t raw = {.type = GW_RFC_RAW, .u.s = {"\x01\x02\x03", 3}};
    j = gw_codec_value_to_json(&raw);
    assert_string_equal(json_string_value(j), "AQID");
    json_decref(j);
    gw_rfc_value_t i8 = {.type = GW_RFC_INT8, .u.i = INT64_MIN};
    j = gw_codec_value_to_json(&i8);
    assert_string_equal(json_string_value(j), "-9223372036854775808");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_char_and_string_accepted),
        cmocka_unit_test(test_utf16_length),
        cmocka_unit_test(test_invalid_inputs),
        cmocka_unit_test(test_all_errors_reported_up_to_limit),
        cmocka_unit_test(test_result_to_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
