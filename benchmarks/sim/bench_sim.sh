#!/usr/bin/env bash
# Requests/s of cleanlist-sim for status polls over keep-alive plain HTTP, rate limits off,
# server pinned to one core (taskset), measured with wrk (-t1 -c64).
#
# usage: benchmarks/sim/bench_sim.sh [path/to/cleanlist-sim] [seconds=5] [runs=3]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sim="${1:-$here/../../build/src/testing/cleanlist-sim}"
secs="${2:-5}"
runs="${3:-3}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$sim" ] || { echo "cleanlist-sim not found at $sim" >&2; exit 2; }

server_cpu=0
client_cpu=1
pin_server=(); pin_client=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server=(taskset -c "$server_cpu"); pin_client=(taskset -c "$client_cpu")
fi

out="$(mktemp)"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -f "$out"; }
trap cleanup EXIT

bench() { # $1 label, $2.. extra sim flags
  local label="$1"; shift
  "${pin_server[@]}" "$sim" --http --no-rate-limit "$@" >"$out" &
  pid=$!
  for _ in $(seq 50); do [ "$(wc -l <"$out")" -ge 2 ] && break; sleep 0.1; done
  local base key wf
  base="$(sed -n 1p "$out")"; key="$(sed -n 2p "$out")"
  wf="$(curl -sf "$base/enrichment/person" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        -d '{"email":"jane@acme.io","enrichment_type":"full"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["workflow_id"])')"
  local results=()
  for _ in $(seq "$runs"); do
    local rps
    rps="$("${pin_client[@]}" wrk -t1 -c64 -d"${secs}s" -H "Authorization: Bearer $key" "$base/enrichment/status/$wf" |
           awk '/Requests\/sec/ {print $2}')"
    results+=("$rps")
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  local median
  median="$(printf '%s\n' "${results[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  printf '%-34s median %10s req/s   runs: %s\n' "$label" "$median" "${results[*]}"
}

echo "cleanlist-sim status-poll benchmark: wrk -t1 -c64 -d${secs}s, ${runs} runs, server on 1 core${pin_server:+ (taskset)}"
bench "status poll, workflow pending" --pending-ms 3600000
bench "status poll, workflow completed" --pending-ms 0 --running-ms 0
bench "status poll, 2 server threads" --pending-ms 3600000 --threads 2

# Calibration: the same wrk against the cheapest possible epoll server on the same core, to read
# the figures above as a fraction of what this machine's TCP stack allows.
if command -v cc >/dev/null; then
  ceil_bin="$(mktemp)"
  cc -O2 -o "$ceil_bin" "$here/ceiling_server.c"
  port=$((20000 + RANDOM % 20000))
  "${pin_server[@]}" "$ceil_bin" "$port" 480 >/dev/null &
  pid=$!
  sleep 0.3
  results=()
  for _ in $(seq "$runs"); do
    results+=("$("${pin_client[@]}" wrk -t1 -c64 -d"${secs}s" "http://127.0.0.1:$port/x" | awk '/Requests\/sec/ {print $2}')")
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; rm -f "$ceil_bin"
  median="$(printf '%s\n' "${results[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  printf '%-34s median %10s req/s   runs: %s\n' "ceiling: minimal epoll server (C)" "$median" "${results[*]}"
fi
