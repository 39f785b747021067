/*
 * sim_worker: a fixed pool of threads that run abapsim's slow work (RFM
 * handlers, PBKDF2 password checks) off the libwebsockets thread.
 *
 * Two FIFO lists under one mutex: work to do, and work done. A worker takes
 * from the first, runs it, appends it to the second and calls `notify`
 * (lws_cancel_service), so the lws thread picks results up in
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED. The pool knows nothing about sessions:
 * ordering within a session is the server's business (it submits at most
 * one request per session at a time).
 */
#include "sim/sim_server_internal.h"
#include "error/error.h"
#include "log/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *worker_main(void *arg)
{
    sim_pool_t *p = arg;
    pthread_setname_np(pthread_self(), p->nice > 0 ? "abapsim-bulk" : "abapsim-worker");
    /* Linux applies setpriority() to one thread when given its thread id */
    if (p->nice > 0) {
        id_t tid = (id_t)syscall(SYS_gettid);
        int want = getpriority(PRIO_PROCESS, tid) + p->nice;
        if (setpriority(PRIO_PROCESS, tid, want > 19 ? 19 : want) != 0)
            GW_LOGW("abapsim", "cannot lower a worker's priority: %s", strerror(errno));
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stopping && p->todo_head == NULL)
            pthread_cond_wait(&p->cond, &p->mu);
        if (p->todo_head == NULL)
            break; /* stopping and nothing left that already started */
        if (p->stopping)
            break;
        sim_work_t *w = p->todo_head;
        p->todo_head = w->next;
        if (p->todo_head == NULL)
            p->todo_tail = NULL;
        pthread_mutex_unlock(&p->mu);

        w->next = NULL;
        w->run(w);

        pthread_mutex_lock(&p->mu);
        if (p->done_tail)
            p->done_tail->next = w;
        else
            p->done_head = w;
        p->done_tail = w;
        pthread_mutex_unlock(&p->mu);
        p->notify(p->notify_arg);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int sim__pool_start(sim_pool_t *p, size_t n, int nice, void (*notify)(void *), void *arg)
{
    memset(p, 0, sizeof(*p));
    p->nice = nice;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->notify = notify;
    p->notify_arg = arg;
    p->threads = calloc(n, sizeof(*p->threads));
    if (p->threads == NULL)
        goto fail;
    for (; p->nthreads < n; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker_main, p) != 0)
            goto fail;
    return 0;
fail:
    sim__pool_stop(p);
    return GW_ENOMEM;
}

void sim__pool_submit(sim_pool_t *p, sim_work_t *w)
{
    w->next = NULL;
    w->cancelled = 0;
    pthread_mutex_lock(&p->mu);
    if (p->todo_tail)
        p->todo_tail->next = w;
    else
        p->todo_head = w;
    p->todo_tail = w;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
}

sim_work_t *sim__pool_take_done(sim_pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    sim_work_t *w = p->done_head;
    p->done_head = p->done_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    return w;
}

void sim__pool_stop(sim_pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    p->threads = NULL;
    p->nthreads = 0;
    /* what never ran goes to the done list, marked, for the caller to free */
    pthread_mutex_lock(&p->mu);
    for (sim_work_t *w = p->todo_head; w; w = w->next)
        w->cancelled = 1;
    if (p->todo_head) {
        if (p->done_tail)
            p->done_tail->next = p->todo_head;
        else
            p->done_head = p->todo_head;
        p->done_tail = p->todo_tail;
    }
    p->todo_head = p->todo_tail = NULL;
    pthread_mutex_unlock(&p->mu);
}
