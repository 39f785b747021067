/*
 * libFuzzer target: arbitrary bytes → jdoc. A parse either succeeds with a
 * tree whose every invariant holds (strings NUL-terminated at n and valid
 * UTF-8, counts that match their arrays, numbers finite, nesting within
 * the limit, every key unique and found by gw_jdoc_get at its own member,
 * with and without a hint) or fails with a sane line, column, position and
 * an ASCII error text; never a crash, a leak or a hang.
 */
#include "base/base.h"
#include "error/error.h"
#include "jdoc/jdoc.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_DEPTH 64

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* 1 when the `n` bytes at `s` are valid UTF-8 (RFC 3629: no overlongs, no surrogates). */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

static void check_string(const char *s, size_t n)
{
    CHECK(s != NULL);
    CHECK(s[n] == '\0');
    CHECK(utf8_valid((const unsigned char *)s, n));
}

static void walk(const gw_jdoc_t *j, uint32_t depth)
{
    CHECK(depth <= MAX_DEPTH);
    CHECK(gw_jdoc_type_name(j) != NULL);
    switch (j->type) {
    case GW_JDOC_NULL:
    case GW_JDOC_FALSE:
    case GW_JDOC_TRUE:
    case GW_JDOC_INT:
        break;
    case GW_JDOC_REAL:
        CHECK(isfinite(j->u.f));
        break;
    case GW_JDOC_STRING:
        check_string(j->u.s, j->n);
        CHECK(gw_jdoc_str(j).len == j->n);
        break;
    case GW_JDOC_ARRAY:
        CHECK(j->n == 0 || j->u.items != NULL);
        CHECK(gw_jdoc_get(j, GW_SLICE_LIT(""), NULL) == NULL);
        for (uint32_t i = 0; i < j->n; i++)
            walk(&j->u.items[i], depth + 1);
        break;
    case GW_JDOC_OBJECT: {
        CHECK(j->n == 0 || j->u.members != NULL);
        uint32_t running = 0;
        for (uint32_t i = 0; i < j->n; i++) {
            const gw_jdoc_member_t *m = &j->u.members[i];
            check_string(m->key.ptr, m->key.len);
            /* Keys are unique: every lookup lands on this very member. */
            CHECK(gw_jdoc_get(j, m->key, NULL) == &m->value);
            uint32_t hint = i;
            CHECK(gw_jdoc_get(j, m->key, &hint) == &m->value);
            CHECK(hint == i + 1);
            hint = j->n - 1 - i;
            CHECK(gw_jdoc_get(j, m->key, &hint) == &m->value);
            CHECK(hint == i + 1);
            CHECK(gw_jdoc_get(j, m->key, &running) == &m->value);
            CHECK(running == i + 1);
            walk(&m->value, depth + 1);
        }
        break;
    }
    default:
        abort();
    }
}

static void check_error(const gw_jdoc_error_t *err, size_t size)
{
    CHECK(err->line >= 1);
    CHECK(err->column >= 1);
    CHECK(err->position <= size);
    /* Lines and characters are never more than the bytes before the error (+1 at the end). */
    CHECK((size_t)err->line - 1 <= size);
    CHECK((size_t)err->column - 1 <= size);
    CHECK(err->too_deep == 0 || err->too_deep == 1);
    size_t i = 0;
    for (; i < sizeof(err->text) && err->text[i] != '\0'; i++)
        CHECK(err->text[i] >= 0x20 && err->text[i] <= 0x7e);
    CHECK(i > 0 && i < sizeof(err->text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_arena_t a;
    gw_arena_init(&a, 0);
    const gw_jdoc_t *root = NULL;
    gw_jdoc_error_t err;
    memset(&err, 0, sizeof(err));
    int rc = gw_jdoc_parse(&a, (const char *)data, size, MAX_DEPTH, &root, &err);
    if (rc == 0) {
        CHECK(root != NULL);
        walk(root, 0);
    } else {
        CHECK(rc == GW_EJSON || rc == GW_ENOMEM);
        if (rc == GW_EJSON)
            check_error(&err, size);
    }
    gw_arena_free(&a);
    return 0;
}
