package dev.bollard.jobs;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.JobLeaseDao;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A background job that one node at a time runs, across every node sharing the database: each turn takes the
 * job's lease row ({@link JobLeaseDao}), runs the work (which renews the lease through the heartbeat it is given),
 * and gives the lease up. A node that cannot take the lease skips its turn. The lease is an economy, not a safety
 * measure: the collector's deletions are safe when two runs overlap (each deletion re-checks under a row lock).
 * {@link Workers} runs an exclusive {@link Worker}'s turns through one.
 */
public final class LeasedJob {

    private static final Logger LOG = LoggerFactory.getLogger(LeasedJob.class);

    private final Database db;
    private final String name;
    private final Duration lease;
    private final Consumer<Runnable> work;
    /**
     * Names this node in {@code job_lease.holder}, so that an operator (or a test) can tell which process holds a
     * job: {@code <pid>@<host> <uuid>}, the uuid telling apart two jobs of one process and a restarted process.
     */
    private final String holder = holderName(UUID.randomUUID());

    /** {@code work} receives the heartbeat to call between steps; the lease lasts {@code lease} past each beat. */
    public LeasedJob(Database db, String name, Duration lease, Consumer<Runnable> work) {
        this.db = db;
        this.name = name;
        this.lease = lease;
        this.work = work;
    }

    /** Runs the work when this node gets the lease; true when it ran. */
    public boolean runOnce() {
        if (!renew()) {
            LOG.debug("job {}: another node holds the lease", name);
            return false;
        }
        LOG.debug("job {}: lease taken by {}", name, holder);
        try {
            work.accept(() -> {
                if (!renew()) {
                    LOG.warn("job {}: lost the lease (another node took it after it expired)", name);
                }
            });
            return true;
        } finally {
            // Logged before the release commits, so that in the logs of all nodes a job's turns never overlap.
            LOG.debug("job {}: giving up the lease of {}", name, holder);
            try {
                db.inTransaction(h -> {
                    JobLeaseDao.release(h, name, holder);
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.warn("job {}: could not release the lease: {}", name, e.toString());
            }
        }
    }

    static String holderName(UUID id) {
        String host = System.getenv("HOSTNAME");
        String node = ProcessHandle.current().pid() + "@" + (host == null || host.isBlank() ? "localhost" : host);
        // job_lease.holder is VARCHAR(128); a uuid is 36 characters.
        return (node.length() > 90 ? node.substring(0, 90) : node) + " " + id;
    }

    private boolean renew() {
        Instant now = Instant.now();
        return db.inTransaction(h -> JobLeaseDao.acquire(h, name, holder, now, now.plus(lease)));
    }
}
