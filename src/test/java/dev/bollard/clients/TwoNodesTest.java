package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.Identities;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.metadata.Database;
import dev.bollard.testing.PostgresServer;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.S3Server;
import dev.bollard.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Bollard processes sharing one real PostgreSQL and one S3-compatible server (s3proxy), with access control on,
 * behave as one registry: an upload continues across nodes chunk by chunk, a token of one node works on the other,
 * concurrent pushes of one tag through both nodes end consistent, an upload cut off by a node's death continues on
 * the other, and skopeo pushes through one node and pulls through the other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoNodesTest {
    private static final int MIB = 1 << 20;
    private static final String USER = "admin";
    private static final String PASSWORD = "two-nodes-password-1";
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    private Path dir;

    private PostgresServer.Db db;
    private ServerProcess a;
    private ServerProcess b;
    private static final String KEY_ENCRYPTION_KEY = Base64.getEncoder().encodeToString(new byte[32]);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    void startTwoNodes(@TempDir Path tmp) throws Exception {
        dir = tmp;
        db = PostgresServer.shared().createDatabase(); // skips the class where PostgreSQL is not installed
        S3Server s3 = S3Server.shared();
        String bucket = s3.createBucket();

        // The admin exists before either node starts: created through the same database, as `bollard user create`
        // run against it would.
        BollardConfig.Database dbConfig = new BollardConfig.Database(db.url(), db.username(), db.password(), 2);
        try (Database database = Database.open(dbConfig)) {
            new Identities(database).users().create(USER, PASSWORD, true);
        }

        a = node("node-a", bucket, s3);
        b = node("node-b", bucket, s3);
    }

    private ServerProcess node(String name, String bucket, S3Server s3) throws Exception {
        ServerProcess.Builder builder = ServerProcess.builder(dir.resolve(name)).jvmArgs("-Xmx256m")
                .env("BOLLARD_AUTH_ENABLED", "true")
                .env("BOLLARD_DATABASE_URL", db.url())
                .env("BOLLARD_DATABASE_USERNAME", db.username())
                .env("BOLLARD_DATABASE_PASSWORD", db.password())
                .env("BOLLARD_DATABASE_MAX_POOL_SIZE", "8")
                // One key-encryption key on every node: each can open the signing keys the other created.
                .env("BOLLARD_AUTH_KEY_ENCRYPTION_KEY", KEY_ENCRYPTION_KEY);
        for (Map.Entry<String, String> e : s3.settings(bucket).entrySet()) {
            builder.env(ConfigLoader.environmentName(e.getKey()), e.getValue());
        }
        return builder.start();
    }

    @AfterAll
    void stopNodes() throws Exception {
        for (ServerProcess node : new ServerProcess[] {a, b}) {
            if (node != null) {
                node.stop();
            }
        }
        if (db != null) {
            db.drop();
        }
    }

    // ---- HTTP ----

    private static String basic() {
        return "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<byte[]> send(ServerProcess node, String method, String pathOrLocation, byte[] body,
                                      String authorization, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(node.uri(pathOrLocation)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            r.header("Authorization", authorization);
        }
        if (headers.length > 0) {
            r.headers(headers);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> expect(HttpResponse<byte[]> r, int status) {
        assertThat(r.statusCode()).as("%s %s answered: %s", r.request().method(), r.request().uri(),
                new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(status);
        return r;
    }

    private static String location(HttpResponse<byte[]> r) {
        String location = r.headers().firstValue("Location").orElseThrow();
        URI uri = URI.create(location);
        // Locations may be absolute (naming the node that answered): only the path and query travel to the other node.
        return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    private static String sha256(byte[] content) {
        return OciLayout.sha256(content);
    }

    private String token(ServerProcess node, String scope) throws Exception {
        HttpResponse<byte[]> r = expect(send(node, "GET", "/v2/auth?service=bollard&scope=" + scope, null, basic()), 200);
        return OciLayout.parse(r.body()).get("token").asText();
    }

    private String pushBlob(ServerProcess node, String repo, byte[] content) throws Exception {
        String digest = sha256(content);
        expect(send(node, "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, content, basic(),
                "Content-Type", "application/octet-stream"), 201);
        return digest;
    }

    // ---- the tests ----

    @Test
    void aTokenIssuedByOneNodeIsAcceptedByTheOther() throws Exception {
        String bearer = "Bearer " + token(a, "repository:team/token-app:pull,push");
        expect(send(b, "GET", "/v2/", null, null), 401);
        expect(send(b, "GET", "/v2/", null, bearer), 200);
        HttpResponse<byte[]> start = expect(send(b, "POST", "/v2/team/token-app/blobs/uploads/", null, bearer), 202);
        expect(send(a, "DELETE", location(start), null, bearer), 204);
        expect(send(b, "GET", "/v2/team/other-app/tags/list", null, bearer), 401);
    }

    @Test
    void anUploadStartedOnOneNodeContinuesChunkByChunkOnBothAndCompletesOnEither() throws Exception {
        for (boolean completeOnB : new boolean[] {true, false}) {
            String repo = "team/chunked-" + completeOnB;
            String bearer = "Bearer " + token(a, "repository:" + repo + ":pull,push");
            int[] chunks = {3 * MIB, 4 * MIB, 100, 6 * MIB, MIB + 7};
            byte[] all = new byte[Arrays.stream(chunks).sum()];
            ThreadLocalRandom.current().nextBytes(all);
            String digest = sha256(all);

            String location = location(expect(send(a, "POST", "/v2/" + repo + "/blobs/uploads/", null, bearer), 202));
            int offset = 0;
            for (int i = 0; i < chunks.length; i++) {
                ServerProcess node = i % 2 == 0 ? b : a; // A started it; B takes the first chunk
                int end = offset + chunks[i];
                HttpResponse<byte[]> p = expect(send(node, "PATCH", location, Arrays.copyOfRange(all, offset, end),
                        bearer, "Content-Type", "application/octet-stream",
                        "Content-Range", offset + "-" + (end - 1)), 202);
                assertThat(p.headers().firstValue("Range")).hasValue("0-" + (end - 1));
                location = location(p);
                offset = end;
                ServerProcess other = node == a ? b : a;
                HttpResponse<byte[]> status = expect(send(other, "GET", location, null, bearer), 204);
                assertThat(status.headers().firstValue("Range")).as("the other node sees the progress")
                        .hasValue("0-" + (end - 1));
            }
            ServerProcess closer = completeOnB ? b : a;
            String sep = location.contains("?") ? "&" : "?";
            expect(send(closer, "PUT", location + sep + "digest=" + digest, new byte[0], bearer), 201);
            for (ServerProcess node : new ServerProcess[] {a, b}) {
                HttpResponse<byte[]> g = expect(send(node, "GET", "/v2/" + repo + "/blobs/" + digest, null, bearer), 200);
                assertThat(g.body()).isEqualTo(all);
            }
        }
    }

    @Test
    void anUploadCutOffByANodesDeathContinuesOnTheOther() throws Exception {
        String repo = "team/survivor";
        byte[] all = new byte[7 * MIB + 11];
        ThreadLocalRandom.current().nextBytes(all);
        String location = location(expect(send(a, "POST", "/v2/" + repo + "/blobs/uploads/", null, basic()), 202));
        int half = 6 * MIB;
        location = location(expect(send(a, "PATCH", location, Arrays.copyOfRange(all, 0, half), basic(),
                "Content-Type", "application/octet-stream", "Content-Range", "0-" + (half - 1)), 202));
        a.kill9();
        try {
            HttpResponse<byte[]> status = expect(send(b, "GET", location, null, basic()), 204);
            assertThat(status.headers().firstValue("Range")).hasValue("0-" + (half - 1));
            String sep = location.contains("?") ? "&" : "?";
            expect(send(b, "PUT", location + sep + "digest=" + sha256(all), Arrays.copyOfRange(all, half, all.length),
                    basic(), "Content-Type", "application/octet-stream"), 201);
            assertThat(expect(send(b, "GET", "/v2/" + repo + "/blobs/" + sha256(all), null, basic()), 200).body())
                    .isEqualTo(all);
        } finally {
            a = a.restart();
        }
        assertThat(expect(send(a, "GET", "/v2/" + repo + "/blobs/" + sha256(all), null, basic()), 200).body())
                .isEqualTo(all);
    }

    @Test
    void racingChunksOfOneSessionOnBothNodesNeverMakeAWrongBlob() throws Exception {
        for (int round = 0; round < 3; round++) {
            String repo = "team/racing-" + round;
            String location = location(expect(send(a, "POST", "/v2/" + repo + "/blobs/uploads/", null, basic()), 202));
            byte[][] chunks = new byte[2][6 * MIB + round];
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<HttpResponse<byte[]>>> results = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    ThreadLocalRandom.current().nextBytes(chunks[i]);
                    ServerProcess node = i == 0 ? a : b;
                    byte[] chunk = chunks[i];
                    String at = location;
                    results.add(pool.submit(() -> send(node, "PATCH", at, chunk, basic(),
                            "Content-Type", "application/octet-stream", "Content-Range", "0-" + (chunk.length - 1))));
                }
                List<Integer> statuses = new ArrayList<>();
                for (Future<HttpResponse<byte[]>> f : results) {
                    statuses.add(f.get().statusCode());
                }
                assertThat(statuses).as("one chunk counts, a loser is told where the session stands")
                        .contains(202).allMatch(s -> s == 202 || s == 416);
                for (int i = 0; i < 2; i++) {
                    if (statuses.get(i) != 202) {
                        continue;
                    }
                    String digest = sha256(chunks[i]);
                    String sep = location.contains("?") ? "&" : "?";
                    HttpResponse<byte[]> done = send(a, "PUT", location + sep + "digest=" + digest, new byte[0], basic());
                    if (done.statusCode() == 201) {
                        assertThat(expect(send(b, "GET", "/v2/" + repo + "/blobs/" + digest, null, basic()), 200)
                                .body()).as("the blob is exactly the chunk that counted").isEqualTo(chunks[i]);
                    } else {
                        // The loser overwrote the winner's part after the winner counted: the session is dropped.
                        assertThat(done.statusCode()).as(new String(done.body(), StandardCharsets.UTF_8))
                                .isEqualTo(400);
                        assertThat(new String(done.body(), StandardCharsets.UTF_8)).contains("BLOB_UPLOAD_INVALID");
                        expect(send(b, "GET", "/v2/" + repo + "/blobs/" + digest, null, basic()), 404);
                    }
                    break;
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void concurrentPushesOfOneTagThroughBothNodesEndConsistent() throws Exception {
        String repo = "team/contended";
        String config = pushBlob(a, repo, "{}".getBytes(StandardCharsets.UTF_8));
        int pushes = 16;
        List<String> manifests = new ArrayList<>();
        for (int i = 0; i < pushes; i++) {
            byte[] layer = ("layer " + i + " " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
            String layerDigest = pushBlob(i % 2 == 0 ? a : b, repo, layer);
            manifests.add("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                    + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config + "\",\"size\":2},"
                    + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
                    + layerDigest + "\",\"size\":" + layer.length + "}]}");
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        Set<String> pushed = new HashSet<>();
        try {
            List<Future<HttpResponse<byte[]>>> results = new ArrayList<>();
            for (int i = 0; i < pushes; i++) {
                ServerProcess node = i % 2 == 0 ? a : b;
                byte[] body = manifests.get(i).getBytes(StandardCharsets.UTF_8);
                pushed.add(sha256(body));
                results.add(pool.submit(() -> send(node, "PUT", "/v2/" + repo + "/manifests/latest", body, basic(),
                        "Content-Type", OCI_MANIFEST)));
            }
            for (Future<HttpResponse<byte[]>> f : results) {
                expect(f.get(), 201);
            }
        } finally {
            pool.shutdownNow();
        }

        String onA = expect(send(a, "HEAD", "/v2/" + repo + "/manifests/latest", null, basic(),
                "Accept", OCI_MANIFEST), 200).headers().firstValue("Docker-Content-Digest").orElseThrow();
        String onB = expect(send(b, "HEAD", "/v2/" + repo + "/manifests/latest", null, basic(),
                "Accept", OCI_MANIFEST), 200).headers().firstValue("Docker-Content-Digest").orElseThrow();
        assertThat(onA).as("both nodes name the same manifest").isEqualTo(onB).isIn(pushed);
        JsonNode tags = OciLayout.parse(expect(send(b, "GET", "/v2/" + repo + "/tags/list", null, basic()), 200).body());
        assertThat(tags.get("tags").toString()).isEqualTo("[\"latest\"]");

        // The tag's history: one assignment per push, lifetimes that never overlap, the open one the current tag.
        try (Connection c = DriverManager.getConnection(db.url(), db.username(), db.password());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("""
                     SELECT h.manifest_digest, h.lifetime_start, h.lifetime_end FROM tag_history h
                     JOIN repository r ON r.id = h.repository_id
                     WHERE r.name = 'team/contended' AND h.name = 'latest' ORDER BY h.lifetime_start, h.id""")) {
            List<String[]> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(new String[] {rs.getString(1), String.valueOf(rs.getTimestamp(2).toInstant()),
                        rs.getTimestamp(3) == null ? null : String.valueOf(rs.getTimestamp(3).toInstant())});
            }
            assertThat(rows).hasSize(pushes);
            assertThat(rows.stream().filter(r -> r[2] == null).toList()).as("exactly one open assignment")
                    .singleElement().satisfies(r -> assertThat(r[0]).isEqualTo(onA));
            for (int i = 0; i + 1 < rows.size(); i++) {
                assertThat(rows.get(i)[2]).as("assignment %d ends where the next begins", i)
                        .isEqualTo(rows.get(i + 1)[1]);
            }
        }
    }

    @Test
    void skopeoPushesThroughOneNodeAndPullsThroughTheOther() throws Exception {
        Requirements.onPath("skopeo", "umoci");
        Path work = Files.createDirectories(dir.resolve("skopeo"));
        Exec exec = new Exec(work);
        Path layout = work.resolve("source");
        String image = layout + ":v1";
        List<String> rootless = "root".equals(System.getProperty("user.name")) ? List.of() : List.of("--rootless");
        byte[] random = new byte[7 * MIB + 4321]; // a layer of more than one S3 part
        ThreadLocalRandom.current().nextBytes(random);
        Path big = Files.write(work.resolve("random.bin"), random);
        Path small = Files.writeString(work.resolve("motd"), "two nodes\n");
        exec.ok("umoci", "init", "--layout", layout.toString());
        exec.ok("umoci", "new", "--image", image);
        exec.ok(Exec.concat(Exec.concat(List.of("umoci", "insert"), rootless.toArray(String[]::new)),
                "--image", image, big.toString(), "/data/random.bin"));
        exec.ok(Exec.concat(Exec.concat(List.of("umoci", "insert"), rootless.toArray(String[]::new)),
                "--image", image, small.toString(), "/etc/motd"));
        exec.ok("umoci", "config", "--image", image, "--architecture", "amd64", "--os", "linux");
        OciLayout source = new OciLayout(layout);
        OciLayout.Descriptor manifest = source.resolve("v1");

        Skopeo skopeo = new Skopeo(work);
        String creds = USER + ":" + PASSWORD;
        String onA = "docker://" + a.baseUri().getAuthority() + "/team/skopeo:v1";
        String onB = "docker://" + b.baseUri().getAuthority() + "/team/skopeo:v1";
        ok(skopeo.copy("--dest-creds", creds, "oci:" + image, onA));
        Path pulledLayout = work.resolve("pulled");
        ok(skopeo.copy("--src-creds", creds, onB, "oci:" + pulledLayout + ":v1"));

        OciLayout pulled = new OciLayout(pulledLayout);
        assertThat(pulled.resolve("v1").digest()).isEqualTo(manifest.digest());
        Map<String, String> blobs = pulled.reachable(pulled.resolve("v1"));
        assertThat(blobs).isEqualTo(source.reachable(manifest));
        for (String digest : blobs.keySet()) {
            assertThat(pulled.readBlob(digest)).as("bytes of %s pulled through node B", digest)
                    .isEqualTo(source.readBlob(digest));
        }
        assertThat(pulled.corruptBlobs()).isEmpty();
    }
}
