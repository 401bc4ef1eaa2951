package dev.bollard.auth.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import dev.bollard.auth.Identities;
import dev.bollard.clients.Exec;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.SlapdServer;
import dev.bollard.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sign-in through a real OpenLDAP directory (Debian's slapd, started here with users, groups and a nested group):
 * skopeo pushes and pulls with a directory password through the token flow, the user is onboarded on the first
 * login, bound teams follow group membership (nested groups included, changes applied at login and by the periodic
 * sync), the admin group makes superusers, a wrong password is the same 401 as for a local user, and a directory
 * that is down gives a clear 503 while the local superuser still signs in.
 */
class LdapLoginTest {
    private static final String PEOPLE = "ou=people," + SlapdServer.SUFFIX;
    private static final String DEVELOPERS = "cn=developers,ou=groups," + SlapdServer.SUFFIX;
    private static final String FRONTEND = "cn=frontend,ou=groups," + SlapdServer.SUFFIX;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private SlapdServer slapd;
    private TestRegistry registry;
    private Identities ids;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        slapd = SlapdServer.start(dir.resolve("slapd"));
        registry = TestRegistry.start(config("5m"));
        ids = new Identities(registry.server().database());
        ids.users().create("admin", "local-admin-password", true); // the break-glass superuser
    }

    @AfterEach
    void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
        if (slapd != null) {
            slapd.close();
        }
    }

    private BollardConfig config(String passwordCacheTtl) {
        return config(passwordCacheTtl, "15m");
    }

    private BollardConfig config(String passwordCacheTtl, String syncInterval) {
        return ConfigLoader.builder()
                .set("auth.ldap.sync-interval", syncInterval)
                .set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0")
                .set("auth.password-cache-ttl", passwordCacheTtl)
                .set("auth.ldap.enabled", "true")
                .set("auth.ldap.urls", slapd.url())
                .set("auth.ldap.bind-dn", SlapdServer.ROOT_DN)
                .set("auth.ldap.bind-password", SlapdServer.ROOT_PASSWORD)
                .set("auth.ldap.user-base", PEOPLE)
                .set("auth.ldap.admin-group", "cn=registry-admins,ou=groups," + SlapdServer.SUFFIX)
                .set("auth.ldap.connect-timeout", "2s")
                .set("auth.ldap.response-timeout", "3s")
                .load();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        return http.send(HttpRequest.newBuilder(registry.uri(path)).header("Authorization", authorization)
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> token(String user, String password, String scope) throws Exception {
        return get("/v2/auth?service=bollard&scope=" + scope, basic(user, password));
    }

    /** The actions the token endpoint grants {@code user} on {@code repository}. */
    private List<String> granted(String user, String password, String repository) throws Exception {
        HttpResponse<String> r = token(user, password, "repository:" + repository + ":pull,push");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String jwt = JSON.readTree(r.body()).get("token").asText();
        JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.", -1)[1]));
        JsonNode access = claims.get("access");
        return access.isEmpty() ? List.of() : JSON.convertValue(access.get(0).get("actions"),
                JSON.getTypeFactory().constructCollectionType(List.class, String.class));
    }

    /** The web UI's sign-in form, as a browser submits it. */
    private HttpResponse<String> signIn(String user, String password) throws Exception {
        HttpResponse<String> form = http.send(HttpRequest.newBuilder(registry.uri("/signin")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        String cookie = form.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("bollard_signin="))
                .findFirst().orElseThrow().split(";", -1)[0];
        String token = cookie.substring(cookie.indexOf('=') + 1);
        String body = "username=" + user + "&password=" + password + "&_csrf=" + token;
        return http.send(HttpRequest.newBuilder(registry.uri("/signin")).header("Cookie", cookie)
                .header("Origin", registry.baseUri().toString().replaceAll("/$", ""))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private LDAPConnection directory() throws Exception {
        return new LDAPConnection("127.0.0.1", slapd.port(), SlapdServer.ROOT_DN, SlapdServer.ROOT_PASSWORD);
    }

    private Exec.Result run(String stdin, List<String> command) {
        return new Exec(dir, Map.of("REGISTRY_AUTH_FILE", dir.resolve("no-default-auth.json").toString()))
                .run(Duration.ofMinutes(2), stdin, command);
    }

    private Exec.Result run(String... command) {
        return run(null, List.of(command));
    }

    private static void ok(Exec.Result r) {
        assertThat(r.ok()).as(r.describe()).isTrue();
    }

    @Test
    void skopeoPushesAndPullsWithADirectoryPasswordThroughTheTokenFlow() throws Exception {
        Requirements.onPath("skopeo", "umoci", "podman");
        Path layout = dir.resolve("layout");
        Path file = Files.writeString(dir.resolve("hello.txt"), "pushed by a directory user\n");
        ok(run("umoci", "init", "--layout", layout.toString()));
        ok(run("umoci", "new", "--image", layout + ":v1"));
        ok(run("umoci", "insert", "--rootless", "--image", layout + ":v1", file.toString(), "/hello.txt"));
        String host = registry.hostPort();
        String authfile = dir.resolve("auth.json").toString();

        Exec.Result wrong = run("not-her-password", List.of("skopeo", "login", "--tls-verify=false", "--authfile",
                authfile, "-u", "alice", "--password-stdin", host));
        assertThat(wrong.ok()).as(wrong.output()).isFalse();
        assertThat(ids.users().find("alice")).as("no account for a failed login").isEmpty();

        ok(run("alice-directory-pw", List.of("skopeo", "login", "--tls-verify=false", "--authfile", authfile,
                "-u", "alice", "--password-stdin", host)));
        assertThat(ids.users().find("alice")).as("onboarded on the first login").isPresent();
        // podman's login takes the directory password as well.
        ok(run("alice-directory-pw", List.of("podman", "login", "--tls-verify=false", "--authfile",
                dir.resolve("podman-auth.json").toString(), "-u", "alice", "--password-stdin", host)));
        ok(run("skopeo", "copy", "--dest-tls-verify=false", "--authfile", authfile, "oci:" + layout + ":v1",
                "docker://" + host + "/alice/app:v1"));
        ok(run("skopeo", "copy", "--src-tls-verify=false", "--authfile", authfile, "docker://" + host + "/alice/app:v1",
                "oci:" + dir.resolve("pulled") + ":v1"));
        Exec.Result bobReads = run("skopeo", "inspect", "--tls-verify=false", "--creds", "bob:bob-directory-pw",
                "docker://" + host + "/alice/app:v1");
        assertThat(bobReads.ok()).as("another directory user may not read alice's private repository: "
                + bobReads.output()).isFalse();

        // The directory user's source and the client address are in the audit log.
        registry.server().audit().flush(10_000);
        List<Map<String, Object>> logins = registry.server().database().read(h -> h.createQuery(
                "SELECT actor, ip, details FROM audit_log WHERE action = 'login.success' AND actor = 'alice'")
                .mapToMap().list());
        assertThat(logins).isNotEmpty();
        assertThat(logins.get(0).get("details").toString()).contains("\"source\":\"ldap\"");
        assertThat(logins.get(0).get("ip").toString()).isEqualTo("127.0.0.1");
        String source = registry.server().database().read(h -> h.createQuery(
                "SELECT source || ' ' || directory_dn || ' ' || email FROM account WHERE name = 'alice'")
                .mapTo(String.class).one());
        assertThat(source).isEqualTo("ldap uid=alice," + PEOPLE + " alice@example.org");
    }

    @Test
    void aWrongPasswordIsTheSame401AsForALocalUserAndUnknownUsers() throws Exception {
        ids.users().create("lou", "lou-local-password", false);
        HttpResponse<String> directoryUser = token("alice", "wrong-password", "");
        HttpResponse<String> localUser = token("lou", "wrong-password", "");
        HttpResponse<String> nobody = token("nobody", "wrong-password", "");
        assertThat(directoryUser.statusCode()).isEqualTo(401);
        assertThat(directoryUser.body()).isEqualTo(localUser.body()).isEqualTo(nobody.body())
                .contains("invalid username or password");
        assertThat(token("alice", "alice-directory-pw", "").statusCode()).isEqualTo(200);
        assertThat(token("lou", "lou-local-password", "").statusCode()).isEqualTo(200);
        // /api/v1 with Basic credentials takes the directory password too.
        assertThat(get("/api/v1/users/alice", basic("alice", "alice-directory-pw")).statusCode()).isEqualTo(200);
        assertThat(get("/api/v1/users/alice", basic("alice", "wrong-password")).statusCode()).isEqualTo(401);
        registry.server().audit().flush(10_000);
        String failure = registry.server().database().read(h -> h.createQuery(
                "SELECT details FROM audit_log WHERE action = 'login.failure' ORDER BY seq LIMIT 1")
                .mapTo(String.class).one());
        assertThat(failure).contains("\"source\":\"local,ldap\"").contains("\"username\":\"alice\"");
    }

    @Test
    void boundTeamsFollowTheGroupNestedGroupsIncludedAtLoginAndByThePeriodicSync() throws Exception {
        ids.organizations().create("acme", "admin");
        // An admin team: its members' access comes from the team alone (a creator team's member would be granted
        // admin of the repository their first push token creates, and keep it).
        ids.teams().create("acme", "devs", "admin", null);
        HttpResponse<String> bind = http.send(HttpRequest.newBuilder(
                        registry.uri("/api/v1/organizations/acme/teams/devs/directory-group"))
                .header("Authorization", basic("admin", "local-admin-password"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"group_dn\":\"" + DEVELOPERS
                        + "\",\"member_attribute\":\"member\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bind.statusCode()).as(bind.body()).isEqualTo(200);
        assertThat(JSON.readTree(bind.body()).get("group_dn").asText()).isEqualTo(DEVELOPERS);

        // alice is in developers, carol through the nested frontend group, bob in neither.
        assertThat(granted("alice", "alice-directory-pw", "acme/app")).contains("push", "pull");
        assertThat(granted("carol", "carol-directory-pw", "acme/app")).contains("push", "pull");
        assertThat(granted("bob", "bob-directory-pw", "acme/app")).isEmpty();
        assertThat(ids.teams().members("acme", "devs", null, 10)).containsExactly("alice", "carol");

        try (LDAPConnection ldap = directory()) {
            // carol leaves the nested group; bob joins developers.
            ldap.modify(FRONTEND, new Modification(ModificationType.DELETE, "member", "uid=carol," + PEOPLE));
            ldap.modify(DEVELOPERS, new Modification(ModificationType.ADD, "member", "uid=bob," + PEOPLE));
        }
        // bob's next login binds again (his password was not remembered: it failed no check, but gave no access);
        // the periodic sync takes carol out although her password is still remembered.
        try (LdapDirectory directory = new LdapDirectory(config("5m").auth().ldap(),
                () -> ids.directoryTeams().groups())) {
            DirectorySyncWorker sync = new DirectorySyncWorker(directory, ids.directoryTeams());
            assertThat(sync.syncNow()).isEqualTo(3);
        }
        assertThat(ids.teams().members("acme", "devs", null, 10)).containsExactly("alice", "bob");
        assertThat(granted("carol", "carol-directory-pw", "acme/app")).isEmpty();
        assertThat(granted("bob", "bob-directory-pw", "acme/app")).contains("push", "pull");
        assertThat(ids.organizations().members("acme", null, 10)).extracting(m -> m.name())
                .as("carol left the organization the sync had put her in").doesNotContain("carol");

        // Unbound: the team keeps its members, now managed by hand.
        HttpResponse<String> unbind = http.send(HttpRequest.newBuilder(
                        registry.uri("/api/v1/organizations/acme/teams/devs/directory-group"))
                .header("Authorization", basic("admin", "local-admin-password")).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unbind.statusCode()).as(unbind.body()).isEqualTo(204);
        assertThat(ids.directoryTeams().binding("acme", "devs")).isEmpty();
    }

    @Test
    void aChangedMembershipShowsAtTheNextLoginOnceTheRememberedPasswordExpired() throws Exception {
        registry.close();
        registry = TestRegistry.start(config("1s"));
        ids = new Identities(registry.server().database());
        ids.organizations().create("acme", "admin");
        ids.teams().create("acme", "ops", "admin", null);
        ids.directoryTeams().bind("acme", "ops", "cn=ops,ou=groups," + SlapdServer.SUFFIX, "memberUid");
        assertThat(granted("erin", "erin-directory-pw", "acme/tool")).contains("push");
        try (LDAPConnection ldap = directory()) {
            ldap.modify("cn=ops,ou=groups," + SlapdServer.SUFFIX,
                    new Modification(ModificationType.DELETE, "memberUid", "erin"));
        }
        Thread.sleep(1_500);
        assertThat(granted("erin", "erin-directory-pw", "acme/tool")).isEmpty();
    }

    @Test
    void theRunningRegistrysLeasedSyncAppliesAMembershipChangeWithoutALogin() throws Exception {
        registry.close();
        registry = TestRegistry.start(config("5m", "1s"));
        ids = new Identities(registry.server().database());
        ids.organizations().create("acme", "admin");
        ids.teams().create("acme", "devs", "admin", null);
        ids.directoryTeams().bind("acme", "devs", DEVELOPERS, "member");
        assertThat(granted("bob", "bob-directory-pw", "acme/app")).isEmpty();
        try (LDAPConnection ldap = directory()) {
            ldap.modify(DEVELOPERS, new Modification(ModificationType.ADD, "member", "uid=bob," + PEOPLE));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!ids.teams().members("acme", "devs", null, 10).contains("bob") && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(ids.teams().members("acme", "devs", null, 10)).containsExactly("bob");
    }

    @Test
    void theAdminGroupMakesSuperusers() throws Exception {
        assertThat(token("dave", "dave-directory-pw", "").statusCode()).isEqualTo(200);
        assertThat(ids.users().find("dave").orElseThrow().superuser()).isTrue();
        assertThat(token("alice", "alice-directory-pw", "").statusCode()).isEqualTo(200);
        assertThat(ids.users().find("alice").orElseThrow().superuser()).isFalse();
    }

    @Test
    void anUnreachableDirectoryIsAClearErrorAndTheLocalSuperuserStillSignsIn() throws Exception {
        slapd.stop();
        HttpResponse<String> refused = token("erin", "erin-directory-pw", "");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.body()).contains("directory is unavailable");
        HttpResponse<String> api = get("/api/v1/users/erin", basic("erin", "erin-directory-pw"));
        assertThat(api.statusCode()).as(api.body()).isEqualTo(503);
        assertThat(JSON.readTree(api.body()).get("code").asText()).isEqualTo("UNAVAILABLE");
        assertThat(signIn("erin", "erin-directory-pw").body()).contains("directory is unavailable");

        // Break-glass: the local superuser's password is checked here, the directory never asked.
        assertThat(token("admin", "local-admin-password", "").statusCode()).isEqualTo(200);
        assertThat(get("/api/v1/users", basic("admin", "local-admin-password")).statusCode()).isEqualTo(200);

        slapd.start();
        assertThat(token("erin", "erin-directory-pw", "").statusCode()).as("the pool reconnects").isEqualTo(200);
        HttpResponse<String> signedIn = signIn("bob", "bob-directory-pw");
        assertThat(signedIn.statusCode()).as("the web UI signs a directory user in: " + signedIn.body())
                .isBetween(300, 399);
        assertThat(signIn("bob", "not-bobs-password").body()).contains("The user name or password is not right.");
    }
}
