package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.audit.AuditActions;
import dev.bollard.testing.TestRegistry;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of action, done through the real interfaces (/v2, the token endpoint, /api/v1), lands in the audit
 * log with its actor, address and user agent; the log then verifies, and can be read back through the API as pages,
 * JSON lines and CSV.
 */
class AuditEventsTest {
    private static final String UA = "audit-test-client/1.0";

    @TempDir
    Path dir;

    private AuthHttp http;

    private HttpResponse<byte[]> api(String method, String path, String auth, String json, int expected) throws Exception {
        return AuthHttp.expect(json == null ? http.send(method, path, auth, null, "User-Agent", UA)
                : http.send(method, path, auth, json.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json",
                "User-Agent", UA), expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void everyActionIsRecordedWithActorAddressAndUserAgent(String kind) throws Exception {
        try (DatabaseKind database = DatabaseKind.of(kind, dir.resolve("data"));
             TestRegistry registry = TestRegistry.start(database.config()
                     .set("events.webhooks.allow-private-targets", "true").set("events.poll-interval", "100ms").load())) {
            http = new AuthHttp(registry.baseUri());
            new Identities(registry.server().database()).users().create("root", "root-password", true);
            String root = basic("root", "root-password");

            // accounts, organizations, teams, robots, tokens, permissions
            api("POST", "/api/v1/users", root, "{\"name\":\"alice\",\"password\":\"alice-password\"}", 201);
            api("POST", "/api/v1/users", root, "{\"name\":\"bob\",\"password\":\"bob-password-1\"}", 201);
            api("PUT", "/api/v1/users/bob/password", root, "{\"password\":\"bob-password-2\"}", 204);
            api("PATCH", "/api/v1/users/bob", root, "{\"superuser\":false}", 200);
            String alice = basic("alice", "alice-password");
            api("POST", "/api/v1/organizations", alice, "{\"name\":\"acme\"}", 201);
            api("PUT", "/api/v1/organizations/acme/members/bob", alice, "{\"role\":\"member\"}", 200);
            api("POST", "/api/v1/organizations/acme/teams", alice, "{\"name\":\"devs\",\"role\":\"member\"}", 201);
            api("PATCH", "/api/v1/organizations/acme/teams/devs", alice, "{\"role\":\"creator\"}", 200);
            api("PUT", "/api/v1/organizations/acme/teams/devs/members/bob", alice, null, 204);
            api("DELETE", "/api/v1/organizations/acme/teams/devs/members/bob", alice, null, 204);
            api("PUT", "/api/v1/organizations/acme/teams/devs/directory-group", alice,
                    "{\"group_dn\":\"cn=devs,ou=groups,dc=example,dc=org\"}", 200);
            api("DELETE", "/api/v1/organizations/acme/teams/devs/directory-group", alice, null, 204);
            api("PUT", "/api/v1/organizations/acme/teams/devs/oidc-group", alice,
                    "{\"provider\":\"keycloak\",\"group\":\"devs\"}", 200);
            api("DELETE", "/api/v1/organizations/acme/teams/devs/oidc-group", alice, null, 204);
            api("PUT", "/api/v1/organizations/acme/default-permissions/team/devs", alice, "{\"role\":\"write\"}", 200);
            api("DELETE", "/api/v1/organizations/acme/default-permissions/team/devs", alice, null, 204);
            api("POST", "/api/v1/namespaces/acme/robots", alice, "{\"name\":\"ci\"}", 201);
            api("POST", "/api/v1/namespaces/acme/robots/ci/regenerate", alice, null, 200);
            long rule = AuthHttp.json(api("POST", "/api/v1/namespaces/acme/robots/ci/trust", alice,
                    "{\"issuer\":\"https://token.actions.githubusercontent.com\",\"subject\":\"repo:acme/app:*\"}", 201))
                    .get("id").asLong();
            api("DELETE", "/api/v1/namespaces/acme/robots/ci/trust/" + rule, alice, null, 204);
            String clientPem = java.nio.file.Files.readString(dev.bollard.testing.TestCa.create(dir.resolve("client-ca"))
                    .issueClient("ci-runner").certificate());
            String bound = AuthHttp.json(api("POST", "/api/v1/namespaces/acme/robots/ci/certificates", alice,
                    AuthHttp.JSON.writeValueAsString(java.util.Map.of("certificate", clientPem)), 201))
                    .get("fingerprint").asText();
            api("DELETE", "/api/v1/namespaces/acme/robots/ci/certificates/" + bound, alice, null, 204);
            api("PUT", "/api/v1/repositories/acme/app", alice, "{\"visibility\":\"private\"}", 201);
            api("PATCH", "/api/v1/repositories/acme/app", alice, "{\"visibility\":\"public\"}", 200);
            api("PUT", "/api/v1/repositories/acme/app/-/permissions/robot/acme+ci", alice, "{\"role\":\"write\"}", 200);
            api("DELETE", "/api/v1/repositories/acme/app/-/permissions/robot/acme+ci", alice, null, 204);
            api("DELETE", "/api/v1/namespaces/acme/robots/ci", alice, null, 204);
            api("POST", "/api/v1/users/alice/tokens", alice, "{\"name\":\"laptop\"}", 201);
            api("DELETE", "/api/v1/users/alice/tokens/laptop", alice, null, 204);

            // webhooks (their target never answers; only their administration is audited)
            String hooks = "/api/v1/namespaces/alice/webhooks";
            long hook = AuthHttp.json(api("POST", hooks, alice, "{\"url\":\"http://127.0.0.1:9/hook\"}", 201))
                    .get("id").asLong();
            api("PATCH", hooks + "/" + hook, alice, "{\"tag_glob\":\"v*\"}", 200);
            api("POST", hooks + "/" + hook + "/ping", alice, null, 200);

            // a proxy organization (its upstream never answers; only its administration is audited here)
            api("PUT", "/api/v1/organizations/acme/proxy", root, "{\"url\":\"http://127.0.0.1:9/\"}", 200);
            api("DELETE", "/api/v1/organizations/acme/proxy", root, null, 204);

            // a repository mirror (its upstream never answers; its runs are MirrorSyncTest's)
            String mirror = "/api/v1/repositories/acme/mirrored/-/mirror";
            api("PUT", mirror, root, "{\"url\":\"http://127.0.0.1:9/\",\"upstream_repository\":\"x/app\"}", 200);
            api("POST", mirror + "/sync", alice, null, 202);
            api("DELETE", mirror, root, null, 204);

            // a vulnerability pull policy, its allow-list and a bypass grant (PullPolicyTest pulls under them)
            String scanPolicy = "/api/v1/organizations/acme/scan-policy";
            api("PUT", scanPolicy, alice, "{\"severity\":\"critical\"}", 200);
            api("PUT", scanPolicy + "/allow/CVE-2024-6387", alice, "{\"expires\":\"2099-01-31\"}", 200);
            api("DELETE", scanPolicy + "/allow/CVE-2024-6387", alice, null, 204);
            api("PUT", "/api/v1/repositories/acme/app/-/scan-policy/bypass/alice", alice, null, 200);
            api("DELETE", "/api/v1/repositories/acme/app/-/scan-policy/bypass/alice", alice, null, 204);
            api("DELETE", scanPolicy, alice, null, 204);

            // logins and tokens
            AuthHttp.expect(http.send("GET", "/v2/auth?service=bollard&scope=repository:alice/web:pull,push", alice, null,
                    "User-Agent", UA), 200);
            AuthHttp.expect(http.send("GET", "/v2/auth?service=bollard", basic("alice", "wrong-password"), null,
                    "User-Agent", UA), 401);

            // the registry: create on push, push, tags, pull, deletes
            byte[] first = pushImage("alice/web", "v1", alice);
            byte[] second = pushImage("alice/web", "v1", alice); // moves the tag
            AuthHttp.expect(http.send("GET", "/v2/alice/web/manifests/v1", alice, null, "Accept", AuthHttp.OCI_MANIFEST,
                    "User-Agent", UA), 200);

            api("POST", "/api/v1/repositories/alice/web/-/manifests/" + AuthHttp.digest(second) + "/scan", alice, null,
                    202);

            // the image life cycle
            api("POST", "/api/v1/repositories/alice/web/-/tags/v1/restore", alice,
                    "{\"digest\":\"" + AuthHttp.digest(first) + "\"}", 200);
            api("PUT", "/api/v1/repositories/alice/web/-/description", alice, "{\"description\":\"# Web\"}", 200);
            api("PUT", "/api/v1/repositories/alice/web/-/labels", alice, "{\"labels\":[\"team=web\"]}", 200);
            api("PUT", "/api/v1/repositories/alice/web/-/immutable-tags/rel-*", alice, null, 201);
            api("DELETE", "/api/v1/repositories/alice/web/-/immutable-tags/rel-*", alice, null, 204);
            long policy = AuthHttp.json(api("POST", "/api/v1/repositories/alice/web/-/retention-policies", alice,
                    "{\"tag_pattern\":\"tmp-*\",\"keep_last\":1}", 201)).get("id").asLong();
            api("DELETE", "/api/v1/namespaces/alice/retention-policies/" + policy, alice, null, 204);
            api("PUT", "/api/v1/namespaces/alice/quota", root, "{\"quota_bytes\":1000000000}", 200);
            api("PUT", "/api/v1/namespaces/alice/history-window", alice, "{\"window\":\"30d\"}", 200);
            AuthHttp.expect(http.send("DELETE", "/v2/alice/web/manifests/v1", alice, null, "User-Agent", UA), 202);
            AuthHttp.expect(http.send("DELETE", "/v2/alice/web/manifests/" + AuthHttp.digest(first), alice, null,
                    "User-Agent", UA), 202);
            String blob = http.pushBlob("alice/web", "lonely blob".getBytes(StandardCharsets.UTF_8), alice);
            AuthHttp.expect(http.send("DELETE", "/v2/alice/web/blobs/" + blob, alice, null, "User-Agent", UA), 202);
            assertThat(second).isNotEqualTo(first);

            // webhooks: a delivery of the pushes above (it failed: the target never answers) is sent again
            long delivery = 0;
            for (int i = 0; i < 150 && delivery == 0; i++) {
                for (JsonNode d : AuthHttp.json(api("GET", hooks + "/" + hook + "/deliveries", alice, null, 200))
                        .path("items")) {
                    if (!d.path("event").isNull()) { // a test ping has no event
                        delivery = d.path("id").asLong();
                    }
                }
                Thread.sleep(100);
            }
            assertThat(delivery).as("a delivery of an event was attempted").isPositive();
            api("POST", hooks + "/" + hook + "/deliveries/" + delivery + "/redeliver", alice, null, 202);
            api("DELETE", hooks + "/" + hook, alice, null, 204);

            // and the removals
            api("DELETE", "/api/v1/repositories/acme/app", alice, null, 204);
            api("DELETE", "/api/v1/organizations/acme/members/bob", alice, null, 204);
            api("DELETE", "/api/v1/organizations/acme/teams/devs", alice, null, 204);
            api("DELETE", "/api/v1/organizations/acme", alice, null, 204);
            api("DELETE", "/api/v1/users/bob", root, null, 204);

            assertThat(registry.server().audit().flush(10_000)).isTrue();
            List<JsonNode> entries = readAll(root);
            Map<String, JsonNode> byAction = new HashMap<>();
            entries.forEach(e -> byAction.putIfAbsent(e.get("action").asText(), e));

            Set<String> missing = new TreeSet<>(allActions());
            missing.remove(AuditActions.AUDIT_PRUNE); // AuditLogTest prunes
            missing.remove(AuditActions.WEBHOOK_DISABLE); // WebhookDeliveryTest fails a receiver until then
            // The outcomes of background work, asserted where that work is driven to them:
            missing.remove(AuditActions.MIRROR_SYNC_SUCCEEDED); // MirrorSyncTest (a real upstream)
            missing.remove(AuditActions.MIRROR_SYNC_FAILED); // MirrorCommandsTest (a closed port)
            missing.remove(AuditActions.SCAN_FINISHED); // ScanOnPushTest
            missing.remove(AuditActions.VULNERABILITY_FOUND); // ScanOnPushTest (new data, a re-match)
            missing.remove(AuditActions.PROXY_EVICT); // ProxyReferrersAndLimitsTest (a cache over its limit)
            missing.remove(AuditActions.DEVICE_LOGIN_START); // KeycloakSignInTest (needs a real OIDC provider)
            missing.remove(AuditActions.SCAN_ADAPTER_SET); // ScannerAdapterTest (needs an adapter that answers)
            missing.remove(AuditActions.SCAN_ADAPTER_DELETE); // ScannerAdapterTest
            missing.removeAll(byAction.keySet());
            assertThat(missing).as("actions never recorded").isEmpty();

            List<String> incomplete = new ArrayList<>();
            for (JsonNode e : entries) {
                boolean anonymous = e.get("actor_kind").asText().equals("anonymous");
                // The registry's own work (the scanner's SBOM referrers and results, a mirror's runs) has no address.
                boolean system = e.get("actor_kind").asText().equals("system");
                if ((!system && e.get("ip").asText().isEmpty()) || (!anonymous && e.get("actor").asText().isEmpty())
                        || e.get("time").asText().isEmpty() || e.get("hash").asText().length() != 64) {
                    incomplete.add(e.toString());
                }
            }
            assertThat(incomplete).isEmpty();
            // What this test's client did carries its user agent; what it did as alice names alice.
            for (String action : List.of(AuditActions.PUSH, AuditActions.PULL, AuditActions.TAG_MOVE,
                    AuditActions.ORG_CREATE, AuditActions.TEAM_CREATE, AuditActions.LOGIN_SUCCESS, AuditActions.TOKEN_ISSUED)) {
                JsonNode e = byAction.get(action);
                assertThat(e.get("user_agent").asText()).as(action).isEqualTo(UA);
                assertThat(e.get("actor").asText()).as(action).isEqualTo("alice");
                assertThat(e.get("actor_kind").asText()).as(action).isEqualTo("user");
            }
            JsonNode failure = byAction.get(AuditActions.LOGIN_FAILURE);
            assertThat(failure.get("actor_kind").asText()).isEqualTo("anonymous");
            assertThat(failure.get("details").get("username").asText()).isEqualTo("alice");
            assertThat(failure.toString()).doesNotContain("wrong-password");
            assertThat(byAction.get(AuditActions.REPO_CREATE).get("repository").asText()).isIn("acme/app", "alice/web");
            assertThat(byAction.get(AuditActions.TAG_MOVE).get("details").get("from").asText())
                    .isEqualTo(AuthHttp.digest(first));
            assertThat(byAction.get(AuditActions.ROBOT_CREATE).toString()).doesNotContain("bollard_robot_");
            assertThat(byAction.get(AuditActions.APP_TOKEN_CREATE).toString()).doesNotContain("bollard_app_");

            JsonNode verify = AuthHttp.json(api("GET", "/api/v1/audit/verify", root, null, 200));
            assertThat(verify.get("intact").asBoolean()).as(verify.toString()).isTrue();

            // filters, and the exports
            JsonNode tagEvents = AuthHttp.json(api("GET", "/api/v1/audit?action=tag.&repository=alice/web", root, null, 200));
            List<String> v1 = new ArrayList<>();
            tagEvents.get("items").forEach(n -> {
                assertThat(n.get("action").asText()).startsWith("tag.");
                if (n.get("details").get("tag").asText().equals("v1")) {
                    v1.add(n.get("action").asText());
                }
            });
            assertThat(v1).containsExactly(AuditActions.TAG_DELETE, AuditActions.TAG_RESTORE, AuditActions.TAG_MOVE,
                    AuditActions.TAG_CREATE);
            String jsonl = new String(api("GET", "/api/v1/audit/export", root, null, 200).body(), StandardCharsets.UTF_8);
            // Reading the log is not itself audited: the export holds what was read above and, after it, at most
            // the registry's own work that finished since (the scan requested above completes in the background).
            List<JsonNode> exported = new ArrayList<>();
            for (String line : jsonl.lines().toList()) {
                exported.add(AuthHttp.JSON.readTree(line));
            }
            assertThat(exported.size()).isGreaterThanOrEqualTo(entries.size());
            assertThat(exported.subList(0, entries.size()).stream().map(e -> e.get("seq").asLong()).toList())
                    .isEqualTo(entries.stream().map(e -> e.get("seq").asLong()).sorted().toList());
            assertThat(exported.subList(entries.size(), exported.size()))
                    .allSatisfy(e -> assertThat(e.get("actor_kind").asText()).as(e.toString()).isEqualTo("system"));
            String csv = new String(api("GET", "/api/v1/audit/export?format=csv&actor=alice", root, null, 200).body(),
                    StandardCharsets.UTF_8);
            assertThat(csv).startsWith("seq,time,actor_kind,actor,ip,user_agent,action");
            assertThat(csv.lines().skip(1)).allMatch(l -> l.contains(",user,alice,"));
            http.close();
        }
    }

    private byte[] pushImage(String repo, String tag, String auth) throws Exception {
        // AuthHttp pushes with its default user agent; the manifest PUT carries this test's.
        byte[] manifest = http.pushImage(repo, tag + "-staging", auth);
        AuthHttp.expect(http.send("PUT", "/v2/" + repo + "/manifests/" + tag, auth, manifest,
                "Content-Type", AuthHttp.OCI_MANIFEST, "User-Agent", UA), 201);
        AuthHttp.expect(http.send("DELETE", "/v2/" + repo + "/manifests/" + tag + "-staging", auth, null), 202);
        return manifest;
    }

    private List<JsonNode> readAll(String root) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        String next = "/api/v1/audit?limit=100";
        while (next != null) {
            HttpResponse<byte[]> r = api("GET", next, root, null, 200);
            AuthHttp.json(r).get("items").forEach(all::add);
            next = r.headers().firstValue("Link").map(l -> l.substring(1, l.indexOf('>'))).orElse(null);
        }
        return all;
    }

    static Set<String> allActions() throws IllegalAccessException {
        Set<String> names = new TreeSet<>();
        for (Field f : AuditActions.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                names.add((String) f.get(null));
            }
        }
        return names;
    }
}
