package dev.bollard.metadata;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * The outbox: the changes recorded in the transactions that made them, oldest first. The audit log appends them to
 * its chain ({@link #pendingAudit}, {@link #markAudited}); the event publisher turns them into events
 * ({@link #pendingPublication}, {@link #markPublished}).
 */
public final class OutboxDao {
    private OutboxDao() {
    }

    /** One recorded change; {@code occurredAt} in epoch milliseconds; namespace and repository may be null. */
    public record Row(long id, long occurredAt, String type, String actorKind, String actor, String ip, String userAgent,
                      @Nullable String namespace, @Nullable String repository, String details) {
    }

    private static final String COLUMNS = "id, occurred_at, type, actor_kind, actor, ip, user_agent, namespace, "
            + "repository, details";

    private static Row map(ResultSet rs) throws SQLException {
        return new Row(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10));
    }

    /** Adds a change (its {@code id} is ignored: the database numbers rows in the order they are inserted). */
    public static void insert(Handle h, Row r) {
        h.createUpdate("INSERT INTO outbox (occurred_at, type, actor_kind, actor, ip, user_agent, namespace, repository, "
                        + "details) VALUES (:at, :type, :kind, :actor, :ip, :ua, :ns, :repo, :details)")
                .bind("at", r.occurredAt()).bind("type", r.type()).bind("kind", r.actorKind()).bind("actor", r.actor())
                .bind("ip", r.ip()).bind("ua", r.userAgent()).bind("ns", r.namespace()).bind("repo", r.repository())
                .bind("details", r.details()).execute();
    }

    /** The committed changes not yet in the audit log, oldest first. */
    public static List<Row> pendingAudit(Handle h, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM outbox WHERE audited = FALSE ORDER BY id LIMIT :limit")
                .bind("limit", limit).map((rs, ctx) -> map(rs)).list();
    }

    public static void markAudited(Handle h, List<Long> ids) {
        h.createUpdate("UPDATE outbox SET audited = TRUE WHERE id IN (<ids>)").bindList("ids", ids).execute();
    }

    /** The committed changes not yet published as events, oldest first. */
    public static List<Row> pendingPublication(Handle h, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM outbox WHERE published = FALSE ORDER BY id LIMIT :limit")
                .bind("limit", limit).map((rs, ctx) -> map(rs)).list();
    }

    public static void markPublished(Handle h, List<Long> ids) {
        h.createUpdate("UPDATE outbox SET published = TRUE WHERE id IN (<ids>)").bindList("ids", ids).execute();
    }

    /**
     * Deletes changes recorded before {@code beforeMillis} that are both audited and published as events (so neither
     * reader loses a change to the prune); returns how many.
     */
    public static int deleteAuditedBefore(Handle h, long beforeMillis) {
        return h.createUpdate("DELETE FROM outbox WHERE audited = TRUE AND published = TRUE AND occurred_at < :before")
                .bind("before", beforeMillis).execute();
    }

}
