package dev.bollard.metadata;

import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;

/** {@link RegistryOnDatabaseContract} on embedded H2 (a file, in PostgreSQL mode), Bollard's default database. */
class H2RegistryTest extends RegistryOnDatabaseContract {
    @Override
    protected TestDatabase newTestDatabase(Path dir) {
        return TestDatabase.h2(dir);
    }
}
