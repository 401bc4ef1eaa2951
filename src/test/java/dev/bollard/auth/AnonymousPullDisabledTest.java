package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** auth.anonymous-pull=false: even public repositories need credentials; known users still read them. */
class AnonymousPullDisabledTest {
    @TempDir
    Path dir;

    @Test
    void publicRepositoriesNeedCredentials() throws Exception {
        try (TestRegistry registry = TestRegistry.start(ConfigLoader.builder()
                .set("data-dir", dir.toString()).set("server.listen", "127.0.0.1:0")
                .set("auth.anonymous-pull", "false").load());
             AuthHttp http = new AuthHttp(registry.baseUri())) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("alice", "alice-password", false);
            ids.users().create("bob", "bob-password", false);
            http.pushImage("alice/pub", "v1", basic("alice", "alice-password"));
            ids.repositories().setVisibility("alice/pub", true);

            assertThat(http.get("/v2/alice/pub/tags/list", null).statusCode()).isEqualTo(401);
            assertThat(http.get("/v2/_catalog", null).statusCode()).isEqualTo(401);
            String anonymous = http.token(null, "repository:alice/pub:pull", "registry:catalog:*");
            assertThat(SignedJWT.parse(anonymous).getJWTClaimsSet().getClaim("access")).isEqualTo(List.of());
            assertThat(http.get("/v2/alice/pub/tags/list", AuthHttp.bearer(anonymous)).statusCode()).isEqualTo(401);

            assertThat(http.get("/v2/alice/pub/tags/list", basic("bob", "bob-password")).statusCode()).isEqualTo(200);
            assertThat(AuthHttp.strings(AuthHttp.json(http.get("/v2/_catalog", basic("bob", "bob-password")))
                    .get("repositories"))).containsExactly("alice/pub");
        }
    }
}
