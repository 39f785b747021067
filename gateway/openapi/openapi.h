/*
 * openapi: the OpenAPI 3.1 document of the configured API — every route
 * with its parameters, request body and answer schemas (from the functions'
 * metadata and the route's bindings and shaping), the problem+json errors,
 * and rfmgw's own endpoints.
 */
#ifndef GW_OPENAPI_H
#define GW_OPENAPI_H

#include "config/config.h"
#include "route/route.h"

#include <jansson.h>

/** Finds the description of `function` on `destination`; NULL when unknown (backend down). */
typedef const gw_rfc_func_t *(*gw_openapi_desc_fn)(void *ctx, const char *destination,
                                                   const char *function);

/**
 * Builds the document (new reference, NULL on out-of-memory). A route whose
 * function has no description gets loose schemas and `x-rfmgw-metadata:
 * unavailable`.
 */
json_t *gw_openapi_build(const gw_config_t *cfg, const gw_route_table_t *routes,
                         gw_openapi_desc_fn desc, void *ctx);

#endif
