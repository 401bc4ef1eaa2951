package dev.bollard.scan.index;

/**
 * The indexer could not produce an inventory for an image. {@link #getMessage()} is the reason as users see it
 * ({@code failed: <reason>} or {@code unsupported: <reason>}, by {@link #outcome()}): it names the layer and what was
 * wrong with it, never a stack trace. A failure is final for these bytes: retrying the same image gives the same one.
 */
public final class IndexFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Whether the image is broken or hostile (failed) or simply of a kind the indexer does not read (unsupported). */
    public enum Outcome { FAILED, UNSUPPORTED }

    private final Outcome outcome;

    IndexFailedException(Outcome outcome, String reason) {
        super(reason, null, false, false);
        this.outcome = outcome;
    }

    static IndexFailedException failed(String reason) {
        return new IndexFailedException(Outcome.FAILED, reason);
    }

    static IndexFailedException unsupported(String reason) {
        return new IndexFailedException(Outcome.UNSUPPORTED, reason);
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The reason users see. */
    public String reason() {
        String m = getMessage();
        return m == null ? "unknown" : m;
    }
}
