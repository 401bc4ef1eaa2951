package dev.bollard.storage;

import java.io.IOException;

/**
 * The staged bytes an upload's state names are no longer there as they were written: another request of the same
 * session (on another node, racing this one, a client error) replaced them. The session cannot be completed; the
 * client must upload the blob again.
 */
public final class StagedBytesLostException extends IOException {
    public StagedBytesLostException(String message, Throwable cause) {
        super(message, cause);
    }
}
