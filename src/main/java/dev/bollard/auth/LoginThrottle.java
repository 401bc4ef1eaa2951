package dev.bollard.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Counts failed logins per user name and client address; after {@code maxFailures} the pair is locked out for
 * {@code lockout} (even a correct password is refused then), and failures older than {@code lockout} are forgotten.
 * Failures are also counted per address alone, whatever the user names: after {@code maxFailuresPerAddress} the
 * address may no longer spend password derivations for {@code lockout} — a flood of random user names (each one
 * new to the per-user count, each costing a derivation against a dummy hash) would otherwise starve every login.
 * Kept in memory, per node.
 */
final class LoginThrottle {
    private static final int PURGE_ABOVE = 10_000;

    private final int maxFailures;
    private final int maxFailuresPerAddress;
    private final Duration lockout;
    private final Clock clock;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Entry> addresses = new ConcurrentHashMap<>();

    private record Entry(int failures, Instant lastFailure, @Nullable Instant lockedUntil) {
    }

    LoginThrottle(int maxFailures, int maxFailuresPerAddress, Duration lockout, Clock clock) {
        this.maxFailures = maxFailures;
        this.maxFailuresPerAddress = maxFailuresPerAddress;
        this.lockout = lockout;
        this.clock = clock;
    }

    private static String key(String user, String address) {
        return user.toLowerCase(Locale.ROOT) + "\u0000" + address;
    }

    /** Seconds until the lockout of this pair ends; 0 when it is not locked out. */
    long lockedFor(String user, String address) {
        return secondsLeft(entries.get(key(user, address)));
    }

    /** Seconds until {@code address} may spend password derivations again; 0 when it may now. */
    long addressLockedFor(String address) {
        return secondsLeft(addresses.get(address));
    }

    private long secondsLeft(@Nullable Entry e) {
        Instant now = clock.instant();
        if (e == null || e.lockedUntil == null || !now.isBefore(e.lockedUntil)) {
            return 0;
        }
        return Math.max(1, Duration.between(now, e.lockedUntil).toSeconds());
    }

    /** Counts a failure; true when it is the one that spent the address's budget. */
    boolean failed(String user, String address) {
        Instant now = clock.instant();
        count(entries, key(user, address), maxFailures, now);
        return count(addresses, address, maxFailuresPerAddress, now) == maxFailuresPerAddress;
    }

    /** The failures counted for {@code key} now. */
    private int count(ConcurrentHashMap<String, Entry> counts, String key, int max, Instant now) {
        Entry counted = counts.compute(key, (k, e) -> {
            int failures = e == null || now.isAfter(e.lastFailure.plus(lockout)) ? 1 : e.failures + 1;
            return new Entry(failures, now, failures >= max ? now.plus(lockout) : null);
        });
        if (counts.size() > PURGE_ABOVE) {
            counts.values().removeIf(e -> now.isAfter(e.lastFailure.plus(lockout))
                    && (e.lockedUntil == null || now.isAfter(e.lockedUntil)));
        }
        return counted.failures();
    }

    /** A success clears the pair's count, not the address's: one valid account must not reset a flood's budget. */
    void succeeded(String user, String address) {
        entries.remove(key(user, address));
    }
}
