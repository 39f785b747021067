/*
 * transport: the libwebsockets client side — one lws context, one service
 * thread, one vhost (TLS client context) per endpoint, binary WebSocket
 * messages in and out.
 *
 * Threading: everything here runs on the service thread ("the loop")
 * except gw_transport_create/start/stop/destroy and gw_transport_post,
 * which hand work to the loop from any thread (own queue +
 * lws_cancel_service, see ../shared/notes/libraries.md).
 *
 * A connection reports exactly one on_close, always from the loop and
 * never from inside the call that caused it; the connection is freed right
 * after on_close returns.
 */
#ifndef GW_TRANSPORT_H
#define GW_TRANSPORT_H

#include "base/base.h"

#include <stdint.h>

typedef struct gw_transport gw_transport_t;
typedef struct gw_tconn gw_tconn_t;
typedef struct gw_endpoint gw_endpoint_t;

/** A header added to the WebSocket upgrade request. */
typedef struct {
    const char *name; /* with a trailing colon, lower case: "authorization:" */
    const char *value;
} gw_header_t;

/** Where and how to connect. Strings are copied by gw_transport_endpoint_add. */
typedef struct {
    const char *name; /* for logs */
    const char *host; /* Host header, SNI and certificate name */
    int port;
    const char *address;       /* TCP target; NULL = host */
    const char *path;          /* upgrade path */
    const char *subprotocol;   /* Sec-WebSocket-Protocol */
    const char *ca_file;       /* trusted CAs (the OS store is never used) */
    int verify;                /* 0 = accept any certificate (insecure) */
    const uint8_t (*pins)[32]; /* SHA-256 of accepted server public keys (SPKI, DER); none = any */
    size_t npins;
    const struct gw_tlsid *identity; /* client identity from PKCS#12 (tlsid), or NULL */
    const char *cert;                /* client certificate (mutual TLS), or NULL */
    const char *key;
    size_t nheaders;
    const gw_header_t *headers; /* may contain secrets: never logged */
    size_t max_message;         /* largest message accepted */
} gw_endpoint_conf_t;

/** Connection events. `ud` is the pointer given to gw_transport_connect. */
typedef struct {
    /** The WebSocket is established (TLS and upgrade done). */
    void (*on_open)(gw_tconn_t *c, void *ud);
    /** One complete binary message; `p` is valid only during the call. */
    void (*on_message)(gw_tconn_t *c, void *ud, const uint8_t *p, size_t len);
    /**
     * The connection is gone. `err` is GW_EUNREACHABLE (TCP), GW_ETLS (handshake/verification),
     * GW_ECOMM (upgrade refused, closed by peer, protocol violation).
     * `reason` says why in words. Not called after gw_transport_close.
     */
    void (*on_close)(gw_tconn_t *c, void *ud, int err, const char *reason);
} gw_tconn_cbs_t;

/** A unit of work handed to the loop; embed it in your own struct. */
typedef struct gw_task {
    struct gw_task *next;
    void (*fn)(struct gw_task *task);
} gw_task_t;

/** A one-shot timer on the loop; embed it and zero it before first use. */
typedef struct gw_timer {
    _Alignas(16) uint8_t sul[64]; /* lws_sorted_usec_list_t, kept opaque here */
    void (*fn)(struct gw_timer *tm);
    gw_transport_t *t;
    int armed;
} gw_timer_t;

/** Creates the lws context (no listener). Returns NULL on failure (logged). */
gw_transport_t *gw_transport_create(void);
/** Adds an endpoint (an lws vhost with its own TLS client context); before start. */
gw_endpoint_t *gw_transport_endpoint_add(gw_transport_t *t, const gw_endpoint_conf_t *conf);
/**
 * Loop only: replaces the value of upgrade header `name` (as given to
 * gw_transport_endpoint_add) for connections made from now on. Returns 0,
 * GW_EINVAL when the endpoint has no such header, GW_ENOMEM.
 */
int gw_transport_endpoint_set_header(gw_endpoint_t *ep, const char *name, const char *value);

/** Starts the service thread. */
int gw_transport_start(gw_transport_t *t);
/** 1 when the calling thread is the loop's. */
int gw_transport_on_loop(const gw_transport_t *t);
/**
 * Hands `task` to the loop; any thread. The task must stay valid until it
 * ran. Posted on the loop itself, it runs once the current service round
 * (the callbacks of one poll) is over — outside every callback, without a
 * wake-up or another poll.
 */
void gw_transport_post(gw_transport_t *t, gw_task_t *task);
/**
 * Runs fn(arg) on the loop and waits until it returned; any thread but the
 * loop, while the loop runs.
 */
void gw_transport_run(gw_transport_t *t, void (*fn)(void *arg), void *arg);
/** Stops and joins the service thread; tasks still queued are not run. */
void gw_transport_stop(gw_transport_t *t);
/** Destroys the context and frees leftover connections without callbacks. */
void gw_transport_destroy(gw_transport_t *t);

/** Loop only: starts connecting. Returns NULL only on out-of-memory (then no callback). */
gw_tconn_t *gw_transport_connect(gw_endpoint_t *ep, const gw_tconn_cbs_t *cbs, void *ud);
/**
 * Loop only: like gw_transport_connect, with upgrade headers of this
 * connection's own (copied): each replaces the endpoint's header of the
 * same name, an empty value leaves it out, the others are added. They may
 * hold secrets: wiped and freed once the upgrade request is written.
 */
gw_tconn_t *gw_transport_connect_with(gw_endpoint_t *ep, const gw_tconn_cbs_t *cbs, void *ud,
                                      const gw_header_t *hdrs, size_t nhdrs);
/**
 * Loop only: stops (pause = 1) or resumes (0) reading from the connection.
 * While paused nothing is read from the socket, so TCP flow control slows
 * the peer down; messages libwebsockets already read may still arrive.
 */
void gw_transport_pause(gw_tconn_t *c, int pause);
/** Loop only: queues one binary message (copied). Returns 0 or GW_ENOMEM / GW_ECOMM. */
int gw_transport_send(gw_tconn_t *c, const void *p, size_t len);
/**
 * Loop only: closes the connection and frees it soon after; no callback
 * follows, so the caller may free its `ud` right away. `err` and `reason`
 * are for logs.
 */
void gw_transport_close(gw_tconn_t *c, int err, const char *reason);

/**
 * New TLS material for an endpoint (SIGHUP): client identity, trusted CAs
 * and pins, read from the files of `conf` (ca_file; cert + key or
 * identity; pins). Any thread. NULL with the reason in `why` when a file
 * cannot be used.
 */
typedef struct gw_tls_update gw_tls_update_t;
gw_tls_update_t *gw_transport_tls_prepare(const gw_endpoint_conf_t *conf, char *why,
                                          size_t whysize);
/** Frees an update that was not applied. NULL is fine. */
void gw_transport_tls_discard(gw_tls_update_t *u);
/**
 * Loop only: connections made from now on use `u` (taken over); those
 * already open keep what they were made with.
 */
void gw_transport_endpoint_retls(gw_endpoint_t *ep, gw_tls_update_t *u);

typedef struct gw_watch gw_watch_t;
/**
 * Loop only: calls `fn(ud)` on the loop whenever descriptor `fd` is
 * readable (level-triggered: `fn` must consume what made it readable), for
 * another event loop driven from this one — e.g. libmicrohttpd's epoll
 * descriptor. The caller keeps `fd` (the transport watches a dup() of it).
 * NULL on failure.
 */
gw_watch_t *gw_transport_watch(gw_transport_t *t, int fd, void (*fn)(void *ud), void *ud);
/** Loop only: stops watching; `fn` is not called again. NULL is fine. */
void gw_transport_unwatch(gw_watch_t *w);

/** Loop only: (re)arms `tm` to call `fn` after `ms` milliseconds. */
void gw_timer_start(gw_transport_t *t, gw_timer_t *tm, int64_t ms, void (*fn)(gw_timer_t *tm));
/** Loop only: disarms the timer (no-op when not armed). */
void gw_timer_stop(gw_timer_t *tm);

#endif
