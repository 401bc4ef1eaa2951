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
        return h.createQuery("""
                        SELECT r.name FROM repository r
                        WHERE r.name > :last
                          AND EXISTS (SELECT 1 FROM manifest m WHERE m.repository_id = r.id)
                        ORDER BY r.name
                        LIMIT :limit""")
                .bind("last", last == null ? "" : last).bind("limit", limit)
                .mapTo(String.class).list();
    }
}
