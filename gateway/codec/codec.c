/*
 * codec: the JSON side of the value model. Jansson has already validated
 * UTF-8 and syntax (bodies are parsed with JSON_REJECT_DUPLICATES and
 * JSON_ALLOW_NUL so an embedded NUL reaches us and gets a precise error
 * instead of a parse failure).
 */
#include "codec/codec.h"
#include "error/error.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gw_codec_errors_init(gw_arena_t *a, gw_codec_errors_t *errs, size_t max)
{
    errs->items = gw_arena_calloc(a, max ? max : 1, sizeof(*errs->items));
    errs->n = 0;
    errs->max = max;
    errs->dropped = 0;
    return errs->items ? 0 : GW_ENOMEM;
}

/* Appends "/name" to a JSON Pointer, escaping '~' and '/' (RFC 6901). */
static const char *ptr_join(gw_arena_t *a, const char *base, gw_slice_t name)
{
    size_t extra = 0;
    for (size_t i = 0; i < name.len; i++)
        extra += name.ptr[i] == '~' || name.ptr[i] == '/';
    size_t blen = strlen(base);
    char *p = gw_arena_alloc(a, blen + 1 + name.len + extra + 1);
    if (p == NULL)
        return base;
    memcpy(p, base, blen);
    char *w = p + blen;
    *w++ = '/';
    for (size_t i = 0; i < name.len; i++) {
        if (name.ptr[i] == '~' || name.ptr[i] == '/') {
            *w++ = '~';
            *w++ = name.ptr[i] == '~' ? '0' : '1';
        } else {
            *w++ = name.ptr[i];
        }
    }
    *w = '\0';
    return p;
}

static void add_error(gw_arena_t *a, gw_codec_errors_t *errs, const char *pointer, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static void add_error(gw_arena_t *a, gw_codec_errors_t *errs, const char *pointer, const char *fmt,
                      ...)
{
    if (errs->n >= errs->max) {
        errs->dropped++;
        return;
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    errs->items[errs->n].pointer = pointer;
    errs->items[errs->n].reason = gw_arena_strndup(a, msg, strlen(msg));
    errs->n++;
}

size_t gw_codec_utf16_len(gw_slice_t s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if ((c & 0xc0) == 0x80)
            continue; /* continuation byte */
        n += c >= 0xf0 ? 2 : 1;
    }
    return n;
}

static const char *json_type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static int value_from_json(gw_arena_t *a, const gw_rfc_typedesc_t *t, json_t *j, const char *ptr,
                           gw_rfc_value_t *v, gw_codec_errors_t *errs)
{
    v->type = t->type;
    switch (t->type) {
    case GW_RFC_CHAR:
    case GW_RFC_STRING: {
        if (!json_is_string(j)) {
            add_error(a, errs, ptr, "expected a string, got %s", json_type_name(j));
            return 0;
        }
        gw_slice_t s = {json_string_value(j), json_string_length(j)};
        if (memchr(s.ptr, '\0', s.len)) {
            add_error(a, errs, ptr, "contains a NUL character (\\u0000)");
            return 0;
        }
        if (t->type == GW_RFC_CHAR && t->length && gw_codec_utf16_len(s) > t->length) {
            add_error(a, errs, ptr, "is %zu characters long; CHAR %u holds at most %u",
                      gw_codec_utf16_len(s), t->length, t->length);
            return 0;
        }
        v->u.s = s;
        return 0;
    }
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4: {
        static const long long lo[] = {0, -32768, -2147483648LL};
        static const long long hi[] = {255, 32767, 2147483647LL};
        int k = t->type - GW_RFC_INT1;
        if (!json_is_integer(j)) {
            add_error(a, errs, ptr, "expected an integer, got %s", json_type_name(j));
            return 0;
        }
        json_int_t x = json_integer_value(j);
        if (x < lo[k] || x > hi[k]) {
            add_error(a, errs, ptr, "%lld is out of range for %s (%lld to %lld)", (long long)x,
                      gw_rfc_type_name(t->type), lo[k], hi[k]);
            return 0;
        }
        v->u.i = x;
        return 0;
    }
    default:
        add_error(a, errs, ptr, "parameters of ABAP type %s are not supported yet",
                  gw_rfc_type_name(t->type));
        return 0;
    }
}

int gw_codec_params_from_json(gw_arena_t *a, const gw_rfc_func_t *f, json_t *body,
                              gw_rfc_field_t **out, uint32_t *n, gw_codec_errors_t *errs)
{
    size_t cap = body ? json_object_size(body) : 0;
    gw_rfc_field_t *params = gw_arena_calloc(a, cap ? cap : 1, sizeof(*params));
    uint32_t count = 0;
    if (params == NULL)
        return GW_ENOMEM;
    if (body) {
        const char *key;
        size_t klen;
        json_t *val;
        json_object_keylen_foreach(body, key, klen, val)
        {
            gw_slice_t name = {key, klen};
            const char *ptr = ptr_join(a, "", name);
            const gw_rfc_param_t *p = gw_rfc_func_param(f, name);
            if (p == NULL) {
                add_error(a, errs, ptr, "%.*s has no parameter of this name", (int)f->name.len,
                          f->name.ptr);
                continue;
            }
            if (p->direction == GW_RFC_EXPORTING) {
                add_error(a, errs, ptr, "is an EXPORTING parameter and cannot be sent");
                continue;
            }
            params[count].name = p->name;
            size_t before = errs->n + errs->dropped;
            value_from_json(a, p->type, val, ptr, &params[count].value, errs);
            if (errs->n + errs->dropped == before)
                count++;
        }
    }
    for (uint32_t i = 0; i < f->nparams; i++) {
        const gw_rfc_param_t *p = &f->params[i];
        if (p->optional || p->direction == GW_RFC_EXPORTING)
            continue;
        if (body == NULL || json_object_getn(body, p->name.ptr, p->name.len) == NULL)
            add_error(a, errs, ptr_join(a, "", p->name), "mandatory parameter is missing");
    }
    *out = params;
    *n = count;
    return errs->n || errs->dropped ? GW_EPARAM : 0;
}

static json_t *text_json(gw_slice_t s, int trim)
{
    size_t n = s.len;
    if (trim)
        while (n && s.ptr[n - 1] == ' ')
            n--;
    return json_stringn_nocheck(s.ptr, n);
}

static json_t *base64_json(gw_slice_t s)
{
    size_t outlen = 4 * ((s.len + 2) / 3);
    char *buf = malloc(outlen + 1);
    if (buf == NULL)
        return NULL;
    EVP_EncodeBlock((unsigned char *)buf, (const unsigned char *)s.ptr, (int)s.len);
    json_t *j = json_stringn_nocheck(buf, outlen);
    free(buf);
    return j;
}

json_t *gw_codec_value_to_json(const gw_rfc_value_t *v)
{
    switch (v->type) {
    case GW_RFC_CHAR:
        return text_json(v->u.s, 1);
    case GW_RFC_NUM:
    case GW_RFC_DATE:
    case GW_RFC_TIME:
    case GW_RFC_BCD:
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
    case GW_RFC_STRING:
        return text_json(v->u.s, 0);
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4:
        return json_integer(v->u.i);
    case GW_RFC_INT8: {
        char buf[24];
        snprintf(buf, sizeof(buf), "%lld", (long long)v->u.i);
        return json_string(buf);
    }
    case GW_RFC_FLOAT:
        return json_real(v->u.f);
    case GW_RFC_XSTRING:
    case GW_RFC_RAW:
        return base64_json(v->u.s);
    case GW_RFC_STRUCTURE: {
        json_t *o = json_object();
        for (uint32_t i = 0; o && i < v->u.st.count; i++) {
            const gw_rfc_field_t *fld = &v->u.st.fields[i];
            json_t *x = gw_codec_value_to_json(&fld->value);
            if (x == NULL || json_object_setn_new_nocheck(o, fld->name.ptr, fld->name.len, x)) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    case GW_RFC_TABLE: {
        json_t *arr = json_array();
        for (uint32_t i = 0; arr && i < v->u.tab.count; i++) {
            if (json_array_append_new(arr, gw_codec_value_to_json(&v->u.tab.rows[i]))) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    }
    return json_null();
}

json_t *gw_codec_result_to_json(const gw_rfc_func_t *f, const gw_rfc_field_t *params, uint32_t n)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    for (uint32_t i = 0; i < f->nparams; i++) {
        const gw_rfc_field_t *fld = gw_rfc_fields_find(params, n, f->params[i].name);
        if (fld == NULL || f->params[i].direction == GW_RFC_IMPORTING)
            continue;
        json_t *x = gw_codec_value_to_json(&fld->value);
        if (x == NULL || json_object_setn_new_nocheck(o, fld->name.ptr, fld->name.len, x)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}
