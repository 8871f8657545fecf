# Shared by scripts/test-fresh-machine.sh and scripts/test-image.sh, and by the scripts they run
# inside their namespaces (sourced, never run). Set `check_name` before sourcing: it prefixes
# every line these functions print.

say() { echo "${check_name:-check}: $*" >&2; }

fail() {
  say "FAILED: $*"
  exit 1
}

# step NAME CMD...: runs CMD, prints "NAME: exit N in T s", and ends the run when CMD fails.
step() {
  local name=$1 start=$SECONDS rc=0
  shift
  "$@" || rc=$?
  say "$name: exit $rc in $((SECONDS - start)) s"
  if [ "$rc" -ne 0 ]; then exit "$rc"; fi
}

# make_work_dir NAME: sets `work` to a new directory /var/tmp/NAME.XXXXXX, removed when the run
# ends (whatever the outcome) unless the caller's `keep` is 1. A function `before_cleanup`, when
# the caller defines one, runs first (a process or container to end).
make_work_dir() {
  work=$(mktemp -d "/var/tmp/$1.XXXXXX")
  trap cleanup_work EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

cleanup_work() {
  local rc=$?
  if declare -F before_cleanup >/dev/null; then before_cleanup || true; fi
  if [ "${keep:-0}" = 1 ]; then
    say "kept $work"
  else
    # Namespaces end with their processes, and their mounts with them: nothing is mounted
    # below $work by now; --one-file-system all the same.
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}

# clone_commit REPO DEST COMMIT: a clean clone of REPO at COMMIT (uncommitted work left out).
clone_commit() {
  git -c advice.detachedHead=false clone --quiet --no-local "$1" "$2" &&
    git -c advice.detachedHead=false -C "$2" checkout --quiet --detach "$3"
}

# mount_system ROOT: inside fresh mount and PID namespaces, mounts on ROOT a /proc of the new
# PID namespace and a /dev of its own (a small tmpfs with the usual device nodes, /dev/shm and
# a private /dev/pts): nothing of the host's /dev is reachable from the root.
mount_system() {
  local root=$1 node name major minor
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
}

# in_namespaces TIMEOUT_S CMD...: CMD in new mount, PID and network namespaces (loopback only,
# brought up by CMD itself), killed with everything it started after TIMEOUT_S seconds. When
# the namespaces end, so do their mounts and processes.
in_namespaces() {
  local timeout_s=$1 rc=0
  shift
  timeout --kill-after=30 "$timeout_s" \
    unshare --mount --propagation private --net --pid --fork --kill-child "$@" || rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    say "stopped after the ${timeout_s} s limit"
  fi
  return "$rc"
}

# demo_summary LOG: the line of `riskbridge demo` that counts the outcomes that matched.
demo_summary() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -E '^[0-9]+/[0-9]+ outcomes' | tail -n 1 || true
}

# demo_passed SUMMARY: whether the demo ended with every outcome as expected (N/N, N > 0).
demo_passed() {
  [[ "$1" =~ ^([0-9]+)/([0-9]+)\ outcomes\ as\ expected ]] &&
    [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" -gt 0 ]
}
