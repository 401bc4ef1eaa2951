package dev.bollard.events;

import dev.bollard.jobs.Worker;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.EventDao;
import dev.bollard.metadata.OutboxDao;
import dev.bollard.metadata.WebhookDao;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Publishes the committed changes of the outbox as events: in one transaction, under the event head's row lock (so
 * publishers on several nodes take turns), it takes the unpublished changes in order, turns each into its event
 * (numbered after the last one), queues a delivery of it for every enabled webhook that wants it, and marks the
 * changes published. Its cursor is the outbox rows' own mark, kept until the row is pruned — and the audit prune
 * never deletes an unpublished row — so a change committed before a crash is published after the restart, however
 * long the registry was down, and a change that rolled back never was in the outbox. Every node runs it; it also
 * deletes events and delivery attempts older than {@code events.retention}, now and then.
 */
public final class EventPublisher extends Worker {
    /** The most changes one transaction publishes. */
    static final int BATCH = 500;
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);

    private final Database db;
    private final Webhooks webhooks;
    private final Duration retention;
    private final Counter published;
    private Instant nextPrune = Instant.EPOCH;

    public EventPublisher(Database db, Webhooks webhooks, Duration every, Duration retention, MeterRegistry meters) {
        super("event-publisher", Schedule.every(every));
        this.db = db;
        this.webhooks = webhooks;
        this.retention = retention;
        this.published = Counter.builder("bollard.events.published").description("registry events published")
                .register(meters);
    }

    @Override
    protected void turn(Runnable heartbeat) {
        while (!Thread.currentThread().isInterrupted() && publish() == BATCH) {
            heartbeat.run();
        }
        if (Instant.now().isAfter(nextPrune)) {
            long before = Instant.now().minus(retention).toEpochMilli();
            db.inTransaction(h -> EventDao.deleteBefore(h, before) + WebhookDao.deleteDeliveriesBefore(h, before));
            nextPrune = Instant.now().plus(PRUNE_EVERY);
        }
    }

    /** Publishes up to one batch of pending changes; returns how many changes it took (events or not). */
    public int publish() {
        int[] events = new int[1];
        int taken = db.inTransaction(h -> {
            events[0] = 0;
            long last = EventDao.lockHead(h);
            List<OutboxDao.Row> changes = OutboxDao.pendingPublication(h, BATCH);
            if (changes.isEmpty()) {
                return 0;
            }
            List<Webhook> hooks = WebhookDao.enabled(h).stream().map(webhooks::webhook).toList();
            for (OutboxDao.Row change : changes) {
                Optional<RegistryEvent> event = RegistryEvent.fromChange(change, last + 1);
                if (event.isEmpty()) {
                    continue;
                }
                RegistryEvent e = event.get();
                last = e.seq();
                EventDao.insert(h, new EventDao.Row(e.seq(), change.id(), e.type(), e.namespace(), e.repository(),
                        change.occurredAt(), e.toJson()));
                for (Webhook hook : hooks) {
                    if (hook.wants(e)) {
                        webhooks.enqueue(h, hook, e.seq());
                    }
                }
                events[0]++;
            }
            OutboxDao.markPublished(h, changes.stream().map(OutboxDao.Row::id).toList());
            EventDao.setHead(h, last);
            return changes.size();
        });
        published.increment(events[0]);
        return taken;
    }
}
