/*
 * base: arena, buffer and clock. The arena hands out memory from chunks
 * that double in size up to 64 KiB; a request that needs more than that at
 * once gets a dedicated chunk, so large tables do not waste a doubling.
 */
#include "base/base.h"
#include "error/error.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct gw_arena_chunk {
    gw_arena_chunk_t *next;
    size_t size;
    size_t used;
    max_align_t data[];
};

#define ARENA_FIRST_CHUNK 1024
#define ARENA_MAX_CHUNK   (64 * 1024)
#define ALIGN_UP(n)       (((n) + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1))

void gw_arena_init(gw_arena_t *a, size_t limit)
{
    a->head = NULL;
    a->chunk_size = ARENA_FIRST_CHUNK;
    a->total = 0;
    a->limit = limit;
}

void *gw_arena_alloc(gw_arena_t *a, size_t size)
{
    gw_arena_chunk_t *c = a->head;
    size_t need = ALIGN_UP(size ? size : 1);
    if (need < size)
        return NULL;
    if (c == NULL || c->size - c->used < need) {
        size_t csize = a->chunk_size ? a->chunk_size : ARENA_FIRST_CHUNK;
        if (csize < need)
            csize = need;
        if (a->limit && a->total + csize > a->limit)
            return NULL;
        c = malloc(sizeof(*c) + csize);
        if (c == NULL)
            return NULL;
        c->size = csize;
        c->used = 0;
        c->next = a->head;
        a->head = c;
        a->total += csize;
        if (a->chunk_size < ARENA_MAX_CHUNK)
            a->chunk_size *= 2;
    }
    void *p = (char *)c->data + c->used;
    c->used += need;
    return p;
}

void *gw_arena_calloc(gw_arena_t *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = gw_arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *gw_arena_strndup(gw_arena_t *a, const char *s, size_t len)
{
    char *p = gw_arena_alloc(a, len + 1);
    if (p) {
        if (len)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

char *gw_arena_slice_str(gw_arena_t *a, gw_slice_t s)
{
    return gw_arena_strndup(a, s.ptr, s.len);
}

char *gw_arena_printf(gw_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = gw_arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void gw_arena_free(gw_arena_t *a)
{
    gw_arena_chunk_t *c = a->head;
    while (c) {
        gw_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    gw_arena_init(a, a->limit);
}

void gw_buf_init(gw_buf_t *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->failed = 0;
}

int gw_buf_reserve(gw_buf_t *b, size_t extra)
{
    if (b->failed)
        return b->failed;
    if (extra > SIZE_MAX - b->len || (b->max && b->len + extra > b->max)) {
        b->failed = GW_ETOOBIG;
        return b->failed;
    }
    size_t need = b->len + extra;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (b->max && cap > b->max)
        cap = b->max;
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = GW_ENOMEM;
        return b->failed;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int gw_buf_append(gw_buf_t *b, const void *p, size_t n)
{
    int ret = gw_buf_reserve(b, n);
    if (ret == 0 && n) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
    return ret;
}

int gw_buf_printf(gw_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return GW_EINVAL;
    int ret = gw_buf_reserve(b, (size_t)n + 1);
    if (ret)
        return ret;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void gw_buf_free(gw_buf_t *b)
{
    free(b->data);
    gw_buf_init(b, b->max);
}

int64_t gw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t gw_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int gw_memory_retain(size_t bytes)
{
    if (bytes == 0)
        return 0;
#ifdef __GLIBC__
    size_t mmap_max = (size_t)32 << 20; /* glibc's HEAP_MAX / 2 on 64-bit: the most it accepts */
    size_t mm = bytes < mmap_max ? bytes : mmap_max;
    if (bytes > INT_MAX || mallopt(M_MMAP_THRESHOLD, (int)mm) != 1 ||
        mallopt(M_TRIM_THRESHOLD, (int)bytes) != 1)
        return GW_EINVAL;
    return 0;
#else
    return GW_EUNSUPPORTED;
#endif
}

size_t gw_utf8_seq(const uint8_t *s, size_t n, size_t *bad)
{
    uint8_t c = s[0];
    size_t k;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        k = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        k = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        if (bad)
            *bad = 1;
        return 0;
    }
    /* The maximal subpart of an ill-formed sequence is replaced by one U+FFFD. */
    for (size_t i = 1; i < k; i++) {
        uint8_t x = i < n ? s[i] : 0;
        uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xbf;
        if (i >= n || x < l || x > h) {
            if (bad)
                *bad = i;
            return 0;
        }
    }
    return k;
}

size_t gw_utf8_put(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}
