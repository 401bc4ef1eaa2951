package dev.bollard.http.api;

import dev.bollard.auth.AccessDecision;
import dev.bollard.auth.AccessPolicy;
import dev.bollard.auth.ApiAccessRequest;
import dev.bollard.auth.Permission;
import dev.bollard.auth.Principal;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.metadata.Database;
import dev.bollard.http.Exchange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management API under {@code /api/v1}: a table of {@link ApiRoute}s, each request matched against it, its
 * caller's access decided once by the {@link AccessPolicy} (credentials: Basic, {@code Bearer <application token>},
 * or a UI session), then its handler run. Every error is JSON {@code {"code": …, "message": …}}. The OpenAPI
 * document at {@code /api/v1/openapi.json} is generated from the same table.
 */
public final class ManagementApi {
    public static final String PREFIX = "/api/v1";
    private static final Logger LOG = LoggerFactory.getLogger(ManagementApi.class);

    private record Compiled(ApiRoute route, Pattern pattern, List<String> parameters) {
    }

    private final List<ApiRoute> routes;
    private final List<Compiled> matching;
    private final AccessPolicy policy;
    private final SessionAuthenticator sessions;
    private final byte[] openApi;

    public ManagementApi(List<ApiEndpoints> endpoints, AccessPolicy policy, SessionAuthenticator sessions) {
        List<ApiRoute> all = new ArrayList<>();
        all.add(ApiRoute.get(PREFIX + "/openapi.json", Permission.PUBLIC,
                "This document: the OpenAPI 3 description of the management API", this::sendOpenApi));
        endpoints.forEach(e -> all.addAll(e.routes()));
        Set<String> seen = new LinkedHashSet<>();
        for (ApiRoute r : all) {
            if (!seen.add(r.method() + " " + r.openApiPath())) {
                throw new IllegalArgumentException("two routes for " + r.method() + " " + r.path());
            }
        }
        this.routes = List.copyOf(all);
        this.matching = all.stream().sorted(Comparator.comparingInt(ApiRoute::literalLength).reversed())
                .map(r -> new Compiled(r, r.pattern(), ApiRoute.parameters(r.path()))).toList();
        this.policy = policy;
        this.sessions = sessions;
        this.openApi = OpenApiDocument.of(routes);
    }

    /**
     * The endpoint classes of the registry. A new area of the API is one more class here (docs/api.md, "Adding
     * endpoints").
     */
    public static List<ApiEndpoints> standardEndpoints(ApiServices services) {
        return List.of(new AccountEndpoints(services), new TeamEndpoints(services), new RobotEndpoints(services),
                new RepositoryEndpoints(services), new AuditEndpoints(services), new LifecycleEndpoints(services),
                new WebhookEndpoints(services), new ProxyEndpoints(services), new MirrorEndpoints(services),
                new EventEndpoints(services), new ScanEndpoints(services),
                new ScanPolicyEndpoints(services), new DeviceLoginEndpoints(services));
    }

    /** The route table, in registration order. */
    public List<ApiRoute> routes() {
        return routes;
    }

    public static boolean handles(String path) {
        return path.equals(PREFIX) || path.startsWith(PREFIX + "/");
    }

    /** Serves one request under {@link #PREFIX}. */
    public void handle(Exchange ex) {
        try {
            serve(ex);
        } catch (BollardException e) {
            ApiErrors.send(ex, e);
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("{} {}: {}", ex.method(), ex.path(), e.toString());
            ex.fail(e);
        } catch (RuntimeException e) {
            if (Database.isUnavailable(e)) {
                // An outage, not a defect: 503 so that callers retry, and a log line without a stack trace.
                LOG.warn("{} {}: the database is unavailable: {}", ex.method(), ex.path(), e.toString());
                ApiErrors.send(ex, new BollardException(ErrorCode.UNAVAILABLE,
                        "the registry's database is unavailable; try again later"));
                return;
            }
            LOG.error("{} {} failed", ex.method(), ex.path(), e);
            ApiErrors.send(ex, new BollardException(ErrorCode.INTERNAL, "internal error; see the registry's log"));
        }
    }

    private void serve(Exchange ex) throws IOException {
        String path = ex.path();
        List<String> allowedMethods = new ArrayList<>();
        for (Compiled c : matching) {
            Matcher m = c.pattern().matcher(path);
            if (!m.matches()) {
                continue;
            }
            if (!c.route().method().equals(ex.method())
                    && !(ex.method().equals("HEAD") && c.route().method().equals("GET"))) {
                allowedMethods.add(c.route().method());
                continue;
            }
            Map<String, String> parameters = new LinkedHashMap<>();
            for (int i = 0; i < c.parameters().size(); i++) {
                parameters.put(c.parameters().get(i), Exchange.percentDecode(m.group(i + 1)));
            }
            AccessDecision.Allow allow = authorize(ex, c.route(), parameters);
            c.route().handler().handle(new ApiCall(ex, c.route(), parameters,
                    allow.caller() == null ? Principal.ANONYMOUS : allow.caller(), allow.visible()));
            return;
        }
        if (!allowedMethods.isEmpty()) {
            ex.setHeader("Allow", String.join(", ", new LinkedHashSet<>(allowedMethods)));
            throw new BollardException(ErrorCode.METHOD_NOT_ALLOWED, ex.method() + " is not allowed on " + path
                    + "; allowed: " + String.join(", ", new LinkedHashSet<>(allowedMethods)));
        }
        throw BollardException.notFound("no such endpoint: " + ex.method() + " " + path
                + " (see " + PREFIX + "/openapi.json)");
    }

    /** The single access decision of the request; throws the refusal. */
    private AccessDecision.Allow authorize(Exchange ex, ApiRoute route, Map<String, String> parameters) {
        String target = Optional.ofNullable(ApiRoute.targetParameter(route.permission())).map(parameters::get).orElse(null);
        String authorization = ex.header("Authorization");
        Principal session = null;
        if (authorization == null || authorization.isBlank()) {
            session = sessions.authenticate(ex).orElse(null);
        }
        AccessDecision decision = policy.decide(new ApiAccessRequest(route.permission(), target, authorization, session,
                ex.remoteAddress(), ex.header("User-Agent")));
        return switch (decision) {
            case AccessDecision.Allow allow -> allow;
            case AccessDecision.Challenge c -> {
                ex.setHeader("WWW-Authenticate", "Basic realm=\"bollard\", Bearer realm=\"bollard\"");
                throw new BollardException(ErrorCode.UNAUTHORIZED, c.message());
            }
            case AccessDecision.Deny d -> throw new BollardException(ErrorCode.DENIED, d.message());
            case AccessDecision.Throttled t -> throw BollardException.throttled(ErrorCode.TOO_MANY_REQUESTS, t.message(),
                    t.retryAfterSeconds());
        };
    }

    private void sendOpenApi(ApiCall call) {
        call.exchange().setHeader("Cache-Control", "no-cache");
        call.exchange().sendBytes(200, "application/json", openApi);
    }
}
