/*
 * base: the few primitives every other module builds on.
 *
 * - gw_slice_t: a {ptr, len} view of bytes that crosses module borders
 *   instead of NUL-scanned copies.
 * - gw_arena_t: a bump allocator owned by one request (or one decoded
 *   message). Everything allocated from it is freed at once by
 *   gw_arena_free(); nothing inside is freed individually.
 * - gw_buf_t: a growable byte buffer with a hard size cap, used by encoders.
 */
#ifndef GW_BASE_H
#define GW_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** A borrowed view of `len` bytes at `ptr`; not NUL-terminated unless said so. */
typedef struct {
    const char *ptr;
    size_t len;
} gw_slice_t;

#define GW_SLICE_LIT(s)  ((gw_slice_t){(s), sizeof(s) - 1})
#define GW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/** Makes a slice of a NUL-terminated string (NULL gives an empty slice). */
static inline gw_slice_t gw_slice(const char *s)
{
    return (gw_slice_t){s ? s : "", s ? strlen(s) : 0};
}

/**
 * The first and the last bytes of p[0..n), n >= 4: eight of each from n = 8
 * on, four of each below (they overlap for short n; up to n = 16 they cover
 * every byte). Fixed-size loads only — no call to memcpy or memcmp.
 */
static inline void gw_load_ends(const char *p, size_t n, uint64_t *first, uint64_t *last)
{
    if (n >= 8) {
        memcpy(first, p, 8);
        memcpy(last, p + n - 8, 8);
        return;
    }
    uint32_t x, y;
    memcpy(&x, p, 4);
    memcpy(&y, p + n - 4, 4);
    *first = x;
    *last = y;
}

/** Returns 1 when both slices hold the same bytes. */
static inline int gw_slice_eq(gw_slice_t a, gw_slice_t b)
{
    if (a.len != b.len)
        return 0;
    if (a.ptr == b.ptr || a.len == 0)
        return 1;
    if (a.len >= 4 && a.len <= 16) { /* names of fields and parameters, mostly */
        uint64_t x0, x1, y0, y1;
        gw_load_ends(a.ptr, a.len, &x0, &x1);
        gw_load_ends(b.ptr, b.len, &y0, &y1);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    return memcmp(a.ptr, b.ptr, a.len) == 0;
}

/** Returns 1 when the slice equals the NUL-terminated string `s`. */
static inline int gw_slice_eq_str(gw_slice_t a, const char *s)
{
    return gw_slice_eq(a, gw_slice(s));
}

typedef struct gw_arena_chunk gw_arena_chunk_t;

/** A bump allocator; zero-initialise it (or use gw_arena_init) before use. */
typedef struct {
    gw_arena_chunk_t *head;
    size_t chunk_size; /* size of the next ordinary chunk */
    size_t total;      /* bytes obtained from malloc so far */
    size_t limit;      /* 0 = unlimited; otherwise allocations past it fail */
} gw_arena_t;

/** Prepares an empty arena. `limit` caps its total size in bytes (0 = no cap). */
void gw_arena_init(gw_arena_t *a, size_t limit);
/** Returns `size` bytes aligned for any type, or NULL when memory or the limit runs out. */
void *gw_arena_alloc(gw_arena_t *a, size_t size);
/** Like gw_arena_alloc but zero-filled; `n * size` is checked for overflow. */
void *gw_arena_calloc(gw_arena_t *a, size_t n, size_t size);
/** Copies `len` bytes into the arena and NUL-terminates the copy. */
char *gw_arena_strndup(gw_arena_t *a, const char *s, size_t len);
/** Copies a slice into the arena as a NUL-terminated string. */
char *gw_arena_slice_str(gw_arena_t *a, gw_slice_t s);
/** printf into the arena. */
char *gw_arena_printf(gw_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Frees every chunk; the arena is empty and reusable afterwards. */
void gw_arena_free(gw_arena_t *a);

/** A growable byte buffer that refuses to grow past `max` bytes. */
typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max; /* 0 = unlimited */
    int failed; /* set once an append failed; later appends are no-ops */
} gw_buf_t;

/** Prepares an empty buffer capped at `max` bytes (0 = uncapped). */
void gw_buf_init(gw_buf_t *b, size_t max);
/** Ensures room for `extra` more bytes; returns 0 or GW_ENOMEM / GW_ETOOBIG. */
int gw_buf_reserve(gw_buf_t *b, size_t extra);
/** Appends bytes; on failure marks the buffer failed and returns the error. */
int gw_buf_append(gw_buf_t *b, const void *p, size_t n);
/**
 * gw_buf_append() for the many small pieces of an encoder: copies in place
 * while the buffer has room (cap never exceeds max), grows through
 * gw_buf_append() otherwise.
 */
static inline int gw_buf_put(gw_buf_t *b, const void *p, size_t n)
{
    if (!b->failed && b->cap - b->len >= n) {
        if (n) /* p may be NULL when n is 0 */
            memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
    }
    return gw_buf_append(b, p, n);
}
/** Appends printf output. */
int gw_buf_printf(gw_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Releases the memory; the buffer is empty afterwards. */
void gw_buf_free(gw_buf_t *b);

/**
 * Length of the well-formed UTF-8 sequence at `s` (`n` bytes left; Unicode
 * table 3-7: no overlongs, surrogates or code points past U+10FFFF), or 0
 * when it is ill-formed — then `*bad` (if not NULL) receives the length of
 * its maximal subpart, which one U+FFFD replaces. Call it for s[0] >= 0x80.
 */
size_t gw_utf8_seq(const uint8_t *s, size_t n, size_t *bad);

/**
 * Length of the longest prefix of s[0..n) that a JSON string carries as it
 * is: printable ASCII other than '"' and '\\' (0x20-0x7f). Both directions
 * (jdoc reading, codec_out writing) scan every string byte; this looks at
 * eight at a time and leaves only the word that stops the run to a byte loop.
 */
static inline size_t gw_json_plain_len(const uint8_t *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, q, b;
        memcpy(&w, s + i, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        /* any byte >= 0x80, < 0x20, == '"' or == '\\' (exact for "any", not for "which") */
        if ((w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high)
            break;
    }
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

/**
 * Writes code point `cp` (at most U+10FFFF, not a surrogate) as UTF-8 to
 * `out` (room for 4 bytes) and returns the number of bytes written.
 */
size_t gw_utf8_put(uint32_t cp, char *out);

/**
 * Lets the C library keep up to `bytes` of freed memory mapped per allocator
 * arena instead of returning it to the kernel, so that a request's arena,
 * buffers and tables reuse pages the last request faulted in (glibc:
 * M_TRIM_THRESHOLD = bytes, M_MMAP_THRESHOLD = min(bytes, 32 MiB)). 0 keeps
 * the library's defaults. Returns 0, or GW_EUNSUPPORTED without glibc.
 */
int gw_memory_retain(size_t bytes);

/** Monotonic clock in milliseconds. */
int64_t gw_now_ms(void);
/** Monotonic clock in microseconds. */
int64_t gw_now_us(void);

#endif
