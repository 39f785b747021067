/*
 * native backend: one session = one WebSocket connection = one ABAP user
 * session.
 *
 * States: CONNECTING (TCP, TLS, upgrade) → LOGON (waiting for the server's
 * first message: OPEN or ERROR/LOGON_FAILURE) → READY ⇄ BUSY → gone. The
 * connect + logon phase is bounded by connect_timeout_ms. Every reply must
 * carry the seq of the outstanding request; anything else drops the
 * connection, so a late or stray reply can never reach the wrong caller.
 */
#include "backend/native.h"
#include "error/error.h"
#include "log/log.h"
#include "tlsid/tlsid.h"
#include "wire/wire.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    gw_transport_t *t;
    gw_endpoint_t *ep;
    const gw_dest_conf_t *d;
    gw_wire_limits_t limits;
} native_t;

enum { S_CONNECTING, S_LOGON, S_READY, S_BUSY, S_DEAD };

struct gw_bsession {
    native_t *n;
    gw_tconn_t *c;
    gw_bsession_cbs_t cbs;
    void *ud;
    int state;
    uint32_t seq;
    gw_job_t *job;
    gw_timer_t connect_tm;
    char user[64], client[8], sid[16];
    gw_buf_t out;
    /* the RESULT parts of the running call so far (merged when the last arrives) */
    gw_wire_result_t *parts;
    size_t nparts, cap;
    size_t result_bytes;
    /* streaming: reading paused for the receiver (gw_job_t.on_part) */
    int paused;
    gw_timer_t flow_tm;
};

#define FLOW_POLL_MS 5 /* how often a paused stream asks its receiver whether to go on */

/* "Basic base64(user:secret)" into `out`; the plain text is wiped. */
static int basic_auth(char *out, size_t size, const char *user, const char *secret)
{
    char plain[600];
    int len = snprintf(plain, sizeof(plain), "%s:%s", user, secret);
    int ret = GW_EINVAL;
    if (len > 0 && (size_t)len < sizeof(plain) && 6 + 4 * ((size_t)len + 2) / 3 + 1 <= size) {
        memcpy(out, "Basic ", 6);
        EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, len);
        ret = 0;
    }
    explicit_bzero(plain, sizeof(plain));
    return ret;
}

static void *native_create(gw_transport_t *t, const gw_dest_conf_t *d)
{
    native_t *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->t = t;
    n->d = d;
    n->limits = gw_wire_limits_default();
    n->limits.max_message = (uint32_t)d->max_message;

    gw_header_t hdrs[4];
    size_t nh = 0;
    char auth[1024] = "";
    if (strcmp(d->auth.method, "password") == 0 && d->auth.secret) {
        if (basic_auth(auth, sizeof(auth), d->auth.user, d->auth.secret) == 0)
            hdrs[nh++] = (gw_header_t){"authorization:", auth};
        if (d->auth.alias_user)
            hdrs[nh++] = (gw_header_t){GW_WIRE_HDR_ALIAS ":", "1"};
    }
    if (d->client && strcmp(d->client, "by_hostname") != 0)
        hdrs[nh++] = (gw_header_t){GW_WIRE_HDR_CLIENT ":", d->client};
    if (d->language)
        hdrs[nh++] = (gw_header_t){GW_WIRE_HDR_LANGUAGE ":", d->language};

    gw_endpoint_conf_t ec = {
        .name = d->name,
        .host = d->host,
        .port = d->port,
        .address = d->address,
        .path = d->path,
        .subprotocol = GW_WIRE_SUBPROTOCOL,
        .ca_file = d->tls.ca_file,
        .verify = d->tls.verify,
        .pins = (const uint8_t(*)[32])d->tls.pins,
        .npins = d->tls.npins,
        .cert = strcmp(d->auth.method, "certificate") == 0 ? d->auth.cert : NULL,
        .key = strcmp(d->auth.method, "certificate") == 0 ? d->auth.key : NULL,
        .nheaders = nh,
        .headers = hdrs,
        .max_message = (size_t)d->max_message,
    };
    gw_tlsid_t id = {0};
    char why[300];
    if (strcmp(d->auth.method, "certificate") == 0 && d->auth.pkcs12) {
        if (gw_tlsid_pkcs12(d->auth.pkcs12, d->auth.pkcs12_secret, &id, why, sizeof(why)) != 0) {
            GW_LOGE("native", "destination %s: auth.pkcs12: %s", d->name, why);
            explicit_bzero(auth, sizeof(auth));
            free(n);
            return NULL;
        }
        ec.identity = &id;
    }
    n->ep = gw_transport_endpoint_add(t, &ec);
    gw_tlsid_free(&id);
    explicit_bzero(auth, sizeof(auth));
    if (n->ep == NULL) {
        free(n);
        return NULL;
    }
    return n;
}

static gw_tls_update_t *native_tls_prepare(void *b, const gw_dest_conf_t *d, char *why,
                                           size_t whysize, int *failed)
{
    (void)b;
    int cert = strcmp(d->auth.method, "certificate") == 0;
    gw_tlsid_t id = {0};
    if (cert && d->auth.pkcs12 &&
        gw_tlsid_pkcs12(d->auth.pkcs12, d->auth.pkcs12_secret, &id, why, whysize) != 0) {
        *failed = 1;
        return NULL;
    }
    gw_endpoint_conf_t ec = {
        .name = d->name,
        .ca_file = d->tls.ca_file,
        .pins = (const uint8_t(*)[32])d->tls.pins,
        .npins = d->tls.npins,
        .identity = id.cert ? &id : NULL,
        .cert = cert && !d->auth.pkcs12 ? d->auth.cert : NULL,
        .key = cert && !d->auth.pkcs12 ? d->auth.key : NULL,
    };
    gw_tls_update_t *u = gw_transport_tls_prepare(&ec, why, whysize);
    gw_tlsid_free(&id);
    *failed = u == NULL;
    return u;
}

static void native_tls_apply(void *b, gw_tls_update_t *u)
{
    native_t *n = b;
    gw_transport_endpoint_retls(n->ep, u);
}

static void native_destroy(void *b)
{
    free(b);
}

static void session_free(gw_bsession_t *s)
{
    gw_timer_stop(&s->connect_tm);
    gw_timer_stop(&s->flow_tm);
    gw_buf_free(&s->out);
    free(s->parts);
    free(s);
}

/* The session failed: tell the pool once, then free it. */
static void session_die(gw_bsession_t *s, int err, const char *reason, const gw_rfc_error_t *rfc)
{
    if (s->state == S_DEAD)
        return;
    s->state = S_DEAD;
    gw_timer_stop(&s->connect_tm);
    if (s->c) {
        gw_tconn_t *c = s->c;
        s->c = NULL;
        gw_transport_close(c, err, reason);
    }
    if (s->cbs.on_dead)
        s->cbs.on_dead(s, s->ud, err, reason, rfc);
    session_free(s);
}

static void connect_timeout(gw_timer_t *tm)
{
    gw_bsession_t *s = (gw_bsession_t *)((char *)tm - offsetof(gw_bsession_t, connect_tm));
    char why[128];
    snprintf(why, sizeof(why), "%s within connect_timeout_ms (%d ms)",
             s->state == S_CONNECTING ? "no connection" : "no logon answer",
             s->n->d->connect_timeout_ms);
    session_die(s, GW_EUNREACHABLE, why, NULL);
}

static void on_open(gw_tconn_t *c, void *ud)
{
    gw_bsession_t *s = ud;
    (void)c;
    s->state = S_LOGON;
}

static void copy_slice(char *dst, size_t size, gw_slice_t s)
{
    size_t n = s.len < size - 1 ? s.len : size - 1;
    memcpy(dst, s.ptr, n);
    dst[n] = '\0';
}

static gw_slice_t arena_slice(gw_arena_t *a, gw_slice_t s)
{
    char *p = gw_arena_strndup(a, s.ptr, s.len);
    return p ? (gw_slice_t){p, s.len} : (gw_slice_t){"", 0};
}

static void copy_rfc_error(gw_arena_t *a, gw_rfc_error_t *dst, const gw_rfc_error_t *src)
{
    dst->group = src->group;
    dst->key = arena_slice(a, src->key);
    dst->message = arena_slice(a, src->message);
    dst->msg_class = arena_slice(a, src->msg_class);
    dst->msg_type = arena_slice(a, src->msg_type);
    dst->msg_number = arena_slice(a, src->msg_number);
    for (int i = 0; i < 4; i++)
        dst->msg_v[i] = arena_slice(a, src->msg_v[i]);
}

static void on_logon_message(gw_bsession_t *s, const uint8_t *p, size_t len)
{
    gw_arena_t tmp;
    gw_wire_msg_t m;
    const char *why = NULL;
    gw_arena_init(&tmp, 0);
    int ret = gw_wire_decode(&tmp, p, len, &s->n->limits, &m, &why);
    if (ret != 0) {
        char r[160];
        snprintf(r, sizeof(r), "invalid logon answer from the backend: %s", why ? why : "?");
        session_die(s, GW_EPROTO, r, NULL);
    } else if (m.type == GW_WIRE_OPEN) {
        copy_slice(s->user, sizeof(s->user), m.u.open.user);
        copy_slice(s->client, sizeof(s->client), m.u.open.client);
        copy_slice(s->sid, sizeof(s->sid), m.u.open.sid);
        gw_timer_stop(&s->connect_tm);
        s->state = S_READY;
        GW_LOGD("backend", "%s: session %.*s open: %s client %s user %s", s->n->d->name,
                (int)m.u.open.session.len, m.u.open.session.ptr, s->sid, s->client, s->user);
        s->cbs.on_ready(s, s->ud);
    } else if (m.type == GW_WIRE_ERROR) {
        char r[256];
        int err = m.u.error.group == GW_RFC_ERR_LOGON_FAILURE ? GW_ELOGON : GW_EPROTO;
        snprintf(r, sizeof(r), "%s: %.*s", gw_rfc_err_group_name(m.u.error.group),
                 (int)m.u.error.message.len, m.u.error.message.ptr);
        session_die(s, err, r, &m.u.error);
    } else {
        session_die(s, GW_EPROTO, "backend sent no OPEN message after the upgrade", NULL);
    }
    gw_arena_free(&tmp);
}

/*
 * Merges the RESULT parts of a call (protocol §3.2): a parameter seen for
 * the first time is added; a TABLE seen again has its rows appended. One
 * pass to size each table, one to copy: linear in the rows.
 */
static int merge_parts(gw_arena_t *a, gw_job_t *job, const gw_wire_result_t *parts, size_t n)
{
    if (n == 1) {
        job->result = parts[0].params;
        job->nresult = parts[0].nparams;
        return 0;
    }
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += parts[i].nparams;
    gw_rfc_field_t *all = gw_arena_calloc(a, (size_t)total + 1, sizeof(*all));
    uint32_t *cap = gw_arena_calloc(a, (size_t)total + 1, sizeof(*cap));
    if (all == NULL || cap == NULL)
        return GW_ENOMEM;
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) /* the names, and the row count of every table */
        for (uint32_t j = 0; j < parts[i].nparams; j++) {
            const gw_rfc_field_t *f = &parts[i].params[j];
            gw_rfc_field_t *prev = (gw_rfc_field_t *)(uintptr_t)gw_rfc_fields_find(all, k, f->name);
            if (prev == NULL) {
                all[k] = *f;
                cap[k++] = f->value.type == GW_RFC_TABLE ? f->value.u.tab.count : 0;
            } else if (prev->value.type == GW_RFC_TABLE && f->value.type == GW_RFC_TABLE) {
                cap[prev - all] += f->value.u.tab.count;
            } else {
                *prev = *f;
            }
        }
    for (uint32_t j = 0; j < k; j++) {
        if (all[j].value.type != GW_RFC_TABLE || cap[j] == all[j].value.u.tab.count)
            continue;
        gw_rfc_value_t *rows = gw_arena_calloc(a, (size_t)cap[j] + 1, sizeof(*rows));
        if (rows == NULL)
            return GW_ENOMEM;
        uint32_t m = 0;
        for (size_t i = 0; i < n; i++) {
            const gw_rfc_field_t *f =
                gw_rfc_fields_find(parts[i].params, parts[i].nparams, all[j].name);
            if (f && f->value.type == GW_RFC_TABLE && f->value.u.tab.count) {
                memcpy(rows + m, f->value.u.tab.rows, f->value.u.tab.count * sizeof(*rows));
                m += f->value.u.tab.count;
            }
        }
        all[j].value.u.tab.rows = rows;
        all[j].value.u.tab.count = m;
    }
    job->result = all;
    job->nresult = k;
    return 0;
}

static void finish_job(gw_bsession_t *s)
{
    gw_job_t *job = s->job;
    s->job = NULL;
    s->state = S_READY;
    s->nparts = 0;
    s->result_bytes = 0;
    if (s->paused) {
        s->paused = 0;
        gw_timer_stop(&s->flow_tm);
        if (s->c)
            gw_transport_pause(s->c, 0);
    }
    s->cbs.on_done(s, s->ud, job);
}

static void flow_poll(gw_timer_t *tm)
{
    gw_bsession_t *s = (gw_bsession_t *)((char *)tm - offsetof(gw_bsession_t, flow_tm));
    if (!s->paused || s->job == NULL)
        return;
    int r = s->job->part_poll ? s->job->part_poll(s->job) : GW_PART_OK;
    if (r == GW_PART_CANCEL) {
        session_die(s, GW_ECANCELED, "the caller went away during the call", NULL);
    } else if (r == GW_PART_FULL) {
        gw_timer_start(s->n->t, &s->flow_tm, FLOW_POLL_MS, flow_poll);
    } else {
        s->paused = 0;
        gw_transport_pause(s->c, 0);
    }
}

/* Hands a RESULT part to the job's receiver (streaming). */
static void deliver_part(gw_bsession_t *s, gw_job_t *job, gw_part_t *part, const gw_wire_msg_t *m)
{
    int last = !(m->flags & GW_WIRE_FLAG_MORE);
    part->params = m->u.result.params;
    part->nparams = m->u.result.nparams;
    int r = job->on_part(job, part, last);
    if (r == GW_PART_CANCEL) {
        session_die(s, GW_ECANCELED, "the caller went away during the call", NULL);
        return;
    }
    if (last) {
        finish_job(s);
        return;
    }
    if (r == GW_PART_FULL && !s->paused) {
        s->paused = 1;
        gw_transport_pause(s->c, 1);
        gw_timer_start(s->n->t, &s->flow_tm, FLOW_POLL_MS, flow_poll);
    }
}

static void on_reply(gw_bsession_t *s, const uint8_t *p, size_t len)
{
    gw_job_t *job = s->job;
    gw_wire_msg_t m;
    const char *why = NULL;
    if (job == NULL) {
        session_die(s, GW_EPROTO, "backend sent a message while no request was outstanding", NULL);
        return;
    }
    /*
     * The decoded values point into the message: keep a copy in the job's
     * arena — or, for a receiver of parts, in an arena of the part's own.
     */
    gw_part_t *part = NULL;
    gw_arena_t *a = job->arena;
    if (job->on_part && job->kind == GW_JOB_CALL) {
        part = calloc(1, sizeof(*part));
        if (part == NULL) {
            gw_job_fail(job, GW_ENOMEM, "out of memory for the backend's answer");
            session_die(s, GW_ENOMEM, "out of memory", NULL);
            return;
        }
        a = &part->arena;
        part->bytes = len;
    } else if ((s->result_bytes += len) > (size_t)s->n->d->max_result) {
        char r[200];
        snprintf(r, sizeof(r),
                 "the result exceeds max_result (%d bytes) of destination %s; ask for fewer rows "
                 "or stream it (Accept: application/x-ndjson)",
                 s->n->d->max_result, s->n->d->name);
        session_die(s, GW_ERESULTBIG, r, NULL); /* the rest of it must not reach anyone */
        return;
    }
    uint8_t *copy = gw_arena_alloc(a, len);
    if (copy == NULL) {
        gw_part_free(part);
        gw_job_fail(job, GW_ENOMEM, "out of memory for the backend's answer");
        session_die(s, GW_ENOMEM, "out of memory", NULL);
        return;
    }
    memcpy(copy, p, len);
    int ret = gw_wire_decode(a, copy, len, &s->n->limits, &m, &why);
    if (ret != 0 || m.type != GW_WIRE_RESULT) {
        gw_part_free(part);
        part = NULL;
    }
    if (ret == GW_ENOMEM) {
        gw_job_fail(job, GW_ENOMEM, "out of memory decoding the backend's answer");
        session_die(s, GW_ENOMEM, "out of memory", NULL);
        return;
    }
    if (ret != 0) {
        char r[160];
        snprintf(r, sizeof(r), "invalid message from the backend: %s", why ? why : "?");
        session_die(s, GW_EPROTO, r, NULL);
        return;
    }
    if (m.seq != s->seq) {
        char r[160];
        snprintf(r, sizeof(r), "reply seq %u does not match request seq %u", m.seq, s->seq);
        session_die(s, GW_EPROTO, r, NULL);
        return;
    }
    switch (m.type) {
    case GW_WIRE_RESULT:
        if (job->kind != GW_JOB_CALL) {
            session_die(s, GW_EPROTO, "RESULT answers no CALL", NULL);
            return;
        }
        if (part) {
            deliver_part(s, job, part, &m);
            return;
        }
        if (s->nparts == s->cap) {
            size_t ncap = s->cap ? 2 * s->cap : 8;
            gw_wire_result_t *np = realloc(s->parts, ncap * sizeof(*np));
            if (np == NULL) {
                gw_job_fail(job, GW_ENOMEM, "out of memory for the result");
                session_die(s, GW_ENOMEM, "out of memory", NULL);
                return;
            }
            s->parts = np;
            s->cap = ncap;
        }
        s->parts[s->nparts++] = m.u.result;
        if (m.flags & GW_WIRE_FLAG_MORE)
            return;
        if (merge_parts(job->arena, job, s->parts, s->nparts))
            gw_job_fail(job, GW_ENOMEM, "out of memory for the result");
        finish_job(s);
        return;
    case GW_WIRE_RESET_OK:
        if (job->kind != GW_JOB_RESET) {
            session_die(s, GW_EPROTO, "RESET_OK answers no RESET", NULL);
            return;
        }
        finish_job(s);
        return;
    case GW_WIRE_DESCRIPTION:
        if (job->kind != GW_JOB_DESCRIBE) {
            session_die(s, GW_EPROTO, "DESCRIPTION answers no DESCRIBE", NULL);
            return;
        }
        job->desc = gw_arena_alloc(job->arena, sizeof(*job->desc));
        if (job->desc == NULL)
            gw_job_fail(job, GW_ENOMEM, "out of memory for the description");
        else
            *job->desc = m.u.description;
        finish_job(s);
        return;
    case GW_WIRE_ERROR:
        job->has_rfc = 1;
        copy_rfc_error(job->arena, &job->rfc, &m.u.error);
        gw_job_fail(job, gw_rfc_err_to_gw(m.u.error.group), "%s: %.*s",
                    gw_rfc_err_group_name(m.u.error.group), (int)m.u.error.message.len,
                    m.u.error.message.ptr);
        finish_job(s);
        return;
    default:
        session_die(s, GW_EPROTO, "unexpected message type from the backend", NULL);
        return;
    }
}

static void on_message(gw_tconn_t *c, void *ud, const uint8_t *p, size_t len)
{
    gw_bsession_t *s = ud;
    (void)c;
    if (s->state == S_LOGON || s->state == S_CONNECTING)
        on_logon_message(s, p, len);
    else if (s->state == S_READY || s->state == S_BUSY)
        on_reply(s, p, len);
}

static void on_close(gw_tconn_t *c, void *ud, int err, const char *reason)
{
    gw_bsession_t *s = ud;
    (void)c;
    s->c = NULL;
    session_die(s, err ? err : GW_ECOMM, reason, NULL);
}

static const gw_tconn_cbs_t tconn_cbs = {on_open, on_message, on_close};

static gw_bsession_t *native_open(void *b, const gw_bcred_t *cred, const gw_bsession_cbs_t *cbs,
                                  void *ud)
{
    native_t *n = b;
    char auth[1024] = "";
    gw_header_t hdrs[2];
    size_t nh = 0;
    if (cred) { /* this session's own logon: replaces the endpoint's */
        if (basic_auth(auth, sizeof(auth), cred->user, cred->secret) != 0)
            return NULL;
        hdrs[nh++] = (gw_header_t){"authorization:", auth};
        hdrs[nh++] = (gw_header_t){GW_WIRE_HDR_ALIAS ":", cred->alias_user ? "1" : ""};
    }
    gw_bsession_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        explicit_bzero(auth, sizeof(auth));
        return NULL;
    }
    s->n = n;
    s->cbs = *cbs;
    s->ud = ud;
    s->state = S_CONNECTING;
    gw_buf_init(&s->out, n->limits.max_message);
    gw_timer_start(n->t, &s->connect_tm, n->d->connect_timeout_ms, connect_timeout);
    s->c = gw_transport_connect_with(n->ep, &tconn_cbs, s, hdrs, nh);
    explicit_bzero(auth, sizeof(auth));
    if (s->c == NULL) {
        session_free(s);
        return NULL;
    }
    return s;
}

static int native_start(gw_bsession_t *s, gw_job_t *job)
{
    if (s->state != S_READY)
        return GW_EINVAL;
    gw_wire_msg_t m;
    memset(&m, 0, sizeof(m));
    m.seq = ++s->seq;
    if (job->kind == GW_JOB_DESCRIBE) {
        m.type = GW_WIRE_DESCRIBE;
        m.u.describe = job->function;
    } else if (job->kind == GW_JOB_RESET) {
        m.type = GW_WIRE_RESET;
    } else {
        m.type = GW_WIRE_CALL;
        /* stateless by default: a new caller never sees the previous caller's session state */
        m.flags = job->no_reset ? 0 : GW_WIRE_FLAG_RESET_FIRST;
        m.u.call.function = job->function;
        m.u.call.trace = job->trace;
        m.u.call.nwant = job->want ? job->nwant : GW_WIRE_WANT_ALL;
        m.u.call.want = job->want;
        m.u.call.nparams = job->nparams;
        m.u.call.params = job->params;
    }
    s->out.len = 0;
    s->out.failed = 0;
    int ret = gw_wire_encode(&s->out, &m);
    if (ret != 0)
        return ret == GW_ETOOBIG ? GW_ETOOBIG : GW_EINVAL;
    ret = gw_transport_send(s->c, s->out.data, s->out.len);
    if (ret != 0)
        return ret;
    s->job = job;
    s->state = S_BUSY;
    return 0;
}

static void native_close(gw_bsession_t *s)
{
    s->cbs.on_dead = NULL;
    s->job = NULL;
    session_die(s, 0, "closed by the pool", NULL);
}

static int native_set_secret(void *b, const char *secret)
{
    native_t *n = b;
    char auth[1024];
    if (strcmp(n->d->auth.method, "password") != 0 || secret == NULL)
        return 0;
    int ret = basic_auth(auth, sizeof(auth), n->d->auth.user, secret);
    if (ret == 0)
        ret = gw_transport_endpoint_set_header(n->ep, "authorization:", auth);
    explicit_bzero(auth, sizeof(auth));
    return ret;
}

const gw_backend_ops_t gw_backend_native = {
    .name = "native",
    .create = native_create,
    .destroy = native_destroy,
    .open = native_open,
    .start = native_start,
    .close = native_close,
    .set_secret = native_set_secret,
    .tls_prepare = native_tls_prepare,
    .tls_apply = native_tls_apply,
};
