package dev.bollard.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.audit.Actor;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import dev.bollard.registry.Manifests;
import dev.bollard.registry.Registry;
import dev.bollard.storage.FilesystemBlobStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * every thread on its own connection; the production {@link Manifests} of each node) end consistent.
 * {@code H2ConcurrencyTest} and {@code PostgresConcurrencyTest} run it on each database.
 */
abstract class ConcurrencyContract extends DatabaseContract {
    private static final int THREADS = 8;
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final Actor ACTOR = Actor.system("concurrency-test");

    private Database nodeA;
    private Database nodeB;
    private final Map<Database, Manifests> manifests = new HashMap<>();

    @BeforeEach
    void openTwoNodes() throws IOException {
        nodeA = open(THREADS);
        nodeB = open(THREADS);
        BollardConfig defaults = ConfigLoader.builder().load();
        for (Database node : List.of(nodeA, nodeB)) {
            // The blob store is never touched by manifest pushes and deletes.
            manifests.put(node, new Registry(node, new FilesystemBlobStore(tempDir.resolve("blobs"),
                    tempDir.resolve("uploads")), defaults.registry(), defaults.lifecycle(), Outbox.RECORD_ONLY,
                    new SimpleMeterRegistry()).manifests());
        }
    }

    /** What one thread does, on the node it was given. */
    private interface Work {
        void run(int thread, Database node) throws Exception;
    }

    @Test
    void concurrentPushesOfOneTagEndWithOneTagAndAnUnbrokenHistory() throws Exception {
        int pushesPerThread = 12;
        List<String> pushed = Collections.synchronizedList(new ArrayList<>());
        Image image = new Image(nodeA, "race/app");

        runConcurrently((thread, node) -> {
            for (int i = 0; i < pushesPerThread; i++) {
                pushed.add(push(node, "race/app", "latest", image.manifest(thread * 1000 + i)));
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
        byte[] manifest = new Image(nodeA, "race/new").manifest(0);
        String digest = Digest.sha256(manifest).toString();

        runConcurrently((thread, node) -> push(node, "race/new", "v1", manifest));

        long r = nodeA.read((Handle h) -> RepositoryDao.findId(h, "race/new")).orElseThrow();
        assertThat(count(nodeA, "SELECT COUNT(*) FROM repository WHERE name = 'race/new'")).isEqualTo(1);
        assertThat(count(nodeA, "SELECT COUNT(*) FROM manifest WHERE repository_id = ?", r)).isEqualTo(1);
        assertThat(nodeA.read((Handle h) -> TagDao.digestOf(h, r, "v1"))).contains(digest);
        assertThat(history(nodeA, r, "v1")).singleElement().satisfies(row -> assertThat(row.end()).isNull());
    }

    @Test
    void concurrentMovesAndDeletesOfTagsAndManifestsKeepEveryHistoryConsistent() throws Exception {
        List<String> tags = List.of("a", "b", "c");
        Image image = new Image(nodeA, "race/mixed");
        List<byte[]> images = List.of(image.manifest(0), image.manifest(1), image.manifest(2), image.manifest(3));
        int operationsPerThread = 40;

        runConcurrently((thread, node) -> {
            Random random = new Random(thread);
            for (int i = 0; i < operationsPerThread; i++) {
                String tag = tags.get(random.nextInt(tags.size()));
                byte[] manifest = images.get(random.nextInt(images.size()));
                int what = random.nextInt(10);
                if (what < 6) {
                    push(node, "race/mixed", tag, manifest); // stores the manifest again if it was deleted
                } else if (what < 8) {
                    deleteIfPresent(node, "race/mixed", new Reference.ByTag(new Tag(tag)));
                } else {
                    deleteIfPresent(node, "race/mixed", new Reference.ByDigest(Digest.sha256(manifest)));
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

    /** Pushes {@code manifest} to {@code repository:tag} through {@code node}'s Manifests; returns its digest. */
    private String push(Database node, String repository, String tag, byte[] manifest) {
        return manifests.get(node).put(RepositoryName.parse(repository), new Reference.ByTag(new Tag(tag)),
                OCI_MANIFEST, manifest, ACTOR).digest().toString();
    }

    /** Deletes through {@code node}'s Manifests; a tag or manifest already gone (another thread's delete) is fine. */
    private void deleteIfPresent(Database node, String repository, Reference reference) {
        try {
            manifests.get(node).delete(RepositoryName.parse(repository), reference, ACTOR);
        } catch (BollardException e) {
            assertThat(e.code()).as("deleting %s", reference).isEqualTo(ErrorCode.MANIFEST_UNKNOWN);
        }
    }

    /** Image manifests over one config and one layer, both linked to the repository, that differ by an annotation. */
    private static final class Image {
        private final String config;
        private final String layer;

        Image(Database db, String repository) {
            long r = repository(db, repository);
            config = blob(db, r);
            layer = blob(db, r);
        }

        byte[] manifest(int n) {
            return ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                    + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config + "\",\"size\":1234},"
                    + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\""
                    + layer + "\",\"size\":1234}],\"annotations\":{\"n\":\"" + n + "\"}}")
                    .getBytes(StandardCharsets.UTF_8);
        }
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
