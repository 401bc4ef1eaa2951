package dev.bollard.auth;

import dev.bollard.error.BollardException;
import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.RobotDao;
import dev.bollard.metadata.TeamDao;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;

/**
 * What the administration classes ({@link Users}, {@link Organizations}, {@link Teams}, {@link Robots},
 * {@link AppTokens}, {@link RepositoryAccess}) look up and check alike, in the caller's transaction: NOT_FOUND for
 * what does not exist, INVALID_REQUEST for a bad name, CONFLICT for a taken one.
 */
final class Lookups {
    /** A namespace name: one component of a repository name, so that {@code name/app} is valid. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");

    private Lookups() {
    }

    static void checkName(String name) {
        if (name == null || name.length() > 64 || !NAME.matcher(name).matches()) {
            throw BollardException.invalid("'" + name + "' is not a valid name: use lower-case letters, digits and "
                    + "single separators (. _ -) between them, up to 64 characters");
        }
    }

    /** Users and organizations share one namespace. */
    static void checkNameFree(Handle h, String name) {
        if (AccountDao.find(h, name).isPresent()) {
            throw BollardException.conflict("the name '" + name + "' is taken by a user or an organization");
        }
    }

    /** True when the user is the only owner of the organization, who must not stop being one. */
    static boolean isLastOwner(Handle h, long organizationId, long userId) {
        return AccountDao.memberRole(h, organizationId, userId).filter("owner"::equals).isPresent()
                && AccountDao.countRole(h, organizationId, "owner") == 1;
    }

    static AccountDao.Account requireUser(Handle h, String name) {
        return AccountDao.find(h, name).filter(AccountDao.Account::isUser)
                .orElseThrow(() -> BollardException.notFound("no user '" + name + "'"));
    }

    static AccountDao.Account requireOrganization(Handle h, String name) {
        return AccountDao.find(h, name).filter(a -> !a.isUser())
                .orElseThrow(() -> BollardException.notFound("no organization '" + name + "'"));
    }

    /** A user or an organization: what robots belong to. */
    static AccountDao.Account requireAccount(Handle h, String name) {
        return AccountDao.find(h, name)
                .orElseThrow(() -> BollardException.notFound("no user or organization '" + name + "'"));
    }

    static TeamDao.Team requireTeam(Handle h, String organization, String team) {
        return TeamDao.find(h, requireOrganization(h, organization).id(), team)
                .orElseThrow(() -> BollardException.notFound("no team '" + team + "' in " + organization));
    }

    static RobotDao.Robot requireRobot(Handle h, String fullName) {
        int plus = fullName.indexOf('+');
        if (plus <= 0) {
            throw BollardException.invalid("a robot is named owner+name, not '" + fullName + "'");
        }
        return AccountDao.find(h, fullName.substring(0, plus))
                .flatMap(owner -> RobotDao.find(h, owner.id(), fullName.substring(plus + 1)))
                .orElseThrow(() -> BollardException.notFound("no robot '" + fullName + "'"));
    }
}
