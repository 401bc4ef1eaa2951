package dev.bollard.registry;

import dev.bollard.oci.Digest;
import java.util.Optional;

/**
 * The outcome of a manifest push: its digest, its subject when it has one, and, for a push by tag, what the tag
 * pointed at before (empty when the push created the tag).
 */
public record PushedManifest(Digest digest, Optional<Digest> subject, Optional<String> previousTagTarget) {
    public PushedManifest(Digest digest, Optional<Digest> subject) {
        this(digest, subject, Optional.empty());
    }
}
