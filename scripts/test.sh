#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: install what is missing, build from
# scratch, run every test through CTest. The tests run inside a private, throw-away PostgreSQL
# cluster (scripts/with-postgres.sh installs the server package if needed), so the store suite
# runs on both backends and the multi-replica test runs; RISKBRIDGE_TEST_POSTGRES=0 skips that.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
./scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
if [ "${RISKBRIDGE_CLEAN_BUILD:-1}" = "1" ]; then rm -rf "$BUILD_DIR"; fi
BUILD_DIR="$BUILD_DIR" ./scripts/build.sh -DRISKBRIDGE_BUILD_TESTS=ON
with_postgres=("$root/scripts/with-postgres.sh")
if [ "${RISKBRIDGE_TEST_POSTGRES:-1}" = "0" ]; then with_postgres=(); fi
(cd "$BUILD_DIR" &&
  "${with_postgres[@]}" ctest --output-on-failure --timeout 600 -j "${CTEST_JOBS:-2}")

# Then the same suite under AddressSanitizer+UndefinedBehaviorSanitizer, with each fuzz target
# for a few seconds (scripts/test-sanitizers.sh, tests/fuzz/README.md). RISKBRIDGE_TEST_SANITIZERS=0
# skips it; RISKBRIDGE_TEST_TSAN=1 adds the ThreadSanitizer pass over the concurrency tests.
if [ "${RISKBRIDGE_TEST_SANITIZERS:-1}" = "1" ]; then
  passes=(asan)
  if [ "${RISKBRIDGE_TEST_TSAN:-0}" = "1" ]; then passes+=(tsan); fi
  RISKBRIDGE_CLEAN_BUILD=${RISKBRIDGE_CLEAN_BUILD:-1} ./scripts/test-sanitizers.sh "${passes[@]}"
fi
