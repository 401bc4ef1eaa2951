package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Malformed requests: each is rejected with the contract's status and error code, and leaves nothing behind
 * (the would-be manifest or blob is 404 afterwards, tag lists and the catalog are unchanged).
 */
class BadInputTest extends ConformanceSupport {

    private static final List<String> INVALID_NAMES = List.of(
            "Upper/x", "a//b", "a".repeat(256), "ab/".repeat(85) + "a", "../x", "%2e%2e/x", "x/%2e%2e/y",
            "-a", "a-", "a..b", "a/.b", "a/", "a___b");

    private RawHttp.Response raw(String method, String target, Map<String, String> headers, byte[] body)
            throws IOException {
        return RawHttp.send(registry.baseUri(), method, target, headers, body);
    }

    private static void assertRawError(RawHttp.Response r, int status, String code) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        assertThat(r.header("Content-Type")).as("Content-Type of %s", r)
                .hasValueSatisfying(ct -> assertThat(ct.toLowerCase(Locale.ROOT)).startsWith("application/json"));
        List<String> codes = new ArrayList<>();
        try {
            JSON.readTree(r.body()).path("errors").forEach(e -> codes.add(e.path("code").asText()));
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r, e);
        }
        assertThat(codes).as("error codes of %s", r).contains(code);
    }

    private List<String> catalog() {
        Resp r = get("/v2/_catalog");
        assertStatus(r, 200);
        List<String> out = new ArrayList<>();
        r.json().path("repositories").forEach(n -> out.add(n.asText()));
        return out;
    }

    // ------------------------------------------------------------------ names

    @Test
    void invalidNamesAre400NameInvalidOnEveryRoute() throws Exception {
        String source = repo("bad-name");
        Image image = pushImage(source, "v1");
        List<String> catalogBefore = catalog();
        Map<String, String> octets = Map.of("Content-Type", "application/octet-stream");
        for (String name : INVALID_NAMES) {
            String base = "/v2/" + name;
            assertRawError(raw("GET", base + "/tags/list", Map.of(), null), 400, "NAME_INVALID");
            assertRawError(raw("GET", base + "/manifests/v1", Map.of(), null), 400, "NAME_INVALID");
            assertRawError(raw("PUT", base + "/manifests/v1", Map.of("Content-Type", Oci.OCI_MANIFEST),
                    image.bytes()), 400, "NAME_INVALID");
            assertRawError(raw("GET", base + "/blobs/" + image.layer().digest(), Map.of(), null),
                    400, "NAME_INVALID");
            assertRawError(raw("POST", base + "/blobs/uploads/", octets, new byte[0]), 400, "NAME_INVALID");
            byte[] blob = Oci.randomBytes(16);
            assertRawError(raw("POST", base + "/blobs/uploads/?digest=" + Oci.sha256(blob), octets, blob),
                    400, "NAME_INVALID");
            assertRawError(raw("GET", base + "/referrers/" + image.digest(), Map.of(), null), 400, "NAME_INVALID");
        }
        assertThat(catalog()).as("catalog after invalid names").isEqualTo(catalogBefore);
    }

    @Test
    void longestValidNameIsAccepted() {
        String name = "a".repeat(255);
        assertError(get("/v2/" + name + "/tags/list"), 404, "NAME_UNKNOWN");
        Image image = pushImage(name, "v1");
        Resp r = get("/v2/" + name + "/manifests/v1");
        assertStatus(r, 200);
        assertThat(r.body()).isEqualTo(image.bytes());
    }

    @Test
    void dotSegmentsCannotReachAnotherRepository() throws Exception {
        String target = repo("bad-name");           // conformance/bad-name-N
        String leaf = target.substring(target.indexOf('/') + 1);
        Image image = pushImage(target, "v1");
        byte[] blob = Oci.randomBytes(32);
        for (String dots : List.of("..", "%2e%2e", "%2E%2E", ".%2e")) {
            // would normalise to /v2/<target>/...
            String base = "/v2/conformance/zzz/" + dots + "/" + leaf;
            assertRawError(raw("PUT", base + "/manifests/evil", Map.of("Content-Type", Oci.OCI_MANIFEST),
                    image.bytes()), 400, "NAME_INVALID");
            assertRawError(raw("POST", base + "/blobs/uploads/?digest=" + Oci.sha256(blob),
                    Map.of("Content-Type", "application/octet-stream"), blob), 400, "NAME_INVALID");
            assertRawError(raw("DELETE", base + "/manifests/v1", Map.of(), null), 400, "NAME_INVALID");
            assertRawError(raw("GET", base + "/manifests/v1", Map.of(), null), 400, "NAME_INVALID");
        }
        assertError(get("/v2/" + target + "/manifests/evil"), 404, "MANIFEST_UNKNOWN");
        assertError(get("/v2/" + target + "/blobs/" + Oci.sha256(blob)), 404, "BLOB_UNKNOWN");
        assertThat(tags(target)).containsExactly("v1");
        assertStatus(get("/v2/" + target + "/manifests/v1"), 200);
    }

    // ------------------------------------------------------------------ references

    /**
     * A push to an invalid tag is refused with TAG_INVALID; reading or deleting one finds nothing (404
     * MANIFEST_UNKNOWN), as the spec's conformance suite expects of {@code .INVALID_MANIFEST_NAME} and Distribution
     * answers.
     */
    @Test
    void invalidTagsAre400TagInvalidOnPushAnd404UnknownOtherwise() {
        String repo = repo("bad-tag");
        Image image = pushImage(repo, "v1");
        for (String tag : List.of(".INVALID_MANIFEST_NAME", ".hidden", "-dash", "t".repeat(129), "bad!tag",
                "sp%20ace")) {
            Resp put = putManifest(repo, tag, Oci.OCI_MANIFEST, image.json());
            assertThat(put.status()).as("PUT tag %s: %s", tag, put).isEqualTo(400);
            assertThat(put.errorCodes()).as("PUT tag %s: %s", tag, put).contains("TAG_INVALID");
            Resp g = get("/v2/" + repo + "/manifests/" + tag);
            assertThat(g.status()).as("GET tag %s: %s", tag, g).isEqualTo(404);
            assertThat(g.errorCodes()).as("GET tag %s: %s", tag, g).contains("MANIFEST_UNKNOWN");
            assertThat(head("/v2/" + repo + "/manifests/" + tag).status()).as("HEAD tag %s", tag).isEqualTo(404);
            Resp d = delete("/v2/" + repo + "/manifests/" + tag);
            assertThat(d.status()).as("DELETE tag %s: %s", tag, d).isEqualTo(404);
            assertThat(d.errorCodes()).as("DELETE tag %s: %s", tag, d).contains("MANIFEST_UNKNOWN");
        }
        assertThat(tags(repo)).containsExactly("v1");
    }

    @Test
    void invalidDigestReferencesAre400DigestInvalid() {
        String repo = repo("bad-digest");
        Image image = pushImage(repo, "v1");
        String hex = Oci.hexOf(image.digest());
        for (String ref : List.of("sha256:zzz", "sha256:" + hex.toUpperCase(Locale.ROOT), "sha256:" + hex + "0",
                "md5:0123456789abcdef0123456789abcdef", "sha512:" + hex)) {
            Resp put = putManifest(repo, ref, Oci.OCI_MANIFEST, image.json());
            assertThat(put.status()).as("PUT %s: %s", ref, put).isEqualTo(400);
            assertThat(put.errorCodes()).as("PUT %s: %s", ref, put).contains("DIGEST_INVALID");
            Resp g = get("/v2/" + repo + "/manifests/" + ref);
            assertThat(g.status()).as("GET %s: %s", ref, g).isEqualTo(400);
            assertThat(g.errorCodes()).as("GET %s: %s", ref, g).contains("DIGEST_INVALID");
            Resp d = delete("/v2/" + repo + "/manifests/" + ref);
            assertThat(d.status()).as("DELETE %s: %s", ref, d).isEqualTo(400);
            assertThat(d.errorCodes()).as("DELETE %s: %s", ref, d).contains("DIGEST_INVALID");
        }
        assertThat(tags(repo)).containsExactly("v1");
        assertStatus(get("/v2/" + repo + "/manifests/" + image.digest()), 200);
    }

    @Test
    void unsupportedDigestAlgorithmIsRejectedEverywhere() {
        String repo = repo("bad-digest");
        Image image = pushImage(repo, "v1");
        String md5 = "md5:0123456789abcdef0123456789abcdef";
        byte[] blob = Oci.randomBytes(10);
        assertError(get("/v2/" + repo + "/blobs/" + md5), 400, "DIGEST_INVALID");
        assertError(delete("/v2/" + repo + "/blobs/" + md5), 400, "DIGEST_INVALID");
        assertError(post("/v2/" + repo + "/blobs/uploads/?digest=" + md5, blob), 400, "DIGEST_INVALID");
        assertError(put(withQuery(startUpload(repo), "digest=" + md5), blob), 400, "DIGEST_INVALID");
        assertError(post("/v2/" + repo + "/blobs/uploads/?mount=" + md5 + "&from=" + repo, new byte[0]),
                400, "DIGEST_INVALID");
        assertError(get("/v2/" + repo + "/manifests/" + md5), 400, "DIGEST_INVALID");
        assertError(putManifest(repo, md5, Oci.OCI_MANIFEST, image.json()), 400, "DIGEST_INVALID");
        assertError(get("/v2/" + repo + "/referrers/" + md5), 400, "DIGEST_INVALID");
        assertError(get("/v2/" + repo + "/blobs/" + Oci.sha256(blob)), 404, "BLOB_UNKNOWN");
    }

    // ------------------------------------------------------------------ manifest bodies

    /** PUTs {@code body} as {@code contentType} under a fresh tag; expects 400 MANIFEST_INVALID and no trace. */
    private void assertManifestInvalid(String repo, String contentType, String body, String why) {
        String tag = "bad-" + Long.toHexString(System.nanoTime());
        List<String> before = tags(repo);
        Resp r = putManifest(repo, tag, contentType, body);
        assertThat(r.status()).as("%s: %s", why, r).isEqualTo(400);
        assertThat(r.errorCodes()).as("%s: %s", why, r).contains("MANIFEST_INVALID");
        assertThat(r.header("Content-Type")).as("%s: %s", why, r)
                .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
        assertThat(get("/v2/" + repo + "/manifests/" + tag).status()).as("%s: GET tag", why).isEqualTo(404);
        assertThat(get("/v2/" + repo + "/manifests/" + Oci.sha256(body)).status()).as("%s: GET digest", why)
                .isEqualTo(404);
        assertThat(tags(repo)).as("%s: tags", why).isEqualTo(before);
    }

    @Test
    void malformedJsonIs400ManifestInvalid() {
        String repo = repo("bad-manifest");
        Image image = pushImage(repo, "v1");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, "{not json", "not JSON");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, image.json().substring(0, image.json().length() - 1),
                "truncated");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, "", "empty body");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, "[]", "array");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, "\"manifest\"", "string");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, "null", "null");
    }

    @Test
    void wrongSchemaVersionIs400ManifestInvalid() {
        String repo = repo("bad-manifest");
        Image image = pushImage(repo, "v1");
        String base = image.json();
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, base.replace("\"schemaVersion\":2", "\"schemaVersion\":1"),
                "schemaVersion 1");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, base.replace("\"schemaVersion\":2", "\"schemaVersion\":3"),
                "schemaVersion 3");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, base.replace("\"schemaVersion\":2", "\"schemaVersion\":\"2\""),
                "schemaVersion string");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, base.replace("\"schemaVersion\":2,", ""),
                "no schemaVersion");
    }

    @Test
    void mediaTypeInconsistentWithContentTypeIs400ManifestInvalid() {
        String repo = repo("bad-manifest");
        Image pushed = pushImage(repo, "v1");
        // an OCI manifest whose blobs are there but which was never pushed
        byte[] config = Oci.uniqueConfig();
        byte[] layer = Oci.randomBytes(20);
        pushBlob(repo, config);
        pushBlob(repo, layer);
        Oci.Desc configDesc = Oci.Desc.of(Oci.OCI_CONFIG, config);
        String oci = Oci.ociManifest(configDesc, List.of(Oci.Desc.of(Oci.OCI_LAYER, layer)));
        Image image = new Image(repo, Oci.sha256(oci), oci, configDesc, Oci.Desc.of(Oci.OCI_LAYER, layer));
        byte[] dockerConfig = Oci.uniqueConfig();
        byte[] dockerLayer = Oci.randomBytes(20);
        pushBlob(repo, dockerConfig);
        pushBlob(repo, dockerLayer);
        String docker = Oci.dockerManifest(Oci.Desc.of(Oci.DOCKER_CONFIG, dockerConfig),
                List.of(Oci.Desc.of(Oci.DOCKER_LAYER, dockerLayer)));
        String index = Oci.ociIndex(List.of(pushed.desc()));

        assertManifestInvalid(repo, Oci.OCI_INDEX, image.json(), "OCI manifest sent as OCI index");
        assertManifestInvalid(repo, Oci.DOCKER_MANIFEST, image.json(), "OCI manifest sent as Docker manifest");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, docker, "Docker manifest sent as OCI manifest");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, index, "OCI index sent as OCI manifest");
        assertManifestInvalid(repo, Oci.DOCKER_MANIFEST_LIST, index, "OCI index sent as manifest list");
    }

    @Test
    void nonManifestContentTypeIs400ManifestInvalid() {
        // the contract: Content-Type = the manifest's media type; a generic application/json defers to the body's
        // mediaType (see docs/api.md), anything else is inconsistent with the body
        String repo = repo("bad-manifest");
        pushImage(repo, "v1");
        byte[] config = Oci.uniqueConfig();
        byte[] layer = Oci.randomBytes(20);
        pushBlob(repo, config);
        pushBlob(repo, layer);
        String oci = Oci.ociManifest(Oci.Desc.of(Oci.OCI_CONFIG, config), List.of(Oci.Desc.of(Oci.OCI_LAYER, layer)));
        assertManifestInvalid(repo, "text/plain", oci, "text/plain");
        assertManifestInvalid(repo, Oci.OCI_CONFIG, oci, "config media type");
    }

    @Test
    void dockerSchema1IsRejected() {
        String repo = repo("bad-manifest");
        pushImage(repo, "v1");
        String schema1 = "{\"schemaVersion\":1,\"name\":\"" + repo + "\",\"tag\":\"old\",\"architecture\":\"amd64\","
                + "\"fsLayers\":[{\"blobSum\":\"" + Oci.sha256(new byte[0]) + "\"}],"
                + "\"history\":[{\"v1Compatibility\":\"{}\"}],\"signatures\":[]}";
        assertManifestInvalid(repo, Oci.DOCKER_SCHEMA1_SIGNED, schema1, "schema 1 signed");
        assertManifestInvalid(repo, "application/vnd.docker.distribution.manifest.v1+json", schema1, "schema 1");
    }

    @Test
    void badDescriptorsAre400ManifestInvalid() {
        String repo = repo("bad-manifest");
        Image image = pushImage(repo, "v1");
        String json = image.json();
        String layerDigest = image.layer().digest();
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, json.replace(layerDigest, "sha256:1234"), "short digest");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST, json.replace(layerDigest, "not-a-digest"), "not a digest");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST,
                json.replace("\"size\":" + image.layer().size(), "\"size\":-1"), "negative size");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST,
                json.replace("\"size\":" + image.layer().size(), "\"size\":\"64\""), "string size");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST,
                json.replace("\"digest\":\"" + layerDigest + "\",", ""), "descriptor without digest");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST,
                json.replace("\"config\":" + image.config().json() + ",", ""), "no config");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST,
                json.replace("\"layers\":[" + image.layer().json() + "]", "\"layers\":" + image.layer().json()),
                "layers not an array");
        String index = Oci.ociIndex(List.of(image.desc()));
        assertManifestInvalid(repo, Oci.OCI_INDEX, index.replace(image.digest(), "sha256:abc"),
                "index child digest");
        assertManifestInvalid(repo, Oci.OCI_INDEX, "{\"schemaVersion\":2,\"mediaType\":\"" + Oci.OCI_INDEX
                + "\",\"manifests\":" + image.desc().json() + "}", "manifests not an array");
        assertManifestInvalid(repo, Oci.OCI_MANIFEST,
                Oci.ociManifest(image.config(), List.of(image.layer()), null,
                        new Oci.Desc(Oci.OCI_MANIFEST, "sha256:nothex", 10), null),
                "bad subject digest");
    }

    @Test
    void manifestOverTheLimitIs413SizeInvalidAndNotStored() throws Exception {
        String repo = repo("bad-manifest");
        Image image = pushImage(repo, "v1");
        String padding = "x".repeat(4 * 1024 * 1024);
        String json = Oci.ociManifest(image.config(), List.of(image.layer()), null, null,
                "{\"org.example.padding\":\"" + padding + "\"}");
        assertThat(Oci.utf8(json).length).isGreaterThan(4 * 1024 * 1024);
        // over a raw socket: the server may answer before it has read the whole body
        RawHttp.Response r = raw("PUT", "/v2/" + repo + "/manifests/huge", Map.of("Content-Type", Oci.OCI_MANIFEST),
                Oci.utf8(json));
        assertRawError(r, 413, "SIZE_INVALID");
        assertError(get("/v2/" + repo + "/manifests/huge"), 404, "MANIFEST_UNKNOWN");
        assertError(get("/v2/" + repo + "/manifests/" + Oci.sha256(json)), 404, "MANIFEST_UNKNOWN");
        assertThat(tags(repo)).containsExactly("v1");
    }

    @Test
    void manifestJustUnderTheLimitIsAccepted() {
        String repo = repo("bad-manifest");
        Image image = pushImage(repo, "v1");
        String prefix = Oci.ociManifest(image.config(), List.of(image.layer()), null, null,
                "{\"org.example.padding\":\"");
        // prefix ends with the manifest's closing brace; the final text adds the value, '"}' and that brace
        int room = 4 * 1024 * 1024 - (Oci.utf8(prefix).length - 1) - "\"}}".length();
        String json = Oci.ociManifest(image.config(), List.of(image.layer()), null, null,
                "{\"org.example.padding\":\"" + "y".repeat(room) + "\"}");
        assertThat(Oci.utf8(json).length).isEqualTo(4 * 1024 * 1024);
        String digest = pushManifest(repo, "big", Oci.OCI_MANIFEST, json);
        Resp r = get("/v2/" + repo + "/manifests/" + digest);
        assertStatus(r, 200);
        assertThat(Oci.sha256(r.body())).isEqualTo(digest);
    }

    // ------------------------------------------------------------------ blob bodies

    @Test
    void blobDigestMismatchStoresNothing() {
        String repo = repo("bad-blob");
        byte[] content = Oci.randomBytes(1000);
        byte[] tampered = content.clone();
        tampered[500] ^= 1;
        String digest = Oci.sha256(content);
        assertError(post("/v2/" + repo + "/blobs/uploads/?digest=" + digest, tampered), 400, "DIGEST_INVALID");
        String location = startUpload(repo);
        assertError(put(withQuery(location, "digest=" + digest), tampered), 400, "DIGEST_INVALID");
        assertError(get("/v2/" + repo + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertError(get("/v2/" + repo + "/blobs/" + Oci.sha256(tampered)), 404, "BLOB_UNKNOWN");
    }

    @Test
    void truncatedBodyIs400SizeInvalidAndStoresNothing() throws Exception {
        String repo = repo("bad-blob");
        startUpload(repo);
        byte[] content = Oci.randomBytes(100);
        String digest = Oci.sha256(content);
        // announces 100 bytes, sends 60 and ends the stream
        RawHttp.Response r = RawHttp.send(registry.baseUri(), "POST",
                "/v2/" + repo + "/blobs/uploads/?digest=" + digest,
                Map.of("Content-Length", "100", "Content-Type", "application/octet-stream"),
                java.util.Arrays.copyOf(content, 60), true);
        assertRawError(r, 400, "SIZE_INVALID");
        assertError(get("/v2/" + repo + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void truncatedPatchIs400SizeInvalidAndLeavesTheSessionAsItWas() throws Exception {
        String repo = repo("bad-blob");
        String location = startUpload(repo);
        byte[] content = Oci.randomBytes(100);
        RawHttp.Response r = RawHttp.send(registry.baseUri(), "PATCH", java.net.URI.create(location).getRawPath(),
                Map.of("Content-Length", "100", "Content-Type", "application/octet-stream"),
                java.util.Arrays.copyOf(content, 60), true);
        assertRawError(r, 400, "SIZE_INVALID");
        Resp status = get(location);
        assertStatus(status, 204);
        assertHeader(status, "Range", "0-0");
    }

    @Test
    void invalidChunkRangesStoreNothing() {
        String repo = repo("bad-blob");
        String location = startUpload(repo);
        byte[] chunk = Oci.randomBytes(10);
        Resp ahead = patch(location, chunk, "Content-Range", "5-14", "Content-Type", "application/octet-stream");
        assertError(ahead, 416, "BLOB_UPLOAD_INVALID");
        Resp reversed = patch(location, chunk, "Content-Range", "9-0", "Content-Type", "application/octet-stream");
        assertThat(reversed.status()).as("%s", reversed).isIn(400, 416);
        assertThat(reversed.errorCodes()).as("%s", reversed).contains("BLOB_UPLOAD_INVALID");
        Resp status = get(location);
        assertStatus(status, 204);
        assertHeader(status, "Range", "0-0");
        assertError(put(withQuery(location, "digest=" + Oci.sha256(chunk)), new byte[0]), 400, "DIGEST_INVALID");
        assertError(get("/v2/" + repo + "/blobs/" + Oci.sha256(chunk)), 404, "BLOB_UNKNOWN");
    }

    @Test
    void unknownUploadIdsStoreNothing() {
        String repo = repo("bad-blob");
        startUpload(repo);
        byte[] content = Oci.randomBytes(10);
        for (String id : List.of("00000000-0000-0000-0000-000000000000", "not-a-uuid", "x".repeat(200))) {
            String path = "/v2/" + repo + "/blobs/uploads/" + id;
            assertError(patch(path, content), 404, "BLOB_UPLOAD_UNKNOWN");
            assertError(put(path + "?digest=" + Oci.sha256(content), content), 404, "BLOB_UPLOAD_UNKNOWN");
            assertError(get(path), 404, "BLOB_UPLOAD_UNKNOWN");
        }
        assertError(get("/v2/" + repo + "/blobs/" + Oci.sha256(content)), 404, "BLOB_UNKNOWN");
    }

    @Test
    void errorBodiesOfBadInputAreWellFormed() {
        String repo = repo("bad-manifest");
        pushImage(repo, "v1");
        Resp r = putManifest(repo, "x", Oci.OCI_MANIFEST, "{");
        JsonNode errors = r.json().path("errors");
        assertThat(errors.isArray()).isTrue();
        assertThat(errors.get(0).path("code").asText()).isEqualTo("MANIFEST_INVALID");
        assertThat(errors.get(0).path("message").asText()).isNotBlank();
    }
}
