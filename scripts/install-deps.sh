#!/usr/bin/env bash
# Installs the Debian 12 packages riskbridge needs, skipping what is present. Run as root (or
# through sudo).
#
#   ./scripts/install-deps.sh              build, tests, sanitizer pass, fuzzers and demo (used
#                                          by scripts/demo.sh, scripts/test.sh, docker/Dockerfile)
#   ./scripts/install-deps.sh fresh-root   the host tools of scripts/test-fresh-machine.sh
#   ./scripts/install-deps.sh image        the host tools of scripts/test-image.sh
set -euo pipefail
group=${1:-build}

case "$group" in
build)
  # One package per find_package/find_library of CMakeLists.txt and src/CMakeLists.txt, named
  # here even when another package already pulls it in: scripts/test-fresh-machine.sh proves on
  # a minimal Debian 12 root that this list is complete, so nothing may come from "what happened
  # to be installed".
  packages=(
    build-essential cmake pkg-config ca-certificates curl
    libboost-dev libboost-system-dev  # Boost.Beast/Asio (find_package(Boost COMPONENTS system))
    nlohmann-json3-dev libssl-dev libspdlog-dev libcurl4-openssl-dev libyaml-cpp-dev
    libsqlite3-dev libpq-dev prometheus-cpp-dev libcli11-dev
    libphonenumber-dev libprotobuf-dev libicu-dev  # find_library(phonenumber, protobuf, icuuc)
    libgtest-dev libgmock-dev                      # find_package(GTest)
  )
  if [ "${RISKBRIDGE_WITH_SANITIZERS:-1}" = "1" ]; then
    # scripts/test-sanitizers.sh and tests/fuzz: clang with its sanitizer and libFuzzer runtimes.
    packages+=(clang libclang-rt-14-dev)
  fi
  if [ "${RISKBRIDGE_WITH_EXTRAS:-1}" = "1" ]; then
    # Optional helpers: ccache speeds up rebuilds; sqlite3 is handy for operators; python3 runs
    # tests/fuzz/make_corpus.py, which rewrites the fuzzers' seed corpora by hand; clang-format
    # (14, Debian 12's) formats the sources with the repository's .clang-format.
    packages+=(ccache sqlite3 python3 clang-format)
  fi
  # scripts/with-postgres.sh installs the PostgreSQL server itself, only when a test run needs it.
  ;;
fresh-root)
  # debootstrap makes the root; socat carries apt's traffic (and nothing else) into the root's
  # network namespace; unshare, mount and chroot (util-linux, coreutils) are always there.
  packages=(debootstrap socat iproute2 git ca-certificates)
  ;;
image)
  # podman builds docker/Dockerfile when no Docker engine answers (buildah's chroot isolation
  # needs no container runtime); the rest as for fresh-root.
  packages=(podman debootstrap socat iproute2 git ca-certificates)
  ;;
*)
  echo "install-deps: unknown group '$group' (build, fresh-root or image)" >&2
  exit 2
  ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages of '$group' present"
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
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
