/*
 * admin: the operators' listener (see admin.h).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

#include "admin/admin.h"
#include "error/error.h"
#include "log/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gw_admin {
    struct MHD_Daemon *d;
    gw_admin_ops_t ops;
};

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *ctype,
                              const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result problem(struct MHD_Connection *conn, unsigned status, const char *type,
                               const char *title, const char *detail)
{
    char body[512];
    int n = snprintf(body, sizeof(body),
                     "{\"type\":\"" GW_PROBLEM_TYPE_PREFIX "%s\",\"title\":\"%s\",\"status\":%u,"
                     "\"detail\":\"%s\"}",
                     type, title, status, detail);
    return answer(conn, status, "application/problem+json", body,
                  n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    gw_admin_t *a = cls;
    (void)version;
    (void)upload;
    if (*con_cls == NULL) { /* the headers: wait for the body (ignored) */
        *con_cls = a;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* no endpoint here takes a body */
        return MHD_YES;
    }
    int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (strcmp(url, "/admin/metadata/clear") == 0) {
        if (!post)
            return problem(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method-not-allowed",
                           "Method not allowed", "use POST /admin/metadata/clear");
        size_t n = a->ops.clear_metadata ? a->ops.clear_metadata(a->ops.ud) : 0;
        GW_LOGI("admin", "metadata cache cleared (%zu function description%s dropped)", n,
                n == 1 ? "" : "s");
        char body[64];
        int len = snprintf(body, sizeof(body), "{\"dropped\":%zu}", n);
        return answer(conn, MHD_HTTP_OK, "application/json", body, (size_t)len);
    }
    if (strcmp(url, "/metrics") == 0 && a->ops.metrics) {
        if (!get)
            return problem(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method-not-allowed",
                           "Method not allowed", "use GET /metrics");
        gw_buf_t out;
        gw_buf_init(&out, 0);
        enum MHD_Result ret =
            a->ops.metrics(a->ops.ud, &out) == 0 && !out.failed
                ? answer(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                         (const char *)out.data, out.len)
                : problem(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out-of-memory", "Out of memory",
                          "cannot write the metrics");
        gw_buf_free(&out);
        return ret;
    }
    if (strcmp(url, "/healthz") == 0 && get)
        return answer(conn, MHD_HTTP_OK, "application/json", "{\"status\":\"ok\"}", 15);
    return problem(conn, MHD_HTTP_NOT_FOUND, "not-found", "Not found",
                   "the admin listener serves POST /admin/metadata/clear, GET /healthz and, "
                   "with admin.metrics, GET /metrics");
}

gw_admin_t *gw_admin_start(const char *address, int port, const gw_admin_ops_t *ops, int *bound)
{
    gw_admin_t *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->ops = *ops;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, address, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, address, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        GW_LOGE("admin", "admin.address '%s' is not an IPv4 or IPv6 address", address);
        free(a);
        return NULL;
    }
    a->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handler, a, MHD_OPTION_SOCK_ADDR,
                            &ss, MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_CONNECTION_TIMEOUT,
                            10u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_END);
    if (a->d == NULL) {
        GW_LOGE("admin", "cannot listen on %s:%d for the admin listener", address, port);
        free(a);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
    *bound = info ? info->port : port;
    return a;
}

void gw_admin_stop(gw_admin_t *a)
{
    if (a == NULL)
        return;
    MHD_stop_daemon(a->d);
    free(a);
}
