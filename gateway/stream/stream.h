/*
 * stream: an NDJSON answer written while the backend's result is still
 * arriving, part by part (docs/mappings.md, "Streaming large tables").
 *
 *   {"@head":{…the other returned parameters, shaped by the route…}}
 *   {…one row of the streamed table…}
 *   …
 *   {"@end":{"rows":N}}                  or, after a failure,
 *   {"@error":{…problem+json…}}
 *
 * ABAP names never start with '@', so the three envelope lines cannot be
 * mistaken for rows. Memory stays bounded: the loop thread queues decoded
 * parts; past `high_water` bytes it is told to stop reading from the
 * backend (GW_PART_FULL) until the HTTP side has written the queue down to
 * half of that. The HTTP side turns one part at a time into text inside
 * libmicrohttpd's content reader and suspends the connection while the
 * queue is empty, so a slow client costs neither CPU nor memory.
 *
 * Threads: push/poll/end run on the loop thread, the response's reader on
 * an HTTP thread; a mutex guards what they share. The stream is reference
 * counted (the request, the call, the response).
 */
#ifndef GW_STREAM_H
#define GW_STREAM_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <microhttpd.h>

#include "backend/backend.h"
#include "route/route.h"

#include <jansson.h>

typedef struct gw_stream gw_stream_t;

typedef struct {
    const gw_route_t *route;     /* shaping of the head line; row options */
    const gw_rfc_func_t *desc;   /* the function (outlives the stream) */
    const gw_rfc_param_t *table; /* the TABLE parameter whose rows become lines */
    const char *fields;          /* the caller's ?fields= projection for the head, or NULL */
    size_t high_water;           /* queued bytes past which the backend is paused */
    void (*resumed)(void *ud);   /* optional: called after the stream resumed its connection */
    void *resumed_ud;
} gw_stream_conf_t;

/**
 * Creates a stream for the request on `conn` with one reference (the
 * request's). Strings in `c` are copied. NULL on out-of-memory.
 */
gw_stream_t *gw_stream_create(struct MHD_Connection *conn, const gw_stream_conf_t *c);
/** Gives back a reference; NULL is fine. */
void gw_stream_release(gw_stream_t *st);

/* ---- loop thread ---- */

/** Takes a part over; returns GW_PART_OK, GW_PART_FULL or GW_PART_CANCEL. */
int gw_stream_push(gw_stream_t *st, gw_part_t *part);
/** While the backend is paused: GW_PART_OK to read again, GW_PART_FULL, GW_PART_CANCEL. */
int gw_stream_poll(gw_stream_t *st);
/**
 * The call is over: `problem` (stolen; NULL = success) becomes the final
 * `@error` line, otherwise `@end` closes the stream.
 */
void gw_stream_end(gw_stream_t *st, json_t *problem);

/* ---- HTTP thread ---- */

/** Returns 1 once a part has been pushed. */
int gw_stream_started(gw_stream_t *st);
/** The first part (before the response exists), for checks such as BAPI RETURN; NULL if none. */
const gw_part_t *gw_stream_first(gw_stream_t *st);
/**
 * Abandons the stream without answering from it (another answer was sent,
 * or the caller went away): the next push or poll returns GW_PART_CANCEL.
 */
void gw_stream_cancel(gw_stream_t *st);
/**
 * The chunked 200 response that writes the stream; it holds a reference of
 * its own. NULL on out-of-memory.
 */
struct MHD_Response *gw_stream_response(gw_stream_t *st);
/** Rows written to the response so far (for logs). */
uint64_t gw_stream_rows(gw_stream_t *st);
/** Bytes of the answer's body handed to libmicrohttpd so far (for logs). */
uint64_t gw_stream_bytes(gw_stream_t *st);

#endif
