package dev.bollard.metadata;

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
}
