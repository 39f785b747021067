/*
 * rfm_value: building and reading RFC values for the simulated RFMs.
 *
 * Handlers build results from the same type descriptions DESCRIBE sends:
 * a structure starts as the complete initial value of its type and fields
 * are then set by name, and echoed input goes through sim__conform(). So
 * every structure and every table row leaves the simulator with all of its
 * fields in the order of the type, which is what the wire encoder requires
 * of table rows and what an ABAP system would send.
 */
#include "sim/rfm_internal.h"
#include "error/error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 16

/* ---- initial values and conversion --------------------------------------- */

static int initial(gw_arena_t *a, const gw_rfc_typedesc_t *t, gw_rfc_value_t *v, int depth)
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
        if (depth > MAX_DEPTH)
            return GW_EINVAL;
        gw_rfc_field_t *f = gw_arena_calloc(a, t->nfields ? t->nfields : 1, sizeof(*f));
        if (f == NULL)
            return GW_ENOMEM;
        for (uint32_t i = 0; i < t->nfields; i++) {
            f[i].name = t->fields[i].name;
            int ret = initial(a, t->fields[i].type, &f[i].value, depth + 1);
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

int sim__initial(gw_arena_t *a, const gw_rfc_typedesc_t *t, gw_rfc_value_t *v)
{
    return initial(a, t, v, 0);
}

static int conform(gw_arena_t *a, const gw_rfc_typedesc_t *t, const gw_rfc_value_t *in,
                   gw_rfc_value_t *out, int depth)
{
    if (depth > MAX_DEPTH)
        return GW_EINVAL;
    if (in == NULL || in->type != t->type)
        return initial(a, t, out, depth);
    switch (t->type) {
    case GW_RFC_CHAR:
        *out = *in;
        out->u.s = sim_char_fit(in->u.s, t->length);
        return 0;
    case GW_RFC_RAW:
        *out = *in;
        if (t->length && out->u.s.len > t->length)
            out->u.s.len = t->length;
        return 0;
    case GW_RFC_STRUCTURE: {
        int ret = initial(a, t, out, depth);
        if (ret != 0)
            return ret;
        for (uint32_t i = 0; i < t->nfields; i++) {
            const gw_rfc_field_t *src =
                gw_rfc_fields_find(in->u.st.fields, in->u.st.count, t->fields[i].name);
            if (src && (ret = conform(a, t->fields[i].type, &src->value, &out->u.st.fields[i].value,
                                      depth + 1)) != 0)
                return ret;
        }
        return 0;
    }
    case GW_RFC_TABLE: {
        out->type = GW_RFC_TABLE;
        out->u.tab.count = 0;
        out->u.tab.rows = NULL;
        if (in->u.tab.count == 0 || t->line == NULL)
            return 0;
        gw_rfc_value_t *rows = gw_arena_calloc(a, in->u.tab.count, sizeof(*rows));
        if (rows == NULL)
            return GW_ENOMEM;
        for (uint32_t i = 0; i < in->u.tab.count; i++) {
            int ret = conform(a, t->line, &in->u.tab.rows[i], &rows[i], depth + 1);
            if (ret != 0)
                return ret;
        }
        out->u.tab.count = in->u.tab.count;
        out->u.tab.rows = rows;
        return 0;
    }
    default:
        *out = *in;
        return 0;
    }
}

int sim__conform(gw_arena_t *a, const gw_rfc_typedesc_t *t, const gw_rfc_value_t *in,
                 gw_rfc_value_t *out)
{
    return conform(a, t, in, out, 0);
}

/* ---- structure fields ------------------------------------------------------ */

gw_rfc_value_t *sim__field(gw_rfc_value_t *st, const char *name)
{
    if (st == NULL || st->type != GW_RFC_STRUCTURE)
        return NULL;
    gw_slice_t n = gw_slice(name);
    for (uint32_t i = 0; i < st->u.st.count; i++)
        if (gw_slice_eq(st->u.st.fields[i].name, n))
            return &st->u.st.fields[i].value;
    return NULL;
}

const gw_rfc_value_t *sim__cfield(const gw_rfc_value_t *st, const char *name)
{
    if (st == NULL || st->type != GW_RFC_STRUCTURE)
        return NULL;
    const gw_rfc_field_t *f = gw_rfc_fields_find(st->u.st.fields, st->u.st.count, gw_slice(name));
    return f ? &f->value : NULL;
}

/* Values do not carry their type's length, except NUM whose initial value
 * has it; CHAR text that may be too long is cut by the caller. */
int sim__set_slice(gw_arena_t *a, gw_rfc_value_t *st, const char *name, gw_slice_t s)
{
    gw_rfc_value_t *v = sim__field(st, name);
    if (v == NULL)
        return GW_EINVAL;
    switch (v->type) {
    case GW_RFC_NUM: {
        /* the initial value has the field's length: right-align the digits in it */
        size_t n = v->u.s.len;
        char *d = gw_arena_alloc(a, n + 1);
        if (d == NULL)
            return GW_ENOMEM;
        memset(d, '0', n);
        d[n] = '\0';
        size_t take = s.len < n ? s.len : n;
        if (take)
            memcpy(d + n - take, s.ptr + s.len - take, take);
        v->u.s = (gw_slice_t){d, n};
        return 0;
    }
    case GW_RFC_CHAR:
        s = sim_char_fit(s, UINT32_MAX); /* trailing blanks are not sent */
        break;
    case GW_RFC_DATE:
    case GW_RFC_TIME:
    case GW_RFC_BCD:
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
    case GW_RFC_STRING:
    case GW_RFC_XSTRING:
    case GW_RFC_RAW:
        break;
    default:
        return GW_EINVAL;
    }
    char *c = gw_arena_strndup(a, s.ptr, s.len);
    if (c == NULL)
        return GW_ENOMEM;
    v->u.s = (gw_slice_t){c, s.len};
    return 0;
}

int sim__set_text(gw_arena_t *a, gw_rfc_value_t *st, const char *name, const char *s)
{
    return sim__set_slice(a, st, name, gw_slice(s));
}

int sim__set_int(gw_rfc_value_t *st, const char *name, int64_t i)
{
    gw_rfc_value_t *v = sim__field(st, name);
    if (v == NULL || v->type < GW_RFC_INT1 || v->type > GW_RFC_INT8)
        return GW_EINVAL;
    v->u.i = i;
    return 0;
}

gw_slice_t sim__text(const gw_rfc_value_t *v)
{
    if (v == NULL)
        return S("");
    switch (v->type) {
    case GW_RFC_CHAR:
        return sim_char_fit(v->u.s, UINT32_MAX);
    case GW_RFC_NUM:
    case GW_RFC_DATE:
    case GW_RFC_TIME:
    case GW_RFC_BCD:
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
    case GW_RFC_STRING:
        return v->u.s;
    default:
        return S("");
    }
}

int64_t sim__int(const gw_rfc_value_t *v, int64_t dflt)
{
    if (v == NULL || v->type < GW_RFC_INT1 || v->type > GW_RFC_INT8)
        return dflt;
    return v->u.i;
}

void sim__upper(gw_slice_t s, char *out, size_t size)
{
    size_t n = s.len < size - 1 ? s.len : size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)toupper((unsigned char)s.ptr[i]);
    out[n] = '\0';
}

/* ---- tables ------------------------------------------------------------------ */

void sim__tab_init(sim_tab_t *t, const gw_rfc_typedesc_t *line)
{
    memset(t, 0, sizeof(*t));
    t->v.type = GW_RFC_TABLE;
    t->line = line;
}

gw_rfc_value_t *sim__tab_add(gw_arena_t *a, sim_tab_t *t)
{
    if (t->v.u.tab.count == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 8;
        gw_rfc_value_t *rows = gw_arena_calloc(a, cap, sizeof(*rows));
        if (rows == NULL)
            return NULL;
        if (t->v.u.tab.count)
            memcpy(rows, t->v.u.tab.rows, t->v.u.tab.count * sizeof(*rows));
        t->v.u.tab.rows = rows;
        t->cap = cap;
    }
    gw_rfc_value_t *row = &t->v.u.tab.rows[t->v.u.tab.count];
    if (initial(a, t->line, row, 1) != 0)
        return NULL;
    t->v.u.tab.count++;
    return row;
}

/* ---- BAPIRET2 ------------------------------------------------------------------ */

static const gw_rfc_fielddesc_t bapiret2_fields[] = {
    {S("TYPE"), T_CHAR(1)},        {S("ID"), T_CHAR(20)},         {S("NUMBER"), T_NUM(3)},
    {S("MESSAGE"), T_CHAR(220)},   {S("LOG_NO"), T_CHAR(20)},     {S("LOG_MSG_NO"), T_NUM(6)},
    {S("MESSAGE_V1"), T_CHAR(50)}, {S("MESSAGE_V2"), T_CHAR(50)}, {S("MESSAGE_V3"), T_CHAR(50)},
    {S("MESSAGE_V4"), T_CHAR(50)}, {S("PARAMETER"), T_CHAR(32)},  {S("ROW"), T_INT4},
    {S("FIELD"), T_CHAR(30)},      {S("SYSTEM"), T_CHAR(10)},
};
const gw_rfc_typedesc_t sim__bapiret2 = SIM_STRUCT("BAPIRET2", bapiret2_fields);
const gw_rfc_typedesc_t sim__bapiret2_tab = SIM_TABLE("BAPIRET2_T", &sim__bapiret2);

char *sim__msg_subst(gw_arena_t *a, const char *text, const char *const v[4])
{
    gw_buf_t b;
    int next = 0;
    gw_buf_init(&b, 0);
    for (const char *p = text; *p; p++) {
        if (*p != '&') {
            gw_buf_append(&b, p, 1);
            continue;
        }
        int idx;
        if (p[1] >= '1' && p[1] <= '4') {
            idx = p[1] - '1';
            p++;
        } else if (p[1] == '&') { /* && is a literal & */
            gw_buf_append(&b, "&", 1);
            p++;
            continue;
        } else {
            idx = next < 4 ? next++ : 3;
        }
        const char *s = v && v[idx] ? v[idx] : "";
        gw_buf_append(&b, s, strlen(s));
    }
    /* MESSAGE condenses the blanks that empty variables leave at the end */
    size_t n = b.len;
    while (n > 0 && b.data[n - 1] == ' ')
        n--;
    char *out = gw_arena_strndup(a, n ? (const char *)b.data : "", n);
    gw_buf_free(&b);
    return out;
}

int sim__bapiret(gw_arena_t *a, gw_rfc_value_t *row, const char *type, const char *id,
                 const char *number, const char *text, const char *v1, const char *v2,
                 const char *v3, const char *v4)
{
    const char *v[4] = {v1, v2, v3, v4};
    char *msg = sim__msg_subst(a, text, v);
    if (msg == NULL)
        return GW_ENOMEM;
    gw_slice_t m = sim_char_fit(gw_slice(msg), 220);
    int ret = sim__set_text(a, row, "TYPE", type);
    if (!ret)
        ret = sim__set_text(a, row, "ID", id);
    if (!ret)
        ret = sim__set_text(a, row, "NUMBER", number);
    if (!ret)
        ret = sim__set_slice(a, row, "MESSAGE", m);
    static const char *const vn[4] = {"MESSAGE_V1", "MESSAGE_V2", "MESSAGE_V3", "MESSAGE_V4"};
    for (int i = 0; i < 4 && !ret; i++)
        ret = sim__set_slice(a, row, vn[i], sim_char_fit(gw_slice(v[i]), 50));
    return ret;
}

int sim__bapiret_add(gw_arena_t *a, sim_tab_t *t, const char *type, const char *id,
                     const char *number, const char *text, const char *v1, const char *v2,
                     const char *v3, const char *v4)
{
    gw_rfc_value_t *row = sim__tab_add(a, t);
    if (row == NULL)
        return GW_ENOMEM;
    return sim__bapiret(a, row, type, id, number, text, v1, v2, v3, v4);
}

char *sim__resptext(sim_call_ctx_t *ctx)
{
    struct tm tm;
    if (localtime_r(&ctx->now, &tm) == NULL)
        return NULL;
    return gw_arena_printf(
        ctx->arena,
        "SAP R/3 Rel. %s   Sysid: %s   Date: %04d%02d%02d   Time: %02d%02d%02d   "
        "Logon_Data: %s/%s/%s",
        ctx->cfg->release, ctx->cfg->sid, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
        tm.tm_min, tm.tm_sec, ctx->logon->client, ctx->logon->user, ctx->logon->language);
}

/* ---- dates (Howard Hinnant's civil calendar algorithms) -------------------------- */

int64_t sim__days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void sim__date_str(int64_t z, char out[9])
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    if (y < 0 || y > 9999) {
        memcpy(out, "00000000", 9);
        return;
    }
    snprintf(out, 9, "%04d%02d%02d", (int)y, (int)m, (int)d);
}

int64_t sim__date_parse(gw_slice_t s)
{
    if (s.len != 8)
        return -1;
    for (size_t i = 0; i < 8; i++)
        if (!isdigit((unsigned char)s.ptr[i]))
            return -1;
    int y =
        (s.ptr[0] - '0') * 1000 + (s.ptr[1] - '0') * 100 + (s.ptr[2] - '0') * 10 + (s.ptr[3] - '0');
    int m = (s.ptr[4] - '0') * 10 + (s.ptr[5] - '0');
    int d = (s.ptr[6] - '0') * 10 + (s.ptr[7] - '0');
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return -1;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    return sim__days_from_civil(y, m, d);
}
