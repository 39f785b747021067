/*
 * rfm_stfc: the type-system test functions.
 *
 * STFC_STRUCTURE, STFC_CHANGING, STFC_DEEP_STRUCTURE and STFC_DEEP_TABLE
 * copy SAP's test modules of the same names (signatures from SE37, the
 * behaviour as documented), so a client tested against abapsim behaves the
 * same against a real system. Z_RFMGW_TYPE_TEST is the simulator's own: one
 * optional parameter of every RFC type, each echoed, plus a parameter with
 * an ABAP default and two fixed dates, so the gateway's value conversion
 * can be checked type by type, end to end.
 *
 * Echoes go through sim__conform(): what comes back is what an ABAP
 * variable of the parameter's type would hold after the assignment.
 */
#include "sim/rfm_internal.h"
#include "error/error.h"

#include <string.h>

static int echo(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res,
                const char *from, const char *to)
{
    const gw_rfc_param_t *p = gw_rfc_func_param(res->func, gw_slice(to));
    gw_rfc_value_t v;
    if (p == NULL)
        return GW_EINVAL;
    int ret = sim__conform(ctx->arena, p->type, sim_call_param(call, from), &v);
    return ret ? ret : sim_result_set(res, to, v);
}

static int set_resptext(sim_call_ctx_t *ctx, sim_result_t *res, const char *name)
{
    char *text = sim__resptext(ctx);
    if (text == NULL)
        return GW_ENOMEM;
    const gw_rfc_param_t *p = gw_rfc_func_param(res->func, gw_slice(name));
    if (p && p->type->type == GW_RFC_STRING)
        return sim_result_set(res, name,
                              (gw_rfc_value_t){.type = GW_RFC_STRING, .u.s = gw_slice(text)});
    return sim_result_set_char(res, name, text, strlen(text));
}

/* ---- STFC_STRUCTURE ------------------------------------------------------ */

static const gw_rfc_fielddesc_t rfctest_fields[] = {
    {S("RFCFLOAT"), T_FLOAT}, {S("RFCCHAR1"), T_CHAR(1)},  {S("RFCINT2"), T_INT2},
    {S("RFCINT1"), T_INT1},   {S("RFCCHAR4"), T_CHAR(4)},  {S("RFCINT4"), T_INT4},
    {S("RFCHEX3"), T_RAW(3)}, {S("RFCCHAR2"), T_CHAR(2)},  {S("RFCTIME"), T_TIME},
    {S("RFCDATE"), T_DATE},   {S("RFCDATA1"), T_CHAR(50)}, {S("RFCDATA2"), T_CHAR(50)},
};
static const gw_rfc_typedesc_t rfctest = SIM_STRUCT("RFCTEST", rfctest_fields);
static const gw_rfc_typedesc_t rfctest_tab = SIM_TABLE("RFCTEST_TAB", &rfctest);

static const gw_rfc_param_t stfc_structure_params[] = {
    {S("IMPORTSTRUCT"), GW_RFC_IMPORTING, 0, &rfctest, S(""), S("Importing structure")},
    {S("ECHOSTRUCT"), GW_RFC_EXPORTING, 0, &rfctest, S(""), S("Echo of IMPORTSTRUCT")},
    {S("RESPTEXT"), GW_RFC_EXPORTING, 0, T_CHAR(255), S(""), S("Response text with system data")},
    {S("RFCTABLE"), GW_RFC_TABLES, 1, &rfctest_tab, S(""), S("Rows sent plus IMPORTSTRUCT")},
};

static int stfc_structure(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    gw_rfc_value_t st, tab;
    int ret = sim__conform(ctx->arena, &rfctest, sim_call_param(call, "IMPORTSTRUCT"), &st);
    if (ret == 0)
        ret = sim_result_set(res, "ECHOSTRUCT", st);
    if (ret == 0)
        ret = set_resptext(ctx, res, "RESPTEXT");
    if (ret == 0)
        ret = sim__conform(ctx->arena, &rfctest_tab, sim_call_param(call, "RFCTABLE"), &tab);
    if (ret != 0)
        return ret;
    gw_rfc_value_t *rows = gw_arena_calloc(ctx->arena, tab.u.tab.count + 1, sizeof(*rows));
    if (rows == NULL)
        return GW_ENOMEM;
    if (tab.u.tab.count)
        memcpy(rows, tab.u.tab.rows, tab.u.tab.count * sizeof(*rows));
    rows[tab.u.tab.count] = st;
    tab.u.tab.rows = rows;
    tab.u.tab.count++;
    return sim_result_set(res, "RFCTABLE", tab);
}

SIM_RFM_DEFINE(sim__rfm_stfc_structure, "STFC_STRUCTURE", stfc_structure_params, stfc_structure);

/* ---- STFC_CHANGING ------------------------------------------------------- */

static const gw_rfc_param_t stfc_changing_params[] = {
    {S("START_VALUE"), GW_RFC_IMPORTING, 0, T_INT4, S(""), S("Start value")},
    {S("COUNTER"), GW_RFC_CHANGING, 1, T_INT4, S(""), S("Counter, incremented by one")},
    {S("RESULT"), GW_RFC_EXPORTING, 0, T_INT4, S(""), S("START_VALUE + COUNTER")},
};

static int stfc_changing(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    int64_t start = sim__int(sim_call_param(call, "START_VALUE"), 0);
    int64_t counter = sim__int(sim_call_param(call, "COUNTER"), 0);
    int64_t sum = start + counter, next = counter + 1;
    /* ABAP computes in INT4 and dumps on overflow */
    if (sum < INT32_MIN || sum > INT32_MAX || next > INT32_MAX)
        return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "COMPUTE_INT_PLUS_OVERFLOW",
                            "Overflow in the operation + (type I)");
    int ret = sim_result_set(res, "RESULT", (gw_rfc_value_t){.type = GW_RFC_INT4, .u.i = sum});
    if (ret == 0)
        ret = sim_result_set(res, "COUNTER", (gw_rfc_value_t){.type = GW_RFC_INT4, .u.i = next});
    return ret;
}

SIM_RFM_DEFINE(sim__rfm_stfc_changing, "STFC_CHANGING", stfc_changing_params, stfc_changing);

/* ---- STFC_DEEP_STRUCTURE / STFC_DEEP_TABLE ----------------------------------- */

static const gw_rfc_fielddesc_t deep_fields[] = {
    {S("I"), T_INT4},
    {S("C"), T_CHAR(30)},
    {S("STR"), T_STRING},
    {S("XSTR"), T_XSTRING},
};
static const gw_rfc_typedesc_t deep = SIM_STRUCT("STFC_STRUCT_DEEP", deep_fields);
static const gw_rfc_typedesc_t deep_tab = SIM_TABLE("STFC_STRUCT_DEEP_TAB", &deep);

static const gw_rfc_param_t stfc_deep_structure_params[] = {
    {S("IMPORTSTRUCT"), GW_RFC_IMPORTING, 0, &deep, S(""), S("Deep structure")},
    {S("ECHOSTRUCT"), GW_RFC_EXPORTING, 0, &deep, S(""), S("Echo of IMPORTSTRUCT")},
    {S("RESPTEXT"), GW_RFC_EXPORTING, 0, T_STRING, S(""), S("Response text with system data")},
};

static int stfc_deep_structure(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    int ret = echo(ctx, call, res, "IMPORTSTRUCT", "ECHOSTRUCT");
    return ret ? ret : set_resptext(ctx, res, "RESPTEXT");
}

SIM_RFM_DEFINE(sim__rfm_stfc_deep_structure, "STFC_DEEP_STRUCTURE", stfc_deep_structure_params,
               stfc_deep_structure);

static const gw_rfc_param_t stfc_deep_table_params[] = {
    {S("IMPORT_TAB"), GW_RFC_IMPORTING, 0, &deep_tab, S(""), S("Table of deep structures")},
    {S("EXPORT_TAB"), GW_RFC_EXPORTING, 0, &deep_tab, S(""), S("IMPORT_TAB plus one row")},
    {S("RESPTEXT"), GW_RFC_EXPORTING, 0, T_STRING, S(""), S("Response text with system data")},
};

static int stfc_deep_table(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    gw_rfc_value_t in;
    sim_tab_t t;
    int ret = sim__conform(ctx->arena, &deep_tab, sim_call_param(call, "IMPORT_TAB"), &in);
    if (ret != 0)
        return ret;
    sim__tab_init(&t, &deep);
    for (uint32_t i = 0; i < in.u.tab.count; i++) {
        gw_rfc_value_t *row = sim__tab_add(ctx->arena, &t);
        if (row == NULL)
            return GW_ENOMEM;
        *row = in.u.tab.rows[i];
    }
    gw_rfc_value_t *row = sim__tab_add(ctx->arena, &t);
    if (row == NULL)
        return GW_ENOMEM;
    sim__set_int(row, "I", in.u.tab.count);
    if ((ret = sim__set_text(ctx->arena, row, "C", "Appended")) != 0 ||
        (ret = sim_result_set(res, "EXPORT_TAB", t.v)) != 0)
        return ret;
    return set_resptext(ctx, res, "RESPTEXT");
}

SIM_RFM_DEFINE(sim__rfm_stfc_deep_table, "STFC_DEEP_TABLE", stfc_deep_table_params,
               stfc_deep_table);

/* ---- Z_RFMGW_TYPE_TEST ------------------------------------------------------- */

static const gw_rfc_fielddesc_t ab_fields[] = {{S("A"), T_CHAR(5)}, {S("B"), T_INT4}};
static const gw_rfc_typedesc_t ab = SIM_STRUCT("ZRFMGW_S_AB", ab_fields);
static const gw_rfc_typedesc_t ab_tab = SIM_TABLE("ZRFMGW_T_AB", &ab);

static const gw_rfc_fielddesc_t all_fields[] = {
    {S("CHAR"), T_CHAR(10)}, {S("NUM"), T_NUM(8)},      {S("DATE"), T_DATE},
    {S("TIME"), T_TIME},     {S("BCD"), T_BCD(8, 2)},   {S("INT1"), T_INT1},
    {S("INT2"), T_INT2},     {S("INT4"), T_INT4},       {S("INT8"), T_INT8},
    {S("FLOAT"), T_FLOAT},   {S("DECF16"), T_DECF16},   {S("DECF34"), T_DECF34},
    {S("STRING"), T_STRING}, {S("XSTRING"), T_XSTRING}, {S("RAW"), T_RAW(4)},
    {S("T"), &ab_tab},
};
static const gw_rfc_typedesc_t all = SIM_STRUCT("ZRFMGW_S_ALLTYPES", all_fields);
static const gw_rfc_typedesc_t all_tab = SIM_TABLE("ZRFMGW_T_ALLTYPES", &all);

#define IV(n, t, txt)                                                                              \
    {                                                                                              \
        S("IV_" n), GW_RFC_IMPORTING, 1, t, S(""), S(txt)                                          \
    }
#define EV(n, t, txt)                                                                              \
    {                                                                                              \
        S("EV_" n), GW_RFC_EXPORTING, 0, t, S(""), S(txt)                                          \
    }

static const gw_rfc_param_t type_test_params[] = {
    IV("CHAR", T_CHAR(10), "CHAR 10"),
    IV("NUM", T_NUM(8), "NUMC 8"),
    IV("DATE", T_DATE, "DATS"),
    IV("TIME", T_TIME, "TIMS"),
    IV("BCD", T_BCD(8, 2), "Packed, 8 bytes (15 digits), 2 decimals"),
    IV("INT1", T_INT1, "INT1"),
    IV("INT2", T_INT2, "INT2"),
    IV("INT4", T_INT4, "INT4"),
    IV("INT8", T_INT8, "INT8"),
    IV("FLOAT", T_FLOAT, "FLTP"),
    IV("DECF16", T_DECF16, "decfloat16"),
    IV("DECF34", T_DECF34, "decfloat34"),
    IV("STRING", T_STRING, "STRING"),
    IV("XSTRING", T_XSTRING, "XSTRING"),
    IV("RAW", T_RAW(4), "RAW 4"),
    {S("IS_STRUCT"), GW_RFC_IMPORTING, 1, &all, S(""), S("Structure with every type")},
    {S("IT_TABLE"), GW_RFC_IMPORTING, 1, &all_tab, S(""), S("Table of IS_STRUCT's type")},
    {S("IV_DEFAULTED"), GW_RFC_IMPORTING, 1, T_CHAR(10), S("'ABAPDEFLT'"),
     S("Optional, DEFAULT 'ABAPDEFLT'")},
    EV("CHAR", T_CHAR(10), "Echo of IV_CHAR"),
    EV("NUM", T_NUM(8), "Echo of IV_NUM"),
    EV("DATE", T_DATE, "Echo of IV_DATE"),
    EV("TIME", T_TIME, "Echo of IV_TIME"),
    EV("BCD", T_BCD(8, 2), "Echo of IV_BCD"),
    EV("INT1", T_INT1, "Echo of IV_INT1"),
    EV("INT2", T_INT2, "Echo of IV_INT2"),
    EV("INT4", T_INT4, "Echo of IV_INT4"),
    EV("INT8", T_INT8, "Echo of IV_INT8"),
    EV("FLOAT", T_FLOAT, "Echo of IV_FLOAT"),
    EV("DECF16", T_DECF16, "Echo of IV_DECF16"),
    EV("DECF34", T_DECF34, "Echo of IV_DECF34"),
    EV("STRING", T_STRING, "Echo of IV_STRING"),
    EV("XSTRING", T_XSTRING, "Echo of IV_XSTRING"),
    EV("RAW", T_RAW(4), "Echo of IV_RAW"),
    {S("ES_STRUCT"), GW_RFC_EXPORTING, 0, &all, S(""), S("Echo of IS_STRUCT")},
    {S("ET_TABLE"), GW_RFC_EXPORTING, 0, &all_tab, S(""), S("Echo of IT_TABLE")},
    EV("DEFAULTED", T_CHAR(10), "IV_DEFAULTED as the function saw it"),
    EV("INITIAL_DATE", T_DATE, "Always the initial date 00000000"),
    EV("BAD_DATE", T_DATE, "Always 20230230, an invalid date"),
};

static int type_test(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    static const char *const names[] = {
        "CHAR", "NUM",   "DATE",   "TIME",   "BCD",    "INT1",    "INT2", "INT4",
        "INT8", "FLOAT", "DECF16", "DECF34", "STRING", "XSTRING", "RAW",  "DEFAULTED",
    };
    int ret = 0;
    for (size_t i = 0; i < GW_ARRAY_SIZE(names) && ret == 0; i++) {
        char iv[32], ev[32];
        snprintf(iv, sizeof(iv), "IV_%s", names[i]);
        snprintf(ev, sizeof(ev), "EV_%s", names[i]);
        if (sim_call_param(call, iv) != NULL)
            ret = echo(ctx, call, res, iv, ev);
    }
    if (ret == 0 && sim_call_param(call, "IS_STRUCT"))
        ret = echo(ctx, call, res, "IS_STRUCT", "ES_STRUCT");
    if (ret == 0 && sim_call_param(call, "IT_TABLE"))
        ret = echo(ctx, call, res, "IT_TABLE", "ET_TABLE");
    if (ret == 0)
        ret = sim_result_set(res, "EV_BAD_DATE",
                             (gw_rfc_value_t){.type = GW_RFC_DATE, .u.s = S("20230230")});
    return ret; /* EV_INITIAL_DATE: left initial, 00000000 */
}

SIM_RFM_DEFINE(sim__rfm_type_test, "Z_RFMGW_TYPE_TEST", type_test_params, type_test);
