/*
 * nwrfc_uc: UTF-8 ↔ UTF-16 for the SAP NW RFC SDK's SAP_UC strings.
 *
 * Internal to the backend module (the nwrfc backend and its test fake use
 * it). Pure functions without the SDK, so they are built and unit-tested
 * in every configuration. UTF-16 is in host byte order, as SAP_UC holds it.
 */
#ifndef GW_BACKEND_NWRFC_UC_H
#define GW_BACKEND_NWRFC_UC_H

#include "base/base.h"

#include <stddef.h>
#include <stdint.h>

/**
 * Number of UTF-16 code units that the UTF-8 text `s` needs; -1 when `s`
 * is not valid UTF-8 (overlong forms, surrogates, code points past
 * U+10FFFF and truncated sequences are invalid).
 */
long gw_nwrfc_utf16_len(gw_slice_t s);

/**
 * Converts the UTF-8 text `s` into `out`, which has room for `cap` units,
 * and NUL-terminates it. Returns the number of units written (without the
 * NUL), -1 for invalid UTF-8, -2 when `cap` is too small (then `out` is
 * empty).
 */
long gw_nwrfc_to_utf16(gw_slice_t s, uint16_t *out, size_t cap);

/**
 * Converts `n` UTF-16 units into UTF-8 in `arena` (NUL-terminated; `out`
 * does not count the NUL). An unpaired surrogate becomes U+FFFD. Returns 0
 * or GW_ENOMEM.
 */
int gw_nwrfc_from_utf16(gw_arena_t *arena, const uint16_t *p, size_t n, gw_slice_t *out);

/** Length of a NUL-terminated UTF-16 string, at most `max` units. */
size_t gw_nwrfc_uclen(const uint16_t *p, size_t max);

/**
 * Converts a NUL-terminated UTF-16 string of at most `max` units into
 * `out` (UTF-8, NUL-terminated, cut at a character boundary when `size`
 * is too small). For error texts and names; never fails.
 */
void gw_nwrfc_uc_copy(char *out, size_t size, const uint16_t *p, size_t max);

#endif
