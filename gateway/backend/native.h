/*
 * native backend: rfmgw's WebSocket RFC protocol v1 over the transport.
 * Internal to the backend module; everything else uses backend.h.
 */
#ifndef GW_BACKEND_NATIVE_H
#define GW_BACKEND_NATIVE_H

#include "backend/backend.h"

extern const gw_backend_ops_t gw_backend_native;

#endif
