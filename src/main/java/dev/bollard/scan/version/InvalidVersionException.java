package dev.bollard.scan.version;

/** A version string that its scheme's grammar does not allow (so it cannot be ordered against another). */
public final class InvalidVersionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InvalidVersionException(String scheme, String version, String why) {
        super("'" + version + "' is not a valid " + scheme + " version: " + why);
    }
}
