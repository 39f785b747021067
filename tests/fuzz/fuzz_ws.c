/*
 * libFuzzer target: arbitrary bytes → the WebSocket frame receiver
 * (transport/ws_internal.h). The input is one byte stream from the server.
 * It is fed three ways — whole; in pieces whose sizes come from the first
 * input byte; whole again but with callbacks that stop now and then and a
 * caller that resumes — and the three must report the same events (each
 * message's bytes, each control frame with the message bytes before it,
 * the protocol error and its reason, the data of an unfinished message)
 * and end in the same receiver state. Never a crash, a read out of bounds,
 * an empty data piece or an oversized control payload.
 */
#include "transport/ws_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* Message bytes kept for the comparison; beyond this they are only counted and hashed. */
#define KEEP_MAX (1u << 20)

typedef struct {
    uint8_t *p;
    size_t len, cap;
} buf_t;

static void buf_add(buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        CHECK(b->p != NULL);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void buf_u64(buf_t *b, uint64_t v)
{
    buf_add(b, &v, sizeof(v));
}

typedef struct {
    gw__ws_rx_t rx;
    buf_t log;          /* the events, serialized */
    buf_t cur;          /* kept bytes of the open message */
    uint64_t total;     /* all bytes of the open message */
    uint64_t hash;      /* FNV-1a of all bytes of the open message */
    uint32_t stop_seed; /* 0: never stop; else an xorshift state deciding when to */
    int stopped;        /* a callback asked to stop during this call */
} rec_t;

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static int maybe_stop(rec_t *r)
{
    if (r->stop_seed == 0 || xorshift(&r->stop_seed) % 3 != 0)
        return 0;
    r->stopped = 1;
    return 1;
}

/* The message so far: its length, hash and the bytes kept. */
static void log_pending(rec_t *r)
{
    buf_u64(&r->log, r->total);
    buf_u64(&r->log, r->hash);
    buf_u64(&r->log, r->cur.len);
    buf_add(&r->log, r->cur.p, r->cur.len);
}

static int on_data(void *ud, const uint8_t *p, size_t n)
{
    rec_t *r = ud;
    CHECK(n > 0 && p != NULL);
    for (size_t i = 0; i < n; i++)
        r->hash = (r->hash ^ p[i]) * 0x100000001b3u;
    r->total += n;
    if (r->cur.len < KEEP_MAX)
        buf_add(&r->cur, p, n < KEEP_MAX - r->cur.len ? n : KEEP_MAX - r->cur.len);
    return maybe_stop(r);
}

static int on_end(void *ud)
{
    rec_t *r = ud;
    buf_add(&r->log, "M", 1);
    log_pending(r);
    r->cur.len = 0;
    r->total = 0;
    r->hash = 0xcbf29ce484222325u;
    return maybe_stop(r);
}

static int on_control(void *ud, int op, const uint8_t *p, size_t n)
{
    rec_t *r = ud;
    CHECK(op == GW__WS_CLOSE || op == GW__WS_PING || op == GW__WS_PONG);
    CHECK(n <= 125);
    CHECK(n == 0 || p != NULL);
    uint8_t c = (uint8_t)op;
    buf_add(&r->log, "C", 1);
    buf_add(&r->log, &c, 1);
    buf_u64(&r->log, n);
    buf_add(&r->log, p, n);
    /* Where it came: after all data of the frames before it. */
    buf_u64(&r->log, r->total);
    return maybe_stop(r);
}

static const gw__ws_rx_cbs_t cbs = {on_data, on_end, on_control};

static void rec_init(rec_t *r, uint32_t stop_seed)
{
    memset(r, 0, sizeof(*r));
    r->hash = 0xcbf29ce484222325u;
    r->stop_seed = stop_seed;
}

static void rec_free(rec_t *r)
{
    free(r->log.p);
    free(r->cur.p);
}

/*
 * Feeds `n` bytes in one call, resuming after each stop. Returns 0, or -1
 * after logging a protocol error.
 */
static int feed(rec_t *r, const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        const char *why = NULL;
        r->stopped = 0;
        ssize_t k = gw__ws_rx_feed(&r->rx, p + off, n - off, &cbs, r, &why);
        if (k < 0) {
            CHECK(k == -1);
            CHECK(why != NULL && why[0] != '\0');
            buf_add(&r->log, "E", 1);
            buf_add(&r->log, why, strlen(why) + 1);
            log_pending(r);
            return -1;
        }
        CHECK((size_t)k <= n - off);
        /* Fewer bytes only when a callback asked to stop (none: the end of a frame whose last
         * piece stopped the feed before is reported first) */
        CHECK((size_t)k == n - off || r->stopped);
        off += (size_t)k;
    }
    /* an end still due after a stop on the last piece: an empty feed reports it */
    for (int i = 0; i < 2; i++) {
        const char *why = NULL;
        r->stopped = 0;
        CHECK(gw__ws_rx_feed(&r->rx, p + n, 0, &cbs, r, &why) == 0);
        if (!r->stopped)
            break;
    }
    return 0;
}

/* At the end of the input: the open message's data and the receiver's state. */
static void finish(rec_t *r)
{
    buf_add(&r->log, "F", 1);
    log_pending(r);
    const gw__ws_rx_t *s = &r->rx;
    uint8_t st[6] = {s->hlen, s->in_payload, s->in_message, s->opcode, s->fin, s->ctl_len};
    buf_add(&r->log, st, sizeof(st));
    buf_u64(&r->log, s->remaining);
    buf_add(&r->log, s->hdr, s->hlen);
    CHECK(s->hlen <= GW__WS_MAX_HEADER);
    CHECK(s->ctl_len <= sizeof(s->ctl));
    if (s->in_payload && s->opcode >= GW__WS_CLOSE)
        buf_add(&r->log, s->ctl, s->ctl_len);
}

static int same(const rec_t *a, const rec_t *b)
{
    return a->log.len == b->log.len &&
           (a->log.len == 0 || memcmp(a->log.p, b->log.p, a->log.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte picks the largest piece and the seed; it is part of the stream too. */
    static const size_t maxes[8] = {1, 2, 3, 5, 8, 16, 64, 1024};
    uint32_t seed = size ? 0x9e3779b9u ^ ((uint32_t)data[0] * 0x01000193u) : 1;
    size_t max = size ? maxes[data[0] & 7] : 1;

    rec_t whole, split, stops;
    rec_init(&whole, 0);
    rec_init(&split, 0);
    rec_init(&stops, seed | 1);

    int err = feed(&whole, data, size);
    if (err == 0)
        finish(&whole);

    int serr = 0;
    for (size_t off = 0; off < size && serr == 0;) {
        size_t k = 1 + xorshift(&seed) % max;
        if (k > size - off)
            k = size - off;
        serr = feed(&split, data + off, k);
        off += k;
    }
    if (serr == 0)
        finish(&split);

    if (feed(&stops, data, size) == 0)
        finish(&stops);

    CHECK(same(&whole, &split));
    CHECK(same(&whole, &stops));
    rec_free(&whole);
    rec_free(&split);
    rec_free(&stops);
    return 0;
}
