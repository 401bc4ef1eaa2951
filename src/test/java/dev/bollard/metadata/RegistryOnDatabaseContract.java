package dev.bollard.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.app.Bollard;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.oci.Digest;
import dev.bollard.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry itself, started with {@code database.url} (and credentials) pointing at the database under test,
 * pushed to and pulled from over HTTP as a client would: {@code H2RegistryTest} and {@code PostgresRegistryTest}.
 */
abstract class RegistryOnDatabaseContract {
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    private TestDatabase database;
    private final List<Bollard> servers = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    protected abstract TestDatabase newTestDatabase(Path dir);

    @BeforeEach
    void createDatabase() {
        database = newTestDatabase(dataDir.resolve("h2"));
    }

    @AfterEach
    void stop() {
        servers.forEach(Bollard::close);
        if (database != null) {
            database.close();
        }
    }

    /** A Bollard node on the test's database, with its blobs under the shared data directory. */
    private URI startNode() throws Exception {
        BollardConfig.Database db = database.config(4);
        ConfigLoader.Builder config = ConfigLoader.builder().set("data-dir", dataDir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0").set("database.url", db.url())
                .set("auth.enabled", "false"); // this suite is about the database; access control has its own
        if (!db.username().isEmpty()) {
            config.set("database.username", db.username()).set("database.password", db.password());
        }
        Bollard server = Bollard.start(config.load());
        servers.add(server);
        return server.baseUri();
    }

    @Test
    void pushPullListAndDeleteThroughTheRegistry() throws Exception {
        URI node = startNode();
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = "not really a tar, but bytes all the same".getBytes(StandardCharsets.UTF_8);
        String configDigest = pushBlob(node, "team/app", config);
        String layerDigest = pushBlob(node, "team/app", layer);
        byte[] manifest = imageManifest(configDigest, config.length, layerDigest, layer.length);
        String manifestDigest = Digest.sha256(manifest).toString();

        for (String tag : List.of("v1", "latest", "Latest", "_x", "1.0", "v1-rc", "v1.0")) {
            HttpResponse<String> put = send(node, "PUT", "/v2/team/app/manifests/" + tag, OCI_MANIFEST, manifest);
            assertThat(put.statusCode()).as("PUT tag %s: %s", tag, put.body()).isEqualTo(201);
            assertThat(put.headers().firstValue("Docker-Content-Digest")).contains(manifestDigest);
        }

        HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(node.resolve("/v2/team/app/manifests/v1"))
                .header("Accept", OCI_MANIFEST).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo(manifest);
        assertThat(get.headers().firstValue("Docker-Content-Digest")).contains(manifestDigest);
        assertThat(get(node, "/v2/team/app/blobs/" + layerDigest).body()).isEqualTo(new String(layer, StandardCharsets.UTF_8));

        // Byte order, not the database's collation: upper case before lower case, '-' < '.' < digits < '_'.
        assertThat(tags(node, "/v2/team/app/tags/list"))
                .containsExactly("1.0", "Latest", "_x", "latest", "v1", "v1-rc", "v1.0");
        HttpResponse<String> page = get(node, "/v2/team/app/tags/list?n=2&last=Latest");
        assertThat(strings(JSON.readTree(page.body()).get("tags"))).containsExactly("_x", "latest");
        assertThat(page.headers().firstValue("Link")).hasValueSatisfying(link -> assertThat(link).contains("last=latest"));

        HttpResponse<String> delete = send(node, "DELETE", "/v2/team/app/manifests/" + manifestDigest, null, null);
        assertThat(delete.statusCode()).as(delete.body()).isEqualTo(202);
        assertThat(get(node, "/v2/team/app/manifests/v1").statusCode()).isEqualTo(404);
        assertThat(tags(node, "/v2/team/app/tags/list")).isEmpty();
    }

    @Test
    void twoNodesOnOneDatabaseSeeEachOthersPushesAndTheCatalogIsInByteOrder() throws Exception {
        URI nodeA = startNode();
        URI nodeB = startNode();
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        for (String repository : List.of("team_x/app", "team/app", "team-x/app", "team0/app")) {
            URI pushTo = repository.startsWith("team/") ? nodeB : nodeA;
            String configDigest = pushBlob(pushTo, repository, config);
            byte[] manifest = imageManifest(configDigest, config.length, configDigest, config.length);
            assertThat(send(pushTo, "PUT", "/v2/" + repository + "/manifests/v1", OCI_MANIFEST, manifest).statusCode())
                    .isEqualTo(201);
        }

        for (URI node : List.of(nodeA, nodeB)) {
            HttpResponse<String> catalog = get(node, "/v2/_catalog");
            assertThat(catalog.statusCode()).isEqualTo(200);
            assertThat(strings(JSON.readTree(catalog.body()).get("repositories")))
                    .containsExactly("team-x/app", "team/app", "team0/app", "team_x/app");
            assertThat(get(node, "/v2/team/app/manifests/v1").statusCode()).isEqualTo(200);
        }
    }

    // ---- HTTP ----

    private String pushBlob(URI node, String repository, byte[] content) throws Exception {
        String digest = Digest.sha256(content).toString();
        HttpResponse<String> post = send(node, "POST", "/v2/" + repository + "/blobs/uploads/?digest=" + digest,
                "application/octet-stream", content);
        assertThat(post.statusCode()).as("monolithic upload: %s", post.body()).isEqualTo(201);
        return digest;
    }

    private static byte[] imageManifest(String configDigest, long configSize, String layerDigest, long layerSize) {
        return """
                {"schemaVersion":2,"mediaType":"%s",\
                "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},\
                "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
                .formatted(OCI_MANIFEST, configDigest, configSize, layerDigest, layerSize)
                .getBytes(StandardCharsets.UTF_8);
    }

    private List<String> tags(URI node, String path) throws Exception {
        HttpResponse<String> list = get(node, path);
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        return strings(JSON.readTree(list.body()).get("tags"));
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        if (array != null) {
            array.forEach(v -> values.add(v.asText()));
        }
        return values;
    }

    private HttpResponse<String> get(URI node, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(node.resolve(path)).header("Accept", OCI_MANIFEST).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(URI node, String method, String path, String contentType, byte[] body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(node.resolve(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
