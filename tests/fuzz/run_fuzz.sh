#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from its seed corpus, as a test:
#   run_fuzz.sh TARGET SEED_DIR ARTIFACT_DIR SECONDS
# New corpus entries go to a temporary directory (removed afterwards), so the repository's
# seeds never change; a crashing input is saved in ARTIFACT_DIR. RISKBRIDGE_FUZZ_SECONDS
# overrides SECONDS. Exit code: the fuzzer's (0 = nothing found).
set -euo pipefail
target=$1 seeds=$2 artifacts=$3 seconds=${RISKBRIDGE_FUZZ_SECONDS:-$4}
work=$(mktemp -d "${TMPDIR:-/tmp}/riskbridge-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
name=$(basename "$target")
# Leaks fail the run; UBSan stops at its first finding.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
  -artifact_prefix="$artifacts/$name-" -print_final_stats=1 "$work" "$seeds"
