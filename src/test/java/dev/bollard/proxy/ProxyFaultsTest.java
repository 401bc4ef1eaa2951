package dev.bollard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.config.ConfigLoader;
import dev.bollard.metadata.BlobDao;
import dev.bollard.testing.TestRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy cache against an upstream that misbehaves on demand ({@link FaultyUpstream}): rate limits (429 with Docker
 * Hub's headers, and {@code ratelimit-remaining: 0}), 500s, an upstream gone, slow bodies, bodies that break off and
 * bodies of the wrong content. Nothing corrupt is stored or served whole; what was cached is served with
 * {@code Bollard-Proxy-Stale}; what was not is refused with an error naming the upstream; the cache recovers when the
 * upstream does. And many clients of one uncached blob cause one upstream fetch, each receiving bytes before it ends.
 */
class ProxyFaultsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    /**
     * The proxy's {@code proxy.upstream-timeout}, shortened from its 30 s so that the stalled body's test does not wait
     * it out; long enough that a loaded machine's pauses do not trip the other tests' slow upstream.
     */
    private static final int UPSTREAM_TIMEOUT_SECONDS = 4;

    @TempDir
    Path dir;

    private FaultyUpstream upstream;
    private TestRegistry proxy;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        upstream = new FaultyUpstream();
        proxy = TestRegistry.start(ConfigLoader.builder().set("data-dir", dir.resolve("proxy").toString())
                .set("server.listen", "127.0.0.1:0").set("auth.enabled", "false")
                .set("proxy.upstream-timeout", UPSTREAM_TIMEOUT_SECONDS + "s").load());
        upstream.proxiedBy(proxy, "hub");
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(proxy.uri(path)).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(proxy.uri(path)).header("Accept", OCI_MANIFEST).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** An image in the upstream's {@code app} repository: its manifest (tag v1) with one layer of {@code layer}. */
    private String image(byte[] layer, String tag) {
        String config = upstream.putBlob("app", "{}".getBytes(StandardCharsets.UTF_8));
        String layerDigest = upstream.putBlob("app", layer);
        return upstream.putManifest("app", tag, OCI_MANIFEST, """
                {"schemaVersion":2,"mediaType":"%s",
                 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},
                 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
                .formatted(OCI_MANIFEST, config, layerDigest, layer.length));
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private boolean stored(String repository, String digest) {
        return proxy.server().database().read(h -> BlobDao.link(h, repository, digest)).isPresent();
    }

    private static JsonNode error(HttpResponse<byte[]> r) throws IOException {
        return JSON.readTree(r.body()).path("errors").path(0);
    }

    @Test
    void rateLimitsAndErrorsServeWhatIsCachedAndRefuseWhatIsNotNamingTheUpstream() throws Exception {
        String v1 = image("layer one".getBytes(StandardCharsets.UTF_8), "v1");

        HttpResponse<byte[]> first = get("/v2/hub/app/manifests/v1");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("Docker-Content-Digest")).hasValue(v1);
        assertThat(first.headers().firstValue("Bollard-Proxy-Stale")).isEmpty();

        upstream.mode = FaultyUpstream.Mode.RATE_LIMITED;
        HttpResponse<byte[]> limited = get("/v2/hub/app/manifests/v1");
        assertThat(limited.statusCode()).isEqualTo(200);
        assertThat(limited.headers().firstValue("Bollard-Proxy-Stale")).hasValue("rate-limited");
        assertThat(limited.body()).isEqualTo(first.body());
        HttpResponse<byte[]> neverCached = get("/v2/hub/app/manifests/v2");
        assertThat(neverCached.statusCode()).isEqualTo(429);
        assertThat(error(neverCached).path("code").asText()).isEqualTo("TOOMANYREQUESTS");
        assertThat(error(neverCached).path("message").asText()).contains(upstream.uri().toString())
                .contains("rate-limits").contains("ratelimit-remaining 0");
        assertThat(neverCached.headers().firstValue("Retry-After")).hasValue("120");

        upstream.mode = FaultyUpstream.Mode.SERVER_ERROR;
        HttpResponse<byte[]> failing = get("/v2/hub/app/manifests/v1");
        assertThat(failing.statusCode()).isEqualTo(200);
        assertThat(failing.headers().firstValue("Bollard-Proxy-Stale")).hasValue("server-error");
        HttpResponse<byte[]> refused = get("/v2/hub/app/manifests/v2");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(error(refused).path("code").asText()).isEqualTo("UPSTREAM_UNAVAILABLE");
        assertThat(error(refused).path("message").asText()).contains(upstream.uri().toString()).contains("500");

        // The tag moved upstream, but its rate limit is used up: the cached manifest is served, and says so.
        upstream.mode = FaultyUpstream.Mode.EXHAUSTED;
        image("layer two".getBytes(StandardCharsets.UTF_8), "v1");
        HttpResponse<byte[]> exhausted = get("/v2/hub/app/manifests/v1");
        assertThat(exhausted.headers().firstValue("Docker-Content-Digest")).hasValue(v1);
        assertThat(exhausted.headers().firstValue("Bollard-Proxy-Stale")).hasValue("rate-limited");

        // The upstream recovers: the moved tag is fetched, fresh.
        upstream.mode = FaultyUpstream.Mode.OK;
        HttpResponse<byte[]> recovered = get("/v2/hub/app/manifests/v1");
        assertThat(recovered.statusCode()).isEqualTo(200);
        assertThat(recovered.headers().firstValue("Docker-Content-Digest")).isNotEqualTo(java.util.Optional.of(v1));
        assertThat(recovered.headers().firstValue("Bollard-Proxy-Stale")).isEmpty();

        // A manifest by digest that is cached is never asked for again, even with the upstream gone.
        upstream.close();
        int before = upstream.requests("GET", "/v2/app/manifests/" + v1);
        HttpResponse<byte[]> byDigest = get("/v2/hub/app/manifests/" + v1);
        assertThat(byDigest.statusCode()).isEqualTo(200);
        assertThat(byDigest.headers().firstValue("Bollard-Proxy-Stale")).isEmpty();
        assertThat(upstream.requests("GET", "/v2/app/manifests/" + v1)).isEqualTo(before);
        HttpResponse<byte[]> gone = get("/v2/hub/app/manifests/v1");
        assertThat(gone.headers().firstValue("Bollard-Proxy-Stale")).hasValue("unreachable");
        HttpResponse<byte[]> goneNever = get("/v2/hub/other/manifests/v1");
        assertThat(goneNever.statusCode()).isEqualTo(503);
        assertThat(error(goneNever).path("message").asText()).contains("unreachable").contains(upstream.uri().toString());
    }

    @Test
    void truncatedAndWrongBodiesAreNeverStoredNorServedWholeAndTheCacheRecovers() throws Exception {
        byte[] layer = random(3 * 1024 * 1024, 1);
        image(layer, "v1");
        String digest = FaultyUpstream.sha256(layer);
        String path = "/v2/hub/app/blobs/" + digest;

        for (FaultyUpstream.Mode fault : List.of(FaultyUpstream.Mode.TRUNCATED, FaultyUpstream.Mode.WRONG_CONTENT)) {
            upstream.mode = fault;
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(proxy.uri(path)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).as(fault.name()).isEqualTo(200);
            byte[] received = new byte[0];
            boolean broke = false;
            try (InputStream in = r.body()) {
                received = in.readAllBytes();
            } catch (IOException e) {
                broke = true;
            }
            assertThat(broke || received.length < layer.length).as("%s: the client never gets the whole body "
                    + "(%d of %d bytes)", fault, received.length, layer.length).isTrue();
            assertThat(stored("hub/app", digest)).as(fault.name()).isFalse();
        }
        assertThat(upstream.requests("GET", "/v2/app/blobs/" + digest)).isEqualTo(2);

        upstream.mode = FaultyUpstream.Mode.OK;
        HttpResponse<byte[]> ok = get(path);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(FaultyUpstream.sha256(ok.body())).isEqualTo(digest);
        assertThat(stored("hub/app", digest)).isTrue();
        // Stored now: served without the upstream.
        upstream.close();
        HttpResponse<byte[]> again = get(path);
        assertThat(FaultyUpstream.sha256(again.body())).isEqualTo(digest);
        assertThat(upstream.requests("GET", "/v2/app/blobs/" + digest)).isEqualTo(3);
    }

    /**
     * An upstream that stops sending mid-body (for 120 s): after the upstream timeout ({@code proxy.upstream-timeout},
     * 4 s here) the fetch fails, nothing is stored.
     */
    @Test
    void aStalledUpstreamBodyFailsTheFetchAfterTheTimeoutAndNothingIsStored() throws Exception {
        byte[] layer = random(1024 * 1024, 3);
        image(layer, "v1");
        String digest = FaultyUpstream.sha256(layer);
        upstream.mode = FaultyUpstream.Mode.STALLED;
        long start = System.nanoTime();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(proxy.uri("/v2/hub/app/blobs/" + digest)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        boolean broke = false;
        byte[] received = new byte[0];
        try (InputStream in = r.body()) {
            received = in.readAllBytes();
        } catch (IOException e) {
            broke = true;
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertThat(broke || received.length < layer.length).as("the client never gets the whole body").isTrue();
        assertThat(seconds).as("released after the upstream timeout, not when the upstream gives up").isBetween(UPSTREAM_TIMEOUT_SECONDS - 1L, 60L);
        assertThat(stored("hub/app", digest)).isFalse();
    }

    /**
     * The figure: 32 clients of one uncached 256 MiB layer, sent slowly by the upstream (about 7 s): one upstream
     * fetch (the upstream's count of GETs of that path: its access log), and each client has its first bytes before the
     * upstream sent the last; all get the right content. The layer is generated on the fly by the upstream and hashed
     * as it arrives by the clients: 8 GiB pass through a test JVM of 1 GiB heap, so nothing on the way holds a blob whole.
     */
    @Test
    void concurrentClientsOfOneUncachedBlobShareOneUpstreamFetchAndStreamBeforeItEnds() throws Exception {
        int clients = 32;
        long size = 256L * 1024 * 1024;
        String config = upstream.putBlob("app", "{}".getBytes(StandardCharsets.UTF_8));
        String digest = upstream.putGeneratedBlob("app", size, 2);
        upstream.putManifest("app", "v1", OCI_MANIFEST, """
                {"schemaVersion":2,"mediaType":"%s",
                 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},
                 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
                .formatted(OCI_MANIFEST, config, digest, size));
        String path = "/v2/hub/app/blobs/" + digest;
        upstream.mode = FaultyUpstream.Mode.SLOW;
        upstream.slowPiece = 1024 * 1024;
        upstream.slowPauseMillis = 25; // about 6.5 s for the whole blob

        record Pull(long firstByteNanos, String digest, long bytes) {
        }
        List<Callable<Pull>> pulls = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            pulls.add(() -> {
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(proxy.uri(path)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertThat(r.statusCode()).isEqualTo(200);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                long first = 0;
                long bytes = 0;
                byte[] buffer = new byte[256 * 1024];
                try (InputStream in = r.body()) {
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        if (first == 0 && n > 0) {
                            first = System.nanoTime();
                        }
                        sha.update(buffer, 0, n);
                        bytes += n;
                    }
                }
                return new Pull(first, "sha256:" + HexFormat.of().formatHex(sha.digest()), bytes);
            });
        }
        List<Pull> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Pull> f : pool.invokeAll(pulls)) {
                results.add(f.get());
            }
        }
        assertThat(upstream.requests("GET", "/v2/app/blobs/" + digest)).as("upstream fetches").isEqualTo(1);
        Long upstreamDone = upstream.finishedAt("/v2/app/blobs/" + digest);
        assertThat(upstreamDone).isNotNull();
        for (Pull p : results) {
            assertThat(p.digest()).isEqualTo(digest);
            assertThat(p.bytes()).isEqualTo(size);
            assertThat(p.firstByteNanos()).as("first byte before the upstream finished").isLessThan(upstreamDone);
        }
        assertThat(stored("hub/app", digest)).isTrue();
    }

    /**
     * An organization with a fallback upstream (a mirror of the same content): with the primary gone, a manifest and a
     * layer never cached come from the fallback, verified, and are stored; the primary was not asked for them.
     */
    @Test
    void aFallbackUpstreamServesWhenThePrimaryIsDown() throws Exception {
        try (FaultyUpstream fallback = new FaultyUpstream()) {
            byte[] layer = random(256 * 1024, 5);
            String v1 = image(layer, "v1"); // in the primary
            String config = fallback.putBlob("app", "{}".getBytes(StandardCharsets.UTF_8));
            String layerDigest = fallback.putBlob("app", layer);
            assertThat(fallback.putManifest("app", "v1", OCI_MANIFEST, """
                    {"schemaVersion":2,"mediaType":"%s",
                     "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},
                     "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
                    .formatted(OCI_MANIFEST, config, layerDigest, layer.length))).isEqualTo(v1);
            HttpResponse<String> set = send("PATCH", "/api/v1/organizations/hub/proxy",
                    "{\"fallback_urls\":[\"" + fallback.uri() + "\"]}");
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);

            upstream.close();
            HttpResponse<byte[]> manifest = get("/v2/hub/app/manifests/v1");
            assertThat(manifest.statusCode()).as(new String(manifest.body(), StandardCharsets.UTF_8)).isEqualTo(200);
            assertThat(manifest.headers().firstValue("Docker-Content-Digest")).hasValue(v1);
            assertThat(manifest.headers().firstValue("Bollard-Proxy-Stale")).isEmpty();
            HttpResponse<byte[]> blob = get("/v2/hub/app/blobs/" + layerDigest);
            assertThat(blob.statusCode()).isEqualTo(200);
            assertThat(FaultyUpstream.sha256(blob.body())).isEqualTo(layerDigest);
            assertThat(stored("hub/app", layerDigest)).isTrue();
            assertThat(fallback.requests("GET", "/v2/app/blobs/" + layerDigest)).isEqualTo(1);
            assertThat(upstream.requests("GET", "/v2/app/blobs/" + layerDigest)).isZero();
        }
    }

    @Test
    void pushesIntoAProxyOrganizationAreDenied() throws Exception {
        HttpResponse<String> r = send("POST", "/v2/hub/app/blobs/uploads/", "");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).contains("DENIED").contains("proxy organization hub");
        HttpResponse<String> manifest = http.send(HttpRequest.newBuilder(proxy.uri("/v2/hub/app/manifests/v9"))
                .header("Content-Type", OCI_MANIFEST).PUT(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(manifest.statusCode()).isEqualTo(403);
        assertThat(manifest.body()).contains("DENIED");
        // Another organization is not affected.
        assertThat(send("POST", "/v2/other/app/blobs/uploads/", "").statusCode()).isEqualTo(202);
    }

    @Test
    void theApiKeepsThePasswordWriteOnlyAndValidates() throws Exception {
        HttpResponse<String> set = send("PATCH", "/api/v1/organizations/hub/proxy",
                "{\"username\":\"puller\",\"password\":\"s3cret-pw\"}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        assertThat(set.body()).doesNotContain("s3cret-pw").contains("\"has_password\":true");
        String stored = proxy.server().database().read(h -> h.createQuery(
                "SELECT password FROM proxy_upstream WHERE namespace = 'hub'").mapTo(String.class).one());
        assertThat(stored).doesNotContain("s3cret-pw").startsWith("kek1:");
        HttpResponse<String> kept = send("PATCH", "/api/v1/organizations/hub/proxy", "{\"tag_check_seconds\":60}");
        assertThat(kept.body()).contains("\"has_password\":true").contains("\"tag_check_seconds\":60");
        HttpResponse<String> anonymous = send("PATCH", "/api/v1/organizations/hub/proxy", "{\"username\":null}");
        assertThat(anonymous.body()).contains("\"has_password\":false");

        assertThat(send("PUT", "/api/v1/organizations/hub/proxy", "{\"url\":\"ftp://x\"}").statusCode()).isEqualTo(400);
        assertThat(send("PUT", "/api/v1/organizations/hub/proxy", "{\"url\":\"https://x\",\"ca_bundle\":\"nope\"}")
                .statusCode()).isEqualTo(400);
        assertThat(send("PUT", "/api/v1/organizations/nobody/proxy", "{\"url\":\"https://x\"}").statusCode())
                .isEqualTo(404);
        assertThat(send("DELETE", "/api/v1/organizations/hub/proxy", "").statusCode()).isEqualTo(204);
        assertThat(send("GET", "/api/v1/organizations/hub/proxy", "").statusCode()).isEqualTo(404);
    }

    @Test
    void dockerHubNamesMapToLibrary() {
        Upstream hub = new Upstream("hub", URI.create("https://registry-1.docker.io/"), "", true, null, false, null,
                java.time.Duration.ZERO, List.of(), "x", java.time.Instant.EPOCH, java.time.Instant.EPOCH,
                dev.bollard.proxy.ProxyLimits.NONE);
        assertThat(hub.upstreamRepository(new dev.bollard.oci.RepositoryName("hub/alpine"))).isEqualTo("library/alpine");
        assertThat(hub.upstreamRepository(new dev.bollard.oci.RepositoryName("hub/bitnami/redis")))
                .isEqualTo("bitnami/redis");
        Upstream prefixed = new Upstream("q", URI.create("https://quay.io/"), "mirror/team", false, null, false, null,
                java.time.Duration.ZERO, List.of(), "x", java.time.Instant.EPOCH, java.time.Instant.EPOCH,
                dev.bollard.proxy.ProxyLimits.NONE);
        assertThat(prefixed.upstreamRepository(new dev.bollard.oci.RepositoryName("q/app"))).isEqualTo("mirror/team/app");
    }
}
