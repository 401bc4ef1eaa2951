package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditLog;
import dev.bollard.error.BollardException;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which account a sign-in through a directory or an OIDC provider gets: a local user of the same name is linked (the
 * migration path), but a name never hands over an account that another source signs in, nor, through OIDC (whose
 * user names people may choose), a local superuser.
 */
class AccountLinkingTest {
    @TempDir
    Path dir;

    private Database db;
    private AuditLog audit;
    private Identities identities;

    @BeforeEach
    void open() {
        db = Database.open(TestDatabase.h2(dir).config(4));
        audit = new AuditLog(db, 64);
        identities = new Identities(db, new Outbox(audit::catchUp)).as(Actor.system("test"));
    }

    @AfterEach
    void close() {
        audit.close();
        db.close();
    }

    private static IdentitySource.Identity from(String source, String name) {
        return new IdentitySource.Identity(source, name, name + "@example.com", Set.of(), null, "id-of-" + name);
    }

    @Test
    void aLocalUserIsLinkedOnceAndThenKeepsItsSource() {
        identities.users().create("alice", "alice-password", false);
        Principal.User linked = identities.directoryTeams().apply(from("oidc:keycloak", "alice"));
        assertThat(linked.name()).isEqualTo("alice");
        // The same provider again: the same account.
        assertThat(identities.directoryTeams().apply(from("oidc:keycloak", "alice")).id()).isEqualTo(linked.id());

        // Another provider, or the directory, with the same name does not get it.
        assertThatThrownBy(() -> identities.directoryTeams().apply(from("oidc:elsewhere", "alice")))
                .isInstanceOf(BollardException.class)
                .hasMessage("the user 'alice' signs in through oidc:keycloak, not oidc:elsewhere: an account has one "
                        + "sign-in source");
        assertThatThrownBy(() -> identities.directoryTeams().apply(from("ldap", "alice")))
                .isInstanceOf(BollardException.class).hasMessageContaining("signs in through oidc:keycloak, not ldap");
    }

    @Test
    void aProviderLinksLocalAccountsOnlyWhenItsLinkLocalUsersIsOn() {
        identities.users().create("carol", "carol-password", false);
        identities.users().create("dave", "dave-password", false);
        dev.bollard.config.BollardConfig config = dev.bollard.config.ConfigLoader.builder()
                .set("data-dir", dir.resolve("data").toString())
                .set("auth.oidc.providers[0].id", "strict")
                .set("auth.oidc.providers[0].issuer", "https://sso.example.org/realms/strict")
                .set("auth.oidc.providers[0].client-id", "bollard")
                .set("auth.oidc.providers[1].id", "trusted")
                .set("auth.oidc.providers[1].issuer", "https://sso.example.org/realms/trusted")
                .set("auth.oidc.providers[1].client-id", "bollard")
                .set("auth.oidc.providers[1].link-local-users", "true").load();
        assertThat(config.auth().oidc().providers()).extracting(p -> p.linkLocalUsers()).containsExactly(false, true);
        Auth auth = new Auth(db, config.auth());

        // Off (the default): carol's local account is not handed to whoever the provider calls carol.
        assertThat(auth.signInWith(from("oidc:strict", "carol"), "10.0.0.1", null))
                .isInstanceOfSatisfying(Auth.SignIn.Refused.class, r -> assertThat(r.message())
                        .contains("a local user 'carol' exists").contains("link-local-users is off"));
        assertThat(auth.logIn("carol", "carol-password", "10.0.0.1", null)).isInstanceOf(Auth.LoginResult.Ok.class);
        // ... while a new name is onboarded as before.
        assertThat(auth.signInWith(from("oidc:strict", "erin"), "10.0.0.1", null)).isInstanceOf(Auth.SignIn.Ok.class);

        // On: dave's account is linked, and its local password goes.
        assertThat(auth.signInWith(from("oidc:trusted", "dave"), "10.0.0.1", null))
                .isInstanceOfSatisfying(Auth.SignIn.Ok.class, ok -> assertThat(ok.user().name()).isEqualTo("dave"));
        assertThat(auth.logIn("dave", "dave-password", "10.0.0.1", null)).isInstanceOf(Auth.LoginResult.Failed.class);
    }

    @Test
    void anOidcNameNeverTakesOverALocalSuperuserWhileTheDirectoryStillLinksOne() {
        identities.users().create("admin", "admin-password", true);
        assertThatThrownBy(() -> identities.directoryTeams().apply(from("oidc:keycloak", "admin")))
                .isInstanceOf(BollardException.class)
                .hasMessage("'admin' is a local superuser: sign-in through oidc:keycloak does not take over a "
                        + "superuser's account");

        identities.users().create("root", "root-password", true);
        Principal.User root = identities.directoryTeams().apply(from("ldap", "root"));
        assertThat(root.superuser()).isTrue(); // linked, keeping the local password as break-glass (docs/auth.md)
    }
}
