/* work: background threads for CPU-heavy steps (see work.h). */
#include "work/work.h"
#include "log/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct gw_workers {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    gw_work_t *head, *tail;
    int stopping;
    int nice;
    int n;
    pthread_t *threads;
};

static void *worker_main(void *arg)
{
    gw_workers_t *ws = arg;
    pthread_setname_np(pthread_self(), "rfmgw-convert");
    /* per-thread nice: Linux applies setpriority() to a thread id */
    if (ws->nice > 0) { /* relative to the thread that started us (work.h) */
        id_t tid = (id_t)syscall(SYS_gettid);
        int want = getpriority(PRIO_PROCESS, tid) + ws->nice;
        if (setpriority(PRIO_PROCESS, tid, want > 19 ? 19 : want) != 0)
            GW_LOGD("work", "cannot lower the priority of a work thread");
    }
    pthread_mutex_lock(&ws->mu);
    for (;;) {
        while (ws->head == NULL && !ws->stopping)
            pthread_cond_wait(&ws->cv, &ws->mu);
        gw_work_t *w = ws->head;
        if (w == NULL)
            break; /* stopping, and nothing left */
        ws->head = w->next;
        if (ws->head == NULL)
            ws->tail = NULL;
        pthread_mutex_unlock(&ws->mu);
        w->run(w);
        pthread_mutex_lock(&ws->mu);
    }
    pthread_mutex_unlock(&ws->mu);
    return NULL;
}

gw_workers_t *gw_workers_start(int n, int nice)
{
    gw_workers_t *ws = calloc(1, sizeof(*ws));
    if (ws == NULL || n < 1 || n > 64 ||
        (ws->threads = calloc((size_t)n, sizeof(pthread_t))) == NULL) {
        free(ws);
        GW_LOGE("work", "cannot start %d work threads", n);
        return NULL;
    }
    pthread_mutex_init(&ws->mu, NULL);
    pthread_cond_init(&ws->cv, NULL);
    ws->nice = nice;
    for (; ws->n < n; ws->n++)
        if (pthread_create(&ws->threads[ws->n], NULL, worker_main, ws) != 0) {
            GW_LOGE("work", "cannot start work thread %d", ws->n + 1);
            gw_workers_stop(ws);
            return NULL;
        }
    return ws;
}

void gw_workers_submit(gw_workers_t *ws, gw_work_t *w)
{
    w->next = NULL;
    pthread_mutex_lock(&ws->mu);
    if (ws->tail)
        ws->tail->next = w;
    else
        ws->head = w;
    ws->tail = w;
    pthread_cond_signal(&ws->cv);
    pthread_mutex_unlock(&ws->mu);
}

void gw_workers_stop(gw_workers_t *ws)
{
    if (ws == NULL)
        return;
    pthread_mutex_lock(&ws->mu);
    ws->stopping = 1;
    pthread_cond_broadcast(&ws->cv);
    pthread_mutex_unlock(&ws->mu);
    for (int i = 0; i < ws->n; i++)
        pthread_join(ws->threads[i], NULL);
    pthread_cond_destroy(&ws->cv);
    pthread_mutex_destroy(&ws->mu);
    free(ws->threads);
    free(ws);
}
