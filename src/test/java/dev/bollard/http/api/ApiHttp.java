package dev.bollard.http.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** Plain HTTP against the management API: JSON in, status and JSON out. */
final class ApiHttp implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    ApiHttp(URI base) {
        this.base = base;
    }

    static String basic(String user, String secret) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    record Answer(int status, String body, HttpResponse<String> response) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    Answer call(String method, String path, String authorization, String jsonBody) throws IOException, InterruptedException {
        return call(method, path, authorization, jsonBody, "application/json");
    }

    /** A call with a body of any {@code contentType} (empty: the header is sent empty). */
    Answer call(String method, String path, String authorization, String body, String contentType)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", contentType);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        b.header("User-Agent", "bollard-api-test/1.0");
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body(), r);
    }

    Answer get(String path, String authorization) throws IOException, InterruptedException {
        return call("GET", path, authorization, null);
    }

    /** Calls and insists on {@code status}. */
    Answer expect(int status, String method, String path, String authorization, String jsonBody)
            throws IOException, InterruptedException {
        Answer a = call(method, path, authorization, jsonBody);
        if (a.status() != status) {
            throw new AssertionError(method + " " + path + ": expected " + status + ", got " + a);
        }
        return a;
    }

    @Override
    public void close() {
        http.close();
    }
}
