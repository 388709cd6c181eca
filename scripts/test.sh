#!/usr/bin/env bash
# The test command: installs what is missing, builds everything with -Werror, runs every test,
# then builds the sans-io and client tests again with ASan+UBSan and runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=${JOBS:-$(nproc)}

cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLEANLIST_WERROR=ON
cmake --build build/ci -j "$jobs"
ctest --test-dir build/ci --output-on-failure --timeout 600

# Fuzz targets (libFuzzer, clang), each for a bounded time on the seed corpus.
if [ "${CLEANLIST_SKIP_FUZZ:-0}" != 1 ]; then
  CLEANLIST_FUZZ_BUILD=build/fuzz CLEANLIST_FUZZ_JOBS="$jobs" tests/fuzz/run_fuzz.sh "${CLEANLIST_FUZZ_SECONDS:-30}"
fi

if [ "${CLEANLIST_SKIP_SANITIZERS:-0}" != 1 ]; then
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCLEANLIST_WERROR=ON -DCLEANLIST_SANITIZE=ON \
        -DCLEANLIST_BUILD_EXAMPLES=OFF -DCLEANLIST_BUILD_BENCHMARKS=OFF
  cmake --build build/asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build/asan --output-on-failure --timeout 900 -LE no-sanitizer
fi
echo "all tests passed"
