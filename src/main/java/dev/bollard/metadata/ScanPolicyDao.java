package dev.bollard.metadata;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jspecify.annotations.Nullable;

/**
 * Vulnerability pull policies, their allow-lists and bypass grants ({@code V19__scan_policy.sql}); the fixable
 * findings of a manifest that a policy judges. Scopes are {@code (kind, name)}: {@code org} and an organization's name,
 * or {@code repository} and a repository's full name. Times are milliseconds since the epoch.
 */
public final class ScanPolicyDao {
    private ScanPolicyDao() {
    }

    public record PolicyRow(String scopeKind, String scope, String severity, boolean blockUnscanned, String updatedBy,
                            long updatedAt) {
    }

    public record AllowRow(String scopeKind, String scope, String vulnId, long expiresAt, @Nullable String reason,
                           String createdBy, long createdAt) {
    }

    public record BypassRow(String scopeKind, String scope, String principal, String createdBy, long createdAt) {
    }

    /** A finding that has a fix, with the package it is in, as a policy judges it. */
    public record FixableRow(String vulnId, String aliases, String severity, @Nullable Double cvssScore,
                             String fixedVersion, String packageName, String packageVersion) {
    }

    private static final RowMapper<PolicyRow> POLICY = (rs, ctx) -> new PolicyRow(rs.getString(1), rs.getString(2),
            rs.getString(3), rs.getBoolean(4), rs.getString(5), rs.getLong(6));
    private static final RowMapper<AllowRow> ALLOW = (rs, ctx) -> new AllowRow(rs.getString(1), rs.getString(2),
            rs.getString(3), rs.getLong(4), rs.getString(5), rs.getString(6), rs.getLong(7));
    private static final RowMapper<BypassRow> BYPASS = (rs, ctx) -> new BypassRow(rs.getString(1), rs.getString(2),
            rs.getString(3), rs.getString(4), rs.getLong(5));

    /** Every policy: there are few (at most one per organization and repository), and every node keeps them all. */
    public static List<PolicyRow> policies(Handle h) {
        return h.createQuery("SELECT scope_kind, scope, severity, block_unscanned, updated_by, updated_at "
                + "FROM scan_policy ORDER BY scope_kind, scope").map(POLICY).list();
    }

    public static List<AllowRow> allowed(Handle h) {
        return h.createQuery("SELECT scope_kind, scope, vuln_id, expires_at, reason, created_by, created_at "
                + "FROM scan_policy_allow ORDER BY scope_kind, scope, vuln_id").map(ALLOW).list();
    }

    public static List<BypassRow> bypasses(Handle h) {
        return h.createQuery("SELECT scope_kind, scope, principal, created_by, created_at "
                + "FROM scan_policy_bypass ORDER BY scope_kind, scope, principal").map(BYPASS).list();
    }

    public static Optional<PolicyRow> policy(Handle h, String kind, String scope) {
        return h.createQuery("SELECT scope_kind, scope, severity, block_unscanned, updated_by, updated_at "
                        + "FROM scan_policy WHERE scope_kind = :k AND scope = :s")
                .bind("k", kind).bind("s", scope).map(POLICY).findOne();
    }

    /** Stores the policy of a scope, replacing the one it had. */
    public static void putPolicy(Handle h, PolicyRow row) {
        if (h.createUpdate("""
                        UPDATE scan_policy SET severity = :v, block_unscanned = :u, updated_by = :by, updated_at = :at
                        WHERE scope_kind = :k AND scope = :s""")
                .bind("k", row.scopeKind()).bind("s", row.scope()).bind("v", row.severity())
                .bind("u", row.blockUnscanned()).bind("by", row.updatedBy()).bind("at", row.updatedAt()).execute() == 0) {
            h.createUpdate("""
                            INSERT INTO scan_policy (scope_kind, scope, severity, block_unscanned, updated_by, updated_at)
                            VALUES (:k, :s, :v, :u, :by, :at)""")
                    .bind("k", row.scopeKind()).bind("s", row.scope()).bind("v", row.severity())
                    .bind("u", row.blockUnscanned()).bind("by", row.updatedBy()).bind("at", row.updatedAt()).execute();
        }
    }

    /** Deletes the policy of a scope (its allow-list and bypass grants stay); true when it had one. */
    public static boolean deletePolicy(Handle h, String kind, String scope) {
        return h.createUpdate("DELETE FROM scan_policy WHERE scope_kind = :k AND scope = :s")
                .bind("k", kind).bind("s", scope).execute() > 0;
    }

    /** Adds or replaces an allow-list entry. */
    public static void putAllowed(Handle h, AllowRow row) {
        h.createUpdate("DELETE FROM scan_policy_allow WHERE scope_kind = :k AND scope = :s AND vuln_id = :v")
                .bind("k", row.scopeKind()).bind("s", row.scope()).bind("v", row.vulnId()).execute();
        h.createUpdate("""
                        INSERT INTO scan_policy_allow (scope_kind, scope, vuln_id, expires_at, reason, created_by, created_at)
                        VALUES (:k, :s, :v, :e, :r, :by, :at)""")
                .bind("k", row.scopeKind()).bind("s", row.scope()).bind("v", row.vulnId()).bind("e", row.expiresAt())
                .bind("r", row.reason()).bind("by", row.createdBy()).bind("at", row.createdAt()).execute();
    }

    public static boolean deleteAllowed(Handle h, String kind, String scope, String vulnId) {
        return h.createUpdate("DELETE FROM scan_policy_allow WHERE scope_kind = :k AND scope = :s AND vuln_id = :v")
                .bind("k", kind).bind("s", scope).bind("v", vulnId).execute() > 0;
    }

    /** Grants a bypass; false when the principal had it already. */
    public static boolean putBypass(Handle h, BypassRow row) {
        return h.createUpdate("""
                        INSERT INTO scan_policy_bypass (scope_kind, scope, principal, created_by, created_at)
                        VALUES (:k, :s, :p, :by, :at) ON CONFLICT DO NOTHING""")
                .bind("k", row.scopeKind()).bind("s", row.scope()).bind("p", row.principal())
                .bind("by", row.createdBy()).bind("at", row.createdAt()).execute() > 0;
    }

    public static boolean deleteBypass(Handle h, String kind, String scope, String principal) {
        return h.createUpdate("DELETE FROM scan_policy_bypass WHERE scope_kind = :k AND scope = :s AND principal = :p")
                .bind("k", kind).bind("s", scope).bind("p", principal).execute() > 0;
    }

    /**
     * The state of the scan of manifest {@code digest} of {@code repository}: {@code none} when it was never queued
     * (stored before scanning on push); empty when the manifest is not stored.
     */
    public static Optional<String> scanState(Handle h, String repository, String digest) {
        return h.createQuery("""
                        SELECT COALESCE(s.state, 'none') FROM manifest m JOIN repository r ON r.id = m.repository_id
                          LEFT JOIN scan_result s ON s.manifest_id = m.id
                        WHERE r.name = :r AND m.digest = :d""")
                .bind("r", repository).bind("d", digest).mapTo(String.class).findOne();
    }

    /** True when {@code name} is an organization. */
    public static boolean isOrganization(Handle h, String name) {
        return h.createQuery("SELECT COUNT(*) FROM account WHERE name = :n AND kind = 'org'").bind("n", name)
                .mapTo(Long.class).one() > 0;
    }

    /** The findings that have a fixed version of manifest {@code digest} of {@code repository}, with their packages. */
    public static List<FixableRow> fixable(Handle h, String repository, String digest) {
        return h.createQuery("""
                        SELECT f.vuln_id, f.aliases, f.severity, f.cvss_score, f.fixed_version, p.name, p.version
                        FROM manifest m JOIN repository r ON r.id = m.repository_id
                          JOIN scan_finding f ON f.manifest_id = m.id
                          JOIN scan_package p ON p.manifest_id = f.manifest_id AND p.ordinal = f.package_ordinal
                        WHERE r.name = :r AND m.digest = :d AND f.fixed_version IS NOT NULL""")
                .bind("r", repository).bind("d", digest)
                .map((rs, ctx) -> new FixableRow(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getObject(4, Double.class), rs.getString(5), rs.getString(6), rs.getString(7))).list();
    }
}
