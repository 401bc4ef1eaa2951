package dev.bollard.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.ServerProcess;
import dev.bollard.testing.WebhookReceiver;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 between a change and its delivery: a registry process whose publisher has not run yet (its poll interval is
 * an hour) takes a push with skopeo and is killed; the next process on the same data delivers the push's events,
 * signed, from the outbox.
 */
class WebhookAfterKillTest {
    @TempDir
    Path dir;

    @Test
    void eventsCommittedBeforeAKillAreDeliveredByTheNextStart() throws Exception {
        Requirements.onPath("skopeo");
        OciLayout layout = OciLayout.create(dir.resolve("layout"));
        OciLayout.Descriptor image = layout.writeImage("linux", "amd64",
                List.of(Map.of("app.txt", "kill -9\n".getBytes(StandardCharsets.UTF_8))));
        layout.tag(image, "v1");
        Path data = dir.resolve("data");
        HttpClient http = HttpClient.newHttpClient();
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            try (ServerProcess first = ServerProcess.builder(data).jvmArgs("-Xmx256m")
                    .env("BOLLARD_EVENTS_POLL_INTERVAL", "1h")
                    .env("BOLLARD_EVENTS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true").start()) {
                HttpResponse<String> created = http.send(HttpRequest.newBuilder(first.uri("/api/v1/webhooks"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"" + receiver.url() + "\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
                receiver.secret(OciLayout.JSON.readTree(created.body()).get("secret").asText());
                String target = "docker://" + first.baseUri().getHost() + ":" + first.baseUri().getPort() + "/ns/app:v1";
                assertThat(new Skopeo(dir).copy("oci:" + layout.root() + ":v1", target).ok()).isTrue();
                Thread.sleep(500);
                assertThat(receiver.deliveries()).as("nothing published before the kill").isEmpty();
                first.kill9();
            }
            try (ServerProcess second = ServerProcess.builder(data).jvmArgs("-Xmx256m")
                    .env("BOLLARD_EVENTS_POLL_INTERVAL", "100ms")
                    .env("BOLLARD_EVENTS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true").start()) {
                List<WebhookReceiver.Delivery> got = receiver.await(2, Duration.ofSeconds(30));
                assertThat(got).extracting(d -> d.header("Bollard-Event")).containsExactly("manifest.pushed", "tag.created");
                assertThat(got).allSatisfy(d -> assertThat(d.signatureValid()).isTrue());
                JsonNode pushed = OciLayout.JSON.readTree(got.getFirst().body());
                assertThat(pushed.get("repository").asText()).isEqualTo("ns/app");
                assertThat(pushed.get("data").get("digest").asText()).isEqualTo(image.digest());
                assertThat(second.isAlive()).isTrue();
            }
        }
    }
}
