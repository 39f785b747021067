/*
 * ws_internal: RFC 6455 framing for the client side of an established
 * connection — the transport reads and writes TLS records itself once the
 * upgrade is done, instead of libwebsockets' byte-at-a-time frame parser
 * and byte-wise masking (docs/performance.md). Pure functions, no I/O.
 */
#ifndef GW_TRANSPORT_WS_INTERNAL_H
#define GW_TRANSPORT_WS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
    GW__WS_CONT = 0x0,
    GW__WS_TEXT = 0x1,
    GW__WS_BINARY = 0x2,
    GW__WS_CLOSE = 0x8,
    GW__WS_PING = 0x9,
    GW__WS_PONG = 0xa,
};

/** Longest frame header: 2 + 8 (length) + 4 (mask). */
#define GW__WS_MAX_HEADER 14

/** Receiver state of one connection; zero it before the first byte. */
typedef struct {
    uint8_t hdr[GW__WS_MAX_HEADER];
    uint8_t hlen;       /* header bytes collected */
    uint8_t opcode;     /* of the frame being read */
    uint8_t fin;        /* of the frame being read */
    uint8_t in_payload; /* the header is complete */
    uint8_t in_message; /* a binary message has begun and awaits continuation frames */
    uint8_t done_due;   /* the frame's payload is complete, its end not reported yet */
    uint64_t remaining; /* payload bytes of the frame still to come */
    uint8_t ctl[125];   /* a control frame's payload */
    uint8_t ctl_len;
} gw__ws_rx_t;

/** What the receiver reports. Each returns 0 to go on, non-zero to stop after this event. */
typedef struct {
    /** Payload bytes of the current binary message (in pieces, in order). */
    int (*data)(void *ud, const uint8_t *p, size_t n);
    /** The current binary message is complete. */
    int (*end)(void *ud);
    /** A complete control frame: GW__WS_CLOSE, GW__WS_PING or GW__WS_PONG. */
    int (*control)(void *ud, int opcode, const uint8_t *p, size_t n);
} gw__ws_rx_cbs_t;

/**
 * Feeds `n` received bytes. Returns how many were consumed — fewer than `n`
 * only when a callback asked to stop (feed the rest later) — or -1 on a
 * protocol violation, with the reason in `*why` (static text): a masked or
 * text frame from the server, reserved bits, a fragmented or oversized
 * control frame, a continuation without a message, a 64-bit length with
 * the top bit set.
 */
ssize_t gw__ws_rx_feed(gw__ws_rx_t *s, const uint8_t *p, size_t n, const gw__ws_rx_cbs_t *cbs,
                       void *ud, const char **why);

/**
 * Writes the header of a final, masked client frame of `len` payload bytes
 * with opcode `op` and masking key `key` to `out` (room for
 * GW__WS_MAX_HEADER bytes). Returns the header's length.
 */
size_t gw__ws_header(uint8_t *out, int op, uint64_t len, const uint8_t key[4]);

/** XORs `n` bytes at `p` with the masking key (starting at the key's first byte), 8 at a time. */
void gw__ws_mask(uint8_t *p, size_t n, const uint8_t key[4]);

#endif
