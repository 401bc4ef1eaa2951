package dev.bollard.storage;

import dev.bollard.oci.Digest;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Where blob bytes live: content-addressed, written once, never modified. Uploads are staged under an
 * upload id and become a blob only through {@link #commitUpload}, which is atomic: a blob is either wholly
 * visible under its digest or not at all.
 * <p>
 * An upload has a <em>state</em>: an opaque text the store returns from {@link #createUpload} and from each
 * {@link Append}, and that the caller keeps with the session's metadata, in the same transaction as the size it
 * describes, and passes back on the next call. It is how a store that cannot rewrite staged bytes (S3 multipart
 * parts) knows which of them belong to the committed size, on whichever node the session continues.
 * <p>
 * The store does not verify digests; the caller hashes the bytes as they stream in and commits only what
 * matched. Every backend passes the shared contract test ({@code BlobStoreContract}).
 */
public interface BlobStore extends AutoCloseable {

    /** True when the store answers: readiness of a node. Cheap; no blob is read. */
    boolean isReachable();

    /** The size of the stored blob, or empty when the store does not hold it. */
    OptionalLong size(Digest digest) throws IOException;

    /** Opens a stored blob for reading; the caller positions and closes the channel. */
    SeekableByteChannel open(Digest digest) throws IOException;

    /**
     * A time-limited URL from which a client may fetch the blob itself, when the store offers one (S3 with
     * redirects switched on); empty otherwise, and the registry streams the blob.
     */
    default Optional<URI> directUrl(Digest digest) {
        return Optional.empty();
    }

    /** Deletes a stored blob; returns false when there was none. */
    boolean delete(Digest digest) throws IOException;

    /** Creates the staging area of a new upload and returns its first state. */
    String createUpload(String uploadId) throws IOException;

    /**
     * Opens the staged upload for appending at {@code offset}, the size {@code state} describes; what an interrupted
     * append left beyond it is discarded. The new state is {@link Append#state()} after a successful close.
     */
    Append appendUpload(String uploadId, long offset, String state) throws IOException;

    /**
     * Opens the first {@code size} staged bytes of an upload for reading (to hash them). A store whose staged bytes
     * are not cheaply readable ({@link #readsUploadsCheaply()} false) may seal the upload to do so: afterwards it can
     * only be committed or deleted.
     */
    SeekableByteChannel readUpload(String uploadId, String state, long size) throws IOException;

    /**
     * True when {@link #readUpload} is cheap (a local file): a node that lost an upload's running hash rebuilds it
     * from the staged bytes. False when reading them back would mean downloading them: the caller then keeps the
     * running hash's state with the session's metadata instead.
     */
    boolean readsUploadsCheaply();

    /**
     * Makes the first {@code size} staged bytes of an upload the blob {@code digest}, atomically, and removes the
     * staging area. When the blob already exists the staged copy is simply dropped.
     */
    void commitUpload(String uploadId, String state, Digest digest, long size) throws IOException;

    /** Removes an upload's staging area; nothing happens when there is none. Needs no state: orphans have none. */
    void deleteUpload(String uploadId) throws IOException;

    /** The uploads that have a staging area, with when each was last written and its bytes, for sweeping orphans. */
    List<StagedUpload> listUploads() throws IOException;

    /** Releases connections and threads; the default holds none. */
    @Override
    default void close() {
    }

    /** An upload's staging area as the store sees it. */
    record StagedUpload(String uploadId, Instant lastModified, long size) {
    }

    /**
     * Calls {@code each} with every stored blob and when it was written, for the garbage collector to find bytes that
     * no metadata records (a crash between a commit and its database transaction leaves them). A store that cannot
     * list its blobs throws {@link UnsupportedOperationException}; the collector then skips that sweep.
     */
    default void listBlobs(Consumer<StoredBlob> each) throws IOException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot list its blobs");
    }

    /** A stored blob as the store sees it. */
    record StoredBlob(Digest digest, long size, Instant lastModified) {
    }

    /** Bytes being appended to an upload. */
    interface Append extends WritableByteChannel {
        /** The upload's state after this append; valid once {@link #close()} returned without an exception. */
        String state();
    }
}
