#!/usr/bin/env bash
# The main job from a fresh Debian 12 machine: install what is missing, build, and run the
# daemon on config/riskbridge.example.yaml until Ctrl-C. Secrets come from the environment;
# obviously-fake local values are used for any that are unset, so nothing here reaches a real
# Ashby or RiskOS account.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build} ./scripts/build.sh -DRISKBRIDGE_BUILD_TESTS=OFF

export ASHBY_API_KEY=${ASHBY_API_KEY:-local-demo-ashby-key}
export ASHBY_WEBHOOK_SECRET=${ASHBY_WEBHOOK_SECRET:-local-demo-webhook-secret}
export RISKOS_API_KEY=${RISKOS_API_KEY:-local-demo-riskos-key}
export RISKOS_WEBHOOK_TOKEN=${RISKOS_WEBHOOK_TOKEN:-local-demo-riskos-token}
config=${RISKBRIDGE_CONFIG:-config/riskbridge.example.yaml}

"${BUILD_DIR:-build}/riskbridge" check-config --config "$config"
echo "riskbridge: serving on the example config; try:"
echo "  curl -s localhost:8080/healthz"
echo "  body='{\"action\":\"ping\",\"data\":{\"webhookActionType\":\"ping\"}}'"
echo "  curl -s -H \"Ashby-Signature: sha256=\$(printf %s \"\$body\" | openssl dgst -sha256 -hmac \"\$ASHBY_WEBHOOK_SECRET\" -r | cut -d' ' -f1)\" -d \"\$body\" localhost:8080/webhooks/ashby"
exec "${BUILD_DIR:-build}/riskbridge" serve --config "$config"
