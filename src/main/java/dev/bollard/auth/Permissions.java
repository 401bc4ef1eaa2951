package dev.bollard.auth;

import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.GrantDao;
import dev.bollard.metadata.TeamDao;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * What a principal may do with one repository. A user administers the repositories of their own namespace (the
 * first path component) and of organizations they own or administer (or whose admin team they are in), and reads
 * those of organizations they are a member of; members of a creator team may create repositories in the
 * organization; superusers administer everything; robots, users and teams get what is granted to them per
 * repository (organization default permissions are such grants, copied onto each new repository); anyone
 * (anonymous only when anonymous pull is on) reads public repositories. A single-component name has no namespace:
 * only superusers and grants reach it.
 */
final class Permissions {
    private Permissions() {
    }

    static @Nullable String namespaceOf(String repository) {
        int slash = repository.indexOf('/');
        return slash < 0 ? null : repository.substring(0, slash);
    }

    /** True when the repository exists. */
    static boolean exists(Database db, String repository) {
        return db.read(h -> GrantDao.repository(h, repository).isPresent());
    }

    /**
     * What the user is in the organization named {@code org}: ADMIN (owner, admin, or member of an admin team), READ
     * (any other member), NONE (not a member, or no such organization).
     */
    static Level organizationRole(Handle h, Principal.User user, String org) {
        Optional<AccountDao.Account> account = AccountDao.find(h, org).filter(a -> !a.isUser());
        if (account.isEmpty()) {
            return Level.NONE;
        }
        Level level = AccountDao.memberRole(h, account.get().id(), user.id()).map(Level::ofRole).orElse(Level.NONE);
        if (TeamDao.rolesInOrg(h, account.get().id(), user.id()).contains("admin")) {
            level = Level.ADMIN;
        }
        return level;
    }

    /**
     * True when the principal may create {@code repository}: a superuser; a user in their own namespace; an owner or
     * admin of the organization, or a member of one of its creator or admin teams.
     */
    static boolean mayCreate(Handle h, Principal principal, String repository) {
        if (!(principal instanceof Principal.User u)) {
            return false;
        }
        if (u.superuser()) {
            return true;
        }
        String ns = namespaceOf(repository);
        if (ns == null) {
            return false;
        }
        if (ns.equals(u.name())) {
            return true;
        }
        Optional<AccountDao.Account> org = AccountDao.find(h, ns).filter(a -> !a.isUser());
        if (org.isEmpty()) {
            return false;
        }
        return organizationRole(h, u, ns) == Level.ADMIN
                || TeamDao.rolesInOrg(h, org.get().id(), u.id()).contains("creator");
    }

    static Level of(Handle h, Principal principal, String repository, boolean anonymousPull) {
        if (principal instanceof Principal.User u && u.superuser()) {
            return Level.ADMIN;
        }
        Optional<GrantDao.RepositoryAccess> repo = GrantDao.repository(h, repository);
        Level level = Level.NONE;
        if (repo.isPresent() && repo.get().isPublic() && (anonymousPull || !(principal instanceof Principal.Anonymous))) {
            level = Level.READ;
        }
        return switch (principal) {
            case Principal.Anonymous a -> level;
            case Principal.User u -> {
                String ns = namespaceOf(repository);
                if (ns != null) {
                    if (ns.equals(u.name())) {
                        yield Level.ADMIN;
                    }
                    Optional<AccountDao.Account> org = AccountDao.find(h, ns).filter(acc -> !acc.isUser());
                    if (org.isPresent()) {
                        level = level.max(AccountDao.memberRole(h, org.get().id(), u.id()).map(Level::ofRole)
                                .orElse(Level.NONE));
                        for (String teamRole : TeamDao.rolesInOrg(h, org.get().id(), u.id())) {
                            level = level.max(switch (teamRole) {
                                case "admin" -> Level.ADMIN;
                                // A creator may create repositories (push one that does not exist yet); what it may
                                // do with an existing one is what is granted (its creator is granted admin).
                                case "creator" -> repo.isEmpty() ? Level.WRITE : Level.NONE;
                                default -> Level.NONE;
                            });
                        }
                    }
                }
                if (repo.isPresent()) {
                    level = level.max(GrantDao.role(h, repo.get().id(), "user", u.id()).map(Level::ofRole)
                            .orElse(Level.NONE));
                    for (String teamGrant : TeamDao.grantedRoles(h, repo.get().id(), u.id())) {
                        level = level.max(Level.ofRole(teamGrant));
                    }
                }
                yield level;
            }
            case Principal.Robot r -> {
                String ns = namespaceOf(repository);
                Optional<AccountDao.Account> org = ns == null ? Optional.empty()
                        : AccountDao.find(h, ns).filter(acc -> !acc.isUser());
                if (org.isPresent() && TeamDao.robotRolesInOrg(h, org.get().id(), r.id()).contains("admin")
                        && repo.isPresent()) {
                    yield Level.ADMIN; // robots never create repositories, even in an admin team
                }
                if (repo.isPresent()) {
                    level = level.max(GrantDao.role(h, repo.get().id(), "robot", r.id()).map(Level::ofRole)
                            .orElse(Level.NONE));
                    for (String teamGrant : TeamDao.robotGrantedRoles(h, repo.get().id(), r.id())) {
                        level = level.max(Level.ofRole(teamGrant));
                    }
                }
                yield level;
            }
        };
    }
}
