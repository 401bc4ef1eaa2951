package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditLog;
import dev.bollard.error.BollardException;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.AuditDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.OutboxDao;
import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Administration records its changes in the transaction that makes them: a change is in the audit log by the time
 * the call returns, a refused change leaves nothing behind, and a call that changes nothing records nothing.
 */
class IdentitiesChangesTest {
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

    private List<String> actions() {
        return db.read(h -> AuditDao.ascending(h, AuditDao.Filter.ALL, 0, Long.MAX_VALUE, 1000)).stream()
                .map(AuditDao.Entry::action).toList();
    }

    private int pending() {
        return db.read(h -> OutboxDao.pendingAudit(h, 1000)).size();
    }

    @Test
    void aChangeIsAuditedWhenTheCallReturns() {
        identities.users().create("alice", "alice-password", false);
        identities.organizations().create("acme", "alice");

        assertThat(actions()).containsExactly(AuditActions.USER_CREATE, AuditActions.ORG_CREATE);
        assertThat(pending()).isZero();
    }

    @Test
    void aRefusedChangeLeavesNoRecord() {
        identities.users().create("alice", "alice-password", false);

        assertThatThrownBy(() -> identities.organizations().create("alice", "alice")).isInstanceOf(BollardException.class);
        assertThatThrownBy(() -> identities.teams().delete("nowhere", "team")).isInstanceOf(BollardException.class);

        assertThat(actions()).containsExactly(AuditActions.USER_CREATE);
        assertThat(pending()).isZero();
    }

    /**
     * A grant on a repository that does not exist yet creates it, with the grant, in one transaction: refused for an
     * unknown grantee or role, it leaves no empty repository behind.
     */
    @Test
    void aRefusedGrantCreatesNoRepository() {
        identities.users().create("alice", "alice-password", false);
        identities.organizations().create("acme", "alice");

        assertThatThrownBy(() -> identities.repositories().grant("acme/app", "nobody", "write"))
                .isInstanceOf(BollardException.class).hasMessageContaining("nobody");
        assertThatThrownBy(() -> identities.repositories().grantTeam("acme/app", "no-team", "write"))
                .isInstanceOf(BollardException.class).hasMessageContaining("no-team");
        assertThatThrownBy(() -> identities.repositories().grant("acme/app", "alice", "owner"))
                .isInstanceOf(BollardException.class);
        assertThat(identities.repositories().find("acme/app")).isEmpty();
        assertThat(actions()).containsExactly(AuditActions.USER_CREATE, AuditActions.ORG_CREATE);

        identities.repositories().grant("acme/app", "alice", "write");
        assertThat(identities.repositories().find("acme/app")).isPresent();
        assertThat(actions()).containsExactly(AuditActions.USER_CREATE, AuditActions.ORG_CREATE,
                AuditActions.REPO_CREATE, AuditActions.PERMISSION_SET);
    }

    @Test
    void aCallThatChangesNothingRecordsNothing() {
        identities.users().create("alice", "alice-password", false);
        identities.organizations().create("acme", "alice");
        identities.teams().create("acme", "devs", "member", null);
        identities.teams().addMember("acme", "devs", "alice");
        identities.teams().addMember("acme", "devs", "alice");
        assertThat(identities.appTokens().revoke("alice", "never-made")).isFalse();

        assertThat(actions()).containsExactly(AuditActions.USER_CREATE, AuditActions.ORG_CREATE,
                AuditActions.TEAM_CREATE, AuditActions.TEAM_MEMBER_ADD);
    }
}
