/*
 * libFuzzer target: the wire decoder must survive any bytes, within its
 * limits and without leaks; whatever it accepts must re-encode, and the
 * re-encoding must decode to the same message type.
 */
#include "base/base.h"
#include "error/error.h"
#include "wire/wire.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_arena_t a;
    gw_wire_msg_t m;
    gw_wire_limits_t lim = gw_wire_limits_default();
    lim.max_message = 1 << 20;
    lim.max_count = 10000;
    gw_arena_init(&a, 64u << 20);
    if (gw_wire_decode(&a, data, size, &lim, &m, NULL) == 0) {
        gw_buf_t out;
        gw_buf_init(&out, 2u << 20);
        int ret = gw_wire_encode(&out, &m);
        if (ret == 0) {
            gw_wire_msg_t again;
            if (gw_wire_decode(&a, out.data, out.len, &lim, &again, NULL) != 0 ||
                again.type != m.type || again.seq != m.seq)
                abort();
        }
        gw_buf_free(&out);
    }
    gw_arena_free(&a);
    return 0;
}
