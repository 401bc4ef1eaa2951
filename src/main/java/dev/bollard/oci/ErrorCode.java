package dev.bollard.oci;

/**
 * The error codes of the OCI distribution spec (and Docker's registry API), with the messages the spec gives.
 * The HTTP layer decides the status code that goes with each use.
 */
public enum ErrorCode {
    BLOB_UNKNOWN("blob unknown to registry"),
    BLOB_UPLOAD_INVALID("blob upload invalid"),
    BLOB_UPLOAD_UNKNOWN("blob upload unknown to registry"),
    DIGEST_INVALID("provided digest did not match uploaded content"),
    MANIFEST_BLOB_UNKNOWN("manifest references a manifest or blob unknown to registry"),
    MANIFEST_INVALID("manifest invalid"),
    MANIFEST_UNKNOWN("manifest unknown to registry"),
    NAME_INVALID("invalid repository name"),
    NAME_UNKNOWN("repository name not known to registry"),
    SIZE_INVALID("provided length did not match content length"),
    UNAUTHORIZED("authentication required"),
    DENIED("requested access to the resource is denied"),
    UNSUPPORTED("the operation is unsupported"),
    TOOMANYREQUESTS("too many requests"),
    /** Not in the spec's table; Distribution uses it for a bad {@code n} or {@code last}. */
    PAGINATION_NUMBER_INVALID("invalid number of results requested"),
    /** Not in the spec's table; Distribution uses it for a failure of the registry itself (HTTP 500). */
    UNKNOWN("unknown error"),
    /** Not in the spec's table; Distribution uses it for a malformed tag. */
    TAG_INVALID("manifest tag did not match URI");

    private final String message;

    ErrorCode(String message) {
        this.message = message;
    }

    public String message() {
        return message;
    }
}
