/* verify: routes against the backends' metadata (see verify.h). */
#include "verify/verify.h"
#include "error/error.h"
#include "log/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    gw_job_t job;
    gw_arena_t arena;
    gw_pool_t *pool;
    const char *function;
    gw_desc_t *desc; /* after the answer: a cache reference, or NULL */
    struct waiter *w;
} probe_t;

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t pending;
} waiter_t;

static void probe_done(gw_job_t *job)
{
    probe_t *p = (probe_t *)job;
    if (job->err == 0 && job->desc)
        p->desc = gw_pool_desc_put(p->pool, job->desc);
    pthread_mutex_lock(&p->w->mu);
    p->w->pending--;
    pthread_cond_signal(&p->w->cv);
    pthread_mutex_unlock(&p->w->mu);
}

void gw_verify_routes(const gw_config_t *cfg, const gw_route_table_t *t, gw_pool_t **pools,
                      int timeout_ms, gw_verify_result_t *res, gw_buf_t *problems)
{
    memset(res, 0, sizeof(*res));
    probe_t *probes = calloc(t->n + 1, sizeof(*probes));
    size_t *of = calloc(t->n + 1, sizeof(*of)); /* route → its probe */
    if (probes == NULL || of == NULL) {
        free(probes);
        free(of);
        GW_LOGE("verify", "out of memory checking the routes");
        return;
    }
    waiter_t w;
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    w.pending = 0;
    size_t np = 0;
    for (size_t i = 0; i < t->n; i++) { /* one probe per destination + function */
        const gw_route_t *r = &t->routes[i];
        gw_pool_t *pool = gw_pool_of(cfg, pools, r->destination);
        size_t k;
        for (k = 0; k < np; k++)
            if (strcmp(probes[k].function, r->function) == 0 && probes[k].pool == pool)
                break;
        of[i] = k;
        if (k == np) {
            probes[np].pool = pool;
            probes[np].function = r->function;
            probes[np++].w = &w;
        }
    }
    /*
     * One DESCRIBE at a time, so the check needs one backend session; after
     * a destination failed (unreachable, logon) its other functions are not tried.
     */
    for (size_t k = 0; k < np; k++) {
        probe_t *p = &probes[k];
        if (p->pool == NULL || (p->desc = gw_pool_desc_get(p->pool, gw_slice(p->function))))
            continue;
        const probe_t *failed = NULL;
        for (size_t j = 0; j < k && !failed; j++)
            if (probes[j].pool == p->pool && probes[j].desc == NULL &&
                probes[j].job.err != GW_EFUNCNOTFOUND)
                failed = &probes[j];
        if (failed) {
            snprintf(p->job.detail, sizeof(p->job.detail), "%s", failed->job.detail);
            p->job.err = failed->job.err;
            continue;
        }
        gw_arena_init(&p->arena, 0);
        p->job.kind = GW_JOB_DESCRIBE;
        p->job.function = gw_slice(p->function);
        p->job.deadline_ms = gw_now_ms() + timeout_ms;
        p->job.arena = &p->arena;
        p->job.done = probe_done;
        w.pending = 1;
        gw_pool_submit(p->pool, &p->job);
        /* the pool answers every job by its deadline */
        pthread_mutex_lock(&w.mu);
        while (w.pending > 0)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
    }

    for (size_t k = 0; k < np; k++)
        if (probes[k].pool && probes[k].desc == NULL && probes[k].job.err != GW_EFUNCNOTFOUND)
            GW_LOGW("verify",
                    "%s on %s: no metadata (%s); its routes are checked on their first call",
                    probes[k].function, gw_pool_name(probes[k].pool),
                    probes[k].job.detail[0] ? probes[k].job.detail : "not described");
    char why[2048];
    for (size_t i = 0; i < t->n; i++) {
        const probe_t *p = &probes[of[i]];
        const gw_route_t *r = &t->routes[i];
        if (p->desc == NULL && p->job.err == GW_EFUNCNOTFOUND) {
            res->checked++;
            res->bad++;
            snprintf(why, sizeof(why), "%s:%d: %s %s: destination %s has no function %s", r->file,
                     r->line, r->method, r->path, r->destination, r->function);
            if (problems)
                gw_buf_printf(problems, "%s\n", why);
            else
                GW_LOGE("verify", "%s", why);
            continue;
        }
        if (p->desc == NULL) {
            res->unchecked++;
            continue;
        }
        res->checked++;
        if (gw_route_check(&t->routes[i], gw_desc_func(p->desc), why, sizeof(why)) == 0)
            continue;
        res->bad++;
        if (problems)
            gw_buf_printf(problems, "%s\n", why);
        else
            GW_LOGE("verify", "%s", why);
    }
    for (size_t k = 0; k < np; k++) {
        gw_desc_release(probes[k].desc);
        gw_arena_free(&probes[k].arena);
    }
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    free(probes);
    free(of);
}
