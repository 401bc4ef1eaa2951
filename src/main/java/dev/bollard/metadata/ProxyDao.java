package dev.bollard.metadata;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

/**
 * The proxy cache's rows ({@code V13__proxy.sql}): the upstream of each proxy organization, when each proxied tag was
 * last compared with the upstream, and the blobs proxied manifests reference that were not fetched yet.
 */
public final class ProxyDao {
    private ProxyDao() {
    }

    /** A proxy organization's upstream as stored: {@code password} sealed, {@code fallbacks} one URL a line. */
    public record Row(String namespace, String url, String prefix, boolean libraryNames, @Nullable String username,
                      @Nullable String password, @Nullable String caBundle, int tagCheckSeconds, String fallbacks,
                      String createdBy, long createdAt, long updatedAt, @Nullable Long cacheMaxBytes,
                      @Nullable Integer cacheExpiryDays, @Nullable Integer ratePerSecond,
                      @Nullable Integer ratePerMinute) {
    }

    private static final String COLUMNS = "namespace, url, prefix, library_names, username, password, ca_bundle, "
            + "tag_check_seconds, fallbacks, created_by, created_at, updated_at, cache_max_bytes, cache_expiry_days, "
            + "rate_per_second, rate_per_minute";
    private static final RowMapper<Row> ROW = (rs, ctx) -> new Row(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getBoolean(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getInt(8), rs.getString(9),
            rs.getString(10), rs.getLong(11), rs.getLong(12), rs.getObject(13, Long.class), rs.getObject(14, Integer.class),
            rs.getObject(15, Integer.class), rs.getObject(16, Integer.class));

    public static Optional<Row> find(Handle h, String namespace) {
        return h.createQuery("SELECT " + COLUMNS + " FROM proxy_upstream WHERE namespace = :n")
                .bind("n", namespace).map(ROW).findOne();
    }

    public static List<Row> all(Handle h) {
        return h.createQuery("SELECT " + COLUMNS + " FROM proxy_upstream ORDER BY namespace").map(ROW).list();
    }

    /** Inserts or replaces the namespace's upstream; true when it was new. */
    public static boolean upsert(Handle h, Row r) {
        int updated = h.createUpdate("""
                        UPDATE proxy_upstream SET url = :url, prefix = :prefix, library_names = :library,
                               username = :username, password = :password, ca_bundle = :ca,
                               tag_check_seconds = :interval, fallbacks = :fallbacks, updated_at = :updated,
                               cache_max_bytes = :maxBytes, cache_expiry_days = :expiry, rate_per_second = :perSecond,
                               rate_per_minute = :perMinute
                         WHERE namespace = :n""")
                .bind("n", r.namespace()).bind("url", r.url()).bind("prefix", r.prefix())
                .bind("library", r.libraryNames()).bind("username", r.username()).bind("password", r.password())
                .bind("ca", r.caBundle()).bind("interval", r.tagCheckSeconds()).bind("fallbacks", r.fallbacks())
                .bind("updated", r.updatedAt()).bind("maxBytes", r.cacheMaxBytes()).bind("expiry", r.cacheExpiryDays())
                .bind("perSecond", r.ratePerSecond()).bind("perMinute", r.ratePerMinute()).execute();
        if (updated > 0) {
            return false;
        }
        h.createUpdate("INSERT INTO proxy_upstream (" + COLUMNS + ") VALUES (:n, :url, :prefix, :library, :username, "
                        + ":password, :ca, :interval, :fallbacks, :createdBy, :created, :updated, :maxBytes, :expiry, :perSecond, "
                        + ":perMinute)")
                .bind("n", r.namespace()).bind("url", r.url()).bind("prefix", r.prefix())
                .bind("library", r.libraryNames()).bind("username", r.username()).bind("password", r.password())
                .bind("ca", r.caBundle()).bind("interval", r.tagCheckSeconds()).bind("fallbacks", r.fallbacks())
                .bind("createdBy", r.createdBy()).bind("created", r.createdAt()).bind("updated", r.updatedAt())
                .bind("maxBytes", r.cacheMaxBytes()).bind("expiry", r.cacheExpiryDays())
                .bind("perSecond", r.ratePerSecond()).bind("perMinute", r.ratePerMinute()).execute();
        return true;
    }

    public static boolean delete(Handle h, String namespace) {
        return h.createUpdate("DELETE FROM proxy_upstream WHERE namespace = :n").bind("n", namespace).execute() > 0;
    }

    /** When the tag was last compared with the upstream (epoch milliseconds), if ever. */
    public static OptionalLong checkedAt(Handle h, long repositoryId, String tag) {
        Optional<Long> at = h.createQuery("SELECT checked_at FROM proxy_tag_check WHERE repository_id = :r AND tag = :t")
                .bind("r", repositoryId).bind("t", tag).mapTo(Long.class).findOne();
        return at.map(OptionalLong::of).orElse(OptionalLong.empty());
    }

    public static void recordCheck(Handle h, long repositoryId, String tag, long at) {
        int updated = h.createUpdate("UPDATE proxy_tag_check SET checked_at = :at WHERE repository_id = :r AND tag = :t")
                .bind("r", repositoryId).bind("t", tag).bind("at", at).execute();
        if (updated == 0) {
            h.createUpdate("INSERT INTO proxy_tag_check (repository_id, tag, checked_at) VALUES (:r, :t, :at) "
                            + "ON CONFLICT DO NOTHING")
                    .bind("r", repositoryId).bind("t", tag).bind("at", at).execute();
        }
    }

    /** Records that manifest {@code manifestId} references {@code digests}, which are not stored yet. */
    public static void addPending(Handle h, long manifestId, Collection<String> digests) {
        if (digests.isEmpty()) {
            return;
        }
        var batch = h.prepareBatch("INSERT INTO proxy_pending_blob (manifest_id, digest) VALUES (:m, :d) "
                + "ON CONFLICT DO NOTHING");
        for (String d : new HashSet<>(digests)) {
            batch.bind("m", manifestId).bind("d", d).add();
        }
        batch.execute();
    }

    /**
     * The blob {@code digest} is stored and linked to the repository now: the references of the repository's
     * manifests to it move from pending to {@code manifest_blob}, where the collector sees them.
     */
    public static void resolvePending(Handle h, long repositoryId, String digest) {
        h.createUpdate("""
                        INSERT INTO manifest_blob (manifest_id, digest)
                        SELECT p.manifest_id, p.digest FROM proxy_pending_blob p JOIN manifest m ON m.id = p.manifest_id
                         WHERE m.repository_id = :r AND p.digest = :d
                        ON CONFLICT DO NOTHING""")
                .bind("r", repositoryId).bind("d", digest).execute();
        h.createUpdate("""
                        DELETE FROM proxy_pending_blob WHERE digest = :d
                           AND manifest_id IN (SELECT id FROM manifest WHERE repository_id = :r)""")
                .bind("r", repositoryId).bind("d", digest).execute();
    }

    /** A manifest cached by a proxy organization: its repository, when it was last pulled (0: never), its size. */
    public record Cached(String repository, String digest, long pulledAt, long bytes) {
    }

    /**
     * The manifests of the namespace's repositories, least recently pulled first (a referrer never pulled itself, such
     * as the scanner's SBOM, as its subject); an image's bytes are its manifest's
     * and its blobs' (a blob two images share counts in each).
     */
    public static List<Cached> cachedImages(Handle h, String namespace) {
        return h.createQuery("""
                        SELECT r.name, m.digest,
                               COALESCE(p.pulled_at, (SELECT sp.pulled_at FROM manifest s
                                                        JOIN proxy_pull sp ON sp.manifest_id = s.id
                                                       WHERE s.repository_id = m.repository_id
                                                         AND s.digest = m.subject_digest), 0) AS pulled,
                               m.size + COALESCE((SELECT SUM(b.size) FROM manifest_blob mb
                                                    JOIN blob b ON b.digest = mb.digest
                                                   WHERE mb.manifest_id = m.id), 0) AS bytes
                          FROM manifest m JOIN repository r ON r.id = m.repository_id
                          LEFT JOIN proxy_pull p ON p.manifest_id = m.id
                         WHERE r.name LIKE :prefix ESCAPE '!'
                         ORDER BY pulled, m.id""")
                .bind("prefix", LikePattern.startingWith(namespace + "/"))
                .map((rs, ctx) -> new Cached(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4))).list();
    }

    /** Records that the repository's manifest {@code digest} was pulled (or fetched) at {@code at}. */
    public static void recordPull(Handle h, long repositoryId, String digest, long at) {
        int updated = h.createUpdate("""
                        UPDATE proxy_pull SET pulled_at = :at WHERE manifest_id =
                               (SELECT id FROM manifest WHERE repository_id = :r AND digest = :d)""")
                .bind("r", repositoryId).bind("d", digest).bind("at", at).execute();
        if (updated == 0) {
            h.createUpdate("""
                            INSERT INTO proxy_pull (manifest_id, pulled_at)
                            SELECT id, :at FROM manifest WHERE repository_id = :r AND digest = :d
                            ON CONFLICT DO NOTHING""")
                    .bind("r", repositoryId).bind("d", digest).bind("at", at).execute();
        }
    }
}
