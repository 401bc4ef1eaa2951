package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Every kind of secret (passwords, right and wrong; application, robot, refresh and bearer tokens) goes through every
 * way in (/v2 Basic and bearer, the token endpoint's GET and OAuth2 POST, /api/v1 Basic and bearer, creation and
 * regeneration answers), with Bollard's loggers at TRACE; no captured log event (its message, exception, arguments,
 * MDC and key-value fields), and no audit log entry, contains any — nor any {@code Authorization} value the test sent:
 * the base64 of {@code user:secret} of each Basic header, the token of each Bearer header.
 */
class NoSecretsInLogsTest {
    @TempDir
    Path dir;

    /** Every secret the test used, in each form it went over the wire. */
    private final List<String> secrets = new ArrayList<>();

    /** An {@code Authorization: Basic} value, its base64 credential recorded as a secret. */
    private String basic(String user, String secret) {
        String header = AuthHttp.basic(user, secret);
        secrets.add(header.substring("Basic ".length()));
        return header;
    }

    /** An {@code Authorization: Bearer} value, its token recorded as a secret. */
    private String bearer(String token) {
        secrets.add(token);
        return AuthHttp.bearer(token);
    }

    private HttpResponse<byte[]> json(AuthHttp http, String method, String path, String auth, String body) throws Exception {
        return http.send(method, path, auth, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json");
    }

    @Test
    void noSecretReachesALogLineOrTheAuditLog() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger bollard = context.getLogger("dev.bollard");
        Level before = bollard.getLevel();
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.setContext(context);
        captured.start();
        root.addAppender(captured);
        bollard.setLevel(Level.TRACE);
        try (TestRegistry registry = TestRegistry.startWithAuth(dir.resolve("data"));
             AuthHttp http = new AuthHttp(registry.baseUri())) {
            String rootPassword = "root-Secret-4711";
            String alicePassword = "alice-Secret-0815";
            String wrongPassword = "wrong-Secret-1234";
            secrets.addAll(List.of(rootPassword, alicePassword, wrongPassword));
            new Identities(registry.server().database()).users().create("root", rootPassword, true);
            String rootAuth = basic("root", rootPassword);

            AuthHttp.expect(json(http, "POST", "/api/v1/users", rootAuth,
                    "{\"name\":\"alice\",\"password\":\"" + alicePassword + "\"}"), 201);
            String alice = basic("alice", alicePassword);
            String newPassword = "alice-Secret-Again-99";
            secrets.add(newPassword);
            AuthHttp.expect(json(http, "PUT", "/api/v1/users/alice/password", alice,
                    "{\"password\":\"" + newPassword + "\",\"current_password\":\"" + alicePassword + "\"}"), 204);
            AuthHttp.expect(json(http, "PUT", "/api/v1/users/alice/password", basic("alice", newPassword),
                    "{\"password\":\"" + wrongPassword + "\",\"current_password\":\"" + wrongPassword + "\"}"), 403);
            alice = basic("alice", newPassword);
            AuthHttp.expect(json(http, "GET", "/api/v1/me", basic("alice", wrongPassword), null), 401);
            AuthHttp.expect(http.get("/v2/_catalog", basic("alice", wrongPassword)), 401);

            String appToken = AuthHttp.json(AuthHttp.expect(json(http, "POST", "/api/v1/users/alice/tokens", alice,
                    "{\"name\":\"cli\"}"), 201)).get("token").asText();
            secrets.add(appToken);
            AuthHttp.expect(json(http, "GET", "/api/v1/me", bearer(appToken), null), 200);
            http.pushImage("alice/app", "v1", basic("alice", appToken));

            JsonNode robot = AuthHttp.json(AuthHttp.expect(json(http, "POST", "/api/v1/namespaces/alice/robots", alice,
                    "{\"name\":\"ci\"}"), 201));
            secrets.add(robot.get("token").asText());
            AuthHttp.expect(json(http, "PUT", "/api/v1/repositories/alice/app/-/permissions/robot/alice+ci", alice,
                    "{\"role\":\"read\"}"), 200);
            AuthHttp.expect(http.send("GET", "/v2/alice/app/manifests/v1", basic("alice+ci", robot.get("token").asText()),
                    null, "Accept", AuthHttp.OCI_MANIFEST), 200);
            String regenerated = AuthHttp.json(AuthHttp.expect(json(http, "POST",
                    "/api/v1/namespaces/alice/robots/ci/regenerate", alice, null), 200)).get("token").asText();
            secrets.add(regenerated);
            AuthHttp.expect(http.get("/v2/alice/app/tags/list", basic("alice+ci", robot.get("token").asText())), 401);

            String jwt = http.token(alice, "repository:alice/app:pull");
            secrets.add(jwt);
            AuthHttp.expect(http.get("/v2/alice/app/tags/list", bearer(jwt)), 200);
            AuthHttp.expect(http.get("/v2/alice/app/tags/list", bearer(jwt + "x")), 401);

            JsonNode oauth = AuthHttp.json(AuthHttp.expect(http.postForm("/v2/auth", "grant_type", "password",
                    "username", "alice", "password", newPassword, "service", "bollard", "scope",
                    "repository:alice/app:pull"), 200));
            String refresh = oauth.get("refresh_token").asText();
            secrets.add(refresh);
            secrets.add(oauth.get("access_token").asText());
            AuthHttp.expect(http.postForm("/v2/auth", "grant_type", "refresh_token", "refresh_token", refresh,
                    "service", "bollard"), 200);
            AuthHttp.expect(http.postForm("/v2/auth", "grant_type", "password", "username", "alice", "password",
                    wrongPassword, "service", "bollard"), 401);
            AuthHttp.expect(json(http, "GET", "/api/v1/me", bearer("bollard_app_" + wrongPassword), null), 401);
            AuthHttp.expect(json(http, "DELETE", "/api/v1/users/alice/tokens/cli", alice, null), 204);
            AuthHttp.expect(json(http, "GET", "/api/v1/me", bearer(appToken), null), 401);

            assertThat(registry.server().audit().flush(10_000)).isTrue();
            String audit = new String(AuthHttp.expect(http.get("/api/v1/audit/export", rootAuth), 200).body(),
                    StandardCharsets.UTF_8);
            assertThat(audit).contains("login.failure").contains("token.issued");
            for (String secret : secrets) {
                assertThat(audit).as("the audit log holds a secret").doesNotContain(secret);
            }
        } finally {
            root.detachAppender(captured);
            bollard.setLevel(before);
        }
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : captured.list) {
            lines.add(e.getLoggerName() + " " + e.getFormattedMessage()
                    + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy()))
                    + " args=" + Arrays.deepToString(e.getArgumentArray()) + " mdc=" + e.getMDCPropertyMap()
                    + " kv=" + e.getKeyValuePairs());
        }
        assertThat(lines).as("captured log lines").anyMatch(l -> l.contains("failed login for 'alice'"));
        assertThat(lines).anyMatch(l -> l.startsWith("bollard.access"));
        assertThat(lines).as("events with MDC fields (the request id), so those are scanned too")
                .anyMatch(l -> !l.contains(" mdc={} "));
        for (String line : lines) {
            for (String secret : secrets) {
                assertThat(line).as("a log line holds a secret").doesNotContain(secret);
            }
        }
    }
}
