package dev.bollard.metadata;

import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/**
 * How much a repository, a namespace or the whole registry is used, for the usage charts: tags pushed and pulls per
 * UTC day, and the storage of each namespace. Each answer is one aggregate query over an index; nothing is written.
 * <p>The scope is a repository's exact name, a namespace (its repositories' names start with {@code ns/}), or
 * neither (the whole registry): {@code :repo} and {@code :ns} are '' when not used.
 */
public final class ActivityDao {
    private ActivityDao() {
    }

    /** The repositories of the scope, as a condition on {@code r}. */
    private static final String SCOPE = "(:repo = '' OR r.name = :repo)"
            + " AND (:ns = '' OR LEFT(r.name, LENGTH(:ns) + 1) = :ns || '/')";

    /**
     * Tags set per UTC day since {@code from} (days without any are absent): every assignment the tag history
     * records, a push that moved or created a tag, a restore, a mirror's or proxy's store; pushing what a tag points
     * at already records nothing, so counts nothing. Days are counted in the database from the epoch seconds, which
     * H2 and PostgreSQL both give in UTC whatever the session's time zone.
     */
    public static Map<LocalDate, Long> tagsPushedPerDay(Handle h, String repository, String namespace, Instant from) {
        Map<LocalDate, Long> days = new LinkedHashMap<>();
        h.createQuery("""
                        SELECT FLOOR(EXTRACT(EPOCH FROM th.lifetime_start) / 86400) AS epoch_day, COUNT(*)
                        FROM tag_history th JOIN repository r ON r.id = th.repository_id
                        WHERE th.lifetime_start >= :from AND\s""" + SCOPE + """

                        GROUP BY FLOOR(EXTRACT(EPOCH FROM th.lifetime_start) / 86400)""")
                .bind("from", from).bind("repo", repository).bind("ns", namespace)
                .map((rs, ctx) -> Map.entry(LocalDate.ofEpochDay(rs.getLong(1)), rs.getLong(2)))
                .forEach(e -> days.merge(e.getKey(), e.getValue(), Long::sum));
        return days;
    }

    /** Pulls per UTC day from {@code first} on, as flushed by the nodes (days without pulls are absent). */
    public static Map<LocalDate, Long> pullsPerDay(Handle h, String repository, String namespace, LocalDate first) {
        Map<LocalDate, Long> days = new LinkedHashMap<>();
        h.createQuery("""
                        SELECT d.pull_day, SUM(d.pulls)
                        FROM repository_pulls_daily d JOIN repository r ON r.id = d.repository_id
                        WHERE d.pull_day >= :first AND\s""" + SCOPE + """

                        GROUP BY d.pull_day""")
                .bind("first", first).bind("repo", repository).bind("ns", namespace)
                .map((rs, ctx) -> Map.entry(rs.getObject(1, LocalDate.class), rs.getLong(2)))
                .forEach(e -> days.merge(e.getKey(), e.getValue(), Long::sum));
        return days;
    }

    /** A namespace's storage: the bytes of the distinct blobs its repositories link, and its repositories. */
    public record NamespaceStorage(String namespace, long bytes, int repositories) {
    }

    /**
     * Every namespace that has a repository, largest first: the figure its quota counts (a blob linked by several of
     * its repositories counts once), in one pass over the blob links rather than one query per namespace.
     */
    public static List<NamespaceStorage> storageByNamespace(Handle h) {
        return h.createQuery("""
                        SELECT n.ns, COALESCE(s.bytes, 0), n.repositories FROM
                          (SELECT LEFT(name, POSITION('/' IN name) - 1) AS ns, COUNT(*) AS repositories
                           FROM repository WHERE POSITION('/' IN name) > 1
                           GROUP BY LEFT(name, POSITION('/' IN name) - 1)) n
                        LEFT JOIN
                          (SELECT l.ns, SUM(b.size) AS bytes FROM
                             (SELECT DISTINCT LEFT(r.name, POSITION('/' IN r.name) - 1) AS ns, rb.digest
                              FROM repository_blob rb JOIN repository r ON r.id = rb.repository_id
                              WHERE POSITION('/' IN r.name) > 1) l
                           JOIN blob b ON b.digest = l.digest
                           GROUP BY l.ns) s ON s.ns = n.ns
                        ORDER BY COALESCE(s.bytes, 0) DESC, n.ns""")
                .map((rs, ctx) -> new NamespaceStorage(rs.getString(1), rs.getLong(2), rs.getInt(3))).list();
    }
}
