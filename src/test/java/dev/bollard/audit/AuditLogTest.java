package dev.bollard.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.metadata.AuditDao;
import dev.bollard.metadata.Database;
import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The audit log's hash chain on H2 and on a real PostgreSQL: verification detects edits (also a forger who
 * recomputes the hash) and deletions made with plain SQL; pruning keeps the rest verifiable; concurrent writers on
 * several "nodes" (separate pools on one database) keep one gap-free chain; asynchronous writes under load drop and
 * count what the bounded queue cannot take.
 */
class AuditLogTest {
    @TempDir
    Path dir;

    /** What a test opened, closed in reverse order after it (the database itself last). */
    private final List<AutoCloseable> open = new ArrayList<>();
    private TestDatabase database;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    /** The test's database (one, however many nodes open pools on it). */
    private BollardConfig.Database config(String kind) {
        if (database == null) {
            database = TestDatabase.of(kind, dir);
            open.add(database);
        }
        return database.config(8);
    }

    /** One node: a pool on the database and an audit log over it. */
    private record Node(Database db, AuditLog log) {
    }

    private Node node(String kind, int queueSize) {
        Database db = Database.open(config(kind));
        AuditLog log = new AuditLog(db, queueSize);
        open.add(db);
        open.add(log);
        return new Node(db, log);
    }

    private static AuditEvent event(int i) {
        return AuditEvent.onRepository(new Actor(Actor.Kind.USER, "alice", "10.0.0." + (i % 250), "test/1.0"),
                AuditActions.PUSH, "alice/app", Map.of("n", i));
    }

    private static void sql(Database db, String statement) {
        db.inTransaction((Handle h) -> h.createUpdate(statement).execute());
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void anIntactChainVerifiesAndAnEditIsDetected(String kind) {
        Node n = node(kind, 100);
        for (int i = 0; i < 20; i++) {
            n.log().record(event(i));
        }
        AuditLog.Verification ok = n.log().verify();
        assertThat(ok.intact()).as(ok.problems().toString()).isTrue();
        assertThat(ok.checked()).isEqualTo(20);

        sql(n.db(), "UPDATE audit_log SET actor = 'mallory' WHERE seq = 5");
        assertThat(n.log().verify().problems()).containsExactly("entry 5 was altered (its content does not match its hash)");

        sql(n.db(), "UPDATE audit_log SET details = '{\"n\":999}' WHERE seq = 12");
        assertThat(n.log().verify().problems()).contains("entry 12 was altered (its content does not match its hash)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aForgerWhoRecomputesTheHashBreaksTheNextLink(String kind) {
        Node n = node(kind, 100);
        for (int i = 0; i < 10; i++) {
            n.log().record(event(i));
        }
        AuditDao.Entry e = n.db().read(h -> AuditDao.ascending(h, AuditDao.Filter.ALL, 4, 5, 1)).getFirst();
        AuditDao.Entry forged = new AuditDao.Entry(e.seq(), e.occurredAt(), e.actorKind(), "mallory", e.ip(),
                e.userAgent(), e.action(), e.namespace(), e.repository(), e.details(), e.prevHash(), null);
        String hash = AuditLog.hash(forged.prevHash(), forged.seq(), forged);
        sql(n.db(), "UPDATE audit_log SET actor = 'mallory', hash = '" + hash + "' WHERE seq = 5");
        assertThat(n.log().verify().problems()).containsExactly("entry 6 does not link to entry 5 (its previous-hash differs)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void deletionsInTheMiddleAndAtTheEndAreDetected(String kind) {
        Node n = node(kind, 100);
        for (int i = 0; i < 10; i++) {
            n.log().record(event(i));
        }
        sql(n.db(), "DELETE FROM audit_log WHERE seq = 7");
        assertThat(n.log().verify().problems()).containsExactly("entry 7 is missing (deleted)");
        sql(n.db(), "DELETE FROM audit_log WHERE seq >= 9");
        assertThat(n.log().verify().problems()).contains("entries 9 to 10 are missing (deleted)");
        sql(n.db(), "DELETE FROM audit_log WHERE seq <= 2");
        assertThat(n.log().verify().problems()).contains("entries 1 to 2 are missing (deleted)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void pruningKeepsWhatRemainsVerifiable(String kind) {
        Node n = node(kind, 100);
        Instant old = Instant.now().minus(Duration.ofDays(400));
        for (int i = 0; i < 5; i++) {
            AuditEvent e = event(i);
            n.log().record(new AuditEvent(old.plusSeconds(i), e.actor(), e.action(), e.namespace(), e.repository(),
                    e.details()));
        }
        for (int i = 5; i < 8; i++) {
            n.log().record(event(i));
        }
        assertThat(n.log().prune(Instant.now().minus(Duration.ofDays(365)))).isEqualTo(5);
        AuditLog.Verification v = n.log().verify();
        assertThat(v.intact()).as(v.problems().toString()).isTrue();
        assertThat(v.firstSeq()).isEqualTo(6);
        assertThat(v.checked()).isEqualTo(4); // 3 kept + the prune's own entry
        assertThat(n.log().query(new AuditDao.Filter(null, AuditActions.AUDIT_PRUNE, null, null, null, null), null, 10))
                .hasSize(1);
        assertThat(n.log().prune(Instant.now().minus(Duration.ofDays(365)))).isZero();

        sql(n.db(), "DELETE FROM audit_log WHERE seq = 6");
        assertThat(n.log().verify().problems()).containsExactly("entry 6 is missing (deleted)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void verificationDuringPruningAndAppendingSeesOneConsistentChain(String kind) throws Exception {
        Node n = node(kind, 100);
        Instant old = Instant.now().minus(Duration.ofDays(400));
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread verifier = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                AuditLog.Verification v = n.log().verify();
                problems.addAll(v.problems());
            }
        });
        for (int round = 0; round < 40; round++) {
            for (int i = 0; i < 20; i++) {
                AuditEvent e = event(i);
                n.log().record(new AuditEvent(old.plusSeconds(round), e.actor(), e.action(), e.namespace(),
                        e.repository(), e.details()));
            }
            n.log().prune(old.plusSeconds(round).plusMillis(500));
        }
        done.set(true);
        verifier.join();
        assertThat(problems).as("what a verification running alongside saw").isEmpty();
        assertThat(n.log().verify().intact()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void concurrentWritersOnSeveralNodesKeepOneGapFreeChain(String kind) throws Exception {
        Node a = node(kind, 10_000);
        Node b = node(kind, 10_000);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Node node = t % 2 == 0 ? a : b;
            boolean async = t % 4 >= 2;
            writers.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < 50; i++) {
                    if (async) {
                        node.log().recordAsync(event(i));
                    } else {
                        node.log().record(event(i));
                    }
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : writers) {
            f.get();
        }
        pool.shutdown();
        assertThat(a.log().flush(30_000)).isTrue();
        assertThat(b.log().flush(30_000)).isTrue();
        assertThat(a.log().dropped() + b.log().dropped() + a.log().failed() + b.log().failed()).isZero();
        AuditLog.Verification v = a.log().verify();
        assertThat(v.intact()).as(v.problems().toString()).isTrue();
        assertThat(v.checked()).isEqualTo(400);
        assertThat(v.lastSeq()).isEqualTo(400);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2"})
    void asynchronousWritesUnderLoadDropAndCountWhatTheQueueCannotTake(String kind) throws Exception {
        Node n = node(kind, 16);
        int threads = 8;
        int each = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            writers.add(pool.submit(() -> {
                for (int i = 0; i < each; i++) {
                    n.log().recordAsync(event(i));
                }
            }));
        }
        for (Future<?> f : writers) {
            f.get();
        }
        pool.shutdown();
        assertThat(n.log().flush(30_000)).isTrue();
        long written = n.log().verify().checked();
        assertThat(n.log().dropped()).isPositive();
        assertThat(written + n.log().dropped()).isEqualTo((long) threads * each);
        assertThat(n.log().verify().intact()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void recordingAsynchronouslyNeverWaitsForTheDatabase(String kind) throws Exception {
        Node n = node(kind, 16);
        // Another node holds the chain's head: every append must wait for it.
        Database other = Database.open(config(kind));
        open.add(other);
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> other.inTransaction((Handle h) -> {
            AuditDao.lockHead(h);
            locked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }));
        locked.await();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<?> burst = pool.submit(() -> {
            for (int i = 0; i < 1000; i++) {
                n.log().recordAsync(event(i));
            }
        });
        // Had recording waited for the database, this could not finish while the head is held.
        burst.get(10, java.util.concurrent.TimeUnit.SECONDS);
        pool.shutdown();
        assertThat(n.log().dropped()).isGreaterThanOrEqualTo(1000 - 16 - 500);
        release.countDown();
        holder.join();
        assertThat(n.log().flush(30_000)).isTrue();
        assertThat(n.log().verify().checked() + n.log().dropped() + n.log().failed()).isEqualTo(1000);
    }
}
