package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/** Repositories: created on first push, listed by the catalog. */
public final class RepositoryDao {
    private RepositoryDao() {
    }

    public static Optional<Long> findId(Handle h, String name) {
        return h.createQuery("SELECT id FROM repository WHERE name = :name")
                .bind("name", name).mapTo(Long.class).findOne();
    }

    /** The id of the repository, created when it does not exist (a concurrent creator makes the transaction retry). */
    public static long findOrCreate(Handle h, String name) {
        return findId(h, name).orElseGet(() -> h.createUpdate(
                        "INSERT INTO repository (name, created_at) VALUES (:name, :now)")
                .bind("name", name).bind("now", Instant.now())
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one());
    }

    /** The condition on {@code r} (a repository row) that a {@link RepositoryFilter} sets, bound by {@link #bindVisible}. */
    private static final String VISIBLE = """
            (:all
              OR (:public AND r.visibility = 'public')
              OR EXISTS (SELECT 1 FROM account a WHERE a.id = :user
                         AND LEFT(r.name, LENGTH(a.name) + 1) = a.name || '/')
              OR EXISTS (SELECT 1 FROM org_member om JOIN account o ON o.id = om.org_id
                         WHERE om.user_id = :user AND LEFT(r.name, LENGTH(o.name) + 1) = o.name || '/')
              OR EXISTS (SELECT 1 FROM repository_grant g WHERE g.repository_id = r.id
                         AND ((g.grantee_type = 'user' AND g.grantee_id = :user)
                           OR (g.grantee_type = 'robot' AND g.grantee_id = :robot))))
            """;

    private static Query bindVisible(Query q, RepositoryFilter filter) {
        return q.bind("all", filter.all()).bind("public", filter.publicRepositories())
                .bind("user", filter.userId() == null ? -1L : filter.userId())
                .bind("robot", filter.robotId() == null ? -1L : filter.robotId());
    }

    /**
     * Names of repositories holding at least one manifest, after {@code last} in byte order, at most {@code limit}.
     */
    public static List<String> listWithContent(Handle h, String last, int limit) {
        return listWithContent(h, last, limit, RepositoryFilter.ALL);
    }

    /**
     * As {@link #listWithContent(Handle, String, int)}, only the repositories {@code filter} lets the caller see; the
     * filter applies before the limit, so pages stay full and continue correctly.
     */
    public static List<String> listWithContent(Handle h, String last, int limit, RepositoryFilter filter) {
        return bindVisible(h.createQuery("""
                        SELECT r.name FROM repository r
                        WHERE r.name > :last
                          AND EXISTS (SELECT 1 FROM manifest m WHERE m.repository_id = r.id)
                          AND """ + VISIBLE + """
                        ORDER BY r.name
                        LIMIT :limit"""), filter)
                .bind("last", last == null ? "" : last).bind("limit", limit)
                .mapTo(String.class).list();
    }

    /**
     * A repository as a listing shows it: visibility, number of tags, the bytes of the blobs linked to it and of its
     * manifests, and when a tag was last pushed (or, for none, when it was created).
     */
    public record Summary(String name, boolean isPublic, int tags, long size, Instant lastPush) {
    }

    /**
     * The repositories {@code filter} lets the caller see whose name contains {@code search} (empty: all), by name,
     * at most {@code limit}.
     */
    public static List<Summary> summaries(Handle h, RepositoryFilter filter, String search, int limit) {
        return summaries(h, filter, search, null, limit);
    }

    /** The repository named {@code name}, when it exists (whoever may see it). */
    public static java.util.Optional<Summary> summary(Handle h, String name) {
        return summaries(h, RepositoryFilter.ALL, "", name, 1).stream().findFirst();
    }

    private static List<Summary> summaries(Handle h, RepositoryFilter filter, String search, String exact, int limit) {
        return bindVisible(h.createQuery("""
                        SELECT r.name, r.visibility,
                          (SELECT COUNT(*) FROM tag t WHERE t.repository_id = r.id) AS tags,
                          (SELECT COALESCE(SUM(b.size), 0) FROM repository_blob rb JOIN blob b ON b.digest = rb.digest
                            WHERE rb.repository_id = r.id)
                          + (SELECT COALESCE(SUM(m.size), 0) FROM manifest m WHERE m.repository_id = r.id) AS size,
                          COALESCE((SELECT MAX(th.lifetime_start) FROM tag_history th WHERE th.repository_id = r.id),
                                   r.created_at) AS last_push
                        FROM repository r
                        WHERE POSITION(:search IN r.name) > 0 AND (:any OR r.name = :exact)
                          AND """ + VISIBLE + """
                        ORDER BY r.name
                        LIMIT :limit"""), filter)
                .bind("search", search == null ? "" : search).bind("limit", limit)
                .bind("any", exact == null).bind("exact", exact == null ? "" : exact)
                .map((rs, ctx) -> new Summary(rs.getString(1), "public".equals(rs.getString(2)), rs.getInt(3),
                        rs.getLong(4), rs.getObject(5, java.time.OffsetDateTime.class).toInstant()))
                .list();
    }
}
