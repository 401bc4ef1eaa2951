package dev.bollard.events;

import dev.bollard.error.BollardException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How an event is written into a delivery's body (docs/events.md, "Payload formats"): Bollard's own JSON, a
 * CloudEvents 1.0 event in the structured JSON mode, or CNCF Distribution's notification envelope for tools that
 * already consume Distribution's notifications (which knows only pushes and deletions; other events are not sent
 * in it). Every JSON object's keys are sorted, so one event always makes the same bytes.
 */
public enum WebhookFormat {
    BOLLARD("bollard", "application/json"),
    CLOUDEVENTS("cloudevents", "application/cloudevents+json; charset=utf-8"),
    DISTRIBUTION("distribution", "application/vnd.docker.distribution.events.v1+json");

    /** CloudEvents' {@code type} of a Bollard event: reverse-DNS prefixed, as the specification recommends. */
    public static final String CLOUDEVENTS_TYPE_PREFIX = "dev.bollard.";

    private final String id;
    private final String contentType;

    WebhookFormat(String id, String contentType) {
        this.id = id;
        this.contentType = contentType;
    }

    public String id() {
        return id;
    }

    public String contentType() {
        return contentType;
    }

    public static WebhookFormat of(String id) {
        return Arrays.stream(values()).filter(f -> f.id.equals(id)).findFirst()
                .orElseThrow(() -> BollardException.invalid("unknown webhook format '" + id + "'; one of "
                        + Arrays.stream(values()).map(WebhookFormat::id).toList()));
    }

    /** The body of a delivery of {@code event}; empty when this format cannot express the event. */
    public Optional<String> render(RegistryEvent event) {
        return switch (this) {
            case BOLLARD -> Optional.of(event.toJson());
            case CLOUDEVENTS -> Optional.of(RegistryEvent.write(cloudEvent(event)));
            case DISTRIBUTION -> distributionEvent(event).map(e -> RegistryEvent.write(Map.of("events", List.of(e))));
        };
    }

    /**
     * CloudEvents 1.0, structured content mode (JSON format): the required attributes {@code specversion}, {@code id},
     * {@code source} and {@code type}, with {@code time}, {@code subject} (the tag, else the digest, else the
     * repository), {@code datacontenttype} and the event's repository, actor and data as {@code data}.
     */
    private static Map<String, Object> cloudEvent(RegistryEvent event) {
        Map<String, Object> ce = new TreeMap<>();
        ce.put("specversion", "1.0");
        ce.put("id", event.id());
        ce.put("source", event.repository() == null ? "/bollard" : "/bollard/repositories/" + event.repository());
        ce.put("type", CLOUDEVENTS_TYPE_PREFIX + event.type());
        ce.put("time", event.time().toString());
        String subject = event.tag() != null ? event.tag() : event.digest() != null ? event.digest()
                : event.repository();
        if (subject != null) {
            ce.put("subject", subject);
        }
        ce.put("datacontenttype", "application/json");
        Map<String, Object> data = new TreeMap<>(event.data());
        data.put("repository", event.repository());
        data.put("namespace", event.namespace());
        data.put("actor", event.actorMap());
        data.put("sequence", event.seq());
        ce.put("data", data);
        return ce;
    }

    /**
     * One event of Distribution's envelope ({@code {"events": [...]}}, distribution/notifications): a push of a
     * manifest ({@code action} push, the tag as {@code target.tag} when pushed by tag) or a deletion of a manifest or
     * a tag ({@code action} delete). Nothing for the other events, which Distribution does not have.
     */
    private static Optional<Map<String, Object>> distributionEvent(RegistryEvent event) {
        String action = switch (event.type()) {
            case EventTypes.MANIFEST_PUSHED -> "push";
            case EventTypes.MANIFEST_DELETED, EventTypes.TAG_DELETED -> "delete";
            default -> null;
        };
        if (action == null || event.repository() == null) {
            return Optional.empty();
        }
        Map<String, Object> target = new TreeMap<>();
        target.put("repository", event.repository());
        if (event.digest() != null) {
            target.put("digest", event.digest());
        }
        if (event.tag() != null) {
            target.put("tag", event.tag());
        }
        if (event.data().get("mediaType") instanceof String mediaType) {
            target.put("mediaType", mediaType);
        }
        if (event.data().get("size") instanceof Number size) {
            target.put("size", size);
            target.put("length", size);
        }
        Map<String, Object> e = new TreeMap<>();
        e.put("id", event.id());
        e.put("timestamp", event.time().toString());
        e.put("action", action);
        e.put("target", target);
        e.put("actor", Map.of("name", event.actor()));
        e.put("source", Map.of("addr", "bollard"));
        return Optional.of(e);
    }
}
