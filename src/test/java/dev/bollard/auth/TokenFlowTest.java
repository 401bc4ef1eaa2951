package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static dev.bollard.auth.AuthHttp.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.metadata.Database;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The Docker token flow over HTTP, token endpoint variants, credentials of every kind, lockout and logs. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenFlowTest {
    @TempDir
    static Path dir;

    private TestRegistry registry;
    private AuthHttp http;
    private Identities ids;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private static final String ALICE = basic("alice", "alice-password");
    private static final String BOB = basic("bob", "bob-password");

    @BeforeAll
    void start() throws Exception {
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        registry = TestRegistry.startWithAuth(dir.resolve("data"));
        http = new AuthHttp(registry.baseUri());
        ids = new Identities(registry.server().database());
        ids.users().create("alice", "alice-password", false);
        ids.users().create("bob", "bob-password", false);
        ids.users().create("carol", "carol-password", false);
        ids.users().create("root", "root-password", true);
        http.pushImage("alice/app", "v1", ALICE);
        http.pushImage("alice/other", "v1", ALICE);
    }

    @AfterAll
    void stop() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        http.close();
        registry.close();
    }

    private static final Pattern CHALLENGE = Pattern.compile(
            "Bearer realm=\"([^\"]+)\",service=\"([^\"]+)\"(?:,scope=\"([^\"]+)\")?(?:,error=\"([^\"]+)\")?");

    private static Matcher challenge(HttpResponse<byte[]> r) {
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("\"UNAUTHORIZED\"");
        Matcher m = CHALLENGE.matcher(r.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertThat(m.matches()).as("challenge %s", r.headers().firstValue("WWW-Authenticate")).isTrue();
        return m;
    }

    @Test
    void authIsOnByDefault() {
        assertThat(ConfigLoader.builder().load().auth().enabled()).isTrue();
        assertThat(ConfigLoader.builder().load().auth().anonymousPull()).isTrue();
    }

    @Test
    void challengeThenTokenThenRetryWithBearer() throws Exception {
        Matcher base = challenge(http.get("/v2/", null));
        assertThat(base.group(1)).isEqualTo(registry.baseUri() + "/v2/auth");
        assertThat(base.group(2)).isEqualTo("bollard");
        assertThat(base.group(3)).isNull();

        HttpResponse<byte[]> denied = http.send("GET", "/v2/alice/app/manifests/v1", null, null,
                "Accept", AuthHttp.OCI_MANIFEST);
        Matcher m = challenge(denied);
        assertThat(m.group(3)).isEqualTo("repository:alice/app:pull");
        assertThat(challenge(http.send("POST", "/v2/alice/app/blobs/uploads/", null, null)).group(3))
                .isEqualTo("repository:alice/app:pull,push");
        assertThat(challenge(http.get("/v2/_catalog", basic("alice", "wrong"))).group(3)).isEqualTo("registry:catalog:*");

        // What a client does with the challenge: GET realm?service=&scope= with Basic credentials.
        HttpResponse<byte[]> tokenResponse = http.get(m.group(1).substring(registry.baseUri().toString().length())
                + "?service=" + m.group(2) + "&scope=" + AuthHttp.enc(m.group(3)), ALICE);
        assertThat(tokenResponse.statusCode()).isEqualTo(200);
        assertThat(tokenResponse.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode body = AuthHttp.json(tokenResponse);
        assertThat(body.get("token").asText()).isEqualTo(body.get("access_token").asText());
        assertThat(body.get("expires_in").asLong()).isEqualTo(300);
        assertThat(body.has("issued_at")).isTrue();
        assertThat(body.has("refresh_token")).as("no refresh token unless offline_token=true").isFalse();
        SignedJWT jwt = SignedJWT.parse(body.get("token").asText());
        assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo("alice");
        assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly("bollard");

        HttpResponse<byte[]> retried = http.send("GET", "/v2/alice/app/manifests/v1", bearer(body.get("token").asText()),
                null, "Accept", AuthHttp.OCI_MANIFEST);
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(http.get("/v2/", bearer(body.get("token").asText())).statusCode()).isEqualTo(200);
    }

    @Test
    void tokenScopesAreIntersectedWithPermissionsAndNotTransferable() throws Exception {
        // bob asks for push on alice's repository: gets a token without that access.
        String bobToken = http.token(BOB, "repository:alice/app:pull,push");
        assertThat(SignedJWT.parse(bobToken).getJWTClaimsSet().getClaim("access")).isEqualTo(List.of());
        HttpResponse<byte[]> denied = http.get("/v2/alice/app/tags/list", bearer(bobToken));
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(new String(denied.body(), StandardCharsets.UTF_8)).contains("\"DENIED\"");

        // A pull token of alice's used to push, and a token for one repository used on another: 401 with the scope
        // needed, so that clients ask for a better token.
        String pullApp = http.token(ALICE, "repository:alice/app:pull");
        Matcher push = challenge(http.send("POST", "/v2/alice/app/blobs/uploads/", bearer(pullApp), null));
        assertThat(push.group(3)).isEqualTo("repository:alice/app:pull,push");
        assertThat(push.group(4)).isEqualTo("insufficient_scope");
        Matcher other = challenge(http.get("/v2/alice/other/tags/list", bearer(pullApp)));
        assertThat(other.group(3)).isEqualTo("repository:alice/other:pull");
        assertThat(other.group(4)).isEqualTo("insufficient_scope");

        // A garbled token: invalid_token.
        assertThat(challenge(http.get("/v2/alice/app/tags/list", bearer(pullApp + "x"))).group(4)).isEqualTo("invalid_token");
        assertThat(challenge(http.get("/v2/", bearer("not.a.token"))).group(4)).isEqualTo("invalid_token");
    }

    @Test
    void namespacesOrganizationsAndCreateOnFirstPush() throws Exception {
        http.pushImage("alice/new/deeper", "v1", ALICE); // own namespace, deeper path, created by the push
        assertThat(http.send("POST", "/v2/bob/x/blobs/uploads/", ALICE, null).statusCode()).isEqualTo(403);
        assertThat(http.send("POST", "/v2/lonely/blobs/uploads/", ALICE, null).statusCode())
                .as("a name without namespace belongs to nobody").isEqualTo(403);
        assertThat(http.send("POST", "/v2/alice/x/blobs/uploads/", null, null).statusCode()).isEqualTo(401);
        http.pushImage("anywhere/at/all", "v1", basic("root", "root-password"));

        ids.organizations().create("team", "alice");
        ids.organizations().setMember("team", "bob", "member");
        ids.organizations().setMember("team", "carol", "admin");
        http.pushImage("team/app", "v1", ALICE);
        http.pushImage("team/app", "v2", basic("carol", "carol-password"));
        assertThat(http.get("/v2/team/app/tags/list", BOB).statusCode()).isEqualTo(200);
        assertThat(http.send("POST", "/v2/team/app/blobs/uploads/", BOB, null).statusCode()).isEqualTo(403);
        assertThat(AuthHttp.strings(AuthHttp.json(http.get("/v2/_catalog", BOB)).get("repositories"))).contains("team/app")
                .doesNotContain("alice/app");
    }

    @Test
    void catalogPaginationCountsOnlyVisibleRepositories() throws Exception {
        String dave = basic("dave", "dave-password");
        ids.users().create("dave", "dave-password", false);
        for (String r : List.of("dave/a", "dave/b", "dave/c")) {
            http.pushImage(r, "v1", dave);
        }
        // Public repositories of other tests may come before "dave/": start there.
        HttpResponse<byte[]> first = http.get("/v2/_catalog?n=2&last=dave", dave);
        assertThat(AuthHttp.strings(AuthHttp.json(first).get("repositories"))).containsExactly("dave/a", "dave/b");
        assertThat(first.headers().firstValue("Link")).hasValueSatisfying(l -> assertThat(l).contains("last=dave%2Fb"));
        HttpResponse<byte[]> second = http.get("/v2/_catalog?n=2&last=dave%2Fb", dave);
        assertThat(AuthHttp.strings(AuthHttp.json(second).get("repositories"))).containsExactly("dave/c");
        assertThat(second.headers().firstValue("Link")).isEmpty();
    }

    @Test
    void mountingNeedsPullOnTheSourceRepository() throws Exception {
        byte[] secret = ("bob's secret " + java.util.UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        String digest = http.pushBlob("bob/vault", secret, BOB);
        HttpResponse<byte[]> refused = http.send("POST", "/v2/alice/loot/blobs/uploads/?mount=" + digest
                + "&from=bob/vault", ALICE, null);
        assertThat(refused.statusCode()).as("no read on the source: a plain upload session instead").isEqualTo(202);
        assertThat(http.send("HEAD", "/v2/alice/loot/blobs/" + digest, ALICE, null).statusCode()).isEqualTo(404);

        String token = http.token(ALICE, "repository:alice/loot:pull,push", "repository:bob/vault:pull");
        assertThat(http.send("POST", "/v2/alice/loot/blobs/uploads/?mount=" + digest + "&from=bob/vault",
                bearer(token), null).statusCode()).isEqualTo(202);

        String own = http.pushBlob("alice/app", secret, ALICE);
        assertThat(http.send("POST", "/v2/alice/loot/blobs/uploads/?mount=" + own + "&from=alice/app", ALICE, null)
                .statusCode()).as("mount from a repository the caller reads").isEqualTo(201);
    }

    /** A refresh token unused for auth.refresh-token-idle-timeout (30 days by default) is refused and deleted. */
    @Test
    void refreshTokensExpireWhenIdle() throws Exception {
        ids.users().create("idler", "idler-password", false);
        String used = refreshTokenOf("idler", "idler-password");
        String idle = refreshTokenOf("idler", "idler-password");
        Database db = registry.server().database();
        // Created 60 days ago, last used 29 days ago: still good, since the idle time counts from the last use (an
        // expiry counted from creation would refuse it) ...
        ageRefreshToken(db, used, java.time.Duration.ofDays(60), java.time.Duration.ofDays(29));
        java.time.Instant beforeUse = java.time.Instant.now();
        assertThat(refreshGrant(used).statusCode()).as("created 60 days ago, used 29 days ago").isEqualTo(200);
        // ... and that use restarts the clock.
        java.time.Instant lastUsed = db.read((org.jdbi.v3.core.Handle h) -> h.createQuery(
                "SELECT last_used_at FROM user_token WHERE token_hash = :hash").bind("hash", Secrets.sha256(used))
                .mapTo(java.time.Instant.class).one());
        assertThat(lastUsed).as("last use, recorded by the refresh grant").isAfterOrEqualTo(beforeUse.minusSeconds(1));
        ageRefreshToken(db, idle, java.time.Duration.ofDays(31), java.time.Duration.ofDays(31));

        HttpResponse<byte[]> refused = refreshGrant(idle);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(new String(refused.body(), StandardCharsets.UTF_8)).contains("expired");
        long left = db.read((org.jdbi.v3.core.Handle h) -> h.createQuery(
                "SELECT COUNT(*) FROM user_token WHERE token_hash = :hash")
                .bind("hash", Secrets.sha256(idle)).mapTo(Long.class).one());
        assertThat(left).as("the idle token is deleted").isZero();
        assertThat(refreshGrant(used).statusCode()).as("used a moment ago").isEqualTo(200);
    }

    private String refreshTokenOf(String user, String password) throws Exception {
        HttpResponse<byte[]> r = http.postForm("/v2/auth", "grant_type", "password", "username", user,
                "password", password, "service", "bollard", "access_type", "offline");
        assertThat(r.statusCode()).isEqualTo(200);
        return AuthHttp.json(r).get("refresh_token").asText();
    }

    private HttpResponse<byte[]> refreshGrant(String refreshToken) throws Exception {
        return http.postForm("/v2/auth", "grant_type", "refresh_token", "refresh_token", refreshToken,
                "service", "bollard");
    }

    /** Moves the token's creation and last use back by {@code age} and {@code idle}. */
    private static void ageRefreshToken(Database db, String token, java.time.Duration age, java.time.Duration idle) {
        java.time.Instant now = java.time.Instant.now();
        db.inTransaction((org.jdbi.v3.core.Handle h) -> h.createUpdate(
                        "UPDATE user_token SET created_at = :created, last_used_at = :used WHERE token_hash = :hash")
                .bind("created", now.minus(age)).bind("used", now.minus(idle))
                .bind("hash", Secrets.sha256(token)).execute());
    }

    @Test
    void oauth2PasswordAndRefreshGrants() throws Exception {
        HttpResponse<byte[]> r = http.postForm("/v2/auth", "grant_type", "password", "username", "carol",
                "password", "carol-password", "service", "bollard", "client_id", "containerd",
                "access_type", "offline", "scope", "repository:carol/app:pull,push");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = AuthHttp.json(r);
        assertThat(body.get("access_token").asText()).isNotEmpty();
        assertThat(body.get("scope").asText()).isEqualTo("repository:carol/app:pull,push");
        String refresh = body.get("refresh_token").asText();
        assertThat(refresh).startsWith("bollard_refresh_");

        HttpResponse<byte[]> refreshed = http.postForm("/v2/auth", "grant_type", "refresh_token", "refresh_token", refresh,
                "service", "bollard", "client_id", "docker", "scope", "repository:carol/app:pull,push");
        assertThat(refreshed.statusCode()).isEqualTo(200);
        String token = AuthHttp.json(refreshed).get("access_token").asText();
        http.pushImage("carol/app", "v1", bearer(token));

        // GET with offline_token=true also hands out a refresh token (docker login).
        HttpResponse<byte[]> offlineResponse = http.get("/v2/auth?service=bollard&offline_token=true&client_id=docker",
                basic("carol", "carol-password"));
        assertThat(offlineResponse.statusCode()).as(new String(offlineResponse.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        JsonNode offline = AuthHttp.json(offlineResponse);
        assertThat(offline.get("refresh_token").asText()).startsWith("bollard_refresh_");

        assertThat(http.postForm("/v2/auth", "grant_type", "refresh_token", "refresh_token", refresh + "x").statusCode())
                .isEqualTo(401);
        assertThat(http.postForm("/v2/auth", "grant_type", "password", "username", "carol", "password", "nope")
                .statusCode()).isEqualTo(401);
        assertThat(http.postForm("/v2/auth", "grant_type", "client_credentials").statusCode()).isEqualTo(400);
        // The OAuth2 form requires a grant type; without one, no token (not even an anonymous one).
        HttpResponse<byte[]> noGrant = http.postForm("/v2/auth", "service", "bollard", "scope", "repository:x/y:pull");
        assertThat(noGrant.statusCode()).isEqualTo(400);
        assertThat(new String(noGrant.body(), StandardCharsets.UTF_8)).contains("grant_type is required");
        assertThat(http.get("/v2/auth?service=elsewhere", null).statusCode()).isEqualTo(400);

        // A new password revokes refresh tokens.
        ids.users().resetPassword("carol", "carol-password-2");
        assertThat(http.postForm("/v2/auth", "grant_type", "refresh_token", "refresh_token", refresh).statusCode())
                .isEqualTo(401);
        assertThat(http.get("/v2/carol/app/tags/list", basic("carol", "carol-password")).statusCode()).isEqualTo(401);
        assertThat(http.get("/v2/carol/app/tags/list", basic("carol", "carol-password-2")).statusCode()).isEqualTo(200);
    }

    @Test
    void appTokensAndRobotTokensWorkUntilRevokedOrRegenerated() throws Exception {
        String app = ids.appTokens().create("alice", "ci");
        assertThat(http.get("/v2/alice/app/tags/list", basic("alice", app)).statusCode()).isEqualTo(200);
        assertThat(http.token(basic("alice", app), "repository:alice/app:pull")).isNotEmpty();
        assertThat(http.get("/v2/alice/app/tags/list", basic("bob", app)).statusCode())
                .as("an application token is only good with its own user").isEqualTo(401);
        ids.appTokens().revoke("alice", "ci");
        assertThat(http.get("/v2/alice/app/tags/list", basic("alice", app)).statusCode()).isEqualTo(401);

        String robot = ids.robots().create("alice", "deployer");
        ids.repositories().grant("alice/app", "alice+deployer", "read");
        assertThat(http.get("/v2/alice/app/tags/list", basic("alice+deployer", robot)).statusCode()).isEqualTo(200);
        assertThat(http.get("/v2/alice/other/tags/list", basic("alice+deployer", robot)).statusCode()).isEqualTo(403);
        String regenerated = ids.robots().regenerateToken("alice+deployer");
        assertThat(http.get("/v2/alice/app/tags/list", basic("alice+deployer", robot)).statusCode()).isEqualTo(401);
        assertThat(http.get("/v2/alice/app/tags/list", basic("alice+deployer", regenerated)).statusCode()).isEqualTo(200);
    }

    @Test
    void repeatedFailedLoginsLockTheUserOutFromThatAddress() throws Exception {
        ids.users().create("erin", "erin-password", false);
        for (int i = 0; i < 10; i++) {
            assertThat(http.get("/v2/auth?service=bollard", basic("erin", "guess-" + i)).statusCode()).isEqualTo(401);
        }
        HttpResponse<byte[]> locked = http.get("/v2/auth?service=bollard", basic("erin", "erin-password"));
        assertThat(locked.statusCode()).isEqualTo(429);
        assertThat(new String(locked.body(), StandardCharsets.UTF_8)).contains("TOOMANYREQUESTS").contains("too many failed logins");
        assertThat(locked.headers().firstValue("Retry-After")).isPresent();
        HttpResponse<byte[]> lockedOnV2 = http.get("/v2/", basic("erin", "erin-password"));
        assertThat(lockedOnV2.statusCode()).isEqualTo(429);
        assertThat(http.get("/v2/", ALICE).statusCode()).as("other users are not affected").isEqualTo(200);
    }

    @Test
    void anonymousPullsPublicRepositoriesOnly() throws Exception {
        http.pushImage("alice/pub", "v1", ALICE);
        assertThat(http.get("/v2/alice/pub/tags/list", null).statusCode()).isEqualTo(401);
        ids.repositories().setVisibility("alice/pub", true);
        assertThat(http.get("/v2/alice/pub/tags/list", null).statusCode()).isEqualTo(200);
        String anon = http.token(null, "repository:alice/pub:pull,push", "repository:alice/app:pull");
        assertThat(SignedJWT.parse(anon).getJWTClaimsSet().getSubject()).as("anonymous: empty subject").isEmpty();
        assertThat(SignedJWT.parse(anon).getJWTClaimsSet().getClaim("access")).isEqualTo(List.of(
                java.util.Map.of("type", "repository", "name", "alice/pub", "actions", List.of("pull"))));
        assertThat(http.get("/v2/alice/pub/tags/list", bearer(anon)).statusCode()).isEqualTo(200);
        assertThat(http.send("POST", "/v2/alice/pub/blobs/uploads/", bearer(anon), null).statusCode()).isEqualTo(401);
        assertThat(http.get("/v2/alice/app/tags/list", bearer(anon)).statusCode()).isEqualTo(401);
    }

    @Test
    void jwksPublishesThePublicSigningKeys() throws Exception {
        String token = http.token(ALICE, "repository:alice/app:pull");
        HttpResponse<byte[]> r = http.get("/v2/auth/jwks.json", null);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode keys = AuthHttp.json(r).get("keys");
        assertThat(keys).isNotEmpty();
        assertThat(keys.get(0).get("kid").asText()).isEqualTo(SignedJWT.parse(token).getHeader().getKeyID());
        assertThat(keys.get(0).get("kty").asText()).isEqualTo("EC");
        assertThat(keys.get(0).has("d")).as("no private part").isFalse();
    }

    @Test
    void noSecretReachesTheLog() throws Exception {
        String robot = ids.robots().create("bob", "logger");
        String app = ids.appTokens().create("bob", "log-test");
        http.get("/v2/", basic("bob", "secret-wrong-password"));
        http.get("/v2/auth?service=bollard", basic("bob+logger", robot + "x"));
        http.get("/v2/auth?service=bollard", basic("bob", app + "x"));
        String token = http.token(basic("bob", app), "repository:bob/x:pull");
        http.get("/v2/", bearer(token + "x"));
        List<String> lines;
        synchronized (logs) { // the access log appends from the server's threads (AppenderBase locks itself)
            lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("failed login for 'bob'"));
        for (String line : lines) {
            assertThat(line).doesNotContain("secret-wrong-password", robot, app, token, "bob-password");
        }
    }

    @Test
    void rotatedKeysKeepVerifyingEarlierTokens() throws Exception {
        Database db = registry.server().database();
        BollardConfig.Auth config = BollardConfig.defaults(registry.dataDir(), "127.0.0.1", 0).auth();
        Auth before = new Auth(db, config);
        Tokens.Issued old = before.tokens().issue("alice", List.of());
        String kid = new SigningKeys(db, config.keyEncryption(), Clock.systemUTC()).rotate();
        Auth after = new Auth(db, config);
        Tokens.Issued fresh = after.tokens().issue("alice", List.of());
        assertThat(SignedJWT.parse(fresh.token()).getHeader().getKeyID()).isEqualTo(kid)
                .isNotEqualTo(SignedJWT.parse(old.token()).getHeader().getKeyID());
        assertThat(after.tokens().verify(old.token()).subject()).isEqualTo("alice");
        assertThat(after.jwks()).contains(kid).contains(SignedJWT.parse(old.token()).getHeader().getKeyID());
    }
}
