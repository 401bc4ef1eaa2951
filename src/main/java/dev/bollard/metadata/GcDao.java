package dev.bollard.metadata;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * What the garbage collector reads and deletes. Reads ({@code *Of}) describe one repository's graph for the mark
 * phase; every delete locks the row it removes and checks again, in the same transaction, that nothing references
 * it, so a decision taken on a stale read is never acted on (docs/lifecycle.md has the whole argument).
 */
public final class GcDao {
    private GcDao() {
    }

    /** A repository: its id and name. */
    public record RepositoryRef(long id, String name) {
    }

    /** A manifest as the mark phase sees it. */
    public record ManifestNode(long id, String digest, String subjectDigest, Instant pushedAt) {
    }

    /** A stored blob as the collector sees it. */
    public record BlobRow(String digest, long size, String state, Instant touchedAt) {
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        // Every column read here is NOT NULL.
        return Objects.requireNonNull(rs.getObject(column, OffsetDateTime.class), column).toInstant();
    }

    public static List<RepositoryRef> repositories(Handle h) {
        return h.createQuery("SELECT id, name FROM repository ORDER BY id")
                .map((rs, ctx) -> new RepositoryRef(rs.getLong("id"), rs.getString("name"))).list();
    }

    public static List<ManifestNode> manifestsOf(Handle h, long repositoryId) {
        return h.createQuery("SELECT id, digest, subject_digest, pushed_at FROM manifest WHERE repository_id = :r")
                .bind("r", repositoryId)
                .map((rs, ctx) -> new ManifestNode(rs.getLong("id"), rs.getString("digest"),
                        rs.getString("subject_digest"), instant(rs, "pushed_at"))).list();
    }

    /** Digests of the manifests tagged now, or by a tag whose lifetime ended at or after {@code windowStart}. */
    public static Set<String> taggedSince(Handle h, long repositoryId, Instant windowStart) {
        Set<String> digests = new HashSet<>(h.createQuery("SELECT manifest_digest FROM tag WHERE repository_id = :r")
                .bind("r", repositoryId).mapTo(String.class).list());
        digests.addAll(h.createQuery("""
                        SELECT DISTINCT manifest_digest FROM tag_history
                        WHERE repository_id = :r AND (lifetime_end IS NULL OR lifetime_end >= :since)""")
                .bind("r", repositoryId).bind("since", windowStart).mapTo(String.class).list());
        return digests;
    }

    /**
     * The manifests of the repository that no tag names now but one named within the time machine's window (since
     * {@code windowStart}), each with the latest end of such a naming: the window keeps them until that end plus the
     * window.
     */
    public static Map<String, Instant> untaggedSince(Handle h, long repositoryId, Instant windowStart) {
        Map<String, Instant> ends = new HashMap<>();
        h.createQuery("""
                        SELECT th.manifest_digest, MAX(th.lifetime_end) AS last_end FROM tag_history th
                        WHERE th.repository_id = :r AND th.lifetime_end >= :since
                          AND NOT EXISTS (SELECT 1 FROM tag t
                                          WHERE t.repository_id = th.repository_id AND t.manifest_digest = th.manifest_digest)
                          AND NOT EXISTS (SELECT 1 FROM tag_history o
                                          WHERE o.repository_id = th.repository_id AND o.manifest_digest = th.manifest_digest
                                            AND o.lifetime_end IS NULL)
                        GROUP BY th.manifest_digest""")
                .bind("r", repositoryId).bind("since", windowStart)
                .map((rs, ctx) -> Map.entry(rs.getString("manifest_digest"), instant(rs, "last_end")))
                .forEach(e -> ends.put(e.getKey(), e.getValue()));
        return ends;
    }

    /** For each index of the repository (by digest), the digests of its children. */
    public static Map<String, List<String>> childrenOf(Handle h, long repositoryId) {
        return edges(h, repositoryId, """
                SELECT m.digest, c.child_digest FROM manifest_child c JOIN manifest m ON m.id = c.manifest_id
                WHERE m.repository_id = :r""");
    }

    /** For each image manifest of the repository (by digest), the digests of the blobs it references. */
    public static Map<String, List<String>> blobsOf(Handle h, long repositoryId) {
        return edges(h, repositoryId, """
                SELECT m.digest, mb.digest FROM manifest_blob mb JOIN manifest m ON m.id = mb.manifest_id
                WHERE m.repository_id = :r""");
    }

    /** Pairs (from, to) that {@code sql} selects for the repository, grouped by their first column. */
    private static Map<String, List<String>> edges(Handle h, long repositoryId, String sql) {
        Map<String, List<String>> edges = new HashMap<>();
        h.createQuery(sql).bind("r", repositoryId)
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2)))
                .forEach(e -> edges.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
        return edges;
    }

    /** The repository's blob links: digest and when it was last linked. */
    public static Map<String, Instant> linksOf(Handle h, long repositoryId) {
        Map<String, Instant> links = new HashMap<>();
        h.createQuery("SELECT digest, linked_at FROM repository_blob WHERE repository_id = :r")
                .bind("r", repositoryId)
                .map((rs, ctx) -> Map.entry(rs.getString(1), instant(rs, "linked_at")))
                .forEach(e -> links.put(e.getKey(), e.getValue()));
        return links;
    }

    /** Every stored blob (for a dry run's account of what would be freed). */
    public static List<BlobRow> blobs(Handle h) {
        return h.createQuery("SELECT digest, size, state, touched_at FROM blob")
                .map((rs, ctx) -> new BlobRow(rs.getString("digest"), rs.getLong("size"), rs.getString("state"),
                        instant(rs, "touched_at"))).list();
    }

    /**
     * Deletes the manifest unless, re-checked under its row lock, something keeps it: a tag, a tag's lifetime in the
     * window, a push within the grace period, an index of the repository that lists it, or a subject of it stored
     * in the repository. Returns true when it was deleted.
     * <p>Pushes lock the manifests they tag or list ({@link ManifestDao#insertIfAbsent},
     * {@link ManifestDao#presentAmong}) and restores lock the manifest they tag, so each of them either committed
     * before this lock was granted (and its reference is found here) or waits, and then finds the manifest gone (an
     * index push fails with MANIFEST_BLOB_UNKNOWN, a tag push stores the manifest again from its request).
     */
    public static boolean deleteManifestIfUnreferenced(Handle h, long repositoryId, long manifestId,
                                                       Instant graceStart, Instant windowStart) {
        Optional<String> digest = h.createQuery("SELECT digest FROM manifest WHERE id = :id FOR UPDATE")
                .bind("id", manifestId).mapTo(String.class).findOne();
        if (digest.isEmpty()) {
            return false;
        }
        boolean kept = h.createQuery("""
                        SELECT 1 FROM manifest m WHERE m.id = :id AND (
                            m.pushed_at >= :grace
                            OR EXISTS (SELECT 1 FROM tag t WHERE t.repository_id = :r AND t.manifest_digest = :d)
                            OR EXISTS (SELECT 1 FROM tag_history th WHERE th.repository_id = :r
                                       AND th.manifest_digest = :d
                                       AND (th.lifetime_end IS NULL OR th.lifetime_end >= :window))
                            OR EXISTS (SELECT 1 FROM manifest_child c JOIN manifest p ON p.id = c.manifest_id
                                       WHERE p.repository_id = :r AND c.child_digest = :d)
                            OR EXISTS (SELECT 1 FROM manifest s WHERE s.repository_id = :r
                                       AND s.digest = m.subject_digest))""")
                .bind("id", manifestId).bind("r", repositoryId).bind("d", digest.get()).bind("grace", graceStart)
                .bind("window", windowStart).mapTo(Integer.class).findOne().isPresent();
        if (kept) {
            return false;
        }
        return h.createUpdate("DELETE FROM manifest WHERE id = :id").bind("id", manifestId).execute() > 0;
    }

    /**
     * Deletes the repository's link to the blob unless, re-checked under the link's row lock, it was renewed within
     * the grace period or a manifest of the repository references the blob. A manifest push locks the links it
     * references ({@link BlobDao#linkedAmong}) before it stores its references, so it either committed first (and is
     * found here) or waits and then finds the link gone (MANIFEST_BLOB_UNKNOWN).
     */
    public static boolean deleteLinkIfUnreferenced(Handle h, long repositoryId, String digest, Instant graceStart) {
        Optional<Instant> linkedAt = h.createQuery("""
                        SELECT linked_at FROM repository_blob WHERE repository_id = :r AND digest = :d FOR UPDATE""")
                .bind("r", repositoryId).bind("d", digest).mapTo(Instant.class).findOne();
        if (linkedAt.isEmpty()) {
            return false;
        }
        boolean kept = h.createQuery("""
                        SELECT 1 FROM repository_blob rb WHERE rb.repository_id = :r AND rb.digest = :d AND (
                            rb.linked_at >= :grace
                            OR EXISTS (SELECT 1 FROM manifest_blob mb JOIN manifest m ON m.id = mb.manifest_id
                                       WHERE m.repository_id = :r AND mb.digest = :d))""")
                .bind("r", repositoryId).bind("d", digest).bind("grace", graceStart)
                .mapTo(Integer.class).findOne().isPresent();
        if (kept) {
            return false;
        }
        return h.createUpdate("DELETE FROM repository_blob WHERE repository_id = :r AND digest = :d")
                .bind("r", repositoryId).bind("d", digest).execute() > 0;
    }

    /** Live blobs untouched since {@code graceStart} that no repository links and no manifest references. */
    public static List<String> unreferencedBlobs(Handle h, Instant graceStart, String after, int limit) {
        return h.createQuery("""
                        SELECT b.digest FROM blob b
                        WHERE b.state = 'live' AND b.touched_at < :grace AND b.digest > :after
                          AND NOT EXISTS (SELECT 1 FROM repository_blob rb WHERE rb.digest = b.digest)
                          AND NOT EXISTS (SELECT 1 FROM manifest_blob mb WHERE mb.digest = b.digest)
                        ORDER BY b.digest
                        LIMIT :limit""")
                .bind("grace", graceStart).bind("after", after).bind("limit", limit).mapTo(String.class).list();
    }

    /** Blobs marked {@code deleting}: the bytes of each are to be deleted, then its row. */
    public static List<String> deletingBlobs(Handle h, String after, int limit) {
        return h.createQuery("""
                        SELECT digest FROM blob WHERE state = 'deleting' AND digest > :after ORDER BY digest LIMIT :limit""")
                .bind("after", after).bind("limit", limit).mapTo(String.class).list();
    }

    /**
     * Marks the blob {@code deleting} when, re-checked under its row lock, it is live, untouched within the grace
     * period, and neither linked nor referenced. Every path that links a blob locks its row first
     * ({@link BlobDao#lock}, {@link BlobDao#lockLive}, {@link BlobDao#reclaimForUpload}), and a manifest can only
     * reference a blob its repository links, so once this commits no new reference can appear. Returns true when
     * marked.
     */
    public static boolean markDeletingIfUnreferenced(Handle h, String digest, Instant graceStart) {
        if (BlobDao.lock(h, digest).isEmpty()) {
            return false;
        }
        return h.createUpdate("""
                        UPDATE blob SET state = 'deleting'
                        WHERE digest = :d AND state = 'live' AND touched_at < :grace
                          AND NOT EXISTS (SELECT 1 FROM repository_blob rb WHERE rb.digest = :d)
                          AND NOT EXISTS (SELECT 1 FROM manifest_blob mb WHERE mb.digest = :d)""")
                .bind("d", digest).bind("grace", graceStart).execute() > 0;
    }

    /**
     * Locks a blob's row and returns its size when it is (still) marked {@code deleting}; the caller then deletes
     * the bytes and {@link #deleteBlobRow the row} in the same transaction, so an upload that takes the blob back
     * ({@link BlobDao#reclaimForUpload}) either waits for both or made it live first.
     */
    public static Optional<Long> lockDeleting(Handle h, String digest) {
        if (BlobDao.lock(h, digest).isEmpty()) {
            return Optional.empty();
        }
        return h.createQuery("SELECT size FROM blob WHERE digest = :d AND state = 'deleting'")
                .bind("d", digest).mapTo(Long.class).findOne();
    }

    /** Of {@code digests}, those recorded as blobs (in any state). */
    public static Set<String> recordedAmong(Handle h, Collection<String> digests) {
        if (digests.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(h.createQuery("SELECT digest FROM blob WHERE digest IN (<digests>)")
                .bindList("digests", digests).mapTo(String.class).list());
    }

    /**
     * Records stored bytes that no row records (left by a crash between a commit and its transaction) as a blob
     * marked {@code deleting}, for the collector to delete like any other. An upload of the same content claims the
     * row first ({@link BlobDao#reclaimForUpload}, before it commits its bytes), so this inserts nothing then; or
     * claims it after, making it live before the bytes are deleted. True when recorded.
     */
    public static boolean markUnrecorded(Handle h, String digest, long size) {
        Instant now = Instant.now();
        return h.createUpdate("""
                        INSERT INTO blob (digest, size, created_at, touched_at, state)
                        VALUES (:d, :size, :now, :now, 'deleting')
                        ON CONFLICT DO NOTHING""")
                .bind("d", digest).bind("size", size).bind("now", now).execute() > 0;
    }

    public static void deleteBlobRow(Handle h, String digest) {
        h.createUpdate("DELETE FROM blob WHERE digest = :d AND state = 'deleting'").bind("d", digest).execute();
    }
}
