#!/usr/bin/env bash
# The quick start: installs what is missing, builds, creates a throw-away demo PKI, and runs
# abapsim (the ABAP environment simulator) and rfmgw on loopback with conf/demo.conf.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build RelWithDebInfo -DRFMGW_TESTS=OFF >/dev/null
bash scripts/demo-pki.sh run/demo-pki >/dev/null
# The API explorer's files (Swagger UI, from npm) for GET /docs; rfmgw runs without them.
if ! command -v npm >/dev/null; then scripts/deps.sh nodejs npm || true; fi
if [ ! ui/node_modules/.package-lock.json -nt ui/package-lock.json ]; then
  (cd ui && npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1) \
    || echo "warning: npm could not install Swagger UI into ui/ (offline?); /docs will say how"
fi
# The demo communication user's password (its hash is in conf/abapsim.conf). Demo only.
[ -f run/demo-pki/demo-password ] || { umask 077; echo 'Demo-Passw0rd' > run/demo-pki/demo-password; }

rm -f run/abapsim.port run/rfmgw.port
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT
trap 'echo; echo "stopping"; exit 0' INT TERM

wait_for() { # file what pid
  for _ in $(seq 1 100); do
    [ -s "$1" ] && return 0
    kill -0 "$3" 2>/dev/null || { echo "$2 failed to start (see above)"; exit 1; }
    sleep 0.1
  done
  echo "$2 did not start within 10 s"; exit 1
}

build/abapsim -c conf/abapsim.conf --ready-file run/abapsim.port &
pids+=($!)
wait_for run/abapsim.port abapsim "${pids[0]}"
build/rfmgw -c conf/demo.conf --ready-file run/rfmgw.port &
pids+=($!)
wait_for run/rfmgw.port rfmgw "${pids[1]}"
port=$(cat run/rfmgw.port)
cat <<EOT

rfmgw is listening on http://127.0.0.1:$port, in front of abapsim on 127.0.0.1:$(cat run/abapsim.port).
Try, from another terminal:

  curl -s --json '{"REQUTEXT":"hello"}' localhost:$port/api/v1/connection-test
  curl -s 'localhost:$port/api/v1/flights?airline=LH&max=3'
  curl -s localhost:$port/api/v1/flights/LH/0400/2026-02-05
  curl -si --json '{"airline":"LH","connection":"0400","date":"2026-02-05","customer":"42"}' localhost:$port/api/v1/bookings
  curl -s 'localhost:$port/api/v1/tables/SCARR?count=3'
  curl -s localhost:$port/api/v1/functions/STFC_CONNECTION
  curl -s localhost:$port/readyz
  open http://localhost:$port/docs in a browser: the API explorer (try connection-test)
  curl -s --json '{"REQUTEXT":' localhost:$port/api/v1/connection-test      # malformed JSON → 400
  curl -s --json '{"NOPE":1}' localhost:$port/api/v1/connection-test        # unknown parameter → 400
  curl -s localhost:$port/api/v1/nothing-here                               # no route → 404

Ctrl-C stops both.
EOT
wait
