package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Requests refused by the HTTP container itself, before a route is matched, still get the error JSON of the surface
 * they were meant for, never Jetty's HTML page.
 */
class ContainerErrorsTest extends ConformanceSupport {

    private JsonNode json(RawHttp.Response r) throws Exception {
        assertThat(r.header("Content-Type")).as("%s", r).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(r.bodyText()).doesNotContain("<html", "<h1", "org.eclipse.jetty");
        return JSON.readTree(r.body());
    }

    private JsonNode distributionError(RawHttp.Response r) throws Exception {
        JsonNode body = json(r);
        assertThat(body.path("errors").path(0).path("code").asText()).as("%s", r).isNotEmpty();
        assertThat(body.path("errors").path(0).path("message").asText()).as("%s", r).isNotEmpty();
        return body;
    }

    @Test
    void aNulCharacterInThePathIsAJsonError() throws Exception {
        RawHttp.Response r = RawHttp.send(registry.baseUri(), "GET", "/v2/a%00b/manifests/latest", Map.of(), null);
        assertThat(r.status()).as("%s", r).isEqualTo(400);
        distributionError(r);
    }

    @Test
    void aUriTooLongIsAJsonError() throws Exception {
        RawHttp.Response r = RawHttp.send(registry.baseUri(), "GET", "/v2/" + "a".repeat(10_000) + "/tags/list",
                Map.of(), null);
        assertThat(r.status()).as("%s", r).isIn(414, 431);
        distributionError(r);
    }

    @Test
    void headersTooLargeAreAJsonError() throws Exception {
        RawHttp.Response r = RawHttp.send(registry.baseUri(), "GET", "/v2/", Map.of("X-Padding", "p".repeat(10_000)),
                null);
        assertThat(r.status()).as("%s", r).isEqualTo(431);
        distributionError(r);
    }

    /** Where the path could be read (a request line, then headers too large), the management API's error shape. */
    @Test
    void theManagementApiGetsItsOwnErrorShape() throws Exception {
        RawHttp.Response r = RawHttp.send(registry.baseUri(), "GET", "/api/v1/users",
                Map.of("X-Padding", "p".repeat(10_000)), null);
        assertThat(r.status()).as("%s", r).isEqualTo(431);
        JsonNode body = json(r);
        assertThat(body.path("code").asText()).as("%s", r).isEqualTo("TOO_LARGE");
    }

    /**
     * A request line without a version (HTTP/0.9) or with one that is not HTTP/1.x: Jetty's 505, a server error, is a
     * 400 with the error JSON (found by the HTTP fuzz run).
     */
    @Test
    void aRequestLineWithoutOrWithAnUnknownVersionIsA400() throws Exception {
        for (String line : List.of("GET /v2/", "GET /v2/ HTTP/9", "GET /api/v1/users HTTP/3.0", "GET * HTTP/9")) {
            RawHttp.Response r = RawHttp.sendRaw(registry.baseUri(), line + "\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).as("%s: %s", line, r).isEqualTo(400);
            assertThat(distributionError(r).path("errors").path(0).path("message").asText()).as("%s", line)
                    .contains("HTTP version");
        }
    }

    /**
     * Jetty writes its error body only for GET, POST and HEAD: a PUT, PATCH or DELETE with a Content-Length it cannot
     * read, or headers too large, got an empty 400 or 431 (found by the HTTP fuzz run). Now the surface's JSON.
     */
    @Test
    void everyMethodGetsTheErrorBody() throws Exception {
        for (String method : List.of("PUT", "PATCH", "DELETE", "OPTIONS", "GETT")) {
            RawHttp.Response r = RawHttp.sendRaw(registry.baseUri(), method + " /v2/acme/app/blobs/uploads/ HTTP/1.1\r\n"
                    + "Host: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).as("%s: %s", method, r).isEqualTo(400);
            distributionError(r);

            r = RawHttp.sendRaw(registry.baseUri(), method + " /api/v1/repositories HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: 1, 2\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).as("%s: %s", method, r).isEqualTo(400);
            assertThat(json(r).path("code").asText()).as("%s: %s", method, r).isEqualTo("INVALID_REQUEST");

            r = RawHttp.sendRaw(registry.baseUri(), method + " /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: "
                    + "b".repeat(20_000) + "\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).as("%s: %s", method, r).isEqualTo(431);
            distributionError(r);
        }
    }

    /**
     * A Host header Jetty cannot parse: a 400 with the error JSON naming the Host header, and no WARN in the log (Jetty
     * logged "Bad Authority: [a b]" at WARN for each, a line any client could write at will).
     */
    @Test
    void aBadHostHeaderIsA400NamingItAndNoWarning() throws Exception {
        Logger jetty = (Logger) LoggerFactory.getLogger("org.eclipse.jetty");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        jetty.addAppender(logged);
        try {
            for (String host : List.of("a b", "[::1", "host:99999", "host:abc", "ho%st", "user@host", "[zz]:1")) {
                RawHttp.Response r = RawHttp.sendRaw(registry.baseUri(), "GET /v2/ HTTP/1.1\r\nHost: " + host
                        + "\r\nConnection: close\r\n\r\n");
                assertThat(r.status()).as("Host: %s: %s", host, r).isEqualTo(400);
                assertThat(distributionError(r).path("errors").path(0).path("message").asText()).as("Host: %s", host)
                        .contains("the Host header is not a host name or address");
            }
        } finally {
            jetty.detachAppender(logged);
        }
        assertThat(logged.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .extracting(ILoggingEvent::getFormattedMessage).isEmpty();
    }
}
