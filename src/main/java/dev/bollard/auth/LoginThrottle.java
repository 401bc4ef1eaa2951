package dev.bollard.auth;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.LoginFailureDao;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Counts failed logins per user name and client address; after {@code maxFailures} the pair is locked out for
 * {@code lockout} (even a correct password is refused then), and failures older than {@code lockout} are forgotten.
 * Failures are also counted per address alone, whatever the user names: after {@code maxFailuresPerAddress} the
 * address may no longer spend password derivations for {@code lockout} — a flood of random user names (each one
 * new to the per-user count, each costing a derivation against a dummy hash) would otherwise starve every login.
 *
 * <p>The counts live in the metadata database ({@code login_failure}), so every node of a cluster sees the same ones:
 * guesses spread over the nodes behind a load balancer lock out as they would on one node. A login reads both of its
 * rows in one query ({@link #state}); only a failure writes, and a success only when it has failures to forget.
 * Times are this node's clock (nodes are expected to keep theirs in sync, as tokens' expiry already needs).
 */
final class LoginThrottle {
    /** Longer names and addresses (or ones with control characters) are keyed by their SHA-256. */
    private static final int MAX_KEY = 128;

    private final Database db;
    private final int maxFailures;
    private final int maxFailuresPerAddress;
    private final Duration lockout;
    private final Clock clock;

    LoginThrottle(Database db, int maxFailures, int maxFailuresPerAddress, Duration lockout, Clock clock) {
        this.db = db;
        this.maxFailures = maxFailures;
        this.maxFailuresPerAddress = maxFailuresPerAddress;
        this.lockout = lockout;
        this.clock = clock;
    }

    /** What the database holds on a user name from an address, read once per login. */
    record State(String user, String address, long lockedFor, long addressLockedFor, boolean hasFailures) {
    }

    /** The counts of a user name from an address, as they stand now. */
    State state(String user, String address) {
        String u = key(user.toLowerCase(Locale.ROOT));
        String a = key(address);
        long locked = 0;
        long addressLocked = 0;
        boolean failures = false;
        Instant now = clock.instant();
        for (LoginFailureDao.Row row : db.read(h -> LoginFailureDao.find(h, u, a))) {
            if (row.kind().equals(LoginFailureDao.USER)) {
                locked = secondsLeft(row.lockedUntil(), now);
                failures = true;
            } else {
                addressLocked = secondsLeft(row.lockedUntil(), now);
            }
        }
        return new State(u, a, locked, addressLocked, failures);
    }

    private static long secondsLeft(@Nullable Instant lockedUntil, Instant now) {
        if (lockedUntil == null || !now.isBefore(lockedUntil)) {
            return 0;
        }
        return Math.max(1, Duration.between(now, lockedUntil).toSeconds());
    }

    /** Counts a failure; true when it is the one that spent the address's budget. */
    boolean failed(State state) {
        Instant now = clock.instant();
        Instant window = now.minus(lockout);
        Instant until = now.plus(lockout);
        return db.inTransaction(h -> {
            LoginFailureDao.fail(h, LoginFailureDao.USER, state.user(), state.address(), now, window, maxFailures, until);
            return LoginFailureDao.fail(h, LoginFailureDao.ADDRESS, "", state.address(), now, window,
                    maxFailuresPerAddress, until) == maxFailuresPerAddress;
        });
    }

    /**
     * A success clears the pair's count, not the address's: one valid account must not reset a flood's budget. No write
     * when the pair had no failures (the usual login).
     */
    void succeeded(State state) {
        if (state.hasFailures()) {
            db.inTransaction(h -> LoginFailureDao.reset(h, state.user(), state.address()));
        }
    }

    /** Deletes the counts that no longer count (the audit-prune worker calls it hourly); returns how many. */
    int prune() {
        Instant now = clock.instant();
        return db.inTransaction(h -> LoginFailureDao.prune(h, now, now.minus(lockout)));
    }

    /** A user name or address as stored: itself, or its SHA-256 when long or odd (PostgreSQL refuses NUL in text). */
    private static String key(String s) {
        return s.length() <= MAX_KEY && s.chars().noneMatch(c -> c < 0x20 || c == 0x7f) ? s
                : "sha256:" + Secrets.sha256(s);
    }
}
