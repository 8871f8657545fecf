#!/usr/bin/env bash
# Installs every Debian 12 package riskbridge needs to build and test, skipping what is present.
# Run as root (or through sudo). Used by scripts/demo.sh, scripts/test.sh and docker/Dockerfile.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ca-certificates curl
  libboost-dev libboost-system-dev nlohmann-json3-dev libssl-dev libspdlog-dev
  libcurl4-openssl-dev libyaml-cpp-dev libgtest-dev libgmock-dev libsqlite3-dev
  libpq-dev libphonenumber-dev prometheus-cpp-dev libcli11-dev
)
if [ "${RISKBRIDGE_WITH_SANITIZERS:-1}" = "1" ]; then
  # scripts/test-sanitizers.sh and tests/fuzz: clang with its sanitizer and libFuzzer runtimes.
  packages+=(clang libclang-rt-14-dev)
fi
if [ "${RISKBRIDGE_WITH_EXTRAS:-1}" = "1" ]; then
  # Optional helpers: ccache speeds up rebuilds; sqlite3 is handy for operators.
  packages+=(ccache sqlite3)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
