package dev.bollard.metadata;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/** Teams of an organization, their members, and what teams are granted. */
public final class TeamDao {
    private TeamDao() {
    }

    public record Team(long id, long orgId, String name, String role, String description) {
    }

    private static final String COLUMNS = "id, org_id, name, role, description";

    private static Team map(ResultSet rs) throws SQLException {
        return new Team(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5));
    }

    public static long insert(Handle h, long orgId, String name, String role, String description) {
        return h.createUpdate("""
                        INSERT INTO team (org_id, name, role, description, created_at)
                        VALUES (:org, :name, :role, :description, :now)""")
                .bind("org", orgId).bind("name", name).bind("role", role).bind("description", description)
                .bind("now", Instant.now())
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    }

    public static Optional<Team> find(Handle h, long orgId, String name) {
        return h.createQuery("SELECT " + COLUMNS + " FROM team WHERE org_id = :org AND name = :name")
                .bind("org", orgId).bind("name", name).map((rs, ctx) -> map(rs)).findOne();
    }

    /** The organization's teams after {@code after} in name order, at most {@code limit}. */
    public static List<Team> list(Handle h, long orgId, @Nullable String after, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM team WHERE org_id = :org AND name > :after ORDER BY name LIMIT :limit")
                .bind("org", orgId).bind("after", after == null ? "" : after).bind("limit", limit)
                .map((rs, ctx) -> map(rs)).list();
    }

    public static void update(Handle h, long id, String role, String description) {
        h.createUpdate("UPDATE team SET role = :role, description = :description WHERE id = :id")
                .bind("role", role).bind("description", description).bind("id", id).execute();
    }

    /** Deletes the team, its memberships, and what was granted to it. */
    public static boolean delete(Handle h, long id) {
        GrantDao.removeGrantee(h, "team", id);
        return h.createUpdate("DELETE FROM team WHERE id = :id").bind("id", id).execute() > 0;
    }

    public static boolean addMember(Handle h, long teamId, long userId) {
        if (isMember(h, teamId, userId)) {
            return false;
        }
        h.createUpdate("INSERT INTO team_member (team_id, user_id) VALUES (:team, :user)")
                .bind("team", teamId).bind("user", userId).execute();
        return true;
    }

    public static boolean removeMember(Handle h, long teamId, long userId) {
        return h.createUpdate("DELETE FROM team_member WHERE team_id = :team AND user_id = :user")
                .bind("team", teamId).bind("user", userId).execute() > 0;
    }

    public static boolean isMember(Handle h, long teamId, long userId) {
        return h.createQuery("SELECT COUNT(*) FROM team_member WHERE team_id = :team AND user_id = :user")
                .bind("team", teamId).bind("user", userId).mapTo(Integer.class).one() > 0;
    }

    public static boolean addRobot(Handle h, long teamId, long robotId) {
        if (h.createQuery("SELECT COUNT(*) FROM team_robot WHERE team_id = :team AND robot_id = :robot")
                .bind("team", teamId).bind("robot", robotId).mapTo(Integer.class).one() > 0) {
            return false;
        }
        h.createUpdate("INSERT INTO team_robot (team_id, robot_id) VALUES (:team, :robot)")
                .bind("team", teamId).bind("robot", robotId).execute();
        return true;
    }

    public static boolean removeRobot(Handle h, long teamId, long robotId) {
        return h.createUpdate("DELETE FROM team_robot WHERE team_id = :team AND robot_id = :robot")
                .bind("team", teamId).bind("robot", robotId).execute() > 0;
    }

    /**
     * Names of the team's members — users, and robots as {@code owner+name} — after {@code after}, in order, at most
     * {@code limit}.
     */
    public static List<String> members(Handle h, long teamId, @Nullable String after, int limit) {
        return h.createQuery("""
                        SELECT name FROM (
                            SELECT a.name AS name FROM team_member tm JOIN account a ON a.id = tm.user_id
                            WHERE tm.team_id = :team
                            UNION ALL
                            SELECT o.name || '+' || r.name AS name FROM team_robot tr JOIN robot r ON r.id = tr.robot_id
                            JOIN account o ON o.id = r.owner_id WHERE tr.team_id = :team) m
                        WHERE name > :after ORDER BY name LIMIT :limit""")
                .bind("team", teamId).bind("after", after == null ? "" : after).bind("limit", limit)
                .mapTo(String.class).list();
    }

    /** Roles of the teams of {@code orgId} the robot belongs to. */
    public static List<String> robotRolesInOrg(Handle h, long orgId, long robotId) {
        return h.createQuery("""
                        SELECT t.role FROM team t JOIN team_robot tr ON tr.team_id = t.id
                        WHERE t.org_id = :org AND tr.robot_id = :robot""")
                .bind("org", orgId).bind("robot", robotId).mapTo(String.class).list();
    }

    /** Roles granted on the repository to teams the robot belongs to. */
    public static List<String> robotGrantedRoles(Handle h, long repositoryId, long robotId) {
        return h.createQuery("""
                        SELECT g.role FROM repository_grant g JOIN team_robot tr ON tr.team_id = g.grantee_id
                        WHERE g.grantee_type = 'team' AND g.repository_id = :repo AND tr.robot_id = :robot""")
                .bind("repo", repositoryId).bind("robot", robotId).mapTo(String.class).list();
    }

    /** Roles of the teams of {@code orgId} the user belongs to. */
    public static List<String> rolesInOrg(Handle h, long orgId, long userId) {
        return h.createQuery("""
                        SELECT t.role FROM team t JOIN team_member tm ON tm.team_id = t.id
                        WHERE t.org_id = :org AND tm.user_id = :user""")
                .bind("org", orgId).bind("user", userId).mapTo(String.class).list();
    }

    /** Roles granted on the repository to teams the user belongs to. */
    public static List<String> grantedRoles(Handle h, long repositoryId, long userId) {
        return h.createQuery("""
                        SELECT g.role FROM repository_grant g JOIN team_member tm ON tm.team_id = g.grantee_id
                        WHERE g.grantee_type = 'team' AND g.repository_id = :repo AND tm.user_id = :user""")
                .bind("repo", repositoryId).bind("user", userId).mapTo(String.class).list();
    }

    public static Optional<Team> findById(Handle h, long id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM team WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> map(rs)).findOne();
    }
}
