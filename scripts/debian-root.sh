#!/usr/bin/env bash
# Prints the path of a minimal Debian 12 (bookworm) root file system, as an uncompressed
# tarball, making it with debootstrap when it is missing or older than a week. It is what the
# two fresh-machine checks start from:
#
#   scripts/test-fresh-machine.sh   unpacks it and runs the README's set-up inside (chroot)
#   scripts/test-image.sh           imports it as the debian:12 and debian:12-slim base images
#                                   when no image registry is reachable
#
# The root is debootstrap's `minbase` variant with nothing added (not even ca-certificates):
# Debian's "required" packages and apt, as in the official debian:12 image. Only its apt
# sources are completed (bookworm, bookworm-updates, bookworm-security, as that image has them),
# and the downloaded packages and package lists are dropped. Everything the project needs must
# then come from its own scripts.
#
# Environment:
#   RISKBRIDGE_ROOT_CACHE   where the tarball is kept (default /var/tmp/riskbridge-debian12)
#   RISKBRIDGE_ROOT_MAX_AGE_DAYS   remake after this many days (default 7)
#   DEBIAN_MIRROR           default http://deb.debian.org/debian
# Needs root; installs debootstrap when it is missing (scripts/install-deps.sh fresh-root).
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${RISKBRIDGE_ROOT_CACHE:-/var/tmp/riskbridge-debian12}
max_age_days=${RISKBRIDGE_ROOT_MAX_AGE_DAYS:-7}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball="$cache/bookworm-minbase.tar"

say() { echo "debian-root: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "needs root (debootstrap and chroot)"
  exit 1
fi

mkdir -p "$cache"
chmod 700 "$cache"
exec 9>"$cache/lock"
flock 9 # one maker at a time; a second caller waits, then finds the fresh tarball

fresh() {
  [ -s "$tarball" ] && [ -z "$(find "$tarball" -mmin +$((max_age_days * 24 * 60)) 2>/dev/null)" ]
}

if ! fresh; then
  ./scripts/install-deps.sh fresh-root >&2
  work=$(mktemp -d "$cache/make.XXXXXX")
  trap 'rm -rf --one-file-system "$work"' EXIT
  start=$SECONDS
  say "making a minimal Debian 12 root with debootstrap from $mirror"
  if ! debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    say "debootstrap failed"
    exit 1
  fi
  cat >"$work/root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  mkdir -p "$work/root/var/lib/apt/lists/partial"
  tar --numeric-owner --xattrs -C "$work/root" -cf "$work/root.tar" .
  mv -f "$work/root.tar" "$tarball"
  say "made $tarball ($(du -h "$tarball" | cut -f1)) in $((SECONDS - start)) s"
fi
echo "$tarball"
