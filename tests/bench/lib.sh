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
