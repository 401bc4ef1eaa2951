package dev.bollard.http;

import dev.bollard.error.ErrorCode;

/** The HTTP status of each kind of refusal: the one table that {@code /v2}, the token endpoint and {@code /api/v1} share. */
public final class HttpStatus {
    private HttpStatus() {
    }

    public static int of(ErrorCode.Kind kind) {
        return switch (kind) {
            case INVALID -> 400;
            case UNAUTHENTICATED -> 401;
            case DENIED -> 403;
            case NOT_FOUND -> 404;
            case UNSUPPORTED -> 405;
            case CONFLICT -> 409;
            case TOO_LARGE -> 413;
            case UNSUPPORTED_MEDIA_TYPE -> 415;
            case OUT_OF_RANGE -> 416;
            case THROTTLED -> 429;
            case UNAVAILABLE -> 503;
            case INTERNAL -> 500;
        };
    }
}
