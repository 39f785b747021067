/*
 * transport: libwebsockets client. One context, one service thread, one
 * vhost per endpoint so that every destination has its own TLS client
 * context (CA, client certificate) without another thread.
 *
 * Every connection's end is delivered through a zero-delay timer (close_tm)
 * rather than from inside lws callbacks or gw_transport_connect: lws may
 * fail a connect inline, and the pool must never be re-entered from the
 * call it is making.
 *
 * The data path is ours once the server's first message has arrived
 * ("direct" connections): libwebsockets keeps the socket, the TLS session
 * and the close, but its reading is switched off (rx flow control) and the
 * connection reads and writes TLS records itself — SSL_read with read-ahead
 * in 64 KiB pieces on a dup() of the socket watched by the loop, RFC 6455
 * frames by ws.c, client frames masked eight bytes at a time and written
 * with SSL_write as soon as they are sent. libwebsockets 4.1 parses frames
 * one byte per state-machine step and masks byte by byte: a quarter of
 * rfmgw's CPU on 10,000-row calls (docs/performance.md). Connecting, TLS
 * verification and the upgrade stay libwebsockets' (their errors too). The
 * switch waits for the first message because libwebsockets may hold bytes
 * read together with the upgrade response; after it the protocol
 * (docs/protocol.md) has the server speak only when asked.
 */
#include "transport/transport.h"
#include "error/error.h"
#include "transport/ws_internal.h"
#include "log/log.h"
#include "tlsid/tlsid.h"

#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(lws_sorted_usec_list_t) <= 64, "gw_timer_t.sul too small");

#define RX_CHUNK 65536

typedef struct outmsg {
    struct outmsg *next;
    size_t len;
    uint8_t data[]; /* LWS_PRE headroom, then the message */
} outmsg_t;

struct gw_endpoint {
    gw_transport_t *t;
    struct lws_vhost *vh;
    char *name, *host, *address, *path, *subprotocol;
    int port, verify;
    size_t nheaders;
    gw_header_t *headers;
    size_t max_message;
    uint8_t (*pins)[32];
    size_t npins;
    SSL_CTX *ssl_ctx; /* its client TLS context (libwebsockets', possibly shared) */
    gw_endpoint_t *next;
};

struct gw_tconn {
    gw_transport_t *t;
    gw_endpoint_t *ep;
    struct lws *wsi;
    gw_tconn_cbs_t cbs;
    void *ud;
    outmsg_t *out_head, *out_tail;
    gw_buf_t rx;
    int dead; /* no more I/O; close_tm delivers on_close */
    int err;  /* first recorded reason */
    char reason[256];
    char tls_error[160];
    int closing;       /* gw_transport_close asked; kill on next writable */
    int established;   /* the WebSocket upgrade completed */
    gw_header_t *hdrs; /* this connection's own upgrade headers (secrets: wiped once sent) */
    size_t nhdrs;
    gw_timer_t close_tm;
    gw_tconn_t *prev, *next; /* all live connections, for destroy */
    /* the direct data path (see the top of this file) */
    int direct;
    SSL *ssl;          /* libwebsockets' TLS session of this connection */
    gw_watch_t *rd;    /* readable events of a dup() of its socket */
    gw__ws_rx_t wsrx;  /* frame receiver */
    gw_buf_t wout;     /* framed, masked bytes SSL_write has not taken yet */
    size_t wout_off;   /* how many of them it took */
    int paused;        /* gw_transport_pause: no reading, no parsing */
    gw_buf_t pend;     /* bytes read but not parsed when a pause came */
    int read_on_write; /* SSL_read wanted the socket writable */
    gw_timer_t resume_tm;
};

struct gw_transport {
    struct lws_context *ctx;
    pthread_t thread;
    int started;
    volatile int stop;
    pthread_mutex_t lock;
    gw_task_t *q_head, *q_tail;
    gw_endpoint_t *endpoints;
    gw_tconn_t *conns;
    int destroying;
    struct lws_vhost *loop_vh; /* no TLS; task wake-ups and watched descriptors */
    const gw_tlsid_t *adding;  /* the identity of the endpoint being added (its chain) */
    gw_endpoint_t *adding_ep;  /* the endpoint being added (to learn its SSL_CTX) */
    gw_timer_t tasks_tm;       /* keeps the next poll from waiting while loop-posted tasks wait */
    uint8_t *rbuf;             /* RX_CHUNK bytes: what a direct connection's SSL_read fills */
    uint8_t keys[1024];        /* masking keys from RAND_bytes, 4 bytes each, used up in order */
    size_t nkeys_used;         /* bytes of `keys` handed out; sizeof(keys) = refill first */
};

struct gw_watch {
    struct lws *wsi; /* a raw-file wsi on a dup() of the watched descriptor */
    void (*fn)(void *ud);
    void *ud;
};

static void set_reason(gw_tconn_t *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_reason(gw_tconn_t *c, int err, const char *fmt, ...)
{
    if (c->err)
        return; /* the first reason wins */
    c->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
    va_end(ap);
}

/* Wipes and frees the connection's own headers (they may hold a password). */
static void conn_headers_free(gw_tconn_t *c)
{
    for (size_t i = 0; i < c->nhdrs; i++) {
        char *v = (char *)(uintptr_t)c->hdrs[i].value;
        explicit_bzero(v, strlen(v));
        free(v);
        free((char *)(uintptr_t)c->hdrs[i].name);
    }
    free(c->hdrs);
    c->hdrs = NULL;
    c->nhdrs = 0;
}

static void conn_free(gw_tconn_t *c)
{
    gw_transport_t *t = c->t;
    conn_headers_free(c);
    free(c->rd); /* still set only when the context went first (destroy) */
    gw_buf_free(&c->wout);
    gw_buf_free(&c->pend);
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    outmsg_t *m = c->out_head;
    while (m) {
        outmsg_t *n = m->next;
        free(m);
        m = n;
    }
    gw_buf_free(&c->rx);
    free(c);
}

static void deliver_close(gw_timer_t *tm)
{
    gw_tconn_t *c = (gw_tconn_t *)((char *)tm - offsetof(gw_tconn_t, close_tm));
    if (c->cbs.on_close)
        c->cbs.on_close(c, c->ud, c->err, c->reason[0] ? c->reason : "connection closed");
    conn_free(c);
}

static void direct_stop(gw_tconn_t *c);
static void direct_start(gw_tconn_t *c, struct lws *wsi);

/* The wsi is gone (or about to be): detach and schedule on_close. */
static void conn_dead(gw_tconn_t *c)
{
    if (c->dead)
        return;
    c->dead = 1;
    direct_stop(c);
    if (c->wsi)
        lws_set_opaque_user_data(c->wsi, NULL);
    c->wsi = NULL;
    gw_timer_start(c->t, &c->close_tm, 0, deliver_close);
}

static void run_tasks(gw_transport_t *t)
{
    pthread_mutex_lock(&t->lock);
    gw_task_t *task = t->q_head;
    t->q_head = t->q_tail = NULL;
    pthread_mutex_unlock(&t->lock);
    while (task) {
        gw_task_t *next = task->next;
        task->fn(task);
        task = next;
    }
}

static const gw_header_t *own_header(const gw_tconn_t *c, const char *name)
{
    for (size_t i = 0; i < c->nhdrs; i++)
        if (strcmp(c->hdrs[i].name, name) == 0)
            return &c->hdrs[i];
    return NULL;
}

static int add_header(struct lws *wsi, const gw_header_t *h, unsigned char **p, unsigned char *end)
{
    if (h->value[0] == '\0') /* an empty value leaves the header out */
        return 0;
    return lws_add_http_header_by_name(wsi, (const unsigned char *)h->name,
                                       (const unsigned char *)h->value, (int)strlen(h->value), p,
                                       end);
}

/* The endpoint's headers, each replaced by the connection's own of the same name, then the rest of
 * those. */
static int append_headers(gw_tconn_t *c, struct lws *wsi, unsigned char **p, unsigned char *end)
{
    int ret = 0;
    for (size_t i = 0; i < c->ep->nheaders && ret == 0; i++) {
        const gw_header_t *own = own_header(c, c->ep->headers[i].name);
        ret = add_header(wsi, own ? own : &c->ep->headers[i], p, end);
    }
    for (size_t i = 0; i < c->nhdrs && ret == 0; i++) {
        int known = 0;
        for (size_t k = 0; k < c->ep->nheaders && !known; k++)
            known = strcmp(c->ep->headers[k].name, c->hdrs[i].name) == 0;
        if (!known)
            ret = add_header(wsi, &c->hdrs[i], p, end);
    }
    conn_headers_free(c); /* sent (or failed): no longer needed */
    return ret ? -1 : 0;
}

static int on_receive(gw_tconn_t *c, struct lws *wsi, const void *in, size_t len)
{
    if (!lws_frame_is_binary(wsi)) {
        set_reason(c, GW_ECOMM, "protocol error: text message from the backend");
        return -1;
    }
    if (lws_is_first_fragment(wsi))
        c->rx.len = 0;
    if (c->rx.len + len > c->ep->max_message) {
        set_reason(c, GW_ECOMM, "message from the backend exceeds max_message (%zu bytes)",
                   c->ep->max_message);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        return -1;
    }
    c->rx.failed = 0;
    if (gw_buf_append(&c->rx, in, len)) {
        set_reason(c, GW_ECOMM, "out of memory receiving a message");
        return -1;
    }
    if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        if (c->cbs.on_message)
            c->cbs.on_message(c, c->ud, c->rx.data, c->rx.len);
        c->rx.len = 0;
        if (c->closing || c->dead)
            return -1;
        if (!c->direct)
            direct_start(c, wsi);
    }
    return 0;
}

static int on_writable(gw_tconn_t *c, struct lws *wsi)
{
    if (c->closing)
        return -1;
    outmsg_t *m = c->out_head;
    if (m == NULL)
        return 0;
    c->out_head = m->next;
    if (c->out_head == NULL)
        c->out_tail = NULL;
    int n = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_BINARY);
    size_t len = m->len;
    free(m);
    if (n < (int)len) {
        set_reason(c, GW_ECOMM, "write to the backend failed");
        return -1;
    }
    if (c->out_head)
        lws_callback_on_writable(wsi);
    return 0;
}

/* ---- the direct data path (see the top of this file) ---- */

/* Ends a direct connection from our side of the data path: on_close follows with the reason. */
static void direct_kill(gw_tconn_t *c)
{
    if (c->wsi) {
        lws_set_opaque_user_data(c->wsi, NULL);
        lws_set_timeout(c->wsi, 1, LWS_TO_KILL_ASYNC);
        c->wsi = NULL;
    }
    conn_dead(c);
}

static void direct_stop(gw_tconn_t *c)
{
    if (c->rd) {
        /* possibly from inside its own callback: let the loop close the descriptor later */
        lws_set_opaque_user_data(c->rd->wsi, NULL);
        lws_set_timeout(c->rd->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        free(c->rd);
        c->rd = NULL;
    }
    gw_timer_stop(&c->resume_tm);
    c->ssl = NULL;
}

/* Writes what SSL_write can take now; the rest waits for a writable callback. 0, or -1 killed. */
static int direct_flush(gw_tconn_t *c)
{
    while (c->ssl && c->wout_off < c->wout.len) {
        size_t left = c->wout.len - c->wout_off;
        ERR_clear_error();
        int n = SSL_write(c->ssl, c->wout.data + c->wout_off, left > INT_MAX ? INT_MAX : (int)left);
        if (n > 0) {
            c->wout_off += (size_t)n;
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_WRITE) {
            lws_callback_on_writable(c->wsi);
            return 0;
        }
        if (e == SSL_ERROR_WANT_READ)
            return 0; /* the next readable event flushes again */
        ERR_clear_error();
        set_reason(c, GW_ECOMM, "write to the backend failed");
        direct_kill(c);
        return -1;
    }
    c->wout.len = c->wout_off = 0;
    return 0;
}

/*
 * A fresh masking key (RFC 6455 §5.3: unpredictable). Drawn from OpenSSL's
 * generator 256 keys at a time: each RAND_bytes call costs a getpid() (its
 * fork check), which would be one system call more per call.
 */
static int next_key(gw_transport_t *t, uint8_t key[4])
{
    if (t->nkeys_used == 0 || t->nkeys_used >= sizeof(t->keys)) {
        if (RAND_bytes(t->keys, sizeof(t->keys)) != 1) {
            ERR_clear_error();
            return GW_ENOMEM;
        }
        t->nkeys_used = 0;
    }
    memcpy(key, t->keys + t->nkeys_used, 4);
    OPENSSL_cleanse(t->keys + t->nkeys_used, 4);
    t->nkeys_used += 4;
    return 0;
}

/* Queues one final frame (masked with a fresh key) and writes what the socket takes. */
static int direct_frame(gw_tconn_t *c, int op, const void *p, size_t len)
{
    uint8_t key[4], hdr[GW__WS_MAX_HEADER];
    if (next_key(c->t, key) != 0)
        return GW_ENOMEM;
    size_t h = gw__ws_header(hdr, op, len, key);
    c->wout.failed = 0;
    if (gw_buf_reserve(&c->wout, h + len) != 0)
        return GW_ENOMEM;
    uint8_t *dst = c->wout.data + c->wout.len;
    memcpy(dst, hdr, h);
    if (len)
        memcpy(dst + h, p, len);
    gw__ws_mask(dst + h, len, key);
    c->wout.len += h + len;
    direct_flush(c);
    return 0;
}

static int rx_data(void *ud, const uint8_t *p, size_t n)
{
    gw_tconn_t *c = ud;
    if (c->rx.len + n > c->ep->max_message) {
        set_reason(c, GW_ECOMM, "message from the backend exceeds max_message (%zu bytes)",
                   c->ep->max_message);
        const uint8_t too_big[2] = {1009 >> 8, 1009 & 0xff};
        direct_frame(c, GW__WS_CLOSE, too_big, sizeof(too_big));
        direct_kill(c);
        return 1;
    }
    c->rx.failed = 0;
    if (gw_buf_append(&c->rx, p, n)) {
        set_reason(c, GW_ECOMM, "out of memory receiving a message");
        direct_kill(c);
        return 1;
    }
    return 0;
}

static int rx_end(void *ud)
{
    gw_tconn_t *c = ud;
    if (c->cbs.on_message)
        c->cbs.on_message(c, c->ud, c->rx.data, c->rx.len);
    c->rx.len = 0;
    return c->dead || c->closing || c->paused;
}

static int rx_control(void *ud, int op, const uint8_t *p, size_t n)
{
    gw_tconn_t *c = ud;
    if (op == GW__WS_PING)
        return direct_frame(c, GW__WS_PONG, p, n) != 0 || c->dead;
    if (op != GW__WS_CLOSE)
        return 0;
    if (n >= 2)
        set_reason(c, GW_ECOMM, "backend closed the connection (WebSocket close %d%s%.*s)",
                   (p[0] << 8) | p[1], n > 2 ? ": " : "", (int)(n > 2 ? n - 2 : 0),
                   (const char *)p + 2);
    set_reason(c, GW_ECOMM, "backend closed the connection");
    direct_kill(c);
    return 1;
}

static const gw__ws_rx_cbs_t direct_rx_cbs = {rx_data, rx_end, rx_control};

/*
 * Parses `n` bytes. When a pause stops the parser, the rest is kept in
 * c->pend (`p` may point into c->pend itself). Returns 0, or -1 when the
 * connection ended.
 */
static int direct_parse(gw_tconn_t *c, const uint8_t *p, size_t n)
{
    const char *why = NULL;
    ssize_t k = gw__ws_rx_feed(&c->wsrx, p, n, &direct_rx_cbs, c, &why);
    if (k < 0) {
        set_reason(c, GW_ECOMM, "protocol error: %s", why);
        direct_kill(c);
        return -1;
    }
    if (c->dead)
        return -1;
    size_t rest = n - (size_t)k;
    if (p == c->pend.data) {
        memmove(c->pend.data, c->pend.data + k, rest);
        c->pend.len = rest;
    } else if (rest) {
        c->pend.failed = 0;
        if (gw_buf_append(&c->pend, p + k, rest) != 0) {
            set_reason(c, GW_ECOMM, "out of memory receiving a message");
            direct_kill(c);
            return -1;
        }
    }
    return 0;
}

/* Reads and parses until OpenSSL has nothing more, a pause, or the end. */
static void direct_read(gw_tconn_t *c)
{
    if (c->wout_off < c->wout.len && direct_flush(c) != 0)
        return;
    if (c->pend.len && !c->paused && direct_parse(c, c->pend.data, c->pend.len) != 0)
        return;
    while (c->ssl && !c->dead && !c->closing && !c->paused) {
        ERR_clear_error();
        int n = SSL_read(c->ssl, c->t->rbuf, RX_CHUNK);
        if (n <= 0) {
            int e = SSL_get_error(c->ssl, n);
            if (e == SSL_ERROR_WANT_READ)
                return;
            if (e == SSL_ERROR_WANT_WRITE) {
                c->read_on_write = 1;
                lws_callback_on_writable(c->wsi);
                return;
            }
            unsigned long le = ERR_peek_error();
            if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && le == 0))
                set_reason(c, GW_ECOMM, "backend closed the connection");
            else
                set_reason(c, GW_ECOMM, "reading from the backend failed: %s",
                           ERR_reason_error_string(le) ? ERR_reason_error_string(le) : "TLS error");
            ERR_clear_error();
            direct_kill(c);
            return;
        }
        if (direct_parse(c, c->t->rbuf, (size_t)n) != 0)
            return;
        /* poll is level-triggered: with nothing buffered, wait for it instead of a read that
         * only says EAGAIN */
        if (n < RX_CHUNK && !SSL_has_pending(c->ssl))
            return;
    }
}

static void direct_readable(void *ud)
{
    direct_read(ud);
}

static void direct_resume(gw_timer_t *tm)
{
    direct_read((gw_tconn_t *)((char *)tm - offsetof(gw_tconn_t, resume_tm)));
}

/*
 * After a message that libwebsockets delivered: takes the data path over
 * when libwebsockets has nothing of its own on the way out (messages still
 * in our queue are framed and written here instead).
 */
static void direct_start(gw_tconn_t *c, struct lws *wsi)
{
    SSL *ssl = lws_get_ssl(wsi);
    int fd = lws_get_socket_fd(wsi);
    if (ssl == NULL || fd < 0 || lws_send_pipe_choked(wsi))
        return;
    if ((c->rd = gw_transport_watch(c->t, fd, direct_readable, c)) == NULL)
        return; /* stays with libwebsockets */
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_read_ahead(ssl, 1);
    lws_rx_flow_control(wsi, 0);
    if (c->paused)
        lws_rx_flow_control(c->rd->wsi, 0);
    c->ssl = ssl;
    c->direct = 1;
    GW_LOGD("transport", "%s: the data path is ours (TLS records read and written directly)",
            c->ep->name);
    while (c->out_head && !c->dead) {
        outmsg_t *m = c->out_head;
        c->out_head = m->next;
        if (c->out_head == NULL)
            c->out_tail = NULL;
        if (direct_frame(c, GW__WS_BINARY, m->data + LWS_PRE, m->len) != 0) {
            set_reason(c, GW_ECOMM, "out of memory sending a message");
            direct_kill(c);
        }
        free(m);
    }
}

static int direct_writable(gw_tconn_t *c)
{
    if (direct_flush(c) != 0)
        return 0;
    if (c->read_on_write && !c->dead) {
        c->read_on_write = 0;
        direct_read(c);
    }
    return 0;
}

/* An SSL ex_data slot that points back to the connection, to explain a fatal TLS alert. */
static int tls_index = -1;
static pthread_once_t tls_index_once = PTHREAD_ONCE_INIT;

static void tls_index_init(void)
{
    tls_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int tls_conn_index(void)
{
    pthread_once(&tls_index_once, tls_index_init);
    return tls_index;
}

static void tls_info(const SSL *ssl, int where, int ret)
{
    if (!(where & SSL_CB_READ_ALERT) || ((ret >> 8) & 0xff) != SSL3_AL_FATAL)
        return;
    gw_tconn_t *c = SSL_get_ex_data(ssl, tls_conn_index());
    if (c && !c->dead && !c->tls_error[0])
        snprintf(c->tls_error, sizeof(c->tls_error), "the backend refused the TLS session: %s",
                 SSL_alert_desc_string_long(ret));
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    gw_tconn_t *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
        gw_transport_t *t = lws_context_user(lws_get_context(wsi));
        if (t)
            run_tasks(t);
        return 0;
    }
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS: {
        SSL_CTX_set_info_callback(user, tls_info);
        /* a PKCS#12 identity: libwebsockets loaded its certificate and key; add the chain */
        gw_transport_t *t = lws_context_user(lws_get_context(wsi));
        if (t && t->adding_ep)
            t->adding_ep->ssl_ctx = user;
        if (t && t->adding && t->adding->chain)
            for (int i = 0; i < sk_X509_num(t->adding->chain); i++)
                if (SSL_CTX_add1_chain_cert(user, sk_X509_value(t->adding->chain, i)) != 1)
                    return 1;
        return 0;
    }
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        if (c) {
            X509_STORE_CTX *xs = user;
            SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
            if (ssl)
                SSL_set_ex_data(ssl, tls_conn_index(), c);
        }
        if (c && len == 0 && !c->tls_error[0]) {
            X509_STORE_CTX *xs = user;
            int e = X509_STORE_CTX_get_error(xs);
            snprintf(c->tls_error, sizeof(c->tls_error), "certificate verify failed: %s",
                     X509_verify_cert_error_string(e));
        }
        if (c && c->ep->npins && X509_STORE_CTX_get_error_depth(user) == 0 &&
            !gw_tlsid_pin_matches(X509_STORE_CTX_get_current_cert(user),
                                  (const uint8_t(*)[32])c->ep->pins, c->ep->npins)) {
            if (!c->tls_error[0])
                snprintf(c->tls_error, sizeof(c->tls_error),
                         "the server's public key does not match tls.pin_sha256");
            return 1; /* fails the handshake */
        }
        return 0;
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (c == NULL)
            return 0;
        return append_headers(c, wsi, (unsigned char **)in, *(unsigned char **)in + len);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c == NULL)
            return 0;
        if (c->tls_error[0]) {
            set_reason(c, GW_ETLS, "%s", c->tls_error);
        } else {
            const char *why = in ? (const char *)in : "connection failed";
            int status = (int)lws_http_client_http_response(wsi);
            SSL *ssl = lws_get_ssl(wsi);
            if (ssl && !SSL_is_init_finished(ssl))
                set_reason(c, GW_ETLS, "TLS handshake failed: %s", why);
            else if (ssl && status <= 0)
                set_reason(c, GW_ECOMM,
                           "connection closed before the WebSocket upgrade completed (%s); was the "
                           "client certificate refused?",
                           why);
            else if (status > 0 && status != 101)
                set_reason(c, GW_ECOMM, "WebSocket upgrade refused: HTTP %d", status);
            else if (strstr(why, "ssl") || strstr(why, "SSL") || strstr(why, "tls") ||
                     strstr(why, "TLS"))
                set_reason(c, GW_ETLS, "TLS handshake failed: %s", why);
            else if (strstr(why, "HS:") || strstr(why, "upgrade"))
                set_reason(c, GW_ECOMM, "WebSocket upgrade failed: %s", why);
            else
                set_reason(c, GW_EUNREACHABLE, "cannot connect to %s:%d: %s",
                           c->ep->address ? c->ep->address : c->ep->host, c->ep->port, why);
        }
        conn_dead(c);
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (c)
            c->established = 1;
        if (c && c->cbs.on_open)
            c->cbs.on_open(c, c->ud);
        if (c && (c->closing || c->dead))
            return -1;
        if (c && c->out_head)
            lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return c ? on_receive(c, wsi, in, len) : -1;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return c ? (c->direct ? direct_writable(c) : on_writable(c, wsi)) : -1;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (c && len >= 2) {
            const unsigned char *b = in;
            int code = (b[0] << 8) | b[1];
            set_reason(c, GW_ECOMM, "backend closed the connection (WebSocket close %d%s%.*s)",
                       code, len > 2 ? ": " : "", (int)(len > 2 ? len - 2 : 0),
                       (const char *)in + 2);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        if (c) {
            if (c->tls_error[0])
                set_reason(c, GW_ETLS, "%s", c->tls_error);
            if (!c->established)
                set_reason(c, GW_ECOMM,
                           "connection closed before the WebSocket upgrade completed; was the "
                           "client certificate refused?");
            set_reason(c, GW_ECOMM, "backend closed the connection");
            conn_dead(c);
        }
        return 0;
    default:
        return 0;
    }
}

/* A watched descriptor is readable (gw_transport_watch). */
static int watch_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
    (void)user;
    (void)in;
    (void)len;
    gw_watch_t *w = lws_get_opaque_user_data(wsi);
    if (reason == LWS_CALLBACK_RAW_RX_FILE && w)
        w->fn(w->ud);
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"rfmgw-client", callback, 0, RX_CHUNK, 0, NULL, 0},
    {"rfmgw-watch", watch_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_log_bridge(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    gw_log(level == LLL_ERR ? GW_LOG_WARN : GW_LOG_DEBUG, "lws", "%.*s", (int)n, line);
}

gw_transport_t *gw_transport_create(void)
{
    gw_transport_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    pthread_mutex_init(&t->lock, NULL);
    if ((t->rbuf = malloc(RX_CHUNK)) == NULL) {
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    lws_set_log_level(LLL_ERR, lws_log_bridge);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.user = t;
    info.protocols = protocols;
    t->ctx = lws_create_context(&info);
    if (t->ctx == NULL) {
        GW_LOGE("transport", "cannot create the libwebsockets context");
        pthread_mutex_destroy(&t->lock);
        free(t->rbuf);
        free(t);
        return NULL;
    }
    /* A plain vhost of our protocol, so that task wake-ups (EVENT_WAIT_CANCELLED) reach
     * run_tasks() even when no endpoint exists: a backend such as nwrfc adds none. */
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.vhost_name = "rfmgw-loop";
    info.protocols = protocols;
    if ((t->loop_vh = lws_create_vhost(t->ctx, &info)) == NULL) {
        GW_LOGE("transport", "cannot create the loop's vhost");
        lws_context_destroy(t->ctx);
        pthread_mutex_destroy(&t->lock);
        free(t->rbuf);
        free(t);
        return NULL;
    }
    return t;
}

static char *dupz(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void wipe_buf(gw_buf_t *b)
{
    if (b->data)
        OPENSSL_cleanse(b->data, b->cap);
    gw_buf_free(b);
}

/* The identity's certificate (key = 0) or private key (key = 1) as PEM text in `out`. */
static int pem_of(const gw_tlsid_t *id, int key, gw_buf_t *out)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = bio && (key ? PEM_write_bio_PrivateKey(bio, id->key, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_bio_X509(bio, id->cert));
    char *p = NULL;
    long n = ok ? BIO_get_mem_data(bio, &p) : 0;
    ok = ok && n > 0 && gw_buf_reserve(out, (size_t)n + 1) == 0 &&
         gw_buf_append(out, p, (size_t)n) == 0 && gw_buf_append(out, "", 1) == 0;
    if (p && n > 0)
        OPENSSL_cleanse(p, (size_t)n);
    BIO_free(bio);
    ERR_clear_error();
    return ok ? 0 : GW_ENOMEM;
}

gw_endpoint_t *gw_transport_endpoint_add(gw_transport_t *t, const gw_endpoint_conf_t *conf)
{
    gw_endpoint_t *ep = calloc(1, sizeof(*ep));
    if (ep == NULL)
        return NULL;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.vhost_name = conf->name;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
    info.client_ssl_ca_filepath = conf->ca_file;
    info.client_ssl_cert_filepath = conf->cert;
    info.client_ssl_private_key_filepath = conf->key;
    info.ssl_client_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    /*
     * A PKCS#12 identity goes in as PEM in memory: libwebsockets fingerprints the client
     * context's settings (the certificate included) to share contexts between vhosts, so
     * two identities never share one.
     */
    gw_buf_t cert_pem = {0}, key_pem = {0};
    if (conf->identity &&
        (pem_of(conf->identity, 0, &cert_pem) != 0 || pem_of(conf->identity, 1, &key_pem) != 0)) {
        GW_LOGE("transport", "endpoint %s: cannot use the PKCS#12 identity", conf->name);
        wipe_buf(&key_pem);
        gw_buf_free(&cert_pem);
        free(ep);
        return NULL;
    }
    if (conf->identity) {
        info.client_ssl_cert_mem = cert_pem.data;
        info.client_ssl_cert_mem_len = (unsigned)cert_pem.len;
        info.client_ssl_key_mem = key_pem.data;
        info.client_ssl_key_mem_len = (unsigned)key_pem.len;
    }
    t->adding = conf->identity;
    t->adding_ep = ep;
    ep->vh = lws_create_vhost(t->ctx, &info);
    t->adding = NULL;
    t->adding_ep = NULL;
    wipe_buf(&key_pem);
    gw_buf_free(&cert_pem);
    if (ep->vh == NULL) {
        GW_LOGE("transport",
                "endpoint %s: cannot create the TLS client context (check ca_file, cert, key)",
                conf->name);
        free(ep);
        return NULL;
    }
    ep->t = t;
    ep->name = dupz(conf->name);
    ep->host = dupz(conf->host);
    ep->address = dupz(conf->address);
    ep->path = dupz(conf->path);
    ep->subprotocol = dupz(conf->subprotocol);
    ep->port = conf->port;
    ep->verify = conf->verify;
    ep->max_message = conf->max_message ? conf->max_message : 16u << 20;
    if (conf->npins && (ep->pins = calloc(conf->npins, sizeof(*ep->pins))) != NULL) {
        memcpy(ep->pins, conf->pins, conf->npins * sizeof(*ep->pins));
        ep->npins = conf->npins;
    }
    ep->headers = calloc(conf->nheaders + 1, sizeof(*ep->headers));
    for (size_t i = 0; ep->headers && i < conf->nheaders; i++) {
        ep->headers[i].name = dupz(conf->headers[i].name);
        ep->headers[i].value = dupz(conf->headers[i].value);
        ep->nheaders++;
    }
    ep->next = t->endpoints;
    t->endpoints = ep;
    return ep;
}

int gw_transport_endpoint_set_header(gw_endpoint_t *ep, const char *name, const char *value)
{
    for (size_t i = 0; i < ep->nheaders; i++) {
        if (strcmp(ep->headers[i].name, name) != 0)
            continue;
        char *v = strdup(value);
        if (v == NULL)
            return GW_ENOMEM;
        char *old = (char *)(uintptr_t)ep->headers[i].value;
        if (old) {
            explicit_bzero(old, strlen(old));
            free(old);
        }
        ep->headers[i].value = v;
        return 0;
    }
    return GW_EINVAL;
}

static _Thread_local const gw_transport_t *current_loop; /* set on the service thread */

/* 1 when tasks are queued (a racy peek: a task posted from elsewhere also wakes the poll). */
static int tasks_queued(gw_transport_t *t)
{
    pthread_mutex_lock(&t->lock);
    int queued = t->q_head != NULL;
    pthread_mutex_unlock(&t->lock);
    return queued;
}

static void tasks_due(gw_timer_t *tm)
{
    run_tasks((gw_transport_t *)((char *)tm - offsetof(gw_transport_t, tasks_tm)));
}

/*
 * One lws service round (timers, a poll, the callbacks) at a time; between
 * rounds, outside every callback, the tasks posted meanwhile run. A task
 * posted on the loop also arms a zero-delay timer, because lws runs its
 * timers *before* it polls: a task posted from a timer callback must not
 * wait for the poll's timeout. Run between rounds, the tasks disarm it
 * again, so a task posted from a socket callback (a reply that resumes a
 * request) costs no extra poll.
 */
static void *service_main(void *arg)
{
    gw_transport_t *t = arg;
    current_loop = t;
    pthread_setname_np(pthread_self(), "rfmgw-loop"); /* for ps -L, top -H, perf */
    while (!t->stop) {
        for (;;) {
            gw_timer_stop(&t->tasks_tm);
            if (t->stop || !tasks_queued(t))
                break;
            run_tasks(t);
        }
        if (t->stop || lws_service(t->ctx, 0) < 0)
            break;
    }
    return NULL;
}

int gw_transport_start(gw_transport_t *t)
{
    if (pthread_create(&t->thread, NULL, service_main, t) != 0)
        return GW_ENOMEM;
    t->started = 1;
    return 0;
}

int gw_transport_on_loop(const gw_transport_t *t)
{
    return current_loop == t;
}

void gw_transport_post(gw_transport_t *t, gw_task_t *task)
{
    task->next = NULL;
    pthread_mutex_lock(&t->lock);
    int was_empty = t->q_head == NULL;
    if (t->q_tail)
        t->q_tail->next = task;
    else
        t->q_head = task;
    t->q_tail = task;
    pthread_mutex_unlock(&t->lock);
    /*
     * A non-empty queue already has a wake-up on its way (or the loop is about to run it); posted
     * on the loop, the task runs when the current service round is over (service_main), or from
     * the zero-delay timer if it was posted before the round's poll.
     */
    if (current_loop == t) {
        if (!t->tasks_tm.armed)
            gw_timer_start(t, &t->tasks_tm, 0, tasks_due);
    } else if (was_empty) {
        lws_cancel_service(t->ctx);
    }
}

typedef struct {
    gw_task_t task; /* first: the task is the object */
    void (*fn)(void *arg);
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
} run_t;

static void run_task(gw_task_t *task)
{
    run_t *r = (run_t *)task;
    r->fn(r->arg);
    pthread_mutex_lock(&r->mu);
    r->done = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void gw_transport_run(gw_transport_t *t, void (*fn)(void *arg), void *arg)
{
    run_t r = {.task = {.fn = run_task}, .fn = fn, .arg = arg};
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    gw_transport_post(t, &r.task);
    pthread_mutex_lock(&r.mu);
    while (!r.done)
        pthread_cond_wait(&r.cv, &r.mu);
    pthread_mutex_unlock(&r.mu);
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.mu);
}

void gw_transport_stop(gw_transport_t *t)
{
    if (!t->started)
        return;
    t->stop = 1;
    lws_cancel_service(t->ctx);
    pthread_join(t->thread, NULL);
    t->started = 0;
}

void gw_transport_destroy(gw_transport_t *t)
{
    if (t == NULL)
        return;
    gw_transport_stop(t);
    t->destroying = 1;
    for (gw_tconn_t *c = t->conns; c; c = c->next) {
        c->cbs.on_close = NULL;
        if (c->wsi)
            lws_set_opaque_user_data(c->wsi, NULL);
        c->wsi = NULL;
    }
    lws_context_destroy(t->ctx);
    while (t->conns)
        conn_free(t->conns);
    gw_endpoint_t *ep = t->endpoints;
    while (ep) {
        gw_endpoint_t *n = ep->next;
        for (size_t i = 0; i < ep->nheaders; i++) {
            free((char *)(uintptr_t)ep->headers[i].name);
            if (ep->headers[i].value)
                explicit_bzero((char *)(uintptr_t)ep->headers[i].value,
                               strlen(ep->headers[i].value));
            free((char *)(uintptr_t)ep->headers[i].value);
        }
        free(ep->headers);
        free(ep->pins);
        free(ep->name);
        free(ep->host);
        free(ep->address);
        free(ep->path);
        free(ep->subprotocol);
        free(ep);
        ep = n;
    }
    pthread_mutex_destroy(&t->lock);
    free(t->rbuf);
    free(t);
}

gw_tconn_t *gw_transport_connect(gw_endpoint_t *ep, const gw_tconn_cbs_t *cbs, void *ud)
{
    return gw_transport_connect_with(ep, cbs, ud, NULL, 0);
}

gw_tconn_t *gw_transport_connect_with(gw_endpoint_t *ep, const gw_tconn_cbs_t *cbs, void *ud,
                                      const gw_header_t *hdrs, size_t nhdrs)
{
    gw_transport_t *t = ep->t;
    gw_tconn_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->hdrs = nhdrs ? calloc(nhdrs, sizeof(*c->hdrs)) : NULL;
    for (size_t i = 0; c->hdrs && i < nhdrs; i++) {
        char *name = strdup(hdrs[i].name), *value = strdup(hdrs[i].value);
        if (name == NULL || value == NULL) {
            free(name);
            free(value);
            conn_headers_free(c);
            free(c);
            return NULL;
        }
        c->hdrs[c->nhdrs++] = (gw_header_t){name, value};
    }
    if (nhdrs && c->hdrs == NULL) {
        free(c);
        return NULL;
    }
    c->t = t;
    c->ep = ep;
    c->cbs = *cbs;
    c->ud = ud;
    gw_buf_init(&c->rx, ep->max_message);
    c->next = t->conns;
    if (t->conns)
        t->conns->prev = c;
    t->conns = c;

    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = t->ctx;
    ci.vhost = ep->vh;
    ci.address = ep->address ? ep->address : ep->host;
    ci.port = ep->port;
    ci.host = ep->host;
    ci.origin = ep->host;
    ci.path = ep->path;
    ci.protocol = ep->subprotocol;
    ci.ssl_connection = LCCSCF_USE_SSL;
    if (!ep->verify)
        ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                             LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    ci.opaque_user_data = c;
    ci.pwsi = &c->wsi;
    if (lws_client_connect_via_info(&ci) == NULL && !c->dead) {
        c->wsi = NULL;
        set_reason(c, GW_EUNREACHABLE, "cannot connect to %s:%d", ci.address, ep->port);
        conn_dead(c);
    }
    return c;
}

void gw_transport_pause(gw_tconn_t *c, int pause)
{
    if (c->dead)
        return;
    c->paused = pause;
    if (c->direct) {
        if (c->rd)
            lws_rx_flow_control(c->rd->wsi, pause ? 0 : 1);
        if (!pause) /* what OpenSSL or the parser holds raises no readable event */
            gw_timer_start(c->t, &c->resume_tm, 0, direct_resume);
        return;
    }
    if (c->wsi)
        lws_rx_flow_control(c->wsi, pause ? 0 : 1);
}

int gw_transport_send(gw_tconn_t *c, const void *p, size_t len)
{
    if (c->dead || c->closing)
        return GW_ECOMM;
    if (c->direct) /* a write failure ends the connection: on_close says so */
        return direct_frame(c, GW__WS_BINARY, p, len);
    outmsg_t *m = malloc(sizeof(*m) + LWS_PRE + len);
    if (m == NULL)
        return GW_ENOMEM;
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, p, len);
    if (c->out_tail)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
    return 0;
}

void gw_transport_close(gw_tconn_t *c, int err, const char *reason)
{
    /* The caller is done with us: even a close already on its way must not call back. */
    c->cbs.on_close = NULL;
    if (c->dead)
        return;
    if (err)
        set_reason(c, err, "%s", reason ? reason : "closed");
    else if (!c->err)
        snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "closed");
    c->closing = 1;
    c->cbs.on_close = NULL; /* the caller knows; it may be gone before the wsi is */
    if (c->wsi) {
        lws_set_timeout(c->wsi, 1, LWS_TO_KILL_ASYNC);
        lws_set_opaque_user_data(c->wsi, NULL);
        c->wsi = NULL;
    }
    conn_dead(c);
}

static void timer_fire(lws_sorted_usec_list_t *sul)
{
    gw_timer_t *tm = (gw_timer_t *)(void *)sul;
    tm->armed = 0;
    tm->fn(tm);
}

void gw_timer_start(gw_transport_t *t, gw_timer_t *tm, int64_t ms, void (*fn)(gw_timer_t *tm))
{
    tm->t = t;
    tm->fn = fn;
    tm->armed = 1;
    lws_sul_schedule(t->ctx, 0, (lws_sorted_usec_list_t *)(void *)tm->sul, timer_fire,
                     (lws_usec_t)ms * LWS_US_PER_MS);
}

void gw_timer_stop(gw_timer_t *tm)
{
    if (!tm->armed)
        return;
    tm->armed = 0;
    lws_sul_schedule(tm->t->ctx, 0, (lws_sorted_usec_list_t *)(void *)tm->sul, timer_fire,
                     LWS_SET_TIMER_USEC_CANCEL);
}

gw_watch_t *gw_transport_watch(gw_transport_t *t, int fd, void (*fn)(void *ud), void *ud)
{
    gw_watch_t *w = calloc(1, sizeof(*w));
    int copy = w ? dup(fd) : -1; /* lws closes what it adopted; the owner keeps `fd` */
    if (copy < 0) {
        free(w);
        return NULL;
    }
    w->fn = fn;
    w->ud = ud;
    lws_sock_file_fd_type desc;
    desc.filefd = copy;
    w->wsi =
        lws_adopt_descriptor_vhost(t->loop_vh, LWS_ADOPT_RAW_FILE_DESC, desc, "rfmgw-watch", NULL);
    if (w->wsi == NULL) {
        close(copy);
        free(w);
        return NULL;
    }
    lws_set_opaque_user_data(w->wsi, w);
    return w;
}

void gw_transport_unwatch(gw_watch_t *w)
{
    if (w == NULL)
        return;
    lws_set_opaque_user_data(w->wsi, NULL);
    lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC); /* closes the copy */
    free(w);
}

struct gw_tls_update {
    gw_tlsid_t id; /* no certificate: no client identity */
    X509_STORE *store;
    uint8_t (*pins)[32];
    size_t npins;
};

gw_tls_update_t *gw_transport_tls_prepare(const gw_endpoint_conf_t *conf, char *why, size_t whysize)
{
    gw_tls_update_t *u = calloc(1, sizeof(*u));
    if (u == NULL) {
        snprintf(why, whysize, "out of memory");
        return NULL;
    }
    int ok = 1;
    if (conf->identity) { /* read by the caller (PKCS#12): share its objects */
        u->id = *conf->identity;
        ok = X509_up_ref(u->id.cert) && EVP_PKEY_up_ref(u->id.key);
        u->id.chain = conf->identity->chain ? X509_chain_up_ref(conf->identity->chain) : NULL;
        if (!ok) {
            memset(&u->id, 0, sizeof(u->id));
            snprintf(why, whysize, "cannot use the PKCS#12 identity");
        }
    } else if (conf->cert && conf->key) {
        ok = gw_tlsid_pem(conf->cert, conf->key, &u->id, why, whysize) == 0;
    }
    if (ok && conf->ca_file) {
        u->store = X509_STORE_new();
        ok = u->store && X509_STORE_load_file(u->store, conf->ca_file) == 1;
        if (!ok)
            snprintf(why, whysize, "cannot load CA certificates from %s", conf->ca_file);
    }
    if (ok && conf->npins) {
        u->pins = calloc(conf->npins, sizeof(*u->pins));
        ok = u->pins != NULL;
        if (ok) {
            memcpy(u->pins, conf->pins, conf->npins * sizeof(*u->pins));
            u->npins = conf->npins;
        }
    }
    ERR_clear_error();
    if (!ok) {
        gw_transport_tls_discard(u);
        return NULL;
    }
    return u;
}

void gw_transport_tls_discard(gw_tls_update_t *u)
{
    if (u == NULL)
        return;
    gw_tlsid_free(&u->id);
    X509_STORE_free(u->store);
    free(u->pins);
    free(u);
}

void gw_transport_endpoint_retls(gw_endpoint_t *ep, gw_tls_update_t *u)
{
    /*
     * In place, on the loop: an SSL object copies the context's certificate and key when it is
     * made and uses the store only during its handshake, so open connections are unaffected.
     */
    if (ep->ssl_ctx && u->id.cert && gw_tlsid_use(&u->id, ep->ssl_ctx) != 0)
        GW_LOGW("transport", "endpoint %s: cannot use the reloaded client identity", ep->name);
    if (ep->ssl_ctx && u->store) {
        SSL_CTX_set_cert_store(ep->ssl_ctx, u->store); /* takes it over, frees the old one */
        u->store = NULL;
    }
    free(ep->pins);
    ep->pins = u->pins;
    ep->npins = u->npins;
    u->pins = NULL;
    gw_transport_tls_discard(u);
}
