package dev.bollard.auth;

import dev.bollard.audit.Actor;
import dev.bollard.audit.Audit;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.config.BollardConfig;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Identities and access control of a running registry: the {@link AccessPolicy} the distribution API asks, and the
 * token endpoint ({@code /v2/auth}) clients get bearer tokens from. Credentials are checked here and nowhere else,
 * and failed logins are throttled per user and address. No secret reaches a log line.
 */
public final class Auth {
    private static final Logger LOG = LoggerFactory.getLogger(Auth.class);

    private final BollardConfig.Auth config;
    private final Clock clock;
    private final Identities identities;
    private final SigningKeys keys;
    private final Tokens tokens;
    private final LoginThrottle throttle;
    private final RegistryAccessPolicy policy;

    private final Audit audit;

    /** Access control that records nothing (tests). */
    public Auth(Database db, BollardConfig.Auth config) {
        this(db, config, Audit.NONE, Outbox.NONE, Clock.systemUTC());
    }

    /**
     * Access control that reports sign-ins, failures and tokens to {@code audit} and records the changes it makes
     * (a repository created by its first push) in {@code changes}.
     */
    public Auth(Database db, BollardConfig.Auth config, Audit audit, Outbox changes) {
        this(db, config, audit, changes, Clock.systemUTC());
    }

    Auth(Database db, BollardConfig.Auth config, Clock clock) {
        this(db, config, Audit.NONE, Outbox.NONE, clock);
    }

    Auth(Database db, BollardConfig.Auth config, Audit audit, Outbox changes, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.audit = audit;
        this.identities = new Identities(db, changes);
        this.keys = new SigningKeys(db, clock);
        this.tokens = new Tokens(keys, config.issuer(), config.service(), config.tokenExpiry(), clock);
        this.throttle = new LoginThrottle(config.maxLoginFailures(), config.lockout(), clock);
        this.policy = new RegistryAccessPolicy(this, db);
        keys.signingKey(); // creates the first key on a new database
    }

    public AccessPolicy policy() {
        return policy;
    }

    public Identities identities() {
        return identities;
    }

    /** The public signing keys as a JWK Set. */
    public String jwks() {
        return keys.jwks();
    }

    BollardConfig.Auth config() {
        return config;
    }

    Tokens tokens() {
        return tokens;
    }

    // ---- logging in ----

    /** The outcome of checking credentials. */
    sealed interface Login {
        record Ok(Identities.Authenticated who) implements Login {
        }

        record Failed(String message) implements Login {
        }

        record Locked(String message, long retryAfterSeconds) implements Login {
        }
    }

    Audit audit() {
        return audit;
    }

    /**
     * Checks a user name and secret, throttled per user and address. Failures are audited ({@code login.failure});
     * successes are audited by the caller where they are a login rather than one request of many.
     */
    Login login(String username, String secret, String remoteAddress, @Nullable String userAgent) {
        return throttled(username, remoteAddress, userAgent, () -> identities.authenticate(username, secret));
    }

    /** The throttled, audited frame of every credential check; {@code check} says who the credentials prove. */
    private Login throttled(String username, @Nullable String remoteAddress, @Nullable String userAgent,
                            java.util.function.Supplier<Optional<Identities.Authenticated>> check) {
        String address = remoteAddress == null ? "" : remoteAddress;
        long locked = throttle.lockedFor(username, address);
        if (locked > 0) {
            loginFailed(username, address, userAgent, "locked out");
            return new Login.Locked("too many failed logins for '" + username + "' from " + address
                    + "; try again in " + locked + " s", locked);
        }
        Optional<Identities.Authenticated> who = check.get();
        if (who.isEmpty()) {
            throttle.failed(username, address);
            LOG.warn("failed login for '{}' from {}", printable(username), address);
            loginFailed(username, address, userAgent, "invalid credentials");
            return new Login.Failed("invalid username or password");
        }
        throttle.succeeded(username, address);
        return new Login.Ok(who.get());
    }

    private void loginFailed(String username, String address, @Nullable String userAgent, String reason) {
        audit.record(AuditEvent.onNamespace(Actor.anonymous(address, userAgent), AuditActions.LOGIN_FAILURE, null,
                Map.of("username", printable(username), "reason", reason)));
    }

    /** The outcome of {@link #logIn}: who logged in, or why not. */
    public sealed interface LoginResult {
        record Ok(Principal principal) implements LoginResult {
        }

        record Failed(String message) implements LoginResult {
        }

        record Locked(String message, long retryAfterSeconds) implements LoginResult {
        }
    }

    /**
     * An interactive login (the web UI's sign-in form): the credentials checked as everywhere else (password,
     * application token or robot token), throttled per user and address, and audited as {@code login.success} or
     * {@code login.failure}.
     */
    public LoginResult logIn(String username, String secret, String remoteAddress, @Nullable String userAgent) {
        return switch (login(username, secret, remoteAddress, userAgent)) {
            case Login.Ok ok -> {
                audit.record(AuditEvent.onNamespace(ok.who().principal().actor(remoteAddress, userAgent),
                        AuditActions.LOGIN_SUCCESS, null, Map.of("method", method(ok.who()), "via", "session")));
                yield new LoginResult.Ok(ok.who().principal());
            }
            case Login.Failed f -> new LoginResult.Failed(f.message());
            case Login.Locked l -> new LoginResult.Locked(l.message(), l.retryAfterSeconds());
        };
    }

    /**
     * Confirms that {@code password} is the user's password — a password, not a token, so that holding an application
     * token is not enough for what needs the password (changing it). Throttled and audited like a login.
     */
    public LoginResult confirmPassword(String username, String password, String remoteAddress,
                                       @Nullable String userAgent) {
        return switch (throttled(username, remoteAddress, userAgent, () -> identities.passwordMatches(username, password)
                ? Optional.of(new Identities.Authenticated(identities.resolve(username), null)) : Optional.empty())) {
            case Login.Ok ok -> new LoginResult.Ok(ok.who().principal());
            case Login.Failed f -> new LoginResult.Failed("the current password is wrong");
            case Login.Locked l -> new LoginResult.Locked(l.message(), l.retryAfterSeconds());
        };
    }

    /** How the caller logged in, for the audit log. */
    static String method(Identities.Authenticated who) {
        return who.principal() instanceof Principal.Robot ? "robot-token"
                : who.appTokenId() != null ? "app-token" : "password";
    }

    /** The outcome of a web sign-in: a user, or why not, in words a person reads. */
    public sealed interface SignIn {
        record Ok(Principal.User user) implements SignIn {
        }

        record Refused(String message) implements SignIn {
        }
    }

    /**
     * Signs a person in with their user name and password (the web UI), through the same checks, throttle and audit
     * as every other login. Robot tokens and application tokens are for clients: they do not sign in to the UI.
     */
    public SignIn signIn(String username, String password, String remoteAddress, @Nullable String userAgent) {
        if (username == null || password == null || username.isBlank() || password.isEmpty()) {
            return new SignIn.Refused("Enter your user name and password.");
        }
        return switch (login(username.trim(), password, remoteAddress, userAgent)) {
            case Login.Ok ok when ok.who().principal() instanceof Principal.User user && ok.who().appTokenId() == null -> {
                audit.recordAsync(AuditEvent.onNamespace(user.actor(remoteAddress, userAgent), AuditActions.LOGIN_SUCCESS,
                        null, Map.of("method", "web-ui")));
                yield new SignIn.Ok(user);
            }
            case Login.Ok ok -> new SignIn.Refused("Robot accounts and application tokens are for registry clients; "
                    + "sign in with a user's password.");
            case Login.Failed f -> new SignIn.Refused("The user name or password is not right.");
            case Login.Locked l -> new SignIn.Refused("Too many failed sign-ins for this user from your address. "
                    + "Try again in " + Math.max(1, (l.retryAfterSeconds() + 59) / 60) + " minute(s).");
        };
    }

    /** The user with this id as they are now (their superuser flag may have changed); empty when deleted. */
    public Optional<Principal.User> user(long id) {
        return identities.user(id);
    }

    /** Decodes {@code Basic base64(user:secret)}; null when malformed. */
    static String @Nullable [] basic(String authorization) {
        try {
            String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()),
                    StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 ? null : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static boolean hasScheme(String authorization, String scheme) {
        return authorization.length() > scheme.length()
                && authorization.regionMatches(true, 0, scheme + " ", 0, scheme.length() + 1);
    }

    /** A user name as it may appear in a log line: bounded, without control characters. */
    static String printable(String username) {
        String s = username.length() > 64 ? username.substring(0, 64) + "…" : username;
        return s.replaceAll("\\p{Cntrl}", "?");
    }

    // ---- the token endpoint ----

    /**
     * A request to the token endpoint: {@code GET} (credentials in {@code authorization}, Basic or none) or the OAuth2
     * form of {@code POST} ({@code grantType} password or refresh_token).
     */
    public record TokenRequest(@Nullable String grantType, @Nullable String authorization, @Nullable String username,
                               @Nullable String password, @Nullable String refreshToken, List<String> scopes,
                               @Nullable String service, boolean offline, String remoteAddress,
                               @Nullable String userAgent) {
        @Override
        public String toString() { // never print credentials
            return "TokenRequest[" + (grantType == null ? "GET" : grantType) + ", scopes=" + scopes + "]";
        }
    }

    /** The token endpoint's answer: its JSON body. */
    public record TokenResponse(Map<String, Object> body) {
        @Override
        public String toString() {
            return "TokenResponse[...]";
        }
    }

    /**
     * Issues a token, or throws the refusal: UNAUTHORIZED for bad credentials, TOOMANYREQUESTS when locked out, and
     * UNSUPPORTED for a request it cannot serve.
     */
    public TokenResponse token(TokenRequest request) {
        if (request.service() != null && !request.service().isEmpty() && !request.service().equals(config.service())) {
            throw badTokenRequest("unknown service '" + request.service()
                    + "'; this registry's service is '" + config.service() + "'");
        }
        Principal principal;
        Long appTokenId = null;
        String method = "anonymous";
        String refreshToken = null;
        boolean wantRefresh;
        if (request.grantType() == null) {
            wantRefresh = request.offline();
            String authorization = request.authorization();
            if (authorization == null || authorization.isBlank()) {
                principal = Principal.ANONYMOUS;
            } else if (hasScheme(authorization, "Basic")) {
                String[] userSecret = basic(authorization);
                if (userSecret == null) {
                    throw new BollardException(ErrorCode.UNAUTHORIZED, "malformed Basic credentials");
                }
                Login login = login(userSecret[0], userSecret[1], request.remoteAddress(), request.userAgent());
                switch (login) {
                    case Login.Ok ok -> {
                        principal = ok.who().principal();
                        appTokenId = ok.who().appTokenId();
                        method = method(ok.who());
                    }
                    case Login.Failed f -> {
                        throw new BollardException(ErrorCode.UNAUTHORIZED, f.message());
                    }
                    case Login.Locked l -> {
                        throw BollardException.throttled(ErrorCode.TOOMANYREQUESTS, l.message(), l.retryAfterSeconds());
                    }
                }
            } else {
                throw new BollardException(ErrorCode.UNAUTHORIZED, "the token endpoint takes Basic credentials");
            }
        } else if (request.grantType().equals("password")) {
            wantRefresh = true;
            if (request.username() == null || request.password() == null) {
                throw badTokenRequest("grant_type=password needs username and password");
            }
            Login login = login(request.username(), request.password(), request.remoteAddress(), request.userAgent());
            switch (login) {
                case Login.Ok ok -> {
                    principal = ok.who().principal();
                    appTokenId = ok.who().appTokenId();
                    method = method(ok.who());
                }
                case Login.Failed f -> {
                    throw new BollardException(ErrorCode.UNAUTHORIZED, f.message());
                }
                case Login.Locked l -> {
                    throw BollardException.throttled(ErrorCode.TOOMANYREQUESTS, l.message(), l.retryAfterSeconds());
                }
            }
        } else if (request.grantType().equals("refresh_token")) {
            wantRefresh = false;
            Optional<Principal.User> user = identities.refresh(request.refreshToken(),
                    clock.instant().minus(config.refreshTokenIdleTimeout()));
            if (user.isEmpty()) {
                throw new BollardException(ErrorCode.UNAUTHORIZED, "invalid, revoked or expired refresh token; log in "
                        + "again");
            }
            principal = user.get();
            refreshToken = request.refreshToken();
            method = "refresh-token";
        } else {
            throw badTokenRequest("unsupported grant_type '" + request.grantType()
                    + "' (password or refresh_token)");
        }

        Actor actor = principal.actor(request.remoteAddress(), request.userAgent());
        if (!(principal instanceof Principal.Anonymous)) {
            audit.recordAsync(AuditEvent.onNamespace(actor, AuditActions.LOGIN_SUCCESS, null, Map.of("method", method)));
        }
        List<Scope> granted = policy.grant(principal, Scope.parseAll(request.scopes()), actor);
        Tokens.Issued issued = tokens.issue(principal.name(), granted);
        audit.recordAsync(AuditEvent.onNamespace(actor, AuditActions.TOKEN_ISSUED, null,
                Map.of("scopes", granted.stream().map(Scope::toString).toList(), "expires_in", issued.expiresIn())));
        if (wantRefresh && principal instanceof Principal.User user) {
            refreshToken = identities.createRefreshToken(user, appTokenId);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", issued.token());
        body.put("access_token", issued.token());
        body.put("expires_in", issued.expiresIn());
        body.put("issued_at", issued.issuedAt().toString());
        if (refreshToken != null) {
            body.put("refresh_token", refreshToken);
        }
        List<String> scopeTexts = new ArrayList<>();
        granted.forEach(s -> scopeTexts.add(s.toString()));
        if (request.grantType() != null) {
            body.put("scope", String.join(" ", scopeTexts));
        }
        return new TokenResponse(body);
    }

    /**
     * A token request the endpoint cannot serve (an unknown service or grant type, missing fields): the token
     * endpoint has always answered it with the spec's UNSUPPORTED, but as a bad request (400), not a disabled
     * operation (405).
     */
    private static BollardException badTokenRequest(String message) {
        return new BollardException(ErrorCode.UNSUPPORTED, ErrorCode.Kind.INVALID, message, null);
    }
}
