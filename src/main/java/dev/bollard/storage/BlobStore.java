package dev.bollard.storage;

import dev.bollard.oci.Digest;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where blob bytes live: content-addressed, written once, never modified. Uploads are staged under an
 * upload id and become a blob only through {@link #commitUpload}, which is atomic: a blob is either wholly
 * visible under its digest or not at all.
 * <p>
 * The store does not verify digests; the caller hashes the bytes as they stream in and commits only what
 * matched. Every backend passes the shared contract test ({@code BlobStoreContract}).
 */
public interface BlobStore {

    /** True when the store answers: readiness of a node. Cheap; no blob is read. */
    boolean isReachable();

    /** The size of the stored blob, or empty when the store does not hold it. */
    OptionalLong size(Digest digest) throws IOException;

    /** Opens a stored blob for reading; the caller positions and closes the channel. */
    SeekableByteChannel open(Digest digest) throws IOException;

    /** Deletes a stored blob; returns false when there was none. */
    boolean delete(Digest digest) throws IOException;

    /** Creates the staging area of a new upload. */
    void createUpload(String uploadId) throws IOException;

    /**
     * Opens the staged upload for appending at {@code offset}, discarding anything staged beyond it (left by an
     * interrupted append that was never committed to the metadata).
     */
    WritableByteChannel appendUpload(String uploadId, long offset) throws IOException;

    /** Opens the staged bytes of an upload for reading (to rebuild a hash after a restart). */
    SeekableByteChannel readUpload(String uploadId) throws IOException;

    /**
     * Makes the first {@code size} staged bytes of an upload the blob {@code digest}, atomically, and removes the
     * staging area. When the blob already exists the staged copy is simply dropped.
     */
    void commitUpload(String uploadId, Digest digest, long size) throws IOException;

    /** Removes an upload's staging area; nothing happens when there is none. */
    void deleteUpload(String uploadId) throws IOException;

    /** The uploads that have a staging area, with when each was last written, for sweeping orphans. */
    List<StagedUpload> listUploads() throws IOException;

    /** An upload's staging area as the store sees it. */
    record StagedUpload(String uploadId, Instant lastModified) {
    }

    /**
     * Calls {@code each} with every stored blob and when it was written, for the garbage collector to find bytes that
     * no metadata records (a crash between a commit and its database transaction leaves them). A store that cannot
     * list its blobs throws {@link UnsupportedOperationException}; the collector then skips that sweep.
     */
    default void listBlobs(java.util.function.Consumer<StoredBlob> each) throws IOException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot list its blobs");
    }

    /** A stored blob as the store sees it. */
    record StoredBlob(Digest digest, long size, Instant lastModified) {
    }
}
