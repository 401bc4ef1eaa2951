package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The referrers API: listing, artifactType filtering, unknown subjects, the referrers tag schema fallback. */
class ReferrersTest extends ConformanceSupport {

    private static final String SIG = "application/vnd.example.signature";
    private static final String SBOM = "application/vnd.example.sbom";

    private String referrersPath(String repo, String digest) {
        return "/v2/" + repo + "/referrers/" + digest;
    }

    /** Pushes an artifact manifest (empty config) with {@code subject}, by digest; returns its descriptor. */
    private Oci.Desc pushArtifact(String repo, Oci.Desc subject, String artifactType, String annotationsJson) {
        byte[] empty = Oci.utf8("{}");
        pushBlob(repo, empty);
        byte[] payload = Oci.randomBytes(40);
        pushBlob(repo, payload);
        String json = Oci.ociManifest(Oci.Desc.of(Oci.OCI_EMPTY, empty),
                List.of(Oci.Desc.of(artifactType == null ? "application/octet-stream" : artifactType, payload)),
                artifactType, subject, annotationsJson);
        String digest = Oci.sha256(json);
        Resp r = putManifest(repo, digest, Oci.OCI_MANIFEST, json);
        assertStatus(r, 201);
        if (subject != null) {
            assertHeader(r, "OCI-Subject", subject.digest());
        }
        return new Oci.Desc(Oci.OCI_MANIFEST, digest, Oci.utf8(json).length);
    }

    private static JsonNode assertIndex(Resp r) {
        assertStatus(r, 200);
        assertHeader(r, "Content-Type", Oci.OCI_INDEX);
        JsonNode body = r.json();
        assertThat(body.path("schemaVersion").asInt()).isEqualTo(2);
        assertThat(body.path("mediaType").asText()).isEqualTo(Oci.OCI_INDEX);
        assertThat(body.path("manifests").isArray()).as("manifests of %s", r).isTrue();
        return body.path("manifests");
    }

    private static JsonNode entry(JsonNode manifests, String digest) {
        for (JsonNode m : manifests) {
            if (m.path("digest").asText().equals(digest)) {
                return m;
            }
        }
        throw new AssertionError(digest + " not among " + manifests);
    }

    private static List<String> digests(JsonNode manifests) {
        List<String> out = new ArrayList<>();
        manifests.forEach(m -> out.add(m.path("digest").asText()));
        return out;
    }

    @Test
    void listsEveryManifestWhoseSubjectIsTheDigest() {
        String repo = repo("referrers");
        Image subject = pushImage(repo, "v1");
        Image unrelated = pushImage(repo, "v2");
        Oci.Desc sig = pushArtifact(repo, subject.desc(), SIG, "{\"org.example.signer\":\"alice\"}");
        Oci.Desc sbom = pushArtifact(repo, subject.desc(), SBOM, null);
        pushArtifact(repo, unrelated.desc(), SIG, null);

        Resp r = get(referrersPath(repo, subject.digest()));
        JsonNode manifests = assertIndex(r);
        assertThat(r.header("OCI-Filters-Applied")).as("OCI-Filters-Applied of %s", r).isEmpty();
        assertThat(digests(manifests)).containsExactlyInAnyOrder(sig.digest(), sbom.digest());

        JsonNode s = entry(manifests, sig.digest());
        assertThat(s.path("mediaType").asText()).isEqualTo(Oci.OCI_MANIFEST);
        assertThat(s.path("size").asLong()).isEqualTo(sig.size());
        assertThat(s.path("artifactType").asText()).isEqualTo(SIG);
        assertThat(s.path("annotations").path("org.example.signer").asText()).isEqualTo("alice");
        JsonNode b = entry(manifests, sbom.digest());
        assertThat(b.path("artifactType").asText()).isEqualTo(SBOM);
        assertThat(b.path("size").asLong()).isEqualTo(sbom.size());
    }

    @Test
    void artifactTypeFallsBackToTheConfigMediaType() {
        // OCI distribution spec: without artifactType, the descriptor carries the config's media type
        String repo = repo("referrers");
        Image subject = pushImage(repo, "v1");
        byte[] config = Oci.utf8("{\"kind\":\"attestation\"}");
        pushBlob(repo, config);
        byte[] empty = Oci.utf8("{}");
        pushBlob(repo, empty);
        String json = Oci.ociManifest(Oci.Desc.of("application/vnd.example.attestation.config+json", config),
                List.of(Oci.Desc.of(Oci.OCI_EMPTY, empty)), null, subject.desc(), null);
        String digest = pushManifest(repo, Oci.sha256(json), Oci.OCI_MANIFEST, json);
        JsonNode manifests = assertIndex(get(referrersPath(repo, subject.digest())));
        assertThat(entry(manifests, digest).path("artifactType").asText())
                .isEqualTo("application/vnd.example.attestation.config+json");
    }

    @Test
    void indexesWithASubjectAreListedToo() {
        String repo = repo("referrers");
        Image subject = pushImage(repo, "v1");
        Image child = pushImage(repo, "child");
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + Oci.OCI_INDEX + "\",\"artifactType\":\""
                + "application/vnd.example.bundle\",\"manifests\":[" + child.desc().json() + "],\"subject\":"
                + subject.desc().json() + "}";
        String digest = pushManifest(repo, Oci.sha256(json), Oci.OCI_INDEX, json);
        JsonNode e = entry(assertIndex(get(referrersPath(repo, subject.digest()))), digest);
        assertThat(e.path("mediaType").asText()).isEqualTo(Oci.OCI_INDEX);
        assertThat(e.path("artifactType").asText()).isEqualTo("application/vnd.example.bundle");
        assertThat(e.path("size").asLong()).isEqualTo(Oci.utf8(json).length);
    }

    @Test
    void artifactTypeFilter() {
        String repo = repo("referrers");
        Image subject = pushImage(repo, "v1");
        Oci.Desc sig1 = pushArtifact(repo, subject.desc(), SIG, null);
        Oci.Desc sig2 = pushArtifact(repo, subject.desc(), SIG, null);
        pushArtifact(repo, subject.desc(), SBOM, null);

        Resp r = get(referrersPath(repo, subject.digest()) + "?artifactType=" + SIG);
        JsonNode manifests = assertIndex(r);
        assertHeader(r, "OCI-Filters-Applied", "artifactType");
        assertThat(digests(manifests)).containsExactlyInAnyOrder(sig1.digest(), sig2.digest());
        manifests.forEach(m -> assertThat(m.path("artifactType").asText()).isEqualTo(SIG));

        Resp none = get(referrersPath(repo, subject.digest()) + "?artifactType=application/vnd.example.none");
        assertThat(assertIndex(none).size()).isZero();
        assertHeader(none, "OCI-Filters-Applied", "artifactType");
    }

    @Test
    void unknownSubjectIsAnEmptyIndex() {
        String repo = repo("referrers");
        pushImage(repo, "v1");
        Resp r = get(referrersPath(repo, Oci.sha256(Oci.randomBytes(16))));
        assertThat(assertIndex(r).size()).isZero();
    }

    @Test
    void referrersOfAnUnknownRepositoryIs404NameUnknown() {
        assertError(get(referrersPath(repo("referrers-never"), Oci.sha256(Oci.randomBytes(16)))),
                404, "NAME_UNKNOWN");
    }

    @Test
    void invalidDigestIs400DigestInvalid() {
        String repo = repo("referrers");
        pushImage(repo, "v1");
        assertError(get(referrersPath(repo, "sha256:abc")), 400, "DIGEST_INVALID");
        assertError(get(referrersPath(repo, "md5:0123456789abcdef0123456789abcdef")), 400, "DIGEST_INVALID");
    }

    @Test
    void referrerPushedBeforeItsSubjectIsListed() {
        String repo = repo("referrers");
        pushImage(repo, "other"); // repository exists
        byte[] config = Oci.uniqueConfig();
        byte[] layer = Oci.randomBytes(64);
        Oci.Desc c = Oci.Desc.of(Oci.OCI_CONFIG, config);
        Oci.Desc l = Oci.Desc.of(Oci.OCI_LAYER, layer);
        String subjectJson = Oci.ociManifest(c, List.of(l));
        Oci.Desc subject = new Oci.Desc(Oci.OCI_MANIFEST, Oci.sha256(subjectJson), Oci.utf8(subjectJson).length);

        Oci.Desc sig = pushArtifact(repo, subject, SIG, null);
        assertThat(digests(assertIndex(get(referrersPath(repo, subject.digest()))))).containsExactly(sig.digest());

        pushBlob(repo, config);
        pushBlob(repo, layer);
        pushManifest(repo, "v1", Oci.OCI_MANIFEST, subjectJson);
        assertThat(digests(assertIndex(get(referrersPath(repo, subject.digest()))))).containsExactly(sig.digest());
    }

    @Test
    void deletedReferrerDisappears() {
        String repo = repo("referrers");
        Image subject = pushImage(repo, "v1");
        Oci.Desc keep = pushArtifact(repo, subject.desc(), SIG, null);
        Oci.Desc gone = pushArtifact(repo, subject.desc(), SBOM, null);
        assertStatus(delete("/v2/" + repo + "/manifests/" + gone.digest()), 202);
        assertThat(digests(assertIndex(get(referrersPath(repo, subject.digest()))))).containsExactly(keep.digest());
    }

    @Test
    void referrersAreScopedToTheRepository() {
        String a = repo("referrers");
        String b = repo("referrers");
        Image subject = pushImage(a, "v1");
        pushImage(b, "v1");
        pushArtifact(a, subject.desc(), SIG, null);
        assertThat(assertIndex(get(referrersPath(b, subject.digest()))).size()).isZero();
    }

    @Test
    void referrersTagSchemaIndexIsMergedIn() {
        String repo = repo("referrers");
        Image subject = pushImage(repo, "v1");
        // a referrer pushed the new way
        Oci.Desc modern = pushArtifact(repo, subject.desc(), SIG, null);
        // an older client: the artifact (no subject field known to the registry) plus the sha256-<hex> index
        Oci.Desc legacy = pushArtifact(repo, null, SBOM, null);
        String fallbackIndex = "{\"schemaVersion\":2,\"mediaType\":\"" + Oci.OCI_INDEX + "\",\"manifests\":["
                + legacy.json("\"artifactType\":\"" + SBOM + "\",\"annotations\":{\"org.example.legacy\":\"yes\"}")
                + "]}";
        String tag = "sha256-" + Oci.hexOf(subject.digest());
        pushManifest(repo, tag, Oci.OCI_INDEX, fallbackIndex);

        Resp r = get(referrersPath(repo, subject.digest()));
        JsonNode manifests = assertIndex(r);
        assertThat(digests(manifests)).containsExactlyInAnyOrder(modern.digest(), legacy.digest());
        JsonNode l = entry(manifests, legacy.digest());
        assertThat(l.path("artifactType").asText()).isEqualTo(SBOM);
        assertThat(l.path("mediaType").asText()).isEqualTo(Oci.OCI_MANIFEST);
        assertThat(l.path("size").asLong()).isEqualTo(legacy.size());
        assertThat(l.path("annotations").path("org.example.legacy").asText()).isEqualTo("yes");

        Resp filtered = get(referrersPath(repo, subject.digest()) + "?artifactType=" + SBOM);
        assertHeader(filtered, "OCI-Filters-Applied", "artifactType");
        assertThat(digests(assertIndex(filtered))).containsExactly(legacy.digest());
    }

    @Test
    void referrersTagSchemaForASha512SubjectUsesTheFirst64HexDigits() {
        // OCI distribution spec, referrers tag schema: <alg>-<ref>, <ref> limited to 64 characters
        String repo = repo("referrers");
        Image image = pushImage(repo, "v1");
        String subject512 = Oci.sha512(image.bytes());
        assertStatus(putManifest(repo, subject512, Oci.OCI_MANIFEST, image.json()), 201);
        Oci.Desc legacy = pushArtifact(repo, null, SBOM, null);
        String fallbackIndex = "{\"schemaVersion\":2,\"mediaType\":\"" + Oci.OCI_INDEX + "\",\"manifests\":["
                + legacy.json("\"artifactType\":\"" + SBOM + "\"") + "]}";
        pushManifest(repo, "sha512-" + Oci.hexOf(subject512).substring(0, 64), Oci.OCI_INDEX, fallbackIndex);
        assertThat(digests(assertIndex(get(referrersPath(repo, subject512))))).containsExactly(legacy.digest());
    }

    @Test
    void referrersTagSchemaEntriesAlsoKnownNativelyAreListedOnce() {
        String repo = repo("referrers");
        Image subject = pushImage(repo, "v1");
        Oci.Desc sig = pushArtifact(repo, subject.desc(), SIG, null);
        String fallbackIndex = "{\"schemaVersion\":2,\"mediaType\":\"" + Oci.OCI_INDEX + "\",\"manifests\":["
                + sig.json("\"artifactType\":\"" + SIG + "\"") + "]}";
        pushManifest(repo, "sha256-" + Oci.hexOf(subject.digest()), Oci.OCI_INDEX, fallbackIndex);
        assertThat(digests(assertIndex(get(referrersPath(repo, subject.digest()))))).containsExactly(sig.digest());
    }
}
