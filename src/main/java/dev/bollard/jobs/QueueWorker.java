package dev.bollard.jobs;

import dev.bollard.metadata.WorkItemDao.Item;
import java.time.Duration;
import java.util.List;

/**
 * A worker that drains a {@link WorkQueue}: each turn takes back items whose holder's lease lapsed, then claims
 * {@code batch} items at a time and processes them until the queue has nothing due. Every node runs it (the claims
 * keep them apart). A failed item is the queue's to retry; a turn fails only when the queue itself does.
 */
public abstract class QueueWorker extends Worker {

    private final WorkQueue queue;
    private final int batch;

    protected QueueWorker(String name, Duration every, WorkQueue queue, int batch) {
        super(name, Schedule.every(every));
        this.queue = queue;
        this.batch = batch;
    }

    /** Does the work of {@code item}; a long one may {@link WorkQueue#renew(Item)} its lease. Throws on failure. */
    protected abstract void process(Item item) throws Exception;

    @Override
    protected final void turn(Runnable heartbeat) {
        queue.reclaimLapsed();
        while (!Thread.currentThread().isInterrupted()) {
            List<Item> items = queue.claim(batch);
            for (Item item : items) {
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
            heartbeat.run();
            if (items.size() < batch) {
                return;
            }
        }
    }
}
