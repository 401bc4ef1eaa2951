package dev.bollard.jobs;

import java.time.Duration;

/**
 * A background capability that runs in turns: garbage collection, retention, the upload sweep, the audit prune, and
 * whatever drains a {@link WorkQueue} ({@link QueueWorker}). A subclass says what one turn does; {@link Workers}
 * runs it on its {@link Schedule}, with the lease, back-off, metrics, logging and graceful stop every worker shares.
 * <p>A worker lives next to the use case it calls, in a package that may depend on {@code jobs} (the collector's
 * worker here, retention's in {@code registry}, the audit prune's in {@code audit}), so that {@code jobs} itself
 * depends on nothing above it.
 */
public abstract class Worker {

    /**
     * When a worker runs: first {@code firstRun} after it started, then {@code every} after each turn ended (a fixed
     * delay, stretched by back-off after failures). An {@code exclusive} worker runs on one node at a time across
     * every node sharing the database, under a lease that a dead node's turn lets lapse.
     */
    public record Schedule(Duration firstRun, Duration every, boolean exclusive) {
        public Schedule {
            if (every.isNegative() || every.isZero() || firstRun.isNegative()) {
                throw new IllegalArgumentException("a worker's schedule needs a positive interval: " + every);
            }
        }

        /** Every {@code every}, the first turn one interval after the start; on every node. */
        public static Schedule every(Duration every) {
            return new Schedule(every, every, false);
        }

        /** This schedule, run by one node at a time. */
        public Schedule onOneNode() {
            return new Schedule(firstRun, every, true);
        }

        /**
         * A turn's lease: long enough for a run between heartbeats, short enough that a dead node's lapses soon. The
         * interval, at least {@code min} ({@code workers.min-lease}, 1 minute by default) and at most 10 minutes.
         */
        Duration lease(Duration min) {
            Duration max = Duration.ofMinutes(10);
            return every.compareTo(min) < 0 ? min : every.compareTo(max) > 0 ? max : every;
        }
    }

    private final String name;
    private final Schedule schedule;

    /** {@code name} names the worker in logs, in its lease and in the {@code worker} tag of its metrics. */
    protected Worker(String name, Schedule schedule) {
        this.name = name;
        this.schedule = schedule;
    }

    public final String name() {
        return name;
    }

    public final Schedule schedule() {
        return schedule;
    }

    /**
     * One turn. A long turn calls {@code heartbeat} between its steps (it renews an exclusive worker's lease) and
     * stops early when its thread is interrupted (the worker is being stopped). A failure is thrown: the runner
     * logs it and backs off.
     */
    protected abstract void turn(Runnable heartbeat);
}
