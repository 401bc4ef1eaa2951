package dev.bollard.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Knows every request between its arrival at the handler and its completion, and logs any that has run longer than a
 * threshold, once, with what it is doing: which thread handles it and where that thread is, or that its handler
 * returned without completing the response — a request that would otherwise wait silently until the client gives up
 * (issue 13: a request once received no answer, with no thread and no log line to say why).
 *
 * <p>Long transfers of large blobs to slow clients also pass the threshold; their line shows a thread writing to the
 * socket, which tells them apart from a stall.
 */
final class RequestWatchdog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RequestWatchdog.class);
    private static final int STACK_FRAMES = 12;

    private final Duration threshold;
    private final Map<Long, InFlight> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong served = new AtomicLong();
    private final Counter reported;
    private final @Nullable ScheduledExecutorService checker;

    /** A request being handled. Fields change as it moves on; the checker only reads them. */
    static final class InFlight {
        final String method;
        final String path;
        final String remote;
        final @Nullable String requestId;
        final long startNanos = System.nanoTime();
        private final Response response;
        volatile @Nullable Thread handler;
        volatile boolean handlerReturned;
        volatile boolean reported;

        InFlight(Request request, Response response) {
            this.method = request.getMethod();
            this.path = request.getHttpURI().getPath();
            this.remote = Request.getRemoteAddr(request);
            this.requestId = response.getHeaders().get(Observability.REQUEST_ID_HEADER);
            this.response = response;
        }

        /** A Server-Sent Events stream (the watch API): open for as long as its client watches, by design. */
        boolean isEventStream() {
            String type = response.getHeaders().get("Content-Type");
            return type != null && type.startsWith("text/event-stream");
        }

        /** What the request is doing now, in words and (while a thread handles it) that thread's stack. */
        String state() {
            Thread t = handler;
            boolean committed = response.isCommitted();
            String answer = committed ? "answer begun with status " + response.getStatus() : "no answer sent yet";
            if (handlerReturned || t == null || !t.isAlive()) {
                // Committed: the last write completes asynchronously (a slow client). Not committed: a lost request.
                return committed ? "its handler returned; the answer (status " + response.getStatus()
                        + ") is still being written to the client"
                        : "its handler returned without sending an answer (a defect: please report this line)";
            }
            String stack = Arrays.stream(t.getStackTrace()).limit(STACK_FRAMES).map(f -> "\n        at " + f)
                    .collect(Collectors.joining());
            return "handled by " + t + " (" + answer + "), in:" + stack;
        }
    }

    /**
     * @param threshold how long a request may run before it is logged; zero or negative: never (no checker runs)
     */
    RequestWatchdog(Duration threshold, MeterRegistry metrics) {
        this.threshold = threshold;
        this.reported = Counter.builder("http.server.requests.overdue")
                .description("requests still unanswered after server.request-warning-after (each logged once)")
                .register(metrics);
        if (threshold.isPositive()) {
            long every = Math.max(100, Math.min(threshold.toMillis() / 4, 5_000));
            checker = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("bollard-request-watchdog").daemon().factory());
            ScheduledFuture<?> unused = checker.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
        } else {
            checker = null;
        }
    }

    /** Registers the request; the returned callback forgets it when the request completes either way. */
    Watched watch(Request request, Response response, Callback callback) {
        long id = sequence.incrementAndGet();
        InFlight entry = new InFlight(request, response);
        if (!isMonitoring(entry.path)) {
            served.incrementAndGet();
        }
        entry.handler = Thread.currentThread();
        inFlight.put(id, entry);
        Callback forgetting = new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                inFlight.remove(id);
                super.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                inFlight.remove(id);
                super.failed(x);
            }
        };
        return new Watched(entry, forgetting, () -> inFlight.remove(id));
    }

    /** Requests received so far, not counting monitoring (metrics scrapes, health and readiness probes). */
    long served() {
        return served.get();
    }

    private static boolean isMonitoring(String path) {
        return path.equals("/metrics") || path.equals("/healthz") || path.equals("/readyz");
    }

    /** A registered request and its callback; {@link #handlerReturned} when the handler's call returns. */
    record Watched(InFlight entry, Callback callback, Runnable forget) {
        /** {@code handled} false: the container answers (not found, or the handler threw), not this callback. */
        void handlerReturned(boolean handled) {
            entry.handler = null;
            entry.handlerReturned = true;
            if (!handled) {
                forget.run();
            }
        }
    }

    /** Requests running longer than the threshold (for tests and the checker). */
    List<InFlight> overdue() {
        long now = System.nanoTime();
        return inFlight.values().stream().filter(e -> now - e.startNanos > threshold.toNanos())
                .filter(e -> !e.isEventStream()).toList();
    }

    int inFlightCount() {
        return inFlight.size();
    }

    private void check() {
        try {
            for (InFlight e : overdue()) {
                if (!e.reported) {
                    e.reported = true;
                    reported.increment();
                    LOG.warn("{} {} (id={}, from={}) unanswered after {} s: {}", e.method, e.path, e.requestId,
                            e.remote, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - e.startNanos), e.state());
                }
            }
        } catch (RuntimeException ex) { // keep checking whatever one round met
            LOG.warn("request watchdog check failed: {}", ex.toString());
        }
    }

    @Override
    public void close() {
        if (checker != null) {
            checker.shutdownNow();
        }
    }
}
