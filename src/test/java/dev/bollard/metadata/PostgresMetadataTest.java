package dev.bollard.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Requirements;
import dev.bollard.testing.TestDatabase;
import java.nio.file.Path;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;

/**
 * {@link MetadataContract} on a real PostgreSQL server (Debian's package, started by
 * {@link dev.bollard.testing.PostgresServer}); skipped when PostgreSQL is not installed. Plus what only PostgreSQL
 * has: column collations.
 */
class PostgresMetadataTest extends MetadataContract {
    @Override
    protected TestDatabase newTestDatabase(Path dir) {
        return TestDatabase.postgres();
    }

    @Test
    void theTestDatabaseSortsTextLinguisticallyByDefaultSoTheByteOrderTestsMeanSomething() {
        Database db = open(1);
        String version = db.read((Handle h) -> h.createQuery("SHOW server_version_num").mapTo(String.class).one());
        // ICU as the default collation provider came with PostgreSQL 15; before, the test cluster sorts in byte order
        // and the byte-order tests could not fail.
        Requirements.require(Integer.parseInt(version) >= 150000, () -> "PostgreSQL 15 or later, for a test cluster "
                + "whose default collation is not byte order (this server: " + version + ")");
        assertThat(db.read((Handle h) -> h.createQuery("SELECT 'a' < 'B'").mapTo(Boolean.class).one())).isTrue();
    }

    @Test
    void listedNamesCompareInByteOrder() {
        Database db = open(1);
        assertThat(db.read((Handle h) -> h.createQuery("""
                        SELECT table_name || '.' || column_name || ' ' || COALESCE(collation_name, 'default')
                        FROM information_schema.columns
                        WHERE table_schema = 'public' AND column_name = 'name' ORDER BY table_name""")
                .mapTo(String.class).list()))
                // Every name a client sees in a listing compares in byte order; job_lease names internal jobs only.
                .contains("account.name C", "repository.name C", "robot.name C", "tag.name C", "tag_history.name C",
                        "team.name C", "user_token.name C")
                .allMatch(column -> column.endsWith(" C") || column.startsWith("job_lease."));
    }
}
