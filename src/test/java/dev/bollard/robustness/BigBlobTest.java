package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Requirements;
import dev.bollard.testing.RunsAlone;
import dev.bollard.testing.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Bounded memory whatever the blob size: a 5 GiB blob pushes and pulls with -Xmx256m."
 * <p>
 * The registry runs in its own process with {@code -Xmx256m}. The client streams deterministic pseudo-random bytes
 * generated on the fly ({@link PatternStream}, hashed while sent, never held in memory), then pulls the blob and
 * hashes the stream, and reads ranges near the end. The process must stay alive, log no OutOfMemoryError and keep
 * its peak RSS (VmHWM) below {@code bollard.bigblob.max-rss-mib} (700 MiB). Sizes: {@code bollard.bigblob.bytes}
 * (5 GiB) for one streamed PATCH, {@code bollard.bigblob.monolithic.bytes} (1 GiB) for a monolithic POST ?digest=.
 * The data directory is deleted afterwards, whatever the outcome.
 */
// Alone: it writes and reads gigabytes (the disk is busy for everyone) and bounds the server's memory.
@RunsAlone
class BigBlobTest {

    /**
     * 5 GiB (was 10, which took half a minute more of the suite): still twenty times the heap and seven times the
     * RSS bound, so a body held in memory anywhere fails it, and past both 2^31 and 2^32 bytes, so an offset, length
     * or range kept in an int (or an unsigned 32-bit count) fails it; nothing in the claim grows with the size
     * beyond that. Larger runs: {@code -Dbollard.bigblob.bytes}.
     */
    private static final long SIZE = Long.getLong("bollard.bigblob.bytes", 5L << 30);
    private static final long MONOLITHIC_SIZE = Long.getLong("bollard.bigblob.monolithic.bytes", 1L << 30);
    private static final long MAX_RSS = Long.getLong("bollard.bigblob.max-rss-mib", 700) << 20;
    private static final String REPO = "big/blob";
    private static final double MB = 1e6;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void hugeBlobPushedAsOneStreamedPatchAndPulledWithBoundedMemory() throws Exception {
        Path data = tmp.resolve("data");
        requireSpace(SIZE);
        // full JIT: the peak RSS and the throughput this test reports are those of a deployed registry
        ServerProcess server = ServerProcess.builder(data).jvmArgs("-Xmx256m").fullJit().start();
        try (RegistryClient client = new RegistryClient(server.baseUri(), Duration.ofMinutes(30))) {
            long seed = 0x5EED_B10BL;
            String location = client.startUpload(REPO);
            PatternStream source = new PatternStream(seed, SIZE);
            long t0 = System.nanoTime();
            // No Content-Length: sent with chunked transfer coding, as docker does.
            HttpResponse<byte[]> patch = RegistryClient.expect(client.send(client.request(location)
                    .header("Content-Type", "application/octet-stream")
                    .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> source)).build()), 202);
            double pushSeconds = (System.nanoTime() - t0) / 1e9;
            assertThat(source.position()).isEqualTo(SIZE);
            assertThat(RegistryClient.header(patch, "Range")).isEqualTo("0-" + (SIZE - 1));
            String digest = source.digest();

            long t1 = System.nanoTime();
            client.finishUpload(RegistryClient.requireHeader(patch, "Location"), digest, null);
            double putSeconds = (System.nanoTime() - t1) / 1e9;
            report("push (streamed PATCH)", SIZE, pushSeconds);
            System.out.printf("PUT ?digest= took %.2f s%n", putSeconds);
            assertThat(server.isAlive()).as("server alive after the push").isTrue();

            HttpResponse<byte[]> head = RegistryClient.expect(client.head("/v2/" + REPO + "/blobs/" + digest), 200);
            assertThat(RegistryClient.header(head, "Content-Length")).isEqualTo(Long.toString(SIZE));

            pullAndCheck(client, digest, SIZE);
            checkRanges(client, digest, seed, SIZE);

            assertThat(Files.size(UploadResumeTest.blobFile(data, digest))).as("size of the blob's file").isEqualTo(SIZE);
            assertThat(StoreVerifier.regularFiles(data.resolve("uploads")).stream().mapToLong(BigBlobTest::size).sum())
                    .as("bytes left in the staging area after the upload finished").isZero();
            checkServerHealth(server);
        } finally {
            server.stop();
            System.out.printf("peak RSS (VmHWM) of the server: %d MiB%n", server.peakRssBytes() >> 20);
            deleteTree(data);
        }
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void largeBlobPushedAsOneMonolithicPostWithBoundedMemory() throws Exception {
        Path data = tmp.resolve("data");
        requireSpace(MONOLITHIC_SIZE);
        long seed = 0xB16_B0B;
        long t = System.nanoTime();
        String digest = PatternStream.digestOf(seed, MONOLITHIC_SIZE);
        System.out.printf("client: digest of %d bytes computed in %.2f s%n", MONOLITHIC_SIZE, (System.nanoTime() - t) / 1e9);

        // full JIT: the peak RSS and the throughput this test reports are those of a deployed registry
        ServerProcess server = ServerProcess.builder(data).jvmArgs("-Xmx256m").fullJit().start();
        try (RegistryClient client = new RegistryClient(server.baseUri(), Duration.ofMinutes(15))) {
            PatternStream source = new PatternStream(seed, MONOLITHIC_SIZE);
            long t0 = System.nanoTime();
            HttpResponse<byte[]> post = RegistryClient.expect(client.send(client.request(
                            "/v2/" + REPO + "/blobs/uploads/?digest=" + digest)
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> source),
                            MONOLITHIC_SIZE)).build()), 201);
            report("push (monolithic POST with Content-Length)", MONOLITHIC_SIZE, (System.nanoTime() - t0) / 1e9);
            assertThat(source.digest()).isEqualTo(digest);
            assertThat(RegistryClient.header(post, "Docker-Content-Digest")).isEqualTo(digest);
            assertThat(RegistryClient.header(post, "Location")).endsWith("/v2/" + REPO + "/blobs/" + digest);

            pullAndCheck(client, digest, MONOLITHIC_SIZE);
            checkRanges(client, digest, seed, MONOLITHIC_SIZE);
            assertThat(Files.size(UploadResumeTest.blobFile(data, digest))).isEqualTo(MONOLITHIC_SIZE);
            assertThat(StoreVerifier.regularFiles(data.resolve("uploads")).stream().mapToLong(BigBlobTest::size).sum())
                    .as("bytes left in the staging area after the upload finished").isZero();
            checkServerHealth(server);
        } finally {
            server.stop();
            System.out.printf("peak RSS (VmHWM) of the server: %d MiB%n", server.peakRssBytes() >> 20);
            deleteTree(data);
        }
    }

    private static void pullAndCheck(RegistryClient client, String digest, long size) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<InputStream> get = client.http().send(client.request("/v2/" + REPO + "/blobs/" + digest).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest md = RegistryClient.sha256Digest();
        long n = 0;
        try (InputStream in = get.body()) {
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.headers().firstValue("Content-Length")).contains(Long.toString(size));
            byte[] buffer = new byte[1 << 20];
            for (int read; (read = in.read(buffer)) > 0; ) {
                md.update(buffer, 0, read);
                n += read;
            }
        }
        report("pull (GET)", n, (System.nanoTime() - t0) / 1e9);
        assertThat(n).as("bytes pulled").isEqualTo(size);
        assertThat("sha256:" + HexFormat.of().formatHex(md.digest())).as("digest of the pulled stream").isEqualTo(digest);
    }

    private static void checkRanges(RegistryClient client, String digest, long seed, long size) throws Exception {
        String path = "/v2/" + REPO + "/blobs/" + digest;
        long[][] ranges = {{size - 4096, size - 1}, {size / 2 - 3, size / 2 + 65_536}, {size - 1, size - 1}};
        for (long[] range : ranges) {
            HttpResponse<byte[]> r = client.send(client.request(path).header("Range", "bytes=" + range[0] + "-" + range[1])
                    .GET().build());
            assertThat(r.statusCode()).as("GET Range bytes=%d-%d", range[0], range[1]).isEqualTo(206);
            assertThat(RegistryClient.header(r, "Content-Range"))
                    .isEqualTo("bytes " + range[0] + "-" + range[1] + "/" + size);
            int length = (int) (range[1] - range[0] + 1);
            assertThat(Arrays.equals(r.body(), PatternStream.bytes(seed, range[0], length)))
                    .as("content of bytes=%d-%d", range[0], range[1]).isTrue();
        }
        HttpResponse<byte[]> suffix = client.send(client.request(path).header("Range", "bytes=-1000").GET().build());
        assertThat(suffix.statusCode()).as("GET Range bytes=-1000").isEqualTo(206);
        assertThat(RegistryClient.header(suffix, "Content-Range"))
                .isEqualTo("bytes " + (size - 1000) + "-" + (size - 1) + "/" + size);
        assertThat(Arrays.equals(suffix.body(), PatternStream.bytes(seed, size - 1000, 1000))).isTrue();
        HttpResponse<byte[]> beyond = client.send(client.request(path).header("Range", "bytes=" + size + "-").GET().build());
        assertThat(beyond.statusCode()).as("GET Range bytes=%d- (past the end)", size).isEqualTo(416);
        assertThat(RegistryClient.header(beyond, "Content-Range")).isEqualTo("bytes */" + size);
    }

    private static void checkServerHealth(ServerProcess server) {
        assertThat(server.isAlive()).as("server process alive").isTrue();
        long peak = server.peakRssBytes();
        Map<String, Long> memory = server.memoryStatus();
        System.out.printf("server memory: peak RSS (VmHWM) %d MiB; now %s%n", peak >> 20, memory.entrySet().stream()
                .map(e -> e.getKey() + " " + (e.getValue() >> 20) + " MiB").toList());
        assertThat(server.log()).as("server log").doesNotContain("OutOfMemoryError");
        assertThat(peak).as("peak RSS of the -Xmx256m server in bytes (%d MiB; memory %s)", peak >> 20, memory)
                .isPositive().isLessThan(MAX_RSS);
    }

    private static void report(String what, long bytes, double seconds) {
        System.out.printf("%s: %d bytes in %.1f s = %.0f MB/s%n", what, bytes, seconds, bytes / MB / seconds);
    }

    private void requireSpace(long size) throws IOException {
        long usable = Files.getFileStore(tmp).getUsableSpace();
        // CI must have the room (about 12 GiB at the default size) or run with a smaller bollard.bigblob.bytes.
        Requirements.require(usable > 2 * size + (2L << 30), () -> "needs " + (2 * size + (2L << 30)) + " bytes free "
                + "under " + tmp + ", has " + usable + " (a smaller -Dbollard.bigblob.bytes needs less)");
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
