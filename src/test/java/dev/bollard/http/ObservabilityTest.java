package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics, /healthz, /readyz and request ids, as an operator's tools see them. */
class ObservabilityTest {
    @TempDir
    static Path dir;
    static TestRegistry registry;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        registry = TestRegistry.start(dir);
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double metric(String scrape, String name, String labelFragment) {
        double total = 0;
        boolean found = false;
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(scrape);
        while (m.find()) {
            if (labelFragment == null || (m.group(1) != null && m.group(1).contains(labelFragment))) {
                total += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        assertThat(found).as("metric %s{%s} in\n%s", name, labelFragment, scrape).isTrue();
        return total;
    }

    @Test
    void metricsCountRequestsByRouteAndStatusAndTheBytesMoved() throws Exception {
        byte[] blob = new byte[300_000];
        new java.util.Random(3).nextBytes(blob);
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
        assertThat(send(HttpRequest.newBuilder(registry.uri("/v2/obs/app/blobs/uploads/?digest=" + digest))
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob))).statusCode()).isEqualTo(201);
        assertThat(send(HttpRequest.newBuilder(registry.uri("/v2/obs/app/blobs/" + digest))).statusCode()).isEqualTo(200);
        assertThat(send(HttpRequest.newBuilder(registry.uri("/v2/obs/app/manifests/nope"))).statusCode()).isEqualTo(404);

        HttpResponse<String> metrics = send(HttpRequest.newBuilder(registry.uri("/metrics")));
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        String scrape = metrics.body();
        assertThat(metric(scrape, "http_server_requests_seconds_count", "route=\"blob\"")).isGreaterThanOrEqualTo(1);
        assertThat(metric(scrape, "http_server_requests_seconds_count", "status=\"404\"")).isGreaterThanOrEqualTo(1);
        assertThat(metric(scrape, "http_server_requests_seconds_bucket", "route=\"uploads\"")).isGreaterThan(0);
        assertThat(metric(scrape, "bollard_blob_pushed_bytes_total", null)).isGreaterThanOrEqualTo(blob.length);
        assertThat(metric(scrape, "bollard_blob_pulled_bytes_total", null)).isGreaterThanOrEqualTo(blob.length);
        assertThat(metric(scrape, "bollard_uploads_in_flight", null)).isZero();
        metric(scrape, "hikaricp_connections", null);
        metric(scrape, "jvm_memory_used_bytes", null);
        assertThat(scrape).as("no repository names in labels").doesNotContain("obs/app");
    }

    @Test
    void healthAndReadiness() throws Exception {
        assertThat(send(HttpRequest.newBuilder(registry.uri("/healthz"))).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = send(HttpRequest.newBuilder(registry.uri("/readyz")));
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
    }

    @Test
    void everyResponseCarriesARequestIdAndASaneOneIsEchoed() throws Exception {
        HttpResponse<String> fresh = send(HttpRequest.newBuilder(registry.uri("/v2/")));
        assertThat(fresh.headers().firstValue("X-Request-Id")).hasValueSatisfying(id -> assertThat(id).matches("[0-9a-f]{16}"));
        HttpResponse<String> echoed = send(HttpRequest.newBuilder(registry.uri("/v2/")).header("X-Request-Id", "trace-42"));
        assertThat(echoed.headers().firstValue("X-Request-Id")).hasValue("trace-42");
        HttpResponse<String> replaced = send(HttpRequest.newBuilder(registry.uri("/v2/"))
                .header("X-Request-Id", "bad id with spaces"));
        assertThat(replaced.headers().firstValue("X-Request-Id")).hasValueSatisfying(id -> assertThat(id).matches("[0-9a-f]{16}"));
    }
}
