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
 * <p>Deliveries to different webhooks go out side by side, one webhook's one at a time in order: attempted one at a
 * time per node, deliveries (each an HTTP request and a few transactions) came to a few dozen a second, far from
 * what 10 webhooks under 1,000 pushes a minute need (bench's {@code webhooks} group), and one slow receiver held up
 * every other. The queue is ordered by webhook ({@link EventDelivery}): a claim takes at most
 * {@value #PER_WEBHOOK} of one webhook's deliveries, and while a slow receiver's deliveries run, the worker claims the others'.
 */
final class DeliveryWorker extends QueueWorker {
    private static final int CLAIM = 100;
    private static final int PARALLEL = 8; // half the default database pool: requests keep theirs
    /** One webhook's deliveries in one claim: a tenth of it, so a receiver timing out holds up only its own. */
    static final int PER_WEBHOOK = 10;

    private final Webhooks webhooks;
    private final WorkQueue queue;

    DeliveryWorker(Webhooks webhooks, WorkQueue queue, Duration every) {
        super("webhook-delivery", every, queue, CLAIM, PARALLEL);
        this.webhooks = webhooks;
        this.queue = queue;
    }

    @Override
    protected void process(WorkItemDao.Item item) throws Exception {
        webhooks.deliver(item.payload(), item.attempt(), h -> { });
    }

    /** A successful delivery's item leaves the queue in the transaction that logs it: one transaction less each. */
    @Override
    protected boolean processAndComplete(WorkItemDao.Item item) throws Exception {
        return webhooks.deliver(item.payload(), item.attempt(), h -> queue.complete(h, item));
    }
}
