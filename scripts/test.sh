#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: install what is missing, build from
# scratch, run every test through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
if [ "${RISKBRIDGE_CLEAN_BUILD:-1}" = "1" ]; then rm -rf "$BUILD_DIR"; fi
BUILD_DIR="$BUILD_DIR" ./scripts/build.sh -DRISKBRIDGE_BUILD_TESTS=ON
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 -j "${CTEST_JOBS:-2}"
