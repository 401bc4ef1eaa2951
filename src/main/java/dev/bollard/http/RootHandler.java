package dev.bollard.http;

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

    RootHandler(Handler distribution, @Nullable TokenHandler tokens, ManagementApi api, Observability observability,
                Readiness readiness, @Nullable UiHandler ui, RequestWatchdog watchdog) {
        super(distribution);
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
            case "/healthz" -> {
                request.setAttribute(Observability.ROUTE, "healthz");
                ex.sendText(200, "ok\n");
            }
            case "/readyz" -> {
                request.setAttribute(Observability.ROUTE, "readyz");
                boolean ready = readiness.ready();
                ex.sendText(ready ? 200 : 503, ready ? "ready\n" : "not ready: database or blob store unreachable\n");
            }
            case "/metrics" -> {
                request.setAttribute(Observability.ROUTE, "metrics");
                ex.sendBytes(200, "text/plain; version=0.0.4; charset=utf-8",
                        observability.scrape().getBytes(StandardCharsets.UTF_8));
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
}
