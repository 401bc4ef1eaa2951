package dev.bollard.mirror;

import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.events.Outbox;
import dev.bollard.jobs.LeasedJob;
import dev.bollard.jobs.Worker;
import dev.bollard.json.Json;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.MirrorDao;
import dev.bollard.proxy.UpstreamFailure;
import dev.bollard.registry.Registry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the mirrors' syncs when they are due (their interval after the last run, or at once after "sync now"). Every
 * node runs this worker; a sync runs under its mirror's lease ({@link LeasedJob} {@code mirror-<id>}), so one node at a
 * time runs it and a dead node's sync is taken up by another once its lease lapsed. Each sync runs on its own thread
 * (a long sync does not hold up the others); a turn only starts those that are due and not running here.
 * <p>A run is a row of history: 'running' with its counts as it goes, then 'succeeded', 'partial' (some tags failed),
 * 'failed' (the upstream could not list the tags) or 'interrupted' (the node stopped; the next run marks one a dead
 * node left). Its end is recorded in the outbox as {@code mirror.sync.succeeded} or {@code mirror.sync.failed}, so
 * audited and published as an event. {@link #close()} aborts the syncs running here; they go on next time.
 */
public final class MirrorWorker extends Worker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MirrorWorker.class);
    /** How often a node looks for due mirrors. */
    public static final Duration POLL = Duration.ofSeconds(5);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_FAILURES_IN_EVENT = 20;

    private final Mirrors mirrors;
    private final Registry registry;
    private final Database db;
    private final Outbox outbox;
    /** A sync's lease ({@code mirror.sync-lease}): renewed after each blob and tag, so it lapses this long after a node died. */
    private final Duration lease;
    private final Map<Long, Thread> running = new ConcurrentHashMap<>();
    /** The syncs running here by run id, whose counts {@link #progress} writes. */
    private final Map<Long, MirrorSync> current = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public MirrorWorker(Mirrors mirrors, Registry registry, Database db, Outbox outbox, Duration poll, Duration lease) {
        super("mirror-sync", Schedule.every(poll));
        this.lease = lease;
        this.mirrors = mirrors;
        this.registry = registry;
        this.db = db;
        this.outbox = outbox;
    }

    @Override
    protected void turn(Runnable heartbeat) {
        List<Long> due = db.read(h -> MirrorDao.due(h, System.currentTimeMillis()));
        for (long id : due) {
            if (closed || running.containsKey(id)) {
                continue;
            }
            Thread t = Thread.ofVirtual().name("bollard-mirror-sync-" + id).unstarted(() -> {
                try {
                    new LeasedJob(db, "mirror-" + id, lease, beat -> syncIfDue(id, beat)).runOnce();
                } catch (RuntimeException e) {
                    LOG.warn("mirror sync {} failed", id, e);
                } finally {
                    running.remove(id);
                }
            });
            if (running.putIfAbsent(id, t) == null) {
                t.start();
            }
        }
    }

    /** Looks for due mirrors now rather than at the next turn (after "sync now"), on a thread of its own. */
    public void wake() {
        if (!closed) {
            Thread.ofVirtual().name("bollard-mirror-wake").start(() -> {
                try {
                    turn(() -> { });
                } catch (RuntimeException e) {
                    LOG.warn("looking for due mirrors failed", e);
                }
            });
        }
    }

    /** Runs mirror {@code id}'s sync now, on this thread, when it is due (tests; the worker's threads). */
    void syncIfDue(long id, Runnable heartbeat) {
        long now = System.currentTimeMillis();
        Optional<MirrorDao.Row> found = db.read(h -> MirrorDao.byId(h, id));
        if (found.isEmpty() || !found.get().enabled() || found.get().nextRunAt() > now) {
            return; // another node ran it just before this one took the lease, or it changed
        }
        MirrorDao.Row mirror = found.get();
        long runId = db.inTransaction(h -> {
            int interrupted = MirrorDao.interruptRunning(h, id, now);
            if (interrupted > 0) {
                LOG.info("mirror {}: a sync a stopped node left unfinished goes on now", mirror.repository());
            }
            return MirrorDao.startRun(h, id, MirrorDao.requested(h, id) ? "requested" : "scheduled", now);
        });
        MirrorSync sync = new MirrorSync(registry, db, mirror, mirrors.clientOf(mirror), heartbeat,
                () -> progress(runId, id, now));
        this.current.put(runId, sync);
        try {
            MirrorSync.Outcome outcome = sync.run();
            if (closed || Thread.currentThread().isInterrupted()) {
                interrupted(runId, id, now, sync); // what failed may have failed because the node is stopping
                return;
            }
            finish(mirror, runId, now, outcome.failures().isEmpty() ? "succeeded" : "partial", outcome);
        } catch (UpstreamFailure e) {
            finish(mirror, runId, now, "failed", sync.outcome(e.getMessage()));
        } catch (InterruptedException e) {
            interrupted(runId, id, now, sync); // the flag stays cleared: H2 closes a database a write is interrupted in
        } catch (RuntimeException e) {
            if (Thread.currentThread().isInterrupted() || closed) {
                interrupted(runId, id, now, sync);
            } else {
                finish(mirror, runId, now, "failed", sync.outcome(e.toString()));
                throw e;
            }
        } finally {
            this.current.remove(runId);
        }
    }

    private void progress(long runId, long mirrorId, long startedAt) {
        MirrorSync sync = current.get(runId);
        if (sync != null) {
            db.inTransaction(h -> {
                MirrorDao.updateRun(h, row(runId, mirrorId, "running", startedAt, null, sync.outcome(null)));
                return null;
            });
        }
    }

    private void interrupted(long runId, long mirrorId, long startedAt, MirrorSync sync) {
        LOG.info("mirror sync {} stopped with the node; the next run goes on from what it stored", runId);
        db.inTransaction(h -> {
            MirrorDao.updateRun(h, row(runId, mirrorId, "interrupted", startedAt, System.currentTimeMillis(),
                    sync.outcome("the node stopped during the sync; the next run goes on from what it stored")));
            return null;
        });
    }

    /** The run's end, the next run scheduled, and the event, in one transaction. */
    private void finish(MirrorDao.Row mirror, long runId, long startedAt, String status, MirrorSync.Outcome o) {
        long end = System.currentTimeMillis();
        db.inTransaction(h -> {
            MirrorDao.updateRun(h, row(runId, mirror.id(), status, startedAt, end, o));
            MirrorDao.scheduleAfterRun(h, mirror.id(), mirror.nextRunAt(), Mirrors.nextRun(mirror, end));
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("run", runId);
            details.put("status", status);
            details.put("upstream", mirror.url() + mirror.upstreamRepository());
            details.put("duration_ms", end - startedAt);
            details.put("bytes", o.bytes());
            details.put("tags_copied", o.tagsCopied());
            details.put("tags_unchanged", o.tagsUnchanged());
            details.put("tags_failed", o.failures().size());
            details.put("tags_deleted", o.tagsDeleted());
            details.put("failures", o.failures().subList(0, Math.min(o.failures().size(), MAX_FAILURES_IN_EVENT)));
            if (o.message() != null) {
                details.put("message", o.message());
            }
            outbox.record(h, AuditEvent.onRepository(Mirrors.ACTOR, status.equals("succeeded")
                    ? AuditActions.MIRROR_SYNC_SUCCEEDED : AuditActions.MIRROR_SYNC_FAILED, mirror.repository(),
                    details));
            return null;
        });
        LOG.info("mirror {}: sync {} {} in {} ms: {} tags copied, {} unchanged, {} failed, {} deleted, {} bytes",
                mirror.repository(), runId, status, end - startedAt, o.tagsCopied(), o.tagsUnchanged(),
                o.failures().size(), o.tagsDeleted(), o.bytes());
    }

    private static MirrorDao.Run row(long runId, long mirrorId, String status, long startedAt, @Nullable Long end,
                                     MirrorSync.Outcome o) {
        String failures;
        try {
            failures = Json.MAPPER.writeValueAsString(o.failures());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            failures = "[]";
        }
        return new MirrorDao.Run(runId, mirrorId, "", status, startedAt, end, o.bytes(), o.blobsCopied(),
                o.blobsMounted(), o.tagsCopied(), o.tagsUnchanged(), o.failures().size(), o.tagsDeleted(),
                o.referrers(), failures, o.message());
    }

    /** Aborts the syncs running on this node and waits a little for them to record that they stopped. */
    @Override
    public void close() {
        closed = true;
        // Aborted, not interrupted: an interrupt in the middle of H2's file I/O closes the embedded database.
        current.values().forEach(MirrorSync::abort);
        long end = System.nanoTime() + STOP_TIMEOUT.toNanos();
        for (Thread t : running.values()) {
            try {
                long left = end - System.nanoTime();
                if (left > 0) {
                    t.join(Duration.ofNanos(left));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
