#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (separate CMake project) and runs each for a bounded
# time on the seed corpus generated from the OpenAPI examples. Fails on any crash, sanitizer
# report, leak, timeout or out-of-memory.
#
# usage: tests/fuzz/run_fuzz.sh [seconds per target, default 30 | --build-only]
# env:   CLEANLIST_FUZZ_BUILD (build dir, default <repo>/build-fuzz)
#        CLEANLIST_API_DIR    (folder holding cleanlist-openapi-v2.json, default <repo>/api)
#        CLEANLIST_FUZZ_JOBS  (ninja -j, default 1)
set -euo pipefail
secs="${1:-30}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${CLEANLIST_FUZZ_BUILD:-$root/build-fuzz}"
api_dir="${CLEANLIST_API_DIR:-$root/api}"

command -v clang++ >/dev/null || { echo "run_fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
CC=clang CXX=clang++ cmake -S "$here" -B "$build" "${gen[@]}" -DCLEANLIST_API_DIR="$api_dir" >/dev/null
cmake --build "$build" -j "${CLEANLIST_FUZZ_JOBS:-1}"
[ "$secs" = --build-only ] && exit 0

# One target per job at once (CLEANLIST_FUZZ_JOBS): each libFuzzer run uses one core.
fuzz_one() {  # fuzz_one TARGET: runs it, prints its figures; non-zero on any finding
  local t=$1 seeds="$build/corpus/$1" work="$build/work/$1" log="$build/fuzz_$1.log"
  mkdir -p "$work" "$build/artifacts/$t"
  # regressions/<target>: inputs that once crashed, replayed every run.
  if ! "$build/fuzz_$t" "$work" "$seeds" "$here/regressions/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" >"$log" 2>&1; then
    echo "fuzz_$t FAILED; last lines of $log:" >&2
    tail -40 "$log" >&2
    return 1
  fi
  echo "== fuzz_$t for ${secs}s (seeds: $(ls "$seeds" | wc -l))"
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE" "$log" || true
}

status=0
pids=()
for t in classify models; do
  if [ "${CLEANLIST_FUZZ_JOBS:-1}" -gt 1 ]; then
    fuzz_one "$t" > "$build/fuzz_$t.summary" 2>&1 &
    pids+=("$!:$t")
  else
    fuzz_one "$t" || status=1
  fi
done
for p in "${pids[@]}"; do
  wait "${p%%:*}" || status=1
  cat "$build/fuzz_${p#*:}.summary"
done
exit $status
