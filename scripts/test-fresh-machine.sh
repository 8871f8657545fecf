#!/usr/bin/env bash
# Proves the README's set-up on a machine that has nothing but a minimal Debian 12: unpacks the
# cached root of scripts/debian-root.sh into a throw-away directory, puts a clean clone of the
# current commit in /src, and runs the README's first set-up command there (chroot, as root,
# with only the environment a login gives). It fails unless that command exits 0 and the demo
# ends "N/N outcomes as expected" (every applicant as expected).
#
#   ./scripts/test-fresh-machine.sh              the first set-up command (./scripts/demo.sh)
#   ./scripts/test-fresh-machine.sh --all        every set-up command (then ./scripts/test.sh:
#                                                the whole suite, ~1 h on 2 cores)
#   ./scripts/test-fresh-machine.sh --keep       keep the root afterwards (the path is printed)
#
# Isolation: the root runs in its own mount, PID and network namespaces. /proc is the new PID
# namespace's, /dev a tmpfs with the usual device nodes; no host directory is mounted into it.
# Its network has only loopback: apt reaches the Debian mirror through a proxy on
# 127.0.0.1:3142 (a socat pair joined by a Unix socket), which forwards to the mirror's host and
# nowhere else, so nothing else in the root (CMake, a test, a script) can download anything.
# When the namespaces end, every mount and process in them ends too. The whole run is bounded by
# RISKBRIDGE_FRESH_TIMEOUT_S (default 2400 s).
#
# Each command's exit status and time are printed; its output goes to a log, whose end is
# printed when it fails. Needs root. Committed work only: uncommitted changes are not in the
# clone.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

all=0 keep=0
for arg in "$@"; do
  case "$arg" in
    --all) all=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--all] [--keep]" >&2; exit 2 ;;
  esac
done
timeout_s=${RISKBRIDGE_FRESH_TIMEOUT_S:-2400}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
lib="$repo/scripts/lib/root-check.sh"
check_name=fresh-machine
# shellcheck source=lib/root-check.sh
source "$lib"

if [ "$(id -u)" -ne 0 ]; then
  say "needs root (chroot and namespaces)"
  exit 1
fi

# The README's set-up commands: the first ```sh block under "## Set up", comments dropped.
mapfile -t setup < <(awk '/^## Set up/{s=1} s&&/^```sh/{b=1;next} b&&/^```/{exit} b{sub(/[[:space:]]+#.*/,""); if (NF) print}' README.md)
if [ ${#setup[@]} -eq 0 ]; then
  say "README.md has no set-up commands under '## Set up'"
  exit 1
fi
commands=("${setup[0]}")
if [ "$all" = 1 ]; then commands=("${setup[@]}"); fi

step "install-deps.sh fresh-root (host tools)" ./scripts/install-deps.sh fresh-root >/dev/null
tarball=$(./scripts/debian-root.sh)

commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  say "note: uncommitted changes are not part of this check (it clones $commit)"
fi

bridge_pid=""
before_cleanup() { if [ -n "$bridge_pid" ]; then kill "$bridge_pid" 2>/dev/null; fi; }
make_work_dir riskbridge-fresh
root="$work/root"
mkdir -m 755 "$root"

step "unpack $(basename "$tarball")" tar --numeric-owner -xf "$tarball" -C "$root"
step "git clone $commit into /src" clone_commit "$repo" "$root/src" "$commit"

# apt's way out: the root's apt uses the proxy on its own loopback; the socat outside the
# namespace connects each accepted stream to the mirror's host (HTTP, port 80) and nowhere else.
mirror_host=${mirror#http://}
mirror_host=${mirror_host%%/*}
case "$mirror_host" in *:*) mirror_port=${mirror_host##*:} mirror_host=${mirror_host%:*} ;; *) mirror_port=80 ;; esac
cat >"$root/etc/apt/apt.conf.d/00fresh-machine-proxy" <<'EOF'
// scripts/test-fresh-machine.sh: the only way out of this root's network namespace.
Acquire::http::Proxy "http://127.0.0.1:3142";
EOF
socat "UNIX-LISTEN:$work/apt.sock,fork,mode=600" "TCP:$mirror_host:$mirror_port" &
bridge_pid=$!

cat >"$work/inside.sh" <<'EOF'
# Runs in the new mount, PID and network namespaces, on the host's file system until chroot.
set -euo pipefail
lib=$1 work=$2
shift 2
check_name=fresh-machine
source "$lib"
root="$work/root"

ip link set lo up
mount_system "$root"
socat TCP-LISTEN:3142,bind=127.0.0.1,fork,reuseaddr "UNIX-CONNECT:$work/apt.sock" &
for _ in $(seq 1 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/3142) 2>/dev/null; then break; fi
  sleep 0.1 # waiting for the proxy's listening socket, checked above
done

rc=0
n=0
for command in "$@"; do
  n=$((n + 1))
  start=$SECONDS
  set +e
  chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -lc "cd /src && $command" >"$work/command-$n.log" 2>&1 </dev/null
  rc=$?
  set -e
  say "$command (in the root): exit $rc in $((SECONDS - start)) s"
  if [ "$rc" -ne 0 ]; then
    echo "---- last 60 lines of its output ----" >&2
    tail -n 60 "$work/command-$n.log" >&2
    break
  fi
done
exit "$rc"
EOF

say "running ${commands[*]} in a fresh Debian 12 root (limit ${timeout_s} s)"
in_namespaces "$timeout_s" bash "$work/inside.sh" "$lib" "$work" "${commands[@]}"

# The demo's verdict: its last line counts the outcomes that matched.
summary=$(demo_summary "$work/command-1.log")
say "demo: ${summary:-no summary line}"
if ! demo_passed "$summary"; then
  tail -n 40 "$work/command-1.log" >&2
  fail "the demo did not end with every outcome as expected"
fi
if [ "$all" = 1 ]; then
  grep -E 'tests passed|tests failed' "$work"/command-*.log | sed 's/^/fresh-machine: /' >&2 || true
fi
say "passed: ${commands[*]} on a fresh Debian 12 root, commit $commit"
