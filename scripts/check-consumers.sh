#!/usr/bin/env bash
# Builds and runs the consumer programs of tests/package against an installed cleanlist, the way
# users build them, with ASan+UBSan:
#   scripts/check-consumers.sh PREFIX BUILD_DIR
# PREFIX holds lib*/cmake/cleanlist and lib*/pkgconfig (an install tree or an unpacked package).
#   - find_package: the consumer matrix (tests/package/CMakeLists.txt: Asio default, separately
#     compiled by the program, BOOST_ASIO_NO_DEPRECATED) and the program that used to crash;
#   - pkg-config: the same programs built with nothing but pkg-config's flags;
#   - pkg-config --libs cleanlist names no simulator; a unit compiled without the library's Asio
#     definitions is refused at compile time, by name.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$1
out=$2
jobs=${JOBS:-$(nproc)}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# An unpacked package keeps /usr's layout, where the libraries' run-time path is the system's.
export LD_LIBRARY_PATH="$(find "$prefix" -name 'libcleanlist.so*' -printf '%h\n' -quit 2>/dev/null):${LD_LIBRARY_PATH:-}"

rm -rf "$out"
cmake -S tests/package -B "$out" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCONSUMER_SANITIZE=ON >/dev/null
cmake --build "$out" -j "$jobs"
for program in consumer asio_mix_default asio_mix_separate asio_mix_no_deprecated asio_consumer_crash; do
  echo "-- find_package: $program"
  "$out/$program"
done
# cleanlist::redis (when installed): make_redis_budget against an unreachable Redis, the
# documented fallback.
if [ -x "$out/consumer_redis" ]; then "$out/consumer_redis"; fi

pc_dir=$(dirname "$(find "$prefix" -name cleanlist.pc | head -1)")
pc() { PKG_CONFIG_PATH="$pc_dir" pkg-config "$@"; }
libs=$(pc --libs cleanlist)
echo "-- pkg-config --libs cleanlist: $libs"
case "$libs" in *testing*|*sim*) echo "cleanlist.pc links the simulator: $libs" >&2; exit 1 ;; esac
san=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g1)
# shellcheck disable=SC2046
c++ "${san[@]}" -o "$out/consumer_pkgconfig" tests/package/consumer.cpp $(pc --cflags --libs cleanlist-testing)
# shellcheck disable=SC2046
c++ "${san[@]}" -O1 -o "$out/asio_mix_pkgconfig" tests/package/asio_mix.cpp $(pc --cflags --libs cleanlist-testing)
for program in consumer_pkgconfig asio_mix_pkgconfig; do
  echo "-- pkg-config: $program"
  "$out/$program"
done
if [ -f "$pc_dir/cleanlist-redis.pc" ]; then
  # shellcheck disable=SC2046
  c++ -o "$out/consumer_redis_pkgconfig" tests/package/consumer_redis.cpp $(pc --cflags --libs cleanlist-redis)
  "$out/consumer_redis_pkgconfig"
fi

# Without the library's Asio definitions a unit does not compile, and says why.
cflags=$(pc --cflags cleanlist | sed 's/-DBOOST_ASIO_NO_DEPRECATED//')
# shellcheck disable=SC2086
if c++ $cflags -fsyntax-only -x c++ - <<<'#include <cleanlist/client.hpp>' 2>"$out/refused.txt"; then
  echo "a unit without BOOST_ASIO_NO_DEPRECATED compiled against cleanlist" >&2
  exit 1
fi
grep -q "compile with -DBOOST_ASIO_NO_DEPRECATED" "$out/refused.txt"
echo "-- refused without the library's Asio definitions: $(grep -o 'cleanlist: compile with[^,]*' "$out/refused.txt" | head -1)"
