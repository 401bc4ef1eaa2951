package dev.bollard.jobs;

import dev.bollard.metadata.WorkItemDao.Item;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A worker that drains a {@link WorkQueue}: each turn takes back items whose holder's lease lapsed, then claims
 * {@code batch} items at a time and processes them until the queue has nothing due. Every node runs it (the claims
 * keep them apart). A failed item is the queue's to retry; a turn fails only when the queue itself does.
 * <p>Items run one at a time unless a subclass allows {@code parallel} at once: then the claimed items that share an
 * {@link #orderKey} still run one after another in the order they were claimed, and items of different keys side by
 * side (a slow webhook receiver holds up its own deliveries, not everyone's).
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
        this.queue = queue;
        this.batch = batch;
        this.parallel = parallel;
    }

    /** Items of one key are processed in claim order, never two at once; by default all items share one key. */
    protected String orderKey(Item item) {
        return "";
    }

    /** Does the work of {@code item}; a long one may {@link WorkQueue#renew(Item)} its lease. Throws on failure. */
    protected abstract void process(Item item) throws Exception;

    @Override
    protected final void turn(Runnable heartbeat) {
        queue.reclaimLapsed();
        while (!Thread.currentThread().isInterrupted()) {
            List<Item> items = queue.claim(batch);
            Map<String, List<Item>> byKey = new LinkedHashMap<>();
            items.forEach(item -> byKey.computeIfAbsent(orderKey(item), k -> new ArrayList<>()).add(item));
            long claimed = System.nanoTime();
            if (parallel == 1 || byKey.size() <= 1) { // none claimed, or one key: nothing to run side by side
                attemptInOrder(items, claimed);
            } else {
                // Closing waits for every key's run, so the next claim starts after them and a key's order holds.
                List<Future<?>> runs = new ArrayList<>();
                try (ExecutorService executor = Executors.newFixedThreadPool(Math.min(parallel, byKey.size()),
                        Thread.ofVirtual().name(name() + "-", 0).factory())) {
                    byKey.values().forEach(run -> runs.add(executor.submit(() -> attemptInOrder(run, claimed))));
                }
                for (Future<?> run : runs) {
                    if (run.state() == Future.State.FAILED) { // the queue itself failed, as above
                        throw new IllegalStateException("work queue " + name() + " failed", run.exceptionNow());
                    }
                }
            }
            heartbeat.run();
            if (items.size() < batch) {
                return;
            }
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
            process(item);
            queue.complete(item);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            queue.fail(item, e.toString());
        }
    }
}
