package dev.bollard.metadata;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

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
     * no advisory lock is needed. The tag's row keeps the id of its open history row, which is closed by primary
     * key: constant time however long the history grows.
     */
    public static void set(Handle h, long repositoryId, String tag, String digest) {
        set(h, repositoryId, tag, digest, false);
    }

    /**
     * As {@link #set(Handle, long, String, String)}; with {@code refuseMove}, a tag that exists and points at another
     * manifest is left as it is (decided under the tag's row lock) and false is returned.
     */
    public static boolean set(Handle h, long repositoryId, String tag, String digest, boolean refuseMove) {
        Optional<Current> current = takeRow(h, repositoryId, tag, digest);
        if (current.isPresent() && current.get().digest().equals(digest)) {
            return true;
        }
        if (current.isPresent() && refuseMove) {
            return false;
        }
        Instant now = nowAfterHistory(h, repositoryId, tag, current.map(Current::historyId).orElse(null));
        current.ifPresent(c -> endHistory(h, repositoryId, tag, c.historyId(), now));
        long historyId = h.createUpdate("""
                        INSERT INTO tag_history (repository_id, name, manifest_digest, lifetime_start)
                        VALUES (:r, :t, :d, :now)""")
                .bind("r", repositoryId).bind("t", tag).bind("d", digest).bind("now", now)
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
        h.createUpdate("""
                        UPDATE tag SET manifest_digest = :d, updated_at = :now, history_id = :hid
                        WHERE repository_id = :r AND name = :t""")
                .bind("r", repositoryId).bind("t", tag).bind("d", digest).bind("now", now).bind("hid", historyId)
                .execute();
        return true;
    }

    /** A tag's row as {@link #takeRow} found it: the digest it points at and its open history row. */
    private record Current(String digest, @Nullable Long historyId) {
    }

    /**
     * Takes the tag's row for this transaction: locks it ({@code FOR UPDATE}) and returns what it points at, or,
     * when the tag does not exist, inserts it pointing at {@code digest} (without history yet) and returns empty.
     * Either way no other transaction can change the tag until this one ends; one that waited for the lock then
     * reads what this one wrote (READ COMMITTED re-reads a row it waited for).
     * <p>When a concurrent transaction inserts the same new tag first, {@code ON CONFLICT DO NOTHING} inserts
     * nothing (on PostgreSQL after waiting for that transaction to commit) and the row is locked like any other.
     * This transaction is not aborted, so a whole push is not repeated for it; each turn of the loop waits for
     * another transaction to commit, so it cannot spin. (Where the database reports the conflict as an error
     * instead, {@link Database#inTransaction} retries the transaction.)
     */
    private static Optional<Current> takeRow(Handle h, long repositoryId, String tag, String digest) {
        while (true) {
            Optional<Current> current = h.createQuery("""
                            SELECT manifest_digest, history_id FROM tag WHERE repository_id = :r AND name = :t
                            FOR UPDATE""")
                    .bind("r", repositoryId).bind("t", tag)
                    .map((rs, ctx) -> new Current(rs.getString(1), rs.getObject(2, Long.class))).findOne();
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

    /**
     * Deletes a tag (only the tag: the manifest stays), closing its history row so that the time machine can restore
     * it; returns the digest it pointed at, empty when there was no such tag.
     */
    public static Optional<String> delete(Handle h, long repositoryId, String tag) {
        return deleteIfPointsAt(h, repositoryId, tag, null);
    }

    /**
     * Deletes a tag when it points at {@code digest} (any manifest when null), decided under the tag's row lock;
     * returns the digest it pointed at, empty when it did not delete it.
     */
    public static Optional<String> deleteIfPointsAt(Handle h, long repositoryId, String tag, @Nullable String digest) {
        Optional<Current> current = h.createQuery("""
                        SELECT manifest_digest, history_id FROM tag WHERE repository_id = :r AND name = :t FOR UPDATE""")
                .bind("r", repositoryId).bind("t", tag)
                .map((rs, ctx) -> new Current(rs.getString(1), rs.getObject(2, Long.class))).findOne();
        if (current.isEmpty() || (digest != null && !current.get().digest().equals(digest))) {
            return Optional.empty();
        }
        boolean deleted = h.createUpdate("DELETE FROM tag WHERE repository_id = :r AND name = :t")
                .bind("r", repositoryId).bind("t", tag).execute() > 0;
        if (!deleted) {
            return Optional.empty();
        }
        Long historyId = current.get().historyId();
        endHistory(h, repositoryId, tag, historyId, nowAfterHistory(h, repositoryId, tag, historyId));
        return Optional.of(current.get().digest());
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
        List<Map.Entry<String, Long>> tags = h.createQuery(
                        "SELECT name, history_id FROM tag WHERE repository_id = :r AND manifest_digest = :d FOR UPDATE")
                .bind("r", repositoryId).bind("d", digest)
                .map((rs, ctx) -> Map.entry(rs.getString(1), Optional.ofNullable(rs.getObject(2, Long.class))
                        .orElse(-1L))).list();
        for (Map.Entry<String, Long> tag : tags) {
            Long historyId = tag.getValue() < 0 ? null : tag.getValue();
            endHistory(h, repositoryId, tag.getKey(), historyId,
                    nowAfterHistory(h, repositoryId, tag.getKey(), historyId));
        }
    }

    /**
     * The time of a change to the tag's history: now, or the latest moment already in its history when that is
     * later (another node's clock running ahead of ours, or ours stepped back), so that lifetimes never overlap nor
     * end before they start. Called with the tag's row locked, or deleted or inserted by this transaction, so that
     * no other change to the tag's history is under way until this transaction ends. With the open history row
     * known, its start is the latest moment (read by primary key); otherwise the last row by the index.
     */
    private static Instant nowAfterHistory(Handle h, long repositoryId, String tag, @Nullable Long openHistoryId) {
        Optional<Instant> latest = openHistoryId != null
                ? h.createQuery("SELECT lifetime_start FROM tag_history WHERE id = :id")
                        .bind("id", openHistoryId).mapTo(Instant.class).findOne()
                : h.createQuery("""
                        SELECT COALESCE(lifetime_end, lifetime_start) FROM tag_history
                        WHERE repository_id = :r AND name = :t
                        ORDER BY lifetime_start DESC, id DESC
                        LIMIT 1""")
                        .bind("r", repositoryId).bind("t", tag).mapTo(Instant.class).findOne();
        Instant now = Instant.now();
        return latest.isPresent() && latest.get().isAfter(now) ? latest.get() : now;
    }

    /**
     * Closes the open history row: by its id when the tag's row knows it, else (rows written before the tag knew
     * its history row) by searching the tag's history.
     */
    private static void endHistory(Handle h, long repositoryId, String tag, @Nullable Long historyId,
                                   Instant now) {
        if (historyId != null) {
            h.createUpdate("UPDATE tag_history SET lifetime_end = :now WHERE id = :id AND lifetime_end IS NULL")
                    .bind("id", historyId).bind("now", now).execute();
            return;
        }
        h.createUpdate("""
                        UPDATE tag_history SET lifetime_end = :now
                        WHERE repository_id = :r AND name = :t AND lifetime_end IS NULL""")
                .bind("r", repositoryId).bind("t", tag).bind("now", now).execute();
    }

    /**
     * One assignment of a tag: the manifest it pointed at, from {@code start} until {@code end} (null: still), and
     * the user or robot whose push made it ({@code pushedBy}, null when not recorded).
     */
    public record HistoryEntry(long id, String tag, String digest, Instant start, @Nullable Instant end,
                               @Nullable String pushedBy) {
    }

    private static final RowMapper<HistoryEntry> HISTORY = (rs, ctx) -> new HistoryEntry(
            rs.getLong("id"), rs.getString("name"), rs.getString("manifest_digest"),
            rs.getObject("lifetime_start", OffsetDateTime.class).toInstant(),
            Optional.ofNullable(rs.getObject("lifetime_end", OffsetDateTime.class))
                    .map(OffsetDateTime::toInstant).orElse(null), rs.getString("pushed_by"));

    /**
     * The history of one tag ({@code tag} non-null) or of the whole repository, newest first, at most {@code limit}
     * entries that started before {@code before} (null: any).
     */
    public static List<HistoryEntry> history(Handle h, long repositoryId, @Nullable String tag, @Nullable Instant before,
                                             int limit) {
        return h.createQuery("""
                        SELECT id, name, manifest_digest, lifetime_start, lifetime_end, pushed_by FROM tag_history
                        WHERE repository_id = :r AND (:anyTag OR name = :t) AND (:anyTime OR lifetime_start < :before)
                        ORDER BY lifetime_start DESC, id DESC
                        LIMIT :limit""")
                .bind("r", repositoryId).bind("t", tag == null ? "" : tag).bind("anyTag", tag == null)
                .bind("before", before == null ? Instant.EPOCH : before).bind("anyTime", before == null)
                .bind("limit", limit).map(HISTORY).list();
    }

    /** True when {@code tag} pointed at {@code digest} at some moment at or after {@code since} (or points now). */
    public static boolean pointedAtSince(Handle h, long repositoryId, String tag, String digest, Instant since) {
        return h.createQuery("""
                        SELECT 1 FROM tag_history
                        WHERE repository_id = :r AND name = :t AND manifest_digest = :d
                          AND (lifetime_end IS NULL OR lifetime_end >= :since)
                        LIMIT 1""")
                .bind("r", repositoryId).bind("t", tag).bind("d", digest).bind("since", since)
                .mapTo(Integer.class).findOne().isPresent();
    }

    /** The current tags with the manifest each points at and when it was set, in byte order of the names. */
    public static List<TagRow> all(Handle h, long repositoryId) {
        return h.createQuery("""
                        SELECT name, manifest_digest, updated_at FROM tag WHERE repository_id = :r ORDER BY name""")
                .bind("r", repositoryId)
                .map((rs, ctx) -> new TagRow(rs.getString(1), rs.getString(2),
                        rs.getObject(3, OffsetDateTime.class).toInstant())).list();
    }

    /** A current tag. */
    public record TagRow(String name, String digest, Instant updatedAt) {
    }

    /** Tag names after {@code last} in byte order, at most {@code limit}. */
    public static List<String> list(Handle h, long repositoryId, @Nullable String last, int limit) {
        return h.createQuery("SELECT name FROM tag WHERE repository_id = :r AND name > :last ORDER BY name LIMIT :limit")
                .bind("r", repositoryId).bind("last", last == null ? "" : last).bind("limit", limit)
                .mapTo(String.class).list();
    }

    /** A current tag: the manifest it points at, since when, and who pushed that (null: not recorded). */
    public record CurrentTag(String name, String digest, Instant since, @Nullable String pushedBy) {
    }

    /** The repository's tags by name, each with the history row of its current assignment. */
    public static List<CurrentTag> currentTags(Handle h, long repositoryId) {
        return h.createQuery("""
                        SELECT t.name, t.manifest_digest, COALESCE(th.lifetime_start, t.updated_at), th.pushed_by
                        FROM tag t LEFT JOIN tag_history th ON th.id = t.history_id
                        WHERE t.repository_id = :r
                        ORDER BY t.name""")
                .bind("r", repositoryId)
                .map((rs, ctx) -> new CurrentTag(rs.getString(1), rs.getString(2),
                        rs.getObject(3, OffsetDateTime.class).toInstant(), rs.getString(4)))
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
}
