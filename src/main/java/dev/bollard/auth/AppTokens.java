package dev.bollard.auth;

import static dev.bollard.auth.Lookups.requireUser;

import dev.bollard.audit.AuditActions;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.UserTokenDao;
import java.util.List;
import java.util.Map;

/**
 * Users' named application tokens, for clients that should not hold the password: returned once, when made, and
 * stored only as hashes. Each change is recorded in the outbox, in its transaction, as made by the actor {@link Identities#as}
 * names. (Refresh tokens, which the token endpoint hands out, are {@link Credentials}' business.)
 */
public final class AppTokens {
    private final Database db;
    private final Changes changes;

    AppTokens(Database db, Changes changes) {
        this.db = db;
        this.changes = changes;
    }

    /** Creates an application token for the user; returns it (shown once). */
    public String create(String user, String tokenName) {
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
            changes.onNamespace(h, user, AuditActions.APP_TOKEN_CREATE, Map.of("user", user, "token", tokenName));
            return null;
        });
        return token;
    }

    public boolean revoke(String user, String tokenName) {
        return db.inTransaction(h -> {
            boolean revoked = UserTokenDao.deleteApp(h, requireUser(h, user).id(), tokenName) > 0;
            if (revoked) {
                changes.onNamespace(h, user, AuditActions.APP_TOKEN_REVOKE, Map.of("user", user, "token", tokenName));
            }
            return revoked;
        });
    }

    /** The names of the user's application tokens. */
    public List<String> list(String user) {
        return db.read(h -> UserTokenDao.appTokenNames(h, requireUser(h, user).id()));
    }

}
