package dev.bollard.oci;

/** A manifest body that is not a valid manifest of its media type; the message says what is wrong. */
public final class ManifestInvalidException extends Exception {
    public ManifestInvalidException(String message) {
        super(message);
    }
}
