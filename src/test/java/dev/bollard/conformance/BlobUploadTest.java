package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The upload protocol: monolithic, POST+PUT, streamed and chunked PATCH, status, cancel, unknown sessions. */
class BlobUploadTest extends ConformanceSupport {

    private static final String UPLOAD_PATH_UUID = "[^/?]+";

    private void assertBlob(String repo, String digest, byte[] content) {
        Resp r = get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(r, 200);
        assertThat(r.body()).isEqualTo(content);
        assertThat(Oci.sha256(r.body())).isEqualTo(Oci.sha256(content));
    }

    private void assertNoBlob(String repo, String digest) {
        assertStatus(head("/v2/" + repo + "/blobs/" + digest), 404);
        assertError(get("/v2/" + repo + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    private static void assertCreated(Resp r, String repo, String digest) {
        assertStatus(r, 201);
        assertThat(locationPath(r)).isEqualTo("/v2/" + repo + "/blobs/" + digest);
        assertHeader(r, "Docker-Content-Digest", digest);
    }

    @Test
    void postStartsASessionWithContractHeaders() {
        String repo = repo("upload");
        Resp r = post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
        assertStatus(r, 202);
        String path = locationPath(r);
        assertThat(path).matches("/v2/" + repo + "/blobs/uploads/" + UPLOAD_PATH_UUID);
        String uuid = path.substring(path.lastIndexOf('/') + 1);
        assertHeader(r, "Docker-Upload-UUID", uuid);
        assertHeader(r, "Range", "0-0");
        assertHeader(r, "Content-Length", "0");
        assertHeader(r, API_VERSION_HEADER, API_VERSION);
    }

    @Test
    void twoSessionsHaveDistinctIds() {
        String repo = repo("upload");
        assertThat(startUpload(repo)).isNotEqualTo(startUpload(repo));
    }

    @Test
    void monolithicPostStoresTheBlob() {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(10_000);
        String digest = Oci.sha256(content);
        Resp r = post("/v2/" + repo + "/blobs/uploads/?digest=" + digest, content,
                "Content-Type", "application/octet-stream");
        assertCreated(r, repo, digest);
        assertBlob(repo, digest, content);
    }

    @Test
    void monolithicPostWithMismatchedDigestStoresNothing() {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(100);
        String claimed = Oci.sha256(Oci.randomBytes(100));
        Resp r = post("/v2/" + repo + "/blobs/uploads/?digest=" + claimed, content);
        assertError(r, 400, "DIGEST_INVALID");
        assertNoBlob(repo, claimed);
        assertNoBlob(repo, Oci.sha256(content));
    }

    @Test
    void monolithicPostWithUnsupportedAlgorithmStoresNothing() {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(100);
        Resp r = post("/v2/" + repo + "/blobs/uploads/?digest=md5:0123456789abcdef0123456789abcdef", content);
        assertError(r, 400, "DIGEST_INVALID");
        assertNoBlob(repo, Oci.sha256(content));
    }

    @Test
    void postThenPutWithTheWholeBody() {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(5000);
        String digest = Oci.sha256(content);
        String location = startUpload(repo);
        Resp r = put(withQuery(location, "digest=" + digest), content, "Content-Type", "application/octet-stream");
        assertCreated(r, repo, digest);
        assertBlob(repo, digest, content);
    }

    @Test
    void streamedPatchesThenPut() {
        String repo = repo("upload");
        byte[] part1 = Oci.randomBytes(3000);
        byte[] part2 = Oci.randomBytes(2000);
        byte[] all = concat(part1, part2);
        String digest = Oci.sha256(all);

        String location = startUpload(repo);
        Resp p1 = patchStreamed(location, part1, "Content-Type", "application/octet-stream");
        assertStatus(p1, 202);
        assertHeader(p1, "Range", "0-2999");
        assertThat(p1.header("Location")).isPresent();
        assertThat(p1.header("Docker-Upload-UUID")).isPresent();
        assertThat(locationPath(p1)).startsWith("/v2/" + repo + "/blobs/uploads/");

        Resp p2 = patchStreamed(p1.header("Location").orElseThrow(), part2,
                "Content-Type", "application/octet-stream");
        assertStatus(p2, 202);
        assertHeader(p2, "Range", "0-4999");

        Resp done = put(withQuery(p2.header("Location").orElseThrow(), "digest=" + digest), new byte[0]);
        assertCreated(done, repo, digest);
        assertBlob(repo, digest, all);
    }

    @Test
    void patchWithContentLengthAndNoContentRangeIsAppended() {
        String repo = repo("upload");
        byte[] part1 = Oci.randomBytes(10);
        byte[] part2 = Oci.randomBytes(20);
        String location = startUpload(repo);
        Resp p1 = patch(location, part1, "Content-Type", "application/octet-stream");
        assertStatus(p1, 202);
        assertHeader(p1, "Range", "0-9");
        Resp p2 = patch(p1.header("Location").orElseThrow(), part2, "Content-Type", "application/octet-stream");
        assertStatus(p2, 202);
        assertHeader(p2, "Range", "0-29");
        String digest = Oci.sha256(concat(part1, part2));
        assertCreated(put(withQuery(p2.header("Location").orElseThrow(), "digest=" + digest), new byte[0]),
                repo, digest);
        assertBlob(repo, digest, concat(part1, part2));
    }

    @Test
    void chunkedPatchesWithContentRangeThenPutWithFinalChunk() {
        String repo = repo("upload");
        byte[] all = Oci.randomBytes(2500);
        String digest = Oci.sha256(all);
        String location = startUpload(repo);

        Resp c1 = patch(location, Arrays.copyOfRange(all, 0, 1000),
                "Content-Type", "application/octet-stream", "Content-Range", "0-999");
        assertStatus(c1, 202);
        assertHeader(c1, "Range", "0-999");
        Resp c2 = patch(c1.header("Location").orElseThrow(), Arrays.copyOfRange(all, 1000, 2000),
                "Content-Type", "application/octet-stream", "Content-Range", "1000-1999");
        assertStatus(c2, 202);
        assertHeader(c2, "Range", "0-1999");
        assertThat(c2.header("Docker-Upload-UUID")).isPresent();

        Resp done = put(withQuery(c2.header("Location").orElseThrow(), "digest=" + digest),
                Arrays.copyOfRange(all, 2000, 2500), "Content-Type", "application/octet-stream");
        assertCreated(done, repo, digest);
        assertBlob(repo, digest, all);
    }

    @Test
    void outOfOrderChunkIs416WithRangeAndLocationAndSessionContinues() {
        String repo = repo("upload");
        byte[] all = Oci.randomBytes(30);
        String digest = Oci.sha256(all);
        String location = startUpload(repo);
        Resp c1 = patch(location, Arrays.copyOfRange(all, 0, 10), "Content-Range", "0-9",
                "Content-Type", "application/octet-stream");
        assertStatus(c1, 202);
        String next = c1.header("Location").orElseThrow();

        // skips ahead
        Resp gap = patch(next, Arrays.copyOfRange(all, 20, 30), "Content-Range", "20-29",
                "Content-Type", "application/octet-stream");
        assertError(gap, 416, "BLOB_UPLOAD_INVALID");
        assertHeader(gap, "Range", "0-9");
        assertThat(gap.header("Location")).as("Location of %s", gap).isPresent();
        // overlaps what was received
        Resp overlap = patch(next, Arrays.copyOfRange(all, 5, 15), "Content-Range", "5-14",
                "Content-Type", "application/octet-stream");
        assertError(overlap, 416, "BLOB_UPLOAD_INVALID");
        assertHeader(overlap, "Range", "0-9");

        // the session is untouched: the right chunk goes on
        Resp status = get(next);
        assertStatus(status, 204);
        assertHeader(status, "Range", "0-9");
        Resp c2 = patch(gap.header("Location").orElseThrow(), Arrays.copyOfRange(all, 10, 30),
                "Content-Range", "10-29", "Content-Type", "application/octet-stream");
        assertStatus(c2, 202);
        assertHeader(c2, "Range", "0-29");
        assertCreated(put(withQuery(c2.header("Location").orElseThrow(), "digest=" + digest), new byte[0]),
                repo, digest);
        assertBlob(repo, digest, all);
    }

    @Test
    void firstChunkNotAtZeroIs416() {
        String repo = repo("upload");
        String location = startUpload(repo);
        Resp r = patch(location, Oci.randomBytes(10), "Content-Range", "10-19",
                "Content-Type", "application/octet-stream");
        assertError(r, 416, "BLOB_UPLOAD_INVALID");
        assertThat(r.header("Range")).isPresent();
        assertThat(r.header("Location")).isPresent();
    }

    @Test
    void malformedContentRangeIs400BlobUploadInvalid() {
        String repo = repo("upload");
        String location = startUpload(repo);
        for (String bad : new String[] {"abc", "5", "-4", "bytes=0-"}) {
            Resp r = patch(location, Oci.randomBytes(5), "Content-Range", bad,
                    "Content-Type", "application/octet-stream");
            assertThat(r.status()).as("Content-Range %s: %s", bad, r).isEqualTo(400);
            assertThat(r.errorCodes()).as("Content-Range %s: %s", bad, r).contains("BLOB_UPLOAD_INVALID");
        }
        Resp status = get(location);
        assertStatus(status, 204);
        assertHeader(status, "Range", "0-0");
    }

    @Test
    void contentLengthDisagreeingWithContentRangeIs400SizeInvalid() {
        String repo = repo("upload");
        String location = startUpload(repo);
        // Content-Length (5, set by the client from the body) != 9 - 0 + 1
        Resp r = patch(location, Oci.randomBytes(5), "Content-Range", "0-9",
                "Content-Type", "application/octet-stream");
        assertError(r, 400, "SIZE_INVALID");
        Resp status = get(location);
        assertStatus(status, 204);
        assertHeader(status, "Range", "0-0");
    }

    @Test
    void statusGetReportsProgress() {
        String repo = repo("upload");
        String location = startUpload(repo);
        Resp empty = get(location);
        assertStatus(empty, 204);
        assertHeader(empty, "Range", "0-0");
        assertThat(locationPath(empty)).isEqualTo(pathOf(location));
        assertThat(empty.header("Docker-Upload-UUID")).isPresent();
        assertThat(empty.body()).isEmpty();

        Resp p = patch(location, Oci.randomBytes(42), "Content-Type", "application/octet-stream");
        assertStatus(p, 202);
        Resp after = get(p.header("Location").orElseThrow());
        assertStatus(after, 204);
        assertHeader(after, "Range", "0-41");
        String uuid = pathOf(location).substring(pathOf(location).lastIndexOf('/') + 1);
        assertHeader(after, "Docker-Upload-UUID", uuid);
        assertThat(locationPath(after)).startsWith("/v2/" + repo + "/blobs/uploads/" + uuid);
    }

    private static String pathOf(String location) {
        return java.net.URI.create(location).getRawPath();
    }

    @Test
    void cancelledSessionIsGone() {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(64);
        String location = startUpload(repo);
        assertStatus(patch(location, content, "Content-Type", "application/octet-stream"), 202);

        Resp d = delete(location);
        assertStatus(d, 204);

        assertError(get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(patch(location, Oci.randomBytes(4), "Content-Type", "application/octet-stream"),
                404, "BLOB_UPLOAD_UNKNOWN");
        assertError(put(withQuery(location, "digest=" + Oci.sha256(content)), new byte[0]),
                404, "BLOB_UPLOAD_UNKNOWN");
        assertError(delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertNoBlob(repo, Oci.sha256(content));
    }

    @Test
    void finishedSessionIsGone() {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(64);
        String digest = Oci.sha256(content);
        String location = startUpload(repo);
        assertStatus(put(withQuery(location, "digest=" + digest), content), 201);
        assertError(get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(patch(location, Oci.randomBytes(4)), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(put(withQuery(location, "digest=" + digest), content), 404, "BLOB_UPLOAD_UNKNOWN");
        assertBlob(repo, digest, content);
    }

    @Test
    void unknownUploadIdIs404BlobUploadUnknown() {
        String repo = repo("upload");
        startUpload(repo); // the repository exists
        String path = "/v2/" + repo + "/blobs/uploads/" + UUID.randomUUID();
        byte[] content = Oci.randomBytes(8);
        assertError(get(path), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(patch(path, content), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(put(path + "?digest=" + Oci.sha256(content), content), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(delete(path), 404, "BLOB_UPLOAD_UNKNOWN");
        assertNoBlob(repo, Oci.sha256(content));
    }

    @Test
    void uploadIdOfAnotherRepositoryIsUnknownThereAndUntouched() {
        String a = repo("upload");
        String b = repo("upload");
        startUpload(b); // b exists too
        byte[] first = Oci.randomBytes(10);
        String location = startUpload(a);
        Resp p = patch(location, first, "Content-Type", "application/octet-stream");
        assertStatus(p, 202);
        String uuidPath = locationPath(p);
        String uuid = uuidPath.substring(uuidPath.lastIndexOf('/') + 1);
        String foreign = "/v2/" + b + "/blobs/uploads/" + uuid;
        byte[] intruder = Oci.randomBytes(10);

        assertError(get(foreign), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(patch(foreign, intruder, "Content-Type", "application/octet-stream"),
                404, "BLOB_UPLOAD_UNKNOWN");
        assertError(put(foreign + "?digest=" + Oci.sha256(first), new byte[0]), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(delete(foreign), 404, "BLOB_UPLOAD_UNKNOWN");
        assertNoBlob(b, Oci.sha256(first));

        // the session in a is intact and still a's
        Resp status = get(p.header("Location").orElseThrow());
        assertStatus(status, 204);
        assertHeader(status, "Range", "0-9");
        String digest = Oci.sha256(first);
        assertCreated(put(withQuery(p.header("Location").orElseThrow(), "digest=" + digest), new byte[0]), a, digest);
        assertBlob(a, digest, first);
        assertNoBlob(b, digest);
    }

    @Test
    void putWithMismatchedDigestFailsAndEndsTheSession() {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(100);
        String wrong = Oci.sha256(Oci.randomBytes(100));
        String location = startUpload(repo);
        assertStatus(patch(location, content, "Content-Type", "application/octet-stream"), 202);
        Resp r = put(withQuery(location, "digest=" + wrong), new byte[0]);
        assertError(r, 400, "DIGEST_INVALID");
        assertNoBlob(repo, wrong);
        assertNoBlob(repo, Oci.sha256(content));
        assertError(get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void putWithoutDigestFailsAndEndsTheSession() {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(100);
        String location = startUpload(repo);
        Resp r = put(location, content);
        assertError(r, 400, "DIGEST_INVALID");
        assertNoBlob(repo, Oci.sha256(content));
        assertError(get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void putWithMalformedOrUnsupportedDigestFails() {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(100);
        for (String bad : new String[] {"md5:0123456789abcdef0123456789abcdef", "sha256:xyz",
                "sha256:" + Oci.hexOf(Oci.sha256(content)).toUpperCase(Locale.ROOT)}) {
            String location = startUpload(repo);
            Resp r = put(withQuery(location, "digest=" + bad), content);
            assertThat(r.status()).as("digest %s: %s", bad, r).isEqualTo(400);
            assertThat(r.errorCodes()).as("digest %s: %s", bad, r).contains("DIGEST_INVALID");
            // "the session is then gone"
            Resp after = get(location);
            assertThat(after.status()).as("session after digest %s: %s", bad, after).isEqualTo(404);
            assertThat(after.errorCodes()).as("session after digest %s: %s", bad, after)
                    .contains("BLOB_UPLOAD_UNKNOWN");
        }
        assertNoBlob(repo, Oci.sha256(content));
    }

    @Test
    void sameContentUploadedTwiceSucceedsBothTimes() {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(500);
        String digest = Oci.sha256(content);
        assertCreated(post("/v2/" + repo + "/blobs/uploads/?digest=" + digest, content), repo, digest);
        String location = startUpload(repo);
        assertCreated(put(withQuery(location, "digest=" + digest), content), repo, digest);
        assertBlob(repo, digest, content);
    }

    @Test
    void concurrentUploadsOfTheSameContentAllSucceed() throws Exception {
        String repo = repo("upload");
        byte[] content = Oci.randomBytes(200_000);
        String digest = Oci.sha256(content);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Resp>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> {
                    String location = startUpload(repo);
                    Resp p = patch(location, content, "Content-Type", "application/octet-stream");
                    assertStatus(p, 202);
                    return put(withQuery(p.header("Location").orElseThrow(), "digest=" + digest), new byte[0]);
                }));
            }
            for (Future<Resp> f : results) {
                assertCreated(f.get(), repo, digest);
            }
        } finally {
            pool.shutdownNow();
        }
        assertBlob(repo, digest, content);
    }

    @Test
    void uploadToAnInvalidNameIs400NameInvalid() {
        Resp r = post("/v2/Upper/x/blobs/uploads/", new byte[0]);
        assertError(r, 400, "NAME_INVALID");
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
