package dev.bollard.http.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.clients.Exec;
import dev.bollard.clients.Podman;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestCa;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bollard serving TLS itself, with access control on, to real clients that verify its certificate against a test CA
 * (never {@code --tls-verify=false}): skopeo and podman log in, push and pull through the token flow; curl gets HTTP/2
 * by ALPN and HTTP/1.1 when it asks, with HSTS and an https realm either way; openssl s_client finds TLS 1.0 and 1.1
 * and a CBC suite refused, TLS 1.2 and 1.3 accepted.
 */
class TlsClientsTest {

    @TempDir
    static Path dir;
    private static TestCa ca;
    private static TestRegistry registry;
    private static Path certDir;

    @BeforeAll
    static void start() throws Exception {
        ca = TestCa.create(dir.resolve("ca"));
        TestCa.Issued server = ca.issue("registry", "rsa");
        // What containers/image reads as trusted CAs for one registry: *.crt files in a directory.
        certDir = Files.createDirectories(dir.resolve("certs.d"));
        Files.copy(ca.certificate(), certDir.resolve("ca.crt"));
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0")
                .set("server.tls.certificate", server.chain().toString())
                .set("server.tls.private-key", server.privateKey().toString()).load();
        registry = TestRegistry.start(config);
        Identities ids = new Identities(registry.server().database());
        ids.users().create("alice", "alice-password", false);
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static Exec exec() {
        return new Exec(dir);
    }

    private static void ok(Exec.Result r) {
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    private static Exec.Result run(String... command) {
        return exec().run(Duration.ofMinutes(2), null, List.of(command));
    }

    /** An OCI layout with image {@code :v1} holding one file, made by umoci. */
    private static Path layout(String name) throws Exception {
        Path layout = dir.resolve(name);
        Path file = Files.writeString(dir.resolve(name + ".txt"), "pushed over TLS: " + name + "\n");
        ok(run("umoci", "init", "--layout", layout.toString()));
        ok(run("umoci", "new", "--image", layout + ":v1"));
        ok(run("umoci", "insert", "--rootless", "--image", layout + ":v1", file.toString(), "/hello.txt"));
        return layout;
    }

    @Test
    void theBaseUriIsHttps() {
        assertThat(registry.baseUri().getScheme()).isEqualTo("https");
    }

    @Test
    void skopeoPushesAndPullsVerifyingTheCertificate() throws Exception {
        Requirements.onPath("skopeo", "umoci");
        Path layout = layout("skopeo-layout");
        String host = registry.hostPort();
        String authfile = dir.resolve("skopeo-auth.json").toString();

        // Verification is on: without the CA the certificate is refused.
        Exec.Result untrusted = run("skopeo", "copy", "--dest-creds", "alice:alice-password", "oci:" + layout + ":v1",
                "docker://" + host + "/alice/app:v1");
        assertThat(untrusted.ok()).as(untrusted.output()).isFalse();
        assertThat(untrusted.output()).contains("certificate signed by unknown authority");

        Exec.Result wrongPassword = exec().run(Duration.ofMinutes(1), "wrong", List.of("skopeo", "login",
                "--cert-dir", certDir.toString(), "--authfile", authfile, "-u", "alice", "--password-stdin", host));
        assertThat(wrongPassword.ok()).as(wrongPassword.output()).isFalse();
        ok(exec().run(Duration.ofMinutes(1), "alice-password", List.of("skopeo", "login", "--cert-dir",
                certDir.toString(), "--authfile", authfile, "-u", "alice", "--password-stdin", host)));
        ok(run("skopeo", "copy", "--dest-cert-dir", certDir.toString(), "--authfile", authfile,
                "oci:" + layout + ":v1", "docker://" + host + "/alice/app:v1"));
        ok(run("skopeo", "copy", "--src-cert-dir", certDir.toString(), "--authfile", authfile,
                "docker://" + host + "/alice/app:v1", "oci:" + dir.resolve("skopeo-pulled") + ":v1"));
        assertThat(Files.readString(dir.resolve("skopeo-pulled/index.json"))).contains("\"v1\"");
        Exec.Result tags = run("skopeo", "list-tags", "--cert-dir", certDir.toString(), "--authfile", authfile,
                "docker://" + host + "/alice/app");
        ok(tags);
        assertThat(tags.stdout()).contains("v1");

        // Access control still holds over TLS: anonymous push refused.
        Exec.Result anonymous = run("skopeo", "copy", "--dest-cert-dir", certDir.toString(), "--dest-no-creds",
                "oci:" + layout + ":v1", "docker://" + host + "/alice/app:v2");
        assertThat(anonymous.ok()).as(anonymous.output()).isFalse();
    }

    private static List<String> podman(String... args) {
        return Podman.command(dir, args);
    }

    @Test
    void podmanLogsInPushesAndPullsVerifyingTheCertificate() throws Exception {
        Requirements.onPath("podman", "skopeo", "umoci");
        Exec.Result works = exec().run(Duration.ofMinutes(2), null, podman("images"));
        assertThat(works.ok()).as("podman installed but broken:\n%s", works.describe()).isTrue();
        String host = registry.hostPort();
        ok(run("skopeo", "copy", "--dest-cert-dir", certDir.toString(), "--dest-creds", "alice:alice-password",
                "oci:" + layout("podman-seed") + ":v1", "docker://" + host + "/alice/seed:v1"));
        String authfile = dir.resolve("podman-auth.json").toString();

        Exec.Result untrusted = exec().run(Duration.ofMinutes(2), "alice-password", podman("login", "--authfile",
                authfile, "-u", "alice", "--password-stdin", host));
        assertThat(untrusted.ok()).as(untrusted.output()).isFalse();
        assertThat(untrusted.output()).contains("certificate signed by unknown authority");

        ok(exec().run(Duration.ofMinutes(2), "alice-password", podman("login", "--cert-dir", certDir.toString(),
                "--authfile", authfile, "-u", "alice", "--password-stdin", host)));
        ok(exec().run(Duration.ofMinutes(2), null, podman("pull", "--cert-dir", certDir.toString(), "--authfile",
                authfile, host + "/alice/seed:v1")));
        ok(exec().run(Duration.ofMinutes(2), null, podman("tag", host + "/alice/seed:v1", host + "/alice/pushed:v1")));
        ok(exec().run(Duration.ofMinutes(2), null, podman("push", "--cert-dir", certDir.toString(), "--authfile",
                authfile, host + "/alice/pushed:v1")));
        Exec.Result inspect = run("skopeo", "inspect", "--cert-dir", certDir.toString(), "--creds",
                "alice:alice-password", "docker://" + host + "/alice/pushed:v1");
        ok(inspect);
        assertThat(inspect.stdout()).contains("\"Digest\"");
    }

    private static Exec.Result curl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--cacert", ca.certificate().toString(),
                "-o", "/dev/null", "-D", "-", "-w", "protocol=%{http_version}\\n"));
        cmd.addAll(List.of(args));
        return exec().run(Duration.ofMinutes(1), null, cmd);
    }

    @Test
    void curlGetsHttp2ByAlpnAndHttp11WhenItAsks() {
        Requirements.onPath("curl");
        String v2 = registry.uri("/v2/").toString();
        String realm = "realm=\"https://" + registry.hostPort() + "/v2/auth\"";

        Exec.Result h2 = curl("--http2", v2);
        ok(h2);
        assertThat(h2.stdout()).contains("protocol=2\n").startsWith("HTTP/2 401");
        String h2Headers = h2.stdout().toLowerCase(Locale.ROOT);
        assertThat(h2Headers).contains("strict-transport-security: max-age=31536000");
        assertThat(h2.stdout()).as("the token realm is https under HTTP/2 too").contains(realm);

        Exec.Result h1 = curl("--http1.1", v2);
        ok(h1);
        assertThat(h1.stdout()).contains("protocol=1.1\n").startsWith("HTTP/1.1 401");
        assertThat(h1.stdout().toLowerCase(Locale.ROOT)).contains("strict-transport-security: max-age=31536000");
        assertThat(h1.stdout()).contains(realm);

        // The token endpoint answers over HTTP/2, and the token opens /v2/.
        Exec.Result token = exec().run(Duration.ofMinutes(1), null, List.of("curl", "-sS", "--http2", "--cacert",
                ca.certificate().toString(), "-u", "alice:alice-password",
                registry.uri("/v2/auth?service=bollard").toString()));
        ok(token);
        String bearer = token.stdout().replaceAll("(?s).*\"token\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        Exec.Result authorized = curl("--http2", "-H", "Authorization: Bearer " + bearer, v2);
        ok(authorized);
        assertThat(authorized.stdout()).startsWith("HTTP/2 200");

        // Plain HTTP to the TLS port is no way around it.
        Exec.Result plain = exec().run(Duration.ofMinutes(1), null, List.of("curl", "-sS", "-o", "/dev/null",
                "-w", "%{http_code}", "http://" + registry.hostPort() + "/v2/"));
        assertThat(plain.stdout()).isNotEqualTo("401").isNotEqualTo("200");
    }

    @Test
    void theWebUiSignsInOverHttp2WithSecureCookies() {
        Requirements.onPath("curl");
        String base = registry.baseUri().toString();
        Exec.Result page = curl("--http2", base + "/signin");
        ok(page);
        assertThat(page.stdout()).startsWith("HTTP/2 200");
        String token = page.stdout().replaceAll("(?s).*set-cookie: bollard_signin=([^;\\s]+);.*", "$1");
        assertThat(page.stdout()).contains("set-cookie: bollard_signin=" + token + "; Path=/signin")
                .contains("; Secure");
        // HTTP/2 has no Host header: the same-origin check of the form must compare with :authority.
        Exec.Result signIn = curl("--http2", "-H", "Origin: " + base, "-b", "bollard_signin=" + token,
                "--data-urlencode", "username=alice", "--data-urlencode", "password=alice-password",
                "--data-urlencode", "_csrf=" + token, base + "/signin");
        ok(signIn);
        assertThat(signIn.stdout()).startsWith("HTTP/2 303").contains("location: /\r\n")
                .containsPattern("set-cookie: bollard_session=[^;]+; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Lax; Secure");
    }

    private static Exec.Result sClient(String... args) {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", registry.hostPort(),
                "-servername", "localhost", "-CAfile", ca.certificate().toString(), "-verify_return_error"));
        cmd.addAll(List.of(args));
        return exec().run(Duration.ofMinutes(1), "", cmd);
    }

    @Test
    void onlyTls12And13WithModernCipherSuites() {
        Requirements.onPath("openssl");
        for (String modern : List.of("-tls1_2", "-tls1_3")) {
            Exec.Result r = sClient(modern);
            ok(r);
            assertThat(r.stdout()).contains("Verify return code: 0 (ok)")
                    .contains(modern.equals("-tls1_2") ? "New, TLSv1.2" : "New, TLSv1.3");
        }
        // OpenSSL 3 itself refuses TLS 1.0/1.1 above security level 0: lower it, so that the server is what refuses.
        for (String old : List.of("-tls1", "-tls1_1")) {
            Exec.Result r = sClient(old, "-cipher", "DEFAULT:@SECLEVEL=0");
            assertThat(r.ok()).as(r.describe()).isFalse();
            assertThat(r.output()).as(r.describe()).containsAnyOf("alert protocol version", "unsupported protocol",
                    "handshake failure");
            assertThat(r.output()).doesNotContain("no protocols available");
        }
        // CBC with RSA key exchange (AES128-SHA), CBC with ECDHE (ECDHE-RSA-AES128-SHA256), RSA key exchange with
        // GCM (AES256-GCM-SHA384): refused. (Debian's OpenSSL no longer has 3DES or RC4 to offer.)
        for (String weak : List.of("AES128-SHA", "ECDHE-RSA-AES128-SHA256", "AES256-GCM-SHA384")) {
            Exec.Result r = sClient("-tls1_2", "-cipher", weak + ":@SECLEVEL=0");
            assertThat(r.ok()).as(r.describe()).isFalse();
            assertThat(r.output()).as(r.describe()).contains("handshake failure");
        }
        Exec.Result gcm = sClient("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        ok(gcm);
        assertThat(gcm.stdout()).contains("Cipher is ECDHE-RSA-AES128-GCM-SHA256");
    }
}
