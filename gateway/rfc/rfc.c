/* rfc: names of types, directions and error groups; lookups; deep copy. */
#include "rfc/rfc.h"
#include "error/error.h"

#include <string.h>

static const char *const type_names[] = {
    [GW_RFC_CHAR] = "CHAR",           [GW_RFC_NUM] = "NUM",         [GW_RFC_DATE] = "DATE",
    [GW_RFC_TIME] = "TIME",           [GW_RFC_BCD] = "BCD",         [GW_RFC_INT1] = "INT1",
    [GW_RFC_INT2] = "INT2",           [GW_RFC_INT4] = "INT4",       [GW_RFC_INT8] = "INT8",
    [GW_RFC_FLOAT] = "FLOAT",         [GW_RFC_DECF16] = "DECF16",   [GW_RFC_DECF34] = "DECF34",
    [GW_RFC_STRING] = "STRING",       [GW_RFC_XSTRING] = "XSTRING", [GW_RFC_RAW] = "RAW",
    [GW_RFC_STRUCTURE] = "STRUCTURE", [GW_RFC_TABLE] = "TABLE",
};

const char *gw_rfc_type_name(int type)
{
    if (type <= 0 || (size_t)type >= GW_ARRAY_SIZE(type_names) || type_names[type] == NULL)
        return "?";
    return type_names[type];
}

int gw_rfc_type_parse(const char *name)
{
    for (size_t i = 1; i < GW_ARRAY_SIZE(type_names); i++)
        if (type_names[i] && strcmp(type_names[i], name) == 0)
            return (int)i;
    return 0;
}

const char *gw_rfc_direction_name(int dir)
{
    switch (dir) {
    case GW_RFC_IMPORTING:
        return "IMPORTING";
    case GW_RFC_EXPORTING:
        return "EXPORTING";
    case GW_RFC_CHANGING:
        return "CHANGING";
    case GW_RFC_TABLES:
        return "TABLES";
    }
    return "?";
}

const char *gw_rfc_err_group_name(int group)
{
    switch (group) {
    case GW_RFC_ERR_ABAP_EXCEPTION:
        return "ABAP_EXCEPTION";
    case GW_RFC_ERR_ABAP_MESSAGE:
        return "ABAP_MESSAGE";
    case GW_RFC_ERR_RUNTIME_FAILURE:
        return "RUNTIME_FAILURE";
    case GW_RFC_ERR_LOGON_FAILURE:
        return "LOGON_FAILURE";
    case GW_RFC_ERR_AUTHORIZATION:
        return "AUTHORIZATION_FAILURE";
    case GW_RFC_ERR_COMMUNICATION:
        return "COMMUNICATION_FAILURE";
    case GW_RFC_ERR_FUNCTION_NOT_FOUND:
        return "FUNCTION_NOT_FOUND";
    }
    return "?";
}

int gw_rfc_err_to_gw(int group)
{
    switch (group) {
    case GW_RFC_ERR_ABAP_EXCEPTION:
        return GW_EABAPEXC;
    case GW_RFC_ERR_ABAP_MESSAGE:
        return GW_EABAPMSG;
    case GW_RFC_ERR_RUNTIME_FAILURE:
        return GW_ERUNTIME;
    case GW_RFC_ERR_LOGON_FAILURE:
        return GW_ELOGON;
    case GW_RFC_ERR_AUTHORIZATION:
        return GW_EAUTHZ;
    case GW_RFC_ERR_FUNCTION_NOT_FOUND:
        return GW_EFUNCNOTFOUND;
    default:
        return GW_ECOMM;
    }
}

const gw_rfc_param_t *gw_rfc_func_param(const gw_rfc_func_t *f, gw_slice_t name)
{
    for (uint32_t i = 0; i < f->nparams; i++)
        if (gw_slice_eq(f->params[i].name, name))
            return &f->params[i];
    return NULL;
}

const gw_rfc_field_t *gw_rfc_fields_find(const gw_rfc_field_t *fields, uint32_t n, gw_slice_t name)
{
    for (uint32_t i = 0; i < n; i++)
        if (gw_slice_eq(fields[i].name, name))
            return &fields[i];
    return NULL;
}

static int dup_slice(gw_arena_t *a, gw_slice_t *s)
{
    if (s->len == 0) {
        *s = (gw_slice_t){"", 0};
        return 0;
    }
    char *p = gw_arena_strndup(a, s->ptr, s->len);
    if (p == NULL)
        return GW_ENOMEM;
    s->ptr = p;
    return 0;
}

static const gw_rfc_typedesc_t *dup_type(gw_arena_t *a, const gw_rfc_typedesc_t *t)
{
    if (t == NULL)
        return NULL;
    gw_rfc_typedesc_t *c = gw_arena_alloc(a, sizeof(*c));
    if (c == NULL)
        return NULL;
    *c = *t;
    if (dup_slice(a, &c->name))
        return NULL;
    if (t->nfields) {
        gw_rfc_fielddesc_t *f = gw_arena_calloc(a, t->nfields, sizeof(*f));
        if (f == NULL)
            return NULL;
        for (uint32_t i = 0; i < t->nfields; i++) {
            f[i].name = t->fields[i].name;
            if (dup_slice(a, &f[i].name) || (f[i].type = dup_type(a, t->fields[i].type)) == NULL)
                return NULL;
        }
        c->fields = f;
    }
    if (t->line && (c->line = dup_type(a, t->line)) == NULL)
        return NULL;
    return c;
}

gw_rfc_func_t *gw_rfc_func_dup(gw_arena_t *a, const gw_rfc_func_t *f)
{
    gw_rfc_func_t *c = gw_arena_alloc(a, sizeof(*c));
    gw_rfc_param_t *p = gw_arena_calloc(a, f->nparams ? f->nparams : 1, sizeof(*p));
    if (c == NULL || p == NULL)
        return NULL;
    *c = *f;
    if (dup_slice(a, &c->name))
        return NULL;
    for (uint32_t i = 0; i < f->nparams; i++) {
        p[i] = f->params[i];
        if (dup_slice(a, &p[i].name) || dup_slice(a, &p[i].default_value) ||
            dup_slice(a, &p[i].text) || (p[i].type = dup_type(a, f->params[i].type)) == NULL)
            return NULL;
    }
    c->params = p;
    return c;
}
