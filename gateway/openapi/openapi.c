/*
 * openapi: built with Jansson from the route table; schemas come from the
 * codec (gw_codec_type_schema), so the document describes exactly the JSON
 * the codec accepts and writes, under each route's type options.
 */
#include "openapi/openapi.h"
#include "error/error.h"

#include <stdio.h>
#include <string.h>

static json_t *schema_of(const gw_rfc_func_t *f, const char *to, const gw_codec_opts_t *o)
{
    const gw_rfc_typedesc_t *t = f ? gw_route_target_type(f, to) : NULL;
    return t ? gw_codec_type_schema(t, o) : json_object();
}

static json_t *problem_responses(void)
{
    json_t *r = json_object();
    static const struct {
        const char *code, *what;
    } rows[] = {
        {"400", "Invalid input; `errors` lists each problem with its JSON Pointer"},
        {"404", "No such route or function"},
        {"422", "The ABAP side reported an error (exception, message, BAPI RETURN)"},
        {"502", "Backend unreachable, TLS or logon failure, ABAP runtime failure"},
        {"503", "No capacity (queue full, circuit breaker open); see Retry-After"},
        {"504", "The backend did not answer in time"},
    };
    for (size_t i = 0; i < GW_ARRAY_SIZE(rows); i++)
        json_object_set_new(r, rows[i].code,
                            json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", rows[i].what,
                                      "content", "application/problem+json", "schema", "$ref",
                                      "#/components/schemas/Problem"));
    return r;
}

/* Puts `schema` at dotted body path `path` inside object schema `root` (creating objects). */
static void put_body_path(json_t *root, const char *path, json_t *schema, int required)
{
    json_t *cur = root;
    char name[128];
    while (1) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        snprintf(name, sizeof(name), "%.*s", (int)len, path);
        json_t *props = json_object_get(cur, "properties");
        if (props == NULL) {
            props = json_object();
            json_object_set_new(cur, "properties", props);
        }
        if (required) {
            json_t *req = json_object_get(cur, "required");
            if (req == NULL) {
                req = json_array();
                json_object_set_new(cur, "required", req);
            }
            json_array_append_new(req, json_string(name));
        }
        if (dot == NULL) {
            json_object_set_new(props, name, schema);
            return;
        }
        json_t *next = json_object_get(props, name);
        if (next == NULL) {
            next = json_pack("{s:s}", "type", "object");
            json_object_set_new(props, name, next);
        }
        cur = next;
        path = dot + 1;
    }
}

static json_t *response_schema(const gw_route_t *r, const gw_rfc_func_t *f)
{
    json_t *props = json_object();
    const gw_rfc_param_t *ret = gw_route_bapi_return(f);
    for (uint32_t i = 0; i < f->nparams; i++) {
        const gw_rfc_param_t *p = &f->params[i];
        if (p->direction == GW_RFC_IMPORTING || p == ret)
            continue;
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)p->name.len, p->name.ptr);
        int included = r->include == NULL;
        for (size_t k = 0; k < r->ninclude; k++)
            included |= strcmp(r->include[k], name) == 0;
        if (!included)
            continue;
        int flat = 0;
        for (size_t k = 0; k < r->nflatten; k++)
            flat |= strcmp(r->flatten[k], name) == 0;
        const char *out = name;
        if (flat && p->type->type == GW_RFC_STRUCTURE) {
            for (uint32_t k = 0; k < p->type->nfields; k++) {
                char fn[64];
                snprintf(fn, sizeof(fn), "%.*s", (int)p->type->fields[k].name.len,
                         p->type->fields[k].name.ptr);
                json_object_set_new(props, fn,
                                    gw_codec_type_schema(p->type->fields[k].type, &r->opts));
            }
            continue;
        }
        for (size_t k = 0; k < r->nrename; k++)
            if (strcmp(r->rename[k].from, name) == 0)
                out = r->rename[k].to;
        json_object_set_new(props, out, gw_codec_type_schema(p->type, &r->opts));
    }
    if (ret)
        json_object_set_new(
            props, "messages",
            json_pack(
                "{s:s, s:s, s:o}", "type", "array", "description",
                "W, I and S messages of the BAPI's RETURN", "items",
                gw_codec_type_schema(ret->type->type == GW_RFC_TABLE ? ret->type->line : ret->type,
                                     &r->opts)));
    return json_pack("{s:s, s:o}", "type", "object", "properties", props);
}

static json_t *operation(const gw_route_t *r, const gw_rfc_func_t *f, int index)
{
    json_t *op = json_object();
    char id[96];
    snprintf(id, sizeof(id), "%s_%d", r->function, index);
    for (char *c = id; *c; c++)
        if (*c == '/')
            *c = '_';
    json_object_set_new(op, "operationId", json_string(id));
    char sum[128];
    snprintf(sum, sizeof(sum), "Calls %s on %s", r->function, r->destination);
    json_object_set_new(op, "summary", json_string(sum));
    if (f == NULL)
        json_object_set_new(op, "x-rfmgw-metadata", json_string("unavailable"));
    json_t *params = json_array();
    /* every {capture} must be declared; a bound one gets its parameter's schema */
    for (size_t i = 0; i < r->nsegs; i++) {
        gw_slice_t sg = r->segs[i];
        if (sg.len < 3 || sg.ptr[0] != '{')
            continue;
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(sg.len - 2), sg.ptr + 1);
        json_t *schema = json_pack("{s:s}", "type", "string");
        for (size_t k = 0; k < r->nbinds; k++)
            if (r->binds[k].source == GW_BIND_PATH && strcmp(r->binds[k].name, name) == 0) {
                json_decref(schema);
                schema = schema_of(f, r->binds[k].to, &r->opts);
            }
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:o}", "name", name, "in", "path",
                                                "required", 1, "schema", schema));
    }
    for (size_t k = 0; k < r->nbinds; k++) {
        const gw_bind_t *b = &r->binds[k];
        if (b->source != GW_BIND_QUERY && b->source != GW_BIND_HEADER)
            continue;
        json_t *p = json_pack("{s:s, s:s, s:b, s:o}", "name", b->name, "in",
                              b->source == GW_BIND_QUERY ? "query" : "header", "required",
                              b->required && !b->def, "schema", schema_of(f, b->to, &r->opts));
        char d[160];
        snprintf(d, sizeof(d), "Sets %s%s%s", b->to, b->def ? "; default " : "",
                 b->def ? b->def : "");
        json_object_set_new(p, "description", json_string(d));
        json_array_append_new(params, p);
    }
    if (r->testrun)
        json_array_append_new(params, json_pack("{s:s, s:s, s:s, s:{s:s}}", "name", "testrun", "in",
                                                "query", "description",
                                                "true: check and simulate without storing",
                                                "schema", "type", "boolean"));
    json_array_append_new(params,
                          json_pack("{s:s, s:s, s:s, s:{s:s}}", "name", "fields", "in", "query",
                                    "description", "Comma-separated names of the answer to keep",
                                    "schema", "type", "string"));
    if (!r->read_only)
        json_array_append_new(
            params,
            json_pack("{s:s, s:s, s:s, s:{s:s, s:i}}", "name", "Idempotency-Key", "in", "header",
                      "description", "Repeat a request without running it twice (docs/mappings.md)",
                      "schema", "type", "string", "maxLength", 255));
    json_object_set_new(op, "parameters", params);

    if (r->body != GW_ROUTE_BODY_NONE) {
        json_t *schema;
        if (r->body == GW_ROUTE_BODY_BOUND) {
            schema = json_pack("{s:s, s:b}", "type", "object", "additionalProperties", 0);
            for (size_t k = 0; k < r->nbinds; k++)
                if (r->binds[k].source == GW_BIND_BODY)
                    put_body_path(schema, r->binds[k].name, schema_of(f, r->binds[k].to, &r->opts),
                                  r->binds[k].required && !r->binds[k].def);
        } else if (f) {
            json_t *d = gw_codec_func_describe(f, &r->opts);
            schema = json_incref(json_object_get(d, "request"));
            json_decref(d);
        } else {
            schema = json_pack("{s:s}", "type", "object");
        }
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:o}}}", "required", 0, "content",
                                      "application/json", "schema", schema));
    }
    json_t *responses = problem_responses();
    json_t *ok = f ? response_schema(r, f) : json_pack("{s:s}", "type", "object");
    json_t *r200 = json_pack("{s:s, s:{s:{s:o}}}", "description", "The function's answer",
                             "content", "application/json", "schema", ok);
    int ambiguous;
    const gw_rfc_param_t *st = f && (r->stream || r->stream_table) && r->read_only
                                   ? gw_route_stream_table(r, f, &ambiguous)
                                   : NULL;
    json_t *row =
        st && st->type && st->type->line ? gw_codec_type_schema(st->type->line, &r->opts) : NULL;
    if (row) /* NDJSON (docs/mappings.md): the schema is that of one row line */
        json_object_set_new(
            json_object_get(r200, "content"), "application/x-ndjson",
            json_pack("{s:o, s:s}", "schema", row, "x-rfmgw-ndjson",
                      "Streamed: a {\"@head\":{…}} line, one line per row of the table (this "
                      "schema), then {\"@end\":{\"rows\":N}} or {\"@error\":{problem}}"));
    json_object_set_new(responses, "200", r200);
    json_object_set_new(op, "responses", responses);
    return op;
}

/* ---- security (docs/security.md): schemes from callers.methods, requirements per operation ----
 */

static const gw_caller_method_t *method_named(const gw_callers_conf_t *cc, const char *name)
{
    for (size_t i = 0; i < cc->nmethods; i++)
        if (strcmp(cc->methods[i].name, name) == 0)
            return &cc->methods[i];
    return NULL;
}

/* components.securitySchemes: one per method that takes credentials (not `none`). */
static json_t *security_schemes(const gw_callers_conf_t *cc)
{
    json_t *o = json_object();
    for (size_t i = 0; i < cc->nmethods; i++) {
        const gw_caller_method_t *m = &cc->methods[i];
        json_t *sch = NULL;
        if (strcmp(m->type, "api_key") == 0)
            sch = json_pack("{s:s, s:s, s:s}", "type", "apiKey", "in", "header", "name",
                            m->header ? m->header : "X-API-Key");
        else if (strcmp(m->type, "basic") == 0 || strcmp(m->type, "passthrough") == 0)
            sch = json_pack("{s:s, s:s}", "type", "http", "scheme", "basic");
        else if (strcmp(m->type, "jwt") == 0)
            sch = json_pack("{s:s, s:s, s:s}", "type", "http", "scheme", "bearer", "bearerFormat",
                            "JWT");
        if (sch) {
            json_object_set_new(sch, "description",
                                json_string("callers method (docs/security.md)"));
            json_object_set_new(o, m->name, sch);
        }
    }
    return o;
}

/*
 * The requirement of an operation that accepts the methods `names` (NULL:
 * callers.default) and needs `scopes`: one alternative per method, {} for
 * `none` (anonymous allowed). Returns NULL when anyone may call.
 */
static json_t *security_of(const gw_callers_conf_t *cc, char *const *names, size_t n,
                           char *const *scopes, size_t nscopes)
{
    if (names == NULL) {
        names = cc->defaults;
        n = cc->ndefaults;
    }
    json_t *alts = json_array();
    for (size_t i = 0; i < n; i++) {
        const gw_caller_method_t *m = method_named(cc, names[i]);
        if (m == NULL)
            continue;
        json_t *req = json_object();
        if (strcmp(m->type, "none") != 0) {
            json_t *sc = json_array();
            for (size_t k = 0; k < nscopes; k++)
                json_array_append_new(sc, json_string(scopes[k]));
            json_object_set_new(req, m->name, sc);
        }
        json_array_append_new(alts, req);
    }
    return alts;
}

/* Sets `op`'s security and, when a caller is needed, its 401 and 403 answers. */
static void secure(json_t *op, json_t *alts)
{
    if (op == NULL) {
        json_decref(alts);
        return;
    }
    int needs = json_array_size(alts) > 0;
    size_t i;
    json_t *a;
    json_array_foreach(alts, i, a) needs &= json_object_size(a) > 0;
    json_object_set_new(op, "security", alts);
    json_t *responses = json_object_get(op, "responses");
    if (!needs || responses == NULL)
        return;
    json_object_set_new(responses, "401",
                        json_pack("{s:s, s:{s:{s:{s:s}}}}", "description",
                                  "No or wrong credentials; see WWW-Authenticate", "content",
                                  "application/problem+json", "schema", "$ref",
                                  "#/components/schemas/Problem"));
    json_object_set_new(responses, "403",
                        json_pack("{s:s, s:{s:{s:{s:s}}}}", "description",
                                  "The caller lacks a scope this operation needs", "content",
                                  "application/problem+json", "schema", "$ref",
                                  "#/components/schemas/Problem"));
}

static json_t *op_at(json_t *paths, const char *path, const char *method)
{
    return json_object_get(json_object_get(paths, path), method);
}

/* Security of every operation: routes by their auth and scopes, built-ins as http.c gates them. */
static void add_security(const gw_config_t *cfg, const gw_route_table_t *routes, json_t *paths,
                         json_t *components)
{
    const gw_callers_conf_t *cc = &cfg->callers;
    if (!cc->present)
        return;
    json_object_set_new(components, "securitySchemes", security_schemes(cc));
    for (size_t i = 0; i < routes->n; i++) {
        const gw_route_t *r = &routes->routes[i];
        char method[16];
        snprintf(method, sizeof(method), "%s", r->method);
        for (char *c = method; *c; c++)
            *c = (char)(*c - 'A' + 'a');
        secure(op_at(paths, r->path, method),
               security_of(cc, r->auth, r->nauth, r->scopes, r->nscopes));
    }
    secure(op_at(paths, "/healthz", "get"), json_array()); /* probes: always open */
    secure(op_at(paths, "/readyz", "get"), json_array());
    secure(op_at(paths, "/metrics", "get"),
           cc->public_metrics ? json_array() : security_of(cc, NULL, 0, NULL, 0));
    secure(op_at(paths, "/docs", "get"),
           cc->public_openapi ? json_array() : security_of(cc, NULL, 0, NULL, 0));
    secure(op_at(paths, "/api/v1/functions/{NAME}", "get"), security_of(cc, NULL, 0, NULL, 0));
    secure(op_at(paths, "/api/v1/batch", "post"), security_of(cc, NULL, 0, NULL, 0));
    secure(op_at(paths, "/api/v1/rfc/{FUNCTION}", "post"),
           security_of(cc, NULL, 0, cc->rfc_scopes, cc->nrfc_scopes));
}

/* "/a/{x}" stays as is: rfmgw's templates are OpenAPI's. */
json_t *gw_openapi_build(const gw_config_t *cfg, const gw_route_table_t *routes,
                         gw_openapi_desc_fn desc, void *ctx)
{
    json_t *paths = json_object();
    for (size_t i = 0; i < routes->n; i++) {
        const gw_route_t *r = &routes->routes[i];
        const gw_rfc_func_t *f = desc(ctx, r->destination, r->function);
        json_t *item = json_object_get(paths, r->path);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, r->path, item);
        }
        char method[16];
        snprintf(method, sizeof(method), "%s", r->method);
        for (char *c = method; *c; c++)
            *c = (char)(*c - 'A' + 'a');
        json_object_set_new(item, method, operation(r, f, (int)i));
    }
    json_t *plain = json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", "OK", "content",
                              "application/json", "schema", "type", "object");
    json_object_set_new(paths, "/healthz",
                        json_pack("{s:{s:s, s:s, s:{s:O}}}", "get", "operationId", "healthz",
                                  "summary", "Liveness", "responses", "200", plain));
    json_object_set_new(paths, "/readyz",
                        json_pack("{s:{s:s, s:s, s:{s:O, s:{s:s}}}}", "get", "operationId",
                                  "readyz", "summary",
                                  "Readiness: every destination answers RFC_PING", "responses",
                                  "200", plain, "503", "description", "Not ready"));
    json_object_set_new(paths, "/metrics",
                        json_pack("{s:{s:s, s:s, s:{s:{s:s, s:{s:{s:{s:s}}}}}}}", "get",
                                  "operationId", "metrics", "summary", "Prometheus metrics",
                                  "responses", "200", "description", "OK", "content", "text/plain",
                                  "schema", "type", "string"));
    if (cfg->docs.enabled)
        json_object_set_new(
            paths, "/docs",
            json_pack("{s:{s:s, s:s, s:{s:{s:s, s:{s:{s:{s:s}}}}, s:{s:s}}}}", "get", "operationId",
                      "apiExplorer", "summary", "The API explorer (Swagger UI) on this document",
                      "responses", "200", "description", "The page", "content", "text/html",
                      "schema", "type", "string", "404", "description",
                      "The explorer's files are not installed (explorer-not-installed)"));
    json_object_set_new(paths, "/api/v1/functions/{NAME}",
                        json_pack("{s:{s:s, s:s, s:[{s:s, s:s, s:b, s:{s:s}}], s:{s:O, s:{s:s}}}}",
                                  "get", "operationId", "describeFunction", "summary",
                                  "The metadata of a mapped function", "parameters", "name", "NAME",
                                  "in", "path", "required", 1, "schema", "type", "string",
                                  "responses", "200", plain, "404", "description",
                                  "No route maps this function"));
    if (cfg->rfc_endpoint.enabled)
        json_object_set_new(
            paths, "/api/v1/rfc/{FUNCTION}",
            json_pack("{s:{s:s, s:s, s:[{s:s, s:s, s:b, s:{s:s}}], s:{s:{s:{s:{s:s}}}}, "
                      "s:{s:O, s:{s:s}}}}",
                      "post", "operationId", "callFunction", "summary",
                      "Call an allowlisted function; the body is its parameter set", "parameters",
                      "name", "FUNCTION", "in", "path", "required", 1, "schema", "type", "string",
                      "requestBody", "content", "application/json", "schema", "type", "object",
                      "responses", "200", plain, "404", "description",
                      "Not allowlisted, or no such function"));
    json_object_set_new(
        paths, "/api/v1/batch",
        json_pack("{s:{s:s, s:s, s:{s:{s:{s:{s:s}}}}, s:{s:O, s:{s:s}}}}", "post", "operationId",
                  "batch", "summary", "Mapped calls in one unit of work (docs/mappings.md)",
                  "requestBody", "content", "application/json", "schema", "type", "object",
                  "responses", "200", plain, "422", "description", "A step failed; rolled back"));
    json_decref(plain);
    json_t *problem =
        json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}, s:[s,s,s]}", "type",
                  "object", "properties", "type", "type", "string", "title", "type", "string",
                  "status", "type", "integer", "detail", "type", "string", "instance", "type",
                  "string", "required", "type", "title", "status");
    json_t *components = json_pack("{s:{s:o}}", "schemas", "Problem", problem);
    add_security(cfg, routes, paths, components);
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:o}", "openapi", "3.1.0", "info", "title",
                     "rfmgw", "version", RFMGW_VERSION, "description",
                     "REST endpoints of SAP remote-enabled function modules, generated from the "
                     "mappings and the functions' metadata.",
                     "paths", paths, "components", components);
}
