package dev.bollard.auth;

import static dev.bollard.auth.Lookups.requireOrganization;
import static dev.bollard.auth.Lookups.requireUser;

import dev.bollard.audit.AuditActions;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.RepositoryDao;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * Organizations and their members ({@code owner}, {@code admin} or {@code member}); an organization always keeps an
 * owner. Each change is recorded in the outbox, in its transaction, as made by the actor {@link Identities#as} names.
 */
public final class Organizations {
    private final Database db;
    private final Changes changes;

    Organizations(Database db, Changes changes) {
        this.db = db;
        this.changes = changes;
    }

    /** A member of an organization with their role. */
    public record MemberInfo(String name, String role) {
    }

    /** Creates an organization owned by {@code owner}. */
    public void create(String name, String owner) {
        Lookups.checkName(name);
        db.inTransaction(h -> {
            AccountDao.Account user = requireUser(h, owner);
            Lookups.checkNameFree(h, name);
            long org = AccountDao.insert(h, name, "org", null, false);
            AccountDao.putMember(h, org, user.id(), "owner");
            changes.onNamespace(h, name, AuditActions.ORG_CREATE, Map.of("organization", name, "owner", owner));
            return null;
        });
    }

    public boolean exists(String name) {
        return db.read(h -> AccountDao.find(h, name).filter(a -> !a.isUser()).isPresent());
    }

    /** Organizations after {@code after} in name order, at most {@code limit}: all of them, or those of one user. */
    public List<String> list(@Nullable String memberOrNullForAll, @Nullable String after, int limit) {
        return db.read(h -> {
            if (memberOrNullForAll == null) {
                return AccountDao.list(h, "org", after, limit).stream().map(AccountDao.Account::name).toList();
            }
            long userId = requireUser(h, memberOrNullForAll).id();
            return AccountDao.organizationsOf(h, userId, after, limit).stream().map(AccountDao.Account::name).toList();
        });
    }

    /** Deletes an organization with its teams, robots and memberships; refused while it has repositories. */
    public void delete(String name) {
        db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, name);
            if (RepositoryDao.anyIn(h, name)) {
                throw BollardException.conflict("repositories exist in the namespace " + name + "; delete them first");
            }
            AccountDao.delete(h, org.id());
            changes.onNamespace(h, name, AuditActions.ORG_DELETE, Map.of("organization", name));
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
            if (!role.equals("owner")) {
                checkNotLastOwner(h, org.id(), userId, user, organization);
            }
            AccountDao.putMember(h, org.id(), userId, role);
            changes.onNamespace(h, organization, AuditActions.ORG_MEMBER_SET, Map.of("user", user, "role", role));
            return null;
        });
    }

    /** Removes a user from an organization and its teams; the last owner cannot go. */
    public boolean removeMember(String organization, String user) {
        return db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, organization);
            long userId = requireUser(h, user).id();
            checkNotLastOwner(h, org.id(), userId, user, organization);
            boolean removed = AccountDao.removeMember(h, org.id(), userId);
            if (removed) {
                changes.onNamespace(h, organization, AuditActions.ORG_MEMBER_REMOVE, Map.of("user", user));
            }
            return removed;
        });
    }

    public List<MemberInfo> members(String organization, @Nullable String after, int limit) {
        return db.read(h -> AccountDao.members(h, requireOrganization(h, organization).id(), after, limit).stream()
                .map(m -> new MemberInfo(m.name(), m.role())).toList());
    }

    private static void checkNotLastOwner(Handle h, long orgId, long userId, String user, String organization) {
        if (Lookups.isLastOwner(h, orgId, userId)) {
            throw BollardException.conflict(user + " is the last owner of " + organization + "; make another owner first");
        }
    }

}
