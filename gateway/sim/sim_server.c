/*
 * sim_server: abapsim's libwebsockets server.
 *
 * One lws context, one vhost, one service thread that owns every session.
 * The vhost does not listen itself: sim_listen.c accepts TCP connections on
 * its own thread (so connection faults act on the real port) and hands
 * them over through a queue; this thread adopts them (TLS included). Two
 * protocols:
 *
 *   protocols[0] "http": every connection starts here. It answers plain
 *   HTTP with 404 and vets WebSocket upgrades (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE)
 *   before they happen, so a wrong path, a missing subprotocol, an unknown
 *   host or the conversation limit gets a real HTTP 4xx/5xx and never a
 *   WebSocket. It also receives the OpenSSL client certificate verification
 *   callback (lws sends that to protocols[0]); without our handling mutual
 *   TLS would be fail-open. And it handles LWS_CALLBACK_EVENT_WAIT_CANCELLED,
 *   where the other threads' results come in.
 *
 *   protocols[1] GW_WIRE_SUBPROTOCOL: the RFC sessions.
 *
 * Slow work runs on the worker pool (sim_worker.c): the logon (a PBKDF2
 * check can take 100 ms) and every request (decode, authorization, the RFM
 * handler, encoding the reply). A session has at most one job in flight;
 * requests that arrive meanwhile wait in the session's queue, so replies
 * keep request order. Finished jobs come back through the pool's done list
 * and lws_cancel_service(); here the faults are applied and the encoded
 * reply is queued for LWS_CALLBACK_SERVER_WRITEABLE (one lws_write per
 * callback, never from a receive callback).
 *
 * The session's lws user data is freed by lws after LWS_CALLBACK_CLOSED,
 * while a worker may still be running the session's request. So what a job
 * touches — the ABAP session state and the logon — lives in a separate
 * sim_conn_t with a reference count that only this thread changes: the
 * session holds one reference, each job in flight another. A job that comes
 * back for a closed connection is dropped; the last reference resets the
 * state (rolling back pending changes) and frees it.
 */
#include "sim/sim_server_internal.h"
#include "error/error.h"
#include "log/log.h"

#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MOD "server"
/*
 * Results sent in parts (large tables): the first part is small and made with the
 * request; the rest is produced by BULK_WORKERS threads at BULK_NICE, so that
 * producing many rows for one caller does not delay small calls of others —
 * as an ABAP system with free work processes on more cores would not.
 */
#define BULK_WORKERS       2
#define BULK_NICE          10
#define FIRST_PART_BYTES   (16 * 1024)
#define RX_BUFFER_SIZE     (64 * 1024)
#define CLOSE_LOGON_FAILED 4001
#define LOGON_FAILED_MSG   "Name or password is incorrect (repeat logon)"
#define MAX_QUEUED         64 /* requests waiting per session */

typedef struct sim_out {
    struct sim_out *next;
    gw_buf_t buf; /* LWS_PRE bytes of headroom, then one encoded message */
} sim_out_t;

struct sim_session;
struct job;

/* What a job may touch; outlives the lws session while a job runs. */
typedef struct {
    unsigned refs; /* changed on the lws thread only */
    int closed;    /* the session is gone: results are dropped */
    struct lws *wsi;
    struct sim_session *s;
    sim_state_t state;
    sim_logon_t logon;
    char session_id[16];
    lws_sorted_usec_list_t sul; /* latency fault */
    struct job *delayed;        /* the reply the latency fault holds back */
} sim_conn_t;

typedef struct sim_session {
    sim_conn_t *conn; /* NULL before ESTABLISHED */
    int logon_done;   /* OPEN queued */
    int busy;         /* a job of this session is on the pool */
    int closing;      /* no more requests; close after the queue drains */
    int drop;         /* fault: close without a close frame */
    uint16_t close_code;
    gw_buf_t rx;
    int rx_in_message;
    sim_out_t *out_head, *out_tail;
    struct job *q_head, *q_tail; /* requests waiting for the running one */
    size_t nqueued;
    size_t nout;                     /* messages in the out queue */
    struct job *stream;              /* a result still being sent part by part (sim_cursor_t) */
    int stream_running;              /* its next part is being produced on a worker */
    struct sim_session *prev, *next; /* all sessions, for close-all */
} sim_session_t;

enum { JOB_LOGON, JOB_REQUEST, JOB_STREAM };
enum { R_SEND, R_PROTOCOL_ERROR };

typedef struct {
    char host[300], client[16], alias[16], lang[16], auth[1024], subject[1024];
    uint8_t fp[32];
    sim_logon_req_t req;
} logon_in_t;

typedef struct job {
    sim_work_t work; /* first */
    int kind;
    struct sim_server *srv;
    sim_conn_t *conn;
    /* JOB_LOGON */
    logon_in_t *in;
    int logon_ret;
    sim_logon_t logon;
    char why[256];
    /* JOB_REQUEST */
    gw_buf_t msg; /* the request as received */
    int outcome;  /* R_* */
    gw_buf_t out; /* LWS_PRE headroom, then the encoded reply */
    char perr[200];
    uint32_t seq;
    const sim_rfm_t *rfm; /* a CALL of this RFM was answered (stats, faults) */
    int call_failed;
    /* faults decided when the result came back */
    int f_drop, f_garbage, f_truncate;
    /* a result sent in parts: the row source and the call arena it lives in */
    sim_cursor_t *cursor;
    gw_arena_t *stream_arena;
} job_t;

typedef struct sim_server {
    const sim_config_t *cfg;
    gw_wire_limits_t limits;
    unsigned next_session;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    sim_pool_t pool; /* logons, requests */
    sim_pool_t bulk; /* the later parts of results sent in parts, at a lower priority */
    sim_shared_t sh;
    sim_listener_t listener;
    sim_session_t *sessions; /* doubly linked, lws thread only */
    size_t nsessions;
    pthread_mutex_t adopt_mu; /* sockets accepted by the listener, not yet adopted */
    int *adopt;
    size_t nadopt, capadopt;
} sim_server_t;

static struct lws_context *volatile running_ctx;
static volatile sig_atomic_t stop_requested, reload_requested;

void sim_server_reload_faults(void)
{
    reload_requested = 1;
    struct lws_context *c = running_ctx;
    if (c)
        lws_cancel_service(c);
}

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

static void wake_lws(void *arg)
{
    sim_server_t *srv = arg;
    lws_cancel_service(srv->ctx);
}

/* ---- connections and jobs ---------------------------------------------- */

static void conn_unref(sim_conn_t *c)
{
    if (--c->refs > 0)
        return;
    sim_state_reset(&c->state);
    free(c);
}

static void job_free(job_t *j)
{
    if (j->in) {
        OPENSSL_cleanse(j->in, sizeof(*j->in));
        free(j->in);
    }
    gw_buf_free(&j->msg);
    gw_buf_free(&j->out);
    if (j->stream_arena) {
        gw_arena_free(j->stream_arena);
        free(j->stream_arena);
    }
    if (j->conn)
        conn_unref(j->conn);
    free(j);
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
    s->nout = 0;
}

/* Queues an encoded buffer (LWS_PRE headroom) for sending; takes `buf` over. */
static int queue_buf(struct lws *wsi, sim_session_t *s, gw_buf_t *buf)
{
    sim_out_t *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return GW_ENOMEM;
    o->buf = *buf;
    memset(buf, 0, sizeof(*buf));
    if (s->out_tail)
        s->out_tail->next = o;
    else
        s->out_head = o;
    s->out_tail = o;
    s->nout++;
    lws_callback_on_writable(wsi);
    return 0;
}

/* Encodes `m` with LWS_PRE headroom into `out`; GW_ETOOBIG past limits.max_message. */
static int encode_msg(size_t max_message, const gw_wire_msg_t *m, gw_buf_t *out)
{
    static const uint8_t pre[LWS_PRE];
    int ret;
    gw_buf_init(out, LWS_PRE + max_message);
    if ((ret = gw_buf_append(out, pre, LWS_PRE)) != 0 || (ret = gw_wire_encode(out, m)) != 0)
        gw_buf_free(out);
    return ret;
}

static int queue_msg(struct lws *wsi, sim_session_t *s, const gw_wire_msg_t *m)
{
    gw_buf_t b;
    int ret = encode_msg((size_t)server_of(wsi)->cfg->max_message, m, &b);
    if (ret == 0 && (ret = queue_buf(wsi, s, &b)) != 0)
        gw_buf_free(&b);
    return ret;
}

static void error_msg(gw_wire_msg_t *m, uint32_t seq, int group, const char *key,
                      const char *message)
{
    memset(m, 0, sizeof(*m));
    m->type = GW_WIRE_ERROR;
    m->seq = seq;
    m->u.error.group = (uint8_t)group;
    m->u.error.key = gw_slice(key);
    m->u.error.message = gw_slice(message);
    m->u.error.msg_class = m->u.error.msg_type = m->u.error.msg_number = gw_slice("");
    for (int i = 0; i < 4; i++)
        m->u.error.msg_v[i] = gw_slice("");
}

static void queue_error(struct lws *wsi, sim_session_t *s, uint32_t seq, int group, const char *key,
                        const char *message)
{
    gw_wire_msg_t m;
    error_msg(&m, seq, group, key, message);
    int ret = queue_msg(wsi, s, &m);
    if (ret != 0)
        GW_LOGE(MOD, "session %s: cannot queue ERROR: %s", s->conn->session_id, gw_strerror(ret));
}

static void drop_queued(sim_session_t *s)
{
    while (s->q_head) {
        job_t *j = s->q_head;
        s->q_head = (job_t *)j->work.next;
        job_free(j);
    }
    s->q_tail = NULL;
    s->nqueued = 0;
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
    drop_queued(s);
    lws_callback_on_writable(wsi);
}

static void protocol_error(struct lws *wsi, sim_session_t *s, uint32_t seq, const char *why)
{
    char msg[256];
    GW_LOGW(MOD, "session %s: protocol error: %s; closing", s->conn->session_id, why);
    snprintf(msg, sizeof(msg), "Protocol error: %s", why);
    fail_session(wsi, s, seq, GW_RFC_ERR_COMMUNICATION, "RFC_ERROR_COMMUNICATION", msg,
                 LWS_CLOSE_STATUS_PROTOCOL_ERR);
}

/* ---- requests (on a worker thread) ------------------------------------- */

static uint32_t raw_seq(const uint8_t *p, size_t len)
{
    if (len < 8)
        return 0;
    return (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
}

static const sim_user_t *logon_user(const sim_server_t *srv, const sim_conn_t *c)
{
    int i = c->logon.user_index;
    return i >= 0 && (size_t)i < srv->cfg->nusers ? &srv->cfg->users[i] : NULL;
}

/* Unknown RFM → FU_NOT_FOUND; known but outside the user's scenarios → no authority. */
static int check_rfm(job_t *j, gw_slice_t name, const sim_rfm_t **rfm, gw_wire_msg_t *rep,
                     char *msg, size_t msglen)
{
    int len = (int)(name.len > 100 ? 100 : name.len);
    *rfm = sim_rfm_find(name);
    if (*rfm == NULL) {
        snprintf(msg, msglen, "Function module \"%.*s\" not found", len, name.ptr);
        error_msg(rep, rep->seq, GW_RFC_ERR_FUNCTION_NOT_FOUND, "FU_NOT_FOUND", msg);
        return -1;
    }
    if (!sim_comm_allows(j->srv->cfg, logon_user(j->srv, j->conn), name)) {
        snprintf(msg, msglen, "No RFC authorization for function module %.*s", len, name.ptr);
        error_msg(rep, rep->seq, GW_RFC_ERR_AUTHORIZATION, "RFC_NO_AUTHORITY", msg);
        GW_LOGW(MOD,
                "session %s: user %s: no RFC authorization for %.*s (not in the user's "
                "communication scenarios)",
                j->conn->session_id, j->conn->logon.user, len, name.ptr);
        return -1;
    }
    return 0;
}

static size_t part_bytes(const sim_server_t *srv);
static size_t first_part_bytes(const sim_server_t *srv);
static int first_part(sim_call_ctx_t *ctx, gw_wire_msg_t *rep, size_t bytes, int *more);

static void run_request(job_t *j)
{
    sim_server_t *srv = j->srv;
    sim_conn_t *c = j->conn;
    size_t max = (size_t)srv->cfg->max_message;
    gw_arena_t arena;
    gw_wire_msg_t req, rep;
    const char *why = NULL;
    char msg[200];
    int64_t t0 = gw_now_ms();

    j->seq = raw_seq(j->msg.data, j->msg.len);
    /* decoded values and the result live in one arena, a few times the message size */
    gw_arena_init(&arena, 4 * max + 1024 * 1024);
    int ret = gw_wire_decode(&arena, j->msg.data ? j->msg.data : (const uint8_t *)"", j->msg.len,
                             &srv->limits, &req, &why);
    if (ret != 0) {
        snprintf(j->perr, sizeof(j->perr), "cannot decode message: %s",
                 why ? why : gw_strerror(ret));
        j->outcome = R_PROTOCOL_ERROR;
        goto cleanup;
    }
    j->seq = req.seq;
    memset(&rep, 0, sizeof(rep));
    rep.seq = req.seq;
    switch (req.type) {
    case GW_WIRE_CALL: {
        const gw_wire_call_t *call = &req.u.call;
        const sim_rfm_t *rfm;
        if (req.flags & GW_WIRE_FLAG_RESET_FIRST)
            sim_state_reset(&c->state);
        if (check_rfm(j, call->function, &rfm, &rep, msg, sizeof(msg)) != 0) {
            j->call_failed = 1;
            break;
        }
        sim_call_ctx_t ctx = {&arena, srv->cfg, &c->logon, &c->state, time(NULL), {0}, NULL};
        ret = sim_rfm_call(&ctx, rfm, call, &rep.u.result);
        int more = 0;
        if (ret == 0 && ctx.cursor)
            ret = first_part(&ctx, &rep, first_part_bytes(srv), &more);
        if (ret == 0 && more) {
            rep.flags |= GW_WIRE_FLAG_MORE;
            j->cursor = ctx.cursor;
        }
        if (ret == 0) {
            rep.type = GW_WIRE_RESULT;
            ret = encode_msg(max, &rep, &j->out);
            if (ret == GW_ETOOBIG)
                ret =
                    sim_rfm_fail(&ctx, GW_RFC_ERR_RUNTIME_FAILURE, "RESULT_TOO_LARGE",
                                 "The result of \"%s\" exceeds %zu bytes", rfm->desc.name.ptr, max);
            else if (ret != 0)
                ret = sim_rfm_fail(&ctx, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE",
                                   "Cannot encode the result: %s", gw_strerror(ret));
        }
        if (ret != 0) {
            rep.type = GW_WIRE_ERROR;
            rep.flags = 0;
            rep.u.error = ctx.error;
            j->call_failed = 1;
            j->cursor = NULL;
        }
        j->rfm = rfm;
        GW_LOGD(MOD, "session %s: CALL %s seq %u: %s%.*s (%lld ms)%s%.*s", c->session_id,
                rfm->desc.name.ptr, (unsigned)req.seq, ret ? "ERROR " : "RESULT",
                ret ? (int)ctx.error.key.len : 0, ret ? ctx.error.key.ptr : "",
                (long long)(gw_now_ms() - t0), req.u.call.trace.len ? " traceparent " : "",
                (int)(req.u.call.trace.len > 55 ? 55 : req.u.call.trace.len),
                req.u.call.trace.ptr ? req.u.call.trace.ptr : "");
        break;
    }
    case GW_WIRE_DESCRIBE: {
        const sim_rfm_t *rfm;
        GW_LOGD(MOD, "session %s: DESCRIBE %.*s seq %u", c->session_id,
                (int)(req.u.describe.len > 100 ? 100 : req.u.describe.len), req.u.describe.ptr,
                (unsigned)req.seq);
        if (check_rfm(j, req.u.describe, &rfm, &rep, msg, sizeof(msg)) != 0)
            break;
        rep.type = GW_WIRE_DESCRIPTION;
        rep.u.description = rfm->desc;
        if (encode_msg(max, &rep, &j->out) != 0) {
            GW_LOGE(MOD, "session %s: cannot encode the description", c->session_id);
            error_msg(&rep, req.seq, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE",
                      "Cannot encode the description");
        }
        break;
    }
    case GW_WIRE_RESET:
        rep.type = GW_WIRE_RESET_OK;
        sim_state_reset(&c->state);
        GW_LOGD(MOD, "session %s: RESET seq %u", c->session_id, (unsigned)req.seq);
        break;
    default:
        snprintf(j->perr, sizeof(j->perr), "unexpected %s message from the client",
                 gw_wire_type_name(req.type));
        j->outcome = R_PROTOCOL_ERROR;
        goto cleanup;
    }
    if (j->out.data == NULL && (ret = encode_msg(max, &rep, &j->out)) != 0) {
        GW_LOGE(MOD, "session %s: cannot encode the reply: %s", c->session_id, gw_strerror(ret));
        error_msg(&rep, req.seq, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE",
                  "Cannot encode the reply");
        encode_msg(max, &rep, &j->out);
    }
    j->outcome = R_SEND;
    if (j->cursor) {
        /* the row source lives in the call arena: keep it for the next parts */
        j->stream_arena = malloc(sizeof(*j->stream_arena));
        if (j->stream_arena) {
            *j->stream_arena = arena;
            gw_arena_init(&arena, 0);
        } else {
            j->cursor = NULL; /* the first part says MORE; run_stream() ends it with an ERROR */
        }
    }
cleanup:
    gw_arena_free(&arena);
    gw_buf_free(&j->msg);
}

/* Bytes of rows per RESULT part: a quarter of the message limit, at most 256 KiB. */
static size_t part_bytes(const sim_server_t *srv)
{
    size_t n = (size_t)srv->cfg->max_message / 4;
    return n > 256 * 1024 ? 256 * 1024 : n < 1024 ? 1024 : n;
}

/* The first part is small: it is made with the request, at the request's priority. */
static size_t first_part_bytes(const sim_server_t *srv)
{
    size_t n = part_bytes(srv);
    return n < FIRST_PART_BYTES ? n : FIRST_PART_BYTES;
}

/* Puts the first rows of a row source into the result's table parameter. */
static int first_part(sim_call_ctx_t *ctx, gw_wire_msg_t *rep, size_t bytes, int *more)
{
    gw_wire_result_t *res = &rep->u.result;
    gw_rfc_field_t *f = (gw_rfc_field_t *)(uintptr_t)gw_rfc_fields_find(
        res->params, res->nparams, gw_slice(ctx->cursor->param));
    int done = 0;
    if (f == NULL) /* sim_rfm_call drops a row source nobody asked for */
        return 0;
    if (ctx->cursor->next(ctx->cursor, ctx->arena, &f->value, bytes, &done) != 0)
        return sim_rfm_fail(ctx, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE", "Out of memory");
    *more = !done;
    return 0;
}

/* The next RESULT part of a result sent in parts (a worker thread). */
static void run_stream(job_t *j)
{
    sim_server_t *srv = j->srv;
    size_t max = (size_t)srv->cfg->max_message;
    gw_arena_t arena;
    gw_wire_msg_t rep;
    gw_rfc_field_t f;
    int done = 1, ret = GW_ENOMEM;
    gw_arena_init(&arena, 4 * max + 1024 * 1024);
    memset(&rep, 0, sizeof(rep));
    rep.seq = j->seq;
    rep.type = GW_WIRE_RESULT;
    if (j->cursor) {
        f.name = gw_slice(j->cursor->param);
        ret = j->cursor->next(j->cursor, &arena, &f.value, part_bytes(srv), &done);
    }
    if (ret == 0) {
        rep.flags = done ? 0 : GW_WIRE_FLAG_MORE;
        rep.u.result.nparams = 1;
        rep.u.result.params = &f;
        ret = encode_msg(max, &rep, &j->out);
    }
    if (ret != 0) {
        /* an ERROR replaces the part: the parts sent so far are discarded (protocol §3.2) */
        error_msg(&rep, j->seq, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE",
                  "Cannot produce the next part of the result");
        encode_msg(max, &rep, &j->out);
        done = 1;
    }
    if (done)
        j->cursor = NULL;
    gw_arena_free(&arena);
}

static void run_logon(job_t *j)
{
    j->logon_ret = sim_logon(j->srv->cfg, &j->in->req, &j->logon, j->why, sizeof(j->why));
    OPENSSL_cleanse(j->in, sizeof(*j->in));
    free(j->in);
    j->in = NULL;
}

static void run_job(sim_work_t *w)
{
    job_t *j = (job_t *)w;
    if (j->kind == JOB_LOGON)
        run_logon(j);
    else if (j->kind == JOB_STREAM)
        run_stream(j);
    else
        run_request(j);
}

/* ---- back on the lws thread -------------------------------------------- */

static void submit(sim_server_t *srv, sim_session_t *s, job_t *j)
{
    j->conn = s->conn;
    s->conn->refs++;
    j->srv = srv;
    j->work.run = run_job;
    s->busy = 1;
    sim__pool_submit(&srv->pool, &j->work);
}

/*
 * Produces the next part of the result being sent in parts, when the
 * connection has taken all but one of the queued messages: a client that
 * stops reading stops the producer (backpressure, docs/abapsim.md).
 */
static void stream_pump(sim_server_t *srv, sim_session_t *s)
{
    job_t *j = s->stream;
    if (j == NULL || s->stream_running || s->nout > 1 || s->closing)
        return;
    s->stream_running = 1;
    j->kind = JOB_STREAM;
    gw_buf_free(&j->out);
    sim__pool_submit(&srv->bulk, &j->work);
}

/* Starts the next queued request when none is running. */
static void pump(sim_server_t *srv, sim_session_t *s)
{
    if (s->busy || s->closing || !s->logon_done || s->q_head == NULL)
        return;
    job_t *j = s->q_head;
    s->q_head = (job_t *)j->work.next;
    if (s->q_head == NULL)
        s->q_tail = NULL;
    s->nqueued--;
    submit(srv, s, j);
}

static void deliver_reply(sim_server_t *srv, sim_session_t *s, job_t *j)
{
    struct lws *wsi = s->conn->wsi;
    if (j->f_drop) {
        GW_LOGI(MOD, "session %s: fault: dropping the connection instead of the reply to seq %u",
                s->conn->session_id, (unsigned)j->seq);
        s->drop = 1;
        s->closing = 1;
        drop_queued(s);
        shutdown(lws_get_socket_fd(wsi), SHUT_RDWR);
        lws_callback_on_writable(wsi);
        return;
    }
    if (j->f_garbage) {
        static const uint8_t junk[] = "\x7fGARBAGE-NOT-A-PROTOCOL-MESSAGE";
        gw_buf_free(&j->out);
        gw_buf_init(&j->out, 0);
        static const uint8_t pre[LWS_PRE];
        gw_buf_append(&j->out, pre, LWS_PRE);
        gw_buf_append(&j->out, junk, sizeof(junk) - 1);
        GW_LOGI(MOD, "session %s: fault: garbage instead of the reply to seq %u",
                s->conn->session_id, (unsigned)j->seq);
    } else if (j->f_truncate && j->out.len > LWS_PRE + 1) {
        j->out.len = LWS_PRE + (j->out.len - LWS_PRE) / 2;
        GW_LOGI(MOD, "session %s: fault: truncated reply to seq %u", s->conn->session_id,
                (unsigned)j->seq);
    }
    if (queue_buf(wsi, s, &j->out) != 0)
        GW_LOGE(MOD, "session %s: cannot queue the reply", s->conn->session_id);
    (void)srv;
}

static void delayed_reply(lws_sorted_usec_list_t *sul)
{
    sim_conn_t *c = lws_container_of(sul, sim_conn_t, sul);
    job_t *j = c->delayed;
    c->delayed = NULL;
    if (j == NULL || c->closed) {
        if (j)
            job_free(j);
        return;
    }
    sim_session_t *s = c->s;
    sim_server_t *srv = j->srv;
    deliver_reply(srv, s, j);
    s->busy = 0;
    job_free(j);
    pump(srv, s);
}

static void logon_done(sim_server_t *srv, sim_session_t *s, job_t *j)
{
    sim_conn_t *c = s->conn;
    struct lws *wsi = c->wsi;
    int just_locked = 0;

    pthread_mutex_lock(&srv->sh.mu);
    int ret = sim_lockout_apply(&srv->sh.lockout, j->logon_ret, &j->logon, j->why, sizeof(j->why),
                                &just_locked);
    if (ret == 0)
        srv->sh.logons_ok++;
    else
        srv->sh.logons_failed++;
    pthread_mutex_unlock(&srv->sh.mu);
    if (just_locked)
        GW_LOGW(MOD, "user %s locked after %lld consecutive failed logons",
                srv->cfg->users[j->logon.user_index].name, (long long)srv->cfg->max_failed_logons);
    if (ret != 0) {
        GW_LOGW(MOD, "session %s: logon failed: %s", c->session_id, j->why);
        fail_session(wsi, s, 0, GW_RFC_ERR_LOGON_FAILURE, "RFC_ERROR_LOGON_FAILURE",
                     LOGON_FAILED_MSG, CLOSE_LOGON_FAILED);
        return;
    }
    c->logon = j->logon;
    GW_LOGI(MOD, "session %s: logon user %s client %s host %s method %s language %s", c->session_id,
            c->logon.user, c->logon.client, c->logon.host, c->logon.method, c->logon.language);
    gw_wire_msg_t m;
    memset(&m, 0, sizeof(m));
    m.type = GW_WIRE_OPEN;
    m.u.open.sid = gw_slice(srv->cfg->sid);
    m.u.open.release = gw_slice(srv->cfg->release);
    m.u.open.client = gw_slice(c->logon.client);
    m.u.open.user = gw_slice(c->logon.user);
    m.u.open.host = gw_slice(c->logon.host);
    m.u.open.session = gw_slice(c->session_id);
    int r = queue_msg(wsi, s, &m);
    if (r != 0) {
        GW_LOGE(MOD, "session %s: cannot queue OPEN: %s", c->session_id, gw_strerror(r));
        s->closing = 1;
        s->close_code = LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
        lws_callback_on_writable(wsi);
        return;
    }
    s->logon_done = 1;
}

static void count_part(sim_server_t *srv)
{
    pthread_mutex_lock(&srv->sh.mu);
    srv->sh.result_parts++;
    pthread_mutex_unlock(&srv->sh.mu);
}

/* Returns 1 when the reply is held back by a latency fault or more parts follow (the job is kept).
 */
static int request_done(sim_server_t *srv, sim_session_t *s, job_t *j)
{
    sim_conn_t *c = s->conn;
    if (j->outcome == R_PROTOCOL_ERROR) {
        protocol_error(c->wsi, s, j->seq, j->perr);
        return 0;
    }
    int64_t latency = 0;
    if (j->rfm || j->call_failed) {
        pthread_mutex_lock(&srv->sh.mu);
        srv->sh.calls++;
        if (j->call_failed)
            srv->sh.calls_failed++;
        if (j->rfm) {
            for (size_t i = 0; i < sim_rfm_count(); i++)
                if (sim_rfm_at(i) == j->rfm) {
                    srv->sh.rfm_calls[i]++;
                    break;
                }
            const sim_fault_action_t *f = sim_faults_for(&srv->sh.faults, j->rfm->desc.name);
            latency = f->latency_ms;
            j->f_garbage = f->garbage_reply;
            j->f_truncate = f->truncate_reply;
            if (f->drop_probability > 0) {
                if (srv->sh.rng_seed != srv->sh.faults.seed)
                    srv->sh.rng = srv->sh.rng_seed = srv->sh.faults.seed;
                j->f_drop = sim_rng_unit(&srv->sh.rng) < f->drop_probability;
                if (j->f_drop)
                    srv->sh.dropped++;
            }
        }
        pthread_mutex_unlock(&srv->sh.mu);
    }
    if (latency > 0 && j->cursor == NULL) {
        c->delayed = j;
        lws_sul_schedule(srv->ctx, 0, &c->sul, delayed_reply, latency * LWS_US_PER_MS);
        return 1;
    }
    deliver_reply(srv, s, j);
    if (j->cursor && !s->drop) {
        s->stream = j; /* the session stays busy until the last part is produced */
        count_part(srv);
        stream_pump(srv, s);
        return 1;
    }
    return 0;
}

/* A part of a result sent in parts was produced: queue it; 1 while more follow. */
static int stream_done(sim_server_t *srv, sim_session_t *s, job_t *j)
{
    s->stream_running = 0;
    if (queue_buf(s->conn->wsi, s, &j->out) != 0)
        GW_LOGE(MOD, "session %s: cannot queue a result part", s->conn->session_id);
    count_part(srv);
    if (j->cursor == NULL)
        return 0; /* the last part */
    stream_pump(srv, s);
    return 1;
}

/* What both pools finished (the order between them does not matter: one job per session). */
static sim_work_t *take_done(sim_server_t *srv)
{
    sim_work_t *w = sim__pool_take_done(&srv->pool), *b = sim__pool_take_done(&srv->bulk);
    if (w == NULL)
        return b;
    sim_work_t *last = w;
    while (last->next)
        last = last->next;
    last->next = b;
    return w;
}

static void jobs_done(sim_server_t *srv)
{
    sim_work_t *w = take_done(srv);
    while (w) {
        job_t *j = (job_t *)w;
        w = w->next;
        sim_conn_t *c = j->conn;
        if (c->closed || j->work.cancelled) {
            job_free(j); /* the session is gone: drop the result */
            continue;
        }
        sim_session_t *s = c->s;
        int kept = 0;
        if (j->kind == JOB_LOGON)
            logon_done(srv, s, j);
        else if (j->kind == JOB_STREAM)
            kept = stream_done(srv, s, j);
        else
            kept = request_done(srv, s, j);
        if (kept)
            continue;
        if (s->stream == j)
            s->stream = NULL;
        s->busy = 0;
        job_free(j);
        pump(srv, s);
    }
}

static void close_all(sim_server_t *srv)
{
    size_t n = 0;
    for (sim_session_t *s = srv->sessions; s; s = s->next, n++) {
        s->closing = 1;
        s->close_code = LWS_CLOSE_STATUS_GOINGAWAY;
        out_free_all(s);
        drop_queued(s);
        lws_callback_on_writable(s->conn->wsi);
    }
    GW_LOGI(MOD, "closing all %zu session(s)", n);
}

static void adopt_accepted(sim_server_t *srv)
{
    pthread_mutex_lock(&srv->adopt_mu);
    int *fds = srv->adopt;
    size_t n = srv->nadopt;
    srv->adopt = NULL;
    srv->nadopt = srv->capadopt = 0;
    pthread_mutex_unlock(&srv->adopt_mu);
    for (size_t i = 0; i < n; i++)
        if (lws_adopt_socket_vhost(srv->vh, fds[i]) == NULL) /* closes the socket itself */
            GW_LOGW(MOD, "cannot adopt an accepted connection");
    free(fds);
}

/* On the listener thread. */
static void listener_deliver(void *arg, int fd)
{
    sim_server_t *srv = arg;
    pthread_mutex_lock(&srv->adopt_mu);
    if (srv->nadopt == srv->capadopt) {
        size_t cap = srv->capadopt ? 2 * srv->capadopt : 16;
        int *n = realloc(srv->adopt, cap * sizeof(*n));
        if (n == NULL) {
            pthread_mutex_unlock(&srv->adopt_mu);
            close(fd);
            return;
        }
        srv->adopt = n;
        srv->capadopt = cap;
    }
    srv->adopt[srv->nadopt++] = fd;
    pthread_mutex_unlock(&srv->adopt_mu);
    lws_cancel_service(srv->ctx);
}

/* SIGHUP: the faults group of the file as it is now; the rest of the file is not applied. */
static void reload_faults(sim_server_t *srv)
{
    sim_config_t fresh;
    char err[600];
    if (sim_config_load(&fresh, srv->cfg->file, err, sizeof(err)) != 0) {
        GW_LOGE(MOD, "SIGHUP: faults not reloaded: %s", err);
        return;
    }
    pthread_mutex_lock(&srv->sh.mu);
    sim_faults_from_config(&srv->sh.faults, &fresh);
    if (srv->sh.listener)
        sim__listener_release(srv->sh.listener);
    pthread_mutex_unlock(&srv->sh.mu);
    sim_config_free(&fresh);
    GW_LOGI(MOD, "SIGHUP: faults reloaded from %s", srv->cfg->file);
}

static void wait_cancelled(sim_server_t *srv)
{
    if (reload_requested) {
        reload_requested = 0;
        reload_faults(srv);
    }
    adopt_accepted(srv);
    jobs_done(srv);
    pthread_mutex_lock(&srv->sh.mu);
    int ca = srv->sh.close_all;
    srv->sh.close_all = 0;
    pthread_mutex_unlock(&srv->sh.mu);
    if (ca)
        close_all(srv);
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

/*
 * Copies what the logon needs out of the upgrade request (the headers are
 * gone once ESTABLISHED returns). Returns 0, or -1 with `why` set when the
 * logon fails right here.
 */
static int capture_logon(struct lws *wsi, logon_in_t *in, char *why, size_t whylen)
{
    unsigned int fplen = 0;
    sim_logon_req_t *req = &in->req;

    memset(req, 0, sizeof(*req));
    if (lws_hdr_copy(wsi, in->host, sizeof(in->host), WSI_TOKEN_HOST) > 0)
        req->host = in->host;
    req->client = custom_hdr(wsi, GW_WIRE_HDR_CLIENT, in->client, sizeof(in->client));
    req->alias = custom_hdr(wsi, GW_WIRE_HDR_ALIAS, in->alias, sizeof(in->alias));
    req->language = custom_hdr(wsi, GW_WIRE_HDR_LANGUAGE, in->lang, sizeof(in->lang));
    if (lws_hdr_copy(wsi, in->auth, sizeof(in->auth), WSI_TOKEN_HTTP_AUTHORIZATION) > 0)
        req->authorization = in->auth;

    SSL *ssl = lws_get_ssl(wsi);
    X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
    if (peer) {
        req->has_cert = 1;
        if (SSL_get_verify_result(ssl) != X509_V_OK) {
            /* cannot happen: the handshake fails first; fail closed anyway */
            snprintf(why, whylen, "client certificate not verified");
            return -1;
        }
        BIO *b = BIO_new(BIO_s_mem());
        if (b && X509_NAME_print_ex(b, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253) >= 0) {
            int n = BIO_read(b, in->subject, sizeof(in->subject) - 1);
            in->subject[n > 0 ? n : 0] = '\0';
            req->cert_subject = in->subject;
        }
        BIO_free(b);
        if (X509_digest(peer, EVP_sha256(), in->fp, &fplen) == 1 && fplen == sizeof(in->fp))
            req->cert_sha256 = in->fp;
    }
    return 0;
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
    pthread_mutex_lock(&srv->sh.mu);
    int64_t limit = srv->sh.faults.max_sessions;
    int full = limit > 0 && srv->nsessions >= (size_t)limit;
    if (full)
        srv->sh.refused_limit++;
    pthread_mutex_unlock(&srv->sh.mu);
    if (full) {
        GW_LOGW(MOD, "conversation limit reached (%lld sessions)", (long long)limit);
        return refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "Conversation limit reached",
                      "conversation limit reached");
    }
    return 0;
}

static int callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
        sim_server_t *srv = lws_context_user(lws_get_context(wsi));
        if (srv)
            wait_cancelled(srv);
        return 0;
    }
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
        /*
         * No close_notify from our side: libwebsockets 4.1 retries SSL_shutdown on every
         * poll while the peer has reset the connection (a client that sent its close_notify
         * and closed with unread session tickets, e.g. rfmgw's start-up probe), writing the
         * alert into EPIPE at 100 % CPU until its timeout. Clients see the TCP close.
         */
        SSL_CTX_set_quiet_shutdown(ctx, 1);
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
    sim_conn_t *c = calloc(1, sizeof(*c));
    job_t *j = calloc(1, sizeof(*j));
    char why[128];

    if (c == NULL || j == NULL || (j->in = calloc(1, sizeof(*j->in))) == NULL) {
        free(c);
        free(j);
        GW_LOGE(MOD, "out of memory for a new session");
        s->closing = 1;
        s->close_code = LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
        lws_callback_on_writable(wsi);
        return;
    }
    c->refs = 1;
    c->wsi = wsi;
    c->s = s;
    c->logon.user_index = -1;
    snprintf(c->session_id, sizeof(c->session_id), "S%06u", ++srv->next_session % 1000000u);
    sim_state_init(&c->state);
    s->conn = c;
    gw_buf_init(&s->rx, (size_t)srv->cfg->max_message);
    s->next = srv->sessions;
    if (srv->sessions)
        srv->sessions->prev = s;
    srv->sessions = s;
    srv->nsessions++;
    pthread_mutex_lock(&srv->sh.mu);
    srv->sh.sessions_now = srv->nsessions;
    if (srv->nsessions > srv->sh.sessions_peak) {
        srv->sh.sessions_peak = srv->nsessions;
        if (srv->nsessions % 100 == 0)
            GW_LOGI(MOD, "new peak: %zu sessions", srv->nsessions);
    }
    pthread_mutex_unlock(&srv->sh.mu);

    j->kind = JOB_LOGON;
    if (capture_logon(wsi, j->in, why, sizeof(why)) != 0) {
        GW_LOGW(MOD, "session %s: logon failed: %s", c->session_id, why);
        job_free(j);
        fail_session(wsi, s, 0, GW_RFC_ERR_LOGON_FAILURE, "RFC_ERROR_LOGON_FAILURE",
                     LOGON_FAILED_MSG, CLOSE_LOGON_FAILED);
        return;
    }
    submit(srv, s, j); /* the verdict comes back in jobs_done() */
}

static void session_receive(struct lws *wsi, sim_session_t *s, const void *in, size_t len)
{
    sim_server_t *srv = server_of(wsi);
    if (s->closing || s->conn == NULL)
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
        GW_LOGW(MOD, "session %s: message larger than %lld bytes; closing", s->conn->session_id,
                (long long)srv->cfg->max_message);
        fail_session(wsi, s, 0, GW_RFC_ERR_COMMUNICATION, "RFC_ERROR_COMMUNICATION",
                     "Message too large", LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
        return;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
        return;
    s->rx_in_message = 0;
    if (s->nqueued >= MAX_QUEUED) {
        protocol_error(wsi, s, raw_seq(s->rx.data, s->rx.len), "too many outstanding requests");
        return;
    }
    job_t *j = calloc(1, sizeof(*j));
    if (j == NULL) {
        fail_session(wsi, s, 0, GW_RFC_ERR_RUNTIME_FAILURE, "SYSTEM_FAILURE", "Out of memory",
                     LWS_CLOSE_STATUS_UNEXPECTED_CONDITION);
        return;
    }
    j->kind = JOB_REQUEST;
    j->msg = s->rx; /* the job takes the buffer over */
    gw_buf_init(&s->rx, (size_t)srv->cfg->max_message);
    if (s->q_tail)
        s->q_tail->work.next = &j->work;
    else
        s->q_head = j;
    s->q_tail = j;
    s->nqueued++;
    pump(srv, s);
}

static int session_writeable(struct lws *wsi, sim_session_t *s)
{
    if (s->drop)
        return -1;
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
    s->nout--;
    gw_buf_free(&o->buf);
    free(o);
    if (w < (int)n) {
        GW_LOGW(MOD, "session %s: write failed", s->conn ? s->conn->session_id : "?");
        return -1;
    }
    if (s->stream)
        stream_pump(server_of(wsi), s);
    if (s->out_head || s->closing)
        lws_callback_on_writable(wsi);
    return 0;
}

static void session_free(sim_server_t *srv, sim_session_t *s)
{
    sim_conn_t *c = s->conn;
    if (c == NULL)
        return;
    GW_LOGD(MOD, "session %s: closed", c->session_id);
    out_free_all(s);
    drop_queued(s);
    gw_buf_free(&s->rx);
    c->closed = 1;
    c->wsi = NULL;
    c->s = NULL;
    lws_sul_cancel(&c->sul);
    if (c->delayed) {
        job_free(c->delayed);
        c->delayed = NULL;
    }
    if (s->stream && !s->stream_running)
        job_free(s->stream); /* a running one is dropped when it comes back (c->closed) */
    s->stream = NULL;
    if (s->prev)
        s->prev->next = s->next;
    else
        srv->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    srv->nsessions--;
    pthread_mutex_lock(&srv->sh.mu);
    srv->sh.sessions_now = srv->nsessions;
    pthread_mutex_unlock(&srv->sh.mu);
    s->conn = NULL;
    conn_unref(c); /* the state goes with the last reference */
}

static int callback_rfc(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                        size_t len)
{
    sim_session_t *s = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        session_established(wsi, s);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        session_receive(wsi, s, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return session_writeable(wsi, s);
    case LWS_CALLBACK_CLOSED:
        if (s)
            session_free(server_of(wsi), s);
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

static void drain_done(sim_server_t *srv)
{
    sim_work_t *w = take_done(srv);
    while (w) {
        job_t *j = (job_t *)w;
        w = w->next;
        job_free(j);
    }
}

int sim_server_run(const sim_config_t *cfg, const sim_run_opts_t *opts)
{
    struct lws_context_creation_info info;
    struct sim_admin *admin = NULL;
    sim_server_t *srv = calloc(1, sizeof(*srv));
    int ret = 0, port = 0, pool_started = 0;

    if (srv == NULL)
        return GW_ENOMEM;
    srv->cfg = cfg;
    srv->limits = gw_wire_limits_default();
    srv->limits.max_message = (uint32_t)cfg->max_message;
    srv->listener.fd = srv->listener.wake[0] = srv->listener.wake[1] = -1;
    pthread_mutex_init(&srv->adopt_mu, NULL);
    pthread_mutex_init(&srv->sh.mu, NULL);
    srv->sh.cfg = cfg;
    sim_faults_from_config(&srv->sh.faults, cfg);
    srv->sh.rng = srv->sh.rng_seed = srv->sh.faults.seed;
    srv->sh.wake = wake_lws;
    srv->sh.wake_arg = srv;
    srv->sh.rfm_calls = calloc(sim_rfm_count() + 1, sizeof(uint64_t));
    if (srv->sh.rfm_calls == NULL ||
        sim_lockout_init(&srv->sh.lockout, cfg->nusers, (uint32_t)cfg->max_failed_logons) != 0) {
        ret = GW_ENOMEM;
        goto cleanup;
    }

    /* the system's time zone, for dates and times the RFMs report */
    if (setenv("TZ", cfg->timezone, 1) != 0) {
        ret = GW_ENOMEM;
        goto cleanup;
    }
    tzset();
    sim_flight_configure((uint32_t)cfg->sbook_rows);
    if (cfg->open_mode)
        GW_LOGW(MOD, "no communication scenarios configured: open mode, every user may call "
                     "every RFM with every logon method");

    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);

    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.user = srv;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    srv->ctx = lws_create_context(&info);
    if (srv->ctx == NULL) {
        GW_LOGE(MOD, "cannot create the libwebsockets context");
        ret = GW_EINVAL;
        goto cleanup;
    }

    memset(&info, 0, sizeof(info));
    info.vhost_name = "abapsim";
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* sim_listen.c accepts; we adopt */
    info.protocols = protocols;
    info.ssl_cert_filepath = cfg->tls_cert;
    info.ssl_private_key_filepath = cfg->tls_key;
    info.ssl_ca_filepath = cfg->tls_client_ca;
    info.alpn = "http/1.1";
    info.ssl_options_set = SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
    if (cfg->tls_client_ca)
        info.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT |
                        LWS_SERVER_OPTION_PEER_CERT_NOT_REQUIRED;
    srv->vh = lws_create_vhost(srv->ctx, &info);
    if (srv->vh == NULL) {
        GW_LOGE(MOD, "cannot set up TLS (bad certificate or key)");
        ret = GW_EINVAL;
        goto cleanup;
    }
    if (sim__listener_open(&srv->listener, cfg->address,
                           opts && opts->port >= 0 ? opts->port : (int)cfg->port, &port) != 0) {
        ret = GW_EINVAL;
        goto cleanup;
    }
    if (sim__pool_start(&srv->pool, (size_t)cfg->workers, 0, wake_lws, srv) != 0) {
        ret = GW_ENOMEM;
        goto cleanup;
    }
    pool_started = 1;
    if (sim__pool_start(&srv->bulk, BULK_WORKERS, BULK_NICE, wake_lws, srv) != 0) {
        ret = GW_ENOMEM;
        goto cleanup;
    }
    pool_started = 2;
    srv->sh.listener = &srv->listener;
    if (sim__listener_start(&srv->listener, &srv->sh, listener_deliver, srv) != 0) {
        ret = GW_ENOMEM;
        goto cleanup;
    }
    int admin_port = opts && opts->admin_port >= 0 ? opts->admin_port : (int)cfg->admin_port;
    if (admin_port > 0 || (opts && (opts->admin_port == 0 || opts->admin_ready_file))) {
        admin = sim__admin_start(&srv->sh, cfg->admin_address, &admin_port);
        if (admin == NULL) {
            ret = GW_EINVAL;
            goto cleanup;
        }
        GW_LOGI(MOD, "admin endpoint on http://%s:%d", cfg->admin_address, admin_port);
        if (opts && opts->admin_ready_file &&
            write_ready_file(opts->admin_ready_file, admin_port) != 0) {
            GW_LOGE(MOD, "cannot write the admin ready file %s", opts->admin_ready_file);
            ret = GW_EINVAL;
            goto cleanup;
        }
    }
    if (opts && opts->ready_file && write_ready_file(opts->ready_file, port) != 0) {
        GW_LOGE(MOD, "cannot write the ready file %s", opts->ready_file);
        ret = GW_EINVAL;
        goto cleanup;
    }
    GW_LOGI(MOD, "abapsim listening on %s:%d (SID %s, %lld workers, conversation limit %lld)",
            cfg->address, port, cfg->sid, (long long)cfg->workers, (long long)cfg->max_sessions);

    running_ctx = srv->ctx;
    while (!stop_requested)
        if (lws_service(srv->ctx, 0) < 0)
            break;
    GW_LOGI(MOD, "stopping (peak %llu sessions)", (unsigned long long)srv->sh.sessions_peak);

cleanup:
    running_ctx = NULL;
    sim__admin_stop(admin);
    sim__listener_close(&srv->listener);
    if (pool_started)
        sim__pool_stop(&srv->pool); /* lets running RFMs finish; wakes go to a live context */
    if (pool_started > 1)
        sim__pool_stop(&srv->bulk);
    if (srv->ctx)
        lws_context_destroy(srv->ctx); /* CLOSED for every session */
    drain_done(srv);
    pthread_mutex_lock(&srv->adopt_mu);
    for (size_t i = 0; i < srv->nadopt; i++)
        close(srv->adopt[i]);
    free(srv->adopt);
    pthread_mutex_unlock(&srv->adopt_mu);
    sim_lockout_free(&srv->sh.lockout);
    free(srv->sh.rfm_calls);
    pthread_mutex_destroy(&srv->adopt_mu);
    pthread_mutex_destroy(&srv->sh.mu);
    free(srv);
    return ret;
}
