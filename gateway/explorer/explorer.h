/*
 * explorer: GET /docs, an API explorer page (Swagger UI) for /openapi.json.
 *
 * The page and its start-up script are rfmgw's own (here, in C strings);
 * Swagger UI's files come from swagger-ui-dist, installed by npm into a
 * directory the configuration names (docs.assets) — never from a CDN and
 * never committed. Only a fixed list of file names is served from that
 * directory, so no request path ever reaches the file system.
 */
#ifndef GW_EXPLORER_H
#define GW_EXPLORER_H

#include <stddef.h>

/** What to answer for a path under /docs. */
typedef struct {
    const char *content_type;
    const char *data; /* a built-in document (static), or NULL when `fd` is used */
    size_t len;       /* of `data`, or the file's size */
    int fd;           /* an open asset file (the caller closes it), or -1 */
    int cacheable;    /* 1: a versioned asset a browser may keep; 0: revalidate */
} gw_explorer_item_t;

/** The asset whose presence means "installed" (checked by gw_explorer_installed). */
#define GW_EXPLORER_PROBE_FILE "swagger-ui-bundle.js"

/**
 * Finds what `sub` (the path after "/docs": "" for the page,
 * "/swagger-ui.css", …) names. Returns 0 with `out` filled; GW_ENOROUTE
 * when /docs has no such file; GW_ENOEXPLORER when the page or one of
 * Swagger UI's files is asked for but `assets` is NULL or does not hold it.
 */
int gw_explorer_lookup(const char *assets, const char *sub, gw_explorer_item_t *out);

/** 1 when `assets` holds Swagger UI's files. */
int gw_explorer_installed(const char *assets);

/** The Content-Security-Policy of every /docs answer: nothing but this origin. */
#define GW_EXPLORER_CSP                                                                            \
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "                    \
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; "           \
    "form-action 'self'; frame-ancestors 'none'"

#endif
