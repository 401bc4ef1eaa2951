package dev.bollard.scan.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.bollard.config.ConfigException;
import dev.bollard.config.ConfigLoader;
import dev.bollard.metadata.Database;
import dev.bollard.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduled refresh from configured URLs, against a real HTTP server on loopback: a download is imported; a
 * failed download (404, a truncated archive) fails the turn, naming the URL, and leaves the data as it was.
 */
class VulnDbRefreshWorkerTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        Collections.reverse(open);
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    @Test
    void refreshesFromAUrlAndAFailedDownloadLeavesTheDataAsItWas() throws Exception {
        Database db = TestDatabase.open("h2", dir, 4, open);
        VulnerabilityStore store = new VulnerabilityStore(db);
        byte[] zip = Files.readAllBytes(VulnerabilityStoreContract.zip(dir.resolve("npm.zip"), Map.of(
                "X-1.json", VulnerabilityStoreContract.record("X-1", "2024-01-01T00:00:00Z", "npm", "left-pad", "1.1.0"),
                "X-2.json", VulnerabilityStoreContract.record("X-2", "2024-01-01T00:00:00Z", "npm", "is-odd", "3.0.1"))));
        AtomicReference<byte[]> served = new AtomicReference<>(zip);
        HttpServer server = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/npm/all.zip", exchange -> {
            byte[] body = served.get();
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
        open.add(() -> server.stop(0));
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/npm/all.zip");
        VulnDbRefreshWorker worker = new VulnDbRefreshWorker(store, List.of(url), Duration.ofHours(6), dir.resolve("tmp"));
        assertThat(worker.schedule().exclusive()).as("one node at a time").isTrue();

        worker.turn(() -> { });
        assertThat(store.status().records()).isEqualTo(2);
        assertThat(store.status().lastImport().source()).isEqualTo(url.toString());
        long lastImport = store.lastImportId();

        served.set(null);
        assertThatThrownBy(() -> worker.turn(() -> { })).hasMessageContaining(url.toString());
        served.set(java.util.Arrays.copyOf(zip, zip.length / 2)); // a download cut short
        assertThatThrownBy(() -> worker.turn(() -> { })).hasMessageContaining(url.toString());
        assertThat(store.status().records()).isEqualTo(2);
        assertThat(store.lastImportId()).isEqualTo(lastImport);
        try (var files = Files.list(dir.resolve("tmp"))) {
            assertThat(files).as("downloads are deleted").isEmpty();
        }
    }

    @Test
    void theUrlsAreConfiguredAndCheckedAtStart() {
        var config = ConfigLoader.builder().set("data-dir", dir.toString())
                .set("scan.vulndb.urls", "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip, "
                        + "https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip")
                .set("scan.vulndb.refresh-interval", "12h").load();
        assertThat(config.scan().vulndbUrls()).hasSize(2);
        assertThat(config.scan().vulndbRefreshInterval()).isEqualTo(Duration.ofHours(12));
        assertThat(ConfigLoader.builder().set("data-dir", dir.toString()).load().scan().vulndbUrls())
                .as("off by default").isEmpty();
        assertThatThrownBy(() -> ConfigLoader.builder().set("scan.vulndb.urls", "ftp://example.org/all.zip").load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("scan.vulndb.urls (from command line) must be "
                        + "http:// or https:// URLs, not 'ftp://example.org/all.zip'");
    }
}
