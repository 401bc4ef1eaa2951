package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditLog;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.AuditDao;
import dev.bollard.metadata.Database;
import dev.bollard.secrets.KeyEncryption;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Auth#logIn}, the sign-in of the web UI: checked, throttled and audited like every other login. */
class InteractiveLoginTest {
    @TempDir
    Path dir;

    @Test
    void logInChecksThrottlesAndAudits() {
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.toString()).set("auth.max-login-failures", "2")
                .load();
        try (Database db = Database.open(config.database()); AuditLog audit = new AuditLog(db, 100)) {
            Auth auth = new Auth(db, config.auth(), KeyEncryption.load(config.auth().keyEncryption()), audit,
                    new Outbox(audit::catchUp));
            auth.identities().users().create("alice", "alice-password", false);
            assertThat(auth.logIn("alice", "alice-password", "10.0.0.1", "browser/1"))
                    .isEqualTo(new Auth.LoginResult.Ok(new Principal.User(1, "alice", false)));
            assertThat(auth.logIn("alice", "nope-nope", "10.0.0.1", "browser/1")).isInstanceOf(Auth.LoginResult.Failed.class);
            assertThat(auth.logIn("alice", "nope-nope", "10.0.0.1", "browser/1")).isInstanceOf(Auth.LoginResult.Failed.class);
            assertThat(auth.logIn("alice", "alice-password", "10.0.0.1", "browser/1"))
                    .isInstanceOf(Auth.LoginResult.Locked.class);
            assertThat(auth.logIn("alice", "alice-password", "10.0.0.2", "browser/1"))
                    .isInstanceOf(Auth.LoginResult.Ok.class);
            assertThat(auth.user(1)).isPresent(); // locked out from one address, not disabled

            List<String> actions = audit.query(new AuditDao.Filter(null, "login.", null, null, null, null), null, 100).stream()
                    .map(e -> e.action() + " " + e.ip() + " " + e.userAgent()).toList();
            assertThat(actions).containsExactly(
                    AuditActions.LOGIN_SUCCESS + " 10.0.0.2 browser/1",
                    AuditActions.LOGIN_FAILURE + " 10.0.0.1 browser/1",
                    AuditActions.LOGIN_FAILURE + " 10.0.0.1 browser/1",
                    AuditActions.LOGIN_FAILURE + " 10.0.0.1 browser/1",
                    AuditActions.LOGIN_SUCCESS + " 10.0.0.1 browser/1");
        }
    }
}
