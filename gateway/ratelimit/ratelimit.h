/*
 * ratelimit: token buckets keyed by a string (a caller identity, a route),
 * with bounded memory.
 *
 * A bucket holds up to `burst` tokens and refills at `rate` per second; a
 * request takes one token or is refused with the seconds until one is
 * there (Retry-After). At most `max_keys` buckets are kept: when a new key
 * would exceed that, the least recently used bucket is dropped (a dropped
 * bucket comes back full, which errs on the caller's side only for keys
 * idle long enough to be the oldest). Thread-safe: one mutex, O(1) per call.
 */
#ifndef GW_RATELIMIT_H
#define GW_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct gw_ratelimit gw_ratelimit_t;

/** A limiter of `rate` tokens per second (> 0) and bucket size `burst` (>= 1). NULL on OOM. */
gw_ratelimit_t *gw_ratelimit_create(int rate, int burst, size_t max_keys);
void gw_ratelimit_destroy(gw_ratelimit_t *rl);

/**
 * Takes a token from `key`'s bucket at `now_ms` (a monotonic clock). With
 * `peek` nothing is taken. Returns 0 when a token was (or would be) there,
 * otherwise the whole seconds until one is (at least 1).
 */
int gw_ratelimit_take(gw_ratelimit_t *rl, const char *key, int64_t now_ms, int peek);

/** Number of buckets kept (for tests). */
size_t gw_ratelimit_count(gw_ratelimit_t *rl);

#endif
