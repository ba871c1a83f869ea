#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages only) and builds Scangate.
# Sourced by demo.sh and test.sh; safe to run again: it does only what is needed.
set -euo pipefail

SCANGATE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${SCANGATE_BUILD_DIR:-$SCANGATE_ROOT/build}"

PACKAGES=(
  build-essential cmake pkg-config
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libopencv-dev libtbb-dev libzxing-dev libtiff-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev libssl-dev
  prometheus-cpp-dev libcivetweb-dev libsqlite3-dev libpq-dev libre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  fonts-wqy-zenhei
  # tests only: the dashboard in a headless browser, a real Prometheus, a
  # real PostgreSQL for the shared ledger, certificates made at run time for
  # the access tests, clang for the libFuzzer target
  chromium prometheus postgresql openssl clang
  # the Python client (clients/python) and its test; the deployment files'
  # check (systemd for systemd-analyze verify)
  python3-grpcio python3-protobuf python3-yaml systemd
)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

build() {
  echo "setup: building in $BUILD_DIR (log: $BUILD_DIR/build.log)"
  mkdir -p "$BUILD_DIR"
  # -O2 without debug info: the suite's build is most of its 15 minutes on
  # two cores, and debug info only slows it (gdb users: add -g).
  if ! { cmake -S "$SCANGATE_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
           -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" \
           -DSCANGATE_WERROR="${SCANGATE_WERROR:-OFF}" \
           -DSCANGATE_BUILD_BENCH="${SCANGATE_BUILD_BENCH:-ON}" &&
         cmake --build "$BUILD_DIR" -j "$(nproc)"; } >"$BUILD_DIR/build.log" 2>&1; then
    tail -n 40 "$BUILD_DIR/build.log"
    echo "setup: the build failed" >&2
    return 1
  fi
}
