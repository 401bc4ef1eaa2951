package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.config.ConfigLoader;
import dev.bollard.robustness.CrashDuringDeleteAndGcTest.Image;
import dev.bollard.testing.PostgresServer;
import dev.bollard.testing.S3Server;
import dev.bollard.testing.ServerProcess;
import dev.bollard.testing.WebhookReceiver;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhook delivery on two nodes, end to end: two registry processes on one PostgreSQL and one S3 bucket, both
 * publishing and delivering (poll interval 100 ms), one registry-wide webhook to a receiver on loopback. Images are
 * pushed through both nodes at once (the distribution API: blobs, config, manifest by tag), to three repositories, a
 * few tags each. The receiver gets every expected event — a {@code manifest.pushed} and a {@code tag.created} for
 * each image — exactly once (no event id twice: the nodes' claims never hand one delivery to both), every one signed,
 * and each repository's events in the order of their sequence (one webhook's deliveries run one at a time in order,
 * whichever node runs them).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class WebhookTwoNodesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int IMAGES_PER_THREAD = 12;
    private static final List<String> REPOSITORIES = List.of("hooks/alpha", "hooks/beta", "hooks/gamma");

    @TempDir
    Path tmp;

    @Test
    void everyEventOfPushesThroughBothNodesArrivesOnceAndInEachRepositorysOrder() throws Exception {
        PostgresServer.Db db = PostgresServer.shared().createDatabase();
        S3Server s3 = S3Server.shared();
        String bucket = s3.createBucket();
        List<ServerProcess> nodes = new ArrayList<>();
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            for (String name : List.of("node-a", "node-b")) {
                ServerProcess.Builder b = ServerProcess.builder(tmp.resolve(name)).jvmArgs("-Xmx256m")
                        .env("BOLLARD_DATABASE_URL", db.url()).env("BOLLARD_DATABASE_USERNAME", db.username())
                        .env("BOLLARD_DATABASE_PASSWORD", db.password()).env("BOLLARD_DATABASE_MAX_POOL_SIZE", "8")
                        // Every node the same key-encryption key, as docs/configuration.md says: the webhook's secret
                        // is sealed by the node that created it and opened by whichever delivers.
                        .env("BOLLARD_AUTH_KEY_ENCRYPTION_KEY", java.util.Base64.getEncoder().encodeToString(new byte[32]))
                        .env("BOLLARD_EVENTS_POLL_INTERVAL", "100ms")
                        .env("BOLLARD_EVENTS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true");
                for (Map.Entry<String, String> e : s3.settings(bucket).entrySet()) {
                    b.env(ConfigLoader.environmentName(e.getKey()), e.getValue());
                }
                nodes.add(b.start());
            }
            try {
                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> created = http.send(HttpRequest.newBuilder(nodes.get(1).uri("/api/v1/webhooks"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"" + receiver.url() + "\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
                receiver.secret(JSON.readTree(created.body()).get("secret").asText());

                // Two pushers per node, each through its own node only, all four at once.
                Queue<Image> pushed = new ConcurrentLinkedQueue<>();
                Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
                List<Thread> pushers = new ArrayList<>();
                List<RegistryClient> clients = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    RegistryClient client = new RegistryClient(nodes.get(t % 2).baseUri(), Duration.ofSeconds(60));
                    clients.add(client);
                    String name = "pusher-" + t;
                    pushers.add(Thread.ofPlatform().name(name).start(() -> {
                        SplittableRandom random = new SplittableRandom(name.hashCode());
                        try {
                            for (int i = 0; i < IMAGES_PER_THREAD; i++) {
                                pushed.add(CrashDuringDeleteAndGcTest.pushImage(client,
                                        REPOSITORIES.get(i % REPOSITORIES.size()), name + "-" + i, random));
                            }
                        } catch (Exception | AssertionError e) {
                            failures.add(e);
                        }
                    }));
                }
                for (Thread t : pushers) {
                    t.join(Duration.ofMinutes(3));
                }
                for (RegistryClient c : clients) {
                    c.close();
                }
                assertThat(failures).as("pushes that failed").isEmpty();
                assertThat(pushed).hasSize(4 * IMAGES_PER_THREAD);

                // Expected: per image its manifest.pushed and its tag.created; per repository one repository.created
                // when the registry sends it (counted, not required). Wait for all of them, then a little longer for
                // any duplicate.
                Set<String> expected = new HashSet<>();
                for (Image image : pushed) {
                    expected.add("manifest.pushed " + image.repo() + " " + image.digest());
                    expected.add("tag.created " + image.repo() + " " + image.tag());
                }
                long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
                while (!received(receiver).containsAll(expected) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                Thread.sleep(2_000);
                List<WebhookReceiver.Delivery> got = receiver.deliveries();
                assertThat(received(receiver)).as("events received of the %d expected (%d deliveries, %d retried; "
                                + "node logs:\n%s\n%s)", expected.size(), got.size(),
                        got.stream().filter(d -> !"1".equals(d.header("Bollard-Delivery-Attempt"))).count(),
                        nodes.get(0).logTail(40), nodes.get(1).logTail(40))
                        .containsAll(expected);

                List<String> eventIds = got.stream().map(d -> d.header("Bollard-Event-Id")).toList();
                assertThat(eventIds).as("event ids (the idempotency keys) of all %d deliveries", got.size())
                        .doesNotHaveDuplicates();
                assertThat(got).allSatisfy(d -> {
                    assertThat(d.signatureValid()).as("signed: %s", d.body()).isTrue();
                    assertThat(d.header("Bollard-Delivery-Attempt")).as("first attempts only").isEqualTo("1");
                });
                assertThat(got.stream().filter(d -> d.header("Bollard-Event").equals("tag.created")))
                        .as("one tag.created per image").hasSize(pushed.size());
                assertThat(got.stream().filter(d -> d.header("Bollard-Event").equals("manifest.pushed")))
                        .as("one manifest.pushed per image").hasSize(pushed.size());

                Map<String, Long> lastSequence = new HashMap<>();
                for (WebhookReceiver.Delivery d : got) {
                    JsonNode body = JSON.readTree(d.body());
                    String repo = body.path("repository").asText();
                    long sequence = body.get("sequence").asLong();
                    Long before = lastSequence.put(repo, sequence);
                    assertThat(before == null || before < sequence)
                            .as("repository %s: event %d arrived after event %d", repo, sequence, before).isTrue();
                }
                assertThat(lastSequence.keySet()).containsAll(REPOSITORIES);
                for (ServerProcess node : nodes) {
                    assertThat(node.isAlive()).isTrue();
                }
            } finally {
                for (ServerProcess node : nodes) {
                    node.close();
                }
            }
        }
    }

    /** What the receiver got, as "type repository digest" for a pushed manifest and "type repository tag" for a tag. */
    private static Set<String> received(WebhookReceiver receiver) throws Exception {
        Set<String> seen = new HashSet<>();
        for (WebhookReceiver.Delivery d : receiver.deliveries()) {
            JsonNode body = JSON.readTree(d.body());
            String type = body.path("type").asText();
            JsonNode data = body.path("data");
            String what = type.equals("manifest.pushed") ? data.path("digest").asText() : data.path("tag").asText();
            seen.add(type + " " + body.path("repository").asText() + " " + what);
        }
        return seen;
    }
}
