/*
 * metrics: request counters and latency histograms in Prometheus' text
 * format (version 0.0.4).
 *
 * Requests are counted by route and status; their durations go into
 * histograms by route (whole request) and by phase (waiting for a backend
 * session, the backend call, building the answer). Label cardinality is
 * bounded: routes come from the configuration (at most GW_METRICS_MAX_ROUTES
 * distinct ones are kept, the rest counted under route="other").
 * Thread-safe; observing takes one short mutex.
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include "base/base.h"

#define GW_METRICS_MAX_ROUTES 256

typedef struct gw_metrics gw_metrics_t;

/** Creates an empty registry; NULL on out-of-memory. */
gw_metrics_t *gw_metrics_create(void);
/** Frees the registry. NULL is fine. */
void gw_metrics_destroy(gw_metrics_t *m);

/** The timings of one finished request, in seconds; a phase < 0 was not reached. */
typedef struct {
    double total;
    double queue;     /* waiting for a backend session */
    double backend;   /* from sending the call to its answer */
    double serialize; /* building the answer */
} gw_metrics_times_t;

/**
 * Counts one answered request. `route` is "METHOD /path/template" (or a
 * built-in endpoint's name); `status` the HTTP status.
 */
void gw_metrics_request(gw_metrics_t *m, const char *route, int status,
                        const gw_metrics_times_t *t);

/** Counts a configuration reload (SIGHUP): `ok` 1 applied, 0 refused. Thread-safe. */
void gw_metrics_reload(gw_metrics_t *m, int ok);

#define GW_METRICS_MAX_CERTS 64

/**
 * Sets the expiry (notAfter, Unix seconds) of a certificate `destination`
 * uses; `kind` is a static string: "ca" (the earliest of tls.ca_file),
 * "client" (auth.cert) or "server" (the backend's, as the start-up probe saw
 * it). `not_after` 0 removes it. At most GW_METRICS_MAX_CERTS. Thread-safe.
 */
void gw_metrics_cert(gw_metrics_t *m, const char *destination, const char *kind, int64_t not_after);

/** Appends the registry in Prometheus text format to `out`. */
int gw_metrics_write(gw_metrics_t *m, gw_buf_t *out);

#endif
