package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.audit.Audit;
import dev.bollard.auth.Credentials.Login;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.metadata.Database;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verified-password cache: a password that passed Argon2id is not derived again within its TTL, but only while
 * the user's stored hash is the one it matched (so a change or reset on any node ends it), never for a wrong
 * password, and never past a lockout; the bound on concurrent derivations answers "busy" instead of queueing forever.
 */
class PasswordCacheTest {
    private static final Duration TTL = Duration.ofMinutes(5);

    @TempDir
    Path dir;
    private Database db;
    private Identities identities;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T12:00:00Z"));

    @BeforeEach
    void open() {
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.toString()).load();
        db = Database.open(config.database());
        identities = new Identities(db);
        identities.users().create("alice", "alice-password", false);
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** One node's credential checks (its own cache, its own per-process key), locking out after 3 failures. */
    private Credentials node() {
        return new Credentials(db, new LoginThrottle(db, 3, 100, Duration.ofMinutes(15), clock), Audit.NONE, TTL, clock);
    }

    private static boolean ok(Login login) {
        return login instanceof Login.Ok;
    }

    @Test
    void aVerifiedPasswordIsDerivedOnceAndAWrongOneEveryTime() {
        Credentials node = node();
        assertThat(ok(node.login("alice", "alice-password", "10.0.0.1", null))).isTrue();
        assertThat(ok(node.login("alice", "alice-password", "10.0.0.2", null))).isTrue();
        assertThat(ok(node.loginBasic("Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=", "10.0.0.3", null))).isTrue();
        assertThat(node.passwordDerivations()).as("one Argon2id derivation for three logins").isEqualTo(1);

        assertThat(node.login("alice", "alice-passwore", "10.0.0.1", null)).isInstanceOf(Login.Failed.class);
        assertThat(node.login("alice", "alice-passwore", "10.0.0.1", null)).isInstanceOf(Login.Failed.class);
        assertThat(node.passwordDerivations()).as("a wrong password is derived every time").isEqualTo(3);
        assertThat(node.login("alice", "", "10.0.0.1", null)).isInstanceOf(Login.Failed.class);
    }

    @Test
    void aPasswordChangeOnAnotherNodeEndsTheCachedOneAtOnce() {
        Credentials nodeA = node();
        Credentials nodeB = node();
        assertThat(ok(nodeA.login("alice", "alice-password", "10.0.0.1", null))).isTrue();
        identities.users().resetPassword("alice", "new-password"); // through the database, as node B's API would
        assertThat(nodeA.login("alice", "alice-password", "10.0.0.1", null)).isInstanceOf(Login.Failed.class);
        assertThat(ok(nodeA.login("alice", "new-password", "10.0.0.1", null))).isTrue();
        assertThat(ok(nodeB.login("alice", "new-password", "10.0.0.1", null))).isTrue();

        // Reset to the very same password: a new salt, a new hash, so still a miss (derived again).
        long before = nodeA.passwordDerivations();
        identities.users().resetPassword("alice", "new-password");
        assertThat(ok(nodeA.login("alice", "new-password", "10.0.0.1", null))).isTrue();
        assertThat(nodeA.passwordDerivations() - before).isEqualTo(1);

        identities.users().delete("alice");
        assertThat(nodeA.login("alice", "new-password", "10.0.0.1", null)).isInstanceOf(Login.Failed.class);
    }

    @Test
    void aCachedPasswordExpiresAfterItsTtl() {
        Credentials node = node();
        assertThat(ok(node.login("alice", "alice-password", "10.0.0.1", null))).isTrue();
        clock.advance(TTL.minusSeconds(1));
        assertThat(ok(node.login("alice", "alice-password", "10.0.0.1", null))).isTrue();
        assertThat(node.passwordDerivations()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(ok(node.login("alice", "alice-password", "10.0.0.1", null))).isTrue();
        assertThat(node.passwordDerivations()).as("derived again after the TTL").isEqualTo(2);
    }

    @Test
    void aLockoutRefusesEvenACachedPassword() {
        Credentials node = node();
        assertThat(ok(node.login("alice", "alice-password", "10.0.0.1", null))).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(node.login("alice", "guess-" + i, "10.0.0.1", null)).isInstanceOf(Login.Failed.class);
        }
        assertThat(node.login("alice", "alice-password", "10.0.0.1", null)).isInstanceOf(Login.Locked.class);
        assertThat(ok(node.login("alice", "alice-password", "10.0.0.2", null))).isTrue();
    }

    @Test
    void whenEveryDerivationSlotStaysTakenALoginIsBusyButACachedPasswordStillWorks() {
        Credentials node = node();
        assertThat(ok(node.login("alice", "alice-password", "10.0.0.1", null))).isTrue();
        int taken = Passwords.SLOTS.drainPermits();
        try {
            long start = System.nanoTime();
            assertThat(node.login("mallory-" + start, "guess", "10.0.0.9", null)).isInstanceOf(Login.Busy.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Passwords.MAX_WAIT);
            assertThat(node.login("alice", "other-guess", "10.0.0.9", null)).isInstanceOf(Login.Busy.class);
            assertThat(ok(node.login("alice", "alice-password", "10.0.0.1", null))).as("served from the cache").isTrue();
        } finally {
            Passwords.SLOTS.release(taken);
        }
        // Busy was not counted as failed logins: no lockout from 10.0.0.9.
        assertThat(ok(node.login("alice", "alice-password", "10.0.0.9", null))).isTrue();
    }
}
