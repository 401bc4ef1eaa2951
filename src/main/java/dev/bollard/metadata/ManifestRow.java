package dev.bollard.metadata;

/** A stored manifest: its bytes exactly as pushed, with what the registry indexes about it. */
public record ManifestRow(long id, long repositoryId, String digest, String mediaType, String artifactType,
                          String subjectDigest, long size, byte[] content) {
}
