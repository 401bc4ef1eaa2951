package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/** A user's application tokens and refresh tokens, stored as hashes and found by them. */
public final class UserTokenDao {
    private UserTokenDao() {
    }

    public record UserToken(long id, long userId, String kind, String name, @Nullable Long parentId) {
    }

    public static long insert(Handle h, long userId, String kind, String name, String tokenHash,
                              @Nullable Long parentId) {
        return h.createUpdate("""
                        INSERT INTO user_token (user_id, kind, name, token_hash, parent_id, created_at)
                        VALUES (:user, :kind, :name, :hash, :parent, :now)""")
                .bind("user", userId).bind("kind", kind).bind("name", name).bind("hash", tokenHash)
                .bind("parent", parentId).bind("now", Instant.now())
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    }

    public static Optional<UserToken> findByHash(Handle h, String tokenHash) {
        return h.createQuery("SELECT id, user_id, kind, name, parent_id FROM user_token WHERE token_hash = :hash")
                .bind("hash", tokenHash)
                .map((rs, ctx) -> new UserToken(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                        rs.getObject(5, Long.class)))
                .findOne();
    }

    public static void touch(Handle h, long id) {
        h.createUpdate("UPDATE user_token SET last_used_at = :now WHERE id = :id").bind("now", Instant.now())
                .bind("id", id).execute();
    }

    /** Names of the user's application tokens. */
    public static List<String> appTokenNames(Handle h, long userId) {
        return h.createQuery("SELECT name FROM user_token WHERE user_id = :user AND kind = 'app' ORDER BY name")
                .bind("user", userId).mapTo(String.class).list();
    }

    /** Revokes the user's application token(s) of that name, and the refresh tokens obtained with them. */
    public static int deleteApp(Handle h, long userId, String name) {
        return h.createUpdate("DELETE FROM user_token WHERE user_id = :user AND kind = 'app' AND name = :name")
                .bind("user", userId).bind("name", name).execute();
    }

    /** Deletes the refresh token with this hash when it was last used (never used: created) before {@code cutoff}. */
    public static boolean deleteIfIdle(Handle h, String tokenHash, Instant cutoff) {
        return h.createUpdate("""
                        DELETE FROM user_token
                        WHERE token_hash = :hash AND kind = 'refresh' AND COALESCE(last_used_at, created_at) < :cutoff""")
                .bind("hash", tokenHash).bind("cutoff", cutoff).execute() > 0;
    }

    /** Revokes every refresh token of the user (after a password change). */
    public static int deleteRefreshTokens(Handle h, long userId) {
        return h.createUpdate("DELETE FROM user_token WHERE user_id = :user AND kind = 'refresh'")
                .bind("user", userId).execute();
    }
}
