package dev.bollard.metadata;

import java.time.Instant;
import org.jdbi.v3.core.Handle;

/**
 * Leases of background jobs: the node holding a job's lease runs it, the others skip their turn. A lease that is
 * not renewed expires, so a node that died does not block the job for longer than the lease.
 */
public final class JobLeaseDao {
    private JobLeaseDao() {
    }

    /**
     * Takes or renews the lease of {@code job} for {@code holder} until {@code until}; true when held. The row's
     * update is atomic (one statement under its row lock), so two nodes never both succeed for an unexpired lease.
     */
    public static boolean acquire(Handle h, String job, String holder, Instant now, Instant until) {
        h.createUpdate("INSERT INTO job_lease (name, holder, expires_at) VALUES (:j, NULL, :epoch) ON CONFLICT DO NOTHING")
                .bind("j", job).bind("epoch", Instant.EPOCH).execute();
        return h.createUpdate("""
                        UPDATE job_lease SET holder = :holder, expires_at = :until
                        WHERE name = :j AND (holder IS NULL OR holder = :holder OR expires_at < :now)""")
                .bind("j", job).bind("holder", holder).bind("until", until).bind("now", now).execute() > 0;
    }

    /** Gives the lease up when {@code holder} has it. */
    public static void release(Handle h, String job, String holder) {
        h.createUpdate("UPDATE job_lease SET holder = NULL, expires_at = :epoch WHERE name = :j AND holder = :holder")
                .bind("j", job).bind("holder", holder).bind("epoch", Instant.EPOCH).execute();
    }
}
