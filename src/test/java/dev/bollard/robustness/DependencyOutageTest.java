package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.robustness.CrashDuringDeleteAndGcTest.Image;
import dev.bollard.robustness.RegistryClient.UnexpectedResponse;
import dev.bollard.testing.PostgresServer;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.S3Server;
import dev.bollard.testing.TestRegistry;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of what the registry depends on, injected while it serves (issue 13, "faults and recovery"):
 * <ul>
 * <li>PostgreSQL stopped (as an operator's restart does) under pushes and pulls: while it is down, every request
 *     that fails fails with a clear error ({@code 503 UNAVAILABLE}, the spec's error body; never a bare 500 or a hung
 *     request), {@code /readyz} answers 503; once it is back, the registry recovers without a restart — {@code /readyz}
 *     200 again, pushes work — and everything acknowledged, before, during and after, pulls back byte-identical;</li>
 * <li>the S3 server stopped in the middle of a push: the push fails cleanly and nothing of it is visible; back up,
 *     pushes work and nothing acknowledged was lost;</li>
 * <li>the file system of the blob store full (a tmpfs of a few MiB, mounted for the test, which needs root):
 *     an upload fails with a clear error, reads go on, and once space returns uploads work again.</li>
 * </ul>
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DependencyOutageTest {

    @TempDir
    Path tmp;

    private final Queue<Image> acked = new ConcurrentLinkedQueue<>();
    private final Queue<String> unclear = new ConcurrentLinkedQueue<>();
    private final AtomicInteger failedCleanly = new AtomicInteger();

    @Test
    void postgresRestartedUnderLoad() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        PostgresServer.Db db = pg.createDatabase();
        BollardConfig config = ConfigLoader.builder().set("data-dir", tmp.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0").set("auth.enabled", "false").set("database.url", db.url())
                .set("database.username", db.username()).set("database.password", db.password()).load();
        boolean stopped = false;
        try (TestRegistry registry = TestRegistry.start(config);
             RegistryClient client = new RegistryClient(registry.baseUri(), Duration.ofSeconds(30))) {
            SplittableRandom random = new SplittableRandom(42);
            Image before = CrashDuringDeleteAndGcTest.pushImage(client, "outage/pg", "before", random);
            acked.add(before);
            AtomicBoolean stop = new AtomicBoolean();
            Thread load = Thread.ofPlatform().name("load").start(() -> load(client, "outage/pg", before, stop));
            Thread.sleep(500);
            pg.stopForFaultTest();
            stopped = true;
            long downAt = System.nanoTime();
            int readyWhileDown = readyz(client);
            Thread.sleep(4_000);
            pg.startAgain();
            stopped = false;
            long upAt = System.nanoTime();
            int ready = 0;
            while (System.nanoTime() - upAt < TimeUnit.SECONDS.toNanos(30) && (ready = readyz(client)) != 200) {
                Thread.sleep(100);
            }
            Thread.sleep(1_000);
            stop.set(true);
            load.join(Duration.ofSeconds(60));
            System.out.printf("PostgreSQL down %d ms; %d requests failed cleanly, %d unclear; ready again after %d ms%n",
                    (upAt - downAt) / 1_000_000, failedCleanly.get(), unclear.size(), (System.nanoTime() - upAt) / 1_000_000);

            assertThat(readyWhileDown).as("/readyz while PostgreSQL is down").isEqualTo(503);
            assertThat(ready).as("/readyz within 30 s of PostgreSQL being back").isEqualTo(200);
            assertThat(failedCleanly.get()).as("requests that failed while PostgreSQL was down").isPositive();
            assertThat(unclear).as("answers while PostgreSQL was down other than success or 503 with the spec's"
                    + " error body").isEmpty();
            acked.add(CrashDuringDeleteAndGcTest.pushImage(client, "outage/pg", "after", random));
            verifyAcknowledged(client);
        } finally {
            if (stopped) {
                pg.startAgain();
            }
            db.drop();
        }
    }

    /** A web UI page whose session must be looked up says to come back in a moment, not "something went wrong". */
    @Test
    void aWebUiPageWhilePostgresIsDownSaysToComeBack() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        PostgresServer.Db db = pg.createDatabase();
        BollardConfig config = ConfigLoader.builder().set("data-dir", tmp.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0").set("database.url", db.url())
                .set("database.username", db.username()).set("database.password", db.password())
                .set("database.connection-timeout", "2s").load();
        boolean stopped = false;
        try (TestRegistry registry = TestRegistry.start(config);
             RegistryClient client = new RegistryClient(registry.baseUri(), Duration.ofSeconds(30))) {
            HttpRequest page = client.request("/repositories")
                    .header("Cookie", "bollard_session=bollard_session_" + "x".repeat(40)).GET().build();
            assertThat(client.send(page).statusCode()).as("an unknown session, PostgreSQL up: sign in").isEqualTo(303);
            pg.stopForFaultTest();
            stopped = true;
            long asked = System.nanoTime();
            HttpResponse<byte[]> whileDown = client.send(page);
            // database.connection-timeout, not HikariCP's 30 s (20 s leaves room for a loaded machine).
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(20));
            assertThat(whileDown.statusCode()).as("a web UI page while PostgreSQL is down").isEqualTo(503);
            assertThat(whileDown.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(RegistryClient.text(whileDown.body())).contains("database is unavailable just now");
        } finally {
            if (stopped) {
                pg.startAgain();
            }
            db.drop();
        }
    }

    @Test
    void s3StoppedMidPush() throws Exception {
        S3Server s3 = S3Server.startPrivate();
        ConfigLoader.Builder builder = ConfigLoader.builder().set("data-dir", tmp.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0").set("auth.enabled", "false");
        s3.settings(s3.createBucket()).forEach(builder::set);
        boolean stopped = false;
        try (TestRegistry registry = TestRegistry.start(builder.load());
             RegistryClient client = new RegistryClient(registry.baseUri(), Duration.ofSeconds(60))) {
            SplittableRandom random = new SplittableRandom(7);
            acked.add(CrashDuringDeleteAndGcTest.pushImage(client, "outage/s3", "before", random));

            // A blob of 3 chunks: the first goes to the store, then S3 goes away, then the rest.
            byte[] big = CrashDuringPushTest.randomBytes(random, 12 << 20);
            String digest = RegistryClient.sha256(big);
            String location = client.startUpload("outage/s3");
            location = RegistryClient.requireHeader(client.patch(location,
                    java.util.Arrays.copyOfRange(big, 0, 6 << 20), 0L), "Location");
            s3.stopForFaultTest();
            stopped = true;
            HttpResponse<byte[]> rest = client.send(client.request(RegistryClient.withQuery(location, "digest=" + digest))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(java.util.Arrays.copyOfRange(big, 6 << 20, big.length)))
                    .build());
            String answer = rest.statusCode() + " " + RegistryClient.abbreviate(RegistryClient.text(rest.body()));
            assertThat(clear(rest)).as("the push's last PUT while S3 is down answered %s", answer).isTrue();
            assertThat(rest.statusCode()).as("answered %s", answer).isEqualTo(503);
            HttpResponse<byte[]> head = client.head("/v2/outage/s3/blobs/" + digest);
            assertThat(head.statusCode()).as("HEAD of the blob whose push failed, S3 down").isIn(404, 503);
            assertThat(readyz(client)).as("/readyz while S3 is down").isEqualTo(503);

            s3.startAgain();
            stopped = false;
            assertThat(readyz(client)).as("/readyz with S3 back").isEqualTo(200);
            assertThat(client.head("/v2/outage/s3/blobs/" + digest).statusCode())
                    .as("HEAD of the blob whose push failed, S3 back").isEqualTo(404);
            client.pushBlobChunked("outage/s3", big, 3);
            acked.add(CrashDuringDeleteAndGcTest.pushImage(client, "outage/s3", "after", random));
            StoreVerifier verifier = new StoreVerifier(client);
            verifier.verifyBlob("outage/s3", digest, big.length, "blob pushed again after the outage");
            assertThat(verifier.violations()).isEmpty();
            verifyAcknowledged(client);
        } finally {
            if (stopped) {
                s3.startAgain();
            }
        }
    }

    @Test
    void diskFullDuringUploads() throws Exception {
        Requirements.root("mounts a tmpfs of 8 MiB as the blob store's file system");
        Path mount = Files.createDirectories(tmp.resolve("small"));
        exec("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString());
        try {
            BollardConfig config = ConfigLoader.builder().set("data-dir", tmp.resolve("data").toString())
                    .set("server.listen", "127.0.0.1:0").set("auth.enabled", "false")
                    .set("storage.path", mount.resolve("blobs").toString())
                    .set("uploads.path", mount.resolve("uploads").toString()).load();
            try (TestRegistry registry = TestRegistry.start(config);
                 RegistryClient client = new RegistryClient(registry.baseUri(), Duration.ofSeconds(30))) {
                SplittableRandom random = new SplittableRandom(3);
                Image before = CrashDuringDeleteAndGcTest.pushImage(client, "outage/disk", "before", random);
                acked.add(before);
                Path filler = mount.resolve("filler");
                Files.write(filler, new byte[(int) Files.getFileStore(mount).getUsableSpace() - 64 * 1024]);

                byte[] blob = CrashDuringPushTest.randomBytes(random, 1 << 20);
                String digest = RegistryClient.sha256(blob);
                HttpResponse<byte[]> monolithic = client.send(client.request("/v2/outage/disk/blobs/uploads/?digest="
                        + digest).header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build());
                String answer = monolithic.statusCode() + " " + RegistryClient.abbreviate(
                        RegistryClient.text(monolithic.body()));
                assertThat(clear(monolithic) && monolithic.statusCode() >= 500)
                        .as("a monolithic upload onto a full disk answered %s", answer).isTrue();
                assertThat(RegistryClient.text(monolithic.body())).as(answer).contains("UNAVAILABLE", "storage is full");
                String location = client.startUpload("outage/disk");
                HttpResponse<byte[]> chunk = client.send(client.request(location)
                        .header("Content-Type", "application/octet-stream")
                        .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(blob)).build());
                assertThat(clear(chunk) && chunk.statusCode() >= 500).as("a chunk onto a full disk answered %d %s",
                        chunk.statusCode(), RegistryClient.text(chunk.body())).isTrue();
                assertThat(client.head("/v2/outage/disk/blobs/" + digest).statusCode()).isEqualTo(404);
                verifyAcknowledged(client); // reads go on

                Files.delete(filler);
                client.pushBlobMonolithic("outage/disk", blob);
                acked.add(CrashDuringDeleteAndGcTest.pushImage(client, "outage/disk", "after", random));
                verifyAcknowledged(client);
                assertThat(readyz(client)).isEqualTo(200);
            }
        } finally {
            exec("umount", "-l", mount.toString());
        }
    }

    private void load(RegistryClient client, String repo, Image pulled, AtomicBoolean stop) {
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; !stop.get(); i++) {
            try {
                if (i % 2 == 0) {
                    HttpResponse<byte[]> r = client.getManifest(repo, pulled.tag());
                    if (r.statusCode() != 200) {
                        judge(r.statusCode(), RegistryClient.text(r.body()), "GET " + pulled.tag());
                    } else if (!java.util.Arrays.equals(r.body(), pulled.manifest())) {
                        unclear.add("GET " + pulled.tag() + ": other bytes");
                    }
                } else {
                    acked.add(CrashDuringDeleteAndGcTest.pushImage(client, repo, "load-" + i, random));
                }
            } catch (UnexpectedResponse e) {
                judge(e.status, e.body, e.getMessage());
            } catch (IOException e) {
                unclear.add(e.toString());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void judge(int status, String body, String what) {
        if (status == 503 && clear(body)) {
            failedCleanly.incrementAndGet();
        } else {
            unclear.add(what + " answered " + status + " " + RegistryClient.abbreviate(body));
        }
    }

    private static boolean clear(HttpResponse<byte[]> r) {
        return clear(RegistryClient.text(r.body()));
    }

    /** An error with the spec's body: {@code {"errors":[{"code":…,"message":…}]}}. */
    private static boolean clear(String body) {
        try {
            JsonNode code = RegistryClient.JSON.readTree(body).path("errors").path(0).path("code");
            return code.isTextual() && !code.asText().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static int readyz(RegistryClient client) throws Exception {
        return client.get("/readyz").statusCode();
    }

    private void verifyAcknowledged(RegistryClient client) throws Exception {
        StoreVerifier verifier = new StoreVerifier(client);
        List<String> problems = new ArrayList<>();
        for (Image image : acked) {
            HttpResponse<byte[]> r = client.getManifest(image.repo(), image.tag());
            if (r.statusCode() != 200 || !java.util.Arrays.equals(r.body(), image.manifest())) {
                problems.add("LOST: " + image.repo() + ":" + image.tag() + " answers " + r.statusCode());
            } else {
                verifier.verifyManifest(image.repo(), image.digest(), "acknowledged image");
            }
        }
        verifier.verifyApi();
        problems.addAll(verifier.violations());
        assertThat(problems).as("acknowledged images after the fault (%s)", verifier.summary()).isEmpty();
    }

    private static void exec(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("%s: %s", String.join(" ", command), out)
                .isTrue();
    }
}
