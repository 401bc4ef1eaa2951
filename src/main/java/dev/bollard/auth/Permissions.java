package dev.bollard.auth;

import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.GrantDao;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * What a principal may do with one repository. A user administers the repositories of their own namespace (the
 * first path component) and of organizations they own or administer, and reads those of organizations they are a
 * member of; superusers administer everything; robots and users get what is granted to them per repository; anyone
 * (anonymous only when anonymous pull is on) reads public repositories. A single-component name has no namespace:
 * only superusers and grants reach it.
 */
final class Permissions {
    private Permissions() {
    }

    static String namespaceOf(String repository) {
        int slash = repository.indexOf('/');
        return slash < 0 ? null : repository.substring(0, slash);
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
        switch (principal) {
            case Principal.Anonymous a -> {
                return level;
            }
            case Principal.User u -> {
                String ns = namespaceOf(repository);
                if (ns != null) {
                    if (ns.equals(u.name())) {
                        return Level.ADMIN;
                    }
                    Optional<AccountDao.Account> org = AccountDao.find(h, ns).filter(acc -> !acc.isUser());
                    if (org.isPresent()) {
                        level = level.max(AccountDao.memberRole(h, org.get().id(), u.id()).map(Level::ofRole)
                                .orElse(Level.NONE));
                    }
                }
                if (repo.isPresent()) {
                    level = level.max(GrantDao.role(h, repo.get().id(), "user", u.id()).map(Level::ofRole)
                            .orElse(Level.NONE));
                }
                return level;
            }
            case Principal.Robot r -> {
                if (repo.isPresent()) {
                    level = level.max(GrantDao.role(h, repo.get().id(), "robot", r.id()).map(Level::ofRole)
                            .orElse(Level.NONE));
                }
                return level;
            }
        }
    }
}
