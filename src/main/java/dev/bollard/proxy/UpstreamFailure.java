package dev.bollard.proxy;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Why an upstream registry did not answer what the proxy asked: a checked exception, so that every caller decides
 * between serving what is cached and refusing. {@link #reason()} is what the {@code Bollard-Proxy-Stale} header and the
 * stale metric say; the message names the upstream and what it answered.
 */
public final class UpstreamFailure extends Exception {
    private static final long serialVersionUID = 1L;

    /** The kinds of failure; all but {@link #NOT_FOUND} let the cache serve what it holds. */
    public enum Reason {
        /** No connection, a timeout, a TLS failure. */
        UNREACHABLE,
        /** A 5xx answer. */
        SERVER_ERROR,
        /** 429, or {@code ratelimit-remaining: 0}. */
        RATE_LIMITED,
        /** 401/403 even with the configured credentials. */
        DENIED,
        /** The upstream does not have it (404): authoritative, nothing is served stale for it. */
        NOT_FOUND,
        /** An answer that is not what was asked for: a wrong digest, a body that broke off, a bad manifest. */
        INVALID;

        /** The reason as the header and the metric tag spell it: {@code rate-limited}, {@code unreachable}, … */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final Reason reason;
    private final @Nullable Long retryAfterSeconds;

    public UpstreamFailure(Reason reason, String message, @Nullable Long retryAfterSeconds, @Nullable Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public UpstreamFailure(Reason reason, String message) {
        this(reason, message, null, null);
    }

    public Reason reason() {
        return reason;
    }

    /** What the upstream said about when to retry (Retry-After), when it did. */
    public @Nullable Long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
