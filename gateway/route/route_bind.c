/*
 * route_bind: a request → the JSON parameter object of its call.
 *
 * Bindings only assemble JSON (jdoc nodes in the request arena); every
 * type check and conversion is the codec's (gw_codec_params_read runs on
 * the result), so a bound value is checked exactly like a body member. The
 * one conversion done here is text → number for path, query, header and
 * constant values bound to integer or FLOAT parameters, because those
 * sources only carry text.
 */
#include "route/route.h"
#include "error/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    errs->items[errs->n].pointer = gw_arena_strndup(a, pointer, strlen(pointer));
    errs->items[errs->n].reason = gw_arena_strndup(a, msg, strlen(msg));
    errs->n++;
}

const gw_rfc_typedesc_t *gw_route_target_type(const gw_rfc_func_t *f, const char *to)
{
    const char *dot = strchr(to, '.');
    size_t len = dot ? (size_t)(dot - to) : strlen(to);
    const gw_rfc_param_t *p = gw_rfc_func_param(f, (gw_slice_t){to, len});
    const gw_rfc_typedesc_t *t = p ? p->type : NULL;
    while (t && dot) {
        const char *name = dot + 1;
        dot = strchr(name, '.');
        len = dot ? (size_t)(dot - name) : strlen(name);
        const gw_rfc_typedesc_t *next = NULL;
        for (uint32_t i = 0; t->type == GW_RFC_STRUCTURE && i < t->nfields; i++)
            if (gw_slice_eq(t->fields[i].name, (gw_slice_t){name, len}))
                next = t->fields[i].type;
        t = next;
    }
    return t;
}

/* Text from path/query/header/const → the JSON the codec expects for type `t`. */
static int text_value(gw_arena_t *a, const char *text, const gw_rfc_typedesc_t *t, gw_jdoc_t *out)
{
    memset(out, 0, sizeof(*out));
    if (t && (t->type == GW_RFC_INT1 || t->type == GW_RFC_INT2 || t->type == GW_RFC_INT4)) {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (*text == '\0' || *end || errno)
            return GW_EPARAM;
        out->type = GW_JDOC_INT;
        out->u.i = v;
        return 0;
    }
    if (t && t->type == GW_RFC_FLOAT) {
        char *end;
        double v = strtod(text, &end);
        if (*text == '\0' || *end)
            return GW_EPARAM;
        out->type = GW_JDOC_REAL;
        out->u.f = v;
        return 0;
    }
    size_t n = strlen(text);
    char *copy = gw_arena_strndup(a, text, n);
    if (copy == NULL)
        return GW_ENOMEM;
    *out = gw_jdoc_string(copy, n);
    return 0;
}

/* A body member by dotted path ("passenger.name"); NULL when absent. */
static const gw_jdoc_t *body_member(const gw_jdoc_t *body, const char *path)
{
    const gw_jdoc_t *cur = body;
    while (cur && *path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        cur = gw_jdoc_get(cur, (gw_slice_t){path, len}, NULL);
        path = dot ? dot + 1 : path + len;
    }
    return cur;
}

/*
 * Sets `v` at dotted path `to` inside the object `obj`, creating objects on
 * the way. The parsed body is never changed: every object on the path gets
 * a new member array in the arena (a route binds a handful of values).
 */
static int set_path(gw_arena_t *a, gw_jdoc_t *obj, const char *to, gw_jdoc_t v)
{
    const char *dot = strchr(to, '.');
    gw_slice_t key = {to, dot ? (size_t)(dot - to) : strlen(to)};
    gw_jdoc_t nv = v;
    if (dot) {
        const gw_jdoc_t *cur = gw_jdoc_get(obj, key, NULL);
        if (cur && cur->type != GW_JDOC_OBJECT)
            return -1;
        nv = cur ? *cur : (gw_jdoc_t){.type = GW_JDOC_OBJECT};
        if (set_path(a, &nv, dot + 1, v) != 0)
            return -1;
    }
    gw_jdoc_member_t *m = gw_arena_alloc(a, (obj->n + 1) * sizeof(*m));
    char *k = gw_arena_strndup(a, key.ptr, key.len);
    if (m == NULL || k == NULL)
        return -1;
    uint32_t n = 0;
    int replaced = 0;
    for (uint32_t i = 0; i < obj->n; i++) {
        m[n] = obj->u.members[i];
        if (gw_slice_eq(m[n].key, key)) {
            m[n].value = nv;
            replaced = 1;
        }
        n++;
    }
    if (!replaced) {
        m[n].key = (gw_slice_t){k, key.len};
        m[n++].value = nv;
    }
    obj->type = GW_JDOC_OBJECT;
    obj->u.members = m;
    obj->n = n;
    return 0;
}

/* 1 when a body binding reads the top-level member `key` (or something inside it). */
static int body_bound(const gw_route_t *r, gw_slice_t key)
{
    for (size_t i = 0; i < r->nbinds; i++) {
        const gw_bind_t *b = &r->binds[i];
        if (b->source == GW_BIND_BODY && strlen(b->name) >= key.len &&
            memcmp(b->name, key.ptr, key.len) == 0 &&
            (b->name[key.len] == '\0' || b->name[key.len] == '.'))
            return 1;
    }
    return 0;
}

const gw_jdoc_t *gw_route_params(gw_arena_t *a, const gw_route_t *r, const gw_rfc_func_t *f,
                                 const gw_jdoc_t *body, const gw_route_captures_t *caps,
                                 gw_route_lookup_fn lookup, void *ctx, gw_codec_errors_t *errs)
{
    gw_jdoc_t *params = gw_arena_calloc(a, 1, sizeof(*params));
    if (params == NULL)
        return NULL;
    params->type = GW_JDOC_OBJECT;
    if (r->body == GW_ROUTE_BODY_PARAMS && body && body->type == GW_JDOC_OBJECT)
        *params = *body;
    for (uint32_t m = 0; r->body == GW_ROUTE_BODY_BOUND && body && m < body->n; m++) {
        gw_slice_t key = body->u.members[m].key;
        if (!body_bound(r, key)) {
            char ptr[160];
            snprintf(ptr, sizeof(ptr), "/%.150s", key.ptr);
            add_error(a, errs, ptr, "this route does not take a body member '%.80s'", key.ptr);
        }
    }
    for (size_t i = 0; i < r->nbinds; i++) {
        const gw_bind_t *b = &r->binds[i];
        const char *text = NULL;
        const gw_jdoc_t *member = NULL;
        gw_jdoc_t value;
        switch (b->source) {
        case GW_BIND_PATH:
            for (size_t k = 0; k < caps->n; k++)
                if (gw_slice_eq_str(caps->name[k], b->name))
                    text = gw_arena_slice_str(a, caps->value[k]);
            break;
        case GW_BIND_QUERY:
        case GW_BIND_HEADER:
            text = lookup(ctx, b->source, b->name);
            break;
        case GW_BIND_BODY:
            member = body ? body_member(body, b->name) : NULL;
            break;
        case GW_BIND_CONST:
            text = b->value;
            break;
        }
        if (text == NULL && member == NULL) {
            if (b->def)
                text = b->def;
            else if (b->required)
                add_error(a, errs, b->from, "required, but the request has no %s", b->from);
            if (text == NULL)
                continue;
        }
        const gw_rfc_typedesc_t *t = gw_route_target_type(f, b->to);
        if (t == NULL) {
            add_error(a, errs, b->from, "the route binds it to %s, which %.*s does not have", b->to,
                      (int)f->name.len, f->name.ptr);
            continue;
        }
        if (member) {
            value = *member;
        } else {
            int ret = text_value(a, text, t, &value);
            if (ret == GW_ENOMEM)
                return NULL;
            if (ret != 0) {
                add_error(a, errs, b->from, "'%.60s' is not a number (%s expects %s)", text, b->to,
                          gw_rfc_type_name(t->type));
                continue;
            }
        }
        if (set_path(a, params, b->to, value) != 0)
            add_error(a, errs, b->from, "cannot place the value at %s", b->to);
    }
    if (r->testrun && lookup) {
        const char *tr = lookup(ctx, GW_BIND_QUERY, "testrun");
        if (tr && (strcmp(tr, "true") == 0 || strcmp(tr, "1") == 0 || strcmp(tr, "X") == 0)) {
            if (set_path(a, params, r->testrun, gw_jdoc_string("X", 1)) != 0)
                add_error(a, errs, "query.testrun", "cannot place the value at %s", r->testrun);
        } else if (tr && strcmp(tr, "false") != 0 && strcmp(tr, "0") != 0) {
            add_error(a, errs, "query.testrun", "must be true or false");
        }
    }
    if (errs->n || errs->dropped)
        return NULL;
    return params;
}

gw_slice_t *gw_route_want(gw_arena_t *a, const gw_route_t *r, const gw_rfc_func_t *f, uint32_t *n)
{
    *n = 0;
    if (r->include == NULL)
        return NULL;
    gw_slice_t *want = gw_arena_calloc(a, r->ninclude + 1, sizeof(*want));
    if (want == NULL)
        return NULL;
    for (size_t i = 0; i < r->ninclude; i++)
        want[(*n)++] = gw_slice(r->include[i]);
    const gw_rfc_param_t *ret = gw_route_bapi_return(f);
    int have = 0;
    for (uint32_t i = 0; ret && i < *n; i++)
        have |= gw_slice_eq(want[i], ret->name);
    if (ret && !have)
        want[(*n)++] = ret->name;
    return want;
}

/* A returned parameter (EXPORTING, CHANGING, TABLES) of `f`, or NULL. */
static const gw_rfc_param_t *returned(const gw_rfc_func_t *f, const char *name)
{
    const gw_rfc_param_t *p = gw_rfc_func_param(f, gw_slice(name));
    return p && p->direction != GW_RFC_IMPORTING ? p : NULL;
}

int gw_route_check(const gw_route_t *r, const gw_rfc_func_t *f, char *why, size_t len)
{
    size_t n = 0;
    int bad = 0;
#define WHY(...)                                                                                   \
    do {                                                                                           \
        if (n < len) {                                                                             \
            int k = snprintf(why + n, len - n, "%s:%d: %s %s: ", r->file, r->line, r->method,      \
                             r->path);                                                             \
            if (k > 0 && (size_t)k < len - n)                                                      \
                n += (size_t)k;                                                                    \
            k = n < len ? snprintf(why + n, len - n, __VA_ARGS__) : 0;                             \
            if (k > 0)                                                                             \
                n = n + (size_t)k < len ? n + (size_t)k : len;                                     \
            if (n + 1 < len)                                                                       \
                why[n++] = '\n', why[n] = '\0';                                                    \
        }                                                                                          \
        bad++;                                                                                     \
    } while (0)
    if (len)
        why[0] = '\0';
    for (size_t i = 0; i < r->nbinds; i++) {
        const gw_bind_t *b = &r->binds[i];
        const char *dot = strchr(b->to, '.');
        size_t plen = dot ? (size_t)(dot - b->to) : strlen(b->to);
        const gw_rfc_param_t *p = gw_rfc_func_param(f, (gw_slice_t){b->to, plen});
        if (p == NULL)
            WHY("%s has no parameter %.*s (bind to = \"%s\")", r->function, (int)plen, b->to,
                b->to);
        else if (p->direction == GW_RFC_EXPORTING)
            WHY("%.*s is an EXPORTING parameter of %s: nothing can be sent in it (bind to = "
                "\"%s\")",
                (int)plen, b->to, r->function, b->to);
        else if (gw_route_target_type(f, b->to) == NULL)
            WHY("%.*s of %s has no field %s (bind to = \"%s\")", (int)plen, b->to, r->function,
                dot + 1, b->to);
    }
    for (size_t i = 0; i < r->ninclude; i++)
        if (returned(f, r->include[i]) == NULL)
            WHY("%s returns no parameter %s (result.include)", r->function, r->include[i]);
    for (size_t i = 0; i < r->nflatten; i++) {
        const gw_rfc_param_t *p = returned(f, r->flatten[i]);
        if (p == NULL || p->type == NULL || p->type->type != GW_RFC_STRUCTURE)
            WHY("%s returns no structure %s (result.flatten)", r->function, r->flatten[i]);
    }
    if (r->stream_table) {
        const gw_rfc_param_t *p = returned(f, r->stream_table);
        if (p == NULL || p->type == NULL || p->type->type != GW_RFC_TABLE)
            WHY("%s returns no table %s (result.stream_table)", r->function, r->stream_table);
    }
    if (r->testrun && gw_rfc_func_param(f, gw_slice(r->testrun)) == NULL)
        WHY("%s has no parameter %s (testrun)", r->function, r->testrun);
#undef WHY
    if (n && why[n - 1] == '\n')
        why[n - 1] = '\0';
    return bad ? GW_ECONFIG : 0;
}
