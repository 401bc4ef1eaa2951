package dev.bollard.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The garbage collector's races with pushes, decided by row locks, played step by step: one side holds its
 * transaction open at the critical moment while the other runs into the lock; whichever committed first wins and
 * the other sees its result. Two nodes (two pools) on one database: {@code H2GcRaceTest}, {@code PostgresGcRaceTest}.
 */
abstract class GcRaceContract extends DatabaseContract {

    private Database push;
    private Database collector;
    private ExecutorService threads;

    @BeforeEach
    void openTwoNodes() {
        push = open(4);
        collector = open(4);
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    /** An hour after the test starts: every link and blob of the test is older than the grace period then. */
    private final Instant later = Instant.now().plusSeconds(3600);

    /** Makes a link (and its blob) older than any grace period. */
    private static void age(Database db, long repositoryId, String digest) {
        db.inTransaction(h -> {
            h.createUpdate("UPDATE repository_blob SET linked_at = :t WHERE repository_id = :r AND digest = :d")
                    .bind("t", Instant.EPOCH).bind("r", repositoryId).bind("d", digest).execute();
            h.createUpdate("UPDATE blob SET touched_at = :t WHERE digest = :d")
                    .bind("t", Instant.EPOCH).bind("d", digest).execute();
            return null;
        });
    }

    /** Runs {@code work} in a transaction on another thread that waits at {@code hold} before committing. */
    private <T> Future<T> holdingTransaction(Database db, CountDownLatch locked, CountDownLatch release,
                                             java.util.function.Function<Handle, T> work) {
        return threads.submit(() -> db.inTransaction(h -> {
            T result = work.apply(h);
            locked.countDown();
            try {
                assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return result;
        }));
    }

    private static void assertBlocked(Future<?> f) throws Exception {
        try {
            f.get(500, TimeUnit.MILLISECONDS);
            throw new AssertionError("expected the transaction to wait for the row lock, but it finished: " + f.get());
        } catch (TimeoutException expected) {
            // waiting for the lock, as it should
        }
    }

    @Test
    void aManifestPushHoldingItsBlobLinksKeepsThemFromTheCollector() throws Exception {
        long r = repository(push, "gc/app");
        String layer = blob(push, r);
        age(push, r, layer);
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Long> pushing = holdingTransaction(push, locked, release, h -> {
            assertThat(BlobDao.linkedAmong(h, r, List.of(layer))).containsExactly(layer);
            return ManifestDao.insertIfAbsent(h, r, uniqueDigest(), "application/vnd.oci.image.manifest.v1+json",
                    null, null, "{}".getBytes(StandardCharsets.UTF_8), List.of(layer), List.of());
        });
        assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();

        Future<Boolean> collecting = threads.submit(() -> collector.inTransaction(h ->
                GcDao.deleteLinkIfUnreferenced(h, r, layer, later)));
        assertBlocked(collecting);
        release.countDown();
        pushing.get(10, TimeUnit.SECONDS);

        assertThat(collecting.get(10, TimeUnit.SECONDS)).as("the collector found the new reference").isFalse();
        assertThat((boolean) collector.<Boolean>inTransaction(h -> GcDao.markDeletingIfUnreferenced(h, layer, later))).isFalse();
        assertThat(push.read((Handle h) -> BlobDao.linkedSize(h, "gc/app", layer))).isPresent();
    }

    @Test
    void aCollectorHoldingALinkMakesTheRacingPushFindTheBlobUnknown() throws Exception {
        long r = repository(push, "gc/app");
        String layer = blob(push, r);
        age(push, r, layer);
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Boolean> collecting = holdingTransaction(collector, locked, release,
                h -> GcDao.deleteLinkIfUnreferenced(h, r, layer, later));
        assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();

        Future<Set<String>> pushing = threads.submit(() -> push.inTransaction(h -> BlobDao.linkedAmong(h, r,
                List.of(layer))));
        assertBlocked(pushing);
        release.countDown();
        assertThat(collecting.get(10, TimeUnit.SECONDS)).isTrue();

        assertThat(pushing.get(10, TimeUnit.SECONDS)).as("the push finds the link gone: MANIFEST_BLOB_UNKNOWN").isEmpty();
    }

    /**
     * A client's {@code HEAD} found the link, and the collector deletes it before the renewal: the renewal waits for the
     * collector's lock and then says the link is gone, so the client is told to upload the blob instead of being told
     * it exists (seen once in GcStressTest on PostgreSQL as a MANIFEST_BLOB_UNKNOWN inside the grace period).
     */
    @Test
    void aHeadRenewalRacingTheCollectorSaysTheLinkIsGone() throws Exception {
        long r = repository(push, "gc/app");
        String layer = blob(push, r);
        age(push, r, layer);
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Boolean> collecting = holdingTransaction(collector, locked, release,
                h -> GcDao.deleteLinkIfUnreferenced(h, r, layer, later));
        assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();

        Future<Boolean> renewing = threads.submit(() -> push.inTransaction(h ->
                BlobDao.renewLinkOlderThan(h, "gc/app", layer, Instant.now())));
        assertBlocked(renewing);
        release.countDown();
        assertThat(collecting.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(renewing.get(10, TimeUnit.SECONDS)).as("the renewal finds the link gone").isFalse();

        // Without a collector: an old link is renewed, a young one is left as it is; both are there.
        String other = blob(push, r);
        age(push, r, other);
        assertThat(push.<Boolean>inTransaction(h -> BlobDao.renewLinkOlderThan(h, "gc/app", other, Instant.now())))
                .isTrue();
        assertThat(push.<Boolean>inTransaction(h -> BlobDao.renewLinkOlderThan(h, "gc/app", other, Instant.EPOCH)))
                .isTrue();
    }

    @Test
    void aBlobIsMarkedOnlyWhenNothingLinksOrReferencesItAndItsBytesGoOnlyWhileStillMarked() {
        long r = repository(push, "gc/app");
        String layer = blob(push, r);
        age(push, r, layer);
        assertThat((boolean) collector.<Boolean>inTransaction(h -> GcDao.markDeletingIfUnreferenced(h, layer, later)))
                .as("linked").isFalse();
        assertThat((boolean) collector.<Boolean>inTransaction(h -> GcDao.deleteLinkIfUnreferenced(h, r, layer, Instant.EPOCH)))
                .as("linked within the grace period").isFalse();
        assertThat((boolean) collector.<Boolean>inTransaction(h -> GcDao.deleteLinkIfUnreferenced(h, r, layer, later))).isTrue();
        assertThat((boolean) collector.<Boolean>inTransaction(h -> GcDao.markDeletingIfUnreferenced(h, layer, Instant.EPOCH)))
                .as("touched within the grace period").isFalse();
        assertThat((boolean) collector.<Boolean>inTransaction(h -> GcDao.markDeletingIfUnreferenced(h, layer, later))).isTrue();

        // An upload of the same content takes it back before the collector gets to its bytes.
        push.inTransaction(h -> {
            BlobDao.reclaimForUpload(h, layer, 1234);
            return null;
        });
        assertThat(collector.<java.util.Optional<Long>>inTransaction(h -> GcDao.lockDeleting(h, layer))).as("live again").isEmpty();
        assertThat(count(push, "SELECT COUNT(*) FROM blob WHERE digest = ? AND state = 'live'", layer)).isEqualTo(1);
    }

    @Test
    void anUploadWaitsForTheCollectorDeletingItsBlobAndThenRecordsItAnew() throws Exception {
        long r = repository(push, "gc/app");
        String layer = blob(push, r);
        age(push, r, layer);
        collector.inTransaction(h -> GcDao.deleteLinkIfUnreferenced(h, r, layer, later));
        assertThat((boolean) collector.<Boolean>inTransaction(h -> GcDao.markDeletingIfUnreferenced(h, layer, later))).isTrue();
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Object> deleting = holdingTransaction(collector, locked, release, h -> {
            assertThat(GcDao.lockDeleting(h, layer)).contains(1234L);
            GcDao.deleteBlobRow(h, layer);
            return null;
        });
        assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();

        Future<Object> uploading = threads.submit(() -> push.inTransaction(h -> {
            BlobDao.reclaimForUpload(h, layer, 1234);
            return null;
        }));
        assertBlocked(uploading);
        release.countDown();
        deleting.get(10, TimeUnit.SECONDS);
        uploading.get(10, TimeUnit.SECONDS);
        assertThat(count(push, "SELECT COUNT(*) FROM blob WHERE digest = ? AND state = 'live'", layer))
                .as("the collector finished first: the upload claims the blob anew").isEqualTo(1);
        push.inTransaction(h -> {
            assertThat(BlobDao.lock(h, layer)).contains("live");
            BlobDao.recordLive(h, layer, 1234, true);
            BlobDao.link(h, r, layer);
            return null;
        });
        assertThat(push.read((Handle h) -> BlobDao.linkedSize(h, "gc/app", layer))).hasValue(1234);
    }

    @Test
    void anIndexPushHoldingAChildKeepsItFromTheCollector() throws Exception {
        long r = repository(push, "gc/app");
        String child = manifest(push, r);
        push.inTransaction(h -> h.createUpdate("UPDATE manifest SET pushed_at = :t WHERE digest = :d")
                .bind("t", Instant.EPOCH).bind("d", child).execute());
        long childId = count(push, "SELECT id FROM manifest WHERE digest = ?", child);
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Long> pushing = holdingTransaction(push, locked, release, h -> {
            assertThat(ManifestDao.presentAmong(h, r, List.of(child))).containsExactly(child);
            return ManifestDao.insertIfAbsent(h, r, uniqueDigest(), "application/vnd.oci.image.index.v1+json",
                    null, null, "{}".getBytes(StandardCharsets.UTF_8), List.of(), List.of(child));
        });
        assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();
        Future<Boolean> collecting = threads.submit(() -> collector.inTransaction(h ->
                GcDao.deleteManifestIfUnreferenced(h, r, childId, later, later)));
        assertBlocked(collecting);
        release.countDown();
        pushing.get(10, TimeUnit.SECONDS);
        assertThat(collecting.get(10, TimeUnit.SECONDS)).as("listed by the new index").isFalse();
        assertThat(count(push, "SELECT COUNT(*) FROM manifest WHERE digest = ?", child)).isEqualTo(1);
    }

    @Test
    void tagHistoryInTheWindowKeepsAManifestAndEndsItsProtectionWithTheWindow() {
        long r = repository(push, "gc/app");
        String digest = manifest(push, r);
        push.inTransaction(h -> {
            TagDao.set(h, r, "v1", digest);
            TagDao.delete(h, r, "v1");
            return h.createUpdate("UPDATE manifest SET pushed_at = :t WHERE digest = :d")
                    .bind("t", Instant.EPOCH).bind("d", digest).execute();
        });
        long id = count(push, "SELECT id FROM manifest WHERE digest = ?", digest);
        assertThat((boolean) collector.<Boolean>inTransaction(h -> GcDao.deleteManifestIfUnreferenced(h, r, id, later,
                Instant.now().minusSeconds(60)))).as("its tag ended within the window").isFalse();
        assertThat((boolean) collector.<Boolean>inTransaction(h -> GcDao.deleteManifestIfUnreferenced(h, r, id, later, later)))
                .as("the window has passed").isTrue();
    }
}
