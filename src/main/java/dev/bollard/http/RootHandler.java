package dev.bollard.http;

import dev.bollard.auth.AccessDecision;
import dev.bollard.auth.AccessPolicy;
import dev.bollard.auth.ApiAccessRequest;
import dev.bollard.auth.Permission;
import dev.bollard.http.api.ManagementApi;
import dev.bollard.http.ui.UiHandler;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The front of the server: gives every request an id, measures it, and routes {@code /v2} to the distribution
 * API (and its token endpoint), {@code /api/v1} to the management API, {@code /metrics}, {@code /healthz} and
 * {@code /readyz} to themselves, and the web UI's pages (when it is on) to the UI.
 */
final class RootHandler extends Handler.Wrapper {

    /** Whether the node can serve: its database and blob store answer. */
    interface Readiness {
        boolean ready();
    }

    private static final Logger LOG = LoggerFactory.getLogger(RootHandler.class);

    private final @Nullable TokenHandler tokens;
    private final ManagementApi api;
    private final Observability observability;
    private final Readiness readiness;
    private final @Nullable UiHandler ui;
    private final RequestWatchdog watchdog;

    /** The name of the connector of {@code metrics.listen}, which serves metrics and health checks only. */
    static final String METRICS_CONNECTOR = "metrics";

    private final AccessPolicy policy;

    RootHandler(Handler distribution, @Nullable TokenHandler tokens, ManagementApi api, Observability observability,
                Readiness readiness, @Nullable UiHandler ui, RequestWatchdog watchdog, AccessPolicy policy) {
        super(distribution);
        this.policy = policy;
        this.watchdog = watchdog;
        this.tokens = tokens;
        this.api = api;
        this.observability = observability;
        this.readiness = readiness;
        this.ui = ui;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Callback tracked = observability.track(request, response, callback);
        RequestWatchdog.Watched watched = watchdog.watch(request, response, tracked);
        // Log lines written while this thread handles the request carry its id (in JSON logs: "mdc"); database and
        // storage spans become children of the request's span.
        Span span = (Span) request.getAttribute(Observability.SPAN);
        try (MDC.MDCCloseable ignored = MDC.putCloseable("request_id",
                response.getHeaders().get(Observability.REQUEST_ID_HEADER));
             Scope scope = span.makeCurrent()) {
            boolean handled = route(request, response, watched.callback());
            watched.handlerReturned(handled);
            return handled;
        } catch (Throwable t) {
            watched.handlerReturned(false); // Jetty answers and completes the request itself
            throw t;
        }
    }

    private boolean route(Request request, Response response, Callback tracked) throws Exception {
        String path = request.getHttpURI().getPath();
        if (METRICS_CONNECTOR.equals(request.getConnectionMetaData().getConnector().getName())) {
            return routeOnMetricsListener(request, path, new Exchange(request, response, tracked));
        }
        if (tokens != null && TokenHandler.handles(path)) {
            request.setAttribute(Observability.ROUTE, "token");
            Exchange ex = new Exchange(request, response, tracked);
            try {
                tokens.handle(ex);
            } catch (RuntimeException | IOException e) {
                if (Exchange.isClientGone(e)) {
                    LOG.debug("client went away during {} {}: {}", request.getMethod(), path, e.toString());
                    tracked.failed(e);
                    return true;
                }
                LOG.error("{} {} failed", request.getMethod(), path, e);
                if (!response.isCommitted()) {
                    DistributionErrors.sendInternal(ex);
                } else {
                    tracked.failed(e);
                }
            }
            return true;
        }
        if (path.equals("/v2") || path.startsWith("/v2/")) {
            return super.handle(request, response, tracked);
        }
        if (ManagementApi.handles(path)) {
            request.setAttribute(Observability.ROUTE, "api");
            api.handle(new Exchange(request, response, tracked));
            return true;
        }
        Exchange ex = new Exchange(request, response, tracked);
        switch (path) {
            case "/healthz" -> sendHealth(request, ex);
            case "/readyz" -> sendReadiness(request, ex);
            case "/metrics" -> {
                request.setAttribute(Observability.ROUTE, "metrics");
                if (mayScrape(ex)) {
                    sendMetrics(ex);
                }
            }
            default -> {
                if (ui != null && UiHandler.handles(path)) {
                    request.setAttribute(Observability.ROUTE, "ui");
                    ui.handle(ex);
                } else {
                    ex.sendText(404, "not found: " + path + "\n");
                }
            }
        }
        return true;
    }

    /** {@code metrics.listen}: metrics and health checks without credentials (a port only the scraper reaches). */
    private boolean routeOnMetricsListener(Request request, String path, Exchange ex) {
        switch (path) {
            case "/metrics" -> {
                request.setAttribute(Observability.ROUTE, "metrics");
                sendMetrics(ex);
            }
            case "/healthz" -> sendHealth(request, ex);
            case "/readyz" -> sendReadiness(request, ex);
            default -> ex.sendText(404, "not found: " + path + " (this listener serves /metrics, /healthz and /readyz)\n");
        }
        return true;
    }

    private static void sendHealth(Request request, Exchange ex) {
        request.setAttribute(Observability.ROUTE, "healthz");
        ex.sendText(200, "ok\n");
    }

    private void sendReadiness(Request request, Exchange ex) {
        request.setAttribute(Observability.ROUTE, "readyz");
        boolean ready = readiness.ready();
        ex.sendText(ready ? 200 : 503, ready ? "ready\n" : "not ready: database or blob store unreachable\n");
    }

    private void sendMetrics(Exchange ex) {
        ex.sendBytes(200, "text/plain; version=0.0.4; charset=utf-8",
                observability.scrape().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code /metrics} on the main port is for superusers (Prometheus sends a superuser's application token, as Basic
     * or Bearer): the series name namespaces and show the registry's activity. Answers the refusal itself.
     */
    private boolean mayScrape(Exchange ex) {
        AccessDecision decision = policy.decide(new ApiAccessRequest(Permission.SUPERUSER, null,
                ex.header("Authorization"), null, ex.remoteAddress(), ex.header("User-Agent")));
        String how = "/metrics needs a superuser's credentials (Basic with a password or an application token, or "
                + "Bearer with an application token), or scrape the listener of metrics.listen";
        switch (decision) {
            case AccessDecision.Allow allow -> {
                return true;
            }
            case AccessDecision.Challenge c -> {
                ex.setHeader("WWW-Authenticate", "Basic realm=\"bollard\"");
                ex.sendText(401, how + (c.message() == null ? "" : " (" + c.message() + ")") + "\n");
            }
            case AccessDecision.Deny d -> ex.sendText(403, how + " (" + d.message() + ")\n");
            case AccessDecision.Throttled t -> {
                ex.setHeader("Retry-After", Long.toString(t.retryAfterSeconds()));
                ex.sendText(429, t.message() + "\n");
            }
        }
        return false;
    }
}
