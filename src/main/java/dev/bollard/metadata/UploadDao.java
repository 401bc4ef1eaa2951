package dev.bollard.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/** Upload sessions. */
public final class UploadDao {
    private UploadDao() {
    }

    private static final RowMapper<UploadRow> ROW = (rs, ctx) -> new UploadRow(rs.getString("id"),
            rs.getLong("repository_id"), rs.getLong("committed_size"),
            rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant());

    public static void insert(Handle h, String id, long repositoryId) {
        Instant now = Instant.now();
        h.createUpdate("""
                        INSERT INTO upload (id, repository_id, committed_size, created_at, updated_at)
                        VALUES (:id, :r, 0, :now, :now)""")
                .bind("id", id).bind("r", repositoryId).bind("now", now).execute();
    }

    /** The session, if it exists and belongs to the named repository. */
    public static Optional<UploadRow> find(Handle h, String repository, String id) {
        return h.createQuery("""
                        SELECT u.* FROM upload u JOIN repository r ON r.id = u.repository_id
                        WHERE u.id = :id AND r.name = :name""")
                .bind("id", id).bind("name", repository).map(ROW).findOne();
    }

    public static void updateSize(Handle h, String id, long committedSize) {
        h.createUpdate("UPDATE upload SET committed_size = :s, updated_at = :now WHERE id = :id")
                .bind("id", id).bind("s", committedSize).bind("now", Instant.now()).execute();
    }

    public static boolean delete(Handle h, String id) {
        return h.createUpdate("DELETE FROM upload WHERE id = :id").bind("id", id).execute() > 0;
    }

    public static boolean exists(Handle h, String id) {
        return h.createQuery("SELECT 1 FROM upload WHERE id = :id").bind("id", id).mapTo(Integer.class).findOne().isPresent();
    }

    /** Sessions not written since {@code before}. */
    public static List<String> idleSince(Handle h, Instant before) {
        return h.createQuery("SELECT id FROM upload WHERE updated_at < :before")
                .bind("before", before).mapTo(String.class).list();
    }
}
