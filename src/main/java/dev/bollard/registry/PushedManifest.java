package dev.bollard.registry;

import dev.bollard.oci.Digest;
import java.util.Optional;

/** The outcome of a manifest push: its digest, and its subject when it has one (the response's headers). */
public record PushedManifest(Digest digest, Optional<Digest> subject) {
}
