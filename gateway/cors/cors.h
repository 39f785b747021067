/*
 * cors: Cross-Origin Resource Sharing for browser apps, and the security
 * headers every answer carries.
 *
 * Off by default: without `cors.enabled` no answer carries an
 * Access-Control-* header, so browsers keep other origins from reading
 * answers. With it, only the origins listed in `cors.origins` (or "*")
 * are named back; a preflight (OPTIONS with Access-Control-Request-Method)
 * is answered by the gateway itself and never reaches authentication or a
 * backend, since browsers send preflights without credentials.
 */
#ifndef GW_CORS_H
#define GW_CORS_H

#include "config/config.h"

/** Adds one response header. */
typedef void (*gw_cors_add_fn)(void *ctx, const char *name, const char *value);

/** 1 when CORS is on and `origin` (may be NULL) is one of the allowed origins. */
int gw_cors_allowed(const gw_cors_conf_t *c, const char *origin);

/**
 * Adds the headers of an answer: the security headers (nosniff, frame and
 * referrer policy; with `api`, Cache-Control: no-store and a CSP that
 * allows nothing) and, for an allowed `origin`, the CORS headers. With
 * `preflight` also the Allow-Methods/Headers and Max-Age of a preflight.
 */
void gw_cors_headers(const gw_cors_conf_t *c, const char *origin, int api, int preflight,
                     gw_cors_add_fn add, void *ctx);

#endif
