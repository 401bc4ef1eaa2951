package dev.bollard.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.Identities;
import dev.bollard.config.BollardConfig;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.RunsAlone;
import dev.bollard.testing.TestRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watch API as a client uses it: Server-Sent Events from {@code GET /api/v1/events?watch=true} while skopeo pushes.
 * A watcher of a tag sees a push move it within a second; a watcher that reconnects with {@code Last-Event-ID} gets
 * exactly what it missed meanwhile; a user without read permission on the private repository gets nothing of it (only
 * heartbeats), in the stream and in the listing; a superuser sees everything.
 */
// Alone: an event must reach its watcher within a second of the push.
@RunsAlone
class EventWatchTest {
    @TempDir
    Path dir;

    /** One event as the stream sent it. */
    record Sse(String id, String event, JsonNode data) {
    }

    /** A stream being read on a virtual thread: its events and its comment lines, as they come. */
    static final class Watch implements AutoCloseable {
        final BlockingQueue<Sse> events = new LinkedBlockingQueue<>();
        final BlockingQueue<String> comments = new LinkedBlockingQueue<>();
        final HttpResponse<InputStream> response;
        private final Thread reader;

        Watch(HttpClient http, URI uri, String basicAuth, String lastEventId) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream")
                    .header("Authorization", basicAuth);
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            reader = Thread.ofVirtual().start(this::read);
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String id = null;
                String event = null;
                StringBuilder data = new StringBuilder();
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.isEmpty()) {
                        if (id != null) {
                            events.add(new Sse(id, event, OciLayout.JSON.readTree(data.toString())));
                        }
                        id = null;
                        event = null;
                        data.setLength(0);
                    } else if (line.startsWith(":")) {
                        comments.add(line);
                    } else if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("event: ")) {
                        event = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        data.append(line.substring(6));
                    }
                }
            } catch (IOException e) {
                // closed by the test
            }
        }

        Sse next(Duration wait) throws InterruptedException {
            Sse e = events.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(e).as("an event within " + wait).isNotNull();
            return e;
        }

        @Override
        public void close() throws Exception {
            response.body().close();
            reader.interrupt();
            reader.join(5_000);
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aWatcherSeesAPushMoveItsTagWithinASecondResumesWithoutGapsAndOthersSeeNothing() throws Exception {
        Requirements.onPath("skopeo");
        OciLayout layout = OciLayout.create(dir.resolve("layout"));
        OciLayout.Descriptor one = layout.writeImage("linux", "amd64",
                List.of(Map.of("app.txt", "one\n".getBytes(StandardCharsets.UTF_8))));
        OciLayout.Descriptor two = layout.writeImage("linux", "amd64",
                List.of(Map.of("app.txt", "two\n".getBytes(StandardCharsets.UTF_8))));
        layout.tag(one, "one");
        layout.tag(two, "two");
        BollardConfig defaults = BollardConfig.defaults(dir.resolve("data"), "127.0.0.1", 0);
        try (TestRegistry registry = TestRegistry.start(defaults.withEvents(defaults.events()
                .withWatchHeartbeat(Duration.ofMillis(500))))) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("root", "root-password", true);
            ids.users().create("alice", "alice-password", false);
            ids.users().create("bob", "bob-password", false);
            Skopeo skopeo = new Skopeo(dir);
            String target = "docker://" + registry.hostPort() + "/alice/app:stable";
            List<String> alice = List.of("--dest-creds", "alice:alice-password");
            assertThat(skopeo.copy(List.of(), "--dest-creds", "alice:alice-password", "oci:" + layout.root() + ":one",
                    target).ok()).isTrue();
            HttpClient http = HttpClient.newHttpClient();
            URI stableOfApp = registry.uri("/api/v1/events?watch=true&repository=alice/app&tag=stable&type=tag.moved");
            String lastSeen;
            try (Watch aliceWatch = new Watch(http, stableOfApp, basic("alice", "alice-password"), null);
                 Watch bobWatch = new Watch(http, registry.uri("/api/v1/events?watch=true"), basic("bob", "bob-password"),
                         "0");
                 Watch rootWatch = new Watch(http, registry.uri("/api/v1/events?watch=true&repository=alice/*"),
                         basic("root", "root-password"), "0")) {
                assertThat(aliceWatch.response.statusCode()).isEqualTo(200);
                assertThat(aliceWatch.response.headers().firstValue("Content-Type").orElse(""))
                        .startsWith("text/event-stream");
                // the superuser, from the start: everything of the first push
                List<String> rootTypes = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    rootTypes.add(rootWatch.next(Duration.ofSeconds(10)).event());
                }
                assertThat(rootTypes).containsExactly("repository.created", "manifest.pushed", "tag.created");

                // the push that moves the tag: alice sees it within a second of skopeo's return
                assertThat(skopeo.copy(List.of(), alice.get(0), alice.get(1), "oci:" + layout.root() + ":two",
                        target).ok()).isTrue();
                long pushed = System.nanoTime();
                Sse moved = aliceWatch.next(Duration.ofSeconds(5));
                long latencyMillis = (System.nanoTime() - pushed) / 1_000_000;
                assertThat(latencyMillis).as("from the push to the event").isLessThan(1_000);
                assertThat(moved.event()).isEqualTo("tag.moved");
                assertThat(moved.data().get("repository").asText()).isEqualTo("alice/app");
                assertThat(moved.data().get("data").get("tag").asText()).isEqualTo("stable");
                assertThat(moved.data().get("data").get("digest").asText()).isEqualTo(two.digest());
                assertThat(moved.data().get("data").get("previous").asText()).isEqualTo(one.digest());
                assertThat(moved.id()).isEqualTo(moved.data().get("id").asText());
                lastSeen = moved.id();

                // bob may not read alice's private repository: heartbeats only, never an event
                assertThat(bobWatch.response.statusCode()).isEqualTo(200);
                assertThat(bobWatch.comments.poll(5, TimeUnit.SECONDS)).isNotNull();
                Thread.sleep(1_200);
                assertThat(bobWatch.comments.stream().filter(c -> c.startsWith(": heartbeat"))).isNotEmpty();
                assertThat(bobWatch.events).isEmpty();
            }

            // while alice is away, the tag moves twice more (and another tag is pushed)
            assertThat(skopeo.copy(List.of(), alice.get(0), alice.get(1), "oci:" + layout.root() + ":one",
                    target).ok()).isTrue();
            assertThat(skopeo.copy(List.of(), alice.get(0), alice.get(1), "oci:" + layout.root() + ":two",
                    "docker://" + registry.hostPort() + "/alice/app:other").ok()).isTrue();
            assertThat(skopeo.copy(List.of(), alice.get(0), alice.get(1), "oci:" + layout.root() + ":two",
                    target).ok()).isTrue();
            // she reconnects with the last id she saw: exactly the two moves she missed, in order, then nothing more
            try (Watch again = new Watch(http, stableOfApp, basic("alice", "alice-password"), lastSeen)) {
                Sse first = again.next(Duration.ofSeconds(10));
                Sse second = again.next(Duration.ofSeconds(10));
                assertThat(first.data().get("data").get("digest").asText()).isEqualTo(one.digest());
                assertThat(second.data().get("data").get("digest").asText()).isEqualTo(two.digest());
                assertThat(Long.parseLong(first.id())).isGreaterThan(Long.parseLong(lastSeen));
                assertThat(Long.parseLong(second.id())).isGreaterThan(Long.parseLong(first.id()));
                assertThat(again.events.poll(1_500, TimeUnit.MILLISECONDS)).isNull();
            }

            // the listing with the same cursor says the same; bob's says nothing; the cursor moves on either way
            JsonNode aliceList = list(http, registry.uri("/api/v1/events?since=" + lastSeen
                    + "&repository=alice/app&tag=stable&type=tag.moved"), basic("alice", "alice-password"));
            assertThat(aliceList.get("items")).hasSize(2);
            JsonNode bobList = list(http, registry.uri("/api/v1/events?since=0"), basic("bob", "bob-password"));
            assertThat(bobList.get("items")).isEmpty();
            assertThat(bobList.get("last_event_id").asLong()).isGreaterThan(Long.parseLong(lastSeen));
            JsonNode rootList = list(http, registry.uri("/api/v1/events?since=0&type=tag.created,tag.moved"),
                    basic("root", "root-password"));
            assertThat(rootList.get("items")).extracting(i -> i.get("type").asText())
                    .containsExactly("tag.created", "tag.moved", "tag.moved", "tag.created", "tag.moved");

            // bad input is a 400 with the API's error JSON, never a 500
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(registry.uri("/api/v1/events?type=tag.bent"))
                    .header("Authorization", basic("bob", "bob-password")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
            HttpResponse<String> badCursor = http.send(HttpRequest.newBuilder(registry.uri("/api/v1/events?since=x"))
                    .header("Authorization", basic("bob", "bob-password")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(badCursor.statusCode()).as(badCursor.body()).isEqualTo(400);
            HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(registry.uri("/api/v1/events")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
        }
    }

    private static JsonNode list(HttpClient http, URI uri, String auth) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).header("Authorization", auth).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return OciLayout.JSON.readTree(r.body());
    }
}
