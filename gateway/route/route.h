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

#define GW_ROUTE_MAX_CAPTURES 8

/** How the request body becomes parameters. */
typedef enum {
    GW_ROUTE_BODY_NONE = 0,   /* no body accepted */
    GW_ROUTE_BODY_PARAMS = 1, /* the JSON body object is the parameter set */
} gw_route_body_t;

/** One route. */
typedef struct {
    char *method;
    char *path;
    char *destination;
    char *function;
    int body;             /* gw_route_body_t */
    gw_codec_opts_t opts; /* JSON mapping options: global `types` + the route's own */
    char *file;
    int line;
    size_t nsegs;
    gw_slice_t *segs; /* path segments; a "{name}" segment captures */
} gw_route_t;

/** The route table. */
typedef struct {
    gw_arena_t arena;
    gw_route_t *routes;
    size_t n;
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
/** Frees a table. NULL is fine. */
void gw_route_table_free(gw_route_table_t *t);

/**
 * Finds the route for `method` and `path`. Returns it and fills `caps`;
 * NULL when none matches. Then `*path_known` says whether some route has
 * this path with another method, and `allow` (if not NULL) receives those
 * methods as an `Allow` header value.
 */
const gw_route_t *gw_route_match(const gw_route_table_t *t, gw_slice_t method, gw_slice_t path,
                                 gw_route_captures_t *caps, int *path_known, char *allow,
                                 size_t allow_size);

/** Converts configured type options into codec options. */
gw_codec_opts_t gw_route_codec_opts(const gw_types_conf_t *t);

/** Returns 1 when `path` is reserved for rfmgw's own endpoints. */
int gw_route_path_reserved(const char *path);

#endif
