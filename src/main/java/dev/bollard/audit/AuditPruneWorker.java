package dev.bollard.audit;

import dev.bollard.jobs.Worker;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prunes audit entries older than {@code audit.retention}, hourly (the first a minute after the start), on every
 * node (a prune serializes on the chain's head row). It lives here, beside {@link AuditLog}, because {@code jobs}
 * sits below {@code audit}.
 */
public final class AuditPruneWorker extends Worker {

    private static final Logger LOG = LoggerFactory.getLogger(AuditPruneWorker.class);

    private final AuditLog audit;
    private final Duration retention;

    public AuditPruneWorker(AuditLog audit, Duration retention) {
        super("audit-prune", new Schedule(Duration.ofMinutes(1), Duration.ofHours(1), false));
        this.audit = audit;
        this.retention = retention;
    }

    @Override
    protected void turn(Runnable heartbeat) {
        int pruned = audit.prune(Instant.now().minus(retention));
        if (pruned > 0) {
            LOG.info("pruned {} audit log entries older than {}", pruned, retention);
        }
    }
}
