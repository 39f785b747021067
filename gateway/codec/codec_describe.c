/*
 * codec_describe: a function description as JSON, for the metadata
 * endpoint (GET /api/v1/functions/{NAME}) and later OpenAPI.
 *
 * Each parameter carries its ABAP type ("abapType") and the JSON Schema of
 * its JSON form under the active options ("schema"); "request" and
 * "response" are the object schemas of a call's body and answer. The
 * schemas describe the canonical form the codec writes, which it also
 * accepts (docs/types.md lists the extra input forms, e.g. NUM as an
 * integer). This is a cold path, so a jansson tree is fine here.
 */
#include "codec/codec_internal.h"
#include "error/error.h"

#include <stdio.h>
#include <string.h>

/* Sets o[k] = v, stealing v; marks *ok = 0 on any failure (NULL v included). */
static void set(json_t *o, const char *k, json_t *v, int *ok)
{
    if (o == NULL || v == NULL || json_object_set_new(o, k, v) != 0) {
        if (o == NULL)
            json_decref(v);
        *ok = 0;
    }
}

static void append(json_t *arr, json_t *v, int *ok)
{
    if (arr == NULL || v == NULL || json_array_append_new(arr, v) != 0) {
        if (arr == NULL)
            json_decref(v);
        *ok = 0;
    }
}

static json_t *slice_str(gw_slice_t s)
{
    return json_stringn(s.ptr ? s.ptr : "", s.len);
}

static json_t *abap_type(const gw_rfc_typedesc_t *t, unsigned depth)
{
    int ok = depth <= GW__CODEC_MAX_RECURSION;
    json_t *o = json_object();
    set(o, "type", json_string(gw_rfc_type_name(t->type)), &ok);
    if (t->length)
        set(o, "length", json_integer(t->length), &ok);
    if (t->type == GW_RFC_BCD || t->decimals)
        set(o, "decimals", json_integer(t->decimals), &ok);
    if (t->name.len)
        set(o, "name", slice_str(t->name), &ok);
    if (ok && t->type == GW_RFC_STRUCTURE) {
        json_t *fields = json_array();
        for (uint32_t i = 0; ok && i < t->nfields; i++) {
            json_t *f = json_object();
            set(f, "name", slice_str(t->fields[i].name), &ok);
            set(f, "abapType", abap_type(t->fields[i].type, depth + 1), &ok);
            append(fields, f, &ok);
        }
        set(o, "fields", fields, &ok);
    }
    if (ok && t->type == GW_RFC_TABLE && t->line)
        set(o, "line", abap_type(t->line, depth + 1), &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *string_schema(const char *pattern)
{
    return json_pack("{s:s, s:s}", "type", "string", "pattern", pattern);
}

static json_t *int_schema(json_int_t lo, json_int_t hi)
{
    return json_pack("{s:s, s:I, s:I}", "type", "integer", "minimum", lo, "maximum", hi);
}

static json_t *schema(const gw_rfc_typedesc_t *t, const gw_codec_opts_t *o, unsigned depth)
{
    char pat[96];
    int ok = depth <= GW__CODEC_MAX_RECURSION;
    json_t *s = NULL;
    if (!ok)
        return NULL;
    switch (t->type) {
    case GW_RFC_CHAR:
        s = json_pack("{s:s}", "type", "string");
        if (t->length)
            set(s, "maxLength", json_integer(t->length), &ok);
        break;
    case GW_RFC_STRING:
        s = json_pack("{s:s}", "type", "string");
        break;
    case GW_RFC_NUM:
        if (o->num_as_string) {
            if (t->length)
                snprintf(pat, sizeof(pat), "^[0-9]{1,%u}$", t->length);
            else
                snprintf(pat, sizeof(pat), "^[0-9]+$");
            s = string_schema(pat);
        } else {
            s = json_pack("{s:s, s:i}", "type", "integer", "minimum", 0);
            if (t->length && t->length <= 18) {
                json_int_t max = 1;
                for (uint32_t i = 0; i < t->length; i++)
                    max *= 10;
                set(s, "maximum", json_integer(max - 1), &ok);
            }
        }
        break;
    case GW_RFC_DATE:
        if (o->date_format == GW_CODEC_FMT_SAP)
            s = string_schema("^[0-9]{8}$");
        else
            s = json_pack("{s:s, s:s}", "type", "string", "format", "date");
        if (o->initial_date_null)
            set(s, "type", json_pack("[s, s]", "string", "null"), &ok);
        break;
    case GW_RFC_TIME:
        s = string_schema(o->time_format == GW_CODEC_FMT_SAP
                              ? "^(([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]|240000)$"
                              : "^(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]|24:00:00)$");
        break;
    case GW_RFC_BCD: {
        unsigned total = gw__codec_bcd_digits(t), dec = t->decimals;
        unsigned maxint = total > dec ? total - dec : 1;
        if (dec)
            snprintf(pat, sizeof(pat), "^-?[0-9]{1,%u}(\\.[0-9]{1,%u})?$", maxint, dec);
        else
            snprintf(pat, sizeof(pat), "^-?[0-9]{1,%u}$", maxint);
        s = string_schema(pat);
        break;
    }
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
        s = string_schema("^-?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?$");
        break;
    case GW_RFC_INT1:
        s = int_schema(0, 255);
        break;
    case GW_RFC_INT2:
        s = int_schema(-32768, 32767);
        break;
    case GW_RFC_INT4:
        s = int_schema(-2147483648LL, 2147483647LL);
        break;
    case GW_RFC_INT8:
        if (o->int8_as_string)
            s = string_schema("^-?[0-9]{1,19}$");
        else
            s = int_schema(INT64_MIN, INT64_MAX);
        break;
    case GW_RFC_FLOAT:
        s = json_pack("{s:s}", "type", "number");
        break;
    case GW_RFC_XSTRING:
    case GW_RFC_RAW:
        s = json_pack("{s:s, s:s}", "type", "string", "contentEncoding", "base64");
        if (t->type == GW_RFC_RAW && t->length)
            set(s, "maxLength", json_integer((json_int_t)gw__codec_b64_len(t->length)), &ok);
        break;
    case GW_RFC_STRUCTURE: {
        json_t *props = json_object();
        s = json_pack("{s:s}", "type", "object");
        for (uint32_t i = 0; ok && i < t->nfields; i++) {
            const gw_rfc_fielddesc_t *f = &t->fields[i];
            json_t *fs = schema(f->type, o, depth + 1);
            if (props == NULL || fs == NULL ||
                json_object_setn_new(props, f->name.ptr, f->name.len, fs) != 0)
                ok = 0;
        }
        set(s, "properties", props, &ok);
        set(s, "additionalProperties", json_false(), &ok);
        break;
    }
    case GW_RFC_TABLE:
        s = json_pack("{s:s}", "type", "array");
        if (t->line)
            set(s, "items", schema(t->line, o, depth + 1), &ok);
        set(s, "maxItems", json_integer(o->max_rows), &ok);
        break;
    default:
        s = json_object(); /* unknown type: anything */
        break;
    }
    if (s && t->name.len)
        set(s, "title", slice_str(t->name), &ok);
    if (!ok || s == NULL) {
        json_decref(s);
        return NULL;
    }
    return s;
}

json_t *gw_codec_type_schema(const gw_rfc_typedesc_t *t, const gw_codec_opts_t *o)
{
    gw_codec_opts_t eff = gw__codec_opts_limits(o);
    return schema(t, &eff, 1);
}

json_t *gw_codec_func_describe(const gw_rfc_func_t *f, const gw_codec_opts_t *opts)
{
    gw_codec_opts_t eff = gw__codec_opts_limits(opts);
    const gw_codec_opts_t *o = &eff;
    int ok = 1;
    json_t *root = json_object();
    json_t *list = json_array();
    json_t *req_props = json_object(), *resp_props = json_object(), *required = json_array();
    set(root, "name", slice_str(f->name), &ok);
    for (uint32_t i = 0; ok && i < f->nparams; i++) {
        const gw_rfc_param_t *p = &f->params[i];
        json_t *e = json_object();
        json_t *sch = schema(p->type, o, 1);
        set(e, "name", slice_str(p->name), &ok);
        set(e, "direction", json_string(gw_rfc_direction_name(p->direction)), &ok);
        set(e, "optional", json_boolean(p->optional), &ok);
        set(e, "default", p->default_value.len ? slice_str(p->default_value) : json_null(), &ok);
        set(e, "description", slice_str(p->text), &ok);
        set(e, "abapType", abap_type(p->type, 1), &ok);
        if (sch && p->text.len && json_object_get(sch, "description") == NULL)
            set(sch, "description", slice_str(p->text), &ok);
        /* The same schema object sits in "parameters", "request" and "response". */
        if (sch && p->direction != GW_RFC_EXPORTING) {
            if (json_object_setn(req_props, p->name.ptr, p->name.len, sch) != 0)
                ok = 0;
            if (!p->optional)
                append(required, slice_str(p->name), &ok);
        }
        if (sch && p->direction != GW_RFC_IMPORTING &&
            json_object_setn(resp_props, p->name.ptr, p->name.len, sch) != 0)
            ok = 0;
        set(e, "schema", sch, &ok);
        append(list, e, &ok);
    }
    set(root, "parameters", list, &ok);
    json_t *req = json_pack("{s:s}", "type", "object");
    set(req, "properties", req_props, &ok);
    set(req, "required", required, &ok);
    set(req, "additionalProperties", json_false(), &ok);
    set(root, "request", req, &ok);
    json_t *resp = json_pack("{s:s}", "type", "object");
    set(resp, "properties", resp_props, &ok);
    set(resp, "additionalProperties", json_false(), &ok);
    set(root, "response", resp, &ok);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}
