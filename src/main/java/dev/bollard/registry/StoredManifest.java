package dev.bollard.registry;

import dev.bollard.oci.Digest;

/** A manifest as stored: the exact bytes pushed, their digest and media type. */
public record StoredManifest(Digest digest, String mediaType, byte[] content) {
}
