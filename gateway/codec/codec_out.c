/*
 * codec_out: RFC values → JSON text, written straight into a gw_buf_t.
 *
 * This is the hot path of every call, so there is no jansson tree: values
 * are appended as they are walked, and jansson could not print the
 * shortest round-trip form of a double anyway. Appends after a buffer
 * failure are no-ops (gw_buf_t remembers the failure), so the walk checks
 * the buffer only where it can stop early (between table rows) and once at
 * the end.
 *
 * Text from the backend is not trusted to be UTF-8: every ill-formed
 * sequence becomes U+FFFD, so the output is always valid JSON.
 */
#include "codec/codec_internal.h"
#include "error/error.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    gw_buf_t *b;
    const gw_codec_opts_t *o;
    int err; /* GW_EINVAL when a value nests beyond any sane depth */
} wr_t;

/* Most pieces are a few bytes: gw_buf_put copies them in place while there is room. */
static inline void put(wr_t *w, const char *s, size_t n)
{
    (void)gw_buf_put(w->b, s, n);
}

/*
 * A piece formatted in a local buffer: `n` bytes at `s`, of which `size` may
 * be read. With room for all `size` bytes it is one fixed-size copy instead
 * of a call to memcpy; the bytes past `n` are overwritten by what follows.
 */
static inline void put_local(wr_t *w, const char *s, size_t size, size_t n)
{
    gw_buf_t *b = w->b;
    if (!b->failed && b->cap - b->len >= size) {
        memcpy(b->data + b->len, s, size);
        b->len += n;
        return;
    }
    put(w, s, n);
}

static void put_lit(wr_t *w, const char *s)
{
    put(w, s, strlen(s));
}

static void put_string(wr_t *w, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *s = (const uint8_t *)str;
    size_t run = 0, i = gw_json_plain_len(s, n);
    gw_buf_t *b = w->b;
    if (i == n && !b->failed && b->cap - b->len >= n + 2) { /* nothing to escape: one copy */
        uint8_t *d = b->data + b->len;
        d[0] = '"';
        memcpy(d + 1, s, n);
        d[n + 1] = '"';
        b->len += n + 2;
        return;
    }
    put(w, "\"", 1);
    while (i < n) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i += gw_json_plain_len(s + i, n - i);
            continue;
        }
        if (c >= 0x80) {
            size_t bad = 0, k = gw_utf8_seq(s + i, n - i, &bad);
            if (k) {
                i += k;
                continue;
            }
            put(w, str + run, i - run);
            put(w, "\xef\xbf\xbd", 3);
            i += bad;
            run = i;
            continue;
        }
        put(w, str + run, i - run);
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        put(w, esc, elen);
        i++;
        run = i;
    }
    put(w, str + run, n - run);
    put(w, "\"", 1);
}

static void put_int(wr_t *w, int64_t x, int quoted)
{
    char buf[48]; /* the text ends at buf + 24; put_local may read 24 bytes from its start */
    char *e = buf + 24, *p = e;
    uint64_t u = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
    if (quoted)
        *--p = '"';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0)
        *--p = '-';
    if (quoted)
        *--p = '"';
    put_local(w, p, 24, (size_t)(e - p));
}

static int is_digits(gw_slice_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return 0;
    return 1;
}

static void put_num(wr_t *w, gw_slice_t s, const gw_rfc_typedesc_t *t)
{
    if (s.len == 0 || !is_digits(s)) {
        put_string(w, s.ptr, s.len); /* not a NUM value after all: pass it through */
        return;
    }
    if (!w->o->num_as_string) {
        while (s.len > 1 && s.ptr[0] == '0') {
            s.ptr++;
            s.len--;
        }
        put(w, s.ptr, s.len);
        return;
    }
    put(w, "\"", 1);
    /* Keep the width of the type even when the backend sent fewer digits. */
    for (size_t i = s.len; t && i < t->length; i++)
        put(w, "0", 1);
    put(w, s.ptr, s.len);
    put(w, "\"", 1);
}

static void put_date(wr_t *w, gw_slice_t s)
{
    int initial = s.len == 0 || gw__codec_date_initial(s);
    if (initial && w->o->initial_date_null) {
        put_lit(w, "null");
        return;
    }
    if (s.len == 8 && (initial || gw__codec_date_valid(s))) {
        if (w->o->date_format == GW_CODEC_FMT_SAP) {
            put_string(w, s.ptr, 8);
        } else {
            char d[12] = {'"',      s.ptr[0], s.ptr[1], s.ptr[2], s.ptr[3], '-',
                          s.ptr[4], s.ptr[5], '-',      s.ptr[6], s.ptr[7], '"'};
            put(w, d, sizeof(d));
        }
        return;
    }
    put_string(w, s.ptr, s.len); /* an impossible date from the backend passes through raw */
}

static void put_time(wr_t *w, gw_slice_t s)
{
    if (!gw__codec_time_valid(s) || w->o->time_format == GW_CODEC_FMT_SAP) {
        put_string(w, s.ptr, s.len);
        return;
    }
    char d[10] = {'"', s.ptr[0], s.ptr[1], ':', s.ptr[2], s.ptr[3], ':', s.ptr[4], s.ptr[5], '"'};
    put(w, d, sizeof(d));
}

static void put_base64(wr_t *w, gw_slice_t s)
{
    size_t n = gw__codec_b64_len(s.len);
    if (gw_buf_reserve(w->b, n + 2) != 0)
        return;
    put(w, "\"", 1);
    gw__codec_b64_encode((char *)w->b->data + w->b->len, (const uint8_t *)s.ptr, s.len);
    w->b->len += n;
    put(w, "\"", 1);
}

static void put_float(wr_t *w, double x)
{
    char buf[32];
    if (!isfinite(x)) {
        put_lit(w, "null"); /* JSON has no NaN or infinities */
        return;
    }
    put_local(w, buf, sizeof(buf), (size_t)gw__codec_fmt_double(x, buf));
}

/* The description of field `i` named `name` of structure type `t`, or NULL. */
static const gw_rfc_typedesc_t *field_type(const gw_rfc_typedesc_t *t, uint32_t i, gw_slice_t name)
{
    if (t == NULL || t->type != GW_RFC_STRUCTURE)
        return NULL;
    if (i < t->nfields && gw_slice_eq(t->fields[i].name, name))
        return t->fields[i].type;
    for (uint32_t k = 0; k < t->nfields; k++)
        if (gw_slice_eq(t->fields[k].name, name))
            return t->fields[k].type;
    return NULL;
}

static void put_value(wr_t *w, const gw_rfc_value_t *v, const gw_rfc_typedesc_t *t, unsigned depth);

/* `"NAME":value` of field `i` of a structure of type `t` (preceded by a comma after the first). */
static void put_member(wr_t *w, const gw_rfc_field_t *f, uint32_t i, const gw_rfc_typedesc_t *t,
                       unsigned depth)
{
    if (i)
        put(w, ",", 1);
    put_string(w, f->name.ptr, f->name.len);
    put(w, ":", 1);
    put_value(w, &f->value, field_type(t, i, f->name), depth);
}

/* One column of a table of structures: its `,"NAME":` text in keys and its description. */
typedef struct {
    gw_slice_t name;
    const gw_rfc_typedesc_t *type;
    size_t at, len;
} col_t;

/*
 * The rows of a table whose first row is a structure (`line` describes a
 * row, `depth` is the rows' level). Each column's key text and type are
 * worked out once from the first row; a later field with the same name in
 * the same place (the wire decoder hands every row the same name slices)
 * takes them as they are. Returns 0 when it could not set up (then nothing
 * was written and the caller writes row by row).
 */
static int put_rows(wr_t *w, const gw_rfc_value_t *rows, uint32_t n, const gw_rfc_typedesc_t *line,
                    unsigned depth)
{
    uint32_t ncols = rows[0].u.st.count;
    const gw_rfc_field_t *first = rows[0].u.st.fields;
    if (ncols == 0 || depth > GW__CODEC_MAX_RECURSION || (line && line->type != GW_RFC_STRUCTURE))
        return 0;
    col_t *cols = malloc(ncols * sizeof(*cols));
    gw_buf_t keys;
    gw_buf_init(&keys, 0);
    wr_t kw = {&keys, w->o, 0};
    for (uint32_t c = 0; cols && c < ncols; c++) {
        cols[c].name = first[c].name;
        cols[c].type = field_type(line, c, first[c].name);
        cols[c].at = keys.len;
        put(&kw, ",", 1);
        put_string(&kw, first[c].name.ptr, first[c].name.len);
        put(&kw, ":", 1);
        cols[c].len = keys.len - cols[c].at;
    }
    if (cols == NULL || keys.failed) {
        free(cols);
        gw_buf_free(&keys);
        return 0;
    }
    for (uint32_t i = 0; i < n && !w->b->failed; i++) {
        const gw_rfc_value_t *row = &rows[i];
        if (i)
            put(w, ",", 1);
        if (row->type != GW_RFC_STRUCTURE || row->u.st.count != ncols) {
            put_value(w, row, line, depth);
            continue;
        }
        put(w, "{", 1);
        for (uint32_t c = 0; c < ncols; c++) {
            const gw_rfc_field_t *f = &row->u.st.fields[c];
            if (gw_slice_eq(f->name, cols[c].name)) {
                put(w, (const char *)keys.data + cols[c].at + !c, cols[c].len - !c);
                put_value(w, &f->value, cols[c].type, depth + 1);
                continue;
            }
            put_member(w, f, c, line, depth + 1);
        }
        put(w, "}", 1);
    }
    free(cols);
    gw_buf_free(&keys);
    return 1;
}

static void put_value(wr_t *w, const gw_rfc_value_t *v, const gw_rfc_typedesc_t *t, unsigned depth)
{
    if (t && t->type != v->type)
        t = NULL; /* the description does not fit the value; trust the value */
    if (depth > GW__CODEC_MAX_RECURSION) {
        w->err = GW_EINVAL;
        return;
    }
    switch (v->type) {
    case GW_RFC_CHAR: {
        gw_slice_t s = v->u.s;
        if (w->o->char_trim)
            while (s.len && s.ptr[s.len - 1] == ' ')
                s.len--;
        put_string(w, s.ptr, s.len);
        return;
    }
    case GW_RFC_STRING:
    case GW_RFC_BCD:
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
        put_string(w, v->u.s.ptr, v->u.s.len);
        return;
    case GW_RFC_NUM:
        put_num(w, v->u.s, t);
        return;
    case GW_RFC_DATE:
        put_date(w, v->u.s);
        return;
    case GW_RFC_TIME:
        put_time(w, v->u.s);
        return;
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4:
        put_int(w, v->u.i, 0);
        return;
    case GW_RFC_INT8:
        put_int(w, v->u.i, w->o->int8_as_string);
        return;
    case GW_RFC_FLOAT:
        put_float(w, v->u.f);
        return;
    case GW_RFC_XSTRING:
    case GW_RFC_RAW:
        put_base64(w, v->u.s);
        return;
    case GW_RFC_STRUCTURE:
        put(w, "{", 1);
        for (uint32_t i = 0; i < v->u.st.count; i++)
            put_member(w, &v->u.st.fields[i], i, t, depth + 1);
        put(w, "}", 1);
        return;
    case GW_RFC_TABLE:
        put(w, "[", 1);
        if (v->u.tab.count > 1 && v->u.tab.rows[0].type == GW_RFC_STRUCTURE &&
            put_rows(w, v->u.tab.rows, v->u.tab.count, t ? t->line : NULL, depth + 1)) {
            put(w, "]", 1);
            return;
        }
        for (uint32_t i = 0; i < v->u.tab.count && !w->b->failed; i++) {
            if (i)
                put(w, ",", 1);
            put_value(w, &v->u.tab.rows[i], t ? t->line : NULL, depth + 1);
        }
        put(w, "]", 1);
        return;
    }
    put_lit(w, "null"); /* unknown type code: nothing sensible to say */
}

int gw_codec_value_write(gw_buf_t *out, const gw_rfc_value_t *v, const gw_rfc_typedesc_t *t,
                         const gw_codec_opts_t *o)
{
    wr_t w = {out, gw__codec_opts(o), 0};
    put_value(&w, v, t, 1);
    return out->failed ? out->failed : w.err;
}

int gw_codec_result_write(gw_buf_t *out, const gw_rfc_func_t *f, const gw_rfc_field_t *params,
                          uint32_t n, const gw_codec_opts_t *o)
{
    wr_t w = {out, gw__codec_opts(o), 0};
    int first = 1;
    put(&w, "{", 1);
    for (uint32_t i = 0; i < f->nparams; i++) {
        const gw_rfc_param_t *p = &f->params[i];
        if (p->direction == GW_RFC_IMPORTING)
            continue;
        const gw_rfc_field_t *fld = gw_rfc_fields_find(params, n, p->name);
        if (fld == NULL)
            continue;
        if (!first)
            put(&w, ",", 1);
        first = 0;
        put_string(&w, p->name.ptr, p->name.len);
        put(&w, ":", 1);
        put_value(&w, &fld->value, p->type, 1);
    }
    put(&w, "}", 1);
    return out->failed ? out->failed : w.err;
}
