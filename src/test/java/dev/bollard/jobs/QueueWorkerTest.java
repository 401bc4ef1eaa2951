package dev.bollard.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.WorkItemDao;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A queue worker that runs items side by side: items of one order key one at a time in claim order, items of
 * different keys at once, a turn over an empty queue that does nothing (it once failed every turn there), and a run
 * longer than the lease that keeps its later items from being taken back by another node.
 */
class QueueWorkerTest {
    @TempDir
    Path dir;

    private Database db;
    private WorkQueue queue;

    @BeforeEach
    void open() {
        db = Database.open(new BollardConfig.Database("jdbc:h2:file:" + dir.resolve("db/bollard"), "", "", 8));
        queue = WorkQueue.ordered(db, "test", new WorkQueue.Settings(Duration.ofMinutes(1), 3, Duration.ofMillis(10),
                Duration.ofMillis(100)), QueueWorkerTest::beforeColon, 10);
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** The order key of the test queues' items: the part before the colon. */
    private static String beforeColon(String key) {
        return key.substring(0, key.indexOf(':'));
    }

    /** Processes by calling {@code work}. */
    private QueueWorker worker(int parallel, Work work) {
        return new QueueWorker("test", Duration.ofMillis(100), queue, 100, parallel) {
            @Override
            protected void process(WorkItemDao.Item item) throws Exception {
                work.on(item.payload());
            }
        };
    }

    private interface Work {
        void on(String payload) throws Exception;
    }

    @Test
    void aTurnOverAnEmptyQueueDoesNothing() {
        List<String> done = new CopyOnWriteArrayList<>();
        worker(8, done::add).turn(() -> { });
        assertThat(done).isEmpty();
    }

    @Test
    void oneKeysItemsRunInOrderOneAtATimeWhileAnotherKeysRunBesideThem() throws Exception {
        for (String payload : List.of("a:1", "b:1", "a:2", "a:3", "b:2")) {
            queue.enqueue(payload, payload);
        }
        CountDownLatch bDone = new CountDownLatch(2);
        List<String> done = new CopyOnWriteArrayList<>();
        worker(4, payload -> {
            if (payload.equals("a:1")) {
                // b's items finish while a's first one still runs: the keys run side by side.
                assertThat(bDone.await(10, TimeUnit.SECONDS)).as("b's items ran beside a:1").isTrue();
            }
            done.add(payload);
            if (payload.startsWith("b:")) {
                bDone.countDown();
            }
        }).turn(() -> { });
        assertThat(done.stream().filter(p -> p.startsWith("a:")).toList()).containsExactly("a:1", "a:2", "a:3");
        assertThat(done.stream().filter(p -> p.startsWith("b:")).toList()).containsExactly("b:1", "b:2");
        assertThat(done.indexOf("b:2")).isLessThan(done.indexOf("a:1"));
        assertThat(queue.depth()).isZero(); // every item completed
    }

    @Test
    void aRunLongerThanTheLeaseRenewsItsLaterItemsSoNoOtherNodeTakesThemBack() throws Exception {
        WorkQueue leased = WorkQueue.ordered(db, "slow", new WorkQueue.Settings(Duration.ofSeconds(2), 3,
                Duration.ofMillis(10), Duration.ofMillis(100)), QueueWorkerTest::beforeColon, 10);
        WorkQueue otherNode = WorkQueue.ordered(db, "slow", new WorkQueue.Settings(Duration.ofSeconds(2), 3,
                Duration.ofMillis(10), Duration.ofMillis(100)), QueueWorkerTest::beforeColon, 10);
        for (String payload : List.of("a:1", "a:2", "a:3")) {
            leased.enqueue(payload, payload);
        }
        List<String> done = new CopyOnWriteArrayList<>();
        QueueWorker slow = new QueueWorker("slow", Duration.ofSeconds(1), leased, 100, 4) {
            @Override
            protected void process(WorkItemDao.Item item) throws Exception {
                Thread.sleep(1_400); // three of these outlast the 2 s lease
                done.add(item.payload());
            }
        };
        Thread turn = Thread.ofVirtual().start(() -> slow.turn(() -> { }));
        Thread.sleep(3_200); // a:3's first lease lapsed at 2 s; renewed, it holds until after a:3 is done
        otherNode.reclaimLapsed();
        List<WorkItemDao.Item> taken = otherNode.claim(10);
        turn.join(10_000);
        assertThat(taken).as("items another node took back while the run went on").isEmpty();
        assertThat(done).containsExactly("a:1", "a:2", "a:3");
        assertThat(leased.depth()).isZero();
    }

    @Test
    void aKeyWithABacklogOfSlowItemsDoesNotHoldUpAnotherKeysItems() throws Exception {
        // 150 slow items of one key ahead of another key's: a claim of 100 once took 100 of the slow key and the next
        // claim waited for all of them (5 s here, 100 × the receiver's timeout for a webhook).
        for (int i = 1; i <= 150; i++) {
            queue.enqueue("slow:" + i, "slow:" + i);
        }
        for (int i = 1; i <= 5; i++) {
            queue.enqueue("fast:" + i, "fast:" + i);
        }
        List<String> done = new CopyOnWriteArrayList<>();
        CountDownLatch fastDone = new CountDownLatch(7);
        QueueWorker worker = worker(4, payload -> {
            if (payload.startsWith("slow:")) {
                Thread.sleep(50);
            } else {
                fastDone.countDown();
            }
            done.add(payload);
        });
        Thread turn = Thread.ofVirtual().start(() -> worker.turn(() -> { }));
        Thread.sleep(300); // the turn runs the slow lane; items of another key that come meanwhile go next interval
        queue.enqueue("fast:6", "fast:6");
        queue.enqueue("fast:7", "fast:7");
        assertThat(fastDone.await(3, TimeUnit.SECONDS)).as("the other key's items, done beside the slow backlog: %s",
                done).isTrue();
        long slowBefore = done.stream().filter(p -> p.startsWith("slow:")).count();
        assertThat(slowBefore).as("slow items done before the other key's last").isLessThan(60);
        turn.join(30_000);
        assertThat(done.stream().filter(p -> p.startsWith("slow:")).toList())
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 150).mapToObj(i -> "slow:" + i)
                        .toList());
        assertThat(done.stream().filter(p -> p.startsWith("fast:")).toList()).containsExactly("fast:1", "fast:2",
                "fast:3", "fast:4", "fast:5", "fast:6", "fast:7");
        assertThat(queue.depth()).isZero();
    }
}
