package dev.bollard.auth;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.GrantDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.RobotDao;
import dev.bollard.metadata.TeamDao;
import dev.bollard.metadata.UserTokenDao;
import dev.bollard.oci.RepositoryName;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * Users, organizations, teams, robot accounts, application tokens, repositories, grants, default permissions and
 * visibility: the administration that the CLI and the management API drive, and the checking of credentials. Every
 * change is recorded in the audit log as made by the actor {@link #as} names. Secrets are returned once, when
 * created, and stored only as hashes. Failures are {@link BollardException}s: NOT_FOUND, CONFLICT or, for invalid
 * input, INVALID_REQUEST.
 */
public final class Identities {
    /** A namespace name: one component of a repository name, so that {@code name/app} is valid. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern ROBOT_NAME = Pattern.compile("[a-z0-9][a-z0-9_]{0,63}");
    static final int MIN_PASSWORD_LENGTH = 8;

    private final Database db;
    private final Outbox outbox;
    private final Actor actor;

    /** Administration whose changes are not recorded (set-up in tests). */
    public Identities(Database db) {
        this(db, Outbox.NONE, Actor.system("cli"));
    }

    /** Administration whose changes are recorded in {@code outbox}, as the registry itself until {@link #as} names someone. */
    public Identities(Database db, Outbox outbox) {
        this(db, outbox, Actor.system("cli"));
    }

    private Identities(Database db, Outbox outbox, Actor actor) {
        this.db = db;
        this.outbox = outbox;
        this.actor = actor;
    }

    /** The same administration, with the changes recorded as made by {@code who}. */
    public Identities as(Actor who) {
        return new Identities(db, outbox, who);
    }

    /** Records a change to a namespace (or to the registry, when null) in the transaction of {@code h}. */
    private void recordOn(Handle h, @Nullable String namespace, String action, Map<String, ?> details) {
        outbox.record(h, AuditEvent.onNamespace(actor, action, namespace, details));
    }

    /** Records a change to a repository in the transaction of {@code h}. */
    private void recordOnRepository(Handle h, String repository, String action, Map<String, ?> details) {
        outbox.record(h, AuditEvent.onRepository(actor, action, repository, details));
    }

    /** A caller whose credentials checked out; {@code appTokenId} when they were an application token. */
    record Authenticated(Principal principal, @Nullable Long appTokenId) {
    }

    // ---- administration ----

    /** Creates a user; returns nothing secret (the caller chose or generated the password). */
    public void createUser(String name, String password, boolean superuser) {
        checkName(name);
        checkPassword(password);
        String hash = Passwords.hash(password);
        db.inTransaction(h -> {
            if (AccountDao.find(h, name).isPresent()) {
                throw BollardException.conflict("the name '" + name + "' is taken by a user or an organization");
            }
            AccountDao.insert(h, name, "user", hash, superuser);
            recordOn(h, name, AuditActions.USER_CREATE, Map.of("user", name, "superuser", superuser));
            return null;
        });
    }

    /** Sets a new password and revokes the user's refresh tokens (application tokens stay). */
    public void resetPassword(String name, String password) {
        checkPassword(password);
        String hash = Passwords.hash(password);
        db.inTransaction(h -> {
            AccountDao.Account user = requireUser(h, name);
            AccountDao.setPassword(h, user.id(), hash);
            UserTokenDao.deleteRefreshTokens(h, user.id());
            recordOn(h, name, AuditActions.USER_PASSWORD, Map.of("user", name));
            return null;
        });
    }

    /** True when {@code password} is the user's password (not a token). */
    public boolean passwordMatches(String name, String password) {
        Optional<AccountDao.Account> user = db.read(h -> AccountDao.find(h, name)).filter(AccountDao.Account::isUser);
        if (user.isEmpty() || user.get().passwordHash() == null || password == null) {
            Passwords.verifyDummy(password == null ? "" : password);
            return false;
        }
        return Passwords.verify(password, user.get().passwordHash());
    }

    public void setSuperuser(String name, boolean superuser) {
        db.inTransaction(h -> {
            AccountDao.setSuperuser(h, requireUser(h, name).id(), superuser);
            recordOn(h, name, AuditActions.USER_UPDATE, Map.of("user", name, "superuser", superuser));
            return null;
        });
    }

    public List<String> users() {
        return db.read(h -> AccountDao.names(h, "user"));
    }

    /** Creates an organization owned by {@code owner}. */
    public void createOrganization(String name, String owner) {
        checkName(name);
        db.inTransaction(h -> {
            AccountDao.Account user = requireUser(h, owner);
            if (AccountDao.find(h, name).isPresent()) {
                throw BollardException.conflict("the name '" + name + "' is taken by a user or an organization");
            }
            long org = AccountDao.insert(h, name, "org", null, false);
            AccountDao.putMember(h, org, user.id(), "owner");
            recordOn(h, name, AuditActions.ORG_CREATE, Map.of("organization", name, "owner", owner));
            return null;
        });
    }

    /** Adds a user to an organization as {@code owner}, {@code admin} or {@code member} (or changes the role). */
    public void setMember(String organization, String user, String role) {
        if (!List.of("owner", "admin", "member").contains(role)) {
            throw BollardException.invalid("role must be owner, admin or member, not '" + role + "'");
        }
        db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, organization);
            long userId = requireUser(h, user).id();
            if (!role.equals("owner") && AccountDao.memberRole(h, org.id(), userId).filter("owner"::equals).isPresent()
                    && AccountDao.countRole(h, org.id(), "owner") == 1) {
                throw BollardException.conflict(user + " is the last owner of " + organization + "; make another owner first");
            }
            AccountDao.putMember(h, org.id(), userId, role);
            recordOn(h, organization, AuditActions.ORG_MEMBER_SET, Map.of("user", user, "role", role));
            return null;
        });
    }

    /** Creates robot {@code owner+name}; returns its token, which is not stored and cannot be shown again. */
    public String createRobot(String owner, String name) {
        if (!ROBOT_NAME.matcher(name).matches()) {
            throw BollardException.invalid("a robot name is 1 to 64 of a-z, 0-9 and _, starting with a letter or digit");
        }
        String token = Secrets.newToken(Secrets.ROBOT_TOKEN_PREFIX);
        db.inTransaction(h -> {
            AccountDao.Account account = AccountDao.find(h, owner)
                    .orElseThrow(() -> BollardException.notFound("no user or organization '" + owner + "'"));
            if (RobotDao.find(h, account.id(), name).isPresent()) {
                throw BollardException.conflict("robot " + owner + "+" + name + " exists already");
            }
            RobotDao.insert(h, account.id(), name, Secrets.sha256(token));
            recordOn(h, owner, AuditActions.ROBOT_CREATE, Map.of("robot", owner + "+" + name));
            return null;
        });
        return token;
    }

    /** Replaces the token of robot {@code owner+name}; the old one stops working at once. Returns the new token. */
    public String regenerateRobotToken(String robot) {
        String token = Secrets.newToken(Secrets.ROBOT_TOKEN_PREFIX);
        db.inTransaction(h -> {
            RobotDao.setTokenHash(h, requireRobot(h, robot).id(), Secrets.sha256(token));
            recordOn(h, ownerOf(robot), AuditActions.ROBOT_REGENERATE, Map.of("robot", robot));
            return null;
        });
        return token;
    }

    public void deleteRobot(String robot) {
        db.inTransaction(h -> {
            RobotDao.delete(h, requireRobot(h, robot).id());
            recordOn(h, ownerOf(robot), AuditActions.ROBOT_DELETE, Map.of("robot", robot));
            return null;
        });
    }

    /** Names ({@code owner+name}) of the robots of a user or an organization. */
    public List<String> robots(String owner) {
        return db.read(h -> {
            AccountDao.Account account = AccountDao.find(h, owner)
                    .orElseThrow(() -> BollardException.notFound("no user or organization '" + owner + "'"));
            return RobotDao.names(h, account.id()).stream().map(n -> owner + "+" + n).toList();
        });
    }

    /** True when robot {@code owner+name} exists. */
    public boolean robotExists(String robot) {
        return db.read(h -> {
            try {
                requireRobot(h, robot);
                return true;
            } catch (BollardException e) {
                return false;
            }
        });
    }

    private static @Nullable String ownerOf(String robot) {
        int plus = robot.indexOf('+');
        return plus < 0 ? null : robot.substring(0, plus);
    }

    /** Creates an application token for the user; returns it (shown once). */
    public String createAppToken(String user, String tokenName) {
        if (tokenName == null || tokenName.isBlank() || tokenName.length() > 255) {
            throw BollardException.invalid("a token needs a name (up to 255 characters)");
        }
        String token = Secrets.newToken(Secrets.APP_TOKEN_PREFIX);
        db.inTransaction(h -> {
            long userId = requireUser(h, user).id();
            if (UserTokenDao.appTokenNames(h, userId).contains(tokenName)) {
                throw BollardException.conflict(user + " has an application token named '" + tokenName + "' already");
            }
            UserTokenDao.insert(h, userId, "app", tokenName, Secrets.sha256(token), null);
            recordOn(h, user, AuditActions.APP_TOKEN_CREATE, Map.of("user", user, "token", tokenName));
            return null;
        });
        return token;
    }

    public boolean revokeAppToken(String user, String tokenName) {
        return db.inTransaction(h -> {
            boolean revoked = UserTokenDao.deleteApp(h, requireUser(h, user).id(), tokenName) > 0;
            if (revoked) {
                recordOn(h, user, AuditActions.APP_TOKEN_REVOKE, Map.of("user", user, "token", tokenName));
            }
            return revoked;
        });
    }

    public List<String> appTokens(String user) {
        return db.read(h -> UserTokenDao.appTokenNames(h, requireUser(h, user).id()));
    }

    /**
     * Grants {@code read}, {@code write} or {@code admin} on a repository to a robot ({@code owner+name}) or a user.
     * The repository is created (empty) when it does not exist yet, so that a robot can push it first.
     */
    public void grant(String repository, String grantee, String role) {
        ensureRepository(repository);
        grant(repository, grantee.contains("+") ? "robot" : "user", grantee, role);
    }

    /** Creates the repository (empty, private) when it does not exist, and records that. */
    private void ensureRepository(String repository) {
        checkRepository(repository);
        db.inTransaction(h -> {
            if (RepositoryDao.findId(h, repository).isEmpty()) {
                RepositoryDao.create(h, repository);
                recordOnRepository(h, repository, AuditActions.REPO_CREATE, Map.of("visibility", "private"));
            }
            return null;
        });
    }

    /**
     * Grants {@code role} on an existing repository to a grantee of {@code kind} {@code user}, {@code robot}
     * ({@code owner+name}) or {@code team} (a team of the organization that is the repository's namespace).
     */
    public void grant(String repository, String kind, String grantee, String role) {
        checkRole(role);
        db.inTransaction(h -> {
            long repo = requireRepository(h, repository);
            GrantDao.put(h, repo, kind, granteeId(h, kind, grantee, Permissions.namespaceOf(repository)), role);
            recordOnRepository(h, repository, AuditActions.PERMISSION_SET,
                    Map.of("kind", kind, "grantee", grantee, "role", role));
            return null;
        });
    }

    public boolean revoke(String repository, String grantee) {
        if (db.read(h -> RepositoryDao.findId(h, repository)).isEmpty()) {
            return false;
        }
        return revoke(repository, grantee.contains("+") ? "robot" : "user", grantee);
    }

    /** Removes a grantee's grant on the repository; false when there was none. */
    public boolean revoke(String repository, String kind, String grantee) {
        return db.inTransaction(h -> {
            boolean removed = GrantDao.remove(h, requireRepository(h, repository), kind,
                    granteeId(h, kind, grantee, Permissions.namespaceOf(repository)));
            if (removed) {
                recordOnRepository(h, repository, AuditActions.PERMISSION_REMOVE, Map.of("kind", kind, "grantee", grantee));
            }
            return removed;
        });
    }

    /** A grant as listed: grantee kind ({@code user}, {@code robot}, {@code team}), name and role. */
    public record GrantInfo(String kind, String name, String role) {
    }

    /** Every grant on the repository. */
    public List<GrantInfo> grants(String repository) {
        return db.read(h -> GrantDao.list(h, requireRepository(h, repository)).stream()
                .map(g -> new GrantInfo(g.granteeType(), granteeName(h, g.granteeType(), g.granteeId()), g.role()))
                .toList());
    }

    /** Makes a repository public or private; creates it (empty) when it does not exist yet. */
    public void setVisibility(String repository, boolean isPublic) {
        ensureRepository(repository);
        changeVisibility(repository, isPublic);
    }

    // ---- organization default permissions ----

    /** Sets what every repository created in the organization from now on grants to a user, robot or team. */
    public void setDefaultPermission(String organization, String kind, String grantee, String role) {
        checkRole(role);
        db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, organization);
            GrantDao.putDefault(h, org.id(), kind, granteeId(h, kind, grantee, organization), role);
            recordOn(h, organization, AuditActions.DEFAULT_PERMISSION_SET,
                    Map.of("kind", kind, "grantee", grantee, "role", role));
            return null;
        });
    }

    public boolean removeDefaultPermission(String organization, String kind, String grantee) {
        return db.inTransaction(h -> {
            boolean removed = GrantDao.removeDefault(h, requireOrganization(h, organization).id(), kind,
                    granteeId(h, kind, grantee, organization));
            if (removed) {
                recordOn(h, organization, AuditActions.DEFAULT_PERMISSION_REMOVE, Map.of("kind", kind, "grantee", grantee));
            }
            return removed;
        });
    }

    public List<GrantInfo> defaultPermissions(String organization) {
        return db.read(h -> GrantDao.defaults(h, requireOrganization(h, organization).id()).stream()
                .map(g -> new GrantInfo(g.granteeType(), granteeName(h, g.granteeType(), g.granteeId()), g.role()))
                .toList());
    }

    // ---- users and organizations, as listed and described ----

    /** A user or an organization as listed. */
    public record AccountInfo(String name, boolean superuser) {
    }

    public Optional<AccountInfo> user(String name) {
        return db.read(h -> AccountDao.find(h, name).filter(AccountDao.Account::isUser)
                .map(a -> new AccountInfo(a.name(), a.superuser())));
    }

    /** Users after {@code after} in name order, at most {@code limit}. */
    public List<AccountInfo> users(@Nullable String after, int limit) {
        return db.read(h -> AccountDao.list(h, "user", after, limit).stream()
                .map(a -> new AccountInfo(a.name(), a.superuser())).toList());
    }

    /**
     * Deletes a user with their tokens, robots, memberships and grants. Refused while repositories exist in their
     * namespace, or when they are the last owner of an organization.
     */
    public void deleteUser(String name) {
        db.inTransaction(h -> {
            AccountDao.Account user = requireUser(h, name);
            if (RepositoryDao.anyIn(h, name)) {
                throw BollardException.conflict("repositories exist in the namespace " + name + "; delete them first");
            }
            for (AccountDao.Account org : AccountDao.organizationsOf(h, user.id(), "", Integer.MAX_VALUE)) {
                if (AccountDao.memberRole(h, org.id(), user.id()).filter("owner"::equals).isPresent()
                        && AccountDao.countRole(h, org.id(), "owner") == 1) {
                    throw BollardException.conflict(name + " is the last owner of " + org.name() + "; make another owner first");
                }
            }
            AccountDao.delete(h, user.id());
            recordOn(h, name, AuditActions.USER_DELETE, Map.of("user", name));
            return null;
        });
    }

    public boolean organizationExists(String name) {
        return db.read(h -> AccountDao.find(h, name).filter(a -> !a.isUser()).isPresent());
    }

    /** Organizations after {@code after} in name order, at most {@code limit}: all of them, or those of one user. */
    public List<String> organizations(@Nullable String memberOrNullForAll, @Nullable String after, int limit) {
        return db.read(h -> {
            if (memberOrNullForAll == null) {
                return AccountDao.list(h, "org", after, limit).stream().map(AccountDao.Account::name).toList();
            }
            long userId = requireUser(h, memberOrNullForAll).id();
            return AccountDao.organizationsOf(h, userId, after, limit).stream().map(AccountDao.Account::name).toList();
        });
    }

    /** Deletes an organization with its teams, robots and memberships; refused while it has repositories. */
    public void deleteOrganization(String name) {
        db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, name);
            if (RepositoryDao.anyIn(h, name)) {
                throw BollardException.conflict("repositories exist in the namespace " + name + "; delete them first");
            }
            AccountDao.delete(h, org.id());
            recordOn(h, name, AuditActions.ORG_DELETE, Map.of("organization", name));
            return null;
        });
    }

    /** A member of an organization with their role. */
    public record MemberInfo(String name, String role) {
    }

    public List<MemberInfo> members(String organization, @Nullable String after, int limit) {
        return db.read(h -> AccountDao.members(h, requireOrganization(h, organization).id(), after, limit).stream()
                .map(m -> new MemberInfo(m.name(), m.role())).toList());
    }

    /** Removes a user from an organization and its teams; the last owner cannot go. */
    public boolean removeMember(String organization, String user) {
        return db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, organization);
            long userId = requireUser(h, user).id();
            if (AccountDao.memberRole(h, org.id(), userId).filter("owner"::equals).isPresent()
                    && AccountDao.countRole(h, org.id(), "owner") == 1) {
                throw BollardException.conflict(user + " is the last owner of " + organization + "; make another owner first");
            }
            boolean removed = AccountDao.removeMember(h, org.id(), userId);
            if (removed) {
                recordOn(h, organization, AuditActions.ORG_MEMBER_REMOVE, Map.of("user", user));
            }
            return removed;
        });
    }

    // ---- teams ----

    /** A team as listed: its name, role ({@code member}, {@code creator}, {@code admin}) and description. */
    public record TeamInfo(String name, String role, String description) {
    }

    public void createTeam(String organization, String name, String role, @Nullable String description) {
        checkName(name);
        checkTeamRole(role);
        db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, organization);
            if (TeamDao.find(h, org.id(), name).isPresent()) {
                throw BollardException.conflict("team " + organization + "/" + name + " exists already");
            }
            TeamDao.insert(h, org.id(), name, role, description == null ? "" : description);
            recordOn(h, organization, AuditActions.TEAM_CREATE, Map.of("team", name, "role", role));
            return null;
        });
    }

    public TeamInfo team(String organization, String name) {
        return db.read(h -> {
            TeamDao.Team t = requireTeam(h, organization, name);
            return new TeamInfo(t.name(), t.role(), t.description());
        });
    }

    public List<TeamInfo> teams(String organization, @Nullable String after, int limit) {
        return db.read(h -> TeamDao.list(h, requireOrganization(h, organization).id(), after, limit).stream()
                .map(t -> new TeamInfo(t.name(), t.role(), t.description())).toList());
    }

    /** Changes a team's role and/or description (null: unchanged). */
    public void updateTeam(String organization, String name, @Nullable String role, @Nullable String description) {
        if (role != null) {
            checkTeamRole(role);
        }
        db.inTransaction(h -> {
            TeamDao.Team t = requireTeam(h, organization, name);
            TeamDao.update(h, t.id(), role == null ? t.role() : role, description == null ? t.description() : description);
            Map<String, Object> details = new java.util.LinkedHashMap<>();
            details.put("team", name);
            if (role != null) {
                details.put("role", role);
            }
            recordOn(h, organization, AuditActions.TEAM_UPDATE, details);
            return null;
        });
    }

    public void deleteTeam(String organization, String name) {
        db.inTransaction(h -> {
            TeamDao.delete(h, requireTeam(h, organization, name).id());
            recordOn(h, organization, AuditActions.TEAM_DELETE, Map.of("team", name));
            return null;
        });
    }

    /**
     * Adds a user to a team, and to the team's organization as a member when not yet in it; or a robot
     * ({@code owner+name}) of the team's organization.
     */
    public void addTeamMember(String organization, String team, String member) {
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
                recordOn(h, organization, AuditActions.TEAM_MEMBER_ADD, Map.of("team", team, "member", member));
            }
            return null;
        });
    }

    public boolean removeTeamMember(String organization, String team, String member) {
        return db.inTransaction(h -> {
            TeamDao.Team t = requireTeam(h, organization, team);
            boolean removed = member.contains("+")
                    ? TeamDao.removeRobot(h, t.id(), requireOwnRobot(h, organization, member).id())
                    : TeamDao.removeMember(h, t.id(), requireUser(h, member).id());
            if (removed) {
                recordOn(h, organization, AuditActions.TEAM_MEMBER_REMOVE, Map.of("team", team, "member", member));
            }
            return removed;
        });
    }

    /** A robot of the organization itself: teams take only their organization's robots. */
    private static RobotDao.Robot requireOwnRobot(Handle h, String organization, String robot) {
        if (!robot.startsWith(organization + "+")) {
            throw BollardException.invalid("only robots of " + organization + " (" + organization
                    + "+name) can be in its teams, not " + robot);
        }
        return requireRobot(h, robot);
    }

    public List<String> teamMembers(String organization, String team, @Nullable String after, int limit) {
        return db.read(h -> TeamDao.members(h, requireTeam(h, organization, team).id(), after, limit));
    }

    // ---- repositories ----

    /** A repository as described: name, visibility, when it was created, how many tags and manifests it holds. */
    public record RepositoryInfo(String name, String visibility, java.time.Instant createdAt, int tags, int manifests) {
    }

    private static RepositoryInfo info(RepositoryDao.Described d) {
        return new RepositoryInfo(d.name(), d.visibility(), d.createdAt(), d.tags(), d.manifests());
    }

    public Optional<RepositoryInfo> repository(String name) {
        return db.read(h -> RepositoryDao.describe(h, name).map(Identities::info));
    }

    /** Repositories {@code visible} lets through, optionally of one namespace, after {@code after}, at most {@code limit}. */
    public List<RepositoryInfo> repositories(dev.bollard.metadata.RepositoryFilter visible, @Nullable String namespace,
                                             @Nullable String after, int limit) {
        return db.read(h -> RepositoryDao.list(h, after, limit, visible, namespace).stream()
                .map(Identities::info).toList());
    }

    /**
     * Creates an empty repository for {@code creator} (who may create it): with its organization's default
     * permissions, and an admin grant to a creating user who would not administer it otherwise.
     */
    public RepositoryInfo createRepository(Principal creator, String repository, boolean isPublic) {
        checkRepository(repository);
        db.inTransaction(h -> {
            if (RepositoryDao.findId(h, repository).isPresent()) {
                throw BollardException.conflict("repository " + repository + " exists already");
            }
            long id = RepositoryDao.create(h, repository);
            GrantDao.setVisibility(h, id, isPublic);
            grantCreator(h, creator, id, repository);
            recordOnRepository(h, repository, AuditActions.REPO_CREATE,
                    Map.of("visibility", isPublic ? "public" : "private"));
            return null;
        });
        return repository(repository).orElseThrow();
    }

    /** Creation on first push (see {@link RegistryAccessPolicy}): as {@link #createRepository}, if still missing. */
    void createRepositoryFor(Principal creator, String repository, Actor who) {
        db.inTransaction(h -> {
            if (RepositoryDao.findId(h, repository).isEmpty()) {
                grantCreator(h, creator, RepositoryDao.create(h, repository), repository);
                outbox.record(h, AuditEvent.onRepository(who, AuditActions.REPO_CREATE, repository,
                        Map.of("visibility", "private", "by", "push")));
            }
            return null;
        });
    }

    private static void grantCreator(Handle h, Principal creator, long repositoryId, String repository) {
        if (creator instanceof Principal.User u && !u.superuser()
                && Permissions.of(h, u, repository, false) != Level.ADMIN) {
            GrantDao.put(h, repositoryId, "user", u.id(), "admin");
        }
    }

    /** Deletes a repository with all its manifests, tags and grants (blobs no repository links are collected later). */
    public void deleteRepository(String repository) {
        db.inTransaction(h -> {
            RepositoryDao.delete(h, requireRepository(h, repository));
            recordOnRepository(h, repository, AuditActions.REPO_DELETE, Map.of());
            return null;
        });
    }

    /** Sets the visibility of an existing repository. */
    public void changeVisibility(String repository, boolean isPublic) {
        db.inTransaction(h -> {
            GrantDao.setVisibility(h, requireRepository(h, repository), isPublic);
            recordOnRepository(h, repository, AuditActions.REPO_VISIBILITY,
                    Map.of("visibility", isPublic ? "public" : "private"));
            return null;
        });
    }

    // ---- authentication ----

    /**
     * Checks a user name and a secret: a robot's token ({@code owner+name}), a user's application token, or a
     * user's password. Empty when they do not match (without saying which part was wrong).
     */
    Optional<Authenticated> authenticate(String username, String secret) {
        if (username == null || secret == null || username.isEmpty() || secret.isEmpty()) {
            return Optional.empty();
        }
        int plus = username.indexOf('+');
        if (plus > 0) {
            return db.read(h -> AccountDao.find(h, username.substring(0, plus))
                    .flatMap(owner -> RobotDao.find(h, owner.id(), username.substring(plus + 1)))
                    .filter(robot -> Secrets.matches(secret, robot.tokenHash()))
                    .map(robot -> new Authenticated(new Principal.Robot(robot.id(), robot.ownerId(), username), null)));
        }
        Optional<AccountDao.Account> account = db.read(h -> AccountDao.find(h, username)).filter(AccountDao.Account::isUser);
        if (account.isEmpty()) {
            Passwords.verifyDummy(secret);
            return Optional.empty();
        }
        AccountDao.Account user = account.get();
        Principal.User principal = new Principal.User(user.id(), user.name(), user.superuser());
        if (secret.startsWith(Secrets.APP_TOKEN_PREFIX)) {
            Optional<UserTokenDao.UserToken> token = db.read(h -> UserTokenDao.findByHash(h, Secrets.sha256(secret)))
                    .filter(t -> t.kind().equals("app") && t.userId() == user.id());
            if (token.isPresent()) {
                db.inTransaction(h -> {
                    UserTokenDao.touch(h, token.get().id());
                    return null;
                });
                return Optional.of(new Authenticated(principal, token.get().id()));
            }
        }
        if (user.passwordHash() != null && Passwords.verify(secret, user.passwordHash())) {
            return Optional.of(new Authenticated(principal, null));
        }
        return Optional.empty();
    }

    /** The user an application token (sent as a bearer token to the management API) belongs to. */
    Optional<Principal.User> authenticateAppToken(String token) {
        if (token == null || !token.startsWith(Secrets.APP_TOKEN_PREFIX)) {
            return Optional.empty();
        }
        return db.inTransaction(h -> {
            Optional<UserTokenDao.UserToken> found = UserTokenDao.findByHash(h, Secrets.sha256(token))
                    .filter(t -> t.kind().equals("app"));
            found.ifPresent(t -> UserTokenDao.touch(h, t.id()));
            return found.flatMap(t -> AccountDao.findById(h, t.userId()))
                    .map(a -> new Principal.User(a.id(), a.name(), a.superuser()));
        });
    }

    /** Creates a refresh token for the user (tied to the application token used, when one was). */
    String createRefreshToken(Principal.User user, @Nullable Long appTokenId) {
        String token = Secrets.newToken(Secrets.REFRESH_TOKEN_PREFIX);
        db.inTransaction(h -> UserTokenDao.insert(h, user.id(), "refresh", "refresh", Secrets.sha256(token), appTokenId));
        return token;
    }

    /**
     * The user a refresh token belongs to, when the token was used (or, never used, created) since {@code idleCutoff};
     * a token idle for longer is deleted, and each use restarts its idle time.
     */
    Optional<Principal.User> refresh(@Nullable String refreshToken, Instant idleCutoff) {
        if (refreshToken == null || !refreshToken.startsWith(Secrets.REFRESH_TOKEN_PREFIX)) {
            return Optional.empty();
        }
        String hash = Secrets.sha256(refreshToken);
        return db.inTransaction(h -> {
            if (UserTokenDao.deleteIfIdle(h, hash, idleCutoff)) {
                return Optional.empty();
            }
            Optional<UserTokenDao.UserToken> token = UserTokenDao.findByHash(h, hash).filter(t -> t.kind().equals("refresh"));
            token.ifPresent(t -> UserTokenDao.touch(h, t.id()));
            return token.flatMap(t -> AccountDao.findById(h, t.userId()))
                    .map(a -> new Principal.User(a.id(), a.name(), a.superuser()));
        });
    }

    /**
     * The principal a token's subject (or a UI session) names, as it is now: a user ({@code name}) or a robot
     * ({@code owner+name}); anonymous when empty or gone.
     */
    public Principal resolve(String subject) {
        if (subject == null || subject.isEmpty()) {
            return Principal.ANONYMOUS;
        }
        int plus = subject.indexOf('+');
        return db.read(h -> {
            if (plus > 0) {
                return AccountDao.find(h, subject.substring(0, plus))
                        .flatMap(owner -> RobotDao.find(h, owner.id(), subject.substring(plus + 1)))
                        .<Principal>map(r -> new Principal.Robot(r.id(), r.ownerId(), subject))
                        .orElse(Principal.ANONYMOUS);
            }
            return AccountDao.find(h, subject).filter(AccountDao.Account::isUser)
                    .<Principal>map(a -> new Principal.User(a.id(), a.name(), a.superuser()))
                    .orElse(Principal.ANONYMOUS);
        });
    }

    /** A user as they are now, by id (a web session's user); empty when deleted. */
    public Optional<Principal.User> user(long id) {
        return db.read(h -> AccountDao.findById(h, id)).filter(AccountDao.Account::isUser)
                .map(a -> new Principal.User(a.id(), a.name(), a.superuser()));
    }

    /** A random password for an account created without one. */
    public static String generatePassword() {
        return Secrets.newPassword();
    }

    // ---- checks ----

    private static void checkName(String name) {
        if (name == null || name.length() > 64 || !NAME.matcher(name).matches()) {
            throw BollardException.invalid("'" + name + "' is not a valid name: use lower-case letters, digits and "
                    + "single separators (. _ -) between them, up to 64 characters");
        }
    }

    private static void checkPassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD_LENGTH) {
            throw BollardException.invalid("a password needs at least " + MIN_PASSWORD_LENGTH + " characters");
        }
    }

    private static void checkRepository(String repository) {
        if (!RepositoryName.isValid(repository)) {
            throw BollardException.invalid("'" + repository + "' is not a valid repository name");
        }
    }

    private static void checkRole(String role) {
        if (!List.of("read", "write", "admin").contains(role)) {
            throw BollardException.invalid("role must be read, write or admin, not '" + role + "'");
        }
    }

    private static void checkTeamRole(String role) {
        if (!List.of("member", "creator", "admin").contains(role)) {
            throw BollardException.invalid("a team's role must be member, creator or admin, not '" + role + "'");
        }
    }

    private static AccountDao.Account requireUser(Handle h, String name) {
        return AccountDao.find(h, name).filter(AccountDao.Account::isUser)
                .orElseThrow(() -> BollardException.notFound("no user '" + name + "'"));
    }

    private static AccountDao.Account requireOrganization(Handle h, String name) {
        return AccountDao.find(h, name).filter(a -> !a.isUser())
                .orElseThrow(() -> BollardException.notFound("no organization '" + name + "'"));
    }

    private static TeamDao.Team requireTeam(Handle h, String organization, String team) {
        return TeamDao.find(h, requireOrganization(h, organization).id(), team)
                .orElseThrow(() -> BollardException.notFound("no team '" + team + "' in " + organization));
    }

    private static long requireRepository(Handle h, String repository) {
        return RepositoryDao.findId(h, repository)
                .orElseThrow(() -> BollardException.notFound("no repository '" + repository + "'"));
    }

    /** The id of a grantee: a user, a robot ({@code owner+name}), or a team of {@code organization}. */
    private static long granteeId(Handle h, String kind, String name, @Nullable String organization) {
        return switch (kind) {
            case "user" -> requireUser(h, name).id();
            case "robot" -> requireRobot(h, name).id();
            case "team" -> {
                if (organization == null || AccountDao.find(h, organization).filter(a -> !a.isUser()).isEmpty()) {
                    throw BollardException.invalid("teams exist only in organizations; "
                            + (organization == null ? "this repository has no namespace" : organization + " is not one"));
                }
                yield requireTeam(h, organization, name).id();
            }
            default -> throw BollardException.invalid("a grantee is a user, robot or team, not '" + kind + "'");
        };
    }

    private static String granteeName(Handle h, String kind, long id) {
        return switch (kind) {
            case "user" -> AccountDao.findById(h, id).map(AccountDao.Account::name).orElse("#" + id);
            case "robot" -> RobotDao.fullName(h, id).orElse("#" + id);
            case "team" -> TeamDao.findById(h, id).map(TeamDao.Team::name).orElse("#" + id);
            default -> "#" + id;
        };
    }

    private static RobotDao.Robot requireRobot(Handle h, String fullName) {
        int plus = fullName.indexOf('+');
        if (plus <= 0) {
            throw BollardException.invalid("a robot is named owner+name, not '" + fullName + "'");
        }
        return AccountDao.find(h, fullName.substring(0, plus))
                .flatMap(owner -> RobotDao.find(h, owner.id(), fullName.substring(plus + 1)))
                .orElseThrow(() -> BollardException.notFound("no robot '" + fullName + "'"));
    }
}
