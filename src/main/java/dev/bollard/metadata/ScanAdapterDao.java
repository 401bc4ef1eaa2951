package dev.bollard.metadata;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jspecify.annotations.Nullable;

/**
 * External scanner adapters and their results ({@code scan_adapter}, {@code scan_adapter_result},
 * {@code scan_adapter_finding}; {@code V24__scan_adapters.sql}). Times are milliseconds since the epoch;
 * {@code authHeader} is stored sealed.
 */
public final class ScanAdapterDao {
    private ScanAdapterDao() {
    }

    /** A registered adapter; {@code organization} null: it scans every image. */
    public record AdapterRow(long id, String name, String url, @Nullable String authHeader,
                             @Nullable String organization, String scannerName, String scannerVendor,
                             String scannerVersion, String updatedBy, long updatedAt) {
        @Override
        public String toString() { // never print the header
            return "AdapterRow[" + name + " " + url + "]";
        }
    }

    /** One adapter's scan of one manifest. */
    public record ResultRow(long adapterId, long manifestId, String state, @Nullable String reason,
                            @Nullable String requestId, long queuedAt, @Nullable Long finishedAt) {
    }

    /** One vulnerability of an adapter's report. */
    public record FindingRow(String vulnId, String pkg, String version, @Nullable String fixedVersion,
                             String severity, @Nullable Double cvssScore, @Nullable String cvssVector,
                             @Nullable String description, String links) {
    }

    private static final RowMapper<AdapterRow> ADAPTER = (rs, ctx) -> new AdapterRow(rs.getLong("id"),
            rs.getString("name"), rs.getString("url"), rs.getString("auth_header"), rs.getString("organization"),
            rs.getString("scanner_name"), rs.getString("scanner_vendor"), rs.getString("scanner_version"),
            rs.getString("updated_by"), rs.getLong("updated_at"));

    private static final RowMapper<ResultRow> RESULT = (rs, ctx) -> new ResultRow(rs.getLong("adapter_id"),
            rs.getLong("manifest_id"), rs.getString("state"), rs.getString("reason"), rs.getString("request_id"),
            rs.getLong("queued_at"), rs.getObject("finished_at", Long.class));

    private static final RowMapper<FindingRow> FINDING = (rs, ctx) -> new FindingRow(rs.getString("vuln_id"),
            rs.getString("package"), rs.getString("version"), rs.getString("fixed_version"),
            rs.getString("severity"), rs.getObject("cvss_score", Double.class), rs.getString("cvss_vector"),
            rs.getString("description"), rs.getString("links"));

    public static List<AdapterRow> all(Handle h) {
        return h.createQuery("SELECT * FROM scan_adapter ORDER BY name").map(ADAPTER).list();
    }

    public static Optional<AdapterRow> find(Handle h, String name) {
        return h.createQuery("SELECT * FROM scan_adapter WHERE name = :n").bind("n", name).map(ADAPTER).findOne();
    }

    public static Optional<AdapterRow> find(Handle h, long id) {
        return h.createQuery("SELECT * FROM scan_adapter WHERE id = :id").bind("id", id).map(ADAPTER).findOne();
    }

    /** The adapters that scan images of {@code organization}: those for every image and those for it. */
    public static List<AdapterRow> forOrganization(Handle h, String organization) {
        return h.createQuery("SELECT * FROM scan_adapter WHERE organization IS NULL OR organization = :o ORDER BY name")
                .bind("o", organization).map(ADAPTER).list();
    }

    /** Registers {@code a} under its name, or replaces the adapter of that name (its results stay). */
    public static void upsert(Handle h, AdapterRow a) {
        int updated = h.createUpdate("""
                        UPDATE scan_adapter SET url = :url, auth_header = :auth, organization = :org,
                            scanner_name = :sn, scanner_vendor = :sv, scanner_version = :sver, updated_by = :by,
                            updated_at = :at
                        WHERE name = :name""")
                .bindMethods(new Binding(a)).execute();
        if (updated == 0) {
            h.createUpdate("""
                            INSERT INTO scan_adapter (name, url, auth_header, organization, scanner_name,
                                scanner_vendor, scanner_version, updated_by, updated_at)
                            VALUES (:name, :url, :auth, :org, :sn, :sv, :sver, :by, :at)""")
                    .bindMethods(new Binding(a)).execute();
        }
    }

    /** jdbi binds these by name. */
    public record Binding(String name, String url, @Nullable String auth, @Nullable String org, String sn, String sv,
                          String sver, String by, long at) {
        Binding(AdapterRow a) {
            this(a.name(), a.url(), a.authHeader(), a.organization(), a.scannerName(), a.scannerVendor(),
                    a.scannerVersion(), a.updatedBy(), a.updatedAt());
        }

        @Override
        public String toString() {
            return "Binding[" + name + "]";
        }
    }

    public static boolean delete(Handle h, String name) {
        return h.createUpdate("DELETE FROM scan_adapter WHERE name = :n").bind("n", name).execute() > 0;
    }

    /** Writes a queued scan of {@code manifestId} by adapter {@code adapterId}, or puts a finished one back to queued. */
    public static boolean queue(Handle h, long adapterId, long manifestId, long now) {
        int updated = h.createUpdate("""
                        UPDATE scan_adapter_result SET state = 'queued', reason = NULL, request_id = NULL,
                            queued_at = :now, finished_at = NULL
                        WHERE adapter_id = :a AND manifest_id = :m AND state IN ('done', 'failed')""")
                .bind("a", adapterId).bind("m", manifestId).bind("now", now).execute();
        return updated > 0 || h.createUpdate("""
                        INSERT INTO scan_adapter_result (adapter_id, manifest_id, state, queued_at)
                        VALUES (:a, :m, 'queued', :now) ON CONFLICT DO NOTHING""")
                .bind("a", adapterId).bind("m", manifestId).bind("now", now).execute() > 0;
    }

    /** Sets the state (and reason, request id) of a scan; false when it is gone (adapter or manifest deleted). */
    public static boolean setState(Handle h, long adapterId, long manifestId, String state, @Nullable String reason,
                                   @Nullable String requestId, @Nullable Long finishedAt) {
        return h.createUpdate("""
                        UPDATE scan_adapter_result SET state = :s, reason = :r, request_id = :q, finished_at = :f
                        WHERE adapter_id = :a AND manifest_id = :m""")
                .bind("a", adapterId).bind("m", manifestId).bind("s", state).bind("r", reason)
                .bind("q", requestId).bind("f", finishedAt).execute() > 0;
    }

    /** Replaces the findings of a scan with {@code findings} and marks it done; false when it is gone. */
    public static boolean storeDone(Handle h, long adapterId, long manifestId, List<FindingRow> findings, long now) {
        if (!setState(h, adapterId, manifestId, "done", null, null, now)) {
            return false;
        }
        h.createUpdate("DELETE FROM scan_adapter_finding WHERE adapter_id = :a AND manifest_id = :m")
                .bind("a", adapterId).bind("m", manifestId).execute();
        PreparedBatch batch = h.prepareBatch("""
                INSERT INTO scan_adapter_finding (adapter_id, manifest_id, ordinal, vuln_id, package, version,
                    fixed_version, severity, cvss_score, cvss_vector, description, links)
                VALUES (:a, :m, :o, :id, :p, :v, :fix, :sev, :score, :vector, :d, :links)""");
        for (int i = 0; i < findings.size(); i++) {
            FindingRow f = findings.get(i);
            batch.bind("a", adapterId).bind("m", manifestId).bind("o", i).bind("id", f.vulnId()).bind("p", f.pkg())
                    .bind("v", f.version()).bind("fix", f.fixedVersion()).bind("sev", f.severity())
                    .bind("score", f.cvssScore()).bind("vector", f.cvssVector()).bind("d", f.description())
                    .bind("links", f.links()).add();
        }
        if (!findings.isEmpty()) {
            batch.execute();
        }
        return true;
    }

    public static Optional<ResultRow> result(Handle h, long adapterId, long manifestId) {
        return h.createQuery("SELECT * FROM scan_adapter_result WHERE adapter_id = :a AND manifest_id = :m")
                .bind("a", adapterId).bind("m", manifestId).map(RESULT).findOne();
    }

    /** Every adapter's scan of {@code manifestId}, by adapter name. */
    public static List<ResultRow> results(Handle h, long manifestId) {
        return h.createQuery("""
                        SELECT r.* FROM scan_adapter_result r JOIN scan_adapter a ON a.id = r.adapter_id
                        WHERE r.manifest_id = :m ORDER BY a.name""")
                .bind("m", manifestId).map(RESULT).list();
    }

    public static List<FindingRow> findings(Handle h, long adapterId, long manifestId) {
        return h.createQuery("""
                        SELECT * FROM scan_adapter_finding WHERE adapter_id = :a AND manifest_id = :m
                        ORDER BY ordinal""")
                .bind("a", adapterId).bind("m", manifestId).map(FINDING).list();
    }
}
