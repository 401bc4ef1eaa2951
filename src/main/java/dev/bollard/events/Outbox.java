package dev.bollard.events;

import dev.bollard.audit.AuditEvent;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.OutboxDao;
import org.jdbi.v3.core.Handle;

/**
 * The one place where the registry's use cases report the changes they make: {@link #record} writes the change to
 * the outbox table in the caller's transaction, so it is committed or rolled back with the change itself. Nothing
 * else (no HTTP handler, no page, no command) reports changes.
 * <p>What reads the outbox runs after the commit: the audit log appends every change to its hash chain (at once, on
 * the committing thread once the transaction committed ({@link Database#afterCommit}); and by a periodic catch-up for a process that stopped between
 * the commit and the append), and event deliveries read the same rows.
 * <p>Security events that are not changes (logins, tokens issued, pulls) go to {@link dev.bollard.audit.Audit}
 * directly: they have no transaction to join.
 */
public class Outbox {
    /** An outbox that only records (tools and tests): the rows are audited by the next registry that catches up. */
    public static final Outbox RECORD_ONLY = new Outbox(() -> { });

    /**
     * An outbox that records nothing: for setting up a test's accounts and repositories, whose creation the test
     * does not observe. Nothing that serves clients or runs an operator's command uses it.
     */
    public static final Outbox NONE = new Outbox(() -> { }) {
        @Override
        public void record(Handle h, AuditEvent change) {
        }
    };

    private final Runnable afterCommit;

    /** {@code afterCommit} runs once after each transaction that recorded changes commits (the audit log's catch-up). */
    public Outbox(Runnable afterCommit) {
        this.afterCommit = afterCommit;
    }

    /** Records {@code change} as part of the transaction of {@code h}. */
    public void record(Handle h, AuditEvent change) {
        OutboxDao.insert(h, new OutboxDao.Row(0, change.time().toEpochMilli(), change.action(),
                change.actor().kindName(), change.actor().name(), change.actor().ip(),
                change.actor().userAgent(), change.namespace(), change.repository(), change.detailsJson()));
        Database.afterCommit(h, afterCommit);
    }
}
