/*
 * wire: encoder and decoder of rfmgw's WebSocket RFC protocol v1.
 *
 * The byte format is specified in docs/protocol.md; this file is its
 * reference implementation. Both directions are pure functions over
 * buffers so that the transport, the simulator and the fuzz targets share
 * exactly one codec.
 *
 * The decoder is written for hostile input: a cursor (`rd_t`) tracks the
 * bytes that remain and every read goes through a bounds-checked helper.
 * Before an array of `count` elements is allocated, `count` is checked
 * against max_count and against the smallest number of bytes `count`
 * elements could occupy, so the arena never grows faster than the message.
 * Recursion (STRUCTURE/TABLE values, typedescs) is bounded by max_depth,
 * itself clamped to DEPTH_HARD_MAX so that a careless configuration cannot
 * turn a 16 MiB message into a stack overflow. Decoded slices point into
 * the caller's message buffer; only arrays and typedescs live in the arena.
 *
 * The encoder trusts the shape of its input but not its sizes: lengths and
 * counts that do not fit their wire fields, integers out of their type's
 * range and tables whose rows disagree are GW_EINVAL.
 */
#include "wire/wire.h"
#include "error/error.h"

#include <string.h>

#define DEFAULT_MAX_MESSAGE (16u * 1024u * 1024u)
#define DEFAULT_MAX_DEPTH   16u
#define DEFAULT_MAX_COUNT   1000000u
#define DEPTH_HARD_MAX      1024u

/* Smallest encodings, used to reject counts before allocating. */
#define MIN_NAME      2u                                  /* u16 length */
#define MIN_VALUE     2u                                  /* INT1: code + u8 */
#define MIN_FIELD     (MIN_NAME + MIN_VALUE)              /* name + value */
#define MIN_TYPEDESC  10u                                 /* u8 + u32 + u8 + u32 */
#define MIN_FIELDDESC (MIN_NAME + MIN_TYPEDESC)           /* name + typedesc */
#define MIN_PARAMDESC (MIN_NAME + 2u + MIN_TYPEDESC + 8u) /* + dir, opt, 2 × str */

gw_wire_limits_t gw_wire_limits_default(void)
{
    gw_wire_limits_t l = {DEFAULT_MAX_MESSAGE, DEFAULT_MAX_DEPTH, DEFAULT_MAX_COUNT};
    return l;
}

const char *gw_wire_type_name(int type)
{
    switch (type) {
    case GW_WIRE_OPEN:
        return "OPEN";
    case GW_WIRE_CALL:
        return "CALL";
    case GW_WIRE_RESULT:
        return "RESULT";
    case GW_WIRE_ERROR:
        return "ERROR";
    case GW_WIRE_DESCRIBE:
        return "DESCRIBE";
    case GW_WIRE_DESCRIPTION:
        return "DESCRIPTION";
    case GW_WIRE_RESET:
        return "RESET";
    case GW_WIRE_RESET_OK:
        return "RESET_OK";
    }
    return "?";
}

static int is_text_type(int t)
{
    switch (t) {
    case GW_RFC_CHAR:
    case GW_RFC_NUM:
    case GW_RFC_DATE:
    case GW_RFC_TIME:
    case GW_RFC_BCD:
    case GW_RFC_DECF16:
    case GW_RFC_DECF34:
    case GW_RFC_STRING:
    case GW_RFC_XSTRING:
    case GW_RFC_RAW:
        return 1;
    }
    return 0;
}

static int is_known_type(int t)
{
    return t >= GW_RFC_CHAR && t <= GW_RFC_TABLE;
}

/* ---- encoder ---------------------------------------------------------- */

static int put_u8(gw_buf_t *b, uint8_t v)
{
    return gw_buf_put(b, &v, 1);
}

static int put_u16(gw_buf_t *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return gw_buf_put(b, x, sizeof(x));
}

static void store_u32(uint8_t *x, uint32_t v)
{
    x[0] = (uint8_t)v;
    x[1] = (uint8_t)(v >> 8);
    x[2] = (uint8_t)(v >> 16);
    x[3] = (uint8_t)(v >> 24);
}

static int put_u32(gw_buf_t *b, uint32_t v)
{
    uint8_t x[4];
    store_u32(x, v);
    return gw_buf_put(b, x, sizeof(x));
}

static int put_u64(gw_buf_t *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    return gw_buf_put(b, x, sizeof(x));
}

/* A count or length that must fit a u32 field. */
static int put_count(gw_buf_t *b, size_t n)
{
    if (n > UINT32_MAX)
        return GW_EINVAL;
    return put_u32(b, (uint32_t)n);
}

static int put_str(gw_buf_t *b, gw_slice_t s)
{
    int ret = put_count(b, s.len);
    if (ret == 0 && s.len)
        ret = gw_buf_put(b, s.ptr, s.len);
    return ret;
}

static int put_name(gw_buf_t *b, gw_slice_t s)
{
    int ret;
    if (s.len > UINT16_MAX)
        return GW_EINVAL;
    ret = put_u16(b, (uint16_t)s.len);
    if (ret == 0 && s.len)
        ret = gw_buf_put(b, s.ptr, s.len);
    return ret;
}

static int put_value(gw_buf_t *b, const gw_rfc_value_t *v);

static int put_table(gw_buf_t *b, const gw_rfc_value_t *v)
{
    const gw_rfc_value_t *rows = v->u.tab.rows;
    uint32_t n = v->u.tab.count;
    int ret = 0;

    if (n && rows == NULL)
        return GW_EINVAL;
    if (n && rows[0].type == GW_RFC_STRUCTURE && rows[0].u.st.count > 0) {
        /* Column form: names once, then positional rows. */
        const gw_rfc_field_t *cols = rows[0].u.st.fields;
        uint32_t ncols = rows[0].u.st.count;
        if (cols == NULL)
            return GW_EINVAL;
        if ((ret = put_u32(b, ncols)) != 0)
            goto cleanup;
        for (uint32_t c = 0; c < ncols; c++)
            if ((ret = put_name(b, cols[c].name)) != 0)
                goto cleanup;
        if ((ret = put_u32(b, n)) != 0)
            goto cleanup;
        for (uint32_t r = 0; r < n; r++) {
            const gw_rfc_value_t *row = &rows[r];
            if (row->type != GW_RFC_STRUCTURE || row->u.st.count != ncols ||
                row->u.st.fields == NULL) {
                ret = GW_EINVAL;
                goto cleanup;
            }
            for (uint32_t c = 0; c < ncols; c++) {
                if (!gw_slice_eq(row->u.st.fields[c].name, cols[c].name)) {
                    ret = GW_EINVAL;
                    goto cleanup;
                }
                if ((ret = put_value(b, &row->u.st.fields[c].value)) != 0)
                    goto cleanup;
            }
        }
    } else {
        /* Scalar line type (or no rows): every row is a whole value of one type. */
        if ((ret = put_u32(b, 0)) != 0 || (ret = put_u32(b, n)) != 0)
            goto cleanup;
        for (uint32_t r = 0; r < n; r++) {
            if (rows[r].type != rows[0].type ||
                (rows[r].type == GW_RFC_STRUCTURE && rows[r].u.st.count != 0)) {
                ret = GW_EINVAL;
                goto cleanup;
            }
            if ((ret = put_value(b, &rows[r])) != 0)
                goto cleanup;
        }
    }
cleanup:
    return ret;
}

static int put_fields(gw_buf_t *b, const gw_rfc_field_t *f, uint32_t n)
{
    int ret = 0;
    if (n && f == NULL)
        return GW_EINVAL;
    if ((ret = put_u32(b, n)) != 0)
        return ret;
    for (uint32_t i = 0; i < n && ret == 0; i++) {
        ret = put_name(b, f[i].name);
        if (ret == 0)
            ret = put_value(b, &f[i].value);
    }
    return ret;
}

static int put_value(gw_buf_t *b, const gw_rfc_value_t *v)
{
    int64_t i = v->u.i;
    uint64_t bits;
    int ret;

    if (!is_known_type(v->type))
        return GW_EINVAL;
    if ((ret = put_u8(b, v->type)) != 0)
        return ret;
    if (is_text_type(v->type))
        return put_str(b, v->u.s);
    switch (v->type) {
    case GW_RFC_INT1:
        if (i < 0 || i > UINT8_MAX)
            return GW_EINVAL;
        return put_u8(b, (uint8_t)i);
    case GW_RFC_INT2:
        if (i < INT16_MIN || i > INT16_MAX)
            return GW_EINVAL;
        return put_u16(b, (uint16_t)i);
    case GW_RFC_INT4:
        if (i < INT32_MIN || i > INT32_MAX)
            return GW_EINVAL;
        return put_u32(b, (uint32_t)i);
    case GW_RFC_INT8:
        return put_u64(b, (uint64_t)i);
    case GW_RFC_FLOAT:
        memcpy(&bits, &v->u.f, sizeof(bits));
        return put_u64(b, bits);
    case GW_RFC_STRUCTURE:
        return put_fields(b, v->u.st.fields, v->u.st.count);
    case GW_RFC_TABLE:
        return put_table(b, v);
    }
    return GW_EINVAL;
}

static int put_typedesc(gw_buf_t *b, const gw_rfc_typedesc_t *t)
{
    int ret;
    if (t == NULL || !is_known_type(t->type))
        return GW_EINVAL;
    if ((ret = put_u8(b, t->type)) != 0 || (ret = put_u32(b, t->length)) != 0 ||
        (ret = put_u8(b, t->decimals)) != 0 || (ret = put_str(b, t->name)) != 0)
        return ret;
    if (t->type == GW_RFC_STRUCTURE) {
        if (t->nfields && t->fields == NULL)
            return GW_EINVAL;
        if ((ret = put_u32(b, t->nfields)) != 0)
            return ret;
        for (uint32_t i = 0; i < t->nfields; i++) {
            if ((ret = put_name(b, t->fields[i].name)) != 0 ||
                (ret = put_typedesc(b, t->fields[i].type)) != 0)
                return ret;
        }
    } else if (t->type == GW_RFC_TABLE) {
        return put_typedesc(b, t->line);
    }
    return 0;
}

static int put_body(gw_buf_t *b, const gw_wire_msg_t *m)
{
    int ret = 0;
    switch (m->type) {
    case GW_WIRE_OPEN: {
        const gw_wire_open_t *o = &m->u.open;
        if ((ret = put_str(b, o->sid)) != 0 || (ret = put_str(b, o->release)) != 0 ||
            (ret = put_str(b, o->client)) != 0 || (ret = put_str(b, o->user)) != 0 ||
            (ret = put_str(b, o->host)) != 0 || (ret = put_str(b, o->session)) != 0)
            return ret;
        return 0;
    }
    case GW_WIRE_CALL: {
        const gw_wire_call_t *c = &m->u.call;
        if ((ret = put_name(b, c->function)) != 0 || (ret = put_str(b, c->trace)) != 0 ||
            (ret = put_u32(b, c->nwant)) != 0)
            return ret;
        if (c->nwant != GW_WIRE_WANT_ALL) {
            if (c->nwant && c->want == NULL)
                return GW_EINVAL;
            for (uint32_t i = 0; i < c->nwant; i++)
                if ((ret = put_name(b, c->want[i])) != 0)
                    return ret;
        }
        return put_fields(b, c->params, c->nparams);
    }
    case GW_WIRE_RESULT:
        return put_fields(b, m->u.result.params, m->u.result.nparams);
    case GW_WIRE_ERROR: {
        const gw_rfc_error_t *e = &m->u.error;
        if ((ret = put_u8(b, e->group)) != 0 || (ret = put_str(b, e->key)) != 0 ||
            (ret = put_str(b, e->message)) != 0 || (ret = put_str(b, e->msg_class)) != 0 ||
            (ret = put_str(b, e->msg_type)) != 0 || (ret = put_str(b, e->msg_number)) != 0)
            return ret;
        for (int i = 0; i < 4; i++)
            if ((ret = put_str(b, e->msg_v[i])) != 0)
                return ret;
        return 0;
    }
    case GW_WIRE_DESCRIBE:
        return put_name(b, m->u.describe);
    case GW_WIRE_DESCRIPTION: {
        const gw_rfc_func_t *f = &m->u.description;
        if (f->nparams && f->params == NULL)
            return GW_EINVAL;
        if ((ret = put_name(b, f->name)) != 0 || (ret = put_u32(b, f->nparams)) != 0)
            return ret;
        for (uint32_t i = 0; i < f->nparams; i++) {
            const gw_rfc_param_t *p = &f->params[i];
            if ((ret = put_name(b, p->name)) != 0 || (ret = put_u8(b, p->direction)) != 0 ||
                (ret = put_u8(b, p->optional)) != 0 || (ret = put_typedesc(b, p->type)) != 0 ||
                (ret = put_str(b, p->default_value)) != 0 || (ret = put_str(b, p->text)) != 0)
                return ret;
        }
        return 0;
    }
    case GW_WIRE_RESET:
    case GW_WIRE_RESET_OK:
        return 0;
    }
    return GW_EINVAL;
}

int gw_wire_encode(gw_buf_t *out, const gw_wire_msg_t *m)
{
    size_t start = out->len;
    size_t body_len;
    int ret;

    if ((ret = put_u8(out, GW_WIRE_VERSION)) != 0 || (ret = put_u8(out, m->type)) != 0 ||
        (ret = put_u16(out, m->flags)) != 0 || (ret = put_u32(out, m->seq)) != 0 ||
        (ret = put_u32(out, 0)) != 0) /* body_len, patched below */
        goto cleanup;
    if ((ret = put_body(out, m)) != 0)
        goto cleanup;
    body_len = out->len - start - GW_WIRE_HEADER_SIZE;
    if (body_len > UINT32_MAX) {
        ret = GW_EINVAL;
        goto cleanup;
    }
    store_u32(out->data + start + 8, (uint32_t)body_len);
cleanup:
    return ret;
}

/* ---- decoder ---------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t left;
    gw_arena_t *arena;
    gw_wire_limits_t lim;
    const char *why;
} rd_t;

static int fail(rd_t *r, const char *why)
{
    r->why = why;
    return GW_EPROTO;
}

static int need(rd_t *r, size_t n)
{
    return n > r->left ? fail(r, "truncated message") : 0;
}

static int get_u8(rd_t *r, uint8_t *v)
{
    if (need(r, 1))
        return GW_EPROTO;
    *v = r->p[0];
    r->p++;
    r->left--;
    return 0;
}

static int get_u16(rd_t *r, uint16_t *v)
{
    if (need(r, 2))
        return GW_EPROTO;
    *v = (uint16_t)(r->p[0] | (r->p[1] << 8));
    r->p += 2;
    r->left -= 2;
    return 0;
}

static uint32_t load_u32(const uint8_t *x)
{
    return (uint32_t)x[0] | ((uint32_t)x[1] << 8) | ((uint32_t)x[2] << 16) | ((uint32_t)x[3] << 24);
}

static int get_u32(rd_t *r, uint32_t *v)
{
    if (need(r, 4))
        return GW_EPROTO;
    *v = load_u32(r->p);
    r->p += 4;
    r->left -= 4;
    return 0;
}

static int get_u64(rd_t *r, uint64_t *v)
{
    uint64_t x = 0;
    if (need(r, 8))
        return GW_EPROTO;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | r->p[i];
    *v = x;
    r->p += 8;
    r->left -= 8;
    return 0;
}

static int get_bytes(rd_t *r, size_t n, gw_slice_t *s)
{
    if (need(r, n))
        return GW_EPROTO;
    /* An empty slice points at a static "" rather than possibly one past the message. */
    s->ptr = n ? (const char *)r->p : "";
    s->len = n;
    r->p += n;
    r->left -= n;
    return 0;
}

static int get_str(rd_t *r, gw_slice_t *s)
{
    uint32_t n;
    if (get_u32(r, &n))
        return GW_EPROTO;
    return get_bytes(r, n, s);
}

static int get_name(rd_t *r, gw_slice_t *s)
{
    uint16_t n;
    if (get_u16(r, &n))
        return GW_EPROTO;
    return get_bytes(r, n, s);
}

/*
 * Checks a count against max_count and against the bytes that remain
 * (each element needs at least `min_size` bytes), before anything is
 * allocated for it.
 */
static int check_count(rd_t *r, uint32_t n, size_t min_size)
{
    if (n > r->lim.max_count)
        return fail(r, "count limit exceeded");
    if (n > r->left / min_size)
        return fail(r, "truncated message");
    return 0;
}

static int get_count(rd_t *r, uint32_t *n, size_t min_size)
{
    if (get_u32(r, n))
        return GW_EPROTO;
    return check_count(r, *n, min_size);
}

static void *alloc_array(rd_t *r, uint32_t n, size_t size, int *ret)
{
    void *p;
    if (n == 0)
        return NULL;
    p = gw_arena_calloc(r->arena, n, size);
    if (p == NULL)
        *ret = GW_ENOMEM;
    return p;
}

static int get_value(rd_t *r, gw_rfc_value_t *v, uint32_t depth);

static int get_fields(rd_t *r, uint32_t *count, gw_rfc_field_t **fields, uint32_t depth)
{
    uint32_t n;
    gw_rfc_field_t *f;
    int ret = 0;

    *count = 0;
    *fields = NULL;
    if ((ret = get_count(r, &n, MIN_FIELD)) != 0)
        goto cleanup;
    f = alloc_array(r, n, sizeof(*f), &ret);
    if (ret)
        goto cleanup;
    for (uint32_t i = 0; i < n; i++) {
        if ((ret = get_name(r, &f[i].name)) != 0 || (ret = get_value(r, &f[i].value, depth)) != 0)
            goto cleanup;
    }
    *count = n;
    *fields = f;
cleanup:
    return ret;
}

static int get_table(rd_t *r, gw_rfc_value_t *v, uint32_t depth)
{
    uint32_t ncols, nrows;
    gw_slice_t *cols = NULL;
    gw_rfc_value_t *rows;
    int ret = 0;

    if ((ret = get_count(r, &ncols, MIN_NAME)) != 0)
        goto cleanup;
    cols = alloc_array(r, ncols, sizeof(*cols), &ret);
    if (ret)
        goto cleanup;
    for (uint32_t c = 0; c < ncols; c++)
        if ((ret = get_name(r, &cols[c])) != 0)
            goto cleanup;
    if ((ret = get_u32(r, &nrows)) != 0 ||
        (ret = check_count(r, nrows, ncols ? (size_t)ncols * MIN_VALUE : MIN_VALUE)) != 0)
        goto cleanup;
    if (ncols && nrows && depth + 1 > r->lim.max_depth) {
        /* The implicit row structures are one level below the table. */
        ret = fail(r, "depth limit exceeded");
        goto cleanup;
    }
    rows = alloc_array(r, nrows, sizeof(*rows), &ret);
    if (ret)
        goto cleanup;
    for (uint32_t i = 0; i < nrows; i++) {
        if (ncols == 0) {
            if ((ret = get_value(r, &rows[i], depth + 1)) != 0)
                goto cleanup;
            continue;
        }
        gw_rfc_field_t *f = alloc_array(r, ncols, sizeof(*f), &ret);
        if (ret)
            goto cleanup;
        rows[i].type = GW_RFC_STRUCTURE;
        rows[i].u.st.count = ncols;
        rows[i].u.st.fields = f;
        for (uint32_t c = 0; c < ncols; c++) {
            f[c].name = cols[c];
            if ((ret = get_value(r, &f[c].value, depth + 2)) != 0)
                goto cleanup;
        }
    }
    v->u.tab.count = nrows;
    v->u.tab.rows = rows;
cleanup:
    return ret;
}

/* `depth` is the nesting level of `v` itself; top-level parameters are at 1. */
static int get_value(rd_t *r, gw_rfc_value_t *v, uint32_t depth)
{
    uint8_t t, u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

    memset(v, 0, sizeof(*v));
    if (get_u8(r, &t))
        return GW_EPROTO;
    if (!is_known_type(t))
        return fail(r, "unknown value type");
    v->type = t;
    if (is_text_type(t))
        return get_str(r, &v->u.s);
    switch (t) {
    case GW_RFC_INT1:
        if (get_u8(r, &u8))
            return GW_EPROTO;
        v->u.i = u8;
        return 0;
    case GW_RFC_INT2:
        if (get_u16(r, &u16))
            return GW_EPROTO;
        v->u.i = (int16_t)u16;
        return 0;
    case GW_RFC_INT4:
        if (get_u32(r, &u32))
            return GW_EPROTO;
        v->u.i = (int32_t)u32;
        return 0;
    case GW_RFC_INT8:
        if (get_u64(r, &u64))
            return GW_EPROTO;
        v->u.i = (int64_t)u64;
        return 0;
    case GW_RFC_FLOAT:
        if (get_u64(r, &u64))
            return GW_EPROTO;
        memcpy(&v->u.f, &u64, sizeof(u64));
        return 0;
    }
    /* STRUCTURE or TABLE */
    if (depth > r->lim.max_depth)
        return fail(r, "depth limit exceeded");
    if (t == GW_RFC_STRUCTURE)
        return get_fields(r, &v->u.st.count, &v->u.st.fields, depth + 1);
    return get_table(r, v, depth);
}

static int get_typedesc(rd_t *r, const gw_rfc_typedesc_t **out, uint32_t depth)
{
    gw_rfc_typedesc_t *t;
    int ret = 0;

    t = gw_arena_calloc(r->arena, 1, sizeof(*t));
    if (t == NULL) {
        ret = GW_ENOMEM;
        goto cleanup;
    }
    if ((ret = get_u8(r, &t->type)) != 0 || (ret = get_u32(r, &t->length)) != 0 ||
        (ret = get_u8(r, &t->decimals)) != 0 || (ret = get_str(r, &t->name)) != 0)
        goto cleanup;
    if (!is_known_type(t->type)) {
        ret = fail(r, "unknown value type");
        goto cleanup;
    }
    if ((t->type == GW_RFC_STRUCTURE || t->type == GW_RFC_TABLE) && depth > r->lim.max_depth) {
        ret = fail(r, "depth limit exceeded");
        goto cleanup;
    }
    if (t->type == GW_RFC_STRUCTURE) {
        gw_rfc_fielddesc_t *f;
        uint32_t n;
        if ((ret = get_count(r, &n, MIN_FIELDDESC)) != 0)
            goto cleanup;
        f = alloc_array(r, n, sizeof(*f), &ret);
        if (ret)
            goto cleanup;
        for (uint32_t i = 0; i < n; i++)
            if ((ret = get_name(r, &f[i].name)) != 0 ||
                (ret = get_typedesc(r, &f[i].type, depth + 1)) != 0)
                goto cleanup;
        t->nfields = n;
        t->fields = f;
    } else if (t->type == GW_RFC_TABLE) {
        if ((ret = get_typedesc(r, &t->line, depth + 1)) != 0)
            goto cleanup;
    }
    *out = t;
cleanup:
    return ret;
}

static int get_description(rd_t *r, gw_rfc_func_t *f)
{
    gw_rfc_param_t *ps;
    uint32_t n;
    int ret = 0;

    if ((ret = get_name(r, &f->name)) != 0 || (ret = get_count(r, &n, MIN_PARAMDESC)) != 0)
        goto cleanup;
    ps = alloc_array(r, n, sizeof(*ps), &ret);
    if (ret)
        goto cleanup;
    for (uint32_t i = 0; i < n; i++) {
        gw_rfc_param_t *p = &ps[i];
        if ((ret = get_name(r, &p->name)) != 0 || (ret = get_u8(r, &p->direction)) != 0 ||
            (ret = get_u8(r, &p->optional)) != 0)
            goto cleanup;
        if (p->direction < GW_RFC_IMPORTING || p->direction > GW_RFC_TABLES) {
            ret = fail(r, "invalid parameter direction");
            goto cleanup;
        }
        if (p->optional > 1) {
            ret = fail(r, "invalid optional flag");
            goto cleanup;
        }
        if ((ret = get_typedesc(r, &p->type, 1)) != 0 ||
            (ret = get_str(r, &p->default_value)) != 0 || (ret = get_str(r, &p->text)) != 0)
            goto cleanup;
    }
    f->nparams = n;
    f->params = ps;
cleanup:
    return ret;
}

static int get_call(rd_t *r, gw_wire_call_t *c)
{
    int ret = 0;
    if ((ret = get_name(r, &c->function)) != 0 || (ret = get_str(r, &c->trace)) != 0 ||
        (ret = get_u32(r, &c->nwant)) != 0)
        goto cleanup;
    if (c->nwant != GW_WIRE_WANT_ALL) {
        if ((ret = check_count(r, c->nwant, MIN_NAME)) != 0)
            goto cleanup;
        c->want = alloc_array(r, c->nwant, sizeof(*c->want), &ret);
        if (ret)
            goto cleanup;
        for (uint32_t i = 0; i < c->nwant; i++)
            if ((ret = get_name(r, &c->want[i])) != 0)
                goto cleanup;
    }
    ret = get_fields(r, &c->nparams, &c->params, 1);
cleanup:
    return ret;
}

static int get_body(rd_t *r, gw_wire_msg_t *m)
{
    int ret = 0;
    switch (m->type) {
    case GW_WIRE_OPEN: {
        gw_wire_open_t *o = &m->u.open;
        if ((ret = get_str(r, &o->sid)) != 0 || (ret = get_str(r, &o->release)) != 0 ||
            (ret = get_str(r, &o->client)) != 0 || (ret = get_str(r, &o->user)) != 0 ||
            (ret = get_str(r, &o->host)) != 0 || (ret = get_str(r, &o->session)) != 0)
            return ret;
        return 0;
    }
    case GW_WIRE_CALL:
        return get_call(r, &m->u.call);
    case GW_WIRE_RESULT:
        return get_fields(r, &m->u.result.nparams, &m->u.result.params, 1);
    case GW_WIRE_ERROR: {
        gw_rfc_error_t *e = &m->u.error;
        if ((ret = get_u8(r, &e->group)) != 0)
            return ret;
        if (e->group < GW_RFC_ERR_ABAP_EXCEPTION || e->group > GW_RFC_ERR_FUNCTION_NOT_FOUND)
            return fail(r, "invalid error group");
        if ((ret = get_str(r, &e->key)) != 0 || (ret = get_str(r, &e->message)) != 0 ||
            (ret = get_str(r, &e->msg_class)) != 0 || (ret = get_str(r, &e->msg_type)) != 0 ||
            (ret = get_str(r, &e->msg_number)) != 0)
            return ret;
        for (int i = 0; i < 4; i++)
            if ((ret = get_str(r, &e->msg_v[i])) != 0)
                return ret;
        return 0;
    }
    case GW_WIRE_DESCRIBE:
        return get_name(r, &m->u.describe);
    case GW_WIRE_DESCRIPTION:
        return get_description(r, &m->u.description);
    case GW_WIRE_RESET:
    case GW_WIRE_RESET_OK:
        return 0;
    }
    return fail(r, "unknown message type");
}

int gw_wire_decode(gw_arena_t *arena, const uint8_t *p, size_t len, const gw_wire_limits_t *lim,
                   gw_wire_msg_t *out, const char **why)
{
    rd_t r = {p, len, arena, gw_wire_limits_default(), NULL};
    int ret = 0;

    if (lim) {
        if (lim->max_message)
            r.lim.max_message = lim->max_message;
        if (lim->max_depth)
            r.lim.max_depth = lim->max_depth;
        if (lim->max_count)
            r.lim.max_count = lim->max_count;
    }
    if (r.lim.max_depth > DEPTH_HARD_MAX)
        r.lim.max_depth = DEPTH_HARD_MAX;
    memset(out, 0, sizeof(*out));

    if (len > r.lim.max_message) {
        ret = fail(&r, "message too large");
        goto cleanup;
    }
    if (len < GW_WIRE_HEADER_SIZE) {
        ret = fail(&r, "truncated message");
        goto cleanup;
    }
    if (p[0] != GW_WIRE_VERSION) {
        ret = fail(&r, "unsupported protocol version");
        goto cleanup;
    }
    out->type = p[1];
    out->flags = (uint16_t)(p[2] | (p[3] << 8));
    out->seq = load_u32(p + 4);
    if (load_u32(p + 8) != len - GW_WIRE_HEADER_SIZE) {
        ret = fail(&r, "body length mismatch");
        goto cleanup;
    }
    r.p += GW_WIRE_HEADER_SIZE;
    r.left -= GW_WIRE_HEADER_SIZE;
    if ((ret = get_body(&r, out)) != 0)
        goto cleanup;
    if (r.left != 0)
        ret = fail(&r, "trailing bytes");
cleanup:
    if (why)
        *why = ret == GW_EPROTO ? r.why : NULL;
    return ret;
}
