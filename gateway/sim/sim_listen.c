/*
 * sim_listen: abapsim's own TCP listener, so connection faults can act on
 * the real port.
 *
 * libwebsockets does not listen itself (its vhost is created with
 * CONTEXT_PORT_NO_LISTEN_SERVER); this thread accepts and, per the current
 * faults, either hands the socket to the lws thread (which adopts it with
 * lws_adopt_socket_vhost, TLS and all), resets it at once
 * (refuse_connections: SO_LINGER 0 then close, the peer sees ECONNRESET),
 * or keeps it open and never reads from it (black_hole: the peer's TLS
 * handshake hangs until its own timeout). Held sockets are closed when the
 * black hole is switched off, on POST /close-all and at shutdown.
 */
#include "sim/sim_server_internal.h"
#include "error/error.h"
#include "log/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MOD "listen"

int sim__listener_open(sim_listener_t *l, const char *address, int port, int *bound)
{
    struct addrinfo hints, *ai = NULL;
    char ps[16];
    int one = 1;

    memset(l, 0, sizeof(*l));
    l->fd = l->wake[0] = l->wake[1] = -1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(ps, sizeof(ps), "%d", port);
    int rc = getaddrinfo(address, ps, &hints, &ai);
    if (rc != 0) {
        GW_LOGE(MOD, "listen.address '%s': %s", address, gai_strerror(rc));
        return GW_EINVAL;
    }
    l->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(l->fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(l->fd, 512) != 0) {
        GW_LOGE(MOD, "cannot listen on %s:%d: %s", address, port, strerror(errno));
        freeaddrinfo(ai);
        if (l->fd >= 0)
            close(l->fd);
        l->fd = -1;
        return GW_EINVAL;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(l->fd, (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

static void reset_close(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

static void close_held(sim_listener_t *l)
{
    for (size_t i = 0; i < l->nheld; i++)
        reset_close(l->held[i]);
    if (l->nheld)
        GW_LOGI(MOD, "closed %zu black-holed connection(s)", l->nheld);
    l->nheld = 0;
}

static void *listener_main(void *arg)
{
    sim_listener_t *l = arg;
    for (;;) {
        struct pollfd pf[2] = {{l->fd, POLLIN, 0}, {l->wake[0], POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            GW_LOGE(MOD, "poll: %s", strerror(errno));
            break;
        }
        if (pf[1].revents) {
            char buf[64];
            while (read(l->wake[0], buf, sizeof(buf)) > 0)
                ;
        }
        pthread_mutex_lock(&l->sh->mu);
        int stop = l->stop, release = l->release_held || !l->sh->faults.black_hole;
        l->release_held = 0;
        pthread_mutex_unlock(&l->sh->mu);
        if (stop)
            break;
        if (release)
            close_held(l);
        if (!(pf[0].revents & POLLIN))
            continue;
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                GW_LOGW(MOD, "accept: %s", strerror(errno));
            if (errno == EMFILE || errno == ENFILE)
                usleep(10000);
            continue;
        }
        pthread_mutex_lock(&l->sh->mu);
        int refuse = l->sh->faults.refuse_connections, hole = l->sh->faults.black_hole;
        if (refuse)
            l->sh->refused_fault++;
        else if (hole)
            l->sh->black_holed++;
        pthread_mutex_unlock(&l->sh->mu);
        if (refuse) {
            GW_LOGD(MOD, "fault refuse_connections: connection reset");
            reset_close(fd);
        } else if (hole) {
            if (l->nheld == l->capheld) {
                size_t cap = l->capheld ? 2 * l->capheld : 16;
                int *n = realloc(l->held, cap * sizeof(*n));
                if (n == NULL) {
                    reset_close(fd);
                    continue;
                }
                l->held = n;
                l->capheld = cap;
            }
            l->held[l->nheld++] = fd;
            GW_LOGD(MOD, "fault black_hole: connection held (%zu held)", l->nheld);
        } else {
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
            l->deliver(l->deliver_arg, fd);
        }
    }
    close_held(l);
    return NULL;
}

int sim__listener_start(sim_listener_t *l, sim_shared_t *sh, void (*deliver)(void *, int),
                        void *arg)
{
    l->sh = sh;
    l->deliver = deliver;
    l->deliver_arg = arg;
    if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0)
        return GW_ENOMEM;
    if (pthread_create(&l->thread, NULL, listener_main, l) != 0)
        return GW_ENOMEM;
    l->started = 1;
    return 0;
}

static void poke(sim_listener_t *l)
{
    if (l->wake[1] >= 0) {
        ssize_t w = write(l->wake[1], "x", 1);
        (void)w;
    }
}

void sim__listener_release(sim_listener_t *l)
{
    /* called with sh->mu held */
    l->release_held = 1;
    poke(l);
}

void sim__listener_close(sim_listener_t *l)
{
    if (l->started) {
        pthread_mutex_lock(&l->sh->mu);
        l->stop = 1;
        pthread_mutex_unlock(&l->sh->mu);
        poke(l);
        pthread_join(l->thread, NULL);
        l->started = 0;
    }
    free(l->held);
    l->held = NULL;
    for (int i = 0; i < 2; i++)
        if (l->wake[i] >= 0)
            close(l->wake[i]);
    if (l->fd >= 0)
        close(l->fd);
    l->fd = l->wake[0] = l->wake[1] = -1;
}
