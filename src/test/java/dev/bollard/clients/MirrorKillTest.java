package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.json.Json;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.ServerProcess;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kill -9 of the node in the middle of a mirror sync (issue 17's "resumption after kill -9 mid-sync"): Distribution
 * with htpasswd holds an image of four 3 MiB layers of noise; the mirror's upstream is reached through a relay that
 * stalls after 7 MiB, so the sync hangs in the middle of a layer; the server process is killed with SIGKILL there and
 * started again on the same data. The next sync (once the dead node's lease lapsed: {@code mirror.sync-lease}, 5 s
 * here) completes with the upstream's digests; the run the kill cut off shows as {@code interrupted}, not forever
 * {@code running}; and a poller that asks for the tag all along never saw it point at a manifest whose layers were not
 * all there.
 */
class MirrorKillTest {
    private static final String ADMIN_PASSWORD = "admin-password-1";
    private static final String PULLER = "puller";
    private static final String PULLER_PASSWORD = "puller-password-1";
    private static final String MIRROR = "/api/v1/repositories/mirror/app/-/mirror";

    @TempDir
    Path dir;
    private final AdminCalls admin = new AdminCalls(ADMIN_PASSWORD);
    private volatile ServerProcess server;

    private HttpResponse<byte[]> call(String method, String path, String json) throws Exception {
        return admin.call(server, method, path, json);
    }

    private JsonNode api(String method, String path, String json, int expected) throws Exception {
        return admin.api(server, method, path, json, expected);
    }

    @Test
    void aSyncKilledMidLayerIsMarkedInterruptedAndTheNextSyncCompletesWithNothingHalfVisible() throws Exception {
        Requirements.onPath("docker-registry");
        Requirements.onPath("skopeo");
        OciLayout source = OciLayout.create(dir.resolve("source"));
        List<Map<String, byte[]>> layers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            byte[] noise = new byte[3 * 1024 * 1024];
            new Random(1700 + i).nextBytes(noise);
            layers.add(Map.of("data/part-" + i, noise));
        }
        OciLayout.Descriptor big = source.writeImage("linux", "amd64", layers);
        source.tag(big, "big");
        Skopeo skopeo = new Skopeo(dir);
        try (DistributionServer distribution = DistributionServer.start(dir.resolve("distribution"), PULLER,
                PULLER_PASSWORD);
             CuttableRelay relay = new CuttableRelay(distribution.port(), 7L * 1024 * 1024, true)) {
            ok(skopeo.copy("--dest-creds", PULLER + ":" + PULLER_PASSWORD, "oci:" + source.root() + ":big",
                    "docker://" + distribution.hostPort() + "/app:big"));
            server = ServerProcess.builder(dir.resolve("node")).env("BOLLARD_AUTH_ENABLED", "true")
                    .env("BOLLARD_ADMIN_PASSWORD", ADMIN_PASSWORD).env("BOLLARD_MIRROR_SYNC_LEASE", "5s")
                    .env("BOLLARD_SCAN_ON_PUSH", "false").start();
            api("POST", "/api/v1/organizations", "{\"name\":\"mirror\"}", 201);

            // All along: whenever the tag answers, every layer of its manifest is there.
            AtomicBoolean polling = new AtomicBoolean(true);
            AtomicInteger visibleChecks = new AtomicInteger();
            ConcurrentLinkedQueue<String> halfVisible = new ConcurrentLinkedQueue<>();
            Thread poller = Thread.ofVirtual().start(() -> {
                while (polling.get()) {
                    try {
                        HttpResponse<byte[]> m = call("GET", "/v2/mirror/app/manifests/big", null);
                        if (m.statusCode() == 200) {
                            visibleChecks.incrementAndGet();
                            for (JsonNode layer : Json.MAPPER.readTree(m.body()).get("layers")) {
                                String digest = layer.get("digest").asText();
                                int status = call("HEAD", "/v2/mirror/app/blobs/" + digest, null).statusCode();
                                if (status != 200) {
                                    halfVisible.add("big -> layer " + digest + " answered " + status);
                                }
                            }
                        }
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // the node is down (killed, restarting): nothing is served then
                    }
                }
            });

            api("PUT", MIRROR, """
                    {"url":"http://127.0.0.1:%d","upstream_repository":"app","username":"%s","password":"%s",
                     "concurrency":1}""".formatted(relay.port(), PULLER, PULLER_PASSWORD), 200);
            long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!relay.isStalled() && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat(relay.isStalled()).as("the sync hangs in the middle of a layer").isTrue();
            JsonNode running = api("GET", MIRROR + "/runs", null, 200).get("items").get(0);
            assertThat(running.get("status").asText()).isEqualTo("running");
            assertThat(call("GET", "/v2/mirror/app/manifests/big", null).statusCode())
                    .as("the tag is not there before its layers are").isEqualTo(404);

            server.kill9();
            relay.restore();
            server = server.restart();

            JsonNode resumed = null;
            end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (System.nanoTime() < end) {
                JsonNode items = api("GET", MIRROR + "/runs", null, 200).get("items");
                JsonNode first = items.get(0);
                if (first.get("id").asLong() > running.get("id").asLong()
                        && !first.get("status").asText().equals("running")) {
                    resumed = first;
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(resumed).as("a sync after the restart ended").isNotNull();
            assertThat(resumed.get("status").asText()).as(resumed.toString()).isEqualTo("succeeded");
            JsonNode killed = api("GET", MIRROR + "/runs?limit=2", null, 200).get("items").get(1);
            assertThat(killed.get("id").asLong()).isEqualTo(running.get("id").asLong());
            assertThat(killed.get("status").asText()).as(killed.toString()).isEqualTo("interrupted");
            assertThat(killed.get("finished_at").isNull()).isFalse();
            assertThat(resumed.get("bytes").asLong()).as("the resumed run fetched only what the killed one had not stored")
                    .isLessThan(12L * 1024 * 1024);

            HttpResponse<byte[]> head = call("HEAD", "/v2/mirror/app/manifests/big", null);
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Docker-Content-Digest")).hasValue(big.digest());
            Thread.sleep(500); // the poller sees the complete tag at least once
            polling.set(false);
            poller.join(Duration.ofSeconds(30));
            assertThat(halfVisible).as("a tag pointing at missing layers").isEmpty();
            assertThat(visibleChecks.get()).as("the poller saw the tag").isPositive();

            // skopeo verifies every blob's digest as it pulls.
            Path into = dir.resolve("pulled");
            ok(skopeo.copy("--src-creds", "admin:" + ADMIN_PASSWORD, "docker://" + server.baseUri().getHost() + ":"
                    + server.baseUri().getPort() + "/mirror/app:big", "oci:" + into + ":big"));
            assertThat(new OciLayout(into).resolve("big").digest()).isEqualTo(big.digest());
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }
}
