package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.PostgresServer;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /readyz} answers 503 while the blob store or the database is unreachable, and 200 again once it is back;
 * {@code /healthz} (the process is alive) stays 200 throughout.
 */
class ReadinessTest {
    @TempDir
    Path dir;

    @Test
    void notReadyWhileTheBlobStoreIsGone() throws Exception {
        Path data = dir.resolve("data");
        Path blobs = BollardConfig.defaults(data, "127.0.0.1", 0).storage().path();
        try (TestRegistry registry = TestRegistry.start(data);
             HttpClient http = HttpClient.newHttpClient()) {
            assertThat(get(http, registry, "/readyz").statusCode()).isEqualTo(200);

            Path away = Files.move(blobs, blobs.resolveSibling("blobs-away"));
            HttpResponse<String> down = get(http, registry, "/readyz");
            assertThat(down.statusCode()).as("/readyz without the blob directory").isEqualTo(503);
            assertThat(down.body()).contains("not ready");
            assertThat(get(http, registry, "/healthz").statusCode()).isEqualTo(200);

            Files.move(away, blobs);
            assertThat(get(http, registry, "/readyz").statusCode()).as("/readyz with the store back").isEqualTo(200);
        }
    }

    /**
     * PostgreSQL refusing connections to Bollard's database (its open connections ended): not ready until it accepts
     * them again.
     */
    @Test
    void notReadyWhileTheDatabaseRefusesConnections() throws Exception {
        PostgresServer server = PostgresServer.shared();
        PostgresServer.Db db = server.createDatabase();
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0").set("auth.enabled", "false").set("database.url", db.url())
                .set("database.username", db.username()).set("database.password", db.password()).load();
        try (TestRegistry registry = TestRegistry.start(config);
             HttpClient http = HttpClient.newHttpClient()) {
            assertThat(get(http, registry, "/readyz").statusCode()).isEqualTo(200);

            server.execute("ALTER DATABASE " + db.name() + " WITH ALLOW_CONNECTIONS false");
            server.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db.name() + "'");
            HttpResponse<String> down = get(http, registry, "/readyz");
            assertThat(down.statusCode()).as("/readyz while the database refuses connections").isEqualTo(503);
            assertThat(get(http, registry, "/healthz").statusCode()).isEqualTo(200);

            server.execute("ALTER DATABASE " + db.name() + " WITH ALLOW_CONNECTIONS true");
            // The pool reconnects on its own schedule (within its 30 s connection timeout), not necessarily at once.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int status;
            while ((status = get(http, registry, "/readyz").statusCode()) != 200 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(status).as("/readyz within 30 s of the database accepting connections again").isEqualTo(200);
        } finally {
            server.execute("ALTER DATABASE " + db.name() + " WITH ALLOW_CONNECTIONS true");
            db.drop();
        }
    }

    private static HttpResponse<String> get(HttpClient http, TestRegistry registry, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(registry.uri(path)).timeout(Duration.ofSeconds(90)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
