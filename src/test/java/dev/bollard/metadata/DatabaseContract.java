package dev.bollard.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.oci.Digest;
import dev.bollard.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the metadata contract tests share: a fresh database per test from the subclass (H2 or PostgreSQL), the
 * {@link Database}s opened on it (closed after the test), and helpers to fill it and to check tag history.
 */
abstract class DatabaseContract {
    private static final AtomicLong UNIQUE = new AtomicLong();

    @TempDir
    Path tempDir;

    /** The database of this test. */
    protected TestDatabase testDatabase;

    private final List<Database> opened = new ArrayList<>();

    /** A fresh, empty database; {@code dir} is the test's temporary directory. */
    protected abstract TestDatabase newTestDatabase(Path dir);

    @BeforeEach
    final void createTestDatabase() {
        testDatabase = newTestDatabase(tempDir);
    }

    @AfterEach
    final void closeAndDropTestDatabase() {
        opened.forEach(Database::close);
        if (testDatabase != null) {
            testDatabase.close();
        }
    }

    /** Opens (and migrates) the test's database, as one Bollard node would; closed after the test. */
    protected Database open(int maxPoolSize) {
        Database db = Database.open(testDatabase.config(maxPoolSize));
        opened.add(db);
        return db;
    }

    // ---- filling the database ----

    protected static long repository(Database db, String name) {
        return db.inTransaction(h -> RepositoryDao.findOrCreate(h, name));
    }

    /** A digest no other call returns. */
    protected static String uniqueDigest() {
        return Digest.sha256(("content " + UNIQUE.incrementAndGet() + " " + System.nanoTime())
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** Records a new blob and links it to the repository; returns its digest. */
    protected static String blob(Database db, long repositoryId) {
        String digest = uniqueDigest();
        db.inTransaction(h -> {
            BlobDao.recordBlob(h, digest, 1234);
            BlobDao.link(h, repositoryId, digest);
            return null;
        });
        return digest;
    }

    /** Stores a new image manifest (no references) in the repository; returns its digest. */
    protected static String manifest(Database db, long repositoryId) {
        String digest = uniqueDigest();
        db.inTransaction(h -> insertManifest(h, repositoryId, digest));
        return digest;
    }

    protected static long insertManifest(Handle h, long repositoryId, String digest) {
        byte[] content = ("{\"schemaVersion\":2,\"digest\":\"" + digest + "\"}").getBytes(StandardCharsets.UTF_8);
        return ManifestDao.insertIfAbsent(h, repositoryId, digest, "application/vnd.oci.image.manifest.v1+json",
                null, null, content, List.of(), List.of());
    }

    // ---- tag history ----

    /** One row of {@code tag_history}. */
    protected record HistoryRow(long id, String digest, Instant start, Instant end) {
    }

    /** The tag's history, oldest first. */
    protected static List<HistoryRow> history(Database db, long repositoryId, String tag) {
        return db.read(h -> h.createQuery("""
                        SELECT id, manifest_digest, lifetime_start, lifetime_end FROM tag_history
                        WHERE repository_id = :r AND name = :t ORDER BY lifetime_start, id""")
                .bind("r", repositoryId).bind("t", tag)
                .map((rs, ctx) -> new HistoryRow(rs.getLong(1), rs.getString(2), rs.getTimestamp(3).toInstant(),
                        rs.getTimestamp(4) == null ? null : rs.getTimestamp(4).toInstant()))
                .list());
    }

    /**
     * Checks the tag's history against its current row: lifetimes that do not end before they start and do not
     * overlap, every one closed but the last, and the last open exactly when the tag exists, on its digest.
     */
    protected static void assertConsistentHistory(Database db, long repositoryId, String tag) {
        List<HistoryRow> rows = history(db, repositoryId, tag);
        Optional<String> current = db.read((Handle h) -> TagDao.digestOf(h, repositoryId, tag));
        String story = "tag " + tag + " on " + current.orElse("nothing (deleted)") + ", history:\n  "
                + String.join("\n  ", rows.stream().map(HistoryRow::toString).toList());
        for (int i = 0; i < rows.size(); i++) {
            HistoryRow row = rows.get(i);
            if (row.end() != null) {
                assertThat(row.end()).as("%s ends after it starts; %s", row, story).isAfterOrEqualTo(row.start());
            }
            if (i < rows.size() - 1) {
                HistoryRow next = rows.get(i + 1);
                assertThat(row.end()).as("%s has ended, as %s follows; %s", row, next, story).isNotNull();
                assertThat(row.end()).as("%s ends before %s starts; %s", row, next, story)
                        .isBeforeOrEqualTo(next.start());
            }
        }
        if (current.isPresent()) {
            assertThat(rows).as(story).isNotEmpty();
            assertThat(rows.getLast().end()).as("the current assignment is open; %s", story).isNull();
            assertThat(rows.getLast().digest()).as("the current assignment is the tag's; %s", story)
                    .isEqualTo(current.get());
        } else if (!rows.isEmpty()) {
            assertThat(rows.getLast().end()).as("the last assignment of a deleted tag is closed; %s", story)
                    .isNotNull();
        }
    }

    protected static long count(Database db, String sql, Object... args) {
        return db.read(h -> {
            var q = h.createQuery(sql);
            for (int i = 0; i < args.length; i++) {
                q.bind(i, args[i]);
            }
            return q.mapTo(Long.class).one();
        });
    }
}
