package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent pulls (8 threads, 320 pulls): every pull succeeds, each one is either in the audit log or counted as
 * dropped in {@code bollard_audit_dropped_total} on {@code /metrics}, and the chain verifies. With a tiny audit queue
 * some are dropped, but not all (the writer keeps writing); with the default queue none is.
 */
class PullAuditUnderLoadTest {
    @TempDir
    Path dir;

    /** What one load run gave: pulls that succeeded, events dropped, events in the audit log. */
    private record Load(int pulled, long dropped, long recorded) {
    }

    @Test
    void pullsAreLoggedAsynchronouslyAndWhatTheQueueCannotTakeIsCounted() throws Exception {
        Load load = pullUnderLoad("2");
        assertThat(load.dropped()).as("dropped by a queue of 2 under 8 pulling threads (the overflow path ran)")
                .isPositive();
        assertThat(load.recorded()).as("recorded, of %d pulls: the writer keeps writing while the queue overflows",
                load.pulled()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void theDefaultQueueDropsNothingAtThisLoad() throws Exception {
        Load load = pullUnderLoad("10000");
        assertThat(load.dropped()).as("dropped with the default queue of 10,000").isZero();
        assertThat(load.recorded()).isEqualTo(load.pulled());
    }

    private Load pullUnderLoad(String queueSize) throws Exception {
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0").set("audit.queue-size", queueSize).load();
        try (TestRegistry registry = TestRegistry.start(config);
             AuthHttp http = new AuthHttp(registry.baseUri())) {
            new Identities(registry.server().database()).users().create("alice", "alice-password", false);
            new Identities(registry.server().database()).users().create("root", "root-password", true);
            String alice = basic("alice", "alice-password");
            http.pushImage("alice/app", "v1", alice);
            String token = AuthHttp.bearer(http.token(alice, "repository:alice/app:pull"));

            int threads = 8;
            int each = 40;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<Integer>> pullers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                pullers.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < each; i++) {
                        if (http.send("GET", "/v2/alice/app/manifests/v1", token, null, "Accept", AuthHttp.OCI_MANIFEST)
                                .statusCode() == 200) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            int pulled = 0;
            for (Future<Integer> f : pullers) {
                pulled += f.get();
            }
            pool.shutdown();
            assertThat(pulled).isEqualTo(threads * each);
            assertThat(registry.server().audit().flush(30_000)).isTrue();

            long dropped = registry.server().audit().dropped();
            System.out.println("pulls " + pulled + ", audit events dropped " + dropped);
            String metrics = new String(http.get("/metrics", basic("root", "root-password")).body(), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("(?m)^bollard_audit_dropped_total(?:\\{[^}]*})? ([0-9.E]+)$").matcher(metrics);
            assertThat(m.find()).as("bollard_audit_dropped_total on /metrics").isTrue();
            assertThat((long) Double.parseDouble(m.group(1))).isEqualTo(dropped);
            assertThat(metrics).contains("bollard_audit_queued");

            long recorded = registry.server().audit().query(new dev.bollard.metadata.AuditDao.Filter(null, "pull",
                    "alice", "alice/app", null, null), null, 10_000).stream().filter(e -> e.actor().equals("alice")).count();
            assertThat(recorded + dropped).isEqualTo(pulled);
            assertThat(registry.server().audit().verify().intact()).isTrue();
            return new Load(pulled, dropped, recorded);
        }
    }
}
