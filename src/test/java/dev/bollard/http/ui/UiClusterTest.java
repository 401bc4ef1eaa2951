package dev.bollard.http.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.PostgresServer;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes sharing one PostgreSQL database keep no session state of their own: a browser signed in on one is
 * signed in on the other, its forms' CSRF token works there, and signing out on one ends the session on both.
 * Skipped when PostgreSQL is not installed.
 */
class UiClusterTest {
    @TempDir
    Path dir;

    private static TestRegistry node(Path dataDir, PostgresServer.Db db) throws Exception {
        return TestRegistry.start(ConfigLoader.builder().set("data-dir", dataDir.toString())
                .set("server.listen", "127.0.0.1:0").set("database.url", db.url())
                .set("database.username", db.username()).set("database.password", db.password())
                // the nodes share one key-encryption key, as every node of a cluster must
                .set("auth.key-encryption-key", Base64.getEncoder().encodeToString(new byte[32])).load());
    }

    @Test
    void aSessionStartedOnOneNodeIsValidOnTheOtherUntilSignOut() throws Exception {
        PostgresServer.Db db = PostgresServer.shared().createDatabase();
        try (TestRegistry a = node(dir.resolve("a"), db); TestRegistry b = node(dir.resolve("b"), db)) {
            Identities identities = new Identities(a.server().database());
            identities.users().create("alice", "alice-password", false);
            identities.organizations().create("acme", "alice");
            identities.repositories().setVisibility("acme/app", true);

            UiClient onA = new UiClient(a.baseUri()).signIn("alice", "alice-password");
            UiClient onB = new UiClient(b.baseUri());
            onB.cookies.putAll(onA.cookies);

            HttpResponse<String> page = onB.get("/repo/acme/app");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("Signed in as <strong>alice</strong>", "public");
            assertThat(onB.get("/repositories?q=acme").body()).contains("href=\"/repo/acme/app\"");
            assertThat(onB.get("/org/acme").body()).contains("your role: owner");
            HttpResponse<String> token = onB.post("/settings", "action", "create-token", "name", "from-node-b");
            assertThat(token.statusCode()).isEqualTo(200);
            assertThat(identities.appTokens().list("alice")).contains("from-node-b");

            assertThat(onB.post("/signout").statusCode()).isEqualTo(303);
            HttpResponse<String> afterSignOut = onA.get("/settings");
            assertThat(afterSignOut.statusCode()).isEqualTo(303);
            assertThat(afterSignOut.headers().firstValue("Location").orElseThrow()).startsWith("/signin");
        } finally {
            db.drop();
        }
    }
}
