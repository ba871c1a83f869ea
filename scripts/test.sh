#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
install_missing
build
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" --timeout 600
