#!/usr/bin/env bash
# The test command: installs what is missing, then
#   1. builds everything once with ASan+UBSan (-O1, -Werror) and runs every test there (ctest -j),
#   2. builds the libraries and commands in Release, packages them (cpack -G DEB), unpacks the
#      packages into a scratch root, builds and runs the consumer matrix against them
#      (find_package and pkg-config), and generates the API reference with Doxygen
#      (a warning fails the run),
#   3. builds the libraries shared (BUILD_SHARED_LIBS=ON) and runs the core and io tests on them,
#   4. builds the multi-threaded tests with TSan and runs them,
#   5. runs the libFuzzer targets for a bounded time (clang),
# and prints how long each phase took, and the slowest files to compile and tests to run.
#
#   scripts/test.sh            the whole suite (the README's test command, and CI's)
#   scripts/test.sh --quick    core and io tests, no sanitizers (build/quick): the edit-test loop
#
# Env: JOBS (build jobs, default nproc), CTEST_JOBS (tests at once, default 2 x JOBS: most tests
# wait on sockets and timers), CLEANLIST_SKIP_FUZZ=1, CLEANLIST_SKIP_TSAN=1,
# CLEANLIST_FUZZ_SECONDS (30).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
esac

jobs=${JOBS:-$(nproc)}
ctest_jobs=${CTEST_JOBS:-$((2 * jobs))}
# Clones at different paths share one compiler cache (paths hashed relative to the checkout).
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

phases=()
phase_start=0
run_start=$(date +%s)
phase() {  # phase NAME: ends the running phase, starts NAME
  local now; now=$(date +%s)
  if [ ${#phases[@]} -gt 0 ]; then phases[-1]="${phases[-1]}|$((now - phase_start))"; fi
  [ -n "${1:-}" ] || return 0
  phases+=("$1")
  phase_start=$now
  printf '\n==== %s (%s)\n' "$1" "$(date +%T)"
}
# A build started under `nice -n 19` while tests run: it takes only the CPU they leave idle
# (most tests wait on sockets and timers), so the tests' timing is not disturbed.
bg_pids=()
trap 'for e in "${bg_pids[@]}"; do kill "${e#*:}" 2>/dev/null || true; done' EXIT
in_background() {  # in_background NAME COMMAND...: output in build/logs/NAME.log
  mkdir -p build/logs
  nice -n 19 "${@:2}" > "build/logs/$1.log" 2>&1 &
  bg_pids+=("$1:$!")
}
await() {  # await NAME: waits for it; its log is printed, and a failure stops the script
  local entry pid=""
  for entry in "${bg_pids[@]}"; do [ "${entry%%:*}" = "$1" ] && pid=${entry#*:}; done
  local status=0
  wait "$pid" || status=$?
  tail -n 5 "build/logs/$1.log"
  if [ "$status" != 0 ]; then
    echo "$1 failed (build/logs/$1.log):" >&2
    tail -n 60 "build/logs/$1.log" >&2
    exit "$status"
  fi
}
report() {
  phase ""
  local total=0 apt=0
  printf '\n==== phase times\n'
  for p in "${phases[@]}"; do
    local name=${p%|*} secs=${p##*|}
    printf '  %-52s %5d s\n' "$name" "$secs"
    total=$((total + secs))
    case "$name" in apt*) apt=$secs ;; esac
  done
  printf '  %-52s %5d s (%dm%02ds; apt excluded: %dm%02ds)\n' total "$total" $((total / 60)) $((total % 60)) \
    $(((total - apt) / 60)) $(((total - apt) % 60))
  for tree in "$@"; do
    [ -d "$tree" ] && python3 scripts/slowest.py "$tree" 15
  done
}

phase "apt: missing packages"
scripts/install-deps.sh

if [ "$quick" = 1 ]; then
  phase "quick: configure and build core and io tests"
  cmake -S . -B build/quick -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
        -DCLEANLIST_APP_COMPILE_OPTIONS=-O0 -DCLEANLIST_WERROR=ON -DCLEANLIST_BUILD_EXAMPLES=OFF \
        -DCLEANLIST_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build build/quick -j "$jobs" --target core_tests core_poll_scheduler_tests core_memory_tests io_tests io_many_keys_tests cleanlist-sim
  phase "quick: ctest -L 'core|io' -j $ctest_jobs"
  ctest --test-dir build/quick --output-on-failure -j "$ctest_jobs" -L '^(core|io)$'
  report build/quick
  exit 0
fi

# Every test once, in one tree: ASan+UBSan with leaks, the libraries and the simulator at -O1 so
# that the chaos suite keeps its full size (10,000 enrichments), the tests, the command and the
# examples at -O0 (half the compile time of -O1); assertions stay on.
phase "asan: configure and build everything"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
      -DCLEANLIST_APP_COMPILE_OPTIONS=-O0 -DCLEANLIST_WERROR=ON -DCLEANLIST_SANITIZE=ON >/dev/null
cmake --build build/asan -j "$jobs"
# A small Release tree (-O2, as distributions build) for what ships and is checked here: the
# libraries, cleanlist-sim and the command (tested in the ASan tree), packaged below. Built on
# the CPU the ASan tests leave idle.
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DCLEANLIST_WERROR=ON -DCLEANLIST_BUILD_TESTS=OFF -DCLEANLIST_BUILD_EXAMPLES=OFF \
      -DCLEANLIST_BUILD_BENCHMARKS=OFF >/dev/null
phase "asan: every test (ctest -j $ctest_jobs; the Release build niced beside)"
in_background release-build cmake --build build/release -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j "$ctest_jobs"

phase "release: the rest of the library build"
await release-build

# What users install: the Debian packages, unpacked into a scratch root; the consumer matrix
# (find_package and pkg-config, each Asio configuration, ASan+UBSan) is built against it.
phase "release: Debian packages (cpack) + consumer matrix on the unpacked packages"
rm -rf build/packages build/debroot
cpack --config build/release/CPackConfig.cmake -G DEB -B "$PWD/build/packages" >/dev/null
for deb in build/packages/*.deb; do
  echo "-- $(basename "$deb"): $(dpkg-deb -f "$deb" Depends)"
  dpkg-deb -x "$deb" build/debroot
done
build/debroot/usr/bin/cleanlist --version
build/debroot/usr/bin/cleanlist-sim --help >/dev/null
scripts/check-consumers.sh "$PWD/build/debroot/usr" build/consumer

phase "release: API reference (Doxygen, warnings fail)"
cmake --build build/release --target docs

# BUILD_SHARED_LIBS=ON: shared libraries (SONAME, exports in cmake/cleanlist-exports.map), with
# the core and io tests linked against them.
phase "shared: build the shared libraries and the core and io tests"
cmake -S . -B build/shared -G Ninja -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g0" -DCLEANLIST_APP_COMPILE_OPTIONS=-O0 -DCLEANLIST_WERROR=ON \
      -DCLEANLIST_BUILD_TOOLS=OFF -DCLEANLIST_BUILD_EXAMPLES=OFF -DCLEANLIST_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/shared -j "$jobs" --target core_tests core_poll_scheduler_tests core_memory_tests io_tests \
      io_many_keys_tests cleanlist-sim
readelf -d build/shared/src/io/libcleanlist.so | grep SONAME
phase "shared: core and io tests (ctest -j $ctest_jobs)"
ctest --test-dir build/shared --output-on-failure -j "$ctest_jobs" -L '^(core|io)$'

if [ "${CLEANLIST_SKIP_TSAN:-0}" != 1 ]; then
  phase "tsan: configure and build the multi-threaded tests"
  cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
        -DCLEANLIST_APP_COMPILE_OPTIONS=-O0 -DCLEANLIST_WERROR=ON -DCLEANLIST_SANITIZE_THREAD=ON -DCLEANLIST_BUILD_TOOLS=OFF \
        -DCLEANLIST_BUILD_EXAMPLES=OFF -DCLEANLIST_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build build/tsan -j "$jobs"
fi
fuzz=0
[ "${CLEANLIST_SKIP_FUZZ:-0}" != 1 ] && fuzz=1
export CLEANLIST_FUZZ_BUILD=build/fuzz CLEANLIST_FUZZ_JOBS="$jobs"
if [ "${CLEANLIST_SKIP_TSAN:-0}" != 1 ]; then
  phase "tsan: multi-threaded tests (ctest -j $ctest_jobs; the fuzz build niced beside)"
  [ "$fuzz" = 1 ] && in_background fuzz-build tests/fuzz/run_fuzz.sh --build-only
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build/tsan --output-on-failure -j "$ctest_jobs"
else
  [ "$fuzz" = 1 ] && in_background fuzz-build tests/fuzz/run_fuzz.sh --build-only
fi

if [ "$fuzz" = 1 ]; then
  phase "fuzz: the rest of the build (clang), each target ${CLEANLIST_FUZZ_SECONDS:-30} s"
  await fuzz-build
  tests/fuzz/run_fuzz.sh "${CLEANLIST_FUZZ_SECONDS:-30}"
fi

report build/asan build/release build/tsan
printf '\n==== all tests passed\n'
