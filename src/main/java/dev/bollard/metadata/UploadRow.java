package dev.bollard.metadata;

import java.time.Instant;

/** An upload session: how many bytes are durably staged, and when it was last written. */
public record UploadRow(String id, long repositoryId, long committedSize, Instant createdAt, Instant updatedAt) {
}
