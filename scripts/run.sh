#!/usr/bin/env bash
# The main job: enrich a CSV of contacts with `cleanlist enrich-csv` (tools/cleanlist; the engine
# picks the cheapest path in requests, resumes from OUT.journal without paying twice when
# interrupted with Ctrl-C and re-run).
#   scripts/run.sh [IN.csv [OUT.csv]]     default: the bundled sample -> out/sample_contacts.enriched.csv
# Without CLEANLIST_API_KEY it runs against the embedded simulator; with it, against the real API
# (CLEANLIST_BASE_URL and CLEANLIST_CA_FILE are honoured). Exit codes: `cleanlist --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
in="${1:-examples/data/sample_contacts.csv}"
out="${2:-out/sample_contacts.enriched.csv}"
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLEANLIST_BUILD_TESTS=OFF -DCLEANLIST_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release --target cleanlist_cli -j "${JOBS:-$(nproc)}"
mkdir -p "$(dirname "$out")"
exec build/release/tools/cleanlist/cleanlist enrich-csv "$in" "$out"
