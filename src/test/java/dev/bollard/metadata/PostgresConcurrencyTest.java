package dev.bollard.metadata;

import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;

/**
 * {@link ConcurrencyContract} on a real PostgreSQL server (Debian's package, started by
 * {@link dev.bollard.testing.PostgresServer}); skipped when PostgreSQL is not installed.
 */
class PostgresConcurrencyTest extends ConcurrencyContract {
    @Override
    protected TestDatabase newTestDatabase(Path dir) {
        return TestDatabase.postgres();
    }
}
