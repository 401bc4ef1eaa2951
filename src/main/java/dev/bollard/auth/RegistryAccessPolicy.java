package dev.bollard.auth;

import dev.bollard.audit.Actor;
import dev.bollard.auth.Credentials.Login;
import dev.bollard.config.BollardConfig;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.metadata.Database;
import dev.bollard.oci.RepositoryName;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The access policy of a registry with identities. Credentials come as HTTP Basic (password, application token or
 * robot token) or as a bearer token from {@code /v2/auth}. No or invalid credentials → 401 with a
 * {@code Bearer realm=…,service=…,scope=…} challenge (clients then fetch a token and retry); a valid token that
 * lacks the scope → 401 {@code insufficient_scope} when its subject could get that scope, else 403; a known caller
 * without the permission → 403.
 */
final class RegistryAccessPolicy implements AccessPolicy {
    private final BollardConfig.Auth config;
    private final Database db;
    private final Credentials credentials;
    private final Tokens tokens;
    private final RepositoryAccess repositories;

    RegistryAccessPolicy(BollardConfig.Auth config, Database db, Credentials credentials, Tokens tokens,
                         RepositoryAccess repositories) {
        this.config = config;
        this.db = db;
        this.credentials = credentials;
        this.tokens = tokens;
        this.repositories = repositories;
    }

    @Override
    public AccessDecision decide(AccessRequest request) {
        String authorization = request.authorization();
        if (authorization == null || authorization.isBlank()) {
            // mTLS on /v2 itself: a verified certificate bound to a robot is that robot, with no token round trip.
            // One bound to none is no credential here (a client may hold a certificate for other reasons); the
            // challenge leads it to the token endpoint, which refuses the certificate and audits the failure once.
            if (request.clientCertificate() != null) {
                Optional<Credentials.Authenticated> robot = credentials.boundTo(request.clientCertificate());
                if (robot.isPresent()) {
                    return decideFor(robot.get().principal(), request);
                }
            }
            return anonymous(request);
        }
        if (Credentials.hasScheme(authorization, "Basic")) {
            return switch (credentials.loginBasic(authorization, request.remoteAddress(), request.userAgent())) {
                case Login.Ok ok -> decideFor(ok.who().principal(), request);
                case Login.Failed f -> challenge(request, null, f.message());
                case Login.Locked l -> new AccessDecision.Throttled(l.message(), l.retryAfterSeconds());
                case Login.Busy b -> new AccessDecision.Throttled(b.message(), b.retryAfterSeconds());
                case Login.Unavailable u -> throw new BollardException(ErrorCode.UNAVAILABLE, u.message());
            };
        }
        if (Credentials.hasScheme(authorization, "Bearer")) {
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
            case PULL -> level(Principal.ANONYMOUS, repositoryOf(request)).allows(Action.PULL)
                    ? new AccessDecision.Allow("anonymous", Principal.ANONYMOUS.visible(config.anonymousPull()))
                    : challenge(request, null, "authentication required");
            case PUSH, DELETE -> challenge(request, null, "authentication required");
        };
    }

    /** A caller whose identity is certain (Basic credentials checked). */
    private AccessDecision decideFor(Principal principal, AccessRequest request) {
        AccessDecision.Allow allow = new AccessDecision.Allow(principal.name(), principal.visible(config.anonymousPull()),
                principal);
        String repository = request.repository();
        if (repository == null) {
            return allow;
        }
        if (level(principal, repository).allows(request.action())) {
            if (request.action() == Action.PUSH && !createIfAllowed(principal, repository,
                    principal.actor(request.remoteAddress(), request.userAgent()))) {
                return new AccessDecision.Deny("repository " + repository + " does not exist and "
                        + "auth.create-on-push is false: create it first (PUT /api/v1/repositories/"
                        + repository + ")");
            }
            return allow;
        }
        return deny(principal, request);
    }

    /**
     * Creation on first push: when {@code repository} does not exist yet, creates it for a caller who may write it
     * (and so may create in its namespace), with its organization's default permissions and, when the creator would
     * not administer it otherwise, an admin grant to the creator. False when it does not exist and
     * {@code auth.create-on-push} is off.
     */
    private boolean createIfAllowed(Principal principal, String repository, Actor actor) {
        if (Permissions.exists(db, repository)) {
            return true;
        }
        if (!config.createOnPush()) {
            return false;
        }
        repositories.as(actor).createIfMissing(repository, false, principal, "push");
        return true;
    }

    private AccessDecision bearer(AccessRequest request, String token) {
        Tokens.Verified verified;
        try {
            verified = tokens.verify(token);
        } catch (Tokens.InvalidTokenException e) {
            return challenge(request, "invalid_token", e.getMessage());
        }
        String subject = verified.subject();
        String name = subject.isEmpty() ? "anonymous" : subject;
        return switch (request.action()) {
            case PING -> new AccessDecision.Allow(name, Principal.ANONYMOUS.visible(false));
            case CATALOG -> {
                if (verified.allows(Scope.REGISTRY, Scope.CATALOG, "*")) {
                    Principal principal = credentials.resolve(subject);
                    yield new AccessDecision.Allow(name, principal.visible(config.anonymousPull()));
                }
                yield challenge(request, "insufficient_scope", "the token does not cover the catalog");
            }
            default -> {
                if (verified.allows(Scope.REPOSITORY, repositoryOf(request), Scope.tokenAction(request.action()))) {
                    yield new AccessDecision.Allow(name, Principal.ANONYMOUS.visible(false));
                }
                // Not in the token: ask for a better token when the caller could get one, refuse otherwise.
                Principal principal = credentials.resolve(subject);
                if (principal instanceof Principal.Anonymous
                        || level(principal, repositoryOf(request)).allows(request.action())) {
                    yield challenge(request, "insufficient_scope", "the token does not allow "
                            + Scope.tokenAction(request.action()) + " on repository " + request.repository());
                }
                yield deny(principal, request);
            }
        };
    }

    // ---- the management API ----

    @Override
    public AccessDecision decide(ApiAccessRequest request) {
        Principal principal;
        String authorization = request.authorization();
        if (request.session() != null) {
            principal = request.session();
        } else if (authorization == null || authorization.isBlank()) {
            principal = Principal.ANONYMOUS;
        } else if (Credentials.hasScheme(authorization, "Basic")) {
            switch (credentials.loginBasic(authorization, request.remoteAddress(), request.userAgent())) {
                case Login.Ok ok -> principal = ok.who().principal();
                case Login.Failed f -> {
                    return new AccessDecision.Challenge("Basic", f.message());
                }
                case Login.Locked l -> {
                    return new AccessDecision.Throttled(l.message(), l.retryAfterSeconds());
                }
                case Login.Busy b -> {
                    return new AccessDecision.Throttled(b.message(), b.retryAfterSeconds());
                }
                case Login.Unavailable u -> throw new BollardException(ErrorCode.UNAVAILABLE, u.message());
            }
        } else if (Credentials.hasScheme(authorization, "Bearer")) {
            Optional<Principal.User> user = credentials.appToken(authorization.substring(7).trim(),
                    request.remoteAddress(), request.userAgent());
            if (user.isEmpty()) {
                return new AccessDecision.Challenge("Bearer", "invalid or revoked application token");
            }
            principal = user.get();
        } else {
            return new AccessDecision.Challenge("Basic", "unsupported authorization scheme; use Basic or Bearer");
        }
        AccessDecision.Allow allow = new AccessDecision.Allow(principal instanceof Principal.Anonymous ? "anonymous"
                : principal.name(), principal.visible(config.anonymousPull()), principal);
        if (permits(principal, request.permission(), request.target())) {
            return allow;
        }
        if (principal instanceof Principal.Anonymous) {
            return new AccessDecision.Challenge("Basic", "authentication required");
        }
        return new AccessDecision.Deny(principal.name() + " lacks the permission " + request.permission()
                + (request.target() == null ? "" : " on " + request.target()));
    }

    private boolean permits(Principal principal, Permission permission, @Nullable String target) {
        if (permission == Permission.PUBLIC) {
            return true;
        }
        if (principal instanceof Principal.User u && u.superuser()) {
            return true;
        }
        return switch (permission) {
            case PUBLIC -> true;
            case AUTHENTICATED -> !(principal instanceof Principal.Anonymous);
            case USER -> principal instanceof Principal.User;
            case SELF -> principal instanceof Principal.User u && u.name().equals(target);
            case SUPERUSER -> false;
            case ORG_MEMBER -> principal instanceof Principal.User u
                    && db.read(h -> Permissions.organizationRole(h, u, targetOf(permission, target))) != Level.NONE;
            case ORG_ADMIN -> principal instanceof Principal.User u
                    && db.read(h -> Permissions.organizationRole(h, u, targetOf(permission, target))) == Level.ADMIN;
            case NAMESPACE_ADMIN -> principal instanceof Principal.User u && (u.name().equals(target)
                    || db.read(h -> Permissions.organizationRole(h, u, targetOf(permission, target))) == Level.ADMIN);
            case REPO_CREATE -> RepositoryName.isValid(target) && !(principal instanceof Principal.Robot)
                    && db.read(h -> Permissions.mayCreate(h, principal, targetOf(permission, target)));
            case REPO_READ -> level(principal, targetOf(permission, target)).allows(Action.PULL);
            case REPO_WRITE -> level(principal, targetOf(permission, target)).allows(Action.PUSH);
            case REPO_ADMIN -> level(principal, targetOf(permission, target)) == Level.ADMIN;
        };
    }

    /**
     * The target of a permission that has one: every route declaring such a permission names it by a path
     * parameter (ApiRoute checks this), and the UI passes it; only PUBLIC, AUTHENTICATED, USER and SUPERUSER have none.
     */
    private static String targetOf(Permission permission, @Nullable String target) {
        return Objects.requireNonNull(target, () -> "the permission " + permission + " names its target");
    }

    /** The repository of a repository action (pull, push, delete): only registry-wide actions have none. */
    private static String repositoryOf(AccessRequest request) {
        return Objects.requireNonNull(request.repository(), "a repository action names its repository");
    }

    private Level level(Principal principal, String repository) {
        return db.read(h -> Permissions.of(h, principal, repository, config.anonymousPull()));
    }

    private static AccessDecision deny(Principal principal, AccessRequest request) {
        return new AccessDecision.Deny(principal.name() + " may not " + Scope.tokenAction(request.action())
                + " repository " + request.repository());
    }

    /**
     * What the token endpoint grants: the requested scopes intersected with the principal's permissions. Push to a
     * repository that does not exist is granted (and the repository created) only under create-on-push.
     */
    List<Scope> grant(Principal principal, List<Scope> requested, Actor actor) {
        List<Scope> granted = new ArrayList<>();
        for (Scope s : requested) {
            Set<String> actions = Set.of();
            if (s.type().equals(Scope.REPOSITORY) && RepositoryName.isValid(s.name())) {
                actions = s.grantedBy(level(principal, s.name()));
                if (actions.contains("push") && !createIfAllowed(principal, s.name(), actor)) {
                    actions = new LinkedHashSet<>(actions);
                    actions.removeAll(Set.of("push", "delete", "*"));
                }
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

    private AccessDecision challenge(AccessRequest request, @Nullable String error, @Nullable String message) {
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
