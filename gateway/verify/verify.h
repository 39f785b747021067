/*
 * verify: checks every route against its function's metadata, fetched
 * through the destinations' pools (DESCRIBE), so that a binding or result
 * setting naming a parameter the RFM does not have is reported with
 * file:line before the first caller finds it. Destinations that cannot be
 * reached are skipped: their routes are checked on their first call.
 * The descriptions fetched stay in the metadata cache.
 */
#ifndef GW_VERIFY_H
#define GW_VERIFY_H

#include "base/base.h"
#include "config/config.h"
#include "pool/pool.h"
#include "route/route.h"

typedef struct {
    size_t checked;   /* routes checked against metadata */
    size_t unchecked; /* routes whose function could not be described (backend unreachable…) */
    size_t bad;       /* routes with problems */
} gw_verify_result_t;

/**
 * Describes every routed function (at most `timeout_ms` for each; all at
 * once) and checks the routes. Blocks; not on the loop thread. Problems
 * ("file:line: …" lines) are appended to `problems`, or logged as errors
 * when it is NULL; functions not described are logged as warnings.
 * `pools` are the destinations' pools in the order of cfg->dests.
 */
void gw_verify_routes(const gw_config_t *cfg, const gw_route_table_t *t, gw_pool_t **pools,
                      int timeout_ms, gw_verify_result_t *res, gw_buf_t *problems);

#endif
