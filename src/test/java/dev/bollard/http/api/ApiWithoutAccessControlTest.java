package dev.bollard.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.TestRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code auth.enabled: false} the management API is as open as {@code /v2}: no credentials needed, every
 * repository visible; actions that need a user account say so.
 */
class ApiWithoutAccessControlTest {
    @TempDir
    Path dir;

    @Test
    void everythingIsAllowedAndAnonymous() throws Exception {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("data"));
             ApiHttp http = new ApiHttp(registry.baseUri())) {
            http.expect(201, "PUT", "/api/v1/repositories/team/app", null, "{\"visibility\":\"private\"}");
            assertThat(http.expect(200, "GET", "/api/v1/repositories", null, null).json().get("items").get(0)
                    .get("name").asText()).isEqualTo("team/app");
            assertThat(http.expect(200, "GET", "/api/v1/repositories/team/app", null, null).json().get("visibility")
                    .asText()).isEqualTo("private");
            assertThat(http.expect(403, "POST", "/api/v1/organizations", null, "{\"name\":\"acme\"}").json()
                    .get("message").asText()).contains("only a user");
            assertThat(http.expect(200, "GET", "/api/v1/audit", null, null).json().get("items").get(0)
                    .get("action").asText()).isEqualTo("repository.create");
        }
    }
}
