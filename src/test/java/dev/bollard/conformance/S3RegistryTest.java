package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.testing.S3Server;
import dev.bollard.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What is S3's own in a registry whose blobs are in S3 (s3proxy): chunks on both sides of S3's 5 MiB part minimum
 * make one blob, nothing is left in the bucket but blobs, expired sessions' multipart uploads are aborted, and blob
 * GETs redirect to presigned URLs when asked to.
 */
class S3RegistryTest extends ConformanceSupport {
    private static final int MIB = 1 << 20;

    private String bucket;

    @Override
    BollardConfig config(Path dataDir) {
        BollardConfig config = s3ConfigWith(dataDir, "uploads.expiry", "2s", "uploads.cleanup-interval", "100ms");
        bucket = config.storage().s3().bucket();
        return config;
    }

    private List<String> keys(String bucketName, String prefix) {
        return S3Server.shared().client().listObjectsV2Paginator(b -> b.bucket(bucketName).prefix(prefix)).contents()
                .stream().map(S3Object::key).toList();
    }

    private int multipartUploads(String bucketName) {
        return S3Server.shared().client().listMultipartUploads(b -> b.bucket(bucketName)).uploads().size();
    }

    @Test
    void chunksBelowAndAboveFiveMebibytesMakeOneBlob() {
        String repo = repo("s3-chunks");
        int[] chunks = {1, 3 * MIB, 7 * MIB, 100, 5 * MIB, 2 * MIB + 17};
        byte[] all = Oci.randomBytes(Arrays.stream(chunks).sum());
        String digest = Oci.sha256(all);
        String location = startUpload(repo);
        int offset = 0;
        for (int i = 0; i < chunks.length - 1; i++) {
            int end = offset + chunks[i];
            Resp p = patch(location, Arrays.copyOfRange(all, offset, end), "Content-Range", offset + "-" + (end - 1),
                    "Content-Type", "application/octet-stream");
            assertStatus(p, 202);
            assertHeader(p, "Range", "0-" + (end - 1));
            location = p.header("Location").orElseThrow();
            offset = end;
        }
        // The last chunk travels with the PUT that closes the session.
        Resp done = put(withQuery(location, "digest=" + digest), Arrays.copyOfRange(all, offset, all.length),
                "Content-Type", "application/octet-stream");
        assertStatus(done, 201);

        Resp g = get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(g, 200);
        assertThat(g.body()).isEqualTo(all);
        Resp range = get("/v2/" + repo + "/blobs/" + digest, "Range", "bytes=" + (6 * MIB) + "-" + (6 * MIB + 9));
        assertStatus(range, 206);
        assertThat(range.body()).isEqualTo(Arrays.copyOfRange(all, 6 * MIB, 6 * MIB + 10));
        assertThat(keys(bucket, "uploads/")).as("no staging object is left").isEmpty();
        assertThat(multipartUploads(bucket)).as("no multipart upload is left").isZero();
    }

    @Test
    void aStreamedBlobOfSeveralPartsAndAMonolithicOneRoundTrip() {
        String repo = repo("s3-big");
        byte[] streamed = Oci.randomBytes(13 * MIB + 5);
        String location = startUpload(repo);
        Resp p = patchStreamed(location, streamed, "Content-Type", "application/octet-stream");
        assertStatus(p, 202);
        assertStatus(put(withQuery(p.header("Location").orElseThrow(), "digest=" + Oci.sha256(streamed)),
                new byte[0]), 201);
        assertThat(get("/v2/" + repo + "/blobs/" + Oci.sha256(streamed)).body()).isEqualTo(streamed);

        byte[] monolithic = Oci.randomBytes(6 * MIB);
        String digest = pushBlob(repo, monolithic);
        assertThat(get("/v2/" + repo + "/blobs/" + digest).body()).isEqualTo(monolithic);
    }

    @Test
    void aWrongDigestLeavesNothingBehind() {
        String repo = repo("s3-wrong");
        byte[] content = Oci.randomBytes(6 * MIB);
        String location = startUpload(repo);
        Resp p = patch(location, content, "Content-Type", "application/octet-stream");
        assertStatus(p, 202);
        String wrong = Oci.sha256(Oci.randomBytes(10));
        assertError(put(withQuery(p.header("Location").orElseThrow(), "digest=" + wrong), new byte[0]), 400,
                "DIGEST_INVALID");
        assertThat(keys(bucket, "blobs/")).noneMatch(k -> k.endsWith(Oci.hexOf(wrong)));
        assertThat(keys(bucket, "uploads/")).isEmpty();
        assertThat(multipartUploads(bucket)).isZero();
    }

    @Test
    void anExpiredSessionsMultipartUploadIsAborted() throws Exception {
        String repo = repo("s3-expiry");
        String location = startUpload(repo);
        assertStatus(patch(location, Oci.randomBytes(6 * MIB), "Content-Type", "application/octet-stream"), 202);
        assertThat(multipartUploads(bucket)).as("a full part started a multipart upload").isEqualTo(1);
        long deadline = System.currentTimeMillis() + 10_000;
        while ((multipartUploads(bucket) > 0 || !keys(bucket, "uploads/").isEmpty())
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(multipartUploads(bucket)).as("the sweeper aborted the multipart upload").isZero();
        assertThat(keys(bucket, "uploads/")).isEmpty();
        assertError(get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void blobGetsAreStreamedUnlessRedirectsAreOn(@TempDir Path dir) throws Exception {
        String repo = repo("s3-redirect");
        byte[] content = Oci.randomBytes(1000);
        String digest = pushBlob(repo, content);
        assertStatus(get("/v2/" + repo + "/blobs/" + digest), 200);

        BollardConfig redirecting = s3ConfigWith(dir, "storage.s3.redirect", "true", "storage.s3.redirect-expiry", "1m");
        try (TestRegistry other = TestRegistry.start(redirecting);
             HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build()) {
            URI base = other.baseUri();
            String otherRepo = "redirect/app";
            HttpResponse<String> start = http.send(HttpRequest.newBuilder(base.resolve("/v2/" + otherRepo
                            + "/blobs/uploads/?digest=" + digest)).POST(HttpRequest.BodyPublishers.ofByteArray(content))
                    .header("Content-Type", "application/octet-stream").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(start.statusCode()).isEqualTo(201);

            HttpResponse<byte[]> g = http.send(HttpRequest.newBuilder(base.resolve("/v2/" + otherRepo + "/blobs/"
                    + digest)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(g.statusCode()).isEqualTo(307);
            URI location = URI.create(g.headers().firstValue("Location").orElseThrow());
            assertThat(location.toString()).startsWith(S3Server.shared().endpoint().toString())
                    .contains("X-Amz-Signature=").contains("X-Amz-Expires=60");
            HttpResponse<byte[]> direct = http.send(HttpRequest.newBuilder(location).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(direct.statusCode()).isEqualTo(200);
            assertThat(direct.body()).isEqualTo(content);

            HttpResponse<Void> h = http.send(HttpRequest.newBuilder(base.resolve("/v2/" + otherRepo + "/blobs/"
                    + digest)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(h.statusCode()).as("HEAD is answered by the registry").isEqualTo(200);
            HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(base.resolve("/v2/" + otherRepo
                    + "/blobs/" + Oci.sha256(Oci.randomBytes(5)))).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).as("access and existence are checked before redirecting").isEqualTo(404);
        }
    }

    @Test
    void readinessAsksTheBucket() throws Exception {
        assertStatus(get("/readyz"), 200);
    }
}
