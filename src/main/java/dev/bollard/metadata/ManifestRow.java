package dev.bollard.metadata;

import org.jspecify.annotations.Nullable;

/** A stored manifest: its bytes exactly as pushed, with what the registry indexes about it. */
public record ManifestRow(long id, long repositoryId, String digest, String mediaType, @Nullable String artifactType,
                          @Nullable String subjectDigest, long size, byte[] content) {
}
