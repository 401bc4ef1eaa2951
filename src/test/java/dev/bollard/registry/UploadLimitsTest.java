package dev.bollard.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.audit.Actor;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.metadata.Database;
import dev.bollard.oci.RepositoryName;
import dev.bollard.storage.FilesystemBlobStore;
import dev.bollard.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Unfinished uploads are not free: their bytes count against the namespace's quota, and a repository has at most
 * {@code registry.max-open-uploads-per-repository} sessions, making room by expiring long-idle ones first
 * (issue 13: three 5 MB chunked uploads under a 1 MB quota were accepted; 3,000 sessions opened in 5 s stayed 24 h).
 */
class UploadLimitsTest {
    private static final RepositoryName APP = RepositoryName.parse("acme/app");
    private static final RepositoryName OTHER = RepositoryName.parse("acme/other");

    @TempDir
    Path dir;

    private Registry registry(Database db, int maxOpen) throws Exception {
        return new Registry(db, new FilesystemBlobStore(dir.resolve("blobs"), dir.resolve("uploads")),
                new BollardConfig.Registry(true, 4 * 1024 * 1024, maxOpen), ConfigLoader.builder().load().lifecycle(),
                Outbox.RECORD_ONLY, new SimpleMeterRegistry());
    }

    private static ByteArrayInputStream bytes(int n) {
        return new ByteArrayInputStream(new byte[n]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void bytesOfUnfinishedUploadsCountAgainstTheQuota(String kind) throws Exception {
        try (TestDatabase td = TestDatabase.of(kind, dir); Database db = Database.open(td.config(4))) {
            Registry registry = registry(db, 500);
            registry.quotas().set(Actor.system("test"), "acme", 1_000_000L, null);
            BlobUploads uploads = registry.uploads();

            String first = uploads.start(APP).uploadId();
            String second = uploads.start(OTHER).uploadId();
            String third = uploads.start(APP).uploadId();
            assertThat(uploads.append(APP, first, bytes(600_000), 0L, 600_000L).size()).isEqualTo(600_000);

            // Announced: refused before a byte is read, naming the staged bytes.
            assertThatThrownBy(() -> uploads.append(OTHER, second, bytes(600_000), 0L, 600_000L))
                    .isInstanceOfSatisfying(BollardException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.DENIED);
                        assertThat(e.getMessage()).contains("600000 bytes in unfinished uploads");
                    });
            assertThat(uploads.status(OTHER, second).size()).isZero();

            // Not announced: refused once received, and the session goes with its bytes.
            assertThatThrownBy(() -> uploads.append(APP, third, bytes(600_000), null, null))
                    .isInstanceOfSatisfying(BollardException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.DENIED));
            assertThatThrownBy(() -> uploads.status(APP, third)).isInstanceOfSatisfying(BollardException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_UNKNOWN));

            // Within the quota together: still fine; a session's own bytes are not counted twice.
            assertThat(uploads.append(OTHER, second, bytes(300_000), 0L, 300_000L).size()).isEqualTo(300_000);
            assertThat(uploads.append(APP, first, bytes(100_000), 600_000L, 100_000L).size()).isEqualTo(700_000);

            // Cancelling frees the staged bytes.
            uploads.cancel(APP, first);
            assertThat(uploads.append(OTHER, second, bytes(600_000), 300_000L, 600_000L).size()).isEqualTo(900_000);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aRepositoryHasAtMostTheConfiguredOpenSessionsAndIdleOnesMakeRoom(String kind) throws Exception {
        try (TestDatabase td = TestDatabase.of(kind, dir); Database db = Database.open(td.config(4))) {
            BlobUploads uploads = registry(db, 3).uploads();
            String oldest = uploads.start(APP).uploadId();
            uploads.start(APP);
            uploads.start(APP);
            assertThatThrownBy(() -> uploads.start(APP)).isInstanceOfSatisfying(BollardException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.TOO_MANY_REQUESTS);
                assertThat(e.getMessage()).contains("has 3 unfinished upload sessions")
                        .contains("registry.max-open-uploads-per-repository");
            });
            assertThat(uploads.start(OTHER).uploadId()).isNotEmpty(); // per repository

            // One session idle for longer than the pressure limit: it makes room, the others stay.
            db.inTransaction(h -> h.createUpdate("UPDATE upload SET updated_at = :t WHERE id = :id")
                    .bind("t", Instant.now().minus(BlobUploads.IDLE_UNDER_PRESSURE).minusSeconds(60))
                    .bind("id", oldest).execute());
            assertThat(uploads.start(APP).uploadId()).isNotEmpty();
            assertThatThrownBy(() -> uploads.status(APP, oldest)).isInstanceOf(BollardException.class);
            assertThatThrownBy(() -> uploads.start(APP)).isInstanceOf(BollardException.class);
        }
    }
}
