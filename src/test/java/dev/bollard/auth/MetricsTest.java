package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the registry's background work and accounting report on {@code /metrics}: the garbage collector's counters
 * after it freed a deleted image, a namespace's quota usage and limit, the audit log's failures.
 */
class MetricsTest {
    @TempDir
    Path dir;

    @Test
    void garbageCollectionQuotaAndAuditMetrics() throws Exception {
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0").set("gc.interval", "200ms").set("gc.grace-period", "5s")
                .set("history.window", "1ms").load();
        try (TestRegistry registry = TestRegistry.start(config);
             AuthHttp http = new AuthHttp(registry.baseUri())) {
            Identities ids = new Identities(registry.server().database());
            ids.users().create("root", "root-password", true);
            ids.users().create("alice", "alice-password", false);
            String root = basic("root", "root-password");
            String alice = basic("alice", "alice-password");
            AuthHttp.expect(http.send("PUT", "/api/v1/namespaces/alice/quota", root,
                    "{\"quota_bytes\":100000}".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json"), 200);

            http.pushImage("alice/app", "kept", alice);
            http.pushImage("alice/app", "gone", alice);
            AuthHttp.expect(http.send("DELETE", "/v2/alice/app/manifests/gone", alice, null), 202);

            // The collector frees the untagged image, its manifest and its config and layer (unique to it), once it
            // was pushed longer than the grace period ago (5 s: long enough for the pushes above to finish first).
            String metrics = awaitMetric(http, root, "bollard_gc_blobs_deleted_total", 2);
            assertThat(value(metrics, "bollard_gc_manifests_deleted_total")).isGreaterThanOrEqualTo(1);
            assertThat(value(metrics, "bollard_gc_reclaimed_bytes_total")).as("bytes the collector reclaimed")
                    .isPositive();
            assertThat(metrics).contains("bollard_gc_runs_seconds_count");

            JsonNode usage = AuthHttp.json(AuthHttp.expect(http.get("/api/v1/namespaces/alice/quota", root), 200));
            long used = usage.path("used_bytes").asLong();
            assertThat(used).as("bytes of the kept image's blobs").isPositive();
            metrics = text(http, root);
            assertThat(value(metrics, "bollard_quota_used_bytes{namespace=\"alice\"}")).isEqualTo((double) used);
            assertThat(value(metrics, "bollard_quota_limit_bytes{namespace=\"alice\"}")).isEqualTo(100_000);
            assertThat(value(metrics, "bollard_audit_failed_total")).as("audit entries that could not be written")
                    .isZero();
        }
    }

    /** /metrics once {@code name} reached {@code atLeast} (within 30 s). */
    private static String awaitMetric(AuthHttp http, String auth, String name, double atLeast) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            String metrics = text(http, auth);
            if (value(metrics, name) >= atLeast || System.nanoTime() > deadline) {
                assertThat(value(metrics, name)).as(name).isGreaterThanOrEqualTo(atLeast);
                return metrics;
            }
            Thread.sleep(100);
        }
    }

    /** /metrics, scraped as a superuser (it is not public with access control on). */
    private static String text(AuthHttp http, String auth) throws Exception {
        return new String(AuthHttp.expect(http.get("/metrics", auth), 200).body(), StandardCharsets.UTF_8);
    }

    /** The value of the sample {@code name} (with its labels, when given), or -1 when there is none. */
    private static double value(String metrics, String name) {
        String labels = name.contains("{") ? "" : "(?:\\{[^}]*})?";
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + labels + " ([0-9.E+-]+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
