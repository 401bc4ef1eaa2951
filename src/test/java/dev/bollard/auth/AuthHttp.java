package dev.bollard.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/** Plain HTTP against a registry with access control: credentials, blobs, images and tokens. */
final class AuthHttp implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    AuthHttp(URI base) {
        this.base = base;
    }

    static String basic(String user, String secret) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    static String bearer(String token) {
        return "Bearer " + token;
    }

    HttpResponse<byte[]> send(String method, String path, String authorization, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> get(String path, String authorization) throws IOException, InterruptedException {
        return send("GET", path, authorization, null);
    }

    /** POSTs an OAuth2 form to the token endpoint. */
    HttpResponse<byte[]> postForm(String path, String... keyValues) throws IOException, InterruptedException {
        StringBuilder form = new StringBuilder();
        for (int i = 0; i < keyValues.length; i += 2) {
            if (!form.isEmpty()) {
                form.append('&');
            }
            form.append(enc(keyValues[i])).append('=').append(enc(keyValues[i + 1]));
        }
        return send("POST", path, null, form.toString().getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded");
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A bearer token from {@code GET /v2/auth} for the scopes, with these credentials (null: anonymous). */
    String token(String authorization, String... scopes) throws IOException, InterruptedException {
        StringBuilder q = new StringBuilder("/v2/auth?service=bollard");
        for (String s : scopes) {
            q.append("&scope=").append(enc(s));
        }
        HttpResponse<byte[]> r = get(q.toString(), authorization);
        if (r.statusCode() != 200) {
            throw new AssertionError("token request failed: " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return JSON.readTree(r.body()).get("token").asText();
    }

    static JsonNode json(HttpResponse<byte[]> r) throws IOException {
        return JSON.readTree(r.body());
    }

    static String digest(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Pushes a blob in one request; returns its digest. */
    String pushBlob(String repo, byte[] content, String authorization) throws IOException, InterruptedException {
        String d = digest(content);
        HttpResponse<byte[]> r = send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + d, authorization, content,
                "Content-Type", "application/octet-stream");
        expect(r, 201);
        return d;
    }

    /** Pushes a unique image (config + one layer) under {@code tag}; returns the manifest bytes. */
    byte[] pushImage(String repo, String tag, String authorization) throws IOException, InterruptedException {
        ImagePush push = tryPushImage(repo, tag, authorization);
        expect(push.last(), 201);
        return push.manifest();
    }

    /** How {@link #tryPushImage} ended: its last answer (the first refusal, or the manifest PUT's 201). */
    record ImagePush(HttpResponse<byte[]> last, byte[] manifest) {
        int status() {
            return last.statusCode();
        }
    }

    /** Pushes a unique image (config + one layer) under {@code tag}, stopping at the first answer that is not 201. */
    ImagePush tryPushImage(String repo, String tag, String authorization) throws IOException, InterruptedException {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"id\":\"" + UUID.randomUUID() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] layer = ("layer " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + digest(config)
                + "\",\"size\":" + config.length + "},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + digest(layer)
                + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        for (byte[] blob : List.of(config, layer)) {
            HttpResponse<byte[]> r = send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest(blob), authorization,
                    blob, "Content-Type", "application/octet-stream");
            if (r.statusCode() != 201) {
                return new ImagePush(r, manifest);
            }
        }
        return new ImagePush(send("PUT", "/v2/" + repo + "/manifests/" + tag, authorization, manifest, "Content-Type",
                OCI_MANIFEST), manifest);
    }

    /** Starts an upload session; returns its Location path. */
    String startUpload(String repo, String authorization) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = send("POST", "/v2/" + repo + "/blobs/uploads/", authorization, null);
        expect(r, 202);
        return r.headers().firstValue("Location").orElseThrow();
    }

    /** Insists on the status; returns the response. */
    static HttpResponse<byte[]> expect(HttpResponse<byte[]> r, int status) {
        if (r.statusCode() != status) {
            throw new AssertionError(r.request().method() + " " + r.uri() + ": expected " + status + ", got "
                    + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r;
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Override
    public void close() {
        http.close();
    }
}
