package dev.bollard.http.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.auth.RepositoryAccess;
import dev.bollard.clients.Exec;
import dev.bollard.clients.OciLayout;
import dev.bollard.clients.ScannerAdapterTest;
import dev.bollard.clients.Skopeo;
import dev.bollard.config.BollardConfig;
import dev.bollard.scan.vuln.VulnerabilityStore;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.ScanFixtures;
import dev.bollard.testing.TestRegistry;
import dev.bollard.testing.WebhookReceiver;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web UI at the HTTP level, without a browser: sign-in and its cookies, CSRF protection of every kind of form,
 * session expiry and sign-out, and who may see which page (anonymous callers are sent to sign in; a user outside an
 * organization gets "not found" in words, a member without the role "not allowed"). The registry's own routes stay
 * as they were.
 */
class UiHttpTest {
    @TempDir
    static Path dir;
    static TestRegistry registry;
    static Identities identities;
    static BollardConfig config;

    /**
     * Long, so that no test of the class, on a loaded machine, sees a session end between two of its requests: the
     * idle test moves the session's clock back instead of waiting.
     */
    private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(1);
    private static final Duration MAX_AGE = Duration.ofHours(1);

    @BeforeAll
    static void start() throws Exception {
        config = BollardConfig.defaults(dir, "127.0.0.1", 0).withUi(new BollardConfig.Ui(true, IDLE_TIMEOUT, MAX_AGE));
        config = config.withEvents(config.events().withPrivateTargets(true)); // the webhook receiver is on loopback
        registry = TestRegistry.start(config);
        identities = new Identities(registry.server().database());
        identities.users().create("root", "root-password", true);
        identities.users().create("alice", "alice-password", false);
        identities.users().create("bob", "bob-password", false);
        identities.users().create("carol", "carol-password", false);
        identities.organizations().create("acme", "alice");
        identities.organizations().setMember("acme", "carol", "member");
        identities.repositories().setVisibility("acme/app", false); // an empty private repository
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private UiClient client() {
        return new UiClient(registry.baseUri());
    }

    @Test
    void anonymousCallersAreSentToSignInAndBack() throws Exception {
        UiClient anonymous = client();
        for (String page : List.of("/", "/repositories", "/repo/acme/app", "/repo/acme/app/-/settings", "/org/acme",
                "/settings", "/admin")) {
            HttpResponse<String> r = anonymous.get(page);
            assertThat(r.statusCode()).as(page).isEqualTo(303);
            String location = r.headers().firstValue("Location").orElseThrow();
            assertThat(location).as(page).startsWith("/signin");
            if (!page.equals("/")) {
                assertThat(location).contains("next=" + URLEncoder.encode(page, StandardCharsets.UTF_8).replace("+", "%20"));
            }
        }
        HttpResponse<String> post = anonymous.postRaw("/org/acme", Map.of("action", "create-robot", "robot", "x"),
                registry.baseUri().toString().replaceAll("/$", ""));
        assertThat(post.statusCode()).isEqualTo(303);
        assertThat(identities.robots().list("acme")).isEmpty();

        HttpResponse<String> signin = anonymous.get("/signin?next=/org/acme");
        assertThat(signin.statusCode()).isEqualTo(200);
        assertThat(signin.body()).contains("<label for=\"username\">", "<label for=\"password\">",
                "value=\"/org/acme\"");
        HttpResponse<String> ok = anonymous.post("/signin", "username", "alice", "password", "alice-password",
                "next", "/org/acme");
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.headers().firstValue("Location")).hasValue("/org/acme");
    }

    @Test
    void signInSetsAStrictSessionCookieAndRefusesInWords() throws Exception {
        UiClient c = client();
        c.get("/signin");
        HttpResponse<String> wrong = c.post("/signin", "username", "alice", "password", "not-her-password");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("The user name or password is not right.").doesNotContain("Exception");
        assertThat(c.cookies).doesNotContainKey(UiHandler.SESSION_COOKIE);

        HttpResponse<String> ok = c.post("/signin", "username", "alice", "password", "alice-password",
                "next", "https://evil.example/");
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.headers().firstValue("Location")).hasValue("/"); // no open redirect
        String session = c.lastSetCookies.stream().filter(s -> s.startsWith(UiHandler.SESSION_COOKIE + "="))
                .findFirst().orElseThrow();
        assertThat(session).contains("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600")
                .doesNotContain("Secure"); // plain HTTP on loopback: a Secure cookie would never come back

        HttpResponse<String> dashboard = c.get("/");
        assertThat(dashboard.statusCode()).isEqualTo(200);
        assertThat(dashboard.body()).contains("Signed in as <strong>alice</strong>", "acme");
        assertThat(dashboard.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                csp -> assertThat(csp).contains("default-src 'self'", "frame-ancestors 'none'"));
    }

    @Test
    void robotsAndApplicationTokensDoNotSignIn() throws Exception {
        String robotToken = identities.robots().create("acme", "signin");
        String appToken = identities.appTokens().create("bob", "signin-test");
        for (String[] credentials : List.of(new String[] {"acme+signin", robotToken}, new String[] {"bob", appToken})) {
            UiClient c = client();
            c.get("/signin");
            HttpResponse<String> r = c.post("/signin", "username", credentials[0], "password", credentials[1]);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.body()).contains("are for registry clients");
            assertThat(c.cookies).doesNotContainKey(UiHandler.SESSION_COOKIE);
        }
        identities.robots().delete("acme+signin");
    }

    @Test
    void everyFormNeedsTheSessionsCsrfTokenAndThisSitesOrigin() throws Exception {
        UiClient alice = client().signIn("alice", "alice-password");
        String origin = registry.baseUri().toString().replaceAll("/$", "");

        HttpResponse<String> missing = alice.postRaw("/org/acme", Map.of("action", "create-robot", "robot", "forged"),
                origin);
        assertThat(missing.statusCode()).isEqualTo(403);
        assertThat(missing.body()).contains("This form has expired or did not come from this page.");

        HttpResponse<String> wrong = alice.postRaw("/org/acme", Map.of("_csrf", "guessed-token-value-000000000000",
                "action", "create-robot", "robot", "forged"), origin);
        assertThat(wrong.statusCode()).isEqualTo(403);

        HttpResponse<String> foreign = alice.postRaw("/org/acme", Map.of("_csrf", alice.csrf, "action", "create-robot",
                "robot", "forged"), "https://evil.example");
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.body()).contains("sent from another site");
        assertThat(identities.robots().list("acme")).doesNotContain("acme+forged");

        // Another user's token does not do either.
        UiClient carol = client().signIn("carol", "carol-password");
        HttpResponse<String> crossed = alice.postRaw("/settings", Map.of("_csrf", carol.csrf, "action", "create-token",
                "name", "forged"), origin);
        assertThat(crossed.statusCode()).isEqualTo(403);
        assertThat(identities.appTokens().list("alice")).doesNotContain("forged");

        // The sign-in form is protected too (login CSRF): its token must match this browser's cookie.
        UiClient fresh = client();
        fresh.get("/signin");
        HttpResponse<String> loginForged = fresh.postRaw("/signin", Map.of("_csrf", "not-the-cookie-value-00000000",
                "username", "alice", "password", "alice-password"), origin);
        assertThat(loginForged.statusCode()).isEqualTo(403);
        assertThat(fresh.cookies).doesNotContainKey(UiHandler.SESSION_COOKIE);

        HttpResponse<String> good = alice.post("/org/acme", "action", "create-robot", "robot", "real");
        assertThat(good.statusCode()).isEqualTo(200);
        assertThat(good.body()).contains("acme+real", "shown only once", "bollard_robot_");
        identities.robots().delete("acme+real");
    }

    @Test
    void sessionsEndWhenIdleAndAtSignOut() throws Exception {
        UiClient c = client().signIn("bob", "bob-password");
        assertThat(c.get("/settings").statusCode()).isEqualTo(200);
        // Each request restarts the idle clock: idle for two thirds of ui.session-idle-timeout, a request, and two
        // thirds again, the session goes on, although it is idle longer in all than the timeout since its sign-in.
        Duration twoThirds = IDLE_TIMEOUT.multipliedBy(2).dividedBy(3);
        moveSessionsBack("bob", "created_at", twoThirds);
        moveSessionsBack("bob", "last_seen_at", twoThirds);
        assertThat(c.get("/settings").statusCode()).as("a request after two thirds of the idle timeout").isEqualTo(200);
        moveSessionsBack("bob", "created_at", twoThirds);
        moveSessionsBack("bob", "last_seen_at", twoThirds);
        assertThat(c.get("/settings").statusCode()).as("a request two thirds of the idle timeout after the last one")
                .isEqualTo(200);
        // Idle for a second longer than ui.session-idle-timeout, as far as the server can tell.
        moveSessionsBack("bob", "last_seen_at", IDLE_TIMEOUT.plusSeconds(1));
        HttpResponse<String> expired = c.get("/settings");
        assertThat(expired.statusCode()).isEqualTo(303);
        assertThat(expired.headers().firstValue("Location").orElseThrow()).startsWith("/signin");
        assertThat(c.cookies).doesNotContainKey(UiHandler.SESSION_COOKIE);
        Integer left = registry.server().database().read(h -> h.createQuery(
                "SELECT COUNT(*) FROM ui_session s JOIN account a ON a.id = s.user_id WHERE a.name = 'bob'")
                .mapTo(Integer.class).one());
        assertThat(left).isZero();

        c.signIn("bob", "bob-password");
        String cookie = c.cookies.get(UiHandler.SESSION_COOKIE);
        HttpResponse<String> out = c.post("/signout");
        assertThat(out.statusCode()).isEqualTo(303);
        // The old cookie, replayed, no longer signs anyone in.
        UiClient replay = client();
        replay.cookies.put(UiHandler.SESSION_COOKIE, cookie);
        assertThat(replay.get("/settings").statusCode()).isEqualTo(303);
    }

    /** ui.session-max-age is enforced by the server: an active session ends when it is reached. */
    @Test
    void sessionsEndAtTheirMaximumAgeHoweverActive() throws Exception {
        UiClient c = client().signIn("carol", "carol-password");
        assertThat(c.get("/settings").statusCode()).isEqualTo(200);
        List<Duration> lifetimes = registry.server().database().read(h -> h.createQuery("""
                        SELECT s.created_at, s.expires_at FROM ui_session s JOIN account a ON a.id = s.user_id
                        WHERE a.name = 'carol'""")
                .map((rs, ctx) -> Duration.between(rs.getObject(1, java.time.OffsetDateTime.class),
                        rs.getObject(2, java.time.OffsetDateTime.class))).list());
        assertThat(lifetimes).as("a session's end, fixed when it starts").isNotEmpty().containsOnly(MAX_AGE);

        // Signed in a second more than the maximum age ago, and active all the while (seen just now).
        moveSessionsBack("carol", "created_at", MAX_AGE.plusSeconds(1));
        moveSessionsBack("carol", "expires_at", MAX_AGE.plusSeconds(1));
        HttpResponse<String> ended = c.get("/settings");
        assertThat(ended.statusCode()).as("GET of an active session past ui.session-max-age").isEqualTo(303);
        assertThat(ended.headers().firstValue("Location").orElseThrow()).startsWith("/signin");
    }

    /** Moves {@code column} of every UI session of {@code user} back by {@code by}: time passing, for the server. */
    private static void moveSessionsBack(String user, String column, Duration by) {
        List<String> ids = registry.server().database().read(h -> h.createQuery("""
                        SELECT s.id_hash FROM ui_session s JOIN account a ON a.id = s.user_id WHERE a.name = :user""")
                .bind("user", user).mapTo(String.class).list());
        assertThat(ids).as("UI sessions of %s", user).isNotEmpty();
        for (String id : ids) {
            java.time.OffsetDateTime at = registry.server().database().read(h -> h.createQuery(
                    "SELECT " + column + " FROM ui_session WHERE id_hash = :id").bind("id", id)
                    .mapTo(java.time.OffsetDateTime.class).one());
            registry.server().database().inTransaction(h -> h.createUpdate(
                    "UPDATE ui_session SET " + column + " = :at WHERE id_hash = :id")
                    .bind("at", at.minus(by)).bind("id", id).execute());
        }
    }

    @Test
    void pagesOfOthersAreNotFoundOrNotAllowedInWords() throws Exception {
        UiClient bob = client().signIn("bob", "bob-password"); // in no organization
        for (String page : List.of("/org/acme", "/repo/acme/app", "/repo/acme/app/-/settings", "/repo/acme/app/-/tag/v1")) {
            HttpResponse<String> r = bob.get(page);
            assertThat(r.statusCode()).as(page).isEqualTo(404);
            assertThat(r.body()).as(page).containsAnyOf("or you may not see it", "or you are not a member")
                    .doesNotContain("Exception", "at dev.bollard");
        }
        HttpResponse<String> admin = bob.get("/admin");
        assertThat(admin.statusCode()).isEqualTo(403);
        assertThat(admin.body()).contains("Only superusers may administer users.");
        HttpResponse<String> list = bob.get("/repositories");
        assertThat(list.body()).doesNotContain("href=\"/repo/acme/app\"");

        UiClient carol = client().signIn("carol", "carol-password"); // member of acme: reads, manages nothing
        assertThat(carol.get("/repo/acme/app").statusCode()).isEqualTo(200);
        assertThat(carol.get("/repositories").body()).contains("href=\"/repo/acme/app\"");
        assertThat(carol.get("/org/acme").body()).contains("your role: member").doesNotContain("Create robot");
        HttpResponse<String> settings = carol.get("/repo/acme/app/-/settings");
        assertThat(settings.statusCode()).isEqualTo(403);
        assertThat(settings.body()).contains("Only administrators of acme/app may change its settings.");
        HttpResponse<String> robot = carol.post("/org/acme", "action", "create-robot", "robot", "sneaky");
        assertThat(robot.statusCode()).isEqualTo(403);
        assertThat(identities.robots().list("acme")).doesNotContain("acme+sneaky");

        UiClient alice = client().signIn("alice", "alice-password"); // owner
        assertThat(alice.get("/repo/acme/app/-/settings").statusCode()).isEqualTo(200);
        assertThat(alice.get("/admin").statusCode()).isEqualTo(403);
        UiClient root = client().signIn("root", "root-password");
        assertThat(root.get("/admin").body()).contains("alice", "bob", "carol");
        assertThat(root.get("/org/acme").statusCode()).isEqualTo(200);
    }

    @Test
    void organizationsAndRepositoriesAreSplitIntoTabsEachAtItsOwnAddress() throws Exception {
        UiClient alice = client().signIn("alice", "alice-password");
        String orgs = alice.get("/orgs").body();
        assertThat(orgs).contains("<a href=\"/orgs\" aria-current=\"page\">Organizations</a>",
                "href=\"/org/acme\" class=\"org-link\"", "<td>owner</td>", "id=\"create-org\"",
                "<svg class=\"chart inline-bar\""); // each organization's storage, drawn on the server
        assertThat(client().signIn("bob", "bob-password").get("/orgs").body()).contains("You are in no organization")
                .doesNotContain("href=\"/org/acme\"");

        Map<String, String> orgTabs = Map.of("/org/acme", "No repositories yet|class=\"repo-link\"",
                "/org/acme/teams", "id=\"members\"", "/org/acme/robots", "id=\"create-robot\"",
                "/org/acme/usage", "Storage by repository", "/org/acme/settings", "id=\"delete-organization\"",
                "/org/acme/audit", "id=\"filter\"");
        for (Map.Entry<String, String> tab : orgTabs.entrySet()) {
            HttpResponse<String> r = alice.get(tab.getKey());
            assertThat(r.statusCode()).as(tab.getKey()).isEqualTo(200);
            assertThat(r.body()).as(tab.getKey()).containsPattern(tab.getValue())
                    .contains("<a href=\"" + tab.getKey() + "\" aria-current=\"page\">")
                    .contains("<nav class=\"tabs\" aria-label=\"Sections of acme\">");
            // One tab at a time: the others' forms are not on the page.
            orgTabs.forEach((other, content) -> {
                if (!other.equals(tab.getKey()) && !other.equals("/org/acme")) {
                    assertThat(r.body()).as(tab.getKey() + " without " + other).doesNotContainPattern(content);
                }
            });
        }
        assertThat(alice.get("/org/acme/nothing").statusCode()).isEqualTo(404);
        UiClient carol = client().signIn("carol", "carol-password"); // a member: repositories and teams only
        assertThat(carol.get("/org/acme/teams").body()).contains("href=\"/org/acme/teams\"")
                .doesNotContain("href=\"/org/acme/robots\"", "href=\"/org/acme/settings\"");
        for (String managers : List.of("/org/acme/robots", "/org/acme/usage", "/org/acme/settings")) {
            assertThat(carol.get(managers).statusCode()).as(managers).isEqualTo(403);
        }

        Map<String, String> repoTabs = Map.of("/repo/acme/app", "id=\"tags-title\"",
                "/repo/acme/app/-/history", "No tag was pushed yet", "/repo/acme/app/-/permissions", "id=\"grant\"",
                "/repo/acme/app/-/settings", "id=\"delete-repository\"");
        for (Map.Entry<String, String> tab : repoTabs.entrySet()) {
            HttpResponse<String> r = alice.get(tab.getKey());
            assertThat(r.statusCode()).as(tab.getKey()).isEqualTo(200);
            assertThat(r.body()).as(tab.getKey()).contains(tab.getValue(),
                    "<a href=\"" + tab.getKey() + "\" aria-current=\"page\">");
            repoTabs.forEach((other, content) -> {
                if (!other.equals(tab.getKey())) {
                    assertThat(r.body()).as(tab.getKey() + " without " + other).doesNotContain(content);
                }
            });
        }
        assertThat(carol.get("/repo/acme/app").body()).contains("href=\"/repo/acme/app/-/history\"")
                .doesNotContain("href=\"/repo/acme/app/-/permissions\"");
        assertThat(carol.get("/repo/acme/app/-/permissions").statusCode()).isEqualTo(403);
    }

    @Test
    void thePermissionsTabSaysWhatAUserOrRobotMayDoEverythingCounted() throws Exception {
        identities.robots().create("acme", "effective");
        identities.repositories().grant("acme/app", "robot", "acme+effective", "write");
        UiClient alice = client().signIn("alice", "alice-password");
        String page = "/repo/acme/app/-/permissions?who=";
        assertThat(alice.get(page + "acme%2Beffective").body())
                .contains("<strong>write</strong> permission on acme/app: pull and push.");
        assertThat(alice.get(page + "carol").body()) // a member of acme: reads its repositories
                .contains("<strong>read</strong> permission on acme/app: pull.");
        assertThat(alice.get(page + "alice").body()).contains("<strong>admin</strong> permission on acme/app");
        assertThat(alice.get(page + "bob").body()).contains("<strong>no permission</strong> on acme/app: it cannot pull.");
        HttpResponse<String> nobody = alice.get(page + "nobody");
        assertThat(nobody.statusCode()).isEqualTo(404);
        assertThat(nobody.body()).contains("There is no user or robot nobody.");
        identities.robots().delete("acme+effective");
        assertThat(alice.get(page + "acme%2Beffective").body()).contains("There is no user or robot acme+effective.");
    }

    @Test
    void usersManageTheirOwnTokensAndRobots() throws Exception {
        UiClient bob = client().signIn("bob", "bob-password");
        HttpResponse<String> token = bob.post("/settings", "action", "create-token", "name", "laptop");
        assertThat(token.body()).contains("Application token laptop was created.", "bollard_app_", "shown only once");
        assertThat(identities.appTokens().list("bob")).contains("laptop");
        assertThat(bob.get("/settings").body()).doesNotContain("bollard_app_"); // shown once only
        bob.post("/settings", "action", "revoke-token", "name", "laptop");
        assertThat(identities.appTokens().list("bob")).doesNotContain("laptop");

        HttpResponse<String> robot = bob.post("/settings", "action", "create-robot", "robot", "deploy");
        assertThat(robot.body()).contains("Robot bob+deploy was created.", "bollard_robot_", "as bob+deploy");
        String regenerated = bob.post("/settings", "action", "regenerate-robot", "robot", "deploy").body();
        assertThat(regenerated).contains("has a new token; the old one no longer works.");
        bob.post("/settings", "action", "delete-robot", "robot", "deploy");
        assertThat(identities.robots().list("bob")).isEmpty();

        HttpResponse<String> wrongPassword = bob.post("/settings", "action", "password", "current", "nope-nope",
                "password", "new-password-1");
        assertThat(wrongPassword.statusCode()).isEqualTo(400);
        assertThat(wrongPassword.body()).contains("The current password is not right.");
    }

    @Test
    void organizationAdminsManageTeamsDefaultPermissionsAndRepositoriesAndReadTheirAuditLog() throws Exception {
        identities.robots().create("acme", "deploy");
        UiClient alice = client().signIn("alice", "alice-password");
        assertThat(alice.post("/org/acme", "action", "create-team", "team", "ops", "role", "member",
                "description", "Runs things").body()).contains("Team ops was created.");
        assertThat(alice.post("/org/acme", "action", "add-team-member", "team", "ops", "user", "carol").body())
                .contains("carol is now in team ops.");
        String defaults = alice.post("/org/acme", "action", "set-default", "kind", "robot", "grantee", "acme+deploy",
                "role", "read").body();
        assertThat(defaults).contains("New repositories of acme will grant read to the robot acme+deploy.");
        String page = alice.get("/org/acme/teams").body();
        assertThat(page).contains("id=\"team-ops\"", "Runs things", "<li>carol", "acme+deploy", "Audit log");

        HttpResponse<String> created = alice.post("/repositories", "name", "acme/fresh", "visibility", "private");
        assertThat(created.statusCode()).isEqualTo(303);
        assertThat(created.headers().firstValue("Location")).hasValue("/repo/acme/fresh");
        assertThat(identities.repositories().grants("acme/fresh")).contains(new RepositoryAccess.GrantInfo("robot", "acme+deploy", "read"));
        HttpResponse<String> notHers = alice.post("/repositories", "name", "bob/app", "visibility", "private");
        assertThat(notHers.statusCode()).isEqualTo(400);
        assertThat(notHers.body()).contains("You may not create bob/app");

        registry.server().audit().flush(5_000);
        String audit = alice.get("/org/acme/audit?actor=alice").body();
        assertThat(audit).contains("team.create", "team.member.add", "default-permission.set", "repository.create")
                .doesNotContain("login.success"); // not an event of the organization's namespace
        assertThat(alice.get("/org/acme/audit?action=team.create").body()).contains("team.create")
                .doesNotContain("default-permission.set");
        assertThat(alice.get("/org/acme/audit?since=yesterday").body()).contains("Dates are written as 2026-01-31.");
        assertThat(alice.get("/audit").statusCode()).isEqualTo(403);

        UiClient carol = client().signIn("carol", "carol-password");
        assertThat(carol.get("/org/acme/teams").body()).contains("id=\"team-ops\"").doesNotContain("Create team");
        assertThat(carol.get("/org/acme/audit").statusCode()).isEqualTo(403);

        UiClient root = client().signIn("root", "root-password");
        registry.server().audit().flush(5_000);
        String all = root.get("/audit?action=login.success&actor=carol").body();
        assertThat(all).contains("login.success", "web-ui", "carol").doesNotContain("team.create");
        identities.robots().delete("acme+deploy");
    }

    @Test
    void uiSessionsAuthenticateTheManagementApiAndChangesNeedTheCsrfHeader() throws Exception {
        UiClient alice = client().signIn("alice", "alice-password");
        String cookie = UiHandler.SESSION_COOKIE + "=" + alice.cookies.get(UiHandler.SESSION_COOKIE);
        HttpClient api = HttpClient.newHttpClient();
        HttpResponse<String> me = api.send(HttpRequest.newBuilder(registry.uri("/api/v1/me"))
                .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(me.statusCode()).isEqualTo(200);
        assertThat(me.body()).contains("alice");
        HttpRequest.Builder put = HttpRequest.newBuilder(
                        registry.uri("/api/v1/organizations/acme/members/bob")).header("Cookie", cookie)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"role\":\"member\"}"));
        HttpResponse<String> forged = api.send(put.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(forged.statusCode()).isEqualTo(401); // a cookie alone does not change anything
        assertThat(identities.organizations().members("acme", null, 100)).noneMatch(m -> m.name().equals("bob"));
        HttpResponse<String> withToken = api.send(put.header(UiHandler.CSRF_HEADER, alice.csrf).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(withToken.statusCode()).as(withToken.body()).isBetween(200, 204);
        identities.organizations().removeMember("acme", "bob");
    }

    @Test
    void repositoriesOrganizationsAndUsersAreDeletedOnlyWhenConfirmedAndAllowed() throws Exception {
        identities.users().create("dave", "dave-password", false);
        identities.organizations().create("shortlived", "dave");
        identities.repositories().setVisibility("shortlived/tmp", false);
        UiClient dave = client().signIn("dave", "dave-password");
        HttpResponse<String> unconfirmed = dave.post("/repo/shortlived/tmp/-/settings", "action", "delete", "confirm", "x");
        assertThat(unconfirmed.body()).contains("Type the repository's name, shortlived/tmp, to confirm");
        assertThat(identities.repositories().find("shortlived/tmp")).isPresent();
        HttpResponse<String> notEmpty = dave.post("/org/shortlived", "action", "delete-organization", "confirm",
                "shortlived");
        assertThat(notEmpty.statusCode()).isEqualTo(400);
        HttpResponse<String> deleted = dave.post("/repo/shortlived/tmp/-/settings", "action", "delete", "confirm",
                "shortlived/tmp");
        assertThat(deleted.statusCode()).isEqualTo(303);
        assertThat(identities.repositories().find("shortlived/tmp")).isEmpty();
        assertThat(dave.post("/org/shortlived", "action", "delete-organization", "confirm", "shortlived").statusCode())
                .isEqualTo(303);
        assertThat(identities.organizations().exists("shortlived")).isFalse();

        UiClient carol = client().signIn("carol", "carol-password");
        assertThat(carol.post("/admin", "action", "delete-user", "user", "dave").statusCode()).isEqualTo(403);
        UiClient root = client().signIn("root", "root-password");
        assertThat(root.post("/admin", "action", "delete-user", "user", "dave").body())
                .contains("User dave was deleted.");
        assertThat(identities.users().find("dave")).isEmpty();
        assertThat(root.post("/admin", "action", "delete-user", "user", "root").body())
                .contains("You cannot delete yourself");
    }

    @Test
    void lifeCycleSettingsImmutableTagsRetentionQuotaAndTimeMachineWindow() throws Exception {
        UiClient alice = client().signIn("alice", "alice-password");
        String settings = "/repo/acme/app/-/settings";
        assertThat(alice.post(settings, "action", "add-immutable", "pattern", "v*").body())
                .contains("Tags matching v* can no longer be moved or deleted.", "<code>v*</code>");
        assertThat(alice.post(settings, "action", "add-immutable", "pattern", "bad pattern!").statusCode())
                .isEqualTo(400);
        String retention = alice.post(settings, "action", "add-retention", "pattern", "*", "keep_last", "5",
                "keep_days", "").body();
        assertThat(retention).contains("are kept among the last 5", "id=\"retention\"");
        assertThat(alice.post(settings, "action", "add-retention", "pattern", "*", "keep_last", "-1").body())
                .contains("Keep the last must be a whole number of 0 or more, not '-1'.");
        String org = alice.post("/org/acme", "action", "add-retention", "pattern", "pr-*", "keep_days", "7").body();
        assertThat(org).contains("for 7 days", "pr-*", "Storage quota", "Superusers set quotas.");
        assertThat(alice.post("/org/acme", "action", "set-window", "window", "14d").body())
                .contains("keeps 14d of tag history now", "<strong id=\"window\">14d</strong>");
        assertThat(alice.post("/org/acme", "action", "set-quota", "quota", "1GiB").statusCode()).isEqualTo(400);

        UiClient root = client().signIn("root", "root-password");
        String quota = root.post("/org/acme", "action", "set-quota", "quota", "1GiB", "warn_percent", "80").body();
        assertThat(quota).contains("The quota of acme is 1.0 GiB now.", "of 1.0 GiB");
        UiClient carol = client().signIn("carol", "carol-password");
        assertThat(carol.get("/org/acme").body()).doesNotContain("Storage quota");
        assertThat(carol.post("/org/acme", "action", "set-window", "window", "1d").statusCode()).isEqualTo(403);
        alice.post(settings, "action", "remove-immutable", "pattern", "v*");
    }

    @Test
    void badInputIsAnsweredInWords() throws Exception {
        UiClient alice = client().signIn("alice", "alice-password");
        HttpResponse<String> robot = alice.post("/org/acme", "action", "create-robot", "robot", "Not Valid!");
        assertThat(robot.statusCode()).isEqualTo(400);
        assertThat(robot.body()).contains("A robot name is 1 to 64 of a-z");
        HttpResponse<String> org = alice.post("/orgs", "name", "alice");
        assertThat(org.statusCode()).isEqualTo(200);
        assertThat(org.body()).contains("The name 'alice' is taken by a user or an organization.");
        HttpResponse<String> lastOwner = alice.post("/org/acme", "action", "remove-member", "user", "alice");
        assertThat(lastOwner.body()).contains("alice is the last owner of acme; make another owner first.");
        assertThat(alice.get("/repo/acme/app/-/nothing").statusCode()).isEqualTo(404);
        assertThat(alice.get("/repo/acme/app/-/manifest/sha256:nothex").body()).contains("is not a digest");
        assertThat(alice.get("/repo/..%2Fetc").statusCode()).isEqualTo(404);
        HttpResponse<String> xss = alice.get("/repositories?q=%3Cscript%3Ealert(1)%3C/script%3E");
        assertThat(xss.body()).doesNotContain("<script>alert(1)</script>").contains("&lt;script&gt;");
    }

    @Test
    void aMultiArchImageShowsItsPlatformsPusherLayersHistoryAndReferrers() throws Exception {
        String repo = "alice/multi";
        String layer = push(repo, "layer bytes of the UI test".getBytes(StandardCharsets.UTF_8));
        String[] images = new String[2];
        String[][] platforms = {{"amd64", ""}, {"arm64", "v8"}};
        for (int i = 0; i < 2; i++) {
            String config = "{\"architecture\":\"" + platforms[i][0] + "\",\"os\":\"linux\""
                    + (platforms[i][1].isEmpty() ? "" : ",\"variant\":\"" + platforms[i][1] + "\"")
                    + ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                    + "\"history\":[{\"created_by\":\"RUN make " + platforms[i][0] + "\"}]}";
            String configDigest = push(repo, config.getBytes(StandardCharsets.UTF_8));
            images[i] = manifest(repo, null, OCI_MANIFEST, "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST
                    + "\",\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", configDigest, config.length())
                    + ",\"layers\":[" + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer, 26) + "]}");
        }
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":["
                + entry(images[0], "amd64", "") + "," + entry(images[1], "arm64", "v8") + "]}";
        assertThat(sizes).containsKeys(images);
        String indexDigest = manifest(repo, "multi", OCI_INDEX, index);
        String empty = push(repo, "{}".getBytes(StandardCharsets.UTF_8));
        manifest(repo, null, OCI_MANIFEST, "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST
                + "\",\"artifactType\":\"application/vnd.example.sbom\",\"config\":"
                + descriptor("application/vnd.oci.empty.v1+json", empty, 2) + ",\"layers\":["
                + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer, 26) + "],\"subject\":"
                + descriptor(OCI_INDEX, indexDigest, index.length()) + "}");

        UiClient alice = client().signIn("alice", "alice-password");
        String page = alice.get("/repo/alice/multi").body();
        assertThat(page).contains("href=\"/repo/alice/multi/-/tag/multi\"", "linux/amd64, linux/arm64/v8",
                Format.shortDigest(indexDigest), "<td class=\"wide\">alice</td>",
                "podman pull " + registry.hostPort() + "/alice/multi:multi");
        String tag = alice.get("/repo/alice/multi/-/tag/multi").body();
        assertThat(tag).contains("Images in this index", "linux/arm64/v8", "application/vnd.example.sbom",
                "href=\"/repo/alice/multi/-/manifest/" + images[1] + "\"");
        String child = alice.get("/repo/alice/multi/-/manifest/" + images[1]).body();
        assertThat(child).contains("RUN make arm64", "linux/arm64/v8", "26 B", "@" + images[1]);
        assertThat(alice.get("/repositories?q=multi").body()).contains("href=\"/repo/alice/multi\"");
        assertThat(client().signIn("bob", "bob-password").get("/repo/alice/multi").statusCode()).isEqualTo(404);
    }

    @Test
    void aTagIsDeletedAloneAfterAConfirmationAndAnImageNamesTheTagsThatGoWithIt() throws Exception {
        String repo = "alice/tags";
        String layer = push(repo, "layer of the tag deletion test".getBytes(StandardCharsets.UTF_8));
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
        String configDigest = push(repo, config.getBytes(StandardCharsets.UTF_8));
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", configDigest, config.length())
                + ",\"layers\":[" + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer, 30) + "]}";
        String digest = manifest(repo, "one", OCI_MANIFEST, json);
        manifest(repo, "two", OCI_MANIFEST, json);
        manifest(repo, "v1", OCI_MANIFEST, json);
        identities.repositories().grant(repo, "user", "carol", "read");
        UiClient alice = client().signIn("alice", "alice-password");
        assertThat(alice.post("/repo/alice/tags/-/settings", "action", "add-immutable", "pattern", "v*").statusCode())
                .isEqualTo(200);

        // Each tag has its delete link, but an immutable one shows why it has none.
        String page = alice.get("/repo/alice/tags").body();
        assertThat(page).contains("href=\"/repo/alice/tags/-/tag/one/delete\"", "href=\"/repo/alice/tags/-/tag/two/delete\"")
                .doesNotContain("/-/tag/v1/delete").contains(">immutable</span>");
        // The confirmation says what stays: the image and its other tags; and that Restore brings the tag back.
        String confirm = alice.get("/repo/alice/tags/-/tag/one/delete").body();
        assertThat(confirm).contains("Its other tags stay: two, v1.", "Restore", "within 14d",
                "name=\"action\" value=\"delete-tag\"", "name=\"_csrf\"");
        // Without the session's CSRF token nothing is deleted.
        HttpResponse<String> forged = alice.postRaw("/repo/alice/tags", Map.of("action", "delete-tag", "tag", "one"),
                registry.baseUri().toString().replaceAll("/$", ""));
        assertThat(forged.statusCode()).isEqualTo(403);
        // A reader may not delete, nor see the confirmation.
        UiClient carol = client().signIn("carol", "carol-password");
        assertThat(carol.get("/repo/alice/tags").body()).doesNotContain("/-/tag/one/delete");
        assertThat(carol.get("/repo/alice/tags/-/tag/one/delete").statusCode()).isEqualTo(403);
        assertThat(carol.post("/repo/alice/tags", "action", "delete-tag", "tag", "one").statusCode()).isEqualTo(403);

        HttpResponse<String> deleted = alice.post("/repo/alice/tags", "action", "delete-tag", "tag", "one");
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(deleted.body()).contains("The tag one was deleted; the image " + Format.shortDigest(digest)
                + " stays. Restore it from the History tab within 14d.");
        assertThat(alice.get("/repo/alice/tags/-/tag/one").statusCode()).isEqualTo(404);
        assertThat(alice.get("/repo/alice/tags/-/tag/two").statusCode()).isEqualTo(200);
        // The history row of the deleted tag offers Restore, which brings it back.
        assertThat(alice.get("/repo/alice/tags/-/history").body()).contains("name=\"tag\" value=\"one\"");
        HttpResponse<String> restored = alice.post("/repo/alice/tags", "action", "restore", "tag", "one", "digest", digest);
        assertThat(restored.body()).contains("one points at " + Format.shortDigest(digest) + " again.");
        // An immutable tag is refused in words, also when the form is sent by hand.
        assertThat(alice.get("/repo/alice/tags/-/tag/v1/delete").body())
                .contains("The tag v1 is immutable (rule 'v*'): it cannot be deleted.")
                .doesNotContain("value=\"delete-tag\"");
        HttpResponse<String> immutable = alice.post("/repo/alice/tags", "action", "delete-tag", "tag", "v1");
        assertThat(immutable.statusCode()).isEqualTo(400);
        assertThat(immutable.body()).contains("cannot be deleted once pushed");

        // Deleting the image: the confirmation lists every tag that goes with it, and the image's own immutable tag
        // refuses it before the click.
        String image = alice.get("/repo/alice/tags/-/manifest/" + digest).body();
        assertThat(image).contains("href=\"/repo/alice/tags/-/manifest/" + digest + "/delete\"");
        assertThat(alice.get("/repo/alice/tags/-/manifest/" + digest + "/delete").body())
                .contains("These tags go with it: <strong>one, two, v1</strong>.", "cannot be deleted: its tag v1 is immutable");
        alice.post("/repo/alice/tags/-/settings", "action", "remove-immutable", "pattern", "v*");
        String imageConfirm = alice.get("/repo/alice/tags/-/manifest/" + digest + "/delete").body();
        assertThat(imageConfirm).contains("These tags go with it: <strong>one, two, v1</strong>.", "is final",
                "name=\"tags\" value=\"one,two,v1\"");
        // Tags that changed since the confirmation: nothing is deleted.
        HttpResponse<String> stale = alice.post("/repo/alice/tags", "action", "delete-manifest", "digest", digest,
                "tags", "one,two");
        assertThat(stale.statusCode()).isEqualTo(400);
        assertThat(stale.body()).contains("changed since you confirmed (now: one, two, v1); nothing was deleted");
        HttpResponse<String> gone = alice.post("/repo/alice/tags", "action", "delete-manifest", "digest", digest,
                "tags", "one,two,v1");
        assertThat(gone.statusCode()).isEqualTo(200);
        assertThat(gone.body()).contains("The image " + Format.shortDigest(digest) + " was deleted with its tags one, two, v1.");
        assertThat(alice.get("/repo/alice/tags/-/manifest/" + digest).statusCode()).isEqualTo(404);
    }

    /**
     * What the tags and history tabs show before the click: the platform from the image's configuration, one time
     * format with the exact time on hover, an immutable tag marked and offered neither Delete nor Restore, who
     * restored a tag (also an administration command: cli:USER), and pull commands for podman, docker and skopeo by
     * tag and by digest, with copy buttons.
     */
    @Test
    void tagsAndHistoryShowPlatformsTimesImmutabilityRestorersAndPullCommands() throws Exception {
        String repo = "alice/frozen";
        String layer = push(repo, "layer of the frozen test".getBytes(StandardCharsets.UTF_8));
        String[] digests = new String[2];
        String[][] platforms = {{"amd64", ""}, {"arm64", "v8"}};
        for (int i = 0; i < 2; i++) {
            String config = "{\"architecture\":\"" + platforms[i][0] + "\",\"os\":\"linux\""
                    + (platforms[i][1].isEmpty() ? "" : ",\"variant\":\"" + platforms[i][1] + "\"") + "}";
            String configDigest = push(repo, config.getBytes(StandardCharsets.UTF_8));
            String json = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
                    + descriptor("application/vnd.oci.image.config.v1+json", configDigest, config.length())
                    + ",\"layers\":[" + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer, 24) + "]}";
            digests[i] = manifest(repo, "v1", OCI_MANIFEST, json); // v1 moves from the first to the second
            manifest(repo, "dev", OCI_MANIFEST, json);
        }
        UiClient alice = client().signIn("alice", "alice-password");
        alice.post("/repo/alice/frozen/-/settings", "action", "add-immutable", "pattern", "v*");

        String tags = alice.get("/repo/alice/frozen").body();
        assertThat(tags).contains("<td class=\"wide\">linux/arm64/v8</td>") // from the image's configuration
                .doesNotContain("OCI image")
                .containsPattern(">v1</a>\\s*<span class=\"badge immutable\"").doesNotContain("/-/tag/v1/delete")
                .contains("/-/tag/dev/delete")
                .containsPattern("<time datetime=\"[0-9T:.-]+Z\" title=\"\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\">"
                        + "(just now|\\d+ minutes? ago)</time>")
                .doesNotContainPattern(">\\d{4}-\\d\\d-\\d\\dT"); // never an ISO time as text
        String host = registry.hostPort();
        // v1 is not "latest": the pull command names the first tag, dev, and its digest.
        assertThat(tags).contains("podman pull " + host + "/alice/frozen:dev",
                "docker pull " + host + "/alice/frozen:dev", "skopeo copy docker://" + host + "/alice/frozen:dev oci:frozen:dev",
                "podman pull " + host + "/alice/frozen@" + digests[1], "docker pull " + host + "/alice/frozen@" + digests[1],
                "data-copy=\"pull-docker-digest\"", "data-copy-text=\"" + digests[1] + "\"", "name=\"pull-client\"");

        // History: dev's earlier image may be restored; v1's is marked immutable instead of offering Restore.
        String history = alice.get("/repo/alice/frozen/-/history").body();
        assertThat(history).contains("name=\"tag\" value=\"dev\"").doesNotContain("name=\"tag\" value=\"v1\"")
                .contains("it cannot be moved back\">immutable</span>");
        // A restore by an administration command run against the database names the command's user.
        new dev.bollard.lifecycle.LifecycleFixture(config, registry.server().database()).registry.history().restore(
                dev.bollard.audit.Actor.system("cli:root"), new dev.bollard.oci.RepositoryName(repo),
                new dev.bollard.oci.Tag("dev"), dev.bollard.oci.Digest.parse(digests[0]));
        String restored = alice.get("/repo/alice/frozen/-/history").body();
        String firstRow = restored.substring(restored.indexOf("<tbody>"), restored.indexOf("</tr>", restored.indexOf("<tbody>")));
        assertThat(firstRow).contains("<td>dev</td>", "<strong>current</strong>", "<td class=\"wide\">cli:root</td>");
        // The tag page: the digest to copy, and the same pull choices.
        String tag = alice.get("/repo/alice/frozen/-/tag/v1").body();
        assertThat(tag).contains("data-copy=\"digest\"", "docker pull " + host + "/alice/frozen:v1",
                "skopeo copy docker://" + host + "/alice/frozen@" + digests[1] + " oci:frozen");
    }

    /**
     * The audit log is quiet unless asked otherwise: a client's login is a login.success and a token.issued; the
     * token.issued entries are left out (and counted), and repeated entries are one row with their count. The
     * filters narrow the list: by action, and by a date range.
     */
    @Test
    void theAuditLogGroupsRepeatsLeavesOutIssuedTokensAndNarrowsByFilters() throws Exception {
        identities.users().create("frank", "frank-password", false);
        String basic = "Basic " + Base64.getEncoder().encodeToString("frank:frank-password".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 3; i++) { // three client logins, as docker login and each pull do
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(registry.uri("/v2/auth?service=bollard"))
                    .header("Authorization", basic).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        registry.server().audit().flush(5_000);
        UiClient root = client().signIn("root", "root-password");
        String quiet = root.get("/audit?actor=frank").body();
        assertThat(quiet).containsPattern("login\\.success <span class=\"badge\" title=\"3 in a row[^\"]*\">×3</span>")
                .contains("token.issued entries (3 here").doesNotContain("<td class=\"mono\">token.issued")
                .contains("href=\"/audit?actor=frank&amp;all=1\"");
        String all = root.get("/audit?actor=frank&all=1").body();
        assertThat(all.split("<td class=\"mono\">login.success</td>", -1)).hasSize(4);
        assertThat(all.split("<td class=\"mono\">token.issued</td>", -1)).hasSize(4);
        assertThat(all).doesNotContain("×3");
        // Asked for by the action filter, token.issued is shown (grouped: the same three in a row).
        assertThat(root.get("/audit?actor=frank&action=token.issued").body()).contains("token.issued", ">×3</span>")
                .doesNotContain("login.success");
        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        String yesterday = java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString();
        assertThat(root.get("/audit?actor=frank&until=" + yesterday).body()).contains("No entries match.");
        assertThat(root.get("/audit?actor=frank&since=" + today + "&until=" + today).body()).contains(">×3</span>");
    }

    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private final HttpClient http = HttpClient.newHttpClient();

    private static String descriptor(String mediaType, String digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    /** The size of each manifest pushed, by digest, for the index's entries. */
    private static final Map<String, Integer> sizes = new ConcurrentHashMap<>();

    private static String entry(String digest, String architecture, String variant) {
        return "{\"mediaType\":\"" + OCI_MANIFEST + "\",\"digest\":\"" + digest + "\",\"size\":" + sizes.get(digest)
                + ",\"platform\":{\"architecture\":\"" + architecture + "\",\"os\":\"linux\""
                + (variant.isEmpty() ? "" : ",\"variant\":\"" + variant + "\"") + "}}";
    }

    private static String sha256(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static String aliceBasic() {
        return "Basic " + Base64.getEncoder().encodeToString("alice:alice-password".getBytes(StandardCharsets.UTF_8));
    }

    /** Pushes a blob as alice (monolithic POST); returns its digest. */
    private String push(String repo, byte[] bytes) throws Exception {
        String digest = sha256(bytes);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(registry.uri("/v2/" + repo
                        + "/blobs/uploads/?digest=" + digest)).header("Authorization", aliceBasic())
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return digest;
    }

    /** Pushes a manifest as alice, by tag or (tag null) by digest; returns its digest. */
    private String manifest(String repo, String tag, String mediaType, String json) throws Exception {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        String digest = sha256(bytes);
        sizes.put(digest, bytes.length);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(registry.uri("/v2/" + repo
                        + "/manifests/" + (tag == null ? digest : tag))).header("Authorization", aliceBasic())
                .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return digest;
    }

    @Test
    void theRegistrysOwnRoutesStayAsTheyWere() throws Exception {
        UiClient c = client();
        assertThat(c.get("/v2/").statusCode()).isEqualTo(401);
        assertThat(c.get("/healthz").statusCode()).isEqualTo(200);
        assertThat(c.get("/metrics").statusCode()).isEqualTo(401); // for superusers' credentials (MetricsAccessTest)
        assertThat(c.get("/no-such-thing").statusCode()).isEqualTo(404);
        HttpResponse<String> htmx = c.get("/static/htmx.min.js");
        assertThat(htmx.statusCode()).isEqualTo(200);
        assertThat(htmx.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/javascript");
        assertThat(htmx.body()).contains("htmx");
        assertThat(c.get("/static/bollard.css").statusCode()).isEqualTo(200);
        assertThat(c.get("/static/nothing.js").statusCode()).isEqualTo(404);
    }

    /**
     * A password change signs the old password's sessions out everywhere (web sessions, which also work on /api/v1,
     * and refresh tokens): a user's own change keeps the session it was made in; an administrator's reset keeps none.
     */
    @Test
    void aPasswordChangeEndsTheOtherSessions() throws Exception {
        identities.users().create("erin", "erin-password", false);
        UiClient here = client().signIn("erin", "erin-password");
        UiClient elsewhere = client().signIn("erin", "erin-password");
        assertThat(elsewhere.get("/settings").statusCode()).isEqualTo(200);

        HttpResponse<String> changed = here.post("/settings", "action", "password", "current", "erin-password",
                "password", "erin-password-2");
        assertThat(changed.body()).contains("Your password was changed; you were signed out everywhere else.");
        assertThat(here.get("/settings").statusCode()).isEqualTo(200);
        HttpResponse<String> signedOut = elsewhere.get("/settings");
        assertThat(signedOut.statusCode()).isEqualTo(303);
        assertThat(signedOut.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).startsWith("/signin"));

        UiClient root = client().signIn("root", "root-password");
        HttpResponse<String> reset = root.post("/admin", "action", "password", "user", "erin", "password",
                "erin-password-3");
        assertThat(reset.body()).contains("they were signed out everywhere");
        assertThat(here.get("/settings").statusCode()).isEqualTo(303);
        assertThat(client().signIn("erin", "erin-password-3").get("/settings").statusCode()).isEqualTo(200);
    }

    @Test
    void webhooksAreCreatedDeliveredLoggedAndRedeliveredFromTheOrganizationsTab() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.answer(n -> 200);
            UiClient alice = client().signIn("alice", "alice-password");
            HttpResponse<String> tab = alice.get("/org/acme/webhooks");
            assertThat(tab.statusCode()).isEqualTo(200);
            assertThat(tab.body()).contains("aria-current=\"page\">Webhooks</a>", "id=\"create-webhook\"");

            // Only acme/hooked: the other tests of this class create repositories in acme too, and their events may
            // be published after this webhook exists.
            HttpResponse<String> created = alice.post("/org/acme/webhooks", "action", "create", "method", "http",
                    "url", receiver.url(), "format", "bollard", "event_types", "repository.created",
                    "repository_glob", "acme/hooked");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            Matcher secret = Pattern.compile("<code id=\"secret\">([^<]+)</code>").matcher(created.body());
            assertThat(secret.find()).as("the secret is shown once").isTrue();
            receiver.secret(secret.group(1));
            Matcher idMatch = Pattern.compile("Webhook (\\d+) was created.").matcher(created.body());
            assertThat(idMatch.find()).isTrue();
            String log = "/org/acme/webhooks/" + idMatch.group(1);
            assertThat(created.body()).contains(receiver.url(), "repository.created", "enabled", "none yet");
            assertThat(alice.get("/org/acme/webhooks").body()).as("shown only once").doesNotContain(secret.group(1));

            // A real event: the repository created through the UI is delivered, signed, to the receiver.
            assertThat(alice.post("/repositories", "name", "acme/hooked", "visibility", "private").statusCode())
                    .isEqualTo(303);
            WebhookReceiver.Delivery first = receiver.await(1, Duration.ofSeconds(30)).getFirst();
            assertThat(first.signatureValid()).isTrue();
            assertThat(first.body()).contains("repository.created", "acme/hooked");
            String page = awaitPage(alice, log, 1);
            assertThat(page).contains("repository.created", "HTTP 200", "<time datetime=");
            assertThat(alice.get("/org/acme/webhooks").body()).contains("HTTP 200");

            Matcher delivery = Pattern.compile("name=\"delivery\" value=\"(\\d+)\"").matcher(page);
            assertThat(delivery.find()).isTrue();
            HttpResponse<String> redelivered = alice.post(log, "action", "redeliver", "delivery", delivery.group(1));
            assertThat(redelivered.statusCode()).as(redelivered.body()).isEqualTo(200);
            assertThat(redelivered.body()).contains("is sent again");
            assertThat(receiver.await(2, Duration.ofSeconds(30)).get(1).body()).isEqualTo(first.body());
            assertThat(awaitPage(alice, log, 2)).contains("HTTP 200");

            HttpResponse<String> ping = alice.post("/org/acme/webhooks", "action", "ping", "id", idMatch.group(1));
            assertThat(ping.body()).contains("The test event to webhook " + idMatch.group(1) + " was delivered (HTTP 200)");
            assertThat(receiver.await(3, Duration.ofSeconds(10)).get(2).body()).contains("webhook.ping");
            assertThat(alice.get(log).body()).contains("webhook.ping");

            HttpResponse<String> disabled = alice.post("/org/acme/webhooks", "action", "disable", "id", idMatch.group(1));
            assertThat(disabled.body()).contains("is disabled.", "badge exceeded\">disabled");

            // The authorization of /api/v1/namespaces/{namespace}/webhooks: administrators only.
            UiClient carol = client().signIn("carol", "carol-password");
            assertThat(carol.get("/org/acme").body()).doesNotContain("/org/acme/webhooks");
            assertThat(carol.get("/org/acme/webhooks").statusCode()).isEqualTo(403);
            assertThat(carol.get(log).statusCode()).isEqualTo(403);
            assertThat(carol.post("/org/acme/webhooks", "action", "delete", "id", idMatch.group(1)).statusCode())
                    .isEqualTo(403);
            assertThat(carol.get("/repo/acme/app/-/webhooks").statusCode()).isEqualTo(403);
            assertThat(client().signIn("bob", "bob-password").get("/org/acme/webhooks").statusCode()).isEqualTo(404);
            assertThat(alice.get("/admin/webhooks").statusCode()).isEqualTo(403);
            assertThat(alice.get("/org/acme/webhooks/999999").statusCode()).isEqualTo(404);

            HttpResponse<String> deleted = alice.post("/org/acme/webhooks", "action", "delete", "id", idMatch.group(1));
            assertThat(deleted.body()).contains("Webhook " + idMatch.group(1) + " was deleted.", "No webhooks yet.");
        }
    }

    /**
     * A webhook's custom headers and timeout from the creation form; its URL, filters, headers and timeout changed
     * on its edit page (stored header values shown only as "(hidden)", which keeps them); a real delivery with the
     * edited settings, shown in full on its own page with the custom headers' values hidden and the receiver's
     * answer. Members get 403, outsiders and other scopes 404, as the API's routes.
     */
    @Test
    void aWebhookIsEditedAndEachDeliveryIsShownInFull() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.answer(n -> 200);
            receiver.respond("{\"received\":\"thanks from the receiver\"}");
            UiClient alice = client().signIn("alice", "alice-password");
            HttpResponse<String> refused = alice.post("/org/acme/webhooks", "action", "create", "method", "http",
                    "url", receiver.url(), "headers", "X-Token first-secret-value", "timeout_seconds", "5");
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.body()).contains("Each custom header is one line 'Name: value'; line 1 is not.",
                    "value=\"" + receiver.url() + "\"").doesNotContain("Exception");
            HttpResponse<String> created = alice.post("/org/acme/webhooks", "action", "create", "method", "http",
                    "url", receiver.url(), "format", "cloudevents", "event_types", "repository.created",
                    "repository_glob", "acme/not-yet", "headers", "X-Token: first-secret-value\nX-Team: ops",
                    "timeout_seconds", "5");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            Matcher secret = Pattern.compile("<code id=\"secret\">([^<]+)</code>").matcher(created.body());
            assertThat(secret.find()).isTrue();
            receiver.secret(secret.group(1));
            Matcher idMatch = Pattern.compile("Webhook (\\d+) was created.").matcher(created.body());
            assertThat(idMatch.find()).isTrue();
            String id = idMatch.group(1);
            String edit = "/org/acme/webhooks/" + id + "/edit";
            assertThat(created.body()).contains("href=\"" + edit + "\"").doesNotContain("first-secret-value");

            HttpResponse<String> form = alice.get(edit);
            assertThat(form.statusCode()).isEqualTo(200);
            assertThat(form.body()).contains("value=\"" + receiver.url() + "\"", "X-Team: (hidden)",
                    "X-Token: (hidden)", "name=\"timeout_seconds\" value=\"5\"", "value=\"acme/not-yet\"",
                    "<option value=\"cloudevents\" selected>", "value=\"repository.created\" checked>")
                    .doesNotContain("first-secret-value", ">ops<");

            // Refusals in words, the form as it was typed.
            HttpResponse<String> unknownHeader = alice.post(edit, "action", "save", "url", receiver.url(),
                    "headers", "X-Other: (hidden)", "timeout_seconds", "5");
            assertThat(unknownHeader.statusCode()).isEqualTo(400);
            assertThat(unknownHeader.body()).contains("The header X-Other has no stored value to keep",
                    "X-Other: (hidden)");
            HttpResponse<String> slow = alice.post(edit, "action", "save", "url", receiver.url(), "timeout_seconds",
                    "31");
            assertThat(slow.statusCode()).isEqualTo(400);
            assertThat(slow.body()).contains("timeout is more than 0 and at most 30 seconds", "value=\"31\"");
            assertThat(alice.post(edit, "action", "save", "url", receiver.url(), "timeout_seconds", "soon")
                    .body()).contains("The timeout is a number of seconds");
            assertThat(alice.post(edit, "action", "save", "url", "http://127.0.0.1:9/x", "headers", "Host: evil")
                    .body()).contains("The header Host is set by the delivery itself");

            // The edit: a new URL (another path), format, glob, timeout; X-Token kept, X-Team removed, X-Extra added.
            String url = receiver.url().replace("/hook", "/edited-hook");
            HttpResponse<String> saved = alice.post(edit, "action", "save", "url", url, "format", "bollard",
                    "event_types", "repository.created", "repository_glob", "acme/edited", "tag_glob", "",
                    "headers", "X-Token: (hidden)\r\nX-Extra: added", "timeout_seconds", "2.5");
            assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
            assertThat(saved.body()).contains("Webhook " + id + " was saved.", "value=\"" + url + "\"",
                    "X-Extra: (hidden)", "X-Token: (hidden)", "value=\"2.5\"", "value=\"acme/edited\"")
                    .doesNotContain("X-Team", "first-secret-value", "added");
            assertThat(alice.get("/org/acme/webhooks").body()).contains(url, "Webhook · bollard",
                    "repository acme/edited");

            // A real event, delivered with the edited settings.
            assertThat(alice.post("/repositories", "name", "acme/edited", "visibility", "private").statusCode())
                    .isEqualTo(303);
            WebhookReceiver.Delivery d = receiver.await(1, Duration.ofSeconds(30)).getFirst();
            assertThat(d.signatureValid()).isTrue();
            assertThat(d.header("X-Token")).isEqualTo("first-secret-value");
            assertThat(d.header("X-Extra")).isEqualTo("added");
            assertThat(d.header("X-Team")).isNull();
            assertThat(d.body()).contains("\"type\":\"repository.created\"", "acme/edited");

            // The delivery in full: request headers (custom values hidden, signature shown as the API shows it),
            // body, status, latency and the response's body.
            String log = "/org/acme/webhooks/" + id;
            Matcher link = Pattern.compile("href=\"(" + Pattern.quote(log) + "/deliveries/(\\d+))\"")
                    .matcher(awaitPage(alice, log, 1));
            assertThat(link.find()).isTrue();
            HttpResponse<String> full = alice.get(link.group(1));
            assertThat(full.statusCode()).isEqualTo(200);
            assertThat(full.body()).contains("Delivery " + link.group(2) + " of webhook " + id, "repository.created",
                    "HTTP 200", " ms</dd>", "Bollard-Signature", d.header("Bollard-Signature"), "X-Token",
                    "(hidden)", "X-Extra", "acme/edited", "thanks from the receiver", "id=\"redeliver\"")
                    .doesNotContain("first-secret-value", ">added<", secret.group(1));
            HttpResponse<String> redelivered = alice.post(log, "action", "redeliver", "delivery", link.group(2));
            assertThat(redelivered.body()).contains("is sent again");
            assertThat(receiver.await(2, Duration.ofSeconds(30)).get(1).body()).isEqualTo(d.body());

            // A failed attempt in full: no response, the error instead.
            receiver.answer(n -> 503);
            receiver.respond("");
            HttpResponse<String> ping = alice.post("/org/acme/webhooks", "action", "ping", "id", id);
            assertThat(ping.body()).contains("failed (HTTP 503");
            Matcher pingLink = Pattern.compile("href=\"(" + Pattern.quote(log) + "/deliveries/(\\d+))\"")
                    .matcher(alice.get(log).body());
            assertThat(pingLink.find()).isTrue();
            assertThat(alice.get(pingLink.group(1)).body()).contains("webhook.ping", "(a test ping)", "HTTP 503",
                    "the receiver answered 503", "with an empty body").doesNotContain("id=\"redeliver\"");

            // The permissions of the API's routes: members 403, outsiders and other scopes 404.
            UiClient carol = client().signIn("carol", "carol-password");
            assertThat(carol.get(edit).statusCode()).isEqualTo(403);
            assertThat(carol.post(edit, "action", "save", "url", "http://127.0.0.1:9/carol").statusCode())
                    .isEqualTo(403);
            assertThat(carol.get(link.group(1)).statusCode()).isEqualTo(403);
            UiClient bob = client().signIn("bob", "bob-password");
            assertThat(bob.get(edit).statusCode()).isEqualTo(404);
            assertThat(bob.get(link.group(1)).statusCode()).isEqualTo(404);
            assertThat(alice.get("/repo/acme/app/-/webhooks/" + id + "/edit").statusCode()).isEqualTo(404);
            assertThat(alice.get("/repo/acme/app/-/webhooks/" + id + "/deliveries/" + link.group(2)).statusCode())
                    .isEqualTo(404);
            assertThat(alice.get(log + "/deliveries/999999").statusCode()).isEqualTo(404);
            assertThat(alice.get(log + "/deliveries/x").statusCode()).isEqualTo(404);
            assertThat(alice.get(log + "/other").statusCode()).isEqualTo(404);
            assertThat(alice.get("/org/acme/webhooks/999999/edit").statusCode()).isEqualTo(404);
            assertThat(alice.get("/org/acme/webhooks").body()).contains(url);
            assertThat(alice.post("/org/acme/webhooks", "action", "delete", "id", id).body()).contains("was deleted");
        }
    }

    @Test
    void repositoryAndRegistryWebhooksHaveTheirOwnPages() throws Exception {
        UiClient alice = client().signIn("alice", "alice-password");
        assertThat(alice.get("/repo/acme/app/-/settings").body()).contains("/repo/acme/app/-/webhooks");
        HttpResponse<String> created = alice.post("/repo/acme/app/-/webhooks", "action", "create", "method", "slack",
                "url", "http://127.0.0.1:9/slack", "tag_glob", "v*");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        assertThat(created.body()).contains("Slack", "all events", "tag v*", "http://127.0.0.1:9/slack")
                .doesNotContain("name=\"repository_glob\"");
        HttpResponse<String> refused = alice.post("/repo/acme/app/-/webhooks", "action", "create", "method", "http",
                "url", "ftp://example.com/");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("class=\"error\"").doesNotContain("Exception");

        UiClient root = client().signIn("root", "root-password");
        assertThat(root.get("/admin").body()).contains("href=\"/admin/webhooks\"");
        HttpResponse<String> email = root.post("/admin/webhooks", "action", "create", "method", "email",
                "url", "mailto:ops@example.com");
        assertThat(email.statusCode()).isEqualTo(400);
        assertThat(email.body()).contains("E-mail notifications are off: the administrator sets notifications.smtp.host");
        HttpResponse<String> registryWide = root.post("/admin/webhooks", "action", "create", "method", "http",
                "url", "http://127.0.0.1:9/ops", "format", "cloudevents", "event_types", "mirror.sync.failed");
        assertThat(registryWide.statusCode()).as(registryWide.body()).isEqualTo(200);
        assertThat(registryWide.body()).contains("Webhook · cloudevents", "mirror.sync.failed", "http://127.0.0.1:9/ops");
        assertThat(root.get("/repo/acme/app/-/webhooks").body()).as("scopes stay apart")
                .contains("/slack").doesNotContain("/ops");
    }

    /**
     * A webhook's method changed on its edit page, the form as a browser posts it: http to slack and back to http, each
     * time read back through the API ({@code GET /api/v1/namespaces/acme/webhooks/{id}}) and seen in a real test
     * delivery — Slack's message ({@code text}, no signature) after the change to slack, Bollard's signed JSON after
     * the change back. The other fields stay as they were saved.
     */
    @Test
    void aWebhooksMethodChangesFromHttpToSlackAndBackOnItsEditPage() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            UiClient alice = client().signIn("alice", "alice-password");
            HttpResponse<String> created = alice.post("/org/acme/webhooks", "action", "create", "method", "http",
                    "url", receiver.url(), "event_types", "repository.created", "repository_glob", "acme/method-*");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            Matcher secret = Pattern.compile("<code id=\"secret\">([^<]+)</code>").matcher(created.body());
            assertThat(secret.find()).isTrue();
            receiver.secret(secret.group(1));
            Matcher idMatch = Pattern.compile("Webhook (\\d+) was created.").matcher(created.body());
            assertThat(idMatch.find()).isTrue();
            String id = idMatch.group(1);
            String edit = "/org/acme/webhooks/" + id + "/edit";
            String api = "/api/v1/namespaces/acme/webhooks/" + id;
            assertThat(json.readTree(alice.get(api).body()).get("method").asText()).isEqualTo("http");
            assertThat(alice.get(edit).body()).contains("id=\"edit-method\"", "<option value=\"http\" selected>");

            int delivered = 0;
            for (String method : List.of("slack", "http")) {
                HttpResponse<String> saved = alice.post(edit, "action", "save", "method", method, "url", receiver.url(),
                        "format", "bollard", "event_types", "repository.created", "repository_glob", "acme/method-*",
                        "timeout_seconds", "5");
                assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
                assertThat(saved.body()).contains("Webhook " + id + " was saved.",
                        "<option value=\"" + method + "\" selected>");
                com.fasterxml.jackson.databind.JsonNode read = json.readTree(alice.get(api).body());
                assertThat(read.get("method").asText()).as("the API's read-back after the change to %s", method)
                        .isEqualTo(method);
                assertThat(read.get("url").asText()).isEqualTo(receiver.url());
                assertThat(read.get("repository_glob").asText()).isEqualTo("acme/method-*");

                HttpResponse<String> ping = alice.post("/org/acme/webhooks", "action", "ping", "id", id);
                assertThat(ping.body()).contains("was delivered");
                WebhookReceiver.Delivery d = receiver.await(++delivered, Duration.ofSeconds(30)).getLast();
                if (method.equals("slack")) {
                    assertThat(json.readTree(d.body()).has("text")).as("a Slack message: %s", d.body()).isTrue();
                    assertThat(d.header("Bollard-Signature")).as("Slack's messages are not signed").isNull();
                } else {
                    assertThat(d.signatureValid()).as("signed again: %s", d.body()).isTrue();
                    assertThat(json.readTree(d.body()).get("type").asText()).isEqualTo("webhook.ping");
                }
            }
            assertThat(alice.post("/org/acme/webhooks", "action", "delete", "id", id).body()).contains("was deleted");
        }
    }

    /**
     * Vulnerability scanning in the UI, on an image made by umoci whose dpkg status has libc6 from glibc
     * 2.36-9+deb12u1 (below DSA-5514-1's fix) and openssh at DSA-5724-1's fix, pushed with skopeo and scanned on push
     * against those two real advisories: the tags tab shows the state, the severity summary and the pull policy's
     * verdict; the image's vulnerabilities page lists the finding (linked to its advisory), filters, packages and
     * SBOMs, and rescans; the organization's and the repository's settings set the policy that `bollard scan policy`
     * sets, with refusals in words. Members read but neither rescan nor change policies, outsiders see nothing.
     */
    @Test
    void scannedImagesShowTheirVulnerabilitiesAndThePullPolicyIsSetInTheSettings() throws Exception {
        Requirements.onPath("skopeo", "umoci");
        // Before any vulnerability data, a scanned image's "no findings" would mean nothing: the tags tab says so.
        pushDebianImage("acme/early");
        UiClient reader = client().signIn("alice", "alice-password");
        assertThat(reader.awaitPage("/repo/acme/early", b -> b.contains(">scanned</a>"))).contains("no vulnerability data")
                .doesNotContain("no findings", "grade ");
        Path osv = Files.createDirectories(dir.resolve("osv-ui"));
        for (String id : List.of("DSA-5514-1", "DSA-5724-1")) {
            Files.copy(ScanFixtures.OSV.resolve(id + ".json"), osv.resolve(id + ".json"));
        }
        new VulnerabilityStore(registry.server().database()).importPath(osv);
        pushDebianImage("acme/scanned");

        UiClient alice = client().signIn("alice", "alice-password");
        String tags = alice.awaitPage("/repo/acme/scanned", b -> b.contains("1 unknown</span>"));
        Matcher m = Pattern.compile("data-full=\"(sha256:[0-9a-f]{64})\"").matcher(tags);
        assertThat(m.find()).isTrue();
        String digest = m.group(1);
        String page = "/repo/acme/scanned/-/vulnerabilities/" + digest;
        assertThat(tags).contains("<th scope=\"col\">Vulnerabilities</th>", "href=\"" + page + "?tag=v1\"",
                ">scanned</a>", "<span class=\"badge sev-unknown\">1 unknown</span>", "grade ", "allowed")
                .doesNotContain("sev-critical", ">blocked<");

        HttpResponse<String> vulns = alice.get(page + "?tag=v1");
        assertThat(vulns.statusCode()).isEqualTo(200);
        assertThat(vulns.body()).contains("Debian GNU/Linux 12 (bookworm)", "id=\"findings\"",
                "<a href=\"https://www.debian.org/security/2023/dsa-5514\" rel=\"noopener noreferrer\" class=\"advisory\"",
                ">DSA-5514-1</a>", "CVE-2023-4911", "libc6 <span class=\"muted\">(glibc)</span>", "2.36-9+deb12u1",
                "2.36-9+deb12u3", "badge sev-unknown", "1 of 1 findings", "2 packages", "openssh-client",
                "1:9.2p1-2+deb12u3", "id=\"rescan\"", "pulls are allowed",
                "href=\"/api/v1/repositories/acme/scanned/-/manifests/" + digest + "/sbom?format=cyclonedx\"",
                "format=spdx").doesNotContain("DSA-5724-1");
        // The referrers the scan stored (as the system actor) are linked once present.
        alice.awaitPage(page, b -> b.contains("CycloneDX sha256:"));
        assertThat(alice.get(page + "?severity=high").body()).contains("No finding matches the filter (1 in all).")
                .contains("<option value=\"high\" selected>");
        assertThat(alice.get(page + "?fixable=1").body()).contains(">DSA-5514-1</a>");
        HttpResponse<String> sbom = alice.get("/api/v1/repositories/acme/scanned/-/manifests/" + digest
                + "/sbom?format=cyclonedx");
        assertThat(sbom.statusCode()).isEqualTo(200);
        assertThat(sbom.body()).contains("\"bomFormat\"", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u1");
        HttpResponse<String> rescan = alice.post(page, "action", "rescan");
        assertThat(rescan.statusCode()).isEqualTo(200);
        assertThat(rescan.body()).contains("queued for a scan");
        alice.awaitPage("/repo/acme/scanned", b -> b.contains("1 unknown</span>"));

        // The organization's policy: a threshold Debian's advisories (no severity) meet only at "any".
        String settings = alice.get("/org/acme/settings").body();
        assertThat(settings).contains("id=\"scan-policy-form\"", "No policy: vulnerabilities do not stop pulls.");
        HttpResponse<String> bad = alice.post("/org/acme", "action", "scan-policy-set", "severity", "severe");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("class=\"error\" role=\"alert\">Severity must be one of unknown, low, medium, "
                + "high, critical, not 'severe'.</p>", "id=\"scan-policy-form\"");
        HttpResponse<String> set = alice.post("/org/acme", "action", "scan-policy-set", "severity", "unknown");
        assertThat(set.statusCode()).isEqualTo(200);
        assertThat(set.body()).contains("now refuse images with fixable vulnerabilities of any severity",
                "This organization refuses <strong>fixable vulnerabilities of any severity</strong>");
        String stored = registry.server().database().read(h -> h.createQuery(
                "SELECT severity FROM scan_policy WHERE scope_kind = 'org' AND scope = 'acme'").mapTo(String.class)
                .one());
        assertThat(stored).isEqualTo("unknown");
        assertThat(alice.get("/repo/acme/scanned").body()).contains(">blocked</span>", "CVE-2023-4911");
        assertThat(alice.get(page).body()).contains("denied by the vulnerability policy of organization acme");
        Exec.Result refused = new Skopeo(dir).copy("--src-creds", "alice:alice-password",
                "docker://" + registry.hostPort() + "/acme/scanned:v1", "oci:" + dir.resolve("pulled") + ":v1");
        assertThat(refused.ok()).as("the policy set in the UI refuses the pull").isFalse();

        HttpResponse<String> pastExpiry = alice.post("/org/acme", "action", "scan-policy-allow", "vulnerability",
                "CVE-2023-4911", "expires", "2001-01-01");
        assertThat(pastExpiry.statusCode()).isEqualTo(400);
        assertThat(pastExpiry.body()).contains("class=\"error\"").doesNotContain("id=\"scan-allow-list\"");
        HttpResponse<String> allowed = alice.post("/org/acme", "action", "scan-policy-allow", "vulnerability",
                "CVE-2023-4911", "expires", "2099-01-31", "reason", "<not reachable>");
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.body()).contains("id=\"scan-allow-list\"", "&lt;not reachable&gt;")
                .doesNotContain("<not reachable>");
        assertThat(alice.get("/repo/acme/scanned").body()).doesNotContain(">blocked</span>");
        assertThat(alice.post("/org/acme", "action", "scan-policy-bypass", "principal", "acme+ci").body())
                .contains("id=\"scan-bypass\"", "acme+ci now pulls from organization acme whatever the policy says.");
        assertThat(alice.post("/org/acme", "action", "scan-policy-revoke", "principal", "acme+ci").body())
                .doesNotContain("id=\"scan-bypass\"");
        assertThat(alice.post("/org/acme", "action", "scan-policy-disallow", "vulnerability", "CVE-2023-4911")
                .body()).doesNotContain("id=\"scan-allow-list\"");

        // The repository's own policy replaces the organization's.
        assertThat(alice.get("/repo/acme/scanned/-/settings").body()).contains("the policy of organization acme applies");
        HttpResponse<String> repoPolicy = alice.post("/repo/acme/scanned/-/settings", "action", "scan-policy-set",
                "severity", "critical", "block_unscanned", "1");
        assertThat(repoPolicy.statusCode()).isEqualTo(200);
        assertThat(repoPolicy.body()).contains("This repository refuses <strong>fixable vulnerabilities of severity "
                + "critical or above and images not scanned</strong>");
        assertThat(alice.get("/repo/acme/scanned").body()).doesNotContain(">blocked</span>");

        // Members read the report but neither rescan nor change a policy; outsiders and anonymous callers see nothing.
        UiClient carol = client().signIn("carol", "carol-password");
        HttpResponse<String> asMember = carol.get(page);
        assertThat(asMember.statusCode()).isEqualTo(200);
        assertThat(asMember.body()).contains(">DSA-5514-1</a>").doesNotContain("id=\"rescan\"");
        assertThat(carol.post(page, "action", "rescan").statusCode()).isEqualTo(403);
        assertThat(carol.post("/org/acme", "action", "scan-policy-remove").statusCode()).isEqualTo(403);
        assertThat(carol.get("/repo/acme/scanned/-/settings").statusCode()).isEqualTo(403);
        assertThat(carol.post("/repo/acme/scanned/-/settings", "action", "scan-policy-remove").statusCode())
                .isEqualTo(403);
        UiClient bob = client().signIn("bob", "bob-password");
        assertThat(bob.get(page).statusCode()).isEqualTo(404);
        assertThat(bob.post(page, "action", "rescan").statusCode()).isEqualTo(404);
        assertThat(client().get(page).statusCode()).isEqualTo(303);
        assertThat(alice.get("/repo/acme/scanned/-/vulnerabilities/sha256:" + "0".repeat(64)).statusCode())
                .isEqualTo(404);

        assertThat(alice.post("/repo/acme/scanned/-/settings", "action", "scan-policy-remove").statusCode())
                .isEqualTo(200);
        assertThat(alice.post("/org/acme", "action", "scan-policy-remove").body())
                .contains("No policy: vulnerabilities do not stop pulls.");
    }

    /**
     * An external scanner's findings on the image's vulnerabilities page: a scanner adapter (the one
     * ScannerAdapterTest starts) registered through the API for organization scanners scans an image pushed there, and
     * the page shows a section for it with the scanner's name, vendor, version, state and each finding, filtered as the
     * built-in scanner's are; a page of an image it did not scan has no such section.
     */
    @Test
    void anExternalScannersFindingsAreShownOnTheVulnerabilitiesPage() throws Exception {
        Requirements.onPath("skopeo", "umoci");
        identities.organizations().create("scanners", "alice");
        String root = "Basic " + Base64.getEncoder().encodeToString("root:root-password".getBytes(StandardCharsets.UTF_8));
        try (ScannerAdapterTest.TinyAdapter adapter = new ScannerAdapterTest.TinyAdapter("Bearer ui-secret");
             HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> set = http.send(HttpRequest.newBuilder(registry.uri("/api/v1/scan-adapters/tiny"))
                    .header("Authorization", root).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"url\":\"" + adapter.url() + "\",\"authorization\":"
                            + "\"Bearer ui-secret\",\"organization\":\"scanners\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
            try {
                OciLayout layout = OciLayout.create(dir.resolve("adapter-image"));
                OciLayout.Descriptor image = layout.writeImage("linux", "amd64", List.of(Map.of(
                        "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n".getBytes(StandardCharsets.UTF_8),
                        "usr/share/tiny/packages", "tinylib 1.2.3\nzlib <1.0>\n".getBytes(StandardCharsets.UTF_8))));
                layout.tag(image, "v1");
                Exec.Result pushed = new Skopeo(dir).copy("--dest-creds", "alice:alice-password",
                        "oci:" + layout.root() + ":v1", "docker://" + registry.hostPort() + "/scanners/app:v1");
                assertThat(pushed.ok()).as(pushed.describe()).isTrue();
                String page = "/repo/scanners/app/-/vulnerabilities/" + image.digest();

                UiClient alice = client().signIn("alice", "alice-password");
                String body = alice.awaitPage(page, b -> b.contains("class=\"scanner-state\">done")
                        && b.contains("id=\"scan-state\">scanned"));
                assertThat(body).contains("<h2 id=\"scanners-title\">External scanners</h2>", "id=\"scanner-tiny\"",
                        "Tiny Scanner <span class=\"muted\">(adapter tiny)</span>", "Tiny Scanner 0.1 · Bollard tests",
                        "2 of 2 findings, worst first.", "<a href=\"https://example.invalid/CVE-2099-0001\"",
                        ">CVE-2099-0001</a>", "<td>tinylib</td>", "<td class=\"mono\">1.2.3</td>",
                        "<td class=\"mono\">1.2.4</td>", "<span class=\"badge sev-high\">high</span> <span "
                                + "class=\"muted\">7.5</span>", "a made-up flaw of the test",
                        "<td>zlib</td>",
                        "<td class=\"mono\">&lt;1.0&gt;</td>")
                        .doesNotContain("<1.0>", "ui-secret");
                assertThat(alice.get(page + "?severity=critical").body())
                        .contains("No finding of this scanner matches the filter (2 in all).")
                        .doesNotContain(">CVE-2099-0001</a>");
                assertThat(alice.get(page + "?severity=high&fixable=1").body()).contains("2 of 2 findings");

                // The adapter scans only the organization it was registered for.
                pushDebianImage("acme/unscanned-by-tiny");
                String other = alice.awaitPage("/repo/acme/unscanned-by-tiny", b -> b.contains(">scanned</a>"));
                Matcher m = Pattern.compile("data-full=\"(sha256:[0-9a-f]{64})\"").matcher(other);
                assertThat(m.find()).isTrue();
                assertThat(alice.get("/repo/acme/unscanned-by-tiny/-/vulnerabilities/" + m.group(1)).body())
                        .doesNotContain("External scanners", "scanner-tiny");
            } finally {
                http.send(HttpRequest.newBuilder(registry.uri("/api/v1/scan-adapters/tiny")).header("Authorization", root)
                        .DELETE().build(), HttpResponse.BodyHandlers.discarding());
            }
        }
    }

    /** Pushes the scan tests' Debian 12 image, made by umoci, with skopeo as alice to {@code repository}:v1. */
    private static void pushDebianImage(String repository) throws Exception {
        Path layout = ScanFixtures.umociImage(Files.createDirectories(dir.resolve("image-" + repository.replace('/', '-'))),
                ScanFixtures.debian12(""));
        Exec.Result pushed = new Skopeo(dir).copy("--dest-creds", "alice:alice-password", "oci:" + layout + ":v1",
                "docker://" + registry.hostPort() + "/" + repository + ":v1");
        assertThat(pushed.ok()).as(pushed.describe()).isTrue();
    }

    /** The delivery log of a webhook once it shows {@code rows} deliveries (the worker logs after the receiver saw it). */
    private static String awaitPage(UiClient c, String log, int rows) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String body = "";
        while (System.nanoTime() < until) {
            body = c.get(log).body();
            if (body.split("name=\"action\" value=\"redeliver\"", -1).length - 1 >= rows) {
                return body;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the delivery log never showed " + rows + " deliveries: " + body);
    }
}
