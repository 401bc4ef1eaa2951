package dev.bollard.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.Identities;
import dev.bollard.testing.TestRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The management API's framework: the OpenAPI document against the real route table and the live server, JSON
 * errors with stable codes, body parsing, pagination with Link headers, and application tokens as bearer tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManagementApiTest {
    @TempDir
    static Path dir;

    private TestRegistry registry;
    private ApiHttp http;
    private String root;

    @BeforeAll
    void start() throws Exception {
        registry = TestRegistry.startWithAuth(dir.resolve("data"));
        http = new ApiHttp(registry.baseUri());
        new Identities(registry.server().database()).users().create("root", "root-password", true);
        root = ApiHttp.basic("root", "root-password");
    }

    @AfterAll
    void stop() {
        http.close();
        registry.close();
    }

    @Test
    void theOpenApiDocumentListsExactlyTheRoutesServed() throws Exception {
        ApiHttp.Answer a = http.expect(200, "GET", "/api/v1/openapi.json", null, null);
        JsonNode doc = a.json();
        assertThat(doc.get("openapi").asText()).startsWith("3.");
        Set<String> documented = new TreeSet<>();
        doc.get("paths").properties().forEach(p -> p.getValue().properties()
                .forEach(op -> documented.add(op.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey())));
        Set<String> table = new TreeSet<>();
        for (ApiRoute r : registry.server().apiRoutes()) {
            table.add(r.method() + " " + r.openApiPath());
        }
        assertThat(documented).isEqualTo(table);

        // And the server answers each documented operation through a route, not with the router's own 404/405:
        // a path built from the template with sample values reaches the handler (or the access decision).
        List<String> unrouted = new ArrayList<>();
        for (String op : documented) {
            String method = op.substring(0, op.indexOf(' '));
            String path = op.substring(op.indexOf(' ') + 1).replaceAll("\\{repository}", "nobody/sample/repo")
                    .replaceAll("\\{kind}", "user").replaceAll("\\{[a-z]+}", "sample");
            ApiHttp.Answer r = http.call(method, path, root, List.of("POST", "PUT", "PATCH").contains(method) ? "{}" : null);
            if (r.status() == 405 || (r.status() == 404 && r.body().contains("no such endpoint"))) {
                unrouted.add(op + " -> " + r);
            }
        }
        assertThat(unrouted).isEmpty();
    }

    /**
     * A route that answers without reading the body it was sent (the body's bytes arriving after the headers) keeps
     * the connection usable: the next request on it is answered. Before, Jetty closed the connection after such an
     * answer without saying so, and the client's next request on it got no answer at all (seen in CI).
     */
    @Test
    void aBodyTheRouteDidNotNeedDoesNotCostTheConnection() throws Exception {
        http.expect(201, "PUT", "/api/v1/repositories/nobody/keepalive", root, "{}");
        try (Socket socket = new Socket(registry.baseUri().getHost(), registry.baseUri().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            String host = registry.hostPort();
            out.write(("PUT /api/v1/repositories/nobody/keepalive/-/immutable-tags/v1 HTTP/1.1\r\nHost: " + host
                    + "\r\nAuthorization: " + root + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(300); // the body follows the headers late, as a busy client's may
            out.write("{}".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            assertThat(readResponse(in)).startsWith("HTTP/1.1 201");
            out.write(("GET /api/v1/openapi.json HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readResponse(in)).as("the next request on the same connection").startsWith("HTTP/1.1 200");
        }
    }

    /**
     * Every path means one thing whatever a repository is called: a repository named like a sub-resource is a
     * repository, its sub-resources follow {@code /-/}, and a malformed sub-resource path is refused rather than
     * read as the name of a repository to create.
     */
    @Test
    void repositoryPathsAreUnambiguous() throws Exception {
        http.expect(201, "PUT", "/api/v1/repositories/nobody/tools/permissions", root, "{}");
        assertThat(http.expect(200, "GET", "/api/v1/repositories/nobody/tools/permissions", root, null).json()
                .get("name").asText()).isEqualTo("nobody/tools/permissions");
        assertThat(http.expect(200, "GET", "/api/v1/repositories/nobody/tools/permissions/-/permissions", root, null)
                .json().has("name")).as("the grants of the repository, not the repository").isFalse();

        ApiHttp.Answer malformed = http.call("PUT", "/api/v1/repositories/nobody/tools/-/permissions/team/x/y", root,
                "{\"role\":\"read\"}");
        assertThat(malformed.status()).as(malformed.toString()).isEqualTo(404);
        http.expect(404, "GET", "/api/v1/repositories/nobody/tools/-/permissions/team/x/y", root, null);
        http.expect(405, "GET", "/api/v1/repositories/nobody/tools/-/permissions/team/x", root, null);
        http.expect(404, "GET", "/api/v1/repositories/nobody/tools", root, null);
    }

    /** The status line of the next response; its headers and body are read past. */
    private static String readResponse(BufferedReader in) throws IOException {
        String status = in.readLine();
        assertThat(status).as("a response, not the end of the connection").isNotNull();
        long length = 0;
        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        for (long i = 0; i < length; i++) {
            in.read(); // the bodies here are ASCII JSON: one char per byte
        }
        return status;
    }

    /** PATCH changes a webhook's method between http and slack; to e-mail it refuses, saying why, and keeps it. */
    @Test
    void aWebhooksMethodChangesThroughPatchButNotToEmail() throws Exception {
        String hooks = "/api/v1/namespaces/root/webhooks";
        // A documentation address (TEST-NET-3): public, so allowed, and nothing is ever sent to it here.
        long id = http.expect(201, "POST", hooks, root, "{\"url\":\"https://203.0.113.10/hook\"}").json()
                .get("id").asLong();
        assertThat(http.expect(200, "PATCH", hooks + "/" + id, root, "{\"method\":\"slack\"}").json()
                .get("method").asText()).isEqualTo("slack");
        ApiHttp.Answer toEmail = http.expect(400, "PATCH", hooks + "/" + id, root,
                "{\"method\":\"email\",\"url\":\"mailto:root@example.com\"}");
        assertThat(toEmail.json().get("message").asText()).contains("cannot change its method from slack to email",
                "create a new webhook with method email");
        assertThat(http.expect(200, "GET", hooks + "/" + id, root, null).json().get("method").asText())
                .isEqualTo("slack");
        assertThat(http.expect(200, "PATCH", hooks + "/" + id, root, "{\"method\":\"http\"}").json()
                .get("method").asText()).isEqualTo("http");
    }

    @Test
    void docsApiMdListsEveryRoute() throws Exception {
        String doc = java.nio.file.Files.readString(Path.of("docs/api.md"));
        for (ApiRoute r : registry.server().apiRoutes()) {
            assertThat(doc).as("docs/api.md lists %s %s", r.method(), r.path())
                    .contains("| `" + r.method() + " " + r.path() + "` |");
        }
    }

    @Test
    void errorsAreJsonWithAStableCode() throws Exception {
        ApiHttp.Answer unknown = http.expect(404, "GET", "/api/v1/nothing-here", root, null);
        assertThat(unknown.json().get("code").asText()).isEqualTo("NOT_FOUND");
        assertThat(unknown.json().get("message").asText()).contains("no such endpoint");

        ApiHttp.Answer method = http.expect(405, "POST", "/api/v1/me", root, "{}");
        assertThat(method.json().get("code").asText()).isEqualTo("METHOD_NOT_ALLOWED");
        assertThat(method.header("Allow")).isEqualTo("GET");

        ApiHttp.Answer anonymous = http.expect(401, "GET", "/api/v1/users", null, null);
        assertThat(anonymous.json().get("code").asText()).isEqualTo("UNAUTHORIZED");
        assertThat(anonymous.header("WWW-Authenticate")).contains("Basic");

        ApiHttp.Answer wrongPassword = http.expect(401, "GET", "/api/v1/me", ApiHttp.basic("root", "wrong-password"), null);
        assertThat(wrongPassword.json().get("code").asText()).isEqualTo("UNAUTHORIZED");

        ApiHttp.Answer badJson = http.expect(400, "POST", "/api/v1/users", root, "{\"name\": ");
        assertThat(badJson.json().get("code").asText()).isEqualTo("INVALID_JSON");
        assertThat(badJson.json().get("message").asText()).contains("line 1");

        // Beyond Jackson's nesting limit, the parser fails without a location (was a 500).
        String deep = "{\"a\": " + "[".repeat(5_000) + "]".repeat(5_000) + "}";
        ApiHttp.Answer tooDeep = http.expect(400, "POST", "/api/v1/users", root, deep);
        assertThat(tooDeep.json().get("code").asText()).isEqualTo("INVALID_JSON");
        assertThat(tooDeep.json().get("message").asText()).contains("nesting depth");

        ApiHttp.Answer notObject = http.expect(400, "POST", "/api/v1/users", root, "[1, 2]");
        assertThat(notObject.json().get("code").asText()).isEqualTo("INVALID_JSON");

        ApiHttp.Answer missing = http.expect(400, "POST", "/api/v1/users", root, "{\"name\": \"x1\"}");
        assertThat(missing.json().get("code").asText()).isEqualTo("INVALID_REQUEST");
        assertThat(missing.json().get("message").asText()).contains("password");

        ApiHttp.Answer wrongType = http.expect(400, "POST", "/api/v1/users", root,
                "{\"name\": \"x1\", \"password\": \"long-enough\", \"superuser\": \"yes\"}");
        assertThat(wrongType.json().get("message").asText()).contains("superuser");

        ApiHttp.Answer badLimit = http.expect(400, "GET", "/api/v1/users?limit=0", root, null);
        assertThat(badLimit.json().get("code").asText()).isEqualTo("INVALID_PAGINATION");
        ApiHttp.Answer badCursor = http.expect(400, "GET", "/api/v1/audit?cursor=%21%21", root, null);
        assertThat(badCursor.json().get("code").asText()).isEqualTo("INVALID_PAGINATION");

        http.expect(201, "POST", "/api/v1/users", root, "{\"name\": \"dupe\", \"password\": \"dupe-password\"}");
        ApiHttp.Answer conflict = http.expect(409, "POST", "/api/v1/users", root,
                "{\"name\": \"dupe\", \"password\": \"dupe-password\"}");
        assertThat(conflict.json().get("code").asText()).isEqualTo("CONFLICT");
    }

    @Test
    void listsArePaginatedWithCursorsAndLinkHeaders() throws Exception {
        for (int i = 0; i < 7; i++) {
            http.expect(201, "POST", "/api/v1/users", root, "{\"name\": \"page-" + i + "\", \"password\": \"page-password\"}");
        }
        List<String> seen = new ArrayList<>();
        String next = "/api/v1/users?limit=3";
        int pages = 0;
        while (next != null) {
            ApiHttp.Answer page = http.expect(200, "GET", next, root, null);
            page.json().get("items").forEach(u -> seen.add(u.get("name").asText()));
            String link = page.header("Link");
            if (link == null) {
                assertThat(page.json().get("next_cursor").isNull()).isTrue();
                next = null;
            } else {
                assertThat(link).endsWith(">; rel=\"next\"");
                next = link.substring(1, link.indexOf('>'));
            }
            pages++;
        }
        assertThat(seen).contains("page-0", "page-6", "root").doesNotHaveDuplicates();
        assertThat(seen).isSorted();
        assertThat(pages).isGreaterThanOrEqualTo(3);
    }

    @Test
    void anApplicationTokenAuthenticatesAsABearerToken() throws Exception {
        http.expect(201, "POST", "/api/v1/users", root, "{\"name\": \"carol\", \"password\": \"carol-password\"}");
        String carol = ApiHttp.basic("carol", "carol-password");
        JsonNode created = http.expect(201, "POST", "/api/v1/users/carol/tokens", carol, "{\"name\": \"ci\"}").json();
        String token = created.get("token").asText();
        assertThat(token).startsWith("bollard_app_");
        JsonNode me = http.expect(200, "GET", "/api/v1/me", "Bearer " + token, null).json();
        assertThat(me.get("name").asText()).isEqualTo("carol");
        assertThat(http.expect(200, "GET", "/api/v1/users/carol/tokens", "Bearer " + token, null).json()
                .get("items").get(0).get("name").asText()).isEqualTo("ci");
        // The token is not the password: it cannot change the password.
        ApiHttp.Answer refused = http.expect(403, "PUT", "/api/v1/users/carol/password", "Bearer " + token,
                "{\"password\":\"taken-over-1\",\"current_password\":\"" + token + "\"}");
        assertThat(refused.json().get("code").asText()).isEqualTo("DENIED");
        http.expect(204, "PUT", "/api/v1/users/carol/password", "Bearer " + token,
                "{\"password\":\"carol-password\",\"current_password\":\"carol-password\"}");
        http.expect(204, "DELETE", "/api/v1/users/carol/tokens/ci", carol, null);
        http.expect(401, "GET", "/api/v1/me", "Bearer " + token, null);
        http.expect(401, "GET", "/api/v1/me", "Bearer not-a-token", null);
    }
}
