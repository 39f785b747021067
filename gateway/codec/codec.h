/*
 * codec: JSON ↔ RFC values, driven by the function description.
 *
 * Input (gw_codec_params_read): the parsed JSON parameter object (jdoc) is checked
 * against the RFM's metadata and converted into RFC values in the request
 * arena. Every problem is collected (up to a limit) with an RFC 6901 JSON
 * Pointer to the bad value, so one 400 answer lists everything wrong with a
 * request. Values are normalized to the wire text forms of docs/protocol.md
 * §5 (NUM zero-padded, BCD canonical, DATE YYYYMMDD, TIME HHMMSS).
 *
 * Output (gw_codec_result_write): a small JSON writer straight into a
 * gw_buf_t — no jansson tree on the hot path, shortest round-trip floats,
 * and text from the backend that is not valid UTF-8 still gives valid JSON.
 *
 * Metadata (gw_codec_func_describe): the JSON form of a function's
 * description with a JSON Schema per parameter.
 *
 * The mapping of every ABAP type, each option and the error format are
 * documented in docs/types.md.
 */
#ifndef GW_CODEC_H
#define GW_CODEC_H

#include "base/base.h"
#include "jdoc/jdoc.h"
#include "rfc/rfc.h"

#include <jansson.h>
#include <stdint.h>

/** Text forms of DATE and TIME in JSON. */
typedef enum {
    GW_CODEC_FMT_ISO = 0, /* DATE "YYYY-MM-DD", TIME "HH:MM:SS" */
    GW_CODEC_FMT_SAP = 1, /* DATE "YYYYMMDD", TIME "HHMMSS" */
} gw_codec_fmt_t;

/**
 * JSON mapping options, switchable globally and per route. Start from
 * gw_codec_opts_default() and change single fields; every function that
 * takes options also accepts NULL for the defaults.
 */
typedef struct {
    uint8_t char_trim;         /* 1: CHAR output without trailing blanks */
    uint8_t num_as_string;     /* 1: NUM output as a string keeping leading zeros; 0: a number */
    uint8_t date_format;       /* gw_codec_fmt_t, input and output */
    uint8_t time_format;       /* gw_codec_fmt_t, input and output */
    uint8_t initial_date_null; /* 1: DATE 00000000 (or "") ↔ JSON null */
    uint8_t int8_as_string;    /* 1: INT8 output as a string (JavaScript loses digits past 2^53) */
    uint32_t max_depth;        /* input: nested objects/arrays, a top-level one = 1; 0 = 16 */
    uint32_t max_rows;         /* input: rows of one table; 0 = 100000 */
} gw_codec_opts_t;

/**
 * The defaults: char_trim 1, num_as_string 1, ISO dates and times,
 * initial_date_null 1, int8_as_string 1, max_depth 16, max_rows 100000.
 */
gw_codec_opts_t gw_codec_opts_default(void);

/**
 * Parses a DATE/TIME format name ("iso" or "sap") into `*out`. Returns 0,
 * or GW_EINVAL for any other name.
 */
int gw_codec_fmt_parse(const char *name, uint8_t *out);

/** Name of a gw_codec_fmt_t ("iso", "sap"). Static storage. */
const char *gw_codec_fmt_name(int fmt);

/** One input problem: where (JSON Pointer, "" = the whole body) and what. Strings live in the
 * arena. */
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
 * parameters for function `f`, with options `o` (NULL = defaults).
 *
 * Parameters come out in the order of the description. An optional
 * parameter absent from `body` (or null, except DATE under
 * initial_date_null) is not sent, so its ABAP default applies. Every value
 * is allocated from `a`, except that CHAR and STRING values point at the
 * strings of `body`: keep `body` (normally parsed into the same
 * arena) as long as the values. Returns 0 with `*out`/`*n` set, GW_EPARAM when `errs`
 * holds problems, GW_ENOMEM when the arena fails.
 */
int gw_codec_params_read(gw_arena_t *a, const gw_rfc_func_t *f, const gw_jdoc_t *body,
                         const gw_codec_opts_t *o, gw_rfc_field_t **out, uint32_t *n,
                         gw_codec_errors_t *errs);

/**
 * Converts one JSON value of type `t` into `*out` (allocated from `a`),
 * reporting problems under JSON Pointer `pointer` (e.g. "/IMPORTSTRUCT").
 * JSON null is an error here except for DATE under initial_date_null.
 * CHAR and STRING values point at the strings of `j`: keep it as long.
 * Returns 0, GW_EPARAM when `errs` received problems, GW_ENOMEM.
 */
int gw_codec_value_read(gw_arena_t *a, const gw_rfc_typedesc_t *t, const gw_jdoc_t *j,
                        const char *pointer, const gw_codec_opts_t *o, gw_rfc_value_t *out,
                        gw_codec_errors_t *errs);

/**
 * Sets `*out` to the initial value of type `t`: CHAR "", NUM n zeros, DATE
 * "00000000", TIME "000000", BCD "0" with its decimals ("0.00"), DECF "0",
 * integers and FLOAT 0, empty STRING/XSTRING/RAW, a structure with no
 * fields, an empty table. Returns 0 or GW_ENOMEM.
 */
int gw_codec_initial_value(gw_arena_t *a, const gw_rfc_typedesc_t *t, gw_rfc_value_t *out);

/**
 * Appends the JSON object of the returned parameters to `out`: the
 * EXPORTING, CHANGING and TABLES parameters of `f` that are present in
 * `params`, in description order (IMPORTING ones never). `o` NULL =
 * defaults. Returns 0, or the buffer's error (GW_ENOMEM, GW_ETOOBIG) — then
 * `out` holds a partial text to be discarded.
 */
int gw_codec_result_write(gw_buf_t *out, const gw_rfc_func_t *f, const gw_rfc_field_t *params,
                          uint32_t n, const gw_codec_opts_t *o);

/**
 * Appends one value as JSON to `out`. `t` (may be NULL) is the value's type
 * description, used for NUM padding and passed down to fields and rows.
 * Returns 0 or the buffer's error.
 */
int gw_codec_value_write(gw_buf_t *out, const gw_rfc_value_t *v, const gw_rfc_typedesc_t *t,
                         const gw_codec_opts_t *o);

/**
 * Describes function `f` for the metadata endpoint: name, parameters (with
 * direction, optional, default, description, abapType and the JSON Schema
 * of the JSON form under options `o`) and the "request"/"response" object
 * schemas. Returns a new reference (the caller decrefs), NULL on
 * out-of-memory.
 */
json_t *gw_codec_func_describe(const gw_rfc_func_t *f, const gw_codec_opts_t *o);

/** The JSON Schema of type `t` under options `o` (new reference, NULL on out-of-memory). */
json_t *gw_codec_type_schema(const gw_rfc_typedesc_t *t, const gw_codec_opts_t *o);

/** Number of UTF-16 code units of a valid UTF-8 string (how ABAP counts CHAR length). */
size_t gw_codec_utf16_len(gw_slice_t s);

#endif
