package dev.bollard.metadata;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.bollard.config.BollardConfig;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata database: a connection pool, migrations applied at start, and transactions that are retried
 * when they lose a race with a concurrent one (unique-key conflict, a referenced row deleted, serialization failure,
 * deadlock, lock timeout). Works the same on embedded H2 and on PostgreSQL, which several nodes can share.
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    private static final int ATTEMPTS = 8;

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final boolean h2;

    private Database(HikariDataSource dataSource, boolean h2) {
        this.h2 = h2;
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
    }

    /**
     * Records a span per SQL statement (OpenTelemetry {@code CLIENT} spans, children of the current span): the
     * statement's text with its placeholders — never bound values — and when it ran.
     */
    public void traceStatements(Tracer tracer) {
        jdbi.setSqlLogger(new SqlLogger() {
            @Override
            public void logAfterExecution(StatementContext ctx) {
                span(ctx, null);
            }

            @Override
            public void logException(StatementContext ctx, SQLException e) {
                span(ctx, e);
            }

            private void span(StatementContext ctx, @Nullable SQLException failure) {
                String sql = ctx.getRenderedSql() == null ? ctx.getRawSql() : ctx.getRenderedSql();
                String verb = sql == null ? "SQL" : sql.strip().split("\\s+", 2)[0].toUpperCase(Locale.ROOT);
                Instant start = ctx.getExecutionMoment() == null ? Instant.now() : ctx.getExecutionMoment();
                Instant end = failure != null ? ctx.getExceptionMoment() : ctx.getCompletionMoment();
                Span span = tracer.spanBuilder("db " + verb).setSpanKind(SpanKind.CLIENT).setStartTimestamp(start)
                        .setAttribute("db.query.text", sql == null ? "" : sql).startSpan();
                if (failure != null) {
                    span.setStatus(StatusCode.ERROR, failure.getSQLState() == null ? "SQL error" : failure.getSQLState());
                }
                span.end(end == null ? Instant.now() : end);
            }
        });
    }

    /**
     * True when {@code failure} comes from the database being unreachable — down, restarting, refusing or dropping
     * connections, or no pooled connection to be had in time — rather than from a statement: the request that met it
     * may succeed later, so it is answered {@code 503} (not {@code 500}, which says the registry is broken).
     */
    public static boolean isUnavailable(@Nullable Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException) {
                return true;
            }
            // SQLSTATE class 08: connection exception; 57P01-57P03: PostgreSQL shutting down or starting up.
            if (t instanceof SQLException e && e.getSQLState() != null
                    && (e.getSQLState().startsWith("08") || e.getSQLState().startsWith("57P"))) {
                return true;
            }
            // HikariCP's own, without an SQLSTATE: the pool closed the connection under the transaction after the
            // driver reported it broken (the driver's exception is not always in the chain).
            if (t instanceof SQLException e && e.getSQLState() == null && "Connection is closed".equals(e.getMessage())) {
                return true;
            }
            for (Throwable suppressed : t.getSuppressed()) {
                if (isUnavailable(suppressed)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Migrates the schema to the newest version, connects, and returns the ready database.
     *
     * @throws DatabaseUnavailableException when the database cannot be reached, refuses the login, or (embedded) is
     *         open in another process
     */
    public static Database open(BollardConfig.Database config) {
        return open(config, null);
    }

    /** As {@link #open(BollardConfig.Database)}, reporting the pool's metrics to {@code meters} when given. */
    public static Database open(BollardConfig.Database config,
                                io.micrometer.core.instrument.@Nullable MeterRegistry meters) {
        String url = jdbcUrl(config.url());
        String username = config.username().isEmpty() ? null : config.username();
        String password = config.password().isEmpty() ? null : config.password();
        // Migrations run first, on connections of Flyway's own: on PostgreSQL Flyway holds two at once (one keeps
        // the advisory lock that makes nodes starting together migrate one after the other), which a pool of
        // database.max-pool-size 1 could never give it.
        try {
            MigrateResult migrated = Flyway.configure().dataSource(url, username, password)
                    .locations("classpath:db/migration").placeholders(placeholders(config.url())).load().migrate();
            if (migrated.migrationsExecuted > 0 && migrated.initialSchemaVersion != null) {
                // Says what an upgrade (or a restore of an older backup) changed; a new database is not news.
                LOG.info("database schema migrated from version {} to {} ({} migration(s))",
                        migrated.initialSchemaVersion, migrated.targetSchemaVersion, migrated.migrationsExecuted);
            }
        } catch (RuntimeException e) {
            DatabaseUnavailableException unavailable = DatabaseUnavailableException.of(config.url(), e);
            throw unavailable != null ? unavailable : e;
        }

        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(url);
        hikari.setUsername(username);
        hikari.setPassword(password);
        hikari.setMaximumPoolSize(config.maxPoolSize());
        // HikariCP's default is 30 s: during an outage every request would hang that long before its 503.
        hikari.setConnectionTimeout(config.connectionTimeout().toMillis());
        hikari.setPoolName("bollard-db");
        if (meters != null) {
            hikari.setMetricRegistry(meters);
        }
        hikari.setAutoCommit(true);
        return new Database(new HikariDataSource(hikari), url.startsWith("jdbc:h2:"));
    }

    /**
     * False when {@code config} names an embedded H2 file that does not exist (yet): {@link #open} would create an
     * empty database there. True for every other database, which its server keeps.
     */
    public static boolean exists(BollardConfig.Database config) {
        Path file = embeddedFile(config);
        return file == null || Files.exists(file);
    }

    /**
     * The file ({@code ….mv.db}) of the embedded H2 database that {@code config} names; null for a database in a
     * server (PostgreSQL, H2's tcp:), in memory or read-only in a zip.
     */
    public static @Nullable Path embeddedFile(BollardConfig.Database config) {
        String url = config.url();
        if (!url.startsWith("jdbc:h2:")) {
            return null;
        }
        String name = url.substring("jdbc:h2:".length()).split(";", 2)[0];
        if (name.startsWith("mem:") || name.startsWith("tcp:") || name.startsWith("ssl:") || name.startsWith("zip:")) {
            return null;
        }
        return Path.of(name.replaceFirst("^file:", "") + ".mv.db");
    }

    /** Whether this is the embedded H2 database (one process, its files on this machine). */
    public boolean isEmbedded() {
        return h2;
    }

    /**
     * The values of the placeholders in the migrations, for the database at {@code url}. One set of migration files
     * serves H2 and PostgreSQL; where the two need different SQL, the difference is one of these placeholders, set
     * here and nowhere else:
     * <ul>
     * <li>{@code ${byte_order}} follows the type of a text column that listings order and page by (repository and
     * tag names). The distribution spec wants them in lexical, that is byte, order; PostgreSQL compares text by the
     * database's collation (e.g. en_US.UTF-8, where {@code a < B < b} and {@code _} sorts before {@code -}) unless
     * the column says {@code COLLATE "C"}. H2 has no per-column collation and compares strings by UTF-16 code unit,
     * which is byte order for the ASCII that names and tags consist of, so it needs nothing.</li>
     * </ul>
     */
    static Map<String, String> placeholders(String url) {
        boolean postgres = url.startsWith("jdbc:postgresql:");
        return Map.of("byte_order", postgres ? "COLLATE \"C\"" : "");
    }

    /**
     * H2 runs in PostgreSQL mode so that one set of SQL serves both, and writes every commit through to its file
     * before the commit returns (H2's default delays writes by up to 500 ms, so a killed process would lose
     * pushes it had already acknowledged).
     */
    static String jdbcUrl(String url) {
        if (!url.startsWith("jdbc:h2:")) {
            return url;
        }
        String upper = url.toUpperCase(Locale.ROOT);
        StringBuilder full = new StringBuilder(url);
        if (!upper.contains(";MODE=")) {
            full.append(";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        }
        if (!upper.contains(";WRITE_DELAY=")) {
            full.append(";WRITE_DELAY=0");
        }
        return full.toString();
    }

    /**
     * Runs {@code work} in one READ COMMITTED transaction, retried from the start when it loses a race. Tasks given
     * to {@link #afterCommit} during the attempt that commits run when this returns.
     */
    public <R> R inTransaction(HandleCallback<R, RuntimeException> work) {
        for (int attempt = 1; ; attempt++) {
            Set<Runnable> committed = new LinkedHashSet<>();
            AfterCommit outer = AFTER_COMMIT.get();
            AFTER_COMMIT.set(new AfterCommit(committed));
            R result;
            try {
                result = jdbi.inTransaction(TransactionIsolationLevel.READ_COMMITTED, work);
            } catch (RuntimeException e) {
                if (attempt >= ATTEMPTS || !isConflict(e)) {
                    throw e;
                }
                backOff(attempt);
                continue;
            } finally {
                AFTER_COMMIT.set(outer);
            }
            committed.forEach(Database::runAfterCommit);
            return result;
        }
    }

    /** The tasks of the transaction this thread runs in {@link #inTransaction}, once it committed. */
    private record AfterCommit(Set<Runnable> tasks) {
    }

    private static final ThreadLocal<AfterCommit> AFTER_COMMIT = new ThreadLocal<>();

    /**
     * Runs {@code task} once the transaction of {@code h} committed (not when it rolls back), on this thread, after the
     * transaction's connection went back to the pool, so that the task may run transactions of its own without
     * holding two connections. A task given several times in one transaction runs once. A task that fails is logged:
     * the change it follows is committed and stays so.
     */
    public static void afterCommit(Handle h, Runnable task) {
        AfterCommit current = AFTER_COMMIT.get();
        if (current != null) {
            h.afterCommit(() -> current.tasks().add(task));
        } else {
            h.afterCommit(() -> runAfterCommit(task)); // a transaction not begun by inTransaction
        }
    }

    private static void runAfterCommit(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("a task after a commit failed: {}", e.toString(), e);
        }
    }

    /** Runs a read on one connection without an explicit transaction. */
    public <R> R read(HandleCallback<R, RuntimeException> work) {
        return jdbi.withHandle(work);
    }

    /** H2's JDBC isolation level SNAPSHOT (its REPEATABLE READ still lets rows deleted meanwhile disappear). */
    private static final int H2_SNAPSHOT = 6;

    /**
     * Runs several reads that must see the database as of one moment, whatever commits meanwhile (a snapshot:
     * REPEATABLE READ on PostgreSQL, SNAPSHOT on H2); for checks that read a lot while writers go on.
     */
    public <R> R readSnapshot(HandleCallback<R, RuntimeException> work) {
        return jdbi.withHandle(h -> {
            int before;
            try {
                before = h.getConnection().getTransactionIsolation();
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the connection's isolation level", e);
            }
            h.setTransactionIsolationLevel(h2 ? H2_SNAPSHOT : Connection.TRANSACTION_REPEATABLE_READ);
            try {
                return h.inTransaction(work);
            } finally {
                h.setTransactionIsolationLevel(before);
            }
        });
    }

    /** True when the failure is a lost race that a retry of the whole transaction resolves. */
    static boolean isConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                switch (state) {
                    // A row this transaction found missing was inserted by a concurrent one first: on PostgreSQL
                    // the insert waits for the other transaction and then fails, aborting this one (so the retry
                    // must, and does, start the whole transaction again).
                    case "23505", // unique violation
                    // A row this transaction found present, and now references, was deleted by a concurrent one
                    // (a tag set on a manifest that a concurrent delete removed). The DAOs check what they reference
                    // before inserting, so this is a race, which the retry resolves (a push stores the manifest
                    // again). Pushes lock the manifest they tag (ManifestDao.insertIfAbsent), so it is rare.
                            "23503", // foreign key violation (PostgreSQL; H2 when a child row exists)
                            "23506", // foreign key violation, parent missing (H2)
                            "40001", // serialization failure; H2's deadlock
                            "40P01", // deadlock (PostgreSQL)
                            "HYT00" -> { // lock timeout (H2)
                        return true;
                    }
                    default -> {
                    }
                }
            }
        }
        return false;
    }

    /**
     * Waits a random time that doubles with each attempt (up to 2, 4, 8, … 128 ms), so that transactions that keep
     * colliding (many nodes pushing one tag) spread out instead of meeting again.
     */
    private static void backOff(int attempt) {
        try {
            Thread.sleep(1 + ThreadLocalRandom.current().nextLong(1L << Math.min(attempt, 7)));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ie);
        }
    }

    /**
     * True when a trivial query answers within {@link #REACHABLE_WITHIN}. Bounded because, with the database down,
     * taking a connection from the pool waits for the pool's connection timeout (30 s): a readiness probe must say
     * "not ready" long before its own time-out (seen in DependencyOutageTest, /readyz hanging for 30 s).
     */
    public boolean isReachable() {
        CompletableFuture<Boolean> check = CompletableFuture.supplyAsync(() -> {
            try (Handle h = jdbi.open()) {
                return h.createQuery("SELECT 1").mapTo(Integer.class).one() == 1;
            } catch (RuntimeException e) {
                return false;
            }
        }, command -> Thread.ofVirtual().name("db-reachable").start(command));
        try {
            return check.get(REACHABLE_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false; // the check goes on until the pool gives up; its answer is no longer wanted
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** How long {@link #isReachable()} waits for the database's answer. */
    static final Duration REACHABLE_WITHIN = Duration.ofSeconds(3);

    @Override
    public void close() {
        dataSource.close();
    }
}
