#!/usr/bin/env bash
# Proves the README's set-up on a machine that has nothing but a minimal Debian 12: unpacks the
# cached root of scripts/debian-root.sh into a throw-away directory, puts a clean clone of the
# current commit in /src, and runs the README's first set-up command there (chroot, as root,
# with only the environment a login gives). It fails unless that command exits 0 and the demo
# ends "7/7 outcomes as expected".
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

say() { echo "fresh-machine: $*" >&2; }

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

# Prints "NAME: exit N in T s" for a host-side step and stops the run when it fails.
step() {
  local name=$1 start=$SECONDS rc=0
  shift
  "$@" || rc=$?
  say "$name: exit $rc in $((SECONDS - start)) s"
  if [ "$rc" -ne 0 ]; then exit "$rc"; fi
}

step "install-deps.sh fresh-root (host tools)" ./scripts/install-deps.sh fresh-root >/dev/null
tarball=$(./scripts/debian-root.sh)

commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  say "note: uncommitted changes are not part of this check (it clones $commit)"
fi

work=$(mktemp -d /var/tmp/riskbridge-fresh.XXXXXX)
bridge_pid=""
cleanup() {
  local rc=$?
  if [ -n "$bridge_pid" ]; then kill "$bridge_pid" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then
    say "kept the root in $work/root"
  else
    # The namespaces are gone, and their mounts with them; --one-file-system all the same.
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
root="$work/root"
mkdir -m 755 "$root"

step "unpack $(basename "$tarball")" tar --numeric-owner -xf "$tarball" -C "$root"
step "git clone $commit into /src" \
  sh -c "git -c advice.detachedHead=false clone --quiet --no-local '$repo' '$root/src' && git -c advice.detachedHead=false -C '$root/src' checkout --quiet --detach '$commit'"

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
work=$1
shift
root="$work/root"
say() { echo "fresh-machine: $*" >&2; }

ip link set lo up
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o nosuid,mode=755,size=64m dev "$root/dev"
for node in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  read -r name major minor <<<"$node"
  mknod -m 666 "$root/dev/$name" c "$major" "$minor"
done
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mkdir -m 1777 "$root/dev/shm"
mkdir -m 755 "$root/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"

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
rc=0
timeout --kill-after=30 "$timeout_s" \
  unshare --mount --propagation private --net --pid --fork --kill-child \
  bash "$work/inside.sh" "$work" "${commands[@]}" || rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  say "stopped after the ${timeout_s} s limit"
fi
if [ "$rc" -ne 0 ]; then exit "$rc"; fi

# The demo's verdict: its last line counts the outcomes that matched.
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$work/command-1.log" | grep -E '^[0-9]+/[0-9]+ outcomes' | tail -n 1 || true)
say "demo: ${summary:-no summary line}"
if ! [[ "$summary" =~ ^7/7\ outcomes\ as\ expected ]]; then
  tail -n 40 "$work/command-1.log" >&2
  say "FAILED: the demo did not end 7/7"
  exit 1
fi
if [ "$all" = 1 ]; then
  grep -E 'tests passed|tests failed' "$work"/command-*.log | sed 's/^/fresh-machine: /' >&2 || true
fi
say "passed: ${commands[*]} on a fresh Debian 12 root, commit $commit"
