/*
 * startup: the start-up summary an operator reads on the terminal —
 * configuration, listener, each destination reachable or not (with what to
 * do about it), the routes — and the destination probe behind it.
 *
 * The probe is independent of the pools: a TCP connect and a TLS handshake
 * (certificate checked as the transport checks it), bounded by
 * startup.probe_timeout_ms, and no logon. A logon at start-up could lock
 * the communication user on a wrong password, and a failed probe must not
 * put a pool into backoff; logons are checked by the first call and by
 * GET /readyz.
 */
#ifndef GW_STARTUP_H
#define GW_STARTUP_H

#include "config/config.h"
#include "metrics/metrics.h"
#include "route/route.h"

/** What a probe found out about one destination. */
typedef struct {
    int reachable;  /* TCP connect and TLS handshake (with the certificate check) succeeded */
    int ms;         /* time taken */
    char what[256]; /* on success, e.g. "TLS 1.3, certificate valid until 2027-11-23"; else why */
    char hint[256]; /* what to do, when not reachable */
    int64_t server_not_after; /* the server certificate's notAfter (Unix seconds), 0 = unknown */
} gw_probe_result_t;

/**
 * Probes destination `d`: connect to its address (or host) and port, then a
 * TLS handshake with SNI = host and, when tls.verify is on, the certificate
 * checked against tls.ca_file and the host name; with certificate logon the
 * client certificate is presented. Everything within `timeout_ms`. Returns
 * 0 and fills `out` in every case (the outcome is in out->reachable).
 */
int gw_startup_probe(const gw_dest_conf_t *d, int timeout_ms, gw_probe_result_t *out);

/**
 * The earliest notAfter (Unix seconds) of the PEM certificates in `file`;
 * 0 when it holds none or cannot be read.
 */
int64_t gw_startup_cert_expiry(const char *file);

/**
 * Sets the expiry metrics of the certificate files each destination uses
 * (tls.ca_file as "ca", auth.cert as "client"); at start and after a
 * reload, when the files may have been replaced.
 */
void gw_startup_cert_metrics(const gw_config_t *cfg, gw_metrics_t *m);

/**
 * Writes the start-up summary to standard error: as plain lines in the
 * text log format, as JSON log lines (module "startup") in the JSON one.
 * Probes every destination unless startup.probe_timeout_ms is 0, records
 * the server certificates' expiry in `m` (may be NULL) and warns about
 * certificates that expire within 14 days. Returns the number of
 * destinations found unreachable.
 */
int gw_startup_summary(const gw_config_t *cfg, const gw_route_table_t *routes, int port,
                       gw_metrics_t *m);

#endif
