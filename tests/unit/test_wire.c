/*
 * Unit tests of wire: round trips of every message and value type, the
 * exact bytes of the worked example in docs/protocol.md, and the decoder's
 * defences (truncation at every length, limits, count bombs, mutations).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error/error.h"
#include "wire/wire.h"

#include "rfc_eq.h"

#define S(x) GW_SLICE_LIT(x)

/* ---- helpers ---------------------------------------------------------- */

static gw_rfc_value_t v_text(int type, gw_slice_t s)
{
    gw_rfc_value_t v;
    memset(&v, 0, sizeof(v));
    v.type = (uint8_t)type;
    v.u.s = s;
    return v;
}

static gw_rfc_value_t v_int(int type, int64_t i)
{
    gw_rfc_value_t v;
    memset(&v, 0, sizeof(v));
    v.type = (uint8_t)type;
    v.u.i = i;
    return v;
}

static gw_rfc_value_t v_float(double f)
{
    gw_rfc_value_t v;
    memset(&v, 0, sizeof(v));
    v.type = GW_RFC_FLOAT;
    v.u.f = f;
    return v;
}

static gw_rfc_value_t v_struct(gw_rfc_field_t *f, uint32_t n)
{
    gw_rfc_value_t v;
    memset(&v, 0, sizeof(v));
    v.type = GW_RFC_STRUCTURE;
    v.u.st.count = n;
    v.u.st.fields = f;
    return v;
}

static gw_rfc_value_t v_table(gw_rfc_value_t *rows, uint32_t n)
{
    gw_rfc_value_t v;
    memset(&v, 0, sizeof(v));
    v.type = GW_RFC_TABLE;
    v.u.tab.count = n;
    v.u.tab.rows = rows;
    return v;
}

static int typedesc_eq(const gw_rfc_typedesc_t *a, const gw_rfc_typedesc_t *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->type != b->type || a->length != b->length || a->decimals != b->decimals ||
        !gw_slice_eq(a->name, b->name))
        return 0;
    if (a->type == GW_RFC_STRUCTURE) {
        if (a->nfields != b->nfields)
            return 0;
        for (uint32_t i = 0; i < a->nfields; i++)
            if (!gw_slice_eq(a->fields[i].name, b->fields[i].name) ||
                !typedesc_eq(a->fields[i].type, b->fields[i].type))
                return 0;
    }
    if (a->type == GW_RFC_TABLE)
        return typedesc_eq(a->line, b->line);
    return 1;
}

/* Encodes `m` into a fresh uncapped buffer (asserting success). */
static void encode_ok(gw_buf_t *b, const gw_wire_msg_t *m)
{
    gw_buf_init(b, 0);
    assert_int_equal(gw_wire_encode(b, m), 0);
    assert_true(b->len >= GW_WIRE_HEADER_SIZE);
}

/* Encodes, decodes and checks the header; the caller compares the body. */
static void roundtrip(gw_arena_t *a, const gw_wire_msg_t *m, gw_wire_msg_t *out, gw_buf_t *b)
{
    const char *why = "unset";
    encode_ok(b, m);
    assert_int_equal(gw_wire_decode(a, b->data, b->len, NULL, out, &why), 0);
    assert_null(why);
    assert_int_equal(out->type, m->type);
    assert_int_equal(out->flags, m->flags);
    assert_int_equal(out->seq, m->seq);
}

static int decode_err(const uint8_t *p, size_t len, const gw_wire_limits_t *lim, const char **why)
{
    gw_arena_t a;
    gw_wire_msg_t m;
    gw_arena_init(&a, 0);
    int ret = gw_wire_decode(&a, p, len, lim, &m, why);
    gw_arena_free(&a);
    return ret;
}

static void set_body_len(uint8_t *p, uint32_t n)
{
    p[8] = (uint8_t)n;
    p[9] = (uint8_t)(n >> 8);
    p[10] = (uint8_t)(n >> 16);
    p[11] = (uint8_t)(n >> 24);
}

/* A CALL with a bit of everything, used by several tests. */
typedef struct {
    gw_rfc_field_t inner[2];
    gw_rfc_field_t r0[3], r1[3], r2[3];
    gw_rfc_value_t rows[3];
    gw_rfc_value_t lines[3];
    gw_rfc_field_t params[4];
    gw_slice_t want[2];
    gw_wire_msg_t m;
} sample_call_t;

static void sample_call(sample_call_t *s)
{
    memset(s, 0, sizeof(*s));
    s->inner[0] = (gw_rfc_field_t){S("CITY"), v_text(GW_RFC_CHAR, S("Walldorf"))};
    s->inner[1] = (gw_rfc_field_t){S("ZIP"), v_text(GW_RFC_NUM, S("69190"))};
    gw_rfc_field_t *rs[3] = {s->r0, s->r1, s->r2};
    for (int i = 0; i < 3; i++) {
        rs[i][0] = (gw_rfc_field_t){S("ID"), v_int(GW_RFC_INT4, i - 1)};
        rs[i][1] = (gw_rfc_field_t){S("AMOUNT"), v_text(GW_RFC_BCD, S("-123.45"))};
        rs[i][2] = (gw_rfc_field_t){S("ADDR"), v_struct(s->inner, 2)};
        s->rows[i] = v_struct(rs[i], 3);
    }
    s->lines[0] = v_text(GW_RFC_STRING, S("a"));
    s->lines[1] = v_text(GW_RFC_STRING, S(""));
    s->lines[2] = v_text(GW_RFC_STRING, S("ccc"));
    s->params[0] = (gw_rfc_field_t){S("REQUTEXT"), v_text(GW_RFC_CHAR, S("hello"))};
    s->params[1] = (gw_rfc_field_t){S("ITEMS"), v_table(s->rows, 3)};
    s->params[2] = (gw_rfc_field_t){S("LINES"), v_table(s->lines, 3)};
    s->params[3] = (gw_rfc_field_t){S("COUNT"), v_int(GW_RFC_INT8, INT64_MIN)};
    s->want[0] = S("ECHOTEXT");
    s->want[1] = S("RESPTEXT");
    s->m.type = GW_WIRE_CALL;
    s->m.flags = GW_WIRE_FLAG_RESET_FIRST;
    s->m.seq = 7;
    s->m.u.call.function = S("Z_TEST");
    s->m.u.call.trace = S("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    s->m.u.call.nwant = 2;
    s->m.u.call.want = s->want;
    s->m.u.call.nparams = 4;
    s->m.u.call.params = s->params;
}

/* ---- round trips ------------------------------------------------------ */

static void test_limits_default(void **state)
{
    (void)state;
    gw_wire_limits_t l = gw_wire_limits_default();
    assert_int_equal(l.max_message, 16u * 1024 * 1024);
    assert_int_equal(l.max_depth, 16);
    assert_int_equal(l.max_count, 1000000);
}

static void test_type_name(void **state)
{
    (void)state;
    assert_string_equal(gw_wire_type_name(GW_WIRE_OPEN), "OPEN");
    assert_string_equal(gw_wire_type_name(GW_WIRE_CALL), "CALL");
    assert_string_equal(gw_wire_type_name(GW_WIRE_RESULT), "RESULT");
    assert_string_equal(gw_wire_type_name(GW_WIRE_ERROR), "ERROR");
    assert_string_equal(gw_wire_type_name(GW_WIRE_DESCRIBE), "DESCRIBE");
    assert_string_equal(gw_wire_type_name(GW_WIRE_DESCRIPTION), "DESCRIPTION");
    assert_string_equal(gw_wire_type_name(GW_WIRE_RESET), "RESET");
    assert_string_equal(gw_wire_type_name(GW_WIRE_RESET_OK), "RESET_OK");
    assert_string_equal(gw_wire_type_name(0), "?");
    assert_string_equal(gw_wire_type_name(9), "?");
}

static void test_roundtrip_open(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t m, d;
    gw_arena_init(&a, 0);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_OPEN;
    m.u.open.sid = S("A4H");
    m.u.open.release = S("758");
    m.u.open.client = S("100");
    m.u.open.user = S("RFC_USER");
    m.u.open.host = S("my100000-api.abapsim.test");
    m.u.open.session = S("");
    roundtrip(&a, &m, &d, &b);
    assert_true(gw_slice_eq(d.u.open.sid, m.u.open.sid));
    assert_true(gw_slice_eq(d.u.open.release, m.u.open.release));
    assert_true(gw_slice_eq(d.u.open.client, m.u.open.client));
    assert_true(gw_slice_eq(d.u.open.user, m.u.open.user));
    assert_true(gw_slice_eq(d.u.open.host, m.u.open.host));
    assert_int_equal(d.u.open.session.len, 0);
    assert_non_null(d.u.open.session.ptr);
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_roundtrip_call(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t d;
    sample_call_t s;
    gw_arena_init(&a, 0);
    sample_call(&s);
    roundtrip(&a, &s.m, &d, &b);
    assert_true(gw_slice_eq(d.u.call.function, S("Z_TEST")));
    assert_true(gw_slice_eq(d.u.call.trace, s.m.u.call.trace));
    assert_int_equal(d.u.call.nwant, 2);
    assert_true(gw_slice_eq(d.u.call.want[0], S("ECHOTEXT")));
    assert_true(gw_slice_eq(d.u.call.want[1], S("RESPTEXT")));
    assert_true(fields_eq(d.u.call.params, d.u.call.nparams, s.params, 4));
    /* Column names are shared: every row's field name points at the same bytes. */
    const gw_rfc_value_t *items = &d.u.call.params[1].value;
    assert_ptr_equal(items->u.tab.rows[0].u.st.fields[1].name.ptr,
                     items->u.tab.rows[2].u.st.fields[1].name.ptr);
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_roundtrip_call_want_all(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t m, d;
    gw_arena_init(&a, 0);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_CALL;
    m.seq = UINT32_MAX;
    m.u.call.function = S("RFC_PING");
    m.u.call.nwant = GW_WIRE_WANT_ALL;
    roundtrip(&a, &m, &d, &b);
    assert_int_equal(d.u.call.nwant, GW_WIRE_WANT_ALL);
    assert_null(d.u.call.want);
    assert_int_equal(d.u.call.nparams, 0);
    assert_null(d.u.call.params);
    assert_int_equal(d.u.call.trace.len, 0);
    /* header 12 + name 2+8 + trace 4 + nwant 4 + nparams 4 */
    assert_int_equal(b.len, 12 + 10 + 4 + 4 + 4);
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_roundtrip_result(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t m, d;
    gw_rfc_field_t p[2] = {
        {S("ECHOTEXT"), v_text(GW_RFC_CHAR, S("hello"))},
        {S("RESPTEXT"), v_text(GW_RFC_CHAR, S("SAP R/3 Rel. 758"))},
    };
    gw_arena_init(&a, 0);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESULT;
    m.flags = GW_WIRE_FLAG_MORE;
    m.seq = 42;
    m.u.result.nparams = 2;
    m.u.result.params = p;
    roundtrip(&a, &m, &d, &b);
    assert_true(fields_eq(d.u.result.params, d.u.result.nparams, p, 2));
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_roundtrip_error(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t m, d;
    gw_arena_init(&a, 0);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_ERROR;
    m.seq = 3;
    m.u.error.group = GW_RFC_ERR_ABAP_MESSAGE;
    m.u.error.key = S("");
    m.u.error.message = S("Material 4711 does not exist");
    m.u.error.msg_class = S("M3");
    m.u.error.msg_type = S("E");
    m.u.error.msg_number = S("305");
    m.u.error.msg_v[0] = S("4711");
    m.u.error.msg_v[3] = S("v4");
    roundtrip(&a, &m, &d, &b);
    assert_int_equal(d.u.error.group, GW_RFC_ERR_ABAP_MESSAGE);
    assert_int_equal(d.u.error.key.len, 0);
    assert_true(gw_slice_eq(d.u.error.message, m.u.error.message));
    assert_true(gw_slice_eq(d.u.error.msg_class, S("M3")));
    assert_true(gw_slice_eq(d.u.error.msg_type, S("E")));
    assert_true(gw_slice_eq(d.u.error.msg_number, S("305")));
    assert_true(gw_slice_eq(d.u.error.msg_v[0], S("4711")));
    assert_int_equal(d.u.error.msg_v[1].len, 0);
    assert_int_equal(d.u.error.msg_v[2].len, 0);
    assert_true(gw_slice_eq(d.u.error.msg_v[3], S("v4")));
    gw_buf_free(&b);

    /* A group outside 1..7 is a protocol error. */
    m.u.error.group = 9;
    encode_ok(&b, &m);
    const char *why = NULL;
    assert_int_equal(decode_err(b.data, b.len, NULL, &why), GW_EPROTO);
    assert_string_equal(why, "invalid error group");
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_roundtrip_describe(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t m, d;
    gw_arena_init(&a, 0);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_DESCRIBE;
    m.seq = 2;
    m.u.describe = S("BAPI_USER_GET_DETAIL");
    roundtrip(&a, &m, &d, &b);
    assert_true(gw_slice_eq(d.u.describe, m.u.describe));
    assert_int_equal(b.len, 12 + 2 + 20);
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_roundtrip_description(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t m, d;
    gw_rfc_typedesc_t t_char = {GW_RFC_CHAR, 0, 255, S(""), 0, NULL, NULL};
    gw_rfc_typedesc_t t_bcd = {GW_RFC_BCD, 2, 7, S(""), 0, NULL, NULL};
    gw_rfc_typedesc_t t_str = {GW_RFC_STRING, 0, 0, S(""), 0, NULL, NULL};
    gw_rfc_fielddesc_t addr_f[1] = {{S("CITY"), &t_char}};
    gw_rfc_typedesc_t t_addr = {GW_RFC_STRUCTURE, 0, 0, S("BAPIADDR"), 1, addr_f, NULL};
    gw_rfc_fielddesc_t line_f[3] = {
        {S("AMOUNT"), &t_bcd}, {S("ADDR"), &t_addr}, {S("NOTE"), &t_str}};
    gw_rfc_typedesc_t t_line = {GW_RFC_STRUCTURE, 0, 0, S("ZLINE"), 3, line_f, NULL};
    gw_rfc_typedesc_t t_tab = {GW_RFC_TABLE, 0, 0, S("ZLINE_TT"), 0, NULL, &t_line};
    gw_rfc_typedesc_t t_stab = {GW_RFC_TABLE, 0, 0, S(""), 0, NULL, &t_str};
    gw_rfc_param_t ps[3] = {
        {S("REQUTEXT"), GW_RFC_IMPORTING, 1, &t_char, S("'X'"), S("Request text")},
        {S("ITEMS"), GW_RFC_TABLES, 0, &t_tab, S(""), S("")},
        {S("NOTES"), GW_RFC_EXPORTING, 0, &t_stab, S(""), S("Notes")},
    };
    gw_arena_init(&a, 0);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_DESCRIPTION;
    m.seq = 5;
    m.u.description.name = S("Z_DESC");
    m.u.description.nparams = 3;
    m.u.description.params = ps;
    roundtrip(&a, &m, &d, &b);
    const gw_rfc_func_t *f = &d.u.description;
    assert_true(gw_slice_eq(f->name, S("Z_DESC")));
    assert_int_equal(f->nparams, 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_true(gw_slice_eq(f->params[i].name, ps[i].name));
        assert_int_equal(f->params[i].direction, ps[i].direction);
        assert_int_equal(f->params[i].optional, ps[i].optional);
        assert_true(gw_slice_eq(f->params[i].default_value, ps[i].default_value));
        assert_true(gw_slice_eq(f->params[i].text, ps[i].text));
        assert_true(typedesc_eq(f->params[i].type, ps[i].type));
    }
    assert_int_equal(f->params[1].type->line->fields[1].type->fields[0].type->length, 255);
    gw_buf_free(&b);

    /* Invalid direction and optional flag are refused. */
    const char *why = NULL;
    ps[0].direction = 5;
    encode_ok(&b, &m);
    assert_int_equal(decode_err(b.data, b.len, NULL, &why), GW_EPROTO);
    assert_string_equal(why, "invalid parameter direction");
    gw_buf_free(&b);
    ps[0].direction = GW_RFC_IMPORTING;
    ps[0].optional = 2;
    encode_ok(&b, &m);
    assert_int_equal(decode_err(b.data, b.len, NULL, &why), GW_EPROTO);
    assert_string_equal(why, "invalid optional flag");
    gw_buf_free(&b);

    /* A TABLE type without a line type cannot be encoded. */
    ps[0].optional = 0;
    t_tab.line = NULL;
    gw_buf_init(&b, 0);
    assert_int_equal(gw_wire_encode(&b, &m), GW_EINVAL);
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_roundtrip_reset(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t m, d;
    static const uint8_t reset[12] = {1, 7, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0};
    gw_arena_init(&a, 0);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESET;
    m.seq = 9;
    roundtrip(&a, &m, &d, &b);
    assert_int_equal(b.len, 12);
    assert_memory_equal(b.data, reset, 12);
    gw_buf_free(&b);
    m.type = GW_WIRE_RESET_OK;
    roundtrip(&a, &m, &d, &b);
    assert_int_equal(b.len, 12);
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_value_edges(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t m, d;
    static const uint8_t raw[4] = {0x00, 0xff, 0x10, 0x00};
    gw_rfc_field_t p[] = {
        {S("I8MIN"), v_int(GW_RFC_INT8, INT64_MIN)},
        {S("I8MAX"), v_int(GW_RFC_INT8, INT64_MAX)},
        {S("I1"), v_int(GW_RFC_INT1, 255)},
        {S("I1Z"), v_int(GW_RFC_INT1, 0)},
        {S("I2"), v_int(GW_RFC_INT2, INT16_MIN)},
        {S("I2M"), v_int(GW_RFC_INT2, INT16_MAX)},
        {S("I4"), v_int(GW_RFC_INT4, INT32_MIN)},
        {S("I4M"), v_int(GW_RFC_INT4, -1)},
        {S("F"), v_float(0.1)},
        {S("FNEG"), v_float(-1e308)},
        {S("S"), v_text(GW_RFC_STRING, S(""))},
        {S("C"), v_text(GW_RFC_CHAR, S("\xc3\x84\xc3\x96\xc3\x9c"))},
        {S("N"), v_text(GW_RFC_NUM, S("0042"))},
        {S("D"), v_text(GW_RFC_DATE, S("20240229"))},
        {S("T"), v_text(GW_RFC_TIME, S("235959"))},
        {S("P"), v_text(GW_RFC_BCD, S("-123.45"))},
        {S("D16"), v_text(GW_RFC_DECF16, S("1E+10"))},
        {S("D34"), v_text(GW_RFC_DECF34, S("-0.000000000000000000000000000000001"))},
        {S("X"), v_text(GW_RFC_XSTRING, (gw_slice_t){(const char *)raw, 4})},
        {S("R"), v_text(GW_RFC_RAW, (gw_slice_t){(const char *)raw, 2})},
        {S("ST0"), v_struct(NULL, 0)},
    };
    uint32_t n = GW_ARRAY_SIZE(p);
    gw_arena_init(&a, 0);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESULT;
    m.seq = 1;
    m.u.result.nparams = n;
    m.u.result.params = p;
    roundtrip(&a, &m, &d, &b);
    assert_int_equal(d.u.result.nparams, n);
    assert_true(fields_eq(d.u.result.params, n, p, n));
    assert_true(d.u.result.params[0].value.u.i == INT64_MIN);
    assert_true(d.u.result.params[1].value.u.i == INT64_MAX);
    assert_int_equal(d.u.result.params[2].value.u.i, 255);
    assert_int_equal(d.u.result.params[4].value.u.i, -32768);
    assert_int_equal(d.u.result.params[7].value.u.i, -1);
    double f = 0.1;
    assert_memory_equal(&d.u.result.params[8].value.u.f, &f, sizeof(f));
    assert_int_equal(d.u.result.params[11].value.u.s.len, 6);
    gw_buf_free(&b);

    /* The exact bytes of a few scalars. */
    gw_rfc_field_t one[1] = {{S("F"), v_float(0.1)}};
    m.u.result.nparams = 1;
    m.u.result.params = one;
    encode_ok(&b, &m);
    static const uint8_t fbytes[] = {0x0a, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f};
    assert_int_equal(b.len, 12 + 4 + 3 + sizeof(fbytes));
    assert_memory_equal(b.data + 12 + 4 + 3, fbytes, sizeof(fbytes));
    gw_buf_free(&b);
    one[0].value = v_int(GW_RFC_INT2, -2);
    encode_ok(&b, &m);
    static const uint8_t i2bytes[] = {0x07, 0xfe, 0xff};
    assert_memory_equal(b.data + 12 + 4 + 3, i2bytes, sizeof(i2bytes));
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_encode_int_range(void **state)
{
    (void)state;
    gw_buf_t b;
    gw_wire_msg_t m;
    gw_rfc_field_t one[1];
    const gw_rfc_value_t bad[] = {
        v_int(GW_RFC_INT1, 256),
        v_int(GW_RFC_INT1, -1),
        v_int(GW_RFC_INT2, 32768),
        v_int(GW_RFC_INT2, -32769),
        v_int(GW_RFC_INT4, INT64_C(1) << 31),
        v_int(GW_RFC_INT4, -(INT64_C(1) << 31) - 1),
        v_int(0, 0),
        v_int(0x12, 0),
    };
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESULT;
    m.u.result.nparams = 1;
    m.u.result.params = one;
    one[0].name = S("X");
    for (size_t i = 0; i < GW_ARRAY_SIZE(bad); i++) {
        one[0].value = bad[i];
        gw_buf_init(&b, 0);
        assert_int_equal(gw_wire_encode(&b, &m), GW_EINVAL);
        gw_buf_free(&b);
    }
    /* Unknown message type. */
    m.type = 99;
    gw_buf_init(&b, 0);
    assert_int_equal(gw_wire_encode(&b, &m), GW_EINVAL);
    gw_buf_free(&b);
}

static void test_encode_name_too_long(void **state)
{
    (void)state;
    gw_buf_t b;
    gw_wire_msg_t m;
    size_t n = 65536;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'A', n);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_DESCRIBE;
    m.u.describe = (gw_slice_t){big, n};
    gw_buf_init(&b, 0);
    assert_int_equal(gw_wire_encode(&b, &m), GW_EINVAL);
    gw_buf_free(&b);
    /* 65535 still fits. */
    m.u.describe.len = 65535;
    gw_buf_init(&b, 0);
    assert_int_equal(gw_wire_encode(&b, &m), 0);
    assert_int_equal(b.len, 12 + 2 + 65535);
    gw_buf_free(&b);
    free(big);
}

static void test_encode_appends(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t m, d;
    gw_arena_init(&a, 0);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_DESCRIBE;
    m.seq = 1;
    m.u.describe = S("RFC_PING");
    gw_buf_init(&b, 0);
    assert_int_equal(gw_buf_append(&b, "xyz", 3), 0);
    assert_int_equal(gw_wire_encode(&b, &m), 0);
    assert_memory_equal(b.data, "xyz", 3);
    assert_int_equal(gw_wire_decode(&a, b.data + 3, b.len - 3, NULL, &d, NULL), 0);
    assert_true(gw_slice_eq(d.u.describe, S("RFC_PING")));
    gw_buf_free(&b);
    gw_arena_free(&a);
}

/* ---- tables ----------------------------------------------------------- */

static void table_roundtrip(gw_rfc_value_t tab, gw_buf_t *b, gw_wire_msg_t *d, gw_arena_t *a)
{
    gw_wire_msg_t m;
    gw_rfc_field_t p[1] = {{S("T"), tab}};
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESULT;
    m.seq = 1;
    m.u.result.nparams = 1;
    m.u.result.params = p;
    roundtrip(a, &m, d, b);
    assert_int_equal(d->u.result.nparams, 1);
    assert_true(value_eq(&d->u.result.params[0].value, &tab));
}

static void test_table_zero_rows(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t d;
    static const uint8_t tail[] = {0x11, 0, 0, 0, 0, 0, 0, 0, 0};
    gw_arena_init(&a, 0);
    table_roundtrip(v_table(NULL, 0), &b, &d, &a);
    assert_int_equal(b.len, 12 + 4 + 3 + sizeof(tail));
    assert_memory_equal(b.data + b.len - sizeof(tail), tail, sizeof(tail));
    assert_null(d.u.result.params[0].value.u.tab.rows);
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_table_of_structures(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t d;
    sample_call_t s;
    gw_arena_init(&a, 0);
    sample_call(&s);
    table_roundtrip(v_table(s.rows, 3), &b, &d, &a);
    const gw_rfc_value_t *t = &d.u.result.params[0].value;
    assert_int_equal(t->u.tab.count, 3);
    assert_int_equal(t->u.tab.rows[2].type, GW_RFC_STRUCTURE);
    assert_int_equal(t->u.tab.rows[2].u.st.fields[0].value.u.i, 1);
    const gw_rfc_value_t *addr = &t->u.tab.rows[1].u.st.fields[2].value;
    assert_int_equal(addr->type, GW_RFC_STRUCTURE);
    assert_true(gw_slice_eq(addr->u.st.fields[0].value.u.s, S("Walldorf")));
    /* Column names appear once: "AMOUNT" occurs a single time in the bytes. */
    int hits = 0;
    for (size_t i = 0; i + 6 <= b.len; i++)
        hits += memcmp(b.data + i, "AMOUNT", 6) == 0;
    assert_int_equal(hits, 1);
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_table_scalar_line(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_buf_t b;
    gw_wire_msg_t d;
    gw_rfc_value_t rows[3] = {v_int(GW_RFC_INT4, 1), v_int(GW_RFC_INT4, -2), v_int(GW_RFC_INT4, 3)};
    gw_arena_init(&a, 0);
    table_roundtrip(v_table(rows, 3), &b, &d, &a);
    /* ncols = 0, nrows = 3, then 3 × (code + i32) */
    static const uint8_t tail[] = {0x11, 0, 0,    0,    0,    3,    0,    0,    0, 0x08, 1, 0,
                                   0,    0, 0x08, 0xfe, 0xff, 0xff, 0xff, 0x08, 3, 0,    0, 0};
    assert_int_equal(b.len, 12 + 4 + 3 + sizeof(tail));
    assert_memory_equal(b.data + 12 + 4 + 3, tail, sizeof(tail));
    gw_buf_free(&b);

    /* Rows that are empty structures travel as whole values. */
    gw_rfc_value_t empty[2] = {v_struct(NULL, 0), v_struct(NULL, 0)};
    table_roundtrip(v_table(empty, 2), &b, &d, &a);
    gw_buf_free(&b);

    /* A table of tables. */
    gw_rfc_value_t inner[2] = {v_table(rows, 3), v_table(NULL, 0)};
    table_roundtrip(v_table(inner, 2), &b, &d, &a);
    gw_buf_free(&b);
    gw_arena_free(&a);
}

static void test_table_mismatch(void **state)
{
    (void)state;
    gw_buf_t b;
    gw_wire_msg_t m;
    sample_call_t s;
    gw_rfc_field_t p[1];
    gw_rfc_field_t other[3];
    gw_rfc_value_t rows[3];
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESULT;
    m.u.result.nparams = 1;
    m.u.result.params = p;
    p[0].name = S("T");
    for (int c = 0; c < 5; c++) {
        sample_call(&s);
        memcpy(rows, s.rows, sizeof(rows));
        memcpy(other, s.r1, sizeof(other));
        rows[1].u.st.fields = other;
        switch (c) {
        case 0: /* fewer fields */
            rows[1].u.st.count = 2;
            break;
        case 1: /* a different name */
            other[1].name = S("AMOUNT2");
            break;
        case 2: /* the same names in another order */
            other[0] = s.r1[1];
            other[1] = s.r1[0];
            break;
        case 3: /* a scalar among structures */
            rows[2] = v_int(GW_RFC_INT4, 1);
            break;
        case 4: /* a structure among scalars */
            rows[0] = v_int(GW_RFC_INT4, 1);
            break;
        }
        p[0].value = v_table(rows, 3);
        gw_buf_init(&b, 0);
        assert_int_equal(gw_wire_encode(&b, &m), GW_EINVAL);
        gw_buf_free(&b);
    }
    /* Scalars of different types. */
    rows[0] = v_int(GW_RFC_INT4, 1);
    rows[1] = v_text(GW_RFC_STRING, S("x"));
    p[0].value = v_table(rows, 2);
    gw_buf_init(&b, 0);
    assert_int_equal(gw_wire_encode(&b, &m), GW_EINVAL);
    gw_buf_free(&b);
}

/* ---- worked example of docs/protocol.md --------------------------------- */

static void test_hex_example(void **state)
{
    (void)state;
    /* CALL STFC_CONNECTION, seq 1, WANT_ALL, REQUTEXT = CHAR "hello". */
    static const uint8_t expect[] = {
        0x01, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x31, 0x00, 0x00, 0x00, /* header */
        0x0f, 0x00, 'S',  'T',  'F',  'C',  '_',  'C',  'O',  'N',  'N',  'E',
        'C',  'T',  'I',  'O',  'N',                               /* function */
        0x00, 0x00, 0x00, 0x00,                                    /* trace "" */
        0xff, 0xff, 0xff, 0xff,                                    /* WANT_ALL */
        0x01, 0x00, 0x00, 0x00,                                    /* 1 param */
        0x08, 0x00, 'R',  'E',  'Q',  'U',  'T',  'E',  'X',  'T', /* name */
        0x01, 0x05, 0x00, 0x00, 0x00, 'h',  'e',  'l',  'l',  'o', /* CHAR */
    };
    gw_rfc_field_t p[1] = {{S("REQUTEXT"), v_text(GW_RFC_CHAR, S("hello"))}};
    gw_wire_msg_t m, d;
    gw_buf_t b;
    gw_arena_t a;
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_CALL;
    m.seq = 1;
    m.u.call.function = S("STFC_CONNECTION");
    m.u.call.nwant = GW_WIRE_WANT_ALL;
    m.u.call.nparams = 1;
    m.u.call.params = p;
    encode_ok(&b, &m);
    assert_int_equal(b.len, sizeof(expect));
    assert_int_equal(sizeof(expect), 61);
    assert_memory_equal(b.data, expect, sizeof(expect));
    gw_buf_free(&b);
    gw_arena_init(&a, 0);
    assert_int_equal(gw_wire_decode(&a, expect, sizeof(expect), NULL, &d, NULL), 0);
    assert_true(fields_eq(d.u.call.params, d.u.call.nparams, p, 1));
    gw_arena_free(&a);
}

/* ---- decoder defences ------------------------------------------------- */

static void test_truncated_every_prefix(void **state)
{
    (void)state;
    gw_buf_t b;
    sample_call_t s;
    sample_call(&s);
    encode_ok(&b, &s.m);
    for (size_t n = 0; n < b.len; n++) {
        const char *why = NULL;
        /* Exactly n bytes on the heap, so ASan sees any read past them. */
        uint8_t *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, b.data, n);
        assert_int_equal(decode_err(p, n, NULL, &why), GW_EPROTO);
        assert_non_null(why);
        if (n < GW_WIRE_HEADER_SIZE) {
            assert_string_equal(why, "truncated message");
        } else {
            assert_string_equal(why, "body length mismatch");
            /* Now make the header agree, so the body parser meets the end. */
            set_body_len(p, (uint32_t)(n - GW_WIRE_HEADER_SIZE));
            assert_int_equal(decode_err(p, n, NULL, &why), GW_EPROTO);
            assert_non_null(why);
        }
        free(p);
    }
    gw_buf_free(&b);
}

/* Every prefix (with a consistent header) of every message type is refused. */
static void test_truncated_all_types(void **state)
{
    (void)state;
    gw_rfc_typedesc_t t_str = {GW_RFC_STRING, 0, 0, S("STR"), 0, NULL, NULL};
    gw_rfc_fielddesc_t fd[1] = {{S("F"), &t_str}};
    gw_rfc_typedesc_t t_st = {GW_RFC_STRUCTURE, 0, 0, S("S"), 1, fd, NULL};
    gw_rfc_typedesc_t t_tab = {GW_RFC_TABLE, 0, 0, S("T"), 0, NULL, &t_st};
    gw_rfc_param_t ps[1] = {{S("P"), GW_RFC_TABLES, 0, &t_tab, S("d"), S("t")}};
    gw_wire_msg_t ms[4];
    memset(ms, 0, sizeof(ms));
    ms[0].type = GW_WIRE_OPEN;
    ms[0].u.open.sid = S("A4H");
    ms[0].u.open.session = S("x");
    ms[1].type = GW_WIRE_ERROR;
    ms[1].u.error.group = 7;
    ms[1].u.error.msg_v[3] = S("v");
    ms[2].type = GW_WIRE_DESCRIBE;
    ms[2].u.describe = S("F");
    ms[3].type = GW_WIRE_DESCRIPTION;
    ms[3].u.description.name = S("F");
    ms[3].u.description.nparams = 1;
    ms[3].u.description.params = ps;
    for (size_t k = 0; k < GW_ARRAY_SIZE(ms); k++) {
        gw_buf_t b;
        encode_ok(&b, &ms[k]);
        assert_int_equal(decode_err(b.data, b.len, NULL, NULL), 0);
        for (size_t n = GW_WIRE_HEADER_SIZE; n < b.len; n++) {
            const char *why = NULL;
            uint8_t *p = malloc(n);
            assert_non_null(p);
            memcpy(p, b.data, n);
            set_body_len(p, (uint32_t)(n - GW_WIRE_HEADER_SIZE));
            assert_int_equal(decode_err(p, n, NULL, &why), GW_EPROTO);
            assert_string_equal(why, "truncated message");
            free(p);
        }
        gw_buf_free(&b);
    }
}

static void test_oversized(void **state)
{
    (void)state;
    gw_buf_t b;
    sample_call_t s;
    const char *why = NULL;
    sample_call(&s);
    encode_ok(&b, &s.m);
    gw_wire_limits_t lim = {(uint32_t)b.len - 1, 0, 0};
    assert_int_equal(decode_err(b.data, b.len, &lim, &why), GW_EPROTO);
    assert_string_equal(why, "message too large");
    lim.max_message = (uint32_t)b.len;
    assert_int_equal(decode_err(b.data, b.len, &lim, &why), 0);
    assert_null(why);
    gw_buf_free(&b);
}

static void test_version2(void **state)
{
    (void)state;
    uint8_t p[12] = {2, GW_WIRE_RESET, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    const char *why = NULL;
    assert_int_equal(decode_err(p, sizeof(p), NULL, &why), GW_EPROTO);
    assert_string_equal(why, "unsupported protocol version");
    p[0] = 0;
    assert_int_equal(decode_err(p, sizeof(p), NULL, &why), GW_EPROTO);
    p[0] = 1;
    assert_int_equal(decode_err(p, sizeof(p), NULL, &why), 0);
}

static void test_trailing_byte(void **state)
{
    (void)state;
    gw_buf_t b;
    const char *why = NULL;
    gw_wire_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_DESCRIBE;
    m.u.describe = S("RFC_PING");
    encode_ok(&b, &m);
    assert_int_equal(gw_buf_append(&b, "\0", 1), 0);
    set_body_len(b.data, (uint32_t)(b.len - GW_WIRE_HEADER_SIZE));
    assert_int_equal(decode_err(b.data, b.len, NULL, &why), GW_EPROTO);
    assert_string_equal(why, "trailing bytes");
    /* Without fixing the header it is a length mismatch instead. */
    assert_int_equal(gw_buf_append(&b, "\0", 1), 0);
    assert_int_equal(decode_err(b.data, b.len, NULL, &why), GW_EPROTO);
    assert_string_equal(why, "body length mismatch");
    gw_buf_free(&b);

    /* RESET carries no body at all. */
    uint8_t r[13] = {1, GW_WIRE_RESET, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(decode_err(r, sizeof(r), NULL, &why), GW_EPROTO);
    assert_string_equal(why, "trailing bytes");
}

static void test_unknown_types(void **state)
{
    (void)state;
    const char *why = NULL;
    for (int t = 0; t < 256; t++) {
        uint8_t p[12] = {1, (uint8_t)t, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        int ret = decode_err(p, sizeof(p), NULL, &why);
        if (t == GW_WIRE_RESET || t == GW_WIRE_RESET_OK) {
            assert_int_equal(ret, 0);
        } else if (t < GW_WIRE_OPEN || t > GW_WIRE_RESET_OK) {
            assert_int_equal(ret, GW_EPROTO);
            assert_string_equal(why, "unknown message type");
        } else {
            assert_int_equal(ret, GW_EPROTO); /* a body is required */
            assert_string_equal(why, "truncated message");
        }
    }
    /* RESULT with one parameter "X" of value type 0x00, then 0x12. */
    uint8_t v[] = {1,   GW_WIRE_RESULT, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 1, 0,
                   'X', 0x00,           0, 0, 0, 0};
    assert_int_equal(decode_err(v, sizeof(v), NULL, &why), GW_EPROTO);
    assert_string_equal(why, "unknown value type");
    v[19] = 0x12;
    assert_int_equal(decode_err(v, sizeof(v), NULL, &why), GW_EPROTO);
    assert_string_equal(why, "unknown value type");
    v[19] = GW_RFC_STRING; /* an empty STRING: now valid */
    assert_int_equal(decode_err(v, sizeof(v), NULL, &why), 0);
}

/* Builds `depth` structures nested inside each other, the innermost holding an INT4. */
static gw_rfc_value_t nest(gw_rfc_field_t *f, int depth)
{
    for (int i = depth - 1; i >= 0; i--) {
        f[i].name = S("S");
        f[i].value = i == depth - 1 ? v_int(GW_RFC_INT4, 7) : v_struct(&f[i + 1], 1);
    }
    return v_struct(&f[0], 1);
}

static int nest_decode(int depth, uint32_t max_depth, const char **why)
{
    gw_rfc_field_t f[64];
    gw_rfc_field_t p[1];
    gw_wire_msg_t m;
    gw_buf_t b;
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESULT;
    m.u.result.nparams = 1;
    m.u.result.params = p;
    p[0].name = S("P");
    p[0].value = nest(f, depth); /* `depth` structures: P, then depth-1 nested */
    encode_ok(&b, &m);
    gw_wire_limits_t lim = {0, max_depth, 0};
    int ret = decode_err(b.data, b.len, &lim, why);
    gw_buf_free(&b);
    return ret;
}

static void test_depth_limit(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_int_equal(nest_decode(20, 16, &why), GW_EPROTO);
    assert_string_equal(why, "depth limit exceeded");
    assert_int_equal(nest_decode(10, 16, &why), 0);
    assert_int_equal(nest_decode(16, 16, &why), 0);
    assert_int_equal(nest_decode(17, 16, &why), GW_EPROTO);
    assert_string_equal(why, "depth limit exceeded");
    assert_int_equal(nest_decode(17, 0, &why), GW_EPROTO); /* 0 = default 16 */
    assert_int_equal(nest_decode(60, 60, &why), 0);

    /* A table of structures counts as two levels: table, then its rows. */
    gw_rfc_field_t cols[1] = {{S("A"), v_int(GW_RFC_INT4, 1)}};
    gw_rfc_value_t row = v_struct(cols, 1);
    gw_rfc_field_t p[1] = {{S("T"), v_table(&row, 1)}};
    gw_wire_msg_t m;
    gw_buf_t b;
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESULT;
    m.u.result.nparams = 1;
    m.u.result.params = p;
    encode_ok(&b, &m);
    gw_wire_limits_t lim = {0, 1, 0};
    assert_int_equal(decode_err(b.data, b.len, &lim, &why), GW_EPROTO);
    assert_string_equal(why, "depth limit exceeded");
    lim.max_depth = 2;
    assert_int_equal(decode_err(b.data, b.len, &lim, &why), 0);
    gw_buf_free(&b);
}

static void test_depth_limit_typedesc(void **state)
{
    (void)state;
    gw_rfc_typedesc_t t[20];
    gw_rfc_fielddesc_t fd[20];
    gw_rfc_param_t ps[1];
    gw_wire_msg_t m;
    gw_buf_t b;
    const char *why = NULL;
    /* t[0] is STRUCTURE containing t[1] ... t[18]; t[19] is INT4. */
    for (int i = 19; i >= 0; i--) {
        memset(&t[i], 0, sizeof(t[i]));
        if (i == 19) {
            t[i].type = GW_RFC_INT4;
            t[i].length = 4;
            continue;
        }
        t[i].type = i % 2 ? GW_RFC_TABLE : GW_RFC_STRUCTURE;
        if (t[i].type == GW_RFC_TABLE) {
            t[i].line = &t[i + 1];
        } else {
            fd[i].name = S("F");
            fd[i].type = &t[i + 1];
            t[i].nfields = 1;
            t[i].fields = &fd[i];
        }
    }
    ps[0] = (gw_rfc_param_t){S("P"), GW_RFC_IMPORTING, 0, &t[0], S(""), S("")};
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_DESCRIPTION;
    m.u.description.name = S("F");
    m.u.description.nparams = 1;
    m.u.description.params = ps;
    encode_ok(&b, &m);
    gw_wire_limits_t lim = {0, 16, 0};
    assert_int_equal(decode_err(b.data, b.len, &lim, &why), GW_EPROTO);
    assert_string_equal(why, "depth limit exceeded");
    lim.max_depth = 19;
    assert_int_equal(decode_err(b.data, b.len, &lim, &why), 0);
    lim.max_depth = 18;
    assert_int_equal(decode_err(b.data, b.len, &lim, &why), GW_EPROTO);
    gw_buf_free(&b);
}

static void test_count_limit(void **state)
{
    (void)state;
    gw_rfc_value_t rows[5];
    gw_rfc_field_t p[1] = {{S("T"), v_table(rows, 5)}};
    gw_wire_msg_t m;
    gw_buf_t b;
    const char *why = NULL;
    for (int i = 0; i < 5; i++)
        rows[i] = v_int(GW_RFC_INT1, i);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESULT;
    m.u.result.nparams = 1;
    m.u.result.params = p;
    encode_ok(&b, &m);
    gw_wire_limits_t lim = {0, 0, 4};
    assert_int_equal(decode_err(b.data, b.len, &lim, &why), GW_EPROTO);
    assert_string_equal(why, "count limit exceeded");
    lim.max_count = 5;
    assert_int_equal(decode_err(b.data, b.len, &lim, &why), 0);
    gw_buf_free(&b);

    /* nwant counts too. */
    gw_slice_t want[3] = {S("A"), S("B"), S("C")};
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_CALL;
    m.u.call.function = S("F");
    m.u.call.nwant = 3;
    m.u.call.want = want;
    encode_ok(&b, &m);
    lim.max_count = 2;
    assert_int_equal(decode_err(b.data, b.len, &lim, &why), GW_EPROTO);
    assert_string_equal(why, "count limit exceeded");
    gw_buf_free(&b);
}

static void test_count_bomb(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_wire_msg_t d;
    const char *why = NULL;
    /* RESULT, 1 param "T": TABLE, 1 column "A", 1,000,000 rows, then 2 bytes. */
    uint8_t p[] = {1,    GW_WIRE_RESULT,
                   0,    0,
                   1,    0,
                   0,    0,
                   0,    0,
                   0,    0, /* header */
                   1,    0,
                   0,    0,
                   1,    0,
                   'T', /* 1 param "T" */
                   0x11, 1,
                   0,    0,
                   0,    1,
                   0,    'A', /* 1 column "A" */
                   0x40, 0x42,
                   0x0f, 0x00, /* 1,000,000 rows */
                   0x06, 0x01};
    set_body_len(p, sizeof(p) - GW_WIRE_HEADER_SIZE);
    gw_arena_init(&a, 64 * 1024);
    assert_int_equal(gw_wire_decode(&a, p, sizeof(p), NULL, &d, &why), GW_EPROTO);
    assert_string_equal(why, "truncated message");
    assert_true(a.total <= 4096);
    gw_arena_free(&a);

    /* The same with a scalar line type (ncols = 0) and with 1,000,000 parameters. */
    uint8_t q[] = {
        1,   GW_WIRE_RESULT, 0, 0, 1, 0, 0,    0,    0,    0,    0,    0,   1, 0, 0, 0, 1, 0,
        'T', 0x11,           0, 0, 0, 0, 0x40, 0x42, 0x0f, 0x00, 0x06, 0x01};
    set_body_len(q, sizeof(q) - GW_WIRE_HEADER_SIZE);
    assert_int_equal(gw_wire_decode(&a, q, sizeof(q), NULL, &d, &why), GW_EPROTO);
    assert_string_equal(why, "truncated message");
    assert_true(a.total <= 4096);
    gw_arena_free(&a);
    uint8_t r[] = {1, GW_WIRE_RESULT, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x42, 0x0f, 0x00, 1, 0};
    set_body_len(r, sizeof(r) - GW_WIRE_HEADER_SIZE);
    assert_int_equal(gw_wire_decode(&a, r, sizeof(r), NULL, &d, &why), GW_EPROTO);
    assert_true(a.total <= 4096);
    gw_arena_free(&a);

    /* A structure and a want list making the same claim. */
    uint8_t s[] = {1, GW_WIRE_CALL, 0, 0, 1, 0, 0,    0,    0,    0,    0, 0, 1,
                   0, 'F',          0, 0, 0, 0, 0x40, 0x42, 0x0f, 0x00, 0, 0};
    set_body_len(s, sizeof(s) - GW_WIRE_HEADER_SIZE);
    assert_int_equal(gw_wire_decode(&a, s, sizeof(s), NULL, &d, &why), GW_EPROTO);
    assert_true(a.total <= 4096);
    gw_arena_free(&a);
}

static void test_arena_exhausted(void **state)
{
    (void)state;
    gw_arena_t a;
    gw_wire_msg_t d;
    gw_buf_t b;
    gw_arena_init(&a, 1024); /* the first chunk fits, the next does not */
    gw_rfc_value_t rows[200];
    gw_rfc_field_t p[1] = {{S("T"), v_table(rows, 200)}};
    gw_wire_msg_t m;
    for (int i = 0; i < 200; i++)
        rows[i] = v_int(GW_RFC_INT1, 1);
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_RESULT;
    m.u.result.nparams = 1;
    m.u.result.params = p;
    encode_ok(&b, &m);
    assert_int_equal(gw_wire_decode(&a, b.data, b.len, NULL, &d, NULL), GW_ENOMEM);
    gw_arena_free(&a);
    gw_buf_free(&b);
}

static void test_encode_toobig(void **state)
{
    (void)state;
    gw_buf_t b;
    sample_call_t s;
    sample_call(&s);
    encode_ok(&b, &s.m);
    size_t full = b.len;
    gw_buf_free(&b);
    gw_buf_init(&b, 64);
    assert_int_equal(gw_wire_encode(&b, &s.m), GW_ETOOBIG);
    assert_true(b.len <= 64);
    gw_buf_free(&b);
    gw_buf_init(&b, 8); /* not even room for the header */
    assert_int_equal(gw_wire_encode(&b, &s.m), GW_ETOOBIG);
    gw_buf_free(&b);
    gw_buf_init(&b, full);
    assert_int_equal(gw_wire_encode(&b, &s.m), 0);
    assert_int_equal(b.len, full);
    gw_buf_free(&b);
}

/* Flips random bytes of valid messages: the decoder answers 0 or GW_EPROTO, never crashes. */
static void test_mutations(void **state)
{
    (void)state;
    gw_buf_t b;
    sample_call_t s;
    uint32_t x = 12345;
    int bad = 0;
    sample_call(&s);
    encode_ok(&b, &s.m);
    uint8_t *p = malloc(b.len);
    assert_non_null(p);
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(p, b.data, b.len);
        int flips = 1 + iter % 4;
        for (int k = 0; k < flips; k++) {
            x = x * 1103515245u + 12345u;
            size_t pos = GW_WIRE_HEADER_SIZE + (x >> 8) % (b.len - GW_WIRE_HEADER_SIZE);
            x = x * 1103515245u + 12345u;
            p[pos] = (uint8_t)(x >> 16);
        }
        const char *why = NULL;
        int ret = decode_err(p, b.len, NULL, &why);
        assert_true(ret == 0 || ret == GW_EPROTO);
        if (ret == GW_EPROTO)
            assert_non_null(why);
        if (ret == GW_EPROTO)
            bad++;
    }
    assert_true(bad > 0);
    free(p);
    gw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_default),
        cmocka_unit_test(test_type_name),
        cmocka_unit_test(test_roundtrip_open),
        cmocka_unit_test(test_roundtrip_call),
        cmocka_unit_test(test_roundtrip_call_want_all),
        cmocka_unit_test(test_roundtrip_result),
        cmocka_unit_test(test_roundtrip_error),
        cmocka_unit_test(test_roundtrip_describe),
        cmocka_unit_test(test_roundtrip_description),
        cmocka_unit_test(test_roundtrip_reset),
        cmocka_unit_test(test_value_edges),
        cmocka_unit_test(test_encode_int_range),
        cmocka_unit_test(test_encode_name_too_long),
        cmocka_unit_test(test_encode_appends),
        cmocka_unit_test(test_table_zero_rows),
        cmocka_unit_test(test_table_of_structures),
        cmocka_unit_test(test_table_scalar_line),
        cmocka_unit_test(test_table_mismatch),
        cmocka_unit_test(test_hex_example),
        cmocka_unit_test(test_truncated_every_prefix),
        cmocka_unit_test(test_truncated_all_types),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_version2),
        cmocka_unit_test(test_trailing_byte),
        cmocka_unit_test(test_unknown_types),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_depth_limit_typedesc),
        cmocka_unit_test(test_count_limit),
        cmocka_unit_test(test_count_bomb),
        cmocka_unit_test(test_arena_exhausted),
        cmocka_unit_test(test_encode_toobig),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
