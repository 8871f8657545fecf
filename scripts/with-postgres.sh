#!/usr/bin/env bash
# Runs CMD... with a private, throw-away PostgreSQL cluster and RISKBRIDGE_TEST_POSTGRES_URL
# pointing at an empty database in it; the cluster is stopped and removed afterwards, whatever
# CMD's outcome. Exits with CMD's exit code.
#
#   ./scripts/with-postgres.sh ctest --output-on-failure
#
# - Installs the Debian package `postgresql` when no server binaries are found (needs root).
# - The cluster lives in a temporary directory, listens on 127.0.0.1 only, on a free port, with
#   a random password (scram-sha-256): nothing outside this run can reach or reuse it.
# - PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres`
#   user (the package creates it).
# - When RISKBRIDGE_TEST_POSTGRES_URL is already set, CMD runs against that database instead.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARG...]" >&2
  exit 2
fi

if [ -n "${RISKBRIDGE_TEST_POSTGRES_URL:-}" ]; then
  echo "with-postgres: using the RISKBRIDGE_TEST_POSTGRES_URL already set" >&2
  exec "$@"
fi

say() { echo "with-postgres: $*" >&2; }

# The newest installed server version's binaries (/usr/lib/postgresql/<version>/bin).
find_bin() {
  local d best=""
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] || continue
    if [ -z "$best" ] || [ "${d//[^0-9]/}" -gt "${best//[^0-9]/}" ]; then best=$d; fi
  done
  echo "$best"
}

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

bin=$(find_bin)
if [ -z "$bin" ]; then
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    say "PostgreSQL is not installed and installing it needs root"
    exit 1
  fi
  say "installing PostgreSQL from the Debian packages"
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
  bin=$(find_bin)
  if [ -z "$bin" ]; then
    say "PostgreSQL installed but no server binaries under /usr/lib/postgresql"
    exit 1
  fi
fi

# As root, the cluster belongs to `postgres`; otherwise to whoever runs this.
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    say "running as root but there is no 'postgres' user to run the server as"
    exit 1
  fi
  # From inside the cluster's directory: `postgres` may not be allowed into the caller's.
  as_owner() { (cd "$dir" && runuser -u postgres -- "$@"); }
  tmp_base=/tmp  # reachable by `postgres`, unlike e.g. a TMPDIR under /root
else
  as_owner() { "$@"; }
  tmp_base=${TMPDIR:-/tmp}
fi

dir=$(mktemp -d "$tmp_base/riskbridge-pg.XXXXXX")
pgdata="$dir/data"
started=0
cleanup() {
  local rc=$?
  if [ "$started" = 1 ]; then
    as_owner "$bin/pg_ctl" -D "$pgdata" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

chmod 700 "$dir"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi

password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" >"$dir/pwfile"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir/pwfile"; fi
chmod 600 "$dir/pwfile"

as_owner "$bin/initdb" -D "$pgdata" -U postgres --pwfile="$dir/pwfile" \
  --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
rm -f "$dir/pwfile"
mkdir -p "$dir/socket"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir/socket"; fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A free loopback port: pick at random, skip ports that answer, retry if the server loses a race.
for attempt in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 40000))
  if port_in_use "$port"; then continue; fi
  if as_owner "$bin/pg_ctl" -D "$pgdata" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir/socket -c max_connections=200" \
    start >/dev/null 2>&1; then
    started=1
    break
  fi
  say "the server did not start on port $port (attempt $attempt)"
done
if [ "$started" != 1 ]; then
  cat "$dir/server.log" >&2 || true
  exit 1
fi

export PGPASSWORD=$password
"$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
  -c "CREATE ROLE riskbridge LOGIN CREATEDB PASSWORD '$password'" \
  -c "CREATE DATABASE riskbridge_test OWNER riskbridge" >/dev/null
unset PGPASSWORD

export RISKBRIDGE_TEST_POSTGRES_URL="postgresql://riskbridge:$password@127.0.0.1:$port/riskbridge_test"
say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"

set +e
"$@"
rc=$?
set -e
exit "$rc"
