package dev.bollard.metadata;

import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;

/** {@link GcRaceContract} on a real PostgreSQL server (skipped when it is not installed). */
class PostgresGcRaceTest extends GcRaceContract {
    @Override
    protected TestDatabase newTestDatabase(Path dir) {
        return TestDatabase.postgres();
    }
}
