package dev.bollard.http.api;

import dev.bollard.error.BollardException;
import dev.bollard.http.Exchange;
import dev.bollard.http.HttpStatus;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The error encoder of the management API: {@code {"code": …, "message": …}} with {@code Cache-Control: no-store} and
 * the status of the error's kind. The API's codes name the kind of refusal, whichever use case raised it (the
 * registry's speak the distribution spec's codes: MANIFEST_UNKNOWN is NOT_FOUND here), except two refinements of
 * INVALID_REQUEST that clients switch on. The codes are stable; the messages are for people.
 */
final class ApiErrors {
    private ApiErrors() {
    }

    static String codeOf(BollardException e) {
        return switch (e.code()) {
            case INVALID_JSON, INVALID_PAGINATION -> e.code().name();
            default -> switch (e.kind()) {
                case INVALID, OUT_OF_RANGE -> "INVALID_REQUEST";
                case NOT_FOUND -> "NOT_FOUND";
                case CONFLICT -> "CONFLICT";
                case UNAUTHENTICATED -> "UNAUTHORIZED";
                case DENIED -> "DENIED";
                case THROTTLED -> "TOO_MANY_REQUESTS";
                case UNSUPPORTED -> "METHOD_NOT_ALLOWED";
                case TOO_LARGE -> "TOO_LARGE";
                case UNSUPPORTED_MEDIA_TYPE -> "UNSUPPORTED_MEDIA_TYPE";
                case UNAVAILABLE -> e.code().name(); // UPSTREAM_UNAVAILABLE (proxy), UNAVAILABLE (directory)
                case INTERNAL -> "INTERNAL";
            };
        };
    }

    /** Sends the error, or ends a response that already began. */
    static void send(Exchange ex, BollardException e) {
        String code = codeOf(e);
        if (ex.isCommitted()) {
            ex.fail(new IOException(code + ": " + e.getMessage()));
            return;
        }
        if (e.retryAfterSeconds() > 0) {
            ex.setHeader("Retry-After", Long.toString(e.retryAfterSeconds()));
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", e.getMessage() == null ? code : e.getMessage());
        try {
            ex.setHeader("Cache-Control", "no-store");
            ex.sendJson(HttpStatus.of(e.kind()), error);
        } catch (IOException io) {
            ex.fail(io);
        }
    }
}
