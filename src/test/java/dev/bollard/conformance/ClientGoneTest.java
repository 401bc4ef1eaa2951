package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.bollard.auth.Identities;
import dev.bollard.testing.TestRegistry;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A client that resets its connection halfway through sending a body is the client's doing: no ERROR line with a
 * stack in the log, and the request counted as 499 (or the 4xx its handler answered), never as a 500 of the registry.
 */
class ClientGoneTest {

    /**
     * Sends the head of a request announcing 2,000 bytes (within every endpoint's limit), 100 of them, then resets the
     * connection.
     */
    private static void resetMidBody(URI base, String method, String path, String contentType,
                                     @Nullable String authorization) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            String head = method + " " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort() + "\r\n"
                    + "Origin: " + base + "\r\nContent-Type: " + contentType + "\r\nContent-Length: 2000\r\n"
                    + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[100]);
            out.flush();
            Thread.sleep(200); // the server is now reading the body
            socket.setSoLinger(true, 0); // close sends a reset
        }
    }

    @Test
    void aClientGoneMidBodyIsNeitherLoggedAsAnErrorNorCountedAs500(@TempDir Path dir) throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        try (TestRegistry registry = TestRegistry.startWithAuth(dir)) {
            new Identities(registry.server().database()).users().create("root", "root-password", true);
            String basic = "Basic " + Base64.getEncoder().encodeToString(
                    "root:root-password".getBytes(StandardCharsets.UTF_8));
            URI base = registry.baseUri();
            resetMidBody(base, "POST", "/v2/auth", "application/x-www-form-urlencoded", null);
            resetMidBody(base, "POST", "/signin", "application/x-www-form-urlencoded", null);
            resetMidBody(base, "POST", "/api/v1/users", "application/json", basic);
            resetMidBody(base, "POST", "/v2/demo/app/blobs/uploads/?digest=sha256:" + "0".repeat(64),
                    "application/octet-stream", basic);

            List<String> counted = List.of();
            HttpClient http = HttpClient.newHttpClient();
            Instant deadline = Instant.now().plusSeconds(10);
            while (Instant.now().isBefore(deadline)) {
                String metrics = http.send(HttpRequest.newBuilder(registry.uri("/metrics")).header("Authorization", basic)
                        .build(), HttpResponse.BodyHandlers.ofString()).body();
                counted = metrics.lines().filter(l -> l.startsWith("http_server_requests_seconds_count{")
                        && l.contains("outcome=\"aborted\"")).toList();
                if (counted.size() >= 4) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(counted).hasSize(4).noneMatch(l -> l.contains("status=\"500\""));
            assertThat(counted).filteredOn(l -> l.contains("route=\"token\"") || l.contains("route=\"api\"")
                    || l.contains("route=\"ui\"")).hasSize(3).allMatch(l -> l.contains("status=\"499\""));
            assertThat(captured.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
                    .extracting(ILoggingEvent::getFormattedMessage).isEmpty();
        } finally {
            root.detachAppender(captured);
        }
    }
}
