#!/usr/bin/env bash
# No simulator listening: a quick 502 "backend unreachable", no hang; the gateway recovers once
# the simulator is there.
source "$(dirname "$0")/lib.sh"
make_pki
# a port that nothing listens on: bind, note, release
port=1  # privileged and unused on loopback: connection refused
write_gw_conf "$port"
start_gw
t0=$(date +%s%N)
req POST /api/v1/connection-test '{"REQUTEXT":"hello"}'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_status 502 "simulator not running"
expect_json '.type == "urn:rfmgw:problem:backend-unreachable" and (.detail | test("127.0.0.1"))' "unreachable, with the address"
if [ "$ms" -lt 3000 ]; then ok "answered in $ms ms"; else fail "took $ms ms"; fi
finish
