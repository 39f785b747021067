/*
 * mhd_min: the smallest libmicrohttpd server configured like rfmgw's HTTP
 * front (epoll, internal thread pool of 2, 8 KiB connection memory), as the
 * reference for memory per idle keep-alive client. Every request is
 * answered 200 {"status":"ok"}.
 *
 * Usage: mhd_min READY_FILE [connection_limit (20000)]
 * Listens on a free port of 127.0.0.1, writes the port to READY_FILE and
 * runs until SIGTERM or SIGINT.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <microhttpd.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static struct MHD_Response *ok_response;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **state)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)data;
    if (*state == NULL) { /* first call: headers only */
        *state = (void *)1;
        return MHD_YES;
    }
    if (*size) { /* discard a body */
        *size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(c, MHD_HTTP_OK, ok_response);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mhd_min READY_FILE [connection_limit]\n");
        return 2;
    }
    unsigned limit = argc > 2 ? (unsigned)atoi(argv[2]) : 20000;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the daemon: its threads inherit the mask */
    static char body[] = "{\"status\":\"ok\"}";
    ok_response = MHD_create_response_from_buffer(sizeof(body) - 1, body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(ok_response, "Content-Type", "application/json");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, handler, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, 2u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192, MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "mhd_min: cannot start the daemon\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    FILE *f = fopen(argv[1], "w");
    if (info == NULL || f == NULL) {
        fprintf(stderr, "mhd_min: cannot write the ready file\n");
        return 1;
    }
    fprintf(f, "%u\n", (unsigned)info->port);
    fclose(f);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(ok_response);
    return 0;
}
