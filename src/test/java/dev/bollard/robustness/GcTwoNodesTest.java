package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.ConfigLoader;
import dev.bollard.robustness.CrashDuringDeleteAndGcTest.Image;
import dev.bollard.robustness.RegistryClient.UnexpectedResponse;
import dev.bollard.testing.PostgresServer;
import dev.bollard.testing.S3Server;
import dev.bollard.testing.ServerProcess;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The garbage collector on two nodes: two registry processes on one PostgreSQL and one S3 bucket (s3proxy), each
 * with its collector due every 100 ms (grace period 2 s, no time-machine window), while clients push through both
 * and delete through both.
 * <ul>
 * <li>One node at a time holds the collector's lease: each node logs taking and giving up the lease (at DEBUG,
 *     switched on for {@code LeasedJob} here); the turns of the two nodes, read from their logs, never overlap, both
 *     nodes ran turns and skipped turns the other held.</li>
 * <li>No acknowledged image is lost: every image acknowledged and not deleted pulls back byte-identical, with all its
 *     blobs, through either node, after collections past the grace period.</li>
 * <li>A node killed (SIGKILL) while holding the lease blocks the collector until the lease expires ({@link #MIN_LEASE}
 *     past its last renewal: {@code workers.min-lease}, shortened from its default of 1 minute so that the test
 *     does not wait out a minute; the lease is the same code path whatever its length), and the other node takes
 *     over then.</li>
 * </ul>
 * <p>Shown failing with a lease that always succeeds ({@code OR TRUE} in {@code JobLeaseDao.acquire}'s condition): the
 * turns overlap check fails (node a's turn inside node b's).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GcTwoNodesTest {

    private static final Pattern LEASE_LINE = Pattern.compile(
            "^(\\S+) DEBUG .* - job gc: (lease taken by|giving up the lease of) (\\S+) ", Pattern.MULTILINE);
    private static final Duration PUSHING = Duration.ofSeconds(Long.getLong("bollard.gc2.seconds", 12));
    /**
     * The nodes' {@code workers.min-lease}: the collector's lease, its interval (100 ms) being shorter. Long enough
     * that a turn on this loaded machine renews it (each step of a turn beats) before it lapses — else the other node
     * would take it and the turns overlap — and that the kill lands well before it expires.
     */
    static final Duration MIN_LEASE = Duration.ofSeconds(15);

    @TempDir
    Path tmp;

    private final Queue<Image> acked = new ConcurrentLinkedQueue<>();
    private final Queue<Image> deleted = new ConcurrentLinkedQueue<>();
    private final Queue<String> clientErrors = new ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicInteger lostRaces = new java.util.concurrent.atomic.AtomicInteger();

    record Turn(String node, Instant from, Instant to) {
    }

    @Test
    void oneNodeAtATimeCollectsNothingAcknowledgedIsLostAndADeadHoldersLeaseIsTakenOver() throws Exception {
        PostgresServer.Db db = PostgresServer.shared().createDatabase();
        S3Server s3 = S3Server.shared();
        String bucket = s3.createBucket();
        Path logback = tmp.resolve("logback.xml");
        Files.writeString(logback, """
                <configuration>
                  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
                    <target>System.err</target>
                    <encoder><pattern>%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{30} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="dev.bollard.jobs.LeasedJob" level="DEBUG"/>
                  <logger name="bollard.access" level="OFF"/>
                  <logger name="org.eclipse.jetty" level="WARN"/>
                  <logger name="com.zaxxer.hikari" level="WARN"/>
                  <logger name="org.flywaydb" level="WARN"/>
                  <root level="INFO"><appender-ref ref="STDERR"/></root>
                </configuration>
                """);
        List<ServerProcess> nodes = new ArrayList<>();
        try (Connection sql = DriverManager.getConnection(db.url(), db.username(), db.password())) {
            for (String name : List.of("node-a", "node-b")) {
                ServerProcess.Builder b = ServerProcess.builder(tmp.resolve(name))
                        .jvmArgs("-Xmx256m", "-Dlogback.configurationFile=" + logback)
                        .env("BOLLARD_DATABASE_URL", db.url()).env("BOLLARD_DATABASE_USERNAME", db.username())
                        .env("BOLLARD_DATABASE_PASSWORD", db.password()).env("BOLLARD_DATABASE_MAX_POOL_SIZE", "8")
                        .env("BOLLARD_GC_INTERVAL", "100ms").env("BOLLARD_GC_GRACE_PERIOD", "2s")
                        .env("BOLLARD_HISTORY_WINDOW", "1ms")
                        .env("BOLLARD_WORKERS_MIN_LEASE", MIN_LEASE.toSeconds() + "s");
                for (Map.Entry<String, String> e : s3.settings(bucket).entrySet()) {
                    b.env(ConfigLoader.environmentName(e.getKey()), e.getValue());
                }
                nodes.add(b.start());
            }
            ServerProcess a = nodes.get(0);
            ServerProcess b = nodes.get(1);

            // Pushes and deletes through both nodes while both collect.
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            try (RegistryClient ca = new RegistryClient(a.baseUri(), Duration.ofSeconds(30));
                 RegistryClient cb = new RegistryClient(b.baseUri(), Duration.ofSeconds(30))) {
                for (int p = 0; p < 2; p++) {
                    RegistryClient client = p == 0 ? ca : cb;
                    String name = "push-" + p;
                    threads.add(Thread.ofPlatform().name(name).start(() -> pushLoop(client, name, stop)));
                }
                threads.add(Thread.ofPlatform().name("delete").start(() -> deleteLoop(ca, cb, stop)));
                // At least PUSHING, and on a loaded machine on until some images were pushed and deleted (at most 4x):
                // the checks below need both, and a fixed time gave none on a machine at a load average of 20.
                Thread.sleep(PUSHING.toMillis());
                long limit = System.nanoTime() + 3 * PUSHING.toNanos();
                while ((acked.size() < 4 || deleted.isEmpty()) && System.nanoTime() < limit) {
                    Thread.sleep(250);
                }
                stop.set(true);
                for (Thread t : threads) {
                    t.join(Duration.ofSeconds(60));
                }
            }
            assertThat(clientErrors).as("answers outside the contract").isEmpty();
            assertThat(lostRaces.get()).as("pushes that lost a race with the collector (of %d acknowledged)",
                    acked.size()).isLessThanOrEqualTo(acked.size() / 4 + 1);
            assertThat(acked).as("images pushed").isNotEmpty();
            assertThat(deleted).as("images deleted").isNotEmpty();
            List<Turn> turns = turns();
            List<Turn> turnsA = turns.stream().filter(t -> t.node().startsWith(a.pid() + "@")).toList();
            List<Turn> turnsB = turns.stream().filter(t -> t.node().startsWith(b.pid() + "@")).toList();
            assertThat(turnsA).as("collector turns of node a (pid %d) in its log", a.pid()).isNotEmpty();
            assertThat(turnsB).as("collector turns of node b (pid %d) in its log", b.pid()).isNotEmpty();
            for (Turn x : turnsA) {
                for (Turn y : turnsB) {
                    assertThat(x.to().isBefore(y.from()) || y.to().isBefore(x.from()))
                            .as("node a's turn %s and node b's turn %s overlap: both held the gc lease", x, y).isTrue();
                }
            }
            for (ServerProcess node : nodes) {
                String scrape = metrics(node);
                assertThat(CrashDuringDeleteAndGcTest.metric(scrape, "bollard_worker_skipped_total", "gc"))
                        .as("turns node %d skipped while the other held the lease", node.pid()).isPositive();
                assertThat(CrashDuringDeleteAndGcTest.metric(scrape, "bollard_worker_failures_total", "gc"))
                        .as("failed gc turns on node %d", node.pid()).isZero();
            }
            // Past the grace period: what was deleted is collectible, and collected by now.
            Thread.sleep(3_000);
            for (ServerProcess node : nodes) {
                verify(node);
            }
            System.out.printf("GcTwoNodesTest: %d images pushed, %d deleted, %d lost races; %d turns on node a, %d on"
                    + " node b%n", acked.size(), deleted.size(), lostRaces.get(), turnsA.size(), turnsB.size());

            // Freeze whichever node holds the lease in a turn, then kill it: its lease must lapse, not be released.
            ServerProcess holder = null;
            Instant expires = null;
            for (int attempt = 0; attempt < 2_000 && holder == null; attempt++) {
                Lease lease = lease(sql);
                if (lease == null) {
                    continue;
                }
                ServerProcess candidate = lease.holder().startsWith(a.pid() + "@") ? a : b;
                Exec.signal("STOP", candidate.pid());
                Lease again = lease(sql);
                if (again != null && again.holder().equals(lease.holder())) {
                    holder = candidate;
                    expires = again.expires();
                } else {
                    Exec.signal("CONT", candidate.pid());
                }
            }
            assertThat(holder).as("caught a node holding the gc lease").isNotNull();
            Instant killedAt = Instant.now();
            holder.kill9();
            ServerProcess survivor = holder == a ? b : a;
            System.out.printf("killed node %d holding the gc lease until %s; waiting for node %d to take it%n",
                    holder.pid(), expires, survivor.pid());
            assertThat(Duration.between(killedAt, expires)).as("lease left after the kill")
                    .isGreaterThan(MIN_LEASE.dividedBy(3));

            Instant takenAt = null;
            long deadline = System.nanoTime() + Duration.between(Instant.now(), expires).plusSeconds(30).toNanos();
            while (takenAt == null && System.nanoTime() < deadline) {
                takenAt = turns().stream().filter(t -> t.node().startsWith(survivor.pid() + "@"))
                        .map(Turn::from).filter(t -> t.isAfter(killedAt)).findFirst().orElse(null);
                Thread.sleep(200);
            }
            assertThat(takenAt).as("node %d took over the gc lease within 30 s of its expiry (%s)", survivor.pid(),
                    expires).isNotNull();
            assertThat(takenAt).as("node %d ran the collector before the dead holder's lease expired",
                    survivor.pid()).isAfterOrEqualTo(expires.minusMillis(50));
            verify(survivor);
        } finally {
            for (ServerProcess node : nodes) {
                Exec.signal("CONT", node.pid());
                node.stop();
            }
            db.drop();
        }
    }

    record Lease(String holder, Instant expires) {
    }

    /** The gc lease when a node holds it now, else null. */
    private static Lease lease(Connection sql) throws Exception {
        try (PreparedStatement s = sql.prepareStatement(
                "SELECT holder, expires_at FROM job_lease WHERE name = 'gc' AND holder IS NOT NULL");
             ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            Instant expires = rs.getObject(2, OffsetDateTime.class).toInstant();
            return expires.isAfter(Instant.now()) ? new Lease(rs.getString(1), expires) : null;
        }
    }

    /** The collector turns both nodes logged, by holder. */
    private List<Turn> turns() throws IOException {
        List<Turn> out = new ArrayList<>();
        for (String name : List.of("node-a", "node-b")) {
            String log = Files.readString(tmp.resolve(name).resolve("server.log"), StandardCharsets.ISO_8859_1);
            Matcher m = LEASE_LINE.matcher(log);
            Map<String, Instant> open = new java.util.HashMap<>();
            while (m.find()) {
                Instant at = OffsetDateTime.parse(m.group(1)).toInstant();
                if (m.group(2).startsWith("lease")) {
                    open.put(m.group(3), at);
                } else {
                    Instant from = open.remove(m.group(3));
                    if (from != null) {
                        out.add(new Turn(m.group(3), from, at));
                    }
                }
            }
            // A turn still running (or cut off by a kill) is open to now.
            open.forEach((holder, from) -> out.add(new Turn(holder, from, Instant.now())));
        }
        return out;
    }

    private static String metrics(ServerProcess node) throws Exception {
        try (RegistryClient c = new RegistryClient(node.baseUri())) {
            return RegistryClient.text(RegistryClient.expect(c.get("/metrics"), 200).body());
        }
    }

    private void verify(ServerProcess node) throws Exception {
        try (RegistryClient client = new RegistryClient(node.baseUri())) {
            StoreVerifier verifier = new StoreVerifier(client).verifyApi();
            List<String> problems = new ArrayList<>();
            for (Image image : acked) {
                boolean gone = deleted.contains(image);
                HttpResponse<byte[]> r = client.getManifest(image.repo(), image.digest());
                if (gone && r.statusCode() != 404) {
                    problems.add("deleted " + image.repo() + "@" + image.digest() + " answers " + r.statusCode());
                } else if (!gone && (r.statusCode() != 200 || !java.util.Arrays.equals(r.body(), image.manifest()))) {
                    problems.add("LOST: " + image.repo() + ":" + image.tag() + " answers " + r.statusCode());
                } else if (!gone) {
                    verifier.verifyManifest(image.repo(), image.digest(), "acknowledged image");
                }
            }
            problems.addAll(verifier.violations());
            assertThat(problems).as("through node %d (%s)", node.pid(), verifier.summary()).isEmpty();
        }
    }

    private void pushLoop(RegistryClient client, String name, AtomicBoolean stop) {
        SplittableRandom random = new SplittableRandom(name.hashCode());
        for (int i = 0; !stop.get(); i++) {
            try {
                acked.add(CrashDuringDeleteAndGcTest.pushImage(client, i % 2 == 0 ? "two/alpha" : "two/beta",
                        name + "-" + i, random));
            } catch (UnexpectedResponse e) {
                if (CrashDuringDeleteAndGcTest.lostRace(e)) {
                    lostRaces.incrementAndGet();
                } else {
                    clientErrors.add(name + ": " + e.getMessage());
                }
            } catch (IOException e) {
                clientErrors.add(name + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Deletes every other acknowledged image by digest, alternating the nodes. */
    private void deleteLoop(RegistryClient ca, RegistryClient cb, AtomicBoolean stop) {
        int n = 0;
        while (!stop.get()) {
            List<Image> candidates = acked.stream().filter(i -> !deleted.contains(i)).toList();
            if (candidates.size() < 2 || deleted.size() * 2 >= acked.size()) {
                sleepQuietly(50);
                continue;
            }
            Image image = candidates.get(n % candidates.size());
            RegistryClient client = n++ % 2 == 0 ? ca : cb;
            try {
                HttpResponse<byte[]> r = client.send(client.request("/v2/" + image.repo() + "/manifests/"
                        + image.digest()).DELETE().build());
                if (r.statusCode() == 202) {
                    deleted.add(image);
                } else {
                    clientErrors.add("DELETE " + image.digest() + " answered " + r.statusCode());
                }
            } catch (IOException e) {
                clientErrors.add("delete: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Signals to a process, as kill(1) sends them. */
    static final class Exec {
        private Exec() {
        }

        static void signal(String signal, long pid) throws IOException, InterruptedException {
            Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
