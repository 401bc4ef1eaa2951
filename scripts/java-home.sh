#!/usr/bin/env bash
# Prints the home of a JDK >= 21 (the oldest Bollard builds with) and exits 0, or explains and exits 1.
# Looks at $JAVA_HOME first, then `java` on the PATH, then the usual places JDKs are installed.
# Usage: JAVA_HOME="$(scripts/java-home.sh)" || exit 1
set -u
MIN=21

feature_version() { # $1 = a JDK home; prints its feature version (17, 21, 25, ...) or nothing
  local release="$1/release" v
  [ -x "$1/bin/javac" ] || return 0
  if [ -r "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  else
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  [ "$v" = "1" ] && v=8
  printf '%s' "$v"
}

candidates=()
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
if command -v javac >/dev/null 2>&1; then
  candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
fi
for d in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
  [ -d "$d" ] && candidates+=("$d")
done

best="" best_v=0
for c in "${candidates[@]}"; do
  v=$(feature_version "$c")
  [ -n "$v" ] || continue
  # $JAVA_HOME wins when it is new enough; otherwise take the newest JDK found.
  if [ "$c" = "${JAVA_HOME:-}" ] && [ "$v" -ge "$MIN" ]; then best="$c"; best_v="$v"; break; fi
  if [ "$v" -gt "$best_v" ]; then best="$c"; best_v="$v"; fi
done

if [ -z "$best" ] || [ "$best_v" -lt "$MIN" ]; then
  {
    echo "bollard: no JDK $MIN or newer found."
    echo "  looked at: \$JAVA_HOME (${JAVA_HOME:-unset}), javac on the PATH, /usr/lib/jvm, /opt/java, ~/.sdkman."
    [ -n "$best" ] && echo "  newest found: $best (Java $best_v), too old."
    echo "  install one (e.g. Temurin 21 or 25) and set JAVA_HOME to it."
  } >&2
  exit 1
fi
printf '%s\n' "$best"
