package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Cli;
import dev.bollard.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A team's binding to an OIDC groups claim value through {@code /api/v1} ({@code …/teams/{team}/oidc-group}) and the
 * CLI ({@code bollard team list-groups}, {@code unbind-group --oidc}): the binding the API makes is the one the
 * sign-in follows ({@link DirectoryTeams#claimBindings}); an LDAP binding of the same team is left alone by the OIDC
 * unbinding; bad input is a 400, an unbound team a 404.
 */
class OidcGroupBindingTest {
    @TempDir
    Path dir;

    @Test
    void bindListAndUnbindThroughTheApiAndTheCli() throws Exception {
        try (TestRegistry registry = TestRegistry.startWithAuth(dir.resolve("data"));
             AuthHttp http = new AuthHttp(registry.baseUri())) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("boss", "boss-password", false);
            ids.organizations().create("acme", "boss");
            ids.teams().create("acme", "devs", "member", null);
            String boss = basic("boss", "boss-password");
            String team = "/api/v1/organizations/acme/teams/devs";
            String data = dir.resolve("data").toString();

            AuthHttp.expect(http.get(team + "/oidc-group", boss), 404);
            AuthHttp.expect(http.send("PUT", team + "/oidc-group", boss,
                    "{\"provider\":\"Not An Id\",\"group\":\"devs\"}".getBytes(StandardCharsets.UTF_8),
                    "Content-Type", "application/json"), 400);
            AuthHttp.expect(http.send("PUT", team + "/oidc-group", boss,
                    "{\"provider\":\"keycloak\",\"group\":\"developers\"}".getBytes(StandardCharsets.UTF_8),
                    "Content-Type", "application/json"), 200);
            var described = AuthHttp.json(AuthHttp.expect(http.get(team + "/oidc-group", boss), 200));
            assertThat(described.get("provider").asText()).isEqualTo("keycloak");
            assertThat(described.get("group").asText()).isEqualTo("developers");
            assertThat(ids.directoryTeams().claimBindings()).singleElement()
                    .satisfies(b -> assertThat(b.groupDn()).isEqualTo("developers"));
            ids.directoryTeams().bind("acme", "devs", "cn=devs,ou=groups,dc=example,dc=org", "member");

            Cli.Result listed = Cli.run("team", "list-groups", "--data", data);
            assertThat(listed.exit()).as(listed.err()).isZero();
            assertThat(listed.out()).contains("acme/devs\tdevelopers\toidc:keycloak")
                    .contains("acme/devs\tcn=devs,ou=groups,dc=example,dc=org\tmember");

            Cli.Result unbound = Cli.run("team", "unbind-group", "acme", "devs", "--oidc", "--data", data);
            assertThat(unbound.exit()).as(unbound.err()).isZero();
            assertThat(unbound.out()).contains("follows no OIDC group");
            AuthHttp.expect(http.get(team + "/oidc-group", boss), 404);
            assertThat(ids.directoryTeams().binding("acme", "devs")).as("the LDAP binding stays").isPresent();
            Cli.Result again = Cli.run("team", "unbind-group", "acme", "devs", "--oidc", "--data", data);
            assertThat(again.exit()).isNotZero();
            assertThat(again.err()).contains("not bound to an OIDC group");

            // Bound again through the API and unbound through it.
            AuthHttp.expect(http.send("PUT", team + "/oidc-group", boss,
                    "{\"provider\":\"keycloak\",\"group\":\"devs\"}".getBytes(StandardCharsets.UTF_8),
                    "Content-Type", "application/json"), 200);
            AuthHttp.expect(http.send("DELETE", team + "/oidc-group", boss, null), 204);
            AuthHttp.expect(http.send("DELETE", team + "/oidc-group", boss, null), 404);
        }
    }
}
