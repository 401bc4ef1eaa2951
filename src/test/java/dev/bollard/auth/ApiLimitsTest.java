package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The management API's refusals of what it cannot take, each with its status and code: a body over 1 MiB (413
 * TOO_LARGE), a body that is not JSON (415 UNSUPPORTED_MEDIA_TYPE), a user locked out after failed logins (429
 * TOO_MANY_REQUESTS with Retry-After) — and the end of that lockout, after {@code auth.lockout}.
 */
class ApiLimitsTest {
    private static final int MAX_FAILURES = 3;
    private static final Duration LOCKOUT = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void tooLargeUnsupportedMediaTypeAndTooManyRequestsUntilTheLockoutEnds() throws Exception {
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0").set("auth.max-login-failures", Integer.toString(MAX_FAILURES))
                .set("auth.lockout", LOCKOUT.toMillis() + "ms").load();
        try (TestRegistry registry = TestRegistry.start(config);
             AuthHttp http = new AuthHttp(registry.baseUri())) {
            new Identities(registry.server().database()).users().create("alice", "alice-password", false);
            String alice = basic("alice", "alice-password");

            byte[] big = new byte[1024 * 1024 + 1];
            Arrays.fill(big, (byte) ' ');
            big[0] = '{';
            big[big.length - 1] = '}';
            expectError(http.send("POST", "/api/v1/namespaces/alice/robots", alice, big, "Content-Type",
                    "application/json"), 413, "TOO_LARGE");
            expectError(http.send("POST", "/api/v1/namespaces/alice/robots", alice,
                    "name=ci".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/x-www-form-urlencoded"),
                    415, "UNSUPPORTED_MEDIA_TYPE");

            for (int i = 0; i < MAX_FAILURES; i++) {
                expectError(http.get("/api/v1/me", basic("alice", "guess-" + i)), 401, "UNAUTHORIZED");
            }
            HttpResponse<byte[]> locked = expectError(http.get("/api/v1/me", alice), 429, "TOO_MANY_REQUESTS");
            long retryAfter = Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter).as("Retry-After, s").isPositive().isLessThanOrEqualTo(LOCKOUT.toSeconds());

            // The lockout ends when auth.lockout has passed since it began (Retry-After said when, in whole seconds).
            Thread.sleep(LOCKOUT.toMillis() + 100);
            AuthHttp.expect(http.get("/api/v1/me", alice), 200);
        }
    }

    private static HttpResponse<byte[]> expectError(HttpResponse<byte[]> r, int status, String code)
            throws java.io.IOException {
        AuthHttp.expect(r, status);
        assertThat(AuthHttp.json(r).path("code").asText()).as("code of the %d", status).isEqualTo(code);
        return r;
    }
}
