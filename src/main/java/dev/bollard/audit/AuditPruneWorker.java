package dev.bollard.audit;

import dev.bollard.jobs.Worker;
import java.time.Duration;
import java.time.Instant;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prunes audit entries older than {@code audit.retention}, every {@code audit.prune-interval} (hourly by default;
 * the first a minute after the start, or one interval after it when that is shorter), on every node (a prune serializes on the chain's head row). It lives here, beside {@link AuditLog}, because {@code jobs}
 * sits below {@code audit}.
 */
public final class AuditPruneWorker extends Worker {

    private static final Logger LOG = LoggerFactory.getLogger(AuditPruneWorker.class);
    /** The first prune waits this long after the start, so that it does not add to the start's work. */
    private static final Duration FIRST_RUN = Duration.ofMinutes(1);

    private final AuditLog audit;
    private final Duration retention;
    private final IntSupplier alsoPrune;

    /**
     * Prunes every {@code every}. Also runs {@code alsoPrune} at each turn: other short-lived records of who did what (the failed-login counts),
     * pruned on the same schedule rather than by a worker of their own. It returns how many rows it deleted.
     */
    public AuditPruneWorker(AuditLog audit, Duration retention, Duration every, IntSupplier alsoPrune) {
        super("audit-prune", new Schedule(every.compareTo(FIRST_RUN) < 0 ? every : FIRST_RUN, every, false));
        this.audit = audit;
        this.retention = retention;
        this.alsoPrune = alsoPrune;
    }

    @Override
    protected void turn(Runnable heartbeat) {
        int pruned = audit.prune(Instant.now().minus(retention));
        if (pruned > 0) {
            LOG.info("pruned {} audit log entries older than {}", pruned, retention);
        }
        int others = alsoPrune.getAsInt();
        if (others > 0) {
            LOG.debug("pruned {} expired failed-login counts", others);
        }
    }
}
