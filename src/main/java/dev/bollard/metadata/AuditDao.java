package dev.bollard.metadata;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

/** The audit log's rows and the head of its hash chain. */
public final class AuditDao {
    private AuditDao() {
    }

    /** One stored entry; {@code occurredAt} in epoch milliseconds; namespace and repository may be null. */
    public record Entry(long seq, long occurredAt, String actorKind, String actor, String ip, String userAgent,
                        String action, @Nullable String namespace, @Nullable String repository, String details,
                        String prevHash,
                        String hash) {
    }

    /** The last entry written, and the anchor: the last entry pruned (seq 0 and the zero hash when none was). */
    public record Head(long lastSeq, String lastHash, long anchorSeq, String anchorHash) {
    }

    /** Which entries a query returns; null fields do not filter. {@code action} ending in {@code .} is a prefix. */
    public record Filter(@Nullable String actor, @Nullable String action, @Nullable String namespace,
                         @Nullable String repository, @Nullable Long sinceMillis, @Nullable Long untilMillis) {
        public static final Filter ALL = new Filter(null, null, null, null, null, null);
    }

    private static final String COLUMNS = "seq, occurred_at, actor_kind, actor, ip, user_agent, action, namespace, "
            + "repository, details, prev_hash, hash";

    private static Entry map(ResultSet rs) throws SQLException {
        return new Entry(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
                rs.getString(11), rs.getString(12));
    }

    private static Head mapHead(ResultSet rs) throws SQLException {
        return new Head(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4));
    }

    /**
     * Reads and locks the head for this transaction: appenders on every node take turns here, so sequence numbers
     * have no gaps and each entry links to the one written just before it.
     */
    public static Head lockHead(Handle h) {
        return h.createQuery("SELECT last_seq, last_hash, anchor_seq, anchor_hash FROM audit_head WHERE id = 1 FOR UPDATE")
                .map((rs, ctx) -> mapHead(rs)).one();
    }

    public static Head head(Handle h) {
        return h.createQuery("SELECT last_seq, last_hash, anchor_seq, anchor_hash FROM audit_head WHERE id = 1")
                .map((rs, ctx) -> mapHead(rs)).one();
    }

    public static void setHead(Handle h, long lastSeq, String lastHash) {
        h.createUpdate("UPDATE audit_head SET last_seq = :seq, last_hash = :hash WHERE id = 1")
                .bind("seq", lastSeq).bind("hash", lastHash).execute();
    }

    public static void setAnchor(Handle h, long anchorSeq, String anchorHash) {
        h.createUpdate("UPDATE audit_head SET anchor_seq = :seq, anchor_hash = :hash WHERE id = 1")
                .bind("seq", anchorSeq).bind("hash", anchorHash).execute();
    }

    public static void insert(Handle h, Entry e) {
        h.createUpdate("INSERT INTO audit_log (" + COLUMNS + ") VALUES (:seq, :at, :kind, :actor, :ip, :ua, :action, "
                        + ":ns, :repo, :details, :prev, :hash)")
                .bind("seq", e.seq()).bind("at", e.occurredAt()).bind("kind", e.actorKind()).bind("actor", e.actor())
                .bind("ip", e.ip()).bind("ua", e.userAgent()).bind("action", e.action()).bind("ns", e.namespace())
                .bind("repo", e.repository()).bind("details", e.details()).bind("prev", e.prevHash())
                .bind("hash", e.hash()).execute();
    }

    /** Entries matching the filter with {@code seq < before} (null: newest), newest first, at most {@code limit}. */
    public static List<Entry> query(Handle h, Filter f, @Nullable Long before, int limit) {
        return select(h, f, "seq < :before ORDER BY seq DESC", limit).bind("before", before == null ? Long.MAX_VALUE : before)
                .map((rs, ctx) -> map(rs)).list();
    }

    /** Entries matching the filter with {@code after < seq <= upTo}, oldest first, at most {@code limit}. */
    public static List<Entry> ascending(Handle h, Filter f, long after, long upTo, int limit) {
        return select(h, f, "seq > :after AND seq <= :upto ORDER BY seq", limit).bind("after", after).bind("upto", upTo)
                .map((rs, ctx) -> map(rs)).list();
    }

    private static Query select(Handle h, Filter f, String range, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM audit_log WHERE TRUE");
        if (f.actor() != null) {
            sql.append(" AND actor = :actor");
        }
        if (f.action() != null) {
            sql.append(f.action().endsWith(".") ? " AND LEFT(action, LENGTH(:action)) = :action" : " AND action = :action");
        }
        if (f.namespace() != null) {
            sql.append(" AND namespace = :ns");
        }
        if (f.repository() != null) {
            sql.append(" AND repository = :repo");
        }
        if (f.sinceMillis() != null) {
            sql.append(" AND occurred_at >= :since");
        }
        if (f.untilMillis() != null) {
            sql.append(" AND occurred_at < :until");
        }
        sql.append(" AND ").append(range).append(" LIMIT :limit");
        Query q = h.createQuery(sql.toString()).bind("limit", limit);
        if (f.actor() != null) {
            q.bind("actor", f.actor());
        }
        if (f.action() != null) {
            q.bind("action", f.action());
        }
        if (f.namespace() != null) {
            q.bind("ns", f.namespace());
        }
        if (f.repository() != null) {
            q.bind("repo", f.repository());
        }
        if (f.sinceMillis() != null) {
            q.bind("since", f.sinceMillis());
        }
        if (f.untilMillis() != null) {
            q.bind("until", f.untilMillis());
        }
        return q;
    }

    /** The newest entry written before {@code millis}, if any. */
    public static Optional<Entry> lastBefore(Handle h, long millis) {
        return h.createQuery("SELECT " + COLUMNS + " FROM audit_log WHERE occurred_at < :t ORDER BY seq DESC LIMIT 1")
                .bind("t", millis).map((rs, ctx) -> map(rs)).findOne();
    }

    /** Deletes the entries up to {@code seq}; returns how many. */
    public static int deleteUpTo(Handle h, long seq) {
        return h.createUpdate("DELETE FROM audit_log WHERE seq <= :seq").bind("seq", seq).execute();
    }
}
