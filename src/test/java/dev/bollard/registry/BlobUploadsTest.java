package dev.bollard.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.config.BollardConfig;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.metadata.Database;
import dev.bollard.oci.Digest;
import dev.bollard.oci.DigestAlgorithm;
import dev.bollard.oci.RepositoryName;
import dev.bollard.storage.BlobStore;
import dev.bollard.storage.FilesystemBlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The upload path's hashing around its piece boundaries: a body of one piece is hashed in place, a longer one on a
 * second thread, and a session of many chunks (crossing the store's background-sync mark, with empty chunks between)
 * keeps one running hash. Each case stores the blob and reads it back.
 */
class BlobUploadsTest {

    private static final int PIECE = BlobUploads.CHUNK;
    private static final RepositoryName REPO = RepositoryName.parse("test/uploads");

    @TempDir
    Path dir;
    Database db;
    Registry registry;

    @BeforeEach
    void open() throws IOException {
        db = Database.open(new BollardConfig.Database("jdbc:h2:file:" + dir.resolve("db/bollard"), "", "", 4));
        registry = registryOn(store("node-a"));
    }

    /** The registry's use cases on this test's database and {@code store}, without quotas or audit. */
    Registry registryOn(BlobStore store) {
        return new Registry(db, store, new BollardConfig.Registry(true, 4 * 1024 * 1024, 500),
                dev.bollard.config.ConfigLoader.builder().load().lifecycle(), dev.bollard.events.Outbox.RECORD_ONLY,
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    /** The blob store of the registry under test (as one node would open it). */
    BlobStore store(String node) throws IOException {
        return new FilesystemBlobStore(dir.resolve("blobs"), dir.resolve("uploads"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, PIECE - 1, PIECE, PIECE + 1, 3 * PIECE, 4 * PIECE + 7, 9 * PIECE + 3})
    void wholeBodiesOfEverySizeAroundThePieceBoundaries(int size) throws IOException {
        byte[] content = randomBytes(size, size);
        Digest digest = sha256(content);
        BlobInfo info = registry.uploads().uploadWhole(REPO, digest, new ByteArrayInputStream(content), (long) size);
        assertThat(info).isEqualTo(new BlobInfo(digest, size));
        assertThat(readBack(info)).isEqualTo(content);
    }

    @Test
    void chunkedSessionWithEmptyChunksAndManyPiecesKeepsOneRunningHash() throws IOException {
        byte[] content = randomBytes(40 * 1024 * 1024 + 123, 7);
        Digest digest = sha256(content);
        UploadStatus session = registry.uploads().start(REPO);
        int offset = 0;
        for (int size : new int[] {5, PIECE * 3 + 1, 0, 17 * 1024 * 1024, 0, PIECE - 5, 16 * 1024 * 1024}) {
            UploadStatus status = registry.uploads().append(REPO, session.uploadId(),
                    new ByteArrayInputStream(content, offset, size), (long) offset, (long) size);
            offset += size;
            assertThat(status.size()).isEqualTo(offset);
        }
        int rest = content.length - offset;
        BlobInfo info = registry.uploads().complete(REPO, session.uploadId(), digest,
                new ByteArrayInputStream(content, offset, rest), (long) rest);
        assertThat(info).isEqualTo(new BlobInfo(digest, content.length));
        assertThat(readBack(info)).isEqualTo(content);
    }

    @Test
    void wrongDigestIsRejectedAndNothingBecomesVisible() {
        byte[] content = randomBytes(3 * PIECE + 11, 3);
        Digest wrong = sha256(new byte[] {1});
        assertThatThrownBy(() -> registry.uploads().uploadWhole(REPO, wrong, new ByteArrayInputStream(content),
                (long) content.length))
                .isInstanceOfSatisfying(BollardException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID))
                .hasMessageContaining(sha256(content).toString());
        assertThatThrownBy(() -> registry.blobs().stat(REPO, wrong)).isInstanceOf(BollardException.class);
    }

    private byte[] readBack(BlobInfo blob) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) blob.size());
        try (SeekableByteChannel in = registry.blobs().open(REPO, blob)) {
            while (buffer.hasRemaining() && in.read(buffer) >= 0) {
                // until full
            }
        }
        return buffer.array();
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static Digest sha256(byte[] content) {
        return Digest.of(DigestAlgorithm.SHA256, DigestAlgorithm.SHA256.newMessageDigest().digest(content));
    }
}
