/*
 * pool: sessions of one destination on the loop thread.
 *
 * Sessions live in one list with a state each (opening, idle, busy).
 * pump() is the only place that matches queued jobs with idle sessions and
 * decides to open new ones; every event (submit, session ready, job done,
 * session dead, deadline) ends by calling it.
 */
#include "pool/pool.h"
#include "error/error.h"
#include "log/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { PS_OPENING, PS_IDLE, PS_BUSY };

typedef struct slot {
    struct slot *next;
    gw_pool_t *pool;
    gw_bsession_t *s;
    int state;
    gw_job_t *job;
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
    slot_t *slots;
    int nslots, nopening;
    gw_job_t *q_head, *q_tail;
    int qlen;
    int logon_failed;
    char logon_reason[256];
    int shutting;
    /* shutdown hand-shake */
    gw_task_t shutdown_task;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int shutdown_done;
    /* metadata cache, guarded by `lock`; the list holds one reference per entry */
    gw_desc_t *descs;
};

static void pump(gw_pool_t *p);

static void complete(gw_pool_t *p, gw_job_t *job)
{
    (void)p;
    gw_timer_stop(&job->timer);
    job->session = NULL;
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
    if (sl->state == PS_OPENING)
        p->nopening--;
    free(sl);
}

static void fail_queue(gw_pool_t *p, int err, const char *reason, const gw_rfc_error_t *rfc)
{
    while (p->q_head) {
        gw_job_t *job = p->q_head;
        queue_remove(p, job);
        gw_job_fail(job, err, "%s", reason);
        (void)rfc;
        complete(p, job);
    }
}

static void on_ready(gw_bsession_t *s, void *ud)
{
    slot_t *sl = ud;
    gw_pool_t *p = sl->pool;
    (void)s;
    sl->state = PS_IDLE;
    p->nopening--;
    pump(p);
}

static void on_done(gw_bsession_t *s, void *ud, gw_job_t *job)
{
    slot_t *sl = ud;
    gw_pool_t *p = sl->pool;
    (void)s;
    sl->job = NULL;
    sl->state = PS_IDLE;
    complete(p, job);
    pump(p);
}

static void on_dead(gw_bsession_t *s, void *ud, int err, const char *reason,
                    const gw_rfc_error_t *rfc)
{
    slot_t *sl = ud;
    gw_pool_t *p = sl->pool;
    gw_job_t *job = sl->job;
    int was_opening = sl->state == PS_OPENING;
    (void)s;
    slot_remove(p, sl);
    if (err == GW_ELOGON) {
        /* Never retry a logon failure: retries lock the communication user. */
        p->logon_failed = 1;
        snprintf(p->logon_reason, sizeof(p->logon_reason), "%s", reason);
        GW_LOGE("pool",
                "destination %s: logon failed (%s); not retrying until rfmgw is restarted "
                "with a corrected configuration",
                p->d->name, reason);
    } else {
        GW_LOGW("pool", "destination %s: connection %s: %s", p->d->name,
                was_opening ? "failed" : "lost", reason);
    }
    if (job) {
        gw_job_fail(job, err == GW_EPROTO || err == GW_ETLS || err == GW_ELOGON ? err : GW_ECOMM,
                    "connection to the backend lost during the call: %s", reason);
        complete(p, job);
    }
    /* With nothing left that could serve the queue, fail it now rather than at the deadline. */
    if (p->logon_failed || (was_opening && p->nslots == 0))
        fail_queue(p, p->logon_failed ? GW_ELOGON : err, reason, rfc);
    pump(p);
}

static const gw_bsession_cbs_t session_cbs = {on_ready, on_done, on_dead};

static void open_one(gw_pool_t *p)
{
    slot_t *sl = calloc(1, sizeof(*sl));
    if (sl == NULL)
        return;
    sl->pool = p;
    sl->state = PS_OPENING;
    sl->next = p->slots;
    p->slots = sl;
    p->nslots++;
    p->nopening++;
    sl->s = p->ops->open(p->backend, &session_cbs, sl);
    if (sl->s == NULL)
        slot_remove(p, sl);
}

static void pump(gw_pool_t *p)
{
    while (p->q_head) {
        slot_t *idle = NULL;
        for (slot_t *sl = p->slots; sl && !idle; sl = sl->next)
            if (sl->state == PS_IDLE)
                idle = sl;
        if (idle == NULL)
            break;
        gw_job_t *job = p->q_head;
        queue_remove(p, job);
        int ret = p->ops->start(idle->s, job);
        if (ret != 0) {
            gw_job_fail(job, ret, "cannot send the request: %s", gw_strerror(ret));
            complete(p, job);
            continue;
        }
        idle->state = PS_BUSY;
        idle->job = job;
        job->session = idle;
    }
    /* Open connections for waiting jobs, up to the cap. */
    while (!p->shutting && !p->logon_failed && p->qlen > p->nopening && p->nslots < p->d->pool.max)
        open_one(p);
}

static void on_deadline(gw_timer_t *tm)
{
    gw_job_t *job = (gw_job_t *)((char *)tm - offsetof(gw_job_t, timer));
    gw_pool_t *p = job->pool;
    slot_t *sl = job->session;
    if (sl) {
        /* The late answer must never reach another caller: drop the session. */
        sl->job = NULL;
        p->ops->close(sl->s);
        slot_remove(p, sl);
        gw_job_fail(job, GW_ETIMEOUT, "the backend did not answer within %d ms",
                    p->d->call_timeout_ms);
    } else {
        queue_remove(p, job);
        gw_job_fail(job, GW_ETIMEOUT, "no backend connection became available within %d ms",
                    p->d->call_timeout_ms);
    }
    complete(p, job);
    pump(p);
}

static void submit_task(gw_task_t *task)
{
    gw_job_t *job = (gw_job_t *)((char *)task - offsetof(gw_job_t, task));
    gw_pool_t *p = job->pool;
    if (p->shutting) {
        gw_job_fail(job, GW_ESHUTDOWN, "rfmgw is shutting down");
        complete(p, job);
        return;
    }
    if (p->logon_failed) {
        gw_job_fail(job, GW_ELOGON, "%s (not retried: a retry could lock the user)",
                    p->logon_reason);
        complete(p, job);
        return;
    }
    if (p->qlen >= p->d->pool.queue_max) {
        gw_job_fail(job, GW_ECAPACITY, "all %d connections are busy and %d requests are waiting",
                    p->d->pool.max, p->qlen);
        complete(p, job);
        return;
    }
    job->qnext = NULL;
    if (p->q_tail)
        p->q_tail->qnext = job;
    else
        p->q_head = job;
    p->q_tail = job;
    p->qlen++;
    int64_t left = job->deadline_ms - gw_now_ms();
    gw_timer_start(p->t, &job->timer, left > 0 ? left : 0, on_deadline);
    pump(p);
}

void gw_pool_submit(gw_pool_t *p, gw_job_t *job)
{
    job->pool = p;
    job->session = NULL;
    job->err = 0;
    job->detail[0] = '\0';
    memset(&job->timer, 0, sizeof(job->timer));
    job->task.fn = submit_task;
    gw_transport_post(p->t, &job->task);
}

static void shutdown_task(gw_task_t *task)
{
    gw_pool_t *p = (gw_pool_t *)((char *)task - offsetof(gw_pool_t, shutdown_task));
    p->shutting = 1;
    fail_queue(p, GW_ESHUTDOWN, "rfmgw is shutting down", NULL);
    while (p->slots) {
        slot_t *sl = p->slots;
        gw_job_t *job = sl->job;
        p->ops->close(sl->s);
        slot_remove(p, sl);
        if (job) {
            gw_job_fail(job, GW_ESHUTDOWN, "rfmgw is shutting down");
            complete(p, job);
        }
    }
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
    p->backend = ops->create(t, d);
    if (p->backend == NULL) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    return p;
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
    p->ops->destroy(p->backend);
    gw_pool_desc_clear(p);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p);
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
