package dev.bollard.registry;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.metadata.BlobDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.UploadDao;
import dev.bollard.metadata.UploadRow;
import dev.bollard.oci.Digest;
import dev.bollard.oci.DigestAlgorithm;
import dev.bollard.oci.RepositoryName;
import dev.bollard.storage.BlobStore;
import dev.bollard.storage.StagedBytesLostException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blob upload sessions: bytes are hashed as they stream into the staging area, and a blob becomes visible
 * only when the digest the client names matches what arrived. The metadata row is the truth about a session —
 * its committed size, the store's state of the staged bytes and, where the store's staged bytes are not cheaply
 * readable (S3), the running hash's state — so a session survives restarts and continues on any node. With a store
 * that stages to local files the running hash is kept in memory and rebuilt from the staged bytes when it is
 * missing (after a restart). See {@link RunningHash}.
 */
public final class BlobUploads {

    private static final Logger LOG = LoggerFactory.getLogger(BlobUploads.class);
    /** Large reads keep per-chunk overhead (hash update, write call) small against the bytes moved. */
    static final int CHUNK = 256 * 1024;
    /** How long a session may sit idle before it is expired to make room in a repository at its session limit. */
    static final Duration IDLE_UNDER_PRESSURE = Duration.ofMinutes(15);

    private final Database db;
    private final BlobStore store;
    private final Quotas quota;
    private final int maxOpenPerRepository;
    /** Running hashes of a store that stages locally, by upload id; unused otherwise. */
    private final Map<String, RunningHash> hashes = new ConcurrentHashMap<>();
    private final ReentrantLock[] locks = new ReentrantLock[256];

    BlobUploads(Database db, BlobStore store, Quotas quota, int maxOpenPerRepository) {
        this.db = db;
        this.store = store;
        this.quota = quota;
        this.maxOpenPerRepository = maxOpenPerRepository;
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /** Serializes requests of one session within this node; across nodes the committed size decides (see advance). */
    private ReentrantLock lockOf(String uploadId) {
        return locks[Math.floorMod(uploadId.hashCode(), locks.length)];
    }

    /**
     * Opens a session, creating the repository when it is new. A repository with {@code maxOpenPerRepository}
     * unfinished sessions gets no more ({@code 429}): first, its sessions idle for {@link #IDLE_UNDER_PRESSURE} are
     * expired, not after {@code uploads.expiry}. Concurrent starts may pass the limit by the few racing.
     */
    public UploadStatus start(RepositoryName repository) {
        makeRoomFor(repository);
        String id = UUID.randomUUID().toString();
        String state;
        try {
            state = store.createUpload(id);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        db.inTransaction(h -> {
            UploadDao.insert(h, id, RepositoryDao.findOrCreate(h, repository.value()), state);
            return null;
        });
        if (store.readsUploadsCheaply()) {
            hashes.put(id, RunningHash.local());
        }
        return new UploadStatus(repository.value(), id, 0);
    }

    private void makeRoomFor(RepositoryName repository) {
        if (db.read(h -> UploadDao.countOpen(h, repository.value())) < maxOpenPerRepository) {
            return;
        }
        int expired = discardAll(db.read(h -> UploadDao.idleInRepository(h, repository.value(),
                Instant.now().minus(IDLE_UNDER_PRESSURE))));
        int open = db.read(h -> UploadDao.countOpen(h, repository.value()));
        if (expired > 0) {
            LOG.info("expired {} upload session(s) of {} idle for {} to make room (it had {} open)", expired,
                    repository, IDLE_UNDER_PRESSURE, open + expired);
        }
        if (open >= maxOpenPerRepository) {
            throw BollardException.throttled(ErrorCode.TOO_MANY_REQUESTS, "repository " + repository + " has " + open
                    + " unfinished upload sessions, the most registry.max-open-uploads-per-repository allows: finish "
                    + "or cancel some, or retry once idle ones expired", IDLE_UNDER_PRESSURE.toSeconds());
        }
    }

    public UploadStatus status(RepositoryName repository, String uploadId) {
        UploadRow row = find(repository, uploadId);
        return new UploadStatus(repository.value(), uploadId, row.committedSize());
    }

    /**
     * Appends a chunk. {@code start}, when given (from Content-Range), must equal the bytes received so far;
     * {@code length}, when given (Content-Length), must equal the bytes the body holds.
     */
    public UploadStatus append(RepositoryName repository, String uploadId, InputStream body, @Nullable Long start,
                               @Nullable Long length) {
        ReentrantLock lock = lockOf(uploadId);
        lock.lock();
        try {
            UploadRow row = find(repository, uploadId);
            if (start != null && start != row.committedSize()) {
                throw new OutOfOrderChunk(
                        new UploadStatus(repository.value(), uploadId, row.committedSize()), start);
            }
            if (length != null) {
                quota.check(repository, null, row.committedSize() + length, uploadId);
            }
            UploadRow after = appendLocked(repository, row, body, length, true);
            if (length == null) {
                // A chunk of unannounced size is checked once received: past the quota, the session goes with it.
                try {
                    quota.check(repository, null, after.committedSize(), uploadId);
                } catch (BollardException e) {
                    discard(uploadId);
                    throw e;
                }
            }
            return new UploadStatus(repository.value(), uploadId, after.committedSize());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the session with a final (possibly empty) chunk. The blob becomes visible in the repository only
     * when {@code expected} matches the bytes received; otherwise the session is dropped with DIGEST_INVALID.
     */
    public BlobInfo complete(RepositoryName repository, String uploadId, Digest expected, InputStream body,
                             @Nullable Long length) {
        ReentrantLock lock = lockOf(uploadId);
        lock.lock();
        try {
            UploadRow before = find(repository, uploadId);
            if (length != null) {
                quota.check(repository, expected, before.committedSize() + length, uploadId);
            }
            // The final chunk's size is not recorded: the session ends in this call, as a blob or discarded.
            UploadRow row = appendLocked(repository, before, body, length, false);
            long size = row.committedSize();
            Digest actual;
            try {
                actual = digestOf(row, expected.algorithm());
            } catch (UncheckedIOException e) {
                // An UncheckedIOException always has its cause (its constructor requires one).
                throw lostOrFailed(uploadId, Objects.requireNonNull(e.getCause()));
            }
            if (!actual.equals(expected)) {
                discard(uploadId);
                throw new BollardException(ErrorCode.DIGEST_INVALID, "the uploaded content has digest " + actual
                        + ", not " + expected + " (" + size + " bytes received)",
                        Map.of("expected", expected.toString(), "actual", actual.toString(), "size", size));
            }
            try {
                quota.check(repository, expected, size, uploadId);
            } catch (BollardException e) {
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
                store.commitUpload(uploadId, row.storeState(), expected, size);
            } catch (IOException e) {
                throw lostOrFailed(uploadId, e);
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

    /**
     * The exception for a store failure while completing: a session whose staged bytes a racing request of its own
     * replaced is the client's error and is dropped; anything else is the store's.
     */
    private RuntimeException lostOrFailed(String uploadId, IOException e) {
        if (e instanceof StagedBytesLostException) {
            discard(uploadId);
            return new BollardException(ErrorCode.BLOB_UPLOAD_INVALID, "the upload's bytes were replaced by another "
                    + "request of the same session, sent while this one ran; upload the blob again");
        }
        return new UncheckedIOException(e);
    }

    /** A whole blob in one request: a session opened and closed at once. */
    public BlobInfo uploadWhole(RepositoryName repository, Digest expected, InputStream body,
                                @Nullable Long length) {
        if (length != null) {
            quota.check(repository, expected, length, "");
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
     * True when a session's staged bytes can be read while it is open, cheaply (a local file): a proxied blob's
     * clients then read them there as they arrive instead of from a second copy (ProxyCache).
     */
    public boolean readsStagedCheaply() {
        return store.readsUploadsCheaply();
    }

    /**
     * The staged bytes of an open session, from its start, as they are now and as they grow (with a store that
     * {@link #readsStagedCheaply reads them cheaply}). They are not verified: callers must not hand them out as a blob
     * before the session completed. NoSuchFileException once the session completed or was discarded.
     */
    public SeekableByteChannel openStaged(String uploadId) throws IOException {
        return store.readUpload(uploadId, "", 0);
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
        quota.check(repository, digest, known.getAsLong(), "");
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
     * The upload sessions open now (in progress, or interrupted and resumable): how many, the bytes they hold (staged
     * bytes of an interrupted request count, more than the session's committed size), and when the first and the
     * last of them expires if nobody resumes it (idle for {@code expiry}); {@code expirable}: those that expired
     * already and the next sweep deletes.
     */
    public record OpenSessions(int sessions, long bytes, int expirable, @Nullable Instant firstExpiry,
                               @Nullable Instant lastExpiry) {
    }

    /** The sessions open now, as {@link OpenSessions} describes them, for sessions expiring after {@code expiry}. */
    public OpenSessions open(Duration expiry) {
        Map<String, Long> staged = new HashMap<>();
        try {
            store.listUploads().forEach(s -> staged.put(s.uploadId(), s.size()));
        } catch (IOException e) {
            LOG.warn("could not list staged uploads: {}", e.toString());
        }
        Instant now = Instant.now();
        long bytes = 0;
        int expirable = 0;
        Instant first = null;
        Instant last = null;
        List<UploadRow> rows = db.read(UploadDao::all);
        for (UploadRow row : rows) {
            bytes += Math.max(row.committedSize(), staged.getOrDefault(row.id(), 0L));
            Instant expires = row.updatedAt().plus(expiry);
            if (!expires.isAfter(now)) {
                expirable++;
            }
            first = first == null || expires.isBefore(first) ? expires : first;
            last = last == null || expires.isAfter(last) ? expires : last;
        }
        return new OpenSessions(rows.size(), bytes, expirable, first, last);
    }

    /**
     * Deletes sessions idle since {@code cutoff}, and staged bytes that no session owns and that were not written
     * since then. Returns the number of sessions deleted.
     */
    public int expireIdle(Instant cutoff) {
        int expired = discardAll(db.read(h -> UploadDao.idleSince(h, cutoff)));
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
                throw new BollardException(ErrorCode.BLOB_UPLOAD_INVALID, "blob " + digest + " was reclaimed by garbage "
                        + "collection while this upload was being committed; upload it again");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private UploadRow find(RepositoryName repository, String uploadId) {
        return db.read(h -> UploadDao.find(h, repository.value(), uploadId)).orElseThrow(() -> new BollardException(
                ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload " + uploadId + " is not known in " + repository
                + " (never started, finished, cancelled or expired)"));
    }

    /**
     * Streams {@code body} into the staging area after the committed bytes; returns the session as it is afterwards.
     * With {@code record} the new size is committed with the states that describe it; without, only the returned row
     * holds them (the final chunk, whose session ends in the same call).
     */
    private UploadRow appendLocked(RepositoryName repository, UploadRow row, InputStream body, @Nullable Long length,
                                   boolean record) {
        String id = row.id();
        long offset = row.committedSize();
        RunningHash hash = runningHash(row);
        long written;
        BlobStore.Append out = null;
        try (BlobStore.Append append = store.appendUpload(id, offset, row.storeState())) {
            out = append;
            written = copyHashing(body, append, hash);
        } catch (IOException e) {
            hashes.remove(id); // the hash has seen bytes that will not be committed
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            hashes.remove(id);
            throw e;
        }
        if (length != null && written != length) {
            hashes.remove(id);
            throw new BollardException(ErrorCode.SIZE_INVALID,
                    "received " + written + " bytes but the request announced " + length);
        }
        if (written == 0) {
            if (store.readsUploadsCheaply()) {
                hashes.put(id, hash); // an empty PATCH or final PUT (docker's way) must not cost a re-hash
            }
            return row;
        }
        long size = offset + written;
        hash.size = size;
        String storeState = out.state();
        String hashState = hash.state();
        boolean advanced = !record
                || db.inTransaction(h -> UploadDao.advance(h, id, offset, size, storeState, hashState));
        if (!advanced) {
            // Another request of this session (on another node) committed bytes first: ours are discarded.
            hashes.remove(id);
            UploadRow now = find(repository, id);
            throw new OutOfOrderChunk(
                    new UploadStatus(repository.value(), id, now.committedSize()), offset);
        }
        if (store.readsUploadsCheaply()) {
            hashes.put(id, hash);
        }
        return new UploadRow(id, row.repositoryId(), size, row.createdAt(), Instant.now(), storeState, hashState);
    }

    /**
     * Copies the body to {@code out} and into {@code sha256}; returns the bytes copied. A body of one piece is hashed
     * in place; a longer one is hashed on a second thread while this one reads and writes the next pieces, because
     * hashing alone takes about as long as receiving and writing (docs/benchmarks.md, finding 3).
     */
    private static long copyHashing(InputStream body, WritableByteChannel out, RunningHash sha256)
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

    /**
     * The running sha256 of a session as its row describes it: the saved state where the store is remote, otherwise
     * the one cached in memory or one rebuilt from the staged bytes.
     */
    private RunningHash runningHash(UploadRow row) {
        long size = row.committedSize();
        if (!store.readsUploadsCheaply()) {
            if (size == 0) {
                return RunningHash.resumable();
            }
            if (row.hashState() == null) {
                throw new IllegalStateException("upload " + row.id() + " has " + size
                        + " bytes but no saved hash state");
            }
            return RunningHash.resume(row.hashState(), size);
        }
        RunningHash cached = hashes.remove(row.id());
        if (cached != null && cached.size == size) {
            return cached;
        }
        RunningHash rebuilt = RunningHash.local();
        hashStaged(row, b -> rebuilt.update(b.array(), b.arrayOffset() + b.position(), b.remaining()));
        rebuilt.size = size;
        return rebuilt;
    }

    private Digest digestOf(UploadRow row, DigestAlgorithm algorithm) {
        if (algorithm == DigestAlgorithm.SHA256) {
            RunningHash hash = runningHash(row);
            if (store.readsUploadsCheaply()) {
                hashes.put(row.id(), hash);
            }
            return hash.digest();
        }
        MessageDigest md = algorithm.newMessageDigest();
        hashStaged(row, md::update);
        return Digest.of(algorithm, md.digest());
    }

    /** Feeds the session's committed bytes, read back from the store, to {@code sink}. */
    private void hashStaged(UploadRow row, Consumer<ByteBuffer> sink) {
        long size = row.committedSize();
        try (SeekableByteChannel in = store.readUpload(row.id(), row.storeState(), size)) {
            ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
            long remaining = size;
            while (remaining > 0) {
                buffer.clear().limit((int) Math.min(CHUNK, remaining));
                int n = in.read(buffer);
                if (n < 0) {
                    throw new IOException("upload " + row.id() + " holds fewer bytes than the " + size + " recorded");
                }
                buffer.flip();
                sink.accept(buffer);
                remaining -= n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Discards the sessions, each under its lock; returns how many. */
    private int discardAll(List<String> uploadIds) {
        for (String id : uploadIds) {
            ReentrantLock lock = lockOf(id);
            lock.lock();
            try {
                discard(id);
            } finally {
                lock.unlock();
            }
        }
        return uploadIds.size();
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
