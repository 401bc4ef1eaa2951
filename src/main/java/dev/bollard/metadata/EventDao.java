package dev.bollard.metadata;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

/**
 * The registry's events ({@code event}, {@code V11__events_webhooks.sql}), numbered without gaps in the order they
 * were published: a publisher locks the head row ({@link #lockHead}), numbers what it publishes after it and moves
 * the head, so publishers on several nodes take turns and the numbers follow commit order.
 */
public final class EventDao {
    private EventDao() {
    }

    /** One published event; {@code body} is its JSON in Bollard's format. */
    public record Row(long seq, long outboxId, String type, @Nullable String namespace, @Nullable String repository,
                      long occurredAt, String body) {
    }

    private static final String COLUMNS = "seq, outbox_id, type, namespace, repository, occurred_at, body";
    private static final RowMapper<Row> ROW = (rs, ctx) -> new Row(rs.getLong(1), rs.getLong(2), rs.getString(3),
            rs.getString(4), rs.getString(5), rs.getLong(6), rs.getString(7));

    /** Locks the head row until the transaction ends; returns the last number given out. */
    public static long lockHead(Handle h) {
        return h.createQuery("SELECT last_seq FROM event_head WHERE id = 1 FOR UPDATE").mapTo(Long.class).one();
    }

    /** The last number given out, read without a lock (the watch API starts there: "from now on"). */
    public static long head(Handle h) {
        return h.createQuery("SELECT last_seq FROM event_head WHERE id = 1").mapTo(Long.class).one();
    }

    public static void setHead(Handle h, long lastSeq) {
        h.createUpdate("UPDATE event_head SET last_seq = :seq WHERE id = 1").bind("seq", lastSeq).execute();
    }

    public static void insert(Handle h, Row r) {
        h.createUpdate("""
                        INSERT INTO event (seq, outbox_id, type, namespace, repository, occurred_at, body)
                        VALUES (:seq, :outbox, :type, :ns, :repo, :at, :body)""")
                .bind("seq", r.seq()).bind("outbox", r.outboxId()).bind("type", r.type()).bind("ns", r.namespace())
                .bind("repo", r.repository()).bind("at", r.occurredAt()).bind("body", r.body()).execute();
    }

    public static Optional<Row> find(Handle h, long seq) {
        return h.createQuery("SELECT " + COLUMNS + " FROM event "
                        + "WHERE seq = :seq")
                .bind("seq", seq)
                .map(ROW)
                .findOne();
    }

    /** Events after {@code afterSeq}, oldest first (a reader's cursor: the numbers have no gaps). */
    public static List<Row> after(Handle h, long afterSeq, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM event "
                        + "WHERE seq > :after ORDER BY seq LIMIT :n")
                .bind("after", afterSeq).bind("n", limit)
                .map(ROW)
                .list();
    }

    /** Deletes events that occurred before {@code beforeMillis}; returns how many. */
    public static int deleteBefore(Handle h, long beforeMillis) {
        return h.createUpdate("DELETE FROM event WHERE occurred_at < :before").bind("before", beforeMillis).execute();
    }
}
