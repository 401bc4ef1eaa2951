package dev.bollard.registry;

import dev.bollard.audit.Actor;
import dev.bollard.jobs.Worker;
import java.time.Duration;

/**
 * Applies the retention policies every {@code lifecycle.retention-interval}, on one node at a time, then refreshes
 * the quota metrics. It lives here, beside the use cases it calls, because {@code jobs} sits below {@code registry}.
 */
public final class RetentionWorker extends Worker {

    private final Registry registry;

    public RetentionWorker(Registry registry, Duration every) {
        super("retention", Schedule.every(every).onOneNode());
        this.registry = registry;
    }

    @Override
    protected void turn(Runnable heartbeat) {
        registry.retention().apply(Actor.system("retention"), false);
        registry.quotas().all();
    }
}
