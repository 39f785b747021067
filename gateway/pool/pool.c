/*
 * pool: sessions of one destination on the loop thread.
 *
 * Sessions live in one list of slots with a state each (opening, idle,
 * busy). pump() is the only place that matches queued jobs with idle
 * sessions and decides to open new ones; every event (submit, session
 * ready, job done, session dead, deadline, the maintenance tick) ends by
 * calling it. The tick (every TICK_MS) retires old and surplus idle
 * sessions, pings idle ones, keeps `min_idle`, and moves the breaker from
 * open to half-open.
 *
 * A snapshot of the state is copied under `lock` after each event for
 * /readyz and metrics; nothing else crosses threads.
 */
#include "pool/pool.h"
#include "auth/auth.h"
#include "error/error.h"
#include "log/log.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS         250
#define PING_TIMEOUT_MS 5000 /* at most; never more than call_timeout_ms */

enum { PS_OPENING, PS_IDLE, PS_BUSY };
enum { BR_CLOSED, BR_OPEN, BR_HALF_OPEN };

typedef struct slot {
    struct slot *next;
    gw_pool_t *pool;
    gw_bsession_t *s;
    int state;
    gw_job_t *job;
    int64_t born_ms, last_ms;
    gw_job_t ping; /* internal RFC_PING of an idle session, or RESET after a unit of work */
    gw_arena_t ping_arena;
    int dirty; /* a unit of work left session state behind: reset before reuse */
} slot_t;

struct gw_desc {
    gw_desc_t *next;
    atomic_int refs;
    int64_t expires_ms;
    gw_arena_t arena;
    const gw_rfc_func_t *f;
};

struct gw_pool {
    gw_transport_t *t;
    const gw_dest_conf_t *d;
    const gw_backend_ops_t *ops;
    void *backend;
    /*
     * Backend identities (docs/security.md): the destination's pool is the
     * root; every other identity of the destination has a pool of its own
     * in the root's `kids` list, driven by the root's tick. Sessions of
     * all of them count against the destination's pool.total_max.
     */
    gw_pool_t *root;
    gw_pool_t *kids, *knext;
    int nkids, npassthrough; /* root */
    int group_sessions;      /* root: sessions of the root and all kids */
    uint8_t hkey[32];        /* root: key of the pass-through hash */
    void *plain_backend;    /* root: a backend without client certificate, for logons by password */
    gw_dest_conf_t plain_d; /* its configuration */
    gw_timer_t group_tm;    /* root: let waiting identities take freed room */
    const char *ident;      /* kid: the identity's name, or "passthrough" */
    int owns_backend;       /* kid: `backend` is its own (certificate identity) */
    gw_bcred_t cred;        /* kid: logon by password (strings owned; user NULL: none) */
    int passthrough;        /* kid: a caller's own credentials */
    uint8_t key[32];        /* pass-through kid: keyed hash of user and password */
    int64_t used_ms;        /* pass-through kid: last request */
    int64_t failed_ms;      /* pass-through kid: when the backend refused the logon */
    gw_dest_conf_t own_d;   /* kid: the destination with this identity's caps */
    slot_t *slots;
    int nslots, nopening;
    gw_job_t *q_head, *q_tail;
    int qlen;
    int logon_failed;
    int fails;            /* consecutive failed connects */
    uint64_t fails_total; /* failed connects since the start (metrics) */
    int last_err;
    char last_error[256];
    int64_t retry_at_ms; /* no connect before this (backoff) */
    int breaker;
    int64_t breaker_until_ms;
    int shutting;
    uint64_t rng;
    gw_timer_t tick;
    gw_task_t start_task;
    /* shutdown hand-shake */
    gw_task_t shutdown_task;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int shutdown_done;
    /* guarded by `lock`: the snapshot, the metadata cache (one reference per entry) */
    gw_pool_status_t status;
    gw_desc_t *descs;
};

static void pump(gw_pool_t *p);
static void group_changed(gw_pool_t *p);

static void publish(gw_pool_t *p)
{
    if (p != p->root) { /* a kid: the destination's snapshot covers it */
        publish(p->root);
        return;
    }
    int idle = 0, busy = 0;
    for (slot_t *sl = p->slots; sl; sl = sl->next) {
        idle += sl->state == PS_IDLE;
        busy += sl->state == PS_BUSY && sl->job != &sl->ping;
    }
    pthread_mutex_lock(&p->lock);
    gw_pool_status_t *st = &p->status;
    st->state = p->shutting             ? "stopped"
                : p->logon_failed       ? "logon_failed"
                : p->breaker == BR_OPEN ? "breaker_open"
                : p->fails > 0          ? "reconnecting"
                                        : "ok";
    st->sessions = p->nslots;
    st->in_use = busy;
    st->idle = idle;
    st->waiting = p->qlen;
    st->failures = p->fails;
    st->failures_total = p->fails_total;
    st->identities = p->nkids;
    st->passthrough = p->npassthrough;
    st->group_sessions = p->group_sessions;
    snprintf(st->last_error, sizeof(st->last_error), "%s", p->last_error);
    pthread_mutex_unlock(&p->lock);
}

static void complete(gw_pool_t *p, gw_job_t *job)
{
    (void)p;
    job->finished_us = gw_now_us();
    gw_timer_stop(&job->timer);
    job->session = NULL;
    if (job->done)
        job->done(job);
}

static void queue_remove(gw_pool_t *p, gw_job_t *job)
{
    gw_job_t **pp = &p->q_head, *prev = NULL;
    while (*pp && *pp != job) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    if (*pp == NULL)
        return;
    *pp = job->qnext;
    if (p->q_tail == job)
        p->q_tail = prev;
    p->qlen--;
}

static void slot_remove(gw_pool_t *p, slot_t *sl)
{
    slot_t **pp = &p->slots;
    while (*pp && *pp != sl)
        pp = &(*pp)->next;
    if (*pp)
        *pp = sl->next;
    p->nslots--;
    p->root->group_sessions--;
    if (sl->state == PS_OPENING)
        p->nopening--;
    gw_timer_stop(&sl->ping.timer);
    gw_arena_free(&sl->ping_arena);
    free(sl);
    group_changed(p);
}

static void fail_queue(gw_pool_t *p, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_queue(gw_pool_t *p, int err, const char *fmt, ...)
{
    char why[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    while (p->q_head) {
        gw_job_t *job = p->q_head;
        queue_remove(p, job);
        gw_job_fail(job, err, "%s", why);
        complete(p, job);
    }
}

/* Is the destination at its pool.total_max? */
static int group_full(const gw_pool_t *p)
{
    const gw_pool_t *r = p->root;
    return r->d->pool.total_max > 0 && r->group_sessions >= r->d->pool.total_max;
}

/* May a new connection be attempted now? */
static int can_connect(const gw_pool_t *p, int64_t now)
{
    if (p->shutting || p->logon_failed || p->nslots >= p->d->pool.max || group_full(p))
        return 0;
    if (p->breaker == BR_OPEN)
        return 0;
    if (p->breaker == BR_HALF_OPEN)
        return p->nopening == 0; /* one probe at a time */
    return now >= p->retry_at_ms;
}

static int64_t backoff_ms(gw_pool_t *p)
{
    int64_t d = p->d->pool.reconnect_min_ms;
    for (int i = 1; i < p->fails && d < p->d->pool.reconnect_max_ms; i++)
        d *= 2;
    if (d > p->d->pool.reconnect_max_ms)
        d = p->d->pool.reconnect_max_ms;
    /* ±20 % jitter so that replicas do not reconnect in step */
    p->rng = p->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t span = d / 5;
    return d - span + (span ? (int64_t)((p->rng >> 33) % (uint64_t)(2 * span + 1)) : 0);
}

static void on_ready(gw_bsession_t *s, void *ud)
{
    slot_t *sl = ud;
    gw_pool_t *p = sl->pool;
    (void)s;
    if (p->fails || p->breaker != BR_CLOSED)
        GW_LOGI("pool", "destination %s: connected again", p->d->name);
    sl->state = PS_IDLE;
    sl->born_ms = sl->last_ms = gw_now_ms();
    p->nopening--;
    p->fails = 0;
    p->breaker = BR_CLOSED;
    p->last_error[0] = '\0';
    pump(p);
}

static int dispatch(gw_pool_t *p, slot_t *sl, gw_job_t *job);
static void start_internal(gw_pool_t *p, slot_t *sl, int kind);

static void on_done(gw_bsession_t *s, void *ud, gw_job_t *job)
{
    slot_t *sl = ud;
    gw_pool_t *p = sl->pool;
    (void)s;
    sl->job = NULL;
    sl->state = PS_IDLE;
    sl->last_ms = gw_now_ms();
    if (job == &sl->ping) {
        gw_timer_stop(&job->timer);
        gw_arena_free(&sl->ping_arena);
        if (job->kind == GW_JOB_RESET)
            sl->dirty = 0;
    } else if (job->next && job->next(job)) {
        /* the next step of a unit of work, on the same session */
        sl->dirty = 1;
        job->err = 0;
        int ret = p->ops->start(sl->s, job);
        if (ret == 0) {
            sl->state = PS_BUSY;
            sl->job = job;
            return;
        }
        gw_job_fail(job, ret, "cannot send the next step: %s", gw_strerror(ret));
        complete(p, job);
    } else {
        complete(p, job);
    }
    if (sl->dirty && sl->state == PS_IDLE)
        start_internal(p, sl, GW_JOB_RESET);
    pump(p);
    group_changed(p);
}

static void on_dead(gw_bsession_t *s, void *ud, int err, const char *reason,
                    const gw_rfc_error_t *rfc)
{
    slot_t *sl = ud;
    gw_pool_t *p = sl->pool;
    gw_job_t *job = sl->job == &sl->ping ? NULL : sl->job;
    int was_opening = sl->state == PS_OPENING;
    int64_t now = gw_now_ms();
    (void)s;
    (void)rfc;
    slot_remove(p, sl);
    if (was_opening) {
        p->last_err = err;
        snprintf(p->last_error, sizeof(p->last_error), "%s", reason);
    }
    if (err == GW_ELOGON && p->passthrough) {
        p->logon_failed = 1;
        p->failed_ms = now;
        GW_LOGI("pool",
                "destination %s: the backend refused the logon of caller user %s (%s); the "
                "same credentials are refused from memory for failure_ttl_ms",
                p->d->name, p->cred.user, reason);
    } else if (err == GW_ELOGON) {
        p->logon_failed = 1;
        GW_LOGE("pool",
                "destination %s%s%s: logon failed (%s); not retrying until the configuration is "
                "reloaded, because retries would lock the communication user",
                p->d->name, p->ident ? " identity " : "", p->ident ? p->ident : "", reason);
    } else if (was_opening && !p->shutting) {
        p->fails++;
        p->fails_total++;
        p->retry_at_ms = now + backoff_ms(p);
        if (p->breaker == BR_HALF_OPEN || p->fails >= p->d->pool.breaker_threshold) {
            if (p->breaker != BR_OPEN)
                GW_LOGW("pool",
                        "destination %s: circuit breaker open for %d ms after %d failed "
                        "connect%s: %s",
                        p->d->name, p->d->pool.breaker_cooldown_ms, p->fails,
                        p->fails == 1 ? "" : "s", reason);
            p->breaker = BR_OPEN;
            p->breaker_until_ms = now + p->d->pool.breaker_cooldown_ms;
        } else {
            GW_LOGW("pool", "destination %s: connect failed (%s); next attempt in %lld ms",
                    p->d->name, reason, (long long)(p->retry_at_ms - now));
        }
    } else if (err == GW_ECANCELED) {
        GW_LOGI("pool", "destination %s: session closed: %s", p->d->name, reason);
    } else if (!p->shutting) {
        GW_LOGW("pool", "destination %s: connection lost: %s", p->d->name, reason);
    }
    if (job) {
        if (err == GW_ERESULTBIG || err == GW_ECANCELED)
            gw_job_fail(job, err, "%s", reason);
        else
            gw_job_fail(job,
                        err == GW_EPROTO || err == GW_ETLS || err == GW_ELOGON ? err : GW_ECOMM,
                        "connection to the backend lost during the call: %s", reason);
        complete(p, job);
    }
    pump(p);
}

static const gw_bsession_cbs_t session_cbs = {on_ready, on_done, on_dead};

/* Starts one new session; returns 0, or GW_ENOMEM (nothing was started). */
static int open_one(gw_pool_t *p)
{
    slot_t *sl = calloc(1, sizeof(*sl));
    if (sl == NULL)
        return GW_ENOMEM;
    sl->pool = p;
    sl->state = PS_OPENING;
    gw_arena_init(&sl->ping_arena, 0);
    sl->next = p->slots;
    p->slots = sl;
    p->nslots++;
    p->root->group_sessions++;
    p->nopening++;
    sl->s = p->ops->open(p->backend, p->cred.user ? &p->cred : NULL, &session_cbs, sl);
    if (sl->s == NULL) {
        slot_remove(p, sl);
        return GW_ENOMEM;
    }
    return 0;
}

static int ping_timeout_ms(const gw_pool_t *p)
{
    return p->d->call_timeout_ms < PING_TIMEOUT_MS ? p->d->call_timeout_ms : PING_TIMEOUT_MS;
}

static void on_deadline(gw_timer_t *tm);

static int dispatch(gw_pool_t *p, slot_t *sl, gw_job_t *job)
{
    int ret = p->ops->start(sl->s, job);
    if (ret != 0)
        return ret;
    sl->state = PS_BUSY;
    sl->job = job;
    job->session = sl;
    job->dispatched_us = gw_now_us();
    gw_timer_start(p->t, &job->timer, job->deadline_ms - gw_now_ms(), on_deadline);
    return 0;
}

/*
 * The destination is at pool.total_max and `p` has jobs waiting: closes
 * the longest-idle session of another identity of the destination.
 * Returns 1 when one was closed.
 */
static int make_room(gw_pool_t *p)
{
    gw_pool_t *r = p->root, *owner = NULL;
    slot_t *best = NULL;
    for (gw_pool_t *q = r; q; q = q == r ? r->kids : q->knext) {
        if (q == p)
            continue;
        for (slot_t *sl = q->slots; sl; sl = sl->next)
            if (sl->state == PS_IDLE && !sl->dirty &&
                (best == NULL || sl->last_ms < best->last_ms)) {
                best = sl;
                owner = q;
            }
    }
    if (best == NULL)
        return 0;
    GW_LOGD("pool", "destination %s: at pool.total_max; closing an idle session of %s for %s",
            r->d->name, owner->ident ? owner->ident : "the destination's own identity",
            p->ident ? p->ident : "the destination's own identity");
    p->ops->close(best->s);
    slot_remove(owner, best);
    publish(owner);
    return 1;
}

static void group_kick(gw_timer_t *tm)
{
    gw_pool_t *r = (gw_pool_t *)((char *)tm - offsetof(gw_pool_t, group_tm));
    for (gw_pool_t *q = r; q && !r->shutting; q = q == r ? r->kids : q->knext)
        if (q->qlen > q->nopening)
            pump(q);
}

/* A session became free or went away: identities waiting for room get a look (soon, not nested). */
static void group_changed(gw_pool_t *p)
{
    gw_pool_t *r = p->root;
    if (r->d->pool.total_max > 0 && r->kids && !r->shutting && !r->group_tm.armed)
        gw_timer_start(r->t, &r->group_tm, 0, group_kick);
}

static void pump(gw_pool_t *p)
{
    int64_t now = gw_now_ms();
    while (p->q_head) {
        slot_t *idle = NULL;
        for (slot_t *sl = p->slots; sl && !idle; sl = sl->next)
            if (sl->state == PS_IDLE)
                idle = sl;
        if (idle == NULL)
            break;
        gw_job_t *job = p->q_head;
        queue_remove(p, job);
        int ret = dispatch(p, idle, job);
        if (ret == GW_ECOMM || ret == GW_EINVAL) {
            /* The session died before telling us (its close is still on the way): drop it
             * and give the job back its place at the head of the queue. */
            p->ops->close(idle->s);
            slot_remove(p, idle);
            job->qnext = p->q_head;
            p->q_head = job;
            if (p->q_tail == NULL)
                p->q_tail = job;
            p->qlen++;
            continue;
        }
        if (ret != 0) {
            gw_job_fail(job, ret, "cannot send the request: %s", gw_strerror(ret));
            complete(p, job);
        }
    }
    /* Open connections for waiting jobs, then up to min_idle (stop if memory runs out). */
    while (p->qlen > p->nopening && can_connect(p, now))
        if (open_one(p) != 0)
            break;
    /* At the destination's total cap: take the room of another identity's longest-idle session. */
    while (p->qlen > p->nopening && group_full(p) && make_room(p) && can_connect(p, now))
        if (open_one(p) != 0)
            break;
    int idle = 0;
    for (slot_t *sl = p->slots; sl; sl = sl->next)
        idle += sl->state == PS_IDLE;
    while (idle + p->nopening < p->d->pool.min_idle && can_connect(p, now))
        if (open_one(p) != 0)
            break;
    /* Nothing open, nothing opening, and no connect allowed now: fail fast, don't hang
     * (unless only the destination's total cap is in the way: then wait for room). */
    int waits_for_room = group_full(p) && !p->shutting && !p->logon_failed &&
                         p->breaker != BR_OPEN && now >= p->retry_at_ms;
    if (p->q_head && p->nslots == 0 && !waits_for_room && !can_connect(p, now)) {
        if (p->shutting)
            fail_queue(p, GW_ESHUTDOWN, "rfmgw is shutting down");
        else if (p->logon_failed)
            fail_queue(p, GW_ELOGON, "%s (not retried: a retry could lock the user)",
                       p->last_error);
        else if (p->breaker == BR_OPEN)
            fail_queue(p, GW_ECAPACITY,
                       "circuit breaker open after %d failed connects (%s); "
                       "next probe in %lld ms",
                       p->fails, p->last_error, (long long)(p->breaker_until_ms - now));
        else
            fail_queue(p, p->last_err ? p->last_err : GW_EUNREACHABLE,
                       "%s (next attempt in %lld ms)", p->last_error,
                       (long long)(p->retry_at_ms - now));
    }
    publish(p);
}

static void on_deadline(gw_timer_t *tm)
{
    gw_job_t *job = (gw_job_t *)((char *)tm - offsetof(gw_job_t, timer));
    gw_pool_t *p = job->pool;
    slot_t *sl = job->session;
    if (sl) {
        /* The late answer must never reach another caller: drop the session. */
        int ping = job == &sl->ping;
        sl->job = NULL;
        p->ops->close(sl->s);
        slot_remove(p, sl);
        if (ping) {
            GW_LOGW("pool",
                    "destination %s: idle connection did not answer RFC_PING within "
                    "%d ms; closed",
                    p->d->name, ping_timeout_ms(p));
            pump(p);
            return;
        }
        gw_job_fail(job, GW_ETIMEOUT, "the backend did not answer within %lld ms",
                    (long long)(job->deadline_ms - job->queued_us / 1000));
    } else {
        queue_remove(p, job);
        if (job->deadline_ms <= gw_now_ms())
            gw_job_fail(job, GW_ETIMEOUT,
                        "no backend connection became available within the "
                        "call timeout (%d ms)",
                        p->d->call_timeout_ms);
        else
            gw_job_fail(job, GW_ECAPACITY,
                        "all %d backend connections stayed busy for "
                        "acquire_timeout_ms (%d ms)",
                        p->d->pool.max, p->d->pool.acquire_timeout_ms);
    }
    complete(p, job);
    pump(p);
}

/* An internal job on an idle session: RFC_PING (health) or RESET (after a unit of work). */
static void start_internal(gw_pool_t *p, slot_t *sl, int kind)
{
    gw_job_t *job = &sl->ping;
    memset(job, 0, sizeof(*job));
    job->kind = kind;
    job->function = kind == GW_JOB_RESET ? GW_SLICE_LIT("") : GW_SLICE_LIT("RFC_PING");
    job->arena = &sl->ping_arena;
    job->deadline_ms = gw_now_ms() + ping_timeout_ms(p);
    job->pool = p;
    if (dispatch(p, sl, job) != 0) {
        p->ops->close(sl->s);
        slot_remove(p, sl);
    }
}

/* The maintenance of one identity's pool. */
static void tick_one(gw_pool_t *p, int64_t now)
{
    const gw_dest_conf_t *d = p->d;
    if (p->breaker == BR_OPEN && now >= p->breaker_until_ms) {
        p->breaker = BR_HALF_OPEN;
        GW_LOGI("pool", "destination %s: circuit breaker half-open, probing", d->name);
    }
    int idle = 0;
    for (slot_t *sl = p->slots; sl; sl = sl->next)
        idle += sl->state == PS_IDLE;
    slot_t *sl = p->slots;
    while (sl) {
        slot_t *next = sl->next;
        if (sl->state == PS_IDLE) {
            int retire = now - sl->born_ms >= d->pool.max_lifetime_ms ||
                         (now - sl->last_ms >= d->pool.idle_timeout_ms && idle > d->pool.min_idle);
            if (retire) {
                GW_LOGD("pool", "destination %s: retiring an idle connection", d->name);
                p->ops->close(sl->s);
                slot_remove(p, sl);
                idle--;
            } else if (d->pool.ping_interval_ms && now - sl->last_ms >= d->pool.ping_interval_ms) {
                start_internal(p, sl, GW_JOB_CALL);
            }
        }
        sl = next;
    }
    pump(p);
}

/* Nothing queued and no session at work: the pool can go without hurting anyone. */
static int kid_unused(const gw_pool_t *k)
{
    if (k->qlen)
        return 0;
    for (slot_t *sl = k->slots; sl; sl = sl->next)
        if (sl->state != PS_IDLE)
            return 0;
    return 1;
}

static void wipe_free(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

/* Closes a kid's sessions (none at work), wipes its credentials and frees it. Loop only. */
static void kid_free(gw_pool_t *k)
{
    gw_pool_t *r = k->root;
    gw_pool_t **pp = &r->kids;
    while (*pp && *pp != k)
        pp = &(*pp)->knext;
    if (*pp)
        *pp = k->knext;
    r->nkids--;
    r->npassthrough -= k->passthrough;
    while (k->slots) {
        slot_t *sl = k->slots;
        k->ops->close(sl->s);
        slot_remove(k, sl);
    }
    if (k->owns_backend)
        k->ops->destroy(k->backend);
    wipe_free((char *)(uintptr_t)k->cred.secret);
    free((char *)(uintptr_t)k->cred.user);
    OPENSSL_cleanse(k->key, sizeof(k->key));
    pthread_mutex_destroy(&k->lock);
    pthread_cond_destroy(&k->cond);
    free(k);
}

static void on_tick(gw_timer_t *tm)
{
    gw_pool_t *p = (gw_pool_t *)((char *)tm - offsetof(gw_pool_t, tick));
    int64_t now = gw_now_ms();
    if (p->shutting)
        return;
    tick_one(p, now);
    gw_pool_t *k = p->kids;
    while (k) {
        gw_pool_t *next = k->knext;
        if (k->passthrough && kid_unused(k) &&
            now - k->used_ms >= p->d->passthrough.idle_timeout_ms) {
            GW_LOGD("pool", "destination %s: closing the idle pool of caller user %s", p->d->name,
                    k->cred.user);
            kid_free(k);
        } else {
            tick_one(k, now);
        }
        k = next;
    }
    publish(p);
    gw_timer_start(p->t, &p->tick, TICK_MS, on_tick);
}

static void start_task(gw_task_t *task)
{
    gw_pool_t *p = (gw_pool_t *)((char *)task - offsetof(gw_pool_t, start_task));
    gw_timer_start(p->t, &p->tick, TICK_MS, on_tick);
    pump(p);
}

static gw_pool_t *kid_new(gw_pool_t *r, const char *ident)
{
    gw_pool_t *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return NULL;
    k->t = r->t;
    k->ops = r->ops;
    k->root = r;
    k->ident = ident;
    k->rng = r->rng ^ (uint64_t)(uintptr_t)k;
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->cond, NULL);
    k->status.state = "ok";
    k->knext = r->kids;
    r->kids = k;
    r->nkids++;
    return k;
}

/* The kid's logon by password: copies of user and secret. Returns 0 or GW_ENOMEM. */
static int kid_cred(gw_pool_t *k, const char *user, const char *secret, int alias)
{
    char *u = strdup(user ? user : ""), *sec = strdup(secret ? secret : "");
    if (u == NULL || sec == NULL) {
        free(u);
        free(sec);
        return GW_ENOMEM;
    }
    k->cred = (gw_bcred_t){u, sec, alias};
    return 0;
}

/* The backend that logs on by password per session (no client certificate of its own). */
static void *password_backend(gw_pool_t *r)
{
    if (strcmp(r->d->auth.method, "password") == 0)
        return r->backend;
    if (r->plain_backend == NULL) {
        r->plain_d = *r->d;
        memset(&r->plain_d.auth, 0, sizeof(r->plain_d.auth));
        r->plain_d.auth.method = "password";
        r->plain_backend = r->ops->create(r->t, &r->plain_d);
    }
    return r->plain_backend;
}

/* A caller's pass-through pool, found by its key or made (loop). NULL with job->err set. */
static gw_pool_t *passthrough_pool(gw_pool_t *r, gw_job_t *job, int64_t now)
{
    const gw_dest_conf_t *d = r->d;
    for (gw_pool_t *k = r->kids; k; k = k->knext)
        if (k->passthrough && CRYPTO_memcmp(k->key, job->pt_key, sizeof(k->key)) == 0)
            return k;
    if (!d->passthrough.enabled) {
        gw_job_fail(job, GW_ECONFIG, "destination %s does not allow passthrough", d->name);
        return NULL;
    }
    if (r->npassthrough >= d->passthrough.max_identities) {
        gw_pool_t *lru = NULL;
        for (gw_pool_t *k = r->kids; k; k = k->knext)
            if (k->passthrough && kid_unused(k) && (lru == NULL || k->used_ms < lru->used_ms))
                lru = k;
        if (lru == NULL) {
            gw_job_fail(job, GW_ECAPACITY, "all %d caller pools of destination %s are at work",
                        d->passthrough.max_identities, d->name);
            return NULL;
        }
        GW_LOGD("pool",
                "destination %s: passthrough.max_identities (%d) reached; closing the least "
                "recently used caller pool (user %s)",
                d->name, d->passthrough.max_identities, lru->cred.user);
        kid_free(lru);
    }
    void *b = password_backend(r);
    gw_pool_t *k = b ? kid_new(r, "passthrough") : NULL;
    if (k == NULL || kid_cred(k, job->pt_user, job->pt_secret, 0) != 0) {
        if (k)
            kid_free(k);
        gw_job_fail(job, GW_ENOMEM, "out of memory for a caller pool");
        return NULL;
    }
    k->passthrough = 1;
    r->npassthrough++;
    memcpy(k->key, job->pt_key, sizeof(k->key));
    k->backend = b;
    k->own_d = *d;
    k->own_d.identities = NULL;
    k->own_d.nidentities = 0;
    k->own_d.pool.max = d->passthrough.pool_max;
    k->own_d.pool.min_idle = 0;
    if (k->own_d.pool.idle_timeout_ms > d->passthrough.idle_timeout_ms)
        k->own_d.pool.idle_timeout_ms = d->passthrough.idle_timeout_ms;
    k->d = &k->own_d;
    k->used_ms = now;
    return k;
}

/* The pool of the job's identity (loop). NULL with job->err set. */
static gw_pool_t *identity_pool(gw_pool_t *r, gw_job_t *job, int64_t now)
{
    if (job->identity == NULL)
        return r;
    if (strcmp(job->identity, "passthrough") == 0) {
        gw_pool_t *k = passthrough_pool(r, job, now);
        if (k && k->logon_failed && now - k->failed_ms >= r->d->passthrough.failure_ttl_ms) {
            k->logon_failed = 0; /* the refusal is old: the backend gets one more try */
            k->last_error[0] = '\0';
        }
        if (k)
            k->used_ms = now;
        return k;
    }
    for (gw_pool_t *k = r->kids; k; k = k->knext)
        if (!k->passthrough && strcmp(k->ident, job->identity) == 0)
            return k;
    gw_job_fail(job, GW_ECONFIG, "destination %s has no backend identity '%s'", r->d->name,
                job->identity);
    return NULL;
}

static void submit_task(gw_task_t *task)
{
    gw_job_t *job = (gw_job_t *)((char *)task - offsetof(gw_job_t, task));
    gw_pool_t *p = job->pool;
    int64_t now = gw_now_ms();
    if (!p->shutting && job->identity) {
        gw_pool_t *k = identity_pool(p, job, now);
        if (k == NULL) {
            complete(p, job);
            publish(p);
            return;
        }
        job->pool = p = k;
    }
    if (p->shutting) {
        gw_job_fail(job, GW_ESHUTDOWN, "rfmgw is shutting down");
    } else if (p->logon_failed) {
        gw_job_fail(job, GW_ELOGON, "%s (not retried: a retry could lock the user)", p->last_error);
    } else if (p->breaker == BR_OPEN) {
        gw_job_fail(job, GW_ECAPACITY,
                    "circuit breaker open after %d failed connects (%s); next probe in %lld ms",
                    p->fails, p->last_error, (long long)(p->breaker_until_ms - now));
    } else if (p->qlen >= p->d->pool.queue_max) {
        gw_job_fail(job, GW_ECAPACITY, "all %d connections are busy and %d requests are waiting",
                    p->d->pool.max, p->qlen);
    } else {
        job->qnext = NULL;
        if (p->q_tail)
            p->q_tail->qnext = job;
        else
            p->q_head = job;
        p->q_tail = job;
        p->qlen++;
        int64_t until = now + p->d->pool.acquire_timeout_ms;
        if (until > job->deadline_ms)
            until = job->deadline_ms;
        gw_timer_start(p->t, &job->timer, until > now ? until - now : 0, on_deadline);
        pump(p);
        return;
    }
    complete(p, job);
    publish(p);
}

void gw_pool_submit(gw_pool_t *p, gw_job_t *job)
{
    if (job->identity && strcmp(job->identity, "passthrough") == 0) {
        /* the pool's key: a keyed hash of user and password, never the password itself */
        const char *u = job->pt_user ? job->pt_user : "",
                   *pw = job->pt_secret ? job->pt_secret : "";
        gw_credential_tag(p->root->hkey, "passthrough", u, strlen(u), pw, strlen(pw), job->pt_key);
    }
    job->pool = p;
    job->session = NULL;
    job->err = 0;
    job->detail[0] = '\0';
    job->queued_us = gw_now_us();
    job->dispatched_us = job->finished_us = 0;
    memset(&job->timer, 0, sizeof(job->timer));
    job->task.fn = submit_task;
    gw_transport_post(p->t, &job->task);
}

/* Fails every job of one identity's pool and closes its sessions (loop). */
static void shut_one(gw_pool_t *p)
{
    p->shutting = 1;
    fail_queue(p, GW_ESHUTDOWN, "rfmgw is shutting down");
    while (p->slots) {
        slot_t *sl = p->slots;
        gw_job_t *job = sl->job == &sl->ping ? NULL : sl->job;
        p->ops->close(sl->s);
        slot_remove(p, sl);
        if (job) {
            gw_job_fail(job, GW_ESHUTDOWN, "rfmgw is shutting down");
            complete(p, job);
        }
    }
}

static void shutdown_task(gw_task_t *task)
{
    gw_pool_t *p = (gw_pool_t *)((char *)task - offsetof(gw_pool_t, shutdown_task));
    gw_timer_stop(&p->tick);
    gw_timer_stop(&p->group_tm);
    shut_one(p);
    for (gw_pool_t *k = p->kids; k; k = k->knext)
        shut_one(k);
    publish(p);
    pthread_mutex_lock(&p->lock);
    p->shutdown_done = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

gw_pool_t *gw_pool_create(gw_transport_t *t, const gw_dest_conf_t *d)
{
    const gw_backend_ops_t *ops = gw_backend_find(d->backend);
    if (ops == NULL) {
        GW_LOGE("pool", "destination %s: backend '%s' is not built", d->name, d->backend);
        return NULL;
    }
    gw_pool_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->t = t;
    p->d = d;
    p->ops = ops;
    p->rng = (uint64_t)gw_now_ms() ^ (uint64_t)(uintptr_t)p;
    p->root = p;
    p->backend = ops->create(t, d);
    if (p->backend == NULL || RAND_bytes(p->hkey, sizeof(p->hkey)) != 1) {
        if (p->backend)
            ops->destroy(p->backend);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->status.state = "ok";
    for (size_t i = 0; i < d->nidentities; i++) {
        const gw_ident_conf_t *ic = &d->identities[i];
        int cert = strcmp(ic->dest.auth.method, "certificate") == 0;
        void *b = cert ? ops->create(t, &ic->dest) : password_backend(p);
        gw_pool_t *k = b ? kid_new(p, ic->name) : NULL;
        if (k) {
            k->d = &ic->dest;
            k->backend = b;
            k->owns_backend = cert;
        } else if (cert && b) {
            ops->destroy(b);
        }
        if (k == NULL || (!cert && kid_cred(k, ic->dest.auth.user, ic->dest.auth.secret,
                                            ic->dest.auth.alias_user) != 0)) {
            GW_LOGE("pool", "destination %s: cannot set up identity %s", d->name, ic->name);
            gw_pool_destroy(p);
            return NULL;
        }
    }
    p->start_task.fn = start_task;
    gw_transport_post(t, &p->start_task);
    return p;
}

struct gw_pool_tls {
    gw_tls_update_t *own;   /* the destination's backend (and its password identities') */
    gw_tls_update_t *plain; /* the password backend beside a certificate destination */
    size_t n;
    char **names; /* certificate identities */
    gw_tls_update_t **ups;
};

typedef struct {
    gw_task_t task;
    gw_pool_t *pool;
    char *secret;
    gw_pool_tls_t *tls;
    size_t nids;
    char **id_names, **id_secrets; /* the password identities' reloaded passwords */
} reload_t;

/* A configured password identity takes its reloaded password; every kid may log on again. */
static void reload_kids(gw_pool_t *p, reload_t *rl)
{
    for (gw_pool_t *k = p->kids; k; k = k->knext) {
        for (size_t i = 0; i < rl->nids && !k->passthrough; i++)
            if (k->cred.user && rl->id_names[i] && strcmp(rl->id_names[i], k->ident) == 0 &&
                rl->id_secrets[i]) {
                wipe_free((char *)(uintptr_t)k->cred.secret);
                k->cred.secret = rl->id_secrets[i];
                rl->id_secrets[i] = NULL;
            }
        k->logon_failed = 0;
        k->fails = 0;
        k->breaker = BR_CLOSED;
        k->retry_at_ms = 0;
        k->last_error[0] = '\0';
    }
    for (size_t i = 0; i < rl->nids; i++) {
        free(rl->id_names[i]);
        wipe_free(rl->id_secrets[i]);
    }
    free(rl->id_names);
    free(rl->id_secrets);
}

static void reload_task(gw_task_t *task)
{
    reload_t *rl = (reload_t *)task;
    gw_pool_t *p = rl->pool;
    if (rl->secret && p->ops->set_secret && p->ops->set_secret(p->backend, rl->secret) != 0)
        GW_LOGW("pool", "destination %s: cannot use the reloaded password", p->d->name);
    gw_pool_tls_t *u = rl->tls;
    if (u && p->ops->tls_apply) { /* new sessions: the new certificates and keys */
        if (u->own)
            p->ops->tls_apply(p->backend, u->own);
        if (u->plain && p->plain_backend)
            p->ops->tls_apply(p->plain_backend, u->plain);
        else
            gw_transport_tls_discard(u->plain);
        u->own = u->plain = NULL;
        for (size_t i = 0; i < u->n; i++)
            for (gw_pool_t *k = p->kids; k && u->ups[i]; k = k->knext)
                if (k->owns_backend && strcmp(k->ident, u->names[i]) == 0) {
                    p->ops->tls_apply(k->backend, u->ups[i]);
                    u->ups[i] = NULL;
                }
        GW_LOGI("pool", "destination %s: TLS certificates and keys reloaded", p->d->name);
    }
    gw_pool_tls_discard(u);
    if (p->logon_failed)
        GW_LOGI("pool", "destination %s: configuration reloaded; logon will be tried again",
                p->d->name);
    p->logon_failed = 0;
    p->fails = 0;
    p->breaker = BR_CLOSED;
    p->retry_at_ms = 0;
    p->last_error[0] = '\0';
    reload_kids(p, rl);
    wipe_free(rl->secret);
    free(rl);
    pump(p);
}

void gw_pool_tls_discard(gw_pool_tls_t *u)
{
    if (u == NULL)
        return;
    gw_transport_tls_discard(u->own);
    gw_transport_tls_discard(u->plain);
    for (size_t i = 0; i < u->n; i++) {
        gw_transport_tls_discard(u->ups[i]);
        free(u->names[i]);
    }
    free(u->names);
    free(u->ups);
    free(u);
}

gw_pool_tls_t *gw_pool_tls_prepare(gw_pool_t *p, const gw_dest_conf_t *d, char *why, size_t whysize,
                                   int *failed)
{
    *failed = 0;
    if (p->ops->tls_prepare == NULL)
        return NULL;
    gw_pool_tls_t *u = calloc(1, sizeof(*u));
    if (u)
        u->names = calloc(d->nidentities + 1, sizeof(*u->names));
    if (u)
        u->ups = calloc(d->nidentities + 1, sizeof(*u->ups));
    if (u == NULL || u->names == NULL || u->ups == NULL) {
        snprintf(why, whysize, "out of memory");
        *failed = 1;
        gw_pool_tls_discard(u);
        return NULL;
    }
    u->own = p->ops->tls_prepare(p->backend, d, why, whysize, failed);
    if (!*failed && strcmp(d->auth.method, "password") != 0) {
        gw_dest_conf_t plain = *d; /* what password_backend() makes of it */
        memset(&plain.auth, 0, sizeof(plain.auth));
        plain.auth.method = "password";
        u->plain = p->ops->tls_prepare(p->backend, &plain, why, whysize, failed);
    }
    for (size_t i = 0; !*failed && i < d->nidentities; i++) {
        const gw_ident_conf_t *ic = &d->identities[i];
        if (strcmp(ic->dest.auth.method, "certificate") != 0)
            continue;
        char w[300];
        u->ups[u->n] = p->ops->tls_prepare(p->backend, &ic->dest, w, sizeof(w), failed);
        u->names[u->n++] = strdup(ic->name);
        if (*failed)
            snprintf(why, whysize, "identity %s: %s", ic->name, w);
    }
    if (*failed) {
        gw_pool_tls_discard(u);
        return NULL;
    }
    return u;
}

void gw_pool_reload(gw_pool_t *p, const gw_dest_conf_t *nd, gw_pool_tls_t *tls)
{
    reload_t *rl = calloc(1, sizeof(*rl));
    size_t n = nd ? nd->nidentities : 0;
    if (rl)
        rl->id_names = calloc(n + 1, sizeof(char *));
    if (rl)
        rl->id_secrets = calloc(n + 1, sizeof(char *));
    if (rl == NULL || rl->id_names == NULL || rl->id_secrets == NULL) {
        if (rl) {
            free(rl->id_names);
            free(rl->id_secrets);
        }
        free(rl);
        gw_pool_tls_discard(tls);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const gw_ident_conf_t *ic = &nd->identities[i];
        rl->id_names[i] = strdup(ic->name);
        rl->id_secrets[i] = ic->dest.auth.secret ? strdup(ic->dest.auth.secret) : NULL;
        rl->nids++;
    }
    rl->pool = p;
    rl->tls = tls;
    rl->secret = nd && nd->auth.secret ? strdup(nd->auth.secret) : NULL;
    rl->task.fn = reload_task;
    gw_transport_post(p->t, &rl->task);
}

void gw_pool_shutdown(gw_pool_t *p)
{
    p->shutdown_task.fn = shutdown_task;
    gw_transport_post(p->t, &p->shutdown_task);
    pthread_mutex_lock(&p->lock);
    while (!p->shutdown_done)
        pthread_cond_wait(&p->cond, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void gw_pool_destroy(gw_pool_t *p)
{
    if (p == NULL)
        return;
    while (p->kids) /* after shutdown (or never started): no sessions, no timers */
        kid_free(p->kids);
    if (p->plain_backend)
        p->ops->destroy(p->plain_backend);
    p->ops->destroy(p->backend);
    gw_pool_desc_clear(p);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p);
}

void gw_pool_status(gw_pool_t *p, gw_pool_status_t *out)
{
    pthread_mutex_lock(&p->lock);
    *out = p->status;
    pthread_mutex_unlock(&p->lock);
}

void gw_pool_probe_note(gw_pool_t *p, int ok, const char *error)
{
    pthread_mutex_lock(&p->lock);
    p->status.probe_known = 1;
    p->status.probe_ok = ok;
    p->status.probe_at_ms = gw_now_ms();
    snprintf(p->status.probe_error, sizeof(p->status.probe_error), "%s", error ? error : "");
    pthread_mutex_unlock(&p->lock);
}

const gw_dest_conf_t *gw_pool_conf(const gw_pool_t *p)
{
    return p->d;
}

const char *gw_pool_name(const gw_pool_t *p)
{
    return p->d->name;
}

const gw_rfc_func_t *gw_desc_func(const gw_desc_t *d)
{
    return d->f;
}

void gw_desc_release(gw_desc_t *d)
{
    if (d && atomic_fetch_sub(&d->refs, 1) == 1) {
        gw_arena_free(&d->arena);
        free(d);
    }
}

/* Unlinks entries of `name` (or all when name.ptr is NULL) into `*out`; under the lock. */
static size_t unlink_descs(gw_pool_t *p, gw_slice_t name, int only_expired, gw_desc_t **out)
{
    size_t n = 0;
    int64_t now = gw_now_ms();
    gw_desc_t **pp = &p->descs;
    while (*pp) {
        gw_desc_t *d = *pp;
        int match = name.ptr == NULL || gw_slice_eq(d->f->name, name);
        if (match && (!only_expired || d->expires_ms <= now)) {
            *pp = d->next;
            d->next = *out;
            *out = d;
            n++;
        } else {
            pp = &d->next;
        }
    }
    return n;
}

static void release_list(gw_desc_t *d)
{
    while (d) {
        gw_desc_t *next = d->next;
        gw_desc_release(d);
        d = next;
    }
}

gw_desc_t *gw_pool_desc_get(gw_pool_t *p, gw_slice_t function)
{
    gw_desc_t *found = NULL, *expired = NULL;
    pthread_mutex_lock(&p->lock);
    unlink_descs(p, function, 1, &expired);
    for (gw_desc_t *d = p->descs; d && !found; d = d->next)
        if (gw_slice_eq(d->f->name, function)) {
            found = d;
            atomic_fetch_add(&d->refs, 1);
        }
    pthread_mutex_unlock(&p->lock);
    release_list(expired);
    return found;
}

gw_desc_t *gw_pool_desc_put(gw_pool_t *p, const gw_rfc_func_t *f)
{
    gw_desc_t *d = calloc(1, sizeof(*d)), *old = NULL;
    if (d == NULL)
        return NULL;
    gw_arena_init(&d->arena, 0);
    d->f = gw_rfc_func_dup(&d->arena, f);
    if (d->f == NULL) {
        gw_arena_free(&d->arena);
        free(d);
        return NULL;
    }
    d->expires_ms = gw_now_ms() + (int64_t)p->d->metadata_ttl_s * 1000;
    atomic_init(&d->refs, 2); /* the cache's and the caller's */
    pthread_mutex_lock(&p->lock);
    unlink_descs(p, f->name, 0, &old);
    d->next = p->descs;
    p->descs = d;
    pthread_mutex_unlock(&p->lock);
    release_list(old);
    return d;
}

size_t gw_pool_desc_clear(gw_pool_t *p)
{
    gw_desc_t *old = NULL;
    pthread_mutex_lock(&p->lock);
    size_t n = unlink_descs(p, (gw_slice_t){NULL, 0}, 0, &old);
    pthread_mutex_unlock(&p->lock);
    release_list(old);
    return n;
}

gw_pool_t *gw_pool_of(const gw_config_t *cfg, gw_pool_t *const *pools, const char *name)
{
    for (size_t i = 0; i < cfg->ndests; i++)
        if (strcmp(cfg->dests[i].name, name) == 0)
            return pools[i];
    return NULL;
}
