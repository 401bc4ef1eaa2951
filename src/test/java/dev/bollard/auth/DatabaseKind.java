package dev.bollard.auth;

import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.PostgresServer;
import java.nio.file.Path;

/**
 * The metadata database a test's registry runs on: the embedded H2 default, or a fresh database on the PostgreSQL
 * server the tests share (the test is skipped where PostgreSQL is not installed). Close it after the registry.
 */
final class DatabaseKind implements AutoCloseable {
    private final PostgresServer.Db postgres;
    private final ConfigLoader.Builder builder;

    private DatabaseKind(PostgresServer.Db postgres, ConfigLoader.Builder builder) {
        this.postgres = postgres;
        this.builder = builder;
    }

    /** {@code kind} "h2" or "postgres"; the configuration keeps its data under {@code dataDir}. */
    static DatabaseKind of(String kind, Path dataDir) {
        ConfigLoader.Builder b = ConfigLoader.builder().set("data-dir", dataDir.toString()).set("server.listen", "127.0.0.1:0");
        if (!kind.equals("postgres")) {
            return new DatabaseKind(null, b);
        }
        PostgresServer.Db db = PostgresServer.shared().createDatabase();
        b.set("database.url", db.url()).set("database.username", db.username()).set("database.password", db.password());
        return new DatabaseKind(db, b);
    }

    /** The configuration builder, with the database set; add settings before {@code load()}. */
    ConfigLoader.Builder config() {
        return builder;
    }

    @Override
    public void close() {
        if (postgres != null) {
            postgres.drop();
        }
    }
}
