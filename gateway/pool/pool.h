/*
 * pool: the connections (backend sessions) of one destination, the queue
 * of jobs waiting for one, its health, and the destination's metadata
 * cache.
 *
 * All pool state lives on the transport loop thread; gw_pool_submit() is
 * the only door in from other threads. A job is owned by exactly one side
 * at a time: submitter → pool (queue) → session → submitter (done).
 *
 * Rules (docs/operations.md): at most `pool.max` sessions; a bounded FIFO
 * queue with an acquire timeout; every job has a deadline; a session that
 * failed or timed out is closed, never reused (so a late answer can never
 * reach another caller); reconnects back off exponentially with jitter; a
 * circuit breaker fails fast after repeated connect failures; idle sessions
 * are pinged, retired and kept at `min_idle`; a logon failure is never
 * retried (retries lock the communication user) — the destination fails
 * fast until the configuration is reloaded or rfmgw restarts.
 */
#ifndef GW_POOL_H
#define GW_POOL_H

#include "backend/backend.h"
#include "config/config.h"
#include "transport/transport.h"

typedef struct gw_pool gw_pool_t;
/** The TLS material of a destination and its identities, read for a reload. */
typedef struct gw_pool_tls gw_pool_tls_t;

/** Creates the pool of destination `d` (which must outlive it). NULL on failure (logged). */
gw_pool_t *gw_pool_create(gw_transport_t *t, const gw_dest_conf_t *d);
/**
 * Hands `job` to the pool; any thread. `job->done` runs exactly once, on the
 * loop thread, with the job's result (or a GW_E* error in job->err).
 * `job->identity` picks the backend identity: each has a pool of its own
 * (a caller's pass-through pool is made on first use, keyed by a keyed
 * hash of user and password, and closed when idle or least recently used).
 * A pass-through logon the backend refused fails with GW_ELOGON — the
 * caller's, not the gateway's.
 */
void gw_pool_submit(gw_pool_t *p, gw_job_t *job);
/**
 * Fails every queued and running job with GW_ESHUTDOWN, closes all sessions
 * and waits until that happened on the loop. Any thread but the loop.
 */
void gw_pool_shutdown(gw_pool_t *p);
/**
 * After a configuration reload (SIGHUP): takes the passwords of `nd` (the
 * destination in the reloaded configuration — its own and its password
 * identities'; NULL = unchanged) and TLS material (`tls`, taken over; NULL
 * = unchanged) for new sessions — open ones keep theirs — and ends the
 * `logon_failed` state of every identity, so the next request tries one
 * logon again. Any thread.
 */
void gw_pool_reload(gw_pool_t *p, const gw_dest_conf_t *nd, gw_pool_tls_t *tls);
/**
 * SIGHUP, any thread: reads the TLS files of destination `d` (the reloaded
 * configuration) — its own and its certificate identities' — for
 * gw_pool_reload. NULL with `*failed` 0 when the backend has nothing to
 * reload; NULL with `*failed` 1 and the reason in `why` when a file cannot
 * be used (the reload is then refused).
 */
gw_pool_tls_t *gw_pool_tls_prepare(gw_pool_t *p, const gw_dest_conf_t *d, char *why, size_t whysize,
                                   int *failed);
/** Frees what gw_pool_tls_prepare read, unused (a refused reload). NULL is fine. */
void gw_pool_tls_discard(gw_pool_tls_t *u);

/** Frees the pool (after gw_pool_shutdown and gw_transport_stop). */
void gw_pool_destroy(gw_pool_t *p);
/** The destination's name. */
const char *gw_pool_name(const gw_pool_t *p);
/** The pool of destination `name` among `pools` (one per cfg->dests, same order); NULL if none. */
gw_pool_t *gw_pool_of(const gw_config_t *cfg, gw_pool_t *const *pools, const char *name);

/** A snapshot of a pool's state for /readyz and metrics. */
typedef struct {
    const char *state; /* "ok", "logon_failed", "breaker_open", "reconnecting", "stopped" */
    int sessions;      /* open or opening */
    int in_use;
    int idle;
    int waiting;
    int failures;            /* consecutive failed connects */
    uint64_t failures_total; /* failed connects (not logons) since the start */
    int identities;          /* pools of other backend identities (configured + pass-through) */
    int passthrough;         /* of which pass-through callers */
    int group_sessions;      /* sessions of all the destination's identities */
    char last_error[256];
    /* the last /readyz probe */
    int probe_known;
    int probe_ok;
    int64_t probe_at_ms;
    char probe_error[256];
} gw_pool_status_t;

/** Copies the pool's current state. Any thread. */
void gw_pool_status(gw_pool_t *p, gw_pool_status_t *out);
/** Records the outcome of a readiness probe (an RFC_PING through the pool). Any thread. */
void gw_pool_probe_note(gw_pool_t *p, int ok, const char *error);
/** The destination's configuration. */
const gw_dest_conf_t *gw_pool_conf(const gw_pool_t *p);

/**
 * A cached function description. Counted references keep it alive while a
 * request uses it, so clearing the cache never pulls it from under a call.
 */
typedef struct gw_desc gw_desc_t;

/** The description inside a cache entry. */
const gw_rfc_func_t *gw_desc_func(const gw_desc_t *d);
/**
 * Looks up a cached description younger than the destination's
 * `metadata_ttl_s`; NULL when there is none. The caller owns one reference
 * and gives it back with gw_desc_release(). Any thread.
 */
gw_desc_t *gw_pool_desc_get(gw_pool_t *p, gw_slice_t function);
/**
 * Caches a copy of `f` (replacing an older entry of the same name) and
 * returns it with one reference for the caller; NULL on out-of-memory.
 */
gw_desc_t *gw_pool_desc_put(gw_pool_t *p, const gw_rfc_func_t *f);
/** Gives back a reference; NULL is fine. */
void gw_desc_release(gw_desc_t *d);
/** Drops every cached description (SIGUSR1, reload). Returns how many were dropped. */
size_t gw_pool_desc_clear(gw_pool_t *p);

#endif
