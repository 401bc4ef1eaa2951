package dev.bollard.registry;

/** Where an upload session stands: {@code size} bytes received so far. */
public record UploadStatus(String repository, String uploadId, long size) {
}
