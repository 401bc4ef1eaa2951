package dev.bollard.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.config.BollardConfig;
import dev.bollard.json.Json;
import dev.bollard.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, …): {@code <prefix>blobs/<algorithm>/<xx>/<hex>}.
 * <p>
 * An upload streams into a multipart upload at {@code <prefix>uploads/<id>/data}. S3 wants every part but the last
 * to hold at least 5 MiB, and clients send chunks of any size, so bytes collect in a local buffer file (never the
 * heap) until a part is full; what is left when a request ends, if below 5 MiB, goes to a small <em>tail</em>
 * object that the next append, on any node, takes back into its buffer. The upload's state — the multipart upload,
 * its parts with their ETags, the tail — is kept by the caller with the session's metadata, so the committed size
 * always names exactly the parts that hold it; parts and tails an interrupted append left behind are overwritten or
 * swept. Commit completes the multipart upload at the staging key and copies it server-side to the blob's key (a
 * multipart copy for objects above 5 GiB), so a blob appears whole or not at all.
 * <p>
 * Staged parts cannot be read before completion, so the running hash is not rebuilt from them
 * ({@link #readsUploadsCheaply()} is false); reading an upload back (for a digest other than SHA-256) seals it.
 */
public final class S3BlobStore implements BlobStore {

    /** S3's smallest part but the last. */
    static final long MIN_PART = 5L << 20;
    /** S3's largest part. */
    static final long MAX_PART = 5L << 30;
    /** S3's largest single-request copy. */
    static final long MAX_COPY = 5L << 30;
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final int READ_CHUNK = 128 * 1024;
    /** Part uploads run on virtual threads: blocking I/O, one per append at a time. */
    private static final Executor PART_SENDERS = task -> Thread.ofVirtual().name("bollard-s3-part").start(task);

    private final S3Client s3;
    private final @Nullable S3Presigner presigner;
    private final String bucket;
    private final String prefix;
    private final Path buffers;
    private final long partSize;
    private final long copyLimit;
    private final long copyPartSize;
    private final Duration redirectExpiry;

    S3BlobStore(S3Client s3, @Nullable S3Presigner presigner, String bucket, String prefix, Path buffers, long partSize,
                long copyLimit, long copyPartSize, Duration redirectExpiry) throws IOException {
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
        this.prefix = prefix;
        this.buffers = Files.createDirectories(buffers);
        removeAbandonedBuffers(this.buffers);
        this.partSize = partSize;
        this.copyLimit = copyLimit;
        this.copyPartSize = copyPartSize;
        this.redirectExpiry = redirectExpiry;
    }

    /** A store for {@code config}; part buffers are local files in {@code buffers}. */
    public static S3BlobStore open(BollardConfig.S3 config, Path buffers) throws IOException {
        AwsCredentialsProvider credentials = config.accessKey().isEmpty()
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(config.accessKey(), config.secretKey()));
        Region region = Region.of(config.region());
        var clientBuilder = S3Client.builder()
                .region(region)
                .credentialsProvider(credentials)
                .forcePathStyle(config.pathStyle())
                .httpClientBuilder(Apache5HttpClient.builder().maxConnections(config.maxConnections()));
        S3Presigner presigner = null;
        if (config.redirect()) {
            var presignerBuilder = S3Presigner.builder().region(region).credentialsProvider(credentials)
                    .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(config.pathStyle()).build());
            if (!config.endpoint().isEmpty()) {
                presignerBuilder.endpointOverride(URI.create(config.endpoint()));
            }
            presigner = presignerBuilder.build();
        }
        if (!config.endpoint().isEmpty()) {
            clientBuilder.endpointOverride(URI.create(config.endpoint()));
        }
        return new S3BlobStore(clientBuilder.build(), presigner, config.bucket(), config.prefix(), buffers,
                config.partSize(), MAX_COPY, 1L << 30, config.redirectExpiry());
    }

    /** Part buffers of appends that a crash cut off: an hour old, none of them is still being written. */
    private static void removeAbandonedBuffers(Path buffers) throws IOException {
        Instant cutoff = Instant.now().minus(Duration.ofHours(1));
        try (var files = Files.newDirectoryStream(buffers, "*.part")) {
            for (Path file : files) {
                try {
                    if (Files.getLastModifiedTime(file).toInstant().isBefore(cutoff)) {
                        Files.deleteIfExists(file);
                    }
                } catch (NoSuchFileException e) {
                    // gone meanwhile
                }
            }
        }
    }

    /**
     * The size of the next part after {@code parts} parts: the configured size for the first 1,000 parts, then one
     * more configured size every 1,000 parts, so that S3's 10,000 parts hold 55 × 1,000 configured sizes (880 GiB at
     * 16 MiB) instead of 10 × 1,000, while small blobs keep small parts.
     */
    long partSizeAfter(int parts) {
        return Math.min(MAX_PART, partSize * (1 + parts / 1000));
    }

    // ---- keys ----

    String blobKey(Digest digest) {
        return prefix + "blobs/" + digest.algorithm().prefix() + "/" + digest.hex().substring(0, 2) + "/" + digest.hex();
    }

    private String uploadsPrefix() {
        return prefix + "uploads/";
    }

    private String uploadPrefix(String uploadId) {
        if (!uploadId.matches("[a-zA-Z0-9-]{1,64}")) {
            throw new IllegalArgumentException("invalid upload id");
        }
        return uploadsPrefix() + uploadId + "/";
    }

    private String dataKey(String uploadId) {
        return uploadPrefix(uploadId) + "data";
    }

    // ---- blobs ----

    @Override
    public boolean isReachable() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
            return true;
        } catch (SdkException e) {
            return false;
        }
    }

    @Override
    public OptionalLong size(Digest digest) throws IOException {
        return objectSize(blobKey(digest));
    }

    private OptionalLong objectSize(String key) throws IOException {
        try {
            return OptionalLong.of(s3.headObject(b -> b.bucket(bucket).key(key)).contentLength());
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return OptionalLong.empty();
            }
            throw io("HEAD " + key, e);
        } catch (SdkException e) {
            throw io("HEAD " + key, e);
        }
    }

    @Override
    public SeekableByteChannel open(Digest digest) throws IOException {
        return new ObjectChannel(blobKey(digest));
    }

    @Override
    public Optional<URI> directUrl(Digest digest) {
        if (presigner == null) {
            return Optional.empty();
        }
        String key = blobKey(digest);
        try {
            return Optional.of(presigner.presignGetObject(p -> p.signatureDuration(redirectExpiry)
                    .getObjectRequest(g -> g.bucket(bucket).key(key))).url().toURI());
        } catch (URISyntaxException | SdkException e) {
            return Optional.empty(); // the registry streams the blob itself
        }
    }

    @Override
    public boolean delete(Digest digest) throws IOException {
        String key = blobKey(digest);
        if (objectSize(key).isEmpty()) {
            return false;
        }
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (SdkException e) {
            throw io("DELETE " + key, e);
        }
    }

    /** Lists {@code <prefix>blobs/}: every object whose key is a blob's key, with its size and when it was written. */
    @Override
    public void listBlobs(Consumer<StoredBlob> each) throws IOException {
        String blobs = prefix + "blobs/";
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(blobs)).contents()) {
                String[] parts = o.key().substring(blobs.length()).split("/", -1);
                if (parts.length != 3) {
                    continue;
                }
                Digest digest;
                try {
                    digest = Digest.parse(parts[0] + ":" + parts[2]);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (blobKey(digest).equals(o.key())) {
                    each.accept(new StoredBlob(digest, o.size(), o.lastModified()));
                }
            }
        } catch (SdkException e) {
            throw io("listing blobs", e);
        }
    }

    // ---- uploads ----

    /** Nothing is written to S3 until bytes arrive: a multipart upload is started with the first full part. */
    @Override
    public String createUpload(String uploadId) {
        uploadPrefix(uploadId);
        return UploadState.EMPTY.encode();
    }

    @Override
    public Append appendUpload(String uploadId, long offset, String state) throws IOException {
        UploadState current = UploadState.decode(state);
        long inParts = current.partsSize();
        if (offset > current.size()) {
            throw new IOException("upload " + uploadId + " holds " + current.size() + " bytes, fewer than the "
                    + offset + " recorded");
        }
        if (offset < inParts) {
            throw new IOException("upload " + uploadId + " cannot be cut back to " + offset
                    + " bytes: its parts hold " + inParts);
        }
        Path file = Files.createTempFile(buffers, uploadId + "-", ".part");
        FileChannel buffer = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long tailBytes = offset - inParts;
            if (tailBytes > 0) {
                copyObjectToFile(Objects.requireNonNull(current.tailKey(), "an upload with tail bytes has a tail"),
                        tailBytes, buffer);
            }
        } catch (IOException | RuntimeException e) {
            buffer.close();
            Files.deleteIfExists(file);
            throw e;
        }
        return new S3Append(uploadId, current, file, buffer);
    }

    private void copyObjectToFile(String key, long length, FileChannel target) throws IOException {
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(key)
                .range("bytes=0-" + (length - 1)))) {
            byte[] chunk = new byte[READ_CHUNK];
            long copied = 0;
            int n;
            while (copied < length && (n = in.read(chunk, 0, (int) Math.min(chunk.length, length - copied))) > 0) {
                ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
                while (b.hasRemaining()) {
                    target.write(b);
                }
                copied += n;
            }
            if (copied != length) {
                throw new IOException(key + " holds " + copied + " bytes, fewer than the " + length + " recorded");
            }
        } catch (SdkException e) {
            throw io("GET " + key, e);
        }
    }

    /**
     * One append: bytes collect in a local file; each full part goes to the multipart upload from a second thread
     * while the next part collects in a new file, so that receiving from the client and sending to S3 overlap (at most
     * one part in flight, so at most two part files per append on disk).
     */
    private final class S3Append implements Append {
        private final String uploadId;
        private final UploadState start;
        private final List<UploadState.Part> parts;
        private Path file;
        private FileChannel buffer;
        private boolean written;
        private @Nullable String multipartId;
        private @Nullable CompletableFuture<UploadState.Part> inFlight;
        private @Nullable Path inFlightFile;
        private @Nullable String newState;
        private boolean closed;

        S3Append(String uploadId, UploadState start, Path file, FileChannel buffer) {
            this.uploadId = uploadId;
            this.start = start;
            this.multipartId = start.multipartId();
            this.parts = new ArrayList<>(start.parts());
            this.file = file;
            this.buffer = buffer;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = 0;
            while (src.hasRemaining()) {
                n += buffer.write(src);
            }
            written |= n > 0;
            if (buffer.size() >= partSizeAfter(parts.size() + (inFlight == null ? 0 : 1))) {
                sendBufferAsPart();
            }
            return n;
        }

        /** Hands the full buffer to a part upload on another thread and starts a new buffer. */
        private void sendBufferAsPart() throws IOException {
            awaitPartInFlight();
            String key = dataKey(uploadId);
            if (multipartId == null) {
                try {
                    multipartId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
                } catch (SdkException e) {
                    throw io("starting the multipart upload " + key, e);
                }
            }
            int number = parts.size() + 1; // replaces a part an interrupted append may have left under this number
            long length = buffer.size();
            Path sending = file;
            String target = multipartId;
            buffer.close();
            inFlightFile = sending;
            inFlight = CompletableFuture.supplyAsync(() -> uploadPart(key, target, number, sending, length),
                    PART_SENDERS);
            file = Files.createTempFile(buffers, uploadId + "-", ".part");
            buffer = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }

        private UploadState.Part uploadPart(String key, String target, int number, Path from, long length) {
            try {
                String eTag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(target).partNumber(number)
                        .contentLength(length), RequestBody.fromFile(from)).eTag();
                return new UploadState.Part(number, length, eTag);
            } catch (SdkException e) {
                throw new UncheckedIOException(io("uploading part " + number + " of " + key, e));
            }
        }

        /** Waits for the part in flight, if any, and adds it to the parts; reports its failure. */
        private void awaitPartInFlight() throws IOException {
            if (inFlight == null) {
                return;
            }
            try {
                parts.add(inFlight.join());
            } catch (CompletionException e) {
                if (e.getCause() instanceof UncheckedIOException u) {
                    throw u.getCause();
                }
                throw new IOException("uploading a part of upload " + uploadId + " failed", e.getCause());
            } finally {
                inFlight = null;
                Files.deleteIfExists(inFlightFile);
            }
        }

        @Override
        public boolean isOpen() {
            return !closed;
        }

        /** Sends what is left: a part when S3 allows one this small, otherwise a tail object. */
        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                awaitPartInFlight();
                if (!written && buffer.size() == start.tailSize()) {
                    newState = start.encode(); // an empty append: S3 already holds all of it
                    return;
                }
                String tailKey = null;
                long tailSize = buffer.size();
                if (tailSize >= MIN_PART) {
                    sendBufferAsPart();
                    awaitPartInFlight();
                    tailSize = 0;
                } else if (tailSize > 0) {
                    // A fresh name per append: the committed state's tail stays intact until the metadata moves on.
                    tailKey = uploadPrefix(uploadId) + "tail-" + UUID.randomUUID();
                    String key = tailKey;
                    try {
                        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(file));
                    } catch (SdkException e) {
                        throw io("PUT " + key, e);
                    }
                }
                newState = new UploadState(multipartId, List.copyOf(parts), tailKey, tailSize).encode();
            } finally {
                if (inFlight != null) { // failed before waiting for it: let it finish, then drop its file
                    inFlight.handle((part, failure) -> null).join();
                    Files.deleteIfExists(inFlightFile);
                }
                buffer.close();
                Files.deleteIfExists(file);
            }
        }

        @Override
        public String state() {
            if (newState == null) {
                throw new IllegalStateException("the append of upload " + uploadId + " was not closed successfully");
            }
            return newState;
        }
    }

    @Override
    public SeekableByteChannel readUpload(String uploadId, String state, long size) throws IOException {
        return new ObjectChannel(seal(uploadId, UploadState.decode(state), size));
    }

    @Override
    public boolean readsUploadsCheaply() {
        return false;
    }

    /**
     * Makes the upload's {@code size} bytes one readable object and returns its key: the tail itself when there are
     * no parts, otherwise the completed multipart upload (with the tail as its last part). Idempotent.
     */
    private String seal(String uploadId, UploadState state, long size) throws IOException {
        if (state.size() != size) {
            throw new IOException("upload " + uploadId + " holds " + state.size() + " bytes, not " + size);
        }
        String key = dataKey(uploadId);
        if (size == 0) {
            try {
                s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.empty());
            } catch (SdkException e) {
                throw io("PUT " + key, e);
            }
            return key;
        }
        if (state.parts().isEmpty()) {
            return Objects.requireNonNull(state.tailKey(), "a non-empty upload without parts has a tail");
        }
        if (objectSize(key).equals(OptionalLong.of(size))) {
            return key; // sealed already (read back before the commit, or a commit that was interrupted)
        }
        List<UploadState.Part> parts = new ArrayList<>(state.parts());
        try {
            String tailKey = state.tailKey();
            if (tailKey != null) {
                // The tail is under 5 MiB: allowed as the last part only. Through this node: at most 5 MiB.
                int number = parts.size() + 1;
                long tailSize = state.tailSize();
                try (ResponseInputStream<GetObjectResponse> tail = s3.getObject(b -> b.bucket(bucket)
                        .key(tailKey))) {
                    String eTag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(state.multipartId())
                            .partNumber(number).contentLength(tailSize), RequestBody.fromInputStream(tail, tailSize))
                            .eTag();
                    parts.add(new UploadState.Part(number, tailSize, eTag));
                }
            }
            List<CompletedPart> completed = parts.stream()
                    .map(p -> CompletedPart.builder().partNumber(p.number()).eTag(p.eTag()).build()).toList();
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(state.multipartId())
                    .multipartUpload(m -> m.parts(completed)));
        } catch (S3Exception e) {
            if ("InvalidPart".equals(e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode())) {
                // A part's ETag no longer matches: a racing request of this session overwrote it.
                throw new StagedBytesLostException("upload " + uploadId + ": a part was overwritten by another "
                        + "request of the same session", e);
            }
            throw io("completing the multipart upload " + key, e);
        } catch (SdkException e) {
            throw io("completing the multipart upload " + key, e);
        }
        return key;
    }

    @Override
    public void commitUpload(String uploadId, String state, Digest digest, long size) throws IOException {
        String target = blobKey(digest);
        if (objectSize(target).isPresent()) {
            deleteUpload(uploadId);
            return;
        }
        UploadState staged = UploadState.decode(state);
        try {
            if (size == 0) {
                s3.putObject(b -> b.bucket(bucket).key(target), RequestBody.empty());
            } else {
                copy(seal(uploadId, staged, size), target, size);
            }
        } catch (SdkException e) {
            throw io("committing upload " + uploadId + " as " + target, e);
        }
        deleteUpload(uploadId);
    }

    /** A server-side copy; a multipart copy of ranges where one request may not copy that much. */
    private void copy(String source, String target, long size) {
        if (size <= copyLimit) {
            s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(source).destinationBucket(bucket)
                    .destinationKey(target));
            return;
        }
        String multipartId = s3.createMultipartUpload(b -> b.bucket(bucket).key(target)).uploadId();
        try {
            List<CompletedPart> completed = new ArrayList<>();
            for (long start = 0; start < size; start += copyPartSize) {
                int number = completed.size() + 1;
                String range = "bytes=" + start + "-" + (Math.min(size, start + copyPartSize) - 1);
                String eTag = s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(source)
                        .destinationBucket(bucket).destinationKey(target).uploadId(multipartId).partNumber(number)
                        .copySourceRange(range)).copyPartResult().eTag();
                completed.add(CompletedPart.builder().partNumber(number).eTag(eTag).build());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(target).uploadId(multipartId)
                    .multipartUpload(m -> m.parts(completed)));
        } catch (RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(target).uploadId(multipartId));
            } catch (SdkException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Aborts the upload's multipart uploads and deletes its objects, found by prefix: orphans have no state. */
    @Override
    public void deleteUpload(String uploadId) throws IOException {
        String uploadPrefix = uploadPrefix(uploadId);
        try {
            for (MultipartUpload m : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(uploadPrefix))
                    .uploads()) {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(m.key()).uploadId(m.uploadId()));
            }
            List<ObjectIdentifier> objects = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(uploadPrefix)).contents()) {
                objects.add(ObjectIdentifier.builder().key(o.key()).build());
            }
            for (int i = 0; i < objects.size(); i += 1000) {
                List<ObjectIdentifier> batch = objects.subList(i, Math.min(objects.size(), i + 1000));
                s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(batch).quiet(true)));
            }
        } catch (SdkException e) {
            throw io("deleting upload " + uploadId, e);
        }
    }

    @Override
    public List<StagedUpload> listUploads() throws IOException {
        Map<String, Instant> latest = new LinkedHashMap<>();
        Map<String, Long> sizes = new HashMap<>();
        String uploads = uploadsPrefix();
        try {
            for (MultipartUpload m : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(uploads))
                    .uploads()) {
                latest.merge(uploadIdOf(m.key()), m.initiated(), (a, b) -> a.isAfter(b) ? a : b);
            }
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(uploads)).contents()) {
                latest.merge(uploadIdOf(o.key()), o.lastModified(), (a, b) -> a.isAfter(b) ? a : b);
                sizes.merge(uploadIdOf(o.key()), o.size() == null ? 0L : o.size(), Long::sum);
            }
        } catch (SdkException e) {
            throw io("listing uploads", e);
        }
        List<StagedUpload> staged = new ArrayList<>();
        // An unfinished multipart upload's parts are not listed here: its size counts the finished objects only.
        latest.forEach((id, when) -> staged.add(new StagedUpload(id, when, sizes.getOrDefault(id, 0L))));
        return staged;
    }

    private String uploadIdOf(String key) {
        String rest = key.substring(uploadsPrefix().length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }

    @Override
    public void close() {
        s3.close();
        if (presigner != null) {
            presigner.close();
        }
    }

    private static IOException io(String what, SdkException e) {
        return new IOException("S3: " + what + " failed: " + e.getMessage(), e);
    }

    // ---- reading objects ----

    /**
     * An object read through GETs: opening starts streaming the whole object (one round trip for the common whole-blob
     * pull, which also gives the size and reports a missing blob as {@link NoSuchFileException}); moving the position
     * elsewhere abandons that stream and the next read starts a ranged GET there.
     */
    private final class ObjectChannel implements SeekableByteChannel {
        private final String key;
        private final long size;
        private final byte[] chunk = new byte[READ_CHUNK];
        private long position;
        private @Nullable InputStream in;
        private long streamPosition;
        private boolean open = true;

        ObjectChannel(String key) throws IOException {
            this.key = key;
            try {
                ResponseInputStream<GetObjectResponse> whole = s3.getObject(b -> b.bucket(bucket).key(key));
                this.in = whole;
                this.size = whole.response().contentLength();
            } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                    throw new NoSuchFileException(key);
                }
                throw io("GET " + key, e);
            } catch (SdkException e) {
                throw io("GET " + key, e);
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            if (position >= size) {
                return -1;
            }
            if (in == null || streamPosition != position) {
                closeStream();
                long from = position;
                try {
                    in = s3.getObject(b -> b.bucket(bucket).key(key).range("bytes=" + from + "-"));
                } catch (SdkException e) {
                    throw io("GET " + key, e);
                }
                streamPosition = position;
            }
            int n = in.read(chunk, 0, Math.min(chunk.length, dst.remaining()));
            if (n < 0) {
                throw new IOException(key + " ended at " + position + " of " + size + " bytes");
            }
            dst.put(chunk, 0, n);
            position += n;
            streamPosition += n;
            return n;
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public SeekableByteChannel position(long newPosition) {
            position = newPosition;
            return this;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public int write(ByteBuffer src) {
            throw new NonWritableChannelException();
        }

        @Override
        public SeekableByteChannel truncate(long newSize) {
            throw new NonWritableChannelException();
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() throws IOException {
            open = false;
            closeStream();
        }

        private void closeStream() throws IOException {
            if (in != null) {
                if (in instanceof ResponseInputStream<?> r && streamPosition < size) {
                    r.abort(); // do not drain the rest of a large object just to reuse the connection
                }
                in.close();
                in = null;
            }
        }
    }

    // ---- the state of an upload ----

    /** What S3 holds of an upload: its multipart upload (if started), the parts in order, and the tail object. */
    record UploadState(@Nullable String multipartId, List<Part> parts, @Nullable String tailKey, long tailSize) {
        static final UploadState EMPTY = new UploadState(null, List.of(), null, 0);

        record Part(int number, long size, String eTag) {
        }

        long partsSize() {
            return parts.stream().mapToLong(Part::size).sum();
        }

        long size() {
            return partsSize() + tailSize;
        }

        String encode() {
            try {
                return JSON.writeValueAsString(this);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        static UploadState decode(@Nullable String text) throws IOException {
            if (text == null || text.isEmpty()) {
                return EMPTY;
            }
            try {
                UploadState s = JSON.readValue(text, UploadState.class);
                return s.parts() == null ? new UploadState(s.multipartId(), List.of(), s.tailKey(), s.tailSize()) : s;
            } catch (JsonProcessingException e) {
                throw new IOException("unreadable state of an S3 upload: " + e.getOriginalMessage(), e);
            }
        }
    }
}
