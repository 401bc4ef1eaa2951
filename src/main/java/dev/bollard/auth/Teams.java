package dev.bollard.auth;

import static dev.bollard.auth.Lookups.requireOrganization;
import static dev.bollard.auth.Lookups.requireTeam;
import static dev.bollard.auth.Lookups.requireUser;

import dev.bollard.audit.AuditActions;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.RobotDao;
import dev.bollard.metadata.TeamDao;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * The teams of organizations and their members (users, and robots of the same organization); a team's role
 * ({@code member}, {@code creator}, {@code admin}) applies in its organization. Each change is recorded in the outbox,
 * in its transaction, as made by the actor {@link Identities#as} names.
 */
public final class Teams {
    private final Database db;
    private final Changes changes;

    Teams(Database db, Changes changes) {
        this.db = db;
        this.changes = changes;
    }

    /** A team as listed: its name, role ({@code member}, {@code creator}, {@code admin}) and description. */
    public record TeamInfo(String name, String role, String description) {
    }

    public void create(String organization, String name, String role, @Nullable String description) {
        Lookups.checkName(name);
        checkTeamRole(role);
        db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, organization);
            if (TeamDao.find(h, org.id(), name).isPresent()) {
                throw BollardException.conflict("team " + organization + "/" + name + " exists already");
            }
            TeamDao.insert(h, org.id(), name, role, description == null ? "" : description);
            changes.onNamespace(h, organization, AuditActions.TEAM_CREATE, Map.of("team", name, "role", role));
            return null;
        });
    }

    public TeamInfo get(String organization, String name) {
        return db.read(h -> {
            TeamDao.Team t = requireTeam(h, organization, name);
            return new TeamInfo(t.name(), t.role(), t.description());
        });
    }

    public List<TeamInfo> list(String organization, @Nullable String after, int limit) {
        return db.read(h -> TeamDao.list(h, requireOrganization(h, organization).id(), after, limit).stream()
                .map(t -> new TeamInfo(t.name(), t.role(), t.description())).toList());
    }

    /** Changes a team's role and/or description (null: unchanged). */
    public void update(String organization, String name, @Nullable String role, @Nullable String description) {
        if (role != null) {
            checkTeamRole(role);
        }
        db.inTransaction(h -> {
            TeamDao.Team t = requireTeam(h, organization, name);
            TeamDao.update(h, t.id(), role == null ? t.role() : role, description == null ? t.description() : description);
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("team", name);
            if (role != null) {
                details.put("role", role);
            }
            changes.onNamespace(h, organization, AuditActions.TEAM_UPDATE, details);
            return null;
        });
    }

    public void delete(String organization, String name) {
        db.inTransaction(h -> {
            TeamDao.delete(h, requireTeam(h, organization, name).id());
            changes.onNamespace(h, organization, AuditActions.TEAM_DELETE, Map.of("team", name));
            return null;
        });
    }

    /**
     * Adds a user to a team, and to the team's organization as a member when not yet in it; or a robot
     * ({@code owner+name}) of the team's organization.
     */
    public void addMember(String organization, String team, String member) {
        db.inTransaction(h -> {
            TeamDao.Team t = requireTeam(h, organization, team);
            boolean added;
            if (member.contains("+")) {
                added = TeamDao.addRobot(h, t.id(), requireOwnRobot(h, organization, member).id());
            } else {
                long userId = requireUser(h, member).id();
                if (AccountDao.memberRole(h, t.orgId(), userId).isEmpty()) {
                    AccountDao.putMember(h, t.orgId(), userId, "member");
                }
                added = TeamDao.addMember(h, t.id(), userId);
            }
            if (added) {
                changes.onNamespace(h, organization, AuditActions.TEAM_MEMBER_ADD, Map.of("team", team, "member", member));
            }
            return null;
        });
    }

    public boolean removeMember(String organization, String team, String member) {
        return db.inTransaction(h -> {
            TeamDao.Team t = requireTeam(h, organization, team);
            boolean removed = member.contains("+")
                    ? TeamDao.removeRobot(h, t.id(), requireOwnRobot(h, organization, member).id())
                    : TeamDao.removeMember(h, t.id(), requireUser(h, member).id());
            if (removed) {
                changes.onNamespace(h, organization, AuditActions.TEAM_MEMBER_REMOVE, Map.of("team", team, "member", member));
            }
            return removed;
        });
    }

    public List<String> members(String organization, String team, @Nullable String after, int limit) {
        return db.read(h -> TeamDao.members(h, requireTeam(h, organization, team).id(), after, limit));
    }

    /** A robot of the organization itself: teams take only their organization's robots. */
    private static RobotDao.Robot requireOwnRobot(Handle h, String organization, String robot) {
        if (!robot.startsWith(organization + "+")) {
            throw BollardException.invalid("only robots of " + organization + " (" + organization
                    + "+name) can be in its teams, not " + robot);
        }
        return Lookups.requireRobot(h, robot);
    }

    private static void checkTeamRole(String role) {
        if (!List.of("member", "creator", "admin").contains(role)) {
            throw BollardException.invalid("a team's role must be member, creator or admin, not '" + role + "'");
        }
    }

}
