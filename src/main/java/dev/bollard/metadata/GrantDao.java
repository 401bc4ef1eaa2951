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

    /** A grant as people read it: the grantee's name ({@code owner+name} for a robot), its type and the role. */
    public record Listed(String grantee, String granteeType, String role) {
    }

    /** The grants on a repository to users and robots, by grantee name. */
    public static List<Listed> list(Handle h, long repositoryId) {
        return h.createQuery("""
                        SELECT a.name, g.grantee_type, g.role FROM repository_grant g
                        JOIN account a ON g.grantee_type = 'user' AND a.id = g.grantee_id
                        WHERE g.repository_id = :repo
                        UNION ALL
                        SELECT o.name || '+' || rb.name, g.grantee_type, g.role FROM repository_grant g
                        JOIN robot rb ON g.grantee_type = 'robot' AND rb.id = g.grantee_id
                        JOIN account o ON o.id = rb.owner_id
                        WHERE g.repository_id = :repo
                        ORDER BY 1""")
                .bind("repo", repositoryId)
                .map((rs, ctx) -> new Listed(rs.getString(1), rs.getString(2), rs.getString(3))).list();
    }
}
