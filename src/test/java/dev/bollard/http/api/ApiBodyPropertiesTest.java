package dev.bollard.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bollard.auth.Identities;
import dev.bollard.testing.JsonArbitraries;
import dev.bollard.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Properties of the management API's JSON bodies, over HTTP against a registry with access control on, as a
 * superuser (so that requests reach the handlers rather than stop at the access check): any JSON (and any body that
 * is not JSON) sent to a route that reads a body, and valid bodies of representative routes with one field removed,
 * retyped or given an odd value, are answered without a 5xx; every refusal is the API's JSON error with one of the
 * codes docs/api.md lists.
 * <p>
 * Left out: the routes that call out to other servers with what the body names (proxy and mirror upstreams, a
 * workload issuer's discovery, webhook pings, mirror syncs): their validation has its own tests, and random hosts
 * would make this one wait on name lookups.
 */
class ApiBodyPropertiesTest {
    /** docs/api.md's table of the API's error codes. */
    private static final Set<String> DOCUMENTED = Set.of("INVALID_REQUEST", "INVALID_JSON", "INVALID_PAGINATION",
            "UNAUTHORIZED", "DENIED", "NOT_FOUND", "METHOD_NOT_ALLOWED", "CONFLICT", "TOO_LARGE",
            "UNSUPPORTED_MEDIA_TYPE", "TOO_MANY_REQUESTS");
    private static final String ADMIN = ApiHttp.basic("root", "root-password");

    private static Path dir;
    private static TestRegistry registry;
    private static ApiHttp http;
    private static List<String> bodyRoutes;

    @BeforeContainer
    static void startRegistry() throws Exception {
        dir = Files.createTempDirectory("bollard-api-properties");
        registry = TestRegistry.startWithOrganization(dir.resolve("data"), "root", "root-password", "acme");
        Identities ids = new Identities(registry.server().database());
        ids.users().create("bob", "bob-password", false);
        ids.robots().create("acme", "ci");
        http = new ApiHttp(registry.baseUri());
        http.expect(201, "PUT", "/api/v1/repositories/acme/app", ADMIN, "{\"visibility\":\"private\"}");
        bodyRoutes = new ArrayList<>();
        for (ApiRoute r : registry.server().apiRoutes()) {
            if (List.of("POST", "PUT", "PATCH").contains(r.method()) && !callsOut(r.path())) {
                bodyRoutes.add(r.method() + " " + r.path());
            }
        }
    }

    private static boolean callsOut(String path) {
        return path.contains("/proxy") || path.contains("/mirror") || path.endsWith("/trust") || path.endsWith("/ping")
                || path.endsWith("/redeliver") || path.endsWith("/sync");
    }

    @AfterContainer
    static void stopRegistry() throws IOException {
        if (http != null) {
            http.close();
        }
        if (registry != null) {
            registry.close();
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The route with its parameters filled with names that exist (an organization, a user other than the caller). */
    private static String fill(String template) {
        return template.replace("{repository*}", "acme/app").replace("{org}", "acme").replace("{namespace}", "acme")
                .replace("{user}", "bob").replace("{team}", "devs").replace("{robot}", "ci").replace("{kind}", "user")
                .replace("{grantee}", "bob").replace("{tag}", "v1").replace("{pattern}", "v*")
                .replace("{principal}", "bob").replace("{vulnerability}", "CVE-2024-0001")
                .replaceAll("\\{[a-z]+\\*?}", "1");
    }

    private static void assertAnsweredWell(String route, String body, String contentType)
            throws IOException, InterruptedException {
        String method = route.substring(0, route.indexOf(' '));
        String path = fill(route.substring(route.indexOf(' ') + 1));
        ApiHttp.Answer a = http.call(method, path, ADMIN, body, contentType);
        String what = method + " " + path + " " + body;
        assertThat(a.status()).as("%s answered %s", what, a).isLessThan(500);
        if (a.status() >= 400) {
            assertThat(a.header("Content-Type")).as("%s answered %s", what, a).startsWith("application/json");
            JsonNode error = a.json();
            assertThat(error.path("code").asText()).as("%s answered %s", what, a).isIn(DOCUMENTED);
            assertThat(error.path("message").asText()).as("%s answered %s", what, a).isNotBlank();
        }
    }

    @Property(tries = 600)
    void anyJsonToAnyRouteWithABodyIsNoServerError(@ForAll("routes") String route, @ForAll("bodies") String body)
            throws Exception {
        assertAnsweredWell(route, body, "application/json");
    }

    @Property(tries = 150)
    void anyBytesAsAnyTypeAreNoServerError(@ForAll("routes") String route, @ForAll("notJson") String body,
                                           @ForAll("contentTypes") String contentType) throws Exception {
        assertAnsweredWell(route, body, contentType);
    }

    @Property(tries = 600)
    void validBodiesMutatedAreNoServerError(@ForAll("mutated") Map.Entry<String, String> routeAndBody) throws Exception {
        assertAnsweredWell(routeAndBody.getKey(), routeAndBody.getValue(), "application/json");
    }

    // ---- generators ----

    /** The fields the API's bodies have: random objects use them more often than other keys. */
    private static final String[] FIELDS = {"name", "password", "superuser", "role", "visibility", "description",
            "labels", "url", "method", "event_types", "tag_pattern", "repository_pattern", "keep_last",
            "keep_days", "quota_bytes", "window", "severity", "expires", "expires_in", "digest", "certificate",
            "issuer", "claims", "subject", "enabled", "headers", "secret", "group", "email", "scope", "reason",
            "content", "tags", "dry_run", "current_password", "new_password", "revoke_sessions", "days"};

    @Provide
    Arbitrary<String> routes() {
        return Arbitraries.of(bodyRoutes);
    }

    @Provide
    Arbitrary<String> bodies() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, JsonArbitraries.objects(3, FIELDS).map(JsonNode::toString)),
                Tuple.of(1, JsonArbitraries.values(3).map(JsonNode::toString)),
                Tuple.of(1, Arbitraries.integers().between(500, 3000).map(n -> JsonArbitraries.nested(n, n % 2 == 0, "1"))),
                Tuple.of(1, Arbitraries.of("", "{", "{\"name\":", "{\"a\":1,\"a\":2}", "{\"name\":\"x\"}garbage",
                        "\uFEFF{}", "{\"name\":\"\\ud800\"}", "[1,2", "nul", "{} {}", "{\"quota_bytes\":1e999}")));
    }

    @Provide
    Arbitrary<String> notJson() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(200), Arbitraries.of("name=x&password=y", "<a/>"));
    }

    @Provide
    Arbitrary<String> contentTypes() {
        return Arbitraries.of("text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16",
                "application/jsonx", "", ";;", "multipart/form-data; boundary=x", "APPLICATION/JSON");
    }

    /** Valid bodies of representative routes (each accepted as it stands, or refused for a state reason). */
    private static final List<Map.Entry<String, String>> VALID = List.of(
            Map.entry("POST /api/v1/users", "{\"name\":\"carol\",\"password\":\"carol-password-1\",\"superuser\":false}"),
            Map.entry("PATCH /api/v1/users/{user}", "{\"superuser\":false}"),
            Map.entry("POST /api/v1/organizations", "{\"name\":\"globex\"}"),
            Map.entry("POST /api/v1/organizations/{org}/teams", "{\"name\":\"devs\",\"role\":\"member\",\"description\":\"d\"}"),
            Map.entry("PUT /api/v1/repositories/{repository*}", "{\"visibility\":\"public\"}"),
            Map.entry("PUT /api/v1/repositories/{repository*}/-/permissions/{kind}/{grantee}", "{\"role\":\"read\"}"),
            Map.entry("PUT /api/v1/repositories/{repository*}/-/labels", "{\"labels\":{\"team\":\"web\"}}"),
            Map.entry("POST /api/v1/repositories/{repository*}/-/retention-policies",
                    "{\"tag_pattern\":\"v*\",\"keep_last\":3}"),
            Map.entry("POST /api/v1/namespaces/{namespace}/robots", "{\"name\":\"builder\",\"description\":\"d\"}"),
            Map.entry("POST /api/v1/namespaces/{namespace}/webhooks",
                    "{\"url\":\"https://hooks.example.org/x\",\"event_types\":[\"manifest.pushed\"]}"),
            Map.entry("PUT /api/v1/namespaces/{namespace}/quota", "{\"quota_bytes\":1048576}"),
            Map.entry("PUT /api/v1/organizations/{org}/scan-policy", "{\"severity\":\"high\"}"));

    @Provide
    Arbitrary<Map.Entry<String, String>> mutated() {
        Arbitrary<JsonNode> odd = Arbitraries.frequencyOf(Tuple.of(3, JsonArbitraries.scalars()),
                Tuple.of(1, JsonArbitraries.values(2)));
        return Combinators.combine(Arbitraries.of(VALID), Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 100), odd, Arbitraries.of(FIELDS)).as((valid, how, which, value, key) -> {
            ObjectNode body;
            try {
                body = (ObjectNode) ApiHttp.JSON.readTree(valid.getValue());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            List<String> names = new ArrayList<>();
            body.fieldNames().forEachRemaining(names::add);
            String field = names.get(which % names.size());
            switch (how) {
                case 0 -> body.remove(field);
                case 1 -> body.set(field, value);
                case 2 -> body.set(key, value);
                default -> body.set(field, JsonNodeFactory.instance.arrayNode().add(body.get(field)));
            }
            return Map.entry(valid.getKey(), body.toString());
        });
    }
}
