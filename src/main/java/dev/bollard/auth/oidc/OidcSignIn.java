package dev.bollard.auth.oidc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.OAuth2Error;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationGrantError;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationRequest;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationResponse;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationSuccessResponse;
import com.nimbusds.oauth2.sdk.device.DeviceCode;
import com.nimbusds.oauth2.sdk.device.DeviceCodeGrant;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationErrorResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.AuthenticationResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationResponseParser;
import com.nimbusds.openid.connect.sdk.LogoutRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import dev.bollard.auth.DirectoryTeams;
import dev.bollard.auth.IdentitySource;
import dev.bollard.config.BollardConfig;
import dev.bollard.secrets.KeyEncryption;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import java.time.Clock;
import java.time.Instant;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Single sign-on to the web UI through OIDC providers ({@code auth.oidc.providers}), with the authorization code flow:
 * {@link #begin} sends the browser to the provider with a fresh state, nonce and PKCE verifier (S256), which the
 * browser keeps in a cookie bound to this sign-in; {@link #complete} checks the state the provider sent back, exchanges
 * the code (with the verifier, and the client secret when there is one) at the token endpoint, validates the ID token
 * (signature by the provider's published keys, issuer, audience, expiry, nonce) and reads the person from its claims:
 * user name, e-mail, groups, and superuser by the admin group. Onboarding, linking and team sync are
 * {@link DirectoryTeams#apply}'s, as for directory users. The provider's end-session endpoint, when it has one, ends
 * the provider's session too at sign-out (RP-initiated logout).
 */
public final class OidcSignIn {
    private static final Logger LOG = LoggerFactory.getLogger(OidcSignIn.class);

    private final Map<String, BollardConfig.OidcProvider> providers = new LinkedHashMap<>();
    private final Discovery discovery;
    private final int timeoutMillis;
    private final @Nullable KeyEncryption sealing;
    private final Clock clock;

    /** Sign-in through the web UI only (no device logins: they need {@code sealing} for their handles). */
    public OidcSignIn(BollardConfig.Oidc config, Discovery discovery) {
        this(config, discovery, null, Clock.systemUTC());
    }

    /**
     * Sign-in through the web UI and device logins for the CLI, whose handles are sealed with {@code sealing} (the
     * cluster's key-encryption key, so that a poll may reach another node than the start).
     */
    public OidcSignIn(BollardConfig.Oidc config, Discovery discovery, @Nullable KeyEncryption sealing, Clock clock) {
        config.providers().forEach(p -> providers.put(p.id(), p));
        this.discovery = discovery;
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, config.httpTimeout().toMillis());
        this.sealing = sealing;
        this.clock = clock;
    }

    /** A provider as the sign-in page offers it. */
    public record Provider(String id, String displayName) {
    }

    /** The configured providers, in order. */
    public List<Provider> providers() {
        return providers.values().stream().map(p -> new Provider(p.id(), p.displayName())).toList();
    }

    /** A sign-in that failed; the message is for the person signing in, the log has the details. */
    public static final class Failed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String reason;

        Failed(String message) {
            super(message, null, false, false);
            this.reason = message;
        }

        /** The message, for the person signing in. */
        public String reason() {
            return reason;
        }
    }

    /**
     * A sign-in begun: where to send the browser, and what it must keep until it comes back (a cookie: the provider,
     * state, nonce, PKCE verifier and the page to go to afterwards; nothing in it is a credential on its own).
     */
    public record Started(URI authorizationUri, String pending) {
        @Override
        public String toString() {
            return "Started[" + authorizationUri.getHost() + "]";
        }
    }

    /**
     * Begins a sign-in through provider {@code id}; the provider sends the browser back to {@code redirectUri}, and
     * after it to {@code next}.
     *
     * @throws Failed when there is no such provider or it cannot be reached
     */
    public Started begin(String id, URI redirectUri, String next) {
        BollardConfig.OidcProvider p = provider(id);
        Discovery.Known issuer = issuer(p);
        State state = new State();
        Nonce nonce = new Nonce();
        CodeVerifier verifier = new CodeVerifier();
        AuthenticationRequest request = new AuthenticationRequest.Builder(ResponseType.CODE,
                new Scope(p.scopes().toArray(String[]::new)), new ClientID(p.clientId()), redirectUri)
                .endpointURI(issuer.metadata().getAuthorizationEndpointURI())
                .state(state).nonce(nonce).codeChallenge(verifier, CodeChallengeMethod.S256).build();
        String pending = String.join(".", p.id(), state.getValue(), nonce.getValue(), verifier.getValue(),
                Base64.getUrlEncoder().withoutPadding().encodeToString(next.getBytes(StandardCharsets.UTF_8)));
        return new Started(request.toURI(), pending);
    }

    /** A completed sign-in: who the provider says signed in, their ID token (for logout), and where to go now. */
    public record Completed(IdentitySource.Identity identity, String idToken, String next) {
        @Override
        public String toString() {
            return "Completed[" + identity.source() + ", " + identity.username() + "]";
        }
    }

    /**
     * Completes a sign-in: {@code callback} is the URI the provider sent the browser to (with its query),
     * {@code pending} the cookie {@link #begin} gave it.
     *
     * @throws Failed when the provider refused, the state does not match, or the code or ID token do not check out
     */
    public Completed complete(String id, URI callback, URI redirectUri, @Nullable String pending) {
        BollardConfig.OidcProvider p = provider(id);
        String[] parts = pending == null ? new String[0] : pending.split("\\.", -1);
        if (parts.length != 5 || !parts[0].equals(id)) {
            throw new Failed("The sign-in through " + p.displayName() + " expired or was started in another browser. "
                    + "Please sign in again.");
        }
        AuthenticationResponse response;
        try {
            response = AuthenticationResponseParser.parse(callback);
        } catch (ParseException e) {
            throw failed(p, "its answer could not be read", e);
        }
        if (response.getState() == null || !java.security.MessageDigest.isEqual(
                response.getState().getValue().getBytes(StandardCharsets.UTF_8), parts[1].getBytes(StandardCharsets.UTF_8))) {
            throw new Failed("The sign-in through " + p.displayName() + " expired or was started in another browser. "
                    + "Please sign in again.");
        }
        if (response instanceof AuthenticationErrorResponse error) {
            LOG.info("OIDC provider {} refused a sign-in: {}", p.id(), error.getErrorObject());
            throw new Failed(p.displayName() + " did not sign you in ("
                    + Optional.ofNullable(error.getErrorObject().getDescription()).orElse(error.getErrorObject().getCode())
                    + ").");
        }
        AuthorizationCode code = response.toSuccessResponse().getAuthorizationCode();
        if (code == null) {
            throw failed(p, "its answer holds no authorization code", null);
        }
        Discovery.Known issuer = issuer(p);
        TokenRequest tokenRequest = tokenRequest(p, issuer,
                new AuthorizationCodeGrant(code, redirectUri, new CodeVerifier(parts[3])));
        TokenResponse tokens;
        try {
            HTTPRequest http = tokenRequest.toHTTPRequest();
            http.setConnectTimeout(timeoutMillis);
            http.setReadTimeout(timeoutMillis);
            tokens = OIDCTokenResponseParser.parse(http.send());
        } catch (IOException | ParseException e) {
            throw failed(p, "its token endpoint did not answer properly", e);
        }
        if (!tokens.indicatesSuccess()) {
            TokenErrorResponse error = tokens.toErrorResponse();
            throw failed(p, "its token endpoint refused the code: " + error.getErrorObject(), null);
        }
        JWT idToken = ((OIDCTokenResponse) tokens.toSuccessResponse()).getOIDCTokens().getIDToken();
        if (idToken == null) {
            throw failed(p, "it sent no ID token", null);
        }
        IDTokenClaimsSet claims;
        try {
            claims = new IDTokenValidator(issuer.metadata().getIssuer(), new ClientID(p.clientId()),
                    issuer.keySelector(), null).validate(idToken, new Nonce(parts[2]));
        } catch (BadJOSEException | JOSEException e) {
            throw failed(p, "its ID token did not validate", e);
        }
        String next = new String(Base64.getUrlDecoder().decode(parts[4]), StandardCharsets.UTF_8);
        return new Completed(identity(p, claims), idToken.serialize(), next);
    }

    /** The person an ID token names, by the provider's claim mapping. */
    private static IdentitySource.Identity identity(BollardConfig.OidcProvider p, IDTokenClaimsSet claims) {
        Object name = claims.getClaim(p.usernameClaim());
        if (!(name instanceof String username) || username.isBlank()) {
            throw new Failed(p.displayName() + " did not say your user name (the ID token has no '" + p.usernameClaim()
                    + "' claim); ask the registry's administrators to check auth.oidc.providers' username-claim.");
        }
        Object email = claims.getClaim(p.emailClaim());
        Set<String> groups = stringValues(claims.getClaim(p.groupsClaim()));
        Boolean admin = p.adminGroup().isEmpty() ? null : groups.contains(p.adminGroup());
        return new IdentitySource.Identity(DirectoryTeams.OIDC_SOURCE + p.id(), username,
                email instanceof String e && !e.isBlank() ? e : null, groups, admin, claims.getSubject().getValue());
    }

    /** A claim's values as strings: a list of strings, or one string. */
    static Set<String> stringValues(@Nullable Object claim) {
        Set<String> values = new LinkedHashSet<>();
        if (claim instanceof String s) {
            values.add(s);
        } else if (claim instanceof List<?> list) {
            list.stream().filter(String.class::isInstance).map(String.class::cast).forEach(values::add);
        }
        return values;
    }

    // ---- the device authorization grant (RFC 8628), for CLI logins ----

    /** What a handle is sealed for: a device login's, nothing else's. */
    private static final String DEVICE_CONTEXT = "oidc-device-login";
    /** What every handle begins with, so that a person (or a secret scanner) can tell what it is. */
    public static final String DEVICE_HANDLE_PREFIX = "bollard_device_";

    /**
     * A device login begun at the provider: the code the person types (or the URL that carries it) and the handle the
     * CLI polls with. The handle holds the provider's device code, sealed (AES-GCM under the key-encryption key) with the
     * provider and the expiry, so any node can poll with it and nothing is stored; it is a secret of the CLI's.
     */
    public record DeviceStarted(String handle, String userCode, URI verificationUri, @Nullable URI verificationUriComplete,
                                long expiresIn, long interval) {
        @Override
        public String toString() {
            return "DeviceStarted[" + verificationUri.getHost() + ", expires in " + expiresIn + " s]";
        }
    }

    /** Where a device login stands when polled. */
    public sealed interface DevicePoll {
        /** Not approved yet; poll again after {@code interval} seconds ({@code slowDown}: the provider asked for it). */
        record Pending(long interval, boolean slowDown) implements DevicePoll {
        }

        /** Approved: who signed in, by the provider's validated ID token and its claim mapping. */
        record Approved(IdentitySource.Identity identity) implements DevicePoll {
        }

        /** It ended without a sign-in, and why; {@code reason} says what kind of end it was. */
        record Ended(DeviceEnd reason, String message) implements DevicePoll {
        }
    }

    /** How a device login ended without a sign-in. */
    public enum DeviceEnd {
        /** The handle is not one this registry gave out (or was altered, or is for another provider). */
        UNKNOWN,
        /** The provider's code expired (or was used already) before anyone approved it. */
        EXPIRED,
        /** The person declined at the provider. */
        DENIED,
        /** The provider answered something else, or its ID token did not validate. */
        FAILED
    }

    /**
     * Begins a device login through provider {@code id}: asks its device authorization endpoint for a device and a
     * user code.
     *
     * @throws BollardException NOT_FOUND for no such provider, UNSUPPORTED when it has no device authorization endpoint
     *                          (or refuses this client the grant), UNAVAILABLE when it does not answer
     */
    public DeviceStarted startDevice(String id) {
        BollardConfig.OidcProvider p = deviceProvider(id);
        Discovery.Known issuer = reachable(p);
        URI endpoint = issuer.metadata().getDeviceAuthorizationEndpointURI();
        if (endpoint == null) {
            throw new BollardException(ErrorCode.UNSUPPORTED, p.displayName() + " (provider '" + p.id() + "') does not "
                    + "offer the device authorization grant: its discovery document has no device_authorization_endpoint. "
                    + "Create an application token in the web UI (Settings) instead");
        }
        Scope scope = new Scope(p.scopes().toArray(String[]::new));
        DeviceAuthorizationRequest request = (p.clientSecret().isEmpty()
                ? new DeviceAuthorizationRequest.Builder(new ClientID(p.clientId()))
                : new DeviceAuthorizationRequest.Builder(new ClientSecretBasic(new ClientID(p.clientId()),
                        new Secret(p.clientSecret())))).endpointURI(endpoint).scope(scope).build();
        DeviceAuthorizationResponse response;
        try {
            response = DeviceAuthorizationResponse.parse(send(request.toHTTPRequest()));
        } catch (IOException | ParseException e) {
            LOG.warn("OIDC provider {}: its device authorization endpoint did not answer properly: {}", p.id(),
                    e.getMessage());
            throw new BollardException(ErrorCode.UNAVAILABLE, p.displayName() + " did not answer the device login "
                    + "request properly; try again later");
        }
        if (!response.indicatesSuccess()) {
            ErrorObject error = response.toErrorResponse().getErrorObject();
            LOG.warn("OIDC provider {} refused a device login: {}", p.id(), error);
            throw new BollardException(ErrorCode.UNSUPPORTED, p.displayName() + " refused to start a device login ("
                    + describe(error) + "); its administrators must allow the OAuth 2.0 device authorization grant for "
                    + "client '" + p.clientId() + "'");
        }
        DeviceAuthorizationSuccessResponse ok = response.toSuccessResponse();
        long lifetime = ok.getLifetime() > 0 ? ok.getLifetime() : 600;
        long interval = ok.getInterval() > 0 ? ok.getInterval() : 5;
        String sealed = requireSealing().seal(DEVICE_CONTEXT, String.join("\n", p.id(), ok.getDeviceCode().getValue(),
                Long.toString(clock.instant().getEpochSecond() + lifetime), Long.toString(interval)));
        String handle = DEVICE_HANDLE_PREFIX + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(sealed.getBytes(StandardCharsets.UTF_8));
        return new DeviceStarted(handle, ok.getUserCode().getValue(), ok.getVerificationURI(),
                ok.getVerificationURIComplete(), lifetime, interval);
    }

    /**
     * Polls a device login begun by {@link #startDevice}: asks the provider's token endpoint whether the person approved
     * it, and when they did validates the ID token as the browser sign-in does (signature, issuer, audience, expiry) and
     * maps its claims the same way.
     *
     * @throws BollardException NOT_FOUND for no such provider, UNAVAILABLE when the provider does not answer
     */
    public DevicePoll pollDevice(String id, String handle) {
        BollardConfig.OidcProvider p = deviceProvider(id);
        String[] parts = openHandle(handle);
        if (parts == null || !parts[0].equals(p.id())) {
            return new DevicePoll.Ended(DeviceEnd.UNKNOWN, "this device login handle is not one this registry gave "
                    + "out for provider '" + p.id() + "' (altered, truncated, or from another registry); start a new "
                    + "device login");
        }
        if (clock.instant().getEpochSecond() >= Long.parseLong(parts[2])) {
            return expired(p);
        }
        Discovery.Known issuer = reachable(p);
        DeviceCodeGrant grant = new DeviceCodeGrant(new DeviceCode(parts[1]));
        TokenRequest tokenRequest = tokenRequest(p, issuer, grant);
        TokenResponse tokens;
        try {
            tokens = OIDCTokenResponseParser.parse(send(tokenRequest.toHTTPRequest()));
        } catch (IOException | ParseException e) {
            LOG.warn("OIDC provider {}: its token endpoint did not answer a device login properly: {}", p.id(),
                    e.getMessage());
            throw new BollardException(ErrorCode.UNAVAILABLE, p.displayName() + " did not answer properly; poll again "
                    + "later");
        }
        if (!tokens.indicatesSuccess()) {
            ErrorObject error = tokens.toErrorResponse().getErrorObject();
            String code = String.valueOf(error.getCode());
            if (code.equals(DeviceAuthorizationGrantError.AUTHORIZATION_PENDING.getCode())) {
                return new DevicePoll.Pending(Long.parseLong(parts[3]), false);
            }
            if (code.equals(DeviceAuthorizationGrantError.SLOW_DOWN.getCode())) {
                return new DevicePoll.Pending(Long.parseLong(parts[3]) + 5, true);
            }
            if (code.equals(DeviceAuthorizationGrantError.EXPIRED_TOKEN.getCode())
                    || code.equals(OAuth2Error.INVALID_GRANT.getCode())) {
                LOG.info("OIDC provider {} ended a device login: {}", p.id(), error);
                return expired(p);
            }
            if (code.equals(OAuth2Error.ACCESS_DENIED.getCode())) {
                return new DevicePoll.Ended(DeviceEnd.DENIED, "the sign-in was declined at " + p.displayName());
            }
            LOG.warn("OIDC provider {} refused a device login's token request: {}", p.id(), error);
            return new DevicePoll.Ended(DeviceEnd.FAILED, p.displayName() + " refused the device login ("
                    + describe(error) + ")");
        }
        JWT idToken = ((OIDCTokenResponse) tokens.toSuccessResponse()).getOIDCTokens().getIDToken();
        if (idToken == null) {
            LOG.warn("OIDC provider {} sent no ID token for a device login (is 'openid' among its scopes?)", p.id());
            return new DevicePoll.Ended(DeviceEnd.FAILED, p.displayName() + " sent no ID token; tell the registry's "
                    + "administrators");
        }
        IDTokenClaimsSet claims;
        try {
            // No nonce: the device grant has none; the token came straight from the token endpoint over our request.
            claims = new IDTokenValidator(issuer.metadata().getIssuer(), new ClientID(p.clientId()),
                    issuer.keySelector(), null).validate(idToken, null);
        } catch (BadJOSEException | JOSEException e) {
            LOG.warn("OIDC provider {}: a device login's ID token did not validate: {}", p.id(), e.getMessage());
            return new DevicePoll.Ended(DeviceEnd.FAILED, p.displayName() + "'s ID token did not validate; tell the "
                    + "registry's administrators");
        }
        try {
            return new DevicePoll.Approved(identity(p, claims));
        } catch (Failed e) {
            return new DevicePoll.Ended(DeviceEnd.FAILED, e.reason());
        }
    }

    private static DevicePoll expired(BollardConfig.OidcProvider p) {
        return new DevicePoll.Ended(DeviceEnd.EXPIRED, "the device login expired before it was approved at "
                + p.displayName() + " (or it was used already); start a new one");
    }

    /** The handle's fields (provider, device code, expiry in epoch seconds, interval), or null when it is not ours. */
    private String @Nullable [] openHandle(String handle) {
        if (handle == null || !handle.startsWith(DEVICE_HANDLE_PREFIX) || handle.length() > 8192) {
            return null;
        }
        try {
            String sealed = new String(Base64.getUrlDecoder().decode(handle.substring(DEVICE_HANDLE_PREFIX.length())),
                    StandardCharsets.UTF_8);
            if (KeyEncryption.sealedWith(sealed) == null) {
                return null; // open() passes unsealed text through: a handle always is sealed
            }
            String[] parts = requireSealing().open(DEVICE_CONTEXT, sealed, "a device login handle").split("\n", -1);
            return parts.length == 4 && parts[2].matches("[0-9]{1,12}") && parts[3].matches("[0-9]{1,6}") ? parts : null;
        } catch (IllegalArgumentException | dev.bollard.config.ConfigException e) {
            return null;
        }
    }

    private KeyEncryption requireSealing() {
        if (sealing == null) {
            throw new IllegalStateException("device logins need the key-encryption key");
        }
        return sealing;
    }

    private BollardConfig.OidcProvider deviceProvider(String id) {
        BollardConfig.OidcProvider p = providers.get(id);
        if (p == null) {
            throw BollardException.notFound("there is no OIDC provider '" + id + "'"
                    + (providers.isEmpty() ? " (none is configured)" : "; the providers: "
                    + String.join(", ", providers.keySet())));
        }
        return p;
    }

    private Discovery.Known reachable(BollardConfig.OidcProvider p) {
        try {
            return discovery.issuer(p.issuer());
        } catch (IdentitySource.Unavailable e) {
            LOG.warn("OIDC provider {}: {}", p.id(), e.getMessage());
            throw new BollardException(ErrorCode.UNAVAILABLE, p.displayName() + " cannot be reached just now; try "
                    + "again later");
        }
    }

    private HTTPResponse send(HTTPRequest http) throws IOException {
        http.setConnectTimeout(timeoutMillis);
        http.setReadTimeout(timeoutMillis);
        return http.send();
    }

    private static String describe(ErrorObject error) {
        return Optional.ofNullable(error.getDescription()).map(d -> error.getCode() + ": " + d)
                .orElse(String.valueOf(error.getCode()));
    }

    /**
     * Where to send the browser to end its session at the provider too (RP-initiated logout), coming back to
     * {@code afterwards}; empty when the provider has no end-session endpoint.
     */
    public Optional<URI> logout(String id, @Nullable String idToken, URI afterwards) {
        BollardConfig.OidcProvider p = providers.get(id);
        if (p == null) {
            return Optional.empty();
        }
        URI endSession;
        try {
            endSession = discovery.issuer(p.issuer()).metadata().getEndSessionEndpointURI();
        } catch (IdentitySource.Unavailable e) {
            LOG.warn("signing out of {} only here: {}", p.id(), e.getMessage());
            return Optional.empty();
        }
        if (endSession == null) {
            return Optional.empty();
        }
        JWT hint = null;
        try {
            hint = idToken == null ? null : JWTParser.parse(idToken);
        } catch (java.text.ParseException e) {
            // no hint: the provider asks the person to confirm
        }
        return Optional.of(new LogoutRequest(endSession, hint, null, new ClientID(p.clientId()), afterwards, null, null)
                .toURI());
    }

    private BollardConfig.OidcProvider provider(String id) {
        BollardConfig.OidcProvider p = providers.get(id);
        if (p == null) {
            throw new Failed("There is no sign-in provider '" + id + "'.");
        }
        return p;
    }

    private Discovery.Known issuer(BollardConfig.OidcProvider p) {
        try {
            return discovery.issuer(p.issuer());
        } catch (IdentitySource.Unavailable e) {
            LOG.warn("OIDC provider {}: {}", p.id(), e.getMessage());
            throw new Failed(p.displayName() + " cannot be reached just now; try again later (local accounts can "
                    + "still sign in).");
        }
    }

    private static Failed failed(BollardConfig.OidcProvider p, String what, @Nullable Exception cause) {
        LOG.warn("OIDC sign-in through {} failed: {}{}", p.id(), what, cause == null ? "" : ": " + cause.getMessage());
        return new Failed("The sign-in through " + p.displayName() + " failed. Please try again; if it fails again, "
                + "tell the registry's administrators.");
    }

    /** A request to the provider's token endpoint: a public client names itself, a confidential one authenticates. */
    private static TokenRequest tokenRequest(BollardConfig.OidcProvider p, Discovery.Known issuer, AuthorizationGrant grant) {
        return p.clientSecret().isEmpty()
                ? new TokenRequest.Builder(issuer.metadata().getTokenEndpointURI(), new ClientID(p.clientId()), grant)
                        .build()
                : new TokenRequest.Builder(issuer.metadata().getTokenEndpointURI(),
                        new ClientSecretBasic(new ClientID(p.clientId()), new Secret(p.clientSecret())), grant).build();
    }
}
