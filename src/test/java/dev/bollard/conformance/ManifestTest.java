package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Manifest PUT/GET/HEAD/DELETE for the four accepted media types, Accept negotiation, subject, references. */
class ManifestTest extends ConformanceSupport {

    private String path(String repo, String reference) {
        return "/v2/" + repo + "/manifests/" + reference;
    }

    private void assertManifest(Resp r, String mediaType, String json) {
        assertStatus(r, 200);
        byte[] bytes = Oci.utf8(json);
        assertThat(r.body()).as("body of %s", r).isEqualTo(bytes);
        assertHeader(r, "Content-Type", mediaType);
        assertHeader(r, "Content-Length", String.valueOf(bytes.length));
        assertHeader(r, "Docker-Content-Digest", Oci.sha256(bytes));
        assertThat(r.header("ETag")).as("ETag of %s", r).isPresent();
    }

    private static void assertPutCreated(Resp r, String repo, String digest) {
        assertStatus(r, 201);
        assertThat(locationPath(r)).isEqualTo("/v2/" + repo + "/manifests/" + digest);
        assertHeader(r, "Docker-Content-Digest", digest);
    }

    /** Blobs for an image and the descriptors that name them. */
    private record Parts(Oci.Desc config, Oci.Desc layer) {
    }

    private Parts pushParts(String repo, String configType, String layerType) {
        byte[] config = Oci.uniqueConfig();
        byte[] layer = Oci.randomBytes(256);
        pushBlob(repo, config);
        pushBlob(repo, layer);
        return new Parts(Oci.Desc.of(configType, config), Oci.Desc.of(layerType, layer));
    }

    @Test
    void ociManifestByTagRoundTripsByTagAndDigest() {
        String repo = repo("manifest");
        Parts p = pushParts(repo, Oci.OCI_CONFIG, Oci.OCI_LAYER);
        String json = Oci.ociManifest(p.config(), List.of(p.layer()));
        String digest = Oci.sha256(json);

        Resp put = putManifest(repo, "v1", Oci.OCI_MANIFEST, json);
        assertPutCreated(put, repo, digest);
        assertThat(put.header("OCI-Subject")).as("OCI-Subject of %s", put).isEmpty();

        assertManifest(get(path(repo, "v1")), Oci.OCI_MANIFEST, json);
        assertManifest(get(path(repo, digest)), Oci.OCI_MANIFEST, json);
        assertThat(tags(repo)).containsExactly("v1");
    }

    @Test
    void manifestBytesAreKeptExactly() {
        // whitespace and member order that a re-serialising server would change
        String repo = repo("manifest");
        Parts p = pushParts(repo, Oci.OCI_CONFIG, Oci.OCI_LAYER);
        String json = "{\n  \"layers\" : [ " + p.layer().json() + " ],\n  \"schemaVersion\" : 2,\n"
                + "  \"config\" : " + p.config().json() + ",\n  \"mediaType\" : \"" + Oci.OCI_MANIFEST + "\"\n}\n";
        String digest = Oci.sha256(json);
        assertPutCreated(putManifest(repo, "pretty", Oci.OCI_MANIFEST, json), repo, digest);
        assertManifest(get(path(repo, "pretty")), Oci.OCI_MANIFEST, json);
    }

    @Test
    void putByDigestStoresAnUntaggedManifest() {
        String repo = repo("manifest");
        Parts p = pushParts(repo, Oci.OCI_CONFIG, Oci.OCI_LAYER);
        String json = Oci.ociManifest(p.config(), List.of(p.layer()));
        String digest = Oci.sha256(json);
        assertPutCreated(putManifest(repo, digest, Oci.OCI_MANIFEST, json), repo, digest);
        assertManifest(get(path(repo, digest)), Oci.OCI_MANIFEST, json);
        assertThat(tagsOrEmpty(repo)).isEmpty();
    }

    @Test
    void putByMismatchedDigestIs400DigestInvalidAndStoresNothing() {
        String repo = repo("manifest");
        Image other = pushImage(repo, "other");
        Parts p = pushParts(repo, Oci.OCI_CONFIG, Oci.OCI_LAYER);
        String json = Oci.ociManifest(p.config(), List.of(p.layer()));
        String wrong = Oci.sha256(Oci.randomBytes(8));

        assertError(putManifest(repo, wrong, Oci.OCI_MANIFEST, json), 400, "DIGEST_INVALID");
        assertError(get(path(repo, wrong)), 404, "MANIFEST_UNKNOWN");
        assertError(get(path(repo, Oci.sha256(json))), 404, "MANIFEST_UNKNOWN");
        assertThat(tags(repo)).containsExactly("other");
        // a digest of another, existing manifest is just as wrong
        assertError(putManifest(repo, other.digest(), Oci.OCI_MANIFEST, json), 400, "DIGEST_INVALID");
        assertManifest(get(path(repo, other.digest())), Oci.OCI_MANIFEST, other.json());
    }

    @Test
    void putBySha512DigestIsAccepted() {
        String repo = repo("manifest");
        Parts p = pushParts(repo, Oci.OCI_CONFIG, Oci.OCI_LAYER);
        String json = Oci.ociManifest(p.config(), List.of(p.layer()));
        String digest512 = Oci.sha512(Oci.utf8(json));
        Resp put = putManifest(repo, digest512, Oci.OCI_MANIFEST, json);
        assertStatus(put, 201);
        assertThat(put.header("Location")).isPresent();
        Resp g = get(path(repo, digest512));
        assertStatus(g, 200);
        assertThat(g.body()).isEqualTo(Oci.utf8(json));
        assertHeader(g, "Content-Type", Oci.OCI_MANIFEST);
    }

    @Test
    void ociIndexRoundTrips() {
        String repo = repo("manifest");
        Image amd = pushImage(repo, throwawayTag());
        Image arm = pushImage(repo, throwawayTag());
        String json = Oci.ociIndexWithPlatforms(List.of(amd.desc(), arm.desc()));
        String digest = Oci.sha256(json);
        assertPutCreated(putManifest(repo, "multi", Oci.OCI_INDEX, json), repo, digest);
        assertManifest(get(path(repo, "multi")), Oci.OCI_INDEX, json);
        assertManifest(get(path(repo, digest)), Oci.OCI_INDEX, json);
    }

    /** A throwaway tag for images that only serve as index children. */
    private static String throwawayTag() {
        return "child-" + Long.toHexString(System.nanoTime());
    }

    @Test
    void dockerSchema2ManifestRoundTrips() {
        String repo = repo("manifest");
        Parts p = pushParts(repo, Oci.DOCKER_CONFIG, Oci.DOCKER_LAYER);
        String json = Oci.dockerManifest(p.config(), List.of(p.layer()));
        String digest = Oci.sha256(json);
        assertPutCreated(putManifest(repo, "docker", Oci.DOCKER_MANIFEST, json), repo, digest);
        assertManifest(get(path(repo, "docker"), "Accept", Oci.DOCKER_MANIFEST), Oci.DOCKER_MANIFEST, json);
        assertManifest(get(path(repo, digest)), Oci.DOCKER_MANIFEST, json);
    }

    @Test
    void dockerManifestListRoundTrips() {
        String repo = repo("manifest");
        Parts p = pushParts(repo, Oci.DOCKER_CONFIG, Oci.DOCKER_LAYER);
        String child = Oci.dockerManifest(p.config(), List.of(p.layer()));
        String childDigest = pushManifest(repo, Oci.sha256(child), Oci.DOCKER_MANIFEST, child);
        String json = Oci.dockerManifestList(
                List.of(new Oci.Desc(Oci.DOCKER_MANIFEST, childDigest, Oci.utf8(child).length)));
        String digest = Oci.sha256(json);
        assertPutCreated(putManifest(repo, "list", Oci.DOCKER_MANIFEST_LIST, json), repo, digest);
        assertManifest(get(path(repo, "list"), "Accept", Oci.DOCKER_MANIFEST_LIST + ", " + Oci.DOCKER_MANIFEST),
                Oci.DOCKER_MANIFEST_LIST, json);
        assertManifest(get(path(repo, digest)), Oci.DOCKER_MANIFEST_LIST, json);
    }

    @Test
    void headHasTheGetHeadersAndNoBody() throws Exception {
        String repo = repo("manifest");
        Image image = pushImage(repo, "v1");
        for (String ref : new String[] {"v1", image.digest()}) {
            Resp h = head(path(repo, ref));
            assertStatus(h, 200);
            assertHeader(h, "Content-Type", Oci.OCI_MANIFEST);
            assertHeader(h, "Content-Length", String.valueOf(image.bytes().length));
            assertHeader(h, "Docker-Content-Digest", image.digest());
            assertThat(h.header("ETag")).isPresent();
            assertThat(h.body()).isEmpty();
        }
        RawHttp.Response raw = RawHttp.send(registry.baseUri(), "HEAD", path(repo, "v1"));
        assertThat(raw.status()).isEqualTo(200);
        assertThat(raw.header("Content-Length")).hasValue(String.valueOf(image.bytes().length));
        assertThat(raw.afterHeaders()).as("bytes after the HEAD response head").isEmpty();
    }

    @Test
    void unknownManifestIs404ManifestUnknownInAnExistingRepository() {
        String repo = repo("manifest");
        pushImage(repo, "v1");
        assertError(get(path(repo, "v2")), 404, "MANIFEST_UNKNOWN");
        assertError(get(path(repo, Oci.sha256(Oci.randomBytes(4)))), 404, "MANIFEST_UNKNOWN");
        Resp h = head(path(repo, "v2"));
        assertStatus(h, 404);
        assertThat(h.body()).isEmpty();
    }

    @Test
    void manifestOfAnUnknownRepositoryIs404NameUnknown() {
        String repo = repo("manifest-never");
        assertError(get(path(repo, "latest")), 404, "NAME_UNKNOWN");
        assertError(get(path(repo, Oci.sha256(Oci.randomBytes(4)))), 404, "NAME_UNKNOWN");
        assertStatus(head(path(repo, "latest")), 404);
    }

    @Test
    void acceptNegotiation() {
        String repo = repo("manifest");
        Image image = pushImage(repo, "v1");
        String p = path(repo, "v1");
        // no Accept, */*, a list containing the type, q-values, several Accept lines
        assertManifest(get(p), Oci.OCI_MANIFEST, image.json());
        assertManifest(get(p, "Accept", "*/*"), Oci.OCI_MANIFEST, image.json());
        assertManifest(get(p, "Accept", Oci.DOCKER_MANIFEST + ", " + Oci.OCI_MANIFEST), Oci.OCI_MANIFEST,
                image.json());
        assertManifest(get(p, "Accept", Oci.DOCKER_MANIFEST + ";q=0.9," + Oci.OCI_MANIFEST + ";q=0.5"),
                Oci.OCI_MANIFEST, image.json());
        assertManifest(get(p, "Accept", Oci.DOCKER_MANIFEST, "Accept", Oci.OCI_INDEX, "Accept", Oci.OCI_MANIFEST),
                Oci.OCI_MANIFEST, image.json());
        assertManifest(get(p, "Accept", Oci.DOCKER_MANIFEST + ", */*"), Oci.OCI_MANIFEST, image.json());
        // none acceptable
        assertError(get(p, "Accept", Oci.DOCKER_MANIFEST), 404, "MANIFEST_UNKNOWN");
        assertError(get(p, "Accept", Oci.OCI_INDEX + ", " + Oci.DOCKER_MANIFEST_LIST), 404, "MANIFEST_UNKNOWN");
        assertError(get(path(repo, image.digest()), "Accept", Oci.DOCKER_MANIFEST), 404, "MANIFEST_UNKNOWN");
        assertStatus(head(p, "Accept", Oci.DOCKER_MANIFEST), 404);
        // the manifest itself is untouched
        assertManifest(get(p, "Accept", Oci.OCI_MANIFEST), Oci.OCI_MANIFEST, image.json());
    }

    @Test
    void acceptNegotiationForAnIndex() {
        String repo = repo("manifest");
        Image child = pushImage(repo, "child");
        String json = Oci.ociIndex(List.of(child.desc()));
        pushManifest(repo, "idx", Oci.OCI_INDEX, json);
        assertError(get(path(repo, "idx"), "Accept", Oci.OCI_MANIFEST + ", " + Oci.DOCKER_MANIFEST),
                404, "MANIFEST_UNKNOWN");
        assertManifest(get(path(repo, "idx"), "Accept", Oci.OCI_MANIFEST + ", " + Oci.OCI_INDEX),
                Oci.OCI_INDEX, json);
    }

    @Test
    void missingLayerIs400ManifestBlobUnknownAndNothingStored() {
        String repo = repo("manifest");
        Image existing = pushImage(repo, "existing");
        byte[] config = Oci.uniqueConfig();
        pushBlob(repo, config);
        Oci.Desc missingLayer = Oci.Desc.of(Oci.OCI_LAYER, Oci.randomBytes(100));
        String json = Oci.ociManifest(Oci.Desc.of(Oci.OCI_CONFIG, config), List.of(missingLayer));
        assertError(putManifest(repo, "broken", Oci.OCI_MANIFEST, json), 400, "MANIFEST_BLOB_UNKNOWN");
        assertError(get(path(repo, "broken")), 404, "MANIFEST_UNKNOWN");
        assertError(get(path(repo, Oci.sha256(json))), 404, "MANIFEST_UNKNOWN");
        assertThat(tags(repo)).containsExactly("existing");
        assertManifest(get(path(repo, "existing")), Oci.OCI_MANIFEST, existing.json());
    }

    @Test
    void missingConfigIs400ManifestBlobUnknown() {
        String repo = repo("manifest");
        byte[] layer = Oci.randomBytes(100);
        pushBlob(repo, layer);
        String json = Oci.ociManifest(Oci.Desc.of(Oci.OCI_CONFIG, Oci.uniqueConfig()),
                List.of(Oci.Desc.of(Oci.OCI_LAYER, layer)));
        assertError(putManifest(repo, "broken", Oci.OCI_MANIFEST, json), 400, "MANIFEST_BLOB_UNKNOWN");
        assertError(get(path(repo, Oci.sha256(json))), 404, "MANIFEST_UNKNOWN");
        assertThat(tagsOrEmpty(repo)).isEmpty();
    }

    @Test
    void blobOfAnotherRepositoryIs400ManifestBlobUnknown() {
        String a = repo("manifest");
        String b = repo("manifest");
        Parts p = pushParts(a, Oci.OCI_CONFIG, Oci.OCI_LAYER);
        byte[] ownConfig = Oci.uniqueConfig();
        pushBlob(b, ownConfig);
        String json = Oci.ociManifest(Oci.Desc.of(Oci.OCI_CONFIG, ownConfig), List.of(p.layer()));
        assertError(putManifest(b, "v1", Oci.OCI_MANIFEST, json), 400, "MANIFEST_BLOB_UNKNOWN");
        assertError(get(path(b, "v1")), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void dockerManifestWithMissingLayerIs400ManifestBlobUnknown() {
        String repo = repo("manifest");
        byte[] config = Oci.uniqueConfig();
        pushBlob(repo, config);
        String json = Oci.dockerManifest(Oci.Desc.of(Oci.DOCKER_CONFIG, config),
                List.of(Oci.Desc.of(Oci.DOCKER_LAYER, Oci.randomBytes(10))));
        assertError(putManifest(repo, "v1", Oci.DOCKER_MANIFEST, json), 400, "MANIFEST_BLOB_UNKNOWN");
        assertError(get(path(repo, Oci.sha256(json))), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void indexWithMissingChildIs400ManifestBlobUnknownAndNothingStored() {
        String repo = repo("manifest");
        Image present = pushImage(repo, "present");
        Oci.Desc missing = new Oci.Desc(Oci.OCI_MANIFEST, Oci.sha256(Oci.randomBytes(10)), 500);
        String json = Oci.ociIndex(List.of(present.desc(), missing));
        assertError(putManifest(repo, "idx", Oci.OCI_INDEX, json), 400, "MANIFEST_BLOB_UNKNOWN");
        assertError(get(path(repo, "idx")), 404, "MANIFEST_UNKNOWN");
        assertError(get(path(repo, Oci.sha256(json))), 404, "MANIFEST_UNKNOWN");
        assertThat(tags(repo)).containsExactly("present");
    }

    @Test
    void indexWithChildOfAnotherRepositoryIs400ManifestBlobUnknown() {
        String a = repo("manifest");
        String b = repo("manifest");
        Image inA = pushImage(a, "v1");
        Image inB = pushImage(b, "v1");
        String json = Oci.ociIndex(List.of(inB.desc(), inA.desc()));
        assertError(putManifest(b, "idx", Oci.OCI_INDEX, json), 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(tags(b)).containsExactly("v1");
    }

    @Test
    void manifestListWithMissingChildIs400ManifestBlobUnknown() {
        String repo = repo("manifest");
        pushImage(repo, "v1"); // the repository exists
        Oci.Desc missing = new Oci.Desc(Oci.DOCKER_MANIFEST, Oci.sha256(Oci.randomBytes(10)), 400);
        String json = Oci.dockerManifestList(List.of(missing));
        assertError(putManifest(repo, "list", Oci.DOCKER_MANIFEST_LIST, json), 400, "MANIFEST_BLOB_UNKNOWN");
        assertError(get(path(repo, Oci.sha256(json))), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void subjectAndArtifactTypeAreKeptAndSignalledWithOciSubject() {
        String repo = repo("manifest");
        Image subject = pushImage(repo, "v1");
        byte[] empty = Oci.utf8("{}");
        pushBlob(repo, empty);
        byte[] sig = Oci.randomBytes(50);
        pushBlob(repo, sig);
        String json = Oci.ociManifest(Oci.Desc.of(Oci.OCI_EMPTY, empty),
                List.of(Oci.Desc.of("application/vnd.example.signature", sig)),
                "application/vnd.example.signature", subject.desc(),
                "{\"org.example.kind\":\"signature\"}");
        String digest = Oci.sha256(json);
        Resp put = putManifest(repo, digest, Oci.OCI_MANIFEST, json);
        assertPutCreated(put, repo, digest);
        assertHeader(put, "OCI-Subject", subject.digest());

        Resp g = get(path(repo, digest));
        assertManifest(g, Oci.OCI_MANIFEST, json);
        assertThat(g.json().path("subject").path("digest").asText()).isEqualTo(subject.digest());
        assertThat(g.json().path("artifactType").asText()).isEqualTo("application/vnd.example.signature");
    }

    @Test
    void manifestWhoseSubjectDoesNotExistIsAccepted() {
        String repo = repo("manifest");
        byte[] empty = Oci.utf8("{}");
        pushBlob(repo, empty);
        Oci.Desc absentSubject = new Oci.Desc(Oci.OCI_MANIFEST, Oci.sha256(Oci.randomBytes(20)), 321);
        String json = Oci.ociManifest(Oci.Desc.of(Oci.OCI_EMPTY, empty), List.of(Oci.Desc.of(Oci.OCI_EMPTY, empty)),
                "application/vnd.example.sbom", absentSubject, null);
        Resp put = putManifest(repo, "sbom", Oci.OCI_MANIFEST, json);
        assertPutCreated(put, repo, Oci.sha256(json));
        assertHeader(put, "OCI-Subject", absentSubject.digest());
        assertManifest(get(path(repo, "sbom")), Oci.OCI_MANIFEST, json);
    }

    @Test
    void indexWithSubjectSignalsOciSubject() {
        String repo = repo("manifest");
        Image subject = pushImage(repo, "v1");
        Image child = pushImage(repo, "child");
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + Oci.OCI_INDEX + "\",\"artifactType\":"
                + "\"application/vnd.example.bundle\",\"manifests\":[" + child.desc().json() + "],\"subject\":"
                + subject.desc().json() + "}";
        Resp put = putManifest(repo, Oci.sha256(json), Oci.OCI_INDEX, json);
        assertPutCreated(put, repo, Oci.sha256(json));
        assertHeader(put, "OCI-Subject", subject.digest());
        assertManifest(get(path(repo, Oci.sha256(json))), Oci.OCI_INDEX, json);
    }

    @Test
    void sameManifestUnderTwoTagsAndRetagging() {
        String repo = repo("manifest");
        Image first = pushImage(repo, "a");
        assertPutCreated(putManifest(repo, "b", Oci.OCI_MANIFEST, first.json()), repo, first.digest());
        assertThat(tags(repo)).containsExactly("a", "b");
        assertHeader(get(path(repo, "b")), "Docker-Content-Digest", first.digest());

        Image second = pushImage(repo, "b"); // moves b
        assertHeader(get(path(repo, "b")), "Docker-Content-Digest", second.digest());
        assertHeader(get(path(repo, "a")), "Docker-Content-Digest", first.digest());
        assertManifest(get(path(repo, first.digest())), Oci.OCI_MANIFEST, first.json());
        assertThat(tags(repo)).containsExactly("a", "b");
    }

    @Test
    void longestValidTagIsAccepted() {
        String repo = repo("manifest");
        String tag = "T" + "a_.-9".repeat(25) + "xy"; // 128 characters
        assertThat(tag).hasSize(128);
        Image image = pushImage(repo, tag);
        assertManifest(get(path(repo, tag)), Oci.OCI_MANIFEST, image.json());
        assertThat(tags(repo)).containsExactly(tag);
    }

    @Test
    void deleteByDigestRemovesTheManifestAndAllItsTags() {
        String repo = repo("manifest");
        Image image = pushImage(repo, "one");
        pushManifest(repo, "two", Oci.OCI_MANIFEST, image.json());
        Image keep = pushImage(repo, "keep");
        assertThat(tags(repo)).containsExactly("keep", "one", "two");

        assertStatus(delete(path(repo, image.digest())), 202);

        assertError(get(path(repo, image.digest())), 404, "MANIFEST_UNKNOWN");
        assertError(get(path(repo, "one")), 404, "MANIFEST_UNKNOWN");
        assertError(get(path(repo, "two")), 404, "MANIFEST_UNKNOWN");
        assertStatus(head(path(repo, "one")), 404);
        assertThat(tags(repo)).containsExactly("keep");
        assertManifest(get(path(repo, "keep")), Oci.OCI_MANIFEST, keep.json());
        // a second delete finds nothing
        assertError(delete(path(repo, image.digest())), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void deleteByTagRemovesOnlyTheTag() {
        String repo = repo("manifest");
        Image image = pushImage(repo, "one");
        pushManifest(repo, "two", Oci.OCI_MANIFEST, image.json());

        assertStatus(delete(path(repo, "one")), 202);

        assertError(get(path(repo, "one")), 404, "MANIFEST_UNKNOWN");
        assertManifest(get(path(repo, "two")), Oci.OCI_MANIFEST, image.json());
        assertManifest(get(path(repo, image.digest())), Oci.OCI_MANIFEST, image.json());
        assertThat(tags(repo)).containsExactly("two");
    }

    @Test
    void deleteOfUnknownManifestIs404ManifestUnknown() {
        String repo = repo("manifest");
        pushImage(repo, "v1");
        assertError(delete(path(repo, "nope")), 404, "MANIFEST_UNKNOWN");
        assertError(delete(path(repo, Oci.sha256(Oci.randomBytes(3)))), 404, "MANIFEST_UNKNOWN");
        assertThat(tags(repo)).containsExactly("v1");
    }

    @Test
    void manifestCanBePushedAgainAfterDelete() {
        String repo = repo("manifest");
        Image image = pushImage(repo, "v1");
        assertStatus(delete(path(repo, image.digest())), 202);
        assertPutCreated(putManifest(repo, "v1", Oci.OCI_MANIFEST, image.json()), repo, image.digest());
        assertManifest(get(path(repo, "v1")), Oci.OCI_MANIFEST, image.json());
    }
}
