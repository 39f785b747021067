/*
 * rfm_system: RFMs about the system itself and about errors.
 *
 * RFC_SYSTEM_INFO and BAPI_USER_GET_DETAIL answer from the configuration
 * (ctx->cfg), with SAP's structures cut down to the fields a client looks
 * at. Z_RFMGW_RAISE_ERROR (modelled on SAP's RFC_RAISE_ERROR) produces each
 * kind of error an ABAP function can end with, so the gateway's mapping of
 * every error group can be tested; Z_RFMGW_WAIT blocks the thread that
 * runs it, for timeout and concurrency tests.
 */
#include "sim/rfm_internal.h"
#include "error/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- RFC_SYSTEM_INFO ------------------------------------------------------- */

static const gw_rfc_fielddesc_t rfcsi_fields[] = {
    {S("RFCPROTO"), T_CHAR(3)},    {S("RFCCHARTYP"), T_CHAR(4)},   {S("RFCINTTYP"), T_CHAR(3)},
    {S("RFCFLOTYP"), T_CHAR(3)},   {S("RFCDEST"), T_CHAR(32)},     {S("RFCHOST"), T_CHAR(8)},
    {S("RFCSYSID"), T_CHAR(8)},    {S("RFCDATABS"), T_CHAR(8)},    {S("RFCDBHOST"), T_CHAR(32)},
    {S("RFCDBSYS"), T_CHAR(10)},   {S("RFCSAPRL"), T_CHAR(4)},     {S("RFCMACH"), T_CHAR(5)},
    {S("RFCOPSYS"), T_CHAR(10)},   {S("RFCTZONE"), T_CHAR(6)},     {S("RFCDAYST"), T_CHAR(1)},
    {S("RFCIPADDR"), T_CHAR(15)},  {S("RFCKERNRL"), T_CHAR(4)},    {S("RFCHOST2"), T_CHAR(32)},
    {S("RFCSI_RESV"), T_CHAR(12)}, {S("RFCIPV6ADDR"), T_CHAR(45)},
};
static const gw_rfc_typedesc_t rfcsi = SIM_STRUCT("RFCSI", rfcsi_fields);

static const gw_rfc_param_t system_info_params[] = {
    {S("RFCSI_EXPORT"), GW_RFC_EXPORTING, 0, &rfcsi, S(""), S("System information")},
};

static int system_info(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    (void)call;
    gw_arena_t *a = ctx->arena;
    gw_rfc_value_t st;
    struct tm tm;
    char tz[8], dest[40], host2[40];
    int ret = sim__initial(a, &rfcsi, &st);
    if (ret != 0)
        return ret;
    /* the time zone as SAP reports it: seconds east of UTC, right-aligned */
    if (localtime_r(&ctx->now, &tm) == NULL)
        memset(&tm, 0, sizeof(tm));
    snprintf(tz, sizeof(tz), "%6ld", (long)tm.tm_gmtoff);
    snprintf(dest, sizeof(dest), "abapsim_%s_00", ctx->cfg->sid);
    snprintf(host2, sizeof(host2), "abapsim.%s", ctx->cfg->sid);
    const struct {
        const char *name, *value;
    } v[] = {
        {"RFCPROTO", "011"},
        {"RFCCHARTYP", "4103"},
        {"RFCINTTYP", "LIT"},
        {"RFCFLOTYP", "IE3"},
        {"RFCDEST", dest},
        {"RFCHOST", "abapsim"},
        {"RFCSYSID", ctx->cfg->sid},
        {"RFCDATABS", ctx->cfg->sid},
        {"RFCDBHOST", "abapsim-db"},
        {"RFCDBSYS", "HDB"},
        {"RFCSAPRL", ctx->cfg->release},
        {"RFCMACH", "  390"},
        {"RFCOPSYS", "Linux"},
        {"RFCTZONE", tz},
        {"RFCDAYST", tm.tm_isdst > 0 ? "X" : ""},
        {"RFCIPADDR", "127.0.0.1"},
        {"RFCKERNRL", "793"},
        {"RFCHOST2", host2},
        {"RFCIPV6ADDR", "::1"},
    };
    for (size_t i = 0; i < GW_ARRAY_SIZE(v) && ret == 0; i++) {
        const gw_rfc_fielddesc_t *fd = NULL;
        for (size_t j = 0; j < GW_ARRAY_SIZE(rfcsi_fields); j++)
            if (gw_slice_eq_str(rfcsi_fields[j].name, v[i].name))
                fd = &rfcsi_fields[j];
        /* leading blanks matter (RFCTZONE, RFCMACH); only the length is cut */
        ret = fd ? sim__set_slice(a, &st, v[i].name,
                                  sim_char_fit(gw_slice(v[i].value), fd->type->length))
                 : GW_EINVAL;
    }
    return ret ? ret : sim_result_set(res, "RFCSI_EXPORT", st);
}

SIM_RFM_DEFINE(sim__rfm_system_info, "RFC_SYSTEM_INFO", system_info_params, system_info);

/* ---- Z_RFMGW_RAISE_ERROR ------------------------------------------------------ */

static const gw_rfc_param_t raise_error_params[] = {
    {S("METHOD"), GW_RFC_IMPORTING, 1, T_CHAR(10), S("SPACE"),
     S("EXCEPTION, MESSAGE, DUMP or RETURN")},
    {S("MESSAGE_V1"), GW_RFC_IMPORTING, 1, T_CHAR(50), S("SPACE"), S("Message variable 1")},
    {S("MESSAGE_V2"), GW_RFC_IMPORTING, 1, T_CHAR(50), S("SPACE"), S("Message variable 2")},
    {S("MESSAGE_V3"), GW_RFC_IMPORTING, 1, T_CHAR(50), S("SPACE"), S("Message variable 3")},
    {S("MESSAGE_V4"), GW_RFC_IMPORTING, 1, T_CHAR(50), S("SPACE"), S("Message variable 4")},
    {S("RETURN"), GW_RFC_EXPORTING, 0, &sim__bapiret2, S(""), S("Filled by METHOD = RETURN")},
};

static int raise_error(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    char method[16];
    const char *v[4];
    int any = 0;
    sim__upper(sim__text(sim_call_param(call, "METHOD")), method, sizeof(method));
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof(name), "MESSAGE_V%d", i + 1);
        gw_slice_t s = sim_char_fit(sim__text(sim_call_param(call, name)), 50);
        v[i] = gw_arena_slice_str(ctx->arena, s);
        if (v[i] == NULL)
            return GW_ENOMEM;
        any |= s.len > 0;
    }

    if (strcmp(method, "EXCEPTION") == 0)
        return sim_rfm_fail(ctx, GW_RFC_ERR_ABAP_EXCEPTION, "RAISE_EXCEPTION",
                            "Function module raised exception RAISE_EXCEPTION");
    if (strcmp(method, "DUMP") == 0)
        return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "COMPUTE_INT_ZERODIVIDE",
                            "Division by 0 (type I)");
    if (strcmp(method, "MESSAGE") == 0) {
        if (!any)
            v[0] = "Message raised by Z_RFMGW_RAISE_ERROR";
        /* message SR 001 is "& & & &" */
        return sim_rfm_fail_msg(ctx, "SR", "E", "001", v, "& & & &");
    }
    if (strcmp(method, "RETURN") == 0) {
        gw_rfc_value_t row;
        int ret = sim__initial(ctx->arena, &sim__bapiret2, &row);
        if (ret == 0)
            ret = sim__bapiret(ctx->arena, &row, "E", "SR", "002",
                               any ? "& & & &" : "Error reported in RETURN by Z_RFMGW_RAISE_ERROR",
                               v[0], v[1], v[2], v[3]);
        return ret ? ret : sim_result_set(res, "RETURN", row);
    }
    return 0;
}

SIM_RFM_DEFINE(sim__rfm_raise_error, "Z_RFMGW_RAISE_ERROR", raise_error_params, raise_error);

/* ---- Z_RFMGW_WAIT ------------------------------------------------------------- */

#define WAIT_MAX_MS 600000

static const gw_rfc_param_t wait_params[] = {
    {S("MILLISECONDS"), GW_RFC_IMPORTING, 0, T_INT4, S(""), S("How long to wait (max 600000)")},
    {S("WAITED"), GW_RFC_EXPORTING, 0, T_INT4, S(""), S("Milliseconds actually waited")},
};

static int wait_ms(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    (void)ctx;
    int64_t ms = sim__int(sim_call_param(call, "MILLISECONDS"), 0);
    if (ms < 0)
        ms = 0;
    if (ms > WAIT_MAX_MS)
        ms = WAIT_MAX_MS;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return sim_result_set(res, "WAITED", (gw_rfc_value_t){.type = GW_RFC_INT4, .u.i = ms});
}

SIM_RFM_DEFINE(sim__rfm_wait, "Z_RFMGW_WAIT", wait_params, wait_ms);

/* ---- BAPI_USER_GET_DETAIL --------------------------------------------------------- */

static const gw_rfc_fielddesc_t bapiaddr3_fields[] = {
    {S("FIRSTNAME"), T_CHAR(40)},
    {S("LASTNAME"), T_CHAR(40)},
    {S("FULLNAME"), T_CHAR(80)},
    {S("E_MAIL"), T_CHAR(241)},
};
static const gw_rfc_typedesc_t bapiaddr3 = SIM_STRUCT("BAPIADDR3", bapiaddr3_fields);

static const gw_rfc_fielddesc_t bapilogond_fields[] = {
    {S("USTYP"), T_CHAR(1)},
    {S("CLASS"), T_CHAR(12)},
    {S("GLTGV"), T_DATE},
    {S("GLTGB"), T_DATE},
};
static const gw_rfc_typedesc_t bapilogond = SIM_STRUCT("BAPILOGOND", bapilogond_fields);

static const gw_rfc_fielddesc_t bapislockd_fields[] = {
    {S("WRNG_LOGON"), T_CHAR(1)},
    {S("LOCAL_LOCK"), T_CHAR(1)},
    {S("GLOB_LOCK"), T_CHAR(1)},
    {S("NO_USER_PW"), T_CHAR(1)},
};
static const gw_rfc_typedesc_t bapislockd = SIM_STRUCT("BAPISLOCKD", bapislockd_fields);

static const gw_rfc_param_t user_get_detail_params[] = {
    {S("USERNAME"), GW_RFC_IMPORTING, 0, T_CHAR(12), S(""), S("User name")},
    {S("ADDRESS"), GW_RFC_EXPORTING, 0, &bapiaddr3, S(""), S("Address data")},
    {S("LOGONDATA"), GW_RFC_EXPORTING, 0, &bapilogond, S(""), S("Logon data")},
    {S("ISLOCKED"), GW_RFC_EXPORTING, 0, &bapislockd, S(""), S("Lock state")},
    {S("RETURN"), GW_RFC_TABLES, 1, &sim__bapiret2_tab, S(""), S("Return messages")},
};

static int user_get_detail(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    gw_arena_t *a = ctx->arena;
    char name[16];
    sim_tab_t ret_tab;
    int ret;
    sim__upper(sim__text(sim_call_param(call, "USERNAME")), name, sizeof(name));
    sim__tab_init(&ret_tab, &sim__bapiret2);

    const sim_user_t *u = NULL;
    for (size_t i = 0; i < ctx->cfg->nusers && u == NULL; i++)
        if (strcasecmp(ctx->cfg->users[i].name, name) == 0)
            u = &ctx->cfg->users[i];
    if (u == NULL) {
        ret = sim__bapiret_add(a, &ret_tab, "E", "01", "124", "User & does not exist", name, NULL,
                               NULL, NULL);
        return ret ? ret : sim_result_set(res, "RETURN", ret_tab.v);
    }

    gw_rfc_value_t addr, logon, lock;
    if ((ret = sim__initial(a, &bapiaddr3, &addr)) != 0 ||
        (ret = sim__initial(a, &bapilogond, &logon)) != 0 ||
        (ret = sim__initial(a, &bapislockd, &lock)) != 0)
        return ret;
    /* communication users have no person behind them: the name is the alias */
    const char *full = u->alias ? u->alias : u->name;
    if ((ret = sim__set_slice(a, &addr, "LASTNAME", sim_char_fit(gw_slice(full), 40))) != 0 ||
        (ret = sim__set_slice(a, &addr, "FULLNAME", sim_char_fit(gw_slice(full), 80))) != 0 ||
        (ret = sim__set_text(a, &logon, "USTYP", "B")) != 0 ||
        (ret = sim__set_text(a, &logon, "GLTGB", "99991231")) != 0 ||
        (ret = sim__set_text(a, &lock, "WRNG_LOGON", "U")) != 0 ||
        (ret = sim__set_text(a, &lock, "LOCAL_LOCK", u->locked ? "L" : "U")) != 0 ||
        (ret = sim__set_text(a, &lock, "GLOB_LOCK", "U")) != 0 ||
        (ret = sim__set_text(a, &lock, "NO_USER_PW", u->has_password ? "U" : "L")) != 0)
        return ret;
    if ((ret = sim_result_set(res, "ADDRESS", addr)) != 0 ||
        (ret = sim_result_set(res, "LOGONDATA", logon)) != 0 ||
        (ret = sim_result_set(res, "ISLOCKED", lock)) != 0)
        return ret;
    return sim_result_set(res, "RETURN", ret_tab.v);
}

SIM_RFM_DEFINE(sim__rfm_user_get_detail, "BAPI_USER_GET_DETAIL", user_get_detail_params,
               user_get_detail);
