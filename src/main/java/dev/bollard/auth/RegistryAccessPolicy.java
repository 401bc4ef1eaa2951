package dev.bollard.auth;

import dev.bollard.config.BollardConfig;
import dev.bollard.metadata.Database;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The access policy of a registry with identities. Credentials come as HTTP Basic (password, application token or
 * robot token) or as a bearer token from {@code /v2/auth}. No or invalid credentials → 401 with a
 * {@code Bearer realm=…,service=…,scope=…} challenge (clients then fetch a token and retry); a valid token that
 * lacks the scope → 401 {@code insufficient_scope} when its subject could get that scope, else 403; a known caller
 * without the permission → 403.
 */
final class RegistryAccessPolicy implements AccessPolicy {
    private final Auth auth;
    private final Database db;
    private final BollardConfig.Auth config;

    RegistryAccessPolicy(Auth auth, Database db) {
        this.auth = auth;
        this.db = db;
        this.config = auth.config();
    }

    @Override
    public AccessDecision decide(AccessRequest request) {
        String authorization = request.authorization();
        if (authorization == null || authorization.isBlank()) {
            return anonymous(request);
        }
        if (Auth.hasScheme(authorization, "Basic")) {
            String[] userSecret = Auth.basic(authorization);
            if (userSecret == null) {
                return challenge(request, null, "malformed Basic credentials");
            }
            return switch (auth.login(userSecret[0], userSecret[1], request.remoteAddress())) {
                case Auth.Login.Ok ok -> decideFor(ok.who().principal(), request);
                case Auth.Login.Failed f -> challenge(request, null, f.message());
                case Auth.Login.Locked l -> new AccessDecision.Throttled(l.message(), l.retryAfterSeconds());
            };
        }
        if (Auth.hasScheme(authorization, "Bearer")) {
            return bearer(request, authorization.substring(7).trim());
        }
        return challenge(request, null, "unsupported authorization scheme; use Bearer or Basic");
    }

    private AccessDecision anonymous(AccessRequest request) {
        return switch (request.action()) {
            case PING -> challenge(request, null, "authentication required");
            case CATALOG -> config.anonymousPull()
                    ? new AccessDecision.Allow("anonymous", Principal.ANONYMOUS.visible(true))
                    : challenge(request, null, "authentication required");
            case PULL -> level(Principal.ANONYMOUS, request.repository()).allows(Action.PULL)
                    ? new AccessDecision.Allow("anonymous", Principal.ANONYMOUS.visible(config.anonymousPull()))
                    : challenge(request, null, "authentication required");
            case PUSH, DELETE -> challenge(request, null, "authentication required");
        };
    }

    /** A caller whose identity is certain (Basic credentials checked). */
    private AccessDecision decideFor(Principal principal, AccessRequest request) {
        AccessDecision.Allow allow = new AccessDecision.Allow(principal.name(), principal.visible(config.anonymousPull()));
        if (request.repository() == null) {
            return allow;
        }
        if (level(principal, request.repository()).allows(request.action())) {
            return allow;
        }
        return deny(principal, request);
    }

    private AccessDecision bearer(AccessRequest request, String token) {
        Tokens.Verified verified;
        try {
            verified = auth.tokens().verify(token);
        } catch (Tokens.InvalidTokenException e) {
            return challenge(request, "invalid_token", e.getMessage());
        }
        String subject = verified.subject();
        String name = subject.isEmpty() ? "anonymous" : subject;
        switch (request.action()) {
            case PING -> {
                return new AccessDecision.Allow(name, Principal.ANONYMOUS.visible(false));
            }
            case CATALOG -> {
                if (verified.allows(Scope.REGISTRY, Scope.CATALOG, "*")) {
                    Principal principal = auth.identities().resolve(subject);
                    return new AccessDecision.Allow(name, principal.visible(config.anonymousPull()));
                }
                return challenge(request, "insufficient_scope", "the token does not cover the catalog");
            }
            default -> {
                if (verified.allows(Scope.REPOSITORY, request.repository(), Scope.tokenAction(request.action()))) {
                    return new AccessDecision.Allow(name, Principal.ANONYMOUS.visible(false));
                }
                // Not in the token: ask for a better token when the caller could get one, refuse otherwise.
                Principal principal = auth.identities().resolve(subject);
                if (principal instanceof Principal.Anonymous
                        || level(principal, request.repository()).allows(request.action())) {
                    return challenge(request, "insufficient_scope", "the token does not allow "
                            + Scope.tokenAction(request.action()) + " on repository " + request.repository());
                }
                return deny(principal, request);
            }
        }
    }

    Level level(Principal principal, String repository) {
        return db.read(h -> Permissions.of(h, principal, repository, config.anonymousPull()));
    }

    private static AccessDecision deny(Principal principal, AccessRequest request) {
        return new AccessDecision.Deny(principal.name() + " may not " + Scope.tokenAction(request.action())
                + " repository " + request.repository());
    }

    /** What the token endpoint grants: the requested scopes intersected with the principal's permissions. */
    List<Scope> grant(Principal principal, List<Scope> requested) {
        List<Scope> granted = new ArrayList<>();
        for (Scope s : requested) {
            Set<String> actions = Set.of();
            if (s.type().equals(Scope.REPOSITORY) && dev.bollard.oci.RepositoryName.isValid(s.name())) {
                actions = s.grantedBy(level(principal, s.name()));
            } else if (s.type().equals(Scope.REGISTRY) && s.name().equals(Scope.CATALOG) && s.actions().contains("*")
                    && (!(principal instanceof Principal.Anonymous) || config.anonymousPull())) {
                actions = Set.of("*"); // the catalog is filtered by what the caller may see
            }
            if (!actions.isEmpty()) {
                granted.add(new Scope(s.type(), s.name(), actions));
            }
        }
        return granted;
    }

    private AccessDecision challenge(AccessRequest request, String error, String message) {
        String realm = config.realm().isEmpty() ? request.baseUrl() + "/v2/auth" : config.realm();
        StringBuilder h = new StringBuilder("Bearer realm=\"").append(realm).append("\",service=\"")
                .append(config.service()).append('"');
        String scope = switch (request.action()) {
            case PING -> null;
            case CATALOG -> "registry:catalog:*";
            case PULL -> "repository:" + request.repository() + ":pull";
            case PUSH -> "repository:" + request.repository() + ":pull,push";
            case DELETE -> "repository:" + request.repository() + ":delete";
        };
        if (scope != null) {
            h.append(",scope=\"").append(scope).append('"');
        }
        if (error != null) {
            h.append(",error=\"").append(error).append('"');
        }
        return new AccessDecision.Challenge(h.toString(), message);
    }
}
