#!/usr/bin/env bash
# Prints the path of a cached, unpacked Keycloak distribution (org.keycloak:keycloak-quarkus-dist, the zip from Maven
# Central), fetching it first when it is missing: the OIDC tests start it (dev.bollard.testing.KeycloakServer, which builds
# a copy of it once for their options beside it, keycloak-VERSION-optimized-KEY, and starts that with --optimized).
# Fetched once per machine with Maven (dependency:copy, about 165 MB) and unpacked beside the zip; a fetch is made into a
# temporary directory and renamed into place when complete, so an interrupted one never passes for a whole one.
# Usage: scripts/keycloak-cache.sh [VERSION]   (default 26.5.6)
# Environment: BOLLARD_TEST_CACHE (default /var/cache/bollard-test).
set -euo pipefail
VERSION="${1:-26.5.6}"
CACHE="${BOLLARD_TEST_CACHE:-/var/cache/bollard-test}"
HOME_DIR="$CACHE/keycloak/keycloak-$VERSION"
if [ -f "$HOME_DIR/bin/kc.sh" ] && [ -f "$HOME_DIR/.complete" ]; then
  printf '%s\n' "$HOME_DIR"
  exit 0
fi
mkdir -p "$CACHE/keycloak"
exec 9>"$CACHE/keycloak/.fetch-$VERSION.lock"
flock 9 # two test JVMs fetching at once would race; the second one waits and then finds it fetched
if [ -f "$HOME_DIR/bin/kc.sh" ] && [ -f "$HOME_DIR/.complete" ]; then
  printf '%s\n' "$HOME_DIR"
  exit 0
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
zip="$CACHE/keycloak/keycloak-quarkus-dist-$VERSION.zip"
if [ ! -f "$zip" ]; then
  echo "keycloak-cache: fetching org.keycloak:keycloak-quarkus-dist:$VERSION:zip from Maven Central (once per machine)" >&2
  tmp="$CACHE/keycloak/.fetching.$$"
  mkdir -p "$tmp"
  ./mvnw -B -q org.apache.maven.plugins:maven-dependency-plugin:3.11.0:copy \
    -Dartifact="org.keycloak:keycloak-quarkus-dist:$VERSION:zip" -DoutputDirectory="$tmp" -Dtransitive=false >&2 \
    || { echo "keycloak-cache: the download failed" >&2; rm -rf "$tmp"; exit 1; }
  mv "$tmp/keycloak-quarkus-dist-$VERSION.zip" "$zip"
  rm -rf "$tmp"
fi
unpack="$CACHE/keycloak/.unpacking.$$"
rm -rf "$unpack" "$HOME_DIR"
mkdir -p "$unpack"
unzip -q "$zip" -d "$unpack"
touch "$unpack/keycloak-$VERSION/.complete"
mv "$unpack/keycloak-$VERSION" "$HOME_DIR"
rm -rf "$unpack"
printf '%s\n' "$HOME_DIR"
