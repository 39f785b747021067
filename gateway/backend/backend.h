/*
 * backend: the seam between the pool and whatever speaks RFC.
 *
 * A backend instance serves one destination; a session is one logged-on
 * connection (one ABAP user session). The pool drives sessions through the
 * ops table below, one job at a time per session. `native` speaks rfmgw's
 * WebSocket RFC protocol (docs/protocol.md) over the transport; another
 * backend (e.g. the SAP NW RFC SDK) implements the same ops.
 *
 * All ops and callbacks run on the transport loop thread.
 */
#ifndef GW_BACKEND_H
#define GW_BACKEND_H

#include "base/base.h"
#include "config/config.h"
#include "rfc/rfc.h"
#include "transport/transport.h"

/** What a job asks of the backend. */
typedef enum {
    GW_JOB_DESCRIBE = 1, /* fetch the function description */
    GW_JOB_CALL = 2,     /* call the function */
    GW_JOB_RESET = 3,    /* reset the session (pool-internal, after a unit of work) */
} gw_job_kind_t;

typedef struct gw_job gw_job_t;

/**
 * One RESULT message of a result received part by part (streaming, see
 * gw_job_t.on_part): its parameters, allocated from its own arena, so each
 * part can be freed as soon as it has been passed on.
 */
typedef struct gw_part {
    struct gw_part *next; /* free for the receiver's queue */
    gw_arena_t arena;
    gw_rfc_field_t *params;
    uint32_t nparams;
    size_t bytes; /* size of the message on the wire */
} gw_part_t;

/** Frees a part; NULL is fine. */
void gw_part_free(gw_part_t *p);

/** What a part receiver tells the backend. */
enum {
    GW_PART_OK = 0,     /* go on */
    GW_PART_FULL = 1,   /* stop reading from the backend for now (backpressure) */
    GW_PART_CANCEL = 2, /* the receiver is gone: abandon the call (its session is closed) */
};

/**
 * The call object. The submitter fills the request part, hands the job to
 * gw_pool_submit() and must not touch it until `done` runs (on the loop
 * thread); then the result part is filled. Result data is allocated from
 * `arena`, which the submitter owns.
 */
struct gw_job {
    /* request */
    int kind; /* gw_job_kind_t */
    gw_slice_t function;
    gw_rfc_field_t *params;
    uint32_t nparams;
    gw_slice_t trace; /* W3C traceparent or empty */
    uint32_t nwant;   /* CALL: number of names in `want`; ignored when `want` is NULL */
    gw_slice_t *want; /* CALL: the parameters to return; NULL = all of them */
    int no_reset;     /* CALL: keep the session's state (a later step of a unit of work) */
    /*
     * Who logs on (docs/security.md, backend identities): NULL = the
     * destination's own auth; a name of destinations[].identities; or
     * "passthrough" with the caller's Basic credentials in pt_user and
     * pt_secret (kept by the submitter until `done`).
     */
    const char *identity;
    const char *pt_user;
    const char *pt_secret;
    /**
     * Optional: called on the loop thread after each finished call of this
     * job (job->err and the result fields tell how it went). It may set up
     * another call — function, params, want, no_reset = 1 — and return 1 to
     * run it on the same session, in the same unit of work; it returns 0 to
     * finish the job (then `done` runs). The session is reset before it
     * serves anyone else.
     */
    int (*next)(gw_job_t *job);
    /**
     * Optional, CALL only: receive the result part by part instead of merged
     * into `result` (streaming). Called on the loop thread for each RESULT
     * message, `last` set on the final one, before `done`; takes the part
     * over and returns GW_PART_*. After GW_PART_FULL the backend reads
     * nothing more from the session and polls `part_poll` every few
     * milliseconds until it returns GW_PART_OK (or GW_PART_CANCEL).
     */
    int (*on_part)(gw_job_t *job, gw_part_t *part, int last);
    int (*part_poll)(gw_job_t *job);
    int64_t deadline_ms; /* absolute, gw_now_ms() clock */
    gw_arena_t *arena;
    void (*done)(gw_job_t *job);
    void *user;
    /* result */
    int err;            /* 0 or GW_E* */
    char detail[256];   /* why, in words, when err != 0 */
    int has_rfc;        /* rfc holds the backend's error details */
    gw_rfc_error_t rfc; /* slices in `arena` */
    gw_rfc_field_t *result;
    uint32_t nresult;
    gw_rfc_func_t *desc; /* GW_JOB_DESCRIBE: in `arena` */
    /* timing, for metrics (gw_now_us clock; 0 = not reached) */
    int64_t queued_us;     /* handed to the pool */
    int64_t dispatched_us; /* sent on a session */
    int64_t finished_us;   /* answered */
    /* pool internals */
    uint8_t pt_key[32]; /* keyed hash of pt_user and pt_secret */
    gw_task_t task;
    gw_timer_t timer;
    gw_job_t *qnext;
    void *pool;
    void *session;
};

typedef struct gw_bsession gw_bsession_t;

/** Session events, to the pool. */
typedef struct {
    /** Logon succeeded; the session takes jobs. */
    void (*on_ready)(gw_bsession_t *s, void *ud);
    /** The job given to start() finished (job->err says how). The session is idle again. */
    void (*on_done)(gw_bsession_t *s, void *ud, gw_job_t *job);
    /**
     * The session is gone (before or after ready; a running job is NOT
     * completed by the backend — the pool does that). `rfc` may be NULL.
     * The session is freed after this returns.
     */
    void (*on_dead)(gw_bsession_t *s, void *ud, int err, const char *reason,
                    const gw_rfc_error_t *rfc);
} gw_bsession_cbs_t;

/**
 * A logon other than the destination's own (a configured password
 * identity, or a caller's credentials passed through): the communication
 * user and its password. The backend copies what it needs in open().
 */
typedef struct {
    const char *user;
    const char *secret;
    int alias_user; /* `user` is an alias (SM59's Alias User) */
} gw_bcred_t;

/** A backend implementation. */
typedef struct {
    const char *name;
    /** Creates the per-destination instance; NULL on failure (logged). */
    void *(*create)(gw_transport_t *t, const gw_dest_conf_t *d);
    /** Frees the instance; all sessions are closed by then. */
    void (*destroy)(void *backend);
    /**
     * Opens a session, logged on as `cred` (NULL: the destination's own
     * auth). NULL only on out-of-memory, or when the backend cannot log on
     * with other credentials (the configuration refuses that beforehand).
     * Callbacks follow later.
     */
    gw_bsession_t *(*open)(void *backend, const gw_bcred_t *cred, const gw_bsession_cbs_t *cbs,
                           void *ud);
    /** Starts `job` on a ready, idle session. Returns 0, or an error (no on_done then). */
    int (*start)(gw_bsession_t *s, gw_job_t *job);
    /** Closes the session now; no callback follows. A running job stays with the caller. */
    void (*close)(gw_bsession_t *s);
    /** Uses `secret` (the password; may be NULL) for sessions opened from now on. */
    int (*set_secret)(void *backend, const char *secret);
    /**
     * Optional, any thread: reads destination `d`'s TLS files anew (SIGHUP).
     * Returns the update, or NULL with the reason in `why` (then `*failed` is
     * set) — or NULL with `*failed` 0 when there is nothing to reload.
     */
    gw_tls_update_t *(*tls_prepare)(void *backend, const gw_dest_conf_t *d, char *why,
                                    size_t whysize, int *failed);
    /** Optional: sessions opened from now on use `u` (taken over). */
    void (*tls_apply)(void *backend, gw_tls_update_t *u);
} gw_backend_ops_t;

/** Finds the backend named `name` ("native"); NULL when not built. */
const gw_backend_ops_t *gw_backend_find(const char *name);

/** Fills a job's error fields. */
void gw_job_fail(gw_job_t *job, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
