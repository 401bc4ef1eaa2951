package dev.bollard.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The access log (logger {@code bollard.access}), written by one background thread: a request thread only puts its
 * line in a bounded queue, and never waits for the log's output (the appender's lock, a write to standard error or
 * a slow pipe behind it). When the queue is full the line is dropped and counted ({@link #dropped()}, the metric
 * {@code bollard_access_log_dropped_total}) rather than slowing requests down. {@link #close()} writes what is
 * queued before it returns.
 */
final class AccessLog implements AutoCloseable {
    static final Logger LOGGER = LoggerFactory.getLogger("bollard.access");
    static final int QUEUE_SIZE = 16_384;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    /** One request's line, with what the message and the JSON fields show. */
    record Line(String method, String pathQuery, String protocol, int status, long millis, String id, String from,
                @Nullable String aborted) {
    }

    private final BlockingQueue<Line> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;

    AccessLog() {
        this(QUEUE_SIZE);
    }

    AccessLog(int queueSize) {
        this.queue = new ArrayBlockingQueue<>(queueSize);
        this.writer = Thread.ofPlatform().name("bollard-access-log").daemon().unstarted(this::run);
        writer.start();
    }

    /** False when the access log is off ({@code BOLLARD_ACCESS_LOG=OFF}): callers need not build a line. */
    static boolean enabled() {
        return LOGGER.isInfoEnabled();
    }

    /** Queues the line; drops and counts it when the queue is full or the log closed. */
    void add(Line line) {
        if (closed || !queue.offer(line)) {
            dropped.incrementAndGet();
        }
    }

    /** Lines dropped because the queue was full. */
    long dropped() {
        return dropped.get();
    }

    private void run() {
        List<Line> batch = new ArrayList<>(256);
        while (!closed || !queue.isEmpty()) {
            try {
                Line first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 255);
                for (Line line : batch) {
                    write(line);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // An appender that throws must not end the log: the line is lost, the next ones are written.
                dropped.incrementAndGet();
            } finally {
                batch.clear();
            }
        }
    }

    private static void write(Line l) {
        // The same facts as fields, for JSON logs (logging.format: json); text logs show the message. The request id
        // is in the MDC too, as for the lines written while the request was handled.
        MDC.put("request_id", l.id());
        try {
            LOGGER.atInfo().addKeyValue("request_id", l.id()).addKeyValue("method", l.method())
                    .addKeyValue("status", l.status()).addKeyValue("duration_ms", l.millis())
                    .log("{} {} {} {} {}ms id={} from={}{}", l.method(), l.pathQuery(), l.protocol(), l.status(),
                            l.millis(), l.id(), l.from(), l.aborted() == null ? "" : " aborted=" + l.aborted());
        } finally {
            MDC.remove("request_id");
        }
    }

    /** Stops taking lines and writes those queued (waiting up to 5 s for them). */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(CLOSE_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
