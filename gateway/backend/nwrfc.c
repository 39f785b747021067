/*
 * nwrfc backend: SAP's NetWeaver RFC SDK (libsapnwrfc) over WebSocket RFC.
 * One session = one RFC_CONNECTION_HANDLE = one ABAP user session.
 *
 * The SDK's calls block, so they run on a bounded set of worker threads
 * owned by the backend instance (nwrfc.threads per destination); the loop
 * thread only copies requests in and results out. A session has at most
 * one piece of work at a time: start() copies the job's request into the
 * session's own arena (the job may be completed and its arena freed by the
 * pool at any moment — a timeout — while the worker still runs), a worker
 * does the SDK calls and converts the answer into that arena, and a task on
 * the loop copies it into the job's arena and reports it.
 *
 * Lifetime: a session is reference-counted under the instance's mutex (the
 * pool's reference until close()/death, queued or running work, a pending
 * completion, a pending cancel). The last reference hands it to the
 * "reaper" thread, which closes the SDK handle (RfcCloseConnection blocks)
 * and frees it. close() of a session in a call asks the reaper to
 * RfcCancel() it (another thread than the one blocked in RfcInvoke, as the
 * SDK requires); the reaper retries while the worker has not entered the
 * SDK call yet.
 *
 * Only names of SAP's public sapnwrfc.h are used, so this file builds
 * unchanged against the real SDK and against tests/nwrfc_fake.
 */
#include "backend/backend.h"
#include "backend/nwrfc_uc.h"
#include "error/error.h"
#include "log/log.h"

#include <sapnwrfc.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(sizeof(SAP_UC) == 2, "the SDK must be built for UTF-16 (SAPwithUNICODE)");

#define MAX_DEPTH  16 /* nesting of structures and tables, as the wire protocol's default */
#define MAX_PARAMS 16 /* connection parameters */

enum { OP_OPEN = 1, OP_CALL, OP_DESCRIBE, OP_RESET, OP_PING };
enum { S_OPENING, S_READY, S_BUSY, S_DEAD };
/* what an SDK error means for the session */
enum { K_KEEP, K_BREAK_AFTER, K_DEAD };

typedef struct nwrfc nwrfc_t;

struct gw_bsession {
    nwrfc_t *n;
    gw_bsession_cbs_t cbs;
    void *ud;
    /* under n->mu */
    int refs;
    int closed;  /* the pool let go (close()) or the session died */
    int in_call; /* a worker is inside (or about to enter) a blocking SDK call */
    int cancel_queued;
    RFC_CONNECTION_HANDLE h;
    gw_bsession_t *qnext; /* work, done and reaper queues */
    int rop;              /* reaper: 1 cancel, 2 free */
    /* loop only */
    int state;
    int used; /* a call ran since the last reset */
    gw_job_t *job;
    gw_timer_t connect_tm;
    /* the work: request (copied on the loop) and result (filled by the worker) */
    int op;
    gw_arena_t wa;
    gw_slice_t function;
    gw_rfc_field_t *params;
    uint32_t nparams;
    gw_slice_t *want; /* NULL = all */
    uint32_t nwant;
    int reset_first;
    int stream;  /* the job takes its result as parts (gw_job_t.on_part) */
    int res_err; /* GW_E* */
    int res_kind;
    char res_detail[256];
    int res_has_rfc;
    gw_rfc_error_t res_rfc;
    gw_rfc_field_t *res_params;
    uint32_t res_nparams;
    size_t res_bytes; /* about the size of the result's data, for max_result */
    gw_rfc_func_t *res_desc;
    /* a logon of its own (gw_bcred_t): replaces the destination's user and password */
    uint16_t *cred_user, *cred_pw;
    int cred_alias;
};

static void cred_free(gw_bsession_t *s);

struct nwrfc {
    gw_transport_t *t;
    const gw_dest_conf_t *d;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, reap_cv;
    gw_bsession_t *work_head, *work_tail;
    gw_bsession_t *done_head, *done_tail;
    gw_bsession_t *reap_head, *reap_tail;
    int stopping, reaper_stop;
    int task_posted;
    gw_task_t task;
    /* connection parameters, UTF-16 (the password is wiped on destroy) */
    uint16_t *pnames[MAX_PARAMS], *pvalues[MAX_PARAMS];
    unsigned nparams;
    int nthreads;
    pthread_t *threads;
    pthread_t reaper;
    int reaper_started;
    /* calls hold it shared while they use a function description; DESCRIBE takes it
     * exclusively, briefly, to drop the SDK's cached description (RfcRemoveFunctionDesc) */
    pthread_rwlock_t desc_lock;
};

/* ---- queues (n->mu held) ------------------------------------------------------ */

static void q_push(gw_bsession_t **head, gw_bsession_t **tail, gw_bsession_t *s)
{
    s->qnext = NULL;
    if (*tail)
        (*tail)->qnext = s;
    else
        *head = s;
    *tail = s;
}

static gw_bsession_t *q_pop(gw_bsession_t **head, gw_bsession_t **tail)
{
    gw_bsession_t *s = *head;
    if (s) {
        *head = s->qnext;
        if (*head == NULL)
            *tail = NULL;
        s->qnext = NULL;
    }
    return s;
}

static void unref_locked(gw_bsession_t *s)
{
    nwrfc_t *n = s->n;
    if (--s->refs > 0)
        return;
    s->rop = 2;
    q_push(&n->reap_head, &n->reap_tail, s);
    pthread_cond_signal(&n->reap_cv);
}

/* Asks the reaper to cancel the session's running SDK call (n->mu held). */
static void cancel_locked(gw_bsession_t *s)
{
    nwrfc_t *n = s->n;
    if (!s->in_call || s->cancel_queued || s->rop)
        return;
    s->cancel_queued = 1;
    s->refs++;
    s->rop = 1;
    q_push(&n->reap_head, &n->reap_tail, s);
    pthread_cond_signal(&n->reap_cv);
}

/* ---- SDK errors ------------------------------------------------------------------ */

static gw_slice_t uc_slice(gw_arena_t *a, const SAP_UC *p, size_t max)
{
    gw_slice_t out = {"", 0};
    const uint16_t *u = (const uint16_t *)p;
    if (gw_nwrfc_from_utf16(a, u, gw_nwrfc_uclen(u, max), &out) != 0)
        out = (gw_slice_t){"", 0};
    return out;
}

/* Fills the session's result from an SDK error; returns what it means for the session. */
static int sdk_error(gw_bsession_t *s, RFC_RC rc, const RFC_ERROR_INFO *ei, const char *what)
{
    gw_rfc_error_t *r = &s->res_rfc;
    char key[128], msg[512];
    gw_nwrfc_uc_copy(key, sizeof(key), (const uint16_t *)ei->key, 128);
    gw_nwrfc_uc_copy(msg, sizeof(msg), (const uint16_t *)ei->message, 512);
    int group, kind, err;
    switch (rc) {
    case RFC_ABAP_EXCEPTION:
        group = strcmp(key, "FU_NOT_FOUND") == 0 ? GW_RFC_ERR_FUNCTION_NOT_FOUND
                                                 : GW_RFC_ERR_ABAP_EXCEPTION;
        kind = K_KEEP;
        break;
    case RFC_NOT_FOUND:
        group = GW_RFC_ERR_FUNCTION_NOT_FOUND, kind = K_KEEP;
        break;
    case RFC_ABAP_MESSAGE: /* the ABAP session ended with the message */
        group = GW_RFC_ERR_ABAP_MESSAGE, kind = K_BREAK_AFTER;
        break;
    case RFC_ABAP_RUNTIME_FAILURE:
        group = strcmp(key, "RFC_NO_AUTHORITY") == 0 ? GW_RFC_ERR_AUTHORIZATION
                                                     : GW_RFC_ERR_RUNTIME_FAILURE;
        kind = K_BREAK_AFTER;
        break;
    case RFC_AUTHORIZATION_FAILURE:
        group = GW_RFC_ERR_AUTHORIZATION, kind = K_BREAK_AFTER;
        break;
    case RFC_LOGON_FAILURE:
        group = GW_RFC_ERR_LOGON_FAILURE, kind = K_DEAD;
        break;
    case RFC_INVALID_PARAMETER:
    case RFC_CONVERSION_FAILURE:
    case RFC_BUFFER_TOO_SMALL:
    case RFC_CODEPAGE_CONVERSION_FAILURE:
    case RFC_TABLE_MOVE_BOF:
    case RFC_TABLE_MOVE_EOF:
        /* refused by the SDK on this side; the connection is fine */
        s->res_has_rfc = 0;
        s->res_err = GW_EPROTO;
        snprintf(s->res_detail, sizeof(s->res_detail),
                 "%.40s: the SDK refused a value (%.40s): %.100s", what, key, msg);
        return K_KEEP;
    default:
        group = GW_RFC_ERR_COMMUNICATION, kind = K_DEAD;
        break;
    }
    memset(r, 0, sizeof(*r));
    r->group = (uint8_t)group;
    r->key = uc_slice(&s->wa, ei->key, 128);
    r->message = uc_slice(&s->wa, ei->message, 512);
    r->msg_class = uc_slice(&s->wa, ei->abapMsgClass, 21);
    r->msg_type = uc_slice(&s->wa, ei->abapMsgType, 2);
    r->msg_number = uc_slice(&s->wa, ei->abapMsgNumber, 4);
    r->msg_v[0] = uc_slice(&s->wa, ei->abapMsgV1, 51);
    r->msg_v[1] = uc_slice(&s->wa, ei->abapMsgV2, 51);
    r->msg_v[2] = uc_slice(&s->wa, ei->abapMsgV3, 51);
    r->msg_v[3] = uc_slice(&s->wa, ei->abapMsgV4, 51);
    s->res_has_rfc = 1;
    err = gw_rfc_err_to_gw(group);
    s->res_err = err;
    snprintf(s->res_detail, sizeof(s->res_detail), "%s: %.200s", gw_rfc_err_group_name(group), msg);
    return kind;
}

static void local_error(gw_bsession_t *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void local_error(gw_bsession_t *s, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->res_detail, sizeof(s->res_detail), fmt, ap);
    va_end(ap);
    s->res_err = err;
    s->res_has_rfc = 0;
}

/* ---- names and text --------------------------------------------------------------- */

typedef struct {
    SAP_UC u[64];
} ucname_t;

static int ucname(ucname_t *out, gw_slice_t name)
{
    return gw_nwrfc_to_utf16(name, (uint16_t *)out->u, GW_ARRAY_SIZE(out->u)) < 0 ? GW_EINVAL : 0;
}

/* UTF-8 text → a UTF-16 buffer in the work arena; *units without the NUL. */
static SAP_UC *to_uc(gw_arena_t *a, gw_slice_t s, unsigned *units)
{
    long n = gw_nwrfc_utf16_len(s);
    if (n < 0 || n > 0x7fffffffL)
        return NULL;
    uint16_t *buf = gw_arena_alloc(a, ((size_t)n + 1) * sizeof(uint16_t));
    if (buf == NULL || gw_nwrfc_to_utf16(s, buf, (size_t)n + 1) < 0)
        return NULL;
    *units = (unsigned)n;
    return (SAP_UC *)buf;
}

/* ---- writing values into the SDK's containers ------------------------------------ */

static int set_fields(gw_bsession_t *s, DATA_CONTAINER_HANDLE h, const gw_rfc_field_t *f,
                      uint32_t n, int depth, RFC_ERROR_INFO *ei, RFC_RC *rc);

/* Sets one value; returns 0, or GW_E* with *rc != RFC_OK when the SDK refused. */
static int set_value(gw_bsession_t *s, DATA_CONTAINER_HANDLE h, gw_slice_t name,
                     const gw_rfc_value_t *v, int depth, RFC_ERROR_INFO *ei, RFC_RC *rc)
{
    ucname_t nm;
    unsigned len = 0;
    SAP_UC *u = NULL;
    if (depth > MAX_DEPTH || ucname(&nm, name) != 0) {
        local_error(s, GW_EINVAL, "parameter or field name '%.*s' is not usable", (int)name.len,
                    name.ptr);
        return GW_EINVAL;
    }
    switch (v->type) {
    case GW_RFC_CHAR:
    case GW_RFC_NUM:
    case GW_RFC_DATE:
    case GW_RFC_TIME:
    case GW_RFC_BCD:
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
    case GW_RFC_STRING:
        if ((u = to_uc(&s->wa, v->u.s, &len)) == NULL) {
            local_error(s, GW_ENOMEM, "out of memory (or invalid UTF-8) converting %.*s",
                        (int)name.len, name.ptr);
            return GW_ENOMEM;
        }
        break;
    default:
        break;
    }
    switch (v->type) {
    case GW_RFC_CHAR:
        *rc = RfcSetChars(h, nm.u, u, len, ei);
        break;
    case GW_RFC_NUM:
        *rc = RfcSetNum(h, nm.u, u, len, ei);
        break;
    case GW_RFC_DATE:
    case GW_RFC_TIME: {
        unsigned want = v->type == GW_RFC_DATE ? 8 : 6;
        SAP_UC buf[8];
        for (unsigned k = 0; k < want; k++) /* an empty value is the initial one */
            buf[k] = (SAP_UC)(k < len ? u[k] : '0');
        if (len != 0 && len != want) {
            local_error(s, GW_EINVAL, "%.*s: a %s needs %u characters", (int)name.len, name.ptr,
                        gw_rfc_type_name(v->type), want);
            return GW_EINVAL;
        }
        *rc = v->type == GW_RFC_DATE ? RfcSetDate(h, nm.u, buf, ei) : RfcSetTime(h, nm.u, buf, ei);
        break;
    }
    case GW_RFC_BCD:
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
    case GW_RFC_STRING: /* the SDK converts decimal text itself: no double on the way */
        *rc = RfcSetString(h, nm.u, u, len, ei);
        break;
    case GW_RFC_INT1:
        *rc = RfcSetInt1(h, nm.u, (RFC_INT1)v->u.i, ei);
        break;
    case GW_RFC_INT2:
        *rc = RfcSetInt2(h, nm.u, (RFC_INT2)v->u.i, ei);
        break;
    case GW_RFC_INT4:
        *rc = RfcSetInt(h, nm.u, (RFC_INT)v->u.i, ei);
        break;
    case GW_RFC_INT8:
        *rc = RfcSetInt8(h, nm.u, (RFC_INT8)v->u.i, ei);
        break;
    case GW_RFC_FLOAT:
        *rc = RfcSetFloat(h, nm.u, v->u.f, ei);
        break;
    case GW_RFC_RAW:
        *rc = RfcSetBytes(h, nm.u, (SAP_RAW *)(uintptr_t)v->u.s.ptr, (unsigned)v->u.s.len, ei);
        break;
    case GW_RFC_XSTRING:
        *rc = RfcSetXString(h, nm.u, (SAP_RAW *)(uintptr_t)v->u.s.ptr, (unsigned)v->u.s.len, ei);
        break;
    case GW_RFC_STRUCTURE: {
        RFC_STRUCTURE_HANDLE sh = NULL;
        *rc = RfcGetStructure(h, nm.u, &sh, ei);
        if (*rc == RFC_OK)
            return set_fields(s, sh, v->u.st.fields, v->u.st.count, depth + 1, ei, rc);
        break;
    }
    case GW_RFC_TABLE: {
        RFC_TABLE_HANDLE th = NULL;
        *rc = RfcGetTable(h, nm.u, &th, ei);
        for (uint32_t r = 0; *rc == RFC_OK && r < v->u.tab.count; r++) {
            const gw_rfc_value_t *row = &v->u.tab.rows[r];
            RFC_STRUCTURE_HANDLE rh = RfcAppendNewRow(th, ei);
            if (rh == NULL) {
                *rc = ei->code != RFC_OK ? ei->code : RFC_MEMORY_INSUFFICIENT;
                break;
            }
            if (row->type != GW_RFC_STRUCTURE) {
                local_error(s, GW_EINVAL, "%.*s: rows of a table must be structures", (int)name.len,
                            name.ptr);
                return GW_EINVAL;
            }
            int ret = set_fields(s, rh, row->u.st.fields, row->u.st.count, depth + 1, ei, rc);
            if (ret != 0)
                return ret;
        }
        break;
    }
    default:
        local_error(s, GW_EINVAL, "%.*s: type %s cannot be sent", (int)name.len, name.ptr,
                    gw_rfc_type_name(v->type));
        return GW_EINVAL;
    }
    return *rc == RFC_OK ? 0 : GW_EPROTO;
}

static int set_fields(gw_bsession_t *s, DATA_CONTAINER_HANDLE h, const gw_rfc_field_t *f,
                      uint32_t n, int depth, RFC_ERROR_INFO *ei, RFC_RC *rc)
{
    for (uint32_t i = 0; i < n; i++) {
        int ret = set_value(s, h, f[i].name, &f[i].value, depth, ei, rc);
        if (ret != 0)
            return ret;
    }
    return 0;
}

/* ---- reading values out of the SDK's containers ---------------------------------- */

static int read_struct(gw_bsession_t *s, DATA_CONTAINER_HANDLE h, RFC_TYPE_DESC_HANDLE td,
                       const RFC_FIELD_DESC *fds, unsigned nf, gw_rfc_value_t *out, int depth,
                       RFC_ERROR_INFO *ei, RFC_RC *rc);

/* The field descriptions of a structure type, in the work arena. */
static RFC_FIELD_DESC *field_descs(gw_bsession_t *s, RFC_TYPE_DESC_HANDLE td, unsigned *nf,
                                   RFC_ERROR_INFO *ei, RFC_RC *rc)
{
    *rc = RfcGetFieldCount(td, nf, ei);
    if (*rc != RFC_OK)
        return NULL;
    RFC_FIELD_DESC *fds = gw_arena_calloc(&s->wa, *nf + 1, sizeof(*fds));
    if (fds == NULL) {
        *rc = RFC_MEMORY_INSUFFICIENT;
        return NULL;
    }
    for (unsigned i = 0; i < *nf && *rc == RFC_OK; i++)
        *rc = RfcGetFieldDescByIndex(td, i, &fds[i], ei);
    return *rc == RFC_OK ? fds : NULL;
}

static int read_value(gw_bsession_t *s, DATA_CONTAINER_HANDLE h, const SAP_UC *name, RFCTYPE type,
                      unsigned nuc, RFC_TYPE_DESC_HANDLE td, gw_rfc_value_t *out, int depth,
                      RFC_ERROR_INFO *ei, RFC_RC *rc)
{
    gw_arena_t *a = &s->wa;
    memset(out, 0, sizeof(*out));
    *rc = RFC_OK;
    if (depth > MAX_DEPTH) {
        local_error(s, GW_ETOOBIG, "result nested deeper than %d levels", MAX_DEPTH);
        return GW_ETOOBIG;
    }
    switch (type) {
    case RFCTYPE_CHAR:
    case RFCTYPE_NUM:
    case RFCTYPE_DATE:
    case RFCTYPE_TIME: {
        unsigned len = type == RFCTYPE_DATE ? 8 : type == RFCTYPE_TIME ? 6 : nuc;
        SAP_UC *buf = gw_arena_alloc(a, ((size_t)len + 1) * sizeof(SAP_UC));
        if (buf == NULL)
            goto nomem;
        if (type == RFCTYPE_CHAR)
            *rc = RfcGetChars(h, name, buf, len, ei), out->type = GW_RFC_CHAR;
        else if (type == RFCTYPE_NUM)
            *rc = RfcGetNum(h, name, buf, len, ei), out->type = GW_RFC_NUM;
        else if (type == RFCTYPE_DATE)
            *rc = RfcGetDate(h, name, buf, ei), out->type = GW_RFC_DATE;
        else
            *rc = RfcGetTime(h, name, buf, ei), out->type = GW_RFC_TIME;
        if (*rc == RFC_OK && gw_nwrfc_from_utf16(a, (uint16_t *)buf, len, &out->u.s) != 0)
            goto nomem;
        break;
    }
    case RFCTYPE_BCD:
    case RFCTYPE_DECF16:
    case RFCTYPE_DECF34:
    case RFCTYPE_STRING: {
        unsigned len = 64, got = 0;
        out->type = type == RFCTYPE_BCD      ? GW_RFC_BCD
                    : type == RFCTYPE_DECF16 ? GW_RFC_DECF16
                    : type == RFCTYPE_DECF34 ? GW_RFC_DECF34
                                             : GW_RFC_STRING;
        if (type == RFCTYPE_STRING) {
            *rc = RfcGetStringLength(h, name, &len, ei);
            if (*rc != RFC_OK)
                break;
            len++;
        }
        for (int tries = 0; tries < 2; tries++) {
            SAP_UC *buf = gw_arena_alloc(a, (size_t)len * sizeof(SAP_UC));
            if (buf == NULL)
                goto nomem;
            *rc = RfcGetString(h, name, buf, len, &got, ei);
            if (*rc == RFC_BUFFER_TOO_SMALL && tries == 0) {
                len = got + 1; /* the SDK says how long it is */
                continue;
            }
            if (*rc == RFC_OK &&
                gw_nwrfc_from_utf16(a, (uint16_t *)buf, got < len ? got : len, &out->u.s) != 0)
                goto nomem;
            break;
        }
        break;
    }
    case RFCTYPE_XSTRING: {
        unsigned len = 0, got = 0;
        out->type = GW_RFC_XSTRING;
        *rc = RfcGetStringLength(h, name, &len, ei);
        if (*rc != RFC_OK)
            break;
        SAP_RAW *buf = gw_arena_alloc(a, (size_t)len + 1);
        if (buf == NULL)
            goto nomem;
        *rc = RfcGetXString(h, name, buf, len, &got, ei);
        out->u.s = (gw_slice_t){(const char *)buf, got < len ? got : len};
        break;
    }
    case RFCTYPE_BYTE: {
        SAP_RAW *buf = gw_arena_alloc(a, (size_t)nuc + 1);
        if (buf == NULL)
            goto nomem;
        out->type = GW_RFC_RAW;
        *rc = RfcGetBytes(h, name, buf, nuc, ei);
        out->u.s = (gw_slice_t){(const char *)buf, nuc};
        break;
    }
    case RFCTYPE_INT: {
        RFC_INT i = 0;
        *rc = RfcGetInt(h, name, &i, ei);
        out->type = GW_RFC_INT4, out->u.i = i;
        break;
    }
    case RFCTYPE_INT1: {
        RFC_INT1 i = 0;
        *rc = RfcGetInt1(h, name, &i, ei);
        out->type = GW_RFC_INT1, out->u.i = i;
        break;
    }
    case RFCTYPE_INT2: {
        RFC_INT2 i = 0;
        *rc = RfcGetInt2(h, name, &i, ei);
        out->type = GW_RFC_INT2, out->u.i = i;
        break;
    }
    case RFCTYPE_INT8: {
        RFC_INT8 i = 0;
        *rc = RfcGetInt8(h, name, &i, ei);
        out->type = GW_RFC_INT8, out->u.i = (int64_t)i;
        break;
    }
    case RFCTYPE_FLOAT: {
        RFC_FLOAT f = 0;
        *rc = RfcGetFloat(h, name, &f, ei);
        out->type = GW_RFC_FLOAT, out->u.f = f;
        break;
    }
    case RFCTYPE_STRUCTURE: {
        RFC_STRUCTURE_HANDLE sh = NULL;
        *rc = RfcGetStructure(h, name, &sh, ei);
        if (*rc == RFC_OK)
            return read_struct(s, sh, td, NULL, 0, out, depth + 1, ei, rc);
        break;
    }
    case RFCTYPE_TABLE: {
        RFC_TABLE_HANDLE th = NULL;
        unsigned rows = 0, nf = 0;
        *rc = RfcGetTable(h, name, &th, ei);
        if (*rc == RFC_OK)
            *rc = RfcGetRowCount(th, &rows, ei);
        if (*rc != RFC_OK)
            break;
        /* the line type's fields once, not per row */
        RFC_FIELD_DESC *fds = field_descs(s, td, &nf, ei, rc);
        if (fds == NULL)
            break;
        out->type = GW_RFC_TABLE;
        out->u.tab.count = rows;
        out->u.tab.rows = gw_arena_calloc(a, (size_t)rows + 1, sizeof(gw_rfc_value_t));
        if (out->u.tab.rows == NULL)
            goto nomem;
        for (unsigned r = 0; r < rows; r++) {
            *rc = RfcMoveTo(th, r, ei);
            if (*rc != RFC_OK)
                break;
            RFC_STRUCTURE_HANDLE rh = RfcGetCurrentRow(th, ei);
            if (rh == NULL) {
                *rc = ei->code != RFC_OK ? ei->code : RFC_TABLE_MOVE_EOF;
                break;
            }
            int ret = read_struct(s, rh, td, fds, nf, &out->u.tab.rows[r], depth + 1, ei, rc);
            if (ret != 0)
                return ret;
        }
        break;
    }
    default: {
        char nm[64];
        gw_nwrfc_uc_copy(nm, sizeof(nm), (const uint16_t *)name, 64);
        local_error(s, GW_EUNSUPPORTED, "%s: RFC type %d is not supported by rfmgw", nm, (int)type);
        return GW_EUNSUPPORTED;
    }
    }
    if (*rc != RFC_OK)
        return GW_EPROTO;
    s->res_bytes += out->type == GW_RFC_TABLE || out->type == GW_RFC_STRUCTURE ? 16
                    : out->type >= GW_RFC_INT1 && out->type <= GW_RFC_FLOAT    ? 8
                                                                               : out->u.s.len + 8;
    if (!s->stream && s->res_bytes > (size_t)s->n->d->max_result) {
        local_error(s, GW_ERESULTBIG,
                    "the result exceeds max_result (%d bytes) of destination %s; ask for fewer "
                    "rows or stream it (Accept: application/x-ndjson)",
                    s->n->d->max_result, s->n->d->name);
        return GW_ERESULTBIG;
    }
    return 0;
nomem:
    local_error(s, GW_ENOMEM, "out of memory for the result");
    return GW_ENOMEM;
}

static int read_struct(gw_bsession_t *s, DATA_CONTAINER_HANDLE h, RFC_TYPE_DESC_HANDLE td,
                       const RFC_FIELD_DESC *fds, unsigned nf, gw_rfc_value_t *out, int depth,
                       RFC_ERROR_INFO *ei, RFC_RC *rc)
{
    if (fds == NULL && (fds = field_descs(s, td, &nf, ei, rc)) == NULL)
        return GW_EPROTO;
    gw_rfc_field_t *fs = gw_arena_calloc(&s->wa, (size_t)nf + 1, sizeof(*fs));
    if (fs == NULL) {
        local_error(s, GW_ENOMEM, "out of memory for the result");
        return GW_ENOMEM;
    }
    out->type = GW_RFC_STRUCTURE;
    out->u.st.count = nf;
    out->u.st.fields = fs;
    for (unsigned i = 0; i < nf; i++) {
        fs[i].name = uc_slice(&s->wa, fds[i].name, 31);
        int ret = read_value(s, h, fds[i].name, fds[i].type, fds[i].nucLength,
                             fds[i].typeDescHandle, &fs[i].value, depth, ei, rc);
        if (ret != 0)
            return ret;
    }
    return 0;
}

/* ---- descriptions ----------------------------------------------------------------- */

static const gw_rfc_typedesc_t *make_type(gw_bsession_t *s, RFCTYPE type, unsigned nuc,
                                          unsigned decimals, RFC_TYPE_DESC_HANDLE td, int depth,
                                          RFC_ERROR_INFO *ei, RFC_RC *rc)
{
    gw_rfc_typedesc_t *t = gw_arena_calloc(&s->wa, 1, sizeof(*t));
    if (t == NULL || depth > MAX_DEPTH)
        return NULL;
    t->decimals = (uint8_t)decimals;
    t->name = (gw_slice_t){"", 0};
    switch (type) {
    case RFCTYPE_CHAR:
        t->type = GW_RFC_CHAR, t->length = nuc;
        break;
    case RFCTYPE_NUM:
        t->type = GW_RFC_NUM, t->length = nuc;
        break;
    case RFCTYPE_DATE:
        t->type = GW_RFC_DATE, t->length = 8;
        break;
    case RFCTYPE_TIME:
        t->type = GW_RFC_TIME, t->length = 6;
        break;
    case RFCTYPE_BCD:
        t->type = GW_RFC_BCD, t->length = nuc;
        break;
    case RFCTYPE_INT1:
        t->type = GW_RFC_INT1, t->length = 1;
        break;
    case RFCTYPE_INT2:
        t->type = GW_RFC_INT2, t->length = 2;
        break;
    case RFCTYPE_INT:
        t->type = GW_RFC_INT4, t->length = 4;
        break;
    case RFCTYPE_INT8:
        t->type = GW_RFC_INT8, t->length = 8;
        break;
    case RFCTYPE_FLOAT:
        t->type = GW_RFC_FLOAT, t->length = 8;
        break;
    case RFCTYPE_DECF16:
        t->type = GW_RFC_DECF16, t->length = 8;
        break;
    case RFCTYPE_DECF34:
        t->type = GW_RFC_DECF34, t->length = 16;
        break;
    case RFCTYPE_STRING:
        t->type = GW_RFC_STRING;
        break;
    case RFCTYPE_XSTRING:
        t->type = GW_RFC_XSTRING;
        break;
    case RFCTYPE_BYTE:
        t->type = GW_RFC_RAW, t->length = nuc;
        break;
    case RFCTYPE_STRUCTURE:
    case RFCTYPE_TABLE: {
        gw_rfc_typedesc_t *st = type == RFCTYPE_TABLE ? gw_arena_calloc(&s->wa, 1, sizeof(*st)) : t;
        unsigned nf = 0;
        RFC_ABAP_NAME tn;
        if (st == NULL)
            return NULL;
        *rc = RfcGetTypeName(td, tn, ei);
        RFC_FIELD_DESC *fds = *rc == RFC_OK ? field_descs(s, td, &nf, ei, rc) : NULL;
        if (fds == NULL)
            return NULL;
        gw_rfc_fielddesc_t *fields = gw_arena_calloc(&s->wa, (size_t)nf + 1, sizeof(*fields));
        if (fields == NULL)
            return NULL;
        st->type = GW_RFC_STRUCTURE;
        st->name = uc_slice(&s->wa, tn, 31);
        st->nfields = nf;
        st->fields = fields;
        for (unsigned i = 0; i < nf; i++) {
            fields[i].name = uc_slice(&s->wa, fds[i].name, 31);
            fields[i].type = make_type(s, fds[i].type, fds[i].nucLength, fds[i].decimals,
                                       fds[i].typeDescHandle, depth + 1, ei, rc);
            if (fields[i].type == NULL)
                return NULL;
        }
        if (type == RFCTYPE_TABLE) {
            t->type = GW_RFC_TABLE;
            t->line = st;
        }
        break;
    }
    default:
        t->type = 0; /* unsupported: reported by the caller */
        break;
    }
    return t;
}

/* ---- the work, on a worker thread ---------------------------------------------------- */

static void enter_call(gw_bsession_t *s, int in)
{
    pthread_mutex_lock(&s->n->mu);
    s->in_call = in;
    pthread_mutex_unlock(&s->n->mu);
}

/* A connection parameter replaced by the session's own logon? */
static int logon_param(const uint16_t *name)
{
    char nm[40];
    gw_nwrfc_uc_copy(nm, sizeof(nm), name, 40);
    return strcmp(nm, "USER") == 0 || strcmp(nm, "ALIAS_USER") == 0 || strcmp(nm, "PASSWD") == 0 ||
           strcmp(nm, "TLS_CLIENT_CERTIFICATE_LOGON") == 0;
}

static void do_open(gw_bsession_t *s)
{
    nwrfc_t *n = s->n;
    RFC_CONNECTION_PARAMETER p[MAX_PARAMS + 2];
    uint16_t *copies[MAX_PARAMS];
    unsigned np = 0, nc = 0;
    int all = 1;
    RFC_ERROR_INFO ei;
    memset(&ei, 0, sizeof(ei));
    /* copy under the lock: set_secret may replace the password meanwhile */
    pthread_mutex_lock(&n->mu);
    for (unsigned i = 0; i < n->nparams && all; i++) {
        if (s->cred_user && logon_param(n->pnames[i]))
            continue;
        size_t len = gw_nwrfc_uclen(n->pvalues[i], 4096);
        copies[nc] = malloc((len + 1) * sizeof(uint16_t));
        if (copies[nc] == NULL) {
            all = 0;
            break;
        }
        memcpy(copies[nc], n->pvalues[i], (len + 1) * sizeof(uint16_t));
        p[np].name = (SAP_UC *)n->pnames[i];
        p[np++].value = (SAP_UC *)copies[nc++];
    }
    pthread_mutex_unlock(&n->mu);
    static const uint16_t user_uc[] = {'U', 'S', 'E', 'R', 0};
    static const uint16_t alias_uc[] = {'A', 'L', 'I', 'A', 'S', '_', 'U', 'S', 'E', 'R', 0};
    static const uint16_t passwd_uc[] = {'P', 'A', 'S', 'S', 'W', 'D', 0};
    if (s->cred_user) { /* the session's own logon (an identity, a caller's credentials) */
        p[np].name = (SAP_UC *)(uintptr_t)(s->cred_alias ? alias_uc : user_uc);
        p[np++].value = (SAP_UC *)s->cred_user;
        p[np].name = (SAP_UC *)(uintptr_t)passwd_uc;
        p[np++].value = (SAP_UC *)s->cred_pw;
    }
    RFC_CONNECTION_HANDLE h = NULL;
    if (all)
        h = RfcOpenConnection(p, np, &ei);
    for (unsigned i = 0; i < nc; i++) {
        explicit_bzero(copies[i], (gw_nwrfc_uclen(copies[i], 4096) + 1) * sizeof(uint16_t));
        free(copies[i]);
    }
    if (!all) {
        local_error(s, GW_ENOMEM, "out of memory for the connection parameters");
        return;
    }
    if (h == NULL) {
        int kind = sdk_error(s, ei.code, &ei, "RfcOpenConnection");
        (void)kind;
        if (ei.code == RFC_LOGON_FAILURE)
            s->res_err = GW_ELOGON;
        else if (ei.code == RFC_COMMUNICATION_FAILURE)
            s->res_err = GW_EUNREACHABLE;
        else if (ei.code == RFC_CRYPTOLIB_FAILURE || ei.code == RFC_AUTHENTICATION_FAILURE)
            s->res_err = GW_ETLS;
        else if (s->res_err == 0)
            s->res_err = GW_ECOMM;
        return;
    }
    pthread_mutex_lock(&n->mu);
    s->h = h;
    pthread_mutex_unlock(&n->mu);
}

static void describe_with(gw_bsession_t *s, const ucname_t *nm);

static void do_describe(gw_bsession_t *s)
{
    RFC_ERROR_INFO ei;
    ucname_t nm;
    memset(&ei, 0, sizeof(ei));
    if (ucname(&nm, s->function) != 0) {
        local_error(s, GW_EINVAL, "function name is not usable");
        return;
    }
    /* rfmgw's metadata cache expired or was cleared: so should the SDK's (per system) */
    RFC_ATTRIBUTES attr;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 200 * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    if (RfcGetConnectionAttributes(s->h, &attr, &ei) == RFC_OK) {
        if (pthread_rwlock_timedwrlock(&s->n->desc_lock, &until) == 0) {
            RfcRemoveFunctionDesc(attr.sysId, nm.u, &ei); /* RFC_NOT_FOUND: not cached yet */
            pthread_rwlock_unlock(&s->n->desc_lock);
        } else {
            GW_LOGW("backend",
                    "%s: calls kept the SDK's description of %.*s in use; it is not refreshed "
                    "this time",
                    s->n->d->name, (int)s->function.len, s->function.ptr);
        }
    }
    pthread_rwlock_rdlock(&s->n->desc_lock); /* the description stays valid while read */
    describe_with(s, &nm);
    pthread_rwlock_unlock(&s->n->desc_lock);
}

static void describe_with(gw_bsession_t *s, const ucname_t *nm)
{
    RFC_ERROR_INFO ei;
    RFC_RC rc = RFC_OK;
    memset(&ei, 0, sizeof(ei));
    enter_call(s, 1);
    RFC_FUNCTION_DESC_HANDLE fd = RfcGetFunctionDesc(s->h, nm->u, &ei);
    enter_call(s, 0);
    if (fd == NULL) {
        s->res_kind = sdk_error(s, ei.code, &ei, "RfcGetFunctionDesc");
        return;
    }
    unsigned np = 0;
    rc = RfcGetParameterCount(fd, &np, &ei);
    gw_rfc_func_t *f = gw_arena_calloc(&s->wa, 1, sizeof(*f));
    gw_rfc_param_t *ps = gw_arena_calloc(&s->wa, (size_t)np + 1, sizeof(*ps));
    if (f == NULL || ps == NULL) {
        local_error(s, GW_ENOMEM, "out of memory for the description");
        return;
    }
    f->name = s->function;
    f->nparams = np;
    f->params = ps;
    for (unsigned i = 0; i < np && rc == RFC_OK; i++) {
        RFC_PARAMETER_DESC pd;
        rc = RfcGetParameterDescByIndex(fd, i, &pd, &ei);
        if (rc != RFC_OK)
            break;
        ps[i].name = uc_slice(&s->wa, pd.name, 31);
        ps[i].direction = pd.direction == RFC_IMPORT     ? GW_RFC_IMPORTING
                          : pd.direction == RFC_EXPORT   ? GW_RFC_EXPORTING
                          : pd.direction == RFC_CHANGING ? GW_RFC_CHANGING
                                                         : GW_RFC_TABLES;
        ps[i].optional = pd.optional != 0;
        ps[i].default_value = uc_slice(&s->wa, pd.defaultValue, 31);
        ps[i].text = uc_slice(&s->wa, pd.parameterText, 80);
        ps[i].type =
            make_type(s, pd.type, pd.nucLength, pd.decimals, pd.typeDescHandle, 0, &ei, &rc);
        if (rc != RFC_OK)
            break;
        if (ps[i].type == NULL || ps[i].type->type == 0) {
            local_error(s, GW_EUNSUPPORTED,
                        "%.*s: parameter %.*s has RFC type %d, which rfmgw does not support",
                        (int)s->function.len, s->function.ptr, (int)ps[i].name.len, ps[i].name.ptr,
                        (int)pd.type);
            return;
        }
    }
    if (rc != RFC_OK) {
        s->res_kind = sdk_error(s, rc, &ei, "describing the function");
        return;
    }
    s->res_desc = f;
}

static int wanted(const gw_bsession_t *s, gw_slice_t name)
{
    if (s->want == NULL)
        return 1;
    for (uint32_t i = 0; i < s->nwant; i++)
        if (gw_slice_eq(s->want[i], name))
            return 1;
    return 0;
}

static void do_call(gw_bsession_t *s)
{
    RFC_ERROR_INFO ei;
    RFC_RC rc = RFC_OK;
    ucname_t nm;
    RFC_FUNCTION_HANDLE fh = NULL;
    int locked = 0;
    memset(&ei, 0, sizeof(ei));
    if (ucname(&nm, s->function) != 0) {
        local_error(s, GW_EINVAL, "function name is not usable");
        return;
    }
    enter_call(s, 1);
    if (s->reset_first) { /* a new caller never sees the previous caller's session state */
        rc = RfcResetServerContext(s->h, &ei);
        if (rc != RFC_OK) {
            s->res_kind = sdk_error(s, rc, &ei, "RfcResetServerContext");
            goto cleanup;
        }
    }
    pthread_rwlock_rdlock(&s->n->desc_lock);
    locked = 1;
    RFC_FUNCTION_DESC_HANDLE fd = RfcGetFunctionDesc(s->h, nm.u, &ei);
    if (fd == NULL) {
        s->res_kind = sdk_error(s, ei.code, &ei, "RfcGetFunctionDesc");
        goto cleanup;
    }
    fh = RfcCreateFunction(fd, &ei);
    if (fh == NULL) {
        s->res_kind = sdk_error(s, ei.code, &ei, "RfcCreateFunction");
        goto cleanup;
    }
    if (set_fields(s, fh, s->params, s->nparams, 0, &ei, &rc) != 0) {
        if (rc != RFC_OK)
            s->res_kind = sdk_error(s, rc, &ei, "setting a parameter");
        goto cleanup;
    }
    unsigned np = 0;
    rc = RfcGetParameterCount(fd, &np, &ei);
    RFC_PARAMETER_DESC *pds = gw_arena_calloc(&s->wa, (size_t)np + 1, sizeof(*pds));
    if (pds == NULL) {
        local_error(s, GW_ENOMEM, "out of memory");
        goto cleanup;
    }
    /* parameters nobody asked for are switched off, so the backend does not send them */
    for (unsigned i = 0; i < np && rc == RFC_OK; i++) {
        rc = RfcGetParameterDescByIndex(fd, i, &pds[i], &ei);
        gw_slice_t pname = uc_slice(&s->wa, pds[i].name, 31);
        if (rc == RFC_OK && pds[i].direction == RFC_EXPORT && !wanted(s, pname))
            rc = RfcSetParameterActive(fh, pds[i].name, 0, &ei);
    }
    if (rc == RFC_OK)
        rc = RfcInvoke(s->h, fh, &ei);
    if (rc != RFC_OK) {
        s->res_kind = sdk_error(s, rc, &ei, "RfcInvoke");
        goto cleanup;
    }
    enter_call(s, 0);
    gw_rfc_field_t *res = gw_arena_calloc(&s->wa, (size_t)np + 1, sizeof(*res));
    uint32_t nres = 0;
    if (res == NULL) {
        local_error(s, GW_ENOMEM, "out of memory for the result");
        goto cleanup;
    }
    for (unsigned i = 0; i < np; i++) {
        gw_slice_t pname = uc_slice(&s->wa, pds[i].name, 31);
        if (pds[i].direction == RFC_IMPORT || !wanted(s, pname))
            continue;
        res[nres].name = pname;
        int ret = read_value(s, fh, pds[i].name, pds[i].type, pds[i].nucLength,
                             pds[i].typeDescHandle, &res[nres].value, 0, &ei, &rc);
        if (ret != 0) {
            if (rc != RFC_OK)
                s->res_kind = sdk_error(s, rc, &ei, "reading the result");
            goto cleanup;
        }
        nres++;
    }
    s->res_params = res;
    s->res_nparams = nres;
cleanup:
    enter_call(s, 0);
    if (fh)
        RfcDestroyFunction(fh, &ei); /* an error info, never NULL: not every SDK call takes NULL */
    if (locked)
        pthread_rwlock_unlock(&s->n->desc_lock);
}

static void do_simple(gw_bsession_t *s)
{
    RFC_ERROR_INFO ei;
    memset(&ei, 0, sizeof(ei));
    enter_call(s, 1);
    RFC_RC rc = s->op == OP_PING ? RfcPing(s->h, &ei) : RfcResetServerContext(s->h, &ei);
    enter_call(s, 0);
    if (rc != RFC_OK)
        s->res_kind = sdk_error(s, rc, &ei, s->op == OP_PING ? "RfcPing" : "RfcResetServerContext");
}

static void done_task(gw_task_t *task);

static void *worker_main(void *arg)
{
    nwrfc_t *n = arg;
    pthread_mutex_lock(&n->mu);
    for (;;) {
        gw_bsession_t *s = q_pop(&n->work_head, &n->work_tail);
        if (s == NULL) {
            if (n->stopping)
                break;
            pthread_cond_wait(&n->work_cv, &n->mu);
            continue;
        }
        if (s->closed) { /* nobody waits for it any more */
            unref_locked(s);
            continue;
        }
        pthread_mutex_unlock(&n->mu);
        s->res_err = 0;
        s->res_kind = K_KEEP;
        s->res_has_rfc = 0;
        s->res_detail[0] = '\0';
        s->res_params = NULL;
        s->res_nparams = 0;
        s->res_desc = NULL;
        s->res_bytes = 0;
        switch (s->op) {
        case OP_OPEN:
            do_open(s);
            break;
        case OP_DESCRIBE:
            do_describe(s);
            break;
        case OP_CALL:
            do_call(s);
            break;
        default:
            do_simple(s);
            break;
        }
        pthread_mutex_lock(&n->mu);
        /* the work's reference goes with the completion to the loop */
        q_push(&n->done_head, &n->done_tail, s);
        if (!n->task_posted && !n->stopping) {
            n->task_posted = 1;
            gw_transport_post(n->t, &n->task);
        }
    }
    pthread_mutex_unlock(&n->mu);
    return NULL;
}

static void *reaper_main(void *arg)
{
    nwrfc_t *n = arg;
    pthread_mutex_lock(&n->mu);
    for (;;) {
        gw_bsession_t *s = q_pop(&n->reap_head, &n->reap_tail);
        if (s == NULL) {
            if (n->reaper_stop)
                break;
            pthread_cond_wait(&n->reap_cv, &n->mu);
            continue;
        }
        if (s->rop == 1) {
            /* cancel the blocked call; retry while the worker has not entered it yet */
            while (s->in_call && s->h) {
                RFC_ERROR_INFO ei;
                RFC_CONNECTION_HANDLE h = s->h;
                pthread_mutex_unlock(&n->mu);
                RFC_RC rc = RfcCancel(h, &ei);
                struct timespec ts = {0, 10 * 1000000L};
                if (rc != RFC_ILLEGAL_STATE) {
                    pthread_mutex_lock(&n->mu);
                    break;
                }
                nanosleep(&ts, NULL);
                pthread_mutex_lock(&n->mu);
            }
            s->rop = 0;
            s->cancel_queued = 0;
            unref_locked(s);
            continue;
        }
        pthread_mutex_unlock(&n->mu);
        if (s->h) {
            RFC_ERROR_INFO ei;
            RfcCloseConnection(s->h, &ei); /* after RfcCancel: RFC_INVALID_HANDLE, ignored */
        }
        gw_arena_free(&s->wa);
        cred_free(s);
        free(s);
        pthread_mutex_lock(&n->mu);
    }
    pthread_mutex_unlock(&n->mu);
    return NULL;
}

/* ---- the loop side ----------------------------------------------------------------- */

/* The session failed: tell the pool once; the pool forgets it. */
static void session_die(gw_bsession_t *s, int err, const char *reason, const gw_rfc_error_t *rfc)
{
    nwrfc_t *n = s->n;
    if (s->state == S_DEAD)
        return;
    s->state = S_DEAD;
    gw_timer_stop(&s->connect_tm);
    pthread_mutex_lock(&n->mu);
    s->closed = 1;
    cancel_locked(s);
    pthread_mutex_unlock(&n->mu);
    if (s->cbs.on_dead)
        s->cbs.on_dead(s, s->ud, err, reason, rfc);
    pthread_mutex_lock(&n->mu);
    unref_locked(s); /* the pool's reference */
    pthread_mutex_unlock(&n->mu);
}

static void connect_timeout(gw_timer_t *tm)
{
    gw_bsession_t *s = (gw_bsession_t *)((char *)tm - offsetof(gw_bsession_t, connect_tm));
    char why[128];
    snprintf(why, sizeof(why), "no logon within connect_timeout_ms (%d ms)",
             s->n->d->connect_timeout_ms);
    session_die(s, GW_EUNREACHABLE, why, NULL);
}

static int copy_value(gw_arena_t *a, gw_rfc_value_t *dst, const gw_rfc_value_t *src, int depth);

static int copy_fields(gw_arena_t *a, gw_rfc_field_t **dst, const gw_rfc_field_t *src, uint32_t n,
                       int depth)
{
    gw_rfc_field_t *f = gw_arena_calloc(a, (size_t)n + 1, sizeof(*f));
    if (f == NULL)
        return GW_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        char *nm = gw_arena_strndup(a, src[i].name.ptr, src[i].name.len);
        if (nm == NULL || copy_value(a, &f[i].value, &src[i].value, depth) != 0)
            return GW_ENOMEM;
        f[i].name = (gw_slice_t){nm, src[i].name.len};
    }
    *dst = f;
    return 0;
}

/* Deep copy between arenas (the session's and the job's); depth is bounded by the decoder. */
static int copy_value(gw_arena_t *a, gw_rfc_value_t *dst, const gw_rfc_value_t *src, int depth)
{
    *dst = *src;
    if (depth > MAX_DEPTH + 2)
        return GW_ETOOBIG;
    switch (src->type) {
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4:
    case GW_RFC_INT8:
    case GW_RFC_FLOAT:
        return 0;
    case GW_RFC_STRUCTURE:
        return copy_fields(a, &dst->u.st.fields, src->u.st.fields, src->u.st.count, depth + 1);
    case GW_RFC_TABLE: {
        gw_rfc_value_t *rows = gw_arena_calloc(a, (size_t)src->u.tab.count + 1, sizeof(*rows));
        if (rows == NULL)
            return GW_ENOMEM;
        for (uint32_t r = 0; r < src->u.tab.count; r++)
            if (copy_value(a, &rows[r], &src->u.tab.rows[r], depth + 1) != 0)
                return GW_ENOMEM;
        dst->u.tab.rows = rows;
        return 0;
    }
    default: {
        char *p = gw_arena_strndup(a, src->u.s.ptr, src->u.s.len);
        if (p == NULL)
            return GW_ENOMEM;
        dst->u.s.ptr = p;
        return 0;
    }
    }
}

static gw_slice_t dup_slice(gw_arena_t *a, gw_slice_t s)
{
    char *p = gw_arena_strndup(a, s.ptr, s.len);
    return p ? (gw_slice_t){p, s.len} : (gw_slice_t){"", 0};
}

/* A finished piece of work, back on the loop. */
static void deliver(gw_bsession_t *s)
{
    if (s->op == OP_OPEN) {
        gw_timer_stop(&s->connect_tm);
        if (s->res_err) {
            session_die(s, s->res_err, s->res_detail, s->res_has_rfc ? &s->res_rfc : NULL);
            return;
        }
        s->state = S_READY;
        GW_LOGD("backend", "%s: nwrfc session open", s->n->d->name);
        s->cbs.on_ready(s, s->ud);
        return;
    }
    gw_job_t *job = s->job;
    s->job = NULL;
    s->state = S_READY;
    if (s->op == OP_CALL && !s->res_err)
        s->used = 1;
    if (s->op == OP_RESET && !s->res_err)
        s->used = 0;
    if (s->res_err && s->res_kind == K_DEAD) {
        /* the connection is gone; the pool fails the job and forgets the session */
        s->job = job;
        session_die(s, s->res_err == GW_ELOGON ? GW_ELOGON : GW_ECOMM, s->res_detail,
                    s->res_has_rfc ? &s->res_rfc : NULL);
        return;
    }
    if (s->res_err) {
        gw_job_fail(job, s->res_err, "%s", s->res_detail);
        if (s->res_has_rfc) {
            gw_rfc_error_t *r = &job->rfc, *src = &s->res_rfc;
            job->has_rfc = 1;
            r->group = src->group;
            r->key = dup_slice(job->arena, src->key);
            r->message = dup_slice(job->arena, src->message);
            r->msg_class = dup_slice(job->arena, src->msg_class);
            r->msg_type = dup_slice(job->arena, src->msg_type);
            r->msg_number = dup_slice(job->arena, src->msg_number);
            for (int i = 0; i < 4; i++)
                r->msg_v[i] = dup_slice(job->arena, src->msg_v[i]);
        }
    } else if (s->op == OP_DESCRIBE) {
        job->desc = gw_rfc_func_dup(job->arena, s->res_desc);
        if (job->desc == NULL)
            gw_job_fail(job, GW_ENOMEM, "out of memory for the description");
    } else if (s->op == OP_CALL && job->on_part) {
        /* streaming: the SDK has received the whole result, so it is one (last) part */
        gw_part_t *part = calloc(1, sizeof(*part));
        if (part == NULL ||
            copy_fields(&part->arena, &part->params, s->res_params, s->res_nparams, 0) != 0) {
            gw_part_free(part);
            gw_job_fail(job, GW_ENOMEM, "out of memory for the result");
        } else {
            part->nparams = s->res_nparams;
            part->bytes = s->res_bytes;
            if (job->on_part(job, part, 1) == GW_PART_CANCEL) {
                s->job = job; /* the pool completes it */
                session_die(s, GW_ECANCELED, "the caller went away during the call", NULL);
                return;
            }
        }
    } else if (s->op == OP_CALL && s->res_nparams) {
        if (copy_fields(job->arena, &job->result, s->res_params, s->res_nparams, 0) != 0)
            gw_job_fail(job, GW_ENOMEM, "out of memory for the result");
        else
            job->nresult = s->res_nparams;
    }
    int broken = s->res_err && s->res_kind == K_BREAK_AFTER;
    char why[300];
    if (broken)
        snprintf(why, sizeof(why), "the SDK closed the connection after: %.250s", s->res_detail);
    if (broken)
        s->state = S_BUSY; /* take no new job from on_done */
    s->cbs.on_done(s, s->ud, job);
    if (broken && s->state != S_DEAD) {
        s->state = S_READY;
        session_die(s, GW_ECOMM, why, NULL);
    }
}

static void done_task(gw_task_t *task)
{
    nwrfc_t *n = (nwrfc_t *)((char *)task - offsetof(nwrfc_t, task));
    pthread_mutex_lock(&n->mu);
    gw_bsession_t *list = n->done_head;
    n->done_head = n->done_tail = NULL;
    n->task_posted = 0;
    pthread_mutex_unlock(&n->mu);
    while (list) {
        gw_bsession_t *s = list;
        list = s->qnext;
        pthread_mutex_lock(&n->mu);
        int closed = s->closed;
        pthread_mutex_unlock(&n->mu);
        if (!closed)
            deliver(s);
        pthread_mutex_lock(&n->mu);
        unref_locked(s); /* the work's reference */
        pthread_mutex_unlock(&n->mu);
    }
}

static void enqueue(gw_bsession_t *s, int op)
{
    nwrfc_t *n = s->n;
    s->op = op;
    pthread_mutex_lock(&n->mu);
    s->refs++;
    q_push(&n->work_head, &n->work_tail, s);
    pthread_cond_signal(&n->work_cv);
    pthread_mutex_unlock(&n->mu);
}

/* A NUL-terminated UTF-16 copy of `v` into `*out`: 0, GW_EINVAL (not UTF-8) or GW_ENOMEM. */
static int uc_dup(const char *v, uint16_t **out)
{
    long len = gw_nwrfc_utf16_len(gw_slice(v));
    *out = NULL;
    if (len < 0)
        return GW_EINVAL;
    if ((*out = calloc((size_t)len + 1, sizeof(uint16_t))) == NULL)
        return GW_ENOMEM;
    gw_nwrfc_to_utf16(gw_slice(v), *out, (size_t)len + 1);
    return 0;
}

static int add_param(nwrfc_t *n, const char *name, const char *value)
{
    if (value == NULL)
        return 0;
    if (n->nparams == MAX_PARAMS)
        return GW_EINVAL;
    uint16_t *pn, *pv;
    int ret = uc_dup(name, &pn);
    if (ret == 0 && (ret = uc_dup(value, &pv)) != 0)
        free(pn);
    if (ret != 0)
        return ret;
    n->pnames[n->nparams] = pn;
    n->pvalues[n->nparams] = pv;
    n->nparams++;
    return 0;
}

static void free_params(nwrfc_t *n)
{
    for (unsigned i = 0; i < n->nparams; i++) {
        explicit_bzero(n->pvalues[i], gw_nwrfc_uclen(n->pvalues[i], 4096) * sizeof(uint16_t));
        free(n->pnames[i]);
        free(n->pvalues[i]);
    }
    n->nparams = 0;
}

static void nwrfc_destroy(void *b);

static void *nwrfc_create(gw_transport_t *t, const gw_dest_conf_t *d)
{
    nwrfc_t *n = calloc(1, sizeof(*n));
    char port[16], pport[16];
    int ret = 0;
    if (n == NULL)
        return NULL;
    n->t = t;
    n->d = d;
    n->task.fn = done_task;
    pthread_mutex_init(&n->mu, NULL);
    pthread_cond_init(&n->work_cv, NULL);
    pthread_cond_init(&n->reap_cv, NULL);
    pthread_rwlock_init(&n->desc_lock, NULL);
    /* the WebSocket RFC parameters of the destination (docs/backends.md) */
    snprintf(port, sizeof(port), "%d", d->port);
    snprintf(pport, sizeof(pport), "%d", d->nwrfc.proxy_port);
    int cert = strcmp(d->auth.method, "certificate") == 0;
    ret |= add_param(n, "WSHOST", d->host);
    ret |= add_param(n, "WSPORT", port);
    ret |= add_param(n, "TLS_CLIENT_PSE", d->nwrfc.pse);
    ret |= add_param(n, "TLS_SAPCRYPTOLIB", d->nwrfc.sapcryptolib);
    if (cert) {
        ret |= add_param(n, "TLS_CLIENT_CERTIFICATE_LOGON", "1");
    } else {
        ret |= add_param(n, d->auth.alias_user ? "ALIAS_USER" : "USER", d->auth.user);
        ret |= add_param(n, "PASSWD", d->auth.secret ? d->auth.secret : "");
    }
    if (d->client && strcmp(d->client, "by_hostname") != 0)
        ret |= add_param(n, "CLIENT", d->client);
    ret |= add_param(n, "LANG", d->language);
    if (d->nwrfc.proxy_host) {
        ret |= add_param(n, "PROXY_HOST", d->nwrfc.proxy_host);
        ret |= add_param(n, "PROXY_PORT", pport);
    }
    n->nthreads = d->nwrfc.threads > 0 ? d->nwrfc.threads : 1;
    n->threads = calloc((size_t)n->nthreads, sizeof(pthread_t));
    if (ret != 0 || n->threads == NULL) {
        GW_LOGE("backend", "%s: cannot prepare the nwrfc connection parameters", d->name);
        nwrfc_destroy(n);
        return NULL;
    }
    if (pthread_create(&n->reaper, NULL, reaper_main, n) != 0) {
        GW_LOGE("backend", "%s: cannot start the nwrfc reaper thread", d->name);
        nwrfc_destroy(n);
        return NULL;
    }
    n->reaper_started = 1;
    for (int i = 0; i < n->nthreads; i++)
        if (pthread_create(&n->threads[i], NULL, worker_main, n) != 0) {
            GW_LOGE("backend", "%s: cannot start nwrfc worker thread %d", d->name, i);
            n->nthreads = i;
            nwrfc_destroy(n);
            return NULL;
        }
    return n;
}

static void nwrfc_destroy(void *b)
{
    nwrfc_t *n = b;
    if (n == NULL)
        return;
    /* workers finish their call (closed sessions' calls were cancelled) and drop the rest */
    pthread_mutex_lock(&n->mu);
    n->stopping = 1;
    pthread_cond_broadcast(&n->work_cv);
    pthread_mutex_unlock(&n->mu);
    for (int i = 0; i < n->nthreads; i++)
        pthread_join(n->threads[i], NULL);
    /* completions the stopped loop will never run */
    pthread_mutex_lock(&n->mu);
    gw_bsession_t *s;
    while ((s = q_pop(&n->done_head, &n->done_tail)) != NULL) {
        s->closed = 1;
        unref_locked(s);
    }
    n->reaper_stop = 1;
    pthread_cond_broadcast(&n->reap_cv);
    pthread_mutex_unlock(&n->mu);
    if (n->reaper_started)
        pthread_join(n->reaper, NULL);
    free(n->threads);
    free_params(n);
    pthread_mutex_destroy(&n->mu);
    pthread_cond_destroy(&n->work_cv);
    pthread_cond_destroy(&n->reap_cv);
    pthread_rwlock_destroy(&n->desc_lock);
    free(n);
}

static void cred_free(gw_bsession_t *s)
{
    if (s->cred_pw)
        explicit_bzero(s->cred_pw, gw_nwrfc_uclen(s->cred_pw, 4096) * sizeof(uint16_t));
    free(s->cred_pw);
    free(s->cred_user);
    s->cred_pw = s->cred_user = NULL;
}

static gw_bsession_t *nwrfc_open(void *b, const gw_bcred_t *cred, const gw_bsession_cbs_t *cbs,
                                 void *ud)
{
    nwrfc_t *n = b;
    gw_bsession_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    if (cred) {
        s->cred_alias = cred->alias_user;
        if (uc_dup(cred->user, &s->cred_user) != 0 || uc_dup(cred->secret, &s->cred_pw) != 0) {
            cred_free(s);
            free(s);
            return NULL;
        }
    }
    s->n = n;
    s->cbs = *cbs;
    s->ud = ud;
    s->refs = 1; /* the pool's */
    s->state = S_OPENING;
    gw_arena_init(&s->wa, 0);
    gw_timer_start(n->t, &s->connect_tm, n->d->connect_timeout_ms, connect_timeout);
    enqueue(s, OP_OPEN);
    return s;
}

static int nwrfc_start(gw_bsession_t *s, gw_job_t *job)
{
    if (s->state != S_READY)
        return GW_ECOMM;
    /* the previous result went to its job already */
    gw_arena_free(&s->wa);
    s->function = dup_slice(&s->wa, job->function);
    s->params = NULL;
    s->nparams = 0;
    s->want = NULL;
    s->nwant = 0;
    s->reset_first = 0;
    s->stream = 0;
    int op;
    if (job->kind == GW_JOB_DESCRIBE) {
        op = OP_DESCRIBE;
    } else if (job->kind == GW_JOB_RESET) {
        op = OP_RESET;
    } else if (gw_slice_eq_str(job->function, "RFC_PING") && job->nparams == 0) {
        op = OP_PING; /* the SDK's own ping: no function handle needed */
    } else {
        op = OP_CALL;
        s->reset_first = !job->no_reset && s->used;
        s->stream = job->on_part != NULL;
        if (job->nparams && copy_fields(&s->wa, &s->params, job->params, job->nparams, 0) != 0)
            return GW_ENOMEM;
        s->nparams = job->nparams;
        if (job->want) {
            s->want = gw_arena_calloc(&s->wa, (size_t)job->nwant + 1, sizeof(*s->want));
            if (s->want == NULL)
                return GW_ENOMEM;
            for (uint32_t i = 0; i < job->nwant; i++)
                s->want[i] = dup_slice(&s->wa, job->want[i]);
            s->nwant = job->nwant;
        }
    }
    if (s->function.ptr == NULL)
        return GW_ENOMEM;
    s->job = job;
    s->state = S_BUSY;
    enqueue(s, op);
    return 0;
}

static void nwrfc_close(gw_bsession_t *s)
{
    s->cbs.on_dead = NULL;
    s->job = NULL;
    session_die(s, 0, "closed by the pool", NULL);
}

static int nwrfc_set_secret(void *b, const char *secret)
{
    nwrfc_t *n = b;
    if (secret == NULL || strcmp(n->d->auth.method, "password") != 0)
        return 0;
    uint16_t *pv;
    int ret = uc_dup(secret, &pv);
    if (ret != 0)
        return ret;
    ret = GW_EINVAL; /* until PASSWD is found */
    pthread_mutex_lock(&n->mu);
    for (unsigned i = 0; i < n->nparams; i++) {
        char nm[16];
        gw_nwrfc_uc_copy(nm, sizeof(nm), n->pnames[i], 16);
        if (strcmp(nm, "PASSWD") == 0) {
            explicit_bzero(n->pvalues[i], gw_nwrfc_uclen(n->pvalues[i], 4096) * sizeof(uint16_t));
            free(n->pvalues[i]);
            n->pvalues[i] = pv;
            pv = NULL;
            ret = 0;
        }
    }
    pthread_mutex_unlock(&n->mu);
    free(pv);
    return ret;
}

const gw_backend_ops_t gw_backend_nwrfc = {
    .name = "nwrfc",
    .create = nwrfc_create,
    .destroy = nwrfc_destroy,
    .open = nwrfc_open,
    .start = nwrfc_start,
    .close = nwrfc_close,
    .set_secret = nwrfc_set_secret,
};
