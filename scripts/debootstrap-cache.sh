#!/usr/bin/env bash
# Prints the path of a cached Debian root file system made by `debootstrap --variant=minbase SUITE`, building it
# first when it is missing (needs root and Debian's debootstrap; about 1-3 minutes from Debian's mirror). The scan
# tests pack it into an image: a real Debian, not a hand-written fixture. Built once per machine and reused.
# The cache is keyed by suite and variant; a build is made in a temporary directory and renamed into place when
# complete, so an interrupted build never leaves a half tree that later runs would take for a whole one.
# Usage: scripts/debootstrap-cache.sh [SUITE]   (default bookworm)
# Environment: BOLLARD_TEST_CACHE (default /var/cache/bollard-test), DEBIAN_MIRROR (default deb.debian.org).
set -euo pipefail
SUITE="${1:-bookworm}"
CACHE="${BOLLARD_TEST_CACHE:-/var/cache/bollard-test}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ROOT="$CACHE/debootstrap-$SUITE-minbase"
if [ -f "$ROOT/.complete" ]; then
  printf '%s\n' "$ROOT"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "debootstrap-cache: needs root to build $ROOT" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debootstrap-cache: Debian's debootstrap is not installed" >&2; exit 1; }
mkdir -p "$CACHE"
exec 9>"$CACHE/.debootstrap-$SUITE.lock"
flock 9 # two test JVMs building at once would race; the second one waits and then finds it built
if [ -f "$ROOT/.complete" ]; then
  printf '%s\n' "$ROOT"
  exit 0
fi
tmp="$CACHE/.building-$SUITE-minbase.$$"
rm -rf "$tmp" "$ROOT"
echo "debootstrap-cache: building $ROOT from $MIRROR (once per machine)" >&2
debootstrap --variant=minbase "$SUITE" "$tmp" "$MIRROR" >"$CACHE/debootstrap-$SUITE.log" 2>&1 \
  || { echo "debootstrap-cache: debootstrap failed; see $CACHE/debootstrap-$SUITE.log" >&2; rm -rf "$tmp"; exit 1; }
# apt's downloaded .deb files are not part of an installed system; images leave them out too.
rm -f "$tmp"/var/cache/apt/archives/*.deb
touch "$tmp/.complete"
mv "$tmp" "$ROOT"
printf '%s\n' "$ROOT"
