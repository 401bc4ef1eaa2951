package dev.bollard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Cli;
import dev.bollard.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bollard config check FILE}: valid files are printed, invalid ones explained all at once, with exit codes. */
class ConfigCheckTest {
    @TempDir
    Path dir;

    @Test
    void aValidFileIsPrintedWithDurationsAsPeopleWriteThem() throws Exception {
        Path file = Files.writeString(dir.resolve("ok.yml"),
                "server:\n  listen: 127.0.0.1:5123\nhistory:\n  window: 30d\nauth:\n  token-expiry: 15m\n");
        Cli.Result r = Cli.run("config", "check", file.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("configuration is valid").contains("127.0.0.1:5123")
                .contains("  gc              every 1h, grace period 24h; history window 30d\n")
                .contains(", expire after 24h\n").contains(", tokens live 15m\n")
                .doesNotContain("PT");
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsSourceAndASuggestion() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yml"), """
                serverr:
                  listen: 127.0.0.1:5000
                uploads:
                  exipry: 1h
                expiry: 2h
                not-a-key: 1
                server:
                  listen: 127.0.0.1:99999
                gc:
                  interval: soon
                """);
        Cli.Result r = Cli.run("config", "check", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("bollard: invalid configuration:\n"
                + "  " + file + ": unknown configuration key 'serverr.listen' (did you mean server.listen?)\n"
                + "  " + file + ": unknown configuration key 'uploads.exipry' (did you mean uploads.expiry?)\n"
                + "  " + file + ": unknown configuration key 'expiry' (did you mean uploads.expiry?)\n"
                + "  " + file + ": unknown configuration key 'not-a-key' (docs/configuration.md lists the keys)\n"
                + "  server.listen (from " + file + ") must be between 0 and 65535, not 99999\n"
                + "  gc.interval (from " + file + ") must be a positive duration such as 90s, 10m, 24h or 7d, not 'soon'\n");
    }

    @Test
    void theTlsFilesAreReadAndDescribedOrTheirProblemNamed() throws Exception {
        TestCa ca = TestCa.create(dir.resolve("ca"));
        TestCa.Issued server = ca.issue("registry", "ec");
        TestCa.Issued other = ca.issue("other", "ec");
        Path file = Files.writeString(dir.resolve("tls.yml"), "server:\n  listen: 0.0.0.0:443\n  tls:\n"
                + "    certificate: " + server.chain() + "\n    private-key: " + server.privateKey() + "\n");
        Cli.Result r = Cli.run("config", "check", file.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("  tls             certificate CN=registry (SHA-256 "
                + ca.fingerprint(server.certificate()) + "), valid until ")
                .contains("HTTP/2 and HTTP/1.1, files checked every 10s, HSTS max-age 365d\n");

        Path mismatched = Files.writeString(dir.resolve("mismatched.yml"), "server:\n  tls:\n"
                + "    certificate: " + server.chain() + "\n    private-key: " + other.privateKey() + "\n");
        Cli.Result bad = Cli.run("config", "check", mismatched.toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("does not hold the private key of the certificate CN=registry");

        Cli.Result plain = Cli.run("config", "check", "--listen", "127.0.0.1:5000");
        assertThat(plain.out()).contains("  tls             off (plain HTTP on loopback)\n");
    }

    @Test
    void aMissingFileSaysSo() {
        Path absent = dir.resolve("absent.yml");
        Cli.Result r = Cli.run("config", "check", absent.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("bollard: the configuration file " + absent + " does not exist\n");
    }

    @Test
    void yamlThatDoesNotParseIsOneLineWithItsPlace() throws Exception {
        Path file = Files.writeString(dir.resolve("broken.yml"), "a: [\n");
        Cli.Result r = Cli.run("config", "check", file.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("bollard: " + file + " is not valid YAML (line 1, column 5): while parsing a "
                + "flow node; expected the node content, but found '<stream end>'\n");
    }

    @Test
    void theFileIsGivenOnce() throws Exception {
        Path a = Files.writeString(dir.resolve("a.yml"), "");
        Cli.Result r = Cli.run("config", "check", a.toString(), "--config", dir.resolve("b.yml").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("bollard: give the configuration file once, as FILE or with --config\n");
    }
}
