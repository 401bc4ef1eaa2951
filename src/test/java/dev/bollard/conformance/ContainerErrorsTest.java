package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
