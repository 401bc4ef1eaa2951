package dev.bollard.registry;

import dev.bollard.jobs.Worker;
import java.time.Duration;

/**
 * Adds the pulls this node counted in memory to the database every {@code registry.pull-stats-flush-interval}, on
 * every node (each flushes its own counts; the writes are increments). It lives beside {@link PullStats} because
 * {@code jobs} sits below {@code registry}.
 */
public final class PullStatsWorker extends Worker {
    private final PullStats stats;

    public PullStatsWorker(PullStats stats, Duration every) {
        super("pull-stats-flush", Schedule.every(every));
        this.stats = stats;
    }

    @Override
    protected void turn(Runnable heartbeat) {
        stats.flush();
    }
}
