package dev.bollard.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The watchdog names a request left unanswered — one whose handler returned without completing it, and one whose
 * handler is stuck, with where it is stuck — once, and forgets requests that complete, also those the container
 * answers after the handler threw.
 */
class RequestWatchdogTest {
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final CountDownLatch release = new CountDownLatch(1);
    private RequestWatchdog watchdog;
    private Server jetty;
    private URI base;

    @BeforeEach
    void start() throws Exception {
        logs.start();
        ((Logger) LoggerFactory.getLogger(RequestWatchdog.class)).addAppender(logs);
        watchdog = new RequestWatchdog(Duration.ofMillis(300), metrics);
        jetty = new Server();
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        jetty.addConnector(connector);
        // Handlers with the defects the watchdog is there to reveal, framed as RootHandler frames its routes.
        jetty.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                RequestWatchdog.Watched watched = watchdog.watch(request, response, callback);
                try {
                    boolean handled = switch (request.getHttpURI().getPath()) {
                        case "/forgotten" -> true; // returns without answering
                        case "/stuck" -> {
                            release.await();
                            watched.callback().succeeded();
                            yield true;
                        }
                        case "/throws" -> throw new IllegalStateException("boom");
                        default -> {
                            response.setStatus(204);
                            watched.callback().succeeded();
                            yield true;
                        }
                    };
                    watched.handlerReturned(handled);
                    return handled;
                } catch (Throwable t) {
                    watched.handlerReturned(false);
                    throw t;
                }
            }
        });
        jetty.start();
        base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        jetty.stop();
        watchdog.close();
        ((Logger) LoggerFactory.getLogger(RequestWatchdog.class)).detachAppender(logs);
    }

    private List<String> warnings() {
        synchronized (logs) {
            return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private double overdueCount() {
        return metrics.get("http.server.requests.overdue").counter().count();
    }

    @Test
    void namesARequestWhoseHandlerReturnedWithoutAnsweringAndOneThatIsStuck() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try {
            CompletableFuture<HttpResponse<Void>> forgotten = http.sendAsync(
                    HttpRequest.newBuilder(base.resolve("/forgotten")).build(), HttpResponse.BodyHandlers.discarding());
            CompletableFuture<HttpResponse<Void>> stuck = http.sendAsync(
                    HttpRequest.newBuilder(base.resolve("/stuck")).build(), HttpResponse.BodyHandlers.discarding());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (warnings().size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(1_000); // further checks must not log the same requests again

            assertThat(warnings()).hasSize(2);
            assertThat(warnings()).anySatisfy(w -> assertThat(w).startsWith("GET /forgotten")
                    .contains("unanswered after").contains("returned without sending an answer"));
            assertThat(warnings()).anySatisfy(w -> assertThat(w).startsWith("GET /stuck")
                    .contains("handled by").contains("no answer sent yet").contains("CountDownLatch.await"));
            assertThat(overdueCount()).isEqualTo(2.0);
            assertThat(forgotten).isNotDone();

            release.countDown();
            assertThat(stuck.get().statusCode()).isEqualTo(200);
            assertThat(watchdog.inFlightCount()).isEqualTo(1); // only the forgotten one
        } finally {
            http.shutdownNow(); // close() would wait for the forgotten request's answer forever
        }
    }

    @Test
    void countsServedRequestsButNotMonitoring() throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (String path : List.of("/metrics", "/healthz", "/readyz", "/v2/", "/metrics", "/v2/a/tags/list")) {
                http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.discarding());
            }
        }
        // Scrapes and probes every few seconds must not keep IdleMemory from seeing an idle registry.
        assertThat(watchdog.served()).isEqualTo(2);
    }

    @Test
    void forgetsWhatCompletesAlsoWhenTheContainerAnswers() throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (String path : List.of("/fine", "/throws", "/fine")) {
                http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.discarding());
            }
        }
        assertThat(watchdog.inFlightCount()).isZero();
        Thread.sleep(600);
        assertThat(warnings()).isEmpty();
        assertThat(overdueCount()).isZero();
    }
}
