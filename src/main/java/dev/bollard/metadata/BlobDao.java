package dev.bollard.metadata;

import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/** Blobs whose bytes are stored, and their links to repositories. */
public final class BlobDao {
    private BlobDao() {
    }

    /** Records a verified blob; nothing happens when it is recorded already. */
    public static void recordBlob(Handle h, String digest, long size) {
        boolean known = h.createQuery("SELECT 1 FROM blob WHERE digest = :d").bind("d", digest)
                .mapTo(Integer.class).findOne().isPresent();
        if (!known) {
            h.createUpdate("INSERT INTO blob (digest, size, created_at) VALUES (:d, :size, :now)")
                    .bind("d", digest).bind("size", size).bind("now", Instant.now()).execute();
        }
    }

    /** Links a recorded blob to a repository; nothing happens when it is linked already. */
    public static void link(Handle h, long repositoryId, String digest) {
        boolean linked = h.createQuery("SELECT 1 FROM repository_blob WHERE repository_id = :r AND digest = :d")
                .bind("r", repositoryId).bind("d", digest).mapTo(Integer.class).findOne().isPresent();
        if (!linked) {
            h.createUpdate("INSERT INTO repository_blob (repository_id, digest, linked_at) VALUES (:r, :d, :now)")
                    .bind("r", repositoryId).bind("d", digest).bind("now", Instant.now()).execute();
        }
    }

    /** Removes the link; returns false when there was none. */
    public static boolean unlink(Handle h, long repositoryId, String digest) {
        return h.createUpdate("DELETE FROM repository_blob WHERE repository_id = :r AND digest = :d")
                .bind("r", repositoryId).bind("d", digest).execute() > 0;
    }

    /** The size of a blob linked to the repository, or empty. */
    public static OptionalLong linkedSize(Handle h, String repository, String digest) {
        return h.createQuery("""
                        SELECT b.size FROM repository r
                        JOIN repository_blob rb ON rb.repository_id = r.id
                        JOIN blob b ON b.digest = rb.digest
                        WHERE r.name = :name AND rb.digest = :d""")
                .bind("name", repository).bind("d", digest)
                .mapTo(Long.class).findOne().map(OptionalLong::of).orElse(OptionalLong.empty());
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
