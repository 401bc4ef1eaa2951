package dev.bollard.metadata;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * Failed logins per user name and address ({@code kind} {@code user}) and per address ({@code address}, user name
 * ''), shared by every node (V20). Counting is one conditional UPDATE under the row's lock, so concurrent failures on
 * several nodes each count once.
 */
public final class LoginFailureDao {
    public static final String USER = "user";
    public static final String ADDRESS = "address";

    private LoginFailureDao() {
    }

    /** A count as stored: {@code lockedUntil} is set once the count reached its limit. */
    public record Row(String kind, int failures, Instant lastFailure, @Nullable Instant lockedUntil) {
    }

    /** The pair's row and the address's row, whichever exist, in one query (the only read of a login). */
    public static List<Row> find(Handle h, String username, String address) {
        return h.createQuery("""
                        SELECT kind, failures, last_failure, locked_until FROM login_failure
                        WHERE (kind = 'user' AND username = :u AND address = :a)
                           OR (kind = 'address' AND username = '' AND address = :a)""")
                .bind("u", username).bind("a", address)
                .map((rs, ctx) -> {
                    OffsetDateTime locked = rs.getObject(4, OffsetDateTime.class);
                    return new Row(rs.getString(1), rs.getInt(2), rs.getObject(3, OffsetDateTime.class).toInstant(),
                            locked == null ? null : locked.toInstant());
                })
                .list();
    }

    /** How often {@link #fail} tries again when a success deleted the row it was counting (see there). */
    private static final int ROUNDS = 1_000;

    /**
     * Counts a failure at {@code now}: a count whose last failure is before {@code windowStart} starts again at 1; the
     * count reaching {@code max} locks until {@code lockUntil}. Returns the count now. Run inside a transaction.
     * <p>
     * The row may vanish between the insert that makes sure it exists and the update that counts: a success of the
     * same user and address (on any node) deletes it ({@link #reset}), and concurrent HTTP requests with right and
     * wrong passwords did so (the HTTP fuzz run got a 500). An update that finds no row therefore inserts it again and
     * counts once more; once the update holds the row's lock, a reset waits for this transaction, and the count read
     * back is this one's.
     */
    public static int fail(Handle h, String kind, String username, String address, Instant now, Instant windowStart,
                           int max, Instant lockUntil) {
        // Each round ends once the insert finds no row and so inserts one, which no other transaction can delete before
        // this one commits; until then, a success of the same pair may delete the row between insert and update again
        // (five rounds were not enough for four threads doing only that on PostgreSQL: a CI run failed).
        for (int attempt = 0; attempt < ROUNDS; attempt++) {
            h.createUpdate("""
                            INSERT INTO login_failure (kind, username, address, failures, last_failure, locked_until)
                            VALUES (:k, :u, :a, 0, :epoch, NULL) ON CONFLICT DO NOTHING""")
                    .bind("k", kind).bind("u", username).bind("a", address).bind("epoch", Instant.EPOCH).execute();
            // Every right-hand side reads the row as it was before this UPDATE (standard SQL; H2 and PostgreSQL agree).
            int counted = h.createUpdate("""
                            UPDATE login_failure SET
                                failures = CASE WHEN last_failure < :window THEN 1 ELSE failures + 1 END,
                                locked_until = CASE WHEN (CASE WHEN last_failure < :window THEN 1 ELSE failures + 1 END) >= :max
                                                    THEN CAST(:until AS TIMESTAMP WITH TIME ZONE) ELSE NULL END,
                                last_failure = :now
                            WHERE kind = :k AND username = :u AND address = :a""")
                    .bind("window", windowStart).bind("max", max).bind("until", lockUntil).bind("now", now)
                    .bind("k", kind).bind("u", username).bind("a", address).execute();
            if (counted > 0) {
                return h.createQuery("SELECT failures FROM login_failure WHERE kind = :k AND username = :u AND address = :a")
                        .bind("k", kind).bind("u", username).bind("a", address).mapTo(Integer.class).one();
            }
        }
        throw new IllegalStateException("the failed-login count of " + kind + " was deleted " + ROUNDS
                + " times while counting");
    }

    /** Forgets the failures of a user name from an address (a success); true when there were some. */
    public static boolean reset(Handle h, String username, String address) {
        return h.createUpdate("DELETE FROM login_failure WHERE kind = 'user' AND username = :u AND address = :a")
                .bind("u", username).bind("a", address).execute() > 0;
    }

    /**
     * Deletes the counts that no longer count: last failure before {@code windowStart} (the next failure would start
     * again at 1) and no lockout after {@code now}; returns how many.
     */
    public static int prune(Handle h, Instant now, Instant windowStart) {
        return h.createUpdate("""
                        DELETE FROM login_failure
                        WHERE last_failure < :window AND (locked_until IS NULL OR locked_until <= :now)""")
                .bind("window", windowStart).bind("now", now).execute();
    }
}
