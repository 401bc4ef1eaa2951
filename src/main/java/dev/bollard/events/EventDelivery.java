package dev.bollard.events;

import dev.bollard.config.BollardConfig;
import dev.bollard.jobs.WorkQueue;
import dev.bollard.jobs.Worker;
import dev.bollard.metadata.Database;
import dev.bollard.secrets.KeyEncryption;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;

/**
 * Events and their delivery, assembled: the webhook delivery queue, the delivery methods, {@link Webhooks} (what the
 * API administers) and the two workers every node runs — the {@link EventPublisher} and the {@link DeliveryWorker}.
 * The composition root builds one and starts its workers.
 */
public final class EventDelivery {
    /** The work queue of webhook deliveries. */
    public static final String QUEUE = "webhook";

    private final Webhooks webhooks;
    private final List<Worker> workers;
    private final EventPublisher publisher;

    /** {@code sealing} encrypts the webhooks' secrets and headers in the database (re-sealed here, at start). */
    public EventDelivery(Database db, Outbox outbox, BollardConfig.Events config, MeterRegistry meters,
                         KeyEncryption sealing) {
        // A lease outlives the longest attempt (a webhook's timeout is at most 30 s) with room to record it.
        // Ordered by webhook: one webhook's deliveries go one at a time, in order, on whichever node.
        WorkQueue queue = WorkQueue.ordered(db, QUEUE, new WorkQueue.Settings(Duration.ofMinutes(2),
                config.maxAttempts(), config.firstRetry(), config.maxRetry()), Webhooks::webhookOf,
                DeliveryWorker.PER_WEBHOOK);
        Gauge.builder("bollard.webhook.queue.depth", queue, WorkQueue::depth)
                .description("webhook deliveries waiting or being attempted").register(meters);
        Gauge.builder("bollard.webhook.queue.lag.seconds", queue, WorkQueue::lagSeconds)
                .description("how long the longest-due webhook delivery has waited for its attempt").register(meters);
        HttpDelivery http = new HttpDelivery(new TargetGuard(config.allowPrivateTargets()));
        this.webhooks = new Webhooks(db, outbox, List.of(http, new SlackDelivery(http),
                        new EmailDelivery(config.smtp())),
                queue, config.disableAfterFailures(), meters, sealing);
        webhooks.sealAtRest();
        this.publisher = new EventPublisher(db, webhooks, config.pollInterval(), config.retention(), meters);
        this.workers = List.of(publisher, new DeliveryWorker(webhooks, queue, config.pollInterval()));
    }

    public Webhooks webhooks() {
        return webhooks;
    }

    /** The publisher (tests publish at once instead of waiting for its turn). */
    public EventPublisher publisher() {
        return publisher;
    }

    /** The workers to start on every node. */
    public List<Worker> workers() {
        return workers;
    }
}
