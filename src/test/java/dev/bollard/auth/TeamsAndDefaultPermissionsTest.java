package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static dev.bollard.auth.AuthHttp.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Teams, team grants, organization default permissions and creation on first push, as the distribution API
 * enforces them (Basic credentials and bearer tokens).
 */
class TeamsAndDefaultPermissionsTest {
    @TempDir
    Path dir;

    /** The status of the first refused request of an image push, or 201 when all of it succeeded. */
    private static int push(AuthHttp http, String repo, String tag, String auth) throws Exception {
        return http.tryPushImage(repo, tag, auth).status();
    }

    private static int pull(AuthHttp http, String repo, String auth) throws Exception {
        return http.send("GET", "/v2/" + repo + "/manifests/v1", auth, null, "Accept", AuthHttp.OCI_MANIFEST).statusCode();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void teamsGrantsAndDefaultPermissionsDecideOnV2(String kind) throws Exception {
        try (DatabaseKind database = DatabaseKind.of(kind, dir.resolve("data"));
             TestRegistry registry = TestRegistry.start(database.config().load());
             AuthHttp http = new AuthHttp(registry.baseUri())) {
            Identities ids = new Identities(registry.server().database());
            for (String u : List.of("owner", "dev", "builder", "boss", "outsider")) {
                ids.users().create(u, u + "-password", false);
            }
            String owner = basic("owner", "owner-password");
            String dev = basic("dev", "dev-password");
            String builder = basic("builder", "builder-password");
            String boss = basic("boss", "boss-password");
            String outsider = basic("outsider", "outsider-password");
            ids.organizations().create("acme", "owner");
            ids.teams().create("acme", "devs", "member", "developers");
            ids.teams().create("acme", "builders", "creator", null);
            ids.teams().create("acme", "admins", "admin", null);
            ids.teams().addMember("acme", "devs", "dev");
            ids.teams().addMember("acme", "builders", "builder");
            ids.teams().addMember("acme", "admins", "boss");
            String ci = ids.robots().create("acme", "ci");
            String robot = basic("acme+ci", ci);

            assertThat(push(http, "acme/app", "v1", owner)).isEqualTo(201);
            // a team member reads the organization's repositories but writes only what the team is granted
            assertThat(pull(http, "acme/app", dev)).isEqualTo(200);
            assertThat(push(http, "acme/app", "v2", dev)).isEqualTo(403);
            ids.repositories().grant("acme/app", "team", "devs", "write");
            assertThat(push(http, "acme/app", "v2", dev)).isEqualTo(201);
            ids.teams().removeMember("acme", "devs", "dev");
            assertThat(push(http, "acme/app", "v3", dev)).isEqualTo(403);
            ids.teams().addMember("acme", "devs", "dev");

            // an admin team administers everything in the organization
            assertThat(push(http, "acme/app", "v4", boss)).isEqualTo(201);
            assertThat(http.send("DELETE", "/v2/acme/app/manifests/v4", boss, null).statusCode()).isEqualTo(202);

            // a creator creates repositories by pushing, and administers what it created, not the others
            assertThat(push(http, "acme/app", "v5", builder)).isEqualTo(403);
            ids.repositories().setDefaultPermission("acme", "robot", "acme+ci", "write");
            ids.repositories().setDefaultPermission("acme", "team", "devs", "read");
            assertThat(push(http, "acme/new", "v1", builder)).isEqualTo(201);
            assertThat(push(http, "acme/new", "v2", builder)).isEqualTo(201);
            assertThat(ids.repositories().grants("acme/new")).containsExactlyInAnyOrder(
                    new RepositoryAccess.GrantInfo("robot", "acme+ci", "write"),
                    new RepositoryAccess.GrantInfo("team", "devs", "read"),
                    new RepositoryAccess.GrantInfo("user", "builder", "admin"));
            // the defaults apply: the robot pushes, the devs team reads
            assertThat(push(http, "acme/new", "v3", robot)).isEqualTo(201);
            assertThat(pull(http, "acme/new", dev)).isEqualTo(200);
            assertThat(push(http, "acme/new", "v4", dev)).isEqualTo(403);
            // ... but only on repositories created after they were set
            assertThat(push(http, "acme/app", "v6", robot)).isEqualTo(403);

            // members of no team of the organization and plain members create nothing
            assertThat(push(http, "acme/other", "v1", dev)).isEqualTo(403);
            assertThat(push(http, "acme/other", "v1", outsider)).isEqualTo(403);
            assertThat(pull(http, "acme/app", outsider)).isEqualTo(403);

            // the organization's robots can be team members: they get the team's grants
            String deployer = basic("acme+deployer", ids.robots().create("acme", "deployer"));
            assertThat(push(http, "acme/app", "v7", deployer)).isEqualTo(403);
            ids.teams().addMember("acme", "devs", "acme+deployer");
            assertThat(push(http, "acme/app", "v7", deployer)).isEqualTo(201);
            assertThat(catalogOf(http, deployer)).contains("acme/app");
            assertThat(ids.teams().members("acme", "devs", null, 10)).containsExactly("acme+deployer", "dev");
            ids.teams().removeMember("acme", "devs", "acme+deployer");
            assertThat(push(http, "acme/app", "v8", deployer)).isEqualTo(403);
            ids.robots().create("outsider", "bot");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ids.teams().addMember("acme", "devs", "outsider+bot"))
                    .hasMessageContaining("only robots of acme");
            // in an admin team, a robot administers the organization's repositories
            ids.teams().addMember("acme", "admins", "acme+deployer");
            assertThat(http.send("DELETE", "/v2/acme/app/manifests/v7", deployer, null).statusCode()).isEqualTo(202);
            assertThat(push(http, "acme/robot-made", "v1", deployer)).isEqualTo(403);

            // the catalog follows the same rules
            assertThat(catalogOf(http, dev)).containsExactly("acme/app", "acme/new");
            assertThat(catalogOf(http, outsider)).isEmpty();

            // the token endpoint grants push on a new repository to a creator, and creates it
            String token = http.token(builder, "repository:acme/tokened:pull,push");
            assertThat(push(http, "acme/tokened", "v1", bearer(token))).isEqualTo(201);
            assertThat(ids.repositories().grants("acme/tokened")).contains(new RepositoryAccess.GrantInfo("user", "builder", "admin"));
            String devToken = http.token(dev, "repository:acme/nope:pull,push");
            assertThat(push(http, "acme/nope", "v1", bearer(devToken))).isIn(401, 403);
            assertThat(ids.repositories().find("acme/nope")).isEmpty();
        }
    }

    private static List<String> catalogOf(AuthHttp http, String auth) throws Exception {
        HttpResponse<byte[]> r = http.get("/v2/_catalog", auth);
        AuthHttp.expect(r, 200);
        return AuthHttp.strings(AuthHttp.json(r).get("repositories"));
    }

    @Test
    void withoutCreateOnPushRepositoriesAreCreatedThroughTheApiFirst() throws Exception {
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data2").toString())
                .set("server.listen", "127.0.0.1:0").set("auth.create-on-push", "false").load();
        try (TestRegistry registry = TestRegistry.start(config);
             AuthHttp http = new AuthHttp(registry.baseUri())) {
            new Identities(registry.server().database()).users().create("alice", "alice-password", false);
            String alice = basic("alice", "alice-password");
            HttpResponse<byte[]> refused = http.send("POST", "/v2/alice/app/blobs/uploads/", alice, null);
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(new String(refused.body(), StandardCharsets.UTF_8)).contains("create-on-push");
            String token = http.token(alice, "repository:alice/app:pull,push");
            assertThat(push(http, "alice/app", "v1", bearer(token))).isIn(401, 403);

            HttpResponse<byte[]> created = http.send("PUT", "/api/v1/repositories/alice/app", alice,
                    "{\"visibility\":\"private\"}".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
            AuthHttp.expect(created, 201);
            JsonNode repo = AuthHttp.json(created);
            assertThat(repo.get("name").asText()).isEqualTo("alice/app");
            assertThat(push(http, "alice/app", "v1", alice)).isEqualTo(201);
        }
    }
}
