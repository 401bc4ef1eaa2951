package dev.bollard.events;

import dev.bollard.jobs.QueueWorker;
import dev.bollard.jobs.WorkQueue;
import dev.bollard.metadata.WorkItemDao;
import java.time.Duration;

/**
 * Drains the webhook delivery queue on every node: each item is one event for one webhook, attempted by
 * {@link Webhooks#deliver}; a failed attempt goes back to the queue, which retries it with exponential back-off up to
 * {@code events.webhooks.max-attempts} times. The queue's claims keep nodes from attempting one item at once, and a
 * node that dies mid-attempt lets its lease lapse, so the item is attempted again elsewhere (at least once).
 */
final class DeliveryWorker extends QueueWorker {
    private final Webhooks webhooks;

    DeliveryWorker(Webhooks webhooks, WorkQueue queue, Duration every) {
        super("webhook-delivery", every, queue, 10);
        this.webhooks = webhooks;
    }

    @Override
    protected void process(WorkItemDao.Item item) throws Exception {
        webhooks.deliver(item.payload(), item.attempt());
    }
}
