package dev.bollard.registry;

import dev.bollard.oci.Digest;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.RepositoryName;
import org.jdbi.v3.core.Handle;

/**
 * Told of every manifest a push stores, inside the push's transaction (before it commits), so that work the push
 * causes — a scan — is enqueued exactly when the push commits and never lost when it rolls back. A listener must be
 * quick and must not fail for reasons of its own: its exception rolls the push back.
 */
@FunctionalInterface
public interface PushListener {
    PushListener NONE = (h, pushed) -> { };

    void stored(Handle h, Pushed pushed);

    /**
     * A manifest stored by a push (again, when it was stored already). {@code complete}: every blob it references is
     * stored here (false for a manifest the proxy cache fetched before its layers).
     */
    record Pushed(long manifestId, RepositoryName repository, Digest digest, Manifest manifest, boolean complete) {
    }
}
