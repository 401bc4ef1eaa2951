package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Cross-repository blob mount: 201 when mounted, 202 (a new session) when it falls back. */
class MountTest extends ConformanceSupport {

    private Resp mount(String repo, String digest, String from) {
        return post("/v2/" + repo + "/blobs/uploads/?mount=" + digest + "&from=" + from, new byte[0]);
    }

    private static void assertFallbackSession(Resp r, String repo) {
        assertStatus(r, 202);
        assertThat(locationPath(r)).startsWith("/v2/" + repo + "/blobs/uploads/");
        assertThat(r.header("Docker-Upload-UUID")).as("Docker-Upload-UUID of %s", r).isPresent();
    }

    @Test
    void blobOfAnotherRepositoryIsInvisibleUntilMounted() {
        String a = repo("mount");
        String b = repo("mount");
        byte[] content = Oci.randomBytes(1234);
        String digest = pushBlob(a, content);
        pushBlob(b, Oci.randomBytes(3));

        assertError(get("/v2/" + b + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertStatus(head("/v2/" + b + "/blobs/" + digest), 404);

        Resp m = mount(b, digest, a);
        assertStatus(m, 201);
        assertThat(locationPath(m)).isEqualTo("/v2/" + b + "/blobs/" + digest);
        assertHeader(m, "Docker-Content-Digest", digest);

        Resp g = get("/v2/" + b + "/blobs/" + digest);
        assertStatus(g, 200);
        assertThat(g.body()).isEqualTo(content);
        assertHeader(g, "Docker-Content-Digest", digest);
    }

    @Test
    void mountIntoANewRepositoryCreatesIt() {
        String a = repo("mount");
        String b = repo("mount");
        byte[] content = Oci.randomBytes(99);
        String digest = pushBlob(a, content);
        assertStatus(mount(b, digest, a), 201);
        Resp g = get("/v2/" + b + "/blobs/" + digest);
        assertStatus(g, 200);
        assertThat(g.body()).isEqualTo(content);
    }

    @Test
    void mountedBlobSurvivesDeletionInTheSource() {
        String a = repo("mount");
        String b = repo("mount");
        byte[] content = Oci.randomBytes(500);
        String digest = pushBlob(a, content);
        assertStatus(mount(b, digest, a), 201);
        assertStatus(delete("/v2/" + a + "/blobs/" + digest), 202);
        assertError(get("/v2/" + a + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        Resp g = get("/v2/" + b + "/blobs/" + digest);
        assertStatus(g, 200);
        assertThat(g.body()).isEqualTo(content);
    }

    @Test
    void mountFromARepositoryWithoutTheBlobFallsBackToAUsableSession() {
        String a = repo("mount");
        String b = repo("mount");
        pushBlob(a, Oci.randomBytes(5));
        byte[] content = Oci.randomBytes(300);
        String digest = Oci.sha256(content);

        Resp m = mount(b, digest, a);
        assertFallbackSession(m, b);
        assertError(get("/v2/" + b + "/blobs/" + digest), 404, "BLOB_UNKNOWN");

        Resp done = put(withQuery(m.header("Location").orElseThrow(), "digest=" + digest), content);
        assertStatus(done, 201);
        Resp g = get("/v2/" + b + "/blobs/" + digest);
        assertStatus(g, 200);
        assertThat(g.body()).isEqualTo(content);
        assertError(get("/v2/" + a + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void mountFromANonexistentRepositoryFallsBack() {
        String b = repo("mount");
        String digest = Oci.sha256(Oci.randomBytes(10));
        assertFallbackSession(mount(b, digest, repo("mount-never")), b);
        assertError(get("/v2/" + b + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void mountFromAnInvalidNameFallsBack() {
        String a = repo("mount");
        String b = repo("mount");
        String digest = pushBlob(a, Oci.randomBytes(10));
        assertFallbackSession(mount(b, digest, "Upper/Case"), b);
        assertError(get("/v2/" + b + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void mountOfABlobDeletedFromTheSourceFallsBack() {
        String a = repo("mount");
        String b = repo("mount");
        String digest = pushBlob(a, Oci.randomBytes(10));
        assertStatus(delete("/v2/" + a + "/blobs/" + digest), 202);
        assertFallbackSession(mount(b, digest, a), b);
        assertError(get("/v2/" + b + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void invalidMountDigestIs400DigestInvalid() {
        String a = repo("mount");
        String b = repo("mount");
        byte[] content = Oci.randomBytes(10);
        pushBlob(a, content);
        for (String bad : new String[] {"sha256:xyz", "md5:0123456789abcdef0123456789abcdef",
                "sha256:" + Oci.hexOf(Oci.sha256(content)).toUpperCase(Locale.ROOT)}) {
            Resp r = mount(b, bad, a);
            assertThat(r.status()).as("mount=%s: %s", bad, r).isEqualTo(400);
            assertThat(r.errorCodes()).as("mount=%s: %s", bad, r).contains("DIGEST_INVALID");
        }
        assertError(get("/v2/" + b + "/blobs/" + Oci.sha256(content)), 404, "BLOB_UNKNOWN");
    }
}
