package dev.bollard.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.WorkItemDao.Item;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base every background worker runs on: turns on schedule, failures that back off and never end the schedule,
 * metrics per worker, a graceful stop, and a {@link QueueWorker} draining its queue.
 */
class WorkersTest {
    private static final Duration TICK = Duration.ofMillis(20);

    @TempDir
    Path dir;

    private Database db;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeEach
    void open() {
        db = Database.open(new BollardConfig.Database("jdbc:h2:file:" + dir.resolve("db/bollard"), "", "", 4));
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** A worker running {@code turn}. */
    private static Worker worker(String name, Worker.Schedule schedule, Runnable turn) {
        return new Worker(name, schedule) {
            @Override
            protected void turn(Runnable heartbeat) {
                turn.run();
            }
        };
    }

    @Test
    void theBackOffDoublesTheIntervalPerFailureUpToItsCapAndASuccessResetsIt() {
        Duration every = Duration.ofMinutes(5);
        assertThat(Workers.nextDelay(every, 0)).isEqualTo(every);
        assertThat(Workers.nextDelay(every, 1)).isEqualTo(Duration.ofMinutes(10));
        assertThat(Workers.nextDelay(every, 2)).isEqualTo(Duration.ofMinutes(20));
        assertThat(Workers.nextDelay(every, 4)).isEqualTo(Duration.ofHours(1));
        assertThat(Workers.nextDelay(every, 100)).isEqualTo(Duration.ofHours(1));
        assertThat(Workers.nextDelay(Duration.ofHours(6), 3)).as("never sooner than the interval")
                .isEqualTo(Duration.ofHours(6));
    }

    @Test
    void aFailingTurnIsCountedAndTheScheduleGoesOnAndAnExclusiveWorkerCountsItsTurns() throws Exception {
        AtomicInteger turns = new AtomicInteger();
        CountDownLatch twoTurns = new CountDownLatch(2);
        CountDownLatch leasedTurn = new CountDownLatch(1);
        try (Workers workers = new Workers(db, meters)) {
            workers.start(worker("flaky", new Worker.Schedule(Duration.ZERO, TICK, false), () -> {
                twoTurns.countDown();
                if (turns.incrementAndGet() == 1) {
                    throw new IllegalStateException("the first turn fails");
                }
            }));
            workers.start(worker("leased", new Worker.Schedule(Duration.ZERO, Duration.ofHours(1), true),
                    leasedTurn::countDown));
            // the second turn comes after the back-off of one failure: two intervals
            assertThat(twoTurns.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(leasedTurn.await(10, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(meters.counter("bollard.worker.failures", "worker", "flaky").count()).isEqualTo(1);
        assertThat(meters.counter("bollard.worker.runs", "worker", "flaky").count()).isGreaterThanOrEqualTo(2);
        assertThat(meters.timer("bollard.worker.duration", "worker", "flaky").count()).isGreaterThanOrEqualTo(2);
        assertThat(meters.get("bollard.worker.last.success").tag("worker", "flaky").gauge().value()).isPositive();
        assertThat(meters.counter("bollard.worker.runs", "worker", "leased").count()).isEqualTo(1);
        int released = db.read(h -> h.createQuery(
                "SELECT COUNT(*) FROM job_lease WHERE name = 'leased' AND holder IS NULL").mapTo(Integer.class).one());
        assertThat(released).as("the lease, given up after the turn").isEqualTo(1);
    }

    /**
     * An exclusive worker's turn holds its lease for its interval, at least {@code workers.min-lease} (1 minute unless
     * configured; the tests that kill a lease holder set it shorter so as not to wait a minute), at most 10 minutes.
     */
    @Test
    void anExclusiveTurnHoldsItsLeaseForTheConfiguredMinimumWhichIsAMinuteByDefault() throws Exception {
        assertThat(ConfigLoader.builder().set("data-dir", dir.resolve("data").toString()).load().lifecycle()
                .workersMinLease()).isEqualTo(Duration.ofMinutes(1)).isEqualTo(Workers.DEFAULT_MIN_LEASE);
        Worker.Schedule often = Worker.Schedule.every(TICK).onOneNode();
        assertThat(often.lease(Workers.DEFAULT_MIN_LEASE)).isEqualTo(Duration.ofMinutes(1));
        assertThat(often.lease(Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(5));
        assertThat(Worker.Schedule.every(Duration.ofMinutes(5)).onOneNode().lease(Duration.ofSeconds(5)))
                .isEqualTo(Duration.ofMinutes(5));
        assertThat(Worker.Schedule.every(Duration.ofHours(1)).onOneNode().lease(Duration.ofSeconds(5)))
                .isEqualTo(Duration.ofMinutes(10));

        Duration minLease = Duration.ofSeconds(7);
        CountDownLatch turned = new CountDownLatch(1);
        List<Duration> leftInTurn = new CopyOnWriteArrayList<>();
        try (Workers workers = new Workers(db, meters, minLease)) {
            workers.start(worker("leased", often, () -> {
                if (turned.getCount() > 0) {
                    java.time.OffsetDateTime expires = db.read(h -> h.createQuery(
                            "SELECT expires_at FROM job_lease WHERE name = 'leased'")
                            .mapTo(java.time.OffsetDateTime.class).one());
                    leftInTurn.add(Duration.between(java.time.Instant.now(), expires.toInstant()));
                    turned.countDown();
                }
            }));
            assertThat(turned.await(30, TimeUnit.SECONDS)).as("a turn of the exclusive worker").isTrue();
        }
        assertThat(leftInTurn).singleElement().satisfies(left -> assertThat(left)
                .as("lease left in the turn, workers.min-lease %s", minLease)
                .isLessThanOrEqualTo(minLease).isGreaterThan(minLease.minusSeconds(5)));
    }

    @Test
    void stoppingLetsTheRunningTurnFinishAndRunsNoFurtherTurn() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        AtomicInteger turns = new AtomicInteger();
        Workers workers = new Workers(db, meters);
        workers.start(worker("slow", new Worker.Schedule(Duration.ZERO, TICK, false), () -> {
            turns.incrementAndGet();
            running.countDown();
            try {
                Thread.sleep(300);
                finished.set(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

        workers.close();

        assertThat(finished).as("the turn in progress finished").isTrue();
        int after = turns.get();
        Thread.sleep(100);
        assertThat(turns.get()).as("no turn after the stop").isEqualTo(after);
    }

    @Test
    void aQueueWorkerProcessesEveryItemAndLeavesTheOneThatAlwaysFailsDead() throws Exception {
        WorkQueue queue = new WorkQueue(db, "test", new WorkQueue.Settings(Duration.ofMinutes(1), 2, Duration.ZERO,
                Duration.ZERO));
        for (int i = 0; i < 7; i++) {
            queue.enqueue("item-" + i, i == 3 ? "poison" : "fine");
        }
        List<String> done = new CopyOnWriteArrayList<>();
        try (Workers workers = new Workers(db, meters)) {
            workers.start(new QueueWorker("test-queue", TICK, queue, 2) {
                @Override
                protected void process(Item item) {
                    if (item.payload().equals("poison")) {
                        throw new IllegalArgumentException("cannot do " + item.key());
                    }
                    done.add(item.key());
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (queue.dead().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(TICK.toMillis());
            }
        }

        assertThat(done).containsExactlyInAnyOrder("item-0", "item-1", "item-2", "item-4", "item-5", "item-6");
        assertThat(queue.dead()).singleElement().satisfies(dead -> {
            assertThat(dead.key()).isEqualTo("item-3");
            assertThat(dead.lastError()).isEqualTo("java.lang.IllegalArgumentException: cannot do item-3");
        });
        assertThat(meters.counter("bollard.worker.failures", "worker", "test-queue").count())
                .as("a failed item is not a failed turn").isZero();
    }
}
