package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.config.ConfigLoader;
import dev.bollard.auth.Identities;
import dev.bollard.json.Json;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Repository mirroring against real upstreams on loopback, both with access control: a second Bollard (token flow) and
 * CNCF Distribution with htpasswd (Basic). skopeo pushes to the upstream; the mirror syncs (the API's "sync now", its
 * history); skopeo pulls from the mirror the same digests. Tag filters, one architecture of a two-platform index,
 * referrers, deletions mirrored on and off, pushes refused, and a sync whose upstream went away in the middle of a
 * layer: nothing partial is stored, and the next sync goes on from what was stored and completes.
 */
class MirrorSyncTest {
    private static final String ADMIN = "admin";
    private static final String ADMIN_PASSWORD = "admin-password-1";
    private static final String PULLER = "puller";
    private static final String PULLER_PASSWORD = "puller-password-1";
    private static final String MIRROR = "/api/v1/repositories/mirror/app/-/mirror";

    @TempDir
    static Path classDir;
    private static OciLayout source;
    private static OciLayout.Descriptor index;
    private static OciLayout.Descriptor v2;
    private static OciLayout.Descriptor big;
    private static final Map<String, OciLayout.Descriptor> platforms = new LinkedHashMap<>();

    @TempDir
    Path dir;
    private Skopeo skopeo;
    private TestRegistry mirror;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void writeImages() {
        source = OciLayout.create(classDir.resolve("source"));
        for (String arch : List.of("amd64", "arm64")) {
            byte[] binary = new byte[256 * 1024];
            new Random(arch.hashCode()).nextBytes(binary);
            platforms.put(arch, source.writeImage("linux", arch, List.of(Map.of("bin/app-" + arch, binary))));
        }
        index = source.writeLinuxIndex(platforms);
        source.tag(index, "multi");
        v2 = source.writeImage("linux", "arm64", List.of(Map.of("bin/v2", "two".getBytes(StandardCharsets.UTF_8))));
        source.tag(v2, "v2");
        OciLayout.Descriptor dev = source.writeImage("linux", "arm64", List.of(Map.of("bin/dev",
                "dev".getBytes(StandardCharsets.UTF_8))));
        source.tag(dev, "dev-1");
        // Two 6 MiB layers of noise (gzip does not shrink them): a sync can be cut in the middle of one.
        List<Map<String, byte[]>> layers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            byte[] noise = new byte[6 * 1024 * 1024];
            new Random(42 + i).nextBytes(noise);
            layers.add(Map.of("data/blob-" + i, noise));
        }
        big = source.writeImage("linux", "amd64", layers);
        source.tag(big, "big");
    }

    @BeforeEach
    void startMirror() throws Exception {
        Requirements.onPath("skopeo");
        skopeo = new Skopeo(dir);
        mirror = TestRegistry.startWithOrganization(dir.resolve("mirror"), ADMIN, ADMIN_PASSWORD, "mirror");
    }

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<byte[]> call(URI uri, String method, String authorization, String contentType, byte[] body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Authorization", authorization)
                .header("Accept", String.join(", ", OciLayout.OCI_INDEX, OciLayout.OCI_MANIFEST))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> asAdmin(String method, String path, String json) throws Exception {
        return call(mirror.uri(path), method, basic(ADMIN, ADMIN_PASSWORD), "application/json",
                json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode api(String method, String path, String json, int expected) throws Exception {
        HttpResponse<byte[]> r = asAdmin(method, path, json);
        String text = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.statusCode()).as("%s %s: %s", method, path, text).isEqualTo(expected);
        return text.isEmpty() ? null : Json.MAPPER.readTree(text);
    }

    private long lastRunId() throws Exception {
        JsonNode items = api("GET", MIRROR + "/runs", null, 200).get("items");
        return items.isEmpty() ? 0 : items.get(0).get("id").asLong();
    }

    /** Waits for the first run after {@code after} to end; returns it. */
    private JsonNode runAfter(long after) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < end) {
            JsonNode items = api("GET", MIRROR + "/runs", null, 200).get("items");
            if (!items.isEmpty() && items.get(0).get("id").asLong() > after
                    && !items.get(0).get("status").asText().equals("running")) {
                return items.get(0);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no sync ended after run " + after + ": " + api("GET", MIRROR + "/runs", null, 200));
    }

    private JsonNode syncNow() throws Exception {
        long before = lastRunId();
        api("POST", MIRROR + "/sync", null, 202);
        return runAfter(before);
    }

    private List<String> mirroredTags() throws Exception {
        JsonNode tags = Json.MAPPER.readTree(asAdmin("GET", "/v2/mirror/app/tags/list", null).body()).get("tags");
        List<String> out = new ArrayList<>();
        tags.forEach(t -> out.add(t.asText()));
        return out;
    }

    private String digestOf(String reference) throws Exception {
        HttpResponse<byte[]> r = asAdmin("HEAD", "/v2/mirror/app/manifests/" + reference, null);
        assertThat(r.statusCode()).as("HEAD %s", reference).isEqualTo(200);
        return r.headers().firstValue("Docker-Content-Digest").orElseThrow();
    }

    private int manifestStatus(String reference) throws Exception {
        return asAdmin("HEAD", "/v2/mirror/app/manifests/" + reference, null).statusCode();
    }

    private Exec.Result pushTo(String hostPort, String repository, String tag, boolean all) {
        List<String> args = new ArrayList<>(all ? List.of("--all") : List.of());
        args.addAll(List.of("--dest-creds", PULLER + ":" + PULLER_PASSWORD, "oci:" + source.root() + ":" + tag,
                "docker://" + hostPort + "/" + repository + ":" + (tag.equals("multi") ? "v1" : tag)));
        return skopeo.copy(args.toArray(String[]::new));
    }

    /** skopeo pulls {@code reference} of one architecture from the mirror; the digest of what it got. */
    private String pullFromMirror(String arch, String tag) {
        Path into = dir.resolve("pulled-" + tag + "-" + arch);
        ok(skopeo.copy(List.of("--override-arch", arch, "--override-os", "linux"), "--src-creds",
                ADMIN + ":" + ADMIN_PASSWORD, "docker://" + mirror.hostPort() + "/mirror/app:" + tag,
                "oci:" + into + ":" + tag));
        return new OciLayout(into).resolve(tag).digest();
    }

    @Test
    void mirrorsABollardWithAccessControlWithFiltersArchitecturesReferrersAndDeletions() throws Exception {
        // Without scanning on push: the scanner's SBOM referrers of v2 would be mirrored too, whenever it finishes.
        TestRegistry upstream = TestRegistry.start(ConfigLoader.builder()
                .set("data-dir", dir.resolve("upstream").toString()).set("server.listen", "127.0.0.1:0")
                .set("scan.on-push", "false").load());
        try {
            Identities ids = new Identities(upstream.server().database());
            ids.users().create(PULLER, PULLER_PASSWORD, false);
            ids.organizations().create("vendor", PULLER);
            String host = upstream.hostPort();
            ok(pushTo(host, "vendor/app", "multi", true));
            ok(pushTo(host, "vendor/app", "v2", false));
            ok(pushTo(host, "vendor/app", "dev-1", false));
            String referrer = pushReferrer(upstream, "vendor/app", v2.digest());

            JsonNode set = api("PUT", MIRROR, """
                    {"url":"%s","upstream_repository":"vendor/app","username":"%s","password":"%s",
                     "tag_globs":["v*"],"architectures":["arm64"],"mirror_deletions":true,"interval_seconds":3600}"""
                    .formatted(upstream.baseUri(), PULLER, PULLER_PASSWORD), 200);
            assertThat(set.toString()).doesNotContain(PULLER_PASSWORD);
            assertThat(set.get("has_password").asBoolean()).isTrue();
            JsonNode first = runAfter(0);
            assertThat(first.get("status").asText()).as(first.toString()).isEqualTo("succeeded");
            assertThat(first.get("trigger").asText()).isEqualTo("scheduled");
            assertThat(first.get("tags_copied").asInt()).isEqualTo(2);
            assertThat(first.get("referrers").asInt()).isEqualTo(1);
            assertThat(first.get("bytes").asLong()).isPositive();

            // The tag filter: v1 and v2, not dev-1. Digests as pushed upstream; one platform of the index.
            assertThat(mirroredTags()).containsExactly("v1", "v2");
            assertThat(digestOf("v1")).isEqualTo(index.digest());
            assertThat(digestOf("v2")).isEqualTo(v2.digest());
            assertThat(manifestStatus(platforms.get("arm64").digest())).isEqualTo(200);
            assertThat(manifestStatus(platforms.get("amd64").digest())).as("the platform not kept").isEqualTo(404);
            assertThat(pullFromMirror("arm64", "v1")).isEqualTo(platforms.get("arm64").digest());
            assertThat(pullFromMirror("arm64", "v2")).isEqualTo(v2.digest());
            JsonNode referrers = Json.MAPPER.readTree(asAdmin("GET", "/v2/mirror/app/referrers/" + v2.digest(), null)
                    .body());
            assertThat(referrers.get("manifests").get(0).get("digest").asText()).isEqualTo(referrer);

            // A mirror takes no pushes, and says why.
            Exec.Result push = skopeo.copy("--dest-creds", ADMIN + ":" + ADMIN_PASSWORD,
                    "oci:" + source.root() + ":dev-1", "docker://" + mirror.hostPort() + "/mirror/app:mine");
            assertThat(push.ok()).as(push.describe()).isFalse();
            assertThat(push.output()).containsIgnoringCase("denied").contains("is a mirror");

            // Again, nothing changed upstream: nothing copied.
            JsonNode again = syncNow();
            assertThat(again.get("trigger").asText()).isEqualTo("requested");
            assertThat(again.get("tags_unchanged").asInt()).isEqualTo(2);
            assertThat(again.get("tags_copied").asInt()).isZero();
            assertThat(again.get("bytes").asLong()).isZero();

            // Deletions mirrored: v2 deleted upstream goes here.
            ok(skopeo.cmd("delete", "--creds", PULLER + ":" + PULLER_PASSWORD, "docker://" + host + "/vendor/app:v2"));
            JsonNode deleted = syncNow();
            assertThat(deleted.get("tags_deleted").asInt()).as(deleted.toString()).isEqualTo(1);
            assertThat(mirroredTags()).containsExactly("v1");

            // Deletions not mirrored: v1 deleted upstream stays here.
            long beforePatch = lastRunId();
            api("PATCH", MIRROR, "{\"mirror_deletions\":false}", 200);
            runAfter(beforePatch); // a changed mirror syncs at once
            ok(skopeo.cmd("delete", "--creds", PULLER + ":" + PULLER_PASSWORD, "docker://" + host + "/vendor/app:v1"));
            JsonNode kept = syncNow();
            assertThat(kept.get("status").asText()).isEqualTo("succeeded");
            assertThat(kept.get("tags_deleted").asInt()).isZero();
            assertThat(mirroredTags()).containsExactly("v1");

            // Every change of the mirror and every sync's end is in the outbox: audited, and published as events.
            assertThat(outboxCount("mirror.set")).isEqualTo(2);
            assertThat(outboxCount("mirror.sync.request")).isEqualTo(3);
            assertThat(outboxCount("mirror.sync.succeeded")).isEqualTo(5);
        } finally {
            upstream.close();
        }
    }

    private long outboxCount(String type) {
        return mirror.server().database().read(h -> h.createQuery("SELECT COUNT(*) FROM outbox WHERE type = :t")
                .bind("t", type).mapTo(Long.class).one());
    }

    /** Pushes an OCI artifact whose subject is {@code subject} to the upstream (HTTP: skopeo 1.9 has no referrers). */
    private String pushReferrer(TestRegistry upstream, String repository, String subject) throws Exception {
        String auth = basic(PULLER, PULLER_PASSWORD);
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        String configDigest = OciLayout.sha256(config);
        HttpResponse<byte[]> blob = call(upstream.uri("/v2/" + repository + "/blobs/uploads/?digest=" + configDigest),
                "POST", auth, "application/octet-stream", config);
        assertThat(blob.statusCode()).isEqualTo(201);
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s","artifactType":"application/vnd.example.sbom",
                 "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},
                 "layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2}],
                 "subject":{"mediaType":"%s","digest":"%s","size":%d}}"""
                .formatted(OciLayout.OCI_MANIFEST, configDigest, configDigest, OciLayout.OCI_MANIFEST, subject,
                        v2.size());
        byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
        String digest = OciLayout.sha256(bytes);
        HttpResponse<byte[]> put = call(upstream.uri("/v2/" + repository + "/manifests/" + digest), "PUT", auth,
                OciLayout.OCI_MANIFEST, bytes);
        assertThat(put.statusCode()).as(new String(put.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        return digest;
    }

    @Test
    void mirrorsDistributionWithHtpasswdAndResumesASyncWhoseUpstreamWentAwayMidLayer() throws Exception {
        Requirements.onPath("docker-registry");
        try (DistributionServer distribution = DistributionServer.start(dir.resolve("distribution"), PULLER,
                PULLER_PASSWORD);
             CuttableRelay relay = new CuttableRelay(distribution.port(), 8L * 1024 * 1024)) {
            ok(pushTo(distribution.hostPort(), "app", "multi", true));
            ok(pushTo(distribution.hostPort(), "app", "big", false));

            api("PUT", MIRROR, """
                    {"url":"http://127.0.0.1:%d","upstream_repository":"app","username":"%s","password":"%s",
                     "concurrency":1}""".formatted(relay.port(), PULLER, PULLER_PASSWORD), 200);
            JsonNode cut = runAfter(0);
            assertThat(relay.wasCut()).isTrue();
            assertThat(cut.get("status").asText()).as(cut.toString()).isIn("partial", "failed");
            assertThat(cut.get("failures").toString() + cut.get("message")).contains("127.0.0.1:" + relay.port());
            long firstBytes = cut.get("bytes").asLong();
            assertNothingCorruptStored();

            relay.restore();
            JsonNode resumed = syncNow();
            assertThat(resumed.get("status").asText()).as(resumed.toString()).isEqualTo("succeeded");
            assertThat(mirroredTags()).containsExactlyInAnyOrder("big", "v1");
            // It went on from what was stored: the layer the cut run stored whole (6 MiB) was not fetched again, only
            // the one it was cut in (6 MiB) and the small rest.
            assertThat(resumed.get("bytes").asLong()).as("bytes of the resumed run (the cut run read %d)", firstBytes)
                    .isLessThan(8L * 1024 * 1024);
            assertThat(resumed.get("blobs_copied").asInt() + cut.get("blobs_copied").asInt())
                    .as("each blob copied once").isEqualTo(countBlobs());
            assertNothingCorruptStored();
            assertThat(digestOf("v1")).isEqualTo(index.digest());
            assertThat(digestOf("big")).isEqualTo(big.digest());
            assertThat(pullFromMirror("amd64", "big")).isEqualTo(big.digest());
            assertThat(pullFromMirror("arm64", "v1")).isEqualTo(platforms.get("arm64").digest());
        }
    }

    @Test
    void aSyncStoppedWithItsNodeGoesOnWhenTheNodeIsBack() throws Exception {
        Requirements.onPath("docker-registry");
        try (DistributionServer distribution = DistributionServer.start(dir.resolve("distribution"), PULLER,
                PULLER_PASSWORD);
             CuttableRelay relay = new CuttableRelay(distribution.port(), 8L * 1024 * 1024, true)) {
            ok(pushTo(distribution.hostPort(), "app", "big", false));
            api("PUT", MIRROR, """
                    {"url":"http://127.0.0.1:%d","upstream_repository":"app","username":"%s","password":"%s",
                     "concurrency":1}""".formatted(relay.port(), PULLER, PULLER_PASSWORD), 200);
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!relay.isStalled() && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat(relay.isStalled()).as("the sync hangs in the middle of a layer").isTrue();
            JsonNode running = api("GET", MIRROR + "/runs", null, 200).get("items").get(0);
            assertThat(running.get("status").asText()).isEqualTo("running");

            // The node stops in the middle of the sync.
            Path data = mirror.dataDir();
            mirror.close();
            mirror = null;
            relay.restore();
            mirror = TestRegistry.startWithAuth(data);
            JsonNode resumed = runAfter(running.get("id").asLong());
            assertThat(resumed.get("status").asText()).as(resumed.toString()).isEqualTo("succeeded");
            JsonNode stopped = api("GET", MIRROR + "/runs?limit=2", null, 200).get("items").get(1);
            assertThat(stopped.get("id").asLong()).isEqualTo(running.get("id").asLong());
            assertThat(stopped.get("status").asText()).isEqualTo("interrupted");
            assertThat(resumed.get("bytes").asLong()).as("only what the stopped run had not stored")
                    .isLessThan(8L * 1024 * 1024);
            assertNothingCorruptStored();
            assertThat(pullFromMirror("amd64", "big")).isEqualTo(big.digest());
        }
    }

    /**
     * The blobs the mirror holds of what it copied: not those of the SBOM referrers the scanner attaches to each
     * mirrored image (scan on push is on by default), which no sync copies.
     */
    private int countBlobs() {
        return mirror.server().database().read(h -> h.createQuery("""
                        SELECT COUNT(*) FROM repository_blob rb JOIN repository r ON r.id = rb.repository_id
                        WHERE r.name = 'mirror/app' AND rb.digest NOT IN (
                            SELECT mb.digest FROM manifest_blob mb JOIN manifest m ON m.id = mb.manifest_id
                            WHERE m.repository_id = r.id
                              AND m.artifact_type IN ('application/vnd.cyclonedx+json', 'application/spdx+json'))""")
                .mapTo(Integer.class).one());
    }

    /** Every blob the mirror links is served whole, its bytes hashing to its digest. */
    private void assertNothingCorruptStored() throws Exception {
        List<String> digests = mirror.server().database().read(h -> h.createQuery("SELECT rb.digest FROM "
                + "repository_blob rb JOIN repository r ON r.id = rb.repository_id WHERE r.name = 'mirror/app'")
                .mapTo(String.class).list());
        for (String d : digests) {
            HttpResponse<byte[]> r = asAdmin("GET", "/v2/mirror/app/blobs/" + d, null);
            assertThat(r.statusCode()).isEqualTo(200);
            String actual = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(r.body()));
            assertThat(actual).as("blob %s", d).isEqualTo(d);
        }
    }
}
