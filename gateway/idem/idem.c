/*
 * idem: the Idempotency-Key store (rules in idem.h).
 *
 * Each entry is one malloc block holding its bookkeeping and the caller,
 * route and key strings. It sits in:
 * - a chained hash table keyed by SipHash-2-4 of (caller, route, key) with
 *   a random per-store key, so clients cannot aim keys at one bucket; a hit
 *   compares the full strings, never the hash alone;
 * - a second chained table keyed by ticket, for in-flight entries only, so
 *   finish/abandon find their entry in O(1) and a stale ticket (finished,
 *   abandoned, expired) can never reach an entry begun later;
 * - the age list in begin order, whose head is the next to expire;
 * - once completed (recorded or unknown), the done list in completion
 *   order, whose head is the next to evict. In-flight entries are never on
 *   it, which is what keeps them from being evicted.
 * Both tables double when they hold more entries than buckets.
 *
 * One mutex guards everything. The expensive parts run outside it: a
 * recorded response is an immutable, reference-counted block, so a replay
 * takes a reference under the lock and copies after unlocking (an eviction
 * meanwhile only drops the store's reference), and gw_idem_finish() builds
 * the block before locking. begin allocates its entry before locking too.
 */
#include "idem/idem.h"
#include "error/error.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INITIAL_BUCKETS 64

enum { E_FLIGHT, E_DONE, E_UNKNOWN };

typedef struct link {
    struct link *prev, *next;
} link_t;

/* An immutable recorded response: content type NUL, headers NUL, body. */
typedef struct {
    atomic_uint refs;
    int status;
    int has_ct, has_headers;
    size_t ct_len, headers_len, body_len;
    size_t bytes; /* accounted size of this block */
    char data[];
} record_t;

typedef struct entry {
    struct entry *knext; /* key table chain */
    struct entry *tnext; /* ticket table chain, while in flight */
    link_t age;          /* age list */
    link_t done;         /* done list, once completed */
    uint64_t khash;
    uint64_t ticket; /* 0 once completed */
    int64_t born_ms;
    size_t bytes; /* accounted: this block + its record */
    int state;
    record_t *rec; /* E_DONE only */
    uint8_t hash[32];
    size_t caller_len, route_len, key_len;
    char str[]; /* caller, route, key */
} entry_t;

typedef struct {
    entry_t **b;
    size_t mask;
} table_t;

struct gw_idem {
    pthread_mutex_t lock;
    gw_idem_limits_t lim;
    uint64_t sipkey[2];
    table_t keys, tickets;
    link_t age_list, done_list; /* sentinels */
    size_t count, bytes;
    uint64_t next_ticket;
};

#define ENTRY_OF(l, member) ((entry_t *)(void *)((char *)(l)-offsetof(entry_t, member)))

/* ---- SipHash-2-4, fed incrementally ------------------------------------ */

typedef struct {
    uint64_t v0, v1, v2, v3, m;
    unsigned mlen;
    uint64_t total;
} sip_t;

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(sip_t *s)
{
    s->v0 += s->v1;
    s->v1 = ROTL(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = ROTL(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = ROTL(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = ROTL(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = ROTL(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = ROTL(s->v2, 32);
}

static void sip_block(sip_t *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    sip_round(s);
    s->v0 ^= m;
}

static void sip_init(sip_t *s, const uint64_t k[2])
{
    s->v0 = k[0] ^ 0x736f6d6570736575ULL;
    s->v1 = k[1] ^ 0x646f72616e646f6dULL;
    s->v2 = k[0] ^ 0x6c7967656e657261ULL;
    s->v3 = k[1] ^ 0x7465646279746573ULL;
    s->m = 0;
    s->mlen = 0;
    s->total = 0;
}

static void sip_update(sip_t *s, const void *p, size_t n)
{
    const uint8_t *c = p;
    for (size_t i = 0; i < n; i++) {
        s->m |= (uint64_t)c[i] << (8 * s->mlen);
        if (++s->mlen == 8) {
            sip_block(s, s->m);
            s->m = 0;
            s->mlen = 0;
        }
    }
    s->total += n;
}

static uint64_t sip_final(sip_t *s)
{
    sip_block(s, (s->total << 56) | s->m);
    s->v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(s);
    return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static void sip_len(sip_t *s, size_t len)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)len >> (8 * i));
    sip_update(s, b, sizeof(b));
}

/* Length prefixes keep ("ab", "c") and ("a", "bc") apart. */
static uint64_t key_hash(const gw_idem_t *s, gw_slice_t caller, gw_slice_t route, gw_slice_t key)
{
    sip_t h;
    sip_init(&h, s->sipkey);
    sip_len(&h, caller.len);
    sip_update(&h, caller.ptr, caller.len);
    sip_len(&h, route.len);
    sip_update(&h, route.ptr, route.len);
    sip_update(&h, key.ptr, key.len);
    return sip_final(&h);
}

static size_t ticket_slot(uint64_t t, size_t mask)
{
    t ^= t >> 33;
    t *= 0xff51afd7ed558ccdULL;
    t ^= t >> 33;
    return (size_t)t & mask;
}

/* ---- lists and tables -------------------------------------------------- */

static void list_init(link_t *head)
{
    head->prev = head->next = head;
}

static void list_append(link_t *head, link_t *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static void list_unlink(link_t *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l->next = l;
}

static int table_init(table_t *t)
{
    t->b = calloc(INITIAL_BUCKETS, sizeof(*t->b));
    t->mask = INITIAL_BUCKETS - 1;
    return t->b ? 0 : GW_ENOMEM;
}

/* Doubles a table; on allocation failure it stays as it is (only slower). */
static void table_grow(table_t *t, int by_ticket)
{
    size_t n = (t->mask + 1) * 2;
    entry_t **nb = calloc(n, sizeof(*nb));
    if (!nb)
        return;
    for (size_t i = 0; i <= t->mask; i++) {
        entry_t *e = t->b[i];
        while (e) {
            entry_t *next = by_ticket ? e->tnext : e->knext;
            if (by_ticket) {
                size_t j = ticket_slot(e->ticket, n - 1);
                e->tnext = nb[j];
                nb[j] = e;
            } else {
                size_t j = (size_t)e->khash & (n - 1);
                e->knext = nb[j];
                nb[j] = e;
            }
            e = next;
        }
    }
    free(t->b);
    t->b = nb;
    t->mask = n - 1;
}

static entry_t *key_find(gw_idem_t *s, uint64_t h, gw_slice_t caller, gw_slice_t route,
                         gw_slice_t key)
{
    for (entry_t *e = s->keys.b[h & s->keys.mask]; e; e = e->knext) {
        if (e->khash != h || e->caller_len != caller.len || e->route_len != route.len ||
            e->key_len != key.len)
            continue;
        const char *p = e->str;
        if ((caller.len && memcmp(p, caller.ptr, caller.len)) ||
            (route.len && memcmp(p + caller.len, route.ptr, route.len)) ||
            memcmp(p + caller.len + route.len, key.ptr, key.len))
            continue;
        return e;
    }
    return NULL;
}

static entry_t *ticket_find(gw_idem_t *s, uint64_t ticket)
{
    if (ticket == 0)
        return NULL;
    for (entry_t *e = s->tickets.b[ticket_slot(ticket, s->tickets.mask)]; e; e = e->tnext)
        if (e->ticket == ticket)
            return e;
    return NULL;
}

static void ticket_remove(gw_idem_t *s, entry_t *e)
{
    entry_t **pp = &s->tickets.b[ticket_slot(e->ticket, s->tickets.mask)];
    while (*pp != e)
        pp = &(*pp)->tnext;
    *pp = e->tnext;
    e->tnext = NULL;
    e->ticket = 0;
}

/* ---- records ----------------------------------------------------------- */

static void record_unref(record_t *r)
{
    if (r && atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
        free(r);
}

static size_t response_size(const gw_idem_response_t *r)
{
    return (r->content_type ? strlen(r->content_type) : 0) + r->headers_len + r->body_len;
}

static record_t *record_new(const gw_idem_response_t *r)
{
    size_t ct_len = r->content_type ? strlen(r->content_type) : 0;
    size_t size = sizeof(record_t) + ct_len + 1 + r->headers_len + 1 + r->body_len;
    record_t *rec = malloc(size);
    if (!rec)
        return NULL;
    atomic_init(&rec->refs, 1);
    rec->status = r->status;
    rec->has_ct = r->content_type != NULL;
    rec->has_headers = r->headers != NULL;
    rec->ct_len = ct_len;
    rec->headers_len = r->headers_len;
    rec->body_len = r->body_len;
    rec->bytes = size;
    char *p = rec->data;
    if (ct_len)
        memcpy(p, r->content_type, ct_len);
    p[ct_len] = '\0';
    p += ct_len + 1;
    if (r->headers_len)
        memcpy(p, r->headers, r->headers_len);
    p[r->headers_len] = '\0';
    p += r->headers_len + 1;
    if (r->body_len)
        memcpy(p, r->body, r->body_len);
    return rec;
}

static int record_copy(const record_t *rec, gw_idem_response_t *out)
{
    const char *p = rec->data;
    memset(out, 0, sizeof(*out));
    out->status = rec->status;
    if (rec->has_ct && !(out->content_type = strndup(p, rec->ct_len)))
        goto nomem;
    p += rec->ct_len + 1;
    if (rec->has_headers) {
        if (!(out->headers = malloc(rec->headers_len + 1)))
            goto nomem;
        memcpy(out->headers, p, rec->headers_len + 1);
        out->headers_len = rec->headers_len;
    }
    p += rec->headers_len + 1;
    if (rec->body_len) {
        if (!(out->body = malloc(rec->body_len)))
            goto nomem;
        memcpy(out->body, p, rec->body_len);
        out->body_len = rec->body_len;
    }
    return 0;
nomem:
    gw_idem_response_free(out);
    return GW_ENOMEM;
}

/* ---- entries (all under the lock) -------------------------------------- */

static void entry_remove(gw_idem_t *s, entry_t *e)
{
    entry_t **pp = &s->keys.b[e->khash & s->keys.mask];
    while (*pp != e)
        pp = &(*pp)->knext;
    *pp = e->knext;
    if (e->ticket)
        ticket_remove(s, e);
    list_unlink(&e->age);
    if (e->state != E_FLIGHT)
        list_unlink(&e->done);
    s->count--;
    s->bytes -= e->bytes;
    record_unref(e->rec);
    free(e);
}

static size_t expire_locked(gw_idem_t *s, int64_t now)
{
    size_t n = 0;
    while (s->age_list.next != &s->age_list) {
        entry_t *e = ENTRY_OF(s->age_list.next, age);
        if (now - e->born_ms < s->lim.retention_ms)
            break;
        entry_remove(s, e);
        n++;
    }
    return n;
}

/* Evicts the oldest completed entries until `entries` more entries and
 * `bytes` more bytes fit. Returns 0 or GW_ECAPACITY. */
static int make_room(gw_idem_t *s, size_t entries, size_t bytes)
{
    if (bytes > s->lim.max_bytes || entries > s->lim.max_entries)
        return GW_ECAPACITY;
    while (s->count + entries > s->lim.max_entries || s->bytes + bytes > s->lim.max_bytes) {
        if (s->done_list.next == &s->done_list)
            return GW_ECAPACITY;
        entry_remove(s, ENTRY_OF(s->done_list.next, done));
    }
    return 0;
}

static void complete(gw_idem_t *s, entry_t *e, int state)
{
    ticket_remove(s, e);
    e->state = state;
    list_append(&s->done_list, &e->done);
}

static int64_t clock_now(const gw_idem_t *s)
{
    return s->lim.now_ms ? s->lim.now_ms(s->lim.now_arg) : gw_now_ms();
}

/* ---- public ------------------------------------------------------------ */

gw_idem_t *gw_idem_create(const gw_idem_limits_t *lim)
{
    gw_idem_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (lim)
        s->lim = *lim;
    if (!s->lim.max_entries)
        s->lim.max_entries = GW_IDEM_DEFAULT_MAX_ENTRIES;
    if (!s->lim.max_bytes)
        s->lim.max_bytes = GW_IDEM_DEFAULT_MAX_BYTES;
    if (s->lim.retention_ms <= 0)
        s->lim.retention_ms = GW_IDEM_DEFAULT_RETENTION_MS;
    if (!s->lim.max_response)
        s->lim.max_response = GW_IDEM_DEFAULT_MAX_RESPONSE;
    if (RAND_bytes((unsigned char *)s->sipkey, sizeof(s->sipkey)) != 1) {
        /* Still a working table, just predictable bucket choice. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s->sipkey[0] = (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)s;
        s->sipkey[1] = (uint64_t)ts.tv_sec * 0x9e3779b97f4a7c15ULL;
    }
    list_init(&s->age_list);
    list_init(&s->done_list);
    if (table_init(&s->keys) || table_init(&s->tickets) ||
        pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s->keys.b);
        free(s->tickets.b);
        free(s);
        return NULL;
    }
    return s;
}

void gw_idem_destroy(gw_idem_t *s)
{
    if (!s)
        return;
    while (s->age_list.next != &s->age_list)
        entry_remove(s, ENTRY_OF(s->age_list.next, age));
    free(s->keys.b);
    free(s->tickets.b);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int gw_idem_hash(const void *body, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    if (EVP_Digest(len ? body : "", len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return GW_ENOMEM;
    return 0;
}

int gw_idem_begin(gw_idem_t *s, gw_slice_t caller, gw_slice_t route, gw_slice_t key,
                  const uint8_t hash[32], gw_idem_state_t *state, gw_idem_response_t *out,
                  uint64_t *ticket)
{
    int ret = 0;
    entry_t *fresh = NULL;
    record_t *rec = NULL;

    if (out)
        memset(out, 0, sizeof(*out));
    if (ticket)
        *ticket = 0;
    if (!s || !hash || !state || !out || !ticket || key.len == 0 || key.len > GW_IDEM_KEY_MAX ||
        !key.ptr || (caller.len && !caller.ptr) || (route.len && !route.ptr))
        return GW_EINVAL;

    size_t need = sizeof(entry_t) + caller.len + route.len + key.len;
    /* Most begins create an entry: allocate it before taking the lock. */
    fresh = malloc(need);
    if (!fresh)
        return GW_ENOMEM;
    int64_t now = clock_now(s);
    uint64_t h = key_hash(s, caller, route, key);

    pthread_mutex_lock(&s->lock);
    expire_locked(s, now);
    entry_t *e = key_find(s, h, caller, route, key);
    if (e) {
        if (memcmp(e->hash, hash, 32) != 0)
            *state = GW_IDEM_MISMATCH;
        else if (e->state == E_FLIGHT)
            *state = GW_IDEM_IN_FLIGHT;
        else if (e->state == E_UNKNOWN)
            *state = GW_IDEM_UNKNOWN;
        else {
            *state = GW_IDEM_REPLAY;
            rec = e->rec;
            atomic_fetch_add_explicit(&rec->refs, 1, memory_order_relaxed);
        }
    } else if ((ret = make_room(s, 1, need)) == 0) {
        e = fresh;
        fresh = NULL;
        memset(e, 0, sizeof(*e));
        e->khash = h;
        e->born_ms = now;
        e->bytes = need;
        e->state = E_FLIGHT;
        memcpy(e->hash, hash, 32);
        e->caller_len = caller.len;
        e->route_len = route.len;
        e->key_len = key.len;
        if (caller.len)
            memcpy(e->str, caller.ptr, caller.len);
        if (route.len)
            memcpy(e->str + caller.len, route.ptr, route.len);
        memcpy(e->str + caller.len + route.len, key.ptr, key.len);
        list_init(&e->done);
        list_append(&s->age_list, &e->age);

        size_t slot = h & s->keys.mask;
        e->knext = s->keys.b[slot];
        s->keys.b[slot] = e;
        e->ticket = ++s->next_ticket;
        slot = ticket_slot(e->ticket, s->tickets.mask);
        e->tnext = s->tickets.b[slot];
        s->tickets.b[slot] = e;
        s->count++;
        s->bytes += need;
        if (s->count > s->keys.mask + 1) {
            table_grow(&s->keys, 0);
            table_grow(&s->tickets, 1);
        }
        *ticket = e->ticket;
        *state = GW_IDEM_NEW;
    }
    pthread_mutex_unlock(&s->lock);

    if (rec) {
        ret = record_copy(rec, out);
        record_unref(rec);
    }
    free(fresh);
    return ret;
}

int gw_idem_finish(gw_idem_t *s, uint64_t ticket, const gw_idem_response_t *resp)
{
    int ret = 0;
    record_t *rec = NULL;

    if (!s)
        return GW_EINVAL;
    if (!resp || resp->status < 100 || resp->status > 599 ||
        (resp->headers_len && !resp->headers) || (resp->body_len && !resp->body)) {
        gw_idem_abandon(s, ticket);
        return GW_EINVAL;
    }
    if (resp->status == 504)
        return gw_idem_finish_unknown(s, ticket);
    if (response_size(resp) > s->lim.max_response)
        ret = GW_ETOOBIG;
    else if (!(rec = record_new(resp)))
        ret = GW_ENOMEM;

    pthread_mutex_lock(&s->lock);
    entry_t *e = ticket_find(s, ticket);
    if (!e) {
        ret = GW_EINVAL;
    } else if (ret == 0 && (ret = make_room(s, 0, rec->bytes)) == 0) {
        e->rec = rec;
        rec = NULL;
        e->bytes += e->rec->bytes;
        s->bytes += e->rec->bytes;
        complete(s, e, E_DONE);
    } else {
        entry_remove(s, e); /* not recorded: a retry executes again */
    }
    pthread_mutex_unlock(&s->lock);

    record_unref(rec);
    return ret;
}

int gw_idem_finish_unknown(gw_idem_t *s, uint64_t ticket)
{
    int ret = 0;
    if (!s)
        return GW_EINVAL;
    pthread_mutex_lock(&s->lock);
    entry_t *e = ticket_find(s, ticket);
    if (e)
        complete(s, e, E_UNKNOWN);
    else
        ret = GW_EINVAL;
    pthread_mutex_unlock(&s->lock);
    return ret;
}

void gw_idem_abandon(gw_idem_t *s, uint64_t ticket)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    entry_t *e = ticket_find(s, ticket);
    if (e)
        entry_remove(s, e);
    pthread_mutex_unlock(&s->lock);
}

size_t gw_idem_expire(gw_idem_t *s, int64_t now_ms)
{
    size_t n;
    pthread_mutex_lock(&s->lock);
    n = expire_locked(s, now_ms);
    pthread_mutex_unlock(&s->lock);
    return n;
}

void gw_idem_response_free(gw_idem_response_t *r)
{
    if (!r)
        return;
    free(r->content_type);
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

size_t gw_idem_count(gw_idem_t *s)
{
    size_t n;
    pthread_mutex_lock(&s->lock);
    n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t gw_idem_bytes(gw_idem_t *s)
{
    size_t n;
    pthread_mutex_lock(&s->lock);
    n = s->bytes;
    pthread_mutex_unlock(&s->lock);
    return n;
}
