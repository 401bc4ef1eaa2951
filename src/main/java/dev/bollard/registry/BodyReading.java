package dev.bollard.registry;

import dev.bollard.oci.ErrorCode;

/** Failures of reading a request body, which the client caused: 400 SIZE_INVALID rather than an internal error. */
public final class BodyReading {
    private BodyReading() {
    }

    /** The body ended before the announced length, or the connection broke while it was read. */
    public static RegistryException incomplete(Throwable cause) {
        String why = cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")";
        return new RegistryException(ErrorCode.SIZE_INVALID,
                "the request body ended before the announced length" + why);
    }
}
