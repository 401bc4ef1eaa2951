package dev.bollard.error;

/**
 * Every error code of Bollard, each registered once with the {@link Kind} of refusal it normally is and a default
 * message. The first group is the OCI distribution spec's (and Docker's registry API's) table, the names {@code /v2}
 * clients see; the second is Bollard's own, the names {@code /api/v1} clients see. The surfaces' encoders (in
 * {@code http} and {@code cli}) decide statuses and wire names; nothing here knows about HTTP.
 */
public enum ErrorCode {
    BLOB_UNKNOWN(Kind.NOT_FOUND, "blob unknown to registry"),
    BLOB_UPLOAD_INVALID(Kind.INVALID, "blob upload invalid"),
    BLOB_UPLOAD_UNKNOWN(Kind.NOT_FOUND, "blob upload unknown to registry"),
    DIGEST_INVALID(Kind.INVALID, "provided digest did not match uploaded content"),
    /** A reference the manifest makes, not the resource asked for: the manifest is invalid, hence not NOT_FOUND. */
    MANIFEST_BLOB_UNKNOWN(Kind.INVALID, "manifest references a manifest or blob unknown to registry"),
    MANIFEST_INVALID(Kind.INVALID, "manifest invalid"),
    MANIFEST_UNKNOWN(Kind.NOT_FOUND, "manifest unknown to registry"),
    NAME_INVALID(Kind.INVALID, "invalid repository name"),
    NAME_UNKNOWN(Kind.NOT_FOUND, "repository name not known to registry"),
    SIZE_INVALID(Kind.INVALID, "provided length did not match content length"),
    UNAUTHORIZED(Kind.UNAUTHENTICATED, "authentication required"),
    DENIED(Kind.DENIED, "requested access to the resource is denied"),
    UNSUPPORTED(Kind.UNSUPPORTED, "the operation is unsupported"),
    TOOMANYREQUESTS(Kind.THROTTLED, "too many requests"),
    /** Not in the spec's table; Distribution uses it for a bad {@code n} or {@code last}. */
    PAGINATION_NUMBER_INVALID(Kind.INVALID, "invalid number of results requested"),
    /** Not in the spec's table; Distribution uses it for a failure of the registry itself (HTTP 500). */
    UNKNOWN(Kind.INTERNAL, "unknown error"),
    /** Not in the spec's table; Distribution uses it for a malformed tag. */
    TAG_INVALID(Kind.INVALID, "manifest tag did not match URI"),
    /**
     * Not in the spec's table: a proxy organization's upstream failed (unreachable, 5xx, refused the credentials)
     * and the registry holds no copy of what was asked for (docs/proxy-and-mirroring.md); HTTP 503.
     */
    UPSTREAM_UNAVAILABLE(Kind.UNAVAILABLE, "the upstream registry is unavailable"),

    // Bollard's own codes, those of the management API.
    INVALID_REQUEST(Kind.INVALID, "invalid request"),
    INVALID_JSON(Kind.INVALID, "the body is not valid JSON"),
    INVALID_PAGINATION(Kind.INVALID, "invalid pagination"),
    NOT_FOUND(Kind.NOT_FOUND, "not found"),
    CONFLICT(Kind.CONFLICT, "the change conflicts with what exists"),
    METHOD_NOT_ALLOWED(Kind.UNSUPPORTED, "method not allowed"),
    TOO_LARGE(Kind.TOO_LARGE, "the request is too large"),
    UNSUPPORTED_MEDIA_TYPE(Kind.UNSUPPORTED_MEDIA_TYPE, "unsupported media type"),
    TOO_MANY_REQUESTS(Kind.THROTTLED, "too many attempts; wait before trying again"),
    /** A service the registry depends on for this request (the LDAP directory) does not answer. */
    UNAVAILABLE(Kind.UNAVAILABLE, "a service the registry depends on is unavailable"),
    INTERNAL(Kind.INTERNAL, "internal error");

    /** What kind of refusal an error is; each surface answers a kind in one way (an HTTP status, an exit code). */
    public enum Kind {
        /** The input is malformed or breaks a rule. */
        INVALID,
        NOT_FOUND,
        /** The change collides with what exists: a name taken, a namespace not empty, a tag that is immutable. */
        CONFLICT,
        /** No (valid) credentials. */
        UNAUTHENTICATED,
        /** Credentials, but not enough rights. */
        DENIED,
        /** Too many attempts; may carry when to retry ({@link BollardException#retryAfterSeconds()}). */
        THROTTLED,
        /** The operation exists but is switched off or not allowed here. */
        UNSUPPORTED,
        TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        /** A position or range that does not fit the resource. */
        OUT_OF_RANGE,
        /** Something the registry depends on outside itself does not answer (a proxy's upstream, the directory): an
         * outage, not a bug; try again later. */
        UNAVAILABLE,
        /** A failure of the registry itself. */
        INTERNAL
    }

    private final Kind kind;
    private final String message;

    ErrorCode(Kind kind, String message) {
        this.kind = kind;
        this.message = message;
    }

    public Kind kind() {
        return kind;
    }

    public String message() {
        return message;
    }
}
