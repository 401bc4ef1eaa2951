package dev.bollard.auth;

import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.GrantDao;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.RobotDao;
import dev.bollard.metadata.UserTokenDao;
import dev.bollard.oci.RepositoryName;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Users, organizations, robot accounts, application tokens, grants and repository visibility: the administration
 * that the CLI (and later the management API) drives, and the checking of credentials. Secrets are returned once,
 * when created, and stored only as hashes.
 */
public final class Identities {
    /** A namespace name: one component of a repository name, so that {@code name/app} is valid. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern ROBOT_NAME = Pattern.compile("[a-z0-9][a-z0-9_]{0,63}");
    static final int MIN_PASSWORD_LENGTH = 8;

    private final Database db;

    public Identities(Database db) {
        this.db = db;
    }

    /** A caller whose credentials checked out; {@code appTokenId} when they were an application token. */
    record Authenticated(Principal principal, Long appTokenId) {
    }

    // ---- administration ----

    /** Creates a user; returns nothing secret (the caller chose or generated the password). */
    public void createUser(String name, String password, boolean superuser) {
        checkName(name);
        checkPassword(password);
        String hash = Passwords.hash(password);
        db.inTransaction(h -> {
            if (AccountDao.find(h, name).isPresent()) {
                throw new IllegalArgumentException("the name '" + name + "' is taken by a user or an organization");
            }
            return AccountDao.insert(h, name, "user", hash, superuser);
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
            return null;
        });
    }

    public void setSuperuser(String name, boolean superuser) {
        db.inTransaction(h -> {
            AccountDao.setSuperuser(h, requireUser(h, name).id(), superuser);
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
                throw new IllegalArgumentException("the name '" + name + "' is taken by a user or an organization");
            }
            long org = AccountDao.insert(h, name, "org", null, false);
            AccountDao.putMember(h, org, user.id(), "owner");
            return null;
        });
    }

    /** Adds a user to an organization as {@code owner}, {@code admin} or {@code member} (or changes the role). */
    public void setMember(String organization, String user, String role) {
        if (!List.of("owner", "admin", "member").contains(role)) {
            throw new IllegalArgumentException("role must be owner, admin or member, not '" + role + "'");
        }
        db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, organization);
            AccountDao.putMember(h, org.id(), requireUser(h, user).id(), role);
            return null;
        });
    }

    /** Creates robot {@code owner+name}; returns its token, which is not stored and cannot be shown again. */
    public String createRobot(String owner, String name) {
        if (!ROBOT_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a robot name is 1 to 64 of a-z, 0-9 and _, starting with a letter or digit");
        }
        String token = Secrets.newToken(Secrets.ROBOT_TOKEN_PREFIX);
        db.inTransaction(h -> {
            AccountDao.Account account = AccountDao.find(h, owner)
                    .orElseThrow(() -> new IllegalArgumentException("no user or organization '" + owner + "'"));
            if (RobotDao.find(h, account.id(), name).isPresent()) {
                throw new IllegalArgumentException("robot " + owner + "+" + name + " exists already");
            }
            return RobotDao.insert(h, account.id(), name, Secrets.sha256(token));
        });
        return token;
    }

    /** Replaces the token of robot {@code owner+name}; the old one stops working at once. Returns the new token. */
    public String regenerateRobotToken(String robot) {
        String token = Secrets.newToken(Secrets.ROBOT_TOKEN_PREFIX);
        db.inTransaction(h -> {
            RobotDao.setTokenHash(h, requireRobot(h, robot).id(), Secrets.sha256(token));
            return null;
        });
        return token;
    }

    public void deleteRobot(String robot) {
        db.inTransaction(h -> RobotDao.delete(h, requireRobot(h, robot).id()));
    }

    /** Creates an application token for the user; returns it (shown once). */
    public String createAppToken(String user, String tokenName) {
        if (tokenName == null || tokenName.isBlank() || tokenName.length() > 255) {
            throw new IllegalArgumentException("a token needs a name (up to 255 characters)");
        }
        String token = Secrets.newToken(Secrets.APP_TOKEN_PREFIX);
        db.inTransaction(h -> UserTokenDao.insert(h, requireUser(h, user).id(), "app", tokenName,
                Secrets.sha256(token), null));
        return token;
    }

    public boolean revokeAppToken(String user, String tokenName) {
        return db.inTransaction(h -> UserTokenDao.deleteApp(h, requireUser(h, user).id(), tokenName) > 0);
    }

    public List<String> appTokens(String user) {
        return db.read(h -> UserTokenDao.appTokenNames(h, requireUser(h, user).id()));
    }

    /**
     * Grants {@code read}, {@code write} or {@code admin} on a repository to a robot ({@code owner+name}) or a user.
     * The repository is created (empty) when it does not exist yet, so that a robot can push it first.
     */
    public void grant(String repository, String grantee, String role) {
        if (!List.of("read", "write", "admin").contains(role)) {
            throw new IllegalArgumentException("role must be read, write or admin, not '" + role + "'");
        }
        checkRepository(repository);
        db.inTransaction(h -> {
            long repo = RepositoryDao.findOrCreate(h, repository);
            if (grantee.contains("+")) {
                GrantDao.put(h, repo, "robot", requireRobot(h, grantee).id(), role);
            } else {
                GrantDao.put(h, repo, "user", requireUser(h, grantee).id(), role);
            }
            return null;
        });
    }

    public boolean revoke(String repository, String grantee) {
        return db.inTransaction(h -> {
            Optional<Long> repo = RepositoryDao.findId(h, repository);
            if (repo.isEmpty()) {
                return false;
            }
            return grantee.contains("+") ? GrantDao.remove(h, repo.get(), "robot", requireRobot(h, grantee).id())
                    : GrantDao.remove(h, repo.get(), "user", requireUser(h, grantee).id());
        });
    }

    /** Makes a repository public or private; creates it (empty) when it does not exist yet. */
    public void setVisibility(String repository, boolean isPublic) {
        checkRepository(repository);
        db.inTransaction(h -> {
            GrantDao.setVisibility(h, RepositoryDao.findOrCreate(h, repository), isPublic);
            return null;
        });
    }

    /** Removes a user from an organization; the last owner stays (an organization always has one). */
    public void removeMember(String organization, String user) {
        db.inTransaction(h -> {
            AccountDao.Account org = requireOrganization(h, organization);
            AccountDao.Account member = requireUser(h, user);
            boolean owner = AccountDao.memberRole(h, org.id(), member.id()).filter("owner"::equals).isPresent();
            if (owner && AccountDao.members(h, org.id()).stream().filter(m -> m.role().equals("owner")).count() <= 1) {
                throw new IllegalArgumentException("cannot remove " + user + ", the last owner of " + organization
                        + "; make someone else an owner first");
            }
            AccountDao.removeMember(h, org.id(), member.id());
            return null;
        });
    }

    // ---- listings ----

    /** Every user, with their superuser flag, by name. */
    public List<AccountDao.Account> userAccounts() {
        return db.read(h -> AccountDao.list(h, "user"));
    }

    /** Every organization's name. */
    public List<String> organizations() {
        return db.read(h -> AccountDao.names(h, "org"));
    }

    /** Whether {@code name} is an organization (not a user, not unknown). */
    public boolean isOrganization(String name) {
        return db.read(h -> AccountDao.find(h, name)).filter(a -> !a.isUser()).isPresent();
    }

    /** The organizations a user belongs to, with the user's role in each. */
    public List<AccountDao.Membership> memberships(String user) {
        return db.read(h -> AccountDao.memberships(h, requireUser(h, user).id()));
    }

    public List<AccountDao.Member> members(String organization) {
        return db.read(h -> AccountDao.members(h, requireOrganization(h, organization).id()));
    }

    /** The robots a user or an organization owns (short names). */
    public List<RobotDao.Listed> robots(String owner) {
        return db.read(h -> RobotDao.list(h, AccountDao.find(h, owner)
                .orElseThrow(() -> new IllegalArgumentException("no user or organization '" + owner + "'")).id()));
    }

    /** The explicit grants on a repository; empty when it does not exist. */
    public List<GrantDao.Listed> grants(String repository) {
        return db.read(h -> RepositoryDao.findId(h, repository).map(id -> GrantDao.list(h, id)).orElse(List.of()));
    }

    /** A user as they are now, by id; empty when deleted. */
    public Optional<Principal.User> user(long id) {
        return db.read(h -> AccountDao.findById(h, id)).filter(AccountDao.Account::isUser)
                .map(a -> new Principal.User(a.id(), a.name(), a.superuser()));
    }

    /**
     * The principal's role in a namespace: {@code owner} for superusers and for a user's own namespace, the member
     * role in an organization; empty otherwise (robots and anonymous callers have none).
     */
    public Optional<String> namespaceRole(Principal principal, String namespace) {
        if (!(principal instanceof Principal.User user)) {
            return Optional.empty();
        }
        if (user.superuser() || user.name().equals(namespace)) {
            return Optional.of("owner");
        }
        return db.read(h -> AccountDao.find(h, namespace).filter(a -> !a.isUser())
                .flatMap(org -> AccountDao.memberRole(h, org.id(), user.id())));
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

    /** Creates a refresh token for the user (tied to the application token used, when one was). */
    String createRefreshToken(Principal.User user, Long appTokenId) {
        String token = Secrets.newToken(Secrets.REFRESH_TOKEN_PREFIX);
        db.inTransaction(h -> UserTokenDao.insert(h, user.id(), "refresh", "refresh", Secrets.sha256(token), appTokenId));
        return token;
    }

    /** The user a refresh token belongs to. */
    Optional<Principal.User> refresh(String refreshToken) {
        if (refreshToken == null || !refreshToken.startsWith(Secrets.REFRESH_TOKEN_PREFIX)) {
            return Optional.empty();
        }
        return db.read(h -> UserTokenDao.findByHash(h, Secrets.sha256(refreshToken))
                .filter(t -> t.kind().equals("refresh"))
                .flatMap(t -> AccountDao.findById(h, t.userId()))
                .map(a -> new Principal.User(a.id(), a.name(), a.superuser())));
    }

    /** The principal a token's subject names, as it is now; anonymous when empty or gone. */
    Principal resolve(String subject) {
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

    /** A random password for an account created without one. */
    public static String generatePassword() {
        return Secrets.newPassword();
    }

    // ---- checks ----

    private static void checkName(String name) {
        if (name == null || name.length() > 64 || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a valid name: use lower-case letters, digits and "
                    + "single separators (. _ -) between them, up to 64 characters");
        }
    }

    private static void checkPassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD_LENGTH) {
            throw new IllegalArgumentException("a password needs at least " + MIN_PASSWORD_LENGTH + " characters");
        }
    }

    private static void checkRepository(String repository) {
        if (!RepositoryName.isValid(repository)) {
            throw new IllegalArgumentException("'" + repository + "' is not a valid repository name");
        }
    }

    private static AccountDao.Account requireUser(org.jdbi.v3.core.Handle h, String name) {
        return AccountDao.find(h, name).filter(AccountDao.Account::isUser)
                .orElseThrow(() -> new IllegalArgumentException("no user '" + name + "'"));
    }

    private static AccountDao.Account requireOrganization(org.jdbi.v3.core.Handle h, String name) {
        return AccountDao.find(h, name).filter(a -> !a.isUser())
                .orElseThrow(() -> new IllegalArgumentException("no organization '" + name + "'"));
    }

    private static RobotDao.Robot requireRobot(org.jdbi.v3.core.Handle h, String fullName) {
        int plus = fullName.indexOf('+');
        if (plus <= 0) {
            throw new IllegalArgumentException("a robot is named owner+name, not '" + fullName + "'");
        }
        return AccountDao.find(h, fullName.substring(0, plus))
                .flatMap(owner -> RobotDao.find(h, owner.id(), fullName.substring(plus + 1)))
                .orElseThrow(() -> new IllegalArgumentException("no robot '" + fullName + "'"));
    }
}
