package dev.bollard.auth;

import dev.bollard.audit.Actor;
import dev.bollard.audit.Audit;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.AccountDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.RobotCertificateDao;
import dev.bollard.metadata.RobotDao;
import dev.bollard.metadata.RobotTrustDao;
import dev.bollard.metadata.UserTokenDao;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checking of credentials, here and nowhere else: passwords, application tokens, robot tokens and refresh
 * tokens, and the subjects of bearer tokens resolved to the principals they name now. Logins are throttled per user
 * and address, and failures audited; no secret reaches a log line. {@link Auth} (the token endpoint, interactive
 * logins) and {@link RegistryAccessPolicy} (each request) both ask it.
 */
final class Credentials {
    // Failed logins are logged under Auth's name, as they were before the checks moved here: operators filter on it.
    private static final Logger LOG = LoggerFactory.getLogger(Auth.class);

    /** The source (and method) of a login by a client certificate bound to a robot. */
    static final String CLIENT_CERTIFICATE = "client-certificate";

    /** Verified passwords remembered at most; beyond, passwords are derived on every use. */
    static final int MAX_REMEMBERED_PASSWORDS = 10_000;

    private final Database db;
    private final LoginThrottle throttle;
    private final Audit audit;
    private final Clock clock;
    private final Duration passwordCacheTtl;
    /**
     * Passwords that passed Argon2id lately, by HMAC-SHA256 of the user's id and the password under a random key of
     * this process (so the cache holds nothing an attacker could test guesses against without this process's
     * memory), each with the stored hash it matched: a hit counts only while that is still the user's stored hash.
     */
    private final VerifiedCache<String> verifiedPasswords;
    private final SecretKeySpec passwordCacheKey;
    private final AtomicLong passwordDerivations = new AtomicLong();
    /**
     * The identity sources asked in order: the local accounts first (so that a local superuser signs in while a
     * directory is down), then the directories.
     */
    private final List<IdentitySource> sources;
    /** Where what a directory says about a user is applied (onboarding, superuser flag, bound teams). */
    private final DirectoryTeams directoryTeams;
    /**
     * Directory logins that succeeded lately, under the same kind of key as {@link #verifiedPasswords} (the source and
     * user name instead of the user's id) and for the same {@code auth.password-cache-ttl}: a client's many token
     * requests do not each bind to the directory. A changed directory password is a miss (another key).
     */
    private final VerifiedCache<String> verifiedDirectoryLogins;
    private final AtomicLong directoryBinds = new AtomicLong();
    /** Checks the external ID tokens keyless robots present in place of their token. */
    private final WorkloadTokens workloadTokens;

    Credentials(Database db, LoginThrottle throttle, Audit audit, Duration passwordCacheTtl, Clock clock) {
        this(db, throttle, audit, passwordCacheTtl, clock, List.of(), new Identities(db).directoryTeams());
    }

    Credentials(Database db, LoginThrottle throttle, Audit audit, Duration passwordCacheTtl, Clock clock,
                List<IdentitySource> directories, DirectoryTeams directoryTeams) {
        this(db, throttle, audit, passwordCacheTtl, clock, directories, directoryTeams, WorkloadTokens.NONE);
    }

    Credentials(Database db, LoginThrottle throttle, Audit audit, Duration passwordCacheTtl, Clock clock,
                List<IdentitySource> directories, DirectoryTeams directoryTeams, WorkloadTokens workloadTokens) {
        this.workloadTokens = workloadTokens;
        this.db = db;
        this.throttle = throttle;
        this.audit = audit;
        this.clock = clock;
        this.passwordCacheTtl = passwordCacheTtl;
        this.verifiedPasswords = new VerifiedCache<>(MAX_REMEMBERED_PASSWORDS, clock);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.passwordCacheKey = new SecretKeySpec(key, "HmacSHA256");
        this.verifiedDirectoryLogins = new VerifiedCache<>(MAX_REMEMBERED_PASSWORDS, clock);
        List<IdentitySource> all = new ArrayList<>();
        all.add(new LocalSource());
        all.addAll(directories);
        this.sources = List.copyOf(all);
        this.directoryTeams = directoryTeams;
    }

    /**
     * A caller whose credentials checked out; {@code appTokenId} when they were an application token; {@code source}
     * the identity source that checked a password ({@code local}, {@code ldap}).
     */
    record Authenticated(Principal principal, @Nullable Long appTokenId, String source) {
        Authenticated(Principal principal, @Nullable Long appTokenId) {
            this(principal, appTokenId, "local");
        }

        /** How the caller logged in, for the audit log. */
        String method() {
            if (source.equals(CLIENT_CERTIFICATE)) {
                return CLIENT_CERTIFICATE;
            }
            return principal instanceof Principal.Robot ? "robot-token" : appTokenId != null ? "app-token" : "password";
        }
    }

    /** The outcome of checking credentials. */
    sealed interface Login {
        record Ok(Authenticated who) implements Login {
        }

        record Failed(String message) implements Login {
        }

        record Locked(String message, long retryAfterSeconds) implements Login {
        }

        /** Too many password checks at once on this node: neither a failure nor a success; try again later. */
        record Busy(String message, long retryAfterSeconds) implements Login {
        }

        /** A directory that had to be asked did not answer: neither a failure nor a success; try again later. */
        record Unavailable(String message) implements Login {
        }
    }

    // ---- logging in ----

    /**
     * A client certificate (mTLS) the TLS listener verified, by its SHA-256 fingerprint: the robot it is bound to, or a
     * failure (audited) when it is bound to none. Not throttled: a certificate the CA vouched for cannot be guessed.
     * Audited as a login when it succeeds by the caller, like the other logins.
     */
    Login certificate(String fingerprint, String remoteAddress, @Nullable String userAgent) {
        Optional<Authenticated> robot = boundTo(fingerprint);
        if (robot.isEmpty()) {
            LOG.warn("client certificate {} from {} is bound to no robot", fingerprint, remoteAddress);
            audit.record(AuditEvent.onNamespace(Actor.anonymous(remoteAddress, userAgent), AuditActions.LOGIN_FAILURE,
                    null, Map.of("reason", "client certificate bound to no robot", "fingerprint", fingerprint,
                            "source", "client-certificate")));
            return new Login.Failed("the client certificate (SHA-256 " + fingerprint + ") is not bound to a robot");
        }
        return new Login.Ok(robot.get());
    }

    /**
     * The robot a verified client certificate (its SHA-256 fingerprint) is bound to; empty when none. Looked up on each
     * call, so a removed binding stops working at once.
     */
    Optional<Authenticated> boundTo(String fingerprint) {
        return db.read(h -> RobotCertificateDao.find(h, fingerprint)
                .flatMap(b -> RobotDao.fullName(h, b.robotId())
                        .flatMap(name -> AccountDao.find(h, name.substring(0, name.indexOf('+')))
                                .map(owner -> new Authenticated(new Principal.Robot(b.robotId(), owner.id(), name), null,
                                        CLIENT_CERTIFICATE)))));
    }

    /**
     * Checks a user name and secret, throttled per user and address. Failures are audited ({@code login.failure});
     * successes are audited by the caller where they are a login rather than one request of many.
     */
    Login login(String username, String secret, String remoteAddress, @Nullable String userAgent) {
        return throttled(username, remoteAddress, userAgent, state -> authenticate(username, secret, state));
    }

    /**
     * Checks the credentials of an {@code Authorization: Basic base64(user:secret)} header as {@link #login} does;
     * malformed ones fail at once (not throttled: there is no user name to count them against).
     */
    Login loginBasic(String authorization, String remoteAddress, @Nullable String userAgent) {
        String[] userSecret = basic(authorization);
        if (userSecret == null) {
            return new Login.Failed("malformed Basic credentials");
        }
        return login(userSecret[0], userSecret[1], remoteAddress, userAgent);
    }

    /**
     * Checks that {@code password} is the user's password — a password, not a token, so that holding an application
     * token is not enough for what needs the password (changing it). Throttled and audited like a login.
     */
    Login confirmPassword(String username, String password, String remoteAddress, @Nullable String userAgent) {
        return throttled(username, remoteAddress, userAgent, state -> passwordMatches(username, password, state)
                ? Optional.of(new Authenticated(resolve(username), null)) : Optional.empty());
    }

    /**
     * The throttled, audited frame of every credential check; {@code check} says who the credentials prove. The counts
     * of the user and the address are read once, here ({@link LoginThrottle#state}); a success writes only when it has
     * failures to forget.
     */
    private Login throttled(String username, @Nullable String remoteAddress, @Nullable String userAgent,
                            Function<LoginThrottle.State, Optional<Authenticated>> check) {
        String address = remoteAddress == null ? "" : remoteAddress;
        LoginThrottle.State state = throttle.state(username, address);
        long locked = state.lockedFor();
        if (locked > 0) {
            loginFailed(username, address, userAgent, "locked out");
            return new Login.Locked("too many failed logins for '" + username + "' from " + address
                    + "; try again in " + locked + " s", locked);
        }
        Optional<Authenticated> who;
        try {
            who = check.apply(state);
        } catch (Passwords.Busy e) {
            return new Login.Busy("too many password checks at once; try again in a moment", 1);
        } catch (AddressOverBudget e) {
            // Not audited one by one: the flood it stops would otherwise go on as audit rows.
            return new Login.Locked("too many failed logins from " + address + "; passwords and unknown users from "
                    + "it are refused for " + e.seconds + " s (robot and application tokens still work)", e.seconds);
        } catch (IdentitySource.Unavailable e) {
            // Not the caller's fault: not counted against them. The log names the directory and the cause.
            LOG.warn("login for '{}' from {} could not be checked: {}", printable(username), address, e.getMessage());
            loginFailed(username, address, userAgent, "directory unavailable");
            return new Login.Unavailable("the user directory is unavailable, so the password cannot be checked; "
                    + "try again later (local accounts can still sign in)");
        }
        if (who.isEmpty()) {
            if (throttle.failed(state)) {
                LOG.warn("{} failed to log in too often (auth.max-login-failures-per-address): password checks from "
                        + "it are refused for auth.lockout", address);
            }
            LOG.warn("failed login for '{}' from {}", printable(username), address);
            loginFailed(username, address, userAgent, "invalid credentials");
            return new Login.Failed("invalid username or password");
        }
        throttle.succeeded(state);
        return new Login.Ok(who.get());
    }

    private void loginFailed(String username, String address, @Nullable String userAgent, String reason) {
        audit.record(AuditEvent.onNamespace(Actor.anonymous(address, userAgent), AuditActions.LOGIN_FAILURE, null,
                Map.of("username", printable(username), "reason", reason, "source", sourceNames())));
    }

    /** The sources a password is checked against, for the audit log: {@code local}, {@code local,ldap}. */
    String sourceNames() {
        return String.join(",", sources.stream().map(IdentitySource::name).toList());
    }

    /**
     * Checks a user name and a secret: a robot's token ({@code owner+name}), a user's application token, or a
     * user's password. Empty when they do not match (without saying which part was wrong).
     */
    private Optional<Authenticated> authenticate(String username, String secret, LoginThrottle.State state) {
        if (username == null || secret == null || username.isEmpty() || secret.isEmpty()) {
            return Optional.empty();
        }
        int plus = username.indexOf('+');
        if (plus > 0 && looksLikeJwt(secret)) {
            return keyless(username, secret);
        }
        if (plus > 0) {
            return db.read(h -> AccountDao.find(h, username.substring(0, plus))
                    .flatMap(owner -> RobotDao.find(h, owner.id(), username.substring(plus + 1)))
                    .filter(robot -> Secrets.matches(secret, robot.tokenHash()))
                    .map(robot -> new Authenticated(new Principal.Robot(robot.id(), robot.ownerId(), username), null)));
        }
        Optional<AccountDao.Account> account = db.read(h -> AccountDao.find(h, username)).filter(AccountDao.Account::isUser);
        if (account.isPresent() && secret.startsWith(Secrets.APP_TOKEN_PREFIX)) {
            AccountDao.Account user = account.get();
            Principal.User principal = new Principal.User(user.id(), user.name(), user.superuser());
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
        return password(username, secret, state);
    }

    /** A signed JWT (three base64url parts, a JSON header): an external ID token, never a Bollard robot token. */
    private static boolean looksLikeJwt(String secret) {
        return secret.startsWith("eyJ") && secret.chars().filter(c -> c == '.').count() == 2 && secret.length() < 16_384;
    }

    /**
     * A keyless robot: an external issuer's ID token in place of the robot's token, accepted when a trust rule of the
     * robot names the token's issuer and its signature, audience, expiry, subject and claims check out. The issuer
     * named in the (not yet verified) token only selects the rules to try: no issuer is asked for keys unless a rule
     * trusts it. The source in the audit log is {@code workload:<issuer>}.
     */
    private Optional<Authenticated> keyless(String robotName, String token) {
        String issuer;
        try {
            issuer = com.nimbusds.jwt.JWTParser.parse(token).getJWTClaimsSet().getIssuer();
        } catch (java.text.ParseException e) {
            return Optional.empty();
        }
        if (issuer == null) {
            return Optional.empty();
        }
        Optional<RobotDao.Robot> robot = db.read(h -> {
            int plus = robotName.indexOf('+');
            return AccountDao.find(h, robotName.substring(0, plus))
                    .flatMap(owner -> RobotDao.find(h, owner.id(), robotName.substring(plus + 1)));
        });
        if (robot.isEmpty()) {
            return Optional.empty();
        }
        List<RobotTrust.Rule> rules = db.read(h -> RobotTrustDao.rules(h, robot.get().id())).stream()
                .filter(r -> r.issuer().equals(issuer)).map(r -> RobotTrust.rule(robotName, r)).toList();
        for (RobotTrust.Rule rule : rules) {
            Optional<Map<String, Object>> claims = workloadTokens.verify(token, rule.issuer(), rule.audience());
            if (claims.isPresent() && rule.matches(claims.get())) {
                return Optional.of(new Authenticated(new Principal.Robot(robot.get().id(), robot.get().ownerId(),
                        robotName), null, "workload:" + issuer));
            }
        }
        return Optional.empty();
    }

    /**
     * Asks the identity sources in order whether {@code password} is the user's; the first that says yes wins. A
     * source that cannot answer is skipped, and its {@link IdentitySource.Unavailable} thrown only when no later source
     * said yes: a local superuser signs in while the directory is down. An address that failed too often lately
     * asks no source (each check costs an Argon2id derivation or a directory bind).
     */
    private Optional<Authenticated> password(String username, String password, LoginThrottle.State state) {
        spendDerivation(state);
        IdentitySource.Unavailable unavailable = null;
        for (IdentitySource source : sources) {
            Optional<Principal.User> user;
            try {
                user = source instanceof LocalSource ? source.authenticate(username, password).map(this::localUser)
                        : directoryLogin(source, username, password);
            } catch (IdentitySource.Unavailable e) {
                unavailable = e;
                continue;
            }
            if (user.isPresent()) {
                return Optional.of(new Authenticated(user.get(), null, source.name()));
            }
        }
        if (unavailable != null) {
            throw unavailable;
        }
        return Optional.empty();
    }

    /**
     * A directory login: a bind to the directory whose identity is applied (the user onboarded, their bound teams
     * synced), or one remembered for {@code auth.password-cache-ttl} — then the account as it is now, as the last
     * bind or the periodic sync left it (applying the remembered groups again would undo a sync in between).
     */
    private Optional<Principal.User> directoryLogin(IdentitySource source, String username, String password) {
        String key = passwordCacheKey(source.name() + "\u0000" + username.toLowerCase(Locale.ROOT), password);
        String remembered = verifiedDirectoryLogins.get(key);
        if (remembered != null) {
            Optional<Principal.User> user = db.read(h -> AccountDao.find(h, remembered))
                    .filter(AccountDao.Account::isUser).map(a -> new Principal.User(a.id(), a.name(), a.superuser()));
            if (user.isPresent()) {
                return user;
            }
        }
        directoryBinds.incrementAndGet();
        Optional<IdentitySource.Identity> identity = source.authenticate(username, password);
        if (identity.isEmpty()) {
            return Optional.empty();
        }
        Principal.User user;
        try {
            user = directoryTeams.apply(identity.get());
        } catch (BollardException e) {
            LOG.warn("directory user '{}' cannot sign in: {}", printable(username), e.getMessage());
            return Optional.empty();
        }
        verifiedDirectoryLogins.put(key, user.name(), clock.instant().plus(passwordCacheTtl));
        return Optional.of(user);
    }

    /** A local account as stored, by the name its password was checked for. */
    private Principal.User localUser(IdentitySource.Identity identity) {
        return db.read(h -> AccountDao.find(h, identity.username())).filter(AccountDao.Account::isUser)
                .map(a -> new Principal.User(a.id(), a.name(), a.superuser()))
                .orElseThrow(() -> new IllegalStateException("user " + identity.username() + " vanished"));
    }

    /** How many logins a directory was asked about (tests: a remembered one is not asked again). */
    long directoryBinds() {
        return directoryBinds.get();
    }

    /** The local accounts as an identity source: a user's password stored as an Argon2id hash. */
    private final class LocalSource implements IdentitySource {
        static final String NAME = "local";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Optional<Identity> authenticate(String username, String password) {
            Optional<AccountDao.Account> account = db.read(h -> AccountDao.find(h, username))
                    .filter(AccountDao.Account::isUser);
            if (account.isEmpty()) {
                if (sources.size() == 1) {
                    Passwords.verifyDummy(password); // unknown and known names take the same time
                }
                return Optional.empty();
            }
            AccountDao.Account user = account.get();
            return passwordVerified(user, password)
                    ? Optional.of(new Identity(NAME, user.name(), null, Set.of(), null, user.name()))
                    : Optional.empty();
        }
    }

    /**
     * True when {@code password} is the user's password: remembered from an Argon2id check within
     * {@code auth.password-cache-ttl} against the very hash stored now, or checked (and then remembered). Only
     * successes are remembered; a changed or reset password (a new hash, on whichever node) is a miss.
     */
    private boolean passwordVerified(AccountDao.Account user, String password) {
        String stored = user.passwordHash();
        if (stored == null) {
            return false;
        }
        String key = passwordCacheKey(Long.toString(user.id()), password);
        String matched = verifiedPasswords.get(key);
        if (matched != null && matched.equals(stored)) {
            return true;
        }
        passwordDerivations.incrementAndGet();
        if (!Passwords.verify(password, stored)) {
            return false;
        }
        verifiedPasswords.put(key, stored, clock.instant().plus(passwordCacheTtl));
        return true;
    }

    /**
     * Refuses the checks that cost a password derivation or a directory bind to an address that failed too often
     * lately; tokens (cheap to check) go on.
     */
    private void spendDerivation(LoginThrottle.State state) {
        long seconds = state.addressLockedFor();
        if (seconds > 0) {
            throw new AddressOverBudget(seconds);
        }
    }

    /** The address failed {@code auth.max-login-failures-per-address} times lately; it may try again in seconds. */
    private static final class AddressOverBudget extends RuntimeException {
        final long seconds;

        AddressOverBudget(long seconds) {
            super(null, null, false, false);
            this.seconds = seconds;
        }
    }

    /** How many logins derived a password (tests: a remembered one is not derived again). */
    long passwordDerivations() {
        return passwordDerivations.get();
    }

    private String passwordCacheKey(String subject, String password) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(passwordCacheKey);
            mac.update(subject.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return Base64.getEncoder().encodeToString(mac.doFinal(password.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** True when {@code password} is the user's password (not a token). */
    private boolean passwordMatches(String name, String password, LoginThrottle.State state) {
        Optional<AccountDao.Account> user = db.read(h -> AccountDao.find(h, name)).filter(AccountDao.Account::isUser);
        spendDerivation(state);
        if (user.isEmpty() || user.get().passwordHash() == null || password == null) {
            Passwords.verifyDummy(password == null ? "" : password);
            return false;
        }
        return Passwords.verify(password, user.get().passwordHash());
    }

    /**
     * The user an application token (sent as a bearer token to the management API) belongs to; an unknown or revoked
     * token is audited as a failed login.
     */
    Optional<Principal.User> appToken(String token, @Nullable String remoteAddress, @Nullable String userAgent) {
        Optional<Principal.User> user = token == null || !token.startsWith(Secrets.APP_TOKEN_PREFIX) ? Optional.empty()
                : db.inTransaction(h -> {
                    Optional<UserTokenDao.UserToken> found = UserTokenDao.findByHash(h, Secrets.sha256(token))
                            .filter(t -> t.kind().equals("app"));
                    found.ifPresent(t -> UserTokenDao.touch(h, t.id()));
                    return found.flatMap(t -> AccountDao.findById(h, t.userId()))
                            .map(a -> new Principal.User(a.id(), a.name(), a.superuser()));
                });
        if (user.isEmpty()) {
            audit.record(AuditEvent.onNamespace(Actor.anonymous(remoteAddress, userAgent), AuditActions.LOGIN_FAILURE,
                    null, Map.of("reason", "invalid application token")));
        }
        return user;
    }

    // ---- refresh tokens ----

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

    // ---- who a token or a session names ----

    /**
     * The principal a token's subject names, as it is now: a user ({@code name}) or a robot ({@code owner+name});
     * anonymous when empty or gone.
     */
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

    /** A user as they are now, by id (a web session's user); empty when deleted. */
    Optional<Principal.User> user(long id) {
        return db.read(h -> AccountDao.findById(h, id)).filter(AccountDao.Account::isUser)
                .map(a -> new Principal.User(a.id(), a.name(), a.superuser()));
    }

    // ---- the Authorization header ----

    static boolean hasScheme(String authorization, String scheme) {
        return authorization.length() > scheme.length()
                && authorization.regionMatches(true, 0, scheme + " ", 0, scheme.length() + 1);
    }

    /** Decodes {@code Basic base64(user:secret)}; null when malformed. */
    private static String @Nullable [] basic(String authorization) {
        try {
            String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()),
                    StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 ? null : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A user name as it may appear in a log line: bounded, without control characters. */
    private static String printable(String username) {
        String s = username.length() > 64 ? username.substring(0, 64) + "…" : username;
        return s.replaceAll("\\p{Cntrl}", "?");
    }
}
