package dev.bollard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.metadata.Database;
import dev.bollard.metadata.ProxyRateDao;
import dev.bollard.testing.TestDatabase;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A proxy organization's request budget is one for all nodes on a database: two nodes, each with its own connection
 * pool and its own {@link RateLimit} (as each builds it from the proxy row), take from the same buckets, at once and in
 * turn; what one node used is gone for the other; new limits (a new version of the row) start full.
 */
class SharedRateLimitTest {
    private static final URI UPSTREAM = URI.create("https://registry.example/");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void twoNodesShareOneBudget(String kind) throws Exception {
        List<AutoCloseable> open = new ArrayList<>();
        try {
            TestDatabase database = TestDatabase.of(kind, dir);
            open.add(database);
            Database one = Database.open(database.config(4));
            open.add(one);
            Database two = Database.open(database.config(4));
            open.add(two);
            RateLimit nodeOne = RateLimit.of(one, "hub", 1, UPSTREAM, null, 10);
            RateLimit nodeTwo = RateLimit.of(two, "hub", 1, UPSTREAM, null, 10);
            assertThat(nodeOne).isNotNull();
            assertThat(nodeTwo).isNotNull();

            // 40 requests at once, 20 from each node: 10 go out, whoever sends them.
            AtomicInteger sent = new AtomicInteger();
            List<Integer> retries = Collections.synchronizedList(new ArrayList<>());
            List<Callable<Void>> requests = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                RateLimit node = i % 2 == 0 ? nodeOne : nodeTwo;
                requests.add(() -> {
                    try {
                        node.acquire("GET /v2/library/alpine/manifests/3");
                        sent.incrementAndGet();
                    } catch (UpstreamFailure e) {
                        assertThat(e.reason()).isEqualTo(UpstreamFailure.Reason.RATE_LIMITED);
                        Long retry = e.retryAfterSeconds();
                        retries.add(retry == null ? -1 : retry.intValue());
                    }
                    return null;
                });
            }
            try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
                for (Future<Void> f : pool.invokeAll(requests)) {
                    f.get();
                }
            }
            assertThat(sent.get()).as("requests sent by both nodes together").isEqualTo(10);
            assertThat(retries).hasSize(30).allSatisfy(r -> assertThat(r).isBetween(1, 6));
            assertThatThrownBy(() -> nodeTwo.acquire("HEAD /v2/library/alpine/manifests/3"))
                    .isInstanceOf(UpstreamFailure.class).hasMessageContaining("10 requests per minute")
                    .hasMessageContaining(UPSTREAM.toString());

            // Changed limits (the row's next version): full again, for both nodes; the old buckets are forgotten.
            RateLimit changedOne = RateLimit.of(one, "hub", 2, UPSTREAM, 1, null);
            RateLimit changedTwo = RateLimit.of(two, "hub", 2, UPSTREAM, 1, null);
            assertThat(changedOne).isNotNull();
            assertThat(changedTwo).isNotNull();
            changedOne.acquire("GET a");
            assertThatThrownBy(() -> changedTwo.acquire("GET b")).isInstanceOf(UpstreamFailure.class)
                    .hasMessageContaining("1 requests per second");
            Thread.sleep(1100); // a second refills the per-second bucket, seen by either node
            changedTwo.acquire("GET c");
            one.inTransaction(h -> {
                ProxyRateDao.forget(h, "hub");
                return null;
            });
            long left = two.read(h -> h.createQuery("SELECT COUNT(*) FROM proxy_rate_bucket").mapTo(Long.class).one());
            assertThat(left).isZero();
        } finally {
            for (AutoCloseable c : open.reversed()) {
                c.close();
            }
        }
    }
}
