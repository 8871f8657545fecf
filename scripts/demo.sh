#!/usr/bin/env bash
# The main job from a fresh Debian 12 machine: install what is missing, build, and run
# `riskbridge demo`: the embedded Ashby and RiskOS simulators, the daemon on a temporary SQLite
# store, signed webhooks for eight fictional applicants, and a table of what happened to each.
# No configuration and no credentials needed; nothing reaches a real Ashby or RiskOS account.
# Arguments go to `riskbridge demo` (--keep, --timeout-s N, --verbose).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build} ./scripts/build.sh -DRISKBRIDGE_BUILD_TESTS=OFF
exec "${BUILD_DIR:-build}/riskbridge" demo "$@"
