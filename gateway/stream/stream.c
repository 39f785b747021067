/* stream: NDJSON answers written while the result arrives (see stream.h). */
#include "stream/stream.h"
#include "codec/codec.h"
#include "error/error.h"
#include "log/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE (64 * 1024) /* libmicrohttpd's buffer for each reader call */

struct gw_stream {
    pthread_mutex_t mu;
    int refs;
    struct MHD_Connection *conn;
    gw_stream_conf_t c;
    char *fields;
    /* shared, under mu */
    gw_part_t *head, *tail; /* decoded parts not yet written */
    size_t queued;          /* their wire bytes */
    int started;            /* a part was pushed */
    int ended;              /* the call is over */
    int cancelled;          /* nobody reads any more */
    int suspended;          /* the reader suspended the connection, waiting for a part */
    json_t *problem;        /* what ended the call, NULL = success */
    /* the reader's own */
    gw_buf_t out;
    size_t off;
    int first_done;      /* the @head line is written */
    int last_done;       /* the @end or @error line is written */
    atomic_ullong rows;  /* written by the reader, read for logs from the loop thread */
    atomic_ullong bytes; /* handed to libmicrohttpd by the reader (the answer's body so far) */
};

gw_stream_t *gw_stream_create(struct MHD_Connection *conn, const gw_stream_conf_t *c)
{
    gw_stream_t *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    if (c->fields && (st->fields = strdup(c->fields)) == NULL) {
        free(st);
        return NULL;
    }
    pthread_mutex_init(&st->mu, NULL);
    st->refs = 1;
    st->conn = conn;
    st->c = *c;
    st->c.fields = st->fields;
    gw_buf_init(&st->out, 0);
    return st;
}

static void ref(gw_stream_t *st)
{
    pthread_mutex_lock(&st->mu);
    st->refs++;
    pthread_mutex_unlock(&st->mu);
}

void gw_stream_release(gw_stream_t *st)
{
    if (st == NULL)
        return;
    pthread_mutex_lock(&st->mu);
    int left = --st->refs;
    pthread_mutex_unlock(&st->mu);
    if (left > 0)
        return;
    while (st->head) {
        gw_part_t *p = st->head;
        st->head = p->next;
        gw_part_free(p);
    }
    json_decref(st->problem);
    gw_buf_free(&st->out);
    free(st->fields);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

/* Under mu: wakes the reader when it waits for something. */
static void wake(gw_stream_t *st)
{
    if (st->suspended) {
        st->suspended = 0;
        MHD_resume_connection(st->conn);
        if (st->c.resumed)
            st->c.resumed(st->c.resumed_ud);
    }
}

int gw_stream_push(gw_stream_t *st, gw_part_t *part)
{
    pthread_mutex_lock(&st->mu);
    if (st->cancelled) {
        pthread_mutex_unlock(&st->mu);
        gw_part_free(part);
        return GW_PART_CANCEL;
    }
    part->next = NULL;
    if (st->tail)
        st->tail->next = part;
    else
        st->head = part;
    st->tail = part;
    st->queued += part->bytes;
    st->started = 1;
    int full = st->queued > st->c.high_water;
    wake(st);
    pthread_mutex_unlock(&st->mu);
    return full ? GW_PART_FULL : GW_PART_OK;
}

int gw_stream_poll(gw_stream_t *st)
{
    pthread_mutex_lock(&st->mu);
    int r = st->cancelled                       ? GW_PART_CANCEL
            : st->queued > st->c.high_water / 2 ? GW_PART_FULL
                                                : GW_PART_OK;
    pthread_mutex_unlock(&st->mu);
    return r;
}

void gw_stream_end(gw_stream_t *st, json_t *problem)
{
    pthread_mutex_lock(&st->mu);
    st->ended = 1;
    st->problem = problem;
    wake(st);
    pthread_mutex_unlock(&st->mu);
}

int gw_stream_started(gw_stream_t *st)
{
    pthread_mutex_lock(&st->mu);
    int s = st->started;
    pthread_mutex_unlock(&st->mu);
    return s;
}

const gw_part_t *gw_stream_first(gw_stream_t *st)
{
    pthread_mutex_lock(&st->mu);
    const gw_part_t *p = st->first_done ? NULL : st->head;
    pthread_mutex_unlock(&st->mu);
    return p;
}

void gw_stream_cancel(gw_stream_t *st)
{
    pthread_mutex_lock(&st->mu);
    st->cancelled = 1;
    pthread_mutex_unlock(&st->mu);
}

uint64_t gw_stream_bytes(gw_stream_t *st)
{
    return atomic_load_explicit(&st->bytes, memory_order_relaxed);
}

uint64_t gw_stream_rows(gw_stream_t *st)
{
    return atomic_load_explicit(&st->rows, memory_order_relaxed);
}

/*
 * Writes one part as lines: the @head line (first part) or a @more line
 * (parameters other than the streamed table in a later part), then a line
 * per row of the streamed table.
 */
static int write_part(gw_stream_t *st, const gw_part_t *p)
{
    gw_buf_t *o = &st->out;
    const gw_rfc_field_t *rows = NULL;
    gw_rfc_field_t *other = calloc((size_t)p->nparams + 1, sizeof(*other));
    uint32_t n = 0;
    if (other == NULL)
        return GW_ENOMEM;
    for (uint32_t i = 0; i < p->nparams; i++) {
        if (gw_slice_eq(p->params[i].name, st->c.table->name) &&
            p->params[i].value.type == GW_RFC_TABLE)
            rows = &p->params[i];
        else
            other[n++] = p->params[i];
    }
    if (!st->first_done || n > 0) {
        gw_buf_append(o, st->first_done ? "{\"@more\":" : "{\"@head\":", 9);
        int ret = gw_route_write_result(o, st->c.route, st->c.desc, other, n, st->c.fields);
        if (ret != 0) {
            free(other);
            return ret;
        }
        gw_buf_append(o, "}\n", 2);
        st->first_done = 1;
    }
    free(other);
    const gw_rfc_typedesc_t *line = st->c.table->type ? st->c.table->type->line : NULL;
    for (uint32_t i = 0; rows && i < rows->value.u.tab.count; i++) {
        int ret = gw_codec_value_write(o, &rows->value.u.tab.rows[i], line, &st->c.route->opts);
        if (ret != 0)
            return ret;
        gw_buf_append(o, "\n", 1);
        atomic_fetch_add_explicit(&st->rows, 1, memory_order_relaxed);
    }
    return o->failed ? GW_ENOMEM : 0;
}

/* The last line: @end after success, @error after a failure. */
static void write_last(gw_stream_t *st, json_t *problem)
{
    if (!st->first_done) { /* no part came: still a well-formed stream */
        gw_buf_append(&st->out, "{\"@head\":{}}\n", 13);
        st->first_done = 1;
    }
    if (problem) {
        char *text = json_dumps(problem, JSON_COMPACT);
        gw_buf_printf(&st->out, "{\"@error\":%s}\n",
                      text ? text : "{\"title\":\"Out of memory\",\"status\":500}");
        free(text);
    } else {
        gw_buf_printf(&st->out, "{\"@end\":{\"rows\":%llu}}\n",
                      (unsigned long long)atomic_load_explicit(&st->rows, memory_order_relaxed));
    }
    st->last_done = 1;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    gw_stream_t *st = cls;
    (void)pos;
    for (;;) {
        if (st->off < st->out.len) {
            size_t n = st->out.len - st->off;
            if (n > max)
                n = max;
            memcpy(buf, st->out.data + st->off, n);
            st->off += n;
            atomic_fetch_add_explicit(&st->bytes, n, memory_order_relaxed);
            return (ssize_t)n;
        }
        st->out.len = st->off = 0;
        st->out.failed = 0;
        if (st->last_done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        pthread_mutex_lock(&st->mu);
        gw_part_t *p = st->head;
        if (p) {
            st->head = p->next;
            if (st->head == NULL)
                st->tail = NULL;
            st->queued -= p->bytes;
        } else if (!st->ended) {
            /* nothing to write yet: park the connection until push() or end() wakes it */
            st->suspended = 1;
            MHD_suspend_connection(st->conn);
            pthread_mutex_unlock(&st->mu);
            return 0;
        }
        json_t *problem = p ? NULL : json_incref(st->problem);
        pthread_mutex_unlock(&st->mu);
        if (p) {
            int ret = write_part(st, p);
            gw_part_free(p);
            if (ret != 0) {
                /* cannot write the rows: end with an error line, and stop the call */
                GW_LOGW("stream", "cannot write a result part as NDJSON: %s", gw_strerror(ret));
                gw_stream_cancel(st);
                st->out.len = st->off = 0;
                st->out.failed = 0;
                json_t *e =
                    json_pack("{s:s,s:s,s:i,s:s}", "type", GW_PROBLEM_TYPE_PREFIX "out-of-memory",
                              "title", gw_strerror(ret), "status", 500, "detail",
                              "cannot write the rows; the stream ends here");
                write_last(st, e);
                json_decref(e);
            }
        } else {
            write_last(st, problem);
            json_decref(problem);
        }
    }
}

static void reader_free(void *cls)
{
    gw_stream_t *st = cls;
    gw_stream_cancel(st); /* the caller went away (or the answer is complete): stop the call */
    gw_stream_release(st);
}

struct MHD_Response *gw_stream_response(gw_stream_t *st)
{
    ref(st);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK_SIZE, reader, st, reader_free);
    if (r == NULL)
        gw_stream_release(st);
    return r;
}
