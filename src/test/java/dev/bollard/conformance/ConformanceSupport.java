package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.S3Server;
import dev.bollard.testing.TestRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the conformance tests: one in-process registry per test class, an HTTP/1.1 client, and helpers that
 * push content. Each test works in repositories of its own ({@link #repo(String)}), so tests are independent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConformanceSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String API_VERSION_HEADER = "Docker-Distribution-API-Version";
    static final String API_VERSION = "registry/2.0";

    private static final AtomicInteger COUNTER = new AtomicInteger();

    TestRegistry registry;
    HttpClient client;

    @BeforeAll
    void startRegistry(@TempDir Path dataDir) throws Exception {
        registry = TestRegistry.start(config(dataDir));
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    @AfterAll
    void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    /** The configuration of this class's registry: {@link #configWith} unless a class overrides it. */
    BollardConfig config(Path dataDir) {
        return configWith(dataDir);
    }

    /**
     * The embedded defaults without access control (the conformance suite speaks the distribution spec as an
     * anonymous client), with {@code overrides} (key, value, key, value...).
     */
    static BollardConfig configWith(Path dataDir, String... overrides) {
        ConfigLoader.Builder b = ConfigLoader.builder().set("data-dir", dataDir.toString())
                .set("server.listen", "127.0.0.1:0").set("auth.enabled", "false");
        for (int i = 0; i < overrides.length; i += 2) {
            b.set(overrides[i], overrides[i + 1]);
        }
        return b.load();
    }

    /**
     * The embedded defaults with blobs in a fresh bucket of the shared S3 server (s3proxy), 5 MiB parts, and
     * {@code overrides}.
     */
    static BollardConfig s3ConfigWith(Path dataDir, String... overrides) {
        java.util.List<String> all = new ArrayList<>();
        S3Server s3 = S3Server.shared();
        s3.settings(s3.createBucket()).forEach((k, v) -> {
            all.add(k);
            all.add(v);
        });
        all.addAll(List.of(overrides));
        return configWith(dataDir, all.toArray(String[]::new));
    }

    /** A fresh, valid repository name, e.g. {@code conformance/manifest-12}. */
    static String repo(String area) {
        return "conformance/" + area + "-" + COUNTER.incrementAndGet();
    }

    // ------------------------------------------------------------------ requests

    /** A response with its body read into memory. */
    record Resp(String method, URI uri, int status, java.net.http.HttpHeaders headers, byte[] body) {
        Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        List<String> allHeaders(String name) {
            return headers.allValues(name);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("body of " + describe() + " is not JSON", e);
            }
        }

        /** The {@code code} of each entry of an error body, or an empty list when the body is not one. */
        List<String> errorCodes() {
            List<String> codes = new ArrayList<>();
            try {
                JsonNode errors = JSON.readTree(body).path("errors");
                errors.forEach(e -> codes.add(e.path("code").asText()));
            } catch (IOException | RuntimeException e) {
                // not JSON
            }
            return codes;
        }

        String describe() {
            String t = text();
            return method + " " + uri + " -> " + status + " " + headers.map() + " "
                    + (t.length() > 400 ? t.substring(0, 400) + "…" : t);
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    URI uri(String pathOrLocation) {
        return registry.baseUri().resolve(pathOrLocation);
    }

    Resp send(String method, String pathOrLocation, BodyPublisher body, String... headerPairs) {
        URI target = uri(pathOrLocation);
        HttpRequest.Builder b = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30))
                .method(method, body);
        for (int i = 0; i < headerPairs.length; i += 2) {
            b.header(headerPairs[i], headerPairs[i + 1]);
        }
        try {
            HttpResponse<byte[]> r = client.send(b.build(), BodyHandlers.ofByteArray());
            return new Resp(method, target, r.statusCode(), r.headers(), r.body() == null ? new byte[0] : r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + target, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    Resp get(String path, String... headers) {
        return send("GET", path, BodyPublishers.noBody(), headers);
    }

    Resp head(String path, String... headers) {
        return send("HEAD", path, BodyPublishers.noBody(), headers);
    }

    Resp delete(String path, String... headers) {
        return send("DELETE", path, BodyPublishers.noBody(), headers);
    }

    Resp post(String path, byte[] body, String... headers) {
        return send("POST", path, BodyPublishers.ofByteArray(body), headers);
    }

    Resp put(String path, byte[] body, String... headers) {
        return send("PUT", path, BodyPublishers.ofByteArray(body), headers);
    }

    Resp patch(String path, byte[] body, String... headers) {
        return send("PATCH", path, BodyPublishers.ofByteArray(body), headers);
    }

    /** A PATCH whose body goes out with {@code Transfer-Encoding: chunked} (no Content-Length), as docker streams. */
    Resp patchStreamed(String path, byte[] body, String... headers) {
        return send("PATCH", path, BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)), headers);
    }

    Resp putManifest(String repo, String reference, String mediaType, String json) {
        return put("/v2/" + repo + "/manifests/" + reference, Oci.utf8(json), "Content-Type", mediaType);
    }

    /** {@code location} with {@code param} added to its query. */
    static String withQuery(String location, String param) {
        return location + (location.contains("?") ? "&" : "?") + param;
    }

    // ------------------------------------------------------------------ assertions

    static void assertStatus(Resp r, int status) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
    }

    /** {@code status}, a JSON error body and {@code code} among its error codes. */
    static void assertError(Resp r, int status, String code) {
        assertStatus(r, status);
        assertThat(r.header("Content-Type")).as("Content-Type of %s", r).hasValueSatisfying(
                ct -> assertThat(ct.toLowerCase(Locale.ROOT)).startsWith("application/json"));
        assertThat(r.errorCodes()).as("error codes of %s", r).contains(code);
    }

    static void assertHeader(Resp r, String name, String expected) {
        assertThat(r.header(name)).as("%s of %s", name, r).hasValue(expected);
    }

    /** The path of the {@code Location} header, whether the server sent it absolute or as a path. */
    static String locationPath(Resp r) {
        String location = r.header("Location").orElseThrow(() -> new AssertionError("no Location in " + r));
        return URI.create(location).getRawPath();
    }

    // ------------------------------------------------------------------ pushing content

    /** Uploads {@code content} with a monolithic POST and returns its sha256 digest. */
    String pushBlob(String repo, byte[] content) {
        String digest = Oci.sha256(content);
        Resp r = post("/v2/" + repo + "/blobs/uploads/?digest=" + digest, content,
                "Content-Type", "application/octet-stream");
        assertStatus(r, 201);
        return digest;
    }

    /** Starts an upload session and returns its Location. */
    String startUpload(String repo) {
        Resp r = post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
        assertStatus(r, 202);
        return r.header("Location").orElseThrow(() -> new AssertionError("no Location in " + r));
    }

    /** PUTs a manifest, asserts 201 and returns its sha256 digest. */
    String pushManifest(String repo, String reference, String mediaType, String json) {
        Resp r = putManifest(repo, reference, mediaType, json);
        assertStatus(r, 201);
        return Oci.sha256(json);
    }

    /** An OCI image pushed to a repository: a unique config, one layer, the manifest. */
    record Image(String repo, String digest, String json, Oci.Desc config, Oci.Desc layer) {
        Oci.Desc desc() {
            return new Oci.Desc(Oci.OCI_MANIFEST, digest, Oci.utf8(json).length);
        }

        byte[] bytes() {
            return Oci.utf8(json);
        }
    }

    /** Pushes a unique OCI image (config + one layer) and its manifest under {@code reference}. */
    Image pushImage(String repo, String reference) {
        byte[] config = Oci.uniqueConfig();
        byte[] layer = Oci.randomBytes(64);
        pushBlob(repo, config);
        pushBlob(repo, layer);
        Oci.Desc c = Oci.Desc.of(Oci.OCI_CONFIG, config);
        Oci.Desc l = Oci.Desc.of(Oci.OCI_LAYER, layer);
        String json = Oci.ociManifest(c, List.of(l));
        String digest = pushManifest(repo, reference, Oci.OCI_MANIFEST, json);
        return new Image(repo, digest, json, c, l);
    }

    /** The tags of {@code repo} (whole list), asserting 200. */
    List<String> tags(String repo) {
        Resp r = get("/v2/" + repo + "/tags/list");
        assertStatus(r, 200);
        List<String> tags = new ArrayList<>();
        r.json().path("tags").forEach(t -> tags.add(t.asText()));
        return tags;
    }

    /** Tags of a repository that may not exist: empty when the tags list is 404. */
    List<String> tagsOrEmpty(String repo) {
        Resp r = get("/v2/" + repo + "/tags/list");
        if (r.status() == 404) {
            return List.of();
        }
        assertStatus(r, 200);
        List<String> tags = new ArrayList<>();
        r.json().path("tags").forEach(t -> tags.add(t.asText()));
        return tags;
    }
}
