package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.metadata.Database;
import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The failed-login counts in the database (V20), on H2 and PostgreSQL: two throttles on two connection pools of one
 * database (two nodes) count into the same rows, concurrent failures each count once, a count older than the lockout
 * starts again, a success forgets the pair's failures only, and the prune deletes what no longer counts.
 */
class LoginThrottleTest {
    private static final int MAX = 5;
    private static final int MAX_PER_ADDRESS = 40;
    private static final Duration LOCKOUT = Duration.ofMinutes(15);

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T12:00:00Z"));

    private LoginThrottle node(Database db) {
        return new LoginThrottle(db, MAX, MAX_PER_ADDRESS, LOCKOUT, clock);
    }

    /**
     * Two nodes' connection pools on one new database: two pools on PostgreSQL; on H2, which one process holds, one pool
     * shared (its single-node case).
     */
    private List<Database> twoNodes(String kind, List<AutoCloseable> open) {
        Database a = TestDatabase.open(kind, dir, 8, open);
        if (!kind.equals("postgres")) {
            return List.of(a, a);
        }
        Database b = Database.open(((TestDatabase) open.getFirst()).config(8));
        open.add(b);
        return List.of(a, b);
    }

    private static int rows(Database db) {
        return db.read(h -> h.createQuery("SELECT COUNT(*) FROM login_failure").mapTo(Integer.class).one());
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void failuresOnTwoNodesCountTogetherAndLockBoth(String kind) {
        List<AutoCloseable> open = new ArrayList<>();
        try {
            List<Database> nodes = twoNodes(kind, open);
            Database dbA = nodes.getFirst();
            LoginThrottle a = node(dbA);
            LoginThrottle b = node(nodes.getLast());
            for (int i = 0; i < MAX - 1; i++) {
                (i % 2 == 0 ? a : b).failed(a.state("Alice", "10.0.0.1"));
                assertThat(b.state("alice", "10.0.0.1").lockedFor()).as("after %d failures", i + 1).isZero();
            }
            b.failed(b.state("ALICE", "10.0.0.1")); // user names count case-insensitively, as before
            for (LoginThrottle node : List.of(a, b)) {
                LoginThrottle.State s = node.state("alice", "10.0.0.1");
                assertThat(s.lockedFor()).isEqualTo(LOCKOUT.toSeconds());
                assertThat(node.state("alice", "10.0.0.2").lockedFor()).as("another address").isZero();
                assertThat(node.state("bob", "10.0.0.1").lockedFor()).as("another user").isZero();
            }
            clock.advance(LOCKOUT.minusSeconds(1));
            assertThat(a.state("alice", "10.0.0.1").lockedFor()).isEqualTo(1);
            clock.advance(Duration.ofSeconds(1));
            assertThat(b.state("alice", "10.0.0.1").lockedFor()).as("the lockout ended").isZero();

            // The count starts again once a failure is more than auth.lockout after the last: one does not lock.
            clock.advance(Duration.ofMillis(1));
            a.failed(a.state("alice", "10.0.0.1"));
            assertThat(b.state("alice", "10.0.0.1").lockedFor()).isZero();
            assertThat(b.state("alice", "10.0.0.1").hasFailures()).isTrue();

            // A success forgets the pair's failures (on whichever node), not the address's.
            b.succeeded(b.state("alice", "10.0.0.1"));
            assertThat(a.state("alice", "10.0.0.1").hasFailures()).isFalse();
            for (int i = 0; i < MAX - 1; i++) {
                (i % 2 == 0 ? b : a).failed(a.state("alice", "10.0.0.1"));
            }
            assertThat(a.state("alice", "10.0.0.1").lockedFor()).as("%d failures since the success", MAX - 1).isZero();
            assertThat(rows(dbA)).as("the pair and the address").isEqualTo(2);
        } finally {
            closeAll(open);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void concurrentFailuresEachCountOnceAndTheAddressBudgetIsSpentOnce(String kind) throws Exception {
        List<AutoCloseable> open = new ArrayList<>();
        try {
            List<Database> nodes = twoNodes(kind, open);
            Database dbA = nodes.getFirst();
            LoginThrottle a = node(dbA);
            LoginThrottle b = node(nodes.getLast());
            AtomicInteger spent = new AtomicInteger();
            assertThat(concurrently(MAX_PER_ADDRESS, i -> {
                LoginThrottle node = i % 2 == 0 ? a : b;
                if (node.failed(node.state("user-" + i, "10.0.0.9"))) {
                    spent.incrementAndGet();
                }
            })).isEmpty();
            assertThat(spent).as("exactly one failure spent the address's budget").hasValue(1);
            assertThat(a.state("anyone", "10.0.0.9").addressLockedFor()).isEqualTo(LOCKOUT.toSeconds());
            assertThat(b.state("anyone", "10.0.0.8").addressLockedFor()).isZero();
            int count = dbA.read(h -> h.createQuery("SELECT failures FROM login_failure WHERE kind = 'address'")
                    .mapTo(Integer.class).one());
            assertThat(count).isEqualTo(MAX_PER_ADDRESS);
        } finally {
            closeAll(open);
        }
    }

    /**
     * A wrong and a right password of one user from one address at once, on two nodes: the success deletes the pair's
     * row while the failure counts it. The failure used to find no row to count and fail with "Expected one element,
     * but found none" (a 500 to the client; found by the HTTP fuzz run).
     */
    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aSuccessDeletingTheCountWhileAFailureCountsItIsNoError(String kind) throws Exception {
        List<AutoCloseable> open = new ArrayList<>();
        try {
            List<Database> nodes = twoNodes(kind, open);
            LoginThrottle a = new LoginThrottle(nodes.getFirst(), 1_000_000, 1_000_000, LOCKOUT, clock);
            LoginThrottle b = new LoginThrottle(nodes.getLast(), 1_000_000, 1_000_000, LOCKOUT, clock);
            AtomicInteger failures = new AtomicInteger();
            assertThat(concurrently(8, t -> {
                LoginThrottle node = t % 2 == 0 ? a : b;
                for (int i = 0; i < 150; i++) {
                    LoginThrottle.State state = node.state("alice", "10.0.0.7");
                    if (t % 4 < 2) {
                        node.succeeded(new LoginThrottle.State(state.user(), state.address(), 0, 0, true));
                    } else {
                        node.failed(state);
                        failures.incrementAndGet();
                    }
                }
            })).isEmpty();
            int count = nodes.getFirst().read(h -> h.createQuery(
                    "SELECT failures FROM login_failure WHERE kind = 'address'").mapTo(Integer.class).one());
            assertThat(count).as("every failure counted on the address, which no success resets")
                    .isEqualTo(failures.get());
        } finally {
            closeAll(open);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void oddNamesAreKeptAndThePruneDeletesOnlyWhatNoLongerCounts(String kind) {
        List<AutoCloseable> open = new ArrayList<>();
        try {
            Database db = TestDatabase.open(kind, dir, 4, open);
            LoginThrottle throttle = node(db);
            // A NUL (PostgreSQL refuses it in text) and a name far longer than any account's: keyed by their hash.
            String odd = "x\u0000y" + "z".repeat(5000);
            for (int i = 0; i < MAX; i++) {
                throttle.failed(throttle.state(odd, "10.0.0.1"));
            }
            assertThat(throttle.state(odd, "10.0.0.1").lockedFor()).isPositive();
            assertThat(throttle.state("x\u0000y", "10.0.0.1").lockedFor()).isZero();

            clock.advance(LOCKOUT.minusMinutes(5));
            throttle.failed(throttle.state("bob", "10.0.0.2")); // recent: kept
            assertThat(throttle.prune()).as("nothing expired yet").isZero();
            clock.advance(Duration.ofMinutes(5).plusSeconds(1));
            assertThat(throttle.prune()).as("the odd name's pair and 10.0.0.1's count").isEqualTo(2);
            assertThat(rows(db)).isEqualTo(2);
            assertThat(throttle.state("bob", "10.0.0.2").hasFailures()).isTrue();
        } finally {
            closeAll(open);
        }
    }

    /** Runs {@code work(0..n-1)} on n virtual threads at once; returns what they threw. */
    private static List<Throwable> concurrently(int n, java.util.function.IntConsumer work) throws InterruptedException {
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int index = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    work.accept(index);
                } catch (RuntimeException e) {
                    errors.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return errors;
    }

    private static void closeAll(List<AutoCloseable> open) {
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
