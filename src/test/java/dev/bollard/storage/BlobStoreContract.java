package dev.bollard.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.bollard.oci.Digest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link BlobStore} must have: each backend's test extends this class, supplies a fresh, empty
 * store, a second instance on the same backing (a restarted process, another node) and a look at its backing from
 * outside. Every method of the interface is exercised, with the edge cases a store gets wrong: empty and multi-piece
 * blobs, reads at and past the end, repeated and concurrent commits, uploads abandoned or resumed elsewhere.
 * <p>
 * After each test the store must account for everything it holds: once every blob {@link BlobStore#listBlobs} reports
 * and every upload {@link BlobStore#listUploads} reports are deleted through the store, {@link #leftovers()} must be
 * empty. Anything else (a temporary file, a part buffer, an unfinished multipart upload, an object under no listed
 * name) is space that neither the garbage collector nor the upload sweep would ever reclaim, and fails the test.
 */
public abstract class BlobStoreContract {

    protected BlobStore store;
    private final List<BlobStore> reopened = new ArrayList<>();

    /** A new, empty store for one test. */
    protected abstract BlobStore newStore() throws Exception;

    /** Another instance on the backing of the store {@link #newStore} made, as a restarted process would open it. */
    protected abstract BlobStore openAgain() throws Exception;

    /**
     * What the store's backing holds, seen from outside the store (files, objects, unfinished multipart uploads,
     * local buffers), one line each; empty directories are not counted.
     */
    protected abstract List<String> leftovers() throws Exception;

    @BeforeEach
    void createStore() throws Exception {
        store = newStore();
    }

    @AfterEach
    void everythingLeftIsListedAndDeletable() throws Exception {
        try {
            for (BlobStore.StagedUpload upload : store.listUploads()) {
                store.deleteUpload(upload.uploadId());
            }
            for (BlobStore.StoredBlob blob : listed()) {
                assertThat(store.delete(blob.digest())).as("deleting listed %s", blob.digest()).isTrue();
            }
            assertThat(store.listUploads()).isEmpty();
            assertThat(listed()).isEmpty();
            assertThat(leftovers()).as("what the store holds besides its listed blobs and uploads").isEmpty();
        } finally {
            store.close();
            reopened.forEach(BlobStore::close);
        }
    }

    /** The store of {@link #openAgain}, closed after the test. */
    private BlobStore reopen() throws Exception {
        BlobStore again = openAgain();
        reopened.add(again);
        return again;
    }

    /** The regular files under {@code dirs}, relative to each, for {@link #leftovers()} of a store on files. */
    protected static List<String> filesUnder(Path... dirs) throws IOException {
        List<String> files = new ArrayList<>();
        for (Path dir : dirs) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> walk = Files.walk(dir)) {
                    walk.filter(Files::isRegularFile).forEach(f -> files.add(dir.relativize(f) + " in " + dir));
                }
            }
        }
        return files;
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Appends {@code bytes} at {@code offset} to the upload in {@code state}; returns the new state. */
    protected String append(String id, long offset, String state, byte[] bytes) throws IOException {
        return append(store, id, offset, state, bytes);
    }

    private static String append(BlobStore to, String id, long offset, String state, byte[] bytes) throws IOException {
        BlobStore.Append out = to.appendUpload(id, offset, state);
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

    /** Stages and commits {@code content} as a blob; returns its digest. */
    private Digest commit(byte[] content) throws IOException {
        Digest d = Digest.sha256(content);
        String id = newId();
        store.commitUpload(id, stage(id, content), d, content.length);
        return d;
    }

    protected static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    protected static byte[] readAll(SeekableByteChannel in) throws IOException {
        try (in) {
            return readFully(in, (int) in.size());
        }
    }

    /** The next {@code length} bytes of {@code in}, from its position. */
    private static byte[] readFully(SeekableByteChannel in, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (in.read(b) < 0) {
                throw new IOException("ended " + b.remaining() + " bytes early");
            }
        }
        return b.array();
    }

    /** What a client fetching {@code url} receives. */
    protected static byte[] fetch(URI url) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(url).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            return r.body();
        }
    }

    private List<BlobStore.StoredBlob> listed() throws IOException {
        List<BlobStore.StoredBlob> blobs = new ArrayList<>();
        store.listBlobs(blobs::add);
        return blobs;
    }

    private List<String> uploadIds() throws IOException {
        return store.listUploads().stream().map(BlobStore.StagedUpload::uploadId).toList();
    }

    private static List<Object> runConcurrently(int threads, Callable<Object> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Object>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(task));
            }
            List<Object> results = new ArrayList<>();
            for (Future<Object> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- reachability, absence ----

    @Test
    void aFreshStoreIsReachableAndEmpty() throws Exception {
        assertThat(store.isReachable()).isTrue();
        assertThat(listed()).isEmpty();
        assertThat(store.listUploads()).isEmpty();
    }

    @Test
    void unknownBlobHasNoSize() throws Exception {
        Digest d = Digest.sha256(utf8("nothing"));
        assertThat(store.size(d)).isEmpty();
        assertThat(store.delete(d)).isFalse();
        // The registry answers BLOB_UNKNOWN on exactly this exception (Blobs.open).
        assertThatThrownBy(() -> store.open(d)).isInstanceOf(NoSuchFileException.class);
    }

    // ---- uploads and commits ----

    @Test
    void stagedBytesBecomeABlobOnlyOnCommit() throws Exception {
        byte[] content = utf8("hello, blob");
        Digest d = Digest.sha256(content);
        String id = newId();
        String state = stage(id, content);
        assertThat(store.size(d)).as("not visible before commit").isEmpty();
        assertThat(listed()).as("not listed before commit").isEmpty();
        assertThat(uploadIds()).containsExactly(id);
        store.commitUpload(id, state, d, content.length);
        assertThat(store.size(d)).hasValue(content.length);
        assertThat(readAll(store.open(d))).isEqualTo(content);
        assertThat(listed()).extracting(BlobStore.StoredBlob::digest).containsExactly(d);
        assertThat(uploadIds()).doesNotContain(id);
    }

    @Test
    void appendsContinueAtTheCommittedOffsetAndDiscardWhatLiesBeyond() throws Exception {
        String id = newId();
        String committed = stage(id, utf8("abc"));
        append(id, 3, committed, utf8("XYZ-uncommitted"));
        // The metadata only recorded 3 bytes and their state: the next append at 3 replaces what an interrupted one left.
        String state = append(id, 3, committed, utf8("def"));
        assertThat(readAll(store.readUpload(id, state, 6))).asString(StandardCharsets.UTF_8).isEqualTo("abcdef");
        Digest d = Digest.sha256(utf8("abcdef"));
        store.commitUpload(id, state, d, 6);
        assertThat(readAll(store.open(d))).asString(StandardCharsets.UTF_8).isEqualTo("abcdef");
    }

    @Test
    void appendBeyondTheStagedBytesFails() throws Exception {
        String id = newId();
        String state = stage(id, utf8("ab"));
        assertThatThrownBy(() -> store.appendUpload(id, 10, state)).isInstanceOf(IOException.class);
    }

    @Test
    void manyAppendsOfAnySizeMakeOneBlob() throws Exception {
        // Chunks below and above S3's 5 MiB part minimum, in an order that leaves small remainders to merge.
        int[] sizes = {1, 3 << 20, 3 << 20, 100, 6 << 20, 0, 5 << 20, 12_345};
        int total = Arrays.stream(sizes).sum();
        byte[] content = random(total, 42);
        String id = newId();
        String state = store.createUpload(id);
        int offset = 0;
        for (int size : sizes) {
            state = append(id, offset, state, Arrays.copyOfRange(content, offset, offset + size));
            offset += size;
        }
        Digest d = Digest.sha256(content);
        store.commitUpload(id, state, d, total);
        assertThat(store.size(d)).hasValue(total);
        assertThat(readAll(store.open(d))).isEqualTo(content);
        assertThat(uploadIds()).doesNotContain(id);
    }

    @Test
    void emptyBlobsAreBlobs() throws Exception {
        Digest d = Digest.sha256(new byte[0]);
        String id = newId();
        store.commitUpload(id, store.createUpload(id), d, 0);
        assertThat(store.size(d)).hasValue(0);
        assertThat(readAll(store.open(d))).isEmpty();
        try (SeekableByteChannel in = store.open(d)) {
            assertThat(in.read(ByteBuffer.allocate(1))).isEqualTo(-1);
        }
        assertThat(listed()).extracting(BlobStore.StoredBlob::digest, BlobStore.StoredBlob::size)
                .containsExactly(tuple(d, 0L));
    }

    @Test
    void committingContentThatExistsKeepsOneCopy() throws Exception {
        byte[] content = utf8("same bytes");
        for (int i = 0; i < 3; i++) {
            commit(content);
        }
        assertThat(readAll(store.open(Digest.sha256(content)))).isEqualTo(content);
        assertThat(store.listUploads()).isEmpty();
        assertThat(listed()).hasSize(1);
    }

    @Test
    void aCommitRepeatedAfterItSucceededIsHarmless() throws Exception {
        // A request retried after its response was lost commits the same upload again.
        byte[] content = utf8("committed twice");
        Digest d = Digest.sha256(content);
        String id = newId();
        String state = stage(id, content);
        store.commitUpload(id, state, d, content.length);
        store.commitUpload(id, state, d, content.length);
        assertThat(readAll(store.open(d))).isEqualTo(content);
        assertThat(store.listUploads()).isEmpty();
    }

    @Test
    void concurrentCommitsOfTheSameContentAllSucceed() throws Exception {
        byte[] content = random(1 << 20, 7);
        runConcurrently(8, () -> commit(content));
        assertThat(readAll(store.open(Digest.sha256(content)))).isEqualTo(content);
        assertThat(listed()).hasSize(1);
        assertThat(store.listUploads()).isEmpty();
    }

    @Test
    void concurrentUploadsOfDifferentContentDoNotMix() throws Exception {
        Map<Digest, byte[]> contents = new HashMap<>();
        ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < 6; i++) {
            byte[] content = random(100_000 + i, 100 + i);
            contents.put(Digest.sha256(content), content);
            queue.add(content);
        }
        runConcurrently(6, () -> {
            byte[] content = queue.remove();
            String id = newId();
            String state = store.createUpload(id);
            int half = content.length / 2;
            state = append(id, 0, state, Arrays.copyOf(content, half));
            state = append(id, half, state, Arrays.copyOfRange(content, half, content.length));
            store.commitUpload(id, state, Digest.sha256(content), content.length);
            return null;
        });
        for (var e : contents.entrySet()) {
            assertThat(readAll(store.open(e.getKey()))).isEqualTo(e.getValue());
        }
        assertThat(listed()).extracting(BlobStore.StoredBlob::digest)
                .containsExactlyInAnyOrderElementsOf(contents.keySet());
    }

    @Test
    void anUploadWhoseDigestDidNotMatchLeavesNothing() throws Exception {
        // The store does not verify: the caller hashes, finds a mismatch, and deletes the upload instead of committing.
        byte[] content = random(70_000, 12);
        Digest claimed = Digest.sha256(utf8("what the client said it sent"));
        String id = newId();
        String state = stage(id, content);
        try (SeekableByteChannel in = store.readUpload(id, state, content.length)) {
            assertThat(Digest.sha256(readFully(in, content.length))).isNotEqualTo(claimed);
        }
        store.deleteUpload(id);
        assertThat(store.size(claimed)).isEmpty();
        assertThat(store.size(Digest.sha256(content))).isEmpty();
        assertThat(listed()).isEmpty();
        assertThat(store.listUploads()).isEmpty();
    }

    @Test
    void anUploadReadBackStillCommits() throws Exception {
        // Reading back rebuilds a lost hash, or hashes with another algorithm; a store may seal the upload to do so.
        byte[] content = random(6 << 20, 8);
        String id = newId();
        String state = stage(id, content);
        append(id, content.length, state, utf8("an interrupted append left this")); // never recorded
        byte[] staged;
        try (SeekableByteChannel in = store.readUpload(id, state, content.length)) {
            staged = readFully(in, content.length);
        }
        assertThat(staged).isEqualTo(content);
        Digest d = Digest.sha256(content);
        store.commitUpload(id, state, d, content.length);
        assertThat(readAll(store.open(d))).isEqualTo(content);
    }

    @Test
    void anUploadContinuesAfterTheStoreIsReopened() throws Exception {
        byte[] content = random((6 << 20) + 321, 13);
        int cut = (5 << 20) + 17;
        String id = newId();
        String state = stage(id, Arrays.copyOf(content, cut));
        store.close();
        store = openAgain();
        assertThat(uploadIds()).containsExactly(id);
        if (store.readsUploadsCheaply()) {
            // A restarted node rebuilds the running hash from the staged bytes.
            try (SeekableByteChannel in = store.readUpload(id, state, cut)) {
                assertThat(readFully(in, cut)).isEqualTo(Arrays.copyOf(content, cut));
            }
        }
        state = append(id, cut, state, Arrays.copyOfRange(content, cut, content.length));
        Digest d = Digest.sha256(content);
        store.commitUpload(id, state, d, content.length);
        assertThat(readAll(store.open(d))).isEqualTo(content);
    }

    @Test
    void aBlobCommittedThroughOneInstanceIsSeenByAnother() throws Exception {
        BlobStore other = reopen();
        Digest d = commit(utf8("shared"));
        assertThat(other.size(d)).hasValue(6);
        assertThat(readAll(other.open(d))).isEqualTo(utf8("shared"));
        assertThat(other.delete(d)).isTrue();
        assertThat(store.size(d)).isEmpty();
    }

    // ---- staged uploads: listing and sweeping ----

    @Test
    void abandonedUploadsAreListedAndSweptWithoutTrace() throws Exception {
        Instant before = Instant.now().minusSeconds(5); // file systems and S3 keep times to the second
        String small = newId();
        String large = newId();
        String state = stage(small, utf8("abandoned"));
        append(small, 9, state, utf8(" and an interrupted append"));
        stage(large, random((5 << 20) + 10, 14)); // a part and a tail
        List<BlobStore.StagedUpload> uploads = store.listUploads();
        assertThat(uploads).extracting(BlobStore.StagedUpload::uploadId).containsExactlyInAnyOrder(small, large);
        assertThat(uploads).allSatisfy(u -> assertThat(u.lastModified()).isBetween(before,
                Instant.now().plusSeconds(5)));
        store.deleteUpload(small);
        store.deleteUpload(large);
        store.deleteUpload(large); // idempotent
        store.deleteUpload(newId()); // never existed
        assertThat(store.listUploads()).isEmpty();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void deletedUploadsAndBlobsAreGone() throws Exception {
        byte[] content = utf8("to delete");
        Digest d = Digest.sha256(content);
        String id = newId();
        String state = stage(id, content);
        String other = newId();
        stage(other, utf8("other bytes"));
        store.deleteUpload(other);
        store.deleteUpload(other); // idempotent
        assertThat(uploadIds()).containsExactly(id);
        store.commitUpload(id, state, d, content.length);
        assertThat(store.delete(d)).isTrue();
        assertThat(store.delete(d)).isFalse();
        assertThat(store.size(d)).isEmpty();
        assertThatThrownBy(() -> store.open(d)).isInstanceOf(NoSuchFileException.class);
        assertThat(listed()).isEmpty();
    }

    @Test
    void aDeletedBlobCanBeCommittedAgain() throws Exception {
        // The collector deleted it; a client pushes the same content again.
        byte[] content = random(1000, 15);
        Digest d = commit(content);
        assertThat(store.delete(d)).isTrue();
        commit(content);
        assertThat(readAll(store.open(d))).isEqualTo(content);
    }

    // ---- reads ----

    @Test
    void aBlobCanBeReadFromAnyPosition() throws Exception {
        byte[] content = random(3 << 20, 9);
        Digest d = commit(content);
        try (SeekableByteChannel in = store.open(d)) {
            assertThat(in.size()).isEqualTo(content.length);
            for (int position : new int[] {1_000_000, 17, content.length - 5, 0}) {
                in.position(position);
                assertThat(readFully(in, 5)).isEqualTo(Arrays.copyOfRange(content, position, position + 5));
                assertThat(in.position()).isEqualTo(position + 5);
            }
        }
    }

    @Test
    void readsAtAndPastTheEndFindNothing() throws Exception {
        byte[] content = random(10_000, 10);
        Digest d = commit(content);
        try (SeekableByteChannel in = store.open(d)) {
            in.position(content.length - 3);
            ByteBuffer tail = ByteBuffer.allocate(100);
            while (in.read(tail) >= 0) {
                // up to the end, which a read reports as -1
            }
            assertThat(tail.flip().remaining()).isEqualTo(3);
            assertThat(in.read(ByteBuffer.allocate(1))).isEqualTo(-1);
            in.position(content.length + 1_000);
            assertThat(in.read(ByteBuffer.allocate(1))).isEqualTo(-1);
            assertThat(in.position()).isEqualTo(content.length + 1_000);
            in.position(0);
            assertThat(readFully(in, 10)).isEqualTo(Arrays.copyOf(content, 10));
        }
    }

    @Test
    void aReadChannelCannotWrite() throws Exception {
        Digest d = commit(utf8("read only"));
        try (SeekableByteChannel in = store.open(d)) {
            assertThatThrownBy(() -> in.write(ByteBuffer.wrap(utf8("x")))).isInstanceOf(NonWritableChannelException.class);
            assertThatThrownBy(() -> in.truncate(1)).isInstanceOf(NonWritableChannelException.class);
        }
        assertThat(readAll(store.open(d))).isEqualTo(utf8("read only"));
    }

    @Test
    void concurrentReadersOfOneBlobEachKeepTheirPosition() throws Exception {
        byte[] content = random(2 << 20, 11);
        Digest d = commit(content);
        runConcurrently(6, () -> {
            Random random = new Random();
            try (SeekableByteChannel in = store.open(d)) {
                for (int i = 0; i < 5; i++) {
                    int position = random.nextInt(content.length - 4096);
                    in.position(position);
                    assertThat(readFully(in, 4096)).isEqualTo(Arrays.copyOfRange(content, position, position + 4096));
                }
            }
            return null;
        });
    }

    @Test
    void aDirectUrlWhenOfferedServesTheBlob() throws Exception {
        byte[] content = random(1000, 6);
        Digest d = commit(content);
        URI url = store.directUrl(d).orElse(null);
        if (url != null) {
            assertThat(fetch(url)).isEqualTo(content);
        }
    }

    // ---- listing for the collector ----

    @Test
    void everyBlobIsListedOnceWithItsSizeAndTime() throws Exception {
        Instant before = Instant.now().minusSeconds(5);
        Map<Digest, Long> expected = new HashMap<>();
        List<Digest> deleted = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            byte[] content = random(i * 37, 200 + i); // includes the empty blob
            Digest d = commit(content);
            if (i % 4 == 3) {
                assertThat(store.delete(d)).isTrue();
                deleted.add(d);
            } else {
                expected.put(d, (long) content.length);
            }
        }
        stage(newId(), utf8("staged, not a blob"));
        List<BlobStore.StoredBlob> blobs = listed();
        Set<Digest> seen = new HashSet<>();
        for (BlobStore.StoredBlob blob : blobs) {
            assertThat(seen.add(blob.digest())).as("listed once: %s", blob.digest()).isTrue();
            assertThat(blob.size()).as("size of %s", blob.digest()).isEqualTo(expected.get(blob.digest()));
            assertThat(blob.lastModified()).isBetween(before, Instant.now().plusSeconds(5));
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(expected.keySet()).doesNotContainAnyElementsOf(deleted);
    }

    @Test
    void aListingDuringCommitsAndDeletesSeesWhatStayedThroughout() throws Exception {
        // The collector lists while clients push: a blob there before and after must be seen, once; others may be.
        List<Digest> stable = new ArrayList<>();
        List<Digest> leaving = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            (i % 2 == 0 ? stable : leaving).add(commit(random(100 + i, 300 + i)));
        }
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<List<Digest>> arriving = writer.submit(() -> {
                List<Digest> added = new ArrayList<>();
                for (int i = 0; i < leaving.size(); i++) {
                    added.add(commit(random(100 + i, 400 + i)));
                    store.delete(leaving.get(i));
                }
                return added;
            });
            List<Digest> seen = listed().stream().map(BlobStore.StoredBlob::digest).toList();
            List<Digest> added = arriving.get();
            assertThat(seen).doesNotHaveDuplicates().containsAll(stable);
            Set<Digest> possible = new HashSet<>(stable);
            possible.addAll(leaving);
            possible.addAll(added);
            assertThat(possible).containsAll(seen);
            assertThat(listed()).extracting(BlobStore.StoredBlob::digest).doesNotContainAnyElementsOf(leaving)
                    .containsAll(added);
        } finally {
            writer.shutdownNow();
        }
    }
}
