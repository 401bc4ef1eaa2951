package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

/** Retention policies of namespaces and repositories. */
public final class RetentionPolicyDao {
    private RetentionPolicyDao() {
    }

    /**
     * A policy: for the namespace or repository {@code scope} ({@code scopeKind} {@code namespace} or
     * {@code repository}), tags matching {@code tagPattern} are kept while among the newest {@code keepLast} or
     * younger than {@code keepDays} (a null limit is not applied).
     */
    public record Policy(long id, String scopeKind, String scope, String tagPattern, @Nullable Integer keepLast,
                         @Nullable Integer keepDays) {
    }

    private static final RowMapper<Policy> ROW = (rs, ctx) -> new Policy(rs.getLong("id"), rs.getString("scope_kind"),
            rs.getString("scope"), rs.getString("tag_pattern"), rs.getObject("keep_last", Integer.class),
            rs.getObject("keep_days", Integer.class));

    public static List<Policy> all(Handle h) {
        return h.createQuery("SELECT * FROM retention_policy ORDER BY scope_kind, scope, tag_pattern").map(ROW).list();
    }

    public static Optional<Policy> find(Handle h, long id) {
        return h.createQuery("SELECT * FROM retention_policy WHERE id = :id").bind("id", id).map(ROW).findOne();
    }

    /** Adds a policy, or replaces the limits of the one with the same scope and pattern; returns its id. */
    public static long put(Handle h, String scopeKind, String scope, String tagPattern,
                           @Nullable Integer keepLast, @Nullable Integer keepDays) {
        Optional<Long> existing = h.createQuery("""
                        SELECT id FROM retention_policy WHERE scope_kind = :k AND scope = :s AND tag_pattern = :p
                        FOR UPDATE""")
                .bind("k", scopeKind).bind("s", scope).bind("p", tagPattern).mapTo(Long.class).findOne();
        if (existing.isPresent()) {
            h.createUpdate("UPDATE retention_policy SET keep_last = :n, keep_days = :d WHERE id = :id")
                    .bind("id", existing.get()).bind("n", keepLast).bind("d", keepDays).execute();
            return existing.get();
        }
        return h.createUpdate("""
                        INSERT INTO retention_policy (scope_kind, scope, tag_pattern, keep_last, keep_days, created_at)
                        VALUES (:k, :s, :p, :n, :d, :now)""")
                .bind("k", scopeKind).bind("s", scope).bind("p", tagPattern).bind("n", keepLast).bind("d", keepDays)
                .bind("now", Instant.now()).executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    }

    public static boolean delete(Handle h, long id) {
        return h.createUpdate("DELETE FROM retention_policy WHERE id = :id").bind("id", id).execute() > 0;
    }
}
