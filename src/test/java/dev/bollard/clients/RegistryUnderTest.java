package dev.bollard.clients;

import dev.bollard.testing.TestRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/**
 * The registry the clients talk to: Bollard started in this JVM by {@link TestRegistry}, or, when the system
 * property {@code bollard.clients.registry=HOST:PORT} is set, an already running registry (for example CNCF
 * Distribution) to tell client quirks from server bugs. An external registry keeps its data between tests, so
 * there every repository name gets a prefix unique to the test.
 */
final class RegistryUnderTest implements AutoCloseable {
    static final String EXTERNAL_PROPERTY = "bollard.clients.registry";

    private final TestRegistry embedded;
    private final String hostPort;
    private final String prefix;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private RegistryUnderTest(TestRegistry embedded, String hostPort, String prefix) {
        this.embedded = embedded;
        this.hostPort = hostPort;
        this.prefix = prefix;
    }

    static RegistryUnderTest start(Path dataDir) throws Exception {
        String external = System.getProperty(EXTERNAL_PROPERTY, "");
        if (!external.isBlank()) {
            return new RegistryUnderTest(null, external.trim(),
                    "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + "/");
        }
        TestRegistry r = TestRegistry.start(dataDir);
        return new RegistryUnderTest(r, r.hostPort(), "");
    }

    /** The registry in this JVM, or null when the tests run against an external one. */
    TestRegistry embedded() {
        return embedded;
    }

    /** {@code 127.0.0.1:PORT} */
    String hostPort() {
        return hostPort;
    }

    /** The repository name as the registry sees it ({@code ns/app}, prefixed on an external registry). */
    String repo(String name) {
        return prefix + name;
    }

    /** {@code 127.0.0.1:PORT/ns/app:v1} for {@code ("ns/app", ":v1")}. */
    String ref(String repoName, String tagOrDigestSuffix) {
        return hostPort + "/" + repo(repoName) + tagOrDigestSuffix;
    }

    /** {@code docker://127.0.0.1:PORT/ns/app:v1} */
    String docker(String repoName, String tagOrDigestSuffix) {
        return "docker://" + ref(repoName, tagOrDigestSuffix);
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://" + hostPort + pathAndQuery);
    }

    HttpResponse<byte[]> get(String pathAndQuery, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<Void> head(String pathAndQuery, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30))
                .method("HEAD", HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.discarding());
    }

    /** An Accept header listing every manifest media type Bollard stores. */
    static String[] acceptManifests() {
        return new String[] {"Accept", String.join(", ", OciLayout.OCI_MANIFEST, OciLayout.OCI_INDEX,
                OciLayout.DOCKER_MANIFEST, OciLayout.DOCKER_MANIFEST_LIST)};
    }

    @Override
    public void close() {
        if (embedded != null) {
            embedded.close();
        }
        http.close();
    }
}
