package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The base endpoint, the error body format, 405 UNSUPPORTED and the API version header on every kind of response. */
class BaseAndErrorsTest extends ConformanceSupport {

    @Test
    void baseEndpointAnswers200WithEmptyJsonObject() {
        Resp r = get("/v2/");
        assertStatus(r, 200);
        assertHeader(r, API_VERSION_HEADER, API_VERSION);
        JsonNode body = r.json();
        assertThat(body.isObject()).as("body of %s", r).isTrue();
        assertThat(body.size()).as("body of %s", r).isZero();
    }

    @Test
    void errorBodyHasCodeMessageAndJsonContentType() {
        String repo = repo("errors");
        pushImage(repo, "present");
        Resp r = get("/v2/" + repo + "/manifests/absent");
        assertError(r, 404, "MANIFEST_UNKNOWN");
        JsonNode errors = r.json().path("errors");
        assertThat(errors.isArray()).isTrue();
        assertThat(errors.size()).isGreaterThanOrEqualTo(1);
        for (JsonNode e : errors) {
            assertThat(e.path("code").isTextual()).as("code in %s", r).isTrue();
            assertThat(e.path("message").isTextual()).as("message in %s", r).isTrue();
            assertThat(e.path("message").asText()).as("message in %s", r).isNotBlank();
        }
    }

    @Test
    void postOnAManifestIs405Unsupported() {
        String repo = repo("errors");
        pushImage(repo, "latest");
        Resp r = post("/v2/" + repo + "/manifests/latest", new byte[0]);
        assertError(r, 405, "UNSUPPORTED");
        // and nothing changed
        assertStatus(get("/v2/" + repo + "/manifests/latest"), 200);
    }

    @Test
    void putOnTheTagsListIs405Unsupported() {
        String repo = repo("errors");
        pushImage(repo, "latest");
        assertError(put("/v2/" + repo + "/tags/list", new byte[0]), 405, "UNSUPPORTED");
        assertThat(tags(repo)).containsExactly("latest");
    }

    @Test
    void deleteOnTheCatalogIs405Unsupported() {
        assertError(delete("/v2/_catalog"), 405, "UNSUPPORTED");
    }

    @Test
    void patchOnABlobIs405Unsupported() {
        String repo = repo("errors");
        byte[] content = Oci.randomBytes(10);
        String digest = pushBlob(repo, content);
        assertError(patch("/v2/" + repo + "/blobs/" + digest, new byte[] {1}), 405, "UNSUPPORTED");
        Resp g = get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(g, 200);
        assertThat(g.body()).isEqualTo(content);
    }

    @Test
    void putOnTheBaseEndpointIs405Unsupported() {
        assertError(put("/v2/", new byte[0]), 405, "UNSUPPORTED");
    }

    @Test
    void apiVersionHeaderIsOnEveryKindOfResponse() {
        String repo = repo("errors");
        byte[] content = Oci.randomBytes(32);
        String blobPath = "/v2/" + repo + "/blobs/" + Oci.sha256(content);
        List<Resp> responses = new ArrayList<>();
        responses.add(post("/v2/" + repo + "/blobs/uploads/?digest=" + Oci.sha256(content), content)); // 201
        responses.add(post("/v2/" + repo + "/blobs/uploads/", new byte[0]));                        // 202
        responses.add(get(blobPath));                                                                // 200
        responses.add(head(blobPath));                                                               // 200 HEAD
        responses.add(get(blobPath, "Range", "bytes=0-3"));                                          // 206
        responses.add(get(blobPath, "Range", "bytes=100-200"));                                         // 416
        responses.add(get(blobPath, "If-None-Match", "\"" + Oci.sha256(content) + "\""));            // 304
        responses.add(get("/v2/" + repo + "/blobs/" + Oci.sha256(new byte[] {9, 9})));              // 404
        responses.add(get("/v2/" + repo + "/blobs/md5:0123456789abcdef0123456789abcdef"));           // 400
        responses.add(delete("/v2/_catalog"));                                                      // 405
        responses.add(get("/v2/" + repo + "/tags/list"));                                            // 200 JSON
        responses.add(get("/v2/_catalog"));                                                          // 200 JSON
        Image image = pushImage(repo, "v1");
        responses.add(get("/v2/" + repo + "/manifests/v1"));
        responses.add(head("/v2/" + repo + "/manifests/" + image.digest()));
        responses.add(get("/v2/" + repo + "/referrers/" + image.digest()));
        responses.add(delete("/v2/" + repo + "/manifests/v1"));                                      // 202
        String location = startUpload(repo);
        responses.add(get(location));                                                                // 204
        responses.add(delete(location));                                                             // 204
        for (Resp r : responses) {
            assertThat(r.header(API_VERSION_HEADER)).as("%s on %s", API_VERSION_HEADER, r).hasValue(API_VERSION);
        }
        assertThat(responses).extracting(Resp::status)
                .contains(200, 201, 202, 204, 206, 304, 400, 404, 405, 416);
    }
}
