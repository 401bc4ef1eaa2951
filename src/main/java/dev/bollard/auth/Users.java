package dev.bollard.auth;

import static dev.bollard.auth.Lookups.requireUser;

import dev.bollard.audit.AuditActions;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.UiSessionDao;
import dev.bollard.metadata.UserTokenDao;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * User accounts: created with a password (stored only as a hash), made superusers or not, given a new password, and
 * deleted. Each change is recorded in the outbox, in its transaction, as made by the actor {@link Identities#as} names.
 */
public final class Users {
    private static final int MIN_PASSWORD_LENGTH = 8;

    private final Database db;
    private final Changes changes;

    Users(Database db, Changes changes) {
        this.db = db;
        this.changes = changes;
    }

    /** A user as listed. */
    public record AccountInfo(String name, boolean superuser) {
    }

    /** A random password for an account created without one. */
    public static String generatePassword() {
        return Secrets.newPassword();
    }

    /** Creates a user; returns nothing secret (the caller chose or generated the password). */
    public void create(String name, String password, boolean superuser) {
        Lookups.checkName(name);
        checkPassword(password);
        String hash = Passwords.hash(password);
        db.inTransaction(h -> {
            Lookups.checkNameFree(h, name);
            AccountDao.insert(h, name, "user", hash, superuser);
            changes.onNamespace(h, name, AuditActions.USER_CREATE, Map.of("user", name, "superuser", superuser));
            return null;
        });
    }

    /**
     * Sets a new password (an administrator's reset, or a change through the API or the command line): ends the
     * user's web sessions and revokes their refresh tokens, so that whoever knew the old password is signed out
     * everywhere. Application tokens stay: they are revoked one by one.
     */
    public void resetPassword(String name, String password) {
        setPassword(name, password, null);
    }

    /**
     * A user's change of their own password in the web UI: as {@link #resetPassword}, except that the session it was
     * made in (the value of its cookie) stays signed in.
     */
    public void changeOwnPassword(String name, String password, @Nullable String currentSessionCookie) {
        setPassword(name, password, currentSessionCookie == null ? null : Secrets.sha256(currentSessionCookie));
    }

    private void setPassword(String name, String password, @Nullable String keptSessionHash) {
        checkPassword(password);
        String hash = Passwords.hash(password);
        db.inTransaction(h -> {
            AccountDao.Account user = requireUser(h, name);
            AccountDao.setPassword(h, user.id(), hash);
            UserTokenDao.deleteRefreshTokens(h, user.id());
            UiSessionDao.deleteOfUser(h, user.id(), keptSessionHash);
            changes.onNamespace(h, name, AuditActions.USER_PASSWORD, Map.of("user", name));
            return null;
        });
    }

    public void setSuperuser(String name, boolean superuser) {
        db.inTransaction(h -> {
            AccountDao.setSuperuser(h, requireUser(h, name).id(), superuser);
            changes.onNamespace(h, name, AuditActions.USER_UPDATE, Map.of("user", name, "superuser", superuser));
            return null;
        });
    }

    /**
     * Deletes a user with their tokens, robots, memberships and grants. Refused while repositories exist in their
     * namespace, or when they are the last owner of an organization.
     */
    public void delete(String name) {
        db.inTransaction(h -> {
            AccountDao.Account user = requireUser(h, name);
            if (RepositoryDao.anyIn(h, name)) {
                throw BollardException.conflict("repositories exist in the namespace " + name + "; delete them first");
            }
            for (AccountDao.Account org : AccountDao.organizationsOf(h, user.id(), "", Integer.MAX_VALUE)) {
                if (Lookups.isLastOwner(h, org.id(), user.id())) {
                    throw BollardException.conflict(name + " is the last owner of " + org.name() + "; make another owner first");
                }
            }
            AccountDao.delete(h, user.id());
            changes.onNamespace(h, name, AuditActions.USER_DELETE, Map.of("user", name));
            return null;
        });
    }

    /** True when there is no user at all (a new registry: nobody can sign in yet). */
    public boolean isEmpty() {
        return list(null, 1).isEmpty();
    }

    /** Every user's name. */
    public List<String> names() {
        return db.read(h -> AccountDao.names(h, "user"));
    }

    public Optional<AccountInfo> find(String name) {
        return db.read(h -> AccountDao.find(h, name).filter(AccountDao.Account::isUser)
                .map(a -> new AccountInfo(a.name(), a.superuser())));
    }

    /** Users after {@code after} in name order, at most {@code limit}. */
    public List<AccountInfo> list(@Nullable String after, int limit) {
        return db.read(h -> AccountDao.list(h, "user", after, limit).stream()
                .map(a -> new AccountInfo(a.name(), a.superuser())).toList());
    }


    private static void checkPassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD_LENGTH) {
            throw BollardException.invalid("a password needs at least " + MIN_PASSWORD_LENGTH + " characters");
        }
    }
}
