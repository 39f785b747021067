/*
 * idem: the store behind the `Idempotency-Key` request header.
 *
 * An entry is identified by (caller, route, key): the caller is the opaque
 * name of the authenticated client (never its credentials), so callers never
 * see each other's responses, and the same key on two routes is two entries.
 * Each entry also remembers the SHA-256 of the first request's body.
 *
 * Flow in the HTTP layer, for a non-read-only route with the header:
 *
 *   gw_idem_begin() →
 *     GW_IDEM_NEW       call the backend, then gw_idem_finish() or
 *                       gw_idem_abandon() with the ticket, exactly once;
 *     GW_IDEM_REPLAY    send the recorded response (a copy) instead;
 *     GW_IDEM_IN_FLIGHT 409: the first request with this key is still running;
 *     GW_IDEM_UNKNOWN   409: the outcome of the first request is unknown;
 *     GW_IDEM_MISMATCH  422: the key was used with a different body.
 *   GW_EINVAL   → 400 (key empty or longer than GW_IDEM_KEY_MAX bytes);
 *   GW_ECAPACITY → 503 (the store is full of requests still in flight).
 *
 * Recording rules (what the HTTP layer passes to which function):
 *
 * - gw_idem_finish() with the final response, whatever its status, once the
 *   backend was reached and answered: 2xx, 422 (BAPI RETURN / ABAP
 *   exceptions), 403 (backend authorisation), 502 ABAP runtime errors. A
 *   retry gets the same answer; the function is never executed twice.
 * - gw_idem_finish() with status 504, or gw_idem_finish_unknown(), when the
 *   backend may or may not have executed the call: a timeout, a connection
 *   lost after the request was sent, or a failure of the gateway after the
 *   call returned (e.g. out of memory while encoding its answer). Replaying
 *   the 504 would hide a possible success and executing again could book
 *   twice, so the key stays blocked: retries get GW_IDEM_UNKNOWN (answer
 *   409 "the outcome of the first request is unknown") until the retention
 *   ends; the client must check in the backend before using a new key.
 * - gw_idem_abandon() for every answer produced before the request reached
 *   the backend (400/413/415 input errors, 503 no capacity or shutting
 *   down, 502 backend unreachable / logon failed before the call was sent):
 *   nothing ran, so the key is forgotten and a retry executes normally.
 *
 * A response larger than `max_response` (content type + headers + body), or
 * one that does not fit into `max_bytes` even after evicting every completed
 * entry, or that cannot be copied (out of memory), is NOT recorded: the
 * entry is dropped, gw_idem_finish() returns an error for the logs and a
 * retry calls the backend again. Size `max_response` above the largest
 * answer of a non-idempotent function to avoid this.
 *
 * Bounds: retention counts from gw_idem_begin(). Entries older than
 * `retention_ms` are removed lazily by gw_idem_begin() and by
 * gw_idem_expire(), which the owner calls periodically. In-flight entries
 * expire too (so a leaked ticket cannot block a key forever): keep the
 * retention far above the longest request timeout. When `max_entries` or
 * `max_bytes` would be exceeded, the oldest completed entries (recorded or
 * unknown, by completion time) are evicted first; in-flight entries are
 * never evicted, and when only they remain gw_idem_begin() fails with
 * GW_ECAPACITY. Every operation is O(1) on average (a keyed hash table plus
 * two ordered lists); the store is thread-safe (one mutex; response copies
 * are made outside it).
 */
#ifndef GW_IDEM_H
#define GW_IDEM_H

#include "base/base.h"

#include <stddef.h>
#include <stdint.h>

/** Longest accepted Idempotency-Key, in bytes. */
#define GW_IDEM_KEY_MAX 255

/** Defaults used for a zero field of gw_idem_limits_t. */
#define GW_IDEM_DEFAULT_MAX_ENTRIES  10000
#define GW_IDEM_DEFAULT_MAX_BYTES    ((size_t)64 * 1024 * 1024)
#define GW_IDEM_DEFAULT_RETENTION_MS ((int64_t)24 * 60 * 60 * 1000)
#define GW_IDEM_DEFAULT_MAX_RESPONSE ((size_t)1024 * 1024)

typedef struct gw_idem gw_idem_t;

/** Limits of a store; a zero field takes its GW_IDEM_DEFAULT_* value. */
typedef struct {
    size_t max_entries;   /* entries of any state */
    size_t max_bytes;     /* bookkeeping + strings + recorded responses */
    int64_t retention_ms; /* age (since gw_idem_begin) after which an entry is forgotten */
    size_t max_response;  /* largest response (content type + headers + body) recorded */
    /** Clock in milliseconds for tests; NULL = gw_now_ms(). Must be monotonic. */
    int64_t (*now_ms)(void *arg);
    void *now_arg;
} gw_idem_limits_t;

/** What gw_idem_begin() found. */
typedef enum {
    GW_IDEM_NEW,       /* no entry: one was created in flight; the caller owns the ticket */
    GW_IDEM_REPLAY,    /* a recorded response was copied to *out */
    GW_IDEM_IN_FLIGHT, /* the first request with this key has not finished */
    GW_IDEM_MISMATCH,  /* the key was first used with a different body */
    GW_IDEM_UNKNOWN    /* the first request ended with an unknown outcome (e.g. 504) */
} gw_idem_state_t;

/**
 * A response. `content_type` is NUL-terminated (may be NULL); `headers` holds
 * extra header lines "Name: value\r\n" (may be NULL, `headers_len` bytes, a
 * copy is NUL-terminated too); `body` has `body_len` bytes (NULL when 0).
 */
typedef struct {
    int status;
    char *content_type;
    char *headers;
    size_t headers_len;
    uint8_t *body;
    size_t body_len;
} gw_idem_response_t;

/**
 * Creates a store with the limits `lim` (NULL = all defaults; copied).
 * Returns NULL when out of memory. Free it with gw_idem_destroy().
 */
gw_idem_t *gw_idem_create(const gw_idem_limits_t *lim);

/** Frees the store and every entry; outstanding tickets become invalid. NULL is a no-op. */
void gw_idem_destroy(gw_idem_t *s);

/**
 * Computes the SHA-256 of a request body into `out` (the `hash` argument of
 * gw_idem_begin()). Returns 0, or GW_ENOMEM when OpenSSL fails.
 */
int gw_idem_hash(const void *body, size_t len, uint8_t out[32]);

/**
 * Looks up (caller, route, key) with the request body's hash and sets
 * *state (see the top of this header). On GW_IDEM_NEW *ticket receives a
 * non-zero ticket that must be passed to exactly one of gw_idem_finish(),
 * gw_idem_finish_unknown() or gw_idem_abandon(); otherwise *ticket is 0. On
 * GW_IDEM_REPLAY *out receives a copy the caller frees with
 * gw_idem_response_free(); otherwise *out is zeroed. A different body
 * gives GW_IDEM_MISMATCH whatever the state of the entry. The strings are
 * copied. Returns 0; GW_EINVAL for an empty key, one longer than
 * GW_IDEM_KEY_MAX or a NULL argument; GW_ECAPACITY when no room can be
 * made (only in-flight entries left); GW_ENOMEM.
 */
int gw_idem_begin(gw_idem_t *s, gw_slice_t caller, gw_slice_t route, gw_slice_t key,
                  const uint8_t hash[32], gw_idem_state_t *state, gw_idem_response_t *out,
                  uint64_t *ticket);

/**
 * Completes the in-flight entry of `ticket` with `resp` (copied; the caller
 * keeps its own). Status 504 records the outcome as unknown (see
 * gw_idem_finish_unknown()). Consumes the ticket in every case. Returns 0;
 * GW_EINVAL for an unknown ticket (already finished, abandoned, expired);
 * and, with the entry dropped so that a retry executes again: GW_EINVAL for
 * an invalid response (status outside 100..599, NULL data with a length),
 * GW_ETOOBIG when it exceeds `max_response`, GW_ECAPACITY when it cannot
 * fit into `max_bytes`, GW_ENOMEM.
 */
int gw_idem_finish(gw_idem_t *s, uint64_t ticket, const gw_idem_response_t *resp);

/**
 * Completes the in-flight entry of `ticket` as "outcome unknown": later
 * begins get GW_IDEM_UNKNOWN until the entry expires or is evicted. Use it
 * when the backend may have executed the call but its result is lost.
 * Returns 0 or GW_EINVAL for an unknown ticket.
 */
int gw_idem_finish_unknown(gw_idem_t *s, uint64_t ticket);

/**
 * Forgets the in-flight entry of `ticket`: the request failed before the
 * backend was reached, so a retry must execute. Unknown tickets are ignored.
 */
void gw_idem_abandon(gw_idem_t *s, uint64_t ticket);

/**
 * Removes every entry (of any state) begun at or before `now_ms -
 * retention_ms`, in the store's clock. Returns how many were removed.
 */
size_t gw_idem_expire(gw_idem_t *s, int64_t now_ms);

/** Frees the members of a response copy from gw_idem_begin() and zeroes it. NULL is a no-op. */
void gw_idem_response_free(gw_idem_response_t *r);

/** The number of entries of any state (for metrics and tests). */
size_t gw_idem_count(gw_idem_t *s);

/** The bytes accounted against `max_bytes` (for metrics and tests). */
size_t gw_idem_bytes(gw_idem_t *s);

#endif
