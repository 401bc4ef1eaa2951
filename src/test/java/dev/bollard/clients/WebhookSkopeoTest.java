package dev.bollard.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.testing.Requirements;
import dev.bollard.auth.Identities;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.TestRegistry;
import dev.bollard.testing.WebhookReceiver;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhooks end to end: skopeo pushes to a registry with access control, and a receiver on loopback (checking every
 * signature) gets the events in order — the repository created by the first push, each manifest pushed, the tag
 * created, then moved; a push that an immutable tag refuses (after the push was recorded, so the transaction rolls
 * back) gets nothing; a deletion by digest gets manifest.deleted. The webhook is administered through /api/v1: its
 * secret shown once, the delivery log with request and response, a test ping and a redelivery.
 */
class WebhookSkopeoTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> api(TestRegistry registry, String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(registry.uri(path)).timeout(WAIT)
                .header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString("alice:alice-password".getBytes(StandardCharsets.UTF_8)))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return OciLayout.JSON.readTree(r.body());
    }

    private static List<String> types(List<WebhookReceiver.Delivery> deliveries) {
        return deliveries.stream().map(d -> d.header("Bollard-Event")).toList();
    }

    @Test
    void pushesWithSkopeoAreDeliveredInOrderSignedAndARefusedPushIsNot() throws Exception {
        Requirements.onPath("skopeo");
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0").set("events.poll-interval", "100ms")
                .set("events.webhooks.allow-private-targets", "true")
                // The scanner's SBOM referrers would be pushed (and delivered) whenever it finishes.
                .set("scan.on-push", "false").load();
        OciLayout layout = OciLayout.create(dir.resolve("layout"));
        OciLayout.Descriptor one = layout.writeImage("linux", "amd64", List.of(Map.of("one.txt", "one\n".getBytes(StandardCharsets.UTF_8))));
        OciLayout.Descriptor two = layout.writeImage("linux", "amd64", List.of(Map.of("two.txt", "two\n".getBytes(StandardCharsets.UTF_8))));
        OciLayout.Descriptor three = layout.writeImage("linux", "amd64", List.of(Map.of("3.txt", "3\n".getBytes(StandardCharsets.UTF_8))));
        layout.tag(one, "one");
        layout.tag(two, "two");
        layout.tag(three, "three");
        try (TestRegistry registry = TestRegistry.start(config); WebhookReceiver receiver = WebhookReceiver.start()) {
            new Identities(registry.server().database()).users().create("alice", "alice-password", false);
            new Identities(registry.server().database()).users().create("root", "root-password", true);
            HttpResponse<String> created = api(registry, "POST", "/api/v1/namespaces/alice/webhooks",
                    "{\"url\":\"" + receiver.url() + "\",\"event_types\":[\"repository.created\",\"manifest.pushed\","
                            + "\"tag.created\",\"tag.moved\",\"manifest.deleted\"],\"headers\":{\"X-Env\":\"test-value-42\"}}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            String secret = json(created).get("secret").asText();
            assertThat(secret).startsWith("whsec_");
            receiver.secret(secret);
            String hook = "/api/v1/namespaces/alice/webhooks/" + json(created).get("id").asLong();
            HttpResponse<String> shown = api(registry, "GET", hook, null);
            assertThat(shown.statusCode()).isEqualTo(200);
            assertThat(shown.body()).doesNotContain(secret).doesNotContain("\"secret\"").doesNotContain("test-value-42")
                    .contains("X-Env");
            assertThat(api(registry, "GET", "/api/v1/namespaces/bob/webhooks", null).statusCode()).isEqualTo(403);

            Skopeo skopeo = new Skopeo(dir);
            String target = "docker://" + registry.hostPort() + "/alice/app:v1";
            List<String> creds = List.of("--dest-creds", "alice:alice-password");
            assertThat(skopeo.copy(creds.get(0), creds.get(1), "oci:" + layout.root() + ":one", target).ok()).isTrue();
            assertThat(skopeo.copy(creds.get(0), creds.get(1), "oci:" + layout.root() + ":two", target).ok()).isTrue();
            List<WebhookReceiver.Delivery> got = receiver.await(5, WAIT);
            assertThat(types(got)).containsExactly("repository.created", "manifest.pushed", "tag.created",
                    "manifest.pushed", "tag.moved");
            assertThat(got).allSatisfy(d -> {
                assertThat(d.signatureValid()).isTrue();
                assertThat(d.header("X-Env")).isEqualTo("test-value-42");
            });
            JsonNode moved = OciLayout.JSON.readTree(got.get(4).body()).get("data");
            assertThat(moved.get("tag").asText()).isEqualTo("v1");
            assertThat(moved.get("digest").asText()).isEqualTo(two.digest());
            assertThat(moved.get("previous").asText()).isEqualTo(one.digest());
            JsonNode pushed = OciLayout.JSON.readTree(got.get(1).body());
            assertThat(pushed.get("data").get("digest").asText()).isEqualTo(one.digest());
            assertThat(pushed.get("data").get("mediaType").asText()).isEqualTo(OciLayout.OCI_MANIFEST);
            assertThat(pushed.get("actor").get("name").asText()).isEqualTo("alice");

            // v1 made immutable: the next push to it records the push, then fails to move the tag, and rolls back.
            assertThat(api(registry, "PUT", "/api/v1/repositories/alice/app/-/immutable-tags/v1", null).statusCode())
                    .isEqualTo(201);
            assertThat(skopeo.copy(creds.get(0), creds.get(1), "oci:" + layout.root() + ":three", target).ok()).isFalse();
            // Deleting the first manifest (untagged now) by digest.
            assertThat(skopeo.cmd("delete", "--creds", "alice:alice-password",
                    "docker://" + registry.hostPort() + "/alice/app@" + one.digest()).ok()).isTrue();
            receiver.await(6, WAIT);
            Thread.sleep(500);
            got = receiver.deliveries();
            assertThat(types(got)).hasSize(6).endsWith("manifest.deleted");
            assertThat(got).noneMatch(d -> d.body().contains(three.digest()));
            assertThat(OciLayout.JSON.readTree(got.get(5).body()).get("data").get("digest").asText())
                    .isEqualTo(one.digest());

            // The delivery log, a test ping and a redelivery through the API.
            HttpResponse<String> ping = api(registry, "POST", hook + "/ping", null);
            assertThat(ping.statusCode()).isEqualTo(200);
            assertThat(json(ping).get("success").asBoolean()).as(ping.body()).isTrue();
            assertThat(receiver.await(7, WAIT).getLast().header("Bollard-Event")).isEqualTo("webhook.ping");
            JsonNode log = json(api(registry, "GET", hook + "/deliveries?limit=3", null));
            assertThat(log.get("items")).hasSize(3);
            assertThat(log.get("items").get(0).get("event_type").asText()).isEqualTo("webhook.ping");
            assertThat(log.get("next_cursor").isTextual()).isTrue();
            JsonNode deleted = log.get("items").get(1);
            assertThat(deleted.get("event_type").asText()).isEqualTo("manifest.deleted");
            assertThat(deleted.get("status").asInt()).isEqualTo(204);
            JsonNode detail = json(api(registry, "GET", hook + "/deliveries/" + deleted.get("id").asLong(), null));
            assertThat(detail.get("request").get("body").asText()).isEqualTo(got.get(5).body());
            assertThat(detail.get("request").get("headers").get("Bollard-Signature").asText()).startsWith("sha256=");
            assertThat(detail.get("request").get("headers").get("X-Env").asText()).isEqualTo("(hidden)");
            HttpResponse<String> again = api(registry, "POST", hook + "/deliveries/" + deleted.get("id").asLong()
                    + "/redeliver", null);
            assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
            WebhookReceiver.Delivery redelivered = receiver.await(8, WAIT).getLast();
            assertThat(redelivered.body()).isEqualTo(got.get(5).body());
            assertThat(redelivered.signatureValid()).isTrue();

            String metrics = http.send(HttpRequest.newBuilder(registry.uri("/metrics")).header("Authorization",
                            "Basic " + Base64.getEncoder().encodeToString("root:root-password".getBytes(StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("bollard_events_published_total", "bollard_webhook_queue_depth",
                    "bollard_webhook_deliveries_total{outcome=\"success\"", "bollard_webhook_delivery_duration_seconds");

            assertThat(api(registry, "DELETE", hook, null).statusCode()).isEqualTo(204);
            assertThat(api(registry, "GET", hook, null).statusCode()).isEqualTo(404);
        }
    }
}
