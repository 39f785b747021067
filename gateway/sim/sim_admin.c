/*
 * sim_admin: abapsim's admin HTTP endpoint, for tests that switch faults at
 * run time and read statistics.
 *
 *   GET  /faults          current fault settings (JSON)
 *   PUT  /faults          JSON object setting any subset (sim_faults_apply_json)
 *   POST /faults/reset    back to the configuration's values
 *   POST /close-all       close every session (and held black-hole sockets) now
 *   GET  /stats           sessions now/peak, logons, calls, per-RFM calls, locked users
 *
 * libmicrohttpd with its own polling thread: requests are tiny and rare, and
 * everything they touch is in sim_shared_t under its mutex. Actions for the
 * lws thread (close-all) are flags plus a wake-up. It binds to a loopback
 * address (checked at load) and refuses peers that are not loopback.
 */
#include "sim/sim_server_internal.h"
#include "error/error.h"
#include "log/log.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD      "admin"
#define MAX_BODY (64 * 1024)

struct sim_admin {
    struct MHD_Daemon *d;
    sim_shared_t *sh;
};

typedef struct {
    char *body;
    size_t len;
    int too_big;
} req_t;

char *sim__stats_json(sim_shared_t *sh)
{
    json_t *o = json_object(), *rfms = json_object(), *locked = json_array();
    char *s = NULL;
    if (!o || !rfms || !locked)
        goto cleanup;
    pthread_mutex_lock(&sh->mu);
    json_object_set_new(o, "sessions", json_integer((json_int_t)sh->sessions_now));
    json_object_set_new(o, "sessions_peak", json_integer((json_int_t)sh->sessions_peak));
    json_object_set_new(o, "logons_ok", json_integer((json_int_t)sh->logons_ok));
    json_object_set_new(o, "logons_failed", json_integer((json_int_t)sh->logons_failed));
    json_object_set_new(o, "calls", json_integer((json_int_t)sh->calls));
    json_object_set_new(o, "calls_failed", json_integer((json_int_t)sh->calls_failed));
    for (size_t i = 0; sh->rfm_calls && i < sim_rfm_count(); i++)
        if (sh->rfm_calls[i])
            json_object_set_new(rfms, sim_rfm_at(i)->desc.name.ptr,
                                json_integer((json_int_t)sh->rfm_calls[i]));
    for (size_t i = 0; i < sh->lockout.nusers; i++)
        if (sh->lockout.locked[i])
            json_array_append_new(locked, json_string(sh->cfg->users[i].name));
    json_object_set_new(o, "refused_session_limit", json_integer((json_int_t)sh->refused_limit));
    json_object_set_new(o, "refused_fault", json_integer((json_int_t)sh->refused_fault));
    json_object_set_new(o, "black_holed", json_integer((json_int_t)sh->black_holed));
    json_object_set_new(o, "dropped", json_integer((json_int_t)sh->dropped));
    json_object_set_new(o, "result_parts", json_integer((json_int_t)sh->result_parts));
    pthread_mutex_unlock(&sh->mu);
    json_object_set(o, "rfm_calls", rfms);
    json_object_set(o, "locked_users", locked);
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
cleanup:
    json_decref(rfms);
    json_decref(locked);
    json_decref(o);
    return s;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *json)
{
    if (json == NULL) {
        status = 500;
        json = strdup("{\"error\":\"out of memory\"}");
        if (json == NULL)
            return MHD_NO;
    }
    size_t n = strlen(json);
    json[n] = '\0';
    struct MHD_Response *r = MHD_create_response_from_buffer(n, json, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(json);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static char *error_json(const char *msg)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static char *faults_json(sim_shared_t *sh)
{
    pthread_mutex_lock(&sh->mu);
    sim_faults_t f = sh->faults;
    pthread_mutex_unlock(&sh->mu);
    return sim_faults_to_json(&f);
}

static void faults_changed(sim_shared_t *sh)
{
    /* called with sh->mu held: the listener re-checks held connections */
    if (sh->listener)
        sim__listener_release(sh->listener);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_size, void **con_cls)
{
    struct sim_admin *a = cls;
    sim_shared_t *sh = a->sh;
    req_t *rq = *con_cls;
    (void)version;

    if (rq == NULL) {
        if ((rq = calloc(1, sizeof(*rq))) == NULL)
            return MHD_NO;
        *con_cls = rq;
        return MHD_YES;
    }
    if (*data_size) {
        if (rq->len + *data_size > MAX_BODY)
            rq->too_big = 1;
        else {
            char *n = realloc(rq->body, rq->len + *data_size + 1);
            if (n == NULL)
                return MHD_NO;
            memcpy(n + rq->len, data, *data_size);
            rq->body = n;
            rq->len += *data_size;
        }
        *data_size = 0;
        return MHD_YES;
    }

    int get = strcmp(method, "GET") == 0, put = strcmp(method, "PUT") == 0,
        post = strcmp(method, "POST") == 0;
    if (strcmp(url, "/faults") == 0 && get)
        return reply(c, 200, faults_json(sh));
    if (strcmp(url, "/faults") == 0 && put) {
        char err[300];
        if (rq->too_big)
            return reply(c, 413, error_json("body too large"));
        pthread_mutex_lock(&sh->mu);
        int ret =
            sim_faults_apply_json(&sh->faults, rq->body ? rq->body : "", rq->len, err, sizeof(err));
        if (ret == 0)
            faults_changed(sh);
        pthread_mutex_unlock(&sh->mu);
        if (ret != 0)
            return reply(c, 400, error_json(err));
        GW_LOGI(MOD, "faults set: %.*s", (int)(rq->len > 500 ? 500 : rq->len), rq->body);
        return reply(c, 200, faults_json(sh));
    }
    if (strcmp(url, "/faults/reset") == 0 && post) {
        pthread_mutex_lock(&sh->mu);
        sim_faults_from_config(&sh->faults, sh->cfg);
        faults_changed(sh);
        pthread_mutex_unlock(&sh->mu);
        GW_LOGI(MOD, "faults reset to the configuration");
        return reply(c, 200, faults_json(sh));
    }
    if (strcmp(url, "/close-all") == 0 && post) {
        pthread_mutex_lock(&sh->mu);
        sh->close_all = 1;
        if (sh->listener)
            sim__listener_release(sh->listener);
        pthread_mutex_unlock(&sh->mu);
        sh->wake(sh->wake_arg);
        GW_LOGI(MOD, "closing every connection");
        return reply(c, 200, strdup("{\"closing\":true}"));
    }
    if (strcmp(url, "/stats") == 0 && get)
        return reply(c, 200, sim__stats_json(sh));
    if (strcmp(url, "/faults") == 0 || strcmp(url, "/faults/reset") == 0 ||
        strcmp(url, "/close-all") == 0 || strcmp(url, "/stats") == 0)
        return reply(c, 405, error_json("method not allowed"));
    return reply(c, 404, error_json("no such resource"));
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_t *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
    }
    *con_cls = NULL;
}

static enum MHD_Result loopback_only(void *cls, const struct sockaddr *addr, socklen_t len)
{
    (void)cls;
    if (addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in))
        return (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127 ? MHD_YES
                                                                                         : MHD_NO;
    if (addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6))
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)addr)->sin6_addr) ? MHD_YES
                                                                                     : MHD_NO;
    return MHD_NO;
}

struct sim_admin *sim__admin_start(sim_shared_t *sh, const char *address, int *port)
{
    struct sim_admin *a = calloc(1, sizeof(*a));
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;

    if (a == NULL)
        return NULL;
    a->sh = sh;
    memset(&ss, 0, sizeof(ss));
    if (strchr(address, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)*port);
        if (inet_pton(AF_INET6, address, &s6->sin6_addr) != 1)
            goto fail;
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)*port);
        if (inet_pton(AF_INET, strcmp(address, "localhost") == 0 ? "127.0.0.1" : address,
                      &s4->sin_addr) != 1)
            goto fail;
    }
    a->d =
        MHD_start_daemon(flags, (uint16_t)*port, loopback_only, NULL, handle, a,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED,
                         completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (a->d == NULL)
        goto fail;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
    if (di)
        *port = di->port;
    return a;
fail:
    GW_LOGE(MOD, "cannot start the admin endpoint on %s:%d", address, *port);
    free(a);
    return NULL;
}

void sim__admin_stop(struct sim_admin *a)
{
    if (a == NULL)
        return;
    MHD_stop_daemon(a->d);
    free(a);
}
