package dev.bollard.testing;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.metadata.Database;
import java.nio.file.Path;
import java.util.List;

/**
 * A fresh, empty metadata database for one test, on one of the two databases Bollard supports: in a test that runs on
 * both, the only part that differs between H2 and PostgreSQL.
 */
public interface TestDatabase extends AutoCloseable {

    /** How Bollard would be configured to use this database, with a pool of at most {@code maxPoolSize}. */
    BollardConfig.Database config(int maxPoolSize);

    /**
     * The settings of a registry on this database (a pool of 8) with its blobs under {@code data}, listening on a free
     * loopback port; the test adds its own settings and loads them.
     */
    default ConfigLoader.Builder registrySettings(Path data) {
        BollardConfig.Database db = config(8);
        return ConfigLoader.builder().set("data-dir", data.toString()).set("server.listen", "127.0.0.1:0")
                .set("database.url", db.url()).set("database.username", db.username())
                .set("database.password", db.password());
    }

    /** Removes the database (after every pool on it is closed). */
    @Override
    void close();

    /** {@code kind} "postgres" (a new database on the shared server) or anything else (H2 under {@code dir}). */
    static TestDatabase of(String kind, Path dir) {
        return kind.equals("postgres") ? postgres() : h2(dir);
    }

    /**
     * A fresh database of {@code kind} (as {@link #of}) opened by Bollard with a pool of {@code maxPoolSize}; the test
     * database and the pool are added to {@code open}, for the test to close in reverse order (the pool first).
     */
    static Database open(String kind, Path dir, int maxPoolSize, List<AutoCloseable> open) {
        TestDatabase database = of(kind, dir);
        open.add(database);
        Database db = Database.open(database.config(maxPoolSize));
        open.add(db);
        return db;
    }

    /** An embedded H2 file database under {@code dir}, as Bollard's default configuration has it. */
    static TestDatabase h2(Path dir) {
        String url = "jdbc:h2:file:" + dir.resolve("db").resolve("bollard");
        return new TestDatabase() {
            @Override
            public BollardConfig.Database config(int maxPoolSize) {
                return new BollardConfig.Database(url, "", "", maxPoolSize);
            }

            @Override
            public void close() {
                // the directory is a @TempDir
            }

            @Override
            public String toString() {
                return "H2 " + url;
            }
        };
    }

    /**
     * A new database on the PostgreSQL server the tests share, owned by an ordinary role with a password. Aborts
     * the test (skipped, with the reason) when PostgreSQL is not installed.
     */
    static TestDatabase postgres() {
        PostgresServer.Db db = PostgresServer.shared().createDatabase();
        return new TestDatabase() {
            @Override
            public BollardConfig.Database config(int maxPoolSize) {
                return new BollardConfig.Database(db.url(), db.username(), db.password(), maxPoolSize);
            }

            @Override
            public void close() {
                db.drop();
            }

            @Override
            public String toString() {
                return "PostgreSQL " + db.url();
            }
        };
    }
}
