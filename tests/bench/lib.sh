# Shared by the bench scripts (run.sh, callgrind.sh, perf.sh); source it from the repository root.
# A Release build, a work directory whose processes are all stopped on exit, waiting for ready
# files, and abapsim with the bench user CC0000000001 (password in $W/secret).

bench_build() { # targets...: sets $build
  build=${RFMGW_BENCH_BUILD:-build-bench}
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"$(nproc)" --target "$@" >/dev/null
}

bench_workdir() { # name: sets $W and pids=(); everything in pids is stopped on exit
  W=$(mktemp -d "/tmp/$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if declare -F bench_before_rm >/dev/null; then bench_before_rm; fi
  rm -rf "$W"
}

wait_ready() { # file pid name (its log is $W/name.log)
  for _ in $(seq 1 100); do
    [ -s "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || { echo "FATAL: $3 exited during start-up" >&2; tail -n 20 "$W/$3.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "FATAL: $3 not ready within 10 s" >&2
  exit 1
}

bench_start_sim() { # sets $sim_port; needs $build and $W
  bash scripts/demo-pki.sh "$W/pki" >/dev/null
  printf 'Bench-Passw0rd\n' > "$W/secret"
  local h
  h=$("$build/abapsim" --hash-password --iterations 1000 < "$W/secret")
  cat > "$W/sim.conf" <<EOC
listen = { address = "127.0.0.1"; port = 0; };
tls = { cert = "pki/server.pem"; key = "pki/server.key"; };
hosts = ( { name = "my100000-api.abapsim.test"; client = "100"; } );
users = ( { name = "CC0000000001"; password = "$h"; } );
EOC
  "$build/abapsim" -c "$W/sim.conf" --ready-file "$W/sim.port" --log-level error 2>"$W/sim.log" &
  pids+=($!)
  sim_pid=$!
  wait_ready "$W/sim.port" $! sim
  sim_port=$(cat "$W/sim.port")
}

bench_routes() { # $W/routes.conf: connection-test (STFC_CONNECTION) and structure (STFC_STRUCTURE) on "sim"
  cat > "$W/routes.conf" <<'EOC'
routes = (
  { method = "POST"; path = "/api/v1/connection-test"; destination = "sim"; function = "STFC_CONNECTION"; },
  { method = "POST"; path = "/api/v1/structure"; destination = "sim"; function = "STFC_STRUCTURE"; }
);
EOC
}

bench_body() { # structure ROWS | connection-test → $W/body.json and $url (one of bench_routes)
  if [ "$1" = structure ]; then
    awk -v n="$2" -f tests/bench/structure_body.awk > "$W/body.json"
    url=/api/v1/structure
  else
    printf '{"REQUTEXT":"hello"}' > "$W/body.json"
    url=/api/v1/connection-test
  fi
}

bench_gw_conf() { # file listen-settings destination-settings: rfmgw on loopback, open callers, abapsim as "sim"
  cat > "$1" <<EOC
listen = { address = "127.0.0.1"; port = 0; $2 };
log = { level = "warn"; };
mappings = "routes.conf";
callers = { methods = ( { name = "open"; type = "none"; } ); default = [ "open" ]; };
destinations = ( { name = "sim"; host = "my100000-api.abapsim.test"; port = $sim_port;
  address = "127.0.0.1"; auth = { user = "CC0000000001"; password_file = "secret"; };
  tls = { ca_file = "pki/ca.pem"; }; $3 } );
EOC
}
