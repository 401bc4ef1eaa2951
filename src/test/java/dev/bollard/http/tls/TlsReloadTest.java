package dev.bollard.http.tls;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.bollard.clients.Exec;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestCa;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Certificate rotation without a restart: the PEM files are replaced while the registry runs, and a new connection
 * (openssl s_client) gets the new certificate; replacements that cannot be used — a damaged certificate, a key that
 * is not the certificate's — are logged and the certificate in use goes on being served.
 */
class TlsReloadTest {

    @TempDir
    Path dir;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(TlsListener.class);

    @AfterEach
    void detach() {
        logger.detachAppender(logs);
    }

    /** SHA-256 fingerprint of the certificate a new TLS connection to {@code hostPort} is given (verified by the CA). */
    private static String served(TestCa ca, Path dir, String hostPort) {
        Exec exec = new Exec(dir);
        Exec.Result hello = exec.run(Duration.ofSeconds(30), "", List.of("openssl", "s_client", "-connect", hostPort,
                "-servername", "localhost", "-CAfile", ca.certificate().toString(), "-verify_return_error"));
        assertThat(hello.ok()).as(hello.describe()).isTrue();
        Exec.Result fingerprint = exec.run(Duration.ofSeconds(30), hello.stdout(), List.of("openssl", "x509",
                "-noout", "-fingerprint", "-sha256"));
        assertThat(fingerprint.ok()).as(fingerprint.describe()).isTrue();
        return fingerprint.stdout().substring(fingerprint.stdout().indexOf('=') + 1).strip();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 20 s for: " + what).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private boolean logged(String text) {
        return logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains(text));
    }

    @Test
    void replacedFilesServeNewConnectionsWithoutARestartAndBrokenOnesAreNotServed() throws Exception {
        Requirements.onPath("openssl", "curl");
        TestCa ca = TestCa.create(dir.resolve("ca"));
        TestCa.Issued first = ca.issue("first", "rsa");
        TestCa.Issued second = ca.issue("second", "ec");
        Path live = Files.createDirectories(dir.resolve("live"));
        Path certificate = live.resolve("tls.crt");
        Path key = live.resolve("tls.key");
        Files.copy(first.chain(), certificate);
        Files.copy(first.privateKey(), key);
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0")
                .set("server.tls.certificate", certificate.toString())
                .set("server.tls.private-key", key.toString())
                .set("server.tls.reload-interval", "1s").load();
        logs.start();
        logger.addAppender(logs);
        try (TestRegistry registry = TestRegistry.start(config)) {
            String hostPort = registry.hostPort();
            assertThat(served(ca, dir, hostPort)).isEqualTo(ca.fingerprint(first.certificate()));

            // Rotation as a deployment tool does it: the key, then the certificate, each in one rename.
            TestCa.replace(second.privateKey(), key);
            TestCa.replace(second.chain(), certificate);
            await("the second certificate on new connections",
                    () -> served(ca, dir, hostPort).equals(ca.fingerprint(second.certificate())));
            assertThat(logged("new connections get the certificate CN=second")).as(logs.list.toString()).isTrue();
            Exec.Result curl = new Exec(dir).run(Duration.ofSeconds(30), null, List.of("curl", "-sS", "--http2",
                    "--cacert", ca.certificate().toString(), "-o", "/dev/null", "-w", "%{http_code}",
                    registry.uri("/v2/").toString()));
            assertThat(curl.stdout()).as(curl.describe()).isEqualTo("401");

            // A damaged certificate: logged, and the second one is still served.
            Files.writeString(live.resolve("damaged"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
            TestCa.replace(live.resolve("damaged"), certificate);
            await("the damaged certificate logged", () -> logged("cannot be used"));
            assertThat(served(ca, dir, hostPort)).isEqualTo(ca.fingerprint(second.certificate()));

            // The first certificate with the second key: not a pair, logged, not served.
            TestCa.replace(first.chain(), certificate);
            await("the mismatched key logged", () -> logged("does not hold the private key of the certificate CN=first"));
            assertThat(served(ca, dir, hostPort)).isEqualTo(ca.fingerprint(second.certificate()));

            // Its own key arrives: now the pair is complete and served.
            TestCa.replace(first.privateKey(), key);
            await("the first certificate again",
                    () -> served(ca, dir, hostPort).equals(ca.fingerprint(first.certificate())));
        }
    }
}
