#!/usr/bin/env bash
# The main job: builds and runs examples/quickstart (embedded simulator unless CLEANLIST_API_KEY is set).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLEANLIST_BUILD_TESTS=OFF -DCLEANLIST_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release --target quickstart -j "${JOBS:-$(nproc)}"
exec build/release/examples/quickstart "$@"
