package dev.bollard.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.metadata.Database;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One node at a time runs a leased job: two "nodes" (two pools on one database) each with the same job; while one
 * runs, the other skips its turn; after it gives the lease up, the other runs; a lease that lapsed is taken over.
 */
class LeasedJobTest {
    @TempDir
    Path dir;

    @Test
    void whileOneNodeRunsTheJobTheOtherSkipsItsTurnAndRunsAfterwards() throws Exception {
        BollardConfig.Database config = new BollardConfig.Database("jdbc:h2:file:" + dir.resolve("db/bollard"), "", "", 4);
        ExecutorService threads = Executors.newCachedThreadPool();
        try (Database nodeA = Database.open(config); Database nodeB = Database.open(config)) {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            AtomicInteger runsB = new AtomicInteger();
            LeasedJob a = new LeasedJob(nodeA, "gc", Duration.ofMinutes(1), heartbeat -> {
                running.countDown();
                heartbeat.run();
                try {
                    finish.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            LeasedJob b = new LeasedJob(nodeB, "gc", Duration.ofMinutes(1), heartbeat -> runsB.incrementAndGet());
            Future<Boolean> ranA = threads.submit(a::runOnce);
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

            assertThat(b.runOnce()).as("node B while node A holds the lease").isFalse();
            assertThat(new LeasedJob(nodeB, "retention", Duration.ofMinutes(1), h -> { }).runOnce())
                    .as("another job has its own lease").isTrue();
            finish.countDown();
            assertThat(ranA.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(b.runOnce()).as("node B after node A gave the lease up").isTrue();
            assertThat(runsB.get()).isEqualTo(1);

            nodeA.inTransaction(h -> h.createUpdate(
                    "UPDATE job_lease SET holder = 'a node that died', expires_at = :t WHERE name = 'gc'")
                    .bind("t", java.time.Instant.now().minusSeconds(1)).execute());
            assertThat(b.runOnce()).as("a lapsed lease is taken over").isTrue();
        } finally {
            threads.shutdownNow();
        }
    }
}
