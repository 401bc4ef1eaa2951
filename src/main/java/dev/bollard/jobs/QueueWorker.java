package dev.bollard.jobs;

import dev.bollard.metadata.WorkItemDao.Item;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A worker that drains a {@link WorkQueue}: each turn takes back items whose holder's lease lapsed, then claims
 * {@code batch} items at a time and processes them until the queue has nothing due. Every node runs it (the claims
 * keep them apart). A failed item is the queue's to retry; a turn fails only when the queue itself does.
 * <p>Items run one at a time, unless the queue is {@link WorkQueue#ordered} and a subclass allows {@code parallel} at
 * once: then each order key's claimed items run in a lane of their own, one after another in claim order, lanes of
 * different keys side by side, and while lanes run the worker claims again (when a lane ends, or every interval) —
 * a claim takes none of a key that still runs and only a few of each other key. A slow webhook receiver holds up its
 * own deliveries, not everyone's: it once did, when a claim of 100 items that were mostly its own (each up to its
 * 30 s timeout) held the next claim back until all of them were attempted.
 */
public abstract class QueueWorker extends Worker {

    private final WorkQueue queue;
    private final int batch;
    private final int parallel;

    protected QueueWorker(String name, Duration every, WorkQueue queue, int batch) {
        this(name, every, queue, batch, 1);
    }

    protected QueueWorker(String name, Duration every, WorkQueue queue, int batch, int parallel) {
        super(name, Schedule.every(every));
        if (parallel > 1 && !queue.isOrdered()) {
            throw new IllegalArgumentException("items run side by side only in lanes of an ordered queue: " + name);
        }
        this.queue = queue;
        this.batch = batch;
        this.parallel = parallel;
    }

    /** Does the work of {@code item}; a long one may {@link WorkQueue#renew(Item)} its lease. Throws on failure. */
    protected abstract void process(Item item) throws Exception;

    /**
     * As {@link #process}, for work that ends in a transaction of its own (a delivery's log entry): it may complete
     * the item in that transaction ({@link WorkQueue#complete(org.jdbi.v3.core.Handle, Item)}) and return true, which
     * saves the queue a transaction of its own per item. False (the default, after {@link #process}): the worker
     * completes it.
     */
    protected boolean processAndComplete(Item item) throws Exception {
        process(item);
        return false;
    }

    @Override
    protected final void turn(Runnable heartbeat) {
        queue.reclaimLapsed();
        if (parallel > 1) {
            inLanes(heartbeat);
            return;
        }
        while (!Thread.currentThread().isInterrupted()) {
            List<Item> items = queue.claim(batch);
            attemptInOrder(items, System.nanoTime());
            heartbeat.run();
            if (items.size() < batch) {
                return;
            }
        }
    }

    /**
     * Runs each claimed key's items in a lane of their own, up to {@code parallel} lanes at once, claiming again
     * whenever fewer lanes run (a lane ended: its key may have more) and at least every interval (other keys' new
     * items), until nothing runs and nothing is due. A key's items are claimed only while none of its own runs, so a
     * lane of a key never overlaps another, here or on another node.
     */
    private void inLanes(Runnable heartbeat) {
        long every = schedule().every().toNanos();
        long reclaimEvery = queue.lease().toNanos() / 2;
        long reclaimedAt = System.nanoTime();
        ExecutorService executor = Executors.newFixedThreadPool(parallel,
                Thread.ofVirtual().name(name() + "-", 0).factory());
        CompletionService<Void> ended = new ExecutorCompletionService<>(executor);
        int running = 0;
        try {
            while (!Thread.currentThread().isInterrupted()) {
                if (System.nanoTime() - reclaimedAt > reclaimEvery) { // a long turn: other nodes may have died
                    queue.reclaimLapsed();
                    reclaimedAt = System.nanoTime();
                }
                // Only as many keys as there are free lanes: a lane claimed beyond them would wait with its items
                // running (held from every other node) until a lane ended here.
                int free = parallel - running;
                List<Item> items = free > 0 ? queue.claimKeys(free) : List.of();
                long claimed = System.nanoTime();
                Map<String, List<Item>> byKey = new LinkedHashMap<>();
                items.forEach(item -> byKey.computeIfAbsent(queue.orderKey(item), k -> new ArrayList<>()).add(item));
                for (List<Item> lane : byKey.values()) {
                    ended.submit(() -> attemptInOrder(lane, claimed), null);
                    running++;
                }
                heartbeat.run();
                if (running == 0) {
                    return; // nothing due, nothing running
                }
                // Every lane is taken, or no other key is idle and due: the next claim waits for a lane to end (its
                // key may have more) or the interval (new items).
                Future<Void> lane = ended.poll(every, TimeUnit.NANOSECONDS);
                for (; lane != null; lane = ended.poll()) {
                    running--;
                    if (lane.state() == Future.State.FAILED) { // the queue itself failed, as above
                        throw new IllegalStateException("work queue " + name() + " failed", lane.exceptionNow());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (Thread.currentThread().isInterrupted()) {
                executor.shutdownNow(); // being stopped: the lanes' items go back to the queue, or lapse
            }
            executor.close(); // waits for the lanes: none outlives the turn
        }
    }

    /**
     * Attempts {@code items} one after another. A run that outlasts half the lease (slow work, or a receiver timing out
     * item after item) renews the leases of the items still to come, so that no other node takes them back and
     * attempts them too meanwhile; an item that is no longer this node's is left to whoever has it.
     */
    private void attemptInOrder(List<Item> items, long claimedNanos) {
        long renewAfter = queue.lease().toNanos() / 2;
        long renewedAt = claimedNanos;
        Set<Long> lost = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            if (System.nanoTime() - renewedAt > renewAfter) {
                renewedAt = System.nanoTime();
                for (Item later : items.subList(i, items.size())) {
                    if (!queue.renew(later)) {
                        lost.add(later.id());
                    }
                }
            }
            if (!lost.contains(items.get(i).id())) {
                attempt(items.get(i));
            }
        }
    }

    private void attempt(Item item) {
        try {
            if (!processAndComplete(item)) {
                queue.complete(item);
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            queue.fail(item, e.toString());
        }
    }
}
