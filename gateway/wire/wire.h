/*
 * wire: rfmgw's WebSocket RFC protocol, version 1 (docs/protocol.md).
 *
 * Pure functions over buffers: no I/O, no globals. One WebSocket binary
 * message carries exactly one protocol message:
 *
 *   u8 version (=1) | u8 type | u16 flags | u32 seq | u32 body_len | body
 *
 * All integers are little-endian. The decoder checks every length against
 * the bytes that remain and enforces the limits in gw_wire_limits_t before
 * allocating, so a hostile peer cannot make it allocate more than the
 * message size allows.
 */
#ifndef GW_WIRE_H
#define GW_WIRE_H

#include "base/base.h"
#include "rfc/rfc.h"

#include <stdint.h>

#define GW_WIRE_VERSION     1
#define GW_WIRE_HEADER_SIZE 12
/** Default WebSocket subprotocol: our own versioned name. */
#define GW_WIRE_SUBPROTOCOL "rfmgw.rfc.v1"
/** Default upgrade path. */
#define GW_WIRE_DEFAULT_PATH "/rfmgw/rfc/v1"
/** Upgrade request header that asks to log on with the alias user name. */
#define GW_WIRE_HDR_ALIAS "x-rfmgw-alias-user"
/** Upgrade request header with an explicit client (overrides client-by-hostname). */
#define GW_WIRE_HDR_CLIENT "x-rfmgw-client"
/** Upgrade request header with the logon language (optional, default E). */
#define GW_WIRE_HDR_LANGUAGE "x-rfmgw-language"
/** `nwant` value in a CALL meaning "return every exporting/changing/tables parameter". */
#define GW_WIRE_WANT_ALL 0xffffffffu

/** Message types; the numbers are the protocol. */
typedef enum {
    GW_WIRE_OPEN = 1,        /* server → client: session established (seq 0) */
    GW_WIRE_CALL = 2,        /* client → server: call a function */
    GW_WIRE_RESULT = 3,      /* server → client: call result (may be split, see FLAG_MORE) */
    GW_WIRE_ERROR = 4,       /* server → client: the request failed */
    GW_WIRE_DESCRIBE = 5,    /* client → server: ask for a function description */
    GW_WIRE_DESCRIPTION = 6, /* server → client: the description */
    GW_WIRE_RESET = 7,       /* client → server: reset the session */
    GW_WIRE_RESET_OK = 8,    /* server → client: the session was reset */
} gw_wire_type_t;

/** Header flags. */
enum {
    GW_WIRE_FLAG_MORE = 0x0001,        /* RESULT: more parts of this result follow */
    GW_WIRE_FLAG_RESET_FIRST = 0x0002, /* CALL: reset the session before the call */
};

/** Decoder limits. Zero fields take the defaults of gw_wire_limits_default(). */
typedef struct {
    uint32_t max_message; /* bytes of one message, header included */
    uint32_t max_depth;   /* nesting of STRUCTURE/TABLE values and types */
    uint32_t max_count;   /* elements of one list: parameters, fields, rows, columns */
} gw_wire_limits_t;

/** The defaults: 16 MiB messages, depth 16, 1,000,000 elements per list. */
gw_wire_limits_t gw_wire_limits_default(void);

/** OPEN: what the server tells the client about the session it opened. */
typedef struct {
    gw_slice_t sid;     /* system id, e.g. "A4H" */
    gw_slice_t release; /* e.g. "758" */
    gw_slice_t client;  /* the client chosen (by host name or explicitly) */
    gw_slice_t user;    /* the technical user (also when logged on by alias) */
    gw_slice_t host;    /* the host name the client was chosen by */
    gw_slice_t session; /* an opaque session id for logs */
} gw_wire_open_t;

/** CALL: a function call. */
typedef struct {
    gw_slice_t function;
    gw_slice_t trace; /* W3C traceparent, empty when none */
    uint32_t nwant;   /* GW_WIRE_WANT_ALL, or the number of names in `want` */
    gw_slice_t *want; /* exporting/changing/tables parameters to return */
    uint32_t nparams;
    gw_rfc_field_t *params; /* importing/changing/tables parameters sent */
} gw_wire_call_t;

/** RESULT: returned parameters (one part of them when FLAG_MORE is set). */
typedef struct {
    uint32_t nparams;
    gw_rfc_field_t *params;
} gw_wire_result_t;

/** A decoded or to-be-encoded message. Which union member is valid follows `type`. */
typedef struct {
    uint8_t type; /* gw_wire_type_t */
    uint16_t flags;
    uint32_t seq;
    union {
        gw_wire_open_t open;
        gw_wire_call_t call;
        gw_wire_result_t result;
        gw_rfc_error_t error;
        gw_slice_t describe; /* function name */
        gw_rfc_func_t description;
    } u;
} gw_wire_msg_t;

/**
 * Appends the encoding of `m` (header and body) to `out`. Returns 0, or
 * GW_ETOOBIG when `out`'s cap is reached, GW_ENOMEM, or GW_EINVAL for a
 * value whose type or shape cannot be encoded (the message is then partly
 * written; discard `out`).
 */
int gw_wire_encode(gw_buf_t *out, const gw_wire_msg_t *m);

/**
 * Decodes one message of `len` bytes. Slices in `out` point into `p` (keep
 * it alive) or into `arena`; arrays are allocated from `arena`. Returns 0,
 * or GW_EPROTO with a static reason in `*why` (may be NULL): wrong version,
 * unknown type, truncated, trailing bytes, a limit exceeded, an invalid type
 * code. GW_ENOMEM when the arena fails. On success `*why` is set to NULL;
 * on failure `*out` is partly filled and must not be used. `lim` may be
 * NULL (all defaults); max_depth is additionally capped at 1024 so that
 * recursion stays bounded whatever the configuration says.
 */
int gw_wire_decode(gw_arena_t *arena, const uint8_t *p, size_t len, const gw_wire_limits_t *lim,
                   gw_wire_msg_t *out, const char **why);

/** Name of a message type ("CALL", ...), "?" when unknown. */
const char *gw_wire_type_name(int type);

#endif
