/*
 * jdoc: a recursive-descent JSON parser into the arena.
 *
 * Why not Jansson for request bodies: a 10,000-row body (2.7 MB) spent 45 %
 * of rfmgw's CPU in json_loadb and 19 % in json_delete (a hash table and a
 * malloc per object, a malloc per string, refcounts, frees). Here a
 * container's children are gathered on one scratch stack (a malloc'ed
 * array that grows, reused by every container of the document) and copied
 * into the arena in one piece when the container closes; strings are
 * unescaped straight into the arena. Nothing is freed before the arena.
 *
 * Duplicate keys are refused: objects of up to DUP_LINEAR members compare
 * keys pairwise; larger ones (a body may hold thousands of keys) sort an
 * index of the keys, so a hostile body costs O(n log n), not O(n²).
 *
 * Rows of a table repeat their keys: each nesting level keeps the keys of
 * the last small object that closed there (when none had an escape). A key
 * whose raw bytes equal the kept key at its position, followed by a quote,
 * is that key — its bytes have no quote, backslash or control character and
 * are valid UTF-8, since the kept one's had none — so it shares the kept
 * slice instead of a scan and a copy. An object whose keys are all the
 * kept ones in their places (or the first of them) has distinct keys — the
 * kept object passed the check — and skips it.
 *
 * Recursion depth is bounded by max_depth (limits.json_depth, at most
 * 1024), checked before descending. Lines and columns are computed only
 * when an error is reported.
 */
#include "jdoc/jdoc.h"
#include "error/error.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define DUP_LINEAR  16
#define KEEP_LEVELS 8 /* nesting levels that keep their last object's keys */

typedef struct {
    gw_arena_t *a;
    const unsigned char *p;   /* next byte */
    const unsigned char *beg; /* text */
    const unsigned char *end;
    uint32_t max_depth;
    gw_jdoc_member_t *stack;  /* scratch: children of the open containers */
    const unsigned char **at; /* beside each scratch entry: where its key starts (objects) */
    size_t top, cap;
    int heap; /* the scratch is malloc'd (it starts on the caller's stack: SMALL_SCRATCH) */
    gw_slice_t (*kept)[DUP_LINEAR]; /* per level < KEEP_LEVELS: the keys kept (see above) */
    uint8_t kept_n[KEEP_LEVELS];    /* how many; 0 = none */
    char *sp, *se; /* strings go here, unaligned, one after another (a block of the arena) */
    gw_jdoc_error_t *err;
} ps_t;

/* Writes n bytes as ASCII (others as \xNN); with `tok`, stops at the token's end. */
static size_t ascii(const unsigned char *s, size_t n, int tok, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < size; i++) {
        unsigned char c = s[i];
        if (tok && i > 0 && (c == ' ' || c == ',' || c == ']' || c == '}' || c == ':' || c == '\n'))
            break;
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\' && c != '"')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    }
    out[o] = '\0';
    return o;
}

/* Records the first error at `at`; returns GW_EJSON. `near` adds " near <token>". */
static int fail(ps_t *ps, const unsigned char *at, int near, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(ps_t *ps, const unsigned char *at, int near, const char *fmt, ...)
{
    gw_jdoc_error_t *e = ps->err;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
    if (near && n > 0 && (size_t)n < sizeof(e->text)) {
        char tok[72];
        if (at >= ps->end)
            snprintf(tok, sizeof(tok), "end of file");
        else
            ascii(at, (size_t)(ps->end - at) < 16 ? (size_t)(ps->end - at) : 16, 1, tok,
                  sizeof(tok));
        snprintf(e->text + n, sizeof(e->text) - (size_t)n,
                 at >= ps->end ? " near %s" : " near '%s'", tok);
    }
    /* At the end of the text the position is that of the last character, as Jansson reports. */
    const unsigned char *pos = at < ps->end ? at : (ps->end > ps->beg ? ps->end - 1 : ps->beg);
    e->position = (size_t)(pos - ps->beg);
    e->line = 1;
    e->column = 1;
    for (const unsigned char *q = ps->beg; q < pos; q++) {
        if (*q == '\n') {
            e->line++;
            e->column = 1;
        } else if ((*q & 0xc0) != 0x80) {
            e->column++;
        }
    }
    return GW_EJSON;
}

static void skip_ws_run(ps_t *ps)
{
    const unsigned char *p = ps->p;
    while (p < ps->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

/* The usual case, no whitespace between tokens, costs one test. */
static inline void skip_ws(ps_t *ps)
{
    if (ps->p < ps->end && *ps->p <= ' ')
        skip_ws_run(ps);
}

/* Scratch entries on the C stack: a small body needs no malloc (a first one of 8 KiB used to). */
#define SMALL_SCRATCH 32

static int push(ps_t *ps, gw_jdoc_member_t **slot)
{
    if (ps->top == ps->cap) {
        size_t cap = ps->cap < 256 ? 256 : ps->cap * 2;
        if (!ps->heap) {
            gw_jdoc_member_t *s = malloc(cap * sizeof(*s));
            const unsigned char **at = malloc(cap * sizeof(*at));
            if (s == NULL || at == NULL) {
                free(s);
                free(at);
                return GW_ENOMEM;
            }
            memcpy(s, ps->stack, ps->top * sizeof(*s));
            memcpy(at, ps->at, ps->top * sizeof(*at));
            ps->stack = s;
            ps->at = at;
            ps->heap = 1;
        } else {
            gw_jdoc_member_t *s = realloc(ps->stack, cap * sizeof(*s));
            if (s == NULL)
                return GW_ENOMEM;
            ps->stack = s;
            const unsigned char **at = realloc(ps->at, cap * sizeof(*at));
            if (at == NULL)
                return GW_ENOMEM; /* both freed at the end; cap stays what `at` holds */
            ps->at = at;
        }
        ps->cap = cap;
    }
    *slot = &ps->stack[ps->top++];
    return 0;
}

static int hex4(const unsigned char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/*
 * A string; ps->p is at the opening quote. The first pass finds the closing
 * quote and checks the bytes (the unescaped text is never longer than the
 * raw one); the second copies and unescapes into the arena.
 */
static int parse_string(ps_t *ps, const char **out, uint32_t *outlen)
{
    const unsigned char *start = ps->p + 1, *p = start;
    int escapes = 0;
    for (;;) {
        p += gw_json_plain_len(p, (size_t)(ps->end - p));
        if (p >= ps->end)
            return fail(ps, p, 0, "premature end of input in a string");
        unsigned char c = *p;
        if (c == '"')
            break;
        if (c == '\\') {
            escapes = 1;
            if (p + 1 >= ps->end)
                return fail(ps, p + 1, 0, "premature end of input in a string");
            if (strchr("\"\\/bfnrtu", p[1]) == NULL || p[1] == '\0')
                return fail(ps, p, 0, "invalid escape in a string");
            p += 2;
            continue;
        }
        if (c < 0x20)
            return fail(ps, p, 0, "control character 0x%02x in a string", c);
        size_t n = gw_utf8_seq(p, (size_t)(ps->end - p), NULL);
        if (n == 0)
            return fail(ps, p, 0, "invalid UTF-8 byte 0x%02x in a string", c);
        p += n;
    }
    size_t raw = (size_t)(p - start);
    if (raw > UINT32_MAX)
        return fail(ps, start, 0, "string too long");
    if ((size_t)(ps->se - ps->sp) < raw + 1) {
        /* The strings still to come fit in what is left of the text (each has two quotes). */
        size_t block = (size_t)(ps->end - start), want = raw + 1 > 4096 ? raw + 1 : 4096;
        block = block < want ? block : want;
        if ((ps->sp = gw_arena_alloc(ps->a, block)) == NULL)
            return GW_ENOMEM;
        ps->se = ps->sp + block;
    }
    char *dst = ps->sp;
    size_t o = 0;
    if (!escapes) {
        memcpy(dst, start, raw);
        o = raw;
    } else {
        for (const unsigned char *q = start; q < p;) {
            const unsigned char *run = q;
            while (q < p && *q != '\\')
                q++;
            memcpy(dst + o, run, (size_t)(q - run));
            o += (size_t)(q - run);
            if (q >= p)
                break;
            unsigned char e = q[1];
            const unsigned char *esc = q;
            q += 2;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                dst[o++] = (char)e;
                break;
            case 'b':
                dst[o++] = '\b';
                break;
            case 'f':
                dst[o++] = '\f';
                break;
            case 'n':
                dst[o++] = '\n';
                break;
            case 'r':
                dst[o++] = '\r';
                break;
            default: /* 't': the first pass let only valid escapes through */
                dst[o++] = '\t';
                break;
            case 'u': {
                uint32_t cp, lo;
                if (p - q < 4 || hex4(q, &cp) != 0)
                    return fail(ps, esc, 0, "invalid \\u escape in a string");
                q += 4;
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return fail(ps, esc, 0, "invalid Unicode '\\u%04X' (a lone low surrogate)", cp);
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    if (p - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) != 0 ||
                        lo < 0xdc00 || lo > 0xdfff)
                        return fail(ps, esc, 0,
                                    "invalid Unicode '\\u%04X' (a high surrogate without its low "
                                    "one)",
                                    cp);
                    q += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                /* an escape of n bytes (6 or 12) never yields more than n bytes of UTF-8 */
                o += gw_utf8_put(cp, dst + o);
                break;
            }
            }
        }
    }
    dst[o] = '\0';
    ps->sp += o + 1;
    *out = dst;
    *outlen = (uint32_t)o;
    ps->p = p + 1;
    return 0;
}

/*
 * Clinger's fast path for a JSON number already checked by parse_number:
 * when its digits make an integer m <= 2^53 and it scales by 10^k with
 * |k| <= 22, both are exact doubles and one IEEE multiplication or division
 * rounds once, correctly — strtod's result, at a fraction of its cost (a
 * table of 10,000 rows carries 10,000 such numbers). Returns 0 otherwise.
 */
static int fast_real(const unsigned char *s, const unsigned char *e, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
    return 0; /* excess precision (x87) would round twice */
#endif
    int neg = *s == '-', digits = 0, scale = 0;
    uint64_t m = 0;
    s += neg;
    for (int frac = 0; s < e; s++) {
        if (*s == '.') {
            frac = 1;
            continue;
        }
        if (*s < '0' || *s > '9')
            break;
        if ((m || *s != '0') && ++digits > 19)
            return 0;
        m = m * 10 + (uint64_t)(*s - '0');
        scale -= frac;
    }
    if (s < e) { /* 'e' or 'E', then an optional sign and at least one digit */
        int eneg = *++s == '-', x = 0;
        for (s += *s == '-' || *s == '+'; s < e; s++)
            if (x < 1000)
                x = x * 10 + (*s - '0');
        scale += eneg ? -x : x;
    }
    if (m > (UINT64_C(1) << 53) || scale < -22 || scale > 22)
        return 0;
    double d = scale < 0 ? (double)m / pow10[-scale] : (double)m * pow10[scale];
    *out = neg ? -d : d;
    return 1;
}

static int parse_number(ps_t *ps, gw_jdoc_t *v)
{
    const unsigned char *s = ps->p, *p = s;
    int neg = 0, real = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (p >= ps->end || *p < '0' || *p > '9')
        return fail(ps, s, 1, "invalid number");
    if (*p == '0') {
        p++;
        if (p < ps->end && *p >= '0' && *p <= '9')
            return fail(ps, s, 1, "invalid number (leading zero)");
    } else {
        while (p < ps->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < ps->end && *p == '.') {
        real = 1;
        p++;
        if (p >= ps->end || *p < '0' || *p > '9')
            return fail(ps, s, 1, "invalid number");
        while (p < ps->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < ps->end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;
        if (p < ps->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= ps->end || *p < '0' || *p > '9')
            return fail(ps, s, 1, "invalid number");
        while (p < ps->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (!real && p - s - neg <= 18) { /* below 10^18: cannot overflow */
        uint64_t u = 0;
        for (const unsigned char *q = s + neg; q < p; q++)
            u = u * 10 + (uint64_t)(*q - '0');
        v->type = GW_JDOC_INT;
        v->u.i = neg ? -(int64_t)u : (int64_t)u;
    } else if (!real) {
        /* accumulate negatively: INT64_MIN has no positive counterpart */
        int64_t x = 0;
        for (const unsigned char *q = s + neg; q < p; q++) {
            int d = *q - '0';
            if (x < (INT64_MIN + d) / 10)
                return fail(ps, s, 1, neg ? "too big negative integer" : "too big integer");
            x = x * 10 - d;
        }
        if (!neg && x == INT64_MIN)
            return fail(ps, s, 1, "too big integer");
        v->type = GW_JDOC_INT;
        v->u.i = neg ? x : -x;
    } else if (fast_real(s, p, &v->u.f)) {
        v->type = GW_JDOC_REAL;
    } else {
        char small[64], *buf = small;
        size_t n = (size_t)(p - s);
        if (n >= sizeof(small) && (buf = gw_arena_alloc(ps->a, n + 1)) == NULL)
            return GW_ENOMEM;
        memcpy(buf, s, n);
        buf[n] = '\0';
        double d = strtod(buf, NULL);
        if (isinf(d))
            return fail(ps, s, 1, "real number overflow");
        v->type = GW_JDOC_REAL;
        v->u.f = d;
    }
    ps->p = p;
    return 0;
}

/*
 * A fingerprint of a key from its length and its first and last (up to) 8
 * bytes: equal keys have equal prints, and the keys of one row object
 * ("RFCINT1", "RFCINT2", …) almost never share one, so the pairwise check
 * compares two integers instead of two strings.
 */
static uint64_t key_print(gw_slice_t k)
{
    uint64_t a = 0, b = 0;
    /* fixed-size loads only: a variable-length copy into `a` would stall the load of `a` */
    if (k.len >= 4) {
        gw_load_ends(k.ptr, k.len, &a, &b);
    } else if (k.len) {
        const unsigned char *p = (const unsigned char *)k.ptr;
        a = p[0] | (uint64_t)p[k.len / 2] << 8 | (uint64_t)p[k.len - 1] << 16;
    }
    return (a * 0x9e3779b97f4a7c15u) ^ ((b + k.len) * 0xc2b2ae3d27d4eb4fu);
}

static int key_cmp(const void *x, const void *y)
{
    const gw_jdoc_member_t *a = *(const gw_jdoc_member_t *const *)x;
    const gw_jdoc_member_t *b = *(const gw_jdoc_member_t *const *)y;
    size_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
    int c = n ? memcmp(a->key.ptr, b->key.ptr, n) : 0;
    return c ? c : (a->key.len > b->key.len) - (a->key.len < b->key.len);
}

/* The first key of a large object that another member repeats; NULL when all are distinct. */
static int dup_sorted(const gw_jdoc_member_t *m, size_t n, const gw_jdoc_member_t **dup)
{
    const gw_jdoc_member_t **idx = malloc(n * sizeof(*idx));
    if (idx == NULL)
        return GW_ENOMEM;
    for (size_t i = 0; i < n; i++)
        idx[i] = &m[i];
    qsort(idx, n, sizeof(*idx), key_cmp);
    *dup = NULL;
    for (size_t i = 1; i < n && *dup == NULL; i++)
        if (gw_slice_eq(idx[i - 1]->key, idx[i]->key))
            *dup = idx[i] > idx[i - 1] ? idx[i] : idx[i - 1];
    free(idx);
    return 0;
}

static int parse_value(ps_t *ps, gw_jdoc_t *v, uint32_t level);

static int parse_container(ps_t *ps, gw_jdoc_t *v, uint32_t level, int object)
{
    const unsigned char *open = ps->p;
    size_t base = ps->top;
    char close = object ? '}' : ']';
    int ret, plain = 1;
    size_t hits = 0; /* leading keys that are the kept ones at their positions */
    gw_slice_t *kept = object && level < KEEP_LEVELS ? ps->kept[level] : NULL;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        goto done;
    }
    for (;;) {
        gw_jdoc_member_t *m;
        if ((ret = push(ps, &m)) != 0)
            return ret;
        m->key = (gw_slice_t){"", 0};
        if (object) {
            const char *k;
            uint32_t kn;
            const unsigned char *at = ps->p;
            size_t idx = ps->top - 1 - base;
            ps->at[ps->top - 1] = at;
            if (at >= ps->end || *at != '"')
                return fail(ps, at, 1, idx == 0 ? "string or '}' expected" : "string expected");
            if (kept && idx < ps->kept_n[level] && (size_t)(ps->end - at) > kept[idx].len + 1 &&
                at[kept[idx].len + 1] == '"' &&
                gw_slice_eq(kept[idx], (gw_slice_t){(const char *)at + 1, kept[idx].len})) {
                ps->stack[ps->top - 1].key = kept[idx];
                ps->p = at + kept[idx].len + 2;
                hits += idx == hits;
            } else {
                if ((ret = parse_string(ps, &k, &kn)) != 0)
                    return ret;
                ps->stack[ps->top - 1].key = (gw_slice_t){k, kn};
                plain &= (size_t)(ps->p - at) == (size_t)kn + 2; /* no escape shrank it */
            }
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail(ps, ps->p, 1, "':' expected");
            ps->p++;
            skip_ws(ps);
        }
        if (ps->p < ps->end && (*ps->p == '{' || *ps->p == '[')) {
            gw_jdoc_t val;
            if ((ret = parse_value(ps, &val, level + 1)) != 0)
                return ret;
            ps->stack[ps->top - 1].value = val; /* nested containers may have moved the stack */
        } else if ((ret = parse_value(ps, &ps->stack[ps->top - 1].value, level + 1)) != 0) {
            return ret; /* a scalar pushes nothing: parsed in place (no copy of a fresh value) */
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            skip_ws(ps);
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            break;
        }
        return fail(ps, ps->p, 1, object ? "',' or '}' expected" : "',' or ']' expected");
    }
done:;
    size_t n = ps->top - base;
    if (n > UINT32_MAX)
        return fail(ps, open, 0, "too many members");
    v->type = object ? GW_JDOC_OBJECT : GW_JDOC_ARRAY;
    v->n = (uint32_t)n;
    v->u.items = NULL;
    if (n == 0) {
        ps->top = base;
        return 0;
    }
    const gw_jdoc_member_t *m = &ps->stack[base];
    if (object) {
        const gw_jdoc_member_t *dup = NULL;
        if (kept && hits == n) {
            /* the kept keys (or the first of them) in their places: distinct, they passed this */
        } else if (n <= DUP_LINEAR) {
            uint64_t fp[DUP_LINEAR];
            for (size_t i = 0; i < n; i++)
                fp[i] = key_print(m[i].key);
            for (size_t i = 0; i < n && !dup; i++)
                for (size_t k = 0; k < i && !dup; k++)
                    if (fp[k] == fp[i] && gw_slice_eq(m[i].key, m[k].key))
                        dup = &m[i];
            if (kept && !dup) {
                ps->kept_n[level] = plain ? (uint8_t)n : 0;
                for (size_t i = 0; plain && i < n; i++)
                    kept[i] = m[i].key;
            }
        } else if ((ret = dup_sorted(m, n, &dup)) != 0) {
            return ret;
        }
        if (dup) {
            char k[72];
            size_t kn = dup->key.len < 40 ? dup->key.len : 40;
            ascii((const unsigned char *)dup->key.ptr, kn, 0, k, sizeof(k));
            return fail(ps, ps->at[base + (size_t)(dup - m)], 0, "duplicate object key \"%s%s\"", k,
                        dup->key.len > kn ? "..." : "");
        }
        gw_jdoc_member_t *dst = gw_arena_alloc(ps->a, n * sizeof(*dst));
        if (dst == NULL)
            return GW_ENOMEM;
        memcpy(dst, m, n * sizeof(*dst));
        v->u.members = dst;
    } else {
        gw_jdoc_t *dst = gw_arena_alloc(ps->a, n * sizeof(*dst));
        if (dst == NULL)
            return GW_ENOMEM;
        for (size_t i = 0; i < n; i++)
            dst[i] = m[i].value;
        v->u.items = dst;
    }
    ps->top = base;
    return 0;
}

static int literal(ps_t *ps, const char *word, size_t n, uint8_t type, gw_jdoc_t *v)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, ps->p, 1, "invalid token");
    ps->p += n;
    v->type = type;
    return 0;
}

static int parse_value(ps_t *ps, gw_jdoc_t *v, uint32_t level)
{
    memset(v, 0, sizeof(*v));
    if (ps->p >= ps->end)
        return fail(ps, ps->p, 1, "unexpected token");
    if (level > ps->max_depth) {
        ps->err->too_deep = 1;
        return fail(ps, ps->p, 0, "nesting deeper than %u levels", ps->max_depth);
    }
    switch (*ps->p) {
    case '{':
        return parse_container(ps, v, level, 1);
    case '[':
        return parse_container(ps, v, level, 0);
    case '"':
        v->type = GW_JDOC_STRING;
        return parse_string(ps, &v->u.s, &v->n);
    case 't':
        return literal(ps, "true", 4, GW_JDOC_TRUE, v);
    case 'f':
        return literal(ps, "false", 5, GW_JDOC_FALSE, v);
    case 'n':
        return literal(ps, "null", 4, GW_JDOC_NULL, v);
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        return parse_number(ps, v);
    default:
        return fail(ps, ps->p, 1, "unexpected token");
    }
}

int gw_jdoc_parse(gw_arena_t *a, const char *text, size_t len, uint32_t max_depth,
                  const gw_jdoc_t **out, gw_jdoc_error_t *err)
{
    gw_jdoc_member_t small[SMALL_SCRATCH];
    const unsigned char *small_at[SMALL_SCRATCH];
    gw_slice_t kept[KEEP_LEVELS][DUP_LINEAR]; /* valid up to kept_n[level] (zeroed below) */
    ps_t ps = {.a = a,
               .p = (const unsigned char *)text,
               .beg = (const unsigned char *)text,
               .end = (const unsigned char *)text + len,
               .max_depth = max_depth,
               .stack = small,
               .at = small_at,
               .kept = kept,
               .cap = SMALL_SCRATCH,
               .err = err};
    memset(err, 0, sizeof(*err));
    *out = NULL;
    gw_jdoc_t *root = gw_arena_alloc(a, sizeof(*root));
    int ret = root ? 0 : GW_ENOMEM;
    if (ret == 0) {
        skip_ws(&ps);
        ret = parse_value(&ps, root, 0);
    }
    if (ret == 0) {
        skip_ws(&ps);
        if (ps.p < ps.end)
            ret = fail(&ps, ps.p, 1, "end of file expected");
    }
    if (ps.heap) {
        free(ps.stack);
        free(ps.at);
    }
    if (ret == 0)
        *out = root;
    return ret;
}

const gw_jdoc_t *gw_jdoc_get(const gw_jdoc_t *obj, gw_slice_t key, uint32_t *hint)
{
    if (obj == NULL || obj->type != GW_JDOC_OBJECT || obj->n == 0)
        return NULL;
    uint32_t start = hint && *hint < obj->n ? *hint : 0;
    for (uint32_t k = 0; k < obj->n; k++) {
        uint32_t i = start + k < obj->n ? start + k : start + k - obj->n;
        if (gw_slice_eq(obj->u.members[i].key, key)) {
            if (hint)
                *hint = i + 1;
            return &obj->u.members[i].value;
        }
    }
    return NULL;
}

const char *gw_jdoc_type_name(const gw_jdoc_t *j)
{
    switch (j->type) {
    case GW_JDOC_OBJECT:
        return "an object";
    case GW_JDOC_ARRAY:
        return "an array";
    case GW_JDOC_STRING:
        return "a string";
    case GW_JDOC_INT:
    case GW_JDOC_REAL:
        return "a number";
    case GW_JDOC_TRUE:
    case GW_JDOC_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}
