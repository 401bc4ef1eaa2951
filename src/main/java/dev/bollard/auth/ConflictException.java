package dev.bollard.auth;

/** The change collides with what exists: a name taken, a member already there, a namespace that is not empty. */
public final class ConflictException extends IllegalArgumentException {
    public ConflictException(String message) {
        super(message);
    }
}
