package dev.bollard.metadata;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jspecify.annotations.Nullable;

/**
 * Scan results per manifest: state, inventory and findings ({@code scan_result}, {@code scan_package},
 * {@code scan_finding}; {@code V15__scan_results.sql}). Times are milliseconds since the epoch; aliases, links and
 * notes are JSON arrays.
 */
public final class ScanDao {
    private ScanDao() {
    }

    /** A manifest's scan as stored. */
    public record ResultRow(long manifestId, String state, @Nullable String reason, int attempts, long queuedAt,
                            @Nullable Long startedAt, @Nullable Long indexedAt, @Nullable Long matchedAt, long importId,
                            @Nullable String osId, @Nullable String osVersion, @Nullable String osName,
                            @Nullable String osUnsupported, @Nullable String grade, String notes, String matchNotes) {
    }

    /** One package of an inventory, with the key the matcher looks it up by (null without an ecosystem). */
    public record PackageRow(int ordinal, String type, String name, String version, @Nullable String sourceName,
                             @Nullable String sourceVersion, String purl, String path, @Nullable String ecosystem,
                             boolean ecosystemPrefix, @Nullable String packageKey) {
    }

    /** One finding: an advisory against the package {@code packageOrdinal}. */
    public record FindingRow(String vulnId, int packageOrdinal, String aliases, String ecosystem, String matchedName,
                             String matchedVersion, @Nullable String fixedVersion, String severity,
                             @Nullable Double cvssScore, @Nullable String cvssVector, @Nullable String summary,
                             String links, long published, long foundAt) {
    }

    /** The manifest a scan is about: where it is and its bytes. */
    public record Target(long manifestId, String repository, String digest, String mediaType, byte[] content) {
    }

    private static final RowMapper<ResultRow> RESULT = (rs, ctx) -> new ResultRow(rs.getLong("manifest_id"),
            rs.getString("state"), rs.getString("reason"), rs.getInt("attempts"), rs.getLong("queued_at"),
            rs.getObject("started_at", Long.class), rs.getObject("indexed_at", Long.class),
            rs.getObject("matched_at", Long.class), rs.getLong("import_id"), rs.getString("os_id"),
            rs.getString("os_version"), rs.getString("os_name"), rs.getString("os_unsupported"),
            rs.getString("grade"), rs.getString("notes"), rs.getString("match_notes"));

    private static final RowMapper<PackageRow> PACKAGE = (rs, ctx) -> new PackageRow(rs.getInt("ordinal"),
            rs.getString("type"), rs.getString("name"), rs.getString("version"), rs.getString("source_name"),
            rs.getString("source_version"), rs.getString("purl"), rs.getString("path"), rs.getString("ecosystem"),
            rs.getBoolean("ecosystem_prefix"), rs.getString("package"));

    private static final RowMapper<FindingRow> FINDING = (rs, ctx) -> new FindingRow(rs.getString("vuln_id"),
            rs.getInt("package_ordinal"), rs.getString("aliases"), rs.getString("ecosystem"),
            rs.getString("matched_name"), rs.getString("matched_version"), rs.getString("fixed_version"),
            rs.getString("severity"), rs.getObject("cvss_score", Double.class), rs.getString("cvss_vector"),
            rs.getString("summary"), rs.getString("links"), rs.getLong("published"), rs.getLong("found_at"));

    /** Writes a queued scan of {@code manifestId} unless it has one; true when written. */
    public static boolean insertQueued(Handle h, long manifestId, long now) {
        return h.createUpdate("""
                        INSERT INTO scan_result (manifest_id, state, attempts, queued_at, import_id, notes, match_notes)
                        VALUES (:m, 'queued', 0, :now, 0, '[]', '[]') ON CONFLICT DO NOTHING""")
                .bind("m", manifestId).bind("now", now).execute() > 0;
    }

    /** Puts a stored scan back to queued (scanned again on request); its last results stay until replaced. */
    public static boolean requeue(Handle h, long manifestId, long now) {
        return h.createUpdate("""
                        UPDATE scan_result SET state = 'queued', reason = NULL, attempts = 0, queued_at = :now
                        WHERE manifest_id = :m AND state <> 'indexing'""")
                .bind("m", manifestId).bind("now", now).execute() > 0;
    }

    /** The manifest {@code manifestId} with its repository's name; empty when it was deleted. */
    public static Optional<Target> target(Handle h, long manifestId) {
        return h.createQuery("""
                        SELECT m.id, r.name, m.digest, m.media_type, m.content FROM manifest m
                          JOIN repository r ON r.id = m.repository_id WHERE m.id = :m""")
                .bind("m", manifestId).map((rs, ctx) -> new Target(rs.getLong(1), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getBytes(5))).findOne();
    }

    /** The id of manifest {@code digest} of repository {@code repository}, if stored. */
    public static Optional<Long> manifestId(Handle h, String repository, String digest) {
        return h.createQuery("""
                        SELECT m.id FROM manifest m JOIN repository r ON r.id = m.repository_id
                        WHERE r.name = :r AND m.digest = :d""")
                .bind("r", repository).bind("d", digest).mapTo(Long.class).findOne();
    }

    public static Optional<ResultRow> result(Handle h, long manifestId) {
        return h.createQuery("SELECT * FROM scan_result WHERE manifest_id = :m").bind("m", manifestId).map(RESULT)
                .findOne();
    }

    /** How many findings of one severity a scan has, and how many of them have a fixed version. */
    public record SeverityCount(String severity, long findings, long fixable) {
    }

    /**
     * The findings of {@code manifestId} counted per severity, without reading them: what a severity summary needs
     * (the tags tab). Counted as the report lists them: findings of a package of the stored inventory.
     */
    public static List<SeverityCount> severityCounts(Handle h, long manifestId) {
        return h.createQuery("""
                        SELECT f.severity, COUNT(*) AS findings,
                            SUM(CASE WHEN f.fixed_version IS NOT NULL THEN 1 ELSE 0 END) AS fixable
                        FROM scan_finding f
                        WHERE f.manifest_id = :m AND EXISTS (SELECT 1 FROM scan_package p
                            WHERE p.manifest_id = f.manifest_id AND p.ordinal = f.package_ordinal)
                        GROUP BY f.severity""")
                .bind("m", manifestId)
                .map((rs, ctx) -> new SeverityCount(rs.getString("severity"), rs.getLong("findings"),
                        rs.getLong("fixable"))).list();
    }

    /** The scan of {@code manifestId}, locked until the transaction ends. */
    public static Optional<ResultRow> lock(Handle h, long manifestId) {
        return h.createQuery("SELECT * FROM scan_result WHERE manifest_id = :m FOR UPDATE").bind("m", manifestId)
                .map(RESULT).findOne();
    }

    /** Moves a scan that is not finished to {@code state} (queued, indexing or a final one) with its reason. */
    public static void setState(Handle h, long manifestId, String state, @Nullable String reason, int attempts,
                                @Nullable Long startedAt) {
        h.createUpdate("""
                        UPDATE scan_result SET state = :s, reason = :reason, attempts = :a,
                               started_at = COALESCE(:started, started_at)
                        WHERE manifest_id = :m""")
                .bind("m", manifestId).bind("s", state).bind("reason", reason).bind("a", attempts)
                .bind("started", startedAt).execute();
    }

    /** Stores an indexed and matched scan: the result row's fields, its packages and findings replacing any earlier. */
    public static void storeDone(Handle h, ResultRow r, Collection<PackageRow> packages, Collection<FindingRow> findings) {
        h.createUpdate("DELETE FROM scan_package WHERE manifest_id = :m").bind("m", r.manifestId()).execute();
        h.createUpdate("""
                        UPDATE scan_result SET state = :state, reason = :reason, attempts = :attempts,
                               indexed_at = :indexedAt, matched_at = :matchedAt, import_id = :importId, os_id = :osId,
                               os_version = :osVersion, os_name = :osName, os_unsupported = :osUnsupported,
                               grade = :grade, notes = :notes, match_notes = :matchNotes
                        WHERE manifest_id = :manifestId""")
                .bindMethods(r).execute();
        PreparedBatch batch = h.prepareBatch("""
                INSERT INTO scan_package (manifest_id, ordinal, type, name, version, source_name, source_version, purl,
                                          path, ecosystem, ecosystem_prefix, package)
                VALUES (:m, :ordinal, :type, :name, :version, :sourceName, :sourceVersion, :purl, :path, :ecosystem,
                        :ecosystemPrefix, :packageKey)""");
        for (PackageRow p : packages) {
            batch.bind("m", r.manifestId()).bindMethods(p).add();
        }
        if (!packages.isEmpty()) {
            batch.execute();
        }
        replaceFindings(h, r.manifestId(), findings);
    }

    /** Replaces the findings of {@code manifestId}. */
    public static void replaceFindings(Handle h, long manifestId, Collection<FindingRow> findings) {
        h.createUpdate("DELETE FROM scan_finding WHERE manifest_id = :m").bind("m", manifestId).execute();
        PreparedBatch batch = h.prepareBatch("""
                INSERT INTO scan_finding (manifest_id, vuln_id, package_ordinal, aliases, ecosystem, matched_name,
                                          matched_version, fixed_version, severity, cvss_score, cvss_vector, summary,
                                          links, published, found_at)
                VALUES (:m, :vulnId, :packageOrdinal, :aliases, :ecosystem, :matchedName, :matchedVersion,
                        :fixedVersion, :severity, :cvssScore, :cvssVector, :summary, :links, :published, :foundAt)""");
        for (FindingRow f : findings) {
            batch.bind("m", manifestId).bindMethods(f).add();
        }
        if (!findings.isEmpty()) {
            batch.execute();
        }
    }

    /** Records a re-match: the grade and the import matched against. */
    public static void rematched(Handle h, long manifestId, @Nullable String grade, @Nullable String osUnsupported,
                                 String matchNotes, long importId, long matchedAt) {
        h.createUpdate("""
                        UPDATE scan_result SET grade = :g, os_unsupported = :u, match_notes = :n, import_id = :i,
                               matched_at = :t
                        WHERE manifest_id = :m""")
                .bind("m", manifestId).bind("g", grade).bind("u", osUnsupported).bind("n", matchNotes)
                .bind("i", importId).bind("t", matchedAt).execute();
    }

    public static List<PackageRow> packages(Handle h, long manifestId) {
        return h.createQuery("SELECT * FROM scan_package WHERE manifest_id = :m ORDER BY ordinal")
                .bind("m", manifestId).map(PACKAGE).list();
    }

    public static List<FindingRow> findings(Handle h, long manifestId) {
        return h.createQuery("SELECT * FROM scan_finding WHERE manifest_id = :m").bind("m", manifestId)
                .map(FINDING).list();
    }

    /**
     * Marks as matched against import {@code last} every done scan that saw an earlier import and none of whose
     * packages' keys an import since changed: nothing to match again for them. One statement, each row judged by its
     * own import id, so a scan finished meanwhile is never marked past data it did not see.
     */
    public static int advanceUnaffected(Handle h, long last) {
        return h.createUpdate("""
                        UPDATE scan_result SET import_id = :last
                        WHERE state = 'done' AND import_id < :last AND NOT EXISTS (
                            SELECT 1 FROM scan_package p JOIN vuln_change c ON c.package = p.package
                             AND (c.ecosystem = p.ecosystem
                                  OR (p.ecosystem_prefix AND SUBSTRING(c.ecosystem, 1, LENGTH(p.ecosystem)) = p.ecosystem))
                            WHERE p.manifest_id = scan_result.manifest_id AND c.import_id > scan_result.import_id
                              AND c.import_id <= :last)""")
                .bind("last", last).execute();
    }

    /** A scan still queued or indexing whose work item is dead and none waits or runs (see {@link #failAbandoned}). */
    private static final String ABANDONED = """
            state IN ('queued', 'indexing')
              AND EXISTS (SELECT 1 FROM work_item w WHERE w.queue = :q AND w.state = 'dead'
                             AND w.item_key = CAST(scan_result.manifest_id AS VARCHAR(20)))
              AND NOT EXISTS (SELECT 1 FROM work_item w WHERE w.queue = :q AND w.state <> 'dead'
                                 AND w.item_key = CAST(scan_result.manifest_id AS VARCHAR(20)))""";

    /** The manifests whose scan's last attempt was abandoned, for {@link #failAbandoned}. */
    public static List<Long> abandoned(Handle h, String queue) {
        return h.createQuery("SELECT manifest_id FROM scan_result WHERE " + ABANDONED + " ORDER BY manifest_id")
                .bind("q", queue).mapTo(Long.class).list();
    }

    /**
     * Marks {@code failed}, with the queue's last error, the scan of {@code manifestId} if it is still abandoned: its
     * last attempt's lease lapsed (a node died on it each time), which the queue records without telling the scan.
     * Returns whether it was.
     */
    public static boolean failAbandoned(Handle h, String queue, long manifestId) {
        return h.createUpdate("""
                        UPDATE scan_result SET state = 'failed', reason = COALESCE((
                            SELECT MAX(w.last_error) FROM work_item w WHERE w.queue = :q AND w.state = 'dead'
                               AND w.item_key = CAST(scan_result.manifest_id AS VARCHAR(20))), 'abandoned')
                        WHERE manifest_id = :m AND
                        """ + ABANDONED)
                .bind("q", queue).bind("m", manifestId).execute() == 1;
    }

    /** Up to {@code limit} done scans matched against data older than import {@code last}. */
    public static List<Long> stale(Handle h, long last, int limit) {
        return h.createQuery("""
                        SELECT manifest_id FROM scan_result WHERE state = 'done' AND import_id < :last
                        ORDER BY manifest_id LIMIT :n""")
                .bind("last", last).bind("n", limit).mapTo(Long.class).list();
    }

    /** The scans of {@code manifestIds} (an index's children), by manifest id. */
    public static List<ResultRow> results(Handle h, Collection<Long> manifestIds) {
        if (manifestIds.isEmpty()) {
            return List.of();
        }
        return h.createQuery("SELECT * FROM scan_result WHERE manifest_id IN (<ids>)").bindList("ids", manifestIds)
                .map(RESULT).list();
    }

    /** How many scans are in each state. */
    public static java.util.Map<String, Long> countsByState(Handle h) {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        h.createQuery("SELECT state, COUNT(*) FROM scan_result GROUP BY state")
                .map((rs, ctx) -> out.put(rs.getString(1), rs.getLong(2))).forEach(unused -> { });
        return out;
    }
}
