package dev.bollard.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link BlobStore} must have. Each backend's test extends this class and supplies a fresh,
 * empty store.
 */
public abstract class BlobStoreContract {

    protected BlobStore store;

    /** A new, empty store for one test. */
    protected abstract BlobStore newStore() throws Exception;

    @BeforeEach
    void createStore() throws Exception {
        store = newStore();
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }

    private void append(String id, long offset, byte[] bytes) throws IOException {
        try (WritableByteChannel out = store.appendUpload(id, offset)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
    }

    private static byte[] readAll(SeekableByteChannel in) throws IOException {
        try (in) {
            ByteBuffer b = ByteBuffer.allocate((int) in.size());
            while (b.hasRemaining() && in.read(b) >= 0) {
                // keep reading
            }
            return b.array();
        }
    }

    @Test
    void aFreshStoreIsReachable() {
        assertThat(store.isReachable()).isTrue();
    }

    @Test
    void unknownBlobHasNoSize() throws Exception {
        Digest d = Digest.sha256("nothing".getBytes(StandardCharsets.UTF_8));
        assertThat(store.size(d)).isEmpty();
        assertThat(store.delete(d)).isFalse();
        assertThatThrownBy(() -> store.open(d)).isInstanceOf(IOException.class);
    }

    @Test
    void stagedBytesBecomeABlobOnlyOnCommit() throws Exception {
        byte[] content = "hello, blob".getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.sha256(content);
        String id = newId();
        store.createUpload(id);
        append(id, 0, content);
        assertThat(store.size(d)).as("not visible before commit").isEmpty();
        store.commitUpload(id, d, content.length);
        assertThat(store.size(d)).hasValue(content.length);
        assertThat(readAll(store.open(d))).isEqualTo(content);
        assertThat(store.listUploads()).extracting(BlobStore.StagedUpload::uploadId).doesNotContain(id);
    }

    @Test
    void appendsContinueAtTheCommittedOffsetAndDiscardWhatLiesBeyond() throws Exception {
        String id = newId();
        store.createUpload(id);
        append(id, 0, "abc".getBytes(StandardCharsets.UTF_8));
        append(id, 3, "XYZ-uncommitted".getBytes(StandardCharsets.UTF_8));
        // The metadata only recorded 3 bytes: the next append at 3 replaces what an interrupted one left.
        append(id, 3, "def".getBytes(StandardCharsets.UTF_8));
        assertThat(readAll(store.readUpload(id))).asString(StandardCharsets.UTF_8).isEqualTo("abcdef");
    }

    @Test
    void appendBeyondTheStagedBytesFails() throws Exception {
        String id = newId();
        store.createUpload(id);
        append(id, 0, "ab".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> store.appendUpload(id, 10)).isInstanceOf(IOException.class);
    }

    @Test
    void commitTakesOnlyTheGivenSize() throws Exception {
        byte[] content = "0123456789".getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.sha256("01234".getBytes(StandardCharsets.UTF_8));
        String id = newId();
        store.createUpload(id);
        append(id, 0, content);
        store.commitUpload(id, d, 5);
        assertThat(readAll(store.open(d))).asString(StandardCharsets.UTF_8).isEqualTo("01234");
    }

    @Test
    void committingContentThatExistsKeepsOneCopy() throws Exception {
        byte[] content = "same bytes".getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.sha256(content);
        for (int i = 0; i < 3; i++) {
            String id = newId();
            store.createUpload(id);
            append(id, 0, content);
            store.commitUpload(id, d, content.length);
        }
        assertThat(readAll(store.open(d))).isEqualTo(content);
        assertThat(store.listUploads()).isEmpty();
    }

    @Test
    void concurrentCommitsOfTheSameContentAllSucceed() throws Exception {
        byte[] content = new byte[1 << 20];
        new java.util.Random(7).nextBytes(content);
        Digest d = Digest.sha256(content);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> {
                    String id = newId();
                    store.createUpload(id);
                    append(id, 0, content);
                    store.commitUpload(id, d, content.length);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(readAll(store.open(d))).isEqualTo(content);
    }

    @Test
    void deletedUploadsAndBlobsAreGone() throws Exception {
        byte[] content = "to delete".getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.sha256(content);
        String id = newId();
        store.createUpload(id);
        append(id, 0, content);
        String other = newId();
        store.createUpload(other);
        store.deleteUpload(other);
        store.deleteUpload(other); // idempotent
        assertThat(store.listUploads()).extracting(BlobStore.StagedUpload::uploadId).containsExactly(id);
        store.commitUpload(id, d, content.length);
        assertThat(store.delete(d)).isTrue();
        assertThat(store.size(d)).isEmpty();
    }

    @Test
    void emptyBlobsAreBlobs() throws Exception {
        Digest d = Digest.sha256(new byte[0]);
        String id = newId();
        store.createUpload(id);
        store.commitUpload(id, d, 0);
        assertThat(store.size(d)).hasValue(0);
    }
}
