package dev.bollard.metadata;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** Explicit per-repository permissions ({@code read}, {@code write}, {@code admin}) and repository visibility. */
public final class GrantDao {
    private GrantDao() {
    }

    /** A repository as access control sees it. */
    public record RepositoryAccess(long id, boolean isPublic) {
    }

    public static Optional<RepositoryAccess> repository(Handle h, String name) {
        return h.createQuery("SELECT id, visibility FROM repository WHERE name = :name").bind("name", name)
                .map((rs, ctx) -> new RepositoryAccess(rs.getLong(1), "public".equals(rs.getString(2))))
                .findOne();
    }

    public static void setVisibility(Handle h, long repositoryId, boolean isPublic) {
        h.createUpdate("UPDATE repository SET visibility = :v WHERE id = :id")
                .bind("v", isPublic ? "public" : "private").bind("id", repositoryId).execute();
    }

    /** Grants {@code role} on the repository, replacing an earlier grant to the same grantee. */
    public static void put(Handle h, long repositoryId, String granteeType, long granteeId, String role) {
        remove(h, repositoryId, granteeType, granteeId);
        h.createUpdate("""
                        INSERT INTO repository_grant (repository_id, grantee_type, grantee_id, role)
                        VALUES (:repo, :type, :grantee, :role)""")
                .bind("repo", repositoryId).bind("type", granteeType).bind("grantee", granteeId).bind("role", role)
                .execute();
    }

    public static boolean remove(Handle h, long repositoryId, String granteeType, long granteeId) {
        return h.createUpdate("""
                        DELETE FROM repository_grant
                        WHERE repository_id = :repo AND grantee_type = :type AND grantee_id = :grantee""")
                .bind("repo", repositoryId).bind("type", granteeType).bind("grantee", granteeId).execute() > 0;
    }

    public static Optional<String> role(Handle h, long repositoryId, String granteeType, long granteeId) {
        return h.createQuery("""
                        SELECT role FROM repository_grant
                        WHERE repository_id = :repo AND grantee_type = :type AND grantee_id = :grantee""")
                .bind("repo", repositoryId).bind("type", granteeType).bind("grantee", granteeId)
                .mapTo(String.class).findOne();
    }

    /** A grant as listed: the grantee's kind ({@code user}, {@code robot}, {@code team}), id and role. */
    public record Grant(String granteeType, long granteeId, String role) {
    }

    /** Every grant on the repository. */
    public static List<Grant> list(Handle h, long repositoryId) {
        return h.createQuery("""
                        SELECT grantee_type, grantee_id, role FROM repository_grant WHERE repository_id = :repo
                        ORDER BY grantee_type, grantee_id""")
                .bind("repo", repositoryId)
                .map((rs, ctx) -> new Grant(rs.getString(1), rs.getLong(2), rs.getString(3))).list();
    }

    /** Removes every grant and default permission held by a grantee that is going away. */
    public static void removeGrantee(Handle h, String granteeType, long granteeId) {
        h.createUpdate("DELETE FROM repository_grant WHERE grantee_type = :type AND grantee_id = :id")
                .bind("type", granteeType).bind("id", granteeId).execute();
        h.createUpdate("DELETE FROM org_default_permission WHERE grantee_type = :type AND grantee_id = :id")
                .bind("type", granteeType).bind("id", granteeId).execute();
    }

    // ---- organization default permissions ----

    /** Sets the organization's default permission for a grantee, replacing an earlier one. */
    public static void putDefault(Handle h, long orgId, String granteeType, long granteeId, String role) {
        removeDefault(h, orgId, granteeType, granteeId);
        h.createUpdate("""
                        INSERT INTO org_default_permission (org_id, grantee_type, grantee_id, role)
                        VALUES (:org, :type, :grantee, :role)""")
                .bind("org", orgId).bind("type", granteeType).bind("grantee", granteeId).bind("role", role).execute();
    }

    public static boolean removeDefault(Handle h, long orgId, String granteeType, long granteeId) {
        return h.createUpdate("""
                        DELETE FROM org_default_permission
                        WHERE org_id = :org AND grantee_type = :type AND grantee_id = :grantee""")
                .bind("org", orgId).bind("type", granteeType).bind("grantee", granteeId).execute() > 0;
    }

    public static List<Grant> defaults(Handle h, long orgId) {
        return h.createQuery("""
                        SELECT grantee_type, grantee_id, role FROM org_default_permission WHERE org_id = :org
                        ORDER BY grantee_type, grantee_id""")
                .bind("org", orgId)
                .map((rs, ctx) -> new Grant(rs.getString(1), rs.getLong(2), rs.getString(3))).list();
    }

    /**
     * Copies the default permissions of the organization whose name is the repository's namespace onto the (new)
     * repository. Nothing happens when the namespace is a user or there is none.
     */
    static void applyDefaults(Handle h, long repositoryId, String repositoryName) {
        int slash = repositoryName.indexOf('/');
        if (slash < 0) {
            return;
        }
        h.createUpdate("""
                        INSERT INTO repository_grant (repository_id, grantee_type, grantee_id, role)
                        SELECT :repo, d.grantee_type, d.grantee_id, d.role
                        FROM org_default_permission d JOIN account a ON a.id = d.org_id
                        WHERE a.name = :ns AND a.kind = 'org'""")
                .bind("repo", repositoryId).bind("ns", repositoryName.substring(0, slash)).execute();
    }
}
