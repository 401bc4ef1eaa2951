package dev.bollard.mirror;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.bollard.json.Json;
import dev.bollard.metadata.MirrorDao;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One sync of a mirror as the API shows it: when, how long, what it copied, which tags failed and why. */
public record MirrorRun(MirrorDao.Run row) {

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", row.id());
        m.put("trigger", row.trigger());
        m.put("status", row.status());
        m.put("started_at", Instant.ofEpochMilli(row.startedAt()).toString());
        m.put("finished_at", row.finishedAt() == null ? null : Instant.ofEpochMilli(row.finishedAt()).toString());
        m.put("duration_ms", row.finishedAt() == null ? null
                : Duration.ofMillis(row.finishedAt() - row.startedAt()).toMillis());
        m.put("bytes", row.bytes());
        m.put("blobs_copied", row.blobsCopied());
        m.put("blobs_mounted", row.blobsMounted());
        m.put("tags_copied", row.tagsCopied());
        m.put("tags_unchanged", row.tagsUnchanged());
        m.put("tags_failed", row.tagsFailed());
        m.put("tags_deleted", row.tagsDeleted());
        m.put("referrers", row.referrers());
        m.put("failures", failures());
        m.put("message", row.message());
        return m;
    }

    /** The failed tags: {@code [{tag, reason}]}. */
    public List<Map<String, String>> failures() {
        try {
            return Json.MAPPER.readValue(row.failures(), new TypeReference<List<Map<String, String>>>() {
            });
        } catch (java.io.IOException e) {
            return List.of();
        }
    }
}
