package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.RunsAlone;
import dev.bollard.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of short client sessions, each on a new connection and doing what docker and skopeo do for a pull
 * (ping → 401, token with Basic credentials, manifest, blob), against fresh servers with access control on while
 * other threads keep the CPUs busy: every request must be answered within seconds, and the server's watchdog must
 * not have seen a request left unanswered. Issue 13 saw one request in about 50 skopeo runs never answered.
 */
// Alone: it keeps every CPU busy on purpose, and bounds each answer at 10 s.
@RunsAlone
class UnansweredRequestSoakTest {
    private static final int SERVERS = 3;
    private static final Duration PER_SERVER = Duration.ofSeconds(15);
    private static final int CLIENTS = 16;
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(10);
    private static final Pattern OVERDUE = Pattern.compile("(?m)^http_server_requests_overdue_total(?:\\{[^}]*})? (\\S+)$");

    @TempDir
    Path dir;

    @Test
    void everyRequestOfThousandsOfShortSessionsUnderCpuLoadIsAnswered() throws Exception {
        AtomicBoolean burning = new AtomicBoolean(true);
        List<Thread> burners = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            burners.add(Thread.ofPlatform().daemon().name("cpu-burner-" + i).start(() -> {
                long x = 0;
                while (burning.get()) {
                    x = x * 31 + System.nanoTime();
                }
                if (x == 42) {
                    System.out.print(""); // keeps the loop from being optimised away
                }
            }));
        }
        int sessions = 0;
        try {
            for (int s = 0; s < SERVERS; s++) {
                sessions += soak(dir.resolve("server-" + s));
            }
        } finally {
            burning.set(false);
            for (Thread t : burners) {
                t.join();
            }
        }
        System.out.println("soak: " + sessions + " sessions on " + SERVERS + " fresh servers, each answered");
        assertThat(sessions).as("sessions run (the machine was too slow to mean anything otherwise)")
                .isGreaterThan(SERVERS * 100);
    }

    /** One fresh server: sets up a repository with one image, then runs sessions for a while. Returns how many. */
    private int soak(Path dataDir) throws Exception {
        BollardConfig config = ConfigLoader.builder().set("data-dir", dataDir.toString())
                .set("server.listen", "127.0.0.1:0").set("server.request-warning-after", "5s").load();
        try (TestRegistry registry = TestRegistry.start(config)) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("alice", "alice-password", false);
            ids.users().create("root", "root-password", true);
            ids.organizations().create("acme", "alice");
            String robot = ids.robots().create("acme", "ci");
            ids.repositories().grant("acme/app", "acme+ci", "write");
            String robotBasic = basic("acme+ci", robot);
            String userBasic = basic("alice", "alice-password");
            URI base = registry.baseUri();
            String layer = push(base, robotBasic);

            ConcurrentLinkedQueue<String> unanswered = new ConcurrentLinkedQueue<>();
            AtomicInteger done = new AtomicInteger();
            long until = System.nanoTime() + PER_SERVER.toNanos();
            try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    running.add(clients.submit(() -> {
                        for (int n = 0; System.nanoTime() < until && unanswered.isEmpty(); n++) {
                            // One session in 40 logs in with a password (Argon2id), the rest with the robot's token.
                            String credentials = (n + client) % 40 == 0 ? userBasic : robotBasic;
                            session(base, credentials, layer, unanswered);
                            done.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : running) {
                    f.get();
                }
            }
            assertThat(unanswered).as("requests not answered within " + ANSWER_WITHIN).isEmpty();
            assertThat(overdue(base, basic("root", "root-password")))
                    .as("requests the server's watchdog saw unanswered").isZero();
            return done.get();
        }
    }

    /** ping → 401, token, manifest, blob: each on the session's own connection, each answered in time. */
    private static void session(URI base, String basic, String layer, ConcurrentLinkedQueue<String> unanswered) {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(ANSWER_WITHIN).build()) {
            HttpResponse<String> ping = send(http, get(base, "/v2/"), unanswered);
            if (ping == null) {
                return;
            }
            assertThat(ping.statusCode()).isEqualTo(401);
            HttpResponse<String> token = send(http, get(base, "/v2/auth?service=bollard&scope=repository:acme/app:pull")
                    .header("Authorization", basic), unanswered);
            if (token == null) {
                return;
            }
            assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
            String bearer = "Bearer " + field(token.body(), "token");
            HttpResponse<String> manifest = send(http, get(base, "/v2/acme/app/manifests/v1")
                    .header("Accept", "application/vnd.oci.image.manifest.v1+json").header("Authorization", bearer),
                    unanswered);
            if (manifest == null) {
                return;
            }
            assertThat(manifest.statusCode()).isEqualTo(200);
            HttpResponse<String> blob = send(http, get(base, "/v2/acme/app/blobs/" + layer)
                    .header("Authorization", bearer), unanswered);
            if (blob != null) {
                assertThat(blob.statusCode()).isEqualTo(200);
            }
        }
    }

    private static HttpRequest.Builder get(URI base, String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(ANSWER_WITHIN).GET();
    }

    /** The response, or null (recorded) when none came within {@link #ANSWER_WITHIN}. */
    private static HttpResponse<String> send(HttpClient http, HttpRequest.Builder request,
                                             ConcurrentLinkedQueue<String> unanswered) {
        HttpRequest r = request.build();
        try {
            return http.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            unanswered.add(r.method() + " " + r.uri() + ": " + e);
            return null;
        } catch (Exception e) {
            throw new AssertionError(r.method() + " " + r.uri() + " failed", e);
        }
    }

    /** Pushes acme/app:v1 (a config and one layer) with the robot; returns the layer's digest. */
    private static String push(URI base, String robotBasic) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> token = http.send(get(base,
                    "/v2/auth?service=bollard&scope=repository:acme/app:pull,push").header("Authorization", robotBasic)
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
            String bearer = "Bearer " + field(token.body(), "token");
            byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                    .getBytes(StandardCharsets.UTF_8);
            byte[] layer = new byte[64 * 1024];
            for (int i = 0; i < layer.length; i++) {
                layer[i] = (byte) (i * 7);
            }
            String configDigest = blob(http, base, bearer, config);
            String layerDigest = blob(http, base, bearer, layer);
            String manifest = """
                    {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
                     "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},
                     "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
                    .formatted(configDigest, config.length, layerDigest, layer.length);
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(base.resolve("/v2/acme/app/manifests/v1"))
                    .header("Authorization", bearer)
                    .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                    .PUT(HttpRequest.BodyPublishers.ofString(manifest)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
            return layerDigest;
        }
    }

    private static String blob(HttpClient http, URI base, String bearer, byte[] bytes) throws Exception {
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v2/acme/app/blobs/uploads/?digest="
                        + digest)).header("Authorization", bearer).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return digest;
    }

    private static double overdue(URI base, String superuser) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String metrics = http.send(HttpRequest.newBuilder(base.resolve("/metrics"))
                            .header("Authorization", superuser).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = OVERDUE.matcher(metrics);
            assertThat(m.find()).as("the overdue counter is exported").isTrue();
            return Double.parseDouble(m.group(1));
        }
    }

    private static String basic(String user, String secret) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
        assertThat(m.find()).as(json).isTrue();
        return m.group(1);
    }
}
