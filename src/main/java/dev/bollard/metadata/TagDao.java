package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** Tags and their history: every assignment is a history row whose lifetime ends when the tag moves or goes. */
public final class TagDao {
    private TagDao() {
    }

    public static Optional<String> digestOf(Handle h, long repositoryId, String tag) {
        return h.createQuery("SELECT manifest_digest FROM tag WHERE repository_id = :r AND name = :t")
                .bind("r", repositoryId).bind("t", tag).mapTo(String.class).findOne();
    }

    /** Points {@code tag} at {@code digest}, closing the previous assignment in the history. */
    public static void set(Handle h, long repositoryId, String tag, String digest) {
        Optional<String> current = h.createQuery(
                        "SELECT manifest_digest FROM tag WHERE repository_id = :r AND name = :t FOR UPDATE")
                .bind("r", repositoryId).bind("t", tag).mapTo(String.class).findOne();
        if (current.isPresent() && current.get().equals(digest)) {
            return;
        }
        Instant now = Instant.now();
        if (current.isPresent()) {
            h.createUpdate("UPDATE tag SET manifest_digest = :d, updated_at = :now WHERE repository_id = :r AND name = :t")
                    .bind("r", repositoryId).bind("t", tag).bind("d", digest).bind("now", now).execute();
        } else {
            h.createUpdate("INSERT INTO tag (repository_id, name, manifest_digest, updated_at) VALUES (:r, :t, :d, :now)")
                    .bind("r", repositoryId).bind("t", tag).bind("d", digest).bind("now", now).execute();
        }
        endHistory(h, repositoryId, tag, now);
        h.createUpdate("""
                        INSERT INTO tag_history (repository_id, name, manifest_digest, lifetime_start)
                        VALUES (:r, :t, :d, :now)""")
                .bind("r", repositoryId).bind("t", tag).bind("d", digest).bind("now", now).execute();
    }

    /** Deletes a tag; returns false when there was none. */
    public static boolean delete(Handle h, long repositoryId, String tag) {
        boolean deleted = h.createUpdate("DELETE FROM tag WHERE repository_id = :r AND name = :t")
                .bind("r", repositoryId).bind("t", tag).execute() > 0;
        if (deleted) {
            endHistory(h, repositoryId, tag, Instant.now());
        }
        return deleted;
    }

    /** Closes the history of every tag pointing at {@code digest}, before the manifest and its tags are deleted. */
    public static void endHistoryOfTagsOn(Handle h, long repositoryId, String digest) {
        h.createUpdate("""
                        UPDATE tag_history SET lifetime_end = :now
                        WHERE repository_id = :r AND lifetime_end IS NULL
                          AND name IN (SELECT name FROM tag WHERE repository_id = :r AND manifest_digest = :d)""")
                .bind("r", repositoryId).bind("d", digest).bind("now", Instant.now()).execute();
    }

    private static void endHistory(Handle h, long repositoryId, String tag, Instant now) {
        h.createUpdate("""
                        UPDATE tag_history SET lifetime_end = :now
                        WHERE repository_id = :r AND name = :t AND lifetime_end IS NULL""")
                .bind("r", repositoryId).bind("t", tag).bind("now", now).execute();
    }

    /** Tag names after {@code last} in byte order, at most {@code limit}. */
    public static List<String> list(Handle h, long repositoryId, String last, int limit) {
        return h.createQuery("SELECT name FROM tag WHERE repository_id = :r AND name > :last ORDER BY name LIMIT :limit")
                .bind("r", repositoryId).bind("last", last == null ? "" : last).bind("limit", limit)
                .mapTo(String.class).list();
    }
}
