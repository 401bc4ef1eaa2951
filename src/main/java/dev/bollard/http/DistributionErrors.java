package dev.bollard.http;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The error encoder of the distribution API ({@code /v2}, its token endpoint and the root handler's failures): the
 * spec's body {@code {"errors":[{"code","message","detail"}]}} with the status of the error's kind.
 */
final class DistributionErrors {
    private DistributionErrors() {
    }

    static int statusOf(BollardException e) {
        // The spec's DENIED is 403 whatever the kind: registry clients expect it for a refused push, also when a
        // repository's state (an immutable tag, a quota) rather than the caller's rights refuses it.
        if (e.code() == ErrorCode.DENIED) {
            return 403;
        }
        return HttpStatus.of(e.kind());
    }

    /** Sends 500 for a failure of the registry itself (logged by the caller, once). */
    static void sendInternal(Exchange ex) {
        send(ex, new BollardException(ErrorCode.UNKNOWN, "internal error; see the registry's log"));
    }

    /** Sends the error, or ends a response that already began. */
    static void send(Exchange ex, BollardException e) {
        if (ex.response.isCommitted()) {
            ex.callback.failed(new IOException(e.code() + ": " + e.getMessage()));
            return;
        }
        if (e.retryAfterSeconds() > 0) {
            ex.setHeader("Retry-After", Long.toString(e.retryAfterSeconds()));
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.code().name());
        error.put("message", e.getMessage() == null ? e.code().message() : e.getMessage());
        if (e.detail() != null) {
            error.put("detail", e.detail());
        }
        try {
            ex.sendJson(statusOf(e), Map.of("errors", List.of(error)));
        } catch (IOException io) {
            ex.callback.failed(io);
        }
    }
}
