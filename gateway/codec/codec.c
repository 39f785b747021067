/*
 * codec: what the input, output and describe halves share — options, the
 * error list, calendar checks, base64 and the shortest float digits.
 *
 * The codec is split by direction (codec_in.c, codec_out.c,
 * codec_describe.c) because each half is long and they share only these
 * leaf helpers; no jansson tree is built on the output side.
 */
#include "codec/codec_internal.h"
#include "error/error.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const gw_codec_opts_t default_opts = {
    .char_trim = 1,
    .num_as_string = 1,
    .date_format = GW_CODEC_FMT_ISO,
    .time_format = GW_CODEC_FMT_ISO,
    .initial_date_null = 1,
    .int8_as_string = 1,
    .max_depth = 16,
    .max_rows = 100000,
};

gw_codec_opts_t gw_codec_opts_default(void)
{
    return default_opts;
}

const gw_codec_opts_t *gw__codec_opts(const gw_codec_opts_t *o)
{
    return o ? o : &default_opts;
}

gw_codec_opts_t gw__codec_opts_limits(const gw_codec_opts_t *o)
{
    gw_codec_opts_t c = *gw__codec_opts(o);
    if (c.max_depth == 0)
        c.max_depth = default_opts.max_depth;
    if (c.max_rows == 0)
        c.max_rows = default_opts.max_rows;
    return c;
}

int gw_codec_fmt_parse(const char *name, uint8_t *out)
{
    if (name && strcmp(name, "iso") == 0) {
        *out = GW_CODEC_FMT_ISO;
        return 0;
    }
    if (name && strcmp(name, "sap") == 0) {
        *out = GW_CODEC_FMT_SAP;
        return 0;
    }
    return GW_EINVAL;
}

const char *gw_codec_fmt_name(int fmt)
{
    return fmt == GW_CODEC_FMT_SAP ? "sap" : "iso";
}

int gw_codec_errors_init(gw_arena_t *a, gw_codec_errors_t *errs, size_t max)
{
    errs->items = gw_arena_calloc(a, max ? max : 1, sizeof(*errs->items));
    errs->n = 0;
    errs->max = max;
    errs->dropped = 0;
    return errs->items ? 0 : GW_ENOMEM;
}

size_t gw_codec_utf16_len(gw_slice_t s)
{
    size_t n = 0, i = 0;
    for (; i + 8 <= s.len; i += 8) { /* ASCII, eight bytes at a time: one unit each */
        uint64_t w;
        memcpy(&w, s.ptr + i, 8);
        if (w & UINT64_C(0x8080808080808080))
            break;
        n += 8;
    }
    for (; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if ((c & 0xc0) == 0x80)
            continue; /* continuation byte */
        n += c >= 0xf0 ? 2 : 1;
    }
    return n;
}

static int all_digits(gw_slice_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return 0;
    return 1;
}

static int num2(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

int gw__codec_date_initial(gw_slice_t s)
{
    return gw_slice_eq_str(s, "00000000");
}

int gw__codec_date_valid(gw_slice_t s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (s.len != 8 || !all_digits(s))
        return 0;
    int y = num2(s.ptr) * 100 + num2(s.ptr + 2), m = num2(s.ptr + 4), d = num2(s.ptr + 6);
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

int gw__codec_time_valid(gw_slice_t s)
{
    if (s.len != 6 || !all_digits(s))
        return 0;
    if (gw_slice_eq_str(s, "240000"))
        return 1;
    return num2(s.ptr) < 24 && num2(s.ptr + 2) < 60 && num2(s.ptr + 4) < 60;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t gw__codec_b64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void gw__codec_b64_encode(char *dst, const uint8_t *src, size_t n)
{
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
        *dst++ = b64_alphabet[v >> 18];
        *dst++ = b64_alphabet[(v >> 12) & 63];
        *dst++ = b64_alphabet[(v >> 6) & 63];
        *dst++ = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)src[i] << 16;
        *dst++ = b64_alphabet[v >> 18];
        *dst++ = b64_alphabet[(v >> 12) & 63];
        *dst++ = '=';
        *dst++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
        *dst++ = b64_alphabet[v >> 18];
        *dst++ = b64_alphabet[(v >> 12) & 63];
        *dst++ = b64_alphabet[(v >> 6) & 63];
        *dst++ = '=';
    }
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int gw__codec_b64_decode(uint8_t *dst, size_t *outlen, const char *src, size_t n)
{
    size_t o = 0;
    *outlen = 0;
    if (n % 4)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int last = i + 4 == n;
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)src[i + k];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad) /* data after '=' */
                return -1;
            if ((v[k] = b64_val(c)) < 0)
                return -1;
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | v[3];
        /* Canonical only: the bits the padding leaves over must be zero. */
        if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
            return -1;
        dst[o++] = (uint8_t)(w >> 16);
        if (pad < 2)
            dst[o++] = (uint8_t)(w >> 8);
        if (pad < 1)
            dst[o++] = (uint8_t)w;
    }
    *outlen = o;
    return 0;
}

/*
 * The usual ABAP FLOAT (a price, a weight: at most 15 significant digits,
 * at most 9 decimals) without printf/strtod: the first k for which
 * round(|x| · 10^k) / 10^k == |x| gives an integer y below 10^15 whose digits
 * are the answer. Exact: y and 10^k are exact doubles, so the division is
 * the correctly rounded value of the decimal y·10^-k, just as strtod would
 * read it; and two different decimals of at most 15 significant digits
 * never read as the same double, so y is the shortest form (DBL_DIG).
 * Returns 0 when x is not such a number.
 */
static int shortest_short(double x, char *digits, int *point)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    double ax = fabs(x);
    if (!(ax >= 1e-9 && ax < 1e15))
        return 0;
    for (int k = 0; k < (int)(sizeof(p10) / sizeof(p10[0])); k++) {
        double t = ax * p10[k];
        if (t >= 1e15)
            return 0;
        double y = nearbyint(t);
        if (y == 0 || y / p10[k] != ax)
            continue;
        char tmp[20];
        int n = 0;
        for (uint64_t u = (uint64_t)y; u; u /= 10)
            tmp[n++] = (char)('0' + u % 10);
        *point = n - k;
        for (int i = 0; i < n; i++)
            digits[i] = tmp[n - 1 - i];
        while (n > 1 && digits[n - 1] == '0')
            n--;
        digits[n] = '\0';
        return n;
    }
    return 0;
}

int gw__codec_shortest(double x, char *digits, int *point)
{
    char buf[40];
    int fast = shortest_short(x, digits, point);
    if (fast)
        return fast;
    /* Subnormals carry fewer than 53 bits: the argument below does not hold, search from 1. */
    int p = x != 0 && fabs(x) < DBL_MIN ? 1 : 15;
    /*
     * The first precision whose correctly rounded text reads back as x is the
     * shortest. Every double whose shortest form has at most 15 digits
     * round-trips at 15 digits, and x is so close to that short decimal
     * (half an ulp, about 1e-16 relative) that rounding it to 15 digits gives
     * the short form followed by zeros, which are stripped below. So for a
     * normal double only 15, 16 and 17 need trying.
     */
    for (; p < 17; p++) {
        snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    if (p == 17)
        snprintf(buf, sizeof(buf), "%.*e", 16, x);
    /* buf: [-]d[.ddd]e±XX */
    const char *s = buf + (buf[0] == '-');
    int n = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            digits[n++] = *s;
    int e = *s == 'e' ? atoi(s + 1) : 0;
    /* Trailing zeros are not significant (see above); keep at least one digit. */
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *point = e + 1;
    return n;
}

unsigned gw__codec_bcd_digits(const gw_rfc_typedesc_t *t)
{
    uint32_t len = t->length && t->length <= 16 ? t->length : 16;
    return 2 * len - 1;
}

/* Makes a text value: `head`, `nzero` zeros, and `decimals` zeros after a point. */
static int fill_text(gw_arena_t *a, gw_rfc_value_t *out, const char *head, size_t nzero,
                     unsigned decimals)
{
    size_t hl = strlen(head);
    size_t len = hl + nzero + (decimals ? 1 + decimals : 0);
    char *p = gw_arena_alloc(a, len + 1);
    if (p == NULL)
        return GW_ENOMEM;
    memcpy(p, head, hl);
    memset(p + hl, '0', nzero);
    if (decimals) {
        p[hl + nzero] = '.';
        memset(p + hl + nzero + 1, '0', decimals);
    }
    p[len] = '\0';
    out->u.s = (gw_slice_t){p, len};
    return 0;
}

int gw_codec_initial_value(gw_arena_t *a, const gw_rfc_typedesc_t *t, gw_rfc_value_t *out)
{
    memset(out, 0, sizeof(*out));
    out->type = t->type;
    out->u.s = (gw_slice_t){"", 0};
    switch (t->type) {
    case GW_RFC_NUM:
        return fill_text(a, out, "", t->length, 0);
    case GW_RFC_DATE:
        out->u.s = GW_SLICE_LIT("00000000");
        return 0;
    case GW_RFC_TIME:
        out->u.s = GW_SLICE_LIT("000000");
        return 0;
    case GW_RFC_BCD:
        return fill_text(a, out, "0", 0, t->decimals);
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
        out->u.s = GW_SLICE_LIT("0");
        return 0;
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4:
    case GW_RFC_INT8:
        out->u.i = 0;
        return 0;
    case GW_RFC_FLOAT:
        out->u.f = 0.0;
        return 0;
    case GW_RFC_STRUCTURE:
        out->u.st.count = 0;
        out->u.st.fields = NULL;
        return 0;
    case GW_RFC_TABLE:
        out->u.tab.count = 0;
        out->u.tab.rows = NULL;
        return 0;
    default: /* CHAR, STRING, XSTRING, RAW: empty */
        return 0;
    }
}

int gw__codec_fmt_double(double x, char *buf)
{
    char d[20];
    int point;
    int n = gw__codec_shortest(x, d, &point);
    char *w = buf;
    if (signbit(x))
        *w++ = '-';
    /* Integral values stay integers only below 10^18, where every parser fits them in an int64. */
    if (n <= point && point <= 18) {
        memcpy(w, d, (size_t)n); /* integer: digits then zeros */
        w += n;
        memset(w, '0', (size_t)(point - n));
        w += point - n;
    } else if (n > point && 0 < point && point <= 21) {
        memcpy(w, d, (size_t)point);
        w += point;
        *w++ = '.';
        memcpy(w, d + point, (size_t)(n - point));
        w += n - point;
    } else if (-6 < point && point <= 0) {
        *w++ = '0';
        *w++ = '.';
        memset(w, '0', (size_t)-point);
        w += -point;
        memcpy(w, d, (size_t)n);
        w += n;
    } else {
        *w++ = d[0];
        if (n > 1) {
            *w++ = '.';
            memcpy(w, d + 1, (size_t)(n - 1));
            w += n - 1;
        }
        w += sprintf(w, "e%+d", point - 1);
    }
    *w = '\0';
    return (int)(w - buf);
}
