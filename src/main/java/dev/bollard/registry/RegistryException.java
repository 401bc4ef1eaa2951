package dev.bollard.registry;

import dev.bollard.oci.ErrorCode;

/** A request the registry refuses, with the spec's error code and a message for the client. */
public class RegistryException extends RuntimeException {
    private final ErrorCode code;
    private final transient Object detail;

    public RegistryException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public RegistryException(ErrorCode code, String message, Object detail) {
        super(message, null, false, false);
        this.code = code;
        this.detail = detail;
    }

    public ErrorCode code() {
        return code;
    }

    /** Structured detail for the error body (may be null). */
    public Object detail() {
        return detail;
    }

    /** A chunk that does not continue the upload where it stands. */
    public static final class OutOfOrderChunk extends RegistryException {
        private final UploadStatus status;

        public OutOfOrderChunk(UploadStatus status, long requestedStart) {
            super(ErrorCode.BLOB_UPLOAD_INVALID, "chunk starts at byte " + requestedStart + " but the upload holds "
                    + status.size() + " bytes; continue at " + status.size());
            this.status = status;
        }

        public UploadStatus status() {
            return status;
        }
    }

    /** An operation switched off by configuration. */
    public static final class Disabled extends RegistryException {
        public Disabled(String message) {
            super(ErrorCode.UNSUPPORTED, message);
        }
    }
}
