package dev.bollard.backup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.error.BollardException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code backup.json} says of a finished backup: when the snapshot was taken, how many blobs of how many bytes
 * it names, the key-encryption keys (by id) that sealed its secrets, and whether the backup carries that key.
 */
public record BackupDescription(Instant createdAt, int blobs, long bytes, List<String> sealedWith,
                                boolean carriesKeyEncryptionKey) {

    /** The layout this code writes and reads; a backup of another format is refused rather than misread. */
    static final int FORMAT = 1;

    public BackupDescription {
        sealedWith = List.copyOf(sealedWith);
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", FORMAT);
        json.put("created_at", createdAt.toString());
        json.put("blobs", blobs);
        json.put("bytes", bytes);
        json.put("sealed_with", sealedWith);
        json.put("carries_key_encryption_key", carriesKeyEncryptionKey);
        return json;
    }

    static BackupDescription parse(JsonNode json, String where) {
        int format = json.path("format").asInt(-1);
        if (format != FORMAT) {
            throw BollardException.invalid(where + " is a backup of format " + json.path("format")
                    + ", which this version of Bollard does not read (it reads format " + FORMAT + ")");
        }
        List<String> sealedWith = new ArrayList<>();
        json.path("sealed_with").forEach(id -> sealedWith.add(id.asText()));
        try {
            return new BackupDescription(Instant.parse(json.path("created_at").asText()), json.path("blobs").asInt(),
                    json.path("bytes").asLong(), sealedWith, json.path("carries_key_encryption_key").asBoolean());
        } catch (DateTimeParseException e) {
            throw BollardException.invalid(where + " is damaged: its created_at is not a time");
        }
    }
}
