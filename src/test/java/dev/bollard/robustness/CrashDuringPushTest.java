package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.robustness.RegistryClient.UnexpectedResponse;
import dev.bollard.testing.ServerProcess;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Killing the process at any point never leaves a corrupt or half-visible blob, manifest or tag."
 * <p>
 * Several pushers push images (blobs by chunked, streamed, PUT-bodied and monolithic uploads of up to a few MiB, a
 * layer shared by all pushers, then config, manifest and tag) against the registry in its own process; the process
 * is killed with SIGKILL at a random moment, restarted on the same data directory, and the whole store is checked
 * ({@link StoreVerifier}): every tag resolves to a manifest whose bytes hash to its digest, every blob it references
 * GETs complete and correct, every file under {@code blobs/} hashes to its name. Further, everything a pusher
 * attempted is either absent or complete (never half-visible), and everything the server acknowledged (201) before
 * the kill is still there. The rounds run once ({@code @BeforeAll}); three tests judge what they found: corruption
 * or half-visibility, loss of acknowledged writes, and unexpected answers while the server was up. Rounds continue
 * until {@code bollard.crash.rounds} (10) or the time budget {@code bollard.crash.budget-seconds} (60 s, at least 3
 * rounds, and until some tag push was acknowledged) is spent; a round in which no tag push completed doubles the
 * kill delays of the next (on a loaded machine pushes take longer). {@code bollard.crash.seed} replays a seed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrashDuringPushTest {

    private static final int ROUNDS = Integer.getInteger("bollard.crash.rounds", 10);
    private static final int MIN_ROUNDS = 3;
    private static final Duration BUDGET = Duration.ofSeconds(Long.getLong("bollard.crash.budget-seconds", 60));
    private static final int PUSHERS = 4;
    private static final String[] REPOS = {"crash/alpha", "crash/beta", "crash/gamma/deep", "crash-delta"};
    private static final byte[] SHARED_LAYER = randomBytes(new SplittableRandom(7), 2 << 20);

    record BlobRef(String repo, String digest, long size) {
    }

    record ManifestRef(String repo, String digest, String tag) {
    }

    private final Queue<BlobRef> attemptedBlobs = new ConcurrentLinkedQueue<>();
    private final Queue<BlobRef> ackedBlobs = new ConcurrentLinkedQueue<>();
    private final Queue<ManifestRef> attemptedManifests = new ConcurrentLinkedQueue<>();
    private final Queue<ManifestRef> ackedTags = new ConcurrentLinkedQueue<>();
    private final Queue<String> pusherErrors = new ConcurrentLinkedQueue<>();

    private final List<String> corruption = new ArrayList<>();
    private final List<String> lost = new ArrayList<>();
    private final List<String> roundLog = new ArrayList<>();
    private long seed;

    /** Runs the rounds of push, kill, restart and check once; the tests below judge what they found. */
    @BeforeAll
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void pushKillRestartAndCheckRepeatedly(@TempDir Path tmp) throws Exception {
        seed = Long.getLong("bollard.crash.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        System.out.println("CrashDuringPushTest seed " + seed + " (replay with -Dbollard.crash.seed=" + seed + ")");
        Path data = tmp.resolve("data");
        Set<String> reported = new HashSet<>();

        long start = System.nanoTime();
        ServerProcess server = ServerProcess.builder(data).jvmArgs("-Xmx256m").start();
        try {
            int round = 1;
            // On a loaded machine a push may not complete within the first delays; each round that saw none
            // complete doubles them (up to 16x), so that kills land after acknowledged writes too.
            long slowdown = 1;
            for (; round <= ROUNDS; round++) {
                if (round > MIN_ROUNDS && System.nanoTime() - start > BUDGET.toNanos() && !ackedTags.isEmpty()) {
                    break;
                }
                long delay = (50 + random.nextInt(751)) * slowdown;
                int ackedBefore = ackedTags.size();
                int blobsBefore = ackedBlobs.size();
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> pushers = new ArrayList<>();
                try (RegistryClient client = new RegistryClient(server.baseUri(), Duration.ofSeconds(30))) {
                    for (int p = 0; p < PUSHERS; p++) {
                        int pusher = p;
                        int r = round;
                        long pusherSeed = random.nextLong();
                        pushers.add(Thread.ofPlatform().name("pusher-" + round + "-" + p)
                                .start(() -> push(client, r, pusher, new SplittableRandom(pusherSeed), stop)));
                    }
                    Thread.sleep(delay);
                    stop.set(true);
                    server.kill9();
                    for (Thread t : pushers) {
                        t.join(Duration.ofSeconds(60));
                        assertThat(t.isAlive()).as("%s still running 60 s after the kill", t.getName()).isFalse();
                    }
                }

                long restartAt = System.nanoTime();
                server = server.restart();
                long restartMs = (System.nanoTime() - restartAt) / 1_000_000;

                long verifyAt = System.nanoTime();
                String where = "after kill #" + round + " (" + delay + " ms into the round)";
                List<String> roundCorruption = new ArrayList<>();
                List<String> roundLost = new ArrayList<>();
                StoreVerifier verifier = verify(server, roundCorruption, roundLost);
                // Each problem is reported once, after the first kill that shows it.
                roundCorruption.stream().filter(reported::add).forEach(v -> corruption.add(where + ": " + v));
                roundLost.stream().filter(reported::add).forEach(v -> lost.add(where + ": " + v));
                String line = String.format("round %d: killed after %d ms; acknowledged this round: %d tags, %d blobs;"
                                + " restart %d ms; verify %d ms (%s); %d corrupt, %d lost (in all so far)",
                        round, delay, ackedTags.size() - ackedBefore, ackedBlobs.size() - blobsBefore, restartMs,
                        (System.nanoTime() - verifyAt) / 1_000_000, verifier.summary(), corruption.size(), lost.size());
                roundLog.add(line);
                System.out.println(line);
                if (ackedTags.size() == ackedBefore && slowdown < 16) {
                    slowdown *= 2;
                }
            }
            System.out.printf("CrashDuringPushTest: %d rounds in %d ms; %d tags and %d blobs acknowledged, %d blobs and"
                            + " %d manifests attempted; %d corrupt, %d lost%n", round - 1,
                    (System.nanoTime() - start) / 1_000_000, ackedTags.size(), ackedBlobs.size(), attemptedBlobs.size(),
                    attemptedManifests.size(), corruption.size(), lost.size());
        } finally {
            server.stop();
        }
    }

    /** The issue's claim: no corrupt or half-visible blob, manifest or tag after any kill. */
    @Test
    void killingTheServerMidPushNeverLeavesCorruptOrHalfVisibleState() {
        assertThat(ackedTags).as("pushes completed before the kills: none, so nothing was exercised").isNotEmpty();
        assertThat(corruption.size()).as("corrupt or half-visible state after a kill: %d problems (seed %d; rounds:%n%s)%n%s",
                corruption.size(), seed, String.join("\n", roundLog), firstOf(corruption)).isZero();
    }

    /** A 201 is a promise: what the server acknowledged before a kill is there after the restart. */
    @Test
    void writesAcknowledgedBeforeAKillSurviveIt() {
        assertThat(ackedTags).as("pushes completed before the kills: none, so nothing was exercised").isNotEmpty();
        assertThat(lost.size()).as("writes acknowledged with 201 before a kill and gone after the restart: %d (seed %d;"
                + " rounds:%n%s)%n%s", lost.size(), seed, String.join("\n", roundLog), firstOf(lost)).isZero();
    }

    /** While the server is up (between kills), every push step answers as the contract says. */
    @Test
    void pushesBetweenKillsGetTheAnswersTheContractPromises() {
        assertThat(pusherErrors).as("unexpected answers to pushes while the server was up (seed %d)", seed).isEmpty();
    }

    private static String firstOf(List<String> problems) {
        int shown = Math.min(40, problems.size());
        return String.join("\n", problems.subList(0, shown))
                + (problems.size() > shown ? "\n... and " + (problems.size() - shown) + " more" : "");
    }

    /** Checks the store; corruption and losses of acknowledged writes go to the two lists. */
    private StoreVerifier verify(ServerProcess server, List<String> corruption, List<String> lost)
            throws IOException, InterruptedException {
        try (RegistryClient client = new RegistryClient(server.baseUri())) {
            StoreVerifier verifier = new StoreVerifier(client);
            verifier.verifyApi().verifyBlobFiles(server.dataDir().resolve("blobs"));
            corruption.addAll(verifier.violations());
            verifier.violations().clear();

            // Acknowledged tags must resolve to exactly the acknowledged manifest; tags are never reused.
            for (ManifestRef tag : ackedTags) {
                HttpResponse<byte[]> r = client.getManifest(tag.repo(), tag.tag());
                if (r.statusCode() != 200) {
                    lost.add("tag " + tag.repo() + ":" + tag.tag() + " (" + tag.digest() + ") acknowledged with 201, now "
                            + r.statusCode() + " " + RegistryClient.abbreviate(RegistryClient.text(r.body())));
                } else if (!tag.digest().equals(RegistryClient.sha256(r.body()))) {
                    corruption.add("tag " + tag.repo() + ":" + tag.tag() + " acknowledged for " + tag.digest()
                            + " resolves to bytes hashing to " + RegistryClient.sha256(r.body()));
                } else {
                    verifier.verifyManifest(tag.repo(), tag.digest(), "acknowledged tag " + tag.repo() + ":" + tag.tag());
                }
            }
            corruption.addAll(verifier.violations());
            verifier.violations().clear();

            // Acknowledged blobs must be there, complete.
            for (BlobRef blob : new LinkedHashSet<>(ackedBlobs)) {
                HttpResponse<byte[]> head = client.head("/v2/" + blob.repo() + "/blobs/" + blob.digest());
                if (head.statusCode() == 404) {
                    lost.add("blob " + blob.repo() + "@" + blob.digest() + " (" + blob.size()
                            + " bytes) acknowledged with 201, now HEAD 404");
                } else {
                    verifier.verifyBlob(blob.repo(), blob.digest(), blob.size(), "acknowledged blob");
                }
            }
            // Whatever was attempted is absent or complete: never half-visible.
            for (BlobRef blob : new LinkedHashSet<>(attemptedBlobs)) {
                HttpResponse<byte[]> head = client.head("/v2/" + blob.repo() + "/blobs/" + blob.digest());
                if (head.statusCode() == 200) {
                    String length = RegistryClient.header(head, "Content-Length");
                    if (length == null || Long.parseLong(length) != blob.size()) {
                        corruption.add("blob " + blob.repo() + "@" + blob.digest() + " of " + blob.size()
                                + " bytes: HEAD says Content-Length " + length);
                    }
                    verifier.verifyBlob(blob.repo(), blob.digest(), blob.size(), "attempted blob");
                } else if (head.statusCode() != 404) {
                    corruption.add("blob " + blob.repo() + "@" + blob.digest() + ": HEAD answers " + head.statusCode());
                }
            }
            for (ManifestRef m : attemptedManifests) {
                HttpResponse<byte[]> r = client.getManifest(m.repo(), m.digest());
                if (r.statusCode() == 200) {
                    verifier.verifyManifest(m.repo(), m.digest(), "attempted manifest (tag " + m.tag() + ")");
                } else if (r.statusCode() != 404) {
                    corruption.add("manifest " + m.repo() + "@" + m.digest() + ": GET answers " + r.statusCode() + " "
                            + RegistryClient.abbreviate(RegistryClient.text(r.body())));
                }
            }
            corruption.addAll(verifier.violations());
            return verifier;
        }
    }

    /** Pushes images until {@code stop}; the kill ends it with an IOException. */
    private void push(RegistryClient client, int round, int pusher, SplittableRandom random, AtomicBoolean stop) {
        for (int i = 0; !stop.get(); i++) {
            String repo = REPOS[random.nextInt(REPOS.length)];
            String tag = "r" + round + "-p" + pusher + "-" + i;
            try {
                List<String> layers = new ArrayList<>();
                List<Long> sizes = new ArrayList<>();
                int layerCount = 1 + random.nextInt(3);
                for (int l = 0; l < layerCount; l++) {
                    byte[] layer = l == 0 && random.nextInt(3) == 0 ? SHARED_LAYER
                            : randomBytes(random, 64 * 1024 + random.nextInt(3 << 20));
                    layers.add(pushBlob(client, repo, layer, random.nextInt(4)));
                    sizes.add((long) layer.length);
                }
                byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"push\":\"" + tag
                        + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}").getBytes(StandardCharsets.UTF_8);
                String configDigest = pushBlob(client, repo, config, 2 + random.nextInt(2));

                StringBuilder manifest = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"")
                        .append(RegistryClient.OCI_MANIFEST).append("\",\"config\":{\"mediaType\":\"")
                        .append(RegistryClient.OCI_CONFIG).append("\",\"digest\":\"").append(configDigest)
                        .append("\",\"size\":").append(config.length).append("},\"layers\":[");
                for (int l = 0; l < layers.size(); l++) {
                    manifest.append(l == 0 ? "" : ",").append("{\"mediaType\":\"").append(RegistryClient.OCI_LAYER)
                            .append("\",\"digest\":\"").append(layers.get(l)).append("\",\"size\":").append(sizes.get(l))
                            .append('}');
                }
                manifest.append("],\"annotations\":{\"dev.bollard.test\":\"").append(tag).append("\"}}");
                byte[] bytes = manifest.toString().getBytes(StandardCharsets.UTF_8);
                String digest = RegistryClient.sha256(bytes);
                attemptedManifests.add(new ManifestRef(repo, digest, tag));
                if (random.nextInt(3) == 0) {
                    client.putManifest(repo, digest, RegistryClient.OCI_MANIFEST, bytes);
                }
                client.putManifest(repo, tag, RegistryClient.OCI_MANIFEST, bytes);
                ackedTags.add(new ManifestRef(repo, digest, tag));
            } catch (IOException e) {
                if (!stop.get()) {
                    pusherErrors.add("pusher " + pusher + " of round " + round + " (" + tag + "): " + e
                            + " while the server was not being killed");
                }
                return;
            } catch (UnexpectedResponse e) {
                if (!stop.get()) {
                    pusherErrors.add("pusher " + pusher + " of round " + round + " (" + tag + "): " + e.getMessage());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Pushes a blob in one of four ways; records the attempt and, on 201, the acknowledgement. */
    private String pushBlob(RegistryClient client, String repo, byte[] data, int mode)
            throws IOException, InterruptedException {
        String digest = RegistryClient.sha256(data);
        attemptedBlobs.add(new BlobRef(repo, digest, data.length));
        switch (mode) {
            case 0 -> client.pushBlobChunked(repo, data, 2 + (data.length & 1)); // PATCH with Content-Range
            case 1 -> { // one streamed PATCH without Content-Range
                String location = client.startUpload(repo);
                location = RegistryClient.requireHeader(client.patch(location, data, null), "Location");
                client.finishUpload(location, digest, null);
            }
            case 2 -> client.finishUpload(client.startUpload(repo), digest, data); // PUT with the whole body
            default -> client.pushBlobMonolithic(repo, data); // POST ?digest=
        }
        ackedBlobs.add(new BlobRef(repo, digest, data.length));
        return digest;
    }

    static byte[] randomBytes(SplittableRandom random, int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }
}
