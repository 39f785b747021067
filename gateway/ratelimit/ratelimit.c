/*
 * ratelimit: a chained hash table of buckets plus an LRU list through
 * them. The table has a power-of-two number of chains (about one per key)
 * and a per-process random seed, so callers cannot aim their identities at
 * one chain.
 */
#include "ratelimit/ratelimit.h"

#include <openssl/rand.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 256

typedef struct bucket {
    struct bucket *next;          /* chain */
    struct bucket *older, *newer; /* LRU list */
    double tokens;
    int64_t last_ms;
    uint64_t hash;
    char key[];
} bucket_t;

struct gw_ratelimit {
    pthread_mutex_t lock;
    double rate, burst;
    size_t max_keys, n, mask;
    bucket_t **chains;
    bucket_t *oldest, *newest;
    uint64_t seed;
};

gw_ratelimit_t *gw_ratelimit_create(int rate, int burst, size_t max_keys)
{
    if (rate <= 0 || burst < 1 || max_keys < 1)
        return NULL;
    gw_ratelimit_t *rl = calloc(1, sizeof(*rl));
    size_t nchains = 16;
    while (nchains < max_keys && nchains < ((size_t)1 << 24))
        nchains <<= 1;
    if (rl == NULL || (rl->chains = calloc(nchains, sizeof(*rl->chains))) == NULL) {
        free(rl);
        return NULL;
    }
    if (RAND_bytes((unsigned char *)&rl->seed, sizeof(rl->seed)) != 1)
        rl->seed = (uint64_t)(uintptr_t)rl ^ 0x9e3779b97f4a7c15ULL;
    pthread_mutex_init(&rl->lock, NULL);
    rl->rate = rate;
    rl->burst = burst;
    rl->max_keys = max_keys;
    rl->mask = nchains - 1;
    return rl;
}

void gw_ratelimit_destroy(gw_ratelimit_t *rl)
{
    if (rl == NULL)
        return;
    for (bucket_t *b = rl->oldest, *next; b; b = next) {
        next = b->newer;
        free(b);
    }
    free(rl->chains);
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static uint64_t hash_of(uint64_t seed, const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
        h ^= h >> 29;
    }
    return h;
}

static void lru_unlink(gw_ratelimit_t *rl, bucket_t *b)
{
    if (b->older)
        b->older->newer = b->newer;
    else
        rl->oldest = b->newer;
    if (b->newer)
        b->newer->older = b->older;
    else
        rl->newest = b->older;
    b->older = b->newer = NULL;
}

static void lru_push(gw_ratelimit_t *rl, bucket_t *b)
{
    b->older = rl->newest;
    b->newer = NULL;
    if (rl->newest)
        rl->newest->newer = b;
    else
        rl->oldest = b;
    rl->newest = b;
}

static void drop(gw_ratelimit_t *rl, bucket_t *b)
{
    bucket_t **pp = &rl->chains[b->hash & rl->mask];
    while (*pp != b)
        pp = &(*pp)->next;
    *pp = b->next;
    lru_unlink(rl, b);
    free(b);
    rl->n--;
}

int gw_ratelimit_take(gw_ratelimit_t *rl, const char *key, int64_t now_ms, int peek)
{
    size_t n = strnlen(key, KEY_MAX);
    uint64_t h = hash_of(rl->seed, key, n);
    int wait = 0;
    pthread_mutex_lock(&rl->lock);
    bucket_t *b = rl->chains[h & rl->mask];
    while (b && !(b->hash == h && strncmp(b->key, key, n) == 0 && b->key[n] == '\0'))
        b = b->next;
    if (b == NULL && peek)
        goto cleanup; /* an unknown key has a full bucket */
    if (b == NULL) {
        if (rl->n >= rl->max_keys)
            drop(rl, rl->oldest);
        b = malloc(sizeof(*b) + n + 1);
        if (b == NULL)
            goto cleanup; /* fail open on OOM: refusing everyone would be worse */
        memcpy(b->key, key, n);
        b->key[n] = '\0';
        b->hash = h;
        b->tokens = rl->burst;
        b->last_ms = now_ms;
        b->next = rl->chains[h & rl->mask];
        rl->chains[h & rl->mask] = b;
        b->older = b->newer = NULL;
        lru_push(rl, b);
        rl->n++;
    } else {
        lru_unlink(rl, b);
        lru_push(rl, b);
    }
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * rl->rate / 1000.0;
        if (b->tokens > rl->burst)
            b->tokens = rl->burst;
        b->last_ms = now_ms;
    }
    if (b->tokens >= 1.0) {
        if (!peek)
            b->tokens -= 1.0;
    } else {
        double s = (1.0 - b->tokens) / rl->rate;
        wait = (int)s + ((double)(int)s < s ? 1 : 0);
        if (wait < 1)
            wait = 1;
    }
cleanup:
    pthread_mutex_unlock(&rl->lock);
    return wait;
}

size_t gw_ratelimit_count(gw_ratelimit_t *rl)
{
    pthread_mutex_lock(&rl->lock);
    size_t n = rl->n;
    pthread_mutex_unlock(&rl->lock);
    return n;
}
