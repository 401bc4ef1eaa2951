package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Handle;

/** Per-repository tag patterns whose tags cannot be moved or deleted once pushed. */
public final class ImmutableTagDao {
    private ImmutableTagDao() {
    }

    public static List<String> patterns(Handle h, long repositoryId) {
        return h.createQuery("SELECT pattern FROM immutable_tag_rule WHERE repository_id = :r ORDER BY pattern")
                .bind("r", repositoryId).mapTo(String.class).list();
    }

    /** Adds a rule; false when the repository has it already. */
    public static boolean add(Handle h, long repositoryId, String pattern) {
        return h.createUpdate("""
                        INSERT INTO immutable_tag_rule (repository_id, pattern, created_at) VALUES (:r, :p, :now)
                        ON CONFLICT DO NOTHING""")
                .bind("r", repositoryId).bind("p", pattern).bind("now", Instant.now()).execute() > 0;
    }

    /** Removes a rule; false when there was none. */
    public static boolean remove(Handle h, long repositoryId, String pattern) {
        return h.createUpdate("DELETE FROM immutable_tag_rule WHERE repository_id = :r AND pattern = :p")
                .bind("r", repositoryId).bind("p", pattern).execute() > 0;
    }
}
