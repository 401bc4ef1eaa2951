package dev.bollard.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.audit.Actor;
import dev.bollard.config.BollardConfig;
import dev.bollard.oci.Digest;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.TagPattern;
import dev.bollard.testing.Cli;
import dev.bollard.testing.TestDatabase;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What clients see of the life-cycle policies over the distribution API (the spec's error JSON, refused before the
 * body when the size is announced), and {@code bollard gc --dry-run} / {@code bollard gc} on a stopped registry.
 */
class LifecycleHttpTest {
    private static final Actor ADMIN = new Actor(Actor.Kind.USER, "admin", "127.0.0.1", "test");

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> send(TestRegistry r, String method, String path, String type, byte[] body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(r.uri(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).path("errors").path(0);
    }

    @Test
    void anImmutableTagIsRefusedWithDeniedNamingTheRule() throws Exception {
        BollardConfig config = LifecycleFixture.config(dir.resolve("data"));
        try (TestRegistry r = TestRegistry.start(config);
             LifecycleFixture f = new LifecycleFixture(config, r.server().database())) {
            f.registry.immutableTags().add(ADMIN, new RepositoryName("acme/app"), new TagPattern("v*"));
            f.image("acme/app", "v1", LifecycleFixture.bytes("1", 100));
            LifecycleFixture.Image other = f.image("acme/app", "latest", LifecycleFixture.bytes("2", 100));

            HttpResponse<String> move = send(r, "PUT", "/v2/acme/app/manifests/v1", LifecycleFixture.OCI_MANIFEST,
                    other.manifest());
            assertThat(move.statusCode()).isEqualTo(403);
            assertThat(error(move).path("code").asText()).isEqualTo("DENIED");
            assertThat(error(move).path("message").asText()).contains("immutable (rule 'v*')");
            assertThat(error(move).path("detail").path("rule").asText()).isEqualTo("v*");

            HttpResponse<String> delete = send(r, "DELETE", "/v2/acme/app/manifests/v1", null, null);
            assertThat(delete.statusCode()).isEqualTo(403);
            assertThat(error(delete).path("message").asText()).contains("cannot be deleted");
        }
    }

    @Test
    void aPushPastTheQuotaIsRefusedBeforeItsBodyWhenItsSizeIsAnnounced() throws Exception {
        BollardConfig config = LifecycleFixture.config(dir.resolve("data"));
        try (TestRegistry r = TestRegistry.start(config);
             LifecycleFixture f = new LifecycleFixture(config, r.server().database())) {
            f.registry.quotas().set(ADMIN, "acme", 1000L, null);
            byte[] blob = LifecycleFixture.bytes("big", 1500);
            HttpResponse<String> post = send(r, "POST", "/v2/acme/app/blobs/uploads/?digest=" + Digest.sha256(blob),
                    "application/octet-stream", blob);
            assertThat(post.statusCode()).isEqualTo(403);
            assertThat(error(post).path("code").asText()).isEqualTo("DENIED");
            assertThat(error(post).path("message").asText()).contains("storage quota of namespace acme exceeded");
            assertThat(f.registry.quotas().usage("acme").usedBytes()).isZero();

            byte[] small = LifecycleFixture.bytes("small", 500);
            assertThat(send(r, "POST", "/v2/acme/app/blobs/uploads/?digest=" + Digest.sha256(small),
                    "application/octet-stream", small).statusCode()).isEqualTo(201);
            assertThat(f.registry.quotas().usage("acme").usedBytes()).isEqualTo(500);
        }
    }

    @Test
    void bollardGcDryRunReportsWhatWouldBeFreedAndBollardGcFreesIt() throws Exception {
        Path data = dir.resolve("data");
        Digest unique;
        try (LifecycleFixture f = new LifecycleFixture(data)) {
            unique = f.blob("acme/app", LifecycleFixture.bytes("unreferenced", 4321));
        }
        // BOLLARD_* is not set in tests; the grace period comes from a file.
        Path file = java.nio.file.Files.writeString(dir.resolve("bollard.yml"), "gc:\n  grace-period: 1ms\n");
        Thread.sleep(5);

        Cli.Result dry = Cli.run("gc", "--dry-run", "--list", "--data", data.toString(), "--config", file.toString());
        assertThat(dry.exit()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("would free 0 manifest(s), 1 blob link(s), 1 blob(s) of 4321 bytes")
                .contains("blob " + unique);
        Cli.Result run = Cli.run("gc", "--data", data.toString(), "--config", file.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("freed 0 manifest(s), 1 blob link(s), 1 blob(s) of 4321 bytes");
        assertThat(Cli.run("gc", "--dry-run", "--data", data.toString(), "--config", file.toString()).out())
                .contains("would free 0 manifest(s), 0 blob link(s), 0 blob(s) of 0 bytes");
    }

    /**
     * A dry run that frees nothing says why: what the grace period keeps (an untagged image and a loose blob, not
     * the tagged image) and when it becomes collectible; and the open upload session, with when it expires. On both
     * databases, since the account reads the metadata.
     */
    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void gcDryRunSaysWhatTheGracePeriodKeepsUntilWhenAndWhenOpenUploadsExpire(String kind) throws Exception {
        Path data = dir.resolve("data");
        try (TestDatabase database = TestDatabase.of(kind, dir)) {
            BollardConfig.Database db = database.config(4);
            Path file = java.nio.file.Files.writeString(dir.resolve("bollard.yml"), "database:\n  url: \"" + db.url()
                    + "\"\n  username: \"" + db.username() + "\"\n  password: \"" + db.password() + "\"\n");
            Instant before = Instant.now();
            try (LifecycleFixture f = new LifecycleFixture(data, "database.url", db.url(), "database.username",
                    db.username(), "database.password", db.password())) {
                f.image("acme/app", "v1", LifecycleFixture.bytes("kept by its tag", 5000));
                // v2 moves: its first image is untagged now, and the time machine keeps it, not the grace period.
                f.image("acme/app", "v2", LifecycleFixture.bytes("v2 before it moved", 500));
                f.image("acme/app", "v2", LifecycleFixture.bytes("v2 after it moved", 500));
                f.image("acme/app", null, LifecycleFixture.bytes("untagged", 1000));
                f.blob("acme/app", LifecycleFixture.bytes("loose", 2000));
                RepositoryName app = new RepositoryName("acme/app");
                String upload = f.registry.uploads().start(app).uploadId();
                f.registry.uploads().append(app, upload, new java.io.ByteArrayInputStream(
                        LifecycleFixture.bytes("half an upload", 3000)), 0L, 3000L);
            }
            Instant after = Instant.now();

            Cli.Result dry = Cli.run("gc", "--dry-run", "--data", data.toString(), "--config", file.toString());
            assertThat(dry.exit()).as(dry.err()).isZero();
            assertThat(dry.out()).contains("would free 0 manifest(s), 0 blob link(s), 0 blob(s) of 0 bytes",
                    "; would expire 0 upload session(s) idle for 24h\n");
            java.util.regex.Matcher grace = java.util.regex.Pattern.compile("grace     1 manifest\\(s\\), 3 blob link\\(s\\) "
                    + "and 3 blob\\(s\\) of 3\\.0 KiB are unreferenced but inside the grace period of 24h \\(gc.grace-period\\); "
                    + "collectible (?:after (\\S+)|from (\\S+) \\(the first\\) to (\\S+) \\(the last\\)), unless pushed or "
                    + "referenced again meanwhile\n").matcher(dry.out()); // "after": all within one second
            assertThat(grace.find()).as(dry.out()).isTrue();
            for (int i = 1; i <= 3; i++) {
                if (grace.group(i) == null) {
                    continue;
                }
                assertThat(Instant.parse(grace.group(i))).isBetween(before.plus(Duration.ofHours(24)),
                        after.plus(Duration.ofHours(24)).plusSeconds(1)); // printed to the second, rounded up
            }
            java.util.regex.Matcher history = historyLine(dry.out());
            assertThat(Instant.parse(history.group(1))).isBetween(before.plus(Duration.ofDays(14)),
                    after.plus(Duration.ofDays(14)).plusSeconds(1));
            assertThat(history.group(1)).doesNotContain("."); // whole seconds
            java.util.regex.Matcher uploads = java.util.regex.Pattern.compile("uploads   1 session\\(s\\) open \\(in progress "
                    + "or interrupted\\), holding 2\\.9 KiB; a session expires once idle for 24h \\(uploads.expiry\\): at "
                    + "(\\S+), unless resumed\n").matcher(dry.out());
            assertThat(uploads.find()).as(dry.out()).isTrue();
            assertThat(Instant.parse(uploads.group(1))).isBetween(before.plus(Duration.ofHours(24)),
                    after.plus(Duration.ofHours(24)));

            // Past the grace period everything it kept is collectible, and the line says nothing is inside it.
            java.nio.file.Files.writeString(file, "gc:\n  grace-period: 1ms\n", java.nio.file.StandardOpenOption.APPEND);
            Thread.sleep(5);
            Cli.Result past = Cli.run("gc", "--dry-run", "--data", data.toString(), "--config", file.toString());
            assertThat(past.out()).contains("would free 1 manifest(s), 3 blob link(s), 3 blob(s)",
                    "grace     nothing unreferenced is inside the grace period of 1ms (gc.grace-period)");
            // The window (14 days) still keeps the image v2 left, though its grace is long over.
            assertThat(historyLine(past.out()).group(1)).isEqualTo(history.group(1));

            java.nio.file.Files.writeString(file, "history:\n  window: 1ms\n", java.nio.file.StandardOpenOption.APPEND);
            Thread.sleep(5);
            Cli.Result windowPast = Cli.run("gc", "--dry-run", "--data", data.toString(), "--config", file.toString());
            assertThat(windowPast.out()).contains("would free 2 manifest(s)", "history   no untagged manifest is kept "
                    + "only by the time machine's window (history.window, or the organization's own)");
        }
    }

    /** The dry run's {@code history} line for one manifest the time machine keeps; group 1 is when it goes. */
    private static java.util.regex.Matcher historyLine(String out) {
        java.util.regex.Matcher history = java.util.regex.Pattern.compile("history   1 untagged manifest\\(s\\), with "
                + "what they reference, are kept by the time machine's window \\(history.window, or the organization's "
                + "own\\) so that their tags can be restored; collectible after (\\S+), unless tagged or restored "
                + "meanwhile\n").matcher(out);
        assertThat(history.find()).as(out).isTrue();
        return history;
    }

    /**
     * A push a client broke off (the connection closed in the middle of a PATCH) leaves an open session: the account
     * of open sessions counts the bytes it holds and says when it expires; a sweep now expires nothing.
     */
    @Test
    void aBrokenOffUploadStaysOpenWithItsBytesUntilItExpires() throws Exception {
        BollardConfig config = LifecycleFixture.config(dir.resolve("data"));
        try (TestRegistry r = TestRegistry.start(config);
             LifecycleFixture f = new LifecycleFixture(config, r.server().database())) {
            HttpResponse<String> start = send(r, "POST", "/v2/acme/app/blobs/uploads/", null, null);
            assertThat(start.statusCode()).isEqualTo(202);
            String location = start.headers().firstValue("Location").orElseThrow();
            byte[] part = LifecycleFixture.bytes("first part", 300_000);
            try (java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), r.baseUri().getPort())) {
                java.io.OutputStream out = socket.getOutputStream();
                out.write(("PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream"
                        + "\r\nContent-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(part);
                out.flush();
                Thread.sleep(500); // the server writes what arrived before the connection goes
            }
            Duration expiry = config.uploads().expiry();
            dev.bollard.registry.BlobUploads.OpenSessions open = null;
            for (int i = 0; i < 50; i++) {
                open = f.registry.uploads().open(expiry);
                if (open.bytes() > 0) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(open.sessions()).isEqualTo(1);
            assertThat(open.bytes()).as("the bytes received before the break").isBetween(1L, 300_000L);
            assertThat(open.expirable()).isZero();
            assertThat(open.firstExpiry()).isAfter(Instant.now().plus(expiry).minusSeconds(60));
            assertThat(f.registry.uploads().expireIdle(Instant.now().minus(expiry))).isZero();
        }
    }
}
