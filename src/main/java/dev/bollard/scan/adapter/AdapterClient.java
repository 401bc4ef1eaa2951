package dev.bollard.scan.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A client of one scanner adapter speaking Harbor's scanner adapter API v1.1 (goharbor/pluggable-scanner-spec,
 * {@code scanner-adapter-openapi-v1.1.yaml}): {@code GET /api/v1/metadata}, {@code POST /api/v1/scan} and
 * {@code GET /api/v1/scan/{id}/report}. Redirects are never followed: a 302 from the report is the spec's "not
 * ready yet, ask again after Refresh-After seconds". Answers are read up to {@link #MAX_BODY} bytes.
 */
final class AdapterClient {
    static final String METADATA_TYPE = "application/vnd.scanner.adapter.metadata+json; version=1.0";
    static final String SCAN_REQUEST_TYPE = "application/vnd.scanner.adapter.scan.request+json; version=1.0";
    static final String SCAN_RESPONSE_TYPE = "application/vnd.scanner.adapter.scan.response+json; version=1.0";
    static final String REPORT_TYPE = "application/vnd.security.vulnerability.report; version=1.1";
    /** A report larger than this is refused (a vulnerability list of a huge image is a few MiB). */
    static final int MAX_BODY = 32 << 20;

    /** A failure the adapter answered (a 4xx, a 500 with its error message, an answer that is not the spec's). */
    static final class AdapterException extends Exception {
        AdapterException(String message) {
            super(message);
        }
    }

    /** What the metadata says: the scanner, and whether a capability produces the v1.1 vulnerability report. */
    record Metadata(String name, String vendor, String version, List<String> consumes, boolean producesReport) {
    }

    /** The answer to a report poll: the report, or how long to wait before asking again. */
    sealed interface Poll {
        record Ready(JsonNode report) implements Poll {
        }

        record Pending(Duration refreshAfter) implements Poll {
        }
    }

    private final URI base;
    private final @Nullable String authorization;
    private final Duration timeout;
    private final HttpClient http;

    /** {@code base}: the adapter's URL, with or without {@code /api/v1}; {@code authorization}: sent as is. */
    AdapterClient(URI base, @Nullable String authorization, Duration timeout) {
        String b = base.toString().replaceAll("/+$", "");
        this.base = URI.create(b.endsWith("/api/v1") ? b : b + "/api/v1");
        this.authorization = authorization;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout)
                .build();
    }

    Metadata metadata() throws IOException, AdapterException, InterruptedException {
        HttpResponse<InputStream> r = send(request("/metadata").header("Accept", METADATA_TYPE).GET());
        JsonNode m = json(r, 200, "metadata");
        JsonNode scanner = m.path("scanner");
        if (!scanner.path("name").isTextual()) {
            throw new AdapterException("its metadata names no scanner (scanner.name)");
        }
        List<String> consumes = new ArrayList<>();
        boolean produces = false;
        for (JsonNode c : m.path("capabilities")) {
            c.path("consumes_mime_types").forEach(t -> consumes.add(t.asText()));
            for (JsonNode t : c.path("produces_mime_types")) {
                produces |= sameType(t.asText(), REPORT_TYPE);
            }
        }
        return new Metadata(scanner.path("name").asText(), scanner.path("vendor").asText(""),
                scanner.path("version").asText(""), consumes, produces);
    }

    /** Asks for a scan; the id to poll the report by. */
    String scan(JsonNode scanRequest) throws IOException, AdapterException, InterruptedException {
        HttpResponse<InputStream> r = send(request("/scan").header("Content-Type", SCAN_REQUEST_TYPE)
                .header("Accept", SCAN_RESPONSE_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(scanRequest))));
        JsonNode id = json(r, 202, "scan request").path("id");
        if (!id.isTextual() || id.asText().isEmpty()) {
            throw new AdapterException("its answer to the scan request has no id");
        }
        return id.asText();
    }

    Poll report(String id) throws IOException, AdapterException, InterruptedException {
        HttpResponse<InputStream> r = send(request("/scan/" + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8)
                .replace("+", "%20") + "/report").header("Accept", REPORT_TYPE).GET());
        if (r.statusCode() == 302) {
            r.body().close();
            Optional<String> after = r.headers().firstValue("Refresh-After");
            long seconds = 1;
            try {
                seconds = after.map(s -> Long.parseLong(s.strip())).orElse(1L);
            } catch (NumberFormatException e) {
                // not a number: ask again soon
            }
            return new Poll.Pending(Duration.ofSeconds(Math.clamp(seconds, 1, 60)));
        }
        if (r.statusCode() == 404) {
            r.body().close();
            throw new AdapterException("it does not know scan request " + id + " (404)");
        }
        return new Poll.Ready(json(r, 200, "report"));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    private HttpResponse<InputStream> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    /** The JSON body of an answer with status {@code expected}; else the adapter's error, as the spec words it. */
    private static JsonNode json(HttpResponse<InputStream> r, int expected, String what)
            throws IOException, AdapterException {
        byte[] body;
        try (InputStream in = r.body()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) {
            throw new AdapterException("its " + what + " is larger than " + (MAX_BODY >> 20) + " MiB");
        }
        if (r.statusCode() != expected) {
            String message = null;
            try {
                JsonNode error = Json.MAPPER.readTree(body).path("error").path("message");
                message = error.isTextual() ? error.asText() : null;
            } catch (IOException e) {
                // not the spec's error body
            }
            throw new AdapterException("its " + what + " answered HTTP " + r.statusCode()
                    + (message == null ? "" : ": " + abbreviate(message)));
        }
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            if (node == null || !node.isObject()) {
                throw new AdapterException("its " + what + " is not a JSON object");
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AdapterException("its " + what + " is not valid JSON: " + abbreviate(e.getOriginalMessage()));
        }
    }

    static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    /** Media types equal but for case and the blanks around parameters. */
    static boolean sameType(String a, String b) {
        return normal(a).equals(normal(b));
    }

    private static String normal(String t) {
        return t.toLowerCase(Locale.ROOT).replaceAll("\\s*;\\s*", ";").strip();
    }
}
