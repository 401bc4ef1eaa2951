package dev.bollard.http.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.auth.Identities;
import dev.bollard.clients.Exec;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.Cli;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestCa;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client certificates (mTLS) mapped to robots: with {@code server.tls.client-auth: want}, a robot bound to a client
 * certificate (through {@code /api/v1}) is what skopeo gets when it presents that certificate ({@code --cert-dir}
 * with {@code client.cert}/{@code client.key}) and no credentials at all: it pushes and pulls as the robot. A
 * certificate of the same CA bound to no robot is refused at the token endpoint (401, audited) until it is bound with
 * {@code bollard robot cert add}, a certificate of another CA fails the handshake, password logins without a certificate go on (want), and once the binding is removed
 * ({@code bollard robot cert remove}) the certificate is refused too.
 */
class MutualTlsRobotTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Exec.Result run(String... command) {
        return new Exec(dir).run(Duration.ofMinutes(2), null, List.of(command));
    }

    private static void ok(Exec.Result r) {
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    /** A containers/image certificate directory: the registry's CA, and a client certificate and key (when given). */
    private Path certDir(String name, TestCa ca, TestCa.Issued client) throws Exception {
        Path certs = Files.createDirectories(dir.resolve(name));
        Files.copy(ca.certificate(), certs.resolve("ca.crt"));
        if (client != null) {
            Files.copy(client.certificate(), certs.resolve("client.cert"));
            Files.copy(client.privateKey(), certs.resolve("client.key"));
        }
        return certs;
    }

    private Path layout() {
        Path layout = dir.resolve("layout");
        ok(run("umoci", "init", "--layout", layout.toString()));
        ok(run("umoci", "new", "--image", layout + ":v1"));
        try {
            Path file = Files.writeString(dir.resolve("hello.txt"), "pushed with a client certificate\n");
            ok(run("umoci", "insert", "--rootless", "--image", layout + ":v1", file.toString(), "/hello.txt"));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return layout;
    }

    /** curl to the token endpoint with a client certificate: the HTTP status, then the body. */
    private String token(TestRegistry registry, TestCa ca, TestCa.Issued client, String scope) {
        return get(registry, ca, client, "/v2/auth?service=bollard&scope=" + scope);
    }

    /**
     * A registry on TLS asking for client certificates of {@code ca} ({@code clientAuth}: want or need), with superuser
     * admin, organization acme and its robot acme+ci, which may write acme/app.
     */
    private TestRegistry start(TestCa ca, TestCa.Issued server, String clientAuth) throws Exception {
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0")
                .set("server.tls.certificate", server.chain().toString())
                .set("server.tls.private-key", server.privateKey().toString())
                .set("server.tls.client-auth", clientAuth)
                .set("server.tls.client-ca", ca.certificate().toString()).load();
        TestRegistry registry = TestRegistry.start(config);
        Identities ids = new Identities(registry.server().database());
        ids.users().create("admin", "admin-password", true);
        ids.organizations().create("acme", "admin");
        ids.robots().create("acme", "ci");
        ids.repositories().grant("acme/app", "acme+ci", "write");
        return registry;
    }

    @Test
    void aRobotBoundToAClientCertificatePushesAndPullsWithSkopeoAndNothingElse() throws Exception {
        Requirements.onPath("skopeo", "umoci", "curl", "openssl");
        TestCa ca = TestCa.create(dir.resolve("ca"));
        TestCa.Issued server = ca.issue("registry", "ec");
        TestCa.Issued ci = ca.issueClient("ci-runner");
        TestCa.Issued stranger = ca.issueClient("stranger");
        TestCa other = TestCa.create(dir.resolve("other-ca"));
        TestCa.Issued foreign = other.issueClient("foreign");

        try (TestRegistry registry = start(ca, server, "want")) {
            String host = registry.hostPort();

            // Bound through the API, as an organization administrator would.
            String body = JSON.writeValueAsString(Map.of("certificate", Files.readString(ci.certificate())));
            Exec.Result bound = run("curl", "-sS", "--cacert", ca.certificate().toString(), "-u", "admin:admin-password",
                    "-H", "Content-Type: application/json", "-d", body, "-w", "\n%{http_code}",
                    registry.uri("/api/v1/namespaces/acme/robots/ci/certificates").toString());
            ok(bound);
            assertThat(bound.stdout().strip()).endsWith("201");
            JsonNode binding = JSON.readTree(bound.stdout().strip().substring(0, bound.stdout().strip().lastIndexOf('\n')));
            String fingerprint = binding.get("fingerprint").asText();
            assertThat(fingerprint).isEqualTo(ca.fingerprint(ci.certificate()).replace(":", "").toLowerCase(Locale.ROOT));
            assertThat(binding.get("subject").asText()).contains("CN=ci-runner");

            String dataDir = dir.resolve("data").toString();
            Cli.Result listed = Cli.run("robot", "cert", "list", "acme+ci", "--data", dataDir);
            assertThat(listed.exit()).as(listed.err()).isZero();
            assertThat(listed.out()).contains(fingerprint).contains("CN=ci-runner");

            // skopeo with the bound certificate and no credentials: a push and a pull as acme+ci.
            Path ciCerts = certDir("ci-certs", ca, ci);
            Path layout = layout();
            ok(run("skopeo", "copy", "--dest-cert-dir", ciCerts.toString(), "--dest-no-creds",
                    "oci:" + layout + ":v1", "docker://" + host + "/acme/app:v1"));
            ok(run("skopeo", "copy", "--src-cert-dir", ciCerts.toString(), "--src-no-creds",
                    "docker://" + host + "/acme/app:v1", "oci:" + dir.resolve("pulled") + ":v1"));
            assertThat(Files.readString(dir.resolve("pulled/index.json"))).contains("\"v1\"");
            // ... with the robot's access only: no push elsewhere.
            Exec.Result elsewhere = run("skopeo", "copy", "--dest-cert-dir", ciCerts.toString(), "--dest-no-creds",
                    "oci:" + layout + ":v1", "docker://" + host + "/acme/other:v1");
            assertThat(elsewhere.ok()).as(elsewhere.output()).isFalse();
            assertThat(token(registry, ca, ci, "repository:acme/app:pull,push")).startsWith("200 ")
                    .contains("\"token\"");

            // A certificate of the same CA bound to no robot: refused at the token endpoint, and skopeo fails.
            assertThat(token(registry, ca, stranger, "repository:acme/app:pull"))
                    .startsWith("401 ").contains("not bound to a robot");
            Exec.Result unknown = run("skopeo", "copy", "--src-cert-dir", certDir("stranger-certs", ca, stranger)
                    .toString(), "--src-no-creds", "docker://" + host + "/acme/app:v1", "oci:" + dir.resolve("x") + ":v1");
            assertThat(unknown.ok()).as(unknown.output()).isFalse();

            // Bound through the CLI, the same certificate gets the robot's token.
            Cli.Result added = Cli.run("robot", "cert", "add", "acme+ci", stranger.certificate().toString(),
                    "--data", dir.resolve("data").toString());
            assertThat(added.exit()).as(added.err()).isZero();
            assertThat(added.out()).contains("CN=stranger").contains("to acme+ci");
            assertThat(token(registry, ca, stranger, "repository:acme/app:pull")).startsWith("200 ");
            Cli.Result twice = Cli.run("robot", "cert", "add", "acme+ci", stranger.certificate().toString(),
                    "--data", dir.resolve("data").toString());
            assertThat(twice.exit()).isNotZero();
            assertThat(twice.err()).contains("is bound to a robot already");

            // A certificate of another CA: the handshake fails.
            Exec.Result untrusted = run("curl", "-sS", "--cacert", ca.certificate().toString(), "--cert",
                    foreign.certificate().toString(), "--key", foreign.privateKey().toString(),
                    registry.uri("/v2/auth?service=bollard").toString());
            assertThat(untrusted.ok()).as(untrusted.output()).isFalse();

            // want: a client without a certificate still logs in with a password.
            ok(run("skopeo", "copy", "--src-cert-dir", certDir("plain-certs", ca, null).toString(), "--src-creds",
                    "admin:admin-password", "docker://" + host + "/acme/app:v1", "oci:" + dir.resolve("admin") + ":v1"));

            // The binding removed (by the fingerprint as openssl prints it): the certificate is refused.
            Cli.Result removed = Cli.run("robot", "cert", "remove", "acme+ci", ca.fingerprint(ci.certificate()),
                    "--data", dataDir);
            assertThat(removed.exit()).as(removed.err()).isZero();
            assertThat(token(registry, ca, ci, "repository:acme/app:pull")).startsWith("401 ");
            Exec.Result revoked = run("skopeo", "copy", "--src-cert-dir", ciCerts.toString(), "--src-no-creds",
                    "docker://" + host + "/acme/app:v1", "oci:" + dir.resolve("revoked") + ":v1");
            assertThat(revoked.ok()).as(revoked.output()).isFalse();
        }
    }

    /** curl to {@code path} with a client certificate and no credentials: the HTTP status, then the body. */
    private String get(TestRegistry registry, TestCa ca, TestCa.Issued client, String path) {
        Exec.Result r = run("curl", "-sS", "--cacert", ca.certificate().toString(), "--cert",
                client.certificate().toString(), "--key", client.privateKey().toString(), "-w", "\n%{http_code}",
                registry.uri(path).toString());
        ok(r);
        String out = r.stdout().strip();
        int nl = out.lastIndexOf('\n');
        return out.substring(nl + 1) + " " + out.substring(0, Math.max(nl, 0));
    }

    /**
     * {@code client-auth: need}: the bound certificate is the robot on {@code /v2} itself. {@code GET /v2/} answers
     * 200 to it, so skopeo never asks the token endpoint: its push and pull are authorized request by request as the
     * robot (no {@code token.issued} in the audit log, the push recorded as the robot's). An unbound certificate is no
     * credential there (401 and the challenge); the robot's permissions still bound it; a removed binding stops it.
     */
    @Test
    void aBoundCertificateIsTheRobotOnV2ItselfWithoutTheTokenEndpoint() throws Exception {
        Requirements.onPath("skopeo", "umoci", "curl", "openssl");
        TestCa ca = TestCa.create(dir.resolve("ca"));
        TestCa.Issued server = ca.issue("registry", "ec");
        TestCa.Issued ci = ca.issueClient("ci-runner");
        TestCa.Issued stranger = ca.issueClient("stranger");
        try (TestRegistry registry = start(ca, server, "need")) {
            Identities ids = new Identities(registry.server().database());
            ids.robotCertificates().add("acme+ci", Files.readString(ci.certificate()));
            String host = registry.hostPort();

            assertThat(get(registry, ca, ci, "/v2/")).startsWith("200 ");
            assertThat(get(registry, ca, stranger, "/v2/")).startsWith("401 ");

            Path ciCerts = certDir("ci-certs", ca, ci);
            Path layout = layout();
            ok(run("skopeo", "copy", "--dest-cert-dir", ciCerts.toString(), "--dest-no-creds",
                    "oci:" + layout + ":v1", "docker://" + host + "/acme/app:v1"));
            ok(run("skopeo", "copy", "--src-cert-dir", ciCerts.toString(), "--src-no-creds",
                    "docker://" + host + "/acme/app:v1", "oci:" + dir.resolve("pulled") + ":v1"));
            assertThat(Files.readString(dir.resolve("pulled/index.json"))).contains("\"v1\"");
            assertThat(get(registry, ca, ci, "/v2/acme/app/tags/list")).startsWith("200 ").contains("\"v1\"");
            // The robot's permissions still decide: no push where it has none, no reading with an unbound certificate.
            Exec.Result elsewhere = run("skopeo", "copy", "--dest-cert-dir", ciCerts.toString(), "--dest-no-creds",
                    "oci:" + layout + ":v1", "docker://" + host + "/acme/other:v1");
            assertThat(elsewhere.ok()).as(elsewhere.output()).isFalse();
            assertThat(get(registry, ca, stranger, "/v2/acme/app/tags/list")).startsWith("401 ");

            assertThat(registry.server().audit().flush(10_000)).isTrue();
            List<dev.bollard.metadata.AuditDao.Entry> byRobot = registry.server().audit().query(
                    new dev.bollard.metadata.AuditDao.Filter("acme+ci", null, null, null, null, null), null, 1_000);
            assertThat(byRobot).extracting(dev.bollard.metadata.AuditDao.Entry::action)
                    .contains("push", "pull").doesNotContain("token.issued", "login.success");

            ids.robotCertificates().remove("acme+ci", ca.fingerprint(ci.certificate()));
            assertThat(get(registry, ca, ci, "/v2/acme/app/tags/list")).startsWith("401 ");
            Exec.Result revoked = run("skopeo", "copy", "--src-cert-dir", ciCerts.toString(), "--src-no-creds",
                    "docker://" + host + "/acme/app:v1", "oci:" + dir.resolve("revoked") + ":v1");
            assertThat(revoked.ok()).as(revoked.output()).isFalse();
        }
    }
}
