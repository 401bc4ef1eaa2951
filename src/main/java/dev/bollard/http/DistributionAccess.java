package dev.bollard.http;

import dev.bollard.audit.Actor;
import dev.bollard.auth.AccessDecision;
import dev.bollard.auth.AccessPolicy;
import dev.bollard.auth.AccessRequest;
import dev.bollard.auth.Action;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import org.eclipse.jetty.server.Request;
import org.jspecify.annotations.Nullable;

/**
 * The access decisions of the distribution API: the one a request's route needs ({@link #authorize}, asked once per
 * request) and the second one a cross-repository mount needs ({@link #mayPull}). The policy decides; this class
 * maps routes to actions and decisions to answers.
 */
final class DistributionAccess {
    private final AccessPolicy policy;

    DistributionAccess(AccessPolicy policy) {
        this.policy = policy;
    }

    /**
     * The single access-decision point: the action a route needs, asked of the policy once. True when the request may
     * go on (with {@link Exchange#actor} and {@link Exchange#visible} set); false when the refusal was sent.
     */
    boolean authorize(Exchange ex, Route route) {
        Action action = switch (route.kind()) {
            case BASE, NOT_FOUND -> Action.PING;
            case CATALOG -> Action.CATALOG;
            case UPLOADS, UPLOAD -> Action.PUSH;
            case BLOB, MANIFEST -> switch (ex.method()) {
                case "PUT", "POST", "PATCH" -> Action.PUSH;
                case "DELETE" -> Action.DELETE;
                default -> Action.PULL;
            };
            case TAGS, REFERRERS -> Action.PULL;
        };
        String repository = route.repository() == null ? null : route.repository().value();
        AccessDecision decision = policy.decide(request(ex, repository, action));
        return switch (decision) {
            case AccessDecision.Allow allow -> {
                ex.visible = allow.visible();
                ex.actor = actorOf(allow, ex);
                yield true;
            }
            case AccessDecision.Challenge c -> {
                ex.setHeader("WWW-Authenticate", c.wwwAuthenticate());
                DistributionErrors.send(ex, new BollardException(ErrorCode.UNAUTHORIZED, c.message()));
                yield false;
            }
            case AccessDecision.Deny d -> {
                DistributionErrors.send(ex, new BollardException(ErrorCode.DENIED, d.message()));
                yield false;
            }
            case AccessDecision.Throttled t -> {
                DistributionErrors.send(ex, BollardException.throttled(ErrorCode.TOOMANYREQUESTS, t.message(),
                        t.retryAfterSeconds()));
                yield false;
            }
        };
    }

    /** The second access decision of a mount: may the caller read the repository it mounts from. */
    boolean mayPull(Exchange ex, String repository) {
        return policy.decide(request(ex, repository, Action.PULL)) instanceof AccessDecision.Allow;
    }

    /**
     * The question to the policy, with the credentials the request brought: its Authorization header, and the client
     * certificate the TLS handshake verified (which stands for a robot bound to it when no header is sent).
     */
    private static AccessRequest request(Exchange ex, @Nullable String repository, Action action) {
        return new AccessRequest(repository, action, ex.header("Authorization"), Request.getRemoteAddr(ex.request),
                baseUrl(ex), ex.header("User-Agent"), TokenHandler.clientCertificate(ex.request));
    }

    /**
     * The audit actor of an allowed request. A bearer token names its subject only (resolving it would cost a
     * database read per request): {@code owner+name} is a robot, an empty subject anonymous, any other a user.
     */
    private static Actor actorOf(AccessDecision.Allow allow, Exchange ex) {
        String ip = Request.getRemoteAddr(ex.request);
        String ua = ex.header("User-Agent");
        if (allow.caller() != null) {
            return allow.caller().actor(ip, ua);
        }
        String name = allow.principal();
        if (name == null || name.isEmpty() || name.equals("anonymous")) {
            return Actor.anonymous(ip, ua);
        }
        return new Actor(name.contains("+") ? Actor.Kind.ROBOT : Actor.Kind.USER, name, ip, ua);
    }

    /** {@code scheme://host[:port]} the request was sent to, for the realm of a challenge. */
    private static String baseUrl(Exchange ex) {
        String host = ex.plainHost();
        if (host == null) {
            host = Request.getServerName(ex.request) + ":" + Request.getServerPort(ex.request);
        }
        return ex.request.getHttpURI().getScheme() + "://" + host;
    }
}
