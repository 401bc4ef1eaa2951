package dev.bollard.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Concurrent pushes and deletes from two Bollard nodes sharing one database (two {@link Database}s, two pools;
 * every thread on its own connection) end consistent. {@code H2ConcurrencyTest} and {@code PostgresConcurrencyTest}
 * run it on each database.
 */
abstract class ConcurrencyContract extends DatabaseContract {
    private static final int THREADS = 8;

    private Database nodeA;
    private Database nodeB;

    @BeforeEach
    void openTwoNodes() {
        nodeA = open(THREADS);
        nodeB = open(THREADS);
    }

    /** What one thread does, on the node it was given. */
    private interface Work {
        void run(int thread, Database node) throws Exception;
    }

    @Test
    void concurrentPushesOfOneTagEndWithOneTagAndAnUnbrokenHistory() throws Exception {
        int pushesPerThread = 12;
        List<String> pushed = Collections.synchronizedList(new ArrayList<>());

        runConcurrently((thread, node) -> {
            for (int i = 0; i < pushesPerThread; i++) {
                String digest = uniqueDigest();
                push(node, "race/app", "latest", digest);
                pushed.add(digest);
            }
        });

        long r = nodeA.read((Handle h) -> RepositoryDao.findId(h, "race/app")).orElseThrow();
        assertThat(count(nodeA, "SELECT COUNT(*) FROM repository WHERE name = 'race/app'")).isEqualTo(1);
        assertThat(count(nodeA, "SELECT COUNT(*) FROM tag WHERE repository_id = ?", r)).isEqualTo(1);
        List<HistoryRow> history = history(nodeA, r, "latest");
        assertThat(history).as("one assignment per push").hasSize(THREADS * pushesPerThread);
        assertThat(history).extracting(HistoryRow::digest).containsExactlyInAnyOrderElementsOf(pushed);
        assertThat(history.stream().filter(row -> row.end() == null)).hasSize(1);
        assertConsistentHistory(nodeA, r, "latest");
        assertConsistentHistory(nodeB, r, "latest");
    }

    @Test
    void concurrentFirstPushesOfOneManifestToOneNewTagStoreEverythingOnce() throws Exception {
        String digest = uniqueDigest();

        runConcurrently((thread, node) -> push(node, "race/new", "v1", digest));

        long r = nodeA.read((Handle h) -> RepositoryDao.findId(h, "race/new")).orElseThrow();
        assertThat(count(nodeA, "SELECT COUNT(*) FROM repository WHERE name = 'race/new'")).isEqualTo(1);
        assertThat(count(nodeA, "SELECT COUNT(*) FROM manifest WHERE repository_id = ?", r)).isEqualTo(1);
        assertThat(nodeA.read((Handle h) -> TagDao.digestOf(h, r, "v1"))).contains(digest);
        assertThat(history(nodeA, r, "v1")).singleElement().satisfies(row -> assertThat(row.end()).isNull());
    }

    @Test
    void concurrentMovesAndDeletesOfTagsAndManifestsKeepEveryHistoryConsistent() throws Exception {
        List<String> tags = List.of("a", "b", "c");
        List<String> digests = List.of(uniqueDigest(), uniqueDigest(), uniqueDigest(), uniqueDigest());
        int operationsPerThread = 40;

        runConcurrently((thread, node) -> {
            Random random = new Random(thread);
            for (int i = 0; i < operationsPerThread; i++) {
                String tag = tags.get(random.nextInt(tags.size()));
                String digest = digests.get(random.nextInt(digests.size()));
                int what = random.nextInt(10);
                if (what < 6) {
                    push(node, "race/mixed", tag, digest); // stores the manifest again if it was deleted
                } else if (what < 8) {
                    node.inTransaction((Handle h) -> TagDao.delete(h, RepositoryDao.findOrCreate(h, "race/mixed"), tag));
                } else {
                    node.inTransaction((Handle h) -> { // as Manifests.delete does
                        long r = RepositoryDao.findOrCreate(h, "race/mixed");
                        TagDao.endHistoryOfTagsOn(h, r, digest);
                        return ManifestDao.delete(h, r, digest);
                    });
                }
            }
        });

        long r = nodeA.read((Handle h) -> RepositoryDao.findId(h, "race/mixed")).orElseThrow();
        for (String tag : tags) {
            assertConsistentHistory(nodeA, r, tag);
            nodeA.read((Handle h) -> TagDao.digestOf(h, r, tag)).ifPresent(d -> assertThat(
                    nodeA.read((Handle h) -> ManifestDao.byDigest(h, r, d))).as("manifest of tag %s", tag).isPresent());
        }
        assertThat(count(nodeA, """
                SELECT COUNT(*) FROM tag_history WHERE repository_id = ? AND lifetime_end IS NULL""", r))
                .as("open assignments, one per existing tag")
                .isEqualTo(count(nodeA, "SELECT COUNT(*) FROM tag WHERE repository_id = ?", r));
    }

    /** A manifest push as Manifests.put does it: the repository, the manifest and the tag, in one transaction. */
    private static void push(Database node, String repository, String tag, String digest) {
        node.inTransaction((Handle h) -> {
            long r = RepositoryDao.findOrCreate(h, repository);
            insertManifest(h, r, digest);
            TagDao.set(h, r, tag, digest);
            return null;
        });
    }

    /** Runs {@code work} on {@value #THREADS} threads at once, alternately on node A and node B. */
    private void runConcurrently(Work work) throws Exception {
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                Database node = thread % 2 == 0 ? nodeA : nodeB;
                futures.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    work.run(thread, node);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS); // a failure of any thread fails the test, with its cause
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
