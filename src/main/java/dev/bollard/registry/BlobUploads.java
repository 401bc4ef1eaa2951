package dev.bollard.registry;

import dev.bollard.metadata.BlobDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.UploadDao;
import dev.bollard.metadata.UploadRow;
import dev.bollard.oci.Digest;
import dev.bollard.oci.DigestAlgorithm;
import dev.bollard.oci.ErrorCode;
import dev.bollard.oci.RepositoryName;
import dev.bollard.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blob upload sessions: bytes are hashed as they stream into the staging area, and a blob becomes visible
 * only when the digest the client names matches what arrived. The metadata row's committed size is the
 * truth about a session, so it survives restarts; the running hash is kept in memory and rebuilt from the
 * staged bytes when it is missing (after a restart, or on another node).
 */
public final class BlobUploads {

    private static final Logger LOG = LoggerFactory.getLogger(BlobUploads.class);
    /** Large reads keep per-chunk overhead (hash update, write call) small against the bytes moved. */
    static final int CHUNK = 256 * 1024;

    private final Database db;
    private final BlobStore store;
    private final Quotas quota;
    private final Map<String, RunningHash> hashes = new ConcurrentHashMap<>();
    private final ReentrantLock[] locks = new ReentrantLock[256];

    /** The sha256 state of a session after {@code size} bytes. */
    private static final class RunningHash {
        final MessageDigest sha256 = DigestAlgorithm.SHA256.newMessageDigest();
        long size;
    }

    BlobUploads(Database db, BlobStore store, Quotas quota) {
        this.db = db;
        this.store = store;
        this.quota = quota;
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    private ReentrantLock lockOf(String uploadId) {
        return locks[Math.floorMod(uploadId.hashCode(), locks.length)];
    }

    /** Opens a session, creating the repository when it is new. */
    public UploadStatus start(RepositoryName repository) {
        String id = UUID.randomUUID().toString();
        try {
            store.createUpload(id);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        db.inTransaction(h -> {
            UploadDao.insert(h, id, RepositoryDao.findOrCreate(h, repository.value()));
            return null;
        });
        hashes.put(id, new RunningHash());
        return new UploadStatus(repository.value(), id, 0);
    }

    public UploadStatus status(RepositoryName repository, String uploadId) {
        UploadRow row = find(repository, uploadId);
        return new UploadStatus(repository.value(), uploadId, row.committedSize());
    }

    /**
     * Appends a chunk. {@code start}, when given (from Content-Range), must equal the bytes received so far;
     * {@code length}, when given (Content-Length), must equal the bytes the body holds.
     */
    public UploadStatus append(RepositoryName repository, String uploadId, InputStream body, Long start, Long length) {
        ReentrantLock lock = lockOf(uploadId);
        lock.lock();
        try {
            UploadRow row = find(repository, uploadId);
            if (start != null && start != row.committedSize()) {
                throw new RegistryException.OutOfOrderChunk(
                        new UploadStatus(repository.value(), uploadId, row.committedSize()), start);
            }
            if (length != null) {
                quota.check(repository, null, row.committedSize() + length);
            }
            long size = appendLocked(row, body, length, true);
            return new UploadStatus(repository.value(), uploadId, size);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the session with a final (possibly empty) chunk. The blob becomes visible in the repository only
     * when {@code expected} matches the bytes received; otherwise the session is dropped with DIGEST_INVALID.
     */
    public BlobInfo complete(RepositoryName repository, String uploadId, Digest expected, InputStream body,
                             Long length) {
        ReentrantLock lock = lockOf(uploadId);
        lock.lock();
        try {
            UploadRow row = find(repository, uploadId);
            if (length != null) {
                quota.check(repository, expected, row.committedSize() + length);
            }
            // The final chunk's size is not recorded: the session ends in this call, as a blob or discarded.
            long size = appendLocked(row, body, length, false);
            Digest actual = digestOf(uploadId, size, expected.algorithm());
            if (!actual.equals(expected)) {
                discard(uploadId);
                throw new RegistryException(ErrorCode.DIGEST_INVALID, "the uploaded content has digest " + actual
                        + ", not " + expected + " (" + size + " bytes received)",
                        Map.of("expected", expected.toString(), "actual", actual.toString(), "size", size));
            }
            try {
                quota.check(repository, expected, size);
            } catch (RegistryException e) {
                discard(uploadId);
                throw e;
            }
            // Take the blob back from the collector first (see BlobDao.reclaimForUpload): the store drops the staged
            // copy when the blob's file exists, so that file must not be deleted under this upload.
            db.inTransaction(h -> {
                BlobDao.reclaimForUpload(h, expected.toString(), size);
                return null;
            });
            try {
                store.commitUpload(uploadId, expected, size);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            db.inTransaction(h -> {
                Optional<String> state = BlobDao.lock(h, expected.toString());
                if (!state.equals(Optional.of("live"))) {
                    // Not recorded, or marked again by the collector (a commit slower than the grace period): with
                    // the row locked (or absent) no collector deletes these bytes now; record them only if stored.
                    requireStored(expected, size);
                }
                BlobDao.recordLive(h, expected.toString(), size, state.isPresent());
                BlobDao.link(h, row.repositoryId(), expected.toString());
                UploadDao.delete(h, uploadId);
                return null;
            });
            hashes.remove(uploadId);
            return new BlobInfo(expected, size);
        } finally {
            lock.unlock();
        }
    }

    /** A whole blob in one request: a session opened and closed at once. */
    public BlobInfo uploadWhole(RepositoryName repository, Digest expected, InputStream body, Long length) {
        if (length != null) {
            quota.check(repository, expected, length);
        }
        UploadStatus session = start(repository);
        try {
            return complete(repository, session.uploadId(), expected, body, length);
        } catch (RuntimeException e) {
            cancelQuietly(session.uploadId());
            throw e;
        }
    }

    /**
     * Links a blob of {@code from} into {@code repository} without moving bytes; empty when {@code from} does
     * not hold it (the caller then opens a session instead).
     */
    public Optional<BlobInfo> mount(RepositoryName repository, Digest digest, RepositoryName from) {
        var known = db.read(h -> BlobDao.linkedSize(h, from.value(), digest.toString()));
        if (known.isEmpty()) {
            return Optional.empty();
        }
        quota.check(repository, digest, known.getAsLong());
        return db.inTransaction(h -> {
            // The blob's row first (as every path that links a blob): a blob the collector is deleting is not mounted.
            if (!BlobDao.lockLive(h, digest.toString())) {
                return Optional.empty();
            }
            var size = BlobDao.linkedSize(h, from.value(), digest.toString());
            if (size.isEmpty()) {
                return Optional.empty();
            }
            BlobDao.link(h, RepositoryDao.findOrCreate(h, repository.value()), digest.toString());
            return Optional.of(new BlobInfo(digest, size.getAsLong()));
        });
    }

    public void cancel(RepositoryName repository, String uploadId) {
        ReentrantLock lock = lockOf(uploadId);
        lock.lock();
        try {
            find(repository, uploadId);
            discard(uploadId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Deletes sessions idle since {@code cutoff}, and staged bytes that no session owns and that were not written
     * since then. Returns the number of sessions deleted.
     */
    public int expireIdle(Instant cutoff) {
        int expired = 0;
        for (String id : db.read(h -> UploadDao.idleSince(h, cutoff))) {
            ReentrantLock lock = lockOf(id);
            lock.lock();
            try {
                discard(id);
                expired++;
            } finally {
                lock.unlock();
            }
        }
        try {
            for (BlobStore.StagedUpload staged : store.listUploads()) {
                if (staged.lastModified().isBefore(cutoff) && !db.read(h -> UploadDao.exists(h, staged.uploadId()))) {
                    store.deleteUpload(staged.uploadId());
                }
            }
        } catch (IOException e) {
            LOG.warn("could not sweep staged uploads: {}", e.toString());
        }
        return expired;
    }

    private void requireStored(Digest digest, long size) {
        try {
            if (store.size(digest).orElse(-1) != size) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "blob " + digest + " was reclaimed by garbage "
                        + "collection while this upload was being committed; upload it again");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private UploadRow find(RepositoryName repository, String uploadId) {
        return db.read(h -> UploadDao.find(h, repository.value(), uploadId)).orElseThrow(() -> new RegistryException(
                ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload " + uploadId + " is not known in " + repository
                + " (never started, finished, cancelled or expired)"));
    }

    /**
     * Streams {@code body} into the staging area after the committed bytes; returns the new size, which becomes the
     * session's committed size when {@code record} is set.
     */
    private long appendLocked(UploadRow row, InputStream body, Long length, boolean record) {
        String id = row.id();
        long offset = row.committedSize();
        RunningHash hash = runningHash(id, offset);
        long written;
        try (WritableByteChannel out = store.appendUpload(id, offset)) {
            written = copyHashing(body, out, hash.sha256);
        } catch (IOException e) {
            hashes.remove(id); // the hash has seen bytes that will not be committed
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            hashes.remove(id);
            throw e;
        }
        if (length != null && written != length) {
            hashes.remove(id);
            throw new RegistryException(ErrorCode.SIZE_INVALID,
                    "received " + written + " bytes but the request announced " + length);
        }
        if (written == 0) {
            hashes.put(id, hash); // an empty PATCH or final PUT (docker's way) must not cost a re-hash
            return offset;
        }
        long size = offset + written;
        if (record) {
            db.inTransaction(h -> {
                UploadDao.updateSize(h, id, size);
                return null;
            });
        }
        hash.size = size;
        hashes.put(id, hash);
        return size;
    }

    /**
     * Copies the body to {@code out} and into {@code sha256}; returns the bytes copied. A body of one piece is hashed
     * in place; a longer one is hashed on a second thread while this one reads and writes the next pieces, because
     * hashing alone takes about as long as receiving and writing (docs/benchmarks.md, finding 3).
     */
    private static long copyHashing(InputStream body, WritableByteChannel out, MessageDigest sha256)
            throws IOException {
        byte[] first = new byte[CHUNK];
        int n = readBody(body, first);
        if (n <= 0) {
            return 0;
        }
        if (n < CHUNK) {
            sha256.update(first, 0, n);
            writeFully(out, first, n);
            return n;
        }
        try (PipelinedHash pipeline = new PipelinedHash(sha256, first)) {
            long written = 0;
            byte[] piece = first;
            while (n > 0) {
                pipeline.hash(piece, n);
                writeFully(out, piece, n);
                written += n;
                if (n < CHUNK) {
                    break;
                }
                piece = pipeline.freePiece();
                n = readBody(body, piece);
            }
            pipeline.finish();
            return written;
        }
    }

    private static void writeFully(WritableByteChannel out, byte[] piece, int n) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(piece, 0, n);
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** Reads the next piece of a request body; a body that breaks off is the client's error, not the registry's. */
    private static int readBody(InputStream body, byte[] buffer) {
        try {
            return body.readNBytes(buffer, 0, buffer.length);
        } catch (IOException | RuntimeException e) {
            throw BodyReading.incomplete(e);
        }
    }

    /** The running sha256 at {@code size} bytes: the cached one, or one rebuilt from the staged bytes. */
    private RunningHash runningHash(String uploadId, long size) {
        RunningHash cached = hashes.remove(uploadId);
        if (cached != null && cached.size == size) {
            return cached;
        }
        RunningHash rebuilt = new RunningHash();
        hashStaged(uploadId, size, rebuilt.sha256);
        rebuilt.size = size;
        return rebuilt;
    }

    private Digest digestOf(String uploadId, long size, DigestAlgorithm algorithm) {
        if (algorithm == DigestAlgorithm.SHA256) {
            RunningHash hash = runningHash(uploadId, size);
            try {
                return Digest.of(algorithm, ((MessageDigest) hash.sha256.clone()).digest());
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            } finally {
                hashes.put(uploadId, hash);
            }
        }
        MessageDigest md = algorithm.newMessageDigest();
        hashStaged(uploadId, size, md);
        return Digest.of(algorithm, md.digest());
    }

    private void hashStaged(String uploadId, long size, MessageDigest md) {
        try (SeekableByteChannel in = store.readUpload(uploadId)) {
            ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
            long remaining = size;
            while (remaining > 0) {
                buffer.clear().limit((int) Math.min(CHUNK, remaining));
                int n = in.read(buffer);
                if (n < 0) {
                    throw new IOException("upload " + uploadId + " holds fewer bytes than the " + size + " recorded");
                }
                buffer.flip();
                md.update(buffer);
                remaining -= n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void discard(String uploadId) {
        hashes.remove(uploadId);
        db.inTransaction(h -> UploadDao.delete(h, uploadId));
        try {
            store.deleteUpload(uploadId);
        } catch (IOException e) {
            LOG.warn("could not delete staged upload {}: {}", uploadId, e.toString());
        }
    }

    private void cancelQuietly(String uploadId) {
        try {
            discard(uploadId);
        } catch (RuntimeException e) {
            LOG.warn("could not cancel upload {}: {}", uploadId, e.toString());
        }
    }
}
