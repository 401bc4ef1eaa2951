package dev.bollard.metadata;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/** The web UI's sign-in sessions, found by the SHA-256 of the cookie's value. */
public final class UiSessionDao {
    private UiSessionDao() {
    }

    public record Session(String idHash, long userId, String csrfToken, Instant lastSeenAt, Instant expiresAt) {
        @Override
        public String toString() { // never print the hash or the CSRF token
            return "Session[user " + userId + ", expires " + expiresAt + "]";
        }
    }

    public static void insert(Handle h, String idHash, long userId, String csrfToken, Instant now, Instant expiresAt) {
        h.createUpdate("""
                        INSERT INTO ui_session (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
                        VALUES (:id, :user, :csrf, :now, :now, :expires)""")
                .bind("id", idHash).bind("user", userId).bind("csrf", csrfToken).bind("now", now)
                .bind("expires", expiresAt).execute();
    }

    public static Optional<Session> find(Handle h, String idHash) {
        return h.createQuery("SELECT id_hash, user_id, csrf_token, last_seen_at, expires_at FROM ui_session WHERE id_hash = :id")
                .bind("id", idHash)
                .map((rs, ctx) -> new Session(rs.getString(1), rs.getLong(2), rs.getString(3),
                        rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getObject(5, OffsetDateTime.class).toInstant()))
                .findOne();
    }

    public static void touch(Handle h, String idHash, Instant now) {
        h.createUpdate("UPDATE ui_session SET last_seen_at = :now WHERE id_hash = :id").bind("now", now)
                .bind("id", idHash).execute();
    }

    public static void delete(Handle h, String idHash) {
        h.createUpdate("DELETE FROM ui_session WHERE id_hash = :id").bind("id", idHash).execute();
    }

    /** Ends every session of a user except the one {@code keptIdHash} names (none when null); returns how many. */
    public static int deleteOfUser(Handle h, long userId, @Nullable String keptIdHash) {
        return h.createUpdate("DELETE FROM ui_session WHERE user_id = :user AND id_hash <> :kept")
                .bind("user", userId).bind("kept", keptIdHash == null ? "" : keptIdHash).execute();
    }

    /** Deletes sessions past their end (absolute) or idle since before {@code idleSince}; returns how many. */
    public static int deleteExpired(Handle h, Instant now, Instant idleSince) {
        return h.createUpdate("DELETE FROM ui_session WHERE expires_at <= :now OR last_seen_at < :idle")
                .bind("now", now).bind("idle", idleSince).execute();
    }
}
