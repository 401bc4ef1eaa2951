package dev.bollard.auth;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * What a costly check (an ES256 signature, an Argon2id derivation) found, remembered under a digest of its input
 * until it expires, so that the same input is not checked again on every request. Bounded: when full of live
 * entries, new ones are not remembered (their checks simply run again) rather than evicting the ones in use. The
 * caller keys it by a digest, never by the secret itself, and re-checks on a hit whatever can change before expiry.
 */
final class VerifiedCache<V> {
    /** How often a full cache may be swept for expired entries (a sweep walks every entry). */
    private static final long SWEEP_EVERY_MILLIS = 1_000;

    private record Entry<V>(V value, Instant expires) {
    }

    private final ConcurrentHashMap<String, Entry<V>> entries = new ConcurrentHashMap<>();
    private final int maxEntries;
    private final Clock clock;
    private final AtomicLong lastSweep = new AtomicLong();

    VerifiedCache(int maxEntries, Clock clock) {
        this.maxEntries = maxEntries;
        this.clock = clock;
    }

    /** The value remembered under {@code key}, unless it has expired. */
    @Nullable V get(String key) {
        Entry<V> e = entries.get(key);
        if (e == null) {
            return null;
        }
        if (!clock.instant().isBefore(e.expires)) {
            entries.remove(key, e);
            return null;
        }
        return e.value;
    }

    /** Remembers {@code value} under {@code key} until {@code expires}, when there is room. */
    void put(String key, V value, Instant expires) {
        Instant now = clock.instant();
        if (maxEntries <= 0 || !now.isBefore(expires)) {
            return;
        }
        if (entries.size() >= maxEntries && !entries.containsKey(key)) {
            long last = lastSweep.get();
            if (now.toEpochMilli() - last >= SWEEP_EVERY_MILLIS && lastSweep.compareAndSet(last, now.toEpochMilli())) {
                entries.values().removeIf(e -> !now.isBefore(e.expires));
            }
            if (entries.size() >= maxEntries) {
                return;
            }
        }
        entries.put(key, new Entry<>(value, expires));
    }

    void remove(String key) {
        entries.remove(key);
    }

    int size() {
        return entries.size();
    }
}
