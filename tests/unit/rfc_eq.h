/*
 * rfc_eq: equality of RFC values for the unit tests (names, types, and
 * contents: integers, the bits of doubles, text and bytes, fields, rows).
 * Header-only.
 */
#ifndef RFMGW_RFC_EQ_H
#define RFMGW_RFC_EQ_H

#include "rfc/rfc.h"

#include <string.h>

static inline int value_eq(const gw_rfc_value_t *a, const gw_rfc_value_t *b);

static inline int fields_eq(const gw_rfc_field_t *a, uint32_t na, const gw_rfc_field_t *b,
                            uint32_t nb)
{
    if (na != nb)
        return 0;
    for (uint32_t i = 0; i < na; i++)
        if (!gw_slice_eq(a[i].name, b[i].name) || !value_eq(&a[i].value, &b[i].value))
            return 0;
    return 1;
}

static inline int value_eq(const gw_rfc_value_t *a, const gw_rfc_value_t *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case GW_RFC_INT1:
    case GW_RFC_INT2:
    case GW_RFC_INT4:
    case GW_RFC_INT8:
        return a->u.i == b->u.i;
    case GW_RFC_FLOAT:
        return memcmp(&a->u.f, &b->u.f, sizeof(double)) == 0;
    case GW_RFC_STRUCTURE:
        return fields_eq(a->u.st.fields, a->u.st.count, b->u.st.fields, b->u.st.count);
    case GW_RFC_TABLE:
        if (a->u.tab.count != b->u.tab.count)
            return 0;
        for (uint32_t i = 0; i < a->u.tab.count; i++)
            if (!value_eq(&a->u.tab.rows[i], &b->u.tab.rows[i]))
                return 0;
        return 1;
    default:
        return gw_slice_eq(a->u.s, b->u.s);
    }
}

#endif
