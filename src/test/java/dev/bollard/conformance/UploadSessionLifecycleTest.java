package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upload sessions outlive a restart, and expire after {@code uploads.expiry} without activity. This class's
 * registry runs with a 2 s expiry swept every 100 ms; the restart test runs registries of its own.
 */
class UploadSessionLifecycleTest extends ConformanceSupport {
    private static final Duration EXPIRY = Duration.ofSeconds(2);
    private static final Duration SWEEP = Duration.ofMillis(100);

    @Override
    BollardConfig config(Path dataDir) {
        return configWith(dataDir, "uploads.expiry", EXPIRY.toMillis() + "ms", "uploads.cleanup-interval",
                SWEEP.toMillis() + "ms");
    }

    @Test
    void sessionSurvivesARestart(@TempDir Path dir) throws Exception {
        String repo = repo("restart");
        byte[] all = Oci.randomBytes(2000);
        String digest = Oci.sha256(all);
        String location;
        TestRegistry first = registry;
        registry = TestRegistry.start(dir);
        try {
            location = startUpload(repo);
            Resp p = patch(location, Arrays.copyOfRange(all, 0, 1000), "Content-Range", "0-999",
                    "Content-Type", "application/octet-stream");
            assertStatus(p, 202);
            location = p.header("Location").orElseThrow();
            registry.close();

            registry = TestRegistry.start(dir); // same data, new port: Location is resolved against it
            Resp status = get(location);
            assertStatus(status, 204);
            assertHeader(status, "Range", "0-999");
            Resp p2 = patch(location, Arrays.copyOfRange(all, 1000, 2000), "Content-Range", "1000-1999",
                    "Content-Type", "application/octet-stream");
            assertStatus(p2, 202);
            assertHeader(p2, "Range", "0-1999");
            Resp done = put(withQuery(p2.header("Location").orElseThrow(), "digest=" + digest), new byte[0]);
            assertStatus(done, 201);
            Resp g = get("/v2/" + repo + "/blobs/" + digest);
            assertStatus(g, 200);
            assertThat(g.body()).isEqualTo(all);
        } finally {
            registry.close();
            registry = first;
        }
    }

    @Test
    void idleSessionExpires() throws Exception {
        String repo = repo("expiry");
        byte[] content = Oci.randomBytes(100);
        String location = startUpload(repo);
        long lastActivity = System.nanoTime();
        Resp p = patch(location, content, "Content-Type", "application/octet-stream");
        assertStatus(p, 202);
        // No request at all while idle (whether a status GET counts as activity is not the question here): the
        // session's row is watched in the database until the sweep deletes it, which must not be before the expiry.
        long gone = awaitNoUploadSession(repo, EXPIRY.plus(SWEEP).plusSeconds(30));
        assertThat(Duration.ofNanos(gone - lastActivity)).as("idle time at which the session was swept")
                .isGreaterThanOrEqualTo(EXPIRY);
        Resp last = get(location);
        assertError(last, 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(put(withQuery(location, "digest=" + Oci.sha256(content)), new byte[0]), 404,
                "BLOB_UPLOAD_UNKNOWN");
        assertError(get("/v2/" + repo + "/blobs/" + Oci.sha256(content)), 404, "BLOB_UNKNOWN");
    }

    /** Waits for the upload sessions of {@code repo} to be gone (up to {@code timeout}); returns when, as nanoTime. */
    private long awaitNoUploadSession(String repo, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (registry.server().database().read(h -> h.createQuery(
                        "SELECT COUNT(*) FROM upload u JOIN repository r ON r.id = u.repository_id WHERE r.name = :repo")
                .bind("repo", repo).mapTo(Long.class).one()) > 0) {
            assertThat(System.nanoTime()).as("upload session still there %s after its last activity", timeout)
                    .isLessThan(deadline);
            Thread.sleep(SWEEP.toMillis());
        }
        return System.nanoTime();
    }

    @Test
    void activeSessionDoesNotExpire() throws Exception {
        String repo = repo("expiry");
        byte[] chunk = Oci.randomBytes(10);
        String location = startUpload(repo);
        // one small chunk every fifth of the expiry, for 1.6 times the expiry: never idle for long
        long previous = System.nanoTime();
        for (int i = 0; i < 8; i++) {
            Resp p = patch(location, chunk, "Content-Type", "application/octet-stream");
            long idle = System.nanoTime() - previous;
            assertThat(Duration.ofNanos(idle)).as("time since the previous request (a stalled test machine, not "
                    + "the registry, when longer than the expiry)").isLessThan(EXPIRY);
            assertStatus(p, 202);
            assertHeader(p, "Range", "0-" + (10 * (i + 1) - 1));
            location = p.header("Location").orElseThrow();
            previous = System.nanoTime();
            Thread.sleep(EXPIRY.toMillis() / 5);
        }
        byte[] all = new byte[80];
        for (int i = 0; i < 8; i++) {
            System.arraycopy(chunk, 0, all, i * 10, 10);
        }
        Resp done = put(withQuery(location, "digest=" + Oci.sha256(all)), new byte[0]);
        assertStatus(done, 201);
    }
}
