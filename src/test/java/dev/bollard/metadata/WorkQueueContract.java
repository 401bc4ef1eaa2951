package dev.bollard.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.jobs.WorkQueue;
import dev.bollard.metadata.WorkItemDao.Item;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The work queue ({@link WorkQueue} on {@link WorkItemDao}) shared by two nodes (two {@link Database}s on one
 * database): idempotent enqueue, claims that never hand one item to two nodes, back-off and dead items, and items
 * of a node whose lease lapsed retried by another. {@code H2WorkQueueTest} and {@code PostgresWorkQueueTest} run it
 * on each database.
 */
abstract class WorkQueueContract extends DatabaseContract {
    private static final WorkQueue.Settings SETTINGS =
            new WorkQueue.Settings(Duration.ofMinutes(5), 3, Duration.ofHours(1), Duration.ofHours(4));

    @Test
    void enqueuingAKeyThatWaitsAddsNothingButOnceItRunsTheKeyMayWaitAgain() {
        WorkQueue queue = new WorkQueue(open(2), "scan", SETTINGS);

        assertThat(queue.enqueue("repo@sha256:1", "first")).isTrue();
        assertThat(queue.enqueue("repo@sha256:1", "second")).as("the same key while it waits").isFalse();
        assertThat(queue.enqueue("repo@sha256:2", null)).isTrue();
        assertThat(new WorkQueue(open(2), "webhook", SETTINGS).enqueue("repo@sha256:1", null))
                .as("another queue has its own keys").isTrue();

        List<Item> claimed = queue.claim(10);
        assertThat(claimed).extracting(Item::key).containsExactly("repo@sha256:1", "repo@sha256:2");
        assertThat(claimed.getFirst().payload()).isEqualTo("first");
        assertThat(claimed.getFirst().attempt()).isEqualTo(1);
        assertThat(queue.enqueue("repo@sha256:1", "after the start")).as("the key again while its item runs").isTrue();
        assertThat(queue.claim(10)).extracting(Item::payload).containsExactly("after the start");

        assertThat(queue.complete(claimed.getFirst())).isTrue();
        assertThat(queue.complete(claimed.getFirst())).as("done once").isFalse();
    }

    @Test
    void aFailedItemWaitsLongerAfterEachAttemptAndIsKeptDeadWithItsLastErrorAfterTheLast() {
        Database db = open(2);
        WorkQueue queue = new WorkQueue(db, "fetch", SETTINGS);
        queue.enqueue("sha256:abc", null);

        for (int attempt = 1; attempt <= 3; attempt++) {
            Item item = queue.claim(1).getFirst();
            assertThat(item.attempt()).isEqualTo(attempt);
            Instant failedAt = Instant.now();
            queue.fail(item, "upstream said 503 (" + attempt + ")");
            if (attempt < 3) {
                assertThat(queue.claim(1)).as("backing off after attempt %d", attempt).isEmpty();
                Instant next = db.read(h -> WorkItemDao.inState(h, "fetch", "pending")).getFirst().availableAt();
                assertThat(Duration.between(failedAt, next)).as("the wait after attempt %d", attempt)
                        .isBetween(Duration.ofHours(attempt).minusMinutes(1), Duration.ofHours(attempt).plusMinutes(1));
                makeDue(db);
            }
        }

        assertThat(queue.claim(1)).isEmpty();
        assertThat(queue.dead()).singleElement().satisfies(dead -> {
            assertThat(dead.key()).isEqualTo("sha256:abc");
            assertThat(dead.attempts()).isEqualTo(3);
            assertThat(dead.lastError()).isEqualTo("upstream said 503 (3)");
        });
        assertThat(queue.enqueue("sha256:abc", null)).as("a dead item does not keep its key from waiting again")
                .isTrue();
    }

    @Test
    void twoNodesClaimingAtOnceNeverTakeTheSameItem() throws Exception {
        int items = 120;
        WorkQueue nodeA = new WorkQueue(open(4), "race", SETTINGS);
        WorkQueue nodeB = new WorkQueue(open(4), "race", SETTINGS);
        for (int i = 0; i < items; i++) {
            nodeA.enqueue("item-" + i, null);
        }
        List<String> done = Collections.synchronizedList(new ArrayList<>());
        int threads = 6;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                WorkQueue node = t % 2 == 0 ? nodeA : nodeB;
                futures.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (List<Item> claimed = node.claim(4); !claimed.isEmpty(); claimed = node.claim(4)) {
                        for (Item item : claimed) {
                            done.add(item.key());
                            assertThat(node.complete(item)).isTrue();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(done).as("every item claimed exactly once").hasSize(items).doesNotHaveDuplicates();
        assertThat(count(open(1), "SELECT COUNT(*) FROM work_item")).isZero();
    }

    @Test
    void anOrderedQueuesClaimsTakeAFewOfEachIdleKeySoOneKeysBacklogFillsNoClaim() {
        Database db = open(2);
        WorkQueue queue = WorkQueue.ordered(db, "ordered", SETTINGS, key -> key.substring(0, key.indexOf(':')), 3);
        for (int i = 1; i <= 20; i++) {
            queue.enqueue("slow:" + i, null);
        }
        queue.enqueue("fast:1", null);
        queue.enqueue("fast:2", null);

        List<Item> first = queue.claim(100);
        assertThat(first).extracting(Item::key).containsExactly("slow:1", "slow:2", "slow:3", "fast:1", "fast:2");
        queue.enqueue("fast:3", null);
        queue.enqueue("other:1", null);
        assertThat(queue.claim(100)).as("none of a key that still runs").extracting(Item::key)
                .containsExactly("other:1");
        first.forEach(queue::complete);
        assertThat(queue.claim(100)).as("the keys' next items once theirs are done").extracting(Item::key)
                .containsExactly("slow:4", "slow:5", "slow:6", "fast:3");
    }

    @Test
    void twoNodesClaimingAnOrderedQueueAtOnceNeverRunOneKeysItemsSideBySideOrOutOfOrder() throws Exception {
        int keys = 6;
        int perKey = 30;
        WorkQueue nodeA = WorkQueue.ordered(open(4), "lanes", SETTINGS, key -> key.substring(0, key.indexOf(':')), 3);
        WorkQueue nodeB = WorkQueue.ordered(open(4), "lanes", SETTINGS, key -> key.substring(0, key.indexOf(':')), 3);
        for (int i = 0; i < perKey; i++) {
            for (int k = 0; k < keys; k++) {
                nodeA.enqueue("k" + k + ":" + i, null);
            }
        }
        java.util.Map<String, List<Integer>> done = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Set<String> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<String> overlaps = Collections.synchronizedList(new ArrayList<>());
        int threads = 6;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                WorkQueue node = t % 2 == 0 ? nodeA : nodeB;
                futures.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (int idle = 0; idle < 20; ) {
                        List<Item> claimed = node.claim(5);
                        if (claimed.isEmpty()) {
                            idle++;
                            Thread.sleep(10);
                            continue;
                        }
                        java.util.Set<String> mine = new java.util.HashSet<>();
                        for (Item item : claimed) {
                            String key = node.orderKey(item);
                            if (mine.add(key) && !running.add(key)) {
                                overlaps.add(key);
                            }
                        }
                        for (Item item : claimed) {
                            int n = Integer.parseInt(item.key().substring(item.key().indexOf(':') + 1));
                            done.computeIfAbsent(node.orderKey(item), k -> Collections.synchronizedList(
                                    new ArrayList<>())).add(n);
                        }
                        running.removeAll(mine); // before the items complete: the key is still theirs meanwhile
                        for (Item item : claimed) {
                            assertThat(node.complete(item)).isTrue();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(overlaps).as("keys claimed by one thread while another's claim of them ran").isEmpty();
        List<Integer> inOrder = java.util.stream.IntStream.range(0, perKey).boxed().toList();
        for (int k = 0; k < keys; k++) {
            assertThat(done.get("k" + k)).as("key k%d, each item once, in order", k).isEqualTo(inOrder);
        }
        assertThat(count(open(1), "SELECT COUNT(*) FROM work_item")).isZero();
    }

    @Test
    void theItemOfANodeWhoseLeaseLapsedIsRetriedByAnotherAndTheFirstCanNoLongerFinishIt() {
        Database db = open(2);
        WorkQueue nodeA = new WorkQueue(db, "deliver", SETTINGS);
        WorkQueue nodeB = new WorkQueue(open(2), "deliver", SETTINGS);
        nodeA.enqueue("hook-1", "{}");
        Item takenByA = nodeA.claim(1).getFirst();
        assertThat(nodeB.reclaimLapsed()).as("a lease that still runs").isZero();
        assertThat(nodeB.claim(1)).isEmpty();

        lapseLeases(db);
        assertThat(nodeB.reclaimLapsed()).isEqualTo(1);
        Item takenByB = nodeB.claim(1).getFirst();

        assertThat(takenByB.key()).isEqualTo("hook-1");
        assertThat(takenByB.attempt()).isEqualTo(2);
        assertThat(nodeA.renew(takenByA)).as("node A's lease is gone").isFalse();
        assertThat(nodeA.complete(takenByA)).isFalse();
        nodeA.fail(takenByA, "too late");
        assertThat(nodeB.complete(takenByB)).isTrue();
        assertThat(count(db, "SELECT COUNT(*) FROM work_item")).isZero();
    }

    @Test
    void anItemWhoseLeaseLapsedOnItsLastAttemptIsKeptDead() {
        Database db = open(2);
        WorkQueue queue = new WorkQueue(db, "build", new WorkQueue.Settings(Duration.ofMinutes(5), 1,
                Duration.ofSeconds(1), Duration.ofSeconds(1)));
        queue.enqueue("build-7", null);
        Item item = queue.claim(1).getFirst();
        assertThat(queue.renew(item)).isTrue();

        lapseLeases(db);
        assertThat(queue.reclaimLapsed()).isEqualTo(1);

        assertThat(queue.claim(1)).isEmpty();
        assertThat(queue.dead()).singleElement().satisfies(dead ->
                assertThat(dead.lastError()).startsWith("the lease of ").endsWith(" lapsed"));
    }

    private static void makeDue(Database db) {
        db.inTransaction(h -> h.createUpdate("UPDATE work_item SET available_at = :t WHERE state = 'pending'")
                .bind("t", Instant.now().minusSeconds(1)).execute());
    }

    private static void lapseLeases(Database db) {
        db.inTransaction(h -> h.createUpdate("UPDATE work_item SET lease_until = :t WHERE state = 'running'")
                .bind("t", Instant.now().minusSeconds(1)).execute());
    }
}
