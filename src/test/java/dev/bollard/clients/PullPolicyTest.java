package dev.bollard.clients;

import static dev.bollard.clients.ScanOnPushTest.await;
import static dev.bollard.clients.ScanOnPushTest.basic;
import static dev.bollard.clients.ScanOnPushTest.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.auth.Identities;
import dev.bollard.json.Json;
import dev.bollard.metadata.Database;
import dev.bollard.scan.vuln.VulnerabilityStore;
import dev.bollard.testing.Cli;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The vulnerability pull policy as clients meet it (docs/scanning.md, "Pull policy"): skopeo and podman pull an Ubuntu
 * 22.04 image whose openssh is below the fix of CVE-2024-6387 (UBUNTU-CVE-2024-6387, CVSS 8.1: high), scanned on push.
 * With the organization's policy "high" the pull is refused with 403 DENIED naming the policy and the CVE; an
 * allow-list entry for the CVE lets it through until the entry expires, then it is refused again; a robot with a
 * bypass grant pulls; a repository policy "critical" (above the finding) replaces the organization's and lets it
 * through; an image scanned done without a blocking finding is never refused. On H2 and PostgreSQL.
 */
class PullPolicyTest {
    private static final String OSV = "src/test/resources/osv/real/";
    private static final String REFUSAL = "denied by the vulnerability policy of organization acme, which blocks "
            + "fixable vulnerabilities of severity high or above: CVE-2024-6387 (UBUNTU-CVE-2024-6387, HIGH) in "
            + "openssh-client 1:8.9p1-3ubuntu0.6 -> fixed in 1:8.9p1-3ubuntu0.10";

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void closeDatabase() throws Exception {
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"h2", "postgres"})
    @Timeout(300)
    void aPullOfAVulnerableImageIsRefusedUnlessAllowedBypassedOrBelowTheThreshold(String kind) throws Exception {
        Requirements.onPath("skopeo", "podman");
        try (TestRegistry registry = ScanOnPushTest.start(dir, kind, closeAfter); HttpClient http = HttpClient.newHttpClient()) {
            Database db = registry.server().database();
            Identities ids = new Identities(db);
            ids.users().create("boss", "boss-password", false);
            ids.organizations().create("acme", "boss");
            String signer = ids.robots().create("acme", "signer");
            String boss = basic("boss", "boss-password");
            Path osv = Files.createDirectories(dir.resolve("osv"));
            for (String id : List.of("UBUNTU-CVE-2024-6387", "DSA-5514-1")) {
                Files.copy(Path.of(OSV + id + ".json"), osv.resolve(id + ".json"));
            }
            new VulnerabilityStore(db).importPath(osv);

            String digest = ScanOnPushTest.push(dir, registry, Tar.tar(ubuntu2204()), "acme/app:v1").digest();
            ids.repositories().grant("acme/app", "robot", "acme+signer", "read");
            JsonNode report = await(http, registry, "/api/v1/repositories/acme/app/-/manifests/" + digest + "/scan",
                    boss, r -> r.path("state").asText().equals("done"));
            assertThat(ScanOnPushTest.ids(report)).containsExactly("UBUNTU-CVE-2024-6387");
            assertThat(report.path("findings").get(0).path("severity").asText()).isEqualTo("HIGH");
            String image = "docker://" + registry.hostPort() + "/acme/app:v1";

            // no policy: pulled
            assertPulled(pull(image, "boss:boss-password"));

            // the organization's policy "high": refused with DENIED, naming the policy and the CVE (GET and HEAD)
            api(http, registry, "PUT", "/api/v1/organizations/acme/scan-policy", boss,
                    "{\"severity\":\"high\"}", 200);
            assertRefused(http, registry, boss, REFUSAL);
            assertThat(head(http, registry, boss)).isEqualTo(403);
            Exec.Result refused = pull(image, "boss:boss-password");
            assertThat(refused.ok()).isFalse();
            assertThat(refused.stderr()).contains("denied: " + REFUSAL);
            Exec.Result podman = new Exec(dir).run(Podman.command(dir, "pull", "--tls-verify=false", "--creds",
                    "boss:boss-password", registry.hostPort() + "/acme/app:v1"));
            assertThat(podman.ok()).as(podman.describe()).isFalse();
            assertThat(podman.stderr()).contains(REFUSAL);
            // blobs are not refused: without the manifest no client can assemble the image
            JsonNode manifest = Json.MAPPER.readTree(new String(Files.readAllBytes(dir.resolve("layout-acme-app-v1")
                    .resolve("blobs/sha256").resolve(digest.substring("sha256:".length()))), StandardCharsets.UTF_8));
            assertThat(get(http, registry, "/v2/acme/app/blobs/" + manifest.path("config").path("digest").asText(),
                    boss).statusCode()).isEqualTo(200);

            // an allow-list entry for the CVE lets it through until it expires, then it is refused again
            Instant expires = Instant.now().plusSeconds(4);
            JsonNode settings = api(http, registry, "PUT", "/api/v1/organizations/acme/scan-policy/allow/CVE-2024-6387",
                    boss, "{\"expires\":\"" + expires + "\",\"reason\":\"sshd is not run in this image\"}", 200);
            assertThat(settings.path("allow_list").get(0).path("vulnerability").asText()).isEqualTo("CVE-2024-6387");
            assertPulled(pull(image, "boss:boss-password"));
            long end = System.nanoTime() + 20_000_000_000L;
            while (Instant.now().isBefore(expires.plusMillis(50)) && System.nanoTime() < end) {
                Thread.sleep(100);
            }
            assertRefused(http, registry, boss, REFUSAL);
            assertThat(pull(image, "boss:boss-password").stderr()).contains("denied: " + REFUSAL);
            // an entry whose expiry is past is refused, not stored
            api(http, registry, "PUT", "/api/v1/organizations/acme/scan-policy/allow/CVE-2024-6387", boss,
                    "{\"expires\":\"2020-01-31\"}", 400);

            // a robot with the bypass grant pulls; others are still refused
            api(http, registry, "PUT", "/api/v1/repositories/acme/app/-/scan-policy/bypass/acme+signer", boss, null, 200);
            assertPulled(pull(image, "acme+signer:" + signer));
            assertThat(pull(image, "boss:boss-password").ok()).isFalse();

            // the repository's own policy replaces the organization's: "critical" is above the finding's severity
            JsonNode repo = api(http, registry, "PUT", "/api/v1/repositories/acme/app/-/scan-policy", boss,
                    "{\"severity\":\"critical\"}", 200);
            assertThat(repo.path("effective").path("scope").path("kind").asText()).isEqualTo("repository");
            assertPulled(pull(image, "boss:boss-password"));
            api(http, registry, "DELETE", "/api/v1/repositories/acme/app/-/scan-policy", boss, null, 204);
            assertRefused(http, registry, boss, REFUSAL);

            // the report says whether the policy refuses the image
            report = await(http, registry, "/api/v1/repositories/acme/app/-/manifests/" + digest + "/scan", boss,
                    r -> true);
            assertThat(report.path("policy").path("blocked").asBoolean()).isTrue();
            assertThat(report.path("policy").path("reason").asText()).isEqualTo(REFUSAL);

            // the changes are audited
            api(http, registry, "DELETE", "/api/v1/organizations/acme/scan-policy", boss, null, 204);
            assertPulled(pull(image, "boss:boss-password"));
            registry.server().audit().flush(10_000); // the chain is appended just after each commit
            List<String> actions = db.read(h -> h.createQuery("SELECT action FROM audit_log ORDER BY seq")
                    .mapTo(String.class).list());
            assertThat(actions).contains("scan.policy.set", "scan.policy.allow.add", "scan.policy.bypass.add",
                    "scan.policy.delete");
        }
    }

    /** bollard scan policy set|show|remove, allow add|remove (--expires DATE) and bypass add|remove, as printed. */
    @org.junit.jupiter.api.Test
    @Timeout(120)
    void theCommandLineAdministersPolicies() throws Exception {
        try (TestRegistry registry = ScanOnPushTest.start(dir, "h2", closeAfter)) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("boss", "boss-password", false);
            ids.organizations().create("acme", "boss");
            String data = registry.dataDir().toString();
            Cli.Result set = Cli.run("scan", "policy", "set", "acme", "--severity", "high", "--data", data);
            assertThat(set.exit()).as(set.err()).isZero();
            assertThat(set.out()).startsWith("organization acme: blocks fixable vulnerabilities of severity high or "
                    + "above (set by cli:");
            Cli.Result allow = Cli.run("scan", "policy", "allow", "add", "acme", "CVE-2024-6387", "--expires",
                    "2027-01-31", "--reason", "no sshd", "--data", data);
            assertThat(allow.exit()).as(allow.err()).isZero();
            assertThat(allow.out()).contains("  allowed CVE-2024-6387 until 2027-02-01T00:00:00Z: no sshd (by cli:");
            Cli.Result bypass = Cli.run("scan", "policy", "bypass", "add", "acme/app", "acme+signer", "--data", data);
            assertThat(bypass.exit()).as(bypass.err()).isZero();
            assertThat(bypass.out()).startsWith("repository acme/app: no policy of its own; the policy of organization "
                    + "acme applies: it blocks fixable vulnerabilities of severity high or above")
                    .contains("  bypass  acme+signer (by cli:");
            Cli.Result repo = Cli.run("scan", "policy", "set", "acme/app", "--severity", "unknown",
                    "--block-unscanned", "--data", data);
            assertThat(repo.out()).startsWith("repository acme/app: blocks fixable vulnerabilities of any severity and "
                    + "images not scanned (set by cli:");
            assertThat(Cli.run("scan", "policy", "allow", "remove", "acme", "CVE-2024-6387", "--data", data).exit())
                    .isZero();
            assertThat(Cli.run("scan", "policy", "bypass", "remove", "acme/app", "acme+signer", "--data", data).exit())
                    .isZero();
            assertThat(Cli.run("scan", "policy", "remove", "acme/app", "--data", data).exit()).isZero();
            Cli.Result removed = Cli.run("scan", "policy", "remove", "acme", "--data", data);
            assertThat(removed.out().strip()).isEqualTo("organization acme: no vulnerability pull policy");
            Cli.Result shown = Cli.run("scan", "policy", "show", "acme/app", "--data", data);
            assertThat(shown.out().strip()).isEqualTo("repository acme/app: no vulnerability pull policy");

            Cli.Result bad = Cli.run("scan", "policy", "set", "acme", "--severity", "severe", "--data", data);
            assertThat(bad.exit()).isEqualTo(1);
            assertThat(bad.err()).contains("severity must be one of unknown, low, medium, high, critical, not 'severe'");
            Cli.Result past = Cli.run("scan", "policy", "allow", "add", "acme", "CVE-2024-6387", "--expires",
                    "2020-01-31", "--data", data);
            assertThat(past.err()).contains("the expiry 2020-01-31 is in the past");
            Cli.Result noOrg = Cli.run("scan", "policy", "set", "nobody", "--severity", "high", "--data", data);
            assertThat(noOrg.err()).contains("no organization is named nobody");
        }
    }

    private Exec.Result pull(String image, String creds) {
        return new Skopeo(dir).copy("--src-creds", creds, image, "dir:" + dir.resolve("pulled-" + System.nanoTime()));
    }

    private static void assertPulled(Exec.Result r) {
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    private static void assertRefused(HttpClient http, TestRegistry registry, String auth, String message)
            throws Exception {
        HttpResponse<String> r = get(http, registry, "/v2/acme/app/manifests/v1", auth);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        JsonNode error = Json.MAPPER.readTree(r.body()).path("errors").get(0);
        assertThat(error.path("code").asText()).isEqualTo("DENIED");
        assertThat(error.path("message").asText()).isEqualTo(message);
    }

    private static int head(HttpClient http, TestRegistry registry, String auth) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(registry.baseUri() + "/v2/acme/app/manifests/v1"))
                .header("Authorization", auth).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static HttpResponse<String> get(HttpClient http, TestRegistry registry, String path, String auth)
            throws Exception {
        return ScanOnPushTest.get(http, registry, path, auth);
    }

    private static JsonNode api(HttpClient http, TestRegistry registry, String method, String path, String auth,
                                String body, int status) throws Exception {
        HttpResponse<String> r = send(http, registry, method, path, auth,
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8), "application/json");
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(status);
        return r.body().isEmpty() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(r.body());
    }

    /** An Ubuntu 22.04 image with openssh-client 1:8.9p1-3ubuntu0.6, below UBUNTU-CVE-2024-6387's fix. */
    private static Map<String, byte[]> ubuntu2204() {
        return Map.of("etc/os-release", """
                PRETTY_NAME="Ubuntu 22.04.4 LTS"
                ID=ubuntu
                VERSION_ID="22.04"
                """.getBytes(StandardCharsets.UTF_8), "var/lib/dpkg/status", """
                Package: openssh-client
                Status: install ok installed
                Architecture: amd64
                Source: openssh
                Version: 1:8.9p1-3ubuntu0.6
                """.getBytes(StandardCharsets.UTF_8));
    }
}
