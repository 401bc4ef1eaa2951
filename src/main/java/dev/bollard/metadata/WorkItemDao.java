package dev.bollard.metadata;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * The work queue's items ({@code work_item}, {@code V10__work_queue.sql}): enqueued per (queue, key), claimed by a
 * node under a lease, then deleted when done, put back to wait after a failure, or kept dead. Every change to a
 * claimed item names its holder, so a node whose lease lapsed (and whose item another node took) changes nothing.
 */
public final class WorkItemDao {
    private WorkItemDao() {
    }

    /** An item a node claimed: its {@code attempt}-th (counting this one). */
    public record Item(long id, String queue, String key, String payload, int attempt) {
    }

    /** An item as stored, whatever its state. */
    public record Row(long id, String queue, String key, String payload, String state, int attempts,
                      Instant availableAt, @Nullable String claimedBy, @Nullable Instant leaseUntil,
                      @Nullable String lastError) {
    }

    /** An item whose holder's lease lapsed. */
    public record Lapsed(long id, String key, int attempts, String claimedBy) {
    }

    /** Adds an item unless one with this key is pending already; true when added. */
    public static boolean enqueue(Handle h, String queue, String key, String payload, Instant now) {
        return enqueue(h, queue, key, payload, now, now);
    }

    /** As {@link #enqueue(Handle, String, String, String, Instant)}, due only at {@code availableAt}. */
    public static boolean enqueue(Handle h, String queue, String key, String payload, Instant now,
                                  Instant availableAt) {
        return enqueue(h, queue, key, null, payload, now, availableAt);
    }

    /**
     * As {@link #enqueue(Handle, String, String, String, Instant)}, due only at {@code availableAt}, the item of
     * {@code orderKey} (null: none), claimed by {@link #claimFairly}.
     */
    public static boolean enqueue(Handle h, String queue, String key, @Nullable String orderKey, String payload,
                                  Instant now, Instant availableAt) {
        return h.createUpdate("""
                        INSERT INTO work_item (queue, item_key, pending_key, order_key, payload, state, attempts,
                                               available_at, created_at)
                        VALUES (:q, :k, :k, :o, :p, 'pending', 0, :at, :now) ON CONFLICT DO NOTHING""")
                .bind("q", queue).bind("k", key).bind("o", orderKey).bind("p", payload).bind("now", now)
                .bind("at", availableAt).execute() > 0;
    }

    /**
     * Claims up to {@code limit} items due by {@code now}, oldest first, for {@code holder} until {@code leaseUntil}.
     * {@code SKIP LOCKED} lets nodes claiming at once take different items instead of waiting for each other; the
     * update's condition on the state makes a claim exclusive even so.
     */
    public static List<Item> claim(Handle h, String queue, String holder, int limit, Instant now, Instant leaseUntil) {
        List<Long> due = h.createQuery("""
                        SELECT id FROM work_item WHERE queue = :q AND state = 'pending' AND available_at <= :now
                        ORDER BY available_at, id LIMIT :n FOR UPDATE SKIP LOCKED""")
                .bind("q", queue).bind("now", now).bind("n", limit).mapTo(Long.class).list();
        return claimIds(h, due, holder, leaseUntil);
    }

    /**
     * Claims, for {@code holder} until {@code leaseUntil}, the next items due by {@code now} of an ordered queue: of
     * up to {@code keys} order keys that have none running (on any node), the keys whose oldest item is the oldest due,
     * at most {@code perKey} items each, at most {@code limit} in all, oldest first. One key's items run one claim at
     * a time, in order, and a key with a backlog (a slow webhook receiver) takes no more of a claim than any other.
     * Claims of the queue take turns under its row in {@code work_queue_claim}, so two nodes never both find a key
     * idle and claim its items at once.
     * <p>Each key's items come from its own range of the order index ({@code V28}): a window over every due item,
     * ranked per key and sorted, ran at each claim and was a tenth of a busy node's time with 10 webhooks behind a
     * backlog (bench's {@code webhooks} group), and so was a grouping of them.
     */
    public static List<Item> claimFairly(Handle h, String queue, String holder, int keys, int perKey, int limit,
                                         Instant now, Instant leaseUntil) {
        h.createUpdate("INSERT INTO work_queue_claim (queue) VALUES (:q) ON CONFLICT DO NOTHING").bind("q", queue)
                .execute();
        h.createQuery("SELECT queue FROM work_queue_claim WHERE queue = :q FOR UPDATE").bind("q", queue)
                .mapTo(String.class).one();
        // The turn taken above keeps other claims away meanwhile (the update's condition on the state still makes
        // each claim exclusive).
        Set<String> running = new HashSet<>(h.createQuery("""
                        SELECT DISTINCT order_key FROM work_item WHERE queue = :q AND state = 'running'""")
                .bind("q", queue).mapTo(String.class).list());
        // Each idle key's first items, found key by key: the keys one after another through the order index (a
        // seek each: no database here skips through an index by itself), then a key's first due items from its own
        // range of it. Ranking or grouping every due item instead cost a claim time in proportion to the backlog.
        record Firsts(List<Long> ids, Instant firstDue) {
        }
        List<Firsts> idle = new ArrayList<>();
        for (String key = firstKey(h, queue, null); key != null; key = firstKey(h, queue, key)) {
            if (running.contains(key)) {
                continue;
            }
            List<Long> ids = new ArrayList<>();
            Instant[] firstDue = new Instant[1];
            h.createQuery("""
                            SELECT id, available_at FROM work_item
                            WHERE queue = :q AND order_key = :k AND state = 'pending' AND available_at <= :now
                            ORDER BY available_at, id LIMIT :n""")
                    .bind("q", queue).bind("k", key).bind("now", now).bind("n", perKey)
                    .map((rs, ctx) -> {
                        if (firstDue[0] == null) {
                            firstDue[0] = rs.getTimestamp(2).toInstant();
                        }
                        return rs.getLong(1);
                    })
                    .forEach(ids::add);
            if (!ids.isEmpty()) {
                idle.add(new Firsts(ids, java.util.Objects.requireNonNull(firstDue[0])));
            }
        }
        idle.sort(java.util.Comparator.comparing(Firsts::firstDue).thenComparing(f -> f.ids().getFirst()));
        List<Long> due = new ArrayList<>();
        for (Firsts f : idle.subList(0, Math.min(keys, idle.size()))) {
            due.addAll(f.ids().subList(0, Math.min(f.ids().size(), limit - due.size())));
            if (due.size() >= limit) {
                break;
            }
        }
        return claimIds(h, due, holder, leaseUntil);
    }

    /** The smallest order key of {@code queue}'s items above {@code after} (null: from the first); null when none. */
    private static @Nullable String firstKey(Handle h, String queue, @Nullable String after) {
        if (after == null) {
            return h.createQuery("""
                            SELECT order_key FROM work_item WHERE queue = :q AND order_key IS NOT NULL
                            ORDER BY order_key LIMIT 1""")
                    .bind("q", queue).mapTo(String.class).findOne().orElse(null);
        }
        return h.createQuery("SELECT order_key FROM work_item WHERE queue = :q AND order_key > :after "
                        + "ORDER BY order_key LIMIT 1")
                .bind("q", queue).bind("after", after).mapTo(String.class).findOne().orElse(null);
    }

    /**
     * Takes the pending items {@code due} for {@code holder} (the ones still pending: the update's condition makes a
     * claim exclusive) in one update, and returns them oldest first.
     */
    private static List<Item> claimIds(Handle h, List<Long> due, String holder, Instant leaseUntil) {
        if (due.isEmpty()) {
            return List.of();
        }
        h.createUpdate("""
                        UPDATE work_item SET state = 'running', pending_key = NULL, attempts = attempts + 1,
                                             claimed_by = :holder, lease_until = :until
                        WHERE id IN (<ids>) AND state = 'pending'""")
                .bindList("ids", due).bind("holder", holder).bind("until", leaseUntil).execute();
        // Ours are the ones running for this holder: none of them ran for it before this claim, as they were pending
        // when found under the claim's locks (the rows, or the ordered queue's turn).
        return h.createQuery("""
                        SELECT id, queue, item_key, payload, attempts FROM work_item
                        WHERE id IN (<ids>) AND state = 'running' AND claimed_by = :holder
                        ORDER BY available_at, id""")
                .bindList("ids", due).bind("holder", holder)
                .map((rs, ctx) -> new Item(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getInt(5)))
                .list();
    }

    /** Extends {@code holder}'s lease on the item; false when it is no longer theirs. */
    public static boolean renew(Handle h, long id, String holder, Instant leaseUntil) {
        return h.createUpdate("""
                        UPDATE work_item SET lease_until = :until
                        WHERE id = :id AND state = 'running' AND claimed_by = :holder""")
                .bind("id", id).bind("holder", holder).bind("until", leaseUntil).execute() > 0;
    }

    /**
     * Deletes the queue's waiting and dead items whose key starts with {@code keyPrefix} (what they were for is gone);
     * the number deleted. Running items are left to their holder, who finds it gone.
     */
    public static int dropWaiting(Handle h, String queue, String keyPrefix) {
        return h.createUpdate("""
                        DELETE FROM work_item WHERE queue = :queue AND state IN ('pending', 'dead')
                          AND item_key LIKE :prefix""" + LikePattern.ESCAPE)
                .bind("queue", queue).bind("prefix", LikePattern.startingWith(keyPrefix))
                .execute();
    }

    /** Deletes the item {@code holder} finished; false when it is no longer theirs. */
    public static boolean complete(Handle h, long id, String holder) {
        return h.createUpdate("DELETE FROM work_item WHERE id = :id AND state = 'running' AND claimed_by = :holder")
                .bind("id", id).bind("holder", holder).execute() > 0;
    }

    /**
     * Puts {@code holder}'s item back to wait until {@code availableAt}, or deletes it when an item with its key is
     * pending already (enqueued while this one ran; that one does the work). False when it is no longer theirs.
     */
    public static boolean retry(Handle h, long id, String holder, Instant availableAt, String error) {
        if (pendingTwinExists(h, id)) {
            return complete(h, id, holder);
        }
        return h.createUpdate("""
                        UPDATE work_item SET state = 'pending', pending_key = item_key, available_at = :at,
                                             claimed_by = NULL, lease_until = NULL, last_error = :error
                        WHERE id = :id AND state = 'running' AND claimed_by = :holder""")
                .bind("id", id).bind("holder", holder).bind("at", availableAt).bind("error", error).execute() > 0;
    }

    /** Keeps {@code holder}'s item as dead with its last error; false when it is no longer theirs. */
    public static boolean bury(Handle h, long id, String holder, String error) {
        return h.createUpdate("""
                        UPDATE work_item SET state = 'dead', claimed_by = NULL, lease_until = NULL, last_error = :error
                        WHERE id = :id AND state = 'running' AND claimed_by = :holder""")
                .bind("id", id).bind("holder", holder).bind("error", error).execute() > 0;
    }

    /** Locks and returns the running items of {@code queue} whose lease lapsed before {@code now}. */
    public static List<Lapsed> lapsed(Handle h, String queue, Instant now) {
        return h.createQuery("""
                        SELECT id, item_key, attempts, claimed_by FROM work_item
                        WHERE queue = :q AND state = 'running' AND lease_until < :now
                        ORDER BY id FOR UPDATE SKIP LOCKED""")
                .bind("q", queue).bind("now", now)
                .map((rs, ctx) -> new Lapsed(rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getString(4)))
                .list();
    }

    /** True when another item with the key of item {@code id} is pending in its queue. */
    private static boolean pendingTwinExists(Handle h, long id) {
        return h.createQuery("""
                        SELECT 1 FROM work_item t JOIN work_item w ON t.queue = w.queue AND t.pending_key = w.item_key
                        WHERE w.id = :id AND t.id <> :id""")
                .bind("id", id).mapTo(Integer.class).findOne().isPresent();
    }

    /** The items of {@code queue} in {@code state}, oldest first. */
    public static List<Row> inState(Handle h, String queue, String state) {
        return h.createQuery("""
                        SELECT id, queue, item_key, payload, state, attempts, available_at, claimed_by, lease_until,
                               last_error
                        FROM work_item WHERE queue = :q AND state = :s ORDER BY id""")
                .bind("q", queue).bind("s", state).map((rs, ctx) -> row(rs)).list();
    }

    /** When the longest-due item of {@code queue} that waits or runs became due; null when none is due. */
    public static @Nullable Instant oldestDue(Handle h, String queue, Instant now) {
        return h.createQuery("""
                        SELECT MIN(available_at) FROM work_item
                        WHERE queue = :q AND state <> 'dead' AND available_at <= :now""")
                .bind("q", queue).bind("now", now).map((rs, ctx) -> rs.getTimestamp(1)).findOne()
                .map(Timestamp::toInstant).orElse(null);
    }

    /** How many items of {@code queue} wait or run (the dead ones left out). */
    public static long waiting(Handle h, String queue) {
        return h.createQuery("SELECT COUNT(*) FROM work_item WHERE queue = :q AND state <> 'dead'")
                .bind("q", queue).mapTo(Long.class).one();
    }

    private static Row row(ResultSet rs) throws SQLException {
        return new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getInt(6), rs.getTimestamp(7).toInstant(), rs.getString(8),
                Optional.ofNullable(rs.getTimestamp(9)).map(Timestamp::toInstant).orElse(null), rs.getString(10));
    }
}
