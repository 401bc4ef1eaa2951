package dev.bollard.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bollard.audit.AuditActions;
import dev.bollard.json.Json;
import dev.bollard.metadata.OutboxDao;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One event of the registry: something that changed, of one of the {@link EventTypes}, derived from the change the
 * use case recorded in the outbox. {@code seq} numbers the events without gaps in the order they were published
 * (commit order), so it orders the events of a repository; {@link #id()} (the number as text) is the event's stable
 * identity, the idempotency key a receiver deduplicates redeliveries with. {@code data} holds what the type says
 * (docs/events.md); in JSON every object's keys are sorted, so an event's bytes never depend on a map's whims.
 */
public record RegistryEvent(long seq, String type, Instant time, String actorKind, String actor,
                            @Nullable String namespace, @Nullable String repository, SortedMap<String, Object> data) {

    /** Jackson's one mapper, writing every map with its keys sorted (nested ones too). */
    static final ObjectWriter SORTED = Json.MAPPER.writer().with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    public RegistryEvent {
        data = Collections.unmodifiableSortedMap(new TreeMap<>(data));
    }

    /** The stable identity of the event (the idempotency key of its deliveries). */
    public String id() {
        return Long.toString(seq);
    }

    /** The tag the event is about, when it is about one. */
    public @Nullable String tag() {
        return data.get("tag") instanceof String t ? t : null;
    }

    /** The manifest digest the event is about, when it is about one. */
    public @Nullable String digest() {
        return data.get("digest") instanceof String d ? d : null;
    }

    /**
     * The event a committed change stands for, numbered {@code seq}; empty when the change is not one of the events
     * (a user created, a policy set: audited, not published).
     */
    public static Optional<RegistryEvent> fromChange(OutboxDao.Row change, long seq) {
        Map<String, Object> details = parse(change.details());
        String type = switch (change.type()) {
            case AuditActions.REPO_CREATE -> EventTypes.REPOSITORY_CREATED;
            case AuditActions.REPO_DELETE -> EventTypes.REPOSITORY_DELETED;
            case AuditActions.PUSH -> EventTypes.MANIFEST_PUSHED;
            case AuditActions.MANIFEST_DELETE -> EventTypes.MANIFEST_DELETED;
            case AuditActions.TAG_CREATE -> EventTypes.TAG_CREATED;
            case AuditActions.TAG_MOVE -> EventTypes.TAG_MOVED;
            case AuditActions.TAG_RESTORE -> EventTypes.TAG_RESTORED;
            case AuditActions.MIRROR_SYNC_SUCCEEDED -> EventTypes.MIRROR_SYNC_SUCCEEDED;
            case AuditActions.MIRROR_SYNC_FAILED -> EventTypes.MIRROR_SYNC_FAILED;
            case AuditActions.SCAN_FINISHED -> EventTypes.SCAN_FINISHED;
            case AuditActions.VULNERABILITY_FOUND -> EventTypes.VULNERABILITY_FOUND;
            // Retention's deletions are the tags that expired under a policy; every other deletion is someone's.
            case AuditActions.TAG_DELETE -> "retention policy".equals(details.get("reason"))
                    ? EventTypes.TAG_EXPIRED : EventTypes.TAG_DELETED;
            default -> null;
        };
        if (type == null || change.repository() == null) {
            return Optional.empty();
        }
        SortedMap<String, Object> data = new TreeMap<>();
        details.forEach((key, value) -> data.put(switch (key) {
            case "to" -> "digest"; // tag.create and tag.move say where the tag points now ...
            case "from" -> "previous"; // ... and where it pointed before, as tag.restore does
            default -> key;
        }, value));
        if (type.equals(EventTypes.MANIFEST_PUSHED)) {
            // a push by tag names the tag; a push by digest only repeats the digest
            Object reference = data.remove("reference");
            if (reference instanceof String r && !r.contains(":")) {
                data.put("tag", r);
            }
        }
        return Optional.of(new RegistryEvent(seq, type, Instant.ofEpochMilli(change.occurredAt()), change.actorKind(),
                change.actor(), change.namespace(), change.repository(), data));
    }

    /** The event in Bollard's JSON format (docs/events.md), as stored and as a webhook of format "bollard" gets it. */
    public String toJson() {
        return write(toMap());
    }

    /** The event as a map of Bollard's JSON format (keys sorted when written). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new TreeMap<>();
        m.put("id", id());
        m.put("sequence", seq);
        m.put("type", type);
        m.put("time", time.toString());
        m.put("actor", actorMap());
        m.put("namespace", namespace);
        m.put("repository", repository);
        m.put("data", data);
        return m;
    }

    Map<String, Object> actorMap() {
        Map<String, Object> a = new TreeMap<>();
        a.put("kind", actorKind);
        a.put("name", actor);
        return a;
    }

    /** Reads an event back from {@link #toJson()}. */
    public static RegistryEvent fromJson(String json) {
        try {
            JsonNode m = Json.MAPPER.readTree(json);
            SortedMap<String, Object> data = Json.MAPPER.convertValue(m.path("data"),
                    new TypeReference<TreeMap<String, Object>>() {
                    });
            return new RegistryEvent(m.path("sequence").asLong(), m.path("type").asText(),
                    Instant.parse(m.path("time").asText()), m.path("actor").path("kind").asText(),
                    m.path("actor").path("name").asText(), textOrNull(m.path("namespace")),
                    textOrNull(m.path("repository")), data == null ? new TreeMap<>() : data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored event is not JSON", e);
        }
    }

    private static @Nullable String textOrNull(JsonNode n) {
        return n.isTextual() ? n.asText() : null;
    }

    /** {@code value} as JSON with every object's keys sorted. */
    static String write(Object value) {
        try {
            return SORTED.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an event's JSON could not be written", e);
        }
    }

    private static Map<String, Object> parse(String json) {
        try {
            Map<String, Object> m = Json.MAPPER.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {
            });
            return m == null ? Map.of() : m;
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }
}
