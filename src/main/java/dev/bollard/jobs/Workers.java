package dev.bollard.jobs;

import dev.bollard.metadata.Database;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link Worker}s, each on its own schedule and thread (a long collection does not hold up the upload sweep).
 * After a turn, the next is due one interval later; after {@code n} failures in a row, {@code 2^n} intervals later,
 * at most {@link #MAX_BACK_OFF} (or one interval, if that is longer); a success resets it. A failure is logged and
 * never ends the schedule. {@link #close()} stops scheduling, lets running turns finish for {@link #STOP_TIMEOUT},
 * then interrupts them.
 * <p>Metrics per worker, tagged {@code worker=<name>}: {@code bollard.worker.runs} (turns run),
 * {@code bollard.worker.failures}, {@code bollard.worker.skipped} (turns another node's lease took),
 * {@code bollard.worker.duration} (a timer of the turns run) and {@code bollard.worker.last.success} (when the last
 * turn succeeded, in seconds since the epoch; 0 before the first).
 */
public final class Workers implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Workers.class);
    static final Duration MAX_BACK_OFF = Duration.ofHours(1);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** The default of {@code workers.min-lease}: the shortest lease of an exclusive worker's turn. */
    public static final Duration DEFAULT_MIN_LEASE = Duration.ofMinutes(1);

    private final Database db;
    private final MeterRegistry meters;
    private final ScheduledThreadPoolExecutor executor;
    private final Duration minLease;
    private int started;

    public Workers(Database db, MeterRegistry meters) {
        this(db, meters, DEFAULT_MIN_LEASE);
    }

    /**
     * {@code minLease} ({@code workers.min-lease}): how long at least an exclusive worker's turn holds its lease past
     * each heartbeat, so how long at least a node killed in a turn blocks that worker on the other nodes.
     */
    public Workers(Database db, MeterRegistry meters, Duration minLease) {
        this.db = db;
        this.meters = meters;
        this.minLease = minLease;
        this.executor = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("bollard-worker-", 1).daemon(true)
                .factory());
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setRemoveOnCancelPolicy(true);
    }

    /** Schedules {@code worker}'s first turn. */
    public void start(Worker worker) {
        synchronized (executor) {
            // One thread per worker, so that each turn starts when it is due.
            executor.setCorePoolSize(++started);
        }
        schedule(new Running(worker), worker.schedule().firstRun());
    }

    private void schedule(Running running, Duration delay) {
        try {
            // A turn reports its own failures (Running.run), so its future holds nothing to look at.
            ScheduledFuture<?> unused = executor.schedule(running, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("worker {}: not scheduled, the workers are stopping", running.worker.name());
        }
    }

    /** The delay before the next turn after {@code failures} failures in a row. */
    static Duration nextDelay(Duration every, int failures) {
        if (failures == 0) {
            return every;
        }
        return new BackOff(every.multipliedBy(2), every.compareTo(MAX_BACK_OFF) > 0 ? every : MAX_BACK_OFF)
                .after(failures);
    }

    /** One worker's turns, metrics and back-off; runs on the executor, scheduling its next turn when done. */
    private final class Running implements Runnable {
        private final Worker worker;
        private final @Nullable LeasedJob lease;
        private final Counter runs;
        private final Counter failures;
        private final Counter skipped;
        private final Timer duration;
        private final AtomicLong lastSuccess = new AtomicLong();
        private int failuresInARow;

        Running(Worker worker) {
            this.worker = worker;
            this.lease = worker.schedule().exclusive()
                    ? new LeasedJob(db, worker.name(), worker.schedule().lease(minLease), worker::turn) : null;
            String name = worker.name();
            runs = Counter.builder("bollard.worker.runs").tag("worker", name)
                    .description("turns a background worker ran").register(meters);
            failures = Counter.builder("bollard.worker.failures").tag("worker", name)
                    .description("turns of a background worker that failed").register(meters);
            skipped = Counter.builder("bollard.worker.skipped").tag("worker", name)
                    .description("turns a background worker skipped because another node held its lease")
                    .register(meters);
            duration = Timer.builder("bollard.worker.duration").tag("worker", name)
                    .description("how long a background worker's turns took").register(meters);
            Gauge.builder("bollard.worker.last.success", lastSuccess, AtomicLong::get).tag("worker", name)
                    .strongReference(true).baseUnit("seconds").description("when a background worker's last turn succeeded (epoch)")
                    .register(meters);
        }

        @Override
        public void run() {
            long start = System.nanoTime();
            try {
                boolean ran = lease == null ? turn() : lease.runOnce();
                if (ran) {
                    runs.increment();
                    duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                    lastSuccess.set(Instant.now().getEpochSecond());
                } else {
                    skipped.increment();
                }
                failuresInARow = 0;
            } catch (RuntimeException | Error e) { // an Error too: a schedule that ended silently is worse
                runs.increment();
                failures.increment();
                duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                failuresInARow++;
                if (executor.isShutdown() && Thread.currentThread().isInterrupted()) {
                    LOG.info("worker {} stopped in its turn: {}", worker.name(), e.toString());
                } else {
                    LOG.warn("worker {} failed ({} in a row; next turn in {}): {}", worker.name(), failuresInARow,
                            nextDelay(worker.schedule().every(), failuresInARow), e.toString(), e);
                }
            }
            if (!executor.isShutdown()) {
                schedule(this, nextDelay(worker.schedule().every(), failuresInARow));
            }
        }

        private boolean turn() {
            worker.turn(() -> { });
            return true;
        }
    }

    /** Stops scheduling, waits up to {@link #STOP_TIMEOUT} for the turns running, then interrupts them. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("background workers still running after {}: interrupting them", STOP_TIMEOUT);
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
