#!/usr/bin/env bash
# Builds the container image (docker/Dockerfile) and checks, inside its file system, what a
# deployment relies on:
#
#   1. every shared library of /usr/local/bin/riskbridge resolves (ldd);
#   2. the image runs as the non-root user its USER names;
#   3. `riskbridge --version` works;
#   4. `check-config` on the shipped /etc/riskbridge/riskbridge.yaml names each secret that is
#      missing from the environment (FILE:LINE: key: ... VAR is not set) and exits non-zero,
#      and exits 0 once they are set;
#   5. `riskbridge serve` with that config answers the HEALTHCHECK's `curl` on /healthz and
#      stops cleanly on SIGTERM;
#   6. `riskbridge demo` ends "N/N outcomes as expected" (every applicant as expected).
#
#   ./scripts/test-image.sh                 build from this checkout (build trees and all:
#                                           .dockerignore must keep them out)
#   ./scripts/test-image.sh --clean-clone   build from a clean clone of the current commit
#   ./scripts/test-image.sh --keep          keep the exported file system (path printed)
#
# Builder: `docker build` when a Docker engine answers, else `podman build --isolation chroot`
# (installed by scripts/install-deps.sh image), which needs no container runtime. Base images:
# debian:12 and debian:12-slim as found locally or pulled; when no registry is reachable (as
# on the development machines) both are imported from the minimal root of
# scripts/debian-root.sh, the same one scripts/test-fresh-machine.sh uses.
#
# Containers cannot be run on these machines (no cgroup-capable runtime), so the checks run the
# image's exported file system under chroot, as the image's user, with its environment, in
# private mount, PID and network (loopback only) namespaces: nothing outside is reached and no
# process outlives the run, bounded by RISKBRIDGE_IMAGE_TIMEOUT_S (default 2400 s).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

clean_clone=0 keep=0
for arg in "$@"; do
  case "$arg" in
    --clean-clone) clean_clone=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--clean-clone] [--keep]" >&2; exit 2 ;;
  esac
done
timeout_s=${RISKBRIDGE_IMAGE_TIMEOUT_S:-2400}
image=localhost/riskbridge:check
# The secrets docker/riskbridge.yaml takes from the environment and has no default for.
secrets=(ASHBY_API_KEY ASHBY_WEBHOOK_SECRET RISKOS_API_KEY RISKOS_WEBHOOK_TOKEN RISKBRIDGE_DATA_KEY)

lib="$repo/scripts/lib/root-check.sh"
check_name=test-image
# shellcheck source=lib/root-check.sh
source "$lib"

if [ "$(id -u)" -ne 0 ]; then
  say "needs root (image build, chroot and namespaces)"
  exit 1
fi

engine=""
container=""
before_cleanup() { if [ -n "$container" ]; then "$engine" rm -f "$container" >/dev/null 2>&1; fi; }
make_work_dir riskbridge-image

# --- the builder ------------------------------------------------------------------------------
build_flags=()
if command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; then
  engine=docker
else
  step "install-deps.sh image (host tools)" ./scripts/install-deps.sh image >/dev/null
  engine=podman
  # RUN steps under chroot isolation share the host's network (apt) and need no runtime.
  # --format docker keeps the HEALTHCHECK (the OCI format has no field for it).
  build_flags=(--isolation chroot --pull=never --format docker)
fi
say "building with $engine"

# --- the base images --------------------------------------------------------------------------
tarball=""
stamp=""
base_image() {
  local name=$1 label
  if label=$("$engine" image inspect --format '{{index .Config.Labels "org.riskbridge.base-root"}}' "$name" 2>/dev/null); then
    # A real registry image carries no such label; an imported one is kept while its root is.
    if [ -z "$label" ] || [ "$label" = "<no value>" ]; then return 0; fi
    if [ -z "$tarball" ]; then tarball=$(./scripts/debian-root.sh) stamp=$(stat -c %Y "$tarball"); fi
    if [ "$label" = "$stamp" ]; then return 0; fi
  fi
  if timeout 60 "$engine" pull -q "$name" >/dev/null 2>&1; then
    say "$name: pulled"
    return 0
  fi
  if [ -z "$tarball" ]; then tarball=$(./scripts/debian-root.sh) stamp=$(stat -c %Y "$tarball"); fi
  # Debian's minbase root, as the official images are; the slim one is the same root (the real
  # one only leaves out documentation), which is enough for what the runtime stage installs.
  "$engine" import --change "LABEL org.riskbridge.base-root=$stamp" --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$tarball" "$name" >"$work/import.log" 2>&1 || {
    cat "$work/import.log" >&2
    return 1
  }
  say "$name: no registry reachable; imported from $tarball"
}
step "base image debian:12" base_image docker.io/library/debian:12
step "base image debian:12-slim" base_image docker.io/library/debian:12-slim

# --- the build --------------------------------------------------------------------------------
context=$repo
if [ "$clean_clone" = 1 ]; then
  commit=$(git rev-parse HEAD)
  context="$work/clone"
  step "git clone $commit" clone_commit "$repo" "$context" "$commit"
fi
say "build context: $context$([ "$clean_clone" = 1 ] || echo ' (this checkout, as it is)')"
build() {
  timeout --kill-after=30 "$timeout_s" \
    "$engine" build "${build_flags[@]}" -f "$context/docker/Dockerfile" -t "$image" "$context" \
    >"$work/build.log" 2>&1 || {
    local rc=$?
    tail -n 60 "$work/build.log" >&2
    return "$rc"
  }
}
step "$engine build -f docker/Dockerfile" build

# --- the image's file system and settings -----------------------------------------------------
fs="$work/fs"
mkdir -m 755 "$fs"
export_fs() {
  # podman complains on stderr that it cannot arm the HEALTHCHECK timer without systemd: the
  # container is never started, so that is noise.
  container=$("$engine" create "$image" 2>"$work/create.log") || {
    cat "$work/create.log" >&2
    return 1
  }
  "$engine" export "$container" | tar --numeric-owner -x -C "$fs"
  "$engine" rm -f "$container" >/dev/null 2>&1
  container=""
}
step "export the image's file system" export_fs
user=$("$engine" image inspect --format '{{.Config.User}}' "$image")
workdir=$("$engine" image inspect --format '{{.Config.WorkingDir}}' "$image")
"$engine" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" |
  grep -v '^$' >"$work/image.env"
say "image: USER=${user:-<none>} WORKDIR=${workdir:-<none>} $(du -sh "$fs" | cut -f1) on disk"

# The HEALTHCHECK survives the build (podman keeps it only in the docker format).
if [ "$engine" = podman ]; then health_format='{{if .HealthCheck}}{{join .HealthCheck.Test " "}}{{end}}'
else health_format='{{if .Config.Healthcheck}}{{join .Config.Healthcheck.Test " "}}{{end}}'; fi
health=$("$engine" image inspect --format "$health_format" "$image")
[[ "$health" == *"/healthz"* ]] || fail "the image has no HEALTHCHECK on /healthz (got '$health')"
say "HEALTHCHECK: $health"

[ -n "$user" ] || fail "the Dockerfile names no USER: the daemon would run as root"
uid=$(awk -F: -v u="${user%%:*}" '$1 == u || $3 == u {print $3}' "$fs/etc/passwd")
gid=$(awk -F: -v u="${user%%:*}" '$1 == u || $3 == u {print $4}' "$fs/etc/passwd")
[ -n "$uid" ] || fail "USER $user is not in the image's /etc/passwd"
[ "$uid" != 0 ] || fail "USER $user is root (uid 0)"
say "the image runs as $user (uid $uid, gid $gid), not root"

# --- the checks, inside the image's file system -----------------------------------------------
cat >"$work/inside.sh" <<'EOF'
# Runs in new mount, PID and network namespaces, on the host's file system until chroot.
set -euo pipefail
lib=$1 fs=$2 uid=$3 gid=$4 workdir=$5 envfile=$6
shift 6
secrets=("$@")
check_name=test-image
source "$lib"

ip link set lo up
mount_system "$fs"

mapfile -t image_env <"$envfile"
# As the image's user, in its working directory, with its environment and the given extras.
# Every step execs the next (chroot, env, sh, the command), so the command keeps the PID that
# `$!` names when it runs in the background.
as_user=(chroot --userspec="$uid:$gid" --groups="$gid" "$fs" /usr/bin/env -i "${image_env[@]}"
  HOME="${workdir:-/}")
in_workdir=("${as_user[@]}" /bin/sh -c 'cd "$0" && exec "$@"' "${workdir:-/}")
as_user() { "${as_user[@]}" "$@"; }
in_workdir() { "${in_workdir[@]}" "$@"; }

# 1. libraries
ldd_out=$(chroot "$fs" /usr/bin/ldd /usr/local/bin/riskbridge) || fail "ldd failed: $ldd_out"
if grep -q 'not found' <<<"$ldd_out"; then
  grep 'not found' <<<"$ldd_out" >&2
  fail "libraries missing from the image"
fi
say "ldd: all $(grep -c '=>' <<<"$ldd_out") shared libraries resolve"

# 2. the user, as the process sees it
[ "$(as_user /usr/bin/id -u)" = "$uid" ] || fail "the process does not run as uid $uid"

# 3. --version
version=$(as_user /usr/local/bin/riskbridge --version) || fail "riskbridge --version failed"
say "riskbridge --version: $version"

# 4. check-config on the shipped file, without and with the secrets
config=/etc/riskbridge/riskbridge.yaml
rc=0
out=$(in_workdir /usr/local/bin/riskbridge check-config --config "$config" 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "check-config accepted the config without the secrets"
for var in "${secrets[@]}"; do
  grep -Eq "^$config:[0-9]+: [a-z_.0-9]+(\[[0-9]+\][a-z_.0-9]*)*: .*\b$var\b is not set" <<<"$out" ||
    fail "check-config without $var does not name it on a FILE:LINE: key: line; it said:"$'\n'"$out"
done
say "check-config without the secrets: exit $rc, $(grep -c "^$config:" <<<"$out") lines naming file, line and key"
secret_env=()
for var in "${secrets[@]}"; do secret_env+=("$var=image-check-$var"); done
# The data key must be a real one: 32 random bytes as 64 hex digits.
secret_env+=("RISKBRIDGE_DATA_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')")
out=$(in_workdir /usr/bin/env "${secret_env[@]}" /usr/local/bin/riskbridge check-config --config "$config" 2>&1) ||
  fail "check-config with the secrets set failed:"$'\n'"$out"
say "check-config with the secrets: exit 0"

# 5. serve, the HEALTHCHECK's curl, SIGTERM
"${in_workdir[@]}" /usr/bin/env "${secret_env[@]}" /usr/local/bin/riskbridge serve \
  --config "$config" >"$fs/tmp/serve.log" 2>&1 &
serve=$!
healthy=0
for _ in $(seq 1 300); do
  if as_user /usr/bin/curl -fsS -o /dev/null http://127.0.0.1:8080/healthz 2>/dev/null; then
    healthy=1
    break
  fi
  kill -0 "$serve" 2>/dev/null || break
  sleep 0.1 # polling /healthz until the daemon listens, as the HEALTHCHECK does
done
if [ "$healthy" != 1 ]; then
  tail -n 20 "$fs/tmp/serve.log" >&2
  fail "riskbridge serve never answered /healthz"
fi
say "serve: /healthz answers the HEALTHCHECK's curl"
kill -TERM "$serve"
rc=0
wait "$serve" || rc=$?
[ "$rc" -eq 0 ] || { tail -n 20 "$fs/tmp/serve.log" >&2; fail "serve exited $rc on SIGTERM"; }
say "serve: exit 0 on SIGTERM"

# 6. the demo
rc=0
in_workdir /usr/local/bin/riskbridge demo >"$fs/tmp/demo.log" 2>&1 || rc=$?
summary=$(demo_summary "$fs/tmp/demo.log")
say "demo: exit $rc: ${summary:-no summary line}"
if [ "$rc" -ne 0 ] || ! demo_passed "$summary"; then
  tail -n 40 "$fs/tmp/demo.log" >&2
  fail "the demo did not end with every outcome as expected"
fi
EOF

in_namespaces "$timeout_s" bash "$work/inside.sh" "$lib" "$fs" "$uid" "$gid" "$workdir" \
  "$work/image.env" "${secrets[@]}"
# The check's image goes; the build cache (the apt layer of the build stage) stays for a day.
"$engine" rmi -f "$image" >/dev/null 2>&1 || true
"$engine" image prune -f --filter until=24h >/dev/null 2>&1 || true
say "passed: the image builds, its libraries resolve, it runs as $user, and the demo ends with every outcome as expected"
