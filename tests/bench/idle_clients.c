/*
 * idle_clients: hold N idle keep-alive HTTP connections open, to measure a
 * server's memory per idle client.
 *
 * Usage: idle_clients PORT N [PATH (/healthz)]
 *
 * Opens N TCP connections to 127.0.0.1:PORT one after another; on each it
 * sends one `GET PATH HTTP/1.1` (keep-alive) and reads the whole answer,
 * which must be 200 without `Connection: close`. Then it prints
 * `{"open":N}` on standard output and holds every connection until it
 * gets SIGTERM or SIGINT. Exits 1
 * when a connection or an answer failed (after printing what failed).
 * Raises its own soft fd limit to the hard limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int one_request(int fd, const char *req, size_t reqlen, char *why, size_t whysz)
{
    char buf[4096];
    size_t have = 0;
    if (write(fd, req, reqlen) != (ssize_t)reqlen) {
        snprintf(why, whysz, "write: %s", strerror(errno));
        return -1;
    }
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
        if (n <= 0) {
            snprintf(why, whysz, "read: %s", n ? strerror(errno) : "closed by the server");
            return -1;
        }
        have += (size_t)n;
        buf[have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL) {
            if (have == sizeof(buf) - 1) {
                snprintf(why, whysz, "%s", "header too long");
                return -1;
            }
            continue;
        }
        if (strncmp(buf, "HTTP/1.1 200", 12) != 0) {
            snprintf(why, whysz, "answer: %.40s", buf);
            return -1;
        }
        size_t clen = 0;
        for (char *h = strstr(buf, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n")) {
            if (strncasecmp(h + 2, "content-length:", 15) == 0)
                clen = strtoul(h + 17, NULL, 10);
            if (strncasecmp(h + 2, "connection: close", 17) == 0) {
                snprintf(why, whysz, "%s", "the server closes the connection");
                return -1;
            }
        }
        size_t body = have - (size_t)(end + 4 - buf);
        while (body < clen) { /* the rest of a short body */
            n = read(fd, buf, sizeof(buf));
            if (n <= 0) {
                snprintf(why, whysz, "%s", "short body");
                return -1;
            }
            body += (size_t)n;
        }
        return 0;
    }
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: idle_clients PORT N [PATH]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long n = atol(argv[2]);
    const char *path = argc > 3 ? argv[3] : "/healthz";
    if (port <= 0 || port > 65535 || n < 1 || n > 1000000) {
        fprintf(stderr, "idle_clients: bad PORT or N\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    char req[512];
    int reqlen =
        snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int *fds = calloc((size_t)n, sizeof(int));
    if (fds == NULL)
        return 1;
    struct timeval tv = {5, 0};
    for (long i = 0; i < n; i++) {
        char why[128];
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) {
            fprintf(stderr, "idle_clients: socket %ld: %s\n", i, strerror(errno));
            return 1;
        }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            fprintf(stderr, "idle_clients: connect %ld: %s\n", i, strerror(errno));
            return 1;
        }
        if (one_request(fd, req, (size_t)reqlen, why, sizeof(why)) != 0) {
            fprintf(stderr, "idle_clients: connection %ld: %s\n", i, why);
            return 1;
        }
        fds[i] = fd;
    }
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("{\"open\":%ld}\n", n);
    fflush(stdout);
    while (!stop)
        sigsuspend(&old);
    for (long i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return 0;
}
