/*
 * libFuzzer target: JSON request bodies (jdoc) → RFC values (checked against a
 * function with every ABAP type, nested structures and tables) → wire →
 * JSON. Any input must give either a clean list of errors or values whose
 * JSON output is valid JSON; never a crash, a leak or a hang.
 */
#include "base/base.h"
#include "codec/codec.h"
#include "error/error.h"
#include "wire/wire.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#define S(x) GW_SLICE_LIT(x)

static const gw_rfc_typedesc_t t_char = {.type = GW_RFC_CHAR, .length = 10};
static const gw_rfc_typedesc_t t_num = {.type = GW_RFC_NUM, .length = 8};
static const gw_rfc_typedesc_t t_date = {.type = GW_RFC_DATE};
static const gw_rfc_typedesc_t t_time = {.type = GW_RFC_TIME};
static const gw_rfc_typedesc_t t_bcd = {.type = GW_RFC_BCD, .length = 8, .decimals = 2};
static const gw_rfc_typedesc_t t_i1 = {.type = GW_RFC_INT1};
static const gw_rfc_typedesc_t t_i2 = {.type = GW_RFC_INT2};
static const gw_rfc_typedesc_t t_i4 = {.type = GW_RFC_INT4};
static const gw_rfc_typedesc_t t_i8 = {.type = GW_RFC_INT8};
static const gw_rfc_typedesc_t t_float = {.type = GW_RFC_FLOAT};
static const gw_rfc_typedesc_t t_d16 = {.type = GW_RFC_DECF16};
static const gw_rfc_typedesc_t t_d34 = {.type = GW_RFC_DECF34};
static const gw_rfc_typedesc_t t_string = {.type = GW_RFC_STRING};
static const gw_rfc_typedesc_t t_xstring = {.type = GW_RFC_XSTRING};
static const gw_rfc_typedesc_t t_raw = {.type = GW_RFC_RAW, .length = 4};
static const gw_rfc_fielddesc_t small_fields[] = {{S("A"), &t_char}, {S("B"), &t_i4}};
static const gw_rfc_typedesc_t t_small = {
    .type = GW_RFC_STRUCTURE, .nfields = 2, .fields = small_fields};
static const gw_rfc_typedesc_t t_small_tab = {.type = GW_RFC_TABLE, .line = &t_small};
static const gw_rfc_fielddesc_t deep_fields[] = {
    {S("C"), &t_char},  {S("N"), &t_num},    {S("D"), &t_date},    {S("T"), &t_time},
    {S("P"), &t_bcd},   {S("I1"), &t_i1},    {S("I2"), &t_i2},     {S("I8"), &t_i8},
    {S("F"), &t_float}, {S("S"), &t_string}, {S("X"), &t_xstring}, {S("TAB"), &t_small_tab},
};
static const gw_rfc_typedesc_t t_deep = {
    .type = GW_RFC_STRUCTURE, .nfields = 12, .fields = deep_fields};
static const gw_rfc_typedesc_t t_deep_tab = {.type = GW_RFC_TABLE, .line = &t_deep};
static const gw_rfc_typedesc_t t_scalar_tab = {.type = GW_RFC_TABLE, .line = &t_d34};
static const gw_rfc_param_t params[] = {
    {.name = S("C"), .direction = GW_RFC_IMPORTING, .type = &t_char},
    {.name = S("RAW"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &t_raw},
    {.name = S("D16"), .direction = GW_RFC_IMPORTING, .optional = 1, .type = &t_d16},
    {.name = S("DEEP"), .direction = GW_RFC_CHANGING, .optional = 1, .type = &t_deep},
    {.name = S("ROWS"), .direction = GW_RFC_TABLES, .optional = 1, .type = &t_deep_tab},
    {.name = S("LIST"), .direction = GW_RFC_TABLES, .optional = 1, .type = &t_scalar_tab},
    {.name = S("OUT"), .direction = GW_RFC_EXPORTING, .type = &t_char},
};
static const gw_rfc_func_t func = {.name = S("Z_FUZZ"), .nparams = 7, .params = params};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_arena_t a;
    gw_arena_init(&a, 64u << 20);
    const gw_jdoc_t *body;
    gw_jdoc_error_t jerr;
    if (gw_jdoc_parse(&a, (const char *)data, size, 32, &body, &jerr) != 0 ||
        body->type != GW_JDOC_OBJECT) {
        gw_arena_free(&a);
        return 0;
    }
    gw_codec_errors_t errs;
    gw_codec_opts_t o = gw_codec_opts_default();
    o.max_rows = 1000;
    gw_rfc_field_t *p = NULL;
    uint32_t n = 0;
    if (gw_codec_errors_init(&a, &errs, 20) == 0 &&
        gw_codec_params_read(&a, &func, body, &o, &p, &n, &errs) == 0) {
        /* What the codec accepted must encode, decode and come back out as valid JSON. */
        gw_wire_msg_t m = {.type = GW_WIRE_RESULT, .seq = 1};
        m.u.result.nparams = n;
        m.u.result.params = p;
        gw_buf_t wire, out;
        gw_buf_init(&wire, 0);
        gw_buf_init(&out, 0);
        gw_wire_msg_t back;
        if (gw_wire_encode(&wire, &m) != 0 ||
            gw_wire_decode(&a, wire.data, wire.len, NULL, &back, NULL) != 0)
            abort();
        if (gw_codec_result_write(&out, &func, back.u.result.params, back.u.result.nparams, &o))
            abort();
        json_t *again = json_loadb((const char *)out.data, out.len, 0, NULL);
        if (again == NULL)
            abort();
        json_decref(again);
        gw_buf_free(&wire);
        gw_buf_free(&out);
    }
    gw_arena_free(&a);
    return 0;
}
