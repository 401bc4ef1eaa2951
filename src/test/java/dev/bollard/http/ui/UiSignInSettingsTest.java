package dev.bollard.http.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.DirectoryTeams;
import dev.bollard.auth.Identities;
import dev.bollard.auth.RobotCertificates;
import dev.bollard.auth.RobotTrust;
import dev.bollard.config.BollardConfig;
import dev.bollard.testing.TestCa;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The UI's pages for enterprise sign-in settings: a robot's trusted issuers (keyless robot) and client certificates
 * (mTLS), and a team's LDAP and OIDC group bindings. They change what the {@code /api/v1} routes change, through the
 * same services, and refuse who those routes refuse: 403 for a member who does not administer, 404 outside.
 */
class UiSignInSettingsTest {
    @TempDir
    static Path dir;
    static TestRegistry registry;
    static Identities identities;

    @BeforeAll
    static void start() throws Exception {
        BollardConfig config = BollardConfig.defaults(dir, "127.0.0.1", 0)
                .withUi(new BollardConfig.Ui(true, Duration.ofMinutes(5), Duration.ofHours(1)));
        registry = TestRegistry.start(config);
        identities = new Identities(registry.server().database());
        identities.users().create("alice", "alice-password", false);
        identities.users().create("bob", "bob-password", false);
        identities.users().create("carol", "carol-password", false);
        identities.organizations().create("acme", "alice");
        identities.organizations().setMember("acme", "carol", "member");
        identities.robots().create("acme", "ci");
        identities.robots().create("bob", "deploy");
        identities.teams().create("acme", "devs", "member", "developers");
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private UiClient signIn(String user) throws Exception {
        return new UiClient(registry.baseUri()).signIn(user, user + "-password");
    }

    @Test
    void aRobotsPageTrustsIssuersAndBindsCertificates() throws Exception {
        UiClient alice = signIn("alice");
        assertThat(alice.get("/org/acme/robots").body()).contains("href=\"/org/acme/robots/ci\"");
        HttpResponse<String> page = alice.get("/org/acme/robots/ci");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<h1>acme+ci</h1>", "No trusted issuers", "No certificates are bound",
                "aria-current=\"page\">Robots");

        // A trust rule: the audience left empty is the registry's service, the claims one name=value a line.
        HttpResponse<String> added = alice.post("/org/acme/robots/ci", "action", "add-trust",
                "issuer", "https://token.actions.githubusercontent.com", "subject", "repo:acme/app:*",
                "audience", "", "claims", "ref = refs/heads/main\r\nrepository_owner=acme\r\n");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        assertThat(identities.robotTrust().list("acme+ci")).singleElement().satisfies(r -> {
            assertThat(r.issuer()).isEqualTo("https://token.actions.githubusercontent.com");
            assertThat(r.subject()).isEqualTo("repo:acme/app:*");
            assertThat(r.audience()).isEqualTo(BollardConfig.defaults(dir, "127.0.0.1", 0).auth().service());
            assertThat(r.claims()).isEqualTo(Map.of("ref", "refs/heads/main", "repository_owner", "acme"));
        });
        RobotTrust.Rule rule = identities.robotTrust().list("acme+ci").getFirst();
        assertThat(added.body()).contains("Rule " + rule.id() + " was added", "repo:acme/app:*",
                "ref=refs/heads/main");

        // Bad input is answered in words, and changes nothing.
        HttpResponse<String> noScheme = alice.post("/org/acme/robots/ci", "action", "add-trust",
                "issuer", "token.actions.githubusercontent.com", "subject", "x");
        assertThat(noScheme.statusCode()).isEqualTo(400);
        assertThat(noScheme.body()).contains("class=\"error\"").doesNotContain("Exception");
        HttpResponse<String> claims = alice.post("/org/acme/robots/ci", "action", "add-trust",
                "issuer", "https://gitlab.example", "subject", "x", "claims", "no equals sign");
        assertThat(claims.statusCode()).isEqualTo(400);
        assertThat(claims.body()).contains("Each required claim is a line name=value");
        HttpResponse<String> junk = alice.post("/org/acme/robots/ci", "action", "add-certificate",
                "certificate", "not a certificate");
        assertThat(junk.statusCode()).isEqualTo(400);
        assertThat(identities.robotTrust().list("acme+ci")).hasSize(1);
        assertThat(identities.robotCertificates().list("acme+ci")).isEmpty();

        // A client certificate, bound by its PEM and shown by its SHA-256 fingerprint.
        TestCa ca = TestCa.create(dir.resolve("ca"));
        TestCa.Issued client = ca.issueClient("ci-client");
        HttpResponse<String> bound = alice.post("/org/acme/robots/ci", "action", "add-certificate",
                "certificate", Files.readString(client.certificate()));
        assertThat(bound.statusCode()).as(bound.body()).isEqualTo(200);
        RobotCertificates.Binding binding = identities.robotCertificates().list("acme+ci").getFirst();
        assertThat(binding.fingerprint()).isEqualTo(RobotCertificates.normalize(ca.fingerprint(client.certificate())));
        assertThat(bound.body()).contains(binding.fingerprint(), "CN=ci-client");

        // What the UI set is what the API reads (alice's session, as the API accepts it).
        HttpResponse<String> api = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        registry.uri("/api/v1/namespaces/acme/robots/ci/certificates"))
                .header("Cookie", UiHandler.SESSION_COOKIE + "=" + alice.cookies.get(UiHandler.SESSION_COOKIE)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(api.body()).contains(binding.fingerprint());

        // A member who does not administer acme: 403; someone outside: 404; a robot that is not there: 404.
        UiClient carol = signIn("carol");
        assertThat(carol.get("/org/acme/robots/ci").statusCode()).isEqualTo(403);
        assertThat(carol.post("/org/acme/robots/ci", "action", "remove-trust", "rule", Long.toString(rule.id()))
                .statusCode()).isEqualTo(403);
        UiClient bob = signIn("bob");
        assertThat(bob.get("/org/acme/robots/ci").statusCode()).isEqualTo(404);
        assertThat(bob.post("/org/acme/robots/ci", "action", "remove-certificate", "fingerprint",
                binding.fingerprint()).statusCode()).isEqualTo(404);
        assertThat(alice.get("/org/acme/robots/nothing").statusCode()).isEqualTo(404);
        assertThat(identities.robotTrust().list("acme+ci")).hasSize(1);
        assertThat(identities.robotCertificates().list("acme+ci")).hasSize(1);

        // Removing both, recorded in the audit log as alice's.
        assertThat(alice.post("/org/acme/robots/ci", "action", "remove-trust", "rule", Long.toString(rule.id()))
                .body()).contains("Rule " + rule.id() + " was removed.");
        assertThat(alice.post("/org/acme/robots/ci", "action", "remove-certificate", "fingerprint",
                binding.fingerprint()).body()).contains("is no longer bound to acme+ci");
        assertThat(identities.robotTrust().list("acme+ci")).isEmpty();
        assertThat(identities.robotCertificates().list("acme+ci")).isEmpty();
        HttpResponse<String> again = alice.post("/org/acme/robots/ci", "action", "remove-trust", "rule",
                Long.toString(rule.id()));
        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(again.body()).contains("has no trust rule");
        registry.server().audit().flush(5_000);
        assertThat(alice.get("/org/acme/audit?actor=alice").body()).contains("robot.trust.add",
                "robot.trust.remove", "robot.certificate.add", "robot.certificate.remove");
    }

    @Test
    void aUsersOwnRobotsHaveTheirPagesUnderTheSettings() throws Exception {
        UiClient bob = signIn("bob");
        assertThat(bob.get("/settings").body()).contains("href=\"/settings/robots/deploy\"");
        HttpResponse<String> page = bob.get("/settings/robots/deploy");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<h1>bob+deploy</h1>");
        assertThat(bob.post("/settings/robots/deploy", "action", "add-trust", "issuer", "https://gitlab.example.com",
                "subject", "project_path:bob/app:ref_type:branch:ref:main", "audience", "bollard").statusCode())
                .isEqualTo(200);
        assertThat(identities.robotTrust().list("bob+deploy")).singleElement()
                .satisfies(r -> assertThat(r.audience()).isEqualTo("bollard"));
        // Another user's robot is not theirs to see: the page looks for alice+deploy, which does not exist.
        assertThat(signIn("alice").get("/settings/robots/deploy").statusCode()).isEqualTo(404);
    }

    @Test
    void teamsFollowLdapAndOidcGroupsSetInTheTeamsTab() throws Exception {
        UiClient alice = signIn("alice");
        HttpResponse<String> ldap = alice.post("/org/acme", "action", "bind-ldap-group", "team", "devs",
                "group_dn", "cn=developers,ou=groups,dc=example,dc=org", "member_attribute", "uniqueMember");
        assertThat(ldap.statusCode()).as(ldap.body()).isEqualTo(200);
        assertThat(ldap.body()).contains("Team devs now follows the LDAP group",
                "Follows the LDAP group <code>cn=developers,ou=groups,dc=example,dc=org</code>");
        assertThat(identities.directoryTeams().binding("acme", "devs")).hasValue(new DirectoryTeams.Binding("acme",
                "devs", "cn=developers,ou=groups,dc=example,dc=org", "uniqueMember"));
        HttpResponse<String> oidc = alice.post("/org/acme", "action", "bind-oidc-group", "team", "devs",
                "provider", "keycloak", "group", "devs");
        assertThat(oidc.statusCode()).as(oidc.body()).isEqualTo(200);
        assertThat(identities.directoryTeams().claimBinding("acme", "devs")).hasValueSatisfying(b -> {
            assertThat(b.groupDn()).isEqualTo("devs");
            assertThat(b.memberAttribute()).isEqualTo("keycloak");
        });

        HttpResponse<String> badDn = alice.post("/org/acme", "action", "bind-ldap-group", "team", "devs",
                "group_dn", "developers");
        assertThat(badDn.statusCode()).isEqualTo(400);
        assertThat(badDn.body()).contains("is not a distinguished name").doesNotContain("Exception");
        assertThat(alice.post("/org/acme", "action", "bind-oidc-group", "team", "devs", "provider", "Not An Id",
                "group", "x").statusCode()).isEqualTo(400);
        assertThat(alice.post("/org/acme", "action", "bind-oidc-group", "team", "nobody", "provider", "keycloak",
                "group", "x").statusCode()).isEqualTo(400);

        // A member reads the bindings but changes nothing; someone outside sees nothing.
        UiClient carol = signIn("carol");
        assertThat(carol.get("/org/acme/teams").body()).contains("Follows the LDAP group",
                "of OIDC provider <code>keycloak</code>").doesNotContain("unbind-ldap-group", "bind-oidc-group");
        assertThat(carol.post("/org/acme", "action", "unbind-ldap-group", "team", "devs").statusCode()).isEqualTo(403);
        assertThat(signIn("bob").post("/org/acme", "action", "unbind-oidc-group", "team", "devs").statusCode())
                .isEqualTo(404);
        assertThat(identities.directoryTeams().binding("acme", "devs")).isPresent();
        assertThat(identities.directoryTeams().claimBinding("acme", "devs")).isPresent();

        assertThat(alice.post("/org/acme", "action", "unbind-ldap-group", "team", "devs").body())
                .contains("Team devs no longer follows an LDAP group");
        assertThat(alice.post("/org/acme", "action", "unbind-oidc-group", "team", "devs").body())
                .contains("Team devs no longer follows an OIDC group");
        assertThat(identities.directoryTeams().binding("acme", "devs")).isEmpty();
        assertThat(identities.directoryTeams().claimBinding("acme", "devs")).isEmpty();
        assertThat(alice.post("/org/acme", "action", "unbind-oidc-group", "team", "devs").body())
                .contains("is not bound to an OIDC group");
        registry.server().audit().flush(5_000);
        assertThat(alice.get("/org/acme/audit?action=team.group.bind").body()).contains("team.group.bind");
    }
}
