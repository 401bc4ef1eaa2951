package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A failure of the registry itself (here: its database lost a table under it) answers {@code 500} with the spec's
 * {@code UNKNOWN} error and a message that says nothing about the cause; the cause (the SQL error) is in the log.
 */
class InternalErrorTest {
    @TempDir
    Path dir;

    @Test
    void aFailureOfTheRegistryIs500UnknownWithTheDetailsOnlyInTheLog() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.setContext(context);
        captured.start();
        root.addAppender(captured);
        try (TestRegistry registry = TestRegistry.start(dir.resolve("data"));
             HttpClient http = HttpClient.newHttpClient()) {
            registry.server().database().inTransaction(h -> h.execute(
                    "ALTER TABLE repository RENAME TO repository_gone"));

            HttpResponse<String> r = http.send(HttpRequest.newBuilder(registry.uri("/v2/some/repo/tags/list")).GET()
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                    .startsWith("application/json"));
            assertThat(r.body()).contains("\"code\":\"UNKNOWN\"").contains("see the registry's log")
                    .doesNotContainIgnoringCase("repository_gone").doesNotContainIgnoringCase("select")
                    .doesNotContain("Exception");
        } finally {
            root.detachAppender(captured);
        }
        assertThat(captured.list).as("log events of the failed request").anySatisfy(e -> {
            assertThat(e.getLevel().toString()).isEqualTo("ERROR");
            assertThat(e.getFormattedMessage()).contains("/v2/some/repo/tags/list");
            assertThat(ThrowableProxyUtil.asString(e.getThrowableProxy())).containsIgnoringCase("repository");
        });
    }
}
