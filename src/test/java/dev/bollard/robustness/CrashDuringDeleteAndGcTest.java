package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.ConfigLoader;
import dev.bollard.robustness.RegistryClient.UnexpectedResponse;
import dev.bollard.testing.PostgresServer;
import dev.bollard.testing.S3Server;
import dev.bollard.testing.ServerProcess;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Killing the process at any point never leaves a corrupt or half-visible blob, manifest or tag" — for the
 * registry's deleting work: the garbage collector (its own, every 150 ms with a grace period of 2 s and no
 * time-machine window, so that it has deleted manifests, links and blobs to remove in every round), a retention
 * policy (keep the last 2 tags of {@code chaos/retained}, applied every 200 ms), and clients deleting manifests by
 * digest and tags, while pushers go on. The registry runs in its own process and is killed with SIGKILL at a random
 * moment of each round (after its first acknowledged push), then restarted on the same data, on H2 + file system and on PostgreSQL + S3 (s3proxy).
 * <p>After each restart, once the restarted collector and retention each completed a turn (their metrics say so,
 * with no failed turn), the whole store verifies ({@link StoreVerifier}); every image acknowledged (201) and never
 * asked to be deleted pulls back byte-identical with all its blobs; every delete acknowledged (202) stays deleted
 * (its tag, and for a delete by digest the manifest, answer 404); a delete that was cut off left the image either
 * whole or gone; the last acknowledged tag of the retained repository is still there (retention keeps 2). Rounds:
 * {@code bollard.chaos.rounds} (3); {@code bollard.chaos.seed} replays a seed.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CrashDuringDeleteAndGcTest {

    private static final int ROUNDS = Integer.getInteger("bollard.chaos.rounds", 3);
    private static final String[] REPOS = {"chaos/alpha", "chaos/beta"};
    /** The processes' {@code workers.min-lease}: what a restart may wait for the killed process's leases. */
    static final Duration LEASE = Duration.ofSeconds(3);
    static final String RETAINED = "chaos/retained";
    private static final byte[] SHARED_LAYER = CrashDuringPushTest.randomBytes(new SplittableRandom(11), 300_000);
    private static final Pattern SAMPLE = Pattern.compile("^(\\w+)\\{([^}]*)\\} ([0-9.eE+-]+)$", Pattern.MULTILINE);

    /** An image the test pushed: its tag, manifest digest and the digests and sizes of its blobs. */
    record Image(String repo, String tag, String digest, byte[] manifest) {
    }

    /** A delete the test asked for: by digest (manifest and all its tags) or of the tag only. */
    record Delete(Image image, boolean byDigest) {
    }

    @TempDir
    Path tmp;

    private final Queue<Image> acked = new ConcurrentLinkedQueue<>();
    private final List<Image> retainedAcked = new CopyOnWriteArrayList<>();
    private final Set<Image> deleteAttempted = ConcurrentHashMap.newKeySet();
    private final Map<Image, Delete> deleteAcked = new ConcurrentHashMap<>();
    private final Queue<String> clientErrors = new ConcurrentLinkedQueue<>();
    private final List<String> problems = new ArrayList<>();

    @Test
    void onH2AndFileSystem() throws Exception {
        run(ServerProcess.builder(tmp.resolve("data")), true);
    }

    @Test
    void onPostgresAndS3() throws Exception {
        PostgresServer.Db db = PostgresServer.shared().createDatabase();
        try {
            S3Server s3 = S3Server.shared();
            ServerProcess.Builder builder = ServerProcess.builder(tmp.resolve("data"))
                    .env("BOLLARD_DATABASE_URL", db.url())
                    .env("BOLLARD_DATABASE_USERNAME", db.username())
                    .env("BOLLARD_DATABASE_PASSWORD", db.password());
            for (Map.Entry<String, String> e : s3.settings(s3.createBucket()).entrySet()) {
                builder.env(ConfigLoader.environmentName(e.getKey()), e.getValue());
            }
            run(builder, false);
        } finally {
            db.drop();
        }
    }

    private void run(ServerProcess.Builder builder, boolean fileSystem) throws Exception {
        long seed = Long.getLong("bollard.chaos.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        System.out.println(getClass().getSimpleName() + " seed " + seed + " (replay with -Dbollard.chaos.seed=" + seed + ")");
        ServerProcess server = builder.jvmArgs("-Xmx256m")
                .env("BOLLARD_GC_INTERVAL", "150ms").env("BOLLARD_GC_GRACE_PERIOD", "2s")
                .env("BOLLARD_HISTORY_WINDOW", "1ms").env("BOLLARD_RETENTION_INTERVAL", "200ms")
                // A process killed inside a turn of the collector or of retention leaves their leases held by a dead
                // holder: the restarted process skips its turns until they lapse. At the default (1 minute) that was
                // most of this test's time; one node, so the lease's length changes nothing else it proves (the lease
                // itself: GcTwoNodesTest, WorkersTest).
                .env("BOLLARD_WORKERS_MIN_LEASE", LEASE.toMillis() + "ms")
                .start();
        int gcRuns = 0;
        try {
            try (RegistryClient client = new RegistryClient(server.baseUri(), Duration.ofSeconds(30))) {
                pushImage(client, RETAINED, "seed", random); // the repository exists before its policy
                RegistryClient.expect(client.send(client.request("/api/v1/repositories/" + RETAINED
                                + "/-/retention-policies").header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"tag_pattern\":\"*\",\"keep_last\":2}")).build()),
                        201);
            }
            for (int round = 1; round <= ROUNDS; round++) {
                long delay = 100L + random.nextInt(1900);
                int ackedBefore = acked.size() + retainedAcked.size();
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> threads = new ArrayList<>();
                try (RegistryClient client = new RegistryClient(server.baseUri(), Duration.ofSeconds(30))) {
                    for (int p = 0; p < 2; p++) {
                        String name = "push-" + round + "-" + p;
                        long s = random.nextLong();
                        threads.add(Thread.ofPlatform().name(name).start(() -> pushLoop(client, name, s, stop, REPOS, acked)));
                    }
                    String retainedName = "retained-" + round;
                    long rs = random.nextLong();
                    threads.add(Thread.ofPlatform().name(retainedName)
                            .start(() -> pushLoop(client, retainedName, rs, stop, new String[] {RETAINED},
                                    retainedAcked)));
                    long ds = random.nextLong();
                    threads.add(Thread.ofPlatform().name("delete-" + round).start(() -> deleteLoop(client, ds, stop)));
                    // On a loaded machine (and on PostgreSQL + S3, with a cold JVM) the first push of a round
                    // may take seconds: the kill comes at a random moment after the round's first acknowledged one.
                    long firstAckDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (acked.size() + retainedAcked.size() == ackedBefore && System.nanoTime() < firstAckDeadline) {
                        Thread.sleep(10);
                    }
                    Thread.sleep(delay);
                    stop.set(true);
                    server.kill9();
                    for (Thread t : threads) {
                        t.join(Duration.ofSeconds(60));
                        assertThat(t.isAlive()).as("%s still running 60 s after the kill", t.getName()).isFalse();
                    }
                }
                long killed = System.nanoTime();
                server = server.restart();
                long restarted = System.nanoTime();
                awaitTurns(server);
                long turned = System.nanoTime();
                gcRuns++;
                List<String> found = verify(server, fileSystem);
                long verified = System.nanoTime();
                String where = "after kill #" + round + " (" + delay + " ms after its first acknowledged push, seed "
                        + seed + ")";
                found.forEach(f -> problems.add(where + ": " + f));
                System.out.printf("round %d: killed %d ms after its first acknowledged push; %d images acknowledged, %d deletes acknowledged, %d"
                                + " retained pushes in all; %d problems so far; restart %d ms, turns %d ms, verify %d ms%n",
                        round, delay, acked.size(), deleteAcked.size(), retainedAcked.size(), problems.size(),
                        (restarted - killed) / 1_000_000, (turned - restarted) / 1_000_000, (verified - turned) / 1_000_000);
            }
        } finally {
            server.stop();
        }
        assertThat(acked).as("images acknowledged: none, so nothing was exercised").isNotEmpty();
        assertThat(deleteAcked).as("deletes acknowledged: none, so nothing was exercised").isNotEmpty();
        // With the seed tag, two more make one more than the policy keeps: retention had something to prune.
        assertThat(retainedAcked.size()).as("pushes to the retained repository").isGreaterThanOrEqualTo(2);
        assertThat(problems).as("corrupt, lost, resurrected or half-visible state after a kill (log: %s)",
                server.logFile()).isEmpty();
        assertThat(clientErrors).as("answers outside the contract while the server was up").isEmpty();
        assertThat(gcRuns).isEqualTo(ROUNDS);
    }

    /**
     * Waits until the restarted process's collector and retention each completed a turn with no failed one: a GC
     * after a kill must finish, whatever the kill left half done.
     */
    static void awaitTurns(ServerProcess server) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "";
        try (RegistryClient client = new RegistryClient(server.baseUri())) {
            while (System.nanoTime() < deadline) {
                last = RegistryClient.text(RegistryClient.expect(client.get("/metrics"), 200).body());
                for (String worker : List.of("gc", "retention")) {
                    double failures = metric(last, "bollard_worker_failures_total", worker);
                    assertThat(failures).as("failed %s turns after the restart (log %s)", worker, server.logFile())
                            .isZero();
                }
                if (metric(last, "bollard_worker_runs_total", "gc") >= 2
                        && metric(last, "bollard_worker_runs_total", "retention") >= 1) {
                    return;
                }
                Thread.sleep(50);
            }
        }
        throw new AssertionError("the restarted registry did not complete a GC and a retention turn in 60 s: "
                + last.lines().filter(l -> l.startsWith("bollard_worker")).toList());
    }

    /** The value of {@code name{worker="worker",…}} in a Prometheus scrape, 0 when absent. */
    static double metric(String scrape, String name, String worker) {
        Matcher m = SAMPLE.matcher(scrape);
        double sum = 0;
        while (m.find()) {
            if (m.group(1).equals(name) && m.group(2).contains("worker=\"" + worker + "\"")) {
                sum += Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }

    private List<String> verify(ServerProcess server, boolean fileSystem) throws Exception {
        List<String> found = new ArrayList<>();
        try (RegistryClient client = new RegistryClient(server.baseUri())) {
            StoreVerifier verifier = new StoreVerifier(client).verifyApi();
            if (fileSystem) {
                verifier.verifyBlobFiles(server.dataDir().resolve("blobs"));
            }
            for (Image image : acked) {
                Delete delete = deleteAcked.get(image);
                HttpResponse<byte[]> byTag = client.getManifest(image.repo(), image.tag());
                if (delete != null) {
                    if (byTag.statusCode() != 404) {
                        found.add("tag " + image.repo() + ":" + image.tag() + " deleted (202) answers "
                                + byTag.statusCode() + " after the restart");
                    }
                    HttpResponse<byte[]> byDigest = client.getManifest(image.repo(), image.digest());
                    if (delete.byDigest() && byDigest.statusCode() != 404) {
                        found.add("manifest " + image.repo() + "@" + image.digest() + " deleted (202) answers "
                                + byDigest.statusCode() + " after the restart");
                    }
                } else if (deleteAttempted.contains(image)) {
                    // Cut off by the kill: the image is whole or gone, never half there.
                    if (byTag.statusCode() == 200) {
                        checkBytes(image, byTag, found);
                        verifier.verifyManifest(image.repo(), image.digest(), "image whose delete was cut off");
                    } else if (byTag.statusCode() != 404) {
                        found.add("tag " + image.repo() + ":" + image.tag() + " whose delete was cut off answers "
                                + byTag.statusCode());
                    }
                } else if (byTag.statusCode() != 200) {
                    found.add("LOST: tag " + image.repo() + ":" + image.tag() + " acknowledged (201), never deleted,"
                            + " answers " + byTag.statusCode() + " " + RegistryClient.abbreviate(
                            RegistryClient.text(byTag.body())));
                } else {
                    checkBytes(image, byTag, found);
                    verifier.verifyManifest(image.repo(), image.digest(), "acknowledged image");
                }
            }
            if (!retainedAcked.isEmpty()) {
                Image last = retainedAcked.getLast();
                HttpResponse<byte[]> r = client.getManifest(last.repo(), last.tag());
                if (r.statusCode() != 200) {
                    found.add("LOST: the last acknowledged tag " + last.tag() + " of " + RETAINED + " (retention keeps"
                            + " 2) answers " + r.statusCode());
                } else {
                    checkBytes(last, r, found);
                    verifier.verifyManifest(last.repo(), last.digest(), "last retained tag");
                }
                List<String> tags = client.tags(RETAINED);
                if (tags.size() > 2) { // a retention turn ran since the restart, with no push since
                    found.add("retention keeps 2 tags of " + RETAINED + " but it has " + tags);
                }
            }
            found.addAll(verifier.violations());
        }
        return found;
    }

    private static void checkBytes(Image image, HttpResponse<byte[]> r, List<String> found) {
        if (!java.util.Arrays.equals(image.manifest(), r.body())) {
            found.add("tag " + image.repo() + ":" + image.tag() + " answers bytes hashing to "
                    + RegistryClient.sha256(r.body()) + ", pushed " + image.digest());
        }
    }

    /** Pushes images until {@code stop}, into {@code repos}, recording each acknowledged one in {@code into}. */
    private void pushLoop(RegistryClient client, String name, long seed, AtomicBoolean stop, String[] repos,
                          java.util.Collection<Image> into) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; !stop.get(); i++) {
            String repo = repos[random.nextInt(repos.length)];
            try {
                into.add(pushImage(client, repo, name + "-" + i, random));
            } catch (IOException e) {
                report(stop, name + ": " + e);
                return;
            } catch (UnexpectedResponse e) {
                if (!lostRace(e)) {
                    report(stop, name + ": " + e.getMessage());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * A push that lost a race with the collector as the contract allows: a blob the collector was deleting when
     * its upload was committed ({@code BLOB_UPLOAD_INVALID}, "upload it again"), or a manifest whose blob was
     * collected meanwhile ({@code MANIFEST_BLOB_UNKNOWN}); the client pushes again. Nothing was acknowledged.
     */
    static boolean lostRace(UnexpectedResponse e) {
        return e.status == 400 && (e.body.contains("MANIFEST_BLOB_UNKNOWN")
                || (e.body.contains("BLOB_UPLOAD_INVALID") && e.body.contains("reclaimed by garbage collection")));
    }

    private void deleteLoop(RegistryClient client, long seed, AtomicBoolean stop) {
        SplittableRandom random = new SplittableRandom(seed);
        while (!stop.get()) {
            List<Image> candidates = acked.stream().filter(i -> !deleteAttempted.contains(i)).toList();
            // Leave about half of the images alone: they must survive every collection.
            if (candidates.isEmpty() || deleteAttempted.size() * 2 >= acked.size()) {
                sleep(20);
                continue;
            }
            Image image = candidates.get(random.nextInt(candidates.size()));
            boolean byDigest = random.nextBoolean();
            deleteAttempted.add(image);
            try {
                HttpResponse<byte[]> r = client.send(client.request("/v2/" + image.repo() + "/manifests/"
                        + (byDigest ? image.digest() : image.tag())).DELETE().build());
                if (r.statusCode() == 202) {
                    deleteAcked.put(image, new Delete(image, byDigest));
                } else {
                    report(stop, "DELETE " + image.repo() + " " + (byDigest ? image.digest() : image.tag())
                            + " answered " + r.statusCode() + " " + RegistryClient.abbreviate(RegistryClient.text(r.body())));
                }
            } catch (IOException e) {
                report(stop, "delete: " + e);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            sleep(random.nextInt(40));
        }
    }

    private void report(AtomicBoolean stop, String problem) {
        if (!stop.get()) {
            clientErrors.add(problem);
        }
    }

    /** Pushes a small image (a layer shared by many images, one of its own, a config) and tags it; 201 or throws. */
    static Image pushImage(RegistryClient client, String repo, String tag, SplittableRandom random)
            throws IOException, InterruptedException {
        List<String> layers = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        if (random.nextBoolean()) {
            layers.add(client.pushBlobMonolithic(repo, SHARED_LAYER));
            sizes.add(SHARED_LAYER.length);
        }
        byte[] own = CrashDuringPushTest.randomBytes(random, 8_192 + random.nextInt(200_000));
        layers.add(random.nextBoolean() ? client.pushBlobMonolithic(repo, own) : client.pushBlobChunked(repo, own, 2));
        sizes.add(own.length);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"tag\":\"" + tag
                + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}").getBytes(StandardCharsets.UTF_8);
        String configDigest = client.pushBlobMonolithic(repo, config);
        StringBuilder m = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"").append(RegistryClient.OCI_MANIFEST)
                .append("\",\"config\":{\"mediaType\":\"").append(RegistryClient.OCI_CONFIG).append("\",\"digest\":\"")
                .append(configDigest).append("\",\"size\":").append(config.length).append("},\"layers\":[");
        for (int l = 0; l < layers.size(); l++) {
            m.append(l == 0 ? "" : ",").append("{\"mediaType\":\"").append(RegistryClient.OCI_LAYER)
                    .append("\",\"digest\":\"").append(layers.get(l)).append("\",\"size\":").append(sizes.get(l))
                    .append('}');
        }
        m.append("]}");
        byte[] manifest = m.toString().getBytes(StandardCharsets.UTF_8);
        String digest = client.putManifest(repo, tag, RegistryClient.OCI_MANIFEST, manifest);
        return new Image(repo, tag, digest, manifest);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
