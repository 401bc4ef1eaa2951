package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Concurrent uploads of the same content all succeed and end with one stored copy": 8 threads upload the same blob
 * at once (released together by a barrier), half into one repository and half into one repository each, using the
 * four upload styles (chunked PATCHes with Content-Range, one streamed PATCH, PUT with the body, monolithic POST).
 * All answer 201, exactly one file holds the blob under {@code blobs/} (hashing to its name), it GETs byte-identical
 * from every repository, and no staging data is left behind. Repeated for several blobs to widen the race window.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConcurrentSameBlobTest {

    private static final int THREADS = 8;
    private static final int ITERATIONS = 5;

    @TempDir
    Path tmp;

    @Test
    void concurrentUploadsOfTheSameBlobAllSucceedAndStoreOneCopy() throws Exception {
        Path data = tmp.resolve("data");
        try (TestRegistry registry = TestRegistry.start(data);
             RegistryClient client = new RegistryClient(registry.baseUri())) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                for (int iteration = 0; iteration < ITERATIONS; iteration++) {
                    byte[] blob = UploadResumeTest.bytes(100 + iteration, (3 << 20) + iteration * 4099);
                    String digest = RegistryClient.sha256(blob);
                    List<String> repos = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        repos.add(t < THREADS / 2 ? "same/shared" : "same/own-" + iteration + "-" + t);
                    }
                    CyclicBarrier start = new CyclicBarrier(THREADS);
                    List<Future<String>> results = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        String repo = repos.get(t);
                        int mode = t % 4;
                        results.add(pool.submit(() -> {
                            start.await(30, TimeUnit.SECONDS);
                            return switch (mode) {
                                case 0 -> client.pushBlobChunked(repo, blob, 3);
                                case 1 -> {
                                    String location = client.startUpload(repo);
                                    location = RegistryClient.requireHeader(client.patch(location, blob, null), "Location");
                                    client.finishUpload(location, digest, null);
                                    yield digest;
                                }
                                case 2 -> {
                                    client.finishUpload(client.startUpload(repo), digest, blob);
                                    yield digest;
                                }
                                default -> client.pushBlobMonolithic(repo, blob);
                            };
                        }));
                    }
                    List<String> failures = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        try {
                            assertThat(results.get(t).get(120, TimeUnit.SECONDS)).isEqualTo(digest);
                        } catch (java.util.concurrent.ExecutionException e) {
                            failures.add("thread " + t + " (" + repos.get(t) + ", style " + t % 4 + "): " + e.getCause());
                        }
                    }
                    assertThat(failures).as("iteration %d: uploads of %s that did not end in 201", iteration, digest)
                            .isEmpty();

                    List<Path> copies = StoreVerifier.regularFiles(data.resolve("blobs")).stream()
                            .filter(p -> p.getFileName().toString().equals(digest.substring("sha256:".length())))
                            .toList();
                    assertThat(copies).as("iteration %d: files holding %s", iteration, digest)
                            .containsExactly(UploadResumeTest.blobFile(data, digest));
                    assertThat(StoreVerifier.hashFile(copies.get(0), "SHA-256"))
                            .isEqualTo(digest.substring("sha256:".length()));

                    for (String repo : repos.stream().distinct().toList()) {
                        HttpResponse<byte[]> get = client.get("/v2/" + repo + "/blobs/" + digest);
                        assertThat(get.statusCode()).as("iteration %d: GET %s@%s", iteration, repo, digest).isEqualTo(200);
                        assertThat(Arrays.equals(get.body(), blob)).as("iteration %d: %s@%s byte-identical", iteration,
                                repo, digest).isTrue();
                    }
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(new StoreVerifier(client).verifyBlobFiles(data.resolve("blobs")).violations())
                    .as("files under blobs/").isEmpty();
            assertThat(StoreVerifier.regularFiles(data.resolve("blobs"))).as("one file per distinct blob")
                    .hasSize(ITERATIONS);
            assertThat(StoreVerifier.regularFiles(data.resolve("uploads")))
                    .as("staging files left after every upload finished").isEmpty();
        }
    }
}
