package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upload sessions survive a SIGKILL of the registry and expire after {@code uploads.expiry} without activity, their
 * staging data deleted.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class UploadResumeTest {

    private static final String REPO = "resume/app";

    @TempDir
    Path tmp;

    /** POST, PATCH, kill -9, restart: status shows the same Range; PATCH, kill -9, restart; PUT → 201, blob intact. */
    @Test
    void uploadContinuesAfterKill9() throws Exception {
        byte[] chunk1 = bytes(1, 3 << 20);
        byte[] chunk2 = bytes(2, (2 << 20) + 12345);
        byte[] blob = concat(chunk1, chunk2);
        String digest = RegistryClient.sha256(blob);

        ServerProcess server = ServerProcess.builder(tmp.resolve("data")).jvmArgs("-Xmx256m").start();
        try (RegistryClient client = new RegistryClient(server.baseUri())) {
            String location = client.startUpload(REPO);
            HttpResponse<byte[]> first = client.patch(location, chunk1, 0L);
            assertThat(RegistryClient.header(first, "Range")).isEqualTo("0-" + (chunk1.length - 1));
            String uuid = RegistryClient.requireHeader(first, "Docker-Upload-UUID");
            location = RegistryClient.requireHeader(first, "Location");

            server.kill9();
            server = server.restart();
            client.rebase(server.baseUri());

            HttpResponse<byte[]> status = client.get(location);
            assertThat(status.statusCode()).as("GET upload status after kill -9: %s", RegistryClient.text(status.body()))
                    .isEqualTo(204);
            assertThat(RegistryClient.header(status, "Range")).as("Range after kill -9").isEqualTo("0-" + (chunk1.length - 1));
            assertThat(RegistryClient.header(status, "Docker-Upload-UUID")).isEqualTo(uuid);
            location = RegistryClient.requireHeader(status, "Location");

            HttpResponse<byte[]> second = client.patch(location, chunk2, (long) chunk1.length);
            assertThat(RegistryClient.header(second, "Range")).isEqualTo("0-" + (blob.length - 1));
            location = RegistryClient.requireHeader(second, "Location");

            server.kill9();
            server = server.restart();
            client.rebase(server.baseUri());

            status = client.get(location);
            assertThat(status.statusCode()).as("GET upload status after the second kill -9: %s",
                    RegistryClient.text(status.body())).isEqualTo(204);
            assertThat(RegistryClient.header(status, "Range")).isEqualTo("0-" + (blob.length - 1));

            HttpResponse<byte[]> done = client.finishUpload(location, digest, null);
            assertThat(RegistryClient.header(done, "Location")).endsWith("/v2/" + REPO + "/blobs/" + digest);

            HttpResponse<byte[]> get = RegistryClient.expect(client.get("/v2/" + REPO + "/blobs/" + digest), 200);
            assertThat(Arrays.equals(get.body(), blob)).as("blob GETs back byte-identical").isTrue();
            assertThat(StoreVerifier.regularFiles(server.dataDir().resolve("blobs")))
                    .as("the blob's file").contains(blobFile(server.dataDir(), digest));
            assertThat(StoreVerifier.hashFile(blobFile(server.dataDir(), digest), "SHA-256"))
                    .isEqualTo(digest.substring("sha256:".length()));

            HttpResponse<byte[]> gone = client.get(location);
            assertThat(gone.statusCode()).as("status of a finished session").isEqualTo(404);
            assertThat(RegistryClient.errorCode(gone.body())).isEqualTo("BLOB_UPLOAD_UNKNOWN");
        } finally {
            server.stop();
        }
    }

    /**
     * A PATCH cut by kill -9 half way: after the restart the session holds a prefix (at least the acknowledged
     * chunk, at most what was sent); the client continues from the Range the server reports and the blob is intact.
     */
    @Test
    void patchCutByKill9ResumesFromTheReportedRange() throws Exception {
        byte[] chunk1 = bytes(3, 1 << 20);
        byte[] rest = bytes(4, 8 << 20);
        byte[] blob = concat(chunk1, rest);
        String digest = RegistryClient.sha256(blob);

        ServerProcess server = ServerProcess.builder(tmp.resolve("data")).jvmArgs("-Xmx256m").start();
        try (RegistryClient client = new RegistryClient(server.baseUri())) {
            String location = RegistryClient.requireHeader(client.patch(client.startUpload(REPO), chunk1, 0L), "Location");

            // The second chunk trickles: 3 MiB quickly, then 64 KiB every 20 ms; the kill comes in the middle.
            CountDownLatch halfway = new CountDownLatch(1);
            AtomicLong sent = new AtomicLong();
            InputStream trickle = new InputStream() {
                private int pos;

                @Override
                public int read() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (pos >= rest.length) {
                        return -1;
                    }
                    if (pos >= 3 << 20) {
                        halfway.countDown();
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                        len = Math.min(len, 64 << 10);
                    }
                    int n = Math.min(len, rest.length - pos);
                    System.arraycopy(rest, pos, b, off, n);
                    pos += n;
                    sent.addAndGet(n);
                    return n;
                }
            };
            HttpRequest cut = client.request(location)
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", chunk1.length + "-" + (blob.length - 1))
                    .method("PATCH", HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> trickle), rest.length))
                    .build();
            CompletableFuture<HttpResponse<byte[]>> pending = client.http().sendAsync(cut,
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(halfway.await(60, TimeUnit.SECONDS)).as("3 MiB of the second chunk sent").isTrue();
            Thread.sleep(300);
            server.kill9();
            long sentAtKill = sent.get();
            try {
                HttpResponse<byte[]> r = pending.get(60, TimeUnit.SECONDS);
                throw new AssertionError("the cut PATCH was answered " + r.statusCode() + " although only " + sentAtKill
                        + " of " + rest.length + " bytes had been sent");
            } catch (java.util.concurrent.ExecutionException expected) {
                // the connection died with the server
            }

            server = server.restart();
            client.rebase(server.baseUri());
            HttpResponse<byte[]> status = client.get(location);
            assertThat(status.statusCode()).as("GET upload status after the kill: %s", RegistryClient.text(status.body()))
                    .isEqualTo(204);
            long kept = rangeSize(RegistryClient.requireHeader(status, "Range"));
            System.out.printf("PATCH cut after %d bytes of the second chunk sent (client side); after the restart the"
                    + " session holds %d bytes (first chunk: %d)%n", sentAtKill, kept, chunk1.length);
            assertThat(kept).as("bytes the session holds after the kill (Range %s); its first %d bytes had been acknowledged"
                            + " with 202 before, and %d more bytes sent", RegistryClient.header(status, "Range"),
                    chunk1.length, sentAtKill)
                    .isBetween((long) chunk1.length, (long) chunk1.length + sentAtKill);
            location = RegistryClient.requireHeader(status, "Location");

            HttpResponse<byte[]> resumed = client.patch(location, Arrays.copyOfRange(blob, (int) kept, blob.length), kept);
            assertThat(RegistryClient.header(resumed, "Range")).isEqualTo("0-" + (blob.length - 1));
            client.finishUpload(RegistryClient.requireHeader(resumed, "Location"), digest, null);

            HttpResponse<byte[]> get = RegistryClient.expect(client.get("/v2/" + REPO + "/blobs/" + digest), 200);
            assertThat(Arrays.equals(get.body(), blob)).as("blob GETs back byte-identical").isTrue();
            assertThat(new StoreVerifier(client).verifyBlobFiles(server.dataDir().resolve("blobs")).violations()).isEmpty();
        } finally {
            server.stop();
        }
    }

    /**
     * With {@code uploads.expiry} 2 s and {@code uploads.cleanup-interval} 1 s: an idle session is
     * {@code 404 BLOB_UPLOAD_UNKNOWN} a few seconds later and its staging data is deleted, while a session PATCHed
     * every 500 ms stays alive and completes.
     */
    @Test
    void idleUploadSessionExpiresAndItsStagingDataIsDeleted() throws Exception {
        Path data = tmp.resolve("data");
        ServerProcess server = expiringServer(data).start();
        try (RegistryClient client = new RegistryClient(server.baseUri())) {
            Path uploads = data.resolve("uploads");
            Set<Path> before = new HashSet<>(StoreVerifier.regularFiles(uploads));
            byte[] idleChunk = bytes(5, 1 << 20);
            String idle = RegistryClient.requireHeader(client.patch(client.startUpload(REPO), idleChunk, 0L), "Location");
            long idleSince = System.nanoTime();
            Set<Path> staging = new HashSet<>(StoreVerifier.regularFiles(uploads));
            staging.removeAll(before);
            assertThat(staging).as("staging files of the idle session under %s", uploads).isNotEmpty();
            assertThat(sizeOf(staging)).as("bytes staged for the idle session").isGreaterThanOrEqualTo(idleChunk.length);

            // An active session: a 1 KiB PATCH every 500 ms for 6 s, three times the expiry.
            byte[] activeBlob = bytes(6, 13 * 1024);
            String active = client.startUpload(REPO);
            for (int i = 0; i < 12; i++) {
                active = RegistryClient.requireHeader(
                        client.patch(active, Arrays.copyOfRange(activeBlob, i * 1024, (i + 1) * 1024), (long) i * 1024),
                        "Location");
                Thread.sleep(500);
            }
            double idleSeconds = (System.nanoTime() - idleSince) / 1e9;
            assertThat(idleSeconds).isGreaterThan(5.0);
            // The sweep deletes the session's row and its staged bytes together; on a loaded machine it may come
            // late, so wait for it (bounded) rather than for a fixed time.
            assertThat(awaitGone(staging, SWEPT_WITHIN)).as("staging files of the expired session still there")
                    .isEmpty();

            HttpResponse<byte[]> expired = client.get(idle);
            assertThat(expired.statusCode()).as("GET status of a session idle for %.1f s (expiry 2 s, sweep every 1 s): %s",
                    idleSeconds, RegistryClient.text(expired.body())).isEqualTo(404);
            assertThat(RegistryClient.errorCode(expired.body())).isEqualTo("BLOB_UPLOAD_UNKNOWN");
            HttpResponse<byte[]> patch = client.send(client.request(idle).header("Content-Range",
                            idleChunk.length + "-" + (idleChunk.length + 9))
                    .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(new byte[10])).build());
            assertThat(patch.statusCode()).as("PATCH of an expired session").isEqualTo(404);
            assertThat(RegistryClient.errorCode(patch.body())).isEqualTo("BLOB_UPLOAD_UNKNOWN");
            HttpResponse<byte[]> put = client.send(client.request(RegistryClient.withQuery(idle,
                    "digest=" + RegistryClient.sha256(idleChunk))).PUT(HttpRequest.BodyPublishers.noBody()).build());
            assertThat(put.statusCode()).as("PUT of an expired session").isEqualTo(404);
            assertThat(RegistryClient.errorCode(put.body())).isEqualTo("BLOB_UPLOAD_UNKNOWN");

            // The active session is still alive and completes.
            active = RegistryClient.requireHeader(
                    client.patch(active, Arrays.copyOfRange(activeBlob, 12 * 1024, 13 * 1024), 12L * 1024), "Location");
            String digest = RegistryClient.sha256(activeBlob);
            client.finishUpload(active, digest, null);
            assertThat(RegistryClient.expect(client.get("/v2/" + REPO + "/blobs/" + digest), 200).body()).isEqualTo(activeBlob);
        } finally {
            server.stop();
        }
    }

    /**
     * A session left by a killed process expires too, in the restarted process, and its staging data is deleted.
     * The expiry comes from a YAML file given with {@code --config} this time.
     */
    @Test
    void sessionOfAKilledProcessExpiresAfterTheRestart() throws Exception {
        Path data = tmp.resolve("data");
        Path config = Files.writeString(tmp.resolve("bollard.yml"), "uploads:\n  expiry: 2s\n  cleanup-interval: 1s\n");
        ServerProcess server = ServerProcess.builder(data).jvmArgs("-Xmx256m").args("--config", config.toString()).start();
        try (RegistryClient client = new RegistryClient(server.baseUri())) {
            Path uploads = data.resolve("uploads");
            Set<Path> before = new HashSet<>(StoreVerifier.regularFiles(uploads));
            byte[] chunk = bytes(7, 512 << 10);
            String location = RegistryClient.requireHeader(client.patch(client.startUpload(REPO), chunk, 0L), "Location");
            Set<Path> staging = new HashSet<>(StoreVerifier.regularFiles(uploads));
            staging.removeAll(before);
            assertThat(staging).as("staging files of the session").isNotEmpty();

            server.kill9();
            server = server.restart();
            client.rebase(server.baseUri());
            long restarted = System.nanoTime();
            // No request for the session until the restarted process's sweep removed its staged bytes (a GET could
            // count as activity).
            assertThat(awaitGone(staging, SWEPT_WITHIN)).as("staging files of the expired session still there")
                    .isEmpty();

            HttpResponse<byte[]> expired = client.get(location);
            assertThat(expired.statusCode()).as("GET status %.1f s after the restart (expiry 2 s): %s",
                    (System.nanoTime() - restarted) / 1e9, RegistryClient.text(expired.body())).isEqualTo(404);
            assertThat(RegistryClient.errorCode(expired.body())).isEqualTo("BLOB_UPLOAD_UNKNOWN");
        } finally {
            server.stop();
        }
    }

    /**
     * How long a session idle for longer than its expiry (2 s here) may take to be swept (every 1 s): generous, as it
     * only bounds a wait that ends as soon as the sweep ran.
     */
    private static final Duration SWEPT_WITHIN = Duration.ofSeconds(2 + 1 + 30);

    /** Expiry 2 s, sweep every 1 s, set by environment variables. */
    private static ServerProcess.Builder expiringServer(Path data) {
        return ServerProcess.builder(data).jvmArgs("-Xmx256m")
                .env("BOLLARD_UPLOADS_EXPIRY", "2s")
                .env("BOLLARD_UPLOADS_CLEANUP_INTERVAL", "1s");
    }

    /** The files of {@code files} that still exist after waiting up to {@code timeout} for them to go. */
    private static List<Path> awaitGone(Set<Path> files, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Path> left = files.stream().filter(Files::exists).toList();
            if (left.isEmpty() || System.nanoTime() > deadline) {
                return left;
            }
            Thread.sleep(100);
        }
    }

    private static long sizeOf(Set<Path> files) throws IOException {
        long n = 0;
        for (Path f : files) {
            n += Files.size(f);
        }
        return n;
    }

    /**
     * {@code 0-<last>} → bytes held. {@code 0-0} is what the contract answers for an empty session (POST), so it is
     * read as 0; the tests never hold exactly one byte.
     */
    static long rangeSize(String range) {
        assertThat(range).matches("0-\\d+");
        return range.equals("0-0") ? 0 : Long.parseLong(range.substring(2)) + 1;
    }

    static Path blobFile(Path data, String digest) {
        String hex = digest.substring(digest.indexOf(':') + 1);
        return data.resolve("blobs").resolve(digest.substring(0, digest.indexOf(':'))).resolve(hex.substring(0, 2)).resolve(hex);
    }

    static byte[] bytes(long seed, int size) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
