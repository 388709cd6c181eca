#!/usr/bin/env bash
# The main job: enrich a CSV of contacts with examples/enrich_csv (the engine picks the cheapest
# path in requests, resumes from OUT.journal without paying twice when interrupted and re-run).
#   scripts/run.sh [IN.csv [OUT.csv]]     default: the bundled sample -> out/sample_contacts.enriched.csv
# Without CLEANLIST_API_KEY it runs against the embedded simulator; with it, against the real API
# (CLEANLIST_BASE_URL and CLEANLIST_CA_FILE are honoured).
set -euo pipefail
cd "$(dirname "$0")/.."
in="${1:-examples/data/sample_contacts.csv}"
out="${2:-out/sample_contacts.enriched.csv}"
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLEANLIST_BUILD_TESTS=OFF -DCLEANLIST_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release --target enrich_csv -j "${JOBS:-$(nproc)}"
mkdir -p "$(dirname "$out")"
exec build/release/examples/enrich_csv "$in" "$out"
