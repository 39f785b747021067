/*
 * route: mapping files → an immutable route table, and the matcher.
 *
 * A route binds an HTTP method and a path template
 * (`/api/v1/flights/{carrier}`) to a destination and an RFM, and says how
 * the request becomes the RFM's parameters. The table is built once at
 * start-up and never changed afterwards, so HTTP threads read it without
 * locks.
 */
#ifndef GW_ROUTE_H
#define GW_ROUTE_H

#include "base/base.h"
#include "codec/codec.h"
#include "config/config.h"

#include <jansson.h>

#define GW_ROUTE_MAX_CAPTURES 8

/** How the request body becomes parameters. */
typedef enum {
    GW_ROUTE_BODY_NONE = 0,   /* no body accepted */
    GW_ROUTE_BODY_PARAMS = 1, /* the JSON body object is the parameter set (bindings add to it) */
    GW_ROUTE_BODY_BOUND = 2,  /* only `bind` entries read the body; other members are errors */
} gw_route_body_t;

/** Where a bound value comes from. */
typedef enum {
    GW_BIND_PATH = 1,   /* a {name} segment of the path */
    GW_BIND_QUERY = 2,  /* a query parameter */
    GW_BIND_HEADER = 3, /* a request header */
    GW_BIND_BODY = 4,   /* a member of the JSON body, nested names joined by '.' */
    GW_BIND_CONST = 5,  /* a constant */
} gw_bind_source_t;

/** One binding: a request value → an RFM parameter or a field inside one. */
typedef struct {
    char *to;     /* "PARAM" or "PARAM.FIELD.FIELD" */
    int source;   /* gw_bind_source_t */
    char *name;   /* the path/query/header name or the body path; NULL for const */
    char *from;   /* as written, for messages: "path.carrier" */
    char *value;  /* const value, as text */
    char *def;    /* default when the request lacks it, as text; NULL = none */
    int required; /* missing and no default → 400 */
} gw_bind_t;

/** Commit policy of a route (transactions). */
typedef enum {
    GW_COMMIT_NONE = 0,
    GW_COMMIT_COMMIT = 1, /* BAPI_TRANSACTION_COMMIT WAIT='X' after a call without error */
    GW_COMMIT_ROLLBACK_ON_ERROR = 2, /* E/A in RETURN → ROLLBACK, else COMMIT */
} gw_commit_t;

/** A rename of a returned parameter. */
typedef struct {
    char *from;
    char *to;
} gw_rename_t;

/** One route. */
typedef struct {
    char *method;
    char *path;
    char *destination;
    char *function;
    int body;             /* gw_route_body_t */
    gw_codec_opts_t opts; /* JSON mapping options: global `types` + the route's own */
    int read_only;        /* 1: the call changes nothing (default for GET) */
    int timeout_ms;       /* 0: the destination's call_timeout_ms */
    size_t nbinds;
    gw_bind_t *binds;
    char *testrun;           /* parameter that ?testrun=true sets to 'X', or NULL */
    int commit;              /* gw_commit_t */
    int bapi_error_status;   /* HTTP status when RETURN holds an E or A message (default 422) */
    gw_status_conf_t status; /* HTTP statuses of backend errors: global `status` + the route's */
    /* result shaping */
    size_t ninclude;
    char **include; /* parameters to return; NULL = all */
    size_t nrename;
    gw_rename_t *rename;
    size_t nflatten;
    char **flatten; /* structure parameters whose fields move up one level */
    int drop_empty; /* leave out empty values ("", null, [], {}) */
    /* who may call (docs/security.md) */
    char *identity; /* backend identity: a name, "passthrough", or NULL (mapping or default) */
    char **auth;    /* callers methods accepted; NULL = callers.default */
    size_t nauth;
    char **scopes; /* scopes the caller must hold, all of them */
    size_t nscopes;
    int stream;         /* always answer as NDJSON (else only for Accept: application/x-ndjson) */
    char *stream_table; /* the TABLE parameter streamed; NULL = the only table returned */
    char *file;
    int line;
    size_t nsegs;
    gw_slice_t *segs; /* path segments; a "{name}" segment captures */
} gw_route_t;

/** The route table; reference-counted so that a reload never frees one a request still uses. */
typedef struct {
    gw_arena_t arena;
    gw_route_t *routes;
    size_t n;
    int refs; /* atomic; 1 after loading */
} gw_route_table_t;

/** Path parameters captured by a match. Slices point into the request path. */
typedef struct {
    size_t n;
    gw_slice_t name[GW_ROUTE_MAX_CAPTURES];
    gw_slice_t value[GW_ROUTE_MAX_CAPTURES];
} gw_route_captures_t;

/**
 * Loads every mapping file named by `cfg` and checks each route (method,
 * path, reserved paths, duplicates, destination exists, function name).
 * Returns 0 and a table to free with gw_route_table_free(), or GW_ECONFIG
 * with "file:line: message" lines in `e`.
 */
int gw_route_table_load(const gw_config_t *cfg, gw_route_table_t **out, gw_cfg_errors_t *e);
/** Drops a reference (the loader's, or one from gw_route_table_ref); frees at zero. NULL is fine.
 */
void gw_route_table_free(gw_route_table_t *t);
/** Takes a reference. */
gw_route_table_t *gw_route_table_ref(gw_route_table_t *t);

/**
 * Finds the route for `method` and `path`. Returns it and fills `caps`;
 * NULL when none matches. Then `*path_known` says whether some route has
 * this path with another method, and `allow` (if not NULL) receives those
 * methods as an `Allow` header value.
 */
const gw_route_t *gw_route_match(const gw_route_table_t *t, gw_slice_t method, gw_slice_t path,
                                 gw_route_captures_t *caps, int *path_known, char *allow,
                                 size_t allow_size);

/** Looks up a query parameter (kind GW_BIND_QUERY) or header (GW_BIND_HEADER); NULL if absent. */
typedef const char *(*gw_route_lookup_fn)(void *ctx, int kind, const char *name);

/**
 * Builds the JSON parameter object of a call: the body members (body
 * "parameters"), then every binding (path captures, query, headers, body
 * members, constants, defaults), converting text to numbers where the
 * description `f` wants a number. With body "bound" a body member that no
 * binding reads is an error. Returns the object (nodes in `a`; the body's
 * own nodes are shared, never changed), or NULL with the
 * problems in `errs` (pointers name the request part, e.g. "query.limit"),
 * or NULL on out-of-memory (errs->n == 0).
 */
const gw_jdoc_t *gw_route_params(gw_arena_t *a, const gw_route_t *r, const gw_rfc_func_t *f,
                                 const gw_jdoc_t *body, const gw_route_captures_t *caps,
                                 gw_route_lookup_fn lookup, void *ctx, gw_codec_errors_t *errs);

/** The type a binding target "PARAM" or "PARAM.FIELD.FIELD" has in `f`; NULL when none. */
const gw_rfc_typedesc_t *gw_route_target_type(const gw_rfc_func_t *f, const char *to);

/**
 * Which returned parameters the backend should send: the route's include
 * list plus RETURN when the function has one; NULL = all. `*n` receives the
 * count. The list lives in `a`.
 */
gw_slice_t *gw_route_want(gw_arena_t *a, const gw_route_t *r, const gw_rfc_func_t *f, uint32_t *n);

/** Returns 1 when `f` has a BAPI RETURN parameter (structure or table with TYPE and MESSAGE). */
const gw_rfc_param_t *gw_route_bapi_return(const gw_rfc_func_t *f);

/**
 * Counts the messages of type E or A in a BAPI RETURN value (a BAPIRET2
 * structure or table). Returns 0 for anything else.
 */
int gw_route_return_errors(const gw_rfc_value_t *ret);

/**
 * Writes the answer of a call into `out`: the returned parameters after
 * the route's shaping (include, rename, flatten, drop_empty) and the
 * caller's `fields` projection (comma-separated answer names, NULL = all);
 * a BAPI RETURN parameter becomes a `messages` array. Returns 0 or the
 * buffer's error.
 */
int gw_route_write_result(gw_buf_t *out, const gw_route_t *r, const gw_rfc_func_t *f,
                          const gw_rfc_field_t *res, uint32_t n, const char *fields);

/**
 * Writes the `messages` array of a BAPI RETURN value (`[]` when empty):
 * one object per message with its non-empty BAPIRET2 fields.
 */
int gw_route_write_messages(gw_buf_t *out, const gw_rfc_param_t *p, const gw_rfc_value_t *v,
                            const gw_codec_opts_t *o);

/**
 * The TABLE parameter a streamed answer writes row by row: the route's
 * `stream_table`, or else the only table among the returned parameters.
 * NULL when there is none — with `*ambiguous` set when there are several.
 */
const gw_rfc_param_t *gw_route_stream_table(const gw_route_t *r, const gw_rfc_func_t *f,
                                            int *ambiguous);

/**
 * Checks route `r` against its function's description `f`: every binding
 * names a parameter that can be sent (and its fields exist), include,
 * flatten, stream_table and testrun name what the function has. Returns 0,
 * or GW_ECONFIG with one "file:line: METHOD PATH: …" line per problem in
 * `why`.
 */
int gw_route_check(const gw_route_t *r, const gw_rfc_func_t *f, char *why, size_t len);

/** Converts configured type options into codec options. */
gw_codec_opts_t gw_route_codec_opts(const gw_types_conf_t *t);

/** Returns 1 when `path` is reserved for rfmgw's own endpoints. */
int gw_route_path_reserved(const char *path);

#endif
