package dev.bollard.auth;

import static dev.bollard.auth.Lookups.requireRobot;

import dev.bollard.audit.AuditActions;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.RobotDao;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Robot accounts ({@code owner+name}) of users and organizations, each with a token that is returned once, when made,
 * and stored only as a hash. Each change is recorded in the outbox, in its transaction, as made by the actor
 * {@link Identities#as} names.
 */
public final class Robots {
    private static final Pattern ROBOT_NAME = Pattern.compile("[a-z0-9][a-z0-9_]{0,63}");

    private final Database db;
    private final Changes changes;

    Robots(Database db, Changes changes) {
        this.db = db;
        this.changes = changes;
    }

    /** Creates robot {@code owner+name}; returns its token, which is not stored and cannot be shown again. */
    public String create(String owner, String name) {
        if (!ROBOT_NAME.matcher(name).matches()) {
            throw BollardException.invalid("a robot name is 1 to 64 of a-z, 0-9 and _, starting with a letter or digit");
        }
        String token = Secrets.newToken(Secrets.ROBOT_TOKEN_PREFIX);
        db.inTransaction(h -> {
            AccountDao.Account account = Lookups.requireAccount(h, owner);
            if (RobotDao.find(h, account.id(), name).isPresent()) {
                throw BollardException.conflict("robot " + owner + "+" + name + " exists already");
            }
            RobotDao.insert(h, account.id(), name, Secrets.sha256(token));
            changes.onNamespace(h, owner, AuditActions.ROBOT_CREATE, Map.of("robot", owner + "+" + name));
            return null;
        });
        return token;
    }

    /** Replaces the token of robot {@code owner+name}; the old one stops working at once. Returns the new token. */
    public String regenerateToken(String robot) {
        String token = Secrets.newToken(Secrets.ROBOT_TOKEN_PREFIX);
        db.inTransaction(h -> {
            RobotDao.setTokenHash(h, requireRobot(h, robot).id(), Secrets.sha256(token));
            changes.onNamespace(h, ownerOf(robot), AuditActions.ROBOT_REGENERATE, Map.of("robot", robot));
            return null;
        });
        return token;
    }

    public void delete(String robot) {
        db.inTransaction(h -> {
            RobotDao.delete(h, requireRobot(h, robot).id());
            changes.onNamespace(h, ownerOf(robot), AuditActions.ROBOT_DELETE, Map.of("robot", robot));
            return null;
        });
    }

    /** Names ({@code owner+name}) of the robots of a user or an organization. */
    public List<String> list(String owner) {
        return db.read(h -> RobotDao.names(h, Lookups.requireAccount(h, owner).id()).stream()
                .map(n -> owner + "+" + n).toList());
    }

    /** True when robot {@code owner+name} exists. */
    public boolean exists(String robot) {
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

}
