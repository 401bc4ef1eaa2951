package dev.bollard.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.auth.Identities;
import dev.bollard.config.BollardConfig;
import dev.bollard.oci.Digest;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The life-cycle endpoints of {@code /api/v1} with access control on: history and restore, immutable tags, retention
 * policies with their preview, quotas and windows, who may do what, and the audit log entries they leave.
 */
class LifecycleApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private TestRegistry registry;

    private record Answer(int status, JsonNode json, String body) {
    }

    private static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + user + "-password")
                .getBytes(StandardCharsets.UTF_8));
    }

    private Answer call(String user, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(registry.uri(path)).header("Authorization", basic(user))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()), r.body());
    }

    private Answer expect(int status, String user, String method, String path, String body) throws Exception {
        Answer a = call(user, method, path, body);
        assertThat(a.status()).as("%s %s as %s: %s", method, path, user, a.body()).isEqualTo(status);
        return a;
    }

    private static List<String> texts(JsonNode items, String field) {
        List<String> out = new ArrayList<>();
        items.forEach(n -> out.add(n.get(field).asText()));
        return out;
    }

    @Test
    void lifecyclePoliciesThroughTheManagementApi() throws Exception {
        BollardConfig config = BollardConfig.defaults(dir.resolve("data"), "127.0.0.1", 0);
        registry = TestRegistry.start(config);
        try (LifecycleFixture f = new LifecycleFixture(config, registry.server().database())) {
            Identities identities = new Identities(registry.server().database());
            identities.users().create("root", "root-password", true);
            identities.users().create("owner", "owner-password", false);
            identities.users().create("dev", "dev-password", false);
            identities.organizations().create("acme", "owner");
            identities.organizations().setMember("acme", "dev", "member");
            Digest first = f.image("acme/app", "latest", LifecycleFixture.bytes("1", 100)).digest();
            Digest second = f.image("acme/app", "latest", LifecycleFixture.bytes("2", 100)).digest();

            // history and restore
            Answer history = expect(200, "owner", "GET", "/api/v1/repositories/acme/app/-/history?tag=latest&limit=1", null);
            assertThat(texts(history.json().get("items"), "digest")).containsExactly(second.toString());
            String cursor = history.json().get("next_cursor").asText();
            Answer older = expect(200, "owner", "GET", "/api/v1/repositories/acme/app/-/history?tag=latest&cursor=" + cursor, null);
            assertThat(texts(older.json().get("items"), "digest")).containsExactly(first.toString());
            assertThat(older.json().get("items").get(0).get("restorable").asBoolean()).isTrue();
            expect(200, "owner", "POST", "/api/v1/repositories/acme/app/-/tags/latest/restore",
                    "{\"digest\":\"" + first + "\"}");
            assertThat(f.registry.manifests().get(new dev.bollard.oci.RepositoryName("acme/app"),
                    new dev.bollard.oci.Reference.ByTag(new dev.bollard.oci.Tag("latest"))).digest()).isEqualTo(first);
            expect(404, "owner", "POST", "/api/v1/repositories/acme/app/-/tags/other/restore",
                    "{\"digest\":\"" + first + "\"}");

            // immutable tags: the org's member may read, only repository admins may change
            expect(403, "dev", "PUT", "/api/v1/repositories/acme/app/-/immutable-tags/latest", null);
            expect(201, "owner", "PUT", "/api/v1/repositories/acme/app/-/immutable-tags/latest", null);
            assertThat(texts(expect(200, "dev", "GET", "/api/v1/repositories/acme/app/-/immutable-tags", null)
                    .json().get("items"), "pattern")).containsExactly("latest");
            Answer refused = expect(409, "owner", "POST", "/api/v1/repositories/acme/app/-/tags/latest/restore",
                    "{\"digest\":\"" + second + "\"}");
            assertThat(refused.json().get("code").asText()).isEqualTo("CONFLICT");
            assertThat(refused.json().get("message").asText()).contains("immutable (rule 'latest')");
            expect(204, "owner", "DELETE", "/api/v1/repositories/acme/app/-/immutable-tags/latest", null);

            // retention
            for (int i = 1; i <= 3; i++) {
                f.image("acme/app", "build-" + i, LifecycleFixture.bytes("b" + i, 10));
            }
            Answer policy = expect(201, "owner", "POST", "/api/v1/namespaces/acme/retention-policies",
                    "{\"tag_pattern\":\"build-*\",\"keep_last\":1}");
            expect(400, "owner", "POST", "/api/v1/namespaces/acme/retention-policies", "{\"tag_pattern\":\"build-*\"}");
            expect(403, "dev", "GET", "/api/v1/namespaces/acme/retention-policies", null);
            assertThat(texts(expect(200, "owner", "GET", "/api/v1/namespaces/acme/retention-policies", null)
                    .json().get("items"), "tag_pattern")).containsExactly("build-*");
            assertThat(texts(expect(200, "owner", "GET", "/api/v1/namespaces/acme/retention-preview", null)
                    .json().get("items"), "tag")).containsExactly("build-1", "build-2");
            expect(204, "owner", "DELETE", "/api/v1/namespaces/acme/retention-policies/" + policy.json().get("id"), null);
            expect(404, "owner", "DELETE", "/api/v1/namespaces/acme/retention-policies/" + policy.json().get("id"), null);

            // quota (set by a superuser only) and window
            expect(403, "owner", "PUT", "/api/v1/namespaces/acme/quota", "{\"quota_bytes\":1000}");
            Answer quota = expect(200, "root", "PUT", "/api/v1/namespaces/acme/quota", "{\"quota_bytes\":100000,\"warn_percent\":90}");
            assertThat(quota.json().get("quota_bytes").asLong()).isEqualTo(100000);
            assertThat(quota.json().get("used_bytes").asLong()).isPositive();
            assertThat(expect(200, "owner", "GET", "/api/v1/namespaces/acme/quota", null).json().get("state").asText())
                    .isEqualTo("ok");
            assertThat(expect(200, "owner", "PUT", "/api/v1/namespaces/acme/history-window", "{\"window\":\"30d\"}")
                    .json().get("window_seconds").asLong()).isEqualTo(30L * 86400);
            expect(400, "owner", "PUT", "/api/v1/namespaces/acme/history-window", "{\"window\":\"soon\"}");

            registry.server().audit().flush(10_000); // the chain is appended just after each commit
            assertThat(registry.server().database().<List<String>>read(h -> h.createQuery(
                    "SELECT action FROM audit_log WHERE namespace = 'acme' AND actor = 'owner' ORDER BY seq")
                    .mapTo(String.class).list()))
                    .contains("tag.restore", "immutable-tag-rule.add", "immutable-tag-rule.remove",
                            "retention-policy.set", "retention-policy.delete", "history-window.set");
        } finally {
            registry.close();
        }
    }
}
