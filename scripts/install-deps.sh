#!/usr/bin/env bash
# Installs the Debian 12 packages that are missing, only those.
#   scripts/install-deps.sh        everything the build and every test need (scripts/test.sh)
#   scripts/install-deps.sh run    only what the main job needs (scripts/run.sh): the library
#                                  and the `cleanlist` command
# Prints one line naming what it installs; the package manager's own output goes to stdout.
set -euo pipefail
pkgs=(g++ cmake ninja-build ccache libboost1.81-dev libboost-json1.81-dev libssl-dev doctest-dev libcli11-dev
      python3 python3-jsonschema wrk ca-certificates python3-aiohttp clang libclang-rt-14-dev
      libhiredis-dev redis-server pkg-config doxygen
      tinyproxy)  # tests/system/test_proxy_*: a real HTTP proxy started per test (its own config, ephemeral port)
run_pkgs=(g++ cmake ninja-build ccache libboost1.81-dev libboost-json1.81-dev libssl-dev libcli11-dev
          ca-certificates libhiredis-dev pkg-config)
[ "${1:-}" = run ] && pkgs=("${run_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
