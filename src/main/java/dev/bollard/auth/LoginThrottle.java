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
 * Kept in memory, per node.
 */
final class LoginThrottle {
    private static final int PURGE_ABOVE = 10_000;

    private final int maxFailures;
    private final Duration lockout;
    private final Clock clock;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    private record Entry(int failures, Instant lastFailure, @Nullable Instant lockedUntil) {
    }

    LoginThrottle(int maxFailures, Duration lockout, Clock clock) {
        this.maxFailures = maxFailures;
        this.lockout = lockout;
        this.clock = clock;
    }

    private static String key(String user, String address) {
        return user.toLowerCase(Locale.ROOT) + "\u0000" + address;
    }

    /** Seconds until the lockout of this pair ends; 0 when it is not locked out. */
    long lockedFor(String user, String address) {
        Entry e = entries.get(key(user, address));
        Instant now = clock.instant();
        if (e == null || e.lockedUntil == null || !now.isBefore(e.lockedUntil)) {
            return 0;
        }
        return Math.max(1, Duration.between(now, e.lockedUntil).toSeconds());
    }

    void failed(String user, String address) {
        Instant now = clock.instant();
        entries.compute(key(user, address), (k, e) -> {
            int failures = e == null || now.isAfter(e.lastFailure.plus(lockout)) ? 1 : e.failures + 1;
            return new Entry(failures, now, failures >= maxFailures ? now.plus(lockout) : null);
        });
        if (entries.size() > PURGE_ABOVE) {
            entries.values().removeIf(e -> now.isAfter(e.lastFailure.plus(lockout))
                    && (e.lockedUntil == null || now.isAfter(e.lockedUntil)));
        }
    }

    void succeeded(String user, String address) {
        entries.remove(key(user, address));
    }
}
