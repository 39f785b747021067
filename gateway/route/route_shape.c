/*
 * route_shape: the answer of a call, shaped as the route says.
 *
 * Works on RFC values (no intermediate JSON tree): choose the parameters,
 * rename, flatten a structure one level, drop empty values, apply the
 * caller's ?fields= projection, and turn a BAPI RETURN into `messages`.
 * Each value is written by the codec, so formats and options stay the
 * codec's.
 */
#include "route/route.h"
#include "error/error.h"

#include <string.h>

static const gw_rfc_typedesc_t *return_line(const gw_rfc_typedesc_t *t)
{
    if (t->type == GW_RFC_TABLE)
        t = t->line;
    if (t == NULL || t->type != GW_RFC_STRUCTURE)
        return NULL;
    int type = 0, msg = 0;
    for (uint32_t i = 0; i < t->nfields; i++) {
        type |= gw_slice_eq_str(t->fields[i].name, "TYPE");
        msg |= gw_slice_eq_str(t->fields[i].name, "MESSAGE");
    }
    return type && msg ? t : NULL;
}

const gw_rfc_param_t *gw_route_bapi_return(const gw_rfc_func_t *f)
{
    const gw_rfc_param_t *p = gw_rfc_func_param(f, GW_SLICE_LIT("RETURN"));
    if (p == NULL || p->direction == GW_RFC_IMPORTING || return_line(p->type) == NULL)
        return NULL;
    return p;
}

static gw_slice_t msg_type(const gw_rfc_value_t *row)
{
    if (row->type != GW_RFC_STRUCTURE)
        return (gw_slice_t){"", 0};
    const gw_rfc_field_t *f =
        gw_rfc_fields_find(row->u.st.fields, row->u.st.count, GW_SLICE_LIT("TYPE"));
    return f && f->value.type == GW_RFC_CHAR ? f->value.u.s : (gw_slice_t){"", 0};
}

static int is_error_type(gw_slice_t t)
{
    return t.len >= 1 && (t.ptr[0] == 'E' || t.ptr[0] == 'A');
}

int gw_route_return_errors(const gw_rfc_value_t *ret)
{
    if (ret == NULL)
        return 0;
    if (ret->type == GW_RFC_STRUCTURE)
        return is_error_type(msg_type(ret));
    int n = 0;
    for (uint32_t i = 0; ret->type == GW_RFC_TABLE && i < ret->u.tab.count; i++)
        n += is_error_type(msg_type(&ret->u.tab.rows[i]));
    return n;
}

static int blank(gw_slice_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] != ' ')
            return 0;
    return 1;
}

static int empty_value(const gw_rfc_value_t *v);

static int all_zeros(gw_slice_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] != '0')
            return 0;
    return 1;
}

/* One BAPIRET2 row as an object of its non-empty fields (ROW 0 and LOG_MSG_NO 0 count as empty). */
static void write_message(gw_buf_t *out, const gw_rfc_value_t *row, const gw_rfc_typedesc_t *line,
                          const gw_codec_opts_t *o)
{
    int first = 1;
    gw_buf_append(out, "{", 1);
    for (uint32_t i = 0; row->type == GW_RFC_STRUCTURE && i < row->u.st.count; i++) {
        const gw_rfc_field_t *f = &row->u.st.fields[i];
        const gw_rfc_value_t *v = &f->value;
        if (empty_value(v) || (v->type == GW_RFC_INT4 && v->u.i == 0) ||
            (v->type == GW_RFC_NUM && gw_slice_eq_str(f->name, "LOG_MSG_NO") && all_zeros(v->u.s)))
            continue;
        const gw_rfc_typedesc_t *t = NULL;
        for (uint32_t j = 0; line && j < line->nfields; j++)
            if (gw_slice_eq(line->fields[j].name, f->name))
                t = line->fields[j].type;
        gw_buf_append(out, first ? "\"" : ",\"", first ? 1 : 2);
        first = 0;
        gw_buf_append(out, f->name.ptr, f->name.len);
        gw_buf_append(out, "\":", 2);
        gw_codec_value_write(out, v, t, o);
    }
    gw_buf_append(out, "}", 1);
}

int gw_route_write_messages(gw_buf_t *out, const gw_rfc_param_t *p, const gw_rfc_value_t *v,
                            const gw_codec_opts_t *o)
{
    const gw_rfc_typedesc_t *line = return_line(p->type);
    int first = 1;
    gw_buf_append(out, "[", 1);
    uint32_t n = v->type == GW_RFC_TABLE ? v->u.tab.count : 1;
    for (uint32_t i = 0; i < n; i++) {
        const gw_rfc_value_t *row = v->type == GW_RFC_TABLE ? &v->u.tab.rows[i] : v;
        if (blank(msg_type(row)))
            continue; /* an empty BAPIRET2 is no message */
        if (!first)
            gw_buf_append(out, ",", 1);
        first = 0;
        write_message(out, row, line, o);
    }
    gw_buf_append(out, "]", 1);
    return out->failed;
}

static int empty_value(const gw_rfc_value_t *v)
{
    switch (v->type) {
    case GW_RFC_CHAR:
        return blank(v->u.s);
    case GW_RFC_STRING:
    case GW_RFC_XSTRING:
        return v->u.s.len == 0;
    case GW_RFC_DATE:
        return v->u.s.len == 0 || (v->u.s.len == 8 && memcmp(v->u.s.ptr, "00000000", 8) == 0);
    case GW_RFC_TABLE:
        return v->u.tab.count == 0;
    case GW_RFC_STRUCTURE:
        for (uint32_t i = 0; i < v->u.st.count; i++)
            if (!empty_value(&v->u.st.fields[i].value))
                return 0;
        return 1;
    default:
        return 0;
    }
}

static int listed(char *const *list, size_t n, gw_slice_t name)
{
    for (size_t i = 0; i < n; i++)
        if (gw_slice_eq_str(name, list[i]))
            return 1;
    return 0;
}

/* Is `name` among the comma-separated `fields` (NULL = everything)? */
static int projected(const char *fields, gw_slice_t name)
{
    if (fields == NULL)
        return 1;
    const char *p = fields;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == name.len && memcmp(p, name.ptr, len) == 0)
            return 1;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return 0;
}

typedef struct {
    gw_buf_t *out;
    int first;
    const gw_route_t *r;
    const char *fields;
} writer_t;

static void put_name(writer_t *w, gw_slice_t name)
{
    gw_buf_append(w->out, w->first ? "\"" : ",\"", w->first ? 1 : 2);
    w->first = 0;
    for (size_t i = 0; i < name.len; i++) {
        if (name.ptr[i] == '"' || name.ptr[i] == '\\')
            gw_buf_append(w->out, "\\", 1);
        gw_buf_append(w->out, &name.ptr[i], 1);
    }
    gw_buf_append(w->out, "\":", 2);
}

static void put_entry(writer_t *w, gw_slice_t name, const gw_rfc_value_t *v,
                      const gw_rfc_typedesc_t *t)
{
    for (size_t i = 0; i < w->r->nrename; i++)
        if (gw_slice_eq_str(name, w->r->rename[i].from)) {
            name = gw_slice(w->r->rename[i].to);
            break;
        }
    if (w->r->drop_empty && empty_value(v))
        return;
    if (!projected(w->fields, name))
        return;
    put_name(w, name);
    gw_codec_value_write(w->out, v, t, &w->r->opts);
}

int gw_route_write_result(gw_buf_t *out, const gw_route_t *r, const gw_rfc_func_t *f,
                          const gw_rfc_field_t *res, uint32_t n, const char *fields)
{
    writer_t w = {out, 1, r, fields};
    const gw_rfc_param_t *ret = gw_route_bapi_return(f);
    gw_buf_append(out, "{", 1);
    for (uint32_t i = 0; i < f->nparams; i++) {
        const gw_rfc_param_t *p = &f->params[i];
        if (p->direction == GW_RFC_IMPORTING || p == ret)
            continue;
        if (r->include && !listed(r->include, r->ninclude, p->name))
            continue;
        const gw_rfc_field_t *fld = gw_rfc_fields_find(res, n, p->name);
        if (fld == NULL)
            continue;
        if (listed(r->flatten, r->nflatten, p->name) && fld->value.type == GW_RFC_STRUCTURE &&
            p->type->type == GW_RFC_STRUCTURE) {
            for (uint32_t k = 0; k < fld->value.u.st.count; k++) {
                const gw_rfc_field_t *sub = &fld->value.u.st.fields[k];
                const gw_rfc_typedesc_t *st = NULL;
                for (uint32_t j = 0; j < p->type->nfields; j++)
                    if (gw_slice_eq(p->type->fields[j].name, sub->name))
                        st = p->type->fields[j].type;
                put_entry(&w, sub->name, &sub->value, st);
            }
            continue;
        }
        put_entry(&w, p->name, &fld->value, p->type);
    }
    if (ret) {
        const gw_rfc_field_t *fld = gw_rfc_fields_find(res, n, ret->name);
        if (fld && projected(fields, GW_SLICE_LIT("messages"))) {
            put_name(&w, GW_SLICE_LIT("messages"));
            gw_route_write_messages(out, ret, &fld->value, &r->opts);
        }
    }
    gw_buf_append(out, "}", 1);
    return out->failed;
}

const gw_rfc_param_t *gw_route_stream_table(const gw_route_t *r, const gw_rfc_func_t *f,
                                            int *ambiguous)
{
    const gw_rfc_param_t *found = NULL;
    *ambiguous = 0;
    for (uint32_t i = 0; i < f->nparams; i++) {
        const gw_rfc_param_t *p = &f->params[i];
        if (p->direction == GW_RFC_IMPORTING || p->type == NULL || p->type->type != GW_RFC_TABLE)
            continue;
        if (r->stream_table) {
            if (gw_slice_eq_str(p->name, r->stream_table))
                return p;
            continue;
        }
        int included = r->include == NULL;
        for (size_t k = 0; k < r->ninclude && !included; k++)
            included = gw_slice_eq_str(p->name, r->include[k]);
        if (!included)
            continue;
        if (found) {
            *ambiguous = 1;
            return NULL;
        }
        found = p;
    }
    return found;
}
