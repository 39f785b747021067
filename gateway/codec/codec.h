/*
 * codec: JSON ↔ RFC values, driven by the function description.
 *
 * Input: the JSON parameter object is checked against the RFM's metadata
 * and converted into RFC values in the request arena. Every problem is
 * collected (up to a limit) with an RFC 6901 JSON Pointer to the bad value,
 * so one 400 answer lists everything wrong with a request.
 *
 * Output: returned parameters become a JSON object; CHAR loses its
 * trailing blanks, STRING is verbatim, binary values are base64.
 *
 * Supported now: CHAR, STRING, INT1/INT2/INT4 on input; every type on
 * output. The other input types answer a clear "not supported yet" error
 * naming the parameter (docs/types.md).
 */
#ifndef GW_CODEC_H
#define GW_CODEC_H

#include "base/base.h"
#include "rfc/rfc.h"

#include <jansson.h>

/** One input problem: where (JSON Pointer) and what. Strings live in the arena. */
typedef struct {
    const char *pointer;
    const char *reason;
} gw_codec_error_t;

/** The collected input problems of one request. */
typedef struct {
    gw_codec_error_t *items;
    size_t n;
    size_t max;     /* capacity of items */
    size_t dropped; /* problems past `max` that were counted but not kept */
} gw_codec_errors_t;

/** Prepares an error list holding up to `max` entries, allocated from `a`. */
int gw_codec_errors_init(gw_arena_t *a, gw_codec_errors_t *errs, size_t max);

/**
 * Converts the JSON object `body` (NULL = no parameters) into the call's
 * parameters for function `f`. Returns 0 with `*out`/`*n` set, GW_EPARAM
 * when `errs` holds problems, GW_ENOMEM when the arena fails.
 */
int gw_codec_params_from_json(gw_arena_t *a, const gw_rfc_func_t *f, json_t *body,
                              gw_rfc_field_t **out, uint32_t *n, gw_codec_errors_t *errs);

/**
 * Builds the JSON object of the returned parameters, in the order of the
 * function's description. Returns a new reference, or NULL on out-of-memory.
 */
json_t *gw_codec_result_to_json(const gw_rfc_func_t *f, const gw_rfc_field_t *params, uint32_t n);

/** Converts one value to JSON (new reference, NULL on out-of-memory). */
json_t *gw_codec_value_to_json(const gw_rfc_value_t *v);

/** Number of UTF-16 code units of a valid UTF-8 string (how ABAP counts CHAR length). */
size_t gw_codec_utf16_len(gw_slice_t s);

#endif
