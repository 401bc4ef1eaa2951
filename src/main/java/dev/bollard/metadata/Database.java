package dev.bollard.metadata;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.bollard.config.BollardConfig;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * The metadata database: a connection pool, migrations applied at start, and transactions that are retried
 * when they lose a race (unique-key conflict, serialization failure, deadlock) with a concurrent one.
 */
public final class Database implements AutoCloseable {

    private static final int ATTEMPTS = 8;

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
    }

    /** Connects, migrates the schema to the newest version, and returns the ready database. */
    public static Database open(BollardConfig.Database config) {
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(jdbcUrl(config.url()));
        if (!config.username().isEmpty()) {
            hikari.setUsername(config.username());
        }
        if (!config.password().isEmpty()) {
            hikari.setPassword(config.password());
        }
        hikari.setMaximumPoolSize(config.maxPoolSize());
        hikari.setPoolName("bollard-db");
        hikari.setAutoCommit(true);
        HikariDataSource dataSource = new HikariDataSource(hikari);
        try {
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        return new Database(dataSource);
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
        String upper = url.toUpperCase(java.util.Locale.ROOT);
        StringBuilder full = new StringBuilder(url);
        if (!upper.contains(";MODE=")) {
            full.append(";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        }
        if (!upper.contains(";WRITE_DELAY=")) {
            full.append(";WRITE_DELAY=0");
        }
        return full.toString();
    }

    /** Runs {@code work} in one READ COMMITTED transaction, retried from the start when it loses a race. */
    public <R> R inTransaction(HandleCallback<R, RuntimeException> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                return jdbi.inTransaction(TransactionIsolationLevel.READ_COMMITTED, work);
            } catch (RuntimeException e) {
                if (attempt >= ATTEMPTS || !isConflict(e)) {
                    throw e;
                }
                backOff(attempt);
            }
        }
    }

    /** Runs a read on one connection without an explicit transaction. */
    public <R> R read(HandleCallback<R, RuntimeException> work) {
        return jdbi.withHandle(work);
    }

    /** True when the failure is a lost race that a retry of the whole transaction resolves. */
    static boolean isConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                // 23505 unique violation, 40001 serialization failure, 40P01 deadlock (PostgreSQL),
                // HYT00 lock timeout (H2)
                if (state.equals("23505") || state.equals("40001") || state.equals("40P01") || state.equals("HYT00")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void backOff(int attempt) {
        try {
            Thread.sleep((long) (Math.random() * 5 * attempt) + 1);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ie);
        }
    }

    /** True when a trivial query answers. */
    public boolean isReachable() {
        try (Handle h = jdbi.open()) {
            return h.createQuery("SELECT 1").mapTo(Integer.class).one() == 1;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
