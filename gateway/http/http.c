/*
 * http: one request = one req_t with its arena, a small state machine
 * driven by libmicrohttpd's repeated calls of the access handler:
 *
 *   READ body → (DESCRIBE if the function's metadata is not cached yet)
 *             → CALL → answer
 *
 * Each backend step suspends the connection and hands a job to the pool;
 * the job's `done` (on the loop thread) resumes it, and libmicrohttpd calls
 * the handler again on its own thread, where the JSON work happens.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

#include "http/http.h"
#include "fronttls/fronttls.h"
#include "auth/auth.h"
#include "cors/cors.h"
#include "ratelimit/ratelimit.h"
#include "explorer/explorer.h"
#include "idem/idem.h"
#include "metrics/metrics.h"
#include "openapi/openapi.h"
#include "stream/stream.h"
#include "work/work.h"
#include "wire/wire.h"
#include "codec/codec.h"
#include "jdoc/jdoc.h"
#include "error/error.h"
#include "log/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct gw_http {
    struct MHD_Daemon *d;
    gw_http_deps_t deps;
    atomic_int waiting;  /* requests suspended for the backend */
    atomic_int active;   /* requests from arrival until libmicrohttpd reports them complete */
    atomic_int stopping; /* no more suspending: answer 503 instead */
    pthread_mutex_t routes_lock; /* guards routes: swapped on reload */
    gw_idem_t *idem;             /* Idempotency-Key store; NULL when off */
    gw_ratelimit_t *rl_caller;   /* per caller identity (and failed logins per address) */
    gw_ratelimit_t *rl_route;    /* per route */
    gw_metrics_t *metrics;
    gw_route_table_t *routes;
    gw_auth_t *auth;       /* guarded by routes_lock: swapped on reload */
    int tls;               /* HTTPS: the pair is fronttls's (SIGHUP may replace it) */
    gw_workers_t *workers; /* JSON conversion of large results; NULL = on the HTTP thread */
    /* listen.threads = 0: libmicrohttpd has no thread; the transport loop runs it */
    gw_watch_t *watch;       /* its epoll descriptor, watched by the loop */
    gw_timer_t mhd_tm;       /* its next connection timeout */
    gw_task_t kick_task;     /* runs libmicrohttpd after a resume from another thread */
    atomic_int kick_pending; /* kick_task is queued */
};

enum {
    ST_READ,
    ST_DESCRIBING,
    ST_CALLING,
    ST_PROBING,
    ST_BATCH_DESCRIBING,
    ST_BATCH,
    ST_OPENAPI,
    ST_CONVERTING,       /* a work thread writes the answer */
    ST_BATCH_WRITING,    /* a work thread writes the step answers of a batch */
    ST_BATCH_CONVERTING, /* a work thread converts the step bodies of a large batch */
    ST_AUTHING,          /* a work thread checks a password (a PBKDF2 hash) */
    ST_AUTHED,           /* checked: on_new() runs again and gate() takes the result */
    ST_PARSING,          /* a work thread parses (and converts) a large body */
    ST_PARSED,           /* parsed: on_parsed() goes on */
};

/* A password check done on a work thread, for gate() to take when on_new() runs again. */
typedef struct {
    char *const *methods; /* the gate's methods (NULL: callers.default) */
    size_t nmethods;
    int err;
    gw_caller_t caller;
    char why[256];
    char challenge[512];
} offauth_t;

/* A request header or query argument, copied for work threads (they do not ask libmicrohttpd). */
typedef struct {
    int kind; /* MHD_HEADER_KIND, MHD_GET_ARGUMENT_KIND */
    const char *name;
    const char *value;
} snapkv_t;

#define BATCH_MAX_STEPS 20

/* One step of POST /api/v1/batch. */
typedef struct {
    const gw_route_t *route;
    gw_route_captures_t caps;
    const char *query;     /* the step's query string, or NULL */
    const gw_jdoc_t *body; /* the step's body, in the request arena */
    gw_desc_t *desc_ref;
    int status;           /* the step's HTTP status; 0 = not run */
    gw_buf_t answer;      /* the step's answer as JSON text (shaped result or problem) */
    const gw_jdoc_t *doc; /* the answer parsed, once a later step refers to it */
    /* a successful step's result, until its answer is written (step_write) */
    const gw_rfc_field_t *result;
    uint32_t nresult;
    int unwritten;
    /* converted before the unit started, on a work thread (a step without references) */
    int pre;
    int pre_ret;
    char pre_why[200];
    gw_codec_errors_t pre_errs;
    gw_rfc_field_t *pre_params;
    uint32_t pre_n;
} bstep_t;

/* A /readyz probe: an RFC_PING through one destination's pool. */
typedef struct {
    gw_job_t job;
    gw_pool_t *pool;
    struct req *r;
} probe_t;

typedef struct req {
    gw_arena_t arena;
    gw_http_t *h;
    struct MHD_Connection *conn;
    const gw_route_t *route;
    gw_pool_t *pool;
    gw_buf_t body;
    int too_large;
    int json_declared;   /* the request said Content-Type: application/json */
    int describe_only;   /* GET /api/v1/functions/{NAME}: answer the metadata */
    int started;         /* the request line and headers have been looked at */
    int body_expected;   /* Content-Length > 0 or Transfer-Encoding: on_new() in the first call */
    int answered;        /* a response is queued */
    int stream_answered; /* the answer is the stream's: counted once it ended */
    int generic;         /* POST /api/v1/rfc/{FUNCTION} */
    gw_route_captures_t caps;
    /* units of work (commit policies) */
    int commit_phase; /* 0: the call; 1: COMMIT sent; 2: ROLLBACK sent */
    gw_rfc_field_t *main_result;
    uint32_t main_n;
    const char *commit_outcome; /* X-Rfmgw-Commit: committed, rolled-back, none */
    int state;
    int64_t deadline_ms;
    gw_desc_t *desc_ref;
    const gw_rfc_func_t *desc;
    const gw_jdoc_t *json; /* the parsed body, in the arena; NULL = none */
    gw_job_t job;
    probe_t *probes;
    size_t nprobes;
    /* POST /api/v1/batch */
    bstep_t *steps;
    size_t nsteps;
    size_t bcur; /* the step being described or run */
    int bcommit; /* commit when every step succeeded */
    int bphase;  /* 0: steps; 1: COMMIT sent; 2: ROLLBACK sent */
    int bbig;    /* a large batch body: its step bodies go to a work thread (batch_convert_run) */
    int bfailed; /* index of the failed step, -1 when none */
    int bcommitted;
    int batch;               /* this is POST /api/v1/batch */
    const char **bhdr_names; /* request headers the steps bind, read on the HTTP thread */
    const char **bhdr_values;
    size_t nbhdr;
    gw_rfc_field_t *bparams; /* the prepared step's parameters and wanted results */
    uint32_t bn;
    gw_slice_t *bwant;
    uint32_t bnwant;
    atomic_int probes_pending;
    const char *url;
    gw_route_table_t *routes; /* the table this request started with (a reference) */
    uint64_t idem_ticket;     /* an open Idempotency-Key entry */
    const char *idem_key; /* Idempotency-Key of a body hashed on a work thread (libmicrohttpd's) */
    uint8_t *idem_hash;   /* that body's SHA-256 (arena), or NULL */
    char request_id[72];  /* X-Request-Id: the caller's, or one made up */
    char traceparent[56]; /* W3C traceparent to pass to the backend, or "" */
    int64_t t0_us;        /* arrival */
    int64_t serialize_us; /* start of building the answer, 0 = not reached */
    const char *endpoint; /* metrics label of a built-in endpoint, e.g. "GET /healthz" */
    gw_desc_t **oa_descs; /* GET /openapi.json: one description (or NULL) per route */
    size_t oa_i;
    int called;         /* a CALL went to the backend */
    gw_caller_t caller; /* who is calling (gate()); id NULL until authenticated */
    gw_auth_t *auth;    /* the authenticator this request started with (a reference) */
    /* a streamed (NDJSON) answer: the call runs on while the response is written */
    gw_stream_t *stream;
    int stream_resumed;  /* loop thread: the connection was resumed for the first part */
    atomic_int holds;    /* owners of the request while streaming: libmicrohttpd and the call */
    size_t bytes_in;     /* request body bytes received */
    const char *method;  /* the request's method (request log) */
    const char *problem; /* problem slug of an error answer (request log) */
    /* a large result turned into JSON on a work thread */
    gw_work_t work;
    gw_buf_t conv;
    int conv_ret;
    const char *conv_fields; /* ?fields=, read on the HTTP thread */
    /* work taken off the HTTP thread: a password hash, a large body (offload()) */
    snapkv_t *snap; /* the request's headers and query arguments; NULL = ask libmicrohttpd */
    size_t nsnap;
    offauth_t *offauth;    /* a password check on a work thread, its result for gate() */
    int parse_err;         /* the body's parse: 0, GW_EJSON (see jerr), GW_ENOMEM */
    gw_jdoc_error_t *jerr; /* where it failed (a work thread's is in the arena) */
    /* the body converted into RFC values (convert_params()), before the call is sent */
    int cv_done;
    int cv_ret;
    const char *cv_why; /* the route does not fit the function (GW_ECONFIG) */
    gw_rfc_field_t *cv_params;
    uint32_t cv_n;
    gw_codec_errors_t cv_errs;
} req_t;

/* ---- responses ---- */

/* Who called: "method:subject" once authenticated; "-" before, "anonymous" for type none. */
static const char *caller_of(const req_t *r)
{
    return r->caller.id ? r->caller.id : "-";
}

/* The request line of the log (docs/operations.md, "Logs"). */
static void log_request(req_t *r, const char *route, unsigned status, size_t bytes_out,
                        const gw_metrics_times_t *t)
{
    gw_log_level_t level = status >= 500 ? GW_LOG_WARN : GW_LOG_INFO;
    if (!r->h->deps.cfg->log.requests || !gw_log_enabled(level))
        return;
    char trace[33] = "";
    if (r->traceparent[0])
        snprintf(trace, sizeof(trace), "%.32s", r->traceparent + 3);
    const gw_route_t *rt = r->batch && r->steps ? r->steps[0].route : r->route;
    gw_log_request_t rq = {
        .request_id = r->request_id,
        .trace_id = trace[0] ? trace : NULL,
        .caller = caller_of(r),
        .method = r->method,
        .path = r->url,
        .route = route,
        .function = rt && !r->batch ? rt->function : NULL,
        .destination = rt ? rt->destination : NULL,
        .status = (int)status,
        .problem = status >= 400 ? r->problem : NULL,
        .total_ms = t->total * 1e3,
        .queue_ms = t->queue < 0 ? -1 : t->queue * 1e3,
        .backend_ms = t->backend < 0 ? -1 : t->backend * 1e3,
        .serialize_ms = t->serialize < 0 ? -1 : t->serialize * 1e3,
        .bytes_in = r->bytes_in,
        .bytes_out = bytes_out,
    };
    gw_log_request(level, &rq);
}

static void count_request(req_t *r, unsigned status, size_t bytes_out)
{
    char route[300];
    const char *name = r->endpoint;
    if (name == NULL && r->route && !r->generic) {
        snprintf(route, sizeof(route), "%s %s", r->route->method, r->route->path);
        name = route;
    } else if (name == NULL) {
        name = r->generic ? "POST /api/v1/rfc/{FUNCTION}"
               : r->batch ? "POST /api/v1/batch"
                          : "unmatched";
    }
    int64_t now = gw_now_us();
    const gw_job_t *j = &r->job;
    gw_metrics_times_t t = {
        (double)(now - r->t0_us) / 1e6,
        j->dispatched_us ? (double)(j->dispatched_us - j->queued_us) / 1e6 : -1,
        j->dispatched_us && j->finished_us ? (double)(j->finished_us - j->dispatched_us) / 1e6 : -1,
        r->serialize_us ? (double)(now - r->serialize_us) / 1e6 : -1,
    };
    gw_metrics_request(r->h->metrics, name, (int)status, &t);
    log_request(r, name, status, bytes_out, &t);
}

/* Remembers (or forgets) the answer under the request's Idempotency-Key. */
static void idem_settle(req_t *r, unsigned status, const char *ctype, const char *data, size_t len,
                        const char *hname, const char *hvalue)
{
    if (r->idem_ticket == 0)
        return;
    gw_idem_t *store = r->h->idem;
    uint64_t ticket = r->idem_ticket;
    r->idem_ticket = 0;
    if (!r->called || r->job.dispatched_us == 0) {
        gw_idem_abandon(store, ticket); /* the backend never saw it: a retry may run it */
        return;
    }
    if (status == 504 || r->job.err == GW_ECOMM || r->job.err == GW_EPROTO) {
        gw_idem_finish_unknown(store, ticket); /* it may have run: never run it twice */
        return;
    }
    char hdr[160] = "";
    if (hname)
        snprintf(hdr, sizeof(hdr), "%s: %s\r\n", hname, hvalue);
    gw_idem_response_t resp = {(int)status, (char *)(uintptr_t)ctype,   hname ? hdr : NULL,
                               strlen(hdr), (uint8_t *)(uintptr_t)data, len};
    if (gw_idem_finish(store, ticket, &resp) != 0)
        GW_LOGW("http", "%s: answer not recorded for its Idempotency-Key (too large?)", r->url);
}

static void add_header(void *ctx, const char *name, const char *value)
{
    MHD_add_response_header(ctx, name, value);
}

/* On every answer: the security and CORS headers (gateway/cors) and the request id. */
static void common_headers(req_t *r, struct MHD_Response *resp, int api)
{
    const char *origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
    gw_cors_headers(&r->h->deps.cfg->cors, origin, api, 0, add_header, resp);
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
}

/* Queues an answer; `data` (malloc'd, may be NULL) is taken over. */
static enum MHD_Result respond(req_t *r, unsigned status, const char *ctype, char *data, size_t len,
                               const char *hname, const char *hvalue)
{
    idem_settle(r, status, ctype, data, len, hname, hvalue);
    count_request(r, status, data ? len : 0);
    struct MHD_Response *resp =
        data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)(uintptr_t) "", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    common_headers(r, resp, 1);
    if (hname)
        MHD_add_response_header(resp, hname, hvalue);
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    r->answered = 1;
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_json(req_t *r, unsigned status, json_t *body, const char *ctype,
                                 const char *hname, const char *hvalue)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return respond(r, status, ctype, text, text ? strlen(text) : 0, hname, hvalue);
}

/* Sends `b` (taken over) as a 200 JSON answer. */
static enum MHD_Result send_buf(req_t *r, gw_buf_t *b, const char *hname, const char *hvalue)
{
    char *data = (char *)b->data;
    size_t len = b->len;
    gw_buf_init(b, 0);
    return respond(r, MHD_HTTP_OK, "application/json", data, len, hname, hvalue);
}

/* Sends a recorded answer again (Idempotency-Key). */
static enum MHD_Result replay(req_t *r, gw_idem_response_t *rec)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(rec->body_len, rec->body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            rec->content_type ? rec->content_type : "application/json");
    common_headers(r, resp, 1);
    MHD_add_response_header(resp, "Idempotent-Replayed", "true");
    const char *h = rec->headers;
    while (h && *h) { /* "Name: value\r\n" lines */
        const char *colon = strchr(h, ':'), *eol = strstr(h, "\r\n");
        if (colon == NULL || eol == NULL || colon > eol)
            break;
        char name[64], value[128];
        snprintf(name, sizeof(name), "%.*s", (int)(colon - h), h);
        snprintf(value, sizeof(value), "%.*s", (int)(eol - colon - 2), colon + 2);
        MHD_add_response_header(resp, name, value);
        h = eol + 2;
    }
    count_request(r, (unsigned)rec->status, rec->body_len);
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)rec->status, resp);
    r->answered = 1;
    MHD_destroy_response(resp);
    return ret;
}

static json_t *rfc_error_json(const gw_rfc_error_t *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "group", json_string(gw_rfc_err_group_name(e->group)));
#define SET(k, s)                                                                                  \
    if ((s).len)                                                                                   \
        json_object_set_new(o, k, json_stringn((s).ptr, (s).len));
    SET("key", e->key);
    SET("message", e->message);
    SET("messageClass", e->msg_class);
    SET("messageType", e->msg_type);
    SET("messageNumber", e->msg_number);
    SET("messageV1", e->msg_v[0]);
    SET("messageV2", e->msg_v[1]);
    SET("messageV3", e->msg_v[2]);
    SET("messageV4", e->msg_v[3]);
#undef SET
    return o;
}

/*
 * problem+json (RFC 9457). `extra` (stolen) adds extension members;
 * `status` 0 = the error table's status for `err`.
 */
static json_t *problem_object(req_t *r, int err, int status, const char *detail, json_t *extra)
{
    if (status == 0)
        status = gw_err_status(err);
    r->problem = gw_err_slug(err);
    json_t *o = json_object();
    char type[96];
    snprintf(type, sizeof(type), GW_PROBLEM_TYPE_PREFIX "%s", gw_err_slug(err));
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "title", json_string(gw_strerror(err)));
    json_object_set_new(o, "status", json_integer(status));
    if (detail && detail[0]) {
        json_t *d = json_string(detail);
        json_object_set_new(o, "detail", d ? d : json_string("(detail not valid UTF-8)"));
    }
    if (r->url)
        json_object_set_new(o, "instance", json_string(r->url));
    if (extra) {
        json_object_update(o, extra);
        json_decref(extra);
    }
    return o;
}

/*
 * A problem answer; `raw` (may be NULL) holds more members as JSON text,
 * ",\"name\":value…", written in after `extra`'s (a batch's step answers,
 * which are text already and may be megabytes).
 */
static enum MHD_Result problem_raw(req_t *r, int err, int status, const char *detail, json_t *extra,
                                   const gw_buf_t *raw, const char *hname, const char *hvalue)
{
    if (status == 0)
        status = gw_err_status(err);
    json_t *o = problem_object(r, err, status, detail, extra);
    if (status == 503 && hname == NULL) {
        hname = MHD_HTTP_HEADER_RETRY_AFTER;
        hvalue = "1";
    }
    if (status >= 500)
        GW_LOGW("http", "%s %s → %d %s: %s (request %s)", r->route ? r->route->method : "-",
                r->url ? r->url : "-", status, gw_err_slug(err), detail ? detail : "",
                r->request_id);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    size_t len = text ? strlen(text) : 0;
    if (text && raw && raw->len) { /* "{…}" → "{…" raw "}" */
        char *t = raw->failed ? NULL : realloc(text, len + raw->len + 1);
        if (t == NULL) {
            free(text);
            text = NULL;
            len = 0;
        } else {
            memcpy(t + len - 1, raw->data, raw->len);
            len += raw->len;
            t[len - 1] = '}';
            t[len] = '\0';
            text = t;
        }
    }
    return respond(r, (unsigned)status, "application/problem+json", text, len, hname, hvalue);
}

static enum MHD_Result problem_status(req_t *r, int err, int status, const char *detail,
                                      json_t *extra, const char *hname, const char *hvalue)
{
    return problem_raw(r, err, status, detail, extra, NULL, hname, hvalue);
}

static enum MHD_Result problem(req_t *r, int err, const char *detail, json_t *extra,
                               const char *hname, const char *hvalue)
{
    return problem_status(r, err, 0, detail, extra, hname, hvalue);
}

/* ---- request life cycle ---- */

static gw_pool_t *pool_of(gw_http_t *h, const char *destination)
{
    return gw_pool_of(h->deps.cfg, h->deps.pools, destination);
}

static void kick(void *ud);

/* Hands a suspended request back to libmicrohttpd (any thread). */
static void resume(req_t *r)
{
    gw_http_t *h = r->h;
    /* After the resume the request may be gone: count it down last, so shutdown waits for it. */
    MHD_resume_connection(r->conn);
    kick(h);
    atomic_fetch_sub(&h->waiting, 1);
}

static void job_done(gw_job_t *job)
{
    resume(job->user);
}

static gw_rfc_field_t commit_wait[] = {
    {{"WAIT", 4}, {.type = GW_RFC_CHAR, .u.s = {"X", 1}}},
};

/*
 * Commit policies, on the loop thread, in the call's session: after the
 * call, BAPI_TRANSACTION_COMMIT (WAIT = 'X') when it succeeded; with E or A
 * messages in RETURN, BAPI_TRANSACTION_ROLLBACK under rollback_on_error
 * (under `commit` nothing is committed and the session reset discards the
 * changes). The call's own result is what the caller gets.
 */
static int commit_step(gw_job_t *job)
{
    req_t *r = job->user;
    if (r->commit_phase == 0) {
        if (job->err) {
            r->commit_outcome = "none";
            return 0;
        }
        r->main_result = job->result;
        r->main_n = job->nresult;
        const gw_rfc_param_t *ret = gw_route_bapi_return(r->desc);
        const gw_rfc_field_t *rv =
            ret ? gw_rfc_fields_find(job->result, job->nresult, ret->name) : NULL;
        int failed = rv && gw_route_return_errors(&rv->value) > 0;
        if (failed && r->route->commit == GW_COMMIT_COMMIT) {
            r->commit_outcome = "none";
            return 0;
        }
        r->commit_phase = failed ? 2 : 1;
        job->function = failed ? GW_SLICE_LIT("BAPI_TRANSACTION_ROLLBACK")
                               : GW_SLICE_LIT("BAPI_TRANSACTION_COMMIT");
        job->params = failed ? NULL : commit_wait;
        job->nparams = failed ? 0 : 1;
        job->want = NULL;
        job->no_reset = 1;
        job->result = NULL;
        job->nresult = 0;
        return 1;
    }
    if (job->err == 0) {
        r->commit_outcome = r->commit_phase == 1 ? "committed" : "rolled-back";
        job->result = r->main_result;
        job->nresult = r->main_n;
    } else {
        r->commit_outcome = "unknown";
        char d[sizeof(job->detail)];
        snprintf(d, sizeof(d), "%s failed: %.200s",
                 r->commit_phase == 1 ? "BAPI_TRANSACTION_COMMIT" : "BAPI_TRANSACTION_ROLLBACK",
                 job->detail);
        memcpy(job->detail, d, sizeof(d));
    }
    return 0;
}

static int batch_next(gw_job_t *job);
static int stream_part(gw_job_t *job, gw_part_t *part, int last);
static int stream_poll(gw_job_t *job);
static void stream_done(gw_job_t *job);

/*
 * Principal mapping (docs/security.md): the backend identity a call of
 * `rt` (to destination `d`) by this caller logs on as — the route's `identity`; else the first
 * of the destination's identities whose `callers` name the caller or whose
 * `scopes` the caller holds; else NULL, the destination's own `auth`.
 */
static const char *call_identity(const req_t *r, const gw_dest_conf_t *d, const gw_route_t *rt)
{
    if (rt->identity)
        return rt->identity;
    const gw_caller_t *c = &r->caller;
    for (size_t i = 0; d && c->id && !c->anonymous && i < d->nidentities; i++) {
        const gw_ident_conf_t *ic = &d->identities[i];
        for (size_t k = 0; k < ic->ncallers; k++)
            if (strcmp(ic->callers[k], c->id) == 0)
                return ic->name;
        for (size_t k = 0; k < ic->nscopes; k++)
            for (size_t j = 0; j < c->nscopes; j++)
                if (strcmp(ic->scopes[k], c->scopes[j]) == 0)
                    return ic->name;
    }
    return NULL;
}

static int is_passthrough(const char *identity)
{
    return identity && strcmp(identity, "passthrough") == 0;
}

static void submit(req_t *r, int kind, gw_rfc_field_t *params, uint32_t nparams)
{
    if (atomic_load(&r->h->stopping)) {
        problem(r, GW_ESHUTDOWN, "rfmgw is shutting down", NULL, NULL, NULL);
        return;
    }
    memset(&r->job, 0, sizeof(r->job));
    r->job.kind = kind;
    r->job.function = gw_slice(r->route->function);
    r->job.params = params;
    r->job.nparams = nparams;
    r->job.deadline_ms = r->deadline_ms;
    r->job.arena = &r->arena;
    r->job.done = job_done;
    r->job.user = r;
    r->job.trace = gw_slice(r->traceparent);
    if (kind == GW_JOB_CALL) { /* descriptions come with the destination's own identity */
        r->job.identity =
            call_identity(r, gw_pool_conf(r->pool), r->batch ? r->steps[0].route : r->route);
        r->job.pt_user = r->caller.basic_user;
        r->job.pt_secret = r->caller.basic_password;
    }
    if (kind == GW_JOB_CALL && r->batch) {
        r->called = 1;
        r->job.want = r->bwant;
        r->job.nwant = r->bnwant;
        r->job.next = batch_next;
    } else if (kind == GW_JOB_CALL) {
        r->called = 1;
        r->job.want = gw_route_want(&r->arena, r->route, r->desc, &r->job.nwant);
        if (r->route->commit != GW_COMMIT_NONE)
            r->job.next = commit_step;
        if (r->stream) {
            r->job.on_part = stream_part;
            r->job.part_poll = stream_poll;
            r->job.done = stream_done;
            atomic_store(&r->holds, 2);
        }
    }
    r->state = r->batch ? (kind == GW_JOB_DESCRIBE ? ST_BATCH_DESCRIBING : ST_BATCH)
                        : (kind == GW_JOB_DESCRIBE ? ST_DESCRIBING : ST_CALLING);
    GW_LOGD("http", "%s %s: %s %s on %s", r->route->method, r->url,
            kind == GW_JOB_DESCRIBE ? "DESCRIBE" : "CALL", r->route->function,
            r->route->destination);
    atomic_fetch_add(&r->h->waiting, 1);
    MHD_suspend_connection(r->conn);
    gw_pool_submit(r->pool, &r->job);
}

static enum MHD_Result job_problem(req_t *r)
{
    json_t *extra = NULL;
    if (r->job.has_rfc) {
        extra = json_object();
        json_object_set_new(extra, "rfc", rfc_error_json(&r->job.rfc));
    }
    /*
     * FU_NOT_FOUND is the caller's mistake on the generic endpoint, ours on a mapped route;
     * the rest as configured (`status`, globally and per route).
     */
    if (r->job.err == GW_ELOGON && is_passthrough(r->job.identity)) {
        /* the caller's own credentials were refused: the caller's problem, not ours */
        const gw_caller_method_t *m =
            r->caller.method ? gw_config_caller_method(r->h->deps.cfg, r->caller.method) : NULL;
        char challenge[200], d[sizeof(r->job.detail) + 64];
        snprintf(challenge, sizeof(challenge), "Basic realm=\"%s\", charset=\"UTF-8\"",
                 m && m->realm ? m->realm : "rfmgw");
        snprintf(d, sizeof(d), "the backend refused the logon with your credentials: %s",
                 r->job.detail);
        json_decref(extra);
        return problem(r, GW_EUNAUTH, d, NULL, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge);
    }
    int status = r->generic && r->job.err == GW_EFUNCNOTFOUND
                     ? 404
                     : gw_config_status_for(&r->route->status, r->job.err);
    return problem_status(r, r->job.err, status, r->job.detail, extra, NULL, NULL);
}

/* A query parameter from a raw query string ("a=1&b=x%20y"), decoded into the arena. */
static const char *query_value(gw_arena_t *a, const char *q, const char *name)
{
    size_t nl = strlen(name);
    while (q && *q) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
            char *v = gw_arena_strndup(a, q + nl + 1, len - nl - 1), *w = v;
            for (const char *p = v; v && *p; p++) {
                if (*p == '+') {
                    *w++ = ' ';
                } else if (*p == '%' && p[1] && p[2]) {
                    char hex[3] = {p[1], p[2], 0};
                    *w++ = (char)strtol(hex, NULL, 16);
                    p += 2;
                } else {
                    *w++ = *p;
                }
            }
            if (v)
                *w = '\0';
            return v;
        }
        q = end ? end + 1 : NULL;
    }
    return NULL;
}

/* A header (case-insensitive) or query argument of the snapshot. */
static const char *snap_get(const req_t *r, int kind, const char *name)
{
    for (size_t i = 0; i < r->nsnap; i++)
        if (r->snap[i].kind == kind &&
            (kind == MHD_HEADER_KIND ? strcasecmp(r->snap[i].name, name)
                                     : strcmp(r->snap[i].name, name)) == 0)
            return r->snap[i].value;
    return NULL;
}

static enum MHD_Result snap_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    req_t *r = cls;
    snapkv_t *kv = &r->snap[r->nsnap];
    kv->kind = (int)kind;
    kv->name = gw_arena_strndup(&r->arena, key, strlen(key));
    kv->value = value ? gw_arena_strndup(&r->arena, value, strlen(value)) : NULL;
    if (kv->name == NULL || (value && kv->value == NULL))
        return MHD_NO;
    r->nsnap++;
    return MHD_YES;
}

/* Copies the headers and query arguments into the arena, for a work thread. 0 or GW_ENOMEM. */
static int snapshot(req_t *r)
{
    if (r->snap)
        return 0;
    int n = MHD_get_connection_values(r->conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, NULL, NULL);
    snapkv_t *kv = gw_arena_calloc(&r->arena, (size_t)(n > 0 ? n : 1), sizeof(*kv));
    if (kv == NULL)
        return GW_ENOMEM;
    r->snap = kv;
    r->nsnap = 0;
    int got =
        MHD_get_connection_values(r->conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, snap_one, r);
    if (got != n || r->nsnap != (size_t)n) {
        r->snap = NULL;
        r->nsnap = 0;
        return GW_ENOMEM;
    }
    return 0;
}

static const char *lookup(void *ctx, int kind, const char *name)
{
    req_t *r = ctx;
    if (kind == GW_BIND_QUERY && r->steps)
        return query_value(&r->arena, r->steps[r->bcur].query, name);
    if (kind == GW_BIND_HEADER && r->steps) {
        /* batch steps after the first run on the loop thread: use the copy, not libmicrohttpd */
        for (size_t i = 0; i < r->nbhdr; i++)
            if (strcasecmp(r->bhdr_names[i], name) == 0)
                return r->bhdr_values[i];
        return NULL;
    }
    int mk = kind == GW_BIND_QUERY ? MHD_GET_ARGUMENT_KIND : MHD_HEADER_KIND;
    return r->snap ? snap_get(r, mk, name) : MHD_lookup_connection_value(r->conn, mk, name);
}

/*
 * Suspends the request and hands it to a work thread, which runs `fn` and
 * resumes it (state `state` tells the next handler call what happened).
 */
static enum MHD_Result offload(req_t *r, int state, void (*fn)(gw_work_t *w))
{
    if (snapshot(r) != 0)
        return MHD_NO;
    r->state = state;
    r->work.run = fn;
    atomic_fetch_add(&r->h->waiting, 1);
    MHD_suspend_connection(r->conn);
    gw_workers_submit(r->h->workers, &r->work);
    return MHD_YES;
}

static const gw_bind_t *bind_of(const gw_route_t *rt, const char *pointer);

/*
 * The `errors` list of a 400: body problems keep their JSON Pointer (under
 * `prefix`, e.g. "/steps/1/body"); problems of bound path, query or header
 * values name the request part instead ("parameter": "query.limit").
 */
static json_t *errors_json(const gw_route_t *rt, const gw_codec_errors_t *errs, const char *prefix)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < errs->n; i++) {
        json_t *e = json_object();
        const char *ptr = errs->items[i].pointer;
        const gw_bind_t *b = ptr[0] == '/' ? bind_of(rt, ptr) : NULL;
        if (ptr[0] == '/' && (b == NULL || b->source == GW_BIND_BODY)) {
            char full[512];
            snprintf(full, sizeof(full), "%s%s", prefix, ptr);
            json_object_set_new(e, "pointer", json_string(full));
        } else {
            json_object_set_new(e, "parameter", json_string(b ? b->from : ptr));
        }
        json_object_set_new(e, "detail", json_string(errs->items[i].reason));
        json_array_append_new(list, e);
    }
    return list;
}

/* Which binding produced the value at `pointer` ("/PARAM/FIELD…"), or NULL. */
static const gw_bind_t *bind_of(const gw_route_t *rt, const char *pointer)
{
    for (size_t i = 0; i < rt->nbinds; i++) {
        const char *to = rt->binds[i].to, *p = pointer + 1;
        while (*to && (*to == *p || (*to == '.' && *p == '/'))) {
            to++;
            p++;
        }
        if (pointer[0] == '/' && *to == '\0' && (*p == '\0' || *p == '/'))
            return &rt->binds[i];
    }
    return NULL;
}

/* ---- streamed answers (NDJSON, gateway/stream) ---- */

static int wants_stream(req_t *r)
{
    if (r->route->stream)
        return 1;
    const char *acc = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
    return acc && strstr(acc, "application/x-ndjson") != NULL && r->route->read_only &&
           r->route->commit == GW_COMMIT_NONE && !r->generic;
}

/* Creates r->stream; returns MHD_YES + 1 to go on, or the answer of a refusal. */
static int stream_prepare(req_t *r)
{
    int ambiguous;
    const gw_rfc_param_t *t = gw_route_stream_table(r->route, r->desc, &ambiguous);
    if (t == NULL) {
        char d[300];
        snprintf(d, sizeof(d),
                 r->route->stream_table
                     ? "%s has no TABLE parameter %s to stream (route %s:%d, stream_table)"
                     : "%s returns %s table to stream as NDJSON; the route must name one in "
                       "result.stream_table",
                 r->route->function,
                 r->route->stream_table ? r->route->stream_table
                                        : (ambiguous ? "more than one" : "no"),
                 r->route->file, r->route->line);
        return r->route->stream_table || r->route->stream
                   ? problem(r, GW_ECONFIG, d, NULL, NULL, NULL)
                   : problem(r, GW_ENOTACCEPTABLE, d, NULL, NULL, NULL);
    }
    gw_stream_conf_t c = {r->route,
                          r->desc,
                          t,
                          lookup(r, GW_BIND_QUERY, "fields"),
                          (size_t)r->h->deps.cfg->limits.stream_buffer,
                          kick,
                          r->h};
    r->stream = gw_stream_create(r->conn, &c);
    if (r->stream == NULL)
        return problem(r, GW_ENOMEM, "out of memory for the stream", NULL, NULL, NULL);
    return MHD_YES + 1;
}

/* Loop thread: a part of the result arrived. The first one resumes the request. */
static int stream_part(gw_job_t *job, gw_part_t *part, int last)
{
    req_t *r = job->user;
    (void)last;
    int ret = gw_stream_push(r->stream, part);
    if (!r->stream_resumed) {
        r->stream_resumed = 1;
        resume(r);
    }
    return ret;
}

static int stream_poll(gw_job_t *job)
{
    req_t *r = job->user;
    return gw_stream_poll(r->stream);
}

static void req_free(req_t *r);
static json_t *problem_object(req_t *r, int err, int status, const char *detail, json_t *extra);

/* Loop thread: the streamed call is over. */
static void stream_done(gw_job_t *job)
{
    req_t *r = job->user;
    if (!r->stream_resumed) {
        /* no part came (an error): answer as any call does */
        r->stream_resumed = 1;
        resume(r);
    } else {
        json_t *extra = NULL;
        if (job->err && job->has_rfc) {
            extra = json_object();
            json_object_set_new(extra, "rfc", rfc_error_json(&job->rfc));
        }
        json_t *p = job->err ? problem_object(r, job->err, 0, job->detail, extra) : NULL;
        if (job->err)
            GW_LOGW("http", "%s %s: the stream ended after %llu rows: %s (request %s)",
                    r->route->method, r->url, (unsigned long long)gw_stream_rows(r->stream),
                    job->detail, r->request_id);
        gw_stream_end(r->stream, p);
    }
    if (atomic_fetch_sub(&r->holds, 1) == 1)
        req_free(r);
}

/* HTTP thread, resumed for the first part (or the error before it): start the answer. */
static enum MHD_Result stream_answer(req_t *r)
{
    if (!gw_stream_started(r->stream))
        return job_problem(r);
    const gw_part_t *first = gw_stream_first(r->stream);
    const gw_rfc_param_t *ret_p = gw_route_bapi_return(r->desc);
    const gw_rfc_field_t *ret_v =
        first && ret_p ? gw_rfc_fields_find(first->params, first->nparams, ret_p->name) : NULL;
    int nerr = ret_v ? gw_route_return_errors(&ret_v->value) : 0;
    if (nerr) {
        gw_stream_cancel(r->stream); /* the rest of the call is not wanted */
        char d[160];
        snprintf(d, sizeof(d), "%s returned %d error message%s in RETURN", r->route->function, nerr,
                 nerr == 1 ? "" : "s");
        return problem_status(r, GW_EBAPI, r->route->bapi_error_status, d, NULL, NULL, NULL);
    }
    struct MHD_Response *resp = gw_stream_response(r->stream);
    if (resp == NULL) {
        gw_stream_cancel(r->stream);
        return problem(r, GW_ENOMEM, "out of memory for the stream", NULL, NULL, NULL);
    }
    r->stream_answered = 1; /* counted and logged when the stream ends (req_free()) */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
    common_headers(r, resp, 1);
    enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
    r->answered = 1;
    MHD_destroy_response(resp);
    return ret;
}

/*
 * The body and the request's bound values as the function's RFC parameters
 * (r->cv_*); on the HTTP thread, or on a work thread for a large body.
 */
static void convert_params(req_t *r)
{
    char why[1024];
    r->cv_done = 1;
    r->cv_params = NULL;
    r->cv_n = 0;
    r->cv_why = NULL;
    if (!r->generic && gw_route_check(r->route, r->desc, why, sizeof(why)) != 0) {
        r->cv_ret = GW_ECONFIG;
        r->cv_why = gw_arena_strndup(&r->arena, why, strlen(why));
        return;
    }
    if (gw_codec_errors_init(&r->arena, &r->cv_errs, (size_t)r->h->deps.cfg->limits.max_errors)) {
        r->cv_ret = GW_ENOMEM;
        return;
    }
    int ret = GW_EPARAM;
    const gw_jdoc_t *pj =
        gw_route_params(&r->arena, r->route, r->desc, r->json, &r->caps, lookup, r, &r->cv_errs);
    if (pj) {
        ret = gw_codec_params_read(&r->arena, r->desc, pj, &r->route->opts, &r->cv_params, &r->cv_n,
                                   &r->cv_errs);
    } else if (r->cv_errs.n == 0) {
        ret = GW_ENOMEM;
    }
    r->cv_ret = ret;
}

/* Answers a conversion that failed, or sends the call (HTTP thread). */
static enum MHD_Result call_converted(req_t *r)
{
    int ret = r->cv_ret;
    const gw_codec_errors_t errs = r->cv_errs;
    r->cv_done = 0;
    if (ret == GW_ECONFIG)
        return problem(r, GW_ECONFIG, r->cv_why ? r->cv_why : "the route does not fit the function",
                       NULL, NULL, NULL);
    if (ret == GW_EPARAM) {
        json_t *list = errors_json(r->route, &errs, "");
        json_t *extra = json_object();
        json_object_set_new(extra, "errors", list);
        if (errs.dropped)
            json_object_set_new(extra, "errorsOmitted", json_integer((json_int_t)errs.dropped));
        char detail[160];
        snprintf(detail, sizeof(detail), "%zu parameter%s of %s %s invalid; see errors",
                 errs.n + errs.dropped, errs.n + errs.dropped == 1 ? "" : "s", r->route->function,
                 errs.n + errs.dropped == 1 ? "is" : "are");
        return problem(r, GW_EPARAM, detail, extra, NULL, NULL);
    }
    if (ret != 0)
        return problem(r, ret, "cannot convert the parameters", NULL, NULL, NULL);
    if (wants_stream(r) && (ret = stream_prepare(r)) != MHD_YES + 1)
        return (enum MHD_Result)ret;
    submit(r, GW_JOB_CALL, r->cv_params, r->cv_n);
    return MHD_YES;
}

static enum MHD_Result convert_and_call(req_t *r)
{
    convert_params(r);
    return call_converted(r);
}

static enum MHD_Result batch_start(req_t *r);

/*
 * Sets r->desc from the destination's metadata cache and returns 1; or,
 * when the function is not described yet, sends a DESCRIBE (the request is
 * suspended and resumed in on_resumed) and returns 0.
 */
static int described(req_t *r)
{
    r->desc_ref = gw_pool_desc_get(r->pool, gw_slice(r->route->function));
    if (r->desc_ref == NULL) {
        submit(r, GW_JOB_DESCRIBE, NULL, 0);
        return 0;
    }
    r->desc = gw_desc_func(r->desc_ref);
    return 1;
}

/*
 * Idempotency-Key (non-read-only routes and batches): the same key from the
 * same caller on the same route with the same body gets the recorded answer;
 * with another body 422; while the first is in flight (or its outcome is
 * unknown) 409. The caller is the authenticated identity ("method:subject"),
 * so callers never see each other's answers. Returns 1 with the answer
 * queued in `*ret`, 0 to go on.
 */
static int idem_begin(req_t *r, const char *key, enum MHD_Result *ret)
{
    uint8_t own[32], *hash = r->idem_hash ? r->idem_hash : own;
    char route[300];
    snprintf(route, sizeof(route), "%s %s", r->batch ? "POST" : r->route->method,
             r->batch ? "/api/v1/batch" : r->route->path);
    gw_idem_state_t state;
    gw_idem_response_t rec;
    memset(&rec, 0, sizeof(rec));
    int err = r->idem_hash ? 0 : gw_idem_hash(r->body.data, r->body.len, hash);
    if (err == 0)
        err = gw_idem_begin(r->h->idem, gw_slice(caller_of(r)), gw_slice(route), gw_slice(key),
                            hash, &state, &rec, &r->idem_ticket);
    if (err == GW_EINVAL)
        *ret = problem(r, GW_EPARAM, "Idempotency-Key must have 1 to 255 characters", NULL, NULL,
                       NULL);
    else if (err != 0)
        *ret = problem(r, err, "the Idempotency-Key store is full", NULL, NULL, NULL);
    else if (state == GW_IDEM_REPLAY) {
        *ret = replay(r, &rec);
        gw_idem_response_free(&rec);
    } else if (state == GW_IDEM_MISMATCH)
        *ret = problem(r, GW_EIDEMREUSE, "this Idempotency-Key was used with another body", NULL,
                       NULL, NULL);
    else if (state == GW_IDEM_IN_FLIGHT)
        *ret = problem(r, GW_ECONFLICT, "a request with this Idempotency-Key is still running",
                       NULL, NULL, NULL);
    else if (state == GW_IDEM_UNKNOWN)
        *ret = problem(r, GW_ECONFLICT,
                       "the outcome of the first request with this Idempotency-Key is unknown "
                       "(it timed out or lost its connection); it is not run again",
                       NULL, NULL, NULL);
    else
        return 0;
    return 1;
}

static void body_run(gw_work_t *w);
static void parse_body(req_t *r, gw_jdoc_error_t *e);
static enum MHD_Result on_parsed(req_t *r);

static enum MHD_Result on_body_complete(req_t *r)
{
    if (r->too_large) {
        char d[96];
        snprintf(d, sizeof(d), "the request body exceeds listen.max_body (%d bytes)",
                 r->h->deps.cfg->listen.max_body);
        return problem(r, GW_ETOOBIG, d, NULL, NULL, NULL);
    }
    const char *key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (!(r->h->idem && (r->batch || (r->route && !r->route->read_only))))
        key = NULL;
    if (r->body.len >= (size_t)r->h->deps.cfg->limits.convert_body && r->h->workers) {
        /* convert_body >= 1: a body; its hash (~1 ms per MB) is taken there too, the key looked
         * up after the resume (on_resumed), before anything else is answered */
        r->idem_key = key;
        return offload(r, ST_PARSING, body_run);
    }
    enum MHD_Result ret;
    if (key && idem_begin(r, key, &ret))
        return ret;
    if (r->body.len == 0 && r->json_declared)
        return problem(r, GW_EJSON,
                       "the body is empty but declared as JSON; send {} for no parameters", NULL,
                       NULL, NULL);
    gw_jdoc_error_t jerr; /* on the stack: req_t stays small (it is zeroed per request) */
    if (r->body.len > 0)
        parse_body(r, &jerr);
    ret = on_parsed(r);
    r->jerr = NULL;
    return ret;
}

/* Parses the body into r->json; r->parse_err and r->jerr (`e`) say how it went. */
static void parse_body(req_t *r, gw_jdoc_error_t *e)
{
    r->jerr = e;
    r->parse_err = e ? gw_jdoc_parse(&r->arena, (const char *)r->body.data, r->body.len,
                                     (uint32_t)r->h->deps.cfg->limits.json_depth, &r->json, e)
                     : GW_ENOMEM;
}

/* A work thread: a large body parsed and, when the function's metadata is cached, converted. */
static void body_run(gw_work_t *w)
{
    req_t *r = (req_t *)((char *)w - offsetof(req_t, work));
    if (r->idem_key && (r->idem_hash = gw_arena_alloc(&r->arena, 32)) != NULL &&
        gw_idem_hash(r->body.data, r->body.len, r->idem_hash) != 0)
        r->idem_hash = NULL; /* idem_begin() hashes again on the loop */
    parse_body(r, gw_arena_alloc(&r->arena, sizeof(gw_jdoc_error_t)));
    if (r->parse_err == 0 && r->json->type == GW_JDOC_OBJECT && !r->batch) {
        r->desc_ref = gw_pool_desc_get(r->pool, gw_slice(r->route->function));
        if (r->desc_ref) {
            r->desc = gw_desc_func(r->desc_ref);
            convert_params(r);
        }
    }
    GW_LOGD("http", "request %s: body of %zu bytes %sparsed%s on a work thread", r->request_id,
            r->body.len, r->idem_hash ? "hashed, " : "", r->cv_done ? " and converted" : "");
    r->state = ST_PARSED;
    resume(r);
}

/* The body is parsed (r->parse_err): answer its problem, or go on to the call. */
static enum MHD_Result on_parsed(req_t *r)
{
    if (r->body.len > 0) {
        int depth = r->h->deps.cfg->limits.json_depth;
        if (r->parse_err == GW_ENOMEM)
            return problem(r, GW_ENOMEM, "out of memory parsing the body", NULL, NULL, NULL);
        if (r->parse_err != 0) {
            char d[300];
            if (r->jerr->too_deep)
                snprintf(d, sizeof(d), "the body nests deeper than limits.json_depth (%d)", depth);
            else
                snprintf(d, sizeof(d), "line %d, column %d: %s", r->jerr->line, r->jerr->column,
                         r->jerr->text);
            json_t *extra = json_object();
            json_object_set_new(extra, "line", json_integer(r->jerr->line));
            json_object_set_new(extra, "column", json_integer(r->jerr->column));
            return problem(r, GW_EJSON, d, extra, NULL, NULL);
        }
        if (r->json->type != GW_JDOC_OBJECT)
            return problem(r, GW_EJSON, "the body must be a JSON object of parameters", NULL, NULL,
                           NULL);
    }
    r->bbig = r->batch && r->body.len >= (size_t)r->h->deps.cfg->limits.convert_body;
    gw_buf_free(&r->body);
    if (r->batch)
        return batch_start(r);
    if (r->cv_done) /* converted on the work thread */
        return call_converted(r);
    return described(r) ? convert_and_call(r) : MHD_YES;
}

static enum MHD_Result describe_answer(req_t *r)
{
    json_t *o = gw_codec_func_describe(r->desc, &r->route->opts);
    if (o == NULL)
        return problem(r, GW_ENOMEM, "out of memory describing the function", NULL, NULL, NULL);
    json_object_set_new(o, "destination", json_string(r->route->destination));
    return send_json(r, MHD_HTTP_OK, o, "application/json", NULL, NULL);
}

/*
 * GET /api/v1/functions/{NAME}: the metadata of a function that some route
 * maps (and only such: the gateway is no directory of the backend).
 */
static const char *auth_header(void *ctx, const char *name)
{
    const req_t *r = ctx;
    return r->snap ? snap_get(r, MHD_HEADER_KIND, name)
                   : MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* A work thread: the password check that gate() handed over; on_new() runs again after it. */
static void auth_run(gw_work_t *w)
{
    req_t *r = (req_t *)((char *)w - offsetof(req_t, work));
    offauth_t *o = r->offauth;
    o->err = gw_auth_authenticate(r->auth, &r->arena, o->methods, o->nmethods, auth_header, r,
                                  &o->caller, o->why, sizeof(o->why), o->challenge,
                                  sizeof(o->challenge));
    r->state = ST_AUTHED;
    resume(r);
}

/*
 * The front door (docs/security.md): authenticates the caller with the
 * route's methods (NULL: callers.default) and checks its scopes, before any
 * body is read or converted and before any backend call. Returns 1 with
 * the refusal (401 with WWW-Authenticate, 403) queued in `*ret`.
 */
static int gate(req_t *r, char *const *methods, size_t nmethods, char *const *scopes,
                size_t nscopes, enum MHD_Result *ret)
{
    char why[256], challenge[512], key[320], after[16];
    gw_http_t *h = r->h;
    const gw_ratelimit_conf_t *rc = &h->deps.cfg->rate_limit;
    int64_t now = gw_now_ms();
    int wait = 0;
    /* failed logins count per client address, so guessing costs the guesser, not the gateway */
    char ip[INET6_ADDRSTRLEN + 8] = "ip:?";
    const union MHD_ConnectionInfo *ci =
        h->rl_caller ? MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, ip + 3,
                  sizeof(ip) - 3);
    else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, ip + 3,
                  sizeof(ip) - 3);
    if (h->rl_caller)
        snprintf(key, sizeof(key), "fail-%s", ip);
    if (h->rl_caller && (wait = gw_ratelimit_take(h->rl_caller, key, now, 1)) != 0) {
        snprintf(why, sizeof(why), "too many failed authentications from this address");
        goto limited;
    }
    int err;
    offauth_t *o = r->offauth;
    if (o && o->methods == methods && o->nmethods == nmethods) {
        /* checked on a work thread (auth_run) */
        r->offauth = NULL;
        err = o->err;
        r->caller = o->caller;
        memcpy(why, o->why, sizeof(why));
        memcpy(challenge, o->challenge, sizeof(challenge));
    } else if (h->workers && gw_auth_would_hash(r->auth, methods, nmethods, auth_header, r)) {
        /* a password hash takes milliseconds: not on the HTTP thread (or the loop) */
        if ((o = gw_arena_calloc(&r->arena, 1, sizeof(*o))) == NULL) {
            *ret = problem(r, GW_ENOMEM, "out of memory", NULL, NULL, NULL);
            return 1;
        }
        o->methods = methods;
        o->nmethods = nmethods;
        r->offauth = o;
        GW_LOGD("http", "request %s: password check on a work thread", r->request_id);
        *ret = offload(r, ST_AUTHING, auth_run);
        return 1;
    } else {
        err = gw_auth_authenticate(r->auth, &r->arena, methods, nmethods, auth_header, r,
                                   &r->caller, why, sizeof(why), challenge, sizeof(challenge));
    }
    if (err == GW_EUNAUTH) {
        if (h->rl_caller)
            gw_ratelimit_take(h->rl_caller, key, now, 0);
        *ret = problem(r, err, why, NULL, challenge[0] ? "WWW-Authenticate" : NULL, challenge);
        return 1;
    }
    if (err) {
        *ret = problem(r, err, "out of memory", NULL, NULL, NULL);
        return 1;
    }
    if (gw_auth_scopes(&r->caller, scopes, nscopes, why, sizeof(why)) != 0) {
        *ret = problem(r, GW_EFORBIDDEN, why, NULL, NULL, NULL);
        return 1;
    }
    if (h->rl_caller)
        snprintf(key, sizeof(key), "%s", r->caller.anonymous ? ip : r->caller.id);
    if (h->rl_caller && (wait = gw_ratelimit_take(h->rl_caller, key, now, 0)) != 0) {
        snprintf(why, sizeof(why), "more than rate_limit.caller_rate (%d) requests per second",
                 rc->caller_rate);
        goto limited;
    }
    if (h->rl_route && r->route)
        snprintf(key, sizeof(key), "%s %s", r->route->method, r->route->path);
    else if (h->rl_route)
        snprintf(key, sizeof(key), "%.300s", r->url ? r->url : "");
    if (h->rl_route && (wait = gw_ratelimit_take(h->rl_route, key, now, 0)) != 0) {
        snprintf(why, sizeof(why), "this route is over rate_limit.route_rate (%d per second)",
                 rc->route_rate);
        goto limited;
    }
    return 0;
limited:
    snprintf(after, sizeof(after), "%d", wait);
    *ret = problem(r, GW_ERATELIMIT, why, NULL, MHD_HTTP_HEADER_RETRY_AFTER, after);
    return 1;
}

static enum MHD_Result on_functions(req_t *r, const char *name)
{
    r->endpoint = "GET /api/v1/functions/{NAME}";
    const gw_route_table_t *t = r->routes;
    for (size_t i = 0; i < t->n && r->route == NULL; i++)
        if (strcmp(t->routes[i].function, name) == 0)
            r->route = &t->routes[i];
    enum MHD_Result denied;
    if (r->route == NULL && gate(r, NULL, 0, NULL, 0, &denied))
        return denied;
    if (r->route == NULL) {
        char d[128];
        snprintf(d, sizeof(d), "no route maps a function named %.60s", name);
        return problem(r, GW_ENOROUTE, d, NULL, NULL, NULL);
    }
    if (gate(r, r->route->auth, r->route->nauth, r->route->scopes, r->route->nscopes, &denied))
        return denied;
    r->pool = pool_of(r->h, r->route->destination);
    r->deadline_ms = gw_now_ms() + gw_pool_conf(r->pool)->call_timeout_ms;
    r->describe_only = 1;
    return described(r) ? describe_answer(r) : MHD_YES;
}

/* ---- POST /api/v1/batch: several mapped calls as one unit of work ---- */

/*
 * Body: {"steps": [{"method": "POST", "path": "/api/v1/bookings?x=1", "body": {…}}, …],
 *        "commit": true}
 * The steps run in order in one backend session; a string "${N.a.b}" in a
 * step's body is replaced by the value at a.b of step N's answer. When every
 * step succeeds (no error, no E/A message in a BAPI RETURN) the unit of work
 * is committed (BAPI_TRANSACTION_COMMIT, WAIT = 'X'); at the first failure
 * it is rolled back and the remaining steps are skipped.
 */

/*
 * Writes a successful step's answer from its result, once: when a later step
 * refers to it (on the loop), or for the batch's answer (on a work thread
 * when the results are large, batch_answer). Returns 0 or GW_ENOMEM.
 */
static int step_write(bstep_t *st)
{
    if (!st->unwritten)
        return 0;
    st->unwritten = 0;
    gw_buf_free(&st->answer);
    st->doc = NULL;
    return gw_route_write_result(&st->answer, st->route, gw_desc_func(st->desc_ref), st->result,
                                 st->nresult, NULL)
               ? GW_ENOMEM
               : 0;
}

/* 1 when the string `j` has the form of a reference, "${N.path}" (at least 5 bytes). */
static int is_ref(const gw_jdoc_t *j)
{
    /* "${N}" (the whole answer) or "${N.path}"; any other "${…}" is refused by resolve_refs */
    return j->type == GW_JDOC_STRING && j->n >= 3 && strncmp(j->u.s, "${", 2) == 0 &&
           j->u.s[j->n - 1] == '}';
}

/*
 * A step's body with every "${N.path}" replaced by that value of step N's
 * answer. Returns 0, GW_EPARAM with the reason in `why`, GW_ENOMEM.
 */
static int resolve_refs(req_t *r, const gw_jdoc_t *j, size_t step, gw_jdoc_t *out, char *why,
                        size_t whylen)
{
    *out = *j;
    if (j->type == GW_JDOC_STRING) {
        const char *v = j->u.s;
        if (!is_ref(j))
            return 0;
        char *end;
        unsigned long n = strtoul(v + 2, &end, 10);
        if (end == v + 2 || (*end != '.' && *end != '}') || n >= step) {
            snprintf(why, whylen, "%.60s does not name an earlier step", v);
            return GW_EPARAM;
        }
        /* the answer is our own JSON text: written and parsed once, when a step first refers to it
         */
        bstep_t *src = &r->steps[n];
        gw_jdoc_error_t jerr;
        if (step_write(src) != 0)
            return GW_ENOMEM;
        if (src->doc == NULL && src->answer.len &&
            gw_jdoc_parse(&r->arena, (const char *)src->answer.data, src->answer.len, 1024,
                          &src->doc, &jerr) == GW_ENOMEM)
            return GW_ENOMEM;
        const gw_jdoc_t *cur = src->doc;
        const char *p = *end == '.' ? end + 1 : end;
        while (cur && *p && *p != '}') {
            const char *dot = p + strcspn(p, ".}");
            if (cur->type == GW_JDOC_ARRAY) {
                char key[24], *e2;
                snprintf(key, sizeof(key), "%.*s", (int)(dot - p), p);
                unsigned long k = strtoul(key, &e2, 10);
                cur = *e2 || dot == p || k >= cur->n ? NULL : &cur->u.items[k];
            } else {
                cur = gw_jdoc_get(cur, (gw_slice_t){p, (size_t)(dot - p)}, NULL);
            }
            p = *dot == '.' ? dot + 1 : dot;
        }
        if (cur == NULL) {
            snprintf(why, whylen, "%.60s: step %lu's answer has no such value", v, n);
            return GW_EPARAM;
        }
        *out = *cur; /* the parsed answer lives in the request arena */
        return 0;
    }
    if (j->type != GW_JDOC_OBJECT && j->type != GW_JDOC_ARRAY)
        return 0;
    int object = j->type == GW_JDOC_OBJECT;
    gw_jdoc_member_t *m = object ? gw_arena_calloc(&r->arena, j->n ? j->n : 1, sizeof(*m)) : NULL;
    gw_jdoc_t *items = object ? NULL : gw_arena_calloc(&r->arena, j->n ? j->n : 1, sizeof(*items));
    if (m == NULL && items == NULL)
        return GW_ENOMEM;
    for (uint32_t i = 0; i < j->n; i++) {
        int ret;
        if (object) {
            m[i].key = j->u.members[i].key;
            ret = resolve_refs(r, &j->u.members[i].value, step, &m[i].value, why, whylen);
        } else {
            ret = resolve_refs(r, &j->u.items[i], step, &items[i], why, whylen);
        }
        if (ret != 0)
            return ret;
    }
    if (object)
        out->u.members = m;
    else
        out->u.items = items;
    return 0;
}

/* Sets the step's failure answer. */
static void step_fail(bstep_t *st, int err, int status, const char *detail, json_t *extra)
{
    char type[96];
    snprintf(type, sizeof(type), GW_PROBLEM_TYPE_PREFIX "%s", gw_err_slug(err));
    st->status = status ? status : gw_err_status(err);
    json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", gw_strerror(err), "status",
                          st->status, "detail", detail ? detail : "");
    if (o && extra)
        json_object_update(o, extra);
    json_decref(extra);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    gw_buf_free(&st->answer);
    st->doc = NULL;
    st->unwritten = 0;
    if (text)
        gw_buf_append(&st->answer, text, strlen(text));
    free(text);
}

/*
 * Step i's body (references resolved) → its RFC parameters. Returns 0; or an
 * error with the reason in `why`, or — why empty — with the problems in `errs`.
 */
static int step_convert(req_t *r, size_t i, gw_codec_errors_t *errs, char *why, size_t whylen,
                        gw_rfc_field_t **params, uint32_t *n)
{
    bstep_t *st = &r->steps[i];
    const gw_rfc_func_t *f = gw_desc_func(st->desc_ref);
    why[0] = '\0';
    r->bcur = i; /* lookup() takes the step's query */
    if (gw_codec_errors_init(&r->arena, errs, (size_t)r->h->deps.cfg->limits.max_errors)) {
        snprintf(why, whylen, "out of memory");
        return GW_ENOMEM;
    }
    gw_jdoc_t body;
    int ret = st->body ? resolve_refs(r, st->body, i, &body, why, whylen) : 0;
    if (ret != 0) {
        if (ret == GW_ENOMEM)
            snprintf(why, whylen, "out of memory");
        return ret;
    }
    ret = GW_EPARAM;
    const gw_jdoc_t *pj = gw_route_params(&r->arena, st->route, f, st->body ? &body : NULL,
                                          &st->caps, lookup, r, errs);
    if (pj)
        ret = gw_codec_params_read(&r->arena, f, pj, &st->route->opts, params, n, errs);
    else if (errs->n == 0)
        ret = GW_ENOMEM;
    return ret;
}

/* 1 when a step body holds a "${N.path}" reference to an earlier step's answer. */
static int has_refs(const gw_jdoc_t *j)
{
    if (j->type == GW_JDOC_STRING)
        return is_ref(j);
    for (uint32_t i = 0; i < j->n && (j->type == GW_JDOC_OBJECT || j->type == GW_JDOC_ARRAY); i++)
        if (has_refs(j->type == GW_JDOC_OBJECT ? &j->u.members[i].value : &j->u.items[i]))
            return 1;
    return 0;
}

/* On a work thread: the bodies of a large batch's steps that refer to no earlier step. */
static void batch_convert_run(gw_work_t *w)
{
    req_t *r = (req_t *)((char *)w - offsetof(req_t, work));
    size_t done = 0;
    for (size_t i = 0; i < r->nsteps; i++) {
        bstep_t *st = &r->steps[i];
        if (st->body == NULL || has_refs(st->body))
            continue;
        st->pre_ret = step_convert(r, i, &st->pre_errs, st->pre_why, sizeof(st->pre_why),
                                   &st->pre_params, &st->pre_n);
        st->pre = 1;
        done++;
    }
    r->bcur = r->nsteps;
    GW_LOGD("http", "request %s: %zu batch step bodies converted on a work thread", r->request_id,
            done);
    resume(r);
}

/* Puts step i's parameters into the job (converted now or before). Returns 0, or -1 after
 * step_fail. */
static int batch_prepare(req_t *r, size_t i)
{
    bstep_t *st = &r->steps[i];
    char why[200];
    gw_codec_errors_t errs;
    gw_rfc_field_t *params = NULL;
    uint32_t n = 0;
    int ret;
    if (st->pre) {
        ret = st->pre_ret;
        errs = st->pre_errs;
        snprintf(why, sizeof(why), "%s", st->pre_why);
        params = st->pre_params;
        n = st->pre_n;
    } else {
        ret = step_convert(r, i, &errs, why, sizeof(why), &params, &n);
    }
    r->bcur = i;
    if (ret != 0 && why[0]) {
        step_fail(st, ret, 0, why, NULL);
        return -1;
    }
    if (ret != 0) {
        char prefix[48];
        snprintf(prefix, sizeof(prefix), "/steps/%zu/body", i);
        json_t *extra = ret == GW_EPARAM
                            ? json_pack("{s:o}", "errors", errors_json(st->route, &errs, prefix))
                            : NULL;
        step_fail(st, ret, 0, "invalid parameters; see errors", extra);
        return -1;
    }
    r->bparams = params;
    r->bn = n;
    r->bwant = gw_route_want(&r->arena, st->route, gw_desc_func(st->desc_ref), &r->bnwant);
    return 0;
}

/* Records the outcome of the step that just ran; returns 1 when it succeeded. */
static int batch_record(req_t *r, gw_job_t *job)
{
    bstep_t *st = &r->steps[r->bcur];
    const gw_rfc_func_t *f = gw_desc_func(st->desc_ref);
    if (job->err) {
        json_t *extra = job->has_rfc ? json_pack("{s:o}", "rfc", rfc_error_json(&job->rfc)) : NULL;
        step_fail(st, job->err, 0, job->detail, extra);
        return 0;
    }
    gw_buf_t out;
    gw_buf_init(&out, 0);
    const gw_rfc_param_t *ret_p = gw_route_bapi_return(f);
    const gw_rfc_field_t *ret_v =
        ret_p ? gw_rfc_fields_find(job->result, job->nresult, ret_p->name) : NULL;
    if (ret_v && gw_route_return_errors(&ret_v->value) > 0) {
        gw_route_write_messages(&out, ret_p, &ret_v->value, &st->route->opts);
        json_t *msgs = json_loadb((const char *)out.data, out.len, 0, NULL);
        gw_buf_free(&out);
        step_fail(st, GW_EBAPI, st->route->bapi_error_status, "error messages in RETURN",
                  json_pack("{s:o}", "messages", msgs ? msgs : json_array()));
        return 0;
    }
    /* kept as values (in the request arena) until step_write turns them into text */
    st->result = job->result;
    st->nresult = job->nresult;
    st->unwritten = 1;
    st->status = 200;
    return 1;
}

/* The job's `next` on the loop thread: record the step, then run the next one, COMMIT or ROLLBACK.
 */
static int batch_next(gw_job_t *job)
{
    req_t *r = job->user;
    if (r->bphase != 0) {
        r->bcommitted = r->bphase == 1 && job->err == 0;
        return 0;
    }
    int ok = batch_record(r, job);
    if (ok && r->bcur + 1 < r->nsteps)
        ok = batch_prepare(r, r->bcur + 1) == 0 ? 2 : 0;
    if (ok == 2) {
        job->function = gw_slice(r->steps[r->bcur].route->function);
        job->params = r->bparams;
        job->nparams = r->bn;
        job->want = r->bwant;
        job->nwant = r->bnwant;
        job->no_reset = 1;
        job->result = NULL;
        job->nresult = 0;
        return 1;
    }
    if (!ok) {
        r->bfailed = (int)r->bcur;
        /* Without a working session there is nothing to roll back: its end discards the work. */
        if (job->err && !job->has_rfc)
            return 0;
    } else if (!r->bcommit) {
        return 0;
    }
    r->bphase = ok ? 1 : 2;
    job->function =
        ok ? GW_SLICE_LIT("BAPI_TRANSACTION_COMMIT") : GW_SLICE_LIT("BAPI_TRANSACTION_ROLLBACK");
    job->params = ok ? commit_wait : NULL;
    job->nparams = ok ? 1 : 0;
    job->want = NULL;
    job->no_reset = 1;
    job->err = 0;
    return 1;
}

static uint64_t result_rows(const gw_rfc_field_t *f, uint32_t n);

/* On a work thread: the answers of a batch's steps with large results. */
static void batch_write_run(gw_work_t *w)
{
    req_t *r = (req_t *)((char *)w - offsetof(req_t, work));
    r->conv_ret = 0;
    for (size_t i = 0; i < r->nsteps; i++)
        if (step_write(&r->steps[i]) != 0)
            r->conv_ret = GW_ENOMEM;
    resume(r);
}

static enum MHD_Result batch_answer(req_t *r)
{
    /* The pool refused or lost the unit before a step finished (no capacity, timeout, …). */
    if (r->bfailed < 0 && r->job.err && r->bphase == 0) {
        if (r->bcur == 0 && r->job.dispatched_us == 0)
            return job_problem(r); /* nothing ran: the pool's own answer (e.g. 503) */
        json_t *extra =
            r->job.has_rfc ? json_pack("{s:o}", "rfc", rfc_error_json(&r->job.rfc)) : NULL;
        step_fail(&r->steps[r->bcur], r->job.err, 0, r->job.detail, extra);
        r->bfailed = (int)r->bcur;
    }
    /* the answers still kept as values: written here, or on a work thread when large */
    uint64_t rows = 0;
    for (size_t i = 0; i < r->nsteps; i++)
        if (r->steps[i].unwritten)
            rows += result_rows(r->steps[i].result, r->steps[i].nresult);
    if (rows && r->h->workers && rows >= (uint64_t)r->h->deps.cfg->limits.convert_rows) {
        GW_LOGD("http", "request %s: batch answers of %llu rows written on a work thread",
                r->request_id, (unsigned long long)rows);
        return offload(r, ST_BATCH_WRITING, batch_write_run);
    }
    for (size_t i = 0; i < r->nsteps; i++)
        if (step_write(&r->steps[i]) != 0)
            return problem(r, GW_ENOMEM, "cannot build the answer", NULL, NULL, NULL);
    /* ,"results":[{"status":200,"body":…},…]: the step answers are text already; copy them */
    gw_buf_t res;
    size_t total = 64;
    for (size_t i = 0; i < r->nsteps; i++)
        total += r->steps[i].answer.len + 32;
    gw_buf_init(&res, 0);
    gw_buf_reserve(&res, total);
    int ok = r->bfailed < 0 && r->job.err == 0;
    if (ok)
        gw_buf_printf(&res, "{\"committed\":%s", r->bcommitted ? "true" : "false");
    gw_buf_append(&res, ",\"results\":[", 12);
    for (size_t i = 0; i < r->nsteps; i++) {
        bstep_t *st = &r->steps[i];
        if (i)
            gw_buf_append(&res, ",", 1);
        if (st->status == 0) {
            gw_buf_append(&res, "{\"status\":\"skipped\"}", 20);
            continue;
        }
        gw_buf_printf(&res, "{\"status\":%d,\"body\":", st->status);
        if (st->answer.len)
            gw_buf_append(&res, st->answer.data, st->answer.len);
        else
            gw_buf_append(&res, "null", 4);
        gw_buf_append(&res, "}", 1);
    }
    gw_buf_append(&res, "]", 1);
    if (ok) {
        gw_buf_append(&res, "}", 1);
        if (res.failed) {
            gw_buf_free(&res);
            return problem(r, GW_ENOMEM, "cannot build the answer", NULL, NULL, NULL);
        }
        return send_buf(r, &res, NULL, NULL);
    }
    int failed = r->bfailed;
    char d[256];
    if (failed >= 0)
        snprintf(d, sizeof(d), "step %d (%s %s) failed; %s", failed, r->steps[failed].route->method,
                 r->steps[failed].route->path,
                 r->bphase == 2 && r->job.err == 0 ? "the unit of work was rolled back"
                                                   : "nothing was committed");
    else
        snprintf(d, sizeof(d), "the commit failed: %.200s", r->job.detail);
    if (failed >= 0)
        gw_buf_printf(&res, ",\"failedStep\":%d", failed);
    enum MHD_Result ret = problem_raw(r, GW_EBATCH, failed >= 0 ? r->steps[failed].status : 502, d,
                                      json_pack("{s:b}", "committed", 0), &res, NULL, NULL);
    gw_buf_free(&res);
    return ret;
}

/* Describes the next step whose function description is not cached, or starts the unit. */
static enum MHD_Result batch_continue(req_t *r)
{
    for (; r->bcur < r->nsteps; r->bcur++) {
        bstep_t *st = &r->steps[r->bcur];
        if (st->desc_ref == NULL)
            st->desc_ref = gw_pool_desc_get(r->pool, gw_slice(st->route->function));
        if (st->desc_ref == NULL) {
            r->route = st->route;
            submit(r, GW_JOB_DESCRIBE, NULL, 0);
            return MHD_YES;
        }
    }
    /* a large batch: the steps that refer to no earlier step are converted on a work thread */
    if (r->bbig && r->h->workers) {
        r->bbig = 0;
        return offload(r, ST_BATCH_CONVERTING, batch_convert_run);
    }
    if (batch_prepare(r, 0) != 0) {
        r->bfailed = 0;
        return batch_answer(r);
    }
    r->route = r->steps[0].route;
    r->desc = gw_desc_func(r->steps[0].desc_ref);
    submit(r, GW_JOB_CALL, r->bparams, r->bn);
    return MHD_YES;
}

static enum MHD_Result batch_start(req_t *r)
{
    const gw_jdoc_t *steps = gw_jdoc_get(r->json, GW_SLICE_LIT("steps"), NULL);
    const gw_jdoc_t *commit = gw_jdoc_get(r->json, GW_SLICE_LIT("commit"), NULL);
    size_t n = steps && steps->type == GW_JDOC_ARRAY ? steps->n : 0;
    if (n == 0 || n > BATCH_MAX_STEPS)
        return problem(r, GW_EJSON, "the body must be {\"steps\": [ … ]} with 1 to 20 steps", NULL,
                       NULL, NULL);
    if (commit && commit->type != GW_JDOC_TRUE && commit->type != GW_JDOC_FALSE)
        return problem(r, GW_EJSON, "\"commit\" must be true or false", NULL, NULL, NULL);
    r->bcommit = commit ? commit->type == GW_JDOC_TRUE : 1;
    r->bfailed = -1;
    r->steps = gw_arena_calloc(&r->arena, n, sizeof(*r->steps));
    if (r->steps == NULL)
        return problem(r, GW_ENOMEM, "out of memory", NULL, NULL, NULL);
    r->nsteps = n;
    json_t *errors = json_array();
    for (size_t i = 0; r->steps && i < n; i++) {
        const gw_jdoc_t *s = &steps->u.items[i];
        const gw_jdoc_t *jm = gw_jdoc_get(s, GW_SLICE_LIT("method"), NULL);
        const gw_jdoc_t *jp = gw_jdoc_get(s, GW_SLICE_LIT("path"), NULL);
        const gw_jdoc_t *body = gw_jdoc_get(s, GW_SLICE_LIT("body"), NULL);
        const char *method = jm && jm->type == GW_JDOC_STRING ? jm->u.s : NULL;
        const char *path = jp && jp->type == GW_JDOC_STRING ? jp->u.s : NULL;
        char ptr[48];
        snprintf(ptr, sizeof(ptr), "/steps/%zu", i);
        if (s->type != GW_JDOC_OBJECT || method == NULL || path == NULL ||
            (body && body->type != GW_JDOC_OBJECT)) {
            json_array_append_new(errors, json_pack("{s:s, s:s}", "pointer", ptr, "detail",
                                                    "a step needs \"method\", \"path\" and an "
                                                    "optional \"body\" object"));
            continue;
        }
        const char *q = strchr(path, '?');
        char *p = gw_arena_strndup(&r->arena, path, q ? (size_t)(q - path) : strlen(path));
        int known = 0;
        bstep_t *st = &r->steps[i];
        st->query = q ? gw_arena_strndup(&r->arena, q + 1, strlen(q + 1)) : NULL;
        st->body = body;
        st->route =
            p ? gw_route_match(r->routes, gw_slice(method), gw_slice(p), &st->caps, &known, NULL, 0)
              : NULL;
        if (st->route == NULL)
            json_array_append_new(errors, json_pack("{s:s, s:s}", "pointer", ptr, "detail",
                                                    "no route matches this method and path"));
        else if (strcmp(st->route->destination, r->steps[0].route ? r->steps[0].route->destination
                                                                  : st->route->destination))
            json_array_append_new(errors, json_pack("{s:s, s:s}", "pointer", ptr, "detail",
                                                    "all steps must call the same destination "
                                                    "(one session, one unit of work)"));
    }
    if (json_array_size(errors) > 0)
        return problem(r, GW_EPARAM, "the batch has invalid steps; see errors",
                       json_pack("{s:o}", "errors", errors), NULL, NULL);
    json_decref(errors);
    /* Each step's route decides who may run it, as if it were called on its own. */
    for (size_t i = 0; i < n; i++) {
        const gw_route_t *sr = r->steps[i].route;
        char why[300];
        if (!gw_auth_method_allowed(r->auth, &r->caller, sr->auth, sr->nauth))
            snprintf(why, sizeof(why), "step %zu: %s %s does not accept callers of method %s", i,
                     sr->method, sr->path, r->caller.method);
        else if (gw_auth_scopes(&r->caller, sr->scopes, sr->nscopes, why, sizeof(why)) != 0)
            snprintf(why + strlen(why), sizeof(why) - strlen(why), " (step %zu)", i);
        else
            continue;
        return problem(r, GW_EFORBIDDEN, why, NULL, NULL, NULL);
    }
    /* one session: every step must log on as the same backend identity */
    const gw_dest_conf_t *d = gw_config_dest(r->h->deps.cfg, r->steps[0].route->destination);
    const char *id0 = call_identity(r, d, r->steps[0].route);
    for (size_t i = 1; i < n; i++) {
        const char *id = call_identity(r, d, r->steps[i].route);
        if ((id == NULL) != (id0 == NULL) || (id && strcmp(id, id0) != 0)) {
            char why[200];
            snprintf(why, sizeof(why),
                     "step %zu logs on to the backend as another identity than step 0 (one "
                     "session, one unit of work)",
                     i);
            return problem(r, GW_EPARAM, why, NULL, NULL, NULL);
        }
    }
    /* Copy the headers the steps bind: later steps are prepared on the loop thread. */
    size_t nh = 0;
    for (size_t i = 0; i < n; i++)
        nh += r->steps[i].route->nbinds;
    r->bhdr_names = gw_arena_calloc(&r->arena, nh + 1, sizeof(char *));
    r->bhdr_values = gw_arena_calloc(&r->arena, nh + 1, sizeof(char *));
    for (size_t i = 0; r->bhdr_names && r->bhdr_values && i < n; i++)
        for (size_t k = 0; k < r->steps[i].route->nbinds; k++) {
            const gw_bind_t *b = &r->steps[i].route->binds[k];
            const char *v = b->source == GW_BIND_HEADER
                                ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, b->name)
                                : NULL;
            if (v) {
                r->bhdr_names[r->nbhdr] = b->name;
                r->bhdr_values[r->nbhdr++] = gw_arena_strndup(&r->arena, v, strlen(v));
            }
        }
    r->pool = pool_of(r->h, r->steps[0].route->destination);
    r->deadline_ms = gw_now_ms() + gw_pool_conf(r->pool)->call_timeout_ms;
    r->bcur = 0;
    return batch_continue(r);
}

static enum MHD_Result openapi_continue(req_t *r);

/* Rows of the tables among the returned parameters: the size of the JSON work ahead. */
static uint64_t result_rows(const gw_rfc_field_t *f, uint32_t n)
{
    uint64_t rows = 0;
    for (uint32_t i = 0; i < n; i++)
        if (f[i].value.type == GW_RFC_TABLE)
            rows += f[i].value.u.tab.count;
    return rows;
}

/* On a work thread: the answer of a large result. */
static void convert_run(gw_work_t *w)
{
    req_t *r = (req_t *)((char *)w - offsetof(req_t, work));
    gw_buf_init(&r->conv, 0);
    r->conv_ret = gw_route_write_result(&r->conv, r->route, r->desc, r->job.result, r->job.nresult,
                                        r->conv_fields);
    resume(r);
}

static enum MHD_Result on_resumed(req_t *r)
{
    if (r->state == ST_PARSED) {
        enum MHD_Result ret;
        r->state = ST_READ;
        if (r->idem_key && idem_begin(r, r->idem_key, &ret))
            return ret;
        return on_parsed(r);
    }
    if (r->state == ST_CONVERTING) {
        if (r->conv_ret != 0) {
            gw_buf_free(&r->conv);
            return problem(r, r->conv_ret, "cannot build the answer", NULL, NULL, NULL);
        }
        return send_buf(r, &r->conv, r->commit_outcome ? "X-Rfmgw-Commit" : NULL,
                        r->commit_outcome);
    }
    r->serialize_us = gw_now_us();
    if (r->state == ST_OPENAPI) {
        if (r->job.err == 0 && r->job.desc)
            r->oa_descs[r->oa_i] = gw_pool_desc_put(r->pool, r->job.desc);
        else
            GW_LOGW("http", "openapi: no metadata for %s: %s", r->route->function, r->job.detail);
        r->oa_i++;
        r->state = ST_READ;
        return openapi_continue(r);
    }
    if (r->state == ST_BATCH)
        return batch_answer(r);
    if (r->state == ST_BATCH_CONVERTING) {
        r->state = ST_READ;
        return batch_continue(r);
    }
    if (r->state == ST_BATCH_WRITING) {
        r->state = ST_BATCH;
        if (r->conv_ret != 0)
            return problem(r, r->conv_ret, "cannot build the answer", NULL, NULL, NULL);
        return batch_answer(r); /* every answer is text now */
    }
    if (r->state == ST_BATCH_DESCRIBING) {
        if (r->job.err)
            return job_problem(r);
        r->steps[r->bcur].desc_ref = gw_pool_desc_put(r->pool, r->job.desc);
        if (r->steps[r->bcur].desc_ref == NULL)
            return problem(r, GW_ENOMEM, "out of memory caching the description", NULL, NULL, NULL);
        r->bcur = 0;
        return batch_continue(r);
    }
    if (r->state == ST_CALLING && r->stream)
        return stream_answer(r);
    if (r->job.err)
        return job_problem(r);
    if (r->state == ST_DESCRIBING) {
        r->desc_ref = gw_pool_desc_put(r->pool, r->job.desc);
        if (r->desc_ref == NULL)
            return problem(r, GW_ENOMEM, "out of memory caching the description", NULL, NULL, NULL);
        r->desc = gw_desc_func(r->desc_ref);
        if (r->describe_only)
            return describe_answer(r);
        return convert_and_call(r);
    }
    gw_buf_t out;
    gw_buf_init(&out, 0);
    const gw_rfc_param_t *ret_p = gw_route_bapi_return(r->desc);
    const gw_rfc_field_t *ret_v =
        ret_p ? gw_rfc_fields_find(r->job.result, r->job.nresult, ret_p->name) : NULL;
    int nerr = ret_v ? gw_route_return_errors(&ret_v->value) : 0;
    if (nerr) {
        gw_route_write_messages(&out, ret_p, &ret_v->value, &r->route->opts);
        json_t *msgs = out.failed ? NULL : json_loadb((const char *)out.data, out.len, 0, NULL);
        gw_buf_free(&out);
        json_t *extra = json_object();
        json_object_set_new(extra, "messages", msgs ? msgs : json_array());
        char d[160];
        snprintf(d, sizeof(d), "%s returned %d error message%s in RETURN%s", r->route->function,
                 nerr, nerr == 1 ? "" : "s",
                 r->commit_outcome && strcmp(r->commit_outcome, "rolled-back") == 0
                     ? "; the unit of work was rolled back"
                     : "");
        return problem_status(r, GW_EBAPI, r->route->bapi_error_status, d, extra,
                              r->commit_outcome ? "X-Rfmgw-Commit" : NULL, r->commit_outcome);
    }
    if (r->h->workers && result_rows(r->job.result, r->job.nresult) >=
                             (uint64_t)r->h->deps.cfg->limits.convert_rows) {
        r->conv_fields = lookup(r, GW_BIND_QUERY, "fields");
        return offload(r, ST_CONVERTING, convert_run);
    }
    int ret = gw_route_write_result(&out, r->route, r->desc, r->job.result, r->job.nresult,
                                    lookup(r, GW_BIND_QUERY, "fields"));
    if (ret != 0) {
        gw_buf_free(&out);
        return problem(r, ret, "cannot build the answer", NULL, NULL, NULL);
    }
    return send_buf(r, &out, r->commit_outcome ? "X-Rfmgw-Commit" : NULL, r->commit_outcome);
}

static int is_json_type(const char *ct)
{
    if (ct == NULL)
        return 0;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return 1;
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
           strncasecmp(ct + n - 5, "+json", 5) == 0;
}

/* ---- /openapi.json ---- */

static const gw_rfc_func_t *oa_desc(void *ctx, const char *destination, const char *function)
{
    req_t *r = ctx;
    for (size_t i = 0; i < r->routes->n; i++)
        if (r->oa_descs[i] && strcmp(r->routes->routes[i].destination, destination) == 0 &&
            strcmp(r->routes->routes[i].function, function) == 0)
            return gw_desc_func(r->oa_descs[i]);
    return NULL;
}

/*
 * Describes every mapped function that is not cached yet (one DESCRIBE at a
 * time; a failure leaves that route with loose schemas), then answers.
 */
static enum MHD_Result openapi_continue(req_t *r)
{
    for (; r->oa_i < r->routes->n; r->oa_i++) {
        const gw_route_t *rt = &r->routes->routes[r->oa_i];
        gw_pool_t *pool = pool_of(r->h, rt->destination);
        r->oa_descs[r->oa_i] = gw_pool_desc_get(pool, gw_slice(rt->function));
        if (r->oa_descs[r->oa_i] == NULL && oa_desc(r, rt->destination, rt->function) == NULL) {
            r->route = rt;
            r->pool = pool;
            r->deadline_ms = gw_now_ms() + gw_pool_conf(pool)->call_timeout_ms;
            submit(r, GW_JOB_DESCRIBE, NULL, 0);
            r->state = ST_OPENAPI;
            return MHD_YES;
        }
    }
    json_t *doc = gw_openapi_build(r->h->deps.cfg, r->routes, oa_desc, r);
    if (doc == NULL)
        return problem(r, GW_ENOMEM, "out of memory building the document", NULL, NULL, NULL);
    return send_json(r, MHD_HTTP_OK, doc, "application/json", NULL, NULL);
}

static enum MHD_Result on_openapi(req_t *r)
{
    r->endpoint = "GET /openapi.json";
    r->oa_descs = gw_arena_calloc(&r->arena, r->routes->n + 1, sizeof(*r->oa_descs));
    if (r->oa_descs == NULL)
        return problem(r, GW_ENOMEM, "out of memory", NULL, NULL, NULL);
    r->oa_i = 0;
    return openapi_continue(r);
}

/* ---- /docs: the API explorer (gateway/explorer) ---- */

static enum MHD_Result on_docs(req_t *r, const char *method, const char *sub)
{
    const gw_config_t *cfg = r->h->deps.cfg;
    r->endpoint = "GET /docs";
    if (!cfg->docs.enabled)
        return problem(r, GW_ENOROUTE, "the API explorer is off (docs.enabled = false)", NULL, NULL,
                       NULL);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return problem(r, GW_EMETHOD, "/docs takes GET", NULL, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (strcmp(sub, "/") == 0) /* relative, so that a path prefix of a reverse proxy stays */
        return respond(r, 308, "text/plain; charset=utf-8", NULL, 0, MHD_HTTP_HEADER_LOCATION,
                       "../docs");
    gw_explorer_item_t it;
    int err = gw_explorer_lookup(cfg->docs.assets, sub, &it);
    if (err == GW_ENOEXPLORER)
        return problem(
            r, err,
            "the API explorer's files (the npm package swagger-ui-dist) are not "
            "installed: run `npm ci --prefix ui` in rfmgw's source tree "
            "(scripts/quickstart.sh does) and set docs.assets to "
            "ui/node_modules/swagger-ui-dist; /openapi.json works without them",
            json_pack("{s:s, s:s}", "setting", "docs.assets", "install", "npm ci --prefix ui"),
            NULL, NULL);
    if (err != 0)
        return problem(r, err, "the API explorer has no such file", NULL, NULL, NULL);
    struct MHD_Response *resp =
        it.fd >= 0 ? MHD_create_response_from_fd(it.len, it.fd)
                   : MHD_create_response_from_buffer(it.len, (void *)(uintptr_t)it.data,
                                                     MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        if (it.fd >= 0)
            close(it.fd);
        return MHD_NO;
    }
    count_request(r, MHD_HTTP_OK, it.len);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, it.content_type);
    common_headers(r, resp, 0);
    MHD_add_response_header(resp, "Content-Security-Policy", GW_EXPLORER_CSP);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            it.cacheable ? "public, max-age=3600" : "no-cache");
    enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
    r->answered = 1;
    MHD_destroy_response(resp);
    return ret;
}

/* ---- /metrics ---- */

/* Prometheus text format: requests and phases (metrics module), pools, build. */
int gw_http_metrics_text(gw_http_t *h, gw_buf_t *out)
{
    const gw_http_deps_t *deps = &h->deps;
    gw_metrics_write(h->metrics, out);
    static const struct {
        const char *name, *help;
    } g[] = {
        {"rfmgw_pool_sessions", "Backend sessions open or opening."},
        {"rfmgw_pool_sessions_in_use", "Backend sessions running a call."},
        {"rfmgw_pool_sessions_idle", "Backend sessions ready for a call."},
        {"rfmgw_pool_waiting", "Requests waiting for a backend session."},
        {"rfmgw_pool_connect_failures", "Consecutive failed connects (0 after a success)."},
        {"rfmgw_pool_breaker_open", "1 while the circuit breaker fails requests fast."},
        {"rfmgw_pool_logon_failed", "1 after a logon failure, until a reload."},
        {"rfmgw_pool_identities", "Pools of further backend identities (configured and "
                                  "pass-through callers)."},
        {"rfmgw_pool_passthrough_identities", "Pools of pass-through callers."},
        {"rfmgw_pool_sessions_all_identities", "Backend sessions of all identities together "
                                               "(against pool.total_max)."},
    };
    gw_pool_status_t *st = calloc(deps->cfg->ndests + 1, sizeof(*st));
    for (size_t i = 0; st && i < deps->cfg->ndests; i++)
        gw_pool_status(deps->pools[i], &st[i]);
    for (size_t k = 0; st && k < GW_ARRAY_SIZE(g); k++) {
        gw_buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", g[k].name, g[k].help, g[k].name);
        for (size_t i = 0; i < deps->cfg->ndests; i++) {
            int v[] = {st[i].sessions,
                       st[i].in_use,
                       st[i].idle,
                       st[i].waiting,
                       st[i].failures,
                       strcmp(st[i].state, "breaker_open") == 0,
                       strcmp(st[i].state, "logon_failed") == 0,
                       st[i].identities,
                       st[i].passthrough,
                       st[i].group_sessions};
            gw_buf_printf(out, "%s{destination=\"%s\"} %d\n", g[k].name, deps->cfg->dests[i].name,
                          v[k]);
        }
    }
    gw_buf_printf(out, "# HELP rfmgw_pool_connect_failures_total Failed connects (TCP, TLS, "
                       "upgrade; not logons) since the start.\n"
                       "# TYPE rfmgw_pool_connect_failures_total counter\n");
    for (size_t i = 0; st && i < deps->cfg->ndests; i++)
        gw_buf_printf(out, "rfmgw_pool_connect_failures_total{destination=\"%s\"} %llu\n",
                      deps->cfg->dests[i].name, (unsigned long long)st[i].failures_total);
    gw_buf_printf(out,
                  "# HELP rfmgw_build_info rfmgw's version.\n# TYPE rfmgw_build_info gauge\n"
                  "rfmgw_build_info{version=\"%s\",protocol=\"%s\"} 1\n",
                  RFMGW_VERSION, GW_WIRE_SUBPROTOCOL);
    int failed = st == NULL || out->failed;
    free(st);
    return failed ? GW_ENOMEM : 0;
}

static enum MHD_Result on_metrics(req_t *r)
{
    r->endpoint = "GET /metrics";
    if (r->h->deps.cfg->admin.metrics)
        return problem_status(r, GW_ENOROUTE, MHD_HTTP_NOT_FOUND,
                              "/metrics is served on the admin listener (admin.metrics)", NULL,
                              NULL, NULL);
    gw_buf_t out;
    gw_buf_init(&out, 0);
    if (gw_http_metrics_text(r->h, &out) != 0) {
        gw_buf_free(&out);
        return problem(r, GW_ENOMEM, "out of memory", NULL, NULL, NULL);
    }
    char *data = (char *)out.data;
    return respond(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", data, out.len, NULL,
                   NULL);
}

/* ---- /readyz ---- */

static void probe_done(gw_job_t *job)
{
    probe_t *pr = job->user;
    req_t *r = pr->r;
    if (atomic_fetch_sub(&r->probes_pending, 1) == 1) {
        gw_http_t *h = r->h;
        atomic_fetch_sub(&h->waiting, 1);
        MHD_resume_connection(r->conn);
        kick(h);
    }
}

static enum MHD_Result ready_answer(req_t *r)
{
    const gw_http_deps_t *deps = &r->h->deps;
    json_t *dests = json_object();
    int ready = 1;
    for (size_t i = 0; i < r->nprobes; i++)
        if (r->probes[i].pool)
            gw_pool_probe_note(r->probes[i].pool, r->probes[i].job.err == 0,
                               r->probes[i].job.err ? r->probes[i].job.detail : NULL);
    for (size_t i = 0; i < deps->cfg->ndests; i++) {
        gw_pool_status_t st;
        gw_pool_status(deps->pools[i], &st);
        int ok = strcmp(st.state, "logon_failed") != 0 && strcmp(st.state, "breaker_open") != 0 &&
                 st.probe_known && st.probe_ok;
        json_t *d = json_pack("{s:b, s:s, s:i, s:i, s:i}", "ready", ok, "state", st.state,
                              "sessions", st.sessions, "inUse", st.in_use, "waiting", st.waiting);
        if (!ok) {
            const char *why = st.probe_known && !st.probe_ok && st.probe_error[0] ? st.probe_error
                                                                                  : st.last_error;
            json_object_set_new(d, "error", json_string(why[0] ? why : st.state));
        }
        json_object_set_new(dests, deps->cfg->dests[i].name, d);
        ready &= ok;
    }
    json_t *o =
        json_pack("{s:s, s:o}", "status", ready ? "ready" : "not ready", "destinations", dests);
    return send_json(r, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, o, "application/json",
                     ready ? NULL : MHD_HTTP_HEADER_RETRY_AFTER, ready ? NULL : "1");
}

/*
 * Readiness: each destination must answer RFC_PING within ready_timeout_ms.
 * Results are reused for ready_cache_ms; a destination whose logon failed
 * or whose breaker is open is not probed at all (a probe must never cause
 * another failed logon).
 */
static enum MHD_Result on_readyz(req_t *r)
{
    const gw_http_deps_t *deps = &r->h->deps;
    size_t n = deps->cfg->ndests;
    int64_t now = gw_now_ms();
    r->probes = gw_arena_calloc(&r->arena, n ? n : 1, sizeof(*r->probes));
    if (r->probes == NULL)
        return problem(r, GW_ENOMEM, "out of memory", NULL, NULL, NULL);
    r->nprobes = n;
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        gw_pool_status_t st;
        gw_pool_status(deps->pools[i], &st);
        const gw_dest_conf_t *d = &deps->cfg->dests[i];
        if (strcmp(st.state, "logon_failed") == 0 || strcmp(st.state, "breaker_open") == 0)
            continue;
        if (st.probe_known && now - st.probe_at_ms < d->pool.ready_cache_ms)
            continue;
        probe_t *pr = &r->probes[i];
        pr->pool = deps->pools[i];
        pr->r = r;
        pr->job.kind = GW_JOB_CALL;
        pr->job.function = GW_SLICE_LIT("RFC_PING");
        pr->job.deadline_ms = now + d->pool.ready_timeout_ms;
        pr->job.arena = &r->arena;
        pr->job.done = probe_done;
        pr->job.user = pr;
        need++;
    }
    if (need == 0)
        return ready_answer(r);
    r->state = ST_PROBING;
    atomic_init(&r->probes_pending, (int)need);
    atomic_fetch_add(&r->h->waiting, 1);
    MHD_suspend_connection(r->conn);
    for (size_t i = 0; i < n; i++)
        if (r->probes[i].pool)
            gw_pool_submit(r->probes[i].pool, &r->probes[i].job);
    return MHD_YES;
}

/*
 * POST /api/v1/rfc/{FUNCTION}: the generic endpoint, for allowlisted
 * functions only. Builds a one-off route; returns 1 to go on with it, or 0
 * with the answer already queued in `*ret`.
 */
static int generic_route(req_t *r, const char *method, const char *name, enum MHD_Result *ret)
{
    const gw_config_t *cfg = r->h->deps.cfg;
    size_t n = strlen(name);
    int valid = n > 0 && n <= 30 && strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/") == n;
    if (!cfg->rfc_endpoint.enabled || !valid || !gw_config_rfc_allowed(cfg, name)) {
        char d[160];
        snprintf(d, sizeof(d), "%s",
                 !cfg->rfc_endpoint.enabled ? "the generic RFC endpoint is not enabled"
                                            : "this function is not in rfc_endpoint.allow");
        *ret = problem(r, GW_ENOROUTE, d, NULL, NULL, NULL);
        return 0;
    }
    if (strcmp(method, "POST") != 0) {
        *ret = problem(r, GW_EMETHOD, "the generic RFC endpoint takes POST", NULL,
                       MHD_HTTP_HEADER_ALLOW, "POST");
        return 0;
    }
    gw_route_t *rt = gw_arena_calloc(&r->arena, 1, sizeof(*rt));
    if (rt == NULL) {
        *ret = problem(r, GW_ENOMEM, "out of memory", NULL, NULL, NULL);
        return 0;
    }
    rt->method = "POST";
    rt->path = (char *)(uintptr_t)r->url;
    rt->destination = cfg->rfc_endpoint.destination;
    rt->function = gw_arena_strndup(&r->arena, name, n);
    rt->body = GW_ROUTE_BODY_PARAMS;
    rt->opts = gw_route_codec_opts(&cfg->types);
    rt->bapi_error_status = 422;
    rt->status = cfg->status;
    r->route = rt;
    r->generic = 1;
    return 1;
}

/*
 * A CORS preflight: answered here, before authentication (browsers send
 * preflights without credentials) and without any backend work.
 */
static enum MHD_Result preflight(req_t *r)
{
    const gw_cors_conf_t *c = &r->h->deps.cfg->cors;
    const char *origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
    r->endpoint = "OPTIONS (CORS preflight)";
    if (!gw_cors_allowed(c, origin))
        return problem(r, GW_EFORBIDDEN, "this Origin is not in cors.origins", NULL, NULL, NULL);
    count_request(r, MHD_HTTP_NO_CONTENT, 0);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)(uintptr_t) "", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    gw_cors_headers(c, origin, 1, 1, add_header, resp);
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_NO_CONTENT, resp);
    r->answered = 1;
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_new(req_t *r, const char *method, const char *url)
{
    gw_http_t *h = r->h;
    const gw_callers_conf_t *cc = &h->deps.cfg->callers;
    enum MHD_Result denied;
    if (strcmp(method, "OPTIONS") == 0 && h->deps.cfg->cors.enabled &&
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Access-Control-Request-Method"))
        return preflight(r);
    if (strcmp(url, "/healthz") == 0 && strcmp(method, "GET") == 0) {
        static const char ok[] = "{\"status\":\"ok\"}"; /* a constant: no JSON tree per probe */
        r->endpoint = "GET /healthz";
        return respond(r, MHD_HTTP_OK, "application/json", strdup(ok), sizeof(ok) - 1, NULL, NULL);
    }
    if (strcmp(url, "/readyz") == 0 && strcmp(method, "GET") == 0) {
        r->endpoint = "GET /readyz";
        return on_readyz(r);
    }
    int metrics = strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0;
    int docs = (strcmp(url, "/openapi.json") == 0 && strcmp(method, "GET") == 0) ||
               (strncmp(url, "/docs", 5) == 0 && (url[5] == '\0' || url[5] == '/'));
    int route_decides = !metrics && !docs && strcmp(url, "/api/v1/batch") != 0 &&
                        strncmp(url, "/api/v1/rfc/", 12) != 0;
    /* everything but mapped routes (which name their own methods) takes callers.default */
    if (!(metrics && cc->public_metrics) && !(docs && cc->public_openapi) && !route_decides &&
        gate(r, NULL, 0, strncmp(url, "/api/v1/rfc/", 12) == 0 ? cc->rfc_scopes : NULL,
             strncmp(url, "/api/v1/rfc/", 12) == 0 ? cc->nrfc_scopes : 0, &denied))
        return denied;
    if (metrics)
        return on_metrics(r);
    if (strcmp(url, "/openapi.json") == 0 && strcmp(method, "GET") == 0)
        return on_openapi(r);
    if (strncmp(url, "/docs", 5) == 0 && (url[5] == '\0' || url[5] == '/'))
        return on_docs(r, method, url + 5);
    if (strncmp(url, "/api/v1/functions/", 18) == 0 && strcmp(method, "GET") == 0 && url[18] &&
        !strchr(url + 18, '/'))
        return on_functions(r, url + 18);
    int known = 0;
    char allow[64];
    if (strcmp(url, "/api/v1/batch") == 0) {
        if (strcmp(method, "POST") != 0)
            return problem(r, GW_EMETHOD, "the batch endpoint takes POST", NULL,
                           MHD_HTTP_HEADER_ALLOW, "POST");
        const char *ct =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!is_json_type(ct))
            return problem(r, GW_EMEDIA, "the batch body must be application/json", NULL, NULL,
                           NULL);
        r->batch = 1;
        r->json_declared = 1;
        return MHD_YES;
    }
    if (strncmp(url, "/api/v1/rfc/", 12) == 0) {
        enum MHD_Result ret;
        if (!generic_route(r, method, url + 12, &ret))
            return ret;
    } else {
        r->route = gw_route_match(r->routes, gw_slice(method), gw_slice(url), &r->caps, &known,
                                  allow, sizeof(allow));
    }
    if (r->route == NULL && route_decides && gate(r, NULL, 0, NULL, 0, &denied))
        return denied; /* no route to decide: strangers learn nothing about the paths */
    if (r->route == NULL) {
        if (known) {
            char d[128];
            snprintf(d, sizeof(d), "%s is not allowed here; use %s", method, allow);
            return problem(r, GW_EMETHOD, d, NULL, MHD_HTTP_HEADER_ALLOW, allow);
        }
        return problem(r, GW_ENOROUTE, "no route matches this path", NULL, NULL, NULL);
    }
    if (route_decides &&
        gate(r, r->route->auth, r->route->nauth, r->route->scopes, r->route->nscopes, &denied))
        return denied;
    r->pool = pool_of(h, r->route->destination);
    r->deadline_ms = gw_now_ms() + (r->route->timeout_ms ? r->route->timeout_ms
                                                         : gw_pool_conf(r->pool)->call_timeout_ms);

    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Transfer-Encoding");
    int has_body = (cl && strcmp(cl, "0") != 0) || te;
    r->json_declared = is_json_type(
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE));
    if (has_body) {
        if (r->route->body == GW_ROUTE_BODY_NONE)
            return problem(r, GW_EMEDIA, "this route takes no request body", NULL, NULL, NULL);
        const char *ct =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!is_json_type(ct)) {
            char dd[160];
            snprintf(dd, sizeof(dd), "the body must be application/json, not %.100s",
                     ct ? ct : "(no Content-Type)");
            return problem(r, GW_EMEDIA, dd, NULL, NULL, NULL);
        }
        if (cl && strtoull(cl, NULL, 10) > (unsigned long long)h->deps.cfg->listen.max_body) {
            char dd[96];
            snprintf(dd, sizeof(dd), "the request body exceeds listen.max_body (%d bytes)",
                     h->deps.cfg->listen.max_body);
            return problem(r, GW_ETOOBIG, dd, NULL, NULL, NULL);
        }
    }
    return MHD_YES;
}

/* 1 when `s` is `len` lower-case hex digits, not all zero. */
static int hex_ok(const char *s, size_t len)
{
    int nonzero = 0;
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
        nonzero |= s[i] != '0';
    }
    return nonzero;
}

/*
 * X-Request-Id: the caller's when it is 1–64 characters of [A-Za-z0-9._-],
 * otherwise 16 random hex digits. traceparent (W3C Trace Context, version
 * 00) is passed to the backend as the call's trace context when well formed.
 */
static void request_ids(req_t *r)
{
    const char *id = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Request-Id");
    size_t n = id ? strlen(id) : 0;
    if (n >= 1 && n <= 64 &&
        strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n) {
        memcpy(r->request_id, id, n + 1);
    } else {
        static _Thread_local uint64_t x;
        if (x == 0)
            x = (uint64_t)gw_now_ms() ^ ((uint64_t)(uintptr_t)r << 16) ^ 0x9e3779b97f4a7c15ULL;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        snprintf(r->request_id, sizeof(r->request_id), "%016llx", (unsigned long long)x);
    }
    const char *tp = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "traceparent");
    if (tp && strlen(tp) == 55 && tp[0] == '0' && tp[1] == '0' && tp[2] == '-' && tp[35] == '-' &&
        tp[52] == '-' && hex_ok(tp + 3, 32) && hex_ok(tp + 36, 16))
        memcpy(r->traceparent, tp, 56);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    gw_http_t *h = cls;
    req_t *r = *con_cls;
    (void)version;
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL)
            return MHD_NO;
        gw_arena_init(&r->arena, 0);
        gw_buf_init(&r->body, (size_t)h->deps.cfg->listen.max_body);
        atomic_fetch_add(&h->active, 1);
        r->h = h;
        r->conn = conn;
        r->url = gw_arena_strndup(&r->arena, url, strlen(url));
        r->method = gw_arena_strndup(&r->arena, method, strlen(method));
        request_ids(r);
        r->t0_us = gw_now_us();
        pthread_mutex_lock(&h->routes_lock);
        r->routes = gw_route_table_ref(h->routes);
        r->auth = gw_auth_ref(h->auth);
        pthread_mutex_unlock(&h->routes_lock);
        *con_cls = r;
        /*
         * Without a body, answer in the next call: answering in this first one
         * makes libmicrohttpd close the connection. With a body, look now, so
         * that a refusal (404, 405, 413, 415) comes before the body is sent.
         */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
        if ((cl == NULL || strcmp(cl, "0") == 0) && te == NULL)
            return MHD_YES;
        r->started = 1;
        r->body_expected = 1;
        return on_new(r, method, url);
    }
    if (!r->started || r->state == ST_AUTHED) {
        /*
         * ST_AUTHED: the password was checked on a work thread, look at the
         * request again. A request with a body was suspended in its first call,
         * and this is that first call again (libmicrohttpd repeats it): the body
         * follows.
         */
        int again = r->state == ST_AUTHED;
        r->started = 1;
        r->state = ST_READ;
        enum MHD_Result ret = on_new(r, method, url);
        if (r->answered || r->state != ST_READ || ret != MHD_YES || (again && r->body_expected)) {
            *upload_data_size = 0;
            return ret;
        }
    }
    if (*upload_data_size) {
        r->bytes_in += *upload_data_size;
        if (!r->too_large && gw_buf_append(&r->body, upload_data, *upload_data_size) != 0) {
            r->too_large = 1;
            gw_buf_free(&r->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->state == ST_READ)
        return on_body_complete(r);
    if (r->state == ST_PROBING)
        return ready_answer(r);
    return on_resumed(r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    req_t *r = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (r == NULL)
        return;
    *con_cls = NULL;
    if (r->stream) {
        gw_stream_cancel(r->stream); /* a call still running stops at its next part */
        if (atomic_load(&r->holds) > 0 && atomic_fetch_sub(&r->holds, 1) != 1)
            return; /* the call frees the request when it ends */
    }
    req_free(r);
}

/* Frees a request: after libmicrohttpd is done with it and no call runs for it. */
static void req_free(req_t *r)
{
    if (r->caller.basic_password) /* a caller's password, kept for pass-through */
        explicit_bzero((char *)(uintptr_t)r->caller.basic_password,
                       strlen(r->caller.basic_password));
    if (r->stream_answered) /* the stream and its call are over: duration and size are known */
        count_request(r, MHD_HTTP_OK, (size_t)gw_stream_bytes(r->stream));
    gw_stream_release(r->stream);
    if (r->idem_ticket) {
        if (r->called && r->job.dispatched_us)
            gw_idem_finish_unknown(r->h->idem, r->idem_ticket);
        else
            gw_idem_abandon(r->h->idem, r->idem_ticket);
    }
    for (size_t i = 0; r->oa_descs && i < r->routes->n; i++)
        gw_desc_release(r->oa_descs[i]);
    for (size_t i = 0; r->steps && i < r->nsteps; i++) {
        gw_desc_release(r->steps[i].desc_ref);
        gw_buf_free(&r->steps[i].answer);
    }
    gw_desc_release(r->desc_ref);
    gw_route_table_free(r->routes);
    gw_auth_free(r->auth);
    gw_buf_free(&r->body);
    gw_http_t *h = r->h;
    gw_arena_free(&r->arena);
    free(r);
    atomic_fetch_sub(&h->active, 1);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = '\0';
    GW_LOGD("mhd", "%s", line);
}

/* ---- listen.threads = 0: HTTP on the transport loop ---- */

static void mhd_service(void *ud);

#define MHD_RUNS_PER_SERVICE 32 /* more runs of libmicrohttpd while it has work at once */

static void mhd_timeout(gw_timer_t *tm)
{
    mhd_service((char *)tm - offsetof(gw_http_t, mhd_tm));
}

/* Loop thread: libmicrohttpd's descriptor is readable, or a timeout is due. */
static void mhd_service(void *ud)
{
    gw_http_t *h = ud;
    MHD_run(h->d);
    /*
     * A timeout of 0 means a connection has more to do at once — typically the
     * next piece of a request body already in the socket (libmicrohttpd reads
     * one buffer, a few KiB, per connection and run). Go on here instead of
     * through another poll round of the loop for every piece; bounded, so the
     * backend sockets are served between the pieces of a large body.
     */
    MHD_UNSIGNED_LONG_LONG ms;
    for (int i = 0; i < MHD_RUNS_PER_SERVICE && MHD_get_timeout(h->d, &ms) == MHD_YES && ms == 0;
         i++)
        MHD_run(h->d);
    if (MHD_get_timeout(h->d, &ms) == MHD_YES)
        gw_timer_start(h->deps.transport, &h->mhd_tm, (int64_t)ms, mhd_timeout);
    else
        gw_timer_stop(&h->mhd_tm);
}

/* Runs fn(h) on the loop thread and waits for it. */
static void on_loop(gw_http_t *h, void (*fn)(void *h))
{
    gw_transport_run(h->deps.transport, fn, h);
}

static void kick_run(gw_task_t *task)
{
    gw_http_t *h = (gw_http_t *)((char *)task - offsetof(gw_http_t, kick_task));
    atomic_store(&h->kick_pending, 0);
    if (h->watch)
        mhd_service(h);
}

/*
 * After a resume (any thread): without a thread of its own, libmicrohttpd
 * takes a resumed connection back only in its next MHD_run(), and its
 * inter-thread channel does not wake the loop — so run it on the loop soon
 * (from the loop itself: right after the current service round, no poll).
 */
static void kick(void *ud)
{
    gw_http_t *h = ud;
    if (h->deps.cfg->listen.threads != 0)
        return;
    if (atomic_exchange(&h->kick_pending, 1) == 0) {
        h->kick_task.fn = kick_run;
        gw_transport_post(h->deps.transport, &h->kick_task);
    }
}

static void loop_attach(void *ud)
{
    gw_http_t *h = ud;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    h->watch = info ? gw_transport_watch(h->deps.transport, info->epoll_fd, mhd_service, h) : NULL;
    if (h->watch)
        mhd_service(h); /* whatever is already pending, and the first timeout */
}

static void loop_detach(void *ud)
{
    gw_http_t *h = ud;
    gw_transport_unwatch(h->watch);
    h->watch = NULL;
    gw_timer_stop(&h->mhd_tm);
}

static void loop_quiesce(void *ud)
{
    gw_http_t *h = ud;
    MHD_socket s = MHD_quiesce_daemon(h->d);
    (void)s; /* libmicrohttpd keeps the socket and closes it on stop */
}

gw_http_t *gw_http_start(const gw_http_deps_t *deps, int *port)
{
    const gw_config_t *cfg = deps->cfg;
    gw_http_t *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->deps = *deps;
    pthread_mutex_init(&h->routes_lock, NULL);
    h->routes = gw_route_table_ref(deps->routes);
    h->auth = gw_auth_ref(deps->auth);
    h->metrics = gw_metrics_create();
    if (cfg->listen.convert_threads > 0 &&
        (h->workers = gw_workers_start(cfg->listen.convert_threads, 5)) == NULL) {
        gw_http_stop(h);
        return NULL;
    }
    if (cfg->idempotency.max_entries > 0) {
        gw_idem_limits_t lim = {(size_t)cfg->idempotency.max_entries,
                                (size_t)cfg->idempotency.max_bytes,
                                (int64_t)cfg->idempotency.retention_s * 1000,
                                (size_t)cfg->idempotency.max_response,
                                NULL,
                                NULL};
        h->idem = gw_idem_create(&lim);
    }
    const gw_ratelimit_conf_t *rc = &cfg->rate_limit;
    if (rc->caller_rate > 0)
        h->rl_caller =
            gw_ratelimit_create(rc->caller_rate, rc->caller_burst, (size_t)rc->max_callers);
    if (rc->route_rate > 0)
        h->rl_route = gw_ratelimit_create(rc->route_rate, rc->route_burst, 4096);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    int on_the_loop = cfg->listen.threads == 0;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (on_the_loop ? 0 : MHD_USE_INTERNAL_POLLING_THREAD);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cfg->listen.address, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)cfg->listen.port);
    } else if (inet_pton(AF_INET6, cfg->listen.address, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)cfg->listen.port);
        flags |= MHD_USE_IPv6;
    } else {
        GW_LOGE("http", "listen.address '%s' is not an IPv4 or IPv6 address", cfg->listen.address);
        gw_http_stop(h);
        return NULL;
    }
    /* HTTPS (optional): TLS 1.2 and 1.3 only */
    struct MHD_OptionItem tls[] = {{MHD_OPTION_END, 0, NULL},
                                   {MHD_OPTION_END, 0, NULL},
                                   {MHD_OPTION_END, 0, NULL},
                                   {MHD_OPTION_END, 0, NULL}};
    if (cfg->listen.tls_cert) {
        /* through the certificate callback, so that SIGHUP can replace the pair */
        char why[300];
        gw_fronttls_pair_t *pair =
            gw_fronttls_load(cfg->listen.tls_cert, cfg->listen.tls_key, why, sizeof(why));
        if (pair == NULL) {
            GW_LOGE("http", "%s", why);
        } else {
            gw_fronttls_install(pair);
            flags |= MHD_USE_TLS;
        }
        h->tls = 1;
        tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0, gw_fronttls_callback()};
        tls[1] = (struct MHD_OptionItem){
            MHD_OPTION_HTTPS_PRIORITIES, 0,
            (void *)(uintptr_t) "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
    }
    h->d =
        (flags & MHD_USE_TLS) || cfg->listen.tls_cert == NULL
            ? MHD_start_daemon(
                  flags, (uint16_t)cfg->listen.port, NULL, NULL, handler, h,
                  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_SOCK_ADDR, &ss,
                  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(on_the_loop ? 1 : cfg->listen.threads),
                  MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->listen.connection_limit,
                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->listen.connection_memory,
                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->listen.timeout_s,
                  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->listen.per_ip_connection_limit,
                  MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_ARRAY, tls, MHD_OPTION_END)
            : NULL;
    if (h->d == NULL) {
        GW_LOGE("http", "cannot listen on %s:%d (address in use or not permitted?)",
                cfg->listen.address, cfg->listen.port);
        gw_http_stop(h);
        return NULL;
    }
    if (on_the_loop) {
        on_loop(h, loop_attach);
        if (h->watch == NULL) {
            GW_LOGE("http", "cannot run the HTTP listener on the loop thread (listen.threads = 0)");
            gw_http_stop(h);
            return NULL;
        }
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : cfg->listen.port;
    return h;
}

gw_metrics_t *gw_http_metrics(gw_http_t *h)
{
    return h->metrics;
}

void gw_http_quiesce(gw_http_t *h)
{
    if (h->watch)
        on_loop(h, loop_quiesce); /* libmicrohttpd runs there */
    else
        loop_quiesce(h);
}

int gw_http_waiting(gw_http_t *h)
{
    return atomic_load(&h->waiting);
}

int gw_http_active(gw_http_t *h)
{
    return atomic_load(&h->active);
}

void gw_http_begin_stop(gw_http_t *h)
{
    atomic_store(&h->stopping, 1);
}

void gw_http_set_auth(gw_http_t *h, gw_auth_t *a)
{
    pthread_mutex_lock(&h->routes_lock);
    gw_auth_t *old = h->auth;
    h->auth = a;
    pthread_mutex_unlock(&h->routes_lock);
    gw_auth_free(old);
}

void gw_http_set_routes(gw_http_t *h, gw_route_table_t *t)
{
    pthread_mutex_lock(&h->routes_lock);
    gw_route_table_t *old = h->routes;
    h->routes = t;
    pthread_mutex_unlock(&h->routes_lock);
    gw_route_table_free(old);
}

void gw_http_stop(gw_http_t *h)
{
    if (h == NULL)
        return;
    if (h->watch)
        on_loop(h, loop_detach); /* the loop runs libmicrohttpd no more */
    if (h->d)                    /* NULL when gw_http_start failed */
        MHD_stop_daemon(h->d);
    gw_workers_stop(h->workers);
    if (h->deps.transport && h->deps.cfg->listen.threads == 0)
        on_loop(h, loop_detach); /* and a kick queued by the last resumes has run */
    gw_idem_destroy(h->idem);
    gw_ratelimit_destroy(h->rl_caller);
    gw_ratelimit_destroy(h->rl_route);
    gw_metrics_destroy(h->metrics);
    gw_route_table_free(h->routes);
    gw_auth_free(h->auth);
    if (h->tls)
        gw_fronttls_clear();
    pthread_mutex_destroy(&h->routes_lock);
    free(h);
}
