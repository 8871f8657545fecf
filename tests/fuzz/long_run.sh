#!/usr/bin/env bash
# A longer fuzzing session, one target at a time on one core, for the results in README.md:
#   tests/fuzz/long_run.sh BUILD_DIR SECONDS [TARGET...]     (default: every target, 300 s)
# The grown corpus and the log of each target go to ${FUZZ_OUT:-/tmp/riskbridge-fuzz-long};
# the last status line of each log (#runs, cov, ft, corp) is printed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: long_run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:-300}
shift 2 || shift $#
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_ashby_webhook fuzz_ashby_payload fuzz_riskos_webhook fuzz_riskos_evaluation
           fuzz_signature fuzz_credentials fuzz_config fuzz_names fuzz_http_framing)
fi
out=${FUZZ_OUT:-/tmp/riskbridge-fuzz-long}
mkdir -p "$out"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "${targets[@]}"; do
  mkdir -p "$out/$t"
  echo "== $t: $seconds s" >&2
  set +e
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -max_len=65536 -artifact_prefix="$out/$t-" -print_final_stats=1 \
    "$out/$t" "$here/corpus/$t" >"$out/$t.log" 2>&1
  rc=$?
  set -e
  last=$(grep -E '^#[0-9]+' "$out/$t.log" | tail -n 1)
  runs=$(grep -E '^stat::number_of_executed_units' "$out/$t.log" | awk '{print $2}')
  echo "$t rc=$rc runs=${runs:-?} last: $last"
done
