/*
 * metrics: one mutex-protected table of routes, each with its counts per
 * status and a duration histogram, plus three phase histograms. Prometheus
 * histograms are cumulative: the writer sums the buckets while printing.
 */
#include "metrics/metrics.h"
#include "error/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    hist_t phase[3];          /* queue, backend, serialize */
    uint64_t reloads[2];      /* failure, success */
    int64_t last_reload_ok_s; /* start, then the last applied reload */
    struct {
        char destination[64];
        char kind[80]; /* ca, client, client:IDENTITY, server, listener */
        int64_t not_after;
    } certs[GW_METRICS_MAX_CERTS];
    size_t ncerts;
};

static const char *const phase_names[] = {"queue", "backend", "serialize"};

gw_metrics_t *gw_metrics_create(void)
{
    gw_metrics_t *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    m->routes[GW_METRICS_MAX_ROUTES].name = "other";
    m->last_reload_ok_s = (int64_t)time(NULL);
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

void gw_metrics_reload(gw_metrics_t *m, int ok)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    m->reloads[ok ? 1 : 0]++;
    if (ok)
        m->last_reload_ok_s = (int64_t)time(NULL);
    pthread_mutex_unlock(&m->lock);
}

void gw_metrics_cert(gw_metrics_t *m, const char *destination, const char *kind, int64_t not_after)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    size_t i = 0;
    while (i < m->ncerts && !(strcmp(m->certs[i].destination, destination) == 0 &&
                              strcmp(m->certs[i].kind, kind) == 0))
        i++;
    if (i == m->ncerts && i < GW_METRICS_MAX_CERTS && not_after) {
        snprintf(m->certs[i].destination, sizeof(m->certs[i].destination), "%s", destination);
        snprintf(m->certs[i].kind, sizeof(m->certs[i].kind), "%s", kind);
        m->ncerts++;
    }
    if (i < m->ncerts)
        m->certs[i].not_after = not_after;
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
    gw_buf_printf(out,
                  "# HELP rfmgw_config_reloads_total Configuration reloads (SIGHUP), by result.\n"
                  "# TYPE rfmgw_config_reloads_total counter\n"
                  "rfmgw_config_reloads_total{result=\"success\"} %llu\n"
                  "rfmgw_config_reloads_total{result=\"failure\"} %llu\n"
                  "# HELP rfmgw_config_last_reload_success_timestamp_seconds When the running "
                  "configuration was loaded (start or the last applied reload).\n"
                  "# TYPE rfmgw_config_last_reload_success_timestamp_seconds gauge\n"
                  "rfmgw_config_last_reload_success_timestamp_seconds %lld\n",
                  (unsigned long long)m->reloads[1], (unsigned long long)m->reloads[0],
                  (long long)m->last_reload_ok_s);
    gw_buf_printf(out, "# HELP rfmgw_certificate_expiry_timestamp_seconds When a certificate a "
                       "destination uses expires (notAfter): ca, client, server.\n"
                       "# TYPE rfmgw_certificate_expiry_timestamp_seconds gauge\n");
    for (size_t i = 0; i < m->ncerts; i++) {
        if (m->certs[i].not_after == 0)
            continue;
        gw_buf_printf(out, "rfmgw_certificate_expiry_timestamp_seconds{destination=\"");
        put_label(out, m->certs[i].destination);
        gw_buf_printf(out, "\",certificate=\"%s\"} %lld\n", m->certs[i].kind,
                      (long long)m->certs[i].not_after);
    }
    pthread_mutex_unlock(&m->lock);
    return out->failed;
}
