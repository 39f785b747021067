/*
 * metrics: one mutex-protected table of routes, each with its counts per
 * status and a duration histogram, plus three phase histograms. Prometheus
 * histograms are cumulative: the writer sums the buckets while printing.
 */
#include "metrics/metrics.h"
#include "error/error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS   (sizeof(bounds) / sizeof(bounds[0]) + 1) /* the last is +Inf */
#define MAX_STATUS 16

typedef struct {
    uint64_t buckets[NBUCKETS];
    uint64_t count;
    double sum;
} hist_t;

typedef struct {
    char *name;
    int status[MAX_STATUS];
    uint64_t count[MAX_STATUS];
    hist_t duration;
} route_t;

struct gw_metrics {
    pthread_mutex_t lock;
    route_t routes[GW_METRICS_MAX_ROUTES + 1]; /* the last is "other" */
    size_t nroutes;
    hist_t phase[3]; /* queue, backend, serialize */
};

static const char *const phase_names[] = {"queue", "backend", "serialize"};

gw_metrics_t *gw_metrics_create(void)
{
    gw_metrics_t *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    m->routes[GW_METRICS_MAX_ROUTES].name = "other";
    return m;
}

void gw_metrics_destroy(gw_metrics_t *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nroutes; i++)
        free(m->routes[i].name);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static void observe(hist_t *h, double v)
{
    size_t i = 0;
    while (i < NBUCKETS - 1 && v > bounds[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum += v;
}

static route_t *route_of(gw_metrics_t *m, const char *name)
{
    for (size_t i = 0; i < m->nroutes; i++)
        if (strcmp(m->routes[i].name, name) == 0)
            return &m->routes[i];
    if (m->nroutes < GW_METRICS_MAX_ROUTES) {
        char *copy = strdup(name);
        if (copy) {
            m->routes[m->nroutes].name = copy;
            return &m->routes[m->nroutes++];
        }
    }
    return &m->routes[GW_METRICS_MAX_ROUTES];
}

void gw_metrics_request(gw_metrics_t *m, const char *route, int status, const gw_metrics_times_t *t)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    route_t *r = route_of(m, route);
    int k = 0;
    while (k < MAX_STATUS - 1 && r->status[k] && r->status[k] != status)
        k++;
    r->status[k] = status; /* a 16th distinct status shares the last slot */
    r->count[k]++;
    observe(&r->duration, t->total);
    const double phases[3] = {t->queue, t->backend, t->serialize};
    for (int i = 0; i < 3; i++)
        if (phases[i] >= 0)
            observe(&m->phase[i], phases[i]);
    pthread_mutex_unlock(&m->lock);
}

/* A label value with \, " and newlines escaped, as the text format wants. */
static void put_label(gw_buf_t *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            gw_buf_append(out, "\\", 1);
        if (*v == '\n') {
            gw_buf_append(out, "\\n", 2);
            continue;
        }
        gw_buf_append(out, v, 1);
    }
}

static void put_hist(gw_buf_t *out, const char *name, const char *label, const char *value,
                     const hist_t *h)
{
    uint64_t cum = 0;
    for (size_t i = 0; i < NBUCKETS; i++) {
        cum += h->buckets[i];
        gw_buf_printf(out, "%s_bucket{%s=\"", name, label);
        put_label(out, value);
        if (i < NBUCKETS - 1)
            gw_buf_printf(out, "\",le=\"%g\"} %llu\n", bounds[i], (unsigned long long)cum);
        else
            gw_buf_printf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    gw_buf_printf(out, "%s_sum{%s=\"", name, label);
    put_label(out, value);
    gw_buf_printf(out, "\"} %.9g\n%s_count{%s=\"", h->sum, name, label);
    put_label(out, value);
    gw_buf_printf(out, "\"} %llu\n", (unsigned long long)h->count);
}

int gw_metrics_write(gw_metrics_t *m, gw_buf_t *out)
{
    pthread_mutex_lock(&m->lock);
    gw_buf_printf(out, "# HELP rfmgw_http_requests_total HTTP requests answered, by route and "
                       "status.\n# TYPE rfmgw_http_requests_total counter\n");
    for (size_t i = 0; i <= GW_METRICS_MAX_ROUTES; i++) {
        route_t *r = &m->routes[i];
        if (i == m->nroutes)
            i = GW_METRICS_MAX_ROUTES, r = &m->routes[i];
        for (int k = 0; k < MAX_STATUS && r->status[k]; k++) {
            gw_buf_printf(out, "rfmgw_http_requests_total{route=\"");
            put_label(out, r->name);
            gw_buf_printf(out, "\",status=\"%d\"} %llu\n", r->status[k],
                          (unsigned long long)r->count[k]);
        }
    }
    gw_buf_printf(out, "# HELP rfmgw_http_request_duration_seconds Time from a request's arrival "
                       "to its answer, by route.\n"
                       "# TYPE rfmgw_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= GW_METRICS_MAX_ROUTES; i++) {
        if (i == m->nroutes)
            i = GW_METRICS_MAX_ROUTES;
        if (m->routes[i].duration.count)
            put_hist(out, "rfmgw_http_request_duration_seconds", "route", m->routes[i].name,
                     &m->routes[i].duration);
    }
    gw_buf_printf(out, "# HELP rfmgw_request_phase_seconds Time of a request's phases: queue "
                       "(waiting for a backend session), backend (the call), serialize (the "
                       "answer).\n# TYPE rfmgw_request_phase_seconds histogram\n");
    for (int i = 0; i < 3; i++)
        put_hist(out, "rfmgw_request_phase_seconds", "phase", phase_names[i], &m->phase[i]);
    pthread_mutex_unlock(&m->lock);
    return out->failed;
}
