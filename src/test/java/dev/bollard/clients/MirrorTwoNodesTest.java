package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.PostgresServer;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.S3Server;
import dev.bollard.testing.ServerProcess;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mirror on two nodes sharing PostgreSQL and S3 (issue 17's "two nodes on PostgreSQL+S3 never running the same sync
 * twice"): "sync now" is asked of both nodes at once, several times; every sync ran under the mirror's lease, so no two
 * runs of the history overlap in time, all succeed, and both nodes serve the mirrored tag with the upstream's digest.
 */
class MirrorTwoNodesTest {
    private static final String ADMIN_PASSWORD = "admin-password-1";
    private static final String PULLER = "puller";
    private static final String PULLER_PASSWORD = "puller-password-1";
    private static final String MIRROR = "/api/v1/repositories/mirror/app/-/mirror";
    private static final int ROUNDS = 4;

    @TempDir
    Path dir;
    private final AdminCalls admin = new AdminCalls(ADMIN_PASSWORD);

    private HttpResponse<byte[]> call(ServerProcess node, String method, String path, String json) throws Exception {
        return admin.call(node, method, path, json);
    }

    private JsonNode api(ServerProcess node, String method, String path, String json, int expected) throws Exception {
        return admin.api(node, method, path, json, expected);
    }

    /** Waits until the mirror has {@code count} runs, none running; returns them, newest first. */
    private JsonNode runs(ServerProcess node, int count) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        JsonNode items = null;
        while (System.nanoTime() < end) {
            items = api(node, "GET", MIRROR + "/runs?limit=100", null, 200).get("items");
            boolean running = false;
            for (JsonNode run : items) {
                running |= run.get("status").asText().equals("running");
            }
            if (items.size() >= count && !running) {
                return items;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("not " + count + " finished runs: " + items);
    }

    @Test
    void syncsRunOnOneNodeAtATimeAndBothNodesServeTheResult() throws Exception {
        Requirements.onPath("docker-registry");
        Requirements.onPath("skopeo");
        OciLayout source = OciLayout.create(dir.resolve("source"));
        byte[] noise = new byte[2 * 1024 * 1024];
        new Random(1717).nextBytes(noise);
        OciLayout.Descriptor image = source.writeImage("linux", "amd64", List.of(Map.of("data/part", noise)));
        source.tag(image, "v1");
        Skopeo skopeo = new Skopeo(dir);
        PostgresServer.Db db = PostgresServer.shared().createDatabase();
        S3Server s3 = S3Server.shared();
        String bucket = s3.createBucket();
        List<ServerProcess> nodes = new ArrayList<>();
        try (DistributionServer distribution = DistributionServer.start(dir.resolve("distribution"), PULLER,
                PULLER_PASSWORD)) {
            ok(skopeo.copy("--dest-creds", PULLER + ":" + PULLER_PASSWORD, "oci:" + source.root() + ":v1",
                    "docker://" + distribution.hostPort() + "/app:v1"));
            for (String name : List.of("node-a", "node-b")) {
                ServerProcess.Builder b = ServerProcess.builder(dir.resolve(name)).jvmArgs("-Xmx256m")
                        .env("BOLLARD_AUTH_ENABLED", "true").env("BOLLARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
                        .env("BOLLARD_SCAN_ON_PUSH", "false").env("BOLLARD_MIRROR_SYNC_LEASE", "30s")
                        .env("BOLLARD_DATABASE_URL", db.url()).env("BOLLARD_DATABASE_USERNAME", db.username())
                        .env("BOLLARD_DATABASE_PASSWORD", db.password()).env("BOLLARD_DATABASE_MAX_POOL_SIZE", "8")
                        // Every node the same key-encryption key (docs/configuration.md): the token signing key and
                        // the mirror's upstream password are sealed by one node and opened by the other.
                        .env("BOLLARD_AUTH_KEY_ENCRYPTION_KEY", Base64.getEncoder().encodeToString(new byte[32]));
                for (Map.Entry<String, String> e : s3.settings(bucket).entrySet()) {
                    b.env(ConfigLoader.environmentName(e.getKey()), e.getValue());
                }
                nodes.add(b.start());
            }
            ServerProcess a = nodes.get(0);
            ServerProcess b = nodes.get(1);
            api(a, "POST", "/api/v1/organizations", "{\"name\":\"mirror\"}", 201);
            api(a, "PUT", MIRROR, """
                    {"url":"http://%s","upstream_repository":"app","username":"%s","password":"%s",
                     "interval_seconds":60}""".formatted(distribution.hostPort(), PULLER, PULLER_PASSWORD), 200);
            runs(a, 1);
            for (int round = 0; round < ROUNDS; round++) {
                // Both nodes are told at once: each looks for the due mirror; one takes the lease.
                Thread ta = Thread.ofVirtual().start(() -> post(a));
                Thread tb = Thread.ofVirtual().start(() -> post(b));
                ta.join();
                tb.join();
                Thread.sleep(300);
            }
            JsonNode items = runs(b, 2);
            List<long[]> spans = new ArrayList<>();
            for (JsonNode run : items) {
                assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("succeeded");
                spans.add(new long[] {Instant.parse(run.get("started_at").asText()).toEpochMilli(),
                        Instant.parse(run.get("finished_at").asText()).toEpochMilli()});
            }
            for (int i = 0; i < spans.size(); i++) {
                for (int j = i + 1; j < spans.size(); j++) {
                    boolean overlap = spans.get(i)[0] < spans.get(j)[1] && spans.get(j)[0] < spans.get(i)[1];
                    assertThat(overlap).as("runs %s and %s overlap", items.get(i), items.get(j)).isFalse();
                }
            }
            assertThat(items.get(items.size() - 1).get("tags_copied").asInt()).isEqualTo(1);
            for (ServerProcess node : nodes) {
                HttpResponse<byte[]> head = call(node, "HEAD", "/v2/mirror/app/manifests/v1", null);
                assertThat(head.statusCode()).isEqualTo(200);
                assertThat(head.headers().firstValue("Docker-Content-Digest")).hasValue(image.digest());
                Path into = dir.resolve("pulled-" + node.baseUri().getPort());
                ok(skopeo.copy("--src-creds", "admin:" + ADMIN_PASSWORD, "docker://" + node.baseUri().getHost() + ":"
                        + node.baseUri().getPort() + "/mirror/app:v1", "oci:" + into + ":v1"));
                assertThat(new OciLayout(into).resolve("v1").digest()).isEqualTo(image.digest());
            }
        } finally {
            for (ServerProcess node : nodes) {
                node.close();
            }
            db.drop();
        }
    }

    private void post(ServerProcess node) {
        try {
            api(node, "POST", MIRROR + "/sync", null, 202);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
