package dev.bollard.clients;

import static dev.bollard.clients.ScanOnPushTest.await;
import static dev.bollard.clients.ScanOnPushTest.basic;
import static dev.bollard.clients.ScanOnPushTest.push;
import static dev.bollard.clients.ScanOnPushTest.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.bollard.auth.Identities;
import dev.bollard.testing.Cli;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * External scanners (docs/scanning.md, "External scanners"): a small scanner adapter started here speaks Harbor's
 * scanner adapter API v1.1 — metadata, scan request, report polled with 302/Refresh-After while it works — and pulls
 * the image from Bollard with the token the scan request carried: manifest and layer, which it reads for a package
 * list. The test sees that the token pulls that repository and nothing else, that the adapter's findings appear in the
 * scan report under its name beside the built-in scanner's, that an adapter for one organization leaves the others'
 * images alone, and that an adapter's error becomes a failed state with its message.
 */
public class ScannerAdapterTest {
    private static final String REPORT_TYPE = "application/vnd.security.vulnerability.report; version=1.1";

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"h2", "postgres"})
    @Timeout(240)
    void anExternalScannerPullsWithAScopedTokenAndItsFindingsAppear(String kind) throws Exception {
        Requirements.onPath("skopeo");
        try (TestRegistry registry = ScanOnPushTest.start(dir, kind, closeAfter);
             TinyAdapter adapter = new TinyAdapter("Bearer adapter-secret");
             HttpClient http = HttpClient.newHttpClient()) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("root", "root-password", true);
            ids.users().create("boss", "boss-password", false);
            ids.organizations().create("acme", "boss");
            ids.organizations().create("beta", "boss");
            String root = basic("root", "root-password");
            String boss = basic("boss", "boss-password");

            // Registration: a non-superuser is refused; a URL that is no adapter is refused with a clear message.
            String body = "{\"url\":\"" + adapter.url() + "\",\"authorization\":\"Bearer adapter-secret\","
                    + "\"organization\":\"acme\"}";
            assertThat(put(http, registry, "/api/v1/scan-adapters/tiny", boss, body).statusCode()).isEqualTo(403);
            HttpResponse<String> wrong = put(http, registry, "/api/v1/scan-adapters/tiny", root,
                    "{\"url\":\"" + registry.baseUri() + "\"}");
            assertThat(wrong.statusCode()).as(wrong.body()).isEqualTo(400);
            assertThat(wrong.body()).contains("is not usable");
            HttpResponse<String> noSecret = put(http, registry, "/api/v1/scan-adapters/tiny", root,
                    "{\"url\":\"" + adapter.url() + "\"}");
            assertThat(noSecret.statusCode()).as(noSecret.body()).isEqualTo(400);
            assertThat(noSecret.body()).contains("HTTP 401");
            HttpResponse<String> set = put(http, registry, "/api/v1/scan-adapters/tiny", root, body);
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
            JsonNode registered = OciLayout.parse(set.body());
            assertThat(registered.path("scanner").path("name").asText()).isEqualTo("Tiny Scanner");
            assertThat(registered.path("authorization").asBoolean()).isTrue();
            assertThat(set.body()).doesNotContain("adapter-secret");
            HttpResponse<String> listed = ScanOnPushTest.get(http, registry, "/api/v1/scan-adapters", root);
            assertThat(listed.body()).contains("\"tiny\"").doesNotContain("adapter-secret");

            // The image of acme/app holds a package list the adapter reads from the layer it pulls.
            byte[] tar = Tar.tar(Map.of("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n".getBytes(StandardCharsets.UTF_8),
                    "usr/share/tiny/packages", "tinylib 1.2.3\n".getBytes(StandardCharsets.UTF_8)));
            push(dir, registry, Tar.tar(Map.of("etc/hostname", "other\n".getBytes(StandardCharsets.UTF_8))),
                    "acme/other:v1");
            String digest = push(dir, registry, tar, "acme/app:v1").digest();
            JsonNode report = await(http, registry, "/api/v1/repositories/acme/app/-/manifests/" + digest + "/scan",
                    boss, r -> r.path("scanners").path(0).path("state").asText().matches("done|failed"));
            JsonNode tiny = report.path("scanners").get(0);
            assertThat(tiny.path("state").asText()).as(tiny.toString()).isEqualTo("done");
            assertThat(tiny.path("adapter").asText()).isEqualTo("tiny");
            assertThat(tiny.path("scanner").path("name").asText()).isEqualTo("Tiny Scanner");
            assertThat(tiny.path("vulnerabilities")).as(adapter.statuses.toString()).hasSize(1);
            JsonNode v = tiny.path("vulnerabilities").get(0);
            assertThat(v.path("id").asText()).isEqualTo("CVE-2099-0001");
            assertThat(v.path("package").asText()).isEqualTo("tinylib");
            assertThat(v.path("version").asText()).isEqualTo("1.2.3");
            assertThat(v.path("fixed_version").asText()).isEqualTo("1.2.4");
            assertThat(v.path("severity").asText()).isEqualTo("HIGH");
            assertThat(v.path("cvss_score").asDouble()).isEqualTo(7.5);
            // The built-in scanner's report is still there beside it.
            assertThat(report.path("state").asText()).isIn("queued", "indexing", "done");

            // What the adapter was handed, and what the token let it do.
            JsonNode request = adapter.requests.stream()
                    .filter(r -> r.path("artifact").path("repository").asText().equals("acme/app")).findFirst()
                    .orElseThrow();
            assertThat(request.path("registry").path("url").asText()).isEqualTo(registry.baseUri().toString());
            assertThat(request.path("registry").path("authorization").asText()).startsWith("Bearer ");
            assertThat(request.path("artifact").path("repository").asText()).isEqualTo("acme/app");
            assertThat(request.path("artifact").path("digest").asText()).isEqualTo(digest);
            assertThat(request.path("artifact").path("mime_type").asText())
                    .isEqualTo("application/vnd.oci.image.manifest.v1+json");
            assertThat(adapter.polls.get()).as("the report was polled again after a 302").isGreaterThanOrEqualTo(2);
            Map<String, Integer> pulled = adapter.statuses.get(digest);
            assertThat(pulled).containsEntry("own manifest", 200).containsEntry("own layer", 200);
            assertThat(pulled.get("other repository")).as("the token pulls acme/app only").isIn(401, 403);
            assertThat(pulled.get("push")).as("the token does not push").isIn(401, 403);
            assertThat(pulled.get("catalog")).as("the token does not list the catalog").isIn(401, 403);

            // acme/other was scanned too (same organization); an image of beta is not the adapter's.
            String beta = push(dir, registry, tar, "beta/app:v1").digest();
            JsonNode betaReport = await(http, registry, "/api/v1/repositories/beta/app/-/manifests/" + beta + "/scan",
                    boss, r -> r.path("state").asText().equals("done"));
            assertThat(betaReport.path("scanners")).isEmpty();

            // An adapter's error (500 with the spec's error body) becomes a failed state with its message.
            adapter.failWith = "vulnerability database not ready";
            String broken = push(dir, registry, Tar.tar(Map.of("etc/motd", "x\n".getBytes(StandardCharsets.UTF_8))),
                    "acme/broken:v1").digest();
            JsonNode failed = await(http, registry, "/api/v1/repositories/acme/broken/-/manifests/" + broken
                    + "/scan", boss, r -> r.path("scanners").path(0).path("state").asText().equals("failed"));
            assertThat(failed.path("scanners").get(0).path("reason").asText())
                    .isEqualTo("scanner adapter tiny: its report answered HTTP 500: vulnerability database not ready");

            // The command line lists, registers (the header from standard input) and removes adapters as the API does.
            Cli.Result list = cli(kind, null, "scan", "adapter", "list");
            assertThat(list.exit()).as(list.err()).isZero();
            assertThat(list.out()).startsWith("tiny  " + adapter.url() + "  Tiny Scanner 0.1 (Bollard tests)  images "
                    + "of acme, with an Authorization header  set by root at ").doesNotContain("adapter-secret");
            Cli.Result refused = cli(kind, null, "scan", "adapter", "set", "other", adapter.url());
            assertThat(refused.exit()).isNotZero();
            assertThat(refused.err()).contains("is not usable", "HTTP 401");
            Cli.Result added = cli(kind, "Bearer adapter-secret\n", "scan", "adapter", "set", "other", adapter.url(),
                    "--organization", "beta", "--authorization-stdin");
            assertThat(added.exit()).as(added.err()).isZero();
            assertThat(added.out()).startsWith("registered other  " + adapter.url() + "  Tiny Scanner 0.1 (Bollard "
                    + "tests)  images of beta, with an Authorization header  set by cli:");
            assertThat(ScanOnPushTest.get(http, registry, "/api/v1/scan-adapters", root).body())
                    .contains("\"other\"", "\"beta\"");
            Cli.Result removed = cli(kind, null, "scan", "adapter", "delete", "other");
            assertThat(removed.exit()).as(removed.err()).isZero();
            assertThat(removed.out()).isEqualTo("removed scanner adapter other and its results\n");
            Cli.Result gone = cli(kind, null, "scan", "adapter", "delete", "other");
            assertThat(gone.exit()).isNotZero();
            assertThat(gone.err()).contains("there is no scanner adapter other");

            // Removing the adapter removes its results; both changes are audited.
            assertThat(send(http, registry, "DELETE", "/api/v1/scan-adapters/tiny", root, new byte[0],
                    "application/json").statusCode()).isEqualTo(204);
            assertThat(cli(kind, null, "scan", "adapter", "list").out())
                    .isEqualTo("no scanner adapters (add one with bollard scan adapter set NAME URL)\n");
            assertThat(ScanOnPushTest.get(http, registry, "/api/v1/repositories/acme/app/-/manifests/" + digest
                    + "/scan", boss).body()).contains("\"scanners\":[]");
            String audit = ScanOnPushTest.get(http, registry, "/api/v1/audit", root).body();
            assertThat(audit).contains("scan.adapter.set").contains("scan.adapter.delete").doesNotContain("adapter-secret");
        }
    }

    /** Runs {@code bollard ARGS} on the test's registry, with {@code input} (null: none) as its standard input. */
    private Cli.Result cli(String kind, String input, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(ScanOnPushTest.cliArgs(dir, kind));
        InputStream stdin = System.in;
        System.setIn(new java.io.ByteArrayInputStream((input == null ? "" : input).getBytes(StandardCharsets.UTF_8)));
        try {
            return Cli.run(all.toArray(String[]::new));
        } finally {
            System.setIn(stdin);
        }
    }

    private static HttpResponse<String> put(HttpClient http, TestRegistry registry, String path, String authorization,
                                            String json) throws Exception {
        return send(http, registry, "PUT", path, authorization, json.getBytes(StandardCharsets.UTF_8),
                "application/json");
    }

    /**
     * A scanner adapter after the spec (scanner-adapter-openapi-v1.1.yaml): answers only callers with its secret; a
     * scan request starts a pull of the artifact with the registry URL and Authorization it names — manifest, then each
     * layer, whose {@code usr/share/tiny/packages} it reads — and tries what the token should not allow; the report
     * answers 302 with Refresh-After until the pull is done, then names CVE-2099-0001 in each package listed.
     */
    public static final class TinyAdapter implements AutoCloseable {
        final List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());
        final Map<String, Map<String, Integer>> statuses = new ConcurrentHashMap<>();
        final AtomicInteger polls = new AtomicInteger();
        volatile String failWith;
        private final Map<String, ObjectNode> reports = new ConcurrentHashMap<>();
        private final AtomicInteger ids = new AtomicInteger();
        private final HttpServer server;
        private final HttpClient client = HttpClient.newHttpClient();

        public TinyAdapter(String secret) throws IOException {
            server = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/api/v1/", exchange -> {
                try (exchange) {
                    if (!secret.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                        reply(exchange, 401, "{\"error\":{\"message\":\"unauthorized\"}}", "application/json");
                        return;
                    }
                    handle(exchange);
                } catch (Exception e) {
                    reply(exchange, 500, "{\"error\":{\"message\":\"" + e + "\"}}", "application/json");
                }
            });
            server.start();
        }

        public String url() {
            return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
        }

        private void handle(HttpExchange exchange) throws Exception {
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/api/v1/metadata") && exchange.getRequestMethod().equals("GET")) {
                reply(exchange, 200, """
                        {"scanner":{"name":"Tiny Scanner","vendor":"Bollard tests","version":"0.1"},
                         "capabilities":[{"consumes_mime_types":["application/vnd.oci.image.manifest.v1+json",
                           "application/vnd.docker.distribution.manifest.v2+json"],
                           "produces_mime_types":["application/vnd.security.vulnerability.report; version=1.1"]}],
                         "properties":{"harbor.scanner-adapter/scanner-type":"os-package-vulnerability"}}""",
                        "application/vnd.scanner.adapter.metadata+json; version=1.0");
            } else if (path.equals("/api/v1/scan") && exchange.getRequestMethod().equals("POST")) {
                assertThat(exchange.getRequestHeaders().getFirst("Content-Type"))
                        .isEqualTo("application/vnd.scanner.adapter.scan.request+json; version=1.0");
                JsonNode request = OciLayout.parse(exchange.getRequestBody().readAllBytes());
                requests.add(request);
                String id = "req-" + ids.incrementAndGet();
                Thread.ofVirtual().start(() -> reports.put(id, scan(request)));
                reply(exchange, 202, "{\"id\":\"" + id + "\"}",
                        "application/vnd.scanner.adapter.scan.response+json; version=1.0");
            } else if (path.startsWith("/api/v1/scan/") && path.endsWith("/report")) {
                polls.incrementAndGet();
                assertThat(exchange.getRequestHeaders().getFirst("Accept")).isEqualTo(REPORT_TYPE);
                String id = path.substring("/api/v1/scan/".length(), path.length() - "/report".length());
                if (failWith != null) {
                    reply(exchange, 500, "{\"error\":{\"message\":\"" + failWith + "\"}}",
                            "application/vnd.scanner.adapter.error+json; version=1.0");
                    return;
                }
                ObjectNode report = reports.get(id);
                if (report == null) {
                    exchange.getResponseHeaders().set("Refresh-After", "1");
                    exchange.sendResponseHeaders(302, -1);
                    return;
                }
                reply(exchange, 200, report.toString(), REPORT_TYPE);
            } else {
                reply(exchange, 404, "{}", "application/json");
            }
        }

        /** Pulls the artifact as a client of the registry would, with the Authorization it was handed. */
        private ObjectNode scan(JsonNode request) {
            String base = request.path("registry").path("url").asText();
            String authorization = request.path("registry").path("authorization").asText();
            String repository = request.path("artifact").path("repository").asText();
            String digest = request.path("artifact").path("digest").asText();
            Map<String, Integer> status = new ConcurrentHashMap<>();
            statuses.put(digest, status);
            ArrayNode vulnerabilities = OciLayout.JSON.createArrayNode();
            try {
                HttpResponse<byte[]> manifest = get(base + "/v2/" + repository + "/manifests/" + digest, authorization,
                        request.path("artifact").path("mime_type").asText());
                status.put("own manifest", manifest.statusCode());
                for (JsonNode layer : OciLayout.parse(manifest.body()).path("layers")) {
                    HttpResponse<byte[]> blob = get(base + "/v2/" + repository + "/blobs/"
                            + layer.path("digest").asText(), authorization, "*/*");
                    status.put("own layer", blob.statusCode());
                    byte[] packages = Tar.files(gunzip(blob.body())).get("usr/share/tiny/packages");
                    if (packages != null) {
                        for (String line : new String(packages, StandardCharsets.UTF_8).strip().lines().toList()) {
                            String[] nameVersion = line.split(" ", 2);
                            ObjectNode v = vulnerabilities.addObject();
                            v.put("id", "CVE-2099-0001").put("package", nameVersion[0]).put("version", nameVersion[1])
                                    .put("fix_version", "1.2.4").put("severity", "High")
                                    .put("description", "a made-up flaw of the test").putArray("links")
                                    .add("https://example.invalid/CVE-2099-0001");
                            v.putObject("preferred_cvss").put("score_v3", 7.5)
                                    .put("vector_v3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
                        }
                    }
                }
                status.put("other repository", get(base + "/v2/acme/other/manifests/v1", authorization,
                        "application/vnd.oci.image.manifest.v1+json").statusCode());
                status.put("catalog", get(base + "/v2/_catalog", authorization, "application/json").statusCode());
                status.put("push", client.send(HttpRequest.newBuilder(URI.create(base + "/v2/" + repository
                                + "/blobs/uploads/")).header("Authorization", authorization)
                        .POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode());
            } catch (IOException | InterruptedException e) {
                status.put("error " + e, 0);
            }
            ObjectNode report = OciLayout.JSON.createObjectNode();
            report.put("generated_at", java.time.Instant.now().toString());
            report.set("artifact", request.path("artifact"));
            report.putObject("scanner").put("name", "Tiny Scanner").put("vendor", "Bollard tests").put("version", "0.1");
            report.put("severity", vulnerabilities.isEmpty() ? "None" : "High");
            report.set("vulnerabilities", vulnerabilities);
            return report;
        }

        private HttpResponse<byte[]> get(String url, String authorization, String accept)
                throws IOException, InterruptedException {
            return client.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", authorization)
                    .header("Accept", accept).build(), HttpResponse.BodyHandlers.ofByteArray());
        }

        private static byte[] gunzip(byte[] gz) throws IOException {
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
                return in.readAllBytes();
            }
        }

        private static void reply(HttpExchange exchange, int status, String body, String type) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
        }

        @Override
        public void close() {
            server.stop(0);
            client.close();
        }
    }
}
