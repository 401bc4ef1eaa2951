package dev.bollard.http.tls;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.http.BollardServer;
import dev.bollard.testing.Cli;
import dev.bollard.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Plain HTTP is served on loopback only, unless server.allow-plain-http says otherwise: {@code bollard serve} on
 * 0.0.0.0 without TLS refuses to start and names the settings; with the option it starts and logs a warning.
 */
class PlainHttpTest {

    @TempDir
    Path dir;

    @Test
    void serveAndConfigCheckRefuseANonLoopbackAddressWithoutTlsNamingTheSettings() {
        for (String command : new String[] {"serve", "check"}) {
            Cli.Result r = command.equals("serve")
                    ? Cli.run("serve", "--listen", "0.0.0.0:0", "--data", dir.resolve("data").toString())
                    : Cli.run("config", "check", "--listen", "0.0.0.0:0", "--data", dir.resolve("data").toString());
            assertThat(r.exit()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).contains("0.0.0.0:0 is not a loopback address")
                    .contains("server.tls.certificate and server.tls.private-key")
                    .contains("server.allow-plain-http: true").contains("BOLLARD_SERVER_ALLOW_PLAIN_HTTP=true");
        }
    }

    @Test
    void withTheOptionItServesAndWarns() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(BollardServer.class);
        logs.start();
        logger.addAppender(logs);
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "0.0.0.0:0").set("server.allow-plain-http", "true").load();
        try (TestRegistry registry = TestRegistry.start(config);
             HttpClient http = HttpClient.newHttpClient()) {
            assertThat(registry.baseUri().getScheme()).isEqualTo("http");
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + registry.baseUri().getPort() + "/v2/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                    .contains("serving plain HTTP on 0.0.0.0, which is not a loopback address")
                    .contains("server.allow-plain-http is true"));
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void loopbackNeedsNeitherTlsNorTheOption() {
        BollardConfig config = ConfigLoader.builder().set("server.listen", "127.0.0.1:5000").load();
        assertThat(config.server().tls().enabled()).isFalse();
        assertThat(config.server().allowPlainHttp()).isFalse();
    }
}
