/*
 * http: the libmicrohttpd front — request lifecycle, built-in endpoints
 * and problem+json errors.
 *
 * An HTTP thread never waits for the backend: a request whose RFC call is
 * in flight is suspended (MHD_suspend_connection) and resumed by the job's
 * completion on the loop thread. Each request owns an arena that is freed
 * once, when libmicrohttpd reports the request complete.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include "auth/auth.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "pool/pool.h"
#include "route/route.h"

typedef struct gw_http gw_http_t;

/** What the front needs; all of it must outlive the front. */
typedef struct {
    const gw_config_t *cfg;
    gw_route_table_t *routes;  /* the first table; gw_http_set_routes replaces it */
    gw_pool_t *const *pools;   /* one per cfg->dests[i], same order */
    gw_auth_t *auth;           /* caller authentication (callers); gw_http_set_auth replaces it */
    gw_transport_t *transport; /* the loop; with listen.threads = 0 it also runs the HTTP side */
} gw_http_deps_t;

/**
 * Appends the Prometheus text of /metrics (requests, phases, pools, build)
 * to `out`; any thread. Returns 0 or GW_ENOMEM.
 */
int gw_http_metrics_text(gw_http_t *h, gw_buf_t *out);

/** Starts listening. Returns NULL on failure (logged). `*port` receives the bound port. */
gw_http_t *gw_http_start(const gw_http_deps_t *deps, int *port);
/** The front's metrics registry (GET /metrics), for what main observes: reloads, certificates. */
gw_metrics_t *gw_http_metrics(gw_http_t *h);
/**
 * Replaces the route table (SIGHUP): new requests use `t`, requests in
 * flight keep the table they started with. Takes over the caller's reference.
 */
void gw_http_set_routes(gw_http_t *h, gw_route_table_t *t);

/**
 * Replaces the caller authenticator (SIGHUP): new requests use `a`,
 * requests in flight keep theirs. Takes over the caller's reference.
 */
void gw_http_set_auth(gw_http_t *h, gw_auth_t *a);

/** Stops accepting new connections; requests in progress go on. */
void gw_http_quiesce(gw_http_t *h);
/** Number of requests currently waiting for the backend (suspended). */
int gw_http_waiting(gw_http_t *h);
/** Number of requests between their arrival and their completion. */
int gw_http_active(gw_http_t *h);
/** From now on a request that would wait for the backend is answered 503 at once. */
void gw_http_begin_stop(gw_http_t *h);
/** Stops the daemon and frees the front. Every suspended request must be resumed by then. */
void gw_http_stop(gw_http_t *h);

#endif
