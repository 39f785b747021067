/*
 * codec_in: JSON → RFC values, checked against the function description.
 *
 * jdoc has already checked syntax, UTF-8 and duplicate keys (an embedded
 * NUL, as \u0000, reaches us and gets a precise error here). Every value is
 * checked against its ABAP type and normalized to its wire text form; all
 * problems are collected rather than stopping at the first.
 *
 * JSON Pointers are built only when a problem is reported: the walk keeps a
 * chain of path segments on the C stack, so a valid 100,000-row table costs
 * no pointer strings at all. CHAR and STRING values that need no change
 * point at the jdoc strings (same arena, see codec.h); the rest are made in
 * the arena. A table's rows look for a field where the row before had it
 * first (jdoc gives the rows the same key slices).
 */
#include "codec/codec_internal.h"
#include "error/error.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One segment of the JSON Pointer to the value being read. */
typedef struct path {
    const struct path *up;
    const char *raw; /* root only: an already escaped pointer prefix */
    gw_slice_t name; /* object member (escaped when materialized) */
    size_t index;    /* array element when is_index */
    int is_index;
} path_t;

typedef struct {
    gw_arena_t *a;
    const gw_codec_opts_t *o;
    gw_codec_errors_t *errs;
} rd_t;

/* Appends `name` escaped per RFC 6901 ('~' → "~0", '/' → "~1"); returns bytes written. */
static size_t escape_token(char *w, gw_slice_t name)
{
    size_t k = 0;
    for (size_t i = 0; i < name.len; i++) {
        if (name.ptr[i] == '~' || name.ptr[i] == '/') {
            if (w) {
                w[k] = '~';
                w[k + 1] = name.ptr[i] == '~' ? '0' : '1';
            }
            k += 2;
        } else {
            if (w)
                w[k] = name.ptr[i];
            k++;
        }
    }
    return k;
}

static size_t segment(char *w, const path_t *p)
{
    if (p->raw) {
        size_t n = strlen(p->raw);
        if (w)
            memcpy(w, p->raw, n);
        return n;
    }
    if (p->is_index) {
        char tmp[24];
        int n = snprintf(tmp, sizeof(tmp), "/%zu", p->index);
        if (w)
            memcpy(w, tmp, (size_t)n);
        return (size_t)n;
    }
    if (w)
        w[0] = '/';
    return 1 + escape_token(w ? w + 1 : NULL, p->name);
}

/* Builds the pointer string of `p` in the arena; "" on out-of-memory (the reason still says what).
 */
static const char *materialize(gw_arena_t *a, const path_t *p)
{
    size_t len = 0;
    for (const path_t *q = p; q; q = q->up)
        len += segment(NULL, q);
    char *s = gw_arena_alloc(a, len + 1);
    if (s == NULL)
        return "";
    size_t end = len;
    s[len] = '\0';
    for (const path_t *q = p; q; q = q->up) {
        size_t n = segment(NULL, q);
        end -= n;
        segment(s + end, q);
    }
    return s;
}

static void fail(rd_t *r, const path_t *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(rd_t *r, const path_t *p, const char *fmt, ...)
{
    if (r->errs->n >= r->errs->max) {
        r->errs->dropped++;
        return;
    }
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    int full = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t len = strlen(msg);
    if (full >= (int)sizeof(msg)) {
        /* Truncated: drop a cut UTF-8 sequence so the reason stays valid UTF-8. */
        size_t k = len;
        while (k > 0 && ((unsigned char)msg[k - 1] & 0xc0) == 0x80)
            k--;
        if (k > 0 && (unsigned char)msg[k - 1] >= 0xc0) {
            unsigned char lead = (unsigned char)msg[k - 1];
            size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
            if (len - (k - 1) < need)
                len = k - 1;
        }
    }
    const char *reason = gw_arena_strndup(r->a, msg, len);
    r->errs->items[r->errs->n].pointer = materialize(r->a, p);
    r->errs->items[r->errs->n].reason = reason ? reason : "invalid value";
    r->errs->n++;
}

/* What a type expects in JSON, for "expected …, got …". */
static const char *expected_name(const gw_rfc_typedesc_t *t)
{
    switch (t->type) {
    case GW_RFC_NUM:
        return "a string of digits or a non-negative integer";
    case GW_RFC_BCD:
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
        return "a decimal string or a number";
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4:
        return "an integer";
    case GW_RFC_INT8:
        return "an integer or a string of an integer";
    case GW_RFC_FLOAT:
        return "a number";
    case GW_RFC_STRUCTURE:
        return "an object";
    case GW_RFC_TABLE:
        return "an array";
    default:
        return "a string";
    }
}

static int wrong_type(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p)
{
    fail(r, p, "expected %s, got %s", expected_name(t), gw_jdoc_type_name(j));
    return GW_EPARAM;
}

/* 1 when JSON null stands for the initial date under the options. */
static int null_is_initial_date(rd_t *r, const gw_rfc_typedesc_t *t)
{
    return t->type == GW_RFC_DATE && r->o->initial_date_null;
}

static int set_text(rd_t *r, gw_rfc_value_t *v, const char *s, size_t n)
{
    char *c = gw_arena_strndup(r->a, s, n);
    if (c == NULL)
        return GW_ENOMEM;
    v->u.s = (gw_slice_t){c, n};
    return 0;
}

/* Text taken as it is from the body: the value points at the jdoc string (same arena). */
static int set_slice(gw_rfc_value_t *v, gw_slice_t s)
{
    v->u.s = s;
    return 0;
}

static int digits_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* The JSON string `j` as a slice, refusing an embedded NUL. Returns 0 or GW_EPARAM. */
static int text_of(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                   gw_slice_t *s)
{
    if (!(j->type == GW_JDOC_STRING))
        return wrong_type(r, t, j, p);
    *s = (gw_slice_t){j->u.s, j->n};
    if (memchr(s->ptr, '\0', s->len)) {
        fail(r, p, "contains a NUL character (\\u0000)");
        return GW_EPARAM;
    }
    return 0;
}

static int read_char(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                     gw_rfc_value_t *v)
{
    gw_slice_t s;
    int ret = text_of(r, t, j, p, &s);
    if (ret)
        return ret;
    /* Trailing blanks of CHAR carry no data (the wire may omit them). */
    while (s.len && s.ptr[s.len - 1] == ' ')
        s.len--;
    size_t n16 = gw_codec_utf16_len(s);
    if (t->length && n16 > t->length) {
        fail(r, p, "is %zu characters long; CHAR %u holds at most %u", n16, t->length, t->length);
        return GW_EPARAM;
    }
    return set_slice(v, s);
}

static int read_num(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                    gw_rfc_value_t *v)
{
    char ibuf[24];
    gw_slice_t s;
    if ((j->type == GW_JDOC_INT)) {
        int64_t x = j->u.i;
        if (x < 0) {
            fail(r, p, "%lld is negative; NUM %u holds only digits", (long long)x, t->length);
            return GW_EPARAM;
        }
        s.len = (size_t)snprintf(ibuf, sizeof(ibuf), "%lld", (long long)x);
        s.ptr = ibuf;
    } else {
        int ret = text_of(r, t, j, p, &s);
        if (ret)
            return ret;
        if (s.len == 0) {
            fail(r, p, "is empty; NUM %u needs 1 to %u digits", t->length, t->length);
            return GW_EPARAM;
        }
        if (!digits_only(s.ptr, s.len)) {
            fail(r, p, "NUM %u takes only the digits 0-9", t->length);
            return GW_EPARAM;
        }
    }
    if (t->length && s.len > t->length) {
        fail(r, p, "has %zu digits; NUM %u holds at most %u", s.len, t->length, t->length);
        return GW_EPARAM;
    }
    size_t width = t->length ? t->length : s.len;
    char *c = gw_arena_alloc(r->a, width + 1);
    if (c == NULL)
        return GW_ENOMEM;
    memset(c, '0', width - s.len);
    memcpy(c + width - s.len, s.ptr, s.len);
    c[width] = '\0';
    v->u.s = (gw_slice_t){c, width};
    return 0;
}

static int read_date(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                     gw_rfc_value_t *v)
{
    if ((j->type == GW_JDOC_NULL) && r->o->initial_date_null) {
        v->u.s = GW_SLICE_LIT("00000000");
        return 0;
    }
    gw_slice_t s;
    int ret = text_of(r, t, j, p, &s);
    if (ret)
        return ret;
    char d[9];
    int iso = r->o->date_format == GW_CODEC_FMT_ISO;
    const char *form = iso ? "YYYY-MM-DD" : "YYYYMMDD";
    if (iso && s.len == 10 && s.ptr[4] == '-' && s.ptr[7] == '-' && digits_only(s.ptr, 4) &&
        digits_only(s.ptr + 5, 2) && digits_only(s.ptr + 8, 2)) {
        memcpy(d, s.ptr, 4);
        memcpy(d + 4, s.ptr + 5, 2);
        memcpy(d + 6, s.ptr + 8, 2);
    } else if (!iso && s.len == 8 && digits_only(s.ptr, 8)) {
        memcpy(d, s.ptr, 8);
    } else {
        fail(r, p, "is not a date in the format %s", form);
        return GW_EPARAM;
    }
    d[8] = '\0';
    gw_slice_t ds = {d, 8};
    if (!gw__codec_date_initial(ds) && !gw__codec_date_valid(ds)) {
        fail(r, p, "%.*s is not a valid date", (int)s.len, s.ptr);
        return GW_EPARAM;
    }
    return set_text(r, v, d, 8);
}

static int read_time(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                     gw_rfc_value_t *v)
{
    gw_slice_t s;
    int ret = text_of(r, t, j, p, &s);
    if (ret)
        return ret;
    char d[7];
    int iso = r->o->time_format == GW_CODEC_FMT_ISO;
    if (iso && s.len == 8 && s.ptr[2] == ':' && s.ptr[5] == ':' && digits_only(s.ptr, 2) &&
        digits_only(s.ptr + 3, 2) && digits_only(s.ptr + 6, 2)) {
        memcpy(d, s.ptr, 2);
        memcpy(d + 2, s.ptr + 3, 2);
        memcpy(d + 4, s.ptr + 6, 2);
    } else if (!iso && s.len == 6 && digits_only(s.ptr, 6)) {
        memcpy(d, s.ptr, 6);
    } else {
        fail(r, p, "is not a time in the format %s", iso ? "HH:MM:SS" : "HHMMSS");
        return GW_EPARAM;
    }
    d[6] = '\0';
    if (!gw__codec_time_valid((gw_slice_t){d, 6})) {
        fail(r, p, "%.*s is not a valid time (%s to %s)", (int)s.len, s.ptr,
             iso ? "00:00:00" : "000000", iso ? "24:00:00" : "240000");
        return GW_EPARAM;
    }
    return set_text(r, v, d, 6);
}

/* A decimal literal split into its parts: -? int ( . frac )? ( [eE] [+-]? exp )? */
typedef struct {
    int neg;
    const char *ip;
    size_t il;
    const char *fp;
    size_t fl;
    int has_exp;
    long exp; /* clamped to ±1,000,000 */
} dec_t;

static int parse_decimal(gw_slice_t s, dec_t *d)
{
    size_t i = 0;
    memset(d, 0, sizeof(*d));
    if (i < s.len && s.ptr[i] == '-') {
        d->neg = 1;
        i++;
    }
    d->ip = s.ptr + i;
    while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9')
        i++;
    d->il = (size_t)(s.ptr + i - d->ip);
    if (d->il == 0)
        return -1;
    if (i < s.len && s.ptr[i] == '.') {
        i++;
        d->fp = s.ptr + i;
        while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9')
            i++;
        d->fl = (size_t)(s.ptr + i - d->fp);
        if (d->fl == 0)
            return -1;
    }
    if (i < s.len && (s.ptr[i] == 'e' || s.ptr[i] == 'E')) {
        int eneg = 0;
        i++;
        d->has_exp = 1;
        if (i < s.len && (s.ptr[i] == '+' || s.ptr[i] == '-'))
            eneg = s.ptr[i++] == '-';
        size_t start = i;
        long e = 0;
        for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++)
            if (e < 1000000)
                e = e * 10 + (s.ptr[i] - '0');
        if (i == start)
            return -1;
        d->exp = eneg ? -e : e;
    }
    return i == s.len ? 0 : -1;
}

/*
 * Turns a JSON number into decimal text in `buf` (≥ 400 bytes) when it is
 * exactly what the sender wrote: integers always; reals only when their
 * shortest round-trip form has at most 15 significant digits (any decimal
 * of ≤ 15 digits survives the trip through a double unchanged). `sci`
 * asks for "dE±x" instead of zero runs beyond `maxplain` digits (DECF).
 * Returns the length, or 0 after reporting the problem.
 */
static size_t number_text(rd_t *r, const gw_jdoc_t *j, const path_t *p, char *buf, int sci,
                          unsigned maxplain)
{
    if ((j->type == GW_JDOC_INT))
        return (size_t)snprintf(buf, 32, "%lld", (long long)j->u.i);
    double x = j->u.f;
    char d[20];
    int point;
    int n = gw__codec_shortest(x, d, &point);
    if (n > 15) {
        char shown[32];
        gw__codec_fmt_double(x, shown);
        fail(r, p, "send decimals as strings: %s cannot be represented exactly", shown);
        return 0;
    }
    char *w = buf;
    if (signbit(x))
        *w++ = '-';
    int intdigits = point > 0 ? point : 0;
    if (sci && (unsigned)intdigits > maxplain) {
        *w++ = d[0];
        if (n > 1) {
            *w++ = '.';
            memcpy(w, d + 1, (size_t)n - 1);
            w += n - 1;
        }
        w += sprintf(w, "E%+d", point - 1);
    } else if (point <= 0) {
        *w++ = '0';
        *w++ = '.';
        memset(w, '0', (size_t)-point);
        w += -point;
        memcpy(w, d, (size_t)n);
        w += n;
    } else if (point >= n) {
        memcpy(w, d, (size_t)n);
        w += n;
        memset(w, '0', (size_t)(point - n));
        w += point - n;
    } else {
        memcpy(w, d, (size_t)point);
        w += point;
        *w++ = '.';
        memcpy(w, d + point, (size_t)(n - point));
        w += n - point;
    }
    *w = '\0';
    return (size_t)(w - buf);
}

/* The decimal text of a BCD/DECF value: a string as is, a number if exact. 0 or GW_EPARAM. */
static int decimal_source(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                          char *buf, gw_slice_t *s)
{
    if (gw_jdoc_is_number(j)) {
        unsigned maxplain = t->type == GW_RFC_DECF16 ? 16 : 34;
        s->len = number_text(r, j, p, buf, t->type != GW_RFC_BCD, maxplain);
        s->ptr = buf;
        return s->len ? 0 : GW_EPARAM;
    }
    return text_of(r, t, j, p, s);
}

static int read_bcd(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                    gw_rfc_value_t *v)
{
    char buf[400];
    gw_slice_t s;
    dec_t d;
    int ret = decimal_source(r, t, j, p, buf, &s);
    if (ret)
        return ret;
    if (parse_decimal(s, &d) != 0) {
        fail(r, p, "is not a decimal number (digits with an optional '-' and '.')");
        return GW_EPARAM;
    }
    if (d.has_exp) {
        fail(r, p, "exponent notation is not accepted for BCD; write the number out");
        return GW_EPARAM;
    }
    unsigned dec = t->decimals, total = gw__codec_bcd_digits(t);
    unsigned maxint = total > dec ? total - dec : 0;
    while (d.il && d.ip[0] == '0') {
        d.ip++;
        d.il--;
    }
    /* Zeros past the allowed decimals lose nothing; any other digit would be rounded away. */
    while (d.fl > dec && d.fp[d.fl - 1] == '0')
        d.fl--;
    if (d.fl > dec) {
        fail(r, p, "has %zu decimals; BCD %u with %u decimals allows at most %u (no rounding)",
             d.fl, t->length, dec, dec);
        return GW_EPARAM;
    }
    if (d.il > maxint) {
        fail(r, p, "has %zu integer digits; BCD %u with %u decimals holds at most %u", d.il,
             t->length, dec, maxint);
        return GW_EPARAM;
    }
    int zero = d.il == 0; /* "-0.00" is normalized to "0.00" */
    for (size_t i = 0; zero && i < d.fl; i++)
        zero = d.fp[i] == '0';
    size_t len = (d.neg && !zero) + (d.il ? d.il : 1) + (dec ? 1 + dec : 0);
    char *c = gw_arena_alloc(r->a, len + 1);
    if (c == NULL)
        return GW_ENOMEM;
    char *w = c;
    if (d.neg && !zero)
        *w++ = '-';
    if (d.il) {
        memcpy(w, d.ip, d.il);
        w += d.il;
    } else {
        *w++ = '0';
    }
    if (dec) {
        *w++ = '.';
        if (d.fl)
            memcpy(w, d.fp, d.fl);
        memset(w + d.fl, '0', dec - d.fl);
        w += dec;
    }
    *w = '\0';
    v->u.s = (gw_slice_t){c, len};
    return 0;
}

static int read_decf(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                     gw_rfc_value_t *v)
{
    char buf[400];
    gw_slice_t s;
    dec_t d;
    int is16 = t->type == GW_RFC_DECF16;
    const char *name = is16 ? "DECF16" : "DECF34";
    long maxdig = is16 ? 16 : 34, emax = is16 ? 384 : 6144, qmin = is16 ? -398 : -6176;
    int ret = decimal_source(r, t, j, p, buf, &s);
    if (ret)
        return ret;
    if (parse_decimal(s, &d) != 0) {
        fail(r, p, "is not a decimal number (digits with an optional '-', '.' and E exponent)");
        return GW_EPARAM;
    }
    /* Significant digits: the coefficient without leading zeros (trailing ones count). */
    size_t lead = 0, ndig = d.il + d.fl;
    while (lead < d.il && d.ip[lead] == '0')
        lead++;
    if (lead == d.il)
        while (lead - d.il < d.fl && d.fp[lead - d.il] == '0')
            lead++;
    size_t sig = ndig - lead;
    if (sig > (size_t)maxdig) {
        fail(r, p, "has %zu significant digits; %s holds at most %ld", sig, name, maxdig);
        return GW_EPARAM;
    }
    if (sig) {                       /* zero fits any exponent */
        long q = d.exp - (long)d.fl; /* exponent of the last digit */
        long adjusted = q + (long)sig - 1;
        if (adjusted > emax || q < qmin) {
            fail(r, p, "is out of the range of %s (exponent %ld to %ld)", name, qmin, emax);
            return GW_EPARAM;
        }
    }
    return set_text(r, v, s.ptr, s.len); /* s may be in buf */
}

static int read_int(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                    gw_rfc_value_t *v)
{
    static const long long lo[] = {0, -32768, -2147483648LL, INT64_MIN};
    static const long long hi[] = {255, 32767, 2147483647LL, INT64_MAX};
    int k = t->type - GW_RFC_INT1;
    long long x;
    if ((j->type == GW_JDOC_INT)) {
        x = j->u.i;
    } else if ((j->type == GW_JDOC_REAL)) {
        double f = j->u.f;
        /* 1.0 is an integer too; beyond 2^53 a double is no longer what was typed. */
        if (f != floor(f) || fabs(f) > 9007199254740992.0) {
            char shown[32];
            gw__codec_fmt_double(f, shown);
            fail(r, p, "expected an integer, got %s", shown);
            return GW_EPARAM;
        }
        x = (long long)f;
    } else if ((j->type == GW_JDOC_STRING) && t->type == GW_RFC_INT8) {
        const char *s = j->u.s;
        size_t n = j->n;
        size_t i = s[0] == '-';
        if (n == i || !digits_only(s + i, n - i)) {
            fail(r, p, "is not an integer (digits with an optional '-')");
            return GW_EPARAM;
        }
        errno = 0;
        x = strtoll(s, NULL, 10);
        if (errno == ERANGE) {
            fail(r, p, "is out of range for INT8 (%lld to %lld)", lo[3], hi[3]);
            return GW_EPARAM;
        }
    } else {
        return wrong_type(r, t, j, p);
    }
    if (x < lo[k] || x > hi[k]) {
        fail(r, p, "%lld is out of range for %s (%lld to %lld)", x, gw_rfc_type_name(t->type),
             lo[k], hi[k]);
        return GW_EPARAM;
    }
    v->u.i = x;
    return 0;
}

static int read_binary(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                       gw_rfc_value_t *v)
{
    if (!(j->type == GW_JDOC_STRING))
        return wrong_type(r, t, j, p);
    const char *s = j->u.s;
    size_t n = j->n;
    uint8_t *b = gw_arena_alloc(r->a, n / 4 * 3 + 1);
    size_t blen;
    if (b == NULL)
        return GW_ENOMEM;
    if (gw__codec_b64_decode(b, &blen, s, n) != 0) {
        fail(r, p, "invalid base64 (RFC 4648 with padding expected)");
        return GW_EPARAM;
    }
    if (t->type == GW_RFC_RAW && t->length && blen > t->length) {
        fail(r, p, "is %zu bytes; RAW %u holds at most %u", blen, t->length, t->length);
        return GW_EPARAM;
    }
    v->u.s = (gw_slice_t){(const char *)b, blen};
    return 0;
}

static int read_value(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                      unsigned level, gw_rfc_value_t *v);

/* Finds a field description by name, or the index of a case-insensitive match in *near. */
static const gw_rfc_fielddesc_t *find_field(const gw_rfc_typedesc_t *t, gw_slice_t name,
                                            const gw_rfc_fielddesc_t **near)
{
    *near = NULL;
    for (uint32_t i = 0; i < t->nfields; i++) {
        if (gw_slice_eq(t->fields[i].name, name))
            return &t->fields[i];
        if (t->fields[i].name.len == name.len && name.len &&
            strncasecmp(t->fields[i].name.ptr, name.ptr, name.len) == 0)
            *near = &t->fields[i];
    }
    return NULL;
}

/*
 * Per field of a table's row type: the member (its index and key) that held
 * it in the last row. jdoc gives the rows of a table the same key slices, so
 * the next row's member there with the same key pointer is the field's.
 */
typedef struct {
    const char *key; /* NULL: not found last time */
    uint32_t len, at;
} seen_t;

/* The member of object `j` for field `fd` (the last row's place first, with `seen`). */
static const gw_jdoc_t *member_of(const gw_jdoc_t *j, const gw_rfc_fielddesc_t *fd, uint32_t *hint,
                                  seen_t *seen)
{
    if (seen && seen->key && seen->at < j->n && j->u.members[seen->at].key.ptr == seen->key &&
        j->u.members[seen->at].key.len == seen->len) {
        *hint = seen->at + 1;
        return &j->u.members[seen->at].value;
    }
    const gw_jdoc_t *x = gw_jdoc_get(j, fd->name, hint);
    if (seen) {
        seen->key = x ? j->u.members[*hint - 1].key.ptr : NULL;
        seen->len = fd->name.len;
        seen->at = x ? *hint - 1 : 0;
    }
    return x;
}

/*
 * An object → STRUCTURE, fields in description order. `fill` (table rows)
 * emits every field, missing ones as initial values, because the wire sends
 * a table's columns once for all rows; `seen` (table rows, or NULL) is
 * member_of()'s memory, one per field.
 */
static int read_struct(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                       unsigned level, int fill, seen_t *seen, gw_rfc_value_t *v)
{
    int ret = 0, bad = 0;
    size_t found = 0;
    if (!(j->type == GW_JDOC_OBJECT))
        return wrong_type(r, t, j, p);
    if (level > r->o->max_depth) {
        fail(r, p, "nests deeper than %u levels (max_depth)", r->o->max_depth);
        return GW_EPARAM;
    }
    gw_rfc_field_t *fields = gw_arena_calloc(r->a, t->nfields ? t->nfields : 1, sizeof(*fields));
    uint32_t count = 0;
    if (fields == NULL)
        return GW_ENOMEM;
    uint32_t hint = 0;
    for (uint32_t i = 0; i < t->nfields; i++) {
        const gw_rfc_fielddesc_t *fd = &t->fields[i];
        const gw_jdoc_t *x = member_of(j, fd, &hint, seen ? &seen[i] : NULL);
        path_t fp = {.up = p, .name = fd->name};
        found += x != NULL;
        if (x == NULL || ((x->type == GW_JDOC_NULL) && !null_is_initial_date(r, fd->type))) {
            /* Missing or null: initial on the ABAP side. */
            if (fill) {
                fields[count].name = fd->name;
                if ((ret = gw_codec_initial_value(r->a, fd->type, &fields[count].value)) != 0)
                    return ret;
                count++;
            }
            continue;
        }
        fields[count].name = fd->name;
        ret = read_value(r, fd->type, x, &fp, level + 1, &fields[count].value);
        if (ret == GW_ENOMEM)
            return ret;
        bad |= ret != 0;
        count++;
    }
    if (found < j->n) {
        for (uint32_t m = 0; m < j->n; m++) {
            const gw_rfc_fielddesc_t *near;
            gw_slice_t name = j->u.members[m].key;
            if (find_field(t, name, &near))
                continue;
            path_t fp = {.up = p, .name = name};
            if (near)
                fail(r, &fp, "%s has no field of this name (did you mean %.*s?)",
                     t->name.len ? gw_arena_slice_str(r->a, t->name) : "the structure",
                     (int)near->name.len, near->name.ptr);
            else
                fail(r, &fp, "%s has no field of this name",
                     t->name.len ? gw_arena_slice_str(r->a, t->name) : "the structure");
            bad = 1;
        }
    }
    v->u.st.count = count;
    v->u.st.fields = fields;
    return bad ? GW_EPARAM : 0;
}

static int read_table(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                      unsigned level, gw_rfc_value_t *v)
{
    int bad = 0;
    if (!(j->type == GW_JDOC_ARRAY))
        return wrong_type(r, t, j, p);
    if (level > r->o->max_depth) {
        fail(r, p, "nests deeper than %u levels (max_depth)", r->o->max_depth);
        return GW_EPARAM;
    }
    size_t n = j->n;
    if (n > r->o->max_rows) {
        fail(r, p, "has %zu rows; at most %u are accepted (max_rows)", n, r->o->max_rows);
        return GW_EPARAM;
    }
    if (t->line == NULL) {
        fail(r, p, "the table type has no line type");
        return GW_EPARAM;
    }
    gw_rfc_value_t *rows = gw_arena_calloc(r->a, n ? n : 1, sizeof(*rows));
    seen_t *seen = NULL;
    if (rows == NULL)
        return GW_ENOMEM;
    if (t->line->type == GW_RFC_STRUCTURE && n > 1 && t->line->nfields &&
        (seen = gw_arena_calloc(r->a, t->line->nfields, sizeof(*seen))) == NULL)
        return GW_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const gw_jdoc_t *x = &j->u.items[i];
        path_t rp = {.up = p, .index = i, .is_index = 1};
        int ret;
        rows[i].type = t->line->type;
        if (t->line->type == GW_RFC_STRUCTURE)
            ret = read_struct(r, t->line, x, &rp, level + 1, 1, seen, &rows[i]);
        else
            ret = read_value(r, t->line, x, &rp, level + 1, &rows[i]);
        if (ret == GW_ENOMEM)
            return ret;
        bad |= ret != 0;
    }
    v->u.tab.count = (uint32_t)n;
    v->u.tab.rows = rows;
    return bad ? GW_EPARAM : 0;
}

/*
 * One value of type `t`; `level` is the nesting level an object/array here
 * would have (a top-level parameter is 1). Returns 0, GW_EPARAM after
 * reporting, GW_ENOMEM.
 */
static int read_value(rd_t *r, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j, const path_t *p,
                      unsigned level, gw_rfc_value_t *v)
{
    memset(v, 0, sizeof(*v));
    v->type = t->type;
    if ((j->type == GW_JDOC_NULL) && !null_is_initial_date(r, t))
        return wrong_type(r, t, j, p);
    switch (t->type) {
    case GW_RFC_CHAR:
        return read_char(r, t, j, p, v);
    case GW_RFC_STRING: {
        gw_slice_t s;
        int ret = text_of(r, t, j, p, &s);
        return ret ? ret : set_slice(v, s);
    }
    case GW_RFC_NUM:
        return read_num(r, t, j, p, v);
    case GW_RFC_DATE:
        return read_date(r, t, j, p, v);
    case GW_RFC_TIME:
        return read_time(r, t, j, p, v);
    case GW_RFC_BCD:
        return read_bcd(r, t, j, p, v);
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
        return read_decf(r, t, j, p, v);
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4:
    case GW_RFC_INT8:
        return read_int(r, t, j, p, v);
    case GW_RFC_FLOAT:
        if (!gw_jdoc_is_number(j))
            return wrong_type(r, t, j, p);
        v->u.f = gw_jdoc_number(j);
        return 0;
    case GW_RFC_XSTRING:
    case GW_RFC_RAW:
        return read_binary(r, t, j, p, v);
    case GW_RFC_STRUCTURE:
        return read_struct(r, t, j, p, level, 0, NULL, v);
    case GW_RFC_TABLE:
        return read_table(r, t, j, p, level, v);
    }
    fail(r, p, "ABAP type %s (%d) is not supported", gw_rfc_type_name(t->type), t->type);
    return GW_EPARAM;
}

int gw_codec_value_read(gw_arena_t *a, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j,
                        const char *pointer, const gw_codec_opts_t *o, gw_rfc_value_t *out,
                        gw_codec_errors_t *errs)
{
    gw_codec_opts_t eff = gw__codec_opts_limits(o);
    rd_t r = {a, &eff, errs};
    path_t root = {.raw = pointer ? pointer : ""};
    return read_value(&r, t, j, &root, 1, out);
}

/* A parameter of `f` whose name differs from `name` only in case; NULL when none. */
static const gw_rfc_param_t *param_near(const gw_rfc_func_t *f, gw_slice_t name)
{
    for (uint32_t i = 0; i < f->nparams; i++)
        if (f->params[i].name.len == name.len && name.len &&
            strncasecmp(f->params[i].name.ptr, name.ptr, name.len) == 0)
            return &f->params[i];
    return NULL;
}

int gw_codec_params_read(gw_arena_t *a, const gw_rfc_func_t *f, const gw_jdoc_t *body,
                         const gw_codec_opts_t *o, gw_rfc_field_t **out, uint32_t *n,
                         gw_codec_errors_t *errs)
{
    gw_codec_opts_t eff = gw__codec_opts_limits(o);
    rd_t r = {a, &eff, errs};
    path_t root = {.raw = ""};
    int ret = 0;
    uint32_t count = 0;
    gw_rfc_field_t *params = gw_arena_calloc(a, f->nparams ? f->nparams : 1, sizeof(*params));
    *out = NULL;
    *n = 0;
    if (params == NULL)
        return GW_ENOMEM;
    if (body && !(body->type == GW_JDOC_OBJECT)) {
        fail(&r, &root, "the body must be a JSON object of parameters, got %s",
             gw_jdoc_type_name(body));
        return GW_EPARAM;
    }
    if (body) {
        for (uint32_t m = 0; m < body->n; m++) {
            gw_slice_t name = body->u.members[m].key;
            path_t pp = {.up = &root, .name = name};
            const gw_rfc_param_t *p = gw_rfc_func_param(f, name);
            const gw_rfc_param_t *near = p ? NULL : param_near(f, name);
            if (near)
                fail(&r, &pp, "%.*s has no parameter of this name (did you mean %.*s?)",
                     (int)f->name.len, f->name.ptr, (int)near->name.len, near->name.ptr);
            else if (p == NULL)
                fail(&r, &pp, "%.*s has no parameter of this name", (int)f->name.len, f->name.ptr);
            else if (p->direction == GW_RFC_EXPORTING)
                fail(&r, &pp, "is an EXPORTING parameter and cannot be sent");
        }
    }
    uint32_t hint = 0;
    for (uint32_t i = 0; i < f->nparams; i++) {
        const gw_rfc_param_t *p = &f->params[i];
        if (p->direction == GW_RFC_EXPORTING)
            continue;
        const gw_jdoc_t *j = gw_jdoc_get(body, p->name, &hint);
        path_t pp = {.up = &root, .name = p->name};
        if (j == NULL || ((j->type == GW_JDOC_NULL) && !null_is_initial_date(&r, p->type))) {
            /* Not sent: the ABAP default applies — unless there is none to apply. */
            if (!p->optional)
                fail(&r, &pp, j ? "mandatory parameter is null" : "mandatory parameter is missing");
            continue;
        }
        params[count].name = p->name;
        ret = read_value(&r, p->type, j, &pp, 1, &params[count].value);
        if (ret == GW_ENOMEM)
            return ret;
        count += ret == 0;
    }
    if (errs->n || errs->dropped)
        return GW_EPARAM;
    *out = params;
    *n = count;
    return 0;
}
