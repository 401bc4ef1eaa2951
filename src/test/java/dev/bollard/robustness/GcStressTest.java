package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.jobs.GarbageCollector;
import dev.bollard.metadata.Database;
import dev.bollard.storage.FilesystemBlobStore;
import dev.bollard.testing.PostgresServer;
import dev.bollard.testing.TestRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The online garbage collector under fire: pushers re-push images that share layers (some slowly, the
 * grace period passing between their uploads and their manifest) (single images and indexes
 * over two images, checking with {@code HEAD} first and skipping blobs the registry has, as clients do), deleters
 * delete tags and manifests, and two collectors run at once (the server's own every 250 ms, and one more driven by
 * the test, which also proves that overlapping runs are safe), with a grace period of 2 s and no time-machine
 * window, for a bounded time ({@code -Dbollard.stress.seconds}, default 30 per database), on H2 and on PostgreSQL.
 * <p>A push may lose a race with the collector only as the contract allows: its manifest {@code PUT} fails with
 * {@code MANIFEST_BLOB_UNKNOWN}, or, for an index, a child manifest pushed untagged is gone ({@code MANIFEST_UNKNOWN})
 * when the pusher comes back to it after a slow sibling took longer than the grace period (the pusher then uploads
 * everything again) — and only for what the pusher uploaded, found or pushed longer than the grace period before
 * the loss ({@link Attempt}); at most one push in {@value #MAX_LOST_SHARE} may lose. Pushes and deletes of one tag
 * take turns, so the test keeps an exact record of the acknowledged ones: every acknowledged tag must resolve to its
 * acknowledged manifest, during the storm and after, and that manifest and all of its blobs pull and verify
 * ({@link StoreVerifier}), as does everything the catalog lists; once the grace period has passed and the collector
 * ran again, nothing unreferenced is left: no untagged manifest outside a tagged index, no blob row, link or file that
 * no manifest references, no upload session or staged file.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GcStressTest {

    /**
     * 30 s: on a 2-core CI machine at a load average of about 20, 45 s gave 187 (PostgreSQL) and 242 (H2) pushes, of
     * which 21 and 23 lost a race, and 161 and 213 deletes — two thirds of that is still far above the floors below
     * (20 pushes, 10 deletes) and many races per run; longer runs: {@code -Dbollard.stress.seconds}.
     */
    private static final int SECONDS = Integer.getInteger("bollard.stress.seconds", 30);
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final int REPOSITORIES = 3;
    private static final int TAGS = 6;
    /** At most one push in this many may lose a race with the collector (and be repeated). */
    private static final int MAX_LOST_SHARE = 4;

    @TempDir
    Path tmp;

    @Test
    void onH2() throws Exception {
        stress(new String[0]);
    }

    @Test
    void onPostgres() throws Exception {
        PostgresServer.Db db = PostgresServer.shared().createDatabase();
        try {
            stress(new String[] {"database.url", db.url(), "database.username", db.username(),
                    "database.password", db.password()});
        } finally {
            db.drop();
        }
    }

    private final AtomicInteger pushes = new AtomicInteger();
    private final AtomicInteger lostRaces = new AtomicInteger();
    private final AtomicInteger deletes = new AtomicInteger();
    private final AtomicLong freedBlobs = new AtomicLong();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    /** repository:tag → the manifest digest of its last acknowledged push; removed by an acknowledged delete. */
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final Map<String, Object> tagLocks = new ConcurrentHashMap<>();

    private void stress(String[] database) throws Exception {
        Path data = tmp.resolve("data");
        ConfigLoader.Builder builder = ConfigLoader.builder().set("data-dir", data.toString())
                .set("server.listen", "127.0.0.1:0").set("gc.interval", "250ms").set("gc.grace-period", "2s")
                .set("history.window", "1ms").set("auth.enabled", "false");
        for (int i = 0; i < database.length; i += 2) {
            builder.set(database[i], database[i + 1]);
        }
        BollardConfig config = builder.load();
        List<byte[]> shared = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            shared.add(UploadResumeTest.bytes(7000 + i, 16_384 + i * 5_000));
        }
        try (TestRegistry registry = TestRegistry.start(config);
             RegistryClient client = new RegistryClient(registry.baseUri())) {
            Database db = registry.server().database();
            FilesystemBlobStore store = new FilesystemBlobStore(config.storage().path(), config.uploads().stagingPath());
            GarbageCollector collector = new GarbageCollector(db, store,
                    new GarbageCollector.Settings(GRACE, Duration.ZERO), new SimpleMeterRegistry());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            ExecutorService pool = Executors.newFixedThreadPool(6);
            List<Future<?>> workers = new ArrayList<>();
            try {
                for (int p = 0; p < 3; p++) {
                    int seed = p;
                    workers.add(pool.submit(() -> push(client, shared, new Random(seed), deadline)));
                }
                for (int d = 0; d < 2; d++) {
                    int seed = 100 + d;
                    workers.add(pool.submit(() -> delete(client, new Random(seed), deadline)));
                }
                workers.add(pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        freedBlobs.addAndGet(collector.collect(false).blobs());
                        sleep(100);
                    }
                    return null;
                }));
                for (Future<?> w : workers) {
                    w.get(SECONDS + 300, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(failures).as("requests answered outside the contract").isEmpty();
            assertThat(pushes.get()).as("pushes").isGreaterThan(20);
            assertThat(deletes.get()).as("deletes").isGreaterThan(10);

            // Each lost race costs a pusher a whole push again; losing more than this would starve clients.
            assertThat(lostRaces.get()).as("pushes that lost a race with the collector, of %d", pushes.get())
                    .isLessThanOrEqualTo(pushes.get() / MAX_LOST_SHARE);

            StoreVerifier during = verifyAcknowledged(client, new StoreVerifier(client)).verifyApi();
            assertThat(during.violations()).as("right after the storm (%s)", during.summary()).isEmpty();

            Thread.sleep(GRACE.toMillis() + 500);
            collector.collect(false);
            freedBlobs.addAndGet(collector.collect(false).blobs());
            assertThat(freedBlobs.get()).as("blobs the test's collector freed").isPositive();

            StoreVerifier after = verifyAcknowledged(client, new StoreVerifier(client)).verifyApi()
                    .verifyBlobFiles(config.storage().path());
            assertThat(after.violations()).as("after the last collection (%s)", after.summary()).isEmpty();
            assertNothingUnreferenced(db, config.storage().path());
            assertThat(StoreVerifier.regularFiles(config.uploads().stagingPath())).as("staged uploads left").isEmpty();
            System.out.printf("GcStressTest %s: %d pushes (%d lost a race with the collector and were repeated), "
                            + "%d deletes, %d blobs freed by the test's collector; at the end %s%n",
                    database.length == 0 ? "H2" : "PostgreSQL", pushes.get(), lostRaces.get(), deletes.get(),
                    freedBlobs.get(), after.summary());
        }
    }

    /**
     * From the record, not from what the registry lists: every acknowledged tag resolves to exactly its
     * acknowledged manifest, which pulls whole; every other tag the test used is absent.
     */
    private StoreVerifier verifyAcknowledged(RegistryClient client, StoreVerifier verifier) throws Exception {
        for (int r = 0; r < REPOSITORIES; r++) {
            for (int t = 0; t < TAGS; t++) {
                String repo = "stress/r" + r;
                String tag = "t" + t;
                String recorded = acknowledged.get(repo + ":" + tag);
                HttpResponse<byte[]> m = client.getManifest(repo, tag);
                String found = m.statusCode() == 200 ? RegistryClient.sha256(m.body()) : null;
                if (!Objects.equals(found, recorded)) {
                    verifier.violations().add("tag " + repo + ":" + tag + " GETs " + m.statusCode() + " " + found
                            + ", but the last acknowledged write left " + (recorded == null ? "no such tag" : recorded));
                } else if (recorded != null) {
                    verifier.verifyManifest(repo, recorded, "acknowledged tag " + repo + ":" + tag);
                }
            }
        }
        return verifier;
    }

    private void assertNothingUnreferenced(Database db, Path blobs) throws Exception {
        assertThat(count(db, """
                SELECT COUNT(*) FROM manifest m
                WHERE NOT EXISTS (SELECT 1 FROM tag t WHERE t.repository_id = m.repository_id AND t.manifest_digest = m.digest)
                  AND NOT EXISTS (SELECT 1 FROM manifest_child c JOIN manifest p ON p.id = c.manifest_id
                                  JOIN tag t ON t.repository_id = p.repository_id AND t.manifest_digest = p.digest
                                  WHERE p.repository_id = m.repository_id AND c.child_digest = m.digest)"""))
                .as("manifests neither tagged nor listed by a tagged index").isZero();
        assertThat(count(db, "SELECT COUNT(*) FROM blob b WHERE NOT EXISTS "
                + "(SELECT 1 FROM manifest_blob mb WHERE mb.digest = b.digest)")).as("blobs no manifest references").isZero();
        assertThat(count(db, """
                SELECT COUNT(*) FROM repository_blob rb WHERE NOT EXISTS (
                    SELECT 1 FROM manifest_blob mb JOIN manifest m ON m.id = mb.manifest_id
                    WHERE m.repository_id = rb.repository_id AND mb.digest = rb.digest)"""))
                .as("links no manifest of their repository needs").isZero();
        assertThat(count(db, "SELECT COUNT(*) FROM upload")).as("upload sessions").isZero();
        Set<String> rows = new HashSet<>(db.read((Handle h) -> h.createQuery("SELECT digest FROM blob")
                .mapTo(String.class).list()));
        Set<String> files = StoreVerifier.regularFiles(blobs).stream()
                .map(p -> p.getParent().getParent().getFileName() + ":" + p.getFileName()).collect(Collectors.toSet());
        assertThat(files).as("blob files are exactly the recorded blobs").isEqualTo(rows);
    }

    private static long count(Database db, String sql) {
        return db.read((Handle h) -> h.createQuery(sql).mapTo(Long.class).one());
    }

    // ---- pushers ----

    private Void push(RegistryClient client, List<byte[]> shared, Random random, long deadline) throws Exception {
        while (System.nanoTime() < deadline) {
            String repo = "stress/r" + random.nextInt(REPOSITORIES);
            String tag = "t" + random.nextInt(TAGS);
            boolean index = random.nextInt(4) == 0;
            for (int attempt = 0; ; attempt++) {
                Attempt push = new Attempt(client, repo, attempt == 0);
                try {
                    byte[] manifest;
                    if (index) {
                        String a = push.putByDigest(push.image(shared, random));
                        String b = push.putByDigest(push.image(shared, random));
                        manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + RegistryClient.OCI_INDEX
                                + "\",\"manifests\":[" + push.child(a) + "," + push.child(b) + "]}")
                                .getBytes(StandardCharsets.UTF_8);
                    } else {
                        manifest = push.image(shared, random);
                    }
                    String key = repo + ":" + tag;
                    synchronized (tagLock(key)) {
                        acknowledged.put(key, client.putManifest(repo, tag,
                                index ? RegistryClient.OCI_INDEX : RegistryClient.OCI_MANIFEST, manifest));
                    }
                    pushes.incrementAndGet();
                    break;
                } catch (RegistryClient.UnexpectedResponse e) {
                    // The contract allows exactly these losses: the collector removed a blob link (or a child) that
                    // the pusher had found, or pushed, more than the grace period before its manifest referenced it
                    // (MANIFEST_BLOB_UNKNOWN); or an untagged child manifest, pushed more than the grace period
                    // before the pusher read it back, was collected (MANIFEST_UNKNOWN). Push everything again.
                    String code = RegistryClient.errorCode(e.body.getBytes(StandardCharsets.UTF_8));
                    boolean lost = (e.status == 400 && "MANIFEST_BLOB_UNKNOWN".equals(code))
                            || (index && e.status == 404 && "MANIFEST_UNKNOWN".equals(code));
                    if (!lost || attempt >= 5) {
                        failures.add("push " + repo + ":" + tag + " attempt " + attempt + ": " + e.getMessage());
                        break;
                    }
                    String early = push.lostTooEarly(e);
                    if (early != null) {
                        failures.add("push " + repo + ":" + tag + " attempt " + attempt + ": " + early);
                        break;
                    }
                    lostRaces.incrementAndGet();
                }
            }
        }
        return null;
    }

    private Object tagLock(String key) {
        return tagLocks.computeIfAbsent(key, k -> new Object());
    }

    /**
     * One attempt at a push, which knows until when each thing it uploaded, found or pushed is protected by the
     * grace period (docs/lifecycle.md): a blob link it uploaded for {@link #GRACE} from the upload's start, one it
     * found with {@code HEAD} for half of it (a HEAD renews a link older than half the grace period), a child
     * manifest it pushed by digest for {@link #GRACE} from the push's start. A loss inside those bounds is the
     * collector's fault, not a race the contract allows.
     */
    private static final class Attempt {
        private final RegistryClient client;
        private final String repo;
        private final boolean skipKnown;
        private final Map<String, Long> protectedUntil = new HashMap<>();
        private String lastChildRead = "";

        Attempt(RegistryClient client, String repo, boolean skipKnown) {
            this.client = client;
            this.repo = repo;
            this.skipKnown = skipKnown;
        }

        /** Uploads (or finds) the blobs of an image of a shared layer, a unique layer and a unique config. */
        byte[] image(List<byte[]> shared, Random random) throws Exception {
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":" + random.nextLong() + "}")
                    .getBytes(StandardCharsets.UTF_8);
            List<byte[]> layers = List.of(shared.get(random.nextInt(shared.size())),
                    UploadResumeTest.bytes(random.nextInt(), 4096));
            StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + RegistryClient.OCI_MANIFEST
                    + "\",\"config\":{\"mediaType\":\"" + RegistryClient.OCI_CONFIG + "\",\"digest\":\""
                    + blob(config) + "\",\"size\":" + config.length + "},\"layers\":[");
            for (int i = 0; i < layers.size(); i++) {
                json.append(i == 0 ? "" : ",").append("{\"mediaType\":\"").append(RegistryClient.OCI_LAYER)
                        .append("\",\"digest\":\"").append(blob(layers.get(i)))
                        .append("\",\"size\":").append(layers.get(i).length).append('}');
            }
            if (random.nextInt(5) == 0) {
                // A slow client: the grace period may pass between its uploads and its manifest.
                sleep(random.nextLong(GRACE.toMillis() * 3 / 2));
            }
            return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        }

        private String blob(byte[] blob) throws Exception {
            String digest = RegistryClient.sha256(blob);
            long start = System.currentTimeMillis();
            if (skipKnown && client.head("/v2/" + repo + "/blobs/" + digest).statusCode() == 200) {
                protect(digest, start + GRACE.toMillis() / 2);
                return digest;
            }
            client.pushBlobMonolithic(repo, blob);
            protect(digest, start + GRACE.toMillis());
            return digest;
        }

        /** Pushes an image manifest untagged, as an index's child; returns its digest. */
        String putByDigest(byte[] manifest) throws Exception {
            long start = System.currentTimeMillis();
            String digest = client.putManifest(repo, RegistryClient.sha256(manifest), RegistryClient.OCI_MANIFEST,
                    manifest);
            protect(digest, start + GRACE.toMillis());
            return digest;
        }

        /** An index entry for a child manifest, by its size as the registry serves it. */
        String child(String digest) throws Exception {
            lastChildRead = digest;
            HttpResponse<byte[]> r = RegistryClient.expect(client.getManifest(repo, digest), 200);
            return "{\"mediaType\":\"" + RegistryClient.OCI_MANIFEST + "\",\"digest\":\"" + digest + "\",\"size\":"
                    + r.body().length + "}";
        }

        private void protect(String digest, long until) {
            protectedUntil.merge(digest, until, Math::max);
        }

        /**
         * Why the loss {@code e} (just answered) broke the grace period, or null when what was lost was older than
         * it: the blob or child named in a MANIFEST_BLOB_UNKNOWN, or the child a MANIFEST_UNKNOWN answered a read of.
         */
        String lostTooEarly(RegistryClient.UnexpectedResponse e) throws Exception {
            long answered = System.currentTimeMillis();
            String lost = e.status == 404 ? lastChildRead
                    : RegistryClient.JSON.readTree(e.body).path("errors").path(0).path("detail").path("digest").asText("");
            Long until = protectedUntil.get(lost);
            if (until == null) {
                return "lost " + lost + ", which this push never uploaded, found or pushed: " + e.getMessage();
            }
            return until > answered ? "lost " + lost + " inside its grace period (protected for " + (until - answered)
                    + " ms more): " + e.getMessage() : null;
        }
    }

    // ---- deleters ----

    /**
     * Deletes tags (or the manifests they point at), one tag at a time with its pushes: so the record of
     * acknowledged pushes and deletes is exact, and an acknowledged tag that is not there is a loss.
     */
    private Void delete(RegistryClient client, Random random, long deadline) throws Exception {
        while (System.nanoTime() < deadline) {
            String repo = "stress/r" + random.nextInt(REPOSITORIES);
            String tag = "t" + random.nextInt(TAGS);
            synchronized (tagLock(repo + ":" + tag)) {
                deleteOnce(client, repo, tag, random.nextBoolean());
            }
            sleep(30);
        }
        return null;
    }

    /** Deletes the tag, or ({@code byDigest}) the manifest it points at, checking each answer against the record. */
    private void deleteOnce(RegistryClient client, String repo, String tag, boolean byDigest) throws Exception {
        String key = repo + ":" + tag;
        String recorded = acknowledged.get(key);
        String target = tag;
        if (byDigest) {
            HttpResponse<byte[]> head = client.send(client.request("/v2/" + repo + "/manifests/" + tag)
                    .header("Accept", RegistryClient.ACCEPT_MANIFESTS)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
            String found = head.statusCode() == 200 ? RegistryClient.header(head, "Docker-Content-Digest") : null;
            if (!Objects.equals(found, recorded)) {
                failures.add("HEAD " + key + " → " + head.statusCode() + " " + found + ", but the last "
                        + "acknowledged write left " + (recorded == null ? "no such tag" : recorded));
            }
            if (found == null) {
                return;
            }
            target = found;
        }
        HttpResponse<byte[]> r = client.send(client.request("/v2/" + repo + "/manifests/" + target).DELETE().build());
        if (r.statusCode() == 202 && recorded != null) {
            acknowledged.remove(key);
            deletes.incrementAndGet();
        } else if (r.statusCode() != 404 || recorded != null) {
            failures.add("DELETE " + repo + "/manifests/" + target + " → " + r.statusCode() + " "
                    + RegistryClient.text(r.body()) + ", but the last acknowledged write left "
                    + (recorded == null ? "no such tag" : recorded));
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
