package dev.bollard.auth.oidc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.auth.Identities;
import dev.bollard.clients.Exec;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.KeycloakServer;
import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Single sign-on and keyless robots against a real Keycloak (started once for the class, prebuilt, with a realm
 * written here: a confidential client "bollard" with PKCE S256 enforced and a groups mapper, users alice in group devs
 * and bob in group ops, and a "ci" client for the client credentials grant). Headless Chromium signs in through
 * Keycloak's own login page; the groups claim puts alice in the team bound to "devs", so skopeo may pull the team's
 * image with her application token and not with bob's; signing out ends Keycloak's session too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeycloakSignInTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final String REALM = "bollard";
    private static final String CLIENT_SECRET = "bollard-client-secret";

    @TempDir
    static Path classDir;
    @TempDir
    Path dir;
    private KeycloakServer keycloak;
    private TestRegistry registry;
    private Identities ids;
    private String host;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeAll
    void start() throws Exception {
        Requirements.require(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER), "chromium or "
                + "chromedriver not installed; .ci/run installs Debian's chromium and chromium-driver");
        Requirements.onPath("skopeo", "umoci");
        int keycloakPort = KeycloakServer.freePort();
        int registryPort = KeycloakServer.freePort();
        String base = "http://127.0.0.1:" + registryPort;
        String issuer = "http://127.0.0.1:" + keycloakPort + "/realms/" + REALM;
        // Providers 1 and 2 are for CLI device logins: a client with the device grant and a consent screen (so that it
        // can be declined), and one whose device codes live 15 s. The web sign-in's client has no device grant.
        BollardConfig config = ConfigLoader.builder()
                .set("data-dir", classDir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:" + registryPort)
                .set("auth.oidc.providers[0].id", "keycloak")
                .set("auth.oidc.providers[0].display-name", "Keycloak")
                .set("auth.oidc.providers[0].issuer", issuer)
                .set("auth.oidc.providers[0].client-id", "bollard")
                .set("auth.oidc.providers[0].client-secret", CLIENT_SECRET)
                .set("auth.oidc.providers[0].admin-group", "registry-admins")
                .set("auth.oidc.workload-issuers", issuer)
                .set("auth.oidc.providers[1].id", "kc-device")
                .set("auth.oidc.providers[1].issuer", issuer)
                .set("auth.oidc.providers[1].client-id", "bollard-cli")
                .set("auth.oidc.providers[1].client-secret", "bollard-cli-secret")
                .set("auth.oidc.providers[2].id", "kc-short")
                .set("auth.oidc.providers[2].issuer", issuer)
                .set("auth.oidc.providers[2].client-id", "bollard-cli-short")
                .set("auth.oidc.providers[2].client-secret", "bollard-cli-short-secret")
                .load();
        registry = TestRegistry.start(config);
        host = registry.hostPort();
        ids = new Identities(registry.server().database());
        ids.users().create("admin", "local-admin-password", true);
        ids.organizations().create("acme", "admin");
        ids.teams().create("acme", "developers", "member", "follows Keycloak's devs");
        ids.directoryTeams().bindClaim("acme", "developers", "keycloak", "devs");
        ids.teams().create("acme", "cli-developers", "member", "follows devs, for device logins");
        ids.directoryTeams().bindClaim("acme", "cli-developers", "kc-device", "devs");
        keycloak = KeycloakServer.start(classDir, keycloakPort, REALM, realm(base));

        Path layout = classDir.resolve("layout");
        Path file = Files.writeString(classDir.resolve("hello.txt"), "an image of team developers\n");
        ok(run("umoci", "init", "--layout", layout.toString()));
        ok(run("umoci", "new", "--image", layout + ":v1"));
        ok(run("umoci", "insert", "--rootless", "--image", layout + ":v1", file.toString(), "/hello.txt"));
        ok(run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "admin:local-admin-password",
                "oci:" + layout + ":v1", "docker://" + host + "/acme/app:v1"));
    }

    /** The realm: the Bollard client (PKCE S256 required, groups in the ID token), people, groups, and the CI client. */
    private static String realm(String base) {
        return """
                {"realm": "bollard", "enabled": true, "sslRequired": "none",
                 "groups": [{"name": "devs"}, {"name": "ops"}, {"name": "registry-admins"}],
                 "users": [
                  {"username": "alice", "enabled": true, "email": "alice@example.org", "emailVerified": true,
                   "firstName": "Alice", "lastName": "Archer", "groups": ["/devs"],
                   "credentials": [{"type": "password", "value": "alice-kc-pw", "temporary": false}]},
                  {"username": "bob", "enabled": true, "email": "bob@example.org", "emailVerified": true,
                   "firstName": "Bob", "lastName": "Baker", "groups": ["/ops"],
                   "credentials": [{"type": "password", "value": "bob-kc-pw", "temporary": false}]},
                  {"username": "carol", "enabled": true, "email": "carol@example.org", "emailVerified": true,
                   "firstName": "Carol", "lastName": "Clark", "groups": ["/devs"],
                   "credentials": [{"type": "password", "value": "carol-kc-pw", "temporary": false}]}],
                 "clients": [
                  {"clientId": "bollard", "enabled": true, "publicClient": false, "secret": "%s",
                   "standardFlowEnabled": true, "directAccessGrantsEnabled": false,
                   "redirectUris": ["%s/signin/oidc/keycloak/callback"],
                   "attributes": {"pkce.code.challenge.method": "S256", "post.logout.redirect.uris": "%s/signin"},
                   "protocolMappers": [{"name": "groups", "protocol": "openid-connect",
                     "protocolMapper": "oidc-group-membership-mapper",
                     "config": {"claim.name": "groups", "full.path": "false", "id.token.claim": "true",
                                "access.token.claim": "true", "userinfo.token.claim": "true"}}]},
                  {"clientId": "ci", "enabled": true, "publicClient": false, "secret": "ci-client-secret",
                   "standardFlowEnabled": false, "serviceAccountsEnabled": true,
                   "protocolMappers": [{"name": "registry audience", "protocol": "openid-connect",
                     "protocolMapper": "oidc-audience-mapper",
                     "config": {"included.custom.audience": "bollard-registry", "access.token.claim": "true",
                                "id.token.claim": "true"}}]},
                  {"clientId": "bollard-cli", "enabled": true, "publicClient": false, "secret": "bollard-cli-secret",
                   "standardFlowEnabled": false, "consentRequired": true,
                   "attributes": {"oauth2.device.authorization.grant.enabled": "true",
                                  "oauth2.device.polling.interval": "1"},
                   "protocolMappers": [{"name": "groups", "protocol": "openid-connect",
                     "protocolMapper": "oidc-group-membership-mapper",
                     "config": {"claim.name": "groups", "full.path": "false", "id.token.claim": "true",
                                "access.token.claim": "true", "userinfo.token.claim": "true"}}]},
                  {"clientId": "bollard-cli-short", "enabled": true, "publicClient": false,
                   "secret": "bollard-cli-short-secret", "standardFlowEnabled": false,
                   "attributes": {"oauth2.device.authorization.grant.enabled": "true",
                                  "oauth2.device.code.lifespan": "15", "oauth2.device.polling.interval": "1"}}]}
                """.formatted(CLIENT_SECRET, base, base);
    }

    @AfterAll
    void stopAll() throws Exception {
        if (registry != null) {
            registry.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
    }

    @BeforeEach
    void openBrowser() {
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        System.setProperty("SE_OFFLINE", "true");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + dir.resolve("chromium-profile"), "--window-size=1280,1000", "--lang=en-US");
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build(), options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.ignoring(StaleElementReferenceException.class);
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void aKeycloakUserSignsInGetsTheTeamOfTheirGroupAndSignsOutOfKeycloakToo() {
        String base = registry.baseUri().toString().replaceAll("/$", "");
        browser.get(base + "/repositories");
        waitForTitle("Sign in");
        browser.findElement(By.id("sso-keycloak")).click();
        keycloakLogin("alice", "alice-kc-pw");
        waitForTitle("Repositories"); // back where she was going
        assertThat(browser.findElement(By.className("who")).getText()).contains("alice");
        assertThat(browser.getPageSource()).as("acme/app is listed").contains("/repo/acme/app");

        // Onboarded as a user of the provider, in the team bound to her group.
        String account = registry.server().database().read(h -> h.createQuery(
                "SELECT source || ' ' || email || ' ' || CASE WHEN password_hash IS NULL THEN 'no-password' ELSE 'password' END"
                        + " FROM account WHERE name = 'alice'")
                .mapTo(String.class).one());
        assertThat(account).isEqualTo("oidc:keycloak alice@example.org no-password");
        String aliceToken = ids.appTokens().create("alice", "laptop");
        ok(run("skopeo", "inspect", "--tls-verify=false", "--creds", "alice:" + aliceToken,
                "docker://" + host + "/acme/app:v1"));

        // Sign out: Bollard's session ends, and Keycloak's (RP-initiated logout), which sends the browser back.
        browser.findElement(By.cssSelector("header form button")).click();
        waitForTitle("Sign in");
        browser.get(base + "/repositories");
        waitForTitle("Sign in");
        browser.findElement(By.id("sso-keycloak")).click();
        // Keycloak asks again: its session ended too. Bob, in group ops, signs in.
        keycloakLogin("bob", "bob-kc-pw");
        waitForTitle("Repositories");
        assertThat(browser.findElement(By.className("who")).getText()).contains("bob");
        assertThat(browser.getPageSource()).as("acme/app is not listed").doesNotContain("/repo/acme/app");
        String bobToken = ids.appTokens().create("bob", "laptop");
        Exec.Result bobPulls = run("skopeo", "inspect", "--tls-verify=false", "--creds", "bob:" + bobToken,
                "docker://" + host + "/acme/app:v1");
        assertThat(bobPulls.ok()).as("bob is in no team of acme: " + bobPulls.output()).isFalse();

        // The audit log names the provider as the source of both sign-ins.
        registry.server().audit().flush(10_000);
        List<String> sources = registry.server().database().read(h -> h.createQuery(
                "SELECT actor || ' ' || details FROM audit_log WHERE action = 'login.success' AND actor IN ('alice', 'bob')").mapTo(String.class).list());
        assertThat(sources).anySatisfy(s -> assertThat(s).startsWith("alice").contains("oidc:keycloak"))
                .anySatisfy(s -> assertThat(s).startsWith("bob").contains("oidc:keycloak"));
    }

    @Test
    void aKeylessRobotExchangesAKeycloakTokenForARegistryTokenAndPushesWithSkopeo() throws Exception {
        String issuer = keycloak.issuer(REALM);
        ids.robots().create("acme", "ci");
        ids.repositories().grant("acme/app", "acme+ci", "write");
        // No rule yet: the CI job's token is refused.
        String ciToken = clientCredentialsToken();
        Exec.Result refused = run("skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                "--src-creds", "admin:local-admin-password", "--dest-creds", "acme+ci:" + ciToken,
                "docker://" + host + "/acme/app:v1", "docker://" + host + "/acme/app:from-ci");
        assertThat(refused.ok()).as("no trust rule yet: " + refused.output()).isFalse();

        // A rule for another audience or another client does not do either.
        ids.robotTrust().add("acme+ci", issuer, "*", "some-other-service", Map.of());
        ids.robotTrust().add("acme+ci", issuer, "*", "bollard-registry", Map.of("azp", "another-client"));
        assertThat(run("skopeo", "inspect", "--tls-verify=false", "--creds", "acme+ci:" + ciToken,
                "docker://" + host + "/acme/app:v1").ok()).isFalse();

        // Trusting the CI client's tokens for the registry's audience: the token is the robot's password.
        ids.robotTrust().add("acme+ci", issuer, "*", "bollard-registry", Map.of("azp", "ci"));
        ok(run("skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                "--src-creds", "admin:local-admin-password", "--dest-creds", "acme+ci:" + ciToken,
                "docker://" + host + "/acme/app:v1", "docker://" + host + "/acme/app:from-ci"));
        ok(run("skopeo", "inspect", "--tls-verify=false", "--creds", "acme+ci:" + ciToken,
                "docker://" + host + "/acme/app:from-ci"));
        // A token altered after Keycloak signed it is refused.
        String[] parts = ciToken.split("\\.", -1);
        String forged = parts[0] + "." + parts[1] + "." + new StringBuilder(parts[2]).reverse();
        assertThat(run("skopeo", "inspect", "--tls-verify=false", "--creds", "acme+ci:" + forged,
                "docker://" + host + "/acme/app:from-ci").ok()).isFalse();

        registry.server().audit().flush(10_000);
        List<String> logins = registry.server().database().read(h -> h.createQuery(
                "SELECT details FROM audit_log WHERE action = 'login.success' AND actor = 'acme+ci'")
                .mapTo(String.class).list());
        assertThat(logins).isNotEmpty().allSatisfy(d -> assertThat(d).contains("workload:" + issuer));
    }

    @Test
    void aCliDeviceLoginApprovedInTheBrowserStoresATokenThatSkopeoPushesAndPullsWith() throws Exception {
        Path authFile = dir.resolve("auth.json");
        Path out = dir.resolve("login.out");
        Process cli = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.bollard.cli.Main", "login", "--device",
                "--provider", "kc-device", "--authfile", authFile.toString(), "http://" + host)
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            // The CLI shows the page to open, with the code in it; the person signs in there and approves.
            String page = null;
            long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (page == null && System.nanoTime() < end && cli.isAlive()) {
                page = Files.readString(out).lines().map(String::strip).filter(l -> l.startsWith("http"))
                        .findFirst().orElse(null);
                Thread.sleep(200);
            }
            assertThat(page).as("the CLI printed the page to open: " + Files.readString(out)).isNotNull()
                    .contains("/realms/" + REALM + "/device").contains("user_code=");
            approveDevice(page, "carol", "carol-kc-pw", true);
            assertThat(cli.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)).as("the CLI finished").isTrue();
            String printed = Files.readString(out);
            assertThat(cli.exitValue()).as(printed).isZero();
            assertThat(printed).contains("Logged in to " + host + " as carol").contains("Stored in " + authFile);
        } finally {
            cli.destroyForcibly();
        }
        // The stored credential is an application token of carol, onboarded through kc-device with her group's team.
        com.fasterxml.jackson.databind.JsonNode auths = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(authFile.toFile()).get("auths");
        String credential = new String(java.util.Base64.getDecoder().decode(auths.get(host).get("auth").asText()),
                java.nio.charset.StandardCharsets.UTF_8);
        assertThat(credential).startsWith("carol:bollard_app_");
        assertThat(java.nio.file.Files.getPosixFilePermissions(authFile)).isEqualTo(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(ids.teams().members("acme", "cli-developers", null, 100)).contains("carol");

        // skopeo pushes to carol's namespace and pulls back with the stored file alone.
        ok(run("skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                "--src-creds", "admin:local-admin-password", "--dest-authfile", authFile.toString(),
                "docker://" + host + "/acme/app:v1", "docker://" + host + "/carol/tool:v1"));
        ok(run("skopeo", "inspect", "--tls-verify=false", "--authfile", authFile.toString(),
                "docker://" + host + "/carol/tool:v1"));
        ok(run("skopeo", "inspect", "--tls-verify=false", "--authfile", authFile.toString(),
                "docker://" + host + "/acme/app:v1")); // acme/app through the team of her group

        registry.server().audit().flush(10_000);
        List<String> entries = registry.server().database().read(h -> h.createQuery(
                "SELECT action || ' ' || actor || ' ' || details FROM audit_log WHERE action IN "
                        + "('device-login.start', 'login.success', 'app-token.create') ORDER BY seq")
                .mapTo(String.class).list());
        assertThat(entries).anySatisfy(e -> assertThat(e).startsWith("device-login.start").contains("oidc:kc-device"))
                .anySatisfy(e -> assertThat(e).startsWith("login.success carol").contains("device")
                        .contains("oidc:kc-device"))
                .anySatisfy(e -> assertThat(e).startsWith("app-token.create carol"));
    }

    @Test
    void aDeclinedDeviceLoginAnExpiredOneAndAForeignHandleGetClearErrors() throws Exception {
        // Declined at Keycloak's consent screen: the poll says so (403 DENIED).
        com.fasterxml.jackson.databind.JsonNode started = device("POST", "/api/v1/oidc/kc-device/device", "{}", 200);
        approveDevice(started.get("verification_uri_complete").asText(), "carol", "carol-kc-pw", false);
        com.fasterxml.jackson.databind.JsonNode declined = poll("kc-device", started.get("handle").asText(), 403);
        assertThat(declined.get("code").asText()).isEqualTo("DENIED");
        assertThat(declined.get("message").asText()).contains("declined");

        // Not approved yet: 202 and the interval to wait.
        com.fasterxml.jackson.databind.JsonNode shortLived = device("POST", "/api/v1/oidc/kc-short/device", "{}", 200);
        assertThat(shortLived.get("expires_in").asLong()).as(shortLived.toString()).isEqualTo(15);
        com.fasterxml.jackson.databind.JsonNode pending = poll("kc-short", shortLived.get("handle").asText(), 202);
        assertThat(pending.get("status").asText()).isEqualTo("authorization_pending");
        assertThat(pending.get("interval").asLong()).isPositive();
        // A handle of one provider is nobody's at another.
        assertThat(poll("kc-device", shortLived.get("handle").asText(), 400).get("message").asText())
                .contains("not one this registry gave out");
        // Expired: its 15 s are over.
        Thread.sleep(16_000);
        com.fasterxml.jackson.databind.JsonNode expired = poll("kc-short", shortLived.get("handle").asText(), 400);
        assertThat(expired.get("code").asText()).isEqualTo("INVALID_REQUEST");
        assertThat(expired.get("message").asText()).contains("expired");
        // Made up or altered.
        assertThat(poll("kc-device", "bollard_device_bm90LWEtaGFuZGxl", 400).get("message").asText())
                .contains("not one this registry gave out");
        String handle = started.get("handle").asText();
        String altered = handle.substring(0, handle.length() - 4) + (handle.endsWith("AAAA") ? "BBBB" : "AAAA");
        assertThat(poll("kc-device", altered, 400).get("code").asText()).isEqualTo("INVALID_REQUEST");

        // A client without the device grant, and a provider that does not exist: refused, and the CLI says why.
        assertThat(device("POST", "/api/v1/oidc/keycloak/device", "{}", 405).get("message").asText())
                .contains("refused to start a device login");
        dev.bollard.testing.Cli.Result refused = dev.bollard.testing.Cli.run("login", "--device", "--provider",
                "keycloak", "http://" + host);
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("refused to start a device login").contains("device authorization grant");
        dev.bollard.testing.Cli.Result unknown = dev.bollard.testing.Cli.run("login", "--device", "--provider",
                "nope", "http://" + host);
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("there is no OIDC provider 'nope'").contains("kc-device");

        registry.server().audit().flush(10_000);
        List<String> failures = registry.server().database().read(h -> h.createQuery(
                "SELECT details FROM audit_log WHERE action = 'login.failure' AND details LIKE '%device%'")
                .mapTo(String.class).list());
        assertThat(failures).anySatisfy(d -> assertThat(d).contains("declined"))
                .anySatisfy(d -> assertThat(d).contains("expired"));
    }

    /** Opens a device login's page, signs in at Keycloak and approves (or declines) on its consent screen. */
    private void approveDevice(String page, String user, String password, boolean approve) {
        browser.get(page);
        keycloakLogin(user, password);
        try {
            wait.until(d -> !d.findElements(By.name("accept")).isEmpty());
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("no consent screen at " + browser.getCurrentUrl() + ": "
                    + browser.findElement(By.tagName("body")).getText(), e);
        }
        browser.findElement(By.name(approve ? "accept" : "cancel")).click();
        wait.until(d -> d.findElements(By.name("accept")).isEmpty());
    }

    private com.fasterxml.jackson.databind.JsonNode poll(String provider, String handle, int status) throws Exception {
        return device("POST", "/api/v1/oidc/" + provider + "/device/token",
                "{\"handle\":\"" + handle + "\"}", status);
    }

    /** A call of the device login API without credentials; its JSON answer, which must have {@code status}. */
    private com.fasterxml.jackson.databind.JsonNode device(String method, String path, String json, int status)
            throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + host + path))
                        .header("Content-Type", "application/json")
                        .method(method, java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(status);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    }

    /** A token Keycloak issues to the "ci" client by the client credentials grant, as a CI job would get one. */
    private String clientCredentialsToken() throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(keycloak.issuer(REALM)
                                + "/protocol/openid-connect/token"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                "grant_type=client_credentials&client_id=ci&client_secret=ci-client-secret"))
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).get("access_token").asText();
    }

    private void keycloakLogin(String user, String password) {
        try {
            wait.until(d -> !d.findElements(By.id("username")).isEmpty()
                    && String.valueOf(d.getCurrentUrl()).contains("/realms/" + REALM));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("no Keycloak login page at " + browser.getCurrentUrl() + ": "
                    + browser.findElement(By.tagName("body")).getText() + "\n" + keycloak.log(), e);
        }
        browser.findElement(By.id("username")).sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(password);
        browser.findElement(By.id("kc-login")).click();
    }

    private void waitForTitle(String title) {
        try {
            wait.until(d -> (title + " · Bollard").equals(d.getTitle()));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("not at " + title + " but at " + browser.getCurrentUrl() + ": "
                    + browser.findElement(By.tagName("body")).getText(), e);
        }
    }

    private Exec.Result run(String... command) {
        return new Exec(classDir, Map.of("REGISTRY_AUTH_FILE", classDir.resolve("no-default-auth.json").toString()))
                .run(Duration.ofMinutes(2), null, List.of(command));
    }

    private static void ok(Exec.Result r) {
        assertThat(r.ok()).as(r.describe()).isTrue();
    }
}
