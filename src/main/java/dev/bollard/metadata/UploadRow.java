package dev.bollard.metadata;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * An upload session: how many bytes are durably staged, and when it was last written. {@code storeState} is the blob
 * store's state of the staged bytes; {@code hashState} the running hash after {@code committedSize} bytes, kept when
 * the store's staged bytes cannot be read back cheaply (null otherwise).
 */
public record UploadRow(String id, long repositoryId, long committedSize, Instant createdAt, Instant updatedAt,
                        String storeState, @Nullable String hashState) {
}
