package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.TestRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} names namespaces and shows the registry's activity: with access control on it answers
 * superusers only on the main port, and without credentials only on the separate listener of
 * {@code metrics.listen}, which serves nothing else. Its latency histograms keep few buckets.
 */
class MetricsAccessTest {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(URI uri, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri);
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String secret) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void onTheMainPortOnlySuperusersScrapeAndTheSeparateListenerServesOnlyMetricsAndHealth() throws Exception {
        int metricsPort = freePort();
        try (TestRegistry registry = TestRegistry.start(ConfigLoader.builder()
                .set("data-dir", dir.resolve("data").toString()).set("server.listen", "127.0.0.1:0")
                .set("metrics.listen", "127.0.0.1:" + metricsPort).load())) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("root", "root-password", true);
            ids.users().create("alice", "alice-password", false);
            ids.organizations().create("secret-project", "alice");
            String rootToken = ids.appTokens().create("root", "prometheus");

            HttpResponse<String> anonymous = get(registry.uri("/metrics"), null);
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"bollard\"");
            assertThat(anonymous.body()).startsWith("/metrics needs a superuser's credentials")
                    .contains("metrics.listen").doesNotContain("jvm_");
            HttpResponse<String> alice = get(registry.uri("/metrics"), basic("alice", "alice-password"));
            assertThat(alice.statusCode()).isEqualTo(403);
            assertThat(alice.body()).doesNotContain("jvm_");
            assertThat(get(registry.uri("/metrics"), basic("root", "wrong")).statusCode()).isEqualTo(401);

            HttpResponse<String> withPassword = get(registry.uri("/metrics"), basic("root", "root-password"));
            assertThat(withPassword.statusCode()).isEqualTo(200);
            assertThat(withPassword.body()).contains("jvm_memory_used_bytes");
            assertThat(get(registry.uri("/metrics"), "Bearer " + rootToken).statusCode()).isEqualTo(200);
            assertThat(get(registry.uri("/metrics"), basic("root", rootToken)).statusCode()).isEqualTo(200);

            URI listener = URI.create("http://127.0.0.1:" + metricsPort);
            HttpResponse<String> scraped = get(listener.resolve("/metrics"), null);
            assertThat(scraped.statusCode()).isEqualTo(200);
            assertThat(scraped.body()).contains("http_server_requests_seconds_count");
            assertThat(get(listener.resolve("/healthz"), null).statusCode()).isEqualTo(200);
            assertThat(get(listener.resolve("/readyz"), null).body()).isEqualTo("ready\n");
            for (String elsewhere : new String[] {"/v2/", "/api/v1/users", "/", "/v2/auth"}) {
                HttpResponse<String> r = get(listener.resolve(elsewhere), basic("root", "root-password"));
                assertThat(r.statusCode()).as(elsewhere).isEqualTo(404);
                assertThat(r.body()).contains("serves /metrics, /healthz and /readyz");
            }

            // Few buckets per latency series, whatever the route.
            long buckets = withPassword.body().lines()
                    .filter(l -> l.startsWith("http_server_requests_seconds_bucket{") && l.contains("route=\"metrics\"")
                            && l.contains("status=\"401\""))
                    .count();
            assertThat(buckets).isBetween(10L, 16L);
        }
    }
}
