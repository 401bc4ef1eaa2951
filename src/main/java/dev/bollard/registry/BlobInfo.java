package dev.bollard.registry;

import dev.bollard.oci.Digest;

/** A blob as a repository sees it. */
public record BlobInfo(Digest digest, long size) {
}
