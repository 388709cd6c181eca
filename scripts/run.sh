#!/usr/bin/env bash
# The main job: enrich a CSV of contacts with `cleanlist enrich-csv` (tools/cleanlist; the engine
# picks the cheapest path in requests, resumes from OUT.journal without paying twice when
# interrupted with Ctrl-C and re-run).
#   scripts/run.sh [IN.csv [OUT.csv]]     default: the bundled sample -> out/sample_contacts.enriched.csv
# With CLEANLIST_API_KEY (or CLEANLIST_SIM=1 already set) the command runs as configured, against
# the real API (CLEANLIST_BASE_URL and CLEANLIST_CA_FILE are honoured). Without a key this script
# asks for the embedded simulator (--sim) and says so: its results are invented. The command
# itself never falls back to the simulator. Exit codes: `cleanlist --help`.
# Quiet: the package manager's and the build's output go to build/logs/ (shown if a step fails),
# so on a machine that has the packages only the job's own lines are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
in="${1:-examples/data/sample_contacts.csv}"
out="${2:-out/sample_contacts.enriched.csv}"
logs=build/logs
mkdir -p "$logs"
# quiet LOG CMD...: runs CMD with its output in LOG; on failure prints the log's tail and stops.
quiet() {
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    echo "run.sh: '$*' failed; the end of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}
quiet "$logs/install-deps.log" scripts/install-deps.sh run
if grep -q '^installing:' "$logs/install-deps.log"; then
  echo "run.sh: $(grep '^installing:' "$logs/install-deps.log") (log: $logs/install-deps.log)" >&2
fi
quiet "$logs/configure.log" cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCLEANLIST_BUILD_TESTS=OFF -DCLEANLIST_BUILD_EXAMPLES=OFF -DCLEANLIST_BUILD_BENCHMARKS=OFF
if ! ninja -C build/release -n cleanlist_cli 2>/dev/null | grep -q 'no work to do'; then
  echo "run.sh: building the cleanlist command (the first time takes a few minutes; log: $logs/build.log)" >&2
fi
quiet "$logs/build.log" cmake --build build/release --target cleanlist_cli -j "${JOBS:-$(nproc)}"
mkdir -p "$(dirname "$out")"
sim=()
if [ -z "${CLEANLIST_API_KEY:-}" ] && [ "${CLEANLIST_SIM:-0}" != 1 ]; then
  echo "run.sh: CLEANLIST_API_KEY is not set: running on the embedded simulator (--sim), whose results are invented" >&2
  sim=(--sim)
fi
exec build/release/tools/cleanlist/cleanlist "${sim[@]}" enrich-csv "$in" "$out"
