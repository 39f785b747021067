/*
 * Unit tests of transport/ws: the exact bytes of client frame headers at
 * every length form, masking against a byte-wise reference at every length
 * and alignment, and the frame receiver — messages, fragments, control
 * frames between fragments, the same events however the stream is split,
 * stopping and resuming from each callback, and every protocol violation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "transport/ws_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growable byte buffer -------------------------------------------- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} bytes_t;

static void bytes_add(bytes_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void bytes_free(bytes_t *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* Appends an unmasked server frame: first byte `b0`, the shortest length form, the payload. */
static void frame(bytes_t *b, uint8_t b0, const void *payload, size_t n)
{
    uint8_t h[10];
    size_t hl = 0;
    h[hl++] = b0;
    if (n < 126) {
        h[hl++] = (uint8_t)n;
    } else if (n <= 0xffff) {
        h[hl++] = 126;
        h[hl++] = (uint8_t)(n >> 8);
        h[hl++] = (uint8_t)n;
    } else {
        h[hl++] = 127;
        for (int i = 7; i >= 0; i--)
            h[hl++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    bytes_add(b, h, hl);
    bytes_add(b, payload, n);
}

/* A deterministic pattern, so that misplaced bytes show. */
static uint8_t *pattern(size_t n, uint8_t seed)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
    return p;
}

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* ---- a recording receiver ---------------------------------------------- */

#define MAX_EVENTS 32

typedef struct {
    gw__ws_rx_t rx;
    bytes_t cur;  /* data of the message being received */
    bytes_t msgs; /* data of all complete messages, concatenated */
    size_t ends;  /* complete messages */
    size_t msg_len[MAX_EVENTS];
    size_t nctl; /* control frames */
    int ctl_op[MAX_EVENTS];
    uint8_t ctl[MAX_EVENTS][125];
    size_t ctl_n[MAX_EVENTS];
    size_t ctl_at[MAX_EVENTS]; /* data bytes of the open message when the control frame came */
    bytes_t log;               /* every event as text, independent of how the input was split */
    size_t data_calls;
    /* Stop after the nth data / end / control event (1-based; 0: never). */
    size_t stop_data, stop_end, stop_ctl;
    size_t nctl_seen;
} rec_t;

static void logf_(rec_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(rec_t *r, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    bytes_add(&r->log, buf, (size_t)n);
}

/* FNV-1a: a message's bytes in the log without the log growing with them. */
static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

static int on_data(void *ud, const uint8_t *p, size_t n)
{
    rec_t *r = ud;
    assert_true(n > 0);
    bytes_add(&r->cur, p, n);
    r->data_calls++;
    return r->stop_data && r->data_calls == r->stop_data;
}

static int on_end(void *ud)
{
    rec_t *r = ud;
    assert_true(r->ends < MAX_EVENTS);
    logf_(r, "msg %zu %016llx;", r->cur.len, (unsigned long long)fnv(r->cur.p, r->cur.len));
    r->msg_len[r->ends++] = r->cur.len;
    bytes_add(&r->msgs, r->cur.p, r->cur.len);
    r->cur.len = 0;
    return r->stop_end && r->ends == r->stop_end;
}

static int on_control(void *ud, int op, const uint8_t *p, size_t n)
{
    rec_t *r = ud;
    assert_true(r->nctl < MAX_EVENTS);
    assert_true(n <= 125);
    logf_(r, "ctl %d %zu at %zu:", op, n, r->cur.len);
    for (size_t i = 0; i < n; i++)
        logf_(r, "%02x", p[i]);
    logf_(r, ";");
    r->ctl_op[r->nctl] = op;
    memcpy(r->ctl[r->nctl], p, n);
    r->ctl_n[r->nctl] = n;
    r->ctl_at[r->nctl] = r->cur.len;
    r->nctl++;
    r->nctl_seen++;
    return r->stop_ctl && r->nctl_seen == r->stop_ctl;
}

static const gw__ws_rx_cbs_t cbs = {on_data, on_end, on_control};

static void rec_init(rec_t *r)
{
    memset(r, 0, sizeof(*r));
}

static void rec_free(rec_t *r)
{
    bytes_free(&r->cur);
    bytes_free(&r->msgs);
    bytes_free(&r->log);
}

/* Feeds `n` bytes that must all be consumed without an error. */
static void feed_ok(rec_t *r, const uint8_t *p, size_t n)
{
    const char *why = NULL;
    ssize_t k = gw__ws_rx_feed(&r->rx, p, n, &cbs, r, &why);
    if (k < 0)
        fail_msg("unexpected protocol error: %s", why ? why : "(no reason)");
    assert_int_equal(k, n);
}

/* Feeds `n` bytes in pieces of 1..max bytes (max 0: byte by byte), the sizes from `seed`. */
static void feed_chunks(rec_t *r, const uint8_t *p, size_t n, size_t max, uint32_t seed)
{
    size_t off = 0;
    while (off < n) {
        size_t k = max ? 1 + xorshift(&seed) % max : 1;
        if (k > n - off)
            k = n - off;
        feed_ok(r, p + off, k);
        off += k;
    }
}

/* Feeds `n` bytes that must end in a protocol error; returns its reason. */
static const char *feed_err(rec_t *r, const uint8_t *p, size_t n)
{
    const char *why = NULL;
    ssize_t k = gw__ws_rx_feed(&r->rx, p, n, &cbs, r, &why);
    assert_int_equal(k, -1);
    assert_non_null(why);
    assert_true(strlen(why) > 0);
    return why;
}

/* ---- gw__ws_header ----------------------------------------------------- */

static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};

static void test_header_7bit(void **state)
{
    (void)state;
    uint8_t out[GW__WS_MAX_HEADER + 2];
    static const struct {
        int op;
        uint64_t len;
        uint8_t b0, b1;
    } cases[] = {
        {GW__WS_BINARY, 0, 0x82, 0x80},   {GW__WS_BINARY, 1, 0x82, 0x81},
        {GW__WS_BINARY, 125, 0x82, 0xfd}, {GW__WS_CLOSE, 2, 0x88, 0x82},
        {GW__WS_PONG, 0, 0x8a, 0x80},     {GW__WS_PING, 125, 0x89, 0xfd},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        memset(out, 0xee, sizeof(out));
        size_t h = gw__ws_header(out, cases[c].op, cases[c].len, key);
        assert_int_equal(h, 6);
        const uint8_t want[6] = {cases[c].b0, cases[c].b1, 0x37, 0xfa, 0x21, 0x3d};
        assert_memory_equal(out, want, 6);
        assert_int_equal(out[6], 0xee); /* nothing written past the header */
    }
}

static void test_header_16bit(void **state)
{
    (void)state;
    uint8_t out[GW__WS_MAX_HEADER + 2];
    memset(out, 0xee, sizeof(out));
    assert_int_equal(gw__ws_header(out, GW__WS_BINARY, 126, key), 8);
    const uint8_t want126[8] = {0x82, 0xfe, 0x00, 0x7e, 0x37, 0xfa, 0x21, 0x3d};
    assert_memory_equal(out, want126, 8);
    assert_int_equal(out[8], 0xee);

    memset(out, 0xee, sizeof(out));
    assert_int_equal(gw__ws_header(out, GW__WS_BINARY, 65535, key), 8);
    const uint8_t want65535[8] = {0x82, 0xfe, 0xff, 0xff, 0x37, 0xfa, 0x21, 0x3d};
    assert_memory_equal(out, want65535, 8);
    assert_int_equal(out[8], 0xee);

    memset(out, 0xee, sizeof(out));
    assert_int_equal(gw__ws_header(out, GW__WS_CLOSE, 300, key), 8);
    const uint8_t want300[8] = {0x88, 0xfe, 0x01, 0x2c, 0x37, 0xfa, 0x21, 0x3d};
    assert_memory_equal(out, want300, 8);
}

static void test_header_64bit(void **state)
{
    (void)state;
    uint8_t out[GW__WS_MAX_HEADER + 2];
    memset(out, 0xee, sizeof(out));
    assert_int_equal(gw__ws_header(out, GW__WS_BINARY, 65536, key), 14);
    const uint8_t want65536[14] = {0x82, 0xff, 0, 0, 0, 0, 0, 0x01, 0, 0, 0x37, 0xfa, 0x21, 0x3d};
    assert_memory_equal(out, want65536, 14);
    assert_int_equal(out[14], 0xee);

    memset(out, 0xee, sizeof(out));
    assert_int_equal(gw__ws_header(out, GW__WS_BINARY, ((uint64_t)1 << 32) + 5, key), 14);
    const uint8_t want4g[14] = {0x82, 0xff, 0, 0, 0, 0x01, 0, 0, 0, 0x05, 0x37, 0xfa, 0x21, 0x3d};
    assert_memory_equal(out, want4g, 14);
    assert_int_equal(out[14], 0xee);

    /* Every byte of the length in its place, most significant first. */
    assert_int_equal(gw__ws_header(out, GW__WS_PONG, 0x0102030405060708u, key), 14);
    const uint8_t wantall[14] = {0x8a, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 0x37, 0xfa, 0x21, 0x3d};
    assert_memory_equal(out, wantall, 14);
}

/* ---- gw__ws_mask ------------------------------------------------------- */

static void test_mask(void **state)
{
    (void)state;
    static const uint8_t keys[][4] = {{0x37, 0xfa, 0x21, 0x3d}, {0, 0, 0, 0}, {0xff, 1, 0x80, 2}};
    uint8_t orig[48], want[48], buf[48 + 8];
    for (size_t i = 0; i < sizeof(orig); i++)
        orig[i] = (uint8_t)(i * 29 + 11);
    for (size_t kk = 0; kk < sizeof(keys) / sizeof(keys[0]); kk++) {
        const uint8_t *k = keys[kk];
        for (size_t n = 0; n <= 40; n++) {
            for (size_t i = 0; i < n; i++)
                want[i] = orig[i] ^ k[i % 4];
            static const size_t offsets[] = {0, 1, 3, 5, 7};
            for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
                size_t at = offsets[o];
                memset(buf, 0xa5, sizeof(buf));
                memcpy(buf + at, orig, n);
                gw__ws_mask(buf + at, n, k);
                if (n && memcmp(buf + at, want, n) != 0)
                    fail_msg("mask of %zu bytes at offset %zu differs from byte-wise XOR", n, at);
                /* Nothing around the buffer touched. */
                for (size_t i = 0; i < at; i++)
                    assert_int_equal(buf[i], 0xa5);
                for (size_t i = at + n; i < sizeof(buf); i++)
                    assert_int_equal(buf[i], 0xa5);
                gw__ws_mask(buf + at, n, k);
                if (n && memcmp(buf + at, orig, n) != 0)
                    fail_msg("masking %zu bytes at offset %zu twice did not restore them", n, at);
            }
        }
    }
}

/* ---- gw__ws_rx_feed: messages and control frames ------------------------ */

static void test_rx_message(void **state)
{
    (void)state;
    rec_t r;
    rec_init(&r);
    bytes_t s = {0};
    frame(&s, 0x82, "hello", 5);
    feed_ok(&r, s.p, s.len);
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.msg_len[0], 5);
    assert_memory_equal(r.msgs.p, "hello", 5);
    assert_int_equal(r.nctl, 0);

    /* A second one on the same receiver, then a one-byte one. */
    s.len = 0;
    frame(&s, 0x82, "world!", 6);
    frame(&s, 0x82, "x", 1);
    feed_ok(&r, s.p, s.len);
    assert_int_equal(r.ends, 3);
    assert_int_equal(r.msg_len[1], 6);
    assert_int_equal(r.msg_len[2], 1);
    assert_memory_equal(r.msgs.p, "helloworld!x", 12);

    /* The exact bytes, not via frame(): 0x82 0x03 'a' 'b' 'c'. */
    const uint8_t raw[] = {0x82, 0x03, 'a', 'b', 'c'};
    feed_ok(&r, raw, sizeof(raw));
    assert_int_equal(r.ends, 4);
    assert_memory_equal(r.msgs.p + 12, "abc", 3);
    bytes_free(&s);
    rec_free(&r);
}

static void test_rx_empty_message(void **state)
{
    (void)state;
    rec_t r;
    rec_init(&r);
    const uint8_t raw[] = {0x82, 0x00};
    feed_ok(&r, raw, sizeof(raw));
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.msg_len[0], 0);
    assert_int_equal(r.data_calls, 0);

    /* Empty fragments: a message of one empty non-final frame and an empty final one. */
    const uint8_t frag[] = {0x02, 0x00, 0x80, 0x00};
    feed_ok(&r, frag, sizeof(frag));
    assert_int_equal(r.ends, 2);
    assert_int_equal(r.msg_len[1], 0);
    assert_int_equal(r.data_calls, 0);
    rec_free(&r);
}

static void test_rx_length_forms(void **state)
{
    (void)state;
    rec_t r;
    rec_init(&r);
    bytes_t s = {0};
    uint8_t *p300 = pattern(300, 1), *p70k = pattern(70000, 2);

    frame(&s, 0x82, p300, 300);
    const uint8_t h300[4] = {0x82, 0x7e, 0x01, 0x2c};
    assert_memory_equal(s.p, h300, 4); /* the 16-bit form */
    feed_ok(&r, s.p, s.len);
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.msg_len[0], 300);
    assert_memory_equal(r.msgs.p, p300, 300);

    s.len = 0;
    frame(&s, 0x82, p70k, 70000);
    const uint8_t h70k[10] = {0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70};
    assert_memory_equal(s.p, h70k, 10); /* 70000 needs the 64-bit form */
    feed_ok(&r, s.p, s.len);
    assert_int_equal(r.ends, 2);
    assert_int_equal(r.msg_len[1], 70000);
    assert_memory_equal(r.msgs.p + 300, p70k, 70000);
    /* Handed on in one piece when it arrives in one read. */
    assert_int_equal(r.data_calls, 2);

    /* Boundaries: 125 (7-bit), 126 and 65535 (16-bit), 65536 (64-bit). */
    static const size_t lens[] = {125, 126, 65535, 65536};
    size_t total = 300 + 70000;
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        s.len = 0;
        frame(&s, 0x82, p70k, lens[i]);
        feed_ok(&r, s.p, s.len);
        assert_int_equal(r.ends, 3 + i);
        assert_int_equal(r.msg_len[2 + i], lens[i]);
        assert_memory_equal(r.msgs.p + total, p70k, lens[i]);
        total += lens[i];
    }

    /* A non-minimal length form is still the right length: 5 in the 16-bit form. */
    const uint8_t wide[] = {0x82, 0x7e, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e'};
    feed_ok(&r, wide, sizeof(wide));
    assert_int_equal(r.msg_len[6], 5);
    free(p300);
    free(p70k);
    bytes_free(&s);
    rec_free(&r);
}

static void test_rx_fragments_and_ping(void **state)
{
    (void)state;
    rec_t r;
    rec_init(&r);
    bytes_t s = {0};
    frame(&s, 0x02, "abc", 3);  /* binary, not final */
    frame(&s, 0x89, "pi", 2);   /* ping between the fragments */
    frame(&s, 0x00, "defg", 4); /* continuation, not final */
    frame(&s, 0x8a, NULL, 0);   /* an empty pong */
    frame(&s, 0x80, "hi", 2);   /* final continuation */
    frame(&s, 0x82, "next", 4); /* and a new message may begin */
    feed_ok(&r, s.p, s.len);

    assert_int_equal(r.ends, 2);
    assert_int_equal(r.msg_len[0], 9);
    assert_int_equal(r.msg_len[1], 4);
    assert_memory_equal(r.msgs.p, "abcdefghinext", 13);
    assert_int_equal(r.nctl, 2);
    assert_int_equal(r.ctl_op[0], GW__WS_PING);
    assert_int_equal(r.ctl_n[0], 2);
    assert_memory_equal(r.ctl[0], "pi", 2);
    assert_int_equal(r.ctl_at[0], 3); /* after the first fragment's data */
    assert_int_equal(r.ctl_op[1], GW__WS_PONG);
    assert_int_equal(r.ctl_n[1], 0);
    assert_int_equal(r.ctl_at[1], 7);
    bytes_free(&s);
    rec_free(&r);
}

static void test_rx_control_frames(void **state)
{
    (void)state;
    rec_t r;
    rec_init(&r);
    /* close 1000 "bye": 0x88, length 5, 0x03 0xe8, "bye" */
    const uint8_t close[] = {0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e'};
    feed_ok(&r, close, sizeof(close));
    assert_int_equal(r.nctl, 1);
    assert_int_equal(r.ctl_op[0], GW__WS_CLOSE);
    assert_int_equal(r.ctl_n[0], 5);
    assert_memory_equal(r.ctl[0], close + 2, 5);

    const uint8_t pong[] = {0x8a, 0x03, 1, 2, 3};
    feed_ok(&r, pong, sizeof(pong));
    assert_int_equal(r.nctl, 2);
    assert_int_equal(r.ctl_op[1], GW__WS_PONG);
    assert_int_equal(r.ctl_n[1], 3);
    assert_memory_equal(r.ctl[1], pong + 2, 3);

    /* The largest control payload (125), split across three reads. */
    bytes_t s = {0};
    uint8_t *p125 = pattern(125, 9);
    frame(&s, 0x89, p125, 125);
    feed_ok(&r, s.p, 1);
    feed_ok(&r, s.p + 1, 60);
    assert_int_equal(r.nctl, 2);
    feed_ok(&r, s.p + 61, s.len - 61);
    assert_int_equal(r.nctl, 3);
    assert_int_equal(r.ctl_op[2], GW__WS_PING);
    assert_int_equal(r.ctl_n[2], 125);
    assert_memory_equal(r.ctl[2], p125, 125);

    /* An empty close. */
    const uint8_t eclose[] = {0x88, 0x00};
    feed_ok(&r, eclose, sizeof(eclose));
    assert_int_equal(r.nctl, 4);
    assert_int_equal(r.ctl_op[3], GW__WS_CLOSE);
    assert_int_equal(r.ctl_n[3], 0);
    assert_int_equal(r.ends, 0);
    assert_int_equal(r.data_calls, 0);
    free(p125);
    bytes_free(&s);
    rec_free(&r);
}

/* ---- the same events however the input is split ------------------------ */

/* A stream of every kind of frame: length forms, fragments, control frames between them. */
static void build_stream(bytes_t *s)
{
    uint8_t *p300 = pattern(300, 3), *p70k = pattern(70000, 4), *p125 = pattern(125, 5);
    frame(s, 0x82, "one", 3);
    frame(s, 0x02, "frag", 4);
    frame(s, 0x89, "ping", 4);
    frame(s, 0x00, p300, 300);
    frame(s, 0x8a, p125, 125);
    frame(s, 0x00, NULL, 0);
    frame(s, 0x80, "end", 3);
    frame(s, 0x82, NULL, 0);
    frame(s, 0x82, p70k, 70000);
    frame(s, 0x89, NULL, 0);
    frame(s, 0x02, p70k + 5, 65536);
    frame(s, 0x80, p300, 126);
    const uint8_t close[] = {0x03, 0xe8, 'b', 'y', 'e'};
    frame(s, 0x88, close, sizeof(close));
    free(p300);
    free(p70k);
    free(p125);
}

static void test_rx_every_split(void **state)
{
    (void)state;
    bytes_t s = {0};
    build_stream(&s);

    rec_t whole;
    rec_init(&whole);
    feed_ok(&whole, s.p, s.len);
    assert_int_equal(whole.ends, 5);
    assert_int_equal(whole.nctl, 4);
    bytes_add(&whole.log, "", 1);
    /* The expected log, written out once so that a change in the receiver shows. */
    assert_non_null(strstr((const char *)whole.log.p, "msg 3 "));
    assert_non_null(strstr((const char *)whole.log.p, "ctl 9 4 at 4:70696e67;"));
    assert_non_null(strstr((const char *)whole.log.p, "ctl 10 125 at 304:"));
    assert_non_null(strstr((const char *)whole.log.p, "msg 307 "));
    assert_non_null(strstr((const char *)whole.log.p, "msg 0 "));
    assert_non_null(strstr((const char *)whole.log.p, "msg 70000 "));
    assert_non_null(strstr((const char *)whole.log.p, "ctl 9 0 at 0:;"));
    assert_non_null(strstr((const char *)whole.log.p, "msg 65662 "));
    assert_non_null(strstr((const char *)whole.log.p, "ctl 8 5 at 0:03e8627965;"));

    /* byte by byte, then random pieces of up to 2, 7, 16, 300 and 100000 bytes, several seeds */
    static const size_t maxes[] = {0, 2, 7, 16, 300, 100000};
    for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
        for (uint32_t seed = 1; seed <= (maxes[m] ? 4u : 1u); seed++) {
            rec_t split;
            rec_init(&split);
            feed_chunks(&split, s.p, s.len, maxes[m], seed * 2654435761u);
            bytes_add(&split.log, "", 1);
            if (strcmp((const char *)split.log.p, (const char *)whole.log.p) != 0)
                fail_msg("pieces of up to %zu bytes (seed %u): events differ:\n%s\nvs whole:\n%s",
                         maxes[m], seed, (const char *)split.log.p, (const char *)whole.log.p);
            assert_int_equal(split.msgs.len, whole.msgs.len);
            assert_memory_equal(split.msgs.p, whole.msgs.p, whole.msgs.len);
            rec_free(&split);
        }
    }

    /* Every split into two reads of the first 600 bytes (all headers of the first frames). */
    for (size_t cut = 0; cut <= 600; cut++) {
        rec_t two;
        rec_init(&two);
        feed_ok(&two, s.p, cut);
        feed_ok(&two, s.p + cut, s.len - cut);
        bytes_add(&two.log, "", 1);
        if (strcmp((const char *)two.log.p, (const char *)whole.log.p) != 0)
            fail_msg("split at %zu: events differ", cut);
        rec_free(&two);
    }
    rec_free(&whole);
    bytes_free(&s);
}

/* ---- stopping and resuming ---------------------------------------------- */

/* Feeds `n` bytes, resuming after each stop, until all are consumed; returns the stops. */
static size_t feed_resume(rec_t *r, const uint8_t *p, size_t n)
{
    size_t off = 0, stops = 0;
    while (off < n) {
        const char *why = NULL;
        ssize_t k = gw__ws_rx_feed(&r->rx, p + off, n - off, &cbs, r, &why);
        assert_true(k > 0);
        if ((size_t)k < n - off)
            stops++;
        off += (size_t)k;
    }
    return stops;
}

static void test_rx_stop_in_end(void **state)
{
    (void)state;
    bytes_t s = {0};
    frame(&s, 0x82, "first", 5);
    size_t first = s.len;
    frame(&s, 0x82, "second", 6);

    rec_t r;
    rec_init(&r);
    r.stop_end = 1;
    const char *why = NULL;
    ssize_t k = gw__ws_rx_feed(&r.rx, s.p, s.len, &cbs, &r, &why);
    assert_int_equal(k, first);
    assert_int_equal(r.ends, 1);
    assert_memory_equal(r.msgs.p, "first", 5);
    feed_ok(&r, s.p + k, s.len - (size_t)k);
    assert_int_equal(r.ends, 2);
    assert_int_equal(r.msg_len[1], 6);
    assert_memory_equal(r.msgs.p + 5, "second", 6);
    rec_free(&r);

    /* An empty message stops just as well (the end comes straight from the header). */
    s.len = 0;
    frame(&s, 0x82, NULL, 0);
    frame(&s, 0x82, "x", 1);
    rec_init(&r);
    r.stop_end = 1;
    k = gw__ws_rx_feed(&r.rx, s.p, s.len, &cbs, &r, &why);
    assert_int_equal(k, 2);
    assert_int_equal(r.ends, 1);
    feed_ok(&r, s.p + 2, s.len - 2);
    assert_int_equal(r.ends, 2);
    rec_free(&r);

    /* The control callback stops too: after the ping, inside a fragmented message. */
    s.len = 0;
    frame(&s, 0x02, "ab", 2);
    frame(&s, 0x89, "p", 1);
    size_t upto = s.len;
    frame(&s, 0x80, "cd", 2);
    rec_init(&r);
    r.stop_ctl = 1;
    k = gw__ws_rx_feed(&r.rx, s.p, s.len, &cbs, &r, &why);
    assert_int_equal(k, upto);
    assert_int_equal(r.nctl, 1);
    assert_int_equal(r.ends, 0);
    feed_ok(&r, s.p + k, s.len - (size_t)k);
    assert_int_equal(r.ends, 1);
    assert_memory_equal(r.msgs.p, "abcd", 4);
    rec_free(&r);

    /* Stopping at every event of the big stream and resuming gives the same events. */
    bytes_t big = {0};
    build_stream(&big);
    rec_t whole;
    rec_init(&whole);
    feed_ok(&whole, big.p, big.len);
    for (size_t i = 1; i <= whole.ends; i++) {
        rec_t one;
        rec_init(&one);
        one.stop_end = i;
        assert_int_equal(feed_resume(&one, big.p, big.len), 1); /* a close follows the last */
        assert_int_equal(one.log.len, whole.log.len);
        assert_memory_equal(one.log.p, whole.log.p, whole.log.len);
        rec_free(&one);
    }
    for (size_t i = 1; i <= whole.nctl; i++) {
        rec_t one;
        rec_init(&one);
        one.stop_ctl = i;
        size_t stops = feed_resume(&one, big.p, big.len);
        assert_int_equal(stops, i < whole.nctl ? 1 : 0); /* the last frame is the close */
        assert_int_equal(one.log.len, whole.log.len);
        assert_memory_equal(one.log.p, whole.log.p, whole.log.len);
        rec_free(&one);
    }
    rec_free(&whole);
    bytes_free(&big);
    bytes_free(&s);
}

static void test_rx_stop_in_data(void **state)
{
    (void)state;
    bytes_t s = {0};
    const char *why = NULL;
    rec_t r;

    /* Stop after the first fragment's data: nothing more happens in this call. */
    frame(&s, 0x02, "abc", 3);
    size_t first = s.len;
    frame(&s, 0x80, "de", 2);
    frame(&s, 0x82, "second", 6);
    rec_init(&r);
    r.stop_data = 1;
    ssize_t k = gw__ws_rx_feed(&r.rx, s.p, s.len, &cbs, &r, &why);
    assert_int_equal(k, first);
    assert_int_equal(r.cur.len, 3);
    assert_memory_equal(r.cur.p, "abc", 3);
    assert_int_equal(r.ends, 0);
    feed_ok(&r, s.p + k, s.len - (size_t)k);
    assert_int_equal(r.ends, 2);
    assert_int_equal(r.msg_len[0], 5);
    assert_int_equal(r.msg_len[1], 6);
    assert_memory_equal(r.msgs.p, "abcdesecond", 11);
    rec_free(&r);

    /* Stop in the middle of a frame's payload (it arrived in two reads). */
    s.len = 0;
    frame(&s, 0x82, "0123456789", 10);
    frame(&s, 0x82, "x", 1);
    rec_init(&r);
    r.stop_data = 2;
    feed_ok(&r, s.p, 6); /* header and "0123" */
    k = gw__ws_rx_feed(&r.rx, s.p + 6, s.len - 6, &cbs, &r, &why);
    assert_int_equal(r.cur.len + r.msgs.len, 10);
    assert_true(k >= 6); /* at least the rest of the first frame */
    feed_ok(&r, s.p + 6 + k, s.len - 6 - (size_t)k);
    assert_int_equal(r.ends, 2);
    assert_memory_equal(r.msgs.p, "0123456789x", 11);
    rec_free(&r);

    /* Stop on the last piece of the first of two messages: returns at the end of its frame. */
    s.len = 0;
    frame(&s, 0x82, "first", 5);
    first = s.len;
    frame(&s, 0x82, "second", 6);
    rec_init(&r);
    r.stop_data = 1;
    k = gw__ws_rx_feed(&r.rx, s.p, s.len, &cbs, &r, &why);
    assert_int_equal(k, first);
    feed_ok(&r, s.p + k, s.len - (size_t)k);
    assert_int_equal(r.ends, 2);
    assert_memory_equal(r.msgs.p, "firstsecond", 11);
    rec_free(&r);
    bytes_free(&s);
}

/*
 * ws_internal.h: each callback "returns 0 to go on, non-zero to stop after
 * this event". A data callback that stops on the last piece of a message
 * must not be followed by the message's end in the same call: the
 * transport's rx_data stops (and kills the connection) when a message
 * exceeds max_message, and an end after that would deliver the truncated
 * message as complete.
 */
static void test_rx_stop_in_data_no_end(void **state)
{
    (void)state;
    const uint8_t s[] = {0x82, 0x05, 'f', 'i', 'r', 's', 't', 0x82, 0x01, 'x'};
    rec_t r;
    rec_init(&r);
    r.stop_data = 1;
    const char *why = NULL;
    ssize_t k = gw__ws_rx_feed(&r.rx, s, sizeof(s), &cbs, &r, &why);
    size_t data_calls = r.data_calls, ends = r.ends;
    assert_int_equal(k, 7);
    assert_int_equal(data_calls, 1);
    if (ends != 0)
        fail_msg("the end callback ran after the data callback asked to stop (%zu ends)", ends);
    /* the end is due: the next feed reports it first, then goes on with the next message */
    r.stop_data = 0;
    k = gw__ws_rx_feed(&r.rx, s + 7, sizeof(s) - 7, &cbs, &r, &why);
    assert_int_equal(k, 3);
    assert_int_equal(r.ends, 2);
    assert_int_equal(r.data_calls, 2);
    rec_free(&r);
}

/* ---- protocol errors ----------------------------------------------------- */

static void test_rx_protocol_errors(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint8_t in[16];
        size_t n;
    } cases[] = {
        {"masked server frame", {0x82, 0x81, 1, 2, 3, 4, 'x'}, 7},
        {"masked empty frame", {0x82, 0x80, 1, 2, 3, 4}, 6},
        {"text frame", {0x81, 0x01, 'x'}, 3},
        {"text frame, not final", {0x01, 0x01, 'x'}, 3},
        {"RSV1", {0xc2, 0x01, 'x'}, 3},
        {"RSV2", {0xa2, 0x01, 'x'}, 3},
        {"RSV3", {0x92, 0x01, 'x'}, 3},
        {"RSV1 on a ping", {0xc9, 0x00}, 2},
        {"continuation without a message", {0x80, 0x01, 'x'}, 3},
        {"non-final continuation without a message", {0x00, 0x01, 'x'}, 3},
        {"binary while a message is open", {0x02, 0x01, 'a', 0x82, 0x01, 'b'}, 6},
        {"binary while a message is open, after a ping", {0x02, 0x00, 0x89, 0x00, 0x02, 0x00}, 6},
        {"fragmented ping", {0x09, 0x00}, 2},
        {"fragmented close", {0x08, 0x02, 0x03, 0xe8}, 4},
        {"fragmented pong", {0x0a, 0x00}, 2},
        {"ping of 126 bytes", {0x89, 0x7e, 0x00, 0x7e}, 4},
        {"close of 126 bytes", {0x88, 0x7e, 0x00, 0x7e}, 4},
        {"pong with a 64-bit length", {0x8a, 0x7f, 0, 0, 0, 0, 0, 0, 0x01, 0x00}, 10},
        {"opcode 3", {0x83, 0x00}, 2},
        {"opcode 7", {0x87, 0x00}, 2},
        {"opcode 0xb", {0x8b, 0x00}, 2},
        {"opcode 0xf", {0x8f, 0x00}, 2},
        {"64-bit length, top bit set", {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0x01}, 10},
        {"64-bit length, all ones",
         {0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
         10},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        /* Whole, and byte by byte: the error comes with the byte that completes the header. */
        rec_t r;
        rec_init(&r);
        const char *why = NULL;
        ssize_t k = gw__ws_rx_feed(&r.rx, cases[c].in, cases[c].n, &cbs, &r, &why);
        if (k != -1 || why == NULL)
            fail_msg("%s: returned %zd, why %s", cases[c].what, k, why ? why : "NULL");
        assert_int_equal(r.ends, 0);
        rec_free(&r);

        rec_init(&r);
        int failed = 0;
        for (size_t i = 0; i < cases[c].n && !failed; i++) {
            why = NULL;
            k = gw__ws_rx_feed(&r.rx, cases[c].in + i, 1, &cbs, &r, &why);
            if (k == -1) {
                assert_non_null(why);
                failed = 1;
            } else {
                assert_int_equal(k, 1);
            }
        }
        if (!failed)
            fail_msg("%s: no error when fed byte by byte", cases[c].what);
        rec_free(&r);
    }

    /* Events before the violation are delivered; the error is reported after them. */
    bytes_t s = {0};
    frame(&s, 0x82, "ok", 2);
    frame(&s, 0x89, "p", 1);
    frame(&s, 0x81, "text", 4);
    rec_t r;
    rec_init(&r);
    const char *why = feed_err(&r, s.p, s.len);
    assert_non_null(strstr(why, "text"));
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.nctl, 1);
    rec_free(&r);
    bytes_free(&s);

    /* A few reasons name what was wrong. */
    rec_init(&r);
    const uint8_t masked[] = {0x82, 0x81, 1, 2, 3, 4, 'x'};
    assert_non_null(strstr(feed_err(&r, masked, sizeof(masked)), "masked"));
    rec_free(&r);
    rec_init(&r);
    const uint8_t rsv[] = {0xc2, 0x00};
    assert_non_null(strstr(feed_err(&r, rsv, sizeof(rsv)), "reserved"));
    rec_free(&r);
    rec_init(&r);
    const uint8_t cont[] = {0x80, 0x00};
    assert_non_null(strstr(feed_err(&r, cont, sizeof(cont)), "continuation"));
    rec_free(&r);
    rec_init(&r);
    const uint8_t big[] = {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0};
    assert_non_null(strstr(feed_err(&r, big, sizeof(big)), "top bit"));
    rec_free(&r);

    /* The largest legal 64-bit length is accepted (and waits for its payload). */
    rec_init(&r);
    const uint8_t max63[] = {0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'a'};
    feed_ok(&r, max63, sizeof(max63));
    assert_int_equal(r.cur.len, 1);
    assert_int_equal(r.ends, 0);
    rec_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_7bit),
        cmocka_unit_test(test_header_16bit),
        cmocka_unit_test(test_header_64bit),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_rx_message),
        cmocka_unit_test(test_rx_empty_message),
        cmocka_unit_test(test_rx_length_forms),
        cmocka_unit_test(test_rx_fragments_and_ping),
        cmocka_unit_test(test_rx_control_frames),
        cmocka_unit_test(test_rx_every_split),
        cmocka_unit_test(test_rx_stop_in_end),
        cmocka_unit_test(test_rx_stop_in_data),
        cmocka_unit_test(test_rx_stop_in_data_no_end),
        cmocka_unit_test(test_rx_protocol_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
