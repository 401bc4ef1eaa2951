package dev.bollard.metadata;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Update;
import org.jspecify.annotations.Nullable;

/**
 * Pull counts (V21): per repository, manifest, tag and day. Every write adds to what is stored (a row is created at
 * 0 first, then incremented under its row lock), so nodes sharing the database never overwrite each other's counts.
 */
public final class PullStatsDao {
    private PullStatsDao() {
    }

    /** A count and when it last grew. */
    public record Count(long pulls, Instant lastPulledAt) {
    }

    /** One day's pulls. */
    public record Day(LocalDate day, long pulls) {
    }

    public static void addToRepository(Handle h, long repositoryId, long pulls, Instant last) {
        increment(h, "repository_pulls", null, null, repositoryId, pulls, last);
    }

    public static void addToManifest(Handle h, long repositoryId, String digest, long pulls, Instant last) {
        increment(h, "manifest_pulls", "digest", digest, repositoryId, pulls, last);
    }

    public static void addToTag(Handle h, long repositoryId, String tag, long pulls, Instant last) {
        increment(h, "tag_pulls", "tag", tag, repositoryId, pulls, last);
    }

    /**
     * Adds {@code pulls} to the row of {@code table} for the repository (and {@code keyColumn = key} when given),
     * created at 0 when missing; {@code last_pulled_at} only moves forward. The table and column names are this
     * class's constants, never input.
     */
    private static void increment(Handle h, String table, @Nullable String keyColumn, @Nullable String key,
                                  long repositoryId, long pulls, Instant last) {
        String keyed = keyColumn == null ? "" : " AND " + keyColumn + " = :k";
        Update insert = h.createUpdate("INSERT INTO " + table + " (repository_id, "
                        + (keyColumn == null ? "" : keyColumn + ", ") + "pulls, last_pulled_at) VALUES (:r, "
                        + (keyColumn == null ? "" : ":k, ") + "0, :last) ON CONFLICT DO NOTHING")
                .bind("r", repositoryId).bind("last", last);
        Update update = h.createUpdate("UPDATE " + table + """
                         SET pulls = pulls + :n,
                          last_pulled_at = CASE WHEN last_pulled_at < :last THEN CAST(:last AS TIMESTAMP WITH TIME ZONE)
                                                ELSE last_pulled_at END
                        WHERE repository_id = :r""" + keyed)
                .bind("r", repositoryId).bind("n", pulls).bind("last", last);
        if (keyColumn != null) {
            insert.bind("k", key);
            update.bind("k", key);
        }
        insert.execute();
        update.execute();
    }

    public static void addToDay(Handle h, long repositoryId, LocalDate day, long pulls) {
        h.createUpdate("""
                        INSERT INTO repository_pulls_daily (repository_id, pull_day, pulls) VALUES (:r, :d, 0)
                        ON CONFLICT DO NOTHING""").bind("r", repositoryId).bind("d", day).execute();
        h.createUpdate("UPDATE repository_pulls_daily SET pulls = pulls + :n WHERE repository_id = :r AND pull_day = :d")
                .bind("r", repositoryId).bind("d", day).bind("n", pulls).execute();
    }

    private static Count count(ResultSet rs, int from) throws SQLException {
        return new Count(rs.getLong(from), rs.getObject(from + 1, OffsetDateTime.class).toInstant());
    }

    /** The repository's count; empty when it was never pulled (or not since the counts were last flushed). */
    public static Optional<Count> ofRepository(Handle h, long repositoryId) {
        return h.createQuery("SELECT pulls, last_pulled_at FROM repository_pulls WHERE repository_id = :r")
                .bind("r", repositoryId).map((rs, ctx) -> count(rs, 1)).findOne();
    }

    /** The counts of the named repositories that were pulled, by name (for a listing). */
    public static Map<String, Count> ofRepositories(Handle h, List<String> names) {
        Map<String, Count> counts = new LinkedHashMap<>();
        if (!names.isEmpty()) {
            h.createQuery("""
                            SELECT r.name, p.pulls, p.last_pulled_at FROM repository_pulls p
                            JOIN repository r ON r.id = p.repository_id WHERE r.name IN (<names>)""")
                    .bindList("names", names).map((rs, ctx) -> Map.entry(rs.getString(1), count(rs, 2)))
                    .forEach(e -> counts.put(e.getKey(), e.getValue()));
        }
        return counts;
    }

    /** The counts of the repository's tags that were pulled, by tag. */
    public static Map<String, Count> ofTags(Handle h, long repositoryId) {
        Map<String, Count> counts = new LinkedHashMap<>();
        h.createQuery("SELECT tag, pulls, last_pulled_at FROM tag_pulls WHERE repository_id = :r ORDER BY tag")
                .bind("r", repositoryId).map((rs, ctx) -> Map.entry(rs.getString(1), count(rs, 2)))
                .forEach(e -> counts.put(e.getKey(), e.getValue()));
        return counts;
    }

    /** The count of one manifest of the repository. */
    public static Optional<Count> ofManifest(Handle h, long repositoryId, String digest) {
        return h.createQuery("SELECT pulls, last_pulled_at FROM manifest_pulls WHERE repository_id = :r AND digest = :d")
                .bind("r", repositoryId).bind("d", digest).map((rs, ctx) -> count(rs, 1)).findOne();
    }

    /** The days from {@code first} on with pulls, oldest first (days without pulls are absent). */
    public static List<Day> daily(Handle h, long repositoryId, LocalDate first) {
        return h.createQuery("""
                        SELECT pull_day, pulls FROM repository_pulls_daily WHERE repository_id = :r AND pull_day >= :first
                        ORDER BY pull_day""")
                .bind("r", repositoryId).bind("first", first)
                .map((rs, ctx) -> new Day(rs.getObject(1, LocalDate.class), rs.getLong(2))).list();
    }
}
