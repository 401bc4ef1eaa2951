package dev.bollard.metadata;

import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;

/**
 * {@link RegistryOnDatabaseContract}: the registry running on a real PostgreSQL server (Debian's package, started
 * by {@link dev.bollard.testing.PostgresServer}); skipped when PostgreSQL is not installed.
 */
class PostgresRegistryTest extends RegistryOnDatabaseContract {
    @Override
    protected TestDatabase newTestDatabase(Path dir) {
        return TestDatabase.postgres();
    }
}
