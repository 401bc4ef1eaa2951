package dev.bollard.metadata;

import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;

/** {@link GcRaceContract} on embedded H2. */
class H2GcRaceTest extends GcRaceContract {
    @Override
    protected TestDatabase newTestDatabase(Path dir) {
        return TestDatabase.h2(dir);
    }
}
