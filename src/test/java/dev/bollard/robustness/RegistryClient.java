package dev.bollard.robustness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small, strict client of the /v2 API for the robustness tests: every call checks the status the contract
 * (docs/api.md) promises and throws {@link UnexpectedResponse} naming the request and the answer otherwise.
 * Upload {@code Location}s are resolved by path against the current base URI, so a session can be continued on a
 * restarted server listening on another port.
 */
final class RegistryClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String ACCEPT_MANIFESTS = String.join(", ", OCI_MANIFEST, OCI_INDEX,
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json");
    private static final Pattern LINK_NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    /** A status other than the one the contract promises. */
    static final class UnexpectedResponse extends AssertionError {
        final int status;
        final String body;

        UnexpectedResponse(String what, HttpResponse<?> response, String body) {
            super(what + " → " + response.statusCode() + " " + abbreviate(body));
            this.status = response.statusCode();
            this.body = body;
        }
    }

    private final HttpClient http;
    private final Duration requestTimeout;
    private volatile URI base;

    RegistryClient(URI base) {
        this(base, Duration.ofSeconds(60));
    }

    RegistryClient(URI base, Duration requestTimeout) {
        this.base = base;
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    URI base() {
        return base;
    }

    /** Points the client at a restarted server. */
    void rebase(URI newBase) {
        base = newBase;
    }

    HttpClient http() {
        return http;
    }

    /** {@code location} (absolute URI or absolute path, as servers send it) resolved by path against the base. */
    URI at(String location) {
        URI u = URI.create(location);
        String pathAndQuery = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        return base.resolve(pathAndQuery);
    }

    static String withQuery(String location, String parameter) {
        return location + (location.contains("?") ? "&" : "?") + parameter;
    }

    HttpRequest.Builder request(String location) {
        return HttpRequest.newBuilder(at(location)).timeout(requestTimeout);
    }

    HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return send(request(path).GET().build());
    }

    HttpResponse<byte[]> head(String path) throws IOException, InterruptedException {
        return send(request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    }

    static HttpResponse<byte[]> expect(HttpResponse<byte[]> response, int... statuses) {
        for (int s : statuses) {
            if (response.statusCode() == s) {
                return response;
            }
        }
        throw new UnexpectedResponse(response.request().method() + " " + response.request().uri(), response,
                text(response.body()));
    }

    static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    static String requireHeader(HttpResponse<byte[]> response, String name) {
        return response.headers().firstValue(name).orElseThrow(() -> new UnexpectedResponse(
                response.request().method() + " " + response.request().uri() + " (no " + name + " header)", response,
                text(response.body())));
    }

    // ---------------------------------------------------------------- uploads

    /** POST …/blobs/uploads/ → 202; returns the Location. */
    String startUpload(String repo) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = expect(send(request("/v2/" + repo + "/blobs/uploads/")
                .POST(HttpRequest.BodyPublishers.noBody()).build()), 202);
        return requireHeader(r, "Location");
    }

    /** PATCH a chunk, with {@code Content-Range: start-end} unless {@code start} is null → 202. */
    HttpResponse<byte[]> patch(String location, byte[] chunk, Long start) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(location).header("Content-Type", "application/octet-stream")
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(chunk));
        if (start != null) {
            b.header("Content-Range", start + "-" + (start + chunk.length - 1));
        }
        return expect(send(b.build()), 202);
    }

    /** PUT location?digest= with an optional final chunk → 201. */
    HttpResponse<byte[]> finishUpload(String location, String digest, byte[] lastChunk)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = request(withQuery(location, "digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .PUT(lastChunk == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(lastChunk));
        HttpResponse<byte[]> r = expect(send(b.build()), 201);
        if (!digest.equals(header(r, "Docker-Content-Digest"))) {
            throw new UnexpectedResponse("PUT " + r.request().uri() + ": Docker-Content-Digest "
                    + header(r, "Docker-Content-Digest") + " is not " + digest, r, text(r.body()));
        }
        return r;
    }

    /** POST / PATCH × chunks (with Content-Range) / PUT ?digest=; returns the digest. */
    String pushBlobChunked(String repo, byte[] data, int chunks) throws IOException, InterruptedException {
        String digest = sha256(data);
        String location = startUpload(repo);
        int chunkSize = Math.max(1, (data.length + chunks - 1) / chunks);
        for (int offset = 0; offset < data.length; offset += chunkSize) {
            int end = Math.min(data.length, offset + chunkSize);
            byte[] chunk = java.util.Arrays.copyOfRange(data, offset, end);
            location = requireHeader(patch(location, chunk, (long) offset), "Location");
        }
        finishUpload(location, digest, null);
        return digest;
    }

    /** POST ?digest= with the whole blob → 201; returns the digest. */
    String pushBlobMonolithic(String repo, byte[] data) throws IOException, InterruptedException {
        String digest = sha256(data);
        HttpResponse<byte[]> r = expect(send(request("/v2/" + repo + "/blobs/uploads/?digest=" + digest)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(data)).build()), 201);
        if (!digest.equals(header(r, "Docker-Content-Digest"))) {
            throw new UnexpectedResponse("POST " + r.request().uri() + ": wrong Docker-Content-Digest", r, text(r.body()));
        }
        return digest;
    }

    // ---------------------------------------------------------------- manifests and listings

    /** PUT a manifest → 201; returns its digest. */
    String putManifest(String repo, String reference, String mediaType, byte[] manifest)
            throws IOException, InterruptedException {
        HttpResponse<byte[]> r = expect(send(request("/v2/" + repo + "/manifests/" + reference)
                .header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build()), 201);
        String digest = sha256(manifest);
        if (!digest.equals(header(r, "Docker-Content-Digest"))) {
            throw new UnexpectedResponse("PUT " + r.request().uri() + ": Docker-Content-Digest "
                    + header(r, "Docker-Content-Digest") + " is not " + digest, r, text(r.body()));
        }
        return digest;
    }

    HttpResponse<byte[]> getManifest(String repo, String reference) throws IOException, InterruptedException {
        return send(request("/v2/" + repo + "/manifests/" + reference).header("Accept", ACCEPT_MANIFESTS).GET().build());
    }

    /** Every repository of {@code GET /v2/_catalog}, following {@code Link: rel="next"}. */
    List<String> catalog() throws IOException, InterruptedException {
        return paged("/v2/_catalog", "repositories");
    }

    /** Every tag of {@code GET /v2/<repo>/tags/list}, following {@code Link: rel="next"}. */
    List<String> tags(String repo) throws IOException, InterruptedException {
        return paged("/v2/" + repo + "/tags/list", "tags");
    }

    private List<String> paged(String first, String field) throws IOException, InterruptedException {
        List<String> out = new ArrayList<>();
        String next = first;
        for (int pages = 0; next != null; pages++) {
            if (pages > 10_000) {
                throw new AssertionError(first + ": more than 10000 pages, the Link chain loops");
            }
            HttpResponse<byte[]> r = expect(get(next), 200);
            JsonNode list = JSON.readTree(r.body()).path(field);
            if (!list.isNull() && !list.isMissingNode()) {
                list.forEach(n -> out.add(n.asText()));
            }
            next = nextLink(r).orElse(null);
        }
        return out;
    }

    static Optional<String> nextLink(HttpResponse<?> r) {
        for (String link : r.headers().allValues("Link")) {
            Matcher m = LINK_NEXT.matcher(link);
            if (m.find()) {
                return Optional.of(m.group(1));
            }
        }
        return Optional.empty();
    }

    // ---------------------------------------------------------------- helpers

    static String sha256(byte[] data) {
        return "sha256:" + HexFormat.of().formatHex(sha256Digest().digest(data));
    }

    static MessageDigest sha256Digest() {
        return messageDigest("SHA-256");
    }

    static MessageDigest messageDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String text(byte[] body) {
        return body == null ? "" : new String(body, StandardCharsets.UTF_8);
    }

    static String abbreviate(String s) {
        return s == null ? "" : s.length() <= 300 ? s : s.substring(0, 297) + "...";
    }

    /** The {@code errors[0].code} of an error body, or null. */
    static String errorCode(byte[] body) {
        try {
            return JSON.readTree(body).path("errors").path(0).path("code").asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
