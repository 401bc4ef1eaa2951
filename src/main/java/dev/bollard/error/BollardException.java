package dev.bollard.error;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A request Bollard refuses: the one error type of the domain. It carries a stable {@link ErrorCode}, the
 * {@link ErrorCode.Kind} of refusal (the code's own, unless the thrower says otherwise), a message for people and
 * optional structured detail. It has no stack trace: a refusal is an expected outcome, not a fault.
 */
public class BollardException extends RuntimeException {
    private final ErrorCode code;
    private final ErrorCode.Kind kind;
    private final transient @Nullable Object detail;
    private final long retryAfterSeconds;

    public BollardException(ErrorCode code, @Nullable String message) {
        this(code, code.kind(), message, null, 0);
    }

    public BollardException(ErrorCode code, @Nullable String message, @Nullable Object detail) {
        this(code, code.kind(), message, detail, 0);
    }

    /** A code answered as another kind than its own; say at the throw site why. */
    public BollardException(ErrorCode code, ErrorCode.Kind kind, @Nullable String message,
                            @Nullable Object detail) {
        this(code, kind, message, detail, 0);
    }

    private BollardException(ErrorCode code, ErrorCode.Kind kind, @Nullable String message, @Nullable Object detail,
                             long retryAfterSeconds) {
        super(message, null, false, false);
        this.code = code;
        this.kind = kind;
        this.detail = detail;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static BollardException invalid(@Nullable String message) {
        return new BollardException(ErrorCode.INVALID_REQUEST, message);
    }

    public static BollardException notFound(String message) {
        return new BollardException(ErrorCode.NOT_FOUND, message);
    }

    public static BollardException conflict(String message) {
        return new BollardException(ErrorCode.CONFLICT, message);
    }

    /** A throttled request, to be retried after {@code retryAfterSeconds} (0: no advice). */
    public static BollardException throttled(ErrorCode code, String message, long retryAfterSeconds) {
        return new BollardException(code, ErrorCode.Kind.THROTTLED, message, null, retryAfterSeconds);
    }

    /**
     * A value parsed from a request or an argument by a parser of the pure model (a repository name, a digest, a
     * duration), whose {@link IllegalArgumentException} becomes INVALID_REQUEST with its message.
     */
    public static <T> T parsed(Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    public ErrorCode code() {
        return code;
    }

    public ErrorCode.Kind kind() {
        return kind;
    }

    /** Structured detail for the error body (may be null). */
    public @Nullable Object detail() {
        return detail;
    }

    /** Seconds after which a throttled request may be retried; 0 when there is no advice. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
