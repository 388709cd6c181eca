#!/usr/bin/env bash
# The test command: installs what is missing, then
#   1. builds everything with -Werror and runs every test (ctest),
#   2. installs the library and builds a consumer against it with find_package() and with pkg-config,
#   then generates the API reference with Doxygen (a warning fails the run),
#   3. runs the libFuzzer targets for a bounded time (clang),
#   4. rebuilds the tests with ASan+UBSan (leaks included) and runs them,
#   5. builds the multi-threaded tests (threads, engine, Redis) with TSan and runs them.
# Env: JOBS, CLEANLIST_SKIP_FUZZ=1, CLEANLIST_SKIP_SANITIZERS=1, CLEANLIST_FUZZ_SECONDS (30).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=${JOBS:-$(nproc)}
# Clones at different paths share one compiler cache (paths hashed relative to the checkout).
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
step() { printf '\n==== %s (%s)\n' "$1" "$(date +%T)"; }

step "build (-Werror) and run every test"
cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLEANLIST_WERROR=ON >/dev/null
cmake --build build/ci -j "$jobs"
ctest --test-dir build/ci --output-on-failure --timeout 900

step "install + find_package and pkg-config consumers"
rm -rf build/install
cmake --install build/ci --prefix "$PWD/build/install" >/dev/null
cmake -S tests/package -B build/consumer -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/install" >/dev/null
cmake --build build/consumer -j "$jobs"
build/consumer/consumer
# cleanlist::redis (when the library was built with CLEANLIST_WITH_REDIS): make_redis_budget
# against an unreachable Redis, the documented fallback.
if [ -x build/consumer/consumer_redis ]; then build/consumer/consumer_redis; fi
# The same program built with nothing but pkg-config's flags (and Asio in its default mode).
pc_dir=$(dirname "$(find build/install -name cleanlist.pc | head -1)")
# shellcheck disable=SC2046
c++ -o build/consumer/consumer_pkgconfig tests/package/consumer.cpp $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs cleanlist)
build/consumer/consumer_pkgconfig

step "API reference (Doxygen, warnings fail)"
cmake --build build/ci --target docs

if [ "${CLEANLIST_SKIP_FUZZ:-0}" != 1 ]; then
  step "fuzz targets"
  CLEANLIST_FUZZ_BUILD=build/fuzz CLEANLIST_FUZZ_JOBS="$jobs" tests/fuzz/run_fuzz.sh "${CLEANLIST_FUZZ_SECONDS:-30}"
fi

if [ "${CLEANLIST_SKIP_SANITIZERS:-0}" != 1 ]; then
  step "ASan+UBSan build and tests"
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCLEANLIST_WERROR=ON -DCLEANLIST_SANITIZE=ON \
        -DCLEANLIST_BUILD_EXAMPLES=OFF -DCLEANLIST_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build build/asan -j "$jobs"
  # The chaos suite runs 2,000 items here (10,000 in the optimised build above).
  CLEANLIST_CHAOS_ITEMS=2000 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure --timeout 1200

  step "TSan build of the multi-threaded test"
  cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLEANLIST_WERROR=ON -DCLEANLIST_SANITIZE_THREAD=ON \
        -DCLEANLIST_BUILD_EXAMPLES=OFF -DCLEANLIST_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build build/tsan -j "$jobs" --target threads_tests engine_tests redis_connection redis_budget redis_limiter many_keys_threads
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build/tsan --output-on-failure --timeout 900 \
    -R "^(threads_tests|engine_tests|redis_connection|redis_budget|redis_limiter|many_keys_threads|many_keys_threads_waits|many_keys_contexts|many_keys_contexts_waits)$"
fi
step "all tests passed"
