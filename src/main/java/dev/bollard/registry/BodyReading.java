package dev.bollard.registry;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import org.jspecify.annotations.Nullable;

/** Failures of reading a request body, which the client caused: 400 SIZE_INVALID rather than an internal error. */
public final class BodyReading {
    private BodyReading() {
    }

    /** The body ended before the announced length, or the connection broke while it was read. */
    public static BollardException incomplete(@Nullable Throwable cause) {
        String why = cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")";
        return new BollardException(ErrorCode.SIZE_INVALID,
                "the request body ended before the announced length" + why);
    }
}
