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

    /**
     * Points {@code tag} at {@code digest}, closing the previous assignment in the history.
     * <p>Concurrent changes of one tag, from this node or another sharing the database, take turns: each first
     * takes the tag's row (see {@link #takeRow}) and holds it until commit, and only then reads and writes the tag's
     * history. So the row lock and the primary key serialize every change of a tag, on H2 and on PostgreSQL alike;
     * no advisory lock is needed.
     */
    public static void set(Handle h, long repositoryId, String tag, String digest) {
        Optional<String> current = takeRow(h, repositoryId, tag, digest);
        if (current.isPresent() && current.get().equals(digest)) {
            return;
        }
        if (current.isPresent()) {
            h.createUpdate("UPDATE tag SET manifest_digest = :d, updated_at = :now WHERE repository_id = :r AND name = :t")
                    .bind("r", repositoryId).bind("t", tag).bind("d", digest).bind("now", Instant.now()).execute();
        }
        Instant now = nowAfterHistory(h, repositoryId, tag);
        endHistory(h, repositoryId, tag, now);
        h.createUpdate("""
                        INSERT INTO tag_history (repository_id, name, manifest_digest, lifetime_start)
                        VALUES (:r, :t, :d, :now)""")
                .bind("r", repositoryId).bind("t", tag).bind("d", digest).bind("now", now).execute();
    }

    /**
     * Takes the tag's row for this transaction: locks it ({@code FOR UPDATE}) and returns the digest it points at,
     * or, when the tag does not exist, inserts it pointing at {@code digest} and returns empty. Either way no other
     * transaction can change the tag until this one ends; one that waited for the lock then reads what this one
     * wrote (READ COMMITTED re-reads a row it waited for).
     * <p>When a concurrent transaction inserts the same new tag first, {@code ON CONFLICT DO NOTHING} inserts
     * nothing (on PostgreSQL after waiting for that transaction to commit) and the row is locked like any other.
     * This transaction is not aborted, so a whole push is not repeated for it; each turn of the loop waits for
     * another transaction to commit, so it cannot spin. (Where the database reports the conflict as an error
     * instead, {@link Database#inTransaction} retries the transaction.)
     */
    private static Optional<String> takeRow(Handle h, long repositoryId, String tag, String digest) {
        while (true) {
            Optional<String> current = h.createQuery(
                            "SELECT manifest_digest FROM tag WHERE repository_id = :r AND name = :t FOR UPDATE")
                    .bind("r", repositoryId).bind("t", tag).mapTo(String.class).findOne();
            if (current.isPresent()) {
                return current;
            }
            int inserted = h.createUpdate("""
                            INSERT INTO tag (repository_id, name, manifest_digest, updated_at) VALUES (:r, :t, :d, :now)
                            ON CONFLICT DO NOTHING""")
                    .bind("r", repositoryId).bind("t", tag).bind("d", digest).bind("now", Instant.now()).execute();
            if (inserted == 1) {
                return Optional.empty();
            }
        }
    }

    /** Deletes a tag; returns false when there was none. */
    public static boolean delete(Handle h, long repositoryId, String tag) {
        boolean deleted = h.createUpdate("DELETE FROM tag WHERE repository_id = :r AND name = :t")
                .bind("r", repositoryId).bind("t", tag).execute() > 0;
        if (deleted) {
            endHistory(h, repositoryId, tag, nowAfterHistory(h, repositoryId, tag));
        }
        return deleted;
    }

    /**
     * Closes the history of every tag pointing at {@code digest}, before the manifest and its tags are deleted (in
     * the same transaction; {@link ManifestDao#delete} calls it, and calling it again changes nothing).
     * <p>The manifest's row is locked first: a concurrent assignment of a tag to it (whose foreign key check needs
     * the row) either committed before, and its tag is found here, or waits, and fails once the manifest is gone
     * (and is retried, storing the manifest again). The tags are then locked like {@link #set} locks them, so a
     * concurrent move of one of them away from this manifest is either seen or waits.
     */
    public static void endHistoryOfTagsOn(Handle h, long repositoryId, String digest) {
        h.createQuery("SELECT id FROM manifest WHERE repository_id = :r AND digest = :d FOR UPDATE")
                .bind("r", repositoryId).bind("d", digest).mapTo(Long.class).findOne();
        List<String> tags = h.createQuery(
                        "SELECT name FROM tag WHERE repository_id = :r AND manifest_digest = :d FOR UPDATE")
                .bind("r", repositoryId).bind("d", digest).mapTo(String.class).list();
        for (String tag : tags) {
            endHistory(h, repositoryId, tag, nowAfterHistory(h, repositoryId, tag));
        }
    }

    /**
     * The time of a change to the tag's history: now, or the latest moment already in its history when that is
     * later (another node's clock running ahead of ours, or ours stepped back), so that lifetimes never overlap nor
     * end before they start. Called with the tag's row locked, or deleted or inserted by this transaction, so that
     * no other change to the tag's history is under way until this transaction ends.
     */
    private static Instant nowAfterHistory(Handle h, long repositoryId, String tag) {
        // The last assignment (by the index on lifetime_start) ends, if it has, after all others.
        Optional<Instant> latest = h.createQuery("""
                        SELECT COALESCE(lifetime_end, lifetime_start) FROM tag_history
                        WHERE repository_id = :r AND name = :t
                        ORDER BY lifetime_start DESC, id DESC
                        LIMIT 1""")
                .bind("r", repositoryId).bind("t", tag).mapTo(Instant.class).findOne();
        Instant now = Instant.now();
        return latest.isPresent() && latest.get().isAfter(now) ? latest.get() : now;
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

    /** A current tag: the manifest it points at, since when, and who pushed that (null: not recorded). */
    public record Current(String name, String digest, Instant since, String pushedBy) {
    }

    /** The repository's tags by name, each with the history row of its current assignment. */
    public static List<Current> current(Handle h, long repositoryId) {
        return h.createQuery("""
                        SELECT t.name, t.manifest_digest, COALESCE(th.lifetime_start, t.updated_at), th.pushed_by
                        FROM tag t
                        LEFT JOIN tag_history th ON th.repository_id = t.repository_id AND th.name = t.name
                                                 AND th.lifetime_end IS NULL
                        WHERE t.repository_id = :r
                        ORDER BY t.name""")
                .bind("r", repositoryId)
                .map((rs, ctx) -> new Current(rs.getString(1), rs.getString(2), instant(rs, 3), rs.getString(4)))
                .list();
    }

    /**
     * Records who pushed the tag's current assignment, unless it is recorded already (a push of the manifest the tag
     * points at anyway changes nothing: the assignment is the earlier push's). Called after {@link #set}.
     */
    public static void recordPusher(Handle h, long repositoryId, String tag, String pushedBy) {
        h.createUpdate("""
                        UPDATE tag_history SET pushed_by = :by
                        WHERE repository_id = :r AND name = :t AND lifetime_end IS NULL AND pushed_by IS NULL""")
                .bind("r", repositoryId).bind("t", tag).bind("by", pushedBy).execute();
    }

    /** One assignment of a tag, with who pushed it; {@code end} is null while it lasts. */
    public record Assignment(String name, String digest, Instant start, Instant end, String pushedBy) {
    }

    /** The assignments of one tag ({@code tag} null: of every tag), newest first, at most {@code limit}. */
    public static List<Assignment> assignments(Handle h, long repositoryId, String tag, int limit) {
        return h.createQuery("""
                        SELECT name, manifest_digest, lifetime_start, lifetime_end, pushed_by FROM tag_history
                        WHERE repository_id = :r AND (:all OR name = :t)
                        ORDER BY lifetime_start DESC, id DESC
                        LIMIT :limit""")
                .bind("r", repositoryId).bind("all", tag == null).bind("t", tag == null ? "" : tag).bind("limit", limit)
                .map((rs, ctx) -> new Assignment(rs.getString(1), rs.getString(2), instant(rs, 3), instant(rs, 4),
                        rs.getString(5)))
                .list();
    }

    private static Instant instant(java.sql.ResultSet rs, int column) throws java.sql.SQLException {
        java.time.OffsetDateTime t = rs.getObject(column, java.time.OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
