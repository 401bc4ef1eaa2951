package dev.bollard.auth;

/** What a request wants to do, in the terms of Docker's token scopes. */
public enum Action {
    /** {@code GET /v2/}: may the caller talk to the registry at all. */
    PING,
    /** List the catalog (Docker scope {@code registry:catalog:*}). */
    CATALOG,
    /** Read a repository. */
    PULL,
    /** Write a repository. */
    PUSH,
    /** Delete from a repository. */
    DELETE
}
