package dev.bollard.oci;

/** A digest that is malformed or uses an algorithm the registry does not support. */
public final class InvalidDigestException extends IllegalArgumentException {
    public InvalidDigestException(String message) {
        super(message);
    }
}
