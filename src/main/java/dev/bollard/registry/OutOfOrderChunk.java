package dev.bollard.registry;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;

/**
 * A chunk that does not continue the upload where it stands. It carries the upload's status: the spec answers it
 * with where the upload stands, so that the client can continue from there.
 */
public final class OutOfOrderChunk extends BollardException {
    private final UploadStatus status;

    public OutOfOrderChunk(UploadStatus status, long requestedStart) {
        super(ErrorCode.BLOB_UPLOAD_INVALID, ErrorCode.Kind.OUT_OF_RANGE, "chunk starts at byte " + requestedStart
                + " but the upload holds " + status.size() + " bytes; continue at " + status.size(), null);
        this.status = status;
    }

    public UploadStatus status() {
        return status;
    }
}
