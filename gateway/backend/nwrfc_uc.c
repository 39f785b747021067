/*
 * nwrfc_uc: UTF-8 ↔ UTF-16. Strict on the way in (a value rfmgw sends must
 * be valid text; the codec has checked it already, this is the last line),
 * lenient on the way out (what the backend sends is shown, never refused:
 * a broken surrogate becomes U+FFFD).
 */
#include "backend/nwrfc_uc.h"
#include "error/error.h"

#include <string.h>

/* Decodes one UTF-8 character at p[*i]; returns the code point or -1. */
static long next_cp(const unsigned char *p, size_t n, size_t *i)
{
    unsigned c = p[*i];
    unsigned need;
    unsigned long cp, min;
    if (c < 0x80) {
        (*i)++;
        return (long)c;
    }
    if ((c & 0xe0) == 0xc0) {
        need = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        need = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        need = 3, cp = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (n - *i <= need)
        return -1;
    for (unsigned k = 1; k <= need; k++) {
        unsigned cc = p[*i + k];
        if ((cc & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i += need + 1;
    return (long)cp;
}

long gw_nwrfc_utf16_len(gw_slice_t s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0;
    long units = 0;
    while (i < s.len) {
        long cp = next_cp(p, s.len, &i);
        if (cp < 0)
            return -1;
        units += cp >= 0x10000 ? 2 : 1;
    }
    return units;
}

long gw_nwrfc_to_utf16(gw_slice_t s, uint16_t *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0, o = 0;
    if (cap == 0)
        return -2;
    while (i < s.len) {
        long cp = next_cp(p, s.len, &i);
        if (cp < 0) {
            out[0] = 0;
            return -1;
        }
        size_t need = cp >= 0x10000 ? 2 : 1;
        if (o + need + 1 > cap) {
            out[0] = 0;
            return -2;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out[o++] = (uint16_t)(0xd800 | (cp >> 10));
            out[o++] = (uint16_t)(0xdc00 | (cp & 0x3ff));
        } else {
            out[o++] = (uint16_t)cp;
        }
    }
    out[o] = 0;
    return (long)o;
}

/* Code point of the UTF-16 unit(s) at p[*i]; unpaired surrogates → U+FFFD. */
static unsigned long next_unit(const uint16_t *p, size_t n, size_t *i)
{
    unsigned long u = p[(*i)++];
    if (u >= 0xd800 && u <= 0xdbff && *i < n && p[*i] >= 0xdc00 && p[*i] <= 0xdfff)
        return 0x10000 + ((u - 0xd800) << 10) + (p[(*i)++] - 0xdc00u);
    if (u >= 0xd800 && u <= 0xdfff)
        return 0xfffd;
    return u;
}

int gw_nwrfc_from_utf16(gw_arena_t *arena, const uint16_t *p, size_t n, gw_slice_t *out)
{
    /* at most 3 bytes per unit (a pair of 2 units makes 4 bytes) */
    char *buf = gw_arena_alloc(arena, n * 3 + 1);
    size_t i = 0, o = 0;
    if (buf == NULL)
        return GW_ENOMEM;
    while (i < n)
        o += gw_utf8_put((uint32_t)next_unit(p, n, &i), buf + o);
    buf[o] = '\0';
    *out = (gw_slice_t){buf, o};
    return 0;
}

size_t gw_nwrfc_uclen(const uint16_t *p, size_t max)
{
    size_t n = 0;
    while (n < max && p[n])
        n++;
    return n;
}

void gw_nwrfc_uc_copy(char *out, size_t size, const uint16_t *p, size_t max)
{
    size_t n = gw_nwrfc_uclen(p, max), i = 0, o = 0;
    char tmp[4];
    if (size == 0)
        return;
    while (i < n) {
        size_t k = gw_utf8_put((uint32_t)next_unit(p, n, &i), tmp);
        if (o + k + 1 > size)
            break;
        memcpy(out + o, tmp, k);
        o += k;
    }
    out[o] = '\0';
}
