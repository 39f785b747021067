/*
 * Unit tests of idem/: the Idempotency-Key store. States (new, replay,
 * in flight, mismatch, unknown), isolation of callers and routes, the
 * recording rules, retention on an injected clock, eviction by entries and
 * bytes, and a multi-threaded run with consistency checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error/error.h"
#include "idem/idem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SL(s) GW_SLICE_LIT(s)

static int64_t fake_now;

static int64_t fake_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

static gw_idem_t *store(size_t max_entries, size_t max_bytes, int64_t retention_ms,
                        size_t max_response)
{
    gw_idem_limits_t lim = {.max_entries = max_entries,
                            .max_bytes = max_bytes,
                            .retention_ms = retention_ms,
                            .max_response = max_response,
                            .now_ms = fake_clock};
    fake_now = 1000;
    gw_idem_t *s = gw_idem_create(&lim);
    assert_non_null(s);
    return s;
}

static void hash_of(const char *body, uint8_t out[32])
{
    assert_int_equal(gw_idem_hash(body, strlen(body), out), 0);
}

/* begin with the hash of `body`; returns the state, checks the ticket rule. */
static gw_idem_state_t begin(gw_idem_t *s, const char *caller, const char *route, const char *key,
                             const char *body, gw_idem_response_t *out, uint64_t *ticket)
{
    uint8_t h[32];
    gw_idem_state_t st = (gw_idem_state_t)-1;
    hash_of(body, h);
    assert_int_equal(
        gw_idem_begin(s, gw_slice(caller), gw_slice(route), gw_slice(key), h, &st, out, ticket), 0);
    if (st == GW_IDEM_NEW)
        assert_true(*ticket != 0);
    else
        assert_true(*ticket == 0);
    if (st != GW_IDEM_REPLAY) {
        assert_null(out->body);
        assert_null(out->content_type);
        assert_null(out->headers);
    }
    return st;
}

static gw_idem_response_t resp_of(int status, const char *body)
{
    gw_idem_response_t r = {.status = status,
                            .content_type = (char *)(uintptr_t) "application/json",
                            .headers = (char *)(uintptr_t) "Location: /api/v1/x/1\r\n",
                            .headers_len = strlen("Location: /api/v1/x/1\r\n"),
                            .body = (uint8_t *)(uintptr_t)body,
                            .body_len = strlen(body)};
    return r;
}

static void finish(gw_idem_t *s, uint64_t ticket, int status, const char *body)
{
    gw_idem_response_t r = resp_of(status, body);
    assert_int_equal(gw_idem_finish(s, ticket, &r), 0);
}

/* Expects a replay of `status`/`body` and frees it. */
static void expect_replay(gw_idem_t *s, const char *caller, const char *route, const char *key,
                          const char *req, int status, const char *body)
{
    gw_idem_response_t out;
    uint64_t t;
    assert_int_equal(begin(s, caller, route, key, req, &out, &t), GW_IDEM_REPLAY);
    assert_int_equal(out.status, status);
    assert_string_equal(out.content_type, "application/json");
    assert_int_equal(out.headers_len, strlen("Location: /api/v1/x/1\r\n"));
    assert_string_equal(out.headers, "Location: /api/v1/x/1\r\n");
    assert_int_equal(out.body_len, strlen(body));
    assert_memory_equal(out.body, body, strlen(body));
    gw_idem_response_free(&out);
    assert_null(out.body);
}

static void expect_state(gw_idem_t *s, const char *caller, const char *route, const char *key,
                         const char *req, gw_idem_state_t want)
{
    gw_idem_response_t out;
    uint64_t t;
    assert_int_equal(begin(s, caller, route, key, req, &out, &t), want);
    if (want == GW_IDEM_NEW)
        gw_idem_abandon(s, t);
}

/* ---- tests ------------------------------------------------------------- */

static void test_hash(void **state)
{
    (void)state;
    static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                    0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    static const uint8_t empty[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
                                      0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
                                      0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
                                      0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    uint8_t h[32];
    assert_int_equal(gw_idem_hash("abc", 3, h), 0);
    assert_memory_equal(h, abc, 32);
    assert_int_equal(gw_idem_hash(NULL, 0, h), 0);
    assert_memory_equal(h, empty, 32);
}

static void test_new_then_replay(void **state)
{
    (void)state;
    gw_idem_t *s = store(0, 0, 0, 0);
    gw_idem_response_t out;
    uint64_t t;
    assert_int_equal(begin(s, "alice", "POST /x", "k1", "{\"a\":1}", &out, &t), GW_IDEM_NEW);
    assert_int_equal(gw_idem_count(s), 1);
    finish(s, t, 201, "{\"id\":1}");
    for (int i = 0; i < 3; i++)
        expect_replay(s, "alice", "POST /x", "k1", "{\"a\":1}", 201, "{\"id\":1}");
    assert_int_equal(gw_idem_count(s), 1);

    /* A response without content type, headers or body replays as such. */
    assert_int_equal(begin(s, "alice", "POST /x", "k2", "", &out, &t), GW_IDEM_NEW);
    gw_idem_response_t bare = {.status = 204};
    assert_int_equal(gw_idem_finish(s, t, &bare), 0);
    assert_int_equal(begin(s, "alice", "POST /x", "k2", "", &out, &t), GW_IDEM_REPLAY);
    assert_int_equal(out.status, 204);
    assert_null(out.content_type);
    assert_null(out.headers);
    assert_null(out.body);
    assert_int_equal(out.body_len, 0);
    gw_idem_response_free(&out);

    /* Binary bodies with NULs survive. */
    static const uint8_t bin[] = {0, 1, 2, 0, 255};
    assert_int_equal(begin(s, "alice", "POST /x", "k3", "b", &out, &t), GW_IDEM_NEW);
    gw_idem_response_t r = {.status = 200, .body = (uint8_t *)(uintptr_t)bin, .body_len = 5};
    assert_int_equal(gw_idem_finish(s, t, &r), 0);
    assert_int_equal(begin(s, "alice", "POST /x", "k3", "b", &out, &t), GW_IDEM_REPLAY);
    assert_int_equal(out.body_len, 5);
    assert_memory_equal(out.body, bin, 5);
    gw_idem_response_free(&out);
    gw_idem_destroy(s);
}

static void test_mismatch(void **state)
{
    (void)state;
    gw_idem_t *s = store(0, 0, 0, 0);
    gw_idem_response_t out;
    uint64_t t;
    assert_int_equal(begin(s, "alice", "POST /x", "k", "body1", &out, &t), GW_IDEM_NEW);
    expect_state(s, "alice", "POST /x", "k", "body2", GW_IDEM_MISMATCH); /* even in flight */
    finish(s, t, 200, "ok");
    expect_state(s, "alice", "POST /x", "k", "body2", GW_IDEM_MISMATCH);
    expect_replay(s, "alice", "POST /x", "k", "body1", 200, "ok");
    assert_int_equal(gw_idem_count(s), 1);
    gw_idem_destroy(s);
}

static void test_in_flight(void **state)
{
    (void)state;
    gw_idem_t *s = store(0, 0, 0, 0);
    gw_idem_response_t out;
    uint64_t t;
    assert_int_equal(begin(s, "alice", "POST /x", "k", "b", &out, &t), GW_IDEM_NEW);
    expect_state(s, "alice", "POST /x", "k", "b", GW_IDEM_IN_FLIGHT);
    expect_state(s, "alice", "POST /x", "k", "b", GW_IDEM_IN_FLIGHT);
    finish(s, t, 200, "done");
    expect_replay(s, "alice", "POST /x", "k", "b", 200, "done");
    gw_idem_destroy(s);
}

static void test_isolation(void **state)
{
    (void)state;
    gw_idem_t *s = store(0, 0, 0, 0);
    gw_idem_response_t out;
    uint64_t t1, t2, t3, t4, t5;
    assert_int_equal(begin(s, "alice", "POST /x", "k", "b", &out, &t1), GW_IDEM_NEW);
    finish(s, t1, 200, "alice-x");
    /* Another caller with the same key and body: its own entry, never alice's answer. */
    assert_int_equal(begin(s, "bob", "POST /x", "k", "b", &out, &t2), GW_IDEM_NEW);
    assert_int_equal(begin(s, "alice", "POST /y", "k", "b", &out, &t3), GW_IDEM_NEW);
    /* Length-prefixed hashing and full compares: ("ab","c") differs from ("a","bc"). */
    assert_int_equal(begin(s, "ab", "c", "k", "b", &out, &t4), GW_IDEM_NEW);
    assert_int_equal(begin(s, "a", "bc", "k", "b", &out, &t5), GW_IDEM_NEW);
    finish(s, t2, 200, "bob-x");
    finish(s, t3, 200, "alice-y");
    finish(s, t4, 200, "ab-c");
    finish(s, t5, 200, "a-bc");
    assert_int_equal(gw_idem_count(s), 5);
    expect_replay(s, "alice", "POST /x", "k", "b", 200, "alice-x");
    expect_replay(s, "bob", "POST /x", "k", "b", 200, "bob-x");
    expect_replay(s, "alice", "POST /y", "k", "b", 200, "alice-y");
    expect_replay(s, "ab", "c", "k", "b", 200, "ab-c");
    expect_replay(s, "a", "bc", "k", "b", 200, "a-bc");
    /* A caller name of the same length is no less distinct. */
    expect_state(s, "carol", "POST /x", "k", "b", GW_IDEM_NEW);
    /* A different key of the same caller is new. */
    expect_state(s, "alice", "POST /x", "k2", "b", GW_IDEM_NEW);
    gw_idem_destroy(s);
}

static void test_abandon_and_tickets(void **state)
{
    (void)state;
    gw_idem_t *s = store(0, 0, 0, 0);
    gw_idem_response_t out;
    uint64_t t1, t2;
    assert_int_equal(begin(s, "alice", "POST /x", "k", "b", &out, &t1), GW_IDEM_NEW);
    gw_idem_abandon(s, t1);
    assert_int_equal(gw_idem_count(s), 0);
    assert_int_equal(gw_idem_bytes(s), 0);
    assert_int_equal(begin(s, "alice", "POST /x", "k", "b", &out, &t2), GW_IDEM_NEW);
    assert_true(t2 != t1);
    /* A stale ticket never reaches the entry begun later. */
    gw_idem_response_t r = resp_of(200, "stale");
    assert_int_equal(gw_idem_finish(s, t1, &r), GW_EINVAL);
    assert_int_equal(gw_idem_finish_unknown(s, t1), GW_EINVAL);
    gw_idem_abandon(s, t1);
    gw_idem_abandon(s, 0);
    gw_idem_abandon(s, 12345);
    expect_state(s, "alice", "POST /x", "k", "b", GW_IDEM_IN_FLIGHT);
    finish(s, t2, 200, "fresh");
    /* Tickets are single-use. */
    assert_int_equal(gw_idem_finish(s, t2, &r), GW_EINVAL);
    gw_idem_abandon(s, t2); /* a completed entry is not abandoned by its old ticket */
    expect_replay(s, "alice", "POST /x", "k", "b", 200, "fresh");

    /* An invalid response consumes the ticket and drops the entry. */
    uint64_t t3;
    assert_int_equal(begin(s, "alice", "POST /x", "bad", "b", &out, &t3), GW_IDEM_NEW);
    gw_idem_response_t badr = {.status = 42};
    assert_int_equal(gw_idem_finish(s, t3, &badr), GW_EINVAL);
    expect_state(s, "alice", "POST /x", "bad", "b", GW_IDEM_NEW);
    assert_int_equal(gw_idem_count(s), 1);
    gw_idem_destroy(s);
}

static void test_retention(void **state)
{
    (void)state;
    gw_idem_t *s = store(0, 0, 60000, 0);
    gw_idem_response_t out;
    uint64_t t, tf;
    assert_int_equal(begin(s, "alice", "POST /x", "old", "b", &out, &t), GW_IDEM_NEW);
    finish(s, t, 200, "old");
    fake_now += 30000;
    assert_int_equal(begin(s, "alice", "POST /x", "young", "b", &out, &t), GW_IDEM_NEW);
    finish(s, t, 200, "young");
    assert_int_equal(begin(s, "alice", "POST /x", "flying", "b", &out, &tf), GW_IDEM_NEW);
    fake_now += 29999; /* old is 59999 ms old */
    expect_replay(s, "alice", "POST /x", "old", "b", 200, "old");
    fake_now += 1; /* old is 60000 ms old: gone lazily at begin */
    expect_state(s, "alice", "POST /x", "old", "b", GW_IDEM_NEW);
    assert_int_equal(gw_idem_count(s), 2);
    expect_replay(s, "alice", "POST /x", "young", "b", 200, "young");

    /* The periodic sweep, with the store's clock, takes young and the in-flight one. */
    assert_int_equal(gw_idem_expire(s, fake_now + 29999), 0);
    assert_int_equal(gw_idem_expire(s, fake_now + 30000), 2);
    assert_int_equal(gw_idem_count(s), 0);
    assert_int_equal(gw_idem_bytes(s), 0);
    /* The expired in-flight entry's ticket is dead. */
    gw_idem_response_t r = resp_of(200, "late");
    assert_int_equal(gw_idem_finish(s, tf, &r), GW_EINVAL);
    assert_int_equal(gw_idem_count(s), 0);
    gw_idem_destroy(s);
}

static void test_max_entries(void **state)
{
    (void)state;
    gw_idem_t *s = store(3, 0, 0, 0);
    gw_idem_response_t out;
    uint64_t t1, t2, t3, t4;
    assert_int_equal(begin(s, "c", "r", "k1", "b", &out, &t1), GW_IDEM_NEW); /* stays in flight */
    assert_int_equal(begin(s, "c", "r", "k2", "b", &out, &t2), GW_IDEM_NEW);
    assert_int_equal(begin(s, "c", "r", "k3", "b", &out, &t3), GW_IDEM_NEW);
    finish(s, t3, 200, "3"); /* completed before k2: evicted first */
    finish(s, t2, 200, "2");
    assert_int_equal(begin(s, "c", "r", "k4", "b", &out, &t4), GW_IDEM_NEW);
    assert_int_equal(gw_idem_count(s), 3);
    expect_state(s, "c", "r", "k1", "b", GW_IDEM_IN_FLIGHT);
    expect_replay(s, "c", "r", "k2", "b", 200, "2");
    finish(s, t4, 200, "4");
    /* k3 was evicted; beginning it again evicts k2, the oldest completed. */
    uint64_t t5;
    assert_int_equal(begin(s, "c", "r", "k3", "b", &out, &t5), GW_IDEM_NEW);
    expect_state(s, "c", "r", "k1", "b", GW_IDEM_IN_FLIGHT);
    expect_replay(s, "c", "r", "k4", "b", 200, "4");
    assert_int_equal(gw_idem_count(s), 3);
    finish(s, t1, 200, "1");
    finish(s, t5, 200, "3b");
    expect_replay(s, "c", "r", "k1", "b", 200, "1");
    expect_replay(s, "c", "r", "k3", "b", 200, "3b");
    gw_idem_destroy(s);
}

static void test_capacity(void **state)
{
    (void)state;
    gw_idem_t *s = store(2, 0, 0, 0);
    gw_idem_response_t out;
    uint64_t t1, t2, t3;
    uint8_t h[32];
    gw_idem_state_t st;
    hash_of("b", h);
    assert_int_equal(begin(s, "c", "r", "k1", "b", &out, &t1), GW_IDEM_NEW);
    assert_int_equal(begin(s, "c", "r", "k2", "b", &out, &t2), GW_IDEM_NEW);
    assert_int_equal(gw_idem_begin(s, SL("c"), SL("r"), SL("k3"), h, &st, &out, &t3), GW_ECAPACITY);
    assert_int_equal(t3, 0);
    assert_int_equal(gw_idem_count(s), 2);
    /* Existing keys still answer while full. */
    expect_state(s, "c", "r", "k1", "b", GW_IDEM_IN_FLIGHT);
    finish(s, t1, 200, "1");
    assert_int_equal(begin(s, "c", "r", "k3", "b", &out, &t3), GW_IDEM_NEW); /* evicts k1 */
    expect_state(s, "c", "r", "k2", "b", GW_IDEM_IN_FLIGHT);
    assert_int_equal(gw_idem_begin(s, SL("c"), SL("r"), SL("k1"), h, &st, &out, &t1), GW_ECAPACITY);
    gw_idem_abandon(s, t2);
    gw_idem_abandon(s, t3);
    assert_int_equal(gw_idem_count(s), 0);
    gw_idem_destroy(s);
}

static void test_max_response(void **state)
{
    (void)state;
    gw_idem_t *s = store(0, 0, 0, 64);
    gw_idem_response_t out;
    uint64_t t;
    /* content type 16 + headers 23 + body 25 = 64: recorded */
    assert_int_equal(begin(s, "c", "r", "fits", "b", &out, &t), GW_IDEM_NEW);
    finish(s, t, 200, "0123456789012345678901234");
    expect_replay(s, "c", "r", "fits", "b", 200, "0123456789012345678901234");
    /* 65 bytes: not recorded, the entry is dropped so a retry executes again */
    assert_int_equal(begin(s, "c", "r", "big", "b", &out, &t), GW_IDEM_NEW);
    gw_idem_response_t r = resp_of(200, "01234567890123456789012345");
    assert_int_equal(gw_idem_finish(s, t, &r), GW_ETOOBIG);
    assert_int_equal(gw_idem_count(s), 1);
    expect_state(s, "c", "r", "big", "b", GW_IDEM_NEW);
    /* ... and its ticket is consumed. */
    assert_int_equal(gw_idem_finish(s, t, &r), GW_EINVAL);
    gw_idem_destroy(s);
}

static void test_max_bytes(void **state)
{
    (void)state;
    char body[1001];
    memset(body, 'x', 1000);
    body[1000] = '\0';
    gw_idem_response_t out;
    uint64_t t;

    /* Accounting: begin charges the entry, finish the response, removal all of it. */
    gw_idem_t *s = store(0, 0, 0, 0);
    assert_int_equal(gw_idem_bytes(s), 0);
    assert_int_equal(begin(s, "caller", "route", "k0", "b", &out, &t), GW_IDEM_NEW);
    size_t flying = gw_idem_bytes(s);
    assert_true(flying >= strlen("caller") + strlen("route") + strlen("k0"));
    finish(s, t, 200, body);
    size_t one = gw_idem_bytes(s);
    assert_true(one >=
                flying + 1000 + strlen("application/json") + strlen("Location: /api/v1/x/1\r\n"));
    assert_int_equal(begin(s, "caller", "route", "k1", "b", &out, &t), GW_IDEM_NEW);
    finish(s, t, 200, body);
    assert_int_equal(gw_idem_bytes(s), 2 * one);
    gw_idem_destroy(s);

    /* Room for two such entries: the third evicts the oldest completed. */
    s = store(0, 2 * one + one / 2, 0, 0);
    for (int i = 0; i < 3; i++) {
        char key[8];
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(begin(s, "caller", "route", key, "b", &out, &t), GW_IDEM_NEW);
        finish(s, t, 200, body);
        assert_true(gw_idem_bytes(s) <= 2 * one + one / 2);
    }
    assert_int_equal(gw_idem_count(s), 2);
    expect_state(s, "caller", "route", "k0", "b", GW_IDEM_NEW);
    expect_replay(s, "caller", "route", "k1", "b", 200, body);
    expect_replay(s, "caller", "route", "k2", "b", 200, body);
    gw_idem_destroy(s);

    /* A response within max_response that can never fit max_bytes is dropped. */
    s = store(0, one / 2, 0, 0);
    assert_int_equal(begin(s, "caller", "route", "k", "b", &out, &t), GW_IDEM_NEW);
    gw_idem_response_t r = resp_of(200, body);
    assert_int_equal(gw_idem_finish(s, t, &r), GW_ECAPACITY);
    assert_int_equal(gw_idem_count(s), 0);
    assert_int_equal(gw_idem_bytes(s), 0);
    gw_idem_destroy(s);
}

static void test_invalid(void **state)
{
    (void)state;
    gw_idem_t *s = store(0, 0, 0, 0);
    gw_idem_response_t out;
    gw_idem_state_t st;
    uint64_t t = 99;
    uint8_t h[32];
    char key[GW_IDEM_KEY_MAX + 2];
    hash_of("b", h);
    memset(key, 'k', sizeof(key));
    assert_int_equal(gw_idem_begin(s, SL("c"), SL("r"), SL(""), h, &st, &out, &t), GW_EINVAL);
    assert_int_equal(t, 0);
    assert_int_equal(gw_idem_begin(s, SL("c"), SL("r"), (gw_slice_t){key, GW_IDEM_KEY_MAX + 1}, h,
                                   &st, &out, &t),
                     GW_EINVAL);
    assert_int_equal(
        gw_idem_begin(s, SL("c"), SL("r"), (gw_slice_t){key, GW_IDEM_KEY_MAX}, h, &st, &out, &t),
        0);
    assert_int_equal(st, GW_IDEM_NEW);
    gw_idem_abandon(s, t);
    assert_int_equal(gw_idem_begin(s, SL("c"), SL("r"), SL("k"), NULL, &st, &out, &t), GW_EINVAL);
    assert_int_equal(gw_idem_begin(s, SL("c"), SL("r"), SL("k"), h, NULL, &out, &t), GW_EINVAL);
    assert_int_equal(gw_idem_begin(s, SL("c"), SL("r"), SL("k"), h, &st, NULL, &t), GW_EINVAL);
    assert_int_equal(gw_idem_begin(s, SL("c"), SL("r"), SL("k"), h, &st, &out, NULL), GW_EINVAL);
    assert_int_equal(gw_idem_count(s), 0);
    gw_idem_destroy(s);
    gw_idem_destroy(NULL);
    gw_idem_response_free(NULL);
}

static void test_unknown_outcome(void **state)
{
    (void)state;
    gw_idem_t *s = store(0, 0, 60000, 0);
    gw_idem_response_t out;
    uint64_t t;
    /* A 504 is never replayed and never re-executed: the key stays blocked. */
    assert_int_equal(begin(s, "c", "r", "timeout", "b", &out, &t), GW_IDEM_NEW);
    finish(s, t, 504, "{\"title\":\"Backend timeout\"}");
    for (int i = 0; i < 3; i++)
        expect_state(s, "c", "r", "timeout", "b", GW_IDEM_UNKNOWN);
    expect_state(s, "c", "r", "timeout", "other", GW_IDEM_MISMATCH);
    /* The explicit form, for a lost connection after the call was sent. */
    assert_int_equal(begin(s, "c", "r", "lost", "b", &out, &t), GW_IDEM_NEW);
    assert_int_equal(gw_idem_finish_unknown(s, t), 0);
    assert_int_equal(gw_idem_finish_unknown(s, t), GW_EINVAL);
    expect_state(s, "c", "r", "lost", "b", GW_IDEM_UNKNOWN);
    /* 502 and 422 from the backend are recorded and replayed. */
    assert_int_equal(begin(s, "c", "r", "abap", "b", &out, &t), GW_IDEM_NEW);
    finish(s, t, 502, "dump");
    expect_replay(s, "c", "r", "abap", "b", 502, "dump");
    assert_int_equal(begin(s, "c", "r", "bapi", "b", &out, &t), GW_IDEM_NEW);
    finish(s, t, 422, "bapi error");
    expect_replay(s, "c", "r", "bapi", "b", 422, "bapi error");
    /* Until the retention ends. */
    fake_now += 60000;
    expect_state(s, "c", "r", "timeout", "b", GW_IDEM_NEW);
    expect_state(s, "c", "r", "lost", "b", GW_IDEM_NEW);
    gw_idem_destroy(s);

    /* Unknown entries count as completed for eviction: a flood of timeouts
     * cannot wedge the store until the retention ends. */
    s = store(2, 0, 0, 0);
    assert_int_equal(begin(s, "c", "r", "u1", "b", &out, &t), GW_IDEM_NEW);
    finish(s, t, 504, "");
    assert_int_equal(begin(s, "c", "r", "u2", "b", &out, &t), GW_IDEM_NEW);
    assert_int_equal(gw_idem_finish_unknown(s, t), 0);
    assert_int_equal(begin(s, "c", "r", "k3", "b", &out, &t), GW_IDEM_NEW);
    expect_state(s, "c", "r", "u2", "b", GW_IDEM_UNKNOWN);
    assert_int_equal(gw_idem_count(s), 2);
    gw_idem_abandon(s, t);
    gw_idem_destroy(s);
}

/* Enough keys to grow the tables several times; every one stays reachable. */
static void test_many_keys(void **state)
{
    (void)state;
    enum { N = 5000 };
    gw_idem_t *s = store(0, 0, 0, 0);
    gw_idem_response_t out;
    uint64_t t;
    char key[32], body[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        snprintf(body, sizeof(body), "resp-%d", i);
        assert_int_equal(begin(s, "c", "r", key, "b", &out, &t), GW_IDEM_NEW);
        if (i % 3 == 0)
            gw_idem_abandon(s, t);
        else
            finish(s, t, 200, body);
    }
    assert_int_equal(gw_idem_count(s), N - (N + 2) / 3);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        snprintf(body, sizeof(body), "resp-%d", i);
        if (i % 3 == 0)
            expect_state(s, "c", "r", key, "b", GW_IDEM_NEW);
        else
            expect_replay(s, "c", "r", key, "b", 200, body);
    }
    gw_idem_destroy(s);
}

/* ---- threads ----------------------------------------------------------- */

enum { NTHREADS = 4, NOPS = 10000, NCALLERS = 2, NKEYS = 40 };

typedef struct {
    gw_idem_t *s;
    unsigned seed;
    int caller;
    atomic_int *news, *finishes, *abandons; /* [NCALLERS][NKEYS] */
    int bad, replays, in_flight, capacity;
} worker_t;

static void *worker(void *arg)
{
    worker_t *w = arg;
    char caller[8], key[16], req[32], want[48];
    snprintf(caller, sizeof(caller), "c%d", w->caller);
    for (int i = 0; i < NOPS; i++) {
        int k = (int)(rand_r(&w->seed) % NKEYS);
        int slot = w->caller * NKEYS + k;
        uint8_t h[32];
        gw_idem_state_t st;
        gw_idem_response_t out;
        uint64_t t;
        snprintf(key, sizeof(key), "k%d", k);
        snprintf(req, sizeof(req), "req-%d", k);
        snprintf(want, sizeof(want), "resp-%s-%s", caller, key);
        if (gw_idem_hash(req, strlen(req), h) != 0) {
            w->bad++;
            continue;
        }
        int ret =
            gw_idem_begin(w->s, gw_slice(caller), SL("POST /x"), gw_slice(key), h, &st, &out, &t);
        if (ret == GW_ECAPACITY) {
            w->capacity++;
            continue;
        }
        if (ret != 0) {
            w->bad++;
            continue;
        }
        switch (st) {
        case GW_IDEM_NEW:
            atomic_fetch_add(&w->news[slot], 1);
            if (rand_r(&w->seed) % 5 == 0) {
                atomic_fetch_add(&w->abandons[slot], 1);
                gw_idem_abandon(w->s, t);
            } else {
                /* Count before publishing, so a replay never outruns its finish count. */
                atomic_fetch_add(&w->finishes[slot], 1);
                gw_idem_response_t r = {.status = 200,
                                        .content_type = (char *)(uintptr_t) "text/plain",
                                        .body = (uint8_t *)want,
                                        .body_len = strlen(want)};
                if (gw_idem_finish(w->s, t, &r) != 0)
                    w->bad++;
            }
            break;
        case GW_IDEM_REPLAY:
            w->replays++;
            if (out.status != 200 || out.body_len != strlen(want) ||
                memcmp(out.body, want, out.body_len) != 0 || !out.content_type ||
                strcmp(out.content_type, "text/plain") != 0 || atomic_load(&w->finishes[slot]) < 1)
                w->bad++;
            gw_idem_response_free(&out);
            break;
        case GW_IDEM_IN_FLIGHT:
            w->in_flight++;
            break;
        default:
            w->bad++;
            break;
        }
    }
    return NULL;
}

static void run_threads(gw_idem_t *s, int evicting)
{
    static atomic_int news[NCALLERS * NKEYS], finishes[NCALLERS * NKEYS],
        abandons[NCALLERS * NKEYS];
    worker_t w[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NCALLERS * NKEYS; i++) {
        atomic_init(&news[i], 0);
        atomic_init(&finishes[i], 0);
        atomic_init(&abandons[i], 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker_t){.s = s,
                          .seed = 1234u + (unsigned)i,
                          .caller = i % NCALLERS,
                          .news = news,
                          .finishes = finishes,
                          .abandons = abandons};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    int replays = 0;
    for (int i = 0; i < NTHREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].bad, 0);
        assert_int_equal(w[i].capacity, 0); /* at most NTHREADS in flight */
        replays += w[i].replays;
    }
    assert_true(replays > 0);
    for (int i = 0; i < NCALLERS * NKEYS; i++) {
        int n = atomic_load(&news[i]), f = atomic_load(&finishes[i]), a = atomic_load(&abandons[i]);
        assert_int_equal(n, f + a);
        if (!evicting) {
            /* Once recorded, a key is never executed again. */
            assert_true(f <= 1);
            char caller[8], key[16], req[32], want[48];
            snprintf(caller, sizeof(caller), "c%d", i / NKEYS);
            snprintf(key, sizeof(key), "k%d", i % NKEYS);
            snprintf(req, sizeof(req), "req-%d", i % NKEYS);
            snprintf(want, sizeof(want), "resp-%s-%s", caller, key);
            gw_idem_response_t out;
            uint64_t t;
            gw_idem_state_t st = begin(s, caller, "POST /x", key, req, &out, &t);
            if (f == 1) {
                assert_int_equal(st, GW_IDEM_REPLAY);
                assert_memory_equal(out.body, want, strlen(want));
                gw_idem_response_free(&out);
            } else {
                assert_int_equal(st, GW_IDEM_NEW);
                gw_idem_abandon(s, t);
            }
        }
    }
}

static void test_threads(void **state)
{
    (void)state;
    gw_idem_t *s = gw_idem_create(NULL);
    assert_non_null(s);
    run_threads(s, 0);
    gw_idem_destroy(s);

    /* A store smaller than the key space: eviction races with replays. */
    gw_idem_limits_t lim = {.max_entries = 16};
    s = gw_idem_create(&lim);
    assert_non_null(s);
    run_threads(s, 1);
    assert_true(gw_idem_count(s) <= 16);
    gw_idem_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_new_then_replay),
        cmocka_unit_test(test_mismatch),
        cmocka_unit_test(test_in_flight),
        cmocka_unit_test(test_isolation),
        cmocka_unit_test(test_abandon_and_tickets),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_max_entries),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_max_response),
        cmocka_unit_test(test_max_bytes),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_unknown_outcome),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
