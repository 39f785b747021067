/*
 * admin: the operators' listener (config `admin`, docs/operations.md).
 *
 * A small libmicrohttpd daemon of its own, one thread, meant for loopback:
 * no caller authentication, no routes, no backend calls. It serves
 *   POST /admin/metadata/clear   drop the cached function descriptions
 *   GET  /metrics                when the owner gives a metrics writer
 *   GET  /healthz                liveness of the admin listener itself
 * and answers anything else with 404 (405 for a known path and another
 * method), as problem+json.
 */
#ifndef GW_ADMIN_H
#define GW_ADMIN_H

#include "base/base.h"

#include <stddef.h>

typedef struct gw_admin gw_admin_t;

/** What the admin endpoints do; called on the admin thread. */
typedef struct {
    /** Drops the metadata caches; returns how many descriptions were dropped. */
    size_t (*clear_metadata)(void *ud);
    /** Appends the Prometheus text to `out` (0 or an error); NULL = no /metrics here. */
    int (*metrics)(void *ud, gw_buf_t *out);
    void *ud;
} gw_admin_ops_t;

/**
 * Listens on `address`:`port` (0 = any free port; `*bound` receives the
 * port). `ops` is copied. NULL on failure (logged).
 */
gw_admin_t *gw_admin_start(const char *address, int port, const gw_admin_ops_t *ops, int *bound);
/** Stops the listener and frees it. NULL is fine. */
void gw_admin_stop(gw_admin_t *a);

#endif
