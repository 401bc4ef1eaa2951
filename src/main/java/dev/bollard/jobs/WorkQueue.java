package dev.bollard.jobs;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.WorkItemDao;
import dev.bollard.metadata.WorkItemDao.Item;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable queue of per-item work in the database, shared by every node: enqueue an item by key (idempotent while
 * it waits), claim a few under a lease, then complete or fail each. A failed item waits longer after each attempt
 * and, after {@link Settings#maxAttempts()}, is kept dead with its last error. An item whose holder's lease lapsed
 * (the node died or hung) goes back to wait, {@link #reclaimLapsed()}, and another node retries it. A
 * {@link QueueWorker} drains one.
 */
public final class WorkQueue {

    private static final Logger LOG = LoggerFactory.getLogger(WorkQueue.class);

    /**
     * How a queue treats its items: a claim holds an item for {@code lease}; a failed item waits {@code retry}'s
     * back-off before its next attempt; after {@code maxAttempts} it is dead.
     */
    public record Settings(Duration lease, int maxAttempts, Duration firstRetry, Duration maxRetry) {
        public Settings {
            if (maxAttempts < 1 || lease.isNegative() || lease.isZero()) {
                throw new IllegalArgumentException("a work queue needs a lease and at least one attempt");
            }
        }
    }

    private final Database db;
    private final String name;
    private final Settings settings;
    private final BackOff backOff;
    private final String holder = UUID.randomUUID().toString();
    private final @Nullable Function<String, String> orderKeyOf;
    private final int perKey;

    /** A queue whose items run in any order. */
    public WorkQueue(Database db, String name, Settings settings) {
        this(db, name, settings, null, 0);
    }

    private WorkQueue(Database db, String name, Settings settings, @Nullable Function<String, String> orderKeyOf,
                      int perKey) {
        this.db = db;
        this.name = name;
        this.settings = settings;
        this.backOff = new BackOff(settings.firstRetry(), settings.maxRetry());
        this.orderKeyOf = orderKeyOf;
        this.perKey = perKey;
    }

    /**
     * A queue whose items of one order key ({@code orderKeyOf} an item's key: a webhook's deliveries) run one at a
     * time in order, on whichever node: a claim takes at most {@code perKey} items of each key and none of a key with
     * an item running, so a key with a backlog (a slow receiver) gets no more of a claim than any other, and another
     * claim need not wait for its items ({@link QueueWorker} claims again while they run).
     */
    public static WorkQueue ordered(Database db, String name, Settings settings, Function<String, String> orderKeyOf,
                                    int perKey) {
        if (perKey < 1) {
            throw new IllegalArgumentException("an ordered queue claims at least one item of a key");
        }
        return new WorkQueue(db, name, settings, orderKeyOf, perKey);
    }

    /** True when the items of one order key run one at a time in order ({@link #ordered}). */
    public boolean isOrdered() {
        return orderKeyOf != null;
    }

    /** The order key of {@code item} ("" for all items of a queue without order). */
    public String orderKey(Item item) {
        return orderKeyOf == null ? "" : orderKeyOf.apply(item.key());
    }

    private @Nullable String orderKeyOf(String key) {
        return orderKeyOf == null ? null : orderKeyOf.apply(key);
    }

    public String name() {
        return name;
    }

    /** Adds an item; nothing when one with {@code key} waits already. True when added. */
    public boolean enqueue(String key, String payload) {
        Instant now = Instant.now();
        return db.inTransaction(h -> WorkItemDao.enqueue(h, name, key, orderKeyOf(key), payload, now, now));
    }

    /**
     * Adds an item as part of the transaction of {@code h} (so it is enqueued exactly when what caused it commits);
     * nothing when one with {@code key} waits already. True when added.
     */
    public boolean enqueue(Handle h, String key, String payload) {
        Instant now = Instant.now();
        return WorkItemDao.enqueue(h, name, key, orderKeyOf(key), payload, now, now);
    }

    /**
     * As {@link #enqueue(Handle, String, String)}, due after {@code delay} (to collect what comes meanwhile under one
     * key: a batch); nothing when an item with {@code key} waits already.
     */
    public boolean enqueue(Handle h, String key, String payload, java.time.Duration delay) {
        Instant now = Instant.now();
        return WorkItemDao.enqueue(h, name, key, orderKeyOf(key), payload, now, now.plus(delay));
    }

    /**
     * Drops, in the transaction of {@code h}, the waiting and dead items whose key starts with {@code keyPrefix}: work
     * for something deleted in that transaction, which would otherwise be claimed only to find it gone (and hold up
     * the queue meanwhile). The number dropped.
     */
    public int dropWaiting(Handle h, String keyPrefix) {
        return WorkItemDao.dropWaiting(h, name, keyPrefix);
    }

    /** How many items wait or run (the queue's depth; dead items are not counted). */
    public long depth() {
        return db.read(h -> WorkItemDao.waiting(h, name));
    }

    /** How long the longest-due item has been due, in seconds (0 when nothing is due): how far the queue lags. */
    public double lagSeconds() {
        Instant now = Instant.now();
        Instant due = db.read(h -> WorkItemDao.oldestDue(h, name, now));
        return due == null ? 0 : Math.max(0, java.time.Duration.between(due, now).toMillis() / 1000.0);
    }

    /**
     * Claims up to {@code limit} items that are due, for this node, for one lease; of an {@link #ordered} queue, at most
     * its {@code perKey} of each order key, and none of a key that has an item running.
     */
    public List<Item> claim(int limit) {
        Instant now = Instant.now();
        Instant until = now.plus(settings.lease());
        return db.inTransaction(h -> orderKeyOf == null ? WorkItemDao.claim(h, name, holder, limit, now, until)
                : WorkItemDao.claimFairly(h, name, holder, limit, perKey, limit, now, until));
    }

    /**
     * Of an {@link #ordered} queue: claims the next items of up to {@code keys} order keys that have none running, at
     * most its {@code perKey} of each, for this node, for one lease — work for {@code keys} lanes
     * ({@link QueueWorker}), no more.
     */
    public List<Item> claimKeys(int keys) {
        if (orderKeyOf == null) {
            throw new IllegalStateException("a queue without order has no keys to claim: " + name);
        }
        Instant now = Instant.now();
        Instant until = now.plus(settings.lease());
        return db.inTransaction(h -> WorkItemDao.claimFairly(h, name, holder, keys, perKey, keys * perKey, now, until));
    }

    /** How long a claim holds an item before another node may take it back. */
    public Duration lease() {
        return settings.lease();
    }

    /** Extends this node's lease on {@code item} (for long work); false when the item is no longer this node's. */
    public boolean renew(Item item) {
        return db.inTransaction(h -> WorkItemDao.renew(h, item.id(), holder, Instant.now().plus(settings.lease())));
    }

    /** A lease kept renewed until closed. */
    public interface Renewal extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Keeps this node's lease on {@code item} renewed, every third of the lease, until the returned renewal is closed:
     * for work longer than a lease (an image indexed, an external scanner polled), so that only a node that died lets
     * the item lapse and be retried elsewhere.
     */
    public Renewal renewing(Item item) {
        Duration every = settings.lease().dividedBy(3);
        Thread renewer = Thread.ofVirtual().name(name + "-lease-" + item.id()).start(() -> {
            try {
                while (true) {
                    Thread.sleep(every);
                    if (!renew(item)) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                // the work ended
            }
        });
        return renewer::interrupt;
    }

    /** Removes the done {@code item}; false when it was no longer this node's (its lease lapsed and it was retaken). */
    public boolean complete(Item item) {
        return db.inTransaction(h -> WorkItemDao.complete(h, item.id(), holder));
    }

    /**
     * Removes the done {@code item} in the transaction of {@code h} (the one that records what its work did, so both
     * commit or neither); false when it was no longer this node's.
     */
    public boolean complete(Handle h, Item item) {
        return WorkItemDao.complete(h, item.id(), holder);
    }

    /** Records that {@code item} failed: it waits and is retried, or after its last attempt is kept dead. */
    public void fail(Item item, String error) {
        boolean mine;
        if (item.attempt() >= settings.maxAttempts()) {
            mine = db.inTransaction(h -> WorkItemDao.bury(h, item.id(), holder, error));
            if (mine) {
                LOG.warn("work queue {}: {} failed its last attempt ({}), kept as dead: {}", name, item.key(),
                        item.attempt(), error);
            }
        } else {
            Instant next = Instant.now().plus(backOff.after(item.attempt()));
            mine = db.inTransaction(h -> WorkItemDao.retry(h, item.id(), holder, next, error));
        }
        if (!mine) {
            LOG.debug("work queue {}: {} was no longer this node's when it failed", name, item.key());
        }
    }

    /**
     * Puts back the items whose holder's lease lapsed, to be retried now (or keeps them dead if that was their last
     * attempt). Returns how many.
     */
    public int reclaimLapsed() {
        Instant now = Instant.now();
        return db.inTransaction(h -> {
            List<WorkItemDao.Lapsed> lapsed = WorkItemDao.lapsed(h, name, now);
            for (WorkItemDao.Lapsed item : lapsed) {
                String error = "the lease of " + item.claimedBy() + " lapsed";
                if (item.attempts() >= settings.maxAttempts()) {
                    WorkItemDao.bury(h, item.id(), item.claimedBy(), error);
                } else {
                    WorkItemDao.retry(h, item.id(), item.claimedBy(), now, error);
                }
            }
            if (!lapsed.isEmpty()) {
                LOG.info("work queue {}: took back {} item(s) whose lease lapsed", name, lapsed.size());
            }
            return lapsed.size();
        });
    }

    /** The items kept dead after their last attempt, with their last error, oldest first. */
    public List<WorkItemDao.Row> dead() {
        return db.read(h -> WorkItemDao.inState(h, name, "dead"));
    }
}
