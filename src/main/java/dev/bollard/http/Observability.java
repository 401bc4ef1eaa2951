package dev.bollard.http;

import dev.bollard.config.BollardConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * Metrics (Prometheus exposition at {@code /metrics}), request ids and the access log. Labels are bounded:
 * the route kind, never a repository name, so a busy registry cannot blow up the number of series.
 */
public final class Observability implements AutoCloseable {

    /** Request attribute holding the route label, set by the handler that resolved the route. */
    static final String ROUTE = "bollard.route";
    static final String REQUEST_ID_HEADER = "X-Request-Id";
    /** Request attribute holding the request's trace span. */
    static final String SPAN = "bollard.span";

    private static final Set<String> METHODS = Set.of("GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS");
    private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter bytesPushed;
    private final Counter bytesPulled;
    private final AtomicInteger uploadsInFlight = new AtomicInteger();
    private final Tracing tracing;
    /**
     * The latency histogram's buckets: fixed and few, since every route × method × status series carries them all
     * (Micrometer's percentile histogram had ~70 each and made a scrape ~1 MB).
     */
    private static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMinutes(5)};
    private final AccessLog accessLog = new AccessLog();

    Observability() {
        this(Tracing.of(new BollardConfig.Telemetry("text", false, "", 1.0, "", -1)));
    }

    public Observability(Tracing tracing) {
        this.tracing = tracing;
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        bytesPushed = Counter.builder("bollard.blob.pushed").baseUnit("bytes")
                .description("blob bytes received in uploads").register(registry);
        bytesPulled = Counter.builder("bollard.blob.pulled").baseUnit("bytes")
                .description("blob bytes sent to clients").register(registry);
        Gauge.builder("bollard.uploads.in.flight", uploadsInFlight, AtomicInteger::get)
                .description("upload requests streaming a body right now").register(registry);
        FunctionCounter.builder("bollard.access.log.dropped", accessLog, AccessLog::dropped)
                .description("access-log lines dropped because the log's queue was full").register(registry);
    }

    /** Writes the access-log lines still queued. */
    @Override
    public void close() {
        accessLog.close();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    String scrape() {
        return registry.scrape();
    }

    void pushed(long bytes) {
        bytesPushed.increment((double) bytes);
    }

    void pulled(long bytes) {
        bytesPulled.increment((double) bytes);
    }

    /** Counts an upload request while it streams; close the returned handle when it ends. */
    InFlight uploadInFlight() {
        uploadsInFlight.incrementAndGet();
        return uploadsInFlight::decrementAndGet;
    }

    /** A request counted in a gauge until closed. */
    interface InFlight extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Gives the request an id (the client's {@code X-Request-Id} when it is sane, else a new one), echoes it, and
     * returns a callback that records the request's latency and status and writes its access-log line when it
     * completes.
     */
    Callback track(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        String given = request.getHeaders().get(REQUEST_ID_HEADER);
        String id = given != null && SANE_ID.matcher(given).matches() ? given
                : HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        response.getHeaders().put(REQUEST_ID_HEADER, id);
        Span span = tracing.startRequest(request);
        span.setAttribute("bollard.request.id", id);
        request.setAttribute(SPAN, span);
        return new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                record(request, response, start, id, span, null);
                super.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                record(request, response, start, id, span, x);
                super.failed(x);
            }
        };
    }

    private void record(Request request, Response response, long start, String id, Span span,
                        @Nullable Throwable failure) {
        long nanos = System.nanoTime() - start;
        Object route = request.getAttribute(ROUTE);
        String method = METHODS.contains(request.getMethod()) ? request.getMethod() : "OTHER";
        // A request that failed before its answer began: 499 (nginx's "client closed request") when the client went
        // away, so that the 500s counted are the registry's own.
        int status = failure != null && !response.isCommitted() ? (Exchange.isClientGone(failure) ? 499 : 500)
                : response.getStatus();
        Timer.builder("http.server.requests")
                .description("HTTP requests by route and status")
                .tags("method", method, "route", route == null ? "other" : route.toString(),
                        "status", Integer.toString(status), "outcome", failure == null ? "complete" : "aborted")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
        Tracing.endRequest(span, method, route == null ? "other" : route.toString(), status, failure);
        if (AccessLog.enabled()) {
            accessLog.add(new AccessLog.Line(request.getMethod(), request.getHttpURI().getPathQuery(),
                    request.getConnectionMetaData().getProtocol(), status, nanos / 1_000_000, id,
                    Request.getRemoteAddr(request), failure == null ? null : failure.getClass().getSimpleName()));
        }
    }
}
