#!/usr/bin/env bash
# Runs every benchmark several times and prints a table of medians.
#   benchmarks/run_all.sh [runs=3]
# Env: N (default 10000) enrichments, CONC (64) concurrency, WAIT_N (100000) waiting workflows,
#      STATUS_N (250000) GET status requests of ours (wrk runs 5 s),
#      BUDGET_N (60) contacts under the budget, NAIVE_N (BUDGET_N) for the docs' naive loop,
#      KEYS_N (10000) keys (one client each) on one transport, THREAD_KEYS (2000) keys of the
#      1 vs 2 threads run, BUILD_DIR (build/bench), SKIP_BUILD=1 to reuse an existing build.
#      HTTPS: HTTPS_N (N) enrichments and HTTPS_STATUS_N (STATUS_N) GET status over the
#      simulator's TLS; CHURN_K (10): a new connection every K requests (ours with and without
#      TLS session resumption, the peers by asking "Connection: close" every K-th request);
#      HS_N (5000) connections of the handshake run (one GET each; wrk: -H "Connection: close").
#      CSV_N (20000) contacts of `cleanlist enrich-csv`, CSV_WINDOW_MS (6000) its simulator's rate
#      window (60000 = the real one; 30/key, 60/org per window either way), SKIP_CSV=1 to skip it.
#      ONLY="https keys ...": run only these sections (http https waiting budget keys threads csv naive).
# Builds Release in build/bench. The simulator runs in its own process pinned to the last core,
# every client (ours, aiohttp, Node fetch, wrk) on core 0 (taskset), one thread each.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
runs="${1:-3}"
N="${N:-10000}"; CONC="${CONC:-64}"; WAIT_N="${WAIT_N:-100000}"
STATUS_N="${STATUS_N:-250000}"   # GET status requests: about as long as wrk's 5 s
BUDGET_N="${BUDGET_N:-60}"; NAIVE_N="${NAIVE_N:-$BUDGET_N}"
KEYS_N="${KEYS_N:-10000}"; THREAD_KEYS="${THREAD_KEYS:-2000}"
CSV_N="${CSV_N:-20000}"; CSV_WINDOW_MS="${CSV_WINDOW_MS:-6000}"
HTTPS_N="${HTTPS_N:-$N}"; HTTPS_STATUS_N="${HTTPS_STATUS_N:-$STATUS_N}"; CHURN_K="${CHURN_K:-10}"; HS_N="${HS_N:-5000}"
build="${BUILD_DIR:-$root/build/bench}"
py=/usr/bin/python3   # Debian's python3 with python3-aiohttp

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLEANLIST_BUILD_TESTS=OFF \
        -DCLEANLIST_BUILD_EXAMPLES=OFF >/dev/null
  ninja -C "$build" -j"${JOBS:-1}" bench_parallel_enrich bench_many_keys bench_enrich_csv cleanlist_cli cleanlist-sim >/dev/null
fi
bench="$build/benchmarks/bench_parallel_enrich"
bench_mk="$build/benchmarks/bench_many_keys"
bench_csv="$build/benchmarks/bench_enrich_csv"
cli="$build/tools/cleanlist/cleanlist"
sim="$build/src/testing/cleanlist-sim"

ncpu=$(nproc)
pin_client=(); pin_sim=()
if command -v taskset >/dev/null && [ "$ncpu" -ge 2 ]; then
  pin_client=(taskset -c 0); pin_sim=(taskset -c $((ncpu - 1)))
fi

tmp="$(mktemp -d)"
sim_pid=""
stop_sim() { if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; sim_pid=""; fi; }
trap 'stop_sim; rm -rf "$tmp"' EXIT
cat >"$tmp/accounts.json" <<'JSON'
{"orgs":[{"org_id":"org_bench","name":"Bench","tier":"enterprise","credits":1000000000000,
 "users":[{"user_id":"u_bench","email":"bench@bench.example","name":"Bench",
           "keys":["clapi_bench_key_000000000000000000000001"]}]}]}
JSON

start_sim() {  # extra flags... (env ACCOUNTS: another accounts file; TLS=1: HTTPS, its CA in $tmp/ca.pem)
  stop_sim
  local proto=(--http)
  [ "${TLS:-0}" = 1 ] && proto=(--ca-out "$tmp/ca.pem" --admin)
  "${pin_sim[@]}" "$sim" "${proto[@]}" --accounts "${ACCOUNTS:-$tmp/accounts.json}" "$@" >"$tmp/sim.out" 2>"$tmp/sim.err" &
  sim_pid=$!
  # Up to 60 s: with 10,000 accounts on a loaded machine it took over 5 s, and a client
  # started without CLEANLIST_BASE_URL fails every request (connection refused) for minutes.
  for _ in $(seq 1200); do [ "$(wc -l <"$tmp/sim.out")" -ge 2 ] && break; sleep 0.05; done
  [ "$(wc -l <"$tmp/sim.out")" -ge 2 ] || { log "the simulator did not start: $(tail -3 "$tmp/sim.err")"; exit 1; }
  export CLEANLIST_BASE_URL="$(sed -n 1p "$tmp/sim.out")" CLEANLIST_API_KEY="$(sed -n 2p "$tmp/sim.out")"
  if [ "${TLS:-0}" = 1 ]; then export CLEANLIST_CA_FILE="$tmp/ca.pem"; else unset CLEANLIST_CA_FILE; fi
}

# The simulator's TLS handshake counters "full resumed" (TLS runs: --admin).
sim_tls() {
  $py - <<'PY'
import json, os, ssl, urllib.parse, urllib.request
u = urllib.parse.urlsplit(os.environ["CLEANLIST_BASE_URL"])
ctx = ssl.create_default_context(cafile=os.environ["CLEANLIST_CA_FILE"])
st = json.load(urllib.request.urlopen(f"{u.scheme}://{u.netloc}/__admin/stats", context=ctx))
print(st["tls_full_handshakes"], st["tls_resumed_handshakes"])
PY
}
# Runs "$@" (one RESULT line), appends the simulator's handshakes during it and sets the mode.
#   with_tls MODE cmd...
with_tls() {
  local mode="$1"; shift
  local before after out
  before=$(sim_tls)
  out=$("$@" | grep '^RESULT' || true)
  after=$(sim_tls)
  [ -n "$out" ] || return 0
  set -- $before $after
  # The second probe's own connection (a full handshake) is counted in "after": not the run's.
  echo "$out srv_full=$(($3 - $1 - 1)) srv_resumed=$(($4 - $2))" | sed -E "s/ mode=[a-z_]+ / mode=$mode /"
}
wrk_result() {  # wrk output on stdin -> RESULT fields rps, p50_ms, p99_ms
  local out rps p50 p99
  out=$(cat)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "rps=${rps%.*} p50_ms=$(to_ms "$p50") p99_ms=$(to_ms "$p99")"
}
wrk_run() {  # NAME wrk-args... -> a RESULT line (mode x: set by the caller)
  local name="$1"; shift
  echo "RESULT name=$name mode=x $("${pin_client[@]}" wrk "$@" | wrk_result)"
}
to_ms() { case "$1" in *us) echo "${1%us}" | awk '{print $1/1000}';; *ms) echo "${1%ms}";; *s) echo "${1%s}" | awk '{print $1*1000}';; *) echo 0;; esac; }
start_workflow() {  # prints the id of a new workflow (for wrk's GET status)
  $py - <<'PY'
import json, os, ssl, urllib.request
ctx = ssl.create_default_context(cafile=os.environ.get("CLEANLIST_CA_FILE")) if os.environ.get("CLEANLIST_CA_FILE") else None
req = urllib.request.Request(os.environ["CLEANLIST_BASE_URL"] + "/enrichment/person", method="POST",
    data=b'{"email":"wrk@bench.example"}', headers={"Authorization": "Bearer " + os.environ["CLEANLIST_API_KEY"],
    "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req, context=ctx))["workflow_id"])
PY
}

want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
results="$tmp/results.txt"; : >"$results"
log() { echo "$*" >&2; }
record() { tee -a "$results" | grep RESULT >&2 || true; }

have_aiohttp=1; $py -c 'import aiohttp' 2>/dev/null || { have_aiohttp=0; log "python3-aiohttp missing (scripts/install-deps.sh)"; }
have_node=1; command -v node >/dev/null || { have_node=0; log "node missing"; }
have_wrk=1; command -v wrk >/dev/null || { have_wrk=0; log "wrk missing"; }

for r in $(seq "$runs"); do
  if want http; then
  log "== run $r/$runs: CPU-bound (N=$N, concurrency $CONC, limits off)"
  start_sim --no-rate-limit --pending-ms 0 --running-ms 0
  "${pin_client[@]}" "$bench" --mode enrich --n "$N" --concurrency "$CONC" --tag "c$r" | record
  "${pin_client[@]}" "$bench" --mode status --n "$STATUS_N" --concurrency "$CONC" --tag "s$r" | record
  [ $have_aiohttp = 1 ] && "${pin_client[@]}" $py "$here/peers/bench_aiohttp.py" "$N" "$CONC" "py$r" | record
  [ $have_node = 1 ] && "${pin_client[@]}" node "$here/peers/bench_fetch.mjs" "$N" "$CONC" "js$r" | record
  if [ $have_wrk = 1 ]; then
    wf=$(start_workflow)
    wrk_run wrk -t1 -c"$CONC" -d5s --latency \
      -H "Authorization: Bearer $CLEANLIST_API_KEY" "$CLEANLIST_BASE_URL/enrichment/status/$wf" | sed 's/ mode=x / mode=wrk /' | record
  fi
  stop_sim
  fi

  if want https; then
  # The same over the simulator's TLS (peers verify its CA; wrk does not verify), then
  # connection churn: a new connection (TLS handshake) every CHURN_K requests, and every request (handshakes).
  log "== run $r/$runs: HTTPS (N=$HTTPS_N, concurrency $CONC), churn K=$CHURN_K, handshakes (HS_N=$HS_N)"
  TLS=1 start_sim --no-rate-limit --pending-ms 0 --running-ms 0
  with_tls https_enrich "${pin_client[@]}" "$bench" --mode enrich --n "$HTTPS_N" --concurrency "$CONC" --tag "hc$r" | record
  with_tls https_status "${pin_client[@]}" "$bench" --mode status --n "$HTTPS_STATUS_N" --concurrency "$CONC" --tag "hs$r" | record
  [ $have_aiohttp = 1 ] && with_tls https_enrich "${pin_client[@]}" $py "$here/peers/bench_aiohttp.py" "$HTTPS_N" "$CONC" "hpy$r" | record
  [ $have_node = 1 ] && NODE_EXTRA_CA_CERTS="$tmp/ca.pem" with_tls https_enrich "${pin_client[@]}" node "$here/peers/bench_fetch.mjs" "$HTTPS_N" "$CONC" "hjs$r" | record
  if [ $have_wrk = 1 ]; then
    wf=$(start_workflow)
    with_tls https_wrk wrk_run wrk -t1 -c"$CONC" -d5s --latency \
      -H "Authorization: Bearer $CLEANLIST_API_KEY" "$CLEANLIST_BASE_URL/enrichment/status/$wf" | record
  fi
  with_tls churn_enrich "${pin_client[@]}" "$bench" --mode enrich --n "$HTTPS_N" --concurrency "$CONC" --tag "kr$r" \
    --max-requests-per-connection "$CHURN_K" --name ours | record
  with_tls churn_enrich "${pin_client[@]}" "$bench" --mode enrich --n "$HTTPS_N" --concurrency "$CONC" --tag "kf$r" \
    --max-requests-per-connection "$CHURN_K" --no-resumption --name ours_full | record
  [ $have_aiohttp = 1 ] && with_tls churn_enrich "${pin_client[@]}" $py "$here/peers/bench_aiohttp.py" "$HTTPS_N" "$CONC" "kpy$r" "$CHURN_K" | record
  [ $have_node = 1 ] && NODE_EXTRA_CA_CERTS="$tmp/ca.pem" with_tls churn_enrich "${pin_client[@]}" node "$here/peers/bench_fetch.mjs" "$HTTPS_N" "$CONC" "kjs$r" "$CHURN_K" | record
  with_tls handshakes "${pin_client[@]}" "$bench" --mode status --n "$HS_N" --concurrency "$CONC" --tag "hr$r" \
    --max-requests-per-connection 1 --name ours_resumed | record
  with_tls handshakes "${pin_client[@]}" "$bench" --mode status --n "$HS_N" --concurrency "$CONC" --tag "hf$r" \
    --max-requests-per-connection 1 --no-resumption --name ours_full | record
  if [ $have_wrk = 1 ]; then  # wrk: K=1 only (a new connection per request), no session cache of its own
    wf=$(start_workflow)
    with_tls handshakes wrk_run wrk_close -t1 -c"$CONC" -d3s --latency -H "Connection: close" \
      -H "Authorization: Bearer $CLEANLIST_API_KEY" "$CLEANLIST_BASE_URL/enrichment/status/$wf" | record
  fi
  stop_sim
  fi

  if want waiting; then
  log "== run $r/$runs: $WAIT_N waiting workflows on one thread"
  start_sim --no-rate-limit --pending-ms 36000000 --running-ms 36000000
  "${pin_client[@]}" "$bench" --mode waiting --n "$WAIT_N" --concurrency "$CONC" --tag "w$r" 2>/dev/null | record || true
  stop_sim
  fi

  if want budget; then
  log "== run $r/$runs: budget-bound (30/key, 60/org per 2 s window; workflows 1.2 s; connections ${BUDGET_CONNECTIONS:-1 4 64})"
  for conns in ${BUDGET_CONNECTIONS:-1 4 64}; do
    for path in person bulk; do
      start_sim --window-ms 2000 --key-limit 30 --org-limit 60 --pending-ms 200 --running-ms 1000
      "${pin_client[@]}" "$bench" --mode budget --path $path --n "$BUDGET_N" --window-ms 2000 --workflow-ms 1200 \
        --connections "$conns" --tag "b$path$conns-$r" | sed "s/^RESULT name=$path /RESULT name=$path-c$conns /" | record || true
      stop_sim
    done
  done
  fi

  if want keys || want threads; then
  "$bench_mk" --mode accounts --keys "$KEYS_N" >"$tmp/keys.json"
  fi
  if want keys; then
  log "== run $r/$runs: many keys ($KEYS_N idle clients on one transport; then every key spends its budget)"
  "${pin_client[@]}" "$bench_mk" --mode idle --keys "$KEYS_N" | record
  for k in 1 100 "$KEYS_N"; do
    ACCOUNTS="$tmp/keys.json" start_sim --window-ms 2000 --key-limit 30 --org-limit 60 --pending-ms 0 --running-ms 0
    "${pin_client[@]}" "$bench_mk" --mode spend --keys "$k" --window-ms 2000 --tag "k$k-$r" \
      | sed "s/^RESULT name=many_keys /RESULT name=keys$k /" | record || true
    stop_sim
  done
  fi

  if want threads; then
  # The two documented models, 1 then 2 threads back to back: one io_context run by 1, then 2
  # threads (threads1, threads2), then one io_context per thread (contexts2: 2 io_contexts, each
  # with its own transport, one thread each; with 1 thread it is threads1). Pinned to core 0
  # like every client here (the two threads share it), then not pinned (the second thread may
  # take the simulator's core).
  log "== run $r/$runs: 1 vs 2 threads ($THREAD_KEYS keys on one transport, simulator limits off), and 2 io_contexts"
  ACCOUNTS="$tmp/keys.json" start_sim --no-rate-limit --pending-ms 0 --running-ms 0
  for pin in pinned unpinned; do
    pre=("${pin_client[@]}"); tmode=threads
    [ $pin = unpinned ] && pre=() && tmode=threads_unpinned
    for run in "threads1 --threads 1" "threads2 --threads 2" "contexts2 --contexts 2"; do
      read -r tname opt val <<<"$run"
      "${pre[@]}" "$bench_mk" --mode spend --keys "$THREAD_KEYS" "$opt" "$val" --tag "$tname$pin-$r" \
        | sed "s/^RESULT name=many_keys mode=spend /RESULT name=$tname mode=$tmode /" | record || true
    done
  done
  stop_sim
  fi

  if want csv && [ "${SKIP_CSV:-0}" != 1 ]; then
    # `cleanlist enrich-csv` on CSV_N contacts: the whole file in one bulk run (default) vs one
    # run per 1,000 contacts (--chunk 1000), each against a fresh simulator at 30/key, 60/org.
    log "== run $r/$runs: enrich-csv, $CSV_N contacts, 30/key 60/org per ${CSV_WINDOW_MS} ms window: one run vs --chunk 1000"
    for chunk in 0 1000; do
      start_sim --window-ms "$CSV_WINDOW_MS" --key-limit 30 --org-limit 60 --pending-ms 200 --running-ms 1000
      "${pin_client[@]}" "$bench_csv" --cli "$cli" --n "$CSV_N" --chunk "$chunk" --window-ms "$CSV_WINDOW_MS" \
        --work "$tmp" --tag "csv$chunk-$r" | record || true
      stop_sim
    done
  fi
done
if want naive; then
# The docs' naive loop is slow by nature (one person at a time): run once.
log "== the docs' naive loop (once, NAIVE_N=$NAIVE_N)"
start_sim --window-ms 2000 --key-limit 30 --org-limit 60 --pending-ms 200 --running-ms 1000
"${pin_client[@]}" "$bench" --mode budget --path naive --n "$NAIVE_N" --window-ms 2000 --workflow-ms 1200 --tag naive | record || true
stop_sim
fi

echo
echo "machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
$py "$here/report.py" <"$results"
