/*
 * jdoc: a JSON request body parsed into the request's arena.
 *
 * Request bodies are read once, checked against the RFM's metadata and
 * dropped with the request, so their JSON needs no hash tables, reference
 * counts or frees: a node is 16 bytes, an object is an array of members in
 * text order (looked up by a linear scan that tries the expected position
 * first — bodies usually list fields in the order the metadata has them),
 * strings are unescaped, NUL-terminated copies in the arena. The parser
 * enforces what the gateway promises about bodies: RFC 8259 syntax, valid
 * UTF-8, no duplicate keys, a nesting limit, and errors with line and
 * column. Responses are not built here (codec_out writes JSON text
 * directly); small documents the gateway builds itself still use Jansson.
 */
#ifndef GW_JDOC_H
#define GW_JDOC_H

#include "base/base.h"

#include <stdint.h>

/** Node types. Numbers without fraction or exponent that fit int64_t are INT. */
typedef enum {
    GW_JDOC_NULL = 0,
    GW_JDOC_FALSE,
    GW_JDOC_TRUE,
    GW_JDOC_INT,
    GW_JDOC_REAL,
    GW_JDOC_STRING,
    GW_JDOC_ARRAY,
    GW_JDOC_OBJECT,
} gw_jdoc_type_t;

typedef struct gw_jdoc gw_jdoc_t;
typedef struct gw_jdoc_member gw_jdoc_member_t;

/**
 * A value. `n` is the string's length in bytes (it may contain NUL bytes
 * from "\u0000"; s[n] is always NUL), the array's item count or the
 * object's member count.
 */
struct gw_jdoc {
    uint8_t type; /* gw_jdoc_type_t */
    uint32_t n;
    union {
        int64_t i;
        double f;
        const char *s;
        const gw_jdoc_t *items;
        const gw_jdoc_member_t *members;
    } u;
};

/** A member of an object: its key (unescaped, NUL-terminated) and value. */
struct gw_jdoc_member {
    gw_slice_t key;
    gw_jdoc_t value;
};

/** Where and why a parse failed. */
typedef struct {
    int line;        /* 1-based */
    int column;      /* 1-based, in characters (UTF-8 sequences count once) */
    size_t position; /* byte offset into the text */
    int too_deep;    /* 1: the text nests deeper than max_depth (otherwise a syntax error) */
    char text[160];  /* what was wrong, ASCII only (bytes of the input are escaped) */
} gw_jdoc_error_t;

/**
 * Parses `len` bytes of JSON text into nodes allocated from `a`. Any JSON
 * value is accepted at the top. `max_depth` limits nesting: a value may sit
 * at most `max_depth` levels below the top-level value (the members of a
 * top-level object are at level 1). Returns 0 with `*out` set, GW_EJSON with
 * `err` filled (syntax, UTF-8, duplicate key, depth), GW_ENOMEM. Nothing
 * points into `text` afterwards.
 */
int gw_jdoc_parse(gw_arena_t *a, const char *text, size_t len, uint32_t max_depth,
                  const gw_jdoc_t **out, gw_jdoc_error_t *err);

/**
 * The value of member `key` of object `obj`; NULL when `obj` is NULL, not an
 * object, or has no such member. `hint` (may be NULL) is the index to try
 * first; it is set to the index after the match, so looking up fields in
 * the order the object lists them costs one comparison each.
 */
const gw_jdoc_t *gw_jdoc_get(const gw_jdoc_t *obj, gw_slice_t key, uint32_t *hint);

/** "an object", "an array", "a string", "a number", "a boolean" or "null", for error texts. */
const char *gw_jdoc_type_name(const gw_jdoc_t *j);

/** 1 for INT and REAL. */
static inline int gw_jdoc_is_number(const gw_jdoc_t *j)
{
    return j->type == GW_JDOC_INT || j->type == GW_JDOC_REAL;
}

/** The value of an INT or REAL as a double (0 for other types). */
static inline double gw_jdoc_number(const gw_jdoc_t *j)
{
    return j->type == GW_JDOC_INT ? (double)j->u.i : j->type == GW_JDOC_REAL ? j->u.f : 0;
}

/** A string node's text as a slice (empty for other types). */
static inline gw_slice_t gw_jdoc_str(const gw_jdoc_t *j)
{
    return j->type == GW_JDOC_STRING ? (gw_slice_t){j->u.s, j->n} : (gw_slice_t){"", 0};
}

/** Node constructors for values the gateway adds (bound path, query and header values). */
static inline gw_jdoc_t gw_jdoc_string(const char *s, size_t n)
{
    gw_jdoc_t j = {.type = GW_JDOC_STRING, .n = (uint32_t)n, .u.s = s};
    return j;
}

#endif
