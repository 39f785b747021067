/*
 * sim_server_internal: the pieces of abapsim's server that run on their own
 * threads — the worker pool (sim_worker.c), the TCP listener that applies
 * connection faults (sim_listen.c) and the admin HTTP endpoint
 * (sim_admin.c) — and the state they share with the libwebsockets thread.
 * Only sim_server.c and these files include it.
 */
#ifndef GW_SIM_SERVER_INTERNAL_H
#define GW_SIM_SERVER_INTERNAL_H

#include "sim/sim.h"

#include <pthread.h>
#include <stdint.h>

/* ---- worker pool ------------------------------------------------------- */

/** A unit of work; embed it first in a bigger struct. */
typedef struct sim_work {
    struct sim_work *next;
    void (*run)(struct sim_work *w); /* runs on a worker thread */
    int cancelled;                   /* set when the pool stopped before running it */
} sim_work_t;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_t *threads;
    size_t nthreads;
    int stopping;
    sim_work_t *todo_head, *todo_tail;
    sim_work_t *done_head, *done_tail;
    void (*notify)(void *arg); /* called (from a worker) after work is done */
    void *notify_arg;
    int nice; /* the workers' scheduling niceness above the process's (0 = same) */
} sim_pool_t;

/**
 * Starts `n` workers running at `nice` (0..19) above the process's
 * niceness. Returns 0 or GW_ENOMEM (nothing to stop then).
 */
int sim__pool_start(sim_pool_t *p, size_t n, int nice, void (*notify)(void *), void *arg);
/** Queues work; it runs on some worker, then moves to the done list. */
void sim__pool_submit(sim_pool_t *p, sim_work_t *w);
/** Takes the whole done list, oldest first (NULL when empty). */
sim_work_t *sim__pool_take_done(sim_pool_t *p);
/**
 * Lets running work finish, joins the workers and moves work that never ran
 * to the done list with `cancelled` set, so the caller frees everything
 * through sim__pool_take_done().
 */
void sim__pool_stop(sim_pool_t *p);

/* ---- shared state ------------------------------------------------------ */

/** What the lws thread, the listener and the admin endpoint share; all under `mu`. */
typedef struct {
    pthread_mutex_t mu;
    const sim_config_t *cfg;
    sim_faults_t faults;
    uint64_t rng, rng_seed; /* drop decisions; reseeded when faults.seed changes */
    sim_lockout_t lockout;
    /* statistics */
    uint64_t sessions_now, sessions_peak;
    uint64_t logons_ok, logons_failed;
    uint64_t calls, calls_failed;
    uint64_t *rfm_calls; /* per registry index */
    uint64_t refused_limit, refused_fault, black_holed, dropped;
    uint64_t result_parts; /* RESULT messages of results sent in parts (MORE) */
    /* requests to the lws thread */
    int close_all;
    void (*wake)(void *arg); /* wakes the lws thread (lws_cancel_service) */
    void *wake_arg;
    struct sim_listener *listener;
} sim_shared_t;

/** The statistics as JSON; the caller frees the string. Locks `sh->mu`. */
char *sim__stats_json(sim_shared_t *sh);

/* ---- listener ---------------------------------------------------------- */

/** Our own TCP listener: accepted sockets are handed to lws unless a fault says otherwise. */
typedef struct sim_listener {
    int fd;
    int wake[2]; /* pipe: wakes the thread (stop, re-check held connections) */
    pthread_t thread;
    int started;
    int stop;
    int release_held; /* close held (black-holed) connections */
    sim_shared_t *sh;
    void (*deliver)(void *arg, int fd); /* hands an accepted socket to lws */
    void *deliver_arg;
    int *held;
    size_t nheld, capheld;
} sim_listener_t;

/** Binds and listens. Returns 0 (port in `*bound`) or GW_EINVAL (logged). */
int sim__listener_open(sim_listener_t *l, const char *address, int port, int *bound);
/** Starts the accept thread. Returns 0 or GW_ENOMEM. */
int sim__listener_start(sim_listener_t *l, sim_shared_t *sh, void (*deliver)(void *, int),
                        void *arg);
/** Asks the thread to close connections it holds (black hole). Thread-safe. */
void sim__listener_release(sim_listener_t *l);
/** Stops and joins the thread, closes every socket it owns. Safe on an unstarted listener. */
void sim__listener_close(sim_listener_t *l);

/* ---- admin endpoint ---------------------------------------------------- */

struct sim_admin;
/** Starts the admin endpoint; `*port` 0 picks a free one and returns it. NULL on failure. */
struct sim_admin *sim__admin_start(sim_shared_t *sh, const char *address, int *port);
/** Stops it (joins its thread). NULL is fine. */
void sim__admin_stop(struct sim_admin *a);

#endif
