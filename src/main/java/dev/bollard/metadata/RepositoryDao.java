package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

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
        return h.createQuery("""
                        SELECT r.name FROM repository r
                        WHERE r.name > :last
                          AND EXISTS (SELECT 1 FROM manifest m WHERE m.repository_id = r.id)
                          AND (:all
                            OR (:public AND r.visibility = 'public')
                            OR EXISTS (SELECT 1 FROM account a WHERE a.id = :user
                                       AND LEFT(r.name, LENGTH(a.name) + 1) = a.name || '/')
                            OR EXISTS (SELECT 1 FROM org_member om JOIN account o ON o.id = om.org_id
                                       WHERE om.user_id = :user AND LEFT(r.name, LENGTH(o.name) + 1) = o.name || '/')
                            OR EXISTS (SELECT 1 FROM repository_grant g WHERE g.repository_id = r.id
                                       AND ((g.grantee_type = 'user' AND g.grantee_id = :user)
                                         OR (g.grantee_type = 'robot' AND g.grantee_id = :robot))))
                        ORDER BY r.name
                        LIMIT :limit""")
                .bind("last", last == null ? "" : last).bind("limit", limit)
                .bind("all", filter.all()).bind("public", filter.publicRepositories())
                .bind("user", filter.userId() == null ? -1L : filter.userId())
                .bind("robot", filter.robotId() == null ? -1L : filter.robotId())
                .mapTo(String.class).list();
    }
}
