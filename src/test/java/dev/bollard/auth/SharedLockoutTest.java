package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.TestDatabase;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two registries on one PostgreSQL database — two nodes behind a load balancer — share the login lockout: failed
 * logins spread over both lock the user out (from that address) on both, on the token endpoint and on {@code /v2};
 * the lockout ends after {@code auth.lockout} on both; and a success on one node forgets the failures counted on both.
 * A login without failures to forget writes nothing.
 */
class SharedLockoutTest {
    private static final int MAX_FAILURES = 4;
    private static final Duration LOCKOUT = Duration.ofSeconds(3);
    private static final String KEK = Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    Path dir;

    private BollardConfig node(String name, TestDatabase db) {
        BollardConfig.Database d = db.config(4);
        return ConfigLoader.builder().set("data-dir", dir.resolve(name).toString())
                .set("server.listen", "127.0.0.1:0")
                .set("database.url", d.url()).set("database.username", d.username())
                .set("database.password", d.password())
                .set("auth.key-encryption-key", KEK) // one key on every node: each opens the other's signing keys
                .set("auth.max-login-failures", Integer.toString(MAX_FAILURES))
                .set("auth.lockout", LOCKOUT.toMillis() + "ms").load();
    }

    private static int status(AuthHttp node, String path, String user, String password) throws Exception {
        return node.get(path, basic(user, password)).statusCode();
    }

    private static int storedCounts(TestRegistry node) {
        return node.server().database().read(h -> h.createQuery("SELECT COUNT(*) FROM login_failure")
                .mapTo(Integer.class).one());
    }

    @Test
    void failuresSpreadOverTwoNodesLockTheUserOutOnBothUntilTheLockoutEnds() throws Exception {
        try (TestDatabase db = TestDatabase.postgres();
             TestRegistry a = TestRegistry.start(node("a", db));
             TestRegistry b = TestRegistry.start(node("b", db));
             AuthHttp httpA = new AuthHttp(a.baseUri());
             AuthHttp httpB = new AuthHttp(b.baseUri())) {
            new Identities(a.server().database()).users().create("alice", "alice-password", false);
            List<AuthHttp> nodes = List.of(httpA, httpB);
            String token = "/v2/auth?service=bollard";

            // Logins without failures write nothing: the hot path is one read.
            assertThat(status(httpA, token, "alice", "alice-password")).isEqualTo(200);
            assertThat(status(httpB, "/v2/", "alice", "alice-password")).isEqualTo(200);
            assertThat(storedCounts(a)).isZero();

            // MAX_FAILURES - 1 failures spread over both nodes, then a success on B: the count is forgotten on both.
            for (int i = 0; i < MAX_FAILURES - 1; i++) {
                assertThat(status(nodes.get(i % 2), token, "alice", "guess-" + i)).isEqualTo(401);
            }
            assertThat(status(httpB, token, "alice", "alice-password")).isEqualTo(200);
            for (int i = 0; i < MAX_FAILURES - 1; i++) {
                assertThat(status(nodes.get((i + 1) % 2), "/v2/", "alice", "guess-" + i)).isEqualTo(401);
            }
            assertThat(status(httpA, token, "alice", "alice-password"))
                    .as("%d failures since the success on the other node: not locked", MAX_FAILURES - 1).isEqualTo(200);

            // MAX_FAILURES failures, alternating nodes: locked out on both, even with the right password.
            for (int i = 0; i < MAX_FAILURES; i++) {
                assertThat(status(nodes.get(i % 2), token, "alice", "guess-" + i)).isEqualTo(401);
            }
            for (AuthHttp node : nodes) {
                for (String path : List.of(token, "/v2/")) {
                    HttpResponse<byte[]> locked = node.get(path, basic("alice", "alice-password"));
                    assertThat(locked.statusCode()).as("%s on %s", path, node).isEqualTo(429);
                    assertThat(new String(locked.body(), StandardCharsets.UTF_8)).contains("too many failed logins");
                    long retryAfter = Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow());
                    assertThat(retryAfter).isPositive().isLessThanOrEqualTo(LOCKOUT.toSeconds());
                }
            }
            // Bob is not alice.
            new Identities(a.server().database()).users().create("bob", "bob-password", false);
            assertThat(status(httpB, token, "bob", "bob-password")).isEqualTo(200);

            // The lockout ends on both.
            Thread.sleep(LOCKOUT.toMillis() + 200);
            assertThat(status(httpB, token, "alice", "alice-password")).isEqualTo(200);
            assertThat(status(httpA, "/v2/", "alice", "alice-password")).isEqualTo(200);
            assertThat(storedCounts(b)).as("the address's count is left; alice's was forgotten").isEqualTo(1);
        }
    }
}
