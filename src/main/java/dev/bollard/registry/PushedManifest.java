package dev.bollard.registry;

import dev.bollard.oci.Digest;
import java.util.Optional;

/** The outcome of a manifest push: its digest and, when it has one, its subject. */
public record PushedManifest(Digest digest, Optional<Digest> subject) {
}
