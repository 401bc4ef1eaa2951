package dev.bollard.auth;

import dev.bollard.audit.Actor;
import dev.bollard.audit.Audit;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.auth.Credentials.Login;
import dev.bollard.config.BollardConfig;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.secrets.KeyEncryption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Identities and access control of a running registry: the {@link AccessPolicy} the distribution API asks, the
 * token endpoint ({@code /v2/auth}) clients get bearer tokens from, and the interactive logins of the management API
 * and the web UI. Credentials are checked by {@link Credentials}, throttled per user and address; no secret reaches
 * a log line.
 */
public final class Auth {
    private final BollardConfig.Auth config;
    private final Clock clock;
    private final Identities identities;
    private final SigningKeys keys;
    private final Tokens tokens;
    private final Credentials credentials;
    private final LoginThrottle throttle;
    private final RegistryAccessPolicy policy;

    private final Audit audit;

    /** Access control that records nothing (tests). */
    public Auth(Database db, BollardConfig.Auth config) {
        this(db, config, KeyEncryption.load(config.keyEncryption()), Audit.NONE, Outbox.NONE, Clock.systemUTC());
    }

    /**
     * Access control that reports sign-ins, failures and tokens to {@code audit} and records the changes it makes
     * (a repository created by its first push) in {@code changes}. Signing keys are sealed with {@code sealing}, the
     * server's one key-encryption key (loaded once, shared with everything else it seals).
     */
    public Auth(Database db, BollardConfig.Auth config, KeyEncryption sealing, Audit audit, Outbox changes) {
        this(db, config, sealing, audit, changes, Clock.systemUTC());
    }

    Auth(Database db, BollardConfig.Auth config, Clock clock) {
        this(db, config, KeyEncryption.load(config.keyEncryption()), Audit.NONE, Outbox.NONE, clock);
    }

    Auth(Database db, BollardConfig.Auth config, KeyEncryption sealing, Audit audit, Outbox changes, Clock clock) {
        this(db, config, sealing, audit, changes, clock, List.of());
    }

    /**
     * Access control whose users may also sign in through {@code directories} (LDAP), asked after the local
     * accounts, in order.
     */
    public Auth(Database db, BollardConfig.Auth config, KeyEncryption sealing, Audit audit, Outbox changes,
                List<IdentitySource> directories) {
        this(db, config, sealing, audit, changes, Clock.systemUTC(), directories);
    }

    /**
     * Access control whose users may also sign in through {@code directories}, and whose keyless robots' external ID
     * tokens are checked by {@code workloadTokens}.
     */
    public Auth(Database db, BollardConfig.Auth config, KeyEncryption sealing, Audit audit, Outbox changes,
                List<IdentitySource> directories, WorkloadTokens workloadTokens) {
        this(db, config, sealing, audit, changes, Clock.systemUTC(), directories, workloadTokens);
    }

    Auth(Database db, BollardConfig.Auth config, KeyEncryption sealing, Audit audit, Outbox changes, Clock clock,
         List<IdentitySource> directories) {
        this(db, config, sealing, audit, changes, clock, directories, WorkloadTokens.NONE);
    }

    Auth(Database db, BollardConfig.Auth config, KeyEncryption sealing, Audit audit, Outbox changes, Clock clock,
         List<IdentitySource> directories, WorkloadTokens workloadTokens) {
        this.config = config;
        this.clock = clock;
        this.audit = audit;
        this.identities = new Identities(db, changes);
        this.keys = new SigningKeys(db, sealing, clock);
        this.tokens = new Tokens(keys, config.issuer(), config.service(), config.tokenExpiry(), clock);
        this.throttle = new LoginThrottle(db, config.maxLoginFailures(), config.maxLoginFailuresPerAddress(),
                config.lockout(), clock);
        this.credentials = new Credentials(db, throttle, audit, config.passwordCacheTtl(), clock, directories,
                identities.as(Actor.system("directory")).directoryTeams(), workloadTokens);
        this.policy = new RegistryAccessPolicy(config, db, credentials, tokens, identities.repositories());
        keys.sealAtRest();
        keys.signingKey(); // creates the first key on a new database
    }

    public AccessPolicy policy() {
        return policy;
    }

    public Identities identities() {
        return identities;
    }

    /**
     * Deletes the failed-login counts that no longer count (older than {@code auth.lockout}, locking nothing); the
     * audit-prune worker calls it. Returns how many.
     */
    public int pruneLoginFailures() {
        return throttle.prune();
    }

    /** The registry's service name ({@code auth.service}): the audience a keyless robot's rule asks for by default. */
    public String service() {
        return config.service();
    }

    /** The public signing keys as a JWK Set. */
    public String jwks() {
        return keys.jwks();
    }

    Tokens tokens() {
        return tokens;
    }

    /**
     * A registry bearer token that lets {@code subject} (a name no account can have, as {@code scan-adapter:trivy})
     * pull {@code repository} and nothing else, for the token lifetime: what an external scanner is handed to pull
     * the image it scans (docs/scanning.md, "External scanners"). Anything else it asks with it is challenged.
     */
    public String pullToken(String subject, String repository) {
        return tokens.issue(subject, List.of(new Scope(Scope.REPOSITORY, repository, java.util.Set.of("pull"))))
                .token();
    }

    // ---- logging in ----

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
        return switch (credentials.login(username, secret, remoteAddress, userAgent)) {
            case Login.Ok ok -> {
                audit.record(AuditEvent.onNamespace(ok.who().principal().actor(remoteAddress, userAgent),
                        AuditActions.LOGIN_SUCCESS, null, Map.of("method", ok.who().method(), "via", "session",
                                "source", ok.who().source())));
                yield new LoginResult.Ok(ok.who().principal());
            }
            case Login.Failed f -> new LoginResult.Failed(f.message());
            case Login.Locked l -> new LoginResult.Locked(l.message(), l.retryAfterSeconds());
            case Login.Busy b -> new LoginResult.Locked(b.message(), b.retryAfterSeconds());
            case Login.Unavailable u -> new LoginResult.Failed(u.message());
        };
    }

    /**
     * Confirms that {@code password} is the user's password — a password, not a token, so that holding an application
     * token is not enough for what needs the password (changing it). Throttled and audited like a login.
     */
    public LoginResult confirmPassword(String username, String password, String remoteAddress,
                                       @Nullable String userAgent) {
        return switch (credentials.confirmPassword(username, password, remoteAddress, userAgent)) {
            case Login.Ok ok -> new LoginResult.Ok(ok.who().principal());
            case Login.Failed f -> new LoginResult.Failed("the current password is wrong");
            case Login.Locked l -> new LoginResult.Locked(l.message(), l.retryAfterSeconds());
            case Login.Busy b -> new LoginResult.Locked(b.message(), b.retryAfterSeconds());
            case Login.Unavailable u -> new LoginResult.Failed(u.message());
        };
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
        return switch (credentials.login(username.trim(), password, remoteAddress, userAgent)) {
            case Login.Ok ok when ok.who().principal() instanceof Principal.User user && ok.who().appTokenId() == null -> {
                audit.recordAsync(AuditEvent.onNamespace(user.actor(remoteAddress, userAgent), AuditActions.LOGIN_SUCCESS,
                        null, Map.of("method", "web-ui", "source", ok.who().source())));
                yield new SignIn.Ok(user);
            }
            case Login.Ok ok -> new SignIn.Refused("Robot accounts and application tokens are for registry clients; "
                    + "sign in with a user's password.");
            case Login.Failed f -> new SignIn.Refused("The user name or password is not right.");
            case Login.Busy b -> new SignIn.Refused("Too many sign-ins at once; try again in a few seconds.");
            case Login.Unavailable u -> new SignIn.Refused("The user directory is unavailable, so your password "
                    + "cannot be checked. Try again later.");
            case Login.Locked l -> new SignIn.Refused("Too many failed sign-ins from your address. "
                    + "Try again in " + Math.max(1, (l.retryAfterSeconds() + 59) / 60) + " minute(s).");
        };
    }

    /**
     * Signs in a person whom an identity provider vouched for (an OIDC provider's validated ID token): the account is
     * onboarded or linked and its bound teams synced as for directory users ({@link DirectoryTeams#apply}), and the
     * sign-in audited as {@code login.success} with the provider as its source.
     */
    public SignIn signInWith(IdentitySource.Identity identity, String remoteAddress, @Nullable String userAgent) {
        return onboard(identity, remoteAddress, userAgent, "web-ui");
    }

    /** {@link #signInWith}'s work, the sign-in audited with {@code method}. */
    private SignIn onboard(IdentitySource.Identity identity, String remoteAddress, @Nullable String userAgent,
                           String method) {
        Principal.User user;
        try {
            // Local accounts are linked only through providers that say so (auth.oidc.providers[N].link-local-users).
            boolean linkLocal = config.oidc().providers().stream()
                    .anyMatch(p -> identity.source().equals("oidc:" + p.id()) && p.linkLocalUsers());
            user = identities.as(Actor.system("directory")).directoryTeams().apply(identity, linkLocal);
        } catch (BollardException e) {
            String why = String.valueOf(e.getMessage());
            signInFailed(identity.source(), why, remoteAddress, userAgent);
            return new SignIn.Refused("You cannot sign in as '" + identity.username() + "': " + why + ".");
        }
        audit.recordAsync(AuditEvent.onNamespace(user.actor(remoteAddress, userAgent), AuditActions.LOGIN_SUCCESS,
                null, Map.of("method", method, "source", identity.source())));
        return new SignIn.Ok(user);
    }

    // ---- device logins (OIDC device authorization grant, for the CLI) ----

    /**
     * The login throttle's user name for device logins: each one started counts as a failed attempt of this name from
     * the address until one succeeds there, as do handles that are not the registry's; so an address may leave at most
     * {@code auth.max-login-failures} device logins unfinished (or guess as many handles) per {@code auth.lockout}.
     */
    private static final String DEVICE_LOGIN = "device-login:";

    /**
     * Admits the start of a device login through {@code provider} from {@code remoteAddress} (counted by the login
     * throttle like a failed login until one succeeds), audited as {@code device-login.start}.
     *
     * @throws BollardException TOO_MANY_REQUESTS while the address is locked out
     */
    public void deviceLoginStarting(String provider, String remoteAddress, @Nullable String userAgent) {
        LoginThrottle.State state = deviceThrottle(remoteAddress);
        throttle.failed(state);
        audit.record(AuditEvent.onNamespace(Actor.anonymous(remoteAddress, userAgent), AuditActions.DEVICE_LOGIN_START,
                null, Map.of("source", "oidc:" + provider)));
    }

    /**
     * A poll of a device login that ended without a sign-in, audited as {@code login.failure}; a handle that is not the
     * registry's ({@code guessed}) also counts as a failed login of the address.
     *
     * @throws BollardException TOO_MANY_REQUESTS while the address is locked out
     */
    public void deviceLoginFailed(String provider, String reason, boolean guessed, String remoteAddress,
                                  @Nullable String userAgent) {
        LoginThrottle.State state = deviceThrottle(remoteAddress);
        if (guessed) {
            throttle.failed(state);
        }
        audit.record(AuditEvent.onNamespace(Actor.anonymous(remoteAddress, userAgent), AuditActions.LOGIN_FAILURE, null,
                Map.of("reason", reason, "source", "oidc:" + provider, "method", "device")));
    }

    /** The credential a completed device login gives the CLI: an application token of the user who approved it. */
    public record DeviceLogin(Principal.User user, String tokenName, String token) {
        @Override
        public String toString() { // never print the token
            return "DeviceLogin[" + user.name() + ", " + tokenName + "]";
        }
    }

    /**
     * Completes a device login that the provider approved: the person is onboarded, linked and synced as by the web
     * sign-in ({@link #signInWith}), audited as {@code login.success} with method {@code device}, and given a new
     * application token (audited as {@code app-token.create}), the credential the CLI stores; the address's unfinished
     * device logins are forgotten.
     *
     * @throws BollardException DENIED when the account may not sign in (the reason: a local account not linked, …)
     */
    public DeviceLogin deviceLoginApproved(IdentitySource.Identity identity, String remoteAddress,
                                           @Nullable String userAgent) {
        return switch (onboard(identity, remoteAddress, userAgent, "device")) {
            case SignIn.Refused refused -> throw new BollardException(ErrorCode.DENIED, refused.message());
            case SignIn.Ok ok -> {
                throttle.succeeded(deviceThrottle(remoteAddress));
                String name = "device login " + identity.source() + " " + clock.instant();
                String token = identities.as(ok.user().actor(remoteAddress, userAgent)).appTokens()
                        .create(ok.user().name(), name);
                yield new DeviceLogin(ok.user(), name, token);
            }
        };
    }

    /** The throttle's state of device logins from the address; throws TOO_MANY_REQUESTS while it is locked out. */
    private LoginThrottle.State deviceThrottle(String remoteAddress) {
        LoginThrottle.State state = throttle.state(DEVICE_LOGIN, remoteAddress);
        long locked = Math.max(state.lockedFor(), state.addressLockedFor());
        if (locked > 0) {
            throw BollardException.throttled(ErrorCode.TOO_MANY_REQUESTS, "too many unfinished device logins or "
                    + "failed logins from " + remoteAddress + "; try again in " + locked + " s", locked);
        }
        return state;
    }

    /** Audits a sign-in through an identity provider ({@code source}) that failed, and why. */
    public void signInFailed(String source, String reason, String remoteAddress, @Nullable String userAgent) {
        audit.record(AuditEvent.onNamespace(Actor.anonymous(remoteAddress, userAgent), AuditActions.LOGIN_FAILURE, null,
                Map.of("reason", reason, "source", source)));
    }

    /** The user with this id as they are now (their superuser flag may have changed); empty when deleted. */
    public Optional<Principal.User> user(long id) {
        return credentials.user(id);
    }

    // ---- the token endpoint ----

    /**
     * A request to the token endpoint: how the caller proves who they are ({@code grant}), the scopes asked for, the
     * service named (when one is), where the request came from, and the SHA-256 fingerprint of the client certificate
     * the TLS listener verified ({@code server.tls.client-auth}), when the client presented one.
     */
    public record TokenRequest(Grant grant, List<String> scopes, @Nullable String service, String remoteAddress,
                               @Nullable String userAgent, @Nullable String clientCertificate) {
        /** A request over a connection without a client certificate. */
        public TokenRequest(Grant grant, List<String> scopes, @Nullable String service, String remoteAddress,
                            @Nullable String userAgent) {
            this(grant, scopes, service, remoteAddress, userAgent, null);
        }

        @Override
        public String toString() { // never print credentials
            return "TokenRequest[" + grant + ", scopes=" + scopes + "]";
        }
    }

    /**
     * How a token request proves who it is for: one record per form of the request, each holding what that form
     * sends (as sent: fields the client left out are null, and refused here). Their {@code toString} names the form,
     * never a secret.
     */
    public sealed interface Grant {
        /** {@code GET}: the {@code Authorization} header (Basic, or none: anonymous) and {@code offline_token}. */
        record Header(@Nullable String authorization, boolean offline) implements Grant {
            @Override
            public String toString() {
                return "GET";
            }
        }

        /** A {@code POST} without a grant type: refused, as the OAuth2 form requires one (docs/api.md). */
        record Missing() implements Grant {
            @Override
            public String toString() {
                return "none";
            }
        }

        /** {@code grant_type=password}: a user name with a password, an application token or a robot token. */
        record Password(@Nullable String username, @Nullable String password) implements Grant {
            @Override
            public String toString() {
                return "password";
            }
        }

        /** {@code grant_type=refresh_token}. */
        record RefreshToken(@Nullable String refreshToken) implements Grant {
            @Override
            public String toString() {
                return "refresh_token";
            }
        }

        /** Any other {@code grant_type}: refused. */
        record Unsupported(String grantType) implements Grant {
            @Override
            public String toString() {
                return grantType;
            }
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
        Caller caller = caller(request);
        Principal principal = caller.principal();
        Actor actor = principal.actor(request.remoteAddress(), request.userAgent());
        if (!(principal instanceof Principal.Anonymous)) {
            audit.recordAsync(AuditEvent.onNamespace(actor, AuditActions.LOGIN_SUCCESS, null,
                    Map.of("method", caller.method(), "source", caller.source())));
        }
        List<Scope> granted = policy.grant(principal, Scope.parseAll(request.scopes()), actor);
        Tokens.Issued issued = tokens.issue(principal.name(), granted);
        audit.recordAsync(AuditEvent.onNamespace(actor, AuditActions.TOKEN_ISSUED, null,
                Map.of("scopes", granted.stream().map(Scope::toString).toList(), "expires_in", issued.expiresIn())));
        String refreshToken = caller.refreshToken();
        if (caller.wantsRefreshToken() && principal instanceof Principal.User user) {
            refreshToken = credentials.createRefreshToken(user, caller.appTokenId());
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
        if (!(request.grant() instanceof Grant.Header)) {
            body.put("scope", String.join(" ", scopeTexts)); // the OAuth2 form's answer names the scopes
        }
        return new TokenResponse(body);
    }

    /**
     * Whom a token request is for and how they proved it ({@code method}, for the audit log); a refresh token to
     * hand back: the one they sent ({@code refreshToken}), or a new one ({@code wantsRefreshToken}).
     */
    private record Caller(Principal principal, String method, String source, @Nullable Long appTokenId,
                          boolean wantsRefreshToken, @Nullable String refreshToken) {
        static final Caller ANONYMOUS = new Caller(Principal.ANONYMOUS, "anonymous", "local", null, false, null);
    }

    private Caller caller(TokenRequest request) {
        return switch (request.grant()) {
            case Grant.Missing m -> throw badTokenRequest("grant_type is required (password or refresh_token)");
            case Grant.Header h -> {
                String authorization = h.authorization();
                if ((authorization == null || authorization.isBlank()) && request.clientCertificate() != null) {
                    // mTLS: the certificate is the credential. Basic credentials sent too take precedence.
                    yield loggedIn(credentials.certificate(request.clientCertificate(), request.remoteAddress(),
                            request.userAgent()), false);
                }
                if (authorization == null || authorization.isBlank()) {
                    yield Caller.ANONYMOUS;
                }
                if (!Credentials.hasScheme(authorization, "Basic")) {
                    throw new BollardException(ErrorCode.UNAUTHORIZED, "the token endpoint takes Basic credentials");
                }
                yield loggedIn(credentials.loginBasic(authorization, request.remoteAddress(), request.userAgent()),
                        h.offline());
            }
            case Grant.Password p -> {
                String username = p.username();
                String password = p.password();
                if (username == null || password == null) {
                    throw badTokenRequest("grant_type=password needs username and password");
                }
                yield loggedIn(credentials.login(username, password, request.remoteAddress(), request.userAgent()),
                        true);
            }
            case Grant.RefreshToken r -> {
                Optional<Principal.User> user = credentials.refresh(r.refreshToken(),
                        clock.instant().minus(config.refreshTokenIdleTimeout()));
                if (user.isEmpty()) {
                    throw new BollardException(ErrorCode.UNAUTHORIZED,
                            "invalid, revoked or expired refresh token; log in again");
                }
                yield new Caller(user.get(), "refresh-token", "local", null, false, r.refreshToken());
            }
            case Grant.Unsupported u -> throw badTokenRequest("unsupported grant_type '" + u.grantType()
                    + "' (password or refresh_token)");
        };
    }

    /** A login's outcome as the token endpoint answers it: the caller, or the refusal thrown. */
    private static Caller loggedIn(Login login, boolean wantsRefreshToken) {
        return switch (login) {
            case Login.Ok ok -> new Caller(ok.who().principal(), ok.who().method(), ok.who().source(),
                    ok.who().appTokenId(), wantsRefreshToken, null);
            case Login.Failed f -> throw new BollardException(ErrorCode.UNAUTHORIZED, f.message());
            case Login.Locked l -> throw BollardException.throttled(ErrorCode.TOOMANYREQUESTS, l.message(),
                    l.retryAfterSeconds());
            case Login.Busy b -> throw BollardException.throttled(ErrorCode.TOOMANYREQUESTS, b.message(),
                    b.retryAfterSeconds());
            case Login.Unavailable u -> throw new BollardException(ErrorCode.UNAVAILABLE, u.message());
        };
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
