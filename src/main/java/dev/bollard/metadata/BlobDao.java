package dev.bollard.metadata;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/** Blobs whose bytes are stored, and their links to repositories. */
public final class BlobDao {
    private BlobDao() {
    }

    /** Records a verified blob as live (the store holds its bytes); a recorded one is made live and touched. */
    public static void recordBlob(Handle h, String digest, long size) {
        recordLive(h, digest, size, lock(h, digest).isPresent());
    }

    /**
     * Before the bytes of an upload are committed to the store: claims the blob's row for the upload, live and
     * touched now, under its row lock (inserting it, for {@code size} bytes, when the blob is new). A blob the
     * collector had marked {@code deleting} (unreferenced, bytes about to go) is taken back before the collector
     * deletes its bytes, since the collector deletes bytes only while it holds the row locked and still finds it
     * {@code deleting}; a touched blob is not marked again for the grace period, so the bytes the store keeps for
     * this upload (it drops a staged copy when the blob file exists) stay; and the row of a new blob keeps the
     * collector's sweep of unrecorded files away from the file this upload is about to commit. Until the upload
     * links it, nothing reaches the row; an upload that fails leaves it unlinked, for the collector.
     */
    public static void reclaimForUpload(Handle h, String digest, long size) {
        while (true) {
            Instant now = Instant.now();
            if (h.createUpdate("UPDATE blob SET state = 'live', touched_at = :now WHERE digest = :d")
                    .bind("d", digest).bind("now", now).execute() > 0) {
                return;
            }
            if (h.createUpdate("""
                            INSERT INTO blob (digest, size, created_at, touched_at, state) VALUES (:d, :size, :now, :now, 'live')
                            ON CONFLICT DO NOTHING""")
                    .bind("d", digest).bind("size", size).bind("now", now).execute() > 0) {
                return;
            }
        }
    }

    /**
     * Locks the blob's row, if recorded, and returns its state ({@code live} or {@code deleting}); empty when it is
     * not recorded. Every path that links a blob takes this lock first, so that the collector, which marks a blob
     * {@code deleting} only under the same lock after finding no link, never misses a link being made.
     */
    public static Optional<String> lock(Handle h, String digest) {
        return h.createQuery("SELECT state FROM blob WHERE digest = :d FOR UPDATE")
                .bind("d", digest).mapTo(String.class).findOne();
    }

    /**
     * Records a verified blob as live and touched now (call with its row locked by {@link #lock}, whose answer
     * says whether the row exists; the caller has checked that the store holds the bytes).
     */
    public static void recordLive(Handle h, String digest, long size, boolean recorded) {
        if (recorded) {
            h.createUpdate("UPDATE blob SET state = 'live', touched_at = :now WHERE digest = :d")
                    .bind("d", digest).bind("now", Instant.now()).execute();
        } else {
            Instant now = Instant.now();
            h.createUpdate("""
                            INSERT INTO blob (digest, size, created_at, touched_at, state)
                            VALUES (:d, :size, :now, :now, 'live')""")
                    .bind("d", digest).bind("size", size).bind("now", now).execute();
        }
    }

    /**
     * Links a recorded blob to a repository, or renews the link's time when it exists (a re-upload or re-mount
     * protects it from the collector for another grace period). The renewing {@code UPDATE} takes the link's row
     * lock, so a collector deleting the link either finishes first (then the link is inserted anew) or waits and
     * finds it renewed.
     */
    public static void link(Handle h, long repositoryId, String digest) {
        while (true) {
            Instant now = Instant.now();
            int renewed = h.createUpdate(
                            "UPDATE repository_blob SET linked_at = :now WHERE repository_id = :r AND digest = :d")
                    .bind("r", repositoryId).bind("d", digest).bind("now", now).execute();
            if (renewed > 0) {
                return;
            }
            int inserted = h.createUpdate("""
                            INSERT INTO repository_blob (repository_id, digest, linked_at) VALUES (:r, :d, :now)
                            ON CONFLICT DO NOTHING""")
                    .bind("r", repositoryId).bind("d", digest).bind("now", now).execute();
            if (inserted > 0) {
                return;
            }
        }
    }

    /**
     * Renews the link's time when it is older than {@code olderThan} (a client checked the blob exists); returns
     * whether the link is still there. It may not be: the collector can delete it between the caller's read and this
     * update (the update then waits for the collector's row lock and finds no row), and a client told "exists" would
     * skip the upload and push a manifest whose blob is gone.
     */
    public static boolean renewLinkOlderThan(Handle h, String repository, String digest, Instant olderThan) {
        int renewed = h.createUpdate("""
                        UPDATE repository_blob SET linked_at = :now
                        WHERE digest = :d AND linked_at < :before
                          AND repository_id = (SELECT id FROM repository WHERE name = :name)""")
                .bind("d", digest).bind("name", repository).bind("before", olderThan).bind("now", Instant.now())
                .execute();
        return renewed > 0 || link(h, repository, digest).isPresent(); // else renewed meanwhile by another client
    }

    /** Removes the link; returns false when there was none. */
    public static boolean unlink(Handle h, long repositoryId, String digest) {
        return h.createUpdate("DELETE FROM repository_blob WHERE repository_id = :r AND digest = :d")
                .bind("r", repositoryId).bind("d", digest).execute() > 0;
    }

    /** The size of a blob linked to the repository, or empty. */
    public static OptionalLong linkedSize(Handle h, String repository, String digest) {
        return link(h, repository, digest).map(l -> OptionalLong.of(l.size())).orElse(OptionalLong.empty());
    }

    /** A blob's link to a repository: the blob's size and when it was last linked. */
    public record Link(long size, Instant linkedAt) {
    }

    /** The link of a blob to the repository, or empty. */
    public static Optional<Link> link(Handle h, String repository, String digest) {
        return h.createQuery("""
                        SELECT b.size, rb.linked_at FROM repository r
                        JOIN repository_blob rb ON rb.repository_id = r.id
                        JOIN blob b ON b.digest = rb.digest
                        WHERE r.name = :name AND rb.digest = :d""")
                .bind("name", repository).bind("d", digest)
                .map((rs, ctx) -> new Link(rs.getLong(1), rs.getObject(2, OffsetDateTime.class).toInstant()))
                .findOne();
    }

    /**
     * Locks a live blob's row and touches it (a mount protects it for another grace period); false when the blob is
     * not recorded or is being deleted by the collector.
     */
    public static boolean lockLive(Handle h, String digest) {
        return h.createUpdate("UPDATE blob SET touched_at = :now WHERE digest = :d AND state = 'live'")
                .bind("d", digest).bind("now", Instant.now()).execute() > 0;
    }

    /**
     * Of {@code digests}, those linked to the repository, locked until the transaction ends: an unlink (or a
     * collector) of one of them waits for the manifest that references it, and a manifest push waits for an
     * unlink that came first (then finds the blob gone). Rows are locked in digest order to avoid deadlocks.
     */
    public static Set<String> linkedAmong(Handle h, long repositoryId, Collection<String> digests) {
        if (digests.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(h.createQuery(
                        "SELECT digest FROM repository_blob WHERE repository_id = :r AND digest IN (<digests>)"
                                + " ORDER BY digest FOR UPDATE")
                .bind("r", repositoryId).bindList("digests", digests).mapTo(String.class).list());
    }
}
