package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GET, HEAD and DELETE of blobs: headers, ranges, conditional requests, repository scoping. */
class BlobPullTest extends ConformanceSupport {

    private String blobPath(String repo, String digest) {
        return "/v2/" + repo + "/blobs/" + digest;
    }

    @Test
    void getReturnsTheExactBytesWithContractHeaders() {
        String repo = repo("blob-pull");
        byte[] content = Oci.randomBytes(4096);
        String digest = pushBlob(repo, content);

        Resp r = get(blobPath(repo, digest));
        assertStatus(r, 200);
        assertThat(r.body()).isEqualTo(content);
        assertThat(Oci.sha256(r.body())).isEqualTo(digest);
        assertHeader(r, "Content-Length", String.valueOf(content.length));
        assertHeader(r, "Content-Type", "application/octet-stream");
        assertHeader(r, "Docker-Content-Digest", digest);
        assertHeader(r, "ETag", "\"" + digest + "\"");
        assertHeader(r, "Accept-Ranges", "bytes");
        assertThat(r.header("Cache-Control")).as("Cache-Control of %s", r)
                .hasValueSatisfying(v -> assertThat(v).contains("immutable"));
        assertHeader(r, API_VERSION_HEADER, API_VERSION);
    }

    @Test
    void headHasTheGetHeadersAndNoBody() throws Exception {
        String repo = repo("blob-pull");
        byte[] content = Oci.randomBytes(1000);
        String digest = pushBlob(repo, content);

        Resp r = head(blobPath(repo, digest));
        assertStatus(r, 200);
        assertHeader(r, "Content-Length", "1000");
        assertHeader(r, "Docker-Content-Digest", digest);
        assertHeader(r, "ETag", "\"" + digest + "\"");
        assertHeader(r, "Accept-Ranges", "bytes");
        assertThat(r.body()).isEmpty();

        // on the wire: nothing at all after the response head
        RawHttp.Response raw = RawHttp.send(registry.baseUri(), "HEAD", blobPath(repo, digest));
        assertThat(raw.status()).isEqualTo(200);
        assertThat(raw.header("Content-Length")).hasValue("1000");
        assertThat(raw.afterHeaders()).as("bytes after the HEAD response head").isEmpty();
    }

    @Test
    void emptyBlobRoundTrips() {
        String repo = repo("blob-pull");
        String digest = pushBlob(repo, new byte[0]);
        assertThat(digest).isEqualTo("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        Resp r = get(blobPath(repo, digest));
        assertStatus(r, 200);
        assertThat(r.body()).isEmpty();
        assertHeader(r, "Content-Length", "0");
        assertHeader(r, "Docker-Content-Digest", digest);
    }

    @Test
    void sha512BlobRoundTrips() {
        String repo = repo("blob-pull");
        byte[] content = Oci.randomBytes(300);
        String digest = Oci.sha512(content);
        Resp up = post("/v2/" + repo + "/blobs/uploads/?digest=" + digest, content);
        assertStatus(up, 201);
        assertHeader(up, "Docker-Content-Digest", digest);
        Resp r = get(blobPath(repo, digest));
        assertStatus(r, 200);
        assertThat(r.body()).isEqualTo(content);
        assertHeader(r, "Docker-Content-Digest", digest);
    }

    @Test
    void unknownBlobIs404BlobUnknown() {
        String repo = repo("blob-pull");
        pushBlob(repo, Oci.randomBytes(8));
        String absent = Oci.sha256(Oci.randomBytes(8));
        assertError(get(blobPath(repo, absent)), 404, "BLOB_UNKNOWN");
        Resp h = head(blobPath(repo, absent));
        assertStatus(h, 404);
        assertThat(h.body()).isEmpty();
    }

    @Test
    void blobInAnotherRepositoryIsUnknownHere() {
        String a = repo("blob-pull");
        String b = repo("blob-pull");
        byte[] content = Oci.randomBytes(128);
        String digest = pushBlob(a, content);
        pushBlob(b, Oci.randomBytes(16)); // b exists, but does not have the blob
        assertError(get(blobPath(b, digest), "Accept", "*/*"), 404, "BLOB_UNKNOWN");
        assertStatus(head(blobPath(b, digest)), 404);
        String never = repo("blob-pull"); // never created at all
        assertError(get(blobPath(never, digest)), 404, "BLOB_UNKNOWN");
    }

    /** Blobs of several 1 MiB pieces go out while the next piece is read ahead: every byte in order, any range. */
    @Test
    void blobsAndRangesOfSeveralPiecesComeBackExactly() {
        String repo = repo("blob-pull");
        byte[] content = Oci.randomBytes(5 * 1024 * 1024 + 3);
        String digest = pushBlob(repo, content);

        Resp whole = get(blobPath(repo, digest));
        assertStatus(whole, 200);
        assertThat(Oci.sha256(whole.body())).isEqualTo(digest);

        Resp part = get(blobPath(repo, digest), "Range", "bytes=1000000-4500000");
        assertStatus(part, 206);
        assertHeader(part, "Content-Range", "bytes 1000000-4500000/" + content.length);
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(content, 1_000_000, 4_500_001));
    }

    @Test
    void closedRangeIs206WithContentRange() {
        String repo = repo("blob-range");
        byte[] content = Oci.randomBytes(100);
        String digest = pushBlob(repo, content);
        Resp r = get(blobPath(repo, digest), "Range", "bytes=10-19");
        assertStatus(r, 206);
        assertHeader(r, "Content-Range", "bytes 10-19/100");
        assertHeader(r, "Content-Length", "10");
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(content, 10, 20));
    }

    @Test
    void openEndedRangeIs206ToTheEnd() {
        String repo = repo("blob-range");
        byte[] content = Oci.randomBytes(100);
        String digest = pushBlob(repo, content);
        Resp r = get(blobPath(repo, digest), "Range", "bytes=90-");
        assertStatus(r, 206);
        assertHeader(r, "Content-Range", "bytes 90-99/100");
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(content, 90, 100));
    }

    @Test
    void suffixRangeIs206WithTheLastBytes() {
        String repo = repo("blob-range");
        byte[] content = Oci.randomBytes(100);
        String digest = pushBlob(repo, content);
        Resp r = get(blobPath(repo, digest), "Range", "bytes=-7");
        assertStatus(r, 206);
        assertHeader(r, "Content-Range", "bytes 93-99/100");
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(content, 93, 100));
    }

    @Test
    void rangeEndBeyondTheBlobIsClampedToTheLastByte() {
        // RFC 9110 14.1.2: a last-pos at or past the length means "to the end"
        String repo = repo("blob-range");
        byte[] content = Oci.randomBytes(50);
        String digest = pushBlob(repo, content);
        Resp r = get(blobPath(repo, digest), "Range", "bytes=40-1000");
        assertStatus(r, 206);
        assertHeader(r, "Content-Range", "bytes 40-49/50");
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(content, 40, 50));
        Resp s = get(blobPath(repo, digest), "Range", "bytes=-500");
        assertStatus(s, 206);
        assertHeader(s, "Content-Range", "bytes 0-49/50");
        assertThat(s.body()).isEqualTo(content);
    }

    @Test
    void unsatisfiableRangeIs416WithStarSize() {
        String repo = repo("blob-range");
        byte[] content = Oci.randomBytes(100);
        String digest = pushBlob(repo, content);
        for (String range : new String[] {"bytes=100-", "bytes=100-200", "bytes=5000-6000"}) {
            Resp r = get(blobPath(repo, digest), "Range", range);
            assertStatus(r, 416);
            assertHeader(r, "Content-Range", "bytes */100");
        }
    }

    @Test
    void malformedOrMultiRangeIsIgnored() {
        String repo = repo("blob-range");
        byte[] content = Oci.randomBytes(64);
        String digest = pushBlob(repo, content);
        for (String range : new String[] {"bytes=abc", "items=0-5", "bytes=0-1,4-5", "bytes=9-3"}) {
            Resp r = get(blobPath(repo, digest), "Range", range);
            assertThat(r.status()).as("Range %s: %s", range, r).isEqualTo(200);
            assertThat(r.body()).as("Range %s", range).isEqualTo(content);
        }
    }

    @Test
    void ifNoneMatchWithTheDigestIs304() {
        String repo = repo("blob-etag");
        byte[] content = Oci.randomBytes(200);
        String digest = pushBlob(repo, content);
        String etag = get(blobPath(repo, digest)).header("ETag").orElseThrow();
        assertThat(etag).isEqualTo("\"" + digest + "\"");
        Resp r = get(blobPath(repo, digest), "If-None-Match", etag);
        assertStatus(r, 304);
        assertThat(r.body()).isEmpty();
        assertHeader(r, "ETag", etag);
    }

    @Test
    void ifNoneMatchWithAnotherEtagIs200() {
        String repo = repo("blob-etag");
        byte[] content = Oci.randomBytes(200);
        String digest = pushBlob(repo, content);
        Resp r = get(blobPath(repo, digest), "If-None-Match", "\"" + Oci.sha256(new byte[] {1}) + "\"");
        assertStatus(r, 200);
        assertThat(r.body()).isEqualTo(content);
    }

    @Test
    void deleteUnlinksTheBlobFromTheRepositoryOnly() {
        String a = repo("blob-delete");
        String b = repo("blob-delete");
        byte[] content = Oci.randomBytes(77);
        String digest = pushBlob(a, content);
        pushBlob(b, content);

        Resp d = delete(blobPath(a, digest));
        assertStatus(d, 202);
        assertError(get(blobPath(a, digest)), 404, "BLOB_UNKNOWN");
        assertStatus(head(blobPath(a, digest)), 404);

        Resp other = get(blobPath(b, digest));
        assertStatus(other, 200);
        assertThat(other.body()).isEqualTo(content);
    }

    @Test
    void deleteOfUnknownBlobIs404BlobUnknown() {
        String repo = repo("blob-delete");
        pushBlob(repo, Oci.randomBytes(4));
        assertError(delete(blobPath(repo, Oci.sha256(Oci.randomBytes(4)))), 404, "BLOB_UNKNOWN");
    }

    @Test
    void blobCanBePushedAgainAfterDelete() {
        String repo = repo("blob-delete");
        byte[] content = Oci.randomBytes(33);
        String digest = pushBlob(repo, content);
        assertStatus(delete(blobPath(repo, digest)), 202);
        pushBlob(repo, content);
        Resp r = get(blobPath(repo, digest));
        assertStatus(r, 200);
        assertThat(r.body()).isEqualTo(content);
    }

    @Test
    void invalidDigestInBlobUrlIs400DigestInvalid() {
        String repo = repo("blob-pull");
        pushBlob(repo, Oci.randomBytes(4));
        String hex = Oci.hexOf(Oci.sha256(new byte[] {1, 2}));
        for (String bad : new String[] {
                "md5:0123456789abcdef0123456789abcdef",
                "sha256:" + hex.toUpperCase(Locale.ROOT),
                "sha256:" + hex.substring(1),
                "sha256:" + hex.substring(1) + "g",
                "sha512:" + hex}) {
            assertError(get(blobPath(repo, bad)), 400, "DIGEST_INVALID");
        }
    }

    @Test
    void rawGetOfBlobMatchesContentLength() throws Exception {
        String repo = repo("blob-pull");
        byte[] content = Oci.randomBytes(5000);
        String digest = pushBlob(repo, content);
        RawHttp.Response r = RawHttp.send(registry.baseUri(), "GET", blobPath(repo, digest), Map.of(), null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(content);
    }
}
