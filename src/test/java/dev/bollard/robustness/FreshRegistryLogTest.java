package dev.bollard.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.ServerProcess;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh registry, left alone, logs no failure. It runs as it is deployed (its own process, the default settings,
 * access control on) with only the background workers' intervals shortened, until every worker due within seconds
 * has run {@value #TURNS} turns over the empty registry: the upload sweep, the collector, retention, the pull count
 * flush, the event publisher and webhook deliveries, the scanner's queue and rematch, and the mirror syncs. Then no
 * turn failed (metrics), and the log holds no line at ERROR, no "worker … failed" and no stack trace.
 * <p>Why: a worker that throws on every turn of an empty queue passes every test that looks only at what its turns
 * change (an empty turn changes nothing) — as the webhook delivery worker's "maximumPoolSize must be positive" did.
 * Shown failing with that bug put back ({@code QueueWorker} making its pool from the number of items, 0 included).
 * The audit prune and the proxy cache's eviction (hourly and every 5 minutes by default) run with their intervals
 * shortened too ({@code audit.prune-interval}, {@code proxy.eviction-interval}).
 */
class FreshRegistryLogTest {
    private static final int TURNS = 2;
    private static final String PASSWORD = "fresh-registry-admin";
    private static final Pattern SAMPLE = Pattern.compile(
            "(?m)^bollard_worker_(runs|failures)_total\\{[^}]*worker=\"([^\"]+)\"[^}]*} (\\S+)$");

    @TempDir
    Path tmp;

    @Test
    void everyWorkerRunsTurnsOverAnEmptyRegistryWithoutAFailureInTheLog() throws Exception {
        ServerProcess.Builder builder = ServerProcess.builder(tmp.resolve("data")).env("BOLLARD_AUTH_ENABLED", "true")
                .env("BOLLARD_ADMIN_PASSWORD", PASSWORD);
        for (String interval : new String[] {"uploads.cleanup-interval", "gc.interval", "retention.interval",
                "registry.pull-stats-flush-interval", "events.poll-interval", "scan.poll-interval",
                "scan.rematch-interval", "audit.prune-interval", "proxy.eviction-interval"}) {
            builder.env(ConfigLoader.environmentName(interval), "200ms");
        }
        try (ServerProcess server = builder.start();
             HttpClient http = HttpClient.newHttpClient()) {
            // The mirror syncs' poll (5 s, no setting) is the slowest of the workers due: two of its turns take 10 s.
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            Map<String, double[]> workers = workers(server, http);
            while (!allRan(workers) && System.nanoTime() < deadline) {
                Thread.sleep(250);
                workers = workers(server, http);
            }
            assertThat(workers.keySet()).as("workers reporting metrics").contains("upload-sweep", "gc", "retention",
                    "pull-stats-flush", "event-publisher", "mirror-sync", "scan-rematch", "audit-prune",
                    "proxy-eviction");
            for (Map.Entry<String, double[]> w : workers.entrySet()) {
                assertThat(w.getValue()[1]).as("failed turns of worker %s (log: %s)", w.getKey(), server.logProblems())
                        .isZero();
                assertThat(w.getValue()[0]).as("turns of worker %s", w.getKey()).isGreaterThanOrEqualTo(TURNS);
            }
            assertThat(server.logProblems()).as("failures in the log of a fresh registry").isEmpty();
        }
    }

    private static boolean allRan(Map<String, double[]> workers) {
        return !workers.isEmpty() && workers.entrySet().stream()
                .allMatch(w -> w.getValue()[0] >= TURNS);
    }

    /** Worker name → {turns run, turns failed}, from {@code /metrics}. */
    private static Map<String, double[]> workers(ServerProcess server, HttpClient http) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri("/metrics"))
                .header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET /metrics: %s", r.body()).isEqualTo(200);
        Map<String, double[]> workers = new TreeMap<>();
        Matcher m = SAMPLE.matcher(r.body());
        while (m.find()) {
            workers.computeIfAbsent(m.group(2), k -> new double[2])[m.group(1).equals("runs") ? 0 : 1]
                    += Double.parseDouble(m.group(3));
        }
        return workers;
    }
}
