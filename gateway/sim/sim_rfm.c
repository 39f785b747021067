/*
 * sim_rfm: the registry of simulated RFMs and the RFMs themselves.
 *
 * One static table holds, per function, its description (gw_rfc_func_t,
 * as DESCRIBE returns it) and its handler. CALL checks the sent parameters
 * against that same description before the handler runs, and the result
 * builder refuses values for parameters the description does not export,
 * so metadata and behaviour cannot drift apart.
 *
 * Handlers see only sim_call_ctx_t: the arena for results, the logon, the
 * session state and the time. They neither block on nor touch the network,
 * so a slow handler can later move to a worker thread unchanged.
 *
 * To add an RFM: declare its types and parameters, write the handler, add
 * a row to `rfms` (kept sorted by name for the binary search).
 */
#include "sim/sim.h"
#include "error/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) GW_SLICE_LIT(x)

void sim_state_init(sim_state_t *st)
{
    gw_arena_init(&st->arena, 0);
    st->calls = 0;
}

void sim_state_reset(sim_state_t *st)
{
    gw_arena_free(&st->arena);
    st->calls = 0;
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

/* ---- STFC_CONNECTION --------------------------------------------------- */

static const gw_rfc_typedesc_t char255 = {
    .type = GW_RFC_CHAR, .length = 255, .name = S(""), .nfields = 0, .fields = NULL};

static const gw_rfc_param_t stfc_connection_params[] = {
    {S("REQUTEXT"), GW_RFC_IMPORTING, 1, &char255, S("SPACE"), S("Text to be echoed")},
    {S("ECHOTEXT"), GW_RFC_EXPORTING, 0, &char255, S(""), S("Echo of REQUTEXT")},
    {S("RESPTEXT"), GW_RFC_EXPORTING, 0, &char255, S(""), S("Response text with system data")},
};

static int stfc_connection(sim_call_ctx_t *ctx, const gw_wire_call_t *call, sim_result_t *res)
{
    const gw_rfc_value_t *req = sim_call_param(call, "REQUTEXT");
    gw_slice_t text = req ? req->u.s : S("");
    struct tm tm;
    int ret;

    if ((ret = sim_result_set_char(res, "ECHOTEXT", text.ptr, text.len)) != 0)
        return ret;
    if (localtime_r(&ctx->now, &tm) == NULL)
        return GW_EINVAL;
    char *resp = gw_arena_printf(
        ctx->arena,
        "SAP R/3 Rel. %s   Sysid: %s   Date: %04d%02d%02d   Time: %02d%02d%02d   "
        "Logon_Data: %s/%s/%s",
        ctx->cfg->release, ctx->cfg->sid, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
        tm.tm_min, tm.tm_sec, ctx->logon->client, ctx->logon->user, ctx->logon->language);
    if (resp == NULL)
        return GW_ENOMEM;
    return sim_result_set_char(res, "RESPTEXT", resp, strlen(resp));
}

/* ---- the registry ------------------------------------------------------ */

#define RFM(name, params, handler)                                                                 \
    {                                                                                              \
        {S(name), GW_ARRAY_SIZE(params), params}, handler                                          \
    }

/* Sorted by name. */
static const sim_rfm_t rfms[] = {
    {{S("RFC_PING"), 0, NULL}, rfc_ping},
    RFM("STFC_CONNECTION", stfc_connection_params, stfc_connection),
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
        int c = cmp_slice(name, rfms[mid].desc.name);
        if (c == 0)
            return &rfms[mid];
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
    return i < GW_ARRAY_SIZE(rfms) ? &rfms[i] : NULL;
}

/* ---- running a call ---------------------------------------------------- */

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
        if (p->type->type != a->value.type)
            return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "CALL_FUNCTION_CONFLICT_TYPE",
                                "Type conflict when calling function module \"%.*s\": "
                                "parameter \"%.*s\" is %s, expected %s",
                                (int)f->name.len, f->name.ptr, (int)a->name.len, a->name.ptr,
                                gw_rfc_type_name(a->value.type), gw_rfc_type_name(p->type->type));
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

/* The ABAP initial value of a type: blanks, zeros, empty tables; structures field by field. */
static int initial_value(gw_arena_t *a, const gw_rfc_typedesc_t *t, gw_rfc_value_t *v, int depth)
{
    memset(v, 0, sizeof(*v));
    v->type = t->type;
    switch (t->type) {
    case GW_RFC_NUM:
    case GW_RFC_DATE:
    case GW_RFC_TIME: {
        size_t n = t->type == GW_RFC_DATE ? 8 : t->type == GW_RFC_TIME ? 6 : t->length;
        char *z = gw_arena_alloc(a, n + 1);
        if (z == NULL)
            return GW_ENOMEM;
        memset(z, '0', n);
        z[n] = '\0';
        v->u.s = (gw_slice_t){z, n};
        return 0;
    }
    case GW_RFC_BCD:
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
        v->u.s = S("0");
        return 0;
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4:
    case GW_RFC_INT8:
    case GW_RFC_FLOAT:
    case GW_RFC_TABLE:
        return 0;
    case GW_RFC_STRUCTURE: {
        if (depth > 16)
            return GW_EINVAL;
        gw_rfc_field_t *f = gw_arena_calloc(a, t->nfields ? t->nfields : 1, sizeof(*f));
        if (f == NULL)
            return GW_ENOMEM;
        for (uint32_t i = 0; i < t->nfields; i++) {
            f[i].name = t->fields[i].name;
            int ret = initial_value(a, t->fields[i].type, &f[i].value, depth + 1);
            if (ret != 0)
                return ret;
        }
        v->u.st.count = t->nfields;
        v->u.st.fields = f;
        return 0;
    }
    default: /* CHAR, STRING, XSTRING, RAW: empty (trailing blanks/zeros are not sent) */
        v->u.s = S("");
        return 0;
    }
}

int sim_rfm_call(sim_call_ctx_t *ctx, const sim_rfm_t *rfm, const gw_wire_call_t *call,
                 gw_wire_result_t *out)
{
    sim_result_t res = {ctx->arena, &rfm->desc, 0, 0, NULL};
    int ret;

    memset(&ctx->error, 0, sizeof(ctx->error));
    out->nparams = 0;
    out->params = NULL;
    if ((ret = check_params(ctx, &rfm->desc, call)) != 0)
        return ret;
    if (ctx->state)
        ctx->state->calls++;
    ret = rfm->handler(ctx, call, &res);
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
            gw_rfc_value_t v;
            if (initial_value(ctx->arena, p->type, &v, 0) != 0)
                return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE",
                                    "Out of memory");
            params[n].value = v;
        }
        n++;
    }
    out->nparams = n;
    out->params = params;
    return 0;
}
