package dev.bollard.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.audit.AuditLog;
import dev.bollard.metadata.AuditDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.OutboxDao;
import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The outbox on H2 and on a real PostgreSQL: a change is recorded with the transaction that makes it (not when that
 * rolls back), the audit log appends every committed change exactly once whoever catches up, and changes a stopped
 * process left behind are appended by the next catch-up.
 */
class OutboxTest {
    @TempDir
    Path dir;

    /** What a test opened, closed in reverse order after it (the database itself last). */
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private Database database(String kind) {
        return TestDatabase.open(kind, dir, 8, open);
    }

    private AuditLog auditLog(Database db) {
        AuditLog log = new AuditLog(db, 64);
        open.add(log);
        return log;
    }

    private static AuditEvent change(int i) {
        return AuditEvent.onRepository(new Actor(Actor.Kind.USER, "alice", "10.0.0.1", "test/1.0"), AuditActions.PUSH,
                "alice/app", Map.of("n", i));
    }

    private static List<AuditDao.Entry> chain(Database db) {
        return db.read(h -> AuditDao.ascending(h, AuditDao.Filter.ALL, 0, Long.MAX_VALUE, 100_000));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aChangeIsAuditedWhenItsTransactionCommitsAndNeverWhenItRollsBack(String kind) {
        Database db = database(kind);
        AuditLog log = auditLog(db);
        Outbox outbox = new Outbox(log::catchUp);

        db.inTransaction(h -> {
            outbox.record(h, change(1));
            return null;
        });
        // Appended on this thread once the transaction committed: visible when inTransaction returns.
        assertThat(chain(db)).extracting(AuditDao.Entry::details).containsExactly("{\"n\":1}");

        assertThatThrownBy(() -> db.inTransaction(h -> {
            outbox.record(h, change(2));
            throw new IllegalStateException("the change fails after recording");
        })).hasMessageContaining("fails");
        log.catchUp();
        assertThat(chain(db)).extracting(AuditDao.Entry::details).containsExactly("{\"n\":1}");
        List<OutboxDao.Row> pending = db.read(h -> OutboxDao.pendingAudit(h, 10));
        assertThat(pending).isEmpty();
        assertThat(log.verify().intact()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void changesLeftByAStoppedProcessAreAuditedOnceByConcurrentCatchUps(String kind) throws Exception {
        Database db = database(kind);
        // A process that recorded changes and stopped before appending them (a command line tool, a crash).
        for (int i = 0; i < 1200; i++) {
            int n = i;
            db.inTransaction(h -> {
                Outbox.RECORD_ONLY.record(h, change(n));
                return null;
            });
        }
        assertThat(chain(db)).isEmpty();

        AuditLog a = auditLog(db);
        AuditLog b = auditLog(db);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                AuditLog log = i % 2 == 0 ? a : b;
                runs.add(pool.submit(log::catchUp));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        List<AuditDao.Entry> entries = chain(db);
        assertThat(entries).hasSize(1200);
        assertThat(entries).extracting(AuditDao.Entry::details).doesNotHaveDuplicates();
        // In the order the changes were recorded.
        assertThat(entries.getFirst().details()).isEqualTo("{\"n\":0}");
        assertThat(entries.getLast().details()).isEqualTo("{\"n\":1199}");
        assertThat(a.verify().intact()).isTrue();
        assertThat(a.failed()).isZero();
    }

    @Test
    void tasksAfterACommitRunOncePerTransactionAfterTheConnectionIsFreedAndNotAfterARollback() {
        Database db = Database.open(TestDatabase.h2(dir).config(1));
        open.add(db);
        AtomicInteger runs = new AtomicInteger();
        // With one connection in the pool, a task that runs a transaction of its own would wait for ever if it ran
        // while the committing transaction still held the connection.
        Runnable task = () -> db.inTransaction(h -> runs.incrementAndGet());

        db.inTransaction(h -> {
            Database.afterCommit(h, task);
            Database.afterCommit(h, task);
            return null;
        });
        assertThat(runs).hasValue(1);

        assertThatThrownBy(() -> db.inTransaction(h -> {
            Database.afterCommit(h, task);
            throw new IllegalStateException("rolled back");
        })).hasMessage("rolled back");
        assertThat(runs).hasValue(1);
    }
}
