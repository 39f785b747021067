/*
 * pool: the connections (backend sessions) of one destination, the queue
 * of jobs waiting for one, and the destination's metadata cache.
 *
 * All pool state lives on the transport loop thread; gw_pool_submit() is
 * the only door in from other threads. A job is owned by exactly one side
 * at a time: submitter → pool (queue) → session → submitter (done).
 *
 * First version: at most `pool.max` sessions opened on demand, a bounded
 * FIFO queue, per-job deadlines, a failed session is never reused, and a
 * logon failure is not retried (it would lock the communication user):
 * the destination fails fast until rfmgw restarts.
 */
#ifndef GW_POOL_H
#define GW_POOL_H

#include "backend/backend.h"
#include "config/config.h"
#include "transport/transport.h"

typedef struct gw_pool gw_pool_t;

/** Creates the pool of destination `d` (which must outlive it). NULL on failure (logged). */
gw_pool_t *gw_pool_create(gw_transport_t *t, const gw_dest_conf_t *d);
/**
 * Hands `job` to the pool; any thread. `job->done` runs exactly once, on the
 * loop thread, with the job's result (or a GW_E* error in job->err).
 */
void gw_pool_submit(gw_pool_t *p, gw_job_t *job);
/**
 * Fails every queued and running job with GW_ESHUTDOWN, closes all sessions
 * and waits until that happened on the loop. Any thread but the loop.
 */
void gw_pool_shutdown(gw_pool_t *p);
/** Frees the pool (after gw_pool_shutdown and gw_transport_stop). */
void gw_pool_destroy(gw_pool_t *p);
/** The destination's name. */
const char *gw_pool_name(const gw_pool_t *p);

/** Looks up a cached function description; NULL when not cached. Any thread. */
const gw_rfc_func_t *gw_pool_desc_get(gw_pool_t *p, gw_slice_t function);
/** Caches a copy of `f` and returns the cached copy (NULL on out-of-memory). Any thread. */
const gw_rfc_func_t *gw_pool_desc_put(gw_pool_t *p, const gw_rfc_func_t *f);

#endif
