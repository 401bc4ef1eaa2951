package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

/** Upload sessions. */
public final class UploadDao {
    private UploadDao() {
    }

    private static final RowMapper<UploadRow> ROW = (rs, ctx) -> new UploadRow(rs.getString("id"),
            rs.getLong("repository_id"), rs.getLong("committed_size"),
            rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant(),
            rs.getString("store_state"), rs.getString("hash_state"));

    public static void insert(Handle h, String id, long repositoryId, String storeState) {
        Instant now = Instant.now();
        h.createUpdate("""
                        INSERT INTO upload (id, repository_id, committed_size, created_at, updated_at, store_state)
                        VALUES (:id, :r, 0, :now, :now, :state)""")
                .bind("id", id).bind("r", repositoryId).bind("now", now).bind("state", storeState).execute();
    }

    /** The session, if it exists and belongs to the named repository. */
    public static Optional<UploadRow> find(Handle h, String repository, String id) {
        return h.createQuery("""
                        SELECT u.* FROM upload u JOIN repository r ON r.id = u.repository_id
                        WHERE u.id = :id AND r.name = :name""")
                .bind("id", id).bind("name", repository).map(ROW).findOne();
    }

    /**
     * Moves a session from {@code fromSize} to {@code toSize} bytes with the states that describe them; false when the
     * session is gone or another request (on any node) moved it first.
     */
    public static boolean advance(Handle h, String id, long fromSize, long toSize, String storeState,
                                  @Nullable String hashState) {
        return h.createUpdate("""
                        UPDATE upload SET committed_size = :to, store_state = :state, hash_state = :hash, updated_at = :now
                        WHERE id = :id AND committed_size = :from""")
                .bind("id", id).bind("from", fromSize).bind("to", toSize).bind("state", storeState)
                .bind("hash", hashState).bind("now", Instant.now()).execute() > 0;
    }

    public static boolean delete(Handle h, String id) {
        return h.createUpdate("DELETE FROM upload WHERE id = :id").bind("id", id).execute() > 0;
    }

    public static boolean exists(Handle h, String id) {
        return h.createQuery("SELECT 1 FROM upload WHERE id = :id").bind("id", id).mapTo(Integer.class).findOne().isPresent();
    }

    /** Unfinished sessions of a repository. */
    public static int countOpen(Handle h, String repository) {
        return h.createQuery("""
                        SELECT COUNT(*) FROM upload u JOIN repository r ON r.id = u.repository_id WHERE r.name = :name""")
                .bind("name", repository).mapTo(Integer.class).one();
    }

    /** Sessions of a repository not written since {@code before}. */
    public static List<String> idleInRepository(Handle h, String repository, Instant before) {
        return h.createQuery("""
                        SELECT u.id FROM upload u JOIN repository r ON r.id = u.repository_id
                        WHERE r.name = :name AND u.updated_at < :before""")
                .bind("name", repository).bind("before", before).mapTo(String.class).list();
    }

    /** Every session (for an account of the open ones). */
    public static List<UploadRow> all(Handle h) {
        return h.createQuery("SELECT * FROM upload ORDER BY updated_at").map(ROW).list();
    }

    /** Sessions not written since {@code before}. */
    public static List<String> idleSince(Handle h, Instant before) {
        return h.createQuery("SELECT id FROM upload WHERE updated_at < :before")
                .bind("before", before).mapTo(String.class).list();
    }
}
