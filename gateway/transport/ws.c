/*
 * ws: RFC 6455 frames of an established client connection (ws_internal.h).
 *
 * The receiver works on whatever a TLS read returned: it collects a
 * header (2 to 14 bytes, possibly split across reads), then hands the
 * payload on in the largest pieces the read allows — a 1.8 MB result costs
 * a few memcpy calls, not a state machine step per byte. The sender masks
 * eight bytes at a time.
 */
#include "transport/ws_internal.h"

#include <string.h>

/* Frame header complete: checks it and sets up the payload. Returns NULL or the violation. */
static const char *header_done(gw__ws_rx_t *s)
{
    uint8_t b0 = s->hdr[0], b1 = s->hdr[1];
    s->fin = b0 >> 7;
    s->opcode = b0 & 0x0f;
    uint64_t len = b1 & 0x7f;
    if (len == 126)
        len = ((uint64_t)s->hdr[2] << 8) | s->hdr[3];
    else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | s->hdr[2 + i];
        if (len >> 63)
            return "a frame length with the top bit set";
    }
    if (b0 & 0x70)
        return "reserved bits set in a frame (no extension was negotiated)";
    if (b1 & 0x80)
        return "a masked frame from the server";
    switch (s->opcode) {
    case GW__WS_BINARY:
        if (s->in_message)
            return "a new message before the last one ended";
        s->in_message = 1;
        break;
    case GW__WS_CONT:
        if (!s->in_message)
            return "a continuation frame without a message";
        break;
    case GW__WS_TEXT:
        return "a text message from the backend";
    case GW__WS_CLOSE:
    case GW__WS_PING:
    case GW__WS_PONG:
        if (!s->fin || len > sizeof(s->ctl))
            return "a fragmented or oversized control frame";
        s->ctl_len = 0;
        break;
    default:
        return "an unknown frame opcode";
    }
    s->remaining = len;
    s->in_payload = 1;
    return NULL;
}

/* The frame's payload is complete: reports the message end or the control frame. */
static int frame_done(gw__ws_rx_t *s, const gw__ws_rx_cbs_t *cbs, void *ud)
{
    s->in_payload = 0;
    s->hlen = 0;
    if (s->opcode >= GW__WS_CLOSE)
        return cbs->control(ud, s->opcode, s->ctl, s->ctl_len);
    if (s->fin) {
        s->in_message = 0;
        return cbs->end(ud);
    }
    return 0;
}

/* Header bytes needed in total, once the first two are known. */
static size_t header_size(const gw__ws_rx_t *s)
{
    uint8_t l = s->hdr[1] & 0x7f;
    return 2 + (l == 126 ? 2 : l == 127 ? 8 : 0) + (s->hdr[1] & 0x80 ? 4 : 0);
}

ssize_t gw__ws_rx_feed(gw__ws_rx_t *s, const uint8_t *p, size_t n, const gw__ws_rx_cbs_t *cbs,
                       void *ud, const char **why)
{
    size_t i = 0;
    if (s->done_due) { /* a data callback stopped on the frame's last piece */
        s->done_due = 0;
        if (frame_done(s, cbs, ud))
            return 0;
    }
    while (i < n) {
        if (!s->in_payload) {
            size_t need = s->hlen < 2 ? 2 : header_size(s);
            while (s->hlen < need && i < n) {
                s->hdr[s->hlen++] = p[i++];
                if (s->hlen == 2)
                    need = header_size(s);
            }
            if (s->hlen < need)
                break; /* the rest of the header comes with the next read */
            if ((*why = header_done(s)) != NULL)
                return -1;
            if (s->remaining == 0 && frame_done(s, cbs, ud))
                return (ssize_t)i;
            continue;
        }
        size_t k = n - i < s->remaining ? n - i : (size_t)s->remaining;
        int stop = 0;
        if (s->opcode >= GW__WS_CLOSE) {
            memcpy(s->ctl + s->ctl_len, p + i, k);
            s->ctl_len = (uint8_t)(s->ctl_len + k);
        } else {
            stop = cbs->data(ud, p + i, k);
        }
        i += k;
        s->remaining -= k;
        if (stop) {
            s->done_due = s->remaining == 0; /* reported on the next feed */
            return (ssize_t)i;
        }
        if (s->remaining == 0 && frame_done(s, cbs, ud))
            return (ssize_t)i;
    }
    return (ssize_t)i;
}

size_t gw__ws_header(uint8_t *out, int op, uint64_t len, const uint8_t key[4])
{
    size_t h = 0;
    out[h++] = (uint8_t)(0x80 | (op & 0x0f));
    if (len < 126) {
        out[h++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (uint8_t)(len >> (8 * i));
    }
    memcpy(out + h, key, 4);
    return h + 4;
}

void gw__ws_mask(uint8_t *p, size_t n, const uint8_t key[4])
{
    uint64_t k8;
    uint8_t kk[8];
    memcpy(kk, key, 4);
    memcpy(kk + 4, key, 4);
    memcpy(&k8, kk, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w ^= k8;
        memcpy(p + i, &w, 8);
    }
    for (; i < n; i++)
        p[i] ^= key[i & 3];
}
