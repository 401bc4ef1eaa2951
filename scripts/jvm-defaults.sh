#!/usr/bin/env bash
# Prints the JVM options a Bollard server starts with when its user chose none of their kind, one per line:
# `./bollard serve` adds them, and bench/run starts Bollard with them ("as users run it").
#   - heap: 25% of the memory limit (the container's cgroup limit, else the machine's), at most 256 MiB (the live
#     data of a registry is small: its metadata lives in the database), starting small (-Xms32m);
#   - direct buffers (Jetty's pooled I/O buffers) bounded: half the heap, at least 64 MiB;
#   - G1, with a periodic full collection after 30 s without one (i.e. only when idle), which compacts the heap and
#     gives what a busy hour grew back to the system. (Keeping the heap tight with Min/MaxHeapFreeRatio instead
#     halved throughput: G1 then ran a marking cycle every few hundred ms; docs/benchmarks.md.)
# Options of each kind are left out when BOLLARD_JAVA_OPTS, JAVA_OPTS, JAVA_TOOL_OPTIONS or JDK_JAVA_OPTIONS set
# one (a heap size or RAM percentage, a direct-memory size, a collector). BOLLARD_JVM_DEFAULTS=off prints nothing.
set -euo pipefail
[ "${BOLLARD_JVM_DEFAULTS:-on}" = "off" ] && exit 0
given=" ${BOLLARD_JAVA_OPTS:-} ${JAVA_OPTS:-} ${JAVA_TOOL_OPTIONS:-} ${JDK_JAVA_OPTIONS:-} "
CAP_MIB=256

limit_mib() { # the cgroup (v2, then v1) memory limit, else MemTotal
  local l=""
  if [ -r /sys/fs/cgroup/memory.max ]; then
    l=$(cat /sys/fs/cgroup/memory.max)
  elif [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
    l=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
  fi
  if [[ "$l" =~ ^[0-9]+$ ]] && [ "$l" -lt $((1 << 50)) ]; then
    echo $((l / 1048576))
  else
    awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo
  fi
}

heap=""
case "$given" in
  *" -Xmx"*|*"MaxHeapSize="*|*"MaxRAMPercentage="*|*"MaxRAM="*|*"MaxRAMFraction="*) ;;
  *)
    heap=$(( $(limit_mib) / 4 ))
    [ "$heap" -gt "$CAP_MIB" ] && heap=$CAP_MIB
    [ "$heap" -lt 64 ] && heap=64
    echo "-Xmx${heap}m"
    case "$given" in *" -Xms"*|*"InitialHeapSize="*|*"InitialRAMPercentage="*) ;; *) echo "-Xms32m" ;; esac
    ;;
esac
case "$given" in
  *"MaxDirectMemorySize="*) ;;
  *)
    direct=$(( ${heap:-$CAP_MIB} / 2 ))
    [ "$direct" -lt 64 ] && direct=64
    echo "-XX:MaxDirectMemorySize=${direct}m"
    ;;
esac
case "$given" in
  *" -XX:+Use"*"GC "*) ;;
  *)
    echo "-XX:+UseG1GC"
    echo "-XX:G1PeriodicGCInterval=30000"
    echo "-XX:-G1PeriodicGCInvokesConcurrent"
    # G1's global marking stack is committed at its initial size once marking has run: 4M entries (32 MiB) by
    # default, an eighth of this heap. 512K entries hold a 256 MiB heap's marking; an overflow grows it (up to
    # MarkStackSizeMax), it never fails. NMT: the JVM's "GC" memory 42 -> 11 MiB (docs/benchmarks.md).
    case "$given" in *"MarkStackSize="*) ;; *) echo "-XX:MarkStackSize=512K" ;; esac
    ;;
esac
case "$given" in
  *"jdk.nio.maxCachedBufferSize="*) ;;
  *)
    # Every thread that writes a heap buffer to a channel keeps a temporary direct buffer of that size for reuse;
    # with 1 MiB blob pieces that was tens of MiB held by idle threads. Larger ones are now freed after use.
    echo "-Djdk.nio.maxCachedBufferSize=262144"
    ;;
esac
