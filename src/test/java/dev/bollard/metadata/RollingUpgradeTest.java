package dev.bollard.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.oci.Digest;
import dev.bollard.oci.DigestAlgorithm;
import dev.bollard.testing.PostgresServer;
import dev.bollard.testing.S3Server;
import dev.bollard.testing.TestRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rolling upgrade of docs/operations.md ("Several nodes on PostgreSQL"), checked against what the code does, on a
 * real PostgreSQL and S3-compatible server:
 * <ul>
 * <li>nodes of the new version starting together on the schema the previous version left migrate it once, one after
 *     the other (Flyway's advisory lock), and both open;</li>
 * <li>a node of the previous version (its migrations, one fewer) still starts on the newer schema: Flyway's validation
 *     ignores migrations it does not know, so an old node restarted mid-upgrade comes back;</li>
 * <li>a node started on a database another node migrated and serves joins without migrating anything, while the
 *     first answers every request, and both serve what either pushed.</li>
 * </ul>
 * Not shown: the previous release's code serving on the new schema (its jar is not at hand); the docs say which
 * migrations that would have broken.
 */
class RollingUpgradeTest {
    private static final String KEY_ENCRYPTION_KEY = Base64.getEncoder().encodeToString(new byte[32]);
    private static final String ADMIN = "Basic " + Base64.getEncoder().encodeToString(
            "admin:rolling-password-1".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** The versions Bollard ships, in order. */
    private static List<Integer> versions() throws Exception {
        try (var files = Files.list(Path.of(RollingUpgradeTest.class.getResource("/db/migration").toURI()))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.+\\.sql"))
                    .map(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).sorted().toList();
        }
    }

    /** Flyway as {@link Database#open} configures it, with the migrations of {@code location}. */
    private static FluentConfiguration flyway(BollardConfig.Database config, String location) {
        return Flyway.configure().dataSource(Database.jdbcUrl(config.url()), config.username(), config.password())
                .locations(location).placeholders(Database.placeholders(config.url()));
    }

    private static List<String> applied(BollardConfig.Database config) {
        return Jdbi.create(config.url(), config.username(), config.password()).withHandle(h -> h.createQuery(
                        "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL ORDER BY installed_rank")
                .mapTo(String.class).list());
    }

    @Test
    void nodesStartingTogetherMigrateOnceAndAnOlderNodeStillStarts() throws Exception {
        PostgresServer.Db db = PostgresServer.shared().createDatabase();
        try {
            BollardConfig.Database config = new BollardConfig.Database(db.url(), db.username(), db.password(), 2);
            List<Integer> versions = versions();
            int previous = versions.get(versions.size() - 2);
            // The schema as the previous version left it.
            flyway(config, "classpath:db/migration").target(String.valueOf(previous)).load().migrate();
            assertThat(applied(config)).last().isEqualTo(String.valueOf(previous));

            // Two nodes of the new version start at once: both open, each migration ran once.
            try (ExecutorService two = Executors.newFixedThreadPool(2)) {
                List<Future<Database>> opened = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    opened.add(two.submit(() -> Database.open(config)));
                }
                for (Future<Database> f : opened) {
                    f.get().close();
                }
            }
            assertThat(applied(config)).containsExactlyElementsOf(versions.stream().map(String::valueOf).toList());

            // A node of the previous version (its jar holds the migrations up to `previous`) restarts mid-upgrade.
            Path older = dir.resolve("older-migrations");
            Files.createDirectories(older);
            try (var files = Files.list(Path.of(RollingUpgradeTest.class.getResource("/db/migration").toURI()))) {
                for (Path f : files.toList()) {
                    String n = f.getFileName().toString();
                    if (n.matches("V\\d+__.+\\.sql") && Integer.parseInt(n.substring(1, n.indexOf("__"))) <= previous) {
                        Files.copy(f, older.resolve(n));
                    }
                }
            }
            MigrateResult old = flyway(config, "filesystem:" + older).load().migrate();
            assertThat(old.migrationsExecuted).as("an older node migrates nothing").isZero();
            assertThat(applied(config)).as("and changes nothing").hasSize(versions.size());
        } finally {
            db.drop();
        }
    }

    @Test
    void aNodeJoiningAMigratedDatabaseMigratesNothingWhileTheFirstKeepsServing() throws Exception {
        PostgresServer.Db db = PostgresServer.shared().createDatabase();
        S3Server s3 = S3Server.shared();
        String bucket = s3.createBucket();
        try (TestRegistry a = TestRegistry.start(node("a", db, s3.settings(bucket)))) {
            new Identities(a.server().database()).users().create("admin", "rolling-password-1", true);
            BollardConfig.Database dbConfig = new BollardConfig.Database(db.url(), db.username(), db.password(), 2);
            List<String> before = applied(dbConfig);
            String pushedOnA = push(a.baseUri(), "admin/app", "v1", "layer of node a");

            // Node A answers a stream of pulls while B starts on the same database and bucket.
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger answered = new AtomicInteger();
            List<String> failures = new CopyOnWriteArrayList<>();
            Thread pulls = Thread.ofVirtual().start(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<byte[]> r = get(a.baseUri(), "/v2/admin/app/manifests/v1");
                        if (r.statusCode() != 200 || !Digest.compute(DigestAlgorithm.SHA256, r.body()).toString()
                                .equals(pushedOnA)) {
                            failures.add(r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
                        }
                        answered.incrementAndGet();
                    } catch (IOException | InterruptedException e) {
                        failures.add(e.toString());
                    }
                }
            });
            try (TestRegistry b = TestRegistry.start(node("b", db, s3.settings(bucket)))) {
                running.set(false);
                pulls.join();
                assertThat(failures).as("node A's answers while B started").isEmpty();
                assertThat(answered.get()).as("pulls from A during B's start").isPositive();
                assertThat(applied(dbConfig)).as("B migrated nothing").isEqualTo(before);

                // Both serve what either pushed.
                HttpResponse<byte[]> onB = get(b.baseUri(), "/v2/admin/app/manifests/v1");
                assertThat(onB.statusCode()).isEqualTo(200);
                assertThat(Digest.compute(DigestAlgorithm.SHA256, onB.body()).toString()).isEqualTo(pushedOnA);
                String pushedOnB = push(b.baseUri(), "admin/app", "v2", "layer of node b");
                HttpResponse<byte[]> onA = get(a.baseUri(), "/v2/admin/app/manifests/v2");
                assertThat(onA.statusCode()).isEqualTo(200);
                assertThat(Digest.compute(DigestAlgorithm.SHA256, onA.body()).toString()).isEqualTo(pushedOnB);
            } finally {
                running.set(false);
                pulls.join();
            }
        } finally {
            db.drop();
        }
    }

    /** A node's configuration: its own data directory, the shared database, bucket and key-encryption key. */
    private BollardConfig node(String name, PostgresServer.Db db, Map<String, String> s3) {
        ConfigLoader.Builder b = ConfigLoader.builder().set("data-dir", dir.resolve(name).toString())
                .set("server.listen", "127.0.0.1:0").set("database.url", db.url())
                .set("database.username", db.username()).set("database.password", db.password())
                .set("database.max-pool-size", "4").set("auth.key-encryption-key", KEY_ENCRYPTION_KEY)
                .set("scan.on-push", "false");
        s3.forEach(b::set);
        return b.load();
    }

    private HttpResponse<byte[]> get(URI base, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", ADMIN).header("Accept", "application/vnd.oci.image.manifest.v1+json").build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Pushes a one-layer image (monolithic blob uploads, then the manifest); returns the manifest's digest. */
    private String push(URI base, String repository, String tag, String layerText) throws Exception {
        byte[] layer = layerText.getBytes(StandardCharsets.UTF_8);
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        for (byte[] blob : List.of(layer, config)) {
            String digest = Digest.compute(DigestAlgorithm.SHA256, blob).toString();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v2/" + repository
                            + "/blobs/uploads/?digest=" + digest)).header("Authorization", ADMIN)
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("%s", r.body()).isEqualTo(201);
        }
        String manifest = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},\
                "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
                .formatted(Digest.compute(DigestAlgorithm.SHA256, config), config.length,
                        Digest.compute(DigestAlgorithm.SHA256, layer), layer.length);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v2/" + repository + "/manifests/" + tag))
                .header("Authorization", ADMIN).header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString(manifest)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s", r.body()).isEqualTo(201);
        return Digest.compute(DigestAlgorithm.SHA256, manifest.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
