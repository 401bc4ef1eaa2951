package dev.bollard.metadata;

import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

/** Manifests and what they reference. */
public final class ManifestDao {
    private ManifestDao() {
    }

    private static final String COLUMNS =
            "m.id, m.repository_id, m.digest, m.media_type, m.artifact_type, m.subject_digest, m.size, m.content";

    private static final RowMapper<ManifestRow> ROW = (rs, ctx) -> new ManifestRow(rs.getLong("id"),
            rs.getLong("repository_id"), rs.getString("digest"), rs.getString("media_type"),
            rs.getString("artifact_type"), rs.getString("subject_digest"), rs.getLong("size"), rs.getBytes("content"));

    public static Optional<ManifestRow> byDigest(Handle h, long repositoryId, String digest) {
        return h.createQuery("SELECT " + COLUMNS + " FROM manifest m WHERE m.repository_id = :r AND m.digest = :d")
                .bind("r", repositoryId).bind("d", digest).map(ROW).findOne();
    }

    public static Optional<ManifestRow> byTag(Handle h, long repositoryId, String tag) {
        return h.createQuery("SELECT " + COLUMNS + """
                         FROM tag t JOIN manifest m ON m.repository_id = t.repository_id AND m.digest = t.manifest_digest
                        WHERE t.repository_id = :r AND t.name = :tag""")
                .bind("r", repositoryId).bind("tag", tag).map(ROW).findOne();
    }

    /**
     * Stores a manifest with its references, or returns the id of the identical one stored already
     * (same repository, same digest means same bytes).
     * <p>Either way the manifest's row is this transaction's until it ends: an existing one is locked, so that a
     * concurrent delete of it waits rather than deleting it under the tag this transaction is about to point at
     * it (which would fail the foreign key and make the whole push run again). When a concurrent push inserts the
     * same manifest first, {@code ON CONFLICT DO NOTHING} inserts nothing (on PostgreSQL after waiting for that
     * push to commit) and that row is locked instead; each turn of the loop waits for another transaction to end,
     * so it cannot spin.
     */
    public static long insertIfAbsent(Handle h, long repositoryId, String digest, String mediaType,
                                      @Nullable String artifactType, @Nullable String subjectDigest, byte[] content, Collection<String> blobDigests,
                                      Collection<String> childDigests) {
        while (true) {
            Optional<Long> existing = h.createQuery(
                            "SELECT id FROM manifest WHERE repository_id = :r AND digest = :d FOR UPDATE")
                    .bind("r", repositoryId).bind("d", digest).mapTo(Long.class).findOne();
            if (existing.isPresent()) {
                // Pushed again: the collector leaves it alone for another grace period (a client may be about to
                // push the index or the referrer that needs it).
                h.createUpdate("UPDATE manifest SET pushed_at = :now WHERE id = :id")
                        .bind("id", existing.get()).bind("now", Instant.now()).execute();
                return existing.get();
            }
            Optional<Long> inserted = h.createUpdate("""
                            INSERT INTO manifest (repository_id, digest, media_type, artifact_type, subject_digest, size,
                                                  content, created_at, pushed_at)
                            VALUES (:r, :d, :mediaType, :artifactType, :subject, :size, :content, :now, :now)
                            ON CONFLICT DO NOTHING""")
                    .bind("r", repositoryId).bind("d", digest).bind("mediaType", mediaType)
                    .bind("artifactType", artifactType).bind("subject", subjectDigest)
                    .bind("size", (long) content.length).bind("content", content).bind("now", Instant.now())
                    .executeAndReturnGeneratedKeys("id").mapTo(Long.class).findOne();
            if (inserted.isPresent()) {
                insertReferences(h, inserted.get(), blobDigests, childDigests);
                return inserted.get();
            }
        }
    }

    private static void insertReferences(Handle h, long id, Collection<String> blobDigests,
                                         Collection<String> childDigests) {
        var blobs = h.prepareBatch("INSERT INTO manifest_blob (manifest_id, digest) VALUES (:m, :d)");
        for (String b : new HashSet<>(blobDigests)) {
            blobs.bind("m", id).bind("d", b).add();
        }
        if (!blobDigests.isEmpty()) {
            blobs.execute();
        }
        var children = h.prepareBatch("INSERT INTO manifest_child (manifest_id, child_digest) VALUES (:m, :d)");
        for (String c : new HashSet<>(childDigests)) {
            children.bind("m", id).bind("d", c).add();
        }
        if (!childDigests.isEmpty()) {
            children.execute();
        }
    }

    /**
     * Of {@code digests}, those stored as manifests in the repository, locked until the transaction ends so that
     * an index being pushed and a delete of one of its children take turns.
     */
    public static Set<String> presentAmong(Handle h, long repositoryId, Collection<String> digests) {
        if (digests.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(h.createQuery(
                        "SELECT digest FROM manifest WHERE repository_id = :r AND digest IN (<digests>)"
                                + " ORDER BY digest FOR UPDATE")
                .bind("r", repositoryId).bindList("digests", digests).mapTo(String.class).list());
    }

    /** Of {@code digests}, those stored as manifests in the repository (without locking them). */
    public static Set<String> storedAmong(Handle h, long repositoryId, Collection<String> digests) {
        if (digests.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(h.createQuery("SELECT digest FROM manifest WHERE repository_id = :r AND digest IN (<digests>)")
                .bind("r", repositoryId).bindList("digests", digests).mapTo(String.class).list());
    }

    /** The tags of the repository that point at {@code digest}. */
    public static List<String> tagsOn(Handle h, long repositoryId, String digest) {
        return h.createQuery("SELECT name FROM tag WHERE repository_id = :r AND manifest_digest = :d ORDER BY name")
                .bind("r", repositoryId).bind("d", digest).mapTo(String.class).list();
    }

    /**
     * Deletes the manifest with its references and its tags (by the foreign key), closing the tags' history;
     * returns false when there was none.
     * <p>The row is locked first and then deleted by its id, so what is deleted is exactly the manifest whose tags
     * were closed: on H2 a delete by digest can also wait for, and then delete, a row a concurrent push inserts
     * meanwhile, with tags whose history nobody closed.
     */
    public static boolean delete(Handle h, long repositoryId, String digest) {
        Optional<Long> id = h.createQuery("SELECT id FROM manifest WHERE repository_id = :r AND digest = :d FOR UPDATE")
                .bind("r", repositoryId).bind("d", digest).mapTo(Long.class).findOne();
        if (id.isEmpty()) {
            return false;
        }
        TagDao.endHistoryOfTagsOn(h, repositoryId, digest);
        return h.createUpdate("DELETE FROM manifest WHERE id = :id").bind("id", id.get()).execute() > 0;
    }

    /** The manifests whose subject is {@code subjectDigest}, oldest first. */
    public static List<ManifestRow> referrers(Handle h, long repositoryId, String subjectDigest) {
        return h.createQuery("SELECT " + COLUMNS
                        + " FROM manifest m WHERE m.repository_id = :r AND m.subject_digest = :s ORDER BY m.id")
                .bind("r", repositoryId).bind("s", subjectDigest).map(ROW).list();
    }
}
