package dev.bollard.audit;

import dev.bollard.metadata.AuditDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.OutboxDao;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log in the metadata database, as a hash chain: entry {@code n} stores the hash of entry {@code n-1} and
 * its own hash over that and its fields, so editing or deleting any entry is detected by {@link #verify()}.
 * <p>Appends take turns on the chain's head row ({@code SELECT … FOR UPDATE}), which serializes writers in this
 * process and on every other node sharing the database; a batch of queued events is appended under one turn.
 * {@link #recordAsync} events go through a bounded queue to one writer thread; when it is full they are dropped and
 * counted. Changes committed to the outbox are appended by a second thread, woken by {@link #nudge()} after each
 * commit: many commits coalesce into one turn on the head (appending on every committing request thread made every
 * push wait for the chain's lock), and a reader ({@link #query}, {@link #verify}, …) catches up first, so it sees
 * every change committed before it asked. Retention ({@link #prune}) deletes a prefix of the chain and records where the rest starts (the anchor),
 * so what remains still verifies.
 */
public final class AuditLog implements Audit, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    /** How often the chain thread appends changes nobody nudged it for (another node's, or a node stopped in between). */
    private static final Duration CATCH_UP_EVERY = Duration.ofSeconds(5);
    /** How long audited changes stay in the outbox. */
    private static final Duration OUTBOX_KEPT = Duration.ofDays(1);
    static final String ZERO_HASH = "0".repeat(64);
    private static final int BATCH = 500;

    private final Database db;
    private final BlockingQueue<AuditEvent> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong pending = new AtomicLong();
    private final Thread writer;
    private final Thread chainer;
    private final Semaphore wake = new Semaphore(0);
    private final AtomicBoolean nudged = new AtomicBoolean();
    private volatile boolean closing;

    public AuditLog(Database db, int queueSize) {
        this.db = db;
        this.queue = new ArrayBlockingQueue<>(queueSize);
        this.writer = Thread.ofPlatform().name("bollard-audit-writer").daemon(true).start(this::writeQueued);
        this.chainer = Thread.ofPlatform().name("bollard-audit-chain").daemon(true).start(this::catchUpLoop);
    }

    /** A change was committed to the outbox: the chain thread appends it soon (nudges coalesce). Never blocks. */
    public void nudge() {
        if (!nudged.getAndSet(true)) {
            wake.release();
        }
    }

    private void catchUpLoop() {
        while (!closing) {
            catchUp(); // at once at start: changes a stopped process left in the outbox
            try {
                wake.tryAcquire(CATCH_UP_EVERY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            nudged.set(false);
        }
    }

    // ---- recording ----

    @Override
    public void record(AuditEvent event) {
        try {
            append(List.of(event));
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            LOG.error("could not write the audit entry {} of {}: {}", event.action(), event.actor().name(), e.toString());
        }
    }

    @Override
    public void recordAsync(AuditEvent event) {
        pending.incrementAndGet();
        if (closing || !queue.offer(event)) {
            pending.decrementAndGet();
            dropped.incrementAndGet();
        }
    }

    /** Events dropped because the queue was full, since start. */
    public long dropped() {
        return dropped.get();
    }

    /** Events that could not be written (database errors), since start. */
    public long failed() {
        return failed.get();
    }

    /** Events waiting in the queue. */
    public int queued() {
        return queue.size();
    }

    /**
     * Waits until every event queued so far is written (or {@code timeoutMillis} passed) and appends the changes
     * committed so far; true when it was.
     */
    public boolean flush(long timeoutMillis) {
        catchUp();
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (pending.get() > 0) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private void writeQueued() {
        List<AuditEvent> batch = new ArrayList<>(BATCH);
        while (true) {
            try {
                AuditEvent first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                try {
                    append(batch);
                } catch (RuntimeException e) {
                    failed.addAndGet(batch.size());
                    LOG.error("could not write {} queued audit entries: {}", batch.size(), e.toString());
                }
                pending.addAndGet(-batch.size());
                batch.clear();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Appends the events to the chain in one transaction, taking the head's lock. */
    void append(List<AuditEvent> events) {
        List<Unlinked> rows = new ArrayList<>(events.size());
        for (AuditEvent e : events) {
            rows.add(new Unlinked(e.time().toEpochMilli(), e.actor().kindName(),
                    e.actor().name(), e.actor().ip(), e.actor().userAgent(), e.action(), e.namespace(), e.repository(),
                    e.detailsJson()));
        }
        db.inTransaction(h -> {
            appendLocked(h, AuditDao.lockHead(h), rows);
            return null;
        });
    }

    /** An entry to append: its fields before it is numbered and linked into the chain. */
    private record Unlinked(long occurredAt, String actorKind, String actor, String ip, String userAgent,
                            String action, @Nullable String namespace, @Nullable String repository, String details) {
    }

    /** Links {@code rows} to the chain after {@code head}, which this transaction locked. */
    private static void appendLocked(Handle h, AuditDao.Head head, List<Unlinked> rows) {
        long seq = head.lastSeq();
        String prev = head.lastHash();
        for (Unlinked r : rows) {
            seq++;
            String hash = hash(prev, seq, r.occurredAt(), r.actorKind(), r.actor(), r.ip(), r.userAgent(), r.action(),
                    r.namespace(), r.repository(), r.details());
            AuditDao.insert(h, new AuditDao.Entry(seq, r.occurredAt(), r.actorKind(), r.actor(), r.ip(),
                    r.userAgent(), r.action(), r.namespace(), r.repository(), r.details(), prev, hash));
            prev = hash;
        }
        AuditDao.setHead(h, seq, prev);
    }

    /**
     * Appends the changes committed to the outbox ({@link OutboxDao}) that are not in the chain yet, oldest first,
     * each batch in the transaction that marks them audited: a change is audited exactly once, whichever node or
     * thread catches up. Runs after every transaction that recorded a change, and every few seconds for changes whose
     * process stopped before it caught up. Never throws: a failure is logged and counted, and the changes wait for the
     * next catch-up.
     */
    public void catchUp() {
        try {
            int appended;
            do {
                appended = db.inTransaction(h -> {
                    AuditDao.Head head = AuditDao.lockHead(h);
                    List<OutboxDao.Row> changes = OutboxDao.pendingAudit(h, BATCH);
                    if (changes.isEmpty()) {
                        return 0;
                    }
                    List<Unlinked> rows = new ArrayList<>(changes.size());
                    for (OutboxDao.Row c : changes) {
                        rows.add(new Unlinked(c.occurredAt(), c.actorKind(), c.actor(), c.ip(), c.userAgent(),
                                c.type(), c.namespace(), c.repository(), c.details()));
                    }
                    appendLocked(h, head, rows);
                    OutboxDao.markAudited(h, changes.stream().map(OutboxDao.Row::id).toList());
                    return changes.size();
                });
            } while (appended == BATCH);
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            LOG.error("could not append the recorded changes to the audit log (retried within {} s): {}",
                    CATCH_UP_EVERY.toSeconds(), e.toString());
        }
    }

    /**
     * The hash of an entry: SHA-256 over the previous hash and every field, each written as its length and its
     * text, so that no two different entries (a field moved into its neighbour) hash alike.
     */
    static String hash(String prevHash, long seq, AuditDao.Entry e) {
        return hash(prevHash, seq, e.occurredAt(), e.actorKind(), e.actor(), e.ip(), e.userAgent(), e.action(),
                e.namespace(), e.repository(), e.details());
    }

    private static String hash(String prevHash, long seq, long occurredAt, String actorKind, String actor, String ip,
                               String userAgent, String action, @Nullable String namespace,
                               @Nullable String repository, String details) {
        StringBuilder s = new StringBuilder();
        for (String field : new String[] {prevHash, Long.toString(seq), Long.toString(occurredAt), actorKind,
                actor, ip, userAgent, action, namespace, repository, details}) {
            if (field == null) {
                s.append("-1:");
            } else {
                s.append(field.length()).append(':').append(field);
            }
            s.append('|');
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    // ---- verification ----

    /** The outcome of {@link #verify()}: how many entries were checked, and every problem found (none: intact). */
    public record Verification(long checked, long firstSeq, long lastSeq, List<String> problems) {
        public boolean intact() {
            return problems.isEmpty();
        }
    }

    /**
     * Checks the whole chain from the anchor to the head: links, hashes, and that no entry is missing. It reads one
     * snapshot, so appends and pruning going on meanwhile cannot look like deletions.
     */
    public Verification verify() {
        catchUp();
        return db.readSnapshot(h -> {
            AuditDao.Head head = AuditDao.head(h);
            List<String> problems = new ArrayList<>();
            long expectedSeq = head.anchorSeq() + 1;
            String expectedPrev = head.anchorHash();
            long checked = 0;
            long after = head.anchorSeq();
            while (problems.size() < 100) {
                List<AuditDao.Entry> page = AuditDao.ascending(h, AuditDao.Filter.ALL, after, head.lastSeq(), 1000);
                if (page.isEmpty()) {
                    break;
                }
                for (AuditDao.Entry e : page) {
                    if (e.seq() != expectedSeq) {
                        problems.add(expectedSeq == e.seq() - 1 ? "entry " + expectedSeq + " is missing (deleted)"
                                : "entries " + expectedSeq + " to " + (e.seq() - 1) + " are missing (deleted)");
                    } else if (!e.prevHash().equals(expectedPrev)) {
                        problems.add("entry " + e.seq() + " does not link to entry " + (e.seq() - 1)
                                + " (its previous-hash differs)");
                    }
                    if (!hash(e.prevHash(), e.seq(), e).equals(e.hash())) {
                        problems.add("entry " + e.seq() + " was altered (its content does not match its hash)");
                    }
                    expectedSeq = e.seq() + 1;
                    expectedPrev = e.hash();
                    after = e.seq();
                    checked++;
                }
            }
            if (problems.size() < 100) { // the whole chain was read
                if (expectedSeq - 1 < head.lastSeq()) {
                    problems.add(expectedSeq == head.lastSeq() ? "entry " + expectedSeq + " is missing (deleted)"
                            : "entries " + expectedSeq + " to " + head.lastSeq() + " are missing (deleted)");
                } else if (!expectedPrev.equals(head.lastHash())) {
                    problems.add("the last entry " + head.lastSeq() + " does not match the chain's head");
                }
            }
            return new Verification(checked, head.anchorSeq() + 1, head.lastSeq(), List.copyOf(problems));
        });
    }

    // ---- queries ----

    /** Entries matching {@code filter} older than {@code beforeSeq} (null: the newest), newest first. */
    public List<AuditDao.Entry> query(AuditDao.Filter filter, @Nullable Long beforeSeq, int limit) {
        catchUp();
        return db.read(h -> AuditDao.query(h, filter, beforeSeq, limit));
    }

    /** Entries matching {@code filter} with {@code after < seq <= upTo}, oldest first (exports). */
    public List<AuditDao.Entry> ascending(AuditDao.Filter filter, long after, long upTo, int limit) {
        return db.read(h -> AuditDao.ascending(h, filter, after, upTo, limit));
    }

    /** Something that takes a page of entries and may fail writing it. */
    @FunctionalInterface
    public interface PageConsumer {
        void accept(List<AuditDao.Entry> page) throws IOException;
    }

    /**
     * Hands every entry matching {@code filter}, oldest first, to {@code consumer} a page at a time, up to the head as
     * it was when the walk began (exports: never the whole log in memory).
     */
    public void forEachPage(AuditDao.Filter filter, PageConsumer consumer) throws IOException {
        Verification bounds = bounds();
        long after = bounds.firstSeq() - 1;
        while (true) {
            List<AuditDao.Entry> page = ascending(filter, after, bounds.lastSeq(), 1000);
            if (page.isEmpty()) {
                return;
            }
            consumer.accept(page);
            after = page.getLast().seq();
        }
    }

    /** The range of entries kept now: {@code firstSeq} (after the anchor) to {@code lastSeq}, nothing checked. */
    public Verification bounds() {
        catchUp();
        AuditDao.Head head = db.read(AuditDao::head);
        return new Verification(0, head.anchorSeq() + 1, head.lastSeq(), List.of());
    }

    // ---- retention ----

    /**
     * Deletes the entries that happened before {@code before}, keeping the chain verifiable: the hash of the last
     * deleted entry becomes the anchor the rest links to. The pruning itself is recorded. Returns how many went. Changes
     * in the outbox are deleted a day after they were audited (and published as events).
     */
    public int prune(Instant before) {
        db.inTransaction(h -> OutboxDao.deleteAuditedBefore(h, Instant.now().minus(OUTBOX_KEPT).toEpochMilli()));
        int deleted = db.inTransaction(h -> {
            AuditDao.Head head = AuditDao.lockHead(h);
            var last = AuditDao.lastBefore(h, before.toEpochMilli());
            if (last.isEmpty() || last.get().seq() <= head.anchorSeq()) {
                return 0;
            }
            int n = AuditDao.deleteUpTo(h, last.get().seq());
            AuditDao.setAnchor(h, last.get().seq(), last.get().hash());
            return n;
        });
        if (deleted > 0) {
            record(AuditEvent.onNamespace(Actor.system("retention"), AuditActions.AUDIT_PRUNE, null,
                    Map.of("deleted", deleted, "before", before.toString())));
        }
        return deleted;
    }

    /**
     * Writes what is queued and waits for the writer to finish what it is doing (a catch-up, say), so that it never
     * works on a database its owner closes next (a command-line run printed its failure after its own output).
     */
    @Override
    public void close() {
        closing = true;
        flush(10_000);
        // The writer ends by itself within its poll once closing; interrupting it mid-transaction would fail the
        // commit (H2 closes its file on an interrupt), so it is interrupted only if it does not end in time.
        wake.release();
        try {
            writer.join(5_000);
            chainer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writer.interrupt();
        chainer.interrupt();
    }
}
