package dev.bollard.http;

import dev.bollard.config.BollardConfig;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Request;
import org.jspecify.annotations.Nullable;

/**
 * OpenTelemetry tracing ({@code tracing.enabled}, off by default): spans batched and exported over OTLP/HTTP to
 * {@code tracing.endpoint}, a {@code tracing.sample-ratio} share of new traces (a request that arrives with a W3C
 * {@code traceparent} follows its caller's decision). Off, the tracer is a no-op that costs next to nothing.
 */
public final class Tracing implements AutoCloseable {

    // Only get: the W3C propagator reads the headers it knows by name, and keys (deprecated) has a default.
    private static final TextMapGetter<Request> HEADERS = new TextMapGetter<>() {
        @Override
        public @Nullable String get(@Nullable Request request, String key) {
            return request == null ? null : request.getHeaders().get(key);
        }
    };

    private final @Nullable OpenTelemetrySdk sdk;
    private final Tracer tracer;

    private Tracing(@Nullable OpenTelemetrySdk sdk, Tracer tracer) {
        this.sdk = sdk;
        this.tracer = tracer;
    }

    public static Tracing of(BollardConfig.Telemetry config) {
        if (!config.tracingEnabled()) {
            return new Tracing(null, OpenTelemetry.noop().getTracer("bollard"));
        }
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(config.tracingEndpoint()).build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.of(AttributeKey.stringKey("service.name"), "bollard"))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
                .build();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
        return new Tracing(sdk, sdk.getTracer("bollard"));
    }

    public Tracer tracer() {
        return tracer;
    }

    public boolean enabled() {
        return sdk != null;
    }

    /** A server span for {@code request}, child of the caller's span when the request carries {@code traceparent}. */
    Span startRequest(Request request) {
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), request, HEADERS);
        return tracer.spanBuilder("HTTP " + request.getMethod()).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute("http.request.method", request.getMethod())
                .setAttribute("url.path", request.getHttpURI().getPath())
                .startSpan();
    }

    /** Names the span by its route (never by repository: bounded names) and ends it with the status. */
    static void endRequest(Span span, String method, String route, int status, @Nullable Throwable failure) {
        span.updateName(method + " " + route);
        span.setAttribute("http.route", route);
        span.setAttribute("http.response.status_code", status);
        if (failure != null) {
            span.recordException(failure);
        }
        if (status >= 500 || failure != null) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }

    /** Exports the spans still batched, then stops. */
    @Override
    public void close() {
        if (sdk != null) {
            sdk.getSdkTracerProvider().shutdown().join(10, TimeUnit.SECONDS);
        }
    }
}
