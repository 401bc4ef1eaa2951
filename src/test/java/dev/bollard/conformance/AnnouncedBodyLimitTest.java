package dev.bollard.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every endpoint whose body is bounded refuses a request that announces a larger one with 413 at once, before
 * reading it: the client below announces 5 GB and sends a few bytes, so a server that waited for the body would
 * time the test out instead of answering.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AnnouncedBodyLimitTest {
    private TestRegistry registry;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        registry = TestRegistry.startWithAuth(dir);
        new Identities(registry.server().database()).users().create("root", "root-password", true);
    }

    @AfterAll
    void stop() {
        registry.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v2/auth", "/api/v1/users", "/signin"})
    void aBodyAnnouncedLargerThanTheLimitIs413AtOnce(String path) throws Exception {
        byte[] start = "grant_type=password&username=a".getBytes(StandardCharsets.UTF_8);
        RawHttp.Response r = RawHttp.send(registry.baseUri(), "POST", path, Map.of(
                "Content-Type", path.startsWith("/api/") ? "application/json" : "application/x-www-form-urlencoded",
                "Content-Length", "5000000000",
                "Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        "root:root-password".getBytes(StandardCharsets.UTF_8))),
                start);
        assertThat(r.status()).as("%s: %s", path, r).isEqualTo(413);
    }
}
