package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

/** Per-namespace life-cycle settings: the time machine's window and the storage quota (null: not set). */
public final class NamespaceSettingsDao {
    private NamespaceSettingsDao() {
    }

    /** A namespace's settings; a null field falls back to the registry's default (window) or means none (quota). */
    public record Settings(String namespace, @Nullable Long historyWindowSeconds, @Nullable Long quotaBytes,
                           @Nullable Integer quotaWarnPercent) {
    }

    private static final RowMapper<Settings> ROW = (rs, ctx) -> new Settings(
            rs.getString("namespace"), rs.getObject("history_window_seconds", Long.class),
            rs.getObject("quota_bytes", Long.class), rs.getObject("quota_warn_percent", Integer.class));

    public static Optional<Settings> find(Handle h, String namespace) {
        return h.createQuery("SELECT * FROM namespace_settings WHERE namespace = :n")
                .bind("n", namespace).map(ROW).findOne();
    }

    public static List<Settings> all(Handle h) {
        return h.createQuery("SELECT * FROM namespace_settings ORDER BY namespace").map(ROW).list();
    }

    /** Namespaces with a quota. */
    public static List<Settings> withQuota(Handle h) {
        return h.createQuery("SELECT * FROM namespace_settings WHERE quota_bytes IS NOT NULL ORDER BY namespace")
                .map(ROW).list();
    }

    /** Writes all of a namespace's settings at once (read, change, write; the row is locked meanwhile). */
    public static void put(Handle h, Settings s) {
        boolean exists = h.createQuery("SELECT 1 FROM namespace_settings WHERE namespace = :n FOR UPDATE")
                .bind("n", s.namespace()).mapTo(Integer.class).findOne().isPresent();
        String sql = exists
                ? """
                  UPDATE namespace_settings SET history_window_seconds = :w, quota_bytes = :q, quota_warn_percent = :p,
                         updated_at = :now WHERE namespace = :n"""
                : """
                  INSERT INTO namespace_settings (namespace, history_window_seconds, quota_bytes, quota_warn_percent,
                                                  updated_at) VALUES (:n, :w, :q, :p, :now)""";
        h.createUpdate(sql).bind("n", s.namespace()).bind("w", s.historyWindowSeconds()).bind("q", s.quotaBytes())
                .bind("p", s.quotaWarnPercent()).bind("now", Instant.now()).execute();
    }

    /**
     * Bytes of the distinct blobs linked to the namespace's repositories: a blob shared by several of them counts
     * once.
     */
    public static long usage(Handle h, String namespace) {
        return h.createQuery("""
                        SELECT COALESCE(SUM(b.size), 0) FROM blob b
                        WHERE b.digest IN (SELECT rb.digest FROM repository_blob rb
                                           JOIN repository r ON r.id = rb.repository_id
                                           WHERE LEFT(r.name, LENGTH(:n) + 1) = :prefix)""")
                .bind("n", namespace).bind("prefix", namespace + "/").mapTo(Long.class).one();
    }

    /**
     * Bytes received by the unfinished upload sessions of the namespace's repositories, but {@code except}'s (the
     * session being checked, whose bytes the caller counts itself).
     */
    public static long stagedBytes(Handle h, String namespace, String except) {
        return h.createQuery("""
                        SELECT COALESCE(SUM(u.committed_size), 0) FROM upload u
                        JOIN repository r ON r.id = u.repository_id
                        WHERE LEFT(r.name, LENGTH(:n) + 1) = :prefix AND u.id <> :except""")
                .bind("n", namespace).bind("prefix", namespace + "/").bind("except", except)
                .mapTo(Long.class).one();
    }

    /** True when a repository of the namespace links the blob already (pushing it again costs no quota). */
    public static boolean linksBlob(Handle h, String namespace, String digest) {
        return h.createQuery("""
                        SELECT 1 FROM repository_blob rb JOIN repository r ON r.id = rb.repository_id
                        WHERE rb.digest = :d AND LEFT(r.name, LENGTH(:n) + 1) = :prefix
                        LIMIT 1""")
                .bind("d", digest).bind("n", namespace).bind("prefix", namespace + "/")
                .mapTo(Integer.class).findOne().isPresent();
    }
}
