#!/usr/bin/env bash
# The test suite under sanitizers, in build trees of their own:
#
#   ./scripts/test-sanitizers.sh            ASan+UBSan: every test, plus each fuzz target for a
#                                           few seconds (tests/fuzz; needs clang)
#   ./scripts/test-sanitizers.sh tsan       ThreadSanitizer: the concurrency tests only (store
#                                           writer, worker pool, handler, in-process servers)
#   ./scripts/test-sanitizers.sh asan tsan  both, in that order
#
# Environment:
#   ASAN_BUILD_DIR / TSAN_BUILD_DIR   build trees (build-asan, build-tsan)
#   RISKBRIDGE_TEST_POSTGRES=0        run without the throw-away PostgreSQL cluster (the
#                                     PostgreSQL-backed tests then skip themselves)
#   RISKBRIDGE_FUZZ_SECONDS           seconds per fuzz target (default 10)
#   RISKBRIDGE_CLEAN_BUILD=1          start from empty build trees
#   CTEST_JOBS, JOBS                  parallel tests and compile jobs (default: nproc)
#
# The trees are Debug at -O1 with line tables only: the sanitizers' reports keep file:line
# and the tests run at a useful speed, while the build stays short. Bench tools are not built.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${JOBS:-$(nproc)}
ctest_jobs=${CTEST_JOBS:-$(nproc)}
passes=("$@")
if [ ${#passes[@]} -eq 0 ]; then passes=(asan); fi

with_postgres=("$root/scripts/with-postgres.sh")
if [ "${RISKBRIDGE_TEST_POSTGRES:-1}" = "0" ]; then with_postgres=(); fi

say() { echo "test-sanitizers: $*" >&2; }

# clang when it is there (libFuzzer comes with it), else the default compiler without fuzzing.
compiler_args=()
fuzz=OFF
if command -v clang++ >/dev/null 2>&1; then
  compiler_args=(-DCMAKE_CXX_COMPILER=clang++)
  fuzz=ON
fi

configure() {
  local dir=$1 sanitize=$2 fuzz_flag=$3
  if [ "${RISKBRIDGE_CLEAN_BUILD:-0}" = "1" ]; then rm -rf "$dir"; fi
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
    "${compiler_args[@]}" -DRISKBRIDGE_SANITIZE="$sanitize" -DRISKBRIDGE_FUZZ="$fuzz_flag" \
    -DRISKBRIDGE_BUILD_TESTS=ON -DRISKBRIDGE_BUILD_BENCH=OFF >/dev/null
}

asan_pass() {
  local dir=${ASAN_BUILD_DIR:-build-asan} start=$SECONDS
  say "ASan+UBSan: building $dir (fuzz targets: $fuzz)"
  configure "$dir" address,undefined "$fuzz"
  cmake --build "$dir" -j "$jobs"
  say "ASan+UBSan: built in $((SECONDS - start)) s; running every test"
  # Leaks fail a test; UBSan stops at its first finding (the tree is also built with
  # -fno-sanitize-recover=undefined). The daemon started by the integration tests inherits
  # these. A 16 MB quarantine (256 MB by default) keeps the daemon's RSS within what the
  # hostile-client tests allow, while recent frees are still caught.
  (cd "$dir" &&
    ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "${with_postgres[@]}" ctest --output-on-failure --timeout 900 -j "$ctest_jobs")
  say "ASan+UBSan: done in $((SECONDS - start)) s"
}

tsan_pass() {
  local dir=${TSAN_BUILD_DIR:-build-tsan} start=$SECONDS
  local targets=(test_store test_workers test_http test_sim)
  say "TSan: building ${targets[*]} in $dir"
  configure "$dir" thread OFF
  cmake --build "$dir" -j "$jobs" --target "${targets[@]}"
  say "TSan: built in $((SECONDS - start)) s; running the concurrency tests"
  # Only the suites built above: the other executables are absent (ctest's *_NOT_BUILT).
  (cd "$dir" &&
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    "${with_postgres[@]}" ctest --output-on-failure --timeout 900 -j "$ctest_jobs" \
    -E '_NOT_BUILT$')
  say "TSan: done in $((SECONDS - start)) s"
}

for p in "${passes[@]}"; do
  case "$p" in
    asan) asan_pass ;;
    tsan) tsan_pass ;;
    *) say "unknown pass '$p' (asan or tsan)"; exit 2 ;;
  esac
done
