package dev.bollard.scan.index;

/**
 * A limit of {@link IndexLimits} that ends the whole image: unchecked, so that no parser's handling of a malformed
 * file (which only adds a note) swallows it on the way up. {@link ImageIndexer} turns it into an
 * {@link IndexFailedException}.
 */
final class LimitExceeded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LimitExceeded(String message) {
        super(message, null, false, false);
    }
}
