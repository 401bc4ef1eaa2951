package dev.bollard.auth;

import static dev.bollard.auth.Lookups.requireOrganization;

import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.GrantDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.RepositoryFilter;
import dev.bollard.metadata.RobotDao;
import dev.bollard.metadata.TeamDao;
import dev.bollard.oci.RepositoryName;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * Repositories as access control sees them: their creation and deletion, visibility, the grants of users, robots and
 * teams on them, and the default permissions an organization gives every repository created in it. Each change is
 * recorded in the outbox, in its transaction, as made by the actor {@link #as} names.
 */
public final class RepositoryAccess {
    private final Database db;
    private final Changes changes;

    RepositoryAccess(Database db, Changes changes) {
        this.db = db;
        this.changes = changes;
    }

    /** The same administration, with the changes recorded as made by {@code who}. */
    public RepositoryAccess as(Actor who) {
        return new RepositoryAccess(db, changes.as(who));
    }

    /** A repository as described: name, visibility, when it was created, how many tags and manifests it holds. */
    public record RepositoryInfo(String name, String visibility, Instant createdAt, int tags, int manifests) {
    }

    /** A grant as listed: grantee kind ({@code user}, {@code robot}, {@code team}), name and role. */
    public record GrantInfo(String kind, String name, String role) {
    }

    // ---- repositories ----

    public Optional<RepositoryInfo> find(String name) {
        return db.read(h -> RepositoryDao.describe(h, name).map(RepositoryAccess::info));
    }

    /** Repositories {@code visible} lets through, optionally of one namespace, after {@code after}, at most {@code limit}. */
    public List<RepositoryInfo> list(RepositoryFilter visible, @Nullable String namespace, @Nullable String label,
                                     @Nullable String after, int limit) {
        return db.read(h -> RepositoryDao.list(h, after, limit, visible, namespace, label).stream()
                .map(RepositoryAccess::info).toList());
    }

    /**
     * Creates an empty repository for {@code creator} (who may create it): with its organization's default
     * permissions, and an admin grant to a creating user who would not administer it otherwise.
     */
    public RepositoryInfo create(Principal creator, String repository, boolean isPublic) {
        checkRepository(repository);
        if (!createIfMissing(repository, isPublic, creator, null)) {
            throw BollardException.conflict("repository " + repository + " exists already");
        }
        return find(repository).orElseThrow();
    }

    /**
     * The one way a repository comes to exist, in a transaction of its own: created empty, public or private, with
     * its organization's default permissions (see {@link RepositoryDao#create}), an admin grant to {@code creator}
     * (when there is one) who would not administer it otherwise, and recorded as {@code repo.create} with its
     * visibility and, when {@code by} is given, how it came to be created. False, and nothing done, when it exists.
     */
    boolean createIfMissing(String repository, boolean isPublic, @Nullable Principal creator, @Nullable String by) {
        return db.inTransaction(h -> createIfMissing(h, repository, isPublic, creator, by));
    }

    /** As {@link #createIfMissing(String, boolean, Principal, String)}, inside the caller's transaction. */
    private boolean createIfMissing(Handle h, String repository, boolean isPublic, @Nullable Principal creator,
                                    @Nullable String by) {
        if (RepositoryDao.findId(h, repository).isPresent()) {
            return false;
        }
        long id = RepositoryDao.create(h, repository);
        if (isPublic) { // new repositories are private (the column's default)
            GrantDao.setVisibility(h, id, true);
        }
        if (creator instanceof Principal.User u && !u.superuser()
                && Permissions.of(h, u, repository, false) != Level.ADMIN) {
            GrantDao.put(h, id, "user", u.id(), "admin");
        }
        String visibility = isPublic ? "public" : "private";
        changes.onRepository(h, repository, AuditActions.REPO_CREATE,
                by == null ? Map.of("visibility", visibility) : Map.of("visibility", visibility, "by", by));
        return true;
    }

    /** Creates the repository (empty, private, without a creator) when it does not exist, so that it can be granted. */
    private void ensureRepository(String repository) {
        checkRepository(repository);
        createIfMissing(repository, false, null, null);
    }

    /** Deletes a repository with all its manifests, tags and grants (blobs no repository links are collected later). */
    public void delete(String repository) {
        db.inTransaction(h -> {
            RepositoryDao.delete(h, requireRepository(h, repository));
            changes.onRepository(h, repository, AuditActions.REPO_DELETE, Map.of());
            return null;
        });
    }

    /** Makes a repository public or private; creates it (empty) when it does not exist yet. */
    public void setVisibility(String repository, boolean isPublic) {
        ensureRepository(repository);
        changeVisibility(repository, isPublic);
    }

    /** Sets the visibility of an existing repository. */
    public void changeVisibility(String repository, boolean isPublic) {
        db.inTransaction(h -> {
            GrantDao.setVisibility(h, requireRepository(h, repository), isPublic);
            changes.onRepository(h, repository, AuditActions.REPO_VISIBILITY,
                    Map.of("visibility", isPublic ? "public" : "private"));
            return null;
        });
    }

    // ---- grants ----

    /**
     * Grants {@code read}, {@code write} or {@code admin} on a repository to a robot ({@code owner+name}) or a user.
     * The repository is created (empty) when it does not exist yet, so that a robot can push it first.
     */
    public void grant(String repository, String grantee, String role) {
        grantCreating(repository, kindOf(grantee), grantee, role);
    }

    /**
     * Grants {@code role} to a team of the repository's organization, creating the (empty) repository like
     * {@link #grant(String, String, String)}.
     */
    public void grantTeam(String repository, String team, String role) {
        grantCreating(repository, "team", team, role);
    }

    /** The repository created when missing and the grant, in one transaction: a refused grant creates nothing. */
    private void grantCreating(String repository, String kind, String grantee, String role) {
        checkRepository(repository);
        checkRole(role);
        db.inTransaction(h -> {
            createIfMissing(h, repository, false, null, null);
            put(h, repository, kind, grantee, role);
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
            put(h, repository, kind, grantee, role);
            return null;
        });
    }

    private void put(Handle h, String repository, String kind, String grantee, String role) {
        long repo = requireRepository(h, repository);
        GrantDao.put(h, repo, kind, granteeId(h, kind, grantee, Permissions.namespaceOf(repository)), role);
        changes.onRepository(h, repository, AuditActions.PERMISSION_SET,
                Map.of("kind", kind, "grantee", grantee, "role", role));
    }

    /** Removes a robot's ({@code owner+name}) or a user's grant; false when there was none, or no repository. */
    public boolean revoke(String repository, String grantee) {
        if (db.read(h -> RepositoryDao.findId(h, repository)).isEmpty()) {
            return false;
        }
        return revoke(repository, kindOf(grantee), grantee);
    }

    /** Removes a grantee's grant on the repository; false when there was none. */
    public boolean revoke(String repository, String kind, String grantee) {
        return db.inTransaction(h -> {
            boolean removed = GrantDao.remove(h, requireRepository(h, repository), kind,
                    granteeId(h, kind, grantee, Permissions.namespaceOf(repository)));
            if (removed) {
                changes.onRepository(h, repository, AuditActions.PERMISSION_REMOVE, Map.of("kind", kind, "grantee", grantee));
            }
            return removed;
        });
    }

    /** Every grant on the repository. */
    public List<GrantInfo> grants(String repository) {
        return db.read(h -> GrantDao.list(h, requireRepository(h, repository)).stream()
                .map(g -> new GrantInfo(g.granteeType(), granteeName(h, g.granteeType(), g.granteeId()), g.role()))
                .toList());
    }

    /**
     * What the user or robot ({@code owner+name}) named {@code who} may do with the repository, everything counted
     * (superuser, namespace, organization role, teams, grants, public visibility): {@code admin}, {@code write},
     * {@code read} or {@code none}; empty when there is no such user or robot. For people checking access before a
     * push fails, as the registry's access policy decides it.
     */
    public Optional<String> effectivePermission(String repository, String who) {
        return db.read(h -> {
            int plus = who.indexOf('+');
            Optional<Principal> principal = plus > 0
                    ? AccountDao.find(h, who.substring(0, plus)).flatMap(owner -> RobotDao.find(h, owner.id(),
                            who.substring(plus + 1))).map(r -> new Principal.Robot(r.id(), r.ownerId(), who))
                    : AccountDao.find(h, who).filter(AccountDao.Account::isUser)
                            .map(a -> new Principal.User(a.id(), a.name(), a.superuser()));
            return principal.map(p -> Permissions.of(h, p, repository, false).name().toLowerCase(Locale.ROOT));
        });
    }

    // ---- organization default permissions ----

    /** Sets what every repository created in the organization from now on grants to a user, robot or team. */
    public void setDefaultPermission(String organization, String kind, String grantee, String role) {
        checkRole(role);
        db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, organization);
            GrantDao.putDefault(h, org.id(), kind, granteeId(h, kind, grantee, organization), role);
            changes.onNamespace(h, organization, AuditActions.DEFAULT_PERMISSION_SET,
                    Map.of("kind", kind, "grantee", grantee, "role", role));
            return null;
        });
    }

    public boolean removeDefaultPermission(String organization, String kind, String grantee) {
        return db.inTransaction(h -> {
            boolean removed = GrantDao.removeDefault(h, requireOrganization(h, organization).id(), kind,
                    granteeId(h, kind, grantee, organization));
            if (removed) {
                changes.onNamespace(h, organization, AuditActions.DEFAULT_PERMISSION_REMOVE,
                        Map.of("kind", kind, "grantee", grantee));
            }
            return removed;
        });
    }

    public List<GrantInfo> defaultPermissions(String organization) {
        return db.read(h -> GrantDao.defaults(h, requireOrganization(h, organization).id()).stream()
                .map(g -> new GrantInfo(g.granteeType(), granteeName(h, g.granteeType(), g.granteeId()), g.role()))
                .toList());
    }

    // ---- helpers ----



    private static RepositoryInfo info(RepositoryDao.Described d) {
        return new RepositoryInfo(d.name(), d.visibility(), d.createdAt(), d.tags(), d.manifests());
    }

    /** The kind of a grantee the CLI names without one: a robot is {@code owner+name}, anything else a user. */
    private static String kindOf(String grantee) {
        return grantee.contains("+") ? "robot" : "user";
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

    private static long requireRepository(Handle h, String repository) {
        return RepositoryDao.findId(h, repository)
                .orElseThrow(() -> BollardException.notFound("no repository '" + repository + "'"));
    }

    /** The id of a grantee: a user, a robot ({@code owner+name}), or a team of {@code organization}. */
    private static long granteeId(Handle h, String kind, String name, @Nullable String organization) {
        return switch (kind) {
            case "user" -> Lookups.requireUser(h, name).id();
            case "robot" -> Lookups.requireRobot(h, name).id();
            case "team" -> {
                if (organization == null || AccountDao.find(h, organization).filter(a -> !a.isUser()).isEmpty()) {
                    throw BollardException.invalid("teams exist only in organizations; "
                            + (organization == null ? "this repository has no namespace" : organization + " is not one"));
                }
                yield Lookups.requireTeam(h, organization, name).id();
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
}
