/*
 * route: loading and matching. Matching is a linear scan over segments;
 * route tables are small (tens to a few hundred routes) and a scan over
 * pre-split segments costs less than building anything cleverer.
 */
#include "route/route.h"
#include "error/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R(field) offsetof(gw_route_t, field)

static const gw_cfg_decl_t route_decls[] = {
    {"method", GW_CFG_STR, R(method), NULL, 0, 0, 1, "GET, POST, PUT, PATCH or DELETE."},
    {"path", GW_CFG_STR, R(path), NULL, 0, 0, 1,
     "Path template; `{name}` segments capture path parameters."},
    {"destination", GW_CFG_STR, R(destination), NULL, 0, 0, 1, "Destination name."},
    {"function", GW_CFG_STR, R(function), NULL, 0, 0, 1, "The RFM to call."},
    {"timeout_ms", GW_CFG_INT, R(timeout_ms), "0", 0, 3600000, 0,
     "Call timeout of this route; 0 = the destination's call_timeout_ms."},
    {"testrun", GW_CFG_STR, R(testrun), NULL, 0, 0, 0,
     "Parameter (e.g. TEST_RUN) that `?testrun=true` sets to 'X'."},
    {"bapi_error_status", GW_CFG_INT, R(bapi_error_status), "422", 400, 599, 0,
     "HTTP status when the function's RETURN holds a message of type E or A."},
    {"identity", GW_CFG_STR, R(identity), NULL, 0, 0, 0,
     "Backend identity the call logs on as: a name of the destination's `identities`, or "
     "`passthrough` (the caller's HTTP Basic user and password). Unset: the first identity "
     "whose `callers` or `scopes` match the caller, else the destination's own `auth`."},
};

#define B(field) offsetof(gw_bind_t, field)
static const gw_cfg_decl_t bind_decls[] = {
    {"to", GW_CFG_STR, B(to), NULL, 0, 0, 1, "Parameter, or PARAM.FIELD for a structure field."},
    {"from", GW_CFG_STR, B(from), NULL, 0, 0, 0,
     "path.NAME, query.NAME, header.NAME or body.NAME(.NAME…)."},
    {"const", GW_CFG_STR, B(value), NULL, 0, 0, 0, "A constant value instead of `from`."},
    {"default", GW_CFG_STR, B(def), NULL, 0, 0, 0, "Value when the request lacks it."},
    {"required", GW_CFG_BOOL, B(required), "false", 0, 0, 0,
     "The request must carry it (400 otherwise)."},
};
static const gw_cfg_group_t g_bind = {"routes[].bind[]", bind_decls, GW_ARRAY_SIZE(bind_decls),
                                      "One binding."};

#define RN(field) offsetof(gw_rename_t, field)
static const gw_cfg_decl_t rename_decls[] = {
    {"from", GW_CFG_STR, RN(from), NULL, 0, 0, 1, "Returned parameter."},
    {"to", GW_CFG_STR, RN(to), NULL, 0, 0, 1, "Its name in the answer."},
};
static const gw_cfg_group_t g_rename = {"routes[].result.rename[]", rename_decls,
                                        GW_ARRAY_SIZE(rename_decls), "One rename."};

static const gw_cfg_group_t g_route = {"routes[]", route_decls, GW_ARRAY_SIZE(route_decls),
                                       "One route."};

static const char *const reserved[] = {"/api/v1/rfc",   "/api/v1/batch", "/api/v1/functions",
                                       "/healthz",      "/readyz",       "/metrics",
                                       "/openapi.json", "/docs",         NULL};

gw_codec_opts_t gw_route_codec_opts(const gw_types_conf_t *t)
{
    gw_codec_opts_t o = gw_codec_opts_default();
    o.char_trim = (uint8_t)t->char_trim;
    o.num_as_string = (uint8_t)t->num_as_string;
    gw_codec_fmt_parse(t->date_format, &o.date_format);
    gw_codec_fmt_parse(t->time_format, &o.time_format);
    o.initial_date_null = (uint8_t)t->initial_date_null;
    o.int8_as_string = (uint8_t)t->int8_as_string;
    o.max_depth = (uint32_t)t->max_depth;
    o.max_rows = (uint32_t)t->max_rows;
    return o;
}

int gw_route_path_reserved(const char *path)
{
    for (const char *const *r = reserved; *r; r++) {
        size_t n = strlen(*r);
        if (strncmp(path, *r, n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return 1;
    }
    return 0;
}

static int split_path(gw_arena_t *a, const char *path, gw_route_t *r)
{
    size_t n = 0;
    for (const char *p = path; *p; p++)
        n += *p == '/';
    r->segs = gw_arena_calloc(a, n + 1, sizeof(*r->segs));
    if (r->segs == NULL)
        return GW_ENOMEM;
    r->nsegs = 0;
    const char *p = path + 1;
    while (1) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        r->segs[r->nsegs++] = (gw_slice_t){p, len};
        if (end == NULL)
            break;
        p = end + 1;
    }
    return 0;
}

static int is_capture(gw_slice_t s)
{
    return s.len >= 3 && s.ptr[0] == '{' && s.ptr[s.len - 1] == '}';
}

static int valid_function_name(const char *f)
{
    size_t n = strlen(f);
    if (n == 0 || n > 30)
        return 0;
    for (const char *p = f; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '/'))
            return 0;
    return 1;
}

static int same_shape(const gw_route_t *a, const gw_route_t *b)
{
    if (a->nsegs != b->nsegs)
        return 0;
    for (size_t i = 0; i < a->nsegs; i++) {
        if (is_capture(a->segs[i]) && is_capture(b->segs[i]))
            continue;
        if (!gw_slice_eq(a->segs[i], b->segs[i]))
            return 0;
    }
    return 1;
}

static void check_route(const gw_config_t *cfg, gw_route_table_t *t, gw_route_t *r,
                        const config_setting_t *s, gw_cfg_errors_t *e)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
    int ok = 0;
    for (const char *const *m = methods; *m; m++)
        ok |= strcmp(*m, r->method) == 0;
    if (!ok)
        gw_cfg_error(e, config_setting_get_member(s, "method"),
                     "method must be GET, POST, PUT, PATCH or DELETE, not '%s'", r->method);
    if (r->path[0] != '/' || strstr(r->path, "//") || strpbrk(r->path, "?# ")) {
        gw_cfg_error(e, config_setting_get_member(s, "path"),
                     "path must start with '/' and contain no '//', '?', '#' or blanks");
        return;
    }
    if (gw_route_path_reserved(r->path))
        gw_cfg_error(e, config_setting_get_member(s, "path"),
                     "path %s is reserved for rfmgw's own endpoints", r->path);
    if (gw_config_dest(cfg, r->destination) == NULL)
        gw_cfg_error(e, config_setting_get_member(s, "destination"), "unknown destination '%s'",
                     r->destination);
    if (!valid_function_name(r->function))
        gw_cfg_error(e, config_setting_get_member(s, "function"),
                     "'%s' is not a valid function module name (A-Z, 0-9, _ and /, at most 30)",
                     r->function);
    if (split_path(&t->arena, r->path, r))
        return;
    size_t caps = 0;
    for (size_t i = 0; i < r->nsegs; i++)
        caps += is_capture(r->segs[i]);
    if (caps > GW_ROUTE_MAX_CAPTURES)
        gw_cfg_error(e, config_setting_get_member(s, "path"), "at most %d path parameters",
                     GW_ROUTE_MAX_CAPTURES);
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->routes[i].method, r->method) == 0 && same_shape(&t->routes[i], r))
            gw_cfg_error(e, s, "route %s %s duplicates or overlaps %s %s (%s:%d)", r->method,
                         r->path, t->routes[i].method, t->routes[i].path, t->routes[i].file,
                         t->routes[i].line);
}

static int valid_name_path(const char *p, int dots)
{
    if (*p == '\0' || strlen(p) > 200)
        return 0;
    for (; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '/' ||
              (dots && *p == '.')))
            return 0;
    return 1;
}

static int valid_json_name(const char *p)
{
    if (*p == '\0' || strlen(p) > 100)
        return 0;
    for (; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static int capture_exists(const gw_route_t *r, const char *name)
{
    for (size_t i = 0; i < r->nsegs; i++) {
        gw_slice_t sg = r->segs[i];
        if (is_capture(sg) && sg.len - 2 == strlen(name) &&
            memcmp(sg.ptr + 1, name, sg.len - 2) == 0)
            return 1;
    }
    return 0;
}

static void load_binds(gw_arena_t *a, gw_route_t *r, const config_setting_t *bs, gw_cfg_errors_t *e)
{
    if (bs == NULL)
        return;
    if (config_setting_type(bs) != CONFIG_TYPE_LIST) {
        gw_cfg_error(e, bs, "'bind' must be a list ( { to = …; from = …; }, … )");
        return;
    }
    int n = config_setting_length(bs);
    r->binds = gw_arena_calloc(a, (size_t)n + 1, sizeof(*r->binds));
    for (int i = 0; r->binds && i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(bs, (unsigned)i);
        gw_bind_t *b = &r->binds[r->nbinds];
        if (gw_cfg_load_group(a, s, &g_bind, b, NULL, NULL, e))
            continue;
        if (!valid_name_path(b->to, 1) || b->to[0] == '.' || strstr(b->to, ".."))
            gw_cfg_error(e, s, "bind 'to' must be PARAM or PARAM.FIELD (upper case), not '%s'",
                         b->to);
        if ((b->from != NULL) == (b->value != NULL)) {
            gw_cfg_error(e, s, "a binding needs exactly one of 'from' and 'const'");
            continue;
        }
        if (b->value) {
            b->source = GW_BIND_CONST;
            b->from = "const";
        } else {
            static const struct {
                const char *prefix;
                int source;
            } kinds[] = {{"path.", GW_BIND_PATH},
                         {"query.", GW_BIND_QUERY},
                         {"header.", GW_BIND_HEADER},
                         {"body.", GW_BIND_BODY}};
            for (size_t k = 0; k < GW_ARRAY_SIZE(kinds); k++)
                if (strncmp(b->from, kinds[k].prefix, strlen(kinds[k].prefix)) == 0) {
                    b->source = kinds[k].source;
                    b->name = b->from + strlen(kinds[k].prefix);
                }
            if (b->source == 0 || b->name[0] == '\0')
                gw_cfg_error(e, s,
                             "bind 'from' must be path.NAME, query.NAME, header.NAME or "
                             "body.NAME, not '%s'",
                             b->from);
            else if (b->source == GW_BIND_PATH && !capture_exists(r, b->name))
                gw_cfg_error(e, s, "path %s has no {%s} segment", r->path, b->name);
        }
        for (size_t k = 0; k < r->nbinds; k++)
            if (strcmp(r->binds[k].to, b->to) == 0)
                gw_cfg_error(e, s, "%s is bound twice", b->to);
        r->nbinds++;
    }
}

static void load_result(gw_arena_t *a, gw_route_t *r, const config_setting_t *rs,
                        gw_cfg_errors_t *e)
{
    if (rs == NULL)
        return;
    if (config_setting_type(rs) != CONFIG_TYPE_GROUP) {
        gw_cfg_error(e, rs, "'result' must be a group { include = […]; … }");
        return;
    }
    for (int i = 0; i < config_setting_length(rs); i++) {
        const char *name = config_setting_name(config_setting_get_elem(rs, (unsigned)i));
        if (strcmp(name, "include") && strcmp(name, "rename") && strcmp(name, "flatten") &&
            strcmp(name, "drop_empty") && strcmp(name, "stream") && strcmp(name, "stream_table"))
            gw_cfg_error(e, config_setting_get_elem(rs, (unsigned)i),
                         "unknown setting '%s' in result (include, rename, flatten, drop_empty, "
                         "stream, stream_table)",
                         name);
    }
    const config_setting_t *sm = config_setting_get_member(rs, "stream");
    if (sm && config_setting_type(sm) != CONFIG_TYPE_BOOL)
        gw_cfg_error(e, sm, "stream must be true or false");
    else if (sm)
        r->stream = config_setting_get_bool(sm);
    const config_setting_t *stt = config_setting_get_member(rs, "stream_table");
    if (stt && (config_setting_type(stt) != CONFIG_TYPE_STRING ||
                !valid_name_path(config_setting_get_string(stt), 0)))
        gw_cfg_error(e, stt, "stream_table must name a TABLE parameter");
    else if (stt)
        r->stream_table = gw_arena_strndup(a, config_setting_get_string(stt),
                                           strlen(config_setting_get_string(stt)));
    if ((r->stream || r->stream_table) && !r->read_only)
        gw_cfg_error(e, sm ? sm : stt,
                     "only a read-only route can stream (its answer is not recorded for "
                     "Idempotency-Key and it cannot commit)");
    const config_setting_t *inc = config_setting_get_member(rs, "include");
    r->include = gw_cfg_strings(a, inc, "include", &r->ninclude, e);
    if (inc && r->ninclude == 0)
        r->include = NULL;
    r->flatten =
        gw_cfg_strings(a, config_setting_get_member(rs, "flatten"), "flatten", &r->nflatten, e);
    for (size_t i = 0; i < r->ninclude; i++)
        if (!valid_name_path(r->include[i], 0))
            gw_cfg_error(e, inc, "'%s' is not a parameter name", r->include[i]);
    const config_setting_t *de = config_setting_get_member(rs, "drop_empty");
    if (de && config_setting_type(de) != CONFIG_TYPE_BOOL)
        gw_cfg_error(e, de, "drop_empty must be true or false");
    else if (de)
        r->drop_empty = config_setting_get_bool(de);
    const config_setting_t *rn = config_setting_get_member(rs, "rename");
    if (rn == NULL)
        return;
    if (config_setting_type(rn) != CONFIG_TYPE_LIST) {
        gw_cfg_error(e, rn, "'rename' must be a list ( { from = …; to = …; }, … )");
        return;
    }
    int n = config_setting_length(rn);
    r->rename = gw_arena_calloc(a, (size_t)n + 1, sizeof(*r->rename));
    for (int i = 0; r->rename && i < n; i++) {
        const config_setting_t *x = config_setting_get_elem(rn, (unsigned)i);
        gw_rename_t *m = &r->rename[r->nrename];
        if (gw_cfg_load_group(a, x, &g_rename, m, NULL, NULL, e))
            continue;
        if (!valid_json_name(m->to))
            gw_cfg_error(e, x, "rename 'to' may hold letters, digits, '_' and '-' only");
        r->nrename++;
    }
}

/* The caller methods a route accepts: its own `auth`, else callers.default. */
static char *const *route_methods(const gw_config_t *cfg, const gw_route_t *r, size_t *n)
{
    *n = r->auth ? r->nauth : cfg->callers.ndefaults;
    return r->auth ? r->auth : cfg->callers.defaults;
}

/*
 * `identity`: known to the destination. Pass-through needs the caller's
 * Basic credentials, so every method the route accepts must take them
 * (type basic or passthrough); a method of type passthrough checks nothing
 * itself, so it is only allowed where the backend checks the credentials.
 */
static void check_identity(const gw_config_t *cfg, const gw_route_t *r, const config_setting_t *s,
                           gw_cfg_errors_t *e)
{
    const gw_dest_conf_t *d = gw_config_dest(cfg, r->destination);
    const config_setting_t *is = config_setting_get_member(s, "identity");
    int pt = r->identity && strcmp(r->identity, "passthrough") == 0;
    if (d && pt && !d->passthrough.enabled)
        gw_cfg_error(e, is,
                     "identity passthrough: destination '%s' has passthrough.enabled = false",
                     d->name);
    else if (d && r->identity && !pt && gw_config_identity(d, r->identity) == NULL)
        gw_cfg_error(e, is, "identity '%s': destination '%s' has no such identity", r->identity,
                     d->name);
    size_t n;
    char *const *m = route_methods(cfg, r, &n);
    for (size_t i = 0; i < n; i++) {
        const gw_caller_method_t *cm = gw_config_caller_method(cfg, m[i]);
        if (cm == NULL)
            continue;
        int basic = strcmp(cm->type, "basic") == 0, ptm = strcmp(cm->type, "passthrough") == 0;
        if (pt && !basic && !ptm)
            gw_cfg_error(e, is ? is : s,
                         "identity passthrough needs the caller's Basic credentials: callers "
                         "method '%s' (%s) does not carry them; accept only methods of type "
                         "basic or passthrough here",
                         cm->name, cm->type);
        else if (!pt && ptm)
            gw_cfg_error(e, s,
                         "callers method '%s' is of type passthrough (it checks nothing itself): "
                         "only routes with identity = \"passthrough\" may accept it",
                         cm->name);
    }
    if (pt && n == 0)
        gw_cfg_error(e, is,
                     "identity passthrough needs a callers method of type basic or "
                     "passthrough on the route (auth) or in callers.default");
}

static void load_extras(const gw_config_t *cfg, gw_route_table_t *t, gw_route_t *r,
                        const config_setting_t *s, gw_cfg_errors_t *e)
{
    const config_setting_t *ro = config_setting_get_member(s, "read_only");
    r->read_only = strcmp(r->method, "GET") == 0;
    if (ro && config_setting_type(ro) != CONFIG_TYPE_BOOL)
        gw_cfg_error(e, ro, "read_only must be true or false");
    else if (ro)
        r->read_only = config_setting_get_bool(ro);
    const config_setting_t *cm = config_setting_get_member(s, "commit");
    const char *commit = cm && config_setting_type(cm) == CONFIG_TYPE_STRING
                             ? config_setting_get_string(cm)
                             : (cm ? "?" : "none");
    if (strcmp(commit, "none") == 0)
        r->commit = GW_COMMIT_NONE;
    else if (strcmp(commit, "commit") == 0)
        r->commit = GW_COMMIT_COMMIT;
    else if (strcmp(commit, "rollback_on_error") == 0)
        r->commit = GW_COMMIT_ROLLBACK_ON_ERROR;
    else
        gw_cfg_error(e, cm, "commit must be \"none\", \"commit\" or \"rollback_on_error\"");
    if (r->commit != GW_COMMIT_NONE && r->read_only)
        gw_cfg_error(e, cm, "a read-only route cannot commit (set read_only = false)");
    if (r->testrun && !valid_name_path(r->testrun, 0))
        gw_cfg_error(e, config_setting_get_member(s, "testrun"), "testrun must name a parameter");
    load_binds(&t->arena, r, config_setting_get_member(s, "bind"), e);
    load_result(&t->arena, r, config_setting_get_member(s, "result"), e);
    const config_setting_t *au = config_setting_get_member(s, "auth");
    r->auth = gw_cfg_strings(&t->arena, au, "auth", &r->nauth, e);
    if (au && r->nauth == 0)
        gw_cfg_error(e, au, "auth must name at least one callers method");
    for (size_t i = 0; i < r->nauth; i++)
        if (gw_config_caller_method(cfg, r->auth[i]) == NULL)
            gw_cfg_error(e, au, "auth: no callers method named '%s'", r->auth[i]);
    if (r->nauth == 0)
        r->auth = NULL;
    r->scopes =
        gw_cfg_strings(&t->arena, config_setting_get_member(s, "scopes"), "scopes", &r->nscopes, e);
    check_identity(cfg, r, s, e);
}

static void load_file(const gw_config_t *cfg, gw_route_table_t *t, const char *file,
                      gw_cfg_errors_t *e)
{
    config_t mc;
    e->file = file;
    if (gw_cfg_read_file(&mc, file, e) != 0)
        return;
    const config_setting_t *root = config_root_setting(&mc);
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        if (strcmp(config_setting_name(s), "routes") != 0)
            gw_cfg_error(e, s, "unknown setting '%s' (a mapping file holds 'routes')",
                         config_setting_name(s));
    }
    const config_setting_t *rs = config_lookup(&mc, "routes");
    if (rs == NULL || config_setting_type(rs) != CONFIG_TYPE_LIST) {
        gw_cfg_error(e, rs, "a mapping file needs 'routes = ( { ... }, ... );'");
        config_destroy(&mc);
        return;
    }
    int n = config_setting_length(rs);
    gw_route_t *grown = gw_arena_calloc(&t->arena, t->n + (size_t)n + 1, sizeof(*grown));
    if (grown == NULL) {
        config_destroy(&mc);
        return;
    }
    if (t->n)
        memcpy(grown, t->routes, t->n * sizeof(*grown));
    t->routes = grown;
    char *dir = gw_cfg_dirname(&t->arena, file);
    static const char *const also[] = {"body",   "types", "read_only", "commit", "bind",
                                       "result", "auth",  "scopes",    "status", NULL};
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(rs, (unsigned)i);
        gw_route_t *r = &t->routes[t->n];
        memset(r, 0, sizeof(*r));
        if (gw_cfg_load_group(&t->arena, s, &g_route, r, dir, also, e))
            continue;
        r->file = gw_arena_strndup(&t->arena, file, strlen(file));
        r->line = (int)config_setting_source_line(s);
        const config_setting_t *b = config_setting_get_member(s, "body");
        r->body = strcmp(r->method, "GET") == 0 || strcmp(r->method, "DELETE") == 0
                      ? GW_ROUTE_BODY_NONE
                      : GW_ROUTE_BODY_PARAMS;
        if (b) {
            const char *bv =
                config_setting_type(b) == CONFIG_TYPE_STRING ? config_setting_get_string(b) : "";
            if (strcmp(bv, "parameters") == 0)
                r->body = GW_ROUTE_BODY_PARAMS;
            else if (strcmp(bv, "bound") == 0)
                r->body = GW_ROUTE_BODY_BOUND;
            else if (strcmp(bv, "none") == 0)
                r->body = GW_ROUTE_BODY_NONE;
            else
                gw_cfg_error(e, b, "body must be \"parameters\", \"bound\" or \"none\"");
        }
        gw_types_conf_t types;
        gw_config_load_types(&t->arena, config_setting_get_member(s, "types"), &cfg->types, &types,
                             e);
        r->opts = gw_route_codec_opts(&types);
        gw_config_load_status(config_setting_get_member(s, "status"), &cfg->status, &r->status, e);
        check_route(cfg, t, r, s, e);
        if (r->segs)
            load_extras(cfg, t, r, s, e);
        t->n++;
    }
    config_destroy(&mc);
}

int gw_route_table_load(const gw_config_t *cfg, gw_route_table_t **out, gw_cfg_errors_t *e)
{
    int before = e->count;
    gw_route_table_t *t = calloc(1, sizeof(*t));
    *out = NULL;
    if (t == NULL)
        return GW_ENOMEM;
    gw_arena_init(&t->arena, 0);
    t->refs = 1;
    for (size_t i = 0; i < cfg->nmappings; i++)
        load_file(cfg, t, cfg->mappings[i], e);
    if (e->count != before) {
        gw_route_table_free(t);
        return GW_ECONFIG;
    }
    *out = t;
    return 0;
}

void gw_route_table_free(gw_route_table_t *t)
{
    if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    gw_arena_free(&t->arena);
    free(t);
}

gw_route_table_t *gw_route_table_ref(gw_route_table_t *t)
{
    __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    return t;
}

static int match_path(const gw_route_t *r, gw_slice_t path, gw_route_captures_t *caps)
{
    if (path.len == 0 || path.ptr[0] != '/')
        return 0;
    const char *p = path.ptr + 1, *end = path.ptr + path.len;
    size_t ncap = 0;
    for (size_t i = 0; i < r->nsegs; i++) {
        if (p > end)
            return 0;
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *segend = slash ? slash : end;
        gw_slice_t seg = {p, (size_t)(segend - p)};
        if (is_capture(r->segs[i])) {
            if (seg.len == 0)
                return 0;
            if (caps) {
                caps->name[ncap] = (gw_slice_t){r->segs[i].ptr + 1, r->segs[i].len - 2};
                caps->value[ncap] = seg;
            }
            ncap++;
        } else if (!gw_slice_eq(seg, r->segs[i])) {
            return 0;
        }
        if (i + 1 == r->nsegs) {
            if (slash != NULL)
                return 0;
        } else if (slash == NULL) {
            return 0;
        }
        p = segend + 1;
    }
    if (caps)
        caps->n = ncap;
    return 1;
}

const gw_route_t *gw_route_match(const gw_route_table_t *t, gw_slice_t method, gw_slice_t path,
                                 gw_route_captures_t *caps, int *path_known, char *allow,
                                 size_t allow_size)
{
    *path_known = 0;
    if (allow && allow_size)
        allow[0] = '\0';
    for (size_t i = 0; i < t->n; i++) {
        const gw_route_t *r = &t->routes[i];
        if (!match_path(r, path, NULL))
            continue;
        if (gw_slice_eq_str(method, r->method)) {
            match_path(r, path, caps);
            return r;
        }
        *path_known = 1;
        if (allow) {
            size_t used = strlen(allow);
            snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", r->method);
        }
    }
    return NULL;
}
