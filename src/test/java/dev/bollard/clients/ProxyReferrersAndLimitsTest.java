package dev.bollard.clients;

import static dev.bollard.clients.Exec.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.Identities;
import dev.bollard.metadata.ProxyDao;
import dev.bollard.proxy.ProxyEviction;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestDatabase;
import dev.bollard.testing.TestRegistry;
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
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jspecify.annotations.Nullable;

/**
 * The referrers of an image pulled through a proxy organization come with it: from a Bollard upstream through its OCI
 * referrers API (an SBOM artifact with a {@code subject}, then listed by the proxy's own referrers API), from CNCF
 * Distribution 2.8, which has no referrers API, through cosign's tag schema ({@code sha256-<hex>.sig}, {@code .att}).
 * Then the upstream is stopped: the referrers and their blobs are still served, so they were fetched with the image,
 * not on demand.
 * <p>Limits: a rate limit per upstream keeps requests within its budget — over it a cached tag is served stale and an
 * uncached one refused with {@code 429 TOOMANYREQUESTS} naming the upstream, with a {@code Retry-After}.
 */
class ProxyReferrersAndLimitsTest {
    private static final String ADMIN = "admin";
    private static final String ADMIN_PASSWORD = "admin-password-1";
    private static final String PULLER = "puller";
    private static final String PULLER_PASSWORD = "puller-password-1";

    @TempDir
    Path dir;
    private Skopeo skopeo;
    private TestRegistry proxy;
    private @Nullable TestDatabase database;
    private OciLayout source;
    private OciLayout.Descriptor image;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        Requirements.onPath("skopeo");
        skopeo = new Skopeo(dir);
        source = OciLayout.create(dir.resolve("source"));
        byte[] binary = new byte[64 * 1024];
        new Random(17).nextBytes(binary);
        image = source.writeImage("linux", "amd64", List.of(Map.of("bin/app", binary)));
        source.tag(image, "v1");
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (database != null) {
            database.close();
        }
    }

    /**
     * The proxy registry, on a fresh database of {@code kind} ("h2" or "postgres": the proxy's SQL — what was pulled
     * when, eviction, rate buckets, referrers — runs on both), access control on, a superuser and the organization.
     */
    private void startProxy(String kind) throws Exception {
        database = TestDatabase.of(kind, dir.resolve("db-" + kind));
        proxy = TestRegistry.start(database.registrySettings(dir.resolve("proxy")).load());
        Identities ids = new Identities(proxy.server().database());
        ids.users().create(ADMIN, ADMIN_PASSWORD, true);
        ids.organizations().create("mirror", ADMIN);
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<byte[]> call(URI uri, String method, String authorization, @Nullable String contentType,
                                     byte @Nullable [] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Authorization", authorization)
                .header("Accept", String.join(", ", OciLayout.OCI_INDEX, OciLayout.OCI_MANIFEST))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> fromProxy(String path) throws Exception {
        return call(proxy.uri(path), "GET", basic(ADMIN, ADMIN_PASSWORD), null, null);
    }

    private void proxyOf(URI upstream, String prefix) throws Exception {
        HttpResponse<byte[]> r = call(proxy.uri("/api/v1/organizations/mirror/proxy"), "PUT",
                basic(ADMIN, ADMIN_PASSWORD), "application/json", """
                        {"url":"%s","prefix":"%s","username":"%s","password":"%s","tag_check_seconds":0}"""
                        .formatted(upstream, prefix, PULLER, PULLER_PASSWORD).getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    }

    /** Uploads a blob (POST, then PUT with the digest: what both Bollard and Distribution 2.8 take). */
    private String pushBlob(URI base, String repository, byte[] data) throws Exception {
        String auth = basic(PULLER, PULLER_PASSWORD);
        String digest = OciLayout.sha256(data);
        HttpResponse<byte[]> start = call(base.resolve("/v2/" + repository + "/blobs/uploads/"), "POST", auth, null,
                null);
        assertThat(start.statusCode()).isEqualTo(202);
        URI location = base.resolve(start.headers().firstValue("Location").orElseThrow());
        String sep = location.getRawQuery() == null ? "?" : "&";
        HttpResponse<byte[]> put = call(URI.create(location + sep + "digest=" + digest), "PUT", auth,
                "application/octet-stream", data);
        assertThat(put.statusCode()).as(new String(put.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        return digest;
    }

    /**
     * Pushes an OCI manifest with one layer of {@code layerType} holding {@code payload} under {@code reference}
     * (its digest when null); with {@code subject}, the manifest names the image as its subject. Returns its digest.
     */
    private String pushArtifact(URI base, String repository, String artifactType, String layerType, byte[] payload,
                                boolean subject, @Nullable String reference) throws Exception {
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        String configDigest = pushBlob(base, repository, config);
        String layerDigest = pushBlob(base, repository, payload);
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s",%s
                 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},
                 "layers":[{"mediaType":"%s","digest":"%s","size":%d}]%s}"""
                .formatted(OciLayout.OCI_MANIFEST, subject ? "\"artifactType\":\"" + artifactType + "\"," : "",
                        configDigest, layerType, layerDigest, payload.length, subject
                                ? ",\"subject\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%d}".formatted(
                                OciLayout.OCI_MANIFEST, image.digest(), image.size()) : "");
        byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
        String digest = OciLayout.sha256(bytes);
        HttpResponse<byte[]> put = call(base.resolve("/v2/" + repository + "/manifests/"
                + (reference == null ? digest : reference)), "PUT", basic(PULLER, PULLER_PASSWORD),
                OciLayout.OCI_MANIFEST, bytes);
        assertThat(put.statusCode()).as(new String(put.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        return digest;
    }

    private void pullThroughProxy() {
        ok(skopeo.copy("--src-creds", ADMIN + ":" + ADMIN_PASSWORD, "docker://" + proxy.hostPort() + "/mirror/app:v1",
                "oci:" + dir.resolve("pulled") + ":v1"));
    }

    /** Polls the proxy until {@code done} holds for the answer to {@code path} (the referrers come in the background). */
    private HttpResponse<byte[]> awaitProxy(String path, Predicate<HttpResponse<byte[]>> done) throws Exception {
        long end = System.nanoTime() + 30_000_000_000L;
        HttpResponse<byte[]> r;
        do {
            r = fromProxy(path);
            if (done.test(r)) {
                return r;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < end);
        throw new AssertionError("the proxy did not answer " + path + " as expected: " + r.statusCode() + " "
                + new String(r.body(), StandardCharsets.UTF_8));
    }

    private static List<String> referrerDigests(HttpResponse<byte[]> r) {
        List<String> digests = new ArrayList<>();
        OciLayout.parse(r.body()).path("manifests").forEach(m -> digests.add(m.path("digest").asText()));
        return digests;
    }

    /** The manifest and its one layer are served by the proxy, with the bytes that were pushed upstream. */
    private void assertServedWhole(String reference, String digest, byte[] payload) throws Exception {
        HttpResponse<byte[]> m = fromProxy("/v2/mirror/app/manifests/" + reference);
        assertThat(m.statusCode()).as(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(m.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        JsonNode layer = OciLayout.parse(m.body()).path("layers").get(0);
        HttpResponse<byte[]> blob = fromProxy("/v2/mirror/app/blobs/" + layer.path("digest").asText());
        assertThat(blob.statusCode()).isEqualTo(200);
        assertThat(blob.body()).isEqualTo(payload);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void referrersOfAPulledImageComeThroughABollardUpstreamsReferrersApi(String kind) throws Exception {
        startProxy(kind);
        TestRegistry upstream = upstreamWithImage("v1");
        try {
            byte[] sbom = "{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"app\"}".getBytes(StandardCharsets.UTF_8);
            String sbomDigest = pushArtifact(upstream.baseUri(), "vendor/app", "application/spdx+json",
                    "application/spdx+json", sbom, true, null);
            proxyOf(upstream.baseUri(), "vendor");

            pullThroughProxy();
            HttpResponse<byte[]> listed = awaitProxy("/v2/mirror/app/referrers/" + image.digest(),
                    r -> r.statusCode() == 200 && referrerDigests(r).contains(sbomDigest));
            JsonNode entry = OciLayout.parse(listed.body()).path("manifests").get(0);
            assertThat(entry.path("artifactType").asText()).isEqualTo("application/spdx+json");
            // Its blobs too, fetched with it: the proxy serves the SBOM whole without its upstream.
            awaitProxy("/v2/mirror/app/blobs/" + OciLayout.sha256(sbom), r -> proxy.server().database()
                    .read(h -> dev.bollard.metadata.BlobDao.link(h, "mirror/app", OciLayout.sha256(sbom))).isPresent());

            upstream.close();
            assertThat(referrerDigests(fromProxy("/v2/mirror/app/referrers/" + image.digest()))).contains(sbomDigest);
            assertServedWhole(sbomDigest, sbomDigest, sbom);
        } finally {
            upstream.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void cosignSignaturesAndAttestationsComeThroughDistributionsTagSchema(String kind) throws Exception {
        startProxy(kind);
        Requirements.onPath("docker-registry");
        try (DistributionServer distribution = DistributionServer.start(dir.resolve("distribution"), PULLER,
                PULLER_PASSWORD)) {
            URI base = URI.create("http://" + distribution.hostPort());
            ok(skopeo.copy("--dest-creds", PULLER + ":" + PULLER_PASSWORD, "oci:" + source.root() + ":v1",
                    "docker://" + distribution.hostPort() + "/app:v1"));
            String tagBase = "sha256-" + image.hex();
            byte[] signature = ("{\"critical\":{\"image\":{\"docker-manifest-digest\":\"" + image.digest()
                    + "\"},\"type\":\"cosign container image signature\"}}").getBytes(StandardCharsets.UTF_8);
            String sig = pushArtifact(base, "app", "", "application/vnd.dev.cosign.simplesigning.v1+json", signature,
                    false, tagBase + ".sig");
            byte[] attestation = "{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"e30=\"}"
                    .getBytes(StandardCharsets.UTF_8);
            String att = pushArtifact(base, "app", "", "application/vnd.dsse.envelope.v1+json", attestation, false,
                    tagBase + ".att");
            proxyOf(base, "");

            pullThroughProxy();
            awaitProxy("/v2/mirror/app/tags/list", r -> {
                String tags = new String(r.body(), StandardCharsets.UTF_8);
                return tags.contains(tagBase + ".sig") && tags.contains(tagBase + ".att");
            });
            awaitProxy("/v2/mirror/app/manifests/" + att, r -> proxy.server().database()
                    .read(h -> dev.bollard.metadata.BlobDao.link(h, "mirror/app", OciLayout.sha256(attestation)))
                    .isPresent());

            distribution.close();
            assertServedWhole(tagBase + ".sig", sig, signature);
            assertServedWhole(tagBase + ".att", att, attestation);
            // Distribution has no .sbom for the image: none was made up.
            assertThat(new String(fromProxy("/v2/mirror/app/tags/list").body(), StandardCharsets.UTF_8))
                    .doesNotContain(".sbom");
        }
    }

    private HttpResponse<byte[]> patchProxy(String json) throws Exception {
        HttpResponse<byte[]> r = call(proxy.uri("/api/v1/organizations/mirror/proxy"), "PATCH",
                basic(ADMIN, ADMIN_PASSWORD), "application/json", json.getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return r;
    }

    private TestRegistry upstreamWithImage(String... tags) throws Exception {
        TestRegistry upstream = TestRegistry.startWithAuth(dir.resolve("upstream"));
        Identities ids = new Identities(upstream.server().database());
        ids.users().create(PULLER, PULLER_PASSWORD, false);
        ids.organizations().create("vendor", PULLER);
        for (String tag : tags) {
            ok(skopeo.copy("--dest-creds", PULLER + ":" + PULLER_PASSWORD, "oci:" + source.root() + ":v1",
                    "docker://" + upstream.hostPort() + "/vendor/app:" + tag));
        }
        return upstream;
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aRateLimitPerUpstreamServesStaleOverBudgetAndRefusesWhatIsNotCached(String kind) throws Exception {
        startProxy(kind);
        try (TestRegistry upstream = upstreamWithImage("v1", "v2")) {
            proxyOf(upstream.baseUri(), "vendor");
            pullThroughProxy();
            HttpResponse<byte[]> set = patchProxy("{\"rate_limit_per_minute\":1}");
            assertThat(new String(set.body(), StandardCharsets.UTF_8)).contains("\"rate_limit_per_minute\":1");

            // The one request of the minute: the tag is compared with the upstream, and fresh.
            HttpResponse<byte[]> fresh = fromProxy("/v2/mirror/app/manifests/v1");
            assertThat(fresh.statusCode()).isEqualTo(200);
            assertThat(fresh.headers().firstValue("Bollard-Proxy-Stale")).isEmpty();
            // Over the budget: the cached tag is served without asking, and says so.
            HttpResponse<byte[]> stale = fromProxy("/v2/mirror/app/manifests/v1");
            assertThat(stale.statusCode()).isEqualTo(200);
            assertThat(stale.headers().firstValue("Bollard-Proxy-Stale")).hasValue("rate-limited");
            assertThat(stale.headers().firstValue("Docker-Content-Digest")).hasValue(image.digest());
            // What is not cached is refused, naming the upstream, with when to retry.
            HttpResponse<byte[]> refused = fromProxy("/v2/mirror/app/manifests/v2");
            String body = new String(refused.body(), StandardCharsets.UTF_8);
            assertThat(refused.statusCode()).as(body).isEqualTo(429);
            assertThat(body).contains("TOOMANYREQUESTS").contains(upstream.baseUri().toString())
                    .contains("1 requests per minute");
            long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter).isBetween(1L, 60L);
            // A real client still pulls the cached image.
            ok(skopeo.copy("--src-creds", ADMIN + ":" + ADMIN_PASSWORD, "docker://" + proxy.hostPort()
                    + "/mirror/app:v1", "oci:" + dir.resolve("pulled-stale") + ":v1"));
            // Without the limit the upstream is asked again, and the uncached tag comes.
            patchProxy("{\"rate_limit_per_minute\":null}");
            assertThat(fromProxy("/v2/mirror/app/manifests/v2").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void limitsAreCheckedAndShown() throws Exception {
        startProxy("h2");
        try (TestRegistry upstream = upstreamWithImage()) {
            proxyOf(upstream.baseUri(), "vendor");
            HttpResponse<byte[]> bad = call(proxy.uri("/api/v1/organizations/mirror/proxy"), "PATCH",
                    basic(ADMIN, ADMIN_PASSWORD), "application/json",
                    "{\"rate_limit_per_second\":0}".getBytes(StandardCharsets.UTF_8));
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(new String(bad.body(), StandardCharsets.UTF_8)).contains("rate_limit_per_second");
            HttpResponse<byte[]> set = patchProxy("{\"cache_max_bytes\":1048576,\"cache_expiry_days\":30,"
                    + "\"rate_limit_per_second\":5}");
            assertThat(OciLayout.parse(set.body()).path("cache_max_bytes").asLong()).isEqualTo(1048576);
            assertThat(OciLayout.parse(set.body()).path("cache_expiry_days").asInt()).isEqualTo(30);
            assertThat(OciLayout.parse(set.body()).path("rate_limit_per_second").asInt()).isEqualTo(5);
            // A PATCH of another field keeps them.
            HttpResponse<byte[]> kept = patchProxy("{\"tag_check_seconds\":60}");
            assertThat(OciLayout.parse(kept.body()).path("cache_max_bytes").asLong()).isEqualTo(1048576);
        }
    }

    private void pull(String name, String into) {
        ok(skopeo.copy("--src-creds", ADMIN + ":" + ADMIN_PASSWORD, "docker://" + proxy.hostPort() + "/mirror/" + name
                + ":v1", "oci:" + dir.resolve(into) + ":v1"));
    }

    private List<ProxyDao.Cached> cached() {
        return proxy.server().database().read(h -> ProxyDao.cachedImages(h, "mirror"));
    }

    private long outboxCount(String type) {
        return proxy.server().database().read(h -> h.createQuery("SELECT COUNT(*) FROM outbox WHERE type = :t")
                .bind("t", type).mapTo(Long.class).one());
    }

    /** The repositories of the cached images among {@code digests}, least recently pulled first. */
    private List<String> images(Map<String, String> digests) {
        return cached().stream().filter(c -> digests.containsValue(c.digest())).map(ProxyDao.Cached::repository)
                .toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void evictionTakesTheLeastRecentlyPulledBeyondTheCacheSizeAndWhatExpired(String kind) throws Exception {
        startProxy(kind);
        try (TestRegistry upstream = upstreamWithImage()) {
            Map<String, String> digests = new java.util.HashMap<>();
            for (String name : List.of("a", "b", "c")) {
                byte[] binary = new byte[128 * 1024];
                new Random(name.hashCode()).nextBytes(binary);
                OciLayout.Descriptor d = source.writeImage("linux", "amd64", List.of(Map.of("bin/" + name, binary)));
                source.tag(d, name);
                digests.put(name, d.digest());
                ok(skopeo.copy("--dest-creds", PULLER + ":" + PULLER_PASSWORD, "oci:" + source.root() + ":" + name,
                        "docker://" + upstream.hostPort() + "/vendor/" + name + ":v1"));
            }
            proxyOf(upstream.baseUri(), "vendor");
            for (String name : List.of("a", "b", "c", "a")) {
                pull(name, "pulled-" + name);
                Thread.sleep(5); // distinct pull times
            }
            assertThat(images(digests)).containsExactly("mirror/b", "mirror/c", "mirror/a");
            List<ProxyDao.Cached> before = cached().stream().filter(c -> digests.containsValue(c.digest())).toList();
            assertThat(before).allSatisfy(c -> assertThat(c.bytes()).isGreaterThan(128 * 1024));
            // Room for a and c (and, with room to spare, the small SBOMs the registry's scanner may attach): b goes.
            long room = before.get(1).bytes() + before.get(2).bytes() + 64 * 1024;
            patchProxy("{\"cache_max_bytes\":" + room + "}");

            // The job spares what was pulled within its guard: all of it, just now.
            assertThat(proxy.server().proxyEviction().run(() -> { }, ProxyEviction.GUARD)).isZero();
            assertThat(proxy.server().proxyEviction().run(() -> { }, Duration.ZERO)).isPositive();
            assertThat(images(digests)).containsExactly("mirror/c", "mirror/a");
            assertThat(outboxCount("proxy.evict")).isPositive();
            pull("a", "again-a");
            pull("c", "again-c");
            // The evicted one comes from the upstream again.
            pull("b", "again-b");
            assertThat(images(digests)).containsExactly("mirror/a", "mirror/c", "mirror/b");

            // Expiry: c was last pulled two days ago (as recorded), and the limit is one day.
            patchProxy("{\"cache_max_bytes\":null,\"cache_expiry_days\":1}");
            proxy.server().database().inTransaction(h -> h.createUpdate("""
                    UPDATE proxy_pull SET pulled_at = :at WHERE manifest_id IN (SELECT m.id FROM manifest m
                      JOIN repository r ON r.id = m.repository_id WHERE r.name = 'mirror/c')""")
                    .bind("at", System.currentTimeMillis() - Duration.ofDays(2).toMillis()).execute());
            assertThat(proxy.server().proxyEviction().run(() -> { }, Duration.ZERO)).isPositive();
            assertThat(images(digests)).containsExactly("mirror/a", "mirror/b");
        }
    }
}
