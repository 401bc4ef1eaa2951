package dev.bollard.metadata;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * The keys that sign bearer tokens: JWK JSON with the private part, sealed by {@code dev.bollard.auth.KeyEncryption}
 * (rows from before encryption at rest hold the JSON itself until the next start seals them).
 */
public final class SigningKeyDao {
    private SigningKeyDao() {
    }

    public record SigningKey(String kid, String algorithm, String jwk, Instant createdAt, @Nullable Instant retiredAt) {
        @Override
        public String toString() { // never print the private key
            return "SigningKey[" + kid + " " + algorithm + ", created " + createdAt
                    + (retiredAt == null ? "" : ", retired " + retiredAt) + "]";
        }
    }

    public static void insert(Handle h, String kid, String algorithm, String jwk) {
        h.createUpdate("""
                        INSERT INTO signing_key (kid, algorithm, jwk, created_at) VALUES (:kid, :alg, :jwk, :now)""")
                .bind("kid", kid).bind("alg", algorithm).bind("jwk", jwk).bind("now", Instant.now()).execute();
    }

    /** Keys not retired, or retired after {@code retiredAfter}; newest first. */
    public static List<SigningKey> usable(Handle h, Instant retiredAfter) {
        return h.createQuery("""
                        SELECT kid, algorithm, jwk, created_at, retired_at FROM signing_key
                        WHERE retired_at IS NULL OR retired_at > :after
                        ORDER BY created_at DESC, kid""")
                .bind("after", retiredAfter)
                .map((rs, ctx) -> new SigningKey(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getObject(4, OffsetDateTime.class).toInstant(),
                        rs.getObject(5, OffsetDateTime.class) == null ? null
                                : rs.getObject(5, OffsetDateTime.class).toInstant()))
                .list();
    }

    /** Every key, also long retired ones. */
    public static List<SigningKey> all(Handle h) {
        return usable(h, Instant.EPOCH);
    }

    /**
     * Replaces a key's stored form (sealed under another key-encryption key) if it is still {@code expected}: two
     * nodes re-sealing at once both succeed, one of them changing nothing.
     */
    public static boolean replaceStoredForm(Handle h, String kid, String expected, String replacement) {
        return h.createUpdate("UPDATE signing_key SET jwk = :replacement WHERE kid = :kid AND jwk = :expected")
                .bind("kid", kid).bind("expected", expected).bind("replacement", replacement).execute() == 1;
    }

    public static void delete(Handle h, String kid) {
        h.createUpdate("DELETE FROM signing_key WHERE kid = :kid").bind("kid", kid).execute();
    }

    /** Retires every key still signing. */
    public static int retireActive(Handle h) {
        return h.createUpdate("UPDATE signing_key SET retired_at = :now WHERE retired_at IS NULL")
                .bind("now", Instant.now()).execute();
    }
}
