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
    private final String holder = UUID.randomUUID().toString();

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
        try {
            work.accept(() -> {
                if (!renew()) {
                    LOG.warn("job {}: lost the lease (another node took it after it expired)", name);
                }
            });
            return true;
        } finally {
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

    private boolean renew() {
        Instant now = Instant.now();
        return db.inTransaction(h -> JobLeaseDao.acquire(h, name, holder, now, now.plus(lease)));
    }
}
