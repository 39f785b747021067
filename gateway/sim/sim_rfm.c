/*
 * sim_rfm: the registry of simulated RFMs and the code that runs a CALL.
 *
 * Every RFM is one static sim_rfm_t (its description, as DESCRIBE returns
 * it, and its handler) defined next to its handler in rfm_*.c; the
 * registry is a table of pointers to them, kept sorted by name for the
 * binary search. CALL checks the sent parameters against that same
 * description (deeply: fields of structures and rows of tables), applies
 * the ABAP defaults of optional parameters that were not sent, runs the
 * handler and fills every wanted parameter the handler left alone with its
 * initial value, so metadata and behaviour cannot drift apart.
 *
 * Handlers see only sim_call_ctx_t: the arena for results, the logon, the
 * session state and the time. The only shared data is the flight store
 * (rfm_flight.c), behind its own mutex, so handlers may run on worker
 * threads.
 *
 * To add an RFM: declare its types and parameters in an rfm_*.c file with
 * SIM_RFM_DEFINE, declare it in rfm_internal.h, add it to `rfms` below.
 */
#include "sim/rfm_internal.h"
#include "error/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_state_init(sim_state_t *st)
{
    gw_arena_init(&st->arena, 0);
    st->calls = 0;
    st->pending = NULL;
}

void sim_state_reset(sim_state_t *st)
{
    /* pending BAPI changes live in the arena: a reset rolls them back */
    gw_arena_free(&st->arena);
    st->calls = 0;
    st->pending = NULL;
}

/* ---- helpers for handlers ---------------------------------------------- */

int sim_rfm_fail(sim_call_ctx_t *ctx, int group, const char *key, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    memset(&ctx->error, 0, sizeof(ctx->error));
    ctx->error.group = (uint8_t)group;
    char *k = gw_arena_strndup(ctx->arena, key, strlen(key));
    char *m = gw_arena_strndup(ctx->arena, msg, strlen(msg));
    ctx->error.key = k ? (gw_slice_t){k, strlen(k)} : S("");
    ctx->error.message = m ? (gw_slice_t){m, strlen(m)} : S("");
    for (int i = 0; i < 4; i++)
        ctx->error.msg_v[i] = S("");
    ctx->error.msg_class = ctx->error.msg_type = ctx->error.msg_number = S("");
    return gw_rfc_err_to_gw(group);
}

int sim_rfm_fail_msg(sim_call_ctx_t *ctx, const char *cls, const char *type, const char *number,
                     const char *const v[4], const char *fmt)
{
    char *text = sim__msg_subst(ctx->arena, fmt, v);
    char *key = gw_arena_printf(ctx->arena, "%s:%s:%s", type, cls, number);
    int ret = sim_rfm_fail(ctx, GW_RFC_ERR_ABAP_MESSAGE, key ? key : "", "%s", text ? text : "");
    ctx->error.msg_class = gw_slice(gw_arena_strndup(ctx->arena, cls, strlen(cls)));
    ctx->error.msg_type = gw_slice(gw_arena_strndup(ctx->arena, type, strlen(type)));
    ctx->error.msg_number = gw_slice(gw_arena_strndup(ctx->arena, number, strlen(number)));
    for (int i = 0; i < 4; i++) {
        const char *x = v && v[i] ? v[i] : "";
        ctx->error.msg_v[i] = gw_slice(gw_arena_strndup(ctx->arena, x, strlen(x)));
    }
    return ret;
}

const gw_rfc_value_t *sim_call_param(const gw_wire_call_t *call, const char *name)
{
    const gw_rfc_field_t *f = gw_rfc_fields_find(call->params, call->nparams, gw_slice(name));
    return f ? &f->value : NULL;
}

/* Length of the UTF-8 sequence starting with `c`, and its UTF-16 units. */
static size_t utf8_seq(unsigned char c, uint32_t *units)
{
    *units = 1;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        return 2;
    if ((c & 0xf0) == 0xe0)
        return 3;
    if ((c & 0xf8) == 0xf0) {
        *units = 2;
        return 4;
    }
    return 1; /* invalid: count the byte as one unit */
}

gw_slice_t sim_char_fit(gw_slice_t s, uint32_t units)
{
    size_t i = 0;
    uint32_t used = 0;
    while (i < s.len) {
        uint32_t u;
        size_t n = utf8_seq((unsigned char)s.ptr[i], &u);
        if (i + n > s.len || used + u > units)
            break;
        i += n;
        used += u;
    }
    while (i > 0 && s.ptr[i - 1] == ' ')
        i--;
    return (gw_slice_t){i ? s.ptr : "", i};
}

int sim_result_set(sim_result_t *res, const char *name, gw_rfc_value_t v)
{
    const gw_rfc_param_t *p = gw_rfc_func_param(res->func, gw_slice(name));
    if (p == NULL || p->direction == GW_RFC_IMPORTING || p->type->type != v.type)
        return GW_EINVAL;
    for (uint32_t i = 0; i < res->count; i++)
        if (gw_slice_eq(res->params[i].name, p->name)) {
            res->params[i].value = v;
            return 0;
        }
    if (res->count == res->cap) {
        uint32_t cap = res->cap ? res->cap * 2 : 8;
        gw_rfc_field_t *n = gw_arena_calloc(res->arena, cap, sizeof(*n));
        if (n == NULL)
            return GW_ENOMEM;
        if (res->count)
            memcpy(n, res->params, res->count * sizeof(*n));
        res->params = n;
        res->cap = cap;
    }
    res->params[res->count].name = p->name;
    res->params[res->count].value = v;
    res->count++;
    return 0;
}

int sim_result_set_char(sim_result_t *res, const char *name, const char *s, size_t len)
{
    const gw_rfc_param_t *p = gw_rfc_func_param(res->func, gw_slice(name));
    if (p == NULL || p->type->type != GW_RFC_CHAR)
        return GW_EINVAL;
    gw_slice_t fit = sim_char_fit((gw_slice_t){s, len}, p->type->length);
    char *c = gw_arena_strndup(res->arena, fit.ptr, fit.len);
    if (c == NULL)
        return GW_ENOMEM;
    gw_rfc_value_t v = {.type = GW_RFC_CHAR, .u.s = {c, fit.len}};
    return sim_result_set(res, name, v);
}

/* ---- RFC_PING ---------------------------------------------------------- */

static int rfc_ping(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    (void)ctx;
    (void)call;
    (void)res;
    return 0;
}

static const sim_rfm_t rfm_ping = {{S("RFC_PING"), 0, NULL}, rfc_ping};

/* ---- STFC_CONNECTION --------------------------------------------------- */

static const gw_rfc_param_t stfc_connection_params[] = {
    {S("REQUTEXT"), GW_RFC_IMPORTING, 1, T_CHAR(255), S("SPACE"), S("Text to be echoed")},
    {S("ECHOTEXT"), GW_RFC_EXPORTING, 0, T_CHAR(255), S(""), S("Echo of REQUTEXT")},
    {S("RESPTEXT"), GW_RFC_EXPORTING, 0, T_CHAR(255), S(""), S("Response text with system data")},
};

static int stfc_connection(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    const gw_rfc_value_t *req = sim_call_param(call, "REQUTEXT");
    gw_slice_t text = req ? req->u.s : S("");
    int ret;

    if ((ret = sim_result_set_char(res, "ECHOTEXT", text.ptr, text.len)) != 0)
        return ret;
    char *resp = sim__resptext(ctx);
    if (resp == NULL)
        return GW_ENOMEM;
    return sim_result_set_char(res, "RESPTEXT", resp, strlen(resp));
}

static SIM_RFM_DEFINE(rfm_connection, "STFC_CONNECTION", stfc_connection_params, stfc_connection);

/* ---- the registry ------------------------------------------------------ */

/* Sorted by name (memcmp order) for the binary search. */
static const sim_rfm_t *const rfms[] = {
    &sim__rfm_flbooking_create,     /* BAPI_FLBOOKING_CREATEFROMDATA */
    &sim__rfm_flight_getdetail,     /* BAPI_FLIGHT_GETDETAIL */
    &sim__rfm_flight_getlist,       /* BAPI_FLIGHT_GETLIST */
    &sim__rfm_transaction_commit,   /* BAPI_TRANSACTION_COMMIT */
    &sim__rfm_transaction_rollback, /* BAPI_TRANSACTION_ROLLBACK */
    &sim__rfm_user_get_detail,      /* BAPI_USER_GET_DETAIL */
    &rfm_ping,                      /* RFC_PING */
    &sim__rfm_read_table,           /* RFC_READ_TABLE */
    &sim__rfm_system_info,          /* RFC_SYSTEM_INFO */
    &sim__rfm_stfc_changing,        /* STFC_CHANGING */
    &rfm_connection,                /* STFC_CONNECTION */
    &sim__rfm_stfc_deep_structure,  /* STFC_DEEP_STRUCTURE */
    &sim__rfm_stfc_deep_table,      /* STFC_DEEP_TABLE */
    &sim__rfm_stfc_structure,       /* STFC_STRUCTURE */
    &sim__rfm_raise_error,          /* Z_RFMGW_RAISE_ERROR */
    &sim__rfm_type_test,            /* Z_RFMGW_TYPE_TEST */
    &sim__rfm_wait,                 /* Z_RFMGW_WAIT */
};

static int cmp_slice(gw_slice_t a, gw_slice_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

const sim_rfm_t *sim_rfm_find(gw_slice_t name)
{
    size_t lo = 0, hi = GW_ARRAY_SIZE(rfms);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_slice(name, rfms[mid]->desc.name);
        if (c == 0)
            return rfms[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

size_t sim_rfm_count(void)
{
    return GW_ARRAY_SIZE(rfms);
}

const sim_rfm_t *sim_rfm_at(size_t i)
{
    return i < GW_ARRAY_SIZE(rfms) ? rfms[i] : NULL;
}

/* ---- running a call ---------------------------------------------------- */

/*
 * Checks a sent value against its type, recursing into structures (fields
 * the type does not have are ignored, as the RFC runtime maps by name) and
 * table rows. On a mismatch writes the path of the offending part.
 */
static int check_value(const gw_rfc_typedesc_t *t, const gw_rfc_value_t *v, char *path, size_t size,
                       int depth, int *got, int *want)
{
    if (v->type != t->type) {
        *got = v->type;
        *want = t->type;
        return -1;
    }
    if (depth > 16)
        return 0;
    if (t->type == GW_RFC_STRUCTURE) {
        for (uint32_t i = 0; i < v->u.st.count; i++) {
            const gw_rfc_field_t *f = &v->u.st.fields[i];
            for (uint32_t j = 0; j < t->nfields; j++) {
                if (!gw_slice_eq(t->fields[j].name, f->name))
                    continue;
                if (check_value(t->fields[j].type, &f->value, path, size, depth + 1, got, want)) {
                    char tail[256];
                    snprintf(tail, sizeof(tail), "%s", path);
                    snprintf(path, size, "-%.*s%.200s", (int)(f->name.len & 0x3f), f->name.ptr,
                             tail);
                    return -1;
                }
            }
        }
    } else if (t->type == GW_RFC_TABLE && t->line) {
        for (uint32_t i = 0; i < v->u.tab.count; i++)
            if (check_value(t->line, &v->u.tab.rows[i], path, size, depth + 1, got, want)) {
                char tail[256];
                snprintf(tail, sizeof(tail), "%s", path);
                snprintf(path, size, "[%u]%.200s", i + 1, tail);
                return -1;
            }
    }
    return 0;
}

static int check_params(sim_call_ctx_t *ctx, const gw_rfc_func_t *f, const gw_wire_call_t *call)
{
    for (uint32_t i = 0; i < call->nparams; i++) {
        const gw_rfc_field_t *a = &call->params[i];
        for (uint32_t j = 0; j < i; j++)
            if (gw_slice_eq(call->params[j].name, a->name))
                return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "CALL_FUNCTION_PARM_UNKNOWN",
                                    "Parameter \"%.*s\" passed twice", (int)a->name.len,
                                    a->name.ptr);
        const gw_rfc_param_t *p = gw_rfc_func_param(f, a->name);
        /* Like SAP, parameters the function does not have are ignored. */
        if (p == NULL || p->direction == GW_RFC_EXPORTING)
            continue;
        char path[256] = "";
        int got = 0, want = 0;
        if (check_value(p->type, &a->value, path, sizeof(path), 0, &got, &want) != 0)
            return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "CALL_FUNCTION_CONFLICT_TYPE",
                                "Type conflict when calling function module \"%.*s\": "
                                "parameter \"%.*s%s\" is %s, expected %s",
                                (int)f->name.len, f->name.ptr, (int)a->name.len, a->name.ptr, path,
                                gw_rfc_type_name(got), gw_rfc_type_name(want));
    }
    for (uint32_t i = 0; i < f->nparams; i++) {
        const gw_rfc_param_t *p = &f->params[i];
        if (p->direction == GW_RFC_IMPORTING && !p->optional &&
            gw_rfc_fields_find(call->params, call->nparams, p->name) == NULL)
            return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "CALL_FUNCTION_PARM_MISSING",
                                "Function module \"%.*s\": parameter \"%.*s\" is missing",
                                (int)f->name.len, f->name.ptr, (int)p->name.len, p->name.ptr);
    }
    return 0;
}

/*
 * Turns the DEFAULT of a parameter (as SE37 shows it: 'literal', a number,
 * SPACE, SY-DATUM, SY-UZEIT, ABAP_TRUE/ABAP_FALSE) into a value of its type.
 * Returns 1 and fills `v`, 0 when the default is not understood (the
 * parameter then stays initial), or a negative GW_E* code.
 */
static int default_value(sim_call_ctx_t *ctx, const gw_rfc_param_t *p, gw_rfc_value_t *v)
{
    gw_slice_t d = p->default_value;
    const gw_rfc_typedesc_t *t = p->type;
    char buf[64];
    char *text;
    size_t len;

    if (d.len >= 2 && d.ptr[0] == '\'' && d.ptr[d.len - 1] == '\'') {
        text = gw_arena_alloc(ctx->arena, d.len);
        if (text == NULL)
            return GW_ENOMEM;
        len = 0;
        for (size_t i = 1; i + 1 < d.len; i++) {
            text[len++] = d.ptr[i];
            if (d.ptr[i] == '\'' && i + 2 < d.len && d.ptr[i + 1] == '\'')
                i++; /* '' is a quote */
        }
        text[len] = '\0';
    } else {
        char up[64];
        sim__upper(d, up, sizeof(up));
        struct tm tm;
        if (strcmp(up, "SPACE") == 0 || strcmp(up, "ABAP_FALSE") == 0) {
            snprintf(buf, sizeof(buf), "%s", "");
        } else if (strcmp(up, "ABAP_TRUE") == 0) {
            snprintf(buf, sizeof(buf), "X");
        } else if (strcmp(up, "SY-DATUM") == 0 || strcmp(up, "SY-UZEIT") == 0) {
            if (localtime_r(&ctx->now, &tm) == NULL)
                return 0;
            if (up[3] == 'D')
                snprintf(buf, sizeof(buf), "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday);
            else
                snprintf(buf, sizeof(buf), "%02d%02d%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
        } else {
            snprintf(buf, sizeof(buf), "%.*s", (int)d.len, d.ptr);
        }
        len = strlen(buf);
        text = gw_arena_strndup(ctx->arena, buf, len);
        if (text == NULL)
            return GW_ENOMEM;
    }

    int ret = sim__initial(ctx->arena, t, v);
    if (ret != 0)
        return ret;
    char *end;
    switch (t->type) {
    case GW_RFC_CHAR:
        v->u.s = sim_char_fit((gw_slice_t){text, len}, t->length);
        return 1;
    case GW_RFC_STRING:
        v->u.s = (gw_slice_t){text, len};
        return 1;
    case GW_RFC_NUM: {
        if (len > v->u.s.len)
            return 0;
        for (size_t i = 0; i < len; i++)
            if (text[i] < '0' || text[i] > '9')
                return 0;
        char *z = gw_arena_alloc(ctx->arena, v->u.s.len + 1);
        if (z == NULL)
            return GW_ENOMEM;
        memset(z, '0', v->u.s.len - len);
        memcpy(z + v->u.s.len - len, text, len + 1);
        v->u.s = (gw_slice_t){z, t->length};
        return 1;
    }
    case GW_RFC_DATE:
    case GW_RFC_TIME:
        if (len == 0)
            return 1;
        if (len != (t->type == GW_RFC_DATE ? 8u : 6u))
            return 0;
        v->u.s = (gw_slice_t){text, len};
        return 1;
    case GW_RFC_BCD:
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
        if (len == 0)
            return 0;
        strtod(text, &end);
        if (*end != '\0')
            return 0;
        v->u.s = (gw_slice_t){text, len};
        return 1;
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4:
    case GW_RFC_INT8:
        if (len == 0)
            return 0;
        v->u.i = strtoll(text, &end, 10);
        return *end == '\0';
    case GW_RFC_FLOAT:
        if (len == 0)
            return 0;
        v->u.f = strtod(text, &end);
        return *end == '\0';
    default:
        return 0;
    }
}

/* The sent parameters plus the defaults of optional ones that were not sent. */
static int apply_defaults(sim_call_ctx_t *ctx, const gw_rfc_func_t *f, const gw_wire_call_t *call,
                          gw_wire_call_t *out)
{
    *out = *call;
    uint32_t missing = 0;
    for (uint32_t i = 0; i < f->nparams; i++) {
        const gw_rfc_param_t *p = &f->params[i];
        if ((p->direction == GW_RFC_IMPORTING || p->direction == GW_RFC_CHANGING) &&
            p->default_value.len &&
            gw_rfc_fields_find(call->params, call->nparams, p->name) == NULL)
            missing++;
    }
    if (missing == 0)
        return 0;
    gw_rfc_field_t *params = gw_arena_calloc(ctx->arena, call->nparams + missing, sizeof(*params));
    if (params == NULL)
        return GW_ENOMEM;
    if (call->nparams)
        memcpy(params, call->params, call->nparams * sizeof(*params));
    uint32_t n = call->nparams;
    for (uint32_t i = 0; i < f->nparams; i++) {
        const gw_rfc_param_t *p = &f->params[i];
        if ((p->direction != GW_RFC_IMPORTING && p->direction != GW_RFC_CHANGING) ||
            p->default_value.len == 0 ||
            gw_rfc_fields_find(call->params, call->nparams, p->name) != NULL)
            continue;
        gw_rfc_value_t v;
        int ret = default_value(ctx, p, &v);
        if (ret < 0)
            return ret;
        if (ret == 1) {
            params[n].name = p->name;
            params[n].value = v;
            n++;
        }
    }
    out->params = params;
    out->nparams = n;
    return 0;
}

int sim_rfm_call(sim_call_ctx_t *ctx, const sim_rfm_t *rfm, const gw_wire_call_t *call,
                 gw_wire_result_t *out)
{
    sim_result_t res = {ctx->arena, &rfm->desc, 0, 0, NULL};
    gw_wire_call_t full;
    int ret;

    memset(&ctx->error, 0, sizeof(ctx->error));
    out->nparams = 0;
    out->params = NULL;
    if ((ret = check_params(ctx, &rfm->desc, call)) != 0)
        return ret;
    if (ctx->state)
        ctx->state->calls++;
    ret = apply_defaults(ctx, &rfm->desc, call, &full);
    if (ret == 0)
        ret = rfm->handler(ctx, &full, &res);
    if (ret != 0) {
        if (ctx->error.group == 0)
            return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE",
                                "Function module \"%.*s\" failed: %s", (int)rfm->desc.name.len,
                                rfm->desc.name.ptr, gw_strerror(ret));
        return ret;
    }

    /* Every wanted parameter the handler did not set goes back with its initial value. */
    gw_rfc_field_t *params = gw_arena_calloc(ctx->arena, rfm->desc.nparams + 1, sizeof(*params));
    if (params == NULL)
        return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE", "Out of memory");
    uint32_t n = 0;
    for (uint32_t i = 0; i < rfm->desc.nparams; i++) {
        const gw_rfc_param_t *p = &rfm->desc.params[i];
        if (p->direction == GW_RFC_IMPORTING)
            continue;
        if (call->nwant != GW_WIRE_WANT_ALL) {
            uint32_t w;
            for (w = 0; w < call->nwant; w++)
                if (gw_slice_eq(call->want[w], p->name))
                    break;
            if (w == call->nwant)
                continue;
        }
        const gw_rfc_field_t *set = gw_rfc_fields_find(res.params, res.count, p->name);
        params[n].name = p->name;
        if (set) {
            params[n].value = set->value;
        } else {
            /* CHANGING parameters the handler did not touch come back as sent */
            const gw_rfc_field_t *sent =
                p->direction == GW_RFC_CHANGING || p->direction == GW_RFC_TABLES
                    ? gw_rfc_fields_find(full.params, full.nparams, p->name)
                    : NULL;
            gw_rfc_value_t v;
            if (sim__conform(ctx->arena, p->type, sent ? &sent->value : NULL, &v) != 0)
                return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE",
                                    "Out of memory");
            params[n].value = v;
        }
        n++;
    }
    out->nparams = n;
    out->params = params;
    /* a row source whose table was not asked for produces nothing */
    if (ctx->cursor && !gw_rfc_fields_find(params, n, gw_slice(ctx->cursor->param)))
        ctx->cursor = NULL;
    return 0;
}
