/*
 * sim_server: abapsim's libwebsockets server.
 *
 * One lws context, one vhost, one service thread. Two protocols:
 *
 *   protocols[0] "http": every connection starts here. It answers plain
 *   HTTP with 404 and vets WebSocket upgrades (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE)
 *   before they happen, so a wrong path, a missing subprotocol or an unknown
 *   host gets a real HTTP 4xx and never a WebSocket. It also receives the
 *   OpenSSL client certificate verification callback (lws sends that to
 *   protocols[0]); without our handling mutual TLS would be fail-open.
 *
 *   protocols[1] GW_WIRE_SUBPROTOCOL: the RFC sessions. The logon is decided
 *   in LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION, while the request headers
 *   are still there. A failed logon still completes the upgrade, like the
 *   real endpoint: the client gets one ERROR and close code 4001.
 *
 * Nothing is written from the receive callback. Replies are encoded into
 * buffers with LWS_PRE bytes of headroom, queued on the session, and sent
 * one per LWS_CALLBACK_SERVER_WRITEABLE. A session's memory (receive
 * buffer, queue, state) is freed only in LWS_CALLBACK_CLOSED.
 *
 * A request runs in handle_request() as a pure step "decoded message in,
 * encoded reply out" over the session's state; moving slow RFMs to worker
 * threads later means running that step elsewhere and waking the loop with
 * lws_cancel_service().
 */
#include "sim/sim.h"
#include "error/error.h"
#include "log/log.h"

#include <libwebsockets.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MOD                "server"
#define RX_BUFFER_SIZE     (64 * 1024)
#define CLOSE_LOGON_FAILED 4001
#define LOGON_FAILED_MSG   "Name or password is incorrect (repeat logon)"

typedef struct sim_out {
    struct sim_out *next;
    gw_buf_t buf; /* LWS_PRE bytes of headroom, then one encoded message */
} sim_out_t;

typedef struct {
    int established;
    int logon_ok;
    int open_queued;
    int closing; /* no more requests; close after the queue drains */
    uint16_t close_code;
    unsigned id;
    char session_id[16];
    char why[256]; /* logon failure reason, for the log */
    sim_logon_t logon;
    gw_buf_t rx;
    int rx_in_message;
    sim_out_t *out_head, *out_tail;
    sim_state_t state;
} sim_session_t;

typedef struct {
    const sim_config_t *cfg;
    gw_wire_limits_t limits;
    unsigned next_session;
} sim_server_t;

static struct lws_context *volatile running_ctx;
static volatile sig_atomic_t stop_requested;

void sim_server_stop(void)
{
    stop_requested = 1;
    struct lws_context *c = running_ctx;
    if (c)
        lws_cancel_service(c);
}

static sim_server_t *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* ---- sending ----------------------------------------------------------- */

static void out_free_all(sim_session_t *s)
{
    while (s->out_head) {
        sim_out_t *o = s->out_head;
        s->out_head = o->next;
        gw_buf_free(&o->buf);
        free(o);
    }
    s->out_tail = NULL;
}

/* Encodes `m` and queues it; GW_ETOOBIG when it exceeds limits.max_message. */
static int queue_msg(struct lws *wsi, sim_session_t *s, const gw_wire_msg_t *m)
{
    sim_server_t *srv = server_of(wsi);
    sim_out_t *o = calloc(1, sizeof(*o));
    static const uint8_t pre[LWS_PRE];
    int ret;

    if (o == NULL)
        return GW_ENOMEM;
    gw_buf_init(&o->buf, LWS_PRE + (size_t)srv->cfg->max_message);
    if ((ret = gw_buf_append(&o->buf, pre, LWS_PRE)) != 0 ||
        (ret = gw_wire_encode(&o->buf, m)) != 0) {
        gw_buf_free(&o->buf);
        free(o);
        return ret;
    }
    if (s->out_tail)
        s->out_tail->next = o;
    else
        s->out_head = o;
    s->out_tail = o;
    lws_callback_on_writable(wsi);
    return 0;
}

static void queue_error(struct lws *wsi, sim_session_t *s, uint32_t seq, int group, const char *key,
                        const char *message)
{
    gw_wire_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_ERROR;
    m.seq = seq;
    m.u.error.group = (uint8_t)group;
    m.u.error.key = gw_slice(key);
    m.u.error.message = gw_slice(message);
    m.u.error.msg_class = m.u.error.msg_type = m.u.error.msg_number = gw_slice("");
    for (int i = 0; i < 4; i++)
        m.u.error.msg_v[i] = gw_slice("");
    int ret = queue_msg(wsi, s, &m);
    if (ret != 0)
        GW_LOGE(MOD, "session %s: cannot queue ERROR: %s", s->session_id, gw_strerror(ret));
}

/* Queues an ERROR and closes with `code` once it is sent. */
static void fail_session(struct lws *wsi, sim_session_t *s, uint32_t seq, int group,
                         const char *key, const char *message, uint16_t code)
{
    if (s->closing)
        return;
    queue_error(wsi, s, seq, group, key, message);
    s->closing = 1;
    s->close_code = code;
    lws_callback_on_writable(wsi);
}

static void protocol_error(struct lws *wsi, sim_session_t *s, uint32_t seq, const char *why)
{
    char msg[256];
    GW_LOGW(MOD, "session %s: protocol error: %s; closing", s->session_id, why);
    snprintf(msg, sizeof(msg), "Protocol error: %s", why);
    fail_session(wsi, s, seq, GW_RFC_ERR_COMMUNICATION, "RFC_ERROR_COMMUNICATION", msg,
                 LWS_CLOSE_STATUS_PROTOCOL_ERR);
}

/* ---- requests ---------------------------------------------------------- */

static void reply_call(struct lws *wsi, sim_session_t *s, gw_arena_t *arena,
                       const gw_wire_msg_t *req)
{
    sim_server_t *srv = server_of(wsi);
    const gw_wire_call_t *call = &req->u.call;
    const sim_rfm_t *rfm = sim_rfm_find(call->function);
    gw_wire_msg_t rep;
    int64_t t0 = gw_now_ms();
    int ret;

    memset(&rep, 0, sizeof(rep));
    rep.seq = req->seq;
    if (req->flags & GW_WIRE_FLAG_RESET_FIRST)
        sim_state_reset(&s->state);
    if (rfm == NULL) {
        char msg[200];
        snprintf(msg, sizeof(msg), "Function module \"%.*s\" not found",
                 (int)(call->function.len > 100 ? 100 : call->function.len), call->function.ptr);
        GW_LOGD(MOD, "session %s: CALL %.*s seq %u: not found", s->session_id,
                (int)(call->function.len > 100 ? 100 : call->function.len), call->function.ptr,
                (unsigned)req->seq);
        queue_error(wsi, s, req->seq, GW_RFC_ERR_FUNCTION_NOT_FOUND, "FU_NOT_FOUND", msg);
        return;
    }
    sim_call_ctx_t ctx = {arena, srv->cfg, &s->logon, &s->state, time(NULL), {0}};
    ret = sim_rfm_call(&ctx, rfm, call, &rep.u.result);
    if (ret == 0) {
        rep.type = GW_WIRE_RESULT;
        ret = queue_msg(wsi, s, &rep);
        if (ret == GW_ETOOBIG)
            ret = sim_rfm_fail(&ctx, GW_RFC_ERR_RUNTIME_FAILURE, "RESULT_TOO_LARGE",
                               "The result of \"%s\" exceeds %lld bytes", rfm->desc.name.ptr,
                               (long long)srv->cfg->max_message);
        else if (ret != 0)
            ret = sim_rfm_fail(&ctx, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE",
                               "Cannot encode the result: %s", gw_strerror(ret));
    }
    if (ret != 0) {
        rep.type = GW_WIRE_ERROR;
        rep.u.error = ctx.error;
        if (queue_msg(wsi, s, &rep) != 0)
            GW_LOGE(MOD, "session %s: cannot queue ERROR", s->session_id);
    }
    GW_LOGD(MOD, "session %s: CALL %s seq %u: %s%.*s (%lld ms)", s->session_id, rfm->desc.name.ptr,
            (unsigned)req->seq, ret ? "ERROR " : "RESULT", ret ? (int)ctx.error.key.len : 0,
            ret ? ctx.error.key.ptr : "", (long long)(gw_now_ms() - t0));
}

static void reply_describe(struct lws *wsi, sim_session_t *s, const gw_wire_msg_t *req)
{
    const sim_rfm_t *rfm = sim_rfm_find(req->u.describe);
    gw_wire_msg_t rep;
    int len = (int)(req->u.describe.len > 100 ? 100 : req->u.describe.len);

    GW_LOGD(MOD, "session %s: DESCRIBE %.*s seq %u", s->session_id, len, req->u.describe.ptr,
            (unsigned)req->seq);
    if (rfm == NULL) {
        char msg[200];
        snprintf(msg, sizeof(msg), "Function module \"%.*s\" not found", len, req->u.describe.ptr);
        queue_error(wsi, s, req->seq, GW_RFC_ERR_FUNCTION_NOT_FOUND, "FU_NOT_FOUND", msg);
        return;
    }
    memset(&rep, 0, sizeof(rep));
    rep.type = GW_WIRE_DESCRIPTION;
    rep.seq = req->seq;
    rep.u.description = rfm->desc;
    int ret = queue_msg(wsi, s, &rep);
    if (ret != 0) {
        GW_LOGE(MOD, "session %s: cannot encode description: %s", s->session_id, gw_strerror(ret));
        queue_error(wsi, s, req->seq, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE",
                    "Cannot encode the description");
    }
}

static uint32_t raw_seq(const uint8_t *p, size_t len)
{
    if (len < 8)
        return 0;
    return (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
}

/* One complete binary message from the client. */
static void handle_request(struct lws *wsi, sim_session_t *s, const uint8_t *p, size_t len)
{
    sim_server_t *srv = server_of(wsi);
    gw_arena_t arena;
    gw_wire_msg_t req;
    const char *why = NULL;

    if (!s->open_queued) {
        protocol_error(wsi, s, raw_seq(p, len), "request before OPEN");
        return;
    }
    /* decoded values and the result live in one arena, a few times the message size */
    gw_arena_init(&arena, 4 * (size_t)srv->cfg->max_message + 1024 * 1024);
    int ret = gw_wire_decode(&arena, p, len, &srv->limits, &req, &why);
    if (ret != 0) {
        char msg[200];
        snprintf(msg, sizeof(msg), "cannot decode message: %s", why ? why : gw_strerror(ret));
        protocol_error(wsi, s, raw_seq(p, len), msg);
        goto cleanup;
    }
    switch (req.type) {
    case GW_WIRE_CALL:
        reply_call(wsi, s, &arena, &req);
        break;
    case GW_WIRE_DESCRIBE:
        reply_describe(wsi, s, &req);
        break;
    case GW_WIRE_RESET: {
        gw_wire_msg_t rep;
        memset(&rep, 0, sizeof(rep));
        rep.type = GW_WIRE_RESET_OK;
        rep.seq = req.seq;
        sim_state_reset(&s->state);
        GW_LOGD(MOD, "session %s: RESET seq %u", s->session_id, (unsigned)req.seq);
        if (queue_msg(wsi, s, &rep) != 0)
            GW_LOGE(MOD, "session %s: cannot queue RESET_OK", s->session_id);
        break;
    }
    default: {
        char msg[100];
        snprintf(msg, sizeof(msg), "unexpected %s message from the client",
                 gw_wire_type_name(req.type));
        protocol_error(wsi, s, req.seq, msg);
    }
    }
cleanup:
    gw_arena_free(&arena);
}

/* ---- logon ------------------------------------------------------------- */

static const char *custom_hdr(struct lws *wsi, const char *name, char *buf, int len)
{
    char key[64];
    int n = snprintf(key, sizeof(key), "%s:", name); /* lws stores names lower case, with ':' */
    if (lws_hdr_custom_copy(wsi, buf, len, key, n) < 0)
        return NULL;
    char *p = buf;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t l = strlen(p);
    while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t'))
        p[--l] = '\0';
    return p;
}

static void decide_logon(struct lws *wsi, sim_session_t *s)
{
    sim_server_t *srv = server_of(wsi);
    char host[300], client[16], alias[16], lang[16], auth[1024], subject[1024];
    uint8_t fp[32];
    unsigned int fplen = 0;
    sim_logon_req_t req;

    memset(&req, 0, sizeof(req));
    if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) > 0)
        req.host = host;
    req.client = custom_hdr(wsi, GW_WIRE_HDR_CLIENT, client, sizeof(client));
    req.alias = custom_hdr(wsi, GW_WIRE_HDR_ALIAS, alias, sizeof(alias));
    req.language = custom_hdr(wsi, GW_WIRE_HDR_LANGUAGE, lang, sizeof(lang));
    if (lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) > 0)
        req.authorization = auth;

    SSL *ssl = lws_get_ssl(wsi);
    X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
    if (peer) {
        req.has_cert = 1;
        if (SSL_get_verify_result(ssl) != X509_V_OK) {
            /* cannot happen: the handshake fails first; fail closed anyway */
            snprintf(s->why, sizeof(s->why), "client certificate not verified");
            s->logon_ok = 0;
            goto done;
        }
        BIO *b = BIO_new(BIO_s_mem());
        if (b && X509_NAME_print_ex(b, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253) >= 0) {
            int n = BIO_read(b, subject, sizeof(subject) - 1);
            subject[n > 0 ? n : 0] = '\0';
            req.cert_subject = subject;
        }
        BIO_free(b);
        if (X509_digest(peer, EVP_sha256(), fp, &fplen) == 1 && fplen == sizeof(fp))
            req.cert_sha256 = fp;
    }
    s->logon_ok = sim_logon(srv->cfg, &req, &s->logon, s->why, sizeof(s->why)) == 0;
done:
    OPENSSL_cleanse(auth, sizeof(auth));
}

/* ---- protocols --------------------------------------------------------- */

static int hdr_has_token(struct lws *wsi, enum lws_token_indexes h, const char *want)
{
    char buf[256];
    if (lws_hdr_copy(wsi, buf, sizeof(buf), h) <= 0)
        return 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
        if (strcmp(t, want) == 0)
            return 1;
    return 0;
}

static int refuse(struct lws *wsi, unsigned code, const char *msg, const char *logmsg)
{
    GW_LOGW(MOD, "upgrade refused with HTTP %u: %s", code, logmsg);
    if (lws_return_http_status(wsi, code, msg))
        return -1;
    return 1; /* headers sent; lws completes the transaction */
}

/* Vets an upgrade request before lws switches to WebSocket. */
static int confirm_upgrade(struct lws *wsi, const char *upgrade)
{
    sim_server_t *srv = server_of(wsi);
    char uri[512], host[300], name[256];

    if (upgrade == NULL || strcasecmp(upgrade, "websocket") != 0)
        return refuse(wsi, HTTP_STATUS_BAD_REQUEST, "Only WebSocket upgrades", "not websocket");
    if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
        return refuse(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "Use GET", "not a GET");
    if (strcmp(uri, srv->cfg->path) != 0)
        return refuse(wsi, HTTP_STATUS_NOT_FOUND, "No such path", "wrong path");
    if (!hdr_has_token(wsi, WSI_TOKEN_PROTOCOL, GW_WIRE_SUBPROTOCOL))
        return refuse(wsi, HTTP_STATUS_BAD_REQUEST,
                      "Sec-WebSocket-Protocol must include " GW_WIRE_SUBPROTOCOL,
                      "subprotocol " GW_WIRE_SUBPROTOCOL " not offered");
    if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0 ||
        sim_host_strip_port(host, name, sizeof(name)) != 0)
        return refuse(wsi, HTTP_STATUS_BAD_REQUEST, "Missing Host", "no Host header");
    if (sim_config_find_host(srv->cfg, name) == NULL) {
        for (char *p = name; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
                *p = '?';
        GW_LOGW(MOD, "unknown host '%s'", name);
        return refuse(wsi, 421, "Unknown host", "unknown host");
    }
    return 0;
}

static int callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION: {
        /* user: X509_STORE_CTX, len: OpenSSL's preverify result. Fail closed. */
        if (len == 0) {
            X509_STORE_CTX *xs = user;
            X509 *c = X509_STORE_CTX_get_current_cert(xs);
            char subj[256] = "?";
            if (c)
                X509_NAME_oneline(X509_get_subject_name(c), subj, sizeof(subj));
            GW_LOGW(MOD, "client certificate rejected at depth %d: %s (subject %s)",
                    X509_STORE_CTX_get_error_depth(xs),
                    X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)), subj);
            return 1;
        }
        return 0;
    }
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS: {
        SSL_CTX *ctx = user;
        sim_server_t *srv = lws_context_user(lws_get_context(wsi));
        if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
            return 1;
        if (srv->cfg->tls_client_ca) {
            /* lws only logs a CA file it cannot load; we refuse to start */
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(srv->cfg->tls_client_ca);
            if (names == NULL ||
                SSL_CTX_load_verify_locations(ctx, srv->cfg->tls_client_ca, NULL) != 1) {
                sk_X509_NAME_pop_free(names, X509_NAME_free);
                GW_LOGE(MOD, "tls.client_ca %s: no usable CA certificate", srv->cfg->tls_client_ca);
                return 1;
            }
            SSL_CTX_set_client_CA_list(ctx, names); /* takes ownership */
        }
        return 0;
    }
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(wsi, in);
    case LWS_CALLBACK_HTTP:
        if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "Not found") ||
            lws_http_transaction_completed(wsi))
            return -1;
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static void session_established(struct lws *wsi, sim_session_t *s)
{
    sim_server_t *srv = server_of(wsi);
    s->established = 1;
    s->id = ++srv->next_session;
    snprintf(s->session_id, sizeof(s->session_id), "S%06u", s->id % 1000000u);
    gw_buf_init(&s->rx, (size_t)srv->cfg->max_message);
    sim_state_init(&s->state);

    if (!s->logon_ok) {
        GW_LOGW(MOD, "session %s: logon failed: %s", s->session_id, s->why);
        fail_session(wsi, s, 0, GW_RFC_ERR_LOGON_FAILURE, "RFC_ERROR_LOGON_FAILURE",
                     LOGON_FAILED_MSG, CLOSE_LOGON_FAILED);
        return;
    }
    GW_LOGI(MOD, "session %s: logon user %s client %s host %s method %s language %s", s->session_id,
            s->logon.user, s->logon.client, s->logon.host, s->logon.method, s->logon.language);
    gw_wire_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_OPEN;
    m.u.open.sid = gw_slice(srv->cfg->sid);
    m.u.open.release = gw_slice(srv->cfg->release);
    m.u.open.client = gw_slice(s->logon.client);
    m.u.open.user = gw_slice(s->logon.user);
    m.u.open.host = gw_slice(s->logon.host);
    m.u.open.session = gw_slice(s->session_id);
    int ret = queue_msg(wsi, s, &m);
    if (ret != 0) {
        GW_LOGE(MOD, "session %s: cannot queue OPEN: %s", s->session_id, gw_strerror(ret));
        s->closing = 1;
        s->close_code = LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
        lws_callback_on_writable(wsi);
        return;
    }
    s->open_queued = 1;
}

static void session_receive(struct lws *wsi, sim_session_t *s, const void *in, size_t len)
{
    if (s->closing)
        return; /* draining; the close follows */
    if (!s->rx_in_message) {
        s->rx_in_message = 1;
        s->rx.len = 0;
        s->rx.failed = 0;
        if (!lws_frame_is_binary(wsi)) {
            protocol_error(wsi, s, 0, "text frame");
            return;
        }
    }
    if (len && gw_buf_append(&s->rx, in, len) != 0) {
        GW_LOGW(MOD, "session %s: message larger than %lld bytes; closing", s->session_id,
                (long long)server_of(wsi)->cfg->max_message);
        fail_session(wsi, s, 0, GW_RFC_ERR_COMMUNICATION, "RFC_ERROR_COMMUNICATION",
                     "Message too large", LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
        return;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
        return;
    s->rx_in_message = 0;
    handle_request(wsi, s, s->rx.data ? s->rx.data : (const uint8_t *)"", s->rx.len);
    /* do not keep a large buffer around between messages */
    if (s->rx.cap > RX_BUFFER_SIZE) {
        size_t max = s->rx.max;
        gw_buf_free(&s->rx);
        gw_buf_init(&s->rx, max);
    }
}

static int session_writeable(struct lws *wsi, sim_session_t *s)
{
    sim_out_t *o = s->out_head;
    if (o == NULL) {
        if (s->closing) {
            unsigned char r[16];
            int n = snprintf((char *)r, sizeof(r), "%s",
                             s->close_code == CLOSE_LOGON_FAILED ? "logon failed" : "closing");
            lws_close_reason(wsi, (enum lws_close_status)s->close_code, r, (size_t)n);
            return -1;
        }
        return 0;
    }
    size_t n = o->buf.len - LWS_PRE;
    int w = lws_write(wsi, o->buf.data + LWS_PRE, n, LWS_WRITE_BINARY);
    s->out_head = o->next;
    if (s->out_head == NULL)
        s->out_tail = NULL;
    gw_buf_free(&o->buf);
    free(o);
    if (w < (int)n) {
        GW_LOGW(MOD, "session %s: write failed", s->session_id);
        return -1;
    }
    if (s->out_head || s->closing)
        lws_callback_on_writable(wsi);
    return 0;
}

static void session_free(sim_session_t *s)
{
    if (!s->established)
        return;
    out_free_all(s);
    gw_buf_free(&s->rx);
    sim_state_reset(&s->state);
    s->established = 0;
}

static int callback_rfc(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                        size_t len)
{
    sim_session_t *s = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        decide_logon(wsi, s);
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        session_established(wsi, s);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        session_receive(wsi, s, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return session_writeable(wsi, s);
    case LWS_CALLBACK_CLOSED:
        if (s && s->established)
            GW_LOGD(MOD, "session %s: closed", s->session_id);
        if (s)
            session_free(s);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"http", callback_http, 0, 0, 0, NULL, 0},
    {GW_WIRE_SUBPROTOCOL, callback_rfc, sizeof(sim_session_t), RX_BUFFER_SIZE, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- running ----------------------------------------------------------- */

static void lws_log_emit(int level, const char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    if (level & LLL_ERR)
        GW_LOGE("lws", "%.*s", (int)n, line);
    else if (level & LLL_WARN)
        GW_LOGW("lws", "%.*s", (int)n, line);
    else
        GW_LOGD("lws", "%.*s", (int)n, line);
}

static int write_ready_file(const char *path, int port)
{
    char tmp[4096];
    int ret = 0;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return GW_EINVAL;
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return GW_EINVAL;
    if (fprintf(f, "%d\n", port) < 0)
        ret = GW_EINVAL;
    if (fclose(f) != 0)
        ret = GW_EINVAL;
    if (ret == 0 && rename(tmp, path) != 0)
        ret = GW_EINVAL;
    if (ret != 0)
        unlink(tmp);
    return ret;
}

int sim_server_run(const sim_config_t *cfg, const sim_run_opts_t *opts)
{
    struct lws_context_creation_info info;
    struct lws_context *ctx = NULL;
    struct lws_vhost *vh;
    sim_server_t srv;
    int ret = 0;

    memset(&srv, 0, sizeof(srv));
    srv.cfg = cfg;
    srv.limits = gw_wire_limits_default();
    srv.limits.max_message = (uint32_t)cfg->max_message;

    /* the system's time zone, for dates and times the RFMs report */
    if (setenv("TZ", cfg->timezone, 1) != 0)
        return GW_ENOMEM;
    tzset();

    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);

    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.user = &srv;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    ctx = lws_create_context(&info);
    if (ctx == NULL) {
        GW_LOGE(MOD, "cannot create the libwebsockets context");
        return GW_EINVAL;
    }

    memset(&info, 0, sizeof(info));
    info.vhost_name = "abapsim";
    info.port = opts && opts->port >= 0 ? opts->port : (int)cfg->port;
    info.iface = cfg->address;
    info.protocols = protocols;
    info.ssl_cert_filepath = cfg->tls_cert;
    info.ssl_private_key_filepath = cfg->tls_key;
    info.ssl_ca_filepath = cfg->tls_client_ca;
    info.alpn = "http/1.1";
    info.ssl_options_set = SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS |
                   LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (strchr(cfg->address, ':') == NULL)
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    if (cfg->tls_client_ca)
        info.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT |
                        LWS_SERVER_OPTION_PEER_CERT_NOT_REQUIRED;
    vh = lws_create_vhost(ctx, &info);
    if (vh == NULL || lws_get_vhost_listen_port(vh) <= 0) {
        GW_LOGE(MOD, "cannot listen on %s:%d with TLS (address in use, or bad certificate/key)",
                cfg->address, info.port);
        ret = GW_EINVAL;
        goto cleanup;
    }
    int port = lws_get_vhost_listen_port(vh);
    if (opts && opts->ready_file && write_ready_file(opts->ready_file, port) != 0) {
        GW_LOGE(MOD, "cannot write the ready file %s", opts->ready_file);
        ret = GW_EINVAL;
        goto cleanup;
    }
    GW_LOGI(MOD, "abapsim listening on %s:%d (SID %s)", cfg->address, port, cfg->sid);

    running_ctx = ctx;
    while (!stop_requested)
        if (lws_service(ctx, 0) < 0)
            break;
    GW_LOGI(MOD, "stopping");

cleanup:
    running_ctx = NULL;
    lws_context_destroy(ctx);
    return ret;
}
