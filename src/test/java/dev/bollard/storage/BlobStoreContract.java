package dev.bollard.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
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

    /** Appends {@code bytes} at {@code offset} to the upload in {@code state}; returns the new state. */
    protected String append(String id, long offset, String state, byte[] bytes) throws IOException {
        BlobStore.Append out = store.appendUpload(id, offset, state);
        try (out) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
        return out.state();
    }

    /** A new upload holding {@code bytes}; returns its state. */
    protected String stage(String id, byte[] bytes) throws IOException {
        return append(id, 0, store.createUpload(id), bytes);
    }

    protected static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new java.util.Random(seed).nextBytes(bytes);
        return bytes;
    }

    protected static byte[] readAll(SeekableByteChannel in) throws IOException {
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
        String state = stage(id, content);
        assertThat(store.size(d)).as("not visible before commit").isEmpty();
        store.commitUpload(id, state, d, content.length);
        assertThat(store.size(d)).hasValue(content.length);
        assertThat(readAll(store.open(d))).isEqualTo(content);
        assertThat(store.listUploads()).extracting(BlobStore.StagedUpload::uploadId).doesNotContain(id);
    }

    @Test
    void appendsContinueAtTheCommittedOffsetAndDiscardWhatLiesBeyond() throws Exception {
        String id = newId();
        String committed = stage(id, "abc".getBytes(StandardCharsets.UTF_8));
        append(id, 3, committed, "XYZ-uncommitted".getBytes(StandardCharsets.UTF_8));
        // The metadata only recorded 3 bytes and their state: the next append at 3 replaces what an interrupted one left.
        String state = append(id, 3, committed, "def".getBytes(StandardCharsets.UTF_8));
        assertThat(readAll(store.readUpload(id, state, 6))).asString(StandardCharsets.UTF_8).isEqualTo("abcdef");
        Digest d = Digest.sha256("abcdef".getBytes(StandardCharsets.UTF_8));
        store.commitUpload(id, state, d, 6);
        assertThat(readAll(store.open(d))).asString(StandardCharsets.UTF_8).isEqualTo("abcdef");
    }

    @Test
    void appendBeyondTheStagedBytesFails() throws Exception {
        String id = newId();
        String state = stage(id, "ab".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> store.appendUpload(id, 10, state)).isInstanceOf(IOException.class);
    }

    @Test
    void manyAppendsOfAnySizeMakeOneBlob() throws Exception {
        // Chunks below and above S3's 5 MiB part minimum, in an order that leaves small remainders to merge.
        int[] sizes = {1, 3 << 20, 3 << 20, 100, 6 << 20, 0, 5 << 20, 12_345};
        int total = java.util.Arrays.stream(sizes).sum();
        byte[] content = random(total, 42);
        String id = newId();
        String state = store.createUpload(id);
        int offset = 0;
        for (int size : sizes) {
            state = append(id, offset, state, java.util.Arrays.copyOfRange(content, offset, offset + size));
            offset += size;
        }
        Digest d = Digest.sha256(content);
        store.commitUpload(id, state, d, total);
        assertThat(store.size(d)).hasValue(total);
        assertThat(readAll(store.open(d))).isEqualTo(content);
        assertThat(store.listUploads()).extracting(BlobStore.StagedUpload::uploadId).doesNotContain(id);
    }

    @Test
    void aBlobCanBeReadFromAnyPosition() throws Exception {
        byte[] content = random(3 << 20, 9);
        Digest d = Digest.sha256(content);
        String id = newId();
        store.commitUpload(id, stage(id, content), d, content.length);
        try (SeekableByteChannel in = store.open(d)) {
            assertThat(in.size()).isEqualTo(content.length);
            for (int position : new int[] {1_000_000, 17, content.length - 5}) {
                ByteBuffer b = ByteBuffer.allocate(5);
                in.position(position);
                while (b.hasRemaining() && in.read(b) >= 0) {
                    // keep reading
                }
                assertThat(b.array()).isEqualTo(java.util.Arrays.copyOfRange(content, position, position + 5));
            }
            in.position(content.length);
            assertThat(in.read(ByteBuffer.allocate(1))).isEqualTo(-1);
        }
    }

    @Test
    void committingContentThatExistsKeepsOneCopy() throws Exception {
        byte[] content = "same bytes".getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.sha256(content);
        for (int i = 0; i < 3; i++) {
            String id = newId();
            store.commitUpload(id, stage(id, content), d, content.length);
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
                    store.commitUpload(id, stage(id, content), d, content.length);
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
        String state = stage(id, content);
        String other = newId();
        stage(other, "other bytes".getBytes(StandardCharsets.UTF_8));
        store.deleteUpload(other);
        store.deleteUpload(other); // idempotent
        assertThat(store.listUploads()).extracting(BlobStore.StagedUpload::uploadId).containsExactly(id);
        store.commitUpload(id, state, d, content.length);
        assertThat(store.delete(d)).isTrue();
        assertThat(store.size(d)).isEmpty();
    }

    @Test
    void emptyBlobsAreBlobs() throws Exception {
        Digest d = Digest.sha256(new byte[0]);
        String id = newId();
        store.commitUpload(id, store.createUpload(id), d, 0);
        assertThat(store.size(d)).hasValue(0);
        assertThat(readAll(store.open(d))).isEmpty();
    }
}
