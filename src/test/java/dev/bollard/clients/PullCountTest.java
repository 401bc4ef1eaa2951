package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.config.BollardConfig;
import dev.bollard.testing.Cli;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestDatabase;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pull counts with real pulls (skopeo), on H2 and PostgreSQL: nothing is written on a pull (with a long flush
 * interval the counts stay 0 while the registry runs), the counts arrive when the registry stops, and they equal the
 * pulls the audit log recorded (one per manifest GET); with a short interval they arrive while it runs.
 */
class PullCountTest {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private JsonNode get(TestRegistry r, String path) throws Exception {
        return OciLayout.parse(http.send(HttpRequest.newBuilder(r.uri(path)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private static BollardConfig config(Path data, TestDatabase database, String flushEvery) {
        return database.registrySettings(data).set("auth.enabled", "false")
                .set("registry.pull-stats-flush-interval", flushEvery).load();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void pullsAreCountedInMemoryAndFlushedAsIncrements(String kind) throws Exception {
        Requirements.onPath("skopeo");
        OciLayout source = OciLayout.create(dir.resolve("source"));
        OciLayout.Descriptor image = source.writeTagged("v1", "etc/motd", "counted\n");
        Skopeo skopeo = new Skopeo(dir);
        Path data = dir.resolve("data");
        try (TestDatabase database = TestDatabase.of(kind, dir)) {
            try (TestRegistry r = TestRegistry.start(config(data, database, "1h"))) {
                String app = "docker://" + r.hostPort() + "/acme/app";
                ok(skopeo.copy("oci:" + source.root() + ":v1", app + ":v1"));
                ok(skopeo.copy(app + ":v1", "oci:" + dir.resolve("pulled") + ":v1"));
                ok(skopeo.copy(app + ":v1", "oci:" + dir.resolve("pulled2") + ":v1"));
                ok(skopeo.cmd("inspect", "--raw", app + "@" + image.digest()));
                assertThat(get(r, "/api/v1/repositories/acme/app/-/pulls").path("pulls").asLong())
                        .as("nothing is written before the flush").isZero();
            }
            try (TestRegistry r = TestRegistry.start(config(data, database, "1s"))) {
                JsonNode audited = get(r, "/api/v1/audit?action=pull&limit=100").path("items");
                long byTag = 0;
                for (JsonNode e : audited) {
                    byTag += e.path("details").path("reference").asText().equals("v1") ? 1 : 0;
                }
                assertThat(audited.size()).as("skopeo pulled the manifest at least three times").isGreaterThanOrEqualTo(3);
                JsonNode pulls = get(r, "/api/v1/repositories/acme/app/-/pulls");
                assertThat(pulls.path("pulls").asLong()).as(pulls.toString()).isEqualTo(audited.size());
                assertThat(pulls.path("tags").path("v1").path("pulls").asLong()).isEqualTo(byTag);
                assertThat(Instant.parse(pulls.path("last_pulled_at").asText())).isAfter(Instant.now().minusSeconds(600));
                JsonNode today = pulls.path("daily").get(29);
                assertThat(today.path("day").asText()).isEqualTo(LocalDate.now(ZoneOffset.UTC).toString());
                assertThat(today.path("pulls").asLong()).isEqualTo(audited.size());
                assertThat(get(r, "/api/v1/repositories/acme/app").path("pulls").asLong()).isEqualTo(audited.size());
                assertThat(get(r, "/api/v1/repositories?namespace=acme").path("items").get(0).path("pulls").asLong())
                        .isEqualTo(audited.size());

                // A short interval: the next pull arrives while the registry runs, added to what is stored.
                ok(skopeo.cmd("inspect", "--raw", "docker://" + r.hostPort() + "/acme/app:v1"));
                Instant deadline = Instant.now().plusSeconds(20);
                long now = 0;
                while (Instant.now().isBefore(deadline)) {
                    now = get(r, "/api/v1/repositories/acme/app/-/pulls").path("pulls").asLong();
                    if (now > audited.size()) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertThat(now).isEqualTo(audited.size() + 1L);
            }
        }
    }

    /**
     * Two registries on one PostgreSQL database (each with its own blob directory: a manifest pull reads the manifest
     * from the database) count pulls into the same rows: each node flushes its own increments every second, while
     * both are pulled from, and no count is lost or counted twice; the totals equal the pulls the audit log recorded,
     * read through either node.
     */
    @Test
    void twoRegistriesOnOnePostgresqlCountIntoOneDatabase() throws Exception {
        Requirements.onPath("skopeo");
        OciLayout source = OciLayout.create(dir.resolve("source"));
        source.writeTagged("v1", "etc/motd", "two nodes\n");
        Skopeo skopeo = new Skopeo(dir);
        try (TestDatabase database = TestDatabase.of("postgres", dir);
             TestRegistry a = TestRegistry.start(config(dir.resolve("a"), database, "1s"));
             TestRegistry b = TestRegistry.start(config(dir.resolve("b"), database, "1s"))) {
            ok(skopeo.copy("oci:" + source.root() + ":v1", "docker://" + a.hostPort() + "/acme/app:v1"));
            for (int i = 0; i < 5; i++) { // interleaved, so that both nodes hold counts at every flush
                ok(skopeo.cmd("inspect", "--raw", "docker://" + a.hostPort() + "/acme/app:v1"));
                ok(skopeo.cmd("inspect", "--raw", "docker://" + b.hostPort() + "/acme/app:v1"));
                ok(skopeo.cmd("inspect", "--raw", "docker://" + b.hostPort() + "/acme/app:v1"));
            }
            a.server().audit().flush(5_000);
            b.server().audit().flush(5_000);
            JsonNode audited = get(a, "/api/v1/audit?action=pull&limit=100").path("items");
            assertThat(audited.size()).as("15 manifest pulls, through both nodes").isGreaterThanOrEqualTo(15);
            Instant deadline = Instant.now().plusSeconds(30);
            long counted = 0;
            while (Instant.now().isBefore(deadline) && counted < audited.size()) {
                counted = get(b, "/api/v1/repositories/acme/app/-/pulls").path("pulls").asLong();
                Thread.sleep(200);
            }
            Thread.sleep(1500); // one more flush of each node: nothing may arrive beyond the pulls made
            JsonNode pulls = get(a, "/api/v1/repositories/acme/app/-/pulls");
            assertThat(pulls.path("pulls").asLong()).as(pulls.toString()).isEqualTo(audited.size());
            assertThat(pulls.path("tags").path("v1").path("pulls").asLong()).isEqualTo(audited.size());
            assertThat(pulls.path("daily").get(29).path("pulls").asLong()).isEqualTo(audited.size());
            assertThat(get(b, "/api/v1/repositories/acme/app").path("pulls").asLong()).isEqualTo(audited.size());
            // The same from the command line, configured as node a is.
            BollardConfig.Database db = database.config(8);
            Path yaml = dir.resolve("a.yaml");
            Files.writeString(yaml, "data-dir: " + dir.resolve("a") + "\ndatabase:\n  url: \"" + db.url()
                    + "\"\n  username: \"" + db.username() + "\"\n  password: \"" + db.password() + "\"\n");
            Cli.Result shown = Cli.run("repo", "pulls", "acme/app", "--config", yaml.toString());
            assertThat(shown.exit()).as(shown.err()).isZero();
            assertThat(shown.out()).matches("acme/app: pulled " + audited.size() + " times, last [0-9T:-]+Z\n"
                    + "  v1: pulled " + audited.size() + " times, last [0-9T:-]+Z\n");
        }
    }
}
