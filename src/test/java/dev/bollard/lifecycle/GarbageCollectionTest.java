package dev.bollard.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.audit.Actor;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.jobs.GarbageCollector;
import dev.bollard.metadata.GcDao;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The garbage collector on the registry's use cases: what it frees and what it keeps (shared layers, the grace
 * period, the time machine's window, index children, referrers), the dry run, and an upload that takes back a
 * blob the collector had marked.
 */
class GarbageCollectionTest {
    private static final Actor ADMIN = new Actor(Actor.Kind.USER, "admin", "127.0.0.1", "test");

    private static final Duration NONE = Duration.ZERO;

    @TempDir
    Path dir;

    private LifecycleFixture f;

    @BeforeEach
    void start() throws Exception {
        f = new LifecycleFixture(dir.resolve("data"));
    }

    @AfterEach
    void stop() {
        f.close();
    }

    private static RepositoryName repo(String name) {
        return new RepositoryName(name);
    }

    private boolean manifestStored(String repository, Digest digest) {
        try {
            f.registry.manifests().get(repo(repository), new Reference.ByDigest(digest));
            return true;
        } catch (BollardException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_UNKNOWN);
            return false;
        }
    }

    @Test
    void aDeletedTagsManifestAndItsOwnBlobsAreFreedWhileSharedLayersStayAndADryRunChangesNothing() throws Exception {
        byte[] shared = LifecycleFixture.bytes("shared", 40_000);
        byte[] onlyA = LifecycleFixture.bytes("a", 30_000);
        LifecycleFixture.Image a = f.image("gc/a", "v1", shared, onlyA);
        LifecycleFixture.Image keep = f.image("gc/a", "keep", shared);
        LifecycleFixture.Image b = f.image("gc/b", "v1", shared, LifecycleFixture.bytes("b", 20_000));
        f.registry.manifests().delete(repo("gc/a"), new Reference.ByTag(new Tag("v1")), LifecycleFixture.TESTER);
        Digest onlyADigest = a.blobs().get(1);
        Digest configA = a.blobs().get(2);
        long freedBytes = onlyA.length + f.store.size(configA).orElseThrow();

        assertThat(f.collector(Duration.ofHours(1), NONE).collect(true).manifests())
                .as("pushed within the grace period").isZero();
        GarbageCollector.Report dry = f.collector(NONE, NONE).collect(true);
        assertThat(dry.dryRun()).isTrue();
        assertThat(List.of(dry.manifests(), dry.links(), dry.blobs())).containsExactly(1, 2, 2);
        assertThat(dry.bytes()).isEqualTo(freedBytes);
        assertThat(dry.listed()).contains("manifest gc/a@" + a.digest(), "link gc/a@" + onlyADigest,
                "blob " + onlyADigest + " (" + onlyA.length + " bytes)");
        assertThat(manifestStored("gc/a", a.digest())).as("a dry run deletes nothing").isTrue();
        assertThat(f.stored(onlyADigest)).isTrue();

        GarbageCollector.Report run = f.collector(NONE, NONE).collect(false);
        assertThat(List.of(run.manifests(), run.links(), run.blobs())).containsExactly(1, 2, 2);
        assertThat(run.bytes()).isEqualTo(freedBytes);
        assertThat(manifestStored("gc/a", a.digest())).isFalse();
        assertThat(f.stored(onlyADigest)).isFalse();
        assertThat(f.stored(configA)).isFalse();
        for (LifecycleFixture.Image kept : List.of(keep, b)) {
            for (Digest blob : kept.blobs()) {
                assertThat(f.stored(blob)).as("blob %s of a tagged image", blob).isTrue();
            }
        }
        assertThat(f.registry.blobs().stat(repo("gc/a"), a.blobs().get(0)).size()).isEqualTo(shared.length);
        assertThatThrownBy(() -> f.registry.blobs().stat(repo("gc/a"), onlyADigest))
                .isInstanceOfSatisfying(BollardException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UNKNOWN));
        assertThat(f.meters.counter("bollard.gc.blobs.deleted").count()).isEqualTo(2);
        assertThat(f.meters.counter("bollard.gc.reclaimed").count()).isEqualTo((double) freedBytes);
        assertThat(f.meters.counter("bollard.gc.manifests.deleted").count()).isEqualTo(1);

        GarbageCollector.Report again = f.collector(NONE, NONE).collect(false);
        assertThat(List.of(again.manifests(), again.links(), again.blobs())).containsExactly(0, 0, 0);
    }

    @Test
    void theTimeMachinesWindowKeepsAnUntaggedManifestUntilItPasses() throws Exception {
        LifecycleFixture.Image a = f.image("gc/app", "v1", LifecycleFixture.bytes("layer", 1000));
        f.image("gc/app", "v1", LifecycleFixture.bytes("layer2", 1000)); // moves v1 away from a
        assertThat(f.collector(NONE, Duration.ofDays(14)).collect(false).manifests()).isZero();
        assertThat(manifestStored("gc/app", a.digest())).isTrue();

        f.registry.history().setWindow(ADMIN, "gc", Duration.ZERO);
        GarbageCollector.Report run = f.collector(NONE, Duration.ofDays(14)).collect(false);
        assertThat(run.manifests()).as("the namespace's own window of 0").isEqualTo(1);
        assertThat(manifestStored("gc/app", a.digest())).isFalse();
        for (Digest blob : a.blobs()) {
            assertThat(f.stored(blob)).isFalse();
        }
    }

    @Test
    void indexChildrenAndReferrersLiveAsLongAsTheirIndexAndSubject() throws Exception {
        LifecycleFixture.Image amd64 = f.image("gc/multi", null, LifecycleFixture.bytes("amd64", 500));
        LifecycleFixture.Image arm64 = f.image("gc/multi", null, LifecycleFixture.bytes("arm64", 500));
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + LifecycleFixture.OCI_INDEX + "\",\"manifests\":["
                + "{\"mediaType\":\"" + LifecycleFixture.OCI_MANIFEST + "\",\"digest\":\"" + amd64.digest() + "\",\"size\":"
                + amd64.manifest().length + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
                + "{\"mediaType\":\"" + LifecycleFixture.OCI_MANIFEST + "\",\"digest\":\"" + arm64.digest() + "\",\"size\":"
                + arm64.manifest().length + ",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}")
                .getBytes(StandardCharsets.UTF_8);
        Digest indexDigest = f.put("gc/multi", "latest", LifecycleFixture.OCI_INDEX, index);
        byte[] sigConfig = "{}".getBytes(StandardCharsets.UTF_8);
        Digest sigConfigDigest = f.blob("gc/multi", sigConfig);
        byte[] sigLayer = LifecycleFixture.bytes("signature", 100);
        Digest sigLayerDigest = f.blob("gc/multi", sigLayer);
        byte[] signature = LifecycleFixture.imageManifest(sigConfigDigest, sigConfig.length, List.of(sigLayerDigest),
                List.of((long) sigLayer.length), amd64.digest(), amd64.manifest().length);
        Digest signatureDigest = f.put("gc/multi", null, LifecycleFixture.OCI_MANIFEST, signature);

        GarbageCollector.Report kept = f.collector(NONE, NONE).collect(false);
        assertThat(List.of(kept.manifests(), kept.links(), kept.blobs())).containsExactly(0, 0, 0);
        for (Digest d : List.of(indexDigest, amd64.digest(), arm64.digest(), signatureDigest)) {
            assertThat(manifestStored("gc/multi", d)).as("manifest %s", d).isTrue();
        }

        f.registry.manifests().delete(repo("gc/multi"), new Reference.ByTag(new Tag("latest")), LifecycleFixture.TESTER);
        GarbageCollector.Report dry = f.collector(NONE, NONE).collect(true);
        GarbageCollector.Report run = f.collector(NONE, NONE).collect(false);
        assertThat(run.manifests()).as("index, two children, the referrer").isEqualTo(4).isEqualTo(dry.manifests());
        assertThat(run.blobs()).as("two configs, two layers, the signature's config and layer").isEqualTo(6)
                .isEqualTo(dry.blobs());
        assertThat(run.bytes()).isEqualTo(dry.bytes());
        assertThat(f.stored(sigLayerDigest)).isFalse();
    }

    @Test
    void aBlobUploadedButNotYetReferencedIsKeptForTheGracePeriod() throws Exception {
        Digest pending = f.blob("gc/app", LifecycleFixture.bytes("pending", 5000));
        assertThat(f.collector(Duration.ofMinutes(5), NONE).collect(false).blobs()).isZero();
        assertThat(f.stored(pending)).isTrue();
        assertThat(f.registry.blobs().stat(repo("gc/app"), pending).size()).isEqualTo(5000);

        GarbageCollector.Report run = f.collector(NONE, NONE).collect(false);
        assertThat(List.of(run.links(), run.blobs())).containsExactly(1, 1);
        assertThat(f.stored(pending)).isFalse();
    }

    @Test
    void anUploadTakesBackABlobTheCollectorHadMarkedAndTheCollectorThenLeavesItAlone() throws Exception {
        byte[] content = LifecycleFixture.bytes("again", 3000);
        Digest digest = f.blob("gc/app", content);
        f.registry.blobs().delete(repo("gc/app"), digest, LifecycleFixture.TESTER);
        Instant later = Instant.now().plusSeconds(60);
        assertThat((boolean) f.db.<Boolean>inTransaction(h -> GcDao.markDeletingIfUnreferenced(h, digest.toString(), later)))
                .isTrue();

        f.blob("gc/other", content); // a client pushes the same content again

        GarbageCollector.Report run = f.collector(Duration.ofMinutes(1), NONE).collect(false);
        assertThat(run.blobs()).as("linked again: live, not deleted").isZero();
        assertThat(f.stored(digest)).isTrue();
        assertThat(f.registry.blobs().stat(repo("gc/other"), digest).size()).isEqualTo(content.length);
    }

    @Test
    void aManifestPushReferencingABlobTheCollectorRemovedFailsWithBlobUnknownAndStoresNothing() throws Exception {
        byte[] layer = LifecycleFixture.bytes("layer", 2000);
        Digest layerDigest = f.blob("gc/app", layer);
        byte[] config = "{\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        Digest configDigest = f.blob("gc/app", config);
        f.collector(NONE, NONE).collect(false); // nothing references them: both go
        byte[] manifest = LifecycleFixture.imageManifest(configDigest, config.length, List.of(layerDigest),
                List.of((long) layer.length), null, 0);

        assertThatThrownBy(() -> f.put("gc/app", "v1", LifecycleFixture.OCI_MANIFEST, manifest))
                .isInstanceOfSatisfying(BollardException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_BLOB_UNKNOWN));
        assertThat(manifestStored("gc/app", Digest.sha256(manifest))).isFalse();
    }

    @Test
    void bytesNoRowRecordsLeftByACrashBetweenCommitAndTransactionAreReclaimedAfterTheGracePeriod() throws Exception {
        byte[] content = LifecycleFixture.bytes("orphan", 777);
        Digest orphan = Digest.sha256(content);
        java.nio.file.Path file = f.store.pathOf(orphan);
        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Files.write(file, content);
        Digest kept = f.blob("gc/app", LifecycleFixture.bytes("kept", 100));

        assertThat(f.collector(Duration.ofMinutes(5), NONE).collect(true).blobs()).as("written just now").isZero();
        java.nio.file.Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(Instant.now().minusSeconds(600)));
        GarbageCollector.Report dry = f.collector(Duration.ofMinutes(5), NONE).collect(true);
        assertThat(dry.listed()).containsExactly("blob " + orphan + " (777 bytes)");
        assertThat(f.stored(orphan)).isTrue();

        GarbageCollector.Report run = f.collector(Duration.ofMinutes(5), NONE).collect(false);
        assertThat(List.of(run.blobs(), (int) run.bytes())).containsExactly(1, 777);
        assertThat(f.stored(orphan)).isFalse();
        assertThat(f.stored(kept)).isTrue();

        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Files.write(file, content);
        java.nio.file.Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(Instant.now().minusSeconds(600)));
        f.blob("gc/app", content); // the same content pushed again over the old file: recorded, kept
        assertThat(f.collector(Duration.ofMinutes(5), NONE).collect(false).blobs()).isZero();
        assertThat(f.registry.blobs().stat(repo("gc/app"), orphan).size()).isEqualTo(777);
    }
}
