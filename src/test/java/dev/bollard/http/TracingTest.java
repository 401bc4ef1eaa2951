package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.bollard.config.ConfigLoader;
import dev.bollard.oci.Digest;
import dev.bollard.testing.TestRegistry;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracing.enabled}: spans of HTTP requests, SQL statements and storage calls reach an OTLP/HTTP endpoint (a
 * plain HTTP server here that keeps what it is sent), in the caller's trace when the request names one.
 */
class TracingTest {
    private static final String USER_AGENT = "tracing-test-client/7f3c9a";

    @Test
    void requestsDatabaseAndStorageCallsAreExportedInTheCallersTrace(@TempDir Path dir) throws Exception {
        List<byte[]> exports = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                byte[] body = in.readAllBytes();
                if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                    body = new GZIPInputStream(new java.io.ByteArrayInputStream(body)).readAllBytes();
                }
                exports.add(body);
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        try {
            var config = ConfigLoader.builder().set("data-dir", dir.toString()).set("server.listen", "127.0.0.1:0")
                    .set("auth.enabled", "false")
                    .set("tracing.enabled", "true")
                    .set("tracing.endpoint", "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces")
                    .load();
            byte[] content = "traced blob".getBytes(StandardCharsets.UTF_8);
            Digest digest = Digest.sha256(content);
            try (TestRegistry registry = TestRegistry.start(config);
                 HttpClient http = HttpClient.newHttpClient()) {
                HttpResponse<String> push = http.send(HttpRequest.newBuilder(registry.uri("/v2/traced/app/blobs/uploads/?digest="
                                + digest)).POST(HttpRequest.BodyPublishers.ofByteArray(content))
                        .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01").build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(push.statusCode()).isEqualTo(201);
                assertThat(http.send(HttpRequest.newBuilder(registry.uri("/v2/traced/app/blobs/" + digest)).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("traced blob");
                // A manifest push records its change with the client's User-Agent, a bound value of an INSERT that
                // no span attribute carries: it must not reach the spans.
                String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + digest
                        + "\",\"size\":" + content.length + "},\"layers\":[]}";
                assertThat(http.send(HttpRequest.newBuilder(registry.uri("/v2/traced/app/manifests/v1"))
                        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                        .header("User-Agent", USER_AGENT).PUT(HttpRequest.BodyPublishers.ofString(manifest)).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);
                assertThat(registry.server().database().read((Handle h) -> h.createQuery("""
                        SELECT (SELECT COUNT(*) FROM outbox WHERE user_agent = :ua)
                             + (SELECT COUNT(*) FROM audit_log WHERE user_agent = :ua)""")
                        .bind("ua", USER_AGENT).mapTo(Long.class).one()))
                        .as("the User-Agent went into the database as a bound value").isPositive();
            } // closing flushes the batched spans
        } finally {
            collector.stop(0);
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        exports.forEach(all::writeBytes);
        String text = all.toString(StandardCharsets.ISO_8859_1);
        assertThat(exports).as("spans were exported").isNotEmpty();
        assertThat(text).contains("bollard") // service.name
                .contains("POST uploads").contains("GET blob")
                .contains("db INSERT").contains("db SELECT")
                .contains("storage commitUpload").contains("storage read");
        assertThat(text).as("the push's spans are in the caller's trace")
                .contains(new String(HexFormat.of().parseHex(traceId), StandardCharsets.ISO_8859_1));
        assertThat(text).as("the INSERT that bound the User-Agent is traced").contains("user_agent");
        assertThat(text).as("SQL is recorded with placeholders, never bound values").doesNotContain(USER_AGENT);
    }
}
